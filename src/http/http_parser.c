/*
 * http_parser.c - see http_parser.h.  RFC 9112 is the grammar; where the
 * RFC allows leniency (bare LF, leading empty lines) the choice is noted.
 */
#include "compat.h"

#include "http_parser.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* tchar from RFC 9110 section 5.6.2: the bytes allowed in a method or field name. */
/* laid out by hand, in the RFC's groups: */
/* clang-format off */
static const bool tchar_table[256] = {
    ['!'] = true, ['#'] = true, ['$'] = true, ['%'] = true, ['&'] = true, ['\''] = true,
    ['*'] = true, ['+'] = true, ['-'] = true, ['.'] = true, ['^'] = true, ['_'] = true,
    ['`'] = true, ['|'] = true, ['~'] = true,
    ['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true, ['5'] = true,
    ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true,
    ['A'] = true, ['B'] = true, ['C'] = true, ['D'] = true, ['E'] = true, ['F'] = true,
    ['G'] = true, ['H'] = true, ['I'] = true, ['J'] = true, ['K'] = true, ['L'] = true,
    ['M'] = true, ['N'] = true, ['O'] = true, ['P'] = true, ['Q'] = true, ['R'] = true,
    ['S'] = true, ['T'] = true, ['U'] = true, ['V'] = true, ['W'] = true, ['X'] = true,
    ['Y'] = true, ['Z'] = true,
    ['a'] = true, ['b'] = true, ['c'] = true, ['d'] = true, ['e'] = true, ['f'] = true,
    ['g'] = true, ['h'] = true, ['i'] = true, ['j'] = true, ['k'] = true, ['l'] = true,
    ['m'] = true, ['n'] = true, ['o'] = true, ['p'] = true, ['q'] = true, ['r'] = true,
    ['s'] = true, ['t'] = true, ['u'] = true, ['v'] = true, ['w'] = true, ['x'] = true,
    ['y'] = true, ['z'] = true,
};
/* clang-format on */

static bool is_tchar(unsigned char c)
{
    return tchar_table[c];
}

bool http_is_token_char(unsigned char c)
{
    return tchar_table[c];
}

/* A byte allowed inside a field value: VCHAR, obs-text, SP or HTAB. */
static bool is_field_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

/* A byte allowed in a request-target: visible ASCII or obs-text, no SP or CTL. */
static bool is_target_byte(unsigned char c)
{
    return c > 0x20 && c != 0x7f;
}

/*
 * Reads a line ending at *pos: CRLF or a bare LF.  Returns 1 and advances
 * past it, 0 when the buffer ends first, -1 for a CR not followed by LF.
 */
static int take_eol(const char *buf, size_t len, size_t *pos)
{
    size_t i = *pos;
    if (i >= len)
        return 0;
    if (buf[i] == '\n') {
        *pos = i + 1;
        return 1;
    }
    if (buf[i] != '\r')
        return -1;
    if (i + 1 >= len)
        return 0;
    if (buf[i + 1] != '\n')
        return -1;
    *pos = i + 2;
    return 1;
}

/* Sets the error status and returns HTTP_PARSE_ERROR. */
static int fail(struct http_request *req, int status)
{
    req->status = status;
    return HTTP_PARSE_ERROR;
}

/* Parses "HTTP/d.d" at buf[*pos]; returns 0, HTTP_PARSE_INCOMPLETE or an error. */
static int parse_version(const char *buf, size_t len, size_t *pos, struct http_request *req)
{
    static const char prefix[] = "HTTP/";
    size_t i = *pos;
    for (size_t k = 0; k < 5; k++, i++) {
        if (i >= len)
            return HTTP_PARSE_INCOMPLETE;
        if (buf[i] != prefix[k])
            return fail(req, 400);
    }
    /* exactly DIGIT "." DIGIT, then the end of the line */
    for (size_t k = 0; k < 3; k++) {
        if (i + k >= len)
            return HTTP_PARSE_INCOMPLETE;
    }
    unsigned char major = (unsigned char)buf[i], dot = (unsigned char)buf[i + 1], minor = (unsigned char)buf[i + 2];
    if (major < '0' || major > '9' || dot != '.' || minor < '0' || minor > '9')
        return fail(req, 400);
    i += 3;
    if (i < len && buf[i] != '\r' && buf[i] != '\n')
        return fail(req, 400); /* "HTTP/1.10", "HTTP/1.1 " */
    if (major != '1' || minor > '1')
        return fail(req, 505);
    req->minor_version = minor - '0';
    *pos = i;
    return 0;
}

/* Parses the request line; returns 0, HTTP_PARSE_INCOMPLETE or an error. */
static int parse_request_line(const char *buf, size_t len, size_t *pos, struct http_request *req)
{
    size_t i = *pos;

    size_t start = i;
    while (i < len && is_tchar((unsigned char)buf[i]))
        i++;
    if (i >= len)
        return HTTP_PARSE_INCOMPLETE;
    if (buf[i] != ' ' || i == start)
        return fail(req, 400);
    req->method.p = buf + start;
    req->method.len = i - start;
    i++;

    start = i;
    while (i < len && is_target_byte((unsigned char)buf[i]))
        i++;
    if (i >= len)
        return HTTP_PARSE_INCOMPLETE;
    if (buf[i] != ' ' || i == start)
        return fail(req, 400); /* a control byte, a second space, or no version (HTTP/0.9) */
    req->target.p = buf + start;
    req->target.len = i - start;
    i++;

    int rc = parse_version(buf, len, &i, req);
    if (rc != 0)
        return rc;
    rc = take_eol(buf, len, &i);
    if (rc == 0)
        return HTTP_PARSE_INCOMPLETE;
    if (rc < 0)
        return fail(req, 400);
    req->line_complete = true;
    *pos = i;
    return 0;
}

/* Parses one header line at *pos; returns 0, 1 at the blank line, INCOMPLETE or an error. */
static int parse_header_line(const char *buf, size_t len, size_t *pos, size_t max_headers, struct http_request *req)
{
    size_t i = *pos;
    int rc = take_eol(buf, len, &i);
    if (rc > 0) {
        *pos = i;
        return 1;
    }
    if (rc == 0)
        return HTTP_PARSE_INCOMPLETE;
    /* rc < 0: not a blank line; a bare CR fails as an empty field name below */
    if (buf[i] == ' ' || buf[i] == '\t')
        return fail(req, 400); /* obs-fold (RFC 9112 section 5.2) */

    size_t name_start = i;
    while (i < len && is_tchar((unsigned char)buf[i]))
        i++;
    if (i >= len)
        return HTTP_PARSE_INCOMPLETE;
    if (buf[i] != ':' || i == name_start)
        return fail(req, 400); /* "Host : x", "Foo bar", ": x" */
    size_t name_len = i - name_start;
    i++;

    while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    size_t value_start = i;
    while (i < len && is_field_byte((unsigned char)buf[i]))
        i++;
    if (i >= len)
        return HTTP_PARSE_INCOMPLETE;
    size_t value_end = i;
    rc = take_eol(buf, len, &i);
    if (rc == 0)
        return HTTP_PARSE_INCOMPLETE;
    if (rc < 0)
        return fail(req, 400); /* NUL, bare CR or another control byte */
    while (value_end > value_start && (buf[value_end - 1] == ' ' || buf[value_end - 1] == '\t'))
        value_end--;

    if (req->num_headers >= max_headers)
        return fail(req, 431);
    struct http_header *h = &req->headers[req->num_headers++];
    h->name.p = buf + name_start;
    h->name.len = name_len;
    h->value.p = buf + value_start;
    h->value.len = value_end - value_start;
    *pos = i;
    return 0;
}

int http_parse_request(const char *buf, size_t len, size_t max_headers, struct http_request *req)
{
    req->method = (struct http_slice){NULL, 0};
    req->target = (struct http_slice){NULL, 0};
    req->minor_version = -1;
    req->line_complete = false;
    req->num_headers = 0;
    req->status = 0;
    if (max_headers > HTTP_HEADERS_CAP)
        max_headers = HTTP_HEADERS_CAP;

    size_t pos = 0;
    /* RFC 9112 section 2.2: ignore empty lines before the request line. */
    for (;;) {
        int rc = take_eol(buf, len, &pos);
        if (rc == 0)
            return HTTP_PARSE_INCOMPLETE;
        if (rc < 0)
            break; /* the request line starts here */
    }

    int rc = parse_request_line(buf, len, &pos, req);
    if (rc != 0)
        return rc;
    for (;;) {
        rc = parse_header_line(buf, len, &pos, max_headers, req);
        if (rc == 1)
            return (int)pos;
        if (rc != 0)
            return rc;
    }
}

bool http_head_may_be_complete(const char *buf, size_t len, size_t from)
{
    size_t i = from > 3 ? from - 3 : 0;
    for (; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return true;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return true;
    }
    return false;
}

bool http_slice_equals_nocase(struct http_slice a, const char *s)
{
    size_t n = strlen(s);
    return a.p != NULL && a.len == n && strncasecmp(a.p, s, n) == 0;
}

/* Methods registered for HTTP that a static server refuses with 405. */
static enum http_method classify_method(struct http_slice m)
{
    static const char *const refused[] = {"POST",      "PUT",   "DELETE", "TRACE", "CONNECT", "PATCH", "PROPFIND",
                                          "PROPPATCH", "MKCOL", "COPY",   "MOVE",  "LOCK",    "UNLOCK"};
    if (m.len == 3 && memcmp(m.p, "GET", 3) == 0)
        return HTTP_METHOD_GET;
    if (m.len == 4 && memcmp(m.p, "HEAD", 4) == 0)
        return HTTP_METHOD_HEAD;
    if (m.len == 7 && memcmp(m.p, "OPTIONS", 7) == 0)
        return HTTP_METHOD_OPTIONS;
    for (size_t k = 0; k < OTU_ARRAY_LEN(refused); k++) {
        if (m.len == strlen(refused[k]) && memcmp(m.p, refused[k], m.len) == 0)
            return HTTP_METHOD_OTHER;
    }
    return HTTP_METHOD_UNKNOWN; /* methods are case-sensitive: "get" lands here */
}

/* Parses a Content-Length value: 1..18 digits, nothing else.  Returns -1 if invalid. */
static int64_t parse_content_length(struct http_slice v)
{
    if (v.len == 0 || v.len > 18)
        return -1;
    int64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        n = n * 10 + (v.p[i] - '0');
    }
    return n;
}

/* Calls fn for each comma-separated, whitespace-trimmed element of a list value. */
static void for_each_token(struct http_slice v, void (*fn)(struct http_slice tok, void *arg), void *arg)
{
    size_t i = 0;
    while (i < v.len) {
        size_t start = i;
        while (i < v.len && v.p[i] != ',')
            i++;
        size_t end = i;
        while (start < end && (v.p[start] == ' ' || v.p[start] == '\t'))
            start++;
        while (end > start && (v.p[end - 1] == ' ' || v.p[end - 1] == '\t'))
            end--;
        if (end > start)
            fn((struct http_slice){v.p + start, end - start}, arg);
        i++;
    }
}

struct connection_tokens {
    bool close;      /* "close" seen */
    bool keep_alive; /* "keep-alive" seen */
};

static void note_connection_token(struct http_slice tok, void *arg)
{
    struct connection_tokens *t = arg;
    if (http_slice_equals_nocase(tok, "close"))
        t->close = true;
    else if (http_slice_equals_nocase(tok, "keep-alive"))
        t->keep_alive = true;
}

/* What a field's second line does (RFC 9110 section 5.3: most fields may not repeat). */
enum field_repeat {
    FIELD_KEEP_LAST,  /* the last line counts (a list field we read whole, or harmless) */
    FIELD_KEEP_FIRST, /* the first counts: credentials are never half-replaced */
    FIELD_REFUSE_400, /* a repeat is refused: Host, the preconditions (nginx: 400) */
    FIELD_REFUSE_501  /* codings spread over several lines: not ours to untangle */
};

/* One header field the reader keeps: its name and where its value lands in the info. */
struct field_spec {
    const char *name; /* lower case */
    uint8_t len;      /* strlen(name) */
    size_t offset;    /* of its struct http_slice in struct http_request_info */
    enum field_repeat repeat;
};

/* clang-format off */
#define FIELD(n, member, rep) {n, sizeof(n) - 1, offsetof(struct http_request_info, member), rep}
/* clang-format on */

/* The fields, shortest name first (a header is compared only with rows of its length). */
static const struct field_spec fields[] = {
    FIELD("host", host, FIELD_REFUSE_400),
    FIELD("range", range, FIELD_KEEP_LAST),
    FIELD("origin", origin, FIELD_KEEP_LAST),
    FIELD("accept", accept, FIELD_KEEP_LAST),
    FIELD("referer", referer, FIELD_KEEP_LAST),
    FIELD("if-match", if_match, FIELD_REFUSE_400),
    FIELD("if-range", if_range, FIELD_KEEP_LAST),
    FIELD("user-agent", user_agent, FIELD_KEEP_LAST),
    FIELD("authorization", authorization, FIELD_KEEP_FIRST),
    FIELD("if-none-match", if_none_match, FIELD_KEEP_LAST),
    FIELD("sec-fetch-mode", sec_fetch_mode, FIELD_KEEP_LAST),
    FIELD("accept-encoding", accept_encoding, FIELD_KEEP_LAST),
    FIELD("transfer-encoding", transfer_encoding, FIELD_REFUSE_501),
    FIELD("if-modified-since", if_modified_since, FIELD_KEEP_LAST),
    FIELD("if-unmodified-since", if_unmodified_since, FIELD_REFUSE_400),
    FIELD("access-control-request-method", ac_request_method, FIELD_KEEP_LAST),
};

/* Longest field name in fields[]. */
#define FIELD_NAME_MAX 29

/* True when name equals lower (len bytes, lower case): a token's letters compared without case. */
static bool name_is(struct http_slice name, const char *lower, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)(name.p[i] | 0x20) != (unsigned char)lower[i])
            return false; /* in a token, only a letter or '-' can equal lower[i] once ORed with 0x20 */
    }
    return true;
}

/*
 * The row for a header name, or NULL.  by_len[n] is the first row whose
 * name is n bytes long (fields[] is sorted by length), so a name is
 * compared with at most the two rows of its length.
 */
static const struct field_spec *field_for(struct http_slice name)
{
    static uint8_t by_len[FIELD_NAME_MAX + 2];
    static bool indexed;
    if (!indexed) { /* once per process: the table is constant */
        size_t row = 0;
        for (size_t n = 0; n <= FIELD_NAME_MAX + 1; n++) {
            while (row < OTU_ARRAY_LEN(fields) && fields[row].len < n)
                row++;
            by_len[n] = (uint8_t)row;
        }
        indexed = true;
    }
    if (name.len > FIELD_NAME_MAX)
        return NULL;
    for (size_t i = by_len[name.len]; i < by_len[name.len + 1]; i++) {
        if (name_is(name, fields[i].name, name.len))
            return &fields[i];
    }
    return NULL;
}

/* Stores value for its row; returns 0, or the status a repeat is refused with. */
static int keep_field(const struct field_spec *f, struct http_slice value, struct http_request_info *info)
{
    struct http_slice *slot = (struct http_slice *)(void *)((char *)info + f->offset);
    if (slot->p != NULL && f->repeat == FIELD_REFUSE_400)
        return 400;
    if (slot->p != NULL && f->repeat == FIELD_REFUSE_501)
        return 501;
    if (slot->p == NULL || f->repeat == FIELD_KEEP_LAST)
        *slot = value;
    return 0;
}

/* unreserved or sub-delims (RFC 3986 section 2): a reg-name's bytes besides %XX. */
static bool is_reg_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("-._~!$&'()*+,;=", c) != NULL);
}

/* The inside of "[...]" (RFC 3986 section 3.2.2): an IPv6 address, or IPvFuture "v" 1*HEXDIG "." 1*(...). */
static bool valid_ip_literal(const char *p, size_t n)
{
    if (n > 0 && (p[0] == 'v' || p[0] == 'V')) {
        size_t i = 1;
        while (i < n && otu_hex_value((unsigned char)p[i]) >= 0)
            i++;
        if (i == 1 || i + 1 >= n || p[i] != '.')
            return false;
        for (i++; i < n; i++)
            if (p[i] != ':' && !is_reg_name_char((unsigned char)p[i]))
                return false;
        return true;
    }
    char text[INET6_ADDRSTRLEN];
    struct in6_addr addr;
    if (n == 0 || n >= sizeof(text))
        return false;
    memcpy(text, p, n);
    text[n] = '\0';
    return inet_pton(AF_INET6, text, &addr) == 1;
}

/*
 * True when v is uri-host [ ":" port ] (RFC 9112 section 3.2, RFC 3986
 * section 3.2.2): an IP-literal, or a reg-name (an IPv4 address is one too)
 * of unreserved bytes, sub-delims and %XX, empty only when empty_ok (a Host
 * field may be empty, an http URI's host may not); then ':' and *DIGIT.
 * Stricter than the grammar as nginx is: "..", an empty label, is refused.
 */
static bool valid_host_port(struct http_slice v, bool empty_ok)
{
    size_t i = 0;
    if (v.len > 0 && v.p[0] == '[') {
        const char *close = memchr(v.p, ']', v.len);
        if (close == NULL || !valid_ip_literal(v.p + 1, (size_t)(close - v.p) - 1))
            return false;
        i = (size_t)(close - v.p) + 1;
    } else {
        for (; i < v.len && v.p[i] != ':'; i++) {
            unsigned char c = (unsigned char)v.p[i];
            if (c == '%') {
                if (i + 2 >= v.len || otu_hex_value((unsigned char)v.p[i + 1]) < 0 ||
                    otu_hex_value((unsigned char)v.p[i + 2]) < 0)
                    return false;
                i += 2;
            } else if (!is_reg_name_char(c) || (c == '.' && i > 0 && v.p[i - 1] == '.')) {
                return false;
            }
        }
        if (i == 0 && !empty_ok)
            return false;
    }
    if (i == v.len)
        return true;
    if (v.p[i] != ':')
        return false;
    for (i++; i < v.len; i++)
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
    return true;
}

/* Splits the request-target into path and query; returns 0 or 400. */
static int split_target(struct http_slice target, struct http_request_info *info)
{
    const char *p = target.p, *end = target.p + target.len;
    if (p[0] != '/') {
        /* absolute-form (RFC 9112 section 3.2.2): "http://authority/path?query" */
        size_t scheme_len;
        if (target.len >= 7 && strncasecmp(p, "http://", 7) == 0)
            scheme_len = 7;
        else if (target.len >= 8 && strncasecmp(p, "https://", 8) == 0)
            scheme_len = 8;
        else
            return 400; /* "*", authority-form, or a relative path */
        p += scheme_len;
        const char *auth = p;
        while (p < end && *p != '/' && *p != '?' && *p != '#')
            p++;
        struct http_slice authority = {auth, (size_t)(p - auth)};
        if (memchr(auth, '@', authority.len) != NULL)
            return 400; /* userinfo (RFC 9110 section 4.2.4): refused, never passed on */
        if (!valid_host_port(authority, false))
            return 400; /* no host, or not a host: "http:///x", "http://:80/x", "http://a b/" */
    }
    const char *path = p;
    while (p < end && *p != '?' && *p != '#')
        p++;
    info->path = (struct http_slice){path, (size_t)(p - path)};
    if (info->path.len == 0)
        info->path = (struct http_slice){"/", 1};
    if (p < end && *p == '?') {
        const char *q = ++p;
        while (p < end && *p != '#')
            p++;
        info->query = (struct http_slice){q, (size_t)(p - q)};
    }
    return 0;
}

/*
 * The framing headers read value by value: Content-Length (every line must
 * agree), Connection (tokens over every line).  Returns 1 when h was one of
 * them, 0 when not, or the status to answer.
 */
static int framing_header(const struct http_header *h, struct http_request_info *info, struct connection_tokens *conn)
{
    if (h->name.len == 14 && name_is(h->name, "content-length", 14)) {
        int64_t cl = parse_content_length(h->value);
        if (cl < 0 || (info->content_length >= 0 && info->content_length != cl))
            return 400;
        info->content_length = cl;
        return 1;
    }
    if (h->name.len == 10 && name_is(h->name, "connection", 10)) {
        for_each_token(h->value, note_connection_token, conn);
        return 1;
    }
    return 0;
}

/*
 * The framing rules, in the order RFC 9112 states them: exactly one valid
 * Host in HTTP/1.1 (section 3.2), Transfer-Encoding never with
 * Content-Length nor in HTTP/1.0, chunked the only coding (section 6.1).
 * Returns 0 or the status to answer.
 */
static int framing_rules(const struct http_request *req, struct http_request_info *info)
{
    if (req->minor_version == 1 && info->host.p == NULL)
        return 400;
    if (info->host.p != NULL && !valid_host_port(info->host, true))
        return 400;
    struct http_slice te = info->transfer_encoding;
    if (te.p != NULL) {
        if (info->content_length >= 0 || req->minor_version == 0)
            return 400; /* a smuggling shape, or a coding HTTP/1.0 does not have */
        if (!http_slice_equals_nocase(te, "chunked"))
            return 501;
        info->chunked = true;
    }
    return 0;
}

int http_request_interpret(const struct http_request *req, struct http_request_info *info)
{
    memset(info, 0, sizeof(*info));
    info->method = classify_method(req->method);
    info->minor_version = req->minor_version;
    info->content_length = -1;
    struct connection_tokens conn = {false, false};
    for (size_t i = 0; i < req->num_headers; i++) {
        const struct http_header *h = &req->headers[i];
        const struct field_spec *f = field_for(h->name);
        int rc = f != NULL ? keep_field(f, h->value, info) : framing_header(h, info, &conn);
        if (rc > 1)
            return rc;
    }
    int rc = framing_rules(req, info);
    if (rc != 0)
        return rc;
    info->keep_alive = req->minor_version == 1 ? !conn.close : conn.keep_alive && !conn.close;
    if (info->method == HTTP_METHOD_OPTIONS && req->target.len == 1 && req->target.p[0] == '*')
        info->asterisk = true; /* the server as a whole: 204 with Allow */
    if (info->method != HTTP_METHOD_GET && info->method != HTTP_METHOD_HEAD)
        return 0; /* the caller answers 204/405/501 without looking at the target */
    return split_target(req->target, info);
}

/*
 * Finds the CRLF that ends the line starting at buf[i]: sets *end to the CR's
 * offset.  Returns 1 when found, 0 when the buffer ends first, -1 for a bare
 * CR or LF, NUL or another control byte but HTAB on the way.
 */
static int line_end(const char *buf, size_t len, size_t i, size_t *end)
{
    for (; i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == '\r') {
            if (i + 1 == len)
                return 0;
            if (buf[i + 1] != '\n')
                return -1;
            *end = i;
            return 1;
        }
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return -1;
    }
    return 0;
}

enum http_chunked http_chunked_check(const char *buf, size_t len)
{
    size_t i = 0;
    for (;;) {
        /* chunk-size [ chunk-ext ] CRLF */
        uint64_t size = 0;
        size_t digits = 0;
        int v;
        while (i < len && (v = otu_hex_value((unsigned char)buf[i])) >= 0) {
            if (++digits > HTTP_CHUNK_SIZE_DIGITS_MAX)
                return HTTP_CHUNKED_MALFORMED;
            size = size * 16 + (uint64_t)v;
            i++;
        }
        if (i == len)
            return HTTP_CHUNKED_INCOMPLETE;
        if (digits == 0)
            return HTTP_CHUNKED_MALFORMED; /* "", "+5", "-1", " 5", "x" */
        if (buf[i] != '\r' && buf[i] != ';' && buf[i] != ' ' && buf[i] != '\t')
            return HTTP_CHUNKED_MALFORMED; /* "0x5", "5z" */
        size_t cr;
        int found = line_end(buf, len, i, &cr);
        if (found <= 0)
            return found == 0 ? HTTP_CHUNKED_INCOMPLETE : HTTP_CHUNKED_MALFORMED;
        for (size_t k = i; k < cr && buf[k] != ';'; k++)
            if (buf[k] != ' ' && buf[k] != '\t')
                return HTTP_CHUNKED_MALFORMED; /* after the size: BWS, then ';' or the CRLF */
        i = cr + 2;
        if (size == 0)
            break;
        /* chunk-data CRLF */
        if ((uint64_t)(len - i) < size + 2)
            return (uint64_t)(len - i) <= size || buf[i + size] == '\r' ? HTTP_CHUNKED_INCOMPLETE
                                                                        : HTTP_CHUNKED_MALFORMED;
        if (buf[i + size] != '\r' || buf[i + size + 1] != '\n')
            return HTTP_CHUNKED_MALFORMED;
        i += size + 2;
    }
    /* trailer-section CRLF */
    for (;;) {
        size_t cr;
        int found = line_end(buf, len, i, &cr);
        if (found <= 0)
            return found == 0 ? HTTP_CHUNKED_INCOMPLETE : HTTP_CHUNKED_MALFORMED;
        if (cr == i)
            return HTTP_CHUNKED_COMPLETE;
        i = cr + 2;
    }
}

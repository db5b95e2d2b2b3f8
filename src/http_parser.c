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
    unsigned char major = (unsigned char)buf[i], dot = (unsigned char)buf[i + 1],
                  minor = (unsigned char)buf[i + 2];
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
static int parse_header_line(const char *buf, size_t len, size_t *pos, size_t max_headers,
                             struct http_request *req)
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
    static const char *const refused[] = {"POST", "PUT", "DELETE", "TRACE",
                                          "CONNECT", "PATCH", "PROPFIND", "PROPPATCH",
                                          "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"};
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

/* The header fields http_request_interpret() reads. */
enum header_id {
    HEADER_OTHER = 0,
    HEADER_HOST,
    HEADER_CONTENT_LENGTH,
    HEADER_TRANSFER_ENCODING,
    HEADER_CONNECTION,
    HEADER_IF_MATCH,
    HEADER_IF_UNMODIFIED_SINCE,
    HEADER_IF_NONE_MATCH,
    HEADER_IF_MODIFIED_SINCE,
    HEADER_RANGE,
    HEADER_IF_RANGE,
    HEADER_ACCEPT_ENCODING,
    HEADER_ORIGIN,
    HEADER_AC_REQUEST_METHOD,
    HEADER_ACCEPT,
    HEADER_AUTHORIZATION
};

/* Names a header field; the length picks the candidates, so most names cost one compare. */
static enum header_id header_id(struct http_slice n)
{
    switch (n.len) {
    case 4:
        return http_slice_equals_nocase(n, "host") ? HEADER_HOST : HEADER_OTHER;
    case 5:
        return http_slice_equals_nocase(n, "range") ? HEADER_RANGE : HEADER_OTHER;
    case 6:
        if (http_slice_equals_nocase(n, "origin"))
            return HEADER_ORIGIN;
        return http_slice_equals_nocase(n, "accept") ? HEADER_ACCEPT : HEADER_OTHER;
    case 8:
        if (http_slice_equals_nocase(n, "if-match"))
            return HEADER_IF_MATCH;
        return http_slice_equals_nocase(n, "if-range") ? HEADER_IF_RANGE : HEADER_OTHER;
    case 10:
        return http_slice_equals_nocase(n, "connection") ? HEADER_CONNECTION : HEADER_OTHER;
    case 13:
        if (http_slice_equals_nocase(n, "authorization"))
            return HEADER_AUTHORIZATION;
        return http_slice_equals_nocase(n, "if-none-match") ? HEADER_IF_NONE_MATCH : HEADER_OTHER;
    case 14:
        return http_slice_equals_nocase(n, "content-length") ? HEADER_CONTENT_LENGTH : HEADER_OTHER;
    case 15:
        return http_slice_equals_nocase(n, "accept-encoding") ? HEADER_ACCEPT_ENCODING : HEADER_OTHER;
    case 17:
        if (http_slice_equals_nocase(n, "transfer-encoding"))
            return HEADER_TRANSFER_ENCODING;
        return http_slice_equals_nocase(n, "if-modified-since") ? HEADER_IF_MODIFIED_SINCE : HEADER_OTHER;
    case 19:
        return http_slice_equals_nocase(n, "if-unmodified-since") ? HEADER_IF_UNMODIFIED_SINCE : HEADER_OTHER;
    case 29:
        return http_slice_equals_nocase(n, "access-control-request-method") ? HEADER_AC_REQUEST_METHOD
                                                                            : HEADER_OTHER;
    default:
        return HEADER_OTHER;
    }
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
 * Longer than the house limit on purpose: one switch over the header lines
 * and, after it, the framing rules that decide them together (Host,
 * Content-Length against Transfer-Encoding, their repetitions).  The
 * smuggling defences are easiest to audit when every rule about one
 * request sits on one screen, in the order RFC 9112 states them.
 */
int http_request_interpret(const struct http_request *req, struct http_request_info *info)
{
    memset(info, 0, sizeof(*info));
    info->method = classify_method(req->method);
    info->minor_version = req->minor_version;
    info->content_length = -1;

    struct connection_tokens conn = {false, false};
    struct http_slice te = {NULL, 0};
    size_t host_count = 0;
    for (size_t i = 0; i < req->num_headers; i++) {
        const struct http_header *h = &req->headers[i];
        switch (header_id(h->name)) {
        case HEADER_HOST:
            host_count++;
            info->host = h->value;
            break;
        case HEADER_CONTENT_LENGTH: {
            int64_t cl = parse_content_length(h->value);
            if (cl < 0 || (info->content_length >= 0 && info->content_length != cl))
                return 400;
            info->content_length = cl;
            break;
        }
        case HEADER_TRANSFER_ENCODING:
            if (te.p != NULL)
                return 501; /* codings spread over several lines: not ours to untangle */
            te = h->value;
            break;
        case HEADER_CONNECTION:
            for_each_token(h->value, note_connection_token, &conn);
            break;
        case HEADER_IF_MATCH: /* a repeated precondition is refused, not half-read (nginx: 400) */
            if (info->if_match.p != NULL)
                return 400;
            info->if_match = h->value;
            break;
        case HEADER_IF_UNMODIFIED_SINCE:
            if (info->if_unmodified_since.p != NULL)
                return 400;
            info->if_unmodified_since = h->value;
            break;
        case HEADER_IF_NONE_MATCH:
            info->if_none_match = h->value;
            break;
        case HEADER_IF_MODIFIED_SINCE:
            info->if_modified_since = h->value;
            break;
        case HEADER_RANGE:
            info->range = h->value;
            break;
        case HEADER_IF_RANGE:
            info->if_range = h->value;
            break;
        case HEADER_ACCEPT_ENCODING:
            info->accept_encoding = h->value;
            break;
        case HEADER_ORIGIN:
            info->origin = h->value;
            break;
        case HEADER_AC_REQUEST_METHOD:
            info->ac_request_method = h->value;
            break;
        case HEADER_ACCEPT:
            info->accept = h->value;
            break;
        case HEADER_AUTHORIZATION:
            if (info->authorization.p == NULL) /* the first one counts */
                info->authorization = h->value;
            break;
        case HEADER_OTHER:
            break;
        }
    }

    if (req->minor_version == 1 && host_count != 1)
        return 400; /* RFC 9112 section 3.2: exactly one Host in HTTP/1.1 */
    if (host_count > 1)
        return 400;
    if (host_count == 1 && !valid_host_port(info->host, true))
        return 400; /* RFC 9112 section 3.2: an invalid Host value is 400 */
    if (te.p != NULL) {
        if (info->content_length >= 0)
            return 400; /* RFC 9112 section 6.1: a smuggling shape */
        if (req->minor_version == 0)
            return 400;
        if (!http_slice_equals_nocase(te, "chunked"))
            return 501;
        info->chunked = true;
    }

    if (req->minor_version == 1)
        info->keep_alive = !conn.close;
    else
        info->keep_alive = conn.keep_alive && !conn.close;

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

/*
 * forwarded.c - see forwarded.h.
 */
#include "compat.h"

#include "forwarded.h"

#include <string.h>

/* Longest node worth unquoting: "[IPv6]:port" is at most 53 bytes. */
#define NODE_TEXT_MAX 64

/* The nodes of one field, in order: each an address text, or p NULL (a Forwarded element without for=). */
struct chain {
    struct http_slice node[FORWARDED_HOPS_MAX];
    bool quoted[FORWARDED_HOPS_MAX]; /* node is a quoted-string, quotes included */
    int count;                       /* nodes in node[] */
    size_t bytes;                    /* the field's value so far, lines joined by ", " */
};

/* The fields, in --real-ip-header's order after auto. */
static const struct field {
    const char *name;
    bool rfc7239; /* Forwarded's grammar, else a plain comma-separated list */
    bool single;  /* one address, no chain (X-Real-IP) */
} fields[] = {
    [FORWARDED_RFC7239] = {"forwarded", true, false},
    [FORWARDED_XFF] = {"x-forwarded-for", false, false},
    [FORWARDED_REAL_IP] = {"x-real-ip", false, true},
};

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Adds a node to c; returns 0, or -1 past FORWARDED_HOPS_MAX. */
static int append(struct chain *c, struct http_slice node, bool quoted)
{
    if (c->count >= FORWARDED_HOPS_MAX)
        return -1;
    c->node[c->count] = node;
    c->quoted[c->count] = quoted;
    c->count++;
    return 0;
}

/* X-Forwarded-For and X-Real-IP: comma-separated addresses, empty items skipped.  Returns 0 or -1. */
static int split_list(struct chain *c, struct http_slice v)
{
    size_t i = 0;
    while (i < v.len) {
        size_t start = i;
        while (i < v.len && v.p[i] != ',')
            i++;
        size_t end = i;
        while (start < end && is_ows(v.p[start]))
            start++;
        while (end > start && is_ows(v.p[end - 1]))
            end--;
        if (end > start && append(c, (struct http_slice){v.p + start, end - start}, false) < 0)
            return -1;
        i++; /* past the comma */
    }
    return 0;
}

/* Steps over a token at v.p[*i]; returns its length (0: none). */
static size_t skip_token(struct http_slice v, size_t *i)
{
    size_t start = *i;
    while (*i < v.len && http_is_token_char((unsigned char)v.p[*i]))
        (*i)++;
    return *i - start;
}

/* Steps over a quoted-string at v.p[*i] (on its '"'); returns 0, or -1 when it is not closed. */
static int skip_quoted(struct http_slice v, size_t *i)
{
    for ((*i)++; *i < v.len; (*i)++) {
        unsigned char ch = (unsigned char)v.p[*i];
        if (ch == '"') {
            (*i)++;
            return 0;
        }
        if (ch == '\\')
            (*i)++; /* quoted-pair: the next byte is taken as it is */
        else if (ch < 0x20 && ch != '\t')
            return -1;
    }
    return -1;
}

/*
 * Reads one forwarded-pair at v.p[*i] (RFC 7239 section 4: token "="
 * (token / quoted-string)) and notes its value in *node when it is for=.
 * Returns 0, or -1 when malformed or for= repeats in the element.
 */
static int read_pair(struct http_slice v, size_t *i, struct http_slice *node, bool *quoted)
{
    struct http_slice name = {v.p + *i, skip_token(v, i)};
    if (name.len == 0 || *i >= v.len || v.p[*i] != '=')
        return -1;
    size_t start = ++*i;
    bool q = *i < v.len && v.p[*i] == '"';
    if (q ? skip_quoted(v, i) < 0 : skip_token(v, i) == 0)
        return -1;
    if (name.len == 3 && http_slice_equals_nocase(name, "for")) {
        if (node->p != NULL)
            return -1; /* a parameter occurs once per element */
        *node = (struct http_slice){v.p + start, *i - start};
        *quoted = q;
    }
    return 0;
}

/*
 * Forwarded: elements separated by ',', each pairs separated by ';'.
 * Every element becomes a node (its for=, or p NULL).  Returns 0, or -1
 * when the value is malformed anywhere (its elements could not be told
 * apart) or holds more than FORWARDED_HOPS_MAX elements.
 */
static int split_forwarded(struct chain *c, struct http_slice v)
{
    size_t i = 0;
    for (;;) {
        while (i < v.len && (is_ows(v.p[i]) || v.p[i] == ','))
            i++; /* empty list elements are allowed (RFC 9110 section 5.6.1) */
        if (i >= v.len)
            return 0;
        struct http_slice node = {NULL, 0};
        bool quoted = false;
        for (;;) {
            if (v.p[i] != ';' && read_pair(v, &i, &node, &quoted) < 0)
                return -1;
            while (i < v.len && is_ows(v.p[i]))
                i++;
            if (i >= v.len || v.p[i] == ',')
                break;
            if (v.p[i] != ';')
                return -1;
            for (i++; i < v.len && is_ows(v.p[i]); i++) {
            }
            if (i >= v.len || v.p[i] == ',')
                break; /* an empty pair ends the element */
        }
        if (append(c, node, quoted) < 0)
            return -1;
    }
}

/*
 * Gathers every line of field f into c, in order.  Returns the number of
 * lines, or -1 when the value is malformed or over a limit.
 */
static int gather(struct chain *c, const struct field *f, const struct http_header *h, size_t n)
{
    size_t name_len = strlen(f->name);
    int lines = 0;
    for (size_t i = 0; i < n; i++) {
        if (h[i].name.len != name_len || !http_slice_equals_nocase(h[i].name, f->name))
            continue;
        c->bytes += h[i].value.len + (lines > 0 ? 2 : 0);
        if (c->bytes > FORWARDED_VALUE_MAX)
            return -1;
        if ((f->rfc7239 ? split_forwarded(c, h[i].value) : split_list(c, h[i].value)) < 0)
            return -1;
        lines++;
    }
    return lines;
}

/* True when s[0..n) is ':' and a port: 1 to 5 digits. */
static bool is_port(const char *s, size_t n)
{
    if (n < 2 || n > 6 || s[0] != ':')
        return false;
    for (size_t i = 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* Reads a node's address: IPv4, IPv6, "[IPv6]", each with an optional ":port".  Returns true or false. */
static bool node_address(const char *s, size_t n, struct net_addr *a)
{
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL)
            return false;
        size_t inside = (size_t)(close - s) - 1, after = n - inside - 2;
        return (after == 0 || is_port(close + 1, after)) && memchr(s + 1, ':', inside) != NULL &&
               net_addr_parse(s + 1, inside, a);
    }
    const char *colon = memchr(s, ':', n);
    if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) == NULL) {
        size_t host = (size_t)(colon - s); /* one colon: IPv4 and a port */
        return is_port(colon, n - host) && net_addr_parse(s, host, a);
    }
    return net_addr_parse(s, n, a);
}

/* The address of c's node i, unquoting a quoted-string first.  Returns true or false. */
static bool chain_address(const struct chain *c, int i, struct net_addr *a)
{
    struct http_slice v = c->node[i];
    if (v.p == NULL)
        return false; /* an element without for= */
    if (!c->quoted[i])
        return node_address(v.p, v.len, a);
    char text[NODE_TEXT_MAX];
    size_t n = 0;
    for (size_t j = 1; j + 1 < v.len; j++) {
        if (v.p[j] == '\\')
            j++;
        if (n >= sizeof(text))
            return false;
        text[n++] = v.p[j];
    }
    return node_address(text, n, a);
}

/* Walks c from the right to the first address not in trusted (or the leftmost). */
static enum forwarded_result walk(const struct chain *c, const struct net_list *trusted, struct net_addr *client)
{
    struct net_addr a = {NET_NONE, {0}};
    for (int i = c->count - 1; i >= 0; i--) {
        if (!chain_address(c, i, &a))
            return FORWARDED_IGNORED; /* "unknown", an obfuscated node, or junk where we had to look */
        if (!net_list_contains(trusted, &a))
            break;
    }
    *client = a;
    return FORWARDED_RESOLVED;
}

/* Reads field f alone. */
static enum forwarded_result read_field(const struct net_list *trusted, const struct field *f,
                                        const struct http_header *h, size_t n, struct net_addr *client)
{
    struct chain c;
    c.count = 0;
    c.bytes = 0;
    int lines = gather(&c, f, h, n);
    if (lines < 0)
        return FORWARDED_IGNORED;
    if (c.count == 0)
        return FORWARDED_ABSENT;
    if (!f->single)
        return walk(&c, trusted, client);
    struct net_addr a;
    if (lines != 1 || c.count != 1 || !chain_address(&c, 0, &a))
        return FORWARDED_IGNORED;
    *client = a;
    return FORWARDED_RESOLVED;
}

enum forwarded_result forwarded_client(const struct net_list *trusted, enum forwarded_field which,
                                       const struct http_header *headers, size_t n, struct net_addr *client)
{
    if (which != FORWARDED_AUTO)
        return read_field(trusted, &fields[which], headers, n, client);
    for (int f = FORWARDED_RFC7239; f <= FORWARDED_REAL_IP; f++) {
        enum forwarded_result r = read_field(trusted, &fields[f], headers, n, client);
        if (r != FORWARDED_ABSENT)
            return r;
    }
    return FORWARDED_ABSENT;
}

bool request_id_acceptable(struct http_slice v)
{
    if (v.p == NULL || v.len == 0 || v.len > REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < v.len; i++) {
        char ch = v.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

struct http_slice forwarded_request_id(const struct http_header *headers, size_t n)
{
    struct http_slice id = {NULL, 0};
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (headers[i].name.len == 12 && http_slice_equals_nocase(headers[i].name, "x-request-id")) {
            id = headers[i].value;
            seen++;
        }
    }
    return seen == 1 && request_id_acceptable(id) ? id : (struct http_slice){NULL, 0};
}

void request_id_format(const uint64_t bits[2], char out[REQUEST_ID_HEX + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < REQUEST_ID_HEX; i++) {
        uint64_t word = bits[i / 16];
        out[i] = hex[(word >> (60 - 4 * (i % 16))) & 15];
    }
    out[REQUEST_ID_HEX] = '\0';
}

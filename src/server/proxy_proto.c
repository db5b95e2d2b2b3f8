/*
 * proxy_proto.c - see proxy_proto.h.
 */
#include "compat.h"

#include "proxy_proto.h"

#include <netinet/in.h>
#include <string.h>

/* Version 1 starts with this... */
static const char v1_prefix[] = "PROXY ";
/* ...version 2 with these 12 bytes, which no HTTP request can start with (a NUL in its fourth line). */
static const uint8_t v2_signature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

/* Version 2's fixed part: the signature, version and command, family and transport, length. */
#define V2_FIXED 16
/* Address block sizes: IPv4 (two addresses, two ports), IPv6. */
#define V2_INET_LEN  12
#define V2_INET6_LEN 36

/* Most fields of a version 1 line: PROXY, protocol, two addresses, two ports. */
#define V1_FIELDS 6

/* True when buf[0..len) is a prefix of want[0..want_len) (or holds it whole). */
static bool starts_like(const uint8_t *buf, size_t len, const void *want, size_t want_len)
{
    return memcmp(buf, want, len < want_len ? len : want_len) == 0;
}

enum proxy_sniff proxy_sniff(const uint8_t *buf, size_t len)
{
    if (starts_like(buf, len, v1_prefix, sizeof(v1_prefix) - 1))
        return len >= sizeof(v1_prefix) - 1 ? PROXY_SNIFF_YES : PROXY_SNIFF_MAYBE;
    if (starts_like(buf, len, v2_signature, sizeof(v2_signature)))
        return len >= sizeof(v2_signature) ? PROXY_SNIFF_YES : PROXY_SNIFF_MAYBE;
    return PROXY_SNIFF_NO;
}

/* Reads a decimal port (1 to 5 digits, at most 65535) from s[0..n).  Returns true or false. */
static bool v1_port(const char *s, size_t n, uint16_t *port)
{
    unsigned long v = 0;
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

/* Reads an address of the line's protocol (TCP4: no ':', TCP6: ':') from s[0..n). */
static bool v1_address(const char *s, size_t n, bool six, struct net_addr *a)
{
    return (memchr(s, ':', n) != NULL) == six && net_addr_parse(s, n, a);
}

/* Splits a line (no CRLF) at single spaces into at most V1_FIELDS fields; returns how many, -1 past that. */
static int v1_fields(const char *line, size_t len, const char *f[V1_FIELDS], size_t flen[V1_FIELDS])
{
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != ' ')
            continue;
        if (n == V1_FIELDS || i == start)
            return -1; /* too many fields, or two spaces in a row */
        f[n] = line + start;
        flen[n++] = i - start;
        start = i + 1;
    }
    return n;
}

/* Version 1: "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN ...\r\n". */
static int parse_v1(const uint8_t *buf, size_t len, struct proxy_info *out)
{
    size_t scan = len < PROXY_V1_MAX ? len : PROXY_V1_MAX;
    const uint8_t *lf = memchr(buf, '\n', scan);
    size_t upto = lf ? (size_t)(lf - buf) : scan;
    for (size_t i = 0; i < upto; i++) {
        if ((buf[i] < 0x20 && buf[i] != '\r') || buf[i] > 0x7e)
            return PROXY_MALFORMED; /* a text line, nothing else */
    }
    if (lf == NULL)
        return len >= PROXY_V1_MAX ? PROXY_MALFORMED : PROXY_INCOMPLETE;
    if (upto < 1 || buf[upto - 1] != '\r' || memchr(buf, '\r', upto - 1) != NULL)
        return PROXY_MALFORMED;
    const char *f[V1_FIELDS];
    size_t flen[V1_FIELDS];
    int n = v1_fields((const char *)buf, upto - 1, f, flen);
    int consumed = (int)upto + 1;
    *out = (struct proxy_info){.version = 1};
    if (n >= 2 && flen[1] == 7 && memcmp(f[1], "UNKNOWN", 7) == 0) {
        out->keep_peer = true; /* the balancer could not tell: whatever follows is ignored */
        return consumed;
    }
    bool six = n >= 2 && flen[1] == 4 && memcmp(f[1], "TCP6", 4) == 0;
    bool four = n >= 2 && flen[1] == 4 && memcmp(f[1], "TCP4", 4) == 0;
    struct net_addr dst;
    uint16_t dport;
    if (n != V1_FIELDS || !(four || six) || !v1_address(f[2], flen[2], six, &out->source) ||
        !v1_address(f[3], flen[3], six, &dst) || !v1_port(f[4], flen[4], &out->source_port) ||
        !v1_port(f[5], flen[5], &dport))
        return PROXY_MALFORMED;
    return consumed;
}

/* An address of version 2's block, as bytes in network order. */
static struct net_addr v2_address(const uint8_t *p, bool six)
{
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
    struct sockaddr_in s4 = {.sin_family = AF_INET};
    struct net_addr a = {NET_NONE, {0}};
    if (six) {
        memcpy(&s6.sin6_addr, p, 16);
        net_addr_from_sockaddr((const struct sockaddr *)&s6, &a); /* unmaps ::ffff:a.b.c.d */
    } else {
        memcpy(&s4.sin_addr, p, 4);
        net_addr_from_sockaddr((const struct sockaddr *)&s4, &a);
    }
    return a;
}

/* Version 2: the signature, then version/command, family/transport, a length, addresses, TLVs. */
static int parse_v2(const uint8_t *buf, size_t len, struct proxy_info *out)
{
    if (len < V2_FIXED)
        return PROXY_INCOMPLETE;
    int version = buf[12] >> 4, command = buf[12] & 0x0f, family = buf[13] >> 4, transport = buf[13] & 0x0f;
    size_t block = (size_t)buf[14] << 8 | buf[15];
    if (version != 2 || command > 1 || V2_FIXED + block > PROXY_V2_MAX)
        return PROXY_MALFORMED;
    if (len < V2_FIXED + block)
        return PROXY_INCOMPLETE;
    *out = (struct proxy_info){.version = 2};
    int consumed = (int)(V2_FIXED + block); /* the TLVs after the addresses are skipped */
    bool inet = family == 1 || family == 2;
    if (command == 0 || !inet || (transport != 1 && transport != 2)) {
        out->keep_peer = true; /* LOCAL (the balancer's own check), AF_UNIX, AF_UNSPEC, unknown */
        return consumed;
    }
    bool six = family == 2;
    if (block < (six ? V2_INET6_LEN : V2_INET_LEN))
        return PROXY_MALFORMED;
    const uint8_t *addr = buf + V2_FIXED;
    out->source = v2_address(addr, six);
    size_t ports = six ? 32 : 8; /* the two addresses come first */
    out->source_port = (uint16_t)(addr[ports] << 8 | addr[ports + 1]);
    return consumed;
}

size_t proxy_write_local(uint8_t out[PROXY_LOCAL_LEN])
{
    memcpy(out, v2_signature, sizeof(v2_signature));
    out[12] = 0x20; /* version 2, LOCAL */
    out[13] = 0x00; /* AF_UNSPEC, UNSPEC */
    out[14] = out[15] = 0;
    return PROXY_LOCAL_LEN;
}

int proxy_parse(const uint8_t *buf, size_t len, struct proxy_info *out)
{
    if (len == 0)
        return PROXY_INCOMPLETE;
    enum proxy_sniff s = proxy_sniff(buf, len);
    if (s == PROXY_SNIFF_NO)
        return PROXY_MALFORMED;
    if (s == PROXY_SNIFF_MAYBE)
        return PROXY_INCOMPLETE;
    return buf[0] == 'P' ? parse_v1(buf, len, out) : parse_v2(buf, len, out);
}

/*
 * netaddr.c - see netaddr.h.
 */
#include "compat.h"

#include "netaddr.h"

#include "optparse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* What "private" stands for: the RFC 1918 ranges and IPv6 unique local addresses (RFC 4193). */
static const char *const private_ranges[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"};

/* Keeps an IPv4-mapped IPv6 address as the IPv4 address it maps. */
static void unmap(struct net_addr *a)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (a->family == NET_IPV6 && memcmp(a->b, prefix, sizeof(prefix)) == 0) {
        memmove(a->b, a->b + 12, 4);
        memset(a->b + 4, 0, 12);
        a->family = NET_IPV4;
    }
}

bool net_addr_parse(const char *s, size_t len, struct net_addr *out)
{
    char text[NET_ADDR_TEXT_MAX];
    if (len == 0 || len >= sizeof(text) || memchr(s, '\0', len) != NULL)
        return false;
    memcpy(text, s, len);
    text[len] = '\0';
    struct net_addr a = {NET_NONE, {0}};
    if (inet_pton(AF_INET, text, a.b) == 1)
        a.family = NET_IPV4;
    else if (inet_pton(AF_INET6, text, a.b) == 1)
        a.family = NET_IPV6;
    else
        return false;
    unmap(&a);
    *out = a;
    return true;
}

bool net_addr_from_sockaddr(const struct sockaddr *sa, struct net_addr *out)
{
    struct net_addr a = {NET_NONE, {0}};
    if (sa->sa_family == AF_INET) {
        memcpy(a.b, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        a.family = NET_IPV4;
    } else if (sa->sa_family == AF_INET6) {
        memcpy(a.b, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        a.family = NET_IPV6;
    } else {
        return false;
    }
    unmap(&a);
    *out = a;
    return true;
}

void net_addr_format(const struct net_addr *a, char out[NET_ADDR_TEXT_MAX])
{
    out[0] = '\0';
    if (a->family == NET_IPV4)
        inet_ntop(AF_INET, a->b, out, NET_ADDR_TEXT_MAX);
    else if (a->family == NET_IPV6)
        inet_ntop(AF_INET6, a->b, out, NET_ADDR_TEXT_MAX);
}

bool net_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
    return a->family == b->family && a->family != NET_NONE && memcmp(a->b, b->b, a->family == NET_IPV4 ? 4 : 16) == 0;
}

/* True when the first bits of a and b are equal (both of one family). */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

/* Reads "ADDR" or "ADDR/BITS" into *r; returns 0, or -1 with why. */
static int parse_range(const char *item, struct net_range *r, char *why, size_t whylen)
{
    const char *slash = strchr(item, '/');
    size_t alen = slash ? (size_t)(slash - item) : strlen(item);
    if (!net_addr_parse(item, alen, &r->addr))
        return opt_expected(why, whylen,
                            "an IPv4 or IPv6 address or network (10.0.0.0/8, 192.0.2.7, fd00::/8), or private");
    bool mapped = slash != NULL && memchr(item, ':', alen) != NULL && r->addr.family == NET_IPV4;
    int max = r->addr.family == NET_IPV4 ? 32 : 128;
    long bits = max;
    if (slash != NULL && opt_int(slash + 1, mapped ? 96 : 0, mapped ? 128 : max, &bits) < 0)
        return opt_expected(why, whylen, "a prefix length %d..%d after '/'", mapped ? 96 : 0, mapped ? 128 : max);
    r->bits = (int)(mapped ? bits - 96 : bits); /* ::ffff:10.0.0.0/104 is 10.0.0.0/8 */
    struct net_range zero = {r->addr, r->bits};
    int width = max / 8;
    for (int i = 0; i < width; i++) {
        int kept = r->bits - i * 8; /* bits of byte i inside the prefix */
        zero.addr.b[i] = kept >= 8 ? zero.addr.b[i] : kept <= 0 ? 0 : (uint8_t)(zero.addr.b[i] & (0xff << (8 - kept)));
    }
    if (memcmp(zero.addr.b, r->addr.b, (size_t)width) != 0) {
        char net[NET_ADDR_TEXT_MAX];
        net_addr_format(&zero.addr, net);
        return opt_expected(why, whylen, "a network without host bits: %s/%d", net, r->bits);
    }
    return 0;
}

int net_list_parse_item(void *list, const char *item, char *why, size_t whylen)
{
    struct net_list *l = list;
    bool priv = strcmp(item, "private") == 0;
    int adding = priv ? (int)OTU_ARRAY_LEN(private_ranges) : 1;
    if (l->count + adding > NET_LIST_MAX)
        return opt_expected(why, whylen, "at most %d networks", NET_LIST_MAX);
    for (int i = 0; i < adding; i++) {
        if (parse_range(priv ? private_ranges[i] : item, &l->range[l->count], why, whylen) < 0)
            return -1;
        l->count++;
    }
    return 0;
}

void net_list_clear(void *list)
{
    ((struct net_list *)list)->count = 0;
}

bool net_list_contains(const struct net_list *l, const struct net_addr *a)
{
    for (int i = 0; i < l->count; i++) {
        const struct net_range *r = &l->range[i];
        if (r->addr.family == a->family && prefix_equal(r->addr.b, a->b, r->bits))
            return true;
    }
    return false;
}

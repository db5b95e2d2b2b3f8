/*
 * fuzz_forwarded.c - libFuzzer target: what a proxy (or a client pretending
 * to be one) passes on: Forwarded, X-Forwarded-For, X-Real-IP and
 * X-Request-Id values, and the addresses and --trusted-proxies items they
 * are read with.
 *
 * The input's first byte picks the field (--real-ip-header) and which names
 * the lines carry; the rest, split at NULs, gives up to four header values,
 * each in a buffer of exactly its length (ASan sees any read past it).
 * Whatever they are: a resolved client is an IPv4 or IPv6 address; the
 * answer does not depend on bytes after the values (the same values in
 * padded buffers answer the same); a kept request id is acceptable and lies
 * inside its value; an address that parses writes text that parses back to
 * it; a list item either adds networks within the bound or is refused.
 */
#include "compat.h"

#include "forwarded.h"
#include "netaddr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VALUES_MAX 4

static const char *const names[] = {"Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Request-Id"};

/* The answers for the header lines h (n): the result, the client's bytes and the id, folded into out. */
static void answers(const struct net_list *trusted, enum forwarded_field which, const struct http_header *h, size_t n,
                    uint8_t out[40])
{
    memset(out, 0, 40);
    struct net_addr client = {NET_NONE, {0}};
    enum forwarded_result r = forwarded_client(trusted, which, h, n, &client);
    if (r == FORWARDED_RESOLVED && client.family != NET_IPV4 && client.family != NET_IPV6)
        abort();
    if (r != FORWARDED_RESOLVED && client.family != NET_NONE)
        abort(); /* written only when resolved */
    out[0] = (uint8_t)r;
    out[1] = (uint8_t)client.family;
    memcpy(out + 2, client.b, 16);
    struct http_slice id = forwarded_request_id(h, n);
    if (id.p != NULL) {
        if (!request_id_acceptable(id))
            abort();
        bool inside = false;
        for (size_t i = 0; i < n; i++)
            inside |= id.p >= h[i].value.p && id.p + id.len <= h[i].value.p + h[i].value.len;
        if (!inside)
            abort();
        out[18] = (uint8_t)id.len;
    }
}

/* An address that parses formats to text that parses back to the same address. */
static void round_trip(const char *s, size_t len)
{
    struct net_addr a, b;
    char text[NET_ADDR_TEXT_MAX];
    if (!net_addr_parse(s, len, &a))
        return;
    net_addr_format(&a, text);
    if (!net_addr_parse(text, strlen(text), &b) || !net_addr_equal(&a, &b))
        abort();
}

/* One --trusted-proxies item (NUL-terminated copy): accepted within the bound, or refused with a reason. */
static void list_item(const char *s, size_t len)
{
    char item[128], why[200] = "";
    if (len >= sizeof(item))
        return;
    memcpy(item, s, len);
    item[len] = '\0';
    struct net_list l;
    net_list_clear(&l);
    int rc = net_list_parse_item(&l, item, why, sizeof(why));
    if ((rc == 0 && (l.count < 1 || l.count > NET_LIST_MAX)) || (rc != 0 && (l.count != 0 || why[0] == '\0')))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct net_list trusted;
    if (trusted.count == 0) {
        char why[200];
        net_list_parse_item(&trusted, "10.0.0.0/8", why, sizeof(why));
        net_list_parse_item(&trusted, "192.0.2.1", why, sizeof(why));
        net_list_parse_item(&trusted, "2001:db8::/32", why, sizeof(why));
    }
    if (size == 0)
        return 0;
    enum forwarded_field which = (enum forwarded_field)(data[0] % 4);
    unsigned name_bits = data[0] >> 2; /* two bits a line: which name it carries */
    struct http_header exact[VALUES_MAX], padded[VALUES_MAX];
    char *copies[2 * VALUES_MAX] = {NULL};
    size_t n = 0, at = 1;
    while (n < VALUES_MAX && at <= size) {
        const uint8_t *nul = memchr(data + at, 0, size - at);
        size_t vlen = nul ? (size_t)(nul - (data + at)) : size - at;
        const char *name = names[(name_bits >> (2 * n)) & 3];
        copies[2 * n] = malloc(vlen ? vlen : 1);
        copies[2 * n + 1] = malloc(vlen + 16);
        memcpy(copies[2 * n], data + at, vlen);
        memcpy(copies[2 * n + 1], data + at, vlen);
        memset(copies[2 * n + 1] + vlen, ',', 16);
        exact[n] = (struct http_header){{name, strlen(name)}, {copies[2 * n], vlen}};
        padded[n] = (struct http_header){{name, strlen(name)}, {copies[2 * n + 1], vlen}};
        round_trip(copies[2 * n], vlen);
        list_item(copies[2 * n], vlen);
        n++;
        at += vlen + 1;
    }
    uint8_t a[40], b[40];
    answers(&trusted, which, exact, n, a);
    answers(&trusted, which, padded, n, b);
    if (memcmp(a, b, sizeof(a)) != 0)
        abort();
    for (size_t i = 0; i < 2 * VALUES_MAX; i++)
        free(copies[i]);
    return 0;
}

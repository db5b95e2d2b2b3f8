/*
 * check_forwarded.c - who the client is behind trusted proxies, table by
 * table: --trusted-proxies items and matching (netaddr), the Forwarded,
 * X-Forwarded-For and X-Real-IP fields walked from the right, their limits,
 * and X-Request-Id (forwarded).  Each row names its case.
 */
#include "compat.h"

#include "forwarded.h"
#include "netaddr.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

/* The trusted proxies of every forwarded row: a network, one address, an IPv6 network. */
#define TRUSTED "10.0.0.0/8,192.0.2.1,2001:db8::/32"

/* Fills l from a comma-separated list of items (asserts each is accepted). */
static void list_of(struct net_list *l, const char *items)
{
    char copy[512], why[200];
    snprintf(copy, sizeof(copy), "%s", items);
    net_list_clear(l);
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
        ck_assert_msg(net_list_parse_item(l, item, why, sizeof(why)) == 0, "%s: %s", item, why);
}

/* Header lines from "Name: value\n..." (text must outlive them); returns how many. */
static size_t headers_of(char *text, struct http_header *h, size_t cap)
{
    size_t n = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && n < cap; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        ck_assert_ptr_nonnull(colon);
        char *v = colon + 1;
        while (*v == ' ')
            v++;
        h[n].name = (struct http_slice){line, (size_t)(colon - line)};
        h[n].value = (struct http_slice){v, strlen(v)};
        n++;
    }
    return n;
}

/* ---- netaddr: --trusted-proxies items ---- */

static const struct {
    const char *item;
    bool ok;
    int ranges; /* networks it adds */
} item_rows[] = {
    {"10.0.0.0/8", true, 1},   {"192.0.2.7", true, 1}, /* an address is a network of one */
    {"0.0.0.0/0", true, 1},    {"fd00::/8", true, 1},
    {"::1", true, 1},          {"::ffff:10.0.0.0/104", true, 1}, /* an IPv4-mapped network is the IPv4 one */
    {"private", true, 4},      {"10.0.0.1/8", false, 0},         /* host bits set */
    {"fd00::1/8", false, 0},   {"10.0.0.0/33", false, 0},
    {"10.0.0.0/", false, 0},   {"10.0.0.0/8/9", false, 0},
    {"10.0.0.0/-1", false, 0}, {"::ffff:10.0.0.0/95", false, 0},
    {"10.0.0", false, 0},      {"010.0.0.0/8", false, 0},  /* no octal-looking octets */
    {"example.com", false, 0}, {"fe80::1%eth0", false, 0}, /* no zones */
    {"[::1]", false, 0},       {"Private", false, 0},
};

START_TEST(test_list_items)
{
    struct net_list l;
    char why[200] = "";
    net_list_clear(&l);
    int rc = net_list_parse_item(&l, item_rows[_i].item, why, sizeof(why));
    ck_assert_msg((rc == 0) == item_rows[_i].ok, "%s: %d (%s)", item_rows[_i].item, rc, why);
    ck_assert_int_eq(l.count, item_rows[_i].ranges);
    if (!item_rows[_i].ok)
        ck_assert_msg(why[0] != '\0', "%s: a refusal says what is allowed", item_rows[_i].item);
}
END_TEST

START_TEST(test_list_errors_name_the_network)
{
    struct net_list l;
    char why[200];
    net_list_clear(&l);
    ck_assert_int_eq(net_list_parse_item(&l, "192.168.1.10/24", why, sizeof(why)), -1);
    ck_assert_msg(strstr(why, "192.168.1.0/24") != NULL, "%s", why);
}
END_TEST

START_TEST(test_list_bound)
{
    struct net_list l;
    char item[32], why[200];
    net_list_clear(&l);
    for (int i = 0; i < NET_LIST_MAX; i++) {
        snprintf(item, sizeof(item), "10.0.%d.0/24", i);
        ck_assert_int_eq(net_list_parse_item(&l, item, why, sizeof(why)), 0);
    }
    ck_assert_int_eq(net_list_parse_item(&l, "10.1.0.0/16", why, sizeof(why)), -1);
    ck_assert_int_eq(l.count, NET_LIST_MAX);
    net_list_clear(&l);
    ck_assert_int_eq(l.count, 0);
}
END_TEST

static const struct {
    const char *list, *addr;
    bool in;
} match_rows[] = {
    {"10.0.0.0/8", "10.255.1.2", true},
    {"10.0.0.0/8", "11.0.0.1", false},
    {"10.0.0.0/8", "::ffff:10.1.1.1", true}, /* a dual-stack socket's IPv4 client */
    {"172.16.0.0/12", "172.31.255.255", true},
    {"172.16.0.0/12", "172.32.0.0", false},
    {"192.0.2.7", "192.0.2.7", true},
    {"192.0.2.7", "192.0.2.8", false},
    {"private", "192.168.3.4", true},
    {"private", "fd12::1", true},
    {"private", "127.0.0.1", false}, /* loopback is not "private": a probe stays itself */
    {"private", "fe80::1", false},
    {"0.0.0.0/0", "203.0.113.9", true},
    {"0.0.0.0/0", "2001:db8::1", false}, /* families never mix */
    {"::/0", "203.0.113.9", false},
    {"::/0", "2001:db8::1", true},
    {"2001:db8::/33", "2001:db8:7fff::1", true},
    {"2001:db8::/33", "2001:db8:8000::1", false},
    {"::ffff:10.0.0.0/104", "10.9.9.9", true},
    {"10.0.0.0/8,fd00::/8", "fd00::5", true},
};

START_TEST(test_list_matching)
{
    struct net_list l;
    struct net_addr a;
    list_of(&l, match_rows[_i].list);
    ck_assert(net_addr_parse(match_rows[_i].addr, strlen(match_rows[_i].addr), &a));
    ck_assert_msg(net_list_contains(&l, &a) == match_rows[_i].in, "%s in %s", match_rows[_i].addr, match_rows[_i].list);
}
END_TEST

START_TEST(test_addresses)
{
    struct net_addr a;
    char text[NET_ADDR_TEXT_MAX];
    ck_assert(net_addr_parse("::ffff:192.0.2.7", 16, &a));
    ck_assert_int_eq(a.family, NET_IPV4);
    net_addr_format(&a, text);
    ck_assert_str_eq(text, "192.0.2.7");
    ck_assert(net_addr_parse("2001:DB8:0::1", 13, &a));
    net_addr_format(&a, text);
    ck_assert_str_eq(text, "2001:db8::1");
    ck_assert(net_addr_parse("192.0.2.7xyz", 9, &a)); /* only len bytes are read */
    ck_assert(!net_addr_parse("192.0.2.7\0", 10, &a));
    ck_assert(!net_addr_parse("", 0, &a));
    ck_assert(!net_addr_parse("1111:2222:3333:4444:5555:6666:7777:8888:9999", 44, &a));
    struct net_addr b;
    ck_assert(net_addr_parse("192.0.2.7", 9, &b));
    ck_assert(net_addr_equal(&a, &b));
    struct net_addr none = {NET_NONE, {0}};
    net_addr_format(&none, text);
    ck_assert_str_eq(text, "");
}
END_TEST

/* ---- forwarded: the client ---- */

#define IGN FORWARDED_IGNORED
#define ABS FORWARDED_ABSENT
#define RES FORWARDED_RESOLVED

static const struct {
    const char *name;
    enum forwarded_field which;
    const char *headers;
    enum forwarded_result want;
    const char *client; /* when RES */
} client_rows[] = {
    {"no field", FORWARDED_AUTO, "Host: x", ABS, NULL},
    {"xff: one address", FORWARDED_AUTO, "X-Forwarded-For: 203.0.113.5", RES, "203.0.113.5"},
    {"xff: a trusted hop is stepped over", FORWARDED_AUTO, "X-Forwarded-For: 203.0.113.5, 10.0.0.2", RES,
     "203.0.113.5"},
    {"xff: a spoofed start is never reached", FORWARDED_AUTO, "X-Forwarded-For: 6.6.6.6, 203.0.113.5, 10.0.0.2", RES,
     "203.0.113.5"},
    {"xff: every hop trusted: the leftmost", FORWARDED_AUTO, "X-Forwarded-For: 10.0.0.3, 192.0.2.1", RES, "10.0.0.3"},
    {"xff: junk left of the client is never read", FORWARDED_AUTO, "X-Forwarded-For: <script>, 203.0.113.5", RES,
     "203.0.113.5"},
    {"xff: junk where the walk looks", FORWARDED_AUTO, "X-Forwarded-For: 203.0.113.5, junk", IGN, NULL},
    {"xff: unknown where the walk looks", FORWARDED_AUTO, "X-Forwarded-For: unknown, 10.0.0.2", IGN, NULL},
    {"xff: two lines are one list", FORWARDED_AUTO, "X-Forwarded-For: 6.6.6.6\nX-Forwarded-For: 203.0.113.5, 10.0.0.2",
     RES, "203.0.113.5"},
    {"xff: name in any case", FORWARDED_AUTO, "x-FORWARDED-for: 203.0.113.5", RES, "203.0.113.5"},
    {"xff: IPv4 with a port", FORWARDED_AUTO, "X-Forwarded-For: 203.0.113.5:4711", RES, "203.0.113.5"},
    {"xff: bracketed IPv6 with a port", FORWARDED_AUTO, "X-Forwarded-For: [2001:db9::1]:80", RES, "2001:db9::1"},
    {"xff: bracketed IPv6", FORWARDED_AUTO, "X-Forwarded-For: [2001:db9::1]", RES, "2001:db9::1"},
    {"xff: bare IPv6", FORWARDED_AUTO, "X-Forwarded-For: 2001:db9::1, 2001:db8::5", RES, "2001:db9::1"},
    {"xff: IPv4-mapped", FORWARDED_AUTO, "X-Forwarded-For: ::ffff:203.0.113.5", RES, "203.0.113.5"},
    {"xff: a trusted IPv4-mapped hop", FORWARDED_AUTO, "X-Forwarded-For: 203.0.113.5, ::ffff:10.1.2.3", RES,
     "203.0.113.5"},
    {"xff: empty items skipped", FORWARDED_AUTO, "X-Forwarded-For:  , ,203.0.113.5 ,", RES, "203.0.113.5"},
    {"xff: empty value is absent", FORWARDED_AUTO, "X-Forwarded-For: ", ABS, NULL},
    {"xff: a zone", FORWARDED_AUTO, "X-Forwarded-For: fe80::1%eth0", IGN, NULL},
    {"xff: unclosed bracket", FORWARDED_AUTO, "X-Forwarded-For: [2001:db9::1", IGN, NULL},
    {"xff: IPv4 in brackets", FORWARDED_AUTO, "X-Forwarded-For: [203.0.113.5]", IGN, NULL},
    {"xff: empty port", FORWARDED_AUTO, "X-Forwarded-For: 203.0.113.5:", IGN, NULL},
    {"xff: six-digit port", FORWARDED_AUTO, "X-Forwarded-For: 203.0.113.5:123456", IGN, NULL},
    {"xff: junk after brackets", FORWARDED_AUTO, "X-Forwarded-For: [2001:db9::1]x", IGN, NULL},
    {"xff: a name, not an address", FORWARDED_AUTO, "X-Forwarded-For: client.example", IGN, NULL},
    {"forwarded: for=", FORWARDED_AUTO, "Forwarded: for=203.0.113.5", RES, "203.0.113.5"},
    {"forwarded: RFC 7239's example", FORWARDED_AUTO, "Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43", RES,
     "192.0.2.60"},
    {"forwarded: quoted IPv6 and port", FORWARDED_AUTO, "Forwarded: For=\"[2001:db9:cafe::17]:4711\"", RES,
     "2001:db9:cafe::17"},
    {"forwarded: quoted IPv4 and port", FORWARDED_AUTO, "Forwarded: for=\"203.0.113.5:80\"", RES, "203.0.113.5"},
    {"forwarded: a trusted hop", FORWARDED_AUTO, "Forwarded: for=203.0.113.5, for=10.0.0.2", RES, "203.0.113.5"},
    {"forwarded: a spoofed start", FORWARDED_AUTO,
     "Forwarded: for=\"6.6.6.6\", for=203.0.113.5;proto=https, for=\"10.0.0.2\"", RES, "203.0.113.5"},
    {"forwarded: two lines", FORWARDED_AUTO, "Forwarded: for=6.6.6.6\nForwarded: for=203.0.113.5, for=192.0.2.1", RES,
     "203.0.113.5"},
    {"forwarded: pair order", FORWARDED_AUTO, "Forwarded: by=10.0.0.2;proto=https;for=203.0.113.5", RES, "203.0.113.5"},
    {"forwarded: empty pairs and spaces", FORWARDED_AUTO, "Forwarded: for=203.0.113.5 ;; proto=http ;", RES,
     "203.0.113.5"},
    {"forwarded: quoted-pair escapes", FORWARDED_AUTO, "Forwarded: for=\"\\[2001:db9::1\\]\"", RES, "2001:db9::1"},
    {"forwarded: a comma inside quotes", FORWARDED_AUTO, "Forwarded: for=\"203.0.113.5, 10.0.0.2\"", IGN, NULL},
    {"forwarded: unknown where the walk looks", FORWARDED_AUTO, "Forwarded: for=unknown, for=10.0.0.2", IGN, NULL},
    {"forwarded: an obfuscated node", FORWARDED_AUTO, "Forwarded: for=_hidden", IGN, NULL},
    {"forwarded: unknown left of the client", FORWARDED_AUTO, "Forwarded: for=unknown, for=203.0.113.5", RES,
     "203.0.113.5"},
    {"forwarded: for= twice in an element", FORWARDED_AUTO, "Forwarded: for=203.0.113.5;for=1.1.1.1", IGN, NULL},
    {"forwarded: an unclosed quote", FORWARDED_AUTO, "Forwarded: for=\"203.0.113.5", IGN, NULL},
    {"forwarded: an element without for=", FORWARDED_AUTO, "Forwarded: proto=https", IGN, NULL},
    {"forwarded: a port needs quotes", FORWARDED_AUTO, "Forwarded: for=203.0.113.5:80", IGN, NULL},
    {"forwarded: no value", FORWARDED_AUTO, "Forwarded: for=", IGN, NULL},
    {"forwarded: no '='", FORWARDED_AUTO, "Forwarded: for", IGN, NULL},
    {"forwarded: junk anywhere", FORWARDED_AUTO, "Forwarded: @@@, for=203.0.113.5", IGN, NULL},
    {"forwarded: empty elements", FORWARDED_AUTO, "Forwarded: , for=203.0.113.5 , ", RES, "203.0.113.5"},
    {"forwarded: a control byte in quotes", FORWARDED_AUTO, "Forwarded: for=\"203.0.113.5\x01\"", IGN, NULL},
    {"auto: Forwarded before X-Forwarded-For", FORWARDED_AUTO,
     "X-Forwarded-For: 198.51.100.1\nForwarded: for=203.0.113.5", RES, "203.0.113.5"},
    {"auto: a broken Forwarded is not skipped", FORWARDED_AUTO, "Forwarded: for=\"oops\nX-Forwarded-For: 198.51.100.1",
     IGN, NULL},
    {"auto: X-Forwarded-For before X-Real-IP", FORWARDED_AUTO, "X-Real-IP: 198.51.100.1\nX-Forwarded-For: 203.0.113.5",
     RES, "203.0.113.5"},
    {"auto: X-Real-IP alone", FORWARDED_AUTO, "X-Real-IP: 203.0.113.5", RES, "203.0.113.5"},
    {"x-forwarded-for: Forwarded not read", FORWARDED_XFF,
     "Forwarded: for=6.6.6.6\nX-Forwarded-For: 203.0.113.5, 10.0.0.2", RES, "203.0.113.5"},
    {"x-forwarded-for: absent", FORWARDED_XFF, "Forwarded: for=6.6.6.6", ABS, NULL},
    {"forwarded: X-Forwarded-For not read", FORWARDED_RFC7239, "X-Forwarded-For: 6.6.6.6", ABS, NULL},
    {"x-real-ip: as it is, even a trusted address", FORWARDED_REAL_IP, "X-Real-IP: 10.9.9.9", RES, "10.9.9.9"},
    {"x-real-ip: a list", FORWARDED_REAL_IP, "X-Real-IP: 203.0.113.5, 10.0.0.2", IGN, NULL},
    {"x-real-ip: two lines", FORWARDED_REAL_IP, "X-Real-IP: 203.0.113.5\nX-Real-IP: 203.0.113.6", IGN, NULL},
    {"x-real-ip: junk", FORWARDED_REAL_IP, "X-Real-IP: somewhere", IGN, NULL},
    {"x-real-ip: X-Forwarded-For not read", FORWARDED_REAL_IP, "X-Forwarded-For: 203.0.113.5", ABS, NULL},
};

START_TEST(test_client)
{
    struct net_list trusted;
    list_of(&trusted, TRUSTED);
    char text[1024];
    snprintf(text, sizeof(text), "%s", client_rows[_i].headers);
    struct http_header h[8];
    size_t n = headers_of(text, h, OTU_ARRAY_LEN(h));
    struct net_addr client = {NET_NONE, {0}};
    enum forwarded_result got = forwarded_client(&trusted, client_rows[_i].which, h, n, &client);
    char shown[NET_ADDR_TEXT_MAX];
    net_addr_format(&client, shown);
    ck_assert_msg(got == client_rows[_i].want, "%s: result %d, want %d (%s)", client_rows[_i].name, got,
                  client_rows[_i].want, shown);
    if (got == RES)
        ck_assert_msg(strcmp(shown, client_rows[_i].client) == 0, "%s: %s", client_rows[_i].name, shown);
    else
        ck_assert_msg(client.family == NET_NONE, "%s: the client is written only when resolved", client_rows[_i].name);
}
END_TEST

/* A chain of hops addresses, the first 203.0.113.5 and the rest trusted 10.0.0.x, in one field of name. */
static size_t chain_header(char *buf, size_t cap, const char *name, int hops)
{
    size_t n = (size_t)snprintf(buf, cap, "%s: %s203.0.113.5", name, strcmp(name, "Forwarded") == 0 ? "for=" : "");
    for (int i = 1; i < hops; i++)
        n += (size_t)snprintf(buf + n, cap - n, ", %s10.0.0.%d", strcmp(name, "Forwarded") == 0 ? "for=" : "", i % 250);
    return n;
}

START_TEST(test_chain_bound)
{
    static const char *const names[] = {"X-Forwarded-For", "Forwarded"};
    struct net_list trusted;
    list_of(&trusted, TRUSTED);
    for (size_t f = 0; f < OTU_ARRAY_LEN(names); f++) {
        for (int hops = FORWARDED_HOPS_MAX - 1; hops <= FORWARDED_HOPS_MAX + 1; hops++) {
            char text[2048];
            chain_header(text, sizeof(text), names[f], hops);
            struct http_header h[1];
            headers_of(text, h, 1);
            struct net_addr client = {NET_NONE, {0}};
            enum forwarded_result got = forwarded_client(&trusted, FORWARDED_AUTO, h, 1, &client);
            ck_assert_msg(got == (hops <= FORWARDED_HOPS_MAX ? RES : IGN), "%s with %d hops: %d", names[f], hops, got);
        }
    }
}
END_TEST

START_TEST(test_length_bound)
{
    struct net_list trusted;
    list_of(&trusted, TRUSTED);
    static const char name[] = "X-Forwarded-For", last[] = "203.0.113.5";
    static char first[FORWARDED_VALUE_MAX + 8];
    /* two lines, joined by ", ": exactly the limit, then one byte more (the first padded with spaces) */
    for (size_t extra = 0; extra <= 1; extra++) {
        size_t first_len = FORWARDED_VALUE_MAX + extra - 2 - strlen(last);
        memset(first, ' ', first_len);
        memcpy(first, "6.6.6.6", 7);
        struct http_header h[2] = {{{name, strlen(name)}, {first, first_len}},
                                   {{name, strlen(name)}, {last, strlen(last)}}};
        struct net_addr client;
        enum forwarded_result got = forwarded_client(&trusted, FORWARDED_AUTO, h, 2, &client);
        ck_assert_msg(got == (extra ? IGN : RES), "%zu bytes: %d", (size_t)FORWARDED_VALUE_MAX + extra, got);
    }
}
END_TEST

/* ---- X-Request-Id ---- */

static const struct {
    const char *headers;
    const char *kept; /* NULL: none kept, a new id is made */
} id_rows[] = {
    {"X-Request-Id: abc-123_X.y", "abc-123_X.y"},
    {"x-request-id: 0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e"},
    {"X-Request-Id: has space", NULL},
    {"X-Request-Id: semi;colon", NULL},
    {"X-Request-Id: caf\xc3\xa9", NULL},
    {"X-Request-Id: ", NULL},
    {"X-Request-Id: one\nX-Request-Id: two", NULL}, /* which one? neither */
    {"X-Request-Ids: abc", NULL},
    {"Host: x", NULL},
};

START_TEST(test_request_id_kept)
{
    char text[512];
    snprintf(text, sizeof(text), "%s", id_rows[_i].headers);
    struct http_header h[4];
    size_t n = headers_of(text, h, OTU_ARRAY_LEN(h));
    struct http_slice id = forwarded_request_id(h, n);
    if (id_rows[_i].kept == NULL) {
        ck_assert_msg(id.p == NULL, "%s: kept '%.*s'", id_rows[_i].headers, (int)id.len, id.p);
    } else {
        ck_assert_ptr_nonnull(id.p);
        ck_assert_uint_eq(id.len, strlen(id_rows[_i].kept));
        ck_assert(memcmp(id.p, id_rows[_i].kept, id.len) == 0);
    }
}
END_TEST

START_TEST(test_request_id_bounds)
{
    char id[REQUEST_ID_MAX + 2];
    memset(id, 'a', sizeof(id));
    ck_assert(request_id_acceptable((struct http_slice){id, REQUEST_ID_MAX}));
    ck_assert(!request_id_acceptable((struct http_slice){id, REQUEST_ID_MAX + 1}));
    ck_assert(!request_id_acceptable((struct http_slice){id, 0}));
    ck_assert(!request_id_acceptable((struct http_slice){NULL, 0}));
    const uint64_t bits[2] = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};
    char out[REQUEST_ID_HEX + 1];
    request_id_format(bits, out);
    ck_assert_str_eq(out, "0123456789abcdeffedcba9876543210");
    ck_assert(request_id_acceptable((struct http_slice){out, strlen(out)}));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("forwarded");
    TCase *tc = tcase_create("forwarded");
    tcase_add_loop_test(tc, test_list_items, 0, (int)OTU_ARRAY_LEN(item_rows));
    tcase_add_test(tc, test_list_errors_name_the_network);
    tcase_add_test(tc, test_list_bound);
    tcase_add_loop_test(tc, test_list_matching, 0, (int)OTU_ARRAY_LEN(match_rows));
    tcase_add_test(tc, test_addresses);
    tcase_add_loop_test(tc, test_client, 0, (int)OTU_ARRAY_LEN(client_rows));
    tcase_add_test(tc, test_chain_bound);
    tcase_add_test(tc, test_length_bound);
    tcase_add_loop_test(tc, test_request_id_kept, 0, (int)OTU_ARRAY_LEN(id_rows));
    tcase_add_test(tc, test_request_id_bounds);
    suite_add_tcase(s, tc);
    return check_run(s);
}

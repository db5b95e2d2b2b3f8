/*
 * check_proxy_proto.c - the PROXY protocol header, versions 1 and 2: each
 * row a header (or the start of one) and what the specification says it
 * is; every prefix of a valid header is "incomplete"; bounds at their edge;
 * the sniffing that refuses a header from a peer that may not send one.
 */
#include "compat.h"

#include "netaddr.h"
#include "proxy_proto.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#define OK_V1(line, src, port)                        \
    {                                                 \
        line, (int)sizeof(line) - 1, false, src, port \
    }
#define LOCAL_V1(line)                             \
    {                                              \
        line, (int)sizeof(line) - 1, true, NULL, 0 \
    }
#define BAD(line)                             \
    {                                         \
        line, PROXY_MALFORMED, false, NULL, 0 \
    }
#define PARTIAL(line)                          \
    {                                          \
        line, PROXY_INCOMPLETE, false, NULL, 0 \
    }

/* The specification's longest version 1 line: 107 bytes with CRLF. */
#define V1_LONGEST \
    "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"

static const struct {
    const char *text;
    int rc; /* bytes taken, or PROXY_MALFORMED / PROXY_INCOMPLETE */
    bool keep_peer;
    const char *source;
    int port;
} v1_rows[] = {
    OK_V1("PROXY TCP4 192.0.2.1 198.51.100.2 5678 80\r\n", "192.0.2.1", 5678),
    OK_V1("PROXY TCP6 2001:db8::1 2001:db8::2 65535 0\r\n", "2001:db8::1", 65535),
    OK_V1("PROXY TCP6 ::ffff:192.0.2.1 ::ffff:198.51.100.2 1 80\r\n", "192.0.2.1", 1), /* dual-stack */
    LOCAL_V1("PROXY UNKNOWN\r\n"),
    LOCAL_V1(V1_LONGEST),
    PARTIAL("PROXY TCP4 192.0.2.1 198.51.100.2 5678 80"),
    PARTIAL("PROXY TCP4 192.0.2.1 198.51.100.2 5678 80\r"),
    PARTIAL("PROX"),
    PARTIAL(""),
    BAD("PROXY TCP4 192.0.2.1 198.51.100.2 5678 80\n"),           /* a bare LF */
    BAD("PROXY TCP4 192.0.2.1 198.51.100.2 5678 80\r\r\n"),       /* a CR inside */
    BAD("PROXY TCP4 2001:db8::1 2001:db8::2 5678 80\r\n"),        /* the family says IPv4 */
    BAD("PROXY TCP6 192.0.2.1 198.51.100.2 5678 80\r\n"),         /* ...IPv6 */
    BAD("PROXY TCP4 ::ffff:192.0.2.1 198.51.100.2 5678 80\r\n"),  /* IPv4 is dotted only */
    BAD("PROXY TCP4 192.0.2.1 198.51.100.2 5678 65536\r\n"),      /* port out of range */
    BAD("PROXY TCP4 192.0.2.1 198.51.100.2 056789 80\r\n"),       /* six digits */
    BAD("PROXY TCP4 192.0.2.1 198.51.100.2 -1 80\r\n"),           /* sign */
    BAD("PROXY TCP4 192.0.2.1  198.51.100.2 5678 80\r\n"),        /* two spaces */
    BAD("PROXY TCP4 192.0.2.1 198.51.100.2 5678\r\n"),            /* a field short */
    BAD("PROXY TCP4 192.0.2.1 198.51.100.2 5678 80 9\r\n"),       /* a field more */
    BAD("PROXY TCP4 192.0.2.1 198.51.100.2 5678 80 \r\n"),        /* a trailing space */
    BAD("PROXY TCP5 192.0.2.1 198.51.100.2 5678 80\r\n"),         /* no such protocol */
    BAD("PROXY tcp4 192.0.2.1 198.51.100.2 5678 80\r\n"),         /* upper case only */
    BAD("PROXY TCP4 192.0.2.256 198.51.100.2 5678 80\r\n"),       /* not an address */
    BAD("PROXY TCP4 example.com 198.51.100.2 5678 80\r\n"),       /* a name */
    BAD("PROXY \r\n"),                                            /* nothing */
    BAD("PROXY TCP4 192.0.2.1\x01 198.51.100.2 5678 80\r\n"),     /* a control byte */
    BAD("PROXY TCP4 192.0.2.1\xc3\xa9 198.51.100.2 5678 80\r\n"), /* not ASCII */
    BAD("PROXZ TCP4"),                                            /* not the prefix */
    BAD("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),                     /* a request */
    BAD("\x16\x03\x01\x02\x00"),                                  /* a TLS hello */
};

START_TEST(test_v1)
{
    struct proxy_info pi;
    memset(&pi, 0, sizeof(pi));
    const char *t = v1_rows[_i].text;
    int rc = proxy_parse((const uint8_t *)t, strlen(t), &pi);
    ck_assert_msg(rc == v1_rows[_i].rc, "'%s': %d, want %d", t, rc, v1_rows[_i].rc);
    if (rc <= 0)
        return;
    ck_assert_int_eq(pi.version, 1);
    ck_assert_msg(pi.keep_peer == v1_rows[_i].keep_peer, "'%s'", t);
    if (!pi.keep_peer) {
        char text[NET_ADDR_TEXT_MAX];
        net_addr_format(&pi.source, text);
        ck_assert_str_eq(text, v1_rows[_i].source);
        ck_assert_int_eq(pi.source_port, v1_rows[_i].port);
    }
}
END_TEST

START_TEST(test_v1_length_bound)
{
    char line[PROXY_V1_MAX + 2];
    memset(line, 'x', sizeof(line));
    memcpy(line, "PROXY UNKNOWN ", 14);
    struct proxy_info pi;
    ck_assert_int_eq(proxy_parse((const uint8_t *)line, PROXY_V1_MAX - 1, &pi), PROXY_INCOMPLETE);
    ck_assert_int_eq(proxy_parse((const uint8_t *)line, PROXY_V1_MAX, &pi), PROXY_MALFORMED); /* no LF in 107 */
    memcpy(line + PROXY_V1_MAX - 2, "\r\n", 2);
    ck_assert_int_eq(proxy_parse((const uint8_t *)line, PROXY_V1_MAX + 2, &pi), PROXY_V1_MAX);
    memcpy(line + PROXY_V1_MAX - 2, "xx\r\n", 4);
    ck_assert_int_eq(proxy_parse((const uint8_t *)line, PROXY_V1_MAX + 2, &pi), PROXY_MALFORMED); /* 109 bytes */
}
END_TEST

/* Writes a version 2 header: ver_cmd, fam, the address block (len bytes of pattern), tlv more bytes. */
static size_t v2(uint8_t *out, uint8_t ver_cmd, uint8_t fam, const uint8_t *block, size_t block_len, size_t tlv)
{
    static const uint8_t sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
    memcpy(out, sig, 12);
    out[12] = ver_cmd;
    out[13] = fam;
    size_t len = block_len + tlv;
    out[14] = (uint8_t)(len >> 8);
    out[15] = (uint8_t)len;
    if (block_len > 0)
        memcpy(out + 16, block, block_len);
    memset(out + 16 + block_len, 0xee, tlv); /* TLVs are skipped whatever they hold */
    return 16 + len;
}

/* 192.0.2.1:5678 -> 198.51.100.2:80 */
static const uint8_t inet_block[12] = {192, 0, 2, 1, 198, 51, 100, 2, 0x16, 0x2e, 0, 80};
/* [2001:db8::1]:443 -> [2001:db8::2]:80 */
static const uint8_t inet6_block[36] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    1,    0x20, 0x01,
                                        0x0d, 0xb8, 0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x01, 0xbb, 0,    80};
/* [::ffff:192.0.2.9]:1 -> ... */
static const uint8_t mapped_block[36] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 9, [32] = 0, 1};

static const struct {
    const char *name;
    uint8_t ver_cmd, fam;
    const uint8_t *block;
    size_t block_len, tlv;
    bool ok, keep_peer;
    const char *source;
    int port;
} v2_rows[] = {
    {"PROXY TCP4", 0x21, 0x11, inet_block, 12, 0, true, false, "192.0.2.1", 5678},
    {"PROXY UDP4", 0x21, 0x12, inet_block, 12, 0, true, false, "192.0.2.1", 5678},
    {"PROXY TCP6", 0x21, 0x21, inet6_block, 36, 0, true, false, "2001:db8::1", 443},
    {"PROXY TCP6, IPv4-mapped", 0x21, 0x21, mapped_block, 36, 0, true, false, "192.0.2.9", 1},
    {"PROXY TCP4 with TLVs", 0x21, 0x11, inet_block, 12, 40, true, false, "192.0.2.1", 5678},
    {"PROXY TCP4 with TLVs up to the bound", 0x21, 0x11, inet_block, 12, PROXY_V2_MAX - 16 - 12, true, false,
     "192.0.2.1", 5678},
    {"LOCAL", 0x20, 0x00, NULL, 0, 0, true, true, NULL, 0},
    {"LOCAL with addresses", 0x20, 0x11, inet_block, 12, 0, true, true, NULL, 0},
    {"PROXY UNSPEC", 0x21, 0x00, NULL, 0, 0, true, true, NULL, 0},
    {"PROXY AF_UNIX", 0x21, 0x31, inet6_block, 36, 180, true, true, NULL, 0},
    {"PROXY an unknown family", 0x21, 0x41, inet_block, 12, 0, true, true, NULL, 0},
    {"PROXY an unknown transport", 0x21, 0x13, inet_block, 12, 0, true, true, NULL, 0},
    {"TCP4 block too short", 0x21, 0x11, inet_block, 11, 0, false, false, NULL, 0},
    {"TCP6 block too short", 0x21, 0x21, inet6_block, 35, 0, false, false, NULL, 0},
    {"TLVs past the bound", 0x21, 0x11, inet_block, 12, PROXY_V2_MAX - 16 - 12 + 1, false, false, NULL, 0},
    {"version 1 in the binary form", 0x11, 0x11, inet_block, 12, 0, false, false, NULL, 0},
    {"version 3", 0x31, 0x11, inet_block, 12, 0, false, false, NULL, 0},
    {"command 2", 0x22, 0x11, inet_block, 12, 0, false, false, NULL, 0},
};

START_TEST(test_v2)
{
    static uint8_t buf[70000];
    size_t len =
        v2(buf, v2_rows[_i].ver_cmd, v2_rows[_i].fam, v2_rows[_i].block, v2_rows[_i].block_len, v2_rows[_i].tlv);
    memcpy(buf + len, "GET / HTTP/1.1\r\n", 16); /* the client's bytes follow */
    struct proxy_info pi;
    int rc = proxy_parse(buf, len + 16, &pi);
    if (!v2_rows[_i].ok) {
        ck_assert_msg(rc == PROXY_MALFORMED, "%s: %d", v2_rows[_i].name, rc);
        return;
    }
    ck_assert_msg(rc == (int)len, "%s: %d, want %zu", v2_rows[_i].name, rc, len);
    ck_assert_int_eq(pi.version, 2);
    ck_assert_msg(pi.keep_peer == v2_rows[_i].keep_peer, "%s", v2_rows[_i].name);
    if (!pi.keep_peer) {
        char text[NET_ADDR_TEXT_MAX];
        net_addr_format(&pi.source, text);
        ck_assert_str_eq(text, v2_rows[_i].source);
        ck_assert_int_eq(pi.source_port, v2_rows[_i].port);
    }
    /* every shorter prefix is a valid beginning */
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_msg(proxy_parse(buf, cut, &pi) == PROXY_INCOMPLETE, "%s cut at %zu", v2_rows[_i].name, cut);
}
END_TEST

START_TEST(test_v1_prefixes)
{
    static const char line[] = "PROXY TCP6 2001:db8::1 2001:db8::2 65535 80\r\n";
    struct proxy_info pi;
    for (size_t cut = 0; cut < sizeof(line) - 1; cut++)
        ck_assert_msg(proxy_parse((const uint8_t *)line, cut, &pi) == PROXY_INCOMPLETE, "cut at %zu", cut);
    ck_assert_int_eq(proxy_parse((const uint8_t *)line, sizeof(line) - 1, &pi), (int)sizeof(line) - 1);
}
END_TEST

START_TEST(test_v2_bad_signature)
{
    uint8_t buf[64];
    size_t len = v2(buf, 0x21, 0x11, inet_block, 12, 0);
    struct proxy_info pi;
    for (size_t i = 0; i < 12; i++) {
        buf[i] ^= 0x40;
        ck_assert_msg(proxy_parse(buf, len, &pi) == PROXY_MALFORMED, "byte %zu of the signature changed", i);
        buf[i] ^= 0x40;
    }
    ck_assert_int_eq(proxy_parse(buf, len, &pi), (int)len);
}
END_TEST

START_TEST(test_write_local)
{
    uint8_t buf[PROXY_LOCAL_LEN + 4];
    ck_assert_uint_eq(proxy_write_local(buf), PROXY_LOCAL_LEN);
    struct proxy_info pi;
    ck_assert_int_eq(proxy_parse(buf, PROXY_LOCAL_LEN, &pi), PROXY_LOCAL_LEN);
    ck_assert(pi.keep_peer);
    ck_assert_int_eq(pi.version, 2);
}
END_TEST

static const struct {
    const char *bytes;
    size_t len;
    enum proxy_sniff want;
} sniff_rows[] = {
    {"PROXY TCP4 ", 11, PROXY_SNIFF_YES},
    {"PROXY ", 6, PROXY_SNIFF_YES},
    {"PROX", 4, PROXY_SNIFF_MAYBE},
    {"P", 1, PROXY_SNIFF_MAYBE},
    {"PROXYZ", 6, PROXY_SNIFF_NO},
    {"POST / HTTP/1.1", 15, PROXY_SNIFF_NO},
    {"GET / HTTP/1.1", 14, PROXY_SNIFF_NO},
    {"\r\n\r\n\0\r\nQUIT\n!", 13, PROXY_SNIFF_YES},
    {"\r\n\r\n\0\r\nQUIT\n", 12, PROXY_SNIFF_YES},
    {"\r\n\r\n\0", 5, PROXY_SNIFF_MAYBE},
    {"\r\n", 2, PROXY_SNIFF_MAYBE},     /* empty lines before a request line: wait and see */
    {"\r\n\r\nGET", 7, PROXY_SNIFF_NO}, /* ...then a request */
    {"\r\nGET", 5, PROXY_SNIFF_NO},
};

START_TEST(test_sniff)
{
    ck_assert_int_eq(proxy_sniff((const uint8_t *)sniff_rows[_i].bytes, sniff_rows[_i].len), sniff_rows[_i].want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proxy_proto");
    TCase *tc = tcase_create("proxy_proto");
    tcase_add_loop_test(tc, test_v1, 0, (int)OTU_ARRAY_LEN(v1_rows));
    tcase_add_test(tc, test_v1_length_bound);
    tcase_add_test(tc, test_v1_prefixes);
    tcase_add_loop_test(tc, test_v2, 0, (int)OTU_ARRAY_LEN(v2_rows));
    tcase_add_test(tc, test_v2_bad_signature);
    tcase_add_test(tc, test_write_local);
    tcase_add_loop_test(tc, test_sniff, 0, (int)OTU_ARRAY_LEN(sniff_rows));
    suite_add_tcase(s, tc);
    return check_run(s);
}

/*
 * check_accept_coding.c - Accept-Encoding negotiation (RFC 9110, section
 * 12.5.3), table by table: a field value, the server's offer in its order,
 * and the coding the section says is sent.
 */
#include "compat.h"

#include "accept_coding.h"

#include "check_run.h"

#include <check.h>
#include <string.h>

/* A slice over s; absent for NULL. */
static struct http_slice sl(const char *s)
{
    struct http_slice v = {s, s ? strlen(s) : 0};
    return v;
}

static const char *const offer[] = {"zstd", "br", "gzip"}; /* the default --compress order */

static const struct {
    const char *ae;   /* Accept-Encoding, NULL = absent */
    const char *sent; /* the coding chosen, NULL = identity */
} choose_rows[] = {
    {NULL, NULL},
    {"", NULL}, /* an empty value wants no coding */
    {"gzip", "gzip"},
    {"GZIP", "gzip"},                 /* names compare without case */
    {"br, gzip", "br"},               /* equal q: the server's order */
    {"gzip, br, zstd", "zstd"},       /* the client's order does not matter */
    {"gzip;q=1.0, br;q=0.9", "gzip"}, /* the higher q wins */
    {"gzip;q=0.5, br;q=0.5, zstd;q=0.4", "br"},
    {"zstd;q=0, br", "br"},    /* q=0 refuses */
    {"*", "zstd"},             /* any coding: the server's first */
    {"*;q=0.5, gzip", "gzip"}, /* a named coding above "*" */
    {"*, zstd;q=0", "br"},     /* a named refusal overrides "*" */
    {"*;q=0", NULL},           /* nothing acceptable but... identity is refused too: still identity */
    {"identity", NULL},
    {"identity;q=0, gzip", "gzip"},
    {"identity;q=1, gzip;q=0.5", NULL},     /* identity rated higher */
    {"identity;q=0.5, gzip;q=0.5", "gzip"}, /* a tie: compression */
    {"gzip;q=0.000", NULL},
    {"gzip;q=0.001", "gzip"},
    {"gzip;q=1.001", NULL}, /* malformed q: refused */
    {"gzip;q=2", NULL},
    {"gzip;q=abc, br", "br"},
    {"gzip;q=", NULL},
    {"gzip ; q = 0.7 , br;q=0.6", "gzip"},    /* whitespace around ';' and '=' */
    {"gzip;level=9;q=0.3, br;q=0.2", "gzip"}, /* other parameters are skipped */
    {"deflate, compress", NULL},              /* nothing offered */
    {",,, ,gzip,,", "gzip"},                  /* empty elements */
    {"x-gzip", NULL},
    {"gzipx, brx", NULL},
};

START_TEST(test_choose_table)
{
    const char *ae = choose_rows[_i].ae, *want = choose_rows[_i].sent;
    int got = accept_coding_choose(sl(ae), offer, NULL, 3);
    const char *sent = got < 0 ? NULL : offer[got];
    ck_assert_msg(sent == want || (sent != NULL && want != NULL && strcmp(sent, want) == 0),
                  "Accept-Encoding: %s -> %s, expected %s", ae ? ae : "(absent)", sent ? sent : "identity",
                  want ? want : "identity");
}
END_TEST

START_TEST(test_order_breaks_ties)
{
    static const char *const br_first[] = {"br", "gzip", "zstd"};
    ck_assert_int_eq(accept_coding_choose(sl("gzip, zstd, br"), br_first, NULL, 3), 0);
    ck_assert_int_eq(accept_coding_choose(sl("gzip, zstd"), br_first, NULL, 3), 1);
}
END_TEST

START_TEST(test_unusable_codings_are_skipped)
{
    const bool usable[] = {false, true, true}; /* no zstd for this file */
    ck_assert_int_eq(accept_coding_choose(sl("zstd, br"), offer, usable, 3), 1);
    const bool none[] = {false, false, false};
    ck_assert_int_eq(accept_coding_choose(sl("*"), offer, none, 3), -1);
}
END_TEST

static const struct {
    const char *accept;
    const char *coding;
    bool ok;
} coding_rows[] = {
    {"gzip", "gzip", true},
    {"GZIP", "gzip", true},
    {"br, gzip;q=0.8", "gzip", true},
    {"gzip;q=0", "gzip", false},
    {"gzip; q=0.000", "gzip", false},
    {"gzip;Q=0.0", "gzip", false},
    {"gzip;q=0.001", "gzip", true},
    {"*", "gzip", true},
    {"*;q=0", "gzip", false},
    {"*;q=0, gzip", "gzip", true}, /* named wins over * */
    {"gzip;q=0, *", "gzip", false},
    {"identity", "gzip", false},
    {"x-gzip", "gzip", false},
    {"gzipx", "gzip", false},
    {"", "gzip", false},
    {",,,", "gzip", false},
    {"br;q=1, zstd", "zstd", true},
};

/* Accepted or not (a quality above 0), as a compressed-only file asks (site/precomp). */
START_TEST(test_accepted)
{
    ck_assert_msg((accept_coding_quality(sl(coding_rows[_i].accept), coding_rows[_i].coding) > 0) == coding_rows[_i].ok,
                  "'%s' for %s", coding_rows[_i].accept, coding_rows[_i].coding);
}
END_TEST

START_TEST(test_quality)
{
    ck_assert_int_eq(accept_coding_quality(sl("gzip;q=0.25"), "gzip"), 250);
    ck_assert_int_eq(accept_coding_quality(sl("br"), "gzip"), 0);
    ck_assert_int_eq(accept_coding_quality(sl("br"), "identity"), 1000);
    ck_assert_int_eq(accept_coding_quality(sl("*;q=0"), "identity"), 0);
    ck_assert_int_eq(accept_coding_quality(sl("*;q=0, identity;q=0.1"), "identity"), 100);
    ck_assert_int_eq(accept_coding_quality(sl("*;q=0.3"), "zstd"), 300);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("accept_coding");
    TCase *tc = tcase_create("accept_coding");
    tcase_add_loop_test(tc, test_choose_table, 0, (int)OTU_ARRAY_LEN(choose_rows));
    tcase_add_test(tc, test_order_breaks_ties);
    tcase_add_test(tc, test_unusable_codings_are_skipped);
    tcase_add_test(tc, test_quality);
    tcase_add_loop_test(tc, test_accepted, 0, (int)OTU_ARRAY_LEN(coding_rows));
    suite_add_tcase(s, tc);
    return check_run(s);
}

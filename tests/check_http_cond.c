/*
 * check_http_cond.c - RFC 9110's conditionals, ranges and Accept-Encoding,
 * table by table: each row a field value, the representation's validators
 * and what the section says the answer is.
 */
#include "compat.h"

#include "http_cond.h"
#include "http_date.h"

#include "check_run.h"

#include <check.h>
#include <string.h>

/* A slice over s; absent for NULL. */
static struct http_slice sl(const char *s)
{
    struct http_slice v = {s, s ? strlen(s) : 0};
    return v;
}

#define ETAG "\"6f-5f3c\""
/* Sun, 06 Nov 1994 08:49:37 GMT */
#define MTIME ((time_t)784111777)

static const struct {
    const char *list;
    bool weak;
    bool match;
} etag_rows[] = {
    {ETAG, true, true},
    {ETAG, false, true},
    {"W/" ETAG, true, true},   /* If-None-Match: weak comparison ignores W/ */
    {"W/" ETAG, false, false}, /* If-Match: a weak tag never matches strongly */
    {"*", false, true},
    {"*", true, true},
    {"\"x\", " ETAG, false, true},
    {"\"x\",\t" ETAG ", \"y\"", true, true},
    {"\"x\", \"y\"", true, false},
    {"\"6f-5f3\"", true, false},       /* a prefix of ours */
    {"\"6f-5f3c", true, false},        /* unterminated */
    {"6f-5f3c", true, false},          /* unquoted: malformed */
    {"\"a\" junk " ETAG, true, false}, /* malformed before ours: matches nothing */
    {"", true, false},
    {"W/", true, false},
    {",,, " ETAG, true, true},
};

START_TEST(test_etag_lists)
{
    bool got = http_etag_list_matches(sl(etag_rows[_i].list), ETAG, etag_rows[_i].weak);
    ck_assert_msg(got == etag_rows[_i].match, "'%s' %s: %d", etag_rows[_i].list, etag_rows[_i].weak ? "weak" : "strong",
                  got);
}
END_TEST

static const struct {
    const char *value;
    bool holds;
} if_range_rows[] = {
    {NULL, true}, /* no If-Range */
    {ETAG, true},
    {"W/" ETAG, false}, /* weak never holds */
    {"\"other\"", false},
    {"Sun, 06 Nov 1994 08:49:37 GMT", true},  /* the same date */
    {"Sun, 06 Nov 1994 08:49:38 GMT", false}, /* an exact match only */
    {"yesterday", false},
    {"", false},
};

START_TEST(test_if_range)
{
    ck_assert_msg(http_if_range_holds(sl(if_range_rows[_i].value), ETAG, MTIME) == if_range_rows[_i].holds, "%s",
                  if_range_rows[_i].value ? if_range_rows[_i].value : "(none)");
}
END_TEST

static const struct {
    const char *value;
    int64_t size;
    enum http_range want;
    int64_t first, len;
} range_rows[] = {
    {"bytes=0-99", 1000, HTTP_RANGE_SATISFIABLE, 0, 100},
    {"bytes=100-", 1000, HTTP_RANGE_SATISFIABLE, 100, 900},
    {"bytes=-100", 1000, HTTP_RANGE_SATISFIABLE, 900, 100},
    {"bytes=-2000", 1000, HTTP_RANGE_SATISFIABLE, 0, 1000},     /* a suffix past the start: the whole */
    {"bytes=900-5000", 1000, HTTP_RANGE_SATISFIABLE, 900, 100}, /* past the end: cut */
    {"BYTES=0-0", 1000, HTTP_RANGE_SATISFIABLE, 0, 1},
    {"bytes= 5-9 ", 1000, HTTP_RANGE_SATISFIABLE, 5, 5},
    {"bytes=999-999", 1000, HTTP_RANGE_SATISFIABLE, 999, 1},
    {"bytes=1000-", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=-0", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=-5", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=0-", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=5-4", 1000, HTTP_RANGE_IGNORE, 0, 0},     /* last before first: ignored */
    {"bytes=0-1,5-6", 1000, HTTP_RANGE_IGNORE, 0, 0}, /* several: the whole file */
    {"bytes=0-0,0-0,0-0", 1000, HTTP_RANGE_IGNORE, 0, 0},
    {"items=0-1", 1000, HTTP_RANGE_IGNORE, 0, 0},
    {"bytes=", 1000, HTTP_RANGE_IGNORE, 0, 0},
    {"bytes=-", 1000, HTTP_RANGE_IGNORE, 0, 0},
    {"bytes=a-b", 1000, HTTP_RANGE_IGNORE, 0, 0},
    {"bytes=1-2x", 1000, HTTP_RANGE_IGNORE, 0, 0},
    {"bytes=+1-2", 1000, HTTP_RANGE_IGNORE, 0, 0},
    {"bytes=1234567890123456789-", 1000, HTTP_RANGE_IGNORE, 0, 0}, /* 19 digits: refused, no overflow */
    {"bytes=123456789012345678-", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=0-123456789012345678", 1000, HTTP_RANGE_SATISFIABLE, 0, 1000},
    {"bytes", 1000, HTTP_RANGE_IGNORE, 0, 0},
};

START_TEST(test_ranges)
{
    int64_t first = -1, len = -1;
    enum http_range got = http_range_parse(sl(range_rows[_i].value), range_rows[_i].size, &first, &len);
    ck_assert_msg(got == range_rows[_i].want, "'%s' of %lld: %d", range_rows[_i].value, (long long)range_rows[_i].size,
                  got);
    if (got == HTTP_RANGE_SATISFIABLE) {
        ck_assert_int_eq(first, range_rows[_i].first);
        ck_assert_int_eq(len, range_rows[_i].len);
    } else {
        ck_assert_msg(first == -1 && len == -1, "'%s': outputs written", range_rows[_i].value);
    }
}
END_TEST

/* Navigations (issue 27): Sec-Fetch-Mode, else Accept naming text/html itself with q > 0. */
static const struct {
    const char *accept, *mode;
    bool navigation;
} navigation_rows[] = {
    {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", NULL, true}, /* a browser's */
    {"TEXT/HTML", NULL, true},
    {"application/json, text/html;q=0.5", NULL, true},
    {"text/html;q=0", NULL, false},
    {"text/html;q=0.000", NULL, false},
    {"*/*", NULL, false}, /* a script's or fetch()'s */
    {"text/*", NULL, false},
    {"image/avif,image/webp,*/*;q=0.8", NULL, false}, /* an image's */
    {"text/css,*/*;q=0.1", NULL, false},              /* a stylesheet's */
    {"text/htmlx", NULL, false},
    {"xtext/html", NULL, false},
    {NULL, NULL, false},
    {"*/*", "navigate", true},
    {NULL, "NAVIGATE", true},
    {NULL, "no-cors", false},
    {NULL, "navigatex", false},
    {"text/html", "cors", true}, /* Accept alone suffices */
    {"", "", false},
};

START_TEST(test_navigation)
{
    struct http_request_info info;
    memset(&info, 0, sizeof(info));
    if (navigation_rows[_i].accept != NULL)
        info.accept = sl(navigation_rows[_i].accept);
    if (navigation_rows[_i].mode != NULL)
        info.sec_fetch_mode = sl(navigation_rows[_i].mode);
    ck_assert_msg(http_is_navigation(&info) == navigation_rows[_i].navigation, "Accept '%s', Sec-Fetch-Mode '%s'",
                  navigation_rows[_i].accept ? navigation_rows[_i].accept : "(none)",
                  navigation_rows[_i].mode ? navigation_rows[_i].mode : "(none)");
}
END_TEST

static const struct {
    const char *if_match, *if_unmodified_since, *if_none_match, *if_modified_since;
    enum http_precondition want;
} pre_rows[] = {
    {NULL, NULL, NULL, NULL, HTTP_PRE_PASS},
    {ETAG, NULL, NULL, NULL, HTTP_PRE_PASS},
    {"\"other\"", NULL, NULL, NULL, HTTP_PRE_FAILED},
    {"W/" ETAG, NULL, NULL, NULL, HTTP_PRE_FAILED}, /* strong for If-Match */
    {"*", NULL, NULL, NULL, HTTP_PRE_PASS},
    {NULL, "Sun, 06 Nov 1994 08:49:36 GMT", NULL, NULL, HTTP_PRE_FAILED}, /* modified since */
    {NULL, "Sun, 06 Nov 1994 08:49:37 GMT", NULL, NULL, HTTP_PRE_PASS},
    {NULL, "not a date", NULL, NULL, HTTP_PRE_PASS},                    /* invalid: ignored */
    {ETAG, "Sun, 06 Nov 1994 08:49:36 GMT", NULL, NULL, HTTP_PRE_PASS}, /* If-Match wins */
    {NULL, NULL, ETAG, NULL, HTTP_PRE_NOT_MODIFIED},
    {NULL, NULL, "W/" ETAG, NULL, HTTP_PRE_NOT_MODIFIED}, /* weak for If-None-Match */
    {NULL, NULL, "\"other\"", NULL, HTTP_PRE_PASS},
    {NULL, NULL, NULL, "Sun, 06 Nov 1994 08:49:37 GMT", HTTP_PRE_NOT_MODIFIED},
    {NULL, NULL, NULL, "Sun, 06 Nov 1994 08:49:36 GMT", HTTP_PRE_PASS},
    {NULL, NULL, "\"other\"", "Sun, 06 Nov 1994 08:49:37 GMT", HTTP_PRE_PASS}, /* If-None-Match wins */
    {"\"other\"", NULL, ETAG, NULL, HTTP_PRE_FAILED},                          /* 412 before 304 */
};

START_TEST(test_preconditions)
{
    struct http_request_info info;
    memset(&info, 0, sizeof(info));
    info.if_match = sl(pre_rows[_i].if_match);
    info.if_unmodified_since = sl(pre_rows[_i].if_unmodified_since);
    info.if_none_match = sl(pre_rows[_i].if_none_match);
    info.if_modified_since = sl(pre_rows[_i].if_modified_since);
    ck_assert_int_eq(http_preconditions(&info, ETAG, MTIME), pre_rows[_i].want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_cond");
    TCase *tc = tcase_create("http_cond");
    tcase_add_loop_test(tc, test_etag_lists, 0, (int)OTU_ARRAY_LEN(etag_rows));
    tcase_add_loop_test(tc, test_if_range, 0, (int)OTU_ARRAY_LEN(if_range_rows));
    tcase_add_loop_test(tc, test_ranges, 0, (int)OTU_ARRAY_LEN(range_rows));
    tcase_add_loop_test(tc, test_navigation, 0, (int)OTU_ARRAY_LEN(navigation_rows));
    tcase_add_loop_test(tc, test_preconditions, 0, (int)OTU_ARRAY_LEN(pre_rows));
    suite_add_tcase(s, tc);
    return check_run(s);
}

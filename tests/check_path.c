/*
 * check_path.c - decoding, normalisation and confinement of request paths.
 */
#include "compat.h"

#include "path.h"

#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

struct path_case {
    const char *name;
    const char *in;  /* still-encoded request path */
    int status;      /* expected path_normalize() result */
    const char *rel; /* expected rel when status is 0 */
    int slash;       /* expected trailing_slash */
};

static const struct path_case cases[] = {
    {"root", "/", 0, ".", 1},
    {"file", "/index.html", 0, "index.html", 0},
    {"nested", "/a/b/c.txt", 0, "a/b/c.txt", 0},
    {"dir with slash", "/a/b/", 0, "a/b", 1},
    {"repeated slashes", "//a///b", 0, "a/b", 0},
    {"dot segment", "/a/./b", 0, "a/b", 0},
    {"trailing dot", "/a/.", 0, "a", 1},
    {"dot-dot inside", "/a/b/../c", 0, "a/c", 0},
    {"dot-dot to root", "/a/..", 0, ".", 1},
    {"dot-dot above root", "/..", 400, NULL, 0},
    {"classic escape", "/httptest/../../../../etc/passwd", 400, NULL, 0},
    {"encoded dots", "/%2e%2e/%2e%2e/etc/passwd", 400, NULL, 0},
    {"mixed-case encoded dots", "/%2E%2e/x", 400, NULL, 0},
    {"encoded dots as a name part", "/%2E%2e.html", 0, "...html", 0},
    {"encoded slash escape", "/..%2f..%2fetc/passwd", 400, NULL, 0},
    {"encoded slash inside", "/a%2fb", 0, "a/b", 0},
    {"double-encoded dots stay literal", "/%252e%252e/etc/passwd", 0, "%2e%2e/etc/passwd", 0},
    {"backslash is a byte", "/..%5c..%5cboot.ini", 0, "..\\..\\boot.ini", 0},
    {"space", "/space%20in%20name.txt", 0, "space in name.txt", 0},
    {"encoded name", "/dir2/%70%61%67%65%2e%68%74%6d%6c", 0, "dir2/page.html", 0},
    {"two dots in a name", "/text..txt", 0, "text..txt", 0},
    {"three dots segment", "/.../x", 0, ".../x", 0},
    {"utf-8 stays", "/%D1%84.txt", 0, "\xd1\x84.txt", 0},
    {"encoded NUL", "/index.html%00.jpg", 400, NULL, 0},
    {"encoded control", "/a%0d%0aX", 400, NULL, 0},
    {"encoded DEL", "/a%7f", 400, NULL, 0},
    {"lone percent", "/%", 400, NULL, 0},
    {"short escape", "/%1", 400, NULL, 0},
    {"bad hex", "/%zz", 400, NULL, 0},
    {"escape at end", "/a%2", 400, NULL, 0},
    {"no leading slash", "a", 400, NULL, 0},
    {"empty", "", 400, NULL, 0},
};

START_TEST(test_normalize_table)
{
    const struct path_case *c = &cases[_i];
    struct path_result r;
    int status = path_normalize(c->in, strlen(c->in), &r);
    ck_assert_msg(status == c->status, "%s: status %d, expected %d", c->name, status, c->status);
    if (status == 0) {
        ck_assert_msg(strcmp(r.rel, c->rel) == 0, "%s: rel '%s', expected '%s'", c->name, r.rel, c->rel);
        ck_assert_msg(r.trailing_slash == (c->slash != 0), "%s: trailing_slash %d", c->name, r.trailing_slash);
    }
}
END_TEST

START_TEST(test_normalize_never_escapes)
{
    /* Whatever the input, a successful result never starts with '/' or has a ".." segment. */
    static const char *const parts[] = {"..", ".", "%2e", "%2E%2e", "a", "%2f", "/", "//", "%5c"};
    char in[256];
    for (unsigned mask = 0; mask < 9 * 9 * 9 * 9; mask++) {
        unsigned m = mask;
        strcpy(in, "/");
        for (int k = 0; k < 4; k++, m /= 9) {
            strcat(in, parts[m % 9]);
            strcat(in, "/");
        }
        struct path_result r;
        if (path_normalize(in, strlen(in), &r) != 0)
            continue;
        ck_assert_msg(r.rel[0] != '/', "%s -> %s", in, r.rel);
        ck_assert_msg(strcmp(r.rel, "..") != 0 && strncmp(r.rel, "../", 3) != 0 && strstr(r.rel, "/../") == NULL,
                      "%s -> %s", in, r.rel);
    }
}
END_TEST

START_TEST(test_normalize_too_long)
{
    size_t n = PATH_MAX_DECODED + 10;
    char *in = malloc(n + 1);
    in[0] = '/';
    memset(in + 1, 'a', n - 1);
    in[n] = '\0';
    struct path_result r;
    ck_assert_int_eq(path_normalize(in, n, &r), 414);
    free(in);
}
END_TEST

struct hidden_case {
    const char *rel;
    int hidden;
};

static const struct hidden_case hidden_cases[] = {
    {".git/config", 1},
    {".env", 1},
    {"a/.htpasswd", 1},
    {"a/.b/c", 1},
    {".well-known/security.txt", 0},
    {".well-known", 0},
    {".well-knownx/a", 1},
    {"a/.well-known/x", 1},
    {"index.html", 0},
    {".", 0},
    {"text..txt", 0},
    {"a/b.c", 0},
};

START_TEST(test_hidden_table)
{
    const struct hidden_case *c = &hidden_cases[_i];
    ck_assert_msg(path_is_hidden(c->rel) == (c->hidden != 0), "%s", c->rel);
}
END_TEST

START_TEST(test_encode)
{
    char out[64];
    ck_assert_int_eq(path_encode("a b/c", true, out, sizeof(out)), 9);
    ck_assert_str_eq(out, "/a%20b/c/");
    ck_assert_int_ge(path_encode(".", true, out, sizeof(out)), 1);
    ck_assert_str_eq(out, "/");
    path_encode("evil.com", true, out, sizeof(out));
    ck_assert_str_eq(out, "/evil.com/");
    path_encode("x?y#z%", false, out, sizeof(out));
    ck_assert_str_eq(out, "/x%3Fy%23z%25");
    ck_assert_int_eq(path_encode("abcdef", false, out, 5), -1);
}
END_TEST

static Suite *path_suite(void)
{
    Suite *s = suite_create("path");
    TCase *tc = tcase_create("normalize");
    tcase_add_loop_test(tc, test_normalize_table, 0, (int)OTU_ARRAY_LEN(cases));
    tcase_add_test(tc, test_normalize_never_escapes);
    tcase_add_test(tc, test_normalize_too_long);
    suite_add_tcase(s, tc);
    tc = tcase_create("hidden and encode");
    tcase_add_loop_test(tc, test_hidden_table, 0, (int)OTU_ARRAY_LEN(hidden_cases));
    tcase_add_test(tc, test_encode);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(path_suite());
}

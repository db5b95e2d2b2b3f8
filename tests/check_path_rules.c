/*
 * check_path_rules.c - the glob, "PATTERN=VALUE" items, the rule lists'
 * limits, first-match values and the header lines a path gets.
 */
#include "compat.h"

#include "path_rules.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

struct glob_case {
    const char *pattern;
    const char *path;
    bool match;
};

static const struct glob_case glob_cases[] = {
    {"/", "/", true},
    {"/", "/index.html", false},
    {"*.html", "/index.html", true},
    {"*.html", "/docs/a/b.html", true},
    {"*.html", "/index.htm", false},
    {"*.html", "/index.html.gz", false},
    {"*.html", "/INDEX.HTML", false}, /* paths are case-sensitive */
    {"/assets/*", "/assets/app.3f9a.js", true},
    {"/assets/*", "/assets/img/deep/logo.svg", true}, /* '*' takes '/' too */
    {"/assets/*", "/assets/", true},
    {"/assets/*", "/assets", false},
    {"/assets/*", "/x/assets/a.js", false},
    {"/embed/*", "/embedded/x", false},
    {"/app.????.js", "/app.3f9a.js", true},
    {"/app.????.js", "/app.3f9.js", false},
    {"/app.?.js", "/app./.js", true}, /* '?' is any byte, '/' included */
    {"*", "/", true},
    {"*", "/a/b/c", true},
    {"/*/index.html", "/a/b/index.html", true},
    {"/a*b*c", "/aXXbYYc", true},
    {"/a*b*c", "/aXXbYYcZ", false},
    {"/a*b*c", "/abbbc", true},
    {"*a*a*a*b", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
    {"**", "/x", true},
    {"/exact.txt", "/exact.txt", true},
    {"/exact.txt", "/exact.txt/", false},
    {"/caf\xc3\xa9/*", "/caf\xc3\xa9/menu", true}, /* decoded bytes, as the path has them */
};

START_TEST(test_glob)
{
    const struct glob_case *c = &glob_cases[_i];
    ck_assert_msg(path_glob_match(c->pattern, c->path) == c->match, "'%s' against '%s': expected %s", c->pattern,
                  c->path, c->match ? "a match" : "none");
}
END_TEST

START_TEST(test_glob_null_path)
{
    ck_assert(!path_glob_match("*", NULL));
}
END_TEST

/* Splits s; returns path_rule_split's result, with the halves in pattern and value ("" for none). */
static int split(const char *s, char *pattern, char *value)
{
    struct path_rule_text t = {NULL, 0, NULL, 0};
    int rc = path_rule_split(s, strlen(s), &t);
    snprintf(pattern, 64, "%.*s", t.pattern ? (int)t.pattern_len : 0, t.pattern ? t.pattern : "");
    snprintf(value, 128, "%.*s", t.value ? (int)t.value_len : 0, t.value ? t.value : "");
    return rc;
}

START_TEST(test_split)
{
    char p[64], v[128];
    ck_assert_int_eq(split("public, max-age=3600", p, v), 0); /* a plain value keeps its '=' */
    ck_assert_str_eq(p, "");
    ck_assert_str_eq(v, "public, max-age=3600");
    ck_assert_int_eq(split("no-cache", p, v), 0);
    ck_assert_str_eq(v, "no-cache");
    ck_assert_int_eq(split("*.html=no-cache", p, v), 1);
    ck_assert_str_eq(p, "*.html");
    ck_assert_str_eq(v, "no-cache");
    ck_assert_int_eq(split("/assets/*=public, max-age=31536000, immutable", p, v), 1);
    ck_assert_str_eq(p, "/assets/*");
    ck_assert_str_eq(v, "public, max-age=31536000, immutable"); /* the value keeps its own '=' */
    ck_assert_int_eq(split("/embed/*=X-Frame-Options: SAMEORIGIN", p, v), 1);
    ck_assert_str_eq(p, "/embed/*");
    ck_assert_str_eq(v, "X-Frame-Options: SAMEORIGIN");
    ck_assert_int_eq(split("*.html = no-cache", p, v), 1); /* spaces around '=' dropped */
    ck_assert_str_eq(p, "*.html");
    ck_assert_str_eq(v, "no-cache");
    ck_assert_int_eq(split("/=no-store", p, v), 1);
    ck_assert_str_eq(p, "/");
    ck_assert_int_eq(split("/api/*=", p, v), 1); /* an empty value is the caller's to judge */
    ck_assert_str_eq(v, "");
    ck_assert_int_eq(split("/assets/*", p, v), -1); /* a pattern and no value */
    ck_assert_int_eq(split("*no-equals", p, v), -1);
    ck_assert_int_eq(split("", p, v), 0);
}
END_TEST

START_TEST(test_add_limits)
{
    static struct path_rules rs;
    path_rules_clear(&rs);
    ck_assert_int_eq(path_rules_add(&rs, "*.html", 6, "no-cache", 8), 0);
    ck_assert_int_eq(rs.count, 1);
    ck_assert_int_eq(rs.value_bytes, 8);
    /* patterns: '/' or '*' first, no '=' or control byte, shorter than the limit */
    ck_assert_int_eq(path_rules_add(&rs, "assets/*", 8, "x", 1), -1);
    ck_assert_int_eq(path_rules_add(&rs, "", 0, "x", 1), -1);
    ck_assert_int_eq(path_rules_add(&rs, "/a=b", 4, "x", 1), -1);
    ck_assert_int_eq(path_rules_add(&rs, "/a\r\nb", 5, "x", 1), -1);
    char long_pattern[PATH_RULE_PATTERN_MAX + 1];
    memset(long_pattern, 'a', sizeof(long_pattern));
    long_pattern[0] = '/';
    ck_assert_int_eq(path_rules_add(&rs, long_pattern, PATH_RULE_PATTERN_MAX, "x", 1), -1);
    ck_assert_int_eq(path_rules_add(&rs, long_pattern, PATH_RULE_PATTERN_MAX - 1, "x", 1), 0);
    ck_assert_int_eq(rs.count, 2); /* refusals left the list as it was */
    /* the count */
    while (rs.count < PATH_RULES_MAX)
        ck_assert_int_eq(path_rules_add(&rs, "/x", 2, "y", 1), 0);
    ck_assert_int_eq(path_rules_add(&rs, "/x", 2, "y", 1), -1);
    ck_assert_int_eq(rs.count, PATH_RULES_MAX);
    /* the text */
    path_rules_clear(&rs);
    ck_assert_int_eq(rs.count, 0);
    static char big[PATH_RULES_TEXT_MAX];
    memset(big, 'v', sizeof(big));
    ck_assert_int_eq(path_rules_add(&rs, "/x", 2, big, PATH_RULES_TEXT_MAX - 3), -1); /* 2 + 1 + n + 1 */
    ck_assert_int_eq(path_rules_add(&rs, "/x", 2, big, PATH_RULES_TEXT_MAX - 4), 0);
    ck_assert_int_eq(rs.used, PATH_RULES_TEXT_MAX);
    ck_assert_int_eq(path_rules_add(&rs, "/", 1, "", 0), -1);
}
END_TEST

/* The SPA example: first match wins, either path counts. */
START_TEST(test_first_match)
{
    static struct path_rules rs;
    path_rules_clear(&rs);
    ck_assert_int_eq(path_rules_add(&rs, "*.html", 6, "no-cache", 8), 0);
    const char *imm = "public, max-age=31536000, immutable";
    ck_assert_int_eq(path_rules_add(&rs, "/assets/*", 9, imm, strlen(imm)), 0);
    ck_assert_int_eq(path_rules_add(&rs, "*", 1, "max-age=60", 10), 0);
    ck_assert_str_eq(path_rules_first(&rs, "/", "/index.html"), "no-cache"); /* by the file */
    ck_assert_str_eq(path_rules_first(&rs, "/index.html", "/index.html"), "no-cache");
    ck_assert_str_eq(path_rules_first(&rs, "/users/42", "/index.html"), "no-cache"); /* a fallback route */
    ck_assert_str_eq(path_rules_first(&rs, "/assets/app.3f9a.js", "/assets/app.3f9a.js"), imm);
    ck_assert_str_eq(path_rules_first(&rs, "/assets/page.html", NULL), "no-cache"); /* the first rule wins */
    ck_assert_str_eq(path_rules_first(&rs, "/robots.txt", NULL), "max-age=60");
    path_rules_clear(&rs);
    ck_assert_int_eq(path_rules_add(&rs, "*.html", 6, "no-cache", 8), 0);
    ck_assert_ptr_null(path_rules_first(&rs, "/robots.txt", "/robots.txt"));
    ck_assert_ptr_null(path_rules_first(&rs, NULL, NULL));
}
END_TEST

/* Adds the header rule pattern -> line. */
static void add_line(struct path_rules *rs, const char *pattern, const char *line)
{
    ck_assert_int_eq(path_rules_add(rs, pattern, strlen(pattern), line, strlen(line)), 0);
}

START_TEST(test_headers)
{
    static struct path_rules rs;
    path_rules_clear(&rs);
    add_line(&rs, "/embed/*", "X-Frame-Options: SAMEORIGIN\r\n");
    add_line(&rs, "/embed/*", "X-Embed: 1\r\n");
    add_line(&rs, "*.html", "Content-Security-Policy: default-src 'self'\r\n");
    const char *all = "X-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\n";
    char out[512];
    /* no rule matches: the all-paths lines themselves, not a copy */
    ck_assert_ptr_eq(path_rules_headers(&rs, all, "/app.js", "/app.js", out, sizeof(out)), all);
    ck_assert_ptr_null(path_rules_headers(&rs, NULL, "/app.js", NULL, out, sizeof(out)));
    /* every matching rule adds its line; a rule's name replaces the all-paths line, without case */
    ck_assert_str_eq(path_rules_headers(&rs, all, "/embed/page.html", NULL, out, sizeof(out)),
                     "X-Content-Type-Options: nosniff\r\nX-Frame-Options: SAMEORIGIN\r\nX-Embed: 1\r\n"
                     "Content-Security-Policy: default-src 'self'\r\n");
    ck_assert_str_eq(path_rules_headers(&rs, "x-frame-options: DENY\r\n", "/embed/x", NULL, out, sizeof(out)),
                     "X-Frame-Options: SAMEORIGIN\r\nX-Embed: 1\r\n");
    /* matched by the file's path ("/" answered by /index.html) */
    ck_assert_str_eq(path_rules_headers(&rs, all, "/", "/index.html", out, sizeof(out)),
                     "X-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\n"
                     "Content-Security-Policy: default-src 'self'\r\n");
    ck_assert_str_eq(path_rules_headers(&rs, NULL, "/embed/", NULL, out, sizeof(out)),
                     "X-Frame-Options: SAMEORIGIN\r\nX-Embed: 1\r\n");
    /* a line that does not fit is left out whole; exactly the room for both lines and the NUL */
    char small[42];
    ck_assert_str_eq(path_rules_headers(&rs, NULL, "/embed/", NULL, small, sizeof(small)),
                     "X-Frame-Options: SAMEORIGIN\r\nX-Embed: 1\r\n");
    ck_assert_str_eq(path_rules_headers(&rs, NULL, "/embed/", NULL, small, sizeof(small) - 1),
                     "X-Frame-Options: SAMEORIGIN\r\n");
    char tiny[20];
    ck_assert_str_eq(path_rules_headers(&rs, NULL, "/embed/", NULL, tiny, sizeof(tiny)), "X-Embed: 1\r\n");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("path_rules");
    TCase *tc = tcase_create("rules");
    tcase_add_loop_test(tc, test_glob, 0, (int)OTU_ARRAY_LEN(glob_cases));
    tcase_add_test(tc, test_glob_null_path);
    tcase_add_test(tc, test_split);
    tcase_add_test(tc, test_add_limits);
    tcase_add_test(tc, test_first_match);
    tcase_add_test(tc, test_headers);
    suite_add_tcase(s, tc);
    return check_run(s);
}

/*
 * e2e_rules.c - cache and header rules per path (issue 15): the single-page
 * app example from flags and from the variables, on 200, 304 and 404, and
 * a bad rule stopping the start.
 *
 * The app's tree beside the fixture's own index.html: a hashed asset under
 * assets/, a page under embed/ that another site may frame.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* The SPA example's cache rules and the embed page's header rule. */
#define SHELL_RULE "*.html=no-cache"
#define ASSET_RULE "/assets/*=public, max-age=31536000, immutable"
#define IMMUTABLE  "public, max-age=31536000, immutable"
#define EMBED_RULE "/embed/*=X-Frame-Options: SAMEORIGIN"

/* Adds the app's files to the fixture tree (each test may be the first to run). */
static void spa_tree(void)
{
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/assets/img' '%s/embed'", root_dir, root_dir);
    ck_assert_int_eq(sh(cmd), 0);
    write_text("assets/app.3f9a.js", "console.log('app');\n");
    write_text("assets/img/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
    write_text("embed/player.html", "<html>player</html>\n");
}

/* GET path on port p (with one more header line, or NULL); asserts the status. */
static void get(int p, const char *path, const char *line, int status, struct e2e_response *r)
{
    char raw[512];
    snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: t\r\n%s%sConnection: close\r\n\r\n", path, line ? line : "",
             line ? "\r\n" : "");
    expect_status_on(p, raw, status, r);
}

/* Times the head names header name (without case). */
static int header_count(const struct e2e_response *r, const char *name)
{
    int n = 0;
    size_t len = strlen(name);
    for (const char *l = strstr(r->head, "\r\n"); l != NULL; l = strstr(l + 2, "\r\n")) {
        if (strncasecmp(l + 2, name, len) == 0 && l[2 + len] == ':')
            n++;
    }
    return n;
}

/* Asserts path answers status with Cache-Control want (NULL: none). */
static void expect_cache(int p, const char *path, const char *line, int status, const char *want)
{
    struct e2e_response r;
    get(p, path, line, status, &r);
    if (want)
        expect_header(&r, "Cache-Control", want);
    else
        expect_no_header(&r, "Cache-Control");
    e2e_response_free(&r);
}

/* Asserts path answers status with exactly one X-Frame-Options, want. */
static void expect_frame(int p, const char *path, const char *line, int status, const char *want)
{
    struct e2e_response r;
    get(p, path, line, status, &r);
    expect_header(&r, "X-Frame-Options", want);
    ck_assert_msg(header_count(&r, "X-Frame-Options") == 1, "%s: not one X-Frame-Options:\n%s", path, r.head);
    e2e_response_free(&r);
}

/* Every "done when" line of the issue, against a server started with the SPA example. */
static void expect_spa_example(int p)
{
    /* no-cache on the shell, however it is reached */
    expect_cache(p, "/", NULL, 200, "no-cache");
    expect_cache(p, "/index.html", NULL, 200, "no-cache");
    expect_cache(p, "/users/42", NULL, 200, "no-cache"); /* a client route, answered by /index.html */
    expect_cache(p, "/", "If-None-Match: *", 304, "no-cache");
    /* immutable on the hashed assets, nested ones too, on 200 and 304 */
    expect_cache(p, "/assets/app.3f9a.js", NULL, 200, IMMUTABLE);
    expect_cache(p, "/assets/app.3f9a.js", "If-None-Match: *", 304, IMMUTABLE);
    expect_cache(p, "/assets/img/logo.svg", NULL, 200, IMMUTABLE);
    expect_cache(p, "/assets/app.3f9a.js", "Range: bytes=0-6", 206, IMMUTABLE);
    /* never on an error: an immutable 404 would be kept for a year */
    expect_cache(p, "/assets/app.0000.js", NULL, 404, NULL);
    /* the embed page's header where it matches, the all-paths one elsewhere */
    expect_frame(p, "/embed/player.html", NULL, 200, "SAMEORIGIN");
    expect_frame(p, "/embed/player.html", "If-None-Match: *", 304, "SAMEORIGIN");
    expect_frame(p, "/embed/gone.html", NULL, 404, "SAMEORIGIN");
    expect_frame(p, "/page.html", NULL, 200, "DENY");
    expect_frame(p, "/page.html", "If-None-Match: *", 304, "DENY");
    expect_frame(p, "/gone.txt", NULL, 404, "DENY");
    expect_frame(p, "/embedded.txt", NULL, 404, "DENY"); /* a prefix of the folder's name is no match */
}

START_TEST(test_spa_rules_from_flags)
{
    spa_tree();
    int p;
    pid_t master =
        lc_start(ARGS("-w", "1", "--fallback", "/index.html", "--cache-control", SHELL_RULE, "--cache-control",
                      ASSET_RULE, "--header", "X-Frame-Options: DENY", "--header", EMBED_RULE),
                 &p);
    expect_spa_example(p);
    /* no plain value: a file no rule matches gets none */
    expect_cache(p, "/empty.txt", NULL, 200, NULL);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_spa_rules_from_variables)
{
    spa_tree();
    /* the server inherits this test's environment (Check runs each test in its own process) */
    ck_assert_int_eq(setenv("OTUSERVER_FALLBACK", "/index.html", 1), 0);
    ck_assert_int_eq(setenv("OTUSERVER_CACHE_CONTROL", SHELL_RULE "\n" ASSET_RULE "\npublic, max-age=60", 1), 0);
    ck_assert_int_eq(setenv("OTUSERVER_HEADERS", "X-Frame-Options: DENY\r\n" EMBED_RULE "\n", 1), 0);
    int p;
    pid_t master = lc_start(ARGS("-w", "1"), &p);
    expect_spa_example(p);
    expect_cache(p, "/empty.txt", NULL, 200, "public, max-age=60"); /* the plain value where no rule matches */
    ck_assert_int_eq(e2e_stop(master), 0);
    /* a single line without a pattern keeps its old meaning, '=' and all */
    ck_assert_int_eq(setenv("OTUSERVER_CACHE_CONTROL", "public, max-age=3600", 1), 0);
    master = lc_start(ARGS("-w", "1"), &p);
    expect_cache(p, "/", NULL, 200, "public, max-age=3600");
    expect_cache(p, "/assets/app.3f9a.js", NULL, 200, "public, max-age=3600");
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* A bad rule stops the start: exit 2, one line naming the flag or variable. */
START_TEST(test_bad_rule_stops_the_start)
{
    static const struct {
        const char *arg1, *arg2, *env, *says;
    } cases[] = {
        {"--cache-control", "/assets/*", NULL, "--cache-control"},
        {"--header", "/embed/*=Content-Length: 0", NULL, "framing"},
        {"--header", "/embed/*", NULL, "PATTERN=Name: value"},
        {NULL, NULL, "OTUSERVER_CACHE_CONTROL=no-cache\nno-store", "OTUSERVER_CACHE_CONTROL"},
        {NULL, NULL, "OTUSERVER_HEADERS=/embed/*=Transfer-Encoding: chunked", "OTUSERVER_HEADERS"},
    };
    for (size_t i = 0; i < OTU_ARRAY_LEN(cases); i++) {
        char err[1024];
        const char *args[] = {cases[i].arg1, cases[i].arg2, NULL};
        int st = run_binary(args, cases[i].env, err, sizeof(err));
        ck_assert_msg(st == 2, "case %zu: exit %d (%s)", i, st, err);
        ck_assert_msg(strstr(err, cases[i].says) != NULL, "case %zu: '%s'", i, err);
        char *nl = strchr(err, '\n');
        ck_assert_msg(nl != NULL && nl[1] == '\0', "case %zu: not exactly one line: '%s'", i, err);
    }
}
END_TEST

TCase *e2e_rules_tcase(void)
{
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_spa_rules_from_flags);
    tcase_add_test(tc, test_spa_rules_from_variables);
    tcase_add_test(tc, test_bad_rule_stops_the_start);
    return tc;
}

/*
 * e2e_fleet.c - the "fleet" case: what many replicas behind an ingress need
 * (issue 27): validators equal on every replica's copy of the tree, clean
 * URLs, fallbacks by prefix and by navigation, logs a pipeline can read.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- validators equal on every replica ---- */

/* The files of a replica's tree: a small page, a script past the in-memory size, a bigger bundle. */
static const struct {
    const char *name;
    size_t size;
} replica_files[] = {{"index.html", 900}, {"app.js", 60000}, {"bundle.js", 2 * 1024 * 1024}};

/* Writes replica tree n under base_dir (same bytes for every n; mtimes n days apart); returns its path. */
static const char *make_replica(int n, char path[400])
{
    snprintf(path, 400, "%s/replica%d", base_dir, n);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    for (size_t i = 0; i < OTU_ARRAY_LEN(replica_files); i++) {
        char file[600], cmd[800];
        snprintf(file, sizeof(file), "%s/%s", path, replica_files[i].name);
        char *data = pseudo_random(replica_files[i].size, (unsigned)i + 40);
        ck_assert_int_eq(e2e_write_file(file, data, replica_files[i].size), 0);
        free(data);
        snprintf(cmd, sizeof(cmd), "touch -d '@%d' '%s'", 1700000000 + n * 86400, file);
        ck_assert_int_eq(sh(cmd), 0);
    }
    return path;
}

/* Starts a server over root on a free port (*p), logging beside the fixture; asserts it started. */
static pid_t start_over(const char *root, const char *const extra[], int *p)
{
    char log[400];
    *p = e2e_free_port();
    snprintf(log, sizeof(log), "%s/fleet-%d.log", base_dir, *p);
    pid_t master = e2e_start(server_bin, *p, root, log, extra, err_path);
    ck_assert_int_gt(master, 0);
    return master;
}

/*
 * Two servers over two copies of a tree (other inodes, other mtimes) give
 * the same ETag for the same bytes, and an If-None-Match from one is a 304
 * at the other: a revalidation is cheap whichever replica answers.
 */
START_TEST(test_replicas_share_etags)
{
    char root1[400], root2[400];
    make_replica(1, root1);
    make_replica(2, root2);
    int p1, p2;
    pid_t m1 = start_over(root1, ARGS("-w", "1"), &p1);
    pid_t m2 = start_over(root2, ARGS("-w", "1"), &p2);
    for (size_t i = 0; i < OTU_ARRAY_LEN(replica_files); i++) {
        char raw[600], e1[128], e2[128];
        struct e2e_response r;
        snprintf(raw, sizeof(raw), "HEAD /%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", replica_files[i].name);
        expect_status_on(p1, raw, 200, &r);
        ck_assert_ptr_nonnull(e2e_header(&r, "ETag", e1, sizeof(e1)));
        e2e_response_free(&r);
        expect_status_on(p2, raw, 200, &r);
        ck_assert_ptr_nonnull(e2e_header(&r, "ETag", e2, sizeof(e2)));
        e2e_response_free(&r);
        printf("replicas: /%s (%zu bytes): %s and %s\n", replica_files[i].name, replica_files[i].size, e1, e2);
        fflush(stdout);
        ck_assert_str_eq(e1, e2);
        snprintf(raw, sizeof(raw), "GET /%s HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\nConnection: close\r\n\r\n",
                 replica_files[i].name, e1);
        expect_status_on(p2, raw, 304, &r);
        e2e_response_free(&r);
    }
    ck_assert_int_eq(e2e_stop(m1), 0);
    ck_assert_int_eq(e2e_stop(m2), 0);
}
END_TEST

/* Over --etag-hash-max the tag is size and mtime: copies with their own mtimes differ, as documented. */
START_TEST(test_etag_over_the_hash_limit_is_size_and_mtime)
{
    char root1[400], root2[400];
    make_replica(3, root1);
    make_replica(4, root2);
    int p1, p2;
    pid_t m1 = start_over(root1, ARGS("-w", "1", "--etag-hash-max", "1m"), &p1);
    pid_t m2 = start_over(root2, ARGS("-w", "1", "--etag-hash-max", "1m"), &p2);
    const char *raw = "HEAD /bundle.js HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    char e1[128], e2[128];
    struct e2e_response r;
    expect_status_on(p1, raw, 200, &r);
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", e1, sizeof(e1)));
    e2e_response_free(&r);
    expect_status_on(p2, raw, 200, &r);
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", e2, sizeof(e2)));
    e2e_response_free(&r);
    ck_assert_str_eq(e1, "\"200000-179888bbea170000\""); /* 2 MiB, 1700000000 + 3 days in ns, in hex */
    ck_assert_str_ne(e1, e2);
    ck_assert_int_eq(e2e_stop(m1), 0);
    ck_assert_int_eq(e2e_stop(m2), 0);
}
END_TEST

/* ---- clean URLs and fallbacks: a static-site generator's export beside two apps ---- */

/* The export, written by the test: {file, contents}. */
static const char *const export_files[][2] = {
    {"index.html", "home\n"},
    {"about.html", "about\n"},
    {"blog/post.html", "a post\n"},
    {"blog/index.html", "the blog\n"},
    {"docs/index.html", "the docs\n"},
    {"404.html", "not here\n"},
    {"_next/static/chunks/main.js", "js\n"},
    {"admin/index.html", "admin shell\n"},
    {"app/index.html", "app shell\n"},
};

/* One request to the export's server and what must come back. */
struct export_case {
    const char *what;
    const char *target;   /* request-target */
    const char *headers;  /* extra header lines, or "" */
    int status;           /* expected status */
    const char *location; /* expected Location, or NULL */
    const char *body;     /* expected body, or NULL */
    bool vary;            /* Vary: Accept, Sec-Fetch-Mode must be there (else must not) */
};

static const struct export_case export_cases[] = {
    {"the home page", "/", "", 200, NULL, "home\n", false},
    {"/about is about.html", "/about", "", 200, NULL, "about\n", false},
    {"/blog/post is blog/post.html", "/blog/post", "", 200, NULL, "a post\n", false},
    {"/docs: the folder's slash first", "/docs", "", 301, "/docs/", NULL, false},
    {"/docs/ is its index", "/docs/", "", 200, NULL, "the docs\n", false},
    {"/blog is the folder, not blog.html", "/blog", "", 301, "/blog/", NULL, false},
    {"/about.html redirects, query kept", "/about.html?ref=x", "", 301, "/about?ref=x", NULL, false},
    {"/docs/index.html redirects to /docs/", "/docs/index.html", "", 301, "/docs/", NULL, false},
    {"/about/ with only about.html is 404", "/about/", "", 404, NULL, "not here\n", false},
    {"a missing asset is 404", "/_next/static/chunks/gone.js", "Accept: */*\r\n", 404, NULL, "not here\n", false},
    {"the asset that is there", "/_next/static/chunks/main.js", "", 200, NULL, "js\n", false},
    {"an admin route: the admin shell", "/admin/users/42", "", 200, NULL, "admin shell\n", false},
    {"an app route: the app shell", "/app/settings", "", 200, NULL, "app shell\n", false},
    {"a navigation to a dotted admin route", "/admin/users/john.doe", "Sec-Fetch-Mode: navigate\r\n", 200, NULL,
     "admin shell\n", true},
    {"Accept: text/html is a navigation too", "/app/blog/2024.01.01", "Accept: text/html\r\n", 200, NULL, "app shell\n",
     true},
    {"a script's fetch of a missing admin asset", "/admin/main.4f2a.js", "Sec-Fetch-Mode: no-cors\r\n", 404, NULL,
     "not here\n", true},
    {"a navigation outside both apps", "/users/john.doe", "Sec-Fetch-Mode: navigate\r\n", 404, NULL, "not here\n",
     false},
};

/*
 * Issue 27 items 4 and 5: an export shaped like Next.js's or Hugo's, served
 * with --try-ext .html --clean-urls-redirect, an error page, and two apps'
 * fallbacks by prefix: every clean URL, canonical redirect, fallback and
 * navigation answers as docs/configuration.md's "Clean URLs" says.
 */
START_TEST(test_static_site_export)
{
    char root[400], path[600];
    snprintf(root, sizeof(root), "%s/export", base_dir);
    for (size_t i = 0; i < OTU_ARRAY_LEN(export_files); i++) {
        snprintf(path, sizeof(path), "mkdir -p \"$(dirname '%s/%s')\"", root, export_files[i][0]);
        ck_assert_int_eq(sh(path), 0);
        snprintf(path, sizeof(path), "%s/%s", root, export_files[i][0]);
        ck_assert_int_eq(e2e_write_file(path, export_files[i][1], strlen(export_files[i][1])), 0);
    }
    int p;
    pid_t m = start_over(root,
                         ARGS("-w", "1", "--try-ext", ".html", "--clean-urls-redirect", "--error-page", "404=/404.html",
                              "--fallback", "/admin/=/admin/index.html", "--fallback", "/app=/app/index.html"),
                         &p);
    for (size_t i = 0; i < OTU_ARRAY_LEN(export_cases); i++) {
        const struct export_case *c = &export_cases[i];
        char raw[600], value[256];
        snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n", c->target, c->headers);
        struct e2e_response r;
        ck_assert_int_eq(e2e_exchange(p, raw, &r), 0);
        ck_assert_msg(r.status == c->status, "%s: %s gave %d, expected %d", c->what, c->target, r.status, c->status);
        if (c->location != NULL) {
            ck_assert_msg(e2e_header(&r, "Location", value, sizeof(value)) != NULL, "%s: no Location", c->what);
            ck_assert_msg(strcmp(value, c->location) == 0, "%s: Location %s", c->what, value);
        }
        if (c->body != NULL)
            ck_assert_msg(r.body_len == strlen(c->body) && memcmp(r.body, c->body, r.body_len) == 0, "%s: body %.*s",
                          c->what, (int)r.body_len, r.body);
        bool vary = false;
        for (const char *h = strstr(r.head, "\r\nVary: "); h != NULL; h = strstr(h + 2, "\r\nVary: "))
            vary = vary || strncmp(h + 8, "Accept, Sec-Fetch-Mode\r\n", 24) == 0;
        ck_assert_msg(vary == c->vary, "%s: Vary: Accept, Sec-Fetch-Mode %s", c->what, vary ? "sent" : "missing");
        e2e_response_free(&r);
    }
    printf("static-site export: %zu requests answered as documented\n", OTU_ARRAY_LEN(export_cases));
    fflush(stdout);
    ck_assert_int_eq(e2e_stop(m), 0);
}
END_TEST

/* ---- logs a pipeline can read ---- */

/* The number of lines of path that python3's json module reads as objects; -1 when one does not parse. */
static int json_lines(const char *path)
{
    char cmd[800];
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys\n"
             "n=0\n"
             "for l in open(sys.argv[1], encoding=\"utf-8\"):\n"
             "    assert isinstance(json.loads(l), dict), l\n"
             "    n+=1\n"
             "sys.exit(min(n,250))' '%s'",
             path);
    int rc = sh(cmd);
    return rc == 1 ? -1 : rc; /* an assertion or a parse error exits 1 */
}

/*
 * Issue 27 item 6: with --log-format json every line the server writes
 * after reading its configuration is JSON: the start, a warning (an unknown
 * variable), the access lines, a reload, the stop.
 */
START_TEST(test_json_logs_every_line)
{
    setenv("OTUSERVER_WORKRES", "2", 1); /* a typo: one warning line */
    int p;
    pid_t m = lc_start(ARGS("-w", "1", "--log-format", "json"), &p);
    unsetenv("OTUSERVER_WORKRES");
    struct e2e_response r;
    expect_status_on(p, "GET /page.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    expect_status_on(p, "GET /nope\" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 404, &r);
    e2e_response_free(&r);
    ck_assert_int_eq(kill(m, SIGHUP), 0);
    usleep((useconds_t)slow(500) * 1000);
    expect_status_on(p, "GET /page.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(m), 0);
    int n = json_lines(lc_log);
    printf("json logs: %d lines, every one a JSON object\n", n);
    fflush(stdout);
    ck_assert_msg(n >= 7, "%d lines parsed (-1: one did not) in %s", n, lc_log);
    static const char *const must[] = {"\"level\":\"warn\"",  "OTUSERVER_WORKRES",        "listening on",  "reloaded",
                                       "\"msg\":\"stopped\"", "\"target\":\"/nope\\\"\"", "\"status\":404"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(must); i++)
        ck_assert_msg(log_count(must[i]) >= 1, "no line with %s", must[i]);
}
END_TEST

/*
 * A 38-byte answer logs a duration above zero, measured from the complete
 * head to the last byte (microseconds), and lands in a bucket under a
 * millisecond (under valgrind, OTU_E2E_SLOW, or qemu: under 100 ms, as
 * they run twenty to fifty times slower; 8.2 ms measured under qemu).
 */
START_TEST(test_small_answer_duration_measured)
{
    write_text("tiny.txt", "thirty-eight bytes of text, no more!!\n");
    char mport_arg[16];
    int mport, p;
    free_port_arg(&mport, mport_arg);
    pid_t m = lc_start(ARGS("-w", "1", "--log-format", "json", "--metrics-port", mport_arg), &p);
    struct e2e_response r;
    expect_status_on(p, "GET /tiny.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200, &r);
    ck_assert_uint_eq(r.body_len, 38);
    e2e_response_free(&r);
    usleep(300000); /* the worker flushes its access lines on a timer */
    char *text = fetch_metrics(mport);
    bool slow_server = getenv("OTU_E2E_SLOW") != NULL || server_is_emulated();
    const char *bound = slow_server ? "otuserver_request_duration_seconds_bucket{le=\"0.1\"}"
                                    : "otuserver_request_duration_seconds_bucket{le=\"0.001\"}";
    long long in_bucket = metric_sum(text, bound);
    long long under_50us = metric_sum(text, "otuserver_request_duration_seconds_bucket{le=\"5e-05\"}");
    free(text);
    ck_assert_int_eq(e2e_stop(m), 0);
    size_t len;
    char *log = e2e_read_file(lc_log, &len);
    ck_assert_ptr_nonnull(log);
    const char *d = strstr(log, "\"duration_ms\":");
    ck_assert_ptr_nonnull(d);
    double ms = strtod(d + 14, NULL);
    printf("a 38-byte answer: duration_ms %.3f; %s %lld (le 5e-05: %lld)\n", ms, bound, in_bucket, under_50us);
    fflush(stdout);
    free(log);
    ck_assert_msg(ms > 0, "the duration was logged as 0");
    ck_assert_int_eq(in_bucket, 1);
}
END_TEST

TCase *e2e_fleet_tcase(void)
{
    TCase *tc = tcase_create("fleet");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_replicas_share_etags);
    tcase_add_test(tc, test_etag_over_the_hash_limit_is_size_and_mtime);
    tcase_add_test(tc, test_static_site_export);
    tcase_add_test(tc, test_json_logs_every_line);
    tcase_add_test(tc, test_small_answer_duration_measured);
    return tc;
}

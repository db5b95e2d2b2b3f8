/*
 * check_metrics_http.c - the /metrics port's policy, answer by answer:
 * GET or HEAD of /metrics is 200 with the exposition, any other path 404,
 * any other method 405, a parser's status as it is, keep-alive as asked;
 * nothing counted.  Requests come parsed, as the connection engine hands
 * them over.
 */
#include "compat.h"

#include "metrics_http.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char date[] = "Sun, 06 Nov 1994 08:49:37 GMT";
static struct metrics *m;
static struct metrics_http *mh;
static struct conn_app app;
static struct reply r;
static char out[METRICS_HTTP_BODY_MAX + 1024];

static void setup(void)
{
    m = metrics_create(2);
    ck_assert_ptr_nonnull(m);
    metrics_record_request(m, 0, METRICS_GET, 200, 1000, 1500);
    metrics_record_request(m, 1, METRICS_HEAD, 404, 0, 200);
    mh = metrics_http_new(m, ACCESS_LOG_TEXT);
    ck_assert_ptr_nonnull(mh);
    metrics_http_app(mh, &app);
    ck_assert_int_eq(reply_init(&r, app.head_max), 0);
}

static void teardown(void)
{
    reply_free(&r);
    metrics_http_free(mh);
}

/* Parses raw as the engine would and answers it; out gets head and body, NUL-terminated. */
static bool ask(const char *raw, bool keep_alive)
{
    static struct http_request req;
    struct http_request_info info;
    ck_assert_int_gt(http_parse_request(raw, strlen(raw), METRICS_HTTP_MAX_HEADERS, &req), 0);
    unsigned strikes = 0;
    struct conn_request q = {http_request_interpret(&req, &info), &info, keep_alive, date, "127.0.0.1", &strikes};
    bool quiet = app.answer(app.arg, &q, &r);
    ck_assert_uint_le(r.head_len, app.head_max);
    ck_assert_uint_le(r.body_len, app.body_max);
    ck_assert_int_eq(r.fd, -1);
    memcpy(out, r.head, r.head_len);
    memcpy(out + r.head_len, r.body ? r.body : "", r.body_len);
    out[r.head_len + r.body_len] = '\0';
    app.done(app.arg);
    return quiet;
}

START_TEST(test_get_metrics)
{
    ask("GET /metrics?x=1 HTTP/1.1\r\nHost: t\r\nAccept: text/plain\r\n\r\n", true);
    ck_assert_msg(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "Connection: keep-alive\r\n\r\n")); /* keep-alive allowed */
    ck_assert_ptr_nonnull(strstr(out, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
    ck_assert_ptr_null(strstr(out, "Server:")); /* an internal port: nothing to advertise */
    const char *body = strstr(out, "\r\n\r\n") + 4;
    ck_assert_ptr_nonnull(strstr(body, "otuserver_requests_total{method=\"GET\",code=\"2xx\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(body, "otuserver_requests_total{method=\"HEAD\",code=\"4xx\"} 1\n"));
    char want[64];
    snprintf(want, sizeof(want), "Content-Length: %zu\r\n", strlen(body));
    ck_assert_msg(strstr(out, want) != NULL, "%s not in the head", want);
    ask("GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", false);
    ck_assert_ptr_nonnull(strstr(out, "Connection: close\r\n\r\n"));
    ck_assert(r.close);
}
END_TEST

START_TEST(test_head_has_no_body)
{
    ask("HEAD /metrics HTTP/1.0\r\n\r\n", false);
    ck_assert(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
    const char *end = strstr(out, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    ck_assert_str_eq(end, "\r\n\r\n");
    ck_assert_ptr_null(strstr(out, "Content-Length: 0\r\n"));
}
END_TEST

START_TEST(test_other_paths_404)
{
    static const char *const reqs[] = {"GET /metricsX HTTP/1.1\r\nHost: t\r\n\r\n", "GET / HTTP/1.1\r\nHost: t\r\n\r\n",
                                       "GET /metrics/ HTTP/1.0\r\n\r\n", "HEAD /x HTTP/1.0\r\n\r\n"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(reqs); i++) {
        ask(reqs[i], true);
        ck_assert_msg(strncmp(out, "HTTP/1.1 404 Not Found\r\n", 24) == 0, "%s -> %s", reqs[i], out);
    }
    ask("GET / HTTP/1.1\r\nHost: t\r\n\r\n", true);
    ck_assert_ptr_nonnull(strstr(out, "\r\n\r\nmetrics are at /metrics\n"));
}
END_TEST

START_TEST(test_other_methods_405)
{
    static const char *const reqs[] = {"POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
                                       "OPTIONS /metrics HTTP/1.1\r\nHost: t\r\n\r\n",
                                       "DELETE / HTTP/1.1\r\nHost: t\r\n\r\n",
                                       "BREW /metrics HTTP/1.1\r\nHost: t\r\n\r\n"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(reqs); i++) {
        ask(reqs[i], true);
        ck_assert_msg(strncmp(out, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0, "%s -> %s", reqs[i], out);
        ck_assert_ptr_nonnull(strstr(out, "Allow: GET, HEAD\r\n"));
    }
}
END_TEST

START_TEST(test_reader_status_and_errors_close)
{
    ask("GET /metrics HTTP/1.1\r\n\r\n", true); /* no Host in HTTP/1.1: the reader's 400 */
    ck_assert_msg(strncmp(out, "HTTP/1.1 400 ", 13) == 0, "%s", out);
    ck_assert(r.close);
    app.error(app.arg, 431, date, &r); /* a head over METRICS_HTTP_REQUEST_MAX, from the engine */
    ck_assert_int_eq(r.status, 431);
    ck_assert(r.close);
    ck_assert_uint_eq(r.body_len, 0);
}
END_TEST

/* Scrapes are quiet (debug) and counted nowhere: the exposition does not count itself. */
START_TEST(test_scrapes_are_not_counted)
{
    for (int i = 0; i < 3; i++)
        ck_assert(!ask("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", true));
    struct request_record rec = {.peer = "127.0.0.1", .method = {"GET", 3}, .target = {"/metrics", 8}, .status = 200};
    app.finished(app.arg, &rec);
    ask("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", true);
    ck_assert_ptr_nonnull(strstr(out, "otuserver_requests_total{method=\"GET\",code=\"2xx\"} 1\n"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics_http");
    TCase *tc = tcase_create("answers");
    tcase_add_checked_fixture(tc, setup, teardown); /* a forked test: its mapping ends with it */
    tcase_add_test(tc, test_get_metrics);
    tcase_add_test(tc, test_head_has_no_body);
    tcase_add_test(tc, test_other_paths_404);
    tcase_add_test(tc, test_other_methods_405);
    tcase_add_test(tc, test_reader_status_and_errors_close);
    tcase_add_test(tc, test_scrapes_are_not_counted);
    suite_add_tcase(s, tc);
    return check_run(s);
}

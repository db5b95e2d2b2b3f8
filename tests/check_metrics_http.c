/*
 * check_metrics_http.c - the /metrics listener's answers, byte for byte.
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
static char out[METRICS_HTTP_RESPONSE_MAX];

static void setup(void)
{
    m = metrics_create(2);
    ck_assert_ptr_nonnull(m);
    metrics_record_request(m, 0, METRICS_GET, 200, 1000, 1500);
    metrics_record_request(m, 1, METRICS_HEAD, 404, 0, 200);
}

/* Answers req (a C string) and NUL-terminates the answer. */
static size_t ask(const char *req)
{
    size_t n = metrics_http_answer(m, req, strlen(req), date, out, sizeof(out) - 1);
    out[n] = '\0';
    return n;
}

START_TEST(test_get_metrics)
{
    size_t n = ask("GET /metrics?x=1 HTTP/1.1\r\nHost: t\r\nAccept: text/plain\r\n\r\n");
    ck_assert_uint_gt(n, 0);
    ck_assert_msg(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "Connection: close\r\n\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
    const char *body = strstr(out, "\r\n\r\n") + 4;
    ck_assert_ptr_nonnull(strstr(body, "otuserver_requests_total{method=\"GET\",code=\"2xx\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(body, "otuserver_requests_total{method=\"HEAD\",code=\"4xx\"} 1\n"));
    char want[64];
    snprintf(want, sizeof(want), "Content-Length: %zu\r\n", strlen(body));
    ck_assert_msg(strstr(out, want) != NULL, "%s not in the head", want);
}
END_TEST

START_TEST(test_head_has_no_body)
{
    ask("HEAD /metrics HTTP/1.0\r\n\r\n");
    ck_assert(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
    const char *end = strstr(out, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    ck_assert_str_eq(end, "\r\n\r\n");
    ck_assert_ptr_null(strstr(out, "Content-Length: 0\r\n"));
}
END_TEST

START_TEST(test_other_paths_and_methods_404)
{
    static const char *const reqs[] = {
        "GET /metricsX HTTP/1.1\r\nHost: t\r\n\r\n", "GET / HTTP/1.1\r\nHost: t\r\n\r\n",
        "POST /metrics HTTP/1.1\r\nHost: t\r\n\r\n", "GET /metrics/ HTTP/1.0\r\n\r\n"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(reqs); i++) {
        ask(reqs[i]);
        ck_assert_msg(strncmp(out, "HTTP/1.1 404 Not Found\r\n", 24) == 0, "%s -> %s", reqs[i], out);
        ck_assert_ptr_nonnull(strstr(out, "\r\n\r\nmetrics are at /metrics\n"));
    }
}
END_TEST

START_TEST(test_incomplete_then_too_long)
{
    ck_assert_uint_eq(ask("GET /metrics HTTP/1.1\r\nHost: t\r\n"), 0); /* more may come */
    char junk[METRICS_HTTP_REQUEST_MAX];
    memset(junk, 'x', sizeof(junk));
    size_t n = metrics_http_answer(m, junk, sizeof(junk), date, out, sizeof(out) - 1);
    out[n] = '\0';
    ck_assert_msg(strncmp(out, "HTTP/1.1 431 ", 13) == 0, "%s", out);
}
END_TEST

START_TEST(test_malformed_gets_parser_status)
{
    ask("GET /metrics HTTP/2.0\r\n\r\n");
    ck_assert_msg(strncmp(out, "HTTP/1.1 505 ", 13) == 0, "%s", out);
    ask("GET /metrics HTTP/1.1\r\nBad Header\r\n\r\n");
    ck_assert_msg(strncmp(out, "HTTP/1.1 400 ", 13) == 0, "%s", out);
}
END_TEST

START_TEST(test_small_output_never_overflows)
{
    char small[100];
    memset(small, '#', sizeof(small));
    size_t n = metrics_http_answer(m, "GET /metrics HTTP/1.0\r\n\r\n", 25, date, small, 64);
    ck_assert_uint_le(n, 64);
    ck_assert_int_eq(small[64], '#');
}
END_TEST

static Suite *metrics_http_suite(void)
{
    Suite *s = suite_create("metrics_http");
    TCase *tc = tcase_create("answers");
    tcase_add_checked_fixture(tc, setup, NULL); /* a forked test: its mapping ends with it */
    tcase_add_test(tc, test_get_metrics);
    tcase_add_test(tc, test_head_has_no_body);
    tcase_add_test(tc, test_other_paths_and_methods_404);
    tcase_add_test(tc, test_incomplete_then_too_long);
    tcase_add_test(tc, test_malformed_gets_parser_status);
    tcase_add_test(tc, test_small_output_never_overflows);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(metrics_http_suite());
}

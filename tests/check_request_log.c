/*
 * check_request_log.c - a request's record becomes one access line (at
 * info, or at debug for a quiet one) and its counts (requests by method and
 * class, or the health counter for a quiet one), without a socket.
 */
#include "compat.h"

#include "log.h"
#include "request_log.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char log_path[] = "/tmp/otu-request-log.XXXXXX";
static struct metrics *m;
static char text[8192];

static void setup(void)
{
    int fd = mkstemp(log_path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(log_open(log_path), 0);
    m = metrics_create(1);
    ck_assert_ptr_nonnull(m);
}

static void teardown(void)
{
    unlink(log_path);
}

/* The log's text so far. */
static const char *logged(void)
{
    FILE *f = fopen(log_path, "r");
    size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    return text;
}

/* A record of GET path answered status. */
static struct request_record record(const char *method, const char *path, int status, bool quiet)
{
    struct request_record r = {.peer = "192.0.2.7",
                               .method = {method, strlen(method)},
                               .target = {path, strlen(path)},
                               .referer = {"http://ref/", 11},
                               .agent = {"curl/8", 6},
                               .minor = 1,
                               .status = status,
                               .quiet = quiet,
                               .started_us = 1000,
                               .bytes_sent = 300,
                               .head_bytes = 100};
    return r;
}

START_TEST(test_a_line_and_its_counts)
{
    char page[8192];
    log_threshold = LOG_LEVEL_INFO;
    struct request_record r = record("GET", "/a.html", 200, false);
    request_log_finish(&r, 1500, ACCESS_LOG_COMBINED, m, 0);
    ck_assert_ptr_nonnull(strstr(logged(), "192.0.2.7 - - ["));
    ck_assert_ptr_nonnull(strstr(text, "\"GET /a.html HTTP/1.1\" 200 200 \"http://ref/\" \"curl/8\""));
    ck_assert_int_ge(metrics_render(m, page, sizeof(page)), 0);
    ck_assert_ptr_nonnull(strstr(page, "otuserver_requests_total{method=\"GET\",code=\"2xx\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(page, "otuserver_response_bytes_total 300\n"));
}
END_TEST

START_TEST(test_quiet_is_debug_and_counted_apart)
{
    char page[8192];
    log_threshold = LOG_LEVEL_INFO;
    struct request_record r = record("GET", "/healthz", 200, true);
    request_log_finish(&r, 1500, ACCESS_LOG_TEXT, m, 0);
    ck_assert_ptr_null(strstr(logged(), "/healthz")); /* not at info */
    log_threshold = LOG_LEVEL_DEBUG;
    request_log_finish(&r, 1500, ACCESS_LOG_TEXT, m, 0);
    ck_assert_ptr_nonnull(strstr(logged(), "\"GET /healthz HTTP/1.1\" 200"));
    ck_assert_int_ge(metrics_render(m, page, sizeof(page)), 0);
    ck_assert_ptr_nonnull(strstr(page, "otuserver_health_checks_total{status=\"200\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(page, "otuserver_requests_total{method=\"GET\",code=\"2xx\"} 0\n"));
    request_log_finish(&r, 1500, ACCESS_LOG_TEXT, NULL, 0); /* metrics off: the line only */
}
END_TEST

START_TEST(test_method_classes)
{
    static const struct {
        const char *method;
        enum metrics_method want;
    } rows[] = {{"GET", METRICS_GET},   {"HEAD", METRICS_HEAD},  {"POST", METRICS_OTHER},
                {"get", METRICS_OTHER}, {"GETX", METRICS_OTHER}, {"", METRICS_OTHER}};
    for (size_t i = 0; i < OTU_ARRAY_LEN(rows); i++) {
        struct http_slice s = {rows[i].method, strlen(rows[i].method)};
        ck_assert_int_eq(request_log_method(s), rows[i].want);
    }
    ck_assert_int_eq(request_log_method((struct http_slice){NULL, 0}), METRICS_OTHER);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("request_log");
    TCase *tc = tcase_create("request_log");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_a_line_and_its_counts);
    tcase_add_test(tc, test_quiet_is_debug_and_counted_apart);
    tcase_add_test(tc, test_method_classes);
    suite_add_tcase(s, tc);
    return check_run(s);
}

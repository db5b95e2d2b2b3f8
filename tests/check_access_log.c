/*
 * check_access_log.c - access-line formats, escaping and cutting.
 */
#include "compat.h"

#include "access_log.h"

#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct access_record make_record(const char *target, const char *agent)
{
    struct access_record r;
    memset(&r, 0, sizeof(r));
    r.peer = "192.0.2.7";
    r.method = (struct http_slice){"GET", 3};
    r.target = (struct http_slice){target, strlen(target)};
    r.minor_version = 1;
    r.status = 200;
    r.body_bytes = 38;
    r.duration_us = 1234;
    r.referer = (struct http_slice){NULL, 0};
    r.user_agent = agent ? (struct http_slice){agent, strlen(agent)} : (struct http_slice){NULL, 0};
    r.when.tv_sec = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    r.when.tv_usec = 250000;
    return r;
}

START_TEST(test_combined_exact)
{
    struct access_record r = make_record("/a?b=c", "curl/8");
    char out[4000];
    size_t n = access_log_format(ACCESS_LOG_COMBINED, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_str_eq(out, "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] \"GET /a?b=c HTTP/1.1\" 200 38 \"-\" "
                          "\"curl/8\" 0.001234\n");
}
END_TEST

START_TEST(test_json_exact)
{
    struct access_record r = make_record("/x", NULL);
    char out[4000];
    size_t n = access_log_format(ACCESS_LOG_JSON, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_str_eq(out, "{\"time\":\"1994-11-06T08:49:37.250Z\",\"remote_addr\":\"192.0.2.7\","
                          "\"request\":\"GET /x HTTP/1.1\",\"method\":\"GET\",\"target\":\"/x\",\"status\":200,"
                          "\"bytes\":38,\"referer\":\"\",\"user_agent\":\"\",\"duration_ms\":1.234}\n");
}
END_TEST

START_TEST(test_hostile_bytes_are_escaped)
{
    static const char target[] = "/\"a\\b\n\r\x01\xff";
    struct access_record r = make_record(target, "x\" \"forged");
    char out[4000];
    size_t n = access_log_format(ACCESS_LOG_COMBINED, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_ptr_nonnull(strstr(out, "/\\x22a\\x5cb\\x0a\\x0d\\x01\\xff"));
    ck_assert_ptr_nonnull(strstr(out, "x\\x22 \\x22forged"));
    ck_assert_ptr_eq(strchr(out, '\n'), out + n - 1); /* exactly one line */
    n = access_log_format(ACCESS_LOG_JSON, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_ptr_nonnull(strstr(out, "/\\\"a\\\\b\\u000a\\u000d\\u0001\\u00ff"));
    ck_assert_ptr_eq(strchr(out, '\n'), out + n - 1);
}
END_TEST

START_TEST(test_long_fields_are_cut_to_fit)
{
    char *target = malloc(20000);
    memset(target, '"', 19999); /* the worst case: every byte escaped */
    target[0] = '/';
    target[19999] = '\0';
    char *agent = malloc(20000);
    memset(agent, '\x01', 19999);
    agent[19999] = '\0';
    struct access_record r = make_record(target, agent);
    char out[4000];
    for (int f = ACCESS_LOG_TEXT; f <= ACCESS_LOG_JSON; f++) {
        size_t n = access_log_format((enum access_log_format)f, &r, out, sizeof(out));
        ck_assert_uint_le(n, sizeof(out));
        ck_assert_int_eq(out[n - 1], '\n');
        out[n - 1] = '\0';
        ck_assert_ptr_nonnull(strstr(out, "..."));
        if (f == ACCESS_LOG_JSON)
            ck_assert_int_eq(out[n - 2], '}'); /* still a whole object */
    }
    free(target);
    free(agent);
}
END_TEST

START_TEST(test_unparsed_request_is_dash)
{
    struct access_record r = make_record("/", NULL);
    r.method = (struct http_slice){NULL, 0};
    r.minor_version = -1;
    r.status = 400;
    char out[4000];
    size_t n = access_log_format(ACCESS_LOG_COMBINED, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_ptr_nonnull(strstr(out, "\"-\" 400 "));
}
END_TEST

START_TEST(test_parse_format)
{
    ck_assert_int_eq(access_log_parse_format("text"), ACCESS_LOG_TEXT);
    ck_assert_int_eq(access_log_parse_format("combined"), ACCESS_LOG_COMBINED);
    ck_assert_int_eq(access_log_parse_format("json"), ACCESS_LOG_JSON);
    ck_assert_int_eq(access_log_parse_format("JSON"), -1);
    ck_assert_int_eq(access_log_parse_format(""), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("access_log");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_combined_exact);
    tcase_add_test(tc, test_json_exact);
    tcase_add_test(tc, test_hostile_bytes_are_escaped);
    tcase_add_test(tc, test_long_fields_are_cut_to_fit);
    tcase_add_test(tc, test_unparsed_request_is_dash);
    tcase_add_test(tc, test_parse_format);
    suite_add_tcase(s, tc);
    return check_run(s);
}

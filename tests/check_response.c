/*
 * check_response.c - response heads, error bodies and HTTP dates, byte for byte.
 */
#include "compat.h"

#include "http_date.h"
#include "response.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_head_exact_bytes)
{
    struct response_head h;
    memset(&h, 0, sizeof(h));
    h.status = 200;
    h.server = "otuserver/x";
    h.date = "Sun, 06 Nov 1994 08:49:37 GMT";
    h.content_type = "text/html";
    h.content_length = 38;
    h.keep_alive = true;
    char buf[512];
    int n = response_format_head(&h, buf, sizeof(buf));
    const char *want = "HTTP/1.1 200 OK\r\nServer: otuserver/x\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                       "Content-Type: text/html\r\nContent-Length: 38\r\nConnection: keep-alive\r\n\r\n";
    ck_assert_int_eq(n, (int)strlen(want));
    ck_assert_str_eq(buf, want);
}
END_TEST

START_TEST(test_head_all_fields_and_close)
{
    struct response_head h = {.status = 206,
                              .server = "s",
                              .date = "d",
                              .content_type = "t",
                              .content_length = 0,
                              .last_modified = "lm",
                              .etag = "\"e\"",
                              .content_range = "bytes 0-0/1",
                              .content_encoding = "gzip",
                              .location = "/x/",
                              .allow = "GET, HEAD",
                              .cache_control = "no-cache",
                              .extra = "X-A: b\r\n",
                              .accept_ranges = true,
                              .vary_accept_encoding = true,
                              .keep_alive = false};
    char buf[1024];
    ck_assert_int_gt(response_format_head(&h, buf, sizeof(buf)), 0);
    static const char *const lines[] = {"HTTP/1.1 206 Partial Content\r\n",
                                        "Content-Length: 0\r\n",
                                        "Last-Modified: lm\r\n",
                                        "ETag: \"e\"\r\n",
                                        "Content-Range: bytes 0-0/1\r\n",
                                        "Content-Encoding: gzip\r\n",
                                        "Location: /x/\r\n",
                                        "Allow: GET, HEAD\r\n",
                                        "Cache-Control: no-cache\r\n",
                                        "X-A: b\r\n",
                                        "Accept-Ranges: bytes\r\n",
                                        "Vary: Accept-Encoding\r\n",
                                        "Connection: close\r\n\r\n"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(lines); i++)
        ck_assert_msg(strstr(buf, lines[i]) != NULL, "missing %s", lines[i]);
}
END_TEST

START_TEST(test_head_overflow)
{
    struct response_head h = {.status = 404, .server = "otuserver", .content_length = -1};
    char buf[20];
    ck_assert_int_eq(response_format_head(&h, buf, sizeof(buf)), -1);
}
END_TEST

static const int statuses[] = {200, 206, 301, 304, 400, 403, 404, 405, 408, 414, 416, 431, 500, 501, 505};

START_TEST(test_reasons_and_bodies)
{
    int status = statuses[_i];
    ck_assert_str_ne(response_reason(status), "Unknown");
    char body[512];
    int n = response_error_body(status, body, sizeof(body));
    ck_assert_int_gt(n, 0);
    char code[8];
    snprintf(code, sizeof(code), "%d", status);
    ck_assert_ptr_nonnull(strstr(body, code));
    ck_assert_ptr_nonnull(strstr(body, response_reason(status)));
}
END_TEST

START_TEST(test_date_format)
{
    char out[HTTP_DATE_LEN + 1];
    http_date_format(784111777, out);
    ck_assert_str_eq(out, "Sun, 06 Nov 1994 08:49:37 GMT");
    http_date_format(0, out);
    ck_assert_str_eq(out, "Thu, 01 Jan 1970 00:00:00 GMT");
}
END_TEST

static const struct {
    const char *in;
    long long t;
} date_cases[] = {
    {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
    {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
    {"Sun Nov  6 08:49:37 1994", 784111777},
    {"Sun, 06 Nov 1994 08:49:37 UTC", -1},
    {"Sun, 6 Nov 1994 08:49:37 GMT", -1},
    {"Sun, 06 Nov 1994 08:49:37 GMT junk", -1},
    {"Sun, 06 Foo 1994 08:49:37 GMT", -1},
    {"Sun, 32 Nov 1994 08:49:37 GMT", -1},
    {"Sun, 06 Nov 1994 25:49:37 GMT", -1},
    {"", -1},
    {"garbage", -1},
};

START_TEST(test_date_parse)
{
    time_t t = http_date_parse(date_cases[_i].in, strlen(date_cases[_i].in));
    ck_assert_msg((long long)t == date_cases[_i].t, "'%s' -> %lld", date_cases[_i].in, (long long)t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("response");
    TCase *tc = tcase_create("head");
    tcase_add_test(tc, test_head_exact_bytes);
    tcase_add_test(tc, test_head_all_fields_and_close);
    tcase_add_test(tc, test_head_overflow);
    tcase_add_loop_test(tc, test_reasons_and_bodies, 0, (int)OTU_ARRAY_LEN(statuses));
    suite_add_tcase(s, tc);
    tc = tcase_create("date");
    tcase_add_test(tc, test_date_format);
    tcase_add_loop_test(tc, test_date_parse, 0, (int)OTU_ARRAY_LEN(date_cases));
    suite_add_tcase(s, tc);
    return check_run(s);
}

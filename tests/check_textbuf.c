/*
 * check_textbuf.c - the bounded appender, the clock helpers and the UTF-8 check.
 */
#include "compat.h"

#include "clock.h"
#include "textbuf.h"
#include "utf8.h"

#include "check_run.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

START_TEST(test_puts_and_numbers)
{
    char buf[64];
    struct textbuf b = textbuf_over(buf, sizeof(buf));
    textbuf_puts(&b, "n=");
    textbuf_put_u64(&b, 0, 0);
    textbuf_put(&b, " ", 1);
    textbuf_put_u64(&b, UINT64_MAX, 1);
    textbuf_put(&b, " ", 1);
    textbuf_put_u64(&b, 7, 3);
    textbuf_put(&b, " ", 1);
    textbuf_put_u64(&b, 12345, 2);
    ck_assert(!b.cut);
    ck_assert_int_eq(b.len, strlen("n=0 18446744073709551615 007 12345"));
    ck_assert_mem_eq(buf, "n=0 18446744073709551615 007 12345", b.len);
}
END_TEST

START_TEST(test_cut_keeps_what_fits_and_never_writes_past)
{
    char buf[12];
    memset(buf, '#', sizeof(buf));
    struct textbuf b = textbuf_over(buf, 8);
    textbuf_puts(&b, "abcdef");
    ck_assert(!b.cut);
    textbuf_put_u64(&b, 12345, 1);
    ck_assert(b.cut);
    ck_assert_int_eq(b.len, 8);
    ck_assert_mem_eq(buf, "abcdef12", 8);
    ck_assert_mem_eq(buf + 8, "####", 4); /* nothing past the capacity */
    textbuf_puts(&b, "more");
    ck_assert_int_eq(b.len, 8);
    ck_assert(b.cut);
}
END_TEST

START_TEST(test_printf_fits_and_cuts)
{
    char buf[16];
    memset(buf, '#', sizeof(buf));
    struct textbuf b = textbuf_over(buf, 10);
    textbuf_printf(&b, "%s=%d", "ab", 42);
    ck_assert(!b.cut);
    ck_assert_int_eq(b.len, 5);
    ck_assert_mem_eq(buf, "ab=42", 5);
    textbuf_printf(&b, "%s", "0123456789");
    ck_assert(b.cut);
    ck_assert_int_le(b.len, 10);
    ck_assert_mem_eq(buf, "ab=420123", 9);
    ck_assert_mem_eq(buf + 10, "######", 6);
    textbuf_printf(&b, "x");
    ck_assert_int_le(b.len, 10);
}
END_TEST

START_TEST(test_zero_capacity)
{
    char c = '#';
    struct textbuf b = textbuf_over(&c, 0);
    textbuf_puts(&b, "x");
    textbuf_put_u64(&b, 1, 1);
    textbuf_printf(&b, "%d", 5);
    ck_assert(b.cut);
    ck_assert_int_eq(b.len, 0);
    ck_assert_int_eq(c, '#');
}
END_TEST

START_TEST(test_clock_conversions)
{
    struct timeval tv = clock_ms_to_timeval(2500);
    ck_assert_int_eq(tv.tv_sec, 2);
    ck_assert_int_eq(tv.tv_usec, 500000);
    tv = clock_ms_to_timeval(999);
    ck_assert_int_eq(tv.tv_sec, 0);
    ck_assert_int_eq(tv.tv_usec, 999000);
    tv = clock_ms_to_timeval(-5);
    ck_assert_int_eq(tv.tv_sec, 0);
    ck_assert_int_eq(tv.tv_usec, 0);
    struct timespec ts = clock_ms_to_timespec(10001);
    ck_assert_int_eq(ts.tv_sec, 10);
    ck_assert_int_eq(ts.tv_nsec, 1000000);
    ts = clock_ms_to_timespec(-1);
    ck_assert_int_eq(ts.tv_sec, 0);
    ck_assert_int_eq(ts.tv_nsec, 0);
}
END_TEST

START_TEST(test_clock_monotonic_and_units)
{
    int64_t ms0 = clock_mono_ms(), us0 = clock_mono_us();
    struct timespec pause = {0, 20 * 1000000};
    nanosleep(&pause, NULL);
    int64_t ms1 = clock_mono_ms(), us1 = clock_mono_us();
    ck_assert_int_ge(ms1 - ms0, 20);
    ck_assert_int_ge(us1 - us0, 20000);
    ck_assert_int_lt(us1 / 1000 - ms1, 2); /* the same clock in two units */
    struct timespec wall = clock_wall();
    ck_assert_int_gt(wall.tv_sec, 1700000000); /* after 2023: a wall clock, not uptime */
}
END_TEST

START_TEST(test_utf8_sequences)
{
    static const struct {
        const char *bytes;
        size_t n, want;
    } cases[] = {
        {"a", 1, 1},                    /* ASCII */
        {"\xc3\xa9", 2, 2},             /* e acute */
        {"\xe2\x82\xac", 3, 3},         /* euro sign */
        {"\xf0\x9f\x98\x80", 4, 4},     /* an emoji */
        {"\xc3", 1, 0},                 /* cut short */
        {"\x80", 1, 0},                 /* a stray continuation byte */
        {"\xc0\xaf", 2, 0},             /* overlong '/' */
        {"\xe0\x80\xaf", 3, 0},         /* overlong, three bytes */
        {"\xed\xa0\x80", 3, 0},         /* a surrogate */
        {"\xf4\x90\x80\x80", 4, 0},     /* past U+10FFFF */
        {"\xf8\x88\x80\x80\x80", 5, 0}, /* a five-byte lead: never UTF-8 */
        {"\xff\x80\x80", 3, 0},         /* 0xff */
        {"\xe2\x28\xa1", 3, 0},         /* a bad continuation */
    };
    for (size_t i = 0; i < OTU_ARRAY_LEN(cases); i++)
        ck_assert_msg(utf8_sequence((const unsigned char *)cases[i].bytes, cases[i].n) == cases[i].want,
                      "case %zu: %zu, expected %zu", i,
                      utf8_sequence((const unsigned char *)cases[i].bytes, cases[i].n), cases[i].want);
}
END_TEST

static Suite *textbuf_suite(void)
{
    Suite *s = suite_create("textbuf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_puts_and_numbers);
    tcase_add_test(tc, test_cut_keeps_what_fits_and_never_writes_past);
    tcase_add_test(tc, test_printf_fits_and_cuts);
    tcase_add_test(tc, test_zero_capacity);
    tcase_add_test(tc, test_clock_conversions);
    tcase_add_test(tc, test_clock_monotonic_and_units);
    tcase_add_test(tc, test_utf8_sequences);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(textbuf_suite());
}

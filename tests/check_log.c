/*
 * check_log.c - the log's lines: text and JSON forms, escaping, cutting,
 * levels, and the order of buffered access lines before a lifecycle line.
 */
#include "compat.h"

#include "log.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void setup(void)
{
    strcpy(path, "/tmp/otu-log-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(log_open(path), 0);
    log_threshold = LOG_LEVEL_DEBUG;
}

static void teardown(void)
{
    log_set_json(false);
    log_set_buffered(false);
    log_open("-");
    unlink(path);
}

/* The log file's text (static; NUL-terminated). */
static const char *contents(void)
{
    static char buf[16384];
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

START_TEST(test_text_line)
{
    LOG_WARN("disk %s at %d%%", "/srv", 97);
    const char *t = contents();
    char want[64];
    snprintf(want, sizeof(want), " [%d] warn: disk /srv at 97%%\n", (int)getpid());
    ck_assert_msg(strstr(t, want) != NULL, "%s", t);
    ck_assert_int_eq(t[4], '-');  /* 2026-... */
    ck_assert_int_eq(t[23], 'Z'); /* milliseconds, UTC */
}
END_TEST

START_TEST(test_json_line_escapes_what_a_string_cannot_hold)
{
    log_set_json(true);
    LOG_ERROR("a \"quoted\" \\ path\t%s", "caf\xc3\xa9 \xff\x01");
    const char *t = contents();
    char want[160];
    snprintf(
        want, sizeof(want),
        "\",\"pid\":%d,\"level\":\"error\",\"msg\":\"a \\\"quoted\\\" \\\\ path\\u0009caf\xc3\xa9 \\ufffd\\u0001\"}\n",
        (int)getpid());
    ck_assert_msg(strncmp(t, "{\"time\":\"", 9) == 0, "%s", t);
    ck_assert_msg(strstr(t, want) != NULL, "%s", t);
}
END_TEST

/* A message longer than a line is cut and the line still ends as its form says. */
START_TEST(test_long_messages_are_cut_whole)
{
    static char big[6000];
    memset(big, 'x', sizeof(big) - 1);
    LOG_INFO("%s", big);
    log_set_json(true);
    memset(big, '"', sizeof(big) - 1); /* each one doubles when escaped */
    LOG_INFO("%s", big);
    const char *t = contents();
    const char *second = strchr(t, '\n');
    ck_assert_ptr_nonnull(second);
    ck_assert_msg(second - t < 4096 && strncmp(second - 3, "...", 3) == 0, "the text line is not cut with ...");
    second++;
    size_t n = strlen(second);
    ck_assert_msg(n < 4096 && n > 3000 && strcmp(second + n - 3, "\"}\n") == 0, "the JSON line ends %s",
                  second + n - 3);
    ck_assert_msg(strstr(second, "\\\"\\\"") != NULL, "quotes are escaped");
}
END_TEST

START_TEST(test_levels_above_the_threshold_are_dropped)
{
    log_threshold = LOG_LEVEL_WARN;
    LOG_INFO("hidden");
    LOG_DEBUG("hidden too");
    LOG_WARN("shown");
    const char *t = contents();
    ck_assert_ptr_null(strstr(t, "hidden"));
    ck_assert_ptr_nonnull(strstr(t, "shown"));
}
END_TEST

/* Buffered access lines go out before a lifecycle line that follows them. */
START_TEST(test_buffered_lines_keep_their_order)
{
    log_set_buffered(true);
    log_append("access 1\n", 9);
    log_append("access 2\n", 9);
    ck_assert_str_eq(contents(), ""); /* held */
    LOG_INFO("after");
    const char *t = contents();
    const char *a1 = strstr(t, "access 1"), *a2 = strstr(t, "access 2"), *after = strstr(t, "after");
    ck_assert(a1 != NULL && a2 != NULL && after != NULL && a1 < a2 && a2 < after);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("lines");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_text_line);
    tcase_add_test(tc, test_json_line_escapes_what_a_string_cannot_hold);
    tcase_add_test(tc, test_long_messages_are_cut_whole);
    tcase_add_test(tc, test_levels_above_the_threshold_are_dropped);
    tcase_add_test(tc, test_buffered_lines_keep_their_order);
    suite_add_tcase(s, tc);
    return check_run(s);
}

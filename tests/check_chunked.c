/*
 * check_chunked.c - the chunked framing (a chunk's size line and CRLF
 * around data in place) and a reply stream framed through it: chunks, the
 * last chunk, a close-delimited body, a producer's stop.
 */
#include "compat.h"

#include "chunked.h"
#include "reply.h"

#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_frame_small)
{
    char buf[64];
    memcpy(buf + CHUNKED_HEAD_ROOM, "hello", 5);
    size_t start = 99;
    size_t end = chunked_frame(buf, 5, &start);
    ck_assert_uint_eq(start, CHUNKED_HEAD_ROOM - 3);
    ck_assert_uint_eq(end - start, 10);
    ck_assert_int_eq(memcmp(buf + start, "5\r\nhello\r\n", 10), 0);
}
END_TEST

START_TEST(test_frame_sizes_in_lowercase_hex)
{
    static char buf[CHUNKED_HEAD_ROOM + 0xabcd + CHUNKED_TAIL_ROOM];
    memset(buf + CHUNKED_HEAD_ROOM, 'x', 0xabcd);
    size_t start = 0;
    size_t end = chunked_frame(buf, 0xabcd, &start);
    ck_assert_int_eq(memcmp(buf + start, "abcd\r\nx", 7), 0);
    ck_assert_int_eq(memcmp(buf + end - 3, "x\r\n", 3), 0);
    ck_assert_uint_eq(end - start, 6 + 0xabcd + 2);
    memset(buf + CHUNKED_HEAD_ROOM, 'y', 16);
    end = chunked_frame(buf, 16, &start);
    ck_assert_int_eq(memcmp(buf + start, "10\r\nyyyy", 8), 0);
}
END_TEST

/* A producer of `total` bytes of 'a', at most `slice` a call, that stops instead of ending when asked. */
struct fake {
    size_t total, made, slice, calls;
    bool stop_at_end;
};

static enum reply_produced fake_next(void *arg, char *buf, size_t cap, size_t *len)
{
    struct fake *f = arg;
    f->calls++;
    size_t n = f->total - f->made;
    n = n < f->slice ? n : f->slice;
    n = n < cap ? n : cap;
    memset(buf, 'a', n);
    f->made += n;
    *len = n;
    if (f->made < f->total)
        return REPLY_MORE;
    return f->stop_at_end ? REPLY_STOP : REPLY_END;
}

static int released;
static void fake_release(void *arg)
{
    (void)arg;
    released++;
}

/* Runs s to its end into out (a dechunked copy when chunked); returns the last result. */
static enum reply_produced drain(struct reply_stream *s, char *wire, size_t *wire_len)
{
    char buf[2 * REPLY_STREAM_MIN_CAP]; /* room for a 1,000-byte slice and its framing */
    enum reply_produced rc = REPLY_MORE;
    *wire_len = 0;
    for (int i = 0; i < 100 && rc == REPLY_MORE; i++) {
        size_t start = 0, end = 0;
        rc = reply_stream_fill(s, buf, sizeof(buf), &start, &end);
        if (rc == REPLY_STOP)
            break;
        ck_assert_uint_le(start, end);
        ck_assert_uint_le(end, sizeof(buf));
        memcpy(wire + *wire_len, buf + start, end - start);
        *wire_len += end - start;
    }
    return rc;
}

START_TEST(test_stream_chunked_ends_with_the_last_chunk)
{
    struct fake f = {.total = 2500, .slice = 1000};
    struct reply_stream s = {.next = fake_next, .release = fake_release, .state = &f, .chunked = true};
    static char wire[8192];
    size_t n = 0;
    ck_assert_int_eq(drain(&s, wire, &n), REPLY_END);
    /* 3e8 (1000), 3e8, 1f4 (500), then 0 */
    ck_assert_uint_eq(n, (5 + 1000 + 2) * 2 + (5 + 500 + 2) + CHUNKED_LAST_LEN);
    ck_assert_int_eq(memcmp(wire, "3e8\r\naaa", 8), 0);
    ck_assert_int_eq(memcmp(wire + 2 * 1007, "1f4\r\na", 6), 0);
    ck_assert_int_eq(memcmp(wire + n - 7, "\r\n0\r\n\r\n", 7), 0);
    released = 0;
    reply_stream_release(&s);
    ck_assert_int_eq(released, 1);
    ck_assert_ptr_null(s.state);
    reply_stream_release(&s); /* nothing left: not released twice */
    ck_assert_int_eq(released, 1);
}
END_TEST

START_TEST(test_stream_close_delimited_is_the_bytes_alone)
{
    struct fake f = {.total = 2500, .slice = 1000};
    struct reply_stream s = {.next = fake_next, .state = &f, .chunked = false};
    static char wire[8192];
    size_t n = 0;
    ck_assert_int_eq(drain(&s, wire, &n), REPLY_END);
    ck_assert_uint_eq(n, 2500);
    ck_assert_int_eq(wire[0], 'a');
    ck_assert_int_eq(wire[2499], 'a');
}
END_TEST

START_TEST(test_stream_stop_sends_no_last_chunk)
{
    struct fake f = {.total = 1500, .slice = 1000, .stop_at_end = true};
    struct reply_stream s = {.next = fake_next, .state = &f, .chunked = true};
    static char wire[8192];
    size_t n = 0;
    ck_assert_int_eq(drain(&s, wire, &n), REPLY_STOP);
    ck_assert_uint_eq(n, 5 + 1000 + 2); /* the first chunk only: the stopped slice is not sent */
}
END_TEST

START_TEST(test_stream_empty_slice_sends_nothing)
{
    struct fake f = {.total = 10, .slice = 0};
    struct reply_stream s = {.next = fake_next, .state = &f, .chunked = true};
    char buf[REPLY_STREAM_MIN_CAP];
    size_t start = 1, end = 2;
    ck_assert_int_eq(reply_stream_fill(&s, buf, sizeof(buf), &start, &end), REPLY_MORE);
    ck_assert_uint_eq(start, end); /* a zero-length chunk would end the body */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chunked");
    TCase *tc = tcase_create("framing");
    tcase_add_test(tc, test_frame_small);
    tcase_add_test(tc, test_frame_sizes_in_lowercase_hex);
    tcase_add_test(tc, test_stream_chunked_ends_with_the_last_chunk);
    tcase_add_test(tc, test_stream_close_delimited_is_the_bytes_alone);
    tcase_add_test(tc, test_stream_stop_sends_no_last_chunk);
    tcase_add_test(tc, test_stream_empty_slice_sends_nothing);
    suite_add_tcase(s, tc);
    return check_run(s);
}

/*
 * check_decode.c - decoding gzip (several members too), brotli and zstd in
 * bounded slices, equal to the original; the bounds: bytes out, the ratio,
 * corrupt and truncated data, the count of open decoders.
 */
#include "compat.h"

#include "decode.h"

#include "check_run.h"

#include <brotli/encode.h>
#include <check.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zstd.h>

/* n bytes of text: numbered lines. */
static unsigned char *text_of(size_t n)
{
    unsigned char *p = malloc(n + 32);
    ck_assert_ptr_nonnull(p);
    size_t len = 0;
    for (unsigned i = 0; len < n; i++)
        len += (size_t)snprintf((char *)p + len, 32, "line %u\n", i);
    return p;
}

/* gzip of in[0..n) at level 9 (one member, libdeflate's: the static zlib is inflate only), appended to out. */
static void gzip_member(const unsigned char *in, size_t n, unsigned char *out, size_t *out_len, size_t cap)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(9);
    ck_assert_ptr_nonnull(c);
    size_t made = libdeflate_gzip_compress(c, in, n, out + *out_len, cap - *out_len);
    ck_assert_uint_gt(made, 0);
    *out_len += made;
    libdeflate_free_compressor(c);
}

/* A file (memfd) holding data. */
static int file_of(const void *data, size_t n)
{
    int fd = memfd_create("decode", MFD_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
    return fd;
}

static const struct decode_limits roomy = {DECODE_OUT_MAX, DECODE_RATIO_MAX};

/* Decodes fd (size bytes) in slices of cap into out; returns the last result, *n the bytes made. */
static enum decode_result run(int fd, enum decode_coding c, size_t size, const struct decode_limits *lim,
                              unsigned char *out, size_t out_cap, size_t cap, size_t *n, struct decoder **keep)
{
    struct decoder *d = decode_open(fd, c, (int64_t)size, lim);
    ck_assert_ptr_nonnull(d);
    enum decode_result rc = DECODE_MORE;
    *n = 0;
    for (int calls = 0; rc == DECODE_MORE; calls++) {
        ck_assert_int_lt(calls, 1000000);
        size_t len = 0;
        size_t room = out_cap - *n < cap ? out_cap - *n : cap;
        rc = decode_next(d, (char *)out + *n, room, &len);
        ck_assert_uint_le(len, room);
        *n += len;
    }
    if (keep != NULL)
        *keep = d;
    else
        decode_close(d);
    return rc;
}

START_TEST(test_gzip_two_members_in_small_slices)
{
    size_t n = 300000;
    unsigned char *text = text_of(n);
    size_t cap = n + 4096, zlen = 0;
    unsigned char *z = malloc(cap);
    gzip_member(text, n / 2, z, &zlen, cap);
    gzip_member(text + n / 2, n - n / 2, z, &zlen, cap);
    unsigned char *out = malloc(n + 1);
    size_t got = 0;
    ck_assert_int_eq(run(file_of(z, zlen), DECODE_GZIP, zlen, &roomy, out, n + 1, 1000, &got, NULL), DECODE_END);
    ck_assert_uint_eq(got, n);
    ck_assert_int_eq(memcmp(out, text, n), 0);
    ck_assert_int_eq(decode_active(), 0);
    free(text), free(z), free(out);
}
END_TEST

START_TEST(test_brotli_and_zstd)
{
    size_t n = 200000;
    unsigned char *text = text_of(n);
    size_t blen = BrotliEncoderMaxCompressedSize(n);
    unsigned char *b = malloc(blen);
    ck_assert(BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, n, text, &blen, b));
    unsigned char *out = malloc(n + 1);
    size_t got = 0;
    ck_assert_int_eq(run(file_of(b, blen), DECODE_BROTLI, blen, &roomy, out, n + 1, 4096, &got, NULL), DECODE_END);
    ck_assert_uint_eq(got, n);
    ck_assert_int_eq(memcmp(out, text, n), 0);
    size_t zcap = ZSTD_compressBound(n);
    unsigned char *z = malloc(zcap);
    size_t zlen = ZSTD_compress(z, zcap, text, n, 3);
    ck_assert(!ZSTD_isError(zlen));
    ck_assert_int_eq(run(file_of(z, zlen), DECODE_ZSTD, zlen, &roomy, out, n + 1, 4096, &got, NULL), DECODE_END);
    ck_assert_uint_eq(got, n);
    ck_assert_int_eq(memcmp(out, text, n), 0);
    free(text), free(b), free(z), free(out);
}
END_TEST

START_TEST(test_out_bound_stops_a_bomb)
{
    size_t n = 4 << 20; /* 4 MiB of zeros */
    unsigned char *zeros = calloc(1, n);
    size_t cap = 64 << 10, zlen = 0;
    unsigned char *z = malloc(cap);
    gzip_member(zeros, n, z, &zlen, cap);
    struct decode_limits lim = {.out_max = 1 << 20, .ratio_max = 1000000};
    unsigned char *out = malloc(n);
    size_t got = 0;
    struct decoder *d = NULL;
    ck_assert_int_eq(run(file_of(z, zlen), DECODE_GZIP, zlen, &lim, out, n, 65536, &got, &d), DECODE_STOP);
    ck_assert(decode_was_bomb(d));
    ck_assert_ptr_nonnull(strstr(decode_why(d), "1048576"));
    /* the slice that passed the bound is not counted as given: the caller sent at most the bound */
    ck_assert_uint_le(got - 65536, (size_t)lim.out_max);
    ck_assert_int_le(decode_out_bytes(d), lim.out_max + 65536);
    decode_close(d);
    free(zeros), free(z), free(out);
}
END_TEST

START_TEST(test_ratio_bound_stops_a_bomb)
{
    size_t n = 8 << 20; /* 8 MiB of zeros: zstd makes them a few hundred bytes */
    unsigned char *zeros = calloc(1, n);
    size_t zcap = ZSTD_compressBound(n);
    unsigned char *z = malloc(zcap);
    size_t zlen = ZSTD_compress(z, zcap, zeros, n, 3);
    ck_assert(!ZSTD_isError(zlen));
    ck_assert_uint_lt(zlen * 1000, n);
    unsigned char *out = malloc(n);
    size_t got = 0;
    struct decoder *d = NULL;
    ck_assert_int_eq(run(file_of(z, zlen), DECODE_ZSTD, zlen, &roomy, out, n, 65536, &got, &d), DECODE_STOP);
    ck_assert(decode_was_bomb(d));
    ck_assert_int_le(decode_out_bytes(d), (int64_t)zlen * DECODE_RATIO_MAX + 65536);
    decode_close(d);
    free(zeros), free(z), free(out);
}
END_TEST

START_TEST(test_corrupt_and_truncated_stop)
{
    size_t n = 100000;
    unsigned char *text = text_of(n);
    size_t cap = n, zlen = 0;
    unsigned char *z = malloc(cap);
    gzip_member(text, n, z, &zlen, cap);
    unsigned char *out = malloc(n);
    size_t got = 0;
    struct decoder *d = NULL;
    ck_assert_int_eq(run(file_of(z, zlen / 2), DECODE_GZIP, zlen / 2, &roomy, out, n, 4096, &got, &d), DECODE_STOP);
    ck_assert(!decode_was_bomb(d));
    ck_assert_ptr_nonnull(strstr(decode_why(d), "ends early"));
    decode_close(d);
    memset(z + 10, 0xff, 64); /* the deflate data is garbage */
    ck_assert_int_eq(run(file_of(z, zlen), DECODE_GZIP, zlen, &roomy, out, n, 4096, &got, &d), DECODE_STOP);
    ck_assert(!decode_was_bomb(d));
    decode_close(d);
    ck_assert_int_eq(run(file_of("not zstd", 8), DECODE_ZSTD, 8, &roomy, out, n, 4096, &got, &d), DECODE_STOP);
    decode_close(d);
    free(text), free(z), free(out);
}
END_TEST

START_TEST(test_open_decoders_are_bounded)
{
    struct decoder *d[DECODE_ACTIVE_MAX];
    for (int i = 0; i < DECODE_ACTIVE_MAX; i++) {
        d[i] = decode_open(file_of("x", 1), DECODE_GZIP, 1, &roomy);
        ck_assert_ptr_nonnull(d[i]);
    }
    int fd = file_of("x", 1);
    errno = 0;
    ck_assert_ptr_null(decode_open(fd, DECODE_GZIP, 1, &roomy));
    ck_assert_int_eq(errno, EBUSY);
    ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* taken and closed */
    for (int i = 0; i < DECODE_ACTIVE_MAX; i++)
        decode_close(d[i]);
    ck_assert_int_eq(decode_active(), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("decode");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_gzip_two_members_in_small_slices);
    tcase_add_test(tc, test_brotli_and_zstd);
    tcase_add_test(tc, test_out_bound_stops_a_bomb);
    tcase_add_test(tc, test_ratio_bound_stops_a_bomb);
    tcase_add_test(tc, test_corrupt_and_truncated_stop);
    tcase_add_test(tc, test_open_decoders_are_bounded);
    suite_add_tcase(s, tc);
    return check_run(s);
}

/*
 * check_compress.c - gzip variants made once: hits, identity by (dev, ino,
 * size, mtime to the nanosecond, ctime), a file that changed while it was
 * read (not kept), memory vs memfd, eviction, what is not worth keeping,
 * and the --compress-types matcher.
 */
#include "compat.h"

#include "compress.h"

#include "check_run.h"

#include <check.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Results up to this stay in memory in these tests (the handler passes HANDLER_BODY_MAX). */
#define INLINE_MAX 4096

/* n bytes of text that compresses well: numbered lines; the seed changes the text. */
static char *text_of(size_t n, unsigned seed)
{
    char *p = malloc(n + 32);
    ck_assert_ptr_nonnull(p);
    size_t len = 0;
    for (unsigned i = 0; len < n; i++)
        len += (size_t)snprintf(p + len, 32, "line %u of %u\n", i, seed);
    return p;
}

/* n bytes that do not compress. */
static char *noise_of(size_t n)
{
    char *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    unsigned x = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        p[i] = (char)(x >> 24);
    }
    return p;
}

/* A file identity: inode ino, size n, mtime 1000.nsec. */
static struct stat stat_of(ino_t ino, size_t n, long nsec)
{
    struct stat st;
    memset(&st, 0, sizeof(st));
    st.st_dev = 7;
    st.st_ino = ino;
    st.st_size = (off_t)n;
    st.st_mtim.tv_sec = 1000;
    st.st_mtim.tv_nsec = nsec;
    return st;
}

/* The level of the caches new_cache() made: gzip's, as --compress-level gzip=N. */
static int test_level = 6;
/* Each lookup its own loop turn: the turn budget never refuses one here. */
static int64_t test_turn;

/* A memory cache of cap bytes (no directory) whose gzip lookups use level. */
static struct compress_cache *new_cache(size_t cap, int level)
{
    struct compress_config cfg = {.cache_size = (int)cap};
    bool dir_ok = true;
    test_level = level;
    struct compress_cache *cc = compress_cache_new(&cfg, INLINE_MAX, &dir_ok);
    ck_assert(!dir_ok);
    return cc;
}

/* compress_get() for gzip at test_level. */
static enum compress_outcome get_gzip(struct compress_cache *cc, const struct stat *st, const char *data, int fd,
                                      const char *name, struct compress_variant *v)
{
    struct compress_request rq = {.coding = CODING_GZIP,
                                  .level = test_level,
                                  .st = st,
                                  .data = data,
                                  .fd = fd,
                                  .name = name,
                                  .turn = ++test_turn};
    return compress_get(cc, &rq, v);
}

/* The variant's bytes (from memory or its descriptor), gunzipped, equal want (n bytes). */
static void expect_gunzips_to(const struct compress_variant *v, const char *want, size_t n)
{
    char *gz = malloc((size_t)v->len);
    ck_assert_ptr_nonnull(gz);
    if (v->data != NULL)
        memcpy(gz, v->data, (size_t)v->len);
    else
        ck_assert_int_eq(pread(v->fd, gz, (size_t)v->len, 0), v->len);
    char *out = malloc(n + 1);
    ck_assert_ptr_nonnull(out);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t got = 0;
    ck_assert_int_eq(libdeflate_gzip_decompress(d, gz, (size_t)v->len, out, n + 1, &got), LIBDEFLATE_SUCCESS);
    ck_assert_uint_eq(got, n);
    ck_assert_mem_eq(out, want, n);
    libdeflate_free_decompressor(d);
    free(out);
    free(gz);
}

START_TEST(test_made_once_then_hit)
{
    struct compress_cache *cc = new_cache(1 << 20, 6);
    char *text = text_of(8000, 1);
    struct stat st = stat_of(1, 8000, 5);
    struct compress_variant v;
    ck_assert_int_eq(get_gzip(cc, &st, text, -1, "a.txt", &v), COMPRESS_MADE);
    ck_assert_int_lt(v.len, 8000 / 2);
    ck_assert_ptr_nonnull(v.data); /* small: in memory */
    ck_assert_int_eq(v.fd, -1);
    expect_gunzips_to(&v, text, 8000);
    ck_assert_uint_eq(compress_cache_bytes(cc), (size_t)v.len);
    const char *first = v.data;
    /* the second time it is not compressed again: the same bytes, even with no source */
    ck_assert_int_eq(get_gzip(cc, &st, NULL, -1, "a.txt", &v), COMPRESS_HIT);
    ck_assert_ptr_eq(v.data, first);
    compress_cache_free(cc);
    free(text);
}
END_TEST

START_TEST(test_identity_is_dev_ino_size_and_nanoseconds)
{
    struct compress_cache *cc = new_cache(1 << 20, 6);
    char *a = text_of(6000, 1), *b = text_of(6000, 2);
    struct stat st = stat_of(1, 6000, 5);
    struct compress_variant v;
    ck_assert_int_eq(get_gzip(cc, &st, a, -1, "a", &v), COMPRESS_MADE);
    struct stat later = stat_of(1, 6000, 6); /* rewritten within the same second */
    ck_assert_int_eq(get_gzip(cc, &later, b, -1, "a", &v), COMPRESS_MADE);
    expect_gunzips_to(&v, b, 6000);
    struct stat other_ino = stat_of(2, 6000, 5); /* replaced by rename */
    ck_assert_int_eq(get_gzip(cc, &other_ino, b, -1, "a", &v), COMPRESS_MADE);
    struct stat other_dev = stat_of(1, 6000, 5);
    other_dev.st_dev = 8;
    ck_assert_int_eq(get_gzip(cc, &other_dev, b, -1, "a", &v), COMPRESS_MADE);
    struct stat shorter = stat_of(1, 5000, 5);
    ck_assert_int_eq(get_gzip(cc, &shorter, b, -1, "a", &v), COMPRESS_MADE);
    expect_gunzips_to(&v, b, 5000);
    /* the first is still there */
    ck_assert_int_eq(get_gzip(cc, &st, NULL, -1, "a", &v), COMPRESS_HIT);
    expect_gunzips_to(&v, a, 6000);
    compress_cache_free(cc);
    free(a);
    free(b);
}
END_TEST

/*
 * Issue 24 item 2: a rewrite that keeps the size and the mtime (cp -p,
 * rsync --inplace, touch -r) still moves the ctime, which user space
 * cannot set: it is a new key, compressed again, never the old variant.
 */
START_TEST(test_identity_includes_the_ctime)
{
    struct compress_cache *cc = new_cache(1 << 20, 6);
    char *a = text_of(6000, 1), *b = text_of(6000, 2);
    struct stat st = stat_of(1, 6000, 5);
    st.st_ctim.tv_sec = 2000;
    struct compress_variant v;
    ck_assert_int_eq(get_gzip(cc, &st, a, -1, "a", &v), COMPRESS_MADE);
    struct stat rewritten = st; /* same size, same mtime, a later ctime */
    rewritten.st_ctim.tv_nsec = 1;
    enum compress_outcome o = get_gzip(cc, &rewritten, b, -1, "a", &v);
    ck_assert_msg(o == COMPRESS_MADE,
                  "a rewrite with the same size and mtime: outcome %d (%s), expected "
                  "COMPRESS_MADE",
                  (int)o, o == COMPRESS_HIT ? "the old variant" : "other");
    expect_gunzips_to(&v, b, 6000);
    compress_cache_free(cc);
    free(a);
    free(b);
}
END_TEST

/*
 * Issue 24 item 2: the file is fstat()ed again after it was read; when its
 * size, mtime or ctime moved meanwhile (or since the caller's stat), the
 * answer is the file as it is (COMPRESS_UNSTABLE) and nothing is kept.
 */
START_TEST(test_file_changed_while_read_is_not_kept)
{
    char path[] = "/tmp/otu-cz-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    size_t n = 30000;
    char *a = text_of(n, 7), *b = text_of(n, 8);
    ck_assert_int_eq(pwrite(fd, a, n, 0), (ssize_t)n);
    struct stat before;
    ck_assert_int_eq(fstat(fd, &before), 0);
    usleep(20000);                                     /* a ctime tick apart on any file system clock */
    ck_assert_int_eq(pwrite(fd, b, n, 0), (ssize_t)n); /* rewritten in place after the caller's stat... */
    struct timespec keep[2] = {before.st_mtim, before.st_mtim};
    ck_assert_int_eq(futimens(fd, keep), 0); /* ...with the same size and mtime */
    struct compress_cache *cc = new_cache(1 << 20, 6);
    struct compress_variant v;
    for (int i = 0; i < 2; i++) { /* nothing was kept: the second lookup finds nothing either */
        enum compress_outcome o = get_gzip(cc, &before, NULL, fd, "f", &v);
        ck_assert_msg(o == COMPRESS_UNSTABLE,
                      "lookup %d with the stat from before the rewrite: outcome %d (%s), "
                      "expected COMPRESS_UNSTABLE",
                      i + 1, (int)o,
                      o == COMPRESS_MADE  ? "compressed and kept"
                      : o == COMPRESS_HIT ? "a kept variant"
                                          : "other");
        ck_assert_int_eq(v.len, 0);
    }
    ck_assert_uint_eq(compress_cache_bytes(cc), 0);
    /* the bytes the caller holds are checked too: a copy made before the rewrite */
    ck_assert_int_eq(get_gzip(cc, &before, a, fd, "f", &v), COMPRESS_UNSTABLE);
    struct stat now;
    ck_assert_int_eq(fstat(fd, &now), 0);
    ck_assert_int_eq(get_gzip(cc, &now, NULL, fd, "f", &v), COMPRESS_MADE);
    expect_gunzips_to(&v, b, n);
    compress_cache_free(cc);
    close(fd);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_large_result_in_a_sealed_memfd)
{
    struct compress_cache *cc = new_cache(1 << 20, 1);
    size_t n = 200000;
    char *text = text_of(n, 3);
    struct stat st = stat_of(3, n, 0);
    struct compress_variant v;
    ck_assert_int_eq(get_gzip(cc, &st, text, -1, "big.js", &v), COMPRESS_MADE);
    ck_assert_int_gt(v.len, INLINE_MAX);
    ck_assert_ptr_null(v.data);
    ck_assert_int_ge(v.fd, 0);
    expect_gunzips_to(&v, text, n);
    int seals = fcntl(v.fd, F_GET_SEALS);
    ck_assert_int_eq(seals & (F_SEAL_WRITE | F_SEAL_SHRINK), F_SEAL_WRITE | F_SEAL_SHRINK);
    ck_assert_int_lt(write(v.fd, "x", 1), 0); /* nothing can change what a reply sends */
    compress_cache_free(cc);
    free(text);
}
END_TEST

START_TEST(test_reads_the_file_when_not_in_memory)
{
    char path[] = "/tmp/otu-cz-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    size_t n = 30000;
    char *text = text_of(n, 4);
    ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
    struct compress_cache *cc = new_cache(1 << 20, 6);
    struct compress_variant v;
    /* a size larger than the file (it shrank): nothing, and not remembered */
    struct stat wrong = stat_of(4, n + 10, 0);
    ck_assert_int_eq(get_gzip(cc, &wrong, NULL, fd, "f", &v), COMPRESS_NONE);
    char *more = text_of(n + 10, 4);
    ck_assert_int_eq(get_gzip(cc, &wrong, more, -1, "f", &v), COMPRESS_MADE);
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0); /* the file as it is: read, then found unchanged */
    ck_assert_int_eq(get_gzip(cc, &st, NULL, fd, "f", &v), COMPRESS_MADE);
    expect_gunzips_to(&v, text, n);
    compress_cache_free(cc);
    close(fd);
    free(text);
    free(more);
}
END_TEST

START_TEST(test_no_gain_is_remembered_as_none)
{
    struct compress_cache *cc = new_cache(1 << 20, 6);
    char *noise = noise_of(5000);
    char *text = text_of(5000, 5);
    struct stat st = stat_of(5, 5000, 0);
    struct compress_variant v;
    ck_assert_int_eq(get_gzip(cc, &st, noise, -1, "r.bin", &v), COMPRESS_NONE);
    ck_assert_int_eq(v.len, 0);
    /* remembered: the same identity is not compressed again (text would compress) */
    ck_assert_int_eq(get_gzip(cc, &st, text, -1, "r.bin", &v), COMPRESS_NONE);
    ck_assert_uint_eq(compress_cache_bytes(cc), 0);
    compress_cache_free(cc);
    free(noise);
    free(text);
}
END_TEST

START_TEST(test_result_over_the_cache_size_is_not_kept)
{
    struct compress_cache *cc = new_cache(4096, 6);
    size_t n = 100000;
    char *noise = noise_of(n / 2);
    char *mixed = malloc(n); /* half noise: about 50 KB compressed, over 4 KiB */
    memcpy(mixed, noise, n / 2);
    memset(mixed + n / 2, 'a', n / 2);
    struct stat st = stat_of(6, n, 0);
    struct compress_variant v;
    ck_assert_int_eq(get_gzip(cc, &st, mixed, -1, "m", &v), COMPRESS_NONE);
    ck_assert_uint_eq(compress_cache_bytes(cc), 0);
    compress_cache_free(cc);
    free(noise);
    free(mixed);
}
END_TEST

START_TEST(test_eviction_drops_the_least_recently_used)
{
    struct compress_cache *cc = new_cache(1 << 20, 6);
    char *t[3];
    struct stat st[3];
    struct compress_variant v;
    size_t one = 0;
    for (int i = 0; i < 3; i++) {
        t[i] = text_of(20000, (unsigned)(10 + i));
        st[i] = stat_of((ino_t)(10 + i), 20000, 0);
    }
    ck_assert_int_eq(get_gzip(cc, &st[0], t[0], -1, "0", &v), COMPRESS_MADE);
    one = (size_t)v.len;
    compress_cache_free(cc);
    /* room for two results: the third pushes out the one not used for longest */
    cc = new_cache(2 * one + one / 2, 6);
    ck_assert_int_eq(get_gzip(cc, &st[0], t[0], -1, "0", &v), COMPRESS_MADE);
    ck_assert_int_eq(get_gzip(cc, &st[1], t[1], -1, "1", &v), COMPRESS_MADE);
    ck_assert_int_eq(get_gzip(cc, &st[0], NULL, -1, "0", &v), COMPRESS_HIT); /* 0 is recent now */
    ck_assert_int_eq(get_gzip(cc, &st[2], t[2], -1, "2", &v), COMPRESS_MADE);
    ck_assert_uint_le(compress_cache_bytes(cc), 2 * one + one / 2);
    ck_assert_int_eq(get_gzip(cc, &st[0], NULL, -1, "0", &v), COMPRESS_HIT);
    ck_assert_int_eq(get_gzip(cc, &st[2], NULL, -1, "2", &v), COMPRESS_HIT);
    ck_assert_int_eq(get_gzip(cc, &st[1], t[1], -1, "1", &v), COMPRESS_MADE); /* was evicted */
    compress_cache_free(cc);
    for (int i = 0; i < 3; i++)
        free(t[i]);
}
END_TEST

START_TEST(test_entry_count_is_bounded)
{
    struct compress_cache *cc = new_cache(64u << 20, 1);
    char *text = text_of(2000, 6);
    struct compress_variant v;
    for (int i = 0; i < COMPRESS_ENTRIES_MAX + 10; i++) {
        struct stat st = stat_of((ino_t)(100 + i), 2000, 0);
        ck_assert_int_eq(get_gzip(cc, &st, text, -1, "n", &v), COMPRESS_MADE);
    }
    ck_assert_uint_le(compress_cache_bytes(cc), (size_t)COMPRESS_ENTRIES_MAX * (size_t)v.len);
    struct stat first = stat_of(100, 2000, 0); /* the oldest went first */
    ck_assert_int_eq(get_gzip(cc, &first, text, -1, "n", &v), COMPRESS_MADE);
    struct stat last = stat_of((ino_t)(100 + COMPRESS_ENTRIES_MAX + 9), 2000, 0);
    ck_assert_int_eq(get_gzip(cc, &last, NULL, -1, "n", &v), COMPRESS_HIT);
    compress_cache_free(cc);
    free(text);
}
END_TEST

START_TEST(test_type_list)
{
    const char *list = "text/*,application/javascript, image/svg+xml";
    ck_assert(compress_type_listed(list, "text/html"));
    ck_assert(compress_type_listed(list, "text/css; charset=utf-8"));
    ck_assert(compress_type_listed(list, "Application/JavaScript"));
    ck_assert(compress_type_listed(list, "image/svg+xml"));
    ck_assert(!compress_type_listed(list, "image/png"));
    ck_assert(!compress_type_listed(list, "application/javascript2"));
    ck_assert(!compress_type_listed(list, "application/java"));
    ck_assert(!compress_type_listed(list, "textual/plain"));
    ck_assert(!compress_type_listed(list, "text/")); /* a prefix needs a subtype after it */
    ck_assert(!compress_type_listed("", "text/html"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("compress");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, test_made_once_then_hit);
    tcase_add_test(tc, test_identity_is_dev_ino_size_and_nanoseconds);
    tcase_add_test(tc, test_identity_includes_the_ctime);
    tcase_add_test(tc, test_file_changed_while_read_is_not_kept);
    tcase_add_test(tc, test_large_result_in_a_sealed_memfd);
    tcase_add_test(tc, test_reads_the_file_when_not_in_memory);
    tcase_add_test(tc, test_no_gain_is_remembered_as_none);
    tcase_add_test(tc, test_result_over_the_cache_size_is_not_kept);
    tcase_add_test(tc, test_eviction_drops_the_least_recently_used);
    tcase_add_test(tc, test_entry_count_is_bounded);
    tcase_add_test(tc, test_type_list);
    suite_add_tcase(s, tc);
    return check_run(s);
}

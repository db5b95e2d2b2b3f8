/*
 * check_file_cache.c - the open-file cache: hits, misses, revalidation,
 * eviction and confinement, with a fake clock.
 */
#include "compat.h"

#include "file_cache.h"

#include "check_run.h"

#include <check.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[64];
static struct file_root root;

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    strcpy(dir, "/tmp/otu-fc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    write_file("a.txt", "first\n");
    char path[256];
    snprintf(path, sizeof(path), "%s/sub", dir);
    mkdir(path, 0755);
    ck_assert_int_eq(file_root_open(&root, dir), 0);
}

static void teardown(void)
{
    file_root_close(&root);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_hit_holds_contents_and_validators)
{
    struct file_cache *fc = file_cache_new(&root, 16, true, ETAG_HASH_MAX_DEFAULT);
    const struct file_info *fi = file_cache_get(fc, "a.txt", 1000);
    ck_assert_int_eq(fi->status, 0);
    ck_assert_ptr_nonnull(fi->data);
    ck_assert_mem_eq(fi->data, "first\n", 6);
    ck_assert_int_eq(fi->etag[0], '"');
    ck_assert_int_eq((int)strlen(fi->last_modified), HTTP_DATE_LEN);
    ck_assert_ptr_eq(file_cache_get(fc, "a.txt", 1500), fi);
    fi = file_cache_get(fc, "sub", 1500);
    ck_assert_int_eq(fi->status, 0);
    ck_assert(S_ISDIR(fi->st.st_mode));
    file_cache_free(fc);
}
END_TEST

/* Writes len bytes of a pattern (seeded by seed) to name, with the given mtime (seconds). */
static void write_pattern(const char *name, size_t len, unsigned seed, time_t mtime)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < len; i++)
        fputc((int)((i * 31 + seed) % 251), f);
    fclose(f);
    struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
}

/* The ETag of name, looked up in a fresh cache of the given kind. */
static void etag_of(const char *name, bool remember, int64_t hash_max, char out[ETAG_SIZE])
{
    struct file_cache *fc = file_cache_new(&root, 16, remember, hash_max);
    const struct file_info *fi = file_cache_get(fc, name, 1000);
    ck_assert_int_eq(fi->status, 0);
    snprintf(out, ETAG_SIZE, "%s", fi->etag);
    file_cache_free(fc);
}

/*
 * Issue 27: the same bytes give the same ETag whatever their inode and mtime
 * (two replicas' copies), small files (kept in memory) and large ones
 * (hashed through the descriptor) alike; other bytes of the same size differ.
 */
START_TEST(test_etag_from_contents_equal_across_copies)
{
    static const size_t sizes[] = {6, FILE_CACHE_DATA_MAX + 1, 300000};
    for (size_t i = 0; i < OTU_ARRAY_LEN(sizes); i++) {
        write_pattern("copy1", sizes[i], 7, 1000000000);
        write_pattern("copy2", sizes[i], 7, 1200000000); /* another inode, another mtime */
        write_pattern("other", sizes[i], 8, 1000000000); /* same size and mtime, other bytes */
        char e1[ETAG_SIZE], e2[ETAG_SIZE], e3[ETAG_SIZE];
        etag_of("copy1", true, ETAG_HASH_MAX_DEFAULT, e1);
        etag_of("copy2", true, ETAG_HASH_MAX_DEFAULT, e2);
        etag_of("other", true, ETAG_HASH_MAX_DEFAULT, e3);
        ck_assert_msg(strcmp(e1, e2) == 0, "%zu bytes: copies differ: %s %s", sizes[i], e1, e2);
        ck_assert_msg(strcmp(e1, e3) != 0, "%zu bytes: other bytes, same tag %s", sizes[i], e1);
        ck_assert_uint_eq(strlen(e1), 34); /* quotes around 32 hex digits */
    }
}
END_TEST

/* The contents hashed through the descriptor and from memory give one tag. */
START_TEST(test_etag_same_from_file_and_bytes)
{
    size_t len = 100000;
    write_pattern("big", len, 3, 1000000000);
    char *bytes = malloc(len);
    ck_assert_ptr_nonnull(bytes);
    for (size_t i = 0; i < len; i++)
        bytes[i] = (char)((i * 31 + 3) % 251);
    char from_bytes[ETAG_SIZE], cached[ETAG_SIZE];
    etag_from_bytes(bytes, len, from_bytes);
    etag_of("big", true, ETAG_HASH_MAX_DEFAULT, cached);
    ck_assert_str_eq(cached, from_bytes);
    free(bytes);
}
END_TEST

/*
 * Over etag_hash_max, and without remembering, the tag is size and mtime
 * without the inode: equal for copies that kept their mtime, different
 * otherwise.
 */
START_TEST(test_etag_from_size_and_mtime_over_the_limit)
{
    write_pattern("copy1", 5000, 7, 1000000000);
    write_pattern("copy2", 5000, 7, 1000000000);
    write_pattern("later", 5000, 7, 1000000001);
    char e1[ETAG_SIZE], e2[ETAG_SIZE], e3[ETAG_SIZE], e4[ETAG_SIZE];
    etag_of("copy1", true, 4999, e1);
    etag_of("copy2", true, 4999, e2);
    etag_of("later", true, 4999, e3);
    etag_of("copy1", false, ETAG_HASH_MAX_DEFAULT, e4);
    ck_assert_str_eq(e1, "\"1388-de0b6b3a7640000\""); /* 5000 bytes, 10^9 s in ns, in hex */
    ck_assert_str_eq(e1, e2);
    ck_assert_str_ne(e1, e3);
    ck_assert_str_eq(e4, e1);
    etag_of("copy1", true, -1, e4); /* --etag-hash-max 0 */
    ck_assert_str_eq(e4, e1);
}
END_TEST

START_TEST(test_changes_show_after_the_validity)
{
    struct file_cache *fc = file_cache_new(&root, 16, true, ETAG_HASH_MAX_DEFAULT);
    const struct file_info *fi = file_cache_get(fc, "a.txt", 1000);
    char etag[64];
    strcpy(etag, fi->etag);
    write_file("a.txt", "second, longer\n");
    /* still trusted (an in-place change shows when the descriptor is checked again) */
    fi = file_cache_get(fc, "a.txt", 1000 + FILE_CACHE_STAT_MS - 1);
    ck_assert_mem_eq(fi->data, "first\n", 6);
    fi = file_cache_get(fc, "a.txt", 1000 + FILE_CACHE_VALID_MS);
    ck_assert_mem_eq(fi->data, "second, longer\n", 15);
    ck_assert_str_ne(fi->etag, etag);
    file_cache_free(fc);
}
END_TEST

START_TEST(test_misses_are_remembered_and_refreshed)
{
    struct file_cache *fc = file_cache_new(&root, 16, true, ETAG_HASH_MAX_DEFAULT);
    ck_assert_int_eq(file_cache_get(fc, "new.txt", 1000)->status, 404);
    write_file("new.txt", "hello\n");
    ck_assert_int_eq(file_cache_get(fc, "new.txt", 1100)->status, 404);
    ck_assert_int_eq(file_cache_get(fc, "new.txt", 1000 + FILE_CACHE_VALID_MS)->status, 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/new.txt", dir);
    unlink(path);
    ck_assert_int_eq(file_cache_get(fc, "new.txt", 3000 + FILE_CACHE_VALID_MS)->status, 404);
    file_cache_free(fc);
}
END_TEST

START_TEST(test_without_remembering_every_lookup_reopens)
{
    struct file_cache *fc = file_cache_new(&root, 0, false, ETAG_HASH_MAX_DEFAULT);
    ck_assert_mem_eq(file_cache_get(fc, "a.txt", 1000)->data, "first\n", 6);
    write_file("a.txt", "changed\n");
    ck_assert_mem_eq(file_cache_get(fc, "a.txt", 1000)->data, "changed\n", 8);
    file_cache_free(fc);
}
END_TEST

START_TEST(test_eviction_keeps_recent_names)
{
    struct file_cache *fc = file_cache_new(&root, FILE_CACHE_MIN_ENTRIES, true, ETAG_HASH_MAX_DEFAULT);
    char name[32];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "f%d.txt", i);
        write_file(name, "x");
        ck_assert_int_eq(file_cache_get(fc, name, 1000)->status, 0);
    }
    /* the last few are still held, and a long-gone one reloads correctly */
    ck_assert_int_eq(file_cache_get(fc, "f39.txt", 1001)->status, 0);
    ck_assert_int_eq(file_cache_get(fc, "f0.txt", 1001)->status, 0);
    file_cache_free(fc);
}
END_TEST

START_TEST(test_escapes_stay_refused)
{
    char target[256], link[256];
    snprintf(link, sizeof(link), "%s/out", dir);
    snprintf(target, sizeof(target), "/etc/hostname");
    ck_assert_int_eq(symlink(target, link), 0);
    struct file_cache *fc = file_cache_new(&root, 16, true, ETAG_HASH_MAX_DEFAULT);
    const struct file_info *fi = file_cache_get(fc, "out", 1000);
    ck_assert(fi->status == 403 || fi->status == 404);
    ck_assert_int_eq(fi->fd, -1);
    file_cache_free(fc);
}
END_TEST

/* Writes n bytes of c to name. */
static void write_bytes(const char *name, int c, size_t n)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < n; i++)
        fputc(c, f);
    fclose(f);
}

/* Sets name's modification time to sec seconds after the epoch. */
static void set_mtime(const char *name, time_t sec)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* A file rewritten in place (same inode, same name) shows after FILE_CACHE_STAT_MS. */
START_TEST(test_inplace_rewrite_shows_after_stat_interval)
{
    struct file_cache *fc = file_cache_new(&root, 16, true, ETAG_HASH_MAX_DEFAULT);
    const struct file_info *fi = file_cache_get(fc, "a.txt", 1000);
    ino_t ino = fi->st.st_ino;
    char etag[64];
    strcpy(etag, fi->etag);
    char path[256];
    snprintf(path, sizeof(path), "%s/a.txt", dir);
    FILE *f = fopen(path, "r+"); /* no truncation, no new inode */
    ck_assert_ptr_nonnull(f);
    fputs("FIRST\n", f);
    fclose(f);
    set_mtime("a.txt", 1); /* whatever the clock's granularity, the mtime moved */
    fi = file_cache_get(fc, "a.txt", 1000 + FILE_CACHE_STAT_MS - 1);
    ck_assert_mem_eq(fi->data, "first\n", 6); /* still trusted */
    fi = file_cache_get(fc, "a.txt", 1000 + FILE_CACHE_STAT_MS);
    ck_assert_mem_eq(fi->data, "FIRST\n", 6);
    ck_assert_uint_eq(fi->st.st_ino, ino);
    ck_assert_str_ne(fi->etag, etag);
    file_cache_free(fc);
}
END_TEST

/* A file found shorter than its entry says is forgotten at once. */
START_TEST(test_forget_drops_a_truncated_file)
{
    write_bytes("big.bin", 'x', 3 * FILE_CACHE_DATA_MAX);
    struct file_cache *fc = file_cache_new(&root, 16, true, ETAG_HASH_MAX_DEFAULT);
    const struct file_info *fi = file_cache_get(fc, "big.bin", 1000);
    ck_assert_int_eq(fi->status, 0);
    ck_assert_ptr_null(fi->data); /* sent from its descriptor */
    ck_assert_int_eq((int)fi->st.st_size, 3 * (int)FILE_CACHE_DATA_MAX);
    char path[256];
    snprintf(path, sizeof(path), "%s/big.bin", dir);
    ck_assert_int_eq(truncate(path, 1000), 0);
    ck_assert_int_eq((int)file_cache_get(fc, "big.bin", 1001)->st.st_size, 3 * (int)FILE_CACHE_DATA_MAX);
    file_cache_forget(fc, fi->st.st_dev, fi->st.st_ino);
    fi = file_cache_get(fc, "big.bin", 1002);
    ck_assert_int_eq(fi->status, 0);
    ck_assert_int_eq((int)fi->st.st_size, 1000);
    file_cache_free(fc);
}
END_TEST

/* A deleted file is noticed by the descriptor check, before the name's revalidation. */
START_TEST(test_deleted_file_noticed_after_stat_interval)
{
    write_bytes("gone.bin", 'y', 3 * FILE_CACHE_DATA_MAX);
    struct file_cache *fc = file_cache_new(&root, 16, true, ETAG_HASH_MAX_DEFAULT);
    ck_assert_int_eq(file_cache_get(fc, "gone.bin", 1000)->status, 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/gone.bin", dir);
    ck_assert_int_eq(unlink(path), 0);
    const struct file_info *fi = file_cache_get(fc, "gone.bin", 1000 + FILE_CACHE_STAT_MS);
    ck_assert_int_eq(fi->status, 404);
    ck_assert_int_eq(fi->fd, -1);
    file_cache_free(fc);
}
END_TEST

/* True while fd is an open descriptor of this process. */
static bool fd_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

/* The sweep closes entries unused for FILE_CACHE_IDLE_MS and keeps recent ones. */
START_TEST(test_sweep_expires_idle_entries)
{
    write_file("b.txt", "bee\n");
    struct file_cache *fc = file_cache_new(&root, 16, true, ETAG_HASH_MAX_DEFAULT);
    int a_fd = file_cache_get(fc, "a.txt", 1000)->fd;
    int b_fd = file_cache_get(fc, "b.txt", 3000)->fd;
    ck_assert(fd_open(a_fd) && fd_open(b_fd));
    file_cache_sweep(fc, 1000 + FILE_CACHE_IDLE_MS - 1);
    ck_assert(fd_open(a_fd)); /* not idle long enough */
    file_cache_sweep(fc, 1000 + FILE_CACHE_IDLE_MS);
    ck_assert(!fd_open(a_fd));
    ck_assert(fd_open(b_fd));
    /* a use keeps an entry: b used again at 6000 stays past 3000 + FILE_CACHE_IDLE_MS */
    ck_assert_int_eq(file_cache_get(fc, "b.txt", 6000)->fd, b_fd);
    file_cache_sweep(fc, 3000 + FILE_CACHE_IDLE_MS);
    ck_assert(fd_open(b_fd));
    /* and the expired name loads again */
    ck_assert_mem_eq(file_cache_get(fc, "a.txt", 6001)->data, "first\n", 6);
    file_cache_free(fc);
}
END_TEST

/* The sweep closes the descriptor of a deleted file without waiting for it to go idle. */
START_TEST(test_sweep_drops_deleted_files)
{
    write_bytes("del.bin", 'z', 3 * FILE_CACHE_DATA_MAX);
    struct file_cache *fc = file_cache_new(&root, 16, true, ETAG_HASH_MAX_DEFAULT);
    int del_fd = file_cache_get(fc, "del.bin", 1000)->fd;
    int a_fd = file_cache_get(fc, "a.txt", 1000)->fd;
    char path[256];
    snprintf(path, sizeof(path), "%s/del.bin", dir);
    ck_assert_int_eq(unlink(path), 0);
    file_cache_sweep(fc, 1001);
    ck_assert(!fd_open(del_fd));
    ck_assert(fd_open(a_fd));
    ck_assert_int_eq(file_cache_get(fc, "del.bin", 1002)->status, 404);
    file_cache_free(fc);
}
END_TEST

/* Out of descriptors: the 503 is answered, never remembered. */
START_TEST(test_busy_is_never_remembered)
{
    struct file_cache *fc = file_cache_new(&root, 16, true, ETAG_HASH_MAX_DEFAULT);
    struct rlimit saved, none;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
    int lowest = dup(0); /* every descriptor below this one is taken */
    ck_assert_int_ge(lowest, 0);
    close(lowest);
    none = saved;
    none.rlim_cur = (rlim_t)lowest;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &none), 0);
    const struct file_info *fi = file_cache_get(fc, "a.txt", 1000);
    int busy = fi->status;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
    ck_assert_int_eq(busy, FILE_STATUS_BUSY);
    fi = file_cache_get(fc, "a.txt", 1001); /* well within FILE_CACHE_VALID_MS */
    ck_assert_int_eq(fi->status, 0);
    ck_assert_mem_eq(fi->data, "first\n", 6);
    file_cache_free(fc);
}
END_TEST

/*
 * Out of descriptors, the cache closes its least recently used ones to make
 * room, but never one the request being answered holds (looked up since
 * file_cache_begin): their file_info and data must stay valid.
 */
START_TEST(test_emfile_shedding_spares_recent_entries)
{
    static const char *const names[] = {"s0.txt", "s1.txt", "s2.txt", "s3.txt", "s4.txt", "s5.txt"};
    struct file_cache *fc = file_cache_new(&root, FILE_CACHE_MIN_ENTRIES, true, ETAG_HASH_MAX_DEFAULT);
    int fds[6];
    for (int i = 0; i < 6; i++) {
        write_file(names[i], "s\n");
        fds[i] = file_cache_get(fc, names[i], 1000 + i)->fd;
        ck_assert_int_ge(fds[i], 0);
    }
    write_file("new.txt", "new\n");
    file_cache_begin(fc); /* a request that holds s0, s1 and s2 */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(file_cache_get(fc, names[i], 1500)->fd, fds[i]);
    struct rlimit saved, none;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
    int lowest = dup(0);
    close(lowest);
    none = saved;
    none.rlim_cur = (rlim_t)lowest; /* no descriptor left until the cache closes some */
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &none), 0);
    const struct file_info *fi = file_cache_get(fc, "new.txt", 2000);
    int status = fi->status, new_fd = fi->fd;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
    ck_assert_int_eq(status, 0);
    /* the request's three are kept, not reopened, although s3..s5 were used later */
    for (int i = 0; i < 3; i++)
        ck_assert_msg(fd_open(fds[i]) && file_cache_get(fc, names[i], 2001)->fd == fds[i],
                      "%s was closed under the request", names[i]);
    file_cache_end(fc);
    /* the unpinned ones were closed; the new file took one of their numbers */
    ck_assert(new_fd == fds[3] || new_fd == fds[4] || new_fd == fds[5]);
    ck_assert_int_eq(!fd_open(fds[3]) + !fd_open(fds[4]) + !fd_open(fds[5]), 2);
    file_cache_free(fc);
}
END_TEST

/*
 * Inside one request scope every answer stays put, however many names the
 * request looks at: more names than the cache holds get a busy answer
 * (503), never another name's entry.
 */
START_TEST(test_scope_pins_every_answer)
{
    struct file_cache *fc =
        file_cache_new(&root, FILE_CACHE_MIN_ENTRIES, false, ETAG_HASH_MAX_DEFAULT); /* reopen always */
    char name[32];
    const struct file_info *held[FILE_CACHE_MIN_ENTRIES];
    file_cache_begin(fc);
    for (int i = 0; i < FILE_CACHE_MIN_ENTRIES; i++) {
        snprintf(name, sizeof(name), "p%d.txt", i);
        write_file(name, name);
        held[i] = file_cache_get(fc, name, 100);
        ck_assert_int_eq(held[i]->status, 0);
    }
    /* the same name again in the same request: the same answer, not reloaded */
    write_file("p0.txt", "changed under the request");
    ck_assert_ptr_eq(file_cache_get(fc, "p0.txt", 100), held[0]);
    ck_assert_mem_eq(held[0]->data, "p0.txt", 6);
    /* one name too many: busy, and every held answer intact */
    write_file("extra.txt", "extra");
    ck_assert_int_eq(file_cache_get(fc, "extra.txt", 100)->status, FILE_STATUS_BUSY);
    for (int i = 0; i < FILE_CACHE_MIN_ENTRIES; i++) {
        snprintf(name, sizeof(name), "p%d.txt", i);
        ck_assert_mem_eq(held[i]->data, name, strlen(name));
    }
    file_cache_end(fc);
    /* after the request the cache moves on: the change shows, extra.txt opens */
    ck_assert_mem_eq(file_cache_get(fc, "p0.txt", 200)->data, "changed", 7);
    ck_assert_int_eq(file_cache_get(fc, "extra.txt", 200)->status, 0);
    file_cache_free(fc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("file_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_hit_holds_contents_and_validators);
    tcase_add_test(tc, test_changes_show_after_the_validity);
    tcase_add_test(tc, test_etag_from_contents_equal_across_copies);
    tcase_add_test(tc, test_etag_same_from_file_and_bytes);
    tcase_add_test(tc, test_etag_from_size_and_mtime_over_the_limit);
    tcase_add_test(tc, test_misses_are_remembered_and_refreshed);
    tcase_add_test(tc, test_without_remembering_every_lookup_reopens);
    tcase_add_test(tc, test_eviction_keeps_recent_names);
    tcase_add_test(tc, test_escapes_stay_refused);
    tcase_add_test(tc, test_busy_is_never_remembered);
    tcase_add_test(tc, test_inplace_rewrite_shows_after_stat_interval);
    tcase_add_test(tc, test_forget_drops_a_truncated_file);
    tcase_add_test(tc, test_deleted_file_noticed_after_stat_interval);
    tcase_add_test(tc, test_sweep_expires_idle_entries);
    tcase_add_test(tc, test_sweep_drops_deleted_files);
    tcase_add_test(tc, test_emfile_shedding_spares_recent_entries);
    tcase_add_test(tc, test_scope_pins_every_answer);
    suite_add_tcase(s, tc);
    return check_run(s);
}

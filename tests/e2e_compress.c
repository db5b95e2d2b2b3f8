/*
 * e2e_compress.c - gzip on the fly (issue 15), end to end: a compressible
 * file is compressed on its first request and served from the worker's
 * memory after (the metrics and the debug line show it), byte-identical
 * after gunzip, with its own ETag, Vary and a 304 on that ETag; a Range,
 * a client that does not accept gzip, a file below the minimum size, an
 * image and a file over the maximum get the file itself; a small
 * --compress-cache-size evicts; a file rewritten within the same second
 * is compressed again (the key holds the mtime's nanoseconds), and so is
 * one rewritten with the same size and mtime (the key holds the ctime).
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Sizes of the test files: a page kept in memory once gzip'ed, a script sent from a memfd. */
#define PAGE_BYTES   20000
#define SCRIPT_BYTES 300000

/* n bytes of numbered HTML lines (compress well); seed changes the words. malloc'd. */
static char *page_text(size_t n, unsigned seed)
{
    char *p = malloc(n + 64);
    ck_assert_ptr_nonnull(p);
    size_t len = 0;
    for (unsigned i = 0; len < n; i++)
        len += (size_t)snprintf(p + len, 64, "<p>line %u of page %u</p>\n", i, seed);
    return p;
}

/* n bytes of hexadecimal digits (about half as large gzip'ed). malloc'd. */
static char *hex_text(size_t n, unsigned seed)
{
    char *p = pseudo_random(n, seed);
    for (size_t i = 0; i < n; i++)
        p[i] = "0123456789abcdef"[(unsigned char)p[i] & 15];
    return p;
}

/* Writes n bytes of data to root_dir/rel. */
static void put_file(const char *rel, const char *data, size_t n)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", root_dir, rel);
    ck_assert_int_eq(e2e_write_file(path, data, n), 0);
}

/* Asserts the body of r, gunzipped (gzip -d), is exactly the file root_dir/rel. */
static void expect_gunzips_to(const struct e2e_response *r, const char *rel)
{
    char gz[400], cmd[1200];
    snprintf(gz, sizeof(gz), "%s/body.gz", base_dir);
    ck_assert_int_eq(e2e_write_file(gz, r->body, r->body_len), 0);
    snprintf(cmd, sizeof(cmd), "gzip -dc '%s' | cmp -s - '%s/%s'", gz, root_dir, rel);
    ck_assert_msg(sh(cmd) == 0, "the body does not gunzip to %s", rel);
}

/* GET (or HEAD) path on port p with the extra header lines (each ending in \r\n, or ""), expecting status. */
static void ask(int p, const char *method, const char *path, const char *extra, int status, struct e2e_response *r)
{
    char raw[1024];
    snprintf(raw, sizeof(raw), "%s %s HTTP/1.1\r\nHost: t\r\n%s\r\n", method, path, extra);
    expect_status_on(p, raw, status, r);
}

/* One worker with metrics on a port of its own (*mport), and the extra options (NULL-terminated, up to 6). */
static pid_t start_with_metrics(int *p, int *mport, const char *const extra[])
{
    static char mp[16];
    free_port_arg(mport, mp);
    const char *args[16] = {"-w", "1", "-l", "debug", "--metrics-port", mp};
    size_t n = 6;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < OTU_ARRAY_LEN(args) - 1; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    return lc_start(args, p);
}

START_TEST(test_compressed_once_then_from_memory)
{
    make_dir("cz");
    char *page = page_text(PAGE_BYTES, 1);
    put_file("cz/page.html", page, PAGE_BYTES);
    int p, mport;
    pid_t master = start_with_metrics(&p, &mport, NULL);
    struct e2e_response r;
    char etag[128], len[32];

    ask(p, "GET", "/cz/page.html", "Accept-Encoding: gzip, deflate\r\n", 200, &r);
    expect_header(&r, "Content-Encoding", "gzip");
    expect_header(&r, "Vary", "Accept-Encoding");
    expect_header(&r, "Content-Type", "text/html");
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", etag, sizeof(etag)));
    ck_assert_msg(strstr(etag, "-gz\"") != NULL, "the variant's ETag %s lacks -gz", etag);
    ck_assert_uint_lt(r.body_len, PAGE_BYTES / 4);
    expect_gunzips_to(&r, "cz/page.html");
    size_t gz_len = r.body_len;
    char *first = malloc(gz_len);
    memcpy(first, r.body, gz_len);
    e2e_response_free(&r);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_misses_total"), 1);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_hits_total"), 0);

    /* the second time: from memory, the same bytes, the same ETag */
    ask(p, "GET", "/cz/page.html", "Accept-Encoding: gzip\r\n", 200, &r);
    ck_assert_uint_eq(r.body_len, gz_len);
    ck_assert_mem_eq(r.body, first, gz_len);
    expect_header(&r, "ETag", etag);
    e2e_response_free(&r);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_misses_total"), 1);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_hits_total"), 1);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_bytes_saved_total"), 2 * (PAGE_BYTES - (long long)gz_len));
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_bytes"), (long long)gz_len);
    char *log = wait_for_log(lc_log, "compress: cz/page.html gzip 20000 -> ", slow(2000));
    ck_assert_msg(log != NULL, "no debug line for the compression");
    free(log);
    ck_assert_int_eq(log_count("compress: cz/page.html"), 1);

    /* HEAD: GET's length and ETag, no body */
    ask(p, "HEAD", "/cz/page.html", "Accept-Encoding: gzip\r\n", 200, &r);
    snprintf(len, sizeof(len), "%zu", gz_len);
    expect_header(&r, "Content-Length", len);
    expect_header(&r, "ETag", etag);
    expect_header(&r, "Content-Encoding", "gzip");
    ck_assert_uint_eq(r.body_len, 0);
    e2e_response_free(&r);

    /* a conditional request on the variant's ETag: 304 */
    char extra[300];
    snprintf(extra, sizeof(extra), "Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n", etag);
    ask(p, "GET", "/cz/page.html", extra, 304, &r);
    expect_header(&r, "ETag", etag);
    expect_header(&r, "Vary", "Accept-Encoding");
    e2e_response_free(&r);
    /* ...but the variant's ETag is not the file's: without gzip it is the file, 200 */
    snprintf(extra, sizeof(extra), "If-None-Match: %s\r\n", etag);
    ask(p, "GET", "/cz/page.html", extra, 200, &r);
    expect_no_header(&r, "Content-Encoding");
    e2e_response_free(&r);

    /* a Range gets the file itself, as nginx does */
    ask(p, "GET", "/cz/page.html", "Accept-Encoding: gzip\r\nRange: bytes=0-9\r\n", 206, &r);
    expect_no_header(&r, "Content-Encoding");
    expect_header(&r, "Content-Range", "bytes 0-9/20000");
    expect_header(&r, "Vary", "Accept-Encoding");
    ck_assert_uint_eq(r.body_len, 10);
    ck_assert_mem_eq(r.body, page, 10);
    e2e_response_free(&r);

    /* clients that do not accept gzip get the file */
    static const char *const refusing[] = {"", "Accept-Encoding: gzip;q=0\r\n", "Accept-Encoding: deflate\r\n",
                                           "Accept-Encoding: identity;q=0\r\n"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(refusing); i++) {
        ask(p, "GET", "/cz/page.html", refusing[i], 200, &r);
        expect_no_header(&r, "Content-Encoding");
        expect_header(&r, "Content-Length", "20000");
        expect_header(&r, "Vary", "Accept-Encoding");
        e2e_response_free(&r);
    }
    printf("gzip on the fly: %d -> %zu bytes, ETag %s, compressed once for 3 answers\n", PAGE_BYTES, gz_len, etag);
    free(first);
    free(page);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* A result over HANDLER_BODY_MAX is sent from a memfd with sendfile(), like a file. */
START_TEST(test_large_variant_sent_from_a_memfd)
{
    make_dir("cz2");
    char *script = hex_text(SCRIPT_BYTES, 7);
    put_file("cz2/app.js", script, SCRIPT_BYTES);
    int p, mport;
    pid_t master = start_with_metrics(&p, &mport, NULL);
    struct e2e_response r;
    for (int i = 0; i < 2; i++) {
        ask(p, "GET", "/cz2/app.js", "Accept-Encoding: gzip\r\n", 200, &r);
        expect_header(&r, "Content-Encoding", "gzip");
        expect_header(&r, "Content-Type", "application/javascript");
        ck_assert_uint_gt(r.body_len, 100000);
        expect_gunzips_to(&r, "cz2/app.js");
        e2e_response_free(&r);
    }
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_misses_total"), 1);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_hits_total"), 1);
    pid_t kids[1];
    ck_assert_int_eq(wait_children(master, kids, 1), 1);
    ck_assert_int_eq(workers_holding(master, "memfd:otuserver-variant"), 1);
    free(script);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* No compression on the fly below --compress-min-size, past a turn's budget without --compress-cache-dir, or for an image. */
START_TEST(test_not_for_small_large_or_images)
{
    make_dir("cz3");
    char *text = page_text(2 * 1024 * 1024 + 10, 3);
    put_file("cz3/small.css", text, 1000);           /* under the default 1k */
    put_file("cz3/photo.png", text, PAGE_BYTES);     /* compressible bytes, but an image type */
    put_file("cz3/huge.txt", text, 2 * 1024 * 1024); /* over a turn's 1 MiB, and no directory for a child */
    put_file("cz3/ok.css", text, 1024);              /* exactly the minimum: compressed */
    static const char *const plain[] = {"/cz3/small.css", "/cz3/photo.png", "/cz3/huge.txt"};
    struct e2e_response r;
    for (size_t i = 0; i < OTU_ARRAY_LEN(plain); i++) {
        char raw[300];
        snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", plain[i]);
        expect_status(raw, 200, &r);
        expect_no_header(&r, "Content-Encoding");
        expect_header(&r, "Vary", "Accept-Encoding");
        e2e_response_free(&r);
    }
    expect_status("GET /cz3/ok.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Encoding", "gzip");
    expect_gunzips_to(&r, "cz3/ok.css");
    e2e_response_free(&r);
    free(text);
}
END_TEST

/* A small --compress-cache-size keeps the most recent variants and drops the least recently used. */
START_TEST(test_small_cache_evicts)
{
    make_dir("cz4");
    /* 6000 hexadecimal digits gzip to about 3.3 KB: two fit in 8 KiB, three do not */
    for (unsigned i = 0; i < 3; i++) {
        char rel[32];
        snprintf(rel, sizeof(rel), "cz4/e%u.txt", i);
        char *t = hex_text(6000, 100 + i);
        put_file(rel, t, 6000);
        free(t);
    }
    int p, mport;
    pid_t master = start_with_metrics(&p, &mport, ARGS("--compress-cache-size", "8k"));
    struct e2e_response r;
    size_t total = 0, sizes[3];
    static const char *const order[] = {"/cz4/e0.txt", "/cz4/e1.txt", "/cz4/e2.txt"};
    for (int i = 0; i < 3; i++) {
        ask(p, "GET", order[i], "Accept-Encoding: gzip\r\n", 200, &r);
        expect_header(&r, "Content-Encoding", "gzip");
        sizes[i] = r.body_len;
        total += r.body_len;
        e2e_response_free(&r);
        ck_assert_int_le(metric_value(mport, "otuserver_compress_cache_bytes"), 8192);
    }
    /* the fixture's premise: all three do not fit, the last two do */
    ck_assert_uint_gt(total, 8192);
    ck_assert_uint_le(sizes[1] + sizes[2], 8192);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_misses_total"), 3);
    ask(p, "GET", "/cz4/e2.txt", "Accept-Encoding: gzip\r\n", 200, &r); /* kept */
    e2e_response_free(&r);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_hits_total"), 1);
    ask(p, "GET", "/cz4/e0.txt", "Accept-Encoding: gzip\r\n", 200, &r); /* evicted: compressed again */
    expect_header(&r, "Content-Encoding", "gzip");
    expect_gunzips_to(&r, "cz4/e0.txt");
    e2e_response_free(&r);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_misses_total"), 4);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_hits_total"), 1);
    printf("eviction: variants of %zu, %zu, %zu bytes in an 8 KiB cache: the oldest compressed again\n", sizes[0],
           sizes[1], sizes[2]);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Rewrites root_dir/rel in place (same inode, same size) and sets its mtime to sec.nsec. */
static void rewrite_in_place(const char *rel, const char *data, size_t n, time_t sec, long nsec)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", root_dir, rel);
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
    struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
    ck_assert_int_eq(futimens(fd, ts), 0);
    close(fd);
}

/* A file rewritten with the same size within the same second is compressed again. */
START_TEST(test_rewritten_file_is_compressed_again)
{
    make_dir("cz5");
    char *a = page_text(PAGE_BYTES, 11), *b = page_text(PAGE_BYTES, 12);
    put_file("cz5/r.txt", a, PAGE_BYTES);
    time_t sec = time(NULL) - 10;
    rewrite_in_place("cz5/r.txt", a, PAGE_BYTES, sec, 100);
    int p, mport;
    pid_t master = start_with_metrics(&p, &mport, NULL);
    struct e2e_response r;
    char etag1[128], etag2[128];
    ask(p, "GET", "/cz5/r.txt", "Accept-Encoding: gzip\r\n", 200, &r);
    expect_gunzips_to(&r, "cz5/r.txt");
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", etag1, sizeof(etag1)));
    e2e_response_free(&r);
    rewrite_in_place("cz5/r.txt", b, PAGE_BYTES, sec, 200); /* only the nanoseconds differ */
    usleep((useconds_t)slow(300) * 1000);                   /* past the file cache's fstat() interval */
    ask(p, "GET", "/cz5/r.txt", "Accept-Encoding: gzip\r\n", 200, &r);
    expect_header(&r, "Content-Encoding", "gzip");
    expect_gunzips_to(&r, "cz5/r.txt");
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", etag2, sizeof(etag2)));
    e2e_response_free(&r);
    ck_assert_str_ne(etag1, etag2);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_misses_total"), 2);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_cache_hits_total"), 0);
    printf("rewritten in place, 100 ns later: ETag %s -> %s, compressed again\n", etag1, etag2);
    free(a);
    free(b);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/*
 * Issue 24 item 2: a rewrite in place that keeps the size and the mtime
 * (cp -p, rsync --inplace, touch -r, SOURCE_DATE_EPOCH builds) is
 * compressed again: the key holds the ctime, which user space cannot set.
 * Before, the old gzip bytes were served on and on.
 */
START_TEST(test_rewrite_keeping_size_and_mtime_is_compressed_again)
{
    make_dir("cz7");
    char *a = page_text(PAGE_BYTES, 21), *b = page_text(PAGE_BYTES, 22);
    put_file("cz7/r.txt", a, PAGE_BYTES);
    time_t sec = time(NULL) - 10;
    rewrite_in_place("cz7/r.txt", a, PAGE_BYTES, sec, 100);
    int p, mport;
    pid_t master = start_with_metrics(&p, &mport, NULL);
    struct e2e_response r;
    ask(p, "GET", "/cz7/r.txt", "Accept-Encoding: gzip\r\n", 200, &r);
    expect_gunzips_to(&r, "cz7/r.txt");
    e2e_response_free(&r);
    usleep(20000);                                          /* a ctime tick later */
    rewrite_in_place("cz7/r.txt", b, PAGE_BYTES, sec, 100); /* the same size, the same mtime */
    usleep((useconds_t)slow(300) * 1000);                   /* past the file cache's fstat() interval */
    ask(p, "GET", "/cz7/r.txt", "Accept-Encoding: gzip\r\n", 200, &r);
    expect_header(&r, "Content-Encoding", "gzip");
    expect_gunzips_to(&r, "cz7/r.txt"); /* the new text, not the old variant */
    e2e_response_free(&r);
    ask(p, "GET", "/cz7/r.txt", "", 200, &r); /* identity agrees */
    ck_assert_uint_eq(r.body_len, PAGE_BYTES);
    ck_assert_mem_eq(r.body, b, PAGE_BYTES);
    e2e_response_free(&r);
    long long misses = metric_value(mport, "otuserver_compress_cache_misses_total");
    printf("rewritten in place with the same size and mtime: %lld compressions\n", misses);
    ck_assert_int_eq(misses, 2);
    ck_assert_int_eq(metric_value(mport, "otuserver_compress_unstable_total"), 0);
    free(a);
    free(b);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* --compress off: no gzip on the fly, siblings still served. */
START_TEST(test_compress_off)
{
    make_dir("cz6");
    char *page = page_text(PAGE_BYTES, 6);
    put_file("cz6/p.html", page, PAGE_BYTES);
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--compress", "off"), &p);
    struct e2e_response r;
    ask(p, "GET", "/cz6/p.html", "Accept-Encoding: gzip\r\n", 200, &r);
    expect_no_header(&r, "Content-Encoding");
    expect_header(&r, "Content-Length", "20000");
    e2e_response_free(&r);
    free(page);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

TCase *e2e_compress_tcase(void)
{
    TCase *tc = tcase_create("compress");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_compressed_once_then_from_memory);
    tcase_add_test(tc, test_large_variant_sent_from_a_memfd);
    tcase_add_test(tc, test_not_for_small_large_or_images);
    tcase_add_test(tc, test_small_cache_evicts);
    tcase_add_test(tc, test_rewritten_file_is_compressed_again);
    tcase_add_test(tc, test_rewrite_keeping_size_and_mtime_is_compressed_again);
    tcase_add_test(tc, test_compress_off);
    return tc;
}

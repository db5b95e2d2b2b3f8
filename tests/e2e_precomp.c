/*
 * e2e_precomp.c - a compressed file without its original (issue 28 item
 * 4): a tree holding only page.html.gz serves /page.html to a gzip client
 * as the .gz itself (its ETag, ranges) and to a plain client decoded:
 * chunked for HTTP/1.1 (over many slices, keep-alive after it), ended by
 * the close for HTTP/1.0, HEAD without a length, Range ignored, 304 on the
 * "-identity" ETag; .br and .zst the same; a listing shows the name once;
 * a symlink out of the root is not followed; Debian's /usr/share/doc
 * layout; a gzip bomb (2 GiB of zeros) and a zstd ratio bomb are stopped:
 * the connection closes before 1 GiB, the log says why, the metrics count
 * them, and the worker serves the next request.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The page: 1 MiB of HTML, more than one slice of the decoder and of the connection's turn. */
#define PAGE_BYTES (1024 * 1024)
/* The bound the server holds a decoding to (decode.h's DECODE_OUT_MAX). */
#define OUT_MAX ((long long)1 << 30)

static char *page_text(size_t n)
{
    char *p = malloc(n + 64);
    ck_assert_ptr_nonnull(p);
    size_t len = 0;
    for (unsigned i = 0; len < n; i++)
        len += (size_t)snprintf(p + len, 64, "<p>line %u of the changelog</p>\n", i);
    return p;
}

/* Writes the page to root_dir/rel and compresses it there with cmd ("gzip -9", "brotli", "zstd -q"), leaving rel+suffix only. */
static void put_compressed_only(const char *rel, const char *page, const char *cmd, const char *suffix)
{
    char path[600], line[2000 + 600 * 3];
    snprintf(path, sizeof(path), "%s/%s", root_dir, rel);
    ck_assert_int_eq(e2e_write_file(path, page, PAGE_BYTES), 0);
    snprintf(line, sizeof(line), "%s -c '%s' > '%s%s' && rm '%s'", cmd, path, path, suffix, path);
    ck_assert_int_eq(sh(line), 0);
}

/* Reads a chunked body from fd; returns its decoded bytes (malloc'd, *len) or NULL when the framing broke or the connection closed first. */
static char *read_chunked(int fd, size_t *len)
{
    size_t cap = 1 << 20;
    char *body = malloc(cap);
    *len = 0;
    for (;;) {
        char line[32];
        size_t n = 0;
        while (n < sizeof(line) - 1 && (n < 2 || memcmp(line + n - 2, "\r\n", 2) != 0)) {
            if (recv(fd, line + n, 1, 0) != 1)
                goto broken;
            n++;
        }
        line[n] = '\0';
        size_t size = (size_t)strtoull(line, NULL, 16);
        if (*len + size + 2 > cap) {
            cap = (*len + size + 2) * 2;
            body = realloc(body, cap);
        }
        size_t want = size + 2; /* the data and its CRLF */
        for (size_t got = 0; got < want;) {
            ssize_t k = recv(fd, body + *len + got, want - got, 0);
            if (k <= 0)
                goto broken;
            got += (size_t)k;
        }
        if (memcmp(body + *len + size, "\r\n", 2) != 0)
            goto broken;
        if (size == 0)
            return body; /* the last chunk: its CRLF was the blank line after it */
        *len += size;
    }
broken:
    free(body);
    return NULL;
}

/* Sends raw on fd and reads the head of the answer (no body), expecting status. */
static void ask_head(int fd, const char *raw, int status, struct e2e_response *r)
{
    ck_assert_int_eq(e2e_send(fd, raw, strlen(raw)), 0);
    ck_assert_int_eq(e2e_read_response(fd, true, r), 0);
    ck_assert_int_eq(r->status, status);
}

static pid_t start_with_metrics(int *p, int *mport)
{
    static char mp[16];
    free_port_arg(mport, mp);
    return lc_start(ARGS("-w", "1", "-l", "info", "--metrics-port", mp, "--autoindex"), p);
}

/* The plain client's answers for path: chunked, equal to page, keep-alive; HTTP/1.0 ended by the close. */
static void expect_decoded(int p, const char *path, const char *page, const char *gz_etag)
{
    struct e2e_response r;
    char raw[600], etag[160], want_etag[160];
    snprintf(want_etag, sizeof(want_etag), "%.*s-identity\"", (int)strlen(gz_etag) - 1, gz_etag);
    int fd = e2e_connect(p);
    snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\n\r\n", path);
    for (int i = 0; i < 2; i++) {   /* twice on one connection: the body's end is known, the connection kept */
        ask_head(fd, raw, 200, &r); /* Range ignored */
        expect_header(&r, "Transfer-Encoding", "chunked");
        expect_no_header(&r, "Content-Length");
        expect_no_header(&r, "Content-Encoding");
        expect_no_header(&r, "Accept-Ranges");
        expect_header(&r, "Content-Type", "text/html");
        expect_header(&r, "Vary", "Accept-Encoding");
        expect_header(&r, "ETag", want_etag);
        size_t len = 0;
        char *body = read_chunked(fd, &len);
        ck_assert_msg(body != NULL, "the chunked body of %s broke", path);
        ck_assert_uint_eq(len, PAGE_BYTES);
        ck_assert_mem_eq(body, page, PAGE_BYTES);
        free(body);
    }
    close(fd);
    /* HTTP/1.0: no chunks; the body ends with the connection */
    snprintf(raw, sizeof(raw), "GET %s HTTP/1.0\r\n\r\n", path);
    expect_status_on(p, raw, 200, &r);
    expect_no_header(&r, "Transfer-Encoding");
    expect_no_header(&r, "Content-Length");
    expect_header(&r, "Connection", "close");
    ck_assert_uint_eq(r.body_len, PAGE_BYTES);
    ck_assert_mem_eq(r.body, page, PAGE_BYTES);
    e2e_response_free(&r);
    /* HEAD: GET's head, no length, no body */
    snprintf(raw, sizeof(raw), "HEAD %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    fd = e2e_connect(p);
    ask_head(fd, raw, 200, &r);
    expect_header(&r, "Transfer-Encoding", "chunked");
    expect_no_header(&r, "Content-Length");
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", etag, sizeof(etag)));
    /* a 304 on the decoded answer's ETag, on the same connection: HEAD sent no body */
    snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\n\r\n", path, want_etag);
    ask_head(fd, raw, 304, &r);
    close(fd);
}

START_TEST(test_gzip_only_page)
{
    make_dir("pz");
    char *page = page_text(PAGE_BYTES);
    put_compressed_only("pz/page.html", page, "gzip -9n", ".gz");
    char gz_path[600];
    snprintf(gz_path, sizeof(gz_path), "%s/pz/page.html.gz", root_dir);
    size_t gz_len = 0;
    char *gz = e2e_read_file(gz_path, &gz_len);
    ck_assert_ptr_nonnull(gz);
    int p, mport;
    pid_t master = start_with_metrics(&p, &mport);
    struct e2e_response r;
    char etag[160];

    /* a gzip client: the .gz itself, like any file */
    expect_status_on(p, "GET /pz/page.html HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Encoding", "gzip");
    expect_header(&r, "Content-Type", "text/html");
    expect_header(&r, "Vary", "Accept-Encoding");
    expect_header(&r, "Accept-Ranges", "bytes");
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", etag, sizeof(etag)));
    ck_assert_uint_eq(r.body_len, gz_len);
    ck_assert_mem_eq(r.body, gz, gz_len);
    e2e_response_free(&r);
    expect_status_on(p, "GET /pz/page.html HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\nRange: bytes=0-9\r\n\r\n",
                     206, &r);
    ck_assert_uint_eq(r.body_len, 10);
    ck_assert_mem_eq(r.body, gz, 10);
    e2e_response_free(&r);
    char raw[400];
    snprintf(raw, sizeof(raw),
             "GET /pz/page.html HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\nIf-None-Match: %s\r\n\r\n", etag);
    expect_status_on(p, raw, 304, &r);
    e2e_response_free(&r);

    /* a plain client (and one refusing gzip): decoded */
    expect_decoded(p, "/pz/page.html", page, etag);
    expect_status_on(p, "GET /pz/page.html HTTP/1.0\r\nAccept-Encoding: gzip;q=0, br\r\n\r\n", 200, &r);
    ck_assert_uint_eq(r.body_len, PAGE_BYTES);
    e2e_response_free(&r);
    ck_assert_int_eq(metric_value(mport, "otuserver_decoded_total"), 4);
    ck_assert_int_eq(metric_value(mport, "otuserver_decode_bombs_total"), 0);

    /* the listing shows the name once, without the suffix */
    expect_status_on(p, "GET /pz/ HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    ck_assert_ptr_nonnull(strstr(r.body, "href=\"./page.html\""));
    ck_assert_ptr_null(strstr(r.body, "page.html.gz"));
    e2e_response_free(&r);
    printf("compressed only: page.html.gz %zu bytes, decoded to %d for a plain client, ETag %s\n", gz_len, PAGE_BYTES,
           etag);
    free(gz);
    free(page);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_brotli_and_zstd_only)
{
    make_dir("pb");
    char *page = page_text(PAGE_BYTES);
    put_compressed_only("pb/a.html", page, "brotli -q 5", ".br");
    put_compressed_only("pb/b.html", page, "zstd -q -3", ".zst");
    int p, mport;
    pid_t master = start_with_metrics(&p, &mport);
    struct e2e_response r;
    char etag[160];
    expect_status_on(p, "GET /pb/a.html HTTP/1.1\r\nHost: t\r\nAccept-Encoding: br\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Encoding", "br");
    expect_header(&r, "Content-Type", "text/html");
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", etag, sizeof(etag)));
    e2e_response_free(&r);
    expect_decoded(p, "/pb/a.html", page, etag);
    expect_status_on(p, "GET /pb/b.html HTTP/1.1\r\nHost: t\r\nAccept-Encoding: zstd\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Encoding", "zstd");
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", etag, sizeof(etag)));
    e2e_response_free(&r);
    expect_decoded(p, "/pb/b.html", page, etag);
    /* a gzip client, with only .br and .zst there: decoded too */
    expect_status_on(p, "GET /pb/b.html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n", 200, &r);
    ck_assert_uint_eq(r.body_len, PAGE_BYTES);
    e2e_response_free(&r);
    free(page);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Debian keeps big documentation files only compressed: the layout of /usr/share/doc, in a temporary tree. */
START_TEST(test_debian_doc_tree_and_safety)
{
    make_dir("usr");
    make_dir("usr/share");
    make_dir("usr/share/doc");
    make_dir("usr/share/doc/python3");
    make_dir("usr/share/doc/python3/whatsnew");
    char *page = page_text(PAGE_BYTES);
    put_compressed_only("usr/share/doc/python3/whatsnew/changelog.html", page, "gzip -9n", ".gz");
    /* a compressed form that is a symlink out of the root is not followed, as no file's is */
    char cmd[1400];
    snprintf(
        cmd, sizeof(cmd),
        "echo secret | gzip > '%s/../outside-secret.html.gz' && ln -s ../outside-secret.html.gz '%s/usr/leak.html.gz'",
        root_dir, root_dir);
    ck_assert_int_eq(sh(cmd), 0);
    int p;
    pid_t master = lc_start(ARGS("-w", "1"), &p);
    struct e2e_response r;
    expect_status_on(p, "GET /usr/share/doc/python3/whatsnew/changelog.html HTTP/1.0\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Type", "text/html");
    ck_assert_uint_eq(r.body_len, PAGE_BYTES);
    ck_assert_mem_eq(r.body, page, PAGE_BYTES);
    e2e_response_free(&r);
    expect_status_on(p, "GET /usr/leak.html HTTP/1.1\r\nHost: t\r\n\r\n", 404, &r);
    e2e_response_free(&r);
    expect_status_on(p, "GET /usr/leak.html HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", 404, &r);
    e2e_response_free(&r);
    expect_status_on(p, "GET /usr/missing.html HTTP/1.1\r\nHost: t\r\n\r\n", 404, &r);
    e2e_response_free(&r);
    free(page);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Reads a chunked body until the connection closes; returns the data bytes, *ended when the last chunk came. */
static long long drain_chunked(int fd, bool *ended)
{
    static char buf[1 << 16];
    long long data = 0, left = 0; /* left: data bytes of the current chunk still to come */
    int state = 0;                /* 0 size line, 1 data, 2 the CRLF after it */
    char line[32];
    size_t ln = 0;
    *ended = false;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            return data;
        for (ssize_t i = 0; i < n;) {
            if (state == 1) {
                long long take = left < n - i ? left : n - i;
                data += take, left -= take, i += take;
                state = left == 0 ? 2 : 1;
                ln = 0;
                continue;
            }
            char c = buf[i++];
            line[ln < sizeof(line) - 1 ? ln++ : ln] = c;
            if (c != '\n')
                continue;
            line[ln] = '\0';
            if (state == 0) {
                left = strtoll(line, NULL, 16);
                *ended = left == 0;
                state = left == 0 ? 2 : 1;
            } else {
                state = 0;
            }
            ln = 0;
        }
    }
}

START_TEST(test_bombs_are_stopped)
{
    make_dir("bomb");
    /* 2 GiB of zeros in about 2 MB: one 64 MiB gzip member, repeated (gzip -d reads it whole) */
    char cmd[1400];
    snprintf(
        cmd, sizeof(cmd),
        "cd '%s/bomb' && head -c 67108864 /dev/zero | gzip -9n > m && for i in $(seq 32); do cat m; done > big.html.gz"
        " && rm m && head -c 67108864 /dev/zero | zstd -q -19 > ratio.html.zst",
        root_dir);
    ck_assert_int_eq(sh(cmd), 0);
    int p, mport;
    pid_t master = start_with_metrics(&p, &mport);
    struct e2e_response r;
    int fd = e2e_connect(p);
    struct timeval tv = {.tv_sec = 60};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)); /* 1 GiB under ASan on a shared machine */
    ask_head(fd, "GET /bomb/big.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    bool ended = true;
    long long got = drain_chunked(fd, &ended);
    close(fd);
    ck_assert_msg(!ended, "the bomb's body ended as if complete");
    ck_assert_int_le(got, OUT_MAX);
    ck_assert_int_gt(got, OUT_MAX / 2); /* stopped at the bound, not at something else */
    char *log = wait_for_log(lc_log, "a bomb: decoded to more than its bound of bytes: 1073741824", slow(2000));
    ck_assert_msg(log != NULL, "no warning for the bomb");
    free(log);

    fd = e2e_connect(p);
    ask_head(fd, "GET /bomb/ratio.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    long long ratio_got = drain_chunked(fd, &ended);
    close(fd);
    ck_assert(!ended);
    ck_assert_int_lt(ratio_got, 67108864);
    log = wait_for_log(lc_log, "bytes per compressed byte: 1000", slow(2000));
    ck_assert_msg(log != NULL, "no warning for the ratio");
    free(log);
    ck_assert_int_eq(metric_value(mport, "otuserver_decode_bombs_total"), 2);
    /* the worker still serves */
    expect_status_on(p, "GET /bomb/ HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    ck_assert_ptr_nonnull(strstr(r.body, "href=\"./big.html\""));
    e2e_response_free(&r);
    printf("bombs: 2 GiB of zeros stopped after %lld bytes, a zstd ratio bomb after %lld\n", got, ratio_got);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

TCase *e2e_precomp_tcase(void)
{
    TCase *tc = tcase_create("precomp");
    tcase_set_timeout(tc, 180);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_gzip_only_page);
    tcase_add_test(tc, test_brotli_and_zstd_only);
    tcase_add_test(tc, test_debian_doc_tree_and_safety);
    tcase_add_test(tc, test_bombs_are_stopped);
    return tc;
}

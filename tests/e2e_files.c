/*
 * e2e_files.c - what the server makes of paths and files.
 *
 * Against the shared server, also in image mode: paths and their statuses,
 * never leaving the root, directory redirects, MIME types, a big file byte
 * for byte, conditional requests, ranges and precompressed siblings.  With
 * servers of their own: --serve-dotfiles, --cache-control, and --fallback
 * with --error-page and --header.
 *
 * The audit's file-layer tests (once e2e_audit_files.c) are here too, since
 * each is about a file: confinement when openat2 is missing (the path walk,
 * one EPERM, a swap race), a sibling's nanosecond age, the 503 when no
 * descriptor is left (never remembered by the cache), and the cache's
 * lifetimes (truncated, rewritten in place, deleted).  Two went elsewhere:
 * the symlink deploy to e2e_operations.c (an operator's routine) and the big
 * download's share of its worker to e2e_limits.c.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- over the shared server (in image mode too) ---- */

struct status_case {
    const char *target;
    int status;
    const char *body; /* expected body, or NULL */
};

static const struct status_case path_cases[] = {
    {"/", 200, "<html>otuserver e2e index</html>\n"},
    {"/dir2/", 200, "<html>Directory index file</html>\n"},
    {"/noindex/", 403, NULL},
    {"/missing.html", 404, NULL},
    {"/page.html/", 404, NULL},
    {"/nested/a/b/deep.txt", 200, "bingo, you found it\n"},
    {"/space%20in%20name.txt", 200, "letters and spaces\n"},
    {"/dir2/%70%61%67%65%2e%68%74%6d%6c", 200, "<html><body>Page Sample</body></html>\n"},
    {"/dir2/page.html?arg1=value&arg2=value", 200, "<html><body>Page Sample</body></html>\n"},
    {"/two..dots.txt", 200, "hello"},
    {"/dir2/./page.html", 200, "<html><body>Page Sample</body></html>\n"},
    {"/noindex/../page.html", 200, "<html><body>Page Sample</body></html>\n"},
    {"//dir2//page.html", 200, "<html><body>Page Sample</body></html>\n"},
    {"http://example.com/dir2/page.html", 200, "<html><body>Page Sample</body></html>\n"},
    {"/link.html", 200, "<html><body>Page Sample</body></html>\n"},
    {"/empty.txt", 200, ""},
    {"/index.html%00.jpg", 400, NULL},
    {"/%", 400, NULL},
    {"/%1", 400, NULL},
    {"/%zz", 400, NULL},
    {"/a%0d%0aSet-Cookie:x", 400, NULL},
    {"/%252e%252e/etc/passwd", 404, NULL},
    {"/..%5c..%5cetc%5cpasswd", 404, NULL},
    {"/.env", 404, NULL},
    {"/.git/config", 404, NULL},
    {"/%2egit/config", 404, NULL},
    {"/.well-known/security.txt", 200, "Contact: mailto:security@example.com\n"},
    {"/fifo", 403, NULL},
    {"*", 400, NULL},
};

START_TEST(test_paths)
{
    const struct status_case *c = &path_cases[_i];
    char req[512];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", c->target);
    struct e2e_response r;
    expect_status(req, c->status, &r);
    if (c->body) {
        ck_assert_msg(r.body_len == strlen(c->body) && memcmp(r.body, c->body, r.body_len) == 0, "%s: body '%s'",
                      c->target, r.body);
        char cl[32];
        snprintf(cl, sizeof(cl), "%zu", strlen(c->body));
        expect_header(&r, "Content-Length", cl);
    } else {
        expect_header(&r, "Content-Type", "text/html"); /* the short HTML error page */
        char code[8];
        snprintf(code, sizeof(code), "%d", c->status);
        ck_assert_ptr_nonnull(strstr(r.body, code));
    }
    e2e_response_free(&r);
}
END_TEST

static const char *const escapes[] = {
    "/../outside/secret.txt",
    "/../../../../../../etc/passwd",
    "/%2e%2e/outside/secret.txt",
    "/%2E%2e/%2e%2E/etc/passwd",
    "/..%2foutside%2fsecret.txt",
    "/dir2/../../outside/secret.txt",
    "/escape.txt",
    "/escdir/secret.txt",
    "/escdir/",
    "/./../outside/secret.txt",
    "http://h/../outside/secret.txt",
    "/%2e%2e%2foutside/secret.txt",
    "/.%2e/outside/secret.txt",
};

START_TEST(test_never_outside_root)
{
    char req[512];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", escapes[_i]);
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(port, req, &r), 0);
    ck_assert_msg(r.status == 400 || r.status == 403 || r.status == 404, "%s: %d", escapes[_i], r.status);
    ck_assert_msg(r.body == NULL || strstr(r.body, "TOP-SECRET") == NULL, "%s leaked", escapes[_i]);
    e2e_response_free(&r);
}
END_TEST

START_TEST(test_redirect_directory_without_slash)
{
    struct e2e_response r;
    expect_status("GET /dir2 HTTP/1.1\r\nHost: t\r\n\r\n", 301, &r);
    expect_header(&r, "Location", "/dir2/");
    e2e_response_free(&r);
    expect_status("GET /nested/a?x=1 HTTP/1.1\r\nHost: t\r\n\r\n", 301, &r);
    expect_header(&r, "Location", "/nested/a/?x=1");
    e2e_response_free(&r);
    /* never a protocol-relative redirect to another host */
    expect_status("GET //dir2 HTTP/1.1\r\nHost: t\r\n\r\n", 301, &r);
    expect_header(&r, "Location", "/dir2/");
    e2e_response_free(&r);
}
END_TEST

START_TEST(test_mime_types)
{
    char req[256];
    snprintf(req, sizeof(req), "GET /%s HTTP/1.1\r\nHost: t\r\n\r\n", mime_files[_i][0]);
    struct e2e_response r;
    expect_status(req, 200, &r);
    expect_header(&r, "Content-Type", mime_files[_i][1]);
    e2e_response_free(&r);
}
END_TEST

START_TEST(test_big_file_byte_for_byte)
{
    struct e2e_response r;
    expect_status("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Length", "1048576");
    ck_assert_uint_eq(r.body_len, BIG_SIZE);
    ck_assert(memcmp(r.body, big_data, BIG_SIZE) == 0);
    e2e_response_free(&r);
}
END_TEST

/* Reads the validators of /big.bin. */
static void big_validators(char *etag, char *lm)
{
    struct e2e_response r;
    expect_status("HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", etag, 128));
    ck_assert_ptr_nonnull(e2e_header(&r, "Last-Modified", lm, 64));
    expect_header(&r, "Accept-Ranges", "bytes");
}

START_TEST(test_conditional_requests)
{
    char etag[128], lm[64], req[512];
    big_validators(etag, lm);
    ck_assert_int_eq(etag[0], '"');
    struct e2e_response r;
    const char *inm[] = {etag, "*", "\"nope\", X", "W/X"};
    snprintf(req, sizeof(req), "W/%s", etag);
    inm[2] = NULL;
    char list[300];
    snprintf(list, sizeof(list), "\"nope\", %s", etag);
    const char *hits[] = {etag, "*", req, list};
    for (size_t i = 0; i < OTU_ARRAY_LEN(hits); i++) {
        char raw[600];
        snprintf(raw, sizeof(raw), "GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\n\r\n", hits[i]);
        expect_status(raw, 304, &r);
        ck_assert_uint_eq(r.body_len, 0);
        expect_header(&r, "ETag", etag);
        e2e_response_free(&r);
    }
    (void)inm;
    char raw[600];
    snprintf(raw, sizeof(raw), "GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: %s\r\n\r\n", lm);
    expect_status(raw, 304, &r);
    e2e_response_free(&r);
    /* If-None-Match wins over If-Modified-Since */
    snprintf(raw, sizeof(raw),
             "GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"other\"\r\n"
             "If-Modified-Since: %s\r\n\r\n",
             lm);
    expect_status(raw, 200, &r);
    e2e_response_free(&r);
    expect_status("GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n", 200,
                  &r);
    e2e_response_free(&r);
    expect_status("GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: yesterday\r\n\r\n", 200, &r);
    e2e_response_free(&r);

    /* If-Match (strong) and If-Unmodified-Since come first: 412, before If-None-Match and Range */
    snprintf(raw, sizeof(raw), "GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Match: %s\r\nRange: bytes=0-1\r\n\r\n", etag);
    expect_status(raw, 206, &r);
    e2e_response_free(&r);
    snprintf(raw, sizeof(raw), "GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Match: \"x\"\r\nIf-None-Match: %s\r\n\r\n",
             etag);
    expect_status(raw, 412, &r);
    expect_header(&r, "Content-Type", "text/html");
    expect_header(&r, "Connection", "keep-alive");
    ck_assert_ptr_nonnull(strstr(r.body, "412 Precondition Failed"));
    e2e_response_free(&r);
    snprintf(raw, sizeof(raw), "GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Match: W/%s\r\n\r\n", etag);
    expect_status(raw, 412, &r);
    e2e_response_free(&r);
    expect_status("GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Match: *\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    expect_status("GET /nope.bin HTTP/1.1\r\nHost: t\r\nIf-Match: *\r\n\r\n", 404, &r);
    e2e_response_free(&r);
    snprintf(raw, sizeof(raw), "GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Unmodified-Since: %s\r\n\r\n", lm);
    expect_status(raw, 200, &r);
    e2e_response_free(&r);
    expect_status("HEAD /big.bin HTTP/1.1\r\nHost: t\r\nIf-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n",
                  412, &r);
    e2e_response_free(&r);
    expect_status("GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Unmodified-Since: yesterday\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    expect_status("GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Match: \"a\"\r\nIf-Match: \"b\"\r\n\r\n", 400, &r);
    e2e_response_free(&r);
}
END_TEST

/* Fetches a range of /big.bin and checks status, Content-Range and bytes. */
static void expect_range(const char *range, int status, const char *content_range, size_t first, size_t len)
{
    char raw[512];
    snprintf(raw, sizeof(raw), "GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: %s\r\n\r\n", range);
    struct e2e_response r;
    expect_status(raw, status, &r);
    if (content_range)
        expect_header(&r, "Content-Range", content_range);
    else
        expect_no_header(&r, "Content-Range");
    if (status == 206 || status == 200) {
        ck_assert_uint_eq(r.body_len, len);
        ck_assert(memcmp(r.body, big_data + first, len) == 0);
    }
    e2e_response_free(&r);
}

START_TEST(test_ranges)
{
    expect_range("bytes=0-99", 206, "bytes 0-99/1048576", 0, 100);
    expect_range("bytes=1048000-", 206, "bytes 1048000-1048575/1048576", 1048000, 576);
    expect_range("bytes=-10", 206, "bytes 1048566-1048575/1048576", 1048566, 10);
    expect_range("bytes=5-99999999", 206, "bytes 5-1048575/1048576", 5, BIG_SIZE - 5);
    expect_range("bytes=-99999999", 206, "bytes 0-1048575/1048576", 0, BIG_SIZE);
    expect_range("bytes=1048576-", 416, "bytes */1048576", 0, 0);
    expect_range("bytes=-0", 416, "bytes */1048576", 0, 0);
    expect_range("bytes=100-50", 200, NULL, 0, BIG_SIZE);
    expect_range("bytes=abc", 200, NULL, 0, BIG_SIZE);
    expect_range("items=0-5", 200, NULL, 0, BIG_SIZE);
    expect_range("bytes=0-0,0-0,0-0,0-0", 200, NULL, 0, BIG_SIZE);
}
END_TEST

START_TEST(test_resume_in_three_ranges)
{
    char *joined = malloc(BIG_SIZE);
    size_t at = 0;
    const char *ranges[] = {"bytes=0-349999", "bytes=350000-699999", "bytes=700000-"};
    for (size_t i = 0; i < 3; i++) {
        char raw[256];
        snprintf(raw, sizeof(raw), "GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: %s\r\n\r\n", ranges[i]);
        struct e2e_response r;
        expect_status(raw, 206, &r);
        memcpy(joined + at, r.body, r.body_len);
        at += r.body_len;
        e2e_response_free(&r);
    }
    ck_assert_uint_eq(at, BIG_SIZE);
    ck_assert(memcmp(joined, big_data, BIG_SIZE) == 0);
    free(joined);
}
END_TEST

START_TEST(test_if_range)
{
    char etag[128], lm[64], raw[600];
    big_validators(etag, lm);
    struct e2e_response r;
    snprintf(raw, sizeof(raw), "GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\nIf-Range: %s\r\n\r\n", etag);
    expect_status(raw, 206, &r);
    e2e_response_free(&r);
    snprintf(raw, sizeof(raw), "GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\nIf-Range: %s\r\n\r\n", lm);
    expect_status(raw, 206, &r);
    e2e_response_free(&r);
    expect_status("GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\nIf-Range: \"stale\"\r\n\r\n", 200, &r);
    ck_assert_uint_eq(r.body_len, BIG_SIZE);
    e2e_response_free(&r);
}
END_TEST

START_TEST(test_precompressed_siblings)
{
    struct e2e_response r;
    expect_status("GET /app.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip, deflate\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Encoding", "gzip");
    expect_header(&r, "Content-Type", "application/javascript");
    expect_header(&r, "Vary", "Accept-Encoding");
    ck_assert_str_eq(r.body, "GZIPPED-BYTES");
    e2e_response_free(&r);
    expect_status("GET /app.js HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    expect_no_header(&r, "Content-Encoding");
    expect_header(&r, "Vary", "Accept-Encoding");
    ck_assert_str_eq(r.body, "console.log('plain');\n");
    e2e_response_free(&r);
    expect_status("GET /app.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip;q=0, br;q=0\r\n\r\n", 200, &r);
    expect_no_header(&r, "Content-Encoding");
    e2e_response_free(&r);
    expect_status("GET /old.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", 200, &r);
    expect_no_header(&r, "Content-Encoding"); /* the sibling is older than the file */
    ck_assert_str_eq(r.body, "body{}\n");
    e2e_response_free(&r);
}
END_TEST

/* ---- options, each with a server of its own ---- */

START_TEST(test_serve_dotfiles_flag)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--serve-dotfiles"), &p);
    struct e2e_response r;
    expect_status_on(p, "GET /.env HTTP/1.0\r\n\r\n", 200, &r);
    ck_assert_str_eq(r.body, "PASSWORD=x\n");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_cache_control_option)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--cache-control", "public, max-age=3600"), &p);
    struct e2e_response r;
    expect_status_on(p, "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    expect_header(&r, "Cache-Control", "public, max-age=3600");
    e2e_response_free(&r);
    expect_status_on(p, "GET /page.html HTTP/1.1\r\nHost: t\r\nIf-None-Match: *\r\n\r\n", 304, &r);
    expect_header(&r, "Cache-Control", "public, max-age=3600");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
    /* and none by default */
    master = lc_start(ARGS("-w", "1"), &p);
    expect_status_on(p, "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    expect_no_header(&r, "Cache-Control");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_fallback_error_pages_and_headers)
{
    char path[500];
    snprintf(path, sizeof(path), "%s/404.html", root_dir);
    ck_assert_int_eq(e2e_write_file(path, "<h1>custom missing page</h1>\n", 29), 0);
    int p;
    const char *extra[] = {"-w",
                           "1",
                           "--fallback",
                           "/index.html",
                           "--error-page",
                           "404=/404.html",
                           "--header",
                           "X-Frame-Options: DENY",
                           "--header",
                           "Access-Control-Allow-Origin: *",
                           NULL};
    pid_t master = lc_start(extra, &p);
    struct e2e_response r;
    /* an extension-less route gets the app shell with 200 */
    expect_status_on(p, "GET /users/42 HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    ck_assert_str_eq(r.body, "<html>otuserver e2e index</html>\n");
    expect_header(&r, "X-Frame-Options", "DENY");
    expect_header(&r, "Access-Control-Allow-Origin", "*");
    char etag[128];
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", etag, sizeof(etag)));
    e2e_response_free(&r);
    /* a missing asset still gets 404, with the custom page */
    expect_status_on(p, "GET /app.missing.js HTTP/1.1\r\nHost: t\r\n\r\n", 404, &r);
    ck_assert_str_eq(r.body, "<h1>custom missing page</h1>\n");
    expect_header(&r, "Content-Type", "text/html");
    expect_header(&r, "X-Frame-Options", "DENY");
    e2e_response_free(&r);
    expect_status_on(p, "HEAD /nope.css HTTP/1.1\r\nHost: t\r\n\r\n", 404, &r);
    expect_header(&r, "Content-Length", "29");
    /* the header rides on 304 too */
    char raw[400];
    snprintf(raw, sizeof(raw), "GET /page.html HTTP/1.1\r\nHost: t\r\nIf-None-Match: *\r\n\r\n");
    expect_status_on(p, raw, 304, &r);
    expect_header(&r, "X-Frame-Options", "DENY");
    e2e_response_free(&r);
    /* dot-files stay hidden: no fallback for them */
    expect_status_on(p, "GET /.env HTTP/1.1\r\nHost: t\r\n\r\n", 404, &r);
    ck_assert_str_eq(r.body, "<h1>custom missing page</h1>\n");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* ---- confinement without openat2: the path walk ---- */

/* GET path from port p; returns the status. */
static int status_of_get(int p, const char *path)
{
    char req[512];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
    struct e2e_response r;
    int rc = e2e_exchange(p, req, &r);
    e2e_response_free(&r);
    return rc == 0 ? r.status : -1;
}

/* Makes root_dir/rel a symlink to target (kept when it is already there). */
static void make_link(const char *target, const char *rel)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", root_dir, rel);
    ck_assert_msg(symlink(target, path) == 0 || errno == EEXIST, "symlink %s: %s", rel, strerror(errno));
}

/* True when the server under test is a static executable: LD_PRELOAD cannot reach it. */
static bool server_is_static(void)
{
    size_t len = 0;
    char *elf = e2e_read_file(server_bin, &len);
    bool is_static = false;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
    if (elf != NULL && len >= sizeof(*eh) && memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
        eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr) <= len) {
        is_static = true;
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff);
        for (int i = 0; i < eh->e_phnum; i++) {
            if (ph[i].p_type == PT_INTERP)
                is_static = false;
        }
    }
    free(elf); /* not ELF (a wrapper script such as scripts/systest/valgrind-server): dynamic behind it */
    return is_static;
}

/* Waits for text in the log of the last lc_start()ed server. */
static bool log_shows(const char *text, int timeout_ms)
{
    for (long long end = e2e_now_ms() + timeout_ms;; usleep(20000)) {
        size_t len = 0;
        char *log = e2e_read_file(lc_log, &len);
        bool found = log != NULL && strstr(log, text) != NULL;
        free(log);
        if (found || e2e_now_ms() >= end)
            return found;
    }
}

/* The line a worker logs when it resolves names without openat2. */
#define WALK_LOG_LINE "openat2 is not available"

/* The file the shim creates when it refuses openat2 to the server. */
static char shim_mark[400];

/*
 * True once the server has been refused openat2 by the shim (it asks at the
 * start, or at its first file); false for a static binary, which LD_PRELOAD
 * cannot reach (then both servers use openat2 and the test says so).
 */
static bool shim_reached(int p)
{
    for (long long end = e2e_now_ms() + slow(5000);; usleep(20000)) {
        if (access(shim_mark, F_OK) == 0)
            return true;
        if (e2e_now_ms() >= end)
            break;
        (void)status_of_get(p, "/page.html"); /* an old server asks at its first file */
    }
    ck_assert_msg(server_is_static(), "the preloaded shim never refused openat2 to the server");
    return false;
}

/*
 * Starts a server of its own with tests/openat2_enosys.c preloaded: openat2
 * is missing (eperm_name NULL), or refuses only that name with EPERM.
 */
static pid_t start_with_shim(const char *const extra[], const char *eperm_name, int *p)
{
    const char *shim_rel = getenv("OTU_OPENAT2_SHIM") ? getenv("OTU_OPENAT2_SHIM") : "build/asan/openat2_enosys.so";
    char shim[PATH_MAX];
    ck_assert_msg(realpath(shim_rel, shim) != NULL, "no openat2 shim at %s", shim_rel);
    char *old_asan = getenv("ASAN_OPTIONS") ? strdup(getenv("ASAN_OPTIONS")) : NULL;
    char asan[1024];
    /* the shim comes before the ASan runtime in the library list: let ASan accept that */
    snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", old_asan ? old_asan : "", old_asan ? ":" : "");
    setenv("ASAN_OPTIONS", asan, 1);
    setenv("LD_PRELOAD", shim, 1);
    if (eperm_name)
        setenv("OTU_OPENAT2_EPERM", eperm_name, 1);
    snprintf(shim_mark, sizeof(shim_mark), "%s/openat2-refused", base_dir);
    unlink(shim_mark);
    setenv("OTU_OPENAT2_MARK", shim_mark, 1);
    pid_t pid = lc_start(extra, p);
    unsetenv("LD_PRELOAD");
    unsetenv("OTU_OPENAT2_EPERM");
    unsetenv("OTU_OPENAT2_MARK");
    if (old_asan)
        setenv("ASAN_OPTIONS", old_asan, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(old_asan);
    return pid;
}

/* Links for the status table: inside, escaping, absolute, dangling, looping. */
static void make_fallback_tree(void)
{
    char target[600];
    make_dir("fb");
    make_link("../page.html", "fb/up.html");
    make_link("../dir2", "fb/viadir");
    snprintf(target, sizeof(target), "%s/page.html", root_dir);
    make_link(target, "fb/abs-inside.html");
    make_link("../nested/../../outside/secret.txt", "fb/deep-escape");
    make_link("nothing-here", "fb/dangling");
    make_link("loop", "fb/loop");
    write_text("fb/denied.html", "denied by the shim\n");
}

/* Every path, with the status both resolutions (openat2 and the walk) must give. */
static const struct {
    const char *path;
    int status;
} fallback_cases[] = {
    {"/page.html", 200},           {"/link.html", 200},  /* a symlink inside */
    {"/fb/up.html", 200},                                /* ../page.html from a folder */
    {"/fb/viadir/page.html", 200},                       /* a folder link, then a file in it */
    {"/fb/viadir/", 200},                                /* its index.html */
    {"/nested/a/b/deep.txt", 200}, {"/escape.txt", 403}, /* absolute, outside */
    {"/escdir/secret.txt", 403},                         /* ../outside */
    {"/fb/deep-escape", 403},                            /* out through a ".." chain */
    {"/fb/abs-inside.html", 403},                        /* absolute, even inside: RESOLVE_BENEATH refuses it */
    {"/missing.txt", 404},         {"/fb/dangling", 404}, {"/fb/loop", 404}, /* ELOOP */
    {"/page.html/x", 404},                                                   /* a file used as a folder */
};

/* Item 1: without openat2, the walk answers exactly as openat2 does. */
START_TEST(test_fallback_walk_statuses_match_openat2)
{
    make_fallback_tree();
    int p;
    pid_t master = start_with_shim(ARGS("-w", "1", "--file-cache", "0"), NULL, &p);
    bool walking = shim_reached(p);
    bool emulated = server_is_emulated();
    if (emulated)
        printf("SKIPPED: fallback statuses, the openat2 side: the server runs under emulation, which has no "
               "openat2, so both servers walk; the walk's statuses are still checked\n");
    else if (!walking)
        printf("fallback statuses: a static binary ignores LD_PRELOAD; both servers use openat2\n");
    int wrong = 0;
    for (size_t i = 0; i < OTU_ARRAY_LEN(fallback_cases); i++) {
        int walk = status_of_get(p, fallback_cases[i].path);
        int kernel = status_of_get(port, fallback_cases[i].path);
        if (walk != fallback_cases[i].status || kernel != fallback_cases[i].status) {
            printf("fallback statuses: %s: walk %d, openat2 %d, expected %d\n", fallback_cases[i].path, walk, kernel,
                   fallback_cases[i].status);
            fflush(stdout); /* a failed check ends the process without flushing */
            wrong++;
        }
    }
    ck_assert_msg(wrong == 0, "%d path(s) answered differently", wrong);
    ck_assert_msg(!walking || log_shows(WALK_LOG_LINE, slow(2000)), "no line saying openat2 is missing");
    ck_assert_msg(!emulated || log_shows(WALK_LOG_LINE, slow(2000)),
                  "under emulation the server did not say openat2 is missing");
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Item 1: one EPERM from openat2 is that file's 403, not a switch to the fallback. */
START_TEST(test_openat2_eperm_does_not_latch_fallback)
{
    make_fallback_tree();
    if (server_is_emulated()) {
        printf("SKIPPED: openat2 EPERM: the server runs under emulation, which has no openat2\n");
        return;
    }
    if (server_is_static()) {
        printf("openat2 EPERM: a static binary ignores LD_PRELOAD; nothing to test\n");
        return;
    }
    int p;
    pid_t master = start_with_shim(ARGS("-w", "1"), "fb/denied.html", &p);
    ck_assert_int_eq(status_of_get(p, "/fb/up.html"), 200);
    if (log_shows(WALK_LOG_LINE, 0)) { /* valgrind, an old kernel: no openat2 to refuse */
        printf("openat2 EPERM: openat2 is missing here anyway; nothing to test\n");
        ck_assert_int_eq(e2e_stop(master), 0);
        return;
    }
    ck_assert_int_eq(status_of_get(p, "/fb/denied.html"), 403);
    /* still openat2: an absolute link inside is refused (a realpath() check would serve it) */
    ck_assert_int_eq(status_of_get(p, "/fb/abs-inside.html"), 403);
    ck_assert_int_eq(status_of_get(p, "/fb/up.html"), 200);
    ck_assert_msg(!log_shows(WALK_LOG_LINE, 0), "the worker switched to the fallback");
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Requests the swap race sends, and the time it may take for them. */
#define RACE_REQUESTS 3000
#define RACE_SECONDS  30

/* Swaps two names with RENAME_EXCHANGE until told to stop. */
struct swapper {
    char a[600], b[600]; /* root/race (a folder) and root/race-link (a symlink out) */
    atomic_bool stop;    /* set by the test */
    long swaps;          /* exchanges done */
};

static void *swap_loop(void *arg)
{
    struct swapper *s = arg;
    while (!atomic_load(&s->stop)) {
        if (renameat2(AT_FDCWD, s->a, AT_FDCWD, s->b, RENAME_EXCHANGE) == 0)
            s->swaps++;
    }
    return NULL;
}

/*
 * Item 1: a folder swapped for a symlink out of the root, thousands of times
 * while it is requested, never serves the file outside (the realpath() check
 * followed by open() did, between the two).
 */
START_TEST(test_fallback_swap_race_never_leaves_root)
{
    char path[600];
    make_dir("race");
    write_text("race/f.txt", "INSIDE\n");
    snprintf(path, sizeof(path), "%s/outside/f.txt", base_dir);
    ck_assert_int_eq(e2e_write_file(path, "TOP-SECRET\n", 11), 0);
    snprintf(path, sizeof(path), "%s/outside", base_dir);
    make_link(path, "race-link");

    int p;
    pid_t master = start_with_shim(ARGS("-w", "1", "--file-cache", "0"), NULL, &p);
    if (server_is_emulated())
        printf("SKIPPED: swap race, the openat2 side: the server runs under emulation, which has no openat2; "
               "this run checks the walk\n");
    else if (!shim_reached(p))
        printf("swap race: a static binary ignores LD_PRELOAD; this run checks openat2\n");

    struct swapper s;
    memset(&s, 0, sizeof(s));
    snprintf(s.a, sizeof(s.a), "%s/race", root_dir);
    snprintf(s.b, sizeof(s.b), "%s/race-link", root_dir);
    atomic_init(&s.stop, false);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, swap_loop, &s), 0);

    const char *req = "GET /race/f.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    int sent = 0, inside = 0, leaked = 0, refused = 0, other = 0, reconnects = 0;
    int fd = -1;
    long long end = e2e_now_ms() + RACE_SECONDS * 1000;
    for (; sent < RACE_REQUESTS && e2e_now_ms() < end; sent++) {
        if (fd < 0)
            fd = e2e_connect(p);
        struct e2e_response r;
        if (fd < 0 || e2e_send(fd, req, strlen(req)) < 0 || e2e_read_response(fd, false, &r) < 0) {
            if (fd >= 0)
                close(fd);
            fd = -1; /* the server closes after --keepalive-requests */
            reconnects++;
            continue;
        }
        if (r.body != NULL && strstr(r.body, "TOP-SECRET") != NULL)
            leaked++;
        else if (r.status == 200 && r.body != NULL && strcmp(r.body, "INSIDE\n") == 0)
            inside++;
        else if (r.status == 403 || r.status == 404)
            refused++;
        else if (++other <= 3)
            printf("swap race: unexpected status %d\n", r.status);
        e2e_response_free(&r);
    }
    atomic_store(&s.stop, true);
    pthread_join(t, NULL);
    if (fd >= 0)
        close(fd);
    printf("swap race: %d requests during %ld swaps: %d inside, %d outside, %d refused, %d other, "
           "%d reconnects\n",
           sent, s.swaps, inside, leaked, refused, other, reconnects);
    fflush(stdout);
    ck_assert_msg(leaked == 0, "%d of %d responses served the file outside the root", leaked, sent);
    ck_assert_msg(sent >= RACE_REQUESTS / 10 && inside > 0 && s.swaps > 0,
                  "the race did not run: %d requests, %d inside, %ld swaps", sent, inside, s.swaps);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* ---- a sibling's age, descriptors running out, and the file cache's lifetimes ---- */

/* Sets root_dir/rel's modification time to sec.nsec exactly. */
static void set_mtime(const char *rel, time_t sec, long nsec)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", root_dir, rel);
    struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
    ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/*
 * Item 9: a precompressed sibling half a second older than its file, in the
 * same second, is stale; one half a second newer is served.
 */
START_TEST(test_sibling_older_within_second_is_stale)
{
    time_t t = time(NULL) - 10;
    write_text("sib.js", "console.log('new');\n");
    write_text("sib.js.gz", "OLD-GZIP");
    set_mtime("sib.js.gz", t, 100000000);
    set_mtime("sib.js", t, 600000000);
    write_text("sib2.js", "console.log('plain');\n");
    write_text("sib2.js.gz", "NEW-GZIP");
    set_mtime("sib2.js", t, 100000000);
    set_mtime("sib2.js.gz", t, 600000000);
    struct e2e_response r;
    expect_status("GET /sib.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", 200, &r);
    expect_no_header(&r, "Content-Encoding");
    ck_assert_str_eq(r.body, "console.log('new');\n");
    e2e_response_free(&r);
    expect_status("GET /sib2.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Encoding", "gzip");
    ck_assert_str_eq(r.body, "NEW-GZIP");
    e2e_response_free(&r);
}
END_TEST

/* Sends a request for a missing name on fd, keeping the connection. */
static void send_miss(int fd)
{
    const char *req = "GET /missing-for-fds HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_eq(e2e_send(fd, req, strlen(req)), 0);
}

/* Connections a worker with 48 descriptors can hold, and more. */
#define FD_FLOOD_MAX 200
/* The server's whole descriptor table in the 503 test. */
#define FD_TABLE "48"

/*
 * Item 5: a file request while the worker is out of descriptors gets 503
 * with Retry-After, and the failure is not remembered: once descriptors are
 * free, the same URL is 200 at once.
 */
START_TEST(test_out_of_descriptors_503_not_remembered)
{
    int p;
    setenv("OTU_E2E_NOFILE", FD_TABLE, 1);
    pid_t master = lc_start(ARGS("-w", "1"), &p);
    unsetenv("OTU_E2E_NOFILE");
    struct e2e_response r;
    /* c: accepted while descriptors are free, kept for the request that fails */
    int c = e2e_connect(p);
    send_miss(c);
    ck_assert_int_eq(e2e_read_response(c, false, &r), 0);
    ck_assert_int_eq(r.status, 404);
    e2e_response_free(&r);

    /* Fill the table: each connection is answered (accepted) until one is not
     * and the worker says it pauses accepting (EMFILE on accept). */
    int flood[FD_FLOOD_MAX];
    int n = 0;
    bool full = false;
    int pauses = log_count("pausing new connections");
    while (!full && n < FD_FLOOD_MAX) {
        int fd = e2e_connect(p);
        ck_assert_int_ge(fd, 0);
        flood[n++] = fd;
        send_miss(fd);
        bool refused = false;
        for (long long end = e2e_now_ms() + slow(5000);;) {
            struct pollfd pf = {fd, POLLIN, 0};
            if (!refused && poll(&pf, 1, 20) == 1) {
                if (e2e_read_response(fd, false, &r) == 0) {
                    e2e_response_free(&r);
                    break; /* accepted */
                }
                /* Reset: valgrind closes a descriptor above the limit it leaves the
                 * server, then reports EMFILE to it.  The pause line follows. */
                e2e_response_free(&r);
                refused = true;
                close(fd);
                flood[n - 1] = -1;
            } else if (refused) {
                usleep(20000);
            }
            if (log_count("pausing new connections") > pauses) {
                full = true;
                break;
            }
            ck_assert_msg(e2e_now_ms() < end, "connection %d neither answered nor refused", n);
        }
    }
    ck_assert_msg(full, "%d connections did not exhaust %s descriptors", n, FD_TABLE);

    /* A file needs a descriptor: there is none. */
    const char *get = "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_eq(e2e_send(c, get, strlen(get)), 0);
    ck_assert_int_eq(e2e_read_response(c, false, &r), 0);
    long long failed_at = e2e_now_ms();
    ck_assert_msg(r.status == 503, "out of descriptors: status %d, expected 503", r.status);
    expect_header(&r, "Retry-After", "1");
    e2e_response_free(&r);
    close(c);

    /* Free them: every held connection is closed by the server (it reads our FIN). */
    for (int i = 0; i < n; i++) {
        if (flood[i] >= 0)
            shutdown(flood[i], SHUT_WR);
    }
    for (int i = 0; i < n; i++) {
        if (flood[i] < 0)
            continue;
        ck_assert_msg(e2e_peer_closes(flood[i], slow(5000)), "connection %d not closed", i);
        close(flood[i]);
    }
    long long freed_at = e2e_now_ms();
    expect_status_on(p, "GET /page.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    printf("out of descriptors: %d connections filled the table; 503, then 200 %lld ms after it "
           "(descriptors free after %lld ms)\n",
           n, e2e_now_ms() - failed_at, freed_at - failed_at);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Size of the file truncated while cached, and its size after. */
#define TRUNC_SIZE 200000
#define TRUNC_TO   1000

/*
 * Reads a response whose body may be cut short: its head into r, then body
 * bytes until Content-Length or until the server closes (*closed), giving up
 * after timeout_ms.  Returns the body bytes read, or -1 without a head.
 */
static long read_maybe_short(int fd, struct e2e_response *r, bool *closed, int timeout_ms)
{
    *closed = false;
    if (e2e_read_response(fd, true, r) < 0)
        return -1;
    char cl[32];
    long want = e2e_header(r, "Content-Length", cl, sizeof(cl)) ? atol(cl) : 0;
    long got = 0;
    char buf[65536];
    long long end = e2e_now_ms() + timeout_ms;
    while (got < want && e2e_now_ms() < end) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 50) != 1)
            continue;
        size_t room = (size_t)(want - got) < sizeof(buf) ? (size_t)(want - got) : sizeof(buf);
        ssize_t n = recv(fd, buf, room, 0);
        if (n <= 0) {
            *closed = true;
            break;
        }
        got += n;
    }
    return got;
}

/*
 * Item 13: a cached file truncated under the server never gets a wrong
 * Content-Length on a connection that stays open, and the request after
 * that has the new size.
 */
START_TEST(test_truncated_file_never_breaks_framing)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "1"), &p);
    char path[600];
    snprintf(path, sizeof(path), "%s/trunc.bin", root_dir);
    char *data = pseudo_random(TRUNC_SIZE, 13);
    ck_assert_int_eq(e2e_write_file(path, data, TRUNC_SIZE), 0);
    free(data);
    struct e2e_response r;
    expect_status_on(p, "GET /trunc.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200, &r);
    ck_assert_uint_eq(r.body_len, TRUNC_SIZE);
    e2e_response_free(&r);

    ck_assert_int_eq(truncate(path, TRUNC_TO), 0); /* in place: same inode, same name */
    int fd = e2e_connect(p);
    const char *two = "GET /trunc.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /page.html HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_eq(e2e_send(fd, two, strlen(two)), 0);
    bool closed = false;
    long got = read_maybe_short(fd, &r, &closed, slow(3000));
    char cl[32];
    ck_assert_ptr_nonnull(e2e_header(&r, "Content-Length", cl, sizeof(cl)));
    printf("truncated while cached: Content-Length %s, %ld body bytes, then %s\n", cl, got, closed ? "closed" : "open");
    fflush(stdout);
    if (atol(cl) == TRUNC_TO) {
        ck_assert_int_eq(got, TRUNC_TO); /* the new size: the pipelined request is answered */
        struct e2e_response next;
        ck_assert_int_eq(e2e_read_response(fd, false, &next), 0);
        ck_assert_int_eq(next.status, 200);
        e2e_response_free(&next);
    } else {
        /* the old size went out before the truncation showed: close right after the short body */
        ck_assert_int_eq(got, TRUNC_TO);
        ck_assert_msg(closed, "Content-Length %s with %ld bytes, and the connection stayed open", cl, got);
    }
    close(fd);
    expect_status_on(p, "GET /trunc.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Length", "1000");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Item 13: a file rewritten in place gets a new ETag within the cache's stat interval (100 ms). */
START_TEST(test_inplace_rewrite_new_etag_within_tick)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "1"), &p);
    write_text("inplace.txt", "version one\n");
    struct e2e_response r;
    char etag1[128], etag2[128];
    const char *get = "GET /inplace.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    expect_status_on(p, get, 200, &r);
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", etag1, sizeof(etag1)));
    e2e_response_free(&r);
    long long t0 = e2e_now_ms();
    usleep(30000); /* a new mtime, whatever the file system's clock granularity */
    char path[600];
    snprintf(path, sizeof(path), "%s/inplace.txt", root_dir);
    int fd = open(path, O_WRONLY); /* no O_TRUNC, no new inode */
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, "VERSION TWO\n", 12, 0), 12);
    close(fd);
    usleep(200000);
    expect_status_on(p, get, 200, &r);
    long long after = e2e_now_ms() - t0;
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", etag2, sizeof(etag2)));
    printf("in-place rewrite: ETag %s -> %s, %lld ms after the first request\n", etag1, etag2, after);
    fflush(stdout);
    ck_assert_str_eq(r.body, "VERSION TWO\n");
    ck_assert_str_ne(etag1, etag2);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Bound for a deleted file's descriptor to be closed: well under FILE_CACHE_IDLE_MS (5 s). */
#define DELETED_CLOSE_MS 3000

/* Item 8: the cache closes the descriptor of a deleted file on its own, soon. */
START_TEST(test_deleted_file_descriptor_closed)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/deleted-big.bin", root_dir);
    char *data = pseudo_random(100000, 21);
    ck_assert_int_eq(e2e_write_file(path, data, 100000), 0);
    free(data);
    struct e2e_response r;
    expect_status("GET /deleted-big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    ck_assert_msg(workers_holding(server_pid, "/deleted-big.bin") == 1, "no worker holds the file");
    ck_assert_int_eq(unlink(path), 0);
    long long t0 = e2e_now_ms();
    int held = 1;
    while (held > 0 && e2e_now_ms() - t0 < slow(DELETED_CLOSE_MS)) {
        usleep(50000);
        held = workers_holding(server_pid, "/deleted-big.bin (deleted)");
    }
    printf("deleted file: descriptor %s %lld ms after the unlink\n", held ? "still open" : "closed", e2e_now_ms() - t0);
    fflush(stdout);
    ck_assert_msg(held == 0, "a worker still holds the deleted file after %d ms", slow(DELETED_CLOSE_MS));
}
END_TEST

/* The "files" case: the shared server's tests first (image mode stops there), then own servers. */
TCase *e2e_files_tcase(void)
{
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_loop_test(tc, test_paths, 0, (int)OTU_ARRAY_LEN(path_cases));
    tcase_add_loop_test(tc, test_never_outside_root, 0, (int)OTU_ARRAY_LEN(escapes));
    tcase_add_test(tc, test_redirect_directory_without_slash);
    tcase_add_loop_test(tc, test_mime_types, 0, (int)mime_file_count);
    tcase_add_test(tc, test_big_file_byte_for_byte);
    tcase_add_test(tc, test_conditional_requests);
    tcase_add_test(tc, test_ranges);
    tcase_add_test(tc, test_resume_in_three_ranges);
    tcase_add_test(tc, test_if_range);
    tcase_add_test(tc, test_precompressed_siblings);
    if (docker_image)
        return tc; /* the rest starts servers or reads the shared one's files */
    tcase_add_test(tc, test_serve_dotfiles_flag);
    tcase_add_test(tc, test_cache_control_option);
    tcase_add_test(tc, test_fallback_error_pages_and_headers);
    tcase_add_test(tc, test_fallback_walk_statuses_match_openat2);
    tcase_add_test(tc, test_openat2_eperm_does_not_latch_fallback);
    tcase_add_test(tc, test_fallback_swap_race_never_leaves_root);
    tcase_add_test(tc, test_sibling_older_within_second_is_stale);
    tcase_add_test(tc, test_out_of_descriptors_503_not_remembered);
    tcase_add_test(tc, test_truncated_file_never_breaks_framing);
    tcase_add_test(tc, test_inplace_rewrite_new_etag_within_tick);
    tcase_add_test(tc, test_deleted_file_descriptor_closed);
    return tc;
}

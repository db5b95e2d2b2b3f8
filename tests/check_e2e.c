/*
 * check_e2e.c - end-to-end tests: the real binary, real sockets, exact bytes.
 *
 * The server under test is $OTU_SERVER (default build/otuserver).  The
 * "serve" case runs one server with two workers over a fixture tree this
 * file creates; the "lifecycle" case starts a server per test for signals,
 * timeouts and configuration errors.  With $OTU_HTTPTEST_ROOT set, the
 * "httptest" suite serves that folder (it holds httptest/) and checks every
 * file byte for byte.
 */
#include "compat.h"

#include "e2e_util.h"
#include "e2e_fixture.h"

#include <check.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

START_TEST(test_get_file_and_common_headers)
{
    struct e2e_response r;
    expect_status("GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Length", "38");
    expect_header(&r, "Content-Type", "text/html");
    expect_header(&r, "Connection", "keep-alive");
    ck_assert_str_eq(r.body, "<html><body>Page Sample</body></html>\n");
    char v[128];
    ck_assert_ptr_nonnull(e2e_header(&r, "Server", v, sizeof(v)));
    ck_assert_ptr_nonnull(e2e_header(&r, "Date", v, sizeof(v)));
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    char *end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    ck_assert_msg(end != NULL && *end == '\0' && strlen(v) == 29, "Date is not IMF-fixdate: %s", v);
    e2e_response_free(&r);
}
END_TEST

START_TEST(test_head_same_headers_no_body)
{
    int fd = e2e_connect(port);
    const char *req = "HEAD /page.html HTTP/1.1\r\nHost: t\r\n\r\nGET /page.html HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_eq(e2e_send(fd, req, strlen(req)), 0);
    struct e2e_response head, get;
    ck_assert_int_eq(e2e_read_response(fd, true, &head), 0);
    ck_assert_int_eq(e2e_read_response(fd, false, &get), 0);
    ck_assert_int_eq(head.status, 200);
    /* The GET answer starts right after the HEAD answer's blank line: HEAD sent no body. */
    ck_assert_int_eq(get.status, 200);
    ck_assert_str_eq(get.body, "<html><body>Page Sample</body></html>\n");
    const char *names[] = {"Content-Length", "Content-Type", "ETag", "Last-Modified", "Connection"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(names); i++) {
        char a[256], b[256];
        ck_assert_ptr_nonnull(e2e_header(&head, names[i], a, sizeof(a)));
        ck_assert_ptr_nonnull(e2e_header(&get, names[i], b, sizeof(b)));
        ck_assert_str_eq(a, b);
    }
    e2e_response_free(&get);
    close(fd);
}
END_TEST

static const char *const refused_methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"};

START_TEST(test_other_methods_405)
{
    char req[256];
    snprintf(req, sizeof(req), "%s /page.html HTTP/1.1\r\nHost: t\r\n\r\n", refused_methods[_i]);
    struct e2e_response r;
    expect_status(req, 405, &r);
    expect_header(&r, "Allow", "GET, HEAD");
    ck_assert_ptr_nonnull(strstr(r.body, "405"));
    e2e_response_free(&r);
}
END_TEST

START_TEST(test_connect_and_options_star_405)
{
    struct e2e_response r;
    expect_status("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", 405, &r);
    e2e_response_free(&r);
    expect_status("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", 405, &r);
    expect_header(&r, "Allow", "GET, HEAD");
    e2e_response_free(&r);
}
END_TEST

START_TEST(test_unknown_method_501)
{
    struct e2e_response r;
    expect_status("FOO /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 501, &r);
    e2e_response_free(&r);
    expect_status("get /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 501, &r);
    e2e_response_free(&r);
}
END_TEST

/* HARDENING row 29: a body that looks like a request is consumed as a body, never served. */
static void check_body_not_parsed(const char *method, int first_status)
{
    const char *hidden = "GET /nested/a/b/deep.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    char req[512];
    snprintf(req, sizeof(req), "%s /page.html HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n%s"
             "GET /dir2/ HTTP/1.1\r\nHost: t\r\n\r\n", method, strlen(hidden), hidden);
    int fd = e2e_connect(port);
    ck_assert_int_eq(e2e_send(fd, req, strlen(req)), 0);
    struct e2e_response a, b;
    ck_assert_int_eq(e2e_read_response(fd, false, &a), 0);
    ck_assert_int_eq(a.status, first_status);
    ck_assert_int_eq(e2e_read_response(fd, false, &b), 0);
    ck_assert_int_eq(b.status, 200);
    ck_assert_str_eq(b.body, "<html>Directory index file</html>\n");
    e2e_response_free(&a);
    e2e_response_free(&b);
    close(fd);
}

START_TEST(test_post_body_is_consumed)
{
    check_body_not_parsed("POST", 405);
}
END_TEST

START_TEST(test_get_body_is_consumed)
{
    check_body_not_parsed("GET", 200);
}
END_TEST

START_TEST(test_smuggling_shapes_close)
{
    static const char *const shapes[] = {
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd",
        "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 0x10\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: identity\r\n\r\n",
        "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    };
    static const int statuses[] = {400, 400, 400, 400, 501, 400};
    for (size_t i = 0; i < OTU_ARRAY_LEN(shapes); i++) {
        int fd = e2e_connect(port);
        char req[512];
        snprintf(req, sizeof(req), "%sGET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", shapes[i]);
        e2e_send(fd, req, strlen(req));
        struct e2e_response r;
        ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
        ck_assert_msg(r.status == statuses[i], "shape %zu: %d", i, r.status);
        expect_header(&r, "Connection", "close");
        ck_assert_msg(e2e_peer_closes(fd, 3000), "shape %zu: connection left open", i);
        e2e_response_free(&r);
        close(fd);
    }
    struct e2e_response r;
    expect_status("GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    e2e_response_free(&r);
}
END_TEST

START_TEST(test_chunked_get_answered_then_closed)
{
    int fd = e2e_connect(port);
    const char *req = "GET /page.html HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "30\r\nGET /dir2/ HTTP/1.1\r\nHost: t\r\n\r\n\r\n0\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    struct e2e_response r;
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 200);
    expect_header(&r, "Connection", "close");
    ck_assert(e2e_peer_closes(fd, 3000));
    e2e_response_free(&r);
    close(fd);
}
END_TEST

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
        ck_assert_msg(r.body_len == strlen(c->body) && memcmp(r.body, c->body, r.body_len) == 0,
                      "%s: body '%s'", c->target, r.body);
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
    "/../outside/secret.txt", "/../../../../../../etc/passwd", "/%2e%2e/outside/secret.txt",
    "/%2E%2e/%2e%2E/etc/passwd", "/..%2foutside%2fsecret.txt", "/dir2/../../outside/secret.txt",
    "/escape.txt", "/escdir/secret.txt", "/escdir/", "/./../outside/secret.txt",
    "http://h/../outside/secret.txt", "/%2e%2e%2foutside/secret.txt", "/.%2e/outside/secret.txt",
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

START_TEST(test_keep_alive_rules)
{
    /* HTTP/1.1: open by default, two requests on one connection */
    int fd = e2e_connect(port);
    struct e2e_response r;
    for (int i = 0; i < 2; i++) {
        const char *req = "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n";
        e2e_send(fd, req, strlen(req));
        ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
        ck_assert_int_eq(r.status, 200);
        e2e_response_free(&r);
    }
    /* Connection: close is honoured */
    const char *req = "GET /page.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    expect_header(&r, "Connection", "close");
    ck_assert(e2e_peer_closes(fd, 3000));
    e2e_response_free(&r);
    close(fd);

    /* HTTP/1.0 closes unless asked */
    fd = e2e_connect(port);
    req = "GET /page.html HTTP/1.0\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    expect_header(&r, "Connection", "close");
    ck_assert(e2e_peer_closes(fd, 3000));
    e2e_response_free(&r);
    close(fd);

    fd = e2e_connect(port);
    for (int i = 0; i < 2; i++) {
        req = "GET /page.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        e2e_send(fd, req, strlen(req));
        ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
        ck_assert_int_eq(r.status, 200);
        expect_header(&r, "Connection", "keep-alive");
        e2e_response_free(&r);
    }
    close(fd);
}
END_TEST

START_TEST(test_pipelined_in_order)
{
    int fd = e2e_connect(port);
    const char *req = "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n"
                      "HEAD /missing HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET /dir2/ HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET /two..dots.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    static const int want[] = {200, 404, 200, 200, 200};
    static const size_t lens[] = {38, 0, 34, BIG_SIZE, 5};
    for (size_t i = 0; i < OTU_ARRAY_LEN(want); i++) {
        struct e2e_response r;
        ck_assert_int_eq(e2e_read_response(fd, i == 1, &r), 0);
        ck_assert_msg(r.status == want[i], "response %zu: %d", i, r.status);
        ck_assert_msg(r.body_len == lens[i], "response %zu: %zu bytes", i, r.body_len);
        e2e_response_free(&r);
    }
    ck_assert(e2e_peer_closes(fd, 3000));
    close(fd);
}
END_TEST

/* HARDENING rows 8, 9, 10 and 11 (an oversized head split over many reads). */
START_TEST(test_oversized_heads)
{
    static char req[70000];
    struct e2e_response r;
    /* a target over the head limit: 414 */
    int n = snprintf(req, sizeof(req), "GET /");
    memset(req + n, 'a', 9000);
    snprintf(req + n + 9000, sizeof(req) - (size_t)n - 9000, " HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_status(req, 414, &r);
    expect_header(&r, "Connection", "close");
    e2e_response_free(&r);
    /* one huge header line: 431 */
    n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(req + n, 'b', 9000);
    snprintf(req + n + 9000, sizeof(req) - (size_t)n - 9000, "\r\n\r\n");
    expect_status(req, 431, &r);
    e2e_response_free(&r);
    /* too many header lines: 431 */
    n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: t\r\n");
    for (int i = 0; i < 150; i++)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "X%d: y\r\n", i);
    snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
    expect_status(req, 431, &r);
    e2e_response_free(&r);
    /* many small headers split over reads still count in total */
    int fd = e2e_connect(port);
    e2e_send(fd, "GET / HTTP/1.1\r\nHost: t\r\n", 25);
    for (int i = 0; i < 20; i++) {
        char line[600];
        int k = snprintf(line, sizeof(line), "X%d: ", i);
        memset(line + k, 'c', 500);
        memcpy(line + k + 500, "\r\n", 2);
        if (e2e_send(fd, line, (size_t)k + 502) < 0)
            break;
        usleep(2000);
    }
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 431);
    e2e_response_free(&r);
    close(fd);
    expect_status("GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    e2e_response_free(&r);
}
END_TEST

static const struct {
    const char *raw;
    int status;
} bad_heads[] = {
    {"GET / HTTP/1.1\r\n\r\n", 400},                  /* no Host */
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"GET /\r\n\r\n", 400},                           /* HTTP/0.9 */
    {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
    {"GET / HTTP/1.2\r\nHost: t\r\n\r\n", 505},
    {"GET / HTTP/01.01\r\nHost: t\r\n\r\n", 400},
    {"GET /a b HTTP/1.1\r\nHost: t\r\n\r\n", 400},
    {"GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400},
    {"GET /\x02 HTTP/1.1\r\nHost: t\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: t\r\nFoo bar\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: t\r\n: x\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n", 400},
    {"\x16\x03\x01\x02\x05\x01\x02\x01\xfc\x03\x03", 400}, /* TLS to a plain port: no blank line needed */
};

START_TEST(test_bad_heads_get_status_and_close)
{
    int fd = e2e_connect(port);
    e2e_send(fd, bad_heads[_i].raw, strlen(bad_heads[_i].raw));
    struct e2e_response r;
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    ck_assert_msg(r.status == bad_heads[_i].status, "case %d: %d", _i, r.status);
    expect_header(&r, "Connection", "close");
    ck_assert(e2e_peer_closes(fd, 3000));
    e2e_response_free(&r);
    close(fd);
    expect_status("GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    e2e_response_free(&r);
}
END_TEST

START_TEST(test_raw_nul_in_request)
{
    static const char req[] = "GET /page.html HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n";
    int fd = e2e_connect(port);
    e2e_send(fd, req, sizeof(req) - 1);
    struct e2e_response r;
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 400);
    e2e_response_free(&r);
    close(fd);
}
END_TEST

START_TEST(test_junk_then_close_disturbs_nothing)
{
    static const char *const junk[] = {"\n", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: t\r\n", "\r\n\r\n", ""};
    for (size_t i = 0; i < OTU_ARRAY_LEN(junk); i++) {
        int fd = e2e_connect(port);
        e2e_send(fd, junk[i], strlen(junk[i]));
        close(fd);
    }
    struct e2e_response r;
    expect_status("GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    e2e_response_free(&r);
}
END_TEST

START_TEST(test_leading_empty_line_ignored)
{
    struct e2e_response r;
    expect_status("\r\nGET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    expect_status("GET /page.html HTTP/1.1\nHost: t\n\n", 200, &r); /* bare LF, consistently */
    e2e_response_free(&r);
}
END_TEST

START_TEST(test_head_error_has_no_body)
{
    int fd = e2e_connect(port);
    const char *req = "HEAD /missing HTTP/1.1\r\nHost: t\r\n\r\nGET /page.html HTTP/1.1\r\nHost: t\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    struct e2e_response a, b;
    ck_assert_int_eq(e2e_read_response(fd, true, &a), 0);
    ck_assert_int_eq(a.status, 404);
    ck_assert_int_eq(e2e_read_response(fd, false, &b), 0);
    ck_assert_int_eq(b.status, 200);
    e2e_response_free(&b);
    close(fd);
}
END_TEST

/*
 * The hostile inputs of shared/HARDENING.md, one named case per input, with
 * the careful answer: status, whether the connection must close, and that a
 * normal request on a new connection is answered right after.
 */
enum gen { RAW = 0, GEN_LONG_TARGET, GEN_HUGE_HEADER, GEN_HUGE_BLOCK, GEN_MANY_HEADERS };

struct hostile_case {
    const char *name;   /* "row N: what" */
    const char *raw;    /* the request bytes (RAW) */
    size_t len;         /* 0 = strlen(raw) */
    enum gen gen;       /* or a generated request */
    int ok[3];          /* acceptable statuses (0 = unused) */
    int close;          /* 1: the connection must close after the answer; 0: may stay */
};

#define H(host) "Host: " host "\r\n"
static const struct hostile_case hostile[] = {
    {"row 1: /../../../../etc/passwd", "GET /../../../../etc/passwd HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {400, 403, 404}, 0},
    {"row 2: encoded dots", "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {400, 403, 404}, 0},
    {"row 2: /%2E%2e.html", "GET /%2E%2e.html HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {404}, 0},
    {"row 3: double-encoded dots", "GET /%252e%252e/etc/passwd HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {404}, 0},
    {"row 4: encoded slashes", "GET /..%2f..%2fetc/passwd HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {400, 404}, 0},
    {"row 5: backslashes", "GET /..%5c..%5cboot.ini HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {404}, 0},
    {"row 6: encoded NUL", "GET /index.html%00.jpg HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {400, 404}, 0},
    {"row 7: NUL in the request line", "GET /index.html\0.jpg HTTP/1.1\r\n" H("t") "\r\n", 38, RAW, {400}, 1},
    {"row 7: NUL in a header value", "GET / HTTP/1.1\r\n" H("t") "X: a\0b\r\n\r\n", 32, RAW, {400}, 1},
    {"row 8: 64 KiB target", NULL, 0, GEN_LONG_TARGET, {414}, 1},
    {"row 9: one header line too big", NULL, 0, GEN_HUGE_HEADER, {431}, 1},
    {"row 9: header block too big", NULL, 0, GEN_HUGE_BLOCK, {431}, 1},
    {"row 10: 10,000 header lines", NULL, 0, GEN_MANY_HEADERS, {431, 400}, 1},
    {"row 12: unknown method", "FOO / HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {501}, 1},
    {"row 13: POST", "POST /index.html HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {405}, 0},
    {"row 13: PUT", "PUT /index.html HTTP/1.1\r\n" H("t") "Content-Length: 0\r\n\r\n", 0, RAW, {405}, 0},
    {"row 13: DELETE", "DELETE /index.html HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {405}, 0},
    {"row 14: TRACE", "TRACE / HTTP/1.1\r\n" H("t") "X-Echo: secret\r\n\r\n", 0, RAW, {405}, 0},
    {"row 14: CONNECT", "CONNECT example.com:443 HTTP/1.1\r\n" H("example.com:443") "\r\n", 0, RAW, {405}, 0},
    {"row 15: lower-case method", "get / HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {501, 400}, 1},
    {"row 16: HTTP/0.9", "GET /\r\n", 0, RAW, {400}, 1},
    {"row 17: HTTP/2.0", "GET / HTTP/2.0\r\n" H("t") "\r\n", 0, RAW, {505}, 1},
    {"row 17: HTTP/1.2", "GET / HTTP/1.2\r\n" H("t") "\r\n", 0, RAW, {505}, 1},
    {"row 18: HTTP/01.01", "GET / HTTP/01.01\r\n" H("t") "\r\n", 0, RAW, {400}, 1},
    {"row 18: HTTP/a.b", "GET / HTTP/a.b\r\n" H("t") "\r\n", 0, RAW, {400}, 1},
    {"row 18: HTTP/4294967295.255", "GET / HTTP/4294967295.255\r\n" H("t") "\r\n", 0, RAW, {400}, 1},
    {"row 19: HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 0, RAW, {400}, 1},
    {"row 19: HTTP/1.0 without Host is fine", "GET / HTTP/1.0\r\n\r\n", 0, RAW, {200}, 1},
    {"row 20: two differing Hosts", "GET / HTTP/1.1\r\n" H("a") H("b") "\r\n", 0, RAW, {400}, 1},
    {"row 21: absolute-form", "GET http://h/index.html HTTP/1.1\r\n" H("h") "\r\n", 0, RAW, {200}, 0},
    {"row 22: GET *", "GET * HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {400}, 1},
    {"row 22: OPTIONS *", "OPTIONS * HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {405}, 0},
    {"row 23: space in the target", "GET /a b HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {400}, 1},
    {"row 23: double space", "GET  / HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {400}, 1},
    {"row 24: control byte", "GET /\x02 HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {400}, 1},
    {"row 24: /%", "GET /% HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {400}, 1},
    {"row 24: /%1", "GET /%1 HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {400}, 1},
    {"row 24: /%zz", "GET /%zz HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {400}, 1},
    {"row 25: Content-Length with Transfer-Encoding", "POST / HTTP/1.1\r\n" H("t") "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, RAW, {400}, 1},
    {"row 26: two Content-Lengths", "GET / HTTP/1.1\r\n" H("t") "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 0, RAW, {400}, 1},
    {"row 27: Content-Length -1", "GET / HTTP/1.1\r\n" H("t") "Content-Length: -1\r\n\r\n", 0, RAW, {400}, 1},
    {"row 27: Content-Length +5", "GET / HTTP/1.1\r\n" H("t") "Content-Length: +5\r\n\r\n", 0, RAW, {400}, 1},
    {"row 27: Content-Length 0x10", "GET / HTTP/1.1\r\n" H("t") "Content-Length: 0x10\r\n\r\n", 0, RAW, {400}, 1},
    {"row 27: Content-Length empty", "GET / HTTP/1.1\r\n" H("t") "Content-Length:\r\n\r\n", 0, RAW, {400}, 1},
    {"row 27: Content-Length 5 5", "GET / HTTP/1.1\r\n" H("t") "Content-Length: 5 5\r\n\r\n", 0, RAW, {400}, 1},
    {"row 28: TE identity", "GET / HTTP/1.1\r\n" H("t") "Transfer-Encoding: identity\r\n\r\n", 0, RAW, {501}, 1},
    {"row 28: TE gzip, chunked", "GET / HTTP/1.1\r\n" H("t") "Transfer-Encoding: gzip, chunked\r\n\r\n", 0, RAW, {501}, 1},
    {"row 28: TE on HTTP/1.0", "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 0, RAW, {400}, 1},
    {"row 30: obs-fold", "GET / HTTP/1.1\r\n" H("t") "X: a\r\n b\r\n\r\n", 0, RAW, {400}, 1},
    {"row 31: space before the colon", "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 0, RAW, {400}, 1},
    {"row 32: line without a colon", "GET / HTTP/1.1\r\n" H("t") "Foo bar\r\n\r\n", 0, RAW, {400}, 1},
    {"row 32: empty field name", "GET / HTTP/1.1\r\n" H("t") ": x\r\n\r\n", 0, RAW, {400}, 1},
    {"row 33: bare CR in a value", "GET / HTTP/1.1\r\n" H("t") "X: a\rb\r\n\r\n", 0, RAW, {400}, 1},
    {"row 34: bare LF line ends", "GET /index.html HTTP/1.1\nHost: t\n\n", 0, RAW, {200}, 0},
    {"row 35: leading empty line", "\r\nGET /index.html HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {200}, 0},
    {"row 39: unsatisfiable range", "GET /big.bin HTTP/1.1\r\n" H("t") "Range: bytes=99999999-\r\n\r\n", 0, RAW, {416}, 0},
    {"row 39: reversed range ignored", "GET /page.html HTTP/1.1\r\n" H("t") "Range: bytes=100-50\r\n\r\n", 0, RAW, {200}, 0},
    {"row 39: 1000 ranges", NULL, 0, RAW, {200}, 0},
    {"row 40: symlink out of the root", "GET /escape.txt HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {403, 404}, 0},
    {"row 40: /.git/config", "GET /.git/config HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {404}, 0},
    {"row 40: /.env", "GET /.env HTTP/1.1\r\n" H("t") "\r\n", 0, RAW, {404}, 0},
};
#undef H

/* Builds a generated request into a malloc'd buffer; returns it and its length. */
static char *hostile_request(const struct hostile_case *c, size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    switch (c->gen) {
    case GEN_LONG_TARGET:
        n = (size_t)sprintf(b, "GET /");
        memset(b + n, 'a', 65536);
        n += 65536;
        n += (size_t)sprintf(b + n, " HTTP/1.1\r\nHost: t\r\n\r\n");
        break;
    case GEN_HUGE_HEADER:
        n = (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: t\r\nCookie: ");
        memset(b + n, 'c', 16384);
        n += 16384;
        n += (size_t)sprintf(b + n, "\r\n\r\n");
        break;
    case GEN_HUGE_BLOCK:
        n = (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: t\r\n");
        for (int i = 0; i < 40; i++)
            n += (size_t)sprintf(b + n, "X-%d: %0400d\r\n", i, 0);
        n += (size_t)sprintf(b + n, "\r\n");
        break;
    case GEN_MANY_HEADERS:
        n = (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: t\r\n");
        for (int i = 0; i < 10000; i++)
            n += (size_t)sprintf(b + n, "X: y\r\n");
        n += (size_t)sprintf(b + n, "\r\n");
        break;
    case RAW:
        if (c->raw == NULL) { /* row 39: a thousand ranges */
            n = (size_t)sprintf(b, "GET /page.html HTTP/1.1\r\nHost: t\r\nRange: bytes=0-0");
            for (int i = 0; i < 999; i++)
                n += (size_t)sprintf(b + n, ",0-0");
            n += (size_t)sprintf(b + n, "\r\n\r\n");
        } else {
            n = c->len ? c->len : strlen(c->raw);
            memcpy(b, c->raw, n);
        }
        break;
    }
    *len = n;
    return b;
}

START_TEST(test_hostile_input)
{
    const struct hostile_case *c = &hostile[_i];
    size_t len;
    char *raw = hostile_request(c, &len);
    int fd = e2e_connect(port);
    ck_assert_int_ge(fd, 0);
    e2e_send(fd, raw, len); /* the server may close before taking it all */
    free(raw);
    struct e2e_response r;
    ck_assert_msg(e2e_read_response(fd, false, &r) == 0,
                  "%s: no response", c->name);
    ck_assert_msg(r.status == c->ok[0] || r.status == c->ok[1] || r.status == c->ok[2], "%s: status %d",
                  c->name, r.status);
    ck_assert_msg(r.body == NULL || (strstr(r.body, "TOP-SECRET") == NULL && strstr(r.body, "root:") == NULL),
                  "%s: leaked", c->name);
    if (c->close) {
        char v[32];
        ck_assert_msg(e2e_header(&r, "Connection", v, sizeof(v)) && strcmp(v, "close") == 0,
                      "%s: no Connection: close", c->name);
        ck_assert_msg(e2e_peer_closes(fd, 3000), "%s: the connection stayed open", c->name);
    }
    e2e_response_free(&r);
    close(fd);
    ck_assert_msg(e2e_exchange(port, "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", &r) == 0 && r.status == 200,
                  "%s: the next request was not served", c->name);
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
    snprintf(raw, sizeof(raw), "GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"other\"\r\n"
             "If-Modified-Since: %s\r\n\r\n", lm);
    expect_status(raw, 200, &r);
    e2e_response_free(&r);
    expect_status("GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n",
                  200, &r);
    e2e_response_free(&r);
    expect_status("GET /big.bin HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: yesterday\r\n\r\n", 200, &r);
    e2e_response_free(&r);
}
END_TEST

/* Fetches a range of /big.bin and checks status, Content-Range and bytes. */
static void expect_range(const char *range, int status, const char *content_range, size_t first,
                         size_t len)
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

START_TEST(test_access_log_line)
{
    struct e2e_response r;
    expect_status("GET /dir2/page.html?logged=1 HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    size_t len = 0;
    char *log = NULL;
    for (int i = 0; i < 50; i++) {
        free(log);
        if (docker_image) {
            char cmd[512];
            snprintf(cmd, sizeof(cmd), "docker logs %s > '%s' 2>&1", container_id, log_path);
            sh(cmd);
        }
        log = e2e_read_file(log_path, &len);
        if (log && strstr(log, "\"GET /dir2/page.html?logged=1 HTTP/1.1\" 200 "))
            break;
        usleep(20000);
    }
    ck_assert_ptr_nonnull(log);
    char *line = strstr(log, "\"GET /dir2/page.html?logged=1 HTTP/1.1\" 200 ");
    ck_assert_msg(line != NULL, "no access line in the log");
    if (!docker_image) /* behind Docker's NAT the peer is the bridge address */
        ck_assert_ptr_nonnull(strstr(log, "127.0.0.1 \"GET /dir2/page.html?logged=1"));
    free(log);
}
END_TEST

/* ---- lifecycle: one server per test ---- */

START_TEST(test_worker_respawn)
{
    int p;
    const char *extra[] = {"-w", "2", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    pid_t kids[8];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    long long t0 = e2e_now_ms();
    kill(kids[0], SIGKILL);
    /* a new worker must serve within 1 s: many fresh connections all answered */
    bool replaced = false;
    while (e2e_now_ms() - t0 < 1000 && !replaced) {
        pid_t now_kids[8];
        int n = children_of(master, now_kids, 8);
        replaced = n == 2 && now_kids[0] != kids[0] && now_kids[1] != kids[0];
        if (!replaced)
            usleep(10000);
    }
    ck_assert_msg(replaced, "no new worker within 1 s");
    for (int i = 0; i < 40; i++) {
        struct e2e_response r;
        ck_assert_int_eq(e2e_exchange(p, "GET /page.html HTTP/1.0\r\n\r\n", &r), 0);
        ck_assert_int_eq(r.status, 200);
        e2e_response_free(&r);
    }
    ck_assert_msg(e2e_now_ms() - t0 < 1000 + 2000, "serving took too long after the kill");
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_sigterm_finishes_response_in_flight)
{
    int p;
    const char *extra[] = {"-w", "2", "--grace-period", "8s", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    int fd = connect_small_rcvbuf(p); /* keeps the response in flight */
    const char *req = "GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    char buf[65536];
    ssize_t first = recv(fd, buf, 1000, 0);
    ck_assert_int_gt(first, 0);
    kill(master, SIGTERM);
    usleep(300000);
    /* the master is still waiting for the response to finish */
    ck_assert_int_eq(waitpid(master, NULL, WNOHANG), 0);
    size_t total = (size_t)first;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    close(fd);
    /* head + 16 MiB: the whole body arrived */
    ck_assert_msg(total > HUGE_SIZE && total < HUGE_SIZE + 1024, "received %zu bytes", total);
    int st;
    long long t0 = e2e_now_ms();
    while (waitpid(master, &st, WNOHANG) == 0 && e2e_now_ms() - t0 < 5000)
        usleep(10000);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

START_TEST(test_sighup_reopens_log)
{
    int p;
    const char *extra[] = {"-w", "2", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(p, "GET /page.html?before HTTP/1.0\r\n\r\n", &r), 0);
    e2e_response_free(&r);
    char rotated[450];
    snprintf(rotated, sizeof(rotated), "%s.1", lc_log);
    ck_assert_int_eq(rename(lc_log, rotated), 0);
    kill(master, SIGHUP);
    usleep(300000);
    for (int i = 0; i < 10; i++) { /* reach both workers */
        ck_assert_int_eq(e2e_exchange(p, "GET /page.html?after HTTP/1.0\r\n\r\n", &r), 0);
        e2e_response_free(&r);
    }
    size_t len;
    char *fresh = NULL;
    for (int i = 0; i < 40; i++) { /* access lines are flushed within 200 ms */
        free(fresh);
        fresh = e2e_read_file(lc_log, &len);
        if (fresh && strstr(fresh, "?after"))
            break;
        usleep(50000);
    }
    ck_assert_msg(fresh != NULL, "no new log file after SIGHUP");
    ck_assert_ptr_nonnull(strstr(fresh, "?after"));
    ck_assert_ptr_null(strstr(fresh, "?before"));
    char *old = e2e_read_file(rotated, &len);
    ck_assert_ptr_nonnull(strstr(old, "?before"));
    ck_assert_ptr_null(strstr(old, "?after"));
    free(fresh);
    free(old);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

static const struct {
    const char *env;
    const char *arg1, *arg2;
    const char *says;
} bad_configs[] = {
    {"OTUSERVER_PORT=tcp://10.0.0.7:80", NULL, NULL, "OTUSERVER_PORT"},
    {NULL, "-p", "99999", "-p"},
    {"OTUSERVER_WORKERS=lots", NULL, NULL, "OTUSERVER_WORKERS"},
    {NULL, "-l", "verbose", "-l"},
    {"OTUSERVER_ROOT=/nonexistent/dir", NULL, NULL, "/nonexistent/dir"},
    {NULL, "-r", "/etc/hostname", "not a directory"},
    {"OTUSERVER_LOG_FILE=/nonexistent/dir/x.log", NULL, NULL, "OTUSERVER_LOG_FILE"},
    {"OTUSERVER_BIND=example.com", NULL, NULL, "OTUSERVER_BIND"},
    {NULL, "--bogus", NULL, "unknown option"},
    {NULL, "--header", "Content-Length: 5", "break the response framing"},
    {"OTUSERVER_HEADERS=X-A: 1\nTransfer-Encoding: chunked", NULL, NULL, "OTUSERVER_HEADERS"},
    {NULL, "--header", "Connection: close", "--header"},
    {NULL, "--header", "no colon here", "--header"},
    {NULL, "--error-page", "200=/x.html", "400..599"},
    {NULL, "--fallback", "index.html", "--fallback"},
    {"OTUSERVER_METRICS_PORT=metrics", NULL, NULL, "OTUSERVER_METRICS_PORT"},
    {NULL, "--log-format", "apache", "text, combined, json"},
};

START_TEST(test_bad_config_exits_2_with_one_line)
{
    char err[1024];
    const char *args[] = {bad_configs[_i].arg1, bad_configs[_i].arg2, NULL};
    int st = run_binary(args, bad_configs[_i].env, err, sizeof(err));
    ck_assert_msg(st == 2, "case %d: exit %d (%s)", _i, st, err);
    ck_assert_msg(strstr(err, bad_configs[_i].says) != NULL, "case %d: '%s'", _i, err);
    char *nl = strchr(err, '\n');
    ck_assert_msg(nl != NULL && nl[1] == '\0', "not exactly one line: '%s'", err);
}
END_TEST

START_TEST(test_port_taken)
{
    int p = e2e_free_port();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    char portbuf[16], err[1024];
    snprintf(portbuf, sizeof(portbuf), "%d", p);
    const char *args[] = {"-p", portbuf, "-r", root_dir, "-f", "-", NULL};
    int st = run_binary(args, NULL, err, sizeof(err));
    close(fd);
    ck_assert_int_ne(st, 0);
    ck_assert_msg(strstr(err, "already in use") != NULL, "%s", err);
    ck_assert_msg(strstr(err, portbuf) != NULL, "%s", err);
}
END_TEST

START_TEST(test_help_and_version)
{
    char err[256];
    const char *help[] = {"--help", NULL};
    ck_assert_int_eq(run_binary(help, NULL, err, sizeof(err)), 0);
    const char *version[] = {"--version", NULL};
    ck_assert_int_eq(run_binary(version, NULL, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_healthcheck_mode)
{
    int p;
    const char *extra[] = {"-w", "1", "--health-path", "/healthz", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    char env[64], err[256];
    snprintf(env, sizeof(env), "OTUSERVER_PORT=%d", p);
    const char *hc[] = {"--healthcheck", "--health-path", "/healthz", NULL};
    ck_assert_int_eq(run_binary(hc, env, err, sizeof(err)), 0);
    const char *hc404[] = {"--healthcheck", "--healthcheck-path", "/missing", NULL};
    ck_assert_int_eq(run_binary(hc404, env, err, sizeof(err)), 1);
    ck_assert_int_eq(e2e_stop(master), 0);
    ck_assert_int_eq(run_binary(hc, env, err, sizeof(err)), 1);
    /* probes of the health path every few seconds would drown the access log: they
     * show only at debug; any other request is logged whatever its User-Agent */
    size_t len;
    char *log = e2e_read_file(lc_log, &len);
    ck_assert_ptr_nonnull(log);
    ck_assert_msg(strstr(log, "\"GET /healthz HTTP/1.0\" 200") == NULL, "a probe was logged at info:\n%s", log);
    ck_assert_msg(strstr(log, "\"GET /missing HTTP/1.0\" 404") != NULL, "a request off the health path was not logged");
    free(log);
    /* ...and at debug they are */
    const char *debug[] = {"-w", "1", "-l", "debug", "--health-path", "/healthz", NULL};
    master = lc_start(debug, &p);
    ck_assert_int_gt(master, 0);
    snprintf(env, sizeof(env), "OTUSERVER_PORT=%d", p);
    ck_assert_int_eq(run_binary(hc, env, err, sizeof(err)), 0);
    ck_assert_int_eq(e2e_stop(master), 0);
    log = e2e_read_file(lc_log, &len);
    ck_assert_msg(log && strstr(log, "\"GET /healthz HTTP/1.0\" 200"), "no probe line at debug");
    free(log);
}
END_TEST

/*
 * Trickles a request head one byte every interval_ms into a server whose
 * header deadline is deadline_s, and checks that the deadline, counted from
 * the first byte and not reset by each one, ends it with 408 and a close.
 */
static void check_trickle(int interval_ms, const char *deadline_s, long long deadline_ms)
{
    int p;
    const char *extra[] = {"-w", "1", "--header-timeout", deadline_s, NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    int fd = e2e_connect(p);
    long long t0 = e2e_now_ms();
    const char *head = "GET /page.html HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for (size_t i = 0; i < strlen(head); i++) {
        if (send(fd, head + i, 1, MSG_NOSIGNAL) != 1)
            break;
        if (e2e_now_ms() - t0 > deadline_ms * 3)
            break;
        usleep((useconds_t)interval_ms * 1000);
        char c;
        if (recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) >= 0)
            break; /* the server answered (408) or closed */
    }
    long long elapsed = e2e_now_ms() - t0;
    ck_assert_msg(elapsed >= deadline_ms - 100 && elapsed < deadline_ms + 1500,
                  "closed after %lld ms with a %lld ms deadline", elapsed, deadline_ms);
    struct e2e_response r;
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 408);
    expect_header(&r, "Connection", "close");
    e2e_response_free(&r);
    ck_assert(e2e_peer_closes(fd, 3000));
    close(fd);
    ck_assert_int_eq(e2e_stop(master), 0);
}

/* HARDENING row 36: slowloris. */
START_TEST(test_header_deadline_not_reset_by_trickle)
{
    check_trickle(100, "1s", 1000); /* 10 bytes a second: the head would need 6 s */
}
END_TEST

START_TEST(test_header_deadline_one_byte_per_second)
{
    check_trickle(1000, "3s", 3000); /* 1 byte a second: the head would need a minute */
}
END_TEST

START_TEST(test_idle_connection_without_request_closed)
{
    int p;
    const char *extra[] = {"-w", "1", "--header-timeout", "1s", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    int fd = e2e_connect(p);
    long long t0 = e2e_now_ms();
    ck_assert(e2e_peer_closes(fd, 4000)); /* silently: nothing was asked */
    long long elapsed = e2e_now_ms() - t0;
    ck_assert_msg(elapsed >= 800 && elapsed < 2500, "closed after %lld ms", elapsed);
    close(fd);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* HARDENING row 37: a reader that stops reading a large file. */
START_TEST(test_send_timeout_closes_stalled_reader)
{
    int p;
    const char *extra[] = {"-w", "1", "--send-timeout", "1s", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    int fd = connect_small_rcvbuf(p);
    const char *req = "GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    sleep(3); /* read nothing: the server's sends stall */
    char buf[65536];
    size_t total = 0;
    long long t0 = e2e_now_ms();
    bool closed = false;
    while (e2e_now_ms() - t0 < 5000) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            closed = true;
            break;
        }
        total += (size_t)n;
    }
    ck_assert_msg(closed, "the stalled connection was still open");
    ck_assert_msg(total < HUGE_SIZE, "the whole file arrived (%zu bytes): no timeout", total);
    close(fd);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_connection_cap_pauses_accepting)
{
    int p;
    const char *extra[] = {"-w", "1", "--max-connections", "4", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    int idle[4];
    for (int i = 0; i < 4; i++) {
        idle[i] = e2e_connect(p);
        ck_assert_int_ge(idle[i], 0);
    }
    usleep(200000);
    int fd = e2e_connect(p); /* the kernel queues it; the worker must not take it yet */
    const char *req = "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    char c;
    struct timeval tv = {0, 500000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ck_assert_msg(recv(fd, &c, 1, MSG_PEEK) < 0, "served past the connection cap");
    close(idle[0]);
    tv.tv_sec = 3;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct e2e_response r;
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 200);
    e2e_response_free(&r);
    close(fd);
    for (int i = 1; i < 4; i++)
        close(idle[i]);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* HARDENING row 38: a connection flood past the fd limit. */
START_TEST(test_fd_exhaustion_does_not_spin)
{
    int p;
    const char *extra[] = {"-w", "1", NULL};
    setenv("OTU_E2E_NOFILE", "48", 1); /* the server's whole fd table: 48 */
    pid_t master = lc_start(extra, &p);
    unsetenv("OTU_E2E_NOFILE");
    ck_assert_int_gt(master, 0);
    pid_t worker;
    ck_assert_int_eq(wait_children(master, &worker, 1), 1);
    int conns[120];
    for (int i = 0; i < 120; i++)
        conns[i] = e2e_connect(p);
    usleep(300000);
    long before = cpu_ticks(worker);
    sleep(1);
    long used = cpu_ticks(worker) - before;
    ck_assert_msg(used < 30, "the worker spun: %ld ticks of CPU in 1 s at EMFILE", used);
    for (int i = 0; i < 120; i++)
        if (conns[i] >= 0)
            close(conns[i]);
    /* descriptors free up: serving resumes */
    bool served = false;
    for (long long end = e2e_now_ms() + 5000; !served && e2e_now_ms() < end; usleep(50000)) {
        struct e2e_response r;
        served = e2e_exchange(p, "GET /page.html HTTP/1.0\r\n\r\n", &r) == 0 && r.status == 200;
        e2e_response_free(&r);
    }
    ck_assert_msg(served, "no service after descriptors were freed");
    size_t len;
    char *log = e2e_read_file(lc_log, &len);
    ck_assert_msg(log && strstr(log, "pausing new connections"), "no EMFILE warning in the log");
    free(log);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_worker_kill_under_load)
{
    int p;
    const char *extra[] = {"-w", "2", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    pid_t kids[2];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    FILE *load = start_load(p, "/page.html", 20000, 16);
    usleep(500000);
    long long t0 = e2e_now_ms();
    kill(kids[0], SIGKILL);
    bool replaced = false;
    while (!replaced && e2e_now_ms() - t0 < 1000) {
        pid_t now[4];
        int n = children_of(master, now, 4);
        replaced = n == 2 && now[0] != kids[0] && now[1] != kids[0];
        usleep(5000);
    }
    ck_assert_msg(replaced, "no new worker within 1 s");
    int complete, cut, unanswered;
    finish_load(load, &complete, &cut, &unanswered);
    /* only requests in flight on the killed worker may fail: at most one per client */
    ck_assert_msg(cut + unanswered <= 16, "%d cut, %d unanswered", cut, unanswered);
    ck_assert_int_ge(complete, 20000 - 16);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_sigterm_under_load)
{
    int p;
    const char *extra[] = {"-w", "2", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    FILE *load = start_load(p, "/big.bin", 100000, 16);
    usleep(500000);
    kill(master, SIGTERM);
    int st = -1;
    long long t0 = e2e_now_ms();
    while (waitpid(master, &st, WNOHANG) == 0 && e2e_now_ms() - t0 < 12000)
        usleep(10000);
    int complete, cut, unanswered;
    finish_load(load, &complete, &cut, &unanswered);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "master status %d", st);
    ck_assert_msg(cut == 0, "%d responses cut short by the stop", cut);
    ck_assert_msg(complete > 0 && complete < 100000, "the stop did not land during the load (%d)", complete);
}
END_TEST

/* Idle connections held open by the 10,000-connection test. */
#define IDLE_CONNECTIONS 10000

START_TEST(test_10k_idle_connections_and_load)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    ck_assert_msg(rl.rlim_max >= IDLE_CONNECTIONS + 1000, "the hard fd limit %lu is too low for this test",
                  (unsigned long)rl.rlim_max);
    rl.rlim_cur = IDLE_CONNECTIONS + 1000;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    int p;
    const char *extra[] = {"-w", "2", "--max-connections", "20000", "--header-timeout", "60s", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    pid_t kids[2];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    long idle_before[2] = {rss_kib(kids[0]), rss_kib(kids[1])};
    int *fds = malloc(sizeof(int) * IDLE_CONNECTIONS);
    for (int i = 0; i < IDLE_CONNECTIONS; i++) {
        fds[i] = e2e_connect(p);
        ck_assert_msg(fds[i] >= 0, "connection %d failed", i);
    }
    usleep(500000);
    FILE *load = start_load(p, "/page.html", 10000, 16);
    int complete, cut, unanswered;
    finish_load(load, &complete, &cut, &unanswered);
    long rss[2] = {rss_kib(kids[0]), rss_kib(kids[1])};
    printf("RSS per worker: %ld KiB and %ld KiB idle; %ld KiB and %ld KiB with %d idle connections + load\n",
           idle_before[0], idle_before[1], rss[0], rss[1], IDLE_CONNECTIONS);
    ck_assert_int_eq(complete, 10000);
    ck_assert_int_eq(cut + unanswered, 0);
    /* bounded: an idle connection holds no buffer, only its small state */
    for (int i = 0; i < 2; i++)
        ck_assert_msg(rss[i] - idle_before[i] < 32 * 1024, "worker grew by %ld KiB", rss[i] - idle_before[i]);
    for (int i = 0; i < IDLE_CONNECTIONS; i++)
        close(fds[i]);
    free(fds);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_precompress_script_siblings_are_served)
{
    char dir[400], cmd[600];
    snprintf(dir, sizeof(dir), "%s/pc", root_dir);
    mkdir(dir, 0755);
    char path[500];
    snprintf(path, sizeof(path), "%s/site.css", dir);
    const char *css = "body { color: black; } /* some text worth compressing */\n";
    ck_assert_int_eq(e2e_write_file(path, css, strlen(css)), 0);
    snprintf(cmd, sizeof(cmd), "scripts/precompress '%s' > /dev/null", dir);
    ck_assert_int_eq(system(cmd), 0);
    int p;
    const char *extra[] = {"-w", "1", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(p, "GET /pc/site.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", &r), 0);
    ck_assert_int_eq(r.status, 200);
    expect_header(&r, "Content-Encoding", "gzip");
    expect_header(&r, "Content-Type", "text/css");
    ck_assert(r.body_len > 2 && (unsigned char)r.body[0] == 0x1f && (unsigned char)r.body[1] == 0x8b);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Starts a server with --log-format fmt, sends two requests, returns its log text. */
static char *log_lines_in_format(const char *fmt)
{
    int p;
    const char *extra[] = {"-w", "1", "--log-format", fmt, NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(p, "GET /page.html?q=\"quoted\"%0a HTTP/1.1\r\nHost: t\r\n"
                                     "Referer: http://example.com/\"x\"\r\nUser-Agent: test/1.0 \"agent\"\r\n\r\n", &r), 0);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_exchange(p, "GET /missing HTTP/1.0\r\n\r\n", &r), 0);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0); /* the stop flushes the buffer */
    size_t len;
    char *log = e2e_read_file(lc_log, &len);
    ck_assert_ptr_nonnull(log);
    return log;
}

START_TEST(test_log_format_combined)
{
    char *log = log_lines_in_format("combined");
    regex_t re;
    /* the Combined Log Format as log tools read it, with our duration appended */
    ck_assert_int_eq(regcomp(&re, "^([^ ]+) ([^ ]+) ([^ ]+) \\[([0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} [+-][0-9]{4})\\] "
                                  "\"([^\"]*)\" ([0-9]{3}) ([0-9]+|-) \"([^\"]*)\" \"([^\"]*)\" [0-9]+\\.[0-9]{6}$",
                             REG_EXTENDED), 0);
    int access_lines = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, " info: ") || strstr(line, " warn: ") || strstr(line, " debug: "))
            continue; /* lifecycle lines stay human-readable */
        regmatch_t m[10];
        ck_assert_msg(regexec(&re, line, 10, m, 0) == 0, "not a combined line: %s", line);
        access_lines++;
    }
    regfree(&re);
    ck_assert_int_eq(access_lines, 2);
    free(log);
}
END_TEST

START_TEST(test_log_format_json)
{
    char *log = log_lines_in_format("json");
    char path[500];
    snprintf(path, sizeof(path), "%s.json", lc_log);
    FILE *f = fopen(path, "w");
    int access_lines = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] != '{')
            continue; /* lifecycle lines stay human-readable */
        fprintf(f, "%s\n", line);
        access_lines++;
    }
    fclose(f);
    ck_assert_int_eq(access_lines, 2);
    char cmd[1400];
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys\n"
             "rows=[json.loads(l) for l in open(sys.argv[1])]\n"
             "assert rows[0][\"status\"]==200 and rows[0][\"method\"]==\"GET\", rows[0]\n"
             "assert rows[0][\"user_agent\"]==\"test/1.0 \\\"agent\\\"\", rows[0]\n"
             "assert rows[1][\"status\"]==404 and rows[1][\"target\"]==\"/missing\", rows[1]\n"
             "assert all(k in rows[0] for k in (\"time\",\"remote_addr\",\"bytes\",\"duration_ms\",\"referer\"))' '%s'",
             path);
    ck_assert_msg(system(cmd) == 0, "the JSON lines did not parse as expected");
    free(log);
}
END_TEST

START_TEST(test_metrics_counts_and_survive_a_worker)
{
    int p, mport = e2e_free_port();
    char mp[16];
    snprintf(mp, sizeof(mp), "%d", mport);
    const char *extra[] = {"-w", "2", "--metrics-port", mp, NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    pid_t kids[2];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    for (int i = 0; i < 40; i++) { /* new connections: spread over both workers */
        struct e2e_response r;
        ck_assert_int_eq(e2e_exchange(p, i % 4 == 3 ? "GET /missing HTTP/1.0\r\n\r\n"
                                                     : "GET /page.html HTTP/1.0\r\n\r\n", &r), 0);
        e2e_response_free(&r);
    }
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(p, "HEAD /page.html HTTP/1.0\r\n\r\n", &r), 0);
    char *m = fetch_metrics(mport);
    ck_assert_int_eq(metric_sum(m, "otuserver_requests_total{"), 41);
    ck_assert_int_eq(metric_sum(m, "otuserver_requests_total{method=\"GET\",code=\"2xx\"}"), 30);
    ck_assert_int_eq(metric_sum(m, "otuserver_requests_total{method=\"GET\",code=\"4xx\"}"), 10);
    ck_assert_int_eq(metric_sum(m, "otuserver_requests_total{method=\"HEAD\",code=\"2xx\"}"), 1);
    ck_assert_int_eq(metric_sum(m, "otuserver_request_duration_seconds_count"), 41);
    ck_assert_int_eq(metric_sum(m, "otuserver_request_duration_seconds_bucket{le=\"+Inf\"}"), 41);
    ck_assert_int_ge(metric_sum(m, "otuserver_connections_accepted_total"), 41);
    ck_assert_int_gt(metric_sum(m, "otuserver_response_bytes_total"), 30 * 38);
    ck_assert_ptr_nonnull(strstr(m, "otuserver_build_info{version=\""));
    ck_assert_int_eq(metric_sum(m, "otuserver_worker_restarts_total"), 0);
    /* the exposition is valid Prometheus text */
    if (system("command -v promtool > /dev/null") == 0) {
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "curl -s http://127.0.0.1:%d/metrics | promtool check metrics", mport);
        ck_assert_msg(system(cmd) == 0, "promtool check metrics failed");
    } else {
        printf("SKIPPED: promtool is not installed (apt-get install prometheus); the format check did not run\n");
    }
    free(m);
    /* metrics are never served on the site's port */
    ck_assert_int_eq(e2e_exchange(p, "GET /metrics HTTP/1.0\r\n\r\n", &r), 0);
    ck_assert_int_eq(r.status, 404);
    e2e_response_free(&r);
    /* the 404 is counted once its worker has finished with it (after the send) */
    long long total = 0;
    for (int i = 0; i < 100 && total != 42; i++) {
        m = fetch_metrics(mport);
        total = metric_sum(m, "otuserver_requests_total{");
        free(m);
        if (total != 42)
            usleep(20000);
    }
    ck_assert_int_eq(total, 42);
    /* a worker dies: the totals stay, the restart is counted */
    kill(kids[0], SIGKILL);
    pid_t now[2];
    long long t0 = e2e_now_ms();
    while (e2e_now_ms() - t0 < 2000) {
        if (children_of(master, now, 2) == 2 && now[0] != kids[0] && now[1] != kids[0])
            break;
        usleep(10000);
    }
    m = NULL;
    for (int i = 0; i < 50; i++) { /* either worker may answer /metrics */
        free(m);
        m = fetch_metrics(mport);
        if (metric_sum(m, "otuserver_worker_restarts_total") == 1)
            break;
        usleep(20000);
    }
    ck_assert_int_eq(metric_sum(m, "otuserver_worker_restarts_total"), 1);
    ck_assert_int_eq(metric_sum(m, "otuserver_requests_total{"), 42); /* + the 404 for /metrics */
    free(m);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_metrics_listener_refuses_junk)
{
    int p, mport = e2e_free_port();
    char mp[16];
    snprintf(mp, sizeof(mp), "%d", mport);
    const char *extra[] = {"-w", "1", "--metrics-port", mp, NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    /* a head that never ends: 431, closed */
    int fd = e2e_connect(mport);
    char junk[3000];
    memset(junk, 'x', sizeof(junk));
    e2e_send(fd, junk, sizeof(junk));
    struct e2e_response r;
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 431);
    e2e_response_free(&r);
    ck_assert(e2e_peer_closes(fd, 3000));
    close(fd);
    /* silence: closed by the metrics timeout */
    fd = e2e_connect(mport);
    ck_assert_msg(e2e_peer_closes(fd, 5000), "an idle metrics connection stayed open");
    close(fd);
    /* other paths and methods: 404 */
    ck_assert_int_eq(e2e_exchange(mport, "POST /metrics HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    ck_assert_int_eq(r.status, 404);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_exchange(mport, "GET /metricsX HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    ck_assert_int_eq(r.status, 404);
    e2e_response_free(&r);
    /* and the site still serves */
    ck_assert_int_eq(e2e_exchange(p, "GET /page.html HTTP/1.0\r\n\r\n", &r), 0);
    ck_assert_int_eq(r.status, 200);
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
    const char *extra[] = {"-w", "1", "--fallback", "/index.html", "--error-page", "404=/404.html",
                           "--header", "X-Frame-Options: DENY", "--header",
                           "Access-Control-Allow-Origin: *", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
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

START_TEST(test_crash_loop_backs_off)
{
    /* a root the workers cannot open makes every new worker die at once */
    char moved[450], root[450];
    snprintf(root, sizeof(root), "%s/loop-root", base_dir);
    snprintf(moved, sizeof(moved), "%s/loop-root.away", base_dir);
    mkdir(root, 0755);
    char page[500];
    snprintf(page, sizeof(page), "%s/ok.txt", root);
    ck_assert_int_eq(e2e_write_file(page, "ok\n", 3), 0);
    int p = e2e_free_port();
    snprintf(lc_log, sizeof(lc_log), "%s/loop-%d.log", base_dir, p);
    const char *extra[] = {"-w", "1", NULL};
    pid_t master = e2e_start(server_bin, p, root, lc_log, extra, err_path);
    ck_assert_int_gt(master, 0);
    pid_t kid;
    ck_assert_int_eq(wait_children(master, &kid, 1), 1);
    ck_assert_int_eq(rename(root, moved), 0);
    kill(kid, SIGKILL);
    sleep(2);
    size_t len;
    char *log = e2e_read_file(lc_log, &len);
    int young = 0;
    for (const char *q = log; (q = strstr(q, "dying young")) != NULL; q++)
        young++;
    /* 0.1 + 0.2 + 0.4 + 0.8 s of back-off fit in 2 s: a handful of starts, not a spin.
     * (Under valgrind a worker takes a second to start, so none dies "young".) */
    ck_assert_msg(young <= 6, "%d quick deaths in 2 s: a spin", young);
    if (getenv("OTU_E2E_SLOW") == NULL) {
        ck_assert_msg(young >= 2, "only %d quick deaths in 2 s", young);
        ck_assert_ptr_nonnull(strstr(log, "waiting 200 ms"));
    }
    free(log);
    /* the root comes back: a worker starts within the back-off and serves */
    ck_assert_int_eq(rename(moved, root), 0);
    bool served = false;
    for (long long end = e2e_now_ms() + 6000; !served && e2e_now_ms() < end; usleep(50000)) {
        struct e2e_response r;
        served = e2e_exchange(p, "GET /ok.txt HTTP/1.0\r\n\r\n", &r) == 0 && r.status == 200;
        e2e_response_free(&r);
    }
    ck_assert_msg(served, "no worker came back after the root returned");
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_cache_control_option)
{
    int p;
    const char *extra[] = {"-w", "1", "--cache-control", "public, max-age=3600", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    struct e2e_response r;
    expect_status_on(p, "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    expect_header(&r, "Cache-Control", "public, max-age=3600");
    e2e_response_free(&r);
    expect_status_on(p, "GET /page.html HTTP/1.1\r\nHost: t\r\nIf-None-Match: *\r\n\r\n", 304, &r);
    expect_header(&r, "Cache-Control", "public, max-age=3600");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
    /* and none by default */
    master = lc_start((const char *[]){"-w", "1", NULL}, &p);
    expect_status_on(p, "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    expect_no_header(&r, "Cache-Control");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_serve_dotfiles_flag)
{
    int p;
    const char *extra[] = {"-w", "1", "--serve-dotfiles", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(p, "GET /.env HTTP/1.0\r\n\r\n", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "PASSWORD=x\n");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_keepalive_idle_timeout)
{
    int p;
    const char *extra[] = {"-w", "1", "--keepalive-timeout", "1s", "--keepalive-requests", "3", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    int fd = e2e_connect(p);
    const char *req = "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    struct e2e_response r;
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    e2e_response_free(&r);
    long long t0 = e2e_now_ms();
    ck_assert(e2e_peer_closes(fd, 3000));
    long long idle = e2e_now_ms() - t0;
    ck_assert_msg(idle >= 800 && idle < 2500, "closed after %lld ms", idle);
    close(fd);
    /* the request cap: the third response says close */
    fd = e2e_connect(p);
    for (int i = 0; i < 3; i++) {
        e2e_send(fd, req, strlen(req));
        ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
        expect_header(&r, "Connection", i < 2 ? "keep-alive" : "close");
        e2e_response_free(&r);
    }
    ck_assert(e2e_peer_closes(fd, 3000));
    close(fd);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* ---- httptest: the shared public corpus, byte for byte ---- */

static const char *httptest_root;

/* Percent-encodes every byte of a path except unreserved ones and '/'. */
static void encode_path(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", *p);
    }
    out[n] = '\0';
}

static int httptest_files_checked;

/* Requests every regular file under dir (rel to the root) and compares the bytes. */
static void check_tree(int p, const char *rel)
{
    char dirpath[2048];
    snprintf(dirpath, sizeof(dirpath), "%s/%s", httptest_root, rel);
    DIR *d = opendir(dirpath);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char child[2048], full[4096], enc[6144], raw[7000];
        snprintf(child, sizeof(child), "%s/%s", rel, e->d_name);
        snprintf(full, sizeof(full), "%s/%s", httptest_root, child);
        struct stat st;
        ck_assert_int_eq(stat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            check_tree(p, child);
            continue;
        }
        size_t len;
        char *want = e2e_read_file(full, &len);
        encode_path(child, enc, sizeof(enc));
        snprintf(raw, sizeof(raw), "GET /%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", enc);
        struct e2e_response r;
        ck_assert_int_eq(e2e_exchange(p, raw, &r), 0);
        ck_assert_msg(r.status == 200, "%s: %d", child, r.status);
        ck_assert_msg(r.body_len == len && memcmp(r.body, want, len) == 0, "%s differs", child);
        e2e_response_free(&r);
        free(want);
        httptest_files_checked++;
    }
    closedir(d);
}

START_TEST(test_httptest_corpus_byte_for_byte)
{
    int p;
    const char *extra[] = {"-w", "2", NULL};
    char log[400];
    p = e2e_free_port();
    snprintf(log, sizeof(log), "/tmp/otu-httptest-%d.log", p);
    pid_t master = e2e_start(server_bin, p, httptest_root, log, extra, NULL);
    ck_assert_int_gt(master, 0);
    check_tree(p, "httptest");
    ck_assert_int_gt(httptest_files_checked, 10);
    printf("httptest: %d files identical\n", httptest_files_checked);
    /* the classic suite's checks */
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(p, "GET /httptest/dir2/ HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, 34);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_exchange(p, "GET /httptest/wikipedia_russia.html HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    ck_assert_uint_eq(r.body_len, 954824);
    ck_assert_ptr_nonnull(memmem(r.body, r.body_len, "Wikimedia Foundation, Inc.", 26));
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_exchange(p, "GET /httptest/../../../../../../../../../../../../../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    ck_assert(r.status == 400 || r.status == 403 || r.status == 404);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_exchange(p, "HEAD /httptest/dir2/page.html HTTP/1.0\r\n\r\n", &r), 0);
    ck_assert_int_eq(r.status, 200);
    expect_header(&r, "Content-Length", "38");
    ck_assert_int_eq(e2e_stop(master), 0);
    unlink(log);
}
END_TEST

static Suite *e2e_suite(void)
{
    Suite *s = suite_create("e2e");
    TCase *tc = tcase_create("serve");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_get_file_and_common_headers);
    tcase_add_test(tc, test_head_same_headers_no_body);
    tcase_add_loop_test(tc, test_other_methods_405, 0, (int)OTU_ARRAY_LEN(refused_methods));
    tcase_add_test(tc, test_connect_and_options_star_405);
    tcase_add_test(tc, test_unknown_method_501);
    tcase_add_test(tc, test_post_body_is_consumed);
    tcase_add_test(tc, test_get_body_is_consumed);
    tcase_add_test(tc, test_smuggling_shapes_close);
    tcase_add_test(tc, test_chunked_get_answered_then_closed);
    tcase_add_loop_test(tc, test_paths, 0, (int)OTU_ARRAY_LEN(path_cases));
    tcase_add_loop_test(tc, test_never_outside_root, 0, (int)OTU_ARRAY_LEN(escapes));
    tcase_add_test(tc, test_redirect_directory_without_slash);
    tcase_add_loop_test(tc, test_mime_types, 0, (int)mime_file_count);
    tcase_add_test(tc, test_big_file_byte_for_byte);
    tcase_add_test(tc, test_keep_alive_rules);
    tcase_add_test(tc, test_pipelined_in_order);
    tcase_add_test(tc, test_oversized_heads);
    tcase_add_loop_test(tc, test_bad_heads_get_status_and_close, 0, (int)OTU_ARRAY_LEN(bad_heads));
    tcase_add_test(tc, test_raw_nul_in_request);
    tcase_add_test(tc, test_junk_then_close_disturbs_nothing);
    tcase_add_test(tc, test_leading_empty_line_ignored);
    tcase_add_test(tc, test_head_error_has_no_body);
    tcase_add_loop_test(tc, test_hostile_input, 0, (int)OTU_ARRAY_LEN(hostile));
    tcase_add_test(tc, test_conditional_requests);
    tcase_add_test(tc, test_ranges);
    tcase_add_test(tc, test_resume_in_three_ranges);
    tcase_add_test(tc, test_if_range);
    tcase_add_test(tc, test_precompressed_siblings);
    tcase_add_test(tc, test_access_log_line);
    suite_add_tcase(s, tc);
    if (docker_image)
        return s; /* the lifecycle tests drive the binary itself */

    tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_worker_respawn);
    tcase_add_test(tc, test_sigterm_finishes_response_in_flight);
    tcase_add_test(tc, test_sighup_reopens_log);
    tcase_add_loop_test(tc, test_bad_config_exits_2_with_one_line, 0, (int)OTU_ARRAY_LEN(bad_configs));
    tcase_add_test(tc, test_port_taken);
    tcase_add_test(tc, test_help_and_version);
    tcase_add_test(tc, test_healthcheck_mode);
    tcase_add_test(tc, test_header_deadline_not_reset_by_trickle);
    tcase_add_test(tc, test_header_deadline_one_byte_per_second);
    tcase_add_test(tc, test_idle_connection_without_request_closed);
    tcase_add_test(tc, test_keepalive_idle_timeout);
    tcase_add_test(tc, test_send_timeout_closes_stalled_reader);
    tcase_add_test(tc, test_connection_cap_pauses_accepting);
    tcase_add_test(tc, test_fd_exhaustion_does_not_spin);
    tcase_add_test(tc, test_worker_kill_under_load);
    tcase_add_test(tc, test_sigterm_under_load);
    tcase_add_test(tc, test_10k_idle_connections_and_load);
    tcase_add_test(tc, test_serve_dotfiles_flag);
    tcase_add_test(tc, test_crash_loop_backs_off);
    tcase_add_test(tc, test_cache_control_option);
    tcase_add_test(tc, test_log_format_combined);
    tcase_add_test(tc, test_log_format_json);
    tcase_add_test(tc, test_metrics_counts_and_survive_a_worker);
    tcase_add_test(tc, test_metrics_listener_refuses_junk);
    tcase_add_test(tc, test_fallback_error_pages_and_headers);
    tcase_add_test(tc, test_precompress_script_siblings_are_served);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, e2e_audit_files_tcase());
    suite_add_tcase(s, e2e_audit_ops_tcase());
    return s;
}

static Suite *httptest_suite(void)
{
    Suite *s = suite_create("httptest");
    TCase *tc = tcase_create("corpus");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_httptest_corpus_byte_for_byte);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    server_bin = getenv("OTU_SERVER") ? getenv("OTU_SERVER") : "build/otuserver";
    httptest_root = getenv("OTU_HTTPTEST_ROOT");
    docker_image = getenv("OTU_E2E_IMAGE");
    SRunner *sr = srunner_create(e2e_suite());
    if (httptest_root)
        srunner_add_suite(sr, httptest_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return (failed || stderr_dirty) ? EXIT_FAILURE : EXIT_SUCCESS;
}

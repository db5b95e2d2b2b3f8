/*
 * check_http_parser.c - the request parser and interpreter, case by case.
 *
 * Every input is copied to the end of a page followed by a PROT_NONE page,
 * so reading one byte too far crashes the test instead of passing quietly.
 */
#include "compat.h"

#include "http_parser.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *guard_base;
static size_t page_size;

/* Copies s (n bytes) so that it ends exactly at a protected page. */
static const char *guarded(const char *s, size_t n)
{
    if (guard_base == NULL) {
        page_size = (size_t)sysconf(_SC_PAGESIZE);
        guard_base = mmap(NULL, page_size * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(guard_base, MAP_FAILED);
        ck_assert_int_eq(mprotect(guard_base + page_size * 3, page_size, PROT_NONE), 0);
    }
    ck_assert_uint_le(n, page_size * 3);
    char *dst = guard_base + page_size * 3 - n;
    memcpy(dst, s, n);
    return dst;
}

static struct http_request req;

struct parse_case {
    const char *name;  /* what the case shows */
    const char *input; /* the bytes (NUL-terminated unless len is set) */
    size_t len;        /* 0 = strlen(input) */
    int rc;            /* > 0: expect the full length; else HTTP_PARSE_* */
    int status;        /* expected req.status on error */
};

#define OK 1
static const struct parse_case parse_cases[] = {
    {"simple GET", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, OK, 0},
    {"HTTP/1.0 without Host", "HEAD /x HTTP/1.0\r\n\r\n", 0, OK, 0},
    {"bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n", 0, OK, 0},
    {"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, OK, 0},
    {"absolute-form target", "GET http://h/index.html HTTP/1.1\r\nHost: h\r\n\r\n", 0, OK, 0},
    {"obs-text in value", "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n", 0, OK, 0},
    {"value with inner spaces and tabs", "GET / HTTP/1.1\r\nHost: a\r\nX: a \t b\r\n\r\n", 0, OK, 0},
    {"empty value", "GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n", 0, OK, 0},
    {"incomplete: request line", "GET / HTTP/1.1", 0, HTTP_PARSE_INCOMPLETE, 0},
    {"incomplete: method only", "GET", 0, HTTP_PARSE_INCOMPLETE, 0},
    {"incomplete: no blank line", "GET / HTTP/1.1\r\nHost: a\r\n", 0, HTTP_PARSE_INCOMPLETE, 0},
    {"incomplete: CR at end", "GET / HTTP/1.1\r\nHost: a\r\n\r", 0, HTTP_PARSE_INCOMPLETE, 0},
    {"incomplete: lone LF", "\n", 0, HTTP_PARSE_INCOMPLETE, 0},
    {"incomplete: empty", "", 0, HTTP_PARSE_INCOMPLETE, 0},
    {"incomplete: header name", "GET / HTTP/1.1\r\nHos", 0, HTTP_PARSE_INCOMPLETE, 0},
    {"HTTP/0.9 request", "GET /\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"no version", "GET / \r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 0, HTTP_PARSE_ERROR, 505},
    {"HTTP/1.2", "GET / HTTP/1.2\r\n\r\n", 0, HTTP_PARSE_ERROR, 505},
    {"HTTP/0.9 spelled", "GET / HTTP/0.9\r\n\r\n", 0, HTTP_PARSE_ERROR, 505},
    {"HTTP/01.01", "GET / HTTP/01.01\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"HTTP/a.b", "GET / HTTP/a.b\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"HTTP/4294967295.255", "GET / HTTP/4294967295.255\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"lower-case http", "GET / http/1.1\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"space after version", "GET / HTTP/1.1 \r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"double space before target", "GET  / HTTP/1.1\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"space inside target", "GET /a b HTTP/1.1\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"control byte in target", "GET /\x02 HTTP/1.1\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"DEL in target", "GET /\x7f HTTP/1.1\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"NUL in target", "GET /\0 HTTP/1.1\r\n\r\n", 19, HTTP_PARSE_ERROR, 400},
    {"NUL in header value", "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 28, HTTP_PARSE_ERROR, 400},
    {"NUL in method", "G\0T / HTTP/1.1\r\n\r\n", 18, HTTP_PARSE_ERROR, 400},
    {"tab separator in request line", "GET\t/ HTTP/1.1\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"empty method", " / HTTP/1.1\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"obs-fold with tab", "GET / HTTP/1.1\r\nHost: a\r\n\tb\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"no colon", "GET / HTTP/1.1\r\nFoo bar\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"empty name", "GET / HTTP/1.1\r\n: x\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"bare CR in value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"bare CR ends request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"bare CR as blank line", "GET / HTTP/1.1\r\n\rX\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"control byte in value", "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"non-token in name", "GET / HTTP/1.1\r\nX(y): a\r\n\r\n", 0, HTTP_PARSE_ERROR, 400},
    {"garbage line", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, HTTP_PARSE_ERROR, 400},
};

START_TEST(test_parse_table)
{
    const struct parse_case *c = &parse_cases[_i];
    size_t len = c->len ? c->len : strlen(c->input);
    const char *buf = guarded(c->input, len);
    int rc = http_parse_request(buf, len, 100, &req);
    if (c->rc == OK)
        ck_assert_msg(rc == (int)len, "%s: rc %d, expected %zu", c->name, rc, len);
    else
        ck_assert_msg(rc == c->rc, "%s: rc %d, expected %d", c->name, rc, c->rc);
    if (c->rc == HTTP_PARSE_ERROR)
        ck_assert_msg(req.status == c->status, "%s: status %d, expected %d", c->name, req.status, c->status);
}
END_TEST

START_TEST(test_parse_fields)
{
    const char *s = "GET /a%20b?q=1 HTTP/1.0\r\nHost:  example  \r\nX-Y: z\r\n\r\nNEXT";
    size_t len = strlen(s);
    const char *buf = guarded(s, len);
    int rc = http_parse_request(buf, len, 100, &req);
    ck_assert_int_eq(rc, (int)(len - 4));
    ck_assert_int_eq((int)req.method.len, 3);
    ck_assert_mem_eq(req.method.p, "GET", 3);
    ck_assert_int_eq((int)req.target.len, 10);
    ck_assert_mem_eq(req.target.p, "/a%20b?q=1", 10);
    ck_assert_int_eq(req.minor_version, 0);
    ck_assert_uint_eq(req.num_headers, 2);
    ck_assert_mem_eq(req.headers[0].name.p, "Host", 4);
    ck_assert_uint_eq(req.headers[0].value.len, 7);
    ck_assert_mem_eq(req.headers[0].value.p, "example", 7);
}
END_TEST

START_TEST(test_parse_every_prefix_is_incomplete)
{
    /* Any truncation of a valid head is "incomplete", never an error or success. */
    const char *s = "GET /index.html HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
    size_t len = strlen(s);
    for (size_t n = 0; n < len; n++) {
        const char *buf = guarded(s, n);
        int rc = http_parse_request(buf, n, 100, &req);
        ck_assert_msg(rc == HTTP_PARSE_INCOMPLETE, "prefix %zu: rc %d", n, rc);
    }
}
END_TEST

START_TEST(test_parse_header_count_limit)
{
    char buf[4096];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 10; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X%d: y\r\n", i);
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
    ck_assert_int_eq(http_parse_request(guarded(buf, n), n, 11, &req), (int)n);
    ck_assert_int_eq(http_parse_request(guarded(buf, n), n, 10, &req), HTTP_PARSE_ERROR);
    ck_assert_int_eq(req.status, 431);
}
END_TEST

START_TEST(test_parse_line_complete_flag)
{
    const char *s = "GET /x HTTP/1.1\r\nHost: a";
    http_parse_request(guarded(s, strlen(s)), strlen(s), 100, &req);
    ck_assert(req.line_complete);
    s = "GET /xxxxxxxx";
    http_parse_request(guarded(s, strlen(s)), strlen(s), 100, &req);
    ck_assert(!req.line_complete);
    ck_assert_ptr_nonnull(req.method.p);
}
END_TEST

/* Chunked framing (RFC 9112 section 7.1), as far as the bytes go. */
static const struct {
    const char *body;
    enum http_chunked want;
} chunked_cases[] = {
    {"0\r\n\r\n", HTTP_CHUNKED_COMPLETE},
    {"5\r\nhello\r\n0\r\n\r\n", HTTP_CHUNKED_COMPLETE},
    {"5;name=value\r\nhello\r\n000\r\nTrailer: x\r\n\r\n", HTTP_CHUNKED_COMPLETE},
    {"a \t;ext\r\n0123456789\r\n0\r\n\r\n", HTTP_CHUNKED_COMPLETE},
    {"A\r\n0123456789\r\n0\r\n\r\n", HTTP_CHUNKED_COMPLETE},
    {"fffffffffffffff\r\n", HTTP_CHUNKED_INCOMPLETE}, /* 15 digits: data to come */
    {"", HTTP_CHUNKED_INCOMPLETE},
    {"5", HTTP_CHUNKED_INCOMPLETE},
    {"5\r", HTTP_CHUNKED_INCOMPLETE},
    {"5\r\nhel", HTTP_CHUNKED_INCOMPLETE},
    {"5\r\nhello", HTTP_CHUNKED_INCOMPLETE},
    {"5\r\nhello\r", HTTP_CHUNKED_INCOMPLETE},
    {"5\r\nhello\r\n0\r\n", HTTP_CHUNKED_INCOMPLETE},
    {"5\r\nhello\r\n0\r\nTrailer: x\r\n", HTTP_CHUNKED_INCOMPLETE},
    {"0x5\r\nhello\r\n0\r\n\r\n", HTTP_CHUNKED_MALFORMED},
    {"+5\r\nhello\r\n0\r\n\r\n", HTTP_CHUNKED_MALFORMED},
    {"-1\r\n", HTTP_CHUNKED_MALFORMED},
    {" 5\r\nhello\r\n", HTTP_CHUNKED_MALFORMED},
    {"\r\n", HTTP_CHUNKED_MALFORMED},
    {"ffffffffffffffffff\r\n", HTTP_CHUNKED_MALFORMED}, /* 18 digits: overflow */
    {"5\nhello\n0\n\n", HTTP_CHUNKED_MALFORMED},        /* bare LF */
    {"5\r\nhelloXY0\r\n\r\n", HTTP_CHUNKED_MALFORMED},  /* no CRLF after the data */
    {"5\r\nhello\rX", HTTP_CHUNKED_MALFORMED},
    {"5 x\r\nhello\r\n", HTTP_CHUNKED_MALFORMED},    /* junk after the size */
    {"5;a\rb\r\nhello\r\n", HTTP_CHUNKED_MALFORMED}, /* bare CR in an extension */
    {"5\r\nhello\r\n0\r\nBad\x01: x\r\n\r\n", HTTP_CHUNKED_MALFORMED},
};

START_TEST(test_chunked_check)
{
    const char *b = chunked_cases[_i].body;
    ck_assert_msg(http_chunked_check(b, strlen(b)) == chunked_cases[_i].want, "case %d: \"%s\"", _i, b);
}
END_TEST

START_TEST(test_chunked_check_nul_is_malformed)
{
    static const char body[] = "5;\0\r\nhello\r\n0\r\n\r\n";
    ck_assert_int_eq(http_chunked_check(body, sizeof(body) - 1), HTTP_CHUNKED_MALFORMED);
}
END_TEST

START_TEST(test_head_may_be_complete)
{
    const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t len = strlen(s);
    ck_assert(http_head_may_be_complete(s, len, 0));
    ck_assert(http_head_may_be_complete(s, len, len - 1));
    ck_assert(!http_head_may_be_complete(s, len - 1, 0));
    ck_assert(http_head_may_be_complete("GET /\n\n", 7, 6));
}
END_TEST

struct interpret_case {
    const char *name;
    const char *input;
    int rc;           /* expected http_request_interpret() result */
    int method;       /* expected info.method */
    int keep_alive;   /* expected info.keep_alive (when rc == 0) */
    const char *path; /* expected path (when rc == 0 and GET/HEAD), or NULL */
};

static const struct interpret_case interpret_cases[] = {
    {"1.1 keeps alive", "GET /a HTTP/1.1\r\nHost: h\r\n\r\n", 0, HTTP_METHOD_GET, 1, "/a"},
    {"1.1 close", "GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 0, HTTP_METHOD_GET, 0, "/a"},
    {"1.1 close in a list", "GET /a HTTP/1.1\r\nHost: h\r\nConnection: foo, Close\r\n\r\n", 0, HTTP_METHOD_GET, 0,
     "/a"},
    {"1.0 closes", "GET /a HTTP/1.0\r\n\r\n", 0, HTTP_METHOD_GET, 0, "/a"},
    {"1.0 keep-alive", "GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, HTTP_METHOD_GET, 1, "/a"},
    {"HEAD", "HEAD /a HTTP/1.0\r\n\r\n", 0, HTTP_METHOD_HEAD, 0, "/a"},
    {"query stripped", "GET /a?b=c HTTP/1.1\r\nHost: h\r\n\r\n", 0, HTTP_METHOD_GET, 1, "/a"},
    {"fragment stripped", "GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", 0, HTTP_METHOD_GET, 1, "/a"},
    {"absolute-form", "GET http://h/x/y?z HTTP/1.1\r\nHost: h\r\n\r\n", 0, HTTP_METHOD_GET, 1, "/x/y"},
    {"absolute-form https upper", "GET HTTPS://h:443/x HTTP/1.1\r\nHost: h\r\n\r\n", 0, HTTP_METHOD_GET, 1, "/x"},
    {"absolute-form no path", "GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", 0, HTTP_METHOD_GET, 1, "/"},
    {"absolute-form no authority", "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"absolute-form IPv6 and port", "GET http://[::1]:8080/x HTTP/1.1\r\nHost: h\r\n\r\n", 0, HTTP_METHOD_GET, 1, "/x"},
    {"absolute-form empty port", "GET http://h:/x HTTP/1.1\r\nHost: h\r\n\r\n", 0, HTTP_METHOD_GET, 1, "/x"},
    {"absolute-form userinfo", "GET http://u@h/x HTTP/1.1\r\nHost: h\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"absolute-form user:pass", "GET http://u:p@h/x HTTP/1.1\r\nHost: h\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"absolute-form port not digits", "GET http://h:x/x HTTP/1.1\r\nHost: h\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"absolute-form empty host", "GET http://:80/x HTTP/1.1\r\nHost: h\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"absolute-form bad host", "GET http://a<b/x HTTP/1.1\r\nHost: h\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"absolute-form open IPv6", "GET http://[::1/x HTTP/1.1\r\nHost: h\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"asterisk target for GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"relative target", "GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"authority-form for GET", "GET h:80 HTTP/1.1\r\nHost: h\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"two equal Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"two Hosts in 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"CL and TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
     HTTP_METHOD_OTHER, 0, NULL},
    {"two different CL", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400,
     HTTP_METHOD_GET, 0, NULL},
    {"two equal CL", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", 0, HTTP_METHOD_GET,
     1, "/"},
    {"CL -1", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"CL +5", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"CL 0x10", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"CL empty", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"CL 5 5", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"CL list", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"CL huge", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, HTTP_METHOD_GET, 0,
     NULL},
    {"TE identity", "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501, HTTP_METHOD_GET, 0, NULL},
    {"TE gzip, chunked", "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, HTTP_METHOD_GET,
     0, NULL},
    {"TE twice", "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
     HTTP_METHOD_GET, 0, NULL},
    {"TE on 1.0", "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, HTTP_METHOD_GET, 0, NULL},
    {"TE chunked", "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 0, HTTP_METHOD_GET, 1, "/"},
    {"POST is refused", "POST / HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP_METHOD_OTHER, 1, NULL},
    {"OPTIONS * is told apart (204, or a preflight)", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP_METHOD_OPTIONS,
     1, NULL},
    {"options in lower case is unknown", "options / HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP_METHOD_UNKNOWN, 1, NULL},
    {"CONNECT is refused", "CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", 0, HTTP_METHOD_OTHER, 1, NULL},
    {"TRACE is refused", "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP_METHOD_OTHER, 1, NULL},
    {"unknown method", "FOO / HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP_METHOD_UNKNOWN, 1, NULL},
    {"lower-case get", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP_METHOD_UNKNOWN, 1, NULL},
};

START_TEST(test_interpret_table)
{
    const struct interpret_case *c = &interpret_cases[_i];
    size_t len = strlen(c->input);
    int n = http_parse_request(guarded(c->input, len), len, 100, &req);
    ck_assert_msg(n == (int)len, "%s: parse rc %d", c->name, n);
    struct http_request_info info;
    int rc = http_request_interpret(&req, &info);
    ck_assert_msg(rc == c->rc, "%s: rc %d, expected %d", c->name, rc, c->rc);
    ck_assert_msg((int)info.method == c->method, "%s: method %d", c->name, info.method);
    if (rc == 0) {
        ck_assert_msg(info.keep_alive == (c->keep_alive != 0), "%s: keep_alive %d", c->name, info.keep_alive);
        if (c->path)
            ck_assert_msg(info.path.len == strlen(c->path) && memcmp(info.path.p, c->path, info.path.len) == 0,
                          "%s: path '%.*s'", c->name, (int)info.path.len, info.path.p);
    }
}
END_TEST

START_TEST(test_interpret_conditional_fields)
{
    const char *s = "GET /f HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\nIf-Modified-Since: d\r\n"
                    "Range: bytes=0-1\r\nIf-Range: \"x\"\r\nAccept-Encoding: gzip\r\n\r\n";
    size_t len = strlen(s);
    ck_assert_int_eq(http_parse_request(guarded(s, len), len, 100, &req), (int)len);
    struct http_request_info info;
    ck_assert_int_eq(http_request_interpret(&req, &info), 0);
    ck_assert(http_slice_equals_nocase(info.if_none_match, "\"x\""));
    ck_assert(http_slice_equals_nocase(info.if_modified_since, "d"));
    ck_assert(http_slice_equals_nocase(info.range, "bytes=0-1"));
    ck_assert(http_slice_equals_nocase(info.if_range, "\"x\""));
    ck_assert(http_slice_equals_nocase(info.accept_encoding, "GZIP"));
    ck_assert_ptr_null(info.if_match.p);
    ck_assert_ptr_null(info.if_unmodified_since.p);
    s = "GET /f HTTP/1.1\r\nHost: a\r\nif-match: \"y\"\r\nIF-UNMODIFIED-SINCE: d2\r\n\r\n";
    len = strlen(s);
    ck_assert_int_eq(http_parse_request(guarded(s, len), len, 100, &req), (int)len);
    ck_assert_int_eq(http_request_interpret(&req, &info), 0);
    ck_assert(http_slice_equals_nocase(info.if_match, "\"y\""));
    ck_assert(http_slice_equals_nocase(info.if_unmodified_since, "d2"));
    /* a repeated precondition is 400, as nginx answers, rather than one of them read */
    static const char *const repeated[] = {
        "GET /f HTTP/1.1\r\nHost: a\r\nIf-Match: \"y\"\r\nIf-Match: \"z\"\r\n\r\n",
        "GET /f HTTP/1.1\r\nHost: a\r\nIf-Unmodified-Since: d\r\nif-unmodified-since: d\r\n\r\n",
    };
    for (size_t i = 0; i < OTU_ARRAY_LEN(repeated); i++) {
        len = strlen(repeated[i]);
        ck_assert_int_eq(http_parse_request(guarded(repeated[i], len), len, 100, &req), (int)len);
        ck_assert_int_eq(http_request_interpret(&req, &info), 400);
    }
}
END_TEST

/*
 * Host (RFC 9112 section 3.2): uri-host [ ":" port ], else 400, whatever the
 * method.  An empty value is allowed; ".." (an empty label) is refused as
 * nginx does.
 */
START_TEST(test_interpret_host_values)
{
    static const struct {
        const char *host;
        int rc;
    } cases[] = {
        {"example.com", 0},
        {"example.com:8080", 0},
        {"a:", 0},
        {"", 0},
        {":80", 0},
        {"127.0.0.1", 0},
        {"999.1.1.1", 0}, /* a reg-name */
        {"[::1]", 0},
        {"[::1]:443", 0},
        {"[2001:db8::7]", 0},
        {"[::ffff:192.0.2.1]", 0},
        {"[v1.fe:x]", 0},
        {"xn--bcher-kva.example", 0},
        {"a_b~-!$&'()*+,;=", 0},
        {"%41b", 0},
        {"a.", 0},
        {"a b", 400},
        {"a/b", 400},
        {"a\tb", 400},
        {"..", 400},
        {"a..b", 400},
        {"a:x", 400},
        {"a:80x", 400},
        {"a:1:2", 400},
        {"a@b", 400},
        {"a\\b", 400},
        {"a%4", 400},
        {"a%zz", 400},
        {"a?b", 400},
        {"a#b", 400},
        {"[::1", 400},
        {"::1", 400},
        {"[::g]", 400},
        {"[]", 400},
        {"[1.2.3.4]", 400},
        {"[v1.]", 400},
        {"[vx.a]", 400},
        {"[::1]x", 400},
        {"[::1]:x", 400},
        {"a\x80", 400},
        {"<a>", 400},
        {"a\"b", 400},
    };
    static const char *const methods[] = {"GET", "OPTIONS", "POST"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(cases); i++) {
        for (size_t m = 0; m < OTU_ARRAY_LEN(methods); m++) {
            char raw[256];
            int len = snprintf(raw, sizeof(raw), "%s / HTTP/1.1\r\nHost: %s\r\n\r\n", methods[m], cases[i].host);
            ck_assert_int_eq(http_parse_request(guarded(raw, (size_t)len), (size_t)len, 100, &req), len);
            struct http_request_info info;
            int rc = http_request_interpret(&req, &info);
            ck_assert_msg(rc == cases[i].rc, "%s with Host '%s': %d, expected %d", methods[m], cases[i].host, rc,
                          cases[i].rc);
        }
    }
}
END_TEST

/* The asterisk-form is noted for OPTIONS only (RFC 9112 section 3.2.4); GET * stays 400. */
START_TEST(test_interpret_options_asterisk)
{
    static const struct {
        const char *raw;
        int rc;
        bool asterisk;
    } cases[] = {
        {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0, true},  {"OPTIONS * HTTP/1.0\r\n\r\n", 0, true},
        {"OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n", 0, false}, {"OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", 0, false},
        {"POST * HTTP/1.1\r\nHost: a\r\n\r\n", 0, false},    {"GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, false},
    };
    for (size_t i = 0; i < OTU_ARRAY_LEN(cases); i++) {
        size_t len = strlen(cases[i].raw);
        ck_assert_int_eq(http_parse_request(guarded(cases[i].raw, len), len, 100, &req), (int)len);
        struct http_request_info info;
        ck_assert_int_eq(http_request_interpret(&req, &info), cases[i].rc);
        ck_assert_msg(info.asterisk == cases[i].asterisk, "%s: asterisk %d", cases[i].raw, info.asterisk);
    }
}
END_TEST

START_TEST(test_interpret_cors_fields)
{
    const char *s = "OPTIONS /f HTTP/1.1\r\nHost: a\r\nORIGIN: https://app.example\r\n"
                    "access-control-request-method: GET\r\nAccept: application/json\r\n\r\n";
    size_t len = strlen(s);
    ck_assert_int_eq(http_parse_request(guarded(s, len), len, 100, &req), (int)len);
    struct http_request_info info;
    ck_assert_int_eq(http_request_interpret(&req, &info), 0);
    ck_assert_int_eq(info.method, HTTP_METHOD_OPTIONS);
    ck_assert(http_slice_equals_nocase(info.origin, "https://app.example"));
    ck_assert(http_slice_equals_nocase(info.ac_request_method, "GET"));
    ck_assert(http_slice_equals_nocase(info.accept, "application/json"));
    /* absent fields stay absent */
    s = "GET /f HTTP/1.1\r\nHost: a\r\n\r\n";
    len = strlen(s);
    ck_assert_int_eq(http_parse_request(guarded(s, len), len, 100, &req), (int)len);
    ck_assert_int_eq(http_request_interpret(&req, &info), 0);
    ck_assert_ptr_null(info.origin.p);
    ck_assert_ptr_null(info.ac_request_method.p);
    ck_assert_ptr_null(info.accept.p);
    ck_assert_ptr_null(info.authorization.p);
}
END_TEST

/* Basic auth reads the first Authorization line, whatever its case. */
START_TEST(test_interpret_authorization)
{
    const char *s = "GET /f HTTP/1.1\r\nHost: a\r\nauthorization: Basic dTpw\r\n"
                    "Authorization: Basic second\r\n\r\n";
    size_t len = strlen(s);
    ck_assert_int_eq(http_parse_request(guarded(s, len), len, 100, &req), (int)len);
    struct http_request_info info;
    ck_assert_int_eq(http_request_interpret(&req, &info), 0);
    ck_assert(http_slice_equals_nocase(info.authorization, "Basic dTpw"));
}
END_TEST

static Suite *parser_suite(void)
{
    Suite *s = suite_create("http_parser");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_parse_table, 0, (int)OTU_ARRAY_LEN(parse_cases));
    tcase_add_test(tc, test_parse_fields);
    tcase_add_test(tc, test_parse_every_prefix_is_incomplete);
    tcase_add_test(tc, test_parse_header_count_limit);
    tcase_add_test(tc, test_parse_line_complete_flag);
    tcase_add_test(tc, test_head_may_be_complete);
    tcase_add_loop_test(tc, test_chunked_check, 0, (int)OTU_ARRAY_LEN(chunked_cases));
    tcase_add_test(tc, test_chunked_check_nul_is_malformed);
    suite_add_tcase(s, tc);
    tc = tcase_create("interpret");
    tcase_add_loop_test(tc, test_interpret_table, 0, (int)OTU_ARRAY_LEN(interpret_cases));
    tcase_add_test(tc, test_interpret_conditional_fields);
    tcase_add_test(tc, test_interpret_cors_fields);
    tcase_add_test(tc, test_interpret_options_asterisk);
    tcase_add_test(tc, test_interpret_host_values);
    tcase_add_test(tc, test_interpret_authorization);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(parser_suite());
}

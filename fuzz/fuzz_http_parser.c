/*
 * fuzz_http_parser.c - libFuzzer target: the request parser and interpreter,
 * and the chunked-body check.
 *
 * Feeds arbitrary bytes to http_parse_request() at every header limit the
 * server allows, checks the invariants a caller relies on, and runs the
 * interpreter on every head that parses.
 */
#include "compat.h"

#include "http_parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct http_request req;

/* Aborts (a crash for libFuzzer) when a slice points outside [buf, buf+len). */
static void check_slice(struct http_slice s, const char *buf, size_t len)
{
    if (s.p == NULL)
        return;
    if (s.p < buf || s.p + s.len > buf + len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy, so reads past the end hit ASan's redzone. */
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    size_t limit = size > 0 ? (size_t)data[0] % 120 + 1 : 100;
    int rc = http_parse_request(buf, size, limit, &req);
    if (rc > 0) {
        if ((size_t)rc > size || req.num_headers > limit || req.minor_version < 0 || req.minor_version > 1 ||
            !req.line_complete)
            abort();
        check_slice(req.method, buf, size);
        check_slice(req.target, buf, size);
        for (size_t i = 0; i < req.num_headers; i++) {
            check_slice(req.headers[i].name, buf, (size_t)rc);
            check_slice(req.headers[i].value, buf, (size_t)rc);
            if (req.headers[i].name.len == 0)
                abort();
        }
        struct http_request_info info;
        int status = http_request_interpret(&req, &info);
        if (status != 0 && status != 400 && status != 501)
            abort();
        if (status == 0 && (info.method == HTTP_METHOD_GET || info.method == HTTP_METHOD_HEAD)) {
            /* an absolute-form target without a path gets the static "/" */
            if (!(info.path.len == 1 && info.path.p[0] == '/'))
                check_slice(info.path, buf, size);
            if (info.path.len == 0 || info.path.p[0] != '/')
                abort();
        }
    } else if (rc == HTTP_PARSE_ERROR) {
        if (req.status != 400 && req.status != 431 && req.status != 505)
            abort();
    } else if (rc != HTTP_PARSE_INCOMPLETE) {
        abort();
    }
    (void)http_head_may_be_complete(buf, size, size > 0 ? data[size - 1] % (size + 1) : 0);
    /* The chunked check, on the bytes after a head (or all of them): a
     * prefix found malformed stays malformed with more bytes. */
    size_t body = rc > 0 ? (size_t)rc : 0;
    size_t prefix = size > body ? (size_t)data[size - 1] % (size - body + 1) : 0;
    enum http_chunked whole = http_chunked_check(buf + body, size - body);
    enum http_chunked part = http_chunked_check(buf + body, prefix);
    if (part == HTTP_CHUNKED_MALFORMED && whole != HTTP_CHUNKED_MALFORMED)
        abort();
    free(buf);
    return 0;
}

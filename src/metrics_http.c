/*
 * metrics_http.c - see metrics_http.h.
 */
#include "compat.h"

#include "metrics_http.h"

#include "http_parser.h"
#include "response.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Header lines a scrape may send; Prometheus sends five or six. */
#define METRICS_HTTP_MAX_HEADERS 32

static const char not_here[] = "metrics are at /metrics\n";

/* Head room before the body: a metrics head is about 200 bytes. */
#define METRICS_HTTP_HEAD_MAX 512

/*
 * Writes the answer: the head for status, then body_len bytes of body
 * (unless head_only).  body may lie inside out, after METRICS_HTTP_HEAD_MAX.
 */
static size_t answer(int status, const char *type, const char *date, const char *body,
                     size_t body_len, bool head_only, char *out, size_t cap)
{
    struct response_head h = {
        .status = status,
        .server = NULL, /* an internal port: nothing to advertise */
        .date = date,
        .content_type = type,
        .content_length = (int64_t)body_len,
    };
    char head[METRICS_HTTP_HEAD_MAX];
    int n = response_format_head(&h, head, sizeof(head));
    if (n < 0 || (size_t)n > cap)
        return 0;
    size_t total = (size_t)n;
    if (!head_only && body_len > 0 && body_len <= cap - total) {
        memmove(out + total, body, body_len);
        total += body_len;
    }
    memcpy(out, head, (size_t)n);
    return total;
}

size_t metrics_http_answer(const struct metrics *m, const char *req, size_t len, const char *date,
                           char *out, size_t cap)
{
    struct http_request parsed; /* about 32 KiB of header slots, on the worker's 8 MiB stack */
    int n = http_parse_request(req, len, METRICS_HTTP_MAX_HEADERS, &parsed);
    if (n == HTTP_PARSE_INCOMPLETE) {
        if (len < METRICS_HTTP_REQUEST_MAX)
            return 0;
        return answer(431, NULL, date, NULL, 0, false, out, cap);
    }
    if (n == HTTP_PARSE_ERROR)
        return answer(parsed.status, NULL, date, NULL, 0, false, out, cap);

    struct http_request_info info;
    bool ok = http_request_interpret(&parsed, &info) == 0;
    bool get = ok && info.method == HTTP_METHOD_GET;
    bool head = ok && info.method == HTTP_METHOD_HEAD;
    if ((get || head) && info.path.len == 8 && memcmp(info.path.p, "/metrics", 8) == 0) {
        /* The text is rendered after room for the head, then moved up to it. */
        if (cap <= METRICS_HTTP_HEAD_MAX)
            return 0;
        int body = metrics_render(m, out + METRICS_HTTP_HEAD_MAX, cap - METRICS_HTTP_HEAD_MAX);
        if (body < 0)
            body = 0;
        return answer(200, "text/plain; version=0.0.4; charset=utf-8", date,
                      out + METRICS_HTTP_HEAD_MAX, (size_t)body, head, out, cap);
    }
    return answer(404, "text/plain", date, not_here, sizeof(not_here) - 1, head, out, cap);
}

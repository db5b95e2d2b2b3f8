/*
 * metrics_http.c - see metrics_http.h.
 */
#include "compat.h"

#include "metrics_http.h"

#include "clock.h"
#include "request_log.h"
#include "response.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Room for a head: status line, Date, type, length, Allow, Connection: about 200 bytes. */
#define METRICS_HTTP_HEAD_MAX 512

struct metrics_http {
    const struct metrics *metrics;    /* what to render */
    enum access_log_format format;    /* its access lines' format (at debug) */
    char body[METRICS_HTTP_BODY_MAX]; /* the last exposition rendered */
};

static const char not_here[] = "metrics are at /metrics\n";
static const char exposition_type[] = "text/plain; version=0.0.4; charset=utf-8";

struct metrics_http *metrics_http_new(const struct metrics *m, enum access_log_format format)
{
    struct metrics_http *mh = calloc(1, sizeof(*mh));
    if (mh != NULL) {
        mh->metrics = m;
        mh->format = format;
    }
    return mh;
}

void metrics_http_free(struct metrics_http *mh)
{
    free(mh);
}

/* The port's answer to one parsed request. */
static bool metrics_answer(void *arg, const struct conn_request *q, struct reply *r)
{
    struct metrics_http *mh = arg;
    const struct http_request_info *i = q->info;
    bool get = i->method == HTTP_METHOD_GET, head = i->method == HTTP_METHOD_HEAD;
    struct response_head h = {.date = q->date, .keep_alive = q->keep_alive}; /* no Server: an internal port */
    const char *body = NULL;
    size_t len = 0;
    if (q->rc != 0) {
        h.status = q->rc;
        h.keep_alive = false;
    } else if (!get && !head) {
        h.status = 405;
        h.allow = "GET, HEAD";
    } else if (i->path.len == 8 && memcmp(i->path.p, "/metrics", 8) == 0) {
        int n = metrics_render(mh->metrics, mh->body, sizeof(mh->body));
        h.status = 200;
        h.content_type = exposition_type;
        body = mh->body;
        len = n > 0 ? (size_t)n : 0;
    } else {
        h.status = 404;
        h.content_type = "text/plain";
        body = not_here;
        len = sizeof(not_here) - 1;
    }
    h.content_length = (int64_t)len;
    reply_memory(r, &h, body, len, head);
    return false;
}

/* A bare error before a request could be read: no body, the connection closes. */
static void metrics_error(void *arg, int status, const char *date, struct reply *r)
{
    (void)arg;
    struct response_head h = {.status = status, .date = date, .content_length = 0};
    reply_memory(r, &h, NULL, 0, false);
}

static void metrics_done(void *arg)
{
    (void)arg; /* the body is the port's own buffer: nothing pinned */
}

/* Access lines at debug only (a scrape every few seconds would drown the site's), nothing counted. */
static void metrics_finished(void *arg, const struct request_record *rec)
{
    struct metrics_http *mh = arg;
    struct request_record quiet = *rec;
    quiet.quiet = true;
    request_log_finish(&quiet, clock_mono_us(), mh->format, NULL, 0);
}

void metrics_http_app(struct metrics_http *mh, struct conn_app *app)
{
    *app = (struct conn_app){
        .arg = mh,
        .head_max = METRICS_HTTP_HEAD_MAX,
        .body_max = METRICS_HTTP_BODY_MAX,
        .answer = metrics_answer,
        .error = metrics_error,
        .done = metrics_done,
        .file_shrank = NULL,
        .finished = metrics_finished,
    };
}

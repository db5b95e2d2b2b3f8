/*
 * request_log.c - see request_log.h.
 */
#include "compat.h"

#include "request_log.h"

#include "clock.h"
#include "log.h"

#include <string.h>

enum metrics_method request_log_method(struct http_slice m)
{
    if (m.len == 3 && memcmp(m.p, "GET", 3) == 0)
        return METRICS_GET;
    if (m.len == 4 && memcmp(m.p, "HEAD", 4) == 0)
        return METRICS_HEAD;
    return METRICS_OTHER;
}

/*
 * Every request is logged at info whatever its User-Agent (a header any
 * client can send); only the probes' answers wait for debug, since a probe
 * every few seconds would drown the real traffic.
 */
static void write_line(const struct request_record *r, int64_t now_us, enum access_log_format format)
{
    if (log_threshold < (r->quiet ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO))
        return;
    struct access_record a = {
        .peer = r->peer,
        .client = r->client,
        .request_id = r->request_id,
        .method = r->method,
        .target = r->target,
        .minor_version = r->minor,
        .status = r->status,
        .body_bytes = r->bytes_sent > r->head_bytes ? r->bytes_sent - r->head_bytes : 0,
        .duration_us = now_us - r->started_us,
        .referer = r->referer,
        .user_agent = r->agent,
        .when = clock_tick_wall(),
    };
    char line[LOG_BUFFERED_LINE_MAX];
    size_t n = access_log_format(format, &a, line, sizeof(line));
    log_append(line, n);
}

void request_log_finish(const struct request_record *r, int64_t now_us, enum access_log_format format,
                        struct metrics *m, int slot)
{
    write_line(r, now_us, format);
    if (m == NULL)
        return;
    if (r->quiet)
        metrics_note_health(m, slot, r->status);
    else
        metrics_record_request(m, slot, (int)request_log_method(r->method), r->status, r->bytes_sent,
                               now_us - r->started_us);
}

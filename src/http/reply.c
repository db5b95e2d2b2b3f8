/*
 * reply.c - see reply.h.
 */
#include "compat.h"

#include "reply.h"

#include "chunked.h"
#include "log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int reply_init(struct reply *r, size_t head_cap)
{
    memset(r, 0, sizeof(*r));
    r->fd = -1;
    r->head = malloc(head_cap);
    r->head_cap = r->head != NULL ? head_cap : 0;
    return r->head != NULL ? 0 : -1;
}

void reply_free(struct reply *r)
{
    free(r->head);
    r->head = NULL;
    r->head_cap = 0;
}

void reply_drop_body(struct reply *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->offset = 0;
    r->length = 0;
    r->body = NULL;
    r->body_len = 0;
    reply_stream_release(&r->stream);
}

void reply_reset(struct reply *r)
{
    r->fd = -1;
    memset(&r->stream, 0, sizeof(r->stream)); /* never released here: the connection took it */
    reply_drop_body(r);
    r->status = 0;
    r->close = false;
    r->head_len = 0;
    r->decoded = false;
    r->gzip_hit = false;
    r->gzip_made = false;
    r->gzip_unstable = false;
    r->gzip_saved = 0;
    r->gzip_cache_bytes = -1;
    r->gzip_turn_max = -1;
}

void reply_set_head(struct reply *r, struct response_head *rh)
{
    int n = response_format_head(rh, r->head, r->head_cap);
    if (n < 0) {
        LOG_ERROR("a %d head did not fit in %zu bytes: answered 500", rh->status, r->head_cap);
        n = snprintf(r->head, r->head_cap,
                     "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n");
        r->close = true;
        reply_drop_body(r);
    }
    r->head_len = (size_t)n;
}

void reply_memory(struct reply *r, struct response_head *rh, const char *body, size_t body_len, bool head_only)
{
    reply_reset(r);
    r->status = rh->status;
    r->close = !rh->keep_alive;
    r->body = head_only ? NULL : body;
    r->body_len = head_only ? 0 : body_len;
    reply_set_head(r, rh);
}

int reply_body_from(const char *data, int fd, int64_t first, int64_t len, struct reply *r)
{
    if (data != NULL) {
        r->body = data + first;
        r->body_len = (size_t)len;
        return 0;
    }
    r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (r->fd < 0)
        return -1;
    r->offset = first;
    r->length = len;
    return 0;
}

void reply_body_stream(struct reply *r, const struct reply_stream *s)
{
    reply_stream_release(&r->stream);
    r->stream = *s;
    r->stream.ended = false;
}

void reply_stream_release(struct reply_stream *s)
{
    if (s->state != NULL && s->release != NULL)
        s->release(s->state);
    memset(s, 0, sizeof(*s));
}

enum reply_produced reply_stream_fill(struct reply_stream *s, char *buf, size_t cap, size_t *start, size_t *end)
{
    *start = *end = 0;
    if (s->ended) /* a chunked body's last chunk */
        return REPLY_END;
    if (!s->chunked) {
        enum reply_produced rc = s->next(s->state, buf, cap, end);
        s->ended = rc == REPLY_END;
        return rc;
    }
    size_t len = 0;
    size_t room = cap - CHUNKED_HEAD_ROOM - CHUNKED_TAIL_ROOM - CHUNKED_LAST_LEN;
    enum reply_produced rc = s->next(s->state, buf + CHUNKED_HEAD_ROOM, room, &len);
    if (rc == REPLY_STOP)
        return REPLY_STOP;
    if (len > 0)
        *end = chunked_frame(buf, len, start);
    else
        *start = *end = CHUNKED_HEAD_ROOM;
    if (rc == REPLY_END) { /* the last chunk follows the data: room was kept for it */
        memcpy(buf + *end, CHUNKED_LAST, CHUNKED_LAST_LEN);
        *end += CHUNKED_LAST_LEN;
        s->ended = true;
    }
    return rc;
}

/*
 * reply.h - one answer, ready for a connection to send: the status, the
 * formatted head, and the body (bytes in memory, a range of a file through
 * the reply's own descriptor, or a stream: bytes a producer makes while
 * they are sent, framed here as chunks or delimited by the close).
 *
 * Below every part that answers (the site's handler, basic auth, the
 * health path, /metrics) and above response.h's head formatting, so those
 * parts share the type without knowing each other.
 */
#ifndef OTU_REPLY_H
#define OTU_REPLY_H

#include "response.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The least room reply_stream_fill() is given: a chunk's framing, the last chunk, and data. */
#define REPLY_STREAM_MIN_CAP 1024
/* Room for a built-in error page (response_error_body()). */
#define REPLY_ERROR_BODY_MAX 512

/* What a stream's producer says after a call. */
enum reply_produced {
    REPLY_MORE, /* *len bytes made (maybe 0): call again when the socket takes more */
    REPLY_END,  /* the body is complete (*len bytes made in this last call) */
    REPLY_STOP  /* stop: the body cannot be completed (the producer logged why); close */
};

/*
 * A body made while it is sent (a file decoded on the fly).  The
 * connection knows nothing of what makes it: when the socket takes more,
 * it asks reply_stream_fill() for the next slice.  Whoever holds it (the
 * reply, then the connection) calls reply_stream_release() once.
 */
struct reply_stream {
    /* Makes at most cap bytes of the body into buf, a bounded amount of
     * work per call (the producer's per-turn budget); sets *len. */
    enum reply_produced (*next)(void *state, char *buf, size_t cap, size_t *len);
    void (*release)(void *state); /* frees state; NULL: nothing to free */
    void *state;                  /* the producer's, or NULL: no stream */
    bool chunked;                 /* frame as chunks (HTTP/1.1); else the close ends the body */
    bool ended;                   /* the producer is done: only the last chunk is owed, or nothing */
};

/* The answer to one request, ready for the connection to send. */
struct reply {
    int status;                          /* final status */
    int fd;                              /* file to send from, or -1; the connection takes it (and closes it) */
    int64_t offset;                      /* first byte of the file to send */
    int64_t length;                      /* bytes of the file to send (0 for HEAD, 304, errors) */
    const char *body;                    /* in-memory body (error page, small file, variant, metrics text), or NULL;
                                            valid until its maker's "done" (the site's file-cache pins) */
    size_t body_len;                     /* its length */
    struct reply_stream stream;          /* a body made while it is sent (state NULL: none); the connection takes it */
    bool close;                          /* close the connection after this answer */
    char *head;                          /* the formatted response head (see reply_init()) */
    size_t head_cap;                     /* room at head */
    size_t head_len;                     /* its length */
    char body_buf[REPLY_ERROR_BODY_MAX]; /* holds an error page */
    /* compression on the fly, for the metrics: */
    bool decoded;             /* a compressed-only file is decoded for this answer's body */
    bool gzip_hit;            /* the variant came from the compression cache */
    bool gzip_made;           /* ...or was compressed for this answer (and kept) */
    bool gzip_unstable;       /* ...or the file changed while it was read: sent as it is */
    int64_t gzip_saved;       /* the file's size minus the variant's, when its body is sent */
    int64_t gzip_cache_bytes; /* what the worker's compression cache holds, -1 = not looked at */
    int gzip_evicted;         /* shared results a trim removed while answering */
    int64_t gzip_turn_max;    /* the most bytes one loop turn of the worker compressed, -1 = not looked at */
};

/*
 * Gives r a head buffer of head_cap bytes (the most any answer's head takes
 * under the configuration) and no body (fd -1).  Returns 0, or -1 when
 * memory ran out.  reply_free() releases it.
 */
int reply_init(struct reply *r, size_t head_cap);

/* Frees r's head buffer (not its body: the descriptor is the connection's once taken). */
void reply_free(struct reply *r);

/*
 * Starts a reply: no status, head or body yet.  What r held is overwritten,
 * never closed: a descriptor left in it is the connection's.
 */
void reply_reset(struct reply *r);

/* Forgets any body r was to carry, closing its descriptor when it has one. */
void reply_drop_body(struct reply *r);

/*
 * Formats rh into r->head.  The head is sized for every answer; an overflow
 * would be a sizing bug: it is logged and degrades to a bare 500.
 */
void reply_set_head(struct reply *r, struct response_head *rh);

/*
 * Fills r with an answer from memory: the head from rh (its status and
 * Connection decide r's), then body_len bytes of body, none with
 * head_only.  body must live as long as the reply: static text, or
 * r->body_buf.
 */
void reply_memory(struct reply *r, struct response_head *rh, const char *body, size_t body_len, bool head_only);

/*
 * Sets the body of r to len bytes from first: from data when the bytes are
 * in memory (sent with the head), else from a dup of fd (its owner, a
 * cache, keeps its own descriptor).  Returns 0, or -1 when no descriptor
 * is left.
 */
int reply_body_from(const char *data, int fd, int64_t first, int64_t len, struct reply *r);

/*
 * Makes s the body of r (after the head; nothing else with it).  r owns it
 * until a connection takes it; reply_drop_body() releases it.
 */
void reply_body_stream(struct reply *r, const struct reply_stream *s);

/*
 * Asks s's producer for the next slice, into buf (cap bytes: at least
 * REPLY_STREAM_MIN_CAP), framed as s says: a chunk (its size line, data,
 * CRLF), then the last chunk once the producer ends; or the bytes alone.
 * Sets [*start, *end) to the bytes to send (maybe none: call again).
 * Returns REPLY_MORE (call again), REPLY_END (these are the last bytes) or
 * REPLY_STOP (the body is cut: close the connection without them).
 */
enum reply_produced reply_stream_fill(struct reply_stream *s, char *buf, size_t cap, size_t *start, size_t *end);

/* Frees s's producer state and forgets it (a stream without state: nothing). */
void reply_stream_release(struct reply_stream *s);

#endif

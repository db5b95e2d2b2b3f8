/*
 * reply.h - one answer, ready for a connection to send: the status, the
 * formatted head, and the body (bytes in memory, or a range of a file
 * through the reply's own descriptor).
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

/* Room for a built-in error page (response_error_body()). */
#define REPLY_ERROR_BODY_MAX 512

/* The answer to one request, ready for the connection to send. */
struct reply {
    int status;                          /* final status */
    int fd;                              /* file to send from, or -1; the connection takes it (and closes it) */
    int64_t offset;                      /* first byte of the file to send */
    int64_t length;                      /* bytes of the file to send (0 for HEAD, 304, errors) */
    const char *body;                    /* in-memory body (error page, small file, variant, metrics text), or NULL;
                                            valid until its maker's "done" (the site's file-cache pins) */
    size_t body_len;                     /* its length */
    bool close;                          /* close the connection after this answer */
    char *head;                          /* the formatted response head (see reply_init()) */
    size_t head_cap;                     /* room at head */
    size_t head_len;                     /* its length */
    char body_buf[REPLY_ERROR_BODY_MAX]; /* holds an error page */
    /* compression on the fly, for the metrics: */
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

#endif

/*
 * precomp.c - see precomp.h.
 */
#include "compat.h"

#include "precomp.h"

#include "accept_coding.h"
#include "log.h"
#include "path.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A decoding on its way: the reply stream's state. */
struct precomp_state {
    struct decoder *d;
    struct precomp_hook hook;
    char name[]; /* the name asked for, for the log */
};

/* In the order a client's accepted coding is chosen: the smallest first. */
static const struct precomp_form sent_order[] = {
    {"br", ".br", DECODE_BROTLI}, {"zstd", ".zst", DECODE_ZSTD}, {"gzip", ".gz", DECODE_GZIP}};
/* In the order a form is chosen to decode: the cheapest decoder first. */
static const struct precomp_form decode_order[] = {
    {"gzip", ".gz", DECODE_GZIP}, {"zstd", ".zst", DECODE_ZSTD}, {"br", ".br", DECODE_BROTLI}};

/* The regular file rel + suffix, or NULL. */
static const struct file_info *form_file(struct file_cache *fc, const char *rel, const char *suffix, int64_t now)
{
    char name[PATH_MAX_DECODED + 8];
    if ((size_t)snprintf(name, sizeof(name), "%s%s", rel, suffix) >= sizeof(name))
        return NULL;
    const struct file_info *fi = file_cache_get(fc, name, now);
    return fi->status == 0 && S_ISREG(fi->st.st_mode) ? fi : NULL;
}

const struct file_info *precomp_find(struct file_cache *fc, const char *rel, struct http_slice accept_encoding,
                                     int64_t now, const struct precomp_form **form, bool *accepted)
{
    *accepted = false;
    for (size_t i = 0; accept_encoding.p != NULL && i < OTU_ARRAY_LEN(sent_order); i++) {
        if (accept_coding_quality(accept_encoding, sent_order[i].coding) == 0)
            continue;
        const struct file_info *fi = form_file(fc, rel, sent_order[i].suffix, now);
        if (fi != NULL) {
            *form = &sent_order[i];
            *accepted = true;
            return fi;
        }
    }
    for (size_t i = 0; i < OTU_ARRAY_LEN(decode_order); i++) {
        const struct file_info *fi = form_file(fc, rel, decode_order[i].suffix, now);
        if (fi != NULL) {
            *form = &decode_order[i];
            return fi;
        }
    }
    return NULL;
}

void precomp_identity_etag(const struct file_info *fi, char *out, size_t cap)
{
    size_t n = strlen(fi->etag); /* "...": the suffix goes before the closing quote */
    snprintf(out, cap, "%.*s-identity\"", (int)(n > 0 ? n - 1 : 0), fi->etag);
}

static enum reply_produced next_slice(void *arg, char *buf, size_t cap, size_t *len)
{
    struct precomp_state *st = arg;
    enum decode_result rc = decode_next(st->d, buf, cap, len);
    if (rc == DECODE_MORE)
        return REPLY_MORE;
    if (rc == DECODE_END)
        return REPLY_END;
    bool bomb = decode_was_bomb(st->d);
    LOG_WARN("decode: /%s: %s%s; the connection is closed", st->name, bomb ? "a bomb: " : "", decode_why(st->d));
    if (st->hook.stopped != NULL)
        st->hook.stopped(st->hook.arg, bomb);
    return REPLY_STOP;
}

static void release(void *arg)
{
    struct precomp_state *st = arg;
    decode_close(st->d);
    free(st);
}

int precomp_stream(const struct file_info *fi, const struct precomp_form *form, const char *name,
                   const struct precomp_hook *hook, bool chunked, struct reply_stream *s)
{
    size_t n = strlen(name);
    struct precomp_state *st = malloc(sizeof(*st) + n + 1);
    int fd = fi->fd >= 0 ? fcntl(fi->fd, F_DUPFD_CLOEXEC, 0) : -1;
    struct decode_limits limits = {.out_max = DECODE_OUT_MAX, .ratio_max = DECODE_RATIO_MAX};
    struct decoder *d = st != NULL && fd >= 0 ? decode_open(fd, form->decode, (int64_t)fi->st.st_size, &limits) : NULL;
    if (d == NULL) {
        int err = st == NULL ? ENOMEM : fd < 0 ? EMFILE : errno;
        if (st == NULL && fd >= 0)
            close(fd); /* decode_open() was not called: the descriptor is still ours */
        free(st);
        errno = err;
        return -1;
    }
    st->d = d;
    st->hook = *hook;
    memcpy(st->name, name, n + 1);
    *s = (struct reply_stream){.next = next_slice, .release = release, .state = st, .chunked = chunked};
    return 0;
}

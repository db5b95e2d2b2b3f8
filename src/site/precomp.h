/*
 * precomp.h - a name whose only file is its compressed form (page.html.gz,
 * .br or .zst, without page.html): found, then sent as it is to a client
 * that accepts its coding, or decoded while it is sent to one that does
 * not (Debian's /usr/share/doc keeps big files only compressed).
 *
 * The decoding is a reply stream (reply.h): the connection asks for the
 * next slice when the socket is writable; decode.h bounds each slice's work
 * and stops a bomb.
 */
#ifndef OTU_PRECOMP_H
#define OTU_PRECOMP_H

#include "decode.h"
#include "file_cache.h"
#include "http_parser.h"
#include "reply.h"

#include <stdbool.h>
#include <stdint.h>

/* One compressed form of a name. */
struct precomp_form {
    const char *coding;        /* its Content-Encoding: "gzip", "br", "zstd" */
    const char *suffix;        /* its file's suffix: ".gz", ".br", ".zst" */
    enum decode_coding decode; /* how it is decoded */
};

/* Told when a decoding stops: at a bound (bomb true), or at a read or data error. */
struct precomp_hook {
    void (*stopped)(void *arg, bool bomb); /* or NULL */
    void *arg;
};

/*
 * Looks for a compressed form of rel (a name that is not there), a regular
 * file: the first of br, zstd, gzip that accept_encoding accepts (then
 * *accepted is true), else the first of gzip, zstd, br (to decode; the
 * cheapest decoder first).  Returns its file with *form set, or NULL.
 */
const struct file_info *precomp_find(struct file_cache *fc, const char *rel, struct http_slice accept_encoding,
                                     int64_t now, const struct precomp_form **form, bool *accepted);

/*
 * Writes fi's ETag with "-identity" inside the quotes into out (cap bytes):
 * the decoded answer's.  Strong: the decoded bytes are a function of the
 * compressed file's bytes, which its own strong ETag names.
 */
void precomp_identity_etag(const struct file_info *fi, char *out, size_t cap);

/*
 * Makes *s the stream of fi (form) decoded: chunked or close-delimited,
 * named name in the log; hook is told of a stop.  Returns 0, or -1 with
 * errno: EBUSY (DECODE_ACTIVE_MAX decodings run in this worker), EMFILE,
 * ENOMEM.
 */
int precomp_stream(const struct file_info *fi, const struct precomp_form *form, const char *name,
                   const struct precomp_hook *hook, bool chunked, struct reply_stream *s);

#endif

/*
 * decode.c - see decode.h.
 */
#include "compat.h"

#include "decode.h"

#include <brotli/decode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* zlib's windowBits for a gzip stream with the largest window (15) and its header (+16). */
#define DECODE_GZIP_WINDOW_BITS (15 + 16)

/* One step's verdict, from a coding's own decoder. */
enum step_result {
    STEP_MORE,  /* wants more input, or more room */
    STEP_END,   /* the stream is complete */
    STEP_ERROR, /* the data is not a valid stream */
};

struct decoder {
    int fd; /* the compressed file */
    enum decode_coding coding;
    int64_t size;   /* its size */
    int64_t in_off; /* next byte of it to read */
    struct decode_limits limits;
    int64_t out_total;      /* bytes made so far */
    z_stream z;             /* gzip's state */
    bool z_ready;           /* z was initialised */
    BrotliDecoderState *br; /* brotli's, or NULL */
    ZSTD_DCtx *zstd;        /* zstd's, or NULL */
    size_t zstd_hint;       /* ZSTD_decompressStream()'s last return: 0 = at a frame's end */
    const uint8_t *next_in; /* unread input in in[] */
    size_t avail_in;        /* its length */
    bool bomb;              /* stopped at a bound */
    char why[96];           /* why it stopped, or "" */
    uint8_t in[DECODE_READ_SLICE];
};

static int active; /* decoders open in this process */

static void stop(struct decoder *d, bool bomb, const char *why, int64_t value)
{
    d->bomb = bomb;
    snprintf(d->why, sizeof(d->why), "%s%lld", why, (long long)value);
}

/* Sets up the coding's decoder; returns false when memory ran out. */
static bool start_coding(struct decoder *d)
{
    switch (d->coding) {
    case DECODE_GZIP: d->z_ready = inflateInit2(&d->z, DECODE_GZIP_WINDOW_BITS) == Z_OK; return d->z_ready;
    case DECODE_BROTLI: d->br = BrotliDecoderCreateInstance(NULL, NULL, NULL); return d->br != NULL;
    case DECODE_ZSTD:
        d->zstd = ZSTD_createDCtx();
        return d->zstd != NULL &&
               !ZSTD_isError(ZSTD_DCtx_setParameter(d->zstd, ZSTD_d_windowLogMax, DECODE_ZSTD_WINDOW_LOG_MAX));
    }
    return false;
}

struct decoder *decode_open(int fd, enum decode_coding coding, int64_t size, const struct decode_limits *limits)
{
    if (active >= DECODE_ACTIVE_MAX) {
        close(fd);
        errno = EBUSY;
        return NULL;
    }
    struct decoder *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    d->fd = fd;
    d->coding = coding;
    d->size = size;
    d->limits = *limits;
    active++;
    if (!start_coding(d)) {
        decode_close(d);
        errno = ENOMEM;
        return NULL;
    }
    return d;
}

void decode_close(struct decoder *d)
{
    if (d == NULL)
        return;
    if (d->z_ready)
        inflateEnd(&d->z);
    BrotliDecoderDestroyInstance(d->br); /* NULL is allowed, as for free() */
    ZSTD_freeDCtx(d->zstd);
    close(d->fd);
    active--;
    free(d);
}

int decode_active(void)
{
    return active;
}

/* gzip: one inflate() step; a member's end with more input starts the next member. */
static enum step_result step_gzip(struct decoder *d, uint8_t **out, size_t *room)
{
    d->z.next_in = (Bytef *)d->next_in;
    d->z.avail_in = (uInt)d->avail_in;
    d->z.next_out = *out;
    d->z.avail_out = (uInt)*room;
    int rc = inflate(&d->z, Z_NO_FLUSH);
    d->next_in = d->z.next_in;
    d->avail_in = d->z.avail_in;
    *room = d->z.avail_out;
    *out = d->z.next_out;
    if (rc == Z_STREAM_END) {
        if (d->avail_in == 0 && d->in_off >= d->size)
            return STEP_END;
        return inflateReset(&d->z) == Z_OK ? STEP_MORE : STEP_ERROR; /* the next member */
    }
    return rc == Z_OK || rc == Z_BUF_ERROR ? STEP_MORE : STEP_ERROR;
}

static enum step_result step_brotli(struct decoder *d, uint8_t **out, size_t *room)
{
    BrotliDecoderResult rc = BrotliDecoderDecompressStream(d->br, &d->avail_in, &d->next_in, room, out, NULL);
    if (rc == BROTLI_DECODER_RESULT_SUCCESS)
        return STEP_END;
    return rc == BROTLI_DECODER_RESULT_ERROR ? STEP_ERROR : STEP_MORE;
}

static enum step_result step_zstd(struct decoder *d, uint8_t **out, size_t *room)
{
    ZSTD_outBuffer ob = {*out, *room, 0};
    ZSTD_inBuffer ib = {d->next_in, d->avail_in, 0};
    size_t rc = ZSTD_decompressStream(d->zstd, &ob, &ib);
    d->next_in += ib.pos;
    d->avail_in -= ib.pos;
    *out += ob.pos;
    *room -= ob.pos;
    if (ZSTD_isError(rc))
        return STEP_ERROR;
    d->zstd_hint = rc;
    return rc == 0 && d->avail_in == 0 && d->in_off >= d->size ? STEP_END : STEP_MORE;
}

static enum step_result step(struct decoder *d, uint8_t **out, size_t *room)
{
    switch (d->coding) {
    case DECODE_GZIP: return step_gzip(d, out, room);
    case DECODE_BROTLI: return step_brotli(d, out, room);
    case DECODE_ZSTD: return step_zstd(d, out, room);
    }
    return STEP_ERROR;
}

/* Reads the next slice of the file into in[] when it is used up; false on a read error. */
static bool refill(struct decoder *d)
{
    if (d->avail_in > 0 || d->in_off >= d->size)
        return true;
    int64_t want = d->size - d->in_off;
    ssize_t n = pread(d->fd, d->in, (size_t)(want < DECODE_READ_SLICE ? want : DECODE_READ_SLICE), d->in_off);
    if (n <= 0) {
        stop(d, false, n < 0 ? "the compressed file could not be read at byte " : "the compressed file shrank to ",
             d->in_off);
        return false;
    }
    d->in_off += n;
    d->next_in = d->in;
    d->avail_in = (size_t)n;
    return true;
}

/* Stops d when out_total passed a bound; returns true then. */
static bool over_bounds(struct decoder *d)
{
    if (d->out_total > d->limits.out_max) {
        stop(d, true, "decoded to more than its bound of bytes: ", d->limits.out_max);
        return true;
    }
    int64_t size = d->size > 0 ? d->size : 1;
    if (size <= INT64_MAX / d->limits.ratio_max && d->out_total > d->limits.ratio_max * size) {
        stop(d, true, "decoded to more than its bound of bytes per compressed byte: ", d->limits.ratio_max);
        return true;
    }
    return false;
}

enum decode_result decode_next(struct decoder *d, char *out, size_t cap, size_t *len)
{
    uint8_t *at = (uint8_t *)out;
    size_t room = cap;
    bool read_once = false; /* one slice of input per call: the per-call budget */
    enum step_result rc = STEP_MORE;
    *len = 0;
    while (rc == STEP_MORE && room > 0) {
        if (d->avail_in == 0 && d->in_off < d->size) {
            if (read_once)
                break;
            if (!refill(d))
                return DECODE_STOP;
            read_once = true;
        }
        size_t before = room;
        size_t in_before = d->avail_in;
        rc = step(d, &at, &room);
        if (rc == STEP_MORE && room == before && d->avail_in == in_before && d->in_off >= d->size)
            break; /* no progress and no input left: a truncated file */
    }
    *len = cap - room;
    d->out_total += (int64_t)*len;
    if (over_bounds(d))
        return DECODE_STOP;
    if (rc == STEP_ERROR) {
        stop(d, false, "the compressed data is corrupt after output byte ", d->out_total);
        return DECODE_STOP;
    }
    if (rc == STEP_END)
        return DECODE_END;
    if (*len == 0 && d->avail_in == 0 && d->in_off >= d->size && room > 0) {
        stop(d, false, "the compressed file ends early, after output byte ", d->out_total);
        return DECODE_STOP;
    }
    return DECODE_MORE;
}

const char *decode_why(const struct decoder *d)
{
    return d->why;
}

bool decode_was_bomb(const struct decoder *d)
{
    return d->bomb;
}

int64_t decode_out_bytes(const struct decoder *d)
{
    return d->out_total;
}

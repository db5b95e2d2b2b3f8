/*
 * encoder.c - see encoder.h.
 */
#include "compat.h"

#include "encoder.h"

#include <brotli/encode.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zstd.h>

/* brotli's smallest window (log2 bytes): its format's floor. */
#define ENCODER_BR_WINDOW_MIN 10
/* ...and the one used for large inputs: brotli's default, 4 MiB. */
#define ENCODER_BR_WINDOW_MAX 22

struct encoder {
    ZSTD_CCtx *zstd;                    /* reused: its tables are allocated once */
    struct libdeflate_compressor *gzip; /* made for one level */
    int gzip_level;                     /* ...this one */
};

static const struct {
    const char *name, *suffix, *etag;
    int lo, hi;
} codings[CODING_COUNT] = {
    [CODING_ZSTD] = {"zstd", ".zst", "-zst", 1, 19},
    [CODING_BR] = {"br", ".br", "-br", 0, ENCODER_BR_LEVEL_MAX},
    [CODING_GZIP] = {"gzip", ".gz", "-gz", 1, 12},
};

const char *coding_name(int coding)
{
    return codings[coding].name;
}

const char *coding_suffix(int coding)
{
    return codings[coding].suffix;
}

const char *coding_etag_tag(int coding)
{
    return codings[coding].etag;
}

int coding_by_name(const char *name, size_t len)
{
    for (int c = 0; c < CODING_COUNT; c++) {
        if (len == strlen(codings[c].name) && strncasecmp(name, codings[c].name, len) == 0)
            return c;
    }
    return -1;
}

void coding_levels(int coding, int *lo, int *hi)
{
    *lo = codings[coding].lo;
    *hi = codings[coding].hi;
}

struct encoder *encoder_new(void)
{
    return calloc(1, sizeof(struct encoder));
}

void encoder_free(struct encoder *e)
{
    if (e == NULL)
        return;
    ZSTD_freeCCtx(e->zstd);
    if (e->gzip != NULL)
        libdeflate_free_compressor(e->gzip);
    free(e);
}

/* The smallest brotli window that holds n bytes: a small file needs no 4 MiB of tables. */
static int br_window(size_t n)
{
    int w = ENCODER_BR_WINDOW_MIN;
    while (w < ENCODER_BR_WINDOW_MAX && ((size_t)1 << w) < n)
        w++;
    return w;
}

long encoder_run(struct encoder *e, int coding, int level, const void *in, size_t n, void *out, size_t cap)
{
    if (coding == CODING_BR) {
        size_t len = cap;
        if (!BrotliEncoderCompress(level, br_window(n), BROTLI_MODE_GENERIC, n, in, &len, out))
            return 0; /* does not fit (brotli says no more) */
        return (long)len;
    }
    if (coding == CODING_ZSTD) {
        if (e->zstd == NULL && (e->zstd = ZSTD_createCCtx()) == NULL)
            return -1;
        size_t len = ZSTD_compressCCtx(e->zstd, out, cap, in, n, level);
        if (ZSTD_isError(len))
            return 0; /* too small a buffer, or no memory: either way, no variant now */
        return (long)len;
    }
    if (e->gzip != NULL && e->gzip_level != level) {
        libdeflate_free_compressor(e->gzip);
        e->gzip = NULL;
    }
    if (e->gzip == NULL && (e->gzip = libdeflate_alloc_compressor(level)) == NULL)
        return -1;
    e->gzip_level = level;
    return (long)libdeflate_gzip_compress(e->gzip, in, n, out, cap);
}

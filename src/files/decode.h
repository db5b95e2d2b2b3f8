/*
 * decode.h - a compressed file read back: gzip (zlib), brotli (libbrotlidec)
 * or zstd (libzstd), decoded in bounded slices by a streaming decoder.
 *
 * For a name whose only file is its compressed form (page.html.gz), sent
 * to a client that does not accept that coding.  Each call does a bounded
 * amount of work (it reads at most DECODE_READ_SLICE compressed bytes and
 * writes at most the room it is given), so its caller can spread a file
 * over many turns of its event loop.  A bomb is stopped: more than
 * limits.out_max bytes out, or more than limits.ratio_max times the
 * compressed file's size.
 */
#ifndef OTU_DECODE_H
#define OTU_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most bytes one file decodes to: a real document is far smaller; 2 GiB of zeros gzip to 2 MB. */
#define DECODE_OUT_MAX ((int64_t)1 << 30)
/* Most bytes out per compressed byte: text gzips 3-10x, brotli and zstd a little more; 1,000 is a bomb. */
#define DECODE_RATIO_MAX 1000
/* Compressed bytes read per call: the per-call (so per-turn) budget of the decoder's work. */
#define DECODE_READ_SLICE ((int64_t)64 * 1024)
/*
 * Decoders open at once in one process (a worker): each holds its state and
 * a window (up to 16 MiB for brotli and zstd), so many clients asking for
 * decoded files cannot exhaust the worker's memory; one more is refused.
 */
#define DECODE_ACTIVE_MAX 32
/* Largest zstd window accepted (log2): 16 MiB, as brotli's largest standard window; zstd -19 uses 8 MiB. */
#define DECODE_ZSTD_WINDOW_LOG_MAX 24

enum decode_coding {
    DECODE_GZIP,   /* gzip, one member or several */
    DECODE_BROTLI, /* brotli */
    DECODE_ZSTD    /* zstd, one frame or several */
};

/* What a decoder may produce. */
struct decode_limits {
    int64_t out_max;   /* bytes out, at most (DECODE_OUT_MAX) */
    int64_t ratio_max; /* bytes out per byte of the compressed file, at most (DECODE_RATIO_MAX) */
};

enum decode_result {
    DECODE_MORE, /* *len bytes made (maybe 0): call again */
    DECODE_END,  /* the file is decoded whole (*len bytes made in this last call) */
    DECODE_STOP  /* stopped: see decode_why() */
};

struct decoder;

/*
 * Starts decoding the size bytes of the compressed file open on fd (the
 * decoder takes fd and closes it in decode_close(), also on failure).
 * Returns the decoder, or NULL with errno: EBUSY when DECODE_ACTIVE_MAX are
 * open, ENOMEM.
 */
struct decoder *decode_open(int fd, enum decode_coding coding, int64_t size, const struct decode_limits *limits);

/*
 * Decodes the next slice into out (at most cap bytes; reads at most
 * DECODE_READ_SLICE compressed bytes).  Sets *len to the bytes made.  Once it
 * returned DECODE_END or DECODE_STOP it must not be called again.
 */
enum decode_result decode_next(struct decoder *d, char *out, size_t cap, size_t *len);

/* Why d stopped, for the log ("more than 1073741824 bytes out", "corrupt data"...); "" when it did not. */
const char *decode_why(const struct decoder *d);

/* True when d stopped at a bound (a bomb), not at a read or data error. */
bool decode_was_bomb(const struct decoder *d);

/* Bytes d made so far. */
int64_t decode_out_bytes(const struct decoder *d);

/* Closes d's file and frees it (NULL: nothing). */
void decode_close(struct decoder *d);

/* Decoders open now in this process. */
int decode_active(void);

#endif

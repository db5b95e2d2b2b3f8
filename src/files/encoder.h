/*
 * encoder.h - the content codings made on the fly: zstd (libzstd), br
 * (libbrotli's encoder) and gzip (libdeflate), one whole buffer at a time.
 *
 * gzip stays with libdeflate rather than zlib: it compresses a whole buffer
 * in one call about twice as fast as zlib at the same level and ratio, and
 * every input here is a whole file already in memory (or mapped).
 */
#ifndef OTU_ENCODER_H
#define OTU_ENCODER_H

#include <stddef.h>

/* The codings, in the default --compress order (the server's preference). */
enum coding { CODING_ZSTD = 0, CODING_BR, CODING_GZIP, CODING_COUNT };

/* brotli's highest level on the fly: 10 and 11 cost tens of times more CPU for a few percent. */
#define ENCODER_BR_LEVEL_MAX 9

/* The coding's name in Accept-Encoding and Content-Encoding ("zstd", "br", "gzip"). */
const char *coding_name(int coding);

/* The suffix of its precompressed sibling (".zst", ".br", ".gz"). */
const char *coding_suffix(int coding);

/* The tag its variant's ETag carries before the closing quote ("-zst", "-br", "-gz"). */
const char *coding_etag_tag(int coding);

/* The coding named name (without case), or -1. */
int coding_by_name(const char *name, size_t len);

/* The lowest and highest level of coding. */
void coding_levels(int coding, int *lo, int *hi);

struct encoder;

/* Makes an encoder (its contexts are made at first use).  NULL when memory ran out. */
struct encoder *encoder_new(void);

/* Frees it. */
void encoder_free(struct encoder *e);

/*
 * Compresses the n bytes at in with coding at level into out (cap bytes).
 * Returns the length written, 0 when the result does not fit in cap (so a
 * cap of n - 1 asks for a result smaller than the input), or -1 when
 * memory ran out.
 */
long encoder_run(struct encoder *e, int coding, int level, const void *in, size_t n, void *out, size_t cap);

#endif

/*
 * accept_coding.h - content coding negotiation (RFC 9110, section 12.5.3).
 *
 * The server offers a few codings in its order of preference; the client's
 * Accept-Encoding gives each a quality (q, 0..1 in thousandths), names
 * "*" for any coding not named, and may refuse identity ("identity;q=0",
 * or "*;q=0" without naming identity).  The coding sent is the offered one
 * with the highest quality above 0; equal qualities go by the server's
 * order; identity wins only when the client rates it (by name or through
 * "*") strictly higher than every offered coding: unnamed, it ranks below.  Pure: no allocation, no state.
 */
#ifndef OTU_ACCEPT_CODING_H
#define OTU_ACCEPT_CODING_H

#include "http_parser.h"

#include <stdbool.h>
#include <stddef.h>

/* Most codings one negotiation weighs: zstd, br, gzip and room to spare. */
#define ACCEPT_CODING_MAX 8

/*
 * The quality in thousandths (0..1000) that the Accept-Encoding value v
 * gives coding (compared without case): its own element's, else "*"'s,
 * else 0; identity is 1000 unless named or refused through "*".  A
 * malformed q counts as 0 (refused).
 */
int accept_coding_quality(struct http_slice v, const char *coding);

/*
 * Picks from the n codings offered (names, in the server's preference) the
 * one to send for Accept-Encoding v: its index, or -1 for identity (v
 * absent, nothing offered accepted, or identity rated higher).  Only
 * offered[i] with usable[i] true take part (usable NULL: all).
 */
int accept_coding_choose(struct http_slice v, const char *const *offered, const bool *usable, size_t n);

#endif

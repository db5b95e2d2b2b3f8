/*
 * chunked.h - HTTP/1.1's chunked transfer coding (RFC 9112, 7.1), as bytes:
 * a chunk's framing around data already in place, and the last chunk.
 *
 * Pure: the caller owns the buffer.  A body whose length is not known
 * before it is sent (a file decoded while it is sent) goes out this way.
 */
#ifndef OTU_CHUNKED_H
#define OTU_CHUNKED_H

#include <stddef.h>

/* Room kept before a chunk's data for its size line: 16 hex digits and CRLF. */
#define CHUNKED_HEAD_ROOM 18
/* Room kept after a chunk's data for its CRLF. */
#define CHUNKED_TAIL_ROOM 2
/* The last chunk with no trailer: the end of a chunked body. */
#define CHUNKED_LAST     "0\r\n\r\n"
#define CHUNKED_LAST_LEN (sizeof(CHUNKED_LAST) - 1)

/*
 * Frames len (> 0) data bytes that sit at buf + CHUNKED_HEAD_ROOM as one
 * chunk: writes its size line (lowercase hex, CRLF) just before them and a
 * CRLF just after, so the data never moves.  buf holds at least
 * CHUNKED_HEAD_ROOM + len + CHUNKED_TAIL_ROOM bytes.  Sets *start to the
 * offset in buf where the chunk begins and returns the offset where it ends.
 */
size_t chunked_frame(char *buf, size_t len, size_t *start);

#endif

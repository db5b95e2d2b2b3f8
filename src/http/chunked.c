/*
 * chunked.c - see chunked.h.
 */
#include "compat.h"

#include "chunked.h"

size_t chunked_frame(char *buf, size_t len, size_t *start)
{
    static const char hex[] = "0123456789abcdef";
    size_t at = CHUNKED_HEAD_ROOM;
    buf[--at] = '\n';
    buf[--at] = '\r';
    size_t v = len;
    do { /* the size, last digit first, right before the CRLF */
        buf[--at] = hex[v & 0xf];
        v >>= 4;
    } while (v > 0);
    *start = at;
    size_t end = CHUNKED_HEAD_ROOM + len;
    buf[end++] = '\r';
    buf[end++] = '\n';
    return end;
}

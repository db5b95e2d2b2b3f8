/*
 * utf8.h - where text that must stay valid UTF-8 (JSON access lines,
 * directory listings) tells a character from a stray byte.
 */
#ifndef OTU_UTF8_H
#define OTU_UTF8_H

#include <stddef.h>

/* Writes U+FFFD as a JSON escape ("\\ufffd", no NUL) for a byte that is not UTF-8; returns its 6 bytes. */
static inline size_t utf8_put_replacement_json(char out[6])
{
    static const char escape[6] = {'\\', 'u', 'f', 'f', 'f', 'd'};
    for (size_t i = 0; i < sizeof(escape); i++)
        out[i] = escape[i];
    return sizeof(escape);
}

/*
 * Returns the length (1..4) of the well-formed UTF-8 character at p[0..n)
 * (an ASCII byte is 1), or 0 when it is not one: a stray continuation
 * byte, an overlong form, a surrogate, a code point past U+10FFFF, a lead
 * byte 0xf5..0xff, or a sequence cut short (RFC 3629).  n must be >= 1.
 */
static inline size_t utf8_sequence(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    }
    return len;
}

#endif

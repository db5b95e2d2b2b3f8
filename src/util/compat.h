/*
 * compat.h - the first include of every .c file in otuserver.
 *
 * Fixes the feature-test macros before any system header is seen, so that
 * glibc and musl expose the same POSIX and Linux interfaces, and defines the
 * few attribute macros and tiny helpers the code shares.
 */
#ifndef OTU_COMPAT_H
#define OTU_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, sendfile, sched_getaffinity, MSG_MORE */
#endif

#if defined(__GNUC__)
#define OTU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define OTU_UNUSED       __attribute__((unused))
#define OTU_COLD         __attribute__((cold))
#define OTU_UNLIKELY(x)  __builtin_expect(!!(x), 0)
#else
#define OTU_PRINTF(f, a)
#define OTU_UNUSED
#define OTU_COLD
#define OTU_UNLIKELY(x) (x)
#endif

#define OTU_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#include <errno.h>
#include <unistd.h>

/* Closes fd and leaves errno as it was: cleanup on a path that reports errno. */
static inline void otu_close_keep_errno(int fd)
{
    int saved = errno;
    close(fd);
    errno = saved;
}

/* Value of the hex digit c (0-9, a-f, A-F), or -1: percent-escapes, chunk sizes. */
static inline int otu_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif

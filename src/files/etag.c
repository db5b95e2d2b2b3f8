/*
 * etag.c - see etag.h.
 */
#include "compat.h"

#include "etag.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>
#include <xxhash.h>

/* Bytes read per pread() while hashing: 256 calls for a 16 MiB file, on the worker's stack. */
#define ETAG_READ_CHUNK ((size_t)32 * 1024)

static void format_hash(XXH128_hash_t h, char out[ETAG_SIZE])
{
    snprintf(out, ETAG_SIZE, "\"%016" PRIx64 "%016" PRIx64 "\"", (uint64_t)h.high64, (uint64_t)h.low64);
}

void etag_from_bytes(const void *data, size_t len, char out[ETAG_SIZE])
{
    format_hash(XXH3_128bits(data, len), out);
}

void etag_from_stat(const struct stat *st, char out[ETAG_SIZE])
{
    snprintf(out, ETAG_SIZE, "\"%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st->st_size,
             (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec);
}

/* True when fstat(fd) still describes the file *st described. */
static bool unchanged_since(int fd, const struct stat *st)
{
    struct stat now;
    return fstat(fd, &now) == 0 && now.st_size == st->st_size && now.st_mtim.tv_sec == st->st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == st->st_mtim.tv_nsec && now.st_ctim.tv_sec == st->st_ctim.tv_sec &&
           now.st_ctim.tv_nsec == st->st_ctim.tv_nsec;
}

bool etag_from_file(int fd, const struct stat *st, char out[ETAG_SIZE])
{
    bool whole = false;
    XXH3_state_t *state = XXH3_createState();
    if (state == NULL || XXH3_128bits_reset(state) == XXH_ERROR)
        goto done;
    char chunk[ETAG_READ_CHUNK];
    off_t off = 0;
    while (off < st->st_size) {
        ssize_t n = pread(fd, chunk, sizeof(chunk), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto done; /* an error, or shorter than its size: truncated meanwhile */
        if (XXH3_128bits_update(state, chunk, (size_t)n) == XXH_ERROR)
            goto done;
        off += n;
    }
    whole = unchanged_since(fd, st);
done:
    if (whole)
        format_hash(XXH3_128bits_digest(state), out);
    else
        etag_from_stat(st, out);
    XXH3_freeState(state);
    return whole;
}

/*
 * compress.h - gzip variants of files, made once and kept per worker.
 *
 * A client that accepts gzip asks for the same few text files again and
 * again; compressing each answer anew would cost far more CPU than sending
 * it.  The cache compresses a file (libdeflate) the first time and keeps the
 * result, keyed by the file's identity: device, inode, size, mtime to the
 * nanosecond and ctime, so a file replaced or rewritten in place is a new
 * key and is compressed again (the old entry ages out), even when the
 * rewrite kept its size and mtime (cp -p, rsync --inplace, touch -r:
 * user space can set the mtime, never the ctime).  After reading a file
 * the cache fstat()s it again: a file that changed meanwhile is sent as it
 * is and nothing is kept (COMPRESS_UNSTABLE).  Memory is bounded by bytes and
 * by entries; the least recently used entries go first.  A small result is
 * kept in memory (sent with the head); a larger one in a sealed memfd, which
 * the reply sends with sendfile() through its own duplicate descriptor, so
 * evicting an entry never cuts a send in progress.
 */
#ifndef OTU_COMPRESS_H
#define OTU_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * Most entries per worker, negative ones included: a site's hot text files.
 * A lookup scans them linearly (a few comparisons each), which at this
 * count stays well under a microsecond beside a request's system calls.
 */
#define COMPRESS_ENTRIES_MAX 512
/* Longest name in the debug line of a compression (the rest is cut). */
#define COMPRESS_LOG_NAME_MAX 200
/* Room for --compress-types: a few dozen media types, comma-separated. */
#define COMPRESS_TYPES_MAX 512
/* Most bytes one file may have to be compressed on the fly: 16 MiB takes about 0.3 s at level 6. */
#define COMPRESS_MAX_SIZE_LIMIT (16L * 1024 * 1024)
/* Most compressed bytes a worker may keep: 1 GiB. */
#define COMPRESS_CACHE_LIMIT (1024L * 1024 * 1024)

enum compress_mode {
    COMPRESS_MODE_OFF = 0, /* --compress off */
    COMPRESS_MODE_GZIP     /* --compress gzip */
};

/* The settings (--compress-*). */
struct compress_config {
    int mode;                       /* enum compress_mode */
    char types[COMPRESS_TYPES_MAX]; /* media types compressed, comma-separated; "type/" + "*" a prefix */
    int min_size;                   /* smaller files go out as they are (bytes) */
    int max_size;                   /* larger ones too: bounds one compression's time (bytes) */
    int cache_size;                 /* compressed bytes kept per worker */
    int level;                      /* libdeflate level, 1..12 */
};

/*
 * Adds one --compress-types item, type/subtype or type/ + "*" (every
 * subtype), to the struct compress_config at cc.  Returns 0, or -1 with
 * what is allowed in why.
 */
int compress_type_parse(void *cc, const char *item, char *why, size_t whylen);

/* Forgets the types of the struct compress_config at cc. */
void compress_types_clear(void *cc);

/* Where the gzip bytes of one variant are: in memory or in a descriptor. */
struct compress_variant {
    const char *data; /* the gzip stream in memory (small results), or NULL */
    int fd;           /* a sealed memfd holding it (owned by the cache), or -1 */
    int64_t len;      /* its length in bytes */
};

enum compress_outcome {
    COMPRESS_HIT,     /* served from the cache */
    COMPRESS_MADE,    /* compressed now, and kept */
    COMPRESS_NONE,    /* no variant: send the file as it is */
    COMPRESS_UNSTABLE /* the file changed while it was read: send it as it is; nothing kept */
};

struct compress_cache;

/*
 * Makes a cache holding at most cap_bytes of compressed data, keeping
 * results of up to inline_max bytes in memory and larger ones in memfds;
 * level is libdeflate's, 1..12.  Returns NULL when memory ran out.
 */
struct compress_cache *compress_cache_new(size_t cap_bytes, size_t inline_max, int level);

/* Frees the cache: its memory and descriptors. */
void compress_cache_free(struct compress_cache *cc);

/*
 * The gzip variant of the regular file st describes, whose st_size bytes
 * are at data (when the caller holds them) or else read from fd with
 * pread(): from the cache (COMPRESS_HIT), or compressed now and kept
 * (COMPRESS_MADE, logged at debug with name, sizes and time).  Gives
 * COMPRESS_NONE when there is nothing better to send: the result would not
 * be smaller, or not fit in the cache (both remembered, so the file is not
 * compressed again), or reading, memory or a descriptor failed (not
 * remembered: the next request tries again).  Gives COMPRESS_UNSTABLE (no
 * variant, nothing remembered; the caller counts it) when fd's fstat() after the read no
 * longer matches st's size, mtime and ctime (fd -1: no such check).  *v is valid until the next
 * call (a later compression may evict it); its fd is the cache's: dup it.
 */
enum compress_outcome compress_get(struct compress_cache *cc, const struct stat *st, const char *data, int fd,
                                   const char *name, struct compress_variant *v);

/* Bytes of compressed data the cache holds now. */
size_t compress_cache_bytes(const struct compress_cache *cc);

/*
 * True when the media type (parameters after ';' ignored, compared without
 * case) is in list: comma-separated types, where "text/" followed by "*" takes every type
 * starting with "text/".
 */
bool compress_type_listed(const char *list, const char *type);

#endif

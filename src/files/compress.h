/*
 * compress.h - zstd, br and gzip variants of files, made once and kept:
 * per server in a shared directory, or per worker in memory.
 *
 * A client that accepts a coding asks for the same few text files again
 * and again; compressing each answer anew would cost far more CPU than
 * sending it.  The cache compresses a file the first time and keeps the
 * result, keyed by the file's identity: device, inode, size, mtime to the
 * nanosecond and ctime, so a file replaced or rewritten in place is a new
 * key and is compressed again (the old entry ages out), even when the
 * rewrite kept its size and mtime (cp -p, rsync --inplace, touch -r:
 * user space can set the mtime, never the ctime); and by coding and level.
 * After reading a file the cache fstat()s it again: a file that changed
 * meanwhile is sent as it is and nothing is kept (COMPRESS_UNSTABLE).
 *
 * With --compress-cache-dir the results are files every worker shares
 * (compress_dir.h): a file is compressed once per server, within one
 * server-wide budget.  Without it (or when the directory is not writable)
 * each worker keeps its own in memory, bounded by bytes and by entries,
 * least recently used first: a small result in memory, a larger one in a
 * sealed memfd, which the reply sends with sendfile() through its own
 * duplicate descriptor, so evicting an entry never cuts a send in progress.
 *
 * No loop turn compresses more than COMPRESS_TURN_BUDGET bytes: a larger
 * file (or one past what the turn has left) is compressed by a child
 * process into the directory while the worker answers with the file as it
 * is (COMPRESS_STARTED); the variant is served once it is there.  Without a
 * directory such a file goes out as it is.
 */
#ifndef OTU_COMPRESS_H
#define OTU_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "encoder.h"

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
/* Most bytes one file may have to be compressed on the fly: 1 GiB (mapped by a child, never read whole by a worker). */
#define COMPRESS_MAX_SIZE_LIMIT (1024L * 1024 * 1024)
/* Most compressed bytes kept (per worker in memory, or the directory's server-wide budget): 1 GiB. */
#define COMPRESS_CACHE_LIMIT (1024L * 1024 * 1024)
/*
 * Most bytes a worker compresses in one loop turn: 1 MiB costs about 20 ms
 * at gzip 6 or br 5 and 3 ms at zstd 3 (measured on /work/shared/httptest's
 * text), the pause the old 1 MiB --compress-max-size allowed.  A larger
 * file goes to a child process.
 */
#define COMPRESS_TURN_BUDGET (1024L * 1024)
/* Children compressing at once per worker: each holds a CPU; more wait (the file goes out as it is meanwhile). */
#define COMPRESS_JOBS_MAX 2
/* Room for --compress-cache-dir. */
#define COMPRESS_DIR_PATH_MAX 256

/* The settings (--compress-*). */
struct compress_config {
    int codings[CODING_COUNT];             /* offered codings (enum coding), the server's preference first */
    int n_codings;                         /* how many: 0 = --compress off */
    int levels[CODING_COUNT];              /* each coding's level (--compress-level) */
    char types[COMPRESS_TYPES_MAX];        /* media types compressed, comma-separated; "type/" + "*" a prefix */
    int min_size;                          /* smaller files go out as they are (bytes) */
    int max_size;                          /* larger ones too (bytes) */
    int cache_size;                        /* compressed bytes kept: server-wide in the directory, else per worker */
    char cache_dir[COMPRESS_DIR_PATH_MAX]; /* the shared directory, "" = none */
};

/*
 * Adds one --compress item, a coding (zstd, br, gzip) in the server's
 * preference, or "off" alone, to the struct compress_config at cc.  Returns
 * 0, or -1 with what is allowed in why.
 */
int compress_coding_parse(void *cc, const char *item, char *why, size_t whylen);

/* Forgets the --compress codings of the struct compress_config at cc. */
void compress_codings_clear(void *cc);

/*
 * Reads one --compress-level item, CODING=LEVEL (zstd 1..19, br 0..9,
 * gzip 1..12; a bare LEVEL is gzip's, the option's older form), into the struct compress_config at cc.  Returns 0, or -1
 * with what is allowed in why.
 */
int compress_level_parse(void *cc, const char *item, char *why, size_t whylen);

/* Sets the levels of the struct compress_config at cc back to zstd=3, br=5, gzip=6. */
void compress_levels_reset(void *cc);

/*
 * Adds one --compress-types item, type/subtype or type/ + "*" (every
 * subtype), to the struct compress_config at cc.  Returns 0, or -1 with
 * what is allowed in why.
 */
int compress_type_parse(void *cc, const char *item, char *why, size_t whylen);

/* Forgets the types of the struct compress_config at cc. */
void compress_types_clear(void *cc);

/* Where the bytes of one variant are: in memory or in a descriptor. */
struct compress_variant {
    const char *data; /* the coded stream in memory (small results), or NULL */
    int fd;           /* a descriptor holding it (owned by the cache), or -1 */
    int64_t len;      /* its length in bytes */
    int evicted;      /* results the lookup's trims removed (counted in the metrics) */
};

enum compress_outcome {
    COMPRESS_HIT,      /* served from the cache */
    COMPRESS_MADE,     /* compressed now, and kept */
    COMPRESS_NONE,     /* no variant: send the file as it is */
    COMPRESS_UNSTABLE, /* the file changed while it was read: send it as it is; nothing kept */
    COMPRESS_STARTED,  /* too big for this turn: a child compresses it; send the file as it is */
    COMPRESS_PENDING   /* another process is compressing it: send the file as it is */
};

/* What to look up: one file in one coding. */
struct compress_request {
    int coding;            /* enum coding */
    int level;             /* its level */
    const struct stat *st; /* the file */
    const char *data;      /* its st_size bytes when the caller holds them, or NULL */
    int fd;                /* else read from here (pread), and fstat()ed again after */
    const char *name;      /* for the debug log */
    int64_t turn;          /* the loop turn (any value that changes between turns) */
};

struct compress_cache;

/*
 * Makes a cache: in the directory cfg->cache_dir when it is set and
 * writable (*dir_ok true), else in memory, cfg->cache_size bytes per
 * worker, keeping results of up to inline_max bytes in memory and larger
 * ones in memfds.  Returns NULL when memory ran out.
 */
struct compress_cache *compress_cache_new(const struct compress_config *cfg, size_t inline_max, bool *dir_ok);

/* Frees the cache: its memory and descriptors (children at work finish on their own). */
void compress_cache_free(struct compress_cache *cc);

/*
 * The variant of the regular file rq describes in rq's coding: from the
 * cache (COMPRESS_HIT), or compressed now and kept (COMPRESS_MADE, logged
 * at debug with name, sizes and time), or handed to a child when the turn
 * has no room for it (COMPRESS_STARTED), or under way elsewhere
 * (COMPRESS_PENDING).  Gives COMPRESS_NONE when there is nothing better to
 * send: the result would not be smaller, or not fit in the cache (both
 * remembered), or reading, memory or a descriptor failed (not remembered).
 * Gives COMPRESS_UNSTABLE (nothing remembered) when rq->fd's fstat() after
 * the read no longer matches st's size, mtime and ctime (fd -1: no such
 * check).  *v is valid until the next call; its fd is the cache's: dup it.
 */
enum compress_outcome compress_get(struct compress_cache *cc, const struct compress_request *rq,
                                   struct compress_variant *v);

/* Bytes of compressed data the cache holds now in memory (0 with a directory: see the directory). */
size_t compress_cache_bytes(const struct compress_cache *cc);

/* The most bytes any one loop turn compressed so far (never above COMPRESS_TURN_BUDGET). */
int64_t compress_turn_bytes_max(const struct compress_cache *cc);
/*
 * True when the media type (parameters after ';' ignored, compared without
 * case) is in list: comma-separated types, where "text/" followed by "*" takes every type
 * starting with "text/".
 */
bool compress_type_listed(const char *list, const char *type);

#endif

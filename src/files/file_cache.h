/*
 * file_cache.h - remembered answers to "open this name under the root".
 *
 * A worker asks for the same few files again and again.  The cache keeps,
 * per name, the open descriptor, its stat, the validators (ETag and
 * Last-Modified, formatted once) and, for small files, the contents, so a
 * request for a hot file costs no open(), fstat(), read() or close().  Misses
 * (404, 403) are remembered too, which matters for precompressed siblings
 * that do not exist.  An answer is trusted for FILE_CACHE_VALID_MS; after that
 * the next request opens the name again and keeps the new answer if the file
 * changed (inode, size, mtime or ctime), like nginx's open_file_cache.  In
 * between, an entry used FILE_CACHE_STAT_MS after its last check has its held
 * descriptor fstat()ed: a file rewritten or truncated in place (same inode,
 * same name) shows within that, not after the full second.  A
 * passing failure (FILE_STATUS_BUSY: out of descriptors or memory) is never
 * remembered: the next lookup of that name tries again.  file_cache_sweep(),
 * run on the worker's timer, closes what is no longer worth holding: entries
 * unused for FILE_CACHE_IDLE_MS, and files deleted since they were opened,
 * whose descriptors would otherwise pin their disk space.
 */
#ifndef OTU_FILE_CACHE_H
#define OTU_FILE_CACHE_H

#include "etag.h"
#include "file.h"
#include "http_date.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* How long a remembered answer is trusted: changes on disk show within this. */
#define FILE_CACHE_VALID_MS 1000
/*
 * How long the held descriptor's fstat() is trusted: in-place rewrites and
 * truncations show within this.  One fstat() per hot file per interval, so a
 * hit still costs no system call most of the time.
 */
#define FILE_CACHE_STAT_MS 100
/* An entry unused this long is dropped by the sweep (its descriptor closed). */
#define FILE_CACHE_IDLE_MS 5000
/* Descriptors one sweep may fstat() or close: a sweep stays a cheap pass. */
#define FILE_CACHE_SWEEP_MAX 32
/* Files up to this size are also kept in memory and sent with their head. */
#define FILE_CACHE_DATA_MAX ((size_t)12 * 1024)
/* Memory for file contents, per worker. */
#define FILE_CACHE_DATA_TOTAL ((size_t)4 * 1024 * 1024)
/* Names one request may look at: file, fallback, up to four index names, sibling, error page */
#define FILE_CACHE_REQUEST_NAMES 8
/* Fewest entries: every name of one request is held at once, with room to spare. */
#define FILE_CACHE_MIN_ENTRIES 16
_Static_assert(FILE_CACHE_MIN_ENTRIES > FILE_CACHE_REQUEST_NAMES, "a request's names must fit");

/* What the cache knows about one name. */
struct file_info {
    int status;                            /* 0 when open, else 403, 404, 500 or FILE_STATUS_BUSY */
    int fd;                                /* the open file or directory (owned by the cache), or -1 */
    struct stat st;                        /* its fstat() when status is 0 */
    const char *data;                      /* the whole contents (small regular files), or NULL */
    char etag[ETAG_SIZE];                  /* strong ETag of a regular file, quotes included (etag.h) */
    char last_modified[HTTP_DATE_LEN + 1]; /* its Last-Modified */
};

struct file_cache;

/*
 * Makes a cache of 'entries' names (at least FILE_CACHE_MIN_ENTRIES) over an
 * opened root.  With remember false every lookup opens the name again (the
 * cache then only holds the last answers for their descriptors).  A regular
 * file up to etag_hash_max bytes gets an ETag from its contents, hashed once
 * per version of the file (etag.h); a larger one, and every file when
 * remember is false (each lookup would hash again), one from its size and
 * mtime.  Returns NULL when memory ran out.
 */
struct file_cache *file_cache_new(const struct file_root *root, size_t entries, bool remember, int64_t etag_hash_max);

/*
 * Opens a request scope: every entry file_cache_get() returns until
 * file_cache_end() is pinned - not evicted, not closed to recover from
 * EMFILE, not reloaded - so the file_info pointers and the contents they
 * point to stay valid for the whole request and its reply, however many
 * names it looks at.  Opening a scope ends the one before (scopes do not nest).
 */
void file_cache_begin(struct file_cache *fc);

/* Closes the request scope: the pins are gone, every pointer handed out may go stale. */
void file_cache_end(struct file_cache *fc);

/*
 * Returns what opening rel (relative, no leading '/') under the root gives,
 * from memory when it is fresh.  now_ms is a monotonic clock reading.  Inside
 * a scope (file_cache_begin) the pointer stays valid until file_cache_end();
 * outside one, until the next lookup.  A name looked up twice in one scope
 * gives the same answer.  file_cache_sweep(), _flush() and _forget() are for
 * between requests.
 */
const struct file_info *file_cache_get(struct file_cache *fc, const char *rel, int64_t now_ms);

/*
 * Drops every entry holding the file (dev, ino), closing its descriptor: the
 * next lookup of those names opens them again.  For a file found to differ
 * from what the cache said (shorter than its size while being sent).
 */
void file_cache_forget(struct file_cache *fc, dev_t dev, ino_t ino);

/*
 * Housekeeping, for a timer (every few hundred ms): drops entries unused for
 * FILE_CACHE_IDLE_MS, least recently used first, and checks a few held
 * descriptors in turn, dropping those whose file has no link left (deleted
 * or replaced).  At most FILE_CACHE_SWEEP_MAX fstat()s and closes per call.
 * Invalidates file_info pointers: never call it while one is in use.
 */
void file_cache_sweep(struct file_cache *fc, int64_t now_ms);

/*
 * Drops every entry (the document root changed: every answer may differ).
 * Invalidates file_info pointers, like file_cache_sweep().
 */
void file_cache_flush(struct file_cache *fc);

/* Closes every descriptor and frees the cache. */
void file_cache_free(struct file_cache *fc);

#endif

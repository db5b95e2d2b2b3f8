/*
 * etag.h - a file's strong entity tag, the same on every replica.
 *
 * Behind a load balancer the replicas hold copies of one tree: the same bytes
 * under different inodes and, often, different modification times.  An ETag
 * made from the inode (as it was) differs between them, so a revalidation
 * that reaches another replica gets the whole body again.  The tag is
 * therefore made from the contents: XXH3-128 (libxxhash) over the file's
 * bytes, 32 hex digits, computed once per version of the file (the file
 * cache keeps it with the entry).  Files larger than the configured limit,
 * and every file when nothing is remembered, get a tag from the size and the
 * modification time (no inode): equal on replicas whose copies kept their
 * mtimes (cp -p, rsync -t, an image layer).
 */
#ifndef OTU_ETAG_H
#define OTU_ETAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Room for a tag with its quotes and the NUL: "32 hex digits" (content), or "size-mtime" in hex. */
#define ETAG_SIZE 40
/* The default --etag-hash-max: files up to 16 MiB are hashed (a few ms once per version). */
#define ETAG_HASH_MAX_DEFAULT ((int64_t)16 * 1024 * 1024)

/* Writes the content tag of the len bytes at data into out. */
void etag_from_bytes(const void *data, size_t len, char out[ETAG_SIZE]);

/*
 * Writes the content tag of the open regular file fd, whose fstat() is *st,
 * reading it from the start with pread().  Returns true; false when the file
 * could not be read whole or changed while it was read (its size, mtime or
 * ctime moved): out then holds etag_from_stat()'s tag, which a later look at
 * the settled file replaces.
 */
bool etag_from_file(int fd, const struct stat *st, char out[ETAG_SIZE]);

/* Writes the tag made of st's size and modification time (to the nanosecond) into out. */
void etag_from_stat(const struct stat *st, char out[ETAG_SIZE]);

#endif

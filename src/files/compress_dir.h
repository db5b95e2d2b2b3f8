/*
 * compress_dir.h - compressed results shared by every worker, as files in
 * one directory (--compress-cache-dir).
 *
 * A result is a file named from its source's identity (device, inode,
 * size, mtime and ctime to the nanosecond), the coding and the level: a
 * file replaced or rewritten in place is a new name.  A writer takes
 * NAME.tmp under an exclusive flock(), writes it and rename()s it to NAME,
 * so a reader only ever opens whole results; a writer that dies leaves an
 * unlocked NAME.tmp that the next writer takes over (or a trim removes),
 * and a second worker finding NAME.tmp locked knows the work is under way
 * and does not repeat it.  An empty result means "no gain: send the file as
 * it is".  The directory's budget is server-wide: after each write, a trim
 * removes the least recently used results (by mtime, which a hit renews at
 * most every COMPRESS_DIR_TOUCH_S) until the results fit, each counted at
 * least one page (an empty marker costs an inode and a page on tmpfs).
 */
#ifndef OTU_COMPRESS_DIR_H
#define OTU_COMPRESS_DIR_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* Room for a result's name: six numbers in hex/decimal, the level and the coding. */
#define COMPRESS_DIR_NAME_MAX 160
/* A hit renews its result's mtime (the LRU order) at most this often: one write per file per 10 s. */
#define COMPRESS_DIR_TOUCH_S 10
/* What one result costs the budget at least: a page (tmpfs's unit). */
#define COMPRESS_DIR_UNIT 4096

struct compress_dir;

/*
 * Opens the directory path for results within budget bytes.  NULL (errno
 * set) when it is missing, not a directory, or not writable (a probe file
 * is created and removed).
 */
struct compress_dir *compress_dir_open(const char *path, int64_t budget);

/* The directory's budget in bytes: a larger result is not kept (the trim would remove it at once). */
int64_t compress_dir_budget(const struct compress_dir *d);

/* The directory's descriptor (a child keeps it open). */
int compress_dir_fd(const struct compress_dir *d);

/* Closes it (the files stay). */
void compress_dir_close(struct compress_dir *d);

/* Writes the result name for the file st describes, coded with coding (a name) at level, into out. */
void compress_dir_name(char *out, size_t cap, const struct stat *st, const char *coding, int level);

/*
 * Opens the result name: its descriptor, with its length in *len (0: the
 * "no gain" marker), or -1 when there is none.  A hit older than
 * COMPRESS_DIR_TOUCH_S has its mtime set to now.
 */
int compress_dir_find(struct compress_dir *d, const char *name, int64_t *len);

/*
 * Takes name's temporary file for writing: its descriptor, locked and
 * empty; or -1, errno EWOULDBLOCK when another process is writing it.
 */
int compress_dir_claim(struct compress_dir *d, const char *name);

/*
 * Writes the len bytes at data to fd (from compress_dir_claim), renames it
 * to name and closes fd.  Returns 0, or -1 (the temporary file removed).
 */
int compress_dir_publish(struct compress_dir *d, const char *name, int fd, const void *data, size_t len);

/* Gives up name's temporary file fd: removes it and closes fd. */
void compress_dir_abandon(struct compress_dir *d, const char *name, int fd);

/*
 * Keeps the directory within its budget: removes the least recently used
 * results until the rest fit, and temporary files no process holds.
 * Returns the number of results removed.
 */
int compress_dir_trim(struct compress_dir *d);

#endif

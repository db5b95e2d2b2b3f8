/*
 * file.h - open files under the document root and never outside it.
 *
 * Uses openat2(RESOLVE_BENEATH), which lets the kernel refuse any path,
 * symlink or ".." that would leave the root, in one system call and with
 * no race.  Whether openat2 works is decided once, by a probe when the root
 * is opened; where the kernel or a seccomp profile lacks it, names are
 * resolved by walk_open_beneath() (walk.h), one component at a time from the
 * root's descriptor, with the same answers and no race either.  A later
 * failure of openat2 (an LSM refusing one file) is that file's answer only.
 */
#ifndef OTU_FILE_H
#define OTU_FILE_H

#include <stdbool.h>
#include <sys/stat.h>

/*
 * The status of a passing failure (EMFILE, ENFILE, ENOMEM...): 503, which the
 * client may retry soon and the file cache never remembers.
 */
#define FILE_STATUS_BUSY 503

struct file_root {
    int fd;    /* the root directory, opened O_PATH */
    bool walk; /* openat2 is missing here: resolve with walk_open_beneath() */
};

/*
 * Opens the root directory path (following symlinks in it: a deploy's
 * "current" link is fine) and probes openat2 under it.  Returns 0, or -1
 * with errno set (root->fd is then -1).
 */
int file_root_open(struct file_root *root, const char *path);

/*
 * Opens path again and, when it now names a different directory than the
 * one root holds (another device or inode: a "current" symlink swapped to a
 * new release), puts the new one in its place and probes openat2 under it.
 * Returns 1 when it swapped, 0 when path still names the same directory,
 * or -1 with errno set when path cannot be opened (root is unchanged).
 */
int file_root_refresh(struct file_root *root, const char *path);

/* Closes what file_root_open() opened. */
void file_root_close(struct file_root *root);

/*
 * Opens rel (relative, no leading '/') under the root for reading and
 * fstat()s it into *st.  Returns the descriptor (the caller closes it), or
 * -1 with errno and *status set: 404 for a missing name, 403 for no
 * permission or a path that resolves outside the root, FILE_STATUS_BUSY
 * when the process or the system is out of descriptors or memory, 500 for
 * anything else.
 */
int file_open_beneath(const struct file_root *root, const char *rel, struct stat *st, int *status);

#endif

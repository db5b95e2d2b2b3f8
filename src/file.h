/*
 * file.h - open files under the document root and never outside it.
 *
 * Uses openat2(RESOLVE_BENEATH), which lets the kernel refuse any path,
 * symlink or ".." that would leave the root, in one system call and with
 * no race.  Where the kernel or a seccomp profile lacks openat2, it falls
 * back to realpath() and a prefix check.
 */
#ifndef OTU_FILE_H
#define OTU_FILE_H

#include <sys/stat.h>

struct file_root {
    int fd;             /* the root directory, opened O_PATH */
    char abs[4096];     /* its canonical absolute path, for the fallback */
    int abs_len;        /* strlen(abs) */
};

/* Opens the root directory.  Returns 0, or -1 with errno set. */
int file_root_open(struct file_root *root, const char *path);

/* Closes what file_root_open() opened. */
void file_root_close(struct file_root *root);

/*
 * Opens rel (relative, no leading '/') under the root for reading and
 * fstat()s it into *st.  Returns the descriptor (the caller closes it), or
 * -1 with *status set: 404 for a missing name, 403 for no permission or a
 * path that resolves outside the root, 500 for anything else.
 */
int file_open_beneath(const struct file_root *root, const char *rel, struct stat *st, int *status);

#endif

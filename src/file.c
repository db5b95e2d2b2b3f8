/*
 * file.c - see file.h.
 */
#include "compat.h"

#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Not every libc's headers know openat2 yet (musl's do not ship linux/openat2.h). */
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define OTU_RESOLVE_NO_MAGICLINKS 0x02 /* no /proc/self/fd-style jumps */
#define OTU_RESOLVE_BENEATH       0x08 /* every step stays under the dirfd */

/* The kernel reads these fields through syscall(); cppcheck cannot see that. */
struct otu_open_how {
    // cppcheck-suppress unusedStructMember
    uint64_t flags;
    // cppcheck-suppress unusedStructMember
    uint64_t mode;
    // cppcheck-suppress unusedStructMember
    uint64_t resolve;
};

/* Flags for every file we serve: never block on a FIFO, never become a tty. */
#define FILE_OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

static int openat2_missing; /* set once openat2 proved unavailable */

int file_root_open(struct file_root *root, const char *path)
{
    root->fd = -1;
    if (realpath(path, root->abs) == NULL)
        return -1;
    root->abs_len = (int)strlen(root->abs);
    if (root->abs_len == 1)
        root->abs_len = 0; /* root "/": every absolute path is inside */
    root->fd = open(root->abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return root->fd < 0 ? -1 : 0;
}

void file_root_close(struct file_root *root)
{
    if (root->fd >= 0)
        close(root->fd);
    root->fd = -1;
}

/* Maps an open()/stat() errno to the status we answer. */
static int status_for_errno(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
    case ELOOP:
        return 404;
    case EACCES:
    case EPERM:
    case EXDEV: /* RESOLVE_BENEATH: the path leads out of the root */
        return 403;
    default:
        return 500;
    }
}

/* The fallback: resolve every symlink ourselves and check the prefix. */
static int open_checked_by_realpath(const struct file_root *root, const char *rel)
{
    char joined[PATH_MAX * 2], resolved[PATH_MAX];
    snprintf(joined, sizeof(joined), "%s/%s", root->abs_len ? root->abs : "", rel);
    if (realpath(joined, resolved) == NULL)
        return -1;
    size_t n = (size_t)root->abs_len;
    if (strncmp(resolved, root->abs, n) != 0 || (resolved[n] != '/' && resolved[n] != '\0')) {
        errno = EXDEV;
        return -1;
    }
    return open(resolved, FILE_OPEN_FLAGS);
}

int file_open_beneath(const struct file_root *root, const char *rel, struct stat *st, int *status)
{
    int fd = -1;
    if (!openat2_missing) {
        struct otu_open_how how = {FILE_OPEN_FLAGS, 0,
                                   OTU_RESOLVE_BENEATH | OTU_RESOLVE_NO_MAGICLINKS};
        do {
            fd = (int)syscall(SYS_openat2, root->fd, rel, &how, sizeof(how));
        } while (fd < 0 && errno == EINTR);
        /* ENOSYS: a kernel before 5.6; EPERM: a seccomp profile that predates openat2
         * (a plain permission problem is EACCES, so EPERM is not lost). */
        if (fd < 0 && (errno == ENOSYS || errno == EPERM))
            openat2_missing = 1;
    }
    if (openat2_missing)
        fd = open_checked_by_realpath(root, rel);
    if (fd < 0) {
        *status = status_for_errno(errno);
        return -1;
    }
    if (fstat(fd, st) < 0) {
        *status = 500;
        close(fd);
        return -1;
    }
    return fd;
}

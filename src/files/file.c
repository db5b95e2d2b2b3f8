/*
 * file.c - see file.h.
 */
#include "compat.h"

#include "file.h"

#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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

/*
 * Tries per open when openat2 says EAGAIN: a rename or mount somewhere on the
 * system raced a ".." in the lookup, and the kernel asks for a retry.
 */
#define FILE_OPENAT2_TRIES 4

/* openat2 with the confinement we want: the kernel stays beneath dirfd. */
static int open_beneath_openat2(int dirfd, const char *rel, int flags)
{
    struct otu_open_how how = {(uint64_t)flags, 0, OTU_RESOLVE_BENEATH | OTU_RESOLVE_NO_MAGICLINKS};
    int fd;
    int tries = 0;
    do {
        fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
    } while (fd < 0 && (errno == EINTR || (errno == EAGAIN && ++tries < FILE_OPENAT2_TRIES)));
    return fd;
}

/*
 * True when openat2 works under dirfd.  Any failure to open the root itself
 * counts as "missing" (ENOSYS: a kernel before 5.6; EPERM or ENOSYS: a
 * seccomp profile that predates it): the walk is correct everywhere, openat2
 * is the fast path.
 */
static bool openat2_works(int dirfd)
{
    int fd = open_beneath_openat2(dirfd, ".", O_PATH | O_CLOEXEC);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

int file_root_open(struct file_root *root, const char *path)
{
    root->walk = false;
    root->fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root->fd < 0)
        return -1;
    root->walk = !openat2_works(root->fd);
    return 0;
}

int file_root_refresh(struct file_root *root, const char *path)
{
    int rc = -1;
    struct stat held, named;
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &named) < 0 || fstat(root->fd, &held) < 0)
        goto done;
    rc = 0;
    if (named.st_dev == held.st_dev && named.st_ino == held.st_ino)
        goto done;
    close(root->fd);
    root->fd = fd;
    root->walk = !openat2_works(fd);
    fd = -1;
    rc = 1;
done:
    if (fd >= 0)
        otu_close_keep_errno(fd);
    return rc;
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
    case ELOOP: return 404;
    case EACCES:
    case EPERM:
    case EXDEV: /* RESOLVE_BENEATH or the walk: the path leads out of the root */ return 403;
    case EMFILE: /* out of descriptors or memory: passes when connections close */
    case ENFILE:
    case ENOMEM:
    case ENOBUFS:
    case EAGAIN: /* openat2 still racing renames after its retries */
    case EINTR: return FILE_STATUS_BUSY;
    default: return 500;
    }
}

int file_open_beneath(const struct file_root *root, const char *rel, struct stat *st, int *status)
{
    int fd = root->walk ? walk_open_beneath(root->fd, rel, FILE_OPEN_FLAGS)
                        : open_beneath_openat2(root->fd, rel, FILE_OPEN_FLAGS);
    if (fd < 0) {
        *status = status_for_errno(errno);
        return -1;
    }
    if (fstat(fd, st) < 0) {
        int err = errno;
        *status = status_for_errno(err);
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

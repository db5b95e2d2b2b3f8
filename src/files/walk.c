/*
 * walk.c - see walk.h.
 */
#include "compat.h"

#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Room for what is left to walk: the rest of the path plus one link target. */
#define WALK_PATH_ROOM (2 * PATH_MAX)

/* How each directory on the way is opened: a handle only, never a symlink. */
#define WALK_DIR_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* What a look at one name found when opening it refused (ELOOP or ENOTDIR). */
enum peek {
    PEEK_LINK,    /* a symlink: its target is in the buffer */
    PEEK_OTHER,   /* not a symlink, and not what was needed */
    PEEK_CHANGED, /* the name changed kind since the open: look again */
    PEEK_ERROR    /* errno says why */
};

/*
 * Looks at name in dir after an open refused it with err: reads the target
 * (NUL-terminated, into target[cap]) when it is a symlink.  The link is read
 * through an O_PATH descriptor of the link itself, so the target is the one
 * of the link we found, whatever is renamed meanwhile.
 */
static enum peek peek_link(int dir, const char *name, int err, char *target, size_t cap)
{
    enum peek what = PEEK_ERROR;
    struct stat st;
    int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        goto done;
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlinkat(fd, "", target, cap);
        if (n < 0)
            goto done;
        if ((size_t)n >= cap) {
            errno = ENAMETOOLONG;
            goto done;
        }
        target[n] = '\0';
        what = PEEK_LINK;
    } else if (err == ENOTDIR && !S_ISDIR(st.st_mode)) {
        what = PEEK_OTHER; /* a file where a directory was needed */
    } else {
        what = PEEK_CHANGED; /* swapped between the two opens */
    }
done:
    if (fd >= 0)
        otu_close_keep_errno(fd);
    return what;
}

/*
 * Longer than the house limit on purpose: the walk is one loop over a stack
 * of held directories, a queue of names still to open and a hop count, and
 * every security property (never above the start, never an absolute link,
 * at most WALK_HOPS_MAX hops, every descriptor closed on every path) is a
 * statement about that loop as a whole.  Split, the invariants would be
 * spread over functions that each look harmless; whole, it reads and is
 * fuzzed (fuzz/fuzz_walk.c) as one.
 */
int walk_open_beneath(int dirfd, const char *path, int flags) // NOLINT(readability-function-size): see above
{
    int stack[WALK_DEPTH_MAX]; /* directories walked into; the top is the current one */
    int depth = 0;
    int hops = 0;
    int result = -1;
    int err = 0;
    char rest[WALK_PATH_ROOM]; /* the path still to walk, from pos */
    char name[NAME_MAX + 1];
    char target[PATH_MAX];
    size_t len = strlen(path);
    size_t pos = 0;

    flags |= O_CLOEXEC;
    if (len == 0) {
        err = ENOENT;
        goto done;
    }
    if (len >= PATH_MAX) {
        err = ENAMETOOLONG; /* as the kernel says before it looks at anything */
        goto done;
    }
    if (path[0] == '/') {
        err = EXDEV; /* absolute: not beneath anything */
        goto done;
    }
    memcpy(rest, path, len + 1);

    for (;;) {
        while (rest[pos] == '/')
            pos++;
        int cur = depth > 0 ? stack[depth - 1] : dirfd;
        if (rest[pos] == '\0') {
            /* the path ended on ".", "..", or a slash after a directory: open where we are */
            result = openat(cur, ".", flags);
            if (result < 0)
                err = errno;
            goto done;
        }
        size_t start = pos;
        while (rest[pos] != '\0' && rest[pos] != '/')
            pos++;
        size_t nlen = pos - start;
        if (nlen > NAME_MAX) {
            err = ENAMETOOLONG;
            goto done;
        }
        memcpy(name, rest + start, nlen);
        name[nlen] = '\0';
        bool last = rest[pos] == '\0';

        if (strcmp(name, ".") == 0)
            continue;
        if (strcmp(name, "..") == 0) {
            if (depth == 0) {
                err = EXDEV; /* above the start */
                goto done;
            }
            close(stack[--depth]);
            continue;
        }

        int fd = openat(cur, name, last ? (flags | O_NOFOLLOW) : WALK_DIR_FLAGS);
        if (fd >= 0 && last) {
            result = fd;
            goto done;
        }
        if (fd >= 0) {
            if (depth == WALK_DEPTH_MAX) {
                close(fd);
                err = ENAMETOOLONG;
                goto done;
            }
            stack[depth++] = fd;
            continue;
        }
        err = errno;
        if (err != ELOOP && err != ENOTDIR)
            goto done; /* missing, forbidden, out of descriptors... */

        enum peek what = peek_link(cur, name, err, target, sizeof(target));
        if (what == PEEK_OTHER)
            goto done; /* err is ENOTDIR */
        if (what == PEEK_ERROR) {
            err = errno;
            goto done;
        }
        if (++hops > WALK_HOPS_MAX) {
            err = ELOOP; /* a loop, or a name that keeps changing under us */
            goto done;
        }
        if (what == PEEK_CHANGED) {
            pos = start; /* look at the same name again */
            continue;
        }
        if (target[0] == '\0') {
            err = ENOENT;
            goto done;
        }
        if (target[0] == '/') {
            err = EXDEV; /* absolute: refused, as RESOLVE_BENEATH does */
            goto done;
        }
        /* Walk the target from the link's directory, then what followed the link. */
        size_t tlen = strlen(target);
        size_t tail = strlen(rest + pos); /* with its leading '/', if any */
        if (tlen + tail + 1 > sizeof(rest)) {
            err = ENAMETOOLONG;
            goto done;
        }
        memmove(rest + tlen, rest + pos, tail + 1);
        memcpy(rest, target, tlen);
        pos = 0;
        err = 0;
    }

done:
    while (depth > 0)
        close(stack[--depth]);
    if (result < 0)
        errno = err;
    return result;
}

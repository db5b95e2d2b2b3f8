/*
 * compress_dir.c - see compress_dir.h.
 */
#include "compat.h"

#include "compress_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The suffix of a result being written. */
#define TMP_SUFFIX ".tmp"

struct compress_dir {
    int fd;         /* the directory, opened once: every name is relative to it */
    int64_t budget; /* the most bytes its results may take */
};

/* One result as a trim sees it. */
struct dir_entry {
    char name[COMPRESS_DIR_NAME_MAX];
    int64_t cost;  /* its bytes, rounded up to COMPRESS_DIR_UNIT */
    time_t mtime;  /* its last use */
    long mtime_ns; /* ...to the nanosecond: equal seconds still order */
};

struct compress_dir *compress_dir_open(const char *path, int64_t budget)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char probe[64];
    snprintf(probe, sizeof(probe), ".probe-%ld", (long)getpid());
    int p = openat(fd, probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (p < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return NULL;
    }
    close(p);
    unlinkat(fd, probe, 0);
    struct compress_dir *d = malloc(sizeof(*d));
    if (d == NULL) {
        close(fd);
        return NULL;
    }
    d->fd = fd;
    d->budget = budget;
    return d;
}

int64_t compress_dir_budget(const struct compress_dir *d)
{
    return d->budget;
}

int compress_dir_fd(const struct compress_dir *d)
{
    return d->fd;
}

void compress_dir_close(struct compress_dir *d)
{
    if (d == NULL)
        return;
    close(d->fd);
    free(d);
}

void compress_dir_name(char *out, size_t cap, const struct stat *st, const char *coding, int level)
{
    snprintf(out, cap, "%jx-%jx-%jx-%jd.%09ld-%jd.%09ld-%d.%s", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
             (uintmax_t)st->st_size, (intmax_t)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
             (intmax_t)st->st_ctim.tv_sec, (long)st->st_ctim.tv_nsec, level, coding);
}

int compress_dir_find(struct compress_dir *d, const char *name, int64_t *len)
{
    int fd = openat(d->fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    *len = (int64_t)st.st_size;
    if (time(NULL) - st.st_mtime >= COMPRESS_DIR_TOUCH_S)
        (void)futimens(fd, NULL); /* a recent use: the trim keeps it longer */
    return fd;
}

/* Writes the temporary name of name into out. */
static void tmp_name(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s%s", name, TMP_SUFFIX);
}

int compress_dir_claim(struct compress_dir *d, const char *name)
{
    char tmp[COMPRESS_DIR_NAME_MAX + sizeof(TMP_SUFFIX)];
    tmp_name(tmp, sizeof(tmp), name);
    int fd = openat(d->fd, tmp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    struct stat held, now;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        close(fd); /* errno EWOULDBLOCK: another writer has it */
        return -1;
    }
    /* The lock came free: its writer died, or renamed it to name meanwhile (then this is the result). */
    if (fstat(fd, &held) < 0 || fstatat(d->fd, tmp, &now, AT_SYMLINK_NOFOLLOW) < 0 || held.st_ino != now.st_ino ||
        held.st_dev != now.st_dev || ftruncate(fd, 0) < 0) {
        close(fd);
        errno = EWOULDBLOCK; /* done meanwhile: the caller finds it next time */
        return -1;
    }
    return fd;
}

int compress_dir_publish(struct compress_dir *d, const char *name, int fd, const void *data, size_t len)
{
    char tmp[COMPRESS_DIR_NAME_MAX + sizeof(TMP_SUFFIX)];
    tmp_name(tmp, sizeof(tmp), name);
    const char *p = data;
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            compress_dir_abandon(d, name, fd);
            return -1;
        }
        done += (size_t)n;
    }
    if (renameat(d->fd, tmp, d->fd, name) < 0) {
        compress_dir_abandon(d, name, fd);
        return -1;
    }
    close(fd); /* the lock goes with it: a waiter's claim finds the name moved */
    return 0;
}

void compress_dir_abandon(struct compress_dir *d, const char *name, int fd)
{
    char tmp[COMPRESS_DIR_NAME_MAX + sizeof(TMP_SUFFIX)];
    tmp_name(tmp, sizeof(tmp), name);
    unlinkat(d->fd, tmp, 0);
    close(fd);
}

/* Oldest first: the least recently used result goes first. */
static int by_mtime(const void *a, const void *b)
{
    const struct dir_entry *x = a, *y = b;
    if (x->mtime != y->mtime)
        return x->mtime < y->mtime ? -1 : 1;
    return (x->mtime_ns > y->mtime_ns) - (x->mtime_ns < y->mtime_ns);
}

/* Removes the temporary file name when no writer holds it (its writer died). */
static void drop_orphan(struct compress_dir *d, const char *name)
{
    int fd = openat(d->fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        unlinkat(d->fd, name, 0);
    close(fd);
}

/* Reads the results of d into a new array (*n of them) and their total cost; orphaned temp files go. */
static struct dir_entry *list_results(struct compress_dir *d, size_t *n, int64_t *total)
{
    *n = 0;
    *total = 0;
    int dup_fd = dup(d->fd);
    DIR *dir = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (dir == NULL) {
        if (dup_fd >= 0)
            close(dup_fd);
        return NULL;
    }
    rewinddir(dir);
    size_t cap = 0;
    struct dir_entry *v = NULL;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        struct stat st;
        if (de->d_name[0] == '.' || len >= COMPRESS_DIR_NAME_MAX)
            continue;
        if (len > 4 && strcmp(de->d_name + len - 4, TMP_SUFFIX) == 0) {
            drop_orphan(d, de->d_name);
            continue;
        }
        if (fstatat(d->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (*n == cap) {
            size_t grown = cap ? cap * 2 : 64;
            struct dir_entry *nv = realloc(v, grown * sizeof(*v));
            if (nv == NULL)
                break; /* trim what was read */
            v = nv;
            cap = grown;
        }
        struct dir_entry *e = &v[(*n)++];
        memcpy(e->name, de->d_name, len + 1);
        e->cost = ((int64_t)st.st_size + COMPRESS_DIR_UNIT - 1) / COMPRESS_DIR_UNIT * COMPRESS_DIR_UNIT;
        e->cost = e->cost > 0 ? e->cost : COMPRESS_DIR_UNIT;
        e->mtime = st.st_mtim.tv_sec;
        e->mtime_ns = st.st_mtim.tv_nsec;
        *total += e->cost;
    }
    closedir(dir);
    return v;
}

int compress_dir_trim(struct compress_dir *d)
{
    size_t n;
    int64_t total;
    struct dir_entry *v = list_results(d, &n, &total);
    int removed = 0;
    if (v == NULL)
        return 0;
    if (total > d->budget) {
        qsort(v, n, sizeof(*v), by_mtime);
        for (size_t i = 0; i < n && total > d->budget; i++) {
            if (unlinkat(d->fd, v[i].name, 0) == 0)
                removed++; /* another worker's trim may have been first */
            total -= v[i].cost;
        }
    }
    free(v);
    return removed;
}

/*
 * fuzz_walk.c - libFuzzer target: walk_open_beneath() on a small tree full
 * of symlinks (in-root, escaping, absolute, loops, dangling, "." and "..").
 *
 * Whatever the path, the walk must return a file or directory of the root's
 * tree (never outside/, never /etc), leak no descriptor, and agree with the
 * kernel: openat2(RESOLVE_BENEATH) on the same path gives the same file, or
 * also fails, with an error that maps to the same status (ELOOP aside).  The first input byte
 * picks the mode: even, the rest are indexes into a table of names (so the
 * fuzzer combines links quickly); odd, the rest is the path as it is.
 */
#include "compat.h"

#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* Files and directories the tree holds, and room for their identities. */
#define TREE_MAX 64
/* Longest path the token mode builds. */
#define TOKEN_PATH_MAX 1024

struct fuzz_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};

static char base[64];     /* the temporary folder: root/ and outside/ */
static int root_fd = -1;  /* root/, opened O_PATH */
static bool have_openat2; /* the kernel can be asked for the reference answer */
static struct {
    dev_t dev;
    ino_t ino;
} inside[TREE_MAX];
static int inside_count;

static const char *const tokens[] = {
    "f",       "d",   "e",      "g",     "h",     "up",   "upup",     "rl",    "rl2",      "abs_in",
    "abs_out", "dot", "dotdot", "loop1", "loop2", "self", "dangling", "chain", "trailing", "outside",
    "s",       "..",  ".",      "/",     "//",    "x",    "fifo",     "deep",  "d/e",      "rl/up",
};

/* Removes the tree when the fuzzer exits normally. */
static void remove_tree(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
}

/* Creates base/root with its links, and base/outside/s. */
static void make_tree(void)
{
    snprintf(base, sizeof(base), "/tmp/otu-fuzz-walk-XXXXXX");
    if (mkdtemp(base) == NULL)
        abort();
    atexit(remove_tree);
    char p[PATH_MAX], t[PATH_MAX];
    static const char *const dirs[] = {"root", "root/d", "root/d/e", "outside"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(dirs); i++) {
        snprintf(p, sizeof(p), "%s/%s", base, dirs[i]);
        if (mkdir(p, 0755) < 0)
            abort();
    }
    static const char *const files[] = {"root/f", "root/d/g", "root/d/e/h", "outside/s"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(files); i++) {
        snprintf(p, sizeof(p), "%s/%s", base, files[i]);
        FILE *fp = fopen(p, "w");
        if (fp == NULL)
            abort();
        fputs(files[i], fp);
        fclose(fp);
    }
    snprintf(p, sizeof(p), "%s/root/fifo", base);
    mkfifo(p, 0644);
    snprintf(t, sizeof(t), "%s/root/f", base);
    const char *const links[][2] = {
        {"d/up", "../f"},
        {"d/upup", "../../outside/s"},
        {"rl", "d"},
        {"rl2", "d/e/.."},
        {"abs_in", t},
        {"abs_out", "/etc/passwd"},
        {"dot", "."},
        {"dotdot", ".."},
        {"loop1", "loop2"},
        {"loop2", "loop1"},
        {"self", "self"},
        {"dangling", "nothing"},
        {"chain", "rl/up"},
        {"trailing", "d/"},
        {"d/e/deep", "../../rl/e/../up"},
        {"outside", "../outside"},
    };
    for (size_t i = 0; i < OTU_ARRAY_LEN(links); i++) {
        snprintf(p, sizeof(p), "%s/root/%s", base, links[i][0]);
        if (symlink(links[i][1], p) < 0)
            abort();
    }
    static const char *const members[] = {"root",     "root/d",     "root/d/e", "root/f",
                                          "root/d/g", "root/d/e/h", "root/fifo"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(members); i++) {
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", base, members[i]);
        if (lstat(p, &st) < 0)
            abort();
        inside[inside_count].dev = st.st_dev;
        inside[inside_count++].ino = st.st_ino;
    }
    snprintf(p, sizeof(p), "%s/root", base);
    root_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        abort();
    struct fuzz_open_how how = {O_PATH | O_CLOEXEC, 0, 0x08 | 0x02};
    long fd = syscall(SYS_openat2, root_fd, ".", &how, sizeof(how));
    have_openat2 = fd >= 0;
    if (fd >= 0)
        close((int)fd);
}

/* Says why the input fails, then stops the fuzzer. */
static void fail(const char *why, const char *path, int err, int kerr)
{
    fprintf(stderr, "fuzz_walk: %s: path '%s': walk errno %d, openat2 errno %d\n", why, path, err, kerr);
    abort();
}

/* The status the server answers for an open error (file.c's mapping). */
static int status_of(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
    case ELOOP: return 404;
    case EACCES:
    case EPERM:
    case EXDEV: return 403;
    default: return 500;
    }
}

/* The lowest free descriptor: a leak in the walk would take it. */
static int lowest_free_fd(void)
{
    int fd = fcntl(0, F_DUPFD, 0);
    if (fd >= 0)
        close(fd);
    return fd;
}

/* True when fd is one of the root's files or directories. */
static bool is_inside(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return false;
    for (int i = 0; i < inside_count; i++) {
        if (inside[i].dev == st.st_dev && inside[i].ino == st.st_ino)
            return true;
    }
    return false;
}

/* Turns the input into a path: tokens joined by '/', or the raw bytes. */
static void input_path(const uint8_t *data, size_t size, char *path, size_t cap)
{
    size_t n = 0;
    path[0] = '\0';
    if (size == 0)
        return;
    if (data[0] & 1) {
        for (size_t i = 1; i < size && n + 1 < cap && data[i] != '\0'; i++)
            path[n++] = (char)data[i];
        path[n] = '\0';
        return;
    }
    for (size_t i = 1; i < size; i++) {
        const char *tok = tokens[data[i] % OTU_ARRAY_LEN(tokens)];
        size_t tl = strlen(tok);
        if (n + tl + 2 >= cap)
            break;
        if (n > 0 && (data[i] & 0x80) == 0)
            path[n++] = '/';
        memcpy(path + n, tok, tl);
        n += tl;
        path[n] = '\0';
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[TOKEN_PATH_MAX + 4096];
    if (root_fd < 0)
        make_tree();
    input_path(data, size, path, sizeof(path));
    int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;
    int free_before = lowest_free_fd();
    int fd = walk_open_beneath(root_fd, path, flags);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0 && !is_inside(fd))
        fail("opened a file out of the root", path, 0, 0);
    if (have_openat2) {
        struct fuzz_open_how how = {(uint64_t)(flags | O_CLOEXEC), 0, 0x08 | 0x02};
        long kfd;
        int tries = 0;
        do { /* EAGAIN: a rename elsewhere on the machine raced a ".."; the kernel asks for a retry */
            kfd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
        } while (kfd < 0 && errno == EAGAIN && ++tries < 100);
        int kerr = kfd < 0 ? errno : 0;
        if ((fd < 0) != (kfd < 0))
            fail("one opened what the other refused", path, err, kerr);
        /* Refused with a different answer.  ELOOP aside: the kernel counts links
         * again when it restarts a lookup (e.g. a ".." after twenty-odd links
         * gives ELOOP there, EXDEV here); both refuse. */
        if (fd < 0 && status_of(err) != status_of(kerr) && err != ELOOP && kerr != ELOOP)
            fail("refused with a different answer", path, err, kerr);
        if (fd >= 0) {
            struct stat a, b;
            if (fstat(fd, &a) < 0 || fstat((int)kfd, &b) < 0 || a.st_ino != b.st_ino)
                fail("opened a different file", path, 0, 0);
            close((int)kfd);
        }
    }
    if (fd >= 0)
        close(fd);
    if (lowest_free_fd() != free_before)
        fail("a descriptor leaked", path, err, 0);
    return 0;
}

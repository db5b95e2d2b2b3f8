/*
 * compress.c - see compress.h.
 */
#include "compat.h"

#include "compress.h"

#include "http_parser.h"
#include "optparse.h"

#include "clock.h"
#include "compress_dir.h"
#include "encoder.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* One remembered file: its identity and its variant (or the fact that it has none). */
struct compress_entry {
    bool in_use;          /* the slot holds an entry */
    bool none;            /* remembered: no variant worth sending */
    int coding;           /* the variant's coding and */
    int level;            /* level */
    dev_t dev;            /* the file's identity: device, */
    ino_t ino;            /* inode, */
    int64_t size;         /* size, */
    struct timespec mtim; /* modification time to the nanosecond */
    struct timespec ctim; /* and change time: a rewrite that keeps size and mtime still moves it */
    char *data;           /* the gzip stream (small results), or NULL */
    int fd;               /* its sealed memfd (larger results), or -1 */
    int64_t len;          /* its length */
    uint64_t last_use;    /* cache clock of the last lookup: the least recent goes first */
};

struct compress_cache {
    size_t cap_bytes;              /* most compressed bytes held in memory */
    size_t inline_max;             /* results up to this stay in memory */
    size_t bytes;                  /* compressed bytes held now */
    uint64_t clock;                /* counts lookups: the LRU order */
    struct encoder *encoder;       /* the codings' contexts */
    struct compress_dir *dir;      /* the shared results, or NULL: memory */
    int handed_fd;                 /* the directory result handed out last: closed at the next call */
    int64_t turn;                  /* the loop turn counted in turn_bytes */
    int64_t turn_bytes;            /* bytes compressed in it */
    int64_t turn_bytes_max;        /* the most any turn compressed */
    pid_t jobs[COMPRESS_JOBS_MAX]; /* children compressing into the directory, 0 = free */
    struct compress_entry e[COMPRESS_ENTRIES_MAX];
};

struct compress_cache *compress_cache_new(const struct compress_config *cfg, size_t inline_max, bool *dir_ok)
{
    struct compress_cache *cc = calloc(1, sizeof(*cc));
    if (cc == NULL || (cc->encoder = encoder_new()) == NULL) {
        free(cc);
        return NULL;
    }
    cc->cap_bytes = (size_t)cfg->cache_size;
    cc->inline_max = inline_max;
    cc->handed_fd = -1;
    cc->turn = -1;
    for (size_t i = 0; i < COMPRESS_ENTRIES_MAX; i++)
        cc->e[i].fd = -1;
    if (cfg->cache_dir[0] != '\0')
        cc->dir = compress_dir_open(cfg->cache_dir, cfg->cache_size);
    *dir_ok = cc->dir != NULL;
    return cc;
}

/* Empties slot e, releasing its memory or descriptor. */
static void entry_drop(struct compress_cache *cc, struct compress_entry *e)
{
    if (!e->in_use)
        return;
    cc->bytes -= e->none ? 0 : (size_t)e->len;
    free(e->data);
    if (e->fd >= 0)
        close(e->fd);
    memset(e, 0, sizeof(*e));
    e->fd = -1;
}

void compress_cache_free(struct compress_cache *cc)
{
    if (cc == NULL)
        return;
    for (size_t i = 0; i < COMPRESS_ENTRIES_MAX; i++)
        entry_drop(cc, &cc->e[i]);
    if (cc->handed_fd >= 0)
        close(cc->handed_fd);
    encoder_free(cc->encoder);
    compress_dir_close(cc->dir);
    free(cc);
}

size_t compress_cache_bytes(const struct compress_cache *cc)
{
    return cc->bytes;
}

int64_t compress_turn_bytes_max(const struct compress_cache *cc)
{
    return cc->turn_bytes_max;
}

/* True when a and b are the same instant. */
static bool same_time(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* True when the file a describes still has b's contents as far as stat tells: size, mtime, ctime. */
static bool same_contents(const struct stat *a, const struct stat *b)
{
    return a->st_size == b->st_size && same_time(&a->st_mtim, &b->st_mtim) && same_time(&a->st_ctim, &b->st_ctim);
}

/* The entry for the file and coding rq describes, or NULL. */
static struct compress_entry *entry_find(struct compress_cache *cc, const struct compress_request *rq)
{
    const struct stat *st = rq->st;
    for (size_t i = 0; i < COMPRESS_ENTRIES_MAX; i++) {
        struct compress_entry *e = &cc->e[i];
        if (e->in_use && e->coding == rq->coding && e->level == rq->level && e->ino == st->st_ino &&
            e->dev == st->st_dev && e->size == (int64_t)st->st_size && same_time(&e->mtim, &st->st_mtim) &&
            same_time(&e->ctim, &st->st_ctim))
            return e;
    }
    return NULL;
}

/* The least recently used entry, or NULL when there is none. */
static struct compress_entry *entry_lru(struct compress_cache *cc)
{
    struct compress_entry *oldest = NULL;
    for (size_t i = 0; i < COMPRESS_ENTRIES_MAX; i++) {
        struct compress_entry *e = &cc->e[i];
        if (e->in_use && (oldest == NULL || e->last_use < oldest->last_use))
            oldest = e;
    }
    return oldest;
}

/*
 * A slot for the file st describes, with room for len more bytes: the least
 * recently used entries are dropped until the bytes fit (len was checked
 * against the cap), then a free slot is taken, or the least recently used.
 */
static struct compress_entry *entry_make_room(struct compress_cache *cc, const struct compress_request *rq, size_t len)
{
    const struct stat *st = rq->st;
    struct compress_entry *e = NULL;
    while (cc->bytes + len > cc->cap_bytes && (e = entry_lru(cc)) != NULL)
        entry_drop(cc, e);
    e = NULL;
    for (size_t i = 0; i < COMPRESS_ENTRIES_MAX && e == NULL; i++) {
        if (!cc->e[i].in_use)
            e = &cc->e[i];
    }
    if (e == NULL) {
        e = entry_lru(cc); /* never NULL: every slot is in use */
        entry_drop(cc, e);
    }
    e->in_use = true;
    e->coding = rq->coding;
    e->level = rq->level;
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->size = (int64_t)st->st_size;
    e->mtim = st->st_mtim;
    e->ctim = st->st_ctim;
    e->last_use = cc->clock;
    return e;
}

/* Reads the n bytes of fd from offset 0 into a new buffer; NULL when it cannot (short: the file changed). */
static char *read_whole(int fd, size_t n)
{
    char *buf = malloc(n);
    size_t done = 0;
    while (buf != NULL && done < n) {
        ssize_t got = pread(fd, buf + done, n - done, (off_t)done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            free(buf);
            buf = NULL;
            break;
        }
        done += (size_t)got;
    }
    return buf;
}

/* A sealed memfd holding the len bytes at data, or -1. */
static int memfd_holding(const char *data, size_t len)
{
    int fd = memfd_create("otuserver-variant", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    /* nothing may change what a reply in flight is sending */
    (void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    return fd;
}

/*
 * Compresses in (n bytes) with rq's coding into a new buffer when the
 * result is smaller; *out_len 0 and the buffer NULL when it is not.
 * Returns -1 when memory ran out.
 */
static int code_smaller(struct compress_cache *cc, const struct compress_request *rq, const char *in, size_t n,
                        char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (n < 2)
        return 0;
    char *buf = malloc(n - 1); /* anything larger is not worth sending */
    if (buf == NULL)
        return -1;
    long len = encoder_run(cc->encoder, rq->coding, rq->level, in, n, buf, n - 1);
    if (len <= 0) {
        free(buf);
        return len < 0 ? -1 : 0;
    }
    *out = buf;
    *out_len = (size_t)len;
    return 0;
}

/* Stores out (len bytes, taken over) in e: in memory when small, else in a memfd.  Returns 0 or -1. */
static int entry_keep(struct compress_cache *cc, struct compress_entry *e, char *out, size_t len)
{
    if (len <= cc->inline_max) {
        e->data = out;
    } else {
        e->fd = memfd_holding(out, len);
        free(out);
        if (e->fd < 0)
            return -1;
    }
    e->len = (int64_t)len;
    cc->bytes += len;
    return 0;
}

/* Fills v from e. */
static enum compress_outcome variant_of(const struct compress_entry *e, enum compress_outcome outcome,
                                        struct compress_variant *v)
{
    if (e->none)
        return COMPRESS_NONE;
    v->data = e->data;
    v->fd = e->fd;
    v->len = e->len;
    return outcome;
}

/*
 * Counts n bytes against rq's loop turn: true when they fit in what
 * COMPRESS_TURN_BUDGET leaves of it (then they are counted), false when
 * they do not (counted nowhere: the caller does not compress them here).
 */
static bool turn_allows(struct compress_cache *cc, const struct compress_request *rq, int64_t n)
{
    if (rq->turn != cc->turn) {
        cc->turn = rq->turn;
        cc->turn_bytes = 0;
    }
    if (cc->turn_bytes + n > COMPRESS_TURN_BUDGET)
        return false;
    cc->turn_bytes += n;
    if (cc->turn_bytes > cc->turn_bytes_max)
        cc->turn_bytes_max = cc->turn_bytes;
    return true;
}

/* True when what was read of rq's file (fd -1: held by the caller) is still the file rq->st describes. */
static bool still_same(const struct compress_request *rq)
{
    struct stat now;
    return rq->fd < 0 || (fstat(rq->fd, &now) == 0 && same_contents(&now, rq->st));
}

/* Compresses rq's file in memory (its bytes held or read): 0 with *out (NULL: no gain), or -1. */
static int code_file(struct compress_cache *cc, const struct compress_request *rq, char **out, size_t *out_len)
{
    size_t n = (size_t)rq->st->st_size;
    char *owned = rq->data == NULL ? read_whole(rq->fd, n) : NULL;
    const char *in = rq->data != NULL ? rq->data : owned;
    int rc = in == NULL ? -1 : code_smaller(cc, rq, in, n, out, out_len);
    free(owned);
    return rc;
}

/* The memory cache's answer for rq: see compress_get(). */
static enum compress_outcome memory_get(struct compress_cache *cc, const struct compress_request *rq,
                                        struct compress_variant *v)
{
    struct compress_entry *e = entry_find(cc, rq);
    if (e != NULL) {
        e->last_use = cc->clock;
        return variant_of(e, COMPRESS_HIT, v);
    }
    if (!turn_allows(cc, rq, (int64_t)rq->st->st_size))
        return COMPRESS_NONE; /* too big for a turn, and no directory for a child to fill */
    int64_t started = clock_mono_us();
    char *out = NULL;
    size_t out_len = 0;
    if (code_file(cc, rq, &out, &out_len) < 0)
        return COMPRESS_NONE; /* a passing failure: not remembered */
    if (!still_same(rq)) {
        LOG_DEBUG("compress: %.*s changed while it was read: sent as it is, nothing kept", COMPRESS_LOG_NAME_MAX,
                  rq->name);
        free(out);
        return COMPRESS_UNSTABLE;
    }
    bool keep = out != NULL && out_len <= cc->cap_bytes;
    e = entry_make_room(cc, rq, keep ? out_len : 0);
    e->none = !keep;
    if (keep && entry_keep(cc, e, out, out_len) < 0) {
        entry_drop(cc, e); /* no descriptor for it now: try again next time */
        return COMPRESS_NONE;
    }
    if (!keep)
        free(out);
    LOG_DEBUG("compress: %.*s %s %lld -> %lld bytes%s in %.2f ms", COMPRESS_LOG_NAME_MAX, rq->name,
              coding_name(rq->coding), (long long)rq->st->st_size, (long long)out_len,
              keep ? "" : " (not kept: no gain or over the cache size)", (double)(clock_mono_us() - started) / 1000.0);
    return variant_of(e, COMPRESS_MADE, v);
}

/* Reaps the children that finished; each finished one is followed by a trim of the directory. */
static void jobs_reap(struct compress_cache *cc, struct compress_variant *v)
{
    for (int i = 0; i < COMPRESS_JOBS_MAX; i++) {
        if (cc->jobs[i] > 0 && waitpid(cc->jobs[i], NULL, WNOHANG) == cc->jobs[i]) {
            cc->jobs[i] = 0;
            v->evicted += compress_dir_trim(cc->dir);
        }
    }
}

/* Closes every descriptor from 3 on but keep[0..2] (ascending): a child must not hold the worker's connections open. */
static void close_others(const int keep[3])
{
#ifdef SYS_close_range
    unsigned lo = 3;
    for (int i = 0; i < 3; i++) {
        if ((unsigned)keep[i] > lo)
            (void)syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0U);
        lo = (unsigned)keep[i] + 1;
    }
    (void)syscall(SYS_close_range, lo, ~0U, 0U);
#else
    (void)keep; /* no close_range(): the descriptors close when the child exits */
#endif
}

/* The child: maps rq's file, codes it into the claimed tmp and publishes it (or nothing).  Never returns. */
static void job_run(struct compress_cache *cc, const struct compress_request *rq, const char *name, int tmp)
{
    int keep[3] = {rq->fd, tmp, -1};
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* a worker that goes takes its children along */
    (void)prctl(PR_SET_NAME, "otu-compress");
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    keep[2] = compress_dir_fd(cc->dir);
    for (int i = 0; i < 2; i++) /* ascending */
        for (int j = 0; j < 2 - i; j++)
            if (keep[j] > keep[j + 1]) {
                int t = keep[j];
                keep[j] = keep[j + 1];
                keep[j + 1] = t;
            }
    close_others(keep);
    size_t n = (size_t)rq->st->st_size;
    const char *in = mmap(NULL, n, PROT_READ, MAP_PRIVATE, rq->fd, 0);
    char *out =
        in == MAP_FAILED ? MAP_FAILED : mmap(NULL, n - 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long len = out == MAP_FAILED ? -1 : encoder_run(cc->encoder, rq->coding, rq->level, in, n, out, n - 1);
    if (len > compress_dir_budget(cc->dir))
        len = 0; /* over the whole budget: kept as "send the file", not compressed again and again */
    if (len < 0 || !still_same(rq))
        compress_dir_abandon(cc->dir, name, tmp);
    else
        (void)compress_dir_publish(cc->dir, name, tmp, out, (size_t)len); /* 0 bytes: the "no gain" marker */
    encoder_free(cc->encoder); /* its coder's state, made here: the worker's copy of the pointer is the parent's */
    cc->encoder = NULL;
    _exit(0);
}

/* Hands rq's file to a child: COMPRESS_STARTED, or COMPRESS_PENDING when it is under way or no child can start. */
static enum compress_outcome job_start(struct compress_cache *cc, const struct compress_request *rq, const char *name)
{
    int slot = -1;
    for (int i = 0; i < COMPRESS_JOBS_MAX && slot < 0; i++)
        slot = cc->jobs[i] == 0 ? i : -1;
    if (slot < 0 || rq->fd < 0)
        return COMPRESS_PENDING; /* the children are busy: a later request tries again */
    int tmp = compress_dir_claim(cc->dir, name);
    if (tmp < 0)
        return COMPRESS_PENDING;
    pid_t pid = fork();
    if (pid == 0)
        job_run(cc, rq, name, tmp);
    if (pid < 0) {
        compress_dir_abandon(cc->dir, name, tmp);
        return COMPRESS_PENDING;
    }
    close(tmp); /* the child holds the lock through its own descriptor */
    cc->jobs[slot] = pid;
    LOG_DEBUG("compress: %.*s %s %lld bytes: compressed by child %ld meanwhile", COMPRESS_LOG_NAME_MAX, rq->name,
              coding_name(rq->coding), (long long)rq->st->st_size, (long)pid);
    return COMPRESS_STARTED;
}

/* Compresses rq's file here and publishes it under name; the outcome. */
static enum compress_outcome dir_make(struct compress_cache *cc, const struct compress_request *rq, const char *name,
                                      struct compress_variant *v)
{
    int tmp = compress_dir_claim(cc->dir, name);
    if (tmp < 0)
        return COMPRESS_PENDING; /* another worker is at it */
    int64_t started = clock_mono_us();
    char *out = NULL;
    size_t out_len = 0;
    if (code_file(cc, rq, &out, &out_len) < 0 || !still_same(rq)) {
        compress_dir_abandon(cc->dir, name, tmp);
        free(out);
        return out != NULL ? COMPRESS_UNSTABLE : COMPRESS_NONE;
    }
    if ((int64_t)out_len > compress_dir_budget(cc->dir))
        out_len = 0; /* over the whole budget: kept as "send the file" */
    int rc = compress_dir_publish(cc->dir, name, tmp, out, out_len);
    free(out);
    v->evicted += compress_dir_trim(cc->dir);
    LOG_DEBUG("compress: %.*s %s %lld -> %lld bytes in %.2f ms (shared)", COMPRESS_LOG_NAME_MAX, rq->name,
              coding_name(rq->coding), (long long)rq->st->st_size, (long long)out_len,
              (double)(clock_mono_us() - started) / 1000.0);
    if (rc < 0 || out_len == 0 || (cc->handed_fd = compress_dir_find(cc->dir, name, &v->len)) < 0)
        return COMPRESS_NONE;
    v->fd = cc->handed_fd;
    return COMPRESS_MADE;
}

/* The directory's answer for rq: see compress_get(). */
static enum compress_outcome dir_get(struct compress_cache *cc, const struct compress_request *rq,
                                     struct compress_variant *v)
{
    char name[COMPRESS_DIR_NAME_MAX];
    compress_dir_name(name, sizeof(name), rq->st, coding_name(rq->coding), rq->level);
    int64_t len = 0;
    int fd = compress_dir_find(cc->dir, name, &len);
    if (fd >= 0 && len == 0) {
        close(fd);
        return COMPRESS_NONE; /* remembered: no gain */
    }
    if (fd >= 0) {
        cc->handed_fd = v->fd = fd;
        v->len = len;
        return COMPRESS_HIT;
    }
    if (turn_allows(cc, rq, (int64_t)rq->st->st_size))
        return dir_make(cc, rq, name, v);
    return job_start(cc, rq, name);
}

enum compress_outcome compress_get(struct compress_cache *cc, const struct compress_request *rq,
                                   struct compress_variant *v)
{
    memset(v, 0, sizeof(*v));
    v->fd = -1;
    cc->clock++;
    if (cc->handed_fd >= 0) {
        close(cc->handed_fd);
        cc->handed_fd = -1;
    }
    if (cc->dir == NULL)
        return memory_get(cc, rq, v);
    jobs_reap(cc, v);
    return dir_get(cc, rq, v);
}

int compress_coding_parse(void *cc, const char *item, char *why, size_t whylen)
{
    struct compress_config *c = cc;
    if (strcmp(item, "off") == 0 && c->n_codings == 0) {
        c->n_codings = -1; /* off: nothing may follow */
        return 0;
    }
    int coding = coding_by_name(item, strlen(item));
    for (int i = 0; coding >= 0 && i < c->n_codings; i++)
        coding = c->codings[i] == coding ? -1 : coding;
    if (coding < 0 || c->n_codings < 0 || c->n_codings >= CODING_COUNT)
        return opt_expected(why, whylen, "off, or codings zstd, br, gzip in the order preferred, each once");
    c->codings[c->n_codings++] = coding;
    return 0;
}

void compress_codings_clear(void *cc)
{
    ((struct compress_config *)cc)->n_codings = 0;
}

int compress_level_parse(void *cc, const char *item, char *why, size_t whylen)
{
    struct compress_config *c = cc;
    const char *eq = strchr(item, '=');
    int coding = eq != NULL ? coding_by_name(item, (size_t)(eq - item)) : -1;
    if (eq == NULL && item[0] >= '0' && item[0] <= '9') { /* a bare N: gzip's, as before zstd and br */
        coding = CODING_GZIP;
        eq = item - 1;
    }
    int lo = 0, hi = 0;
    if (coding >= 0)
        coding_levels(coding, &lo, &hi);
    char *end = NULL;
    long level = coding >= 0 ? strtol(eq + 1, &end, 10) : -1;
    if (coding < 0 || end == eq + 1 || *end != '\0' || level < lo || level > hi)
        return opt_expected(why, whylen, "CODING=LEVEL items: zstd=1..19, br=0..%d, gzip=1..12", ENCODER_BR_LEVEL_MAX);
    c->levels[coding] = (int)level;
    return 0;
}

void compress_levels_reset(void *cc)
{
    struct compress_config *c = cc;
    c->levels[CODING_ZSTD] = 3;
    c->levels[CODING_BR] = 5;
    c->levels[CODING_GZIP] = 6;
}

bool compress_type_listed(const char *list, const char *type)
{
    size_t type_len = strcspn(type, ";");
    while (type_len > 0 && (type[type_len - 1] == ' ' || type[type_len - 1] == '\t'))
        type_len--;
    const char *p = list;
    while (*p != '\0') {
        p += strspn(p, " ,");
        size_t n = strcspn(p, ",");
        size_t len = n;
        while (len > 0 && p[len - 1] == ' ')
            len--;
        bool prefix = len >= 2 && p[len - 2] == '/' && p[len - 1] == '*';
        if (len > 0 && prefix && type_len > len - 1 && strncasecmp(type, p, len - 1) == 0)
            return true;
        if (len > 0 && !prefix && len == type_len && strncasecmp(type, p, len) == 0)
            return true;
        p += n;
    }
    return false;
}

int compress_type_parse(void *cc, const char *item, char *why, size_t whylen)
{
    struct compress_config *c = cc;
    size_t n = strlen(item), used = strlen(c->types);
    const char *slash = strchr(item, '/');
    bool ok = slash != NULL && slash > item && slash < item + n - 1;
    for (size_t i = 0; ok && i < n; i++) /* '*' only as the whole subtype */
        ok = item[i] == '*' ? i == n - 1 && item[i - 1] == '/'
                            : http_is_token_char((unsigned char)item[i]) || item + i == slash;
    if (!ok)
        return opt_expected(why, whylen, "media types such as text/*,application/json, comma-separated");
    if (used + n + 2 > sizeof(c->types))
        return opt_expected(why, whylen, "a list of media types under %zu bytes", sizeof(c->types));
    snprintf(c->types + used, sizeof(c->types) - used, "%s%s", used ? "," : "", item);
    return 0;
}

void compress_types_clear(void *cc)
{
    ((struct compress_config *)cc)->types[0] = '\0';
}

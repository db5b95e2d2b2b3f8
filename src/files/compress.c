/*
 * compress.c - see compress.h.
 */
#include "compat.h"

#include "compress.h"

#include "http_parser.h"
#include "optparse.h"

#include "clock.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

/* One remembered file: its identity and its variant (or the fact that it has none). */
struct compress_entry {
    bool in_use;          /* the slot holds an entry */
    bool none;            /* remembered: no variant worth sending */
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
    size_t cap_bytes;                         /* most compressed bytes held */
    size_t inline_max;                        /* results up to this stay in memory */
    size_t bytes;                             /* compressed bytes held now */
    int level;                                /* libdeflate's compression level */
    uint64_t clock;                           /* counts lookups: the LRU order */
    struct libdeflate_compressor *compressor; /* made at the first compression */
    struct compress_entry e[COMPRESS_ENTRIES_MAX];
};

struct compress_cache *compress_cache_new(size_t cap_bytes, size_t inline_max, int level)
{
    struct compress_cache *cc = calloc(1, sizeof(*cc));
    if (cc == NULL)
        return NULL;
    cc->cap_bytes = cap_bytes;
    cc->inline_max = inline_max;
    cc->level = level;
    for (size_t i = 0; i < COMPRESS_ENTRIES_MAX; i++)
        cc->e[i].fd = -1;
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
    if (cc->compressor != NULL)
        libdeflate_free_compressor(cc->compressor);
    free(cc);
}

size_t compress_cache_bytes(const struct compress_cache *cc)
{
    return cc->bytes;
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

/* The entry for the file st describes, or NULL. */
static struct compress_entry *entry_find(struct compress_cache *cc, const struct stat *st)
{
    for (size_t i = 0; i < COMPRESS_ENTRIES_MAX; i++) {
        struct compress_entry *e = &cc->e[i];
        if (e->in_use && e->ino == st->st_ino && e->dev == st->st_dev && e->size == (int64_t)st->st_size &&
            same_time(&e->mtim, &st->st_mtim) && same_time(&e->ctim, &st->st_ctim))
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
static struct compress_entry *entry_make_room(struct compress_cache *cc, const struct stat *st, size_t len)
{
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
    int fd = memfd_create("otuserver-gzip", MFD_CLOEXEC | MFD_ALLOW_SEALING);
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
 * Compresses in (n bytes) into a new buffer when the result is smaller;
 * *out_len 0 and the buffer NULL when it is not.  Returns -1 when memory
 * ran out.
 */
static int deflate_smaller(struct compress_cache *cc, const char *in, size_t n, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (cc->compressor == NULL)
        cc->compressor = libdeflate_alloc_compressor(cc->level);
    if (cc->compressor == NULL)
        return -1;
    if (n < 2)
        return 0;
    char *buf = malloc(n - 1); /* anything larger is not worth sending */
    if (buf == NULL)
        return -1;
    *out_len = libdeflate_gzip_compress(cc->compressor, in, n, buf, n - 1);
    if (*out_len == 0)
        free(buf);
    else
        *out = buf;
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

enum compress_outcome compress_get(struct compress_cache *cc, const struct stat *st, const char *data, int fd,
                                   const char *name, struct compress_variant *v)
{
    v->data = NULL;
    v->fd = -1;
    v->len = 0;
    cc->clock++;
    struct compress_entry *e = entry_find(cc, st);
    if (e != NULL) {
        e->last_use = cc->clock;
        return variant_of(e, COMPRESS_HIT, v);
    }
    int64_t started = clock_mono_us();
    size_t n = (size_t)st->st_size;
    char *owned = data == NULL ? read_whole(fd, n) : NULL;
    const char *in = data != NULL ? data : owned;
    char *out = NULL;
    size_t out_len = 0;
    enum compress_outcome outcome = COMPRESS_NONE;
    if (in == NULL || deflate_smaller(cc, in, n, &out, &out_len) < 0)
        goto out; /* a passing failure: not remembered */
    /* What was read (or held) must be the file st describes: a rewrite while
     * it was read, or since the caller's stat, moves size, mtime or ctime. */
    struct stat now;
    if (fd >= 0 && (fstat(fd, &now) < 0 || !same_contents(&now, st))) {
        LOG_DEBUG("compress: %.*s changed while it was read: sent as it is, nothing kept", COMPRESS_LOG_NAME_MAX, name);
        outcome = COMPRESS_UNSTABLE;
        goto out;
    }
    bool keep = out != NULL && out_len <= cc->cap_bytes;
    e = entry_make_room(cc, st, keep ? out_len : 0);
    e->none = !keep;
    if (keep && entry_keep(cc, e, out, out_len) < 0) {
        entry_drop(cc, e); /* no descriptor for it now: try again next time */
        out = NULL;
        goto out;
    }
    if (keep)
        out = NULL; /* the entry holds it */
    outcome = variant_of(e, COMPRESS_MADE, v);
    LOG_DEBUG("compress: %.*s %lld -> %lld bytes%s in %.2f ms", COMPRESS_LOG_NAME_MAX, name, (long long)n,
              (long long)out_len, keep ? "" : " (not kept: no gain or over the cache size)",
              (double)(clock_mono_us() - started) / 1000.0);
out:
    free(out);
    free(owned);
    return outcome;
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

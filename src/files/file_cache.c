/*
 * file_cache.c - see file_cache.h.  A hash table for lookups and an LRU list
 * for eviction; nothing is shared between workers.
 */
#include "compat.h"

#include "file_cache.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Entries closed at once when the process runs out of descriptors. */
#define FILE_CACHE_EMFILE_EVICT 16

struct entry {
    struct file_info info;     /* what callers see */
    char *rel;                 /* the key; NULL when the slot is free */
    size_t data_len;           /* bytes behind info.data */
    int64_t checked_ms;        /* when the name was last opened again to confirm the answer */
    int64_t stat_ms;           /* when the held descriptor was last fstat()ed */
    int64_t used_ms;           /* when the entry was last looked up */
    uint64_t pinned;           /* the request scope that pins it (== fc->scope while open), or 0 */
    struct entry *hash_next;   /* chain in the bucket */
    struct entry *prev, *next; /* LRU list: head is the most recent */
};

struct file_cache {
    const struct file_root *root; /* where names are opened */
    bool remember;                /* false: every lookup reopens */
    int64_t etag_hash_max;        /* files up to this size get a content ETag (etag.h); -1: none */
    size_t capacity;              /* entries */
    size_t nbuckets;              /* power of two */
    struct entry *entries;        /* capacity slots */
    struct entry **buckets;       /* hash chains */
    struct entry *head, *tail;    /* LRU order */
    size_t data_bytes;            /* memory held by file contents */
    size_t sweep_next;            /* the slot the next sweep's descriptor check starts at */
    uint64_t scope;               /* the open request scope (see file_cache_begin), or 0 */
    uint64_t last_scope;          /* the last scope number handed out */
};

/* True while e is held by the request being answered: it is neither evicted nor reloaded. */
static bool is_pinned(const struct file_cache *fc, const struct entry *e)
{
    return fc->scope != 0 && e->pinned == fc->scope;
}

/* FNV-1a over the name. */
static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

struct file_cache *file_cache_new(const struct file_root *root, size_t entries, bool remember, int64_t etag_hash_max)
{
    if (entries < FILE_CACHE_MIN_ENTRIES)
        entries = FILE_CACHE_MIN_ENTRIES;
    struct file_cache *fc = calloc(1, sizeof(*fc));
    if (fc == NULL)
        return NULL;
    fc->root = root;
    fc->remember = remember;
    fc->etag_hash_max = remember ? etag_hash_max : -1;
    fc->capacity = entries;
    fc->nbuckets = 16;
    while (fc->nbuckets < entries * 2)
        fc->nbuckets *= 2;
    fc->entries = calloc(entries, sizeof(struct entry));
    fc->buckets = calloc(fc->nbuckets, sizeof(struct entry *));
    if (fc->entries == NULL || fc->buckets == NULL) {
        file_cache_free(fc);
        return NULL;
    }
    for (size_t i = 0; i < entries; i++) {
        struct entry *e = &fc->entries[i];
        e->info.fd = -1;
        e->prev = i > 0 ? &fc->entries[i - 1] : NULL; /* all free slots start in the LRU list */
        e->next = i + 1 < entries ? &fc->entries[i + 1] : NULL;
    }
    fc->head = &fc->entries[0];
    fc->tail = &fc->entries[entries - 1];
    return fc;
}

/* Takes e out of the LRU list. */
static void lru_unlink(struct file_cache *fc, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        fc->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        fc->tail = e->prev;
    e->prev = e->next = NULL;
}

/* Moves e to the front of the LRU list (the most recently used). */
static void touch(struct file_cache *fc, struct entry *e)
{
    if (fc->head == e)
        return;
    lru_unlink(fc, e);
    e->next = fc->head;
    if (fc->head)
        fc->head->prev = e;
    fc->head = e;
    if (fc->tail == NULL)
        fc->tail = e;
}

/* Drops what the entry holds (descriptor, contents), keeping its key. */
static void release_info(struct file_cache *fc, struct entry *e)
{
    if (e->info.fd >= 0)
        close(e->info.fd);
    e->info.fd = -1;
    free((char *)e->info.data);
    e->info.data = NULL;
    fc->data_bytes -= e->data_len;
    e->data_len = 0;
}

/* Moves e to the back of the LRU list, where the next new name takes it. */
static void to_tail(struct file_cache *fc, struct entry *e)
{
    if (fc->tail == e)
        return;
    lru_unlink(fc, e);
    e->prev = fc->tail;
    if (fc->tail)
        fc->tail->next = e;
    fc->tail = e;
    if (fc->head == NULL)
        fc->head = e;
}

/* Empties a slot: removes it from its hash chain and frees its key. */
static void evict(struct file_cache *fc, struct entry *e)
{
    if (e->rel == NULL)
        return;
    struct entry **link = &fc->buckets[hash_name(e->rel) & (fc->nbuckets - 1)];
    while (*link != e)
        link = &(*link)->hash_next;
    *link = e->hash_next;
    release_info(fc, e);
    free(e->rel);
    e->rel = NULL;
}

/*
 * Closes the least recently used descriptors, to recover from EMFILE.  The
 * entries the request being answered holds (pinned) are spared.
 */
static void shed_descriptors(struct file_cache *fc, int count)
{
    for (struct entry *e = fc->tail; e != NULL && count > 0; e = e->prev) {
        if (e->info.fd >= 0 && !is_pinned(fc, e)) {
            evict(fc, e);
            count--;
        }
    }
}

/* Reads a small regular file's contents into memory; returns true when they are kept. */
static bool keep_contents(struct file_cache *fc, struct entry *e)
{
    struct file_info *info = &e->info;
    size_t size = (size_t)info->st.st_size;
    if (size == 0 || size > FILE_CACHE_DATA_MAX || fc->data_bytes + size > FILE_CACHE_DATA_TOTAL)
        return false;
    char *data = malloc(size);
    if (data == NULL)
        return false;
    if (pread(info->fd, data, size, 0) != (ssize_t)size) {
        free(data); /* changing under us: serve it from the descriptor instead */
        return false;
    }
    info->data = data;
    e->data_len = size;
    fc->data_bytes += size;
    return true;
}

/* Opens rel and fills e->info (validators and small contents included). */
static void load(struct file_cache *fc, struct entry *e, const char *rel)
{
    struct file_info *info = &e->info;
    info->fd = file_open_beneath(fc->root, rel, &info->st, &info->status);
    if (info->fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        shed_descriptors(fc, FILE_CACHE_EMFILE_EVICT);
        info->fd = file_open_beneath(fc->root, rel, &info->st, &info->status);
    }
    if (info->fd < 0)
        return;
    info->status = 0;
    if (!S_ISREG(info->st.st_mode))
        return;
    const struct stat *st = &info->st;
    http_date_format(st->st_mtime, info->last_modified);
    bool kept = keep_contents(fc, e);
    if (kept && st->st_size <= fc->etag_hash_max)
        etag_from_bytes(info->data, e->data_len, info->etag);
    else if (st->st_size <= fc->etag_hash_max)
        etag_from_file(info->fd, st, info->etag);
    else
        etag_from_stat(st, info->etag);
}

/* True when two fstat() results describe the same, unchanged file. */
static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size && a->st_mode == b->st_mode &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * Between reopenings, checks the held descriptor: a file rewritten in place
 * or truncated keeps its inode and name, but not its size, mtime or ctime;
 * a deleted one has no link left.  Either way the name is opened again.
 */
static bool descriptor_changed(const struct entry *e)
{
    struct stat st;
    return fstat(e->info.fd, &st) < 0 || st.st_nlink == 0 || !same_file(&st, &e->info.st);
}

/* Confirms or refreshes an entry whose answer is no longer trusted. */
static void revalidate(struct file_cache *fc, struct entry *e)
{
    if (e->info.status == FILE_STATUS_BUSY) {
        load(fc, e, e->rel); /* a passing failure holds nothing: just try again */
        return;
    }
    struct stat st;
    int status = 0;
    int fd = file_open_beneath(fc->root, e->rel, &st, &status);
    bool unchanged = (fd < 0 && e->info.fd < 0 && status == e->info.status) ||
                     (fd >= 0 && e->info.fd >= 0 && same_file(&st, &e->info.st));
    if (unchanged) {
        if (fd >= 0)
            close(fd);
        return;
    }
    if (fd >= 0)
        close(fd);
    release_info(fc, e);
    load(fc, e, e->rel);
}

const struct file_info *file_cache_get(struct file_cache *fc, const char *rel, int64_t now_ms)
{
    size_t bucket = hash_name(rel) & (fc->nbuckets - 1);
    struct entry *e = fc->buckets[bucket];
    while (e != NULL && strcmp(e->rel, rel) != 0)
        e = e->hash_next;
    if (e != NULL) {
        touch(fc, e);
        e->used_ms = now_ms;
        if (is_pinned(fc, e))
            return &e->info; /* already looked up for this request: keep its answer */
        e->pinned = fc->scope;
        if (!fc->remember || e->info.status == FILE_STATUS_BUSY || now_ms - e->checked_ms >= FILE_CACHE_VALID_MS ||
            (e->info.fd >= 0 && now_ms - e->stat_ms >= FILE_CACHE_STAT_MS && descriptor_changed(e))) {
            revalidate(fc, e);
            e->checked_ms = now_ms;
        }
        if (now_ms - e->stat_ms >= FILE_CACHE_STAT_MS)
            e->stat_ms = now_ms;
        return &e->info;
    }
    e = fc->tail; /* the least recently used slot not held by this request makes room */
    while (e != NULL && is_pinned(fc, e))
        e = e->prev;
    if (e == NULL) {
        static struct file_info busy = {.status = FILE_STATUS_BUSY, .fd = -1};
        return &busy; /* more names in one request than entries: cannot happen (MIN_ENTRIES) */
    }
    evict(fc, e);
    touch(fc, e);
    e->pinned = fc->scope;
    e->rel = strdup(rel);
    if (e->rel == NULL) {
        e->info.status = FILE_STATUS_BUSY; /* out of memory; the slot stays free */
        to_tail(fc, e);
        return &e->info;
    }
    e->hash_next = fc->buckets[bucket];
    fc->buckets[bucket] = e;
    load(fc, e, rel);
    e->checked_ms = e->stat_ms = e->used_ms = now_ms;
    return &e->info;
}

void file_cache_sweep(struct file_cache *fc, int64_t now_ms)
{
    int budget = FILE_CACHE_SWEEP_MAX;
    /* Idle entries: the LRU list is in order of use, so stop at the first recent one. */
    for (struct entry *e = fc->tail; e != NULL && budget > 0;) {
        struct entry *prev = e->prev;
        if (e->rel != NULL) {
            if (now_ms - e->used_ms < FILE_CACHE_IDLE_MS)
                break;
            evict(fc, e); /* it is at the cold end already, among the free slots */
            budget--;
        }
        e = prev;
    }
    /* Deleted files: a few held descriptors per sweep, in turn. */
    for (size_t visited = 0; visited < fc->capacity && budget > 0; visited++) {
        struct entry *e = &fc->entries[fc->sweep_next];
        fc->sweep_next = (fc->sweep_next + 1) % fc->capacity;
        if (e->rel == NULL || e->info.fd < 0)
            continue;
        budget--;
        struct stat st;
        if (fstat(e->info.fd, &st) < 0 || st.st_nlink == 0) {
            evict(fc, e);
            to_tail(fc, e);
        }
    }
}

void file_cache_forget(struct file_cache *fc, dev_t dev, ino_t ino)
{
    for (size_t i = 0; i < fc->capacity; i++) {
        struct entry *e = &fc->entries[i];
        if (e->rel != NULL && e->info.fd >= 0 && e->info.st.st_dev == dev && e->info.st.st_ino == ino) {
            evict(fc, e);
            to_tail(fc, e);
        }
    }
}

void file_cache_flush(struct file_cache *fc)
{
    for (size_t i = 0; i < fc->capacity; i++)
        evict(fc, &fc->entries[i]); /* every slot free: the LRU order no longer matters */
}

void file_cache_free(struct file_cache *fc)
{
    if (fc == NULL)
        return;
    for (size_t i = 0; fc->entries && i < fc->capacity; i++)
        evict(fc, &fc->entries[i]);
    free(fc->entries);
    free(fc->buckets);
    free(fc);
}

void file_cache_begin(struct file_cache *fc)
{
    fc->scope = ++fc->last_scope;
}

void file_cache_end(struct file_cache *fc)
{
    fc->scope = 0;
}

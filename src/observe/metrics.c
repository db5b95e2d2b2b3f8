/*
 * metrics.c - see metrics.h.
 */
#include "compat.h"

#include "metrics.h"

#include "textbuf.h"
#include "version.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* Sub-millisecond buckets first: a small answer on a LAN or loopback takes tens of microseconds. */
static const double bucket_bounds[METRICS_BUCKETS] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,    0.025,  0.05,    0.1,    0.5,   1.0};
static const int64_t bucket_bounds_us[METRICS_BUCKETS] = {50,    100,   250,   500,    1000,   2500,   5000,
                                                          10000, 25000, 50000, 100000, 500000, 1000000};
static const char *const method_names[METRICS_METHODS] = {"GET", "HEAD", "other"};
static const char *const class_names[5] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

/* One worker's counters, on their own cache lines. */
struct slot_counters {
    _Atomic uint64_t requests[METRICS_METHODS][5];          /* by method and status class */
    _Atomic uint64_t bytes;                                 /* response bytes sent */
    _Atomic uint64_t duration_buckets[METRICS_BUCKETS + 1]; /* non-cumulative; last = +Inf */
    _Atomic uint64_t duration_us_sum;                       /* sum of durations */
    _Atomic uint64_t accepted;                              /* connections accepted */
    _Atomic int64_t open;                                   /* connections open now */
    _Atomic uint64_t health[2];                             /* health-path answers: [0] 200, [1] 503 */
    _Atomic uint64_t auth[3];                               /* basic auth: crypt() calls, of which refused,
                                                               429s without crypt() */
    _Atomic uint64_t gzip[5];                               /* compression on the fly: cache hits,
                                                               compressions made (or handed to a child),
                                                               bytes saved, files that changed while they
                                                               were read, shared results evicted */
    _Atomic int64_t gzip_cache_bytes;                       /* compressed bytes the worker holds now */
    _Atomic uint64_t decoded[2];                            /* compressed-only files decoded for a client:
                                                               answers started, bombs stopped */
    _Atomic int64_t gzip_turn_max;                          /* the most bytes one loop turn compressed */
} __attribute__((aligned(64)));

struct metrics {
    int workers;                 /* worker slots */
    int slots;                   /* counter blocks: two a worker slot (see metrics_create()) */
    _Atomic uint64_t restarts;   /* workers replaced by the master */
    struct slot_counters slot[]; /* one per worker slot */
};

/* Adds to a counter that only this process writes: a relaxed load and store, no lock. */
static inline void bump(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

struct metrics *metrics_create(int workers)
{
    int slots = 2 * workers;
    size_t size = sizeof(struct metrics) + (size_t)slots * sizeof(struct slot_counters);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    struct metrics *m = p; /* mmap gives zeroed memory */
    m->workers = workers;
    m->slots = slots;
    return m;
}

void metrics_record_request(struct metrics *m, int slot, int method, int status, int64_t bytes, int64_t duration_us)
{
    if (m == NULL)
        return;
    struct slot_counters *s = &m->slot[slot];
    int cls = status / 100 - 1;
    if (cls < 0 || cls > 4)
        cls = 4;
    bump(&s->requests[method][cls], 1);
    bump(&s->bytes, (uint64_t)(bytes > 0 ? bytes : 0));
    int b = 0;
    while (b < METRICS_BUCKETS && duration_us > bucket_bounds_us[b])
        b++;
    bump(&s->duration_buckets[b], 1);
    bump(&s->duration_us_sum, (uint64_t)(duration_us > 0 ? duration_us : 0));
}

void metrics_note_health(struct metrics *m, int slot, int status)
{
    if (m != NULL)
        bump(&m->slot[slot].health[status == 200 ? 0 : 1], 1);
}

void metrics_note_auth_crypt(struct metrics *m, int slot, bool accepted)
{
    if (m == NULL)
        return;
    bump(&m->slot[slot].auth[0], 1);
    if (!accepted)
        bump(&m->slot[slot].auth[1], 1);
}

void metrics_note_auth_limited(struct metrics *m, int slot)
{
    if (m != NULL)
        bump(&m->slot[slot].auth[2], 1);
}

void metrics_note_gzip(struct metrics *m, int slot, bool hit, bool made, bool unstable, int64_t saved,
                       int64_t cache_bytes, int evicted, int64_t turn_max)
{
    if (m == NULL)
        return;
    struct slot_counters *s = &m->slot[slot];
    bump(&s->gzip[0], hit ? 1 : 0);
    bump(&s->gzip[1], made ? 1 : 0);
    bump(&s->gzip[2], (uint64_t)(saved > 0 ? saved : 0));
    bump(&s->gzip[3], unstable ? 1 : 0);
    bump(&s->gzip[4], (uint64_t)(evicted > 0 ? evicted : 0));
    if (turn_max >= 0)
        atomic_store_explicit(&s->gzip_turn_max, turn_max, memory_order_relaxed);
    if (cache_bytes >= 0)
        atomic_store_explicit(&s->gzip_cache_bytes, cache_bytes, memory_order_relaxed);
}

void metrics_note_decoded(struct metrics *m, int slot, bool bomb)
{
    if (m != NULL)
        bump(&m->slot[slot].decoded[bomb ? 1 : 0], 1);
}

void metrics_note_accept(struct metrics *m, int slot, int open_connections)
{
    if (m == NULL)
        return;
    bump(&m->slot[slot].accepted, 1);
    atomic_store_explicit(&m->slot[slot].open, open_connections, memory_order_relaxed);
}

void metrics_set_open(struct metrics *m, int slot, int open_connections)
{
    if (m != NULL)
        atomic_store_explicit(&m->slot[slot].open, open_connections, memory_order_relaxed);
}

void metrics_worker_gone(struct metrics *m, int slot)
{
    if (m == NULL)
        return;
    atomic_store_explicit(&m->slot[slot].open, 0, memory_order_relaxed);
    atomic_store_explicit(&m->slot[slot].gzip_cache_bytes, 0, memory_order_relaxed);
}

void metrics_note_restart(struct metrics *m)
{
    if (m != NULL)
        atomic_fetch_add_explicit(&m->restarts, 1, memory_order_relaxed);
}

/* Sums, over all slots, the counter at byte offset 'offset' of struct slot_counters. */
static uint64_t sum_at(const struct metrics *m, size_t offset)
{
    uint64_t total = 0;
    for (int i = 0; i < m->slots; i++) {
        const _Atomic uint64_t *c = (const _Atomic uint64_t *)((const char *)&m->slot[i] + offset);
        total += atomic_load_explicit(c, memory_order_relaxed);
    }
    return total;
}

/* Sums, over all slots, the signed gauge at byte offset 'offset' of struct slot_counters. */
/* The largest signed gauge at offset over the blocks. */
static int64_t max_gauge_at(const struct metrics *m, size_t offset)
{
    int64_t most = 0;
    for (int i = 0; i < m->slots; i++) {
        int64_t v =
            atomic_load_explicit((const _Atomic int64_t *)((const char *)&m->slot[i] + offset), memory_order_relaxed);
        most = v > most ? v : most;
    }
    return most;
}

static int64_t sum_gauge_at(const struct metrics *m, size_t offset)
{
    int64_t total = 0;
    for (int i = 0; i < m->slots; i++) {
        const _Atomic int64_t *g = (const _Atomic int64_t *)((const char *)&m->slot[i] + offset);
        total += atomic_load_explicit(g, memory_order_relaxed);
    }
    return total;
}

#define AT(field)      offsetof(struct slot_counters, field)
#define AT_I(field, i) (offsetof(struct slot_counters, field) + (size_t)(i) * sizeof(uint64_t))

/* Where a metric's value comes from. */
enum metric_source {
    FROM_COUNTERS,  /* the counter at offset, summed over the blocks */
    FROM_GAUGES,    /* the signed gauge at offset, summed over the blocks */
    FROM_GAUGE_MAX, /* the signed gauge at offset, the largest over the blocks */
    FROM_RESTARTS,  /* the master's restart count */
    FROM_WORKERS    /* the worker slots */
};

/* One line of the exposition; a row whose name differs from the one before starts a family (HELP, TYPE). */
struct metric_row {
    const char *name;
    const char *type;   /* "counter" or "gauge" */
    const char *help;   /* the family's help (its first row's) */
    const char *labels; /* "{...}" or "" */
    enum metric_source source;
    size_t offset; /* for FROM_COUNTERS and FROM_GAUGES */
};

static const struct metric_row rows[] = {
    {"otuserver_health_checks_total", "counter",
     "Answers to the health path (--health-path), by status; not in requests_total.", "{status=\"200\"}", FROM_COUNTERS,
     AT_I(health, 0)},
    {"otuserver_health_checks_total", "counter", NULL, "{status=\"503\"}", FROM_COUNTERS, AT_I(health, 1)},
    {"otuserver_auth_crypt_calls_total", "counter",
     "Basic-auth password checks with crypt() (cached credentials need none).", "", FROM_COUNTERS, AT_I(auth, 0)},
    {"otuserver_auth_crypt_failures_total", "counter", "Of those, the ones that refused the credentials.", "",
     FROM_COUNTERS, AT_I(auth, 1)},
    {"otuserver_auth_limited_total", "counter",
     "Requests answered 429 without crypt(): their address failed too often.", "", FROM_COUNTERS, AT_I(auth, 2)},
    {"otuserver_compress_cache_hits_total", "counter",
     "Answers compressed on the fly that came from the compression cache (shared or the workers').", "", FROM_COUNTERS,
     AT_I(gzip, 0)},
    {"otuserver_compress_cache_misses_total", "counter",
     "Files compressed on the fly, in the worker or by a child (a cache miss).", "", FROM_COUNTERS, AT_I(gzip, 1)},
    {"otuserver_compress_bytes_saved_total", "counter",
     "Bytes not sent thanks to compression on the fly: file sizes minus variant sizes of bodies sent.", "",
     FROM_COUNTERS, AT_I(gzip, 2)},
    {"otuserver_compress_unstable_total", "counter",
     "Files that changed while they were read for compression: sent as they were, nothing kept.", "", FROM_COUNTERS,
     AT_I(gzip, 3)},
    {"otuserver_compress_cache_evictions_total", "counter",
     "Results removed from --compress-cache-dir to keep it within --compress-cache-size.", "", FROM_COUNTERS,
     AT_I(gzip, 4)},
    {"otuserver_compress_cache_bytes", "gauge", "Compressed bytes the workers' memory caches hold.", "", FROM_GAUGES,
     AT(gzip_cache_bytes)},
    {"otuserver_decoded_total", "counter",
     "Answers decoded on the fly from a compressed file without its original (page.html.gz only), for a client "
     "that does not accept its coding.",
     "", FROM_COUNTERS, AT_I(decoded, 0)},
    {"otuserver_decode_bombs_total", "counter",
     "Of those, the ones stopped at a bound (more than 1 GiB out, or 1,000 bytes per compressed byte): connection "
     "closed.",
     "", FROM_COUNTERS, AT_I(decoded, 1)},
    {"otuserver_compress_turn_bytes_max", "gauge",
     "The most bytes one worker compressed in one loop turn (never above its 1 MiB budget).", "", FROM_GAUGE_MAX,
     AT(gzip_turn_max)},
    {"otuserver_response_bytes_total", "counter", "Bytes sent in responses, heads included.", "", FROM_COUNTERS,
     AT(bytes)},
    {"otuserver_connections_open", "gauge", "Client connections open now.", "", FROM_GAUGES, AT(open)},
    {"otuserver_connections_accepted_total", "counter", "Client connections accepted.", "", FROM_COUNTERS,
     AT(accepted)},
    {"otuserver_worker_restarts_total", "counter", "Workers replaced after they died.", "", FROM_RESTARTS, 0},
    {"otuserver_workers", "gauge", "Worker slots.", "", FROM_WORKERS, 0},
};

/* Writes one row: its family's HELP and TYPE when it starts one, then its value. */
static void render_row(const struct metrics *m, const struct metric_row *r, const struct metric_row *prev,
                       struct textbuf *o)
{
    if (prev == NULL || strcmp(prev->name, r->name) != 0)
        textbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", r->name, r->help, r->name, r->type);
    long long v = 0;
    switch (r->source) {
    case FROM_COUNTERS: v = (long long)sum_at(m, r->offset); break;
    case FROM_GAUGES: v = (long long)sum_gauge_at(m, r->offset); break;
    case FROM_GAUGE_MAX: v = (long long)max_gauge_at(m, r->offset); break;
    case FROM_RESTARTS: v = (long long)atomic_load_explicit(&m->restarts, memory_order_relaxed); break;
    case FROM_WORKERS: v = m->workers; break;
    }
    textbuf_printf(o, "%s%s %lld\n", r->name, r->labels, v);
}

/* The requests family: one line per method and status class. */
static void render_requests(const struct metrics *m, struct textbuf *o)
{
    textbuf_printf(o, "# HELP otuserver_requests_total Requests answered, by method and status class.\n"
                      "# TYPE otuserver_requests_total counter\n");
    for (int meth = 0; meth < METRICS_METHODS; meth++) {
        for (int cls = 0; cls < 5; cls++)
            textbuf_printf(o, "otuserver_requests_total{method=\"%s\",code=\"%s\"} %llu\n", method_names[meth],
                           class_names[cls], (unsigned long long)sum_at(m, AT_I(requests, meth * 5 + cls)));
    }
}

/* The duration histogram: cumulative buckets, sum and count. */
static void render_durations(const struct metrics *m, struct textbuf *o)
{
    textbuf_printf(o, "# HELP otuserver_request_duration_seconds Time from a complete request head to the last "
                      "byte sent.\n# TYPE otuserver_request_duration_seconds histogram\n");
    uint64_t cumulative = 0;
    for (int b = 0; b <= METRICS_BUCKETS; b++) {
        cumulative += sum_at(m, AT_I(duration_buckets, b));
        if (b < METRICS_BUCKETS)
            textbuf_printf(o, "otuserver_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bucket_bounds[b],
                           (unsigned long long)cumulative);
        else
            textbuf_printf(o, "otuserver_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                           (unsigned long long)cumulative);
    }
    textbuf_printf(o, "otuserver_request_duration_seconds_sum %.6f\notuserver_request_duration_seconds_count %llu\n",
                   (double)sum_at(m, AT(duration_us_sum)) / 1e6, (unsigned long long)cumulative);
}

int metrics_render(const struct metrics *m, char *buf, size_t cap)
{
    struct textbuf o = textbuf_over(buf, cap);
    textbuf_printf(&o,
                   "# HELP otuserver_build_info The running otuserver version.\n"
                   "# TYPE otuserver_build_info gauge\notuserver_build_info{version=\"%s\"} 1\n",
                   OTU_VERSION);
    render_requests(m, &o);
    for (size_t i = 0; i < OTU_ARRAY_LEN(rows); i++)
        render_row(m, &rows[i], i > 0 ? &rows[i - 1] : NULL, &o);
    render_durations(m, &o);
    return o.cut ? -1 : (int)o.len;
}

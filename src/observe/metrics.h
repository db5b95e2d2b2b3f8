/*
 * metrics.h - counters shared by every process, shown in Prometheus format.
 *
 * The master maps one anonymous shared region before forking.  Each worker
 * slot owns a block of counters that only its worker writes (plain relaxed
 * stores: no lock, no cache line shared between workers); whoever renders
 * /metrics sums the blocks.  A replaced worker carries on in its slot, so
 * totals survive worker deaths.
 */
#ifndef OTU_METRICS_H
#define OTU_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bounds (seconds) of the request-duration histogram buckets; +Inf is implied. */
#define METRICS_BUCKETS 13

struct metrics;

/*
 * Maps the shared region for 'workers' worker slots: two blocks of
 * counters a slot (0 .. 2 * workers - 1), so that during a reload a worker
 * and its replacement never write the same block (the master alternates
 * them).  Returns NULL when mmap fails.  Call in the master, before forking.
 */
struct metrics *metrics_create(int workers);

/* Records one finished response in the worker's slot. */
void metrics_record_request(struct metrics *m, int slot, int method, int status, int64_t bytes, int64_t duration_us);

/* Records one answer to the health path (200 or 503); kept out of the request counters. */
void metrics_note_health(struct metrics *m, int slot, int status);

/* Counts one crypt() call of basic auth, and whether it refused the credentials. */
void metrics_note_auth_crypt(struct metrics *m, int slot, bool accepted);

/* Counts a basic-auth request refused with 429 (its address failed too often) without crypt(). */
void metrics_note_auth_limited(struct metrics *m, int slot);

/*
 * Counts one answer's part in compression on the fly: a cache hit, a
 * compression made (or handed to a child), a file that changed while it
 * was read (unstable: sent as it is), the bytes it saved (the file's size
 * minus the variant's), the shared results evicted; and sets the slot's
 * gauges of compressed bytes held and of the most bytes one loop turn
 * compressed (cache_bytes, turn_max < 0: unchanged).
 */
void metrics_note_gzip(struct metrics *m, int slot, bool hit, bool made, bool unstable, int64_t saved,
                       int64_t cache_bytes, int evicted, int64_t turn_max);

/*
 * Counts a compressed-only file decoded for a client (bomb false: when its
 * answer starts), or such a decoding stopped at a bound (bomb true).
 */
void metrics_note_decoded(struct metrics *m, int slot, bool bomb);

/* Counts a connection accepted by the worker in slot, and sets its open-connection gauge. */
void metrics_note_accept(struct metrics *m, int slot, int open_connections);

/* Sets the open-connection gauge of a slot. */
void metrics_set_open(struct metrics *m, int slot, int open_connections);

/*
 * The worker of slot is gone (master): its gauges (open connections,
 * compressed bytes held) go to 0; its counters stay, so totals never go down.
 */
void metrics_worker_gone(struct metrics *m, int slot);

/* Counts a worker restart (master). */
void metrics_note_restart(struct metrics *m);

/*
 * Writes the Prometheus text exposition (format 0.0.4) of all counters into
 * buf.  Returns its length, or -1 when it does not fit in cap bytes.
 */
int metrics_render(const struct metrics *m, char *buf, size_t cap);

/* Method classes for metrics_record_request(). */
enum metrics_method { METRICS_GET = 0, METRICS_HEAD, METRICS_OTHER, METRICS_METHODS };

#endif

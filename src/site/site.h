/*
 * site.h - the site as the connection engine's application: one request
 * decided in order, by one function: the health path, then basic auth (a
 * CORS preflight from an allowed origin passes, since browsers never send
 * credentials on one), then the handler (CORS, redirects, files).
 *
 * Socket-free: conn hands it parsed requests through struct conn_app and
 * sends what it answers; the worker owns it and calls its housekeeping.
 */
#ifndef OTU_SITE_H
#define OTU_SITE_H

#include "config.h"
#include "conn.h"

struct metrics;

/* One worker's site: its handler, its basic auth, where it counts. */
struct site;

/*
 * Opens the document root and, with --basic-auth-file, the password file,
 * for a worker counting in metrics block slot (metrics NULL: off).
 * Returns the site, or NULL with errno set (a reason is logged).
 */
struct site *site_new(const struct config *cfg, struct metrics *metrics, int slot);

/* Frees it; NULL is fine. */
void site_free(struct site *s);

/* Fills *app with the site's answers for conn_ctx_new(). */
void site_app(struct site *s, struct conn_app *app);

/* Housekeeping for the worker's timer, between requests: the root's re-resolution, the file cache's sweep. */
void site_tick(struct site *s);

/* SIGHUP to one worker: the root's path and the password file read again at once. */
void site_refresh(struct site *s);

#endif

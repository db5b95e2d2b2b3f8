/*
 * site.c - see site.h.
 */
#include "compat.h"

#include "site.h"

#include "auth.h"
#include "clock.h"
#include "cors.h"
#include "handler.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "request_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct site {
    const struct config *cfg; /* settings */
    struct handler handler;   /* files, folders, CORS, redirects */
    struct auth *auth;        /* basic authentication, or NULL when off */
    struct metrics *metrics;  /* shared counters, or NULL */
    int slot;                 /* this worker's block in metrics */
};

/* A compressed-only file's decoding stopped: a bomb is counted (a read or data error is only logged). */
static void site_decode_stopped(void *arg, bool bomb)
{
    struct site *s = arg;
    if (bomb)
        metrics_note_decoded(s->metrics, s->slot, true);
}

struct site *site_new(const struct config *cfg, struct metrics *metrics, int slot)
{
    struct site *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->cfg = cfg;
    s->metrics = metrics;
    s->slot = slot;
    char err[256];
    if (cfg->basic_auth_file[0] != '\0' &&
        (s->auth = auth_new(cfg->basic_auth_file, cfg->basic_auth_realm, cfg->headers.headers, metrics, slot, err,
                            sizeof(err))) == NULL) {
        LOG_ERROR("basic auth file '%s': %s", cfg->basic_auth_file, err);
        free(s);
        errno = EINVAL;
        return NULL;
    }
    if (handler_init(&s->handler, cfg) < 0) {
        int saved = errno;
        LOG_ERROR("worker: cannot open the document root %s: %s", cfg->root, strerror(saved));
        auth_free(s->auth);
        free(s);
        errno = saved;
        return NULL;
    }
    s->handler.decode_hook = (struct precomp_hook){.stopped = site_decode_stopped, .arg = s};
    return s;
}

void site_free(struct site *s)
{
    if (s == NULL)
        return;
    handler_free(&s->handler);
    auth_free(s->auth);
    free(s);
}

/*
 * With basic auth on, answers q with 401 (or 429) into r unless it carries
 * valid credentials; returns true when it did.  After
 * AUTH_CONN_FAILURES_MAX wrong ones on a connection, that connection closes.
 */
static bool refused_by_auth(struct site *s, const struct conn_request *q, struct reply *r)
{
    enum auth_verdict v = auth_check(s->auth, q->info->authorization, q->client, clock_tick_ms());
    if (v == AUTH_OK)
        return false;
    if (v == AUTH_WRONG)
        (*q->strikes)++;
    bool close = !q->keep_alive || v == AUTH_LIMITED || *q->strikes >= AUTH_CONN_FAILURES_MAX;
    auth_respond(s->auth, v, q->info->method == HTTP_METHOD_HEAD, close, s->handler.server, q->date, r);
    return true;
}

/* True when q asks for the health path: GET or HEAD of exactly it. */
static bool is_health_probe(const struct site *s, const struct conn_request *q)
{
    const struct http_request_info *i = q->info;
    return q->rc == 0 && (i->method == HTTP_METHOD_GET || i->method == HTTP_METHOD_HEAD) &&
           health_path_matches(s->cfg->health_path, i->path);
}

/* The one decision: health, then auth (an allowed preflight passes), then the handler. */
static bool site_answer(void *arg, const struct conn_request *q, struct reply *r)
{
    struct site *s = arg;
    if (is_health_probe(s, q)) { /* answered here, never from the root: a quiet answer */
        health_respond(s->cfg->headers.headers, health_root_ok(s->cfg->root, s->handler.root.fd),
                       q->info->method == HTTP_METHOD_HEAD, q->keep_alive, s->handler.server, q->date, r);
        return true;
    }
    if (q->rc == 0 && s->auth != NULL && !cors_preflight_allowed(&s->cfg->cors, q->info) && refused_by_auth(s, q, r))
        return false; /* 401 or 429: nothing of the site is looked at */
    s->handler.turn = q->turn;
    handler_respond(&s->handler, q->rc, q->info, q->keep_alive, q->date, r);
    if (r->decoded)
        metrics_note_decoded(s->metrics, s->slot, false);
    if (r->gzip_hit || r->gzip_made || r->gzip_unstable || r->gzip_cache_bytes >= 0)
        metrics_note_gzip(s->metrics, s->slot, r->gzip_hit, r->gzip_made, r->gzip_unstable, r->gzip_saved,
                          r->gzip_cache_bytes, r->gzip_evicted, r->gzip_turn_max);
    return false;
}

static void site_error(void *arg, int status, const char *date, struct reply *r)
{
    struct site *s = arg;
    handler_error(&s->handler, status, false, date, r);
}

static void site_done(void *arg)
{
    handler_reply_done(&((struct site *)arg)->handler);
}

static void site_file_shrank(void *arg, int fd)
{
    handler_file_shrank(&((struct site *)arg)->handler, fd);
}

static void site_finished(void *arg, const struct request_record *rec)
{
    struct site *s = arg;
    request_log_finish(rec, clock_mono_us(), (enum access_log_format)s->cfg->log_format, s->metrics, s->slot);
}

void site_app(struct site *s, struct conn_app *app)
{
    *app = (struct conn_app){
        .arg = s,
        .head_max = handler_head_max(&s->handler),
        .body_max = HANDLER_BODY_MAX,
        .answer = site_answer,
        .error = site_error,
        .done = site_done,
        .file_shrank = site_file_shrank,
        .finished = site_finished,
    };
}

void site_tick(struct site *s)
{
    handler_tick(&s->handler);
}

void site_refresh(struct site *s)
{
    handler_refresh_root(&s->handler); /* a deploy behind a symlinked root, at once */
    if (s->auth != NULL)
        auth_reload(s->auth); /* a changed htpasswd file */
}

/*
 * health.h - the answer to the health path (--health-path, e.g. /healthz).
 *
 * A GET or HEAD of exactly that path (the query ignored) never touches the
 * site: the worker answers it itself, 200 "ok" when it can serve from the
 * document root, 503 when it cannot (the root was removed or renamed, or
 * can no longer be opened).  Load balancers, Kubernetes and Docker probe it
 * every few seconds, so conn logs it only at debug level and counts it
 * apart from the site's requests.
 */
#ifndef OTU_HEALTH_H
#define OTU_HEALTH_H

#include "reply.h"
#include "http_parser.h"

#include <stdbool.h>

/* Returns true when health_path (the setting, "" = off) is on and path (still encoded, no query) is it. */
bool health_path_matches(const char *health_path, struct http_slice path);

/*
 * Returns true when the worker can serve from its root: the configured path
 * root_path still opens as a directory, and the directory the worker serves
 * from (served_fd, -1 when unknown) has not been removed.
 */
bool health_root_ok(const char *root_path, int served_fd);

/*
 * Fills *r with the answer: 200 "ok" when ok, else 503, as text/plain with
 * Cache-Control: no-store and headers (the --header lines, "" for none); no body for
 * HEAD.  keep_alive is what the connection would like.  server and date
 * are the Server and Date values.  The body is static; r->fd is -1.
 */
void health_respond(const char *headers, bool ok, bool head_only, bool keep_alive, const char *server, const char *date,
                    struct reply *r);

#endif

/*
 * health.c - see health.h.
 */
#include "compat.h"

#include "health.h"

#include "response.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool health_path_matches(const char *health_path, struct http_slice path)
{
    size_t n = strlen(health_path);
    return n > 0 && path.len == n && memcmp(path.p, health_path, n) == 0;
}

bool health_root_ok(const char *root_path, int served_fd)
{
    /* By its path: renamed away or removed, it no longer opens. */
    int fd = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    close(fd);
    /* What we serve from: a directory removed (even if another now has its name)
     * has no links left, and every file under it would be 404. */
    struct stat st;
    return served_fd < 0 || (fstat(served_fd, &st) == 0 && st.st_nlink > 0);
}

void health_respond(const char *headers, bool ok, bool head_only, bool keep_alive, const char *server, const char *date,
                    struct reply *r)
{
    static const char ok_body[] = "ok\n";
    static const char fail_body[] = "document root unavailable\n";
    const char *body = ok ? ok_body : fail_body;
    size_t body_len = ok ? sizeof(ok_body) - 1 : sizeof(fail_body) - 1;
    struct response_head h = {
        .status = ok ? 200 : 503,
        .server = server,
        .date = date,
        .content_type = "text/plain; charset=utf-8",
        .content_length = (int64_t)body_len,
        .cache_control = "no-store", /* a probe must reach the worker, not a cache */
        .extra = headers[0] != '\0' ? headers : NULL,
        .keep_alive = keep_alive,
    };
    reply_memory(r, &h, body, body_len, head_only);
}

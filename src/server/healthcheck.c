/*
 * healthcheck.c - see healthcheck.h.
 */
#include "compat.h"

#include "healthcheck.h"

#include "listen.h"

#include "clock.h"
#include "netaddr.h"
#include "proxy_proto.h"

/* The User-Agent of the probe.  It names the probe in access lines and hides
 * nothing: only answers to --health-path wait for debug level. */
#define HEALTHCHECK_AGENT "otuserver-healthcheck"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Returns milliseconds left until deadline (monotonic ms), at least 0. */
static int ms_left(int64_t deadline)
{
    int64_t now = clock_mono_ms();
    return deadline > now ? (int)(deadline - now) : 0;
}

/* Connects to the server listening on bind_addr (a wildcard means loopback) and port; returns the socket or -1. */
static int connect_local(const char *bind_addr, int port, int64_t deadline)
{
    struct sockaddr_storage ss;
    socklen_t len = listen_socket_addr(bind_addr, port, true, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
        goto fail;
    struct pollfd p = {fd, POLLOUT, 0};
    if (poll(&p, 1, ms_left(deadline)) != 1)
        goto fail;
    int err = 0;
    socklen_t elen = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0)
        goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

/*
 * With --proxy-protocol, a connection from a trusted address must start
 * with a PROXY header: the probe's own address is looked up (it is the
 * local end of fd) and, when trusted, a LOCAL header goes first, as a
 * balancer's own health check sends.  Writes it into out; returns its
 * length, 0 when none is needed.
 */
static size_t proxy_prefix(int fd, const struct config *cfg, uint8_t out[PROXY_LOCAL_LEN])
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct net_addr self;
    if (!cfg->proxy_protocol || getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
        !net_addr_from_sockaddr((struct sockaddr *)&ss, &self) || !net_list_contains(&cfg->trusted_proxies, &self))
        return 0;
    return proxy_write_local(out);
}

int healthcheck_run(const struct config *cfg)
{
    int64_t deadline = clock_mono_ms() + HEALTHCHECK_TIMEOUT_MS;

    int fd = connect_local(cfg->bind_addr, cfg->port, deadline);
    if (fd < 0 && strcmp(cfg->bind_addr, "::") == 0) /* the server fell back to 0.0.0.0 on a kernel without IPv6 */
        fd = connect_local("0.0.0.0", cfg->port, deadline);
    if (fd < 0) {
        printf("unhealthy: cannot connect to port %d\n", cfg->port);
        return 1;
    }
    const char *path = config_probe_path(cfg);
    char req[512 + PROXY_LOCAL_LEN];
    size_t pre = proxy_prefix(fd, cfg, (uint8_t *)req);
    int n =
        (int)pre + snprintf(req + pre, sizeof(req) - pre,
                            "GET %s HTTP/1.0\r\nHost: localhost\r\nUser-Agent: " HEALTHCHECK_AGENT "\r\n\r\n", path);
    int rc = 1;
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        printf("unhealthy: cannot send the request\n");
        goto done;
    }
    char status_line[64];
    size_t got = 0;
    while (got < sizeof(status_line) - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, ms_left(deadline)) != 1)
            break;
        ssize_t r = recv(fd, status_line + got, sizeof(status_line) - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (memchr(status_line, '\n', got))
            break;
    }
    status_line[got] = '\0';
    if (strncmp(status_line, "HTTP/1.1 200 ", 13) == 0 || strncmp(status_line, "HTTP/1.0 200 ", 13) == 0) {
        printf("healthy: GET %s answered 200\n", path);
        rc = 0;
    } else {
        char *eol = strpbrk(status_line, "\r\n");
        if (eol)
            *eol = '\0';
        printf("unhealthy: GET %s answered '%s'\n", path, got ? status_line : "nothing in time");
    }
done:
    close(fd);
    return rc;
}

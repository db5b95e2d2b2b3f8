/*
 * e2e_util.c - see e2e_util.h.
 */
#include "compat.h"

#include "e2e_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long e2e_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The lowest port the kernel hands to connect() (ip_local_port_range), or 32768. */
static int ephemeral_low(void)
{
    int low = 32768, high = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f != NULL) {
        if (fscanf(f, "%d %d", &low, &high) != 2)
            low = 32768;
        fclose(f);
    }
    return low;
}

/* True when nothing holds port on the IPv6 wildcard (dual-stack: IPv4 too), where the server listens. */
static bool port_is_free(int port)
{
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int off = 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = in6addr_any};
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/*
 * Ports are taken below the ephemeral range (E2E_PORTS of them), where
 * connect() never binds: a busy machine's outgoing connections (a load run
 * beside the suite) cannot take the port between this check and the
 * server's listen.  Random within the span, tried up to 200 times.
 */
#define E2E_PORTS 12000

int e2e_free_port(void)
{
    static unsigned seed;
    if (seed == 0)
        seed = (unsigned)getpid() * 2654435761U ^ (unsigned)e2e_now_ms();
    int high = ephemeral_low() - 1;
    int low = high - E2E_PORTS + 1 < 1024 ? 1024 : high - E2E_PORTS + 1;
    for (int i = 0; i < 200 && high >= low; i++) {
        int port = low + (int)(rand_r(&seed) % (unsigned)(high - low + 1));
        if (port_is_free(port))
            return port;
    }
    return -1;
}

/* Connects with a deadline of timeout_ms for the handshake. */
static int connect_within(const char *host, int port, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0)
        return -1;
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        close(fd);
        return -1;
    }
    /* Connect with a deadline: a vanished container's address would hang for minutes. */
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        struct pollfd p = {fd, POLLOUT, 0};
        int err = 0;
        socklen_t elen = sizeof(err);
        if (errno != EINPROGRESS || poll(&p, 1, timeout_ms) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0) {
            close(fd);
            return -1;
        }
    }
    fcntl(fd, F_SETFL, flags);
    /* Under valgrind (OTU_E2E_SLOW) a fresh worker can take seconds to start
     * taking connections: give reads and writes longer before calling it dead. */
    struct timeval tv = {(getenv("OTU_E2E_SLOW") ? 4 : 1) * E2E_TIMEOUT_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

int e2e_connect(int port)
{
    /* a slow server (valgrind) may leave SYNs waiting in a full backlog for a while */
    return connect_within("127.0.0.1", port, E2E_TIMEOUT_MS);
}

int e2e_connect_host(const char *host, int port)
{
    return connect_within(host, port, 1000); /* a vanished container must not hang a load run */
}

pid_t e2e_start(const char *bin, int port, const char *root, const char *log, const char *const extra[],
                const char *errlog)
{
    return e2e_start_probed(bin, port, root, log, extra, errlog, e2e_connect);
}

pid_t e2e_start_probed(const char *bin, int port, const char *root, const char *log, const char *const extra[],
                       const char *errlog, int (*connect_fn)(int port))
{
    char portbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    const char *argv[64] = {bin, "-p", portbuf, "-r", root, "-f", log};
    int argc = 7;
    for (; extra && *extra && argc < 62; extra++)
        argv[argc++] = *extra;
    argv[argc] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (errlog) {
            int fd = open(errlog, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                dup2(fd, 2);
                close(fd);
            }
        }
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        const char *nofile = getenv("OTU_E2E_NOFILE"); /* a small fd table, for EMFILE tests */
        if (nofile) {
            struct rlimit rl = {(rlim_t)atol(nofile), (rlim_t)atol(nofile)};
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (long long end = e2e_now_ms() + E2E_TIMEOUT_MS * 2; e2e_now_ms() < end;) {
        int fd = connect_fn(port);
        if (fd >= 0) {
            close(fd);
            return pid;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -1;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

int e2e_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    for (long long end = e2e_now_ms() + 15000; e2e_now_ms() < end;) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

int e2e_send(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

const char *e2e_header(const struct e2e_response *r, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    const char *p = strstr(r->head, "\r\n");
    while (p && p[2] != '\r') {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t len = e ? (size_t)(e - v) : strlen(v);
            if (len >= cap)
                len = cap - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return out;
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

int e2e_read_response(int fd, bool no_body, struct e2e_response *r)
{
    r->status = -1;
    r->head_len = 0;
    r->head[0] = '\0';
    r->body = NULL;
    r->body_len = 0;
    size_t got = 0;
    char *end = NULL;
    /* Read byte-wise up to the blank line so nothing of a pipelined next response is lost. */
    while (got < sizeof(r->head) - 1) {
        ssize_t n = recv(fd, r->head + got, 1, 0);
        if (n <= 0)
            return -1;
        got++;
        r->head[got] = '\0';
        if (got >= 4 && memcmp(r->head + got - 4, "\r\n\r\n", 4) == 0) {
            end = r->head + got;
            break;
        }
    }
    if (end == NULL || sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
        return -1;
    r->head_len = got;
    char cl[32];
    if (no_body || r->status == 304 || r->status == 204)
        return 0;
    if (e2e_header(r, "Content-Length", cl, sizeof(cl))) {
        size_t want = (size_t)strtoull(cl, NULL, 10);
        r->body = malloc(want + 1);
        while (r->body_len < want) {
            ssize_t n = recv(fd, r->body + r->body_len, want - r->body_len, 0);
            if (n <= 0)
                return -1;
            r->body_len += (size_t)n;
        }
        r->body[r->body_len] = '\0';
        return 0;
    }
    size_t cap = 65536;
    r->body = malloc(cap + 1);
    for (;;) {
        if (r->body_len == cap) {
            cap *= 2;
            r->body = realloc(r->body, cap + 1);
        }
        ssize_t n = recv(fd, r->body + r->body_len, cap - r->body_len, 0);
        if (n <= 0)
            break;
        r->body_len += (size_t)n;
    }
    r->body[r->body_len] = '\0';
    return 0;
}

int e2e_exchange(int port, const char *raw, struct e2e_response *r)
{
    r->status = -1;
    r->body = NULL;
    int fd = e2e_connect(port);
    if (fd < 0)
        return -1;
    int rc = -1;
    if (e2e_send(fd, raw, strlen(raw)) == 0)
        rc = e2e_read_response(fd, strncmp(raw, "HEAD ", 5) == 0, r);
    close(fd);
    return rc;
}

void e2e_response_free(struct e2e_response *r)
{
    free(r->body);
    r->body = NULL;
}

bool e2e_peer_closes(int fd, int timeout_ms)
{
    char buf[4096];
    long long end = e2e_now_ms() + timeout_ms;
    for (;;) {
        long long left = end - e2e_now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            return false;
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
    }
}

int e2e_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t n = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && n == len) ? 0 : -1;
}

char *e2e_read_file(const char *path, size_t *len)
{
    /* Read to EOF rather than trusting the size: /proc files report 0. */
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    buf[n] = '\0';
    *len = n;
    fclose(f);
    return buf;
}

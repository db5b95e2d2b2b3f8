/*
 * conns.c - the many-connections client of make bench-conns (bench/run-conns).
 *
 * Opens CONNS keep-alive connections to one server, at most RAMP a second,
 * from the source address SRC and the N-1 after it in turn (any of
 * 127.0.0.0/8: each address has the whole ephemeral port range toward one
 * server port; with 18,000 connections on one address, 2/3 of the range,
 * 10-30 % of otuserver's handshakes were reset, none with 4,500 on each of
 * four), and sends
 * one request on each, so the server holds every one as a kept connection
 * after an answer.  Then it prints "ready ..." and waits for SIGUSR1 (at most
 * WAIT seconds): the caller measures the server's memory in between.  On the
 * signal, ACTIVE of the connections send REQ_RATE requests a second each, for
 * SECONDS, while the rest stay idle; each request's latency is counted from
 * the moment it was due (a late answer delays the next request, and that wait
 * counts too), and "done ..." gives the percentiles.  It exits by itself,
 * resetting its connections (no TIME_WAIT).
 *
 *   usage: conns -p PORT [-a ADDR] [-S SRC [-s N]] [-n CONNS] [-k ACTIVE] [-r REQ_RATE]
 *                [-d SECONDS] [-m RAMP] [-W WAIT] [-u PATH]
 *   stdout: ready conns=N failed=N
 *           done requests=N errors=N closed=N p50_us=N p99_us=N p999_us=N max_us=N
 *   (closed: connections the server closed, idle or active)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* IP_BIND_ADDRESS_NO_PORT, strcasestr */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* An answer head larger than this is counted as an error (the bench's are ~300 bytes). */
#define CONNS_HEAD_MAX 1024
/* Latencies kept for the percentiles; later ones are dropped (with a note). */
#define CONNS_SAMPLES_MAX 4000000
/* Connections one process may open: under the machine's 20,000 descriptors each. */
#define CONNS_MAX 19900
/* Events taken per epoll_wait(). */
#define CONNS_EVENTS 512
/* The ramp gives up after this long beyond its planned time. */
#define CONNS_RAMP_SLACK_S 30

enum state { CONNECTING, WAITING, IDLE, DONE };

struct conn {
    int fd;
    enum state state;
    bool active;         /* sends REQ_RATE requests a second once started */
    int64_t due_us;      /* when the active connection's next request is due */
    int64_t sent_due_us; /* when the request in flight was due */
    size_t head_len;     /* bytes of the answer's head so far */
    int64_t body_left;   /* body bytes still to read, once the head is in */
    char head[CONNS_HEAD_MAX];
};

static struct conn *conns;
static int nconns, nactive;
static struct sockaddr_in server, source;
static bool have_source;
static int nsources = 1; /* -s: consecutive source addresses from -S, used in turn */
static char request[512];
static size_t request_len;
static int64_t *samples;
static size_t nsamples;
static long errors, closed, requests, connected, failed;
static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
    (void)sig;
    go = 1;
}

/* Microseconds on the monotonic clock. */
static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The number in ARG for option OPT, from MIN to MAX, or a usage error (exit 2). */
static long parse_long(const char *arg, char opt, long min, long max)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "conns: -%c takes a number from %ld to %ld, not '%s'\n", opt, min, max, arg);
        exit(2);
    }
    return v;
}

/* Parses an IPv4 address for option OPT into sa, or exits 2. */
static void parse_addr(const char *arg, char opt, struct sockaddr_in *sa)
{
    sa->sin_family = AF_INET;
    if (inet_pton(AF_INET, arg, &sa->sin_addr) != 1) {
        fprintf(stderr, "conns: -%c takes an IPv4 address, not '%s'\n", opt, arg);
        exit(2);
    }
}

/* Closes c and counts why: the server closed it (closed) or it failed (errors). */
static void conn_end(struct conn *c, bool by_server)
{
    if (c->state == DONE)
        return;
    if (by_server)
        closed++;
    else
        errors++;
    close(c->fd);
    c->state = DONE;
}

/* Sends the request on c (one send: it is far below a socket buffer). */
static void conn_send(struct conn *c, int64_t due_us)
{
    if (send(c->fd, request, request_len, MSG_NOSIGNAL) != (ssize_t)request_len) {
        conn_end(c, errno == EPIPE || errno == ECONNRESET);
        return;
    }
    c->state = WAITING;
    c->sent_due_us = due_us;
    c->head_len = 0;
    c->body_left = -1;
}

/* Starts a non-blocking connect for conns[i]; registers it with epoll. */
static void conn_open(int ep, int i)
{
    struct conn *c = &conns[i];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    c->state = DONE;
    if (c->fd < 0) {
        failed++;
        return;
    }
    int one = 1;
    if (have_source) {
        /* the port is chosen at connect() from the 4-tuple, not reserved at bind() */
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        struct sockaddr_in src = source;
        src.sin_addr.s_addr = htonl(ntohl(source.sin_addr.s_addr) + (uint32_t)(i % nsources));
        if (bind(c->fd, (const struct sockaddr *)&src, sizeof(src)) < 0) {
            close(c->fd);
            failed++;
            return;
        }
    }
    if (connect(c->fd, (const struct sockaddr *)&server, sizeof(server)) < 0 && errno != EINPROGRESS) {
        close(c->fd);
        failed++;
        return;
    }
    c->state = CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        close(c->fd);
        c->state = DONE;
        failed++;
    }
}

/* Records a latency sample. */
static void note_latency(int64_t us)
{
    requests++;
    if (nsamples < CONNS_SAMPLES_MAX)
        samples[nsamples++] = us;
}

/*
 * Reads the answer arriving on c; when it is whole, records its latency (an
 * active connection's, once started) and moves c to IDLE.  The server closing
 * the connection ends it.
 */
static void conn_read(struct conn *c, bool started)
{
    char buf[16384];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            conn_end(c, n == 0 || errno == ECONNRESET);
            return;
        }
        if (c->state != WAITING) {
            conn_end(c, false); /* bytes nobody asked for */
            return;
        }
        size_t used = 0;
        if (c->body_left < 0) {
            size_t take = (size_t)n < sizeof(c->head) - c->head_len ? (size_t)n : sizeof(c->head) - c->head_len;
            memcpy(c->head + c->head_len, buf, take);
            c->head_len += take;
            char *end = memmem(c->head, c->head_len, "\r\n\r\n", 4);
            if (end == NULL) {
                if (c->head_len == sizeof(c->head))
                    conn_end(c, false);
                continue;
            }
            size_t hl = (size_t)(end + 4 - c->head);
            *end = '\0';
            const char *cl = strcasestr(c->head, "\r\ncontent-length:");
            c->body_left = cl ? strtoll(cl + 17, NULL, 10) : 0;
            used = take - (c->head_len - hl); /* the bytes of buf that were head */
        }
        c->body_left -= (int64_t)((size_t)n - used);
        if (c->body_left > 0)
            continue;
        if (c->body_left < 0) {
            conn_end(c, false); /* more than the answer: the framing is lost */
            return;
        }
        if (c->active && started)
            note_latency(now_us() - c->sent_due_us);
        c->state = IDLE;
        c->body_left = -1;
        return; /* level-triggered: anything more wakes us again */
    }
}

/* The latency at quantile q (0..1) of the sorted samples. */
static int64_t quantile(double q)
{
    if (nsamples == 0)
        return 0;
    size_t i = (size_t)(q * (double)(nsamples - 1) + 0.5);
    return samples[i];
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Waits for and handles events for at most timeout_ms; STARTED: the active phase runs. */
static void poll_once(int ep, int timeout_ms, bool started)
{
    struct epoll_event events[CONNS_EVENTS];
    int n = epoll_wait(ep, events, CONNS_EVENTS, timeout_ms);
    for (int e = 0; e < n; e++) {
        struct conn *c = &conns[events[e].data.u32];
        if (c->state == DONE)
            continue;
        if (c->state == CONNECTING) {
            int err = 0;
            socklen_t len = sizeof(err);
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
                close(c->fd);
                c->state = DONE;
                failed++;
                continue;
            }
            connected++;
            struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = events[e].data.u32};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            conn_send(c, now_us());
            continue;
        }
        if (events[e].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            conn_read(c, started);
    }
}

/* The command line: what main() needs beyond the globals it sets (server, source, nsources). */
struct options {
    const char *addr, *path;
    long port, n, active, rate, seconds, ramp, wait_s;
};

/* Reads the command line into *o; returns 0, or 2 (usage printed). */
static int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){.addr = "127.0.0.1",
                          .path = "/httptest/dir2/page.html",
                          .n = 1000,
                          .rate = 10,
                          .seconds = 10,
                          .ramp = 5000,
                          .wait_s = 300};
    int opt;
    while ((opt = getopt(argc, argv, "p:a:S:s:n:k:r:d:m:W:u:")) != -1) {
        switch (opt) {
        case 'p': o->port = parse_long(optarg, 'p', 1, 65535); break;
        case 'a': o->addr = optarg; break;
        case 'S':
            parse_addr(optarg, 'S', &source);
            have_source = true;
            break;
        case 's': nsources = (int)parse_long(optarg, 's', 1, 250); break;
        case 'n': o->n = parse_long(optarg, 'n', 1, CONNS_MAX); break;
        case 'k': o->active = parse_long(optarg, 'k', 0, CONNS_MAX); break;
        case 'r': o->rate = parse_long(optarg, 'r', 1, 100000); break;
        case 'd': o->seconds = parse_long(optarg, 'd', 1, 3600); break;
        case 'm': o->ramp = parse_long(optarg, 'm', 1, 1000000); break;
        case 'W': o->wait_s = parse_long(optarg, 'W', 0, 3600); break;
        case 'u': o->path = optarg; break;
        default:
            fprintf(stderr, "usage: conns -p PORT [-a ADDR] [-S SRC [-s N]] [-n CONNS] [-k ACTIVE] [-r REQ_RATE] "
                            "[-d SECONDS] [-m RAMP] [-W WAIT] [-u PATH]\n");
            return 2;
        }
    }
    if (o->port == 0 || optind != argc || o->active > o->n || o->path[0] != '/' || strlen(o->path) > 256) {
        fprintf(stderr, "conns: -p PORT is required, -k at most -n, -u a path of at most 256 bytes\n");
        return 2;
    }
    return 0;
}

/* The ramp: connects at ramp a second, each sending its first request, until all are idle or given up. */
static void ramp_up(int ep, long ramp)
{
    int64_t t0 = now_us();
    int64_t deadline = t0 + ((int64_t)nconns * 1000000 / ramp) + (int64_t)CONNS_RAMP_SLACK_S * 1000000;
    int opened = 0;
    while (now_us() < deadline) {
        int64_t allowed = (now_us() - t0) * ramp / 1000000 + 1;
        while (opened < nconns && opened < allowed)
            conn_open(ep, opened++);
        long idle = 0;
        for (int i = 0; i < nconns; i++)
            idle += conns[i].state == IDLE;
        if (opened == nconns && idle + failed + errors + closed >= nconns)
            break;
        poll_once(ep, 10, false);
    }
}

/* The active phase: each active connection sends a request every 1/rate s for seconds, timed. */
static void run_active(int ep, long rate, long seconds)
{
    int64_t start = now_us(), end = start + seconds * 1000000;
    int64_t interval = 1000000 / rate;
    for (int i = 0; i < nactive; i++) /* spread the first requests over one interval */
        conns[i].due_us = start + interval * i / (nactive > 0 ? nactive : 1);
    while (now_us() < end) {
        int64_t now = now_us(), next = end;
        for (int i = 0; i < nactive; i++) {
            struct conn *c = &conns[i];
            if (c->state == IDLE && c->due_us <= now) {
                conn_send(c, c->due_us);
                c->due_us += interval;
            }
            if (c->state == IDLE && c->due_us < next)
                next = c->due_us;
        }
        int64_t wait_ms = (next - now_us()) / 1000;
        poll_once(ep, wait_ms < 0 ? 0 : wait_ms > 100 ? 100 : (int)wait_ms, true);
    }
}

/*
 * Resets rather than closes: no TIME_WAIT left on either side, and the
 * connection-tracking entries go within seconds, not two minutes, so the
 * next server's run finds the table empty again.
 */
static void reset_all(void)
{
    struct linger abort_close = {.l_onoff = 1, .l_linger = 0};
    for (int i = 0; i < nconns; i++) {
        if (conns[i].state == DONE)
            continue;
        setsockopt(conns[i].fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
        close(conns[i].fd);
    }
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) != 0)
        return 2;
    parse_addr(o.addr, 'a', &server);
    server.sin_port = htons((unsigned short)o.port);
    request_len = (size_t)snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", o.path, o.addr);
    nconns = (int)o.n;
    nactive = (int)o.active;
    conns = calloc((size_t)nconns, sizeof(*conns));
    samples = malloc(sizeof(*samples) * CONNS_SAMPLES_MAX);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (conns == NULL || samples == NULL || ep < 0) {
        perror("conns");
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    ramp_up(ep, o.ramp);
    for (int i = 0; i < nactive; i++)
        conns[i].active = true;
    printf("ready conns=%ld failed=%ld\n", connected - closed - errors, failed);
    fflush(stdout);
    /* Idle until the caller has measured, then the active phase. */
    int64_t wait_end = now_us() + o.wait_s * 1000000;
    while (!go && now_us() < wait_end)
        poll_once(ep, 100, false);
    run_active(ep, o.rate, o.seconds);
    qsort(samples, nsamples, sizeof(*samples), cmp_i64);
    printf("done requests=%ld errors=%ld closed=%ld p50_us=%lld p99_us=%lld p999_us=%lld max_us=%lld\n", requests,
           errors, closed, (long long)quantile(0.5), (long long)quantile(0.99), (long long)quantile(0.999),
           (long long)(nsamples ? samples[nsamples - 1] : 0));
    reset_all();
    if (requests > (long)nsamples)
        fprintf(stderr, "conns: %ld latencies past the first %d were not kept\n", requests - (long)nsamples,
                CONNS_SAMPLES_MAX);
    return 0;
}

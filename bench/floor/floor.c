/*
 * floor.c - the least an HTTP/1.1 static server can do on this kernel: the
 * benchmark's floor (make bench, bench/profile; docs/BENCHMARKS.md).
 *
 * It answers the requests the bench sends, with the bodies otuserver sends
 * (the same files, or canned bytes the bench saved from otuserver: the
 * compressed bundle, the 404 page), and does nothing else: every answer is
 * built at start-up and kept in memory, head and body in one buffer, so a
 * request costs one recv() and one send() (plus sendfile() for a large
 * file); the date in the heads is rewritten once a second, in place.  The
 * socket options are otuserver's: TCP_NODELAY on the listener (accepted
 * sockets inherit it), TCP_DEFER_ACCEPT (the request comes with the
 * connection, answered before it ever enters epoll), SO_REUSEPORT (one
 * listener per worker), MSG_MORE on a closing answer's last send and then
 * shutdown(SHUT_WR), so the tail leaves with the FIN.  A kept connection is
 * registered with epoll once, edge-triggered for reading and writing, and
 * never changed again.
 *
 * Not a server to deploy: no timeouts, no path resolution (a table lookup by
 * exact target), no request bodies, only the headers the bench varies
 * (Connection, If-None-Match, Accept-Encoding) are looked at.
 *
 *   usage: floor -p PORT [-b ADDR] [-w WORKERS] [-r URL=FILE]... [-e URL=ENC:FILE]...
 *                [-n FILE] [-d SECONDS] [-s BYTES] [-y 0|1]
 *   -r URL=FILE      serve FILE at URL (200, or 304 when If-None-Match names its ETag)
 *   -e URL=ENC:FILE  FILE is URL's body with Content-Encoding ENC, sent when the
 *                    request's Accept-Encoding mentions ENC
 *   -n FILE          the body of every 404 (default: a one-line page)
 *   -d SECONDS       TCP_DEFER_ACCEPT (1, as otuserver; 0: off)
 *   -s BYTES         bytes per sendfile() call (512 KiB, as otuserver)
 *   -y 0|1           1 (the default): after each sendfile() chunk the rest of
 *                    the file waits for the loop's next pass, as otuserver's
 *                    turn budget does; 0: the whole file at once
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, sendfile, MSG_MORE, memmem */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Bodies up to this size live in memory with their head (one send()); larger
 * ones are sent from the file with sendfile(), as otuserver does. */
#define FLOOR_MEMORY_MAX ((off_t)12 * 1024)
/* Bytes per sendfile() call (-s). */
#define FLOOR_SENDFILE_CHUNK ((off_t)512 * 1024)
/* A request head larger than this is refused (the bench's are ~100 bytes). */
#define FLOOR_REQUEST_MAX 4096
/* Routes and encoded variants the command line may give. */
#define FLOOR_ROUTES_MAX 32
/* Heads are built into this much room. */
#define FLOOR_HEAD_MAX 512
/* Events taken per epoll_wait(). */
#define FLOOR_EVENTS 256
/* Workers -w may ask for. */
#define FLOOR_WORKERS_MAX 64
/* Length of an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
#define FLOOR_DATE_LEN 29

/* One prepared answer: head (and, for a small body, the body right after it). */
struct answer {
    char *bytes;     /* head, then the body when it is in memory */
    size_t head_len; /* bytes of the head */
    size_t len;      /* head + in-memory body */
    char *date;      /* where the head's Date value is, rewritten each second */
};

/* The answers kept per route: status x connection kept or closed. */
enum { KEEP, CLOSE, CONN_KINDS };

struct route {
    const char *url;                /* the exact request target */
    const char *encoding;           /* Content-Encoding, or NULL */
    char etag[64];                  /* with its quotes */
    int fd;                         /* the file when the body is sent with sendfile(), or -1 */
    off_t size;                     /* body bytes */
    time_t mtime;                   /* the file's, for Last-Modified (0: none, the 404) */
    struct answer ok[CONN_KINDS];   /* 200 */
    struct answer same[CONN_KINDS]; /* 304 */
};

/* A connection: its request bytes, and the answer being sent. */
struct conn {
    int fd;
    bool closing; /* shutdown and close once the answer has gone */
    bool pending; /* in the pending list: its next chunk goes on the next pass */
    size_t in_len;
    const char *out; /* the canned answer (never copied) */
    size_t out_len, out_sent;
    int file_fd; /* sendfile() source of the answer's body, or -1 */
    off_t file_off, file_left;
    char in[FLOOR_REQUEST_MAX];
};

static struct route routes[FLOOR_ROUTES_MAX];
static size_t nroutes;
static struct route not_found; /* the 404 answers (its ok[] is used) */
static struct conn **conns;    /* by descriptor */
static size_t conns_cap;
static time_t date_second; /* the second the heads' dates show */
static off_t sendfile_chunk = FLOOR_SENDFILE_CHUNK;
static bool yield_between_chunks = true; /* -y 0: send a whole file at once */
static int *pending;                     /* descriptors whose file waits for the next pass */
static size_t npending;

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* Prints the message with errno's text and exits 1 (start-up failures only). */
static void die(const char *what)
{
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Formats now's IMF-fixdate into out (FLOOR_DATE_LEN bytes, no terminator). */
static void format_date(time_t now, char *out)
{
    char text[FLOOR_DATE_LEN + 1];
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    memcpy(out, text, FLOOR_DATE_LEN);
}

/* Rewrites every head's Date when the second has changed (time() is a vDSO call). */
static void refresh_dates(void)
{
    time_t now = time(NULL);
    if (now == date_second)
        return;
    date_second = now;
    char text[FLOOR_DATE_LEN];
    format_date(now, text);
    for (size_t i = 0; i <= nroutes; i++) {
        struct route *r = i < nroutes ? &routes[i] : &not_found;
        for (int k = 0; k < CONN_KINDS; k++) {
            if (r->ok[k].date)
                memcpy(r->ok[k].date, text, FLOOR_DATE_LEN);
            if (r->same[k].date)
                memcpy(r->same[k].date, text, FLOOR_DATE_LEN);
        }
    }
}

/* The media type of a URL, from its extension: only the types the bench serves. */
static const char *media_type(const char *url)
{
    const char *dot = strrchr(url, '.');
    if (dot == NULL)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0)
        return "text/html";
    if (strcmp(dot, ".js") == 0)
        return "application/javascript";
    if (strcmp(dot, ".css") == 0)
        return "text/css";
    return "application/octet-stream";
}

/*
 * Builds one answer: the head for STATUS with the route's headers, and BODY
 * (LEN bytes, may be NULL for none) after it.  Exits on a head too large.
 */
static void build_answer(struct answer *a, const struct route *r, const char *status, const char *type,
                         const char *body, size_t body_len, off_t length, bool closing)
{
    char head[FLOOR_HEAD_MAX];
    char enc[96] = "", etag[96] = "", ctype[96] = "", clen[48] = "", modified[96] = "";
    if (r->encoding)
        snprintf(enc, sizeof(enc), "Content-Encoding: %s\r\n", r->encoding);
    if (r->etag[0])
        snprintf(etag, sizeof(etag), "ETag: %s\r\n", r->etag);
    if (type)
        snprintf(ctype, sizeof(ctype), "Content-Type: %s\r\n", type);
    if (length >= 0)
        snprintf(clen, sizeof(clen), "Content-Length: %lld\r\n", (long long)length);
    if (r->mtime != 0 && length >= 0) { /* a 200 carries what otuserver's does */
        char date[FLOOR_DATE_LEN];
        format_date(r->mtime, date);
        snprintf(modified, sizeof(modified), "Last-Modified: %.*s\r\nAccept-Ranges: bytes\r\nVary: Accept-Encoding\r\n",
                 FLOOR_DATE_LEN, date);
    }
    int n =
        snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nServer: floor\r\nDate: %*s\r\n%s%s%s%s%sConnection: %s\r\n\r\n",
                 status, FLOOR_DATE_LEN, "", ctype, clen, modified, enc, etag, closing ? "close" : "keep-alive");
    if (n < 0 || (size_t)n >= sizeof(head)) {
        fprintf(stderr, "floor: a head for %s is too long\n", r->url ? r->url : "404");
        exit(1);
    }
    a->head_len = (size_t)n;
    a->len = a->head_len + body_len;
    a->bytes = malloc(a->len);
    if (a->bytes == NULL)
        die("malloc");
    memcpy(a->bytes, head, a->head_len);
    if (body_len > 0)
        memcpy(a->bytes + a->head_len, body, body_len);
    a->date = (char *)memmem(a->bytes, a->head_len, "Date: ", 6) + 6;
}

/* Reads FILE whole into a new buffer; sets *len.  Exits on failure. */
static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        die(path);
    char *buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    if (buf == NULL)
        die("malloc");
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0)
            die(path);
        got += (size_t)n;
    }
    close(fd);
    *len = got;
    return buf;
}

/* Adds the route URL=FILE (ENCODING may be NULL): its 200 and 304 answers. */
static void add_route(const char *url, const char *encoding, const char *path)
{
    if (nroutes == FLOOR_ROUTES_MAX) {
        fprintf(stderr, "floor: at most %d routes\n", FLOOR_ROUTES_MAX);
        exit(2);
    }
    struct route *r = &routes[nroutes++];
    r->url = url;
    r->encoding = encoding;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) < 0)
        die(path);
    r->size = st.st_size;
    r->mtime = st.st_mtim.tv_sec;
    snprintf(r->etag, sizeof(r->etag), "\"%llx-%llx%s%s\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec, encoding ? "-" : "", encoding ? encoding : "");
    char *body = NULL;
    size_t body_len = 0;
    if (st.st_size <= FLOOR_MEMORY_MAX) {
        body = read_file(path, &body_len);
        close(r->fd);
        r->fd = -1;
    }
    const char *type = media_type(url);
    for (int k = 0; k < CONN_KINDS; k++) {
        build_answer(&r->ok[k], r, "200 OK", type, body, body_len, r->size, k == CLOSE);
        build_answer(&r->same[k], r, "304 Not Modified", NULL, NULL, 0, -1, k == CLOSE);
    }
    free(body);
}

/* Sets up the 404 answers with BODY_PATH's bytes, or a short page. */
static void set_not_found(const char *body_path)
{
    static char page[] = "<html><body><h1>404 Not Found</h1></body></html>\n";
    char *body = page;
    size_t len = sizeof(page) - 1;
    if (body_path)
        body = read_file(body_path, &len);
    not_found.fd = -1;
    for (int k = 0; k < CONN_KINDS; k++)
        build_answer(&not_found.ok[k], &not_found, "404 Not Found", "text/html", body, len, (off_t)len, k == CLOSE);
    if (body != page)
        free(body);
}

/* The headers the floor looks at, found in one pass over the head. */
struct wanted {
    const char *connection, *accept_encoding, *if_none_match;
    size_t connection_len, accept_encoding_len, if_none_match_len;
};

/* Whether the N bytes at A equal LOWER (lower case), ignoring ASCII case. */
static bool equals_lower(const char *a, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = a[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch + ('a' - 'A'));
        if (ch != lower[i])
            return false;
    }
    return true;
}

/* Whether the header line at LINE (NAME_LEN bytes before its colon) is NAME (lower case). */
static bool is_header(const char *line, size_t name_len, const char *name, size_t want_len)
{
    return name_len == want_len && equals_lower(line, name, want_len);
}

/*
 * Finds Connection, Accept-Encoding and If-None-Match in the head (HEAD_LEN
 * bytes, the blank line included), each line's name told apart by its length
 * before any comparison.
 */
static void find_headers(const char *head, size_t head_len, struct wanted *w)
{
    memset(w, 0, sizeof(*w));
    const char *end = head + head_len;
    const char *first_eol = memchr(head, '\n', head_len);
    if (first_eol == NULL)
        return;
    for (const char *line = first_eol + 1; line < end;) { /* the lines after the request line */
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (eol == NULL)
            eol = end;
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon != NULL) {
            size_t name_len = (size_t)(colon - line);
            const char *v = colon + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            size_t len = (size_t)(ve - v);
            if (is_header(line, name_len, "connection", 10)) {
                w->connection = v;
                w->connection_len = len;
            } else if (is_header(line, name_len, "accept-encoding", 15)) {
                w->accept_encoding = v;
                w->accept_encoding_len = len;
            } else if (is_header(line, name_len, "if-none-match", 13)) {
                w->if_none_match = v;
                w->if_none_match_len = len;
            }
        }
        line = eol + 1;
    }
}

/* Whether the LEN bytes at V contain WORD (lower case), ignoring case. */
static bool has_word(const char *v, size_t len, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= len; i++)
        if (equals_lower(v + i, word, w))
            return true;
    return false;
}

/* The length of the head at BUF (through its blank line), or 0 while it is incomplete. */
static size_t head_end(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        if (p - buf >= 3 && p[-1] == '\r' && p[-2] == '\n' && p[-3] == '\r')
            return (size_t)(p + 1 - buf);
        p++;
    }
    return 0;
}

/* Picks the answer to the request head (HEAD_LEN bytes, the blank line included). */
static void choose_answer(struct conn *c, const char *head, size_t head_len)
{
    const char *sp1 = memchr(head, ' ', head_len);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', head_len - (size_t)(sp1 + 1 - head)) : NULL;
    bool is_head = sp1 != NULL && sp1 - head == 4 && memcmp(head, "HEAD", 4) == 0;
    bool http10 = sp2 != NULL && (size_t)(head + head_len - sp2) > 9 && memcmp(sp2 + 1, "HTTP/1.0", 8) == 0;
    struct wanted w;
    find_headers(head, head_len, &w);
    const char *v = w.connection;
    size_t len = w.connection_len;
    c->closing = v ? has_word(v, len, "close") || (http10 && !has_word(v, len, "keep-alive")) : http10;
    int k = c->closing ? CLOSE : KEEP;

    const struct route *match = NULL;
    const char *url = sp1 != NULL && sp2 != NULL ? sp1 + 1 : "";
    size_t url_len = sp1 != NULL && sp2 != NULL ? (size_t)(sp2 - url) : 0;
    const char *ae = w.accept_encoding;
    size_t ae_len = w.accept_encoding_len;
    for (size_t i = 0; i < nroutes && url_len > 0; i++) {
        const struct route *r = &routes[i];
        if (strlen(r->url) != url_len || memcmp(r->url, url, url_len) != 0)
            continue;
        if (r->encoding && !(ae && has_word(ae, ae_len, r->encoding)))
            continue;
        if (match == NULL || (r->encoding && !match->encoding))
            match = r; /* an encoded variant the client accepts beats the plain file */
    }
    const struct answer *a = match ? &match->ok[k] : &not_found.ok[k];
    c->file_fd = -1;
    c->file_left = 0;
    if (match) {
        const char *inm = w.if_none_match;
        size_t inm_len = w.if_none_match_len;
        if (inm && inm_len >= strlen(match->etag) && memmem(inm, inm_len, match->etag, strlen(match->etag)))
            a = &match->same[k];
        else if (match->fd >= 0 && !is_head) {
            c->file_fd = match->fd;
            c->file_off = 0;
            c->file_left = match->size;
        }
    }
    c->out = a->bytes;
    c->out_len = is_head ? a->head_len : a->len;
    c->out_sent = 0;
}

/* Closes c's connection and forgets it. */
static void conn_close(struct conn *c)
{
    close(c->fd);
    conns[c->fd] = NULL;
    free(c);
}

/*
 * Sends what is pending on c: the canned bytes, then the file.  Returns 1 when
 * the answer has gone, 0 when the socket is full (epoll's next edge resumes),
 * -1 when the connection is finished (closed here).
 */
static int conn_send(struct conn *c)
{
    while (c->out_sent < c->out_len) {
        int more = c->file_left > 0 || c->closing ? MSG_MORE : 0;
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL | more);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0) {
            conn_close(c);
            return -1;
        }
        c->out_sent += (size_t)n;
    }
    while (c->file_left > 0) {
        size_t chunk = (size_t)(c->file_left < sendfile_chunk ? c->file_left : sendfile_chunk);
        ssize_t n = sendfile(c->fd, c->file_fd, &c->file_off, chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0) {
            conn_close(c);
            return -1;
        }
        c->file_left -= n;
        if (c->file_left > 0 && yield_between_chunks) {
            /* the rest waits for the loop's next pass: the client reads meanwhile */
            if (!c->pending) {
                c->pending = true;
                pending[npending++] = c->fd;
            }
            return 0;
        }
    }
    if (c->closing) {
        shutdown(c->fd, SHUT_WR); /* the tail held by MSG_MORE leaves with the FIN */
        conn_close(c);
        return -1;
    }
    return 1;
}

/*
 * Answers the complete requests in c's buffer, then, when READABLE, reads
 * what the client sent and goes on.  Returns 0 while the connection stays
 * (idle, or its answer waiting for room), -1 once it is closed.
 */
static int conn_read(struct conn *c, bool readable)
{
    for (;;) {
        while (c->out_sent == c->out_len && c->file_left == 0) {
            size_t head_len = head_end(c->in, c->in_len);
            if (head_len == 0)
                break;
            choose_answer(c, c->in, head_len);
            memmove(c->in, c->in + head_len, c->in_len - head_len);
            c->in_len -= head_len;
            int sent = conn_send(c);
            if (sent <= 0)
                return sent; /* full socket (resumed on the next edge), or closed */
        }
        if (!readable || c->out_sent < c->out_len || c->file_left > 0)
            return 0; /* nothing more came, or the answer is still going out */
        size_t room = sizeof(c->in) - c->in_len;
        if (room == 0) {
            conn_close(c); /* a head larger than the floor takes */
            return -1;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0) {
            conn_close(c);
            return -1;
        }
        c->in_len += (size_t)n;
        /* Edge-triggered: a short read took everything there was, and new
         * bytes bring a new edge; a full read may have left more. */
        readable = (size_t)n == room;
    }
}

/* Accepts every waiting connection on LISTENER; each is answered at once,
 * and registered with epoll only when it stays open. */
static void accept_all(int listener, int ep)
{
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return; /* EAGAIN, or EMFILE: the next wake-up tries again */
        }
        if ((size_t)fd >= conns_cap) {
            close(fd);
            continue;
        }
        struct conn *c = calloc(1, sizeof(*c));
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->file_fd = -1;
        conns[fd] = c;
        if (conn_read(c, true) < 0)
            continue;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = fd};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            conn_close(c);
    }
}

/* Opens one listening socket with otuserver's options. */
static int open_listener(const char *addr, int port, int defer_s)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "floor: -b takes an IPv4 address, not '%s'\n", addr);
        exit(2);
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0)
        die("bind/listen");
    if (defer_s > 0)
        setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof(defer_s));
    return fd;
}

/* One worker's loop on LISTENER until SIGTERM or SIGINT. */
static int serve(int listener)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev) < 0)
        die("epoll_ctl");
    struct epoll_event events[FLOOR_EVENTS];
    int *ready = calloc(conns_cap, sizeof(int));
    if (ready == NULL)
        die("calloc");
    while (!stopping) {
        int n = epoll_wait(ep, events, FLOOR_EVENTS, npending > 0 ? 0 : -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("epoll_wait");
        refresh_dates();
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                accept_all(listener, ep);
                continue;
            }
            struct conn *c = conns[fd];
            if (c == NULL)
                continue;
            if (events[i].events & (EPOLLERR | EPOLLHUP)) {
                conn_close(c);
                continue;
            }
            bool was_sending = c->out_sent < c->out_len || c->file_left > 0;
            if ((events[i].events & EPOLLOUT) && was_sending && !c->pending && conn_send(c) <= 0)
                continue; /* still full, or closed */
            bool readable = (events[i].events & (EPOLLIN | EPOLLRDHUP)) != 0;
            if (readable || (was_sending && c->in_len > 0))
                conn_read(c, readable); /* new bytes, or requests that waited behind the answer */
        }
        /* the files that yielded on the last pass: one more chunk each */
        size_t nready = npending;
        memcpy(ready, pending, nready * sizeof(int));
        npending = 0;
        for (size_t i = 0; i < nready; i++) {
            struct conn *c = conns[ready[i]];
            if (c == NULL || !c->pending)
                continue;
            c->pending = false;
            if (conn_send(c) > 0 && c->in_len > 0)
                conn_read(c, false); /* requests that waited behind the answer */
        }
    }
    free(ready);
    return 0;
}

/* The number in ARG for option OPT, from MIN to MAX, or a usage error (exit 2). */
static int parse_int(const char *arg, char opt, long min, long max)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "floor: -%c takes a number from %ld to %ld, not '%s'\n", opt, min, max, arg);
        exit(2);
    }
    return (int)v;
}

/* Splits "URL=REST" in place; returns REST, or exits with a usage error. */
static char *split_arg(char *arg, char opt)
{
    char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg || arg[0] != '/') {
        fprintf(stderr, "floor: -%c takes /URL=..., not '%s'\n", opt, arg);
        exit(2);
    }
    *eq = '\0';
    return eq + 1;
}

/* The command line: what main() needs beyond the globals the options set (routes, chunking). */
struct options {
    const char *addr, *nf_path;
    int port, workers, defer_s;
};

/* Reads one -e /URL=ENCODING:FILE; returns 0, or 2 (usage printed). */
static int add_encoded_route(char *arg)
{
    char *rest = split_arg(arg, 'e');
    char *colon = strchr(rest, ':');
    if (colon == NULL || colon == rest) {
        fprintf(stderr, "floor: -e takes /URL=ENCODING:FILE\n");
        return 2;
    }
    *colon = '\0';
    add_route(arg, rest, colon + 1);
    return 0;
}

/* Reads the command line into *o (routes and chunking into the globals); returns 0, or 2 (usage printed). */
static int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){.addr = "127.0.0.1", .workers = 1, .defer_s = 1};
    int opt;
    while ((opt = getopt(argc, argv, "p:b:w:r:e:n:d:s:y:")) != -1) {
        switch (opt) {
        case 'p': o->port = parse_int(optarg, 'p', 1, 65535); break;
        case 'b': o->addr = optarg; break;
        case 'w': o->workers = parse_int(optarg, 'w', 1, FLOOR_WORKERS_MAX); break;
        case 'd': o->defer_s = parse_int(optarg, 'd', 0, 3600); break;
        case 'n': o->nf_path = optarg; break;
        case 's': sendfile_chunk = parse_int(optarg, 's', 4096, 1 << 30); break;
        case 'y': yield_between_chunks = parse_int(optarg, 'y', 0, 1) == 1; break;
        case 'r': {
            char *file = split_arg(optarg, 'r');
            add_route(optarg, NULL, file);
            break;
        }
        case 'e':
            if (add_encoded_route(optarg) != 0)
                return 2;
            break;
        default:
            fprintf(stderr, "usage: floor -p PORT [-b ADDR] [-w N] [-r URL=FILE]... [-e URL=ENC:FILE]... "
                            "[-n FILE] [-d SECONDS] [-s BYTES] [-y 0|1]\n");
            return 2;
        }
    }
    if (o->port == 0 || optind != argc) {
        fprintf(stderr, "floor: -p PORT is required, and nothing after the options\n");
        return 2;
    }
    return 0;
}

/* Forks a worker per listener and waits for a stop signal; returns the exit status. */
static int run_workers(const int *listeners, int workers)
{
    pid_t pids[FLOOR_WORKERS_MAX];
    for (int i = 0; i < workers; i++) {
        pids[i] = fork();
        if (pids[i] < 0)
            die("fork");
        if (pids[i] == 0) {
            for (int j = 0; j < workers; j++)
                if (j != i)
                    close(listeners[j]);
            return serve(listeners[i]);
        }
    }
    while (!stopping)
        pause();
    for (int i = 0; i < workers; i++)
        kill(pids[i], SIGTERM);
    for (int i = 0; i < workers; i++)
        waitpid(pids[i], NULL, 0);
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) != 0)
        return 2;
    set_not_found(o.nf_path);
    refresh_dates();

    struct rlimit rl;
    conns_cap = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? rl.rlim_cur : 65536;
    conns = calloc(conns_cap, sizeof(struct conn *));
    pending = calloc(conns_cap, sizeof(int));
    if (conns == NULL || pending == NULL)
        die("calloc");
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int listeners[FLOOR_WORKERS_MAX];
    for (int i = 0; i < o.workers; i++)
        listeners[i] = open_listener(o.addr, o.port, o.defer_s);
    fprintf(stderr, "floor: %s:%d, %d worker(s), %zu route(s)\n", o.addr, o.port, o.workers, nroutes);
    return o.workers == 1 ? serve(listeners[0]) : run_workers(listeners, o.workers);
}

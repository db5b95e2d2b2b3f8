/*
 * e2e_util.h - a small raw-socket HTTP client and server launcher for the
 * end-to-end tests.  Requests are sent as exact bytes, so tests can send
 * what no well-behaved client library would.
 */
#ifndef OTU_E2E_UTIL_H
#define OTU_E2E_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* How long any single wait in a test may take before it counts as a failure. */
#define E2E_TIMEOUT_MS 5000

struct e2e_response {
    int status;       /* status code, or -1 when no response arrived */
    char head[16384]; /* the head as received, NUL-terminated */
    size_t head_len;  /* its length, including the blank line */
    char *body;       /* the body (malloc'd; e2e_response_free releases it) */
    size_t body_len;  /* its length */
};

/* Returns a TCP port that was free a moment ago. */
int e2e_free_port(void);

/*
 * Starts bin with "-p port -r root -f log" plus extra (NULL-terminated)
 * and waits until the port accepts connections.  Returns the pid, or -1.
 * stderr of the server goes to errlog when not NULL.
 */
pid_t e2e_start(const char *bin, int port, const char *root, const char *log, const char *const extra[],
                const char *errlog);

/* The same, ready when connect_fn(port) (e.g. an IPv6 connect) gives a socket. */
pid_t e2e_start_probed(const char *bin, int port, const char *root, const char *log, const char *const extra[],
                       const char *errlog, int (*connect_fn)(int port));

/* Sends SIGTERM and waits; returns the exit status (or 128 + signal), -1 on timeout. */
int e2e_stop(pid_t pid);

/* Connects to 127.0.0.1:port; returns the socket or -1. */
int e2e_connect(int port);

/* Connects to an IPv4 host:port, giving up after 1 s; returns the socket or -1. */
int e2e_connect_host(const char *host, int port);

/* Sends all of data; returns 0 or -1. */
int e2e_send(int fd, const char *data, size_t len);

/*
 * Reads one response from fd.  no_body: the request was HEAD (or the status
 * carries none).  Reads Content-Length bytes of body, or to EOF when there
 * is no Content-Length.  Returns 0, or -1 when nothing complete arrived.
 */
int e2e_read_response(int fd, bool no_body, struct e2e_response *r);

/* Connects, sends raw, reads one response, closes.  Returns 0 or -1. */
int e2e_exchange(int port, const char *raw, struct e2e_response *r);

/* Copies the value of header name (case-insensitive) into out; returns out or NULL. */
const char *e2e_header(const struct e2e_response *r, const char *name, char *out, size_t cap);

/* Frees the body of r. */
void e2e_response_free(struct e2e_response *r);

/* Returns true when the peer closes fd (EOF or reset) within timeout_ms. */
bool e2e_peer_closes(int fd, int timeout_ms);

/* Writes len bytes of data to path; returns 0 or -1. */
int e2e_write_file(const char *path, const void *data, size_t len);

/* Reads a whole file into a malloc'd buffer; returns it (and *len) or NULL. */
char *e2e_read_file(const char *path, size_t *len);

/* Monotonic milliseconds. */
long long e2e_now_ms(void);

#endif

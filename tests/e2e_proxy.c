/*
 * e2e_proxy.c - end-to-end tests for running behind proxies: spoofed
 * Forwarded, X-Forwarded-For and X-Real-IP from a peer that is not trusted
 * change nothing; a chain through two trusted proxies resolves to the
 * client; over-long or broken chains keep the peer (never a 400); the auth
 * limiter locks out the guessing client and not another behind the same
 * proxy; the PROXY protocol, v1 and v2, written by hand and sent by
 * Debian's HAProxy (send-proxy, send-proxy-v2); a malformed PROXY header,
 * or none from a trusted peer, closed unanswered under the header
 * deadline; a PROXY header from any other peer refused; --healthcheck
 * through it; X-Request-Id kept, made and logged.
 *
 * Clients come from 127.0.0.2 and proxies from 127.0.0.1 or 127.0.0.3
 * (all loopback), so one machine has untrusted clients and trusted proxies.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLIENT "127.0.0.2" /* a client that is no proxy */
#define PROXY  "127.0.0.1" /* the proxy the server trusts (the plain e2e_connect() source) */

/* A PROXY v2 header: signature, version 2 + command, family, length. */
#define V2_SIG "\r\n\r\n\0\r\nQUIT\n"
/* The server's bound on a v2 header (PROXY_V2_MAX). */
#define PROXY_V2_BOUND 1024

/* Connects from src to 127.0.0.1:p (5 s receive timeout); returns the socket or -1. */
static int connect_from(const char *src, int p)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in from = {.sin_family = AF_INET};
    inet_pton(AF_INET, src, &from.sin_addr);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (fd >= 0 &&
        (bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Sends len bytes of raw from src to p and reads one response into r (asserts it came). */
static void exchange_from(const char *src, int p, const void *raw, size_t len, struct e2e_response *r)
{
    int fd = connect_from(src, p);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(e2e_send(fd, raw, len), 0);
    ck_assert_msg(e2e_read_response(fd, false, r) == 0, "no answer from %d", p);
    close(fd);
}

/* GET target from src with the extra header lines; asserts the status. */
static void get_from(const char *src, int p, const char *target, const char *headers, int status,
                     struct e2e_response *r)
{
    char raw[8192];
    int n = snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n", target, headers);
    exchange_from(src, p, raw, (size_t)n, r);
    ck_assert_msg(r->status == status, "%s: %d, want %d", target, r->status, status);
}

/*
 * Sends raw from src and asserts the server closes the connection without
 * a byte of answer within wait_ms; returns how long it took (ms).
 */
static long long expect_closed_unanswered(const char *src, int p, const void *raw, size_t len, int wait_ms)
{
    int fd = connect_from(src, p);
    ck_assert_int_ge(fd, 0);
    long long t0 = e2e_now_ms();
    if (len > 0)
        ck_assert_int_eq(e2e_send(fd, raw, len), 0);
    char buf[256];
    ssize_t n = -1;
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, wait_ms) == 1)
        n = recv(fd, buf, sizeof(buf), 0);
    long long took = e2e_now_ms() - t0;
    close(fd);
    ck_assert_msg(n == 0 || (n < 0 && errno == ECONNRESET), "expected a close without an answer, got %zd bytes%s%.*s",
                  n, n > 0 ? ": " : "", n > 0 ? (int)n : 0, buf);
    return took;
}

/* Copies into out the JSON access line (of lc_log) whose target is target; asserts it comes. */
static void access_line(const char *target, char *out, size_t cap)
{
    char needle[300];
    snprintf(needle, sizeof(needle), "\"target\":\"%s\"", target);
    char *log = wait_for_log(lc_log, needle, slow(3000));
    ck_assert_msg(log != NULL, "no access line for %s", target);
    const char *hit = strstr(log, needle), *start = hit, *end = strchr(hit, '\n');
    while (start > log && start[-1] != '\n')
        start--;
    snprintf(out, cap, "%.*s", (int)((end ? end : hit + strlen(hit)) - start), start);
    free(log);
}

/* Asserts target's access line names client as remote_addr and peer as peer. */
static void expect_logged(const char *target, const char *client, const char *peer)
{
    char line[4096], want[200];
    access_line(target, line, sizeof(line));
    snprintf(want, sizeof(want), "\"remote_addr\":\"%s\",\"peer\":\"%s\"", client, peer);
    ck_assert_msg(strstr(line, want) != NULL, "%s: want %s in %s", target, want, line);
}

/* The fixture's file every request here asks for, under a target that names its case. */
static void write_who(void)
{
    write_text("who.txt", "who\n");
}

/* ---- trusted proxies ---- */

START_TEST(test_spoofed_fields_from_an_untrusted_peer_change_nothing)
{
    write_who();
    static const char spoof[] = "X-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\n"
                                "X-Request-Id: chosen-by-the-client\r\n";
    struct e2e_response r;
    /* no --trusted-proxies (the default): every peer is its own client */
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--log-format", "json"), &p);
    get_from(CLIENT, p, "/who.txt?case=default", spoof, 200, &r);
    expect_no_header(&r, "X-Request-Id"); /* off by default */
    e2e_response_free(&r);
    get_from(PROXY, p, "/who.txt?case=default-local", spoof, 200, &r);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=default", CLIENT, CLIENT);
    expect_logged("/who.txt?case=default-local", PROXY, PROXY);
    ck_assert_int_eq(e2e_stop(master), 0);

    /* trusted proxies that do not include the sender: the fields are still nobody's word */
    master = lc_start(
        ARGS("-w", "1", "--log-format", "json", "--trusted-proxies", "127.0.0.1,10.0.0.0/8", "--request-id"), &p);
    get_from(CLIENT, p, "/who.txt?case=untrusted", spoof, 200, &r);
    char id[200];
    ck_assert_ptr_nonnull(e2e_header(&r, "X-Request-Id", id, sizeof(id)));
    ck_assert_uint_eq(strlen(id), 32); /* made here, not the client's */
    ck_assert_uint_eq(strspn(id, "0123456789abcdef"), 32);
    e2e_response_free(&r);
    char line[4096], want[300];
    access_line("/who.txt?case=untrusted", line, sizeof(line));
    ck_assert_msg(strstr(line, "\"remote_addr\":\"" CLIENT "\",\"peer\":\"" CLIENT "\"") != NULL, "%s", line);
    snprintf(want, sizeof(want), "\"request_id\":\"%s\"", id);
    ck_assert_msg(strstr(line, want) != NULL, "the id sent back is the one logged: %s", line);
    ck_assert_ptr_null(strstr(line, "6.6.6.6"));
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_a_chain_through_two_trusted_proxies)
{
    write_who();
    int p;
    pid_t master = lc_start(
        ARGS("-w", "1", "--log-format", "json", "--trusted-proxies", "127.0.0.1,10.0.0.0/8", "--request-id"), &p);
    struct e2e_response r;
    /* client 203.0.113.7 -> CDN edge 10.1.2.3 (trusted) -> ingress 127.0.0.1 (trusted) -> us; a spoofed start */
    get_from(PROXY, p, "/who.txt?case=xff", "X-Forwarded-For: 6.6.6.6, 203.0.113.7, 10.1.2.3\r\n", 200, &r);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=xff", "203.0.113.7", PROXY);
    get_from(PROXY, p, "/who.txt?case=xff-lines",
             "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 203.0.113.8, 10.1.2.3\r\n", 200, &r);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=xff-lines", "203.0.113.8", PROXY);
    get_from(PROXY, p, "/who.txt?case=forwarded",
             "Forwarded: for=\"[2001:db8::7]:4711\";proto=https, for=10.1.2.3\r\nX-Forwarded-For: 6.6.6.6\r\n", 200,
             &r);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=forwarded", "2001:db8::7", PROXY);
    get_from(PROXY, p, "/who.txt?case=real-ip", "X-Real-IP: 203.0.113.9\r\n", 200, &r);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=real-ip", "203.0.113.9", PROXY);
    /* a trusted proxy's request id is kept and sent back */
    get_from(PROXY, p, "/who.txt?case=id", "X-Request-Id: ingress-7f3a.2_b\r\n", 200, &r);
    expect_header(&r, "X-Request-Id", "ingress-7f3a.2_b");
    e2e_response_free(&r);
    char line[4096];
    access_line("/who.txt?case=id", line, sizeof(line));
    ck_assert_msg(strstr(line, "\"request_id\":\"ingress-7f3a.2_b\"") != NULL, "%s", line);
    ck_assert_int_eq(e2e_stop(master), 0);

    /* --real-ip-header x-forwarded-for: a Forwarded field the proxy passed through is not read */
    master = lc_start(ARGS("-w", "1", "--log-format", "json", "--trusted-proxies", "127.0.0.1", "--real-ip-header",
                           "x-forwarded-for"),
                      &p);
    get_from(PROXY, p, "/who.txt?case=xff-only", "Forwarded: for=6.6.6.6\r\nX-Forwarded-For: 203.0.113.10\r\n", 200,
             &r);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=xff-only", "203.0.113.10", PROXY);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_over_long_or_broken_chains_keep_the_peer)
{
    write_who();
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--log-format", "json", "--trusted-proxies", "127.0.0.1"), &p);
    static char headers[4096];
    struct e2e_response r;
    /* 33 addresses: over the 32 a chain may hold */
    size_t n = (size_t)snprintf(headers, sizeof(headers), "X-Forwarded-For: 203.0.113.1");
    for (int i = 2; i <= 33; i++)
        n += (size_t)snprintf(headers + n, sizeof(headers) - n, ", 203.0.113.%d", i);
    snprintf(headers + n, sizeof(headers) - n, "\r\n");
    get_from(PROXY, p, "/who.txt?case=33-hops", headers, 200, &r);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=33-hops", PROXY, PROXY);
    /* 32 are fine: the last, untrusted, is the client */
    char *cut = strstr(headers, ", 203.0.113.33");
    strcpy(cut, "\r\n");
    get_from(PROXY, p, "/who.txt?case=32-hops", headers, 200, &r);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=32-hops", "203.0.113.32", PROXY);
    /* over 1,024 bytes: two addresses, spaces between them */
    snprintf(headers, sizeof(headers), "X-Forwarded-For: 203.0.113.4,%1100s\r\n", "203.0.113.5");
    get_from(PROXY, p, "/who.txt?case=long", headers, 200, &r);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=long", PROXY, PROXY);
    /* broken values: a proxy's quirk is never a 400 */
    static const char *const broken[] = {
        "X-Forwarded-For: 203.0.113.5, not-an-address\r\n",
        "Forwarded: for=\"203.0.113.5\r\n",
        "Forwarded: for=unknown\r\n",
        "X-Real-IP: 203.0.113.5, 203.0.113.6\r\n",
    };
    for (size_t i = 0; i < OTU_ARRAY_LEN(broken); i++) {
        char target[64];
        snprintf(target, sizeof(target), "/who.txt?case=broken-%zu", i);
        get_from(PROXY, p, target, broken[i], 200, &r);
        e2e_response_free(&r);
        expect_logged(target, PROXY, PROXY);
    }
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* bob:secret (SHA-512 crypt: a fast check), and a wrong password. */
#define BOB_HASH                                                                                \
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq." \
    "H91p5hVO1"
#define BOB_OK  "Authorization: Basic Ym9iOnNlY3JldA==\r\n"
#define BOB_BAD "Authorization: Basic Ym9iOndyb25n\r\n"

/*
 * Through one proxy, an attacker guesses until it gets 429, then another
 * client behind the same proxy logs in: returns the status that client got
 * (and the attacker's with the right password in *attacker).
 */
static int guess_then_login(int p, int *attacker)
{
    struct e2e_response r;
    int last = 0;
    for (int i = 0; i < 8 && last != 429; i++) {
        get_from(PROXY, p, "/who.txt", "X-Forwarded-For: 198.51.100.66\r\n" BOB_BAD, i < 5 ? 401 : 429, &r);
        last = r.status;
        e2e_response_free(&r);
    }
    ck_assert_int_eq(last, 429);
    char raw[512];
    int n = snprintf(raw, sizeof(raw),
                     "GET /who.txt HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 198.51.100.66\r\n" BOB_OK "\r\n");
    exchange_from(PROXY, p, raw, (size_t)n, &r);
    *attacker = r.status;
    e2e_response_free(&r);
    n = snprintf(raw, sizeof(raw),
                 "GET /who.txt HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 198.51.100.77\r\n" BOB_OK
                 "Connection: close\r\n\r\n");
    exchange_from(PROXY, p, raw, (size_t)n, &r);
    int other = r.status;
    e2e_response_free(&r);
    return other;
}

START_TEST(test_auth_limiter_keys_on_the_client_behind_the_proxy)
{
    write_who();
    char htpasswd[400];
    snprintf(htpasswd, sizeof(htpasswd), "%s/htpasswd-proxy", base_dir);
    const char *users = "bob:" BOB_HASH "\n";
    ck_assert_int_eq(e2e_write_file(htpasswd, users, strlen(users)), 0);
    /* the report: without trusted proxies, every client is the proxy, and one attacker locks out all */
    int p, attacker;
    pid_t master = lc_start(ARGS("-w", "1", "--basic-auth-file", htpasswd), &p);
    int other = guess_then_login(p, &attacker);
    printf("auth behind a proxy, no --trusted-proxies: the attacker with the right password %d, another client %d\n",
           attacker, other);
    ck_assert_int_eq(other, 429);
    ck_assert_int_eq(e2e_stop(master), 0);
    /* with the proxy trusted: the attacker is locked out, the other client is not */
    master = lc_start(ARGS("-w", "1", "--basic-auth-file", htpasswd, "--trusted-proxies", PROXY), &p);
    other = guess_then_login(p, &attacker);
    printf("auth behind a trusted proxy: the attacker with the right password %d, another client %d\n", attacker,
           other);
    ck_assert_int_eq(attacker, 429);
    ck_assert_int_eq(other, 200);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* ---- the PROXY protocol ---- */

/* A v2 PROXY header for TCP over IPv6 from [2001:db8::9]:4242 to [2001:db8::1]:80, in out; returns its length. */
static size_t v2_tcp6(char *out)
{
    static const unsigned char block[36] = {0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0,    0,    0, 0,
                                            0,    0,    0,    9,    0x20, 0x01, 0x0d, 0xb8, 0,    0,    0, 0,
                                            0,    0,    0,    0,    0,    0,    0,    1,    0x10, 0x92, 0, 80};
    memcpy(out, V2_SIG, 12);
    out[12] = 0x21; /* version 2, PROXY */
    out[13] = 0x21; /* TCP over IPv6 */
    out[14] = 0;
    out[15] = (char)(sizeof(block) + 7); /* the addresses, then a TLV of 7 bytes: skipped */
    memcpy(out + 16, block, sizeof(block));
    memcpy(out + 16 + sizeof(block),
           "\x04\x00\x04"
           "abcd",
           7); /* PP2_TYPE_NOOP */
    return 16 + sizeof(block) + 7;
}

START_TEST(test_proxy_protocol_by_hand)
{
    write_who();
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--log-format", "json", "--trusted-proxies", PROXY, "--proxy-protocol",
                                 "--header-timeout", "1s"),
                            &p);
    struct e2e_response r;
    char raw[1024];
    /* v1 from the trusted balancer */
    int n = snprintf(raw, sizeof(raw),
                     "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n"
                     "GET /who.txt?case=v1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    exchange_from(PROXY, p, raw, (size_t)n, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=v1", "203.0.113.7", PROXY);
    /* v2 over IPv6 with a TLV; the header comes once, then two requests on the connection */
    size_t h = v2_tcp6(raw);
    int fd = connect_from(PROXY, p);
    ck_assert_int_ge(fd, 0);
    const char *req1 = "GET /who.txt?case=v2a HTTP/1.1\r\nHost: t\r\n\r\n";
    memcpy(raw + h, req1, strlen(req1));
    ck_assert_int_eq(e2e_send(fd, raw, h + strlen(req1)), 0);
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 200);
    e2e_response_free(&r);
    const char *req2 = "GET /who.txt?case=v2b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    ck_assert_int_eq(e2e_send(fd, req2, strlen(req2)), 0);
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 200);
    e2e_response_free(&r);
    close(fd);
    expect_logged("/who.txt?case=v2a", "2001:db8::9", PROXY);
    expect_logged("/who.txt?case=v2b", "2001:db8::9", PROXY);
    /* v2 LOCAL (a balancer's own health check): the balancer is the client */
    memcpy(raw, V2_SIG "\x20\x00\x00\x00", 16);
    n = 16 + snprintf(raw + 16, sizeof(raw) - 16,
                      "GET /who.txt?case=local HTTP/1.1\r\nHost: t\r\n"
                      "Connection: close\r\n\r\n");
    exchange_from(PROXY, p, raw, (size_t)n, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=local", PROXY, PROXY);
    /* any other peer is served as itself: probes (Docker, the kubelet) keep working */
    get_from(CLIENT, p, "/who.txt?case=direct", "", 200, &r);
    e2e_response_free(&r);
    expect_logged("/who.txt?case=direct", CLIENT, CLIENT);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_proxy_protocol_refusals)
{
    write_who();
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--log-format", "json", "--trusted-proxies", PROXY, "--proxy-protocol",
                                 "--header-timeout", "1s"),
                            &p);
    static const char get[] = "GET /who.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    static const char v1[] = "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\nGET /who.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    char v2[256];
    size_t v2_len = v2_tcp6(v2);
    memcpy(v2 + v2_len, get, sizeof(get) - 1);
    v2_len += sizeof(get) - 1;
    /* a PROXY header from a peer that is not a trusted proxy: refused, whichever version */
    expect_closed_unanswered(CLIENT, p, v1, sizeof(v1) - 1, 3000);
    expect_closed_unanswered(CLIENT, p, v2, v2_len, 3000);
    /* the trusted balancer's connection without a header, or with a broken one: closed at once */
    static const char *const broken[] = {
        get,
        "PROXY TCP4 203.0.113.7 127.0.0.1 5555\r\nGET / HTTP/1.1\r\n\r\n",
        "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\nGET / HTTP/1.1\r\n\r\n",
        "PROXY TCP9 203.0.113.7 127.0.0.1 5555 80\r\n",
        "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
    };
    for (size_t i = 0; i < OTU_ARRAY_LEN(broken); i++) {
        long long took = expect_closed_unanswered(PROXY, p, broken[i], strlen(broken[i]), 3000);
        ck_assert_msg(took < 900, "broken header %zu: closed after %lld ms, not at once", i, took);
    }
    /* ...and one that never completes, or never starts: closed unanswered at the header deadline (1 s) */
    static const char partial[] = "PROXY TCP4 203.0.113.7 127.0";
    long long took = expect_closed_unanswered(PROXY, p, partial, sizeof(partial) - 1, slow(4000));
    ck_assert_msg(took >= 900 && took < slow(3000), "a partial header closed after %lld ms", took);
    printf("PROXY protocol: a partial header from the balancer closed unanswered after %lld ms (--header-timeout 1s)\n",
           took);
    /* (a silent one is accepted after the kernel's 1 s accept deferral, then gets the same deadline) */
    took = expect_closed_unanswered(PROXY, p, NULL, 0, slow(6000));
    ck_assert_msg(took >= 900 && took < slow(4500), "a silent connection closed after %lld ms", took);
    /* the server still serves: nothing above took a worker down */
    struct e2e_response r;
    get_from(CLIENT, p, "/who.txt?case=after", "", 200, &r);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_proxy_protocol_needs_trusted_proxies)
{
    char err[1024];
    int st = run_binary(ARGS("--proxy-protocol", "-r", root_dir), NULL, err, sizeof(err));
    ck_assert_msg(st == 2, "exit %d (%s)", st, err);
    ck_assert_msg(strstr(err, "--proxy-protocol needs --trusted-proxies") != NULL, "%s", err);
    char *nl = strchr(err, '\n');
    ck_assert_msg(nl != NULL && nl[1] == '\0', "not one line: '%s'", err);
    st = run_binary(ARGS("--trusted-proxies", "10.0.0.1/8", "-r", root_dir), NULL, err, sizeof(err));
    ck_assert_msg(st == 2 && strstr(err, "10.0.0.0/8") != NULL, "exit %d (%s)", st, err);
    st = run_binary(ARGS("-r", root_dir), "OTUSERVER_PROXY_PROTOCOL=on", err, sizeof(err));
    ck_assert_msg(st == 2 && strstr(err, "--proxy-protocol needs") != NULL, "exit %d (%s)", st, err);
}
END_TEST

/* --healthcheck from a trusted address sends a LOCAL header first; from any other, none. */
START_TEST(test_healthcheck_through_the_proxy_protocol)
{
    write_who();
    int p;
    char port_text[16];
    pid_t master = lc_start(ARGS("-w", "1", "--trusted-proxies", "127.0.0.0/8", "--proxy-protocol"), &p);
    snprintf(port_text, sizeof(port_text), "%d", p);
    char err[1024];
    int st = run_binary(ARGS("--healthcheck", "-p", port_text, "--trusted-proxies", "127.0.0.0/8", "--proxy-protocol"),
                        NULL, err, sizeof(err));
    ck_assert_msg(st == 0, "the probe from a trusted address: exit %d (%s)", st, err);
    /* a plain probe (no header) from the trusted range is closed: why the kubelet's must not be in it */
    static const char get[] = "GET / HTTP/1.0\r\n\r\n";
    expect_closed_unanswered(PROXY, p, get, sizeof(get) - 1, 3000);
    ck_assert_int_eq(e2e_stop(master), 0);
    /* trusted proxies elsewhere: the probe is an ordinary client and sends no header */
    master = lc_start(ARGS("-w", "1", "--trusted-proxies", "10.0.0.0/8", "--proxy-protocol"), &p);
    snprintf(port_text, sizeof(port_text), "%d", p);
    st = run_binary(ARGS("--healthcheck", "-p", port_text, "--trusted-proxies", "10.0.0.0/8", "--proxy-protocol"), NULL,
                    err, sizeof(err));
    ck_assert_msg(st == 0, "the probe from an untrusted address: exit %d (%s)", st, err);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/*
 * Hostile input for the new parsers, from the trusted balancer's address
 * (where they run): each row closed unanswered, or answered 200 with the
 * client it names logged; after each, an ordinary request is served.
 */
enum hostile_gen { AS_IS = 0, V2_HUGE_LENGTH, V2_OVER_BOUND, XFF_10000_COMMAS, FORWARDED_40_UNKNOWN, XFF_LONG_ADDRESS };

static const struct {
    const char *name;
    const char *raw; /* the bytes, or for a row answered, a field after a valid header (see hostile_bytes) */
    size_t len;      /* 0: strlen(raw) */
    enum hostile_gen gen;
    const char *client; /* logged client, or NULL: closed unanswered */
} hostile[] = {
    {"v1 line of 108 bytes",
     "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:"
     "ffff 65535 655355\r\n",
     0, AS_IS, NULL},
    {"v1 with a NUL", "PROXY TCP4 203.0.113.7\0 127.0.0.1 1 2\r\n", 39, AS_IS, NULL},
    {"v1 lower case", "proxy TCP4 203.0.113.7 127.0.0.1 1 2\r\n", 0, AS_IS, NULL},
    {"v2 claiming 65,535 bytes", NULL, 0, V2_HUGE_LENGTH, NULL},
    {"v2 one byte over 1,024", NULL, 0, V2_OVER_BOUND, NULL},
    {"v2 TCP4 with 11 address bytes",
     V2_SIG "\x21\x11\x00\x0b"
            "12345678901",
     27, AS_IS, NULL},
    {"v2 version 1",
     V2_SIG "\x11\x11\x00\x0c"
            "123456789012",
     28, AS_IS, NULL},
    {"a well-formed X-Forwarded-For (the parser is live)", "X-Forwarded-For: 203.0.113.9", 0, AS_IS, "203.0.113.9"},
    {"Forwarded with an IPv4-mapped node", "Forwarded: for=\"[::ffff:203.0.113.8]:80\"", 0, AS_IS, "203.0.113.8"},
    {"X-Forwarded-For of 10,000 commas", NULL, 0, XFF_10000_COMMAS, PROXY},
    {"Forwarded of 40 unknown nodes", NULL, 0, FORWARDED_40_UNKNOWN, PROXY},
    {"X-Forwarded-For of a 200-byte address", NULL, 0, XFF_LONG_ADDRESS, PROXY},
    {"Forwarded with a quote never closed", "Forwarded: for=\"[2001:db8::1]:80, for=10.0.0.1", 0, AS_IS, PROXY},
    {"X-Request-Id with a tab", "X-Request-Id: a\tb", 0, AS_IS, PROXY},
};

/*
 * Builds hostile row i into a malloc'd buffer, a connection's first bytes,
 * and its length: a row that is closed is its bytes alone; any other is a
 * valid v1 header whose source is trusted too (so the fields are read), a
 * request for /who.txt?case=hostile-I, then the row's field.
 */
static char *hostile_bytes(size_t i, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    enum hostile_gen gen = hostile[i].gen;
    if (gen == V2_HUGE_LENGTH || gen == V2_OVER_BOUND) {
        size_t body = gen == V2_HUGE_LENGTH ? 65535 : PROXY_V2_BOUND - 16 + 1, sent = body < cap - 16 ? body : cap - 16;
        memcpy(b, V2_SIG "\x21\x11", 14);
        b[14] = (char)(body >> 8);
        b[15] = (char)body;
        memset(b + 16, 0, sent);
        *len = 16 + sent;
        return b;
    }
    if (hostile[i].client == NULL) {
        *len = hostile[i].len ? hostile[i].len : strlen(hostile[i].raw);
        memcpy(b, hostile[i].raw, *len);
        return b;
    }
    n = (size_t)snprintf(b, cap,
                         "PROXY TCP4 " PROXY " 127.0.0.1 5555 80\r\n"
                         "GET /who.txt?case=hostile-%zu HTTP/1.1\r\nHost: t\r\nConnection: close\r\n",
                         i);
    if (gen == XFF_10000_COMMAS) {
        n += (size_t)snprintf(b + n, cap - n, "X-Forwarded-For: ");
        memset(b + n, ',', 10000);
        n += 10000;
        n += (size_t)snprintf(b + n, cap - n, "6.6.6.6");
    } else if (gen == FORWARDED_40_UNKNOWN) {
        n += (size_t)snprintf(b + n, cap - n, "Forwarded: for=6.6.6.6");
        for (int k = 0; k < 40; k++)
            n += (size_t)snprintf(b + n, cap - n, ", for=unknown");
    } else if (gen == XFF_LONG_ADDRESS) {
        n += (size_t)snprintf(b + n, cap - n, "X-Forwarded-For: ");
        memset(b + n, '1', 200);
        n += 200;
    } else {
        n += (size_t)snprintf(b + n, cap - n, "%s", hostile[i].raw);
    }
    n += (size_t)snprintf(b + n, cap - n, "\r\n\r\n");
    *len = n;
    return b;
}

START_TEST(test_hostile_proxy_input)
{
    write_who();
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--log-format", "json", "--trusted-proxies", PROXY, "--proxy-protocol",
                                 "--request-id", "--max-head-size", "32k"),
                            &p);
    for (size_t i = 0; i < OTU_ARRAY_LEN(hostile); i++) {
        size_t len;
        char *raw = hostile_bytes(i, &len);
        if (hostile[i].client == NULL) {
            expect_closed_unanswered(PROXY, p, raw, len, 3000);
        } else {
            struct e2e_response r;
            exchange_from(PROXY, p, raw, len, &r);
            ck_assert_msg(r.status == 200, "%s: %d", hostile[i].name, r.status);
            char id[200];
            ck_assert_msg(e2e_header(&r, "X-Request-Id", id, sizeof(id)) && strlen(id) == 32, "%s", hostile[i].name);
            e2e_response_free(&r);
            char target[64], line[4096], want[200];
            snprintf(target, sizeof(target), "/who.txt?case=hostile-%zu", i);
            access_line(target, line, sizeof(line));
            snprintf(want, sizeof(want), "\"remote_addr\":\"%s\",\"peer\":\"" PROXY "\"", hostile[i].client);
            ck_assert_msg(strstr(line, want) != NULL, "%s: %s", hostile[i].name, line);
        }
        free(raw);
        struct e2e_response ok; /* nothing above took the worker down */
        get_from(CLIENT, p, "/who.txt?case=next", "", 200, &ok);
        e2e_response_free(&ok);
    }
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* ---- X-Request-Id ---- */

START_TEST(test_request_ids)
{
    write_who();
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--trusted-proxies", PROXY, "--request-id"), &p);
    struct e2e_response r;
    char a[200], b[200];
    get_from(CLIENT, p, "/who.txt?case=id-a", "", 200, &r);
    ck_assert_ptr_nonnull(e2e_header(&r, "X-Request-Id", a, sizeof(a)));
    e2e_response_free(&r);
    get_from(CLIENT, p, "/who.txt?case=id-b", "", 200, &r);
    ck_assert_ptr_nonnull(e2e_header(&r, "X-Request-Id", b, sizeof(b)));
    e2e_response_free(&r);
    ck_assert_str_ne(a, b);
    ck_assert_uint_eq(strlen(a), 32);
    /* from the trusted proxy: kept when acceptable, else replaced */
    static char long_id[200];
    memset(long_id, 'x', 129);
    static const char *const bad[] = {"has space", "semi;colon", "caf\xc3\xa9", long_id};
    for (size_t i = 0; i < OTU_ARRAY_LEN(bad); i++) {
        char headers[300], got[300];
        snprintf(headers, sizeof(headers), "X-Request-Id: %s\r\n", bad[i]);
        get_from(PROXY, p, "/who.txt?case=id-bad", headers, 200, &r);
        ck_assert_ptr_nonnull(e2e_header(&r, "X-Request-Id", got, sizeof(got)));
        ck_assert_msg(strlen(got) == 32 && strcmp(got, bad[i]) != 0, "'%s' came back as '%s'", bad[i], got);
        e2e_response_free(&r);
    }
    long_id[128] = '\0'; /* 128 is the limit: kept */
    char headers[300];
    snprintf(headers, sizeof(headers), "X-Request-Id: %s\r\n", long_id);
    get_from(PROXY, p, "/who.txt?case=id-128", headers, 200, &r);
    expect_header(&r, "X-Request-Id", long_id);
    e2e_response_free(&r);
    /* errors carry one too, and it is logged */
    expect_status_on(p, "GET /who.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, &r);
    ck_assert_ptr_nonnull(e2e_header(&r, "X-Request-Id", a, sizeof(a)));
    e2e_response_free(&r);
    char *log = wait_for_log(lc_log, a, slow(3000));
    ck_assert_msg(log != NULL, "the 400's id %s is not in the log", a);
    free(log);
    expect_status_on(p, "HEAD /who.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200, &r);
    ck_assert_ptr_nonnull(e2e_header(&r, "X-Request-Id", a, sizeof(a)));
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* ---- Debian's HAProxy in front ---- */

/* Starts haproxy -f cfg in the foreground (its output into base_dir/haproxy.log); returns its pid. */
static pid_t haproxy_start(const char *cfg, int ready_port)
{
    char out[400];
    snprintf(out, sizeof(out), "%s/haproxy.log", base_dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("haproxy", "haproxy", "-db", "-f", cfg, (char *)NULL);
        _exit(127);
    }
    for (long long end = e2e_now_ms() + E2E_TIMEOUT_MS; e2e_now_ms() < end; usleep(20000)) {
        int fd = e2e_connect_host("127.0.0.1", ready_port);
        if (fd >= 0) {
            close(fd);
            return pid;
        }
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    ck_abort_msg("haproxy did not start (see %s)", out);
    return -1;
}

START_TEST(test_haproxy_send_proxy_v1_and_v2)
{
    if (sh("command -v haproxy >/dev/null 2>&1") != 0) {
        printf("SKIPPED: haproxy is not installed (apt-get install haproxy; scripts/build/ci-deps installs it): "
               "the PROXY protocol from a real sender was NOT tested\n");
        return;
    }
    write_who();
    /* server A: the PROXY protocol from HAProxy at 127.0.0.3; server B: X-Forwarded-For from HAProxy in HTTP mode */
    int pa, pb;
    pid_t a =
        lc_start(ARGS("-w", "1", "--log-format", "json", "--trusted-proxies", "127.0.0.3", "--proxy-protocol"), &pa);
    char log_a[400];
    snprintf(log_a, sizeof(log_a), "%s", lc_log);
    pid_t b = lc_start(ARGS("-w", "1", "--log-format", "json", "--trusted-proxies", "127.0.0.3", "--real-ip-header",
                            "x-forwarded-for"),
                       &pb);
    int f1 = e2e_free_port(), f2 = e2e_free_port(), f3 = e2e_free_port();
    char cfg[400], text[2048];
    snprintf(cfg, sizeof(cfg), "%s/haproxy.cfg", base_dir);
    snprintf(text, sizeof(text),
             "global\n    maxconn 64\n"
             "defaults\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n"
             "frontend v1\n    bind 127.0.0.1:%d\n    mode tcp\n    default_backend v1\n"
             "backend v1\n    mode tcp\n    server s 127.0.0.1:%d send-proxy source 127.0.0.3\n"
             "frontend v2\n    bind 127.0.0.1:%d\n    mode tcp\n    default_backend v2\n"
             "backend v2\n    mode tcp\n    server s 127.0.0.1:%d send-proxy-v2 source 127.0.0.3\n"
             "frontend l7\n    bind 127.0.0.1:%d\n    mode http\n    option forwardfor\n    default_backend l7\n"
             "backend l7\n    mode http\n    server s 127.0.0.1:%d source 127.0.0.3\n",
             f1, pa, f2, pa, f3, pb);
    ck_assert_int_eq(e2e_write_file(cfg, text, strlen(text)), 0);
    pid_t hp = haproxy_start(cfg, f3);
    struct e2e_response r;
    get_from(CLIENT, f1, "/who.txt?case=haproxy-v1", "X-Forwarded-For: 6.6.6.6\r\n", 200, &r);
    e2e_response_free(&r);
    get_from(CLIENT, f2, "/who.txt?case=haproxy-v2", "X-Forwarded-For: 6.6.6.6\r\n", 200, &r);
    e2e_response_free(&r);
    get_from(CLIENT, f3, "/who.txt?case=haproxy-xff", "X-Forwarded-For: 6.6.6.6\r\n", 200, &r);
    ck_assert_str_eq(r.body, "who\n");
    e2e_response_free(&r);
    /* the client (127.0.0.2) is logged, HAProxy (127.0.0.3) is the peer; the client's own XFF is not believed */
    expect_logged("/who.txt?case=haproxy-xff", CLIENT, "127.0.0.3");
    snprintf(lc_log, sizeof(lc_log), "%s", log_a);
    expect_logged("/who.txt?case=haproxy-v1", CLIENT, "127.0.0.3");
    expect_logged("/who.txt?case=haproxy-v2", CLIENT, "127.0.0.3");
    ck_assert_int_eq(log_count("6.6.6.6"), 0);
    printf("haproxy: send-proxy, send-proxy-v2 and option forwardfor: client %s logged, peer 127.0.0.3\n", CLIENT);
    kill(hp, SIGTERM);
    waitpid(hp, NULL, 0);
    ck_assert_int_eq(e2e_stop(a), 0);
    ck_assert_int_eq(e2e_stop(b), 0);
}
END_TEST

TCase *e2e_proxy_tcase(void)
{
    TCase *tc = tcase_create("proxy");
    tcase_set_timeout(tc, 90);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_spoofed_fields_from_an_untrusted_peer_change_nothing);
    tcase_add_test(tc, test_a_chain_through_two_trusted_proxies);
    tcase_add_test(tc, test_over_long_or_broken_chains_keep_the_peer);
    tcase_add_test(tc, test_auth_limiter_keys_on_the_client_behind_the_proxy);
    tcase_add_test(tc, test_proxy_protocol_by_hand);
    tcase_add_test(tc, test_proxy_protocol_refusals);
    tcase_add_test(tc, test_proxy_protocol_needs_trusted_proxies);
    tcase_add_test(tc, test_hostile_proxy_input);
    tcase_add_test(tc, test_healthcheck_through_the_proxy_protocol);
    tcase_add_test(tc, test_request_ids);
    tcase_add_test(tc, test_haproxy_send_proxy_v1_and_v2);
    return tc;
}

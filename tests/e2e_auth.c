/*
 * e2e_auth.c - end-to-end tests for basic authentication (--basic-auth-file):
 * 401 with the challenge, 200 with the right password, the health path
 * open, 401 before 404; SIGHUP re-reads the file; bad files refused at
 * start; 1,000 keep-alive
 * requests cost one crypt(), and so do 12 spellings of one login; a
 * password-guessing client does not slow another client of the same
 * worker; with CORS, an allowed origin's preflight is answered before auth.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* crypt("secret", ...) with bcrypt cost 10 and SHA-512. */
#define BCRYPT_SECRET "$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u"
#define SHA512_SECRET                                                                           \
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq." \
    "H91p5hVO1"
#define ALICE_OK  "Authorization: Basic YWxpY2U6c2VjcmV0\r\n" /* alice:secret */
#define ALICE_BAD "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n" /* alice:wrong */
#define BOB_OK    "Authorization: Basic Ym9iOnNlY3JldA==\r\n" /* bob:secret */
#define CHALLENGE "Basic realm=\"otuserver\", charset=\"UTF-8\""

static char htpasswd[400];

/* Writes the users file (alice: bcrypt, bob: SHA-512) beside the root. */
static void write_users(void)
{
    snprintf(htpasswd, sizeof(htpasswd), "%s/htpasswd", base_dir);
    const char *text = "# test users\nalice:" BCRYPT_SECRET "\nbob:" SHA512_SECRET "\n";
    ck_assert_int_eq(e2e_write_file(htpasswd, text, strlen(text)), 0);
}

/* GET path with the extra header lines on a new connection; asserts the status. */
static void get(int p, const char *path, const char *headers, int status, struct e2e_response *r)
{
    char raw[512];
    snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n", path, headers);
    expect_status_on(p, raw, status, r);
}

/* GET path with headers, whatever the status (in r). */
static void get_any(int p, const char *path, const char *headers, struct e2e_response *r)
{
    char raw[512];
    snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n", path, headers);
    ck_assert_int_eq(e2e_exchange(p, raw, r), 0);
}

START_TEST(test_auth_statuses)
{
    write_users();
    write_text("auth-page.txt", "behind the door\n");
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--basic-auth-file", htpasswd, "--health-path", "/healthz"), &p);
    struct e2e_response r;

    get(p, "/auth-page.txt", "", 401, &r);
    expect_header(&r, "WWW-Authenticate", CHALLENGE);
    ck_assert_ptr_null(strstr(r.body, "behind the door"));
    e2e_response_free(&r);
    get(p, "/auth-page.txt", ALICE_BAD, 401, &r);
    expect_header(&r, "WWW-Authenticate", CHALLENGE);
    e2e_response_free(&r);
    get(p, "/auth-page.txt", "Authorization: Bearer abc\r\n", 401, &r);
    e2e_response_free(&r);
    get(p, "/auth-page.txt", ALICE_OK, 200, &r);
    ck_assert_str_eq(r.body, "behind the door\n");
    expect_no_header(&r, "WWW-Authenticate");
    e2e_response_free(&r);
    get(p, "/auth-page.txt", BOB_OK, 200, &r); /* SHA-512 crypt */
    e2e_response_free(&r);
    get(p, "/healthz", "", 200, &r); /* probes need no password */
    e2e_response_free(&r);
    get(p, "/missing.txt", ALICE_OK, 404, &r);
    e2e_response_free(&r);
    get(p, "/missing.txt", "", 401, &r); /* what exists is not told before a login */
    e2e_response_free(&r);
    expect_status_on(p, "HEAD /auth-page.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 401, &r);
    expect_header(&r, "WWW-Authenticate", CHALLENGE);
    e2e_response_free(&r);

    /* three wrong passwords on one connection close it */
    int fd = e2e_connect(p);
    ck_assert_int_ge(fd, 0);
    const char *bad = "GET /auth-page.txt HTTP/1.1\r\nHost: t\r\n" ALICE_BAD "\r\n";
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(e2e_send(fd, bad, strlen(bad)), 0);
        ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
        ck_assert_int_eq(r.status, 401);
        char conn[32];
        ck_assert_ptr_nonnull(e2e_header(&r, "Connection", conn, sizeof(conn)));
        ck_assert_str_eq(conn, i < 2 ? "keep-alive" : "close");
        e2e_response_free(&r);
    }
    ck_assert(e2e_peer_closes(fd, 2000));
    close(fd);
    ck_assert_int_eq(e2e_stop(master), 0);

    /* another realm */
    master = lc_start(ARGS("-w", "1", "--basic-auth-file", htpasswd, "--basic-auth-realm", "Staff area"), &p);
    get(p, "/auth-page.txt", "", 401, &r);
    expect_header(&r, "WWW-Authenticate", "Basic realm=\"Staff area\", charset=\"UTF-8\"");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_auth_sighup_rereads_the_file)
{
    write_users();
    write_text("auth-page.txt", "behind the door\n");
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--basic-auth-file", htpasswd), &p);
    struct e2e_response r;
    get(p, "/auth-page.txt", ALICE_OK, 200, &r); /* now in the cache */
    e2e_response_free(&r);
    const char *only_bob = "bob:" SHA512_SECRET "\n";
    ck_assert_int_eq(e2e_write_file(htpasswd, only_bob, strlen(only_bob)), 0);
    kill(master, SIGHUP); /* a reload: new workers read the file, the old ones finish */
    char *log = wait_for_log(lc_log, "configuration reloaded", slow(3000));
    ck_assert_ptr_nonnull(log);
    free(log);
    int status = 0;
    for (long long end = e2e_now_ms() + slow(2000); status != 401 && e2e_now_ms() < end; usleep(20000)) {
        get_any(p, "/auth-page.txt", ALICE_OK, &r); /* an old worker may take a connection for a moment */
        status = r.status;
        e2e_response_free(&r);
    }
    ck_assert_msg(status == 401, "alice still gets %d after the reload", status);
    get(p, "/auth-page.txt", BOB_OK, 200, &r);
    e2e_response_free(&r);
    /* a file that no longer loads keeps the running configuration */
    const char *broken = "bob:plaintext\n";
    ck_assert_int_eq(e2e_write_file(htpasswd, broken, strlen(broken)), 0);
    kill(master, SIGHUP);
    log =
        wait_for_log(lc_log, "configuration not reloaded, the running one stays: invalid basic auth file", slow(3000));
    ck_assert_ptr_nonnull(log);
    free(log);
    get(p, "/auth-page.txt", BOB_OK, 200, &r);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_auth_bad_files_stop_the_start)
{
    char path[400], err[512];
    snprintf(path, sizeof(path), "%s/htpasswd-apr1", base_dir);
    const char *apr1 = "alice:$apr1$abcdefgh$abcdefghijklmnopqrstuv\n";
    ck_assert_int_eq(e2e_write_file(path, apr1, strlen(apr1)), 0);
    ck_assert_int_eq(run_binary(ARGS("--basic-auth-file", path), NULL, err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, "line 1") && strstr(err, "$apr1$") && strchr(err, '\n') == strrchr(err, '\n'), "%s", err);
    snprintf(path, sizeof(path), "%s/no-such-htpasswd", base_dir);
    ck_assert_int_eq(run_binary(ARGS("--basic-auth-file", path), NULL, err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, "No such file"), "%s", err);
    ck_assert_int_eq(run_binary(ARGS("--basic-auth-realm", "a\"b"), NULL, err, sizeof(err)), 2);
    ck_assert_int_eq(run_binary(NULL, "OTUSERVER_BASIC_AUTH_FILE=/nonexistent", err, sizeof(err)), 2);
}
END_TEST

/* Sends n keep-alive GETs with header on fd; asserts each is 200. */
static void keepalive_gets(int fd, const char *header, int n)
{
    char raw[256];
    snprintf(raw, sizeof(raw), "GET /auth-page.txt HTTP/1.1\r\nHost: t\r\n%s\r\n", header);
    for (int i = 0; i < n; i++) {
        struct e2e_response r;
        ck_assert_int_eq(e2e_send(fd, raw, strlen(raw)), 0);
        ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
        ck_assert_int_eq(r.status, 200);
        e2e_response_free(&r);
    }
}

/* One worker behind the users' file, with metrics on a port of its own: *p and *mport. */
static pid_t start_auth_with_metrics(int *p, int *mport)
{
    write_users();
    write_text("auth-page.txt", "behind the door\n");
    char mp[16];
    free_port_arg(mport, mp);
    return lc_start(ARGS("-w", "1", "--basic-auth-file", htpasswd, "--metrics-port", mp), p);
}

START_TEST(test_auth_thousand_requests_one_crypt)
{
    int p, mport;
    pid_t master = start_auth_with_metrics(&p, &mport);
    for (int c = 0; c < 2; c++) { /* two connections of 500: the cache is per worker, not per connection */
        int fd = e2e_connect(p);
        ck_assert_int_ge(fd, 0);
        keepalive_gets(fd, ALICE_OK, 500);
        close(fd);
    }
    char *m = fetch_metrics(mport);
    long long calls = metric_sum(m, "otuserver_auth_crypt_calls_total");
    printf("auth: 1000 keep-alive requests with valid credentials: %lld crypt() call(s)\n", calls);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(metric_sum(m, "otuserver_auth_crypt_failures_total"), 0);
    free(m);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Connects to 127.0.0.1:p from source address 127.0.0.2 (another client); returns the socket. */
static int connect_from_other(int p)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.2", &src.sin_addr);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (fd >= 0 &&
        (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* The attacker: 200 wrong passwords from 127.0.0.2, reconnecting when closed; exits 0. */
static void attack(int p)
{
    const char *bad = "GET /auth-page.txt HTTP/1.1\r\nHost: t\r\n" ALICE_BAD "\r\n";
    int fd = -1, answered = 0;
    for (int i = 0; i < 200; i++) {
        if (fd < 0)
            fd = connect_from_other(p);
        struct e2e_response r;
        if (fd < 0 || e2e_send(fd, bad, strlen(bad)) < 0 || e2e_read_response(fd, false, &r) < 0) {
            if (fd >= 0)
                close(fd);
            fd = -1;
            continue;
        }
        answered += r.status == 401 || r.status == 429;
        char conn[32];
        if (e2e_header(&r, "Connection", conn, sizeof(conn)) && strcmp(conn, "close") == 0) {
            close(fd);
            fd = -1;
        }
        e2e_response_free(&r);
    }
    _exit(answered >= 190 ? 0 : 1);
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

START_TEST(test_auth_guessing_does_not_slow_others)
{
    int p, mport;
    pid_t master = start_auth_with_metrics(&p, &mport);
    int fd = e2e_connect(p);
    ck_assert_int_ge(fd, 0);
    long long t0 = e2e_now_ms();
    keepalive_gets(fd, ALICE_OK, 1); /* the one bcrypt check: what each guess would cost unlimited */
    long long crypt_ms = e2e_now_ms() - t0;

    fflush(NULL);
    pid_t attacker = fork();
    if (attacker == 0)
        attack(p);
    enum { SAMPLES_MAX = 4096 };
    static long long lat[SAMPLES_MAX];
    int n = 0, st = 0;
    bool done = false;
    while (n < SAMPLES_MAX && (!done || n < 50)) {
        if (n > 0 && n % 500 == 0) { /* well inside --keepalive-requests (1000): a slow attacker means many */
            close(fd);
            fd = e2e_connect(p);
            ck_assert_int_ge(fd, 0);
        }
        long long s = e2e_now_ms();
        keepalive_gets(fd, ALICE_OK, 1);
        lat[n++] = e2e_now_ms() - s;
        if (!done && waitpid(attacker, &st, WNOHANG) == attacker)
            done = true;
    }
    if (!done)
        waitpid(attacker, &st, 0);
    close(fd);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the attacker's 200 guesses were not all answered");
    qsort(lat, (size_t)n, sizeof(lat[0]), cmp_ll);
    char *m = fetch_metrics(mport);
    long long calls = metric_sum(m, "otuserver_auth_crypt_calls_total");
    long long limited = metric_sum(m, "otuserver_auth_limited_total");
    free(m);
    printf("auth: 200 wrong passwords from 127.0.0.2: %lld crypt() calls in all, %lld answered 429 "
           "without crypt(); other client's median %lld ms, max %lld ms over %d requests; one bcrypt "
           "check took %lld ms, so unlimited the guesses would have held the worker ~%lld ms\n",
           calls, limited, lat[n / 2], lat[n - 1], n, crypt_ms, 200 * crypt_ms);
    ck_assert_int_lt(lat[n / 2], 50);
    /* one for the victim, the attacker's burst, and a refill or two while it ran */
    ck_assert_int_le(calls, 1 + 5 + 3);
    ck_assert_int_ge(limited, 150);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/*
 * Issue 24 item 5: the same valid credentials (bob:secret) spelled 12 ways
 * - the scheme as Basic, basic and BASIC, one space or two before the
 * token, base64 with both pad characters, one, none, or unused bits set -
 * are all accepted and cost one crypt() in all: the cache is keyed on the
 * decoded user and password, not on the header's bytes.
 */
START_TEST(test_auth_spellings_cost_one_crypt)
{
    static const char *const schemes[] = {"Basic", "basic", "BASIC"};
    static const char *const tokens[] = {"Ym9iOnNlY3JldA==", "Ym9iOnNlY3JldA", "Ym9iOnNlY3JldA=", "Ym9iOnNlY3JldB=="};
    int p, mport;
    pid_t master = start_auth_with_metrics(&p, &mport);
    int ok = 0, n = 0;
    char statuses[128] = "";
    for (size_t s = 0; s < OTU_ARRAY_LEN(schemes); s++) {
        for (size_t t = 0; t < OTU_ARRAY_LEN(tokens); t++, n++) {
            char header[128], raw[512];
            snprintf(header, sizeof(header), "Authorization: %s%s%s\r\n", schemes[s], n % 2 ? "  " : " ", tokens[t]);
            snprintf(raw, sizeof(raw), "GET /auth-page.txt HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n", header);
            struct e2e_response r; /* a connection each: the cache is the worker's, not the connection's */
            int status = e2e_exchange(p, raw, &r) == 0 ? r.status : -1;
            e2e_response_free(&r);
            ok += status == 200;
            snprintf(statuses + strlen(statuses), sizeof(statuses) - strlen(statuses), "%s%d", n ? " " : "", status);
        }
    }
    char *m = fetch_metrics(mport);
    long long calls = metric_sum(m, "otuserver_auth_crypt_calls_total");
    free(m);
    printf("auth: %d spellings of one login: %d answered 200 (%s), %lld crypt() call(s)\n", n, ok, statuses, calls);
    fflush(stdout); /* a failed assertion ends the process: the line first */
    ck_assert_msg(calls == 1, "%d spellings of one login cost %lld crypt() calls", n, calls);
    ck_assert_msg(ok == n, "%d of %d spellings answered 200: %s", ok, n, statuses);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/*
 * Issue 24 item 8: with basic auth and CORS, an allowed origin's preflight
 * (which browsers send without credentials) is answered 204 with the
 * Access-Control-* lines and Access-Control-Allow-Credentials, before
 * auth; everything else is still authenticated: the cross-origin GET
 * itself (401 without credentials, 200 with them), a preflight from
 * another origin, an OPTIONS that is no preflight.
 */
START_TEST(test_auth_cors_preflight_answered_before_auth)
{
    write_users();
    write_text("auth-page.txt", "behind the door\n");
    int p;
    pid_t master =
        lc_start(ARGS("-w", "1", "--basic-auth-file", htpasswd, "--cors-origins", "https://app.example"), &p);
    struct e2e_response r;
    const char *preflight = "OPTIONS /auth-page.txt HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n"
                            "Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: authorization\r\n"
                            "Connection: close\r\n\r\n";
    ck_assert_int_eq(e2e_exchange(p, preflight, &r), 0);
    printf("auth + CORS: an allowed origin's preflight without credentials: %d\n", r.status);
    fflush(stdout);
    ck_assert_msg(r.status == 204, "an allowed origin's preflight: status %d, expected 204", r.status);
    expect_header(&r, "Access-Control-Allow-Origin", "https://app.example");
    expect_header(&r, "Access-Control-Allow-Credentials", "true");
    expect_header(&r, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    expect_no_header(&r, "WWW-Authenticate");
    ck_assert_ptr_null(strstr(r.body ? r.body : "", "behind the door"));
    e2e_response_free(&r);
    /* the request it announces is authenticated as any other */
    get(p, "/auth-page.txt", "Origin: https://app.example\r\n", 401, &r);
    expect_header(&r, "WWW-Authenticate", CHALLENGE);
    ck_assert_ptr_null(strstr(r.body, "behind the door"));
    e2e_response_free(&r);
    get(p, "/auth-page.txt", "Origin: https://app.example\r\n" ALICE_OK, 200, &r);
    ck_assert_str_eq(r.body, "behind the door\n");
    expect_header(&r, "Access-Control-Allow-Origin", "https://app.example");
    expect_header(&r, "Access-Control-Allow-Credentials", "true");
    e2e_response_free(&r);
    /* a preflight from another origin, and an OPTIONS that is no preflight: auth first, as before */
    expect_status_on(p,
                     "OPTIONS /auth-page.txt HTTP/1.1\r\nHost: t\r\nOrigin: https://evil.test\r\n"
                     "Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n",
                     401, &r);
    expect_no_header(&r, "Access-Control-Allow-Origin");
    e2e_response_free(&r);
    expect_status_on(p,
                     "OPTIONS /auth-page.txt HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n"
                     "Connection: close\r\n\r\n",
                     401, &r);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

TCase *e2e_auth_tcase(void)
{
    TCase *tc = tcase_create("auth");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_auth_statuses);
    tcase_add_test(tc, test_auth_sighup_rereads_the_file);
    tcase_add_test(tc, test_auth_bad_files_stop_the_start);
    tcase_add_test(tc, test_auth_thousand_requests_one_crypt);
    tcase_add_test(tc, test_auth_guessing_does_not_slow_others);
    tcase_add_test(tc, test_auth_spellings_cost_one_crypt);
    tcase_add_test(tc, test_auth_cors_preflight_answered_before_auth);
    return tc;
}

/*
 * e2e_audit_ops.c - end-to-end tests for operations: signals, the master's
 * back-off, listeners, logging and counting of every response.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* Item 14a: a JSON access line carries UTF-8 as characters, and bad bytes as U+FFFD. */
START_TEST(test_json_log_keeps_utf8)
{
    int p;
    const char *extra[] = {"-w", "1", "--log-format", "json", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(p, "GET /caf\xc3\xa9.html?q=\xe2\x9c\x93 HTTP/1.1\r\nHost: t\r\n"
                                     "User-Agent: Mozilla/5.0 \xc3\xbcn\xc3\xaf \xf0\x9f\x98\x80\r\n"
                                     "Referer: http://x/\xff\xc3\r\n\r\n", &r), 0);
    ck_assert_int_eq(r.status, 404);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0); /* the stop flushes the buffer */
    char cmd[1400];
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys\n"
             "rows=[json.loads(l) for l in open(sys.argv[1], encoding=\"utf-8\", errors=\"strict\") if l.startswith(\"{\")]\n"
             "assert len(rows)==1, rows\n"
             "r=rows[0]\n"
             "assert r[\"target\"]==\"/caf\\u00e9.html?q=\\u2713\", r\n"
             "assert r[\"user_agent\"]==\"Mozilla/5.0 \\u00fcn\\u00ef \\U0001f600\", r\n"
             "assert r[\"referer\"]==\"http://x/\\ufffd\\ufffd\", r' '%s'",
             lc_log);
    ck_assert_msg(system(cmd) == 0, "the JSON line did not parse as UTF-8 with the right characters");
}
END_TEST

/* Item 14c: a request the parser refuses is logged with what was read of it. */
START_TEST(test_rejected_request_logs_what_was_read)
{
    struct e2e_response r;
    /* a good request line, then a header line without a colon */
    expect_status("GET /rejected-target?x=1 HTTP/1.1\r\nHost: t\r\nUser-Agent: ua-14c\r\n"
                  "Bad Header\r\n\r\n", 400, &r);
    e2e_response_free(&r);
    /* a control byte inside the target: the target up to it */
    expect_status("GET /ctl-target\x01x HTTP/1.1\r\nHost: t\r\n\r\n", 400, &r);
    e2e_response_free(&r);
    /* a target longer than the head limit: 414, the start of the target */
    static char raw[9000];
    memcpy(raw, "GET /long-target-", 17);
    memset(raw + 17, 'a', sizeof(raw) - 18);
    raw[sizeof(raw) - 1] = '\0';
    expect_status(raw, 414, &r);
    e2e_response_free(&r);
    /* each line may come from either worker's buffer: wait for each */
    char *log = wait_for_log(log_path, "\"GET /rejected-target?x=1 HTTP/1.1\" 400 ", 5000);
    ck_assert_msg(log != NULL, "the 400 after a bad header does not show its request line");
    free(log);
    log = wait_for_log(log_path, "\"GET /ctl-target\" 400 ", 5000);
    ck_assert_msg(log != NULL, "the 400 for a control byte does not show the target read");
    free(log);
    log = wait_for_log(log_path, "...\" 414 ", 5000);
    ck_assert_msg(log != NULL, "no 414 line with its target cut with ...");
    ck_assert_msg(strstr(log, "\"GET /long-target-aaaa") != NULL, "the 414's line lacks its target");
    free(log);
}
END_TEST

/* Counts the complete responses at the start of buf[0..len) (Content-Length framed). */
static int count_responses(const char *buf, size_t len)
{
    int n = 0;
    size_t pos = 0;
    for (;;) {
        const char *end = memmem(buf + pos, len - pos, "\r\n\r\n", 4);
        if (end == NULL)
            return n;
        const char *cl = memmem(buf + pos, (size_t)(end - (buf + pos)), "Content-Length: ", 16);
        size_t body = cl ? (size_t)strtoul(cl + 16, NULL, 10) : 0;
        size_t next = (size_t)(end + 4 - buf) + body;
        if (strncmp(buf + pos, "HTTP/1.1 200 ", 13) != 0 || next > len)
            return n;
        n++;
        pos = next;
    }
}

/*
 * Item 14b: 3,000 requests pipelined on one connection with a cap of 1,000
 * per connection, by a client that sends fast and reads slowly (a small
 * receive window, 2 KiB at a time), so the last answers are still in the
 * server's send queue when it has answered its 1,000th request.  The 1,000
 * answers must all arrive, then a clean EOF: the server drains the requests
 * it will not answer instead of closing on them, which resets the
 * connection and throws away the answers not yet delivered.
 */
START_TEST(test_pipelined_past_request_cap_all_answered)
{
    int p;
    const char *extra[] = {"-w", "1", "--keepalive-requests", "1000", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    enum { REQUESTS = 3000, CAP = 1000 };
    static const char one[] = "GET /page.html HTTP/1.1\r\nHost: t\r\nUser-Agent: pipeline-test\r\n"
                              "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    size_t one_len = sizeof(one) - 1, out_len = one_len * REQUESTS, out_sent = 0;
    char *out = malloc(out_len);
    for (int i = 0; i < REQUESTS; i++)
        memcpy(out + (size_t)i * one_len, one, one_len);
    size_t in_cap = 4 * 1024 * 1024, in_len = 0;
    char *in = malloc(in_cap);
    int fd = connect_small_rcvbuf(p);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    bool eof = false;
    int read_errno = 0;
    long long deadline = e2e_now_ms() + (getenv("OTU_E2E_SLOW") ? 60000 : 20000);
    while (!eof && read_errno == 0 && e2e_now_ms() < deadline) {
        struct pollfd pf = {fd, (short)(POLLIN | (out_sent < out_len ? POLLOUT : 0)), 0};
        if (poll(&pf, 1, 200) < 0)
            break;
        while (out_sent < out_len) { /* send all the socket takes */
            ssize_t n = send(fd, out + out_sent, out_len - out_sent, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            out_sent += (size_t)n;
        }
        ssize_t n = recv(fd, in + in_len, 2048, 0); /* read slowly */
        if (n > 0)
            in_len += (size_t)n;
        else if (n == 0)
            eof = true;
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            read_errno = errno;
        usleep(500);
    }
    close(fd);
    int answered = count_responses(in, in_len);
    printf("pipelined %d requests (%zu of %zu bytes sent), cap %d: %d complete answers, %s\n", REQUESTS,
           out_sent, out_len, CAP, answered, eof ? "then EOF" : read_errno ? strerror(read_errno) : "no end");
    ck_assert_msg(read_errno == 0, "the connection was reset (%s) after %d answers", strerror(read_errno),
                  answered);
    ck_assert_msg(eof, "no EOF after %d answers", answered);
    ck_assert_int_eq(answered, CAP);
    free(in);
    free(out);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Returns the body bytes of the access line for request (text format), or -1 when absent. */
static long long logged_bytes(const char *log, const char *request, int status)
{
    char needle[300];
    snprintf(needle, sizeof(needle), "\"%s\" %d ", request, status);
    const char *line = strstr(log, needle);
    return line ? atoll(line + strlen(needle)) : -1;
}

/*
 * Item 6: responses cut off mid-body are logged and counted with the bytes
 * actually sent: a client that resets the connection during a large
 * download, and a reader that stalls until the send timeout.
 */
START_TEST(test_cut_responses_are_logged_and_counted)
{
    enum { CUT_SIZE = 48 * 1024 * 1024 };
    char path[500];
    snprintf(path, sizeof(path), "%s/cut.bin", root_dir);
    char *data = malloc(CUT_SIZE);
    memset(data, 'c', CUT_SIZE);
    ck_assert_int_eq(e2e_write_file(path, data, CUT_SIZE), 0);
    free(data);
    int p, mport = e2e_free_port();
    char mp[16];
    snprintf(mp, sizeof(mp), "%d", mport);
    const char *extra[] = {"-w", "1", "--metrics-port", mp, "--send-timeout", "1s", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    char *m = fetch_metrics(mport);
    long long before = metric_sum(m, "otuserver_requests_total{");
    free(m);

    /* a download reset by the client after 64 KiB */
    int fd = connect_small_rcvbuf(p);
    const char *req = "GET /cut.bin?reset HTTP/1.1\r\nHost: t\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    char buf[16384];
    size_t got = 0;
    while (got < 65536) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
    }
    struct linger reset = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    close(fd); /* RST */

    /* a reader that takes nothing: closed by the 1 s send timeout */
    fd = connect_small_rcvbuf(p);
    req = "GET /cut.bin?stall HTTP/1.1\r\nHost: t\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    /* read nothing: the server's sends stall, its send timeout closes the connection */
    char *log = wait_for_log(lc_log, "\"GET /cut.bin?stall HTTP/1.1\" 200 ",
                             getenv("OTU_E2E_SLOW") ? 20000 : 8000);
    close(fd);
    char *any = log ? log : e2e_read_file(lc_log, &(size_t){0});
    long long reset_bytes = logged_bytes(any, "GET /cut.bin?reset HTTP/1.1", 200);
    long long stall_bytes = logged_bytes(any, "GET /cut.bin?stall HTTP/1.1", 200);
    printf("cut responses of %d bytes: reset logged %lld bytes, stall logged %lld bytes\n", CUT_SIZE,
           reset_bytes, stall_bytes);
    ck_assert_msg(reset_bytes >= 0, "no access line for the reset download:\n%s", any);
    ck_assert_msg(stall_bytes >= 0, "no access line for the send timeout:\n%s", any);
    ck_assert_msg(reset_bytes > 0 && reset_bytes < CUT_SIZE, "reset: %lld bytes logged", reset_bytes);
    ck_assert_msg(stall_bytes < CUT_SIZE, "stall: %lld bytes logged", stall_bytes);
    free(any);
    long long after = before;
    for (int i = 0; i < 100 && after != before + 2; i++) {
        m = fetch_metrics(mport);
        after = metric_sum(m, "otuserver_requests_total{");
        free(m);
        if (after != before + 2)
            usleep(20000);
    }
    ck_assert_msg(after == before + 2, "requests_total went from %lld to %lld, not +2", before, after);
    ck_assert_int_eq(e2e_stop(master), 0);
    unlink(path);
}
END_TEST

/*
 * Item 4: with every descriptor in use, a connection waiting on the metrics
 * listener must not spin the worker (the event is level-triggered: accept
 * fails with EMFILE and it fires again at once unless it pauses).
 */
START_TEST(test_metrics_listener_at_emfile_does_not_spin)
{
    int p, mport = e2e_free_port();
    char mp[16];
    snprintf(mp, sizeof(mp), "%d", mport);
    const char *extra[] = {"-w", "1", "--metrics-port", mp, NULL};
    setenv("OTU_E2E_NOFILE", "48", 1); /* the server's whole fd table: 48 */
    pid_t master = lc_start(extra, &p);
    unsetenv("OTU_E2E_NOFILE");
    ck_assert_int_gt(master, 0);
    pid_t worker;
    ck_assert_int_eq(wait_children(master, &worker, 1), 1);
    int conns[120], mconns[4];
    for (int i = 0; i < 120; i++)
        conns[i] = e2e_connect(p); /* the worker takes them until its table is full */
    usleep(300000);
    for (int i = 0; i < 4; i++)
        mconns[i] = e2e_connect(mport); /* queued on the metrics listener */
    usleep(300000);
    long before = cpu_ticks(worker);
    usleep(1500000);
    long used = cpu_ticks(worker) - before;
    printf("worker CPU with metrics clients waiting at EMFILE: %ld ticks in 1.5 s\n", used);
    ck_assert_msg(used < 40, "the worker spun: %ld ticks of CPU in 1.5 s at EMFILE", used);
    for (int i = 0; i < 120; i++)
        if (conns[i] >= 0)
            close(conns[i]);
    for (int i = 0; i < 4; i++)
        if (mconns[i] >= 0)
            close(mconns[i]);
    /* descriptors free up: metrics are served again */
    bool served = false;
    for (long long end = e2e_now_ms() + 5000; !served && e2e_now_ms() < end; usleep(50000)) {
        struct e2e_response r;
        served = e2e_exchange(mport, "GET /metrics HTTP/1.0\r\n\r\n", &r) == 0 && r.status == 200;
        e2e_response_free(&r);
    }
    ck_assert_msg(served, "no metrics after descriptors were freed");
    char *log = wait_for_log(lc_log, "metrics accept: ", 1000);
    ck_assert_msg(log != NULL, "no EMFILE warning for the metrics listener in the log");
    free(log);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Counts the lines of text[0..len) that contain needle (memmem per line: a
 * sanitizer's strstr reads the whole rest of a 30 MB log on every call). */
static int count_lines_with(const char *text, size_t len, const char *needle)
{
    int n = 0;
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *stop = nl ? nl : end;
        if (memmem(line, (size_t)(stop - line), needle, strlen(needle)) != NULL)
            n++;
        line = stop + 1;
    }
    return n;
}

/*
 * Item 3: fork() failing (a pids limit) must not make the master spin.  An
 * LD_PRELOAD shim (build/fork_fail.so) fails fork() while a flag file
 * exists: the first workers start, then a worker is killed and every
 * respawn fails until the flag goes.
 */
START_TEST(test_fork_failure_backs_off)
{
    const char *shim = getenv("OTU_FORK_FAIL_SO") ? getenv("OTU_FORK_FAIL_SO") : "build/fork_fail.so";
    char shim_abs[4096], flag[450], mark[450], asan[1100];
    ck_assert_msg(realpath(shim, shim_abs) != NULL, "%s is missing (make build/fork_fail.so)", shim);
    snprintf(flag, sizeof(flag), "%s/fork-fails", base_dir);
    snprintf(mark, sizeof(mark), "%s/fork-shim-loaded", base_dir);
    unlink(mark);
    const char *old_asan = getenv("ASAN_OPTIONS");
    char saved_asan[1024];
    snprintf(saved_asan, sizeof(saved_asan), "%s", old_asan ? old_asan : "");
    /* ASan wants its runtime first in the library list; a preload comes before it */
    snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", saved_asan, old_asan ? ":" : "");
    setenv("ASAN_OPTIONS", asan, 1);
    setenv("LD_PRELOAD", shim_abs, 1);
    setenv("OTU_FORK_FAIL_FILE", flag, 1);
    setenv("OTU_FORK_FAIL_MARK", mark, 1);
    int p;
    const char *extra[] = {"-w", "2", NULL};
    pid_t master = lc_start(extra, &p);
    unsetenv("LD_PRELOAD");
    unsetenv("OTU_FORK_FAIL_FILE");
    unsetenv("OTU_FORK_FAIL_MARK");
    if (old_asan)
        setenv("ASAN_OPTIONS", saved_asan, 1);
    else
        unsetenv("ASAN_OPTIONS");
    ck_assert_int_gt(master, 0);
    if (access(mark, F_OK) != 0) {
        printf("SKIPPED: %s ignores LD_PRELOAD (a static binary); the fork-failure test did not run\n",
               server_bin);
        ck_assert_int_eq(e2e_stop(master), 0);
        return;
    }
    pid_t kids[2];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    ck_assert_int_eq(e2e_write_file(flag, "", 0), 0);
    kill(kids[0], SIGKILL);
    usleep(200000); /* the master has reaped it and is failing to fork */
    long before = cpu_ticks(master);
    sleep(2);
    long used = cpu_ticks(master) - before;
    size_t len;
    char *log = e2e_read_file(lc_log, &len);
    ck_assert_ptr_nonnull(log);
    int fork_lines = count_lines_with(log, len, "fork: ");
    printf("fork failing: master used %ld ticks in 2 s; %d fork lines (%zu bytes of log)\n", used,
           fork_lines, len);
    free(log);
    ck_assert_msg(used < 20, "the master spun: %ld ticks of CPU in 2 s", used);
    ck_assert_msg(fork_lines >= 1, "the fork failure was not logged");
    ck_assert_msg(fork_lines <= 8, "%d fork lines in 2.2 s: not backing off", fork_lines);
    /* the limit goes: the worker comes back (within the back-off, at most 10 s) */
    unlink(flag);
    bool back = false;
    for (long long end = e2e_now_ms() + 15000; !back && e2e_now_ms() < end; usleep(50000)) {
        pid_t now[2];
        back = children_of(master, now, 2) == 2 && now[0] != kids[0] && now[1] != kids[0];
    }
    ck_assert_msg(back, "no second worker after fork() works again");
    for (int i = 0; i < 10; i++) {
        struct e2e_response r;
        expect_status_on(p, "GET /page.html HTTP/1.0\r\n\r\n", 200, &r);
        e2e_response_free(&r);
    }
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/*
 * Item 11: while one slot of two waits out a crash-loop back-off, new
 * connections must all be answered by the live worker, none left queued on
 * the dead slot's socket.  The test makes the slot crash-loop by killing
 * each of its new workers as soon as it appears (a death within a second of
 * the start), until the master waits 3.2 s (6.4 s under valgrind), then
 * opens 20 connections at once.
 */
START_TEST(test_crash_looping_slot_sheds_its_connections)
{
    bool slow = getenv("OTU_E2E_SLOW") != NULL;
    int p;
    const char *extra[] = {"-w", "2", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    pid_t kids[2];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    pid_t keep = kids[1];
    const char *goal = slow ? "waiting 6400 ms" : "waiting 3200 ms";
    char *log = NULL;
    for (long long end = e2e_now_ms() + 40000; e2e_now_ms() < end; usleep(2000)) {
        pid_t now[4];
        int k = children_of(master, now, 4);
        for (int i = 0; i < k; i++) {
            if (now[i] != keep)
                kill(now[i], SIGKILL);
        }
        size_t len;
        log = e2e_read_file(lc_log, &len);
        if (log != NULL && strstr(log, goal) != NULL)
            break;
        free(log);
        log = NULL;
    }
    ck_assert_msg(log != NULL, "the slot never reached a back-off of %s", goal + 8);
    free(log);
    ck_assert_int_eq(kill(keep, 0), 0);
    /* during the back-off: 20 fresh connections, all answered by the live worker */
    enum { CONNS = 20 };
    int fds[CONNS];
    for (int i = 0; i < CONNS; i++) {
        fds[i] = e2e_connect(p);
        ck_assert_int_ge(fds[i], 0);
        ck_assert_int_eq(e2e_send(fds[i], "GET /page.html HTTP/1.0\r\n\r\n", 28), 0);
    }
    long long deadline = e2e_now_ms() + (slow ? 5000 : 2500); /* inside the back-off */
    int answered = 0;
    for (int i = 0; i < CONNS; i++) {
        long long left = deadline - e2e_now_ms();
        struct timeval tv = {0, 1000};
        if (left > 0)
            tv = (struct timeval){(time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        struct e2e_response r;
        if (e2e_read_response(fds[i], false, &r) == 0 && r.status == 200)
            answered++;
        e2e_response_free(&r);
        close(fds[i]);
    }
    printf("crash-looping slot: %d of %d new connections answered during its back-off\n", answered,
           CONNS);
    ck_assert_msg(answered == CONNS, "%d of %d connections answered during the back-off", answered,
                  CONNS);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Asserts the master and exactly the workers kids[0..1] are alive and the site answers. */
static void expect_same_processes_serving(pid_t master, const pid_t kids[2], int p, const char *after)
{
    int st;
    ck_assert_msg(waitpid(master, &st, WNOHANG) == 0, "the master died after %s", after);
    pid_t now[4];
    int n = children_of(master, now, 4);
    bool same = n == 2 && ((now[0] == kids[0] && now[1] == kids[1]) || (now[0] == kids[1] && now[1] == kids[0]));
    ck_assert_msg(same, "a worker died after %s (%d workers now)", after, n);
    for (int i = 0; i < 6; i++) { /* new connections: both workers */
        struct e2e_response r;
        expect_status_on(p, "GET /page.html HTTP/1.0\r\n\r\n", 200, &r);
        e2e_response_free(&r);
    }
}

/*
 * Item 10: USR1 reopens the log like HUP; USR2, PIPE, WINCH and ALRM are
 * ignored.  Each is sent to the master and to both workers: no process may
 * die, and the site keeps answering.
 */
START_TEST(test_stray_signals_kill_nobody)
{
    int p;
    const char *extra[] = {"-w", "2", NULL};
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    pid_t kids[2];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    static const struct {
        int sig;
        const char *name;
    } sigs[] = {{SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}, {SIGPIPE, "SIGPIPE"},
                {SIGWINCH, "SIGWINCH"}, {SIGALRM, "SIGALRM"}};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        kill(master, sigs[i].sig);
        kill(kids[0], sigs[i].sig);
        kill(kids[1], sigs[i].sig);
        usleep(200000);
        expect_same_processes_serving(master, kids, p, sigs[i].name);
    }
    /* USR1 to the master after a rotation: every process writes to the new file */
    char rotated[450];
    snprintf(rotated, sizeof(rotated), "%s.1", lc_log);
    ck_assert_int_eq(rename(lc_log, rotated), 0);
    kill(master, SIGUSR1);
    usleep(300000);
    struct e2e_response r;
    for (int i = 0; i < 10; i++) { /* reach both workers */
        expect_status_on(p, "GET /page.html?after-usr1 HTTP/1.0\r\n\r\n", 200, &r);
        e2e_response_free(&r);
    }
    char *fresh = wait_for_log(lc_log, "?after-usr1", 3000);
    ck_assert_msg(fresh != NULL, "no access line in a new log file after SIGUSR1");
    ck_assert_msg(strstr(fresh, "SIGUSR1: log reopened") != NULL, "the master did not reopen its log");
    free(fresh);
    usleep(400000); /* both workers have flushed: none wrote to the old file */
    size_t len;
    char *old = e2e_read_file(rotated, &len);
    ck_assert_msg(old != NULL && strstr(old, "?after-usr1") == NULL, "a worker kept the old log after SIGUSR1");
    free(old);
    /* and USR1 straight to a worker reopens that worker's log */
    ck_assert_int_eq(rename(lc_log, rotated), 0);
    kill(kids[0], SIGUSR1);
    kill(kids[1], SIGUSR1);
    usleep(300000);
    for (int i = 0; i < 10; i++) {
        expect_status_on(p, "GET /page.html?after-worker-usr1 HTTP/1.0\r\n\r\n", 200, &r);
        e2e_response_free(&r);
    }
    fresh = wait_for_log(lc_log, "?after-worker-usr1", 3000);
    ck_assert_msg(fresh != NULL, "a worker did not reopen its log on SIGUSR1");
    free(fresh);
    usleep(400000);
    old = e2e_read_file(rotated, &len);
    ck_assert_msg(old != NULL && strstr(old, "?after-worker-usr1") == NULL,
                  "a worker kept the old log after its own SIGUSR1");
    free(old);
    expect_same_processes_serving(master, kids, p, "the rotations");
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/*
 * Item 2: the healthcheck's User-Agent hides nothing - any client can send
 * it.  At info level a request with it is logged like any other.
 */
START_TEST(test_healthcheck_agent_is_logged)
{
    struct e2e_response r;
    expect_status("GET /.git/config HTTP/1.1\r\nHost: t\r\nUser-Agent: otuserver-healthcheck\r\n\r\n", 404, &r);
    e2e_response_free(&r);
    expect_status("GET /page.html?cloak HTTP/1.1\r\nHost: t\r\nUser-Agent: OtuServer-HealthCheck\r\n\r\n", 200,
                  &r);
    e2e_response_free(&r);
    /* each line may come from either worker's buffer: wait for each */
    char *log = wait_for_log(log_path, "\"GET /page.html?cloak HTTP/1.1\" 200 ", 3000);
    ck_assert_msg(log != NULL, "a request with the healthcheck's User-Agent was not logged at info");
    free(log);
    log = wait_for_log(log_path, "\"GET /.git/config HTTP/1.1\" 404 ", 3000);
    ck_assert_msg(log != NULL, "GET /.git/config with the healthcheck's User-Agent was not logged at info");
    free(log);
}
END_TEST

/*
 * Item 2: --health-path is answered by the worker itself: 200 "ok" while it
 * can open the document root, 503 once the root is renamed away, 200 again
 * when it is back; never from the root (a file of that name is not served);
 * absent from the info log, present at debug; counted apart from
 * requests_total.  --healthcheck requests it.
 */
START_TEST(test_health_path)
{
    char root[450], moved[450], path[500];
    snprintf(root, sizeof(root), "%s/health-root", base_dir);
    snprintf(moved, sizeof(moved), "%s/health-root.away", base_dir);
    mkdir(root, 0755);
    snprintf(path, sizeof(path), "%s/page.html", root);
    ck_assert_int_eq(e2e_write_file(path, "page\n", 5), 0);
    snprintf(path, sizeof(path), "%s/healthz", root);
    ck_assert_int_eq(e2e_write_file(path, "a file of the site\n", 19), 0);
    int p = e2e_free_port(), mport = e2e_free_port();
    char mp[16], portarg[16];
    snprintf(mp, sizeof(mp), "%d", mport);
    snprintf(portarg, sizeof(portarg), "%d", p);
    snprintf(lc_log, sizeof(lc_log), "%s/health-%d.log", base_dir, p);
    const char *extra[] = {"-w", "1", "-l", "info", "--health-path", "/healthz", "--metrics-port", mp, NULL};
    pid_t master = e2e_start(server_bin, p, root, lc_log, extra, err_path);
    ck_assert_int_gt(master, 0);
    struct e2e_response r;
    expect_status_on(p, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    ck_assert_str_eq(r.body, "ok\n");
    expect_header(&r, "Cache-Control", "no-store");
    e2e_response_free(&r);
    expect_status_on(p, "HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    expect_status_on(p, "GET /healthz?probe=1 HTTP/1.0\r\n\r\n", 200, &r); /* query ignored */
    e2e_response_free(&r);
    expect_status_on(p, "GET /healthz/ HTTP/1.0\r\n\r\n", 404, &r); /* exactly the path */
    e2e_response_free(&r);
    expect_status_on(p, "GET /page.html?site HTTP/1.0\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    /* --healthcheck requests the health path (env), and --healthcheck-path wins over it */
    char err[256];
    const char *hc[] = {"--healthcheck", "-p", portarg, NULL};
    ck_assert_int_eq(run_binary(hc, "OTUSERVER_HEALTH_PATH=/healthz", err, sizeof(err)), 0);
    const char *hc_page[] = {"--healthcheck", "-p", portarg, "--healthcheck-path", "/page.html?probe", NULL};
    ck_assert_int_eq(run_binary(hc_page, "OTUSERVER_HEALTH_PATH=/nowhere", err, sizeof(err)), 0);
    /* the root renamed away: 503; back: 200 */
    ck_assert_int_eq(rename(root, moved), 0);
    expect_status_on(p, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 503, &r);
    e2e_response_free(&r);
    ck_assert_int_eq(run_binary(hc, "OTUSERVER_HEALTH_PATH=/healthz", err, sizeof(err)), 1);
    ck_assert_int_eq(rename(moved, root), 0);
    expect_status_on(p, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    /* counted apart: 5 answers 200 (3 + --healthcheck + after the return), two 503
     * (GET and --healthcheck while the root was away);
     * requests_total has the site's requests only: /healthz/, /page.html twice */
    long long ok = 0, failed = 0, site = 0;
    for (int i = 0; i < 100; i++) {
        char *m = fetch_metrics(mport);
        ok = metric_sum(m, "otuserver_health_checks_total{status=\"200\"}");
        failed = metric_sum(m, "otuserver_health_checks_total{status=\"503\"}");
        site = metric_sum(m, "otuserver_requests_total{");
        free(m);
        if (ok == 5 && failed == 2 && site == 3)
            break;
        usleep(20000);
    }
    ck_assert_msg(ok == 5 && failed == 2 && site == 3, "health 200=%lld 503=%lld, requests_total=%lld", ok,
                  failed, site);
    ck_assert_int_eq(e2e_stop(master), 0);
    size_t len;
    char *log = e2e_read_file(lc_log, &len);
    ck_assert_ptr_nonnull(log);
    ck_assert_msg(strstr(log, "\"GET /healthz HTTP/1.1\"") == NULL && strstr(log, "/healthz?probe=1") == NULL &&
                  strstr(log, "\"HEAD /healthz") == NULL, "a health probe was logged at info:\n%s", log);
    ck_assert_msg(strstr(log, "\"GET /healthz/ HTTP/1.0\" 404") != NULL, "/healthz/ is not the health path");
    ck_assert_msg(strstr(log, "\"GET /page.html?probe HTTP/1.0\" 200") != NULL, "the site's request was not logged");
    free(log);
    /* at debug the probes are logged */
    const char *debug[] = {"-w", "1", "-l", "debug", "--health-path", "/healthz", NULL};
    p = e2e_free_port();
    snprintf(lc_log, sizeof(lc_log), "%s/health-debug-%d.log", base_dir, p);
    master = e2e_start(server_bin, p, root, lc_log, debug, err_path);
    ck_assert_int_gt(master, 0);
    expect_status_on(p, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    log = wait_for_log(lc_log, "\"GET /healthz HTTP/1.1\" 200 ", 3000);
    ck_assert_msg(log != NULL, "no health probe line at debug");
    free(log);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

TCase *e2e_audit_ops_tcase(void)
{
    TCase *tc = tcase_create("audit-ops");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_json_log_keeps_utf8);
    tcase_add_test(tc, test_rejected_request_logs_what_was_read);
    tcase_add_test(tc, test_pipelined_past_request_cap_all_answered);
    tcase_add_test(tc, test_cut_responses_are_logged_and_counted);
    tcase_add_test(tc, test_metrics_listener_at_emfile_does_not_spin);
    tcase_add_test(tc, test_fork_failure_backs_off);
    tcase_add_test(tc, test_crash_looping_slot_sheds_its_connections);
    tcase_add_test(tc, test_stray_signals_kill_nobody);
    tcase_add_test(tc, test_healthcheck_agent_is_logged);
    tcase_add_test(tc, test_health_path);
    return tc;
}

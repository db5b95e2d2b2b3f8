/*
 * e2e_lifecycle.c - the processes, each test with a server of its own (none
 * runs in image mode): workers respawned after a kill, SIGTERM finishing a
 * response in flight or landing under load, SIGHUP and SIGUSR1 reopening
 * logs, stray signals ignored, the master's back-off when a worker
 * crash-loops or fork() fails, the port taken, --help and --version,
 * configuration errors (exit 2 and one line), and --healthcheck with
 * --health-path.
 *
 * From the audit (once e2e_audit_ops.c): the signal, back-off and health
 * path tests, since each is about how the processes start, live and stop.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- workers and signals ---- */

START_TEST(test_worker_respawn)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "2"), &p);
    pid_t kids[8];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    long long t0 = e2e_now_ms();
    kill(kids[0], SIGKILL);
    /* a new worker must serve within 1 s: many fresh connections all answered */
    bool replaced = false;
    while (e2e_now_ms() - t0 < 1000 && !replaced) {
        pid_t now_kids[8];
        int n = children_of(master, now_kids, 8);
        replaced = n == 2 && now_kids[0] != kids[0] && now_kids[1] != kids[0];
        if (!replaced)
            usleep(10000);
    }
    ck_assert_msg(replaced, "no new worker within 1 s");
    for (int i = 0; i < 40; i++) {
        struct e2e_response r;
        expect_status_on(p, "GET /page.html HTTP/1.0\r\n\r\n", 200, &r);
        e2e_response_free(&r);
    }
    ck_assert_msg(e2e_now_ms() - t0 < 1000 + 2000, "serving took too long after the kill");
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_sigterm_finishes_response_in_flight)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "2", "--grace-period", "8s"), &p);
    int fd = connect_small_rcvbuf(p); /* keeps the response in flight */
    const char *req = "GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    e2e_send(fd, req, strlen(req));
    char buf[65536];
    ssize_t first = recv(fd, buf, 1000, 0);
    ck_assert_int_gt(first, 0);
    kill(master, SIGTERM);
    usleep(300000);
    /* the master is still waiting for the response to finish */
    ck_assert_int_eq(waitpid(master, NULL, WNOHANG), 0);
    size_t total = (size_t)first;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    close(fd);
    /* head + 16 MiB: the whole body arrived */
    ck_assert_msg(total > HUGE_SIZE && total < HUGE_SIZE + 1024, "received %zu bytes", total);
    int st;
    long long t0 = e2e_now_ms();
    while (waitpid(master, &st, WNOHANG) == 0 && e2e_now_ms() - t0 < 5000)
        usleep(10000);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

START_TEST(test_sighup_reopens_log)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "2"), &p);
    pid_t before[2], now[4];
    ck_assert_int_eq(wait_children(master, before, 2), 2);
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(p, "GET /page.html?before HTTP/1.0\r\n\r\n", &r), 0);
    e2e_response_free(&r);
    char rotated[450];
    snprintf(rotated, sizeof(rotated), "%s.1", lc_log);
    ck_assert_int_eq(rename(lc_log, rotated), 0);
    kill(master, SIGHUP);
    /* a SIGHUP is also a reload: wait (up to 10 s) until the previous workers have left and
     * two new ones serve, instead of a fixed pause that a loaded machine outlasts */
    bool replaced = false;
    for (long long end = e2e_now_ms() + 10000; !replaced && e2e_now_ms() < end; usleep(20000)) {
        int n = children_of(master, now, 4);
        replaced = n == 2 && now[0] != before[0] && now[0] != before[1] && now[1] != before[0] && now[1] != before[1];
    }
    ck_assert_msg(replaced, "the workers were not replaced within 10 s of SIGHUP");
    for (int i = 0; i < 10; i++) { /* reach both workers */
        ck_assert_int_eq(e2e_exchange(p, "GET /page.html?after HTTP/1.0\r\n\r\n", &r), 0);
        e2e_response_free(&r);
    }
    size_t len;
    char *fresh = NULL;
    for (int i = 0; i < 40; i++) { /* access lines are flushed within 200 ms */
        free(fresh);
        fresh = e2e_read_file(lc_log, &len);
        if (fresh && strstr(fresh, "?after"))
            break;
        usleep(50000);
    }
    ck_assert_msg(fresh != NULL, "no new log file after SIGHUP");
    ck_assert_ptr_nonnull(strstr(fresh, "?after"));
    ck_assert_ptr_null(strstr(fresh, "?before"));
    char *old = e2e_read_file(rotated, &len);
    ck_assert_ptr_nonnull(strstr(old, "?before"));
    ck_assert_ptr_null(strstr(old, "?after"));
    free(fresh);
    free(old);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/*
 * logrotate renames the log and sends SIGHUP, which also retires the workers: a
 * retiree's last answer on a kept connection is logged in the new file too.
 */
START_TEST(test_sighup_retiree_logs_to_new_file)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "1"), &p);
    pid_t kids[3];
    ck_assert_int_eq(wait_children(master, kids, 1), 1);
    int fd = e2e_connect(p);
    struct e2e_response r;
    static const char first[] = "GET /page.html?kept-before HTTP/1.1\r\nHost: x\r\n\r\n";
    ck_assert_int_eq(e2e_send(fd, first, sizeof(first) - 1), 0);
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    e2e_response_free(&r);
    char rotated[450];
    snprintf(rotated, sizeof(rotated), "%s.1", lc_log);
    ck_assert_int_eq(rename(lc_log, rotated), 0);
    kill(master, SIGHUP);
    bool two = false; /* the retiree, kept by our connection, and its successor */
    for (long long end = e2e_now_ms() + 10000; !two && e2e_now_ms() < end; usleep(20000))
        two = children_of(master, kids, 3) == 2;
    ck_assert_msg(two, "no new worker beside the retiree within 10 s of SIGHUP");
    usleep(200000); /* the retire signal reaches the old worker */
    static const char last[] = "GET /page.html?kept-after HTTP/1.1\r\nHost: x\r\n\r\n";
    ck_assert_int_eq(e2e_send(fd, last, sizeof(last) - 1), 0);
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    e2e_response_free(&r);
    close(fd);
    size_t len;
    char *fresh = NULL;
    for (int i = 0; i < 40; i++) { /* access lines are flushed within 200 ms */
        free(fresh);
        fresh = e2e_read_file(lc_log, &len);
        if (fresh && strstr(fresh, "?kept-after"))
            break;
        usleep(50000);
    }
    ck_assert_msg(fresh != NULL && strstr(fresh, "?kept-after") != NULL,
                  "the retiree's last line is not in the new log");
    char *old = e2e_read_file(rotated, &len);
    ck_assert_ptr_nonnull(strstr(old, "?kept-before"));
    ck_assert_ptr_null(strstr(old, "?kept-after"));
    free(fresh);
    free(old);
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
    pid_t master = lc_start(ARGS("-w", "2"), &p);
    pid_t kids[2];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    static const struct {
        int sig;
        const char *name;
    } sigs[] = {
        {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}, {SIGPIPE, "SIGPIPE"}, {SIGWINCH, "SIGWINCH"}, {SIGALRM, "SIGALRM"}};
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

START_TEST(test_worker_kill_under_load)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "2"), &p);
    pid_t kids[2];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    FILE *load = start_load(p, "/page.html", 20000, 16);
    usleep(500000);
    long long t0 = e2e_now_ms();
    kill(kids[0], SIGKILL);
    bool replaced = false;
    while (!replaced && e2e_now_ms() - t0 < 1000) {
        pid_t now[4];
        int n = children_of(master, now, 4);
        replaced = n == 2 && now[0] != kids[0] && now[1] != kids[0];
        usleep(5000);
    }
    ck_assert_msg(replaced, "no new worker within 1 s");
    int complete, cut, unanswered;
    finish_load(load, &complete, &cut, &unanswered);
    /* Only requests caught by the kill may fail, a bounded few.  Each client
     * has one request at a time, yet CI runs saw 16 lost of 16 clients in a
     * plain run and 17 under valgrind: a client can lose a second one while
     * the worker is being replaced.  So the bound is two per client. */
    int bound = 32;
    ck_assert_msg(cut + unanswered <= bound, "%d cut, %d unanswered (at most %d)", cut, unanswered, bound);
    ck_assert_int_ge(complete, 20000 - bound);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_sigterm_under_load)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "2"), &p);
    FILE *load = start_load(p, "/big.bin", 100000, 16);
    usleep(500000);
    kill(master, SIGTERM);
    int st = -1;
    long long t0 = e2e_now_ms();
    while (waitpid(master, &st, WNOHANG) == 0 && e2e_now_ms() - t0 < 12000)
        usleep(10000);
    int complete, cut, unanswered;
    finish_load(load, &complete, &cut, &unanswered);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "master status %d", st);
    ck_assert_msg(cut == 0, "%d responses cut short by the stop", cut);
    ck_assert_msg(complete > 0 && complete < 100000, "the stop did not land during the load (%d)", complete);
}
END_TEST

/* ---- the master's back-off ---- */

START_TEST(test_crash_loop_backs_off)
{
    /* a root the workers cannot open makes every new worker die at once */
    char moved[450], root[450];
    snprintf(root, sizeof(root), "%s/loop-root", base_dir);
    snprintf(moved, sizeof(moved), "%s/loop-root.away", base_dir);
    mkdir(root, 0755);
    char page[500];
    snprintf(page, sizeof(page), "%s/ok.txt", root);
    ck_assert_int_eq(e2e_write_file(page, "ok\n", 3), 0);
    int p = e2e_free_port();
    snprintf(lc_log, sizeof(lc_log), "%s/loop-%d.log", base_dir, p);
    const char *extra[] = {"-w", "1", NULL};
    pid_t master = e2e_start(server_bin, p, root, lc_log, extra, err_path);
    ck_assert_int_gt(master, 0);
    pid_t kid;
    ck_assert_int_eq(wait_children(master, &kid, 1), 1);
    ck_assert_int_eq(rename(root, moved), 0);
    kill(kid, SIGKILL);
    sleep(2);
    size_t len;
    char *log = e2e_read_file(lc_log, &len);
    int young = 0;
    for (const char *q = log; (q = strstr(q, "dying young")) != NULL; q++)
        young++;
    /* 0.1 + 0.2 + 0.4 + 0.8 s of back-off fit in 2 s: a handful of starts, not a spin.
     * (Under valgrind a worker takes a second to start, so none dies "young".) */
    ck_assert_msg(young <= 6, "%d quick deaths in 2 s: a spin", young);
    if (getenv("OTU_E2E_SLOW") == NULL) {
        ck_assert_msg(young >= 2, "only %d quick deaths in 2 s", young);
        ck_assert_ptr_nonnull(strstr(log, "waiting 200 ms"));
    }
    free(log);
    /* the root comes back: a worker starts within the back-off and serves */
    ck_assert_int_eq(rename(moved, root), 0);
    bool served = false;
    for (long long end = e2e_now_ms() + 6000; !served && e2e_now_ms() < end; usleep(50000)) {
        struct e2e_response r;
        served = e2e_exchange(p, "GET /ok.txt HTTP/1.0\r\n\r\n", &r) == 0 && r.status == 200;
        e2e_response_free(&r);
    }
    ck_assert_msg(served, "no worker came back after the root returned");
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
    pid_t master = lc_start(ARGS("-w", "2"), &p);
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
    printf("crash-looping slot: %d of %d new connections answered during its back-off\n", answered, CONNS);
    ck_assert_msg(answered == CONNS, "%d of %d connections answered during the back-off", answered, CONNS);
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
    pid_t master = lc_start(ARGS("-w", "2"), &p);
    unsetenv("LD_PRELOAD");
    unsetenv("OTU_FORK_FAIL_FILE");
    unsetenv("OTU_FORK_FAIL_MARK");
    if (old_asan)
        setenv("ASAN_OPTIONS", saved_asan, 1);
    else
        unsetenv("ASAN_OPTIONS");
    if (access(mark, F_OK) != 0) {
        printf("SKIPPED: %s ignores LD_PRELOAD (a static binary); the fork-failure test did not run\n", server_bin);
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
    printf("fork failing: master used %ld ticks in 2 s; %d fork lines (%zu bytes of log)\n", used, fork_lines, len);
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

/* ---- starting: configuration, the port, --help, health ---- */

static const struct {
    const char *env;
    const char *arg1, *arg2;
    const char *says;
} bad_configs[] = {
    {"OTUSERVER_PORT=80x", NULL, NULL, "OTUSERVER_PORT"}, /* tcp://ADDR:PORT is a service link: e2e_edges.c */
    {NULL, "-p", "99999", "-p"},
    {"OTUSERVER_WORKERS=lots", NULL, NULL, "OTUSERVER_WORKERS"},
    {NULL, "-l", "verbose", "-l"},
    {"OTUSERVER_ROOT=/nonexistent/dir", NULL, NULL, "/nonexistent/dir"},
    {NULL, "-r", "/etc/hostname", "not a directory"},
    {"OTUSERVER_LOG_FILE=/nonexistent/dir/x.log", NULL, NULL, "OTUSERVER_LOG_FILE"},
    {"OTUSERVER_BIND=example.com", NULL, NULL, "OTUSERVER_BIND"},
    {NULL, "--bogus", NULL, "unknown option"},
    {NULL, "--header", "Content-Length: 5", "break the response framing"},
    {"OTUSERVER_HEADERS=X-A: 1\nTransfer-Encoding: chunked", NULL, NULL, "OTUSERVER_HEADERS"},
    {NULL, "--header", "Connection: close", "--header"},
    {NULL, "--header", "no colon here", "--header"},
    {NULL, "--error-page", "200=/x.html", "400..599"},
    {NULL, "--fallback", "index.html", "--fallback"},
    {"OTUSERVER_METRICS_PORT=metrics", NULL, NULL, "OTUSERVER_METRICS_PORT"},
    {NULL, "--log-format", "apache", "text, combined, json"},
};

START_TEST(test_bad_config_exits_2_with_one_line)
{
    char err[1024];
    const char *args[] = {bad_configs[_i].arg1, bad_configs[_i].arg2, NULL};
    int st = run_binary(args, bad_configs[_i].env, err, sizeof(err));
    ck_assert_msg(st == 2, "case %d: exit %d (%s)", _i, st, err);
    ck_assert_msg(strstr(err, bad_configs[_i].says) != NULL, "case %d: '%s'", _i, err);
    char *nl = strchr(err, '\n');
    ck_assert_msg(nl != NULL && nl[1] == '\0', "not exactly one line: '%s'", err);
}
END_TEST

START_TEST(test_port_taken)
{
    int p = e2e_free_port();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    char portbuf[16], err[1024];
    snprintf(portbuf, sizeof(portbuf), "%d", p);
    const char *args[] = {"-p", portbuf, "-r", root_dir, "-f", "-", NULL};
    int st = run_binary(args, NULL, err, sizeof(err));
    close(fd);
    ck_assert_int_ne(st, 0);
    ck_assert_msg(strstr(err, "already in use") != NULL, "%s", err);
    ck_assert_msg(strstr(err, portbuf) != NULL, "%s", err);
}
END_TEST

/*
 * The first connection the port takes is served: the master's check that
 * the port is free must not listen, or a client that connects in that
 * moment is reset when the check's socket closes.  lc_start() returns at
 * the first accepted connection; the request right after it must be served.
 */
START_TEST(test_first_connection_is_served)
{
    write_text("first.txt", "first\n");
    for (int i = 0; i < 10; i++) {
        int p;
        pid_t master = lc_start(ARGS("-w", "1"), &p);
        struct e2e_response r;
        expect_status_on(p, "GET /first.txt HTTP/1.0\r\n\r\n", 200, &r);
        e2e_response_free(&r);
        ck_assert_int_eq(e2e_stop(master), 0);
    }
}
END_TEST

START_TEST(test_help_and_version)
{
    char err[256];
    const char *help[] = {"--help", NULL};
    ck_assert_int_eq(run_binary(help, NULL, err, sizeof(err)), 0);
    const char *version[] = {"--version", NULL};
    ck_assert_int_eq(run_binary(version, NULL, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_healthcheck_mode)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--health-path", "/healthz"), &p);
    char env[64], err[256];
    snprintf(env, sizeof(env), "OTUSERVER_PORT=%d", p);
    const char *hc[] = {"--healthcheck", "--health-path", "/healthz", NULL};
    ck_assert_int_eq(run_binary(hc, env, err, sizeof(err)), 0);
    const char *hc404[] = {"--healthcheck", "--healthcheck-path", "/missing", NULL};
    ck_assert_int_eq(run_binary(hc404, env, err, sizeof(err)), 1);
    ck_assert_int_eq(e2e_stop(master), 0);
    ck_assert_int_eq(run_binary(hc, env, err, sizeof(err)), 1);
    /* probes of the health path every few seconds would drown the access log: they
     * show only at debug; any other request is logged whatever its User-Agent */
    size_t len;
    char *log = e2e_read_file(lc_log, &len);
    ck_assert_ptr_nonnull(log);
    ck_assert_msg(strstr(log, "\"GET /healthz HTTP/1.0\" 200") == NULL, "a probe was logged at info:\n%s", log);
    ck_assert_msg(strstr(log, "\"GET /missing HTTP/1.0\" 404") != NULL, "a request off the health path was not logged");
    free(log);
    /* ...and at debug they are */
    master = lc_start(ARGS("-w", "1", "-l", "debug", "--health-path", "/healthz"), &p);
    snprintf(env, sizeof(env), "OTUSERVER_PORT=%d", p);
    ck_assert_int_eq(run_binary(hc, env, err, sizeof(err)), 0);
    ck_assert_int_eq(e2e_stop(master), 0);
    log = e2e_read_file(lc_log, &len);
    ck_assert_msg(log && strstr(log, "\"GET /healthz HTTP/1.0\" 200"), "no probe line at debug");
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
    int p, mport;
    char mp[16], portarg[16];
    free_port_arg(&mport, mp);
    free_port_arg(&p, portarg);
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
    ck_assert_msg(ok == 5 && failed == 2 && site == 3, "health 200=%lld 503=%lld, requests_total=%lld", ok, failed,
                  site);
    ck_assert_int_eq(e2e_stop(master), 0);
    size_t len;
    char *log = e2e_read_file(lc_log, &len);
    ck_assert_ptr_nonnull(log);
    ck_assert_msg(strstr(log, "\"GET /healthz HTTP/1.1\"") == NULL && strstr(log, "/healthz?probe=1") == NULL &&
                      strstr(log, "\"HEAD /healthz") == NULL,
                  "a health probe was logged at info:\n%s", log);
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

/* The "lifecycle" case: each test with a server of its own; not in image mode. */
TCase *e2e_lifecycle_tcase(void)
{
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_worker_respawn);
    tcase_add_test(tc, test_sigterm_finishes_response_in_flight);
    tcase_add_test(tc, test_sighup_reopens_log);
    tcase_add_test(tc, test_sighup_retiree_logs_to_new_file);
    tcase_add_loop_test(tc, test_bad_config_exits_2_with_one_line, 0, (int)OTU_ARRAY_LEN(bad_configs));
    tcase_add_test(tc, test_port_taken);
    tcase_add_test(tc, test_first_connection_is_served);
    tcase_add_test(tc, test_help_and_version);
    tcase_add_test(tc, test_healthcheck_mode);
    tcase_add_test(tc, test_worker_kill_under_load);
    tcase_add_test(tc, test_sigterm_under_load);
    tcase_add_test(tc, test_crash_loop_backs_off);
    tcase_add_test(tc, test_fork_failure_backs_off);
    tcase_add_test(tc, test_crash_looping_slot_sheds_its_connections);
    tcase_add_test(tc, test_stray_signals_kill_nobody);
    tcase_add_test(tc, test_health_path);
    return tc;
}

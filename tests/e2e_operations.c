/*
 * e2e_operations.c - what an operator reads and does: access log lines
 * (text, combined, JSON with UTF-8; requests rejected or cut short; the
 * healthcheck's User-Agent), the metrics listener and its counts, the
 * precompress script, and a release deployed by swapping a symlink.
 * test_access_log_line also runs in image mode (it reads the container's
 * log); the others read the server's log file or start a server of their
 * own.
 *
 * From the audit: the logging and counting tests of e2e_audit_ops.c, and
 * the symlink deploy of e2e_audit_files.c - a routine of the operator's
 * more than a property of one file.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- access lines ---- */

START_TEST(test_access_log_line)
{
    struct e2e_response r;
    expect_status("GET /dir2/page.html?logged=1 HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    size_t len = 0;
    char *log = NULL;
    for (int i = 0; i < 50; i++) {
        free(log);
        if (docker_image) {
            char cmd[512];
            snprintf(cmd, sizeof(cmd), "docker logs %s > '%s' 2>&1", container_id, log_path);
            sh(cmd);
        }
        log = e2e_read_file(log_path, &len);
        if (log && strstr(log, "\"GET /dir2/page.html?logged=1 HTTP/1.1\" 200 "))
            break;
        usleep(20000);
    }
    ck_assert_ptr_nonnull(log);
    char *line = strstr(log, "\"GET /dir2/page.html?logged=1 HTTP/1.1\" 200 ");
    ck_assert_msg(line != NULL, "no access line in the log");
    if (!docker_image) /* behind Docker's NAT the peer is the bridge address */
        ck_assert_ptr_nonnull(strstr(log, "127.0.0.1 \"GET /dir2/page.html?logged=1"));
    free(log);
}
END_TEST

/* Item 14c: a request the parser refuses is logged with what was read of it. */
START_TEST(test_rejected_request_logs_what_was_read)
{
    struct e2e_response r;
    /* a good request line, then a header line without a colon */
    expect_status("GET /rejected-target?x=1 HTTP/1.1\r\nHost: t\r\nUser-Agent: ua-14c\r\n"
                  "Bad Header\r\n\r\n",
                  400, &r);
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

/*
 * Item 2: the healthcheck's User-Agent hides nothing - any client can send
 * it.  At info level a request with it is logged like any other.
 */
START_TEST(test_healthcheck_agent_is_logged)
{
    struct e2e_response r;
    expect_status("GET /.git/config HTTP/1.1\r\nHost: t\r\nUser-Agent: otuserver-healthcheck\r\n\r\n", 404, &r);
    e2e_response_free(&r);
    expect_status("GET /page.html?cloak HTTP/1.1\r\nHost: t\r\nUser-Agent: OtuServer-HealthCheck\r\n\r\n", 200, &r);
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

/* Starts a server with --log-format fmt, sends two requests, returns its log text. */
static char *log_lines_in_format(const char *fmt)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--log-format", fmt), &p);
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(p,
                                  "GET /page.html?q=\"quoted\"%0a HTTP/1.1\r\nHost: t\r\n"
                                  "Referer: http://example.com/\"x\"\r\nUser-Agent: test/1.0 \"agent\"\r\n\r\n",
                                  &r),
                     0);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_exchange(p, "GET /missing HTTP/1.0\r\n\r\n", &r), 0);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0); /* the stop flushes the buffer */
    size_t len;
    char *log = e2e_read_file(lc_log, &len);
    ck_assert_ptr_nonnull(log);
    return log;
}

START_TEST(test_log_format_combined)
{
    char *log = log_lines_in_format("combined");
    regex_t re;
    /* the Combined Log Format as log tools read it, with our duration appended */
    ck_assert_int_eq(regcomp(&re,
                             "^([^ ]+) ([^ ]+) ([^ ]+) \\[([0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} [+-][0-9]{4})\\] "
                             "\"([^\"]*)\" ([0-9]{3}) ([0-9]+|-) \"([^\"]*)\" \"([^\"]*)\" [0-9]+\\.[0-9]{6}$",
                             REG_EXTENDED),
                     0);
    int access_lines = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, " info: ") || strstr(line, " warn: ") || strstr(line, " debug: "))
            continue; /* lifecycle lines stay human-readable */
        regmatch_t m[10];
        ck_assert_msg(regexec(&re, line, 10, m, 0) == 0, "not a combined line: %s", line);
        access_lines++;
    }
    regfree(&re);
    ck_assert_int_eq(access_lines, 2);
    free(log);
}
END_TEST

START_TEST(test_log_format_json)
{
    char *log = log_lines_in_format("json");
    char path[500];
    snprintf(path, sizeof(path), "%s.json", lc_log);
    FILE *f = fopen(path, "w");
    int access_lines = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, "\"remote_addr\":") == NULL)
            continue; /* a lifecycle line: JSON too, with "msg" (e2e_fleet.c checks those) */
        fprintf(f, "%s\n", line);
        access_lines++;
    }
    fclose(f);
    ck_assert_int_eq(access_lines, 2);
    char cmd[1400];
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys\n"
             "rows=[json.loads(l) for l in open(sys.argv[1])]\n"
             "assert rows[0][\"status\"]==200 and rows[0][\"method\"]==\"GET\", rows[0]\n"
             "assert rows[0][\"user_agent\"]==\"test/1.0 \\\"agent\\\"\", rows[0]\n"
             "assert rows[1][\"status\"]==404 and rows[1][\"target\"]==\"/missing\", rows[1]\n"
             "assert all(k in rows[0] for k in (\"time\",\"remote_addr\",\"bytes\",\"duration_ms\",\"referer\"))' '%s'",
             path);
    ck_assert_msg(system(cmd) == 0, "the JSON lines did not parse as expected");
    free(log);
}
END_TEST

/* Item 14a: a JSON access line carries UTF-8 as characters, and bad bytes as U+FFFD. */
START_TEST(test_json_log_keeps_utf8)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--log-format", "json"), &p);
    struct e2e_response r;
    expect_status_on(p,
                     "GET /caf\xc3\xa9.html?q=\xe2\x9c\x93 HTTP/1.1\r\nHost: t\r\n"
                     "User-Agent: Mozilla/5.0 \xc3\xbcn\xc3\xaf \xf0\x9f\x98\x80\r\n"
                     "Referer: http://x/\xff\xc3\r\n\r\n",
                     404, &r);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0); /* the stop flushes the buffer */
    char cmd[1400];
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys\n"
             "rows=[json.loads(l) for l in open(sys.argv[1], encoding=\"utf-8\", errors=\"strict\")]\n"
             "rows=[r for r in rows if \"remote_addr\" in r]\n"
             "assert len(rows)==1, rows\n"
             "r=rows[0]\n"
             "assert r[\"target\"]==\"/caf\\u00e9.html?q=\\u2713\", r\n"
             "assert r[\"user_agent\"]==\"Mozilla/5.0 \\u00fcn\\u00ef \\U0001f600\", r\n"
             "assert r[\"referer\"]==\"http://x/\\ufffd\\ufffd\", r' '%s'",
             lc_log);
    ck_assert_msg(system(cmd) == 0, "the JSON line did not parse as UTF-8 with the right characters");
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
    int p, mport;
    char mp[16];
    free_port_arg(&mport, mp);
    pid_t master = lc_start(ARGS("-w", "1", "--metrics-port", mp, "--send-timeout", "1s"), &p);
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
    char *log = wait_for_log(lc_log, "\"GET /cut.bin?stall HTTP/1.1\" 200 ", getenv("OTU_E2E_SLOW") ? 20000 : 8000);
    close(fd);
    char *any = log ? log : e2e_read_file(lc_log, &(size_t){0});
    long long reset_bytes = logged_bytes(any, "GET /cut.bin?reset HTTP/1.1", 200);
    long long stall_bytes = logged_bytes(any, "GET /cut.bin?stall HTTP/1.1", 200);
    printf("cut responses of %d bytes: reset logged %lld bytes, stall logged %lld bytes\n", CUT_SIZE, reset_bytes,
           stall_bytes);
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

/* ---- metrics ---- */

START_TEST(test_metrics_counts_and_survive_a_worker)
{
    int p, mport;
    char mp[16];
    free_port_arg(&mport, mp);
    pid_t master = lc_start(ARGS("-w", "2", "--metrics-port", mp), &p);
    pid_t kids[2];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    for (int i = 0; i < 40; i++) { /* new connections: spread over both workers */
        struct e2e_response r;
        ck_assert_int_eq(
            e2e_exchange(p, i % 4 == 3 ? "GET /missing HTTP/1.0\r\n\r\n" : "GET /page.html HTTP/1.0\r\n\r\n", &r), 0);
        e2e_response_free(&r);
    }
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(p, "HEAD /page.html HTTP/1.0\r\n\r\n", &r), 0);
    char *m = fetch_metrics(mport);
    ck_assert_int_eq(metric_sum(m, "otuserver_requests_total{"), 41);
    ck_assert_int_eq(metric_sum(m, "otuserver_requests_total{method=\"GET\",code=\"2xx\"}"), 30);
    ck_assert_int_eq(metric_sum(m, "otuserver_requests_total{method=\"GET\",code=\"4xx\"}"), 10);
    ck_assert_int_eq(metric_sum(m, "otuserver_requests_total{method=\"HEAD\",code=\"2xx\"}"), 1);
    ck_assert_int_eq(metric_sum(m, "otuserver_request_duration_seconds_count"), 41);
    ck_assert_int_eq(metric_sum(m, "otuserver_request_duration_seconds_bucket{le=\"+Inf\"}"), 41);
    ck_assert_int_ge(metric_sum(m, "otuserver_connections_accepted_total"), 41);
    ck_assert_int_gt(metric_sum(m, "otuserver_response_bytes_total"), 30 * 38);
    ck_assert_ptr_nonnull(strstr(m, "otuserver_build_info{version=\""));
    ck_assert_int_eq(metric_sum(m, "otuserver_worker_restarts_total"), 0);
    /* the exposition is valid Prometheus text */
    if (system("command -v promtool > /dev/null") == 0) {
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "curl -s http://127.0.0.1:%d/metrics | promtool check metrics", mport);
        ck_assert_msg(system(cmd) == 0, "promtool check metrics failed");
    } else {
        printf("SKIPPED: promtool is not installed (apt-get install prometheus); the format check did not run\n");
    }
    free(m);
    /* metrics are never served on the site's port */
    expect_status_on(p, "GET /metrics HTTP/1.0\r\n\r\n", 404, &r);
    e2e_response_free(&r);
    /* the 404 is counted once its worker has finished with it (after the send) */
    long long total = 0;
    for (int i = 0; i < 100 && total != 42; i++) {
        m = fetch_metrics(mport);
        total = metric_sum(m, "otuserver_requests_total{");
        free(m);
        if (total != 42)
            usleep(20000);
    }
    ck_assert_int_eq(total, 42);
    /* a worker dies: the totals stay, the restart is counted */
    kill(kids[0], SIGKILL);
    pid_t now[2];
    long long t0 = e2e_now_ms();
    while (e2e_now_ms() - t0 < 2000) {
        if (children_of(master, now, 2) == 2 && now[0] != kids[0] && now[1] != kids[0])
            break;
        usleep(10000);
    }
    m = NULL;
    for (int i = 0; i < 50; i++) { /* either worker may answer /metrics */
        free(m);
        m = fetch_metrics(mport);
        if (metric_sum(m, "otuserver_worker_restarts_total") == 1)
            break;
        usleep(20000);
    }
    ck_assert_int_eq(metric_sum(m, "otuserver_worker_restarts_total"), 1);
    ck_assert_int_eq(metric_sum(m, "otuserver_requests_total{"), 42); /* + the 404 for /metrics */
    free(m);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_metrics_listener_refuses_junk)
{
    int p, mport;
    char mp[16];
    free_port_arg(&mport, mp);
    pid_t master = lc_start(ARGS("-w", "1", "--metrics-port", mp), &p);
    /* one scrape first: under valgrind the worker's first pass through the engine can take
     * a good part of a metrics connection's 2 s lifetime, which the junk below must not */
    free(fetch_metrics(mport));
    /* junk that fills the port's 2 KiB head buffer: the engine's 400 (no request line), closed */
    int fd = e2e_connect(mport);
    char junk[3000];
    memset(junk, 'x', sizeof(junk));
    e2e_send(fd, junk, sizeof(junk));
    struct e2e_response r;
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 400);
    e2e_response_free(&r);
    ck_assert(e2e_peer_closes(fd, 3000));
    close(fd);
    /* a request line that never ends within 2 KiB: 414; headers past it: 431 */
    char line[3000];
    int n = snprintf(line, sizeof(line), "GET /metrics?");
    memset(line + n, 'q', sizeof(line) - (size_t)n - 1);
    line[sizeof(line) - 1] = '\0';
    fd = e2e_connect(mport);
    e2e_send(fd, line, strlen(line));
    ck_assert_int_eq(e2e_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 414);
    e2e_response_free(&r);
    close(fd);
    /* silence: closed by the metrics timeout */
    fd = e2e_connect(mport);
    ck_assert_msg(e2e_peer_closes(fd, 5000), "an idle metrics connection stayed open");
    close(fd);
    /* the port's policy: other methods 405, other paths 404 */
    expect_status_on(mport, "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 405, &r);
    expect_header(&r, "Allow", "GET, HEAD");
    e2e_response_free(&r);
    expect_status_on(mport, "GET /metricsX HTTP/1.1\r\nHost: t\r\n\r\n", 404, &r);
    e2e_response_free(&r);
    /* and the site still serves */
    expect_status_on(p, "GET /page.html HTTP/1.0\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* ---- deploying: precompressed siblings, a release behind a symlink ---- */

START_TEST(test_precompress_script_siblings_are_served)
{
    char dir[400], cmd[600];
    snprintf(dir, sizeof(dir), "%s/pc", root_dir);
    mkdir(dir, 0755);
    char path[500];
    snprintf(path, sizeof(path), "%s/site.css", dir);
    char css[1200] = "";
    for (int i = 0; i < 20; i++) /* big enough that every sibling is smaller than it */
        strcat(css, "body { color: black; } /* text worth compressing */\n");
    ck_assert_int_eq(e2e_write_file(path, css, strlen(css)), 0);
    snprintf(path, sizeof(path), "%s/tiny.txt", dir); /* 7 bytes: every sibling would be larger */
    ck_assert_int_eq(e2e_write_file(path, "tiny!\n\n", 7), 0);
    snprintf(cmd, sizeof(cmd), "scripts/build/precompress '%s' > /dev/null", dir);
    ck_assert_int_eq(system(cmd), 0);
    struct stat st;
    const char *const sfx[] = {".gz", ".br", ".zst"};
    for (int i = 0; i < 3; i++) { /* a sibling not smaller than its file is not written */
        snprintf(path, sizeof(path), "%s/tiny.txt%s", dir, sfx[i]);
        ck_assert_msg(stat(path, &st) != 0, "%s was written though larger than its file", path);
    }
    snprintf(cmd, sizeof(cmd),
             "PATH=/nonexistent /bin/sh scripts/build/precompress '%s' 2>&1 | grep -q 'not installed'",
             dir); /* without the tools on PATH, it says which are missing (gzip too: it is not found either) */
    ck_assert_int_eq(system(cmd), 0);
    int p;
    pid_t master = lc_start(ARGS("-w", "1"), &p);
    struct e2e_response r;
    expect_status_on(p, "GET /pc/site.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Encoding", "gzip");
    expect_header(&r, "Content-Type", "text/css");
    ck_assert(r.body_len > 2 && (unsigned char)r.body[0] == 0x1f && (unsigned char)r.body[1] == 0x8b);
    e2e_response_free(&r);
    if (sh("command -v zstd > /dev/null") == 0) { /* scripts/build/ci-deps installs it */
        expect_status_on(p, "GET /pc/site.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip, zstd\r\n\r\n", 200, &r);
        expect_header(&r, "Content-Encoding", "zstd");
        expect_header(&r, "Vary", "Accept-Encoding");
        ck_assert(r.body_len > 4 && memcmp(r.body, "\x28\xb5\x2f\xfd", 4) == 0); /* zstd's magic */
        e2e_response_free(&r);
    } else {
        printf("zstd is not installed: the .zst sibling was not tested\n");
    }
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Makes base_dir/deploy/NAME/index.txt saying NAME. */
static void make_release(const char *name)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/deploy/%s", base_dir, name);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/deploy/%s/index.txt", base_dir, name);
    ck_assert_int_eq(e2e_write_file(path, name, strlen(name)), 0);
}

/* Points base_dir/deploy/current at target atomically: a new symlink renamed over it. */
static void point_current(const char *target)
{
    char tmp[600], cur[600];
    snprintf(tmp, sizeof(tmp), "%s/deploy/current.tmp", base_dir);
    snprintf(cur, sizeof(cur), "%s/deploy/current", base_dir);
    unlink(tmp);
    ck_assert_int_eq(symlink(target, tmp), 0);
    ck_assert_int_eq(rename(tmp, cur), 0);
}

/* Connections per round when checking what every worker serves. */
#define DEPLOY_PROBES 24

/*
 * True when DEPLOY_PROBES requests on fresh connections (spread over the
 * workers by SO_REUSEPORT) all answer want, and no worker still holds a
 * descriptor under the release it replaced (stale_dir).
 */
static bool all_serve(int p, pid_t master, const char *want, const char *stale_dir)
{
    for (int i = 0; i < DEPLOY_PROBES; i++) {
        struct e2e_response r;
        int rc = e2e_exchange(p, "GET /index.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
        bool ok = rc == 0 && r.status == 200 && r.body != NULL && strcmp(r.body, want) == 0;
        e2e_response_free(&r);
        if (!ok)
            return false;
    }
    return workers_holding(master, stale_dir) == 0;
}

/* Polls all_serve() until deadline_ms; returns the milliseconds it took, or -1. */
static long long wait_all_serve(int p, pid_t master, const char *want, const char *stale_dir, int deadline_ms)
{
    long long t0 = e2e_now_ms();
    do {
        if (all_serve(p, master, want, stale_dir))
            return e2e_now_ms() - t0;
        usleep(10000);
    } while (e2e_now_ms() - t0 < deadline_ms);
    return -1;
}

/* A symlink swap is served by every worker within this (the root is checked every second). */
#define DEPLOY_SWAP_MS 1500
/* After SIGHUP to the master: at once, give or take a poll. */
#define DEPLOY_HUP_MS 300

/*
 * Item 7: an atomic symlink deploy (-r .../current, current -> v1, then a new
 * link renamed over it) is served by every worker within about a second,
 * at once after SIGHUP; a root that cannot be opened keeps the old one.
 */
START_TEST(test_symlink_deploy_picked_up)
{
    char path[600], stale[64], log[600];
    snprintf(path, sizeof(path), "%s/deploy", base_dir);
    mkdir(path, 0755);
    make_release("v1");
    make_release("v2");
    make_release("v3");
    point_current("v1");
    snprintf(path, sizeof(path), "%s/deploy/current", base_dir);
    snprintf(log, sizeof(log), "%s/deploy.log", base_dir);
    int p = e2e_free_port();
    const char *extra[] = {"-w", "2", NULL};
    pid_t master = e2e_start(server_bin, p, path, log, extra, err_path);
    ck_assert_int_gt(master, 0);
    pid_t kids[2];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    ck_assert_msg(wait_all_serve(p, master, "v1", "/deploy/v2", slow(3000)) >= 0, "v1 not served");
    ck_assert_int_eq(workers_holding(master, "/deploy/v1"), 2);

    point_current("v2");
    long long took = wait_all_serve(p, master, "v2", "/deploy/v1", slow(DEPLOY_SWAP_MS));
    printf("symlink deploy: v1 -> v2 served by both workers after %lld ms\n", took);
    fflush(stdout);
    ck_assert_msg(took >= 0, "v2 not served by every worker within %d ms", slow(DEPLOY_SWAP_MS));

    /* SIGHUP: at once, three times in a row (the once-a-second check cannot be that quick by luck) */
    static const char *const hup_order[] = {"v3", "v1", "v2"};
    const char *prev = "v2";
    for (size_t i = 0; i < OTU_ARRAY_LEN(hup_order); i++) {
        point_current(hup_order[i]);
        kill(master, SIGHUP);
        snprintf(stale, sizeof(stale), "/deploy/%s", prev);
        took = wait_all_serve(p, master, hup_order[i], stale, slow(DEPLOY_HUP_MS));
        printf("symlink deploy: %s -> %s with SIGHUP served after %lld ms\n", prev, hup_order[i], took);
        fflush(stdout);
        ck_assert_msg(took >= 0, "%s not served within %d ms of SIGHUP", hup_order[i], slow(DEPLOY_HUP_MS));
        prev = hup_order[i];
    }

    /* A root that cannot be opened: the old one stays, one warning per worker. */
    point_current("no-such-release");
    usleep((useconds_t)slow(2500) * 1000); /* two checks or more */
    ck_assert_msg(all_serve(p, master, "v2", "/deploy/v1"), "the old root was not kept");
    size_t len = 0;
    char *text = e2e_read_file(log, &len);
    int warnings = 0;
    for (const char *q = text; q != NULL && (q = strstr(q, "cannot open the document root")) != NULL; q++)
        warnings++;
    free(text);
    ck_assert_msg(warnings == 2, "%d warnings for the missing root, expected one per worker", warnings);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* The "operations" case: the access log test first (image mode stops there), then the rest. */
TCase *e2e_operations_tcase(void)
{
    TCase *tc = tcase_create("operations");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_access_log_line);
    if (docker_image)
        return tc; /* the rest starts servers or reads the shared one's log file */
    tcase_add_test(tc, test_rejected_request_logs_what_was_read);
    tcase_add_test(tc, test_healthcheck_agent_is_logged);
    tcase_add_test(tc, test_log_format_combined);
    tcase_add_test(tc, test_log_format_json);
    tcase_add_test(tc, test_json_log_keeps_utf8);
    tcase_add_test(tc, test_cut_responses_are_logged_and_counted);
    tcase_add_test(tc, test_metrics_counts_and_survive_a_worker);
    tcase_add_test(tc, test_metrics_listener_refuses_junk);
    tcase_add_test(tc, test_precompress_script_siblings_are_served);
    tcase_add_test(tc, test_symlink_deploy_picked_up);
    return tc;
}

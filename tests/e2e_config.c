/*
 * e2e_config.c - configuration as a user meets it: the YAML file, variable
 * names derived from flags (the old ones deprecated), unknown variables,
 * --check-config, the root as an argument, and a reload on SIGHUP under
 * load (ab -k and ab) without a failed request.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Writes text into the test's configuration file; returns its path (static). */
static const char *config_file(const char *text)
{
    static char path[400];
    snprintf(path, sizeof(path), "%s/otuserver.yaml", base_dir);
    ck_assert_int_eq(e2e_write_file(path, text, strlen(text)), 0);
    return path;
}

/* GET path on port p; asserts status, r gets the answer. */
static void get(int p, const char *path, int status, struct e2e_response *r)
{
    char raw[300];
    snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
    expect_status_on(p, raw, status, r);
}

/* The value of header name in the answer to GET path (asserts 200), or "" when absent; static. */
static const char *header_of(int p, const char *path, const char *name)
{
    static char v[300];
    struct e2e_response r;
    get(p, path, 200, &r);
    if (e2e_header(&r, name, v, sizeof(v)) == NULL)
        v[0] = '\0';
    e2e_response_free(&r);
    return v;
}

/* The single-page-app recipe from a file: the shell never cached, assets for a year, a framing rule. */
START_TEST(test_spa_recipe_from_a_file)
{
    make_dir("assets");
    write_text("assets/app.3f9a.js", "console.log('app');\n");
    const char *path = config_file("# the SPA recipe (docs/recipes.md)\n"
                                   "fallback: /index.html\n"
                                   "cache-control:\n"
                                   "  - '*.html=no-cache'\n"
                                   "  - /assets/*=public, max-age=31536000, immutable\n"
                                   "header:\n"
                                   "  - 'X-Frame-Options: DENY'\n");
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--config", path), &p);
    ck_assert_str_eq(header_of(p, "/", "Cache-Control"), "no-cache");
    ck_assert_str_eq(header_of(p, "/users/42", "Cache-Control"), "no-cache"); /* the fallback's shell */
    ck_assert_str_eq(header_of(p, "/assets/app.3f9a.js", "Cache-Control"), "public, max-age=31536000, immutable");
    ck_assert_str_eq(header_of(p, "/assets/app.3f9a.js", "X-Frame-Options"), "DENY");
    ck_assert_int_eq(e2e_stop(master), 0);
    /* a flag wins over the file; a bad file stops the start with FILE:LINE */
    master = lc_start(ARGS("-w", "1", "--config", path, "--cache-control", "max-age=5"), &p);
    ck_assert_str_eq(header_of(p, "/assets/app.3f9a.js", "Cache-Control"), "max-age=5");
    ck_assert_int_eq(e2e_stop(master), 0);
    char err[700], want[500];
    path = config_file("fallback: /index.html\ncache-contrl: no-cache\n");
    ck_assert_int_eq(run_binary(ARGS("--config", path, "-r", root_dir), NULL, err, sizeof(err)), 2);
    snprintf(want, sizeof(want), "%s:2: unknown setting 'cache-contrl' (did you mean 'cache-control'?)", path);
    ck_assert_msg(strstr(err, want) != NULL, "%s", err);
    ck_assert_msg(strchr(err, '\n') == strrchr(err, '\n'), "not one line: %s", err);
}
END_TEST

/* Variables follow the flags' names; the old ones still work, with a warning, and lose to the new. */
START_TEST(test_variable_names_derived_and_deprecated)
{
    write_text("names.txt", "names\n");
    int p;
    setenv("OTUSERVER_HEADER", "X-New: 1", 1);
    setenv("OTUSERVER_HEADERS", "X-Old: 1", 1);
    setenv("OTUSERVER_HEADR", "X-Typo: 1", 1);
    setenv("OTUSERVER_SERVICE_HOST", "10.0.0.7", 1); /* what a Service named otuserver injects: quiet */
    setenv("OTUSERVER_PORT_80_TCP_ADDR", "10.0.0.7", 1);
    pid_t master = lc_start(ARGS("-w", "1"), &p);
    unsetenv("OTUSERVER_HEADER");
    unsetenv("OTUSERVER_HEADERS");
    unsetenv("OTUSERVER_HEADR");
    unsetenv("OTUSERVER_SERVICE_HOST");
    unsetenv("OTUSERVER_PORT_80_TCP_ADDR");
    ck_assert_str_eq(header_of(p, "/names.txt", "X-New"), "1");
    ck_assert_str_eq(header_of(p, "/names.txt", "X-Old"), "");
    ck_assert_str_eq(header_of(p, "/names.txt", "X-Typo"), "");
    ck_assert_int_eq(e2e_stop(master), 0);
    ck_assert_int_eq(log_count("OTUSERVER_HEADERS is deprecated and ignored: OTUSERVER_HEADER is set too"), 1);
    ck_assert_int_eq(log_count("unknown variable OTUSERVER_HEADR ignored (did you mean OTUSERVER_HEADER?)"), 1);
    ck_assert_int_eq(log_count("SERVICE_HOST"), 0);
    ck_assert_int_eq(log_count("PORT_80_TCP"), 0);
    /* the old name alone still works */
    setenv("OTUSERVER_HEADERS", "X-Old: 1", 1);
    master = lc_start(ARGS("-w", "1"), &p);
    unsetenv("OTUSERVER_HEADERS");
    ck_assert_str_eq(header_of(p, "/names.txt", "X-Old"), "1");
    ck_assert_int_eq(e2e_stop(master), 0);
    ck_assert_int_eq(log_count("OTUSERVER_HEADERS is deprecated: name it OTUSERVER_HEADER"), 1);
}
END_TEST

/* --check-config: a good configuration prints where each value came from (0); a bad one exits 2. */
START_TEST(test_check_config)
{
    char out[450], cmd[1400];
    snprintf(out, sizeof(out), "%s/check.out", base_dir);
    const char *path = config_file("root: ROOT\ncache-control: ['*.html=no-cache']\n");
    char text[600];
    snprintf(text, sizeof(text), "root: %s\ncache-control: ['*.html=no-cache']\nerror-page: [404=/missing.html]\n",
             root_dir);
    path = config_file(text);
    snprintf(cmd, sizeof(cmd), "OTUSERVER_PORT=8081 '%s' --check-config --config '%s' -w 3 > '%s' 2>&1", server_bin,
             path, out);
    ck_assert_int_eq(sh(cmd), 0);
    size_t len;
    char *got = e2e_read_file(out, &len);
    ck_assert_ptr_nonnull(got);
    char where[500];
    snprintf(where, sizeof(where), "(file %s:2)", path);
    static const char *const must[] = {
        "the configuration is valid", "(variable OTUSERVER_PORT)", "(flag -w)", "(default)", "*.html=no-cache",
        "warning: --error-page names"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(must); i++)
        ck_assert_msg(strstr(got, must[i]) != NULL, "--check-config lacks '%s':\n%s", must[i], got);
    ck_assert_msg(strstr(got, where) != NULL, "lacks %s:\n%s", where, got);
    free(got);
    char err[700];
    ck_assert_int_eq(run_binary(ARGS("--check-config", "-r", "/nonexistent/site"), NULL, err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "invalid document root '/nonexistent/site'"));
    path = config_file("port: 80\nport: 81\n");
    ck_assert_int_eq(run_binary(ARGS("--check-config", "--config", path), NULL, err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, ":2: 'port' is set twice"));
    ck_assert_int_eq(run_binary(ARGS("--check-config", "-r", root_dir, "--basic-auth-file", "/nonexistent/users"), NULL,
                                err, sizeof(err)),
                     2);
    ck_assert_ptr_nonnull(strstr(err, "invalid basic auth file"));
}
END_TEST

/* otuserver DIR serves DIR; with -r too, or a second argument: one line, exit 2. */
START_TEST(test_root_as_an_argument)
{
    write_text("positional.txt", "positional\n");
    char portbuf[16], log[450];
    int p;
    free_port_arg(&p, portbuf);
    snprintf(log, sizeof(log), "%s/positional.log", base_dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execl(server_bin, server_bin, "-p", portbuf, "-w", "1", "-f", log, root_dir, (char *)NULL);
        _exit(127);
    }
    int fd = -1;
    for (long long end = e2e_now_ms() + 5000; fd < 0 && e2e_now_ms() < end; usleep(20000))
        fd = e2e_connect(p);
    ck_assert_int_ge(fd, 0);
    close(fd);
    struct e2e_response r;
    get(p, "/positional.txt", 200, &r);
    ck_assert_str_eq(r.body, "positional\n");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(pid), 0);
    char err[700];
    ck_assert_int_eq(run_binary(ARGS("-r", root_dir, root_dir), NULL, err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "given twice"));
    ck_assert_int_eq(run_binary(ARGS(root_dir, "/tmp"), NULL, err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "unexpected second argument '/tmp'"));
}
END_TEST

/* Starts ab (keep-alive with -k) on p's path for secs seconds in the background; NULL when ab is missing. */
static FILE *start_ab(int p, const char *path, bool keep_alive, int secs)
{
    if (sh("command -v ab >/dev/null 2>&1") != 0)
        return NULL;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "ab %s -q -c 8 -t %d -n 5000000 http://127.0.0.1:%d%s 2>&1", keep_alive ? "-k" : "",
             secs, p, path);
    return popen(cmd, "r");
}

/* Waits for ab and reads its complete and failed counts (and non-2xx, added to failed). */
static void finish_ab(FILE *f, const char *what, long *complete, long *failed)
{
    char line[300];
    *complete = *failed = -1;
    long non2xx = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        sscanf(line, "Complete requests: %ld", complete);
        sscanf(line, "Failed requests: %ld", failed);
        sscanf(line, "Non-2xx responses: %ld", &non2xx);
    }
    ck_assert_int_eq(pclose(f), 0);
    printf("reload under load: %s: %ld complete, %ld failed, %ld non-2xx\n", what, *complete, *failed, non2xx);
    *failed += non2xx;
}

/* The most workers seen alive (at least most) while watching master for ms (0: one look). */
static int max_workers_for(pid_t master, int ms, int most)
{
    long long end = e2e_now_ms() + ms;
    do {
        pid_t kids[16];
        int n = children_of(master, kids, 16);
        most = n > most ? n : most;
        if (ms > 0)
            usleep(5000);
    } while (e2e_now_ms() < end);
    return most;
}

/*
 * A rule changed in the file and SIGHUP, under ab -k and ab at once: the new
 * header within a second, no failed request in either, at most twice the
 * workers during the overlap, counters that do not go down, one log line.
 */
START_TEST(test_reload_under_load)
{
    write_text("reload.txt", "reload\n");
    char mport_arg[16];
    int mport, p;
    free_port_arg(&mport, mport_arg);
    const char *path = config_file("cache-control: ['/reload.txt=max-age=111']\n");
    pid_t master = lc_start(ARGS("-w", "2", "--config", path, "--metrics-port", mport_arg, "--grace-period", "5s"), &p);
    ck_assert_str_eq(header_of(p, "/reload.txt", "Cache-Control"), "max-age=111");
    int secs = slow(4000) / 1000;
    FILE *ka = start_ab(p, "/reload.txt", true, secs), *close_each = start_ab(p, "/reload.txt", false, secs);
    if (ka == NULL || close_each == NULL) {
        printf("SKIPPED: ab (apache2-utils) is not installed; the reload-under-load test did not run\n");
        ck_assert_int_eq(e2e_stop(master), 0);
        return;
    }
    usleep(slow(800) * 1000);
    char *before = fetch_metrics(mport);
    long long served_before = metric_sum(before, "otuserver_requests_total{");
    free(before);
    config_file("cache-control: ['/reload.txt=max-age=222']\n");
    long long t0 = e2e_now_ms();
    ck_assert_int_eq(kill(master, SIGHUP), 0);
    long long seen_ms = -1;
    int most = 0;
    for (long long end = t0 + slow(3000); seen_ms < 0 && e2e_now_ms() < end; usleep(10000)) {
        most = max_workers_for(master, 0, most);
        if (strcmp(header_of(p, "/reload.txt", "Cache-Control"), "max-age=222") == 0)
            seen_ms = e2e_now_ms() - t0;
    }
    most = max_workers_for(master, slow(600), most); /* while the old generation finishes */
    long ka_done, ka_failed, close_done, close_failed;
    finish_ab(ka, "ab -k", &ka_done, &ka_failed);
    finish_ab(close_each, "ab", &close_done, &close_failed);
    printf("reload under load: the new header after %lld ms; at most %d workers at once\n", seen_ms, most);
    ck_assert_msg(seen_ms >= 0 && seen_ms <= slow(1000), "the new header came after %lld ms", seen_ms);
    ck_assert_msg(ka_done > 0 && ka_failed == 0, "ab -k: %ld complete, %ld failed", ka_done, ka_failed);
    ck_assert_msg(close_done > 0 && close_failed == 0, "ab: %ld complete, %ld failed", close_done, close_failed);
    ck_assert_msg(most <= 4, "%d workers at once: more than twice -w 2", most);
    char *after = fetch_metrics(mport);
    long long served_after = metric_sum(after, "otuserver_requests_total{");
    free(after);
    ck_assert_msg(served_after >= served_before + ka_done / 2, "requests_total %lld -> %lld across the reload",
                  served_before, served_after);
    ck_assert_int_eq(e2e_stop(master), 0);
    ck_assert_int_eq(log_count("SIGHUP:"), 1); /* one line a reload */
    ck_assert_int_eq(log_count("configuration reloaded"), 1);
}
END_TEST

/* An invalid file keeps the running configuration and its workers; a restart-only change warns. */
START_TEST(test_reload_invalid_keeps_running)
{
    write_text("keep.txt", "keep\n");
    const char *path = config_file("cache-control: ['/keep.txt=max-age=111']\n");
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--config", path), &p);
    pid_t kids[4], now[4];
    ck_assert_int_eq(wait_children(master, kids, 1), 1);
    config_file("cache-control: ['/keep.txt=max-age=222']\nbogus: 1\n");
    kill(master, SIGHUP);
    char *log = wait_for_log(lc_log, "configuration not reloaded, the running one stays", slow(3000));
    ck_assert_ptr_nonnull(log);
    ck_assert_ptr_nonnull(strstr(log, ":2: unknown setting 'bogus'"));
    free(log);
    ck_assert_str_eq(header_of(p, "/keep.txt", "Cache-Control"), "max-age=111");
    ck_assert_int_eq(children_of(master, now, 4), 1);
    ck_assert_int_eq(now[0], kids[0]); /* no worker started */
    /* a valid file with a new connection cap: the rest reloads, the cap stays, one warning names it */
    config_file("cache-control: ['/keep.txt=max-age=333']\nmax-connections: 77\n");
    kill(master, SIGHUP);
    log = wait_for_log(lc_log, "configuration reloaded", slow(3000));
    ck_assert_ptr_nonnull(log);
    ck_assert_ptr_nonnull(
        strstr(log, "reload: --max-connections cannot change without a restart; keeping 8192 (asked: 77)"));
    free(log);
    for (long long end = e2e_now_ms() + slow(2000); e2e_now_ms() < end; usleep(20000)) {
        if (strcmp(header_of(p, "/keep.txt", "Cache-Control"), "max-age=333") == 0)
            break;
    }
    ck_assert_str_eq(header_of(p, "/keep.txt", "Cache-Control"), "max-age=333");
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* SIGUSR1 reopens the log and starts no worker: logrotate's signal does not restart anything. */
START_TEST(test_usr1_starts_no_worker)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "2"), &p);
    pid_t kids[4], now[4];
    ck_assert_int_eq(wait_children(master, kids, 2), 2);
    for (int i = 0; i < 3; i++) {
        kill(master, SIGUSR1);
        usleep(100000);
    }
    ck_assert_int_eq(children_of(master, now, 4), 2);
    ck_assert_msg((now[0] == kids[0] && now[1] == kids[1]) || (now[0] == kids[1] && now[1] == kids[0]),
                  "SIGUSR1 replaced a worker");
    ck_assert_int_eq(log_count("SIGUSR1: log reopened"), 3);
    ck_assert_int_eq(log_count("configuration reloaded"), 0);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

TCase *e2e_config_tcase(void)
{
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, serve_setup, serve_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_spa_recipe_from_a_file);
    tcase_add_test(tc, test_variable_names_derived_and_deprecated);
    tcase_add_test(tc, test_check_config);
    tcase_add_test(tc, test_root_as_an_argument);
    tcase_add_test(tc, test_reload_under_load);
    tcase_add_test(tc, test_reload_invalid_keeps_running);
    tcase_add_test(tc, test_usr1_starts_no_worker);
    return tc;
}

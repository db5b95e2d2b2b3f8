/*
 * e2e_fixture.c - what the end-to-end test files share: the fixture tree
 * (root/ and outside/ under a fresh /tmp folder), the shared server (or a
 * container of $OTU_E2E_IMAGE), servers of a test's own, and the assertion
 * and process helpers.  Declared, each with its contract, in e2e_fixture.h.
 */
#include "compat.h"

#include "e2e_util.h"
#include "e2e_fixture.h"

#include <check.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <elf.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *server_bin;
char base_dir[256]; /* holds root/, outside/, logs */
char root_dir[300];
char log_path[300];
int port;
pid_t server_pid = -1;
char *big_data;           /* contents of big.bin */
char err_path[300];       /* every server's stderr: must stay empty (sanitizer reports land here) */
bool stderr_dirty;        /* set by teardown when a server wrote to stderr */
char lc_log[400];         /* the log of the last lc_start()ed server */
const char *docker_image; /* $OTU_E2E_IMAGE: serve from this image instead */
char container_id[80];

/* Writes text to root_dir/rel (asserts). */
void write_text(const char *rel, const char *text)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", root_dir, rel);
    ck_assert_int_eq(e2e_write_file(path, text, strlen(text)), 0);
}

/* Makes the folder root_dir/rel. */
void make_dir(const char *rel)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", root_dir, rel);
    mkdir(path, 0755);
}

/* Sets a file's modification time to now + delta seconds. */
void touch_delta(const char *rel, int delta)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", root_dir, rel);
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec += delta;
    tv[1] = tv[0];
    utimes(path, tv);
}

/* Fills a buffer with reproducible pseudo-random bytes. */
char *pseudo_random(size_t n, unsigned seed)
{
    char *p = malloc(n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (char)(seed >> 16);
    }
    return p;
}

const char *const mime_files[][2] = {
    {"t.css", "text/css"},
    {"t.js", "application/javascript"},
    {"t.jpg", "image/jpeg"},
    {"t.jpeg", "image/jpeg"},
    {"t.png", "image/png"},
    {"t.gif", "image/gif"},
    {"t.swf", "application/x-shockwave-flash"},
    {"t.txt", "text/plain"},
    {"t.svg", "image/svg+xml"},
    {"t.ico", "image/x-icon"},
    {"t.json", "application/json"},
    {"t.xml", "application/xml"},
    {"t.pdf", "application/pdf"},
    {"t.webp", "image/webp"},
    {"t.avif", "image/avif"},
    {"t.wasm", "application/wasm"},
    {"t.mjs", "application/javascript"},
    {"t.woff", "font/woff"},
    {"t.woff2", "font/woff2"},
    {"t.mp4", "video/mp4"},
    {"t.webm", "video/webm"},
    {"t.html", "text/html"},
    {"UPPER.HTML", "text/html"},
    {"t.unknownext", "application/octet-stream"},
    {"noextension", "application/octet-stream"},
};
const size_t mime_file_count = OTU_ARRAY_LEN(mime_files);

/* Creates the fixture tree: every shape of name and file the tests need. */
static void make_fixture(void)
{
    snprintf(base_dir, sizeof(base_dir), "/tmp/otu-e2e-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(base_dir));
    snprintf(root_dir, sizeof(root_dir), "%s/root", base_dir);
    snprintf(log_path, sizeof(log_path), "%s/access.log", base_dir);
    snprintf(err_path, sizeof(err_path), "%s/server.err", base_dir);
    mkdir(root_dir, 0755);
    char path[600], target[600];
    snprintf(path, sizeof(path), "%s/outside", base_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/outside/secret.txt", base_dir);
    e2e_write_file(path, "TOP-SECRET\n", 11);

    write_text("index.html", "<html>otuserver e2e index</html>\n");
    write_text("page.html", "<html><body>Page Sample</body></html>\n");
    make_dir("dir2");
    write_text("dir2/index.html", "<html>Directory index file</html>\n");
    write_text("dir2/page.html", "<html><body>Page Sample</body></html>\n");
    make_dir("noindex");
    write_text("noindex/a.txt", "a\n");
    make_dir("nested");
    make_dir("nested/a");
    make_dir("nested/a/b");
    write_text("nested/a/b/deep.txt", "bingo, you found it\n");
    write_text("space in name.txt", "letters and spaces\n");
    write_text("two..dots.txt", "hello");
    write_text("empty.txt", "");
    for (size_t i = 0; i < OTU_ARRAY_LEN(mime_files); i++)
        write_text(mime_files[i][0], "x");
    big_data = pseudo_random(BIG_SIZE, 7);
    snprintf(path, sizeof(path), "%s/big.bin", root_dir);
    e2e_write_file(path, big_data, BIG_SIZE);
    char *huge = pseudo_random(HUGE_SIZE, 9);
    snprintf(path, sizeof(path), "%s/huge.bin", root_dir);
    e2e_write_file(path, huge, HUGE_SIZE);
    free(huge);
    make_dir(".git");
    write_text(".git/config", "[core]\n");
    write_text(".env", "PASSWORD=x\n");
    make_dir(".well-known");
    write_text(".well-known/security.txt", "Contact: mailto:security@example.com\n");
    /* symlinks: out of the root (file and folder), and one that stays inside */
    snprintf(target, sizeof(target), "%s/outside/secret.txt", base_dir);
    snprintf(path, sizeof(path), "%s/escape.txt", root_dir);
    ck_assert_int_eq(symlink(target, path), 0);
    snprintf(path, sizeof(path), "%s/escdir", root_dir);
    ck_assert_int_eq(symlink("../outside", path), 0);
    snprintf(path, sizeof(path), "%s/link.html", root_dir);
    ck_assert_int_eq(symlink("page.html", path), 0);
    snprintf(path, sizeof(path), "%s/fifo", root_dir);
    ck_assert_int_eq(mkfifo(path, 0644), 0);
    /* precompressed siblings: a fresh one and a stale one */
    write_text("app.js", "console.log('plain');\n");
    write_text("app.js.gz", "GZIPPED-BYTES");
    touch_delta("app.js", -100);
    write_text("old.css", "body{}\n");
    write_text("old.css.gz", "STALE-GZIP");
    touch_delta("old.css.gz", -100);
}

/* Runs a shell command; returns its exit status. */
int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Starts the image hardened (read-only, no capabilities) with the fixture as its root. */
static void docker_setup(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "docker run -d --read-only --cap-drop ALL --security-opt no-new-privileges "
             "-e OTUSERVER_PORT=8080 -e OTUSERVER_WORKERS=2 -p 127.0.0.1:%d:8080 "
             "-v '%s:/srv/www:ro' %s > '%s/cid'",
             port, root_dir, docker_image, base_dir);
    ck_assert_int_eq(sh(cmd), 0);
    char path[400];
    snprintf(path, sizeof(path), "%s/cid", base_dir);
    size_t len;
    char *cid = e2e_read_file(path, &len);
    ck_assert_ptr_nonnull(cid);
    snprintf(container_id, sizeof(container_id), "%.64s", cid);
    free(cid);
    for (long long end = e2e_now_ms() + E2E_TIMEOUT_MS; e2e_now_ms() < end; usleep(20000)) {
        struct e2e_response r;
        if (e2e_exchange(port, "GET /page.html HTTP/1.0\r\n\r\n", &r) == 0 && r.status == 200) {
            e2e_response_free(&r);
            return;
        }
        e2e_response_free(&r);
    }
    ck_abort_msg("the container did not answer on port %d", port);
}

/* Makes the fixture tree and starts the shared server, or its container. */
void serve_setup(void)
{
    make_fixture();
    port = e2e_free_port();
    if (docker_image) {
        docker_setup();
        return;
    }
    /* OTU_E2E_WORKERS: e.g. 1 under valgrind */
    const char *workers = getenv("OTU_E2E_WORKERS") ? getenv("OTU_E2E_WORKERS") : "2";
    const char *extra[] = {"-w", workers, "-l", "info", NULL};
    server_pid = e2e_start(server_bin, port, root_dir, log_path, extra, err_path);
    ck_assert_int_gt(server_pid, 0);
}

/* Stops the shared server (asserts exit 0), flags any stderr, removes the tree. */
void serve_teardown(void)
{
    if (docker_image && container_id[0]) {
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "docker rm -f %s >/dev/null", container_id);
        if (sh(cmd) != 0)
            fprintf(stderr, "could not remove container %s\n", container_id);
    }
    if (server_pid > 0)
        ck_assert_int_eq(e2e_stop(server_pid), 0);
    server_pid = -1;
    size_t len = 0;
    char *err = e2e_read_file(err_path, &len);
    if (err && len > 0) {
        fprintf(stderr, "FAIL: the server wrote to stderr:\n%s\n", err);
        stderr_dirty = true;
    }
    free(err);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base_dir);
    free(big_data);
}

/* Sends raw on a new connection and checks the status; r receives the response. */
void expect_status(const char *raw, int status, struct e2e_response *r)
{
    expect_status_on(port, raw, status, r);
}

/* Sends raw to a given port and checks the status. */
void expect_status_on(int p, const char *raw, int status, struct e2e_response *r)
{
    ck_assert_msg(e2e_exchange(p, raw, r) == 0, "no response to %.60s", raw);
    ck_assert_msg(r->status == status, "%.60s: status %d, expected %d", raw, r->status, status);
}

/* Asserts header name has exactly the value want. */
void expect_header(const struct e2e_response *r, const char *name, const char *want)
{
    char v[1024];
    const char *got = e2e_header(r, name, v, sizeof(v));
    ck_assert_msg(got != NULL, "no %s header in:\n%s", name, r->head);
    ck_assert_msg(strcmp(got, want) == 0, "%s: '%s', expected '%s'", name, got, want);
}

/* Asserts there is no header name. */
void expect_no_header(const struct e2e_response *r, const char *name)
{
    char v[256];
    ck_assert_msg(e2e_header(r, name, v, sizeof(v)) == NULL, "unexpected %s: %s", name, v);
}

const char *free_port_arg(int *p, char buf[16])
{
    *p = e2e_free_port();
    snprintf(buf, 16, "%d", *p);
    return buf;
}

/* Starts a server of a test's own over root_dir, logging to lc_log; asserts it started. */
pid_t lc_start(const char *const extra[], int *out_port)
{
    *out_port = e2e_free_port();
    snprintf(lc_log, sizeof(lc_log), "%s/lc-%d.log", base_dir, *out_port);
    pid_t master = e2e_start(server_bin, *out_port, root_dir, lc_log, extra, err_path);
    ck_assert_int_gt(master, 0);
    return master;
}

/* Returns the worker pids of master (its children, from /proc/PID/stat), up to max. */
int children_of(pid_t master, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && n < max) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        size_t len;
        char *text = e2e_read_file(path, &len);
        char *close_paren = text ? strrchr(text, ')') : NULL;
        int ppid = 0;
        char state;
        if (close_paren && sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 && ppid == (int)master && state != 'Z')
            out[n++] = (pid_t)atoi(e->d_name);
        free(text);
    }
    if (d)
        closedir(d);
    return n;
}

/* Connects to 127.0.0.1:p with a 4 KiB receive buffer, so a large response stays in flight. */
int connect_small_rcvbuf(int p)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)); /* before connect(): sets the window */
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)p), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    struct timeval tv = {E2E_TIMEOUT_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Waits up to 3 s for master to have n workers; fills kids and returns the count. */
int wait_children(pid_t master, pid_t *kids, int n)
{
    int got = 0;
    for (long long end = e2e_now_ms() + 3000; e2e_now_ms() < end; usleep(10000)) {
        got = children_of(master, kids, n);
        if (got >= n)
            break;
    }
    return got;
}

/* Runs the server binary with args and one extra variable; returns status, stderr in err. */
int run_binary(const char *const args[], const char *env, char *err, size_t errcap)
{
    char errfile[450];
    snprintf(errfile, sizeof(errfile), "%s/run.err", base_dir);
    unlink(errfile);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        if (env)
            putenv((char *)env);
        const char *argv[32] = {server_bin};
        int argc = 1;
        for (; args && *args; args++)
            argv[argc++] = *args;
        argv[argc] = NULL;
        execv(server_bin, (char *const *)argv);
        _exit(127);
    }
    int st;
    long long t0 = e2e_now_ms();
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (e2e_now_ms() - t0 > E2E_TIMEOUT_MS) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        usleep(10000);
    }
    size_t len;
    char *text = e2e_read_file(errfile, &len);
    snprintf(err, errcap, "%s", text ? text : "");
    free(text);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* CPU time (user + system, in clock ticks) a process has used. */
long cpu_ticks(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    size_t len;
    char *text = e2e_read_file(path, &len);
    char *p = text ? strrchr(text, ')') : NULL;
    long utime = 0, stime = 0;
    if (p)
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime);
    free(text);
    return utime + stime;
}

/* Runs build/loadcheck in the background; returns a stream of its one-line result. */
FILE *start_load(int p, const char *path, int requests, int conc)
{
    char cmd[512];
    const char *tool = getenv("OTU_LOADCHECK") ? getenv("OTU_LOADCHECK") : "build/loadcheck";
    snprintf(cmd, sizeof(cmd), "%s 127.0.0.1 %d %s %d %d", tool, p, path, requests, conc);
    FILE *f = popen(cmd, "r");
    ck_assert_msg(f != NULL, "cannot run %s", tool);
    return f;
}

/* Reads loadcheck's result line. */
void finish_load(FILE *f, int *complete, int *cut, int *unanswered)
{
    char line[256] = "";
    if (fgets(line, sizeof(line), f) == NULL)
        line[0] = '\0';
    pclose(f);
    ck_assert_msg(sscanf(line, "complete=%d cut=%d unanswered=%d", complete, cut, unanswered) == 3,
                  "loadcheck said '%s'", line);
    printf("load: %s", line);
}

/* Resident memory of a process in KiB. */
long rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    size_t len;
    char *text = e2e_read_file(path, &len);
    char *line = text ? strstr(text, "VmRSS:") : NULL;
    long kib = line ? strtol(line + 6, NULL, 10) : -1;
    free(text);
    return kib;
}

/* Reads http://127.0.0.1:port/metrics into a malloc'd string. */
char *fetch_metrics(int mport)
{
    struct e2e_response r;
    ck_assert_int_eq(e2e_exchange(mport, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    ck_assert_int_eq(r.status, 200);
    return r.body;
}

/* Sums the values of every line of text starting with prefix. */
long long metric_sum(const char *text, const char *prefix)
{
    long long total = 0;
    size_t n = strlen(prefix);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, prefix, n) == 0) {
            const char *sp = strchr(line, ' ');
            if (sp)
                total += atoll(sp + 1);
        }
    }
    return total;
}

/* The value of the unlabelled metric name (summed over its lines) of the server whose /metrics listen on mport. */
long long metric_value(int mport, const char *name)
{
    char *m = fetch_metrics(mport);
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "%s ", name);
    long long v = metric_sum(m, prefix);
    free(m);
    return v;
}

/* Scales a wait for a server under valgrind (OTU_E2E_SLOW), which starts and answers slowly. */
int slow(int ms)
{
    return getenv("OTU_E2E_SLOW") ? ms * 4 : ms;
}

/* Occurrences of text in the log of the last lc_start()ed server. */
int log_count(const char *text)
{
    size_t len = 0;
    char *log = e2e_read_file(lc_log, &len);
    int n = 0;
    for (const char *p = log; p != NULL && (p = strstr(p, text)) != NULL; p += strlen(text))
        n++;
    free(log);
    return n;
}

/*
 * Waits up to timeout_ms for the file at path to contain needle (worker
 * access lines are flushed every 200 ms).  Returns the file's text
 * (malloc'd; the caller frees it) or NULL when the needle never came.
 */
char *wait_for_log(const char *path, const char *needle, int timeout_ms)
{
    long long end = e2e_now_ms() + timeout_ms;
    for (;;) {
        size_t len;
        char *text = e2e_read_file(path, &len);
        if (text != NULL && strstr(text, needle) != NULL)
            return text;
        free(text);
        if (e2e_now_ms() >= end)
            return NULL;
        usleep(20000);
    }
}

/* How many of master's workers hold a descriptor whose link contains text. */
int workers_holding(pid_t master, const char *text)
{
    pid_t kids[8];
    int n = children_of(master, kids, 8), holding = 0;
    for (int i = 0; i < n; i++) {
        char dir[64];
        snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)kids[i]);
        DIR *d = opendir(dir);
        struct dirent *e;
        bool holds = false;
        while (d != NULL && (e = readdir(d)) != NULL) {
            char link[600], target[PATH_MAX];
            snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
            ssize_t len = readlink(link, target, sizeof(target) - 1);
            if (len > 0) {
                target[len] = '\0';
                holds = holds || strstr(target, text) != NULL;
            }
        }
        if (d != NULL)
            closedir(d);
        holding += holds;
    }
    return holding;
}

/* The ELF machine (EM_*) of a file, or EM_NONE when it is not ELF (a wrapper script). */
static int elf_machine(const char *file)
{
    size_t len = 0;
    char *elf = e2e_read_file(file, &len);
    int machine = EM_NONE;
    if (elf != NULL && len >= sizeof(Elf64_Ehdr) && memcmp(elf, ELFMAG, SELFMAG) == 0)
        machine = ((const Elf64_Ehdr *)elf)->e_machine;
    free(elf);
    return machine;
}

/*
 * True when the server under test is built for another machine than this
 * suite (an aarch64 server run by an x86-64 suite): the kernel starts it
 * through binfmt_misc and an emulator (qemu-user), whose system calls are the
 * emulator's: qemu 7.2 answers openat2 with ENOSYS, so the server walks.
 */
bool server_is_emulated(void)
{
    int theirs = elf_machine(server_bin);
    return theirs != EM_NONE && theirs != elf_machine("/proc/self/exe");
}

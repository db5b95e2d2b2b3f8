/*
 * e2e_fixture.h - what the end-to-end test files share: the fixture tree
 * (root_dir, with outside/ beside it), the server under test, and the
 * assertion and process helpers.  e2e_fixture.c defines all of it; each
 * subject file (e2e_protocol.c, e2e_files.c, ...) adds one TCase, and
 * check_e2e.c runs them.  e2e_util.h is the raw HTTP client beneath.
 */
#ifndef OTU_E2E_FIXTURE_H
#define OTU_E2E_FIXTURE_H

#include "e2e_util.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* Size of the "1 MB" file; a 16 MiB one keeps a response in flight for the stop test. */
#define BIG_SIZE  (1024 * 1024)
#define HUGE_SIZE (16 * 1024 * 1024)

/* ---- state: set by main() and serve_setup(), read by the tests ---- */

extern const char *server_bin;            /* the binary under test ($OTU_SERVER) */
extern const char *docker_image;          /* $OTU_E2E_IMAGE: the shared server runs in this image */
extern char container_id[80];             /* ...in this container */
extern char base_dir[256];                /* holds root/, outside/, logs */
extern char root_dir[300];                /* the served fixture tree */
extern char log_path[300];                /* the shared server's access log */
extern int port;                          /* the shared server's port */
extern pid_t server_pid;                  /* the shared server's master */
extern char err_path[300];                /* every server's stderr: must stay empty */
extern bool stderr_dirty;                 /* set by teardown when a server wrote to stderr */
extern char lc_log[400];                  /* the log of the last lc_start()ed server */
extern char *big_data;                    /* contents of big.bin (BIG_SIZE bytes) */
extern const char *const mime_files[][2]; /* fixture files of each type: {name, Content-Type} */
extern const size_t mime_file_count;      /* ...and how many */

/* ---- the fixture tree and the shared server ---- */

/* Makes the fixture tree and starts the shared server (every subject case's fixture). */
void serve_setup(void);
/* Stops the shared server (asserts exit 0), flags its stderr, removes the tree. */
void serve_teardown(void);
/* Writes text to root_dir/rel (asserts). */
void write_text(const char *rel, const char *text);
/* Makes the folder root_dir/rel. */
void make_dir(const char *rel);
/* Sets root_dir/rel's modification time to now + delta seconds. */
void touch_delta(const char *rel, int delta);
/* A malloc'd buffer of n reproducible pseudo-random bytes. */
char *pseudo_random(size_t n, unsigned seed);
/*
 * True when the server under test is built for another machine than this
 * suite (an aarch64 server under qemu-user): its system calls are the
 * emulator's, and it runs many times slower.
 */
bool server_is_emulated(void);
/* Runs a shell command; returns its exit status. */
int sh(const char *cmd);

/* ---- requests and assertions ---- */

/* Sends raw on a new connection to the shared server and asserts the status; r gets the response. */
void expect_status(const char *raw, int status, struct e2e_response *r);
/* The same to port p. */
void expect_status_on(int p, const char *raw, int status, struct e2e_response *r);
/* Asserts header name has exactly the value want. */
void expect_header(const struct e2e_response *r, const char *name, const char *want);
/* Asserts there is no header name. */
void expect_no_header(const struct e2e_response *r, const char *name);

/* ---- servers of a test's own, and processes ---- */

/* Picks a free port into *p and writes it as text into buf (16 bytes); returns buf. */
const char *free_port_arg(int *p, char buf[16]);

/* Starts a server of its own with extra on a free port (*out_port) over root_dir, logging
 * to lc_log; asserts it started and returns its master's pid.  Stop it with e2e_stop(). */
pid_t lc_start(const char *const extra[], int *out_port);
/* A NULL-terminated argument list for lc_start(): lc_start(ARGS("-w", "1"), &p). */
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
/* Runs the server binary with args (and one VAR=value env), waits; stderr into err. */
int run_binary(const char *const args[], const char *env, char *err, size_t errcap);
/* The live worker pids of master, up to max; returns the count. */
int children_of(pid_t master, pid_t *out, int max);
/* Waits up to 3 s for master to have n workers; returns the count found. */
int wait_children(pid_t master, pid_t *kids, int n);
/* How many of master's workers hold a descriptor whose link contains text. */
int workers_holding(pid_t master, const char *text);
/* CPU ticks (user + system) pid has used. */
long cpu_ticks(pid_t pid);
/* Resident memory of pid in KiB. */
long rss_kib(pid_t pid);
/* Connects with a 4 KiB receive buffer, so a large response stays in flight. */
int connect_small_rcvbuf(int p);
/* Scales a wait for a server under valgrind ($OTU_E2E_SLOW): ms, or four times ms. */
int slow(int ms);

/* ---- load, metrics and logs ---- */

/* Starts build/loadcheck ($OTU_LOADCHECK) in the background: requests GETs of path, conc at once. */
FILE *start_load(int p, const char *path, int requests, int conc);
/* Waits for it and reads its "complete= cut= unanswered=" line (asserts it has one). */
void finish_load(FILE *f, int *complete, int *cut, int *unanswered);
/* GET /metrics from mport (asserts 200); the body, malloc'd. */
char *fetch_metrics(int mport);
/* The sum of the values of the lines of text starting with prefix. */
long long metric_sum(const char *text, const char *prefix);
/* GET /metrics from mport and the value of the unlabelled metric name (its "name " lines summed). */
long long metric_value(int mport, const char *name);
/* Occurrences of text in lc_log. */
int log_count(const char *text);
/* Waits up to timeout_ms for the file at path to hold needle: its text (malloc'd), or NULL. */
char *wait_for_log(const char *path, const char *needle, int timeout_ms);

/*
 * The subject files' test cases, which check_e2e.c adds to the "e2e" suite.
 * With docker_image set, files and operations add only their tests over the
 * shared server's port.
 */
TCase *e2e_protocol_tcase(void);
TCase *e2e_files_tcase(void);
TCase *e2e_operations_tcase(void);
TCase *e2e_lifecycle_tcase(void);
TCase *e2e_limits_tcase(void);
TCase *e2e_edges_tcase(void);
TCase *e2e_auth_tcase(void);
TCase *e2e_compress_tcase(void);
TCase *e2e_precomp_tcase(void);
TCase *e2e_codings_tcase(void);
TCase *e2e_rules_tcase(void);
TCase *e2e_config_tcase(void);
TCase *e2e_fleet_tcase(void);
TCase *e2e_proxy_tcase(void);
/* The "httptest" suite's case: the corpus under root, byte for byte. */
TCase *e2e_httptest_tcase(const char *root);

#endif

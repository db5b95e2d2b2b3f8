/*
 * e2e_fixture.h - what the end-to-end test files share: the fixture tree
 * (root_dir, with outside/ beside it), the server under test, and the
 * assertion and process helpers.  e2e_fixture.c defines all of it; each
 * other tests/e2e_*.c file adds one TCase of its subject.
 */
#ifndef OTU_E2E_FIXTURE_H
#define OTU_E2E_FIXTURE_H

#include "e2e_util.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* Size of the "1 MB" file; a 16 MiB one keeps a response in flight for the stop test. */
#define BIG_SIZE (1024 * 1024)
#define HUGE_SIZE (16 * 1024 * 1024)

extern const char *server_bin;  /* the binary under test ($OTU_SERVER) */
extern char base_dir[256];      /* holds root/, outside/, logs */
extern char root_dir[300];      /* the served fixture tree */
extern char log_path[300];      /* the shared server's access log */
extern int port;                /* the shared server's port */
extern pid_t server_pid;        /* the shared server's master */
extern char err_path[300];      /* every server's stderr: must stay empty */
extern bool stderr_dirty;       /* set by teardown when a server wrote to stderr */
extern char lc_log[400];        /* the log of the last lc_start()ed server */
extern char *big_data;          /* contents of big.bin (BIG_SIZE bytes) */
extern const char *const mime_files[][2]; /* fixture files of each type: {name, Content-Type} */
extern const size_t mime_file_count;
extern const char *docker_image; /* $OTU_E2E_IMAGE: the shared server runs in this image */
extern char container_id[80];    /* ...in this container */

/* Makes the fixture tree and starts the shared server; stops it and removes the tree. */
void serve_setup(void);
void serve_teardown(void);

/* Writes text to root_dir/rel (asserts). */
void write_text(const char *rel, const char *text);
/* Makes the folder root_dir/rel. */
void make_dir(const char *rel);
/* Sets root_dir/rel's modification time to now + delta seconds. */
void touch_delta(const char *rel, int delta);
/* A malloc'd buffer of n reproducible pseudo-random bytes. */
char *pseudo_random(size_t n, unsigned seed);
/* Runs a shell command; returns its exit status. */
int sh(const char *cmd);

/* Sends raw on a new connection to the shared server (or to p) and checks the status. */
void expect_status(const char *raw, int status, struct e2e_response *r);
void expect_status_on(int p, const char *raw, int status, struct e2e_response *r);
/* Asserts header name has exactly the value want / is absent. */
void expect_header(const struct e2e_response *r, const char *name, const char *want);
void expect_no_header(const struct e2e_response *r, const char *name);

/* Starts a server of its own on a free port (*out_port) over root_dir, logging to lc_log. */
pid_t lc_start(const char *const extra[], int *out_port);
/* The live worker pids of master, up to max; returns the count. */
int children_of(pid_t master, pid_t *out, int max);
/* Waits up to 3 s for master to have n workers; returns the count found. */
int wait_children(pid_t master, pid_t *kids, int n);
/* Connects with a 4 KiB receive buffer, so a large response stays in flight. */
int connect_small_rcvbuf(int p);
/* CPU ticks (user + system) pid has used. */
long cpu_ticks(pid_t pid);
/* Resident memory of pid in KiB. */
long rss_kib(pid_t pid);
/* Runs the server binary with args (and one VAR=value env), waits; stderr into err. */
int run_binary(const char *const args[], const char *env, char *err, size_t errcap);
/* build/loadcheck in the background, and its "complete= cut= unanswered=" result. */
FILE *start_load(int p, const char *path, int requests, int conc);
void finish_load(FILE *f, int *complete, int *cut, int *unanswered);
/* GET /metrics from mport (malloc'd body), and the sum of lines starting with prefix. */
char *fetch_metrics(int mport);
long long metric_sum(const char *text, const char *prefix);
/* Scales a wait for a server under valgrind ($OTU_E2E_SLOW): ms, or four times ms. */
int slow(int ms);
/* Occurrences of text in lc_log. */
int log_count(const char *text);
/* Waits up to timeout_ms for the file at path to hold needle: its text (malloc'd), or NULL. */
char *wait_for_log(const char *path, const char *needle, int timeout_ms);
/* How many of master's workers hold a descriptor whose link contains text. */
int workers_holding(pid_t master, const char *text);

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
/* The "httptest" suite's case: the corpus under root, byte for byte. */
TCase *e2e_httptest_tcase(const char *root);

#endif

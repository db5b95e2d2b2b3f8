/*
 * loadcheck.c - a load generator that tells a cut response from an
 * unanswered request, for the fault tests (stop, kill, restart under load).
 *
 *   loadcheck HOST PORT PATH REQUESTS CONCURRENCY
 *
 * Each request uses its own connection (like ab without -k).  At the end it
 * prints one line:  complete=N cut=N unanswered=N
 *   complete:   a full response (status and every body byte)
 *   cut:        the status line arrived but the body did not finish
 *   unanswered: no response byte at all (refused, reset, closed before answering)
 * After 50 unanswered requests in a row the target counts as stopped and the
 * rest are not sent.  Exit status: 0 when cut == 0, 1 otherwise, 2 on bad arguments.
 */
#include "compat.h"

#include "e2e_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *host, *path;
static int port;
static atomic_int next_request, total_requests;
static atomic_int complete, cut, unanswered;
static atomic_int unanswered_in_a_row; /* the target is gone once this passes GIVE_UP */

/* Consecutive unanswered requests after which the target counts as stopped. */
#define GIVE_UP 50

static void *run_client(void *arg)
{
    (void)arg;
    char req[1024];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: loadcheck\r\nConnection: close\r\n\r\n", path);
    while (atomic_fetch_add(&next_request, 1) < total_requests && atomic_load(&unanswered_in_a_row) < GIVE_UP) {
        int fd = e2e_connect_host(host, port);
        if (fd < 0) {
            atomic_fetch_add(&unanswered, 1);
            atomic_fetch_add(&unanswered_in_a_row, 1);
            usleep(1000);
            continue;
        }
        struct e2e_response r;
        int rc = -1;
        if (e2e_send(fd, req, strlen(req)) == 0)
            rc = e2e_read_response(fd, false, &r);
        else
            r.status = -1, r.body = NULL;
        if (rc == 0)
            atomic_fetch_add(&complete, 1);
        else if (r.status > 0)
            atomic_fetch_add(&cut, 1);
        else
            atomic_fetch_add(&unanswered, 1);
        if (rc == 0 || r.status > 0)
            atomic_store(&unanswered_in_a_row, 0);
        else
            atomic_fetch_add(&unanswered_in_a_row, 1);
        e2e_response_free(&r);
        close(fd);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: loadcheck HOST PORT PATH REQUESTS CONCURRENCY\n");
        return 2;
    }
    host = argv[1];
    port = atoi(argv[2]);
    path = argv[3];
    total_requests = atoi(argv[4]);
    int conc = atoi(argv[5]);
    if (port <= 0 || total_requests <= 0 || conc <= 0 || conc > 1000) {
        fprintf(stderr, "loadcheck: bad arguments\n");
        return 2;
    }
    pthread_t *threads = calloc((size_t)conc, sizeof(*threads));
    for (int i = 0; i < conc; i++)
        pthread_create(&threads[i], NULL, run_client, NULL);
    for (int i = 0; i < conc; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    printf("complete=%d cut=%d unanswered=%d\n", complete, cut, unanswered);
    return cut == 0 ? 0 : 1;
}

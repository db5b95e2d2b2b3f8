/*
 * e2e_fleet.c - the "fleet" case: what many replicas behind an ingress need
 * (issue 27): validators equal on every replica's copy of the tree, clean
 * URLs, fallbacks by prefix and by navigation, logs a pipeline can read.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- validators equal on every replica ---- */

/* The files of a replica's tree: a small page, a script past the in-memory size, a bigger bundle. */
static const struct {
    const char *name;
    size_t size;
} replica_files[] = {{"index.html", 900}, {"app.js", 60000}, {"bundle.js", 2 * 1024 * 1024}};

/* Writes replica tree n under base_dir (same bytes for every n; mtimes n days apart); returns its path. */
static const char *make_replica(int n, char path[400])
{
    snprintf(path, 400, "%s/replica%d", base_dir, n);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    for (size_t i = 0; i < OTU_ARRAY_LEN(replica_files); i++) {
        char file[600], cmd[800];
        snprintf(file, sizeof(file), "%s/%s", path, replica_files[i].name);
        char *data = pseudo_random(replica_files[i].size, (unsigned)i + 40);
        ck_assert_int_eq(e2e_write_file(file, data, replica_files[i].size), 0);
        free(data);
        snprintf(cmd, sizeof(cmd), "touch -d '@%d' '%s'", 1700000000 + n * 86400, file);
        ck_assert_int_eq(sh(cmd), 0);
    }
    return path;
}

/* Starts a server over root on a free port (*p), logging beside the fixture; asserts it started. */
static pid_t start_over(const char *root, const char *const extra[], int *p)
{
    char log[400];
    *p = e2e_free_port();
    snprintf(log, sizeof(log), "%s/fleet-%d.log", base_dir, *p);
    pid_t master = e2e_start(server_bin, *p, root, log, extra, err_path);
    ck_assert_int_gt(master, 0);
    return master;
}

/*
 * Two servers over two copies of a tree (other inodes, other mtimes) give
 * the same ETag for the same bytes, and an If-None-Match from one is a 304
 * at the other: a revalidation is cheap whichever replica answers.
 */
START_TEST(test_replicas_share_etags)
{
    char root1[400], root2[400];
    make_replica(1, root1);
    make_replica(2, root2);
    int p1, p2;
    pid_t m1 = start_over(root1, ARGS("-w", "1"), &p1);
    pid_t m2 = start_over(root2, ARGS("-w", "1"), &p2);
    for (size_t i = 0; i < OTU_ARRAY_LEN(replica_files); i++) {
        char raw[600], e1[128], e2[128];
        struct e2e_response r;
        snprintf(raw, sizeof(raw), "HEAD /%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", replica_files[i].name);
        expect_status_on(p1, raw, 200, &r);
        ck_assert_ptr_nonnull(e2e_header(&r, "ETag", e1, sizeof(e1)));
        e2e_response_free(&r);
        expect_status_on(p2, raw, 200, &r);
        ck_assert_ptr_nonnull(e2e_header(&r, "ETag", e2, sizeof(e2)));
        e2e_response_free(&r);
        printf("replicas: /%s (%zu bytes): %s and %s\n", replica_files[i].name, replica_files[i].size, e1, e2);
        fflush(stdout);
        ck_assert_str_eq(e1, e2);
        snprintf(raw, sizeof(raw), "GET /%s HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\nConnection: close\r\n\r\n",
                 replica_files[i].name, e1);
        expect_status_on(p2, raw, 304, &r);
        e2e_response_free(&r);
    }
    ck_assert_int_eq(e2e_stop(m1), 0);
    ck_assert_int_eq(e2e_stop(m2), 0);
}
END_TEST

/* Over --etag-hash-max the tag is size and mtime: copies with their own mtimes differ, as documented. */
START_TEST(test_etag_over_the_hash_limit_is_size_and_mtime)
{
    char root1[400], root2[400];
    make_replica(3, root1);
    make_replica(4, root2);
    int p1, p2;
    pid_t m1 = start_over(root1, ARGS("-w", "1", "--etag-hash-max", "1m"), &p1);
    pid_t m2 = start_over(root2, ARGS("-w", "1", "--etag-hash-max", "1m"), &p2);
    const char *raw = "HEAD /bundle.js HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    char e1[128], e2[128];
    struct e2e_response r;
    expect_status_on(p1, raw, 200, &r);
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", e1, sizeof(e1)));
    e2e_response_free(&r);
    expect_status_on(p2, raw, 200, &r);
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", e2, sizeof(e2)));
    e2e_response_free(&r);
    ck_assert_str_eq(e1, "\"200000-179888bbea170000\""); /* 2 MiB, 1700000000 + 3 days in ns, in hex */
    ck_assert_str_ne(e1, e2);
    ck_assert_int_eq(e2e_stop(m1), 0);
    ck_assert_int_eq(e2e_stop(m2), 0);
}
END_TEST

TCase *e2e_fleet_tcase(void)
{
    TCase *tc = tcase_create("fleet");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_replicas_share_etags);
    tcase_add_test(tc, test_etag_over_the_hash_limit_is_size_and_mtime);
    return tc;
}

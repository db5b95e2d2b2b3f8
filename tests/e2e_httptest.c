/*
 * e2e_httptest.c - the shared public corpus, byte for byte: a server of its
 * own over $OTU_HTTPTEST_ROOT (the folder that holds httptest/) serves
 * every file there identically, and passes the classic suite's checks.
 * check_e2e.c runs it as the "httptest" suite when that variable is set.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *httptest_root;

/* Percent-encodes every byte of a path except unreserved ones and '/'. */
static void encode_path(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", *p);
    }
    out[n] = '\0';
}

static int httptest_files_checked;

/* Requests every regular file under dir (rel to the root) and compares the bytes. */
static void check_tree(int p, const char *rel)
{
    char dirpath[2048];
    snprintf(dirpath, sizeof(dirpath), "%s/%s", httptest_root, rel);
    DIR *d = opendir(dirpath);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char child[2048], full[4096], enc[6144], raw[7000];
        snprintf(child, sizeof(child), "%s/%s", rel, e->d_name);
        snprintf(full, sizeof(full), "%s/%s", httptest_root, child);
        struct stat st;
        ck_assert_int_eq(stat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            check_tree(p, child);
            continue;
        }
        size_t len;
        char *want = e2e_read_file(full, &len);
        encode_path(child, enc, sizeof(enc));
        snprintf(raw, sizeof(raw), "GET /%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", enc);
        struct e2e_response r;
        ck_assert_int_eq(e2e_exchange(p, raw, &r), 0);
        ck_assert_msg(r.status == 200, "%s: %d", child, r.status);
        ck_assert_msg(r.body_len == len && memcmp(r.body, want, len) == 0, "%s differs", child);
        e2e_response_free(&r);
        free(want);
        httptest_files_checked++;
    }
    closedir(d);
}

START_TEST(test_httptest_corpus_byte_for_byte)
{
    int p;
    const char *extra[] = {"-w", "2", NULL};
    char log[400];
    p = e2e_free_port();
    snprintf(log, sizeof(log), "/tmp/otu-httptest-%d.log", p);
    pid_t master = e2e_start(server_bin, p, httptest_root, log, extra, NULL);
    ck_assert_int_gt(master, 0);
    check_tree(p, "httptest");
    ck_assert_int_gt(httptest_files_checked, 10);
    printf("httptest: %d files identical\n", httptest_files_checked);
    /* the classic suite's checks */
    struct e2e_response r;
    expect_status_on(p, "GET /httptest/dir2/ HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    ck_assert_uint_eq(r.body_len, 34);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_exchange(p, "GET /httptest/wikipedia_russia.html HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    ck_assert_uint_eq(r.body_len, 954824);
    ck_assert_ptr_nonnull(memmem(r.body, r.body_len, "Wikimedia Foundation, Inc.", 26));
    e2e_response_free(&r);
    ck_assert_int_eq(
        e2e_exchange(p, "GET /httptest/../../../../../../../../../../../../../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n",
                     &r),
        0);
    ck_assert(r.status == 400 || r.status == 403 || r.status == 404);
    e2e_response_free(&r);
    expect_status_on(p, "HEAD /httptest/dir2/page.html HTTP/1.0\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Length", "38");
    ck_assert_int_eq(e2e_stop(master), 0);
    unlink(log);
}
END_TEST

/* The "corpus" case: the "httptest" suite's one test, over root. */
TCase *e2e_httptest_tcase(const char *root)
{
    httptest_root = root;
    TCase *tc = tcase_create("corpus");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_httptest_corpus_byte_for_byte);
    return tc;
}

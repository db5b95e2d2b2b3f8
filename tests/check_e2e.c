/*
 * check_e2e.c - end-to-end tests: the real binary, real sockets, exact bytes.
 *
 * The server under test is $OTU_SERVER (default build/otuserver).  Each
 * test case below makes the fixture tree and starts one shared server with
 * two workers over it (e2e_fixture.c); tests that need options, signals or
 * a crash start a server of their own beside it.  Test cases by subject,
 * each selected alone by CK_RUN_CASE=<name>:
 *
 *   protocol    e2e_protocol.c    methods, HEAD, keep-alive, pipelining, bad and hostile heads, smuggling
 *   files       e2e_files.c       paths, MIME, big files, conditionals, ranges, precompressed, dot-files,
 *                                 fallback and error pages, headers, the path walk, the file cache
 *   operations  e2e_operations.c  access log formats, metrics, the precompress script, symlink deploys
 *   lifecycle   e2e_lifecycle.c   signals, respawn, stop under load, back-off, port taken, --help,
 *                                 bad configuration, --healthcheck and --health-path
 *   limits      e2e_limits.c      header deadline, idle, keep-alive and send timeouts, connection cap,
 *                                 descriptors running out, 10,000 idle connections, a big download's share
 *   edges       e2e_edges.c       IPv6 dual stack, service-link variables, --server-tokens, media types
 *   auth        e2e_auth.c        basic auth: 401/200/404, bad files, crypt() once, guessing limited
 *   compress    e2e_compress.c    gzip on the fly: once then from memory, ETag, 304, Range, sizes,
 *                                 types, eviction, a rewritten file compressed again
 *   precomp     e2e_precomp.c     page.html.gz only: sent as it is or decoded (chunked, HTTP/1.0, HEAD,
 *                                 304), .br and .zst, the listing, Debian's doc tree, bombs stopped
 *   codings     e2e_codings.c     zstd and br, negotiation, the shared directory (once per server, the budget,
 *                                 a killed writer), big bundles by a child, the per-turn budget
 *   rules       e2e_rules.c       cache and header rules per path: the SPA example from flags and
 *                                 variables on 200, 304 and 404; bad rules stop the start
 *   config      e2e_config.c      the YAML file, variable names (derived, deprecated, unknown),
 *                                 --check-config, the root as an argument, reload under load
 *   fleet       e2e_fleet.c       behind an ingress: ETags equal on every replica, clean URLs, fallbacks
 *                                 by prefix and navigation, JSON logs, durations
 *   proxy       e2e_proxy.c       behind proxies: trusted proxies and spoofed fields, chains and their
 *                                 limits, the auth limiter per client, the PROXY protocol by hand and
 *                                 from HAProxy, refusals and the header deadline, request ids
 *   corpus      e2e_httptest.c    suite "httptest": the shared corpus byte for byte, when
 *                                 $OTU_HTTPTEST_ROOT names the folder that holds httptest/
 *
 * Other variables: $OTU_E2E_WORKERS sets the shared server's workers (1
 * under valgrind); $OTU_E2E_SLOW stretches the waits (valgrind);
 * $OTU_LOADCHECK names the load generator; $OTU_E2E_IMAGE runs the shared
 * server in a container of that image (scripts/systest/image-test) - then only
 * the tests that need nothing but its port run: protocol whole, and the
 * first part of files and operations.
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <check.h>
#include <stdlib.h>

int main(void)
{
    server_bin = getenv("OTU_SERVER") ? getenv("OTU_SERVER") : "build/otuserver";
    docker_image = getenv("OTU_E2E_IMAGE");
    const char *httptest_root = getenv("OTU_HTTPTEST_ROOT");

    Suite *e2e = suite_create("e2e");
    /* in image mode, these three add only their tests over the shared server */
    suite_add_tcase(e2e, e2e_protocol_tcase());
    suite_add_tcase(e2e, e2e_files_tcase());
    suite_add_tcase(e2e, e2e_operations_tcase());
    if (docker_image == NULL) { /* every test of these drives a binary of its own */
        suite_add_tcase(e2e, e2e_lifecycle_tcase());
        suite_add_tcase(e2e, e2e_limits_tcase());
        suite_add_tcase(e2e, e2e_edges_tcase());
        suite_add_tcase(e2e, e2e_auth_tcase());
        suite_add_tcase(e2e, e2e_compress_tcase());
        suite_add_tcase(e2e, e2e_precomp_tcase());
        suite_add_tcase(e2e, e2e_codings_tcase());
        suite_add_tcase(e2e, e2e_rules_tcase());
        suite_add_tcase(e2e, e2e_config_tcase());
        suite_add_tcase(e2e, e2e_fleet_tcase());
        suite_add_tcase(e2e, e2e_proxy_tcase());
    }
    SRunner *sr = srunner_create(e2e);
    if (httptest_root) {
        Suite *corpus = suite_create("httptest");
        suite_add_tcase(corpus, e2e_httptest_tcase(httptest_root));
        srunner_add_suite(sr, corpus);
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return (failed || stderr_dirty) ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * e2e_edges.c - end-to-end tests for what users meet at the edges: one
 * dual-stack socket for IPv6 and IPv4 clients, bracketed IPv6 binds,
 * Kubernetes service-link variables, the Server header's version, the
 * media types of real sites (Debian's table, --mime overrides), CORS,
 * --redirect (a carried rest never changes the host; a Location at the
 * limits) and --autoindex (the bounds on entries listed and read).
 */
#include "compat.h"

#include "e2e_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Connects to [::1]:p (1 s timeouts); returns the socket or -1. */
static int connect_v6(int p)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in6 a = {
        .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)p), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Starts a server of its own that listens on [::1] only (extra names the bind). */
static pid_t start_v6_only(const char *const extra[], int *p)
{
    *p = e2e_free_port();
    snprintf(lc_log, sizeof(lc_log), "%s/v6-%d.log", base_dir, *p);
    return e2e_start_probed(server_bin, *p, root_dir, lc_log, extra, err_path, connect_v6);
}

/* Sends raw to [::1]:p and reads one response; returns its status or -1. */
static int status_v6(int p, const char *raw)
{
    int fd = connect_v6(p);
    if (fd < 0)
        return -1;
    struct e2e_response r;
    int status = -1;
    if (e2e_send(fd, raw, strlen(raw)) == 0 && e2e_read_response(fd, false, &r) == 0)
        status = r.status;
    e2e_response_free(&r);
    close(fd);
    return status;
}

/* Waits (up to 3 s, the workers flush every 200 ms) until the log holds needle. */
static bool log_has(const char *path, const char *needle)
{
    for (long long end = e2e_now_ms() + 3000; e2e_now_ms() < end; usleep(50000)) {
        size_t len;
        char *text = e2e_read_file(path, &len);
        bool found = text && strstr(text, needle);
        free(text);
        if (found)
            return true;
    }
    return false;
}

START_TEST(test_dual_stack_default_serves_v6_and_v4)
{
    write_text("edge.txt", "edge\n");
    const char *extra[] = {"-w", "1", NULL};
    int p;
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    ck_assert_int_eq(status_v6(p, "GET /edge.txt?from=v6 HTTP/1.0\r\n\r\n"), 200);
    struct e2e_response r;
    expect_status_on(p, "GET /edge.txt?from=v4 HTTP/1.0\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    /* both peers as their own family: ::1 and 127.0.0.1, never ::ffff:127.0.0.1 */
    ck_assert_msg(log_has(lc_log, "::1 \"GET /edge.txt?from=v6"), "no ::1 line for the v6 client");
    ck_assert_msg(log_has(lc_log, "127.0.0.1 \"GET /edge.txt?from=v4"), "no 127.0.0.1 line for v4");
    size_t len;
    char *text = e2e_read_file(lc_log, &len);
    ck_assert_ptr_null(strstr(text, "::ffff:"));
    free(text);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_bind_bracketed_ipv6_literal)
{
    write_text("edge.txt", "edge\n");
    const char *extra[] = {"-w", "1", "-b", "[::1]", NULL};
    int p;
    pid_t master = start_v6_only(extra, &p);
    ck_assert_int_gt(master, 0);
    ck_assert_int_eq(status_v6(p, "GET /edge.txt HTTP/1.0\r\n\r\n"), 200);
    int fd = e2e_connect(p); /* 127.0.0.1: not bound */
    ck_assert_msg(fd < 0, "a server bound to [::1] answered on 127.0.0.1");
    ck_assert_int_eq(e2e_stop(master), 0);
    char err[512];
    const char *bad[] = {"-b", "[::1", NULL};
    ck_assert_int_eq(run_binary(bad, NULL, err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "IPv6"));
}
END_TEST

START_TEST(test_healthcheck_client_follows_ipv6_bind)
{
    const char *extra[] = {"-w", "1", "-b", "::1", "--health-path", "/healthz", NULL};
    int p;
    pid_t master = start_v6_only(extra, &p);
    ck_assert_int_gt(master, 0);
    char port_arg[16], err[512];
    snprintf(port_arg, sizeof(port_arg), "%d", p);
    const char *probe[] = {"--healthcheck", "-p", port_arg, "-b", "::1", "--health-path", "/healthz", NULL};
    ck_assert_int_eq(run_binary(probe, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_service_link_variable_ignored_with_a_warning)
{
    write_text("edge.txt", "edge\n");
    /* what a Service named "otuserver" injects into every pod of its namespace */
    setenv("OTUSERVER_PORT", "tcp://10.0.0.7:80", 1);
    setenv("OTUSERVER_METRICS_PORT", "tcp://10.0.0.8:8937", 1);
    const char *extra[] = {"-w", "1", NULL}; /* -p comes from lc_start */
    int p;
    pid_t master = lc_start(extra, &p);
    ck_assert_int_gt(master, 0);
    struct e2e_response r;
    expect_status_on(p, "GET /edge.txt HTTP/1.0\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    ck_assert_msg(log_has(lc_log, "ignoring OTUSERVER_"), "no warning about the service link");
    ck_assert_int_eq(e2e_stop(master), 0);
    size_t len;
    char *text = e2e_read_file(lc_log, &len);
    int warnings = 0;
    for (const char *q = text; (q = strstr(q, "a service link")) != NULL; q++)
        warnings++;
    free(text);
    ck_assert_int_eq(warnings, 1); /* one line, naming both variables */
    ck_assert(log_has(lc_log, "also OTUSERVER_METRICS_PORT"));
    unsetenv("OTUSERVER_PORT");
    unsetenv("OTUSERVER_METRICS_PORT");
    /* anything else that is no port still stops the server with exit status 2 */
    char err[512];
    ck_assert_int_eq(run_binary(NULL, "OTUSERVER_PORT=80x", err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "OTUSERVER_PORT"));
    ck_assert_int_eq(run_binary(NULL, "OTUSERVER_PORT=tcp://10.0.0.7", err, sizeof(err)), 2);
    ck_assert_int_eq(run_binary(NULL, "OTUSERVER_WORKERS=tcp://10.0.0.7:80", err, sizeof(err)), 2);
}
END_TEST

START_TEST(test_server_tokens)
{
    write_text("edge.txt", "edge\n");
    const char *on[] = {"-w", "1", NULL};
    int p;
    pid_t master = lc_start(on, &p);
    ck_assert_int_gt(master, 0);
    struct e2e_response r;
    expect_status_on(p, "GET /edge.txt HTTP/1.0\r\n\r\n", 200, &r);
    char v[64];
    ck_assert_ptr_nonnull(e2e_header(&r, "Server", v, sizeof(v)));
    ck_assert_msg(strncmp(v, "otuserver/", 10) == 0, "Server: %s", v);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);

    const char *off[] = {"-w", "1", "--server-tokens", "off", NULL};
    master = lc_start(off, &p);
    ck_assert_int_gt(master, 0);
    expect_status_on(p, "GET /edge.txt HTTP/1.0\r\n\r\n", 200, &r);
    expect_header(&r, "Server", "otuserver");
    e2e_response_free(&r);
    expect_status_on(p, "GET /missing HTTP/1.0\r\n\r\n", 404, &r);
    expect_header(&r, "Server", "otuserver");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

START_TEST(test_mime_table_and_overrides)
{
    static const char *const files[][2] = {{"t.yaml", "application/yaml"},
                                           {"t.vtt", "text/vtt"},
                                           {"t.m3u8", "application/vnd.apple.mpegurl"},
                                           {"t.webmanifest", "application/manifest+json"},
                                           {"t.html", "text/html"},
                                           {"t.swf", "application/x-shockwave-flash"},
                                           {"t.odt", "application/vnd.oasis.opendocument.text"},
                                           {"t.foo", "application/x-foo"},
                                           {"t.JS", "text/javascript"}};
    for (size_t i = 0; i < OTU_ARRAY_LEN(files); i++)
        write_text(files[i][0], "x\n");
    setenv("OTUSERVER_MIME_TYPES", "foo=application/x-foo,.js=text/javascript", 1);
    const char *extra[] = {"-w", "1", NULL};
    int p;
    pid_t master = lc_start(extra, &p);
    unsetenv("OTUSERVER_MIME_TYPES");
    ck_assert_int_gt(master, 0);
    for (size_t i = 0; i < OTU_ARRAY_LEN(files); i++) {
        char req[128];
        snprintf(req, sizeof(req), "GET /%s HTTP/1.0\r\n\r\n", files[i][0]);
        struct e2e_response r;
        expect_status_on(p, req, 200, &r);
        expect_header(&r, "Content-Type", files[i][1]);
        e2e_response_free(&r);
    }
    ck_assert_int_eq(e2e_stop(master), 0);
    char err[512];
    const char *bad[] = {"--mime", "foo=text/html\r\nX-Evil: 1", NULL};
    ck_assert_int_eq(run_binary(bad, NULL, err, sizeof(err)), 2);
    const char *bad2[] = {"--mime", "foo", NULL};
    ck_assert_int_eq(run_binary(bad2, NULL, err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "EXT=TYPE"));
}
END_TEST

/* A browser's preflight for a GET with a Range header, from origin. */
#define PREFLIGHT(origin)                                                             \
    "OPTIONS /cors/data.json HTTP/1.1\r\nHost: api.test\r\nOrigin: " origin "\r\n"    \
    "Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: range\r\n" \
    "User-Agent: Mozilla/5.0\r\nConnection: close\r\n\r\n"

START_TEST(test_cors_preflight_and_simple_requests)
{
    make_dir("cors");
    write_text("cors/data.json", "{\"ok\":true}\n");
    int p;
    pid_t master = lc_start(
        ARGS("-w", "1", "--cors-origins", "https://app.example,http://localhost:3000", "--cors-max-age", "120"), &p);
    struct e2e_response r;
    char v[256];
    /* a preflight from an allowed origin: 204 and every Access-Control-* line */
    expect_status_on(p, PREFLIGHT("https://app.example"), 204, &r);
    expect_header(&r, "Access-Control-Allow-Origin", "https://app.example");
    expect_header(&r, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    expect_header(&r, "Access-Control-Allow-Headers", "Range, If-None-Match, If-Modified-Since, If-Range");
    expect_header(&r, "Access-Control-Max-Age", "120");
    expect_header(&r, "Vary", "Origin");
    expect_no_header(&r, "Content-Length");
    ck_assert_uint_eq(r.body_len, 0);
    e2e_response_free(&r);
    /* from a disallowed origin: today's 405, and no CORS line names it */
    expect_status_on(p, PREFLIGHT("https://evil.test"), 405, &r);
    expect_header(&r, "Allow", "GET, HEAD");
    expect_no_header(&r, "Access-Control-Allow-Origin");
    expect_no_header(&r, "Access-Control-Allow-Methods");
    ck_assert_ptr_null(strstr(r.head, "evil.test"));
    e2e_response_free(&r);
    /* a simple GET with an allowed Origin: the origin echoed, on 200, 304 and 404 alike */
    expect_status_on(p, "GET /cors/data.json HTTP/1.0\r\nOrigin: http://localhost:3000\r\n\r\n", 200, &r);
    expect_header(&r, "Access-Control-Allow-Origin", "http://localhost:3000");
    ck_assert_ptr_nonnull(strstr(r.head, "Vary: Origin\r\n"));
    ck_assert_ptr_nonnull(e2e_header(&r, "ETag", v, sizeof(v)));
    e2e_response_free(&r);
    char req[512];
    snprintf(req, sizeof(req),
             "GET /cors/data.json HTTP/1.0\r\nOrigin: https://app.example\r\n"
             "If-None-Match: %s\r\n\r\n",
             v);
    expect_status_on(p, req, 304, &r);
    expect_header(&r, "Access-Control-Allow-Origin", "https://app.example");
    e2e_response_free(&r);
    expect_status_on(p, "GET /cors/none.json HTTP/1.0\r\nOrigin: https://app.example\r\n\r\n", 404, &r);
    expect_header(&r, "Access-Control-Allow-Origin", "https://app.example");
    e2e_response_free(&r);
    /* without Origin, or from another one: no Access-Control-Allow-Origin */
    expect_status_on(p, "GET /cors/data.json HTTP/1.0\r\n\r\n", 200, &r);
    expect_no_header(&r, "Access-Control-Allow-Origin");
    e2e_response_free(&r);
    expect_status_on(p, "GET /cors/data.json HTTP/1.0\r\nOrigin: https://app.example.evil.test\r\n\r\n", 200, &r);
    expect_no_header(&r, "Access-Control-Allow-Origin");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);

    /* '*': any origin, answered with "*" and no Vary */
    master = lc_start(ARGS("-w", "1", "--cors-origins", "*"), &p);
    expect_status_on(p, PREFLIGHT("https://anyone.test"), 204, &r);
    expect_header(&r, "Access-Control-Allow-Origin", "*");
    expect_header(&r, "Access-Control-Max-Age", "600");
    expect_no_header(&r, "Vary");
    e2e_response_free(&r);
    expect_status_on(p, "GET /cors/data.json HTTP/1.0\r\nOrigin: https://anyone.test\r\n\r\n", 200, &r);
    expect_header(&r, "Access-Control-Allow-Origin", "*");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);

    /* without CORS: OPTIONS is 405 with Allow, a GET with Origin gets nothing */
    master = lc_start(ARGS("-w", "1"), &p);
    expect_status_on(p, PREFLIGHT("https://app.example"), 405, &r);
    expect_header(&r, "Allow", "GET, HEAD");
    expect_no_header(&r, "Access-Control-Allow-Origin");
    e2e_response_free(&r);
    expect_status_on(p, "GET /cors/data.json HTTP/1.0\r\nOrigin: https://app.example\r\n\r\n", 200, &r);
    expect_no_header(&r, "Access-Control-Allow-Origin");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);

    char err[512];
    ck_assert_int_eq(run_binary(ARGS("--cors-origins", "https://app.example/path"), NULL, err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "--cors-origins"));
    ck_assert_int_eq(run_binary(NULL, "OTUSERVER_CORS_ORIGINS=app.example", err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "OTUSERVER_CORS_ORIGINS"));
}
END_TEST

/* GET raw_path on port p expecting status and Location want. */
static void expect_redirect(int p, const char *raw_path, int status, const char *want)
{
    char req[512];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n", raw_path);
    struct e2e_response r;
    expect_status_on(p, req, status, &r);
    expect_header(&r, "Location", want);
    e2e_response_free(&r);
}

START_TEST(test_redirect_rules)
{
    write_text("kept.txt", "kept\n");
    setenv("OTUSERVER_REDIRECTS", "/old/*=/new/*,/blog=https://blog.example.com/:302", 1);
    int p;
    pid_t master =
        lc_start(ARGS("-w", "1", "--redirect", "/old/*=/new/*", "--redirect", "/blog=https://blog.example.com/:302",
                      "--redirect", "/t/*=/temp/*:307", "--redirect", "/p=/perm:308", "--redirect", "/go*=/*"),
                 &p);
    unsetenv("OTUSERVER_REDIRECTS");
    expect_redirect(p, "/blog", 302, "https://blog.example.com/"); /* exact, absolute URL */
    expect_redirect(p, "/old/a/b.html", 301, "/new/a/b.html");     /* prefix, default 301 */
    expect_redirect(p, "/t/x", 307, "/temp/x");
    expect_redirect(p, "/p", 308, "/perm");
    expect_redirect(p, "/old/q?a=1&b=%20", 301, "/new/q?a=1&b=%20");                     /* the query kept */
    expect_redirect(p, "http://h/old/abs", 301, "/new/abs");                             /* absolute-form target */
    expect_redirect(p, "/old/a%20b%3C%22%26/%C3%A9", 301, "/new/a%20b%3C%22%26/%C3%A9"); /* re-encoded */
    expect_redirect(p, "/go//evil.example", 301, "/evil.example");                       /* never //host */
    /* CR LF in the rest: refused before any Location is built */
    struct e2e_response r;
    expect_status_on(p, "GET /old/x%0d%0aSet-Cookie:%20a=b HTTP/1.0\r\n\r\n", 400, &r);
    expect_no_header(&r, "Location");
    expect_no_header(&r, "Set-Cookie");
    e2e_response_free(&r);
    /* HEAD: the same head, no body; files outside the rules are served */
    int fd = e2e_connect(p);
    ck_assert_int_ge(fd, 0);
    const char *head = "HEAD /blog HTTP/1.0\r\n\r\n";
    ck_assert_int_eq(e2e_send(fd, head, strlen(head)), 0);
    ck_assert_int_eq(e2e_read_response(fd, true, &r), 0);
    ck_assert_int_eq(r.status, 302);
    expect_header(&r, "Location", "https://blog.example.com/");
    e2e_response_free(&r);
    close(fd);
    expect_status_on(p, "GET /kept.txt HTTP/1.0\r\n\r\n", 200, &r);
    e2e_response_free(&r);
    expect_status_on(p, "GET /old HTTP/1.0\r\n\r\n", 404, &r);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);

    /* the variable alone, comma-separated */
    setenv("OTUSERVER_REDIRECTS", "/old/*=/new/*:308,/blog=https://blog.example.com/:302", 1);
    master = lc_start(ARGS("-w", "1"), &p);
    unsetenv("OTUSERVER_REDIRECTS");
    expect_redirect(p, "/old/z?k=v", 308, "/new/z?k=v");
    expect_redirect(p, "/blog", 302, "https://blog.example.com/");
    ck_assert_int_eq(e2e_stop(master), 0);

    char err[512];
    ck_assert_int_eq(run_binary(ARGS("--redirect", "/a=/b:303"), NULL, err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "FROM=TO[:CODE]"));
    /* a trailing :NNN is always the code: 999 is refused, not sent as "Location: /b:999" */
    ck_assert_int_eq(run_binary(ARGS("--redirect", "/a=/b:999"), NULL, err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "FROM=TO[:CODE]"));
    ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1); /* one line */
}
END_TEST

/*
 * Issue 24 item 3: a prefix rule whose target ends with its authority
 * ("https://blog.example.com*") carried the rest straight after the host:
 * /blog.evil.com/x went to https://blog.example.com.evil.com/x.  The rest
 * now always starts a path there; a target with a path is joined as before.
 */
START_TEST(test_redirect_rest_never_changes_the_host)
{
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--redirect", "/blog*=https://blog.example.com*", "--redirect",
                                 "/news*=https://news.example.com/posts*"),
                            &p);
    static const char *const cases[][2] = {
        {"/blog.evil.com/x", "https://blog.example.com/.evil.com/x"},
        {"/blog%2eevil.com", "https://blog.example.com/.evil.com"},
        {"/blogx", "https://blog.example.com/x"},
        {"/blog", "https://blog.example.com"},
        {"/blog/", "https://blog.example.com/"},
        {"/blog/a?q=1", "https://blog.example.com/a?q=1"},
        {"/news.evil.com/x", "https://news.example.com/posts.evil.com/x"},
        {"/news%2eevil.com", "https://news.example.com/posts.evil.com"},
        {"/newsx", "https://news.example.com/postsx"},
        {"/news", "https://news.example.com/posts"},
        {"/news/", "https://news.example.com/posts/"},
    };
    for (size_t i = 0; i < OTU_ARRAY_LEN(cases); i++)
        expect_redirect(p, cases[i][0], 301, cases[i][1]);
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* --header lines of the limits test: four of 500 bytes and one of 47, 2047 bytes as sent. */
static void pad_header(char *out, size_t line_len, int i)
{
    int k = snprintf(out, line_len, "X-Pad-%d: ", i);
    memset(out + k, 'a', line_len - 2 - (size_t)k); /* the line as sent ends in CR LF: 2 more */
    out[line_len - 2] = '\0';
}

/*
 * Issue 24 item 7: with 2047 bytes of --header lines, a Location carrying
 * a ~2 KB query is a correct 301 with Date and Server: a folder's slash
 * redirect, a short rule's, and the longest rule's (a 511-byte target).
 * Before, the 4,096-byte head overflowed: a bare 500 without either (and
 * the longest rule's Location, over 2,048 bytes, was a 414).
 */
START_TEST(test_redirect_at_the_limits_is_whole)
{
    static char headers[5][600], rule[600], target[520], query[2001], req[2400];
    static char want[3][2700], path[3][64];
    for (int i = 0; i < 4; i++)
        pad_header(headers[i], 500, i);
    pad_header(headers[4], 47, 4);
    memset(target, 't', 511);
    memcpy(target, "https://", 8);
    memcpy(target + 511 - 7, ".test/*", 8);
    snprintf(rule, sizeof(rule), "/r/*=%s", target);
    memset(query, 'x', 2000);
    memcpy(query, "q=", 2);
    snprintf(path[0], sizeof(path[0]), "/dir2");
    snprintf(want[0], sizeof(want[0]), "/dir2/?%s", query);
    snprintf(path[1], sizeof(path[1]), "/s/x");
    snprintf(want[1], sizeof(want[1]), "/short/x?%s", query);
    snprintf(path[2], sizeof(path[2]), "/r/x");
    snprintf(want[2], sizeof(want[2]), "%.510sx?%s", target, query);
    int p;
    pid_t master =
        lc_start(ARGS("-w", "1", "--header", headers[0], "--header", headers[1], "--header", headers[2], "--header",
                      headers[3], "--header", headers[4], "--redirect", "/s/*=/short/*", "--redirect", rule),
                 &p);
    struct e2e_response r[3];
    for (int i = 0; i < 3; i++) {
        snprintf(req, sizeof(req), "GET %s?%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path[i], query);
        ck_assert_int_eq(e2e_exchange(p, req, &r[i]), 0);
        char date[64];
        printf("a redirect at the limits, %s?(2000 bytes): status %d, a %zu-byte head%s\n", path[i], r[i].status,
               r[i].head_len, e2e_header(&r[i], "Date", date, sizeof(date)) ? "" : " without Date");
    }
    fflush(stdout); /* a failed assertion ends the process: the lines first */
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(r[i].status == 301, "%s?(a 2000-byte query): status %d, expected 301; head:\n%.200s", path[i],
                      r[i].status, r[i].head);
        static char location[2700]; /* longer than expect_header()'s copy */
        ck_assert_ptr_nonnull(e2e_header(&r[i], "Location", location, sizeof(location)));
        ck_assert_msg(strcmp(location, want[i]) == 0, "%s: Location %.80s... (%zu bytes), expected %.80s... (%zu)",
                      path[i], location, strlen(location), want[i], strlen(want[i]));
        char v[128];
        ck_assert_ptr_nonnull(e2e_header(&r[i], "Date", v, sizeof(v)));
        ck_assert_ptr_nonnull(e2e_header(&r[i], "Server", v, sizeof(v)));
        ck_assert_ptr_nonnull(e2e_header(&r[i], "X-Pad-4", v, sizeof(v)));
        e2e_response_free(&r[i]);
    }
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

/* Writes r's body to base_dir/name and returns the path (static). */
static const char *body_to_file(const struct e2e_response *r, const char *name)
{
    static char path[400];
    snprintf(path, sizeof(path), "%s/%s", base_dir, name);
    ck_assert_int_eq(e2e_write_file(path, r->body, r->body_len), 0);
    return path;
}

/* Position of needle in the body (asserts it is there). */
static long body_pos(const struct e2e_response *r, const char *needle)
{
    const char *at = strstr(r->body, needle);
    ck_assert_msg(at != NULL, "the listing lacks %s", needle);
    return (long)(at - r->body);
}

START_TEST(test_autoindex_listing)
{
    make_dir("list");
    make_dir("list/zfolder");
    make_dir("list/.hiddendir");
    write_text("list/a<b>&\"c d.txt", "12345");    /* 5 bytes */
    write_text("list/\xc3\xa9t\xc3\xa9.txt", "1"); /* "été.txt", 1 byte */
    write_text("list/big.txt", "0123456789");      /* 10 bytes, oldest */
    write_text("list/.secret", "s");
    touch_delta("list/big.txt", -100);
    touch_delta("list/\xc3\xa9t\xc3\xa9.txt", -50);
    make_dir("withindex");
    write_text("withindex/index.html", "the index\n");
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "cd '%s' && mkdir -p many && cd many && seq -f 'f%%05g' 1 10005 | xargs touch",
             root_dir);
    ck_assert_int_eq(sh(cmd), 0);
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--autoindex"), &p);
    struct e2e_response r;
    expect_status_on(p, "GET /list/ HTTP/1.0\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Type", "text/html; charset=utf-8");
    expect_no_header(&r, "X-Listing-Truncated");
    /* names escaped in the text, percent-encoded in the links */
    body_pos(&r, "<a href=\"./a%3Cb%3E%26%22c%20d.txt\">a&lt;b&gt;&amp;&quot;c d.txt</a>");
    body_pos(&r, "<a href=\"./%C3%A9t%C3%A9.txt\">\xc3\xa9t\xc3\xa9.txt</a>");
    ck_assert_ptr_null(strstr(r.body, "<b>"));
    ck_assert_ptr_null(strstr(r.body, "secret")); /* dot-files hidden */
    ck_assert_ptr_null(strstr(r.body, "hiddendir"));
    /* folders first, then files by name */
    ck_assert_int_lt(body_pos(&r, "zfolder/"), body_pos(&r, "a&lt;b"));
    ck_assert_int_lt(body_pos(&r, "a&lt;b"), body_pos(&r, ">big.txt<"));
    ck_assert_int_lt(body_pos(&r, ">big.txt<"), body_pos(&r, ">\xc3\xa9t\xc3\xa9.txt<"));
    e2e_response_free(&r);
    /* by size, descending: 10, 5, 1 bytes */
    expect_status_on(p, "GET /list/?sort=size&order=desc HTTP/1.0\r\n\r\n", 200, &r);
    ck_assert_int_lt(body_pos(&r, "zfolder/"), body_pos(&r, ">big.txt<"));
    ck_assert_int_lt(body_pos(&r, ">big.txt<"), body_pos(&r, "a&lt;b"));
    ck_assert_int_lt(body_pos(&r, "a&lt;b"), body_pos(&r, ">\xc3\xa9t\xc3\xa9.txt<"));
    e2e_response_free(&r);
    /* by time, ascending: big.txt (-100 s), été.txt (-50 s), then the newest */
    expect_status_on(p, "GET /list/?sort=time HTTP/1.0\r\n\r\n", 200, &r);
    ck_assert_int_lt(body_pos(&r, ">big.txt<"), body_pos(&r, ">\xc3\xa9t\xc3\xa9.txt<"));
    ck_assert_int_lt(body_pos(&r, ">\xc3\xa9t\xc3\xa9.txt<"), body_pos(&r, "a&lt;b"));
    e2e_response_free(&r);
    /* JSON for Accept: application/json, which python3 parses */
    expect_status_on(p, "GET /list/?sort=size HTTP/1.0\r\nAccept: application/json\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Type", "application/json");
    expect_header(&r, "Vary", "Accept");
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys; d=json.load(sys.stdin); "
             "assert [e[\"name\"] for e in d] == [\"zfolder\", \"\\u00e9t\\u00e9.txt\", \"a<b>&\\\"c d.txt\", "
             "\"big.txt\"], d; "
             "assert d[0][\"type\"] == \"directory\" and d[3] [\"type\"] == \"file\" and d[3][\"size\"] == 10, d; "
             "assert all(set(e) == {\"name\", \"type\", \"size\", \"mtime\"} for e in d)' < '%s'",
             body_to_file(&r, "list.json"));
    ck_assert_int_eq(sh(cmd), 0);
    e2e_response_free(&r);
    /* index.html still wins; HEAD has the length and no body */
    expect_status_on(p, "GET /withindex/ HTTP/1.0\r\n\r\n", 200, &r);
    ck_assert_str_eq(r.body, "the index\n");
    e2e_response_free(&r);
    /* a huge folder: the first 10,000 entries and a note */
    expect_status_on(p, "GET /many/?sort=name HTTP/1.0\r\n\r\n", 200, &r);
    body_pos(&r, "The listing is truncated: only the first 10000 entries are listed.");
    expect_header(&r, "X-Listing-Truncated", "true");
    int rows = 0;
    for (const char *q = r.body; (q = strstr(q, "<tr><td><a href=\"./f")) != NULL; q++)
        rows++;
    ck_assert_int_eq(rows, 10000);
    e2e_response_free(&r);
    expect_status_on(p, "GET /many/ HTTP/1.0\r\nAccept: application/json\r\n\r\n", 200, &r);
    expect_header(&r, "X-Listing-Truncated", "true");
    snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == 10000' < '%s'",
             body_to_file(&r, "many.json"));
    ck_assert_int_eq(sh(cmd), 0);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);

    /* --serve-dotfiles lists dot-names; without --autoindex a folder without index stays 403 */
    master = lc_start(ARGS("-w", "1", "--autoindex", "--serve-dotfiles"), &p);
    expect_status_on(p, "GET /list/ HTTP/1.0\r\n\r\n", 200, &r);
    body_pos(&r, ">.secret<");
    body_pos(&r, ">.hiddendir/<");
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
    master = lc_start(ARGS("-w", "1"), &p);
    expect_status_on(p, "GET /list/ HTTP/1.0\r\n\r\n", 403, &r);
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/many'", root_dir);
    ck_assert_int_eq(sh(cmd), 0);
}
END_TEST

/* Symlinks beside the one file of the listing-bound test: four times the entries a listing may read. */
#define LISTING_LINKS 80000
/* Entries a listing reads at most: AUTOINDEX_READ_FACTOR x AUTOINDEX_ENTRIES_MAX. */
#define LISTING_READ_MAX 20000

/*
 * Issue 24 item 6: a folder of one file and 80,000 symlinks.  A listing
 * reads at most 20,000 entries, listed or not, and looks none of the links
 * up (d_type tells what they are); the page says the listing is truncated
 * and the JSON answer carries X-Listing-Truncated: true.  Before, every
 * entry was read and fstatat()'ed, and nothing said the listing was cut.
 */
START_TEST(test_autoindex_bounded_by_entries_read)
{
    make_dir("links");
    write_text("links/one.txt", "1\n");
    char path[700];
    for (int i = 0; i < LISTING_LINKS; i++) {
        snprintf(path, sizeof(path), "%s/links/l%05d", root_dir, i);
        ck_assert_int_eq(symlink("one.txt", path), 0);
    }
    int p;
    pid_t master = lc_start(ARGS("-w", "1", "--autoindex", "-l", "debug"), &p);
    struct e2e_response r;
    long long t0 = e2e_now_ms();
    expect_status_on(p, "GET /links/ HTTP/1.0\r\n\r\n", 200, &r);
    long long html_ms = e2e_now_ms() - t0;
    char v[64];
    const char *header = e2e_header(&r, "X-Listing-Truncated", v, sizeof(v));
    bool says = strstr(r.body, "The listing is truncated") != NULL;
    e2e_response_free(&r);
    expect_status_on(p, "GET /links/ HTTP/1.0\r\nAccept: application/json\r\n\r\n", 200, &r);
    const char *json_header = e2e_header(&r, "X-Listing-Truncated", v, sizeof(v));
    expect_header(&r, "Content-Type", "application/json");
    char cmd[700];
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys; d=json.load(sys.stdin); "
             "assert all(e[\"name\"] == \"one.txt\" for e in d), d' < '%s'",
             body_to_file(&r, "links.json"));
    ck_assert_int_eq(sh(cmd), 0);
    e2e_response_free(&r);
    char *log = wait_for_log(lc_log, "autoindex: /links/: ", slow(2000));
    const char *line = log ? strstr(log, "autoindex: /links/: ") : NULL;
    long read = -1, looked_up = -1;
    if (line != NULL)
        sscanf(line, "autoindex: /links/: %ld entries read, %ld looked up", &read, &looked_up);
    free(log);
    printf("a listing of 1 file among %d symlinks: %lld ms; %ld entries read, %ld looked up; header %s, "
           "the page %s\n",
           LISTING_LINKS, html_ms, read, looked_up, header ? header : "absent",
           says ? "says it is truncated" : "says nothing");
    fflush(stdout);
    ck_assert_msg(json_header != NULL && strcmp(json_header, "true") == 0,
                  "the JSON listing has no X-Listing-Truncated: true");
    ck_assert_msg(says, "the HTML listing does not say it is truncated");
    ck_assert_msg(read == LISTING_READ_MAX, "%ld entries read, expected %d", read, LISTING_READ_MAX);
    ck_assert_msg(looked_up >= 0 && looked_up <= 1, "%ld entries looked up: the links were stat()ed", looked_up);
    ck_assert_int_eq(e2e_stop(master), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/links'", root_dir);
    ck_assert_int_eq(sh(cmd), 0);
}
END_TEST

START_TEST(test_index_names_and_charset)
{
    make_dir("htm");
    write_text("htm/index.htm", "the htm index\n");
    make_dir("both");
    write_text("both/index.html", "html first\n");
    write_text("both/index.htm", "htm second\n");
    write_text("cs.html", "<p>x</p>\n");
    write_text("cs.js", "x\n");
    write_text("cs.json", "{}\n");
    write_text("cs.png", "x");
    int p;
    pid_t master = lc_start(ARGS("-w", "1"), &p);
    struct e2e_response r;
    expect_status_on(p, "GET /htm/ HTTP/1.0\r\n\r\n", 403, &r); /* the default: index.html only */
    e2e_response_free(&r);
    expect_status_on(p, "GET /cs.html HTTP/1.0\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Type", "text/html"); /* the classic contract: no charset */
    e2e_response_free(&r);
    ck_assert_int_eq(e2e_stop(master), 0);

    master = lc_start(ARGS("-w", "1", "--index", "index.html,index.htm", "--charset", "utf-8"), &p);
    expect_status_on(p, "GET /htm/ HTTP/1.0\r\n\r\n", 200, &r);
    ck_assert_mem_eq(r.body, "the htm index\n", 14);
    expect_header(&r, "Content-Type", "text/html; charset=utf-8"); /* the type of the file served */
    e2e_response_free(&r);
    expect_status_on(p, "GET /both/ HTTP/1.0\r\n\r\n", 200, &r);
    ck_assert_mem_eq(r.body, "html first\n", 11); /* the first name listed wins */
    e2e_response_free(&r);
    static const char *const types[][2] = {{"/cs.html", "text/html; charset=utf-8"},
                                           {"/cs.js", "application/javascript; charset=utf-8"},
                                           {"/cs.json", "application/json; charset=utf-8"},
                                           {"/cs.png", "image/png"}};
    for (size_t i = 0; i < OTU_ARRAY_LEN(types); i++) {
        char req[96];
        snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", types[i][0]);
        expect_status_on(p, req, 200, &r);
        expect_header(&r, "Content-Type", types[i][1]);
        e2e_response_free(&r);
    }
    ck_assert_int_eq(e2e_stop(master), 0);
}
END_TEST

TCase *e2e_edges_tcase(void)
{
    TCase *tc = tcase_create("edges");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    tcase_add_test(tc, test_dual_stack_default_serves_v6_and_v4);
    tcase_add_test(tc, test_bind_bracketed_ipv6_literal);
    tcase_add_test(tc, test_healthcheck_client_follows_ipv6_bind);
    tcase_add_test(tc, test_service_link_variable_ignored_with_a_warning);
    tcase_add_test(tc, test_server_tokens);
    tcase_add_test(tc, test_mime_table_and_overrides);
    tcase_add_test(tc, test_index_names_and_charset);
    tcase_add_test(tc, test_cors_preflight_and_simple_requests);
    tcase_add_test(tc, test_redirect_rules);
    tcase_add_test(tc, test_autoindex_listing);
    tcase_add_test(tc, test_redirect_rest_never_changes_the_host);
    tcase_add_test(tc, test_redirect_at_the_limits_is_whole);
    tcase_add_test(tc, test_autoindex_bounded_by_entries_read);
    return tc;
}

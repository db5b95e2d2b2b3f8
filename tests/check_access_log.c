/*
 * check_access_log.c - access-line formats, escaping and cutting.
 */
#include "compat.h"

#include "access_log.h"

#include "check_run.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Strict checks of a JSON line, written independently of access_log.c:
 * utf8_valid() decodes code points and rejects overlong forms, surrogates
 * and values past U+10FFFF; json_valid() accepts exactly one RFC 8259 value
 * (strings with only the escapes JSON defines, no raw control bytes).
 */
static bool utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n)
            return false;
        unsigned long cp = len == 1 ? c : c & (0x7f >> len);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        static const unsigned long min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

struct json_cursor {
    const char *p;
    const char *end;
};

static bool json_value(struct json_cursor *j);

static void json_space(struct json_cursor *j)
{
    while (j->p < j->end && strchr(" \t\r\n", *j->p) != NULL && *j->p != '\0')
        j->p++;
}

static bool json_string(struct json_cursor *j)
{
    if (j->p >= j->end || *j->p != '"')
        return false;
    for (j->p++; j->p < j->end;) {
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"')
            return true;
        if (c < 0x20)
            return false;
        if (c != '\\')
            continue;
        if (j->p >= j->end)
            return false;
        c = (unsigned char)*j->p++;
        if (c == 'u') {
            for (int k = 0; k < 4; k++, j->p++) {
                if (j->p >= j->end || strchr("0123456789abcdefABCDEF", *j->p) == NULL || *j->p == '\0')
                    return false;
            }
        } else if (c == '\0' || strchr("\"\\/bfnrt", c) == NULL) {
            return false;
        }
    }
    return false;
}

static bool json_number(struct json_cursor *j)
{
    const char *start = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    size_t digits = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++, digits++;
    if (digits == 0 || (digits > 1 && start[start[0] == '-'] == '0'))
        return false;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        digits = 0;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++, digits++;
        if (digits == 0)
            return false;
    }
    return true;
}

/* An object or an array: members separated by commas, nothing trailing. */
static bool json_container(struct json_cursor *j, char close, bool keyed)
{
    j->p++;
    json_space(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return true;
    }
    for (;;) {
        json_space(j);
        if (keyed) {
            if (!json_string(j))
                return false;
            json_space(j);
            if (j->p >= j->end || *j->p++ != ':')
                return false;
        }
        if (!json_value(j))
            return false;
        json_space(j);
        if (j->p >= j->end)
            return false;
        char c = *j->p++;
        if (c == close)
            return true;
        if (c != ',')
            return false;
    }
}

static bool json_value(struct json_cursor *j)
{
    json_space(j);
    if (j->p >= j->end)
        return false;
    switch (*j->p) {
    case '{': return json_container(j, '}', true);
    case '[': return json_container(j, ']', false);
    case '"': return json_string(j);
    default: return json_number(j);
    }
}

/* True when line[0..n) is one JSON value followed by a single newline, all valid UTF-8. */
static bool json_line_valid(const char *line, size_t n)
{
    if (n == 0 || line[n - 1] != '\n' || !utf8_valid((const unsigned char *)line, n))
        return false;
    struct json_cursor j = {line, line + n - 1};
    return json_value(&j) && j.p == j.end;
}

static struct access_record make_record(const char *target, const char *agent)
{
    struct access_record r;
    memset(&r, 0, sizeof(r));
    r.peer = "192.0.2.7";
    r.method = (struct http_slice){"GET", 3};
    r.target = (struct http_slice){target, strlen(target)};
    r.minor_version = 1;
    r.status = 200;
    r.body_bytes = 38;
    r.duration_us = 1234;
    r.referer = (struct http_slice){NULL, 0};
    r.user_agent = agent ? (struct http_slice){agent, strlen(agent)} : (struct http_slice){NULL, 0};
    r.when.tv_sec = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    r.when.tv_nsec = 250000000;
    return r;
}

START_TEST(test_combined_exact)
{
    struct access_record r = make_record("/a?b=c", "curl/8");
    char out[4000];
    size_t n = access_log_format(ACCESS_LOG_COMBINED, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_str_eq(out, "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] \"GET /a?b=c HTTP/1.1\" 200 38 \"-\" "
                          "\"curl/8\" 0.001234\n");
}
END_TEST

START_TEST(test_json_exact)
{
    struct access_record r = make_record("/x", NULL);
    char out[4000];
    size_t n = access_log_format(ACCESS_LOG_JSON, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_str_eq(
        out,
        "{\"time\":\"1994-11-06T08:49:37.250Z\",\"remote_addr\":\"192.0.2.7\","
        "\"peer\":\"192.0.2.7\",\"request\":\"GET /x HTTP/1.1\",\"method\":\"GET\",\"target\":\"/x\",\"status\":200,"
        "\"bytes\":38,\"referer\":\"\",\"user_agent\":\"\",\"duration_ms\":1.234}\n");
}
END_TEST

/* Behind a trusted proxy: the client leads, the peer and the request id follow (JSON: fields). */
START_TEST(test_client_peer_and_request_id)
{
    struct access_record r = make_record("/x", NULL);
    r.client = "203.0.113.9";
    r.request_id = "abc-123";
    char out[4000];
    size_t n = access_log_format(ACCESS_LOG_COMBINED, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_str_eq(out, "203.0.113.9 - - [06/Nov/1994:08:49:37 +0000] \"GET /x HTTP/1.1\" 200 38 \"-\" "
                          "\"-\" 0.001234 peer=192.0.2.7 request_id=abc-123\n");
    n = access_log_format(ACCESS_LOG_TEXT, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_msg(strstr(out, "] info: 203.0.113.9 \"GET /x HTTP/1.1\" 200 38 1.234ms peer=192.0.2.7 "
                              "request_id=abc-123\n") != NULL,
                  "%s", out);
    n = access_log_format(ACCESS_LOG_JSON, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_msg(strstr(out, "\"remote_addr\":\"203.0.113.9\",\"peer\":\"192.0.2.7\",\"request_id\":\"abc-123\","),
                  "%s", out);
    r.client = "192.0.2.7"; /* the peer is the client: nothing more in text */
    r.request_id = NULL;
    n = access_log_format(ACCESS_LOG_TEXT, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_ptr_null(strstr(out, "peer="));
    ck_assert_ptr_null(strstr(out, "request_id"));
}
END_TEST

START_TEST(test_hostile_bytes_are_escaped)
{
    static const char target[] = "/\"a\\b\n\r\x01\xff";
    struct access_record r = make_record(target, "x\" \"forged");
    char out[4000];
    size_t n = access_log_format(ACCESS_LOG_COMBINED, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_ptr_nonnull(strstr(out, "/\\x22a\\x5cb\\x0a\\x0d\\x01\\xff"));
    ck_assert_ptr_nonnull(strstr(out, "x\\x22 \\x22forged"));
    ck_assert_ptr_eq(strchr(out, '\n'), out + n - 1); /* exactly one line */
    n = access_log_format(ACCESS_LOG_JSON, &r, out, sizeof(out));
    out[n] = '\0';
    /* \xff is no UTF-8 character: U+FFFD stands in for it */
    ck_assert_ptr_nonnull(strstr(out, "/\\\"a\\\\b\\u000a\\u000d\\u0001\\ufffd"));
    ck_assert_ptr_eq(strchr(out, '\n'), out + n - 1);
    ck_assert(json_line_valid(out, n));
}
END_TEST

START_TEST(test_long_fields_are_cut_to_fit)
{
    char *target = malloc(20000);
    memset(target, '"', 19999); /* the worst case: every byte escaped */
    target[0] = '/';
    target[19999] = '\0';
    char *agent = malloc(20000);
    memset(agent, '\x01', 19999);
    agent[19999] = '\0';
    struct access_record r = make_record(target, agent);
    char out[4000];
    for (int f = ACCESS_LOG_TEXT; f <= ACCESS_LOG_JSON; f++) {
        size_t n = access_log_format((enum access_log_format)f, &r, out, sizeof(out));
        ck_assert_uint_le(n, sizeof(out));
        ck_assert_int_eq(out[n - 1], '\n');
        out[n - 1] = '\0';
        ck_assert_ptr_nonnull(strstr(out, "..."));
        if (f == ACCESS_LOG_JSON) {
            ck_assert_int_eq(out[n - 2], '}'); /* still a whole object */
            out[n - 1] = '\n';
            ck_assert(json_line_valid(out, n));
        }
    }
    free(target);
    free(agent);
}
END_TEST

/* The checker itself must refuse what it is there to catch. */
START_TEST(test_strict_checker_refuses_bad_lines)
{
    static const char *const bad[] = {
        "{\"a\":\"\\u00\"}\n",        /* short \u escape */
        "{\"a\":\"\\x41\"}\n",        /* \x is no JSON escape */
        "{\"a\":\"\x01\"}\n",         /* raw control byte */
        "{\"a\":\"\xc3\"}\n",         /* cut UTF-8 sequence */
        "{\"a\":\"\xc0\xaf\"}\n",     /* overlong '/' */
        "{\"a\":\"\xed\xa0\x80\"}\n", /* UTF-16 surrogate */
        "{\"a\":1,}\n",               /* trailing comma */
        "{\"a\":1}",                  /* no newline */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!json_line_valid(bad[i], strlen(bad[i])), "accepted bad line %zu", i);
    static const char good[] = "{\"a\":\"caf\xc3\xa9 \\u00e9 \\ufffd \\\"\\\\\",\"n\":-1.25,\"o\":[]}\n";
    ck_assert(json_line_valid(good, strlen(good)));
}
END_TEST

/* UTF-8 in the target and headers reaches the JSON line as the characters themselves. */
START_TEST(test_json_utf8_passes_through)
{
    struct access_record r = make_record("/caf\xc3\xa9/\xe2\x9c\x93", "Mozilla \xf0\x9f\x98\x80 \xc3\xbc");
    char out[4000];
    size_t n = access_log_format(ACCESS_LOG_JSON, &r, out, sizeof(out));
    ck_assert(json_line_valid(out, n));
    out[n] = '\0';
    ck_assert_ptr_nonnull(strstr(out, "\"target\":\"/caf\xc3\xa9/\xe2\x9c\x93\""));
    ck_assert_ptr_nonnull(strstr(out, "\"user_agent\":\"Mozilla \xf0\x9f\x98\x80 \xc3\xbc\""));
    ck_assert_ptr_null(strstr(out, "\\u00c3")); /* no mojibake: bytes are not code points */
    /* the text formats stay ASCII */
    n = access_log_format(ACCESS_LOG_COMBINED, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_ptr_nonnull(strstr(out, "/caf\\xc3\\xa9/"));
}
END_TEST

/* Bytes that are not well-formed UTF-8, each inside a field: the line stays strict JSON. */
static const struct {
    const char *name;
    const char *bytes;
} bad_utf8[] = {
    {"lone 0xff", "\xff"},
    {"lone continuation", "\x80"},
    {"cut at the end", "\xc3"},
    {"cut before ASCII", "\xe2\x9c("},
    {"overlong slash", "\xc0\xaf"},
    {"overlong 3-byte", "\xe0\x80\xaf"},
    {"surrogate", "\xed\xa0\x80"},
    {"past U+10FFFF", "\xf4\x90\x80\x80"},
    {"5-byte form", "\xf8\x88\x80\x80\x80"},
    {"0xfe 0xff", "\xfe\xff"},
};

START_TEST(test_json_invalid_utf8_is_replaced)
{
    char target[64], agent[64];
    snprintf(target, sizeof(target), "/a%sb", bad_utf8[_i].bytes);
    snprintf(agent, sizeof(agent), "ua %s", bad_utf8[_i].bytes);
    struct access_record r = make_record(target, agent);
    r.referer = (struct http_slice){bad_utf8[_i].bytes, strlen(bad_utf8[_i].bytes)};
    char out[4000];
    size_t n = access_log_format(ACCESS_LOG_JSON, &r, out, sizeof(out));
    ck_assert_msg(json_line_valid(out, n), "%s: not strict JSON", bad_utf8[_i].name);
    out[n] = '\0';
    ck_assert_msg(strstr(out, "\"target\":\"/a\\ufffd") != NULL, "%s: %s", bad_utf8[_i].name, out);
}
END_TEST

/* A field cut to fit ends between characters, never inside one. */
START_TEST(test_json_cut_keeps_whole_characters)
{
    for (size_t shift = 0; shift < 4; shift++) {
        char *target = malloc(8000);
        size_t len = 0;
        target[len++] = '/';
        for (size_t k = 0; k < shift; k++)
            target[len++] = 'x';
        while (len + 4 < 7999) {
            memcpy(target + len, "\xf0\x9f\x98\x80", 4); /* 4-byte characters */
            len += 4;
        }
        target[len] = '\0';
        struct access_record r = make_record(target, target);
        char out[4000];
        size_t n = access_log_format(ACCESS_LOG_JSON, &r, out, sizeof(out));
        ck_assert_msg(json_line_valid(out, n), "shift %zu: not strict JSON", shift);
        /* even a line buffer too small for the fields keeps whole characters */
        char small[600];
        n = access_log_format(ACCESS_LOG_JSON, &r, small, sizeof(small));
        ck_assert(utf8_valid((const unsigned char *)small, n));
        free(target);
    }
}
END_TEST

START_TEST(test_unparsed_request_is_dash)
{
    struct access_record r = make_record("/", NULL);
    r.method = (struct http_slice){NULL, 0};
    r.minor_version = -1;
    r.status = 400;
    char out[4000];
    size_t n = access_log_format(ACCESS_LOG_COMBINED, &r, out, sizeof(out));
    out[n] = '\0';
    ck_assert_ptr_nonnull(strstr(out, "\"-\" 400 "));
}
END_TEST

START_TEST(test_parse_format)
{
    ck_assert_int_eq(access_log_parse_format("text"), ACCESS_LOG_TEXT);
    ck_assert_int_eq(access_log_parse_format("combined"), ACCESS_LOG_COMBINED);
    ck_assert_int_eq(access_log_parse_format("json"), ACCESS_LOG_JSON);
    ck_assert_int_eq(access_log_parse_format("JSON"), -1);
    ck_assert_int_eq(access_log_parse_format(""), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("access_log");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_combined_exact);
    tcase_add_test(tc, test_json_exact);
    tcase_add_test(tc, test_client_peer_and_request_id);
    tcase_add_test(tc, test_hostile_bytes_are_escaped);
    tcase_add_test(tc, test_long_fields_are_cut_to_fit);
    tcase_add_test(tc, test_strict_checker_refuses_bad_lines);
    tcase_add_test(tc, test_json_utf8_passes_through);
    tcase_add_loop_test(tc, test_json_invalid_utf8_is_replaced, 0, (int)(sizeof(bad_utf8) / sizeof(bad_utf8[0])));
    tcase_add_test(tc, test_json_cut_keeps_whole_characters);
    tcase_add_test(tc, test_unparsed_request_is_dash);
    tcase_add_test(tc, test_parse_format);
    suite_add_tcase(s, tc);
    return check_run(s);
}

/*
 * check_auth.c - basic authentication's pieces: the htpasswd parser, the
 * keyed digest, the cache of accepted credentials (expiry, bound) and the
 * per-address limiter, with a fake clock (plain numbers for now_ms).
 */
#include "compat.h"

#include "auth.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* crypt("secret", ...) on this machine's libxcrypt; also what musl computes. */
#define BCRYPT_SECRET "$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u"
#define SHA512_SECRET                                                                           \
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq." \
    "H91p5hVO1"
#define SHA256_SECRET "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA"

static struct auth_users users;

static const struct parse_case {
    const char *name;
    const char *text;
    int rc;          /* 0 or -1 */
    int count;       /* users when rc is 0 */
    const char *err; /* part of the error when rc is -1 */
} parse_cases[] = {
    {"bcrypt 2b", "alice:" BCRYPT_SECRET "\n", 0, 1, NULL},
    {"bcrypt 2y", "alice:$2y$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u", 0, 1, NULL},
    {"sha-256 and sha-512", "a:" SHA256_SECRET "\nb:" SHA512_SECRET "\n", 0, 2, NULL},
    {"sha-512 with rounds",
     "a:$6$rounds=5000$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0a"
     "Dehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1\n",
     0, 1, NULL},
    {"comments, blank lines, CRLF", "# editors\n\r\n  \nalice:" BCRYPT_SECRET "\r\n", 0, 1, NULL},
    {"empty file", "", 0, 0, NULL},
    {"no colon", "alice\n", -1, 0, "line 1: expected user:hash"},
    {"empty user", ":" BCRYPT_SECRET "\n", -1, 0, "user name"},
    {"apr1 refused", "# x\na:$apr1$abcdefgh$abcdefghijklmnopqrstuv\n", -1, 0, "line 2:"},
    {"plain text refused", "a:secret\n", -1, 0, "plain text"},
    {"crypt DES refused", "a:abNANd1rDfiNc\n", -1, 0, "bcrypt"},
    {"bcrypt too short", "a:$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2\n", -1, 0, "bcrypt"},
    {"bcrypt bad character", "a:$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2*\n", -1, 0, "bcrypt"},
    {"2a refused", "a:$2a$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u\n", -1, 0, "bcrypt"},
    {"sha-512 short hash", "a:$6$saltsalt$TVLl\n", -1, 0, "SHA-crypt"},
    {"sha salt too long", "a:$5$saltsaltsaltsaltX$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA\n", -1, 0, "SHA-crypt"},
    {"duplicate user", "a:" BCRYPT_SECRET "\na:" SHA256_SECRET "\n", -1, 0, "line 2: user 'a' appears twice"},
};

START_TEST(test_parse)
{
    const struct parse_case *c = &parse_cases[_i];
    char err[256] = "";
    int rc = auth_users_parse(c->text, strlen(c->text), &users, err, sizeof(err));
    ck_assert_msg(rc == c->rc, "%s: rc %d (%s)", c->name, rc, err);
    if (rc == 0)
        ck_assert_msg(users.count == c->count, "%s: %d users", c->name, users.count);
    else
        ck_assert_msg(strstr(err, c->err) != NULL, "%s: error '%s'", c->name, err);
}
END_TEST

START_TEST(test_parse_fields_and_kinds)
{
    const char *text = "alice:" BCRYPT_SECRET "\nbob:" SHA512_SECRET "\ncarol:" SHA256_SECRET;
    char err[256];
    ck_assert_int_eq(auth_users_parse(text, strlen(text), &users, err, sizeof(err)), 0);
    ck_assert_str_eq(users.user[0].name, "alice");
    ck_assert_str_eq(users.user[0].hash, BCRYPT_SECRET);
    ck_assert_int_eq(users.user[0].kind, AUTH_HASH_BCRYPT);
    ck_assert_int_eq(users.user[1].kind, AUTH_HASH_SHA512);
    ck_assert_int_eq(users.user[2].kind, AUTH_HASH_SHA256);
    ck_assert_str_eq(users.user[2].name, "carol");
}
END_TEST

START_TEST(test_parse_user_bound)
{
    size_t cap = (AUTH_USERS_MAX + 1) * 90;
    char *text = malloc(cap);
    size_t len = 0;
    for (int i = 0; i <= AUTH_USERS_MAX; i++)
        len += (size_t)snprintf(text + len, cap - len, "u%d:%s\n", i, SHA256_SECRET);
    char err[256];
    ck_assert_int_eq(auth_users_parse(text, len, &users, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "more than 1024 users") != NULL, "%s", err);
    free(text);
}
END_TEST

START_TEST(test_file_check)
{
    char path[] = "/tmp/otu-auth-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *text = "alice:" BCRYPT_SECRET "\nbob:" SHA512_SECRET "\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    char err[256] = "";
    ck_assert_msg(auth_file_check(path, err, sizeof(err)) == 0, "%s", err);
    unlink(path);
    ck_assert_int_eq(auth_file_check(path, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
}
END_TEST

START_TEST(test_equal_ct)
{
    ck_assert(auth_equal_ct("abcdef", "abcdef", 6));
    ck_assert(!auth_equal_ct("abcdef", "abcdeg", 6));
    ck_assert(!auth_equal_ct("xbcdef", "abcdef", 6));
    ck_assert(auth_equal_ct("", "", 0));
}
END_TEST

/* The reference vectors of the SipHash paper: key 00..0f, messages 00, 01, ... */
START_TEST(test_siphash_vectors)
{
    const uint64_t k[2] = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
    unsigned char msg[15];
    for (int i = 0; i < 15; i++)
        msg[i] = (unsigned char)i;
    ck_assert_uint_eq(auth_siphash(k, msg, 0), 0x726fdb47dd0e0e31ULL);
    ck_assert_uint_eq(auth_siphash(k, msg, 15), 0xa129ca6149be45e5ULL);
    const uint64_t k2[2] = {1, 2};
    ck_assert_uint_ne(auth_siphash(k2, msg, 15), 0xa129ca6149be45e5ULL);
}
END_TEST

static struct auth_cache cache;
static const uint64_t test_key[4] = {1, 2, 3, 4};

START_TEST(test_cache_hit_miss_expiry)
{
    auth_cache_init(&cache, test_key);
    const char *v = "Basic YWxpY2U6c2VjcmV0";
    ck_assert_int_eq(auth_cache_lookup(&cache, v, strlen(v), 1000), -1);
    auth_cache_store(&cache, v, strlen(v), 7, 1000);
    ck_assert_int_eq(auth_cache_lookup(&cache, v, strlen(v), 1000), 7);
    ck_assert_int_eq(auth_cache_lookup(&cache, v, strlen(v), 1000 + AUTH_CACHE_TTL_MS - 1), 7);
    ck_assert_int_eq(auth_cache_lookup(&cache, v, strlen(v), 1000 + AUTH_CACHE_TTL_MS), -1);
    /* one byte more, one byte less, one byte different: misses */
    ck_assert_int_eq(auth_cache_lookup(&cache, v, strlen(v) - 1, 1000), -1);
    ck_assert_int_eq(auth_cache_lookup(&cache, "Basic YWxpY2U6c2VjcmV1", strlen(v), 1000), -1);
    /* storing again refreshes */
    auth_cache_store(&cache, v, strlen(v), 7, 50000);
    ck_assert_int_eq(auth_cache_lookup(&cache, v, strlen(v), 1000 + AUTH_CACHE_TTL_MS), 7);
    auth_cache_clear(&cache);
    ck_assert_int_eq(auth_cache_lookup(&cache, v, strlen(v), 50000), -1);
}
END_TEST

START_TEST(test_cache_bound)
{
    auth_cache_init(&cache, test_key);
    char v[64];
    int n = AUTH_CACHE_SLOTS * 4;
    for (int i = 0; i < n; i++) {
        snprintf(v, sizeof(v), "Basic value-%d", i);
        auth_cache_store(&cache, v, strlen(v), i, 1000 + i); /* later ones expire later */
    }
    int hits = 0, recent = 0;
    for (int i = 0; i < n; i++) {
        snprintf(v, sizeof(v), "Basic value-%d", i);
        int u = auth_cache_lookup(&cache, v, strlen(v), 2000);
        if (u >= 0) {
            ck_assert_int_eq(u, i);
            hits++;
            recent += i >= n - AUTH_CACHE_SLOTS / 2;
        }
    }
    ck_assert_int_le(hits, AUTH_CACHE_SLOTS);
    ck_assert_int_ge(hits, AUTH_CACHE_SLOTS / 2); /* the sets fill up */
    /* the oldest of a set goes first, so most of the newest values are still there */
    ck_assert_int_ge(recent, AUTH_CACHE_SLOTS / 4);
}
END_TEST

static struct auth_limiter lim;

START_TEST(test_limiter_burst_and_refill)
{
    auth_limiter_init(&lim);
    int64_t t = 10000;
    for (int i = 0; i < AUTH_PEER_BURST; i++) {
        ck_assert_msg(auth_limiter_allow(&lim, "192.0.2.1", t), "failure %d", i);
        auth_limiter_fail(&lim, "192.0.2.1", t);
    }
    ck_assert(!auth_limiter_allow(&lim, "192.0.2.1", t));
    ck_assert(!auth_limiter_allow(&lim, "192.0.2.1", t + AUTH_PEER_REFILL_MS - 1));
    ck_assert(auth_limiter_allow(&lim, "192.0.2.1", t + AUTH_PEER_REFILL_MS)); /* one more */
    auth_limiter_fail(&lim, "192.0.2.1", t + AUTH_PEER_REFILL_MS);
    ck_assert(!auth_limiter_allow(&lim, "192.0.2.1", t + AUTH_PEER_REFILL_MS));
    /* other addresses are not affected */
    ck_assert(auth_limiter_allow(&lim, "192.0.2.2", t));
    /* a long quiet time gives back a burst, not more */
    int64_t later = t + 3600 * 1000;
    int allowed = 0;
    while (auth_limiter_allow(&lim, "192.0.2.1", later) && allowed < 100) {
        auth_limiter_fail(&lim, "192.0.2.1", later);
        allowed++;
    }
    ck_assert_int_eq(allowed, AUTH_PEER_BURST);
}
END_TEST

/* Addresses of one IPv6 /64 share a budget; another /64 and IPv4 do not. */
START_TEST(test_limiter_ipv6_by_prefix)
{
    auth_limiter_init(&lim);
    for (int i = 0; i < AUTH_PEER_BURST; i++) {
        char addr[48];
        snprintf(addr, sizeof(addr), "2001:db8:1:2::%x", i + 1); /* a new address each time */
        auth_limiter_fail(&lim, addr, 0);
    }
    ck_assert(!auth_limiter_allow(&lim, "2001:db8:1:2:ffff::9", 0));
    ck_assert(auth_limiter_allow(&lim, "2001:db8:1:3::1", 0));
    ck_assert(auth_limiter_allow(&lim, "192.0.2.1", 0));
}
END_TEST

/* A full table drops the address with the most credit, so an attacker cannot flush itself out. */
START_TEST(test_limiter_full_table_keeps_attacker)
{
    auth_limiter_init(&lim);
    for (int i = 0; i < AUTH_PEER_BURST; i++)
        auth_limiter_fail(&lim, "198.51.100.66", 0);
    char addr[48];
    for (int i = 0; i < AUTH_PEERS_MAX * 2; i++) {
        snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 256, i % 256);
        auth_limiter_fail(&lim, addr, 100);
    }
    ck_assert(!auth_limiter_allow(&lim, "198.51.100.66", 100));
}
END_TEST

static Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *parse = tcase_create("htpasswd");
    tcase_add_loop_test(parse, test_parse, 0, (int)OTU_ARRAY_LEN(parse_cases));
    tcase_add_test(parse, test_parse_fields_and_kinds);
    tcase_add_test(parse, test_parse_user_bound);
    tcase_add_test(parse, test_file_check);
    tcase_set_timeout(parse, 20);
    suite_add_tcase(s, parse);
    TCase *cachetc = tcase_create("cache");
    tcase_add_test(cachetc, test_equal_ct);
    tcase_add_test(cachetc, test_siphash_vectors);
    tcase_add_test(cachetc, test_cache_hit_miss_expiry);
    tcase_add_test(cachetc, test_cache_bound);
    suite_add_tcase(s, cachetc);
    TCase *limiter = tcase_create("limiter");
    tcase_add_test(limiter, test_limiter_burst_and_refill);
    tcase_add_test(limiter, test_limiter_full_table_keeps_attacker);
    tcase_add_test(limiter, test_limiter_ipv6_by_prefix);
    suite_add_tcase(s, limiter);
    return s;
}

int main(void)
{
    return check_run(auth_suite());
}

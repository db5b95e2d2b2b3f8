/*
 * auth.h - HTTP Basic authentication (--basic-auth-file), kept cheap.
 *
 * Users and password hashes come from an htpasswd file ("user:hash" lines;
 * bcrypt $2y$/$2b$ and SHA-crypt $5$/$6$, checked by libc's crypt()).  A
 * bcrypt check costs tens of milliseconds, and a worker is one thread, so
 * crypt() must not become a lever against the other clients:
 *   - a cache remembers accepted credentials by a keyed digest (SipHash
 *     with a per-process random key) of the decoded "user:password", not of
 *     the header's spelling (basic or BASIC, extra spaces, base64 padding),
 *     so a login costs one crypt() at most, however many requests and
 *     spellings follow;
 *   - a limiter gives each client address a small budget of failed checks
 *     (a token bucket); past it the answer is 429 without any crypt();
 *   - the connection closes after AUTH_CONN_FAILURES_MAX wrong credentials.
 * The cache, the limiter and the htpasswd parser take their inputs (time
 * included) as arguments, so the unit tests drive them with a fake clock.
 */
#ifndef OTU_AUTH_H
#define OTU_AUTH_H

#include "reply.h"
#include "http_parser.h"
#include "metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Users one file may hold: a site's editors, not a user database (start fails above). */
#define AUTH_USERS_MAX 1024
/* Longest user name, bytes. */
#define AUTH_USER_MAX 64
/* Longest hash: $6$rounds=999999999$ + 16-byte salt + 86 = 123; bcrypt is 60. */
#define AUTH_HASH_MAX 128
/* Largest htpasswd file read: 1024 lines of at most ~200 bytes. */
#define AUTH_FILE_MAX ((size_t)256 * 1024)
/* Longest Authorization value looked at: "Basic " + base64 of user:password (≤ 255 bytes);
 * a longer one is refused with 401 before any hashing. */
#define AUTH_HEADER_MAX 350
/* Remembered accepted credentials per worker: more users than a site has at once. */
#define AUTH_CACHE_SLOTS 256
/* Entries per cache set (AUTH_CACHE_SLOTS / AUTH_CACHE_WAYS sets). */
#define AUTH_CACHE_WAYS 4
/* How long an accepted value is trusted without crypt(): a removed user is locked out
 * within this (SIGHUP empties the cache at once). */
#define AUTH_CACHE_TTL_MS 60000
/* Client addresses the limiter tracks per worker; the least suspicious is dropped first. */
#define AUTH_PEERS_MAX 256
/* Failed checks a client may make in a burst before it gets 429... */
#define AUTH_PEER_BURST 5
/* ...then one more every this long: about 30 bcrypt checks a minute per address at most. */
#define AUTH_PEER_REFILL_MS 2000
/* Wrong credentials on one connection before it is closed (a browser retries by hand). */
#define AUTH_CONN_FAILURES_MAX 3
/* Longest --basic-auth-realm. */
#define AUTH_REALM_MAX 64

/* The kinds of hash a line may hold. */
enum auth_hash_kind {
    AUTH_HASH_BCRYPT = 0, /* $2y$ or $2b$ */
    AUTH_HASH_SHA256,     /* $5$ */
    AUTH_HASH_SHA512,     /* $6$ */
    AUTH_HASH_KINDS
};

struct auth_user {
    char name[AUTH_USER_MAX]; /* user name, NUL-terminated */
    char hash[AUTH_HASH_MAX]; /* crypt() string, NUL-terminated */
    enum auth_hash_kind kind; /* which scheme hash uses */
};

struct auth_users {
    int count;                             /* entries in user[] */
    struct auth_user user[AUTH_USERS_MAX]; /* in file order */
};

/*
 * Parses htpasswd text (len bytes): "user:hash" lines, blank lines and
 * "#" comments.  Returns 0 with *out filled, or -1 with a one-line reason
 * naming the line in err (a missing ':', an empty or long name, a
 * duplicate, an unknown or malformed hash - $apr1$, crypt DES and plain
 * text are refused - or more than AUTH_USERS_MAX users).
 */
int auth_users_parse(const char *text, size_t len, struct auth_users *out, char *err, size_t errlen);

/* Reads and parses the file at path.  Returns 0, or -1 with a one-line reason in err. */
int auth_users_load(const char *path, struct auth_users *out, char *err, size_t errlen);

/*
 * Checks at start that the file loads and that this libc's crypt() knows
 * each kind of hash it holds (one crypt() per kind).  Returns 0, or -1 with
 * a one-line reason in err.
 */
int auth_file_check(const char *path, char *err, size_t errlen);

/* Returns true when a and b (n bytes each) are equal; the time taken does not depend on where they differ. */
bool auth_equal_ct(const void *a, const void *b, size_t n);

/* SipHash-2-4 of data under the 128-bit key k. */
uint64_t auth_siphash(const uint64_t k[2], const void *data, size_t len);

/* ---- the cache of accepted credentials ---- */

struct auth_cache_entry {
    uint8_t digest[16]; /* two SipHashes (two keys) of the decoded credentials */
    int user;           /* index into the users, or -1 when the slot is free */
    int64_t expires_ms; /* trusted until then */
};

struct auth_cache {
    uint64_t key[4];                             /* per-process random keys: two SipHash keys */
    struct auth_cache_entry e[AUTH_CACHE_SLOTS]; /* AUTH_CACHE_WAYS per set */
};

/* Empties the cache and sets its key (32 bytes; random in the server). */
void auth_cache_init(struct auth_cache *c, const uint64_t key[4]);

/* Forgets every entry (the users changed). */
void auth_cache_clear(struct auth_cache *c);

/*
 * Returns the user index remembered for value (len bytes: the decoded
 * "user:password" in the server) at now_ms, or -1.
 */
int auth_cache_lookup(const struct auth_cache *c, const char *value, size_t len, int64_t now_ms);

/* Remembers value -> user until now_ms + AUTH_CACHE_TTL_MS, replacing the set's oldest. */
void auth_cache_store(struct auth_cache *c, const char *value, size_t len, int user, int64_t now_ms);

/* ---- the limiter of failed checks per client address ---- */

struct auth_peer {
    char addr[48];      /* client address as text; "" = free slot */
    int64_t credit_ms;  /* bucket: AUTH_PEER_REFILL_MS of credit per allowed failure */
    int64_t updated_ms; /* when credit_ms was last brought up to date */
};

struct auth_limiter {
    struct auth_peer p[AUTH_PEERS_MAX]; /* tracked addresses */
};

/* Empties the limiter. */
void auth_limiter_init(struct auth_limiter *l);

/*
 * Returns true when addr (text; an IPv6 address counts as its /64) may have
 * its credentials checked with crypt() at now_ms.
 */
bool auth_limiter_allow(struct auth_limiter *l, const char *addr, int64_t now_ms);

/* Charges one failed check to addr. */
void auth_limiter_fail(struct auth_limiter *l, const char *addr, int64_t now_ms);

/* ---- the per-worker state and the request check ---- */

/* What auth_check() decided. */
enum auth_verdict {
    AUTH_OK = 0,  /* valid credentials: serve the request */
    AUTH_MISSING, /* no Basic credentials: 401 (a browser's first request) */
    AUTH_WRONG,   /* credentials that do not match: 401, counts against the connection */
    AUTH_LIMITED  /* this address failed too often: 429, no crypt() */
};

/* One worker's users, cache and limiter: opaque outside auth.c. */
struct auth;

/*
 * Loads the htpasswd file for a worker; realm goes into WWW-Authenticate,
 * headers (the --header lines, "" for none) after it.  The strings must
 * outlive the state.  metrics (NULL when off) and slot say where crypt()
 * calls are counted.  Returns the state, or NULL with a reason in err
 * (unreadable or bad file, no memory).
 */
struct auth *auth_new(const char *file, const char *realm, const char *headers, struct metrics *metrics, int slot,
                      char *err, size_t errlen);

/* Frees it; NULL is fine. */
void auth_free(struct auth *a);

/*
 * Reads the file again (SIGHUP).  On success the cache is emptied and the
 * new users apply; on failure the old ones stay and a warning is logged.
 */
void auth_reload(struct auth *a);

/*
 * Decides whether a request with this Authorization value (p NULL when it
 * had none), from client address peer, may be served, at now_ms.  The
 * scheme is matched in any case and may be followed by several spaces;
 * the cache is consulted with the decoded credentials.
 */
enum auth_verdict auth_check(struct auth *a, struct http_slice authorization, const char *peer, int64_t now_ms);

/*
 * Fills *r with the refusal for verdict: 401 with WWW-Authenticate (realm,
 * charset="UTF-8"), or 429 with Retry-After, and the error page (none for
 * head_only).  close: the connection is closed after it.  server and date
 * are the Server and Date values.
 */
void auth_respond(const struct auth *a, enum auth_verdict verdict, bool head_only, bool close, const char *server,
                  const char *date, struct reply *r);

#endif

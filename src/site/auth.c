/*
 * auth.c - see auth.h.
 */
#include "compat.h"

#include "auth.h"

#include "path_rules.h"

#include "clock.h"
#include "log.h"
#include "response.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h> /* crypt(): glibc links libcrypt (libxcrypt), musl has it in libc */

/* Retry-After of a 429: about one refill of the client's budget. */
#define AUTH_RETRY_AFTER "2"
/* Room for the challenge line and the configured extra headers after it. */
#define AUTH_EXTRA_MAX (AUTH_REALM_MAX + 64 + PATH_HEADERS_MAX)

struct auth {
    const char *file;               /* the htpasswd file's path (the caller's string) */
    const char *headers;            /* the --header lines every answer carries, "" = none */
    struct metrics *metrics;        /* crypt() counters, or NULL */
    int slot;                       /* this worker's block in metrics */
    struct auth_users users;        /* who may log in */
    struct auth_cache cache;        /* accepted credentials, by their decoded user:password */
    struct auth_limiter limiter;    /* failed checks per client address */
    char challenge[AUTH_EXTRA_MAX]; /* "WWW-Authenticate: ...\r\n" + the --header lines */
};

/* ---- htpasswd ---- */

/* True when c is in crypt's base64 alphabet ./0-9A-Za-z. */
static bool crypt64_char(char c)
{
    return c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* True when s[0..n) is all crypt base64. */
static bool crypt64_run(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!crypt64_char(s[i]))
            return false;
    }
    return true;
}

/* "$2b$10$" + 22 salt + 31 hash characters: 60 in all. */
static bool bcrypt_well_formed(const char *h, size_t n)
{
    return n == 60 && h[4] >= '0' && h[4] <= '3' && h[5] >= '0' && h[5] <= '9' && h[6] == '$' && crypt64_run(h + 7, 53);
}

/* "$5$[rounds=N$]salt$hash": a salt of 1..16 characters, a hash of hash_len. */
static bool sha_crypt_well_formed(const char *h, size_t n, size_t hash_len)
{
    const char *p = h + 3, *end = h + n;
    if ((size_t)(end - p) > 7 && memcmp(p, "rounds=", 7) == 0) {
        p += 7;
        const char *digits = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == digits || p - digits > 9 || p == end || *p != '$')
            return false;
        p++;
    }
    const char *salt = p;
    while (p < end && *p != '$')
        p++;
    if (p == salt || p - salt > 16 || p == end)
        return false;
    p++;
    return (size_t)(end - p) == hash_len && crypt64_run(p, hash_len);
}

/* Classifies the hash h (n bytes); returns its kind, or -1 when unknown or malformed. */
static int hash_kind(const char *h, size_t n)
{
    if (n >= 4 && (memcmp(h, "$2y$", 4) == 0 || memcmp(h, "$2b$", 4) == 0))
        return bcrypt_well_formed(h, n) ? AUTH_HASH_BCRYPT : -1;
    if (n >= 3 && memcmp(h, "$5$", 3) == 0)
        return sha_crypt_well_formed(h, n, 43) ? AUTH_HASH_SHA256 : -1;
    if (n >= 3 && memcmp(h, "$6$", 3) == 0)
        return sha_crypt_well_formed(h, n, 86) ? AUTH_HASH_SHA512 : -1;
    return -1;
}

/* Parses one non-blank, non-comment line (n bytes) into *u; returns 0 or -1 with why. */
static int parse_line(const char *line, size_t n, struct auth_user *u, const char **why)
{
    const char *colon = memchr(line, ':', n);
    if (colon == NULL) {
        *why = "user:hash";
        return -1;
    }
    size_t name_len = (size_t)(colon - line), hash_len = n - name_len - 1;
    if (name_len == 0 || name_len >= AUTH_USER_MAX) {
        *why = "a user name of 1 to 63 bytes";
        return -1;
    }
    int kind = hash_len < AUTH_HASH_MAX ? hash_kind(colon + 1, hash_len) : -1;
    if (kind < 0) {
        *why = "a bcrypt ($2y$, $2b$) or SHA-crypt ($5$, $6$) hash (htpasswd -B; "
               "$apr1$, crypt DES and plain text are refused)";
        return -1;
    }
    memcpy(u->name, line, name_len);
    u->name[name_len] = '\0';
    memcpy(u->hash, colon + 1, hash_len);
    u->hash[hash_len] = '\0';
    u->kind = (enum auth_hash_kind)kind;
    return 0;
}

/* Returns the index of the user called name (len bytes), or -1. */
static int find_user(const struct auth_users *users, const char *name, size_t len)
{
    for (int i = 0; i < users->count; i++) {
        if (strlen(users->user[i].name) == len && memcmp(users->user[i].name, name, len) == 0)
            return i;
    }
    return -1;
}

int auth_users_parse(const char *text, size_t len, struct auth_users *out, char *err, size_t errlen)
{
    out->count = 0;
    int lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl != NULL);
        lineno++;
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        if (n == 0 || line[0] == '#')
            continue;
        const char *why = NULL;
        if (out->count >= AUTH_USERS_MAX) {
            snprintf(err, errlen, "line %d: more than %d users", lineno, AUTH_USERS_MAX);
            return -1;
        }
        struct auth_user *u = &out->user[out->count];
        if (parse_line(line, n, u, &why) < 0) {
            snprintf(err, errlen, "line %d: expected %s", lineno, why);
            return -1;
        }
        if (find_user(out, u->name, strlen(u->name)) >= 0) {
            snprintf(err, errlen, "line %d: user '%s' appears twice", lineno, u->name);
            return -1;
        }
        out->count++;
    }
    return 0;
}

int auth_users_load(const char *path, struct auth_users *out, char *err, size_t errlen)
{
    int rc = -1;
    char *text = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        goto done;
    }
    text = malloc(AUTH_FILE_MAX + 1);
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, text + len, AUTH_FILE_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s", strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > AUTH_FILE_MAX) {
            snprintf(err, errlen, "larger than %zu bytes", AUTH_FILE_MAX);
            goto done;
        }
    }
    rc = auth_users_parse(text, len, out, err, errlen);
done:
    free(text);
    if (fd >= 0)
        close(fd);
    return rc;
}

int auth_file_check(const char *path, char *err, size_t errlen)
{
    static const char *const kind_names[AUTH_HASH_KINDS] = {"bcrypt", "SHA-256 crypt", "SHA-512 crypt"};
    int rc = -1;
    struct auth_users *users = malloc(sizeof(*users));
    if (users == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (auth_users_load(path, users, err, errlen) < 0)
        goto done;
    bool probed[AUTH_HASH_KINDS] = {false};
    for (int i = 0; i < users->count; i++) {
        const struct auth_user *u = &users->user[i];
        if (probed[u->kind])
            continue;
        probed[u->kind] = true;
        /* A libc without the scheme returns NULL or a "*0"-style failure token. */
        const char *out = crypt("probe", u->hash);
        if (out == NULL || out[0] != '$') {
            snprintf(err, errlen, "user '%s': this system's crypt() cannot check %s hashes", u->name,
                     kind_names[u->kind]);
            goto done;
        }
    }
    rc = 0;
done:
    free(users);
    return rc;
}

/* ---- digests ---- */

bool auth_equal_ct(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(x[i] ^ y[i]);
    return diff == 0;
}

#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* One SipRound over the state v[4]. */
static void sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = ROTL64(v[1], 13);
    v[1] ^= v[0];
    v[0] = ROTL64(v[0], 32);
    v[2] += v[3];
    v[3] = ROTL64(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = ROTL64(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = ROTL64(v[1], 17);
    v[1] ^= v[2];
    v[2] = ROTL64(v[2], 32);
}

/* Reads 8 bytes little-endian. */
static uint64_t load_le64(const unsigned char *p)
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | p[i];
    return x;
}

uint64_t auth_siphash(const uint64_t k[2], const void *data, size_t len)
{
    const unsigned char *in = data;
    uint64_t v[4] = {k[0] ^ 0x736f6d6570736575ULL, k[1] ^ 0x646f72616e646f6dULL, k[0] ^ 0x6c7967656e657261ULL,
                     k[1] ^ 0x7465646279746573ULL};
    size_t full = len - len % 8;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load_le64(in + i);
        v[3] ^= m;
        sip_round(v);
        sip_round(v);
        v[0] ^= m;
    }
    uint64_t last = (uint64_t)len << 56;
    for (size_t i = 0; i < len % 8; i++)
        last |= (uint64_t)in[full + i] << (8 * i);
    v[3] ^= last;
    sip_round(v);
    sip_round(v);
    v[0] ^= last;
    v[2] ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The 16-byte digest of value: SipHash under each of the cache's two keys. */
static void cache_digest(const struct auth_cache *c, const char *value, size_t len, uint8_t out[16])
{
    uint64_t h[2] = {auth_siphash(c->key, value, len), auth_siphash(c->key + 2, value, len)};
    memcpy(out, h, sizeof(h));
}

/* ---- the cache ---- */

void auth_cache_init(struct auth_cache *c, const uint64_t key[4])
{
    memcpy(c->key, key, sizeof(c->key));
    auth_cache_clear(c);
}

void auth_cache_clear(struct auth_cache *c)
{
    for (size_t i = 0; i < AUTH_CACHE_SLOTS; i++) {
        memset(c->e[i].digest, 0, sizeof(c->e[i].digest));
        c->e[i].user = -1;
        c->e[i].expires_ms = 0;
    }
}

/* The first entry of the set digest d falls into. */
static size_t cache_set(const uint8_t d[16])
{
    uint64_t h;
    memcpy(&h, d, sizeof(h));
    return (size_t)(h % (AUTH_CACHE_SLOTS / AUTH_CACHE_WAYS)) * AUTH_CACHE_WAYS;
}

int auth_cache_lookup(const struct auth_cache *c, const char *value, size_t len, int64_t now_ms)
{
    uint8_t d[16];
    cache_digest(c, value, len, d);
    size_t set = cache_set(d);
    int found = -1;
    for (size_t i = set; i < set + AUTH_CACHE_WAYS; i++) {
        const struct auth_cache_entry *e = &c->e[i];
        /* every way is compared in full: no early exit on a partial match */
        if (auth_equal_ct(e->digest, d, sizeof(d)) && e->user >= 0 && now_ms < e->expires_ms)
            found = e->user;
    }
    return found;
}

void auth_cache_store(struct auth_cache *c, const char *value, size_t len, int user, int64_t now_ms)
{
    uint8_t d[16];
    cache_digest(c, value, len, d);
    size_t set = cache_set(d);
    struct auth_cache_entry *victim = NULL;
    for (size_t i = set; i < set + AUTH_CACHE_WAYS && victim == NULL; i++) {
        if (c->e[i].user >= 0 && auth_equal_ct(c->e[i].digest, d, sizeof(d)))
            victim = &c->e[i]; /* the same value again: refresh it */
    }
    for (size_t i = set; i < set + AUTH_CACHE_WAYS && victim == NULL; i++) {
        if (c->e[i].user < 0)
            victim = &c->e[i]; /* a free way */
    }
    if (victim == NULL) { /* the set is full: the entry that expires first goes */
        victim = &c->e[set];
        for (size_t i = set + 1; i < set + AUTH_CACHE_WAYS; i++) {
            if (c->e[i].expires_ms < victim->expires_ms)
                victim = &c->e[i];
        }
    }
    memcpy(victim->digest, d, sizeof(d));
    victim->user = user;
    victim->expires_ms = now_ms + AUTH_CACHE_TTL_MS;
}

/* ---- the limiter ---- */

/* Full bucket: AUTH_PEER_BURST failures' worth of credit. */
#define AUTH_PEER_CREDIT_MAX ((int64_t)AUTH_PEER_BURST * AUTH_PEER_REFILL_MS)

void auth_limiter_init(struct auth_limiter *l)
{
    memset(l, 0, sizeof(*l));
}

/* Brings p's credit up to now_ms (time refills it, up to a full bucket). */
static void peer_refill(struct auth_peer *p, int64_t now_ms)
{
    if (now_ms > p->updated_ms) {
        int64_t credit = p->credit_ms + (now_ms - p->updated_ms);
        p->credit_ms = credit > AUTH_PEER_CREDIT_MAX ? AUTH_PEER_CREDIT_MAX : credit;
        p->updated_ms = now_ms;
    }
}

/* The entry for addr, or NULL. */
static struct auth_peer *peer_find(struct auth_limiter *l, const char *addr)
{
    for (size_t i = 0; i < AUTH_PEERS_MAX; i++) {
        if (l->p[i].addr[0] != '\0' && strcmp(l->p[i].addr, addr) == 0)
            return &l->p[i];
    }
    return NULL;
}

/*
 * The limiter's key for a client address: an IPv6 address stands for its
 * /64 (one host usually holds a whole /64 and could rotate through it);
 * IPv4 as it is.  key holds AUTH_PEER_KEY_MAX bytes.
 */
#define AUTH_PEER_KEY_MAX 48
static const char *peer_key(const char *addr, char *key)
{
    unsigned char a6[16];
    if (strchr(addr, ':') == NULL || inet_pton(AF_INET6, addr, a6) != 1)
        return addr;
    memset(a6 + 8, 0, 8);
    if (inet_ntop(AF_INET6, a6, key, AUTH_PEER_KEY_MAX) == NULL)
        return addr;
    return key;
}

bool auth_limiter_allow(struct auth_limiter *l, const char *addr, int64_t now_ms)
{
    char key[AUTH_PEER_KEY_MAX];
    addr = peer_key(addr, key);
    struct auth_peer *p = peer_find(l, addr);
    if (p == NULL)
        return true; /* no failures remembered: a full bucket */
    peer_refill(p, now_ms);
    return p->credit_ms >= AUTH_PEER_REFILL_MS;
}

void auth_limiter_fail(struct auth_limiter *l, const char *addr, int64_t now_ms)
{
    char key[AUTH_PEER_KEY_MAX];
    addr = peer_key(addr, key);
    struct auth_peer *p = peer_find(l, addr);
    if (p == NULL) {
        /* A free slot, else the least suspicious address: the one with the most credit. */
        p = &l->p[0];
        for (size_t i = 0; i < AUTH_PEERS_MAX; i++) {
            struct auth_peer *q = &l->p[i];
            if (q->addr[0] == '\0') {
                p = q;
                break;
            }
            peer_refill(q, now_ms);
            if (q->credit_ms > p->credit_ms)
                p = q;
        }
        snprintf(p->addr, sizeof(p->addr), "%s", addr[0] ? addr : "?");
        p->credit_ms = AUTH_PEER_CREDIT_MAX;
        p->updated_ms = now_ms;
    }
    peer_refill(p, now_ms);
    p->credit_ms -= AUTH_PEER_REFILL_MS;
    if (p->credit_ms < 0)
        p->credit_ms = 0;
}

/* ---- the worker's state ---- */

/* Fills the challenge header with the realm, then the configured extra headers. */
static void build_challenge(struct auth *a, const char *realm)
{
    snprintf(a->challenge, sizeof(a->challenge), "WWW-Authenticate: Basic realm=\"%s\", charset=\"UTF-8\"\r\n%s", realm,
             a->headers);
}

/* 32 random bytes for the cache's keys; a clock-and-pid mix if getrandom() fails. */
static void random_key(uint64_t key[4])
{
    unsigned char *p = (unsigned char *)key;
    size_t got = 0;
    while (got < 4 * sizeof(uint64_t)) {
        ssize_t n = getrandom(p + got, 4 * sizeof(uint64_t) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < 4 * sizeof(uint64_t)) {
        LOG_WARN("getrandom() failed: the credentials cache keys come from the clock");
        for (int i = 0; i < 4; i++)
            key[i] ^= (uint64_t)clock_mono_us() * 0x9e3779b97f4a7c15ULL + (uint64_t)getpid() + (uint64_t)i;
    }
}

struct auth *auth_new(const char *file, const char *realm, const char *headers, struct metrics *metrics, int slot,
                      char *err, size_t errlen)
{
    struct auth *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->file = file;
    a->headers = headers;
    a->metrics = metrics;
    a->slot = slot;
    if (auth_users_load(file, &a->users, err, errlen) < 0) {
        free(a);
        return NULL;
    }
    uint64_t key[4] = {0};
    random_key(key);
    auth_cache_init(&a->cache, key);
    auth_limiter_init(&a->limiter);
    build_challenge(a, realm);
    return a;
}

void auth_free(struct auth *a)
{
    free(a);
}

void auth_reload(struct auth *a)
{
    char err[256];
    struct auth_users *fresh = malloc(sizeof(*fresh));
    if (fresh == NULL || auth_users_load(a->file, fresh, err, sizeof(err)) < 0) {
        LOG_WARN("basic auth file '%s' not reloaded, the old users stay: %s", a->file, fresh ? err : "out of memory");
    } else {
        a->users = *fresh;
        auth_cache_clear(&a->cache);
        LOG_INFO("basic auth file '%s' reloaded: %d users", a->file, a->users.count);
    }
    free(fresh);
}

/* Decodes base64 in[0..n) into out (cap bytes); returns the length, or -1 when malformed. */
static int base64_decode(const char *in, size_t n, char *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t len = 0, i = 0;
    for (; i < n && in[i] != '='; i++) {
        unsigned char c = (unsigned char)in[i];
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '+'             ? 62
                : c == '/'             ? 63
                                       : -1;
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (len >= cap)
                return -1;
            out[len++] = (char)((acc >> bits) & 0xff);
        }
    }
    for (; i < n; i++) {
        if (in[i] != '=')
            return -1; /* only padding after the first '=' */
    }
    return (int)len;
}

/*
 * Checks the decoded credentials plain ("user:password", n bytes) with
 * crypt(): returns the user's index, or -1.  An unknown user costs a
 * crypt() too, against the first user's hash, so timing does not tell which
 * names exist.
 */
static int verify(struct auth *a, const char *plain, size_t n, const char *peer)
{
    const char *colon = memchr(plain, ':', n);
    if (colon == NULL || memchr(plain, '\0', n) != NULL || a->users.count == 0)
        return -1; /* malformed, a NUL crypt() would cut at, or nobody to log in */
    int user = find_user(&a->users, plain, (size_t)(colon - plain));
    const char *hash = a->users.user[user >= 0 ? user : 0].hash;
    const char *out = crypt(colon + 1, hash); /* plain is NUL-terminated after its n bytes */
    size_t hash_len = strlen(hash);
    bool ok = user >= 0 && out != NULL && strlen(out) == hash_len && auth_equal_ct(out, hash, hash_len);
    metrics_note_auth_crypt(a->metrics, a->slot, ok);
    LOG_DEBUG("%s: basic auth crypt() call: %s", peer, ok ? "accepted" : "refused");
    return ok ? user : -1;
}

/* True when an Authorization value names the scheme Basic, in any case, and a space follows. */
static bool is_basic(struct http_slice v)
{
    return v.p != NULL && v.len >= 6 && strncasecmp(v.p, "Basic", 5) == 0 && v.p[5] == ' ';
}

/*
 * The credentials of a Basic value: after the scheme one or more spaces
 * (RFC 9110 section 11.4: 1*SP), then base64, decoded into plain
 * (AUTH_HEADER_MAX bytes, NUL-terminated).  Returns their length, or -1
 * when they cannot be decoded.
 */
static int decode_credentials(struct http_slice v, char *plain)
{
    size_t start = 5;
    while (start < v.len && v.p[start] == ' ')
        start++;
    int n = base64_decode(v.p + start, v.len - start, plain, AUTH_HEADER_MAX - 1);
    if (n >= 0)
        plain[n] = '\0';
    return n;
}

enum auth_verdict auth_check(struct auth *a, struct http_slice v, const char *peer, int64_t now_ms)
{
    if (!is_basic(v))
        return AUTH_MISSING;
    if (v.len > AUTH_HEADER_MAX)
        return AUTH_WRONG; /* longer than any credentials we hold: no hashing */
    /* The cache is keyed on the decoded credentials, not on how the header
     * spells them (basic/BASIC, spaces, padding): one crypt() per login. */
    char plain[AUTH_HEADER_MAX];
    int n = decode_credentials(v, plain);
    enum auth_verdict verdict = AUTH_OK;
    int user = -1;
    if (n >= 0 && auth_cache_lookup(&a->cache, plain, (size_t)n, now_ms) >= 0)
        goto done;
    if (!auth_limiter_allow(&a->limiter, peer, now_ms)) {
        metrics_note_auth_limited(a->metrics, a->slot);
        verdict = AUTH_LIMITED;
        goto done;
    }
    if (n >= 0)
        user = verify(a, plain, (size_t)n, peer);
    if (user < 0) {
        auth_limiter_fail(&a->limiter, peer, now_ms);
        verdict = AUTH_WRONG;
        goto done;
    }
    auth_cache_store(&a->cache, plain, (size_t)n, user, now_ms);
done:
    explicit_bzero(plain, sizeof(plain));
    return verdict;
}

void auth_respond(const struct auth *a, enum auth_verdict verdict, bool head_only, bool close, const char *server,
                  const char *date, struct reply *r)
{
    bool limited = verdict == AUTH_LIMITED;
    int status = limited ? 429 : 401;
    int n = response_error_body(status, r->body_buf, sizeof(r->body_buf));
    struct response_head h = {
        .status = status,
        .server = server,
        .date = date,
        .content_type = "text/html",
        .content_length = n,
        .retry_after = limited ? AUTH_RETRY_AFTER : NULL,
        .cache_control = "no-store",
        .extra = limited ? (a->headers[0] ? a->headers : NULL) : a->challenge,
        .keep_alive = !close,
    };
    reply_memory(r, &h, r->body_buf, (size_t)n, head_only);
}

/*
 * fuzz_http_cond.c - libFuzzer target: RFC 9110's field values from a
 * hostile client (Range, If-Range, entity-tag lists,
 * Accept and Sec-Fetch-Mode for navigations, dates).
 *
 * The input is split at its first two NULs into a field value, a size and
 * the rest.  Whatever it is, nothing reads past the value (ASan), a
 * satisfiable range lies inside the representation (first >= 0, len >= 1,
 * first + len <= size), and the answers do not depend on bytes after the
 * value: the same value in a larger buffer answers the same.
 */
#include "compat.h"

#include "http_cond.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Every function once over v (len bytes, no NUL needed) for a representation of size bytes. */
static unsigned answers(struct http_slice v, int64_t size)
{
    static const char etag[] = "\"5f3c-6f\"";
    int64_t first = -1, len = -1;
    unsigned bits = 0;
    enum http_range r = http_range_parse(v, size, &first, &len);
    if (r == HTTP_RANGE_SATISFIABLE && (first < 0 || len < 1 || first + len > size))
        abort();
    if (r != HTTP_RANGE_SATISFIABLE && (first != -1 || len != -1))
        abort(); /* no output unless satisfiable */
    bits |= (unsigned)r;
    bits |= (unsigned)http_if_range_holds(v, etag, 784111777) << 2;
    bits |= (unsigned)http_etag_list_matches(v, etag, true) << 3;
    bits |= (unsigned)http_etag_list_matches(v, etag, false) << 4;
    bits |= (unsigned)http_accept_names(v, "text/html") << 8;
    struct http_request_info info;
    memset(&info, 0, sizeof(info));
    info.sec_fetch_mode = v;
    info.accept = v;
    bits |= (unsigned)http_is_navigation(&info) << 9;
    info.if_none_match = v;
    info.if_unmodified_since = v;
    bits |= (unsigned)http_preconditions(&info, etag, 784111777) << 7;
    return bits;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t vlen = nul ? (size_t)(nul - data) : size;
    int64_t rep = 1000;
    if (nul != NULL && size - vlen > 1) {
        rep = 0;
        for (size_t i = vlen + 1; i < size && i < vlen + 12 && data[i] >= '0' && data[i] <= '9'; i++)
            rep = rep * 10 + (data[i] - '0');
    }
    char *exact = malloc(vlen ? vlen : 1); /* exactly the value: ASan sees any read past it */
    memcpy(exact, data, vlen);
    char *padded = malloc(vlen + 16);
    memcpy(padded, data, vlen);
    memset(padded + vlen, 'x', 16);
    struct http_slice a = {exact, vlen}, b = {padded, vlen};
    if (answers(a, rep) != answers(b, rep))
        abort();
    free(exact);
    free(padded);
    return 0;
}

/*
 * fuzz_accept_coding.c - libFuzzer target: an Accept-Encoding value from a
 * hostile client, negotiated against the server's codings.
 *
 * Whatever the value, nothing reads past it (ASan: it is copied into a
 * buffer of its exact size), a quality lies in 0..1000, the choice is -1
 * or an offered, usable coding whose quality is above 0 and not below any
 * other usable one's, and the answers do not depend on bytes after the value.
 */
#include "compat.h"

#include "accept_coding.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const offered[] = {"zstd", "br", "gzip"};

/* The choice for v with every coding usable, checked against the qualities. */
static int checked_choice(struct http_slice v)
{
    int q[3];
    for (int i = 0; i < 3; i++) {
        q[i] = accept_coding_quality(v, offered[i]);
        if (q[i] < 0 || q[i] > 1000)
            abort();
    }
    int identity = accept_coding_quality(v, "identity");
    if (identity < 0 || identity > 1000)
        abort();
    int c = accept_coding_choose(v, offered, NULL, 3);
    if (c < -1 || c > 2 || (c >= 0 && q[c] == 0))
        abort();
    for (int i = 0; c >= 0 && i < 3; i++) {
        if (q[i] > q[c] || (q[i] == q[c] && i < c))
            abort(); /* the best, ties by the server's order */
    }
    const bool none[3] = {false, false, false};
    if (accept_coding_choose(v, offered, none, 3) != -1)
        abort();
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *exact = malloc(size + 1);
    char *padded = malloc(size + 16);
    if (exact == NULL || padded == NULL) {
        free(exact);
        free(padded);
        return 0;
    }
    memcpy(exact, data, size);
    memcpy(padded, data, size);
    memcpy(padded + size, ", gzip;q=1, br", 14); /* bytes after the value must not count */
    struct http_slice a = {size ? exact : "", size}, b = {size ? padded : "", size};
    if (checked_choice(a) != checked_choice(b))
        abort();
    free(exact);
    free(padded);
    return 0;
}

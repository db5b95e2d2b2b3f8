/*
 * fuzz_path.c - libFuzzer target: decode, normalise and confine a request path.
 *
 * Whatever the input, a normalised path must stay under the root: never
 * absolute, never a ".." segment, never a NUL or control byte, and its
 * re-encoded form must normalise back to the same path.
 */
#include "compat.h"

#include "path.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct path_result result, again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size ? size : 1);
    memcpy(in, data, size);
    int status = path_normalize(in, size, &result);
    if (status == 0) {
        const char *rel = result.rel;
        size_t n = strlen(rel);
        if (n == 0 || rel[0] == '/')
            abort();
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)rel[i];
            if (c < 0x20 || c == 0x7f)
                abort();
        }
        /* no ".." segment anywhere */
        for (const char *seg = rel; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL) {
            if (seg[0] == '.' && seg[1] == '.' && (seg[2] == '/' || seg[2] == '\0'))
                abort();
        }
        (void)path_is_hidden(rel);
        char enc[PATH_MAX_DECODED * 3 + 8];
        int len = path_encode(rel, false, enc, sizeof(enc));
        if (len < 0 || enc[0] != '/' || (len > 1 && enc[1] == '/'))
            abort();
        if (path_normalize(enc, (size_t)len, &again) != 0)
            abort();
        if (strcmp(rel, ".") != 0 && strcmp(again.rel, rel) != 0)
            abort();
    } else if (status != 400 && status != 414) {
        abort();
    }
    free(in);
    return 0;
}

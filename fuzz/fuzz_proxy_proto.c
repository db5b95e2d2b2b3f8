/*
 * fuzz_proxy_proto.c - libFuzzer target: the PROXY protocol header (v1 and
 * v2) from a hostile or broken balancer.
 *
 * The input, in a buffer of exactly its size, is parsed as a connection's
 * first bytes.  Whatever it is: a header taken is at most what was given
 * and within the bounds (107 bytes for v1, 1,024 for v2); it is taken the
 * same from exactly its own bytes, and every shorter prefix is
 * "incomplete" (no answer depends on bytes not yet read); an "incomplete"
 * input is shorter than the bound; a source it names is IPv4 or IPv6;
 * sniffing agrees with parsing.
 */
#include "compat.h"

#include "proxy_proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Parses data[0..len) from a buffer of exactly len bytes. */
static int parse_exact(const uint8_t *data, size_t len, struct proxy_info *pi)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    int rc = proxy_parse(copy, len, pi);
    free(copy);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proxy_info pi, again;
    int rc = parse_exact(data, size, &pi);
    enum proxy_sniff s = proxy_sniff(data, size);
    if (rc == PROXY_INCOMPLETE && size >= PROXY_V2_MAX)
        abort(); /* nothing is buffered past the bound */
    if ((s == PROXY_SNIFF_NO && rc != PROXY_MALFORMED) || (rc > 0 && s != PROXY_SNIFF_YES))
        abort();
    if (rc <= 0)
        return 0;
    if ((size_t)rc > size || rc > (pi.version == 1 ? PROXY_V1_MAX : PROXY_V2_MAX) ||
        (pi.version != 1 && pi.version != 2))
        abort();
    if (!pi.keep_peer && pi.source.family != NET_IPV4 && pi.source.family != NET_IPV6)
        abort();
    if (parse_exact(data, (size_t)rc, &again) != rc || again.keep_peer != pi.keep_peer ||
        memcmp(&again.source, &pi.source, sizeof(pi.source)) != 0 || again.source_port != pi.source_port)
        abort();
    const size_t cuts[] = {0, 1, 6, 12, 15, 16, (size_t)rc / 2, (size_t)rc - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        if (cuts[i] < (size_t)rc && parse_exact(data, cuts[i], &again) != PROXY_INCOMPLETE)
            abort();
    }
    return 0;
}

/*
 * The libraries scripts/build/musl-lib builds beside the server's but the
 * server does not link yet (libyaml, brotli, zstd, xxhash), and libdeflate,
 * linked into one static program with --gc-sections and each used once with
 * a known answer: a row that builds an archive nobody could link, or whose
 * code is wrong for the architecture, fails here.  `make static-libs-test`
 * runs it (STATIC_ARCH=aarch64: under qemu); it prints one line per library
 * and "static-libs: N passed, N failed".
 */
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <libdeflate.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <yaml.h>
#include <zstd.h>

/* The round-trip input: repetitive text, as a site's HTML and CSS are. */
#define INPUT_SIZE (64 * 1024)

static int passed, failed;

static void result(bool ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    if (ok)
        passed++;
    else
        failed++;
}

static void fill_input(char *buf, size_t len)
{
    static const char line[] = "<li class=\"item\"><a href=\"/docs/page.html\">a page of the docs</a></li>\n";
    for (size_t i = 0; i < len; i++)
        buf[i] = line[i % (sizeof(line) - 1)];
}

static void test_zstd(const char *in, char *packed, char *out)
{
    size_t bound = ZSTD_compressBound(INPUT_SIZE);
    size_t n = ZSTD_compress(packed, bound, in, INPUT_SIZE, 3);
    size_t back = ZSTD_isError(n) ? 0 : ZSTD_decompress(out, INPUT_SIZE, packed, n);
    char what[160];
    snprintf(what, sizeof(what), "zstd %s: %d -> %zu bytes at level 3, and back", ZSTD_versionString(), INPUT_SIZE,
             ZSTD_isError(n) ? 0 : n);
    result(!ZSTD_isError(n) && !ZSTD_isError(back) && back == INPUT_SIZE && memcmp(in, out, INPUT_SIZE) == 0, what);
}

static void test_brotli(const char *in, char *packed, char *out)
{
    size_t n = BrotliEncoderMaxCompressedSize(INPUT_SIZE);
    bool ok = BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, INPUT_SIZE, (const uint8_t *)in, &n,
                                    (uint8_t *)packed) == BROTLI_TRUE;
    size_t back = INPUT_SIZE;
    ok = ok &&
         BrotliDecoderDecompress(n, (const uint8_t *)packed, &back, (uint8_t *)out) == BROTLI_DECODER_RESULT_SUCCESS;
    uint32_t v = BrotliEncoderVersion();
    char what[160];
    snprintf(what, sizeof(what), "brotli %u.%u.%u: %d -> %zu bytes at quality 5, and back", v >> 24, (v >> 12) & 0xfff,
             v & 0xfff, INPUT_SIZE, n);
    result(ok && back == INPUT_SIZE && memcmp(in, out, INPUT_SIZE) == 0, what);
}

static void test_deflate(const char *in, char *packed, char *out)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t n =
        c ? libdeflate_gzip_compress(c, in, INPUT_SIZE, packed, libdeflate_gzip_compress_bound(c, INPUT_SIZE)) : 0;
    size_t back = 0;
    bool ok =
        n > 0 && d != NULL && libdeflate_gzip_decompress(d, packed, n, out, INPUT_SIZE, &back) == LIBDEFLATE_SUCCESS;
    char what[160];
    snprintf(what, sizeof(what), "libdeflate %s: gzip %d -> %zu bytes at level 6, and back", LIBDEFLATE_VERSION_STRING,
             INPUT_SIZE, n);
    result(ok && back == INPUT_SIZE && memcmp(in, out, INPUT_SIZE) == 0, what);
    libdeflate_free_compressor(c);
    libdeflate_free_decompressor(d);
}

static void test_xxhash(const char *in)
{
    /* XXH3-64 of no input, seed 0: the reference value of xxHash's own sanity table */
    bool known = XXH3_64bits("", 0) == 0x2D06800538D394C2ULL;
    XXH3_state_t *st = XXH3_createState();
    bool streamed = st != NULL && XXH3_64bits_reset(st) == XXH_OK &&
                    XXH3_64bits_update(st, in, INPUT_SIZE / 2) == XXH_OK &&
                    XXH3_64bits_update(st, in + INPUT_SIZE / 2, INPUT_SIZE / 2) == XXH_OK &&
                    XXH3_64bits_digest(st) == XXH3_64bits(in, INPUT_SIZE);
    XXH3_freeState(st);
    char what[160];
    snprintf(what, sizeof(what), "xxhash %u: XXH3-64 of \"\" is 2d06800538d394c2, streamed = one shot over %d bytes",
             XXH_versionNumber(), INPUT_SIZE);
    result(known && streamed, what);
}

static void test_yaml(void)
{
    static const char doc[] = "name: otuserver\nports: [80, 8080]\nheaders: {X-Frame-Options: DENY}\n";
    yaml_parser_t p;
    yaml_event_t ev;
    int scalars = 0;
    bool ok = yaml_parser_initialize(&p) == 1;
    if (ok) {
        yaml_parser_set_input_string(&p, (const unsigned char *)doc, sizeof(doc) - 1);
        for (bool end = false; ok && !end;) {
            ok = yaml_parser_parse(&p, &ev) == 1;
            if (!ok)
                break;
            scalars += ev.type == YAML_SCALAR_EVENT;
            end = ev.type == YAML_STREAM_END_EVENT;
            yaml_event_delete(&ev);
        }
        yaml_parser_delete(&p);
    }
    char what[160];
    snprintf(what, sizeof(what), "libyaml %s: a mapping with a sequence and a flow mapping: %d scalars (8)",
             yaml_get_version_string(), scalars);
    result(ok && scalars == 8, what);
}

int main(void)
{
    char *in = malloc(INPUT_SIZE);
    char *packed = malloc(2 * INPUT_SIZE);
    char *out = malloc(INPUT_SIZE);
    if (in == NULL || packed == NULL || out == NULL)
        return 1;
    fill_input(in, INPUT_SIZE);
    test_zstd(in, packed, out);
    test_brotli(in, packed, out);
    test_deflate(in, packed, out);
    test_xxhash(in);
    test_yaml();
    free(in);
    free(packed);
    free(out);
    printf("static-libs: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

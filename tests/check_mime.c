/*
 * check_mime.c - Content-Type by extension.
 */
#include "compat.h"

#include "mime.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mime_table_ext(int which, size_t i); /* mime.c's hook for this test */

static const struct {
    const char *name;
    const char *type;
} cases[] = {
    {"page.html", "text/html"},
    {"PAGE.HTML", "text/html"},
    {"a.htm", "text/html"},
    {"s.css", "text/css"},
    {"j.js", "application/javascript"},
    {"m.mjs", "application/javascript"},
    {"p.jpg", "image/jpeg"},
    {"p.JPEG", "image/jpeg"},
    {"p.png", "image/png"},
    {"p.gif", "image/gif"},
    {"f.swf", "application/x-shockwave-flash"},
    {"t.txt", "text/plain"},
    {"i.svg", "image/svg+xml"},
    {"favicon.ico", "image/x-icon"},
    {"d.json", "application/json"},
    {"d.xml", "application/xml"},
    {"d.pdf", "application/pdf"},
    {"i.webp", "image/webp"},
    {"i.avif", "image/avif"},
    {"w.wasm", "application/wasm"},
    {"f.woff", "font/woff"},
    {"f.woff2", "font/woff2"},
    {"v.mp4", "video/mp4"},
    {"v.webm", "video/webm"},
    {"text..txt", "text/plain"},
    {"archive.tar.gz", "application/gzip"},
    {"dir.d/file", MIME_DEFAULT},
    {"noext", MIME_DEFAULT},
    {"trailing.", MIME_DEFAULT},
    {"x.unknownext", MIME_DEFAULT},
    {".hidden", MIME_DEFAULT},
    {"x.averyveryverylongextension", MIME_DEFAULT},
    {"a/b.c/index.html", "text/html"},
};

START_TEST(test_mime_table)
{
    ck_assert_msg(strcmp(mime_type_for(cases[_i].name), cases[_i].type) == 0, "%s -> %s", cases[_i].name,
                  mime_type_for(cases[_i].name));
}
END_TEST

START_TEST(test_mime_table_sorted)
{
    size_t n = 0;
    for (size_t i = 1; mime_table_ext(_i, i) != NULL; i++, n++)
        ck_assert_msg(strcmp(mime_table_ext(_i, i - 1), mime_table_ext(_i, i)) < 0, "%s before %s",
                      mime_table_ext(_i, i - 1), mime_table_ext(_i, i));
    ck_assert_uint_gt(n, _i == 0 ? 50 : 1000); /* Debian's list has about 1,500 extensions */
}
END_TEST

/* Every extension in /etc/mime.types gets a type other than the default. */
START_TEST(test_covers_debian_mime_types)
{
    FILE *f = fopen("/etc/mime.types", "r");
    if (f == NULL) {
        printf("SKIPPED: /etc/mime.types is missing (apt-get install media-types)\n");
        return;
    }
    char line[1024];
    int checked = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#')
            continue;
        char *save = NULL, *type = strtok_r(line, " \t\n", &save);
        for (char *ext = type ? strtok_r(NULL, " \t\n", &save) : NULL; ext; ext = strtok_r(NULL, " \t\n", &save)) {
            static const char plain[] = "abcdefghijklmnopqrstuvwxyz"
                                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_-";
            if (strlen(ext) > MIME_EXT_MAX || strspn(ext, plain) != strlen(ext))
                continue; /* "1905.1", "~": not an extension a name can end in (see gen-mime-table) */
            char name[64];
            snprintf(name, sizeof(name), "f.%s", ext);
            ck_assert_msg(strcmp(mime_type_for(name), MIME_DEFAULT) != 0 || strcmp(type, MIME_DEFAULT) == 0,
                          "%s has no type (Debian: %s)", name, type);
            checked++;
        }
    }
    fclose(f);
    ck_assert_int_gt(checked, 1000);
}
END_TEST

START_TEST(test_new_web_types)
{
    static const char *const pairs[][2] = {{"a.yaml", "application/yaml"},
                                           {"a.yml", "application/yaml"},
                                           {"s.vtt", "text/vtt"},
                                           {"l.m3u8", "application/vnd.apple.mpegurl"},
                                           {"d.mpd", "application/dash+xml"},
                                           {"m.webmanifest", "application/manifest+json"},
                                           {"i.avif", "image/avif"},
                                           {"readme.md", "text/markdown"},
                                           {"d.wasm", "application/wasm"}};
    for (size_t i = 0; i < OTU_ARRAY_LEN(pairs); i++)
        ck_assert_msg(strcmp(mime_type_for(pairs[i][0]), pairs[i][1]) == 0, "%s -> %s", pairs[i][0],
                      mime_type_for(pairs[i][0]));
}
END_TEST

START_TEST(test_overrides_win)
{
    ck_assert_int_eq(mime_override("JS", "text/javascript"), 0);
    ck_assert_int_eq(mime_override("foo", "application/x-foo"), 0);
    ck_assert_str_eq(mime_type_for("app.js"), "text/javascript");
    ck_assert_str_eq(mime_type_for("a.FOO"), "application/x-foo");
    ck_assert_str_eq(mime_type_for("page.html"), "text/html");
    ck_assert_int_eq(mime_override("", "a/b"), -1);
    ck_assert_int_eq(mime_override("x", ""), -1);
    ck_assert_int_eq(mime_override("averyveryverylongextension", "a/b"), -1);
    int added = 2;
    while (mime_override("z", "a/b") == 0)
        added++;
    ck_assert_int_eq(added, MIME_OVERRIDES_MAX);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mime");
    TCase *tc = tcase_create("types");
    tcase_add_loop_test(tc, test_mime_table, 0, (int)OTU_ARRAY_LEN(cases));
    tcase_add_loop_test(tc, test_mime_table_sorted, 0, 2);
    tcase_add_test(tc, test_covers_debian_mime_types);
    tcase_add_test(tc, test_new_web_types);
    tcase_add_test(tc, test_overrides_win); /* forked: its overrides end with it */
    suite_add_tcase(s, tc);
    return check_run(s);
}

/*
 * check_mime.c - Content-Type by extension.
 */
#include "compat.h"

#include "mime.h"

#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

const char *mime_table_ext(size_t i); /* mime.c's hook for this test */

static const struct {
    const char *name;
    const char *type;
} cases[] = {
    {"page.html", "text/html"}, {"PAGE.HTML", "text/html"}, {"a.htm", "text/html"},
    {"s.css", "text/css"}, {"j.js", "application/javascript"}, {"m.mjs", "application/javascript"},
    {"p.jpg", "image/jpeg"}, {"p.JPEG", "image/jpeg"}, {"p.png", "image/png"}, {"p.gif", "image/gif"},
    {"f.swf", "application/x-shockwave-flash"}, {"t.txt", "text/plain"}, {"i.svg", "image/svg+xml"},
    {"favicon.ico", "image/x-icon"}, {"d.json", "application/json"}, {"d.xml", "application/xml"},
    {"d.pdf", "application/pdf"}, {"i.webp", "image/webp"}, {"i.avif", "image/avif"},
    {"w.wasm", "application/wasm"}, {"f.woff", "font/woff"}, {"f.woff2", "font/woff2"},
    {"v.mp4", "video/mp4"}, {"v.webm", "video/webm"}, {"text..txt", "text/plain"},
    {"archive.tar.gz", "application/gzip"}, {"dir.d/file", MIME_DEFAULT}, {"noext", MIME_DEFAULT},
    {"trailing.", MIME_DEFAULT}, {"x.unknownext", MIME_DEFAULT}, {".hidden", MIME_DEFAULT},
    {"x.averyveryverylongextension", MIME_DEFAULT}, {"a/b.c/index.html", "text/html"},
};

START_TEST(test_mime_table)
{
    ck_assert_msg(strcmp(mime_type_for(cases[_i].name), cases[_i].type) == 0, "%s -> %s",
                  cases[_i].name, mime_type_for(cases[_i].name));
}
END_TEST

START_TEST(test_mime_table_sorted)
{
    for (size_t i = 1; mime_table_ext(i) != NULL; i++)
        ck_assert_msg(strcmp(mime_table_ext(i - 1), mime_table_ext(i)) < 0, "%s before %s",
                      mime_table_ext(i - 1), mime_table_ext(i));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mime");
    TCase *tc = tcase_create("types");
    tcase_add_loop_test(tc, test_mime_table, 0, (int)OTU_ARRAY_LEN(cases));
    tcase_add_test(tc, test_mime_table_sorted);
    suite_add_tcase(s, tc);
    return check_run(s);
}

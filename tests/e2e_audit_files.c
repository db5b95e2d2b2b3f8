/*
 * e2e_audit_files.c - end-to-end tests for the file layer: confinement
 * without openat2, the file cache's lifetimes, the root's re-resolution.
 */
#include "compat.h"

#include "e2e_fixture.h"

TCase *e2e_audit_files_tcase(void)
{
    TCase *tc = tcase_create("audit-files");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    return tc;
}

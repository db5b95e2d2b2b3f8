/*
 * e2e_audit_ops.c - end-to-end tests for operations: signals, the master's
 * back-off, listeners, logging and counting of every response.
 */
#include "compat.h"

#include "e2e_fixture.h"

TCase *e2e_audit_ops_tcase(void)
{
    TCase *tc = tcase_create("audit-ops");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, serve_setup, serve_teardown);
    return tc;
}

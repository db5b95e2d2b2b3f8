/*
 * check_run.h - the one main() shape every Check suite here shares.
 */
#ifndef OTU_CHECK_RUN_H
#define OTU_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

/* Runs the suite (forking each test) and returns the process exit status. */
static inline int check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif

/*
 * config_reference.c - prints docs/configuration.md's options table from
 * the option table's rows (config_print_reference), so the page is
 * generated, never written by hand: make docs-config writes it into the
 * page, and make lint (scripts/check/config-reference) fails when the page
 * and the rows differ.
 */
#include "compat.h"

#include "config_help.h"

#include <stdio.h>

int main(void)
{
    config_print_reference(stdout);
    return 0;
}

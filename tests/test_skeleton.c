/* test_skeleton.c -- the driver's command-line contract: unknown commands
 * are usage errors (exit 2) and --help succeeds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testutil.h"

static void unknown_command_is_usage_error(void **state)
{
    (void)state;
    assert_int_equal(ab_test_run_arenabench("no-such-command", NULL, NULL), 2);
}

static void help_succeeds(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(ab_test_run_arenabench("--help", &out, NULL), 0);
    assert_non_null(strstr(out, "commands:"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_command_is_usage_error),
        cmocka_unit_test(help_succeeds),
    };
    return cmocka_run_group_tests_name("skeleton", tests, NULL, NULL);
}

/* Unit tests for resident.c: which mappings of an smaps text are dropped.
 * Only clean pages of a file's read-only mapping may go: a page the process
 * wrote (a relocated GOT) is its own, in memory (Anonymous) or swapped out
 * (Swap), and dropping it would bring the file's bytes back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "resident.h"

#include <stdio.h>
#include <string.h>

#define MAX_DROPS 8

static unsigned long dropped_starts[MAX_DROPS];
static size_t drop_count;

static int record_drop(void *start, size_t length)
{
	(void)length;
	if (drop_count < MAX_DROPS)
		dropped_starts[drop_count] = (unsigned long)start;
	drop_count++;
	return 0;
}

/* One mapping of /proc/PID/smaps, with the lines the decision reads (and
 * a few around them, in the kernel's order). */
#define MAPPING(range, perms, path, rss, anonymous, swap)                                                              \
	range " " perms " 00000000 fe:01 1234 " path "\n"                                                              \
	      "Size:                 16 kB\n"                                                                          \
	      "Rss:                  " rss " kB\n"                                                                     \
	      "Private_Dirty:         0 kB\n"                                                                          \
	      "Anonymous:            " anonymous " kB\n"                                                               \
	      "LazyFree:              0 kB\n"                                                                          \
	      "Swap:                 " swap " kB\n"                                                                    \
	      "SwapPss:              " swap " kB\n"                                                                    \
	      "VmFlags: rd mr mw me sd\n"

static unsigned long stack_start;
static unsigned long stack_end;

static unsigned long drop_listed(const char *smaps_text)
{
	FILE *smaps = fmemopen((void *)smaps_text, strlen(smaps_text), "r");
	struct resident_plan plan;

	assert_non_null(smaps);
	drop_count = 0;
	resident_list(smaps, NULL, &plan);
	fclose(smaps);
	stack_start = plan.stack_start;
	stack_end = plan.stack_end;
	return resident_drop(&plan, record_drop);
}

static void test_only_clean_read_only_file_mappings_are_dropped(void **state)
{
	(void)state;
	assert_int_equal(drop_listed(MAPPING("1000-5000", "r-xp", "/usr/bin/pe", "12", "0", "0")
	                                 MAPPING("5000-9000", "rw-p", "/usr/bin/pe", "8", "0", "0")
	                                     MAPPING("9000-d000", "r--p", "/usr/bin/pe", "8", "4", "0")
	                                         MAPPING("d000-11000", "r--p", "", "4", "4", "0")
	                                             MAPPING("11000-15000", "r--p", "[vvar]", "4", "0", "0")),
	                 12);
	assert_int_equal(drop_count, 1);
	assert_int_equal(dropped_starts[0], 0x1000);
}

static void test_a_mapping_with_written_pages_swapped_out_is_kept(void **state)
{
	(void)state;
	/* A relocated, then read-only page (RELRO) swapped out: Anonymous 0. */
	assert_int_equal(drop_listed(MAPPING("1000-5000", "r--p", "/usr/lib/libc.so.6", "4", "0", "4")
	                                 MAPPING("5000-9000", "r-xp", "/usr/lib/libc.so.6", "8", "0", "0")),
	                 8);
	assert_int_equal(drop_count, 1);
	assert_int_equal(dropped_starts[0], 0x5000);
}

static void test_the_stack_is_found_and_left_to_the_caller(void **state)
{
	(void)state;
	/* Anonymous, written: never dropped here; its start is reported. */
	assert_int_equal(drop_listed(MAPPING("1000-5000", "r-xp", "/usr/bin/pe", "12", "0", "0")
	                                 MAPPING("7ffd0000-7ffd8000", "rw-p", "[stack]", "24", "24", "0")),
	                 12);
	assert_int_equal(drop_count, 1);
	assert_int_equal(stack_start, 0x7ffd0000);
	assert_int_equal(stack_end, 0x7ffd8000);
	assert_int_equal(drop_listed(MAPPING("1000-5000", "r-xp", "/usr/bin/pe", "12", "0", "0")), 12);
	assert_int_equal(stack_start, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_only_clean_read_only_file_mappings_are_dropped),
	    cmocka_unit_test(test_a_mapping_with_written_pages_swapped_out_is_kept),
	    cmocka_unit_test(test_the_stack_is_found_and_left_to_the_caller),
	};

	return cmocka_run_group_tests_name("resident", tests, NULL, NULL);
}

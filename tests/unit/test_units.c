/* Unit tests for sim/units.c: the durations, block counts, probabilities
 * and plain numbers users type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "units.h"

static uint64_t dur(const char *s)
{
	uint64_t us = 0xdeadbeef;
	const char *why = NULL;

	if (!duration_parse(s, &us, &why))
		fail_msg("duration_parse(\"%s\") failed: %s", s, why);
	return us;
}

/* A rejected duration leaves *us alone and explains itself. */
static void dur_bad(const char *s, const char *why_part)
{
	uint64_t us = 777;
	const char *why = NULL;

	if (duration_parse(s, &us, &why))
		fail_msg("duration_parse(\"%s\") accepted it as %llu us", s,
			 (unsigned long long)us);
	assert_int_equal(us, 777);
	assert_non_null(why);
	if (!strstr(why, why_part))
		fail_msg("duration_parse(\"%s\"): '%s' not in '%s'", s, why_part, why);
}

static void test_duration_units(void **state)
{
	(void)state;
	assert_int_equal(dur("500us"), 500);
	assert_int_equal(dur("20ms"), 20000);
	assert_int_equal(dur("1s"), 1000000);
	assert_int_equal(dur("2m"), 120000000);
	assert_int_equal(dur("0"), 0);
	assert_int_equal(dur("0ms"), 0);
	assert_int_equal(dur("0.0"), 0);
}

static void test_duration_decimals(void **state)
{
	(void)state;
	assert_int_equal(dur("1.5s"), 1500000);
	assert_int_equal(dur("0.5ms"), 500);
	assert_int_equal(dur(".25s"), 250000);
	assert_int_equal(dur("1.500s"), 1500000);
	assert_int_equal(dur("2.s"), 2000000);
	/* 0.00000005 minutes is exactly 3 microseconds */
	assert_int_equal(dur("0.00000005m"), 3);
	assert_int_equal(dur("0.000001s"), 1);
}

static void test_duration_rejects(void **state)
{
	(void)state;
	dur_bad("20", "missing unit");
	dur_bad("1.5", "missing unit");
	dur_bad("40blocks", "not blocks");
	dur_bad("1block", "not blocks");
	dur_bad("5h", "unknown unit");
	dur_bad("5 ms", "unknown unit");
	dur_bad("5msx", "unknown unit");
	dur_bad("-5ms", "negative");
	dur_bad("", "empty");
	dur_bad("ms", "expected a number");
	dur_bad(".s", "expected a number");
	dur_bad("nan", "expected a number");
	dur_bad("inf", "expected a number");
	dur_bad("+5ms", "expected a number");
	dur_bad("1e3ms", "unknown unit");
	dur_bad("0.5us", "whole number of microseconds");
	dur_bad("0.0000001s", "whole number of microseconds");
	dur_bad("0.0000000000000000000001ms", "whole number of microseconds");
	/* 2^64 us, and a value that overflows only once scaled */
	dur_bad("18446744073709551616us", "too large");
	dur_bad("18446744073709551615s", "too large");
	dur_bad("99999999999999999999999ms", "too large");
}

static void test_duration_largest(void **state)
{
	(void)state;
	assert_true(dur("18446744073709551615us") == UINT64_MAX);
	assert_true(dur("18446744073709551ms") == 18446744073709551000ULL);
}

static void test_blocks(void **state)
{
	uint32_t b = 0;
	const char *why = NULL;

	(void)state;
	assert_true(blocks_parse("40blocks", &b, &why));
	assert_int_equal(b, 40);
	assert_true(blocks_parse("1block", &b, &why));
	assert_int_equal(b, 1);
	assert_true(blocks_parse("18", &b, &why));
	assert_int_equal(b, 18);
	assert_true(blocks_parse("0", &b, &why));
	assert_int_equal(b, 0);
	assert_true(blocks_parse("4294967295", &b, &why));
	assert_true(b == UINT32_MAX);
}

static void test_blocks_rejects(void **state)
{
	static const char *const bad[] = {
		"", "-1", "1.5blocks", "1.5", "40s", "40 blocks", "blocks", "4294967296",
		"99999999999999999999999", "40blockss", "0x10", "nan",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t b = 99;
		const char *why = NULL;
		if (blocks_parse(bad[i], &b, &why))
			fail_msg("blocks_parse(\"%s\") accepted it as %u", bad[i], b);
		assert_int_equal(b, 99);
		assert_non_null(why);
	}
}

static void test_prob(void **state)
{
	double p = -1;
	const char *why = NULL;

	(void)state;
	assert_true(prob_parse("0", &p, &why));
	assert_true(p == 0.0);
	assert_true(prob_parse("1", &p, &why));
	assert_true(p == 1.0);
	assert_true(prob_parse("1.000", &p, &why));
	assert_true(p == 1.0);
	assert_true(prob_parse("0.1", &p, &why));
	assert_true(p == 0.1);
	assert_true(prob_parse(".5", &p, &why));
	assert_true(p == 0.5);
	assert_true(prob_parse("0.999999", &p, &why));
	assert_true(p == 0.999999);
}

static void test_prob_rejects(void **state)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "1.5", "[0,1]" },
		{ "2", "[0,1]" },
		{ "1.0000000000000000000001", "[0,1]" },
		{ "-0.1", "negative" },
		{ "nan", "expected a number" },
		{ "inf", "expected a number" },
		{ "1e-3", "probability" },
		{ "0.1x", "probability" },
		{ "10%", "probability" },
		{ "", "empty" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		double p = 42;
		const char *why = NULL;
		if (prob_parse(bad[i].in, &p, &why))
			fail_msg("prob_parse(\"%s\") accepted it as %g", bad[i].in, p);
		assert_true(p == 42);
		if (!why || !strstr(why, bad[i].why))
			fail_msg("prob_parse(\"%s\"): '%s' not in '%s'", bad[i].in, bad[i].why,
				 why ? why : "(null)");
	}
}

static void test_uint(void **state)
{
	uint64_t v = 0;
	const char *why = NULL;

	(void)state;
	assert_true(uint_parse("0", &v, &why));
	assert_true(v == 0);
	assert_true(uint_parse("42", &v, &why));
	assert_true(v == 42);
	assert_true(uint_parse("18446744073709551615", &v, &why));
	assert_true(v == UINT64_MAX);

	v = 5;
	assert_false(uint_parse("18446744073709551616", &v, &why));
	assert_non_null(strstr(why, "64 bits"));
	assert_false(uint_parse("-1", &v, &why));
	assert_non_null(strstr(why, "negative"));
	assert_false(uint_parse("1.0", &v, &why));
	assert_false(uint_parse("12abc", &v, &why));
	assert_false(uint_parse(" 1", &v, &why));
	assert_false(uint_parse("", &v, &why));
	assert_true(v == 5);
}

static void test_positive(void **state)
{
	double v = 0;
	const char *why = NULL;

	(void)state;
	assert_true(positive_parse("1", &v, &why));
	assert_true(v == 1.0);
	assert_true(positive_parse("10", &v, &why));
	assert_true(v == 10.0);
	assert_true(positive_parse("0.5", &v, &why));
	assert_true(v == 0.5);

	v = 3;
	assert_false(positive_parse("0", &v, &why));
	assert_non_null(strstr(why, "greater than 0"));
	assert_false(positive_parse("0.000", &v, &why));
	assert_false(positive_parse("-1", &v, &why));
	assert_non_null(strstr(why, "negative"));
	assert_false(positive_parse("inf", &v, &why));
	assert_false(positive_parse("nan", &v, &why));
	assert_false(positive_parse("1e9", &v, &why));
	assert_false(positive_parse("2x", &v, &why));
	assert_true(v == 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_decimals),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_duration_largest),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_blocks_rejects),
		cmocka_unit_test(test_prob),
		cmocka_unit_test(test_prob_rejects),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_positive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for proto/amount.c: parsing, formatting and checked arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "amount.h"

static uint64_t parse_ok(const char *s)
{
	struct amount_msat a = amount_msat(0xdeadbeef);
	const char *why = NULL;
	if (!amount_parse(s, &a, &why))
		fail_msg("amount_parse(\"%s\") failed: %s", s, why ? why : "(no reason)");
	return a.millisatoshis;
}

/* Returns the reason; asserts that *out was not written. */
static const char *parse_bad(const char *s)
{
	struct amount_msat a = amount_msat(777);
	const char *why = NULL;
	if (amount_parse(s, &a, &why))
		fail_msg("amount_parse(\"%s\") accepted as %llu msat", s,
			 (unsigned long long)a.millisatoshis);
	assert_non_null(why);
	assert_true(strlen(why) > 0);
	assert_int_equal(a.millisatoshis, 777);
	return why;
}

static void test_parse_units(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2btc"), 2 * MSAT_PER_BTC);
	assert_int_equal(parse_ok("1btc"), 100000000000ULL);
	assert_int_equal(parse_ok("1500sat"), 1500000);
	assert_int_equal(parse_ok("1sat"), MSAT_PER_SAT);
	assert_int_equal(parse_ok("42msat"), 42);
	assert_int_equal(parse_ok("0"), 0);
	assert_int_equal(parse_ok("0msat"), 0);
	assert_int_equal(parse_ok("0btc"), 0);
	assert_int_equal(parse_ok("18446744073709551615msat"), UINT64_MAX);
}

static void test_parse_decimals(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("0.5btc"), 50000000000ULL);
	assert_int_equal(parse_ok(".5btc"), 50000000000ULL);
	assert_int_equal(parse_ok("1.5sat"), 1500);
	assert_int_equal(parse_ok("1.50sat"), 1500);
	assert_int_equal(parse_ok("0.001sat"), 1);
	assert_int_equal(parse_ok("0.00000000001btc"), 1);
	assert_int_equal(parse_ok("1.23456789012btc"), 123456789012ULL);
	assert_int_equal(parse_ok("2.000btc"), 2 * MSAT_PER_BTC);
	assert_int_equal(parse_ok("0.0"), 0);
}

static void test_parse_rejects_negative(void **state)
{
	(void)state;
	const char *why = parse_bad("-1btc");
	assert_non_null(strstr(why, "negative"));
	parse_bad("-0.5sat");
}

static void test_parse_rejects_missing_unit(void **state)
{
	(void)state;
	const char *why = parse_bad("100");
	assert_non_null(strstr(why, "unit"));
	parse_bad("1.5");
	parse_bad("");
	parse_bad("btc");
	parse_bad("sat");
}

static void test_parse_rejects_unknown_unit(void **state)
{
	(void)state;
	const char *why = parse_bad("5eur");
	assert_non_null(strstr(why, "unit"));
	parse_bad("5BTC");
	parse_bad("5 btc");
	parse_bad("5btc ");
	parse_bad("5bt");
	parse_bad("1e3sat");
}

static void test_parse_rejects_fractional_msat(void **state)
{
	(void)state;
	const char *why = parse_bad("1.5msat");
	assert_non_null(strstr(why, "whole"));
	parse_bad("0.0001sat");
	parse_bad("0.000000000001btc");
	parse_bad("1.2345sat");
}

static void test_parse_rejects_overflow(void **state)
{
	(void)state;
	const char *why = parse_bad("184467440737btc");
	assert_non_null(strstr(why, "overflow"));
	parse_bad("18446744073709551616msat");
	parse_bad("18446744073709552sat");
	parse_bad("99999999999999999999999999btc");
	/* 184467440.73709551616btc is UINT64_MAX + 1 msat */
	parse_bad("184467440.73709551616btc");
	assert_int_equal(parse_ok("184467440.73709551615btc"), UINT64_MAX);
}

static void expect_fmt(uint64_t msat, const char *want)
{
	char buf[AMOUNT_FMT_LEN];
	assert_string_equal(amount_fmt(amount_msat(msat), buf), want);
}

static void test_fmt(void **state)
{
	(void)state;
	expect_fmt(0, "0");
	expect_fmt(2 * MSAT_PER_BTC, "2btc");
	expect_fmt(MSAT_PER_BTC / 2, "0.5btc");
	expect_fmt(1500000, "1500sat");
	expect_fmt(42, "42msat");
	expect_fmt(1001, "1001msat");
	expect_fmt(UINT64_MAX, "184467440.73709551615btc");
}

static void round_trip(uint64_t msat)
{
	char buf[AMOUNT_FMT_LEN];
	const char *s = amount_fmt(amount_msat(msat), buf);
	struct amount_msat back = amount_msat(0);
	const char *why = NULL;
	if (!amount_parse(s, &back, &why))
		fail_msg("%llu formats as \"%s\", which does not parse: %s",
			 (unsigned long long)msat, s, why);
	if (back.millisatoshis != msat)
		fail_msg("%llu -> \"%s\" -> %llu", (unsigned long long)msat, s,
			 (unsigned long long)back.millisatoshis);
}

static void test_fmt_round_trips(void **state)
{
	(void)state;
	static const uint64_t fixed[] = {
		0, 1, 999, 1000, 1001, 999999000, 999999999, 1000000000, 1000000001,
		MSAT_PER_BTC - 1, MSAT_PER_BTC, MSAT_PER_BTC + 1, 21000000ULL * MSAT_PER_BTC,
		UINT64_MAX - 1, UINT64_MAX,
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		round_trip(fixed[i]);

	/* a deterministic spread over every magnitude */
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 5000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		round_trip(x >> (i % 64));
	}
}

static void test_add(void **state)
{
	(void)state;
	struct amount_msat r = amount_msat(5);
	assert_true(amount_add(&r, amount_msat(40), amount_msat(2)));
	assert_int_equal(r.millisatoshis, 42);
	assert_true(amount_add(&r, amount_msat(UINT64_MAX - 1), amount_msat(1)));
	assert_int_equal(r.millisatoshis, UINT64_MAX);

	r = amount_msat(5);
	assert_false(amount_add(&r, amount_msat(UINT64_MAX), amount_msat(1)));
	assert_int_equal(r.millisatoshis, 5);
	assert_false(amount_add(&r, amount_msat(UINT64_MAX / 2 + 1), amount_msat(UINT64_MAX / 2 + 1)));
	assert_int_equal(r.millisatoshis, 5);
}

static void test_sub(void **state)
{
	(void)state;
	struct amount_msat r = amount_msat(5);
	assert_true(amount_sub(&r, amount_msat(42), amount_msat(2)));
	assert_int_equal(r.millisatoshis, 40);
	assert_true(amount_sub(&r, amount_msat(7), amount_msat(7)));
	assert_int_equal(r.millisatoshis, 0);

	r = amount_msat(5);
	assert_false(amount_sub(&r, amount_msat(1), amount_msat(2)));
	assert_int_equal(r.millisatoshis, 5);
	assert_false(amount_sub(&r, amount_msat(0), amount_msat(UINT64_MAX)));
	assert_int_equal(r.millisatoshis, 5);
}

static void test_mul(void **state)
{
	(void)state;
	struct amount_msat r = amount_msat(5);
	assert_true(amount_mul(&r, amount_msat(MSAT_PER_SAT), 1500));
	assert_int_equal(r.millisatoshis, 1500000);
	assert_true(amount_mul(&r, amount_msat(UINT64_MAX), 1));
	assert_int_equal(r.millisatoshis, UINT64_MAX);
	assert_true(amount_mul(&r, amount_msat(UINT64_MAX), 0));
	assert_int_equal(r.millisatoshis, 0);

	r = amount_msat(5);
	assert_false(amount_mul(&r, amount_msat(UINT64_MAX / 2 + 1), 2));
	assert_int_equal(r.millisatoshis, 5);
	assert_false(amount_mul(&r, amount_msat(MSAT_PER_BTC), 184467441));
	assert_int_equal(r.millisatoshis, 5);
}

static void test_compare_helpers(void **state)
{
	(void)state;
	assert_true(amount_eq(amount_msat(3), amount_msat(3)));
	assert_false(amount_eq(amount_msat(3), amount_msat(4)));
	assert_true(amount_less(amount_msat(3), amount_msat(4)));
	assert_false(amount_less(amount_msat(4), amount_msat(4)));
	assert_true(amount_is_zero(amount_msat(0)));
	assert_false(amount_is_zero(amount_msat(1)));
}

static void test_div(void **state)
{
	(void)state;
	struct amount_msat q;
	uint64_t r;
	assert_true(amount_div(&q, &r, amount_msat(200000000001ULL), 2));
	assert_int_equal(q.millisatoshis, 100000000000ULL);
	assert_int_equal(r, 1);
	assert_true(amount_div(&q, &r, amount_msat(UINT64_MAX), 483));
	assert_true(q.millisatoshis * 483 + r == UINT64_MAX);
	assert_true(r < 483);
	assert_true(amount_div(&q, &r, amount_msat(5), 7));
	assert_int_equal(q.millisatoshis, 0);
	assert_int_equal(r, 5);
	q = amount_msat(9);
	assert_false(amount_div(&q, &r, amount_msat(5), 0));
	assert_int_equal(q.millisatoshis, 9);      /* unchanged on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_units),
		cmocka_unit_test(test_parse_decimals),
		cmocka_unit_test(test_parse_rejects_negative),
		cmocka_unit_test(test_parse_rejects_missing_unit),
		cmocka_unit_test(test_parse_rejects_unknown_unit),
		cmocka_unit_test(test_parse_rejects_fractional_msat),
		cmocka_unit_test(test_parse_rejects_overflow),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_fmt_round_trips),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_mul),
		cmocka_unit_test(test_compare_helpers),
		cmocka_unit_test(test_div),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

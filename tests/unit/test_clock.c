/* Unit tests for sim/clock.c, driven with explicit wall times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clock.h"

#define SEC 1000000ULL
#define EPOCH 1700000000000000ULL      /* 2023-11-14, in unix microseconds */

static struct simclock clk(double scale, uint64_t interval)
{
	struct simclock c = { EPOCH, interval, scale };
	return c;
}

static uint64_t tv_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * SEC + (uint64_t)tv.tv_usec;
}

static void test_height_scale_1(void **state)
{
	(void)state;
	struct simclock c = clk(1, SEC);
	assert_int_equal(simclock_sim_at(&c, EPOCH), 0);
	assert_int_equal(simclock_height_at(&c, EPOCH), 0);
	assert_int_equal(simclock_height_at(&c, EPOCH + SEC - 1), 0);
	assert_int_equal(simclock_height_at(&c, EPOCH + SEC), 1);
	assert_int_equal(simclock_sim_at(&c, EPOCH + 12345), 12345);
	assert_int_equal(simclock_height_at(&c, EPOCH + 40 * SEC + 500000), 40);
}

static void test_height_scale_10(void **state)
{
	(void)state;
	struct simclock c = clk(10, SEC);
	/* ten simulated seconds per wall second: a block every 100 ms */
	assert_int_equal(simclock_sim_at(&c, EPOCH + SEC), 10 * SEC);
	assert_int_equal(simclock_height_at(&c, EPOCH + SEC), 10);
	assert_int_equal(simclock_height_at(&c, EPOCH + 99999), 0);
	assert_int_equal(simclock_height_at(&c, EPOCH + 100000), 1);
	assert_int_equal(simclock_height_at(&c, EPOCH + 4 * SEC), 40);
}

static void test_fractional_scale(void **state)
{
	(void)state;
	struct simclock c = clk(0.5, SEC);
	assert_int_equal(simclock_sim_at(&c, EPOCH + 2 * SEC), SEC);
	assert_int_equal(simclock_height_at(&c, EPOCH + 2 * SEC - 1), 0);
	assert_int_equal(simclock_height_at(&c, EPOCH + 2 * SEC), 1);

	c = clk(2.5, SEC);
	assert_int_equal(simclock_sim_at(&c, EPOCH + 2 * SEC), 5 * SEC);
	assert_int_equal(simclock_sim_at(&c, EPOCH + 3), 7);      /* 7.5 rounds down */
}

static void test_before_epoch(void **state)
{
	(void)state;
	struct simclock c = clk(10, SEC);
	assert_int_equal(simclock_sim_at(&c, EPOCH - 1), 0);
	assert_int_equal(simclock_sim_at(&c, 0), 0);
	assert_int_equal(simclock_height_at(&c, EPOCH - 100 * SEC), 0);

	/* an epoch in the future: "now" is before it */
	c.epoch_unix_us = simclock_wall_now_us() + 3600 * SEC;
	assert_int_equal(simclock_now(&c), 0);
	assert_int_equal(simclock_height(&c), 0);
}

static void test_height_time_inverse(void **state)
{
	(void)state;
	static const double scales[] = { 1, 10, 0.5, 3, 1.0 / 3 };
	for (size_t s = 0; s < sizeof(scales) / sizeof(scales[0]); s++) {
		struct simclock c = clk(scales[s], 600 * 1000);
		for (uint32_t h = 0; h < 300; h += 7) {
			uint64_t t = simclock_height_time(&c, h);
			assert_int_equal(t, (uint64_t)h * 600 * 1000);
			/* the wall time at which height h is reached, by way of a span */
			uint64_t w = EPOCH + tv_us(simclock_wall_span(&c, t));
			assert_int_equal(simclock_height_at(&c, w), h);
			if (h > 0)
				assert_int_equal(simclock_height_at(&c, w - 1), h - 1);
		}
	}
}

static void test_wall_span_scaling(void **state)
{
	(void)state;
	struct simclock c = clk(1, SEC);
	struct timeval tv = simclock_wall_span(&c, 2500000);
	assert_int_equal(tv.tv_sec, 2);
	assert_int_equal(tv.tv_usec, 500000);

	c.time_scale = 10;
	assert_int_equal(tv_us(simclock_wall_span(&c, SEC)), 100000);
	assert_int_equal(tv_us(simclock_wall_span(&c, 60 * SEC)), 6 * SEC);

	c.time_scale = 0.5;
	assert_int_equal(tv_us(simclock_wall_span(&c, SEC)), 2 * SEC);

	/* rounded up: a timer never fires before the span has passed */
	c.time_scale = 3;
	assert_int_equal(tv_us(simclock_wall_span(&c, 1)), 1);
	assert_int_equal(tv_us(simclock_wall_span(&c, 10)), 4);
	assert_int_equal(tv_us(simclock_wall_span(&c, 0)), 0);
	for (uint64_t s = 1; s < 5000; s += 13) {
		uint64_t w = tv_us(simclock_wall_span(&c, s));
		assert_true(simclock_sim_at(&c, EPOCH + w) >= s);
		assert_true(simclock_sim_at(&c, EPOCH + w - 1) < s);
	}
	c.time_scale = 1.0 / 3;
	for (uint64_t s = 1; s < 5000; s += 13) {
		uint64_t w = tv_us(simclock_wall_span(&c, s));
		assert_true(simclock_sim_at(&c, EPOCH + w) >= s);
		assert_true(simclock_sim_at(&c, EPOCH + w - 1) < s);
	}
}

static void test_overflow_guards(void **state)
{
	(void)state;
	struct simclock c = clk(1e30, SEC);
	assert_int_equal(simclock_sim_at(&c, EPOCH + 1), UINT64_MAX);
	assert_int_equal(simclock_height_at(&c, EPOCH + 1), UINT32_MAX);

	c = clk(1000, 1);
	assert_int_equal(simclock_sim_at(&c, UINT64_MAX), UINT64_MAX);
	assert_int_equal(simclock_height_at(&c, UINT64_MAX), UINT32_MAX);
	assert_int_equal(simclock_height_time(&c, UINT32_MAX), UINT32_MAX);

	c = clk(1, UINT64_MAX / 2);
	assert_int_equal(simclock_height_time(&c, 3), UINT64_MAX);

	/* a tiny scale would make an astronomically long timer: capped */
	c = clk(1e-12, SEC);
	struct timeval tv = simclock_wall_span(&c, UINT64_MAX);
	assert_true(tv.tv_sec > 0);
	assert_true(tv.tv_sec <= INT32_MAX);
	assert_true(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
}

static void test_bad_scale_and_interval(void **state)
{
	(void)state;
	/* not a positive scale: real time rather than a stopped clock */
	struct simclock c = clk(0, SEC);
	assert_int_equal(simclock_sim_at(&c, EPOCH + 5 * SEC), 5 * SEC);
	assert_int_equal(tv_us(simclock_wall_span(&c, 5 * SEC)), 5 * SEC);
	c.time_scale = -2;
	assert_int_equal(simclock_sim_at(&c, EPOCH + 5 * SEC), 5 * SEC);

	/* no block interval: no blocks, and no division by zero */
	c = clk(1, 0);
	assert_int_equal(simclock_height_at(&c, EPOCH + 5 * SEC), 0);
}

static void test_now(void **state)
{
	(void)state;
	uint64_t a = simclock_wall_now_us();
	assert_true(a > EPOCH);           /* later than this file */
	uint64_t b = simclock_wall_now_us();
	assert_true(b >= a);

	struct simclock c = { a - 5 * SEC, SEC, 1 };
	uint64_t t = simclock_now(&c);
	assert_true(t >= 5 * SEC && t < 5 * SEC + 60 * SEC);
	uint32_t h = simclock_height(&c);
	assert_true(h >= 5 && h < 65);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_height_scale_1),
		cmocka_unit_test(test_height_scale_10),
		cmocka_unit_test(test_fractional_scale),
		cmocka_unit_test(test_before_epoch),
		cmocka_unit_test(test_height_time_inverse),
		cmocka_unit_test(test_wall_span_scaling),
		cmocka_unit_test(test_overflow_guards),
		cmocka_unit_test(test_bad_scale_and_interval),
		cmocka_unit_test(test_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Alice's reconnect rule (sender/engine/reconnect.c): the waits between
 * tries and when a failing handshake makes her stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "reconnect.h"

static void a_lost_connection_backs_off_exponentially_up_to_a_second(void **state)
{
	(void)state;
	struct reconnect r = { 0, 0 };
	unsigned want[] = { 20, 40, 80, 160, 320, 640, 1000, 1000 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct reconnect_next n = reconnect_after(&r, RECONNECT_LOST);
		assert_false(n.give_up);
		assert_int_equal(n.delay_ms, want[i]);
	}
}

static void a_first_start_waits_a_little_longer_each_try(void **state)
{
	(void)state;
	struct reconnect r = { 0, 0 };
	for (unsigned i = 1; i <= 150; i++) {
		struct reconnect_next n = reconnect_after(&r, RECONNECT_STARTING);
		assert_false(n.give_up);
		unsigned want = i * RECONNECT_STEP_MS;
		assert_int_equal(n.delay_ms, want > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : want);
	}
}

static void failed_handshakes_back_off_and_stop_after_the_limit(void **state)
{
	(void)state;
	struct reconnect r = { 0, 0 };
	unsigned last = 0;
	for (unsigned i = 1; i < RECONNECT_HANDSHAKE_TRIES; i++) {
		struct reconnect_next n = reconnect_after(&r, RECONNECT_HANDSHAKE);
		assert_false(n.give_up);
		assert_int_equal(n.failures, i);
		assert_true(n.delay_ms > last);          /* never faster than before */
		assert_int_equal(n.delay_ms, RECONNECT_FIRST_MS << (i - 1));
		last = n.delay_ms;
	}
	struct reconnect_next n = reconnect_after(&r, RECONNECT_HANDSHAKE);
	assert_true(n.give_up);
	assert_int_equal(n.failures, RECONNECT_HANDSHAKE_TRIES);
}

static void a_handshake_after_a_first_start_doubles_the_wait_it_had(void **state)
{
	(void)state;
	struct reconnect r = { 0, 0 };
	reconnect_after(&r, RECONNECT_STARTING);
	reconnect_after(&r, RECONNECT_STARTING);       /* 20 ms */
	struct reconnect_next n = reconnect_after(&r, RECONNECT_HANDSHAKE);
	assert_false(n.give_up);
	assert_int_equal(n.delay_ms, 40);
}

static void a_handshake_that_ends_starts_everything_over(void **state)
{
	(void)state;
	struct reconnect r = { 0, 0 };
	for (unsigned i = 1; i < RECONNECT_HANDSHAKE_TRIES; i++)
		assert_false(reconnect_after(&r, RECONNECT_HANDSHAKE).give_up);
	reconnect_secured(&r);
	struct reconnect_next n = reconnect_after(&r, RECONNECT_HANDSHAKE);
	assert_false(n.give_up);                      /* counted from one again */
	assert_int_equal(n.failures, 1);
	assert_int_equal(n.delay_ms, RECONNECT_FIRST_MS);
}

static void failures_need_not_be_interrupted_by_lost_connections_to_count(void **state)
{
	(void)state;
	/* a refused TCP connect between two failed handshakes (bob restarting
	 * with the same wrong key) does not forgive the handshakes */
	struct reconnect r = { 0, 0 };
	for (unsigned i = 1; i < RECONNECT_HANDSHAKE_TRIES; i++) {
		assert_false(reconnect_after(&r, RECONNECT_HANDSHAKE).give_up);
		assert_false(reconnect_after(&r, RECONNECT_LOST).give_up);
	}
	assert_true(reconnect_after(&r, RECONNECT_HANDSHAKE).give_up);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_lost_connection_backs_off_exponentially_up_to_a_second),
		cmocka_unit_test(a_first_start_waits_a_little_longer_each_try),
		cmocka_unit_test(failed_handshakes_back_off_and_stop_after_the_limit),
		cmocka_unit_test(a_handshake_after_a_first_start_doubles_the_wait_it_had),
		cmocka_unit_test(a_handshake_that_ends_starts_everything_over),
		cmocka_unit_test(failures_need_not_be_interrupted_by_lost_connections_to_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Alice's splitting (sender/engine/split.c) and outcome rule (sender/engine/payer.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "payer.h"
#include "split.h"

#define BTC(x) amount_msat((uint64_t)((x) * 1000) * (MSAT_PER_BTC / 1000))

static struct split_chan ch(double btc)
{
	struct split_chan c = { BTC(btc), 483, amount_msat(1), true };
	return c;
}

static uint64_t total(const struct split_part *p, size_t n)
{
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++)
		t += p[i].amount.millisatoshis;
	return t;
}

static void fewest_uses_both_channels_of_the_seed(void **state)
{
	(void)state;
	struct split_chan c[2] = { ch(1), ch(1) };
	struct split_part out[8];
	const char *why = NULL;
	size_t n = split_payment(c, 2, BTC(2), 0, out, 8, &why);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].amount.millisatoshis, BTC(1).millisatoshis);
	assert_int_equal(out[1].amount.millisatoshis, BTC(1).millisatoshis);
	assert_int_not_equal(out[0].chan, out[1].chan);
}

static void fewest_prefers_one_big_channel(void **state)
{
	(void)state;
	struct split_chan c[3] = { ch(1), ch(3), ch(0.5) };
	struct split_part out[8];
	const char *why;
	size_t n = split_payment(c, 3, BTC(2), 0, out, 8, &why);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].chan, 1);
}

static void single_part_cannot_exceed_a_channel(void **state)
{
	(void)state;
	struct split_chan c[2] = { ch(1), ch(1) };
	struct split_part out[8];
	const char *why = NULL;
	assert_int_equal(split_payment(c, 2, BTC(2), 1, out, 8, &why), 0);
	assert_non_null(why);
}

static void not_enough_in_all_channels(void **state)
{
	(void)state;
	struct split_chan c[2] = { ch(1), ch(0.5) };
	struct split_part out[8];
	const char *why = NULL;
	assert_int_equal(split_payment(c, 2, BTC(2), 0, out, 8, &why), 0);
	assert_non_null(strstr(why, "cannot carry"));
}

static void unusable_and_full_channels_are_skipped(void **state)
{
	(void)state;
	struct split_chan c[3] = { ch(5), ch(5), ch(1) };
	c[0].usable = false;
	c[1].free_slots = 0;
	struct split_part out[8];
	const char *why;
	assert_int_equal(split_payment(c, 3, BTC(1), 0, out, 8, &why), 1);
	assert_int_equal(out[0].chan, 2);
	assert_int_equal(split_payment(c, 3, BTC(1.5), 0, out, 8, &why), 0);
}

static void equal_parts_with_remainder_sum_exactly(void **state)
{
	(void)state;
	struct split_chan c[3] = { ch(1), ch(1), ch(1) };
	struct split_part out[8];
	const char *why;
	struct amount_msat amt = amount_msat(100000000001ULL);
	size_t n = split_payment(c, 3, amt, 3, out, 8, &why);
	assert_int_equal(n, 3);
	assert_int_equal(total(out, n), amt.millisatoshis);
	assert_int_equal(out[0].amount.millisatoshis, 33333333334ULL);
	assert_int_equal(out[2].amount.millisatoshis, 33333333333ULL);
}

static void uneven_channels_fall_back_to_filling(void **state)
{
	(void)state;
	struct split_chan c[2] = { ch(1.5), ch(0.5) };
	struct split_part out[8];
	const char *why;
	size_t n = split_payment(c, 2, BTC(2), 2, out, 8, &why);
	assert_int_equal(n, 2);
	assert_int_equal(total(out, n), BTC(2).millisatoshis);
	uint64_t per[2] = { 0, 0 };
	for (size_t i = 0; i < n; i++)
		per[out[i].chan] += out[i].amount.millisatoshis;
	assert_true(per[0] <= BTC(1.5).millisatoshis);
	assert_true(per[1] <= BTC(0.5).millisatoshis);
}

static void more_parts_than_channels_share_channels(void **state)
{
	(void)state;
	struct split_chan c[2] = { ch(1), ch(1) };
	struct split_part out[8];
	const char *why;
	size_t n = split_payment(c, 2, BTC(2), 4, out, 8, &why);
	assert_int_equal(n, 4);
	assert_int_equal(total(out, n), BTC(2).millisatoshis);
}

static void slots_limit_the_number_of_parts(void **state)
{
	(void)state;
	struct split_chan c[2] = { ch(1), ch(1) };
	c[0].free_slots = 1;
	c[1].free_slots = 1;
	struct split_part out[8];
	const char *why = NULL;
	assert_int_equal(split_payment(c, 2, BTC(1), 3, out, 8, &why), 0);
	assert_non_null(why);
}

static void minimum_htlc_is_respected(void **state)
{
	(void)state;
	struct split_chan c[1] = { ch(1) };
	c[0].minimum = amount_msat(600);
	struct split_part out[8];
	const char *why;
	assert_int_equal(split_payment(c, 1, amount_msat(1000), 2, out, 8, &why), 0);
	assert_int_equal(split_payment(c, 1, amount_msat(1200), 2, out, 8, &why), 2);
}

static void pick_channel_avoids_and_prefers_room(void **state)
{
	(void)state;
	struct split_chan c[3] = { ch(1), ch(3), ch(2) };
	assert_int_equal(split_pick_channel(c, 3, BTC(1), SIZE_MAX), 1);
	assert_int_equal(split_pick_channel(c, 3, BTC(1), 1), 2);
	assert_int_equal(split_pick_channel(c, 3, BTC(4), SIZE_MAX), SIZE_MAX);
}

static void outcome_rules(void **state)
{
	(void)state;
	struct payment p;
	bool violation;
	memset(&p, 0, sizeof(p));
	p.mode = PAY_AMP;
	p.amount = BTC(2);
	struct part *a = payment_new_part(&p);
	a->amount = BTC(1);
	struct part *b = payment_new_part(&p);
	b->amount = BTC(1);
	a = &p.parts[0];
	a->state = PART_INFLIGHT;
	b->state = PART_FULFILLED;
	assert_int_equal(payment_outcome(&p, &violation), OUTCOME_PENDING);
	a->state = PART_FULFILLED;
	assert_int_equal(payment_outcome(&p, &violation), OUTCOME_SETTLED);
	assert_false(violation);
	a->state = PART_FAILED;
	assert_int_equal(payment_outcome(&p, &violation), OUTCOME_PARTIAL);
	assert_true(violation);   /* AMP must never end partly paid */
	p.mode = PAY_INVOICES;
	assert_int_equal(payment_outcome(&p, &violation), OUTCOME_PARTIAL);
	assert_false(violation);
	b->state = PART_FAILED;
	assert_int_equal(payment_outcome(&p, &violation), OUTCOME_FAILED);
	b->state = PART_REFUNDED;
	assert_int_equal(payment_outcome(&p, &violation), OUTCOME_REFUNDED);
	p.state = PAY_AWAITING_INVOICE;   /* its invoice is awaited */
	assert_int_equal(payment_outcome(&p, &violation), OUTCOME_PENDING);
	payment_free(&p);
}

static void a_retry_that_settles_counts_once(void **state)
{
	(void)state;
	struct payment p;
	bool violation;
	memset(&p, 0, sizeof(p));
	p.mode = PAY_AMP;
	p.amount = BTC(2);
	for (int i = 0; i < 3; i++)
		payment_new_part(&p)->amount = BTC(1);
	p.parts[0].state = PART_FAILED;      /* replaced by part 2 */
	p.parts[1].state = PART_FULFILLED;
	p.parts[2].state = PART_FULFILLED;
	assert_int_equal(payment_outcome(&p, &violation), OUTCOME_SETTLED);
	assert_int_equal(payment_paid(&p).millisatoshis, BTC(2).millisatoshis);
	payment_free(&p);
}

static void part_lifecycle_allows_only_its_transitions(void **state)
{
	(void)state;
	static const enum part_event all[] = { PEV_SENT, PEV_UNSENDABLE, PEV_FULFILLED,
					       PEV_FAILED, PEV_EXPIRED };
	/* from each state, exactly the listed events are allowed */
	static const struct {
		enum part_state from;
		enum part_event ev;
		enum part_state to;
	} ok[] = {
		{ PART_WAITING, PEV_SENT, PART_INFLIGHT },
		{ PART_WAITING, PEV_UNSENDABLE, PART_FAILED },
		{ PART_INFLIGHT, PEV_FULFILLED, PART_FULFILLED },
		{ PART_INFLIGHT, PEV_FAILED, PART_FAILED },
		{ PART_INFLIGHT, PEV_EXPIRED, PART_REFUNDED },
	};
	enum part_state states[] = { PART_WAITING, PART_INFLIGHT, PART_FULFILLED, PART_FAILED,
				     PART_REFUNDED };
	for (size_t si = 0; si < 5; si++) {
		for (size_t ei = 0; ei < 5; ei++) {
			struct part pt;
			memset(&pt, 0, sizeof(pt));
			pt.state = states[si];
			int want = -1;
			for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
				if (ok[k].from == states[si] && ok[k].ev == all[ei])
					want = (int)ok[k].to;
			struct payment p;
			memset(&p, 0, sizeof(p));
			p.parts = &pt;
			p.nparts = 1;
			struct actions a;
			actions_init(&a);
			bool done = part_change(&p, 0, all[ei], FSM_OURS, NULL, &a);
			assert_int_equal(done, want >= 0);
			assert_int_equal(pt.state, want >= 0 ? (enum part_state)want : states[si]);
			actions_free(&a);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fewest_uses_both_channels_of_the_seed),
		cmocka_unit_test(fewest_prefers_one_big_channel),
		cmocka_unit_test(single_part_cannot_exceed_a_channel),
		cmocka_unit_test(not_enough_in_all_channels),
		cmocka_unit_test(unusable_and_full_channels_are_skipped),
		cmocka_unit_test(equal_parts_with_remainder_sum_exactly),
		cmocka_unit_test(uneven_channels_fall_back_to_filling),
		cmocka_unit_test(more_parts_than_channels_share_channels),
		cmocka_unit_test(slots_limit_the_number_of_parts),
		cmocka_unit_test(minimum_htlc_is_respected),
		cmocka_unit_test(pick_channel_avoids_and_prefers_room),
		cmocka_unit_test(outcome_rules),
		cmocka_unit_test(a_retry_that_settles_counts_once),
		cmocka_unit_test(part_lifecycle_allows_only_its_transitions),
	};
	return cmocka_run_group_tests_name("split", tests, NULL, NULL);
}

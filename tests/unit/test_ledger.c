/* Unit tests for sim/ledger.c: money moves as BOLT #2 says, every failed
 * operation changes nothing, and conservation (invariant 1) always holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger.h"
#include "rng.h"

#define BTC(x) amount_msat((uint64_t)(x) * MSAT_PER_BTC)

static const uint8_t HASH[AMP_LEN] = { 0xab, 0xcd };

/* A deep copy of a ledger, to show an operation changed nothing. */
struct snapshot {
	struct ledger l;
	struct ledger_htlc slots[BOLT2_MAX_HTLCS];
};

static void snap(const struct ledger *l, struct snapshot *s)
{
	s->l = *l;
	memcpy(s->slots, l->htlcs, l->max_htlcs * sizeof(l->htlcs[0]));
}

static void assert_unchanged(const struct ledger *l, const struct snapshot *s)
{
	assert_string_equal(l->id, s->l.id);
	assert_int_equal(l->capacity.millisatoshis, s->l.capacity.millisatoshis);
	assert_int_equal(l->alice.millisatoshis, s->l.alice.millisatoshis);
	assert_int_equal(l->bob.millisatoshis, s->l.bob.millisatoshis);
	assert_int_equal(l->inflight.millisatoshis, s->l.inflight.millisatoshis);
	assert_int_equal(l->htlc_minimum.millisatoshis, s->l.htlc_minimum.millisatoshis);
	assert_int_equal(l->max_htlcs, s->l.max_htlcs);
	assert_int_equal(l->nhtlcs, s->l.nhtlcs);
	assert_ptr_equal(l->htlcs, s->l.htlcs);
	assert_memory_equal(l->htlcs, s->slots, l->max_htlcs * sizeof(l->htlcs[0]));
}

static void open_channel(struct ledger *l, struct amount_msat cap, struct amount_msat alice,
			 uint32_t slots)
{
	assert_int_equal(ledger_init(l, "c1", cap, alice, slots, amount_msat(1)), LEDGER_OK);
	assert_true(ledger_conserves(l));
}

static void test_init(void **state)
{
	(void)state;
	struct ledger l;
	assert_int_equal(ledger_init(&l, "c1", BTC(1), amount_msat(60000000000ULL), 483,
				     amount_msat(1000)),
			 LEDGER_OK);
	assert_string_equal(l.id, "c1");
	assert_int_equal(l.capacity.millisatoshis, MSAT_PER_BTC);
	assert_int_equal(l.alice.millisatoshis, 60000000000ULL);
	assert_int_equal(l.bob.millisatoshis, 40000000000ULL);
	assert_int_equal(l.inflight.millisatoshis, 0);
	assert_int_equal(l.htlc_minimum.millisatoshis, 1000);
	assert_int_equal(l.max_htlcs, 483);
	assert_int_equal(l.nhtlcs, 0);
	assert_non_null(l.htlcs);
	for (uint32_t i = 0; i < l.max_htlcs; i++)
		assert_false(l.htlcs[i].used);
	assert_int_equal(ledger_free_slots(&l), 483);
	assert_true(ledger_conserves(&l));
	ledger_free(&l);
	assert_null(l.htlcs);
	assert_int_equal(ledger_free_slots(&l), 0);
}

static void test_init_rejects(void **state)
{
	(void)state;
	struct ledger l, before;
	memset(&l, 0x5c, sizeof(l));
	before = l;
	assert_int_equal(ledger_init(&l, "c1", BTC(1), amount_msat(MSAT_PER_BTC + 1), 483,
				     amount_msat(1)),
			 LEDGER_BAD_PARAMS);
	assert_int_equal(ledger_init(&l, "c1", BTC(1), BTC(1), 0, amount_msat(1)),
			 LEDGER_BAD_PARAMS);
	assert_int_equal(ledger_init(&l, "c1", BTC(1), BTC(1), 484, amount_msat(1)),
			 LEDGER_BAD_PARAMS);
	assert_int_equal(ledger_init(&l, "c1", amount_msat(0), amount_msat(0), 483, amount_msat(1)),
			 LEDGER_BAD_PARAMS);
	assert_int_equal(ledger_init(&l, "", BTC(1), BTC(1), 483, amount_msat(1)),
			 LEDGER_BAD_PARAMS);
	assert_int_equal(ledger_init(&l, "0123456789abcdef0123456789abcdef", BTC(1), BTC(1), 483,
				     amount_msat(1)),
			 LEDGER_BAD_PARAMS);
	/* a refused init leaves the struct as it was */
	assert_memory_equal(&l, &before, sizeof(l));

	/* the edges are fine: 1 and 483 slots, all or nothing to Alice,
	 * an id of LEDGER_ID_MAX - 1 characters */
	assert_int_equal(ledger_init(&l, "c1", BTC(1), BTC(1), 1, amount_msat(1)), LEDGER_OK);
	ledger_free(&l);
	assert_int_equal(ledger_init(&l, "0123456789abcdef0123456789abcde", BTC(1), amount_msat(0),
				     483, amount_msat(1)),
			 LEDGER_OK);
	assert_int_equal(l.bob.millisatoshis, MSAT_PER_BTC);
	ledger_free(&l);
}

static void test_add_moves_money(void **state)
{
	(void)state;
	struct ledger l;
	open_channel(&l, BTC(1), BTC(1), 483);
	assert_int_equal(ledger_add(&l, 0, amount_msat(30000000000ULL), HASH, 140), LEDGER_OK);
	assert_int_equal(l.alice.millisatoshis, 70000000000ULL);
	assert_int_equal(l.bob.millisatoshis, 0);
	assert_int_equal(l.inflight.millisatoshis, 30000000000ULL);
	assert_int_equal(l.nhtlcs, 1);
	assert_int_equal(ledger_free_slots(&l), 482);
	assert_true(ledger_conserves(&l));

	const struct ledger_htlc *h = ledger_find(&l, 0);
	assert_non_null(h);
	assert_true(h->used);
	assert_int_equal(h->id, 0);
	assert_int_equal(h->amount.millisatoshis, 30000000000ULL);
	assert_memory_equal(h->hash, HASH, AMP_LEN);
	assert_int_equal(h->cltv_expiry, 140);
	assert_null(ledger_find(&l, 1));
	ledger_free(&l);
}

static void test_fulfill_pays_bob(void **state)
{
	(void)state;
	struct ledger l;
	struct ledger_htlc out;
	open_channel(&l, BTC(1), BTC(1), 483);
	assert_int_equal(ledger_add(&l, 7, amount_msat(25000), HASH, 100), LEDGER_OK);
	assert_int_equal(ledger_resolve(&l, 7, HTLC_FULFILLED, &out), LEDGER_OK);
	assert_int_equal(out.id, 7);
	assert_int_equal(out.amount.millisatoshis, 25000);
	assert_int_equal(out.cltv_expiry, 100);
	assert_memory_equal(out.hash, HASH, AMP_LEN);
	assert_int_equal(l.alice.millisatoshis, MSAT_PER_BTC - 25000);
	assert_int_equal(l.bob.millisatoshis, 25000);
	assert_int_equal(l.inflight.millisatoshis, 0);
	assert_int_equal(l.nhtlcs, 0);
	assert_null(ledger_find(&l, 7));
	assert_true(ledger_conserves(&l));
	ledger_free(&l);
}

static void test_fail_and_refund_return_to_alice(void **state)
{
	(void)state;
	struct ledger l;
	open_channel(&l, BTC(2), BTC(1), 483);
	assert_int_equal(ledger_add(&l, 1, amount_msat(1000), HASH, 100), LEDGER_OK);
	assert_int_equal(ledger_add(&l, 2, amount_msat(2000), HASH, 100), LEDGER_OK);
	assert_int_equal(l.inflight.millisatoshis, 3000);

	assert_int_equal(ledger_resolve(&l, 1, HTLC_FAILED, NULL), LEDGER_OK);
	assert_int_equal(l.alice.millisatoshis, MSAT_PER_BTC - 2000);
	assert_int_equal(l.inflight.millisatoshis, 2000);
	assert_true(ledger_conserves(&l));

	assert_int_equal(ledger_resolve(&l, 2, HTLC_REFUNDED, NULL), LEDGER_OK);
	assert_int_equal(l.alice.millisatoshis, MSAT_PER_BTC);
	assert_int_equal(l.bob.millisatoshis, MSAT_PER_BTC);
	assert_int_equal(l.inflight.millisatoshis, 0);
	assert_int_equal(l.nhtlcs, 0);
	assert_true(ledger_conserves(&l));
	ledger_free(&l);
}

static void test_seed_story(void **state)
{
	(void)state;
	/* The seed: Bob is owed 2 BTC, each channel holds 1 BTC. One channel
	 * cannot carry it; one shard per channel can. */
	struct ledger c1, c2;
	struct snapshot s;
	open_channel(&c1, BTC(1), BTC(1), 483);
	open_channel(&c2, BTC(1), BTC(1), 483);
	snap(&c1, &s);
	assert_int_equal(ledger_add(&c1, 0, BTC(2), HASH, 40), LEDGER_NO_FUNDS);
	assert_unchanged(&c1, &s);

	assert_int_equal(ledger_add(&c1, 0, BTC(1), HASH, 40), LEDGER_OK);
	assert_int_equal(ledger_add(&c2, 0, BTC(1), HASH, 40), LEDGER_OK);
	assert_int_equal(ledger_spendable(&c1).millisatoshis, 0);
	assert_int_equal(ledger_resolve(&c1, 0, HTLC_FULFILLED, NULL), LEDGER_OK);
	assert_int_equal(ledger_resolve(&c2, 0, HTLC_FULFILLED, NULL), LEDGER_OK);
	assert_int_equal(c1.alice.millisatoshis, 0);
	assert_int_equal(c1.bob.millisatoshis, MSAT_PER_BTC);
	assert_int_equal(c2.alice.millisatoshis, 0);
	assert_int_equal(c2.bob.millisatoshis, MSAT_PER_BTC);
	assert_true(ledger_conserves(&c1));
	assert_true(ledger_conserves(&c2));
	ledger_free(&c1);
	ledger_free(&c2);
}

static void test_no_funds_unchanged(void **state)
{
	(void)state;
	struct ledger l;
	struct snapshot s;
	open_channel(&l, BTC(1), amount_msat(5000), 483);
	assert_int_equal(ledger_add(&l, 0, amount_msat(3000), HASH, 10), LEDGER_OK);
	snap(&l, &s);
	assert_int_equal(ledger_add(&l, 1, amount_msat(2001), HASH, 10), LEDGER_NO_FUNDS);
	assert_unchanged(&l, &s);
	assert_int_equal(ledger_add(&l, 1, amount_msat(UINT64_MAX), HASH, 10), LEDGER_NO_FUNDS);
	assert_unchanged(&l, &s);
	/* exactly what is left is fine */
	assert_int_equal(ledger_add(&l, 1, amount_msat(2000), HASH, 10), LEDGER_OK);
	assert_int_equal(l.alice.millisatoshis, 0);
	assert_true(ledger_conserves(&l));
	ledger_free(&l);
}

static void test_no_slot_unchanged(void **state)
{
	(void)state;
	struct ledger l;
	struct snapshot s;
	open_channel(&l, BTC(1), BTC(1), 2);
	assert_int_equal(ledger_add(&l, 10, amount_msat(1000), HASH, 10), LEDGER_OK);
	assert_int_equal(ledger_add(&l, 11, amount_msat(1000), HASH, 10), LEDGER_OK);
	assert_int_equal(ledger_free_slots(&l), 0);
	assert_int_equal(ledger_spendable(&l).millisatoshis, 0);
	snap(&l, &s);
	assert_int_equal(ledger_add(&l, 12, amount_msat(1000), HASH, 10), LEDGER_NO_SLOT);
	assert_unchanged(&l, &s);
	assert_null(ledger_find(&l, 12));
	ledger_free(&l);
}

static void test_below_minimum_unchanged(void **state)
{
	(void)state;
	struct ledger l;
	struct snapshot s;
	assert_int_equal(ledger_init(&l, "c1", BTC(1), BTC(1), 483, amount_msat(1000)), LEDGER_OK);
	snap(&l, &s);
	assert_int_equal(ledger_add(&l, 0, amount_msat(999), HASH, 10), LEDGER_BELOW_MIN);
	assert_unchanged(&l, &s);
	assert_int_equal(ledger_add(&l, 0, amount_msat(0), HASH, 10), LEDGER_BELOW_MIN);
	assert_unchanged(&l, &s);
	assert_int_equal(ledger_add(&l, 0, amount_msat(1000), HASH, 10), LEDGER_OK);
	ledger_free(&l);

	/* zero is refused even with no minimum */
	assert_int_equal(ledger_init(&l, "c1", BTC(1), BTC(1), 483, amount_msat(0)), LEDGER_OK);
	snap(&l, &s);
	assert_int_equal(ledger_add(&l, 0, amount_msat(0), HASH, 10), LEDGER_BELOW_MIN);
	assert_unchanged(&l, &s);
	ledger_free(&l);
}

static void test_duplicate_id_unchanged(void **state)
{
	(void)state;
	struct ledger l;
	struct snapshot s;
	open_channel(&l, BTC(1), BTC(1), 483);
	assert_int_equal(ledger_add(&l, 42, amount_msat(1000), HASH, 10), LEDGER_OK);
	snap(&l, &s);
	assert_int_equal(ledger_add(&l, 42, amount_msat(5000), HASH, 20), LEDGER_DUP_ID);
	assert_unchanged(&l, &s);
	assert_int_equal(ledger_find(&l, 42)->amount.millisatoshis, 1000);

	/* once resolved, the id may be used again */
	assert_int_equal(ledger_resolve(&l, 42, HTLC_FAILED, NULL), LEDGER_OK);
	assert_int_equal(ledger_add(&l, 42, amount_msat(5000), HASH, 20), LEDGER_OK);
	assert_int_equal(ledger_find(&l, 42)->amount.millisatoshis, 5000);
	ledger_free(&l);
}

static void test_unknown_id_unchanged(void **state)
{
	(void)state;
	struct ledger l;
	struct snapshot s;
	struct ledger_htlc out;
	open_channel(&l, BTC(1), BTC(1), 483);
	assert_int_equal(ledger_add(&l, 1, amount_msat(1000), HASH, 10), LEDGER_OK);
	snap(&l, &s);
	memset(&out, 0x77, sizeof(out));
	assert_int_equal(ledger_resolve(&l, 2, HTLC_FULFILLED, &out), LEDGER_UNKNOWN_HTLC);
	assert_unchanged(&l, &s);
	assert_int_equal(out.id, 0x7777777777777777ULL);

	/* resolving twice: the second finds nothing */
	assert_int_equal(ledger_resolve(&l, 1, HTLC_FULFILLED, NULL), LEDGER_OK);
	snap(&l, &s);
	assert_int_equal(ledger_resolve(&l, 1, HTLC_FULFILLED, NULL), LEDGER_UNKNOWN_HTLC);
	assert_int_equal(ledger_resolve(&l, 1, HTLC_REFUNDED, NULL), LEDGER_UNKNOWN_HTLC);
	assert_unchanged(&l, &s);
	assert_int_equal(l.bob.millisatoshis, 1000);
	ledger_free(&l);
}

static void test_slots_freed(void **state)
{
	(void)state;
	struct ledger l;
	open_channel(&l, BTC(1), BTC(1), 2);
	for (uint64_t id = 0; id < 100; id++) {
		assert_int_equal(ledger_add(&l, id, amount_msat(1000), HASH, 10), LEDGER_OK);
		assert_int_equal(ledger_add(&l, id + 1000, amount_msat(1000), HASH, 10), LEDGER_OK);
		assert_int_equal(ledger_add(&l, id + 2000, amount_msat(1000), HASH, 10), LEDGER_NO_SLOT);
		enum htlc_end how = (enum htlc_end)(id % 3);
		assert_int_equal(ledger_resolve(&l, id, how, NULL), LEDGER_OK);
		assert_int_equal(ledger_free_slots(&l), 1);
		assert_int_equal(ledger_resolve(&l, id + 1000, HTLC_FAILED, NULL), LEDGER_OK);
		assert_int_equal(ledger_free_slots(&l), 2);
		assert_true(ledger_conserves(&l));
	}
	for (uint32_t i = 0; i < l.max_htlcs; i++)
		assert_false(l.htlcs[i].used);
	ledger_free(&l);
}

static void test_spendable(void **state)
{
	(void)state;
	struct ledger l;
	assert_int_equal(ledger_init(&l, "c1", BTC(1), amount_msat(5000), 483, amount_msat(1000)),
			 LEDGER_OK);
	assert_int_equal(ledger_spendable(&l).millisatoshis, 5000);
	assert_int_equal(ledger_add(&l, 0, amount_msat(4500), HASH, 10), LEDGER_OK);
	/* 500 msat left, below the 1000 minimum: nothing can be offered */
	assert_int_equal(ledger_spendable(&l).millisatoshis, 0);
	assert_int_equal(ledger_resolve(&l, 0, HTLC_FAILED, NULL), LEDGER_OK);
	assert_int_equal(ledger_spendable(&l).millisatoshis, 5000);
	ledger_free(&l);
}

static void test_conserves_detects_corruption(void **state)
{
	(void)state;
	struct ledger l;
	open_channel(&l, BTC(1), BTC(1), 483);
	assert_int_equal(ledger_add(&l, 0, amount_msat(1000), HASH, 10), LEDGER_OK);
	assert_true(ledger_conserves(&l));
	l.bob.millisatoshis += 1;
	assert_false(ledger_conserves(&l));
	l.bob.millisatoshis -= 1;
	l.htlcs[0].amount.millisatoshis += 1;      /* slot 0 holds the only HTLC */
	assert_false(ledger_conserves(&l));
	l.htlcs[0].amount.millisatoshis -= 1;
	l.nhtlcs = 2;
	assert_false(ledger_conserves(&l));
	l.nhtlcs = 1;
	l.alice.millisatoshis = UINT64_MAX;        /* the sum would wrap */
	assert_false(ledger_conserves(&l));
	l.alice.millisatoshis = MSAT_PER_BTC - 1000;
	assert_true(ledger_conserves(&l));
	ledger_free(&l);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(htlc_end_name(HTLC_FULFILLED), "fulfilled");
	assert_string_equal(htlc_end_name(HTLC_FAILED), "failed");
	assert_string_equal(htlc_end_name(HTLC_REFUNDED), "refunded");
	assert_string_equal(ledger_err_name(LEDGER_OK), "ok");
	assert_string_equal(ledger_err_name(LEDGER_NO_FUNDS), "no_funds");
	assert_string_equal(ledger_err_name(LEDGER_NO_SLOT), "no_slot");
	/* every error has its own name */
	enum ledger_err all[] = { LEDGER_OK, LEDGER_BAD_PARAMS, LEDGER_NO_FUNDS, LEDGER_NO_SLOT,
				  LEDGER_BELOW_MIN, LEDGER_DUP_ID, LEDGER_UNKNOWN_HTLC };
	size_t n = sizeof(all) / sizeof(all[0]);
	for (size_t i = 0; i < n; i++) {
		const char *a = ledger_err_name(all[i]);
		assert_true(strlen(a) > 0);
		assert_null(strchr(a, ' '));
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(a, ledger_err_name(all[j]));
	}
}

static void test_random_sequence_conserves(void **state)
{
	(void)state;
	/* A long, seeded walk of adds and resolutions, mixed with operations
	 * that must fail. After every step the ledger conserves, and it agrees
	 * with a model kept on the side. */
	struct ledger l;
	struct rng r;
	enum { SLOTS = 16, STEPS = 20000 };
	uint64_t model_alice = 50000000, model_bob = 50000000, model_flight = 0;
	uint64_t next_id = 0, counts[4] = { 0 };

	rng_init(&r, 1234, "ledger-test");
	assert_int_equal(ledger_init(&l, "c1", amount_msat(100000000), amount_msat(model_alice),
				     SLOTS, amount_msat(100)),
			 LEDGER_OK);
	for (int step = 0; step < STEPS; step++) {
		struct snapshot s;
		snap(&l, &s);
		uint64_t pick = rng_u64(&r);
		if (pick % 2 == 0) {
			/* add: sometimes beyond Alice's means, sometimes tiny */
			uint64_t amt = rng_u64(&r) % (model_alice / 4 + 200);
			enum ledger_err e = ledger_add(&l, next_id, amount_msat(amt), HASH,
						       (uint32_t)step);
			if (e == LEDGER_OK) {
				assert_true(amt >= 100 && amt <= model_alice && s.l.nhtlcs < SLOTS);
				model_alice -= amt;
				model_flight += amt;
				next_id++;
				counts[0]++;
			} else {
				assert_true(amt < 100 || amt > model_alice || s.l.nhtlcs == SLOTS);
				assert_unchanged(&l, &s);
			}
		} else if (l.nhtlcs > 0) {
			/* resolve one in-flight HTLC, chosen at random */
			uint32_t k = (uint32_t)(rng_u64(&r) % l.max_htlcs);
			while (!l.htlcs[k].used)
				k = (k + 1) % l.max_htlcs;
			struct ledger_htlc h = l.htlcs[k], out;
			enum htlc_end how = (enum htlc_end)(rng_u64(&r) % 3);
			assert_int_equal(ledger_resolve(&l, h.id, how, &out), LEDGER_OK);
			assert_int_equal(out.amount.millisatoshis, h.amount.millisatoshis);
			model_flight -= h.amount.millisatoshis;
			if (how == HTLC_FULFILLED)
				model_bob += h.amount.millisatoshis;
			else
				model_alice += h.amount.millisatoshis;
			counts[1 + how]++;
		} else {
			assert_int_equal(ledger_resolve(&l, next_id, HTLC_FAILED, NULL),
					 LEDGER_UNKNOWN_HTLC);
			assert_unchanged(&l, &s);
		}
		if (!ledger_conserves(&l))
			fail_msg("conservation broken at step %d", step);
		assert_int_equal(l.alice.millisatoshis, model_alice);
		assert_int_equal(l.bob.millisatoshis, model_bob);
		assert_int_equal(l.inflight.millisatoshis, model_flight);
	}
	/* the walk exercised every path */
	for (int i = 0; i < 4; i++)
		assert_true(counts[i] > 100);
	assert_true(model_bob > 50000000);
	ledger_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_add_moves_money),
		cmocka_unit_test(test_fulfill_pays_bob),
		cmocka_unit_test(test_fail_and_refund_return_to_alice),
		cmocka_unit_test(test_seed_story),
		cmocka_unit_test(test_no_funds_unchanged),
		cmocka_unit_test(test_no_slot_unchanged),
		cmocka_unit_test(test_below_minimum_unchanged),
		cmocka_unit_test(test_duplicate_id_unchanged),
		cmocka_unit_test(test_unknown_id_unchanged),
		cmocka_unit_test(test_slots_freed),
		cmocka_unit_test(test_spendable),
		cmocka_unit_test(test_conserves_detects_corruption),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_random_sequence_conserves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

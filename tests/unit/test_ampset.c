/* Bob's set reassembly (receiver/ampset.c): all-or-none settlement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "ampset.h"

#define BTC(x) amount_msat((uint64_t)(x) * MSAT_PER_BTC)

struct amp_fixture {
	uint8_t root[AMP_LEN];
	uint8_t set_id[AMP_LEN];
	uint8_t shares[4][AMP_LEN];
	struct set_htlc h[4];
};

static void make_amp(struct amp_fixture *f, size_t n, uint64_t each_btc)
{
	memset(f, 0, sizeof(*f));
	memset(f->root, 0x5a, AMP_LEN);
	memset(f->set_id, 0x11, AMP_LEN);
	amp_split(f->root, f->shares, n);
	for (size_t i = 0; i < n; i++) {
		snprintf(f->h[i].channel, sizeof(f->h[i].channel), "c%zu", i + 1);
		f->h[i].htlc_id = i;
		f->h[i].amount = BTC(each_btc);
		memcpy(f->h[i].share, f->shares[i], AMP_LEN);
		f->h[i].child_index = (uint32_t)(1000 + i);
		f->h[i].cltv_expiry = 100;
		amp_derive(f->root, f->shares[i], f->h[i].child_index, NULL, f->h[i].hash);
	}
}

static void amp_set_holds_until_total_then_completes(void **state)
{
	(void)state;
	struct amp_fixture f;
	struct ampset_table t = { 0 };
	make_amp(&f, 2, 1);
	struct ampset_result r = ampset_add(&t, SET_AMP, f.set_id, BTC(2), &f.h[0], 1000, 5000);
	assert_int_equal(r.verdict, SET_HOLD);
	assert_int_equal(t.count, 1);
	r = ampset_add(&t, SET_AMP, f.set_id, BTC(2), &f.h[1], 9999, 5000);
	assert_int_equal(r.verdict, SET_COMPLETE);
	assert_int_equal(r.set->n, 2);
	uint8_t pre[2][AMP_LEN];
	size_t bad = 99;
	assert_true(ampset_reconstruct(r.set, pre, &bad));
	for (int i = 0; i < 2; i++)
		assert_true(preimage_matches(pre[i], f.h[i].hash));
	assert_memory_not_equal(pre[0], pre[1], AMP_LEN);
	ampset_table_free(&t);
}

static void order_does_not_matter(void **state)
{
	(void)state;
	struct amp_fixture f;
	struct ampset_table t = { 0 };
	make_amp(&f, 3, 1);
	assert_int_equal(ampset_add(&t, SET_AMP, f.set_id, BTC(3), &f.h[2], 1000, 5000).verdict, SET_HOLD);
	assert_int_equal(ampset_add(&t, SET_AMP, f.set_id, BTC(3), &f.h[0], 1000, 5000).verdict, SET_HOLD);
	struct ampset_result r = ampset_add(&t, SET_AMP, f.set_id, BTC(3), &f.h[1], 1000, 5000);
	assert_int_equal(r.verdict, SET_COMPLETE);
	uint8_t pre[3][AMP_LEN];
	size_t bad;
	assert_true(ampset_reconstruct(r.set, pre, &bad));
	ampset_table_free(&t);
}

static void incomplete_set_cannot_derive_preimages(void **state)
{
	(void)state;
	struct amp_fixture f;
	struct ampset_table t = { 0 };
	make_amp(&f, 2, 1);
	struct ampset_result r = ampset_add(&t, SET_AMP, f.set_id, BTC(2), &f.h[0], 1000, 5000);
	assert_int_equal(r.verdict, SET_HOLD);
	/* with one share of two, the XOR is not the root: nothing matches */
	uint8_t pre[1][AMP_LEN];
	size_t bad = 99;
	assert_false(ampset_reconstruct(r.set, pre, &bad));
	assert_int_equal(bad, 0);
	ampset_table_free(&t);
}

static void corrupted_share_fails_reconstruction(void **state)
{
	(void)state;
	struct amp_fixture f;
	struct ampset_table t = { 0 };
	make_amp(&f, 2, 1);
	f.h[1].share[7] ^= 0x80;
	ampset_add(&t, SET_AMP, f.set_id, BTC(2), &f.h[0], 1000, 5000);
	struct ampset_result r = ampset_add(&t, SET_AMP, f.set_id, BTC(2), &f.h[1], 1000, 5000);
	assert_int_equal(r.verdict, SET_COMPLETE);
	uint8_t pre[2][AMP_LEN];
	size_t bad = 99;
	assert_false(ampset_reconstruct(r.set, pre, &bad));
	assert_true(bad < 2);
	ampset_table_free(&t);
}

static void total_mismatch_fails_whole_set(void **state)
{
	(void)state;
	struct amp_fixture f;
	struct ampset_table t = { 0 };
	make_amp(&f, 2, 1);
	ampset_add(&t, SET_AMP, f.set_id, BTC(2), &f.h[0], 1000, 5000);
	struct ampset_result r = ampset_add(&t, SET_AMP, f.set_id, BTC(3), &f.h[1], 1000, 5000);
	assert_int_equal(r.verdict, SET_FAIL_ALL);
	assert_non_null(r.set);
	assert_int_equal(r.set->n, 2);   /* the caller fails both */
	ampset_remove(&t, r.set);
	assert_int_equal(t.count, 0);
	assert_null(t.head);
}

static void zero_set_id_is_rejected(void **state)
{
	(void)state;
	struct amp_fixture f;
	struct ampset_table t = { 0 };
	uint8_t zero[AMP_LEN] = { 0 };
	make_amp(&f, 1, 1);
	struct ampset_result r = ampset_add(&t, SET_AMP, zero, BTC(1), &f.h[0], 1000, 5000);
	assert_int_equal(r.verdict, SET_REJECT_ONE);
	assert_null(r.set);
	assert_int_equal(t.count, 0);
}

static void part_above_total_is_rejected(void **state)
{
	(void)state;
	struct amp_fixture f;
	struct ampset_table t = { 0 };
	make_amp(&f, 1, 2);
	assert_int_equal(ampset_add(&t, SET_AMP, f.set_id, BTC(1), &f.h[0], 1000, 5000).verdict,
			 SET_REJECT_ONE);
	assert_int_equal(ampset_add(&t, SET_AMP, f.set_id, amount_msat(0), &f.h[0], 1000, 5000).verdict,
			 SET_REJECT_ONE);
	assert_int_equal(t.count, 0);
}

static void settled_set_refuses_late_parts(void **state)
{
	(void)state;
	struct amp_fixture f;
	struct ampset_table t = { 0 };
	make_amp(&f, 2, 1);
	struct ampset_result r = ampset_add(&t, SET_AMP, f.set_id, BTC(1), &f.h[0], 1000, 5000);
	assert_int_equal(r.verdict, SET_COMPLETE);
	ampset_mark_settled(&t, r.set);
	assert_int_equal(t.count, 0);
	assert_true(ampset_is_settled(&t, f.set_id));
	r = ampset_add(&t, SET_AMP, f.set_id, BTC(1), &f.h[1], 1000, 5000);
	assert_int_equal(r.verdict, SET_REJECT_ONE);
	assert_string_equal(r.why, "set already closed (settled or failed)");
	ampset_table_free(&t);
}

static void duplicate_htlc_is_rejected(void **state)
{
	(void)state;
	struct amp_fixture f;
	struct ampset_table t = { 0 };
	make_amp(&f, 2, 1);
	ampset_add(&t, SET_AMP, f.set_id, BTC(2), &f.h[0], 1000, 5000);
	struct ampset_result r = ampset_add(&t, SET_AMP, f.set_id, BTC(2), &f.h[0], 1000, 5000);
	assert_int_equal(r.verdict, SET_REJECT_ONE);
	struct ampset *s = ampset_find(&t, SET_AMP, f.set_id);
	assert_non_null(s);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->sum.millisatoshis, BTC(1).millisatoshis);
	ampset_table_free(&t);
}

static void deadline_is_earliest_of_hold_and_expiries(void **state)
{
	(void)state;
	struct amp_fixture f;
	struct ampset_table t = { 0 };
	make_amp(&f, 3, 1);
	struct ampset_result r = ampset_add(&t, SET_AMP, f.set_id, BTC(3), &f.h[0], 1000, 5000);
	assert_int_equal(r.set->deadline_us, 1000);
	r = ampset_add(&t, SET_AMP, f.set_id, BTC(3), &f.h[1], 50, 700);
	/* the hold deadline is the first part's; a later part's expiry can
	 * only bring it forward */
	assert_int_equal(r.set->deadline_us, 700);
	ampset_table_free(&t);
}

static void mpp_sets_key_on_hash_and_find_htlc(void **state)
{
	(void)state;
	struct ampset_table t = { 0 };
	struct set_htlc a = { .channel = "c1", .htlc_id = 4, .amount = BTC(1), .cltv_expiry = 50 };
	struct set_htlc b = { .channel = "c2", .htlc_id = 9, .amount = BTC(1), .cltv_expiry = 50 };
	uint8_t hash[AMP_LEN];
	memset(hash, 0x33, AMP_LEN);
	memcpy(a.hash, hash, AMP_LEN);
	memcpy(b.hash, hash, AMP_LEN);
	assert_int_equal(ampset_add(&t, SET_MPP, hash, BTC(2), &a, 10, 10).verdict, SET_HOLD);
	assert_null(ampset_find(&t, SET_AMP, hash));
	size_t idx = 7;
	struct ampset *s = ampset_find_htlc(&t, "c1", 4, &idx);
	assert_non_null(s);
	assert_int_equal(idx, 0);
	assert_null(ampset_find_htlc(&t, "c1", 9, NULL));
	assert_int_equal(ampset_add(&t, SET_MPP, hash, BTC(2), &b, 10, 10).verdict, SET_COMPLETE);
	ampset_table_free(&t);
	assert_int_equal(t.count, 0);
}

static void overpayment_completes(void **state)
{
	(void)state;
	struct amp_fixture f;
	struct ampset_table t = { 0 };
	make_amp(&f, 2, 2);
	/* BOLT #4: complete when the sum is equal to or greater than total */
	ampset_add(&t, SET_AMP, f.set_id, BTC(3), &f.h[0], 1000, 5000);
	assert_int_equal(ampset_add(&t, SET_AMP, f.set_id, BTC(3), &f.h[1], 1000, 5000).verdict,
			 SET_COMPLETE);
	ampset_table_free(&t);
}

static void settled_keys_survive_growth(void **state)
{
	(void)state;
	struct ampset_table t = { 0 };
	uint8_t key[AMP_LEN];
	for (int i = 1; i <= 1000; i++) {
		memset(key, 0, AMP_LEN);
		memcpy(key, &i, sizeof(i));
		key[31] = 1;
		ampset_insert_settled(&t, key);
	}
	assert_int_equal(t.settled_n, 1000);
	for (int i = 1; i <= 1000; i++) {
		memset(key, 0, AMP_LEN);
		memcpy(key, &i, sizeof(i));
		key[31] = 1;
		assert_true(ampset_is_settled(&t, key));
	}
	memset(key, 0x77, AMP_LEN);
	assert_false(ampset_is_settled(&t, key));
	ampset_table_free(&t);
}

/* Many sets held at once (a peer opening sets it never completes): every
 * lookup by key, handle and HTLC answers right, whatever is removed and
 * in which order; sets whose keys share their first bytes (a peer aiming
 * at the hash) are told apart. Checked against the list itself. */
static void many_sets_are_found_by_key_handle_and_htlc(void **state)
{
	(void)state;
	enum { N = 5000 };
	struct ampset_table t = { 0 };
	static uint64_t ids[N];
	for (uint32_t i = 0; i < N; i++) {
		uint8_t key[AMP_LEN] = { 0 };
		memcpy(key + AMP_LEN - 4, &i, 4);      /* equal first 28 bytes */
		struct set_htlc h = { .htlc_id = i, .amount = BTC(1), .cltv_expiry = 100 };
		snprintf(h.channel, sizeof(h.channel), "c%u", i % 7);
		struct ampset_result r = ampset_add(&t, i % 2 ? SET_AMP : SET_MPP, key, BTC(2), &h,
						    1000, 5000);
		assert_int_equal(r.verdict, SET_HOLD);
		ids[i] = r.set->id;
	}
	assert_int_equal(t.count, N);
	/* remove every third set, and the lone part of every fifth */
	for (uint32_t i = 0; i < N; i += 3)
		ampset_remove(&t, ampset_by_id(&t, ids[i]));
	for (uint32_t i = 1; i < N; i += 5) {
		char ch[8];
		snprintf(ch, sizeof(ch), "c%u", i % 7);
		size_t idx = 99;
		struct ampset *s = ampset_find_htlc(&t, ch, i, &idx);
		if (i % 3 == 0) {
			assert_null(s);
			continue;
		}
		assert_non_null(s);
		assert_int_equal(idx, 0);
		ampset_remove_htlc(&t, s, idx);
	}
	size_t left = 0;
	for (struct ampset *s = t.head; s; s = s->next)
		left++;
	assert_int_equal(left, t.count);
	for (uint32_t i = 0; i < N; i++) {
		uint8_t key[AMP_LEN] = { 0 };
		memcpy(key + AMP_LEN - 4, &i, 4);
		enum set_kind kind = i % 2 ? SET_AMP : SET_MPP;
		struct ampset *s = ampset_find(&t, kind, key);
		struct ampset *other = ampset_find(&t, i % 2 ? SET_MPP : SET_AMP, key);
		assert_null(other);                  /* the same key of the other kind */
		char ch[8];
		snprintf(ch, sizeof(ch), "c%u", i % 7);
		if (i % 3 == 0) {
			assert_null(s);
			assert_null(ampset_by_id(&t, ids[i]));
			continue;
		}
		assert_non_null(s);
		assert_ptr_equal(ampset_by_id(&t, ids[i]), s);
		assert_int_equal(s->kind, kind);
		assert_memory_equal(s->key, key, AMP_LEN);
		bool part_gone = i % 5 == 1;
		assert_int_equal(s->n, part_gone ? 0 : 1);
		if (part_gone)
			assert_null(ampset_find_htlc(&t, ch, i, NULL));
		else
			assert_ptr_equal(ampset_find_htlc(&t, ch, i, NULL), s);
		assert_null(ampset_find_htlc(&t, ch, i + N, NULL));
	}
	ampset_table_free(&t);
	assert_int_equal(t.count, 0);
	assert_null(t.head);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(amp_set_holds_until_total_then_completes),
		cmocka_unit_test(order_does_not_matter),
		cmocka_unit_test(incomplete_set_cannot_derive_preimages),
		cmocka_unit_test(corrupted_share_fails_reconstruction),
		cmocka_unit_test(total_mismatch_fails_whole_set),
		cmocka_unit_test(zero_set_id_is_rejected),
		cmocka_unit_test(part_above_total_is_rejected),
		cmocka_unit_test(settled_set_refuses_late_parts),
		cmocka_unit_test(duplicate_htlc_is_rejected),
		cmocka_unit_test(deadline_is_earliest_of_hold_and_expiries),
		cmocka_unit_test(mpp_sets_key_on_hash_and_find_htlc),
		cmocka_unit_test(overpayment_completes),
		cmocka_unit_test(settled_keys_survive_growth),
		cmocka_unit_test(many_sets_are_found_by_key_handle_and_htlc),
	};
	return cmocka_run_group_tests_name("ampset", tests, NULL, NULL);
}

/* Bob's sparse HTLC table (receiver/engine/htlc_table.c): records by id in
 * a hash map, finished ids as ranges, memory that follows what is live. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bob_state.h"
#include "htlc_table.h"

static void records_come_and_go(void **state)
{
	(void)state;
	struct htlc_table t = { 0 };
	/* a far id costs one record, not a table sized by the id */
	struct bob_htlc *far = htlc_table_add(&t, 999999);
	far->amount = amount_msat(7);
	assert_int_equal(t.live.n, 1);
	assert_true(htlc_table_slots(&t) <= 64);
	assert_int_equal(t.next, 1000000);
	assert_ptr_equal(htlc_table_get(&t, 999999), far);
	assert_null(htlc_table_get(&t, 0));
	/* many, then all forgotten in a scrambled order: every lookup still
	 * finds the ones that are left (deletion keeps probe runs whole) */
	for (uint64_t id = 0; id < 5000; id++)
		htlc_table_add(&t, id)->amount = amount_msat(id + 1);
	for (uint64_t k = 0; k < 5000; k++) {
		uint64_t id = (k * 2654435761u) % 5000;
		htlc_table_forget(&t, id);
		assert_null(htlc_table_get(&t, id));
		assert_true(htlc_table_finished(&t, id));
		if (k % 97 == 0)
			for (uint64_t j = 0; j < 5000; j += 7) {
				const struct bob_htlc *h = htlc_table_get(&t, j);
				assert_true(h == NULL || h->amount.millisatoshis == j + 1);
				assert_true(h != NULL || htlc_table_finished(&t, j));
			}
	}
	/* 0..4999 finished in one range, 999999 still live */
	assert_int_equal(t.live.n, 1);
	assert_int_equal(t.ndone, 1);
	assert_int_equal(t.done[0].lo, 0);
	assert_int_equal(t.done[0].hi, 5000);
	assert_false(htlc_table_finished(&t, 5000));
	assert_ptr_equal(htlc_table_get(&t, 999999), far);
	htlc_table_free(&t);
}

static void holes_are_bounded(void **state)
{
	(void)state;
	struct htlc_table t = { 0 };
	/* a peer that skips every other id: each skip is a hole, and holes
	 * past the limit close from the oldest */
	for (uint64_t id = 0; id < 2 * (HTLC_TABLE_MAX_RANGES + 100); id += 2) {
		htlc_table_add(&t, id);
		htlc_table_forget(&t, id);
		assert_true(t.ndone <= HTLC_TABLE_MAX_RANGES);
	}
	assert_int_equal(t.ndone, HTLC_TABLE_MAX_RANGES);
	assert_true(htlc_table_finished(&t, 1));        /* an old hole, closed */
	assert_true(htlc_table_finished(&t, t.next - 1));  /* the last id */
	assert_false(htlc_table_finished(&t, t.next - 2)); /* the newest hole, open */
	/* a late add filling a hole joins its neighbours */
	uint64_t hole = t.next - 2;
	size_t before = t.ndone;
	htlc_table_add(&t, hole);
	htlc_table_forget(&t, hole);
	assert_int_equal(t.ndone, before - 1);
	htlc_table_free(&t);
}

/* A hole with a live HTLC in it is never closed: the held id stays live
 * (not "finished"), and when it ends the ranges stay sorted and whole. */
static void a_live_id_is_never_taken_as_finished(void **state)
{
	(void)state;
	struct htlc_table t = { 0 };
	htlc_table_add(&t, 1);                       /* held: its set is not whole */
	for (uint64_t id = 0; id < 2 * (HTLC_TABLE_MAX_RANGES + 50); id += 2) {
		htlc_table_add(&t, id);
		htlc_table_forget(&t, id);
	}
	assert_non_null(htlc_table_get(&t, 1));
	assert_false(htlc_table_finished(&t, 1));
	assert_true(t.ndone <= HTLC_TABLE_MAX_RANGES);
	htlc_table_forget(&t, 1);
	assert_true(htlc_table_finished(&t, 0) && htlc_table_finished(&t, 1) &&
		    htlc_table_finished(&t, 2));
	for (size_t i = 1; i < t.ndone; i++)
		assert_true(t.done[i - 1].hi < t.done[i].lo);   /* sorted, disjoint */
	/* forgetting an id already counted changes nothing */
	size_t before = t.ndone;
	htlc_table_add(&t, 3);
	htlc_table_forget(&t, 3);
	htlc_table_forget(&t, 3);
	assert_true(t.ndone <= before);
	for (size_t i = 1; i < t.ndone; i++)
		assert_true(t.done[i - 1].hi < t.done[i].lo);
	htlc_table_free(&t);
}

static void stored_ranges_are_checked(void **state)
{
	(void)state;
	struct htlc_table t = { 0 };
	struct id_range ok[2] = { { 0, 10 }, { 12, 20 } };
	struct id_range overlap[2] = { { 0, 10 }, { 9, 20 } };
	struct id_range empty[1] = { { 5, 5 } };
	struct id_range adjacent[2] = { { 0, 10 }, { 10, 20 } };
	assert_true(htlc_table_set_finished(&t, 20, ok, 2));
	assert_true(htlc_table_finished(&t, 15) && !htlc_table_finished(&t, 11));
	assert_false(htlc_table_set_finished(&t, 19, ok, 2));     /* above next */
	assert_false(htlc_table_set_finished(&t, 30, overlap, 2));
	assert_false(htlc_table_set_finished(&t, 30, empty, 1));
	assert_false(htlc_table_set_finished(&t, 30, adjacent, 2));
	assert_false(htlc_table_set_finished(&t, 30, ok, HTLC_TABLE_MAX_STORED + 1));
	htlc_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_come_and_go),
		cmocka_unit_test(holes_are_bounded),
		cmocka_unit_test(a_live_id_is_never_taken_as_finished),
		cmocka_unit_test(stored_ranges_are_checked),
	};
	return cmocka_run_group_tests_name("htlc_table", tests, NULL, NULL);
}

/* The timeline's model of a run (sim/cmd/timeline_model.c): which message
 * each arrival belongs to, and what became of the others, from small event
 * logs written by hand; the ledger; the aggregated shape of a large run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "timeline_model.h"

#define ADD(t, ch, id, pay) \
	"{\"t_ms\":" #t ",\"height\":0,\"node\":\"alice\",\"event\":\"htlc_offered\",\"payment\":\"" pay \
	"\",\"channel\":\"" ch "\",\"htlc\":" #id ",\"amount_msat\":100}"
#define EV(t, node, event, rest) \
	"{\"t_ms\":" #t ",\"height\":0,\"node\":\"" node "\",\"event\":\"" event "\"" rest "}"
#define HTLC(ch, id) ",\"channel\":\"" ch "\",\"htlc\":" #id
#define OPEN(node, ch) \
	EV(0, node, "channel_open", ",\"channel\":\"" ch "\",\"capacity_msat\":1000,\"alice_msat\":1000,\"bob_msat\":0")

static json_t *model_of(const char *const *lines, size_t n)
{
	json_t *events = json_array();
	for (size_t i = 0; i < n; i++) {
		json_error_t err;
		json_t *ev = json_loads(lines[i], 0, &err);
		if (!ev)
			fail_msg("line %zu: %s", i, err.text);
		json_array_append_new(events, ev);
	}
	json_t *m = timeline_model(events);
	json_decref(events); /* the model holds its own reference */
	return m;
}

static json_t *msg(json_t *m, size_t i)
{
	return json_array_get(json_object_get(m, "msgs"), i);
}

static const char *field(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static long num(json_t *o, const char *k)
{
	return (long)json_integer_value(json_object_get(o, k));
}

/* Bob crashes while the add on c2 is on its way: that add is lost at the
 * crash; the arrival after the restart belongs to Alice's replay. */
static void test_crash_loses_what_was_on_its_way(void **state)
{
	(void)state;
	const char *log[] = {
		OPEN("alice", "c1"), OPEN("alice", "c2"),
		ADD(0, "c1", 0, "p1"), ADD(0, "c2", 0, "p1"),
		EV(300, "bob", "htlc_received", HTLC("c1", 0)),
		EV(500, "bob", "crash", ""),
		EV(500, "alice", "peer_disconnected", ""),
		EV(2000, "bob", "restart", ""),
		EV(2760, "alice", "reestablished", ",\"adds_replayed\":2"),
		EV(3060, "bob", "duplicate_ignored", HTLC("c1", 0) ",\"message\":\"update_add_htlc\""),
		EV(3760, "bob", "htlc_received", HTLC("c2", 0)),
	};
	json_t *m = model_of(log, sizeof(log) / sizeof(log[0]));
	assert_false(json_is_true(json_object_get(m, "aggregate")));
	assert_int_equal(json_array_size(json_object_get(m, "msgs")), 4);
	/* the first adds: c1 arrived at 300, c2 lost at bob's crash (event 5) */
	assert_string_equal(field(msg(m, 0), "fate"), "delivered");
	assert_int_equal(num(msg(m, 0), "r"), 4);
	assert_string_equal(field(msg(m, 1), "fate"), "lost");
	assert_int_equal(num(msg(m, 1), "at"), 5);
	assert_int_equal(num(msg(m, 1), "r"), -1);
	/* the replays, sent at reestablished (event 8) */
	for (size_t i = 2; i < 4; i++) {
		assert_string_equal(field(msg(m, i), "copy"), "replay");
		assert_string_equal(field(msg(m, i), "fate"), "delivered");
		assert_int_equal(num(msg(m, i), "s"), 8);
	}
	assert_int_equal(num(msg(m, 2), "r"), 9);
	assert_int_equal(num(msg(m, 3), "r"), 10);
	assert_string_equal(field(msg(m, 3), "pay"), "p1");
	/* the c1 replay met an add Bob held: ignored, never taken twice; the
	 * c2 replay was new to him */
	assert_string_equal(field(msg(m, 2), "arr"), "ignored");
	assert_null(json_object_get(msg(m, 3), "arr"));
	assert_null(json_object_get(msg(m, 0), "arr"));
	/* and a note beside Bob says which HTLC and what became of it */
	json_t *mk;
	size_t k;
	bool noted = false;
	json_array_foreach(json_object_get(m, "marks"), k, mk)
		if (num(mk, "e") == 9) {
			assert_string_equal(field(mk, "kind"), "dup");
			assert_string_equal(field(mk, "label"), "duplicate_ignored: update_add_htlc c1 #0 "
								"(already held: not taken again)");
			noted = true;
		}
	assert_true(noted);
	json_decref(m);
}

/* A drop names the sender's latest message of that kind. */
static void test_drop(void **state)
{
	(void)state;
	const char *log[] = {
		OPEN("alice", "c2"),
		ADD(0, "c2", 0, "p2"),
		EV(0, "alice", "message_dropped", ",\"channel\":\"c2\",\"message\":\"update_add_htlc\",\"why\":\"rule\""),
	};
	json_t *m = model_of(log, sizeof(log) / sizeof(log[0]));
	assert_int_equal(json_array_size(json_object_get(m, "msgs")), 1);
	assert_string_equal(field(msg(m, 0), "fate"), "dropped");
	assert_int_equal(num(msg(m, 0), "at"), 2);
	assert_int_equal(num(msg(m, 0), "r"), -1);
	json_decref(m);
}

/* A duplicated add arrives as Bob's duplicate_ignored; a duplicated fulfill
 * is drawn to where the first copy arrived; a deferred resolution was never
 * sent, and the re-sent one is, answering the replayed add. */
static void test_duplicate_defer_resend(void **state)
{
	(void)state;
	const char *log[] = {
		OPEN("alice", "c1"), OPEN("alice", "c3"),
		ADD(0, "c1", 0, "p1"),
		EV(0, "alice", "message_duplicated", ",\"channel\":\"c1\",\"message\":\"update_add_htlc\""),
		ADD(0, "c3", 0, "p2"),
		EV(100, "bob", "htlc_received", HTLC("c1", 0)),
		EV(100, "bob", "duplicate_ignored", HTLC("c1", 0) ",\"message\":\"update_add_htlc\""),
		EV(100, "bob", "htlc_received", HTLC("c3", 0)),
		EV(100, "bob", "htlc_fulfilled", HTLC("c1", 0)),
		EV(100, "bob", "message_duplicated", ",\"channel\":\"c1\",\"message\":\"update_fulfill_htlc\""),
		EV(200, "alice", "htlc_fulfilled", HTLC("c1", 0) ",\"source\":\"message\""),
		EV(300, "bob", "htlc_failed", HTLC("c3", 0)),
		EV(300, "bob", "resolution_deferred", HTLC("c3", 0)),
		EV(350, "alice", "reestablished", ",\"adds_replayed\":1"),
		EV(400, "bob", "resolution_resent", HTLC("c3", 0) ",\"message\":\"update_add_htlc\""),
		EV(500, "alice", "htlc_failed", HTLC("c3", 0) ",\"source\":\"message\""),
	};
	json_t *m = model_of(log, sizeof(log) / sizeof(log[0]));
	/* add c1, its copy, add c3, fulfill c1, its copy, the replayed add c3
	 * and the re-sent fail (the deferred fail is not drawn) */
	assert_int_equal(json_array_size(json_object_get(m, "msgs")), 7);
	assert_int_equal(num(msg(m, 0), "r"), 5);
	assert_string_equal(field(msg(m, 1), "copy"), "duplicate");
	assert_string_equal(field(msg(m, 1), "fate"), "delivered");
	assert_int_equal(num(msg(m, 1), "r"), 6);
	assert_int_equal(num(msg(m, 2), "r"), 7);
	assert_string_equal(field(msg(m, 3), "k"), "fulfill");
	assert_int_equal(num(msg(m, 3), "r"), 10);
	assert_string_equal(field(msg(m, 4), "fate"), "duplicate");
	assert_int_equal(num(msg(m, 4), "r"), 10);
	assert_string_equal(field(msg(m, 5), "copy"), "replay");
	assert_int_equal(num(msg(m, 5), "s"), 13);
	assert_int_equal(num(msg(m, 5), "r"), 14);
	assert_string_equal(field(msg(m, 6), "copy"), "resend");
	assert_string_equal(field(msg(m, 6), "k"), "fail");
	assert_int_equal(num(msg(m, 6), "s"), 14);
	assert_int_equal(num(msg(m, 6), "r"), 15);
	assert_string_equal(field(msg(m, 6), "pay"), "p2");
	json_decref(m);
}

/* Alice's ledger, entry by entry: an add moves her money in flight, a
 * fulfill gives it to Bob, a fail gives it back. */
static void test_ledger(void **state)
{
	(void)state;
	const char *log[] = {
		OPEN("alice", "c1"),
		ADD(0, "c1", 0, "p1"), ADD(0, "c1", 1, "p1"),
		EV(200, "alice", "htlc_fulfilled", HTLC("c1", 0) ",\"source\":\"message\""),
		EV(300, "alice", "htlc_failed", HTLC("c1", 1) ",\"source\":\"message\""),
	};
	json_t *m = model_of(log, sizeof(log) / sizeof(log[0]));
	json_t *l = json_object_get(m, "ledger");
	assert_int_equal(json_array_size(l), 5);
	json_t *two = json_array_get(l, 2), *end = json_array_get(l, 4);
	assert_int_equal(num(two, "a"), 800);
	assert_int_equal(num(two, "f"), 200);
	assert_int_equal(json_array_size(json_object_get(two, "h")), 2);
	assert_int_equal(num(end, "a"), 900);
	assert_int_equal(num(end, "b"), 100);
	assert_int_equal(num(end, "f"), 0);
	json_t *ch = json_array_get(json_object_get(m, "channels"), 0);
	assert_int_equal(num(ch, "alice_msat"), 1000); /* as opened */
	json_decref(m);
}

/* More than TIMELINE_DETAIL_MAX_PAYMENTS payments: time buckets. */
static void test_large_run_is_aggregated(void **state)
{
	(void)state;
	json_t *events = json_array();
	json_array_append_new(events, json_loads(OPEN("alice", "c1"), 0, NULL));
	unsigned n = TIMELINE_DETAIL_MAX_PAYMENTS + 50;
	for (unsigned i = 0; i < n; i++) {
		double t = i * 10.0;
		json_array_append_new(events, json_pack("{sfsisssssssi}", "t_ms", t, "height", 0, "node",
							"alice", "event", "payment_started", "payment",
							"p", "amount_msat", 100));
		json_array_append_new(events, json_pack("{sfsisssssssssisI}", "t_ms", t, "height", 0,
							"node", "alice", "event", "htlc_offered", "payment",
							"p", "channel", "c1", "htlc", (int)i, "amount_msat",
							(json_int_t)1));
		json_array_append_new(events, json_pack("{sfsisssssssssisIss}", "t_ms", t + 5, "height", 0,
							"node", "alice", "event", "htlc_fulfilled",
							"payment", "p", "channel", "c1", "htlc", (int)i,
							"amount_msat", (json_int_t)1, "source", "message"));
	}
	json_t *m = timeline_model(events);
	assert_true(json_is_true(json_object_get(m, "aggregate")));
	assert_null(json_object_get(m, "msgs"));
	json_t *rows = json_object_get(json_object_get(m, "buckets"), "rows");
	assert_true(json_array_size(rows) > 1 && json_array_size(rows) <= TIMELINE_BUCKETS + 1);
	json_t *totals = json_object_get(m, "totals");
	assert_int_equal(num(totals, "add"), n);
	assert_int_equal(num(totals, "fulfill"), n);
	json_t *last = json_array_get(json_object_get(json_array_get(rows, json_array_size(rows) - 1), "ch"), 0);
	assert_int_equal(num(last, "b"), n);
	assert_int_equal(num(last, "f"), 0);
	json_decref(m);
	json_decref(events);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_loses_what_was_on_its_way),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_duplicate_defer_resend),
		cmocka_unit_test(test_ledger),
		cmocka_unit_test(test_large_run_is_aggregated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for sim/core/outq.c: the frames on their way over a node's
 * links, in (delivery instant, order scheduled); drops, copies without a
 * delay, holds on a down direction and their release, a direction that
 * goes down while a frame is on its way, what is listed as on its way,
 * and every frame freed (the suite also runs under ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "outq.h"

/* A frame whose one byte tells it apart. */
static struct outq_sent send_one(struct outq *q, struct link *l, enum msg_kind kind, uint64_t now,
				 uint8_t tag)
{
	struct outq_frame f = { .msg_name = "update_add_htlc", .channel = "c1", .chan = 3,
				.bytes = &tag, .len = 1 };
	return outq_send(q, l, kind, now, &f);
}

static void init_link(struct link *l, uint64_t delay_us, const char *dir)
{
	struct link_params p = { .delay_us = delay_us };
	link_init(l, &p, 1, "c1", dir);
}

/* The tags of the frames due at now, in the order they come; -1 ends. */
static void expect_due(struct outq *q, uint64_t now, const int *tags)
{
	for (size_t i = 0; tags[i] >= 0; i++) {
		bool held = true;
		struct outq_item *it = outq_next_due(q, now, &held);
		assert_non_null(it);
		assert_false(held);
		assert_int_equal(it->len, 1);
		assert_int_equal(it->bytes[0], tags[i]);
		outq_item_free(it);
	}
	bool held;
	assert_null(outq_next_due(q, now, &held));
}

static void frames_come_by_instant_then_order_sent(void **state)
{
	(void)state;
	struct outq q = { 0 };
	struct link slow, fast;
	init_link(&slow, 30000, "to_bob");
	init_link(&fast, 10000, "to_alice");
	/* the first frame is the first instant: the caller arms its timer */
	assert_true(send_one(&q, &slow, MSG_ADD, 0, 1).rearm);       /* due 30000 */
	assert_false(send_one(&q, &slow, MSG_ADD, 0, 2).rearm);      /* 30000, after 1 */
	assert_true(send_one(&q, &fast, MSG_ADD, 5000, 3).rearm);    /* 15000: first now */
	assert_false(send_one(&q, &fast, MSG_ADD, 20000, 4).rearm);  /* 30000, after 2 */
	assert_false(send_one(&q, &fast, MSG_ADD, 5000, 5).rearm);   /* 15000, after 3 */
	assert_int_equal(q.nsched, 5);
	assert_int_equal(q.nheld, 0);

	const struct outq_item *first = outq_first(&q);
	assert_non_null(first);
	assert_int_equal(first->due, 15000);
	assert_int_equal(first->bytes[0], 3);
	assert_int_equal(first->chan, 3);
	assert_string_equal(first->channel, "c1");
	assert_string_equal(first->msg_name, "update_add_htlc");
	assert_ptr_equal(first->link, &fast);
	assert_int_equal(outq_ties(&q), 1);

	expect_due(&q, 14999, (const int[]){ -1 });
	expect_due(&q, 15000, (const int[]){ 3, 5, -1 });
	assert_int_equal(outq_ties(&q), 2);          /* 1, 2 and 4 at 30000 */
	expect_due(&q, 100000, (const int[]){ 1, 2, 4, -1 });
	assert_null(outq_first(&q));
	assert_int_equal(outq_ties(&q), 0);
	assert_int_equal(q.nsched, 0);
}

static void drops_and_undelayed_copies_are_not_kept(void **state)
{
	(void)state;
	struct outq q = { 0 };
	struct link lossy, instant, twice;
	struct link_params lp = { .drop = 1.0 };
	link_init(&lossy, &lp, 1, "c1", "to_bob");
	init_link(&instant, 0, "to_bob");
	struct link_params dp = { .duplicate = 1.0 };
	link_init(&twice, &dp, 1, "c1", "to_bob");

	struct outq_sent s = send_one(&q, &lossy, MSG_FULFILL, 0, 1);
	assert_int_equal(s.v.fate, LINK_DROP);
	assert_string_equal(s.v.why, "drop");
	assert_int_equal(s.at_once, 0);
	assert_false(s.rearm);
	assert_int_equal(lossy.sent[MSG_FULFILL], 1);   /* the link counted it */

	s = send_one(&q, &instant, MSG_ADD, 0, 2);
	assert_int_equal(s.v.fate, LINK_DELIVER);
	assert_int_equal(s.at_once, 1);
	assert_false(s.rearm);

	s = send_one(&q, &twice, MSG_ADD, 0, 3);
	assert_int_equal(s.v.copies, 2);
	assert_int_equal(s.at_once, 2);
	assert_null(outq_first(&q));
	assert_int_equal(q.nsched + q.nheld, 0);
}

static void copies_with_a_delay_each_wait(void **state)
{
	(void)state;
	struct outq q = { 0 };
	struct link l;
	init_link(&l, 1000, "to_bob");
	/* the first add arrives at 5 ms, and again at 2 ms */
	struct link_rule r = { .kind = MSG_ADD, .nth = 1, .what = LINK_RULE_DELAY, .delay_us = 5000,
			       .has_delay = true };
	assert_null(link_add_msg_rule(&l, &r));
	r = (struct link_rule){ .kind = MSG_ADD, .nth = 1, .what = LINK_RULE_DUPLICATE,
				.delay_us = 2000, .has_delay = true };
	assert_null(link_add_msg_rule(&l, &r));
	struct outq_sent s = send_one(&q, &l, MSG_ADD, 100, 7);
	assert_int_equal(s.v.copies, 2);
	assert_int_equal(s.at_once, 0);
	assert_true(s.rearm);
	assert_int_equal(q.nsched, 2);
	assert_int_equal(outq_first(&q)->due, 2100);
	expect_due(&q, 2100, (const int[]){ 7, -1 });
	expect_due(&q, 5100, (const int[]){ 7, -1 });
}

static void held_frames_wait_for_their_link(void **state)
{
	(void)state;
	struct outq q = { 0 };
	struct link a, b;
	init_link(&a, 1000, "to_bob");
	init_link(&b, 1000, "to_alice");
	a.down = b.down = true;
	assert_int_equal(send_one(&q, &a, MSG_ADD, 0, 1).v.fate, LINK_HOLD);
	assert_int_equal(send_one(&q, &b, MSG_ADD, 0, 2).v.fate, LINK_HOLD);
	struct outq_sent s = send_one(&q, &a, MSG_FULFILL, 0, 3);
	assert_int_equal(s.v.fate, LINK_HOLD);
	assert_string_equal(s.v.why, "down");
	assert_false(s.rearm);
	assert_int_equal(q.nheld, 3);
	assert_int_equal(q.nsched, 0);
	expect_due(&q, UINT64_MAX, (const int[]){ -1 });

	/* a frame of b, on its way before b went down as well */
	b.down = false;
	assert_true(send_one(&q, &b, MSG_ADD, 0, 4).rearm);   /* due 1000 */
	b.down = true;

	/* a comes up: its frames, in the order held, each after a fresh
	 * delay from now; b's stay */
	a.down = false;
	bool rearm = false;
	assert_int_equal(outq_release(&q, &a, 500, &rearm), 2);
	assert_false(rearm);                 /* b's frame at 1000 is still first */
	assert_int_equal(q.nheld, 1);
	assert_int_equal(q.nsched, 3);
	assert_int_equal(outq_ties(&q), 0);
	bool held = false;
	struct outq_item *it = outq_next_due(&q, 1500, &held);
	/* b's frame came due with b down: held (the queue's still), in order */
	assert_non_null(it);
	assert_true(held);
	assert_true(it->held);
	assert_int_equal(it->bytes[0], 4);
	assert_int_equal(q.nheld, 2);
	expect_due(&q, 1500, (const int[]){ 1, 3, -1 });
	assert_int_equal(q.held->bytes[0], 2);
	assert_int_equal(q.held->next->bytes[0], 4);

	/* a release with nothing held for the link changes nothing */
	assert_int_equal(outq_release(&q, &a, 2000, &rearm), 0);
	assert_false(rearm);
	b.down = false;
	assert_int_equal(outq_release(&q, &b, 2000, &rearm), 2);
	assert_true(rearm);
	assert_int_equal(q.nheld, 0);
	expect_due(&q, 3000, (const int[]){ 2, 4, -1 });
}

static void released_frames_queue_behind_their_instant(void **state)
{
	(void)state;
	struct outq q = { 0 };
	struct link a, b;
	init_link(&a, 1000, "to_bob");
	init_link(&b, 2000, "to_alice");
	assert_true(send_one(&q, &b, MSG_ADD, 0, 1).rearm);   /* due 2000 */
	a.down = true;
	send_one(&q, &a, MSG_ADD, 0, 2);
	a.down = false;
	bool rearm = true;
	/* released at 1000 with 1000 to go: due 2000, as frame 1, after it */
	assert_int_equal(outq_release(&q, &a, 1000, &rearm), 1);
	assert_false(rearm);
	assert_int_equal(outq_ties(&q), 1);
	assert_true(send_one(&q, &a, MSG_ADD, 500, 3).rearm);   /* 1500: first */
	expect_due(&q, 2000, (const int[]){ 3, 1, 2, -1 });
}

struct seen {
	uint8_t tags[8];
	bool held[8];
	size_t n;
};

static void note(void *ctx, const struct outq_item *it)
{
	struct seen *s = ctx;
	s->tags[s->n] = it->bytes[0];
	s->held[s->n++] = it->held;
}

static void on_its_way_lists_waiting_then_held(void **state)
{
	(void)state;
	struct outq q = { 0 };
	struct link a, b;
	init_link(&a, 3000, "to_bob");
	init_link(&b, 1000, "to_alice");
	b.down = true;
	send_one(&q, &b, MSG_ADD, 0, 1);
	send_one(&q, &a, MSG_ADD, 0, 2);
	send_one(&q, &b, MSG_ADD, 0, 3);
	b.down = false;
	send_one(&q, &b, MSG_ADD, 0, 4);
	struct seen s = { 0 };
	outq_each(&q, note, &s);
	assert_int_equal(s.n, 4);
	const uint8_t tags[] = { 4, 2, 1, 3 };
	const bool held[] = { false, false, true, true };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(s.tags[i], tags[i]);
		assert_int_equal(s.held[i], held[i]);
	}
	struct seen none = { 0 };
	struct outq empty = { 0 };
	outq_each(&empty, note, &none);
	assert_int_equal(none.n, 0);
	outq_clear(&q);
}

static void forgetting_frees_every_frame(void **state)
{
	(void)state;
	struct outq q = { 0 };
	struct link a, b;
	init_link(&a, 1000, "to_bob");
	init_link(&b, 1000, "to_alice");
	for (uint8_t i = 0; i < 6; i++)
		send_one(&q, i % 2 ? &a : &b, MSG_ADD, i, i);
	a.down = b.down = true;
	for (uint8_t i = 6; i < 10; i++)
		send_one(&q, i % 2 ? &a : &b, MSG_ADD, i, i);
	assert_int_equal(q.nsched, 6);
	assert_int_equal(q.nheld, 4);

	outq_forget_link(&q, &a);
	assert_int_equal(q.nsched, 3);
	assert_int_equal(q.nheld, 2);
	struct seen s = { 0 };
	outq_each(&q, note, &s);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.tags[i] % 2, 0);   /* b's only */
	assert_int_equal(q.sched_tail->bytes[0], 4);
	assert_int_equal(q.held_tail->bytes[0], 8);

	/* what is left still orders: b's next frame goes after the others */
	b.down = false;
	send_one(&q, &b, MSG_ADD, 100, 42);
	assert_int_equal(q.sched_tail->bytes[0], 42);

	outq_clear(&q);
	assert_null(q.sched);
	assert_null(q.held);
	assert_null(q.sched_tail);
	assert_null(q.held_tail);
	assert_int_equal(q.nsched + q.nheld, 0);
	outq_clear(&q);   /* twice is nothing */
}

static void wall_time_takes_the_clock_scale(void **state)
{
	(void)state;
	struct simclock clk = { .time_scale = 10 };
	struct outq q = { .wall = &clk };
	struct link l;
	init_link(&l, 50000, "to_bob");
	send_one(&q, &l, MSG_ADD, 1000000, 1);
	/* 50 simulated ms at ten times wall speed: 5 ms of wall time */
	assert_int_equal(outq_first(&q)->due, 1005000);
	l.down = true;
	bool held;
	struct outq_item *it = outq_next_due(&q, 1005000, &held);
	assert_true(held);
	assert_ptr_equal(it, q.held);
	l.down = false;
	bool rearm;
	assert_int_equal(outq_release(&q, &l, 2000000, &rearm), 1);
	assert_true(rearm);
	assert_int_equal(outq_first(&q)->due, 2005000);
	outq_clear(&q);
}

static void a_wire_frame_copies_its_bytes(void **state)
{
	(void)state;
	uint8_t bytes[3] = { 9, 8, 7 };
	struct outq_frame f = { .bytes = bytes, .len = sizeof(bytes) };
	struct outq_item *it = outq_item_new(&f);
	bytes[0] = 0;
	assert_int_equal(it->len, 3);
	assert_int_equal(it->bytes[0], 9);
	assert_string_equal(it->channel, "");
	assert_null(it->msg_name);
	assert_null(it->link);
	outq_item_free(it);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frames_come_by_instant_then_order_sent),
		cmocka_unit_test(drops_and_undelayed_copies_are_not_kept),
		cmocka_unit_test(copies_with_a_delay_each_wait),
		cmocka_unit_test(held_frames_wait_for_their_link),
		cmocka_unit_test(released_frames_queue_behind_their_instant),
		cmocka_unit_test(on_its_way_lists_waiting_then_held),
		cmocka_unit_test(forgetting_frees_every_frame),
		cmocka_unit_test(wall_time_takes_the_clock_scale),
		cmocka_unit_test(a_wire_frame_copies_its_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for sim/core/action.c: the list an engine hands its shell. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "action.h"
#include "frame.h"
#include "msg.h"

static void test_order_and_ownership(void **state)
{
	(void)state;
	struct actions a;
	actions_init(&a);
	uint8_t pre[32];
	memset(pre, 7, 32);
	struct msg m;
	act_persist_bytes(&a, 3, 1, 42, pre, 32);
	act_send(&a, 9, 1, MSG_FULFILL, msg_fulfill(&m, "c2", 42, pre));
	evrec_str(act_log(&a, "htlc_fulfilled"), "channel", "c2");
	act_timer(&a, 1, 5, 123456);
	act_violation(&a, "channel %s: %d", "c1", 3);
	act_close(&a, 9, "bye");
	assert_int_equal(a.n, 6);
	assert_int_equal(a.v[0].kind, ACT_PERSIST);
	assert_int_equal(a.v[0].u.persist.record, 3);
	assert_memory_equal(a.v[0].u.persist.bytes, pre, 32);
	const struct action *s = actions_nth(&a, ACT_SEND, 0);
	assert_non_null(s);
	assert_int_equal(s->u.send.conn, 9);
	assert_int_equal(s->u.send.chan, 1);
	assert_string_equal(s->u.send.msg_name, "update_fulfill_htlc");
	/* the frame decodes back to the message */
	struct frame_arena *arena = test_malloc(sizeof(*arena));
	frame_arena_init(arena);
	Ampsim__Envelope *e;
	size_t used;
	char why[64];
	assert_int_equal(frame_decode(arena, s->u.send.frame, s->u.send.frame_len, &used, &e, why, sizeof(why)),
			 FRAME_OK);
	assert_int_equal(e->update_fulfill_htlc->htlc_id, 42);
	test_free(arena);
	assert_non_null(actions_find_log(&a, "htlc_fulfilled"));
	assert_null(actions_find_log(&a, "htlc_failed"));
	assert_int_equal(actions_count(&a, ACT_TIMER), 1);
	assert_int_equal(actions_nth(&a, ACT_TIMER, 0)->u.timer.at_us, 123456);
	assert_string_equal(actions_nth(&a, ACT_VIOLATION, 0)->u.violation.text, "channel c1: 3");
	assert_null(actions_nth(&a, ACT_CLOSE, 1));
	actions_clear(&a);
	assert_int_equal(a.n, 0);
	act_outcome(&a, OUTCOME_SETTLED, 2);
	assert_int_equal(a.n, 1);
	actions_free(&a);
	assert_null(a.v);
}

/* A list is handed out up to its first chain transactions (and the
 * records among and after them); the rest comes with the last answer. */
static void test_a_list_waits_for_the_chain(void **state)
{
	(void)state;
	struct actions a;
	struct chain_wait w;
	actions_init(&a);
	memset(&w, 0, sizeof(w));
	act_timer(&a, 0, 0, 1);
	act_chain(&a, 0, 0, 1, NULL);
	act_persist(&a, 1, 0, 1);
	act_chain(&a, 0, 1, 2, NULL);
	evrec_str(act_log(&a, "after"), "x", "1");
	act_persist(&a, 2, 0, 2);
	act_chain(&a, 0, 0, 3, NULL);
	evrec_str(act_log(&a, "last"), "x", "2");
	chain_wait_split(&w, &a, 0);
	/* timer, chain, persist, chain, and the later persist: written first anyway */
	assert_int_equal(a.n, 5);
	assert_int_equal(a.v[4].kind, ACT_PERSIST);
	assert_int_equal(a.v[4].u.persist.record, 2);
	assert_int_equal(actions_count(&a, ACT_CHAIN), 2);
	assert_int_equal(w.answers, 2);
	actions_clear(&a);
	chain_wait_answered(&w, &a);
	assert_int_equal(a.n, 0);
	evrec_str(act_log(&a, "answer"), "x", "3");
	chain_wait_answered(&w, &a);
	/* the answer's own, then what waited, up to the next chain transaction */
	assert_int_equal(a.n, 3);
	assert_string_equal(a.v[0].u.log.rec->name, "answer");
	assert_string_equal(a.v[1].u.log.rec->name, "after");
	assert_int_equal(a.v[2].u.chain.htlc_id, 3);
	assert_int_equal(w.answers, 1);
	actions_clear(&a);
	chain_wait_answered(&w, &a);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].u.log.rec->name, "last");
	assert_int_equal(w.answers, 0);
	/* answers with nothing waiting change nothing */
	chain_wait_answered(&w, &a);
	assert_int_equal(a.n, 1);
	actions_free(&a);
	chain_wait_free(&w);
}

static void test_chain_replies_keep_their_order(void **state)
{
	(void)state;
	struct chain_replies r;
	chain_replies_init(&r);
	struct act_chain x = { .chan = 1, .htlc_id = 7 }, y = { .chan = 0, .htlc_id = 9 };
	for (int i = 0; i < 5; i++)
		chain_replies_add(&r, i % 2 ? &y : &x, (enum chain_answer)i);
	assert_int_equal(r.n, 5);
	assert_int_equal(r.v[0].htlc_id, 7);
	assert_int_equal(r.v[1].chan, 0);
	assert_int_equal(r.v[4].answer, CHAIN_ANSWER_UNREACHABLE);
	chain_replies_free(&r);
	assert_null(r.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_ownership),
		cmocka_unit_test(test_a_list_waits_for_the_chain),
		cmocka_unit_test(test_chain_replies_keep_their_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

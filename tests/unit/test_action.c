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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_ownership),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

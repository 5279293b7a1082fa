/* The state machines' one shape (sim/core/fsm.h): the lookup, the drawing
 * and the one policy for an illegal change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsm.h"

/* a small machine: a → b on go, b stays on go, b → c on stop; first: a */
enum { T_A, T_B, T_C, T_NSTATES };
enum { T_GO, T_STOP, T_NEVENTS };
static const char *const t_states[T_NSTATES] = { "a", "b", "c" };
static const char *const t_events[T_NEVENTS] = { "go", "stop" };
static const unsigned char t_first[T_NEVENTS] = { [T_GO] = FSM_TO(T_A) };
static const unsigned char t_next[T_NSTATES][T_NEVENTS] = {
	[T_A] = { [T_GO] = FSM_TO(T_B) },
	[T_B] = { [T_GO] = FSM_TO(T_B), [T_STOP] = FSM_TO(T_C) },
};
static const struct fsm t_machine = {
	.name = "test", .nstates = T_NSTATES, .nevents = T_NEVENTS,
	.states = t_states, .events = t_events, .first = t_first, .next = &t_next[0][0],
};

static void the_table_says_what_follows(void **state)
{
	(void)state;
	int to = 99;
	assert_true(fsm_next(&t_machine, T_A, T_GO, &to));
	assert_int_equal(to, T_B);
	assert_true(fsm_next(&t_machine, T_B, T_GO, &to));
	assert_int_equal(to, T_B);   /* a stay */
	assert_true(fsm_next(&t_machine, FSM_FRESH, T_GO, &to));
	assert_int_equal(to, T_A);
	to = 99;
	assert_false(fsm_next(&t_machine, FSM_FRESH, T_STOP, &to));
	assert_false(fsm_next(&t_machine, T_A, T_STOP, &to));
	assert_false(fsm_next(&t_machine, T_C, T_GO, &to));   /* final */
	/* what is not the machine's is refused, never read past the table */
	assert_false(fsm_next(&t_machine, T_NSTATES, T_GO, &to));
	assert_false(fsm_next(&t_machine, -2, T_GO, &to));
	assert_false(fsm_next(&t_machine, T_A, T_NEVENTS, &to));
	assert_false(fsm_next(&t_machine, T_A, -1, &to));
	assert_int_equal(to, 99);
	/* a machine made in a state has no first event */
	struct fsm made = t_machine;
	made.first = NULL;
	assert_false(fsm_next(&made, FSM_FRESH, T_GO, &to));
	assert_string_equal(fsm_state_name(&t_machine, FSM_FRESH), "new");
	assert_string_equal(fsm_state_name(&t_machine, T_C), "c");
	assert_string_equal(fsm_state_name(&t_machine, 7), "?");
	assert_string_equal(fsm_event_name(&t_machine, T_STOP), "stop");
	assert_string_equal(fsm_event_name(&t_machine, 7), "?");
}

static void the_drawing_is_the_table(void **state)
{
	(void)state;
	char buf[512];
	assert_true(fsm_draw(&t_machine, buf, sizeof(buf)));
	assert_string_equal(buf, "| from \\ event | go | stop |\n"
				 "|---|---|---|\n"
				 "| (new) | a | – |\n"
				 "| a (0) | b | – |\n"
				 "| b (1) | stays | c |\n"
				 "| c (2) | – | – |\n");
	/* too small: cut, said so, and still a string */
	assert_false(fsm_draw(&t_machine, buf, 20));
	assert_int_equal(strlen(buf), 19);
	assert_false(fsm_draw(&t_machine, buf, 0));
}

static void ours_is_a_violation_a_peers_is_a_refusal(void **state)
{
	(void)state;
	struct actions out;
	actions_init(&out);
	fsm_refuse(&t_machine, FSM_OURS, "thing 7", T_C, T_GO, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(actions_count(&out, ACT_VIOLATION), 1);
	assert_string_equal(actions_nth(&out, ACT_VIOLATION, 0)->text,
			    "thing 7: go is illegal in state c");
	actions_clear(&out);
	fsm_refuse(&t_machine, FSM_PEER, "thing 7", FSM_FRESH, T_STOP, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(actions_count(&out, ACT_VIOLATION), 0);
	const struct evrec *r = actions_find_log(&out, FSM_REFUSED_EVENT);
	assert_non_null(r);
	assert_string_equal(evrec_field_str(r, 0), "test");
	assert_string_equal(r->buf + evrec_find(r, "machine")->v.str, "test");
	assert_string_equal(r->buf + evrec_find(r, "subject")->v.str, "thing 7");
	assert_string_equal(r->buf + evrec_find(r, "from")->v.str, "new");
	assert_string_equal(r->buf + evrec_find(r, "event")->v.str, "stop");
	actions_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_table_says_what_follows),
		cmocka_unit_test(the_drawing_is_the_table),
		cmocka_unit_test(ours_is_a_violation_a_peers_is_a_refusal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The state machines' one shape (sim/core/fsm.h): the lookup, the drawing,
 * the one policy for an illegal change, and the three machines' tables
 * (payment, part, HTLC) against their drawings in docs/architecture.md and
 * in their headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsm.h"
#include "htlc_state.h"
#include "payer.h"

#ifndef AMPSIM_SOURCE_ROOT
#error "AMPSIM_SOURCE_ROOT: the tree the documents are read from"
#endif

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
	assert_string_equal(actions_nth(&out, ACT_VIOLATION, 0)->u.violation.text,
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
	assert_string_equal(r->buf + evrec_find(r, "trigger")->v.str, "stop");
	actions_free(&out);
}

/* ---- the three machines --------------------------------------------------- */

static void every_name_is_there(void **state)
{
	(void)state;
	const struct fsm *all[] = { &payment_machine, &part_machine, &htlc_machine };
	for (size_t i = 0; i < 3; i++) {
		for (int s = 0; s < all[i]->nstates; s++)
			assert_non_null(all[i]->states[s]);
		for (int e = 0; e < all[i]->nevents; e++)
			assert_non_null(all[i]->events[e]);
	}
	assert_int_equal(payment_machine.nstates, PAY_STATE_COUNT);
	assert_int_equal(part_machine.nstates, PART_STATE_COUNT);
	assert_int_equal(htlc_machine.nstates, BH_STATE_COUNT);
	/* stored numbers never change meaning (append-only) */
	assert_int_equal(PAY_NEW, 0);
	assert_int_equal(PAY_DONE, 4);
	assert_int_equal(PART_WAITING, 0);
	assert_int_equal(PART_REFUNDED, 4);
	assert_string_equal(pay_state_name(PAY_AWAITING_INVOICE), "awaiting_invoice");
	assert_string_equal(pay_event_name(PAYEV_TIMEOUT), "timeout");
	assert_string_equal(part_state_name(PART_INFLIGHT), "inflight");
	assert_string_equal(part_event_name(PEV_UNSENDABLE), "unsendable");
	assert_string_equal(htlc_state_name(BH_REFUNDED), "refunded");
	assert_string_equal(htlc_event_name(HTLC_EV_LOSE_ONCHAIN), "lose_onchain");
}

static char *slurp(const char *rel)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", AMPSIM_SOURCE_ROOT, rel);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	char *s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* A C file's comment lines without their " * " (other lines as they are). */
static char *uncomment(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == ' ' && r[1] == '*' && r[2] == ' ')
			r += 3;
		else if (r[0] == ' ' && r[1] == '*' && r[2] == '\n')
			r += 2;
		while (*r && *r != '\n')
			*w++ = *r++;
		if (*r)
			*w++ = *r++;
	}
	*w = '\0';
	return s;
}

/* The machine's drawing is in the file, exactly: every transition the
 * document shows is in the table, and every one in the table is shown. */
static void drawn_in(const struct fsm *m, const char *rel, bool comment)
{
	char want[2048];
	assert_true(fsm_draw(m, want, sizeof(want)));
	char *text = slurp(rel);
	if (comment)
		uncomment(text);
	if (!strstr(text, want))
		fail_msg("%s does not draw the %s machine as its table is; it should read:\n%s", rel,
			 m->name, want);
	free(text);
}

static void the_documents_draw_the_tables(void **state)
{
	(void)state;
	drawn_in(&payment_machine, "docs/architecture.md", false);
	drawn_in(&part_machine, "docs/architecture.md", false);
	drawn_in(&htlc_machine, "docs/architecture.md", false);
	drawn_in(&payment_machine, "sender/engine/payer.h", true);
	drawn_in(&part_machine, "sender/engine/payer.h", true);
	drawn_in(&htlc_machine, "receiver/engine/htlc_state.h", true);
}

/* A peer's message asking for an illegal change: refused and logged, no
 * violation, nothing changes (each machine's change function). */
static void a_peers_illegal_change_is_refused_and_logged(void **state)
{
	(void)state;
	struct actions out;
	actions_init(&out);

	struct part pt;
	memset(&pt, 0, sizeof(pt));
	pt.state = PART_REFUNDED;
	struct payment p;
	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "p1");
	p.parts = &pt;
	p.nparts = 1;
	assert_false(part_change(&p, 0, PEV_FULFILLED, FSM_PEER, NULL, &out));
	assert_int_equal(pt.state, PART_REFUNDED);
	const struct evrec *r = actions_find_log(&out, FSM_REFUSED_EVENT);
	assert_non_null(r);
	assert_string_equal(r->buf + evrec_find(r, "machine")->v.str, "part");
	assert_string_equal(r->buf + evrec_find(r, "subject")->v.str, "payment p1: part 0");
	assert_string_equal(r->buf + evrec_find(r, "from")->v.str, "refunded");
	assert_string_equal(r->buf + evrec_find(r, "trigger")->v.str, "fulfilled");
	assert_null(actions_find_log(&out, "part_state"));
	assert_int_equal(actions_count(&out, ACT_VIOLATION), 0);
	actions_clear(&out);

	p.state = PAY_DONE;
	assert_false(payment_change(&p, PAYEV_INVOICE, FSM_PEER, &out));
	assert_int_equal(p.state, PAY_DONE);
	assert_int_equal(out.n, 1);
	r = actions_find_log(&out, FSM_REFUSED_EVENT);
	assert_non_null(r);
	assert_string_equal(r->buf + evrec_find(r, "subject")->v.str, "payment p1");
	actions_clear(&out);

	struct htlc_fsm h = { true, BH_HELD };
	assert_false(htlc_change(&h, HTLC_EV_LOSE_ONCHAIN, FSM_PEER, "c1", 3, &out));
	assert_int_equal(h.state, BH_HELD);
	assert_int_equal(out.n, 1);
	r = actions_find_log(&out, FSM_REFUSED_EVENT);
	assert_non_null(r);
	assert_string_equal(r->buf + evrec_find(r, "subject")->v.str, "channel c1: HTLC 3");
	assert_null(actions_find_log(&out, HTLC_STATE_EVENT));
	actions_free(&out);
}

/* Our own illegal change: the same text from every machine, and no abort. */
static void our_illegal_change_is_a_violation(void **state)
{
	(void)state;
	struct actions out;
	actions_init(&out);
	struct payment p;
	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "p2");
	p.state = PAY_DONE;
	assert_false(payment_change(&p, PAYEV_FINISH, FSM_OURS, &out));
	assert_string_equal(actions_nth(&out, ACT_VIOLATION, 0)->u.violation.text,
			    "payment p2: finish is illegal in state done");
	struct htlc_fsm h = { false, BH_HELD };
	assert_false(htlc_change(&h, HTLC_EV_SETTLE, FSM_OURS, "c2", 9, &out));
	assert_false(h.present);
	assert_string_equal(actions_nth(&out, ACT_VIOLATION, 1)->u.violation.text,
			    "channel c2: HTLC 9: settle is illegal in state new");
	assert_int_equal(actions_count(&out, ACT_LOG), 0);
	actions_free(&out);
}

/* A stay is legal and logs nothing: asking again for the invoice awaited. */
static void a_stay_changes_and_logs_nothing(void **state)
{
	(void)state;
	struct actions out;
	actions_init(&out);
	struct payment p;
	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "p3");
	p.state = PAY_AWAITING_INVOICE;
	assert_true(payment_change(&p, PAYEV_ASK_INVOICE, FSM_OURS, &out));
	p.state = PAY_ACTIVE;
	assert_true(payment_change(&p, PAYEV_LAUNCH, FSM_OURS, &out));
	assert_int_equal(p.state, PAY_ACTIVE);
	assert_int_equal(out.n, 0);
	assert_false(pay_state_allowed(PAY_ACTIVE, PAY_ACTIVE));
	actions_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_table_says_what_follows),
		cmocka_unit_test(the_drawing_is_the_table),
		cmocka_unit_test(ours_is_a_violation_a_peers_is_a_refusal),
		cmocka_unit_test(every_name_is_there),
		cmocka_unit_test(the_documents_draw_the_tables),
		cmocka_unit_test(a_peers_illegal_change_is_refused_and_logged),
		cmocka_unit_test(our_illegal_change_is_a_violation),
		cmocka_unit_test(a_stay_changes_and_logs_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for sim/core/evtable.c, the table of every event: the table
 * itself, the check of a record against it, and every record the world
 * (both engines, their links, lives and faults) emits while it plays the
 * scenarios of scenarios/, in full and under the explorer's faults. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evtable.h"
#include "explore.h"
#include "fault_rules.h"
#include "scenario.h"
#include "world.h"

/* ---- the table --------------------------------------------------------- */

static void test_the_table_is_well_formed(void **state)
{
	(void)state;
	size_t n;
	const struct evt_entry *t = evtable_entries(&n);
	assert_true(n > 50);
	for (size_t i = 0; i < n; i++) {
		assert_true(strlen(t[i].name) < EVREC_NAME_MAX);
		assert_true(t[i].nfields >= 1 && t[i].nfields <= EVREC_MAX_FIELDS);
		/* one entry per name and node */
		for (size_t j = 0; j < i; j++)
			if (strcmp(t[i].name, t[j].name) == 0)
				assert_int_equal(t[i].stream & t[j].stream, 0);
		for (size_t a = 0; a < t[i].nfields; a++) {
			const struct evt_field *f = &t[i].fields[a];
			/* the header's keys are the formatter's */
			assert_true(strcmp(f->key, "t_ms") && strcmp(f->key, "height") &&
				    strcmp(f->key, "node"));
			if (t[i].stream != EVS_BOB_DEBUG)
				assert_true(strcmp(f->key, "event") != 0);
			for (size_t b = 0; b < a; b++)
				assert_true(strcmp(f->key, t[i].fields[b].key) != 0);
		}
		assert_ptr_equal(evtable_find(t[i].name, t[i].stream == EVS_BOTH ? EVS_ALICE
						  : t[i].stream == EVS_BOB_DEBUG ? EVS_BOB
						  : t[i].stream), &t[i]);
	}
}

static void offered(struct evrec *r, bool amp)
{
	static const uint8_t h[32] = { 1, 2, 3 };
	evrec_init(r, "htlc_offered");
	evrec_str(r, "payment", "p1");
	evrec_str(r, "channel", "c1");
	evrec_u64(r, "htlc", 0);
	evrec_u64(r, "amount_msat", 1000);
	evrec_hex(r, "hash", h, 32);
	evrec_i64(r, "cltv_expiry", 40);
	if (amp) {
		evrec_hex(r, "set_id", h, 32);
		evrec_i64(r, "child_index", 7);
	}
	evrec_i64(r, "attempt", 0);
}

static bool ok(const struct evrec *r, enum ev_stream node, const char *expect_in_why)
{
	char why[256] = "";
	bool fits = evtable_check(r, node, why, sizeof(why));
	if (expect_in_why)
		assert_non_null(strstr(why, expect_in_why));
	return fits;
}

static void test_a_record_is_checked_against_its_entry(void **state)
{
	(void)state;
	struct evrec r;
	offered(&r, false);
	assert_true(ok(&r, EVS_ALICE, NULL));      /* optional fields absent */
	offered(&r, true);
	assert_true(ok(&r, EVS_ALICE, NULL));
	assert_false(ok(&r, EVS_BOB, "no such event of bob"));
	evrec_i64(&r, "extra", 1);
	assert_false(ok(&r, EVS_ALICE, "field extra"));

	/* a field out of its place, of another type, missing, not hex */
	evrec_init(&r, "part_retry");
	evrec_str(&r, "channel", "c1");
	evrec_str(&r, "payment", "p1");
	evrec_i64(&r, "attempt", 1);
	assert_false(ok(&r, EVS_ALICE, "field channel"));
	evrec_init(&r, "part_retry");
	evrec_str(&r, "payment", "p1");
	evrec_str(&r, "channel", "c1");
	evrec_u64(&r, "attempt", 1);
	assert_false(ok(&r, EVS_ALICE, "not i64"));
	evrec_init(&r, "part_retry");
	evrec_str(&r, "payment", "p1");
	evrec_str(&r, "channel", "c1");
	assert_false(ok(&r, EVS_ALICE, "attempt is missing"));
	evrec_init(&r, "invoice_created");
	evrec_u64(&r, "amount_msat", 5);
	evrec_str(&r, "hash", "ABCD");
	assert_false(ok(&r, EVS_BOB, "not hex"));
	evrec_init(&r, "nonsense");
	assert_false(ok(&r, EVS_ALICE, "nonsense"));

	/* either key of an alternative; a name whose fields differ by node */
	evrec_init(&r, "set_withheld");
	evrec_str(&r, "hash", "00ff");
	evrec_str(&r, "behaviour", "hold");
	assert_true(ok(&r, EVS_BOB, NULL));
	evrec_init(&r, "set_withheld");
	evrec_str(&r, "set_id", "00ff");
	evrec_str(&r, "behaviour", "hold");
	assert_true(ok(&r, EVS_BOB, NULL));
	evrec_init(&r, "restart");
	evrec_i64(&r, "channels", 2);
	assert_true(ok(&r, EVS_BOB, NULL));
	assert_false(ok(&r, EVS_ALICE, "field channels"));

	/* bob's diagnostics are his, not alice's */
	evrec_init(&r, "htlc_state");
	evrec_str(&r, "channel", "c1");
	evrec_u64(&r, "htlc", 0);
	evrec_str(&r, "from", "new");
	evrec_str(&r, "to", "held");
	evrec_str(&r, "event", "accept");
	assert_true(ok(&r, EVS_BOB, NULL));
	assert_int_equal(evtable_find("htlc_state", EVS_BOB)->stream, EVS_BOB_DEBUG);
	assert_false(ok(&r, EVS_ALICE, NULL));
}

/* ---- every record the world emits -------------------------------------- */

struct seen {
	size_t records;
	char names[128][EVREC_NAME_MAX];
	size_t nnames;
};

static void on_event(void *ctx, enum world_node node, const struct evrec *r)
{
	struct seen *s = ctx;
	char why[256];
	enum ev_stream st = node == WORLD_ALICE ? EVS_ALICE : EVS_BOB;
	if (!evtable_check(r, st, why, sizeof(why)))
		fail_msg("%s's record: %s", world_node_name(node), why);
	/* what reaches an event log is not a diagnostic */
	assert_int_not_equal(evtable_find(r->name, st)->stream, EVS_BOB_DEBUG);
	s->records++;
	for (size_t i = 0; i < s->nnames; i++)
		if (strcmp(s->names[i], r->name) == 0)
			return;
	if (s->nnames < 128)
		snprintf(s->names[s->nnames++], EVREC_NAME_MAX, "%s", r->name);
}

static void on_violation(void *ctx, enum world_node node, const char *text)
{
	(void)ctx;
	(void)node;
	(void)text;   /* some faults' scenarios expect them: not this test's */
}

/* A scenario's steps in time order: payments, faults and their lifts. */
struct step {
	uint64_t at;
	const struct payment_config *pay;
	const struct fault_config *fault;
	bool lift;
};

static int by_at(const void *x, const void *y)
{
	const struct step *a = x, *b = y;
	return a->at < b->at ? -1 : a->at > b->at;
}

static size_t steps_of(const struct scenario *s, struct step *v)
{
	size_t n = 0;
	for (size_t i = 0; i < s->npayments; i++)
		v[n++] = (struct step){ s->payments[i].at_us, &s->payments[i], NULL, false };
	for (size_t i = 0; i < s->nfaults; i++) {
		v[n++] = (struct step){ s->faults[i].at_us, NULL, &s->faults[i], false };
		if (s->faults[i].has_until)
			v[n++] = (struct step){ s->faults[i].until_us, NULL, &s->faults[i], true };
	}
	qsort(v, n, sizeof(*v), by_at);
	return n;
}

static void apply(struct world *w, const struct step *st)
{
	if (st->pay) {
		if (world_up(w, WORLD_ALICE) && world_ready(w))
			world_pay(w, st->pay);
		return;
	}
	const struct fault_config *f = st->fault;
	enum world_node n = f->target == NODE_ALICE ? WORLD_ALICE : WORLD_BOB;
	if (fault_action_on_links(f->action)) {
		world_fault(w, WORLD_BOB, f, st->lift);
		world_settle(w);
		world_fault(w, WORLD_ALICE, f, st->lift);
	} else if (f->action == FAULT_DISCONNECT) {
		world_disconnect(w);
	} else if (f->action == FAULT_CRASH) {
		world_crash(w, n);
	} else if (f->action == FAULT_RESTART) {
		world_restart(w, n);
	}
}

/* The scenario played as ampsim run --in-process plays it, roughly: its
 * steps at their times, then until quiet (or far past the last step). */
static void play(const struct scenario *s, struct seen *seen)
{
	struct world_sink sink = { .event = on_event, .violation = on_violation, .ctx = seen };
	char err[256];
	struct world *w = world_new(s, &sink, err, sizeof(err));
	assert_non_null(w);
	struct step *v = calloc(s->npayments + 2 * s->nfaults + 1, sizeof(*v));
	size_t n = steps_of(s, v), next = 0;
	for (size_t i = 0; i < s->nfaults; i++)
		if (s->faults[i].action == FAULT_CRASH || s->faults[i].action == FAULT_RESTART)
			world_keep_records(w);
	uint64_t end = (n ? v[n - 1].at : 0) + 400 * s->block_interval_us;
	world_start(w);
	for (;;) {
		world_settle(w);
		if (next < n && v[next].at <= world_now(w)) {
			apply(w, &v[next++]);
			continue;
		}
		bool final;
		if (next == n && world_quiet(w, &final))
			break;
		uint64_t t = world_next(w);
		if (next < n && v[next].at < t)
			t = v[next].at;
		if (t == WORLD_NO_TIMER || t > end)
			break;
		world_advance(w, t);
	}
	world_stop(w);
	world_settle(w);
	world_free(w);
	free(v);
}

/* Random walks of the explorer over s: deliveries in any order the links
 * allow, drops, duplicates, disconnects, crashes. */
static void walk(const struct scenario *s, struct seen *seen, uint64_t seed)
{
	struct world_sink sink = { .event = on_event, .violation = on_violation, .ctx = seen };
	struct xrun *r = xrun_new(s, &sink, true);
	xchoice c[256];
	for (int step = 0; step < 400; step++) {
		size_t n = xrun_choices(r, 4 - (xrun_faults(r) < 4 ? xrun_faults(r) : 4), c, 256);
		if (n == 0)
			break;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		xrun_apply(r, c[(seed >> 33) % n]);
	}
	xrun_free(r);
}

static bool is_ini(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcmp(name + n - 4, ".ini") == 0;
}

static void each_scenario(const char *dir, struct seen *seen, size_t *played, size_t *walked)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!is_ini(de->d_name))
			continue;
		char path[1024], err[512];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct scenario *s = calloc(1, sizeof(*s));
		assert_int_equal(scenario_load(path, s, err, sizeof(err)), 0);
		if (s->nworkloads == 0 && world_supports(s, err, sizeof(err))) {
			play(s, seen);
			(*played)++;
		}
		if (explore_supports(s, err, sizeof(err))) {
			for (uint64_t k = 1; k <= 6; k++)
				walk(s, seen, k);
			(*walked)++;
		}
		free(s);
	}
	closedir(d);
}

static void test_every_record_of_the_world_matches_the_table(void **state)
{
	(void)state;
	struct seen *seen = calloc(1, sizeof(*seen));
	size_t played = 0, walked = 0;
	static const char *dirs[] = { "", "/faults", "/check" };
	for (size_t i = 0; i < 3; i++) {
		char dir[1024];
		snprintf(dir, sizeof(dir), "%s%s", AMPSIM_SCENARIOS, dirs[i]);
		each_scenario(dir, seen, &played, &walked);
	}
	print_message("# %zu scenarios played, %zu walked; %zu records of %zu events\n", played,
		      walked, seen->records, seen->nnames);
	assert_true(played >= 10);
	assert_true(walked >= 3);
	assert_true(seen->nnames >= 30);
	free(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_table_is_well_formed),
		cmocka_unit_test(test_a_record_is_checked_against_its_entry),
		cmocka_unit_test(test_every_record_of_the_world_matches_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

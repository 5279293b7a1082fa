/* Unit tests for the explorer's pieces (sim/world/explore.h, world_hand.h,
 * world_digest.h, link_delay_range): delivery windows per jitter
 * distribution, hand mode's items, which choices a state offers (crashes
 * included), the fingerprint (records and lives included), and whole
 * explorations of small scenarios. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "explore.h"
#include "link.h"
#include "world_check.h"
#include "world_digest.h"
#include "world_hand.h"

static const char *TWO = "[sim]\nseed = 2\n\n"
			 "[channel c1]\ncapacity = 1btc\nalice = 1btc\ndelay = 20ms\n%s\n"
			 "[channel c2]\ncapacity = 1btc\nalice = 1btc\ndelay = 80ms\n\n"
			 "[payment p1]\nat = 0s\namount = 2btc\nmode = %s\n";

static struct scenario *load(const char *c1_extra, const char *mode)
{
	char text[2048];
	snprintf(text, sizeof(text), TWO, c1_extra, mode);
	struct scenario *s = calloc(1, sizeof(*s));
	char err[512];
	assert_int_equal(scenario_parse_string("t.ini", text, s, err, sizeof(err)), 0);
	return s;
}

static void test_delay_range(void **state)
{
	(void)state;
	struct link_params p = { .delay_us = 1000, .jitter_us = 100 };
	uint64_t lo, hi;
	p.jitter_dist = JITTER_UNIFORM;
	link_delay_range(&p, &lo, &hi);
	assert_int_equal(lo, 1000);
	assert_int_equal(hi, 1100);
	p.jitter_dist = JITTER_NORMAL;
	link_delay_range(&p, &lo, &hi);
	assert_int_equal(lo, 1000);
	assert_int_equal(hi, 1400);
	p.jitter_dist = JITTER_PARETO;
	link_delay_range(&p, &lo, &hi);
	assert_int_equal(lo, 1050);
	assert_int_equal(hi, 2000);
	/* every delay the link draws lies in its range */
	struct link l;
	for (int d = 0; d < 3; d++) {
		p.jitter_dist = (enum jitter_dist)d;
		link_delay_range(&p, &lo, &hi);
		link_init(&l, &p, 7, "c1", "to_bob");
		for (int i = 0; i < 2000; i++) {
			uint64_t v = link_draw_delay(&l);
			assert_true(v >= lo && v <= hi);
		}
	}
	p.jitter_us = 0;
	link_delay_range(&p, &lo, &hi);
	assert_int_equal(lo, 1000);
	assert_int_equal(hi, 1000);
	p.delay_us = UINT64_MAX - 5;
	p.jitter_us = 100;
	p.jitter_dist = JITTER_UNIFORM;
	link_delay_range(&p, &lo, &hi);
	assert_true(hi == UINT64_MAX);
}

static void test_hand_items(void **state)
{
	(void)state;
	struct scenario *s = load("", "amp");
	struct xrun *r = xrun_new(s, NULL, false);
	struct world *w = xrun_world(r);
	/* both shards' adds wait, each with its channel's window */
	assert_int_equal(world_items(w), 2);
	struct world_item a, b;
	world_item(w, 0, &a);
	world_item(w, 1, &b);
	assert_int_equal(a.from, WORLD_ALICE);
	assert_int_equal(a.kind, MSG_ADD);
	assert_int_equal(a.nth, 1);
	assert_int_equal(a.lo, 20000);
	assert_int_equal(a.hi, 20000);
	assert_int_equal(b.lo, 80000);
	/* only the first may come first: the second's earliest is after the
	 * first's latest */
	xchoice ch[16];
	size_t n = xrun_choices(r, 0, ch, 16);
	assert_int_equal(n, 1);
	assert_int_equal(XCHOICE_KIND(ch[0]), XC_DELIVER);
	/* with a fault to spend: drop or duplicate either, or cut the connection */
	n = xrun_choices(r, 1, ch, 16);
	assert_int_equal(n, 1 + 4 + 1);
	/* a duplicate: a third item, the same window */
	xrun_apply(r, XCHOICE(XC_DUPLICATE, 0));
	assert_int_equal(world_items(w), 3);
	struct world_item c;
	world_item(w, 2, &c);
	assert_int_equal(c.lo, a.lo);
	assert_int_equal(c.nth, a.nth);
	assert_int_equal(xrun_faults(r), 1);
	/* delivering moves the time to the earliest delivery */
	xrun_apply(r, XCHOICE(XC_DELIVER, 0));
	assert_int_equal(world_now(w), 20000);
	xrun_free(r);
	free(s);
}

static void test_jitter_lets_either_first(void **state)
{
	(void)state;
	struct scenario *s = load("jitter = 70ms\n", "amp");
	struct xrun *r = xrun_new(s, NULL, false);
	xchoice ch[16];
	size_t n = xrun_choices(r, 0, ch, 16);
	/* c1's window [20, 90] ms holds c2's 80 ms: either arrives first */
	assert_int_equal(n, 2);
	assert_int_equal(ch[0], XCHOICE(XC_DELIVER, 0));
	assert_int_equal(ch[1], XCHOICE(XC_DELIVER, 1));
	xrun_apply(r, ch[1]);
	assert_int_equal(world_now(xrun_world(r)), 80000);
	xrun_free(r);
	free(s);
}

static void test_digest(void **state)
{
	(void)state;
	struct scenario *s = load("jitter = 70ms\n", "amp");
	struct xrun *r1 = xrun_new(s, NULL, false), *r2 = xrun_new(s, NULL, false);
	uint8_t d1[16], d2[16];
	world_digest(xrun_world(r1), false, NULL, 0, d1);
	world_digest(xrun_world(r2), false, NULL, 0, d2);
	assert_memory_equal(d1, d2, 16);   /* the same state, however made */
	xrun_apply(r2, XCHOICE(XC_DELIVER, 0));
	world_digest(xrun_world(r2), false, NULL, 0, d2);
	assert_memory_not_equal(d1, d2, 16);
	uint8_t extra = 1;
	uint8_t d3[16];
	world_digest(xrun_world(r1), false, &extra, 1, d3);
	assert_memory_not_equal(d1, d3, 16);
	xrun_free(r1);
	xrun_free(r2);
	free(s);
}

static void test_explore_invoices_breaks(void **state)
{
	(void)state;
	struct scenario *s = load("", "invoices\nshards = 2");
	struct explore_config cfg = { .s = s };
	struct explore_result res;
	explore_run(&cfg, &res);
	assert_int_equal(res.verdict, EXPLORE_HOLDS);   /* nothing lost: it settles */
	explore_result_free(&res);
	cfg.faults = 1;
	explore_run(&cfg, &res);
	assert_int_equal(res.verdict, EXPLORE_VIOLATION);
	assert_string_equal(res.property, "atomicity");
	assert_non_null(strstr(res.what, "partial"));
	assert_true(res.npath > 0);
	/* the path replays to the violation */
	struct xrun *r = xrun_new(s, NULL, false);
	unsigned drops = 0;
	for (size_t i = 0; i < res.npath; i++) {
		drops += XCHOICE_KIND(res.path[i]) == XC_DROP;
		xrun_apply(r, res.path[i]);
	}
	assert_int_equal(drops, 1);
	char buf[512];
	bool final;
	assert_false(world_check_end_modes(xrun_world(r), world_quiet(xrun_world(r), &final), true,
					   buf, sizeof(buf)));
	xrun_free(r);
	explore_result_free(&res);
	free(s);
}

static void test_explore_amp_holds_and_depth(void **state)
{
	(void)state;
	struct scenario *s = load("jitter = 70ms\n", "amp");
	struct explore_config cfg = { .s = s, .faults = 1 };
	struct explore_result res;
	explore_run(&cfg, &res);
	assert_int_equal(res.verdict, EXPLORE_HOLDS);
	assert_true(res.executions > 1);
	uint64_t states = res.states;
	explore_result_free(&res);
	cfg.depth = 3;
	explore_run(&cfg, &res);
	assert_int_equal(res.verdict, EXPLORE_CUT);
	assert_true(res.states < states);
	assert_true(res.depth <= 3);
	explore_result_free(&res);
	cfg.depth = 0;
	cfg.max_states = 10;
	explore_run(&cfg, &res);
	assert_int_equal(res.verdict, EXPLORE_TOO_LARGE);
	explore_result_free(&res);
	free(s);
}

/* A crash between instants only: not at the instant a payment starts, nor
 * while an item is due now; a restarted node's messages of its restart
 * instant are pinned to their delay and chosen for no fault. */
static void test_crash_choices(void **state)
{
	(void)state;
	struct scenario *s = load("jitter = 70ms\n", "amp");
	struct xrun *r = xrun_new(s, NULL, true);
	xchoice ch[64];
	size_t n = xrun_choices(r, 1, ch, 64);
	assert_false(xrun_may_crash(r));   /* p1 starts at 0 */
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(XCHOICE_KIND(ch[i]), XC_CRASH);
	xrun_apply(r, XCHOICE(XC_DELIVER, 0));   /* c1's add, at 20 ms */
	assert_true(xrun_may_crash(r));
	n = xrun_choices(r, 1, ch, 64);
	assert_true(n >= 2);
	assert_int_equal(ch[n - 2], XCHOICE(XC_CRASH, 0));
	assert_int_equal(ch[n - 1], XCHOICE(XC_CRASH, 1));
	assert_int_equal(xrun_choices(r, 0, ch, 64) < n, true);   /* no budget, no crash */
	struct xrun *nc = xrun_new(s, NULL, false);
	xrun_apply(nc, XCHOICE(XC_DELIVER, 0));
	assert_false(xrun_may_crash(nc));   /* crashes not offered */
	xrun_free(nc);

	struct world *w = xrun_world(r);
	xrun_apply(r, XCHOICE(XC_CRASH, 0));
	assert_int_equal(xrun_faults(r), 1);
	assert_true(world_up(w, WORLD_ALICE));
	assert_int_equal(world_generation(w, WORLD_ALICE), 1);
	assert_int_equal(world_generation(w, WORLD_BOB), 0);
	assert_int_equal(world_restarted_at(w, WORLD_ALICE), 20000);
	/* she reconnects at once and sends again: pinned, and never lost */
	size_t items = world_items(w), pinned = 0;
	struct world_item it;
	for (size_t i = 0; i < items; i++) {
		world_item(w, i, &it);
		if (it.from == WORLD_ALICE) {
			assert_true(it.pinned);
			assert_true(it.lo == it.hi && it.lo > 20000);
			pinned++;
		}
	}
	assert_true(pinned > 0);
	n = xrun_choices(r, 1, ch, 64);
	for (size_t i = 0; i < n; i++) {
		if (XCHOICE_KIND(ch[i]) != XC_DROP && XCHOICE_KIND(ch[i]) != XC_DUPLICATE)
			continue;
		world_item(w, XCHOICE_ITEM(ch[i]), &it);
		assert_false(it.pinned);
	}
	xrun_free(r);
	free(s);
}

static void digest_of(struct xrun *r, bool records, uint8_t d[16])
{
	world_digest(xrun_world(r), records, NULL, 0, d);
}

/* What a restart would load is part of a state while a crash may come;
 * two histories that a crash makes alike are one state. */
static void test_crash_digest(void **state)
{
	(void)state;
	struct scenario *s = load("jitter = 70ms\n", "amp");
	struct xrun *kept = xrun_new(s, NULL, true), *none = xrun_new(s, NULL, false);
	uint8_t a[16], b[16];
	digest_of(kept, false, a);
	digest_of(none, false, b);
	assert_memory_equal(a, b, 16);       /* records aside, the same state */
	digest_of(kept, true, a);
	digest_of(none, true, b);
	assert_memory_not_equal(a, b, 16);   /* one has records, one has none */
	xrun_free(none);

	/* at 20 ms, c2's add on its way: lost, or doubled, then a crash of
	 * bob that loses what is on its way (and what he sent): one state */
	xrun_apply(kept, XCHOICE(XC_DELIVER, 0));
	/* c2's add, and bob's countersignature of c1's on its way back */
	assert_int_equal(world_items(xrun_world(kept)), 2);
	size_t add = SIZE_MAX;
	struct world_item it;
	for (size_t i = 0; i < 2; i++) {
		world_item(xrun_world(kept), i, &it);
		if (it.from == WORLD_ALICE)
			add = i;
	}
	assert_true(add != SIZE_MAX);
	uint8_t before[16];
	digest_of(kept, true, before);
	struct xrun *r1 = xrun_new(s, NULL, true), *r2 = xrun_new(s, NULL, true);
	xrun_apply(r1, XCHOICE(XC_DELIVER, 0));
	xrun_apply(r2, XCHOICE(XC_DELIVER, 0));
	xrun_apply(r1, XCHOICE(XC_DROP, add));
	xrun_apply(r2, XCHOICE(XC_DUPLICATE, add));
	digest_of(r1, true, a);
	digest_of(r2, true, b);
	assert_memory_not_equal(a, b, 16);
	xrun_apply(r1, XCHOICE(XC_CRASH, 1));
	xrun_apply(r2, XCHOICE(XC_CRASH, 1));
	digest_of(r1, true, a);
	digest_of(r2, true, b);
	assert_memory_equal(a, b, 16);
	assert_memory_not_equal(a, before, 16);
	/* a crash of alice there instead is another state */
	xrun_apply(kept, XCHOICE(XC_CRASH, 0));
	digest_of(kept, true, b);
	assert_memory_not_equal(a, b, 16);
	xrun_free(r1);
	xrun_free(r2);
	xrun_free(kept);
	free(s);
}

/* Crashes among the faults: more states than without them, every
 * property holding for AMP; with two faults, the two invoices' shortest
 * break has a crash in it (the lost add sent again after alice's restart,
 * refused as too close to its expiry: sooner than waiting for it). */
static void test_explore_crashes(void **state)
{
	(void)state;
	struct scenario *s = load("jitter = 70ms\n", "amp");
	struct explore_config cfg = { .s = s, .faults = 1, .no_crashes = true };
	struct explore_result res;
	explore_run(&cfg, &res);
	assert_int_equal(res.verdict, EXPLORE_HOLDS);
	assert_int_equal(res.tried[XC_CRASH], 0);
	uint64_t without = res.states;
	explore_result_free(&res);
	cfg.no_crashes = false;
	explore_run(&cfg, &res);
	assert_int_equal(res.verdict, EXPLORE_HOLDS);
	assert_true(res.tried[XC_CRASH] > 0);
	assert_true(res.states > without);
	explore_result_free(&res);
	free(s);

	s = load("", "invoices\nshards = 2");
	cfg = (struct explore_config){ .s = s, .faults = 2 };
	explore_run(&cfg, &res);
	assert_int_equal(res.verdict, EXPLORE_VIOLATION);
	assert_string_equal(res.property, "atomicity");
	unsigned crashes = 0;
	for (size_t i = 0; i < res.npath; i++)
		crashes += XCHOICE_KIND(res.path[i]) == XC_CRASH;
	assert_int_equal(crashes, 1);
	size_t with = res.npath;
	explore_result_free(&res);
	cfg.no_crashes = true;
	explore_run(&cfg, &res);
	assert_int_equal(res.verdict, EXPLORE_VIOLATION);
	assert_true(res.npath > with);
	explore_result_free(&res);
	free(s);
}

static void test_supports(void **state)
{
	(void)state;
	struct scenario *s = load("", "amp");
	char why[512];
	assert_true(explore_supports(s, why, sizeof(why)));
	s->npayments = 0;
	assert_false(explore_supports(s, why, sizeof(why)));
	assert_non_null(strstr(why, "no [payment]"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay_range),
		cmocka_unit_test(test_hand_items),
		cmocka_unit_test(test_jitter_lets_either_first),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_explore_invoices_breaks),
		cmocka_unit_test(test_explore_amp_holds_and_depth),
		cmocka_unit_test(test_crash_choices),
		cmocka_unit_test(test_crash_digest),
		cmocka_unit_test(test_explore_crashes),
		cmocka_unit_test(test_supports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

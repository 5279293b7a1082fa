/* Unit tests of [workload] sections: parsing (good values and every kind of
 * bad one, as FILE:LINE), the payments generated from the seed, and the
 * [expect] shares. The parser is in the runtime layer, the generator pure. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"
#include "workload.h"

static struct scenario scn;
static char err[512];

#define CHANNEL "[channel c1]\ncapacity = 1btc\n"

static void parse_ok(const char *text)
{
	if (scenario_parse_string("w.ini", text, &scn, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
}

static void parse_bad(const char *text, const char *where, const char *what)
{
	if (scenario_parse_string("w.ini", text, &scn, err, sizeof(err)) == 0)
		fail_msg("accepted:\n%s", text);
	if (!strstr(err, where) || !strstr(err, what))
		fail_msg("expected '%s' and '%s' in '%s'", where, what, err);
}

static void test_a_full_workload(void **state)
{
	(void)state;
	parse_ok(CHANNEL
		 "[workload w1]\n"
		 "count = 10000\n"
		 "start = 1s\n"
		 "arrival = poisson:20/s\n"
		 "amount = uniform:1000sat,0.05btc\n"
		 "mode = amp:0.5,mpp:0.5\n"
		 "shards = 2\n"
		 "expiry = 40blocks\n"
		 "timeout = 60s\n"
		 "[expect]\n"
		 "w1 = settled >= 95%\n");
	assert_int_equal(scn.nworkloads, 1);
	const struct workload_config *w = &scn.workloads[0];
	assert_string_equal(w->id, "w1");
	assert_int_equal(w->count, 10000);
	assert_int_equal(w->start_us, 1000000);
	assert_int_equal(w->arrival.kind, ARRIVAL_POISSON);
	assert_true(w->arrival.per_s == 20);
	assert_int_equal(w->amount.kind, AMOUNT_UNIFORM);
	assert_int_equal(w->amount.a.millisatoshis, 1000000);
	assert_int_equal(w->amount.b.millisatoshis, 5000000000ULL);
	assert_int_equal(w->nmodes, 2);
	assert_int_equal(w->modes[0].mode, PAY_AMP);
	assert_true(fabs(w->modes[1].weight - 0.5) < 1e-12);
	assert_int_equal(w->shards, 2);
	assert_int_equal(scn.nexpects, 1);
	assert_true(scn.expects[0].is_share);
	assert_int_equal(scn.expects[0].cmp, EXPECT_GE);
	assert_true(scn.expects[0].percent == 95);
	assert_int_equal(scn.expects[0].outcome, OUTCOME_SETTLED);
	/* defaults and the other forms */
	parse_ok(CHANNEL "[workload x]\ncount = 3\narrival = every:10ms\namount = 1sat\n"
		 "[expect]\nx = failed <= 0%\n");
	assert_int_equal(scn.workloads[0].arrival.kind, ARRIVAL_EVERY);
	assert_int_equal(scn.workloads[0].arrival.every_us, 10000);
	assert_int_equal(scn.workloads[0].modes[0].mode, PAY_SINGLE);
	assert_int_equal(scn.workloads[0].expiry_blocks, 40);
	assert_int_equal(scn.expects[0].cmp, EXPECT_LE);
	parse_ok(CHANNEL "[workload x]\ncount = 3\narrival = every:1s\n"
		 "amount = lognormal:10000sat,0.5\nmode = mpp\n[expect]\nx = settled = 100%\n");
	assert_int_equal(scn.workloads[0].amount.kind, AMOUNT_LOGNORMAL);
	assert_true(scn.workloads[0].amount.sigma == 0.5);
	assert_int_equal(scn.expects[0].cmp, EXPECT_EQ);
}

static void test_bad_workloads(void **state)
{
	(void)state;
	parse_bad(CHANNEL "[workload w]\ncount = 0\narrival = every:1s\namount = 1sat\n",
		  "w.ini:4:", "count");
	parse_bad(CHANNEL "[workload w]\ncount = 1000001\narrival = every:1s\namount = 1sat\n",
		  "w.ini:4:", "count");
	parse_bad(CHANNEL "[workload w]\ncount = 5\narrival = hourly\namount = 1sat\n",
		  "w.ini:5:", "every:DURATION or poisson:RATE/s");
	parse_bad(CHANNEL "[workload w]\ncount = 5\narrival = poisson:20\namount = 1sat\n",
		  "w.ini:5:", "poisson:RATE/s");
	parse_bad(CHANNEL "[workload w]\ncount = 5\narrival = every:0s\namount = 1sat\n",
		  "w.ini:5:", "above zero");
	parse_bad(CHANNEL "[workload w]\ncount = 5\narrival = every:1s\namount = uniform:2sat,1sat\n",
		  "w.ini:6:", "MIN <= MAX");
	parse_bad(CHANNEL "[workload w]\ncount = 5\narrival = every:1s\namount = lognormal:1sat\n",
		  "w.ini:6:", "lognormal:MEDIAN,SIGMA");
	parse_bad(CHANNEL "[workload w]\ncount = 5\narrival = every:1s\namount = 1sat\n"
		  "mode = amp:0.5,warp:0.5\n", "w.ini:7:", "expected single, invoices, mpp or amp");
	parse_bad(CHANNEL "[workload w]\ncount = 5\narrival = every:1s\namount = 1sat\n"
		  "mode = amp:0.5,amp:0.5\n", "w.ini:7:", "named twice");
	parse_bad(CHANNEL "[workload w]\ncount = 5\namount = 1sat\n", "w.ini:3:", "arrival: missing");
	parse_bad(CHANNEL "[workload w]\narrival = every:1s\namount = 1sat\n", "w.ini:3:",
		  "count: missing");
	parse_bad(CHANNEL "[workload a-very-long-workload-name]\ncount = 1000000\n"
		  "arrival = every:1s\namount = 1sat\n", "w.ini:3:", "shorter id");
	parse_bad(CHANNEL "[workload w]\ncount = 5\narrival = every:1s\namount = 1sat\n"
		  "[expect]\nw = settled\n", "w.ini:8:", "is a workload");
	parse_bad(CHANNEL "[workload w]\ncount = 5\narrival = every:1s\namount = 1sat\n"
		  "[expect]\nw = settled >= 120%\n", "w.ini:8:", "P in 0..100");
	parse_bad(CHANNEL "[payment p]\namount = 1sat\n[expect]\np = settled >= 50%\n",
		  "w.ini:6:", "is a payment");
	parse_bad(CHANNEL "[workload c1]\ncount = 5\narrival = every:1s\namount = 1sat\n",
		  "w.ini:3:", "c1");
}

static void generate(const struct workload_config *w, uint64_t seed, struct payment_config *out)
{
	struct workload_gen g;
	workload_gen_init(&g, w, seed);
	for (uint32_t i = 0; i < w->count; i++)
		workload_next(&g, w, &out[i]);
	workload_gen_free(&g);
}

static void test_generation_follows_the_seed(void **state)
{
	(void)state;
	parse_ok(CHANNEL "[workload w1]\ncount = 2000\nstart = 1s\narrival = poisson:20/s\n"
		 "amount = uniform:1000sat,2000sat\nmode = amp:0.25,mpp:0.75\nshards = 3\n");
	static struct payment_config a[2000], b[2000], c[2000];
	generate(&scn.workloads[0], 7, a);
	generate(&scn.workloads[0], 7, b);
	generate(&scn.workloads[0], 8, c);
	assert_memory_equal(a, b, sizeof(a));            /* same seed, same payments */
	assert_true(memcmp(a, c, sizeof(a)) != 0);       /* another seed, others */
	assert_string_equal(a[0].id, "w1-1");
	assert_string_equal(a[1999].id, "w1-2000");
	assert_int_equal(a[0].at_us, 1000000);
	unsigned amp = 0;
	for (size_t i = 0; i < 2000; i++) {
		if (i)
			assert_true(a[i].at_us >= a[i - 1].at_us);
		assert_true(a[i].amount.millisatoshis >= 1000000 && a[i].amount.millisatoshis <= 2000000);
		assert_true(a[i].mode == PAY_AMP || a[i].mode == PAY_MPP);
		assert_int_equal(a[i].shards, 3);
		amp += a[i].mode == PAY_AMP;
	}
	/* poisson at 20/s: 2000 arrivals take about 100 s; the mix about 1 in 4 */
	double span = (double)(a[1999].at_us - a[0].at_us) / 1e6;
	assert_true(span > 85 && span < 115);
	assert_true(amp > 400 && amp < 600);
	/* every: exactly spaced */
	parse_ok(CHANNEL "[workload e]\ncount = 4\narrival = every:250ms\namount = 5sat\n");
	generate(&scn.workloads[0], 1, a);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(a[i].at_us, i * 250000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_full_workload),
		cmocka_unit_test(test_bad_workloads),
		cmocka_unit_test(test_generation_follows_the_seed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for sim/link.c and sim/rng.c: reproducible fault decisions
 * (invariant 6), each impairment doing what the scenario says, and the
 * seeded stream itself checked against an independent implementation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "link.h"

static struct link_params quiet(void)
{
	struct link_params p;
	memset(&p, 0, sizeof(p));
	return p;
}

static void test_msg_kind_names(void **state)
{
	(void)state;
	enum msg_kind k = MSG_OTHER;
	static const enum msg_kind named[] = { MSG_ADD, MSG_FULFILL, MSG_FAIL, MSG_SIGNED,
					       MSG_OTHER };
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		k = MSG_OTHER;
		assert_true(msg_kind_parse(msg_kind_name(named[i]), &k));
		assert_int_equal(k, named[i]);
	}
	assert_string_equal(msg_kind_name(MSG_ADD), "add");
	assert_string_equal(msg_kind_name(MSG_FULFILL), "fulfill");
	assert_string_equal(msg_kind_name(MSG_FAIL), "fail");
	assert_string_equal(msg_kind_name(MSG_OTHER), "other");
	assert_string_equal(msg_kind_name(MSG_SIGNED), "signed");

	k = MSG_FAIL;
	assert_false(msg_kind_parse("others", &k));
	assert_false(msg_kind_parse("Add", &k));
	assert_false(msg_kind_parse("fulfil", &k));
	assert_false(msg_kind_parse("", &k));
	assert_int_equal(k, MSG_FAIL);
}

/* rng_u64 checked against a separate Python implementation of the same
 * construction (key = sha256(be64(seed) + name), ChaCha20 with the 64-bit
 * nonce le64(block), output words little-endian). Ten words span two
 * blocks, so the block counter is covered too. */
static void test_rng_vectors(void **state)
{
	(void)state;
	static const uint64_t want42[] = {
		0x24db263f396ed283ULL, 0x4986f333ff6cbb7dULL, 0x971c9299d9cc4074ULL,
		0xef47769b4536c7b3ULL, 0x8220fdd36bd33bfeULL, 0xf8394edcc9525d68ULL,
		0x5a35c1e63f8c55b7ULL, 0x5eaac187ed4e2875ULL, 0x8ee818b0e1b81124ULL,
		0x7b52c15366803714ULL,
	};
	struct rng r;
	rng_init(&r, 42, "c1/to_bob");
	for (size_t i = 0; i < sizeof(want42) / sizeof(want42[0]); i++)
		assert_int_equal(rng_u64(&r), want42[i]);
	assert_int_equal(r.block, 2);

	rng_init(&r, 0, "");
	assert_int_equal(rng_u64(&r), 0xa086dbd24abe8f13ULL);
	assert_int_equal(rng_u64(&r), 0xe3e931d1480cf235ULL);
}

static void test_rng_distributions(void **state)
{
	(void)state;
	struct rng r;
	enum { N = 100000 };
	double sum = 0, nsum = 0, nsq = 0;
	rng_init(&r, 7, "dist");
	for (int i = 0; i < N; i++) {
		double u = rng_unit(&r);
		assert_true(u >= 0.0 && u < 1.0);
		sum += u;
		double z = rng_normal(&r);
		assert_true(isfinite(z));
		nsum += z;
		nsq += z * z;
	}
	assert_true(fabs(sum / N - 0.5) < 0.01);
	assert_true(fabs(nsum / N) < 0.02);
	assert_true(fabs(nsq / N - 1.0) < 0.03);
}

static bool same_verdict(struct link_verdict a, struct link_verdict b)
{
	if (a.fate != b.fate || a.copies != b.copies)
		return false;
	if (a.fate != LINK_DELIVER)
		return strcmp(a.why, b.why) == 0;
	for (unsigned i = 0; i < a.copies; i++)
		if (a.delay_us[i] != b.delay_us[i])
			return false;
	return true;
}

static struct link_params busy(void)
{
	struct link_params p = quiet();
	p.delay_us = 20000;
	p.jitter_us = 5000;
	p.jitter_dist = JITTER_UNIFORM;
	p.drop = 0.3;
	p.duplicate = 0.2;
	return p;
}

static void test_same_seed_same_decisions(void **state)
{
	(void)state;
	struct link_params p = busy();
	struct link a, b;
	link_init(&a, &p, 42, "c1", "to_bob");
	link_init(&b, &p, 42, "c1", "to_bob");
	unsigned drops = 0;
	for (int i = 0; i < 2000; i++) {
		enum msg_kind k = (enum msg_kind)(i % 4);
		struct link_verdict va = link_decide(&a, k), vb = link_decide(&b, k);
		assert_true(same_verdict(va, vb));
		drops += va.fate == LINK_DROP;
	}
	assert_true(drops > 0 && drops < 2000);
	assert_int_equal(link_draw_delay(&a), link_draw_delay(&b));
}

static unsigned agreements(uint64_t seed_a, const char *ch_a, const char *dir_a,
			   uint64_t seed_b, const char *ch_b, const char *dir_b)
{
	struct link_params p = busy();
	struct link a, b;
	unsigned same = 0;
	link_init(&a, &p, seed_a, ch_a, dir_a);
	link_init(&b, &p, seed_b, ch_b, dir_b);
	for (int i = 0; i < 200; i++)
		same += same_verdict(link_decide(&a, MSG_ADD), link_decide(&b, MSG_ADD));
	return same;
}

static void test_streams_differ(void **state)
{
	(void)state;
	assert_int_equal(agreements(42, "c1", "to_bob", 42, "c1", "to_bob"), 200);
	/* with ~5000 possible delays per delivery, agreement is rare */
	assert_true(agreements(42, "c1", "to_bob", 42, "c1", "to_alice") < 100);
	assert_true(agreements(42, "c1", "to_bob", 42, "c2", "to_bob") < 100);
	assert_true(agreements(42, "c1", "to_bob", 43, "c1", "to_bob") < 100);
}

static void test_drop_zero_and_one(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.delay_us = 1000;
	link_init(&l, &p, 1, "c1", "to_bob");
	for (int i = 0; i < 10000; i++) {
		struct link_verdict v = link_decide(&l, MSG_ADD);
		assert_int_equal(v.fate, LINK_DELIVER);
		assert_int_equal(v.copies, 1);
		assert_int_equal(v.delay_us[0], 1000);
	}

	p.drop = 1.0;
	link_init(&l, &p, 1, "c1", "to_bob");
	for (int i = 0; i < 10000; i++) {
		struct link_verdict v = link_decide(&l, (enum msg_kind)(i % 4));
		assert_int_equal(v.fate, LINK_DROP);
		assert_string_equal(v.why, "drop");
		assert_int_equal(v.copies, 0);
	}
	assert_int_equal(l.sent[MSG_ADD], 2500);
	assert_int_equal(l.sent[MSG_OTHER], 2500);
}

static void test_drop_rate(void **state)
{
	(void)state;
	static const double ps[] = { 0.01, 0.1, 0.5 };
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		struct link_params p = quiet();
		struct link l;
		p.drop = ps[i];
		link_init(&l, &p, 99, "c1", "to_bob");
		unsigned drops = 0;
		for (int k = 0; k < 10000; k++)
			drops += link_decide(&l, MSG_ADD).fate == LINK_DROP;
		double rate = drops / 10000.0;
		/* about six standard deviations either way */
		double sd = sqrt(ps[i] * (1 - ps[i]) / 10000.0);
		if (fabs(rate - ps[i]) > 6 * sd + 0.001)
			fail_msg("drop=%.2f gave %.4f", ps[i], rate);
	}
}

static void test_rule_drops_nth(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	link_init(&l, &p, 1, "c1", "to_alice");
	assert_true(link_add_rule(&l, MSG_FULFILL, 2));
	assert_int_equal(l.nrules, 1);

	static const enum msg_kind seq[] = { MSG_ADD, MSG_FULFILL, MSG_ADD, MSG_FAIL,
					     MSG_FULFILL, MSG_FULFILL, MSG_FULFILL };
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct link_verdict v = link_decide(&l, seq[i]);
		if (i == 4) {
			assert_int_equal(v.fate, LINK_DROP);
			assert_string_equal(v.why, "rule");
		} else {
			assert_int_equal(v.fate, LINK_DELIVER);
		}
	}
	/* the rule fired once and is gone */
	assert_int_equal(l.nrules, 0);
	assert_int_equal(l.sent[MSG_FULFILL], 4);
	assert_int_equal(l.sent[MSG_ADD], 2);
	assert_int_equal(l.sent[MSG_FAIL], 1);
}

static void test_rule_table(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	link_init(&l, &p, 1, "c1", "to_bob");
	assert_false(link_add_rule(&l, MSG_ADD, 0));
	for (unsigned i = 0; i < LINK_MAX_RULES; i++)
		assert_true(link_add_rule(&l, MSG_ADD, i + 1));
	assert_false(link_add_rule(&l, MSG_FAIL, 1));
	assert_int_equal(l.nrules, LINK_MAX_RULES);

	/* two rules for the same kind each fire at their own occurrence, and
	 * the others stay in the table */
	for (unsigned i = 0; i < LINK_MAX_RULES; i++) {
		struct link_verdict v = link_decide(&l, MSG_ADD);
		assert_int_equal(v.fate, LINK_DROP);
		assert_int_equal(l.nrules, LINK_MAX_RULES - i - 1);
	}
	assert_int_equal(link_decide(&l, MSG_ADD).fate, LINK_DELIVER);
}

static void test_down_holds(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.delay_us = 500;
	link_init(&l, &p, 1, "c2", "to_bob");
	l.down = true;
	for (int i = 0; i < 5; i++) {
		struct link_verdict v = link_decide(&l, MSG_ADD);
		assert_int_equal(v.fate, LINK_HOLD);
		assert_string_equal(v.why, "down");
	}
	assert_int_equal(l.sent[MSG_ADD], 5);
	/* a rule still fires while down: the message is lost, not held */
	assert_true(link_add_rule(&l, MSG_FULFILL, 1));
	struct link_verdict v = link_decide(&l, MSG_FULFILL);
	assert_int_equal(v.fate, LINK_DROP);
	assert_string_equal(v.why, "rule");

	l.down = false;
	v = link_decide(&l, MSG_ADD);
	assert_int_equal(v.fate, LINK_DELIVER);
	assert_int_equal(v.delay_us[0], 500);
	assert_int_equal(link_draw_delay(&l), 500);
}

static void test_down_beats_drop(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.drop = 1.0;
	link_init(&l, &p, 1, "c1", "to_bob");
	l.down = true;
	assert_int_equal(link_decide(&l, MSG_ADD).fate, LINK_HOLD);
	l.down = false;
	assert_int_equal(link_decide(&l, MSG_ADD).fate, LINK_DROP);
}

static void test_duplicate(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.delay_us = 10000;
	p.jitter_us = 2000;
	p.duplicate = 1.0;
	link_init(&l, &p, 5, "c1", "to_bob");
	unsigned differ = 0;
	for (int i = 0; i < 1000; i++) {
		struct link_verdict v = link_decide(&l, MSG_FULFILL);
		assert_int_equal(v.fate, LINK_DELIVER);
		assert_int_equal(v.copies, 2);
		for (int c = 0; c < 2; c++)
			assert_true(v.delay_us[c] >= 10000 && v.delay_us[c] <= 12000);
		differ += v.delay_us[0] != v.delay_us[1];
	}
	/* each copy draws its own jitter */
	assert_true(differ > 900);

	p.duplicate = 0.25;
	link_init(&l, &p, 5, "c1", "to_bob");
	unsigned dups = 0;
	for (int i = 0; i < 10000; i++)
		dups += link_decide(&l, MSG_ADD).copies == 2;
	assert_true(dups > 2200 && dups < 2800);
}

static void test_uniform_jitter(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.delay_us = 20000;
	p.jitter_us = 5000;
	p.jitter_dist = JITTER_UNIFORM;
	link_init(&l, &p, 3, "c1", "to_bob");
	uint64_t lo = UINT64_MAX, hi = 0;
	double sum = 0;
	for (int i = 0; i < 20000; i++) {
		struct link_verdict v = link_decide(&l, MSG_ADD);
		assert_int_equal(v.fate, LINK_DELIVER);
		uint64_t d = v.delay_us[0];
		assert_true(d >= 20000 && d <= 25000);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		sum += (double)d;
	}
	/* the whole range is used, ends included */
	assert_true(lo <= 20005);
	assert_true(hi >= 24995);
	assert_true(fabs(sum / 20000 - 22500) < 60);

	/* with a small jitter every value of [0, J] is equally likely */
	l.p.jitter_us = 3;
	unsigned hits[4] = { 0 };
	for (int i = 0; i < 8000; i++) {
		uint64_t j = link_draw_delay(&l) - 20000;
		assert_true(j <= 3);
		hits[j]++;
	}
	for (int j = 0; j < 4; j++)
		assert_true(hits[j] > 1800 && hits[j] < 2200);
}

static void test_normal_jitter(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.delay_us = 1000;
	p.jitter_us = 10000;
	p.jitter_dist = JITTER_NORMAL;
	link_init(&l, &p, 3, "c1", "to_bob");
	double sum = 0;
	for (int i = 0; i < 20000; i++) {
		uint64_t d = link_draw_delay(&l);
		assert_true(d >= 1000 && d <= 1000 + 4 * 10000);
		sum += (double)(d - 1000);
	}
	/* E|N(0, s)| = s * sqrt(2/pi), s = J/2 */
	double want = 5000 * sqrt(2 / M_PI);
	assert_true(fabs(sum / 20000 - want) < 0.05 * want);
}

static void test_pareto_jitter(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.delay_us = 1000;
	p.jitter_us = 10000;
	p.jitter_dist = JITTER_PARETO;
	link_init(&l, &p, 3, "c1", "to_bob");
	unsigned tail = 0, clipped = 0;
	for (int i = 0; i < 20000; i++) {
		uint64_t d = link_draw_delay(&l);
		/* scale J/2 is the minimum, 10J the clip */
		assert_true(d >= 1000 + 5000 && d <= 1000 + 100000);
		tail += d > 1000 + 20000;
		clipped += d == 1000 + 100000;
	}
	/* P(X > 4 x_m) = 4^-2 = 1/16; P(X > 20 x_m) = 1/400 */
	assert_true(tail > 1000 && tail < 1500);
	assert_true(clipped > 20 && clipped < 100);
}

static void test_gilbert_elliott(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.ge = true;
	p.ge_p = 1.0;
	p.ge_r = 0.0;
	link_init(&l, &p, 8, "c1", "to_bob");
	for (int i = 0; i < 1000; i++) {
		struct link_verdict v = link_decide(&l, MSG_ADD);
		assert_int_equal(v.fate, LINK_DROP);
		assert_string_equal(v.why, "loss_burst");
		assert_true(l.ge_bad[MSG_ADD]);
	}

	/* p = 0: the chain never leaves the good state */
	p.ge_p = 0.0;
	p.ge_r = 1.0;
	link_init(&l, &p, 8, "c1", "to_bob");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(link_decide(&l, MSG_ADD).fate, LINK_DELIVER);

	/* bursty: stationary loss p/(p+r), in runs of mean length 1/r */
	p.ge_p = 0.05;
	p.ge_r = 0.25;
	link_init(&l, &p, 8, "c1", "to_bob");
	unsigned lost = 0, runs = 0;
	bool prev = false;
	for (int i = 0; i < 20000; i++) {
		bool drop = link_decide(&l, MSG_ADD).fate == LINK_DROP;
		lost += drop;
		runs += drop && !prev;
		prev = drop;
	}
	double rate = lost / 20000.0, mean_run = (double)lost / runs;
	assert_true(fabs(rate - 0.05 / 0.30) < 0.03);
	assert_true(mean_run > 3.0 && mean_run < 5.0);
}

static void test_zero_impairment_draws_nothing(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.delay_us = 7000;
	p.ge = true;            /* on, but with p = 0 it never moves */
	link_init(&l, &p, 11, "c1", "to_bob");
	struct rng before[MSG_KIND_COUNT];
	memcpy(before, l.rng, sizeof(before));
	for (int i = 0; i < 100; i++) {
		struct link_verdict v = link_decide(&l, (enum msg_kind)(i % 4));
		assert_int_equal(v.fate, LINK_DELIVER);
		assert_int_equal(v.delay_us[0], 7000);
	}
	assert_int_equal(link_draw_delay(&l), 7000);
	assert_memory_equal(l.rng, before, sizeof(before));

	/* and a single impairment moves the stream */
	l.p.drop = 0.5;
	link_decide(&l, MSG_ADD);
	assert_memory_not_equal(l.rng, before, sizeof(before));
}

static void test_delay_saturates(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.delay_us = UINT64_MAX - 10;
	p.jitter_us = UINT64_MAX;
	p.jitter_dist = JITTER_PARETO;
	link_init(&l, &p, 1, "c1", "to_bob");
	for (int i = 0; i < 100; i++) {
		struct link_verdict v = link_decide(&l, MSG_ADD);
		assert_int_equal(v.fate, LINK_DELIVER);
		assert_true(v.delay_us[0] >= UINT64_MAX - 10);
	}
	l.p.jitter_dist = JITTER_UNIFORM;
	for (int i = 0; i < 100; i++)
		assert_true(link_draw_delay(&l) >= UINT64_MAX - 10);
}

static struct link_rule rule(enum link_rule_what what, enum msg_kind k, uint32_t nth,
			     bool has_delay, uint64_t delay_us)
{
	struct link_rule r = { .kind = k, .nth = nth, .what = what, .has_delay = has_delay,
			       .delay_us = delay_us };
	return r;
}

/* delay=add#2:35ms: only the 2nd add is touched, it arrives once, exactly
 * after D, and the link's other messages keep their fates: the rule's
 * message still consumes its draws. */
static void test_rule_delay(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link a, b;
	p.delay_us = 10000;
	p.jitter_us = 5000;
	p.drop = 0.3;
	p.duplicate = 0.3;
	link_init(&a, &p, 11, "c1", "to_bob");
	link_init(&b, &p, 11, "c1", "to_bob");
	struct link_rule r = rule(LINK_RULE_DELAY, MSG_ADD, 2, true, 35000);
	assert_null(link_add_msg_rule(&b, &r));
	for (int i = 1; i <= 200; i++) {
		struct link_verdict va = link_decide(&a, MSG_ADD), vb = link_decide(&b, MSG_ADD);
		if (i == 2) {
			assert_int_equal(vb.fate, LINK_DELIVER);
			assert_int_equal(vb.copies, 1);
			assert_int_equal(vb.delay_us[0], 35000);
			assert_string_equal(vb.why, "rule");
			continue;
		}
		assert_int_equal(va.fate, vb.fate);
		assert_int_equal(va.copies, vb.copies);
		for (unsigned c = 0; c < va.copies; c++)
			assert_int_equal(va.delay_us[c], vb.delay_us[c]);
	}
	assert_int_equal(b.nrules, 0);
}

/* A delay rule overrides loss: the message it names arrives. */
static void test_rule_delay_beats_loss(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.drop = 1.0;
	link_init(&l, &p, 3, "c1", "to_alice");
	struct link_rule r = rule(LINK_RULE_DELAY, MSG_FULFILL, 1, true, 0);
	assert_null(link_add_msg_rule(&l, &r));
	assert_int_equal(link_decide(&l, MSG_ADD).fate, LINK_DROP);
	struct link_verdict v = link_decide(&l, MSG_FULFILL);
	assert_int_equal(v.fate, LINK_DELIVER);
	assert_int_equal(v.copies, 1);
	assert_int_equal(v.delay_us[0], 0);
	assert_int_equal(link_decide(&l, MSG_FULFILL).fate, LINK_DROP);
}

/* duplicate=KIND#N[:D]: two copies, the second after D or with the first. */
static void test_rule_duplicate(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link a, b;
	p.delay_us = 7000;
	p.jitter_us = 3000;
	p.drop = 0.5;
	link_init(&a, &p, 5, "c2", "to_bob");
	link_init(&b, &p, 5, "c2", "to_bob");
	struct link_rule r1 = rule(LINK_RULE_DUPLICATE, MSG_ADD, 1, false, 0);
	struct link_rule r3 = rule(LINK_RULE_DUPLICATE, MSG_ADD, 3, true, 50000);
	assert_null(link_add_msg_rule(&b, &r1));
	assert_null(link_add_msg_rule(&b, &r3));
	for (int i = 1; i <= 100; i++) {
		struct link_verdict va = link_decide(&a, MSG_ADD), vb = link_decide(&b, MSG_ADD);
		if (i == 1 || i == 3) {
			assert_int_equal(vb.fate, LINK_DELIVER);
			assert_int_equal(vb.copies, 2);
			/* the first copy: the drawn delay when the draws delivered
			 * it, the link's delay when they lost it */
			if (va.fate == LINK_DELIVER)
				assert_int_equal(vb.delay_us[0], va.delay_us[0]);
			else
				assert_int_equal(vb.delay_us[0], 7000);
			assert_int_equal(vb.delay_us[1], i == 1 ? vb.delay_us[0] : 50000);
			continue;
		}
		assert_int_equal(va.fate, vb.fate);
		if (va.fate == LINK_DELIVER)
			assert_int_equal(va.delay_us[0], vb.delay_us[0]);
	}
}

/* A delay and a duplicate rule on one message combine; anything else on
 * one message conflicts. */
static void test_rule_combine_and_conflict(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.delay_us = 1000;
	link_init(&l, &p, 1, "c1", "to_bob");
	struct link_rule d = rule(LINK_RULE_DELAY, MSG_ADD, 2, true, 40000);
	struct link_rule u = rule(LINK_RULE_DUPLICATE, MSG_ADD, 2, true, 9000);
	struct link_rule x = rule(LINK_RULE_DROP, MSG_ADD, 2, false, 0);
	assert_null(link_add_msg_rule(&l, &d));
	assert_null(link_add_msg_rule(&l, &u));
	struct link_rule d2 = d;
	d2.delay_us = 41000;
	assert_non_null(link_add_msg_rule(&l, &x));
	assert_non_null(link_add_msg_rule(&l, &d2));
	assert_true(link_rules_conflict(&d, &d2));
	assert_false(link_rules_conflict(&d, &d));
	assert_false(link_rules_conflict(&x, &x));
	assert_true(link_rules_conflict(&x, &u));
	assert_false(link_rules_conflict(&d, &u));
	struct link_rule other = rule(LINK_RULE_DROP, MSG_FAIL, 2, false, 0);
	assert_false(link_rules_conflict(&x, &other));
	assert_int_equal(l.nrules, 2);

	assert_int_equal(link_decide(&l, MSG_ADD).delay_us[0], 1000);
	struct link_verdict v = link_decide(&l, MSG_ADD);
	assert_int_equal(v.fate, LINK_DELIVER);
	assert_int_equal(v.copies, 2);
	assert_int_equal(v.delay_us[0], 40000);
	assert_int_equal(v.delay_us[1], 9000);
	assert_int_equal(l.nrules, 0);

	/* the same drop rule twice fires once, on its message, and both go */
	assert_null(link_add_msg_rule(&l, &(struct link_rule){ .kind = MSG_FAIL, .nth = 1 }));
	assert_null(link_add_msg_rule(&l, &(struct link_rule){ .kind = MSG_FAIL, .nth = 1 }));
	assert_int_equal(link_decide(&l, MSG_FAIL).fate, LINK_DROP);
	assert_int_equal(l.nrules, 0);
	assert_int_equal(link_decide(&l, MSG_FAIL).fate, LINK_DELIVER);
}

/* A down link holds a delayed message like any other: the rule is spent
 * and the message waits for "up". A rule removed before it fires does
 * nothing. */
static void test_rule_delay_down_and_lift(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	p.delay_us = 2000;
	link_init(&l, &p, 1, "c1", "to_bob");
	struct link_rule d1 = rule(LINK_RULE_DELAY, MSG_ADD, 1, true, 30000);
	struct link_rule d2 = rule(LINK_RULE_DELAY, MSG_ADD, 2, true, 30000);
	assert_null(link_add_msg_rule(&l, &d1));
	assert_null(link_add_msg_rule(&l, &d2));
	l.down = true;
	assert_int_equal(link_decide(&l, MSG_ADD).fate, LINK_HOLD);
	assert_int_equal(l.nrules, 1);
	l.down = false;
	struct link_rule wrong = d2;
	wrong.what = LINK_RULE_DUPLICATE;
	assert_false(link_remove_msg_rule(&l, &wrong));
	assert_true(link_remove_msg_rule(&l, &d2));
	assert_false(link_remove_msg_rule(&l, &d2));
	assert_int_equal(link_decide(&l, MSG_ADD).delay_us[0], 2000);
}

static void test_rule_table_limit(void **state)
{
	(void)state;
	struct link_params p = quiet();
	struct link l;
	link_init(&l, &p, 1, "c1", "to_bob");
	for (unsigned i = 0; i < LINK_MAX_RULES; i++) {
		struct link_rule r = rule(LINK_RULE_DELAY, MSG_ADD, i + 1, true, 1000 * (i + 1));
		assert_null(link_add_msg_rule(&l, &r));
	}
	struct link_rule more = rule(LINK_RULE_DROP, MSG_FAIL, 1, false, 0);
	assert_non_null(strstr(link_add_msg_rule(&l, &more), "too many"));
	struct link_rule zero = rule(LINK_RULE_DELAY, MSG_FAIL, 0, true, 0);
	link_init(&l, &p, 1, "c1", "to_bob");
	assert_non_null(link_add_msg_rule(&l, &zero));
	assert_int_equal(l.nrules, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_kind_names),
		cmocka_unit_test(test_rng_vectors),
		cmocka_unit_test(test_rng_distributions),
		cmocka_unit_test(test_same_seed_same_decisions),
		cmocka_unit_test(test_streams_differ),
		cmocka_unit_test(test_drop_zero_and_one),
		cmocka_unit_test(test_drop_rate),
		cmocka_unit_test(test_rule_drops_nth),
		cmocka_unit_test(test_rule_table),
		cmocka_unit_test(test_down_holds),
		cmocka_unit_test(test_down_beats_drop),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_uniform_jitter),
		cmocka_unit_test(test_normal_jitter),
		cmocka_unit_test(test_pareto_jitter),
		cmocka_unit_test(test_gilbert_elliott),
		cmocka_unit_test(test_zero_impairment_draws_nothing),
		cmocka_unit_test(test_delay_saturates),
		cmocka_unit_test(test_rule_delay),
		cmocka_unit_test(test_rule_delay_beats_loss),
		cmocka_unit_test(test_rule_duplicate),
		cmocka_unit_test(test_rule_combine_and_conflict),
		cmocka_unit_test(test_rule_delay_down_and_lift),
		cmocka_unit_test(test_rule_table_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include "link.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2^64 as a double: the first value a uint64_t cannot hold. */
#define U64_LIMIT 18446744073709551616.0

/* Jitter distributions (each draws nothing when jitter is 0):
 *   uniform: [0, J]
 *   normal:  |N(0, J/2)|, clipped at 4J
 *   pareto:  shape 2, scale J/2 (so its mean is J), clipped at 10J */
#define NORMAL_CLIP 4.0
#define PARETO_SHAPE 2.0
#define PARETO_CLIP 10.0

#define LINK_STREAM_MAX 256

const char *msg_kind_name(enum msg_kind k)
{
	switch (k) {
	case MSG_ADD: return "add";
	case MSG_FULFILL: return "fulfill";
	case MSG_FAIL: return "fail";
	case MSG_OTHER: return "other";
	case MSG_SIGNED: return "signed";
	case MSG_KIND_COUNT: break;
	}
	return "?";
}

bool msg_kind_parse(const char *s, enum msg_kind *k)
{
	static const enum msg_kind named[] = { MSG_ADD, MSG_FULFILL, MSG_FAIL };
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (strcmp(s, msg_kind_name(named[i])) == 0) {
			*k = named[i];
			return true;
		}
	}
	return false;
}

void link_init(struct link *l, const struct link_params *p, uint64_t seed,
	       const char *channel, const char *direction)
{
	memset(l, 0, sizeof(*l));
	l->p = *p;

	/* One stream per channel direction and message kind,
	 * "<channel>/<direction>/<kind>" (rng.h).
	 * Channel ids are validated (at most 63 bytes) before a link exists,
	 * so a name that does not fit is our bug: truncating it would make two
	 * links share a stream. */
	char name[LINK_STREAM_MAX];
	for (int k = 0; k < MSG_KIND_COUNT; k++) {
		int n = snprintf(name, sizeof(name), "%s/%s/%s", channel, direction,
				 msg_kind_name((enum msg_kind)k));
		if (n < 0 || (size_t)n >= sizeof(name)) {
			fprintf(stderr, "link_init: stream name %s/%s too long\n", channel, direction);
			abort();
		}
		rng_init(&l->rng[k], seed, name);
	}
}

static uint64_t sat_u64(double v)
{
	if (!(v < U64_LIMIT))
		return UINT64_MAX;
	return v > 0 ? (uint64_t)v : 0;
}

static uint64_t draw_jitter(struct link *l, struct rng *r)
{
	uint64_t j = l->p.jitter_us;
	double jd = (double)j;

	if (j == 0)
		return 0;
	switch (l->p.jitter_dist) {
	case JITTER_UNIFORM: {
		uint64_t v = sat_u64(floor(rng_unit(r) * (jd + 1.0)));
		return v > j ? j : v;
	}
	case JITTER_NORMAL: {
		double v = fabs(rng_normal(r)) * (jd / 2.0);
		return sat_u64(fmin(v, NORMAL_CLIP * jd));
	}
	case JITTER_PARETO: {
		/* inverse CDF: x_m / U^(1/shape), with U in (0, 1] */
		double u = 1.0 - rng_unit(r);
		double v = (jd / 2.0) / pow(u, 1.0 / PARETO_SHAPE);
		return sat_u64(fmin(v, PARETO_CLIP * jd));
	}
	}
	return 0;      /* an out-of-range enum value: no jitter */
}

static uint64_t draw_delay(struct link *l, struct rng *r)
{
	uint64_t j = draw_jitter(l, r), d;
	if (__builtin_add_overflow(l->p.delay_us, j, &d))
		return UINT64_MAX;
	return d;
}

uint64_t link_draw_delay(struct link *l)
{
	return draw_delay(l, &l->rng[MSG_OTHER]);
}

/* A draw happens only when p > 0, so a link without that impairment
 * consumes nothing from its stream (adding an impairment elsewhere does not
 * shift this link's decisions). */
static bool chance(struct rng *r, double p)
{
	return p > 0 && rng_unit(r) < p;
}

static struct link_verdict lost(enum link_fate fate, const char *why)
{
	struct link_verdict v = { .fate = fate, .copies = 0, .why = why };
	return v;
}

struct link_verdict link_decide(struct link *l, enum msg_kind k)
{
	if ((unsigned)k >= MSG_KIND_COUNT)
		k = MSG_OTHER;
	if (l->sent[k] < UINT32_MAX)
		l->sent[k]++;

	/* dev_disconnect-style rule: "drop the nth message of this kind".
	 * It fires once and is then removed. */
	for (unsigned i = 0; i < l->nrules; i++) {
		if (l->rules[i].kind != k || l->rules[i].nth != l->sent[k])
			continue;
		memmove(&l->rules[i], &l->rules[i + 1],
			(l->nrules - i - 1) * sizeof(l->rules[0]));
		l->nrules--;
		return lost(LINK_DROP, "rule");
	}

	if (l->down)
		return lost(LINK_HOLD, "down");

	/* Gilbert-Elliott: a two-state Markov chain stepped once per message;
	 * every message sent in the bad state is lost. */
	struct rng *r = &l->rng[k];
	if (l->p.ge) {
		if (!l->ge_bad[k] && chance(r, l->p.ge_p))
			l->ge_bad[k] = true;
		else if (l->ge_bad[k] && chance(r, l->p.ge_r))
			l->ge_bad[k] = false;
		if (l->ge_bad[k])
			return lost(LINK_DROP, "loss_burst");
	}

	if (chance(r, l->p.drop))
		return lost(LINK_DROP, "drop");

	struct link_verdict v = { .fate = LINK_DELIVER, .copies = 1, .why = "deliver" };
	if (chance(r, l->p.duplicate))
		v.copies = 2;
	for (unsigned i = 0; i < v.copies; i++)
		v.delay_us[i] = draw_delay(l, r);
	return v;
}

bool link_add_rule(struct link *l, enum msg_kind k, uint32_t nth)
{
	/* nth is 1-based: a rule for the 0th message could never fire */
	if (l->nrules >= LINK_MAX_RULES || nth == 0 || (unsigned)k >= MSG_KIND_COUNT)
		return false;
	l->rules[l->nrules].kind = k;
	l->rules[l->nrules].nth = nth;
	l->nrules++;
	return true;
}

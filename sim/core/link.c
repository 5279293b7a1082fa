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
	/* every kind a link counts: a rule (or a checker's counterexample)
	 * may name any message it carries */
	static const enum msg_kind named[] = { MSG_ADD, MSG_FULFILL, MSG_FAIL, MSG_SIGNED,
					       MSG_OTHER };
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
	int n = snprintf(l->stream, sizeof(l->stream), "%s/%s", channel, direction);
	if (n < 0 || (size_t)n >= sizeof(l->stream)) {
		fprintf(stderr, "link_init: stream name %s/%s too long\n", channel, direction);
		abort();
	}
	l->seed = seed;
}

/* Kind k's stream, "<channel>/<direction>/<kind>", derived at its first
 * draw: the same stream, whenever it is derived. */
static struct rng *stream_of(struct link *l, enum msg_kind k)
{
	if (!l->derived[k]) {
		char name[LINK_STREAM_MAX];
		snprintf(name, sizeof(name), "%s/%s", l->stream, msg_kind_name(k));
		rng_init(&l->rng[k], l->seed, name);
		l->derived[k] = true;
	}
	return &l->rng[k];
}

static uint64_t sat_u64(double v)
{
	if (!(v < U64_LIMIT))
		return UINT64_MAX;
	return v > 0 ? (uint64_t)v : 0;
}

static uint64_t draw_jitter(struct link *l, enum msg_kind k)
{
	uint64_t j = l->p.jitter_us;
	double jd = (double)j;

	if (j == 0)
		return 0;
	struct rng *r = stream_of(l, k);
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

static uint64_t draw_delay(struct link *l, enum msg_kind k)
{
	uint64_t j = draw_jitter(l, k), d;
	if (__builtin_add_overflow(l->p.delay_us, j, &d))
		return UINT64_MAX;
	return d;
}

uint64_t link_draw_delay(struct link *l)
{
	return draw_delay(l, MSG_OTHER);
}

/* A draw happens only when p > 0, so a link without that impairment
 * consumes nothing from its stream (adding an impairment elsewhere does not
 * shift this link's decisions). */
static bool chance(struct link *l, enum msg_kind k, double p)
{
	return p > 0 && rng_unit(stream_of(l, k)) < p;
}

static struct link_verdict lost(enum link_fate fate, const char *why)
{
	struct link_verdict v = { .fate = fate, .copies = 0, .why = why };
	return v;
}

uint32_t link_count(struct link *l, enum msg_kind *k)
{
	if ((unsigned)*k >= MSG_KIND_COUNT)
		*k = MSG_OTHER;
	if (l->sent[*k] < UINT32_MAX)
		l->sent[*k]++;
	return l->sent[*k];
}

void link_delay_range(const struct link_params *p, uint64_t *lo, uint64_t *hi)
{
	uint64_t j = p->jitter_us, jlo = 0, jhi = 0;
	double jd = (double)j;
	if (j) {
		switch (p->jitter_dist) {
		case JITTER_UNIFORM: jhi = j; break;
		case JITTER_NORMAL: jhi = sat_u64(NORMAL_CLIP * jd); break;
		case JITTER_PARETO:
			/* x_m / U^(1/shape) with U in (0, 1]: at least x_m = J/2 */
			jlo = sat_u64(jd / 2.0);
			jhi = sat_u64(PARETO_CLIP * jd);
			break;
		}
	}
	if (__builtin_add_overflow(p->delay_us, jlo, lo))
		*lo = UINT64_MAX;
	if (__builtin_add_overflow(p->delay_us, jhi, hi))
		*hi = UINT64_MAX;
}

/* What the rules on one message said; the rules that matched are spent. */
struct fired {
	bool any, drop, delay, dup, dup_has_delay;
	uint64_t delay_us, dup_delay_us;
};

static struct fired take_rules(struct link *l, enum msg_kind k)
{
	struct fired f = { 0 };
	for (unsigned i = 0; i < l->nrules;) {
		const struct link_rule *r = &l->rules[i];
		if (r->kind != k || r->nth != l->sent[k]) {
			i++;
			continue;
		}
		f.any = true;
		switch ((enum link_rule_what)r->what) {
		case LINK_RULE_DROP:
			f.drop = true;
			break;
		case LINK_RULE_DELAY:
			f.delay = true;
			f.delay_us = r->delay_us;
			break;
		case LINK_RULE_DUPLICATE:
			f.dup = true;
			f.dup_has_delay = r->has_delay;
			f.dup_delay_us = r->delay_us;
			break;
		}
		memmove(&l->rules[i], &l->rules[i + 1], (l->nrules - i - 1) * sizeof(l->rules[0]));
		l->nrules--;
	}
	return f;
}

/* The fate the link's own impairments give the message, drawn from its
 * kind's stream. */
static struct link_verdict decide_drawn(struct link *l, enum msg_kind k)
{
	/* Gilbert-Elliott: a two-state Markov chain stepped once per message;
	 * every message sent in the bad state is lost. */
	if (l->p.ge) {
		if (!l->ge_bad[k] && chance(l, k, l->p.ge_p))
			l->ge_bad[k] = true;
		else if (l->ge_bad[k] && chance(l, k, l->p.ge_r))
			l->ge_bad[k] = false;
		if (l->ge_bad[k])
			return lost(LINK_DROP, "loss_burst");
	}

	if (chance(l, k, l->p.drop))
		return lost(LINK_DROP, "drop");

	struct link_verdict v = { .fate = LINK_DELIVER, .copies = 1, .why = "deliver" };
	if (chance(l, k, l->p.duplicate))
		v.copies = 2;
	for (unsigned i = 0; i < v.copies; i++)
		v.delay_us[i] = draw_delay(l, k);
	return v;
}

/* A delay or duplicate rule fixes the message's fate: it arrives, once at
 * the rule's delay, or twice. What the link drew for it is discarded, but
 * it was drawn, so every other message meets the fate it would meet
 * without the rule (docs/faults.md). */
static struct link_verdict apply_rules(const struct link *l, struct link_verdict drawn,
				       const struct fired *f)
{
	struct link_verdict v = { .fate = LINK_DELIVER, .copies = 1, .why = "rule" };
	if (f->delay)
		v.delay_us[0] = f->delay_us;
	else
		v.delay_us[0] = drawn.fate == LINK_DELIVER ? drawn.delay_us[0] : l->p.delay_us;
	if (f->dup) {
		v.copies = 2;
		v.delay_us[1] = f->dup_has_delay ? f->dup_delay_us : v.delay_us[0];
	}
	return v;
}

struct link_verdict link_decide(struct link *l, enum msg_kind k)
{
	link_count(l, &k);

	/* Rules on "the nth message of this kind" (drop after Core
	 * Lightning's dev_disconnect, delay, duplicate) fire once and are
	 * then removed. A drop rule draws nothing and beats a down link. */
	struct fired f = l->nrules ? take_rules(l, k) : (struct fired){ 0 };
	if (f.drop)
		return lost(LINK_DROP, "rule");

	if (l->down)
		return lost(LINK_HOLD, "down");

	struct link_verdict v = decide_drawn(l, k);
	return f.any ? apply_rules(l, v, &f) : v;
}

bool link_add_rule(struct link *l, enum msg_kind k, uint32_t nth)
{
	struct link_rule r = { .kind = k, .nth = nth, .what = LINK_RULE_DROP };
	return link_add_msg_rule(l, &r) == NULL;
}

bool link_rules_conflict(const struct link_rule *a, const struct link_rule *b)
{
	if (a->kind != b->kind || a->nth != b->nth)
		return false;
	if (a->what != b->what)   /* a delay and a duplicate combine; a drop with neither */
		return a->what == LINK_RULE_DROP || b->what == LINK_RULE_DROP;
	/* the same rule twice says one thing (as two drop rules always could) */
	return a->has_delay != b->has_delay || a->delay_us != b->delay_us;
}

const char *link_add_msg_rule(struct link *l, const struct link_rule *r)
{
	/* nth is 1-based: a rule for the 0th message could never fire */
	if (r->nth == 0)
		return "a rule counts messages from 1";
	if ((unsigned)r->kind >= MSG_KIND_COUNT || (unsigned)r->what > LINK_RULE_DUPLICATE)
		return "no such rule";
	if (l->nrules >= LINK_MAX_RULES)
		return "too many message rules on this link";
	for (unsigned i = 0; i < l->nrules; i++)
		if (link_rules_conflict(&l->rules[i], r))
			return "another rule already decides that message";
	l->rules[l->nrules] = *r;
	if (r->what == LINK_RULE_DROP) {
		l->rules[l->nrules].has_delay = false;
		l->rules[l->nrules].delay_us = 0;
	}
	l->nrules++;
	return NULL;
}

bool link_remove_msg_rule(struct link *l, const struct link_rule *r)
{
	for (unsigned i = 0; i < l->nrules; i++) {
		const struct link_rule *x = &l->rules[i];
		if (x->kind == r->kind && x->nth == r->nth && x->what == r->what) {
			memmove(&l->rules[i], &l->rules[i + 1],
				(l->nrules - i - 1) * sizeof(l->rules[0]));
			l->nrules--;
			return true;
		}
	}
	return false;
}

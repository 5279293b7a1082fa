/* ampsim swarm's scenarios (swarm_gen.h): every choice from one seeded
 * stream per scenario, so scenario i of seed S is the same everywhere. */
#include "swarm_gen.h"

#include <string.h>

#include "rng.h"
#include "scenario.h"

static unsigned pick(struct rng *r, unsigned lo, unsigned hi)
{
	return lo + (unsigned)(rng_u64(r) % (uint64_t)(hi - lo + 1));
}

static bool chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

static void draw_fault(struct rng *r, struct sg_fault *f, size_t nchans)
{
	static const char *const kinds[] = { "add", "fulfill", "fail" };
	f->on = true;
	f->at_ms = pick(r, 0, 3000);
	f->until_ms = f->at_ms + pick(r, 50, 5000);
	f->chan = (int)pick(r, 0, (unsigned)nchans - 1);
	f->dir = (int)pick(r, 0, 2);
	switch (pick(r, 0, 9)) {
	case 0: snprintf(f->action, sizeof(f->action), "down"); break;
	case 1: snprintf(f->action, sizeof(f->action), "drop=%.2f", 0.05 + 0.9 * rng_unit(r)); break;
	case 2:
		snprintf(f->action, sizeof(f->action), "loss=ge:%.2f,%.2f", 0.05 + 0.5 * rng_unit(r),
			 0.1 + 0.8 * rng_unit(r));
		break;
	case 3: snprintf(f->action, sizeof(f->action), "delay=%ums", pick(r, 0, 2000)); break;
	case 4: snprintf(f->action, sizeof(f->action), "jitter=%ums", pick(r, 1, 500)); break;
	case 5: snprintf(f->action, sizeof(f->action), "duplicate=%.2f", 0.1 + 0.9 * rng_unit(r)); break;
	case 6:
		snprintf(f->action, sizeof(f->action), "drop=%s#%u", kinds[pick(r, 0, 2)], pick(r, 1, 3));
		f->until_ms = 0;
		break;
	case 7:
		snprintf(f->action, sizeof(f->action), "partition");
		f->chan = -1;
		break;
	case 9:
		snprintf(f->action, sizeof(f->action), "disconnect");
		f->chan = -1;
		f->until_ms = 0;
		break;
	default:
		/* down now, up later: a pair in one fault is "until" */
		snprintf(f->action, sizeof(f->action), "down");
		f->until_ms = f->at_ms + pick(r, 1000, 60000);
		break;
	}
}

/* Crashes of either side, each with its restart: the checker compares
 * both nodes' views at the end. */
static void draw_crashes(struct rng *r, struct sg_scenario *g)
{
	if (!chance(r, 0.3))
		return;
	size_t n = chance(r, 0.8) ? 1 : SG_MAX_CRASHES;
	for (size_t i = 0; i < n; i++) {
		struct sg_crash *k = &g->k[i];
		k->on = true;
		k->node = chance(r, 0.5) ? NODE_BOB : NODE_ALICE;
		k->at_ms = pick(r, 0, 4000);
		k->back_ms = k->at_ms + pick(r, 0, 10000);
	}
}

void sg_draw(struct sg_scenario *g, uint64_t seed, uint64_t index, int bob)
{
	char stream[64];
	snprintf(stream, sizeof(stream), "swarm scenario %llu", (unsigned long long)index);
	struct rng r;
	rng_init(&r, seed, stream);
	memset(g, 0, sizeof(*g));
	g->seed = rng_u64(&r) % 1000000;
	g->block_ms = pick(&r, 200, 2000);
	g->hold_ms = pick(&r, 500, 60000);
	g->delta = pick(&r, 5, 30);
	g->bob = bob >= 0 ? bob : chance(&r, 0.5) ? BOB_HONEST : (int)pick(&r, BOB_GREEDY, BOB_LATE);
	g->alice = chance(&r, 0.85) ? ALICE_HONEST : ALICE_BAD_SHARE;
	static const uint64_t caps[] = { 100000, 1000000, 10000000, 100000000 };
	size_t nc = pick(&r, 1, SG_MAX_CHANS);
	uint64_t total = 0;
	for (size_t i = 0; i < nc; i++) {
		struct sg_chan *c = &g->c[i];
		c->on = true;
		c->cap_sat = caps[pick(&r, 0, 3)];
		c->alice_sat = chance(&r, 0.8) ? c->cap_sat : c->cap_sat / 2;
		c->delay_ms = chance(&r, 0.1) ? 0 : pick(&r, 1, 200);
		c->jitter_ms = chance(&r, 0.5) ? 0 : pick(&r, 1, 50);
		c->dist = (int)pick(&r, 0, 2);
		c->drop = chance(&r, 0.6) ? 0 : 0.01 + 0.3 * rng_unit(&r);
		c->dup = chance(&r, 0.8) ? 0 : 0.05 + 0.3 * rng_unit(&r);
		c->max_htlcs = chance(&r, 0.8) ? 483 : pick(&r, 1, 10);
		total += c->alice_sat;
	}
	size_t np = pick(&r, 1, SG_MAX_PAYS);
	for (size_t i = 0; i < np; i++) {
		struct sg_pay *p = &g->p[i];
		p->on = true;
		p->at_ms = pick(&r, 0, 3000);
		p->amount_sat = 1 + rng_u64(&r) % (total + total / 2);
		p->mode = (int)pick(&r, PAY_SINGLE, PAY_AMP);
		p->shards = p->mode == PAY_SINGLE || chance(&r, 0.5) ? 0 : pick(&r, 1, 4);
		p->expiry = pick(&r, 10, 60);
		p->timeout_s = pick(&r, 1, 30);
	}
	if (chance(&r, 0.3)) {
		g->w.on = true;
		g->w.count = pick(&r, 5, 40);
		g->w.rate = pick(&r, 5, 50);
		g->w.mode = chance(&r, 0.3) ? -1 : (int)pick(&r, PAY_MPP, PAY_AMP);
		g->w.shards = pick(&r, 2, 3);
		g->w.max_sat = total / 4 > 2000 ? total / 4 : 2000;
	}
	size_t nf = pick(&r, 0, SG_MAX_FAULTS);
	for (size_t i = 0; i < nf; i++)
		draw_fault(&r, &g->f[i], nc);
	draw_crashes(&r, g);
}

static const char *const dists[] = { "uniform", "normal", "pareto" };

void sg_write(const struct sg_scenario *g, FILE *f, const char *header)
{
	if (header && header[0]) {
		const char *s = header;
		while (*s) {
			size_t n = strcspn(s, "\n");
			fprintf(f, "; %.*s\n", (int)n, s);
			s += n + (s[n] == '\n');
		}
	}
	fprintf(f, "[sim]\nseed = %llu\nblock_interval = %ums\n\n", (unsigned long long)g->seed,
		g->block_ms);
	fprintf(f, "[bob]\nhold = %ums\nfinal_cltv_delta = %u\nbehaviour = %s\n\n", g->hold_ms,
		g->delta, bob_behaviour_name((enum bob_behaviour)g->bob));
	fprintf(f, "[alice]\nbehaviour = %s\n\n", alice_behaviour_name((enum alice_behaviour)g->alice));
	for (size_t i = 0; i < SG_MAX_CHANS; i++) {
		const struct sg_chan *c = &g->c[i];
		if (!c->on)
			continue;
		fprintf(f, "[channel c%zu]\ncapacity = %llusat\nalice = %llusat\ndelay = %ums\n", i + 1,
			(unsigned long long)c->cap_sat, (unsigned long long)c->alice_sat, c->delay_ms);
		if (c->jitter_ms)
			fprintf(f, "jitter = %ums\njitter_dist = %s\n", c->jitter_ms, dists[c->dist]);
		if (c->drop > 0)
			fprintf(f, "drop = %.3f\n", c->drop);
		if (c->dup > 0)
			fprintf(f, "duplicate = %.3f\n", c->dup);
		if (c->max_htlcs != 483)
			fprintf(f, "max_htlcs = %u\n", c->max_htlcs);
		fputc('\n', f);
	}
	for (size_t i = 0; i < SG_MAX_PAYS; i++) {
		const struct sg_pay *p = &g->p[i];
		if (!p->on)
			continue;
		fprintf(f, "[payment p%zu]\nat = %ums\namount = %llusat\nmode = %s\n", i + 1, p->at_ms,
			(unsigned long long)p->amount_sat, pay_mode_name((enum pay_mode)p->mode));
		if (p->shards)
			fprintf(f, "shards = %u\n", p->shards);
		fprintf(f, "expiry = %ublocks\ntimeout = %us\n\n", p->expiry, p->timeout_s);
	}
	if (g->w.on) {
		fprintf(f, "[workload w1]\ncount = %u\nstart = 0s\narrival = poisson:%u/s\n"
			"amount = uniform:1000sat,%llusat\n", g->w.count, g->w.rate,
			(unsigned long long)g->w.max_sat);
		if (g->w.mode < 0)
			fprintf(f, "mode = single:0.25,invoices:0.25,mpp:0.25,amp:0.25\n");
		else
			fprintf(f, "mode = %s\nshards = %u\n", pay_mode_name((enum pay_mode)g->w.mode),
				g->w.shards);
		fputc('\n', f);
	}
	for (size_t i = 0; i < SG_MAX_FAULTS; i++) {
		const struct sg_fault *x = &g->f[i];
		if (!x->on)
			continue;
		fprintf(f, "[fault f%zu]\nat = %ums\n", i + 1, x->at_ms);
		if (x->until_ms)
			fprintf(f, "until = %ums\n", x->until_ms);
		if (x->chan >= 0)
			fprintf(f, "channel = c%d\ndirection = %s\n", x->chan + 1,
				fault_dir_name((enum fault_dir)x->dir));
		fprintf(f, "action = %s\n\n", x->action);
	}
	for (size_t i = 0; i < SG_MAX_CRASHES; i++) {
		const struct sg_crash *k = &g->k[i];
		const char *node = k->node == NODE_ALICE ? "alice" : "bob";
		if (k->on)
			fprintf(f, "[fault crash%zu]\nat = %ums\naction = crash=%s\n\n"
				"[fault restart%zu]\nat = %ums\naction = restart=%s\n\n", i + 1, k->at_ms,
				node, i + 1, k->back_ms, node);
	}
}

static bool chan_used(const struct sg_scenario *g, int c)
{
	for (size_t i = 0; i < SG_MAX_FAULTS; i++)
		if (g->f[i].on && g->f[i].chan == c)
			return true;
	return false;
}

bool sg_shrink(const struct sg_scenario *g, unsigned k, struct sg_scenario *out)
{
	unsigned n = 0;
	size_t pays = 0, chans = 0;
	for (size_t i = 0; i < SG_MAX_PAYS; i++)
		pays += g->p[i].on;
	for (size_t i = 0; i < SG_MAX_CHANS; i++)
		chans += g->c[i].on;
	/* faults first (a crash with its restart), then payments, the
	 * workload, channels no fault names */
	for (size_t i = 0; i < SG_MAX_FAULTS; i++) {
		if (g->f[i].on && n++ == k) {
			*out = *g;
			out->f[i].on = false;
			return true;
		}
	}
	for (size_t i = 0; i < SG_MAX_CRASHES; i++) {
		if (g->k[i].on && n++ == k) {
			*out = *g;
			out->k[i].on = false;
			return true;
		}
	}
	for (size_t i = 0; i < SG_MAX_PAYS; i++) {
		if (g->p[i].on && (pays > 1 || g->w.on) && n++ == k) {
			*out = *g;
			out->p[i].on = false;
			return true;
		}
	}
	if (g->w.on && pays > 0 && n++ == k) {
		*out = *g;
		out->w.on = false;
		return true;
	}
	if (g->w.on && g->w.count > 1 && n++ == k) {
		*out = *g;
		out->w.count = g->w.count / 2;
		return true;
	}
	for (size_t i = 0; i < SG_MAX_CHANS; i++) {
		if (g->c[i].on && chans > 1 && !chan_used(g, (int)i) && n++ == k) {
			*out = *g;
			out->c[i].on = false;
			return true;
		}
	}
	return false;
}

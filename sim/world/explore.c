/* The explorer (explore.h): breadth first over distinct states. */
#include "explore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain_rules.h"
#include "log.h"
#include "world_check.h"
#include "world_digest.h"
#include "world_hand.h"

#define XMAX_CHOICES 4096
#define DEFAULT_MAX_STATES 4000000ULL
#define NO_PARENT UINT32_MAX
/* Worlds kept for the node they stand at (each new child of an
 * expansion, expanded a level later without a replay): at most this many,
 * a few hundred kilobytes each. */
#define XCACHE 256

struct xnode {
	uint32_t parent;
	xchoice choice;
};

/* Fingerprints seen: open addressing on their first 8 bytes. */
struct seen {
	uint8_t (*v)[16];
	size_t cap, n;
};

static bool fp_zero(const uint8_t *k)
{
	static const uint8_t zero[16];
	return memcmp(k, zero, 16) == 0;
}

static void seen_grow(struct seen *s);

/* true if fp is new (and now seen) */
static bool seen_add(struct seen *s, uint8_t fp[16])
{
	fp[15] |= 1;   /* never all zero: zero marks an empty slot */
	if (2 * (s->n + 1) > s->cap)
		seen_grow(s);
	uint64_t h;
	memcpy(&h, fp, sizeof(h));
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (fp_zero(s->v[i])) {
			memcpy(s->v[i], fp, 16);
			s->n++;
			return true;
		}
		if (memcmp(s->v[i], fp, 16) == 0)
			return false;
	}
}

static void seen_grow(struct seen *s)
{
	struct seen old = *s;
	s->cap = s->cap ? 2 * s->cap : 1u << 16;
	s->v = xcalloc(s->cap, 16);
	s->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (!fp_zero(old.v[i]))
			seen_add(s, old.v[i]);
	free(old.v);
}

bool explore_supports(const struct scenario *s, char *why, size_t n)
{
	if (!world_supports(s, why, n))
		return false;
	if (s->nworkloads) {
		snprintf(why, n, "%s:%d: workload %s: too large to explore whole (a workload is "
			 "thousands of payments); check a scenario of [payment] sections", s->path,
			 s->workloads[0].line, s->workloads[0].id);
		return false;
	}
	if (s->nfaults) {
		snprintf(why, n, "%s:%d: fault %s: ampsim check chooses the faults itself (--faults N); "
			 "leave [fault] sections out", s->path, s->faults[0].line, s->faults[0].id);
		return false;
	}
	if (!s->npayments) {
		snprintf(why, n, "%s: no [payment] to check", s->path);
		return false;
	}
	return true;
}

/* How far a run may go: past every payment's timeout, its HTLCs' expiry
 * and their confirmation, and Bob's hold time, with room to spare. Past it
 * an execution ends, and one not yet quiet breaks agreement. */
static uint64_t horizon(const struct scenario *s)
{
	uint64_t h = 0;
	for (size_t i = 0; i < s->npayments; i++) {
		const struct payment_config *p = &s->payments[i];
		uint64_t chain = ((uint64_t)p->expiry_blocks + CHAIN_CONFIRMATIONS + 4) *
				 s->block_interval_us;
		uint64_t end = p->at_us + (p->timeout_us > chain ? p->timeout_us : chain);
		if (end > h)
			h = end;
	}
	return h + s->bob.hold_us + 10 * s->block_interval_us;
}

struct xctx {
	const struct explore_config *cfg;
	struct explore_result *res;
	struct xnode *nodes;
	size_t nnodes, cap;
	struct seen seen;
	uint64_t horizon;
	bool order_matters;          /* order invariance applies */
	bool have_outcome;
	char outcome[512];
	char engine[400];            /* the first invariant an engine found broken */
	/* worlds kept for nodes not yet expanded, oldest first (node ids rise) */
	struct {
		uint32_t node;
		struct xrun *r;
	} cache[XCACHE];
	size_t chead, cn;
	bool too_many;               /* a state offered XMAX_CHOICES choices or more */
};

/* The kept world of node, or NULL; worlds of nodes passed are freed. */
static struct xrun *cache_take(struct xctx *x, uint32_t node)
{
	while (x->cn && x->cache[x->chead].node <= node) {
		size_t i = x->chead;
		x->chead = (x->chead + 1) % XCACHE;
		x->cn--;
		if (x->cache[i].node == node)
			return x->cache[i].r;
		xrun_free(x->cache[i].r);
	}
	return NULL;
}

/* Keep r for node; false (the caller frees it) when the cache is full. */
static bool cache_keep(struct xctx *x, uint32_t node, struct xrun *r)
{
	if (x->cn == XCACHE)
		return false;
	size_t i = (x->chead + x->cn) % XCACHE;
	x->cache[i].node = node;
	x->cache[i].r = r;
	x->cn++;
	return true;
}

static void on_violation(void *ctx, enum world_node node, const char *text)
{
	struct xctx *x = ctx;
	if (!x->engine[0])
		snprintf(x->engine, sizeof(x->engine), "engine invariant: %s: %s",
			 world_node_name(node), text);
}

static void push(struct xctx *x, uint32_t parent, xchoice c)
{
	if (x->nnodes == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 1u << 16;
		x->nodes = xrealloc(x->nodes, x->cap * sizeof(*x->nodes));
	}
	x->nodes[x->nnodes++] = (struct xnode){ parent, c };
}

static size_t path_of(const struct xctx *x, uint32_t node, xchoice **out)
{
	size_t n = 0;
	for (uint32_t i = node; x->nodes[i].parent != NO_PARENT; i = x->nodes[i].parent)
		n++;
	xchoice *p = xcalloc(n ? n : 1, sizeof(*p));
	size_t k = n;
	for (uint32_t i = node; x->nodes[i].parent != NO_PARENT; i = x->nodes[i].parent)
		p[--k] = x->nodes[i].choice;
	*out = p;
	return n;
}

static bool crashes_on(const struct explore_config *cfg)
{
	return cfg->faults && !cfg->no_crashes;
}

static struct xrun *replay(struct xctx *x, const xchoice *path, size_t n)
{
	struct world_sink sink = { .violation = on_violation, .ctx = x };
	x->engine[0] = '\0';
	struct xrun *r = xrun_new(x->cfg->s, &sink, crashes_on(x->cfg));
	if (x->cfg->only_crashes)
		xrun_only_crashes(r);
	/* the path's states were judged when they were found: the checker
	 * watches only the step about to be taken */
	for (size_t i = 0; i < n; i++)
		xrun_apply(r, path[i]);
	world_set_check(xrun_world(r), world_check_event, NULL);
	return r;
}

/* The records count only while a crash may still come: past the budget
 * two states that differ in them alone behave alike. */
static void fingerprint(const struct xctx *x, struct xrun *r, uint8_t fp[16])
{
	uint64_t extra[2] = { xrun_next_payment(r), xrun_faults(r) };
	bool records = crashes_on(x->cfg) && xrun_faults(r) < x->cfg->faults;
	world_digest(xrun_world(r), records, extra, sizeof(extra), fp);
}

static void broke(struct explore_result *res, const char *text)
{
	const char *colon = strchr(text, ':');
	size_t k = colon ? (size_t)(colon - text) : strlen(text);
	if (k >= sizeof(res->property))
		k = sizeof(res->property) - 1;
	memcpy(res->property, text, k);
	res->property[k] = '\0';
	if (colon)
		text = colon + 1 + strspn(colon + 1, " ");
	snprintf(res->what, sizeof(res->what), "%s", text);
}

enum xstate { XS_GOES_ON, XS_END, XS_BROKEN };

/* Every property of the state r is in; at its end, those of the end. */
static enum xstate judge(struct xctx *x, struct xrun *r)
{
	struct world *w = xrun_world(r);
	struct explore_result *res = x->res;
	if (world_broken(w)) {
		broke(res, world_broken(w));
		return XS_BROKEN;
	}
	bool engine = world_violations(w, WORLD_ALICE) || world_violations(w, WORLD_BOB);
	bool final;
	bool quiet = world_quiet(w, &final) && xrun_next_payment(r) == x->cfg->s->npayments;
	bool end = quiet || world_now(w) > x->horizon;
	char buf[600];
	/* at the end, the checker's own words first: an engine that finds a
	 * payment settled in part says what the atomicity property says */
	if (end && !world_check_end_modes(w, quiet, true, buf, sizeof(buf))) {
		broke(res, buf);
		return XS_BROKEN;
	}
	if (engine) {
		broke(res, x->engine[0] ? x->engine : "engine invariant: an engine found its own state broken");
		return XS_BROKEN;
	}
	if (!end)
		return XS_GOES_ON;
	if (x->order_matters && xrun_faults(r) == 0) {
		world_check_outcomes(w, buf, sizeof(buf));
		if (!x->have_outcome) {
			snprintf(x->outcome, sizeof(x->outcome), "%s", buf);
			x->have_outcome = true;
		} else if (strcmp(buf, x->outcome) != 0) {
			char t[600];
			snprintf(t, sizeof(t), "order invariance: with nothing lost, one order of the "
				 "parts ends %s, this one %s", x->outcome, buf);
			broke(res, t);
			return XS_BROKEN;
		}
	}
	return XS_END;
}

static bool order_applies(const struct scenario *s)
{
	if (s->bob.behaviour != BOB_HONEST || s->alice.behaviour != ALICE_HONEST)
		return false;
	for (size_t i = 0; i < s->npayments; i++)
		if (s->payments[i].mode == PAY_AMP || s->payments[i].mode == PAY_MPP)
			return true;
	return false;
}

static void found(struct xctx *x, uint32_t node)
{
	x->res->verdict = EXPLORE_VIOLATION;
	x->res->npath = path_of(x, node, &x->res->path);
}

/* Expand node: every choice of its state, each child judged; true when a
 * property broke (res says which, and the path). */
static bool expand(struct xctx *x, uint32_t node, unsigned level, bool *cut)
{
	xchoice *path = NULL, ch[XMAX_CHOICES];
	size_t np = 0;
	struct xrun *r = cache_take(x, node);
	if (!r) {
		np = path_of(x, node, &path);
		r = replay(x, path, np);
	}
	unsigned left = x->cfg->faults - xrun_faults(r);
	size_t nch = xrun_choices(r, left, ch, XMAX_CHOICES);
	bool stop = false, kept = false;
	if (nch == XMAX_CHOICES) {
		/* a state with more choices than that may have been cut short:
		 * never say "holds" of it */
		x->res->verdict = EXPLORE_TOO_LARGE;
		x->too_many = true;
		nch = 0;
		stop = true;
	}
	for (size_t j = 0; j < nch && !stop; j++) {
		if (j) {
			if (!kept)
				xrun_free(r);
			kept = false;
			if (!path)
				np = path_of(x, node, &path);
			r = replay(x, path, np);
		}
		xrun_apply(r, ch[j]);
		x->res->transitions++;
		x->res->tried[XCHOICE_KIND(ch[j])]++;
		uint8_t fp[16];
		fingerprint(x, r, fp);
		if (!seen_add(&x->seen, fp))
			continue;
		x->res->states++;
		push(x, node, ch[j]);
		if (level + 1 > x->res->depth)
			x->res->depth = level + 1;
		switch (judge(x, r)) {
		case XS_BROKEN:
			found(x, (uint32_t)(x->nnodes - 1));
			stop = true;
			break;
		case XS_END:
			x->res->executions++;
			x->nnodes--;   /* nothing to expand */
			break;
		case XS_GOES_ON:
			if (x->cfg->depth && level + 1 >= x->cfg->depth)
				*cut = true;
			else
				kept = cache_keep(x, (uint32_t)(x->nnodes - 1), r);
			break;
		}
	}
	if (!kept)
		xrun_free(r);
	free(path);
	return stop;
}

void explore_run(const struct explore_config *cfg, struct explore_result *res)
{
	memset(res, 0, sizeof(*res));
	struct xctx x = { .cfg = cfg, .res = res, .horizon = horizon(cfg->s),
			  .order_matters = order_applies(cfg->s) };
	uint64_t max_states = cfg->max_states ? cfg->max_states : DEFAULT_MAX_STATES;
	push(&x, NO_PARENT, 0);
	struct xrun *r = replay(&x, NULL, 0);
	uint8_t fp[16];
	fingerprint(&x, r, fp);
	seen_add(&x.seen, fp);
	res->states = 1;
	enum xstate st = judge(&x, r);
	xrun_free(r);
	if (st == XS_BROKEN) {
		found(&x, 0);
		goto out;
	}
	if (st == XS_END) {
		res->executions = 1;
		goto out;
	}
	bool cut = false;
	size_t head = 0, level_end = 1;
	unsigned level = 0;
	while (head < x.nnodes) {
		if (head == level_end) {
			level++;
			level_end = x.nnodes;
		}
		uint32_t node = (uint32_t)head++;
		if (cfg->depth && level >= cfg->depth)
			continue;
		if (expand(&x, node, level, &cut)) {
			if (x.too_many)
				snprintf(res->what, sizeof(res->what), "a state offers %d choices or more",
					 XMAX_CHOICES);
			goto out;
		}
		if (res->states >= max_states) {
			res->verdict = EXPLORE_TOO_LARGE;
			snprintf(res->what, sizeof(res->what), "more than %llu distinct states "
				 "(--max-states)", (unsigned long long)max_states);
			goto out;
		}
	}
	res->verdict = cut ? EXPLORE_CUT : EXPLORE_HOLDS;
out:
	while (x.cn) {
		xrun_free(x.cache[x.chead].r);
		x.chead = (x.chead + 1) % XCACHE;
		x.cn--;
	}
	free(x.nodes);
	free(x.seen.v);
}

void explore_result_free(struct explore_result *res)
{
	free(res->path);
	res->path = NULL;
}

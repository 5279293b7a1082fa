/* Replaying a path of the explorer (explore.h): a world in hand mode, the
 * scenario's payments at their times, and the choices a state offers. */
#include "explore.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "world_hand.h"

struct xrun {
	const struct scenario *s;
	struct world *w;
	size_t order[SCN_MAX_PAYMENTS];   /* the payments by time */
	size_t next;                      /* the next payment to start */
	unsigned faults;
	bool crashes;                     /* XC_CRASH is offered */
	bool only_crashes;                /* and no other fault */
	uint64_t started_at;              /* when the last payment started */
	bool started_any;
};

static int by_time(const void *x, const void *y, void *ctx)
{
	const struct scenario *s = ctx;
	uint64_t a = s->payments[*(const size_t *)x].at_us, b = s->payments[*(const size_t *)y].at_us;
	if (a != b)
		return a < b ? -1 : 1;
	return *(const size_t *)x < *(const size_t *)y ? -1 : 1;
}

/* The scenario's payments whose time came, once alice can pay. */
static void start_due(struct xrun *r)
{
	while (r->next < r->s->npayments && world_ready(r->w)) {
		const struct payment_config *p = &r->s->payments[r->order[r->next]];
		if (p->at_us > world_now(r->w))
			return;
		world_pay(r->w, p);
		world_settle(r->w);
		r->next++;
		r->started_at = world_now(r->w);
		r->started_any = true;
	}
}

struct xrun *xrun_new(const struct scenario *s, const struct world_sink *sink, bool crashes)
{
	char err[512];
	struct world *w = world_new(s, sink, err, sizeof(err));
	if (!w)
		fatal("the explorer: %s", err);   /* explore_supports said it could */
	struct xrun *r = xcalloc(1, sizeof(*r));
	r->s = s;
	r->w = w;
	r->crashes = crashes;
	if (crashes)
		world_keep_records(w);
	for (size_t i = 0; i < s->npayments; i++)
		r->order[i] = i;
	qsort_r(r->order, s->npayments, sizeof(r->order[0]), by_time, (void *)s);
	world_set_hand(w);
	world_start(w);
	start_due(r);
	return r;
}

void xrun_free(struct xrun *r)
{
	if (!r)
		return;
	world_free(r->w);
	free(r);
}

struct world *xrun_world(struct xrun *r)
{
	return r->w;
}

unsigned xrun_faults(const struct xrun *r)
{
	return r->faults;
}

size_t xrun_next_payment(const struct xrun *r)
{
	return r->next;
}

uint64_t xrun_next_time(const struct xrun *r)
{
	uint64_t t = world_next(r->w);
	if (r->next < r->s->npayments) {
		uint64_t at = r->s->payments[r->order[r->next]].at_us;
		if (world_ready(r->w) && at < t)
			t = at < world_now(r->w) ? world_now(r->w) : at;
	}
	return t;
}

void xrun_apply(struct xrun *r, xchoice c)
{
	struct world *w = r->w;
	size_t i = XCHOICE_ITEM(c);
	switch (XCHOICE_KIND(c)) {
	case XC_TIME: {
		uint64_t t = xrun_next_time(r);
		if (t == WORLD_NO_TIMER)
			fatal("the explorer: no timer to move to");
		world_advance(w, t);
		world_settle(w);
		break;
	}
	case XC_DELIVER:
		world_item_deliver(w, i);
		break;
	case XC_DROP:
		world_item_drop(w, i);
		r->faults++;
		break;
	case XC_DUPLICATE:
		world_item_duplicate(w, i);
		r->faults++;
		break;
	case XC_DISCONNECT:
		world_disconnect(w);
		world_settle(w);
		r->faults++;
		break;
	case XC_CRASH: {
		/* as a crash= and a restart= at one time in a scenario: the
		 * crash, the instant settled, the restart, its instant settled */
		enum world_node n = i ? WORLD_BOB : WORLD_ALICE;
		world_crash(w, n);
		world_settle(w);
		world_restart(w, n);
		world_settle(w);
		r->faults++;
		break;
	}
	}
	start_due(r);
}

static size_t crash_choices(const struct xrun *r, xchoice *out, size_t max)
{
	size_t k = 0;
	for (size_t node = 0; xrun_may_crash(r) && node < 2 && k < max; node++)
		out[k++] = XCHOICE(XC_CRASH, node);
	return k;
}

size_t xrun_choices(struct xrun *r, unsigned faults_left, xchoice *out, size_t max)
{
	struct world *w = r->w;
	size_t n = world_items(w), k = 0;
	uint64_t minhi = WORLD_NO_TIMER, t = xrun_next_time(r);
	struct world_item it;
	for (size_t i = 0; i < n; i++) {
		world_item(w, i, &it);
		if (it.hi < minhi)
			minhi = it.hi;
	}
	if (t != WORLD_NO_TIMER && t <= minhi && k < max)
		out[k++] = XCHOICE(XC_TIME, 0);
	uint64_t bound = t < minhi ? t : minhi;
	for (size_t i = 0; i < n && k < max; i++) {
		world_item(w, i, &it);
		if (it.lo <= bound)
			out[k++] = XCHOICE(XC_DELIVER, i);
	}
	if (!faults_left)
		return k;
	if (r->only_crashes)
		return k + crash_choices(r, out + k, max - k);
	for (size_t i = 0; i < n && k + 1 < max; i++) {
		world_item(w, i, &it);
		if (it.pinned)
			continue;   /* no rule of a scenario reaches it */
		out[k++] = XCHOICE(XC_DROP, i);
		out[k++] = XCHOICE(XC_DUPLICATE, i);
	}
	bool final;
	if (world_connected(w) && !world_quiet(w, &final) && k < max)
		out[k++] = XCHOICE(XC_DISCONNECT, 0);
	return k + crash_choices(r, out + k, max - k);
}

void xrun_only_crashes(struct xrun *r)
{
	r->only_crashes = true;
}

bool xrun_may_crash(const struct xrun *r)
{
	struct world *w = r->w;
	uint64_t now = world_now(w);
	if (!r->crashes || (r->started_any && r->started_at == now))
		return false;   /* ampsim run would crash before the payment */
	size_t n = world_items(w);
	struct world_item it;
	for (size_t i = 0; i < n; i++) {
		world_item(w, i, &it);
		if (it.hi <= now)
			return false;   /* due at this instant: ampsim run delivers it first */
	}
	return true;
}

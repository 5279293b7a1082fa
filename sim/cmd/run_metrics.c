/* ampsim run: the run's metrics, from its summary and its events, so that
 * an experiment only collects them (docs/scenarios.md, "metrics"). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "run.h"

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double pct(const double *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);
	return v[rank ? rank - 1 : 0];
}

/* Event times are simulated microseconds written as ms with three
 * decimals: differences are rounded back to the microsecond, so that a
 * settle time of 100 ms reads 100, not 99.99999999999994. */
static double us_round(double ms)
{
	return round(ms * 1000.0) / 1000.0;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

void tally_init(struct ev_tally *t)
{
	memset(t, 0, sizeof(*t));
}

void tally_free(struct ev_tally *t)
{
	free(t->pt);
	u64map_free(&t->pt_at);
	free(t->off);
	u64map_free(&t->off_at);
	free(t->settle);
	memset(t, 0, sizeof(*t));
}

/* FNV-1a of a payment id: the map's key; ids that share one are chained. */
static uint64_t id_hash(const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *c = (const unsigned char *)id; *c; c++)
		h = (h ^ *c) * 1099511628211ULL;
	return h;
}

static struct pay_times *times_of(const struct ev_tally *ty, const char *id)
{
	uint64_t i;
	if (!u64map_get(&ty->pt_at, id_hash(id), &i))
		return NULL;
	for (size_t k = (size_t)i + 1; k; k = ty->pt[k - 1].next)
		if (ty->pt[k - 1].live && strcmp(ty->pt[k - 1].id, id) == 0)
			return &ty->pt[k - 1];
	return NULL;
}

const struct pay_times *tally_times(const struct ev_tally *ty, const char *id)
{
	return times_of(ty, id);
}

/* The forgotten out of the array, the order and chains of the others kept. */
static void times_compact(struct ev_tally *ty)
{
	size_t w = 0;
	u64map_free(&ty->pt_at);
	memset(&ty->pt_at, 0, sizeof(ty->pt_at));
	for (size_t i = 0; i < ty->npt; i++) {
		if (!ty->pt[i].live)
			continue;
		ty->pt[w] = ty->pt[i];
		ty->pt[w].next = 0;
		uint64_t h = id_hash(ty->pt[w].id), first;
		if (u64map_get(&ty->pt_at, h, &first)) {
			size_t k = (size_t)first;
			while (ty->pt[k].next)
				k = ty->pt[k].next - 1;
			ty->pt[k].next = w + 1;
		} else {
			u64map_put(&ty->pt_at, h, w);
		}
		w++;
	}
	ty->npt = w;
}

/* The times of id, made when it has none. */
static struct pay_times *times_for(struct ev_tally *ty, const char *id)
{
	struct pay_times *p = times_of(ty, id);
	if (p)
		return p;
	if (ty->npt == ty->pt_cap && ty->npt > 2 * ty->pt_live + 1024)
		times_compact(ty);
	if (ty->npt == ty->pt_cap) {
		ty->pt_cap = ty->pt_cap ? 2 * ty->pt_cap : 1024;
		ty->pt = xrealloc(ty->pt, ty->pt_cap * sizeof(*ty->pt));
	}
	p = &ty->pt[ty->npt];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->live = true;
	uint64_t h = id_hash(id), first;
	if (u64map_get(&ty->pt_at, h, &first)) {
		size_t k = (size_t)first;
		while (ty->pt[k].next)
			k = ty->pt[k].next - 1;
		ty->pt[k].next = ty->npt + 1;
	} else {
		u64map_put(&ty->pt_at, h, ty->npt);
	}
	ty->npt++;
	ty->pt_live++;
	return p;
}

void tally_forget_times(struct ev_tally *ty, const char *id)
{
	struct pay_times *p = times_of(ty, id);
	if (!p)
		return;
	/* left in its chain, not live: the next compaction takes it out */
	p->live = false;
	ty->pt_live--;
}

/* An HTLC's key: its channel's number (in the order first seen) and id. */
static uint64_t off_key(struct ev_tally *ty, const char *channel, int64_t htlc)
{
	size_t c = 0;
	while (c < ty->off_nchans && strcmp(ty->off_chans[c], channel) != 0)
		c++;
	if (c == ty->off_nchans) {
		if (c == SCN_MAX_CHANNELS)
			fatal("the run's tally: more than %d channels", SCN_MAX_CHANNELS);
		snprintf(ty->off_chans[c], sizeof(ty->off_chans[c]), "%s", channel);
		ty->off_nchans++;
	}
	return ((uint64_t)c << 48) | ((uint64_t)htlc & 0xffffffffffffULL);
}

/* Resolved entries out, the order of the live ones kept (it is the order
 * their locked liquidity is summed in at the end). */
static void off_compact(struct ev_tally *ty)
{
	size_t w = 0;
	for (size_t i = 0; i < ty->noff; i++) {
		if (!ty->off[i].live)
			continue;
		ty->off[w] = ty->off[i];
		u64map_put(&ty->off_at, ty->off[w].key, w);
		w++;
	}
	ty->noff = w;
}

static void off_add(struct ev_tally *ty, uint64_t key, double t, double msat)
{
	uint64_t i;
	if (u64map_get(&ty->off_at, key, &i)) {
		/* the same HTLC again: in its place, as a JSON object's key is */
		ty->off[i].t = t;
		ty->off[i].msat = msat;
		return;
	}
	if (ty->noff == ty->off_cap && ty->noff > 2 * ty->off_live + 1024)
		off_compact(ty);
	if (ty->noff == ty->off_cap) {
		ty->off_cap = ty->off_cap ? 2 * ty->off_cap : 1024;
		ty->off = xrealloc(ty->off, ty->off_cap * sizeof(*ty->off));
	}
	ty->off[ty->noff] = (struct offered_htlc){ key, t, msat, true };
	u64map_put(&ty->off_at, key, ty->noff++);
	ty->off_live++;
}

void tally_time(struct ev_tally *t, double t_ms)
{
	if (t_ms > t->last_ms)
		t->last_ms = t_ms;
}

/* One event, in its daemon's order: HTLCs offered, messages lost or
 * doubled, the chain, settle times and the liquidity HTLCs held. */
void tally_event(struct ev_tally *ty, json_t *ev)
{
	struct tally_ev e = {
		.name = str(ev, "event"), .node = str(ev, "node"), .payment = str(ev, "payment"),
		.outcome = str(ev, "outcome"), .channel = str(ev, "channel"),
		.t_ms = json_number_value(json_object_get(ev, "t_ms")),
		.htlc = (int64_t)json_integer_value(json_object_get(ev, "htlc")),
		.amount_msat = json_number_value(json_object_get(ev, "amount_msat")),
	};
	tally_rec(ty, &e);
}

void tally_rec(struct ev_tally *ty, const struct tally_ev *ev)
{
	const char *name = ev->name, *node = ev->node;
	double t = ev->t_ms;
	tally_time(ty, t);
	if (strcmp(name, "message_dropped") == 0)
		ty->dropped++;
	else if (strcmp(name, "message_duplicated") == 0)
		ty->duplicated++;
	else if (strcmp(name, "onchain_claim_sent") == 0)
		ty->claims++;
	else if (strcmp(name, "onchain_refund_sent") == 0)
		ty->refunds++;
	if (strcmp(node, "alice") != 0)
		return;
	if (strcmp(name, "payment_started") == 0) {
		struct pay_times *p = times_for(ty, ev->payment);
		p->t0 = t;
		p->has0 = true;
	} else if (strcmp(name, "payment_outcome") == 0) {
		struct pay_times *p = times_for(ty, ev->payment);
		p->t1 = t;
		p->has1 = true;
		if (p->has0 && strcmp(ev->outcome, "settled") == 0) {
			if (ty->nsettle == ty->cap) {
				ty->cap = ty->cap ? 2 * ty->cap : 64;
				ty->settle = xrealloc(ty->settle, ty->cap * sizeof(*ty->settle));
			}
			ty->settle[ty->nsettle++] = us_round(t - p->t0);
		}
	} else if (strcmp(name, "htlc_offered") == 0) {
		ty->htlcs++;
		off_add(ty, off_key(ty, ev->channel, ev->htlc), t, ev->amount_msat);
	} else if (strcmp(name, "htlc_fulfilled") == 0 || strcmp(name, "htlc_failed") == 0 ||
		   strcmp(name, "htlc_refunded") == 0) {
		uint64_t i;
		if (u64map_get(&ty->off_at, off_key(ty, ev->channel, ev->htlc), &i)) {
			struct offered_htlc *o = &ty->off[i];
			ty->locked += o->msat * us_round(t - o->t) / 1000.0;
			o->live = false;
			ty->off_live--;
			u64map_del(&ty->off_at, o->key);
		}
	}
}

json_t *run_metrics(const struct pay_digests *d, const struct ev_tally *ty, double wall_s)
{
	json_t *m = json_object();
	/* outcomes, retries */
	json_t *outcomes = json_object();
	for (int o = OUTCOME_PENDING; o <= OUTCOME_PARTIAL; o++)
		json_object_set_new(outcomes, outcome_name((enum outcome)o), json_integer(0));
	size_t npay = 0, retries = 0;
	for (size_t i = 0; i < d->n; i++) {
		npay++;
		json_t *c = json_object_get(outcomes, outcome_name(d->v[i].outcome));
		if (c)
			json_integer_set(c, json_integer_value(c) + 1);
		retries += d->v[i].retries;
	}
	json_object_set_new(m, "payments", json_integer((json_int_t)npay));
	json_object_set_new(m, "outcomes", outcomes);
	size_t nsettle = ty->nsettle;
	if (nsettle) {
		double *settle = xcalloc(nsettle, sizeof(*settle));
		memcpy(settle, ty->settle, nsettle * sizeof(*settle));
		qsort(settle, nsettle, sizeof(*settle), cmp_double);
		json_object_set_new(m, "settle_ms", json_pack("{s:f,s:f,s:f}", "p50", pct(settle, nsettle, 50),
							      "p90", pct(settle, nsettle, 90),
							      "p99", pct(settle, nsettle, 99)));
		free(settle);
	}
	size_t htlcs = ty->htlcs;
	double locked = ty->locked, last_ms = ty->last_ms;
	json_object_set_new(m, "htlcs_per_payment",
			    json_real(npay ? (double)htlcs / (double)npay : 0));
	json_object_set_new(m, "retries", json_integer((json_int_t)retries));
	json_object_set_new(m, "messages_dropped", json_integer((json_int_t)ty->dropped));
	json_object_set_new(m, "messages_duplicated", json_integer((json_int_t)ty->duplicated));
	json_object_set_new(m, "onchain_claims", json_integer((json_int_t)ty->claims));
	json_object_set_new(m, "onchain_refunds", json_integer((json_int_t)ty->refunds));
	/* an HTLC never resolved counts until the end of the run */
	for (size_t i = 0; i < ty->noff; i++)
		if (ty->off[i].live)
			locked += ty->off[i].msat * us_round(last_ms - ty->off[i].t) / 1000.0;
	json_object_set_new(m, "liquidity_locked_msat_s", json_real(round(locked)));
	json_object_set_new(m, "simulated_s", json_real(us_round(last_ms) / 1000.0));
	/* the one part of a summary that depends on the machine: kept apart */
	json_object_set_new(m, "wall", json_pack("{s:f,s:f,s:f}", "seconds", wall_s,
						 "simulated_per_wall_s",
						 wall_s > 0 ? last_ms / 1000.0 / wall_s : 0.0,
						 "ms_per_payment",
						 npay ? wall_s * 1000.0 / (double)npay : 0.0));
	return m;
}

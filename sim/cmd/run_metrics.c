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

json_t *run_metrics(json_t *pays, json_t *events, double wall_s)
{
	json_t *m = json_object();
	/* outcomes, retries */
	json_t *outcomes = json_object();
	for (int o = OUTCOME_PENDING; o <= OUTCOME_PARTIAL; o++)
		json_object_set_new(outcomes, outcome_name((enum outcome)o), json_integer(0));
	size_t npay = 0, retries = 0;
	const char *id;
	json_t *p;
	json_object_foreach(pays, id, p) {
		npay++;
		json_t *c = json_object_get(outcomes, str(p, "outcome"));
		if (c)
			json_integer_set(c, json_integer_value(c) + 1);
		size_t k;
		json_t *pt;
		json_array_foreach(json_object_get(p, "parts"), k, pt)
			retries += json_integer_value(json_object_get(pt, "attempt")) > 0;
	}
	/* from the events: HTLCs offered, messages lost or doubled, the
	 * chain, settle times and the liquidity HTLCs held */
	json_t *started = json_object(), *offered = json_object();
	size_t nsettle = 0, cap = 64, htlcs = 0, dropped = 0, duplicated = 0, claims = 0, refunds = 0;
	double *settle = xcalloc(cap, sizeof(*settle));
	double locked = 0, last_ms = 0;
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		const char *name = str(ev, "event"), *node = str(ev, "node");
		double t = json_number_value(json_object_get(ev, "t_ms"));
		if (t > last_ms)
			last_ms = t;
		if (strcmp(name, "message_dropped") == 0) {
			dropped++;
		} else if (strcmp(name, "message_duplicated") == 0) {
			duplicated++;
		} else if (strcmp(name, "onchain_claim_sent") == 0) {
			claims++;
		} else if (strcmp(name, "onchain_refund_sent") == 0) {
			refunds++;
		}
		if (strcmp(node, "alice") != 0)
			continue;
		if (strcmp(name, "payment_started") == 0) {
			json_object_set(started, str(ev, "payment"), json_object_get(ev, "t_ms"));
		} else if (strcmp(name, "payment_outcome") == 0 &&
			   strcmp(str(ev, "outcome"), "settled") == 0) {
			json_t *t0 = json_object_get(started, str(ev, "payment"));
			if (t0) {
				if (nsettle == cap)
					settle = xrealloc(settle, (cap *= 2) * sizeof(*settle));
				settle[nsettle++] = us_round(t - json_number_value(t0));
			}
		} else if (strcmp(name, "htlc_offered") == 0) {
			char key[96];
			snprintf(key, sizeof(key), "%s/%lld", str(ev, "channel"),
				 (long long)json_integer_value(json_object_get(ev, "htlc")));
			htlcs++;
			json_object_set_new(offered, key, json_pack("{s:f,s:f}", "t", t, "msat",
				json_number_value(json_object_get(ev, "amount_msat"))));
		} else if (strcmp(name, "htlc_fulfilled") == 0 || strcmp(name, "htlc_failed") == 0 ||
			   strcmp(name, "htlc_refunded") == 0) {
			char key[96];
			snprintf(key, sizeof(key), "%s/%lld", str(ev, "channel"),
				 (long long)json_integer_value(json_object_get(ev, "htlc")));
			json_t *o = json_object_get(offered, key);
			if (o) {
				locked += json_number_value(json_object_get(o, "msat")) *
					  us_round(t - json_number_value(json_object_get(o, "t"))) / 1000.0;
				json_object_del(offered, key);
			}
		}
	}
	json_object_set_new(m, "payments", json_integer((json_int_t)npay));
	json_object_set_new(m, "outcomes", outcomes);
	if (nsettle) {
		qsort(settle, nsettle, sizeof(*settle), cmp_double);
		json_object_set_new(m, "settle_ms", json_pack("{s:f,s:f,s:f}", "p50", pct(settle, nsettle, 50),
							      "p90", pct(settle, nsettle, 90),
							      "p99", pct(settle, nsettle, 99)));
	}
	free(settle);
	json_object_set_new(m, "htlcs_per_payment",
			    json_real(npay ? (double)htlcs / (double)npay : 0));
	json_object_set_new(m, "retries", json_integer((json_int_t)retries));
	json_object_set_new(m, "messages_dropped", json_integer((json_int_t)dropped));
	json_object_set_new(m, "messages_duplicated", json_integer((json_int_t)duplicated));
	json_object_set_new(m, "onchain_claims", json_integer((json_int_t)claims));
	json_object_set_new(m, "onchain_refunds", json_integer((json_int_t)refunds));
	/* an HTLC never resolved counts until the end of the run */
	const char *k;
	json_t *o;
	json_object_foreach(offered, k, o)
		locked += json_number_value(json_object_get(o, "msat")) *
			  us_round(last_ms - json_number_value(json_object_get(o, "t"))) / 1000.0;
	json_object_set_new(m, "liquidity_locked_msat_s", json_real(round(locked)));
	json_object_set_new(m, "simulated_s", json_real(us_round(last_ms) / 1000.0));
	/* the one part of a summary that depends on the machine: kept apart */
	json_object_set_new(m, "wall", json_pack("{s:f,s:f,s:f}", "seconds", wall_s,
						 "simulated_per_wall_s",
						 wall_s > 0 ? last_ms / 1000.0 / wall_s : 0.0,
						 "ms_per_payment",
						 npay ? wall_s * 1000.0 / (double)npay : 0.0));
	json_decref(started);
	json_decref(offered);
	return m;
}

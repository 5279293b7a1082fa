/* ampsim run and [workload] sections: their payments, generated from the
 * seed, and what the summary says of them (counts per outcome, settle time
 * percentiles in simulated time, the expectations on their shares). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "run.h"
#include "workload.h"

struct payment_config *workload_payments(const struct scenario *s, size_t *n)
{
	size_t total = 0;
	for (size_t i = 0; i < s->nworkloads; i++)
		total += s->workloads[i].count;
	*n = total;
	if (total == 0)
		return NULL;
	struct payment_config *out = xcalloc(total, sizeof(*out));
	size_t k = 0;
	for (size_t i = 0; i < s->nworkloads; i++) {
		struct workload_gen g;
		workload_gen_init(&g, &s->workloads[i], s->seed);
		for (uint32_t j = 0; j < s->workloads[i].count; j++)
			workload_next(&g, &s->workloads[i], &out[k++]);
		workload_gen_free(&g);
	}
	return out;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

/* nearest-rank percentile of sorted v */
static double percentile(const double *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);
	return v[rank ? rank - 1 : 0];
}

/* The workload a payment id belongs to ("w1-17" -> w1), or NULL. */
static const struct workload_config *owner(const struct scenario *s, const char *id)
{
	const char *dash = strrchr(id, '-');
	if (!dash)
		return NULL;
	for (size_t i = 0; i < s->nworkloads; i++)
		if (strlen(s->workloads[i].id) == (size_t)(dash - id) &&
		    strncmp(s->workloads[i].id, id, (size_t)(dash - id)) == 0)
			return &s->workloads[i];
	return NULL;
}

void digests_add(struct pay_digests *d, const char *id, enum outcome o, unsigned retries,
		 struct ev_tally *ty, bool forget)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 256;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	struct pay_digest *g = &d->v[d->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->id, sizeof(g->id), "%s", id);
	g->outcome = o;
	g->retries = retries;
	const struct pay_times *tm = tally_times(ty, id);
	if (o == OUTCOME_SETTLED && tm && tm->has0 && tm->has1) {
		g->timed = true;
		g->settle_ms = round((tm->t1 - tm->t0) * 1000.0) / 1000.0;   /* to the µs */
	}
	if (forget)
		tally_forget_times(ty, id);
}

void digests_from_pays(struct pay_digests *d, json_t *pays, struct ev_tally *ty)
{
	const char *id;
	json_t *p;
	json_object_foreach(pays, id, p) {
		enum outcome o = OUTCOME_PENDING;
		if (!outcome_parse(json_string_value(json_object_get(p, "outcome")), &o))
			o = OUTCOME_PENDING;
		unsigned retries = 0;
		size_t k;
		json_t *pt;
		json_array_foreach(json_object_get(p, "parts"), k, pt)
			retries += json_integer_value(json_object_get(pt, "attempt")) > 0;
		digests_add(d, id, o, retries, ty, false);
	}
}

void digests_free(struct pay_digests *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

json_t *workload_summary(const struct scenario *s, const struct pay_digests *d)
{
	json_t *all = json_object();
	if (s->nworkloads == 0)
		return all;
	for (size_t w = 0; w < s->nworkloads; w++) {
		const struct workload_config *wc = &s->workloads[w];
		unsigned counts[OUTCOME_PARTIAL + 1] = { 0 };
		double *settle = xcalloc(wc->count ? wc->count : 1, sizeof(*settle));
		size_t nsettle = 0;
		for (size_t i = 0; i < d->n; i++) {
			const struct pay_digest *g = &d->v[i];
			if (owner(s, g->id) != wc)
				continue;
			counts[g->outcome]++;
			if (g->timed && nsettle < wc->count)
				settle[nsettle++] = g->settle_ms;
		}
		/* payments alice never reported are pending too */
		unsigned seen = 0;
		for (int o = 0; o <= OUTCOME_PARTIAL; o++)
			seen += counts[o];
		counts[OUTCOME_PENDING] += wc->count > seen ? wc->count - seen : 0;
		json_t *outcomes = json_object();
		for (int o = 0; o <= OUTCOME_PARTIAL; o++)
			json_object_set_new(outcomes, outcome_name((enum outcome)o), json_integer(counts[o]));
		json_t *jw = json_object();
		json_object_set_new(jw, "count", json_integer(wc->count));
		json_object_set_new(jw, "outcomes", outcomes);
		if (nsettle) {
			qsort(settle, nsettle, sizeof(*settle), cmp_double);
			json_object_set_new(jw, "settle_ms",
					    json_pack("{s:f,s:f,s:f}", "p50", percentile(settle, nsettle, 50),
						      "p90", percentile(settle, nsettle, 90),
						      "p99", percentile(settle, nsettle, 99)));
		}
		free(settle);
		json_object_set_new(all, wc->id, jw);
	}
	return all;
}

bool workload_expect_holds(const struct expect_config *x, json_t *workloads, char *got, size_t n)
{
	json_t *w = json_object_get(workloads, x->key);
	double count = (double)json_integer_value(json_object_get(w, "count"));
	double k = (double)json_integer_value(
		json_object_get(json_object_get(w, "outcomes"), outcome_name(x->outcome)));
	double pct = count > 0 ? 100.0 * k / count : 0;
	snprintf(got, n, "%s %.2f%% (%.0f of %.0f)", outcome_name(x->outcome), pct, k, count);
	switch (x->cmp) {
	case EXPECT_GE: return pct >= x->percent;
	case EXPECT_LE: return pct <= x->percent;
	case EXPECT_EQ: return fabs(pct - x->percent) < 1e-9;
	}
	return false;
}

void workload_print(json_t *workloads, json_t *metrics)
{
	if (json_object_size(workloads) == 0)
		return;
	printf("workloads\n");
	const char *id;
	json_t *w;
	json_object_foreach(workloads, id, w) {
		json_t *o = json_object_get(w, "outcomes");
		printf("  %-10s %lld payments: %lld settled, %lld failed, %lld refunded, %lld partial, "
		       "%lld pending", id, (long long)json_integer_value(json_object_get(w, "count")),
		       (long long)json_integer_value(json_object_get(o, "settled")),
		       (long long)json_integer_value(json_object_get(o, "failed")),
		       (long long)json_integer_value(json_object_get(o, "refunded")),
		       (long long)json_integer_value(json_object_get(o, "partial")),
		       (long long)json_integer_value(json_object_get(o, "pending")));
		json_t *st = json_object_get(w, "settle_ms");
		if (st)
			printf("\n             settle time p50 %.1f ms, p90 %.1f ms, p99 %.1f ms (simulated)",
			       json_number_value(json_object_get(st, "p50")),
			       json_number_value(json_object_get(st, "p90")),
			       json_number_value(json_object_get(st, "p99")));
		printf("\n");
	}
	/* a researcher's large run: how fast the machine played it */
	json_t *wall = json_object_get(metrics, "wall");
	printf("speed      %.1f simulated s in %.2f s of wall time: %.1f simulated s per wall s, "
	       "%.3f ms per payment\n",
	       json_number_value(json_object_get(metrics, "simulated_s")),
	       json_number_value(json_object_get(wall, "seconds")),
	       json_number_value(json_object_get(wall, "simulated_per_wall_s")),
	       json_number_value(json_object_get(wall, "ms_per_payment")));
}

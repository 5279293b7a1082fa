#include "workload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rng.h"
#include "units.h"

bool workload_arrival_parse(const char *v, struct workload_config *w, const char **why)
{
	if (strncmp(v, "every:", 6) == 0) {
		uint64_t d;
		if (!duration_parse(v + 6, &d, why))
			return false;
		if (d == 0) {
			*why = "every: the interval must be above zero";
			return false;
		}
		w->arrival.kind = ARRIVAL_EVERY;
		w->arrival.every_us = d;
		return true;
	}
	if (strncmp(v, "poisson:", 8) == 0) {
		const char *rate = v + 8;
		size_t n = strlen(rate);
		if (n < 3 || strcmp(rate + n - 2, "/s") != 0) {
			*why = "expected poisson:RATE/s, e.g. poisson:20/s";
			return false;
		}
		char num[32];
		if (n - 2 >= sizeof(num)) {
			*why = "rate too long";
			return false;
		}
		memcpy(num, rate, n - 2);
		num[n - 2] = '\0';
		double r;
		if (!positive_parse(num, &r, why))
			return false;
		if (r > 1e6) {
			*why = "at most 1000000/s";
			return false;
		}
		w->arrival.kind = ARRIVAL_POISSON;
		w->arrival.per_s = r;
		return true;
	}
	*why = "expected every:DURATION or poisson:RATE/s";
	return false;
}

/* "A,B" into two pieces of at most cap bytes */
static bool pair(const char *v, char *a, char *b, size_t cap)
{
	const char *comma = strchr(v, ',');
	if (!comma || (size_t)(comma - v) >= cap || strlen(comma + 1) >= cap)
		return false;
	memcpy(a, v, (size_t)(comma - v));
	a[comma - v] = '\0';
	snprintf(b, cap, "%s", comma + 1);
	return true;
}

bool workload_amount_parse(const char *v, struct workload_config *w, const char **why)
{
	char a[64], b[64];
	if (strncmp(v, "uniform:", 8) == 0) {
		if (!pair(v + 8, a, b, sizeof(a))) {
			*why = "expected uniform:MIN,MAX";
			return false;
		}
		if (!amount_parse(a, &w->amount.a, why) || !amount_parse(b, &w->amount.b, why))
			return false;
		if (amount_is_zero(w->amount.a) || amount_less(w->amount.b, w->amount.a)) {
			*why = "uniform: expected 0 < MIN <= MAX";
			return false;
		}
		w->amount.kind = AMOUNT_UNIFORM;
		return true;
	}
	if (strncmp(v, "lognormal:", 10) == 0) {
		if (!pair(v + 10, a, b, sizeof(a))) {
			*why = "expected lognormal:MEDIAN,SIGMA";
			return false;
		}
		if (!amount_parse(a, &w->amount.a, why) || !positive_parse(b, &w->amount.sigma, why))
			return false;
		if (amount_is_zero(w->amount.a) || w->amount.sigma > 10) {
			*why = "lognormal: expected a median above zero and 0 < SIGMA <= 10";
			return false;
		}
		w->amount.kind = AMOUNT_LOGNORMAL;
		return true;
	}
	if (!amount_parse(v, &w->amount.a, why))
		return false;
	if (amount_is_zero(w->amount.a)) {
		*why = "must be above zero";
		return false;
	}
	w->amount.kind = AMOUNT_FIXED;
	return true;
}

bool workload_modes_parse(const char *v, struct workload_config *w, const char **why)
{
	char buf[128];
	if (strlen(v) >= sizeof(buf)) {
		*why = "mode mix too long";
		return false;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	w->nmodes = 0;
	double total = 0;
	size_t len = strlen(buf);
	if (len && (buf[len - 1] == ',' || buf[0] == ',' || strstr(buf, ",,"))) {
		*why = "an empty entry in the mix (a stray comma)";
		return false;
	}
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (w->nmodes == WORKLOAD_MAX_MODES) {
			*why = "at most 4 modes in a mix";
			return false;
		}
		char *colon = strchr(tok, ':');
		double weight = 1;
		if (colon) {
			*colon = '\0';
			if (!positive_parse(colon + 1, &weight, why))
				return false;
		}
		enum pay_mode m;
		if (!pay_mode_parse(tok, &m)) {
			*why = "expected single, invoices, mpp or amp, or a mix such as amp:0.5,mpp:0.5";
			return false;
		}
		for (size_t i = 0; i < w->nmodes; i++) {
			if (w->modes[i].mode == m) {
				*why = "a mode is named twice in the mix";
				return false;
			}
		}
		w->modes[w->nmodes].mode = m;
		w->modes[w->nmodes].weight = weight;
		w->nmodes++;
		total += weight;
		if (!colon && save && *save) {
			*why = "in a mix every mode has a weight (amp:0.5,mpp:0.5)";
			return false;
		}
	}
	if (w->nmodes == 0) {
		*why = "expected a mode";
		return false;
	}
	for (size_t i = 0; i < w->nmodes; i++)
		w->modes[i].weight /= total;
	return true;
}

void workload_gen_init(struct workload_gen *g, const struct workload_config *w, uint64_t seed)
{
	char stream[SCN_ID_MAX + 16];
	snprintf(stream, sizeof(stream), "workload:%s", w->id);
	g->rng = xcalloc(1, sizeof(*g->rng));
	rng_init(g->rng, seed, stream);
	g->t_us = w->start_us;
	g->next = 0;
}

void workload_gen_free(struct workload_gen *g)
{
	free(g->rng);
	g->rng = NULL;
}

void workload_next(struct workload_gen *g, const struct workload_config *w,
		   struct payment_config *out)
{
	if (g->next >= w->count)
		fatal("workload %s: payment %u of %u", w->id, g->next + 1, w->count);
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s-%u", w->id, g->next + 1);
	/* the first payment starts at start; each later one after the gap */
	if (g->next > 0) {
		if (w->arrival.kind == ARRIVAL_EVERY) {
			g->t_us += w->arrival.every_us;
		} else {
			double u = rng_unit(g->rng);
			g->t_us += (uint64_t)llround(-log1p(-u) / w->arrival.per_s * 1e6);
		}
	}
	out->at_us = g->t_us;
	switch (w->amount.kind) {
	case AMOUNT_FIXED:
		out->amount = w->amount.a;
		break;
	case AMOUNT_UNIFORM:
		out->amount = amount_pick(w->amount.a, w->amount.b, rng_u64(g->rng));
		break;
	case AMOUNT_LOGNORMAL:
		out->amount = amount_scaled(w->amount.a, exp(w->amount.sigma * rng_normal(g->rng)));
		break;
	}
	double u = rng_unit(g->rng), acc = 0;
	out->mode = w->modes[w->nmodes - 1].mode;
	for (size_t i = 0; i < w->nmodes; i++) {
		acc += w->modes[i].weight;
		if (u < acc) {
			out->mode = w->modes[i].mode;
			break;
		}
	}
	out->shards = out->mode == PAY_SINGLE ? 0 : w->shards;
	out->expiry_blocks = w->expiry_blocks;
	out->timeout_us = w->timeout_us;
	out->line = w->line;
	g->next++;
}

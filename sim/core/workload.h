/* Workloads: many payments from one [workload ID] section, all drawn from
 * the run's seed. Parsing of the section's compound values and the
 * generation of its payments; pure. */
#ifndef AMPSIM_WORKLOAD_H
#define AMPSIM_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"

/* "every:DURATION" or "poisson:RATE/s" */
bool workload_arrival_parse(const char *v, struct workload_config *w, const char **why);
/* "AMOUNT", "uniform:MIN,MAX" or "lognormal:MEDIAN,SIGMA" */
bool workload_amount_parse(const char *v, struct workload_config *w, const char **why);
/* "amp", or a mix "amp:0.5,mpp:0.5" (weights > 0, normalised) */
bool workload_modes_parse(const char *v, struct workload_config *w, const char **why);

/* The i-th payment (0-based) of w, i in [0, count): its id is "ID-(i+1)".
 * Payments are generated in order with one stream per workload, so
 * generating them one after another is the only way: call with i = 0, 1,
 * ... and the same struct workload_gen. */
struct workload_gen {
	struct rng *rng;             /* owned */
	uint64_t t_us;
	uint32_t next;
};
void workload_gen_init(struct workload_gen *g, const struct workload_config *w, uint64_t seed);
void workload_gen_free(struct workload_gen *g);
void workload_next(struct workload_gen *g, const struct workload_config *w,
		   struct payment_config *out);

#endif

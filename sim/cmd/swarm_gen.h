/* ampsim swarm's scenarios: drawn from a seed, written as scenario files,
 * and made smaller while they still break an invariant. */
#ifndef AMPSIM_SWARM_GEN_H
#define AMPSIM_SWARM_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SG_MAX_CHANS 8
#define SG_MAX_PAYS 5
#define SG_MAX_FAULTS 4
#define SG_MAX_CRASHES 2

struct sg_chan {
	bool on;
	uint64_t cap_sat, alice_sat;
	unsigned delay_ms, jitter_ms, max_htlcs;
	int dist;                  /* 0 uniform, 1 normal, 2 pareto */
	double drop, dup;
};

struct sg_pay {
	bool on;
	unsigned at_ms, shards, expiry, timeout_s;
	uint64_t amount_sat;
	int mode;                  /* enum pay_mode */
};

struct sg_work {
	bool on;
	unsigned count, rate, shards;
	int mode;                  /* enum pay_mode, or -1: a mix of all four */
	uint64_t max_sat;
};

struct sg_fault {
	bool on;
	unsigned at_ms, until_ms;  /* until 0: none */
	int chan;                  /* -1: every channel (partition), or the connection */
	int dir;                   /* enum fault_dir */
	char action[48];
};

/* a crash of a node and its restart (never one without the other) */
struct sg_crash {
	bool on;
	int node;                  /* enum node */
	unsigned at_ms, back_ms;
};

struct sg_scenario {
	uint64_t seed;
	unsigned block_ms, hold_ms, delta;
	int bob, alice;            /* behaviours */
	struct sg_chan c[SG_MAX_CHANS];
	struct sg_pay p[SG_MAX_PAYS];
	struct sg_work w;
	struct sg_fault f[SG_MAX_FAULTS];
	struct sg_crash k[SG_MAX_CRASHES];
};

/* Scenario `index` of the swarm with this seed; bob >= 0 forces Bob's
 * behaviour. */
void sg_draw(struct sg_scenario *g, uint64_t seed, uint64_t index, int bob);
/* As a scenario file; header is written as comment lines first. */
void sg_write(const struct sg_scenario *g, FILE *f, const char *header);
/* One smaller variant, the k-th (a section left out, a workload halved);
 * false when there is no k-th. */
bool sg_shrink(const struct sg_scenario *g, unsigned k, struct sg_scenario *out);

#endif

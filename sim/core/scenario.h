/* A scenario: the model (plain structs and the enums' names, scenario_names.c,
 * pure) and the file's INI reader (sim/runtime/scenario_ini.c: it reads files with inih).
 * A scenario file (INI, see docs/scenarios.md) parsed into plain structs.
 * Every error is reported as "FILE:LINE: message" naming the key and what
 * was expected; the caller exits 2 with it. */
#ifndef AMPSIM_SCENARIO_H
#define AMPSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amount.h"
#include "proto_limits.h"
#include "link.h"
#include "vocab.h"

#define SCN_MAX_PAYMENTS 512
#define SCN_MAX_FAULTS 256
#define SCN_MAX_EXPECTS 128
#define SCN_MAX_WORKLOADS 16
#define WORKLOAD_MAX_COUNT 1000000
#define SCN_DEFAULT_MAX_HTLCS MAX_HTLCS

struct payment_config {
	char id[SCN_ID_MAX];
	uint64_t at_us;
	struct amount_msat amount;
	enum pay_mode mode;
	uint32_t shards;                 /* 0: as few as the channels allow */
	uint32_t expiry_blocks;          /* default 40 */
	uint64_t timeout_us;             /* default 60s */
	int line;
};

enum fault_dir { DIR_BOTH, DIR_TO_BOB, DIR_TO_ALICE };
const char *fault_dir_name(enum fault_dir d);
bool fault_dir_parse(const char *s, enum fault_dir *d);
const char *jitter_dist_name(enum jitter_dist j);
bool jitter_dist_parse(const char *s, enum jitter_dist *j);

enum fault_action {
	FAULT_DOWN, FAULT_UP, FAULT_DROP, FAULT_LOSS_GE, FAULT_DELAY, FAULT_JITTER,
	FAULT_DUPLICATE, FAULT_DROP_MSG, FAULT_DISCONNECT, FAULT_PARTITION,
	FAULT_CRASH, FAULT_RESTART, FAULT_DELAY_MSG, FAULT_DUPLICATE_MSG,
};
const char *fault_action_name(enum fault_action a);
/* The one classification of fault actions: who carries each out. */
enum fault_scope {
	FAULT_SCOPE_CHANNEL,       /* one channel's links: both daemons apply it */
	FAULT_SCOPE_ALL_CHANNELS,  /* partition: every channel's links */
	FAULT_SCOPE_CONNECTION,    /* disconnect: the connection is cut */
	FAULT_SCOPE_PROCESS,       /* crash, restart: a daemon is killed or started */
};
enum fault_scope fault_action_scope(enum fault_action a);
/* Derived from the scope: names one channel; applied by the daemons to
 * their links (channel or all channels); liftable by `until`. */
bool fault_action_on_channel(enum fault_action a);
bool fault_action_on_links(enum fault_action a);
bool fault_action_liftable(enum fault_action a);

enum node { NODE_ALICE, NODE_BOB };
const char *node_name(enum node n);
bool node_parse(const char *s, enum node *n);

struct fault_config {
	char id[SCN_ID_MAX];
	uint64_t at_us;
	bool has_until;
	uint64_t until_us;
	char channel[SCN_ID_MAX];        /* "" for node/connection faults */
	enum fault_dir dir;              /* default both */
	enum fault_action action;
	double p, r;                     /* drop=P, duplicate=P, loss=ge:P,R */
	uint64_t dur_us;                 /* delay=D, jitter=J */
	enum msg_kind msg;               /* drop=fulfill#1, delay=add#2:35ms, duplicate=add#1 */
	uint32_t nth;
	bool has_dur;                    /* duplicate=KIND#N:D: D in dur_us */
	enum node target;                /* crash=, restart= */
	char text[64];                   /* the action as written */
	int line;
};

enum expect_cmp { EXPECT_GE, EXPECT_LE, EXPECT_EQ };

struct expect_config {
	char key[SCN_ID_MAX];            /* a payment, a workload or a channel */
	bool is_payment;                 /* an outcome: a payment, or a workload's share */
	bool is_share;                   /* "settled >= 95%": for a workload */
	enum expect_cmp cmp;
	double percent;
	enum outcome outcome;            /* payments and workloads */
	bool has_alice, has_bob;         /* channels: "alice:0 bob:1btc" */
	struct amount_msat alice, bob;
	char text[128];
	int line;
};

/* [workload ID]: many payments from one description (sim/core/workload.c) */
enum arrival_kind { ARRIVAL_EVERY, ARRIVAL_POISSON };
enum amount_dist { AMOUNT_FIXED, AMOUNT_UNIFORM, AMOUNT_LOGNORMAL };
#define WORKLOAD_MAX_MODES 4

struct workload_config {
	char id[SCN_ID_MAX];
	uint32_t count;                  /* 1 .. WORKLOAD_MAX_COUNT */
	uint64_t start_us;
	struct {
		enum arrival_kind kind;
		uint64_t every_us;           /* every:D */
		double per_s;                /* poisson:R/s */
	} arrival;
	struct {
		enum amount_dist kind;
		struct amount_msat a, b;     /* fixed: a; uniform: [a, b]; lognormal: median a */
		double sigma;
	} amount;
	struct {
		enum pay_mode mode;
		double weight;
	} modes[WORKLOAD_MAX_MODES];
	size_t nmodes;
	uint32_t shards;
	uint32_t expiry_blocks;
	uint64_t timeout_us;
	int line;
};

enum sim_clock { SIM_CLOCK_VIRTUAL, SIM_CLOCK_WALL };
const char *sim_clock_name(enum sim_clock c);
bool sim_clock_parse(const char *s, enum sim_clock *c);

#define SCN_MAX_NOTES 8
#define SCN_NOTE_MAX 512

struct scenario {
	char path[256];
	uint64_t seed;                   /* default 1 */
	enum sim_clock clock;            /* default virtual */
	uint32_t processes;              /* 2 (default): the daemons; 1: the world */
	uint64_t block_interval_us;      /* default 1s */
	double time_scale;               /* default 1 */
	struct {
		uint64_t hold_us;            /* default 60s */
		uint32_t final_cltv_delta;   /* default 18 */
		enum bob_behaviour behaviour;
	} bob;
	struct {
		enum alice_behaviour behaviour;
	} alice;
	size_t nchannels, npayments, nfaults, nexpects, nworkloads;
	struct channel_config channels[SCN_MAX_CHANNELS];
	struct payment_config payments[SCN_MAX_PAYMENTS];
	struct fault_config faults[SCN_MAX_FAULTS];
	struct expect_config expects[SCN_MAX_EXPECTS];
	struct workload_config workloads[SCN_MAX_WORKLOADS];
	/* What the file says that is accepted but ignored ("FILE:LINE: ..."),
	 * for the caller to show as warnings; the first SCN_MAX_NOTES only. */
	size_t nnotes;
	char notes[SCN_MAX_NOTES][SCN_NOTE_MAX];
};

/* Fill *s with defaults (no channels, payments, faults or expectations). */
void scenario_defaults(struct scenario *s);

/* Parse path into *s. Returns 0, or -1 with err = "FILE:LINE: message"
 * (line 0 for whole-file problems such as a missing file). */
int scenario_load(const char *path, struct scenario *s, char *err, size_t errlen);

/* The same from a string (for tests and fuzzing); name stands in for FILE. */
int scenario_parse_string(const char *name, const char *text, struct scenario *s,
			  char *err, size_t errlen);

const struct channel_config *scenario_channel(const struct scenario *s, const char *id);
const struct workload_config *scenario_workload(const struct scenario *s, const char *id);
const struct payment_config *scenario_payment(const struct scenario *s, const char *id);
/* The workload whose payments' names (ID-1 ... ID-N) include id, or NULL. */
const struct workload_config *scenario_workload_of(const struct scenario *s, const char *id);
/* Which section already uses id, if any (ids share one namespace). */
bool scenario_id_owner(const struct scenario *s, const char *id, const char **what, int *line);

/* A single payment's (or workload's) shards: ignored, with a note in
 * s->notes ("FILE:LINE: LABEL shards: ... is ignored"); *shards becomes 0. */
void scenario_single_shards(struct scenario *s, const char *file, int line, const char *label,
			    uint32_t *shards);

/* Parse one fault action string ("drop=0.1", "loss=ge:0.1,0.5", "down",
 * "drop=fulfill#1", "crash=bob", ...) into f->action and its parameters. */
bool fault_action_parse(const char *text, struct fault_config *f, const char **why);

/* Parse a channel spec as alice's --channel takes it: "1btc" or
 * "id=c1,capacity=1btc,alice=1btc,delay=20ms,jitter=5ms,jitter_dist=normal,
 *  drop=0.1,max_htlcs=30,htlc_minimum=1sat". Unset fields get the defaults. */
bool channel_spec_parse(const char *spec, struct channel_config *c, char *why, size_t whylen);

#endif

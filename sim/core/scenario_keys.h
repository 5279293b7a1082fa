/* The scenario's keys and values, shared by the file parser
 * (runtime/scenario_ini.c) and channel_spec_parse: one table per section says
 * each key's name, kind, field and bounds; scn_key_apply parses a value
 * into its field. Pure: no files, no inih. Internal to the scenario
 * modules: other code includes scenario.h. */
#ifndef AMPSIM_SCENARIO_KEYS_H
#define AMPSIM_SCENARIO_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

/* Defaults documented in scenario.h and docs/scenarios.md. */
#define US_PER_S 1000000ULL
#define PAYMENT_DEFAULT_EXPIRY_BLOCKS 40
#define PAYMENT_DEFAULT_TIMEOUT_US (60 * US_PER_S)
#define BOB_DEFAULT_HOLD_US (60 * US_PER_S)
#define BOB_DEFAULT_FINAL_CLTV_DELTA 18

enum value_kind {
	V_UINT64,          /* uint64_t */
	V_COUNT,           /* uint32_t in [min, max] */
	V_BLOCKS,          /* uint32_t block count, at least min */
	V_DURATION,        /* uint64_t microseconds, at least min */
	V_PROB,            /* double in [0,1] */
	V_POSITIVE,        /* double > 0 */
	V_AMOUNT,          /* struct amount_msat, at least min msat */
	V_PAY_MODE,        /* enum pay_mode */
	V_BOB_BEHAVIOUR,   /* enum bob_behaviour */
	V_ALICE_BEHAVIOUR, /* enum alice_behaviour */
	V_JITTER_DIST,     /* enum jitter_dist */
	V_CLOCK,           /* enum sim_clock */
	V_ARRIVAL,         /* the whole struct workload_config: arrival */
	V_AMOUNT_DIST,     /* the whole struct workload_config: amount */
	V_MODE_MIX,        /* the whole struct workload_config: modes */
	V_DIRECTION,       /* enum fault_dir */
	V_ACTION,          /* the whole struct fault_config */
	V_ID,              /* char[SCN_ID_MAX] naming another section */
};

struct key_def {
	const char *name;
	enum value_kind kind;
	size_t offset;     /* of the field in the section's struct */
	uint64_t min, max;
};

#define KEYS_MAX 12

enum section_kind {
	SEC_SIM, SEC_BOB, SEC_ALICE, SEC_CHANNEL, SEC_PAYMENT, SEC_FAULT, SEC_WORKLOAD, SEC_EXPECT,
};
#define SEC_COUNT (SEC_EXPECT + 1)

struct section_def {
	const char *name;
	enum section_kind kind;
	bool has_id;
	const struct key_def *keys;
	size_t nkeys;
};

extern const struct section_def scn_sections[SEC_COUNT];

void scn_copy_str(char *dst, size_t dstlen, const char *src);
void scn_put_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define DURATION_FMT_LEN 32
#define MSG_MAX 512               /* an error message */
const char *scn_duration_fmt(uint64_t us, char buf[DURATION_FMT_LEN]);
bool scn_id_check(const char *id, char *why, size_t whylen);
int scn_key_index(const struct key_def *keys, size_t nkeys, const char *name);
void scn_key_list(const struct key_def *keys, size_t nkeys, char *buf, size_t len);
/* Parse v into the field k describes inside obj; false + why on failure,
 * obj unchanged. */
bool scn_key_apply(const struct key_def *k, void *obj, const char *v, char *why, size_t whylen);
/* An [expect] value: an outcome, or channel balances "alice:X bob:Y". */
bool scn_expect_value_parse(const char *v, struct expect_config *e, char *why, size_t whylen);
void scn_channel_defaults(struct channel_config *c);
/* scenario_defaults.c: a repeated section's object ([channel ID], [payment ID], [workload ID],
 * [fault ID]) as its header opens it: its defaults, its id and line. */
void scn_section_init(enum section_kind kind, void *obj, const char *id, int line);
bool scn_channel_check(struct channel_config *c, bool has_capacity, bool has_alice,
		       const char **key, char *why, size_t whylen);

#endif

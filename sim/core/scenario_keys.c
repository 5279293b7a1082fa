/* The scenario's keys and values (see scenario_keys.h): helpers, fault
 * actions, the key tables, value parsing, channel rules and --channel
 * specs. Pure: no files, no inih. */
#include "scenario_keys.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_rules.h"
#include "units.h"
#include "workload.h"

/* ------------------------------------------------------------------ */
/* Small helpers */

void scn_copy_str(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src);
}

void scn_put_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void scn_put_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* The largest unit that renders us exactly: "10ms", "2s", "1500us". */
const char *scn_duration_fmt(uint64_t us, char buf[DURATION_FMT_LEN])
{
	static const struct {
		const char *unit;
		uint64_t us;
	} units[] = { { "m", 60000000ULL }, { "s", 1000000ULL }, { "ms", 1000ULL } };

	if (us == 0) {
		snprintf(buf, DURATION_FMT_LEN, "0");
		return buf;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (us % units[i].us == 0) {
			snprintf(buf, DURATION_FMT_LEN, "%llu%s",
				 (unsigned long long)(us / units[i].us), units[i].unit);
			return buf;
		}
	}
	snprintf(buf, DURATION_FMT_LEN, "%lluus", (unsigned long long)us);
	return buf;
}

static bool scn_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Ids become JSON keys, event log fields and RNG stream names, so they
 * are kept to a plain, quotable alphabet. */
bool scn_id_check(const char *id, char *why, size_t whylen)
{
	size_t n = strlen(id);

	if (n == 0) {
		scn_put_why(why, whylen, "empty id");
		return false;
	}
	if (n > SCN_ID_MAX - 1) {
		scn_put_why(why, whylen, "id '%s' is longer than %d characters", id, SCN_ID_MAX - 1);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!scn_id_char(id[i])) {
			scn_put_why(why, whylen,
				"id '%s' may only contain letters, digits, '_' and '-'", id);
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Fault actions */

/* Actions written as a bare word. */
static const struct {
	const char *name;
	enum fault_action action;
} plain_actions[] = {
	{ "down", FAULT_DOWN },
	{ "up", FAULT_UP },
	{ "disconnect", FAULT_DISCONNECT },
	{ "partition", FAULT_PARTITION },
};

static bool plain_action(const char *name, enum fault_action *a)
{
	for (size_t i = 0; i < sizeof(plain_actions) / sizeof(plain_actions[0]); i++) {
		if (strcmp(name, plain_actions[i].name) == 0) {
			*a = plain_actions[i].action;
			return true;
		}
	}
	return false;
}

bool fault_action_parse(const char *text, struct fault_config *f, const char **why)
{
	static const char *const unknown =
		"unknown action: expected down, up, drop=P, loss=ge:P,R, delay=D, "
		"jitter=D, duplicate=P, drop=KIND#N, delay=KIND#N:D, duplicate=KIND#N[:D], "
		"disconnect, partition, "
		"crash=NODE or restart=NODE";
	struct fault_config t = *f;
	char name[16], arg[sizeof(t.text)];
	const char *eq = strchr(text, '=');
	size_t nlen = eq ? (size_t)(eq - text) : strlen(text);

	if (strlen(text) >= sizeof(t.text)) {
		*why = "action too long";
		return false;
	}
	if (nlen >= sizeof(name)) {
		*why = unknown;
		return false;
	}
	memcpy(name, text, nlen);
	name[nlen] = '\0';
	scn_copy_str(arg, sizeof(arg), eq ? eq + 1 : "");

	/* Parameters of another action must not linger: callers reuse f. */
	t.p = 0;
	t.r = 0;
	t.dur_us = 0;
	t.msg = MSG_OTHER;
	t.nth = 0;
	t.has_dur = false;
	t.target = NODE_ALICE;

	if (plain_action(name, &t.action)) {
		if (eq) {
			*why = "down, up, disconnect and partition take no value";
			return false;
		}
	} else if ((strcmp(name, "drop") == 0 || strcmp(name, "delay") == 0 ||
		    strcmp(name, "duplicate") == 0) && eq && strchr(arg, '#')) {
		/* drop=fulfill#1, after Core Lightning's dev_disconnect: lose
		 * the Nth message of that kind sent on the link; delay=add#2:35ms
		 * and duplicate=add#1[:D] fix its arrival (fault_rules.c) */
		if (!fault_rule_parse(name, arg, &t, why))
			return false;
	} else if (strcmp(name, "drop") == 0 || strcmp(name, "duplicate") == 0) {
		if (!eq) {
			*why = "drop= and duplicate= need a probability (e.g. drop=0.1)";
			return false;
		}
		if (!prob_parse(arg, &t.p, why))
			return false;
		t.action = strcmp(name, "drop") == 0 ? FAULT_DROP : FAULT_DUPLICATE;
	} else if (strcmp(name, "loss") == 0) {
		/* Gilbert-Elliott: P = P(good -> bad), R = P(bad -> good) */
		char *comma = strchr(arg, ',');
		if (!eq || strncmp(arg, "ge:", 3) != 0 || !comma) {
			*why = "loss takes ge:P,R (Gilbert-Elliott: P = good->bad, R = bad->good)";
			return false;
		}
		*comma = '\0';
		if (!prob_parse(arg + 3, &t.p, why) || !prob_parse(comma + 1, &t.r, why))
			return false;
		t.action = FAULT_LOSS_GE;
	} else if (strcmp(name, "delay") == 0 || strcmp(name, "jitter") == 0) {
		if (!eq) {
			*why = "delay= and jitter= need a duration (e.g. delay=50ms)";
			return false;
		}
		if (!duration_parse(arg, &t.dur_us, why))
			return false;
		t.action = strcmp(name, "delay") == 0 ? FAULT_DELAY : FAULT_JITTER;
	} else if (strcmp(name, "crash") == 0 || strcmp(name, "restart") == 0) {
		if (!eq || !node_parse(arg, &t.target)) {
			*why = "crash= and restart= take alice or bob";
			return false;
		}
		t.action = strcmp(name, "crash") == 0 ? FAULT_CRASH : FAULT_RESTART;
	} else {
		*why = unknown;
		return false;
	}
	scn_copy_str(t.text, sizeof(t.text), text);
	*f = t;
	return true;
}

/* ------------------------------------------------------------------ */
/* Keys and their values, described by tables shared by the scenario
 * sections and by channel_spec_parse. */


static const struct key_def sim_keys[] = {
	{ "seed", V_UINT64, offsetof(struct scenario, seed), 0, 0 },
	/* heights are time / block_interval: zero would divide by zero */
	{ "block_interval", V_DURATION, offsetof(struct scenario, block_interval_us), 1, 0 },
	{ "time_scale", V_POSITIVE, offsetof(struct scenario, time_scale), 0, 0 },
	{ "clock", V_CLOCK, offsetof(struct scenario, clock), 0, 0 },
	/* 2: the two daemons; 1: both engines in one process (--in-process) */
	{ "processes", V_COUNT, offsetof(struct scenario, processes), 1, 2 },
};

static const struct key_def bob_keys[] = {
	{ "hold", V_DURATION, offsetof(struct scenario, bob.hold_us), 0, 0 },
	{ "final_cltv_delta", V_BLOCKS, offsetof(struct scenario, bob.final_cltv_delta), 0, 0 },
	{ "behaviour", V_BOB_BEHAVIOUR, offsetof(struct scenario, bob.behaviour), 0, 0 },
};

static const struct key_def alice_keys[] = {
	{ "behaviour", V_ALICE_BEHAVIOUR, offsetof(struct scenario, alice.behaviour), 0, 0 },
};

static const struct key_def channel_keys[] = {
	{ "capacity", V_AMOUNT, offsetof(struct channel_config, capacity), 1, 0 },
	{ "alice", V_AMOUNT, offsetof(struct channel_config, alice), 0, 0 },
	{ "delay", V_DURATION, offsetof(struct channel_config, link.delay_us), 0, 0 },
	{ "jitter", V_DURATION, offsetof(struct channel_config, link.jitter_us), 0, 0 },
	{ "jitter_dist", V_JITTER_DIST, offsetof(struct channel_config, link.jitter_dist), 0, 0 },
	{ "drop", V_PROB, offsetof(struct channel_config, link.drop), 0, 0 },
	{ "duplicate", V_PROB, offsetof(struct channel_config, link.duplicate), 0, 0 },
	{ "max_htlcs", V_COUNT, offsetof(struct channel_config, max_htlcs), 1, MAX_HTLCS },
	{ "htlc_minimum", V_AMOUNT, offsetof(struct channel_config, htlc_minimum), 0, 0 },
};

static const struct key_def payment_keys[] = {
	{ "at", V_DURATION, offsetof(struct payment_config, at_us), 0, 0 },
	{ "amount", V_AMOUNT, offsetof(struct payment_config, amount), 1, 0 },
	{ "mode", V_PAY_MODE, offsetof(struct payment_config, mode), 0, 0 },
	/* one HTLC per shard, and each channel direction has at most 483 */
	{ "shards", V_COUNT, offsetof(struct payment_config, shards), 1, MAX_HTLCS },
	{ "expiry", V_BLOCKS, offsetof(struct payment_config, expiry_blocks), 1, 0 },
	{ "timeout", V_DURATION, offsetof(struct payment_config, timeout_us), 0, 0 },
};

static const struct key_def fault_keys[] = {
	{ "at", V_DURATION, offsetof(struct fault_config, at_us), 0, 0 },
	{ "until", V_DURATION, offsetof(struct fault_config, until_us), 0, 0 },
	{ "channel", V_ID, offsetof(struct fault_config, channel), 0, 0 },
	{ "direction", V_DIRECTION, offsetof(struct fault_config, dir), 0, 0 },
	{ "action", V_ACTION, 0, 0, 0 },
};

static const struct key_def workload_keys[] = {
	{ "count", V_COUNT, offsetof(struct workload_config, count), 1, WORKLOAD_MAX_COUNT },
	{ "start", V_DURATION, offsetof(struct workload_config, start_us), 0, 0 },
	{ "arrival", V_ARRIVAL, 0, 0, 0 },
	{ "amount", V_AMOUNT_DIST, 0, 0, 0 },
	{ "mode", V_MODE_MIX, 0, 0, 0 },
	{ "shards", V_COUNT, offsetof(struct workload_config, shards), 1, MAX_HTLCS },
	{ "expiry", V_BLOCKS, offsetof(struct workload_config, expiry_blocks), 1, 0 },
	{ "timeout", V_DURATION, offsetof(struct workload_config, timeout_us), 0, 0 },
};

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

/* The parser remembers the line of every key of a section in an array of
 * KEYS_MAX entries. */
_Static_assert(NKEYS(sim_keys) <= KEYS_MAX, "sim_keys");
_Static_assert(NKEYS(bob_keys) <= KEYS_MAX, "bob_keys");
_Static_assert(NKEYS(alice_keys) <= KEYS_MAX, "alice_keys");
_Static_assert(NKEYS(channel_keys) <= KEYS_MAX, "channel_keys");
_Static_assert(NKEYS(payment_keys) <= KEYS_MAX, "payment_keys");
_Static_assert(NKEYS(fault_keys) <= KEYS_MAX, "fault_keys");
_Static_assert(NKEYS(workload_keys) <= KEYS_MAX, "workload_keys");

int scn_key_index(const struct key_def *keys, size_t nkeys, const char *name)
{
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

void scn_key_list(const struct key_def *keys, size_t nkeys, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < nkeys && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s",
				 i == 0 ? "" : i + 1 == nkeys ? " or " : ", ", keys[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Parse v into the field k describes inside obj. On failure obj is
 * unchanged and why says what was expected and what was written. */
/* What a value did to its key. */
enum applied { APPLIED, REFUSED, BAD, NOT_THIS_KIND };

/* Numbers, durations, amounts and probabilities: REFUSED with why
 * written, BAD with *w set. */
static enum applied apply_number(const struct key_def *k, char *field, const char *v,
				 char *why, size_t whylen, const char **w)
{
	switch (k->kind) {
	case V_UINT64: {
		uint64_t x;
		if (!uint_parse(v, &x, w))
			return BAD;
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_COUNT: {
		uint64_t x;
		if (!uint_parse(v, &x, w))
			return BAD;
		if (x < k->min || x > k->max) {
			scn_put_why(why, whylen, "must be between %llu and %llu, got %s",
				(unsigned long long)k->min, (unsigned long long)k->max, v);
			return REFUSED;
		}
		uint32_t x32 = (uint32_t)x;
		memcpy(field, &x32, sizeof(x32));
		return APPLIED;
	}
	case V_BLOCKS: {
		uint32_t x;
		if (!blocks_parse(v, &x, w))
			return BAD;
		if (x < k->min) {
			scn_put_why(why, whylen, "must be at least %llu block%s, got %s",
				(unsigned long long)k->min, k->min == 1 ? "" : "s", v);
			return REFUSED;
		}
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_DURATION: {
		uint64_t x;
		if (!duration_parse(v, &x, w))
			return BAD;
		if (x < k->min) {
			scn_put_why(why, whylen, "must be greater than 0, got %s", v);
			return REFUSED;
		}
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_PROB: {
		double x;
		if (!prob_parse(v, &x, w))
			return BAD;
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_POSITIVE: {
		double x;
		if (!positive_parse(v, &x, w))
			return BAD;
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_AMOUNT: {
		struct amount_msat x;
		if (!amount_parse(v, &x, w))
			return BAD;
		if (x.millisatoshis < k->min) {
			scn_put_why(why, whylen, "must be greater than 0, got %s", v);
			return REFUSED;
		}
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_PAY_MODE:
	case V_BOB_BEHAVIOUR:
	case V_ALICE_BEHAVIOUR:
	case V_JITTER_DIST:
	case V_CLOCK:
	case V_ARRIVAL:
	case V_AMOUNT_DIST:
	case V_MODE_MIX:
	case V_DIRECTION:
	case V_ACTION:
	case V_ID:
		return NOT_THIS_KIND;
	}
	return NOT_THIS_KIND;
}

/* The names of modes, behaviours, clocks, distributions and directions:
 * BAD with *w set. */
static enum applied apply_name(const struct key_def *k, char *field, const char *v,
			       const char **w)
{
	switch (k->kind) {
	case V_PAY_MODE: {
		enum pay_mode x;
		if (!pay_mode_parse(v, &x)) {
			*w = "expected single, invoices, mpp or amp";
			return BAD;
		}
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_BOB_BEHAVIOUR: {
		enum bob_behaviour x;
		if (!bob_behaviour_parse(v, &x)) {
			*w = "expected honest, greedy, hold, late or eager";
			return BAD;
		}
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_ALICE_BEHAVIOUR: {
		enum alice_behaviour x;
		if (!alice_behaviour_parse(v, &x)) {
			*w = "expected honest or bad-share";
			return BAD;
		}
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_CLOCK: {
		enum sim_clock x;
		if (!sim_clock_parse(v, &x)) {
			*w = "expected virtual or wall";
			return BAD;
		}
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_JITTER_DIST: {
		enum jitter_dist x;
		if (!jitter_dist_parse(v, &x)) {
			*w = "expected uniform, normal or pareto";
			return BAD;
		}
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_DIRECTION: {
		enum fault_dir x;
		if (!fault_dir_parse(v, &x)) {
			*w = "expected to_bob, to_alice or both";
			return BAD;
		}
		memcpy(field, &x, sizeof(x));
		return APPLIED;
	}
	case V_UINT64:
	case V_COUNT:
	case V_BLOCKS:
	case V_DURATION:
	case V_PROB:
	case V_POSITIVE:
	case V_AMOUNT:
	case V_ARRIVAL:
	case V_AMOUNT_DIST:
	case V_MODE_MIX:
	case V_ACTION:
	case V_ID:
		return NOT_THIS_KIND;
	}
	return NOT_THIS_KIND;
}

bool scn_key_apply(const struct key_def *k, void *obj, const char *v,
		      char *why, size_t whylen)
{
	char *field = (char *)obj + k->offset;
	const char *w = NULL;

	if (*v == '\0') {
		scn_put_why(why, whylen, "missing value");
		return false;
	}
	enum applied r = apply_number(k, field, v, why, whylen, &w);
	if (r == NOT_THIS_KIND)
		r = apply_name(k, field, v, &w);
	if (r == APPLIED)
		return true;
	if (r == REFUSED)
		return false;
	if (r == NOT_THIS_KIND) {
		switch (k->kind) {
		case V_ACTION:
			if (fault_action_parse(v, obj, &w))
				return true;
			break;
		case V_ARRIVAL:
			if (workload_arrival_parse(v, obj, &w))
				return true;
			break;
		case V_AMOUNT_DIST:
			if (workload_amount_parse(v, obj, &w))
				return true;
			break;
		case V_MODE_MIX:
			if (workload_modes_parse(v, obj, &w))
				return true;
			break;
		case V_ID:
			if (!scn_id_check(v, why, whylen))
				return false;
			scn_copy_str(field, SCN_ID_MAX, v);
			return true;
		case V_UINT64:
		case V_COUNT:
		case V_BLOCKS:
		case V_DURATION:
		case V_PROB:
		case V_POSITIVE:
		case V_AMOUNT:
		case V_PAY_MODE:
		case V_BOB_BEHAVIOUR:
		case V_ALICE_BEHAVIOUR:
		case V_CLOCK:
		case V_JITTER_DIST:
		case V_DIRECTION:
			break;
		}
	}
	scn_put_why(why, whylen, "%s, got %s", w ? w : "bad value", v);
	return false;
}

/* ------------------------------------------------------------------ */
/* Section-level rules shared by [channel ID] and --channel */

void scn_channel_defaults(struct channel_config *c)
{
	memset(c, 0, sizeof(*c));
	c->link.jitter_dist = JITTER_UNIFORM;
	c->max_htlcs = SCN_DEFAULT_MAX_HTLCS;
	c->htlc_minimum = amount_msat(1);
}

/* Checks that need several keys. On failure *key names the key to blame. */
bool scn_channel_check(struct channel_config *c, bool has_capacity, bool has_alice,
			  const char **key, char *why, size_t whylen)
{
	char a[AMOUNT_FMT_LEN], b[AMOUNT_FMT_LEN];

	if (!has_capacity) {
		*key = "capacity";
		scn_put_why(why, whylen, "missing: every channel needs a capacity (e.g. capacity = 1btc)");
		return false;
	}
	if (!has_alice) {
		c->alice = c->capacity;
	} else if (amount_less(c->capacity, c->alice)) {
		*key = "alice";
		scn_put_why(why, whylen, "opening balance %s exceeds the capacity %s",
			amount_fmt(c->alice, a), amount_fmt(c->capacity, b));
		return false;
	}
	if (amount_less(c->capacity, c->htlc_minimum)) {
		*key = "htlc_minimum";
		scn_put_why(why, whylen, "%s exceeds the capacity %s: no HTLC could ever be added",
			amount_fmt(c->htlc_minimum, a), amount_fmt(c->capacity, b));
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* alice --channel SPEC */

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

bool channel_spec_parse(const char *spec, struct channel_config *c, char *why, size_t whylen)
{
	struct channel_config t;
	bool seen[NKEYS(channel_keys)] = { false };
	bool seen_id = false;
	char item[256], w[MSG_MAX], list[MSG_MAX];
	const char *p = spec;
	unsigned index = 0;

	scn_channel_defaults(&t);
	if (!spec || !*spec) {
		scn_put_why(why, whylen, "empty channel spec: expected e.g. 1btc or capacity=1btc,delay=20ms");
		return false;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *key, *value, *eq;

		if (len >= sizeof(item)) {
			scn_put_why(why, whylen, "item %u longer than %zu characters", index + 1,
				sizeof(item) - 1);
			return false;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		key = trim(item);
		eq = strchr(key, '=');
		if (*key == '\0') {
			scn_put_why(why, whylen, "empty item %u: expected key=value", index + 1);
			return false;
		}
		if (eq) {
			*eq = '\0';
			value = trim(eq + 1);
			key = trim(key);
		} else if (index == 0) {
			/* "--channel 1btc": a bare first item is the capacity */
			value = key;
			key = "capacity";
		} else {
			scn_put_why(why, whylen, "expected key=value, got %s", key);
			return false;
		}

		if (strcmp(key, "id") == 0) {
			if (seen_id) {
				scn_put_why(why, whylen, "id given twice");
				return false;
			}
			if (!scn_id_check(value, w, sizeof(w))) {
				scn_put_why(why, whylen, "id: %s", w);
				return false;
			}
			scn_copy_str(t.id, sizeof(t.id), value);
			seen_id = true;
		} else {
			int i = scn_key_index(channel_keys, NKEYS(channel_keys), key);
			if (i < 0) {
				scn_key_list(channel_keys, NKEYS(channel_keys), list, sizeof(list));
				scn_put_why(why, whylen, "unknown key '%s': expected id, %s", key, list);
				return false;
			}
			if (seen[i]) {
				scn_put_why(why, whylen, "%s given twice", key);
				return false;
			}
			seen[i] = true;
			if (!scn_key_apply(&channel_keys[i], &t, value, w, sizeof(w))) {
				scn_put_why(why, whylen, "%s: %s", key, w);
				return false;
			}
		}
		index++;
		if (!comma)
			break;
		p = comma + 1;
	}

	const char *key = NULL;
	int cap = scn_key_index(channel_keys, NKEYS(channel_keys), "capacity");
	int alice = scn_key_index(channel_keys, NKEYS(channel_keys), "alice");
	if (!scn_channel_check(&t, seen[cap], seen[alice], &key, w, sizeof(w))) {
		scn_put_why(why, whylen, "%s: %s", key, w);
		return false;
	}
	*c = t;
	return true;
}


const struct section_def scn_sections[SEC_COUNT] = {
	{ "sim", SEC_SIM, false, sim_keys, NKEYS(sim_keys) },
	{ "bob", SEC_BOB, false, bob_keys, NKEYS(bob_keys) },
	{ "alice", SEC_ALICE, false, alice_keys, NKEYS(alice_keys) },
	{ "channel", SEC_CHANNEL, true, channel_keys, NKEYS(channel_keys) },
	{ "payment", SEC_PAYMENT, true, payment_keys, NKEYS(payment_keys) },
	{ "fault", SEC_FAULT, true, fault_keys, NKEYS(fault_keys) },
	{ "workload", SEC_WORKLOAD, true, workload_keys, NKEYS(workload_keys) },
	{ "expect", SEC_EXPECT, false, NULL, 0 },
};

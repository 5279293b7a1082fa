/* The scenario file parser (format: docs/scenarios.md).
 *
 * libinih splits lines into sections and key = value pairs, but the
 * Debian build calls the handler without line numbers and only for keys,
 * never for a section header. So this file hands inih its own line reader:
 * the reader counts lines, looks at every section header itself (so an
 * empty "[channel c1]" or a malformed header is seen where it is written),
 * and refuses lines inih would treat as syntax errors, so that every
 * message carries FILE:LINE and names what was expected. DESIGN.md:
 * "Unknown sections or keys, bad units, negative or overflowing amounts,
 * probabilities outside [0,1], references to channels that do not exist:
 * exit 2 with FILE:LINE: message". The first error stops the parse. */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_limits.h"
#include "units.h"


#define MSG_MAX 512

/* Defaults documented in scenario.h and docs/scenarios.md. */
#define US_PER_S 1000000ULL
#define PAYMENT_DEFAULT_EXPIRY_BLOCKS 40
#define PAYMENT_DEFAULT_TIMEOUT_US (60 * US_PER_S)
#define BOB_DEFAULT_HOLD_US (60 * US_PER_S)
#define BOB_DEFAULT_FINAL_CLTV_DELTA 18
/* ------------------------------------------------------------------ */
/* Small helpers */

static void copy_str(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src);
}

static void put_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* The largest unit that renders us exactly: "10ms", "2s", "1500us". */
#define DURATION_FMT_LEN 32
static const char *duration_fmt(uint64_t us, char buf[DURATION_FMT_LEN])
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

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Ids become JSON keys, event log fields and RNG stream names, so they
 * are kept to a plain, quotable alphabet. */
static bool id_check(const char *id, char *why, size_t whylen)
{
	size_t n = strlen(id);

	if (n == 0) {
		put_why(why, whylen, "empty id");
		return false;
	}
	if (n > SCN_ID_MAX - 1) {
		put_why(why, whylen, "id '%s' is longer than %d characters", id, SCN_ID_MAX - 1);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!id_char(id[i])) {
			put_why(why, whylen,
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
		"jitter=D, duplicate=P, drop=KIND#N, disconnect, partition, "
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
	copy_str(arg, sizeof(arg), eq ? eq + 1 : "");

	/* Parameters of another action must not linger: callers reuse f. */
	t.p = 0;
	t.r = 0;
	t.dur_us = 0;
	t.msg = MSG_OTHER;
	t.nth = 0;
	t.target = NODE_ALICE;

	if (plain_action(name, &t.action)) {
		if (eq) {
			*why = "down, up, disconnect and partition take no value";
			return false;
		}
	} else if (strcmp(name, "drop") == 0 && eq && strchr(arg, '#')) {
		/* drop=fulfill#1, after Core Lightning's dev_disconnect: lose
		 * the Nth message of that kind sent on the link */
		char *hash = strchr(arg, '#');
		uint64_t n;
		*hash = '\0';
		if (!msg_kind_parse(arg, &t.msg)) {
			*why = "drop=KIND#N takes add, fulfill or fail as KIND";
			return false;
		}
		if (!uint_parse(hash + 1, &n, why))
			return false;
		if (n < 1 || n > UINT32_MAX) {
			*why = "drop=KIND#N counts occurrences from 1";
			return false;
		}
		t.nth = (uint32_t)n;
		t.action = FAULT_DROP_MSG;
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
	copy_str(t.text, sizeof(t.text), text);
	*f = t;
	return true;
}

/* ------------------------------------------------------------------ */
/* Keys and their values, described by tables shared by the scenario
 * sections and by channel_spec_parse. */

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

static const struct key_def sim_keys[] = {
	{ "seed", V_UINT64, offsetof(struct scenario, seed), 0, 0 },
	/* heights are time / block_interval: zero would divide by zero */
	{ "block_interval", V_DURATION, offsetof(struct scenario, block_interval_us), 1, 0 },
	{ "time_scale", V_POSITIVE, offsetof(struct scenario, time_scale), 0, 0 },
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

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

/* The parser remembers the line of every key of a section in an array of
 * KEYS_MAX entries. */
_Static_assert(NKEYS(sim_keys) <= KEYS_MAX, "sim_keys");
_Static_assert(NKEYS(bob_keys) <= KEYS_MAX, "bob_keys");
_Static_assert(NKEYS(alice_keys) <= KEYS_MAX, "alice_keys");
_Static_assert(NKEYS(channel_keys) <= KEYS_MAX, "channel_keys");
_Static_assert(NKEYS(payment_keys) <= KEYS_MAX, "payment_keys");
_Static_assert(NKEYS(fault_keys) <= KEYS_MAX, "fault_keys");

static int key_index(const struct key_def *keys, size_t nkeys, const char *name)
{
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void key_list(const struct key_def *keys, size_t nkeys, char *buf, size_t len)
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
static bool key_apply(const struct key_def *k, void *obj, const char *v,
		      char *why, size_t whylen)
{
	char *field = (char *)obj + k->offset;
	const char *w = NULL;

	if (*v == '\0') {
		put_why(why, whylen, "missing value");
		return false;
	}
	switch (k->kind) {
	case V_UINT64: {
		uint64_t x;
		if (!uint_parse(v, &x, &w))
			break;
		memcpy(field, &x, sizeof(x));
		return true;
	}
	case V_COUNT: {
		uint64_t x;
		if (!uint_parse(v, &x, &w))
			break;
		if (x < k->min || x > k->max) {
			put_why(why, whylen, "must be between %llu and %llu, got %s",
				(unsigned long long)k->min, (unsigned long long)k->max, v);
			return false;
		}
		uint32_t x32 = (uint32_t)x;
		memcpy(field, &x32, sizeof(x32));
		return true;
	}
	case V_BLOCKS: {
		uint32_t x;
		if (!blocks_parse(v, &x, &w))
			break;
		if (x < k->min) {
			put_why(why, whylen, "must be at least %llu block%s, got %s",
				(unsigned long long)k->min, k->min == 1 ? "" : "s", v);
			return false;
		}
		memcpy(field, &x, sizeof(x));
		return true;
	}
	case V_DURATION: {
		uint64_t x;
		if (!duration_parse(v, &x, &w))
			break;
		if (x < k->min) {
			put_why(why, whylen, "must be greater than 0, got %s", v);
			return false;
		}
		memcpy(field, &x, sizeof(x));
		return true;
	}
	case V_PROB: {
		double x;
		if (!prob_parse(v, &x, &w))
			break;
		memcpy(field, &x, sizeof(x));
		return true;
	}
	case V_POSITIVE: {
		double x;
		if (!positive_parse(v, &x, &w))
			break;
		memcpy(field, &x, sizeof(x));
		return true;
	}
	case V_AMOUNT: {
		struct amount_msat x;
		if (!amount_parse(v, &x, &w))
			break;
		if (x.millisatoshis < k->min) {
			put_why(why, whylen, "must be greater than 0, got %s", v);
			return false;
		}
		memcpy(field, &x, sizeof(x));
		return true;
	}
	case V_PAY_MODE: {
		enum pay_mode x;
		if (!pay_mode_parse(v, &x)) {
			w = "expected single, invoices, mpp or amp";
			break;
		}
		memcpy(field, &x, sizeof(x));
		return true;
	}
	case V_BOB_BEHAVIOUR: {
		enum bob_behaviour x;
		if (!bob_behaviour_parse(v, &x)) {
			w = "expected honest, greedy, hold or late";
			break;
		}
		memcpy(field, &x, sizeof(x));
		return true;
	}
	case V_ALICE_BEHAVIOUR: {
		enum alice_behaviour x;
		if (!alice_behaviour_parse(v, &x)) {
			w = "expected honest or bad-share";
			break;
		}
		memcpy(field, &x, sizeof(x));
		return true;
	}
	case V_JITTER_DIST: {
		enum jitter_dist x;
		if (!jitter_dist_parse(v, &x)) {
			w = "expected uniform, normal or pareto";
			break;
		}
		memcpy(field, &x, sizeof(x));
		return true;
	}
	case V_DIRECTION: {
		enum fault_dir x;
		if (!fault_dir_parse(v, &x)) {
			w = "expected to_bob, to_alice or both";
			break;
		}
		memcpy(field, &x, sizeof(x));
		return true;
	}
	case V_ACTION:
		if (!fault_action_parse(v, obj, &w))
			break;
		return true;
	case V_ID:
		if (!id_check(v, why, whylen))
			return false;
		copy_str(field, SCN_ID_MAX, v);
		return true;
	}
	put_why(why, whylen, "%s, got %s", w ? w : "bad value", v);
	return false;
}

/* ------------------------------------------------------------------ */
/* Section-level rules shared by [channel ID] and --channel */

static void channel_defaults(struct channel_config *c)
{
	memset(c, 0, sizeof(*c));
	c->link.jitter_dist = JITTER_UNIFORM;
	c->max_htlcs = SCN_DEFAULT_MAX_HTLCS;
	c->htlc_minimum = amount_msat(1);
}

/* Checks that need several keys. On failure *key names the key to blame. */
static bool channel_check(struct channel_config *c, bool has_capacity, bool has_alice,
			  const char **key, char *why, size_t whylen)
{
	char a[AMOUNT_FMT_LEN], b[AMOUNT_FMT_LEN];

	if (!has_capacity) {
		*key = "capacity";
		put_why(why, whylen, "missing: every channel needs a capacity (e.g. capacity = 1btc)");
		return false;
	}
	if (!has_alice) {
		c->alice = c->capacity;
	} else if (amount_less(c->capacity, c->alice)) {
		*key = "alice";
		put_why(why, whylen, "opening balance %s exceeds the capacity %s",
			amount_fmt(c->alice, a), amount_fmt(c->capacity, b));
		return false;
	}
	if (amount_less(c->capacity, c->htlc_minimum)) {
		*key = "htlc_minimum";
		put_why(why, whylen, "%s exceeds the capacity %s: no HTLC could ever be added",
			amount_fmt(c->htlc_minimum, a), amount_fmt(c->capacity, b));
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* The parser */

enum section_kind {
	SEC_SIM, SEC_BOB, SEC_ALICE, SEC_CHANNEL, SEC_PAYMENT, SEC_FAULT, SEC_EXPECT,
};
#define SEC_COUNT (SEC_EXPECT + 1)

struct section_def {
	const char *name;
	enum section_kind kind;
	bool has_id;
	const struct key_def *keys;
	size_t nkeys;
};

static const struct section_def sections[SEC_COUNT] = {
	{ "sim", SEC_SIM, false, sim_keys, NKEYS(sim_keys) },
	{ "bob", SEC_BOB, false, bob_keys, NKEYS(bob_keys) },
	{ "alice", SEC_ALICE, false, alice_keys, NKEYS(alice_keys) },
	{ "channel", SEC_CHANNEL, true, channel_keys, NKEYS(channel_keys) },
	{ "payment", SEC_PAYMENT, true, payment_keys, NKEYS(payment_keys) },
	{ "fault", SEC_FAULT, true, fault_keys, NKEYS(fault_keys) },
	{ "expect", SEC_EXPECT, false, NULL, 0 },
};

struct parser {
	struct scenario *s;
	const char *name;           /* FILE in messages */
	char *err;
	size_t errlen;
	bool failed;
	int first_error_line;       /* of a deferred check */

	/* input: a FILE, or a string and a cursor into it */
	FILE *f;
	const char *text;
	size_t pos;
	int line;

	/* the section being read */
	const struct section_def *sec;  /* NULL before the first header */
	void *obj;                      /* its struct */
	int sec_line;
	char label[SCN_ID_MAX + 16];    /* "[channel c1]" */
	int key_line[KEYS_MAX];         /* 0: key not seen yet */
	int singleton_line[SEC_COUNT];  /* where [sim] etc. were opened */

	/* where each fault's "channel =" was, for the check at the end */
	int fault_channel_line[SCN_MAX_FAULTS];
};

static void fail(struct parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct parser *p, int line, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!p->err || p->errlen == 0)
		return;
	if (line > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->name, line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->name, msg);
}

static int sec_key_line(const struct parser *p, const char *key)
{
	int i = key_index(p->sec->keys, p->sec->nkeys, key);
	return i < 0 ? 0 : p->key_line[i];
}

/* Which section already uses id, if any: ids share one namespace because
 * [expect] names payments and channels by bare id. */
static bool id_taken(const struct scenario *s, const char *id, const char **what, int *line)
{
	for (size_t i = 0; i < s->nchannels; i++)
		if (strcmp(s->channels[i].id, id) == 0) {
			*what = "channel";
			*line = s->channels[i].line;
			return true;
		}
	for (size_t i = 0; i < s->npayments; i++)
		if (strcmp(s->payments[i].id, id) == 0) {
			*what = "payment";
			*line = s->payments[i].line;
			return true;
		}
	for (size_t i = 0; i < s->nfaults; i++)
		if (strcmp(s->faults[i].id, id) == 0) {
			*what = "fault";
			*line = s->faults[i].line;
			return true;
		}
	return false;
}

static const struct payment_config *find_payment(const struct scenario *s, const char *id)
{
	for (size_t i = 0; i < s->npayments; i++)
		if (strcmp(s->payments[i].id, id) == 0)
			return &s->payments[i];
	return NULL;
}

const struct channel_config *scenario_channel(const struct scenario *s, const char *id)
{
	for (size_t i = 0; i < s->nchannels; i++)
		if (strcmp(s->channels[i].id, id) == 0)
			return &s->channels[i];
	return NULL;
}

/* Checks of the section just finished that need more than one key. */
static void section_end(struct parser *p)
{
	char why[MSG_MAX];
	const char *key = NULL;

	if (!p->sec || p->failed)
		return;
	switch (p->sec->kind) {
	case SEC_SIM:
	case SEC_BOB:
	case SEC_ALICE:
	case SEC_EXPECT:
		break;
	case SEC_CHANNEL: {
		struct channel_config *c = p->obj;
		if (!channel_check(c, sec_key_line(p, "capacity") != 0,
				   sec_key_line(p, "alice") != 0, &key, why, sizeof(why))) {
			int line = sec_key_line(p, key);
			fail(p, line ? line : p->sec_line, "%s %s: %s", p->label, key, why);
		}
		break;
	}
	case SEC_PAYMENT: {
		struct payment_config *pay = p->obj;
		if (!sec_key_line(p, "amount")) {
			fail(p, p->sec_line, "%s amount: missing: every payment needs an amount "
			     "(e.g. amount = 2btc)", p->label);
		} else if (pay->mode == PAY_SINGLE && pay->shards > 1) {
			fail(p, sec_key_line(p, "shards"),
			     "%s shards: mode single sends one part; shards applies to "
			     "invoices, mpp and amp, got %u", p->label, (unsigned)pay->shards);
		}
		break;
	}
	case SEC_FAULT: {
		struct fault_config *f = p->obj;
		int action_line = sec_key_line(p, "action");
		int channel_line = sec_key_line(p, "channel");
		int dir_line = sec_key_line(p, "direction");
		int until_line = sec_key_line(p, "until");
		const char *act = fault_action_name(f->action);

		f->has_until = until_line != 0;
		p->fault_channel_line[p->s->nfaults - 1] = channel_line;
		if (!action_line) {
			fail(p, p->sec_line, "%s action: missing: every fault needs an action "
			     "(e.g. action = down)", p->label);
		} else if (fault_action_on_channel(f->action) && !channel_line) {
			fail(p, action_line, "%s action: '%s' acts on a channel: add channel = ID",
			     p->label, f->text);
		} else if (!fault_action_on_channel(f->action) && channel_line) {
			fail(p, channel_line, "%s channel: action '%s' is not about one channel: "
			     "remove channel", p->label, f->text);
		} else if (!fault_action_on_channel(f->action) && dir_line) {
			fail(p, dir_line, "%s direction: action '%s' is not about one channel: "
			     "remove direction", p->label, f->text);
		} else if (f->has_until && !fault_action_liftable(f->action)) {
			fail(p, until_line, "%s until: action '%s' cannot be lifted; "
			     "schedule the opposite action instead", p->label, act);
		} else if (f->has_until && f->until_us <= f->at_us) {
			char at[DURATION_FMT_LEN], until[DURATION_FMT_LEN];
			fail(p, until_line, "%s until: must be later than at = %s, got %s",
			     p->label, duration_fmt(f->at_us, at), duration_fmt(f->until_us, until));
		}
		break;
	}
	}
}

/* "[channel c1]": open a new section. content is what lies between the
 * brackets. */
static void section_begin(struct parser *p, char *content)
{
	struct scenario *s = p->s;
	char *word = content, *id, *end;
	const struct section_def *def = NULL;
	char why[MSG_MAX];

	section_end(p);
	if (p->failed)
		return;

	while (isspace((unsigned char)*word))
		word++;
	end = word + strlen(word);
	while (end > word && isspace((unsigned char)end[-1]))
		*--end = '\0';
	id = word;
	while (*id && !isspace((unsigned char)*id))
		id++;
	if (*id) {
		*id++ = '\0';
		while (isspace((unsigned char)*id))
			id++;
	}

	for (size_t i = 0; i < SEC_COUNT; i++)
		if (strcmp(sections[i].name, word) == 0)
			def = &sections[i];
	if (!def) {
		fail(p, p->line, "unknown section [%s]: expected [sim], [bob], [alice], "
		     "[channel ID], [payment ID], [fault ID] or [expect]", word);
		return;
	}
	if (def->has_id && !*id) {
		fail(p, p->line, "[%s] needs an id, e.g. [%s %c1]", word, word, word[0]);
		return;
	}
	if (!def->has_id && *id) {
		fail(p, p->line, "[%s] takes no id, got '%s'", word, id);
		return;
	}
	if (def->has_id) {
		const char *what;
		int line;
		if (!id_check(id, why, sizeof(why))) {
			fail(p, p->line, "[%s %s] %s", word, id, why);
			return;
		}
		if (id_taken(s, id, &what, &line)) {
			fail(p, p->line, "[%s %s] duplicate id: '%s' is already [%s %s] on line %d",
			     word, id, id, what, id, line);
			return;
		}
	} else if (p->singleton_line[def->kind]) {
		fail(p, p->line, "duplicate section [%s] (first on line %d)", word,
		     p->singleton_line[def->kind]);
		return;
	}

	switch (def->kind) {
	case SEC_SIM:
	case SEC_BOB:
	case SEC_ALICE:
		p->obj = s;
		break;
	case SEC_EXPECT:
		p->obj = NULL;
		break;
	case SEC_CHANNEL: {
		if (s->nchannels == SCN_MAX_CHANNELS) {
			fail(p, p->line, "[channel %s] too many channels (at most %d)", id,
			     SCN_MAX_CHANNELS);
			return;
		}
		struct channel_config *c = &s->channels[s->nchannels++];
		channel_defaults(c);
		copy_str(c->id, sizeof(c->id), id);
		c->line = p->line;
		p->obj = c;
		break;
	}
	case SEC_PAYMENT: {
		if (s->npayments == SCN_MAX_PAYMENTS) {
			fail(p, p->line, "[payment %s] too many payments (at most %d)", id,
			     SCN_MAX_PAYMENTS);
			return;
		}
		struct payment_config *pay = &s->payments[s->npayments++];
		memset(pay, 0, sizeof(*pay));
		copy_str(pay->id, sizeof(pay->id), id);
		pay->mode = PAY_SINGLE;
		pay->shards = 0;
		pay->expiry_blocks = PAYMENT_DEFAULT_EXPIRY_BLOCKS;
		pay->timeout_us = PAYMENT_DEFAULT_TIMEOUT_US;
		pay->line = p->line;
		p->obj = pay;
		break;
	}
	case SEC_FAULT: {
		if (s->nfaults == SCN_MAX_FAULTS) {
			fail(p, p->line, "[fault %s] too many faults (at most %d)", id,
			     SCN_MAX_FAULTS);
			return;
		}
		struct fault_config *f = &s->faults[s->nfaults++];
		memset(f, 0, sizeof(*f));
		copy_str(f->id, sizeof(f->id), id);
		f->dir = DIR_BOTH;
		f->msg = MSG_OTHER;
		f->line = p->line;
		p->obj = f;
		break;
	}
	}

	p->sec = def;
	p->sec_line = p->line;
	if (def->has_id)
		snprintf(p->label, sizeof(p->label), "[%s %s]", word, id);
	else
		snprintf(p->label, sizeof(p->label), "[%s]", word);
	memset(p->key_line, 0, sizeof(p->key_line));
	if (!def->has_id)
		p->singleton_line[def->kind] = p->line;
}

/* An [expect] value: an outcome ("settled"), or channel balances
 * ("alice:0 bob:1btc", either part optional, at least one). Whether the
 * key is a payment or a channel is checked once the whole file is read. */
static bool expect_value_parse(const char *v, struct expect_config *e, char *why, size_t whylen)
{
	char buf[sizeof(e->text)];
	char *tok, *save = NULL;

	if (strncmp(v, "alice:", 6) != 0 && strncmp(v, "bob:", 4) != 0) {
		if (!outcome_parse(v, &e->outcome)) {
			put_why(why, whylen, "expected an outcome (settled, failed, refunded or "
				"partial) or balances such as 'alice:0 bob:1btc', got %s", v);
			return false;
		}
		e->is_payment = true;
		return true;
	}
	e->is_payment = false;
	e->has_alice = e->has_bob = false;
	copy_str(buf, sizeof(buf), v);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		bool alice = strncmp(tok, "alice:", 6) == 0;
		bool bob = strncmp(tok, "bob:", 4) == 0;
		const char *amt = alice ? tok + 6 : tok + 4;
		const char *w;
		if (!alice && !bob) {
			put_why(why, whylen, "expected alice:AMOUNT and/or bob:AMOUNT, got %s", tok);
			return false;
		}
		if ((alice && e->has_alice) || (bob && e->has_bob)) {
			put_why(why, whylen, "%s balance given twice", alice ? "alice's" : "bob's");
			return false;
		}
		if (!amount_parse(amt, alice ? &e->alice : &e->bob, &w)) {
			put_why(why, whylen, "%s balance: %s, got %s", alice ? "alice's" : "bob's",
				w, *amt ? amt : "nothing");
			return false;
		}
		if (alice)
			e->has_alice = true;
		else
			e->has_bob = true;
	}
	return true;
}

static int on_expect(struct parser *p, const char *key, const char *value)
{
	struct scenario *s = p->s;
	char why[MSG_MAX];

	if (!id_check(key, why, sizeof(why))) {
		fail(p, p->line, "[expect] %s: not a payment or channel id: %s", key, why);
		return 0;
	}
	for (size_t i = 0; i < s->nexpects; i++) {
		if (strcmp(s->expects[i].key, key) == 0) {
			fail(p, p->line, "[expect] duplicate key '%s' (first on line %d)", key,
			     s->expects[i].line);
			return 0;
		}
	}
	if (s->nexpects == SCN_MAX_EXPECTS) {
		fail(p, p->line, "[expect] %s: too many expectations (at most %d)", key,
		     SCN_MAX_EXPECTS);
		return 0;
	}
	struct expect_config *e = &s->expects[s->nexpects];
	memset(e, 0, sizeof(*e));
	if (*value == '\0') {
		fail(p, p->line, "[expect] %s: missing value", key);
		return 0;
	}
	if (strlen(value) >= sizeof(e->text)) {
		fail(p, p->line, "[expect] %s: value longer than %zu characters", key,
		     sizeof(e->text) - 1);
		return 0;
	}
	if (!expect_value_parse(value, e, why, sizeof(why))) {
		fail(p, p->line, "[expect] %s: %s", key, why);
		return 0;
	}
	copy_str(e->key, sizeof(e->key), key);
	copy_str(e->text, sizeof(e->text), value);
	e->line = p->line;
	s->nexpects++;
	return 1;
}

/* inih's handler: one key = value of the current section. The section
 * inih passes is ignored: read_line tracks sections itself. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	char why[MSG_MAX], list[MSG_MAX];
	int i;

	(void)section;
	if (p->failed)
		return 0;
	if (!p->sec) {
		fail(p, p->line, "key '%s' is outside any section: it must follow a header "
		     "such as [sim] or [channel c1]", name);
		return 0;
	}
	if (*name == '\0') {
		fail(p, p->line, "%s missing key name before '='", p->label);
		return 0;
	}
	if (p->sec->kind == SEC_EXPECT)
		return on_expect(p, name, value);

	i = key_index(p->sec->keys, p->sec->nkeys, name);
	if (i < 0) {
		key_list(p->sec->keys, p->sec->nkeys, list, sizeof(list));
		fail(p, p->line, "%s unknown key '%s': expected %s", p->label, name, list);
		return 0;
	}
	if (p->key_line[i]) {
		fail(p, p->line, "%s %s: duplicate key (first set on line %d)", p->label, name,
		     p->key_line[i]);
		return 0;
	}
	p->key_line[i] = p->line;
	if (!key_apply(&p->sec->keys[i], p->obj, value, why, sizeof(why))) {
		fail(p, p->line, "%s %s: %s", p->label, name, why);
		return 0;
	}
	return 1;
}

/* Look at one line before inih does. Section headers are handled here;
 * a line that is neither blank, a comment, a header nor "key = value"
 * is refused here with a clear message, rather than left to inih, whose
 * Debian build keeps going after a syntax error. */
static bool line_check(struct parser *p, char *buf)
{
	char *start = buf, *q;
	char shown[MSG_MAX];

	/* inih would skip a UTF-8 BOM on line 1; we do it ourselves since
	 * leading whitespace is stripped below. */
	if (p->line == 1 && strncmp(buf, "\xEF\xBB\xBF", 3) == 0)
		start += 3;
	while (*start && isspace((unsigned char)*start))
		start++;
	/* No leading whitespace reaches inih, so an indented line is never
	 * taken for a continuation of the previous value: every line is one
	 * key, one header or nothing. */
	memmove(buf, start, strlen(start) + 1);

	if (buf[0] == '\0' || buf[0] == ';' || buf[0] == '#')
		return true;

	copy_str(shown, sizeof(shown), buf);
	for (q = shown + strlen(shown); q > shown && isspace((unsigned char)q[-1]);)
		*--q = '\0';

	if (buf[0] == '[') {
		char content[MSG_MAX];
		char *close = strchr(buf, ']');
		if (!close) {
			fail(p, p->line, "section header has no closing ']': %s", shown);
			return false;
		}
		for (q = close + 1; *q && isspace((unsigned char)*q); q++)
			;
		if (*q != '\0' && *q != ';' && *q != '#') {
			fail(p, p->line, "unexpected text after ']': %s", shown);
			return false;
		}
		*close = '\0';
		copy_str(content, sizeof(content), buf + 1);
		*close = ']';
		section_begin(p, content);
		return !p->failed;
	}

	/* As inih reads it: the name ends at the first '=' or ':', and an
	 * inline comment starts at a ';' after whitespace. */
	for (q = buf; *q; q++) {
		if (*q == '=')
			return true;
		if (*q == ':') {
			fail(p, p->line, "expected key = value (with '=', not ':'), got %s", shown);
			return false;
		}
		if (*q == ';' && q > buf && isspace((unsigned char)q[-1]))
			break;
	}
	fail(p, p->line, "expected key = value or [section], got %s", shown);
	return false;
}

static int src_getc(struct parser *p)
{
	if (p->f)
		return getc(p->f);
	if (p->text[p->pos] == '\0')
		return EOF;
	return (unsigned char)p->text[p->pos++];
}

/* inih's reader, fgets-like: one physical line per call, so inih's line
 * count and ours agree. num is inih's line buffer size. */
static char *read_line(char *buf, int num, void *stream)
{
	struct parser *p = stream;
	size_t n = 0, max;
	int c;

	if (p->failed || num < 3)
		return NULL;
	max = (size_t)num - 2;  /* room for '\n' and '\0' */
	c = src_getc(p);
	if (c == EOF) {
		if (p->f && ferror(p->f))
			fail(p, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	p->line++;
	for (; c != EOF; c = src_getc(p)) {
		if (c == '\n') {
			buf[n++] = '\n';
			break;
		}
		if (c == '\0') {
			fail(p, p->line, "NUL byte in line: not a text file");
			return NULL;
		}
		if (n == max) {
			fail(p, p->line, "line longer than %zu characters", max);
			return NULL;
		}
		buf[n++] = (char)c;
	}
	if (c == EOF && p->f && ferror(p->f)) {
		fail(p, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	return line_check(p, buf) ? buf : NULL;
}

/* The deferred checks, once every section is known. Each is reported
 * at the line that makes the reference; of several, the earliest wins. */
static void deferred_fail(struct parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void deferred_fail(struct parser *p, int line, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	if (p->first_error_line && p->first_error_line <= line)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->first_error_line = line;
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->name, line, msg);
}

static void check_references(struct parser *p)
{
	const struct scenario *s = p->s;
	char a[AMOUNT_FMT_LEN];

	if (s->nchannels == 0) {
		fail(p, 0, "no [channel ID] section: a scenario needs at least one channel");
		return;
	}
	for (size_t i = 0; i < s->nfaults; i++) {
		const struct fault_config *f = &s->faults[i];
		if (f->channel[0] && !scenario_channel(s, f->channel))
			deferred_fail(p, p->fault_channel_line[i],
				      "[fault %s] channel: no channel '%s' in this file",
				      f->id, f->channel);
	}
	for (size_t i = 0; i < s->nexpects; i++) {
		const struct expect_config *e = &s->expects[i];
		const struct channel_config *ch = scenario_channel(s, e->key);
		const char *what;
		int line;

		if (find_payment(s, e->key)) {
			if (!e->is_payment)
				deferred_fail(p, e->line, "[expect] %s: is a payment: expected an "
					      "outcome (settled, failed, refunded or partial), got %s",
					      e->key, e->text);
			continue;
		}
		if (!ch) {
			if (id_taken(s, e->key, &what, &line))
				deferred_fail(p, e->line, "[expect] %s: is a %s (line %d): "
					      "expectations name payments and channels",
					      e->key, what, line);
			else
				deferred_fail(p, e->line, "[expect] %s: no payment or channel "
					      "'%s' in this file", e->key, e->key);
			continue;
		}
		if (e->is_payment) {
			deferred_fail(p, e->line, "[expect] %s: is a channel: expected balances "
				      "such as 'alice:0 bob:1btc', got %s", e->key, e->text);
			continue;
		}
		/* Invariant 1: alice + bob + in flight = capacity, so a balance
		 * above it can never be observed. */
		struct amount_msat sum = amount_msat(0);
		bool fits = (!e->has_alice || amount_add(&sum, sum, e->alice)) &&
			    (!e->has_bob || amount_add(&sum, sum, e->bob));
		if (!fits || amount_less(ch->capacity, sum))
			deferred_fail(p, e->line, "[expect] %s: balances exceed the channel's "
				      "capacity %s, got %s", e->key,
				      amount_fmt(ch->capacity, a), e->text);
	}
	if (p->first_error_line)
		p->failed = true;
}

void scenario_defaults(struct scenario *s)
{
	memset(s, 0, sizeof(*s));
	s->seed = 1;
	s->block_interval_us = US_PER_S;
	s->time_scale = 1.0;
	s->bob.hold_us = BOB_DEFAULT_HOLD_US;
	s->bob.final_cltv_delta = BOB_DEFAULT_FINAL_CLTV_DELTA;
	s->bob.behaviour = BOB_HONEST;
	s->alice.behaviour = ALICE_HONEST;
}

/* Parse into a scratch scenario and copy it out only on success, so a
 * failed load leaves *s as it was. */
static int parse(struct parser *p, struct scenario *out)
{
	struct scenario *s = calloc(1, sizeof(*s));
	int ret;

	if (!s) {
		fail(p, 0, "out of memory");
		return -1;
	}
	scenario_defaults(s);
	copy_str(s->path, sizeof(s->path), p->name);
	p->s = s;

	ret = ini_parse_stream(read_line, p, on_key, p);
	if (!p->failed && ret > 0)
		fail(p, ret, "syntax error: expected [section], key = value or a comment");
	else if (!p->failed && ret < 0)
		fail(p, 0, "cannot parse (inih error %d)", ret);
	section_end(p);
	if (!p->failed)
		check_references(p);
	if (p->failed) {
		free(s);
		return -1;
	}
	*out = *s;
	free(s);
	return 0;
}

int scenario_load(const char *path, struct scenario *s, char *err, size_t errlen)
{
	struct parser p = { .name = path, .err = err, .errlen = errlen };
	int ret;

	p.f = fopen(path, "r");
	if (!p.f) {
		fail(&p, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	ret = parse(&p, s);
	fclose(p.f);
	return ret;
}

int scenario_parse_string(const char *name, const char *text, struct scenario *s,
			  char *err, size_t errlen)
{
	struct parser p = { .name = name, .err = err, .errlen = errlen, .text = text };

	return parse(&p, s);
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

	channel_defaults(&t);
	if (!spec || !*spec) {
		put_why(why, whylen, "empty channel spec: expected e.g. 1btc or capacity=1btc,delay=20ms");
		return false;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *key, *value, *eq;

		if (len >= sizeof(item)) {
			put_why(why, whylen, "item %u longer than %zu characters", index + 1,
				sizeof(item) - 1);
			return false;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		key = trim(item);
		eq = strchr(key, '=');
		if (*key == '\0') {
			put_why(why, whylen, "empty item %u: expected key=value", index + 1);
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
			put_why(why, whylen, "expected key=value, got %s", key);
			return false;
		}

		if (strcmp(key, "id") == 0) {
			if (seen_id) {
				put_why(why, whylen, "id given twice");
				return false;
			}
			if (!id_check(value, w, sizeof(w))) {
				put_why(why, whylen, "id: %s", w);
				return false;
			}
			copy_str(t.id, sizeof(t.id), value);
			seen_id = true;
		} else {
			int i = key_index(channel_keys, NKEYS(channel_keys), key);
			if (i < 0) {
				key_list(channel_keys, NKEYS(channel_keys), list, sizeof(list));
				put_why(why, whylen, "unknown key '%s': expected id, %s", key, list);
				return false;
			}
			if (seen[i]) {
				put_why(why, whylen, "%s given twice", key);
				return false;
			}
			seen[i] = true;
			if (!key_apply(&channel_keys[i], &t, value, w, sizeof(w))) {
				put_why(why, whylen, "%s: %s", key, w);
				return false;
			}
		}
		index++;
		if (!comma)
			break;
		p = comma + 1;
	}

	const char *key = NULL;
	int cap = key_index(channel_keys, NKEYS(channel_keys), "capacity");
	int alice = key_index(channel_keys, NKEYS(channel_keys), "alice");
	if (!channel_check(&t, seen[cap], seen[alice], &key, w, sizeof(w))) {
		put_why(why, whylen, "%s: %s", key, w);
		return false;
	}
	*c = t;
	return true;
}

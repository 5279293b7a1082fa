/* The scenario file parser (format: docs/scenarios.md).
 *
 * libinih splits lines into sections and key = value pairs, but the
 * Debian build calls the handler without line numbers and only for keys,
 * never for a section header. So this file hands inih its own line reader:
 * the reader counts lines, looks at every section header itself (so an
 * empty "[channel c1]" or a malformed header is seen where it is written),
 * and refuses lines inih would treat as syntax errors, so that every
 * message carries FILE:LINE and names what was expected: unknown sections
 * or keys, bad units, negative or overflowing amounts, probabilities
 * outside [0,1] and references to channels that do not exist all exit 2
 * with FILE:LINE: message (docs/scenarios.md, "Errors"). The first error
 * stops the parse. */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_rules.h"
#include "proto_limits.h"
#include "scenario_keys.h"
#include "units.h"

/* ------------------------------------------------------------------ */
/* The parser */

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

	/* where each fault's "channel =" and "action =" were, for the checks at the end */
	int fault_channel_line[SCN_MAX_FAULTS], fault_action_line[SCN_MAX_FAULTS];
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
	int i = scn_key_index(p->sec->keys, p->sec->nkeys, key);
	return i < 0 ? 0 : p->key_line[i];
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
		if (!scn_channel_check(c, sec_key_line(p, "capacity") != 0,
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
			/* ignored, so that a grid over modes can include single */
			scenario_single_shards(p->s, p->name, sec_key_line(p, "shards"), p->label,
					       &pay->shards);
		}
		break;
	}
	case SEC_WORKLOAD: {
		struct workload_config *w = p->obj;
		char last[SCN_ID_MAX + 16];
		snprintf(last, sizeof(last), "%s-%u", w->id, w->count);
		if (!sec_key_line(p, "count")) {
			fail(p, p->sec_line, "%s count: missing: how many payments (1..%d)",
			     p->label, WORKLOAD_MAX_COUNT);
		} else if (!sec_key_line(p, "arrival")) {
			fail(p, p->sec_line, "%s arrival: missing: every:DURATION or poisson:RATE/s",
			     p->label);
		} else if (!sec_key_line(p, "amount")) {
			fail(p, p->sec_line, "%s amount: missing: AMOUNT, uniform:MIN,MAX or "
			     "lognormal:MEDIAN,SIGMA", p->label);
		} else if (strlen(last) >= SCN_ID_MAX) {
			fail(p, p->sec_line, "%s: its payments' ids (up to %s) would be longer than %d "
			     "characters: use a shorter id", p->label, last, SCN_ID_MAX - 1);
		} else if (w->nmodes == 1 && w->modes[0].mode == PAY_SINGLE && w->shards > 1) {
			scenario_single_shards(p->s, p->name, sec_key_line(p, "shards"), p->label,
					       &w->shards);
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
		p->fault_action_line[p->s->nfaults - 1] = action_line;
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
			     p->label, scn_duration_fmt(f->at_us, at), scn_duration_fmt(f->until_us, until));
		}
		break;
	}
	}
}

/* The header's words: the section's definition and (*idp) its id,
 * checked; NULL after failing. */
static const struct section_def *section_header(struct parser *p, char *content, char **idp)
{
	struct scenario *s = p->s;
	char *word = content, *id, *end;
	const struct section_def *def = NULL;
	char why[MSG_MAX];

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
		if (strcmp(scn_sections[i].name, word) == 0)
			def = &scn_sections[i];
	if (!def) {
		fail(p, p->line, "unknown section [%s]: expected [sim], [bob], [alice], "
		     "[channel ID], [payment ID], [workload ID], [fault ID] or [expect]", word);
		return NULL;
	}
	if (def->has_id && !*id) {
		fail(p, p->line, "[%s] needs an id, e.g. [%s %c1]", word, word, word[0]);
		return NULL;
	}
	if (!def->has_id && *id) {
		fail(p, p->line, "[%s] takes no id, got '%s'", word, id);
		return NULL;
	}
	if (def->has_id) {
		const char *what;
		int line;
		if (!scn_id_check(id, why, sizeof(why))) {
			fail(p, p->line, "[%s %s] %s", word, id, why);
			return NULL;
		}
		if (scenario_id_owner(s, id, &what, &line)) {
			fail(p, p->line, "[%s %s] duplicate id: '%s' is already [%s %s] on line %d",
			     word, id, id, what, id, line);
			return NULL;
		}
	} else if (p->singleton_line[def->kind]) {
		fail(p, p->line, "duplicate section [%s] (first on line %d)", word,
		     p->singleton_line[def->kind]);
		return NULL;
	}

	*idp = id;
	return def;
}

/* One more section of a kind that repeats ([channel ID] ...): its slot in
 * the scenario, or NULL after failing (too many). */
static void *next_slot(struct parser *p, const char *word, const char *id, void *array,
		       size_t size, size_t *n, size_t max)
{
	if (*n == max) {
		fail(p, p->line, "[%s %s] too many %ss (at most %zu)", word, id, word, max);
		return NULL;
	}
	return (char *)array + size * (*n)++;
}

/* The section's object, with its defaults (NULL for [expect]); false
 * after failing. */
static bool section_object(struct parser *p, const struct section_def *def, const char *id)
{
	struct scenario *s = p->s;
	const char *w = def->name;
	switch (def->kind) {
	case SEC_SIM:
	case SEC_BOB:
	case SEC_ALICE:
		p->obj = s;
		return true;
	case SEC_EXPECT:
		p->obj = NULL;
		return true;
	case SEC_CHANNEL:
		p->obj = next_slot(p, w, id, s->channels, sizeof(s->channels[0]), &s->nchannels,
				   SCN_MAX_CHANNELS);
		break;
	case SEC_PAYMENT:
		p->obj = next_slot(p, w, id, s->payments, sizeof(s->payments[0]), &s->npayments,
				   SCN_MAX_PAYMENTS);
		break;
	case SEC_WORKLOAD:
		p->obj = next_slot(p, w, id, s->workloads, sizeof(s->workloads[0]),
				   &s->nworkloads, SCN_MAX_WORKLOADS);
		break;
	case SEC_FAULT:
		p->obj = next_slot(p, w, id, s->faults, sizeof(s->faults[0]), &s->nfaults,
				   SCN_MAX_FAULTS);
		break;
	}
	if (p->obj)
		scn_section_init(def->kind, p->obj, id, p->line);
	return p->obj != NULL;
}

/* "[channel c1]": open a new section. content is what lies between the
 * brackets. */
static void section_begin(struct parser *p, char *content)
{
	char *id;
	section_end(p);
	if (p->failed)
		return;
	const struct section_def *def = section_header(p, content, &id);
	if (!def || !section_object(p, def, id))
		return;
	const char *word = def->name;
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

static int on_expect(struct parser *p, const char *key, const char *value)
{
	struct scenario *s = p->s;
	char why[MSG_MAX];

	if (!scn_id_check(key, why, sizeof(why))) {
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
	if (!scn_expect_value_parse(value, e, why, sizeof(why))) {
		fail(p, p->line, "[expect] %s: %s", key, why);
		return 0;
	}
	scn_copy_str(e->key, sizeof(e->key), key);
	scn_copy_str(e->text, sizeof(e->text), value);
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

	i = scn_key_index(p->sec->keys, p->sec->nkeys, name);
	if (i < 0) {
		scn_key_list(p->sec->keys, p->sec->nkeys, list, sizeof(list));
		fail(p, p->line, "%s unknown key '%s': expected %s", p->label, name, list);
		return 0;
	}
	if (p->key_line[i]) {
		fail(p, p->line, "%s %s: duplicate key (first set on line %d)", p->label, name,
		     p->key_line[i]);
		return 0;
	}
	p->key_line[i] = p->line;
	if (!scn_key_apply(&p->sec->keys[i], p->obj, value, why, sizeof(why))) {
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

	scn_copy_str(shown, sizeof(shown), buf);
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
		scn_copy_str(content, sizeof(content), buf + 1);
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
	char a[AMOUNT_FMT_LEN], msg[MSG_MAX];

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
	size_t bad;	/* the message rules (fault_rules.c) */
	if (!fault_rules_check(s, &bad, msg, sizeof(msg)))
		deferred_fail(p, p->fault_action_line[bad], "%s", msg);
	/* a workload's payments are named ID-1 ... ID-N: no other section may
	 * take one of those names */
	for (size_t i = 0; i < s->npayments + s->nchannels + s->nfaults; i++) {
		size_t k = i < s->npayments ? i : i < s->npayments + s->nchannels
				? i - s->npayments : i - s->npayments - s->nchannels;
		const char *what = i < s->npayments ? "payment"
				   : i < s->npayments + s->nchannels ? "channel" : "fault";
		const char *id = i < s->npayments ? s->payments[k].id
				 : i < s->npayments + s->nchannels ? s->channels[k].id : s->faults[k].id;
		int line = i < s->npayments ? s->payments[k].line
			   : i < s->npayments + s->nchannels ? s->channels[k].line : s->faults[k].line;
		const struct workload_config *wl = scenario_workload_of(s, id);
		if (wl)
			deferred_fail(p, line, "[%s %s]: the id is taken by a payment of [workload %s] "
				      "(line %d), which names its payments %s-1 ... %s-%u", what, id,
				      wl->id, wl->line, wl->id, wl->id, wl->count);
	}
	for (size_t i = 0; i < s->nexpects; i++) {
		const struct expect_config *e = &s->expects[i];
		const struct channel_config *ch = scenario_channel(s, e->key);
		const char *what;
		int line;

		if (scenario_payment(s, e->key)) {
			if (!e->is_payment || e->is_share)
				deferred_fail(p, e->line, "[expect] %s: is a payment: expected an "
					      "outcome (settled, failed, refunded or partial), got %s",
					      e->key, e->text);
			continue;
		}
		if (scenario_workload(s, e->key)) {
			if (!e->is_share)
				deferred_fail(p, e->line, "[expect] %s: is a workload: expected a share "
					      "of its payments such as 'settled >= 95%%', got %s",
					      e->key, e->text);
			continue;
		}
		if (e->is_share) {
			deferred_fail(p, e->line, "[expect] %s: no workload '%s' in this file (a "
				      "share such as 'settled >= 95%%' is for a workload)", e->key,
				      e->key);
			continue;
		}
		if (!ch) {
			if (scenario_id_owner(s, e->key, &what, &line))
				deferred_fail(p, e->line, "[expect] %s: is a %s (line %d): "
					      "expectations name payments, workloads and channels",
					      e->key, what, line);
			else
				deferred_fail(p, e->line, "[expect] %s: no payment or channel "
					      "'%s' in this file (nor a workload)", e->key, e->key);
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
	s->processes = 2;
	s->clock = SIM_CLOCK_VIRTUAL;
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
	scn_copy_str(s->path, sizeof(s->path), p->name);
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

/* ampsim run: what the daemons report, merged events, expectations. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "events.h"
#include "log.h"
#include "rpc.h"
#include "rpc_client.h"
#include "run.h"
#include "spawn.h"
#include "units.h"

void fmt_msat(char *buf, size_t n, uint64_t msat)
{
	char tmp[AMOUNT_FMT_LEN];
	snprintf(buf, n, "%s", amount_fmt(amount_msat(msat), tmp));
}


json_t *view(json_t *c)
{
	json_t *v = json_object();
	const char *keys[] = { "alice_msat", "bob_msat", "inflight_msat" };
	for (int i = 0; i < 3; i++)
		json_object_set(v, keys[i], c ? json_object_get(c, keys[i]) : json_null());
	return v;
}


bool same_view(json_t *a, json_t *b)
{
	return json_equal(a, b);
}


/* The events the summary reads (workload_summary, run_metrics): a run
 * that writes no --events or --timeline parses only these lines. */
static const char *const summary_events[] = {
	"payment_started", "payment_outcome", "htlc_offered", "htlc_fulfilled", "htlc_failed",
	"htlc_refunded", "message_dropped", "message_duplicated", "onchain_claim_sent",
	"onchain_refund_sent",
};

bool tally_wants(const char *e, size_t n)
{
	for (size_t i = 0; i < sizeof(summary_events) / sizeof(summary_events[0]); i++)
		if (strlen(summary_events[i]) == n && memcmp(summary_events[i], e, n) == 0)
			return true;
	return false;
}

static bool wanted(const char *line)
{
	size_t n;
	const char *e = evline_name(line, &n);
	return !e || tally_wants(e, n);   /* not as written: let the parser judge */
}

/* Every line of bob's event log, then alice's. */
static void each_line(const struct run *r, void (*fn)(const char *line, void *arg), void *arg)
{
	const char *files[2] = { r->bob_events, r->alice_events };
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");
		if (!f)
			continue;
		char *line = NULL;
		size_t cap = 0;
		while (getline(&line, &cap, f) > 0)
			fn(line, arg);
		free(line);
		fclose(f);
	}
}

static void tally_line(const char *line, void *arg)
{
	struct ev_tally *t = arg;
	if (!wanted(line)) {
		tally_time(t, evline_t_ms(line));
		return;
	}
	json_t *ev = json_loads(line, 0, NULL);
	if (ev)
		tally_event(t, ev);
	json_decref(ev);
}

void tally_files(const struct run *r, struct ev_tally *t)
{
	each_line(r, tally_line, t);
}

/* A line of either log, parsed, with its place in the files. */
struct read_event {
	json_t *ev;
	char *line;           /* as written, without its newline */
	double t_ms;
	size_t seq;
};

struct collect {
	struct read_event *v;
	size_t n, cap;
};

static void collect_line(const char *line, void *arg)
{
	struct collect *c = arg;
	json_t *ev = json_loads(line, 0, NULL);
	if (!ev)
		return;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	struct read_event *x = &c->v[c->n];
	x->ev = ev;
	x->line = xstrdup(line);
	x->line[strcspn(x->line, "\n")] = '\0';
	x->t_ms = json_number_value(json_object_get(ev, "t_ms"));
	x->seq = c->n++;
}

static int event_cmp(const void *x, const void *y)
{
	const struct read_event *a = x, *b = y;
	if (a->t_ms != b->t_ms)
		return a->t_ms < b->t_ms ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void merge_events(const struct run *r, struct merged_events *m)
{
	struct collect c = { NULL, 0, 0 };
	each_line(r, collect_line, &c);
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), event_cmp);
	m->events = json_array();
	m->lines = xcalloc(c.n ? c.n : 1, sizeof(*m->lines));
	m->n = c.n;
	for (size_t i = 0; i < c.n; i++) {
		json_array_append_new(m->events, c.v[i].ev);
		m->lines[i] = c.v[i].line;
	}
	free(c.v);
}

void merged_events_free(struct merged_events *m)
{
	json_decref(m->events);
	for (size_t i = 0; i < m->n; i++)
		free(m->lines[i]);
	free(m->lines);
	memset(m, 0, sizeof(*m));
}

bool write_events(const struct merged_events *m, const char *path)
{
	FILE *f = private_fopen(path);
	if (!f)
		return false;
	/* the lines as the logs hold them (evline_format's), in time order */
	for (size_t i = 0; i < m->n; i++)
		fprintf(f, "%s\n", m->lines[i]);
	return fclose(f) == 0;
}


bool channel_expect_holds(const struct expect_config *x, json_t *av, json_t *bv)
{
	for (int k = 0; k < 2; k++) {
		json_t *v = k == 0 ? av : bv;
		if (x->has_alice && (uint64_t)json_integer_value(json_object_get(v, "alice_msat")) !=
					    x->alice.millisatoshis)
			return false;
		if (x->has_bob && (uint64_t)json_integer_value(json_object_get(v, "bob_msat")) !=
					  x->bob.millisatoshis)
			return false;
	}
	return true;
}


/* ---- the text summary's tables: one unit per table ---- */

enum amt_unit { UNIT_BTC, UNIT_SAT, UNIT_MSAT };

/* The unit of a table: btc when its largest amount is at least 0.01 btc
 * (exact decimals down to the msat), else sat when every amount is whole
 * sats, else msat. */
static enum amt_unit unit_pick(const uint64_t *v, size_t n)
{
	uint64_t max = 0;
	bool whole_sat = true;
	for (size_t i = 0; i < n; i++) {
		if (v[i] > max)
			max = v[i];
		if (v[i] % MSAT_PER_SAT)
			whole_sat = false;
	}
	if (max >= MSAT_PER_BTC / 100)
		return UNIT_BTC;
	return whole_sat ? UNIT_SAT : UNIT_MSAT;
}

static void fmt_in(char *buf, size_t n, uint64_t m, enum amt_unit u)
{
	if (m == 0) {
		snprintf(buf, n, "0");
		return;
	}
	switch (u) {
	case UNIT_BTC: {
		char frac[16];
		snprintf(frac, sizeof(frac), "%011llu", (unsigned long long)(m % MSAT_PER_BTC));
		size_t k = strlen(frac);
		while (k > 0 && frac[k - 1] == '0')
			frac[--k] = '\0';
		snprintf(buf, n, "%llu%s%sbtc", (unsigned long long)(m / MSAT_PER_BTC), k ? "." : "",
			 frac);
		return;
	}
	case UNIT_SAT:
		snprintf(buf, n, "%llusat", (unsigned long long)(m / MSAT_PER_SAT));
		return;
	case UNIT_MSAT:
		snprintf(buf, n, "%llumsat", (unsigned long long)m);
		return;
	}
}

/* The widest of a table's amounts in its unit: the column's width. */
static int unit_width(const uint64_t *v, size_t n, enum amt_unit u)
{
	int w = 8;
	for (size_t i = 0; i < n; i++) {
		char b[40];
		fmt_in(b, sizeof(b), v[i], u);
		if ((int)strlen(b) > w)
			w = (int)strlen(b);
	}
	return w;
}

static uint64_t u64_of(json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

/* Every amount of a table, for its unit. */
struct amounts {
	uint64_t *v;
	size_t n, cap;
};

static void amounts_add(struct amounts *a, uint64_t m)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = m;
}

void print_payments(json_t *jp)
{
	if (!json_object_size(jp))
		return;
	struct amounts all = { 0 };
	const char *k;
	json_t *o;
	json_object_foreach(jp, k, o) {
		amounts_add(&all, u64_of(o, "amount_msat"));
		size_t i;
		json_t *pt;
		json_array_foreach(json_object_get(o, "parts"), i, pt)
			amounts_add(&all, u64_of(pt, "amount_msat"));
	}
	enum amt_unit u = unit_pick(all.v, all.n);
	int w = unit_width(all.v, all.n, u);
	free(all.v);
	printf("payments\n");
	json_object_foreach(jp, k, o) {
		char amt[40];
		fmt_in(amt, sizeof(amt), u64_of(o, "amount_msat"), u);
		printf("  %-10s %-8s %-*s %-9s", k, json_string_value(json_object_get(o, "mode")), w, amt,
		       json_string_value(json_object_get(o, "outcome")));
		size_t i;
		json_t *pt;
		json_array_foreach(json_object_get(o, "parts"), i, pt) {
			fmt_in(amt, sizeof(amt), u64_of(pt, "amount_msat"), u);
			printf("%s%s %s %s%s", i ? ", " : " parts: ",
			       json_string_value(json_object_get(pt, "channel")), amt,
			       json_string_value(json_object_get(pt, "result")),
			       json_is_true(json_object_get(pt, "onchain")) ? " on chain" : "");
		}
		const char *outcome = json_string_value(json_object_get(o, "outcome"));
		if (json_object_get(o, "why") && strcmp(outcome, outcome_name(OUTCOME_SETTLED)) != 0)
			printf("\n             why: %s", json_string_value(json_object_get(o, "why")));
		printf("\n");
	}
}

void print_channels(json_t *jc, json_t *transit)
{
	static const char *const keys[] = { "alice_msat", "bob_msat", "inflight_msat" };
	struct amounts all = { 0 };
	const char *k;
	json_t *o;
	json_object_foreach(jc, k, o) {
		amounts_add(&all, u64_of(o, "capacity_msat"));
		for (int v = 0; v < 2; v++)
			for (int j = 0; j < 3; j++)
				amounts_add(&all, u64_of(json_object_get(o, v ? "bob_view" : "alice_view"),
							 keys[j]));
	}
	enum amt_unit u = unit_pick(all.v, all.n);
	int w = unit_width(all.v, all.n, u);
	free(all.v);
	printf("channels (as alice sees them | as bob sees them)\n");
	json_object_foreach(jc, k, o) {
		char cap[40], x[2][3][40];
		json_t *views[2] = { json_object_get(o, "alice_view"), json_object_get(o, "bob_view") };
		bool known[2];
		fmt_in(cap, sizeof(cap), u64_of(o, "capacity_msat"), u);
		for (int v = 0; v < 2; v++) {
			known[v] = !json_is_null(json_object_get(views[v], "alice_msat"));
			for (int j = 0; j < 3; j++)
				fmt_in(x[v][j], sizeof(x[v][j]), u64_of(views[v], keys[j]), u);
		}
		if (!known[0]) {
			printf("  %-10s capacity %-*s alice's view unknown (not answering) | ", k, w, cap);
			if (!known[1])
				printf("bob's view unknown\n");
			else
				printf("bob: alice %s bob %s in flight %s\n", x[1][0], x[1][1], x[1][2]);
			continue;
		}
		printf("  %-10s capacity %-*s alice %-*s bob %-*s in flight %-*s | ", k, w, cap, w,
		       x[0][0], w, x[0][1], w > 8 ? w : 6, x[0][2]);
		if (!known[1]) {
			printf("bob's view unknown (not answering)\n");
			continue;
		}
		if (json_is_true(json_object_get(o, "agree"))) {
			printf("same\n");
			continue;
		}
		printf("alice %s bob %s in flight %s", x[1][0], x[1][1], x[1][2]);
		if (!transit_on_channel(transit, k)) {
			printf("  DISAGREE\n");
			continue;
		}
		/* not a disagreement: what would make the views one is on its way */
		size_t i;
		json_t *m;
		const char *sep = "  (still on its way: ";
		json_array_foreach(transit, i, m) {
			if (strcmp(json_string_value(json_object_get(m, "channel")), k) != 0)
				continue;
			json_t *h = json_object_get(m, "htlc");
			printf("%s%s", sep, json_string_value(json_object_get(m, "message")));
			if (h)
				printf(" #%lld", (long long)json_integer_value(h));
			printf(" to %s", json_string_value(json_object_get(m, "to")));
			sep = ", ";
		}
		printf(")\n");
	}
	transit_print(transit);
}

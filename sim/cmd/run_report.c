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


static int event_cmp(const void *x, const void *y)
{
	json_t *const *a = x, *const *b = y;
	double ta = json_number_value(json_object_get(*a, "t_ms"));
	double tb = json_number_value(json_object_get(*b, "t_ms"));
	if (ta != tb)
		return ta < tb ? -1 : 1;
	json_int_t sa = json_integer_value(json_object_get(*a, "_seq"));
	json_int_t sb = json_integer_value(json_object_get(*b, "_seq"));
	return sa < sb ? -1 : sa > sb;
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
	const char *e = strstr(line, "\"event\":\"");
	if (!e)
		return true;                  /* not as written: let the parser judge */
	e += 9;
	return tally_wants(e, strcspn(e, "\""));
}

/* A line's t_ms without parsing it (events are written t_ms first). */
static double line_t_ms(const char *line)
{
	const char *t = strstr(line, "\"t_ms\":");
	return t ? strtod(t + 7, NULL) : 0;
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
		tally_time(t, line_t_ms(line));
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

struct collect {
	json_t *all;
	json_int_t seq;
};

static void collect_line(const char *line, void *arg)
{
	struct collect *c = arg;
	json_t *ev = json_loads(line, 0, NULL);
	if (ev) {
		json_object_set_new(ev, "_seq", json_integer(c->seq++));
		json_array_append_new(c->all, ev);
	}
}

json_t *merge_events(const struct run *r)
{
	struct collect c = { json_array(), 0 };
	each_line(r, collect_line, &c);
	json_t *all = c.all;
	size_t n = json_array_size(all);
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(all, i));
	qsort(v, n, sizeof(*v), event_cmp);
	json_t *sorted = json_array();
	for (size_t i = 0; i < n; i++) {
		json_object_del(v[i], "_seq");
		json_array_append_new(sorted, v[i]);
	}
	free(v);
	json_decref(all);
	return sorted;
}


bool write_events(json_t *events, const char *path)
{
	FILE *f = private_fopen(path);
	if (!f)
		return false;
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fprintf(f, "%s\n", s);
		free(s);
	}
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


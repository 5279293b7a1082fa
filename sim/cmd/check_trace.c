/* ampsim check's counterexample (check_trace.h). */
#include "check_trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "world_hand.h"

static void add_rule(struct check_trace *tr, struct check_rule r)
{
	if (tr->n == tr->cap) {
		tr->cap = tr->cap ? 2 * tr->cap : 16;
		tr->v = xrealloc(tr->v, tr->cap * sizeof(*tr->v));
	}
	tr->v[tr->n++] = r;
}

static void ms(char *buf, size_t n, uint64_t us)
{
	if (us % 1000 == 0)
		snprintf(buf, n, "%llums", (unsigned long long)(us / 1000));
	else
		snprintf(buf, n, "%lluus", (unsigned long long)us);
}

static const char *chan_name(const struct scenario *s, size_t chan)
{
	return chan < s->nchannels ? s->channels[chan].id : "?";
}

/* "update_add_htlc (add #1 on c1, alice to bob)" */
static void item_words(const struct scenario *s, const struct world_item *it, char *buf, size_t n)
{
	snprintf(buf, n, "%s (%s #%u on %s, %s to %s)", it->msg_name, msg_kind_name(it->kind), it->nth,
		 chan_name(s, it->chan), it->from == WORLD_ALICE ? "alice" : "bob",
		 it->from == WORLD_ALICE ? "bob" : "alice");
}

/* The timers of an instant in words, on one line. */
static void timer_words(struct world *w, uint64_t t, char *buf, size_t n)
{
	char labels[1024];
	world_labels(w, t, labels, sizeof(labels));
	size_t used = 0;
	buf[0] = '\0';
	for (char *line = strtok(labels, "\n"); line && used < n; line = strtok(NULL, "\n")) {
		while (*line == ' ')
			line++;
		int k = snprintf(buf + used, n - used, "%s%s", used ? "; " : "", line);
		if (k > 0)
			used += (size_t)k;
	}
	if (!buf[0])
		snprintf(buf, n, "the scenario's next payment starts");
}

static void step_words(const struct scenario *s, struct xrun *r, xchoice c, char *buf, size_t n,
		       struct check_trace *tr)
{
	struct world *w = xrun_world(r);
	char at[32], sent[32], what[200];
	struct world_item it;
	enum xchoice_kind k = XCHOICE_KIND(c);
	if (k != XC_TIME && k != XC_DISCONNECT)
		world_item(w, XCHOICE_ITEM(c), &it);
	if (k != XC_TIME && k != XC_DISCONNECT)
		item_words(s, &it, what, sizeof(what));
	struct check_rule rule = { 0 };
	if (k != XC_TIME && k != XC_DISCONNECT)
		rule = (struct check_rule){ it.chan, it.from == WORLD_BOB, it.kind, it.nth, CR_DROP, 0, 0 };
	switch (k) {
	case XC_TIME: {
		uint64_t t = xrun_next_time(r);
		char words[900];
		timer_words(w, t, words, sizeof(words));
		ms(at, sizeof(at), t);
		snprintf(buf, n, "at %s: %s", at, words);
		return;
	}
	case XC_DELIVER: {
		uint64_t t = it.lo > world_now(w) ? it.lo : world_now(w);
		ms(at, sizeof(at), t);
		ms(sent, sizeof(sent), it.sent);
		snprintf(buf, n, "at %s: %s, sent at %s, arrives", at, what, sent);
		rule.what = CR_DELAY;
		rule.delay_us = t - it.sent;
		break;
	}
	case XC_DROP:
		ms(at, sizeof(at), world_now(w));
		snprintf(buf, n, "at %s: %s is lost (a fault)", at, what);
		break;
	case XC_DUPLICATE:
		ms(at, sizeof(at), world_now(w));
		snprintf(buf, n, "at %s: %s will arrive twice (a fault)", at, what);
		rule.what = CR_DUPLICATE;
		break;
	case XC_DISCONNECT:
		ms(at, sizeof(at), world_now(w));
		snprintf(buf, n, "at %s: the connection is cut (a fault): what was on its way is lost, "
			 "alice reconnects after her backoff", at);
		rule.what = CR_DISCONNECT;
		rule.at_us = world_now(w);
		break;
	case XC_CRASH:
		snprintf(buf, n, "a crash");
		return;
	}
	/* a duplicated message's second delivery: the duplicate rule's :D */
	if (rule.what == CR_DELAY) {
		struct check_rule *delay = NULL, *dup = NULL;
		for (size_t i = 0; i < tr->n; i++) {
			struct check_rule *o = &tr->v[i];
			if (o->chan == rule.chan && o->to_alice == rule.to_alice && o->kind == rule.kind &&
			    o->nth == rule.nth) {
				delay = o->what == CR_DELAY ? o : delay;
				dup = o->what == CR_DUPLICATE ? o : dup;
			}
		}
		if (delay && dup && !dup->has_delay) {
			dup->has_delay = true;
			dup->delay_us = rule.delay_us;
		}
		if (delay)
			return;
	}
	add_rule(tr, rule);
}

void check_trace_replay(const struct scenario *s, const xchoice *path, size_t n, FILE *f,
			struct check_trace *tr)
{
	memset(tr, 0, sizeof(*tr));
	struct xrun *r = xrun_new(s, NULL);
	char line[1200], prev[1200] = "";
	size_t first = 0, same = 0;
	for (size_t i = 0; i < n; i++) {
		step_words(s, r, path[i], line, sizeof(line), tr);
		xrun_apply(r, path[i]);
		/* a run of blocks and nothing else: one line */
		bool blocks = XCHOICE_KIND(path[i]) == XC_TIME && strstr(line, ": block ") &&
			      !strstr(line, "reaches") && !strstr(line, "hold") && !strstr(line, "payment");
		if (i + 1 == n)
			blocks = false;   /* the last step is shown as it is */
		if (blocks && same) {
			same++;
			continue;
		}
		if (same > 1)
			fprintf(f, "  %zu-%zu. ... and so on: %zu blocks, nothing else happens\n", first + 1,
				first + same, same);
		else if (same == 1)
			fprintf(f, "  %zu. %s\n", first + 1, prev);
		same = 0;
		if (blocks) {
			first = i;
			same = 1;
			snprintf(prev, sizeof(prev), "%s", line);
			continue;
		}
		fprintf(f, "  %zu. %s\n", i + 1, line);
	}
	if (same > 1)
		fprintf(f, "  %zu-%zu. ... %zu blocks, nothing else happens\n", first + 1, first + same,
			same);
	else if (same == 1)
		fprintf(f, "  %zu. %s\n", first + 1, prev);
	xrun_free(r);
}

/* The scenario file as written, less what the links draw at random (the
 * rules fix each message's fate instead) and less its expectations. */
static bool copy_scenario(const struct scenario *s, FILE *out, char *err, size_t n)
{
	FILE *in = fopen(s->path, "r");
	if (!in) {
		snprintf(err, n, "%s: %s", s->path, strerror(errno));
		return false;
	}
	static const char *random_keys[] = { "jitter", "jitter_dist", "drop", "duplicate" };
	char line[4096], section[64] = "";
	while (fgets(line, sizeof(line), in)) {
		const char *p = line + strspn(line, " \t");
		if (*p == '[') {
			snprintf(section, sizeof(section), "%.*s", (int)strcspn(p + 1, " ]\n"), p + 1);
		}
		if (strcmp(section, "expect") == 0)
			continue;
		size_t klen = strcspn(p, " \t=");
		bool skip = false;
		for (size_t i = 0; strcmp(section, "channel") == 0 && i < 4; i++)
			if (klen == strlen(random_keys[i]) && strncmp(p, random_keys[i], klen) == 0)
				skip = true;
		if (strcmp(section, "sim") == 0 && klen == 9 && strncmp(p, "processes", 9) == 0)
			skip = true;
		if (!skip)
			fputs(line, out);
	}
	fclose(in);
	return true;
}

/* r's message was both duplicated and dropped (one of its two copies):
 * no rule file can say both of one message, and it comes to one arrival. */
static bool dup_dropped(const struct check_trace *tr, const struct check_rule *r)
{
	bool drop = false, dup = false;
	for (size_t i = 0; i < tr->n; i++) {
		const struct check_rule *o = &tr->v[i];
		if (o->chan == r->chan && o->to_alice == r->to_alice && o->kind == r->kind &&
		    o->nth == r->nth) {
			drop |= o->what == CR_DROP;
			dup |= o->what == CR_DUPLICATE;
		}
	}
	return drop && dup;
}

static void write_rule(FILE *f, const struct scenario *s, const struct check_rule *r, size_t i)
{
	char d[32];
	fprintf(f, "\n[fault x%zu]\n", i + 1);
	if (r->what == CR_DISCONNECT) {
		ms(d, sizeof(d), r->at_us);
		fprintf(f, "at = %s\naction = disconnect\n", d);
		return;
	}
	fprintf(f, "at = 0ms\nchannel = %s\ndirection = %s\n", chan_name(s, r->chan),
		r->to_alice ? "to_alice" : "to_bob");
	const char *kind = msg_kind_name(r->kind);
	switch (r->what) {
	case CR_DELAY:
		ms(d, sizeof(d), r->delay_us);
		fprintf(f, "action = delay=%s#%u:%s\n", kind, r->nth, d);
		break;
	case CR_DROP: fprintf(f, "action = drop=%s#%u\n", kind, r->nth); break;
	case CR_DUPLICATE:
		ms(d, sizeof(d), r->delay_us);
		fprintf(f, "action = duplicate=%s#%u%s%s\n", kind, r->nth, r->has_delay ? ":" : "",
			r->has_delay ? d : "");
		break;
	case CR_DISCONNECT: break;
	}
}

bool check_trace_write(const struct scenario *s, const struct check_trace *tr,
		       const struct explore_result *res, const char *out, char *err, size_t n)
{
	FILE *f = fopen(out, "w");
	if (!f) {
		snprintf(err, n, "--counterexample %s: %s", out, strerror(errno));
		return false;
	}
	fprintf(f, "; ampsim check's counterexample to %s: %s\n", res->property, res->what);
	fprintf(f, "; from %s, its links' jitter, loss and duplicates taken out: the rules at the\n"
		"; end fix each message's delay and the faults of the execution found\n", s->path);
	bool ok = copy_scenario(s, f, err, n);
	size_t k = 0;
	for (size_t i = 0; ok && i < tr->n; i++) {
		const struct check_rule *r = &tr->v[i];
		if (r->what == CR_DELAY && r->delay_us == s->channels[r->chan].link.delay_us)
			continue;   /* the base delay: no rule needed */
		if ((r->what == CR_DROP || r->what == CR_DUPLICATE) && dup_dropped(tr, r))
			continue;   /* doubled, then one copy lost: it arrives once */
		write_rule(f, s, r, k++);
	}
	if (fclose(f) != 0 && ok) {
		snprintf(err, n, "--counterexample %s: %s", out, strerror(errno));
		return false;
	}
	return ok;
}

void check_trace_free(struct check_trace *tr)
{
	free(tr->v);
	tr->v = NULL;
	tr->n = 0;
}

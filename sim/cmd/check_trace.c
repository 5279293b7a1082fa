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

static bool same_msg(const struct check_rule *a, const struct check_rule *b)
{
	return a->chan == b->chan && a->to_alice == b->to_alice && a->kind == b->kind &&
	       a->nth == b->nth && a->life == b->life && a->what != CR_DISCONNECT &&
	       a->what != CR_CRASH && b->what != CR_DISCONNECT && b->what != CR_CRASH;
}

/* A message's rule, one per fate: a duplicated message's second delivery
 * is the duplicate rule's :D, not a second delay. */
static void msg_rule(struct check_trace *tr, struct check_rule rule)
{
	if (rule.what == CR_DELAY) {
		struct check_rule *delay = NULL, *dup = NULL;
		for (size_t i = 0; i < tr->n; i++) {
			struct check_rule *o = &tr->v[i];
			if (same_msg(o, &rule)) {
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

static struct check_rule item_rule(struct world *w, const struct world_item *it)
{
	struct check_rule r = { it->chan, it->from == WORLD_BOB, it->kind, it->nth, CR_DROP, 0, 0,
				0, world_generation(w, it->from), it->from };
	if (r.life)
		r.at_us = world_restarted_at(w, it->from);
	return r;
}

/* What a disconnect or a crash loses: a message whose earliest delivery
 * has come is still on its way in the execution found; ampsim run, which
 * delivers what is due before its steps of an instant, is told so by a
 * delay to its latest delivery. */
static void lost_rules(struct world *w, struct check_trace *tr)
{
	struct world_item it;
	for (size_t i = 0; i < world_items(w); i++) {
		world_item(w, i, &it);
		if (it.lo > world_now(w) || it.pinned)
			continue;
		struct check_rule r = item_rule(w, &it);
		r.what = CR_DELAY;
		r.delay_us = it.hi - it.sent;
		msg_rule(tr, r);
	}
}

static void fault_words(struct world *w, xchoice c, char *buf, size_t n, struct check_trace *tr)
{
	char at[32];
	ms(at, sizeof(at), world_now(w));
	struct check_rule rule = { .what = CR_DISCONNECT, .at_us = world_now(w) };
	lost_rules(w, tr);
	if (XCHOICE_KIND(c) == XC_DISCONNECT) {
		snprintf(buf, n, "at %s: the connection is cut (a fault): what was on its way is lost, "
			 "alice reconnects after her backoff", at);
	} else {
		rule.what = CR_CRASH;
		rule.node = XCHOICE_ITEM(c) ? WORLD_BOB : WORLD_ALICE;
		const char *who = world_node_name(rule.node);
		snprintf(buf, n, "at %s: %s crashes (a fault) and restarts at once from %s records: "
			 "what was on its way and in %s memory is lost", at, who,
			 rule.node == WORLD_BOB ? "his" : "her", rule.node == WORLD_BOB ? "his" : "her");
	}
	add_rule(tr, rule);
}

static void step_words(const struct scenario *s, struct xrun *r, xchoice c, char *buf, size_t n,
		       struct check_trace *tr)
{
	struct world *w = xrun_world(r);
	char at[32], sent[32], what[200];
	struct world_item it;
	enum xchoice_kind k = XCHOICE_KIND(c);
	if (k == XC_DISCONNECT || k == XC_CRASH) {
		fault_words(w, c, buf, n, tr);
		return;
	}
	if (k == XC_TIME) {
		uint64_t t = xrun_next_time(r);
		char words[900];
		timer_words(w, t, words, sizeof(words));
		ms(at, sizeof(at), t);
		snprintf(buf, n, "at %s: %s", at, words);
		return;
	}
	world_item(w, XCHOICE_ITEM(c), &it);
	item_words(s, &it, what, sizeof(what));
	struct check_rule rule = item_rule(w, &it);
	ms(at, sizeof(at), world_now(w));
	if (k == XC_DELIVER) {
		uint64_t t = it.lo > world_now(w) ? it.lo : world_now(w);
		ms(at, sizeof(at), t);
		ms(sent, sizeof(sent), it.sent);
		snprintf(buf, n, "at %s: %s, sent at %s, arrives", at, what, sent);
		rule.what = CR_DELAY;
		rule.delay_us = t - it.sent;
	} else if (k == XC_DROP) {
		snprintf(buf, n, "at %s: %s is lost (a fault)", at, what);
	} else {
		snprintf(buf, n, "at %s: %s will arrive twice (a fault)", at, what);
		rule.what = CR_DUPLICATE;
	}
	msg_rule(tr, rule);
}

void check_trace_replay(const struct scenario *s, const xchoice *path, size_t n, FILE *f,
			struct check_trace *tr)
{
	memset(tr, 0, sizeof(*tr));
	bool crashes = false;
	for (size_t i = 0; i < n; i++)
		crashes |= XCHOICE_KIND(path[i]) == XC_CRASH;
	struct xrun *r = xrun_new(s, NULL, crashes);
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
		if (same_msg(o, r)) {
			drop |= o->what == CR_DROP;
			dup |= o->what == CR_DUPLICATE;
		}
	}
	return drop && dup;
}

static void write_rule(FILE *f, const struct scenario *s, const struct check_rule *r, size_t *k)
{
	char d[32];
	ms(d, sizeof(d), r->at_us);
	if (r->what == CR_DISCONNECT || r->what == CR_CRASH) {
		fprintf(f, "\n[fault x%zu]\nat = %s\n", ++*k, d);
		if (r->what == CR_DISCONNECT) {
			fprintf(f, "action = disconnect\n");
			return;
		}
		/* the restart after it, at the same time: steps of one time are
		 * carried out in the order of the file */
		fprintf(f, "action = crash=%s\n", world_node_name(r->node));
		fprintf(f, "\n[fault x%zu]\nat = %s\naction = restart=%s\n", ++*k, d,
			world_node_name(r->node));
		return;
	}
	fprintf(f, "\n[fault x%zu]\n", ++*k);
	fprintf(f, "at = %s\nchannel = %s\ndirection = %s\n", d, chan_name(s, r->chan),
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
	case CR_DISCONNECT: case CR_CRASH: break;
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
		write_rule(f, s, r, &k);
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

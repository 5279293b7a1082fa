/* ampsim run: messages still on their way between the daemons. Each daemon
 * lists, in its getinfo, the messages its links still hold back (waiting
 * for their delay, or held by a down direction); a run plays on until none
 * is waiting for its delay, and what is left when it stops is named in the
 * report: which message, which channel and HTLC, to whom, and whether it
 * was due or held. */
#include <stdio.h>
#include <string.h>

#include "run.h"


json_t *transit_list(json_t *ia, json_t *ib)
{
	json_t *all = json_array();
	json_t *infos[2] = { ia, ib };
	const char *from[2] = { "alice", "bob" };
	for (int i = 0; i < 2; i++) {
		size_t k;
		json_t *o;
		json_array_foreach(json_object_get(infos[i], "on_the_way"), k, o) {
			json_t *c = json_deep_copy(o);
			json_object_set_new(c, "from", json_string(from[i]));
			json_array_append_new(all, c);
		}
	}
	return all;
}

bool transit_plays_on(struct run *r, uint64_t now_us, uint64_t horizon_us)
{
	if (now_us > horizon_us + TRANSIT_GRACE_US)
		return false;
	char e[256];
	unsigned n = 0;
	const char *socks[2] = { r->alice_sock, r->bob_sock };
	pid_t pids[2] = { r->alice, r->bob };
	for (int i = 0; i < 2; i++) {
		if (pids[i] <= 0)
			continue;
		json_t *info = call(socks[i], "getinfo", NULL, e, sizeof(e));
		n += (unsigned)json_integer_value(json_object_get(info, "messages_pending"));
		json_decref(info);
	}
	return n > 0;
}

size_t transit_on_channel(json_t *list, const char *channel)
{
	size_t n = 0, k;
	json_t *o;
	json_array_foreach(list, k, o)
		if (strcmp(json_string_value(json_object_get(o, "channel")), channel) == 0)
			n++;
	return n;
}

void transit_describe(json_t *o, char *buf, size_t n)
{
	const char *msg = json_string_value(json_object_get(o, "message"));
	const char *ch = json_string_value(json_object_get(o, "channel"));
	json_t *htlc = json_object_get(o, "htlc"), *due = json_object_get(o, "due_ms");
	char what[48] = "";
	if (ch && ch[0] && htlc)
		snprintf(what, sizeof(what), " %s #%lld", ch, (long long)json_integer_value(htlc));
	else if (ch && ch[0])
		snprintf(what, sizeof(what), " on %s", ch);
	char when[64];
	if (json_is_true(json_object_get(o, "held")))
		snprintf(when, sizeof(when), "held: its direction of the channel is down");
	else if (due)
		snprintf(when, sizeof(when), "due at t = %.3f s", json_number_value(due) / 1000.0);
	else
		snprintf(when, sizeof(when), "waiting for its delay");
	snprintf(buf, n, "%s%s from %s to %s (%s)", msg ? msg : "a message", what,
		 json_string_value(json_object_get(o, "from")),
		 json_string_value(json_object_get(o, "to")), when);
}

void transit_problems(json_t *list, json_t *problems)
{
	size_t n = json_array_size(list);
	if (n)
		json_array_append_new(problems, json_sprintf(
			"%zu message%s still on %s way when the run stopped (named under channels)", n,
			n == 1 ? "" : "s", n == 1 ? "its" : "their"));
}

void transit_print(json_t *list)
{
	size_t k;
	json_t *o;
	json_array_foreach(list, k, o) {
		char d[256];
		transit_describe(o, d, sizeof(d));
		printf("  on its way at the end: %s\n", d);
	}
}

bool quiet_problems(json_t *ca, json_t *cb, json_t *transit, json_t *problems)
{
	size_t before = json_array_size(problems);
	transit_problems(transit, problems);
	const char *id;
	json_t *a;
	json_object_foreach(ca, id, a) {
		json_t *b = json_object_get(cb, id);
		if (!b)
			continue;
		json_int_t fa = json_integer_value(json_object_get(a, "inflight_msat"));
		json_int_t fb = json_integer_value(json_object_get(b, "inflight_msat"));
		bool differ = false;   /* the three numbers the summary compares */
		static const char *const keys[] = { "alice_msat", "bob_msat", "inflight_msat" };
		for (int k = 0; k < 3; k++)
			if (!json_equal(json_object_get(a, keys[k]), json_object_get(b, keys[k])))
				differ = true;
		if (differ && !transit_on_channel(transit, id))
			/* nothing on its way explains it */
			json_array_append_new(problems, json_sprintf(
				"%s: the daemons' views differ with nothing on its way", id));
		else if (!differ && (fa || fb))
			json_array_append_new(problems, json_sprintf(
				"%s: %lld HTLC%s still in flight at the end (%lld msat)", id,
				(long long)json_integer_value(json_object_get(a, "htlcs")),
				json_integer_value(json_object_get(a, "htlcs")) == 1 ? "" : "s",
				(long long)fa));
	}
	return json_array_size(problems) > before;
}

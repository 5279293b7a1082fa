#include "timeline_ledger.h"
#include "timeline_model.h"

#include <math.h>
#include <string.h>

static void count(json_t *o, const char *k)
{
	json_object_set_new(o, k, json_integer(json_integer_value(json_object_get(o, k)) + 1));
}

void timeline_aggregate(struct model *md, json_t *out, double t_end)
{
	/* a round width (1, 2 or 5 times a power of ten ms) giving at most
	 * TIMELINE_BUCKETS rows */
	double raw = fmax(1.0, t_end / TIMELINE_BUCKETS), width = pow(10, floor(log10(raw)));
	width = width >= raw ? width : 2 * width >= raw ? 2 * width : 5 * width >= raw ? 5 * width : 10 * width;
	size_t nb = (size_t)floor(t_end / width) + 1;
	json_t *rows = json_array(), *totals = json_object();
	for (size_t b = 0; b < nb; b++)
		json_array_append_new(rows, json_pack("{sf sf si si s{} s{} s[]}", "t0", (double)b * width,
						      "t1", (double)(b + 1) * width, "events", 0,
						      "started", 0, "out", "notes", "ch"));
	size_t i;
	json_t *ev;
	json_array_foreach(md->events, i, ev) {
		size_t b = (size_t)floor(tl_t(ev) / width);
		json_t *row = json_array_get(rows, b < nb ? b : nb - 1);
		const char *e = tl_str(ev, "event");
		count(row, "events");
		if (strcmp(e, "channel_open") == 0)
			chan_open(md, ev);
		long ci = chan_index(md, tl_str(ev, "channel"));
		json_t *chs = json_object_get(row, "ch");
		while (ci >= 0 && json_array_size(chs) < md->nch)
			json_array_append_new(chs, json_object());
		json_t *c = ci >= 0 ? json_array_get(chs, (size_t)ci) : NULL;
		const char *what = NULL;
		if (tl_is(ev, "alice", "payment_started"))
			count(row, "started");
		else if (tl_is(ev, "alice", "payment_outcome"))
			count(json_object_get(row, "out"), tl_str(ev, "outcome")), count(totals, tl_str(ev, "outcome"));
		else if (tl_is(ev, "alice", "htlc_offered"))
			what = "add";
		else if (tl_is(ev, "alice", "htlc_fulfilled"))
			what = "fulfill";
		else if (tl_is(ev, "alice", "htlc_failed"))
			what = "fail";
		else if (tl_is(ev, "alice", "htlc_refunded"))
			what = "refund";
		else if (tl_is(ev, NULL, "message_dropped"))
			what = "drop";
		else if (tl_is(ev, NULL, "message_duplicated"))
			what = "dup";
		if (what && c)
			count(c, what), count(totals, what);
		/* notes by event, so that the page can say what each count is;
		 * a fault on the links is logged by both daemons: counted once;
		 * drops and duplicates are the channels' own numbers already */
		const char *mk = mark_kind(ev);
		if (mk && strcmp(mk, "pay") != 0 && strcmp(mk, "dup") != 0 &&
		    !(tl_is(ev, "bob", "fault_applied") || tl_is(ev, "bob", "fault_lifted")) &&
		    strcmp(e, "message_dropped") != 0 && strcmp(e, "message_duplicated") != 0)
			count(json_object_get(row, "notes"), e);
		if ((ledger_apply(md, ev) >= 0 || strcmp(e, "channel_open") == 0) && c) {
			json_t *bal = chan_balances(md, ci, false);
			json_object_update(c, bal);
			json_decref(bal);
		}
	}
	/* balances carried into rows where a channel did not change */
	for (size_t b = 0; b < nb; b++) {
		json_t *chs = json_object_get(json_array_get(rows, b), "ch");
		while (json_array_size(chs) < md->nch)
			json_array_append_new(chs, json_object());
		for (size_t c = 0; c < md->nch; c++) {
			json_t *o = json_array_get(chs, c);
			if (json_object_get(o, "a") || b == 0)
				continue;
			json_t *prev = json_array_get(json_object_get(json_array_get(rows, b - 1), "ch"), c);
			const char *k[] = { "a", "b", "f", "n" };
			for (int j = 0; j < 4; j++)
				if (json_object_get(prev, k[j]))
					json_object_set(o, k[j], json_object_get(prev, k[j]));
		}
	}
	json_object_set_new(out, "buckets", json_pack("{sfso}", "width_ms", width, "rows", rows));
	json_object_set_new(out, "totals", totals);
}

json_t *timeline_payments(json_t *events)
{
	json_t *a = json_array(), *by = json_object();
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		if (tl_is(ev, "alice", "payment_started")) {
			json_t *p = json_pack("{sssssIsssfsn}", "id", tl_str(ev, "payment"), "mode",
					      tl_str(ev, "mode"), "amount_msat", tl_int(ev, "amount_msat"),
					      "outcome", "pending", "t0", tl_t(ev), "t1");
			json_object_set(by, tl_str(ev, "payment"), p);
			json_array_append_new(a, p);
		} else if (tl_is(ev, "alice", "payment_outcome")) {
			json_t *p = json_object_get(by, tl_str(ev, "payment"));
			if (p) {
				json_object_set_new(p, "outcome", json_string(tl_str(ev, "outcome")));
				json_object_set_new(p, "t1", json_real(tl_t(ev)));
			}
		}
	}
	json_decref(by);
	return a;
}


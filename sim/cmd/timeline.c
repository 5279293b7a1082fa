#include "timeline.h"

#include "amount.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lifelines and layout of the diagram, in SVG user units. */
#define X_ALICE 340
#define X_BOB 800
#define ROW 22
#define TOP 60
#define MAX_DIAGRAM_EVENTS 3000

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char *str(json_t *ev, const char *k)
{
	const char *s = json_string_value(json_object_get(ev, k));
	return s ? s : "";
}

static bool is(json_t *ev, const char *node, const char *event)
{
	return strcmp(str(ev, "node"), node) == 0 && strcmp(str(ev, "event"), event) == 0;
}

static bool same_htlc(json_t *a, json_t *b)
{
	return strcmp(str(a, "channel"), str(b, "channel")) == 0 &&
	       json_integer_value(json_object_get(a, "htlc")) ==
		       json_integer_value(json_object_get(b, "htlc"));
}

/* A colour per channel, stable by name. */
static const char *colour(const char *channel)
{
	static const char *palette[] = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd",
					 "#ff7f0e", "#8c564b", "#e377c2", "#17becf" };
	unsigned h = 0;
	for (; *channel; channel++)
		h = h * 31 + (unsigned char)*channel;
	return palette[h % 8];
}

/* The receiving event that matches a sending one, searched after it. */
static long find_receive(json_t *events, size_t from, json_t *send, const char *node,
			 const char *event)
{
	for (size_t j = from + 1; j < json_array_size(events); j++) {
		json_t *ev = json_array_get(events, j);
		/* a resolution Alice learnt from the chain was not this message */
		if (is(ev, node, event) && same_htlc(send, ev) &&
		    strcmp(str(ev, "source"), "chain") != 0)
			return (long)j;
	}
	return -1;
}

static void arrow(FILE *f, size_t from_row, long to_row, bool to_bob, const char *channel,
		  const char *label, bool lost)
{
	double x1 = to_bob ? X_ALICE : X_BOB, x2 = to_bob ? X_BOB : X_ALICE;
	double y1 = TOP + (double)from_row * ROW;
	double y2 = lost ? y1 + ROW : TOP + (double)to_row * ROW;
	if (lost)
		x2 = (x1 + x2) / 2;
	fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" "
		   "stroke-width=\"1.6\"%s%s/>\n", x1, y1, x2, y2, colour(channel),
		lost ? " stroke-dasharray=\"4 3\"" : "", lost ? "" : " marker-end=\"url(#head)\"");
	if (lost)
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"16\" fill=\"#c00\" "
			   "text-anchor=\"middle\">&#x2715;</text>\n", x2, y2 + 5);
	double lx = (x1 + x2) / 2, ly = (y1 + y2) / 2 - 3;
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" fill=\"%s\" "
		   "text-anchor=\"middle\">", lx, ly, colour(channel));
	esc(f, label);
	fprintf(f, "</text>\n");
}

/* A message whose arrival the other side never logged (lost, held, or
 * made moot by the chain): a note at the sender instead of an arrow; a
 * loss has its own dashed arrow from the message_dropped event. */
static void unmatched(FILE *f, size_t row, bool alice, const char *label)
{
	double y = TOP + (double)row * ROW;
	fprintf(f, "<text x=\"%d\" y=\"%.0f\" font-size=\"11\" text-anchor=\"%s\" fill=\"#777\">",
		alice ? X_ALICE - 8 : X_BOB + 8, y + 4, alice ? "end" : "start");
	esc(f, label);
	fprintf(f, " (not applied by %s)</text>\n", alice ? "bob" : "alice");
}

/* Events that are a node's own decisions, written beside its lifeline. */
static const char *note_of(json_t *ev)
{
	static const char *names[] = {
		"payment_started", "payment_deferred", "payment_outcome", "set_complete",
		"hold_timeout", "set_failed", "amp_reconstruction_failed", "set_withheld",
		"htlc_refunded", "fulfill_rejected", "fulfill_refused", "greedy_claim_attempt",
		"late_claim_attempt", "onchain_claim_sent", "onchain_claim_confirmed",
		"onchain_refund_sent", "onchain_preimage_learned", "htlc_lost_onchain",
		"crash", "restart", "reconnected", "reestablished", "resolution_resent",
		"fault_applied", "fault_lifted",
		"invariant_violation", "peer_error", "messages_released",
	};
	const char *e = str(ev, "event");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(e, names[i]) == 0)
			return names[i];
	return NULL;
}

static void diagram(FILE *f, json_t *events)
{
	size_t n = json_array_size(events);
	double height = TOP + (double)n * ROW + 30;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1180\" height=\"%.0f\" "
		   "font-family=\"sans-serif\">\n"
		   "<defs><marker id=\"head\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" "
		   "refY=\"4\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#444\"/></marker></defs>\n",
		height);
	fprintf(f, "<text x=\"%d\" y=\"30\" font-size=\"16\" font-weight=\"bold\" "
		   "text-anchor=\"middle\">Alice</text>\n", X_ALICE);
	fprintf(f, "<text x=\"%d\" y=\"30\" font-size=\"16\" font-weight=\"bold\" "
		   "text-anchor=\"middle\">Bob</text>\n", X_BOB);
	fprintf(f, "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"%.0f\" stroke=\"#999\"/>\n", X_ALICE,
		X_ALICE, height - 10);
	fprintf(f, "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"%.0f\" stroke=\"#999\"/>\n", X_BOB, X_BOB,
		height - 10);
	for (size_t i = 0; i < n; i++) {
		json_t *ev = json_array_get(events, i);
		double y = TOP + (double)i * ROW;
		const char *node = str(ev, "node");
		bool alice = strcmp(node, "alice") == 0;
		char label[160];
		/* simulated time and height of each row, at the left */
		fprintf(f, "<text x=\"8\" y=\"%.0f\" font-size=\"10\" fill=\"#777\">%.1f ms  #%lld</text>\n",
			y + 4, json_number_value(json_object_get(ev, "t_ms")),
			(long long)json_integer_value(json_object_get(ev, "height")));
		if (is(ev, "alice", "htlc_offered")) {
			char amt[AMOUNT_FMT_LEN];
			amount_fmt(amount_msat((uint64_t)json_integer_value(json_object_get(ev, "amount_msat"))), amt);
			snprintf(label, sizeof(label), "add %s #%lld %s", str(ev, "channel"),
				 (long long)json_integer_value(json_object_get(ev, "htlc")), amt);
			long to = find_receive(events, i, ev, "bob", "htlc_received");
			if (to >= 0)
				arrow(f, i, to, true, str(ev, "channel"), label, false);
			else
				unmatched(f, i, true, label);
			continue;
		}
		if (is(ev, "bob", "htlc_fulfilled") || is(ev, "bob", "htlc_failed")) {
			bool ok = is(ev, "bob", "htlc_fulfilled");
			snprintf(label, sizeof(label), "%s %s #%lld", ok ? "fulfill" : "fail",
				 str(ev, "channel"), (long long)json_integer_value(json_object_get(ev, "htlc")));
			long to = find_receive(events, i, ev, "alice", ok ? "htlc_fulfilled" : "htlc_failed");
			if (to >= 0)
				arrow(f, i, to, false, str(ev, "channel"), label, false);
			else
				unmatched(f, i, false, label);
			continue;
		}
		if (strcmp(str(ev, "event"), "message_dropped") == 0) {
			snprintf(label, sizeof(label), "%s lost on %s", str(ev, "message"), str(ev, "channel"));
			arrow(f, i, -1, alice, str(ev, "channel"), label, true);
			continue;
		}
		const char *note = note_of(ev);
		if (!note)
			continue;
		const char *detail = str(ev, "outcome")[0] ? str(ev, "outcome")
				   : str(ev, "reason")[0] ? str(ev, "reason")
				   : str(ev, "action")[0] ? str(ev, "action") : str(ev, "channel");
		snprintf(label, sizeof(label), "%s%s%s", note, detail[0] ? ": " : "", detail);
		bool bad = strcmp(note, "invariant_violation") == 0 || strcmp(note, "crash") == 0;
		fprintf(f, "<circle cx=\"%d\" cy=\"%.0f\" r=\"3\" fill=\"%s\"/>\n",
			alice ? X_ALICE : X_BOB, y, bad ? "#c00" : "#444");
		fprintf(f, "<text x=\"%d\" y=\"%.0f\" font-size=\"11\" text-anchor=\"%s\" fill=\"%s\">",
			alice ? X_ALICE - 8 : X_BOB + 8, y + 4, alice ? "end" : "start",
			bad ? "#c00" : "#222");
		esc(f, label);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "</svg>\n");
}

bool timeline_write(json_t *events, const char *scenario, uint64_t seed, double time_scale,
		    const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fprintf(f, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>ampsim run: ");
	esc(f, scenario);
	fprintf(f, "</title>\n<style>body{font-family:sans-serif;margin:1em}"
		   "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;"
		   "border-bottom:1px solid #ddd;font-size:13px;vertical-align:top}"
		   ".alice td.a,.bob td.b{font-weight:bold}.alice{background:#eef6ff}"
		   ".bob{background:#fff4e8}.bad{background:#fdd}code{font-size:12px}</style>"
		   "</head><body>\n<h1>ampsim run</h1>\n<p>Scenario <code>");
	esc(f, scenario);
	fprintf(f, "</code>, seed %llu, time scale %g. Rows are events in simulated-time order "
		   "(time in ms and block height at the left). Arrows are messages between the two "
		   "daemons, one colour per channel, drawn from the row where one side sent or "
		   "resolved to the row where the other side applied it; a dashed arrow ending in "
		   "&#x2715; is a message that never arrived.</p>\n", (unsigned long long)seed, time_scale);
	if (json_array_size(events) <= MAX_DIAGRAM_EVENTS)
		diagram(f, events);
	else
		fprintf(f, "<p>(%zu events: too many for the diagram; see the table.)</p>\n",
			json_array_size(events));
	fprintf(f, "<h2>Every event</h2>\n<table><tr><th>t (ms)</th><th>height</th>"
		   "<th>alice</th><th>bob</th><th>details</th></tr>\n");
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		const char *node = str(ev, "node"), *name = str(ev, "event");
		bool alice = strcmp(node, "alice") == 0;
		bool bad = strcmp(name, "invariant_violation") == 0;
		fprintf(f, "<tr class=\"%s\"><td>%.3f</td><td>%lld</td><td class=a>%s</td><td class=b>%s</td><td><code>",
			bad ? "bad" : alice ? "alice" : "bob",
			json_number_value(json_object_get(ev, "t_ms")),
			(long long)json_integer_value(json_object_get(ev, "height")),
			alice ? name : "", alice ? "" : name);
		const char *k;
		json_t *v;
		json_object_foreach(ev, k, v) {
			if (!strcmp(k, "t_ms") || !strcmp(k, "height") || !strcmp(k, "node") ||
			    !strcmp(k, "event"))
				continue;
			char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			esc(f, k);
			fputc('=', f);
			esc(f, s ? s : "");
			fputc(' ', f);
			free(s);
		}
		fprintf(f, "</code></td></tr>\n");
	}
	fprintf(f, "</table></body></html>\n");
	return fclose(f) == 0;
}

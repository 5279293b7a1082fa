#include "timeline_model.h"
#include "timeline_ledger.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * The model's entries (indices are positions in "events"):
 *
 *   msgs[]   {"k": "add"|"fulfill"|"fail", "from": "alice"|"bob", "ch", "htlc",
 *             "pay", "amt", "s": sending event, "r": arriving event or -1,
 *             "fate": "delivered"|"dropped"|"lost"|"duplicate"|"unanswered",
 *             "copy": "first"|"replay"|"resend"|"duplicate",
 *             "at": the event that lost or dropped it (else -1),
 *             "held": true when a down direction held it on the way,
 *             "arr": how a repeat was taken where it arrived: "ignored"
 *             (Bob's duplicate_ignored: he already held the add) or
 *             "answered" (his resolution_resent); absent otherwise}
 *   chain[]  {"from", "to" ("alice"|"bob"|"chain"), "s", "r" (-1: not
 *             confirmed in the run), "what", "ch", "htlc", "pay"}
 *   marks[]  {"e", "kind": "crash"|"restart"|"hold"|"expiry"|"chain"|"fault"|
 *             "link"|"bad"|"pay", "label"}
 *   ledger[] {"e", "ch" (index), "a", "b", "f" (msat in Alice's ledger:
 *             hers, Bob's, in flight), "h": [[htlc, amount_msat, payment]…]}
 *             one entry each time a channel's balances change
 *   buckets  (aggregated) {"width_ms", "rows": [{"t0", "t1", "events",
 *             "started", "out": {outcome: n}, "notes": {event: n},
 *             "ch": [{"add", "fulfill", "fail", "refund", "drop", "dup",
 *             "a", "b", "f", "n"} per channel]}]}
 *
 * A message's fate follows from the log: an arrival event (Bob's
 * htlc_received, duplicate_ignored or resolution_resent for an add;
 * Alice's htlc_fulfilled/htlc_failed from a message, or a fulfill/fail she
 * refused or ignored) belongs to the oldest message still on its way for
 * that HTLC in that direction. A crash or a closed connection loses every
 * message still on its way; after a reconnection Alice replays the adds
 * still in flight (her reestablished event) and Bob re-sends resolutions
 * (resolution_resent). message_dropped and message_duplicated name the
 * sender's latest message of that kind on that channel. A repeated
 * resolution Alice receives for an HTLC she has resolved is not logged: it
 * is drawn as a duplicate, to where the copy she logged arrived.
 */

enum fate { F_PENDING, F_DELIVERED, F_DROPPED, F_LOST, F_DUPLICATE, F_UNANSWERED, F_REMOVED };
enum copy { C_FIRST, C_REPLAY, C_RESEND, C_DUP };
static const char *kind_name[] = { "add", "fulfill", "fail" };
static const char *fate_name[] = { "pending", "delivered", "dropped", "lost",
				   "duplicate", "unanswered", "removed" };
static const char *copy_name[] = { "first", "replay", "resend", "duplicate" };

struct tmsg {
	enum kind kind;
	bool from_alice, held;
	const char *ch;
	json_int_t htlc;
	long s, r, at;
	enum fate fate;
	enum copy copy;
	long dup_of;
	const char *arr;              /* NULL, "ignored" or "answered" */
};

/* ---- messages ---- */

static struct tmsg *msg_new(struct model *md, enum kind k, bool from_alice, const char *ch,
			    json_int_t htlc, long s, enum copy copy)
{
	md->m = tl_grow(md->m, &md->capm, md->nm, sizeof(*md->m));
	struct tmsg *m = &md->m[md->nm++];
	*m = (struct tmsg){ .kind = k, .from_alice = from_alice, .ch = ch, .htlc = htlc, .s = s,
			    .r = -1, .at = -1, .fate = F_PENDING, .copy = copy, .dup_of = -1 };
	md->npending++;
	return m;
}

static void msg_settle(struct model *md, struct tmsg *m, enum fate fate, long at)
{
	if (m->fate == F_PENDING)
		md->npending--;
	m->fate = fate;
	if (fate == F_DELIVERED)
		m->r = at;
	else
		m->at = at;
}

/* The oldest message on its way for that HTLC in that direction (kind < 0:
 * a fulfill or a fail), or the latest one of that kind on that channel
 * (htlc < 0) when latest. */
static struct tmsg *msg_find(struct model *md, int kind, bool from_alice, const char *ch,
			     json_int_t htlc, bool latest)
{
	for (size_t k = 0; k < md->nm; k++) {
		size_t i = latest ? md->nm - 1 - k : k;
		struct tmsg *m = &md->m[i];
		if (m->from_alice != from_alice || strcmp(m->ch, ch) != 0)
			continue;
		if (kind >= 0 ? (int)m->kind != kind : m->kind == K_ADD)
			continue;
		if (htlc >= 0 && m->htlc != htlc)
			continue;
		if (latest || m->fate == F_PENDING)
			return m;
	}
	return NULL;
}

static void arrive(struct model *md, long i, int kind, bool from_alice, json_t *ev)
{
	struct tmsg *m = msg_find(md, kind, from_alice, tl_str(ev, "channel"), tl_int(ev, "htlc"), false);
	if (!m) /* sent before the log began: drawn from the arrival's own row */
		m = msg_new(md, kind < 0 ? K_FULFILL : (enum kind)kind, from_alice,
			    tl_str(ev, "channel"), tl_int(ev, "htlc"), i, C_FIRST);
	msg_settle(md, m, F_DELIVERED, i);
	/* a repeated add Bob recognised: said on the arrow, so that it never
	 * reads as taken twice */
	if (tl_is(ev, "bob", "duplicate_ignored"))
		m->arr = "ignored";
	else if (tl_is(ev, "bob", "resolution_resent"))
		m->arr = "answered";
}

/* Bob's last resolution of an HTLC, for a re-sent one. */
static enum kind bob_resolution(struct model *md, const char *ch, json_int_t htlc)
{
	struct tmsg *m = msg_find(md, -1, false, ch, htlc, true);
	return m ? m->kind : K_FULFILL;
}

/* Messages still on their way when the connection went (F_LOST) or the run
 * ended (F_UNANSWERED). A resolution of an HTLC Alice had already resolved
 * reached her all the same: she acknowledges a repeat without logging it,
 * so it is drawn as a repeat of the copy she did log. */
static void settle_pending(struct model *md, enum fate fate, long at)
{
	for (size_t j = 0; j < md->nm && md->npending; j++) {
		struct tmsg *m = &md->m[j];
		if (m->fate != F_PENDING)
			continue;
		struct thtlc *h = m->from_alice ? NULL : htlc_find(md, m->ch, m->htlc);
		long first = -1;
		for (size_t k = 0; h && !h->live && k < md->nm && first < 0; k++)
			if (!md->m[k].from_alice && md->m[k].fate == F_DELIVERED &&
			    md->m[k].htlc == m->htlc && strcmp(md->m[k].ch, m->ch) == 0)
				first = (long)k;
		if (first >= 0) {
			msg_settle(md, m, F_DUPLICATE, -1);
			m->dup_of = first;
		} else {
			msg_settle(md, m, fate, at);
		}
	}
}

static void messages(struct model *md)
{
	size_t n = json_array_size(md->events);
	for (size_t u = 0; u < n; u++) {
		long i = (long)u;
		json_t *ev = json_array_get(md->events, u);
		const char *ch = tl_str(ev, "channel");
		json_int_t htlc = tl_int(ev, "htlc");
		bool alice = strcmp(tl_str(ev, "node"), "alice") == 0;
		const char *e = tl_str(ev, "event");
		if (tl_is(ev, "alice", "htlc_offered")) {
			msg_new(md, K_ADD, true, ch, htlc, i, C_FIRST);
		} else if (tl_is(ev, "alice", "reestablished")) {
			json_int_t k = tl_int(ev, "adds_replayed");
			for (size_t j = 0; j < md->nh && k > 0; j++)
				if (md->h[j].live) {
					msg_new(md, K_ADD, true, md->h[j].ch, md->h[j].id, i, C_REPLAY);
					k--;
				}
		} else if (tl_is(ev, "bob", "htlc_fulfilled") || tl_is(ev, "bob", "htlc_failed")) {
			msg_new(md, strcmp(e, "htlc_fulfilled") == 0 ? K_FULFILL : K_FAIL, false, ch,
				htlc, i, C_FIRST);
		} else if (tl_is(ev, "bob", "greedy_claim_attempt") ||
			   tl_is(ev, "bob", "late_claim_attempt")) {
			msg_new(md, K_FULFILL, false, ch, htlc, i, C_FIRST);
		} else if (tl_is(ev, "bob", "resolution_deferred")) {
			struct tmsg *m = msg_find(md, -1, false, ch, htlc, true);
			if (m && m->fate == F_PENDING)
				msg_settle(md, m, F_REMOVED, i);
		} else if (tl_is(ev, "bob", "htlc_received") || tl_is(ev, "bob", "duplicate_ignored")) {
			arrive(md, i, K_ADD, true, ev);
		} else if (tl_is(ev, "bob", "resolution_resent")) {
			arrive(md, i, K_ADD, true, ev);
			msg_new(md, bob_resolution(md, ch, htlc), false, ch, htlc, i, C_RESEND);
		} else if (alice && (strcmp(e, "htlc_fulfilled") == 0 || strcmp(e, "htlc_failed") == 0)) {
			if (strcmp(tl_str(ev, "source"), "message") == 0)
				arrive(md, i, strcmp(e, "htlc_fulfilled") == 0 ? K_FULFILL : K_FAIL, false, ev);
		} else if (alice && (strcmp(e, "fulfill_ignored") == 0 || strcmp(e, "fulfill_rejected") == 0 ||
				     strcmp(e, "fulfill_refused") == 0)) {
			arrive(md, i, K_FULFILL, false, ev);
		} else if (alice && strcmp(e, "fail_ignored") == 0) {
			arrive(md, i, K_FAIL, false, ev);
		} else if (strcmp(e, "message_dropped") == 0 || strcmp(e, "message_duplicated") == 0 ||
			   strcmp(e, "message_held") == 0) {
			int k = message_kind(tl_str(ev, "message"));
			if (k < 0)
				goto ledger;
			bool held = strcmp(e, "message_held") == 0;
			/* held: the oldest still on its way; else the latest sent */
			struct tmsg *m = msg_find(md, k, alice, ch, -1, !held);
			if (!m)
				goto ledger;
			if (held) {
				m->held = true;
			} else if (strcmp(e, "message_dropped") == 0) {
				if (m->fate == F_PENDING)
					msg_settle(md, m, F_DROPPED, i);
			} else {
				long of = (long)(m - md->m);
				struct tmsg *d = msg_new(md, m->kind, alice, m->ch, m->htlc, i, C_DUP);
				d->dup_of = of;
				/* Alice does not log a repeated resolution: it is
				 * drawn beside the first copy */
				if (d->kind != K_ADD)
					msg_settle(md, d, F_DUPLICATE, -1);
			}
		} else if (strcmp(e, "crash") == 0 || strcmp(e, "peer_disconnected") == 0) {
			settle_pending(md, F_LOST, i);
		}
	ledger:
		if (strcmp(e, "channel_open") == 0)
			chan_open(md, ev);
		else
			ledger_apply(md, ev);
	}
	settle_pending(md, F_UNANSWERED, -1);
}

static const char *pay_of(struct model *md, const char *ch, json_int_t htlc)
{
	struct thtlc *h = htlc_find(md, ch, htlc);
	return h ? h->pay : "";
}

static json_t *msgs_json(struct model *md)
{
	json_t *a = json_array();
	for (size_t j = 0; j < md->nm; j++) {
		struct tmsg *m = &md->m[j];
		if (m->fate == F_REMOVED)
			continue;
		struct thtlc *h = htlc_find(md, m->ch, m->htlc);
		json_t *o = json_pack("{ss ss ss sI ss sI sI sI ss ss sb}", "k", kind_name[m->kind], "from",
				      m->from_alice ? "alice" : "bob", "ch", m->ch, "htlc", m->htlc,
				      "pay", h ? h->pay : "", "amt",
				      h ? (json_int_t)h->amt.millisatoshis : 0, "s", (json_int_t)m->s,
				      "r", (json_int_t)m->r, "fate", fate_name[m->fate], "copy",
				      copy_name[m->copy], "held", m->held);
		json_object_set_new(o, "at", json_integer(m->at));
		if (m->arr)
			json_object_set_new(o, "arr", json_string(m->arr));
		/* a repeat is drawn to where the copy it repeats arrived */
		long of = m->fate == F_DUPLICATE ? m->dup_of : -1;
		for (int hops = 0; of >= 0 && md->m[of].r < 0 && hops < 8; hops++)
			of = md->m[of].dup_of;
		if (of >= 0)
			json_object_set_new(o, "r", json_integer(md->m[of].r));
		json_array_append_new(a, o);
	}
	return a;
}

/* ---- on-chain transactions and notes ---- */

static long find_after(json_t *events, size_t from, const char *node, const char *const *names,
		       json_t *like, const char *source)
{
	for (size_t j = from + 1; j < json_array_size(events); j++) {
		json_t *ev = json_array_get(events, j);
		bool named = false;
		for (const char *const *n = names; *n && !named; n++)
			named = tl_is(ev, node, *n);
		if (named && strcmp(tl_str(ev, "channel"), tl_str(like, "channel")) == 0 &&
		    tl_int(ev, "htlc") == tl_int(like, "htlc") &&
		    (!source || strcmp(tl_str(ev, "source"), source) == 0))
			return (long)j;
	}
	return -1;
}

static long find_before(json_t *events, size_t to, const char *node, const char *name,
			json_t *like, const char *source)
{
	for (size_t j = to; j-- > 0;) {
		json_t *ev = json_array_get(events, j);
		if (tl_is(ev, node, name) && strcmp(tl_str(ev, "channel"), tl_str(like, "channel")) == 0 &&
		    tl_int(ev, "htlc") == tl_int(like, "htlc") &&
		    (!source || strcmp(tl_str(ev, "source"), source) == 0))
			return (long)j;
	}
	return -1;
}

static void chain_tx(struct model *md, json_t *out, size_t i, json_t *ev)
{
	static const char *const claim_end[] = { "onchain_claim_confirmed", "onchain_claim_beaten",
						 "onchain_claim_invalid", NULL };
	static const char *const refund_end[] = { "htlc_refunded", NULL };
	const char *from, *to, *what;
	long s = (long)i, r = -1;
	if (tl_is(ev, "bob", "onchain_claim_sent")) {
		from = "bob", to = "chain", what = "claim tx";
		r = find_after(md->events, i, "bob", claim_end, ev, NULL);
	} else if (tl_is(ev, "alice", "onchain_refund_sent")) {
		from = "alice", to = "chain", what = "refund tx";
		r = find_after(md->events, i, "alice", refund_end, ev, "chain");
	} else if (tl_is(ev, "alice", "onchain_preimage_learned")) {
		from = "chain", to = "alice", what = "preimage read on chain";
		r = s;
		s = find_before(md->events, i, "bob", "onchain_claim_confirmed", ev, NULL);
	} else if (tl_is(ev, "bob", "htlc_lost_onchain")) {
		from = "chain", to = "bob", what = "refund confirmed: HTLC lost";
		r = s;
		s = find_before(md->events, i, "alice", "htlc_refunded", ev, "chain");
	} else {
		return;
	}
	if (s < 0)
		s = r;
	json_array_append_new(out, json_pack("{ss ss ss si si ss sI ss}", "from", from, "to", to, "what",
					     what, "s", (int)s, "r", (int)r, "ch", tl_str(ev, "channel"),
					     "htlc", tl_int(ev, "htlc"), "pay",
					     pay_of(md, tl_str(ev, "channel"), tl_int(ev, "htlc"))));
}

/* ---- the two shapes of the model ---- */

static void detail(struct model *md, json_t *out)
{
	messages(md);
	json_object_set_new(out, "msgs", msgs_json(md));
	json_t *chain = json_array(), *marks = json_array(), *ledger = json_array();
	/* the ledger again, event by event, now that the messages are known */
	md->nh = 0;
	md->nch = 0;
	size_t i;
	json_t *ev;
	json_array_foreach(md->events, i, ev) {
		chain_tx(md, chain, i, ev);
		const char *kind = mark_kind(ev);
		if (kind)
			json_array_append_new(marks, json_pack("{si ss so}", "e", (int)i, "kind", kind,
							       "label", mark_label(ev)));
		long ci = -1;
		if (strcmp(tl_str(ev, "event"), "channel_open") == 0) {
			chan_open(md, ev);
			ci = chan_index(md, tl_str(ev, "channel"));
		} else {
			ci = ledger_apply(md, ev);
		}
		if (ci >= 0) {
			json_t *o = chan_balances(md, ci, true);
			json_object_set_new(o, "e", json_integer((json_int_t)i));
			json_object_set_new(o, "ch", json_integer(ci));
			json_array_append_new(ledger, o);
		}
	}
	json_object_set_new(out, "chain", chain);
	json_object_set_new(out, "marks", marks);
	json_object_set_new(out, "ledger", ledger);
	json_object_set(out, "events", md->events);
}

json_t *timeline_model(json_t *events)
{
	struct model md = { .events = events };
	json_t *out = json_object(), *pays = timeline_payments(events);
	size_t n = json_array_size(events);
	double t_end = n ? tl_t(json_array_get(events, n - 1)) : 0;
	bool agg = json_array_size(pays) > TIMELINE_DETAIL_MAX_PAYMENTS ||
		   n > TIMELINE_DETAIL_MAX_EVENTS;
	json_object_set_new(out, "aggregate", json_boolean(agg));
	json_object_set_new(out, "t_end", json_real(t_end));
	json_object_set_new(out, "n_events", json_integer((json_int_t)n));
	if (agg)
		timeline_aggregate(&md, out, t_end);
	else
		detail(&md, out);
	/* channels as opened (the ledger above replayed them to the end) */
	json_t *chans = json_array();
	md.nch = 0;
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev)
		if (strcmp(tl_str(ev, "event"), "channel_open") == 0)
			chan_open(&md, ev);
	for (size_t c = 0; c < md.nch; c++)
		json_array_append_new(chans, json_pack("{sssIsIsI}", "id", md.ch[c].id,
						       "capacity_msat", (json_int_t)md.ch[c].cap.millisatoshis,
						       "alice_msat", (json_int_t)md.ch[c].a.millisatoshis,
						       "bob_msat", (json_int_t)md.ch[c].b.millisatoshis));
	json_object_set_new(out, "channels", chans);
	json_object_set_new(out, "payments", pays);
	free(md.ch);
	free(md.h);
	free(md.m);
	return out;
}

#include "timeline_ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int message_kind(const char *message)
{
	if (strcmp(message, "update_add_htlc") == 0)
		return K_ADD;
	if (strcmp(message, "update_fulfill_htlc") == 0)
		return K_FULFILL;
	if (strcmp(message, "update_fail_htlc") == 0)
		return K_FAIL;
	return -1;
}

const char *tl_str(json_t *ev, const char *k)
{
	const char *s = json_string_value(json_object_get(ev, k));
	return s ? s : "";
}

json_int_t tl_int(json_t *ev, const char *k)
{
	return json_integer_value(json_object_get(ev, k));
}

double tl_t(json_t *ev)
{
	return json_number_value(json_object_get(ev, "t_ms"));
}

bool tl_is(json_t *ev, const char *node, const char *event)
{
	return (!node || strcmp(tl_str(ev, "node"), node) == 0) && strcmp(tl_str(ev, "event"), event) == 0;
}

void *tl_grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	p = realloc(p, *cap * size);
	if (!p)
		abort();
	return p;
}

long chan_index(struct model *md, const char *id)
{
	for (size_t i = 0; i < md->nch; i++)
		if (strcmp(md->ch[i].id, id) == 0)
			return (long)i;
	return -1;
}

struct amount_msat tl_msat(json_t *ev, const char *k)
{
	return amount_msat((uint64_t)tl_int(ev, k));
}

/* Channels as opened; Alice's view wins over Bob's when both are logged. */
void chan_open(struct model *md, json_t *ev)
{
	bool alice = strcmp(tl_str(ev, "node"), "alice") == 0;
	long i = chan_index(md, tl_str(ev, "channel"));
	if (i >= 0 && (md->ch[i].from_alice || !alice))
		return;
	if (i < 0) {
		md->ch = realloc(md->ch, (md->nch + 1) * sizeof(*md->ch));
		if (!md->ch)
			abort();
		i = (long)md->nch++;
	}
	struct tchan *c = &md->ch[i];
	c->id = tl_str(ev, "channel");
	c->cap = tl_msat(ev, "capacity_msat");
	c->a = tl_msat(ev, "alice_msat");
	c->b = tl_msat(ev, "bob_msat");
	c->f = amount_msat(0);
	c->n = 0;
	c->from_alice = alice;
}

struct thtlc *htlc_find(struct model *md, const char *ch, json_int_t id)
{
	for (size_t i = md->nh; i-- > 0;)
		if (md->h[i].id == id && strcmp(md->h[i].ch, ch) == 0)
			return &md->h[i];
	return NULL;
}

/* Alice's ledger after one of her events; the channel changed, or -1.
 * Amounts that do not add up (a log cut short) leave the balance as it was. */
long ledger_apply(struct model *md, json_t *ev)
{
	if (strcmp(tl_str(ev, "node"), "alice") != 0)
		return -1;
	const char *e = tl_str(ev, "event");
	long ci = chan_index(md, tl_str(ev, "channel"));
	if (ci < 0)
		return -1;
	struct tchan *c = &md->ch[ci];
	if (strcmp(e, "htlc_offered") == 0) {
		md->h = tl_grow(md->h, &md->caph, md->nh, sizeof(*md->h));
		struct thtlc *h = &md->h[md->nh++];
		h->ch = c->id;
		h->pay = tl_str(ev, "payment");
		h->id = tl_int(ev, "htlc");
		h->amt = tl_msat(ev, "amount_msat");
		h->live = true;
		struct amount_msat a, f;
		if (amount_sub(&a, c->a, h->amt) && amount_add(&f, c->f, h->amt)) {
			c->a = a;
			c->f = f;
		}
		c->n++;
		return ci;
	}
	bool ok = strcmp(e, "htlc_fulfilled") == 0;
	if (!ok && strcmp(e, "htlc_failed") != 0 && strcmp(e, "htlc_refunded") != 0)
		return -1;
	struct thtlc *h = htlc_find(md, c->id, tl_int(ev, "htlc"));
	if (!h || !h->live)
		return -1;
	h->live = false;
	c->n--;
	struct amount_msat f, to;
	if (amount_sub(&f, c->f, h->amt) && amount_add(&to, ok ? c->b : c->a, h->amt)) {
		c->f = f;
		*(ok ? &c->b : &c->a) = to;
	}
	return ci;
}

json_t *chan_balances(struct model *md, long ci, bool with_htlcs)
{
	struct tchan *c = &md->ch[ci];
	json_t *o = json_pack("{sIsIsIsI}", "a", (json_int_t)c->a.millisatoshis, "b",
			      (json_int_t)c->b.millisatoshis, "f", (json_int_t)c->f.millisatoshis,
			      "n", (json_int_t)c->n);
	if (with_htlcs) {
		json_t *hs = json_array();
		for (size_t i = 0; i < md->nh; i++)
			if (md->h[i].live && md->h[i].ch == c->id)
				json_array_append_new(hs, json_pack("[IIs]", md->h[i].id,
								    (json_int_t)md->h[i].amt.millisatoshis,
								    md->h[i].pay));
		json_object_set_new(o, "h", hs);
	}
	return o;
}

/* What a lifeline note is, or NULL for events drawn otherwise (arrows,
 * balances) or left to the event table. */
const char *mark_kind(json_t *ev)
{
	static const struct {
		const char *event, *kind;
	} table[] = {
		{ "crash", "crash" }, { "restart", "restart" }, { "hold_timeout", "hold" },
		{ "onchain_claim_sent", "chain" }, { "onchain_claim_confirmed", "chain" },
		{ "onchain_claim_beaten", "chain" }, { "onchain_claim_invalid", "chain" },
		{ "onchain_refund_sent", "chain" }, { "onchain_preimage_learned", "chain" },
		{ "htlc_lost_onchain", "chain" }, { "fault_applied", "fault" },
		{ "fault_lifted", "fault" }, { "message_held", "fault" },
		{ "messages_released", "fault" }, { "peer_connected", "link" },
		{ "peer_disconnected", "link" }, { "reconnected", "link" },
		{ "reestablished", "link" }, { "invariant_violation", "bad" },
		{ "peer_error", "bad" }, { "payment_started", "pay" }, { "payment_outcome", "pay" },
		{ "payment_deferred", "pay" }, { "part_retry", "pay" }, { "set_complete", "pay" },
		{ "set_failed", "pay" }, { "set_withheld", "pay" },
		{ "amp_reconstruction_failed", "bad" }, { "resolution_deferred", "link" },
		{ "greedy_claim_attempt", "bad" }, { "late_claim_attempt", "bad" },
		{ "duplicate_ignored", "dup" }, { "resolution_resent", "dup" },
	};
	const char *e = tl_str(ev, "event");
	if (strcmp(e, "htlc_refunded") == 0) {
		const char *src = tl_str(ev, "source");
		return strcmp(src, "expiry") == 0 ? "expiry" : "chain";
	}
	if (strcmp(e, "message_dropped") == 0 || strcmp(e, "message_duplicated") == 0)
		return message_kind(tl_str(ev, "message")) < 0 ? "fault" : NULL;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(e, table[i].event) == 0)
			return table[i].kind;
	return NULL;
}

/* A short note: the event's name and the one field that says most. */
json_t *mark_label(json_t *ev)
{
	static const char *keys[] = { "payment", "outcome", "kind", "reason", "action", "how",
				      "message", "channel" };
	const char *e = tl_str(ev, "event");
	char buf[200];
	size_t len = (size_t)snprintf(buf, sizeof(buf), "%s", e);
	int shown = 0;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]) && shown < 2 && len < sizeof(buf); k++) {
		const char *v = tl_str(ev, keys[k]);
		if (!v[0])
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%.60s", shown ? " " : ": ", v);
		shown++;
	}
	if (strcmp(e, "htlc_refunded") == 0 && len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, " %s #%lld", tl_str(ev, "channel"),
			 (long long)tl_int(ev, "htlc"));
	/* a repeat Bob recognised: which HTLC, and what he did with it */
	else if (strcmp(e, "duplicate_ignored") == 0 && len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, " #%lld (already held: not taken again)",
			 (long long)tl_int(ev, "htlc"));
	else if (strcmp(e, "resolution_resent") == 0 && len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, " #%lld (already resolved: answered again)",
			 (long long)tl_int(ev, "htlc"));
	return json_string(buf);
}


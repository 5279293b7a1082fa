/* Every event the project emits (evtable.h). One EV(...) per entry: the
 * name, the stream, then the fields in the order they are written.
 * tests/integration/evtable.py reads this file: keep one EV per entry and
 * the field macros below. */
#include "evtable.h"

#include <stdio.h>
#include <string.h>

#define F(k, t) { k, NULL, EVT_##t, false }
#define OPT(k, t) { k, NULL, EVT_##t, true }
#define ALT(k, a, t) { k, a, EVT_##t, false }
#define FIELDS(...) (const struct evt_field[]){ __VA_ARGS__ }, \
	sizeof((const struct evt_field[]){ __VA_ARGS__ }) / sizeof(struct evt_field)
#define EV(name, stream, ...) { name, stream, FIELDS(__VA_ARGS__) }

static const struct evt_entry table[] = {
	/* both daemons */
	EV("channel_open", EVS_BOTH, F("channel", STR), F("capacity_msat", U64), F("alice_msat", U64),
	   F("bob_msat", U64)),
	EV("channel_reconnected", EVS_ALICE, F("channel", STR), F("capacity_msat", U64),
	   F("alice_msat", U64), F("bob_msat", U64)),
	EV("channel_reconnected", EVS_BOB, F("channel", STR)),
	EV("peer_disconnected", EVS_BOTH, F("peer", STR), F("reason", STR)),
	EV("peer_error", EVS_BOTH, F("peer", STR), F("reason", STR)),
	EV("htlc_fulfilled", EVS_ALICE, F("payment", STR), F("channel", STR), F("htlc", U64),
	   F("amount_msat", U64), F("hash", HEX), F("preimage", HEX), OPT("reason", STR),
	   F("source", STR)),
	EV("htlc_fulfilled", EVS_BOB, F("channel", STR), F("htlc", U64), F("amount_msat", U64),
	   F("hash", HEX), F("preimage", HEX)),
	EV("htlc_failed", EVS_ALICE, F("payment", STR), F("channel", STR), F("htlc", U64),
	   F("amount_msat", U64), F("hash", HEX), OPT("failure_code", I64), F("reason", STR),
	   F("source", STR)),
	EV("htlc_failed", EVS_BOB, F("channel", STR), F("htlc", U64), F("amount_msat", U64),
	   F("hash", HEX), F("failure_code", I64), F("reason", STR)),
	EV("htlc_refunded", EVS_ALICE, F("payment", STR), F("channel", STR), F("htlc", U64),
	   F("amount_msat", U64), F("hash", HEX), F("reason", STR), F("source", STR)),
	EV("htlc_refunded", EVS_BOB, F("channel", STR), F("htlc", U64), F("amount_msat", U64),
	   F("hash", HEX), F("reason", STR)),
	EV("message_dropped", EVS_BOTH, F("channel", STR), F("message", STR), F("kind_seq", U64),
	   F("why", STR)),
	EV("message_held", EVS_BOTH, F("channel", STR), F("message", STR)),
	EV("messages_released", EVS_BOTH, F("channel", STR), F("count", U64)),
	EV("message_duplicated", EVS_BOTH, F("channel", STR), F("message", STR)),
	EV("fault_applied", EVS_BOTH, OPT("channel", STR), OPT("direction", STR), F("action", STR)),
	EV("fault_lifted", EVS_BOTH, F("channel", STR), F("direction", STR), F("action", STR)),
	EV("restart", EVS_ALICE, F("payments", I64)),
	EV("restart", EVS_BOB, F("channels", I64)),
	EV("crash", EVS_BOTH, F("how", STR)),
	EV("invariant_violation", EVS_BOTH, F("what", STR)),
	EV("state_change_refused", EVS_BOTH, F("machine", STR), F("subject", STR), F("from", STR),
	   F("trigger", STR)),
	EV("chain_unreachable", EVS_BOTH, F("chain", STR), F("reason", STR)),
	EV("chain_reachable", EVS_BOTH, F("chain", STR)),

	/* alice only */
	EV("payment_started", EVS_ALICE, F("payment", STR), F("mode", STR), F("amount_msat", U64),
	   F("shards", I64)),
	EV("payment_deferred", EVS_ALICE, F("payment", STR), F("reason", STR)),
	EV("payment_state", EVS_ALICE, F("payment", STR), F("trigger", STR), F("from", STR),
	   F("to", STR)),
	EV("invoice_received", EVS_ALICE, F("payment", STR), F("amount_msat", U64), F("hash", HEX)),
	EV("invoice_ignored", EVS_ALICE, F("request", U64), F("reason", STR)),
	EV("invoice_rejected", EVS_ALICE, F("payment", STR), F("reason", STR)),
	EV("htlc_offered", EVS_ALICE, F("payment", STR), F("channel", STR), F("htlc", U64),
	   F("amount_msat", U64), F("hash", HEX), F("cltv_expiry", I64), OPT("set_id", HEX),
	   OPT("child_index", I64), F("attempt", I64)),
	EV("part_state", EVS_ALICE, F("payment", STR), F("part", U64), F("trigger", STR),
	   F("from", STR), F("to", STR), OPT("why", STR)),
	EV("part_retry", EVS_ALICE, F("payment", STR), F("channel", STR), F("attempt", I64)),
	EV("countersignature_refused", EVS_ALICE, F("channel", STR), F("htlc", U64),
	   F("reason", STR)),
	EV("fulfill_rejected", EVS_ALICE, F("channel", STR), F("htlc", U64), F("reason", STR)),
	EV("fulfill_refused", EVS_ALICE, F("channel", STR), F("htlc", U64), F("reason", STR)),
	EV("fulfill_ignored", EVS_ALICE, F("channel", STR), F("htlc", U64), F("reason", STR)),
	EV("fail_ignored", EVS_ALICE, F("channel", STR), F("htlc", U64), F("reason", STR)),
	EV("payment_outcome", EVS_ALICE, F("payment", STR), F("outcome", STR), F("mode", STR),
	   F("amount_msat", U64), F("paid_msat", U64), OPT("why", STR)),
	EV("reconnected", EVS_ALICE, F("attempt", I64)),
	EV("reestablished", EVS_ALICE, F("adds_replayed", I64), F("reconnects", I64)),
	EV("onchain_refund_sent", EVS_ALICE, F("channel", STR), F("htlc", U64)),
	EV("onchain_refund_deferred", EVS_ALICE, F("channel", STR), F("htlc", U64),
	   F("cltv_expiry", I64)),
	EV("onchain_preimage_learned", EVS_ALICE, F("channel", STR), F("htlc", U64)),

	/* bob only */
	EV("peer_connected", EVS_BOB, F("peer", STR)),
	EV("peer_refused", EVS_BOB, F("peer", STR), F("node_id", HEX), F("reason", STR)),
	EV("clock_replaced", EVS_BOB, F("peer", STR), F("reason", STR)),
	EV("message_refused", EVS_BOB, F("peer", STR), F("message", STR), F("reason", STR)),
	EV("invoice_created", EVS_BOB, F("amount_msat", U64), F("hash", HEX)),
	EV("invoice_expired", EVS_BOB, F("hash", HEX), F("created_height", U64)),
	EV("htlc_received", EVS_BOB, F("channel", STR), F("htlc", U64), F("amount_msat", U64),
	   F("hash", HEX), F("cltv_expiry", I64), OPT("set_id", HEX), OPT("child_index", I64)),
	EV("duplicate_ignored", EVS_BOB, F("channel", STR), F("message", STR), F("htlc", U64)),
	EV("resolution_resent", EVS_BOB, F("channel", STR), F("message", STR), F("htlc", U64)),
	EV("resolution_deferred", EVS_BOB, F("channel", STR), F("htlc", U64)),
	EV("set_complete", EVS_BOB, F("kind", STR), ALT("set_id", "hash", HEX), F("total_msat", U64),
	   F("parts", I64), OPT("root", HEX)),
	EV("hold_timeout", EVS_BOB, ALT("set_id", "hash", HEX), F("held_msat", U64),
	   F("total_msat", U64), F("parts", I64), F("reason", STR)),
	EV("set_failed", EVS_BOB, ALT("set_id", "hash", HEX), F("held_msat", U64),
	   F("total_msat", U64), F("parts", I64), F("reason", STR)),
	EV("set_withheld", EVS_BOB, ALT("set_id", "hash", HEX), F("behaviour", STR)),
	EV("part_settled_early", EVS_BOB, F("channel", STR), F("htlc", U64), F("amount_msat", U64),
	   F("total_msat", U64), F("behaviour", STR)),
	EV("amp_reconstruction_failed", EVS_BOB, F("set_id", HEX), F("channel", STR),
	   F("htlc", U64)),
	EV("channel_reestablish", EVS_BOB, F("channel", STR), F("next_htlc_id", U64),
	   F("inflight", I64)),
	EV("onchain_claim_sent", EVS_BOB, F("channel", STR), F("htlc", U64), F("cltv_expiry", I64)),
	EV("onchain_claim_beaten", EVS_BOB, F("channel", STR), F("htlc", U64),
	   F("cltv_expiry", I64)),
	EV("onchain_claim_invalid", EVS_BOB, F("channel", STR), F("htlc", U64),
	   F("cltv_expiry", I64)),
	EV("onchain_claim_deferred", EVS_BOB, F("channel", STR), F("htlc", U64),
	   F("cltv_expiry", I64)),
	EV("onchain_claim_confirmed", EVS_BOB, F("channel", STR), F("htlc", U64),
	   F("amount_msat", U64)),
	EV("htlc_lost_onchain", EVS_BOB, F("channel", STR), F("htlc", U64), F("amount_msat", U64),
	   OPT("reason", STR)),
	EV("greedy_claim_attempt", EVS_BOB, F("channel", STR), F("htlc", U64),
	   F("guessed_preimage", HEX)),
	EV("late_claim_attempt", EVS_BOB, F("channel", STR), F("htlc", U64), F("cltv_expiry", I64)),

	/* bob's diagnostics, not an event log */
	EV("htlc_state", EVS_BOB_DEBUG, F("channel", STR), F("htlc", U64), F("from", STR),
	   F("to", STR), F("event", STR)),
};

const struct evt_entry *evtable_entries(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

static bool covers(enum ev_stream s, enum ev_stream node)
{
	if (s == EVS_BOB_DEBUG)
		return node == EVS_BOB || node == EVS_BOB_DEBUG;
	return (s & node) != 0;
}

const struct evt_entry *evtable_find(const char *name, enum ev_stream node)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (covers(table[i].stream, node) && strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

const char *evt_type_name(enum evt_type t)
{
	switch (t) {
	case EVT_STR: return "str";
	case EVT_HEX: return "hex";
	case EVT_U64: return "u64";
	case EVT_I64: return "i64";
	case EVT_BOOL: return "bool";
	case EVT_REAL: return "real";
	}
	return "?";
}

const char *ev_stream_name(enum ev_stream s)
{
	switch (s) {
	case EVS_ALICE: return "alice";
	case EVS_BOB: return "bob";
	case EVS_BOTH: return "both";
	case EVS_BOB_DEBUG: return "bob (diagnostics)";
	}
	return "?";
}

static bool is_hex(const char *s)
{
	size_t n = strlen(s);
	if (n % 2)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* Whether the record's field f is of type t. */
static bool type_fits(const struct evrec *r, size_t i, enum evt_type t)
{
	const struct evf *f = &r->f[i];
	switch (t) {
	case EVT_STR: return f->type == EVF_STR;
	case EVT_HEX: return f->type == EVF_STR && is_hex(evrec_field_str(r, i));
	case EVT_U64: return f->type == EVF_U64;
	case EVT_I64: return f->type == EVF_I64;
	case EVT_BOOL: return f->type == EVF_BOOL;
	case EVT_REAL: return f->type == EVF_REAL;
	}
	return false;
}

static bool key_fits(const struct evt_field *tf, const char *key)
{
	return strcmp(tf->key, key) == 0 || (tf->alt && strcmp(tf->alt, key) == 0);
}

bool evtable_check(const struct evrec *r, enum ev_stream node, char *why, size_t n)
{
	const struct evt_entry *e = evtable_find(r->name, node);
	if (!e) {
		snprintf(why, n, "%s: no such event of %s in the table", r->name, ev_stream_name(node));
		return false;
	}
	size_t k = 0;   /* the table's next field */
	for (size_t i = 0; i < r->n; i++) {
		while (k < e->nfields && e->fields[k].optional && !key_fits(&e->fields[k], r->f[i].key))
			k++;
		if (k == e->nfields || !key_fits(&e->fields[k], r->f[i].key)) {
			snprintf(why, n, "%s: field %s is not where the table has %s", r->name,
				 r->f[i].key, k < e->nfields ? e->fields[k].key : "no more fields");
			return false;
		}
		if (!type_fits(r, i, e->fields[k].type)) {
			snprintf(why, n, "%s: field %s is not %s", r->name, r->f[i].key,
				 evt_type_name(e->fields[k].type));
			return false;
		}
		k++;
	}
	for (; k < e->nfields; k++)
		if (!e->fields[k].optional) {
			snprintf(why, n, "%s: field %s is missing", r->name, e->fields[k].key);
			return false;
		}
	return true;
}

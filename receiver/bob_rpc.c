/* bob's control socket: the JSON-RPC methods (getinfo, channels, invoice,
 * listinvoices, fault, stop). Each handler checks its parameters and reads
 * the engine, or hands it a control request. */
#include <event2/event.h>

#include "amount.h"
#include "bob.h"
#include "daemon.h"
#include "events.h"
#include "invoice.h"
#include "peer.h"
#include "rpc.h"

static json_t *rpc_getinfo(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct bob *b = arg;
	json_t *r = json_object();
	json_set_str(r, "node", "bob");
	json_set_str(r, "version", AMPSIM_VERSION);
	json_object_set_new(r, "port", json_integer(b->port));
	json_object_set_new(r, "height", json_integer(simclock_height_of(&b->eng.clk, bob_now(b))));
	json_object_set_new(r, "t_ms", json_real((double)bob_now(b) / 1000.0));
	json_object_set_new(r, "violations", json_integer(evlog_violations(b->log)));
	json_object_set_new(r, "channels", json_integer((json_int_t)b->eng.nchans));
	json_object_set_new(r, "sets_holding", json_integer((json_int_t)b->eng.sets.count));
	json_set_str(r, "behaviour", bob_behaviour_name(b->eng.cfg.behaviour));
	unsigned pending = 0, held = 0;
	for (struct bob_conn *c = b->conns; c; c = c->next) {
		pending += peer_pending(c->peer);
		held += peer_held(c->peer);
	}
	json_object_set_new(r, "messages_pending", json_integer(pending));
	json_object_set_new(r, "messages_held", json_integer(held));
	json_t *otw = json_array();   /* which messages, when there are any */
	for (struct bob_conn *c = b->conns; c; c = c->next)
		peer_pending_list(c->peer, "alice", otw);
	json_object_set_new(r, "on_the_way", otw);
	json_set_u64(r, "frames_sent", peer_frames_written());
	json_set_u64(r, "commits", turn_commits(b->turn));
	json_set_u64(r, "fsyncs", store_fsyncs());
	const struct bob_counters *n = &b->eng.count;
	json_set_u64(r, "htlcs_received", n->htlcs_received);
	json_set_u64(r, "htlcs_fulfilled", n->htlcs_fulfilled);
	json_set_u64(r, "htlcs_failed", n->htlcs_failed);
	json_set_u64(r, "htlcs_refunded", n->htlcs_refunded);
	json_set_u64(r, "sets_settled", n->sets_settled);
	json_set_u64(r, "claims_onchain", n->claims_onchain);
	uint64_t unacked = 0;
	for (size_t i = 0; i < b->eng.nchans; i++)
		unacked += b->eng.chans[i].unacked;
	json_set_u64(r, "fulfills_unacked", unacked);
	return r;
}

static json_t *rpc_channels(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct bob *b = arg;
	json_t *r = json_object();
	bob_sync_links(b);
	for (size_t i = 0; i < b->eng.nchans; i++) {
		/* the engine's ledger seen through the shell's link state */
		struct chan view = b->links[i];
		view.ledger = b->eng.chans[i].ledger;
		json_object_set_new(r, view.ledger.id, chan_json(&view));
	}
	return r;
}

static json_t *rpc_invoice(json_t *params, void *arg, struct rpc_err *err)
{
	struct bob *b = arg;
	const char *amt = json_string_value(json_object_get(params, "amount"));
	json_t *amsat = json_object_get(params, "amount_msat");
	const char *desc = json_string_value(json_object_get(params, "description"));
	struct amount_msat a;
	const char *why;
	if (amt) {
		if (!amount_parse(amt, &a, &why))
			return rpc_fail(err, RPC_INVALID_PARAMS, "amount '%s': %s", amt, why);
	} else if (json_is_integer(amsat) && json_integer_value(amsat) > 0) {
		a = amount_msat((uint64_t)json_integer_value(amsat));
	} else {
		return rpc_fail(err, RPC_INVALID_PARAMS, "needs \"amount\" (e.g. \"1btc\") or \"amount_msat\"");
	}
	if (amount_is_zero(a))
		return rpc_fail(err, RPC_INVALID_PARAMS, "amount must be above zero");
	struct actions out;
	actions_init(&out);
	if (b->eng.unpaid >= BOB_MAX_UNPAID)
		return rpc_fail(err, RPC_REFUSED, "%u invoices are unpaid; no new one until some are paid",
				(unsigned)BOB_MAX_UNPAID);
	size_t n = bob_engine_new_invoice(&b->eng, a, desc, bob_now(b), &out);
	uint64_t seq = b->eng.invoices[n].seq;
	bob_act(b, &out);   /* stored before it is handed out */
	actions_free(&out);
	/* invoices may have moved; an unpaid one is never forgotten */
	const struct bob_invoice *bi = bob_engine_invoice_by_seq(&b->eng, seq);
	/* signed by Bob's node: alice checks it against the node she reached */
	struct invoice signed_inv = bi->inv;
	uint8_t digest[32];
	invoice_digest(&signed_inv, digest);
	if (!noise_sign(b->key.priv, digest, signed_inv.signature))
		return rpc_fail(err, RPC_INTERNAL_ERROR, "cannot sign the invoice");
	signed_inv.has_signature = true;
	char text[INVOICE_TEXT_MAX];
	if (!invoice_encode(&signed_inv, text, sizeof(text)))
		return rpc_fail(err, RPC_INTERNAL_ERROR, "invoice does not encode");
	json_t *r = json_object();
	json_set_str(r, "invoice", text);
	json_set_hex(r, "payment_hash", bi->inv.payment_hash, AMP_LEN);
	json_set_u64(r, "amount_msat", a.millisatoshis);
	return r;
}

static json_t *rpc_listinvoices(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct bob *b = arg;
	json_t *r = json_array();
	for (size_t i = 0; i < b->eng.ninvoices; i++) {
		const struct bob_invoice *bi = &b->eng.invoices[i];
		json_t *o = json_object();
		json_set_hex(o, "payment_hash", bi->inv.payment_hash, AMP_LEN);
		json_set_u64(o, "amount_msat", bi->inv.amount.millisatoshis);
		json_set_str(o, "status", bi->paid ? "paid" : "unpaid");
		json_set_str(o, "description", bi->inv.description);
		json_array_append_new(r, o);
	}
	return r;
}

static json_t *rpc_fault(json_t *params, void *arg, struct rpc_err *err)
{
	struct bob *b = arg;
	struct fault_config f;
	const char *channel;
	bool lift;
	if (!fault_request_parse(params, &f, &channel, &lift, err))
		return NULL;
	size_t only = 0;
	if (channel && !bob_engine_chan(&b->eng, channel, &only))
		return rpc_fail(err, RPC_INVALID_PARAMS, "unknown channel '%s'", channel);
	bob_sync_links(b);
	for (size_t i = 0; i < b->eng.nchans; i++) {
		const char *no = channel && i != only ? NULL
			       : chan_fault_refused(&b->links[i], DIR_TO_ALICE, &f, lift);
		if (no)
			return rpc_fail(err, RPC_INVALID_PARAMS, "%s: %s on %s", f.text, no,
					b->eng.chans[i].ledger.id);
	}
	for (size_t i = 0; i < b->eng.nchans; i++) {
		if (channel && i != only)
			continue;
		struct bob_conn *c = bob_conn_by_id(b, b->eng.chans[i].conn);
		if (chan_fault(&b->links[i], DIR_TO_ALICE, &f, lift) && c)
			peer_release_held(c->peer, &b->links[i].out, b->eng.chans[i].ledger.id);
	}
	fault_request_log(b->log, &f, channel, lift);
	return json_pack("{s:b}", "ok", 1);
}

static json_t *rpc_stop(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct bob *b = arg;
	/* a moment for this answer to go out before the loop ends */
	struct timeval tv = { 0, 20000 };
	event_base_loopexit(b->base, &tv);
	return json_pack("{s:b}", "ok", 1);
}

const struct rpc_method bob_methods[] = {
	{ "getinfo", rpc_getinfo, "getinfo: height, counters, invariant violations" },
	{ "channels", rpc_channels, "channels: Bob's view of every channel" },
	{ "invoice", rpc_invoice, "invoice {amount, description}: a new invoice" },
	{ "listinvoices", rpc_listinvoices, "listinvoices: every invoice and whether it is paid" },
	{ "fault", rpc_fault, "fault {channel, direction, action, lift}: impair a channel" },
	{ "stop", rpc_stop, "stop: shut the daemon down" },
	{ NULL, NULL, NULL },
};

/* Bob's engine: connections, the messages Alice sends, and invoices.
 * Sets live in bob_sets.c, resolutions in bob_resolve.c, blocks and the
 * chain in bob_block.c, restarts in bob_restore.c. */
#include "bob_engine.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bob_engine_int.h"
#include "frame.h"
#include "log.h"
#include "msg.h"

void bob_engine_init(struct bob_engine *e, const struct bob_config *cfg)
{
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	e->encode_records = true;
	e->clk.block_interval_us = 1000000;
	e->clk.time_scale = 1;
	/* the hash keys, from the injected randomness: a table's layout is
	 * not observable, and a peer cannot aim at keys it never sees */
	void (*draw)(void *, uint8_t *, size_t) = cfg->table_random ? cfg->table_random : cfg->random;
	void *ctx = cfg->table_random ? cfg->table_random_ctx : cfg->random_ctx;
	uint8_t key[AMPSET_KEY_LEN];
	draw(ctx, e->node_hkey, sizeof(e->node_hkey));
	draw(ctx, key, sizeof(key));
	ampset_table_key(&e->sets, key);
}

void bob_engine_free(struct bob_engine *e)
{
	ampset_table_free(&e->sets);
	for (size_t i = 0; i < e->nchans; i++) {
		ledger_free(&e->chans[i].ledger);
		htlc_table_free(&e->chans[i].htlcs);
	}
	free(e->invoices);
	u64map_free(&e->inv_by_hash);
	u64map_free(&e->unpaid_by_node);
	free(e->late);
	chain_wait_free(&e->wait);
	memset(e, 0, sizeof(*e));
}

/* ---- lookups ----------------------------------------------------------- */


/* ---- connections ------------------------------------------------------- */

bool bob_engine_connected(struct bob_engine *e, uint64_t conn, const char *name)
{
	if (conn == BOB_NO_CONN || e->nconns == BOB_MAX_CONNS)
		return false;
	struct bob_conn_state *c = &e->conns[e->nconns++];
	memset(c, 0, sizeof(*c));
	c->conn = conn;
	snprintf(c->name, sizeof(c->name), "%s", name);
	return true;
}

bool bob_engine_conn_node(struct bob_engine *e, uint64_t conn, const uint8_t node[33])
{
	struct bob_conn_state *c = be_conn_of(e, conn);
	if (!c)
		return false;
	size_t same = 0;
	for (size_t i = 0; i < e->nconns; i++)
		same += e->conns[i].has_node && memcmp(e->conns[i].node, node, 33) == 0;
	if (same >= BOB_MAX_CONNS_PER_NODE)
		return false;
	c->has_node = true;
	memcpy(c->node, node, 33);
	return true;
}

void be_disconnected(struct bob_engine *e, uint64_t conn, const char *why, struct actions *out)
{
	struct bob_conn_state *c = be_conn_of(e, conn);
	if (!c)
		return;
	struct evrec *r = act_log(out, "peer_disconnected");
	evrec_str(r, "peer", c->name);
	evrec_str(r, "reason", why);
	for (size_t i = 0; i < e->nchans; i++)
		if (e->chans[i].conn == conn)
			e->chans[i].conn = BOB_NO_CONN;
	*c = e->conns[--e->nconns];
}

static void send_error(struct actions *out, uint64_t conn, const char *channel, const char *why)
{
	struct msg m;
	act_send(out, conn, ACTION_NO_CHAN, MSG_OTHER, msg_error(&m, channel, why));
}

static void refuse_conn(struct actions *out, uint64_t conn, const char *channel, const char *why)
{
	send_error(out, conn, channel, why);
	act_close(out, conn, why);
}

/* ---- init, open, invoice request ---------------------------------------- */

static void handle_init(struct bob_engine *e, struct bob_conn_state *c, const Ampsim__Init *m,
			uint64_t now_us, struct actions *out)
{
	if (m->version != PROTOCOL_VERSION) {
		char why[96];
		snprintf(why, sizeof(why), "protocol version %u, expected %u", m->version,
			 PROTOCOL_VERSION);
		refuse_conn(out, c->conn, "", why);
		return;
	}
	if (c->inited) {
		refuse_conn(out, c->conn, "", "a second init on one connection");
		return;
	}
	/* the clock a run runs on: a block interval and a time scale that a
	 * height can be computed with */
	if (m->block_interval_us < 1000 || m->block_interval_us > 86400ULL * 1000000 ||
	    !(m->time_scale > 0 && m->time_scale <= 1e9)) {
		refuse_conn(out, c->conn, "", "init with a block interval or time scale out of range");
		return;
	}
	/* Alice's clock is the run's. Once a channel depends on it, it is
	 * set for good: a later init (Alice reconnecting, or restarted from
	 * her state) carries the same one, and any other would move every
	 * height under our HTLCs. Before that, nothing depends on it, and the
	 * init of a node that goes on to open channels must not be locked out
	 * by whoever said init first: a new clock replaces it, and the
	 * connections inited on the old one may say nothing more. */
	bool differs = e->epoch_set && (m->epoch_unix_us != e->clk.epoch_unix_us ||
					m->block_interval_us != e->clk.block_interval_us ||
					m->time_scale != e->clk.time_scale || m->seed != e->seed);
	if (differs && e->nchans > 0) {
		refuse_conn(out, c->conn, "",
			    "init from another run (its clock differs from this bob's, whose channels "
			    "run on it); restart bob to start a new run");
		return;
	}
	if (differs) {
		e->clock_gen++;
		struct evrec *r = act_log(out, "clock_replaced");
		evrec_str(r, "peer", c->name);
		evrec_str(r, "reason", "a new run's init before any channel was opened");
	}
	c->clock_gen = e->clock_gen;
	e->epoch_set = true;
	e->clk.epoch_unix_us = m->epoch_unix_us;
	e->clk.block_interval_us = m->block_interval_us;
	e->clk.time_scale = m->time_scale;
	e->seed = m->seed;
	c->inited = true;
	act_persist(out, BOB_REC_META, ACTION_NO_CHAN, 0);
	act_timer(out, BOB_TIMER_BLOCK, 0,
		  simclock_height_time(&e->clk, simclock_height_of(&e->clk, now_us) + 1));
	struct msg_init mi = {
		.version = PROTOCOL_VERSION, .epoch_unix_us = e->clk.epoch_unix_us,
		.block_interval_us = e->clk.block_interval_us, .seed = e->seed,
		.time_scale = e->clk.time_scale,
	};
	struct msg m2;
	act_send(out, c->conn, ACTION_NO_CHAN, MSG_OTHER, msg_init(&m2, &mi));
	evrec_str(act_log(out, "peer_connected"), "peer", c->name);
}

static void link_params_from(struct link_params *lp, const Ampsim__LinkParams *m)
{
	memset(lp, 0, sizeof(*lp));
	if (!m)
		return;
	lp->delay_us = m->delay_us;
	lp->jitter_us = m->jitter_us;
	switch (m->jitter_dist) {
	case AMPSIM__JITTER_DIST__JITTER_UNIFORM:
	case _AMPSIM__JITTER_DIST_IS_INT_SIZE:
		lp->jitter_dist = JITTER_UNIFORM;
		break;
	case AMPSIM__JITTER_DIST__JITTER_NORMAL:
		lp->jitter_dist = JITTER_NORMAL;
		break;
	case AMPSIM__JITTER_DIST__JITTER_PARETO:
		lp->jitter_dist = JITTER_PARETO;
		break;
	}
	lp->drop = (m->drop >= 0 && m->drop <= 1) ? m->drop : 0;
	lp->duplicate = (m->duplicate >= 0 && m->duplicate <= 1) ? m->duplicate : 0;
}

static bool node_listed(const struct bob_engine *e, const uint8_t node[33])
{
	for (size_t i = 0; i < e->cfg.nlisted; i++)
		if (memcmp(e->cfg.listed[i], node, 33) == 0)
			return true;
	return false;
}

/* Channels held by strangers: nodes not listed, and channels stored
 * before channels had owners. */
static size_t stranger_channels(const struct bob_engine *e)
{
	size_t n = 0;
	for (size_t i = 0; i < e->nchans; i++)
		n += !e->chans[i].owned || !node_listed(e, e->chans[i].owner);
	return n;
}

static void handle_open(struct bob_engine *e, uint64_t conn, const Ampsim__OpenChannel *m,
			struct actions *out)
{
	size_t idx;
	struct bob_chan *bc = bob_engine_chan(e, m->channel_id, &idx);
	const struct bob_conn_state *c = be_conn_of(e, conn);
	if (bc) {
		/* the same channel announced again on a new connection: Alice
		 * reconnected (maybe before we noticed the old one close) -- if
		 * it is the node that opened it */
		if (bc->owned && (!c->has_node || memcmp(c->node, bc->owner, 33) != 0)) {
			char why[128];
			snprintf(why, sizeof(why), "channel '%.40s' belongs to another node",
				 m->channel_id);
			struct evrec *r = act_log(out, "message_refused");
			evrec_str(r, "peer", c->name);
			evrec_str(r, "message", "open_channel");
			evrec_str(r, "reason", why);
			struct msg em;
			act_send(out, conn, ACTION_NO_CHAN, MSG_OTHER, msg_error_code(&em,
				 m->channel_id, AMPSIM__ERROR_CODE__ERROR_FOREIGN_CHANNEL, why));
			act_close(out, conn, why);
			return;
		}
		if (!bc->owned && c->has_node) {
			/* a channel stored before channels had owners */
			bc->owned = true;
			memcpy(bc->owner, c->node, 33);
			act_persist(out, BOB_REC_CHANNEL, idx, 0);
		}
		bc->conn = conn;
		evrec_str(act_log(out, "channel_reconnected"), "channel", m->channel_id);
	} else {
		if (e->nchans == BOB_MAX_CHANNELS) {
			send_error(out, conn, m->channel_id, "too many channels");
			return;
		}
		size_t mine = 0;
		for (size_t i = 0; i < e->nchans && c->has_node; i++)
			mine += e->chans[i].owned && memcmp(e->chans[i].owner, c->node, 33) == 0;
		if (mine >= BOB_MAX_CHANNELS_PER_NODE) {
			send_error(out, conn, m->channel_id, "too many channels from this node");
			return;
		}
		/* a listed node always finds room: strangers hold at most half */
		if ((!c->has_node || !node_listed(e, c->node)) &&
		    stranger_channels(e) >= BOB_MAX_STRANGER_CHANNELS) {
			send_error(out, conn, m->channel_id,
				   "too many channels from strangers (nodes not listed in --allow)");
			return;
		}
		if (m->capacity_msat > BOB_MAX_CAPACITY_MSAT) {
			send_error(out, conn, m->channel_id, "capacity above 21 million BTC");
			return;
		}
		idx = e->nchans;
		bc = &e->chans[idx];
		memset(bc, 0, sizeof(*bc));
		enum ledger_err le = ledger_init(&bc->ledger, m->channel_id,
						 amount_msat(m->capacity_msat),
						 amount_msat(m->alice_msat), m->max_htlcs,
						 amount_msat(m->htlc_minimum_msat));
		if (le != LEDGER_OK) {
			send_error(out, conn, m->channel_id, ledger_err_name(le));
			return;
		}
		e->nchans++;
		link_params_from(&bc->base_out, m->to_alice);
		bc->conn = conn;
		if (c->has_node) {
			bc->owned = true;
			memcpy(bc->owner, c->node, 33);
		}
		act_persist(out, BOB_REC_CHANNEL, idx, 0);
		struct evrec *r = act_log(out, "channel_open");
		evrec_str(r, "channel", m->channel_id);
		evrec_u64(r, "capacity_msat", m->capacity_msat);
		evrec_u64(r, "alice_msat", m->alice_msat);
		evrec_u64(r, "bob_msat", bc->ledger.bob.millisatoshis);
	}
	struct msg a;
	act_send(out, conn, ACTION_NO_CHAN, MSG_OTHER, msg_accept_channel(&a, bc->ledger.id));
}

/* Whether the node behind conn owns a channel with bob. */
static bool node_holds_channel(const struct bob_engine *e, const struct bob_conn_state *c)
{
	for (size_t i = 0; i < e->nchans; i++)
		if (e->chans[i].conn == c->conn ||
		    (c->has_node && e->chans[i].owned && memcmp(e->chans[i].owner, c->node, 33) == 0))
			return true;
	return false;
}

static void handle_invoice_request(struct bob_engine *e, uint64_t conn,
				   const Ampsim__InvoiceRequest *m, uint64_t now_us,
				   struct actions *out)
{
	if (e->unpaid >= BOB_MAX_UNPAID) {
		char why[96];
		snprintf(why, sizeof(why), "%u invoices are unpaid; no new one until some are paid",
			 (unsigned)BOB_MAX_UNPAID);
		send_error(out, conn, "", why);
		return;
	}
	const struct bob_conn_state *c = be_conn_of(e, conn);
	uint64_t requester = c && c->has_node ? be_node_key(e, c->node) : 0;
	if (c && !node_holds_channel(e, c) && requester &&
	    be_unpaid_of(e, requester) >= BOB_MAX_UNPAID_NO_CHANNEL) {
		char why[128];
		snprintf(why, sizeof(why), "this node holds no channel with bob and has %u unpaid "
			 "invoices; no new one until some are paid", (unsigned)BOB_MAX_UNPAID_NO_CHANNEL);
		send_error(out, conn, "", why);
		return;
	}
	char desc[INVOICE_DESC_MAX];
	snprintf(desc, sizeof(desc), "%s", m->description);
	size_t n = be_make_invoice(e, amount_msat(m->amount_msat), desc, now_us, requester, out);
	const struct bob_invoice *bi = &e->invoices[n];
	struct msg r;
	const Ampsim__Envelope *env =
		msg_invoice(&r, m->request_id, bi->inv.amount.millisatoshis, bi->inv.payment_hash,
			    bi->inv.payment_secret, bi->inv.min_final_cltv_expiry,
			    bi->inv.created_height, bi->inv.description);
	uint8_t sig[64];
	if (e->cfg.sign) {
		/* signed by Bob's node: Alice checks it against the node she
		 * reached (BOLT #8) */
		uint8_t digest[32];
		invoice_digest(&bi->inv, digest);
		e->cfg.sign(e->cfg.sign_ctx, digest, sig);
		r.u.invoice.signature.data = sig;
		r.u.invoice.signature.len = sizeof(sig);
	}
	act_send(out, conn, ACTION_NO_CHAN, MSG_OTHER, env);
}

/* ---- update_add_htlc --------------------------------------------------- */

/* What Bob keeps of an add: the HTLC, and (with an MPP record) the set it
 * belongs to, keyed by set_id for AMP and by payment hash for MPP. */
static void htlc_from_add(struct bob_htlc *h, const Ampsim__UpdateAddHtlc *m, uint64_t now_us)
{
	uint64_t id = h->id;
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->amount = amount_msat(m->amount_msat);
	memcpy(h->hash, m->payment_hash.data, AMP_LEN);
	h->cltv_expiry = m->cltv_expiry;
	h->arrived_us = now_us;
	h->kind = !m->mpp ? -1 : m->amp ? SET_AMP : SET_MPP;
	if (m->mpp) {
		h->total = amount_msat(m->mpp->total_msat);
		memcpy(h->key, m->amp ? m->amp->set_id.data : m->payment_hash.data, AMP_LEN);
	}
	if (m->amp) {
		memcpy(h->share, m->amp->root_share.data, AMP_LEN);
		h->child_index = m->amp->child_index;
	}
}

static void log_received(const struct bob_chan *bc, const Ampsim__UpdateAddHtlc *m,
			 struct actions *out)
{
	struct evrec *r = act_log(out, "htlc_received");
	evrec_str(r, "channel", bc->ledger.id);
	evrec_u64(r, "htlc", m->htlc_id);
	evrec_u64(r, "amount_msat", m->amount_msat);
	evrec_hex(r, "hash", m->payment_hash.data, AMP_LEN);
	evrec_i64(r, "cltv_expiry", m->cltv_expiry);
	if (m->amp) {
		evrec_hex(r, "set_id", m->amp->set_id.data, AMP_LEN);
		evrec_i64(r, "child_index", m->amp->child_index);
	}
}

/* The checks an MPP part's invoice must pass; NULL if it does. */
static const char *invoice_refusal(struct bob_engine *e, const struct bob_htlc *h,
				   const Ampsim__MppRecord *mpp)
{
	const struct bob_invoice *inv = be_find_invoice(e, h->key);
	/* BOLT #4: unknown hash, wrong payment_secret, or a total below the
	 * invoice amount: incorrect_or_unknown_payment_details */
	if (!inv)
		return "unknown payment hash";
	if (inv->paid)
		return "invoice already paid";
	if (sodium_memcmp(inv->inv.payment_secret, mpp->payment_secret.data, AMP_LEN) != 0)
		return "wrong payment_secret";
	if (mpp->total_msat < inv->inv.amount.millisatoshis)
		return "total_msat below the invoice amount";
	return NULL;
}

static void greedy_claim(struct bob_engine *e, size_t chan, uint64_t htlc_id, struct actions *out)
{
	/* adversarial: claim the shard at once with a guessed preimage;
	 * Alice checks SHA256(r) == h and refuses it */
	uint8_t guess[AMP_LEN];
	e->cfg.random(e->cfg.random_ctx, guess, AMP_LEN);
	struct evrec *r = act_log(out, "greedy_claim_attempt");
	evrec_str(r, "channel", e->chans[chan].ledger.id);
	evrec_u64(r, "htlc", htlc_id);
	evrec_hex(r, "guessed_preimage", guess, AMP_LEN);
	be_send_fulfill(e, chan, htlc_id, guess, out);
}

static void handle_add(struct bob_engine *e, uint64_t conn, const Ampsim__UpdateAddHtlc *m,
		       uint64_t now_us, struct actions *out)
{
	size_t chan;
	struct bob_chan *bc = bob_engine_chan(e, m->channel_id, &chan);
	if (!bc || bc->conn != conn) {
		char why[128];
		snprintf(why, sizeof(why), "update_add_htlc on unknown channel '%.40s'", m->channel_id);
		refuse_conn(out, conn, m->channel_id, why);
		return;
	}
	const struct bob_htlc *seen = bob_engine_htlc(e, chan, m->htlc_id);
	if (seen || htlc_table_finished(&bc->htlcs, m->htlc_id)) {
		/* a duplicated or replayed add: if we have resolved it and Alice
		 * has not acknowledged, she has not heard: say it again; if we
		 * hold it, or she acknowledged long ago, nothing to do */
		bool resend = seen && (seen->fsm.state == BH_FULFILLED || seen->fsm.state == BH_FAILED);
		struct evrec *r = act_log(out, resend ? "resolution_resent" : "duplicate_ignored");
		evrec_str(r, "channel", bc->ledger.id);
		evrec_str(r, "message", "update_add_htlc");
		evrec_u64(r, "htlc", m->htlc_id);
		if (resend)
			be_transmit(e, chan, m->htlc_id, out);
		else if (seen && seen->fsm.state == BH_HELD)
			be_send_signed(e, chan, seen, out);   /* she may not have it */
		return;
	}
	if (m->htlc_id >= bc->htlcs.next + BOB_SEEN_WINDOW) {
		char why[128];
		snprintf(why, sizeof(why), "htlc_id %llu jumps too far ahead",
			 (unsigned long long)m->htlc_id);
		refuse_conn(out, conn, m->channel_id, why);
		return;
	}
	if (bc->htlcs.live.n - bc->ledger.nhtlcs >= BOB_MAX_UNACKED) {
		char why[160];
		snprintf(why, sizeof(why), "%u resolutions on channel '%.40s' are not acknowledged; "
			 "no new HTLC until they are", (unsigned)BOB_MAX_UNACKED, m->channel_id);
		refuse_conn(out, conn, m->channel_id, why);
		return;
	}
	if (!be_sign_terms(e, bc, m, NULL)) {
		char why[160];
		snprintf(why, sizeof(why), "update_add_htlc %llu: sender_sig is not the channel's "
			 "node's signature over its terms", (unsigned long long)m->htlc_id);
		refuse_conn(out, conn, m->channel_id, why);
		return;
	}
	struct bob_htlc *h = be_htlc_slot(bc, m->htlc_id);
	htlc_from_add(h, m, now_us);
	be_sign_terms(e, bc, m, h);
	e->count.htlcs_received++;
	enum ledger_err le = ledger_add(&bc->ledger, m->htlc_id, h->amount, h->hash, h->cltv_expiry);
	log_received(bc, m, out);
	act_persist(out, BOB_REC_HTLC_ADD, chan, m->htlc_id);
	if (le != LEDGER_OK) {
		/* Alice's view and ours disagree about room on the channel: refuse
		 * the HTLC without touching our ledger */
		be_resolve(e, chan, m->htlc_id, HTLC_EV_REFUSE, NULL,
			   AMPSIM__FAILURE_CODE__FAILURE_TEMPORARY_CHANNEL_FAILURE, ledger_err_name(le),
			   out);
		be_transmit(e, chan, m->htlc_id, out);
		return;
	}
	h->in_ledger = true;
	if (!htlc_change(&h->fsm, HTLC_EV_ACCEPT, FSM_PEER, bc->ledger.id, m->htlc_id, out))
		return;
	be_check_conservation(bc, out);
	act_persist(out, BOB_REC_CHANNEL, chan, 0);

	const uint32_t unknown = AMPSIM__FAILURE_CODE__FAILURE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS;
	/* BOLT #4: "if the cltv_expiry value is unreasonably near the present:
	 * MUST fail the HTLC ... MUST return an incorrect_or_unknown_payment_details" */
	if ((uint64_t)m->cltv_expiry < (uint64_t)be_height(e, now_us) + e->cfg.final_cltv_delta) {
		be_fail_one(e, chan, m->htlc_id, unknown, "cltv_expiry too soon (final_cltv_delta)", out);
		return;
	}
	if (!m->mpp) {
		be_fail_one(e, chan, m->htlc_id, unknown, "no payment_secret / total_msat (MPP record)",
			    out);
		return;
	}
	if (!m->amp) {
		const char *why = invoice_refusal(e, h, m->mpp);
		if (why) {
			be_fail_one(e, chan, m->htlc_id, unknown, why, out);
			return;
		}
	}
	be_send_signed(e, chan, h, out);
	if (e->cfg.behaviour == BOB_GREEDY)
		greedy_claim(e, chan, m->htlc_id, out);
	if (e->cfg.behaviour == BOB_EAGER && !m->amp && be_eager_claim(e, chan, m->htlc_id, out))
		return;
	be_set_verdict(e, chan, m->htlc_id, be_join_set(e, chan, m->htlc_id), now_us, out);
}

/* ---- resolve_ack, reestablish, ping ------------------------------------- */

/* A message about a channel from a connection that is not the one its
 * node opened it on: refused, logged, and the connection closed. false,
 * and nothing to do, for a channel that does not exist. */
static bool from_owner(struct bob_engine *e, uint64_t conn, const char *channel, const char *msg,
		       struct actions *out)
{
	size_t chan;
	const struct bob_chan *bc = bob_engine_chan(e, channel, &chan);
	if (!bc)
		return false;        /* no such channel: nothing to do */
	if (bc->conn == conn)
		return true;
	char why[160];
	snprintf(why, sizeof(why), "%s for channel '%.40s', which this connection did not open",
		 msg, channel);
	const struct bob_conn_state *c = be_conn_of(e, conn);
	struct evrec *r = act_log(out, "message_refused");
	evrec_str(r, "peer", c ? c->name : "");
	evrec_str(r, "message", msg);
	evrec_str(r, "reason", why);
	refuse_conn(out, conn, channel, why);
	return false;
}

static void handle_ack(struct bob_engine *e, uint64_t conn, const Ampsim__ResolveAck *m,
		       uint64_t now_us, struct actions *out)
{
	size_t chan;
	if (!from_owner(e, conn, m->channel_id, "resolve_ack", out) ||
	    !bob_engine_chan(e, m->channel_id, &chan))
		return;
	struct bob_htlc *h = bob_engine_htlc(e, chan, m->htlc_id);
	if (!h || h->fsm.state == BH_HELD || h->acked)
		return;
	if (m->reclaimed) {
		/* she took it back at its expiry: believed only from then on
		 * (before it, a fulfill is hers to take), and only for a fulfill
		 * no chain settled: what she could have refunded on chain */
		if (h->fsm.state != BH_FULFILLED || be_height(e, now_us) < h->cltv_expiry)
			return;
		h->acked = true;
		if (e->chans[chan].unacked)
			e->chans[chan].unacked--;
		be_lose_fulfilled(e, chan, h, "Alice reclaimed it at its expiry (its fulfill came "
				  "too late, or its terms were never countersigned)", out);
		return;
	}
	h->acked = true;
	if (h->fsm.state == BH_FULFILLED && e->chans[chan].unacked)
		e->chans[chan].unacked--;
	/* acknowledged: nothing more can happen to it */
	htlc_table_forget(&e->chans[chan].htlcs, m->htlc_id);
	act_persist(out, BOB_REC_HTLC_FORGET, chan, m->htlc_id);
	act_persist(out, BOB_REC_CHANNEL, chan, 0);
}

static void handle_pong_request(uint64_t conn, const Ampsim__Ping *ping, struct actions *out)
{
	static const uint8_t pad[1024];
	struct msg m;
	const Ampsim__Envelope *env = msg_pong(&m);
	uint32_t n = ping->num_pong_bytes;
	m.u.pong.ignored.len = n < sizeof(pad) ? n : sizeof(pad);
	m.u.pong.ignored.data = (uint8_t *)pad;
	act_send(out, conn, ACTION_NO_CHAN, MSG_OTHER, env);
}

void be_message(struct bob_engine *e, uint64_t conn, const Ampsim__Envelope *env, uint64_t now_us,
		struct actions *out)
{
	struct bob_conn_state *c = be_conn_of(e, conn);
	if (!c)
		fatal("bob engine: message on unknown connection %llu", (unsigned long long)conn);
	if (!c->inited && env->msg_case != AMPSIM__ENVELOPE__MSG_INIT) {
		char why[96];
		snprintf(why, sizeof(why), "%s before init", envelope_type_name(env));
		refuse_conn(out, conn, "", why);
		return;
	}
	if (c->inited && c->clock_gen != e->clock_gen && env->msg_case != AMPSIM__ENVELOPE__MSG_INIT) {
		refuse_conn(out, conn, "",
			    "another node started a new run since this connection's init; reconnect");
		return;
	}
	switch (env->msg_case) {
	case AMPSIM__ENVELOPE__MSG_INIT:
		handle_init(e, c, env->init, now_us, out);
		break;
	case AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL:
		handle_open(e, conn, env->open_channel, out);
		break;
	case AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST:
		handle_invoice_request(e, conn, env->invoice_request, now_us, out);
		break;
	case AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC:
		handle_add(e, conn, env->update_add_htlc, now_us, out);
		break;
	case AMPSIM__ENVELOPE__MSG_PING:
		handle_pong_request(conn, env->ping, out);
		break;
	case AMPSIM__ENVELOPE__MSG_RESOLVE_ACK:
		handle_ack(e, conn, env->resolve_ack, now_us, out);
		break;
	case AMPSIM__ENVELOPE__MSG_REESTABLISH: {
		/* Alice replays her unresolved adds after it: each is answered
		 * as a duplicate (the resolution again, or nothing if held) */
		if (!from_owner(e, conn, env->reestablish->channel_id, "channel_reestablish", out))
			break;
		struct evrec *r = act_log(out, "channel_reestablish");
		evrec_str(r, "channel", env->reestablish->channel_id);
		evrec_u64(r, "next_htlc_id", env->reestablish->next_htlc_id);
		evrec_i64(r, "inflight", env->reestablish->inflight);
		break;
	}
	case AMPSIM__ENVELOPE__MSG_ERROR:
	case AMPSIM__ENVELOPE__MSG_PONG:
		break;   /* the shell reports Alice's error text */
	case AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL:
	case AMPSIM__ENVELOPE__MSG_HTLC_SIGNED:
	case AMPSIM__ENVELOPE__MSG_INVOICE:
	case AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC:
	case AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC:
	case AMPSIM__ENVELOPE__MSG__NOT_SET:
	case _AMPSIM__ENVELOPE__MSG__CASE_IS_INT_SIZE: {
		char why[96];
		snprintf(why, sizeof(why), "unexpected %s from Alice", envelope_type_name(env));
		send_error(out, conn, "", why);
		break;
	}
	}
}

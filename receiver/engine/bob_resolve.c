/* How an HTLC ends, and how the end is told to Alice. Every change of an
 * HTLC's state goes through htlc_change (htlc_state.c) from here. */
#include <stdio.h>
#include <string.h>

#include "bob_engine_int.h"
#include "log.h"
#include "msg.h"

static enum htlc_end ledger_end_of(enum htlc_event ev)
{
	switch (ev) {
	case HTLC_EV_SETTLE:
		return HTLC_FULFILLED;
	case HTLC_EV_EXPIRE:
		return HTLC_REFUNDED;
	case HTLC_EV_FAIL:
	case HTLC_EV_REFUSE:
	case HTLC_EV_ACCEPT:
	case HTLC_EV_LOSE_ONCHAIN:
		break;
	}
	return HTLC_FAILED;
}

/* Resolve an HTLC in Bob's ledger and record how, durably; the caller
 * transmits once everything that belongs together is decided. An HTLC Bob
 * never accepted into his ledger (refused on arrival) is recorded as
 * failed too, so a replay gets the same answer. */
void be_resolve(struct bob_engine *e, size_t chan, uint64_t htlc_id, enum htlc_event ev,
		const uint8_t preimage[AMP_LEN], uint32_t code, const char *reason,
		struct actions *out)
{
	struct bob_chan *bc = &e->chans[chan];
	struct bob_htlc *h = be_htlc_slot(bc, htlc_id);
	/* refuse answers an add Alice sent (her message); every other end is
	 * Bob's own decision */
	enum fsm_cause cause = ev == HTLC_EV_REFUSE ? FSM_PEER : FSM_OURS;
	if (!htlc_change(&h->fsm, ev, cause, bc->ledger.id, htlc_id, out))
		return;
	bool in_ledger = h->in_ledger;
	if (in_ledger) {
		if (ledger_resolve(&bc->ledger, htlc_id, ledger_end_of(ev), NULL) != LEDGER_OK)
			fatal("channel %s: HTLC %llu is %s but not in the ledger", bc->ledger.id,
			      (unsigned long long)htlc_id, htlc_state_name(h->fsm.state));
		h->in_ledger = false;
	}
	h->acked = false;
	h->claimed = false;
	if (preimage)
		memcpy(h->preimage, preimage, AMP_LEN);
	h->code = code;
	snprintf(h->reason, sizeof(h->reason), "%s", reason ? reason : "");
	if (h->fsm.state == BH_FULFILLED)
		bc->unacked++;
	act_persist(out, BOB_REC_HTLC_STATE, chan, htlc_id);
	act_persist(out, BOB_REC_CHANNEL, chan, 0);
	if (!in_ledger)
		return;
	be_check_conservation(bc, out);
	const char *name = h->fsm.state == BH_FULFILLED ? "htlc_fulfilled"
			   : h->fsm.state == BH_FAILED ? "htlc_failed" : "htlc_refunded";
	struct evrec *r = act_log(out, name);
	evrec_str(r, "channel", bc->ledger.id);
	evrec_u64(r, "htlc", htlc_id);
	evrec_u64(r, "amount_msat", h->amount.millisatoshis);
	evrec_hex(r, "hash", h->hash, AMP_LEN);
	switch (h->fsm.state) {
	case BH_FULFILLED:
		e->count.htlcs_fulfilled++;
		evrec_hex(r, "preimage", h->preimage, AMP_LEN);
		break;
	case BH_FAILED:
		e->count.htlcs_failed++;
		evrec_i64(r, "failure_code", code);
		evrec_str(r, "reason", h->reason);
		break;
	case BH_REFUNDED:
		e->count.htlcs_refunded++;
		evrec_str(r, "reason", h->reason);
		break;
	case BH_HELD:
		fatal("be_resolve: an HTLC resolved into held");
	}
}

void be_send_fulfill(struct bob_engine *e, size_t chan, uint64_t htlc_id,
		     const uint8_t preimage[AMP_LEN], struct actions *out)
{
	struct bob_chan *bc = &e->chans[chan];
	struct msg m;
	act_send(out, bc->conn, chan, MSG_FULFILL, msg_fulfill(&m, bc->ledger.id, htlc_id, preimage));
}

/* The output's nodes: the one that opened the channel, and Bob */
static const uint8_t *chan_sender(const struct bob_chan *bc)
{
	static const uint8_t nobody[TERMS_NODE_LEN];
	return bc->owned ? bc->owner : nobody;
}

/* Bob's countersignature of an HTLC he holds (docs/protocol.md). */
void be_send_signed(struct bob_engine *e, size_t chan, const struct bob_htlc *h,
			struct actions *out)
{
	const struct bob_chan *bc = &e->chans[chan];
	if (!h->signed_terms || bc->conn == BOB_NO_CONN)
		return;
	struct msg m;
	act_send(out, bc->conn, chan, MSG_SIGNED,
		 msg_htlc_signed(&m, bc->ledger.id, h->id, h->receiver_sig));
}

/* The terms of an add as Alice offered them: Bob checks her signature
 * (false: not hers) and countersigns into h. */
bool be_sign_terms(struct bob_engine *e, const struct bob_chan *bc,
		       const Ampsim__UpdateAddHtlc *m, struct bob_htlc *h)
{
	struct chain_terms terms;
	if (!terms_fill(&terms, bc->ledger.id, m->htlc_id, m->payment_hash.data, m->amount_msat,
			m->cltv_expiry, chan_sender(bc), e->cfg.terms.node))
		return false;
	if (e->cfg.terms.verify &&
	    (m->sender_sig.len != TERMS_SIG_LEN ||
	     !terms_verify(&e->cfg.terms, terms.sender, &terms, m->sender_sig.data)))
		return false;
	if (h && m->sender_sig.len == TERMS_SIG_LEN &&
	    terms_sign(&e->cfg.terms, &terms, h->receiver_sig)) {
		memcpy(h->sender_sig, m->sender_sig.data, TERMS_SIG_LEN);
		h->signed_terms = true;
	}
	return true;
}

bool be_chain_spent(const struct bob_engine *e, size_t chan, uint64_t htlc_id, uint32_t height,
		    bool *refund)
{
	const struct bob_chain_view *c = e->cfg.chain;
	const struct bob_chan *bc = &e->chans[chan];
	return c && c->spent(c->ctx, bc->ledger.id, chan_sender(bc), e->cfg.terms.node, htlc_id,
			     height, refund);
}

bool bob_engine_claim_proof(struct bob_engine *e, size_t chan, uint64_t htlc_id,
			    const uint8_t preimage[AMP_LEN], struct chain_proof *proof)
{
	memset(proof, 0, sizeof(*proof));
	if (chan >= e->nchans)
		return false;
	const struct bob_htlc *h = bob_engine_htlc(e, chan, htlc_id);
	const struct bob_chan *bc = &e->chans[chan];
	if (!h || !h->signed_terms || !e->cfg.terms.sign ||
	    !terms_fill(&proof->terms, bc->ledger.id, htlc_id, h->hash, h->amount.millisatoshis,
			h->cltv_expiry, chan_sender(bc), e->cfg.terms.node))
		return false;
	memcpy(proof->sender_sig, h->sender_sig, TERMS_SIG_LEN);
	memcpy(proof->receiver_sig, h->receiver_sig, TERMS_SIG_LEN);
	struct chain_spend spend;
	uint8_t digest[CHAIN_RULES_HASH_LEN];
	chain_spend_make(&spend, &proof->terms, CHAIN_SPEND_CLAIM, preimage, NULL);
	chain_spend_digest(&spend, digest);
	e->cfg.terms.sign(e->cfg.terms.ctx, digest, proof->spend_sig);
	return true;
}

/* Put a resolution on the wire (first time, or again for a replayed add). */
void be_transmit(struct bob_engine *e, size_t chan, uint64_t htlc_id, struct actions *out)
{
	struct bob_chan *bc = &e->chans[chan];
	const struct bob_htlc *h = bob_engine_htlc(e, chan, htlc_id);
	if (!h || (h->fsm.state != BH_FULFILLED && h->fsm.state != BH_FAILED))
		return;
	if (bc->conn == BOB_NO_CONN) {
		/* sent again when Alice reconnects and replays her adds */
		struct evrec *r = act_log(out, "resolution_deferred");
		evrec_str(r, "channel", bc->ledger.id);
		evrec_u64(r, "htlc", htlc_id);
		return;
	}
	if (h->fsm.state == BH_FULFILLED) {
		be_send_fulfill(e, chan, htlc_id, h->preimage, out);
		return;
	}
	struct msg m;
	act_send(out, bc->conn, chan, MSG_FAIL,
		 msg_fail(&m, bc->ledger.id, htlc_id, (Ampsim__FailureCode)h->code, h->reason));
}

void be_fail_one(struct bob_engine *e, size_t chan, uint64_t htlc_id, uint32_t code,
		 const char *reason, struct actions *out)
{
	be_resolve(e, chan, htlc_id, HTLC_EV_FAIL, NULL, code, reason, out);
	be_transmit(e, chan, htlc_id, out);
}

/* What a new block means to Bob: HTLCs that expired, fulfills to claim on
 * chain before they expire, and (behaviour = late) claims sent too late. */
#include <string.h>

#include "bob_engine_int.h"
#include "log.h"

static void expire_htlcs(struct bob_engine *e, uint32_t height, struct actions *out)
{
	const struct bob_chain_view *chain = e->cfg.chain;
	for (size_t i = 0; i < e->nchans; i++) {
		struct bob_chan *bc = &e->chans[i];
		for (uint32_t k = 0; k < bc->ledger.span; k++) {   /* every used slot is below span */
			const struct ledger_htlc *lh = &bc->ledger.htlcs[k];
			if (!lh->used || lh->cltv_expiry > height)
				continue;
			uint64_t id = lh->id;
			/* BOLT #5: once cltv_expiry is reached the offerer reclaims
			 * the HTLC on chain; we can no longer claim it. With a chain
			 * we wait to see Alice's refund confirmed. */
			bool refund = false;
			/* a refund sent at the expiry confirms CHAIN_CONFIRMATIONS
			 * later; an HTLC whose terms Alice never had countersigned
			 * has no output to refund: it is hers from then on too */
			bool seen = chain && be_chain_spent(e, i, id, height, &refund);
			bool over = height >= lh->cltv_expiry + CHAIN_CONFIRMATIONS;
			if (chain && !seen && !over)
				continue;
			be_resolve(e, i, id, HTLC_EV_EXPIRE, NULL, 0,
				   !chain ? "expired: Alice reclaims it (BOLT #5)"
				   : seen ? "expired: Alice's refund confirmed on chain"
					  : "expired: no claim is possible any more", out);
			size_t idx;
			struct ampset *s = ampset_find_htlc(&e->sets, bc->ledger.id, id, &idx);
			if (!s)
				continue;
			/* drop the expired part, then (honest Bob) fail what is
			 * left: a set missing a part can never complete */
			ampset_remove_htlc(&e->sets, s, idx);
			if (e->cfg.behaviour == BOB_HONEST || e->cfg.behaviour == BOB_GREEDY ||
			    e->cfg.behaviour == BOB_EAGER) {
				be_fail_set(e, s, AMPSIM__FAILURE_CODE__FAILURE_MPP_TIMEOUT,
					    "a part of the set expired", out);
			} else if (s->n == 0) {
				act_cancel(out, BOB_TIMER_HOLD, s->id);
				ampset_remove(&e->sets, s);
			}
		}
	}
}

static void claim_log(struct actions *out, const char *event, const struct bob_chan *bc,
		      uint64_t id, const struct bob_htlc *h)
{
	struct evrec *r = act_log(out, event);
	evrec_str(r, "channel", bc->ledger.id);
	evrec_u64(r, "htlc", id);
	evrec_u64(r, "amount_msat", h->amount.millisatoshis);
}

/* A fulfilled HTLC goes back to Alice after all: her refund won on chain,
 * or (why given) she says she took it back at its expiry. */
void be_lose_fulfilled(struct bob_engine *e, size_t chan, struct bob_htlc *h, const char *why,
		       struct actions *out)
{
	struct bob_chan *bc = &e->chans[chan];
	/* why given: Alice's acknowledgement asked for it; else the chain */
	enum fsm_cause cause = why ? FSM_PEER : FSM_OURS;
	if (!htlc_change(&h->fsm, HTLC_EV_LOSE_ONCHAIN, cause, bc->ledger.id, h->id, out))
		return;
	if (!ledger_reverse_fulfill(&bc->ledger, h->amount))
		fatal("channel %s: cannot take back %llu msat", bc->ledger.id,
		      (unsigned long long)h->amount.millisatoshis);
	be_check_conservation(bc, out);
	act_persist(out, BOB_REC_CHANNEL, chan, 0);
	act_persist(out, BOB_REC_HTLC_STATE, chan, h->id);
	claim_log(out, "htlc_lost_onchain", bc, h->id, h);
	if (why)
		evrec_str(out->v[out->n - 1].u.log.rec, "reason", why);
}

/* On-chain fallback: a fulfill Alice has not acknowledged is claimed on
 * chain before its expiry, so the preimage reaches her even if every
 * fulfill message is lost; and what the chain settles is final. */
static void chain_watch(struct bob_engine *e, uint32_t height, struct actions *out)
{
	const struct bob_chain_view *chain = e->cfg.chain;
	if (!chain)
		return;
	for (size_t i = 0; i < e->nchans; i++) {
		struct bob_chan *bc = &e->chans[i];
		/* records change here but none is added or forgotten: the
		 * table holds still for the iteration */
		for (size_t k = 0; bc->unacked && k < htlc_table_slots(&bc->htlcs); k++) {
			struct bob_htlc *h = htlc_table_slot(&bc->htlcs, k);
			if (!h || h->fsm.state != BH_FULFILLED || h->acked)
				continue;
			uint64_t id = h->id;
			bool refund;
			if (be_chain_spent(e, i, id, height, &refund)) {
				h->acked = true;
				bc->unacked--;
				if (refund) {
					/* too late: Alice's refund won, the money is hers */
					be_lose_fulfilled(e, i, h, NULL, out);
					continue;
				}
				act_persist(out, BOB_REC_HTLC_STATE, i, id);
				claim_log(out, "onchain_claim_confirmed", bc, id, h);
				continue;
			}
			if (!h->claimed && height + chain->confirmations + 1 >= h->cltv_expiry) {
				h->claimed = true;
				act_persist(out, BOB_REC_HTLC_STATE, i, id);
				act_chain(out, BOB_CHAIN_CLAIM, i, id, h->preimage);
				continue;
			}
			if (height >= h->cltv_expiry + CHAIN_CONFIRMATIONS) {
				/* too late to claim, and no refund on chain by now
				 * (one sent at the expiry has confirmed): Alice
				 * either has the fulfill (her acknowledgement was
				 * lost) or took it back off chain, its terms never
				 * countersigned. Ask her: the fulfill again at every
				 * block for a while; she acknowledges it, or answers
				 * that she reclaimed it (handle_ack) */
				if (bc->conn != BOB_NO_CONN &&
				    height < h->cltv_expiry + CHAIN_CONFIRMATIONS + BOB_ASK_BLOCKS)
					be_transmit(e, i, id, out);
			}
		}
	}
}

void be_chain_result(struct bob_engine *e, size_t chan, uint64_t htlc_id, enum chain_answer res,
		     struct actions *out)
{
	struct bob_htlc *h = bob_engine_htlc(e, chan, htlc_id);
	if (!h)
		return;
	const char *name = "onchain_claim_invalid";
	switch (res) {
	case CHAIN_ANSWER_UNREACHABLE:
		/* nothing is known of it: not claimed yet, so chain_watch sends
		 * it again at the next block, while it can still confirm before
		 * the expiry (docs/decisions.md) */
		name = "onchain_claim_deferred";
		h->claimed = false;
		act_persist(out, BOB_REC_HTLC_STATE, chan, htlc_id);
		break;
	case CHAIN_ANSWER_ACCEPTED:
	case CHAIN_ANSWER_SPENT_BY_CLAIM:
		/* only Bob claims, and only with the preimage: a claim that
		 * already spends the output is his own, sent earlier when its
		 * answer was lost (a served chain that went away) */
		name = "onchain_claim_sent";
		e->count.claims_onchain++;
		break;
	case CHAIN_ANSWER_SPENT_BY_REFUND:
		name = "onchain_claim_beaten";
		break;
	case CHAIN_ANSWER_INVALID:
		break;
	}
	struct evrec *r = act_log(out, name);
	evrec_str(r, "channel", e->chans[chan].ledger.id);
	evrec_u64(r, "htlc", htlc_id);
	evrec_i64(r, "cltv_expiry", h->cltv_expiry);
}

/* behaviour = late: once the HTLCs have expired, try to claim them. Alice
 * has reclaimed them by then and refuses. */
static void send_late_claims(struct bob_engine *e, uint32_t height, struct actions *out)
{
	size_t k = 0;
	for (size_t i = 0; i < e->nlate; i++) {
		struct late_claim *lc = &e->late[i];
		struct bob_chan *bc = &e->chans[lc->chan];
		if (height < lc->cltv_expiry || bc->conn == BOB_NO_CONN) {
			e->late[k++] = *lc;
			continue;
		}
		struct evrec *r = act_log(out, "late_claim_attempt");
		evrec_str(r, "channel", bc->ledger.id);
		evrec_u64(r, "htlc", lc->htlc_id);
		evrec_i64(r, "cltv_expiry", lc->cltv_expiry);
		be_send_fulfill(e, lc->chan, lc->htlc_id, lc->preimage, out);
	}
	e->nlate = k;
}

void be_block(struct bob_engine *e, uint64_t now_us, struct actions *out)
{
	uint32_t height = be_height(e, now_us);
	chain_watch(e, height, out);
	expire_htlcs(e, height, out);
	send_late_claims(e, height, out);
	be_expire_invoices(e, now_us, out);
	/* what expired or was settled on chain is finished */
	for (size_t i = 0; i < e->nchans; i++)
		be_compact(e, i, out);
	act_timer(out, BOB_TIMER_BLOCK, 0, simclock_height_time(&e->clk, height + 1));
}

/* How an HTLC Alice offered ends: fulfilled by Bob (with a preimage that
 * must hash to the payment hash), failed back by him, claimed or refunded
 * on chain, or reclaimed at its expiry (BOLT #5). */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "pay_engine.h"
#include "pay_internal.h"

enum pay_source { SRC_MESSAGE, SRC_CHAIN, SRC_EXPIRY };

static const char *source_name(enum pay_source s)
{
	switch (s) {
	case SRC_MESSAGE: return "message";
	case SRC_CHAIN: return "chain";
	case SRC_EXPIRY: return "expiry";
	}
	return "?";
}

/* reclaimed: the answer to a fulfill of an HTLC she took back at its
 * expiry, so that Bob, who cannot tell it from a lost acknowledgement,
 * gives it back too */
static void send_ack(struct pay_engine *e, size_t chan, uint64_t htlc_id, bool reclaimed,
		     struct actions *out)
{
	if (!e->peer_up)
		return;
	struct msg m;
	act_send(out, PAY_CONN_BOB, chan, MSG_OTHER,
		 msg_resolve_ack(&m, e->chans[chan].ledger.id, htlc_id, reclaimed));
}

/* One in-flight part ends: ledger, part, store, event, then (for what Bob
 * told us) the acknowledgement, a retry, and maybe the payment's outcome. */
static void apply_resolution(struct pay_engine *e, size_t chan, struct payment *p, size_t part,
			     enum part_state how, const uint8_t *preimage, uint32_t code,
			     const char *reason, enum pay_source source, uint64_t now_us,
			     struct actions *out)
{
	struct pay_chan *pc = &e->chans[chan];
	struct part *pt = &p->parts[part];
	struct ledger_htlc h;
	enum part_event pev = how == PART_FULFILLED ? PEV_FULFILLED
			    : how == PART_FAILED ? PEV_FAILED : PEV_EXPIRED;
	/* the part's change first: refused, nothing else changes either */
	if (!part_change(p, part, pev, source == SRC_MESSAGE ? FSM_PEER : FSM_OURS, reason, out))
		return;
	enum htlc_end end = how == PART_FULFILLED ? HTLC_FULFILLED
			  : how == PART_FAILED ? HTLC_FAILED : HTLC_REFUNDED;
	if (ledger_resolve(&pc->ledger, pt->htlc_id, end, &h) != LEDGER_OK)
		fatal("resolving HTLC %llu that is not in flight on %s",
		      (unsigned long long)pt->htlc_id, pc->ledger.id);
	pe_check_conservation(e, chan, out);
	pt->onchain = source == SRC_CHAIN;
	pt->failure_code = code;
	if (reason)
		snprintf(pt->why, sizeof(pt->why), "%s", reason);
	pe_persist(e, p, chan, out);
	const char *name = how == PART_FULFILLED ? "htlc_fulfilled"
			 : how == PART_FAILED ? "htlc_failed" : "htlc_refunded";
	struct evrec *ev = act_log(out, name);
	evrec_str(ev, "payment", p->id);
	evrec_str(ev, "channel", pc->ledger.id);
	evrec_u64(ev, "htlc", h.id);
	evrec_u64(ev, "amount_msat", h.amount.millisatoshis);
	evrec_hex(ev, "hash", h.hash, AMP_LEN);
	if (preimage)
		evrec_hex(ev, "preimage", preimage, AMP_LEN);
	if (code)
		evrec_i64(ev, "failure_code", code);
	if (reason)
		evrec_str(ev, "reason", reason);
	evrec_str(ev, "source", source_name(source));
	if (source == SRC_MESSAGE)
		send_ack(e, chan, h.id, false, out);
	if (how == PART_FAILED) {
		if (!p->why[0])
			snprintf(p->why, sizeof(p->why), "Bob failed a part: %s", reason ? reason : "");
		pe_maybe_retry(e, p, part, now_us, out);   /* may move p->parts */
	}
	pe_maybe_finish(e, p, out);
}

/* A fulfill Alice will not apply, and why. */
static void fulfill_not_applied(const Ampsim__UpdateFulfillHtlc *m, const char *event,
				const char *reason, struct actions *out)
{
	struct evrec *ev = act_log(out, event);
	evrec_str(ev, "channel", m->channel_id);
	evrec_u64(ev, "htlc", m->htlc_id);
	evrec_str(ev, "reason", reason);
}

void pe_on_fulfill(struct pay_engine *e, const Ampsim__UpdateFulfillHtlc *m,
			   uint64_t now_us, struct actions *out)
{
	size_t chan = pay_engine_find_chan(e, m->channel_id);
	struct payment *p = NULL;
	struct part *pt = chan != SIZE_MAX ? pe_owner_any(e, chan, m->htlc_id, &p) : NULL;
	if (pt && m->payment_preimage.len != AMP_LEN) {
		fulfill_not_applied(m, "fulfill_rejected", "preimage is not 32 bytes", out);
		return;
	}
	if (pt && pt->state == PART_FULFILLED && preimage_matches(m->payment_preimage.data, pt->hash)) {
		/* a duplicate or a re-sent fulfill: we have it; say so again */
		send_ack(e, chan, m->htlc_id, false, out);
		return;
	}
	if (pt && !preimage_matches(m->payment_preimage.data, pt->hash)) {
		/* Alice checks SHA256(r) == h before she lets the HTLC go, and
		 * for every later claim of it too */
		fulfill_not_applied(m, "fulfill_rejected", "preimage does not hash to the payment hash",
				    out);
		return;
	}
	if (!pt || pt->state != PART_INFLIGHT) {
		/* e.g. a fulfill that arrived after we reclaimed the HTLC at its
		 * expiry: too late; Bob is told so (he keeps asking) */
		fulfill_not_applied(m, "fulfill_ignored", pt ? "HTLC already resolved" : "no such HTLC",
				    out);
		if (pt && pt->state == PART_REFUNDED)
			send_ack(e, chan, m->htlc_id, true, out);
		return;
	}
	if (simclock_height_of(&e->clk, now_us) >= pt->cltv_expiry) {
		/* BOLT #2/#5: once the HTLC has timed out the offerer may reclaim
		 * it; a preimage arriving now is too late and is refused */
		fulfill_not_applied(m, "fulfill_refused", "arrived after the HTLC expired", out);
		return;
	}
	apply_resolution(e, chan, p, (size_t)(pt - p->parts), PART_FULFILLED,
			 m->payment_preimage.data, 0, NULL, SRC_MESSAGE, now_us, out);
}

bool pay_engine_refund_proof(struct pay_engine *e, size_t chan, uint64_t htlc_id,
			     struct chain_proof *proof)
{
	struct payment *p = NULL;
	struct part *pt = chan < e->nchans ? pe_owner_any(e, chan, htlc_id, &p) : NULL;
	memset(proof, 0, sizeof(*proof));
	if (!pt || pt->chan != chan || pt->htlc_id != htlc_id || !pt->countersigned ||
	    !e->terms.sign || !pay_engine_part_terms(e, pt, &proof->terms))
		return false;
	memcpy(proof->sender_sig, pt->sender_sig, sizeof(proof->sender_sig));
	memcpy(proof->receiver_sig, pt->receiver_sig, sizeof(proof->receiver_sig));
	struct chain_spend spend;
	uint8_t digest[CHAIN_RULES_HASH_LEN];
	chain_spend_make(&spend, &proof->terms, CHAIN_SPEND_REFUND, NULL, NULL);
	chain_spend_digest(&spend, digest);
	e->terms.sign(e->terms.ctx, digest, proof->spend_sig);
	return true;
}

void pe_on_signed(struct pay_engine *e, const Ampsim__HtlcSigned *m, struct actions *out)
{
	size_t chan = pay_engine_find_chan(e, m->channel_id);
	struct payment *p = NULL;
	struct part *pt = chan != SIZE_MAX ? pe_owner_any(e, chan, m->htlc_id, &p) : NULL;
	/* late (resolved already, or of an earlier attempt of the part) or
	 * repeated: nothing more to keep */
	if (!pt || pt->chan != chan || pt->htlc_id != m->htlc_id || pt->state != PART_INFLIGHT ||
	    pt->countersigned || !pt->signed_terms || m->receiver_sig.len != sizeof(pt->receiver_sig))
		return;
	struct chain_terms terms;
	uint8_t digest[CHAIN_RULES_HASH_LEN];
	if (!pay_engine_part_terms(e, pt, &terms))
		return;
	chain_terms_digest(&terms, digest);
	if (e->verify.fn && !e->verify.fn(e->verify.ctx, digest, m->receiver_sig.data)) {
		struct evrec *ev = act_log(out, "countersignature_refused");
		evrec_str(ev, "channel", m->channel_id);
		evrec_u64(ev, "htlc", m->htlc_id);
		evrec_str(ev, "reason", "not Bob's signature over the HTLC's terms");
		return;
	}
	memcpy(pt->receiver_sig, m->receiver_sig.data, sizeof(pt->receiver_sig));
	pt->countersigned = true;
	pe_persist(e, p, chan, out);
}

void pe_on_fail(struct pay_engine *e, const Ampsim__UpdateFailHtlc *m, uint64_t now_us,
			struct actions *out)
{
	size_t chan = pay_engine_find_chan(e, m->channel_id);
	struct payment *p = NULL;
	struct part *pt = chan != SIZE_MAX ? pe_owner_any(e, chan, m->htlc_id, &p) : NULL;
	if (pt && pt->state == PART_FAILED) {
		send_ack(e, chan, m->htlc_id, false, out);
		return;
	}
	if (!pt || pt->state != PART_INFLIGHT) {
		struct evrec *ev = act_log(out, "fail_ignored");
		evrec_str(ev, "channel", m->channel_id);
		evrec_u64(ev, "htlc", m->htlc_id);
		evrec_str(ev, "reason", pt ? "HTLC already resolved" : "no such HTLC");
		return;
	}
	apply_resolution(e, chan, p, (size_t)(pt - p->parts), PART_FAILED, NULL,
			 (uint32_t)m->failure_code, m->reason, SRC_MESSAGE, now_us, out);
}

static const struct pay_chain_seen *seen_of(const struct pay_chain_seen *seen, size_t nseen,
					    size_t chan, uint64_t htlc_id)
{
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].chan == chan && seen[i].htlc_id == htlc_id)
			return &seen[i];
	return NULL;
}

/* Each block: an in-flight HTLC whose expiry has come is reclaimed (BOLT
 * #5); with a chain, by a refund transaction, and the chain also tells us
 * of Bob's claims, whose preimages settle our parts. */
static void expire_htlcs(struct pay_engine *e, uint64_t now_us, const struct pay_chain_seen *seen,
			 size_t nseen, struct actions *out)
{
	uint32_t height = simclock_height_of(&e->clk, now_us);
	for (size_t i = 0; i < e->nchans; i++) {
		struct pay_chan *pc = &e->chans[i];
		for (uint32_t k = 0; k < pc->ledger.span; k++) {   /* every used slot is below span */
			const struct ledger_htlc *h = &pc->ledger.htlcs[k];
			if (!h->used)
				continue;
			struct payment *p = NULL;
			struct part *pt = pe_owner_any(e, i, h->id, &p);
			if (!pt)
				fatal("channel %s: HTLC %llu has no payment", pc->ledger.id,
				      (unsigned long long)h->id);
			size_t part = (size_t)(pt - p->parts);
			const struct pay_chain_seen *tx = e->has_chain ? seen_of(seen, nseen, i, h->id) : NULL;
			if (tx) {
				if (tx->claim) {
					struct evrec *ev = act_log(out, "onchain_preimage_learned");
					evrec_str(ev, "channel", pc->ledger.id);
					evrec_u64(ev, "htlc", h->id);
					apply_resolution(e, i, p, part, PART_FULFILLED, tx->preimage, 0,
							 "Bob claimed it on chain", SRC_CHAIN, now_us, out);
				} else {
					char why[64];
					snprintf(why, sizeof(why), "refund confirmed on chain at height %u",
						 tx->confirm_height);
					apply_resolution(e, i, p, part, PART_REFUNDED, NULL, 0, why, SRC_CHAIN,
							 now_us, out);
				}
				continue;
			}
			if (h->cltv_expiry > height)
				continue;
			if (!e->has_chain) {
				char why[64];
				snprintf(why, sizeof(why), "expired at height %u", h->cltv_expiry);
				apply_resolution(e, i, p, part, PART_REFUNDED, NULL, 0, why, SRC_EXPIRY,
						 now_us, out);
				continue;
			}
			if (!pt->countersigned) {
				/* Bob never countersigned its terms (to our knowledge):
				 * there is no output we could spend. A claim of his sent
				 * before the expiry confirms by expiry + confirmations - 1
				 * (seen above); after that the HTLC is ours again */
				if (height + 1 < h->cltv_expiry + CHAIN_CONFIRMATIONS)
					continue;
				char why[96];
				snprintf(why, sizeof(why), "expired at height %u, never countersigned: "
					 "nothing on chain to refund", h->cltv_expiry);
				apply_resolution(e, i, p, part, PART_REFUNDED, NULL, 0, why, SRC_EXPIRY,
						 now_us, out);
				continue;
			}
			act_chain(out, PAY_CHAIN_REFUND, i, h->id, h->hash);
		}
	}
}

void pe_block(struct pay_engine *e, uint64_t now_us, const struct pay_chain_seen *seen,
		      size_t nseen, struct actions *out)
{
	expire_htlcs(e, now_us, seen, nseen, out);
	pe_retry_deferred(e, now_us, out);
	pe_start(e, now_us, out);
}

void pe_start(struct pay_engine *e, uint64_t now_us, struct actions *out)
{
	uint32_t height = simclock_height_of(&e->clk, now_us);
	act_timer(out, PAY_TIMER_BLOCK, 0, simclock_height_time(&e->clk, height + 1));
}

/* Her refund is on the chain: said once per HTLC (the chain may answer
 * "accepted", or "spent" by the refund of an earlier block whose answer
 * never came). */
static void refund_sent(struct pay_engine *e, size_t chan, uint64_t htlc_id, struct actions *out)
{
	struct payment *p;
	struct part *pt = pe_owner_any(e, chan, htlc_id, &p);
	if (pt && pt->refund_logged)
		return;
	if (pt)
		pt->refund_logged = true;
	struct evrec *ev = act_log(out, "onchain_refund_sent");
	evrec_str(ev, "channel", e->chans[chan].ledger.id);
	evrec_u64(ev, "htlc", htlc_id);
}

void pe_chain_result(struct pay_engine *e, size_t chan, uint64_t htlc_id, enum chain_answer a,
		     struct actions *out)
{
	if (chan >= e->nchans)
		return;
	const struct ledger_htlc *h = ledger_find(&e->chans[chan].ledger, htlc_id);
	switch (a) {
	case CHAIN_ANSWER_ACCEPTED:
	case CHAIN_ANSWER_SPENT_BY_REFUND:
		/* only the sender refunds: a refund that spends the output is
		 * hers, sent at an earlier block, even if the chain's answer
		 * to it never came */
		refund_sent(e, chan, htlc_id, out);
		return;
	case CHAIN_ANSWER_SPENT_BY_CLAIM:   /* Bob's claim: its preimage settles the part */
	case CHAIN_ANSWER_INVALID:          /* not expired at the chain's reckoning: the next block */
		return;
	case CHAIN_ANSWER_UNREACHABLE: {
		/* a served chain that did not answer: the refund is asked for
		 * again at every block until the chain shows a spend */
		if (!h)
			return;
		struct evrec *ev = act_log(out, "onchain_refund_deferred");
		evrec_str(ev, "channel", e->chans[chan].ledger.id);
		evrec_u64(ev, "htlc", htlc_id);
		evrec_i64(ev, "cltv_expiry", h->cltv_expiry);
		return;
	}
	}
}

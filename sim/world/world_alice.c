/* Alice's shell in the world: what sender/alice.c does with her
 * engine's actions, her messages, her blocks and her scheduled payments. */
#include "world_int.h"

/* ---- alice's shell (sender/alice.c) ----------------------------------------- */


/* A refund the engine asked for: what the chain answers (alice.c). */
static enum chain_answer alice_refund(struct world *w, const struct act_chain *x)
{
	struct chain_proof proof;
	struct wspend winner;
	if (!pay_engine_refund_proof(&w->alice, x->chan, x->htlc_id, &proof))
		return CHAIN_ANSWER_INVALID;   /* the engine asks for none */
	switch (w_chain_submit(w, false, NULL, &proof, &winner)) {
	case WC_ACCEPTED: return CHAIN_ANSWER_ACCEPTED;
	case WC_SPENT: return winner.claim ? CHAIN_ANSWER_SPENT_BY_CLAIM : CHAIN_ANSWER_SPENT_BY_REFUND;
	case WC_INVALID: return CHAIN_ANSWER_INVALID;
	}
	return CHAIN_ANSWER_INVALID;
}

static void alice_one(struct world *w, const struct action *x, struct chain_replies *replies)
{
	switch (x->kind) {
	case ACT_PERSIST:
		break;   /* done first */
	case ACT_SEND:
		w_send_action(w, &w->a, &x->u.send);
		break;
	case ACT_LOG:
		w_emit(w, WORLD_ALICE, x->u.log.rec);
		break;
	case ACT_VIOLATION:
		w_violation(w, WORLD_ALICE, x->u.violation.text);
		break;
	case ACT_CLOSE:
		w_violation(w, WORLD_ALICE, "alice closed the connection: not in the world yet");
		break;
	case ACT_CHAIN:
		chain_replies_add(replies, &x->u.chain, alice_refund(w, &x->u.chain));
		break;
	case ACT_OUTCOME:
		if (w->sink.outcome)
			w->sink.outcome(w->sink.ctx, x->u.outcome.seq);
		break;
	case ACT_TIMER:
		switch ((enum pay_timer)x->u.timer.timer) {
		case PAY_TIMER_BLOCK:
			wt_at(&w->a.heap, &w->a.block, x->u.timer.at_us);
			break;
		}
		break;
	case ACT_CANCEL:
		if ((enum pay_timer)x->u.cancel.timer == PAY_TIMER_BLOCK)
			wt_cancel(&w->a.heap, &w->a.block);
		break;
	}
}

void w_alice_run(struct world *w, struct actions *acts)
{
	w_store_alice(w, acts);   /* written at the end of the turn (world_store.c) */
	struct chain_replies replies;
	chain_replies_init(&replies);
	for (size_t i = 0; i < acts->n; i++)
		alice_one(w, &acts->v[i], &replies);
	actions_clear(acts);
	/* the chain's answers, once the list is carried out (alice.c) */
	for (size_t i = 0; i < replies.n; i++) {
		const struct chain_reply *r = &replies.v[i];
		pay_engine_chain_result(&w->alice, r->chan, r->htlc_id, r->answer, acts);
		w_alice_run(w, acts);
	}
	chain_replies_free(&replies);
}


void w_alice_message(struct world *w, const Ampsim__Envelope *env)
{
	uint64_t now = w->now;
	switch (env->msg_case) {
	case AMPSIM__ENVELOPE__MSG_INIT:
		ALICE(w, pay_engine_on_init(&w->alice, env->init, &acts_));
		w->ready = w->ready || pay_engine_ready(&w->alice);   /* alice.c: once */
		break;
	case AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL:
		ALICE(w, pay_engine_on_accept(&w->alice, env->accept_channel, now, &acts_));
		w->ready = w->ready || pay_engine_ready(&w->alice);   /* alice.c: once */
		break;
	case AMPSIM__ENVELOPE__MSG_HTLC_SIGNED:
		ALICE(w, pay_engine_on_signed(&w->alice, env->htlc_signed, &acts_));
		break;
	case AMPSIM__ENVELOPE__MSG_INVOICE:
		ALICE(w, pay_engine_on_invoice(&w->alice, env->invoice, now, &acts_));
		break;
	case AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC:
		ALICE(w, pay_engine_on_fulfill(&w->alice, env->update_fulfill_htlc, now, &acts_));
		break;
	case AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC:
		ALICE(w, pay_engine_on_fail(&w->alice, env->update_fail_htlc, now, &acts_));
		break;
	case AMPSIM__ENVELOPE__MSG_ERROR:
	case AMPSIM__ENVELOPE__MSG_PONG:
	case AMPSIM__ENVELOPE__MSG_PING:
	case AMPSIM__ENVELOPE__MSG_RESOLVE_ACK:
	case AMPSIM__ENVELOPE__MSG_REESTABLISH:
	case AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL:
	case AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST:
	case AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC:
	case AMPSIM__ENVELOPE__MSG__NOT_SET:
	case _AMPSIM__ENVELOPE__MSG__CASE_IS_INT_SIZE:
		break;   /* the daemon only writes these to its diagnostics */
	}
}

void w_alice_block(struct world *w)
{
	uint32_t height = world_height(w);
	struct pay_chain_seen *seen = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < w->alice.nchans; i++) {
		const struct ledger *l = &w->alice.chans[i].ledger;
		for (uint32_t k = 0; k < l->span; k++) {   /* every used slot is below span */
			const struct ledger_htlc *h = &l->htlcs[k];
			struct wspend sp;
			if (!h->used || !w_chain_confirmed(w, l->id, h->id, height, &sp))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				seen = xrealloc(seen, cap * sizeof(*seen));
			}
			struct pay_chain_seen *s = &seen[n++];
			memset(s, 0, sizeof(*s));
			s->chan = i;
			s->htlc_id = h->id;
			s->claim = sp.claim;
			memcpy(s->preimage, sp.preimage, AMP_LEN);
			s->confirm_height = sp.confirm_height;
		}
	}
	ALICE(w, pay_engine_block(&w->alice, w->now, seen, n, &acts_));
	free(seen);
}

void w_alice_start_payment(struct world *w, const struct payment_config *p)
{
	struct pay_request r = { .id = p->id, .mode = p->mode, .amount = p->amount,
				 .shards = p->shards, .expiry_blocks = p->expiry_blocks,
				 .deadline_us = w->now + p->timeout_us };
	ALICE(w, pay_engine_pay(&w->alice, &r, w->now, &acts_));
}

void w_sched_arm(struct world *w)
{
	if (w->qhead < w->qn)
		wt_at(&w->a.heap, &w->sched, w->q[w->qhead]->at_us);
	else
		wt_cancel(&w->a.heap, &w->sched);
}

void w_sched_fire(struct world *w)
{
	while (w->qhead < w->qn && w->q[w->qhead]->at_us <= w->now) {
		const struct payment_config *p = w->q[w->qhead++];
		if (pay_engine_find_pay(&w->alice, p->id))
			continue;
		w_alice_start_payment(w, p);
	}
	if (w->qhead == w->qn)
		w->qhead = w->qn = 0;
	w_sched_arm(w);
}


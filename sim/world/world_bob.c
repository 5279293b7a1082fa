/* Bob's shell in the world: what receiver/bob_act.c does with his
 * engine's actions (links, hold timers, chain claims, compaction). */
#include "world_int.h"

/* ---- bob's shell (receiver/bob_act.c) ----------------------------------------- */


void w_bob_sync_links(struct world *w)
{
	for (; w->b.nlinks < w->bob.nchans; w->b.nlinks++) {
		if (w->b.nlinks >= w->s->nchannels)
			fatal("the world: bob has more channels than the scenario");
		struct chan *c = &w->b.links[w->b.nlinks];
		const struct bob_chan *bc = &w->bob.chans[w->b.nlinks];
		memset(c, 0, sizeof(*c));
		link_init(&c->out, &bc->base_out, w->bob.seed, bc->ledger.id, "to_alice");
		c->base_out = bc->base_out;
		c->accepted = true;
	}
}

static struct wtimer *hold_timer(struct world *w, uint64_t id)
{
	uint64_t idx;
	return u64map_get(&w->holds, id, &idx) ? w->hold_v[idx] : NULL;
}

void w_hold_forget(struct world *w, uint64_t id)
{
	uint64_t idx;
	if (!u64map_get(&w->holds, id, &idx))
		return;
	struct wtimer *t = w->hold_v[idx];
	wt_cancel(&w->b.heap, t);
	free(t);
	u64map_del(&w->holds, id);
	/* the last one takes the freed place */
	if (idx != --w->nhold) {
		w->hold_v[idx] = w->hold_v[w->nhold];
		u64map_put(&w->holds, w->hold_v[idx]->id, idx);
	}
}

static void hold_arm(struct world *w, uint64_t id, uint64_t at)
{
	struct wtimer *t = hold_timer(w, id);
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		t->kind = WT_HOLD;
		t->id = id;
		t->idx = SIZE_MAX;
		if (w->nhold == w->hold_cap) {
			w->hold_cap = w->hold_cap ? 2 * w->hold_cap : 16;
			w->hold_v = xrealloc(w->hold_v, w->hold_cap * sizeof(*w->hold_v));
		}
		u64map_put(&w->holds, id, w->nhold);
		w->hold_v[w->nhold++] = t;
	}
	wt_at(&w->b.heap, t, at);
}

/* A claim the engine asked for: what the chain answers (bob_act.c). */
static enum chain_answer bob_claim(struct world *w, const struct act_chain *x)
{
	struct bob_htlc *h = bob_engine_htlc(&w->bob, x->chan, x->htlc_id);
	if (!h)
		fatal("chain claim of %zu/%llu without an HTLC", x->chan,
		      (unsigned long long)x->htlc_id);
	struct wspend winner;
	struct chain_proof proof;
	enum chain_answer answer = CHAIN_ANSWER_INVALID;
	if (!bob_engine_claim_proof(&w->bob, x->chan, x->htlc_id, x->key, &proof))
		fatal("chain claim of %zu/%llu without signed terms", x->chan,
		      (unsigned long long)x->htlc_id);
	switch (w_chain_submit(w, true, x->key, &proof, &winner)) {
	case WC_ACCEPTED: answer = CHAIN_ANSWER_ACCEPTED; break;
	case WC_SPENT:
		answer = winner.claim ? CHAIN_ANSWER_SPENT_BY_CLAIM : CHAIN_ANSWER_SPENT_BY_REFUND;
		break;
	case WC_INVALID: answer = CHAIN_ANSWER_INVALID; break;
	}
	return answer;
}

static void bob_compact(struct world *w)
{
	if (w->bob.ninvoices < w->bob_compact_at)
		return;
	struct actions out;
	actions_init(&out);
	bob_engine_compact_invoices(&w->bob, BOB_KEEP_INVOICES, &out);
	size_t slack = BOB_KEEP_INVOICES / 4 > 1024 ? BOB_KEEP_INVOICES / 4 : 1024;
	w->bob_compact_at = w->bob.ninvoices + slack;
	w_store_bob(w, &out);   /* its records only */
	actions_clear(&out);
	actions_free(&out);
}

static void bob_one(struct world *w, const struct action *a, struct chain_replies *replies)
{
	switch (a->kind) {
	case ACT_PERSIST:
	case ACT_OUTCOME:
		break;
	case ACT_SEND:
		w_bob_sync_links(w);
		w_send_action(w, &w->b, &a->u.send);
		break;
	case ACT_LOG:
		if (strcmp(a->u.log.rec->name, HTLC_STATE_EVENT) != 0)
			w_emit(w, WORLD_BOB, a->u.log.rec);
		break;
	case ACT_TIMER:
		if (a->u.timer.timer == BOB_TIMER_BLOCK)
			wt_at(&w->b.heap, &w->b.block, a->u.timer.at_us);
		else
			hold_arm(w, a->u.timer.id, a->u.timer.at_us);
		break;
	case ACT_CANCEL:
		if (a->u.cancel.timer == BOB_TIMER_HOLD)
			w_hold_forget(w, a->u.cancel.id);
		break;
	case ACT_CHAIN:
		chain_replies_add(replies, &a->u.chain, bob_claim(w, &a->u.chain));
		break;
	case ACT_VIOLATION:
		w_violation(w, WORLD_BOB, a->u.violation.text);
		break;
	case ACT_CLOSE:
		w_violation(w, WORLD_BOB, "bob closed the connection: not in the world yet");
		break;
	}
}

void w_bob_act(struct world *w, struct actions *out)
{
	w->bob_depth++;
	w_bob_sync_links(w);
	w_store_bob(w, out);   /* before anything else of the list (world_store.c) */
	struct chain_replies replies;
	chain_replies_init(&replies);
	for (size_t i = 0; i < out->n; i++)
		bob_one(w, &out->v[i], &replies);
	actions_clear(out);
	/* the chain's answers, once the list is carried out (bob_act.c) */
	for (size_t i = 0; i < replies.n; i++) {
		const struct chain_reply *r = &replies.v[i];
		bob_engine_chain_result(&w->bob, r->chan, r->htlc_id, r->answer, out);
		w_bob_act(w, out);
	}
	chain_replies_free(&replies);
	if (--w->bob_depth == 0)
		bob_compact(w);
}

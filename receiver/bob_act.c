/* Carrying out the engine's actions: every record of a list in one store
 * transaction first (nothing is sent that is not on disk), then sends,
 * events, timers, chain transactions and closes in the order the engine
 * appended them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bob.h"
#include "log.h"

struct bob_conn *bob_conn_by_id(struct bob *b, uint64_t id)
{
	for (struct bob_conn *c = b->conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

void bob_sync_links(struct bob *b)
{
	for (; b->nlinks < b->eng.nchans; b->nlinks++) {
		struct chan *c = &b->links[b->nlinks];
		const struct bob_chan *bc = &b->eng.chans[b->nlinks];
		memset(c, 0, sizeof(*c));
		link_init(&c->out, &bc->base_out, b->eng.seed, bc->ledger.id, "to_alice");
		c->base_out = bc->base_out;
		c->accepted = true;
	}
}

/* ---- timers ------------------------------------------------------------ */

uint64_t bob_now(const struct bob *b)
{
	return timebase_now(b->tb);
}

static void arm_block_timer(struct bob *b, uint64_t at_us)
{
	if (!b->block_timer)
		fatal("block timer armed before the loop is set up");
	tb_timer_at(b->block_timer, at_us);
}

static struct bob_hold_timer **timer_slot(struct bob *b, uint64_t id)
{
	struct bob_hold_timer **pp = &b->timers;
	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	return pp;
}

static void on_hold_timer(void *arg)
{
	struct bob_hold_timer *t = arg;
	struct bob *b = t->bob;
	uint64_t id = t->id;
	/* the timer is spent: forget it before the engine may cancel it */
	*timer_slot(b, id) = t->next;
	tb_timer_free(t->ev);
	free(t);
	struct actions out;
	actions_init(&out);
	bob_engine_hold_timeout(&b->eng, id, bob_now(b), &out);
	bob_act(b, &out);
	actions_free(&out);
}

static void hold_label(void *arg, uint64_t at, char *buf, size_t n)
{
	(void)arg;
	(void)at;
	snprintf(buf, n, "bob's hold time for an incomplete set ends (mpp_timeout)");
}

static void arm_hold_timer(struct bob *b, uint64_t id, uint64_t at_us)
{
	struct bob_hold_timer **pp = timer_slot(b, id);
	struct bob_hold_timer *t = *pp;
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		t->bob = b;
		t->id = id;
		t->ev = tb_timer_new(b->tb, on_hold_timer, t);
		tb_timer_set_label(t->ev, hold_label);
		*pp = t;
	}
	tb_timer_at(t->ev, at_us);
}

static void cancel_hold_timer(struct bob *b, uint64_t id)
{
	struct bob_hold_timer **pp = timer_slot(b, id);
	struct bob_hold_timer *t = *pp;
	if (!t)
		return;
	*pp = t->next;
	tb_timer_free(t->ev);
	free(t);
}

void bob_timers_free(struct bob *b)
{
	while (b->timers)
		cancel_hold_timer(b, b->timers->id);
}

/* ---- the chain --------------------------------------------------------- */

/* Submit a claim the engine asked for: what the chain answers. */
static enum chain_answer submit_claim(struct bob *b, const struct act_chain *x)
{
	const struct bob_htlc *h = bob_engine_htlc(&b->eng, x->chan, x->htlc_id);
	if (!b->chain || !h)
		fatal("chain claim of %zu/%llu without a chain or an HTLC", x->chan,
		      (unsigned long long)x->htlc_id);
	struct chain_tx claim, winner;
	struct chain_proof proof;
	memset(&claim, 0, sizeof(claim));
	claim.kind = CHAIN_CLAIM;
	memcpy(claim.preimage, x->key, AMP_LEN);
	uint32_t height = simclock_height_of(&b->eng.clk, bob_now(b));
	char why[100] = "no signed terms to show";
	enum chain_submit_result cr = CHAIN_INVALID;
	if (bob_engine_claim_proof(&b->eng, x->chan, x->htlc_id, x->key, &proof))
		cr = chain_submit(b->chain, &claim, &proof, height, &winner, why, sizeof(why));
	if (cr == CHAIN_INVALID)
		log_warn("claim of %s/%llu refused by the chain: %s", b->eng.chans[x->chan].ledger.id,
			 (unsigned long long)x->htlc_id, why);
	enum chain_answer answer = CHAIN_ANSWER_INVALID;
	switch (cr) {
	case CHAIN_ACCEPTED: answer = CHAIN_ANSWER_ACCEPTED; break;
	case CHAIN_SPENT:
		answer = winner.kind == CHAIN_CLAIM ? CHAIN_ANSWER_SPENT_BY_CLAIM
						    : CHAIN_ANSWER_SPENT_BY_REFUND;
		break;
	case CHAIN_INVALID: answer = CHAIN_ANSWER_INVALID; break;
	case CHAIN_UNREACHABLE: answer = CHAIN_ANSWER_UNREACHABLE; break;
	}
	return answer;
}

/* ---- one action list --------------------------------------------------- */

static void send_frame(struct bob *b, const struct act_send *x)
{
	struct bob_conn *c = bob_conn_by_id(b, x->conn);
	if (!c)
		return;   /* gone since the engine decided: replayed on reconnect */
	if (x->chan == ACTION_NO_CHAN) {
		peer_send_frame(c->peer, x->frame, x->frame_len);
		return;
	}
	bob_sync_links(b);
	peer_send_frame_on(c->peer, &b->links[x->chan].out, b->eng.chans[x->chan].ledger.id,
			   x->msg_kind, x->msg_name, x->frame, x->frame_len);
}

static void log_record(struct bob *b, const struct evrec *r)
{
	if (strcmp(r->name, HTLC_STATE_EVENT) == 0) {
		/* debug only: HTLC_STATE_EVENT is not an event-log line */
		log_debug("htlc %s #%llu: %s -> %s (%s)", evrec_field_str(r, 0),
			  (unsigned long long)r->f[1].v.u64, evrec_field_str(r, 2), evrec_field_str(r, 3),
			  evrec_field_str(r, 4));
		return;
	}
	evlog_emit_rec(b->log, r);
}

/* Paid invoices beyond --keep-invoices are forgotten (and deleted from the
 * state) once there are a quarter more, or 1024: a pass over the invoices
 * is spread over as many new ones. Only between engine calls. */
static void compact(struct bob *b)
{
	if (!b->keep_invoices || b->eng.ninvoices < b->compact_at)
		return;
	struct actions out;
	actions_init(&out);
	size_t n = bob_engine_compact_invoices(&b->eng, b->keep_invoices, &out);
	if (n)
		log_debug("forgot %zu paid invoices", n);
	size_t slack = b->keep_invoices / 4 > 1024 ? b->keep_invoices / 4 : 1024;
	b->compact_at = b->eng.ninvoices + slack;
	b->act_depth++;
	bob_act(b, &out);
	b->act_depth--;
	actions_free(&out);
}

static void carry_out(struct bob *b, const struct action *a, struct chain_replies *replies)
{
	switch (a->kind) {
	case ACT_PERSIST:
	case ACT_OUTCOME:
		break;
	case ACT_SEND:
		send_frame(b, &a->u.send);
		break;
	case ACT_LOG:
		log_record(b, a->u.log.rec);
		break;
	case ACT_TIMER:
		if (a->u.timer.timer == BOB_TIMER_BLOCK)
			arm_block_timer(b, a->u.timer.at_us);
		else
			arm_hold_timer(b, a->u.timer.id, a->u.timer.at_us);
		break;
	case ACT_CANCEL:
		if (a->u.cancel.timer == BOB_TIMER_HOLD)
			cancel_hold_timer(b, a->u.cancel.id);
		break;
	case ACT_CHAIN:
		turn_commit(b->turn);   /* the chain is outside the turn */
		/* its answer goes to the engine once the list is carried out */
		chain_replies_add(replies, &a->u.chain, submit_claim(b, &a->u.chain));
		break;
	case ACT_VIOLATION:
		evlog_violation(b->log, "%s", a->u.violation.text);
		break;
	case ACT_CLOSE: {
		struct bob_conn *c = bob_conn_by_id(b, a->u.close.conn);
		if (!c)
			break;
		log_warn("peer %s: %s; closing the connection", peer_name(c->peer), a->u.close.why);
		peer_close(c->peer, a->u.close.why);
		break;
	}
	}
}

void bob_act(struct bob *b, struct actions *out)
{
	b->act_depth++;
	bob_sync_links(b);
	if (b->st && actions_count(out, ACT_PERSIST)) {
		/* into this turn's transaction: committed at the end of the
		 * turn, before anything sent here leaves (turn.h) */
		turn_write(b->turn);
		for (size_t i = 0; i < out->n; i++)
			if (out->v[i].kind == ACT_PERSIST)
				bob_store_record(b, &out->v[i].u.persist);
	}
	struct chain_replies replies;
	chain_replies_init(&replies);
	for (size_t i = 0; i < out->n; i++)
		carry_out(b, &out->v[i], &replies);
	actions_clear(out);
	/* the chain's answers, now that the list is carried out: each to the
	 * engine in order, and what it decides carried out the same way */
	for (size_t i = 0; i < replies.n; i++) {
		const struct chain_reply *r = &replies.v[i];
		bob_engine_chain_result(&b->eng, r->chan, r->htlc_id, r->answer, out);
		bob_act(b, out);
	}
	chain_replies_free(&replies);
	if (--b->act_depth == 0)
		compact(b);
}

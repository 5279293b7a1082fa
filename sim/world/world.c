/* The world (world.h): both engines, their links, timers and the chain in
 * one process. Each node's part mirrors what its daemon's shell does with
 * the engine's actions (sender/alice.c, receiver/bob_act.c) and what its
 * connection does with a frame on a channel (sim/runtime/peer_out.c), so
 * that the event logs are the daemons' own. */
#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bob_engine.h"
#include "chain_rules.h"
#include "chan.h"
#include "frame.h"
#include "log.h"
#include "pay_engine.h"
#include "secrets.h"
#include "u64map.h"

/* Alice's connection, as Bob's engine numbers it. */
#define WORLD_CONN 1
/* Bob's daemon forgets paid invoices beyond this many (its default). */
#define BOB_KEEP_INVOICES 10000

const char *world_node_name(enum world_node n)
{
	return n == WORLD_ALICE ? "alice" : "bob";
}

/* ---- timers: (time, arming order), as a daemon's timebase ------------------ */

enum wt_kind { WT_BLOCK, WT_DELIVER, WT_SCHED, WT_HOLD };

struct wtimer {
	enum wt_kind kind;
	uint64_t id;               /* WT_HOLD: the set */
	uint64_t at, seq;
	size_t idx;                /* in the heap; SIZE_MAX: not armed */
};

struct wheap {
	struct wtimer **v;
	size_t n, cap;
	uint64_t seq;
};

static bool t_before(const struct wtimer *a, const struct wtimer *b)
{
	return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

static void h_swap(struct wheap *h, size_t i, size_t j)
{
	struct wtimer *t = h->v[i];
	h->v[i] = h->v[j];
	h->v[j] = t;
	h->v[i]->idx = i;
	h->v[j]->idx = j;
}

static void h_up(struct wheap *h, size_t i)
{
	while (i > 0 && t_before(h->v[i], h->v[(i - 1) / 2])) {
		h_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void h_down(struct wheap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && t_before(h->v[l], h->v[m]))
			m = l;
		if (r < h->n && t_before(h->v[r], h->v[m]))
			m = r;
		if (m == i)
			return;
		h_swap(h, i, m);
		i = m;
	}
}

static void timer_cancel(struct wheap *h, struct wtimer *t)
{
	if (t->idx == SIZE_MAX)
		return;
	size_t i = t->idx;
	h->n--;
	if (i != h->n) {
		h->v[i] = h->v[h->n];
		h->v[i]->idx = i;
		h_down(h, i);
		h_up(h, i);
	}
	t->idx = SIZE_MAX;
}

/* Arm (or move) t to at: a new place in the arming order, as tb_timer_at. */
static void timer_at(struct wheap *h, struct wtimer *t, uint64_t at)
{
	timer_cancel(h, t);
	t->at = at;
	t->seq = h->seq++;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 16;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	t->idx = h->n;
	h->v[h->n++] = t;
	h_up(h, t->idx);
}

/* ---- messages ------------------------------------------------------------- */

/* A frame on its way over a channel's link (peer_out.c's pending). */
struct pending {
	struct pending *prev, *next;
	uint64_t due;
	bool held;
	size_t chan;
	const char *msg_name;
	size_t len;
	uint8_t bytes[];
};

/* A frame on the wire, to be handled by the other node. */
struct wire {
	struct wire *next;
	size_t len;
	uint8_t bytes[];
};

struct side {
	enum world_node node;
	struct wheap heap;
	struct wtimer block, deliver;
	struct chan links[PAY_MAX_CHANNELS];
	size_t nlinks;
	struct pending *sched, *held;
	size_t npending;
	struct wire *in_head, *in_tail;       /* frames written to this node */
	unsigned violations;
};

struct sched_pay {
	const struct payment_config *p;
};

struct chain_spend {
	size_t chan;
	uint64_t htlc;
	bool claim;
	uint8_t preimage[AMP_LEN];
	uint32_t confirm_height;
};

struct world {
	const struct scenario *s;
	struct world_sink sink;
	uint64_t now;
	struct simclock clk;
	struct side a, b;
	struct pay_engine alice;
	struct bob_engine bob;
	struct seeded_secrets alice_secrets, bob_secrets;
	struct bob_chain_view chain_view;
	bool connected, ready;
	/* alice's payments handed ahead (alice_sched.c) */
	struct wtimer sched;
	const struct payment_config **q;
	size_t qhead, qn, qcap;
	/* bob's hold timers by set */
	struct u64map holds;           /* set id -> index into hold_v */
	struct wtimer **hold_v;
	size_t nhold, hold_cap;
	size_t bob_compact_at;
	int bob_depth;              /* bob_act's nesting (chain results) */
	/* the chain: spends by (channel, htlc) */
	struct u64map spends;          /* key -> index into spend_v */
	struct chain_spend *spend_v;
	size_t nspend, spend_cap;
	struct frame_arena arena;
};

uint64_t world_now(const struct world *w)
{
	return w->now;
}

uint32_t world_height(const struct world *w)
{
	return simclock_height_of(&w->clk, w->now);
}

static struct side *side_of(struct world *w, enum world_node n)
{
	return n == WORLD_ALICE ? &w->a : &w->b;
}

static void emit(struct world *w, enum world_node n, const struct evrec *r)
{
	if (w->sink.event)
		w->sink.event(w->sink.ctx, n, r);
}

static void violation(struct world *w, enum world_node n, const char *text)
{
	side_of(w, n)->violations++;
	if (w->sink.violation)
		w->sink.violation(w->sink.ctx, n, text);
}

static const char *chan_name(struct world *w, struct side *sd, size_t chan)
{
	return sd->node == WORLD_ALICE ? w->alice.chans[chan].ledger.id : w->bob.chans[chan].ledger.id;
}

/* ---- the chain ------------------------------------------------------------ */

static size_t scenario_chan(const struct world *w, const char *id)
{
	for (size_t i = 0; i < w->s->nchannels; i++)
		if (strcmp(w->s->channels[i].id, id) == 0)
			return i;
	return SIZE_MAX;
}

static uint64_t spend_key(size_t chan, uint64_t htlc)
{
	return ((uint64_t)chan << 48) ^ htlc;
}

static struct chain_spend *spend_lookup(const struct world *w, const char *channel, uint64_t htlc)
{
	size_t c = scenario_chan(w, channel);
	uint64_t idx;
	if (c == SIZE_MAX || !u64map_get(&w->spends, spend_key(c, htlc), &idx))
		return NULL;
	return &w->spend_v[idx];
}

enum wchain { WC_ACCEPTED, WC_SPENT, WC_INVALID };

static enum wchain chain_submit_mem(struct world *w, const char *channel, uint64_t htlc, bool claim,
				    const uint8_t preimage[AMP_LEN], const uint8_t hash[AMP_LEN],
				    uint32_t cltv, struct chain_spend *winner)
{
	uint32_t height = world_height(w);
	if (claim ? !chain_claim_valid(height, cltv, preimage, hash)
		  : !chain_refund_valid(height, cltv))
		return WC_INVALID;
	struct chain_spend *old = spend_lookup(w, channel, htlc);
	if (old) {
		*winner = *old;
		return WC_SPENT;
	}
	size_t c = scenario_chan(w, channel);
	if (c == SIZE_MAX)
		fatal("the chain: a spend on unknown channel %s", channel);
	if (w->nspend == w->spend_cap) {
		w->spend_cap = w->spend_cap ? 2 * w->spend_cap : 16;
		w->spend_v = xrealloc(w->spend_v, w->spend_cap * sizeof(*w->spend_v));
	}
	struct chain_spend *sp = &w->spend_v[w->nspend];
	memset(sp, 0, sizeof(*sp));
	sp->chan = c;
	sp->htlc = htlc;
	sp->claim = claim;
	if (claim)
		memcpy(sp->preimage, preimage, AMP_LEN);
	sp->confirm_height = height + CHAIN_CONFIRMATIONS;
	u64map_put(&w->spends, spend_key(c, htlc), w->nspend++);
	return WC_ACCEPTED;
}

static bool chain_confirmed_mem(const struct world *w, const char *channel, uint64_t htlc,
				uint32_t height, struct chain_spend *out)
{
	const struct chain_spend *sp = spend_lookup(w, channel, htlc);
	if (!sp || sp->confirm_height > height)
		return false;
	*out = *sp;
	return true;
}

static bool bob_chain_spent(void *ctx, const char *channel, uint64_t htlc_id, uint32_t height,
			    bool *refund)
{
	struct chain_spend sp;
	if (!chain_confirmed_mem(ctx, channel, htlc_id, height, &sp))
		return false;
	*refund = !sp.claim;
	return true;
}

/* ---- the wire and the links (peer_out.c) ------------------------------------ */

static void wire_write(struct world *w, struct side *from, const uint8_t *bytes, size_t len)
{
	struct side *to = from == &w->a ? &w->b : &w->a;
	struct wire *f = xcalloc(1, sizeof(*f) + len);
	f->len = len;
	memcpy(f->bytes, bytes, len);
	if (to->in_tail)
		to->in_tail->next = f;
	else
		to->in_head = f;
	to->in_tail = f;
}

static struct pending **list_of(struct side *sd, struct pending *q)
{
	return q->held ? &sd->held : &sd->sched;
}

static void pending_detach(struct side *sd, struct pending *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		*list_of(sd, q) = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

static void pending_unlink(struct side *sd, struct pending *q)
{
	pending_detach(sd, q);
	sd->npending--;
	free(q);
}

static void rearm(struct side *sd)
{
	if (sd->sched)
		timer_at(&sd->heap, &sd->deliver, sd->sched->due);
	else
		timer_cancel(&sd->heap, &sd->deliver);
}

static void log_chan_msg(struct world *w, struct side *sd, const char *event, size_t chan,
			 const char *msg)
{
	struct evrec r;
	evrec_init(&r, event);
	evrec_str(&r, "channel", chan_name(w, sd, chan));
	evrec_str(&r, "message", msg ? msg : "message");
	emit(w, sd->node, &r);
}

static void hold(struct world *w, struct side *sd, struct pending *q)
{
	log_chan_msg(w, sd, "message_held", q->chan, q->msg_name);
	struct pending *last = sd->held;
	q->held = true;
	while (last && last->next)
		last = last->next;
	q->prev = last;
	q->next = NULL;
	if (last)
		last->next = q;
	else
		sd->held = q;
}

static void schedule(struct side *sd, struct pending *q, uint64_t due)
{
	q->held = false;
	q->due = due;
	struct pending *prev = NULL, *cur = sd->sched;
	while (cur && cur->due <= q->due) {
		prev = cur;
		cur = cur->next;
	}
	q->prev = prev;
	q->next = cur;
	if (prev)
		prev->next = q;
	else
		sd->sched = q;
	if (cur)
		cur->prev = q;
	if (sd->sched == q)
		rearm(sd);
}

static struct pending *pending_new(struct side *sd, size_t chan, const char *msg_name,
				   const uint8_t *bytes, size_t len)
{
	struct pending *q = xcalloc(1, sizeof(*q) + len);
	q->chan = chan;
	q->msg_name = msg_name;
	q->len = len;
	memcpy(q->bytes, bytes, len);
	sd->npending++;
	return q;
}

static void pending_run(struct world *w, struct side *sd)
{
	while (sd->sched && sd->sched->due <= w->now) {
		struct pending *q = sd->sched;
		if (sd->links[q->chan].out.down) {
			/* the link went down while this was on its way */
			pending_detach(sd, q);
			hold(w, sd, q);
			continue;
		}
		wire_write(w, sd, q->bytes, q->len);
		pending_unlink(sd, q);
	}
	rearm(sd);
}

static void send_on(struct world *w, struct side *sd, size_t chan, enum msg_kind kind,
		    const char *msg_name, const uint8_t *bytes, size_t len)
{
	struct link *l = &sd->links[chan].out;
	struct link_verdict v = link_decide(l, kind);
	switch (v.fate) {
	case LINK_DROP: {
		struct evrec r;
		evrec_init(&r, "message_dropped");
		evrec_str(&r, "channel", chan_name(w, sd, chan));
		evrec_str(&r, "message", msg_name);
		evrec_u64(&r, "kind_seq", l->sent[kind < MSG_KIND_COUNT ? kind : MSG_OTHER]);
		evrec_str(&r, "why", v.why);
		emit(w, sd->node, &r);
		return;
	}
	case LINK_HOLD:
		hold(w, sd, pending_new(sd, chan, msg_name, bytes, len));
		return;
	case LINK_DELIVER:
		for (unsigned i = 0; i < v.copies && i < 2; i++) {
			if (v.delay_us[i] == 0)
				wire_write(w, sd, bytes, len);
			else
				schedule(sd, pending_new(sd, chan, msg_name, bytes, len),
					 w->now + v.delay_us[i]);
		}
		if (v.copies > 1)
			log_chan_msg(w, sd, "message_duplicated", chan, msg_name);
		return;
	}
}

static void release_held(struct world *w, struct side *sd, size_t chan)
{
	unsigned released = 0;
	struct pending *q = sd->held;
	while (q) {
		struct pending *next = q->next;
		if (q->chan == chan) {
			pending_detach(sd, q);
			schedule(sd, q, w->now + link_draw_delay(&sd->links[chan].out));
			released++;
		}
		q = next;
	}
	if (released) {
		struct evrec r;
		evrec_init(&r, "messages_released");
		evrec_str(&r, "channel", chan_name(w, sd, chan));
		evrec_u64(&r, "count", released);
		emit(w, sd->node, &r);
	}
}

static void forget_all(struct side *sd)
{
	while (sd->sched)
		pending_unlink(sd, sd->sched);
	while (sd->held)
		pending_unlink(sd, sd->held);
	rearm(sd);
}

static void send_action(struct world *w, struct side *sd, const struct action *x)
{
	if (!w->connected)
		return;   /* the engine replays what matters on reconnection */
	if (x->chan == ACTION_NO_CHAN)
		wire_write(w, sd, x->frame, x->frame_len);
	else
		send_on(w, sd, x->chan, x->msg_kind, x->msg_name, x->frame, x->frame_len);
}

/* ---- alice's shell (sender/alice.c) ----------------------------------------- */

static void alice_run(struct world *w, struct actions *acts);

static void alice_refund(struct world *w, const struct action *x)
{
	const struct ledger *l = &w->alice.chans[x->chan].ledger;
	const struct ledger_htlc *h = ledger_find(l, x->id);
	if (!h)
		return;
	struct chain_spend winner;
	if (chain_submit_mem(w, l->id, x->id, false, NULL, h->hash, h->cltv_expiry, &winner) ==
	    WC_ACCEPTED) {
		struct actions more;
		actions_init(&more);
		pay_engine_refund_sent(&w->alice, x->chan, x->id, &more);
		alice_run(w, &more);
		actions_free(&more);
	}
}

static void alice_run(struct world *w, struct actions *acts)
{
	for (size_t i = 0; i < acts->n; i++) {
		const struct action *x = &acts->v[i];
		switch (x->kind) {
		case ACT_PERSIST:
			break;   /* memory is the state here (no crash in the world yet) */
		case ACT_SEND:
			send_action(w, &w->a, x);
			break;
		case ACT_LOG:
			emit(w, WORLD_ALICE, x->log);
			break;
		case ACT_VIOLATION:
			violation(w, WORLD_ALICE, x->text);
			break;
		case ACT_CLOSE:
			violation(w, WORLD_ALICE, "alice closed the connection: not in the world yet");
			break;
		case ACT_CHAIN:
			alice_refund(w, x);
			break;
		case ACT_OUTCOME:
			if (w->sink.outcome)
				w->sink.outcome(w->sink.ctx, x->id);
			break;
		case ACT_TIMER:
			switch ((enum pay_timer)x->what) {
			case PAY_TIMER_BLOCK:
				timer_at(&w->a.heap, &w->a.block, x->at_us);
				break;
			}
			break;
		case ACT_CANCEL:
			if ((enum pay_timer)x->what == PAY_TIMER_BLOCK)
				timer_cancel(&w->a.heap, &w->a.block);
			break;
		}
	}
	actions_clear(acts);
}

#define ALICE(w, call)                                \
	do {                                          \
		struct actions acts_;                 \
		actions_init(&acts_);                 \
		call;                                 \
		alice_run((w), &acts_);               \
		actions_free(&acts_);                 \
	} while (0)

static void alice_message(struct world *w, const Ampsim__Envelope *env)
{
	uint64_t now = w->now;
	switch (env->msg_case) {
	case AMPSIM__ENVELOPE__MSG_INIT:
		ALICE(w, pay_engine_on_init(&w->alice, env->init, &acts_));
		w->ready = pay_engine_ready(&w->alice);
		break;
	case AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL:
		ALICE(w, pay_engine_on_accept(&w->alice, env->accept_channel, now, &acts_));
		w->ready = pay_engine_ready(&w->alice);
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

static void alice_block(struct world *w)
{
	uint32_t height = world_height(w);
	struct pay_chain_seen *seen = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < w->alice.nchans; i++) {
		const struct ledger *l = &w->alice.chans[i].ledger;
		for (uint32_t k = 0; k < l->max_htlcs; k++) {
			const struct ledger_htlc *h = &l->htlcs[k];
			struct chain_spend sp;
			if (!h->used || !chain_confirmed_mem(w, l->id, h->id, height, &sp))
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

static void alice_start_payment(struct world *w, const struct payment_config *p)
{
	struct pay_request r = { .id = p->id, .mode = p->mode, .amount = p->amount,
				 .shards = p->shards, .expiry_blocks = p->expiry_blocks,
				 .deadline_us = w->now + p->timeout_us };
	ALICE(w, pay_engine_pay(&w->alice, &r, w->now, &acts_));
}

static void sched_arm(struct world *w)
{
	if (w->qhead < w->qn)
		timer_at(&w->a.heap, &w->sched, w->q[w->qhead]->at_us);
	else
		timer_cancel(&w->a.heap, &w->sched);
}

static void sched_fire(struct world *w)
{
	while (w->qhead < w->qn && w->q[w->qhead]->at_us <= w->now) {
		const struct payment_config *p = w->q[w->qhead++];
		if (pay_engine_find_pay(&w->alice, p->id))
			continue;
		alice_start_payment(w, p);
	}
	if (w->qhead == w->qn)
		w->qhead = w->qn = 0;
	sched_arm(w);
}

/* ---- bob's shell (receiver/bob_act.c) ----------------------------------------- */

static void bob_act(struct world *w, struct actions *out);

static void bob_sync_links(struct world *w)
{
	for (; w->b.nlinks < w->bob.nchans; w->b.nlinks++) {
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

static void hold_forget(struct world *w, uint64_t id)
{
	uint64_t idx;
	if (!u64map_get(&w->holds, id, &idx))
		return;
	struct wtimer *t = w->hold_v[idx];
	timer_cancel(&w->b.heap, t);
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
	timer_at(&w->b.heap, t, at);
}

static void bob_claim(struct world *w, const struct action *a)
{
	struct bob_htlc *h = bob_engine_htlc(&w->bob, a->chan, a->id);
	if (!h)
		fatal("chain claim of %zu/%llu without an HTLC", a->chan, (unsigned long long)a->id);
	struct chain_spend winner;
	enum bob_chain_result r = BOB_CLAIM_INVALID;
	switch (chain_submit_mem(w, w->bob.chans[a->chan].ledger.id, a->id, true, a->key, h->hash,
				 h->cltv_expiry, &winner)) {
	case WC_ACCEPTED: r = BOB_CLAIM_ACCEPTED; break;
	case WC_SPENT: r = winner.claim ? BOB_CLAIM_ACCEPTED : BOB_CLAIM_SPENT; break;
	case WC_INVALID: r = BOB_CLAIM_INVALID; break;
	}
	struct actions out;
	actions_init(&out);
	bob_engine_chain_result(&w->bob, a->chan, a->id, r, &out);
	bob_act(w, &out);
	actions_free(&out);
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
	actions_clear(&out);   /* its records only */
	actions_free(&out);
}

static void bob_act(struct world *w, struct actions *out)
{
	w->bob_depth++;
	bob_sync_links(w);
	for (size_t i = 0; i < out->n; i++) {
		const struct action *a = &out->v[i];
		switch (a->kind) {
		case ACT_PERSIST:
		case ACT_OUTCOME:
			break;
		case ACT_SEND:
			bob_sync_links(w);
			send_action(w, &w->b, a);
			break;
		case ACT_LOG:
			if (strcmp(a->log->name, HTLC_STATE_EVENT) != 0)
				emit(w, WORLD_BOB, a->log);
			break;
		case ACT_TIMER:
			if (a->what == BOB_TIMER_BLOCK)
				timer_at(&w->b.heap, &w->b.block, a->at_us);
			else
				hold_arm(w, a->id, a->at_us);
			break;
		case ACT_CANCEL:
			if (a->what == BOB_TIMER_HOLD)
				hold_forget(w, a->id);
			break;
		case ACT_CHAIN:
			bob_claim(w, a);
			break;
		case ACT_VIOLATION:
			violation(w, WORLD_BOB, a->text);
			break;
		case ACT_CLOSE:
			violation(w, WORLD_BOB, "bob closed the connection: not in the world yet");
			break;
		}
	}
	actions_clear(out);
	if (--w->bob_depth == 0)
		bob_compact(w);
}

#define BOB(w, call)                                  \
	do {                                          \
		struct actions out_;                  \
		actions_init(&out_);                  \
		call;                                 \
		bob_act((w), &out_);                  \
		actions_free(&out_);                  \
	} while (0)

/* ---- the event queue ------------------------------------------------------- */

static void fire(struct world *w, struct side *sd, struct wtimer *t)
{
	if (sd == &w->a) {
		switch (t->kind) {
		case WT_BLOCK: alice_block(w); break;
		case WT_DELIVER: pending_run(w, sd); break;
		case WT_SCHED: sched_fire(w); break;
		case WT_HOLD: fatal("a hold timer on alice's side");
		}
		return;
	}
	switch (t->kind) {
	case WT_BLOCK:
		BOB(w, bob_engine_block(&w->bob, w->now, &out_));
		break;
	case WT_DELIVER:
		pending_run(w, sd);
		break;
	case WT_HOLD: {
		uint64_t id = t->id;
		hold_forget(w, id);   /* spent: forgotten before the engine may cancel it */
		BOB(w, bob_engine_hold_timeout(&w->bob, id, w->now, &out_));
		break;
	}
	case WT_SCHED:
		fatal("a schedule timer on bob's side");
	}
}

static bool fire_due(struct world *w, struct side *sd)
{
	bool any = false;
	while (sd->heap.n && sd->heap.v[0]->at <= w->now) {
		struct wtimer *t = sd->heap.v[0];
		timer_cancel(&sd->heap, t);
		fire(w, sd, t);
		any = true;
	}
	return any;
}

static void handle(struct world *w, struct side *sd)
{
	struct wire *f = sd->in_head;
	sd->in_head = f->next;
	if (!sd->in_head)
		sd->in_tail = NULL;
	size_t used = 0;
	Ampsim__Envelope *env = NULL;
	char why[200] = "";
	if (frame_decode(&w->arena, f->bytes, f->len, &used, &env, why, sizeof(why)) != FRAME_OK)
		fatal("the world: a frame of our own does not decode: %s", why);
	if (sd == &w->a)
		alice_message(w, env);
	else
		BOB(w, bob_engine_message(&w->bob, WORLD_CONN, env, w->now, &out_));
	free(f);
}

void world_settle(struct world *w)
{
	for (;;) {
		fire_due(w, &w->a);
		fire_due(w, &w->b);
		/* then what each received at this instant, in the order it came */
		while (w->a.in_head || w->b.in_head) {
			if (w->b.in_head)
				handle(w, &w->b);
			if (w->a.in_head)
				handle(w, &w->a);
		}
		bool due = (w->a.heap.n && w->a.heap.v[0]->at <= w->now) ||
			   (w->b.heap.n && w->b.heap.v[0]->at <= w->now);
		if (!due)
			return;
	}
}

uint64_t world_next(const struct world *w)
{
	uint64_t t = WORLD_NO_TIMER;
	if (w->a.heap.n && w->a.heap.v[0]->at < t)
		t = w->a.heap.v[0]->at;
	if (w->b.heap.n && w->b.heap.v[0]->at < t)
		t = w->b.heap.v[0]->at;
	return t;
}

void world_advance(struct world *w, uint64_t t)
{
	if (t < w->now)
		fatal("the world: told to go back from %llu to %llu", (unsigned long long)w->now,
		      (unsigned long long)t);
	w->now = t;
}

/* ---- the run's steps ---------------------------------------------------- */

bool world_ready(const struct world *w)
{
	return w->ready;
}

void world_pay(struct world *w, const struct payment_config *p)
{
	alice_start_payment(w, p);
}

bool world_schedule(struct world *w, const struct payment_config *p, char *why, size_t n)
{
	uint64_t after = w->qn > w->qhead ? w->q[w->qn - 1]->at_us : w->now;
	if (p->at_us < after) {
		snprintf(why, n, "payment %s: before the last one handed", p->id);
		return false;
	}
	if (w->qn == w->qcap) {
		if (w->qhead) {
			memmove(w->q, w->q + w->qhead, (w->qn - w->qhead) * sizeof(*w->q));
			w->qn -= w->qhead;
			w->qhead = 0;
		}
		if (w->qn == w->qcap) {
			w->qcap = w->qcap ? 2 * w->qcap : 512;
			w->q = xrealloc(w->q, w->qcap * sizeof(*w->q));
		}
	}
	w->q[w->qn++] = p;
	if (w->qn - w->qhead == 1)
		sched_arm(w);
	return true;
}

static void fault_log(struct world *w, enum world_node n, const struct fault_config *f,
		      const char *channel, bool lift)
{
	struct evrec r;
	evrec_init(&r, lift ? "fault_lifted" : "fault_applied");
	evrec_str(&r, "channel", channel ? channel : "*");
	evrec_str(&r, "direction", fault_dir_name(f->dir));
	evrec_str(&r, "action", f->text);
	emit(w, n, &r);
}

void world_fault(struct world *w, const struct fault_config *f, bool lift)
{
	const char *channel = fault_action_scope(f->action) == FAULT_SCOPE_ALL_CHANNELS ? NULL
											: f->channel;
	/* alice first, then bob, as ampsim run asks them */
	for (size_t i = 0; i < w->alice.nchans; i++) {
		if (channel && strcmp(w->alice.chans[i].ledger.id, channel) != 0)
			continue;
		struct chan *c = &w->a.links[i];
		if (chan_fault(c, DIR_TO_BOB, f, lift) && w->connected)
			release_held(w, &w->a, i);
		pay_engine_set_down(&w->alice, i, c->out.down || c->in_down);
	}
	fault_log(w, WORLD_ALICE, f, channel, lift);
	ALICE(w, pay_engine_retry_deferred(&w->alice, w->now, &acts_));
	bob_sync_links(w);
	for (size_t i = 0; i < w->bob.nchans; i++) {
		if (channel && strcmp(w->bob.chans[i].ledger.id, channel) != 0)
			continue;
		if (chan_fault(&w->b.links[i], DIR_TO_ALICE, f, lift) &&
		    w->bob.chans[i].conn != BOB_NO_CONN)
			release_held(w, &w->b, i);
	}
	fault_log(w, WORLD_BOB, f, channel, lift);
}

/* ---- set-up and the end --------------------------------------------------- */

bool world_supports(const struct scenario *s, char *why, size_t whylen)
{
	for (size_t i = 0; i < s->nfaults; i++) {
		const struct fault_config *f = &s->faults[i];
		enum fault_scope sc = fault_action_scope(f->action);
		if (sc == FAULT_SCOPE_CONNECTION || sc == FAULT_SCOPE_PROCESS) {
			snprintf(why, whylen, "%s:%d: fault %s: '%s' (a disconnect, crash or restart) "
				 "is not played in-process yet; run it without --in-process",
				 s->path, f->line, f->id, f->text);
			return false;
		}
	}
	if (s->nchannels > PAY_MAX_CHANNELS) {
		snprintf(why, whylen, "%s: %zu channels: the world holds at most %d", s->path,
			 s->nchannels, PAY_MAX_CHANNELS);
		return false;
	}
	return true;
}

struct world *world_new(const struct scenario *s, const struct world_sink *sink, char *err,
			size_t errlen)
{
	if (!world_supports(s, err, errlen))
		return NULL;
	struct world *w = xcalloc(1, sizeof(*w));
	w->s = s;
	if (sink)
		w->sink = *sink;
	w->a.node = WORLD_ALICE;
	w->b.node = WORLD_BOB;
	struct wtimer *ts[] = { &w->a.block, &w->a.deliver, &w->b.block, &w->b.deliver, &w->sched };
	enum wt_kind ks[] = { WT_BLOCK, WT_DELIVER, WT_BLOCK, WT_DELIVER, WT_SCHED };
	for (size_t i = 0; i < 5; i++) {
		ts[i]->kind = ks[i];
		ts[i]->idx = SIZE_MAX;
	}
	w->clk.block_interval_us = s->block_interval_us;
	w->clk.time_scale = s->time_scale;
	frame_arena_init(&w->arena);
	w->bob_compact_at = BOB_KEEP_INVOICES;

	/* alice as ampsim run starts her: secrets of generation 0 */
	seeded_secrets_init(&w->alice_secrets, s->seed, 0, "alice");
	struct pay_rand rand = { seeded_secrets_bytes, &w->alice_secrets };
	pay_engine_init(&w->alice, &w->clk, 1, ALICE_HONEST, &rand);
	for (size_t i = 0; i < s->nchannels; i++) {
		struct channel_config cc = s->channels[i];
		enum ledger_err le = pay_engine_add_channel(&w->alice, &cc);
		if (le != LEDGER_OK) {
			snprintf(err, errlen, "%s:%d: channel %s: %s", s->path, cc.line, cc.id,
				 ledger_err_name(le));
			world_free(w);
			return NULL;
		}
		w->a.links[i].base_out = cc.link;
	}
	w->a.nlinks = s->nchannels;
	/* invoices are signed where a stranger could forge one; nobody else
	 * is in this process, so Bob signs nothing and Alice checks nothing */
	w->alice.verify.fn = NULL;
	pay_engine_configure(&w->alice, &w->clk, s->seed, s->alice.behaviour, true);
	for (size_t i = 0; i < w->alice.nchans; i++)
		link_init(&w->a.links[i].out, &w->a.links[i].base_out, s->seed,
			  w->alice.chans[i].ledger.id, "to_bob");

	seeded_secrets_init(&w->bob_secrets, s->seed, 0, "bob");
	w->chain_view.spent = bob_chain_spent;
	w->chain_view.ctx = w;
	w->chain_view.confirmations = CHAIN_CONFIRMATIONS;
	struct bob_config cfg = {
		.hold_us = s->bob.hold_us, .final_cltv_delta = s->bob.final_cltv_delta,
		.behaviour = s->bob.behaviour, .invoice_expiry_us = 3600ULL * 1000000,
		.random = seeded_secrets_bytes, .random_ctx = &w->bob_secrets,
		.chain = &w->chain_view,
	};
	bob_engine_init(&w->bob, &cfg);
	return w;
}

void world_start(struct world *w)
{
	BOB(w, bob_engine_resume(&w->bob, w->now, &out_));
	ALICE(w, pay_engine_start(&w->alice, w->now, &acts_));
	/* the connection: bob accepts, BOLT #8 names alice's node, alice's
	 * engine speaks first */
	if (!bob_engine_connected(&w->bob, WORLD_CONN, "alice"))
		fatal("the world: bob refused the only connection");
	static const uint8_t alice_node[33] = { 0x02, 0xa1 };
	if (!bob_engine_conn_node(&w->bob, WORLD_CONN, alice_node))
		fatal("the world: bob refused alice's node");
	w->connected = true;
	ALICE(w, pay_engine_connected(&w->alice, false, &acts_));
	world_settle(w);
}

void world_stop(struct world *w)
{
	if (!w->connected)
		return;
	w->connected = false;
	forget_all(&w->b);
	BOB(w, bob_engine_disconnected(&w->bob, WORLD_CONN, "connection closed by peer", &out_));
	pay_engine_disconnected(&w->alice);
}

bool world_quiet(const struct world *w, bool *all_final)
{
	bool final = true;
	for (size_t i = 0; i < w->alice.npays; i++)
		if (w->alice.pays[i].outcome == OUTCOME_PENDING)
			final = false;
	*all_final = final;
	if (!final || w->a.sched || w->b.sched)
		return false;
	for (size_t i = 0; i < w->alice.nchans; i++) {
		const struct ledger *la = &w->alice.chans[i].ledger;
		size_t j;
		struct bob_chan *bc = bob_engine_chan((struct bob_engine *)&w->bob, la->id, &j);
		if (!bc || !amount_is_zero(la->inflight) || !amount_is_zero(bc->ledger.inflight) ||
		    la->alice.millisatoshis != bc->ledger.alice.millisatoshis)
			return false;
	}
	return true;
}

const struct pay_engine *world_alice(const struct world *w)
{
	return &w->alice;
}

const struct bob_engine *world_bob(const struct world *w)
{
	return &w->bob;
}

size_t world_nchans(const struct world *w)
{
	return w->alice.nchans;
}

void world_chan_view(const struct world *w, enum world_node node, size_t i, struct chan *out)
{
	if (node == WORLD_ALICE) {
		*out = w->a.links[i];
		out->ledger = w->alice.chans[i].ledger;
		out->accepted = w->alice.chans[i].accepted;
	} else {
		*out = w->b.links[i];
		out->ledger = w->bob.chans[i].ledger;
	}
}

unsigned world_violations(const struct world *w, enum world_node node)
{
	return node == WORLD_ALICE ? w->a.violations : w->b.violations;
}

size_t world_pending(const struct world *w, enum world_node node)
{
	size_t n = 0;
	for (const struct pending *q = (node == WORLD_ALICE ? w->a.sched : w->b.sched); q; q = q->next)
		n++;
	return n;
}

static void side_free(struct side *sd)
{
	while (sd->sched)
		pending_unlink(sd, sd->sched);
	while (sd->held)
		pending_unlink(sd, sd->held);
	while (sd->in_head) {
		struct wire *f = sd->in_head;
		sd->in_head = f->next;
		free(f);
	}
	free(sd->heap.v);
}

void world_free(struct world *w)
{
	if (!w)
		return;
	side_free(&w->a);
	side_free(&w->b);
	for (size_t i = 0; i < w->nhold; i++)
		free(w->hold_v[i]);
	free(w->hold_v);
	u64map_free(&w->holds);
	u64map_free(&w->spends);
	free(w->spend_v);
	free(w->q);
	pay_engine_free(&w->alice);
	bob_engine_free(&w->bob);
	frame_arena_reset(&w->arena);
	free(w);
}

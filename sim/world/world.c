/* The world (world.h): both engines, their links, timers and the chain in
 * one process. Each node's part mirrors what its daemon's shell does with
 * the engine's actions (sender/alice.c, receiver/bob_act.c) and what its
 * connection does with a frame on a channel (sim/runtime/peer_out.c), so
 * that the event logs are the daemons' own. This file: the event queue,
 * the run's steps, set-up and the end. */
#include "world_int.h"








/* ---- the event queue ------------------------------------------------------- */

static void fire(struct world *w, struct side *sd, struct wtimer *t)
{
	if (sd == &w->a) {
		switch (t->kind) {
		case WT_BLOCK: w_alice_block(w); break;
		case WT_DELIVER: w_pending_run(w, sd); break;
		case WT_SCHED: w_sched_fire(w); break;
		case WT_RECONNECT: w_alice_try(w); break;
		case WT_HOLD: fatal("a hold timer on alice's side");
		}
		return;
	}
	switch (t->kind) {
	case WT_BLOCK:
		BOB(w, bob_engine_block(&w->bob, w->now, &out_));
		break;
	case WT_DELIVER:
		w_pending_run(w, sd);
		break;
	case WT_HOLD: {
		uint64_t id = t->id;
		w_hold_forget(w, id);   /* spent: forgotten before the engine may cancel it */
		BOB(w, bob_engine_hold_timeout(&w->bob, id, w->now, &out_));
		break;
	}
	case WT_SCHED:
	case WT_RECONNECT:
		fatal("an alice timer on bob's side");
	}
}

static bool fire_due(struct world *w, struct side *sd)
{
	bool any = false;
	while (sd->heap.n && sd->heap.v[0]->at <= w->now) {
		struct wtimer *t = sd->heap.v[0];
		wt_cancel(&sd->heap, t);
		fire(w, sd, t);
		w_checkpoint(w);
		any = true;
	}
	return any;
}

static void handle(struct world *w, struct side *sd)
{
	struct outq_item *f = sd->in_head;
	sd->in_head = f->next;
	if (!sd->in_head)
		sd->in_tail = NULL;
	size_t used = 0;
	Ampsim__Envelope *env = NULL;
	char why[200] = "";
	if (frame_decode(&w->arena, f->bytes, f->len, &used, &env, why, sizeof(why)) != FRAME_OK)
		fatal("the world: a frame of our own does not decode: %s", why);
	if (w->sink.frame)
		w->sink.frame(w->sink.ctx, sd->node, false, envelope_channel(env), f->bytes, used);
	if (sd == &w->a)
		w_alice_message(w, env);
	else
		BOB(w, bob_engine_message(&w->bob, w->conn, env, w->now, &out_));
	w_checkpoint(w);
	free(f);
}

void w_checkpoint(struct world *w)
{
	w_store_flush(w);   /* the end of a turn */
	w->events++;
	if (!w->check || w->broken[0])
		return;
	w->check(w, w->check_ctx, w->broken, sizeof(w->broken));
}

void world_set_check(struct world *w, world_check_fn fn, void *ctx)
{
	w->check = fn;
	w->check_ctx = ctx;
}

const char *world_broken(const struct world *w)
{
	return w->broken[0] ? w->broken : NULL;
}

uint64_t world_events(const struct world *w)
{
	return w->events;
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
	w_alice_start_payment(w, p);
}

bool world_schedule(struct world *w, const struct payment_config *p, char *why, size_t n)
{
	if (w->down[WORLD_ALICE] || !w->ready) {
		snprintf(why, n, "payment %s: alice is %s", p->id,
			 w->down[WORLD_ALICE] ? "down" : "not connected to bob yet");
		return false;
	}
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
		w_sched_arm(w);
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
	w_emit(w, n, &r);
}

void world_fault(struct world *w, enum world_node node, const struct fault_config *f, bool lift)
{
	const char *channel = fault_action_scope(f->action) == FAULT_SCOPE_ALL_CHANNELS ? NULL
											: f->channel;
	if (w->down[node])
		return;     /* down: it gets the fault when it restarts */
	if (node == WORLD_BOB) {
		w_bob_sync_links(w);
		for (size_t i = 0; i < w->bob.nchans; i++) {
			if (channel && strcmp(w->bob.chans[i].ledger.id, channel) != 0)
				continue;
			if (chan_fault(&w->b.links[i], DIR_TO_ALICE, f, lift) &&
			    w->bob.chans[i].conn != BOB_NO_CONN)
				w_release_held(w, &w->b, i);
		}
		fault_log(w, WORLD_BOB, f, channel, lift);
		return;
	}
	for (size_t i = 0; i < w->alice.nchans; i++) {
		if (channel && strcmp(w->alice.chans[i].ledger.id, channel) != 0)
			continue;
		struct chan *c = &w->a.links[i];
		if (chan_fault(c, DIR_TO_BOB, f, lift) && w->connected)
			w_release_held(w, &w->a, i);
		pay_engine_set_down(&w->alice, i, c->out.down || c->in_down);
	}
	fault_log(w, WORLD_ALICE, f, channel, lift);
	ALICE(w, pay_engine_retry_deferred(&w->alice, w->now, &acts_));
}

/* ---- set-up and the end --------------------------------------------------- */

bool world_supports(const struct scenario *s, char *why, size_t whylen)
{
	if (s->nchannels > PAY_MAX_CHANNELS) {
		snprintf(why, whylen, "%s: %zu channels: the world holds at most %d", s->path,
			 s->nchannels, PAY_MAX_CHANNELS);
		return false;
	}
	return true;
}

static bool crashes(const struct scenario *s)
{
	for (size_t i = 0; i < s->nfaults; i++)
		if (fault_action_scope(s->faults[i].action) == FAULT_SCOPE_PROCESS)
			return true;
	return false;
}

struct world *world_new(const struct scenario *s, const struct world_sink *sink, char *err,
			size_t errlen)
{
	if (!world_supports(s, err, errlen))
		return NULL;
	struct world *w = malloc(sizeof(*w));
	if (!w)
		fatal("out of memory");
	memset(w, 0, offsetof(struct world, arena));
	w->arena.exhausted = false;
	w->s = s;
	w->a.links = xcalloc(s->nchannels ? s->nchannels : 1, sizeof(*w->a.links));
	w->b.links = xcalloc(s->nchannels ? s->nchannels : 1, sizeof(*w->b.links));
	if (sink)
		w->sink = *sink;
	w->a.node = WORLD_ALICE;
	w->b.node = WORLD_BOB;
	struct wtimer *ts[] = { &w->a.block, &w->a.deliver, &w->b.block, &w->b.deliver, &w->sched,
				&w->reconnect };
	enum wt_kind ks[] = { WT_BLOCK, WT_DELIVER, WT_BLOCK, WT_DELIVER, WT_SCHED, WT_RECONNECT };
	for (size_t i = 0; i < 6; i++) {
		ts[i]->kind = ks[i];
		ts[i]->idx = SIZE_MAX;
	}
	w->clk.block_interval_us = s->block_interval_us;
	w->clk.time_scale = s->time_scale;
	frame_arena_init(&w->arena);
	w->bob_compact_at = BOB_KEEP_INVOICES;

	/* a store costs every turn its records: kept when a crash needs it */
	if (crashes(s))
		w->store = w_store_new();
	/* both as ampsim run starts them: secrets of generation 0 */
	if (!w_alice_first(w, err, errlen)) {
		world_free(w);
		return NULL;
	}
	w_bob_engine(w);
	return w;
}

void world_set_epoch(struct world *w, uint64_t epoch_unix_us)
{
	w->clk.epoch_unix_us = epoch_unix_us;
	w->alice.clk.epoch_unix_us = epoch_unix_us;
}

void world_start(struct world *w)
{
	BOB(w, bob_engine_resume(&w->bob, w->now, &out_));
	ALICE(w, pay_engine_start(&w->alice, w->now, &acts_));
	w_alice_try(w);
	world_settle(w);
}

bool world_disconnect(struct world *w)
{
	if (!w->connected)
		return false;   /* alice's control socket: "not connected" */
	struct evrec r;
	evrec_init(&r, "fault_applied");
	evrec_str(&r, "action", "disconnect");
	w_emit(w, WORLD_ALICE, &r);
	/* alice closes: what her links held is gone with the connection */
	w->connected = false;
	w_forget_all(&w->a);
	evrec_init(&r, "peer_disconnected");
	evrec_str(&r, "peer", "bob");
	evrec_str(&r, "reason", "disconnect fault");
	w_emit(w, WORLD_ALICE, &r);
	pay_engine_disconnected(&w->alice);
	struct reconnect_next n = reconnect_after(&w->rc, RECONNECT_LOST);
	wt_at(&w->a.heap, &w->reconnect, w->now + (uint64_t)n.delay_ms * 1000);
	/* bob sees the connection close: his links' messages for it go too */
	w_forget_all(&w->b);
	BOB(w, bob_engine_disconnected(&w->bob, w->conn, "connection closed by peer", &out_));
	return true;
}

void world_set_forget(struct world *w, size_t keep, void (*fn)(void *ctx, const struct payment *p),
		      void *ctx)
{
	w->keep = keep;
	w->forget = fn;
	w->forget_ctx = ctx;
	w->compact_at = keep + (keep / 4 > 1024 ? keep / 4 : 1024);
}

void world_compact(struct world *w)
{
	/* as alice's shell: when a quarter more than kept (or 1024) have
	 * gathered, so that a pass is spread over as many payments */
	if (!w->keep || w->alice.npays < w->compact_at)
		return;
	size_t nfinished = 0;
	for (size_t i = 0; i < w->alice.npays; i++)
		nfinished += pay_engine_finished(&w->alice.pays[i]);
	size_t drop = nfinished > w->keep ? nfinished - w->keep : 0, handed = 0;
	/* the ones pay_engine_compact forgets: the oldest finished */
	for (size_t i = 0; i < w->alice.npays && handed < drop; i++) {
		if (!pay_engine_finished(&w->alice.pays[i]))
			continue;
		if (w->forget)
			w->forget(w->forget_ctx, &w->alice.pays[i]);
		handed++;
	}
	struct actions out;
	actions_init(&out);
	pay_engine_compact(&w->alice, w->keep, &out);   /* its records only */
	w_store_alice(w, &out);
	actions_free(&out);
	size_t slack = w->keep / 4 > 1024 ? w->keep / 4 : 1024;
	w->compact_at = w->alice.npays + slack;
}

void world_stop(struct world *w)
{
	if (!w->connected)
		return;
	w->connected = false;
	w_forget_all(&w->b);
	BOB(w, bob_engine_disconnected(&w->bob, w->conn, "connection closed by peer", &out_));
	pay_engine_disconnected(&w->alice);
	wt_cancel(&w->a.heap, &w->reconnect);
}

bool world_quiet(const struct world *w, bool *all_final)
{
	bool final = true;
	for (size_t i = 0; i < w->alice.npays; i++)
		if (w->alice.pays[i].outcome == OUTCOME_PENDING)
			final = false;
	*all_final = final && !w->down[WORLD_ALICE];
	if (!*all_final || w->down[WORLD_BOB] || outq_first(&w->a.out) || outq_first(&w->b.out) ||
	    w->a.hand || w->b.hand)
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
	return (node == WORLD_ALICE ? &w->a : &w->b)->out.nsched;
}

/* What a timer's firing will do, as the daemon's timer labels say it. */
static void timer_label(struct world *w, struct side *sd, const struct wtimer *t, char *buf,
			size_t n)
{
	buf[0] = '\0';
	switch (t->kind) {
	case WT_BLOCK:
		snprintf(buf, n, sd == &w->a ? "block %u: alice checks expiries"
					     : "block %u: bob checks expiries and claims",
			 simclock_height_of(&w->clk, t->at));
		break;
	case WT_DELIVER: {
		const struct outq_item *q = outq_first(&sd->out);
		if (!q)
			break;
		unsigned more = outq_ties(&sd->out);
		char also[48] = "";
		if (more)
			snprintf(also, sizeof(also), " (and %u more message%s)", more, more == 1 ? "" : "s");
		snprintf(buf, n, "%s on %s reaches %s%s", q->msg_name ? q->msg_name : "a message",
			 w_chan_name(w, sd, q->chan), sd == &w->a ? "bob" : "alice", also);
		break;
	}
	case WT_HOLD:
		snprintf(buf, n, "bob's hold time for an incomplete set ends (mpp_timeout)");
		break;
	case WT_RECONNECT:
		snprintf(buf, n, "alice tries to reconnect to bob");
		break;
	case WT_SCHED:
		if (w->qhead < w->qn)
			snprintf(buf, n, "payment %s starts (%s)", w->q[w->qhead]->id,
				 pay_mode_name(w->q[w->qhead]->mode));
		break;
	}
}

static int seq_order(const void *x, const void *y)
{
	const struct wtimer *a = *(const struct wtimer *const *)x, *b = *(const struct wtimer *const *)y;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void world_labels(const struct world *cw, uint64_t t, char *buf, size_t n)
{
	struct world *w = (struct world *)cw;
	size_t used = 0;
	buf[0] = '\0';
	/* in the order the daemons join the clock: bob, then alice, and a
	 * daemon that restarts joins again after the other */
	struct side *sides[2] = { w_side(w, w->joined_last == WORLD_BOB ? WORLD_ALICE : WORLD_BOB),
				  w_side(w, w->joined_last) };
	for (int k = 0; k < 2; k++) {
		struct side *sd = sides[k];
		struct wtimer **due = xcalloc(sd->heap.n ? sd->heap.n : 1, sizeof(*due));
		size_t nd = 0;
		for (size_t i = 0; i < sd->heap.n; i++)
			if (sd->heap.v[i]->at == t)
				due[nd++] = sd->heap.v[i];
		qsort(due, nd, sizeof(*due), seq_order);
		for (size_t i = 0; i < nd && used < n; i++) {
			char label[160];
			timer_label(w, sd, due[i], label, sizeof(label));
			int wr = snprintf(buf + used, n - used, "\n  %s: %s", world_node_name(sd->node),
					  label[0] ? label : "a timer");
			if (wr > 0)
				used += (size_t)wr;
		}
		free(due);
	}
	if (used >= n)
		buf[n - 1] = '\0';
}

struct otw {
	struct world *w;
	struct side *sd;
	world_msg_fn fn;
	void *ctx;
};

static void otw_entry(void *ctx, const struct outq_item *q)
{
	struct otw *o = ctx;
	o->fn(o->ctx, q->msg_name ? q->msg_name : "message", w_chan_name(o->w, o->sd, q->chan),
	      q->bytes, q->len, q->held, q->due);
}

void world_on_the_way(const struct world *w, enum world_node node, world_msg_fn fn, void *ctx)
{
	struct world *mw = (struct world *)w;
	struct otw o = { mw, w_side(mw, node), fn, ctx };
	outq_each(&o.sd->out, otw_entry, &o);
}

static void side_free(struct side *sd)
{
	outq_clear(&sd->out);
	w_hand_forget(sd);
	while (sd->in_head) {
		struct outq_item *f = sd->in_head;
		sd->in_head = f->next;
		free(f);
	}
	free(sd->heap.v);
	free(sd->links);
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
	for (int i = 0; i < W_ACT_DEPTH; i++)
		actions_free(&w->acts[i]);
	pay_engine_free(&w->alice);
	bob_engine_free(&w->bob);
	w_store_free(w->store);
	free(w->downs);
	frame_arena_reset(&w->arena);
	free(w);
}


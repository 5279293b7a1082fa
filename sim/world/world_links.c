/* The wire between the two nodes and each channel's link: what
 * sim/runtime/peer_out.c does with a frame, without a socket. */
#include "world_int.h"

/* ---- the wire and the links (peer_out.c) ------------------------------------ */

/* f onto the wire to the other node (f becomes the receiver's). */
void w_wire_put(struct world *w, struct side *from, struct wire *f)
{
	struct side *to = from == &w->a ? &w->b : &w->a;
	if (w->sink.frame)
		w->sink.frame(w->sink.ctx, from->node, true, NULL, f->bytes, f->len);
	f->next = f->prev = NULL;
	if (to->in_tail)
		to->in_tail->next = f;
	else
		to->in_head = f;
	to->in_tail = f;
}

void w_wire_write(struct world *w, struct side *from, const uint8_t *bytes, size_t len)
{
	struct wire *f = xcalloc(1, sizeof(*f) + len);
	f->len = len;
	memcpy(f->bytes, bytes, len);
	w_wire_put(w, from, f);
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

void w_pending_unlink(struct side *sd, struct pending *q)
{
	pending_detach(sd, q);
	sd->npending--;
	free(q);
}

static void rearm(struct side *sd)
{
	if (sd->sched)
		wt_at(&sd->heap, &sd->deliver, sd->sched->due);
	else
		wt_cancel(&sd->heap, &sd->deliver);
}

static void log_chan_msg(struct world *w, struct side *sd, const char *event, size_t chan,
			 const char *msg)
{
	struct evrec r;
	evrec_init(&r, event);
	evrec_str(&r, "channel", w_chan_name(w, sd, chan));
	evrec_str(&r, "message", msg ? msg : "message");
	w_emit(w, sd->node, &r);
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

void w_pending_run(struct world *w, struct side *sd)
{
	while (sd->sched && sd->sched->due <= w->now) {
		struct pending *q = sd->sched;
		if (sd->links[q->chan].out.down) {
			/* the link went down while this was on its way */
			pending_detach(sd, q);
			hold(w, sd, q);
			continue;
		}
		/* its delivery came: the frame itself goes on the wire */
		pending_detach(sd, q);
		sd->npending--;
		w_wire_put(w, sd, q);
	}
	rearm(sd);
}

void w_send_on(struct world *w, struct side *sd, size_t chan, enum msg_kind kind,
		    const char *msg_name, const uint8_t *bytes, size_t len)
{
	struct link *l = &sd->links[chan].out;
	if (w->hand && !l->down) {
		w_hand_send(w, sd, chan, kind, msg_name, bytes, len);
		return;
	}
	struct link_verdict v = link_decide(l, kind);
	switch (v.fate) {
	case LINK_DROP: {
		struct evrec r;
		evrec_init(&r, "message_dropped");
		evrec_str(&r, "channel", w_chan_name(w, sd, chan));
		evrec_str(&r, "message", msg_name);
		evrec_u64(&r, "kind_seq", l->sent[kind < MSG_KIND_COUNT ? kind : MSG_OTHER]);
		evrec_str(&r, "why", v.why);
		w_emit(w, sd->node, &r);
		return;
	}
	case LINK_HOLD:
		hold(w, sd, pending_new(sd, chan, msg_name, bytes, len));
		return;
	case LINK_DELIVER:
		for (unsigned i = 0; i < v.copies && i < 2; i++) {
			if (v.delay_us[i] == 0)
				w_wire_write(w, sd, bytes, len);
			else
				schedule(sd, pending_new(sd, chan, msg_name, bytes, len),
					 w->now + v.delay_us[i]);
		}
		if (v.copies > 1)
			log_chan_msg(w, sd, "message_duplicated", chan, msg_name);
		return;
	}
}

void w_release_held(struct world *w, struct side *sd, size_t chan)
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
		evrec_str(&r, "channel", w_chan_name(w, sd, chan));
		evrec_u64(&r, "count", released);
		w_emit(w, sd->node, &r);
	}
}

void w_forget_all(struct side *sd)
{
	while (sd->sched)
		w_pending_unlink(sd, sd->sched);
	while (sd->held)
		w_pending_unlink(sd, sd->held);
	w_hand_forget(sd);
	rearm(sd);
}

void w_send_action(struct world *w, struct side *sd, const struct act_send *x)
{
	if (!w->connected || (sd == &w->b && x->conn != w->conn))
		return;   /* the engine replays what matters on reconnection */
	if (x->chan == ACTION_NO_CHAN)
		w_wire_write(w, sd, x->frame, x->frame_len);
	else
		w_send_on(w, sd, x->chan, x->msg_kind, x->msg_name, x->frame, x->frame_len);
}

/* ---- hand mode (world_hand.h): a frame waits for an explorer ---------------- */

void w_hand_append(struct side *sd, struct pending *q)
{
	q->held = false;
	q->next = NULL;
	q->prev = sd->hand_tail;
	if (sd->hand_tail)
		sd->hand_tail->next = q;
	else
		sd->hand = q;
	sd->hand_tail = q;
	sd->npending++;
}

void w_hand_send(struct world *w, struct side *sd, size_t chan, enum msg_kind kind,
		 const char *msg_name, const uint8_t *bytes, size_t len)
{
	struct link *l = &sd->links[chan].out;
	struct pending *q = xcalloc(1, sizeof(*q) + len);
	q->chan = chan;
	q->msg_name = msg_name;
	q->nth = link_count(l, &kind);
	q->kind = (uint8_t)kind;
	q->sent = w->now;
	uint64_t lo, hi;
	link_delay_range(&l->p, &lo, &hi);
	q->lo = lo > UINT64_MAX - w->now ? UINT64_MAX : w->now + lo;
	q->hi = hi > UINT64_MAX - w->now ? UINT64_MAX : w->now + hi;
	/* a restarted node's messages of its restart instant: ampsim run
	 * gives a node its faults once that instant's work is done, so no
	 * rule of a scenario reaches them: they take their delay */
	if (w->gen[sd->node] && w->now == w->restart_at[sd->node]) {
		q->hi = q->lo;
		q->pinned = true;
	}
	q->len = len;
	memcpy(q->bytes, bytes, len);
	w_hand_append(sd, q);
}

void w_hand_detach(struct side *sd, struct pending *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		sd->hand = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		sd->hand_tail = q->prev;
	q->prev = q->next = NULL;
	sd->npending--;
}

void w_hand_forget(struct side *sd)
{
	while (sd->hand) {
		struct pending *q = sd->hand;
		w_hand_detach(sd, q);
		free(q);
	}
}

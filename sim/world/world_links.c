/* The wire between the two nodes and each channel's link: what
 * sim/runtime/peer_out.c does with a frame, without a socket. The frames
 * on their way are in the queue peer_out.c keeps them in (sim/core/outq.c);
 * here are only the world's parts: the delivery timer on its event queue,
 * the events, and hand mode's items. */
#include "world_int.h"

/* ---- the wire and the links (peer_out.c) ------------------------------------ */

/* f onto the wire to the other node (f becomes the receiver's). */
void w_wire_put(struct world *w, struct side *from, struct outq_item *f)
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
	struct outq_frame f = { .bytes = bytes, .len = len };
	w_wire_put(w, from, outq_item_new(&f));
}

/* The delivery timer, for the first frame on its way. */
static void rearm(struct side *sd)
{
	const struct outq_item *first = outq_first(&sd->out);
	if (first)
		wt_at(&sd->heap, &sd->deliver, first->due);
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

void w_pending_run(struct world *w, struct side *sd)
{
	bool held;
	struct outq_item *it;
	while ((it = outq_next_due(&sd->out, w->now, &held))) {
		if (held) {   /* the link went down while this was on its way */
			log_chan_msg(w, sd, "message_held", it->chan, it->msg_name);
			continue;
		}
		/* its delivery came: the frame itself goes on the wire */
		w_wire_put(w, sd, it);
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
	struct outq_frame f = { .msg_name = msg_name, .chan = chan, .bytes = bytes, .len = len };
	struct outq_sent s = outq_send(&sd->out, l, kind, w->now, &f);
	if (s.rearm)
		rearm(sd);
	switch (s.v.fate) {
	case LINK_DROP: {
		struct evrec r;
		evrec_init(&r, "message_dropped");
		evrec_str(&r, "channel", w_chan_name(w, sd, chan));
		evrec_str(&r, "message", msg_name);
		evrec_u64(&r, "kind_seq", l->sent[kind < MSG_KIND_COUNT ? kind : MSG_OTHER]);
		evrec_str(&r, "why", s.v.why);
		w_emit(w, sd->node, &r);
		return;
	}
	case LINK_HOLD:
		log_chan_msg(w, sd, "message_held", chan, msg_name);
		return;
	case LINK_DELIVER:
		for (unsigned i = 0; i < s.at_once; i++)
			w_wire_write(w, sd, bytes, len);
		if (s.v.copies > 1)
			log_chan_msg(w, sd, "message_duplicated", chan, msg_name);
		return;
	}
}

void w_release_held(struct world *w, struct side *sd, size_t chan)
{
	bool first_moved;
	unsigned released = outq_release(&sd->out, &sd->links[chan].out, w->now, &first_moved);
	if (first_moved)
		rearm(sd);
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
	outq_clear(&sd->out);
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

void w_hand_append(struct side *sd, struct hand_item *q)
{
	q->next = NULL;
	q->prev = sd->hand_tail;
	if (sd->hand_tail)
		sd->hand_tail->next = q;
	else
		sd->hand = q;
	sd->hand_tail = q;
}

void w_hand_send(struct world *w, struct side *sd, size_t chan, enum msg_kind kind,
		 const char *msg_name, const uint8_t *bytes, size_t len)
{
	struct link *l = &sd->links[chan].out;
	struct hand_item *q = xcalloc(1, sizeof(*q) + len);
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

void w_hand_detach(struct side *sd, struct hand_item *q)
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
}

void w_hand_forget(struct side *sd)
{
	while (sd->hand) {
		struct hand_item *q = sd->hand;
		w_hand_detach(sd, q);
		free(q);
	}
}

/* Hand mode (world_hand.h): frames on channels wait for the explorer. */
#include "world_int.h"
#include "world_hand.h"

void world_set_hand(struct world *w)
{
	w->hand = true;
}

static struct hand_item *hand_copy(const struct hand_item *src)
{
	struct hand_item *q = xcalloc(1, sizeof(*q) + src->len);
	memcpy(q, src, sizeof(*q) + src->len);
	return q;
}

size_t world_items(const struct world *w)
{
	size_t n = 0;
	for (const struct hand_item *q = w->a.hand; q; q = q->next)
		n++;
	for (const struct hand_item *q = w->b.hand; q; q = q->next)
		n++;
	return n;
}

static struct hand_item *nth_item(struct world *w, size_t i, struct side **sd)
{
	struct side *sides[2] = { &w->a, &w->b };
	for (int k = 0; k < 2; k++)
		for (struct hand_item *q = sides[k]->hand; q; q = q->next)
			if (i-- == 0) {
				*sd = sides[k];
				return q;
			}
	fatal("the world: no item %zu", i);
}

void world_item(const struct world *cw, size_t i, struct world_item *out)
{
	struct world *w = (struct world *)cw;
	struct side *sd;
	const struct hand_item *q = nth_item(w, i, &sd);
	*out = (struct world_item){ .from = sd->node, .chan = q->chan, .kind = (enum msg_kind)q->kind,
				    .nth = q->nth, .msg_name = q->msg_name ? q->msg_name : "message",
				    .sent = q->sent, .lo = q->lo, .hi = q->hi, .pinned = q->pinned,
				    .bytes = q->bytes,
				    .len = q->len };
}

void world_item_deliver(struct world *w, size_t i)
{
	struct side *sd;
	struct hand_item *q = nth_item(w, i, &sd);
	w_hand_detach(sd, q);
	if (q->lo > w->now)
		world_advance(w, q->lo);
	w_wire_write(w, sd, q->bytes, q->len);
	free(q);
	world_settle(w);
}

void world_item_drop(struct world *w, size_t i)
{
	struct side *sd;
	struct hand_item *q = nth_item(w, i, &sd);
	w_hand_detach(sd, q);
	struct evrec r;
	evrec_init(&r, "message_dropped");
	evrec_str(&r, "channel", w_chan_name(w, sd, q->chan));
	evrec_str(&r, "message", q->msg_name ? q->msg_name : "message");
	evrec_u64(&r, "kind_seq", q->nth);
	evrec_str(&r, "why", "check");
	w_emit(w, sd->node, &r);
	free(q);
}

void world_item_duplicate(struct world *w, size_t i)
{
	struct side *sd;
	struct hand_item *q = nth_item(w, i, &sd);
	struct evrec r;
	evrec_init(&r, "message_duplicated");
	evrec_str(&r, "channel", w_chan_name(w, sd, q->chan));
	evrec_str(&r, "message", q->msg_name ? q->msg_name : "message");
	w_emit(w, sd->node, &r);
	w_hand_append(sd, hand_copy(q));
}

bool world_connected(const struct world *w)
{
	return w->connected;
}

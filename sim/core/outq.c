/* The frames on their way over a node's links (outq.h): two lists, the
 * frames waiting for their delivery instant (sorted, stable) and the held
 * ones (in the order held). */
#include "outq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct outq_item *outq_item_new(const struct outq_frame *f)
{
	struct outq_item *it = xcalloc(1, sizeof(*it) + f->len);
	it->msg_name = f->msg_name;
	snprintf(it->channel, sizeof(it->channel), "%s", f->channel ? f->channel : "");
	it->chan = f->chan;
	it->len = f->len;
	if (f->len)
		memcpy(it->bytes, f->bytes, f->len);
	return it;
}

void outq_item_free(struct outq_item *it)
{
	free(it);
}

static struct outq_item **head_of(struct outq *q, const struct outq_item *it)
{
	return it->held ? &q->held : &q->sched;
}

static struct outq_item **tail_of(struct outq *q, const struct outq_item *it)
{
	return it->held ? &q->held_tail : &q->sched_tail;
}

static void detach(struct outq *q, struct outq_item *it)
{
	if (it->prev)
		it->prev->next = it->next;
	else
		*head_of(q, it) = it->next;
	if (it->next)
		it->next->prev = it->prev;
	else
		*tail_of(q, it) = it->prev;
	it->prev = it->next = NULL;
	if (it->held)
		q->nheld--;
	else
		q->nsched--;
}

/* Due at `due`, after every frame due then or earlier: frames of one link
 * with the same delay keep the order they were sent in. Returns whether it
 * is the first now. */
static bool schedule(struct outq *q, struct outq_item *it, uint64_t due)
{
	it->held = false;
	it->due = due;
	struct outq_item *prev = q->sched_tail;
	while (prev && prev->due > due)
		prev = prev->prev;
	it->prev = prev;
	it->next = prev ? prev->next : q->sched;
	if (prev)
		prev->next = it;
	else
		q->sched = it;
	if (it->next)
		it->next->prev = it;
	else
		q->sched_tail = it;
	q->nsched++;
	return q->sched == it;
}

static void hold(struct outq *q, struct outq_item *it)
{
	it->held = true;
	it->next = NULL;
	it->prev = q->held_tail;
	if (q->held_tail)
		q->held_tail->next = it;
	else
		q->held = it;
	q->held_tail = it;
	q->nheld++;
}

/* now + a link's simulated delay, in the queue's time */
static uint64_t due_after(const struct outq *q, uint64_t now, uint64_t delay_us)
{
	if (!q->wall)
		return now + delay_us;
	struct timeval tv = simclock_wall_span(q->wall, delay_us);
	return now + (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

static struct outq_item *item_on(struct link *l, const struct outq_frame *f)
{
	struct outq_item *it = outq_item_new(f);
	it->link = l;
	return it;
}

struct outq_sent outq_send(struct outq *q, struct link *l, enum msg_kind kind, uint64_t now,
			   const struct outq_frame *f)
{
	struct outq_sent s = { .v = link_decide(l, kind) };
	switch (s.v.fate) {
	case LINK_DROP:
		break;
	case LINK_HOLD:
		hold(q, item_on(l, f));
		break;
	case LINK_DELIVER:
		for (unsigned i = 0; i < s.v.copies && i < 2; i++) {
			if (s.v.delay_us[i] == 0)
				s.at_once++;
			else if (schedule(q, item_on(l, f), due_after(q, now, s.v.delay_us[i])))
				s.rearm = true;
		}
		break;
	}
	return s;
}

struct outq_item *outq_next_due(struct outq *q, uint64_t now, bool *held)
{
	struct outq_item *it = q->sched;
	if (!it || it->due > now)
		return NULL;
	detach(q, it);
	*held = it->link && it->link->down;
	if (*held)
		hold(q, it);   /* it waits with the others until its link is up */
	return it;
}

unsigned outq_release(struct outq *q, struct link *l, uint64_t now, bool *rearm)
{
	unsigned released = 0;
	*rearm = false;
	struct outq_item *it = q->held;
	while (it) {
		struct outq_item *next = it->next;
		if (it->link == l) {
			detach(q, it);
			if (schedule(q, it, due_after(q, now, link_draw_delay(l))))
				*rearm = true;
			released++;
		}
		it = next;
	}
	return released;
}

const struct outq_item *outq_first(const struct outq *q)
{
	return q->sched;
}

unsigned outq_ties(const struct outq *q)
{
	unsigned more = 0;
	if (!q->sched)
		return 0;
	for (const struct outq_item *it = q->sched->next; it && it->due == q->sched->due; it = it->next)
		more++;
	return more;
}

void outq_each(const struct outq *q, void (*fn)(void *ctx, const struct outq_item *it), void *ctx)
{
	for (const struct outq_item *it = q->sched; it; it = it->next)
		fn(ctx, it);
	for (const struct outq_item *it = q->held; it; it = it->next)
		fn(ctx, it);
}

void outq_forget_link(struct outq *q, const struct link *l)
{
	struct outq_item *lists[2] = { q->sched, q->held };
	for (int i = 0; i < 2; i++) {
		struct outq_item *it = lists[i];
		while (it) {
			struct outq_item *next = it->next;
			if (it->link == l) {
				detach(q, it);
				free(it);
			}
			it = next;
		}
	}
}

void outq_clear(struct outq *q)
{
	while (q->sched || q->held) {
		struct outq_item *it = q->sched ? q->sched : q->held;
		detach(q, it);
		free(it);
	}
}

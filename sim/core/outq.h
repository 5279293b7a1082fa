/* The frames on their way from one node over its channels' links: each
 * frame sent on a link meets the link's decision (link.c), and waits in
 * this queue for its delivery instant, ordered by (delivery instant, order
 * scheduled); a frame whose direction is down (when it is sent, or when
 * its instant comes) is held, in the order held, until the direction
 * comes up and releases it after a fresh delay. Pure: the daemons'
 * connections (sim/runtime/peer_out.c) and the in-process world
 * (sim/world/world_links.c) keep their frames here, and only arm their
 * own timer for the first instant, write, and log. */
#ifndef AMPSIM_OUTQ_H
#define AMPSIM_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "link.h"
#include "proto_limits.h"

/* One frame on its way. The frame's bytes follow the struct (one
 * allocation: free() or outq_item_free frees it). Taken off the queue
 * (outq_next_due), it is the caller's, and prev/next are free for the
 * caller's own list. */
struct outq_item {
	struct outq_item *prev, *next;
	uint64_t due;                 /* its delivery instant, in the queue's time */
	bool held;                    /* held while its direction is down */
	struct link *link;            /* the direction it travels on */
	size_t chan;                  /* the caller's number for its channel */
	char channel[ID_MAX];         /* its channel's name, for the logs ("" if not given) */
	const char *msg_name;         /* static: "update_add_htlc"; NULL if not given */
	size_t len;
	uint8_t bytes[];
};

/* A frame as it is sent (bytes are copied). */
struct outq_frame {
	const char *msg_name;         /* static, or NULL */
	const char *channel;          /* or NULL */
	size_t chan;
	const uint8_t *bytes;
	size_t len;
};

struct outq {
	struct outq_item *sched, *sched_tail;   /* by (due, order scheduled) */
	struct outq_item *held, *held_tail;     /* in the order held */
	size_t nsched, nheld;
	/* NULL: the queue's time is simulated time. Otherwise it is wall time
	 * (a daemon under the wall clock), and a link's simulated delay
	 * becomes the wall span of this clock's time scale
	 * (simclock_wall_span). */
	const struct simclock *wall;
};

/* What became of a frame sent on a link. */
struct outq_sent {
	struct link_verdict v;        /* link_decide's verdict: the caller logs it */
	unsigned at_once;             /* copies to write now (no delay): 0, 1 or 2 */
	bool rearm;                   /* the first delivery instant changed */
};

/* A frame with its bytes, not in any queue (a frame on the wire). */
struct outq_item *outq_item_new(const struct outq_frame *f);
void outq_item_free(struct outq_item *it);

/* Send f on link l at now (the queue's time): the link decides (and
 * counts the message). Dropped: nothing kept. Held (l is down): kept in
 * the held list. Delivered: each copy with a delay waits for now + its
 * delay; the copies without one the caller writes now (at_once). */
struct outq_sent outq_send(struct outq *q, struct link *l, enum msg_kind kind, uint64_t now,
			   const struct outq_frame *f);

/* The first frame due at now, in order: taken off the queue and returned
 * (*held false), the caller's to write and free; or, when its direction
 * went down while it was on its way, moved to the held list and returned
 * (*held true, still the queue's) for the caller to log. NULL when nothing
 * is due. The caller re-arms its timer once nothing more is. */
struct outq_item *outq_next_due(struct outq *q, uint64_t now, bool *held);

/* l is up again: its held frames, in the order held, each wait for now +
 * a fresh delay (link_draw_delay). Returns how many; *rearm tells whether
 * the first delivery instant changed. */
unsigned outq_release(struct outq *q, struct link *l, uint64_t now, bool *rearm);

/* The first frame waiting for its instant (NULL: none), and how many more
 * are due at that same instant. */
const struct outq_item *outq_first(const struct outq *q);
unsigned outq_ties(const struct outq *q);

/* Every frame on its way: those waiting for their instant in order, then
 * the held ones in the order held. */
void outq_each(const struct outq *q, void (*fn)(void *ctx, const struct outq_item *it),
	       void *ctx);

/* Forget the frames of link l (it is being freed), or all of them. */
void outq_forget_link(struct outq *q, const struct link *l);
void outq_clear(struct outq *q);

#endif

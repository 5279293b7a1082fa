/* The world handing each frame's fate to an explorer (ampsim check).
 *
 * In hand mode a frame a node sends on a channel is neither delayed nor
 * lost by its link's seeded streams: it becomes an item with the window
 * its link allows ([sent + least delay, sent + most delay], link.h's
 * link_delay_range), counted as the link counts it (the nth message of its
 * kind on that channel direction), and waits until the caller delivers,
 * drops or duplicates it. What the world does with a frame once delivered,
 * and everything else (timers, the chain, disconnects), is unchanged.
 * Pure, like the world. */
#ifndef AMPSIM_WORLD_HAND_H
#define AMPSIM_WORLD_HAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "world.h"

struct world_item {
	enum world_node from;
	size_t chan;
	enum msg_kind kind;
	uint32_t nth;             /* of its kind on (chan, from's direction), 1-based */
	const char *msg_name;
	uint64_t sent, lo, hi;    /* when sent; its earliest and latest delivery */
	bool pinned;              /* sent in its node's restart instant: lo == hi,
				   * and no fault may take it (no rule reaches it) */
	const uint8_t *bytes;
	size_t len;
};

/* From now on every frame sent on a channel is an item (before world_start). */
void world_set_hand(struct world *w);
/* Items waiting, alice's first, each side's in the order sent. */
size_t world_items(const struct world *w);
/* Item i (< world_items). */
void world_item(const struct world *w, size_t i, struct world_item *out);
/* Deliver item i: the time moves to its earliest delivery if that is
 * later than now, and the world settles the instant. */
void world_item_deliver(struct world *w, size_t i);
/* Item i is lost (logged as a message_dropped, why "check"). */
void world_item_drop(struct world *w, size_t i);
/* Item i arrives twice: a copy with the same window joins the items. */
void world_item_duplicate(struct world *w, size_t i);
/* Alice and Bob are connected (a disconnect is possible). */
bool world_connected(const struct world *w);
/* What the world has still to do but deliver items: its earliest timer
 * (WORLD_NO_TIMER when none). */
#define world_hand_next world_next

#endif

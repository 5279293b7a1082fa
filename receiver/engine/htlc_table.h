/* Bob's HTLCs of one channel, sparse: the records he still needs (held,
 * or resolved and not yet acknowledged) in a hash map by id, and the ids he
 * has finished with (resolution acknowledged, or refunded) as a short list
 * of ranges. Memory follows what is live, never the size of an id: a peer
 * that sends htlc_id 999,999 costs one record, and a million payments cost
 * what the hundred in flight cost.
 *
 * An id is "seen" if it is live or finished: a replayed add of a finished
 * id is a duplicate without a record. The ranges stay few because ids come
 * almost in order; an id that never arrived (its add was lost) leaves a
 * hole between two ranges. At most HTLC_TABLE_MAX_RANGES ranges are kept:
 * past that the oldest hole with no live HTLC in it is closed (its ids
 * count as seen), so a peer cannot grow the list by skipping ids. */
#ifndef AMPSIM_HTLC_TABLE_H
#define AMPSIM_HTLC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "u64map.h"

#define HTLC_TABLE_MAX_RANGES 1024
/* Holes with a live HTLC in them are never closed, so the list can pass
 * the limit by at most the number of live records (a few thousand): what
 * is stored and read back is bounded by this. */
#define HTLC_TABLE_MAX_STORED (4 * HTLC_TABLE_MAX_RANGES)

struct bob_htlc;

struct id_range {
	uint64_t lo, hi;        /* [lo, hi) */
};

struct htlc_table {
	struct u64map live;      /* id -> struct bob_htlc * (owned) */
	struct id_range *done;   /* sorted, disjoint, not adjacent */
	size_t ndone, capdone;
	uint64_t next;           /* one above the highest id ever seen */
};

void htlc_table_free(struct htlc_table *t);

/* The live record of id, or NULL. */
struct bob_htlc *htlc_table_get(const struct htlc_table *t, uint64_t id);
/* Whether id is finished (forgotten). */
bool htlc_table_finished(const struct htlc_table *t, uint64_t id);
/* A new zeroed record for id, which is neither live nor finished. */
struct bob_htlc *htlc_table_add(struct htlc_table *t, uint64_t id);
/* id's record is no longer needed: freed, and id remembered as finished. */
void htlc_table_forget(struct htlc_table *t, uint64_t id);

/* Live records, for iteration: slots 0 .. htlc_table_slots()-1, each a
 * record or NULL. The table must not change during the iteration. */
size_t htlc_table_slots(const struct htlc_table *t);
struct bob_htlc *htlc_table_slot(const struct htlc_table *t, size_t i);

/* The finished ranges as stored (restore): false if they are not sorted,
 * disjoint, non-empty, below next and at most HTLC_TABLE_MAX_STORED. */
bool htlc_table_set_finished(struct htlc_table *t, uint64_t next, const struct id_range *r,
			     size_t n);

#endif

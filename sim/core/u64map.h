/* A hash map from a 64-bit key to a 64-bit value: open addressing, linear
 * probing, deletion by backward shift (no tombstones, so a lookup never
 * walks past a hole). What the engines keep by HTLC id: Alice's owner of
 * each HTLC (sender/engine/owner_map.c), Bob's live HTLC records
 * (receiver/engine/htlc_table.c). Memory follows what is in it, never the
 * value of a key. */
#ifndef AMPSIM_U64MAP_H
#define AMPSIM_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map_slot {
	uint64_t key, val;
	bool used;
};

struct u64map {
	struct u64map_slot *slot;
	size_t cap, n;              /* cap: 0 or a power of two */
};

void u64map_free(struct u64map *m);
bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val);
/* Set, or replace, key's value. */
void u64map_put(struct u64map *m, uint64_t key, uint64_t val);
/* false if key was not there. */
bool u64map_del(struct u64map *m, uint64_t key);

/* Iteration: slots 0 .. m->cap - 1, each used or not. The map must not
 * change during it. */
static inline const struct u64map_slot *u64map_at(const struct u64map *m, size_t i)
{
	return i < m->cap && m->slot[i].used ? &m->slot[i] : NULL;
}

#endif

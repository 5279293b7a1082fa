/* Which payment part owns an HTLC id of a channel: a hash map from the id
 * to the payment's seq and the part's index. It holds the HTLCs of the
 * payments Alice still keeps, so it follows them, not the ids: a million
 * payments later it is as small as it was. */
#ifndef AMPSIM_OWNER_MAP_H
#define AMPSIM_OWNER_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pay_owner {
	uint64_t htlc_id;
	uint64_t seq;          /* the payment's (struct payment.seq) */
	uint32_t part;
	bool used;
};

struct owner_map {
	struct pay_owner *slot;    /* open addressing, linear probing */
	size_t cap, n;             /* cap: 0 or a power of two */
};

void owner_map_free(struct owner_map *m);
/* Set (or replace) the owner of htlc_id. */
void owner_map_put(struct owner_map *m, uint64_t htlc_id, uint64_t seq, uint32_t part);
/* The owner of htlc_id, or NULL. */
const struct pay_owner *owner_map_get(const struct owner_map *m, uint64_t htlc_id);
void owner_map_del(struct owner_map *m, uint64_t htlc_id);

#endif

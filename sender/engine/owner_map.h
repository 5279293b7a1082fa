/* Which payment part owns an HTLC id of a channel: the payment's seq and
 * the part's index, in a u64map by id. It holds the HTLCs of the payments
 * Alice still keeps, so it follows them, not the ids: a million payments
 * later it is as small as it was. */
#ifndef AMPSIM_OWNER_MAP_H
#define AMPSIM_OWNER_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "u64map.h"

struct pay_owner {
	uint64_t seq;          /* the payment's (struct payment.seq), below 2^48 */
	uint32_t part;         /* below 65536 (at most 483 parts) */
};

struct owner_map {
	struct u64map ids;     /* htlc id -> seq << 16 | part */
};

static inline void owner_map_free(struct owner_map *m)
{
	u64map_free(&m->ids);
}

static inline void owner_map_put(struct owner_map *m, uint64_t htlc_id, uint64_t seq, uint32_t part)
{
	u64map_put(&m->ids, htlc_id, seq << 16 | part);
}

/* The owner of htlc_id into *o; false if none. */
static inline bool owner_map_get(const struct owner_map *m, uint64_t htlc_id, struct pay_owner *o)
{
	uint64_t v;
	if (!u64map_get(&m->ids, htlc_id, &v))
		return false;
	o->seq = v >> 16;
	o->part = (uint32_t)(v & 0xffff);
	return true;
}

static inline void owner_map_del(struct owner_map *m, uint64_t htlc_id)
{
	u64map_del(&m->ids, htlc_id);
}

#endif

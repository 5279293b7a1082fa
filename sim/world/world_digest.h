/* A world's state fingerprint for the explorer (ampsim check): 128 bits of
 * BLAKE2b over both engines' logical state (channels and their HTLCs,
 * payments and parts, invoices, sets, connections, counters, random-stream
 * positions), the items and held frames on their way (as a multiset, their
 * windows relative to now), the timers (relative to now, in firing order),
 * the links' state and the chain's spends, each node's life (down or up,
 * its generation, when it was down), with records each node's stored
 * records (world_store.c: what a restart loads), plus the caller's extra
 * bytes. Two states with the same fingerprint behave alike from then on;
 * without records, alike as long as no node crashes. */
#ifndef AMPSIM_WORLD_DIGEST_H
#define AMPSIM_WORLD_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "world.h"

void world_digest(const struct world *w, bool records, const void *extra, size_t extra_len,
		  uint8_t out[16]);

#endif

/* The state checker: the protocol's invariants over the world's state
 * (DESIGN's invariants 1-4 and the seed's atomicity), one set of code for
 * ampsim swarm, after every event and at the end of a run.
 *
 * After every event (world_check_event, a world_check_fn):
 *   - conservation: on every channel, on each side, balances plus HTLCs in
 *     flight equal the capacity (no money created or lost);
 *   - expiry: no HTLC is still in Alice's ledger past its cltv_expiry plus
 *     the chain's confirmations (every HTLC ends by then: fulfilled, failed
 *     or refunded).
 * At the end of a quiet run (world_check_end):
 *   - agreement: both sides' views of every channel are the same, nothing
 *     in flight, every payment has an outcome;
 *   - atomicity: an mpp or amp payment paid Bob the whole amount or nothing,
 *     whatever Bob does among the behaviours the protocol withstands
 *     (honest, greedy, hold, late); an eager Bob breaks it for mpp, as he
 *     knows the one preimage: the seed's point;
 *   - no hash reuse: no two AMP parts of any payments share a hash.
 * Each text begins with the property's name and a colon. */
#ifndef AMPSIM_WORLD_CHECK_H
#define AMPSIM_WORLD_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "world.h"

void world_check_event(const struct world *w, void *ctx, char *buf, size_t n);
/* false + what broke; quiet: whether the run ended quiet (world_quiet). */
bool world_check_end(const struct world *w, bool quiet, char *buf, size_t n);
/* The same, with atomicity asked of every payment (every_mode: single and
 * invoices too, "no payment ends partial", as ampsim check asks it) or of
 * mpp and amp only (as the swarm asks it: a partial invoices payment is the
 * seed's known flaw, not a bug). */
bool world_check_end_modes(const struct world *w, bool quiet, bool every_mode, char *buf, size_t n);
/* The outcome of every mpp and amp payment, one "ID OUTCOME paid N msat"
 * each: order invariance compares it over executions without faults. */
void world_check_outcomes(const struct world *w, char *buf, size_t n);

#endif

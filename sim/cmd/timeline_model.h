/* What the HTML timeline draws, read from a run's merged event log: the
 * channels and payments, each message between Alice and Bob with what
 * became of it (arrived, dropped, lost when the connection or a daemon
 * went down, replayed, duplicated), on-chain transactions, the notes along
 * each lifeline, and each channel's balances (Alice's ledger) as the run
 * goes. A large run (more than TIMELINE_DETAIL_MAX_PAYMENTS payments) is
 * summarised in time buckets instead of message by message. The page's
 * script (timeline.js) only lays this out and draws it. */
#ifndef AMPSIM_TIMELINE_MODEL_H
#define AMPSIM_TIMELINE_MODEL_H

#include <jansson.h>

#define TIMELINE_DETAIL_MAX_PAYMENTS 200
#define TIMELINE_DETAIL_MAX_EVENTS 20000
#define TIMELINE_BUCKETS 60

/* events: the merged event log (array sorted by t_ms), borrowed.
 * Returns a new object (the caller owns it):
 *   {"aggregate": false, "t_end", "channels": [{id, capacity_msat,
 *    alice_msat, bob_msat}], "payments": [{id, mode, amount_msat, outcome,
 *    t0, t1}], "events": [...], "msgs": [...], "chain": [...],
 *    "marks": [...], "ledger": [...]}
 * or, aggregated, "buckets" and "totals" in place of events, msgs, chain,
 * marks and ledger. The fields of each entry are described in
 * timeline_model.c. */
json_t *timeline_model(json_t *events);

#endif

/* The life of an HTLC Alice offered to Bob, as Bob keeps it: a state
 * machine of the shape of sim/core/fsm.h. Its table (htlc_state.c), as
 * fsm_draw draws it (tests/unit/test_fsm.c checks this drawing, and the one
 * in docs/architecture.md, against the table):
 *
 * | from \ event | accept | refuse | settle | fail | expire | lose_onchain |
 * |---|---|---|---|---|---|---|
 * | (new) | held | failed | – | – | – | – |
 * | held (0) | – | – | fulfilled | failed | refunded | – |
 * | fulfilled (1) | – | – | – | – | – | refunded |
 * | failed (2) | – | – | – | – | – | – |
 * | refunded (3) | – | – | – | – | – | – |
 *
 * The numbers are written to SQLite (htlcs.state): they are append-only.
 * Never renumber or reuse a value; a new state gets the next number, and a
 * state that stops being used keeps its number, unused. (Core Lightning gives
 * its HTLC states the same warning.)
 *
 * Whether Alice acknowledged a resolution (resolve_ack) and whether Bob
 * claimed a fulfilled HTLC on chain are flags beside the state, not states:
 * they are stored in their own columns. */
#ifndef AMPSIM_HTLC_STATE_H
#define AMPSIM_HTLC_STATE_H

#include <stdbool.h>

#include "action.h"
#include "fsm.h"

enum bob_htlc_state {
	BH_HELD = 0,        /* in Bob's ledger, waiting for its set (stored 0) */
	BH_FULFILLED = 1,   /* Bob settled it: the preimage is his to send (stored 1) */
	BH_FAILED = 2,      /* failed back, or refused on arrival (stored 2) */
	BH_REFUNDED = 3,    /* expired: Alice reclaimed it, or won the chain race (stored 3) */
};
#define BH_STATE_COUNT 4
const char *htlc_state_name(enum bob_htlc_state s);
/* A stored number back into a state; false if no state has it. */
bool htlc_state_from_stored(int v, enum bob_htlc_state *s);

enum htlc_event {
	HTLC_EV_ACCEPT,        /* arrival: added to the ledger and held */
	HTLC_EV_REFUSE,        /* arrival: refused before it reached the ledger */
	HTLC_EV_SETTLE,        /* its set completed: fulfill with the preimage */
	HTLC_EV_FAIL,          /* a check or its set failed: fail it back */
	HTLC_EV_EXPIRE,        /* its cltv_expiry passed: Alice reclaims it */
	HTLC_EV_LOSE_ONCHAIN,  /* Alice's refund beat Bob's claim on chain, or she
			        * says she reclaimed it at its expiry */
};
#define HTLC_EV_COUNT 6
const char *htlc_event_name(enum htlc_event e);

/* The table: states, events, and what each event leads to. */
extern const struct fsm htlc_machine;

/* The state an event leads to from `from` (fresh = the HTLC has no state
 * yet), looked up in htlc_machine; false if the change is illegal. */
bool htlc_next(bool fresh, enum bob_htlc_state from, enum htlc_event ev, enum bob_htlc_state *to);

/* One HTLC's state, as the transition function changes it. */
struct htlc_fsm {
	bool present;              /* false until it arrived */
	enum bob_htlc_state state;
};

/* The name of the transition record. It is a debug record: the shell
 * writes it to the diagnostics (bob -v), not to the event log, whose lines
 * tests, timelines and run comparisons count. */
#define HTLC_STATE_EVENT "htlc_state"

/* The one place an HTLC's state changes: checks the change against the
 * table, and on success sets it and logs an HTLC_STATE_EVENT record with
 * channel, htlc, from, to and event. An illegal change changes nothing,
 * returns false and is refused by fsm_refuse's policy: an invariant
 * violation when cause is FSM_OURS, a FSM_REFUSED_EVENT record when a
 * peer's message asked for it (FSM_PEER). */
bool htlc_change(struct htlc_fsm *f, enum htlc_event ev, enum fsm_cause cause,
		 const char *channel, uint64_t htlc_id, struct actions *out);

#endif

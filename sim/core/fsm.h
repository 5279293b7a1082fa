/* A state machine as one table: state × event → next state.
 *
 * Alice's payments and parts (sender/engine/payer.c) and Bob's HTLCs
 * (receiver/engine/htlc_state.c) each have an enum of states, an enum of
 * events, a const table of this shape and one change function. The change
 * function looks the event up (fsm_next), applies it and logs it; when the
 * table has no entry it calls fsm_refuse, the one policy for an illegal
 * change (docs/decisions.md, "State machines"). The tables are drawn in
 * docs/architecture.md and in their headers by fsm_draw, and
 * tests/unit/test_fsm.c checks both drawings against the tables.
 *
 * Pure: no I/O; a refusal is reported through the action list. */
#ifndef AMPSIM_FSM_H
#define AMPSIM_FSM_H

#include <stdbool.h>
#include <stddef.h>

#include "action.h"

/* A table entry: the event leads to state s. An entry left out (0) is an
 * illegal change. An entry that leads back to its own state is a stay:
 * legal, but nothing changes and the change function logs nothing. */
#define FSM_TO(s) ((unsigned char)((s) + 1))

/* As a `from`: the machine has no state yet, and this is its first event
 * (an HTLC before it arrived). Drawn as "(new)". */
#define FSM_FRESH (-1)

struct fsm {
	const char *name;                /* "payment", "part", "htlc" */
	int nstates, nevents;
	const char *const *states;       /* nstates names, by state number */
	const char *const *events;       /* nevents names, by event number */
	const unsigned char *first;      /* nevents entries for FSM_FRESH; NULL: made in a state */
	const unsigned char *next;       /* nstates × nevents entries, one row per state */
};

/* The state ev leads to from `from` (a state, or FSM_FRESH); false when the
 * change is illegal, or from or ev is not the machine's. */
bool fsm_next(const struct fsm *m, int from, int ev, int *to);

/* Names; "new" for FSM_FRESH, "?" for a number that is not the machine's. */
const char *fsm_state_name(const struct fsm *m, int s);
const char *fsm_event_name(const struct fsm *m, int ev);

/* Who asked for a change: what an illegal one means. */
enum fsm_cause {
	FSM_OURS,   /* the engine's own decision (a timer, a block, its checks):
		     * only our bug makes it illegal */
	FSM_PEER,   /* a peer's message: a hostile or confused peer can ask for anything */
};

/* The record a change refused on a peer's word is logged as. */
#define FSM_REFUSED_EVENT "state_change_refused"

/* The one policy for an illegal change. The caller changes nothing and
 * goes on; it never aborts. FSM_OURS: an invariant violation
 * ("SUBJECT: EVENT is illegal in state FROM"), which the daemons log
 * loudly and the world's checker and the swarm count. FSM_PEER: a
 * FSM_REFUSED_EVENT record (machine, subject, from, event). */
void fsm_refuse(const struct fsm *m, enum fsm_cause cause, const char *subject, int from, int ev,
		struct actions *out);

/* The table drawn as a Markdown table: a header of events, then a row per
 * state ("(new)" first when the machine has one, then "name (number)"),
 * each cell the next state, "stays" or "–". The whole drawing ends in a
 * newline; it is cut (and false returned) if it does not fit in n. */
bool fsm_draw(const struct fsm *m, char *buf, size_t n);

#endif

/* The explorer behind ampsim check (docs/check.md): every timed execution
 * of a scenario's payments over the world in hand mode (world_hand.h),
 * breadth first, each distinct state (world_digest.h) once, with up to N
 * faults, and the state checker's properties (world_check.h) over each.
 *
 * A state's choices: every item on its way whose earliest delivery is no
 * later than the latest delivery of every item and than the next timer
 * (delivered at that earliest time, or now if later); the next timer (a
 * block, a hold, a reconnection, the next payment of the scenario) when no
 * item's latest delivery comes before it; and, while the fault budget
 * lasts, dropping or duplicating any item, cutting the connection, or
 * crashing alice or bob and restarting it at once (between instants: no
 * item due now, no payment started now; as a crash= and a restart= at one
 * time in a scenario).
 * A state is restored by replaying its choices from the start (the world
 * is deterministic): the explorer keeps 8 bytes per state and its
 * fingerprint. Pure, like the world. */
#ifndef AMPSIM_EXPLORE_H
#define AMPSIM_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"
#include "world.h"

enum xchoice_kind {
	XC_TIME,          /* the next timer (or the scenario's next payment) */
	XC_DELIVER,       /* item i arrives */
	XC_DROP,          /* item i is lost (a fault) */
	XC_DUPLICATE,     /* item i will arrive twice (a fault) */
	XC_DISCONNECT,    /* the connection is cut; alice reconnects (a fault) */
	XC_CRASH,         /* node i (0 alice, 1 bob) crashes and restarts at
			   * once, from its records (a fault) */
};

/* A choice: kind in the top byte, the item in the rest. */
typedef uint32_t xchoice;
#define XCHOICE(k, i) ((uint32_t)(k) << 24 | (uint32_t)(i))
#define XCHOICE_KIND(c) ((enum xchoice_kind)((c) >> 24))
#define XCHOICE_ITEM(c) ((size_t)((c) & 0xffffff))

struct explore_config {
	const struct scenario *s;
	unsigned faults;          /* budget: drops, duplicates, disconnects, crashes */
	bool no_crashes;          /* offer no crash (the faults of before) */
	bool only_crashes;        /* offer crashes and no other fault */
	unsigned depth;           /* 0: no limit */
	uint64_t max_states;      /* refuse to go on beyond (0: 4,000,000) */
};

enum explore_verdict {
	EXPLORE_HOLDS,            /* every execution explored, every property held */
	EXPLORE_VIOLATION,        /* the shortest trace to a broken property */
	EXPLORE_CUT,              /* --depth stopped it; nothing broken up to it */
	EXPLORE_TOO_LARGE,        /* max_states reached; nothing broken among them */
};

struct explore_result {
	enum explore_verdict verdict;
	uint64_t states;          /* distinct states */
	uint64_t executions;      /* terminal states reached (quiet, or past the horizon) */
	uint64_t transitions;     /* choices taken */
	uint64_t tried[XC_CRASH + 1];   /* choices taken, by kind */
	unsigned depth;           /* the deepest level reached */
	char property[32];        /* what broke */
	char what[600];
	xchoice *path;            /* the violation's choices from the start */
	size_t npath;
};

/* Whether s can be explored whole; false + "FILE:LINE: why" if not. */
bool explore_supports(const struct scenario *s, char *why, size_t n);

void explore_run(const struct explore_config *cfg, struct explore_result *res);
void explore_result_free(struct explore_result *res);

/* Replaying a path: a world in hand mode at the start, a choice at a time. */
struct xrun;
/* crashes: XC_CRASH may be chosen (the world keeps records). */
struct xrun *xrun_new(const struct scenario *s, const struct world_sink *sink, bool crashes);
void xrun_free(struct xrun *r);
struct world *xrun_world(struct xrun *r);
void xrun_apply(struct xrun *r, xchoice c);
/* The choices enabled now, into out (at most max); how many. */
size_t xrun_choices(struct xrun *r, unsigned faults_left, xchoice *out, size_t max);
/* The time XC_TIME moves to (WORLD_NO_TIMER: none). */
uint64_t xrun_next_time(const struct xrun *r);
/* The scenario's payments started so far. */
size_t xrun_next_payment(const struct xrun *r);
/* Offer no fault but crashes (xrun_new's crashes must be true). */
void xrun_only_crashes(struct xrun *r);
/* Whether a crash may be chosen now: between instants (no item due now,
 * no payment started now), and if crashes are offered. */
bool xrun_may_crash(const struct xrun *r);
/* Faults taken so far. */
unsigned xrun_faults(const struct xrun *r);

#endif

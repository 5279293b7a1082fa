/* ampsim check's counterexample: a path of the explorer replayed as
 * numbered steps in plain words, and written as a scenario file that
 * ampsim run plays to the same execution (docs/check.md). */
#ifndef AMPSIM_CHECK_TRACE_H
#define AMPSIM_CHECK_TRACE_H

#include <stdbool.h>
#include <stdio.h>

#include "explore.h"

/* One message rule or fault of the counterexample. */
struct check_rule {
	size_t chan;
	bool to_alice;
	enum msg_kind kind;
	uint32_t nth;
	enum { CR_DELAY, CR_DROP, CR_DUPLICATE, CR_DISCONNECT, CR_CRASH } what;
	uint64_t delay_us;       /* CR_DELAY; CR_DUPLICATE: its second copy's, if has_delay */
	bool has_delay;
	/* CR_DISCONNECT, CR_CRASH: when; a message's rule: when its sender's
	 * life began (0, or its restart: a restarted daemon's links count
	 * their messages from 1 again, and it is given the rule then) */
	uint64_t at_us;
	uint32_t life;           /* its sender's generation */
	enum world_node node;    /* CR_CRASH: who crashes and restarts */
};

struct check_trace {
	struct check_rule *v;
	size_t n, cap;
};

/* Replay path, printing each step to f; the rules into tr. */
void check_trace_replay(const struct scenario *s, const xchoice *path, size_t n, FILE *f,
			struct check_trace *tr);
/* The scenario with its links' randomness taken out and tr's rules put in;
 * false + why if OUT cannot be written. */
bool check_trace_write(const struct scenario *s, const struct check_trace *tr,
		       const struct explore_result *res, const char *out, char *err, size_t n);
void check_trace_free(struct check_trace *tr);

#endif

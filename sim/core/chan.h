/* A simulated channel as one daemon sees it: its ledger, the direction
 * it sends on, and whether the other direction is down; and the one rule
 * for applying a channel fault to it. Pure: both daemons' shells and the
 * in-process world (sim/world/) call it. */
#ifndef AMPSIM_CHAN_H
#define AMPSIM_CHAN_H

#include <stdbool.h>

#include "ledger.h"
#include "link.h"
#include "scenario.h"

struct chan {
	struct ledger ledger;
	struct link out;               /* the direction this daemon sends on */
	struct link_params base_out;   /* as configured: what lifting a fault restores */
	bool in_down;                  /* the other direction is down */
	bool accepted;                 /* open_channel answered */
};

/* A channel can take new HTLCs only while both directions are up. */
static inline bool chan_usable(const struct chan *c)
{
	return c->accepted && !c->out.down && !c->in_down;
}

void chan_free(struct chan *c);

/* Apply (lift = false) or undo (lift = true) fault f to channel c, for the
 * daemon whose own outgoing direction is `mine` (DIR_TO_BOB for Alice).
 * Returns true if the outgoing link just came back up (the caller releases
 * messages held for it). */
bool chan_fault(struct chan *c, enum fault_dir mine, const struct fault_config *f, bool lift);

/* Why chan_fault could not apply f to c (a KIND#N rule its link has no
 * room for, or one that decides a message otherwise than a rule it has),
 * or NULL. A scenario's rules are checked as a whole when it is read; this
 * is for a fault that comes over a control socket. */
const char *chan_fault_refused(const struct chan *c, enum fault_dir mine,
			       const struct fault_config *f, bool lift);

#endif

/* For the engines' unit tests, included after action.h with EVCHECK_NODE
 * defined (EVS_ALICE or EVS_BOB): every action list a test clears or frees
 * has each of its event records checked against the event table
 * (sim/core/evtable.h) first, so every record the tests make an engine
 * emit has the name, fields and types the table gives it. */
#ifndef AMPSIM_EVCHECK_H
#define AMPSIM_EVCHECK_H

#include "action.h"
#include "evtable.h"

static inline void evcheck_list(const struct actions *a, enum ev_stream node)
{
	char why[256];
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind == ACT_LOG && !evtable_check(a->v[i].u.log.rec, node, why, sizeof(why)))
			fail_msg("a record not as the event table has it: %s", why);
}

#define actions_clear(a) (evcheck_list((a), EVCHECK_NODE), actions_clear(a))
#define actions_free(a) (evcheck_list((a), EVCHECK_NODE), actions_free(a))

#endif

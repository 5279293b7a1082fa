/* ampsim run --in-process: the scenario's steps carried out on the world,
 * as run_steps.c carries them out on the daemons: a payment alice cannot
 * take yet (down, or not connected to bob yet) waits in the run's queue
 * and is handed to her one at a time once she can; a channel fault goes
 * to bob, then (his work at the instant done) to alice, and a node that is
 * down gets the faults still in force when it restarts; a crash and a
 * restart are the world's (world_life.c). */
#include <stdlib.h>
#include <string.h>

#include "fault_rules.h"
#include "log.h"
#include "run.h"
#include "world.h"

void inproc_steps_free(struct inproc_steps *q)
{
	free(q->queued);
	memset(q, 0, sizeof(*q));
}

static void reapply(struct world *w, struct inproc_steps *q, enum world_node n)
{
	for (size_t i = 0; i < q->nactive; i++)
		if (!fault_is_msg_rule(q->active[i]->action))   /* a one-shot rule is not re-armed */
			world_fault(w, n, q->active[i], false);
}

static void track(struct inproc_steps *q, const struct fault_config *f, bool lift)
{
	if (!lift && q->nactive < SCN_MAX_FAULTS)
		q->active[q->nactive++] = f;
	if (lift)
		for (size_t i = 0; i < q->nactive; i++)
			if (q->active[i] == f)
				q->active[i] = q->active[--q->nactive];
}

void inproc_step(struct world *w, struct inproc_steps *q, const struct run_step *a)
{
	if (a->pay) {
		if (world_up(w, WORLD_ALICE) && world_ready(w)) {
			world_pay(w, a->pay);
			return;
		}
		if (q->nqueued == q->cap) {
			q->cap = q->cap ? 2 * q->cap : 16;
			q->queued = xrealloc(q->queued, q->cap * sizeof(*q->queued));
		}
		q->queued[q->nqueued++] = a->pay;
		return;
	}
	const struct fault_config *f = a->fault;
	enum world_node n = f->target == NODE_ALICE ? WORLD_ALICE : WORLD_BOB;
	if (fault_action_on_links(f->action)) {
		track(q, f, a->lift);
		/* as run_steps.c: bob, his work at the instant done, then alice */
		world_fault(w, WORLD_BOB, f, a->lift);
		world_settle(w);
		world_fault(w, WORLD_ALICE, f, a->lift);
		return;
	}
	switch (f->action) {
	case FAULT_DISCONNECT:
		world_disconnect(w);   /* not connected: alice refuses it, and the run goes on */
		return;
	case FAULT_CRASH:
		world_crash(w, n);
		return;
	case FAULT_RESTART:
		/* the faults in force once its start-up's work at the instant is
		 * done (run_steps.c) */
		world_restart(w, n);
		world_settle(w);
		reapply(w, q, n);
		return;
	case FAULT_DOWN: case FAULT_UP: case FAULT_DROP: case FAULT_LOSS_GE: case FAULT_DELAY:
	case FAULT_JITTER: case FAULT_DUPLICATE: case FAULT_DROP_MSG: case FAULT_PARTITION:
	case FAULT_DELAY_MSG: case FAULT_DUPLICATE_MSG:
		break;
	}
}

const struct payment_config *inproc_flush_one(struct world *w, struct inproc_steps *q)
{
	if (!q->nqueued || !world_up(w, WORLD_ALICE) || !world_ready(w))
		return NULL;
	const struct payment_config *p = q->queued[0];
	world_pay(w, p);
	memmove(q->queued, q->queued + 1, --q->nqueued * sizeof(q->queued[0]));
	return p;
}

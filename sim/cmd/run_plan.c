/* ampsim run's plan (run.h): the scenario's payments, faults and fault
 * lifts in simulated-time order, the workload payments alice is handed
 * ahead, and the horizon. Shared by the two-process run, the in-process
 * run and the swarm, so that all three carry out the same steps. */
#include <stdlib.h>
#include <string.h>

#include "chain_rules.h"
#include "reconnect.h"
#include "run.h"

static int action_cmp(const void *x, const void *y)
{
	const struct run_step *a = x, *b = y;
	if (a->at_us != b->at_us)
		return a->at_us < b->at_us ? -1 : 1;
	if (a->order != b->order)
		return a->order - b->order;
	/* faults of one time in the order of the file (a crash, then the
	 * restart after it): qsort alone keeps no order */
	if (a->fault && b->fault && a->fault != b->fault)
		return a->fault < b->fault ? -1 : 1;
	return 0;
}

uint64_t plan_busy_until(const struct scenario *s, const struct payment_config *p,
			 uint64_t handed_us, uint64_t horizon)
{
	/* the latest a payment can still be busy: its last attempt, sent
	 * before its timeout, expiring expiry blocks later */
	uint64_t end = handed_us + p->timeout_us +
		       (uint64_t)(p->expiry_blocks + 2) * s->block_interval_us;
	return end > horizon ? end : horizon;
}

void run_plan_build(const struct scenario *s, bool virt, struct run_plan *out)
{
	struct payment_config *wpays;
	/* the plan: payments, faults and fault lifts in simulated-time order */
	size_t nact = 0, nwork = 0;
	wpays = workload_payments(s, &nwork);
	struct run_step *acts = calloc(s->npayments + nwork + 2 * s->nfaults + 1, sizeof(*acts));
	uint64_t horizon = 0;
	for (size_t i = 0; i < s->nfaults; i++) {
		const struct fault_config *f = &s->faults[i];
		acts[nact++] = (struct run_step){ f->at_us, 0, NULL, f, false };
		if (f->has_until)
			acts[nact++] = (struct run_step){ f->until_us, 1, NULL, f, true };
		uint64_t end = f->has_until ? f->until_us : f->at_us;
		if (f->action == FAULT_RESTART)
			/* a node back from a crash settles what expired while it
			 * was down: reached again within the longest backoff, a
			 * refund at its next block, confirmed on chain later */
			end += (uint64_t)RECONNECT_MAX_MS * 1000 +
			       (uint64_t)(CHAIN_CONFIRMATIONS + 2) * s->block_interval_us;
		if (end > horizon)
			horizon = end;
	}
	for (size_t i = 0; i < s->npayments + nwork; i++) {
		const struct payment_config *p = i < s->npayments ? &s->payments[i]
								     : &wpays[i - s->npayments];
		acts[nact++] = (struct run_step){ p->at_us, 2, p, NULL, false };
		horizon = plan_busy_until(s, p, p->at_us, horizon);
	}
	qsort(acts, nact, sizeof(*acts), action_cmp);
	/* Workload payments go to alice ahead of their start (she starts each
	 * from her own timer): no request and no round of the clock each.
	 * Only where nothing else happens at their instant, so that the order
	 * of an instant's steps is the scenario's, and only in runs that never
	 * cut alice off (her queue is in memory). */
	const struct payment_config **ahead = NULL;
	size_t nahead = 0;
	bool ahead_ok = virt;
	for (size_t i = 0; i < s->nfaults; i++) {
		enum fault_scope sc = fault_action_scope(s->faults[i].action);
		if (sc == FAULT_SCOPE_CONNECTION || sc == FAULT_SCOPE_PROCESS)
			ahead_ok = false;
	}
	if (ahead_ok && nwork) {
		ahead = calloc(nact, sizeof(*ahead));
		size_t w = 0;
		for (size_t i = 0; i < nact; i++) {
			const struct payment_config *p = acts[i].pay;
			bool alone = (i == 0 || acts[i - 1].at_us != acts[i].at_us) &&
				     (i + 1 == nact || acts[i + 1].at_us != acts[i].at_us);
			if (p && p >= wpays && p < wpays + nwork && alone)
				ahead[nahead++] = p;
			else
				acts[w++] = acts[i];
		}
		nact = w;
	}
	out->wpays = wpays;
	out->steps = acts;
	out->nsteps = nact;
	out->horizon = horizon;
	out->ahead = ahead;
	out->nahead = nahead;
}

void run_plan_free(struct run_plan *p)
{
	free(p->steps);
	free(p->ahead);
	free(p->wpays);
	memset(p, 0, sizeof(*p));
}

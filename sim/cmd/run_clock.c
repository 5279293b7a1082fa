/* ampsim run on the virtual clock, what a step and the loop share: which
 * daemons are running, and the work of the current instant settled. */
#include <stdio.h>
#include <sys/wait.h>

#include "run.h"
#include "vcoord.h"

size_t live_nodes(const struct run *r, const char *nodes[2])
{
	size_t n = 0;
	if (r->alice > 0)
		nodes[n++] = "alice";
	if (r->bob > 0)
		nodes[n++] = "bob";
	return n;
}

void notice_exits(struct run *r)
{
	int st;
	if (r->alice > 0 && waitpid(r->alice, &st, WNOHANG) == r->alice)
		r->alice = 0;
	if (r->bob > 0 && waitpid(r->bob, &st, WNOHANG) == r->bob)
		r->bob = 0;
}

bool settle_instant(struct run *r, char *why, size_t whylen)
{
	const char *nodes[2];
	char waiting[256];
	uint64_t next;
	vcoord_advance(r->vc, vcoord_now(r->vc));
	notice_exits(r);
	if (vcoord_settle(r->vc, nodes, live_nodes(r, nodes), SETTLE_TIMEOUT_MS, &next, waiting,
			  sizeof(waiting)) != VC_SETTLED) {
		snprintf(why, whylen, "the clock stalled at t = %.3f s, waiting for %s",
			 (double)vcoord_now(r->vc) / 1e6, waiting);
		return false;
	}
	return true;
}


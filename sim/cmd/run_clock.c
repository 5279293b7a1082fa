/* ampsim run on the virtual clock, what a step and the loop share: which
 * daemons are running, and the work of the current instant settled. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
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


uint64_t pace_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* --speed: simulated time t may not run ahead of speed x wall time */
void pace(uint64_t wall0, uint64_t t, double speed)
{
	if (speed <= 0)
		return;
	uint64_t due = wall0 + (uint64_t)((double)t / speed);
	uint64_t now = pace_now_us();
	if (due > now) {
		struct timespec ts = { (time_t)((due - now) / 1000000),
				       (long)((due - now) % 1000000) * 1000 };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !vcoord_interrupted())
			;
	}
}


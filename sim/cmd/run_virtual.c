/* ampsim run on the virtual clock: time stands still while either daemon
 * has work at the current instant or a message is on its way, then jumps
 * to the next instant: a daemon's timer (a delivery, a hold, a retry, a
 * block) or the scenario's next step. The scenario's steps at an instant
 * are carried out once the daemons are idle at it, so they always come
 * after the daemons' own timers of that instant: the order is fixed, and a
 * run repeats exactly. docs/time.md explains the rules. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "run.h"
#include "vcoord.h"

/* A daemon that hangs cannot hang the run: an instant must settle within
 * this much wall time. */
#define SETTLE_TIMEOUT_MS 30000

static size_t live_nodes(const struct run *r, const char *nodes[2])
{
	size_t n = 0;
	if (r->alice > 0)
		nodes[n++] = "alice";
	if (r->bob > 0)
		nodes[n++] = "bob";
	return n;
}

static void notice_exits(struct run *r)
{
	int st;
	if (r->alice > 0 && waitpid(r->alice, &st, WNOHANG) == r->alice)
		r->alice = 0;
	if (r->bob > 0 && waitpid(r->bob, &st, WNOHANG) == r->bob)
		r->bob = 0;
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* --speed: simulated time t may not run ahead of speed x wall time */
static void pace(uint64_t wall0, uint64_t t, double speed)
{
	if (speed <= 0)
		return;
	uint64_t due = wall0 + (uint64_t)((double)t / speed);
	uint64_t now = mono_us();
	if (due > now) {
		struct timespec ts = { (time_t)((due - now) / 1000000),
				       (long)((due - now) % 1000000) * 1000 };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

/* --step: say what comes next and wait for Enter ("c" runs on) */
static bool step_prompt(const struct run *r, const struct virtual_play *vp, size_t next_step,
			uint64_t t, bool *stepping)
{
	fprintf(stderr, "\n[t = %.3f s] next instant: t = %.3f s", (double)vcoord_now(r->vc) / 1e6,
		(double)t / 1e6);
	for (size_t i = next_step; i < vp->nsteps && vp->steps[i].at_us == t; i++) {
		const struct run_step *s = &vp->steps[i];
		if (s->pay)
			fprintf(stderr, "\n  payment %s starts (%s)", s->pay->id,
				pay_mode_name(s->pay->mode));
		else
			fprintf(stderr, "\n  fault %s %s: %s", s->fault->id, s->lift ? "lifted" : "starts",
				s->fault->text);
	}
	fprintf(stderr, "\n  Enter: go on, c: run to the end, q: stop here > ");
	char line[32];
	if (!fgets(line, sizeof(line), stdin))
		return *stepping = false, true;
	if (line[0] == 'c')
		*stepping = false;
	return line[0] != 'q';
}

bool play_virtual(struct run *r, const struct virtual_play *vp, bool *final, bool *settled_quiet,
		  char *why, size_t whylen)
{
	const char *nodes[2];
	size_t next_step = 0;
	uint64_t wall0 = mono_us();
	bool stepping = vp->step;
	char e[512], waiting[256];
	for (;;) {
		notice_exits(r);
		uint64_t next;
		size_t n = live_nodes(r, nodes);
		if (vcoord_settle(r->vc, nodes, n, SETTLE_TIMEOUT_MS, &next, waiting,
				  sizeof(waiting)) != VC_SETTLED) {
			snprintf(why, whylen, "the clock stalled at t = %.3f s, waiting for %s",
				 (double)vcoord_now(r->vc) / 1e6, waiting);
			return false;
		}
		uint64_t now = vcoord_now(r->vc);
		/* the scenario's steps of this instant, now that the daemons are
		 * idle at it; their effects happen at this instant too */
		if (next_step < vp->nsteps && vp->steps[next_step].at_us <= now) {
			while (next_step < vp->nsteps && vp->steps[next_step].at_us <= now) {
				if (!do_action(r, &vp->steps[next_step], e, sizeof(e))) {
					snprintf(why, whylen, "%s", e);
					return false;
				}
				next_step++;
			}
			/* what the steps changed shows in reports made after them */
			vcoord_advance(r->vc, now);
			continue;
		}
		if (r->nqueued && r->alice > 0) {
			size_t before = r->nqueued;
			flush_queued(r);
			if (r->nqueued != before) {
				vcoord_advance(r->vc, now);
				continue;
			}
		}
		if (next_step == vp->nsteps && r->nqueued == 0 && r->alice > 0 && r->bob > 0 &&
		    quiet(r, final)) {
			*settled_quiet = true;
			/* the daemons are stopped by the run, after their last answers */
			return true;
		}
		if (next_step == vp->nsteps && now > vp->horizon) {
			/* nothing the scenario does is left, and nothing is settling:
			 * say so rather than run for ever */
			quiet(r, final);
			/* the daemons are stopped by the run, after their last answers */
			return true;
		}
		uint64_t t = next;
		if (next_step < vp->nsteps && vp->steps[next_step].at_us < t)
			t = vp->steps[next_step].at_us;
		if (t == VC_NO_TIMER) {
			quiet(r, final);
			/* the daemons are stopped by the run, after their last answers */
			return true;
		}
		if (stepping && !step_prompt(r, vp, next_step, t, &stepping)) {
			snprintf(why, whylen, "stopped by the user at t = %.3f s", (double)now / 1e6);
			return false;
		}
		pace(wall0, t, vp->speed);
		vcoord_advance(r->vc, t);
	}
}

/* ampsim run on the virtual clock: time stands still while either daemon
 * has work at the current instant or a message is on its way, then jumps
 * to the next instant: a daemon's timer (a delivery, a hold, a retry, a
 * block) or the scenario's next step. The scenario's steps at an instant
 * are carried out once the daemons are idle at it, so they always come
 * after the daemons' own timers of that instant: the order is fixed, and a
 * run repeats exactly. docs/time.md explains the rules. */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "run.h"
#include "vcoord.h"


int step_listen(const char *path, char *err, size_t errlen)
{
	return unix_listen(path, 4, err, errlen);
}

/* Payments per schedule request: well inside a control-socket line. */
#define AHEAD_SLICE 400

/* Hand alice the next slice of the payments she starts herself. */
static bool hand_ahead(struct run *r, const struct virtual_play *vp, size_t *handed, char *err,
		       size_t errlen)
{
	json_t *list = json_array();
	size_t end = *handed + AHEAD_SLICE < vp->nahead ? *handed + AHEAD_SLICE : vp->nahead;
	for (size_t i = *handed; i < end; i++) {
		const struct payment_config *p = vp->ahead[i];
		json_array_append_new(list, json_pack("[s,I,I,s,i,i,I]", p->id, (json_int_t)p->at_us,
						      (json_int_t)p->amount.millisatoshis,
						      pay_mode_name(p->mode), (int)p->shards,
						      (int)p->expiry_blocks, (json_int_t)p->timeout_us));
	}
	char e[512];
	json_t *res = call(r->alice_sock, "schedule", json_pack("{s:o}", "payments", list), e,
			   sizeof(e));
	if (!res) {
		snprintf(err, errlen, "%s:%d: payment %s: alice refused it: %s", r->s->path,
			 vp->ahead[*handed]->line, vp->ahead[*handed]->id, e);
		return false;
	}
	json_decref(res);
	*handed = end;
	return true;
}

/* A payment due while alice was down handed to her, one at a time too;
 * it may be busy until later than planned. false if none was. */
static bool flush_late(struct run *r, uint64_t now, uint64_t *horizon)
{
	if (!r->nqueued || r->alice <= 0)
		return false;
	size_t before = r->nqueued;
	const struct payment_config *first = r->queued[0];
	flush_one(r);
	if (r->nqueued == before)
		return false;
	*horizon = plan_busy_until(r->s, first, now, *horizon);
	return true;
}

bool play_virtual(struct run *r, const struct virtual_play *vp, bool *final, bool *settled_quiet,
		  char *why, size_t whylen)
{
	size_t handed = 0;
	const char *nodes[2];
	size_t next_step = 0;
	uint64_t wall0 = pace_now_us();
	bool stepping = vp->step;
	char e[512], waiting[256];
	uint64_t horizon = vp->horizon;
	vcoord_want_labels(r->vc, stepping);
	if (stepping)   /* reports that say what the first instant holds */
		vcoord_advance(r->vc, vcoord_now(r->vc));
	for (;;) {
		if (vcoord_interrupted()) {
			snprintf(why, whylen, "interrupted at t = %.3f s", (double)vcoord_now(r->vc) / 1e6);
			return false;
		}
		notice_exits(r);
		uint64_t next;
		size_t n = live_nodes(r, nodes);
		if (vcoord_settle(r->vc, nodes, n, SETTLE_TIMEOUT_MS, &next, waiting,
				  sizeof(waiting)) != VC_SETTLED) {
			if (vcoord_interrupted())
				continue;       /* said at the top of the loop */
			snprintf(why, whylen, "the clock stalled at t = %.3f s, waiting for %s",
				 (double)vcoord_now(r->vc) / 1e6, waiting);
			return false;
		}
		uint64_t now = vcoord_now(r->vc);
		/* the scenario's steps of this instant, now that the daemons are
		 * idle at it, one at a time: each step's effects (a payment's
		 * invoice round, say) settle before the next step, so that their
		 * order never depends on the machine */
		if (next_step < vp->nsteps && vp->steps[next_step].at_us <= now) {
			if (!do_action(r, &vp->steps[next_step], e, sizeof(e))) {
				snprintf(why, whylen, "%s", e);
				return false;
			}
			next_step++;
			/* what the step changed shows in reports made after it */
			vcoord_advance(r->vc, now);
			continue;
		}
		if (flush_late(r, now, &horizon)) {
			vcoord_advance(r->vc, now);
			continue;
		}
		/* every payment alice starts herself is handed, and started */
		bool started = handed == vp->nahead &&
			       (vp->nahead == 0 || now >= vp->ahead[vp->nahead - 1]->at_us);
		if (next_step == vp->nsteps && started && r->nqueued == 0 && r->alice > 0 &&
		    r->bob > 0 && quiet(r, final)) {
			*settled_quiet = true;
			/* the daemons are stopped by the run, after their last answers */
			return true;
		}
		if (next_step == vp->nsteps && started && now > horizon &&
		    !transit_plays_on(r, now, horizon)) {
			/* nothing the scenario does is left, and nothing is settling
			 * or on its way: say so rather than run for ever */
			quiet(r, final);
			/* the daemons are stopped by the run, after their last answers */
			return true;
		}
		uint64_t t = next;
		if (next_step < vp->nsteps && vp->steps[next_step].at_us < t)
			t = vp->steps[next_step].at_us;
		if (handed < vp->nahead && vp->ahead[handed]->at_us <= t) {
			/* alice learns of them before the clock gets there */
			if (!hand_ahead(r, vp, &handed, e, sizeof(e))) {
				snprintf(why, whylen, "%s", e);
				return false;
			}
			vcoord_advance(r->vc, now);
			continue;
		}
		if (t == VC_NO_TIMER) {
			quiet(r, final);
			/* the daemons are stopped by the run, after their last answers */
			return true;
		}
		char labels[1024];
		if (stepping)
			vcoord_labels(r->vc, t, labels, sizeof(labels));
		if (stepping && !step_prompt(labels, vcoord_now(r->vc), vp, next_step, t, &stepping)) {
			vcoord_want_labels(r->vc, false);
			if (vcoord_interrupted())
				snprintf(why, whylen, "interrupted at t = %.3f s", (double)now / 1e6);
			else
				snprintf(why, whylen, "stopped by the user at t = %.3f s", (double)now / 1e6);
			return false;
		}
		vcoord_want_labels(r->vc, stepping);   /* "c" ends the stepping */
		pace(wall0, t, vp->speed);
		vcoord_advance(r->vc, t);
	}
}

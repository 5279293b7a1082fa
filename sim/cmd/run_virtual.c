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
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !vcoord_interrupted())
			;
	}
}

/* A request on the step socket: JSON-RPC "step", "continue" or "stop",
 * answered with the instant. Returns 's', 'c', 'q', or 0 for anything else
 * (answered with an error). */
static int step_request(int lfd, uint64_t now)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return 0;
	char line[1024];
	size_t n = 0;
	struct pollfd pf = { fd, POLLIN, 0 };
	while (n < sizeof(line) - 1 && poll(&pf, 1, 2000) > 0) {
		ssize_t k = read(fd, line + n, sizeof(line) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	json_t *req = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
	const char *m = json_string_value(json_object_get(req, "method"));
	json_t *id = json_object_get(req, "id");
	int what = !m ? 0 : strcmp(m, "step") == 0 ? 's' : strcmp(m, "continue") == 0 ? 'c'
		 : strcmp(m, "stop") == 0 ? 'q' : 0;
	json_t *resp = what ? json_pack("{s:s,s:O,s:{s:f}}", "jsonrpc", "2.0", "id",
					id ? id : json_null(), "result", "t_ms", (double)now / 1e3)
			    : json_pack("{s:s,s:O,s:{s:i,s:s}}", "jsonrpc", "2.0", "id",
					id ? id : json_null(), "error", "code", -32601, "message",
					"methods: step, continue, stop");
	char *s = json_dumps(resp, JSON_COMPACT);
	if (s) {
		if (send(fd, s, strlen(s), MSG_NOSIGNAL) > 0)
			(void)send(fd, "\n", 1, MSG_NOSIGNAL);
		free(s);
	}
	json_decref(resp);
	json_decref(req);
	close(fd);
	return what;
}

/* --step: say what comes next and wait for Enter ("c" runs on), or for
 * ampsim step / continue on the run's step socket */
static bool step_prompt(const struct run *r, const struct virtual_play *vp, size_t next_step,
			uint64_t t, bool *stepping)
{
	char labels[1024];
	vcoord_labels(r->vc, t, labels, sizeof(labels));
	fprintf(stderr, "\n[t = %.3f s] next instant: t = %.3f s%s", (double)vcoord_now(r->vc) / 1e6,
		(double)t / 1e6, labels);
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
	static bool stdin_open = true;
	for (;;) {
		/* stdin is left out once it has ended (no terminal) */
		struct pollfd pf[2] = { { stdin_open ? STDIN_FILENO : -1, POLLIN, 0 },
					{ vp->step_fd, POLLIN, 0 } };
		if (!stdin_open && vp->step_fd < 0)
			return *stepping = false, true;
		/* in slices, so that a Ctrl-C landing just before the poll is seen */
		int ready = poll(pf, 2, 200);
		if (vcoord_interrupted())
			return false;
		if (ready == 0)
			continue;
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			return *stepping = false, true;
		}
		int what = 0;
		if (pf[0].revents) {
			char line[32];
			if (!fgets(line, sizeof(line), stdin)) {
				/* no terminal: the step socket alone drives the run */
				stdin_open = false;
				fprintf(stderr, "\n  (standard input is closed: waiting for ampsim "
					"step|continue on the run's step socket)\n");
				continue;
			}
			what = line[0] == 'c' ? 'c' : line[0] == 'q' ? 'q' : 's';
		} else if (pf[1].revents) {
			what = step_request(vp->step_fd, vcoord_now(r->vc));
			if (what)
				fprintf(stderr, "(%s)\n", what == 's' ? "step" : what == 'c' ? "continue"
								       : "stop");
		}
		if (what == 'c')
			*stepping = false;
		if (what)
			return what != 'q';
	}
}

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

bool play_virtual(struct run *r, const struct virtual_play *vp, bool *final, bool *settled_quiet,
		  char *why, size_t whylen)
{
	size_t handed = 0;
	const char *nodes[2];
	size_t next_step = 0;
	uint64_t wall0 = mono_us();
	bool stepping = vp->step;
	char e[512], waiting[256];
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
		if (r->nqueued && r->alice > 0) {
			/* payments due while alice was down, one at a time too */
			size_t before = r->nqueued;
			flush_one(r);
			if (r->nqueued != before) {
				vcoord_advance(r->vc, now);
				continue;
			}
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
		if (next_step == vp->nsteps && started && now > vp->horizon &&
		    !transit_plays_on(r, now, vp->horizon)) {
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
		if (stepping && !step_prompt(r, vp, next_step, t, &stepping)) {
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

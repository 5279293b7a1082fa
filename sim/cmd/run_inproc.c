/* ampsim run --in-process: the scenario's steps played on the world
 * (sim/world/), both engines in this process, with the same loop as the
 * virtual clock's (run_virtual.c): settle the instant, carry out the steps
 * due, hand alice her workload ahead, stop when quiet, else move to the
 * next instant. It writes each node's event log where the daemons would,
 * and answers what their control sockets would, so the summary, the
 * metrics, --events and --timeline are made by the same code as for the
 * two daemons. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bob_engine.h"
#include "capture.h"
#include "daemon.h"
#include "clock.h"
#include "events.h"
#include "frame.h"
#include "log.h"
#include "pay_engine.h"
#include "pay_json.h"
#include "payer.h"
#include "run.h"
#include "vcoord.h"
#include "world.h"

/* As run_virtual.c: payments per slice handed to alice ahead. */
#define AHEAD_SLICE 400

struct inproc {
	const struct world *w;
	struct simclock clk;       /* heights, for the event logs */
	struct evlog *log[2];
	bool write;                /* the logs go to files */
	struct ev_tally *tally;
	uint64_t last_us;          /* the latest event's time */
	const char *diag[2];       /* each node's diagnostics, as its daemon's log */
	struct capture *cap;       /* --pcap: bob's capture, as under the daemons */
};

static void on_frame(void *ctx, enum world_node node, bool sent, const char *channel,
		     const uint8_t *bytes, size_t len)
{
	struct inproc *ip = ctx;
	if (node == WORLD_BOB && ip->cap)
		capture_frame(ip->cap, world_now(ip->w), sent, channel, bytes, len);
}

/* t_ms as the event log writes it (10 significant digits) and reads it
 * back: the summary's figures are those of the files, digit for digit. */
static double t_ms_written(uint64_t us)
{
	/* below 10^10 us the 10 digits hold every digit of the ms with its
	 * three decimals: the text reads back as the quotient itself */
	if (us < 10000000000ULL)
		return (double)us / 1000.0;
	char buf[40];
	snprintf(buf, sizeof(buf), "%.10g", (double)us / 1000.0);
	return strtod(buf, NULL);
}

static const char *field_str(const struct evrec *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->f[i].type == EVF_STR && strcmp(r->f[i].key, key) == 0)
			return evrec_field_str(r, i);
	return "";
}

static double field_num(const struct evrec *r, const char *key)
{
	const struct evf *f = evrec_find(r, key);
	if (!f)
		return 0;
	switch (f->type) {
	case EVF_U64: return (double)f->v.u64;
	case EVF_I64: return (double)f->v.i64;
	case EVF_REAL: return f->v.real;
	case EVF_BOOL:
	case EVF_STR: break;
	}
	return 0;
}

static void on_event(void *ctx, enum world_node node, const struct evrec *r)
{
	struct inproc *ip = ctx;
	if (ip->write)
		evlog_emit_rec(ip->log[node], r);
	ip->last_us = world_now(ip->w);
	if (!tally_wants(r->name, strlen(r->name)))
		return;
	struct tally_ev e = {
		.name = r->name, .node = world_node_name(node), .payment = field_str(r, "payment"),
		.outcome = field_str(r, "outcome"), .channel = field_str(r, "channel"),
		.t_ms = t_ms_written(world_now(ip->w)), .htlc = (int64_t)field_num(r, "htlc"),
		.amount_msat = field_num(r, "amount_msat"),
	};
	tally_rec(ip->tally, &e);
}

static void on_violation(void *ctx, enum world_node node, const char *text)
{
	struct inproc *ip = ctx;
	evlog_violation(ip->log[node], "%s", text);
	/* where the daemon's diagnostics would be: the run's problem names it */
	FILE *f = fopen(ip->diag[node], "a");
	if (f) {
		fprintf(f, "%s: warning: INVARIANT VIOLATION: %s\n", world_node_name(node), text);
		fclose(f);
	}
}

/* A run this long forgets alice's finished payments as her daemon does by
 * default, keeping the most recent (docs/world.md): its memory stays flat. */
#define FORGET_ABOVE 100000
#define FORGET_KEEP 10000

struct forgotten {
	const struct world *w;
	const struct scenario *s;
	bool full;
	json_t *pays;
	struct pay_digests *digests;
	struct ev_tally *tally;
};

static unsigned retries_of(const struct payment *p)
{
	unsigned n = 0;
	for (size_t i = 0; i < p->nparts; i++)
		n += p->parts[i].attempt > 0;
	return n;
}

static json_t *pay_entry(const struct pay_engine *e, const struct scenario *s, bool full,
			 const struct payment *p);

static void on_forget(void *ctx, const struct payment *p)
{
	struct forgotten *f = ctx;
	/* finished: no event of it is left to come, its times can go */
	digests_add(f->digests, p->id, p->outcome, retries_of(p), f->tally, true);
	json_t *j = pay_entry(world_alice(f->w), f->s, f->full, p);
	if (j)
		json_object_set_new(f->pays, p->id, j);
}

struct otw {
	json_t *arr;
	const char *to;
	struct frame_arena *arena;
};

/* One entry of getinfo's on_the_way, as a daemon's peer_pending_list
 * writes it. */
static void on_the_way(void *ctx, const char *message, const char *channel,
		       const uint8_t *frame, size_t len, bool held, uint64_t due_us)
{
	struct otw *o = ctx;
	json_t *e = json_object();
	json_set_str(e, "message", message);
	json_set_str(e, "channel", channel);
	json_set_str(e, "to", o->to);
	Ampsim__Envelope *env = NULL;
	size_t used;
	char why[128];
	frame_arena_reset(o->arena);
	if (frame_decode(o->arena, frame, len, &used, &env, why, sizeof(why)) == FRAME_OK &&
	    envelope_htlc(env) >= 0)
		json_object_set_new(e, "htlc", json_integer(envelope_htlc(env)));
	if (held)
		json_object_set_new(e, "held", json_true());
	else
		json_object_set_new(e, "due_ms", json_real((double)due_us / 1000.0));
	json_array_append_new(o->arr, e);
}

static json_t *info(const struct world *w, enum world_node node)
{
	struct otw o = { json_array(), node == WORLD_ALICE ? "bob" : "alice",
			 xcalloc(1, sizeof(struct frame_arena)) };
	frame_arena_init(o.arena);
	world_on_the_way(w, node, on_the_way, &o);
	free(o.arena);
	return json_pack("{s:i,s:I,s:o}", "violations", (int)world_violations(w, node),
			 "messages_pending", (json_int_t)world_pending(w, node), "on_the_way", o.arr);
}

/* What the daemons' control sockets would answer at the end. */
/* A payment as listpayments would show it; without --json, a workload's
 * payment is not listed: its digest holds what the summary reads. */
static json_t *pay_entry(const struct pay_engine *e, const struct scenario *s, bool full,
			 const struct payment *p)
{
	bool whole = full;
	for (size_t k = 0; k < s->npayments && !whole; k++)
		whole = strcmp(s->payments[k].id, p->id) == 0;
	return whole ? pay_json(e, p) : NULL;
}

static void answers(const struct world *w, const struct scenario *s, bool full, json_t **pays,
		    struct pay_digests *digests, struct ev_tally *tally, json_t **ca, json_t **cb,
		    json_t **ia, json_t **ib)
{
	/* a node down at the end answers nothing, as a killed daemon */
	if (world_up(w, WORLD_ALICE)) {
		const struct pay_engine *e = world_alice(w);
		if (!*pays)
			*pays = json_object();
		for (size_t i = 0; i < e->npays; i++) {
			const struct payment *p = &e->pays[i];
			digests_add(digests, p->id, p->outcome, retries_of(p), tally, false);
			json_t *j = pay_entry(e, s, full, p);
			if (j)
				json_object_set_new(*pays, p->id, j);
		}
		*ca = json_object();
		for (size_t i = 0; i < world_nchans(w); i++) {
			struct chan v;
			world_chan_view(w, WORLD_ALICE, i, &v);
			json_object_set_new(*ca, v.ledger.id, chan_json(&v));
		}
		*ia = info(w, WORLD_ALICE);
	} else {
		json_decref(*pays);
		*pays = NULL;
	}
	if (world_up(w, WORLD_BOB)) {
		*cb = json_object();
		for (size_t i = 0; i < world_bob(w)->nchans; i++) {
			struct chan v;
			world_chan_view(w, WORLD_BOB, i, &v);
			json_object_set_new(*cb, v.ledger.id, chan_json(&v));
		}
		*ib = info(w, WORLD_BOB);
	}
}

/* The crash that has a node down at the end, as run_steps.c keeps it:
 * its last crash with no restart after it. */
static void down_at_end(struct run *r, const struct world *w, const struct virtual_play *vp)
{
	for (size_t i = 0; i < vp->nsteps && vp->steps[i].at_us <= world_now(w); i++) {
		const struct fault_config *f = vp->steps[i].fault;
		if (!f || (f->action != FAULT_CRASH && f->action != FAULT_RESTART))
			continue;
		int n = f->target == NODE_ALICE ? 0 : 1;
		r->crashed[n] = f->action == FAULT_CRASH ? f : NULL;
	}
	for (int n = 0; n < 2; n++)
		if (world_up(w, n ? WORLD_BOB : WORLD_ALICE))
			r->crashed[n] = NULL;
}

/* --progress: a line on stderr at every 100,000th payment started, with
 * the rate since the last, so a long run shows how it goes (and whether
 * its last payments go as fast as its first). */
#define PROGRESS_EVERY 100000

struct progress {
	bool on;
	uint64_t next, wall0, wall_last, last;
};

static void progress(struct progress *pg, const struct world *w)
{
	uint64_t n = world_alice(w)->last_seq;
	if (!pg->on || n < pg->next)
		return;
	uint64_t now = simclock_wall_now_us();
	double since = (double)(now - pg->wall_last) / 1e6;
	fprintf(stderr, "ampsim run: %llu payments started, t = %.1f s simulated, %.1f s of wall "
		"time: %.0f payments per wall second since the last line\n", (unsigned long long)n,
		(double)world_now(w) / 1e6, (double)(now - pg->wall0) / 1e6,
		since > 0 ? (double)(n - pg->last) / since : 0.0);
	pg->wall_last = now;
	pg->last = n;
	pg->next = (n / PROGRESS_EVERY + 1) * PROGRESS_EVERY;
}

bool world_play(struct world *w, const struct virtual_play *vp, const char *path, bool *final,
		bool *quiet, char *why, size_t whylen)
{
	*final = *quiet = false;
	char err[256];
	struct progress pg = { vp->progress, PROGRESS_EVERY, simclock_wall_now_us(), 0, 0 };
	bool stepping = vp->step;
	uint64_t wall0 = pace_now_us();
	pg.wall_last = pg.wall0;
	bool ok = true;
	size_t next_step = 0, handed = 0;
	struct inproc_steps q;
	memset(&q, 0, sizeof(q));
	uint64_t horizon = vp->horizon;
	world_start(w);
	for (;;) {
		if (vcoord_interrupted()) {
			snprintf(why, whylen, "interrupted at t = %.3f s", (double)world_now(w) / 1e6);
			ok = false;
			break;
		}
		world_settle(w);
		world_compact(w);
		progress(&pg, w);
		if (world_broken(w))
			break;            /* the checker's: the caller says what */
		uint64_t now = world_now(w);
		if (next_step < vp->nsteps && vp->steps[next_step].at_us <= now) {
			inproc_step(w, &q, &vp->steps[next_step++]);
			continue;
		}
		const struct payment_config *late = inproc_flush_one(w, &q);
		if (late) {
			/* a payment due while alice could not take it: it may be
			 * busy until later than planned */
			horizon = plan_busy_until(world_scenario(w), late, now, horizon);
			continue;
		}
		bool started = handed == vp->nahead &&
			       (vp->nahead == 0 || now >= vp->ahead[vp->nahead - 1]->at_us);
		if (next_step == vp->nsteps && started && q.nqueued == 0 && world_quiet(w, final)) {
			*quiet = true;
			break;
		}
		if (next_step == vp->nsteps && started && now > horizon &&
		    !(now <= horizon + TRANSIT_GRACE_US &&
		      (world_pending(w, WORLD_ALICE) || world_pending(w, WORLD_BOB)))) {
			/* past the horizon, and no message is left waiting for its
			 * delay (run_transit.c: the same rule as the daemons') */
			world_quiet(w, final);
			break;
		}
		uint64_t t = world_next(w);
		if (next_step < vp->nsteps && vp->steps[next_step].at_us < t)
			t = vp->steps[next_step].at_us;
		if (handed < vp->nahead && vp->ahead[handed]->at_us <= t) {
			size_t end = handed + AHEAD_SLICE < vp->nahead ? handed + AHEAD_SLICE : vp->nahead;
			for (; handed < end; handed++) {
				if (!world_schedule(w, vp->ahead[handed], err, sizeof(err))) {
					snprintf(why, whylen, "%s:%d: %s", path,
						 vp->ahead[handed]->line, err);
					ok = false;
					break;
				}
			}
			if (!ok)
				break;
			continue;
		}
		if (t == WORLD_NO_TIMER) {
			world_quiet(w, final);
			break;
		}
		if (stepping) {
			char labels[1024];
			world_labels(w, t, labels, sizeof(labels));
			if (!step_prompt(labels, now, vp, next_step, t, &stepping)) {
				snprintf(why, whylen, "%s at t = %.3f s", vcoord_interrupted()
					 ? "interrupted" : "stopped by the user", (double)now / 1e6);
				ok = false;
				break;
			}
		}
		pace(wall0, t, vp->speed);
		world_advance(w, t);
	}
	inproc_steps_free(&q);
	return ok;
}

bool play_inprocess(struct run *r, const struct virtual_play *vp, struct inproc_result *res,
		    char *why, size_t whylen)
{
	struct inproc ip;
	memset(&ip, 0, sizeof(ip));
	ip.write = res->write_events;
	ip.diag[WORLD_ALICE] = r->alice_log;
	ip.diag[WORLD_BOB] = r->bob_log;
	ip.tally = res->tally;
	char err[512];
	const char *paths[2] = { ip.write ? r->alice_events : NULL, ip.write ? r->bob_events : NULL };
	ip.clk.block_interval_us = r->s->block_interval_us;
	ip.clk.time_scale = r->s->time_scale;
	for (int i = 0; i < 2; i++) {
		ip.log[i] = evlog_open(paths[i], world_node_name((enum world_node)i), &ip.clk, err,
				       sizeof(err));
		if (!ip.log[i]) {
			snprintf(why, whylen, "%s", err);
			evlog_close(ip.log[0]);
			return false;
		}
	}
	if (r->pcap && !(ip.cap = capture_open(r->pcap, CAPTURE_BOB, err, sizeof(err)))) {
		snprintf(why, whylen, "--pcap %s", err);
		evlog_close(ip.log[0]);
		evlog_close(ip.log[1]);
		return false;
	}
	struct world_sink sink = { on_event, on_violation, NULL, on_frame, &ip };
	struct world *w = world_new(r->s, &sink, err, sizeof(err));
	if (!w) {
		snprintf(why, whylen, "%s", err);
		evlog_close(ip.log[0]);
		evlog_close(ip.log[1]);
		return false;
	}
	for (int i = 0; i < 2; i++)
		evlog_set_now(ip.log[i], world_clock(w));
	ip.w = w;
	size_t nwork = 0;
	for (size_t i = 0; i < r->s->nworkloads; i++)
		nwork += r->s->workloads[i].count;
	struct forgotten fg = { w, r->s, r->json, NULL, res->digests, res->tally };
	size_t keep = r->keep_payments ? r->keep_payments
		    : nwork + r->s->npayments > FORGET_ABOVE ? FORGET_KEEP : 0;
	if (keep) {
		fg.pays = json_object();
		world_set_forget(w, keep, on_forget, &fg);
	}
	res->pays = fg.pays;
	world_set_epoch(w, simclock_wall_now_us());
	bool ok = world_play(w, vp, r->s->path, &res->final, &res->settled_quiet, why, whylen);
	/* what the daemons' sockets answer before they are stopped: a message
	 * held on a down link is still on its way */
	down_at_end(r, w, vp);
	answers(w, r->s, r->json, &res->pays, res->digests, res->tally, &res->ca, &res->cb, &res->ia,
		&res->ib);
	world_stop(w);
	if (ip.last_us)
		tally_time(ip.tally, t_ms_written(ip.last_us));
	world_free(w);
	capture_close(ip.cap);
	evlog_close(ip.log[0]);
	evlog_close(ip.log[1]);
	return ok;
}

void inproc_exits(const struct run *r, json_t *ia, json_t *ib, char *why, size_t n)
{
	json_t *info[2] = { ia, ib };
	const char *names[2] = { "alice", "bob" };
	const char *logs[2] = { r->alice_log, r->bob_log };
	for (int i = 0; i < 2; i++) {
		if (json_integer_value(json_object_get(info[i], "violations")) == 0)
			continue;
		/* a daemon that logged an invariant violation exits 1 */
		size_t len = strlen(why);
		snprintf(why + len, n - len, "%s%s exited with status 1 (see %s)", len ? "; " : "",
			 names[i], logs[i]);
	}
}

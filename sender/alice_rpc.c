/* alice's control socket: the JSON-RPC methods (getinfo, pay, fault,
 * listpayments, ...). Each handler checks its parameters and calls the
 * shell (alice.c) or the benchmark (alice_bench.c). */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alice.h"
#include "alice_bench.h"
#include "alice_params.h"
#include "alice_rpc.h"
#include "pay_json.h"
#include "alice_sched.h"
#include "amount.h"
#include "daemon.h"
#include "events.h"
#include "invoice.h"
#include "log.h"
#include "peer.h"
#include "rpc.h"
#include "split.h"
#include "units.h"

static json_t *rpc_getinfo(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct alice *a = arg;
	json_t *r = json_object();
	json_set_str(r, "node", "alice");
	json_set_str(r, "version", AMPSIM_VERSION);
	json_object_set_new(r, "height", json_integer(simclock_height_of(&a->clk, alice_now(a))));
	json_object_set_new(r, "t_ms", json_real((double)alice_now(a) / 1000.0));
	json_object_set_new(r, "connected", json_boolean(a->peer != NULL &&
							  a->eng.accepted == a->eng.nchans));
	json_set_u64(r, "reconnects", a->eng.reconnects);
	json_object_set_new(r, "violations", json_integer(evlog_violations(a->log)));
	json_object_set_new(r, "channels", json_integer((json_int_t)a->eng.nchans));
	json_object_set_new(r, "payments", json_integer((json_int_t)a->eng.npays));
	size_t pending = 0;
	for (size_t i = 0; i < a->eng.npays; i++)
		pending += a->eng.pays[i].outcome == OUTCOME_PENDING;
	json_object_set_new(r, "payments_pending", json_integer((json_int_t)pending));
	json_object_set_new(r, "messages_pending", json_integer(a->peer ? peer_pending(a->peer) : 0));
	json_object_set_new(r, "messages_held", json_integer(a->peer ? peer_held(a->peer) : 0));
	json_t *otw = json_array();   /* which messages, when there are any */
	if (a->peer)
		peer_pending_list(a->peer, "bob", otw);
	json_object_set_new(r, "on_the_way", otw);
	json_set_u64(r, "settled", a->eng.settled);
	json_set_u64(r, "failed", a->eng.failed);
	json_set_u64(r, "refunded", a->eng.refunded);
	json_set_u64(r, "partial", a->eng.partial);
	json_set_u64(r, "scheduled", alice_sched_waiting(a->sched));
	json_set_str(r, "behaviour", alice_behaviour_name(a->behaviour));
	json_set_u64(r, "frames_sent", peer_frames_written());
	json_set_u64(r, "commits", turn_commits(a->turn));
	json_set_u64(r, "fsyncs", store_fsyncs());
	uint64_t pongs, wall_us;
	if (alice_bench_ping_result(a->bench, &pongs, &wall_us)) {
		json_set_u64(r, "pongs", pongs);
		json_set_u64(r, "ping_wall_us", wall_us);
	}
	return r;
}

static json_t *rpc_channels(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct alice *a = arg;
	json_t *r = json_object();
	for (size_t i = 0; i < a->eng.nchans; i++) {
		/* the engine's ledger, the shell's links */
		struct chan view = a->links[i];
		view.ledger = a->eng.chans[i].ledger;
		view.accepted = a->eng.chans[i].accepted;
		json_object_set_new(r, view.ledger.id, chan_json(&view));
	}
	return r;
}

static json_t *rpc_listpayments(json_t *params, void *arg, struct rpc_err *err)
{
	(void)err;
	struct alice *a = arg;
	const char *only = json_string_value(json_object_get(params, "id"));
	bool summary = json_is_true(json_object_get(params, "summary"));
	json_t *r = json_object();
	for (size_t i = 0; i < a->eng.npays; i++) {
		const struct payment *p = &a->eng.pays[i];
		if (only && strcmp(only, p->id) != 0)
			continue;
		if (summary)
			json_object_set_new(r, p->id, json_string(outcome_name(p->outcome)));
		else
			json_object_set_new(r, p->id, pay_json(&a->eng, p));
	}
	return r;
}

/* A payment id as scenario files have them. */
static bool id_ok(const char *id)
{
	return id[0] && strlen(id) < SCN_ID_MAX &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
		       strlen(id);
}

static json_t *rpc_pay(json_t *params, void *arg, struct rpc_err *err)
{
	struct alice *a = arg;
	struct pay_params pp;
	if (!a->ready_written)
		return rpc_fail(err, RPC_REFUSED, "not connected to bob yet");
	if (!pay_params_parse(params, &a->eng, a->bob_id, &pp, err))
		return NULL;
	pp.req.deadline_us = alice_now(a) + pp.timeout_us;

	const struct payment *p = alice_pay(a, &pp.req);
	json_t *r = json_object();
	json_set_str(r, "id", p->id);
	json_set_str(r, "outcome", outcome_name(p->outcome));
	if (p->outcome != OUTCOME_PENDING && p->why[0])
		json_set_str(r, "why", p->why);   /* it ended at once: say why */
	return r;
}

/* schedule {payments: [[id, at_us, amount_msat, mode, shards, expiry_blocks,
 * timeout_us], ...]}: payments that start at their simulated instant from
 * alice's own timer. All are checked before any is queued. */
static json_t *rpc_schedule(json_t *params, void *arg, struct rpc_err *err)
{
	struct alice *a = arg;
	json_t *list = json_object_get(params, "payments");
	if (!a->ready_written)
		return rpc_fail(err, RPC_REFUSED, "not connected to bob yet");
	if (!json_is_array(list))
		return rpc_fail(err, RPC_INVALID_PARAMS, "payments must be a list");
	if (json_array_size(list) + alice_sched_waiting(a->sched) > ALICE_SCHED_MAX)
		return rpc_fail(err, RPC_INVALID_PARAMS, "at most %d payments may wait",
				ALICE_SCHED_MAX);
	size_t i;
	json_t *v;
	uint64_t after = alice_sched_last(a->sched, alice_now(a));
	json_array_foreach(list, i, v) {
		const char *id = json_string_value(json_array_get(v, 0));
		const char *mode = json_string_value(json_array_get(v, 3));
		enum pay_mode m;
		bool ints = json_array_size(v) == 7;
		for (size_t k = 1; k < 7 && ints; k++)
			ints = k == 3 || (json_is_integer(json_array_get(v, k)) &&
					  json_integer_value(json_array_get(v, k)) >= 0);
		if (!ints || !id || !id_ok(id) || !mode || !pay_mode_parse(mode, &m) ||
		    json_integer_value(json_array_get(v, 2)) == 0 ||
		    json_integer_value(json_array_get(v, 4)) > SPLIT_MAX_PARTS ||
		    json_integer_value(json_array_get(v, 5)) == 0 ||
		    json_integer_value(json_array_get(v, 5)) > UINT32_MAX)
			return rpc_fail(err, RPC_INVALID_PARAMS,
					"payments[%zu]: expected [id, at_us, amount_msat > 0, mode, "
					"shards 0..%d, expiry_blocks > 0, timeout_us]", i, SPLIT_MAX_PARTS);
		uint64_t at = (uint64_t)json_integer_value(json_array_get(v, 1));
		if (at < after)
			return rpc_fail(err, RPC_INVALID_PARAMS,
					"payments[%zu] starts at %llu us, before %llu us: payments are "
					"handed in the order they start, none in the past", i,
					(unsigned long long)at, (unsigned long long)after);
		after = at;
	}
	if (!a->sched)
		a->sched = alice_sched_new(a);
	json_array_foreach(list, i, v) {
		char why[200];
		enum pay_mode m = PAY_AMP;
		pay_mode_parse(json_string_value(json_array_get(v, 3)), &m);
		if (!alice_sched_add(a->sched, json_string_value(json_array_get(v, 0)),
				     (uint64_t)json_integer_value(json_array_get(v, 1)),
				     amount_msat((uint64_t)json_integer_value(json_array_get(v, 2))), m,
				     (uint32_t)json_integer_value(json_array_get(v, 4)),
				     (uint32_t)json_integer_value(json_array_get(v, 5)),
				     (uint64_t)json_integer_value(json_array_get(v, 6)), why, sizeof(why)))
			return rpc_fail(err, RPC_INVALID_PARAMS, "payments[%zu]: %s", i, why);
	}
	return json_pack("{s:I}", "scheduled", (json_int_t)alice_sched_waiting(a->sched));
}

static json_t *rpc_fault(json_t *params, void *arg, struct rpc_err *err)
{
	struct alice *a = arg;
	struct fault_config f;
	const char *channel;
	bool lift;
	if (!fault_request_parse(params, &f, &channel, &lift, err))
		return NULL;
	size_t only = channel ? pay_engine_find_chan(&a->eng, channel) : SIZE_MAX;
	if (channel && only == SIZE_MAX)
		return rpc_fail(err, RPC_INVALID_PARAMS, "unknown channel '%s'", channel);
	for (size_t i = 0; i < a->eng.nchans; i++) {
		const char *no = only != SIZE_MAX && i != only ? NULL
			       : chan_fault_refused(&a->links[i], DIR_TO_BOB, &f, lift);
		if (no)
			return rpc_fail(err, RPC_INVALID_PARAMS, "%s: %s on %s", f.text, no,
					a->eng.chans[i].ledger.id);
	}
	/* a channel may come up for a waiting payment: the shell retries them */
	alice_fault(a, only, &f, lift);
	return json_pack("{s:b}", "ok", 1);
}

static json_t *rpc_bench(json_t *params, void *arg, struct rpc_err *err)
{
	struct alice *a = arg;
	struct bench_params bp;
	struct bench_status st;
	alice_bench_status(a->bench, &st);
	if (st.total)
		return rpc_fail(err, RPC_REFUSED, "a benchmark has already run in this daemon");
	if (!a->ready_written)
		return rpc_fail(err, RPC_REFUSED, "not connected to bob yet");
	if (!bench_params_parse(params, &bp, err))
		return NULL;
	if (!alice_bench_start(a->bench, &bp))
		return rpc_fail(err, RPC_REFUSED, "a benchmark has already run in this daemon");
	return json_pack("{s:b}", "ok", 1);
}

static json_t *rpc_benchstatus(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct alice *a = arg;
	struct bench_status st;
	alice_bench_status(a->bench, &st);
	json_t *r = json_object();
	json_set_u64(r, "total", st.total);
	json_set_u64(r, "done", st.done);
	json_set_u64(r, "settled", st.settled);
	if (st.finished) {
		json_set_u64(r, "wall_us", st.wall_us);
		json_set_u64(r, "p50_us", st.p50_us);
		json_set_u64(r, "p99_us", st.p99_us);
		json_set_u64(r, "htlcs_fulfilled", st.htlcs_fulfilled);
		json_t *marks = json_array();
		for (size_t i = 0; i < st.nmarks; i++)
			json_array_append_new(marks, json_integer((json_int_t)st.marks_us[i]));
		json_object_set_new(r, "marks_us", marks);
	}
	return r;
}

static json_t *rpc_pingtest(json_t *params, void *arg, struct rpc_err *err)
{
	struct alice *a = arg;
	json_t *n = json_object_get(params, "count"), *w = json_object_get(params, "window");
	if (!a->peer)
		return rpc_fail(err, RPC_REFUSED, "not connected");
	if (!json_is_integer(n) || json_integer_value(n) < 1)
		return rpc_fail(err, RPC_INVALID_PARAMS, "count must be a positive integer");
	uint64_t window = json_is_integer(w) && json_integer_value(w) > 0 ? (uint64_t)json_integer_value(w) : 1;
	alice_bench_ping(a->bench, (uint64_t)json_integer_value(n), window);
	return json_pack("{s:b}", "ok", 1);
}

static json_t *rpc_disconnect(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	struct alice *a = arg;
	if (!a->peer)
		return rpc_fail(err, RPC_REFUSED, "not connected");
	struct evrec r;
	evrec_init(&r, "fault_applied");
	evrec_str(&r, "action", "disconnect");
	evlog_emit_rec(a->log, &r);
	/* the TCP connection is cut; reconnection and reestablish follow */
	peer_close(a->peer, "disconnect fault");
	return json_pack("{s:b}", "ok", 1);
}

static json_t *rpc_stop(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct alice *a = arg;
	a->stopping = true;
	/* a moment for this answer to go out before the loop ends */
	struct timeval tv = { 0, 20000 };
	event_base_loopexit(a->base, &tv);
	return json_pack("{s:b}", "ok", 1);
}

const struct rpc_method alice_methods[] = {
	{ "getinfo", rpc_getinfo, "getinfo: height, counters, invariant violations" },
	{ "channels", rpc_channels, "channels: Alice's view of every channel" },
	{ "pay", rpc_pay, "pay {id, amount, mode, shards, expiry, timeout} or {invoice}: start a payment" },
	{ "schedule", rpc_schedule, "schedule {payments: [[id, at_us, amount_msat, mode, shards, expiry_blocks, timeout_us]...]}: start each at its instant" },
	{ "listpayments", rpc_listpayments, "listpayments {id?, summary?}: payments and their parts" },
	{ "fault", rpc_fault, "fault {channel, direction, action, lift}: impair a channel" },
	{ "bench", rpc_bench, "bench {payments | seconds, concurrency, mode, shards, amount}: drive payments" },
	{ "benchstatus", rpc_benchstatus, "benchstatus: progress and latencies of the benchmark" },
	{ "pingtest", rpc_pingtest, "pingtest {count}: ping-pong count messages with bob" },
	{ "disconnect", rpc_disconnect, "disconnect: cut the TCP connection (it reconnects)" },
	{ "stop", rpc_stop, "stop: shut the daemon down" },
	{ NULL, NULL, NULL },
};

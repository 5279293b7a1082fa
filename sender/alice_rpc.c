/* alice's control socket: the JSON-RPC methods (getinfo, pay, fault,
 * listpayments, ...), the payment benchmark they drive and the ping test of
 * the transport. Each handler checks its parameters and calls the shell
 * (alice.c). */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alice.h"
#include "amount.h"
#include "daemon.h"
#include "events.h"
#include "invoice.h"
#include "log.h"
#include "payer.h"
#include "peer.h"
#include "rpc.h"
#include "split.h"
#include "units.h"

static struct payment *add_payment(struct alice *a, const struct payment *p);

static json_t *rpc_getinfo(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct alice *a = arg;
	json_t *r = json_object();
	json_set_str(r, "node", "alice");
	json_set_str(r, "version", AMPSIM_VERSION);
	json_object_set_new(r, "height", json_integer(simclock_height(&a->clk)));
	json_object_set_new(r, "t_ms", json_real((double)simclock_now(&a->clk) / 1000.0));
	json_object_set_new(r, "connected", json_boolean(a->peer != NULL && a->accepted == a->nchans));
	json_set_u64(r, "reconnects", a->reconnects);
	json_object_set_new(r, "violations", json_integer(evlog_violations(a->log)));
	json_object_set_new(r, "channels", json_integer((json_int_t)a->nchans));
	json_object_set_new(r, "payments", json_integer((json_int_t)a->npays));
	size_t pending = 0;
	for (size_t i = 0; i < a->npays; i++)
		pending += a->pays[i].outcome == OUTCOME_PENDING;
	json_object_set_new(r, "payments_pending", json_integer((json_int_t)pending));
	json_object_set_new(r, "messages_pending", json_integer(a->peer ? peer_pending(a->peer) : 0));
	json_object_set_new(r, "messages_held", json_integer(a->peer ? peer_held(a->peer) : 0));
	json_set_u64(r, "settled", a->settled);
	json_set_u64(r, "failed", a->failed);
	json_set_u64(r, "refunded", a->refunded);
	json_set_u64(r, "partial", a->partial);
	json_set_str(r, "behaviour", alice_behaviour_name(a->behaviour));
	if (a->ping_done_us) {
		json_set_u64(r, "pongs", a->pongs_got);
		json_set_u64(r, "ping_wall_us", a->ping_done_us - a->ping_started_us);
	}
	return r;
}

static json_t *rpc_channels(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct alice *a = arg;
	json_t *r = json_object();
	for (size_t i = 0; i < a->nchans; i++)
		json_object_set_new(r, a->chans[i].c.ledger.id, chan_json(&a->chans[i].c));
	return r;
}

static json_t *rpc_listpayments(json_t *params, void *arg, struct rpc_err *err)
{
	(void)err;
	struct alice *a = arg;
	const char *only = json_string_value(json_object_get(params, "id"));
	bool summary = json_is_true(json_object_get(params, "summary"));
	json_t *r = json_object();
	for (size_t i = 0; i < a->npays; i++) {
		if (only && strcmp(only, a->pays[i].id) != 0)
			continue;
		if (summary)
			json_object_set_new(r, a->pays[i].id, json_string(outcome_name(a->pays[i].outcome)));
		else
			json_object_set_new(r, a->pays[i].id, payment_json(a, &a->pays[i]));
	}
	return r;
}

static bool param_amount(json_t *params, const char *key, struct amount_msat *out,
			 struct rpc_err *err)
{
	json_t *v = json_object_get(params, key);
	const char *why;
	if (json_is_string(v)) {
		if (!amount_parse(json_string_value(v), out, &why)) {
			rpc_fail(err, RPC_INVALID_PARAMS, "%s '%s': %s", key, json_string_value(v), why);
			return false;
		}
		return true;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = amount_msat((uint64_t)json_integer_value(v));
		return true;
	}
	rpc_fail(err, RPC_INVALID_PARAMS, "%s: expected an amount such as \"1btc\"", key);
	return false;
}

static json_t *rpc_pay(json_t *params, void *arg, struct rpc_err *err)
{
	struct alice *a = arg;
	const char *id = json_string_value(json_object_get(params, "id"));
	const char *mode = json_string_value(json_object_get(params, "mode"));
	const char *expiry = json_string_value(json_object_get(params, "expiry"));
	const char *timeout = json_string_value(json_object_get(params, "timeout"));
	const char *invtext = json_string_value(json_object_get(params, "invoice"));
	json_t *shards = json_object_get(params, "shards");
	struct payment p;
	struct invoice inv;
	const char *why;
	char autoid[SCN_ID_MAX];

	if (!a->ready_written)
		return rpc_fail(err, RPC_REFUSED, "not connected to bob yet");
	memset(&p, 0, sizeof(p));
	p.outcome = OUTCOME_PENDING;
	p.mode = PAY_AMP;
	p.expiry_blocks = 40;
	uint64_t timeout_us = 60ULL * 1000000;
	if (!id) {
		for (size_t n = a->npays + 1;; n++) {
			snprintf(autoid, sizeof(autoid), "pay%zu", n);
			if (!find_pay(a, autoid))
				break;
		}
		id = autoid;
	}
	if (strlen(id) >= SCN_ID_MAX || !id[0] || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(id))
		return rpc_fail(err, RPC_INVALID_PARAMS,
				"id must be 1..%d letters, digits, '_' or '-' (as in scenario files)",
				SCN_ID_MAX - 1);
	if (find_pay(a, id))
		return rpc_fail(err, RPC_INVALID_PARAMS, "payment '%s' already exists", id);
	snprintf(p.id, sizeof(p.id), "%s", id);
	if (mode && !pay_mode_parse(mode, &p.mode))
		return rpc_fail(err, RPC_INVALID_PARAMS, "mode '%s': expected single, invoices, mpp or amp", mode);
	if (invtext) {
		char w[128];
		if (!invoice_decode(invtext, &inv, w, sizeof(w)))
			return rpc_fail(err, RPC_INVALID_PARAMS, "invoice: %s", w);
		if (!mode)
			p.mode = PAY_MPP;
		if (p.mode != PAY_MPP && p.mode != PAY_SINGLE)
			return rpc_fail(err, RPC_INVALID_PARAMS, "an invoice is paid in mode single or mpp");
		p.amount = inv.amount;
		p.min_final_cltv = inv.min_final_cltv_expiry;
	} else if (!param_amount(params, "amount", &p.amount, err)) {
		return NULL;
	}
	if (amount_is_zero(p.amount))
		return rpc_fail(err, RPC_INVALID_PARAMS, "amount must be above zero");
	if (shards) {
		if (!json_is_integer(shards) || json_integer_value(shards) < 0 ||
		    json_integer_value(shards) > SPLIT_MAX_PARTS)
			return rpc_fail(err, RPC_INVALID_PARAMS, "shards must be 0..%d", SPLIT_MAX_PARTS);
		p.shards = (uint32_t)json_integer_value(shards);
		if (p.mode == PAY_SINGLE && p.shards > 1)
			return rpc_fail(err, RPC_INVALID_PARAMS, "a single payment has one part: shards must be 0 or 1");
	}
	if (expiry && !blocks_parse(expiry, &p.expiry_blocks, &why))
		return rpc_fail(err, RPC_INVALID_PARAMS, "expiry '%s': %s", expiry, why);
	if (json_is_integer(json_object_get(params, "expiry")))
		p.expiry_blocks = (uint32_t)json_integer_value(json_object_get(params, "expiry"));
	if (p.expiry_blocks == 0)
		return rpc_fail(err, RPC_INVALID_PARAMS, "expiry must be at least 1 block");
	if (invtext && p.expiry_blocks <= p.min_final_cltv)
		return rpc_fail(err, RPC_INVALID_PARAMS,
				"expiry of %u blocks is within the invoice's min_final_cltv_expiry of %u",
				p.expiry_blocks, p.min_final_cltv);
	if (timeout && !duration_parse(timeout, &timeout_us, &why))
		return rpc_fail(err, RPC_INVALID_PARAMS, "timeout '%s': %s", timeout, why);
	p.deadline_us = simclock_now(&a->clk) + timeout_us;

	struct payment *pp = add_payment(a, &p);
	start_payment(a, pp, invtext ? &inv : NULL);
	json_t *r = json_object();
	json_set_str(r, "id", pp->id);
	json_set_str(r, "outcome", outcome_name(pp->outcome));
	return r;
}

static json_t *rpc_fault(json_t *params, void *arg, struct rpc_err *err)
{
	struct alice *a = arg;
	struct fault_config f;
	const char *channel;
	bool lift;
	if (!fault_request_parse(params, &f, &channel, &lift, err))
		return NULL;
	struct alice_chan *only = channel ? find_chan(a, channel) : NULL;
	if (channel && !only)
		return rpc_fail(err, RPC_INVALID_PARAMS, "unknown channel '%s'", channel);
	for (size_t i = 0; i < a->nchans; i++) {
		struct alice_chan *ac = &a->chans[i];
		if (only && ac != only)
			continue;
		if (chan_fault(&ac->c, DIR_TO_BOB, &f, lift) && a->peer)
			peer_release_held(a->peer, &ac->c.out, ac->c.ledger.id);
	}
	fault_request_log(a->log, &f, channel, lift);
	retry_deferred(a);   /* a channel may have come up for a waiting payment */
	return json_pack("{s:b}", "ok", 1);
}

void send_ping(struct alice *a)
{
	Ampsim__Ping ping = AMPSIM__PING__INIT;
	Ampsim__Envelope r = AMPSIM__ENVELOPE__INIT;
	r.msg_case = AMPSIM__ENVELOPE__MSG_PING;
	r.ping = &ping;
	a->pings_left--;
	peer_send(a->peer, &r);
}

/* The transport's own rate: count pings, window of them in flight at once
 * (as many as the payment benchmark keeps), each pong sending the next. */
static json_t *rpc_pingtest(json_t *params, void *arg, struct rpc_err *err)
{
	struct alice *a = arg;
	json_t *n = json_object_get(params, "count"), *w = json_object_get(params, "window");
	if (!a->peer)
		return rpc_fail(err, RPC_REFUSED, "not connected");
	if (!json_is_integer(n) || json_integer_value(n) < 1)
		return rpc_fail(err, RPC_INVALID_PARAMS, "count must be a positive integer");
	uint64_t window = json_is_integer(w) && json_integer_value(w) > 0 ? (uint64_t)json_integer_value(w) : 1;
	a->pings_left = (uint64_t)json_integer_value(n);
	a->pings_total = a->pings_left;
	a->pongs_got = 0;
	a->ping_done_us = 0;
	a->ping_started_us = simclock_wall_now_us();
	for (uint64_t i = 0; i < window && a->pings_left; i++)
		send_ping(a);
	return json_pack("{s:b}", "ok", 1);
}

static struct payment *add_payment(struct alice *a, const struct payment *p)
{
	if (a->npays == a->pays_cap) {
		a->pays_cap = a->pays_cap ? 2 * a->pays_cap : 16;
		a->pays = xrealloc(a->pays, a->pays_cap * sizeof(*a->pays));
	}
	a->pays[a->npays++] = *p;
	return &a->pays[a->npays - 1];
}

/* Start bench payments until bench_conc are in flight or all are started.
 * Starting one may finish it at once (no route): the loop, not recursion,
 * carries on. */
void bench_next(struct alice *a)
{
	static bool running;
	if (running)
		return;
	running = true;
	while (a->bench_started < a->bench_total &&
	       a->bench_started - a->bench_done < a->bench_conc) {
		struct payment p;
		memset(&p, 0, sizeof(p));
		snprintf(p.id, sizeof(p.id), "bench%llu", (unsigned long long)a->bench_started + 1);
		p.outcome = OUTCOME_PENDING;
		p.mode = a->bench_mode;
		p.amount = a->bench_amount;
		p.shards = a->bench_shards;
		p.expiry_blocks = 1000;
		p.bench = true;
		p.deadline_us = simclock_now(&a->clk) + 3600ULL * 1000000;
		a->bench_start_us[a->bench_started++] = simclock_wall_now_us();
		start_payment(a, add_payment(a, &p), NULL);
	}
	running = false;
}

static json_t *rpc_bench(json_t *params, void *arg, struct rpc_err *err)
{
	struct alice *a = arg;
	json_t *n = json_object_get(params, "payments"), *c = json_object_get(params, "concurrency");
	const char *mode = json_string_value(json_object_get(params, "mode"));
	json_t *shards = json_object_get(params, "shards");
	if (a->bench_on)
		return rpc_fail(err, RPC_REFUSED, "a benchmark has already run in this daemon");
	if (!a->ready_written)
		return rpc_fail(err, RPC_REFUSED, "not connected to bob yet");
	if (!json_is_integer(n) || json_integer_value(n) < 1 || json_integer_value(n) > 10000000)
		return rpc_fail(err, RPC_INVALID_PARAMS, "payments must be 1..10000000");
	if (!json_is_integer(c) || json_integer_value(c) < 1)
		return rpc_fail(err, RPC_INVALID_PARAMS, "concurrency must be a positive integer");
	a->bench_mode = PAY_SINGLE;
	if (mode && !pay_mode_parse(mode, &a->bench_mode))
		return rpc_fail(err, RPC_INVALID_PARAMS, "mode must be single, mpp or amp");
	if (a->bench_mode == PAY_INVOICES)
		return rpc_fail(err, RPC_INVALID_PARAMS, "mode must be single, mpp or amp");
	a->bench_shards = json_is_integer(shards) ? (uint32_t)json_integer_value(shards) : 0;
	if (!param_amount(params, "amount", &a->bench_amount, err))
		return NULL;
	a->bench_total = (uint64_t)json_integer_value(n);
	a->bench_conc = (uint64_t)json_integer_value(c);
	a->bench_lat_us = xcalloc(a->bench_total, sizeof(uint64_t));
	a->bench_start_us = xcalloc(a->bench_total, sizeof(uint64_t));
	a->bench_first_pay = a->npays;
	a->bench_on = true;
	a->bench_t0_us = simclock_wall_now_us();
	bench_next(a);
	return json_pack("{s:b}", "ok", 1);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static json_t *rpc_benchstatus(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct alice *a = arg;
	json_t *r = json_object();
	json_set_u64(r, "total", a->bench_total);
	json_set_u64(r, "done", a->bench_done);
	json_set_u64(r, "settled", a->bench_settled);
	if (a->bench_on && a->bench_done == a->bench_total) {
		uint64_t *lat = xcalloc(a->bench_total, sizeof(uint64_t));
		memcpy(lat, a->bench_lat_us, a->bench_total * sizeof(uint64_t));
		qsort(lat, a->bench_total, sizeof(uint64_t), cmp_u64);
		json_set_u64(r, "wall_us", a->bench_t1_us - a->bench_t0_us);
		json_set_u64(r, "p50_us", lat[(a->bench_total - 1) / 2]);
		json_set_u64(r, "p99_us", lat[(a->bench_total - 1) * 99 / 100]);
		uint64_t htlcs = 0;
		for (size_t i = a->bench_first_pay; i < a->npays; i++)
			for (size_t k = 0; k < a->pays[i].nparts; k++)
				htlcs += a->pays[i].parts[k].state == PART_FULFILLED;
		json_set_u64(r, "htlcs_fulfilled", htlcs);
		free(lat);
	}
	return r;
}

static json_t *rpc_disconnect(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	struct alice *a = arg;
	if (!a->peer)
		return rpc_fail(err, RPC_REFUSED, "not connected");
	json_t *ev = evlog_new(a->log, "fault_applied");
	json_set_str(ev, "action", "disconnect");
	evlog_emit(a->log, ev);
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
	{ "listpayments", rpc_listpayments, "listpayments {id?, summary?}: payments and their parts" },
	{ "fault", rpc_fault, "fault {channel, direction, action, lift}: impair a channel" },
	{ "bench", rpc_bench, "bench {payments, concurrency, mode, shards, amount}: drive payments" },
	{ "benchstatus", rpc_benchstatus, "benchstatus: progress and latencies of the benchmark" },
	{ "pingtest", rpc_pingtest, "pingtest {count}: ping-pong count messages with bob" },
	{ "disconnect", rpc_disconnect, "disconnect: cut the TCP connection (it reconnects)" },
	{ "stop", rpc_stop, "stop: shut the daemon down" },
	{ NULL, NULL, NULL },
};

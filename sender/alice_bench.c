/* alice's benchmark driver: keep `concurrency` payments in flight until
 * `payments` have finished, timing each (wall clock); and the raw rate of
 * ping-pong messages over the same connection. */
#include "alice_bench.h"

#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "log.h"
#include "units.h"

struct alice_bench {
	struct alice *a;
	bool on;
	bool running;                     /* bench_next is starting payments */
	uint64_t total, started, done, conc, settled;
	enum pay_mode mode;
	uint32_t shards;
	struct amount_msat amount;
	uint64_t t0_us, t1_us;
	uint64_t *lat_us;                 /* per finished payment, wall */
	uint64_t *start_us;               /* per payment index */
	size_t first_pay;
	/* ping test */
	uint64_t pings_left, pings_total, pongs_got, ping_started_us, ping_done_us;
};

/* Start bench payments until `conc` are in flight or all are started.
 * Starting one may finish it at once (no route): the loop, not recursion,
 * carries on. */
static void bench_next(struct alice_bench *b)
{
	if (b->running)
		return;
	b->running = true;
	struct alice *a = b->a;
	while (b->started < b->total && b->started - b->done < b->conc) {
		char id[SCN_ID_MAX];
		snprintf(id, sizeof(id), "bench%llu", (unsigned long long)b->started + 1);
		struct pay_request r = {
			.id = id,
			.mode = b->mode,
			.amount = b->amount,
			.shards = b->shards,
			.expiry_blocks = 1000,
			.bench = true,
			.deadline_us = alice_now(a) + 3600ULL * 1000000,
		};
		b->start_us[b->started++] = simclock_wall_now_us();
		alice_pay(a, &r);
	}
	b->running = false;
}

static void on_outcome(struct alice *a, const struct payment *p, void *arg)
{
	struct alice_bench *b = arg;
	if (!p->bench || !b->on)
		return;
	size_t idx = (size_t)(p - a->eng.pays);
	uint64_t now = simclock_wall_now_us();
	b->lat_us[b->done++] = now - b->start_us[idx - b->first_pay];
	if (p->outcome == OUTCOME_SETTLED)
		b->settled++;
	if (b->done == b->total)
		b->t1_us = now;
	else
		bench_next(b);
}

static void send_ping(struct alice_bench *b)
{
	b->pings_left--;
	alice_send_ping(b->a);
}

static void on_pong(struct alice *a, void *arg)
{
	(void)a;
	struct alice_bench *b = arg;
	b->pongs_got++;
	if (b->pings_left)
		send_ping(b);
	else if (b->pongs_got == b->pings_total)
		b->ping_done_us = simclock_wall_now_us();
}

struct alice_bench *alice_bench_new(struct alice *a)
{
	struct alice_bench *b = xcalloc(1, sizeof(*b));
	b->a = a;
	a->on_outcome = on_outcome;
	a->outcome_arg = b;
	a->on_pong = on_pong;
	a->pong_arg = b;
	return b;
}

void alice_bench_free(struct alice_bench *b)
{
	if (!b)
		return;
	free(b->lat_us);
	free(b->start_us);
	free(b);
}

void alice_bench_info(const struct alice_bench *b, json_t *r)
{
	if (b && b->ping_done_us) {
		json_set_u64(r, "pongs", b->pongs_got);
		json_set_u64(r, "ping_wall_us", b->ping_done_us - b->ping_started_us);
	}
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

json_t *alice_rpc_bench(json_t *params, void *arg, struct rpc_err *err)
{
	struct alice *a = arg;
	struct alice_bench *b = a->outcome_arg;
	json_t *n = json_object_get(params, "payments"), *c = json_object_get(params, "concurrency");
	const char *mode = json_string_value(json_object_get(params, "mode"));
	json_t *shards = json_object_get(params, "shards");
	if (b->on)
		return rpc_fail(err, RPC_REFUSED, "a benchmark has already run in this daemon");
	if (!a->ready_written)
		return rpc_fail(err, RPC_REFUSED, "not connected to bob yet");
	if (!json_is_integer(n) || json_integer_value(n) < 1 || json_integer_value(n) > 10000000)
		return rpc_fail(err, RPC_INVALID_PARAMS, "payments must be 1..10000000");
	if (!json_is_integer(c) || json_integer_value(c) < 1)
		return rpc_fail(err, RPC_INVALID_PARAMS, "concurrency must be a positive integer");
	b->mode = PAY_SINGLE;
	if (mode && !pay_mode_parse(mode, &b->mode))
		return rpc_fail(err, RPC_INVALID_PARAMS, "mode must be single, mpp or amp");
	if (b->mode == PAY_INVOICES)
		return rpc_fail(err, RPC_INVALID_PARAMS, "mode must be single, mpp or amp");
	b->shards = json_is_integer(shards) ? (uint32_t)json_integer_value(shards) : 0;
	if (!param_amount(params, "amount", &b->amount, err))
		return NULL;
	b->total = (uint64_t)json_integer_value(n);
	b->conc = (uint64_t)json_integer_value(c);
	b->lat_us = xcalloc(b->total, sizeof(uint64_t));
	b->start_us = xcalloc(b->total, sizeof(uint64_t));
	b->first_pay = a->eng.npays;
	b->on = true;
	b->t0_us = simclock_wall_now_us();
	bench_next(b);
	return json_pack("{s:b}", "ok", 1);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

json_t *alice_rpc_benchstatus(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)err;
	struct alice *a = arg;
	struct alice_bench *b = a->outcome_arg;
	json_t *r = json_object();
	json_set_u64(r, "total", b->total);
	json_set_u64(r, "done", b->done);
	json_set_u64(r, "settled", b->settled);
	if (b->on && b->done == b->total) {
		uint64_t *lat = xcalloc(b->total, sizeof(uint64_t));
		memcpy(lat, b->lat_us, b->total * sizeof(uint64_t));
		qsort(lat, b->total, sizeof(uint64_t), cmp_u64);
		json_set_u64(r, "wall_us", b->t1_us - b->t0_us);
		json_set_u64(r, "p50_us", lat[(b->total - 1) / 2]);
		json_set_u64(r, "p99_us", lat[(b->total - 1) * 99 / 100]);
		uint64_t htlcs = 0;
		for (size_t i = b->first_pay; i < a->eng.npays; i++)
			for (size_t k = 0; k < a->eng.pays[i].nparts; k++)
				htlcs += a->eng.pays[i].parts[k].state == PART_FULFILLED;
		json_set_u64(r, "htlcs_fulfilled", htlcs);
		free(lat);
	}
	return r;
}

/* The transport's own rate: count pings, window of them in flight at once
 * (as many as the payment benchmark keeps), each pong sending the next. */
json_t *alice_rpc_pingtest(json_t *params, void *arg, struct rpc_err *err)
{
	struct alice *a = arg;
	struct alice_bench *b = a->pong_arg;
	json_t *n = json_object_get(params, "count"), *w = json_object_get(params, "window");
	if (!a->peer)
		return rpc_fail(err, RPC_REFUSED, "not connected");
	if (!json_is_integer(n) || json_integer_value(n) < 1)
		return rpc_fail(err, RPC_INVALID_PARAMS, "count must be a positive integer");
	uint64_t window = json_is_integer(w) && json_integer_value(w) > 0 ? (uint64_t)json_integer_value(w) : 1;
	b->pings_left = (uint64_t)json_integer_value(n);
	b->pings_total = b->pings_left;
	b->pongs_got = 0;
	b->ping_done_us = 0;
	b->ping_started_us = simclock_wall_now_us();
	for (uint64_t i = 0; i < window && b->pings_left; i++)
		send_ping(b);
	return json_pack("{s:b}", "ok", 1);
}

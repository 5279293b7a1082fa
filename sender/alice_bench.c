/* alice's benchmark driver: keep `concurrency` payments in flight until
 * `payments` have finished (or, time-bounded, start them for a given
 * wall time and let the last ones finish), timing each (wall clock); and the raw rate of
 * ping-pong messages over the same connection. */
#include "alice_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct alice_bench {
	struct alice *a;
	bool on;
	bool running;                     /* bench_next is starting payments */
	uint64_t total, started, done, conc, settled;
	uint64_t deadline_us;             /* time-bounded: start none after */
	size_t cap;                       /* of lat_us and start_us */
	enum pay_mode mode;
	uint32_t shards;
	struct amount_msat amount;
	uint64_t t0_us, t1_us;
	uint64_t *lat_us;                 /* per finished payment, wall */
	uint64_t *start_us;               /* per payment index */
	uint64_t first_seq;               /* the first bench payment's seq */
	uint64_t htlcs_fulfilled;
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
	if (b->deadline_us && simclock_wall_now_us() >= b->deadline_us && b->total > b->started)
		b->total = b->started;         /* time is up: finish what is in flight */
	while (b->started < b->total && b->started - b->done < b->conc) {
		if (b->started == b->cap) {
			b->cap *= 2;
			b->lat_us = xrealloc(b->lat_us, b->cap * sizeof(uint64_t));
			b->start_us = xrealloc(b->start_us, b->cap * sizeof(uint64_t));
		}
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
	(void)a;
	uint64_t now = simclock_wall_now_us();
	b->lat_us[b->done++] = now - b->start_us[p->seq - b->first_seq];
	for (size_t k = 0; k < p->nparts; k++)
		b->htlcs_fulfilled += p->parts[k].state == PART_FULFILLED;
	if (p->outcome == OUTCOME_SETTLED)
		b->settled++;
	if (b->deadline_us && now >= b->deadline_us && b->total > b->started)
		b->total = b->started;
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

bool alice_bench_ping_result(const struct alice_bench *b, uint64_t *pongs, uint64_t *wall_us)
{
	if (!b->ping_done_us)
		return false;
	*pongs = b->pongs_got;
	*wall_us = b->ping_done_us - b->ping_started_us;
	return true;
}

bool alice_bench_start(struct alice_bench *b, const struct bench_params *bp)
{
	if (b->on)
		return false;
	b->mode = bp->mode;
	b->shards = bp->shards;
	b->amount = bp->amount;
	b->total = bp->payments ? bp->payments : UINT64_MAX;
	b->conc = bp->concurrency;
	b->cap = bp->payments ? bp->payments : 4096;
	b->lat_us = xcalloc(b->cap, sizeof(uint64_t));
	b->start_us = xcalloc(b->cap, sizeof(uint64_t));
	b->first_seq = b->a->eng.last_seq + 1;   /* bench payments are made one after another */
	b->on = true;
	b->t0_us = simclock_wall_now_us();
	if (!bp->payments)
		b->deadline_us = b->t0_us + bp->seconds_us;
	bench_next(b);
	return true;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

void alice_bench_status(const struct alice_bench *b, struct bench_status *st)
{
	memset(st, 0, sizeof(*st));
	st->total = b->total == UINT64_MAX ? 0 : b->total;   /* 0: not known yet */
	st->done = b->done;
	st->settled = b->settled;
	if (!b->on || b->done != b->total)
		return;
	uint64_t *lat = xcalloc(b->total, sizeof(uint64_t));
	memcpy(lat, b->lat_us, b->total * sizeof(uint64_t));
	qsort(lat, b->total, sizeof(uint64_t), cmp_u64);
	st->finished = true;
	st->wall_us = b->t1_us - b->t0_us;
	st->p50_us = lat[(b->total - 1) / 2];
	st->p99_us = lat[(b->total - 1) * 99 / 100];
	st->htlcs_fulfilled = b->htlcs_fulfilled;
	free(lat);
}

/* The transport's own rate: count pings, window of them in flight at once
 * (as many as the payment benchmark keeps), each pong sending the next. */
void alice_bench_ping(struct alice_bench *b, uint64_t count, uint64_t window)
{
	b->pings_left = count;
	b->pings_total = count;
	b->pongs_got = 0;
	b->ping_done_us = 0;
	b->ping_started_us = simclock_wall_now_us();
	for (uint64_t i = 0; i < window && b->pings_left; i++)
		send_ping(b);
}

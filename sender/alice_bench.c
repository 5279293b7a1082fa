/* alice's benchmark driver: keep `concurrency` payments in flight until
 * `payments` have finished (or, time-bounded, start them for a given
 * wall time and let the last ones finish), timing each (wall clock); and the raw rate of
 * ping-pong messages over the same connection. */
#include "alice_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Latency buckets: values below 16 us exactly, then 16 buckets per power
 * of two (each about 4 % wide) up to 2^40 us. */
#define LAT_SUB 16
#define LAT_BUCKETS (LAT_SUB + 36 * LAT_SUB)

static size_t lat_bucket(uint64_t us)
{
	if (us < LAT_SUB)
		return (size_t)us;
	int msb = 63 - __builtin_clzll(us);            /* >= 4 */
	if (msb > 39)
		return LAT_BUCKETS - 1;
	uint64_t sub = (us >> (msb - 4)) & (LAT_SUB - 1);
	return LAT_SUB + (size_t)(msb - 4) * LAT_SUB + (size_t)sub;
}

/* The middle of a bucket's range. */
static uint64_t bucket_value(size_t k)
{
	if (k < LAT_SUB)
		return k;
	size_t msb = (k - LAT_SUB) / LAT_SUB + 4, sub = (k - LAT_SUB) % LAT_SUB;
	uint64_t lo = ((uint64_t)(LAT_SUB + sub)) << (msb - 4);
	return lo + (((uint64_t)1 << (msb - 4)) >> 1);
}

static uint64_t hist_percentile(const uint64_t *hist, unsigned pct)
{
	uint64_t n = 0;
	for (size_t k = 0; k < LAT_BUCKETS; k++)
		n += hist[k];
	if (!n)
		return 0;
	uint64_t want = (n - 1) * pct / 100 + 1, seen = 0;
	for (size_t k = 0; k < LAT_BUCKETS; k++) {
		seen += hist[k];
		if (seen >= want)
			return bucket_value(k);
	}
	return 0;
}

struct alice_bench {
	struct alice *a;
	bool on;
	bool running;                     /* bench_next is starting payments */
	uint64_t total, started, done, conc, settled;
	uint64_t deadline_us;             /* time-bounded: start none after */
	/* start times of payments in flight, by seq in a ring (a slot is
	 * only read back for the seq it was written for) */
	uint64_t *ring_at, *ring_seq;
	size_t ring;                      /* a power of two, 8 x concurrency or more */
	enum pay_mode mode;
	uint32_t shards;
	struct amount_msat amount;
	uint64_t t0_us, t1_us;
	/* latencies (wall) in a log-linear histogram: memory does not grow
	 * with the payments, percentiles are within about 3 % */
	uint64_t hist[LAT_BUCKETS];
	uint64_t marks_us[BENCH_MAX_MARKS];  /* wall time since t0 at each 100,000 ended */
	size_t nmarks;
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
		uint64_t seq = a->eng.last_seq + 1;     /* the one alice_pay makes */
		b->started++;
		b->ring_at[seq & (b->ring - 1)] = simclock_wall_now_us();
		b->ring_seq[seq & (b->ring - 1)] = seq;
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
	size_t slot = p->seq & (b->ring - 1);
	if (b->ring_seq[slot] == p->seq)
		b->hist[lat_bucket(now - b->ring_at[slot])]++;
	b->done++;
	for (size_t k = 0; k < p->nparts; k++)
		b->htlcs_fulfilled += p->parts[k].state == PART_FULFILLED;
	if (p->outcome == OUTCOME_SETTLED)
		b->settled++;
	if (b->done % BENCH_MARK_EVERY == 0 && b->nmarks < BENCH_MAX_MARKS)
		b->marks_us[b->nmarks++] = now - b->t0_us;
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
	free(b->ring_at);
	free(b->ring_seq);
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
	for (b->ring = 1024; b->ring < 8 * b->conc; b->ring *= 2)
		;
	b->ring_at = xcalloc(b->ring, sizeof(uint64_t));
	b->ring_seq = xcalloc(b->ring, sizeof(uint64_t));
	b->on = true;
	b->t0_us = simclock_wall_now_us();
	if (!bp->payments)
		b->deadline_us = b->t0_us + bp->seconds_us;
	bench_next(b);
	return true;
}

void alice_bench_status(const struct alice_bench *b, struct bench_status *st)
{
	memset(st, 0, sizeof(*st));
	st->total = b->total == UINT64_MAX ? 0 : b->total;   /* 0: not known yet */
	st->done = b->done;
	st->settled = b->settled;
	if (!b->on || b->done != b->total)
		return;
	st->finished = true;
	st->wall_us = b->t1_us - b->t0_us;
	st->p50_us = hist_percentile(b->hist, 50);
	st->p99_us = hist_percentile(b->hist, 99);
	st->htlcs_fulfilled = b->htlcs_fulfilled;
	st->nmarks = b->nmarks;
	memcpy(st->marks_us, b->marks_us, b->nmarks * sizeof(uint64_t));
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

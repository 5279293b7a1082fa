/* The payment benchmark and the ping test of the transport. They drive
 * alice from outside, through the shell's public functions (alice_pay,
 * alice_send_ping) and its outcome and pong hooks: nothing in the payment
 * path knows of them. The control socket (alice_rpc.c) starts them and
 * reads their results. */
#ifndef AMPSIM_ALICE_BENCH_H
#define AMPSIM_ALICE_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "alice.h"

struct alice_bench;

/* Hook the benchmark into a (its outcome and pong hooks). */
struct alice_bench *alice_bench_new(struct alice *a);
void alice_bench_free(struct alice_bench *b);

/* Keep `concurrency` payments in flight until `payments` have finished;
 * with payments 0, start payments for seconds_us of wall time, then let
 * those in flight finish. */
struct bench_params {
	uint64_t payments, concurrency;
	uint64_t seconds_us;
	enum pay_mode mode;             /* single, mpp or amp */
	uint32_t shards;
	struct amount_msat amount;
};
/* false if a benchmark has already run in this daemon. */
bool alice_bench_start(struct alice_bench *b, const struct bench_params *bp);

/* Every BENCH_MARK_EVERY payments ended, the bench notes the time: the
 * rate over the first and the last 100,000 of a long run. */
#define BENCH_MARK_EVERY 100000
#define BENCH_MAX_MARKS 100

struct bench_status {
	uint64_t total, done, settled;   /* total 0: time-bounded, not over */
	bool finished;                  /* the fields below are set */
	uint64_t wall_us, p50_us, p99_us, htlcs_fulfilled;
	uint64_t marks_us[BENCH_MAX_MARKS];
	size_t nmarks;
};
void alice_bench_status(const struct alice_bench *b, struct bench_status *st);

/* Ping-pong `count` messages with Bob, `window` in flight at once. */
void alice_bench_ping(struct alice_bench *b, uint64_t count, uint64_t window);
/* Once a ping test has finished: pongs received and its wall time. */
bool alice_bench_ping_result(const struct alice_bench *b, uint64_t *pongs, uint64_t *wall_us);

#endif

/* The payment benchmark and the ping test of the transport. They drive
 * alice from outside, through the shell's public functions (alice_pay,
 * alice_send_ping) and its outcome and pong hooks: nothing in the payment
 * path knows of them. */
#ifndef AMPSIM_ALICE_BENCH_H
#define AMPSIM_ALICE_BENCH_H

#include <jansson.h>

#include "alice.h"
#include "rpc.h"

struct alice_bench;

/* Hook the benchmark into a (its outcome and pong hooks). */
struct alice_bench *alice_bench_new(struct alice *a);
void alice_bench_free(struct alice_bench *b);

/* getinfo's ping fields, once a ping test has finished. */
void alice_bench_info(const struct alice_bench *b, json_t *r);

/* The control socket's methods. */
json_t *alice_rpc_bench(json_t *params, void *arg, struct rpc_err *err);
json_t *alice_rpc_benchstatus(json_t *params, void *arg, struct rpc_err *err);
json_t *alice_rpc_pingtest(json_t *params, void *arg, struct rpc_err *err);

#endif

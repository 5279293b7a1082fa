/* The parameters of alice's pay and bench methods, checked: what a
 * control-socket client sends, before anything is started. Apart from
 * the handlers (alice_rpc.c) so that the rpc fuzz target drives them
 * without a running daemon. */
#ifndef AMPSIM_ALICE_PARAMS_H
#define AMPSIM_ALICE_PARAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "alice_bench.h"
#include "invoice.h"
#include "noise.h"
#include "pay_engine.h"
#include "rpc.h"
#include "scenario.h"

/* A pay request as checked. req points into the struct (an id made up,
 * a pasted invoice's hash and secret) and into params (a given id): both
 * must outlive it. */
struct pay_params {
	struct pay_request req;        /* deadline_us still to be set */
	uint64_t timeout_us;           /* from now */
	struct invoice inv;
	char autoid[SCN_ID_MAX];
};

/* {id, amount, mode, shards, expiry, timeout} or {invoice, ...}: an id
 * new to e (one is made up if none is given), an invoice signed by bob_id.
 * false + err (RPC_INVALID_PARAMS) otherwise. */
bool pay_params_parse(json_t *params, struct pay_engine *e,
		      const uint8_t bob_id[NOISE_PUBKEY_LEN], struct pay_params *pp,
		      struct rpc_err *err);

/* {payments | seconds, concurrency, mode, shards, amount}. */
bool bench_params_parse(json_t *params, struct bench_params *bp, struct rpc_err *err);

#endif

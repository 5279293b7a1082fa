/* The simulated chain: one SQLite file shared by both daemons of a run
 * (ampsim run puts it in the run directory), or that file served over TCP
 * by `ampsim chain --listen` (chain_server.h) when the daemons share no
 * file. It is immune to channel faults and survives crashes. It only
 * settles HTLC outputs:
 *   - a claim (Bob, with the preimage) is valid before cltv_expiry;
 *   - a refund (Alice) is valid from cltv_expiry on (BOLT #5 timeout);
 *   - an HTLC output is spent once: the first valid transaction wins;
 *   - a transaction confirms CHAIN_CONFIRMATIONS blocks after it is sent.
 * Heights are the daemons' shared block clock. */
#ifndef AMPSIM_CHAIN_H
#define AMPSIM_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amp.h"
#include "chain_rules.h"


enum chain_kind { CHAIN_CLAIM, CHAIN_REFUND };
const char *chain_kind_name(enum chain_kind k);

/* A spend, or (channel, sender, receiver, htlc_id) the output it spends:
 * an output is named by its channel's id and two nodes (the one that
 * offered the HTLC, the one it pays) and its HTLC id. */
struct chain_tx {
	char channel[32];
	uint8_t sender[CHAIN_RULES_KEY_LEN];
	uint8_t receiver[CHAIN_RULES_KEY_LEN];
	uint64_t htlc_id;
	enum chain_kind kind;
	uint8_t preimage[AMP_LEN];   /* claims */
	uint32_t sent_height;
	uint32_t confirm_height;
};

struct chain;

/* Who a daemon is to a served chain: BOLT #8 with its node key, fresh
 * ephemeral keys from rand, and the wall time of one block, which bounds
 * each call (CHAIN_REMOTE_TIMEOUT_MS: one block, within limits), so
 * that a chain that hangs costs at most that per block. */
struct chain_client {
	const uint8_t *node_priv;        /* NOISE_PRIVKEY_LEN bytes, the caller's */
	void (*rand)(void *ctx, uint8_t *buf, size_t n);
	void *rand_ctx;
	uint64_t block_wall_ms;
};

/* spec: a path, the SQLite file (its folder must exist); or
 * tcp:NODEID@HOST:PORT (tcp:NODEID@[V6]:PORT), a chain served by `ampsim
 * chain --listen` with node id NODEID, asked as me (needed then) with
 * blocking calls (chain_remote.h). NULL with a reason in err when the spec
 * is wrong; a served chain that does not answer yet is no error here (it
 * is tried at each use). */
struct chain *chain_open(const char *spec, const struct chain_client *me, char *err,
			 size_t errlen);
void chain_close(struct chain *c);
/* Whether spec names a served chain (tcp:...) rather than a file. */
bool chain_spec_is_remote(const char *spec);

enum chain_submit_result {
	CHAIN_ACCEPTED,     /* ours spends the output */
	CHAIN_SPENT,        /* an earlier transaction spends it: see *winner */
	CHAIN_INVALID,      /* against the rules (chain_rules.h): terms not signed by both,
			     * too early for a refund, too late for a claim, wrong preimage,
			     * not signed by the output's owner */
	CHAIN_UNREACHABLE,  /* a served chain did not answer (logged): nothing is known,
			     * submit again at a later height */
};

/* Spend the output proof's terms name (their channel, nodes and HTLC id;
 * tx gives the kind and a claim's preimage) with what proves the spend
 * (chain_proof_check). Why an invalid one is invalid goes to why (may be
 * NULL). */
enum chain_submit_result chain_submit(struct chain *c, const struct chain_tx *tx,
				      const struct chain_proof *proof, uint32_t height,
				      struct chain_tx *winner, char *why, size_t whylen);

/* The confirmed spend of the output `which` names (channel, sender,
 * receiver, htlc_id) at this height, if any. False also when a served
 * chain did not answer (logged): the caller looks again at its next block. */
bool chain_confirmed(struct chain *c, const struct chain_tx *which, uint32_t height,
		     struct chain_tx *out);

/* Is the chain there at this height? A file always is; a served chain is
 * asked (once per height; a call that already answered or failed at this
 * height counts). false with the reason in why. The daemons ask at every
 * block, so that a chain they cannot reach is said loudly long before an
 * expiry depends on it, and tried again at every block. */
bool chain_reachable(struct chain *c, uint32_t height, char *why, size_t n);

/* What the daemons call at every block: chain_reachable, with each call
 * bounded by block_wall_ms (the block as the daemon now knows it),
 * and the outcome said loudly once when the chain goes away (a warning and
 * a chain_unreachable event with the reason) and once when it is back
 * (chain_reachable). Nothing for a file. */
struct evlog;
void chain_watch(struct chain *c, struct evlog *log, uint32_t height, uint64_t block_wall_ms);

#endif

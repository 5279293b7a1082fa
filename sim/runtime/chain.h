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

struct chain_tx {
	char channel[32];
	uint64_t htlc_id;
	enum chain_kind kind;
	uint8_t preimage[AMP_LEN];   /* claims */
	uint32_t sent_height;
	uint32_t confirm_height;
};

struct chain;

/* spec: a path, the SQLite file (its folder must exist); or tcp:HOST:PORT
 * (tcp:[V6]:PORT), a chain served by `ampsim chain --listen`, asked with
 * blocking calls of at most CHAIN_REMOTE_TIMEOUT_MS each (chain_remote.h).
 * NULL with a reason in err when the spec is wrong; a served chain that
 * does not answer yet is no error here (it is tried at each use). */
struct chain *chain_open(const char *spec, char *err, size_t errlen);
void chain_close(struct chain *c);
/* Whether spec names a served chain (tcp:...) rather than a file. */
bool chain_spec_is_remote(const char *spec);

enum chain_submit_result {
	CHAIN_ACCEPTED,     /* ours spends the output */
	CHAIN_SPENT,        /* an earlier transaction spends it: see *winner */
	CHAIN_INVALID,      /* too early for a refund, too late for a claim, wrong preimage */
	CHAIN_UNREACHABLE,  /* a served chain did not answer (logged): nothing is known,
			     * submit again at a later height */
};

/* hash and cltv_expiry describe the HTLC output being spent. */
enum chain_submit_result chain_submit(struct chain *c, const struct chain_tx *tx,
				      const uint8_t hash[AMP_LEN], uint32_t cltv_expiry,
				      uint32_t height, struct chain_tx *winner);

/* The confirmed spend of (channel, htlc) at this height, if any. False
 * also when a served chain did not answer (logged): the caller looks
 * again at its next block. */
bool chain_confirmed(struct chain *c, const char *channel, uint64_t htlc_id, uint32_t height,
		     struct chain_tx *out);

#endif

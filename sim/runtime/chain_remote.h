/* A client of a served chain (`ampsim chain --listen`, chain_server.h):
 * what chain.c calls for a --chain tcp:HOST:PORT. Each call is one
 * request and its response over a kept TCP connection (chain_wire.h),
 * blocking for at most CHAIN_REMOTE_TIMEOUT_MS: the chain is only asked on
 * fault paths, once per HTLC and block at most.
 *
 * A chain that does not answer (refused, closed, timed out, or an answer
 * that makes no sense) is logged once when it goes away and once when it
 * is back; the call fails (CHAIN_UNREACHABLE, or "not confirmed") and the
 * daemons ask again at their next block. Calls at the height where a call
 * just failed fail at once, so that a chain that is down costs a daemon
 * at most one timeout per block (docs/decisions.md). */
#ifndef AMPSIM_CHAIN_REMOTE_H
#define AMPSIM_CHAIN_REMOTE_H

#include "chain.h"

#define CHAIN_REMOTE_TIMEOUT_MS 1500

struct chain_remote;

/* hostport: HOST:PORT or [V6]:PORT, resolved here once. */
struct chain_remote *chain_remote_open(const char *hostport, char *err, size_t errlen);
void chain_remote_close(struct chain_remote *r);

enum chain_submit_result chain_remote_submit(struct chain_remote *r, const struct chain_tx *tx,
					     const uint8_t hash[AMP_LEN], uint32_t cltv_expiry,
					     uint32_t height, struct chain_tx *winner);
bool chain_remote_confirmed(struct chain_remote *r, const char *channel, uint64_t htlc_id,
			    uint32_t height, struct chain_tx *out);

#endif

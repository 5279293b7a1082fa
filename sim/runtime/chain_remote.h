/* A client of a served chain (`ampsim chain --listen`, chain_server.h):
 * what chain.c calls for a --chain tcp:NODEID@HOST:PORT. The connection
 * is BOLT #8 to the chain's node id, as the daemon's own node; each call
 * is one request and its response (chain_wire.h, one BOLT #8 message
 * each) over the kept connection, blocking for at most one block of
 * wall time (within CHAIN_REMOTE_MIN_TIMEOUT_MS..CHAIN_REMOTE_TIMEOUT_MS):
 * a chain that hangs costs a daemon at most that per block.
 *
 * A chain that does not answer (refused, closed, timed out, a handshake
 * that fails, or an answer that makes no sense) is logged once when it
 * goes away and once when it is back; the call fails (CHAIN_UNREACHABLE,
 * or "not confirmed") and the daemons ask again at their next block.
 * Calls at the height where a call just failed fail at once, so that a
 * chain that is down costs a daemon at most one timeout per block
 * (docs/decisions.md). */
#ifndef AMPSIM_CHAIN_REMOTE_H
#define AMPSIM_CHAIN_REMOTE_H

#include "chain.h"

#define CHAIN_REMOTE_TIMEOUT_MS 1500
#define CHAIN_REMOTE_MIN_TIMEOUT_MS 50

struct chain_remote;

/* target: NODEID@HOST:PORT or NODEID@[V6]:PORT, resolved here once; me:
 * the daemon (its key is copied). */
struct chain_remote *chain_remote_open(const char *target, const struct chain_client *me,
				       char *err, size_t errlen);
void chain_remote_close(struct chain_remote *r);

enum chain_submit_result chain_remote_submit(struct chain_remote *r, const struct chain_tx *tx,
					     const struct chain_proof *proof, uint32_t height,
					     struct chain_tx *winner, char *why, size_t whylen);
bool chain_remote_confirmed(struct chain_remote *r, const struct chain_tx *which,
			    uint32_t height, struct chain_tx *out);
/* Each call bounded by block_wall_ms (within the limits above);
 * 0 leaves it as it is. */
void chain_remote_set_block(struct chain_remote *r, uint64_t block_wall_ms);
/* tcp:NODEID@HOST:PORT, for messages. */
const char *chain_remote_name(const struct chain_remote *r);
/* chain_reachable (chain.h) for a served chain. */
bool chain_remote_reachable(struct chain_remote *r, uint32_t height, char *why, size_t n);

#endif

/* The simulated chain served over TCP (`ampsim chain --listen`): one
 * chain file, asked by daemons on other hosts with --chain tcp:HOST:PORT
 * (chain_remote.h), in the messages of chain_wire.h. The file decides as
 * it does for daemons that share it: the first valid spend wins, a claim
 * needs the preimage of the hash it names, confirmations go by height.
 *
 * Clients speak BOLT #8 to the server's own node key (chain_server_cfg),
 * as the daemons do to each other, so the server knows each client's node.
 * With an allow list only those nodes are served (the nodes that hold
 * channels): any other is closed once its handshake ends. Room is kept for
 * them: connections still in their handshake are at most
 * CHAIN_SERVER_MAX_HANDSHAKES (a new one closes the oldest) and must end it
 * within CHAIN_SERVER_MESSAGE_S; a listed node's connections are never
 * closed for being idle. Every other node is a stranger: at most
 * CHAIN_SERVER_STRANGER_PER_NODE connections of one node (a newer one is
 * closed) and CHAIN_SERVER_MAX_STRANGERS in all (a new one closes the
 * oldest), each closed after idle_s without a request. In all at most
 * CHAIN_SERVER_MAX_CONNS connections; a message of at most CHAIN_WIRE_MAX
 * bytes must arrive whole within CHAIN_SERVER_MESSAGE_S; answers a client
 * does not read are bounded (CHAIN_SERVER_MAX_OUT); a request that is
 * malformed gets an error answer, a warning in the log, and the
 * connection closed. */
#ifndef AMPSIM_CHAIN_SERVER_H
#define AMPSIM_CHAIN_SERVER_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"

#include "nodekey.h"

#define CHAIN_SERVER_MAX_CONNS 64
#define CHAIN_SERVER_MAX_HANDSHAKES 8
#define CHAIN_SERVER_MAX_STRANGERS 16
#define CHAIN_SERVER_STRANGER_PER_NODE 2
#define CHAIN_SERVER_NODE_PER_NODE 4      /* a listed node's connections at once */
#define CHAIN_SERVER_MESSAGE_S 5
#define CHAIN_SERVER_IDLE_S 60
#define CHAIN_SERVER_MAX_OUT (64 * 1024)
#define CHAIN_SERVER_MAX_ALLOW 64

struct chain_server_cfg {
	const struct nodekey *key;          /* the server's node key */
	const uint8_t (*allow)[NOISE_PUBKEY_LEN];   /* the nodes served; none: any */
	size_t nallow;
	nodekey_rand rand;                  /* ephemeral keys */
	void *rand_ctx;
	unsigned idle_s;                    /* a stranger's idle limit; 0: CHAIN_SERVER_IDLE_S */
};

struct chain_server;

/* Serves chain (a file chain, the caller's) on hostport (port 0: any free
 * port) as cfg says (copied; the key and allow list must outlive the
 * server); NULL with a reason in err. */
struct chain_server *chain_server_new(struct event_base *base, const char *hostport,
				      struct chain *chain, const struct chain_server_cfg *cfg,
				      char *err, size_t errlen);
uint16_t chain_server_port(const struct chain_server *s);
void chain_server_free(struct chain_server *s);

struct chain_server_stats {
	uint64_t requests;          /* answered */
	uint64_t refused;           /* malformed or oversized: error answer, closed */
	uint64_t not_allowed;       /* a node not in the allow list: closed after its handshake */
	uint64_t evicted;           /* closed to make room (handshakes, strangers) */
};
struct chain_server_stats chain_server_stats(const struct chain_server *s);

#endif

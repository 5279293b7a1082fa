/* The simulated chain served over TCP (`ampsim chain --listen`): one
 * chain file, asked by daemons on other hosts with --chain tcp:HOST:PORT
 * (chain_remote.h), in the messages of chain_wire.h. The file decides as
 * it does for daemons that share it: the first valid spend wins, a claim
 * needs the preimage of the hash it names, confirmations go by height.
 *
 * Every client is a stranger: at most CHAIN_SERVER_MAX_CONNS connections,
 * a message of at most CHAIN_WIRE_MAX bytes that must arrive whole within
 * CHAIN_SERVER_MESSAGE_S, a connection idle for CHAIN_SERVER_IDLE_S closed,
 * answers a client does not read bounded (CHAIN_SERVER_MAX_OUT); a request
 * that is malformed gets an error answer, a warning in the log, and the
 * connection closed. */
#ifndef AMPSIM_CHAIN_SERVER_H
#define AMPSIM_CHAIN_SERVER_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"

#define CHAIN_SERVER_MAX_CONNS 16
#define CHAIN_SERVER_MESSAGE_S 5
#define CHAIN_SERVER_IDLE_S 60
#define CHAIN_SERVER_MAX_OUT (64 * 1024)

struct chain_server;

/* Serves chain (a file chain, the caller's) on hostport (port 0: any free
 * port); NULL with a reason in err. */
struct chain_server *chain_server_new(struct event_base *base, const char *hostport,
				      struct chain *chain, char *err, size_t errlen);
uint16_t chain_server_port(const struct chain_server *s);
void chain_server_free(struct chain_server *s);

struct chain_server_stats {
	uint64_t requests;          /* answered */
	uint64_t refused;           /* malformed or oversized: error answer, closed */
};
struct chain_server_stats chain_server_stats(const struct chain_server *s);

#endif

/* The alice daemon's shell: the connection to Bob, the block timer, the
 * chain, the store and the event log around the payment engine
 * (engine/pay_engine.h). It decodes, calls the engine, and carries out the
 * engine's actions. The control socket (alice_rpc.c), the benchmark
 * (alice_bench.c) and main (alice_main.c) sit on top of it; nothing here
 * calls them. */
#ifndef AMPSIM_ALICE_H
#define AMPSIM_ALICE_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "action.h"
#include "chain.h"
#include "daemon.h"
#include "events.h"
#include "pay_engine.h"
#include "reconnect.h"
#include "peer.h"
#include "timebase.h"
#include "rpc.h"
#include "scenario.h"
#include "store.h"
#include "nodekey.h"
#include "secrets.h"
#include "turn.h"

#define ALICE_MAX_CHANNELS PAY_MAX_CHANNELS

struct alice;

/* Called when a payment reaches its outcome (the benchmark drives more). */
typedef void (*alice_outcome_fn)(struct alice *a, const struct payment *p, void *arg);
/* Called for each pong (the ping test). */
typedef void (*alice_pong_fn)(struct alice *a, void *arg);

struct alice {
	struct event_base *base;
	struct simclock clk;
	struct evlog *log;
	struct rpc_server *rpc;
	struct daemon_signals *sig;
	struct timebase *tb;              /* the clock in force: wall or virtual */
	struct tb_timer *block_timer;
	struct peer *peer;
	struct store *st;                 /* --state; NULL keeps everything in memory */
	struct turn *turn;                /* group commit of st, one per loop turn */
	struct nodekey key;               /* our node (BOLT #8) */
	/* the transport's randomness (node and ephemeral keys): a stream of
	 * its own, so the engine draws the same with or without sockets */
	void (*trand)(void *ctx, uint8_t *buf, size_t n);
	void *trand_ctx;
	uint8_t bob_id[NOISE_PUBKEY_LEN];  /* the node --connect names */
	size_t keep_payments;             /* finished payments kept; 0: all */
	size_t compact_at;                /* compact when npays reaches it */
	int run_depth;                    /* alice_run calls in progress */
	struct chain *chain;              /* --chain; NULL: no on-chain fallback */
	struct capture *cap;              /* --pcap; NULL: none */
	/* reaching Bob: a non-blocking connect, retried with backoff */
	struct event *reconnect_timer;    /* wall clock */
	struct tb_timer *reconnect_tb;    /* virtual clock: backoff in simulated time */
	struct bufferevent *connecting;
	struct sockaddr_storage addr;
	int addrlen;
	char where[300];                  /* HOST:PORT, for messages */
	struct reconnect rc;              /* the waits between tries (engine/reconnect.h) */
	unsigned tries;                   /* since the last connection */
	int first_tries_left;             /* first start: give up (exit 1) after these */
	bool ever_connected;
	bool stopping;
	int exit_code;
	const char *ready_file;
	bool ready_written;
	uint64_t seed;
	enum alice_behaviour behaviour;
	/* the protocol */
	struct pay_engine eng;
	/* per channel, the link Alice sends on and its faults (the ledger is
	 * the engine's) */
	struct chan links[ALICE_MAX_CHANNELS];
	alice_outcome_fn on_outcome;
	void *outcome_arg;
	alice_pong_fn on_pong;
	void *pong_arg;
	struct alice_bench *bench;        /* alice_bench.c; the shell never looks inside */
	struct alice_sched *sched;        /* alice_sched.c: payments handed ahead; NULL: none */
};

/* Simulated now, as the engine is handed it. */
uint64_t alice_now(const struct alice *a);
/* Carry out an engine's action list (persists first, in one transaction),
 * then clear it. */
void alice_run(struct alice *a, struct actions *acts);

/* Start a payment; returns it (its outcome may already be known). */
struct payment *alice_pay(struct alice *a, const struct pay_request *r);
/* Apply (or lift) a fault to one channel or (chan == SIZE_MAX) all, then
 * let waiting payments try again. */
void alice_fault(struct alice *a, size_t chan, const struct fault_config *f, bool lift);
/* Send one ping to Bob (false: not connected). */
bool alice_send_ping(struct alice *a);
/* Start reaching Bob at a->addr; first: exit after a few failed tries. */
void alice_connect(struct alice *a, bool first);
/* Start the engine's block timer: every block goes to the engine. */
void alice_start_blocks(struct alice *a);
void alice_clock_ended(void *arg);
/* Free everything the shell holds. */
void alice_free(struct alice *a);

/* alice_store.c: nothing happens without --state */
bool alice_store_open(struct alice *a, const char *dir, char *err, size_t errlen);
/* Load channels and payments into the engine; false if the store is empty
 * (a first start). */
bool alice_store_load(struct alice *a);
/* After the engine's restore: each channel's stored Bob balance is the
 * ledger's (capacity = alice + bob + in flight); false + err if not. */
bool alice_store_check(struct alice *a, char *err, size_t errlen);
void alice_store_meta(struct alice *a);
/* A first start: every channel the engine was given, in one transaction. */
void alice_store_channels(struct alice *a);
/* Write a record's bytes as the engine encoded them (turn_writer): the
 * turn hands it each record at the turn's end. */
void alice_store_write(void *arg, int record, size_t chan, uint64_t id, const uint8_t *bytes,
		       size_t len);

#endif

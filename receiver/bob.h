/* The bob daemon's shell: its state around the engine, shared by bob.c
 * (connections, timers, the loop), bob_act.c (carrying out the engine's
 * actions), bob_rpc.c (control socket) and bob_store.c (--state). The
 * protocol itself is the engine's (engine/bob_engine.h). */
#ifndef AMPSIM_BOB_H
#define AMPSIM_BOB_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "bob_engine.h"
#include "chain.h"
#include "daemon.h"
#include "events.h"
#include "peer.h"
#include "rpc.h"
#include "timebase.h"
#include "store.h"
#include "nodekey.h"
#include "secrets.h"
#include "turn.h"

struct bob_conn {
	struct bob *bob;
	struct peer *peer;
	uint64_t id;                /* the engine's handle for it */
	struct bob_conn *next;
};

/* A hold timer the engine armed (BOB_TIMER_HOLD, set handle id). */
struct bob_hold_timer {
	struct bob *bob;
	uint64_t id;
	struct tb_timer *ev;
	struct bob_hold_timer *next;
};

/* A connection must send its first message within BOB_HELLO_MS of
 * connecting and finish any frame within BOB_PARTIAL_MS of its first byte
 * (wall time): strangers cannot hold connections open for free. */
#define BOB_HELLO_MS 10000
#define BOB_PARTIAL_MS 10000
/* At most this many connections may be in their handshake (or waiting
 * for their first message) at once: the oldest is closed for a new one. */
#define BOB_MAX_PENDING 16

struct bob {
	struct event_base *base;
	struct bob_engine eng;      /* the protocol: channels, HTLCs, invoices, sets */
	struct chan links[BOB_MAX_CHANNELS]; /* per channel: the direction Bob sends on
					      * and its faults (the ledger is the engine's) */
	size_t nlinks;
	struct evlog *log;
	struct rpc_server *rpc;
	struct listener *listener;  /* --listen: caps connections, survives running out of fds */
	struct capture *cap;        /* --pcap; NULL: none */
	struct daemon_signals *sig;
	struct timebase *tb;        /* the clock in force: wall or virtual */
	struct tb_timer *block_timer;
	struct bob_hold_timer *timers;
	struct store *st;           /* --state; NULL keeps everything in memory */
	struct turn *turn;          /* group commit of st, one per loop turn */
	struct nodekey key;         /* our node (BOLT #8) */
	/* the transport's randomness (node and ephemeral keys): a stream of
	 * its own, so the engine draws the same with or without sockets */
	void (*trand)(void *ctx, uint8_t *buf, size_t n);
	void *trand_ctx;
	struct seeded_secrets transport;
	uint8_t allow[64][NOISE_PUBKEY_LEN];   /* --allow; none: any node */
	size_t nallow;
	size_t keep_invoices;       /* paid invoices kept; 0: all */
	size_t compact_at;          /* compact when ninvoices reaches it */
	int act_depth;              /* bob_act calls in progress */
	struct chain *chain;        /* --chain; NULL: no on-chain fallback */
	struct bob_chain_view chain_view;
	uint16_t port;
	uint64_t next_conn_id;
	struct bob_conn *conns;     /* newest first */
	unsigned idle_ms, stall_ms; /* --idle-timeout, --write-timeout */
};

/* bob_act.c: carry out what the engine decided, in order (persist first,
 * in one transaction), and clear the list. */
void bob_act(struct bob *b, struct actions *out);
/* Links for channels the engine opened or restored since the last call. */
void bob_sync_links(struct bob *b);
struct bob_conn *bob_conn_by_id(struct bob *b, uint64_t id);
void bob_timers_free(struct bob *b);
/* Simulated now, on the clock in force. */
uint64_t bob_now(const struct bob *b);

/* bob_rpc.c: the control socket's methods */
extern const struct rpc_method bob_methods[];

/* bob_store.c: nothing happens without --state */
bool bob_store_open(struct bob *b, const char *dir, char *err, size_t errlen);
/* Rebuild the engine from the store; false + err when the state cannot be
 * read in full. */
bool bob_store_load(struct bob *b, char *err, size_t errlen);
/* One ACT_PERSIST record's bytes (inside the caller's transaction). */
void bob_store_record(struct bob *b, const struct act_persist *x);
/* Write a record the turn deferred to its end (turn_writer). */
void bob_store_write(void *arg, int record, size_t chan, uint64_t id, const uint8_t *bytes,
		     size_t len);

#endif

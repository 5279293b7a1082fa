/* The bob daemon's state, shared by its shell (bob.c), its control socket
 * (bob_rpc.c) and its durable store (bob_store.c). */
#ifndef AMPSIM_BOB_H
#define AMPSIM_BOB_H

#include <event2/event.h>
#include <event2/listener.h>
#include <stdbool.h>
#include <stdint.h>

#include "ampset.h"
#include "chain.h"
#include "daemon.h"
#include "events.h"
#include "invoice.h"
#include "peer.h"
#include "rpc.h"
#include "scenario.h"
#include "store.h"

#define BOB_MAX_CHANNELS 256

struct bob_invoice {
	struct invoice inv;
	uint8_t preimage[AMP_LEN];
	bool paid;
};

enum res_state { RES_NONE, RES_FULFILLED, RES_FAILED, RES_REFUNDED };

/* How Bob resolved an HTLC: kept so a replayed add gets the same answer,
 * and so an unacknowledged fulfill can be claimed on chain. */
struct resolution {
	uint8_t state;              /* enum res_state */
	bool acked;                 /* Alice confirmed she applied it */
	bool claimed;               /* claim sent to the chain */
	uint32_t cltv_expiry;
	struct amount_msat amount;
	uint8_t hash[AMP_LEN];
	uint8_t preimage[AMP_LEN];
	uint32_t code;
	char reason[72];
};

struct bob_chan {
	struct chan c;
	struct peer *peer;          /* NULL while its peer is disconnected */
	struct resolution *res;     /* indexed by htlc id */
	uint64_t res_cap;
	uint64_t unacked;           /* fulfilled, not acked, not settled on chain */
};

/* behaviour = late: preimages Bob sits on until the HTLCs have expired */
struct late_claim {
	char channel[SET_CHANNEL_MAX];
	uint64_t htlc_id;
	uint32_t cltv_expiry;
	uint8_t preimage[AMP_LEN];
};

struct bob_conn {
	struct bob *bob;
	struct peer *peer;
	bool inited;
	struct bob_conn *next;
};

struct bob {
	struct event_base *base;
	struct simclock clk;
	struct evlog *log;
	struct rpc_server *rpc;
	struct evconnlistener *listener;
	struct daemon_signals *sig;
	struct event *block_timer;
	struct store *st;           /* --state; NULL keeps everything in memory */
	struct chain *chain;        /* --chain; NULL: no on-chain fallback */
	uint16_t port;
	unsigned nconns_total;
	struct bob_conn *conns;
	struct bob_chan chans[BOB_MAX_CHANNELS];
	size_t nchans;
	struct bob_invoice *invoices;
	size_t ninvoices, invoices_cap;
	struct ampset_table sets;
	uint64_t hold_us;
	uint32_t final_cltv_delta;
	enum bob_behaviour behaviour;
	uint64_t seed;
	bool epoch_set;             /* the run's epoch is known: later inits must agree */
	struct late_claim *late;
	size_t nlate, late_cap;
	uint64_t htlcs_received, htlcs_fulfilled, htlcs_failed, htlcs_refunded, sets_settled;
	uint64_t claims_onchain;
};

struct resolution *bob_resolution(struct bob_chan *bc, uint64_t htlc_id, bool create);

/* bob.c: the shell, as the control socket uses it */
struct bob_chan *find_chan(struct bob *b, const char *id);
struct bob_invoice *new_invoice(struct bob *b, struct amount_msat amount, const char *desc);

/* bob_rpc.c: the control socket's methods */
extern const struct rpc_method bob_methods[];

/* bob_store.c: nothing happens without --state */
bool bob_store_open(struct bob *b, const char *dir, char *err, size_t errlen);
/* Rebuild channels, HTLCs, invoices and sets from the store. Returns the
 * in-flight HTLCs to re-add to sets through the callback. */
struct stored_htlc {
	char channel[SET_CHANNEL_MAX];
	uint64_t htlc_id;
	struct amount_msat amount;
	uint8_t hash[AMP_LEN];
	uint32_t cltv_expiry;
	int kind;                   /* -1: none, else enum set_kind */
	uint8_t key[AMP_LEN];
	struct amount_msat total;
	uint8_t share[AMP_LEN];
	uint32_t child_index;
	uint64_t arrived_us;        /* simulated time it arrived: hold timers count from it */
};
void bob_store_load(struct bob *b, void (*inflight)(struct bob *b, const struct stored_htlc *h));
void bob_store_meta(struct bob *b);
void bob_store_channel(struct bob *b, const struct bob_chan *bc);
void bob_store_add(struct bob *b, const struct stored_htlc *h);
void bob_store_resolution(struct bob *b, const struct bob_chan *bc, uint64_t htlc_id);
void bob_store_invoice(struct bob *b, const struct bob_invoice *bi);
void bob_store_set_settled(struct bob *b, const uint8_t key[AMP_LEN]);

#endif

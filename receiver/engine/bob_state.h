/* The receive engine's state: its limits, records, timers, and the structs
 * of channels, HTLCs, invoices and connections as the engine keeps them,
 * with the accessors every engine file uses (bob_state.c). The engine's
 * entry points are in bob_engine.h. */
#ifndef AMPSIM_BOB_STATE_H
#define AMPSIM_BOB_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "ampset.h"
#include "clock.h"
#include "htlc_state.h"
#include "htlc_table.h"
#include "invoice.h"
#include "ledger.h"
#include "link.h"
#include "proto_limits.h"
#include "terms.h"
#include "vocab.h"

#define BOB_MAX_CHANNELS 256
#define BOB_NO_CONN 0          /* conn handles are the shell's, never 0 */
/* HTLC ids further than this above the highest seen are a protocol error
 * (ids go up by one per add; a lost add leaves a gap, not a leap). */
#define BOB_SEEN_WINDOW 1000000ULL
/* Resolutions a channel's peer has not acknowledged yet, at most: past
 * this its new adds are refused until it acknowledges (an honest Alice
 * acknowledges each at once; records of unacknowledged ones are kept). */
#define BOB_MAX_UNACKED (4 * MAX_HTLCS)
/* Unpaid invoices, at most: requests past it are refused (each costs Bob
 * memory and a row until paid). */
#define BOB_MAX_UNPAID 100000
/* Unpaid invoices a node that holds no channel may have asked for: it
 * cannot pay them, so asking for more only takes room from those who can. */
#define BOB_MAX_UNPAID_NO_CHANNEL 100
/* Connections one node may hold at once (a reconnecting Alice may have
 * one Bob has not seen close yet). */
#define BOB_MAX_CONNS_PER_NODE 4
/* Channels one node may open with Bob (Alice's own limit is 64). */
#define BOB_MAX_CHANNELS_PER_NODE 64
/* Channels strangers (nodes the config does not list, and channels without
 * an owner) may hold together: half of the slots, so that throwaway keys
 * cannot take the room of the nodes Bob lists. */
#define BOB_MAX_STRANGER_CHANNELS (BOB_MAX_CHANNELS / 2)
/* No channel holds more than all the bitcoin there will ever be. */
#define BOB_MAX_CAPACITY_MSAT (21000000ULL * MSAT_PER_BTC)

enum bob_record {
	BOB_REC_META,
	BOB_REC_CHANNEL,
	BOB_REC_HTLC_ADD,
	BOB_REC_HTLC_STATE,
	BOB_REC_INVOICE,
	BOB_REC_SET_CLOSED,
	BOB_REC_HTLC_FORGET,   /* finished: its record goes (the channel keeps its id) */
	BOB_REC_INVOICE_FORGET,/* id = seq: a paid invoice older than those kept */
};

enum bob_timer {
	BOB_TIMER_BLOCK,       /* the next block: call bob_engine_block */
	BOB_TIMER_HOLD,        /* id = a set's handle: call bob_engine_hold_timeout */
};

enum bob_chain_tx {
	BOB_CHAIN_CLAIM,       /* claim HTLC `htlc_id` of `chan` with preimage `key` */
};

/* The chain, as the engine may ask it: has the HTLC output been spent by a
 * confirmed transaction at this height (and was that Alice's refund)? */
struct bob_chain_view {
	/* the output of HTLC htlc_id of the channel between sender (Alice's
	 * node) and receiver (Bob's) */
	bool (*spent)(void *ctx, const char *channel, const uint8_t sender[TERMS_NODE_LEN],
		      const uint8_t receiver[TERMS_NODE_LEN], uint64_t htlc_id, uint32_t height,
		      bool *refund);
	void *ctx;
	uint32_t confirmations;     /* blocks a transaction takes to confirm */
};

struct bob_config {
	uint64_t hold_us;                  /* how long an incomplete set is held */
	uint32_t final_cltv_delta;         /* refuse HTLCs expiring sooner */
	enum bob_behaviour behaviour;
	/* fill buf with n random bytes (secrets: libsodium in the shell) */
	void (*random)(void *ctx, uint8_t *buf, size_t n);
	void *random_ctx;
	/* the hash tables' SipHash keys, drawn once by bob_engine_init: a
	 * stream of their own (the daemon's system randomness, a seeded
	 * stream in the world), so that the secrets drawn from random do not
	 * depend on them; NULL: drawn from random */
	void (*table_random)(void *ctx, uint8_t *buf, size_t n);
	void *table_random_ctx;
	/* sign a 32-byte digest with Bob's node key (the shell has it);
	 * NULL: invoices go unsigned (unit tests) */
	void (*sign)(void *ctx, const uint8_t digest[32], uint8_t sig[64]);
	void *sign_ctx;
	/* Bob's node as the signer of HTLC terms: he checks Alice's
	 * signature of each add with it and countersigns (terms.h) */
	struct terms_signer terms;
	const struct bob_chain_view *chain; /* NULL: no on-chain fallback */
	/* unpaid invoices are forgotten this long after they were made (and
	 * an HTLC for one then fails as unknown); 0: never */
	uint64_t invoice_expiry_us;
	/* the nodes Bob knows (his --allow): every other node is a stranger,
	 * and strangers together hold at most BOB_MAX_STRANGER_CHANNELS; NULL
	 * with 0: every node is a stranger */
	const uint8_t (*listed)[33];
	size_t nlisted;
};

/* One HTLC as Bob keeps it: what arrived, its state, how it ended. */
struct bob_htlc {
	uint64_t id;
	struct htlc_fsm fsm;
	bool acked;                 /* Alice confirmed she applied the resolution */
	bool claimed;               /* claim sent to the chain */
	bool in_ledger;             /* it reached the ledger (not refused at arrival) */
	struct amount_msat amount;
	uint8_t hash[AMP_LEN];
	uint32_t cltv_expiry;
	int kind;                   /* -1: no MPP record, else enum set_kind */
	uint8_t key[AMP_LEN];       /* set key: set_id (AMP) or payment hash (MPP) */
	struct amount_msat total;
	uint8_t share[AMP_LEN];
	uint32_t child_index;
	uint64_t arrived_us;        /* hold timers count from it */
	uint8_t preimage[AMP_LEN];
	uint32_t code;              /* failure code */
	char reason[72];
	/* its terms, signed by both (docs/protocol.md, "Signed terms"):
	 * Alice's signature from the add, Bob's countersignature */
	bool signed_terms;
	uint8_t sender_sig[64];
	uint8_t receiver_sig[64];
};

struct bob_chan {
	struct ledger ledger;
	struct link_params base_out; /* Bob's direction, as open_channel set it */
	uint64_t conn;               /* BOB_NO_CONN while its peer is away */
	struct htlc_table htlcs;     /* live records by id, and the finished ids */
	bool owned;                  /* opened by an authenticated node: */
	uint8_t owner[33];           /* only it may use the channel */
	uint64_t unacked;            /* fulfilled, not acked, not settled on chain */
};

struct bob_invoice {
	uint64_t seq;               /* 1, 2, ...: the order they were made in */
	struct invoice inv;
	uint8_t preimage[AMP_LEN];
	bool paid;
	uint64_t requester;         /* be_node_key of the node that asked; 0: none */
};

/* behaviour = late: preimages Bob sits on until the HTLCs have expired */
struct late_claim {
	size_t chan;
	uint64_t htlc_id;
	uint32_t cltv_expiry;
	uint8_t preimage[AMP_LEN];
};

#define BOB_MAX_CONNS 64
struct bob_conn_state {
	uint64_t conn;
	bool inited;
	char name[64];
	bool has_node;              /* BOLT #8 told us who it is */
	uint8_t node[33];
	uint32_t clock_gen;         /* the engine's clock_gen at its init */
};

struct bob_counters {
	uint64_t htlcs_received, htlcs_fulfilled, htlcs_failed, htlcs_refunded, sets_settled;
	uint64_t claims_onchain;
};

struct bob_engine {
	struct bob_config cfg;
	struct simclock clk;        /* the run's clock, as Alice's init set it (data only) */
	uint64_t seed;
	bool epoch_set;             /* the run's epoch is known: later inits must agree */
	uint32_t clock_gen;         /* times the clock was set (see handle_init) */
	struct bob_chan chans[BOB_MAX_CHANNELS];
	size_t nchans;
	struct bob_invoice *invoices;      /* in the order of their seq */
	size_t ninvoices, invoices_cap;
	struct u64map inv_by_hash;  /* payment hash's first 8 bytes -> seq */
	uint64_t inv_hash_clashes;  /* two of bob's hashes alike there: lookups scan */
	struct u64map unpaid_by_node; /* requester -> its unpaid invoices */
	uint8_t node_hkey[16];      /* SipHash key of requesters (cfg.table_random) */
	uint64_t last_invoice_seq;
	size_t unpaid;
	struct ampset_table sets;
	struct late_claim *late;
	size_t nlate, late_cap;
	struct bob_conn_state conns[BOB_MAX_CONNS];
	size_t nconns;
	struct bob_counters count;
	/* what a list decided after its claims, handed out with the chain's
	 * answer to the last of them (bob_engine_chain_result) */
	struct chain_wait wait;
	/* persists carry their records' bytes (bob_records_encode); a shell
	 * that keeps no store clears it, and they then carry none but a
	 * closed set's key */
	bool encode_records;
};

/* bob_state.c: lookups and the conservation check */
struct bob_chan *bob_engine_chan(struct bob_engine *e, const char *id, size_t *index);
struct bob_htlc *bob_engine_htlc(struct bob_engine *e, size_t chan, uint64_t htlc_id);
const char *bob_engine_conn_name(const struct bob_engine *e, uint64_t conn);
/* The record of an HTLC id, made when missing. */
struct bob_htlc *be_htlc_slot(struct bob_chan *bc, uint64_t htlc_id);
/* Forget every record of the channel that is finished (its resolution
 * acknowledged, or refunded), durably. */
void be_compact(struct bob_engine *e, size_t chan, struct actions *out);
/* Whether h is finished: nothing more will happen to it. */
bool be_htlc_done(const struct bob_htlc *h);
void be_check_conservation(const struct bob_chan *bc, struct actions *out);
struct bob_conn_state *be_conn_of(struct bob_engine *e, uint64_t conn);

#endif

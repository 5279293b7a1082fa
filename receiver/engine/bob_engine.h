/* Bob's receive engine: the protocol of the receiving side, pure.
 *
 * Everything Bob decides happens here: the checks on an add (each failure
 * code), MPP and AMP assembly, the settle policy, the hold timeout, the
 * expiry margin, the on-chain claim of an unacknowledged fulfill, the
 * answers to replayed adds and reestablish, resolve_ack, and the
 * adversarial behaviours (greedy, hold, late).
 *
 * Each entry point takes the engine, one event and the simulated time
 * `now_us`, changes the engine's state and appends what the shell must do
 * to `out` (sim/core/action.h): frames to send, records to persist, events
 * to log, timers to arm at a simulated time, chain transactions. Nothing
 * here reads a clock, a socket, a file or a global; randomness (invoice
 * preimages and secrets, a greedy Bob's guesses) comes through
 * cfg.random, and the chain's confirmed spends through cfg.chain. The
 * build links this folder against sim/core only.
 *
 * Persist records (action.what), carried out from the engine's state as it
 * is when the list is carried out (all of a list's records in one
 * transaction, before anything of it is sent):
 *   BOB_REC_META        the run's clock and seed
 *   BOB_REC_CHANNEL     channel `chan`: balances and link parameters
 *   BOB_REC_HTLC_ADD    HTLC `id` of channel `chan` as it arrived
 *   BOB_REC_HTLC_STATE  its state, preimage, failure, acked, claimed
 *   BOB_REC_INVOICE     invoice number `id`
 *   BOB_REC_SET_CLOSED  the AMP set `key` is closed (settled or failed) */
#ifndef AMPSIM_BOB_ENGINE_H
#define AMPSIM_BOB_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "ampset.h"
#include "clock.h"
#include "htlc_state.h"
#include "invoice.h"
#include "ledger.h"
#include "link.h"
#include "proto_limits.h"
#include "scenario.h"

#define BOB_MAX_CHANNELS 256
#define BOB_NO_CONN 0          /* conn handles are the shell's, never 0 */
/* HTLC ids further than this above the highest seen are a protocol error
 * rather than a reason to grow without bound. */
#define BOB_SEEN_WINDOW 1000000ULL

enum bob_record {
	BOB_REC_META,
	BOB_REC_CHANNEL,
	BOB_REC_HTLC_ADD,
	BOB_REC_HTLC_STATE,
	BOB_REC_INVOICE,
	BOB_REC_SET_CLOSED,
};

enum bob_timer {
	BOB_TIMER_BLOCK,       /* the next block: call bob_engine_block */
	BOB_TIMER_HOLD,        /* id = a set's handle: call bob_engine_hold_timeout */
};

enum bob_chain_tx {
	BOB_CHAIN_CLAIM,       /* claim HTLC `id` of `chan` with preimage `key` */
};

enum bob_chain_result { BOB_CLAIM_ACCEPTED, BOB_CLAIM_SPENT, BOB_CLAIM_INVALID };

/* The chain, as the engine may ask it: has the HTLC output been spent by a
 * confirmed transaction at this height (and was that Alice's refund)? */
struct bob_chain_view {
	bool (*spent)(void *ctx, const char *channel, uint64_t htlc_id, uint32_t height,
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
	const struct bob_chain_view *chain; /* NULL: no on-chain fallback */
};

/* One HTLC as Bob keeps it: what arrived, its state, how it ended. */
struct bob_htlc {
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
};

struct bob_chan {
	struct ledger ledger;
	struct link_params base_out; /* Bob's direction, as open_channel set it */
	uint64_t conn;               /* BOB_NO_CONN while its peer is away */
	struct bob_htlc *htlcs;      /* indexed by htlc id; `present` marks those seen */
	uint64_t htlcs_cap;
	uint64_t unacked;            /* fulfilled, not acked, not settled on chain */
};

struct bob_invoice {
	struct invoice inv;
	uint8_t preimage[AMP_LEN];
	bool paid;
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
	struct bob_chan chans[BOB_MAX_CHANNELS];
	size_t nchans;
	struct bob_invoice *invoices;
	size_t ninvoices, invoices_cap;
	struct ampset_table sets;
	struct late_claim *late;
	size_t nlate, late_cap;
	struct bob_conn_state conns[BOB_MAX_CONNS];
	size_t nconns;
	struct bob_counters count;
};

void bob_engine_init(struct bob_engine *e, const struct bob_config *cfg);
void bob_engine_free(struct bob_engine *e);

/* Connections, named by the shell's handles (never BOB_NO_CONN). false if
 * there is no room for another: the shell closes it. */
bool bob_engine_connected(struct bob_engine *e, uint64_t conn, const char *name);
void bob_engine_disconnected(struct bob_engine *e, uint64_t conn, const char *why,
			     struct actions *out);

/* A decoded message from conn. */
void bob_engine_message(struct bob_engine *e, uint64_t conn, const Ampsim__Envelope *env,
			uint64_t now_us, struct actions *out);

/* A new block (BOB_TIMER_BLOCK fired): expiry, chain watch, late claims. */
void bob_engine_block(struct bob_engine *e, uint64_t now_us, struct actions *out);
/* BOB_TIMER_HOLD fired for set handle id. */
void bob_engine_hold_timeout(struct bob_engine *e, uint64_t set_id, uint64_t now_us,
			     struct actions *out);
/* What the chain said to a BOB_CHAIN_CLAIM. */
void bob_engine_chain_result(struct bob_engine *e, size_t chan, uint64_t htlc_id,
			     enum bob_chain_result r, struct actions *out);

/* Control request: a new invoice (its number is returned). */
size_t bob_engine_new_invoice(struct bob_engine *e, struct amount_msat amount, const char *desc,
			      uint64_t now_us, struct actions *out);

/* Restart from stored records: channels (alice_msat as if nothing were in
 * flight), invoices, closed AMP sets and HTLCs, then bob_engine_resume. A
 * record that does not fit is refused (false + why). */
void bob_engine_restore_clock(struct bob_engine *e, const struct simclock *clk, uint64_t seed);
bool bob_engine_restore_channel(struct bob_engine *e, const char *id, struct amount_msat capacity,
				struct amount_msat alice, uint32_t max_htlcs,
				struct amount_msat htlc_minimum, const struct link_params *lp);
void bob_engine_restore_invoice(struct bob_engine *e, const struct bob_invoice *bi);
void bob_engine_restore_set_closed(struct bob_engine *e, const uint8_t key[AMP_LEN]);
bool bob_engine_restore_htlc(struct bob_engine *e, size_t chan, uint64_t htlc_id,
			     const struct bob_htlc *h, const char **why);
/* Sets that were whole when Bob stopped are settled now; the others get
 * their hold timers back. Also arms the block timer. */
void bob_engine_resume(struct bob_engine *e, uint64_t now_us, struct actions *out);

/* Lookups for the shell and tests. */
struct bob_chan *bob_engine_chan(struct bob_engine *e, const char *id, size_t *index);
struct bob_htlc *bob_engine_htlc(struct bob_engine *e, size_t chan, uint64_t htlc_id);
const char *bob_engine_conn_name(const struct bob_engine *e, uint64_t conn);

#endif

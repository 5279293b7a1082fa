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
 * Persist records (act_persist.record), each encoded as the engine stands
 * when the entry point returns (bob_records_encode, bob_codec.h), written
 * by the shell as they come (all of a list's records in one transaction,
 * before anything of it is sent):
 *   BOB_REC_META        the run's clock and seed
 *   BOB_REC_CHANNEL     channel `chan`: balances and link parameters
 *   BOB_REC_HTLC_ADD    HTLC `id` of channel `chan` as it arrived
 *   BOB_REC_HTLC_STATE  its state, preimage, failure, acked, claimed
 *   BOB_REC_INVOICE     invoice number `id`
 *   BOB_REC_SET_CLOSED  an AMP set is closed (settled or failed): its key
 *   BOB_REC_HTLC_FORGET HTLC `id` of channel `chan` is finished: its row goes
 *   BOB_REC_INVOICE_FORGET  invoice number `id` is forgotten: its row goes
 * The entry points are in bob_entry.c. */
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
#include "vocab.h"

#include "bob_state.h"

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
/* What Bob shows the chain to claim HTLC htlc_id of chan with preimage
 * (BOB_CHAIN_CLAIM): its terms as both signed them and his signature of
 * the claim. false when he holds no signed terms for it. */
bool bob_engine_claim_proof(struct bob_engine *e, size_t chan, uint64_t htlc_id,
			    const uint8_t preimage[AMP_LEN], struct chain_proof *proof);
/* What the chain answered to a BOB_CHAIN_CLAIM (handed back once the
 * list that asked for it is carried out): accepted, or spent by a claim
 * (his own, sent earlier: only Bob claims), is sent; spent by a refund is
 * beaten; unreachable is claimed again at the next block. Every ACT_CHAIN
 * is answered once, in the order of its list: a list is handed out up to
 * its claims, and what the engine decided after them comes with the
 * answer to the last of them (struct chain_wait). */
void bob_engine_chain_result(struct bob_engine *e, size_t chan, uint64_t htlc_id,
			     enum chain_answer a, struct actions *out);

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
/* A stored invoice, in seq order: false if its seq is not above the last. */
bool bob_engine_restore_invoice(struct bob_engine *e, const struct bob_invoice *bi);
/* The invoice with this seq, or NULL (forgotten, or never made). */
struct bob_invoice *bob_engine_invoice_by_seq(struct bob_engine *e, uint64_t seq);
/* Forget paid invoices, oldest first, until at most `keep` paid ones are
 * left; appends a BOB_REC_INVOICE_FORGET for each; returns how many.
 * Invoices move in e->invoices: call it between engine calls. */
size_t bob_engine_compact_invoices(struct bob_engine *e, size_t keep, struct actions *out);
void bob_engine_restore_set_closed(struct bob_engine *e, const uint8_t key[AMP_LEN]);
/* A channel's finished HTLC ids as stored (before its HTLCs): false if
 * the ranges are not well formed (htlc_table_set_finished). */
/* The node (BOLT #8) on a connection, once its handshake has ended; false
 * (the shell closes it) when that node has BOB_MAX_CONNS_PER_NODE already. */
bool bob_engine_conn_node(struct bob_engine *e, uint64_t conn, const uint8_t node[33]);
/* The node a stored channel belongs to. */
void bob_engine_restore_owner(struct bob_engine *e, size_t chan, const uint8_t node[33]);
bool bob_engine_restore_finished(struct bob_engine *e, size_t chan, uint64_t next,
				 const struct id_range *r, size_t n);
bool bob_engine_restore_htlc(struct bob_engine *e, size_t chan, uint64_t htlc_id,
			     const struct bob_htlc *h, const char **why);
/* Sets that were whole when Bob stopped are settled now; the others get
 * their hold timers back. Also arms the block timer. */
void bob_engine_resume(struct bob_engine *e, uint64_t now_us, struct actions *out);

/* Lookups for the shell and tests. */

#endif

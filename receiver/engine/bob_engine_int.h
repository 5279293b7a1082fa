/* What the engine's files share among themselves (not for the shell). */
#ifndef AMPSIM_BOB_ENGINE_INT_H
#define AMPSIM_BOB_ENGINE_INT_H

#include "bob_state.h"

static inline uint32_t be_height(const struct bob_engine *e, uint64_t now_us)
{
	return simclock_height_of(&e->clk, now_us);
}

/* bob_invoices.c: the invoices' index by payment hash, who asked for
 * them, and their expiry. */
struct bob_invoice *be_find_invoice(struct bob_engine *e, const uint8_t hash[AMP_LEN]);
/* bi was appended to e->invoices (made or restored) */
void be_invoice_added(struct bob_engine *e, const struct bob_invoice *bi);
/* bi is leaving e->invoices (forgotten) */
void be_invoice_leaves(struct bob_engine *e, const struct bob_invoice *bi);
/* bi is paid: no longer counted as unpaid */
void be_invoice_paid(struct bob_engine *e, struct bob_invoice *bi);
/* A node as a requester of invoices (never 0). */
uint64_t be_node_key(struct bob_engine *e, const uint8_t node[33]);
size_t be_unpaid_of(const struct bob_engine *e, uint64_t requester);
/* Forget unpaid invoices past cfg.invoice_expiry_us (none whose set is
 * being gathered). */
void be_expire_invoices(struct bob_engine *e, uint64_t now_us, struct actions *out);

/* bob_resolve.c: one HTLC's resolution (through htlc_change), and
 * putting it on the wire (first time, or again for a replayed add). */
void be_resolve(struct bob_engine *e, size_t chan, uint64_t htlc_id, enum htlc_event ev,
		const uint8_t preimage[AMP_LEN], uint32_t code, const char *reason,
		struct actions *out);
/* Bob's countersignature of HTLC h's terms to Alice (htlc_signed), when
 * he has one and she is connected. */
void be_send_signed(struct bob_engine *e, size_t chan, const struct bob_htlc *h,
		    struct actions *out);
/* The terms of add m as Alice offered them on bc: false when they are not
 * signed by the channel's node (checked when a verifier is set); with h,
 * Bob countersigns them and keeps both signatures in h. */
bool be_sign_terms(struct bob_engine *e, const struct bob_chan *bc,
		   const Ampsim__UpdateAddHtlc *m, struct bob_htlc *h);
/* Whether the chain shows the output of HTLC id of chan spent (confirmed
 * at height), and whether by Alice's refund. */
bool be_chain_spent(const struct bob_engine *e, size_t chan, uint64_t htlc_id, uint32_t height,
		    bool *refund);
void be_transmit(struct bob_engine *e, size_t chan, uint64_t htlc_id, struct actions *out);
void be_fail_one(struct bob_engine *e, size_t chan, uint64_t htlc_id, uint32_t code,
		 const char *reason, struct actions *out);
void be_send_fulfill(struct bob_engine *e, size_t chan, uint64_t htlc_id,
		     const uint8_t preimage[AMP_LEN], struct actions *out);

/* bob_block.c: a fulfilled HTLC given back to Alice (her refund won on
 * chain, or, why given, she says she reclaimed it at its expiry) */
void be_lose_fulfilled(struct bob_engine *e, size_t chan, struct bob_htlc *h, const char *why,
		       struct actions *out);
/* Blocks during which Bob, with no acknowledgement and no refund on chain
 * once a refund sent at the expiry would have confirmed, asks Alice again
 * with his fulfill. */
#define BOB_ASK_BLOCKS 24

/* bob_sets.c: sets, as the add path and timers drive them */
/* behaviour = eager: an MPP part settled the moment it arrives, with its
 * invoice's preimage, whole set or not (an AMP part cannot be: its
 * preimage needs every share). false: no invoice, the set path decides. */
bool be_eager_claim(struct bob_engine *e, size_t chan, uint64_t htlc_id, struct actions *out);
struct ampset_result be_join_set(struct bob_engine *e, size_t chan, uint64_t htlc_id);
void be_arm_hold(struct bob_engine *e, const struct ampset *s, struct actions *out);
void be_fail_set(struct bob_engine *e, struct ampset *s, uint32_t code, const char *why,
		 struct actions *out);
void be_settle_set(struct bob_engine *e, struct ampset *s, uint64_t now_us, struct actions *out);
void be_withhold_set(struct bob_engine *e, struct ampset *s, struct actions *out);
void be_set_verdict(struct bob_engine *e, size_t chan, uint64_t htlc_id,
		    struct ampset_result r, uint64_t now_us, struct actions *out);

/* The entry points' handlers (bob_entry.c calls each, then encodes the
 * records its list asks for); the engine's files call these, not the
 * entry points. */
void be_disconnected(struct bob_engine *e, uint64_t conn, const char *why, struct actions *out);
void be_message(struct bob_engine *e, uint64_t conn, const Ampsim__Envelope *env, uint64_t now_us,
		struct actions *out);
void be_block(struct bob_engine *e, uint64_t now_us, struct actions *out);
void be_hold_timeout(struct bob_engine *e, uint64_t set_id, uint64_t now_us,
		     struct actions *out);
void be_chain_result(struct bob_engine *e, size_t chan, uint64_t htlc_id, enum chain_answer res,
		     struct actions *out);
/* A new invoice for requester (a node key from be_node_key, or 0: the
 * control socket), persisted before it is handed out; its index. */
size_t be_make_invoice(struct bob_engine *e, struct amount_msat amount, const char *desc,
		       uint64_t now_us, uint64_t requester, struct actions *out);
size_t be_new_invoice(struct bob_engine *e, struct amount_msat amount, const char *desc,
		      uint64_t now_us, struct actions *out);
size_t be_compact_invoices(struct bob_engine *e, size_t keep, struct actions *out);
void be_resume(struct bob_engine *e, uint64_t now_us, struct actions *out);

#endif

/* The channel ledger: one channel's capacity, both balances and its
 * in-flight HTLCs (all offered by Alice to Bob). Pure: no I/O, no clock.
 * Every operation either succeeds or changes nothing, and keeps
 *   alice + bob + sum(in-flight) == capacity      (invariant 1). */
#ifndef AMPSIM_LEDGER_H
#define AMPSIM_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "amount.h"
#include "proto_limits.h"
#include "amp.h"

#define LEDGER_ID_MAX ID_MAX
#define BOLT2_MAX_HTLCS MAX_HTLCS   /* proto_limits.h */

enum htlc_end { HTLC_FULFILLED, HTLC_FAILED, HTLC_REFUNDED };
const char *htlc_end_name(enum htlc_end e);

struct ledger_htlc {
	uint64_t id;
	struct amount_msat amount;
	uint8_t hash[AMP_LEN];
	uint32_t cltv_expiry;
	bool used;
};

struct ledger {
	char id[LEDGER_ID_MAX];
	struct amount_msat capacity, alice, bob, inflight;
	struct amount_msat htlc_minimum;
	uint32_t max_htlcs;
	uint32_t nhtlcs;
	struct ledger_htlc *htlcs;     /* max_htlcs slots, owned */
	uint32_t span;                 /* every used slot is below it: lookups
				        * scan the slots in use, not all 483 */
};

enum ledger_err {
	LEDGER_OK,
	LEDGER_BAD_PARAMS,     /* init: alice > capacity, slots out of 1..483 */
	LEDGER_NO_FUNDS,       /* Alice's balance is below the amount */
	LEDGER_NO_SLOT,        /* max_htlcs HTLCs already in flight */
	LEDGER_BELOW_MIN,      /* below htlc_minimum (or zero) */
	LEDGER_DUP_ID,         /* an HTLC with this id is in flight */
	LEDGER_UNKNOWN_HTLC,   /* no in-flight HTLC with this id */
};
const char *ledger_err_name(enum ledger_err e);

enum ledger_err ledger_init(struct ledger *l, const char *id, struct amount_msat capacity,
			    struct amount_msat alice, uint32_t max_htlcs,
			    struct amount_msat htlc_minimum);
void ledger_free(struct ledger *l);

enum ledger_err ledger_add(struct ledger *l, uint64_t htlc_id, struct amount_msat amount,
			   const uint8_t hash[AMP_LEN], uint32_t cltv_expiry);

/* Remove an in-flight HTLC: fulfilled pays Bob, failed and refunded return
 * the amount to Alice. *out (may be NULL) receives the removed HTLC. */
enum ledger_err ledger_resolve(struct ledger *l, uint64_t htlc_id, enum htlc_end how,
			       struct ledger_htlc *out);

/* An HTLC counted as fulfilled turned out to be refunded (the receiver
 * lost the on-chain race): move its amount back from Bob to Alice. */
bool ledger_reverse_fulfill(struct ledger *l, struct amount_msat amount);

const struct ledger_htlc *ledger_find(const struct ledger *l, uint64_t htlc_id);
uint32_t ledger_free_slots(const struct ledger *l);
/* What Alice can still offer in one HTLC. */
struct amount_msat ledger_spendable(const struct ledger *l);
bool ledger_conserves(const struct ledger *l);

#endif

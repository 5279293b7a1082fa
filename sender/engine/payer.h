/* A payment as Alice tracks it: its state, its parts (one per HTLC
 * attempt), the two state machines (payment and part, of the shape of
 * sim/core/fsm.h) and the rule that turns the parts' results into the
 * payment's one outcome.
 * Pure: no sockets, no clock; transitions are logged through an action
 * list (action.h). */
#ifndef AMPSIM_PAYER_H
#define AMPSIM_PAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amount.h"
#include "action.h"
#include "amp.h"
#include "fsm.h"
#include "vocab.h"

enum part_state {
	PART_WAITING,     /* not sent yet (waiting for its invoice) */
	PART_INFLIGHT,
	PART_FULFILLED,
	PART_FAILED,      /* failed back by Bob, or never sent */
	PART_REFUNDED,    /* reclaimed by Alice at cltv_expiry */
};
#define PART_STATE_COUNT 5
const char *part_state_name(enum part_state s);

/* Stored as integers: values are append-only. */
struct part {
	size_t chan;                 /* index into Alice's channels; SIZE_MAX: none */
	uint64_t htlc_id;
	struct amount_msat amount;
	uint8_t hash[AMP_LEN];
	uint8_t secret[AMP_LEN];     /* payment_secret (MPP record) */
	uint8_t share[AMP_LEN];      /* AMP */
	uint32_t child_index;        /* AMP */
	uint32_t cltv_expiry;
	enum part_state state;
	uint32_t failure_code;
	unsigned attempt;            /* 0 for the first try, then retries */
	bool have_invoice;
	bool onchain;                /* resolved by the simulated chain */
	bool refund_logged;          /* onchain_refund_sent said (not stored) */
	char why[96];
	/* the HTLC's terms as signed (docs/protocol.md, "Signed terms"):
	 * Alice's signature, sent with the add, and Bob's countersignature */
	bool signed_terms, countersigned;
	uint8_t sender_sig[64];
	uint8_t receiver_sig[64];
};

/* Where a payment is (stored as integers: values are append-only). */
enum pay_state {
	PAY_NEW,              /* requested, not started yet */
	PAY_DEFERRED,         /* waiting for Bob to be reachable or channels up */
	PAY_AWAITING_INVOICE, /* single/mpp: Bob's invoice asked for */
	PAY_ACTIVE,           /* parts planned: they decide what happens next */
	PAY_DONE,             /* the outcome is known */
};
#define PAY_STATE_COUNT 5
const char *pay_state_name(enum pay_state s);

struct payment {
	uint64_t seq;                /* 1, 2, ...: the order payments were made in, never reused */
	char id[SCN_ID_MAX];
	enum pay_mode mode;
	struct amount_msat amount;
	uint32_t shards;
	uint32_t expiry_blocks;
	uint32_t min_final_cltv;     /* a pasted invoice's min_final_cltv_expiry */
	uint64_t deadline_us;        /* simulated: no new attempts after it */
	uint8_t set_id[AMP_LEN];     /* AMP */
	enum outcome outcome;
	char why[128];
	enum pay_state state;
	struct part *parts;
	size_t nparts, cap;
	bool bench;                  /* started by the benchmark driver */
	uint8_t inv_hash[AMP_LEN];   /* single/mpp: Bob's invoice (or a pasted one); zero: none yet */
	uint8_t inv_secret[AMP_LEN];
};

/* What happens to a part. */
enum part_event {
	PEV_SENT,         /* its add is on the wire */
	PEV_UNSENDABLE,   /* no channel can carry it */
	PEV_FULFILLED,    /* a fulfill with the right preimage, or a claim on chain */
	PEV_FAILED,       /* Bob failed it back */
	PEV_EXPIRED,      /* reclaimed at cltv_expiry (refund) */
};
#define PEV_COUNT 5
const char *part_event_name(enum part_event e);

/* A part's lifecycle, in one table (payer.c), as fsm_draw draws it
 * (tests/unit/test_fsm.c checks this drawing, and the one in
 * docs/architecture.md, against the table):
 *
 * | from \ event | sent | unsendable | fulfilled | failed | expired |
 * |---|---|---|---|---|---|
 * | waiting (0) | inflight | failed | – | – | – |
 * | inflight (1) | – | – | fulfilled | failed | refunded |
 * | fulfilled (2) | – | – | – | – | – |
 * | failed (3) | – | – | – | – | – |
 * | refunded (4) | – | – | – | – | – |
 */
extern const struct fsm part_machine;

/* The state ev leads a part to from `from`; false if the table refuses it. */
bool part_next(enum part_state from, enum part_event ev, enum part_state *to);

/* The one place a part's state changes: logged as a "part_state" event
 * with payment, part (its index), trigger (the part event), from, to, and
 * why when given. An illegal change changes nothing, logs no part_state,
 * returns false and is refused by fsm_refuse's policy (cause: who asked). */
bool part_change(struct payment *p, size_t part, enum part_event ev, enum fsm_cause cause,
		 const char *why, struct actions *out);

/* What happens to a payment. */
enum pay_event {
	PAYEV_DEFER,        /* it waits: for Bob to be reachable, or for channels */
	PAYEV_ASK_INVOICE,  /* single/mpp: Bob's invoice is asked for */
	PAYEV_LAUNCH,       /* it has what it needs: its parts are planned */
	PAYEV_INVOICE,      /* single/mpp: the invoice it awaited arrived */
	PAYEV_TIMEOUT,      /* it stops waiting at its deadline: its parts decide */
	PAYEV_FINISH,       /* nothing is busy any more: the outcome is known */
};
#define PAYEV_COUNT 6
const char *pay_event_name(enum pay_event e);

/* A payment's lifecycle, in one table (payer.c), as fsm_draw draws it
 * (checked like the part's):
 *
 * | from \ event | defer | ask_invoice | launch | invoice | timeout | finish |
 * |---|---|---|---|---|---|---|
 * | new (0) | deferred | awaiting_invoice | active | – | – | – |
 * | deferred (1) | – | awaiting_invoice | active | – | active | done |
 * | awaiting_invoice (2) | deferred | stays | active | active | – | – |
 * | active (3) | deferred | – | stays | – | – | done |
 * | done (4) | – | – | – | – | – | – |
 */
extern const struct fsm payment_machine;

/* The state ev leads a payment to from `from`; false if the table refuses it. */
bool payment_next(enum pay_state from, enum pay_event ev, enum pay_state *to);
/* Some event leads from `from` to another state `to` (a stay is no change). */
bool pay_state_allowed(enum pay_state from, enum pay_state to);

/* The one place a payment's state changes: every change is logged as a
 * "payment_state" event (payment, from, to); a stay changes and logs
 * nothing. An illegal change changes nothing, returns false and is refused
 * by fsm_refuse's policy (cause: who asked). */
bool payment_change(struct payment *p, enum pay_event ev, enum fsm_cause cause,
		    struct actions *out);

/* Bob's invoice (or a pasted one) is known (single/mpp). */
bool payment_has_invoice(const struct payment *p);

struct part *payment_new_part(struct payment *p);
void payment_free(struct payment *p);

/* True while anything is still to happen: the payment deferred (waiting
 * for Bob or channels), its invoice awaited, or a part waiting (for its
 * invoice, or to be sent) or in flight. */
bool payment_busy(const struct payment *p);

/* The outcome once nothing is busy (docs/scenarios.md, "[expect]"):
 * settled if the whole amount was fulfilled; partial if some but not all
 * (for mpp/amp that is an atomicity violation: *violation set); otherwise
 * refunded if any attempt came back only through expiry, else failed. */
enum outcome payment_outcome(const struct payment *p, bool *violation);

/* Sum of fulfilled parts. */
struct amount_msat payment_paid(const struct payment *p);

#endif

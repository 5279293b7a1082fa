/* Alice's payment engine: the protocol of paying Bob, pure.
 *
 * Every entry point has the shape handle(engine, event, now_us, actions):
 * it changes the engine's state and appends what is to be done (messages
 * to send, records to persist, events to log, chain transactions, outcomes)
 * to an action list (sim/core/action.h), each record to persist already
 * encoded. The shell (sender/alice.c) decodes messages, calls in, and
 * carries the list out: every ACT_PERSIST in one store transaction first,
 * then the rest in order; the chain's answers to its ACT_CHAINs go back
 * in (pay_engine_chain_result) once the list is done. The entry points
 * are in pay_entry.c.
 *
 * No clock, socket, file or global is read here: `now_us` is simulated
 * time, heights come from simclock_height_of(), and every secret (shares,
 * set ids, child indexes, payment secrets) comes from the injected random
 * source. The build links this library with sim/core only. */
#ifndef AMPSIM_PAY_ENGINE_H
#define AMPSIM_PAY_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "ampsim.pb-c.h"
#include "clock.h"
#include "ledger.h"
#include "u64map.h"
#include "link.h"
#include "owner_map.h"
#include "payer.h"
#include "terms.h"
#include "vocab.h"

#define PAY_MAX_CHANNELS SCN_MAX_CHANNELS

/* The one connection the engine speaks on (ACT_SEND/ACT_CLOSE conn). */
#define PAY_CONN_BOB 1

/* What ACT_PERSIST asks the shell to write, its bytes encoded by
 * pay_codec.c (pay_records_encode) as the engine stands when the entry
 * point returns:
 *   PAY_REC_PAYMENT  payment `id` (its seq): pay_encode's bytes, or none
 *                    if it is no longer kept
 *   PAY_REC_CHANNEL  channel `chan`: a struct pay_chan_row
 *   PAY_REC_FORGET   payment `id` is forgotten: its row goes (no bytes)
 *   PAY_REC_TOTALS   the outcomes of forgotten payments: a struct
 *                    pay_totals_row */
enum pay_record { PAY_REC_PAYMENT, PAY_REC_CHANNEL, PAY_REC_FORGET, PAY_REC_TOTALS };

/* ACT_CHAIN: submit Alice's refund of HTLC `htlc_id` on channel `chan`
 * (BOLT #5 timeout path); key is the HTLC's payment hash. */
enum pay_chain_tx { PAY_CHAIN_REFUND };

/* ACT_TIMER: the engine's timers. Blocks drive expiry, refunds, deferral
 * and the payment timeout; the engine arms the next one itself. */
enum pay_timer { PAY_TIMER_BLOCK };

/* Randomness for secrets, injected by the shell: libsodium's system
 * randomness in the daemon, a fixed stream in tests. */
struct pay_rand {
	void (*bytes)(void *ctx, uint8_t *buf, size_t n);
	void *ctx;
};


struct pay_chan {
	struct ledger ledger;
	uint64_t next_htlc_id;
	struct link_params to_bob, to_alice;   /* announced in open_channel */
	bool accepted;                         /* open_channel answered */
	bool down;                             /* a fault holds a direction down */
	struct owner_map owners;               /* htlc id -> payment part */
};

struct inv_request {
	uint64_t id;
	uint32_t pay;
	int32_t part;                     /* -1: the payment's one invoice */
};

/* Checks a signature of Bob's node over a digest (the shell knows the node
 * it reached). fn NULL: no check (unit tests). */
struct pay_verify {
	bool (*fn)(void *ctx, const uint8_t digest[32], const uint8_t sig[64]);
	void *ctx;
};

struct pay_engine {
	struct simclock clk;              /* block arithmetic only */
	struct pay_verify verify;         /* Bob's invoices and countersignatures are his */
	/* Alice's node: she signs the terms of each HTLC she offers
	 * (docs/protocol.md, "Signed terms"); bob_node is the node they pay */
	struct terms_signer terms;
	uint8_t bob_node[TERMS_NODE_LEN];
	uint64_t seed;                    /* announced in init */
	enum alice_behaviour behaviour;
	struct pay_rand rand;
	bool has_chain;                   /* expired HTLCs are refunded on chain */
	struct pay_chan chans[PAY_MAX_CHANNELS];
	size_t nchans;
	struct payment *pays;             /* in the order of their seq */
	size_t npays, pays_cap;
	struct u64map pay_by_id;          /* hash of a payment's id -> its seq */
	uint64_t pay_id_clashes;          /* two ids hashed alike: misses scan */
	uint64_t last_seq;                /* the newest payment's seq */
	/* seqs of payments that went deferred and may still be: what
	 * retry_deferred looks at, so a block costs nothing per payment */
	uint64_t *deferred;
	size_t ndeferred, deferred_cap;
	struct inv_request *reqs;
	size_t nreqs, reqs_cap;
	uint64_t next_req;
	uint64_t settled, failed, refunded, partial;   /* every payment ever ended */
	struct {
		uint64_t settled, failed, refunded, partial;
	} forgotten;                      /* of those, the ones no longer kept */
	/* the connection to Bob */
	bool peer_up;                     /* a connection exists */
	bool bob_answered;                /* Bob's init came on this connection */
	int refusals;                     /* connection refusals before his init, in a row */
	int owner_refusals;               /* ERROR_FOREIGN_CHANNEL in a row */
	bool bob_inited;                  /* his init arrived */
	size_t accepted;                  /* channels accepted on this connection */
	uint64_t reconnects;
	bool restarted;                   /* loaded from stored records */
	/* what a list decided after its refunds, handed out with the chain's
	 * answer to the last of them (pay_engine_chain_result) */
	struct chain_wait wait;
	/* persists carry their records' bytes (pay_records_encode); a shell
	 * that keeps no store clears it, and they then carry none */
	bool encode_records;
};

/* ---- set-up ---------------------------------------------------------- */

void pay_engine_init(struct pay_engine *e, const struct simclock *clk, uint64_t seed,
		     enum alice_behaviour behaviour, const struct pay_rand *rand);
void pay_engine_free(struct pay_engine *e);
/* What start-up settled after pay_engine_init (stored records win over
 * the command line): the clock, the seed, the behaviour, the chain. */
void pay_engine_configure(struct pay_engine *e, const struct simclock *clk, uint64_t seed,
			  enum alice_behaviour behaviour, bool has_chain);

/* A channel from its configuration; LEDGER_OK or why not (nothing added). */
enum ledger_err pay_engine_add_channel(struct pay_engine *e, const struct channel_config *cc);
/* Forget every channel (stored ones are about to replace them). */
void pay_engine_drop_channels(struct pay_engine *e);
/* Index of the channel with this id, or SIZE_MAX. */
size_t pay_engine_find_chan(const struct pay_engine *e, const char *id);
/* The payment with this id, or NULL. */
struct payment *pay_engine_find_pay(struct pay_engine *e, const char *id);
/* The payment with this seq, or NULL (forgotten, or never made). */
struct payment *pay_engine_by_seq(struct pay_engine *e, uint64_t seq);
/* Forget finished payments (an outcome, no part waiting or in flight),
 * oldest first, until at most `keep` finished ones are left; appends a
 * PAY_REC_FORGET for each. Returns how many were forgotten. Payments move
 * in e->pays: call it between engine calls, never while holding pointers
 * or indexes into it. */
size_t pay_engine_compact(struct pay_engine *e, size_t keep, struct actions *out);
/* What compaction may forget: an outcome, no part waiting or in flight. */
bool pay_engine_finished(const struct payment *p);
/* Append a payment record as it is (stored, or new: seq 0 gets the next
 * one); returns it. */
struct payment *pay_engine_add_payment(struct pay_engine *e, const struct payment *p);

/* Restart from stored records (channels and payments already added): the
 * in-flight HTLCs go back into the ledgers, every sent part is findable
 * by (channel, htlc id), the outcome counters are recounted. false + why
 * when the state does not hold together: an in-flight HTLC that does not
 * fit its channel (below its minimum, a second HTLC of that id, more than
 * max_htlcs), balances that do not add up. The records are then damaged,
 * and the engine is only fit to be freed. */
bool pay_engine_restore(struct pay_engine *e, char *why, size_t whylen);

/* ---- the connection to Bob --------------------------------------------- */

/* A connection is up (reconnect: not the first): init and open_channel. */
void pay_engine_connected(struct pay_engine *e, bool reconnect, struct actions *out);
/* Bob's init; a version we do not speak closes the connection. */
void pay_engine_on_init(struct pay_engine *e, const Ampsim__Init *m, struct actions *out);
/* accept_channel; once every channel is accepted again after a reconnect
 * or a restart, channel_reestablish and the replay of what Bob may have
 * missed (adds in flight, unanswered invoice requests, unsent parts). */
void pay_engine_on_accept(struct pay_engine *e, const Ampsim__AcceptChannel *m, uint64_t now_us,
			  struct actions *out);
/* The connection is gone: messages on their way died with it. */
void pay_engine_disconnected(struct pay_engine *e);
/* Connected, Bob's init received and every channel accepted. */
bool pay_engine_ready(const struct pay_engine *e);

/* Bob's error: whether it is the refusal, PAY_MAX_REFUSALS times in a
 * row, that retrying cannot mend (the shell then stops, saying which and
 * how to fix it). Counted by the error's code and whether Bob ever
 * answered our init on this connection, never by its text. */
#define PAY_MAX_REFUSALS 3
enum pay_refusal {
	PAY_REFUSAL_NONE,
	PAY_REFUSED_BY_BOB,            /* the connection refused before his init */
	PAY_REFUSED_FOREIGN_CHANNEL,   /* our channels belong to another node key */
};
enum pay_refusal pay_engine_on_error(struct pay_engine *e, const Ampsim__Error *m);

/* ---- payments ------------------------------------------------------------ */

struct pay_request {
	const char *id;
	enum pay_mode mode;
	struct amount_msat amount;
	uint32_t shards;
	uint32_t expiry_blocks;
	uint32_t min_final_cltv;          /* a pasted invoice's */
	uint64_t deadline_us;             /* simulated: no new attempts after it */
	bool bench;
	const uint8_t *inv_hash;          /* a pasted invoice (single/mpp), or NULL */
	const uint8_t *inv_secret;
};

/* A new payment, started at once (or deferred while Bob is out of reach). */
struct payment *pay_engine_pay(struct pay_engine *e, const struct pay_request *r,
			       uint64_t now_us, struct actions *out);
void pay_engine_on_invoice(struct pay_engine *e, const Ampsim__Invoice *m, uint64_t now_us,
			   struct actions *out);
void pay_engine_on_fulfill(struct pay_engine *e, const Ampsim__UpdateFulfillHtlc *m,
			   uint64_t now_us, struct actions *out);
void pay_engine_on_fail(struct pay_engine *e, const Ampsim__UpdateFailHtlc *m, uint64_t now_us,
			struct actions *out);
/* Bob's countersignature of an HTLC's terms: kept (persisted) when it is
 * his over the terms Alice offered, for an HTLC still in flight. */
void pay_engine_on_signed(struct pay_engine *e, const Ampsim__HtlcSigned *m, struct actions *out);
/* The terms of a sent part (false: its channel id does not fit them). */
bool pay_engine_part_terms(const struct pay_engine *e, const struct part *pt,
			   struct chain_terms *t);

/* A fault changed whether channel i can take new HTLCs (no actions: call
 * pay_engine_retry_deferred once the faults are applied). */
void pay_engine_set_down(struct pay_engine *e, size_t chan, bool down);
/* Payments waiting for Bob or for channels try again; past their timeout
 * they fail. */
void pay_engine_retry_deferred(struct pay_engine *e, uint64_t now_us, struct actions *out);

/* ---- blocks and the chain --------------------------------------------- */

/* What the chain says of one in-flight HTLC: confirmed spent by Bob's
 * claim (with its preimage) or by Alice's refund. */
struct pay_chain_seen {
	size_t chan;
	uint64_t htlc_id;
	bool claim;
	uint8_t preimage[AMP_LEN];
	uint32_t confirm_height;
};

/* The engine starts: arms the timer of the next block. */
void pay_engine_start(struct pay_engine *e, uint64_t now_us, struct actions *out);

/* A block (PAY_TIMER_BLOCK fired): HTLCs the chain settled are resolved,
 * HTLCs at their expiry reclaimed (BOLT #5; on chain with ACT_CHAIN when
 * there is a chain), deferred payments retried, and the next block's timer
 * armed. seen: the chain's confirmed spends of HTLCs in flight (the shell
 * asks the chain). */
void pay_engine_block(struct pay_engine *e, uint64_t now_us, const struct pay_chain_seen *seen,
		      size_t nseen, struct actions *out);
/* What Alice shows the chain to refund HTLC htlc_id of chan (ACT_CHAIN):
 * the terms both signed, and her signature of the refund. false when she
 * has no countersignature of them (she then asks for no refund). */
bool pay_engine_refund_proof(struct pay_engine *e, size_t chan, uint64_t htlc_id,
			     struct chain_proof *proof);
/* What the chain answered to the refund of ACT_CHAIN (handed back once
 * the list that asked for it is carried out): accepted, or spent by a
 * refund (hers: only the sender refunds), says it was sent, once per
 * HTLC; unreachable says it is deferred to the next block; spent by
 * Bob's claim, or invalid (not expired at the chain's reckoning), says
 * nothing. Every ACT_CHAIN is answered once, in the order of its list (one
 * the shell could not send, as invalid): a list is handed out up to its
 * refunds, and what the engine decided after them comes with the answer
 * to the last of them (struct chain_wait). */
void pay_engine_chain_result(struct pay_engine *e, size_t chan, uint64_t htlc_id,
			     enum chain_answer a, struct actions *out);

/* Every channel as a record (a first start stores the channels it was
 * given, before any payment). */
void pay_engine_channel_records(struct pay_engine *e, struct actions *out);

#endif

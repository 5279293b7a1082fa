/* A payment as bytes, for alice's state file: a version byte, then every
 * field of the payment and of each part in a fixed order, integers little
 * endian, strings with a one-byte length. Decoding checks everything (a
 * stored row is as untrusted as a peer's message): lengths, the ranges of
 * every enum, and that nothing is left over. */
#ifndef AMPSIM_PAY_CODEC_H
#define AMPSIM_PAY_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "link.h"
#include "payer.h"

/* 2: parts carry their signed terms (1 had none: refused, not misread) */
#define PAY_CODEC_VERSION 2

/* The payment id in a record pay_encode wrote (into id, at most cap
 * bytes with its NUL); false if the bytes do not start as one. */
bool pay_record_id(const uint8_t *buf, size_t len, char *id, size_t cap);
/* Bytes pay_encode writes for p. */
size_t pay_encoded_size(const struct payment *p);
/* Encode p into buf (at least pay_encoded_size(p) bytes); returns the
 * length written. */
size_t pay_encode(const struct payment *p, uint8_t *buf, size_t cap);
/* Decode into *p (zeroed first; parts allocated: payment_free). false with
 * why, and nothing allocated, if the bytes are not a payment. */
bool pay_decode(const uint8_t *buf, size_t len, struct payment *p, char *why, size_t whylen);

/* A channel as alice's store keeps it: one row of her channels table. The
 * balances, the next HTLC id and the row's place are rewritten on every
 * record; the rest is written once, when the channel is first stored.
 * alice: her balance after her in-flight parts (the ledger's). */
struct pay_engine;
struct pay_chan_row {
	char id[LEDGER_ID_MAX];
	uint64_t capacity, alice, bob, htlc_min, next_htlc, delay, jitter;
	int64_t idx, max_htlcs, jitter_dist;
	double drop, dup;
};
void pay_chan_row_of(const struct pay_engine *e, size_t chan, struct pay_chan_row *row);
/* A later record of the same channel over a stored row: what it rewrites. */
void pay_chan_row_update(struct pay_chan_row *stored, const struct pay_chan_row *later);
/* The row as e's next channel, once e's payments are loaded (their
 * in-flight parts go back into Alice's balance); base_out: the link's
 * parameters toward Bob. false + why if it does not load. */
bool pay_chan_row_load(struct pay_engine *e, const struct pay_chan_row *row,
		       struct link_params *base_out, char *why, size_t whylen);

/* The outcomes of the payments Alice forgot (PAY_REC_TOTALS). */
struct pay_totals_row {
	uint64_t settled, failed, refunded, partial;
};

/* The records an engine call asked for (ACT_PERSIST in out from `from`
 * on), each encoded as the engine stands now: a PAY_REC_PAYMENT by
 * pay_encode (none if the payment is no longer kept), a PAY_REC_CHANNEL
 * as its struct pay_chan_row, PAY_REC_TOTALS as a struct pay_totals_row;
 * a PAY_REC_FORGET has no bytes. Every entry point ends with it; nothing
 * is encoded when e->encode_records is false (a shell with no store). */
struct actions;
void pay_records_encode(struct pay_engine *e, struct actions *out, size_t from);

#endif

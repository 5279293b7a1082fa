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

#endif

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

#endif

/* Invoice text encoding, so an invoice can be copied between terminals in
 * a lab: "lnsim1" + hex(packed ampsim.Invoice) + hex(first 4 bytes of
 * SHA256 of the packed bytes) as a checksum against typos. */
#ifndef AMPSIM_INVOICE_H
#define AMPSIM_INVOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amount.h"
#include "amp.h"

#define INVOICE_PREFIX "lnsim1"
#define INVOICE_DESC_MAX 128
#define INVOICE_TEXT_MAX 1024

struct invoice {
	struct amount_msat amount;
	uint8_t payment_hash[AMP_LEN];
	uint8_t payment_secret[AMP_LEN];
	uint32_t min_final_cltv_expiry;
	uint64_t created_height;
	char description[INVOICE_DESC_MAX];
	bool has_signature;
	uint8_t signature[64];      /* Bob's node key over invoice_digest */
};

/* What Bob's node key signs: SHA-256 of "ampsim invoice v1" and every
 * field above but the signature, in a fixed layout (docs/protocol.md). */
void invoice_digest(const struct invoice *inv, uint8_t out[32]);

/* Returns false if the text would not fit in cap. The signature is part
 * of the text when the invoice has one. */
bool invoice_encode(const struct invoice *inv, char *out, size_t cap);

/* Parse text into *inv; false + why on any malformation. */
bool invoice_decode(const char *text, struct invoice *inv, char *why, size_t whylen);

#endif

#include "invoice.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ampsim.pb-c.h"

#define CHECKSUM_LEN 4
#define PACKED_MAX ((INVOICE_TEXT_MAX - sizeof(INVOICE_PREFIX)) / 2 - CHECKSUM_LEN)

void invoice_digest(const struct invoice *inv, uint8_t out[32])
{
	static const char tag[] = "ampsim invoice v1";
	uint8_t num[8 + 4 + 8];
	amount_put_be(inv->amount, num);
	for (int i = 0; i < 8; i++)
		num[12 + i] = (uint8_t)(inv->created_height >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		num[8 + i] = (uint8_t)(inv->min_final_cltv_expiry >> (24 - 8 * i));
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)tag, sizeof(tag) - 1);
	crypto_hash_sha256_update(&st, inv->payment_hash, AMP_LEN);
	crypto_hash_sha256_update(&st, inv->payment_secret, AMP_LEN);
	crypto_hash_sha256_update(&st, num, sizeof(num));
	crypto_hash_sha256_update(&st, (const uint8_t *)inv->description, strlen(inv->description));
	crypto_hash_sha256_final(&st, out);
}

bool invoice_encode(const struct invoice *inv, char *out, size_t cap)
{
	Ampsim__Invoice m = AMPSIM__INVOICE__INIT;
	uint8_t buf[PACKED_MAX + CHECKSUM_LEN];
	uint8_t digest[crypto_hash_sha256_BYTES];

	m.amount_msat = inv->amount.millisatoshis;
	m.payment_hash.data = (uint8_t *)inv->payment_hash;
	m.payment_hash.len = AMP_LEN;
	m.payment_secret.data = (uint8_t *)inv->payment_secret;
	m.payment_secret.len = AMP_LEN;
	m.min_final_cltv_expiry = inv->min_final_cltv_expiry;
	m.created_height = inv->created_height;
	m.description = (char *)inv->description;
	if (inv->has_signature) {
		m.signature.data = (uint8_t *)inv->signature;
		m.signature.len = sizeof(inv->signature);
	}

	size_t n = ampsim__invoice__get_packed_size(&m);
	if (n > PACKED_MAX)
		return false;
	ampsim__invoice__pack(&m, buf);
	crypto_hash_sha256(digest, buf, n);
	memcpy(buf + n, digest, CHECKSUM_LEN);
	size_t plen = strlen(INVOICE_PREFIX);
	if (cap < plen + 2 * (n + CHECKSUM_LEN) + 1)
		return false;
	memcpy(out, INVOICE_PREFIX, plen);
	sodium_bin2hex(out + plen, cap - plen, buf, n + CHECKSUM_LEN);
	return true;
}

bool invoice_decode(const char *text, struct invoice *inv, char *why, size_t whylen)
{
	uint8_t buf[PACKED_MAX + CHECKSUM_LEN];
	uint8_t digest[crypto_hash_sha256_BYTES];
	size_t plen = strlen(INVOICE_PREFIX), n = 0;
	const char *end = NULL;

	if (strncmp(text, INVOICE_PREFIX, plen) != 0) {
		snprintf(why, whylen, "invoice must start with %s", INVOICE_PREFIX);
		return false;
	}
	const char *hex = text + plen;
	if (strlen(hex) > 2 * sizeof(buf) ||
	    sodium_hex2bin(buf, sizeof(buf), hex, strlen(hex), NULL, &n, &end) != 0 ||
	    *end != '\0') {
		snprintf(why, whylen, "invoice body is not hex of at most %zu bytes", sizeof(buf));
		return false;
	}
	if (n <= CHECKSUM_LEN) {
		snprintf(why, whylen, "invoice is too short");
		return false;
	}
	n -= CHECKSUM_LEN;
	crypto_hash_sha256(digest, buf, n);
	if (memcmp(digest, buf + n, CHECKSUM_LEN) != 0) {
		snprintf(why, whylen, "invoice checksum mismatch (mistyped?)");
		return false;
	}
	Ampsim__Invoice *m = ampsim__invoice__unpack(NULL, n, buf);
	if (!m) {
		snprintf(why, whylen, "invoice payload does not decode");
		return false;
	}
	bool ok = false;
	if (m->payment_hash.len != AMP_LEN || m->payment_secret.len != AMP_LEN) {
		snprintf(why, whylen, "invoice hash and secret must be 32 bytes");
	} else if (m->signature.len != 0 && m->signature.len != 64) {
		snprintf(why, whylen, "invoice signature must be 64 bytes");
	} else if (m->amount_msat == 0) {
		snprintf(why, whylen, "invoice amount is zero");
	} else if (strlen(m->description) >= INVOICE_DESC_MAX) {
		snprintf(why, whylen, "invoice description longer than %d bytes", INVOICE_DESC_MAX - 1);
	} else {
		memset(inv, 0, sizeof(*inv));
		inv->amount = amount_msat(m->amount_msat);
		memcpy(inv->payment_hash, m->payment_hash.data, AMP_LEN);
		memcpy(inv->payment_secret, m->payment_secret.data, AMP_LEN);
		inv->min_final_cltv_expiry = m->min_final_cltv_expiry;
		inv->created_height = m->created_height;
		snprintf(inv->description, sizeof(inv->description), "%s", m->description);
		if (m->signature.len == 64) {
			inv->has_signature = true;
			memcpy(inv->signature, m->signature.data, 64);
		}
		ok = true;
	}
	ampsim__invoice__free_unpacked(m, NULL);
	return ok;
}

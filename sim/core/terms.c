#include "terms.h"

#include <string.h>

bool terms_fill(struct chain_terms *t, const char *channel, uint64_t htlc_id,
		const uint8_t hash[CHAIN_RULES_HASH_LEN], uint64_t amount_msat,
		uint32_t cltv_expiry, const uint8_t sender[TERMS_NODE_LEN],
		const uint8_t receiver[TERMS_NODE_LEN])
{
	memset(t, 0, sizeof(*t));
	size_t n = strlen(channel);
	if (n == 0 || n > CHAIN_RULES_CHANNEL_MAX)
		return false;
	memcpy(t->channel, channel, n);
	t->htlc_id = htlc_id;
	memcpy(t->payment_hash, hash, CHAIN_RULES_HASH_LEN);
	t->amount_msat = amount_msat;
	t->cltv_expiry = cltv_expiry;
	memcpy(t->sender, sender, TERMS_NODE_LEN);
	memcpy(t->receiver, receiver, TERMS_NODE_LEN);
	return true;
}

bool terms_sign(const struct terms_signer *s, const struct chain_terms *t,
		uint8_t sig[TERMS_SIG_LEN])
{
	if (!s->sign)
		return false;
	uint8_t digest[CHAIN_RULES_HASH_LEN];
	chain_terms_digest(t, digest);
	s->sign(s->ctx, digest, sig);
	return true;
}

bool terms_verify(const struct terms_signer *s, const uint8_t node[TERMS_NODE_LEN],
		  const struct chain_terms *t, const uint8_t sig[TERMS_SIG_LEN])
{
	if (!s->verify)
		return true;
	uint8_t digest[CHAIN_RULES_HASH_LEN];
	chain_terms_digest(t, digest);
	return s->verify(s->ctx, node, digest, sig);
}

void terms_sign_by_name(void *ctx, const uint8_t digest[CHAIN_RULES_HASH_LEN],
			uint8_t sig[TERMS_SIG_LEN])
{
	(void)digest;
	memset(sig, 0, TERMS_SIG_LEN);
	memcpy(sig, ctx, TERMS_NODE_LEN);
}

bool terms_verify_by_name(void *ctx, const uint8_t node[TERMS_NODE_LEN],
			  const uint8_t digest[CHAIN_RULES_HASH_LEN],
			  const uint8_t sig[TERMS_SIG_LEN])
{
	(void)ctx;
	(void)digest;
	static const uint8_t zero[TERMS_SIG_LEN - TERMS_NODE_LEN];
	return memcmp(sig, node, TERMS_NODE_LEN) == 0 &&
	       memcmp(sig + TERMS_NODE_LEN, zero, sizeof(zero)) == 0;
}

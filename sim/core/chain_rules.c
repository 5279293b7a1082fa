#include "chain_rules.h"

#include <sodium.h>
#include <string.h>

const char *chain_verdict_reason(enum chain_verdict v)
{
	switch (v) {
	case CHAIN_RULE_OK: return "valid";
	case CHAIN_RULE_NO_TERMS: return "no committed output to spend";
	case CHAIN_RULE_OTHER_OUTPUT: return "the spend names another output";
	case CHAIN_RULE_TERMS_DIFFER: return "the spend names other terms than the output's";
	case CHAIN_RULE_WRONG_PREIMAGE: return "the preimage does not hash to the committed hash";
	case CHAIN_RULE_CLAIM_TOO_LATE: return "a claim at or after the committed expiry";
	case CHAIN_RULE_REFUND_TOO_EARLY: return "a refund before the committed expiry";
	case CHAIN_RULE_WRONG_SIGNER: return "not signed by the node the output pays that way";
	case CHAIN_RULE_BAD_SIGNATURE: return "the signature does not verify";
	case CHAIN_RULE_TERMS_UNSIGNED:
		return "the output's terms are not signed by both nodes of its channel";
	}
	return "?";
}

static void put_u64(crypto_hash_sha256_state *st, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	crypto_hash_sha256_update(st, b, sizeof(b));
}

/* a length, then the bytes: no two channels' encodings run together */
static void put_channel(crypto_hash_sha256_state *st, const char *channel)
{
	size_t n = strnlen(channel, CHAIN_RULES_CHANNEL_MAX + 1);
	uint8_t len = (uint8_t)n;
	crypto_hash_sha256_update(st, &len, 1);
	crypto_hash_sha256_update(st, (const uint8_t *)channel, n);
}

void chain_spend_digest(const struct chain_spend *spend, uint8_t out[CHAIN_RULES_HASH_LEN])
{
	static const char tag[] = "ampsim chain spend v1";
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)tag, sizeof(tag) - 1);
	put_channel(&st, spend->channel);
	put_u64(&st, spend->htlc_id);
	uint8_t kind = spend->kind == CHAIN_SPEND_CLAIM ? 0 : 1;
	crypto_hash_sha256_update(&st, &kind, 1);
	if (spend->kind == CHAIN_SPEND_CLAIM)
		crypto_hash_sha256_update(&st, spend->preimage, CHAIN_RULES_HASH_LEN);
	crypto_hash_sha256_final(&st, out);
}

void chain_terms_digest(const struct chain_terms *t, uint8_t out[CHAIN_RULES_HASH_LEN])
{
	static const char tag[] = "ampsim htlc terms v1";
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)tag, sizeof(tag) - 1);
	put_channel(&st, t->channel);
	put_u64(&st, t->htlc_id);
	crypto_hash_sha256_update(&st, t->payment_hash, CHAIN_RULES_HASH_LEN);
	put_u64(&st, t->amount_msat);
	put_u64(&st, t->cltv_expiry);
	crypto_hash_sha256_update(&st, t->sender, CHAIN_RULES_KEY_LEN);
	crypto_hash_sha256_update(&st, t->receiver, CHAIN_RULES_KEY_LEN);
	crypto_hash_sha256_final(&st, out);
}

static bool preimage_matches(const uint8_t preimage[CHAIN_RULES_HASH_LEN],
			     const uint8_t hash[CHAIN_RULES_HASH_LEN])
{
	uint8_t h[CHAIN_RULES_HASH_LEN];
	crypto_hash_sha256(h, preimage, CHAIN_RULES_HASH_LEN);
	return sodium_memcmp(h, hash, CHAIN_RULES_HASH_LEN) == 0;
}

enum chain_verdict chain_rule_check(const struct chain_terms *terms,
				    const struct chain_spend *spend, uint32_t height,
				    const struct chain_verifier *verifier)
{
	if (!terms)
		return CHAIN_RULE_NO_TERMS;
	if (strncmp(terms->channel, spend->channel, sizeof(terms->channel)) != 0 ||
	    terms->htlc_id != spend->htlc_id)
		return CHAIN_RULE_OTHER_OUTPUT;
	if (memcmp(terms->payment_hash, spend->named_hash, CHAIN_RULES_HASH_LEN) != 0 ||
	    terms->cltv_expiry != spend->named_expiry)
		return CHAIN_RULE_TERMS_DIFFER;
	const uint8_t *owner = NULL;
	switch (spend->kind) {
	case CHAIN_SPEND_CLAIM:
		/* BOLT #3's HTLC script: the preimage path, before the timeout */
		if (!preimage_matches(spend->preimage, terms->payment_hash))
			return CHAIN_RULE_WRONG_PREIMAGE;
		if (height >= terms->cltv_expiry)
			return CHAIN_RULE_CLAIM_TOO_LATE;
		owner = terms->receiver;
		break;
	case CHAIN_SPEND_REFUND:
		/* the timeout path, from the expiry on */
		if (height < terms->cltv_expiry)
			return CHAIN_RULE_REFUND_TOO_EARLY;
		owner = terms->sender;
		break;
	}
	if (memcmp(spend->signer, owner, CHAIN_RULES_KEY_LEN) != 0)
		return CHAIN_RULE_WRONG_SIGNER;
	if (verifier && verifier->verify) {
		uint8_t digest[CHAIN_RULES_HASH_LEN];
		chain_spend_digest(spend, digest);
		if (!verifier->verify(verifier->ctx, spend->signer, digest, spend->sig))
			return CHAIN_RULE_BAD_SIGNATURE;
	}
	return CHAIN_RULE_OK;
}

void chain_spend_make(struct chain_spend *s, const struct chain_terms *t,
		      enum chain_spend_kind kind, const uint8_t preimage[CHAIN_RULES_HASH_LEN],
		      const uint8_t spend_sig[CHAIN_RULES_SIG_LEN])
{
	memset(s, 0, sizeof(*s));
	memcpy(s->channel, t->channel, sizeof(s->channel));
	s->htlc_id = t->htlc_id;
	s->kind = kind;
	if (kind == CHAIN_SPEND_CLAIM && preimage)
		memcpy(s->preimage, preimage, CHAIN_RULES_HASH_LEN);
	memcpy(s->named_hash, t->payment_hash, CHAIN_RULES_HASH_LEN);
	s->named_expiry = t->cltv_expiry;
	memcpy(s->signer, kind == CHAIN_SPEND_CLAIM ? t->receiver : t->sender, CHAIN_RULES_KEY_LEN);
	if (spend_sig)
		memcpy(s->sig, spend_sig, CHAIN_RULES_SIG_LEN);
}

enum chain_verdict chain_proof_check(const struct chain_proof *p, enum chain_spend_kind kind,
				     const uint8_t preimage[CHAIN_RULES_HASH_LEN], uint32_t height,
				     const struct chain_verifier *verifier)
{
	const struct chain_terms *t = &p->terms;
	/* a channel is between two nodes: one node's own "channel" would let
	 * a single key make both signatures */
	if (memcmp(t->sender, t->receiver, CHAIN_RULES_KEY_LEN) == 0)
		return CHAIN_RULE_TERMS_UNSIGNED;
	if (verifier && verifier->verify) {
		uint8_t digest[CHAIN_RULES_HASH_LEN];
		chain_terms_digest(t, digest);
		if (!verifier->verify(verifier->ctx, t->sender, digest, p->sender_sig) ||
		    !verifier->verify(verifier->ctx, t->receiver, digest, p->receiver_sig))
			return CHAIN_RULE_TERMS_UNSIGNED;
	}
	struct chain_spend s;
	chain_spend_make(&s, t, kind, preimage, p->spend_sig);
	return chain_rule_check(t, &s, height, verifier);
}

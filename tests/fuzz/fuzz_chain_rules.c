/* Fuzz target: the chain's rules (sim/core/chain_rules.c) over any terms
 * and any spend at any height. What must hold: a spend is valid only as
 * the rules say (the committed output, its terms named, a claim with the
 * preimage before the expiry by the receiver, a refund from the expiry by
 * the sender, a signature that verifies when one is checked), every
 * verdict has a reason, and the check decides the same twice. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "chain_rules.h"
#include "fuzz.h"

const char *fuzz_name = "chain_rules";

/* the verifier of the tests: a "signature" is the digest, then the
 * signer's second byte */
static bool fake_verify(void *ctx, const uint8_t pub[CHAIN_RULES_KEY_LEN],
			const uint8_t digest[CHAIN_RULES_HASH_LEN],
			const uint8_t sig[CHAIN_RULES_SIG_LEN])
{
	(void)ctx;
	return memcmp(sig, digest, CHAIN_RULES_HASH_LEN) == 0 && sig[CHAIN_RULES_HASH_LEN] == pub[1];
}

/* Input: flags, then the terms' and the spend's fields in order, each
 * taken from what is left (zeros past the end). */
enum {
	F_TERMS = 1,          /* the output has committed terms */
	F_VERIFY = 2,         /* signatures are checked */
	F_NAME_TERMS = 4,     /* the spend names the committed hash and expiry */
	F_SAME_OUTPUT = 8,    /* the spend names the committed output */
	F_PREIMAGE = 16,      /* the committed hash is the preimage's */
	F_SIGN = 32,          /* the spend carries a good signature */
	F_REFUND = 64,
	F_SIGNER_OWNER = 128, /* signed by the node the output pays that way */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_reader r = { data, size };
	uint8_t flags;
	fuzz_take(&r, &flags, 1);
	struct chain_terms t;
	struct chain_spend s;
	uint32_t height;
	fuzz_take(&r, &t, sizeof(t));
	fuzz_take(&r, &s, sizeof(s));
	fuzz_take(&r, &height, sizeof(height));
	t.channel[sizeof(t.channel) - 1] = '\0';
	s.channel[sizeof(s.channel) - 1] = '\0';
	s.kind = flags & F_REFUND ? CHAIN_SPEND_REFUND : CHAIN_SPEND_CLAIM;
	/* the flags make the interesting cases reachable without the fuzzer
	 * having to find a SHA-256 preimage */
	if (flags & F_PREIMAGE)
		crypto_hash_sha256(t.payment_hash, s.preimage, CHAIN_RULES_HASH_LEN);
	if (flags & F_SAME_OUTPUT) {
		memcpy(s.channel, t.channel, sizeof(s.channel));
		s.htlc_id = t.htlc_id;
	}
	if (flags & F_NAME_TERMS) {
		memcpy(s.named_hash, t.payment_hash, CHAIN_RULES_HASH_LEN);
		s.named_expiry = t.cltv_expiry;
	}
	if (flags & F_SIGNER_OWNER)
		memcpy(s.signer, s.kind == CHAIN_SPEND_CLAIM ? t.receiver : t.sender,
		       CHAIN_RULES_KEY_LEN);
	if (flags & F_SIGN) {
		chain_spend_digest(&s, s.sig);
		s.sig[CHAIN_RULES_HASH_LEN] = s.signer[1];
	}
	const struct chain_verifier verifier = { fake_verify, NULL };
	const struct chain_terms *terms = flags & F_TERMS ? &t : NULL;
	const struct chain_verifier *v = flags & F_VERIFY ? &verifier : NULL;
	enum chain_verdict verdict = chain_rule_check(terms, &s, height, v);
	if (chain_rule_check(terms, &s, height, v) != verdict)
		abort();
	if (strcmp(chain_verdict_reason(verdict), "?") == 0)
		abort();
	if (verdict == CHAIN_RULE_OK) {
		uint8_t h[CHAIN_RULES_HASH_LEN], d[CHAIN_RULES_HASH_LEN];
		if (!terms || strcmp(t.channel, s.channel) != 0 || t.htlc_id != s.htlc_id ||
		    memcmp(t.payment_hash, s.named_hash, CHAIN_RULES_HASH_LEN) != 0 ||
		    t.cltv_expiry != s.named_expiry)
			abort();
		if (s.kind == CHAIN_SPEND_CLAIM) {
			crypto_hash_sha256(h, s.preimage, CHAIN_RULES_HASH_LEN);
			if (memcmp(h, t.payment_hash, CHAIN_RULES_HASH_LEN) != 0 ||
			    height >= t.cltv_expiry ||
			    memcmp(s.signer, t.receiver, CHAIN_RULES_KEY_LEN) != 0)
				abort();
		} else if (height < t.cltv_expiry ||
			   memcmp(s.signer, t.sender, CHAIN_RULES_KEY_LEN) != 0) {
			abort();
		}
		chain_spend_digest(&s, d);
		if (v && !fake_verify(NULL, s.signer, d, s.sig))
			abort();
	}
	uint8_t d[CHAIN_RULES_HASH_LEN];
	chain_terms_digest(&t, d);
	return 0;
}

static size_t seed(struct fuzz_seed *out, uint8_t flags, uint32_t expiry, uint32_t height)
{
	struct chain_terms t = { .channel = "c1", .htlc_id = 3, .amount_msat = 5000,
				 .cltv_expiry = expiry };
	t.sender[0] = 2;
	t.sender[1] = 0xa1;
	t.receiver[0] = 3;
	t.receiver[1] = 0xb0;
	struct chain_spend s = { .channel = "c1", .htlc_id = 3 };
	memset(s.preimage, 0x42, sizeof(s.preimage));
	out->len = 1 + sizeof(t) + sizeof(s) + sizeof(height);
	out->data = malloc(out->len);
	out->data[0] = flags;
	memcpy(out->data + 1, &t, sizeof(t));
	memcpy(out->data + 1 + sizeof(t), &s, sizeof(s));
	memcpy(out->data + 1 + sizeof(t) + sizeof(s), &height, sizeof(height));
	return 1;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	const uint8_t honest = F_TERMS | F_VERIFY | F_NAME_TERMS | F_SAME_OUTPUT | F_PREIMAGE |
			       F_SIGN | F_SIGNER_OWNER;
	size_t n = 0;
	if (n < max)
		n += seed(&seeds[n], honest, 25, 7);                       /* Bob's claim */
	if (n < max)
		n += seed(&seeds[n], honest | F_REFUND, 25, 25);           /* Alice's refund */
	if (n < max)
		n += seed(&seeds[n], honest & ~F_NAME_TERMS, 25, 7);       /* its own terms */
	if (n < max)
		n += seed(&seeds[n], honest & ~F_SIGN, 25, 7);             /* no signature */
	if (n < max)
		n += seed(&seeds[n], honest & ~F_TERMS, 25, 7);            /* no output */
	return n;
}

/* Fuzz target: an HTLC's signed terms and a spend's proof
 * (sim/core/terms.c, chain_proof_check) with real signatures, checked as
 * the daemons and the chain check them (libsecp256k1). The input's first
 * byte chooses:
 *   - even: terms from the input, signed by two fixed node keys as the
 *     protocol signs them (update_add_htlc, htlc_signed) and spent as the
 *     owner spends them: the proof must pass. Then one bit of one field of
 *     the terms or of a signature, chosen by the input, is flipped: the
 *     proof must fail (every field is signed);
 *   - odd: a whole proof, a kind, a preimage and a height from the input:
 *     a verdict of valid must obey the rules (two nodes, both signatures
 *     and the spender's verify, a claim with the preimage before the
 *     expiry, a refund from it).
 * The verdict is the same twice and always has a reason. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "noise.h"
#include "terms.h"

const char *fuzz_name = "terms";

static bool verify(void *ctx, const uint8_t pub[TERMS_NODE_LEN], const uint8_t digest[32],
		   const uint8_t sig[TERMS_SIG_LEN])
{
	(void)ctx;
	return noise_verify(pub, digest, sig);
}

static const struct chain_verifier verifier = { verify, NULL };
static uint8_t priv[2][32], node[2][TERMS_NODE_LEN];

static void keys(void)
{
	if (node[0][0])
		return;
	memset(priv[0], 0x11, 32);
	memset(priv[1], 0x22, 32);
	for (int i = 0; i < 2; i++)
		if (noise_pubkey_from_privkey(priv[i], node[i]) != NOISE_OK)
			abort();
}

/* t signed by both nodes, spent by its owner for kind */
static void sign_all(struct chain_proof *p, enum chain_spend_kind kind,
		     const uint8_t preimage[32])
{
	uint8_t d[32];
	chain_terms_digest(&p->terms, d);
	if (!noise_sign(priv[0], d, p->sender_sig) || !noise_sign(priv[1], d, p->receiver_sig))
		abort();
	struct chain_spend s;
	chain_spend_make(&s, &p->terms, kind, preimage, NULL);
	chain_spend_digest(&s, d);
	if (!noise_sign(priv[kind == CHAIN_SPEND_CLAIM], d, p->spend_sig))
		abort();
}

static enum chain_verdict check(const struct chain_proof *p, enum chain_spend_kind kind,
				const uint8_t preimage[32], uint32_t height)
{
	enum chain_verdict v = chain_proof_check(p, kind, preimage, height, &verifier);
	if (chain_proof_check(p, kind, preimage, height, &verifier) != v ||
	    strcmp(chain_verdict_reason(v), "?") == 0)
		abort();
	return v;
}

/* Flip bit `bit` of field `which` (the terms' fields, then the two
 * signatures of the terms): a byte of the channel id within it. */
static void flip(struct chain_proof *p, unsigned which, unsigned bit)
{
	struct chain_terms *t = &p->terms;
	uint8_t *f;
	size_t n;
	switch (which % 9) {
	case 0: f = (uint8_t *)t->channel; n = strlen(t->channel); break;
	case 1: f = (uint8_t *)&t->htlc_id; n = sizeof(t->htlc_id); break;
	case 2: f = t->payment_hash; n = sizeof(t->payment_hash); break;
	case 3: f = (uint8_t *)&t->amount_msat; n = sizeof(t->amount_msat); break;
	case 4: f = (uint8_t *)&t->cltv_expiry; n = sizeof(t->cltv_expiry); break;
	case 5: f = t->sender; n = sizeof(t->sender); break;
	case 6: f = t->receiver; n = sizeof(t->receiver); break;
	case 7: f = p->sender_sig; n = sizeof(p->sender_sig); break;
	default: f = p->receiver_sig; n = sizeof(p->receiver_sig); break;
	}
	bit %= (unsigned)(8 * n);
	f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

static void signed_then_flipped(struct fuzz_reader *r, uint8_t mode)
{
	struct chain_proof p;
	uint8_t preimage[32];
	uint16_t which, bit;
	memset(&p, 0, sizeof(p));
	fuzz_take(r, p.terms.channel, CHAIN_RULES_CHANNEL_MAX);
	if (!p.terms.channel[0])
		p.terms.channel[0] = 'c';
	fuzz_take(r, &p.terms.htlc_id, sizeof(p.terms.htlc_id));
	fuzz_take(r, &p.terms.amount_msat, sizeof(p.terms.amount_msat));
	fuzz_take(r, &p.terms.cltv_expiry, sizeof(p.terms.cltv_expiry));
	fuzz_take(r, preimage, sizeof(preimage));
	fuzz_take(r, &which, sizeof(which));
	fuzz_take(r, &bit, sizeof(bit));
	crypto_hash_sha256(p.terms.payment_hash, preimage, 32);
	memcpy(p.terms.sender, node[0], TERMS_NODE_LEN);
	memcpy(p.terms.receiver, node[1], TERMS_NODE_LEN);
	/* a claim just before the expiry, or a refund at it */
	bool claim = (mode & 2) && p.terms.cltv_expiry > 0;
	enum chain_spend_kind kind = claim ? CHAIN_SPEND_CLAIM : CHAIN_SPEND_REFUND;
	uint32_t height = claim ? p.terms.cltv_expiry - 1 : p.terms.cltv_expiry;
	sign_all(&p, kind, preimage);
	if (check(&p, kind, preimage, height) != CHAIN_RULE_OK)
		abort();
	flip(&p, which, bit);
	if (check(&p, kind, preimage, height) == CHAIN_RULE_OK)
		abort();
}

static void any_proof(struct fuzz_reader *r)
{
	struct chain_proof p;
	uint8_t kind_byte, preimage[32], d[32];
	uint32_t height;
	fuzz_take(r, &p, sizeof(p));
	fuzz_take(r, &kind_byte, 1);
	fuzz_take(r, preimage, sizeof(preimage));
	fuzz_take(r, &height, sizeof(height));
	p.terms.channel[CHAIN_RULES_CHANNEL_MAX] = '\0';
	enum chain_spend_kind kind = kind_byte & 1 ? CHAIN_SPEND_REFUND : CHAIN_SPEND_CLAIM;
	if (check(&p, kind, preimage, height) != CHAIN_RULE_OK)
		return;
	const struct chain_terms *t = &p.terms;
	if (memcmp(t->sender, t->receiver, TERMS_NODE_LEN) == 0)
		abort();
	chain_terms_digest(t, d);
	if (!noise_verify(t->sender, d, p.sender_sig) || !noise_verify(t->receiver, d, p.receiver_sig))
		abort();
	struct chain_spend s;
	chain_spend_make(&s, t, kind, preimage, p.spend_sig);
	chain_spend_digest(&s, d);
	if (!noise_verify(kind == CHAIN_SPEND_CLAIM ? t->receiver : t->sender, d, p.spend_sig))
		abort();
	if (kind == CHAIN_SPEND_CLAIM) {
		uint8_t h[32];
		crypto_hash_sha256(h, preimage, 32);
		if (memcmp(h, t->payment_hash, 32) != 0 || height >= t->cltv_expiry)
			abort();
	} else if (height < t->cltv_expiry) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	keys();
	struct fuzz_reader r = { data, size };
	uint8_t mode;
	fuzz_take(&r, &mode, 1);
	if (mode & 1)
		any_proof(&r);
	else
		signed_then_flipped(&r, mode);
	return 0;
}

static size_t seed_flip(struct fuzz_seed *out, uint8_t mode, uint16_t which, uint16_t bit)
{
	uint8_t b[1 + CHAIN_RULES_CHANNEL_MAX + 8 + 8 + 4 + 32 + 2 + 2];
	memset(b, 0, sizeof(b));
	b[0] = mode;
	memcpy(b + 1, "c1", 2);
	size_t at = 1 + CHAIN_RULES_CHANNEL_MAX;
	b[at] = 3;                              /* htlc 3 */
	b[at + 8] = 0x40;                       /* an amount */
	b[at + 16] = 25;                        /* expiry 25 */
	memset(b + at + 20, 0x42, 32);          /* the preimage */
	memcpy(b + at + 52, &which, 2);
	memcpy(b + at + 54, &bit, 2);
	out->len = sizeof(b);
	out->data = malloc(out->len);
	memcpy(out->data, b, out->len);
	return 1;
}

/* a whole valid proof (mode odd): Bob's claim at height 7 */
static size_t seed_proof(struct fuzz_seed *out)
{
	keys();
	struct chain_proof p;
	uint8_t preimage[32];
	uint32_t height = 7;
	memset(&p, 0, sizeof(p));
	memset(preimage, 0x42, 32);
	if (!terms_fill(&p.terms, "c1", 3, (const uint8_t[32]){ 0 }, 5000, 25, node[0], node[1]))
		abort();
	crypto_hash_sha256(p.terms.payment_hash, preimage, 32);
	sign_all(&p, CHAIN_SPEND_CLAIM, preimage);
	out->len = 1 + sizeof(p) + 1 + 32 + sizeof(height);
	out->data = malloc(out->len);
	out->data[0] = 1;
	memcpy(out->data + 1, &p, sizeof(p));
	out->data[1 + sizeof(p)] = 0;          /* a claim */
	memcpy(out->data + 2 + sizeof(p), preimage, 32);
	memcpy(out->data + 34 + sizeof(p), &height, sizeof(height));
	return 1;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	size_t n = 0;
	if (n < max)
		n += seed_proof(&seeds[n]);
	for (uint16_t which = 0; which < 9 && n < max; which++)
		n += seed_flip(&seeds[n], which % 2 ? 2 : 0, which, (uint16_t)(which * 7));
	return n;
}

/* The chain's rules (sim/core/chain_rules.c): what a spend of an HTLC
 * output may spend, given the terms both sides committed to. Pure: no
 * file, no socket; signatures through a verifier of the test's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "chain_rules.h"

#define EXPIRY 25

/* A verifier of the test's own: a "signature" is the digest followed by
 * the signer's second byte; anything else does not verify. */
static unsigned verified;
static bool fake_verify(void *ctx, const uint8_t pub[CHAIN_RULES_KEY_LEN],
			const uint8_t digest[CHAIN_RULES_HASH_LEN],
			const uint8_t sig[CHAIN_RULES_SIG_LEN])
{
	(void)ctx;
	verified++;
	return memcmp(sig, digest, CHAIN_RULES_HASH_LEN) == 0 && sig[CHAIN_RULES_HASH_LEN] == pub[1];
}
static const struct chain_verifier verifier = { fake_verify, NULL };

static void fake_sign(struct chain_spend *s)
{
	chain_spend_digest(s, s->sig);
	s->sig[CHAIN_RULES_HASH_LEN] = s->signer[1];
}

static const uint8_t ALICE[CHAIN_RULES_KEY_LEN] = { 0x02, 0xa1 };
static const uint8_t BOB[CHAIN_RULES_KEY_LEN] = { 0x03, 0xb0 };
static const uint8_t STRANGER[CHAIN_RULES_KEY_LEN] = { 0x02, 0x5e };

static uint8_t preimage[CHAIN_RULES_HASH_LEN];

static struct chain_terms terms(void)
{
	struct chain_terms t = { .channel = "c1", .htlc_id = 3, .amount_msat = 50000000000ULL,
				 .cltv_expiry = EXPIRY };
	memset(preimage, 0x42, sizeof(preimage));
	crypto_hash_sha256(t.payment_hash, preimage, sizeof(preimage));
	memcpy(t.sender, ALICE, sizeof(ALICE));
	memcpy(t.receiver, BOB, sizeof(BOB));
	return t;
}

/* an honest spend of t: Bob's claim or Alice's refund, signed */
static struct chain_spend spend(const struct chain_terms *t, enum chain_spend_kind kind)
{
	struct chain_spend s = { .htlc_id = t->htlc_id, .kind = kind,
				 .named_expiry = t->cltv_expiry };
	memcpy(s.channel, t->channel, sizeof(s.channel));
	memcpy(s.named_hash, t->payment_hash, sizeof(s.named_hash));
	if (kind == CHAIN_SPEND_CLAIM)
		memcpy(s.preimage, preimage, sizeof(preimage));
	memcpy(s.signer, kind == CHAIN_SPEND_CLAIM ? BOB : ALICE, CHAIN_RULES_KEY_LEN);
	fake_sign(&s);
	return s;
}

static void a_claim_needs_the_preimage_before_the_expiry(void **state)
{
	(void)state;
	struct chain_terms t = terms();
	struct chain_spend s = spend(&t, CHAIN_SPEND_CLAIM);
	assert_int_equal(chain_rule_check(&t, &s, 0, &verifier), CHAIN_RULE_OK);
	assert_int_equal(chain_rule_check(&t, &s, EXPIRY - 1, &verifier), CHAIN_RULE_OK);
	assert_int_equal(chain_rule_check(&t, &s, EXPIRY, &verifier), CHAIN_RULE_CLAIM_TOO_LATE);
	assert_int_equal(chain_rule_check(&t, &s, EXPIRY + 50, &verifier),
			 CHAIN_RULE_CLAIM_TOO_LATE);
	s.preimage[0] ^= 1;
	fake_sign(&s);
	assert_int_equal(chain_rule_check(&t, &s, 1, &verifier), CHAIN_RULE_WRONG_PREIMAGE);
}

static void a_refund_only_at_or_after_the_expiry(void **state)
{
	(void)state;
	struct chain_terms t = terms();
	struct chain_spend s = spend(&t, CHAIN_SPEND_REFUND);
	assert_int_equal(chain_rule_check(&t, &s, 0, &verifier), CHAIN_RULE_REFUND_TOO_EARLY);
	assert_int_equal(chain_rule_check(&t, &s, EXPIRY - 1, &verifier),
			 CHAIN_RULE_REFUND_TOO_EARLY);
	assert_int_equal(chain_rule_check(&t, &s, EXPIRY, &verifier), CHAIN_RULE_OK);
	assert_int_equal(chain_rule_check(&t, &s, EXPIRY + 1000, &verifier), CHAIN_RULE_OK);
}

/* The probe's attack: a stranger's refund naming cltv_expiry 0, its claim
 * with a preimage and hash of its own. The committed terms decide. */
static void a_spend_naming_its_own_terms_is_refused(void **state)
{
	(void)state;
	struct chain_terms t = terms();
	struct chain_spend refund = spend(&t, CHAIN_SPEND_REFUND);
	refund.named_expiry = 0;
	fake_sign(&refund);
	assert_int_equal(chain_rule_check(&t, &refund, 7, &verifier), CHAIN_RULE_TERMS_DIFFER);
	struct chain_spend claim = spend(&t, CHAIN_SPEND_CLAIM);
	memset(claim.preimage, 0x77, sizeof(claim.preimage));
	crypto_hash_sha256(claim.named_hash, claim.preimage, sizeof(claim.preimage));
	fake_sign(&claim);
	assert_int_equal(chain_rule_check(&t, &claim, 7, &verifier), CHAIN_RULE_TERMS_DIFFER);
	/* naming the committed hash with its own preimage does not help */
	memcpy(claim.named_hash, t.payment_hash, sizeof(claim.named_hash));
	fake_sign(&claim);
	assert_int_equal(chain_rule_check(&t, &claim, 7, &verifier), CHAIN_RULE_WRONG_PREIMAGE);
}

static void only_the_node_the_output_pays_that_way_may_spend(void **state)
{
	(void)state;
	struct chain_terms t = terms();
	/* a stranger with the right preimage (it saw Bob's fulfill) */
	struct chain_spend claim = spend(&t, CHAIN_SPEND_CLAIM);
	memcpy(claim.signer, STRANGER, sizeof(STRANGER));
	fake_sign(&claim);
	assert_int_equal(chain_rule_check(&t, &claim, 1, &verifier), CHAIN_RULE_WRONG_SIGNER);
	/* Alice cannot claim, Bob cannot refund */
	memcpy(claim.signer, ALICE, sizeof(ALICE));
	fake_sign(&claim);
	assert_int_equal(chain_rule_check(&t, &claim, 1, &verifier), CHAIN_RULE_WRONG_SIGNER);
	struct chain_spend refund = spend(&t, CHAIN_SPEND_REFUND);
	memcpy(refund.signer, BOB, sizeof(BOB));
	fake_sign(&refund);
	assert_int_equal(chain_rule_check(&t, &refund, EXPIRY, &verifier), CHAIN_RULE_WRONG_SIGNER);
	/* Bob's name without Bob's signature */
	struct chain_spend forged = spend(&t, CHAIN_SPEND_CLAIM);
	forged.sig[5] ^= 1;
	verified = 0;
	assert_int_equal(chain_rule_check(&t, &forged, 1, &verifier), CHAIN_RULE_BAD_SIGNATURE);
	assert_int_equal(verified, 1);
	/* a signature over another spend does not carry over */
	struct chain_spend other = spend(&t, CHAIN_SPEND_CLAIM);
	other.htlc_id = 4;
	fake_sign(&other);
	memcpy(forged.sig, other.sig, sizeof(forged.sig));
	assert_int_equal(chain_rule_check(&t, &forged, 1, &verifier), CHAIN_RULE_BAD_SIGNATURE);
	/* without a verifier (the in-process world) the signer is taken by name */
	assert_int_equal(chain_rule_check(&t, &forged, 1, NULL), CHAIN_RULE_OK);
	memcpy(forged.signer, STRANGER, sizeof(STRANGER));
	assert_int_equal(chain_rule_check(&t, &forged, 1, NULL), CHAIN_RULE_WRONG_SIGNER);
}

/* Terms never committed (a lost add, a crash, a Bob who holds it): there
 * is no output, and nothing spends it. */
static void an_output_without_committed_terms_cannot_be_spent(void **state)
{
	(void)state;
	struct chain_terms t = terms();
	struct chain_spend claim = spend(&t, CHAIN_SPEND_CLAIM);
	struct chain_spend refund = spend(&t, CHAIN_SPEND_REFUND);
	for (uint32_t h = 0; h < 2 * EXPIRY; h += 5) {
		assert_int_equal(chain_rule_check(NULL, &claim, h, &verifier), CHAIN_RULE_NO_TERMS);
		assert_int_equal(chain_rule_check(NULL, &refund, h, &verifier), CHAIN_RULE_NO_TERMS);
	}
	/* another output's terms do not stand in */
	struct chain_spend elsewhere = spend(&t, CHAIN_SPEND_CLAIM);
	strcpy(elsewhere.channel, "c2");
	fake_sign(&elsewhere);
	assert_int_equal(chain_rule_check(&t, &elsewhere, 1, &verifier), CHAIN_RULE_OTHER_OUTPUT);
	elsewhere = spend(&t, CHAIN_SPEND_CLAIM);
	elsewhere.htlc_id = 9;
	fake_sign(&elsewhere);
	assert_int_equal(chain_rule_check(&t, &elsewhere, 1, &verifier), CHAIN_RULE_OTHER_OUTPUT);
}

static void digests_cover_every_field(void **state)
{
	(void)state;
	struct chain_terms t = terms();
	uint8_t base[32], d[32];
	chain_terms_digest(&t, base);
	struct chain_terms v;
#define TERMS_DIFFER_WITH(stmt)                                 \
	do {                                                    \
		v = t;                                          \
		stmt;                                           \
		chain_terms_digest(&v, d);                      \
		assert_memory_not_equal(base, d, 32);           \
	} while (0)
	TERMS_DIFFER_WITH(strcpy(v.channel, "c2"));
	TERMS_DIFFER_WITH(v.htlc_id++);
	TERMS_DIFFER_WITH(v.payment_hash[31] ^= 1);
	TERMS_DIFFER_WITH(v.amount_msat++);
	TERMS_DIFFER_WITH(v.cltv_expiry++);
	TERMS_DIFFER_WITH(v.sender[32] ^= 1);
	TERMS_DIFFER_WITH(v.receiver[32] ^= 1);
	TERMS_DIFFER_WITH(memcpy(v.sender, BOB, 33); memcpy(v.receiver, ALICE, 33));
	/* the channel is length-prefixed: "c1" + id 0x31... is not "c11" + ... */
	TERMS_DIFFER_WITH(strcpy(v.channel, "c13"));

	struct chain_spend s = spend(&t, CHAIN_SPEND_CLAIM), w;
	chain_spend_digest(&s, base);
#define SPEND_DIFFERS_WITH(stmt)                                \
	do {                                                    \
		w = s;                                          \
		stmt;                                           \
		chain_spend_digest(&w, d);                      \
		assert_memory_not_equal(base, d, 32);           \
	} while (0)
	SPEND_DIFFERS_WITH(strcpy(w.channel, "c2"));
	SPEND_DIFFERS_WITH(w.htlc_id++);
	SPEND_DIFFERS_WITH(w.kind = CHAIN_SPEND_REFUND);
	SPEND_DIFFERS_WITH(w.preimage[0] ^= 1);
	/* not covered: the height (the chain's decides) and, for a refund,
	 * the preimage it does not carry */
	struct chain_spend r = spend(&t, CHAIN_SPEND_REFUND), r2 = r;
	r2.preimage[0] ^= 1;
	chain_spend_digest(&r, base);
	chain_spend_digest(&r2, d);
	assert_memory_equal(base, d, 32);
}

static void every_verdict_has_its_own_reason(void **state)
{
	(void)state;
	const char *seen[CHAIN_RULE_BAD_SIGNATURE + 1];
	for (int v = CHAIN_RULE_OK; v <= CHAIN_RULE_BAD_SIGNATURE; v++) {
		seen[v] = chain_verdict_reason((enum chain_verdict)v);
		assert_string_not_equal(seen[v], "?");
		for (int u = CHAIN_RULE_OK; u < v; u++)
			assert_string_not_equal(seen[u], seen[v]);
	}
}

/* A spend's proof: the terms signed by both of their nodes, then the rules. */
static struct chain_proof proof(enum chain_spend_kind kind)
{
	struct chain_proof p;
	memset(&p, 0, sizeof(p));
	p.terms = terms();
	uint8_t d[CHAIN_RULES_HASH_LEN];
	chain_terms_digest(&p.terms, d);
	memcpy(p.sender_sig, d, sizeof(d));
	p.sender_sig[CHAIN_RULES_HASH_LEN] = ALICE[1];
	memcpy(p.receiver_sig, d, sizeof(d));
	p.receiver_sig[CHAIN_RULES_HASH_LEN] = BOB[1];
	struct chain_spend s = spend(&p.terms, kind);
	memcpy(p.spend_sig, s.sig, sizeof(s.sig));
	return p;
}

static void a_proof_needs_both_nodes_signatures_of_the_terms(void **state)
{
	(void)state;
	struct chain_proof p = proof(CHAIN_SPEND_CLAIM);
	assert_int_equal(chain_proof_check(&p, CHAIN_SPEND_CLAIM, preimage, 7, &verifier),
			 CHAIN_RULE_OK);
	struct chain_proof r = proof(CHAIN_SPEND_REFUND);
	assert_int_equal(chain_proof_check(&r, CHAIN_SPEND_REFUND, NULL, EXPIRY, &verifier),
			 CHAIN_RULE_OK);
	assert_int_equal(chain_proof_check(&r, CHAIN_SPEND_REFUND, NULL, EXPIRY - 1, &verifier),
			 CHAIN_RULE_REFUND_TOO_EARLY);
	/* either signature missing or another node's */
	struct chain_proof q = p;
	q.sender_sig[CHAIN_RULES_HASH_LEN] = STRANGER[1];
	assert_int_equal(chain_proof_check(&q, CHAIN_SPEND_CLAIM, preimage, 7, &verifier),
			 CHAIN_RULE_TERMS_UNSIGNED);
	q = p;
	memset(q.receiver_sig, 0, sizeof(q.receiver_sig));
	assert_int_equal(chain_proof_check(&q, CHAIN_SPEND_CLAIM, preimage, 7, &verifier),
			 CHAIN_RULE_TERMS_UNSIGNED);
	/* terms changed after signing (an earlier expiry) */
	q = r;
	q.terms.cltv_expiry = 0;
	assert_int_equal(chain_proof_check(&q, CHAIN_SPEND_REFUND, NULL, 7, &verifier),
			 CHAIN_RULE_TERMS_UNSIGNED);
	/* one node at both ends: no channel, even with "both" signatures */
	q = p;
	memcpy(q.terms.sender, BOB, sizeof(BOB));
	assert_int_equal(chain_proof_check(&q, CHAIN_SPEND_CLAIM, preimage, 7, &verifier),
			 CHAIN_RULE_TERMS_UNSIGNED);
	/* the terms are good, the spend is not the owner's */
	q = p;
	q.spend_sig[CHAIN_RULES_HASH_LEN] = ALICE[1];
	assert_int_equal(chain_proof_check(&q, CHAIN_SPEND_CLAIM, preimage, 7, &verifier),
			 CHAIN_RULE_BAD_SIGNATURE);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_claim_needs_the_preimage_before_the_expiry),
		cmocka_unit_test(a_refund_only_at_or_after_the_expiry),
		cmocka_unit_test(a_spend_naming_its_own_terms_is_refused),
		cmocka_unit_test(only_the_node_the_output_pays_that_way_may_spend),
		cmocka_unit_test(an_output_without_committed_terms_cannot_be_spent),
		cmocka_unit_test(digests_cover_every_field),
		cmocka_unit_test(every_verdict_has_its_own_reason),
		cmocka_unit_test(a_proof_needs_both_nodes_signatures_of_the_terms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

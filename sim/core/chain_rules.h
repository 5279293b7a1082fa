/* What a spend of an HTLC output may spend: the simulated chain's rules,
 * as a pure function of the output's committed terms and the spend, so
 * that the chain file, the served chain and a chain kept in memory decide
 * alike, and the rules are tested without a file or a socket.
 *
 * An HTLC output exists on the chain only with terms both sides of its
 * channel committed to (the channel, the HTLC id, the payment hash, the
 * amount and the expiry, and the channel's two node keys: the sending
 * node's and the receiving node's). Then, as the HTLC script of BOLT #3
 * says:
 *   - a claim is valid only with the preimage of the committed hash,
 *     before the committed expiry, signed by the receiving node;
 *   - a refund is valid only at or after the committed expiry, signed by
 *     the sending node;
 *   - a spend that names other terms than the committed ones (another
 *     hash or expiry than the output's) is refused.
 * An output whose terms were never committed (a lost message, a crash, a
 * Bob who holds the add) does not exist: nothing can spend it, which
 * takes from neither side anything it could have spent before the add.
 *
 * Signatures are checked through an injected verifier (libsecp256k1 in
 * the daemons' runtime); without one (the in-process world, whose only
 * spenders are its own engines) the signer is checked by name only.
 *
 * Each spend signs chain_spend_digest: a domain tag, the channel, the
 * HTLC id, the kind and, for a claim, the preimage. The terms both sides
 * commit to are chain_terms_digest. Neither covers the height: a signed
 * spend may be sent at any height, and the chain's height decides. */
#ifndef AMPSIM_CHAIN_RULES_H
#define AMPSIM_CHAIN_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a spend confirms this many blocks after it is sent */
#define CHAIN_CONFIRMATIONS 2

#define CHAIN_RULES_KEY_LEN 33         /* a node id: compressed secp256k1 key */
#define CHAIN_RULES_HASH_LEN 32
#define CHAIN_RULES_SIG_LEN 64         /* compact ECDSA */
#define CHAIN_RULES_CHANNEL_MAX 31     /* a channel id's bytes, at most */

enum chain_spend_kind { CHAIN_SPEND_CLAIM, CHAIN_SPEND_REFUND };

/* An HTLC output's terms, as committed by both sides of its channel. */
struct chain_terms {
	char channel[CHAIN_RULES_CHANNEL_MAX + 1];
	uint64_t htlc_id;
	uint8_t payment_hash[CHAIN_RULES_HASH_LEN];
	uint64_t amount_msat;
	uint32_t cltv_expiry;
	uint8_t sender[CHAIN_RULES_KEY_LEN];     /* the node that offered the HTLC (Alice) */
	uint8_t receiver[CHAIN_RULES_KEY_LEN];   /* the node it pays (Bob) */
};

/* A spend as submitted: which output, how, what it names, who signed. */
struct chain_spend {
	char channel[CHAIN_RULES_CHANNEL_MAX + 1];
	uint64_t htlc_id;
	enum chain_spend_kind kind;
	uint8_t preimage[CHAIN_RULES_HASH_LEN];  /* claims */
	/* what the spender says the output's terms are (the served chain's
	 * requests carry them); checked against the committed ones */
	uint8_t named_hash[CHAIN_RULES_HASH_LEN];
	uint32_t named_expiry;
	uint8_t signer[CHAIN_RULES_KEY_LEN];
	uint8_t sig[CHAIN_RULES_SIG_LEN];        /* over chain_spend_digest */
};

/* Verifies sig over digest by the node pub; NULL in a verifier: the
 * signer is taken as named (nobody but the engines can spend). */
struct chain_verifier {
	bool (*verify)(void *ctx, const uint8_t pub[CHAIN_RULES_KEY_LEN],
		       const uint8_t digest[CHAIN_RULES_HASH_LEN],
		       const uint8_t sig[CHAIN_RULES_SIG_LEN]);
	void *ctx;
};

enum chain_verdict {
	CHAIN_RULE_OK,
	CHAIN_RULE_NO_TERMS,            /* no committed output: nothing to spend */
	CHAIN_RULE_OTHER_OUTPUT,        /* the spend names another channel or HTLC */
	CHAIN_RULE_TERMS_DIFFER,        /* it names another hash or expiry than committed */
	CHAIN_RULE_WRONG_PREIMAGE,      /* a claim whose preimage does not hash to the hash */
	CHAIN_RULE_CLAIM_TOO_LATE,      /* a claim at or after the expiry */
	CHAIN_RULE_REFUND_TOO_EARLY,    /* a refund before the expiry */
	CHAIN_RULE_WRONG_SIGNER,        /* a claim not by the receiver, a refund not by the sender */
	CHAIN_RULE_BAD_SIGNATURE,       /* the signature does not verify */
	CHAIN_RULE_TERMS_UNSIGNED,      /* the terms are not signed by both nodes of the channel */
};

/* A short English reason, for a refusal's answer and the logs. */
const char *chain_verdict_reason(enum chain_verdict v);

/* Whether spend may spend the output with terms (NULL: never committed)
 * at the chain's height. Checks in the order of the enum, so the reason
 * given is the first rule broken. Changes nothing. */
enum chain_verdict chain_rule_check(const struct chain_terms *terms,
				    const struct chain_spend *spend, uint32_t height,
				    const struct chain_verifier *verifier);

/* A spend as it reaches a chain: the output's terms as both nodes of its
 * channel signed them during the protocol (chain_terms_digest, see
 * terms.h), and the spender's signature over the spend
 * (chain_spend_digest). A chain keeps no terms of its own: an output is
 * named by its channel id, its two nodes and its HTLC id, and is what
 * these signatures prove (docs/decisions.md). */
struct chain_proof {
	struct chain_terms terms;
	uint8_t sender_sig[CHAIN_RULES_SIG_LEN];
	uint8_t receiver_sig[CHAIN_RULES_SIG_LEN];
	uint8_t spend_sig[CHAIN_RULES_SIG_LEN];
};

/* The spend of t's output its owner makes: a claim (with preimage) by the
 * receiving node, or a refund by the sending node, naming t's terms; its
 * sig is spend_sig (NULL: zeros, to be signed). */
void chain_spend_make(struct chain_spend *s, const struct chain_terms *t,
		      enum chain_spend_kind kind, const uint8_t preimage[CHAIN_RULES_HASH_LEN],
		      const uint8_t spend_sig[CHAIN_RULES_SIG_LEN]);

/* Whether the proof's terms are signed by two different nodes, each its
 * own signature (CHAIN_RULE_TERMS_UNSIGNED if not), and then
 * chain_rule_check of the spend of kind they make. The verifier checks
 * every signature (NULL: none, as chain_rule_check). */
enum chain_verdict chain_proof_check(const struct chain_proof *p, enum chain_spend_kind kind,
				     const uint8_t preimage[CHAIN_RULES_HASH_LEN], uint32_t height,
				     const struct chain_verifier *verifier);

/* What the spender signs, and what both sides commit to. */
void chain_spend_digest(const struct chain_spend *spend, uint8_t out[CHAIN_RULES_HASH_LEN]);
void chain_terms_digest(const struct chain_terms *terms, uint8_t out[CHAIN_RULES_HASH_LEN]);

#endif

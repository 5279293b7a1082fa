/* An HTLC's terms as both sides of its channel sign them during the
 * protocol (docs/protocol.md, "Signed terms"): the sending node signs them
 * in update_add_htlc, the receiving node countersigns them in htlc_signed.
 * With both signatures either side can show the chain what the HTLC's
 * output is (chain_rules.h).
 *
 * Signing is injected: the daemons sign with their node keys
 * (libsecp256k1); the in-process world, whose only signers are its own two
 * engines, signs "by name" (terms_sign_by_name), which costs nothing and
 * which only terms_verify_by_name accepts. */
#ifndef AMPSIM_TERMS_H
#define AMPSIM_TERMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain_rules.h"

#define TERMS_SIG_LEN CHAIN_RULES_SIG_LEN
#define TERMS_NODE_LEN CHAIN_RULES_KEY_LEN

/* One node's signer: its id, how it signs a digest, and how it checks
 * another node's signature. sign NULL: this engine signs nothing (its
 * unit tests); verify NULL: it checks nothing. */
struct terms_signer {
	uint8_t node[TERMS_NODE_LEN];
	void (*sign)(void *ctx, const uint8_t digest[CHAIN_RULES_HASH_LEN],
		     uint8_t sig[TERMS_SIG_LEN]);
	bool (*verify)(void *ctx, const uint8_t node[TERMS_NODE_LEN],
		       const uint8_t digest[CHAIN_RULES_HASH_LEN], const uint8_t sig[TERMS_SIG_LEN]);
	void *ctx;
};

/* The terms of HTLC id on channel, offered by node sender to receiver.
 * false when the channel id does not fit a chain's (CHAIN_RULES_CHANNEL_MAX). */
bool terms_fill(struct chain_terms *t, const char *channel, uint64_t htlc_id,
		const uint8_t hash[CHAIN_RULES_HASH_LEN], uint64_t amount_msat,
		uint32_t cltv_expiry, const uint8_t sender[TERMS_NODE_LEN],
		const uint8_t receiver[TERMS_NODE_LEN]);

/* s signs t (false, sig untouched, when s has no signer). */
bool terms_sign(const struct terms_signer *s, const struct chain_terms *t,
		uint8_t sig[TERMS_SIG_LEN]);
/* Whether sig is node's over t, as s checks (true when s checks nothing). */
bool terms_verify(const struct terms_signer *s, const uint8_t node[TERMS_NODE_LEN],
		  const struct chain_terms *t, const uint8_t sig[TERMS_SIG_LEN]);

/* The in-process signer: the signature is the signer's node id, padded
 * with zeros; ctx is the node id (TERMS_NODE_LEN bytes). */
void terms_sign_by_name(void *ctx, const uint8_t digest[CHAIN_RULES_HASH_LEN],
			uint8_t sig[TERMS_SIG_LEN]);
bool terms_verify_by_name(void *ctx, const uint8_t node[TERMS_NODE_LEN],
			  const uint8_t digest[CHAIN_RULES_HASH_LEN],
			  const uint8_t sig[TERMS_SIG_LEN]);

#endif

/* The in-memory chain: spends by (channel, HTLC), with the rules of
 * the file and the served chain (chain_rules.h). */
#include "world_int.h"

/* ---- the chain ------------------------------------------------------------ */

static size_t scenario_chan(const struct world *w, const char *id)
{
	for (size_t i = 0; i < w->s->nchannels; i++)
		if (strcmp(w->s->channels[i].id, id) == 0)
			return i;
	return SIZE_MAX;
}

static uint64_t spend_key(size_t chan, uint64_t htlc)
{
	return ((uint64_t)chan << 48) ^ htlc;
}

static struct wspend *spend_lookup(const struct world *w, const char *channel, uint64_t htlc)
{
	size_t c = scenario_chan(w, channel);
	uint64_t idx;
	if (c == SIZE_MAX || !u64map_get(&w->spends, spend_key(c, htlc), &idx))
		return NULL;
	return &w->spend_v[idx];
}


enum wchain w_chain_submit(struct world *w, bool claim, const uint8_t preimage[AMP_LEN],
			   const struct chain_proof *proof, struct wspend *winner)
{
	uint32_t height = world_height(w);
	/* the chain's rules, as the file chain applies them; its two nodes
	 * sign by name (terms.h), and so are checked by name */
	const struct chain_verifier by_name = { terms_verify_by_name, NULL };
	const char *channel = proof->terms.channel;
	uint64_t htlc = proof->terms.htlc_id;
	if (memcmp(proof->terms.sender, world_alice_node, TERMS_NODE_LEN) != 0 ||
	    memcmp(proof->terms.receiver, world_bob_node, TERMS_NODE_LEN) != 0 ||
	    chain_proof_check(proof, claim ? CHAIN_SPEND_CLAIM : CHAIN_SPEND_REFUND, preimage, height,
			      &by_name) != CHAIN_RULE_OK)
		return WC_INVALID;
	struct wspend *old = spend_lookup(w, channel, htlc);
	if (old) {
		*winner = *old;
		return WC_SPENT;
	}
	size_t c = scenario_chan(w, channel);
	if (c == SIZE_MAX)
		fatal("the chain: a spend on unknown channel %s", channel);
	if (w->nspend == w->spend_cap) {
		w->spend_cap = w->spend_cap ? 2 * w->spend_cap : 16;
		w->spend_v = xrealloc(w->spend_v, w->spend_cap * sizeof(*w->spend_v));
	}
	struct wspend *sp = &w->spend_v[w->nspend];
	memset(sp, 0, sizeof(*sp));
	sp->chan = c;
	sp->htlc = htlc;
	sp->claim = claim;
	if (claim)
		memcpy(sp->preimage, preimage, AMP_LEN);
	sp->confirm_height = height + CHAIN_CONFIRMATIONS;
	u64map_put(&w->spends, spend_key(c, htlc), w->nspend++);
	return WC_ACCEPTED;
}

bool w_chain_confirmed(const struct world *w, const char *channel, uint64_t htlc,
				uint32_t height, struct wspend *out)
{
	const struct wspend *sp = spend_lookup(w, channel, htlc);
	if (!sp || sp->confirm_height > height)
		return false;
	*out = *sp;
	return true;
}

bool w_bob_chain_spent(void *ctx, const char *channel, const uint8_t sender[TERMS_NODE_LEN],
		       const uint8_t receiver[TERMS_NODE_LEN], uint64_t htlc_id, uint32_t height,
		       bool *refund)
{
	/* every output here is between the world's two nodes */
	if (memcmp(sender, world_alice_node, TERMS_NODE_LEN) != 0 ||
	    memcmp(receiver, world_bob_node, TERMS_NODE_LEN) != 0)
		return false;
	struct wspend sp;
	if (!w_chain_confirmed(ctx, channel, htlc_id, height, &sp))
		return false;
	*refund = !sp.claim;
	return true;
}


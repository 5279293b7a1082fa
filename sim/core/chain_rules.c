/* The chain's spending rules (chain_rules.h). */
#include "chain_rules.h"

#include "amp.h"

bool chain_claim_valid(uint32_t height, uint32_t cltv_expiry, const uint8_t preimage[32],
		       const uint8_t hash[32])
{
	/* the HTLC script: preimage path before the timeout only */
	return height < cltv_expiry && preimage_matches(preimage, hash);
}

bool chain_refund_valid(uint32_t height, uint32_t cltv_expiry)
{
	return height >= cltv_expiry;
}

/* The simulated chain's rules for spending an HTLC output, written once:
 * the file chain, the served chain and the in-process world's chain all
 * call these.
 *   - a claim (Bob, with the preimage) is valid before cltv_expiry;
 *   - a refund (Alice) is valid from cltv_expiry on (BOLT #5 timeout);
 *   - an output is spent once: the first valid transaction wins;
 *   - a transaction confirms CHAIN_CONFIRMATIONS blocks after it is sent.
 * Pure: libsodium only. */
#ifndef AMPSIM_CHAIN_RULES_H
#define AMPSIM_CHAIN_RULES_H

#include <stdbool.h>
#include <stdint.h>

#define CHAIN_CONFIRMATIONS 2

/* The HTLC script's preimage path: before the timeout, with the preimage
 * of the output's hash. */
bool chain_claim_valid(uint32_t height, uint32_t cltv_expiry, const uint8_t preimage[32],
		       const uint8_t hash[32]);
/* The timeout path: at or after cltv_expiry. */
bool chain_refund_valid(uint32_t height, uint32_t cltv_expiry);

#endif

/* Atomic Multi-Path payment arithmetic, bit-compatible with lnd's AMP
 * construction (its sharer and child derivation; docs/protocol.md, section 9):
 *
 *   root      = share_1 XOR share_2 XOR ... XOR share_n
 *   r_i       = SHA256(root || share_i || be32(child_index_i))
 *   h_i       = SHA256(r_i)
 *
 * Pure functions: no state, no I/O. Shares are real secrets and come from
 * libsodium's CSPRNG (amp_split). */
#ifndef AMPSIM_AMP_H
#define AMPSIM_AMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AMP_LEN 32

/* out = a XOR b (out may alias a or b). */
void amp_xor(uint8_t out[AMP_LEN], const uint8_t a[AMP_LEN], const uint8_t b[AMP_LEN]);

/* root = XOR of the n shares; n == 0 gives all zeros. */
void amp_combine(uint8_t root[AMP_LEN], const uint8_t (*shares)[AMP_LEN], size_t n);

/* Fill shares[0..n-1] so that they XOR to root: n-1 random shares and one
 * that balances them. n == 1 gives share = root. n must be >= 1. */
void amp_split(const uint8_t root[AMP_LEN], uint8_t (*shares)[AMP_LEN], size_t n);

/* lnd DeriveChild: preimage = SHA256(root || share || be32(index)),
 * hash = SHA256(preimage). Either output may be NULL. */
void amp_derive(const uint8_t root[AMP_LEN], const uint8_t share[AMP_LEN],
		uint32_t child_index, uint8_t preimage[AMP_LEN], uint8_t hash[AMP_LEN]);

/* hash == SHA256(preimage)?  Constant time in the comparison. */
bool preimage_matches(const uint8_t preimage[AMP_LEN], const uint8_t hash[AMP_LEN]);

/* A 32-byte value of all zeros (an invalid set_id). */
bool amp_is_zero(const uint8_t v[AMP_LEN]);

#endif

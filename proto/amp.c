#include "amp.h"

#include <sodium.h>
#include <string.h>

void amp_xor(uint8_t out[AMP_LEN], const uint8_t a[AMP_LEN], const uint8_t b[AMP_LEN])
{
	for (size_t i = 0; i < AMP_LEN; i++)
		out[i] = a[i] ^ b[i];
}

void amp_combine(uint8_t root[AMP_LEN], const uint8_t (*shares)[AMP_LEN], size_t n)
{
	uint8_t acc[AMP_LEN] = { 0 };
	for (size_t i = 0; i < n; i++)
		amp_xor(acc, acc, shares[i]);
	memcpy(root, acc, AMP_LEN);
}

void amp_split(const uint8_t root[AMP_LEN], uint8_t (*shares)[AMP_LEN], size_t n)
{
	uint8_t acc[AMP_LEN];
	if (n == 0)
		return;
	memcpy(acc, root, AMP_LEN);
	/* lnd's SeedSharer.Split: draw a random share, and the remainder is
	 * root XOR share; repeating on the remainder gives n shares. */
	for (size_t i = 0; i + 1 < n; i++) {
		randombytes_buf(shares[i], AMP_LEN);
		amp_xor(acc, acc, shares[i]);
	}
	memcpy(shares[n - 1], acc, AMP_LEN);
	sodium_memzero(acc, sizeof(acc));
}

void amp_derive(const uint8_t root[AMP_LEN], const uint8_t share[AMP_LEN],
		uint32_t child_index, uint8_t preimage[AMP_LEN], uint8_t hash[AMP_LEN])
{
	crypto_hash_sha256_state st;
	uint8_t idx[4] = { (uint8_t)(child_index >> 24), (uint8_t)(child_index >> 16),
			   (uint8_t)(child_index >> 8), (uint8_t)child_index };
	uint8_t r[AMP_LEN];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, root, AMP_LEN);
	crypto_hash_sha256_update(&st, share, AMP_LEN);
	crypto_hash_sha256_update(&st, idx, sizeof(idx));
	crypto_hash_sha256_final(&st, r);
	if (hash)
		crypto_hash_sha256(hash, r, AMP_LEN);
	if (preimage)
		memcpy(preimage, r, AMP_LEN);
	sodium_memzero(r, sizeof(r));
}

bool preimage_matches(const uint8_t preimage[AMP_LEN], const uint8_t hash[AMP_LEN])
{
	uint8_t h[AMP_LEN];
	crypto_hash_sha256(h, preimage, AMP_LEN);
	return sodium_memcmp(h, hash, AMP_LEN) == 0;
}

bool amp_is_zero(const uint8_t v[AMP_LEN])
{
	return sodium_is_zero(v, AMP_LEN) == 1;
}

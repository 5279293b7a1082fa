/* Seeded, reproducible randomness for every simulated decision (drops,
 * delays, jitter). A stream is ChaCha20 keyed by SHA256(seed || name), so
 * each channel direction has its own stream and the decisions on one
 * channel do not depend on traffic elsewhere (invariant 6).
 * Secrets (AMP shares, preimages) never come from here: they come from
 * libsodium's CSPRNG. */
#ifndef AMPSIM_RNG_H
#define AMPSIM_RNG_H

#include <stdint.h>

struct rng {
	uint8_t key[32];
	uint64_t block;       /* next ChaCha20 block (used as the nonce) */
	uint8_t buf[64];
	unsigned pos;         /* bytes of buf consumed */
};

void rng_init(struct rng *r, uint64_t seed, const char *stream);
uint64_t rng_u64(struct rng *r);
/* Uniform in [0, 1). */
double rng_unit(struct rng *r);
/* Standard normal (Box-Muller). */
double rng_normal(struct rng *r);

#endif

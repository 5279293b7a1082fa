/* Secrets drawn from a run's seed. Under ampsim run every secret a daemon
 * draws (shares, set ids, child indexes, preimages, payment secrets) comes
 * from a stream derived from the scenario's seed, so a run repeats hash
 * for hash (docs/time.md, "Reproducibility"); daemons started by hand draw from the
 * system's randomness instead.
 *
 * Draw i of node N in generation G (a daemon restarted by the run is a new
 * generation, so it never repeats what its earlier life drew) is
 *   randombytes_buf_deterministic(buf, n,
 *       SHA256(SHA256("ampsim secrets" || be64(seed) || be32(G) || N) || be64(i)))
 * Pure: libsodium only. */
#ifndef AMPSIM_SECRETS_H
#define AMPSIM_SECRETS_H

#include <stddef.h>
#include <stdint.h>

struct seeded_secrets {
	uint8_t key[32];
	uint64_t draws;
};

void seeded_secrets_init(struct seeded_secrets *s, uint64_t seed, uint32_t generation,
			 const char *node);
/* The daemons' random-source signature: ctx is a struct seeded_secrets. */
void seeded_secrets_bytes(void *ctx, uint8_t *buf, size_t n);
/* The same shape over libsodium's CSPRNG (ctx unused): where a daemon's
 * secrets and keys come from outside ampsim run. */
void system_secrets_bytes(void *ctx, uint8_t *buf, size_t n);

/* "SEED:GENERATION" as given on a daemon's command line; false if bad. */
#include <stdbool.h>
bool seeded_secrets_parse(const char *s, uint64_t *seed, uint32_t *generation);

#endif

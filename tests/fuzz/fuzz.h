/* Fuzz targets for every decoder that faces input. Each target file
 * defines the libFuzzer entry point and a few valid seed inputs; replay.c
 * drives a target without libFuzzer (deterministic mutations of the seeds)
 * so the ordinary test suite exercises them too. */
#ifndef AMPSIM_FUZZ_H
#define AMPSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_seed {
	uint8_t *data;
	size_t len;
};

/* Fill up to max seeds (heap-allocated data, freed by the caller). */
size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max);
extern const char *fuzz_name;

/* What the engine targets share: simulated time units, and a "random"
 * source that is always the same bytes, so that a crash reproduces. */
#define FUZZ_SEC 1000000ULL
#define FUZZ_BTC 100000000000ULL

static inline void fuzz_fixed_random(void *ctx, uint8_t *buf, size_t n)
{
	(void)ctx;
	memset(buf, 0x42, n);
}

/* Fields taken in order from an input, zeros past its end. */
struct fuzz_reader {
	const uint8_t *p;
	size_t n;
};

static inline void fuzz_take(struct fuzz_reader *r, void *out, size_t len)
{
	size_t k = r->n < len ? r->n : len;
	memset(out, 0, len);
	if (k)
		memcpy(out, r->p, k);
	r->p += k;
	r->n -= k;
}

#endif

/* Fuzz targets for every decoder that faces input. Each target file
 * defines the libFuzzer entry point and a few valid seed inputs; replay.c
 * drives a target without libFuzzer (deterministic mutations of the seeds)
 * so the ordinary test suite exercises them too. */
#ifndef AMPSIM_FUZZ_H
#define AMPSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_seed {
	uint8_t *data;
	size_t len;
};

/* Fill up to max seeds (heap-allocated data, freed by the caller). */
size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max);
extern const char *fuzz_name;

#endif

/* Run a fuzz target over its seeds and many deterministic mutations of
 * them (bit flips, truncations, insertions, splices), printing TAP. A
 * crash or a sanitizer report fails the test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static uint64_t state = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	/* splitmix64: a fixed, reproducible mutation stream */
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 20000;
	struct fuzz_seed seeds[16];
	size_t n = fuzz_seeds(seeds, 16);
	uint8_t *buf = malloc(70000);
	printf("1..2\n");
	for (size_t i = 0; i < n; i++)
		LLVMFuzzerTestOneInput(seeds[i].data, seeds[i].len);
	printf("ok 1 - %s: %zu seeds decode without fault\n", fuzz_name, n);
	for (long it = 0; it < iterations; it++) {
		const struct fuzz_seed *s = &seeds[next() % n];
		size_t len = s->len;
		memcpy(buf, s->data, len);
		unsigned edits = 1 + (unsigned)(next() % 8);
		for (unsigned e = 0; e < edits; e++) {
			switch (next() % 5) {
			case 0: /* flip a bit */
				if (len)
					buf[next() % len] ^= (uint8_t)(1u << (next() % 8));
				break;
			case 1: /* truncate */
				if (len)
					len = next() % len;
				break;
			case 2: /* insert random bytes */
				if (len < 60000) {
					size_t at = len ? next() % len : 0, k = 1 + next() % 16;
					memmove(buf + at + k, buf + at, len - at);
					for (size_t j = 0; j < k; j++)
						buf[at + j] = (uint8_t)next();
					len += k;
				}
				break;
			case 3: /* overwrite with an interesting byte */
				if (len) {
					static const uint8_t v[] = { 0, 0xff, 0x7f, 0x80, '=', '[', ']', '\n', ';', '#', ',' };
					buf[next() % len] = v[next() % sizeof(v)];
				}
				break;
			case 4: { /* splice the tail of another seed */
				const struct fuzz_seed *o = &seeds[next() % n];
				size_t at = len ? next() % len : 0, from = o->len ? next() % o->len : 0;
				size_t k = o->len - from;
				if (at + k < 60000) {
					memcpy(buf + at, o->data + from, k);
					len = at + k;
				}
				break;
			}
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("ok 2 - %s: %ld mutated inputs decode without fault\n", fuzz_name, iterations);
	for (size_t i = 0; i < n; i++)
		free(seeds[i].data);
	free(buf);
	return 0;
}

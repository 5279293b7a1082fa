/* Run a fuzz target over its seeds, over every file of its corpus in the
 * repository (tests/fuzz/corpus/NAME/, what fuzzing campaigns kept), and
 * over many deterministic mutations of the seeds (bit flips, truncations,
 * insertions, splices), printing TAP. A crash or a sanitizer report fails
 * the test.
 *
 *   test_fuzz_NAME [ITERATIONS] [CORPUS-DIR]   (CORPUS-DIR: by default the
 *                                              repository's, as built)
 *   test_fuzz_NAME --write-seeds DIR     the seeds as files, to start a
 *                                        libFuzzer campaign from
 *
 * An input that aborts is written to fuzz-crash-NAME in the current
 * folder first, to be replayed (test_fuzz_NAME 0 DIR) or minimized. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

#ifndef FUZZ_MUTATIONS
#define FUZZ_MUTATIONS 20000
#endif

/* The input being run, for the abort handler. */
static const uint8_t *current;
static size_t current_len;
static char crash_path[256];

static void on_abort(int sig)
{
	int fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		ssize_t w = write(fd, current, current_len);
		(void)w;
		close(fd);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void run(const uint8_t *data, size_t len)
{
	current = data;
	current_len = len;
	LLVMFuzzerTestOneInput(data, len);
}

/* Every file of dir through the target; how many, or -1 if dir cannot be
 * read. */
static long replay_corpus(const char *dir, uint8_t *buf, size_t cap)
{
	DIR *d = opendir(dir);
	long count = 0;
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		size_t len = fread(buf, 1, cap, f);
		fclose(f);
		run(buf, len);
		count++;
	}
	closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	struct fuzz_seed seeds[16];
	size_t n = fuzz_seeds(seeds, 16);
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
		for (size_t i = 0; i < n; i++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/seed-%zu", argv[2], i);
			FILE *f = fopen(path, "wb");
			if (!f || fwrite(seeds[i].data, 1, seeds[i].len, f) != seeds[i].len) {
				perror(path);
				return 1;
			}
			fclose(f);
		}
		for (size_t i = 0; i < n; i++)
			free(seeds[i].data);
		return 0;
	}
	long iterations = argc > 1 ? atol(argv[1]) : FUZZ_MUTATIONS;
	snprintf(crash_path, sizeof(crash_path), "fuzz-crash-%s", fuzz_name);
	signal(SIGABRT, on_abort);
	uint8_t *buf = malloc(70000);
	printf("1..3\n");
	for (size_t i = 0; i < n; i++)
		run(seeds[i].data, seeds[i].len);
	printf("ok 1 - %s: %zu seeds decode without fault\n", fuzz_name, n);
	/* the repository's corpus unless told another (the build says where
	 * it is, so a run with no arguments, as scripts/test does, replays it) */
	const char *dir = argc > 2 ? argv[2] : FUZZ_CORPUS_DIR;
	long kept = replay_corpus(dir, buf, 70000);
	if (kept < 0)
		printf("not ok 2 - %s: corpus %s cannot be read\n", fuzz_name, dir);
	else
		printf("ok 2 - %s: %ld corpus files from %s decode without fault\n", fuzz_name,
		       kept, dir);
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
		run(buf, len);
	}
	printf("ok 3 - %s: %ld mutated inputs decode without fault\n", fuzz_name, iterations);
	for (size_t i = 0; i < n; i++)
		free(seeds[i].data);
	free(buf);
	return kept < 0;
}

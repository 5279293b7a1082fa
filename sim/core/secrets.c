#include "secrets.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

static void be(uint8_t *out, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

void seeded_secrets_init(struct seeded_secrets *s, uint64_t seed, uint32_t generation,
			 const char *node)
{
	static const char tag[] = "ampsim secrets";
	uint8_t b[12];
	be(b, seed, 8);
	be(b + 8, generation, 4);
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)tag, sizeof(tag) - 1);
	crypto_hash_sha256_update(&st, b, sizeof(b));
	crypto_hash_sha256_update(&st, (const uint8_t *)node, strlen(node));
	crypto_hash_sha256_final(&st, s->key);
	s->draws = 0;
}

void seeded_secrets_bytes(void *ctx, uint8_t *buf, size_t n)
{
	struct seeded_secrets *s = ctx;
	uint8_t in[32 + 8], k[randombytes_SEEDBYTES];
	memcpy(in, s->key, 32);
	be(in + 32, s->draws++, 8);
	crypto_hash_sha256(k, in, sizeof(in));
	randombytes_buf_deterministic(buf, n, k);
	sodium_memzero(k, sizeof(k));
}

bool seeded_secrets_parse(const char *s, uint64_t *seed, uint32_t *generation)
{
	const char *colon = strchr(s, ':');
	if (!colon || colon == s)
		return false;
	char head[32];
	size_t hl = (size_t)(colon - s);
	if (hl >= sizeof(head))
		return false;
	memcpy(head, s, hl);
	head[hl] = '\0';
	uint64_t g;
	const char *why;
	if (!uint_parse(head, seed, &why) || !uint_parse(colon + 1, &g, &why) || g > UINT32_MAX)
		return false;
	*generation = (uint32_t)g;
	return true;
}

void system_secrets_bytes(void *ctx, uint8_t *buf, size_t n)
{
	(void)ctx;
	randombytes_buf(buf, n);
}

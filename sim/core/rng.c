#include "rng.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

void rng_init(struct rng *r, uint64_t seed, const char *stream)
{
	crypto_hash_sha256_state st;
	uint8_t be[8];

	/* key = SHA256(be64(seed) || stream name) */
	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(seed >> (56 - 8 * i));
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, be, sizeof(be));
	crypto_hash_sha256_update(&st, (const uint8_t *)stream, strlen(stream));
	crypto_hash_sha256_final(&st, r->key);

	r->block = 0;
	memset(r->buf, 0, sizeof(r->buf));
	r->pos = sizeof(r->buf);    /* empty: the first draw makes block 0 */
}

static void refill(struct rng *r)
{
	uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
	_Static_assert(crypto_stream_chacha20_NONCEBYTES == 8, "ChaCha20 nonce is 64 bits");

	/* one 64-byte keystream block per nonce = le64(block counter) */
	for (int i = 0; i < 8; i++)
		nonce[i] = (uint8_t)(r->block >> (8 * i));
	crypto_stream_chacha20(r->buf, sizeof(r->buf), nonce, r->key);
	r->block++;
	r->pos = 0;
}

uint64_t rng_u64(struct rng *r)
{
	uint64_t v = 0;

	if (r->pos + 8 > sizeof(r->buf))
		refill(r);
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)r->buf[r->pos + i] << (8 * i);
	r->pos += 8;
	return v;
}

double rng_unit(struct rng *r)
{
	/* top 53 bits: every value is an exact double in [0, 1) */
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

double rng_normal(struct rng *r)
{
	/* Box-Muller. u1 is taken in (0, 1] so log(u1) is finite. */
	double u1 = 1.0 - rng_unit(r);
	double u2 = rng_unit(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

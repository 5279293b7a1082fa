/* Unit tests for proto/amp.c. The derivation vectors were computed
 * independently of this code, with Python's hashlib:
 *   r = sha256(root + share + index.to_bytes(4, 'big')).digest()
 *   h = sha256(r).digest()
 * which is lnd's AMP child derivation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "amp.h"

struct vector {
	const char *root, *share;
	uint32_t index;
	const char *preimage, *hash;
};

#define ZERO32 "0000000000000000000000000000000000000000000000000000000000000000"
#define SEQ00 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define SEQ20 "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

static const struct vector vectors[] = {
	{ ZERO32, ZERO32, 0,
	  "1751ac12e70e15b4f76c16775cd329ae55973b612521dab2de828a5cdb6c8ab3",
	  "1596d82958b4b5474565627bc40dd23f48aa50a375ba06b25e4b8ad953105f51" },
	{ ZERO32, ZERO32, 0xffffffffu,
	  "14af612de8008e3d741972324e989ea135176b271263b75815bb0e8cdd70ad49",
	  "a71c29b468b99f7139d645f5d8288a74dd6701974977c1df5f7bc34b228e3f24" },
	{ SEQ00, SEQ20, 1,
	  "3ebdb02262250f7376ca8cc04d2835b7ff9640fa05156321ffdb2263c912b13c",
	  "33897c0d2c8625d2dde64869263bc550051d2e879edfb7149111985d669859d2" },
	{ SEQ00, SEQ20, 0x01020304u,
	  "c88ba45bb7d67c203bd754e73eb492d34989e663843e94d8ffb1bd8816265536",
	  "161d2a3087a1a630ddb926430cd9dfe2a4539c6553dd6981471baaef807fa03c" },
	{ "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", ZERO32, 5,
	  "b4cb9b4d03d9daacee2b77f14c26678671f3488ed65f7886f8d2cf4d6425bd2c",
	  "394b1d6569c6d74286fda92a542315d97fff28e501406a846c0ee20cad6bdb58" },
};

static void unhex(uint8_t out[AMP_LEN], const char *hex)
{
	size_t n = 0;
	assert_int_equal(sodium_hex2bin(out, AMP_LEN, hex, strlen(hex), NULL, &n, NULL), 0);
	assert_int_equal(n, AMP_LEN);
}

static void assert_hex(const uint8_t v[AMP_LEN], const char *want)
{
	char got[2 * AMP_LEN + 1];
	sodium_bin2hex(got, sizeof(got), v, AMP_LEN);
	assert_string_equal(got, want);
}

/* deterministic, non-secret test bytes */
static void fill(uint8_t v[AMP_LEN], uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < AMP_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		v[i] = (uint8_t)x;
	}
}

static void test_derive_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		uint8_t root[AMP_LEN], share[AMP_LEN], pre[AMP_LEN], hash[AMP_LEN];
		unhex(root, v->root);
		unhex(share, v->share);
		amp_derive(root, share, v->index, pre, hash);
		assert_hex(pre, v->preimage);
		assert_hex(hash, v->hash);
	}
}

static void test_derive_null_outputs(void **state)
{
	(void)state;
	uint8_t root[AMP_LEN], share[AMP_LEN], pre[AMP_LEN], hash[AMP_LEN];
	unhex(root, SEQ00);
	unhex(share, SEQ20);

	memset(hash, 0xaa, sizeof(hash));
	amp_derive(root, share, 1, pre, NULL);
	assert_hex(pre, vectors[2].preimage);

	memset(pre, 0xaa, sizeof(pre));
	amp_derive(root, share, 1, NULL, hash);
	assert_hex(hash, vectors[2].hash);
}

static void test_derive_depends_on_every_input(void **state)
{
	(void)state;
	uint8_t root[AMP_LEN], share[AMP_LEN], base[AMP_LEN], h[AMP_LEN];
	fill(root, 1);
	fill(share, 2);
	amp_derive(root, share, 7, NULL, base);

	root[31] ^= 1;
	amp_derive(root, share, 7, NULL, h);
	assert_memory_not_equal(h, base, AMP_LEN);
	root[31] ^= 1;

	share[0] ^= 0x80;
	amp_derive(root, share, 7, NULL, h);
	assert_memory_not_equal(h, base, AMP_LEN);
	share[0] ^= 0x80;

	/* root and share are not interchangeable */
	amp_derive(share, root, 7, NULL, h);
	assert_memory_not_equal(h, base, AMP_LEN);

	amp_derive(root, share, 7, NULL, h);
	assert_memory_equal(h, base, AMP_LEN);
}

static void test_split_combine(void **state)
{
	(void)state;
	for (size_t n = 1; n <= 8; n++) {
		uint8_t root[AMP_LEN], back[AMP_LEN], shares[8][AMP_LEN];
		fill(root, (uint32_t)(100 + n));
		amp_split(root, shares, n);
		amp_combine(back, (const uint8_t (*)[AMP_LEN])shares, n);
		assert_memory_equal(back, root, AMP_LEN);
		/* with more than one share, none of them is the root itself */
		for (size_t i = 0; n > 1 && i < n; i++)
			assert_memory_not_equal(shares[i], root, AMP_LEN);
	}
}

static void test_split_single_is_root(void **state)
{
	(void)state;
	uint8_t root[AMP_LEN], shares[1][AMP_LEN];
	fill(root, 9);
	memset(shares, 0, sizeof(shares));
	amp_split(root, shares, 1);
	assert_memory_equal(shares[0], root, AMP_LEN);
}

static void test_split_is_random(void **state)
{
	(void)state;
	uint8_t root[AMP_LEN], a[2][AMP_LEN], b[2][AMP_LEN];
	fill(root, 11);
	amp_split(root, a, 2);
	amp_split(root, b, 2);
	assert_memory_not_equal(a[0], b[0], AMP_LEN);
}

static void test_combine_zero_shares(void **state)
{
	(void)state;
	uint8_t root[AMP_LEN];
	memset(root, 0x55, sizeof(root));
	amp_combine(root, NULL, 0);
	assert_true(amp_is_zero(root));
}

static void test_xor_properties(void **state)
{
	(void)state;
	uint8_t a[AMP_LEN], b[AMP_LEN], c[AMP_LEN], x[AMP_LEN], y[AMP_LEN], zero[AMP_LEN] = { 0 };
	fill(a, 21);
	fill(b, 22);
	fill(c, 23);

	amp_xor(x, a, a);                 /* a ^ a = 0 */
	assert_memory_equal(x, zero, AMP_LEN);
	amp_xor(x, a, zero);              /* a ^ 0 = a */
	assert_memory_equal(x, a, AMP_LEN);
	amp_xor(x, a, b);                 /* commutative */
	amp_xor(y, b, a);
	assert_memory_equal(x, y, AMP_LEN);
	amp_xor(x, x, c);                 /* associative, and out may alias */
	amp_xor(y, b, c);
	amp_xor(y, a, y);
	assert_memory_equal(x, y, AMP_LEN);
	amp_xor(x, a, b);                 /* (a ^ b) ^ b = a */
	amp_xor(x, x, b);
	assert_memory_equal(x, a, AMP_LEN);
	amp_xor(x, a, b);
	assert_int_equal(x[0], (uint8_t)(a[0] ^ b[0]));
	assert_int_equal(x[31], (uint8_t)(a[31] ^ b[31]));
}

static void test_preimage_matches(void **state)
{
	(void)state;
	uint8_t pre[AMP_LEN], hash[AMP_LEN];
	unhex(pre, vectors[0].preimage);
	unhex(hash, vectors[0].hash);
	assert_true(preimage_matches(pre, hash));

	hash[31] ^= 1;
	assert_false(preimage_matches(pre, hash));
	hash[31] ^= 1;
	pre[0] ^= 1;
	assert_false(preimage_matches(pre, hash));
	pre[0] ^= 1;
	/* the hash is not its own preimage */
	assert_false(preimage_matches(hash, hash));
}

static void test_is_zero(void **state)
{
	(void)state;
	uint8_t v[AMP_LEN] = { 0 };
	assert_true(amp_is_zero(v));
	v[31] = 1;
	assert_false(amp_is_zero(v));
	v[31] = 0;
	v[0] = 0x80;
	assert_false(amp_is_zero(v));
}

static int cmp32(const void *a, const void *b)
{
	return memcmp(a, b, AMP_LEN);
}

static void test_child_hashes_distinct(void **state)
{
	(void)state;
	enum { N = 2048 };
	static uint8_t h[N + 2][AMP_LEN];
	uint8_t root[AMP_LEN], share[AMP_LEN];
	fill(root, 31);
	fill(share, 32);
	for (uint32_t i = 0; i < N; i++)
		amp_derive(root, share, i, NULL, h[i]);
	amp_derive(root, share, 0x80000000u, NULL, h[N]);
	amp_derive(root, share, 0xffffffffu, NULL, h[N + 1]);
	qsort(h, N + 2, AMP_LEN, cmp32);
	for (size_t i = 1; i < N + 2; i++)
		assert_memory_not_equal(h[i - 1], h[i], AMP_LEN);
}

static void test_set_claims_every_shard(void **state)
{
	(void)state;
	/* Bob's side: the shares of a complete set give back the root, and
	 * with it every shard's preimage. */
	uint8_t root[AMP_LEN], shares[4][AMP_LEN], hashes[4][AMP_LEN], got[AMP_LEN];
	uint32_t index[4] = { 0, 1, 0xdeadbeefu, 7 };
	fill(root, 41);
	amp_split(root, shares, 4);
	for (int i = 0; i < 4; i++)
		amp_derive(root, shares[i], index[i], NULL, hashes[i]);

	amp_combine(got, (const uint8_t (*)[AMP_LEN])shares, 4);
	for (int i = 0; i < 4; i++) {
		uint8_t pre[AMP_LEN];
		amp_derive(got, shares[i], index[i], pre, NULL);
		assert_true(preimage_matches(pre, hashes[i]));
	}

	/* with one share missing the root is wrong and no preimage matches */
	amp_combine(got, (const uint8_t (*)[AMP_LEN])shares, 3);
	for (int i = 0; i < 3; i++) {
		uint8_t pre[AMP_LEN];
		amp_derive(got, shares[i], index[i], pre, NULL);
		assert_false(preimage_matches(pre, hashes[i]));
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derive_vectors),
		cmocka_unit_test(test_derive_null_outputs),
		cmocka_unit_test(test_derive_depends_on_every_input),
		cmocka_unit_test(test_split_combine),
		cmocka_unit_test(test_split_single_is_root),
		cmocka_unit_test(test_split_is_random),
		cmocka_unit_test(test_combine_zero_shares),
		cmocka_unit_test(test_xor_properties),
		cmocka_unit_test(test_preimage_matches),
		cmocka_unit_test(test_is_zero),
		cmocka_unit_test(test_child_hashes_distinct),
		cmocka_unit_test(test_set_claims_every_shard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* sim/core/u64map.c against a plain array as the reference: random puts,
 * replaces and deletes (the backward shift must keep every key findable). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "u64map.h"

#define KEYS 3000

static void agrees_with_a_reference(void **state)
{
	(void)state;
	static uint64_t ref[KEYS];
	static bool has[KEYS];
	struct u64map m = { 0 };
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t count = 0;
	for (int op = 0; op < 200000; op++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t k = (size_t)(x % KEYS);
		uint64_t key = k * 1000003ULL;        /* spread, colliding homes */
		if ((x >> 32) % 3) {
			count += !has[k];
			u64map_put(&m, key, x);
			ref[k] = x;
			has[k] = true;
		} else {
			assert_int_equal(u64map_del(&m, key), has[k]);
			count -= has[k];
			has[k] = false;
		}
		if (op % 5000 == 0)
			for (size_t j = 0; j < KEYS; j++) {
				uint64_t v;
				assert_int_equal(u64map_get(&m, j * 1000003ULL, &v), has[j]);
				if (has[j])
					assert_true(v == ref[j]);
			}
	}
	assert_int_equal(m.n, count);
	size_t seen = 0;
	for (size_t i = 0; i < m.cap; i++)
		seen += u64map_at(&m, i) != NULL;
	assert_int_equal(seen, count);
	u64map_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(agrees_with_a_reference),
	};
	return cmocka_run_group_tests_name("u64map", tests, NULL, NULL);
}

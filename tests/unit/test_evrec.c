/* Unit tests for sim/core/evrec.c: an engine's event record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "evrec.h"

static void test_fields_in_order(void **state)
{
	(void)state;
	struct evrec r;
	uint8_t h[32];
	for (int i = 0; i < 32; i++)
		h[i] = (uint8_t)i;
	evrec_init(&r, "htlc_added");
	evrec_str(&r, "channel", "c1");
	evrec_u64(&r, "amount_msat", UINT64_MAX);
	evrec_i64(&r, "delta", -5);
	evrec_bool(&r, "onchain", true);
	evrec_hex(&r, "hash", h, 32);
	evrec_str(&r, "reason", NULL);
	assert_string_equal(r.name, "htlc_added");
	assert_int_equal(r.n, 6);
	assert_string_equal(r.f[0].key, "channel");
	assert_string_equal(evrec_field_str(&r, 0), "c1");
	assert_int_equal(r.f[1].type, EVF_U64);
	assert_true(r.f[1].v.u64 == UINT64_MAX);
	assert_int_equal(r.f[2].v.i64, -5);
	assert_true(r.f[3].v.b);
	assert_string_equal(evrec_field_str(&r, 4),
			    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	assert_string_equal(evrec_field_str(&r, 5), "");
	assert_null(evrec_field_str(&r, 1));   /* not a string */
	assert_null(evrec_field_str(&r, 6));   /* no such field */
	assert_ptr_equal(evrec_find(&r, "delta"), &r.f[2]);
	assert_null(evrec_find(&r, "missing"));
}

static void test_copy_outlives_source(void **state)
{
	(void)state;
	struct evrec r;
	char s[8] = "abc";
	evrec_init(&r, "x");
	evrec_str(&r, "k", s);
	strcpy(s, "zzz");
	struct evrec copy = r;      /* records are values: actions copy them */
	assert_string_equal(evrec_field_str(&copy, 0), "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_in_order),
		cmocka_unit_test(test_copy_outlives_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for proto/invoice.c: text round trip and every kind of
 * malformed invoice text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ampsim.pb-c.h"
#include "invoice.h"

static char why[256];

static void sample(struct invoice *inv)
{
	memset(inv, 0, sizeof(*inv));
	inv->amount = amount_msat(200000000000ULL);
	for (int i = 0; i < AMP_LEN; i++) {
		inv->payment_hash[i] = (uint8_t)(i * 7 + 1);
		inv->payment_secret[i] = (uint8_t)(0xff - i);
	}
	inv->min_final_cltv_expiry = 18;
	inv->created_height = 4242;
	snprintf(inv->description, sizeof(inv->description), "Alice owes Bob 2 BTC");
}

static bool decode(const char *text, struct invoice *inv)
{
	why[0] = '\0';
	bool ok = invoice_decode(text, inv, why, sizeof(why));
	if (!ok)
		assert_true(strlen(why) > 0);
	return ok;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct invoice in, out;
	char text[INVOICE_TEXT_MAX];
	sample(&in);
	assert_true(invoice_encode(&in, text, sizeof(text)));
	assert_memory_equal(text, INVOICE_PREFIX, strlen(INVOICE_PREFIX));

	memset(&out, 0xa5, sizeof(out));
	assert_true(decode(text, &out));
	assert_int_equal(out.amount.millisatoshis, 200000000000ULL);
	assert_memory_equal(out.payment_hash, in.payment_hash, AMP_LEN);
	assert_memory_equal(out.payment_secret, in.payment_secret, AMP_LEN);
	assert_int_equal(out.min_final_cltv_expiry, 18);
	assert_int_equal(out.created_height, 4242);
	assert_string_equal(out.description, "Alice owes Bob 2 BTC");
}

static void test_round_trip_extremes(void **state)
{
	(void)state;
	struct invoice in, out;
	char text[INVOICE_TEXT_MAX];
	sample(&in);
	in.amount = amount_msat(UINT64_MAX);
	in.min_final_cltv_expiry = UINT32_MAX;
	in.created_height = UINT64_MAX;
	memset(in.description, 'x', INVOICE_DESC_MAX - 1);
	in.description[INVOICE_DESC_MAX - 1] = '\0';
	assert_true(invoice_encode(&in, text, sizeof(text)));
	assert_true(decode(text, &out));
	assert_int_equal(out.amount.millisatoshis, UINT64_MAX);
	assert_int_equal(out.min_final_cltv_expiry, UINT32_MAX);
	assert_int_equal(out.created_height, UINT64_MAX);
	assert_string_equal(out.description, in.description);

	in.description[0] = '\0';
	assert_true(invoice_encode(&in, text, sizeof(text)));
	assert_true(decode(text, &out));
	assert_string_equal(out.description, "");
}

static void test_encode_small_buffer(void **state)
{
	(void)state;
	struct invoice in;
	char text[INVOICE_TEXT_MAX];
	sample(&in);
	assert_true(invoice_encode(&in, text, sizeof(text)));
	size_t need = strlen(text) + 1;
	char small[INVOICE_TEXT_MAX];
	assert_false(invoice_encode(&in, small, need - 1));
	assert_true(invoice_encode(&in, small, need));
	assert_string_equal(small, text);
}

static void test_wrong_prefix(void **state)
{
	(void)state;
	struct invoice in, out;
	char text[INVOICE_TEXT_MAX];
	sample(&in);
	assert_true(invoice_encode(&in, text, sizeof(text)));

	text[0] = 'x';
	assert_false(decode(text, &out));
	assert_non_null(strstr(why, INVOICE_PREFIX));
	assert_false(decode("lnbc1", &out));
	assert_false(decode("", &out));
	/* the real prefix, in capitals, is not the prefix */
	text[0] = 'L';
	text[1] = 'N';
	assert_false(decode(text, &out));
}

static void test_bad_hex(void **state)
{
	(void)state;
	struct invoice in, out;
	char text[INVOICE_TEXT_MAX];
	sample(&in);
	assert_true(invoice_encode(&in, text, sizeof(text)));

	size_t mid = strlen(INVOICE_PREFIX) + 10;
	text[mid] = 'g';
	assert_false(decode(text, &out));
	assert_non_null(strstr(why, "hex"));

	assert_false(decode(INVOICE_PREFIX "zz", &out));
	assert_false(decode(INVOICE_PREFIX "0a0b0c0d0e ", &out));
	/* an odd number of digits */
	assert_false(decode(INVOICE_PREFIX "0a0b0c0d0e0", &out));
}

static void test_checksum_mismatch(void **state)
{
	(void)state;
	struct invoice in, out;
	char text[INVOICE_TEXT_MAX];
	sample(&in);
	assert_true(invoice_encode(&in, text, sizeof(text)));
	size_t plen = strlen(INVOICE_PREFIX), n = strlen(text);

	/* flip one hex digit in the body, then one in the checksum itself */
	size_t spots[] = { plen, plen + 17, n - 9, n - 1 };
	for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		char bad[INVOICE_TEXT_MAX];
		memcpy(bad, text, n + 1);
		bad[spots[i]] = bad[spots[i]] == '0' ? '1' : '0';
		assert_false(decode(bad, &out));
		assert_non_null(strstr(why, "checksum"));
	}
	assert_true(decode(text, &out));
}

static void test_too_short(void **state)
{
	(void)state;
	struct invoice out;
	assert_false(decode(INVOICE_PREFIX, &out));
	assert_non_null(strstr(why, "short"));
	assert_false(decode(INVOICE_PREFIX "00000000", &out));
	assert_non_null(strstr(why, "short"));
	/* one byte of body with a wrong checksum */
	assert_false(decode(INVOICE_PREFIX "0000000000", &out));
}

static void test_too_long(void **state)
{
	(void)state;
	struct invoice out;
	char text[4096];
	size_t plen = strlen(INVOICE_PREFIX);
	memcpy(text, INVOICE_PREFIX, plen);
	memset(text + plen, '0', 2 * INVOICE_TEXT_MAX);
	text[plen + 2 * INVOICE_TEXT_MAX] = '\0';
	assert_false(decode(text, &out));
	assert_non_null(strstr(why, "at most"));
}

/* Valid hex and a valid checksum around a payload of our choosing. */
static void wrap(const uint8_t *payload, size_t n, char *text, size_t cap)
{
	uint8_t tmp[600], digest[crypto_hash_sha256_BYTES];
	assert_true(n + 4 <= sizeof(tmp));
	memcpy(tmp, payload, n);
	crypto_hash_sha256(digest, payload, n);
	memcpy(tmp + n, digest, 4);
	size_t plen = strlen(INVOICE_PREFIX);
	assert_true(cap >= plen + 2 * (n + 4) + 1);
	memcpy(text, INVOICE_PREFIX, plen);
	sodium_bin2hex(text + plen, cap - plen, tmp, n + 4);
}

static void test_checksummed_garbage(void **state)
{
	(void)state;
	struct invoice out;
	char text[INVOICE_TEXT_MAX];
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff };
	wrap(junk, sizeof(junk), text, sizeof(text));
	assert_false(decode(text, &out));
	assert_non_null(strstr(why, "decode"));
}

static void test_checksummed_bad_fields(void **state)
{
	(void)state;
	struct invoice out;
	char text[INVOICE_TEXT_MAX];
	uint8_t hash[AMP_LEN] = { 1 }, secret[AMP_LEN] = { 2 }, packed[600];
	Ampsim__Invoice m = AMPSIM__INVOICE__INIT;
	m.amount_msat = 1000;
	m.payment_hash.data = hash;
	m.payment_hash.len = 31;
	m.payment_secret.data = secret;
	m.payment_secret.len = AMP_LEN;
	m.description = "";

	size_t n = ampsim__invoice__pack(&m, packed);
	wrap(packed, n, text, sizeof(text));
	assert_false(decode(text, &out));
	assert_non_null(strstr(why, "32 bytes"));

	m.payment_hash.len = AMP_LEN;
	m.amount_msat = 0;
	n = ampsim__invoice__pack(&m, packed);
	wrap(packed, n, text, sizeof(text));
	assert_false(decode(text, &out));
	assert_non_null(strstr(why, "zero"));

	m.amount_msat = 1000;
	n = ampsim__invoice__pack(&m, packed);
	wrap(packed, n, text, sizeof(text));
	assert_true(decode(text, &out));
	assert_int_equal(out.amount.millisatoshis, 1000);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_extremes),
		cmocka_unit_test(test_encode_small_buffer),
		cmocka_unit_test(test_wrong_prefix),
		cmocka_unit_test(test_bad_hex),
		cmocka_unit_test(test_checksum_mismatch),
		cmocka_unit_test(test_too_short),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_checksummed_garbage),
		cmocka_unit_test(test_checksummed_bad_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

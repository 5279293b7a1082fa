/* The served chain's messages (sim/runtime/chain_wire.c): every request
 * and answer survives encoding, the length header is bounded, and what a
 * stranger may send that is not a request is refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chain_wire.h"

static uint8_t buf[CHAIN_WIRE_HDR + CHAIN_WIRE_MAX];

static struct chain_request submit_claim(void)
{
	struct chain_request r;
	memset(&r, 0, sizeof(r));
	r.op = CHAIN_OP_SUBMIT;
	/* a submit's output is its terms' (channel, nodes, HTLC id) */
	struct chain_terms *t = &r.proof.terms;
	snprintf(t->channel, sizeof(t->channel), "c1");
	t->htlc_id = 7;
	memset(t->sender, 0x02, CHAIN_RULES_KEY_LEN);
	memset(t->receiver, 0x03, CHAIN_RULES_KEY_LEN);
	t->amount_msat = 123456;
	r.tx.kind = CHAIN_CLAIM;
	memset(r.tx.preimage, 0x42, AMP_LEN);
	memset(t->payment_hash, 0xa5, AMP_LEN);
	t->cltv_expiry = 41;
	memset(r.proof.sender_sig, 0x51, CHAIN_RULES_SIG_LEN);
	memset(r.proof.receiver_sig, 0x52, CHAIN_RULES_SIG_LEN);
	memset(r.proof.spend_sig, 0x53, CHAIN_RULES_SIG_LEN);
	r.height = 38;
	return r;
}

/* Encode, check the header, decode the body. */
static void round_trip_request(const struct chain_request *in, struct chain_request *out)
{
	size_t n = chain_wire_encode_request(in, buf, sizeof(buf));
	assert_true(n > CHAIN_WIRE_HDR);
	uint32_t len;
	assert_true(chain_wire_header(buf, &len));
	assert_int_equal(len, n - CHAIN_WIRE_HDR);
	char err[200];
	assert_true(chain_wire_decode_request(buf + CHAIN_WIRE_HDR, len, out, err, sizeof(err)));
}

static void a_claim_request_round_trips(void **state)
{
	(void)state;
	struct chain_request in = submit_claim(), out;
	round_trip_request(&in, &out);
	assert_int_equal(out.op, CHAIN_OP_SUBMIT);
	assert_string_equal(out.tx.channel, "c1");
	assert_int_equal(out.tx.htlc_id, 7);
	assert_int_equal(out.tx.kind, CHAIN_CLAIM);
	assert_memory_equal(out.tx.preimage, in.tx.preimage, AMP_LEN);
	assert_memory_equal(&out.proof, &in.proof, sizeof(in.proof));
	assert_memory_equal(out.tx.sender, in.proof.terms.sender, CHAIN_RULES_KEY_LEN);
	assert_memory_equal(out.tx.receiver, in.proof.terms.receiver, CHAIN_RULES_KEY_LEN);
	assert_int_equal(out.height, 38);
}

static void a_refund_and_a_question_round_trip(void **state)
{
	(void)state;
	struct chain_request in = submit_claim(), out;
	in.tx.kind = CHAIN_REFUND;
	memset(in.tx.preimage, 0, AMP_LEN);
	in.proof.terms.htlc_id = (uint64_t)INT64_MAX;
	in.height = UINT32_MAX;
	round_trip_request(&in, &out);
	assert_int_equal(out.tx.kind, CHAIN_REFUND);
	assert_int_equal(out.tx.htlc_id, (uint64_t)INT64_MAX);
	assert_int_equal(out.height, UINT32_MAX);
	/* a refund carries no preimage on the wire */
	assert_null(memmem(buf, sizeof(buf), "preimage", 8));

	struct chain_request q = { .op = CHAIN_OP_CONFIRMED, .tx.htlc_id = 3, .height = 12 };
	snprintf(q.tx.channel, sizeof(q.tx.channel), "chan-2");
	memset(q.tx.sender, 0x02, CHAIN_RULES_KEY_LEN);
	memset(q.tx.receiver, 0x03, CHAIN_RULES_KEY_LEN);
	round_trip_request(&q, &out);
	assert_int_equal(out.op, CHAIN_OP_CONFIRMED);
	assert_memory_equal(out.tx.sender, q.tx.sender, CHAIN_RULES_KEY_LEN);
	assert_memory_equal(out.tx.receiver, q.tx.receiver, CHAIN_RULES_KEY_LEN);
	assert_string_equal(out.tx.channel, "chan-2");
	assert_int_equal(out.tx.htlc_id, 3);
	assert_int_equal(out.height, 12);
}

static void round_trip_response(const struct chain_response *in, struct chain_response *out)
{
	size_t n = chain_wire_encode_response(in, buf, sizeof(buf));
	assert_true(n > CHAIN_WIRE_HDR);
	uint32_t len;
	assert_true(chain_wire_header(buf, &len));
	char err[200];
	assert_true(chain_wire_decode_response(buf + CHAIN_WIRE_HDR, len, out, err, sizeof(err)));
}

static void every_answer_round_trips(void **state)
{
	(void)state;
	struct chain_response out;
	struct chain_response acc = { .ok = true, .op = CHAIN_OP_SUBMIT, .result = CHAIN_ACCEPTED };
	round_trip_response(&acc, &out);
	assert_true(out.ok);
	assert_int_equal(out.result, CHAIN_ACCEPTED);
	assert_false(out.found);

	struct chain_response spent = { .ok = true, .op = CHAIN_OP_SUBMIT, .result = CHAIN_SPENT,
					.found = true };
	snprintf(spent.tx.channel, sizeof(spent.tx.channel), "c2");
	spent.tx.htlc_id = 1;
	spent.tx.kind = CHAIN_CLAIM;
	memset(spent.tx.preimage, 0x17, AMP_LEN);
	spent.tx.sent_height = 30;
	spent.tx.confirm_height = 32;
	round_trip_response(&spent, &out);
	assert_int_equal(out.result, CHAIN_SPENT);
	assert_true(out.found);
	assert_string_equal(out.tx.channel, "c2");
	assert_int_equal(out.tx.kind, CHAIN_CLAIM);
	assert_memory_equal(out.tx.preimage, spent.tx.preimage, AMP_LEN);
	assert_int_equal(out.tx.sent_height, 30);
	assert_int_equal(out.tx.confirm_height, 32);

	struct chain_response none = { .ok = true, .op = CHAIN_OP_CONFIRMED, .found = false };
	round_trip_response(&none, &out);
	assert_int_equal(out.op, CHAIN_OP_CONFIRMED);
	assert_false(out.found);

	struct chain_response found = spent;
	found.op = CHAIN_OP_CONFIRMED;
	found.tx.kind = CHAIN_REFUND;
	memset(found.tx.preimage, 0, AMP_LEN);
	round_trip_response(&found, &out);
	assert_true(out.found);
	assert_int_equal(out.tx.kind, CHAIN_REFUND);

	struct chain_response bad = { .ok = false };
	snprintf(bad.error, sizeof(bad.error), "malformed request: 'htlc' is missing");
	round_trip_response(&bad, &out);
	assert_false(out.ok);
	assert_string_equal(out.error, bad.error);
}

/* The probe the daemons send at every block: the height, and ok back. */
static void a_status_probe_round_trips(void **state)
{
	(void)state;
	struct chain_request in = { .op = CHAIN_OP_STATUS, .height = 77 }, out;
	round_trip_request(&in, &out);
	assert_int_equal(out.op, CHAIN_OP_STATUS);
	assert_int_equal(out.height, 77);
	struct chain_response rin = { .ok = true, .op = CHAIN_OP_STATUS }, rout;
	round_trip_response(&rin, &rout);
	assert_true(rout.ok);
	assert_int_equal(rout.op, CHAIN_OP_STATUS);
	char err[200];
	static const char extra[] = "{\"op\":\"status\",\"height\":1,\"channel\":\"c1\"}";
	assert_false(chain_wire_decode_request((const uint8_t *)extra, strlen(extra), &out, err,
					       sizeof(err)));
	assert_non_null(strstr(err, "unexpected field 'channel'"));
	static const char noheight[] = "{\"op\":\"status\"}";
	assert_false(chain_wire_decode_request((const uint8_t *)noheight, strlen(noheight), &out,
					       err, sizeof(err)));
	static const char answer[] = "{\"ok\":true,\"op\":\"status\",\"found\":true}";
	assert_false(chain_wire_decode_response((const uint8_t *)answer, strlen(answer), &rout, err,
						sizeof(err)));
}

static void what_cannot_be_sent_is_not_encoded(void **state)
{
	(void)state;
	struct chain_request r = submit_claim();
	r.proof.terms.channel[0] = '\0';
	assert_int_equal(chain_wire_encode_request(&r, buf, sizeof(buf)), 0);
	r = submit_claim();
	r.proof.terms.htlc_id = UINT64_MAX;
	assert_int_equal(chain_wire_encode_request(&r, buf, sizeof(buf)), 0);
	r = submit_claim();
	assert_int_equal(chain_wire_encode_request(&r, buf, 20), 0);   /* does not fit */
	struct chain_response u = { .ok = true, .op = CHAIN_OP_SUBMIT, .result = CHAIN_UNREACHABLE };
	assert_int_equal(chain_wire_encode_response(&u, buf, sizeof(buf)), 0);
}

static void the_header_is_bounded(void **state)
{
	(void)state;
	uint32_t len;
	uint8_t zero[4] = { 0, 0, 0, 0 }, max[4] = { 0, 0, CHAIN_WIRE_MAX >> 8, CHAIN_WIRE_MAX & 0xff };
	uint8_t over[4] = { 0, 0, (CHAIN_WIRE_MAX + 1) >> 8, (CHAIN_WIRE_MAX + 1) & 0xff };
	uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff }, http[4] = { 'G', 'E', 'T', ' ' };
	assert_false(chain_wire_header(zero, &len));
	assert_true(chain_wire_header(max, &len));
	assert_int_equal(len, CHAIN_WIRE_MAX);
	assert_false(chain_wire_header(over, &len));
	assert_false(chain_wire_header(huge, &len));
	assert_false(chain_wire_header(http, &len));   /* a stray HTTP client */
}

static bool decodes(const char *json, char *err, size_t n)
{
	struct chain_request r;
	return chain_wire_decode_request((const uint8_t *)json, strlen(json), &r, err, n);
}

#define PRE "4242424242424242424242424242424242424242424242424242424242424242"
#define NODE "02" PRE
#define SIG PRE PRE
/* a submit's output and the proof of its terms */
#define OUT "\"channel\":\"c1\",\"sender\":\"" NODE "\",\"receiver\":\"" NODE "\",\"htlc\":0"
#define SIGS ",\"amount_msat\":5,\"sender_sig\":\"" SIG "\",\"receiver_sig\":\"" SIG \
	"\",\"sig\":\"" SIG "\""

static void malformed_requests_are_refused_with_a_reason(void **state)
{
	(void)state;
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "", "not JSON" },
		{ "{\"op\":\"submit\"", "not JSON" },
		{ "[1,2]", "not a JSON object" },
		{ "{}", "'op' is missing" },
		{ "{\"op\":\"mine\",\"channel\":\"c1\",\"htlc\":0,\"height\":1}", "unknown op" },
		{ "{\"op\":\"confirmed\",\"htlc\":0,\"height\":1}", "'channel' is missing" },
		{ "{\"op\":\"confirmed\",\"channel\":\"\",\"htlc\":0,\"height\":1}", "1 to 31" },
		{ "{\"op\":\"confirmed\",\"channel\":\"c1 x\",\"htlc\":0,\"height\":1}", "printable" },
		{ "{\"op\":\"confirmed\",\"channel\":\"0123456789012345678901234567890123\",\"htlc\":0,"
		  "\"height\":1}", "1 to 31" },
		{ "{\"op\":\"confirmed\",\"channel\":\"c1\",\"htlc\":-1,\"height\":1}", "'htlc'" },
		{ "{\"op\":\"confirmed\",\"channel\":\"c1\",\"htlc\":\"0\",\"height\":1}", "'htlc'" },
		{ "{\"op\":\"confirmed\",\"channel\":\"c1\",\"htlc\":0,\"height\":4294967296}",
		  "'height'" },
		{ "{\"op\":\"confirmed\",\"channel\":\"c1\",\"htlc\":0,\"height\":1.5}", "'height'" },
		{ "{\"op\":\"confirmed\",\"channel\":\"c1\",\"htlc\":0,\"height\":1,\"x\":1}",
		  "unexpected field 'x'" },
		{ "{\"op\":\"confirmed\",\"op\":\"submit\",\"channel\":\"c1\",\"htlc\":0,\"height\":1}",
		  "not JSON" },   /* duplicate keys */
		{ "{\"op\":\"confirmed\",\"channel\":\"c1\",\"htlc\":0,\"height\":1}",
		  "'sender' is missing" },
		{ "{\"op\":\"confirmed\",\"channel\":\"c1\",\"sender\":\"02\",\"receiver\":\"02\","
		  "\"htlc\":0,\"height\":1}", "66 hex digits" },
		{ "{\"op\":\"submit\"," OUT ",\"height\":1,\"kind\":\"claim\","
		  "\"hash\":\"" PRE "\",\"cltv_expiry\":9" SIGS "}", "'preimage' is missing" },
		{ "{\"op\":\"submit\"," OUT ",\"height\":1,\"kind\":\"claim\","
		  "\"preimage\":\"42\",\"hash\":\"" PRE "\",\"cltv_expiry\":9" SIGS "}", "64 hex digits" },
		{ "{\"op\":\"submit\"," OUT ",\"height\":1,\"kind\":\"claim\","
		  "\"preimage\":\"" PRE "\",\"hash\":\"zz" PRE "\",\"cltv_expiry\":9" SIGS "}",
		  "64 hex digits" },
		{ "{\"op\":\"submit\"," OUT ",\"height\":1,\"kind\":\"steal\","
		  "\"hash\":\"" PRE "\",\"cltv_expiry\":9" SIGS "}", "claim or refund" },
		{ "{\"op\":\"submit\"," OUT ",\"height\":1,\"kind\":\"refund\","
		  "\"preimage\":\"" PRE "\",\"hash\":\"" PRE "\",\"cltv_expiry\":9" SIGS "}",
		  "no preimage" },
		{ "{\"op\":\"submit\"," OUT ",\"height\":1,\"kind\":\"refund\","
		  "\"hash\":\"" PRE "\"" SIGS "}", "'cltv_expiry' is missing" },
		{ "{\"op\":\"submit\"," OUT ",\"height\":1,\"kind\":\"refund\","
		  "\"hash\":\"" PRE "\",\"cltv_expiry\":9}", "'amount_msat' is missing" },
		{ "{\"op\":\"submit\"," OUT ",\"height\":1,\"kind\":\"refund\","
		  "\"hash\":\"" PRE "\",\"cltv_expiry\":9,\"amount_msat\":5,\"sender_sig\":\"" PRE "\"}",
		  "128 hex digits" },
		{ "{\"op\":\"confirmed\",\"channel\":\"c1\",\"htlc\":0,\"height\":1} trailing", "not JSON" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[200] = "";
		if (decodes(bad[i].json, err, sizeof(err)))
			fail_msg("accepted #%zu: %s", i, bad[i].json);
		if (!strstr(err, bad[i].why))
			fail_msg("#%zu: '%s' does not say '%s'", i, err, bad[i].why);
	}
	char err[200];
	assert_true(decodes("{\"op\":\"submit\"," OUT ",\"height\":1,"
			    "\"kind\":\"refund\",\"hash\":\"" PRE "\",\"cltv_expiry\":9" SIGS "}", err,
			    sizeof(err)));
}

static void malformed_answers_are_refused(void **state)
{
	(void)state;
	static const char *bad[] = {
		"{\"ok\":1}",
		"{\"ok\":false}",
		"{\"ok\":true,\"op\":\"submit\",\"result\":\"unreachable\"}",
		"{\"ok\":true,\"op\":\"submit\",\"result\":\"spent\"}",
		"{\"ok\":true,\"op\":\"submit\",\"result\":\"accepted\",\"winner\":{}}",
		"{\"ok\":true,\"op\":\"confirmed\",\"found\":true}",
		"{\"ok\":true,\"op\":\"confirmed\",\"found\":false,\"tx\":{}}",
		("{\"ok\":true,\"op\":\"confirmed\",\"found\":true,\"tx\":{\"channel\":\"c1\",\"htlc\":0,"
		 "\"kind\":\"claim\",\"sent_height\":1,\"confirm_height\":3}}"),   /* no preimage */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct chain_response r;
		char err[200];
		if (chain_wire_decode_response((const uint8_t *)bad[i], strlen(bad[i]), &r, err,
					       sizeof(err)))
			fail_msg("accepted #%zu: %s", i, bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_claim_request_round_trips),
		cmocka_unit_test(a_refund_and_a_question_round_trip),
		cmocka_unit_test(every_answer_round_trips),
		cmocka_unit_test(a_status_probe_round_trips),
		cmocka_unit_test(what_cannot_be_sent_is_not_encoded),
		cmocka_unit_test(the_header_is_bounded),
		cmocka_unit_test(malformed_requests_are_refused_with_a_reason),
		cmocka_unit_test(malformed_answers_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

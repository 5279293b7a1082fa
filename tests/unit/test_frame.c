/* Unit tests for proto/frame.c: every envelope type round-trips, and every
 * malformed input is refused with the right status and no heap use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"

static struct frame_arena arena;
static uint8_t buf[FRAME_MAX + FRAME_HDR + 64];
static char why[256];

/* one spare byte each, for the "33 bytes" cases */
static uint8_t H[33], S[33], SHARE[33], SET[33];

static int setup(void **state)
{
	(void)state;
	frame_arena_init(&arena);
	memset(why, 0, sizeof(why));
	for (int i = 0; i < 33; i++) {
		H[i] = (uint8_t)i;
		S[i] = (uint8_t)(0x40 + i);
		SHARE[i] = (uint8_t)(0x80 + i);
		SET[i] = (uint8_t)(0xc0 + i);
	}
	return 0;
}

static ProtobufCBinaryData bin(uint8_t *p, size_t n)
{
	ProtobufCBinaryData b = { n, p };
	return b;
}

/* Encode env, decode it back, and check the frame's length bookkeeping. */
static Ampsim__Envelope *round_trip(const Ampsim__Envelope *env)
{
	size_t n = frame_encode(env, buf, sizeof(buf));
	assert_true(n > FRAME_HDR);
	assert_int_equal(frame_peek_len(buf, n), n - FRAME_HDR);

	Ampsim__Envelope *out = NULL;
	size_t consumed = 0;
	enum frame_status st = frame_decode(&arena, buf, n, &consumed, &out, why, sizeof(why));
	if (st != FRAME_OK)
		fail_msg("decode of %s: %s (%s)", envelope_type_name(env), frame_status_name(st), why);
	assert_int_equal(consumed, n);
	assert_non_null(out);
	assert_int_equal(out->msg_case, env->msg_case);
	assert_string_equal(envelope_type_name(out), envelope_type_name(env));
	return out;
}

static void test_round_trip_init(void **state)
{
	(void)state;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__Init m = AMPSIM__INIT__INIT;
	char *features[] = { "mpp", "amp" };
	m.version = 3;
	m.n_features = 2;
	m.features = features;
	m.epoch_unix_us = 1700000000123456ULL;
	m.block_interval_us = 1000000;
	m.time_scale = 2.5;
	m.seed = 0xfeedfacecafebeefULL;
	env.msg_case = AMPSIM__ENVELOPE__MSG_INIT;
	env.init = &m;

	Ampsim__Envelope *o = round_trip(&env);
	assert_string_equal(envelope_type_name(o), "init");
	assert_int_equal(o->init->version, 3);
	assert_int_equal(o->init->n_features, 2);
	assert_string_equal(o->init->features[0], "mpp");
	assert_string_equal(o->init->features[1], "amp");
	assert_int_equal(o->init->epoch_unix_us, 1700000000123456ULL);
	assert_int_equal(o->init->block_interval_us, 1000000);
	assert_true(o->init->time_scale == 2.5);
	assert_int_equal(o->init->seed, 0xfeedfacecafebeefULL);
}

static void test_round_trip_open_accept(void **state)
{
	(void)state;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__OpenChannel m = AMPSIM__OPEN_CHANNEL__INIT;
	Ampsim__LinkParams tb = AMPSIM__LINK_PARAMS__INIT, ta = AMPSIM__LINK_PARAMS__INIT;
	tb.delay_us = 20000;
	tb.jitter_us = 5000;
	tb.jitter_dist = AMPSIM__JITTER_DIST__JITTER_PARETO;
	tb.drop = 0.25;
	ta.delay_us = 80000;
	m.channel_id = "c1";
	m.capacity_msat = 100000000000ULL;
	m.alice_msat = 60000000000ULL;
	m.max_htlcs = 483;
	m.htlc_minimum_msat = 1;
	m.to_bob = &tb;
	m.to_alice = &ta;
	env.msg_case = AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL;
	env.open_channel = &m;

	Ampsim__Envelope *o = round_trip(&env);
	assert_string_equal(o->open_channel->channel_id, "c1");
	assert_int_equal(o->open_channel->capacity_msat, 100000000000ULL);
	assert_int_equal(o->open_channel->alice_msat, 60000000000ULL);
	assert_int_equal(o->open_channel->max_htlcs, 483);
	assert_int_equal(o->open_channel->htlc_minimum_msat, 1);
	assert_non_null(o->open_channel->to_bob);
	assert_int_equal(o->open_channel->to_bob->delay_us, 20000);
	assert_int_equal(o->open_channel->to_bob->jitter_us, 5000);
	assert_int_equal(o->open_channel->to_bob->jitter_dist, AMPSIM__JITTER_DIST__JITTER_PARETO);
	assert_true(o->open_channel->to_bob->drop == 0.25);
	assert_int_equal(o->open_channel->to_alice->delay_us, 80000);

	Ampsim__AcceptChannel a = AMPSIM__ACCEPT_CHANNEL__INIT;
	a.channel_id = "c2";
	env.msg_case = AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL;
	env.accept_channel = &a;
	o = round_trip(&env);
	assert_string_equal(o->accept_channel->channel_id, "c2");
}

static void test_round_trip_invoices(void **state)
{
	(void)state;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__InvoiceRequest r = AMPSIM__INVOICE_REQUEST__INIT;
	r.request_id = 9;
	r.amount_msat = 200000000000ULL;
	r.description = "two coffees";
	env.msg_case = AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST;
	env.invoice_request = &r;
	Ampsim__Envelope *o = round_trip(&env);
	assert_int_equal(o->invoice_request->request_id, 9);
	assert_int_equal(o->invoice_request->amount_msat, 200000000000ULL);
	assert_string_equal(o->invoice_request->description, "two coffees");

	Ampsim__Invoice inv = AMPSIM__INVOICE__INIT;
	inv.request_id = 9;
	inv.amount_msat = 200000000000ULL;
	inv.payment_hash = bin(H, 32);
	inv.payment_secret = bin(S, 32);
	inv.min_final_cltv_expiry = 18;
	inv.created_height = 1234;
	inv.description = "two coffees";
	env.msg_case = AMPSIM__ENVELOPE__MSG_INVOICE;
	env.invoice = &inv;
	o = round_trip(&env);
	assert_int_equal(o->invoice->request_id, 9);
	assert_int_equal(o->invoice->payment_hash.len, 32);
	assert_memory_equal(o->invoice->payment_hash.data, H, 32);
	assert_memory_equal(o->invoice->payment_secret.data, S, 32);
	assert_int_equal(o->invoice->min_final_cltv_expiry, 18);
	assert_int_equal(o->invoice->created_height, 1234);
}

static void test_round_trip_add(void **state)
{
	(void)state;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__UpdateAddHtlc a = AMPSIM__UPDATE_ADD_HTLC__INIT;
	Ampsim__MppRecord mpp = AMPSIM__MPP_RECORD__INIT;
	Ampsim__AmpRecord amp = AMPSIM__AMP_RECORD__INIT;
	mpp.payment_secret = bin(S, 32);
	mpp.total_msat = 200000000000ULL;
	amp.root_share = bin(SHARE, 32);
	amp.set_id = bin(SET, 32);
	amp.child_index = 0xfffffffeu;
	a.channel_id = "c1";
	a.htlc_id = 77;
	a.amount_msat = 100000000000ULL;
	a.payment_hash = bin(H, 32);
	a.cltv_expiry = 140;
	a.mpp = &mpp;
	a.amp = &amp;
	env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC;
	env.update_add_htlc = &a;

	Ampsim__Envelope *o = round_trip(&env);
	const Ampsim__UpdateAddHtlc *g = o->update_add_htlc;
	assert_string_equal(g->channel_id, "c1");
	assert_int_equal(g->htlc_id, 77);
	assert_int_equal(g->amount_msat, 100000000000ULL);
	assert_memory_equal(g->payment_hash.data, H, 32);
	assert_int_equal(g->cltv_expiry, 140);
	assert_non_null(g->mpp);
	assert_memory_equal(g->mpp->payment_secret.data, S, 32);
	assert_int_equal(g->mpp->total_msat, 200000000000ULL);
	assert_non_null(g->amp);
	assert_memory_equal(g->amp->root_share.data, SHARE, 32);
	assert_memory_equal(g->amp->set_id.data, SET, 32);
	assert_int_equal(g->amp->child_index, 0xfffffffeu);

	/* single-part HTLCs carry no records */
	a.mpp = NULL;
	a.amp = NULL;
	o = round_trip(&env);
	assert_null(o->update_add_htlc->mpp);
	assert_null(o->update_add_htlc->amp);
}

static void test_round_trip_settle(void **state)
{
	(void)state;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__UpdateFulfillHtlc f = AMPSIM__UPDATE_FULFILL_HTLC__INIT;
	f.channel_id = "c1";
	f.htlc_id = 5;
	f.payment_preimage = bin(S, 32);
	env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC;
	env.update_fulfill_htlc = &f;
	Ampsim__Envelope *o = round_trip(&env);
	assert_string_equal(o->update_fulfill_htlc->channel_id, "c1");
	assert_int_equal(o->update_fulfill_htlc->htlc_id, 5);
	assert_memory_equal(o->update_fulfill_htlc->payment_preimage.data, S, 32);

	Ampsim__UpdateFailHtlc x = AMPSIM__UPDATE_FAIL_HTLC__INIT;
	x.channel_id = "c2";
	x.htlc_id = 6;
	x.failure_code = AMPSIM__FAILURE_CODE__FAILURE_MPP_TIMEOUT;
	x.reason = "hold timeout";
	env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC;
	env.update_fail_htlc = &x;
	o = round_trip(&env);
	assert_string_equal(o->update_fail_htlc->channel_id, "c2");
	assert_int_equal(o->update_fail_htlc->htlc_id, 6);
	assert_int_equal(o->update_fail_htlc->failure_code, 23);
	assert_string_equal(o->update_fail_htlc->reason, "hold timeout");
}

static void test_round_trip_error_ping_pong(void **state)
{
	(void)state;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__Error e = AMPSIM__ERROR__INIT;
	e.channel_id = "";
	e.message = "bye";
	env.msg_case = AMPSIM__ENVELOPE__MSG_ERROR;
	env.error = &e;
	Ampsim__Envelope *o = round_trip(&env);
	assert_string_equal(o->error->channel_id, "");
	assert_string_equal(o->error->message, "bye");

	Ampsim__Ping p = AMPSIM__PING__INIT;
	uint8_t pad[100];
	memset(pad, 0x5a, sizeof(pad));
	p.num_pong_bytes = 16;
	p.ignored = bin(pad, sizeof(pad));
	env.msg_case = AMPSIM__ENVELOPE__MSG_PING;
	env.ping = &p;
	o = round_trip(&env);
	assert_int_equal(o->ping->num_pong_bytes, 16);
	assert_int_equal(o->ping->ignored.len, sizeof(pad));
	assert_memory_equal(o->ping->ignored.data, pad, sizeof(pad));

	/* an empty pong still packs to a non-empty envelope (its tag and length) */
	Ampsim__Pong q = AMPSIM__PONG__INIT;
	env.msg_case = AMPSIM__ENVELOPE__MSG_PONG;
	env.pong = &q;
	o = round_trip(&env);
	assert_int_equal(o->pong->ignored.len, 0);
}

static void put_len(uint8_t *p, uint32_t n)
{
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
}

static size_t encode_ping(uint32_t num)
{
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__Ping p = AMPSIM__PING__INIT;
	p.num_pong_bytes = num;
	env.msg_case = AMPSIM__ENVELOPE__MSG_PING;
	env.ping = &p;
	size_t n = frame_encode(&env, buf, sizeof(buf));
	assert_true(n > FRAME_HDR);
	return n;
}

static void test_truncated(void **state)
{
	(void)state;
	size_t n = encode_ping(1000), consumed = 12345;
	Ampsim__Envelope *out = (Ampsim__Envelope *)buf;

	for (size_t len = 0; len < FRAME_HDR; len++) {
		assert_int_equal(frame_decode(&arena, buf, len, &consumed, &out, why, sizeof(why)),
				 FRAME_NEED_MORE);
		assert_null(out);
		assert_int_equal(frame_peek_len(buf, len), 0);
	}
	for (size_t len = FRAME_HDR; len < n; len++) {
		out = (Ampsim__Envelope *)buf;
		assert_int_equal(frame_decode(&arena, buf, len, &consumed, &out, why, sizeof(why)),
				 FRAME_NEED_MORE);
		assert_null(out);
	}
	assert_int_equal(consumed, 12345);
	assert_int_equal(frame_decode(&arena, buf, n, &consumed, &out, why, sizeof(why)), FRAME_OK);
	assert_int_equal(consumed, n);
}

static void test_length_out_of_range(void **state)
{
	(void)state;
	static const uint32_t lens[] = { 0, FRAME_MAX + 1, 0x7fffffffu, 0xffffffffu };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		Ampsim__Envelope *out = NULL;
		size_t consumed = 0;
		frame_arena_init(&arena);
		memset(buf, 0, 16);
		put_len(buf, lens[i]);
		why[0] = '\0';
		/* only the header is present: the verdict cannot wait for a body */
		assert_int_equal(frame_decode(&arena, buf, FRAME_HDR, &consumed, &out, why, sizeof(why)),
				 FRAME_TOO_LARGE);
		assert_null(out);
		assert_true(strlen(why) > 0);
		/* nothing was allocated, not even from the arena */
		assert_int_equal(arena.used, 0);
		assert_int_equal(arena.high_water, 0);
	}
	/* FRAME_MAX itself is in range: it waits for the rest */
	Ampsim__Envelope *out = NULL;
	size_t consumed = 0;
	put_len(buf, FRAME_MAX);
	assert_int_equal(frame_decode(&arena, buf, FRAME_HDR, &consumed, &out, why, sizeof(why)),
			 FRAME_NEED_MORE);
}

static enum frame_status decode_payload(const uint8_t *payload, size_t n)
{
	Ampsim__Envelope *out = (Ampsim__Envelope *)buf;
	size_t consumed = 0;
	put_len(buf, (uint32_t)n);
	memcpy(buf + FRAME_HDR, payload, n);
	why[0] = '\0';
	enum frame_status st = frame_decode(&arena, buf, FRAME_HDR + n, &consumed, &out, why,
					    sizeof(why));
	if (st != FRAME_OK)
		assert_null(out);
	return st;
}

static void test_garbage_payload(void **state)
{
	(void)state;
	static const uint8_t ff[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	assert_int_equal(decode_payload(ff, sizeof(ff)), FRAME_BAD);
	assert_true(strlen(why) > 0);

	/* field 6 (update_add_htlc) claims 100 bytes but carries 2 */
	static const uint8_t shortsub[] = { 0x32, 100, 0x08, 0x01 };
	assert_int_equal(decode_payload(shortsub, sizeof(shortsub)), FRAME_BAD);
	assert_true(strlen(why) > 0);

	/* a lone varint that never ends */
	static const uint8_t varint[] = { 0x08, 0x80, 0x80, 0x80 };
	assert_int_equal(decode_payload(varint, sizeof(varint)), FRAME_BAD);
}

static void test_oneof_not_set(void **state)
{
	(void)state;
	/* an unknown field 15 only: valid protobuf, but no message in it */
	static const uint8_t unknown[] = { 0x78, 0x01 };
	assert_int_equal(decode_payload(unknown, sizeof(unknown)), FRAME_BAD);
	assert_non_null(strstr(why, "no message"));
}

static size_t encode_add(const char *channel, size_t hash_len, size_t share_len)
{
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__UpdateAddHtlc a = AMPSIM__UPDATE_ADD_HTLC__INIT;
	Ampsim__AmpRecord amp = AMPSIM__AMP_RECORD__INIT;
	amp.root_share = bin(SHARE, share_len);
	amp.set_id = bin(SET, 32);
	a.channel_id = (char *)channel;
	a.htlc_id = 1;
	a.amount_msat = 1000;
	a.payment_hash = bin(H, hash_len);
	a.amp = &amp;
	env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC;
	env.update_add_htlc = &a;
	size_t n = frame_encode(&env, buf, sizeof(buf));
	assert_true(n > FRAME_HDR);
	return n;
}

static enum frame_status decode_buf(size_t n)
{
	Ampsim__Envelope *out = (Ampsim__Envelope *)buf;
	size_t consumed = 0;
	why[0] = '\0';
	enum frame_status st = frame_decode(&arena, buf, n, &consumed, &out, why, sizeof(why));
	if (st == FRAME_OK)
		assert_non_null(out);
	else
		assert_null(out);
	return st;
}

static void test_validation_failures(void **state)
{
	(void)state;
	assert_int_equal(decode_buf(encode_add("c1", 32, 32)), FRAME_OK);

	assert_int_equal(decode_buf(encode_add("c1", 31, 32)), FRAME_BAD);
	assert_non_null(strstr(why, "payment_hash"));
	assert_non_null(strstr(why, "31"));

	assert_int_equal(decode_buf(encode_add("c1", 33, 32)), FRAME_BAD);
	assert_non_null(strstr(why, "payment_hash"));

	assert_int_equal(decode_buf(encode_add("", 32, 32)), FRAME_BAD);
	assert_non_null(strstr(why, "channel_id"));

	assert_int_equal(decode_buf(encode_add("c1", 32, 0)), FRAME_BAD);
	assert_non_null(strstr(why, "root_share"));

	/* a fulfill whose preimage is missing */
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__UpdateFulfillHtlc f = AMPSIM__UPDATE_FULFILL_HTLC__INIT;
	f.channel_id = "c1";
	f.htlc_id = 3;
	env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC;
	env.update_fulfill_htlc = &f;
	assert_int_equal(decode_buf(frame_encode(&env, buf, sizeof(buf))), FRAME_BAD);
	assert_non_null(strstr(why, "preimage"));

	/* an init that would stop the clock */
	Ampsim__Init in = AMPSIM__INIT__INIT;
	in.block_interval_us = 1000000;
	in.time_scale = 0;
	env.msg_case = AMPSIM__ENVELOPE__MSG_INIT;
	env.init = &in;
	assert_int_equal(decode_buf(frame_encode(&env, buf, sizeof(buf))), FRAME_BAD);
	assert_non_null(strstr(why, "time_scale"));

	/* open_channel breaking BOLT #2's 483 */
	Ampsim__OpenChannel o = AMPSIM__OPEN_CHANNEL__INIT;
	o.channel_id = "c1";
	o.capacity_msat = 1000;
	o.alice_msat = 1000;
	o.max_htlcs = 484;
	env.msg_case = AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL;
	env.open_channel = &o;
	assert_int_equal(decode_buf(frame_encode(&env, buf, sizeof(buf))), FRAME_BAD);
	assert_non_null(strstr(why, "483"));
}

static void test_back_to_back(void **state)
{
	(void)state;
	static uint8_t two[256];
	size_t n1 = encode_ping(111);
	memcpy(two, buf, n1);
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__Error e = AMPSIM__ERROR__INIT;
	e.message = "second";
	env.msg_case = AMPSIM__ENVELOPE__MSG_ERROR;
	env.error = &e;
	size_t n2 = frame_encode(&env, two + n1, sizeof(two) - n1);
	assert_true(n2 > FRAME_HDR);

	Ampsim__Envelope *out = NULL;
	size_t consumed = 0;
	assert_int_equal(frame_decode(&arena, two, n1 + n2, &consumed, &out, why, sizeof(why)),
			 FRAME_OK);
	assert_int_equal(consumed, n1);
	assert_int_equal(out->msg_case, AMPSIM__ENVELOPE__MSG_PING);
	assert_int_equal(out->ping->num_pong_bytes, 111);

	size_t consumed2 = 0;
	assert_int_equal(frame_decode(&arena, two + consumed, n1 + n2 - consumed, &consumed2, &out,
				      why, sizeof(why)),
			 FRAME_OK);
	assert_int_equal(consumed2, n2);
	assert_int_equal(out->msg_case, AMPSIM__ENVELOPE__MSG_ERROR);
	assert_string_equal(out->error->message, "second");
}

static void test_arena_reuse(void **state)
{
	(void)state;
	size_t n = encode_add("c1", 32, 32);
	assert_int_equal(decode_buf(n), FRAME_OK);
	size_t hw = arena.high_water;
	assert_true(hw > 0);
	for (int i = 0; i < 5000; i++) {
		Ampsim__Envelope *out = NULL;
		size_t consumed = 0;
		assert_int_equal(frame_decode(&arena, buf, n, &consumed, &out, why, sizeof(why)),
				 FRAME_OK);
		assert_int_equal(out->update_add_htlc->htlc_id, 1);
	}
	assert_int_equal(arena.high_water, hw);
	assert_true(arena.used <= hw);

	frame_arena_reset(&arena);
	assert_int_equal(arena.used, 0);
}

static void test_encode_limits(void **state)
{
	(void)state;
	static uint8_t big[FRAME_MAX];
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__Ping p = AMPSIM__PING__INIT;
	env.msg_case = AMPSIM__ENVELOPE__MSG_PING;
	env.ping = &p;

	/* payload of FRAME_MAX + a few bytes of framing: refused */
	p.ignored = bin(big, FRAME_MAX);
	assert_int_equal(frame_encode(&env, buf, sizeof(buf)), 0);

	/* just under FRAME_MAX: accepted, and decodes within the arena */
	p.ignored = bin(big, FRAME_MAX - 16);
	size_t n = frame_encode(&env, buf, sizeof(buf));
	assert_true(n > FRAME_MAX - 16);
	assert_true(n <= FRAME_MAX + FRAME_HDR);
	assert_int_equal(decode_buf(n), FRAME_OK);

	/* a buffer one byte too small */
	assert_int_equal(frame_encode(&env, buf, n - 1), 0);
	assert_int_equal(frame_encode(&env, buf, n), n);

	/* an envelope with no message packs to nothing and is refused */
	Ampsim__Envelope empty = AMPSIM__ENVELOPE__INIT;
	assert_int_equal(frame_encode(&empty, buf, sizeof(buf)), 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(frame_status_name(FRAME_OK), "ok");
	assert_string_not_equal(frame_status_name(FRAME_BAD), frame_status_name(FRAME_TOO_LARGE));
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	assert_string_equal(envelope_type_name(&env), "none");
	env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC;
	assert_string_equal(envelope_type_name(&env), "update_add_htlc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_round_trip_init, setup),
		cmocka_unit_test_setup(test_round_trip_open_accept, setup),
		cmocka_unit_test_setup(test_round_trip_invoices, setup),
		cmocka_unit_test_setup(test_round_trip_add, setup),
		cmocka_unit_test_setup(test_round_trip_settle, setup),
		cmocka_unit_test_setup(test_round_trip_error_ping_pong, setup),
		cmocka_unit_test_setup(test_truncated, setup),
		cmocka_unit_test_setup(test_length_out_of_range, setup),
		cmocka_unit_test_setup(test_garbage_payload, setup),
		cmocka_unit_test_setup(test_oneof_not_set, setup),
		cmocka_unit_test_setup(test_validation_failures, setup),
		cmocka_unit_test_setup(test_back_to_back, setup),
		cmocka_unit_test_setup(test_arena_reuse, setup),
		cmocka_unit_test_setup(test_encode_limits, setup),
		cmocka_unit_test_setup(test_names, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

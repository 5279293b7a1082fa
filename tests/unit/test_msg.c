/* Unit tests for proto/msg.c: each builder's envelope survives a round trip
 * through the one framing module with every field intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "msg.h"

static struct frame_arena arena;

static Ampsim__Envelope *round_trip(const Ampsim__Envelope *env)
{
	uint8_t buf[FRAME_MAX + FRAME_HDR];
	size_t n = frame_encode(env, buf, sizeof(buf));
	assert_true(n > FRAME_HDR);
	size_t used;
	Ampsim__Envelope *out = NULL;
	char why[128];
	frame_arena_reset(&arena);
	assert_int_equal(frame_decode(&arena, buf, n, &used, &out, why, sizeof(why)), FRAME_OK);
	assert_int_equal(used, n);
	return out;
}

static void test_add_with_records(void **state)
{
	(void)state;
	uint8_t hash[32], secret[32], share[32], set[32];
	memset(hash, 1, 32);
	memset(secret, 2, 32);
	memset(share, 3, 32);
	memset(set, 4, 32);
	struct msg m;
	struct msg_add a = { .channel = "c1", .htlc_id = 9, .amount_msat = 1000, .hash = hash,
			     .cltv_expiry = 40, .secret = secret, .total_msat = 2000,
			     .share = share, .set_id = set, .child_index = 7 };
	Ampsim__Envelope *e = round_trip(msg_add(&m, &a));
	assert_int_equal(e->msg_case, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC);
	Ampsim__UpdateAddHtlc *x = e->update_add_htlc;
	assert_string_equal(x->channel_id, "c1");
	assert_int_equal(x->htlc_id, 9);
	assert_int_equal(x->amount_msat, 1000);
	assert_int_equal(x->cltv_expiry, 40);
	assert_memory_equal(x->payment_hash.data, hash, 32);
	assert_non_null(x->mpp);
	assert_memory_equal(x->mpp->payment_secret.data, secret, 32);
	assert_int_equal(x->mpp->total_msat, 2000);
	assert_non_null(x->amp);
	assert_memory_equal(x->amp->root_share.data, share, 32);
	assert_memory_equal(x->amp->set_id.data, set, 32);
	assert_int_equal(x->amp->child_index, 7);

	a.secret = NULL;
	a.share = NULL;
	e = round_trip(msg_add(&m, &a));
	assert_null(e->update_add_htlc->mpp);
	assert_null(e->update_add_htlc->amp);
}

static void test_each_builder(void **state)
{
	(void)state;
	uint8_t p[32];
	memset(p, 9, 32);
	struct msg m;
	Ampsim__Envelope *e;

	struct msg_init in = { 1, 123, 1000000, 42, 2.5 };
	e = round_trip(msg_init(&m, &in));
	assert_int_equal(e->init->version, 1);
	assert_int_equal(e->init->n_features, 2);
	assert_string_equal(e->init->features[1], "amp");
	assert_int_equal(e->init->epoch_unix_us, 123);
	assert_int_equal(e->init->seed, 42);
	assert_true(e->init->time_scale == 2.5);

	struct msg_link tb = { 20000, 5000, AMPSIM__JITTER_DIST__JITTER_NORMAL, 0.1, 0.2 };
	struct msg_link ta = { 80000, 0, AMPSIM__JITTER_DIST__JITTER_UNIFORM, 0, 0 };
	e = round_trip(msg_open_channel(&m, "c2", 100, 60, 30, 1, &tb, &ta));
	assert_string_equal(e->open_channel->channel_id, "c2");
	assert_int_equal(e->open_channel->alice_msat, 60);
	assert_int_equal(e->open_channel->max_htlcs, 30);
	assert_int_equal(e->open_channel->to_bob->delay_us, 20000);
	assert_int_equal(e->open_channel->to_bob->jitter_dist, AMPSIM__JITTER_DIST__JITTER_NORMAL);
	assert_true(e->open_channel->to_bob->duplicate == 0.2);
	assert_int_equal(e->open_channel->to_alice->delay_us, 80000);

	e = round_trip(msg_accept_channel(&m, "c2"));
	assert_string_equal(e->accept_channel->channel_id, "c2");
	e = round_trip(msg_invoice_request(&m, 5, 77, "coffee"));
	assert_int_equal(e->invoice_request->request_id, 5);
	assert_string_equal(e->invoice_request->description, "coffee");
	e = round_trip(msg_invoice(&m, 5, 77, p, p, 18, 3, NULL));
	assert_int_equal(e->invoice->min_final_cltv_expiry, 18);
	assert_int_equal(e->invoice->created_height, 3);
	assert_memory_equal(e->invoice->payment_secret.data, p, 32);
	e = round_trip(msg_fulfill(&m, "c1", 3, p));
	assert_memory_equal(e->update_fulfill_htlc->payment_preimage.data, p, 32);
	e = round_trip(msg_fail(&m, "c1", 4, AMPSIM__FAILURE_CODE__FAILURE_MPP_TIMEOUT, "late"));
	assert_int_equal(e->update_fail_htlc->failure_code, 23);
	assert_string_equal(e->update_fail_htlc->reason, "late");
	e = round_trip(msg_error(&m, NULL, "bad"));
	assert_string_equal(e->error->message, "bad");
	e = round_trip(msg_ping(&m, 4));
	assert_int_equal(e->ping->num_pong_bytes, 4);
	e = round_trip(msg_pong(&m));
	assert_int_equal(e->msg_case, AMPSIM__ENVELOPE__MSG_PONG);
	e = round_trip(msg_resolve_ack(&m, "c1", 8, false));
	assert_int_equal(e->resolve_ack->htlc_id, 8);
	e = round_trip(msg_reestablish(&m, "c1", 10, 2));
	assert_int_equal(e->reestablish->next_htlc_id, 10);
	assert_int_equal(e->reestablish->inflight, 2);
}

int main(void)
{
	frame_arena_init(&arena);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_with_records),
		cmocka_unit_test(test_each_builder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

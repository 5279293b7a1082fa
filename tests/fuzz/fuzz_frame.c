/* Fuzz target: frames and messages as bob and alice decode them. */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"

const char *fuzz_name = "frame";
static struct frame_arena arena;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	/* decode back to back as a connection would, until it would wait or close */
	while (off < size) {
		size_t used = 0;
		Ampsim__Envelope *env = NULL;
		char why[200];
		frame_arena_init(&arena);
		enum frame_status st = frame_decode(&arena, data + off, size - off, &used, &env, why, sizeof(why));
		if (st != FRAME_OK)
			break;
		(void)envelope_type_name(env);
		uint8_t out[FRAME_MAX + FRAME_HDR];
		if (frame_encode(env, out, sizeof(out)) == 0)
			abort();   /* whatever decoded must encode again */
		off += used;
	}
	return 0;
}

static size_t add(struct fuzz_seed *s, const Ampsim__Envelope *env)
{
	uint8_t buf[4096];
	size_t n = frame_encode(env, buf, sizeof(buf));
	s->data = malloc(n);
	memcpy(s->data, buf, n);
	s->len = n;
	return 1;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	static uint8_t b32[32] = { 1, 2, 3 };
	size_t n = 0;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__UpdateAddHtlc add_m = AMPSIM__UPDATE_ADD_HTLC__INIT;
	Ampsim__MppRecord mpp = AMPSIM__MPP_RECORD__INIT;
	Ampsim__AmpRecord amp = AMPSIM__AMP_RECORD__INIT;
	ProtobufCBinaryData d32 = { 32, b32 };
	add_m.channel_id = "c1";
	add_m.htlc_id = 7;
	add_m.amount_msat = 100000;
	add_m.payment_hash = d32;
	add_m.cltv_expiry = 40;
	mpp.payment_secret = d32;
	mpp.total_msat = 200000;
	amp.root_share = d32;
	amp.set_id = d32;
	amp.child_index = 9;
	add_m.mpp = &mpp;
	add_m.amp = &amp;
	static uint8_t b64[64] = { 4, 5, 6 };
	ProtobufCBinaryData d64 = { 64, b64 };
	add_m.sender_sig = d64;
	env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC;
	env.update_add_htlc = &add_m;
	n += add(&seeds[n], &env);
	Ampsim__HtlcSigned hs = AMPSIM__HTLC_SIGNED__INIT;
	hs.channel_id = "c1";
	hs.htlc_id = 7;
	hs.receiver_sig = d64;
	env.msg_case = AMPSIM__ENVELOPE__MSG_HTLC_SIGNED;
	env.htlc_signed = &hs;
	n += add(&seeds[n], &env);
	Ampsim__UpdateFulfillHtlc ful = AMPSIM__UPDATE_FULFILL_HTLC__INIT;
	ful.channel_id = "c2";
	ful.payment_preimage = d32;
	env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC;
	env.update_fulfill_htlc = &ful;
	n += add(&seeds[n], &env);
	Ampsim__OpenChannel open = AMPSIM__OPEN_CHANNEL__INIT;
	Ampsim__LinkParams lp = AMPSIM__LINK_PARAMS__INIT;
	lp.delay_us = 20000;
	lp.drop = 0.1;
	open.channel_id = "c1";
	open.capacity_msat = 100000000000ULL;
	open.alice_msat = 100000000000ULL;
	open.max_htlcs = 483;
	open.to_bob = &lp;
	open.to_alice = &lp;
	env.msg_case = AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL;
	env.open_channel = &open;
	n += add(&seeds[n], &env);
	Ampsim__Init init = AMPSIM__INIT__INIT;
	char *feat[] = { "mpp", "amp" };
	init.version = 1;
	init.n_features = 2;
	init.features = feat;
	init.block_interval_us = 1000000;
	init.time_scale = 1;
	env.msg_case = AMPSIM__ENVELOPE__MSG_INIT;
	env.init = &init;
	n += add(&seeds[n], &env);
	Ampsim__UpdateFailHtlc fail = AMPSIM__UPDATE_FAIL_HTLC__INIT;
	fail.channel_id = "c1";
	fail.failure_code = AMPSIM__FAILURE_CODE__FAILURE_MPP_TIMEOUT;
	fail.reason = "timeout";
	env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC;
	env.update_fail_htlc = &fail;
	n += add(&seeds[n], &env);
	(void)max;
	return n;
}

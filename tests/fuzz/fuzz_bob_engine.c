/* Fuzz target: Bob's engine fed whatever frames decode, after a valid
 * init and two channel opens. After every message (and a block, and any
 * hold timer the engine armed) every channel must still conserve its
 * balances, and the engine must not report an invariant violation. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "amp.h"
#include "bob_engine.h"
#include "frame.h"
#include "fuzz.h"
#include "msg.h"

const char *fuzz_name = "bob_engine";
static struct frame_arena arena;

#define SEC FUZZ_SEC
#define BTC FUZZ_BTC

/* The engine's own invariants after one step; a broken one aborts. */
static void check(struct bob_engine *e, struct actions *out)
{
	if (actions_count(out, ACT_VIOLATION))
		abort();
	for (size_t i = 0; i < e->nchans; i++)
		if (!ledger_conserves(&e->chans[i].ledger))
			abort();
}

static void step(struct bob_engine *e, struct actions *out, uint64_t now)
{
	check(e, out);
	/* fire the hold timers the step armed that are due, then a block */
	uint64_t due[8];
	size_t n = 0;
	for (size_t i = 0; i < out->n && n < 8; i++)
		if (out->v[i].kind == ACT_TIMER && out->v[i].u.timer.timer == BOB_TIMER_HOLD &&
		    out->v[i].u.timer.at_us <= now + 30 * SEC)
			due[n++] = out->v[i].u.timer.id;
	actions_clear(out);
	for (size_t i = 0; i < n; i++) {
		bob_engine_hold_timeout(e, due[i], now, out);
		check(e, out);
		actions_clear(out);
	}
	bob_engine_block(e, now, out);
	check(e, out);
	actions_clear(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bob_engine *e = calloc(1, sizeof(*e));
	struct bob_config cfg = { .hold_us = 60 * SEC, .final_cltv_delta = 18,
				  .behaviour = (enum bob_behaviour)(size % 4), .random = fuzz_fixed_random };
	bob_engine_init(e, &cfg);
	struct actions out;
	actions_init(&out);
	bob_engine_connected(e, 1, "fuzz");
	struct msg m;
	struct msg_init mi = { .version = PROTOCOL_VERSION, .block_interval_us = SEC,
			       .time_scale = 1 };
	bob_engine_message(e, 1, msg_init(&m, &mi), 0, &out);
	struct msg_link l = { 0 };
	bob_engine_message(e, 1, msg_open_channel(&m, "c1", BTC, BTC, 483, 1, &l, &l), 0, &out);
	bob_engine_message(e, 1, msg_open_channel(&m, "c2", BTC, BTC / 2, 483, 1, &l, &l), 0, &out);
	bob_engine_new_invoice(e, amount_msat(BTC / 2), "f", 0, &out);
	actions_clear(&out);

	size_t off = 0;
	uint64_t now = 0;
	while (off < size) {
		size_t used = 0;
		Ampsim__Envelope *env = NULL;
		char why[200];
		frame_arena_init(&arena);
		if (frame_decode(&arena, data + off, size - off, &used, &env, why, sizeof(why)) != FRAME_OK)
			break;
		bob_engine_message(e, 1, env, now, &out);
		step(e, &out, now);
		now += 7 * SEC;
		off += used;
	}
	actions_free(&out);
	bob_engine_free(e);
	free(e);
	return 0;
}

static size_t add(struct fuzz_seed *s, const Ampsim__Envelope *const *envs, size_t n)
{
	uint8_t buf[8192];
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += frame_encode(envs[i], buf + len, sizeof(buf) - len);
	s->data = malloc(len);
	memcpy(s->data, buf, len);
	s->len = len;
	return 1;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	(void)max;
	static uint8_t set_id[32], share[2][32], root[32], pre[2][32], hash[2][32], secret[32];
	memset(set_id, 0x5e, 32);
	memset(share[0], 0x11, 32);
	memset(share[1], 0x22, 32);
	amp_xor(root, share[0], share[1]);
	for (int i = 0; i < 2; i++)
		amp_derive(root, share[i], (uint32_t)i + 3, pre[i], hash[i]);
	struct msg m[6];
	size_t n = 0;
	/* an AMP payment over both channels, acked, then replayed */
	struct msg_add a0 = { .channel = "c1", .htlc_id = 0, .amount_msat = BTC / 4,
			      .hash = hash[0], .cltv_expiry = 40, .secret = secret,
			      .total_msat = BTC / 2, .share = share[0], .set_id = set_id,
			      .child_index = 3 };
	struct msg_add a1 = a0;
	a1.channel = "c2";
	a1.hash = hash[1];
	a1.share = share[1];
	a1.child_index = 4;
	const Ampsim__Envelope *amp[] = {
		msg_add(&m[0], &a0), msg_add(&m[1], &a1), msg_resolve_ack(&m[2], "c1", 0, false),
		msg_reestablish(&m[3], "c2", 1, 1), msg_add(&m[4], &a1), msg_ping(&m[5], 16),
	};
	n += add(&seeds[n], amp, 6);
	/* one part of the invoice (its secrets are fuzz_fixed_random's): held,
	 * then it expires */
	static uint8_t inv_pre[32], inv_hash[32], inv_secret[32];
	memset(inv_pre, 0x42, 32);
	memset(inv_secret, 0x42, 32);
	crypto_hash_sha256(inv_hash, inv_pre, 32);
	struct msg_add p = { .channel = "c1", .htlc_id = 1, .amount_msat = BTC / 4,
			     .hash = inv_hash, .cltv_expiry = 25, .secret = inv_secret,
			     .total_msat = BTC / 2 };
	const Ampsim__Envelope *mpp[] = { msg_add(&m[0], &p), msg_ping(&m[1], 0),
					  msg_ping(&m[2], 0), msg_ping(&m[3], 0) };
	n += add(&seeds[n], mpp, 4);
	return n;
}

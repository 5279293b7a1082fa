/* Fuzz target: Alice's engine fed whatever a Bob sends (init, accepts,
 * invoices, fulfills, fails, errors), after a valid start with two
 * channels and three payments in flight (amp, mpp, single). After every
 * message and a block, every channel must still conserve its balances. A
 * hostile Bob may make the engine report an atomicity violation (an MPP
 * part settled alone is his to cause): that is a report, not a fault. */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "fuzz.h"
#include "msg.h"
#include "pay_engine.h"

const char *fuzz_name = "pay_engine";
static struct frame_arena arena;

#define SEC FUZZ_SEC
#define BTC FUZZ_BTC

static void check(struct pay_engine *e, struct actions *out)
{
	for (size_t i = 0; i < e->nchans; i++)
		if (!ledger_conserves(&e->chans[i].ledger))
			abort();
	actions_clear(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_quiet(true);
	struct pay_engine *e = calloc(1, sizeof(*e));
	struct simclock clk = { .epoch_unix_us = 0, .block_interval_us = SEC, .time_scale = 1 };
	struct pay_rand r = { fuzz_fixed_random, NULL };
	pay_engine_init(e, &clk, 7, ALICE_HONEST, &r);
	for (int i = 0; i < 2; i++) {
		struct channel_config cc;
		memset(&cc, 0, sizeof(cc));
		strcpy(cc.id, i ? "c2" : "c1");
		cc.capacity = cc.alice = amount_msat(BTC);
		cc.max_htlcs = 483;
		cc.htlc_minimum = amount_msat(1);
		pay_engine_add_channel(e, &cc);
	}
	struct actions out;
	actions_init(&out);
	struct msg m;
	struct msg_init mi = { .version = PROTOCOL_VERSION };
	pay_engine_connected(e, false, &out);
	pay_engine_on_init(e, msg_init(&m, &mi)->init, &out);
	pay_engine_on_accept(e, msg_accept_channel(&m, "c1")->accept_channel, 0, &out);
	pay_engine_on_accept(e, msg_accept_channel(&m, "c2")->accept_channel, 0, &out);
	static const enum pay_mode modes[] = { PAY_AMP, PAY_MPP, PAY_SINGLE };
	for (int i = 0; i < 3; i++) {
		char id[8] = { 'p', (char)('1' + i), 0 };
		struct pay_request req = { .id = id, .mode = modes[i], .amount = amount_msat(BTC / 2),
					   .expiry_blocks = 40, .deadline_us = 60 * SEC };
		pay_engine_pay(e, &req, 0, &out);
	}
	check(e, &out);

	size_t off = 0;
	uint64_t now = 0;
	while (off < size) {
		size_t used = 0;
		Ampsim__Envelope *env = NULL;
		char why[200];
		frame_arena_init(&arena);
		if (frame_decode(&arena, data + off, size - off, &used, &env, why, sizeof(why)) != FRAME_OK)
			break;
		switch (env->msg_case) {
		case AMPSIM__ENVELOPE__MSG_INIT:
			pay_engine_on_init(e, env->init, &out);
			break;
		case AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL:
			pay_engine_on_accept(e, env->accept_channel, now, &out);
			break;
		case AMPSIM__ENVELOPE__MSG_INVOICE:
			pay_engine_on_invoice(e, env->invoice, now, &out);
			break;
		case AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC:
			pay_engine_on_fulfill(e, env->update_fulfill_htlc, now, &out);
			break;
		case AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC:
			pay_engine_on_fail(e, env->update_fail_htlc, now, &out);
			break;
		case AMPSIM__ENVELOPE__MSG_HTLC_SIGNED:
			pay_engine_on_signed(e, env->htlc_signed, &out);
			break;
		case AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL:
		case AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST:
		case AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC:
		case AMPSIM__ENVELOPE__MSG_ERROR:
		case AMPSIM__ENVELOPE__MSG_PING:
		case AMPSIM__ENVELOPE__MSG_PONG:
		case AMPSIM__ENVELOPE__MSG_RESOLVE_ACK:
		case AMPSIM__ENVELOPE__MSG_REESTABLISH:
		case AMPSIM__ENVELOPE__MSG__NOT_SET:
		case _AMPSIM__ENVELOPE__MSG__CASE_IS_INT_SIZE:
			break;       /* the shell handles these, or refuses them */
		}
		check(e, &out);
		now += 3 * SEC;
		pay_engine_block(e, now, NULL, 0, &out);
		check(e, &out);
		off += used;
	}
	actions_free(&out);
	pay_engine_free(e);
	free(e);
	return 0;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	(void)max;
	uint8_t buf[4096], hash[32], secret[32];
	size_t n = 0;
	struct msg m;
	memset(hash, 0x33, 32);
	memset(secret, 0x5e, 32);
	/* invoices for the two requests, then fulfills and fails of ids 0, 1 */
	for (uint64_t req = 1; req <= 2; req++)
		n += frame_encode(msg_invoice(&m, req, BTC / 2, hash, secret, 18, 0, "t"), buf + n,
				  sizeof(buf) - n);
	uint8_t pre[32];
	memset(pre, 0x44, 32);
	n += frame_encode(msg_fulfill(&m, "c1", 0, pre), buf + n, sizeof(buf) - n);
	n += frame_encode(msg_fail(&m, "c2", 0, AMPSIM__FAILURE_CODE__FAILURE_MPP_TIMEOUT, "t"),
			  buf + n, sizeof(buf) - n);
	seeds[0].data = malloc(n);
	memcpy(seeds[0].data, buf, n);
	seeds[0].len = n;
	return 1;
}

/* Bob's receive engine (receiver/engine/), driven with no sockets: events
 * in, actions out. Each test checks the actions: frames decoded back into
 * messages, records to persist, events logged by name and field, timers at
 * their simulated time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "amp.h"
#include "bob_codec.h"
#include "bob_engine.h"
#include "frame.h"
#include "msg.h"
#include "node.h"

#define EVCHECK_NODE EVS_BOB
#include "evcheck.h"

#define SEC 1000000ULL
#define BTC(x) ((uint64_t)(x) * 100000000000ULL)
#define CONN 7
#define UNKNOWN AMPSIM__FAILURE_CODE__FAILURE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS
#define TIMEOUT AMPSIM__FAILURE_CODE__FAILURE_MPP_TIMEOUT

/* ---- fixture ------------------------------------------------------------ */

/* A reproducible "random" source: a counter, so tests know every secret. */
static void counter_random(void *ctx, uint8_t *buf, size_t n)
{
	uint8_t *c = ctx;
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(++*c);
}

/* A chain the test controls: spent[htlc] = 0 none, 1 claim, 2 refund. */
struct fake_chain {
	int spent[8];
};
static bool fake_spent(void *ctx, const char *channel, const uint8_t sender[33],
		       const uint8_t receiver[33], uint64_t htlc_id, uint32_t height, bool *refund)
{
	(void)channel;
	(void)sender;
	(void)receiver;
	(void)height;
	struct fake_chain *fc = ctx;
	if (htlc_id >= 8 || !fc->spent[htlc_id])
		return false;
	*refund = fc->spent[htlc_id] == 2;
	return true;
}

struct fx {
	struct bob_engine e;
	struct actions out;
	uint8_t ctr;
	struct fake_chain chain;
	struct bob_chain_view view;
	struct frame_arena arena;
};

static struct fx *fx_new_cfg(enum bob_behaviour beh, uint32_t delta, bool chain)
{
	struct fx *f = test_calloc(1, sizeof(*f));
	struct bob_config cfg = { .hold_us = 60 * SEC, .final_cltv_delta = delta,
				  .behaviour = beh, .random = counter_random, .random_ctx = &f->ctr };
	if (chain) {
		f->view.spent = fake_spent;
		f->view.ctx = &f->chain;
		f->view.confirmations = 2;
		cfg.chain = &f->view;
	}
	bob_engine_init(&f->e, &cfg);
	actions_init(&f->out);
	frame_arena_init(&f->arena);
	return f;
}

static void msg_in(struct fx *f, uint64_t conn, const Ampsim__Envelope *env, uint64_t now)
{
	actions_clear(&f->out);
	bob_engine_message(&f->e, conn, env, now, &f->out);
}

static void do_init(struct fx *f, uint64_t conn, uint64_t epoch)
{
	struct msg m;
	struct msg_init mi = { .version = PROTOCOL_VERSION, .epoch_unix_us = epoch,
			       .block_interval_us = SEC, .seed = 5, .time_scale = 1 };
	msg_in(f, conn, msg_init(&m, &mi), 0);
}

static void do_open(struct fx *f, const char *id, uint64_t cap, uint64_t alice)
{
	struct msg m;
	struct msg_link l = { 0 };
	msg_in(f, CONN, msg_open_channel(&m, id, cap, alice, MAX_HTLCS, 1, &l, &l), 0);
}

/* Connected, inited, channels c1 and c2 of 1 btc each, all Alice's. */
static struct fx *fx_ready(enum bob_behaviour beh, uint32_t delta, bool chain)
{
	struct fx *f = fx_new_cfg(beh, delta, chain);
	assert_true(bob_engine_connected(&f->e, CONN, "test"));
	do_init(f, CONN, 1000);
	do_open(f, "c1", BTC(1), BTC(1));
	do_open(f, "c2", BTC(1), BTC(1));
	actions_clear(&f->out);
	return f;
}
static struct fx *fx(void) { return fx_ready(BOB_HONEST, 18, false); }

static void fx_free(struct fx *f)
{
	actions_free(&f->out);
	bob_engine_free(&f->e);
	test_free(f);
}

static void fx_teardown(struct fx *f) { fx_free(f); }

/* The i-th frame sent, decoded (valid until the next decode). */
static const Ampsim__Envelope *sent(struct fx *f, size_t i)
{
	const struct action *a = actions_nth(&f->out, ACT_SEND, i);
	assert_non_null(a);
	Ampsim__Envelope *env;
	size_t used;
	char why[64];
	assert_int_equal(frame_decode(&f->arena, a->u.send.frame, a->u.send.frame_len, &used, &env, why, sizeof(why)),
			 FRAME_OK);
	return env;
}

static const struct evrec *logged(struct fx *f, const char *name)
{
	const struct evrec *r = actions_find_log(&f->out, name);
	assert_non_null(r);
	return r;
}

static size_t logs_named(struct fx *f, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < f->out.n; i++)
		n += f->out.v[i].kind == ACT_LOG && strcmp(f->out.v[i].u.log.rec->name, name) == 0;
	return n;
}

static const char *field_str(const struct evrec *r, const char *key)
{
	const struct evf *v = evrec_find(r, key);
	assert_non_null(v);
	assert_int_equal(v->type, EVF_STR);
	return r->buf + v->v.str;
}

static bool has_persist(struct fx *f, enum bob_record what, uint64_t id)
{
	for (size_t i = 0; i < f->out.n; i++)
		if (f->out.v[i].kind == ACT_PERSIST && f->out.v[i].u.persist.record == (int)what &&
		    ((what != BOB_REC_HTLC_STATE && what != BOB_REC_HTLC_FORGET) ||
		     f->out.v[i].u.persist.id == id))
			return true;
	return false;
}

/* HTLC id of channel chan went to state `to` in these actions, and, being
 * finished, was then forgotten (durably) with its id kept. */
static void ended_and_forgotten(struct fx *f, size_t chan, uint64_t id, const char *to)
{
	bool went = false;
	for (size_t i = 0; i < f->out.n; i++) {
		const struct action *a = &f->out.v[i];
		if (a->kind == ACT_LOG && strcmp(a->u.log.rec->name, HTLC_STATE_EVENT) == 0 &&
		    strcmp(field_str(a->u.log.rec, "channel"), f->e.chans[chan].ledger.id) == 0 &&
		    evrec_find(a->u.log.rec, "htlc")->v.u64 == id && strcmp(field_str(a->u.log.rec, "to"), to) == 0)
			went = true;
	}
	assert_true(went);
	assert_null(bob_engine_htlc(&f->e, chan, id));
	assert_true(htlc_table_finished(&f->e.chans[chan].htlcs, id));
	assert_true(has_persist(f, BOB_REC_HTLC_FORGET, id));
}

/* An add with the given records. */
struct add {
	const char *chan;
	uint64_t id, amount, total;
	uint32_t cltv;
	const uint8_t *hash, *secret, *share, *set_id;
	uint32_t child;
};

static void add_in(struct fx *f, const struct add *a, uint64_t now)
{
	struct msg m;
	struct msg_add ma = { .channel = a->chan, .htlc_id = a->id, .amount_msat = a->amount,
			      .hash = a->hash, .cltv_expiry = a->cltv, .secret = a->secret,
			      .total_msat = a->total, .share = a->share, .set_id = a->set_id,
			      .child_index = a->child };
	msg_in(f, CONN, msg_add(&m, &ma), now);
}

static void expect_fail(struct fx *f, size_t i, uint64_t htlc, uint32_t code, const char *reason)
{
	const Ampsim__Envelope *env = sent(f, i);
	assert_int_equal(env->msg_case, AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC);
	assert_int_equal(env->update_fail_htlc->htlc_id, htlc);
	assert_int_equal(env->update_fail_htlc->failure_code, code);
	if (reason)
		assert_string_equal(env->update_fail_htlc->reason, reason);
}

/* An invoice of amount; its preimage and secret are copied out. */
static size_t invoice(struct fx *f, uint64_t amount, uint8_t hash[32], uint8_t secret[32],
		      uint8_t preimage[32])
{
	actions_clear(&f->out);
	size_t n = bob_engine_new_invoice(&f->e, amount_msat(amount), "t", 0, &f->out);
	const struct bob_invoice *bi = &f->e.invoices[n];
	memcpy(hash, bi->inv.payment_hash, 32);
	memcpy(secret, bi->inv.payment_secret, 32);
	if (preimage)
		memcpy(preimage, bi->preimage, 32);
	return n;
}

/* Two AMP shards of a 2 btc payment, each 1 btc. */
struct amp2 {
	uint8_t set_id[32], share[2][32], root[32], pre[2][32], hash[2][32];
	uint32_t child[2];
};
static void amp2_make(struct amp2 *s)
{
	memset(s->set_id, 0x5e, 32);
	memset(s->share[0], 0x11, 32);
	memset(s->share[1], 0x22, 32);
	amp_xor(s->root, s->share[0], s->share[1]);
	s->child[0] = 3;
	s->child[1] = 9;
	for (int i = 0; i < 2; i++)
		amp_derive(s->root, s->share[i], s->child[i], s->pre[i], s->hash[i]);
}
static struct add amp_part(const struct amp2 *s, int i, const char *chan, uint64_t id)
{
	static const uint8_t secret[32] = { 1 };
	struct add a = { chan, id, BTC(1), BTC(2), 40, s->hash[i], secret, s->share[i], s->set_id,
			 s->child[i] };
	return a;
}

/* ---- connection and channel -------------------------------------------- */

static void test_init_answers_and_arms_block_timer(void **state)
{
	(void)state;
	struct fx *f = fx_new_cfg(BOB_HONEST, 18, false);
	assert_true(bob_engine_connected(&f->e, CONN, "alice:1"));
	do_init(f, CONN, 1000);
	assert_true(has_persist(f, BOB_REC_META, 0));
	const struct action *t = actions_nth(&f->out, ACT_TIMER, 0);
	assert_int_equal(t->u.timer.timer, BOB_TIMER_BLOCK);
	assert_int_equal(t->u.timer.at_us, SEC);   /* height 1 */
	assert_int_equal(sent(f, 0)->msg_case, AMPSIM__ENVELOPE__MSG_INIT);
	assert_string_equal(field_str(logged(f, "peer_connected"), "peer"), "alice:1");
	assert_int_equal(f->e.clk.epoch_unix_us, 1000);
	fx_teardown(f);
}

static void test_init_wrong_version_or_epoch_closes(void **state)
{
	(void)state;
	struct fx *f = fx_new_cfg(BOB_HONEST, 18, false);
	bob_engine_connected(&f->e, CONN, "a");
	struct msg m;
	struct msg_init mi = { .version = PROTOCOL_VERSION + 1, .block_interval_us = SEC };
	msg_in(f, CONN, msg_init(&m, &mi), 0);
	assert_int_equal(sent(f, 0)->msg_case, AMPSIM__ENVELOPE__MSG_ERROR);
	assert_int_equal(actions_count(&f->out, ACT_CLOSE), 1);
	do_init(f, CONN, 1000);
	assert_int_equal(actions_count(&f->out, ACT_CLOSE), 0);
	do_open(f, "c1", BTC(1), BTC(1));
	/* another run's epoch on a second connection, once a channel runs on
	 * this one's */
	bob_engine_connected(&f->e, CONN + 1, "b");
	do_init(f, CONN + 1, 2000);
	assert_int_equal(actions_count(&f->out, ACT_CLOSE), 1);
	assert_int_equal(f->e.clk.epoch_unix_us, 1000);
	fx_teardown(f);
}

static void test_a_first_init_without_channels_cannot_lock_alice_out(void **state)
{
	(void)state;
	struct fx *f = fx_new_cfg(BOB_HONEST, 18, false);
	bob_engine_connected(&f->e, CONN, "stranger");
	do_init(f, CONN, 7777);                 /* first, with a clock of its own */
	assert_int_equal(f->e.clk.epoch_unix_us, 7777);
	bob_engine_connected(&f->e, CONN + 1, "alice");
	do_init(f, CONN + 1, 1000);             /* the real run: its clock replaces it */
	assert_int_equal(actions_count(&f->out, ACT_CLOSE), 0);
	assert_int_equal(f->e.clk.epoch_unix_us, 1000);
	assert_string_equal(field_str(logged(f, "clock_replaced"), "peer"), "alice");
	/* the stranger's connection, inited on the old clock, may say no more */
	struct msg m;
	msg_in(f, CONN, msg_ping(&m, 0), 0);
	const struct action *c = actions_nth(&f->out, ACT_CLOSE, 0);
	assert_non_null(c);
	assert_non_null(strstr(c->u.close.why, "new run since this connection's init"));
	/* alice opens her channel; from then on her clock is the run's */
	struct msg_link l = { 0 };
	msg_in(f, CONN + 1, msg_open_channel(&m, "c1", BTC(1), BTC(1), MAX_HTLCS, 1, &l, &l), 0);
	assert_int_equal(f->e.nchans, 1);
	bob_engine_connected(&f->e, CONN + 2, "stranger again");
	do_init(f, CONN + 2, 7777);
	assert_int_equal(actions_count(&f->out, ACT_CLOSE), 1);
	assert_int_equal(f->e.clk.epoch_unix_us, 1000);
	fx_teardown(f);
}

static void test_message_before_init_closes(void **state)
{
	(void)state;
	struct fx *f = fx_new_cfg(BOB_HONEST, 18, false);
	bob_engine_connected(&f->e, CONN, "a");
	do_open(f, "c1", BTC(1), BTC(1));
	assert_int_equal(f->e.nchans, 0);
	const struct action *c = actions_nth(&f->out, ACT_CLOSE, 0);
	assert_non_null(c);
	assert_non_null(strstr(c->u.close.why, "before init"));
	fx_teardown(f);
}

static void test_open_channel_accepts_and_persists(void **state)
{
	(void)state;
	struct fx *f = fx_new_cfg(BOB_HONEST, 18, false);
	bob_engine_connected(&f->e, CONN, "a");
	do_init(f, CONN, 1000);
	do_open(f, "c1", BTC(1), BTC(1) / 2);
	assert_int_equal(f->e.nchans, 1);
	assert_true(has_persist(f, BOB_REC_CHANNEL, 0));
	const struct evrec *r = logged(f, "channel_open");
	assert_int_equal(evrec_find(r, "bob_msat")->v.u64, BTC(1) / 2);
	assert_string_equal(sent(f, 0)->accept_channel->channel_id, "c1");
	/* announced again on a new connection: the channel follows it */
	bob_engine_connected(&f->e, CONN + 1, "b");
	do_init(f, CONN + 1, 1000);
	struct msg m;
	struct msg_link l = { 0 };
	msg_in(f, CONN + 1, msg_open_channel(&m, "c1", BTC(1), BTC(1), MAX_HTLCS, 1, &l, &l), 0);
	assert_non_null(actions_find_log(&f->out, "channel_reconnected"));
	assert_int_equal(f->e.chans[0].conn, CONN + 1);
	fx_teardown(f);
}

static void test_ping_answered_with_pong_bytes(void **state)
{
	(void)state;
	struct fx *f = fx();
	struct msg m;
	msg_in(f, CONN, msg_ping(&m, 100), 0);
	const Ampsim__Envelope *env = sent(f, 0);
	assert_int_equal(env->msg_case, AMPSIM__ENVELOPE__MSG_PONG);
	assert_int_equal(env->pong->ignored.len, 100);
	fx_teardown(f);
}

static void test_disconnect_defers_resolutions(void **state)
{
	(void)state;
	struct fx *f = fx();
	uint8_t hash[32], secret[32];
	invoice(f, BTC(1), hash, secret, NULL);
	struct add a = { "c1", 0, 1000, BTC(1), 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &a, 0);
	uint64_t set = actions_nth(&f->out, ACT_TIMER, 0)->u.timer.id;
	actions_clear(&f->out);
	bob_engine_disconnected(&f->e, CONN, "gone", &f->out);
	assert_string_equal(field_str(logged(f, "peer_disconnected"), "reason"), "gone");
	assert_int_equal(f->e.chans[0].conn, BOB_NO_CONN);
	/* the set times out while Alice is away: decided, stored, not sent */
	actions_clear(&f->out);
	bob_engine_hold_timeout(&f->e, set, 37 * SEC, &f->out);
	assert_non_null(actions_find_log(&f->out, "resolution_deferred"));
	assert_int_equal(actions_count(&f->out, ACT_SEND), 0);
	assert_true(has_persist(f, BOB_REC_HTLC_STATE, 0));
	/* Alice is back and replays her add: she hears the answer now */
	bob_engine_connected(&f->e, CONN + 1, "again");
	do_init(f, CONN + 1, 1000);
	struct msg m;
	struct msg_link l = { 0 };
	msg_in(f, CONN + 1, msg_open_channel(&m, "c1", BTC(1), BTC(1), MAX_HTLCS, 1, &l, &l), 0);
	struct msg_add ma = { .channel = "c1", .htlc_id = 0, .amount_msat = 1000, .hash = hash,
			      .cltv_expiry = 40, .secret = secret, .total_msat = BTC(1) };
	msg_in(f, CONN + 1, msg_add(&m, &ma), 38 * SEC);
	assert_non_null(actions_find_log(&f->out, "resolution_resent"));
	expect_fail(f, 0, 0, TIMEOUT, NULL);
	assert_int_equal(actions_nth(&f->out, ACT_SEND, 0)->u.send.conn, CONN + 1);
	fx_teardown(f);
}

/* ---- the add checks, one failure code each ------------------------------ */

static void test_add_on_unknown_channel_closes(void **state)
{
	(void)state;
	struct fx *f = fx();
	static const uint8_t h[32] = { 1 };
	struct add a = { "nope", 0, 1000, 0, 40, h, NULL, NULL, NULL, 0 };
	add_in(f, &a, 0);
	const Ampsim__Envelope *env = sent(f, 0);
	assert_int_equal(env->msg_case, AMPSIM__ENVELOPE__MSG_ERROR);
	assert_non_null(strstr(env->error->message, "unknown channel 'nope'"));
	assert_int_equal(actions_nth(&f->out, ACT_CLOSE, 0)->u.close.conn, CONN);
	assert_int_equal(f->e.count.htlcs_received, 0);
	fx_teardown(f);
}

/* The remote crash: an add with a far htlc_id once grew a table sized by
 * the id (+164 MB a message). It costs one record; a resolution never
 * acknowledged is kept, but only so many: then the peer's adds stop. */
static void test_far_ids_cost_one_record_and_unacked_ones_are_bounded(void **state)
{
	(void)state;
	struct fx *f = fx();
	static const uint8_t h[32] = { 9 }, sec[32] = { 8 };
	struct add a = { "c1", 999999, 1000, 1000, 40, h, sec, NULL, NULL, 0 };
	add_in(f, &a, 0);
	expect_fail(f, 0, 999999, AMPSIM__FAILURE_CODE__FAILURE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, NULL);
	assert_int_equal(f->e.chans[0].htlcs.live.n, 1);
	assert_true(htlc_table_slots(&f->e.chans[0].htlcs) <= 64);
	/* further than the window above the highest id: refused, not stored */
	a.id = 999999 + BOB_SEEN_WINDOW + 1;
	add_in(f, &a, 0);
	assert_int_equal(actions_count(&f->out, ACT_CLOSE), 1);
	assert_int_equal(f->e.chans[0].htlcs.live.n, 1);
	/* failed back and never acknowledged, up to the limit */
	for (uint64_t id = 0; id < BOB_MAX_UNACKED - 1; id++) {
		a.id = id;
		add_in(f, &a, 0);
		assert_int_equal(actions_count(&f->out, ACT_CLOSE), 0);
	}
	assert_int_equal(f->e.chans[0].htlcs.live.n, BOB_MAX_UNACKED);
	a.id = BOB_MAX_UNACKED;
	add_in(f, &a, 0);
	assert_int_equal(actions_count(&f->out, ACT_CLOSE), 1);
	assert_non_null(strstr(sent(f, 0)->error->message, "not acknowledged"));
	assert_int_equal(f->e.chans[0].htlcs.live.n, BOB_MAX_UNACKED);
	/* acknowledging frees the records and lets adds in again */
	struct msg m;
	for (uint64_t id = 0; id < 10; id++)
		msg_in(f, CONN, msg_resolve_ack(&m, "c1", id, false), 0);
	assert_int_equal(f->e.chans[0].htlcs.live.n, BOB_MAX_UNACKED - 10);
	add_in(f, &a, 0);
	assert_int_equal(actions_count(&f->out, ACT_CLOSE), 0);
	/* a replay of an acknowledged add is a duplicate, with no record */
	a.id = 3;
	add_in(f, &a, 0);
	assert_non_null(actions_find_log(&f->out, "duplicate_ignored"));
	assert_int_equal(actions_count(&f->out, ACT_SEND), 0);
	fx_teardown(f);
}

static void test_add_on_channel_of_another_connection_closes(void **state)
{
	(void)state;
	struct fx *f = fx();
	bob_engine_connected(&f->e, CONN + 1, "intruder");
	do_init(f, CONN + 1, 1000);
	static const uint8_t h[32] = { 1 };
	struct msg m;
	struct msg_add ma = { .channel = "c1", .htlc_id = 0, .amount_msat = 1000, .hash = h,
			      .cltv_expiry = 40 };
	msg_in(f, CONN + 1, msg_add(&m, &ma), 0);
	assert_int_equal(actions_nth(&f->out, ACT_CLOSE, 0)->u.close.conn, CONN + 1);
	assert_null(bob_engine_htlc(&f->e, 0, 0));
	fx_teardown(f);
}

static void test_an_ack_about_a_channel_of_another_connection_is_refused(void **state)
{
	(void)state;
	struct fx *f = fx();
	bob_engine_connected(&f->e, CONN + 1, "intruder");
	do_init(f, CONN + 1, 1000);
	struct msg m;
	msg_in(f, CONN + 1, msg_resolve_ack(&m, "c1", 0, false), 0);
	const struct evrec *r = logged(f, "message_refused");
	assert_string_equal(field_str(r, "peer"), "intruder");
	assert_string_equal(field_str(r, "message"), "resolve_ack");
	assert_int_equal(actions_nth(&f->out, ACT_CLOSE, 0)->u.close.conn, CONN + 1);
	fx_teardown(f);
}

static void test_add_expiring_too_soon_fails(void **state)
{
	(void)state;
	struct fx *f = fx();
	uint8_t hash[32], secret[32];
	invoice(f, 1000, hash, secret, NULL);
	/* at height 5, final_cltv_delta 18: cltv 22 < 23 */
	struct add a = { "c1", 0, 1000, 1000, 22, hash, secret, NULL, NULL, 0 };
	add_in(f, &a, 5 * SEC);
	expect_fail(f, 0, 0, UNKNOWN, "cltv_expiry too soon (final_cltv_delta)");
	const struct evrec *r = logged(f, "htlc_failed");
	assert_int_equal(evrec_find(r, "failure_code")->v.i64, UNKNOWN);
	assert_true(has_persist(f, BOB_REC_HTLC_ADD, 0));
	assert_true(has_persist(f, BOB_REC_HTLC_STATE, 0));
	assert_int_equal(bob_engine_htlc(&f->e, 0, 0)->fsm.state, BH_FAILED);
	/* the ledger gave it back */
	assert_int_equal(f->e.chans[0].ledger.alice.millisatoshis, BTC(1));
	/* cltv 23 is just enough */
	struct add b = { "c1", 1, 1000, 1000, 23, hash, secret, NULL, NULL, 0 };
	add_in(f, &b, 5 * SEC);
	assert_null(actions_find_log(&f->out, "htlc_failed"));
	fx_teardown(f);
}

static void test_add_without_mpp_record_fails(void **state)
{
	(void)state;
	struct fx *f = fx();
	static const uint8_t h[32] = { 1 };
	struct add a = { "c1", 0, 1000, 0, 40, h, NULL, NULL, NULL, 0 };
	add_in(f, &a, 0);
	expect_fail(f, 0, 0, UNKNOWN, "no payment_secret / total_msat (MPP record)");
	assert_int_equal(f->e.count.htlcs_failed, 1);
	fx_teardown(f);
}

static void test_mpp_unknown_hash_fails(void **state)
{
	(void)state;
	struct fx *f = fx();
	static const uint8_t h[32] = { 1 }, s[32] = { 2 };
	struct add a = { "c1", 0, 1000, 1000, 40, h, s, NULL, NULL, 0 };
	add_in(f, &a, 0);
	expect_fail(f, 0, 0, UNKNOWN, "unknown payment hash");
	fx_teardown(f);
}

/* An unpaid invoice is forgotten once it expires (an HTLC for it then
 * fails as unknown); a newer one stays and is found among many. */
static void test_unpaid_invoices_expire(void **state)
{
	(void)state;
	struct fx *f = fx();
	f->e.cfg.invoice_expiry_us = 10 * SEC;       /* 10 blocks */
	uint8_t h_old[32], s_old[32], h_new[32], s_new[32];
	invoice(f, 1000, h_old, s_old, NULL);
	for (int i = 0; i < 1000; i++)              /* many others made at once */
		bob_engine_new_invoice(&f->e, amount_msat(5), "x", 0, &f->out);
	actions_clear(&f->out);
	bob_engine_new_invoice(&f->e, amount_msat(1000), "later", 11 * SEC, &f->out);
	memcpy(h_new, f->e.invoices[f->e.ninvoices - 1].inv.payment_hash, 32);
	memcpy(s_new, f->e.invoices[f->e.ninvoices - 1].inv.payment_secret, 32);
	actions_clear(&f->out);
	bob_engine_block(&f->e, 12 * SEC, &f->out);   /* height 12: the first 1001 are due */
	assert_int_equal(logs_named(f, "invoice_expired"), 1001);
	assert_int_equal(f->e.ninvoices, 1);
	assert_int_equal(f->e.unpaid, 1);
	struct add a = { "c1", 0, 1000, 1000, 40, h_old, s_old, NULL, NULL, 0 };
	add_in(f, &a, 12 * SEC);
	expect_fail(f, 0, 0, UNKNOWN, "unknown payment hash");
	struct add b = { "c1", 1, 1000, 1000, 40, h_new, s_new, NULL, NULL, 0 };
	add_in(f, &b, 12 * SEC);
	assert_int_equal(sent(f, 0)->msg_case, AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC);
	assert_int_equal(f->e.unpaid, 0);
	fx_teardown(f);
}

/* A node with no channel may hold only a few unpaid invoices; a node with
 * channels is bounded by the global limit only. */
static void test_a_node_without_channels_gets_few_invoices(void **state)
{
	(void)state;
	struct fx *f = fx();
	static const uint8_t stranger[33] = { 0x02, 9 };
	assert_true(bob_engine_connected(&f->e, CONN + 1, "stranger"));
	assert_true(bob_engine_conn_node(&f->e, CONN + 1, stranger));
	do_init(f, CONN + 1, 1000);
	struct msg m;
	for (unsigned i = 0; i <= BOB_MAX_UNPAID_NO_CHANNEL; i++)
		msg_in(f, CONN + 1, msg_invoice_request(&m, i, 1000, "x"), 0);
	const Ampsim__Envelope *env = sent(f, 0);
	assert_int_equal(env->msg_case, AMPSIM__ENVELOPE__MSG_ERROR);
	assert_non_null(strstr(env->error->message, "holds no channel"));
	assert_int_equal(f->e.unpaid, BOB_MAX_UNPAID_NO_CHANNEL);
	/* the fixture's connection holds c1 and c2: no such limit */
	for (unsigned i = 0; i < 2 * BOB_MAX_UNPAID_NO_CHANNEL; i++) {
		msg_in(f, CONN, msg_invoice_request(&m, i, 1000, "x"), 0);
		assert_int_equal(sent(f, 0)->msg_case, AMPSIM__ENVELOPE__MSG_INVOICE);
	}
	fx_teardown(f);
}

/* node i's connection, authenticated, inited */
static uint64_t node_conn(struct fx *f, const uint8_t node[33], uint64_t conn)
{
	assert_true(bob_engine_connected(&f->e, conn, "node"));
	assert_true(bob_engine_conn_node(&f->e, conn, node));
	do_init(f, conn, 1000);
	return conn;
}

/* opens channel NAME-i from conn; the error Bob answered, or NULL */
static const char *open_from(struct fx *f, uint64_t conn, const char *name, unsigned i)
{
	char id[32];
	snprintf(id, sizeof(id), "%s-%u", name, i);
	struct msg m;
	struct msg_link l = { 0 };
	msg_in(f, conn, msg_open_channel(&m, id, BTC(1), BTC(1), MAX_HTLCS, 1, &l, &l), 0);
	const Ampsim__Envelope *env = sent(f, 0);
	if (env->msg_case == AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL)
		return NULL;
	assert_int_equal(env->msg_case, AMPSIM__ENVELOPE__MSG_ERROR);
	return env->error->message;
}

/* Throwaway keys cannot take the room of the nodes Bob lists: strangers
 * together hold at most half of the channel slots, each node at most 64,
 * and listed nodes have the rest. */
static void test_strangers_hold_at_most_half_of_the_channel_slots(void **state)
{
	(void)state;
	struct fx *f = fx_new_cfg(BOB_HONEST, 18, false);
	static const uint8_t listed[2][33] = { { 0x02, 1 }, { 0x03, 2 } };
	f->e.cfg.listed = listed;
	f->e.cfg.nlisted = 2;
	uint8_t stranger[33] = { 0x02, 0xee };
	/* two strangers fill their share (and each its own 64) */
	for (unsigned s = 0; s < 2; s++) {
		stranger[2] = (uint8_t)s;
		uint64_t c = node_conn(f, stranger, 100 + s);
		for (unsigned i = 0; i < BOB_MAX_CHANNELS_PER_NODE; i++)
			assert_null(open_from(f, c, s ? "t" : "s", i));
		const char *why = open_from(f, c, s ? "t" : "s", BOB_MAX_CHANNELS_PER_NODE);
		assert_non_null(why);
		assert_non_null(strstr(why, "too many channels from this node"));
	}
	assert_int_equal(f->e.nchans, BOB_MAX_STRANGER_CHANNELS);
	/* a third finds the strangers' half full */
	stranger[2] = 9;
	uint64_t c3 = node_conn(f, stranger, 110);
	const char *why = open_from(f, c3, "u", 0);
	assert_non_null(why);
	assert_non_null(strstr(why, "strangers"));
	/* and so does a connection that never said which node it is */
	assert_true(bob_engine_connected(&f->e, 111, "anonymous"));
	do_init(f, 111, 1000);
	why = open_from(f, 111, "v", 0);
	assert_non_null(why && strstr(why, "strangers"));
	assert_int_equal(f->e.nchans, BOB_MAX_STRANGER_CHANNELS);
	/* the listed nodes find room: 64 each, as any node */
	for (unsigned n = 0; n < 2; n++) {
		uint64_t c = node_conn(f, listed[n], 120 + n);
		for (unsigned i = 0; i < BOB_MAX_CHANNELS_PER_NODE; i++)
			assert_null(open_from(f, c, n ? "b" : "a", i));
		why = open_from(f, c, n ? "b" : "a", BOB_MAX_CHANNELS_PER_NODE);
		/* the first is at its own 64; after the second Bob is full */
		assert_non_null(why && strstr(why, n ? "too many channels"
					       : "too many channels from this node"));
	}
	assert_int_equal(f->e.nchans, BOB_MAX_CHANNELS);
	fx_teardown(f);
}

/* Before any listed node came, strangers could not take more than half:
 * what is left is for the listed nodes, even when they come last. */
static void test_a_listed_node_finds_room_after_strangers(void **state)
{
	(void)state;
	struct fx *f = fx_new_cfg(BOB_HONEST, 18, false);
	static const uint8_t alice[1][33] = { { 0x02, 0xa1 } };
	f->e.cfg.listed = alice;
	f->e.cfg.nlisted = 1;
	uint8_t stranger[33] = { 0x03, 0x5e };
	unsigned refused = 0;
	for (unsigned s = 0; s < 5; s++) {        /* five throwaway keys */
		stranger[2] = (uint8_t)s;
		uint64_t c = node_conn(f, stranger, 200 + s);
		for (unsigned i = 0; i < BOB_MAX_CHANNELS_PER_NODE; i++)
			refused += open_from(f, c, "x", s * 100 + i) != NULL;
		bob_engine_disconnected(&f->e, c, "gone", &f->out);
	}
	assert_int_equal(f->e.nchans, BOB_MAX_STRANGER_CHANNELS);
	assert_int_equal(refused, 5 * BOB_MAX_CHANNELS_PER_NODE - BOB_MAX_STRANGER_CHANNELS);
	uint64_t c = node_conn(f, alice[0], 300);
	assert_null(open_from(f, c, "alice", 1));
	assert_null(open_from(f, c, "alice", 2));
	assert_int_equal(f->e.nchans, BOB_MAX_STRANGER_CHANNELS + 2);
	fx_teardown(f);
}

static void test_mpp_wrong_secret_fails(void **state)
{
	(void)state;
	struct fx *f = fx();
	uint8_t hash[32], secret[32];
	invoice(f, 1000, hash, secret, NULL);
	secret[0] ^= 1;
	struct add a = { "c1", 0, 1000, 1000, 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &a, 0);
	expect_fail(f, 0, 0, UNKNOWN, "wrong payment_secret");
	fx_teardown(f);
}

static void test_mpp_total_below_invoice_fails(void **state)
{
	(void)state;
	struct fx *f = fx();
	uint8_t hash[32], secret[32];
	invoice(f, 2000, hash, secret, NULL);
	struct add a = { "c1", 0, 1000, 1999, 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &a, 0);
	expect_fail(f, 0, 0, UNKNOWN, "total_msat below the invoice amount");
	fx_teardown(f);
}

static void test_ledger_refusal_is_temporary_channel_failure(void **state)
{
	(void)state;
	struct fx *f = fx();
	uint8_t hash[32], secret[32];
	invoice(f, BTC(2), hash, secret, NULL);
	/* more than Alice has on c1 */
	struct add a = { "c1", 0, BTC(1) + 1, BTC(2), 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &a, 0);
	expect_fail(f, 0, 0, AMPSIM__FAILURE_CODE__FAILURE_TEMPORARY_CHANNEL_FAILURE, NULL);
	/* never in the ledger: no htlc_failed event, nothing counted */
	assert_null(actions_find_log(&f->out, "htlc_failed"));
	assert_non_null(actions_find_log(&f->out, "htlc_received"));
	assert_int_equal(f->e.count.htlcs_failed, 0);
	assert_int_equal(bob_engine_htlc(&f->e, 0, 0)->fsm.state, BH_FAILED);
	assert_true(ledger_conserves(&f->e.chans[0].ledger));
	fx_teardown(f);
}

static void test_htlc_id_outside_window_closes(void **state)
{
	(void)state;
	struct fx *f = fx();
	static const uint8_t h[32] = { 1 };
	struct add a = { "c1", BOB_SEEN_WINDOW + 5000, 1000, 0, 40, h, NULL, NULL, NULL, 0 };
	add_in(f, &a, 0);
	assert_non_null(strstr(sent(f, 0)->error->message, "jumps too far ahead"));
	assert_int_equal(actions_count(&f->out, ACT_CLOSE), 1);
	assert_int_equal(f->e.count.htlcs_received, 0);
	fx_teardown(f);
}

static void test_duplicate_add_while_held_is_ignored(void **state)
{
	(void)state;
	struct fx *f = fx();
	uint8_t hash[32], secret[32];
	invoice(f, 2000, hash, secret, NULL);
	struct add a = { "c1", 0, 1000, 2000, 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &a, 0);
	add_in(f, &a, 0);
	assert_non_null(actions_find_log(&f->out, "duplicate_ignored"));
	assert_int_equal(actions_count(&f->out, ACT_SEND), 0);
	assert_int_equal(f->e.count.htlcs_received, 1);
	assert_int_equal(f->e.chans[0].ledger.inflight.millisatoshis, 1000);
	fx_teardown(f);
}

/* Signed terms (docs/protocol.md): both nodes sign by name (terms.h). */
static const uint8_t node_a[33] = { 0x02, 0xa1 }, node_b[33] = { 0x03, 0xb0 };

static struct fx *fx_signing(void)
{
	struct fx *f = fx_new_cfg(BOB_HONEST, 18, false);
	f->e.cfg.terms.sign = terms_sign_by_name;
	f->e.cfg.terms.verify = terms_verify_by_name;
	f->e.cfg.terms.ctx = (void *)node_b;
	memcpy(f->e.cfg.terms.node, node_b, 33);
	assert_true(bob_engine_connected(&f->e, CONN, "test"));
	assert_true(bob_engine_conn_node(&f->e, CONN, node_a));
	do_init(f, CONN, 1000);
	do_open(f, "c1", BTC(1), BTC(1));
	actions_clear(&f->out);
	return f;
}

/* An add of 1000 msat on c1 paying invoice (hash, secret), its terms
 * signed by node `by` (NULL: unsigned). */
static void signed_add_in(struct fx *f, uint64_t id, const uint8_t *hash, const uint8_t *secret,
			  const uint8_t *by)
{
	struct chain_terms t;
	uint8_t sig[64];
	assert_true(terms_fill(&t, "c1", id, hash, 1000, 40, node_a, node_b));
	if (by)
		terms_sign_by_name((void *)by, NULL, sig);
	struct msg m;
	struct msg_add ma = { .channel = "c1", .htlc_id = id, .amount_msat = 1000, .hash = hash,
			      .cltv_expiry = 40, .secret = secret, .total_msat = 2000,
			      .sender_sig = by ? sig : NULL };
	msg_in(f, CONN, msg_add(&m, &ma), 0);
}

static void test_an_add_is_countersigned_and_again_when_replayed(void **state)
{
	(void)state;
	struct fx *f = fx_signing();
	uint8_t hash[32], secret[32];
	invoice(f, 2000, hash, secret, NULL);
	signed_add_in(f, 0, hash, secret, node_a);
	assert_int_equal(actions_count(&f->out, ACT_SEND), 1);   /* held: its countersignature */
	const Ampsim__Envelope *env = sent(f, 0);
	assert_int_equal(env->msg_case, AMPSIM__ENVELOPE__MSG_HTLC_SIGNED);
	assert_int_equal(env->htlc_signed->htlc_id, 0);
	assert_memory_equal(env->htlc_signed->receiver_sig.data, node_b, 33);
	const struct bob_htlc *h = bob_engine_htlc(&f->e, 0, 0);
	assert_true(h->signed_terms);
	assert_memory_equal(h->sender_sig, node_a, 33);
	assert_true(has_persist(f, BOB_REC_HTLC_ADD, 0));
	/* Alice may not have it: a replayed add of an HTLC held gets it again */
	signed_add_in(f, 0, hash, secret, node_a);
	assert_non_null(actions_find_log(&f->out, "duplicate_ignored"));
	assert_int_equal(actions_count(&f->out, ACT_SEND), 1);
	assert_int_equal(sent(f, 0)->msg_case, AMPSIM__ENVELOPE__MSG_HTLC_SIGNED);
	/* the proof of a claim: the terms both signed, and Bob's claim */
	struct chain_proof proof;
	uint8_t pre[32] = { 0 };
	assert_true(bob_engine_claim_proof(&f->e, 0, 0, pre, &proof));
	assert_memory_equal(proof.terms.sender, node_a, 33);
	assert_memory_equal(proof.receiver_sig, node_b, 33);
	assert_memory_equal(proof.spend_sig, node_b, 33);
	fx_teardown(f);
}

static void test_an_add_not_signed_by_the_channels_node_closes_the_connection(void **state)
{
	(void)state;
	struct fx *f = fx_signing();
	uint8_t hash[32], secret[32];
	invoice(f, 2000, hash, secret, NULL);
	const uint8_t *signers[] = { node_b, NULL };   /* another node's signature; none */
	for (size_t i = 0; i < 2; i++) {
		signed_add_in(f, 0, hash, secret, signers[i]);
		assert_non_null(strstr(sent(f, 0)->error->message, "sender_sig"));
		assert_int_equal(actions_count(&f->out, ACT_CLOSE), 1);
		assert_int_equal(f->e.count.htlcs_received, 0);
		assert_null(bob_engine_htlc(&f->e, 0, 0));
	}
	fx_teardown(f);
}

static void test_replayed_add_gets_the_same_answer(void **state)
{
	(void)state;
	struct fx *f = fx();
	static const uint8_t h[32] = { 1 }, s[32] = { 2 };
	struct add a = { "c1", 0, 1000, 1000, 40, h, s, NULL, NULL, 0 };
	add_in(f, &a, 0);
	const struct action *first = actions_nth(&f->out, ACT_SEND, 0);
	uint8_t frame[512];
	size_t len = first->u.send.frame_len;
	memcpy(frame, first->u.send.frame, len);
	add_in(f, &a, 2 * SEC);
	assert_non_null(actions_find_log(&f->out, "resolution_resent"));
	const struct action *again = actions_nth(&f->out, ACT_SEND, 0);
	assert_int_equal(again->u.send.frame_len, len);
	assert_memory_equal(again->u.send.frame, frame, len);
	assert_int_equal(again->u.send.chan, 0);
	assert_int_equal(again->u.send.msg_kind, MSG_FAIL);
	assert_int_equal(f->e.count.htlcs_received, 1);
	fx_teardown(f);
}

/* ---- MPP ----------------------------------------------------------------- */

static void test_mpp_two_parts_settle_with_the_invoice_preimage(void **state)
{
	(void)state;
	struct fx *f = fx();
	uint8_t hash[32], secret[32], pre[32];
	size_t inv = invoice(f, BTC(1), hash, secret, pre);
	struct add a = { "c1", 0, BTC(1) / 2, BTC(1), 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &a, 0);
	/* held: a timer at arrival + hold, nothing sent */
	assert_int_equal(actions_count(&f->out, ACT_SEND), 0);
	const struct action *t = actions_nth(&f->out, ACT_TIMER, 0);
	assert_int_equal(t->u.timer.timer, BOB_TIMER_HOLD);
	/* arrival + hold is 60 s, but cltv 40 - HOLD_SAFETY_BLOCKS comes first */
	assert_int_equal(t->u.timer.at_us, (40 - HOLD_SAFETY_BLOCKS) * SEC);
	uint64_t set = t->u.timer.id;
	struct add b = { "c2", 0, BTC(1) / 2, BTC(1), 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &b, 1 * SEC);
	const struct evrec *r = logged(f, "set_complete");
	assert_string_equal(field_str(r, "kind"), "mpp");
	assert_int_equal(evrec_find(r, "parts")->v.i64, 2);
	assert_int_equal(actions_count(&f->out, ACT_SEND), 2);
	for (size_t i = 0; i < 2; i++) {
		const Ampsim__Envelope *env = sent(f, i);
		assert_int_equal(env->msg_case, AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC);
		assert_memory_equal(env->update_fulfill_htlc->payment_preimage.data, pre, 32);
	}
	assert_true(f->e.invoices[inv].paid);
	assert_true(has_persist(f, BOB_REC_INVOICE, 0));
	assert_int_equal(actions_nth(&f->out, ACT_CANCEL, 0)->u.cancel.id, set);
	assert_int_equal(f->e.chans[0].ledger.bob.millisatoshis, BTC(1) / 2);
	assert_int_equal(f->e.chans[1].ledger.bob.millisatoshis, BTC(1) / 2);
	assert_int_equal(f->e.count.sets_settled, 1);
	assert_int_equal(f->e.sets.count, 0);
	/* the invoice is paid: a new part for it is refused */
	struct add c = { "c1", 1, 1000, BTC(1), 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &c, 2 * SEC);
	expect_fail(f, 0, 1, UNKNOWN, "invoice already paid");
	fx_teardown(f);
}

/* ---- AMP ----------------------------------------------------------------- */

static void test_amp_two_shards_reconstruct_and_settle(void **state)
{
	(void)state;
	struct fx *f = fx();
	struct amp2 s;
	amp2_make(&s);
	struct add a = amp_part(&s, 1, "c2", 0);   /* order does not matter */
	add_in(f, &a, 0);
	assert_int_equal(f->e.sets.count, 1);
	struct add b = amp_part(&s, 0, "c1", 0);
	add_in(f, &b, 0);
	const struct evrec *r = logged(f, "set_complete");
	char root_hex[65];
	sodium_bin2hex(root_hex, sizeof(root_hex), s.root, 32);
	assert_string_equal(field_str(r, "root"), root_hex);
	assert_int_equal(actions_count(&f->out, ACT_SEND), 2);
	for (size_t i = 0; i < 2; i++) {
		const Ampsim__Envelope *env = sent(f, i);
		int part = strcmp(env->update_fulfill_htlc->channel_id, "c1") == 0 ? 0 : 1;
		assert_memory_equal(env->update_fulfill_htlc->payment_preimage.data, s.pre[part], 32);
	}
	const struct action *p = NULL;
	for (size_t i = 0; i < f->out.n; i++)
		if (f->out.v[i].kind == ACT_PERSIST && f->out.v[i].u.persist.record == BOB_REC_SET_CLOSED)
			p = &f->out.v[i];
	assert_non_null(p);
	assert_memory_equal(p->u.persist.bytes, s.set_id, 32);
	fx_teardown(f);
}

static void test_amp_bad_share_fails_the_whole_set(void **state)
{
	(void)state;
	struct fx *f = fx();
	struct amp2 s;
	amp2_make(&s);
	struct add a = amp_part(&s, 0, "c1", 0);
	add_in(f, &a, 0);
	uint8_t bad[32];
	memset(bad, 0x33, 32);
	struct add b = amp_part(&s, 1, "c2", 0);
	b.share = bad;
	add_in(f, &b, 0);
	assert_non_null(actions_find_log(&f->out, "amp_reconstruction_failed"));
	const struct evrec *r = logged(f, "set_failed");
	assert_int_equal(evrec_find(r, "parts")->v.i64, 2);
	expect_fail(f, 0, 0, UNKNOWN, NULL);
	expect_fail(f, 1, 0, UNKNOWN, NULL);
	assert_int_equal(actions_count(&f->out, ACT_SEND), 2);
	assert_int_equal(f->e.chans[0].ledger.alice.millisatoshis, BTC(1));
	assert_int_equal(f->e.chans[1].ledger.alice.millisatoshis, BTC(1));
	/* a late part of the failed set is failed at once, not held */
	struct add c = amp_part(&s, 1, "c2", 1);
	add_in(f, &c, SEC);
	expect_fail(f, 0, 1, UNKNOWN, "set already closed (settled or failed)");
	assert_int_equal(actions_count(&f->out, ACT_TIMER), 0);
	fx_teardown(f);
}

static void test_amp_zero_set_id_fails(void **state)
{
	(void)state;
	struct fx *f = fx();
	struct amp2 s;
	amp2_make(&s);
	memset(s.set_id, 0, 32);
	struct add a = amp_part(&s, 0, "c1", 0);
	add_in(f, &a, 0);
	expect_fail(f, 0, 0, UNKNOWN, "AMP set_id is all zero");
	assert_int_equal(f->e.sets.count, 0);
	fx_teardown(f);
}

static void test_amp_total_mismatch_fails_the_whole_set(void **state)
{
	(void)state;
	struct fx *f = fx();
	struct amp2 s;
	amp2_make(&s);
	struct add a = amp_part(&s, 0, "c1", 0);
	add_in(f, &a, 0);
	struct add b = amp_part(&s, 1, "c2", 0);
	b.total = BTC(3);
	add_in(f, &b, 0);
	const struct evrec *r = logged(f, "set_failed");
	assert_string_equal(field_str(r, "reason"), "total_msat differs between parts of the set");
	assert_int_equal(actions_count(&f->out, ACT_SEND), 2);
	assert_int_equal(f->e.count.htlcs_failed, 2);
	fx_teardown(f);
}

/* ---- holding, timeouts and expiry --------------------------------------- */

static void test_hold_deadline_is_capped_by_expiry(void **state)
{
	(void)state;
	struct fx *f = fx();
	struct amp2 s;
	amp2_make(&s);
	struct add a = amp_part(&s, 0, "c1", 0);
	a.cltv = 30;   /* 30 - HOLD_SAFETY_BLOCKS = height 27 = 27 s, before 5 + 60 s */
	add_in(f, &a, 5 * SEC);
	assert_int_equal(actions_nth(&f->out, ACT_TIMER, 0)->u.timer.at_us, (30 - HOLD_SAFETY_BLOCKS) * SEC);
	fx_teardown(f);
}

static void test_hold_timeout_fails_the_whole_set_with_mpp_timeout(void **state)
{
	(void)state;
	struct fx *f = fx();
	uint8_t hash[32], secret[32];
	invoice(f, BTC(2), hash, secret, NULL);
	struct add a = { "c1", 0, BTC(1) / 2, BTC(2), 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &a, 0);
	struct add b = { "c2", 0, BTC(1) / 2, BTC(2), 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &b, SEC);
	uint64_t set = actions_nth(&f->out, ACT_TIMER, 0)->u.timer.id;
	actions_clear(&f->out);
	bob_engine_hold_timeout(&f->e, set, 60 * SEC, &f->out);
	const struct evrec *r = logged(f, "hold_timeout");
	assert_int_equal(evrec_find(r, "held_msat")->v.u64, BTC(1));
	expect_fail(f, 0, 0, TIMEOUT, "incomplete set held too long (mpp_timeout)");
	expect_fail(f, 1, 0, TIMEOUT, NULL);
	assert_int_equal(f->e.sets.count, 0);
	/* a timer for a set that is gone does nothing */
	actions_clear(&f->out);
	bob_engine_hold_timeout(&f->e, set, 61 * SEC, &f->out);
	assert_int_equal(f->out.n, 0);
	fx_teardown(f);
}

static void test_no_settle_near_expiry(void **state)
{
	(void)state;
	struct fx *f = fx();
	uint8_t hash[32], secret[32];
	invoice(f, BTC(2), hash, secret, NULL);
	struct add a = { "c1", 0, BTC(1), BTC(2), 20, hash, secret, NULL, NULL, 0 };
	add_in(f, &a, 0);
	/* the second part arrives at height 18: 18 + SETTLE_SAFETY_BLOCKS >= 20 */
	struct add b = { "c2", 0, BTC(1), BTC(2), 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &b, 18 * SEC);
	assert_null(actions_find_log(&f->out, "set_complete"));
	const struct evrec *r = logged(f, "set_failed");
	assert_string_equal(field_str(r, "reason"), "a part is too close to its expiry to claim safely");
	expect_fail(f, 0, 0, UNKNOWN, NULL);
	expect_fail(f, 1, 0, UNKNOWN, NULL);
	fx_teardown(f);
}

static void test_expired_part_is_refunded_and_its_set_failed(void **state)
{
	(void)state;
	struct fx *f = fx();
	uint8_t hash[32], secret[32];
	invoice(f, BTC(2), hash, secret, NULL);
	struct add a = { "c1", 0, BTC(1), BTC(2), 20, hash, secret, NULL, NULL, 0 };
	add_in(f, &a, 0);
	struct add b = { "c2", 0, BTC(1) / 2, BTC(2), 40, hash, secret, NULL, NULL, 0 };
	add_in(f, &b, 0);
	actions_clear(&f->out);
	bob_engine_block(&f->e, 20 * SEC, &f->out);
	const struct evrec *r = logged(f, "htlc_refunded");
	assert_string_equal(field_str(r, "channel"), "c1");
	assert_string_equal(field_str(r, "reason"), "expired: Alice reclaims it (BOLT #5)");
	const struct evrec *h = logged(f, "hold_timeout");
	assert_string_equal(field_str(h, "reason"), "a part of the set expired");
	/* the set's sum lost the expired part */
	assert_int_equal(evrec_find(h, "held_msat")->v.u64, BTC(1) / 2);
	assert_int_equal(evrec_find(h, "parts")->v.i64, 1);
	expect_fail(f, 0, 0, TIMEOUT, NULL);
	ended_and_forgotten(f, 0, 0, "refunded");
	assert_int_equal(f->e.count.htlcs_refunded, 1);
	assert_int_equal(actions_nth(&f->out, ACT_TIMER, 0)->u.timer.at_us, 21 * SEC);
	fx_teardown(f);
}

/* ---- adversarial behaviours --------------------------------------------- */

static void test_greedy_claims_with_a_guess_first(void **state)
{
	(void)state;
	struct fx *f = fx_ready(BOB_GREEDY, 18, false);
	struct amp2 s;
	amp2_make(&s);
	struct add a = amp_part(&s, 0, "c1", 0);
	add_in(f, &a, 0);
	const struct evrec *r = logged(f, "greedy_claim_attempt");
	assert_non_null(evrec_find(r, "guessed_preimage"));
	const Ampsim__Envelope *env = sent(f, 0);
	assert_int_equal(env->msg_case, AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC);
	assert_false(preimage_matches(env->update_fulfill_htlc->payment_preimage.data, s.hash[0]));
	/* and it still holds the part with its timer */
	assert_int_equal(actions_count(&f->out, ACT_TIMER), 1);
	assert_int_equal(bob_engine_htlc(&f->e, 0, 0)->fsm.state, BH_HELD);
	fx_teardown(f);
}

static void test_hold_behaviour_withholds_a_complete_set(void **state)
{
	(void)state;
	struct fx *f = fx_ready(BOB_HOLD, 18, false);
	struct amp2 s;
	amp2_make(&s);
	struct add a = amp_part(&s, 0, "c1", 0);
	add_in(f, &a, 0);
	assert_int_equal(actions_count(&f->out, ACT_TIMER), 0);   /* no hold timeout */
	struct add b = amp_part(&s, 1, "c2", 0);
	add_in(f, &b, 0);
	assert_string_equal(field_str(logged(f, "set_withheld"), "behaviour"), "hold");
	assert_int_equal(actions_count(&f->out, ACT_SEND), 0);
	assert_int_equal(bob_engine_htlc(&f->e, 0, 0)->fsm.state, BH_HELD);
	/* expiry returns it all to Alice */
	actions_clear(&f->out);
	bob_engine_block(&f->e, 40 * SEC, &f->out);
	assert_int_equal(logs_named(f, "htlc_refunded"), 2);
	assert_int_equal(f->e.count.htlcs_refunded, 2);
	fx_teardown(f);
}

static void test_late_behaviour_claims_after_expiry(void **state)
{
	(void)state;
	struct fx *f = fx_ready(BOB_LATE, 18, false);
	struct amp2 s;
	amp2_make(&s);
	struct add a = amp_part(&s, 0, "c1", 0);
	add_in(f, &a, 0);
	struct add b = amp_part(&s, 1, "c2", 0);
	add_in(f, &b, 0);
	assert_string_equal(field_str(logged(f, "set_withheld"), "behaviour"), "late");
	assert_int_equal(actions_count(&f->out, ACT_SEND), 0);
	actions_clear(&f->out);
	bob_engine_block(&f->e, 39 * SEC, &f->out);
	assert_null(actions_find_log(&f->out, "late_claim_attempt"));
	actions_clear(&f->out);
	bob_engine_block(&f->e, 40 * SEC, &f->out);
	assert_non_null(actions_find_log(&f->out, "late_claim_attempt"));
	assert_int_equal(actions_count(&f->out, ACT_SEND), 2);
	const Ampsim__Envelope *env = sent(f, 0);
	assert_true(preimage_matches(env->update_fulfill_htlc->payment_preimage.data,
				     strcmp(env->update_fulfill_htlc->channel_id, "c1") == 0
				     ? s.hash[0] : s.hash[1]));
	fx_teardown(f);
}

/* ---- acknowledgements and the chain -------------------------------------- */

static struct fx *settled_amp(bool chain, struct amp2 *s)
{
	struct fx *f = fx_ready(BOB_HONEST, 18, chain);
	amp2_make(s);
	struct add a = amp_part(s, 0, "c1", 0);
	add_in(f, &a, 0);
	struct add b = amp_part(s, 1, "c2", 0);
	add_in(f, &b, 0);
	assert_non_null(actions_find_log(&f->out, "set_complete"));
	assert_int_equal(f->e.chans[0].unacked, 1);
	return f;
}

static void test_unacked_fulfill_is_claimed_on_chain_before_expiry(void **state)
{
	(void)state;
	struct amp2 s;
	struct fx *f = settled_amp(true, &s);
	/* cltv 40: claimed once height + 2 confirmations + 1 >= 40 */
	actions_clear(&f->out);
	bob_engine_block(&f->e, 36 * SEC, &f->out);
	assert_int_equal(actions_count(&f->out, ACT_CHAIN), 0);
	actions_clear(&f->out);
	bob_engine_block(&f->e, 37 * SEC, &f->out);
	assert_int_equal(actions_count(&f->out, ACT_CHAIN), 2);
	const struct action *c = actions_nth(&f->out, ACT_CHAIN, 0);
	assert_int_equal(c->u.chain.tx, BOB_CHAIN_CLAIM);
	assert_memory_equal(c->u.chain.key, c->u.chain.chan == 0 ? s.pre[0] : s.pre[1], 32);
	assert_true(bob_engine_htlc(&f->e, 0, 0)->claimed);
	assert_true(has_persist(f, BOB_REC_HTLC_STATE, 0));
	actions_clear(&f->out);
	bob_engine_chain_result(&f->e, 0, 0, CHAIN_ANSWER_ACCEPTED, &f->out);
	assert_non_null(actions_find_log(&f->out, "onchain_claim_sent"));
	assert_int_equal(f->e.count.claims_onchain, 1);
	/* not claimed twice; confirmed later */
	actions_clear(&f->out);
	bob_engine_block(&f->e, 38 * SEC, &f->out);
	assert_int_equal(actions_count(&f->out, ACT_CHAIN), 0);
	f->chain.spent[0] = 1;
	actions_clear(&f->out);
	bob_engine_block(&f->e, 39 * SEC, &f->out);
	assert_non_null(actions_find_log(&f->out, "onchain_claim_confirmed"));
	fx_teardown(f);
}

static void test_claim_the_chain_did_not_answer_is_sent_again_next_block(void **state)
{
	(void)state;
	struct amp2 s;
	struct fx *f = settled_amp(true, &s);
	actions_clear(&f->out);
	bob_engine_block(&f->e, 37 * SEC, &f->out);
	assert_int_equal(actions_count(&f->out, ACT_CHAIN), 2);
	/* a served chain that did not answer: not claimed, durably, and logged */
	actions_clear(&f->out);
	bob_engine_chain_result(&f->e, 0, 0, CHAIN_ANSWER_UNREACHABLE, &f->out);
	assert_non_null(actions_find_log(&f->out, "onchain_claim_deferred"));
	assert_false(bob_engine_htlc(&f->e, 0, 0)->claimed);
	assert_true(has_persist(f, BOB_REC_HTLC_STATE, 0));
	assert_int_equal(f->e.count.claims_onchain, 0);
	bob_engine_chain_result(&f->e, 1, 0, CHAIN_ANSWER_ACCEPTED, &f->out);
	/* the next block sends c1's claim again, and only c1's */
	actions_clear(&f->out);
	bob_engine_block(&f->e, 38 * SEC, &f->out);
	assert_int_equal(actions_count(&f->out, ACT_CHAIN), 1);
	assert_int_equal(actions_nth(&f->out, ACT_CHAIN, 0)->u.chain.chan, 0);
	actions_clear(&f->out);
	bob_engine_chain_result(&f->e, 0, 0, CHAIN_ANSWER_ACCEPTED, &f->out);
	assert_non_null(actions_find_log(&f->out, "onchain_claim_sent"));
	assert_int_equal(f->e.count.claims_onchain, 2);
	fx_teardown(f);
}

/* The chain's own words: a claim that finds the output spent by a claim
 * was his own (sent earlier, its answer lost), one spent by a refund was
 * beaten. What the block decided after its claims comes with the answer
 * to the last of them. */
static void test_the_chain_answers_claims_after_the_list(void **state)
{
	(void)state;
	struct amp2 s;
	struct fx *f = settled_amp(true, &s);
	actions_clear(&f->out);
	bob_engine_block(&f->e, 37 * SEC, &f->out);
	assert_int_equal(actions_count(&f->out, ACT_CHAIN), 2);
	assert_int_equal(actions_count(&f->out, ACT_TIMER), 0);   /* held back */
	actions_clear(&f->out);
	bob_engine_chain_result(&f->e, 0, 0, CHAIN_ANSWER_SPENT_BY_CLAIM, &f->out);
	assert_non_null(actions_find_log(&f->out, "onchain_claim_sent"));
	assert_int_equal(f->e.count.claims_onchain, 1);
	assert_int_equal(actions_count(&f->out, ACT_TIMER), 0);
	bob_engine_chain_result(&f->e, 1, 0, CHAIN_ANSWER_SPENT_BY_REFUND, &f->out);
	assert_non_null(actions_find_log(&f->out, "onchain_claim_beaten"));
	assert_string_equal(field_str(actions_find_log(&f->out, "onchain_claim_beaten"), "channel"),
			    "c2");
	assert_int_equal(f->e.count.claims_onchain, 1);
	assert_int_equal(actions_count(&f->out, ACT_TIMER), 1);
	assert_int_equal(actions_nth(&f->out, ACT_TIMER, 0)->u.timer.at_us, 38 * SEC);
	fx_teardown(f);
}

/* A persist carries its row, encoded as the engine stood when the entry
 * point returned. */
static void test_a_persist_carries_its_row(void **state)
{
	(void)state;
	struct amp2 s;
	struct fx *f = fx_ready(BOB_HONEST, 18, false);
	amp2_make(&s);
	struct add a = amp_part(&s, 0, "c1", 0);
	add_in(f, &a, 0);
	bool add = false, chan = false;
	for (size_t i = 0; i < actions_count(&f->out, ACT_PERSIST); i++) {
		const struct act_persist *x = &actions_nth(&f->out, ACT_PERSIST, i)->u.persist;
		if (x->record == BOB_REC_HTLC_ADD) {
			const struct bob_htlc_row *r = (const struct bob_htlc_row *)x->bytes;
			assert_int_equal(x->len, sizeof(*r));
			assert_string_equal(r->channel, "c1");
			assert_int_equal(r->amount, BTC(1));
			assert_memory_equal(r->hash, s.hash[0], 32);
			add = true;
		} else if (x->record == BOB_REC_CHANNEL) {
			const struct bob_chan_row *r = (const struct bob_chan_row *)x->bytes;
			assert_int_equal(x->len, bob_chan_row_len(r->done_len));
			assert_string_equal(r->id, "c1");
			assert_int_equal(r->alice, f->e.chans[0].ledger.alice.millisatoshis);
			chan = true;
		}
	}
	assert_true(add && chan);
	fx_teardown(f);
}

static void test_resolve_ack_stops_the_chain_claim(void **state)
{
	(void)state;
	struct amp2 s;
	struct fx *f = settled_amp(true, &s);
	struct msg m;
	msg_in(f, CONN, msg_resolve_ack(&m, "c1", 0, false), SEC);
	/* acknowledged: finished, its record forgotten (durably), its id kept */
	assert_null(bob_engine_htlc(&f->e, 0, 0));
	assert_true(htlc_table_finished(&f->e.chans[0].htlcs, 0));
	assert_int_equal(f->e.chans[0].unacked, 0);
	assert_true(has_persist(f, BOB_REC_HTLC_FORGET, 0));
	/* an ack again, or for an unknown HTLC, changes nothing */
	msg_in(f, CONN, msg_resolve_ack(&m, "c1", 0, false), SEC);
	assert_int_equal(f->out.n, 0);
	msg_in(f, CONN, msg_resolve_ack(&m, "c9", 3, false), SEC);
	assert_int_equal(f->out.n, 0);
	actions_clear(&f->out);
	bob_engine_block(&f->e, 37 * SEC, &f->out);
	assert_int_equal(actions_count(&f->out, ACT_CHAIN), 1);   /* only c2's */
	assert_int_equal(actions_nth(&f->out, ACT_CHAIN, 0)->u.chain.chan, 1);
	fx_teardown(f);
}

static void test_refund_that_wins_on_chain_takes_the_money_back(void **state)
{
	(void)state;
	struct amp2 s;
	struct fx *f = settled_amp(true, &s);
	f->chain.spent[0] = 2;
	actions_clear(&f->out);
	bob_engine_block(&f->e, 41 * SEC, &f->out);
	assert_non_null(actions_find_log(&f->out, "htlc_lost_onchain"));
	ended_and_forgotten(f, 0, 0, "refunded");
	assert_int_equal(f->e.chans[0].ledger.alice.millisatoshis, BTC(1));
	assert_true(ledger_conserves(&f->e.chans[0].ledger));
	assert_int_equal(actions_count(&f->out, ACT_VIOLATION), 0);
	fx_teardown(f);
}

/* A fulfill past its expiry with no refund on chain: Bob asks Alice with
 * the fulfill again, and believes "reclaimed" only from the expiry on. */
static void test_a_fulfill_alice_reclaimed_is_given_back(void **state)
{
	(void)state;
	struct amp2 s;
	struct fx *f = settled_amp(true, &s);
	struct msg m;
	/* before the expiry, "reclaimed" is a lie: nothing changes */
	actions_clear(&f->out);
	msg_in(f, CONN, msg_resolve_ack(&m, "c1", 0, true), SEC);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(bob_engine_htlc(&f->e, 0, 0)->fsm.state, BH_FULFILLED);
	/* his claims go out (and never confirm); at the expiry and the block
	 * after, a refund could still be on its way: he waits */
	bob_engine_block(&f->e, 37 * SEC, &f->out);
	for (unsigned h = 40; h <= 41; h++) {
		actions_clear(&f->out);
		bob_engine_block(&f->e, h * SEC, &f->out);
		assert_int_equal(actions_count(&f->out, ACT_SEND), 0);
	}
	/* expiry + 2, no refund: he asks, with the fulfill again */
	actions_clear(&f->out);
	bob_engine_block(&f->e, 42 * SEC, &f->out);
	assert_int_equal(actions_count(&f->out, ACT_SEND), 2);
	assert_int_equal(sent(f, 0)->msg_case, AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC);
	/* c1's answer: reclaimed, so the money goes back; c2's: an ack */
	actions_clear(&f->out);
	msg_in(f, CONN, msg_resolve_ack(&m, "c1", 0, true), 42 * SEC);
	const struct evrec *lost = logged(f, "htlc_lost_onchain");
	assert_non_null(lost);
	assert_non_null(strstr(field_str(lost, "reason"), "reclaimed"));
	assert_int_equal(bob_engine_htlc(&f->e, 0, 0)->fsm.state, BH_REFUNDED);
	assert_int_equal(f->e.chans[0].ledger.alice.millisatoshis, BTC(1));
	assert_true(ledger_conserves(&f->e.chans[0].ledger));
	msg_in(f, CONN, msg_resolve_ack(&m, "c2", 0, false), 42 * SEC);
	assert_null(bob_engine_htlc(&f->e, 1, 0));          /* acknowledged: his */
	/* nothing is asked any more */
	actions_clear(&f->out);
	bob_engine_block(&f->e, 43 * SEC, &f->out);
	assert_int_equal(actions_count(&f->out, ACT_SEND), 0);
	assert_int_equal(actions_count(&f->out, ACT_VIOLATION), 0);
	fx_teardown(f);
}

/* ---- restart --------------------------------------------------------------- */

/* A second engine rebuilt from what the first would have stored. */
static struct fx *restored_from(struct fx *a)
{
	struct fx *b = fx_new_cfg(a->e.cfg.behaviour, a->e.cfg.final_cltv_delta, false);
	bob_engine_restore_clock(&b->e, &a->e.clk, a->e.seed);
	for (size_t i = 0; i < a->e.nchans; i++) {
		const struct bob_chan *bc = &a->e.chans[i];
		struct amount_msat alice;
		assert_true(amount_add(&alice, bc->ledger.alice, bc->ledger.inflight));
		assert_true(bob_engine_restore_channel(&b->e, bc->ledger.id, bc->ledger.capacity, alice,
						       bc->ledger.max_htlcs, bc->ledger.htlc_minimum,
						       &bc->base_out));
	}
	for (size_t i = 0; i < a->e.ninvoices; i++)
		bob_engine_restore_invoice(&b->e, &a->e.invoices[i]);
	for (size_t i = 0; i < a->e.nchans; i++) {
		const struct htlc_table *t = &a->e.chans[i].htlcs;
		assert_true(bob_engine_restore_finished(&b->e, i, t->next, t->done, t->ndone));
		for (size_t k = 0; k < htlc_table_slots(t); k++) {
			const struct bob_htlc *h = htlc_table_slot(t, k);
			const char *why = NULL;
			if (h)
				assert_true(bob_engine_restore_htlc(&b->e, i, h->id, h, &why));
		}
	}
	return b;
}

/* Two held parts of one set that disagree on total_msat cannot both have
 * been held (the second failed them all when it arrived): a state that
 * has them is refused. Restored into the set uncounted, the first expiry
 * aborted ("part larger than the set's sum"). */
static void test_restore_refuses_held_parts_whose_totals_differ(void **state)
{
	(void)state;
	struct fx *a = fx();
	uint8_t hash[32], secret[32], pre[32];
	invoice(a, BTC(1), hash, secret, pre);
	struct add add = { "c1", 0, BTC(1) / 2, BTC(1), 40, hash, secret, NULL, NULL, 0 };
	add_in(a, &add, 0);
	assert_null(actions_find_log(&a->out, "set_complete"));
	struct fx *b = restored_from(a);
	struct bob_htlc other = *bob_engine_htlc(&a->e, 0, 0);
	other.id = 1;
	other.total = amount_msat(2 * BTC(1));
	b->e.chans[0].htlcs.next = 2;            /* id 1 was seen, as its row says */
	const char *why = NULL;
	assert_false(bob_engine_restore_htlc(&b->e, 0, 1, &other, &why));
	assert_non_null(why);
	assert_non_null(strstr(why, "total_msat differs"));
	fx_teardown(a);
	fx_teardown(b);
}

static void test_restore_then_replay_gets_the_same_fulfill(void **state)
{
	(void)state;
	struct fx *a = fx();
	uint8_t hash[32], secret[32], pre[32];
	invoice(a, BTC(1), hash, secret, pre);
	struct add add = { "c1", 0, BTC(1), BTC(1), 40, hash, secret, NULL, NULL, 0 };
	add_in(a, &add, 0);
	assert_non_null(actions_find_log(&a->out, "set_complete"));
	struct fx *b = restored_from(a);
	assert_int_equal(b->e.chans[0].ledger.bob.millisatoshis, BTC(1));
	assert_int_equal(b->e.chans[0].unacked, 1);
	bob_engine_resume(&b->e, 2 * SEC, &b->out);
	assert_int_equal(actions_nth(&b->out, ACT_TIMER, 0)->u.timer.at_us, 3 * SEC);
	bob_engine_connected(&b->e, CONN, "back");
	do_init(b, CONN, 1000);
	do_open(b, "c1", BTC(1), BTC(1));
	struct msg m;
	msg_in(b, CONN, msg_reestablish(&m, "c1", 1, 1), 2 * SEC);
	assert_non_null(actions_find_log(&b->out, "channel_reestablish"));
	add_in(b, &add, 2 * SEC);
	assert_non_null(actions_find_log(&b->out, "resolution_resent"));
	const Ampsim__Envelope *env = sent(b, 0);
	assert_memory_equal(env->update_fulfill_htlc->payment_preimage.data, pre, 32);
	fx_teardown(a);
	fx_teardown(b);
}

static void test_restore_settles_a_set_that_was_whole(void **state)
{
	(void)state;
	struct fx *a = fx_ready(BOB_HOLD, 18, false);   /* holds the set: nothing resolved */
	struct amp2 s;
	amp2_make(&s);
	struct add p0 = amp_part(&s, 0, "c1", 0), p1 = amp_part(&s, 1, "c2", 0);
	p0.cltv = 100;   /* far away: the hold time decides the deadline */
	add_in(a, &p0, 0);
	/* only one part got in before the "crash" */
	a->e.cfg.behaviour = BOB_HONEST;
	struct fx *b = restored_from(a);
	b->e.cfg.behaviour = BOB_HONEST;
	bob_engine_resume(&b->e, SEC, &b->out);
	/* incomplete: its hold timer is back, from its arrival */
	const struct action *t = actions_nth(&b->out, ACT_TIMER, 1);
	assert_non_null(t);
	assert_int_equal(t->u.timer.timer, BOB_TIMER_HOLD);
	assert_int_equal(t->u.timer.at_us, 60 * SEC);
	/* and the other part completes it */
	bob_engine_connected(&b->e, CONN, "back");
	do_init(b, CONN, 1000);
	do_open(b, "c1", BTC(1), BTC(1));
	do_open(b, "c2", BTC(1), BTC(1));
	add_in(b, &p1, 2 * SEC);
	assert_non_null(actions_find_log(&b->out, "set_complete"));
	assert_int_equal(actions_count(&b->out, ACT_SEND), 2);
	fx_teardown(a);
	fx_teardown(b);
}

/* ---- the HTLC state machine ---------------------------------------------- */

static void test_htlc_transitions_follow_the_table(void **state)
{
	(void)state;
	enum bob_htlc_state to;
	assert_true(htlc_next(true, BH_HELD, HTLC_EV_ACCEPT, &to));
	assert_int_equal(to, BH_HELD);
	assert_true(htlc_next(true, BH_HELD, HTLC_EV_REFUSE, &to));
	assert_int_equal(to, BH_FAILED);
	assert_false(htlc_next(true, BH_HELD, HTLC_EV_SETTLE, &to));
	assert_true(htlc_next(false, BH_HELD, HTLC_EV_SETTLE, &to));
	assert_int_equal(to, BH_FULFILLED);
	assert_true(htlc_next(false, BH_HELD, HTLC_EV_EXPIRE, &to));
	assert_int_equal(to, BH_REFUNDED);
	assert_true(htlc_next(false, BH_FULFILLED, HTLC_EV_LOSE_ONCHAIN, &to));
	assert_false(htlc_next(false, BH_FULFILLED, HTLC_EV_FAIL, &to));
	assert_false(htlc_next(false, BH_FAILED, HTLC_EV_SETTLE, &to));
	assert_false(htlc_next(false, BH_REFUNDED, HTLC_EV_EXPIRE, &to));
	/* stored numbers never change meaning */
	assert_int_equal(BH_HELD, 0);
	assert_int_equal(BH_FULFILLED, 1);
	assert_int_equal(BH_FAILED, 2);
	assert_int_equal(BH_REFUNDED, 3);
	enum bob_htlc_state st;
	assert_false(htlc_state_from_stored(4, &st));
	assert_true(htlc_state_from_stored(2, &st));
	assert_int_equal(st, BH_FAILED);
	/* an illegal change is refused, changes nothing, and is reported */
	struct actions out;
	actions_init(&out);
	struct htlc_fsm f = { true, BH_FAILED };
	assert_false(htlc_change(&f, HTLC_EV_SETTLE, FSM_OURS, "c1", 4, &out));
	assert_int_equal(f.state, BH_FAILED);
	assert_int_equal(actions_count(&out, ACT_VIOLATION), 1);
	assert_null(actions_find_log(&out, HTLC_STATE_EVENT));
	f.state = BH_HELD;
	assert_true(htlc_change(&f, HTLC_EV_SETTLE, FSM_OURS, "c1", 4, &out));
	const struct evrec *r = actions_find_log(&out, HTLC_STATE_EVENT);
	assert_non_null(r);
	assert_string_equal(r->buf + evrec_find(r, "to")->v.str, "fulfilled");
	actions_free(&out);
}

/* ---- his records as rows (bob_codec.c) ---------------------------------- */

/* The rows of a state: meta, c1 and c2, HTLC c1/0, the invoice of seq. */
struct rows {
	struct bob_meta_row meta;
	struct bob_chan_row chan[2];
	struct bob_htlc_row htlc;
	struct bob_invoice_row inv;
};

static void rows_of(struct fx *f, uint64_t seq, struct rows *r)
{
	memset(r, 0, sizeof(*r));
	bob_meta_row_of(&f->e, &r->meta);
	for (size_t i = 0; i < 2; i++)
		bob_chan_row_of(&f->e, i, &r->chan[i]);
	assert_true(bob_htlc_row_add(&f->e, 0, 0, &r->htlc));
	assert_true(bob_htlc_row_state(&f->e, 0, 0, &r->htlc));
	assert_true(bob_invoice_row_of(&f->e, seq, &r->inv));
}

static void test_rows_load_back_into_the_state_they_were_made_of(void **state)
{
	(void)state;
	struct fx *f = fx();
	struct amp2 s;
	amp2_make(&s);
	struct add a = amp_part(&s, 0, "c1", 0);
	add_in(f, &a, 1 * SEC);   /* held: its set is not whole */
	uint8_t hash[32], secret[32], pre[32];
	size_t n = invoice(f, 5000, hash, secret, pre);
	uint64_t seq = f->e.invoices[n].seq;
	static struct rows r, back;
	rows_of(f, seq, &r);
	assert_int_equal(r.htlc.state, 0);
	assert_int_equal(r.htlc.kind, SET_AMP);
	assert_memory_equal(r.htlc.share, s.share[0], 32);
	assert_int_equal(r.chan[0].alice, 0);   /* after the HTLC in flight */

	struct fx *g = fx_new_cfg(BOB_HONEST, 18, false);
	char why[300];
	const char *bad = NULL;
	bob_meta_row_load(&g->e, &r.meta);
	/* alice as if nothing were in flight: the held HTLC goes back */
	assert_int_equal(bob_chan_row_load(&g->e, &r.chan[0], r.chan[0].alice + r.htlc.amount, why,
					   sizeof(why)), BOB_ROW_OK);
	assert_int_equal(bob_chan_row_load(&g->e, &r.chan[1], r.chan[1].alice, why, sizeof(why)),
			 BOB_ROW_OK);
	assert_true(bob_invoice_row_load(&g->e, &r.inv, why, sizeof(why)));
	assert_true(bob_htlc_row_load(&g->e, &r.htlc, true, &bad));

	rows_of(g, seq, &back);
	assert_int_equal(g->e.clk.epoch_unix_us, f->e.clk.epoch_unix_us);
	assert_int_equal(back.meta.seed, r.meta.seed);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(back.chan[i].id, r.chan[i].id);
		assert_int_equal(back.chan[i].alice, r.chan[i].alice);
		assert_int_equal(back.chan[i].bob, r.chan[i].bob);
		assert_int_equal(back.chan[i].htlc_next, r.chan[i].htlc_next);
		assert_int_equal(back.chan[i].done_len, r.chan[i].done_len);
	}
	assert_int_equal(g->e.chans[0].ledger.inflight.millisatoshis, BTC(1));
	assert_memory_equal(&back.htlc, &r.htlc, sizeof(r.htlc));
	assert_memory_equal(&back.inv, &r.inv, sizeof(r.inv));
	fx_free(g);
	fx_free(f);
}

static void test_rows_no_bob_writes_are_refused(void **state)
{
	(void)state;
	struct fx *f = fx();
	struct amp2 s;
	amp2_make(&s);
	struct add a = amp_part(&s, 0, "c1", 0);
	add_in(f, &a, 1 * SEC);
	uint8_t hash[32], secret[32], pre[32];
	size_t n = invoice(f, 5000, hash, secret, pre);
	uint64_t seq = f->e.invoices[n].seq;
	static struct rows r;
	rows_of(f, seq, &r);
	struct fx *g = fx_new_cfg(BOB_HONEST, 18, false);
	char why[300];
	const char *bad = NULL;
	r.chan[0].owner_len = 5;
	assert_int_equal(bob_chan_row_load(&g->e, &r.chan[0], BTC(1), why, sizeof(why)),
			 BOB_ROW_DAMAGED);
	assert_non_null(strstr(why, "owner is 5 bytes"));
	r.chan[1].done_len = 15;
	assert_int_equal(bob_chan_row_load(&g->e, &r.chan[1], BTC(1), why, sizeof(why)), BOB_ROW_BAD);
	assert_non_null(strstr(why, "finished HTLC ids (15 bytes)"));
	r.inv.preimage[0] ^= 1;
	assert_false(bob_invoice_row_load(&g->e, &r.inv, why, sizeof(why)));
	assert_non_null(strstr(why, "does not hash"));
	r.htlc.state = 99;
	assert_false(bob_htlc_row_load(&g->e, &r.htlc, true, &bad));
	assert_string_equal(bad, "unknown state");
	r.htlc.state = 0;
	assert_false(bob_htlc_row_load(&g->e, &r.htlc, false, &bad));
	assert_non_null(strstr(bad, "not 32 bytes"));
	snprintf(r.htlc.channel, sizeof(r.htlc.channel), "zz");
	assert_false(bob_htlc_row_load(&g->e, &r.htlc, true, &bad));
	assert_string_equal(bad, "unknown channel");
	fx_free(g);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_answers_and_arms_block_timer),
		cmocka_unit_test(test_rows_load_back_into_the_state_they_were_made_of),
		cmocka_unit_test(test_rows_no_bob_writes_are_refused),
		cmocka_unit_test(test_an_add_is_countersigned_and_again_when_replayed),
		cmocka_unit_test(test_an_add_not_signed_by_the_channels_node_closes_the_connection),
		cmocka_unit_test(test_init_wrong_version_or_epoch_closes),
		cmocka_unit_test(test_a_first_init_without_channels_cannot_lock_alice_out),
		cmocka_unit_test(test_unpaid_invoices_expire),
		cmocka_unit_test(test_a_node_without_channels_gets_few_invoices),
		cmocka_unit_test(test_strangers_hold_at_most_half_of_the_channel_slots),
		cmocka_unit_test(test_a_listed_node_finds_room_after_strangers),
		cmocka_unit_test(test_message_before_init_closes),
		cmocka_unit_test(test_open_channel_accepts_and_persists),
		cmocka_unit_test(test_ping_answered_with_pong_bytes),
		cmocka_unit_test(test_disconnect_defers_resolutions),
		cmocka_unit_test(test_add_on_unknown_channel_closes),
		cmocka_unit_test(test_add_on_channel_of_another_connection_closes),
		cmocka_unit_test(test_an_ack_about_a_channel_of_another_connection_is_refused),
		cmocka_unit_test(test_far_ids_cost_one_record_and_unacked_ones_are_bounded),
		cmocka_unit_test(test_add_expiring_too_soon_fails),
		cmocka_unit_test(test_add_without_mpp_record_fails),
		cmocka_unit_test(test_mpp_unknown_hash_fails),
		cmocka_unit_test(test_mpp_wrong_secret_fails),
		cmocka_unit_test(test_mpp_total_below_invoice_fails),
		cmocka_unit_test(test_ledger_refusal_is_temporary_channel_failure),
		cmocka_unit_test(test_htlc_id_outside_window_closes),
		cmocka_unit_test(test_duplicate_add_while_held_is_ignored),
		cmocka_unit_test(test_replayed_add_gets_the_same_answer),
		cmocka_unit_test(test_mpp_two_parts_settle_with_the_invoice_preimage),
		cmocka_unit_test(test_amp_two_shards_reconstruct_and_settle),
		cmocka_unit_test(test_amp_bad_share_fails_the_whole_set),
		cmocka_unit_test(test_amp_zero_set_id_fails),
		cmocka_unit_test(test_amp_total_mismatch_fails_the_whole_set),
		cmocka_unit_test(test_hold_deadline_is_capped_by_expiry),
		cmocka_unit_test(test_hold_timeout_fails_the_whole_set_with_mpp_timeout),
		cmocka_unit_test(test_no_settle_near_expiry),
		cmocka_unit_test(test_expired_part_is_refunded_and_its_set_failed),
		cmocka_unit_test(test_greedy_claims_with_a_guess_first),
		cmocka_unit_test(test_hold_behaviour_withholds_a_complete_set),
		cmocka_unit_test(test_late_behaviour_claims_after_expiry),
		cmocka_unit_test(test_unacked_fulfill_is_claimed_on_chain_before_expiry),
		cmocka_unit_test(test_claim_the_chain_did_not_answer_is_sent_again_next_block),
		cmocka_unit_test(test_the_chain_answers_claims_after_the_list),
		cmocka_unit_test(test_a_persist_carries_its_row),
		cmocka_unit_test(test_resolve_ack_stops_the_chain_claim),
		cmocka_unit_test(test_a_fulfill_alice_reclaimed_is_given_back),
		cmocka_unit_test(test_refund_that_wins_on_chain_takes_the_money_back),
		cmocka_unit_test(test_restore_then_replay_gets_the_same_fulfill),
		cmocka_unit_test(test_restore_refuses_held_parts_whose_totals_differ),
		cmocka_unit_test(test_restore_settles_a_set_that_was_whole),
		cmocka_unit_test(test_htlc_transitions_follow_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

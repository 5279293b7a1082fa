/* Alice's payment engine (sender/engine/), driven through its rules with no
 * sockets, no clock and no store: events in, actions out. Sends are
 * decoded with frame_decode, logs looked up by name and field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>

#include "action.h"
#include "amp.h"
#include "frame.h"
#include "msg.h"
#include "pay_codec.h"
#include "pay_engine.h"
#include "proto_limits.h"

#define EVCHECK_NODE EVS_ALICE
#include "evcheck.h"

#define BTC(x) amount_msat((uint64_t)((x) * 1000) * (MSAT_PER_BTC / 1000))
#define SEC 1000000ULL
#define TEMP_FAIL AMPSIM__FAILURE_CODE__FAILURE_TEMPORARY_CHANNEL_FAILURE
#define PERM_FAIL AMPSIM__FAILURE_CODE__FAILURE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS

struct fx {
	struct pay_engine e;
	struct actions a;
	struct frame_arena *arena;
	uint64_t rs;                 /* the test's random stream */
};

/* A fixed stream (xorshift), so every run draws the same secrets. */
static void test_random(void *ctx, uint8_t *buf, size_t n)
{
	uint64_t *s = ctx;
	for (size_t i = 0; i < n; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		buf[i] = (uint8_t)(*s >> 24);
	}
}

static struct fx *fx_new(size_t nchans, double btc, enum alice_behaviour b)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct simclock clk = { .epoch_unix_us = 0, .block_interval_us = SEC, .time_scale = 1 };
	f->rs = 0x9e3779b97f4a7c15ULL;
	struct pay_rand r = { test_random, &f->rs };
	pay_engine_init(&f->e, &clk, 7, b, &r);
	for (size_t i = 0; i < nchans; i++) {
		struct channel_config cc;
		memset(&cc, 0, sizeof(cc));
		snprintf(cc.id, sizeof(cc.id), "c%zu", i + 1);
		cc.capacity = BTC(btc);
		cc.alice = BTC(btc);
		cc.max_htlcs = MAX_HTLCS;
		cc.htlc_minimum = amount_msat(1);
		assert_int_equal(pay_engine_add_channel(&f->e, &cc), LEDGER_OK);
	}
	actions_init(&f->a);
	f->arena = malloc(sizeof(*f->arena));
	frame_arena_init(f->arena);
	return f;
}

static void fx_free(struct fx *f)
{
	pay_engine_free(&f->e);
	actions_free(&f->a);
	free(f->arena);
	free(f);
}

/* Connected: init both ways, every channel accepted. */
static void fx_connect(struct fx *f, bool reconnect, uint64_t now)
{
	struct msg m;
	struct msg_init init = { .version = PROTOCOL_VERSION };
	pay_engine_connected(&f->e, reconnect, &f->a);
	pay_engine_on_init(&f->e, msg_init(&m, &init)->init, &f->a);
	for (size_t i = 0; i < f->e.nchans; i++)
		pay_engine_on_accept(&f->e, msg_accept_channel(&m, f->e.chans[i].ledger.id)->accept_channel,
				     now, &f->a);
}

/* The k-th message of this type among the sends, decoded (valid until the
 * next call), or NULL. */
static const Ampsim__Envelope *sent(struct fx *f, Ampsim__Envelope__MsgCase c, size_t k)
{
	for (size_t i = 0; i < actions_count(&f->a, ACT_SEND); i++) {
		const struct action *x = actions_nth(&f->a, ACT_SEND, i);
		Ampsim__Envelope *env;
		size_t used;
		char why[64];
		frame_arena_reset(f->arena);
		assert_int_equal(frame_decode(f->arena, x->u.send.frame, x->u.send.frame_len, &used, &env, why,
					      sizeof(why)), FRAME_OK);
		if (env->msg_case == c && k-- == 0)
			return env;
	}
	return NULL;
}

static size_t nsent(struct fx *f, Ampsim__Envelope__MsgCase c)
{
	size_t n = 0;
	while (sent(f, c, n))
		n++;
	return n;
}

static size_t nlogs(const struct actions *a, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		n += a->v[i].kind == ACT_LOG && strcmp(a->v[i].u.log.rec->name, name) == 0;
	return n;
}

static const char *log_str(const struct evrec *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].key, key) == 0)
			return evrec_field_str(r, i);
	return NULL;
}

/* The k-th logged event with this name. */
static const struct evrec *nth_log(const struct actions *a, const char *name, size_t k)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind == ACT_LOG && strcmp(a->v[i].u.log.rec->name, name) == 0 && k-- == 0)
			return a->v[i].u.log.rec;
	return NULL;
}

static struct payment *pay(struct fx *f, const char *id, enum pay_mode mode, double btc,
			   uint32_t shards, uint64_t now)
{
	struct pay_request r = {
		.id = id,
		.mode = mode,
		.amount = BTC(btc),
		.shards = shards,
		.expiry_blocks = 40,
		.deadline_us = now + 60 * SEC,
	};
	return pay_engine_pay(&f->e, &r, now, &f->a);
}

struct add {
	char chan[ID_MAX];
	uint64_t id, amount, total;
	uint8_t hash[32], share[32], set_id[32];
	uint32_t child, cltv;
	bool has_amp;
};

static struct add add_of(struct fx *f, size_t k)
{
	const Ampsim__Envelope *env = sent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC, k);
	assert_non_null(env);
	const Ampsim__UpdateAddHtlc *m = env->update_add_htlc;
	struct add a;
	memset(&a, 0, sizeof(a));
	snprintf(a.chan, sizeof(a.chan), "%s", m->channel_id);
	a.id = m->htlc_id;
	a.amount = m->amount_msat;
	a.cltv = m->cltv_expiry;
	memcpy(a.hash, m->payment_hash.data, 32);
	if (m->mpp)
		a.total = m->mpp->total_msat;
	if (m->amp) {
		a.has_amp = true;
		memcpy(a.share, m->amp->root_share.data, 32);
		memcpy(a.set_id, m->amp->set_id.data, 32);
		a.child = m->amp->child_index;
	}
	return a;
}

/* The root of an AMP set: the XOR of its shares. */
static void root_of(const struct add *adds, size_t n, uint8_t root[32])
{
	memset(root, 0, 32);
	for (size_t i = 0; i < n; i++)
		amp_xor(root, root, adds[i].share);
}

static void fulfill(struct fx *f, const char *chan, uint64_t id, const uint8_t pre[32], uint64_t now)
{
	struct msg m;
	pay_engine_on_fulfill(&f->e, msg_fulfill(&m, chan, id, pre)->update_fulfill_htlc, now, &f->a);
}

static void fail_htlc(struct fx *f, const char *chan, uint64_t id, Ampsim__FailureCode code, uint64_t now)
{
	struct msg m;
	pay_engine_on_fail(&f->e, msg_fail(&m, chan, id, code, "test")->update_fail_htlc, now, &f->a);
}

/* Bob answers the k-th invoice request with a fresh hash (preimage pre). */
static void answer_invoice(struct fx *f, size_t k, const uint8_t pre[32], uint64_t amount_override,
			   bool override, uint64_t now)
{
	const Ampsim__Envelope *env = sent(f, AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST, k);
	assert_non_null(env);
	uint64_t req = env->invoice_request->request_id;
	uint64_t amount = override ? amount_override : env->invoice_request->amount_msat;
	uint8_t hash[32], secret[32];
	crypto_hash_sha256(hash, pre, 32);
	memset(secret, 0x5e, 32);
	struct msg m;
	struct actions keep = f->a;       /* the request stays decodable meanwhile */
	actions_init(&f->a);
	pay_engine_on_invoice(&f->e, msg_invoice(&m, req, amount, hash, secret, 18, 0, "t")->invoice,
			      now, &f->a);
	/* append what the invoice caused after what was there */
	for (size_t i = 0; i < f->a.n; i++) {
		if (keep.n == keep.cap) {
			keep.cap = keep.cap ? 2 * keep.cap : 16;
			keep.v = realloc(keep.v, keep.cap * sizeof(*keep.v));
		}
		keep.v[keep.n++] = f->a.v[i];
	}
	free(f->a.v);
	f->a = keep;
}

static void check_conserved(struct fx *f)
{
	for (size_t i = 0; i < f->e.nchans; i++)
		assert_true(ledger_conserves(&f->e.chans[i].ledger));
	assert_int_equal(actions_count(&f->a, ACT_VIOLATION), 0);
}

/* ---- planning and split ------------------------------------------------- */

static void amp_splits_over_both_channels_with_the_fewest_shards(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	struct payment *p = pay(f, "p1", PAY_AMP, 2, 0, 0);
	assert_int_equal(p->state, PAY_ACTIVE);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 2);
	struct add a[2] = { add_of(f, 0), add_of(f, 1) };
	assert_string_not_equal(a[0].chan, a[1].chan);
	assert_int_equal(a[0].amount, BTC(1).millisatoshis);
	assert_int_equal(a[0].total, BTC(2).millisatoshis);
	assert_true(a[0].has_amp && a[1].has_amp);
	assert_memory_equal(a[0].set_id, a[1].set_id, 32);
	assert_memory_not_equal(a[0].hash, a[1].hash, 32);
	/* each hash is lnd's derivation from the root the shares XOR to */
	uint8_t root[32], h[32];
	root_of(a, 2, root);
	for (int i = 0; i < 2; i++) {
		amp_derive(root, a[i].share, a[i].child, NULL, h);
		assert_memory_equal(h, a[i].hash, 32);
	}
	assert_non_null(actions_find_log(&f->a, "payment_started"));
	assert_int_equal(nlogs(&f->a, "htlc_offered"), 2);
	check_conserved(f);
	fx_free(f);
}

static void amp_one_shard_has_the_root_as_its_share(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 0.5, 0, 0);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 1);
	struct add a = add_of(f, 0);
	uint8_t h[32];
	amp_derive(a.share, a.share, a.child, NULL, h);
	assert_memory_equal(h, a.hash, 32);
	fx_free(f);
}

static void amp_shards_as_asked(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 1, 4, 0);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 4);
	uint64_t sum = 0;
	for (size_t i = 0; i < 4; i++)
		sum += add_of(f, i).amount;
	assert_int_equal(sum, BTC(1).millisatoshis);
	fx_free(f);
}

static void the_add_expires_expiry_blocks_after_the_height_it_is_sent_at(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 0.1, 0, 7 * SEC + 500000);
	struct add a = add_of(f, 0);
	assert_int_equal(a.cltv, 7 + 40);
	const struct evrec *ev = actions_find_log(&f->a, "htlc_offered");
	assert_non_null(ev);
	assert_int_equal(evrec_find(ev, "cltv_expiry")->v.i64, 47);
	fx_free(f);
}

static void the_payment_and_channel_are_persisted_in_the_list_that_sends(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 0.1, 0, 0);
	bool pay_rec = false, chan_rec = false;
	for (size_t i = 0; i < actions_count(&f->a, ACT_PERSIST); i++) {
		const struct action *x = actions_nth(&f->a, ACT_PERSIST, i);
		/* records name a payment by its seq: 1 for the first */
		pay_rec |= x->u.persist.record == PAY_REC_PAYMENT && x->u.persist.id == 1 && f->e.pays[0].seq == 1;
		chan_rec |= x->u.persist.record == PAY_REC_CHANNEL && x->u.persist.chan == 0;
	}
	assert_true(pay_rec && chan_rec);
	fx_free(f);
}

/* A persist carries its record, encoded as the engine stood when the
 * entry point returned: the payment's bytes decode to it, the channel's
 * row is its row. */
static void a_persist_carries_its_encoded_record(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 0.1, 0, 0);
	bool pay_rec = false, chan_rec = false;
	for (size_t i = 0; i < actions_count(&f->a, ACT_PERSIST); i++) {
		const struct act_persist *x = &actions_nth(&f->a, ACT_PERSIST, i)->u.persist;
		if (x->record == PAY_REC_PAYMENT) {
			struct payment p;
			char why[160], id[SCN_ID_MAX];
			assert_true(pay_decode(x->bytes, x->len, &p, why, sizeof(why)));
			assert_string_equal(p.id, "p1");
			assert_int_equal(p.nparts, f->e.pays[0].nparts);
			assert_int_equal(p.parts[0].state, f->e.pays[0].parts[0].state);
			payment_free(&p);
			assert_true(pay_record_id(x->bytes, x->len, id, sizeof(id)));
			assert_string_equal(id, "p1");
			pay_rec = true;
		} else if (x->record == PAY_REC_CHANNEL) {
			struct pay_chan_row r, now;
			assert_int_equal(x->len, sizeof(r));
			memcpy(&r, x->bytes, sizeof(r));
			pay_chan_row_of(&f->e, 0, &now);
			assert_memory_equal(&r, &now, sizeof(r));
			chan_rec = true;
		}
	}
	assert_true(pay_rec && chan_rec);
	fx_free(f);
}

/* Settle AMP payment `id` (2 shards over c1 and c2) by fulfilling both. */
static void settle_amp(struct fx *f, const char *id, uint64_t now)
{
	actions_clear(&f->a);
	pay(f, id, PAY_AMP, 0.2, 2, now);
	struct add a[2] = { add_of(f, 0), add_of(f, 1) };
	uint8_t root[32], pre[2][32];
	root_of(a, 2, root);
	for (int i = 0; i < 2; i++)
		amp_derive(root, a[i].share, a[i].child, pre[i], NULL);
	for (int i = 0; i < 2; i++)
		fulfill(f, a[i].chan, a[i].id, pre[i], now);
}

static void finished_payments_beyond_keep_are_forgotten(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	settle_amp(f, "a1", SEC);
	settle_amp(f, "a2", SEC);
	actions_clear(&f->a);
	pay(f, "held", PAY_AMP, 0.2, 2, SEC);        /* in flight: never forgotten */
	struct add held[2] = { add_of(f, 0), add_of(f, 1) };
	settle_amp(f, "a3", SEC);
	assert_int_equal(f->e.npays, 4);
	actions_clear(&f->a);
	assert_int_equal(pay_engine_compact(&f->e, 1, &f->a), 2);
	/* the two oldest finished ones went, durably; the rest kept their order */
	assert_int_equal(actions_count(&f->a, ACT_PERSIST), 3);
	assert_int_equal(actions_nth(&f->a, ACT_PERSIST, 0)->u.persist.record, PAY_REC_FORGET);
	/* and the totals of what was forgotten */
	assert_int_equal(actions_nth(&f->a, ACT_PERSIST, 2)->u.persist.record, PAY_REC_TOTALS);
	assert_int_equal(f->e.forgotten.settled, 2);
	assert_int_equal(actions_nth(&f->a, ACT_PERSIST, 0)->u.persist.id, 1);
	assert_int_equal(actions_nth(&f->a, ACT_PERSIST, 1)->u.persist.id, 2);
	assert_int_equal(f->e.npays, 2);
	assert_null(pay_engine_by_seq(&f->e, 1));
	assert_null(pay_engine_find_pay(&f->e, "a2"));
	assert_string_equal(pay_engine_by_seq(&f->e, 3)->id, "held");
	assert_string_equal(pay_engine_by_seq(&f->e, 4)->id, "a3");
	assert_int_equal(f->e.settled, 3);                  /* counts stay */
	/* the kept payment still owns its HTLCs: a fulfill finds it */
	uint8_t root[32], pre[32];
	root_of(held, 2, root);
	for (int i = 0; i < 2; i++) {
		amp_derive(root, held[i].share, held[i].child, pre, NULL);
		fulfill(f, held[i].chan, held[i].id, pre, 2 * SEC);
	}
	assert_int_equal(pay_engine_find_pay(&f->e, "held")->outcome, OUTCOME_SETTLED);
	/* nothing more to forget at keep 2; a new payment gets the next seq */
	actions_clear(&f->a);
	assert_int_equal(pay_engine_compact(&f->e, 2, &f->a), 0);
	assert_int_equal(pay(f, "a5", PAY_AMP, 0.2, 2, 3 * SEC)->seq, 5);
	check_conserved(f);
	fx_free(f);
}

/* A part that failed unsent names an HTLC id that may be another part's:
 * forgetting its payment leaves the other's owner in place. */
static void forgetting_a_payment_keeps_other_parts_owners(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	struct payment done, live;
	memset(&done, 0, sizeof(done));
	strcpy(done.id, "gone");
	done.outcome = OUTCOME_FAILED;
	done.state = PAY_DONE;
	struct part *pt = payment_new_part(&done);
	pt->chan = 0;
	pt->htlc_id = 0;                 /* never sent: the id is not its own */
	pt->state = PART_FAILED;
	pay_engine_add_payment(&f->e, &done);
	memset(&live, 0, sizeof(live));
	strcpy(live.id, "live");
	live.state = PAY_ACTIVE;
	pt = payment_new_part(&live);
	pt->chan = 0;
	pt->htlc_id = 0;
	pt->state = PART_INFLIGHT;
	uint64_t seq = pay_engine_add_payment(&f->e, &live)->seq;
	owner_map_put(&f->e.chans[0].owners, 0, seq, 0);
	assert_int_equal(pay_engine_compact(&f->e, 0, &f->a), 1);
	struct pay_owner o;
	assert_true(owner_map_get(&f->e.chans[0].owners, 0, &o));
	assert_int_equal(o.seq, seq);
	fx_free(f);
}

/* ---- single, mpp, invoices ---------------------------------------------- */

static void single_asks_bob_for_an_invoice_first(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	struct payment *p = pay(f, "p1", PAY_SINGLE, 0.5, 0, 0);
	assert_int_equal(p->state, PAY_AWAITING_INVOICE);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 0);
	const Ampsim__Envelope *r = sent(f, AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST, 0);
	assert_non_null(r);
	assert_int_equal(r->invoice_request->amount_msat, BTC(0.5).millisatoshis);
	uint8_t pre[32];
	memset(pre, 0x11, 32);
	answer_invoice(f, 0, pre, 0, false, 0);
	assert_int_equal(f->e.pays[0].state, PAY_ACTIVE);
	struct add a = add_of(f, 0);
	uint8_t h[32];
	crypto_hash_sha256(h, pre, 32);
	assert_memory_equal(a.hash, h, 32);
	assert_int_equal(a.total, BTC(0.5).millisatoshis);
	assert_false(a.has_amp);
	fx_free(f);
}

static void single_fails_when_no_channel_carries_the_whole_amount(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_SINGLE, 2, 0, 0);
	uint8_t pre[32];
	memset(pre, 0x12, 32);
	answer_invoice(f, 0, pre, 0, false, 0);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 0);
	const struct evrec *o = actions_find_log(&f->a, "payment_outcome");
	assert_non_null(o);
	assert_string_equal(log_str(o, "outcome"), "failed");
	assert_string_equal(log_str(o, "why"), "no single channel can carry the whole amount");
	assert_int_equal(actions_nth(&f->a, ACT_OUTCOME, 0)->u.outcome.outcome, OUTCOME_FAILED);
	assert_int_equal(f->e.pays[0].state, PAY_DONE);
	assert_int_equal(f->e.failed, 1);
	fx_free(f);
}

static void mpp_parts_share_the_invoice_hash_and_the_total(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_MPP, 2, 0, 0);
	uint8_t pre[32];
	memset(pre, 0x13, 32);
	answer_invoice(f, 0, pre, 0, false, 0);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 2);
	struct add a = add_of(f, 0), b = add_of(f, 1);
	assert_memory_equal(a.hash, b.hash, 32);
	assert_int_equal(a.total, BTC(2).millisatoshis);
	assert_int_equal(b.total, BTC(2).millisatoshis);
	/* Bob's one preimage settles both */
	fulfill(f, a.chan, a.id, pre, 0);
	fulfill(f, b.chan, b.id, pre, 0);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_SETTLED);
	check_conserved(f);
	fx_free(f);
}

static void invoices_mode_asks_one_invoice_per_part(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_INVOICES, 2, 0, 0);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST), 2);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 0);
	uint8_t p1[32], p2[32];
	memset(p1, 0x21, 32);
	memset(p2, 0x22, 32);
	answer_invoice(f, 0, p1, 0, false, 0);
	answer_invoice(f, 1, p2, 0, false, 0);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 2);
	/* each part is a whole payment of its own */
	assert_int_equal(add_of(f, 0).total, BTC(1).millisatoshis);
	fx_free(f);
}

/* A part's invoice for nothing fails that part (it waited for ever). */
static void a_parts_invoice_for_nothing_fails_the_part(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_INVOICES, 2, 0, 0);
	uint8_t p1[32], p2[32];
	memset(p1, 0x23, 32);
	memset(p2, 0x24, 32);
	answer_invoice(f, 0, p1, 0, true, 0);            /* 0 msat */
	assert_int_equal(f->e.pays[0].parts[0].state, PART_FAILED);
	answer_invoice(f, 1, p2, 0, true, 0);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_FAILED);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 0);
	fx_free(f);
}

static void invoices_mode_can_end_partial(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_INVOICES, 2, 0, 0);
	uint8_t p1[32], p2[32];
	memset(p1, 0x21, 32);
	memset(p2, 0x22, 32);
	answer_invoice(f, 0, p1, 0, false, 0);
	answer_invoice(f, 1, p2, 0, false, 0);
	struct add a = add_of(f, 0), b = add_of(f, 1);
	bool a_is_p1 = true;
	uint8_t h[32];
	crypto_hash_sha256(h, p1, 32);
	a_is_p1 = memcmp(h, a.hash, 32) == 0;
	fulfill(f, a.chan, a.id, a_is_p1 ? p1 : p2, 0);
	fail_htlc(f, b.chan, b.id, PERM_FAIL, 0);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_PARTIAL);
	assert_int_equal(actions_count(&f->a, ACT_VIOLATION), 0);   /* allowed for invoices */
	fx_free(f);
}

static void mpp_ending_partial_is_an_atomicity_violation(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_MPP, 2, 0, 0);
	uint8_t pre[32];
	memset(pre, 0x13, 32);
	answer_invoice(f, 0, pre, 0, false, 0);
	struct add a = add_of(f, 0), b = add_of(f, 1);
	fulfill(f, a.chan, a.id, pre, 0);
	fail_htlc(f, b.chan, b.id, PERM_FAIL, 0);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_PARTIAL);
	assert_int_equal(actions_count(&f->a, ACT_VIOLATION), 1);
	fx_free(f);
}

static void an_invoice_for_nothing_fails_the_payment(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_SINGLE, 0.5, 0, 0);
	uint8_t pre[32];
	memset(pre, 0x14, 32);
	answer_invoice(f, 0, pre, 0, true, 0);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_FAILED);
	assert_string_equal(f->e.pays[0].why, "Bob's invoice is for nothing");
	fx_free(f);
}

static bool refuse_every_signature(void *ctx, const uint8_t digest[32], const uint8_t sig[64])
{
	(void)ctx;
	(void)digest;
	(void)sig;
	return false;
}

static void an_invoice_not_signed_by_bob_fails_the_payment(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	f->e.verify.fn = refuse_every_signature;
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_SINGLE, 0.5, 0, 0);
	uint8_t pre[32];
	memset(pre, 0x15, 32);
	answer_invoice(f, 0, pre, 0, false, 0);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_FAILED);
	assert_string_equal(f->e.pays[0].why, "Bob's invoice is not signed by his node key");
	assert_non_null(nth_log(&f->a, "invoice_rejected", 0));
	assert_null(sent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC, 0));   /* nothing offered */
	fx_free(f);
}

static void an_invoice_after_the_timeout_fails_the_payment(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_SINGLE, 0.5, 0, 0);
	uint8_t pre[32];
	memset(pre, 0x15, 32);
	answer_invoice(f, 0, pre, 0, false, 61 * SEC);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_FAILED);
	assert_string_equal(f->e.pays[0].why, "payment timed out waiting for the invoice");
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 0);
	fx_free(f);
}

static void a_part_that_cannot_be_sent_fails_with_a_logged_transition(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_INVOICES, 2, 0, 0);
	/* the channels go down while the invoices are on their way */
	pay_engine_set_down(&f->e, 0, true);
	pay_engine_set_down(&f->e, 1, true);
	uint8_t pre[32];
	memset(pre, 0x16, 32);
	answer_invoice(f, 0, pre, 0, false, 0);
	const struct evrec *ev = nth_log(&f->a, "part_state", 0);
	assert_non_null(ev);
	assert_string_equal(log_str(ev, "trigger"), "unsendable");
	assert_string_equal(log_str(ev, "from"), "waiting");
	assert_string_equal(log_str(ev, "to"), "failed");
	assert_string_equal(log_str(ev, "why"), "no usable channel can carry this part");
	assert_int_equal(f->e.pays[0].parts[0].state, PART_FAILED);
	fx_free(f);
}

/* ---- fulfill and fail ----------------------------------------------------- */

static void fulfills_with_the_right_preimages_settle_and_are_acknowledged(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 2, 0, 0);
	struct add a[2] = { add_of(f, 0), add_of(f, 1) };
	uint8_t root[32], pre[2][32];
	root_of(a, 2, root);
	for (int i = 0; i < 2; i++)
		amp_derive(root, a[i].share, a[i].child, pre[i], NULL);
	actions_clear(&f->a);
	fulfill(f, a[0].chan, a[0].id, pre[0], SEC);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_PENDING);
	fulfill(f, a[1].chan, a[1].id, pre[1], SEC);
	assert_int_equal(nlogs(&f->a, "htlc_fulfilled"), 2);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_RESOLVE_ACK), 2);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_SETTLED);
	assert_int_equal(f->e.settled, 1);
	assert_int_equal(f->e.chans[0].ledger.bob.millisatoshis, BTC(1).millisatoshis);
	assert_int_equal(actions_count(&f->a, ACT_OUTCOME), 1);
	check_conserved(f);
	/* the same fulfill again: acknowledged, not applied twice */
	actions_clear(&f->a);
	fulfill(f, a[0].chan, a[0].id, pre[0], SEC);
	assert_int_equal(nlogs(&f->a, "htlc_fulfilled"), 0);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_RESOLVE_ACK), 1);
	fx_free(f);
}

static void a_fulfill_with_a_wrong_preimage_is_refused(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 2, 0, 0);
	struct add a = add_of(f, 0);
	actions_clear(&f->a);
	uint8_t wrong[32];
	memset(wrong, 0xee, 32);
	fulfill(f, a.chan, a.id, wrong, SEC);
	const struct evrec *ev = actions_find_log(&f->a, "fulfill_rejected");
	assert_non_null(ev);
	assert_string_equal(log_str(ev, "reason"), "preimage does not hash to the payment hash");
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_RESOLVE_ACK), 0);
	assert_int_equal(f->e.pays[0].parts[0].state, PART_INFLIGHT);
	assert_int_equal(f->e.chans[0].ledger.nhtlcs, 1);
	fx_free(f);
}

/* A fail for an HTLC not in flight, and an invoice that answers no
 * request still waiting, change nothing and are logged as ignored. */
static void a_fail_or_an_invoice_nobody_waits_for_is_ignored(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	fail_htlc(f, "c1", 99, TEMP_FAIL, SEC);
	const struct evrec *ev = actions_find_log(&f->a, "fail_ignored");
	assert_non_null(ev);
	assert_string_equal(log_str(ev, "reason"), "no such HTLC");
	actions_clear(&f->a);
	uint8_t hash[32], secret[32];
	memset(hash, 0x11, 32);
	memset(secret, 0x5e, 32);
	struct msg m;
	pay_engine_on_invoice(&f->e, msg_invoice(&m, 77, 1000, hash, secret, 18, 0, "t")->invoice,
			      SEC, &f->a);
	ev = actions_find_log(&f->a, "invoice_ignored");
	assert_non_null(ev);
	assert_int_equal(evrec_find(ev, "request")->v.u64, 77);
	assert_int_equal(f->e.npays, 0);
	fx_free(f);
}

static void a_fulfill_after_expiry_is_refused(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 0.5, 0, 0);
	struct add a = add_of(f, 0);
	uint8_t pre[32];
	amp_derive(a.share, a.share, a.child, pre, NULL);
	actions_clear(&f->a);
	fulfill(f, a.chan, a.id, pre, (uint64_t)a.cltv * SEC);
	assert_non_null(actions_find_log(&f->a, "fulfill_refused"));
	assert_int_equal(f->e.pays[0].parts[0].state, PART_INFLIGHT);
	fx_free(f);
}

static void a_failed_shard_is_retried_under_a_fresh_child_index(void **state)
{
	(void)state;
	struct fx *f = fx_new(3, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 2, 0, 0);
	struct add a[2] = { add_of(f, 0), add_of(f, 1) };
	uint8_t root[32];
	root_of(a, 2, root);
	actions_clear(&f->a);
	fail_htlc(f, a[0].chan, a[0].id, TEMP_FAIL, SEC);
	const struct evrec *r = actions_find_log(&f->a, "part_retry");
	assert_non_null(r);
	assert_int_equal(evrec_find(r, "attempt")->v.i64, 1);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 1);
	struct add n = add_of(f, 0);
	assert_string_not_equal(n.chan, a[0].chan);          /* another channel */
	assert_memory_equal(n.share, a[0].share, 32);        /* the same share, merged back */
	assert_int_not_equal(n.child, a[0].child);           /* a fresh child index */
	assert_memory_not_equal(n.hash, a[0].hash, 32);      /* so a fresh hash */
	assert_memory_not_equal(n.hash, a[1].hash, 32);
	uint8_t h[32];
	amp_derive(root, n.share, n.child, NULL, h);
	assert_memory_equal(h, n.hash, 32);
	assert_int_equal(f->e.pays[0].nparts, 3);
	fx_free(f);
}

static void a_permanent_failure_is_not_retried(void **state)
{
	(void)state;
	struct fx *f = fx_new(3, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 2, 0, 0);
	struct add a[2] = { add_of(f, 0), add_of(f, 1) };
	actions_clear(&f->a);
	fail_htlc(f, a[0].chan, a[0].id, PERM_FAIL, SEC);
	assert_null(actions_find_log(&f->a, "part_retry"));
	fail_htlc(f, a[1].chan, a[1].id, PERM_FAIL, SEC);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_FAILED);
	check_conserved(f);
	fx_free(f);
}

static void no_retry_after_the_payment_timeout(void **state)
{
	(void)state;
	struct fx *f = fx_new(3, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 2, 0, 0);
	struct add a = add_of(f, 0);
	actions_clear(&f->a);
	fail_htlc(f, a.chan, a.id, TEMP_FAIL, 61 * SEC);
	assert_null(actions_find_log(&f->a, "part_retry"));
	fx_free(f);
}

static void no_hash_is_ever_reused_across_payments(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 10, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	char id[8];
	for (int i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		pay(f, id, PAY_AMP, 0.5, 3, 0);
	}
	size_t n = nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC);
	assert_int_equal(n, 30);
	uint8_t (*h)[32] = calloc(n, 32);
	for (size_t i = 0; i < n; i++)
		memcpy(h[i], add_of(f, i).hash, 32);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_memory_not_equal(h[i], h[j], 32);
	free(h);
	fx_free(f);
}

/* ---- deferral and timeout -------------------------------------------------- */

static void a_payment_waits_while_channels_are_down_and_goes_when_up(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	pay_engine_set_down(&f->e, 1, true);
	actions_clear(&f->a);
	struct payment *p = pay(f, "p1", PAY_AMP, 2, 0, 0);
	assert_int_equal(p->state, PAY_DEFERRED);
	assert_non_null(actions_find_log(&f->a, "payment_deferred"));
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 0);
	/* still down at the next block: still waiting */
	actions_clear(&f->a);
	pay_engine_block(&f->e, SEC, NULL, 0, &f->a);
	assert_int_equal(f->e.pays[0].state, PAY_DEFERRED);
	/* up again */
	actions_clear(&f->a);
	pay_engine_set_down(&f->e, 1, false);
	pay_engine_retry_deferred(&f->e, 2 * SEC, &f->a);
	assert_int_equal(f->e.pays[0].state, PAY_ACTIVE);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 2);
	/* it settles: the reason it waited for is no longer its story */
	struct add adds[2] = { add_of(f, 0), add_of(f, 1) };
	uint8_t root[32], pre[32], hash[32];
	root_of(adds, 2, root);
	for (size_t i = 0; i < 2; i++) {
		amp_derive(root, adds[i].share, adds[i].child, pre, hash);
		fulfill(f, adds[i].chan, adds[i].id, pre, 3 * SEC);
	}
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_SETTLED);
	assert_string_equal(f->e.pays[0].why, "");
	fx_free(f);
}

static void a_waiting_payment_fails_at_its_timeout(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	pay_engine_set_down(&f->e, 0, true);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 2, 0, 0);
	actions_clear(&f->a);
	pay_engine_block(&f->e, 60 * SEC, NULL, 0, &f->a);     /* at the deadline: still waits */
	assert_int_equal(f->e.pays[0].state, PAY_DEFERRED);
	pay_engine_block(&f->e, 61 * SEC, NULL, 0, &f->a);
	assert_int_equal(f->e.pays[0].state, PAY_DONE);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_FAILED);
	assert_non_null(strstr(f->e.pays[0].why, "timed out waiting for usable channels"));
	fx_free(f);
}

static void a_payment_waits_for_bob_and_goes_on_reconnection(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	pay_engine_disconnected(&f->e);
	actions_clear(&f->a);
	struct payment *p = pay(f, "p1", PAY_AMP, 2, 0, 0);
	assert_int_equal(p->state, PAY_DEFERRED);
	assert_int_equal(actions_count(&f->a, ACT_SEND), 0);
	const struct evrec *d = actions_find_log(&f->a, "payment_deferred");
	assert_string_equal(log_str(d, "reason"), "not connected to bob");
	actions_clear(&f->a);
	fx_connect(f, true, SEC);
	assert_non_null(actions_find_log(&f->a, "reconnected"));
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_REESTABLISH), 2);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 2);
	assert_int_equal(f->e.pays[0].state, PAY_ACTIVE);
	fx_free(f);
}

/* ---- expiry, refund and the chain ------------------------------------------ */

static void an_htlc_is_refunded_at_its_cltv_expiry(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 2, 0, 0);
	uint32_t cltv = add_of(f, 0).cltv;
	actions_clear(&f->a);
	pay_engine_block(&f->e, (uint64_t)(cltv - 1) * SEC, NULL, 0, &f->a);
	assert_int_equal(nlogs(&f->a, "htlc_refunded"), 0);
	pay_engine_block(&f->e, (uint64_t)cltv * SEC, NULL, 0, &f->a);
	assert_int_equal(nlogs(&f->a, "htlc_refunded"), 2);
	const struct evrec *r = actions_find_log(&f->a, "htlc_refunded");
	assert_string_equal(log_str(r, "source"), "expiry");
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_REFUNDED);
	assert_int_equal(f->e.chans[0].ledger.alice.millisatoshis, BTC(1).millisatoshis);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_RESOLVE_ACK), 0);
	check_conserved(f);
	fx_free(f);
}

/* The two nodes signing by name (terms.h), as in the in-process world. */
static const uint8_t node_alice[33] = { 0x02, 0xa1 }, node_bob[33] = { 0x03, 0xb0 };

static void sign_by_name(struct fx *f)
{
	f->e.terms.sign = terms_sign_by_name;
	f->e.terms.ctx = (void *)node_alice;
	memcpy(f->e.terms.node, node_alice, 33);
	memcpy(f->e.bob_node, node_bob, 33);
}

/* Bob's htlc_signed for an add, with the signature of node signer. */
static void countersign(struct fx *f, const struct add *a, const uint8_t *signer)
{
	uint8_t sig[64];
	terms_sign_by_name((void *)signer, NULL, sig);
	Ampsim__HtlcSigned hs = AMPSIM__HTLC_SIGNED__INIT;
	hs.channel_id = (char *)a->chan;
	hs.htlc_id = a->id;
	hs.receiver_sig.len = 64;
	hs.receiver_sig.data = sig;
	pay_engine_on_signed(&f->e, &hs, &f->a);
}

static bool verify_bob_by_name(void *ctx, const uint8_t digest[32], const uint8_t sig[64])
{
	return terms_verify_by_name(ctx, node_bob, digest, sig);
}

static void an_add_carries_alice_signature_of_its_terms(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	sign_by_name(f);
	f->e.verify.fn = verify_bob_by_name;
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 0.5, 0, 0);
	const Ampsim__Envelope *env = sent(f, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC, 0);
	assert_int_equal(env->update_add_htlc->sender_sig.len, 64);
	assert_memory_equal(env->update_add_htlc->sender_sig.data, node_alice, 33);
	struct add a = add_of(f, 0);
	struct part *pt = &f->e.pays[0].parts[0];
	assert_true(pt->signed_terms);
	/* a countersignature that is not Bob's is refused, logged, not kept */
	actions_clear(&f->a);
	countersign(f, &a, node_alice);
	assert_false(pt->countersigned);
	assert_int_equal(nlogs(&f->a, "countersignature_refused"), 1);
	assert_int_equal(actions_count(&f->a, ACT_PERSIST), 0);
	/* his is kept, and persisted */
	actions_clear(&f->a);
	countersign(f, &a, node_bob);
	assert_true(pt->countersigned);
	assert_memory_equal(pt->receiver_sig, node_bob, 33);
	assert_true(actions_count(&f->a, ACT_PERSIST) > 0);
	/* again: nothing more */
	actions_clear(&f->a);
	countersign(f, &a, node_bob);
	assert_int_equal(actions_count(&f->a, ACT_PERSIST), 0);
	struct chain_proof proof;
	assert_true(pay_engine_refund_proof(&f->e, 0, a.id, &proof));
	assert_int_equal(chain_proof_check(&proof, CHAIN_SPEND_REFUND, NULL, a.cltv,
					   &(struct chain_verifier){ terms_verify_by_name, NULL }),
			 CHAIN_RULE_OK);
	fx_free(f);
}

/* Bob never countersigned (his htlc_signed lost): nothing to refund on
 * chain; once no claim of his can confirm, the HTLC is Alice's again. */
static void without_a_countersignature_expiry_refunds_off_chain(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	sign_by_name(f);
	pay_engine_configure(&f->e, &f->e.clk, f->e.seed, ALICE_HONEST, true);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 0.5, 0, 0);
	struct add a = add_of(f, 0);
	struct chain_proof proof;
	assert_false(pay_engine_refund_proof(&f->e, 0, a.id, &proof));
	for (uint32_t h = a.cltv; h < a.cltv + CHAIN_CONFIRMATIONS - 1; h++) {
		actions_clear(&f->a);
		pay_engine_block(&f->e, (uint64_t)h * SEC, NULL, 0, &f->a);
		assert_int_equal(actions_count(&f->a, ACT_CHAIN), 0);
		assert_int_equal(f->e.pays[0].parts[0].state, PART_INFLIGHT);
	}
	actions_clear(&f->a);
	pay_engine_block(&f->e, (uint64_t)(a.cltv + CHAIN_CONFIRMATIONS - 1) * SEC, NULL, 0, &f->a);
	assert_int_equal(actions_count(&f->a, ACT_CHAIN), 0);
	const struct evrec *r = actions_find_log(&f->a, "htlc_refunded");
	assert_non_null(r);
	assert_non_null(strstr(log_str(r, "reason"), "never countersigned"));
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_REFUNDED);
	check_conserved(f);
	/* Bob's fulfill, asked again after the expiry (he cannot tell this
	 * from a lost acknowledgement): she answers that she reclaimed it,
	 * and takes nothing */
	uint8_t root[32], pre[32];
	root_of(&a, 1, root);
	amp_derive(root, a.share, a.child, pre, NULL);
	actions_clear(&f->a);
	fulfill(f, "c1", a.id, pre, (uint64_t)(a.cltv + CHAIN_CONFIRMATIONS) * SEC);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_RESOLVE_ACK), 1);
	assert_true(sent(f, AMPSIM__ENVELOPE__MSG_RESOLVE_ACK, 0)->resolve_ack->reclaimed);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_REFUNDED);
	check_conserved(f);
	fx_free(f);
}

static void with_a_chain_expiry_submits_a_refund(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	sign_by_name(f);
	pay_engine_configure(&f->e, &f->e.clk, f->e.seed, ALICE_HONEST, true);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 0.5, 0, 0);
	struct add a = add_of(f, 0);
	countersign(f, &a, node_bob);
	actions_clear(&f->a);
	pay_engine_block(&f->e, (uint64_t)a.cltv * SEC, NULL, 0, &f->a);
	assert_int_equal(actions_count(&f->a, ACT_CHAIN), 1);
	const struct action *c = actions_nth(&f->a, ACT_CHAIN, 0);
	assert_int_equal(c->u.chain.tx, PAY_CHAIN_REFUND);
	assert_int_equal(c->u.chain.htlc_id, a.id);
	assert_memory_equal(c->u.chain.key, a.hash, 32);
	/* not resolved until the chain confirms it */
	assert_int_equal(f->e.pays[0].parts[0].state, PART_INFLIGHT);
	struct pay_chain_seen s = { .chan = 0, .htlc_id = a.id, .claim = false, .confirm_height = a.cltv + 2 };
	actions_clear(&f->a);
	pay_engine_block(&f->e, (uint64_t)(a.cltv + 2) * SEC, &s, 1, &f->a);
	const struct evrec *r = actions_find_log(&f->a, "htlc_refunded");
	assert_non_null(r);
	assert_string_equal(log_str(r, "source"), "chain");
	assert_true(f->e.pays[0].parts[0].onchain);
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_REFUNDED);
	fx_free(f);
}

/* The chain's answer to a refund, handed in after the list: the engine
 * says what it means. What the block decided after the refund (the next
 * block's timer) comes with the answer. */
static void the_chain_answers_a_refund_after_the_list(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	sign_by_name(f);
	pay_engine_configure(&f->e, &f->e.clk, f->e.seed, ALICE_HONEST, true);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 0.5, 0, 0);
	struct add a = add_of(f, 0);
	countersign(f, &a, node_bob);
	actions_clear(&f->a);
	pay_engine_block(&f->e, (uint64_t)a.cltv * SEC, NULL, 0, &f->a);
	assert_int_equal(actions_count(&f->a, ACT_CHAIN), 1);
	assert_int_equal(actions_count(&f->a, ACT_TIMER), 0);   /* held back */
	/* a served chain that did not answer: deferred, asked again */
	actions_clear(&f->a);
	pay_engine_chain_result(&f->e, 0, a.id, CHAIN_ANSWER_UNREACHABLE, &f->a);
	const struct evrec *r = actions_find_log(&f->a, "onchain_refund_deferred");
	assert_non_null(r);
	assert_int_equal(evrec_find(r, "cltv_expiry")->v.i64, a.cltv);
	assert_int_equal(actions_count(&f->a, ACT_TIMER), 1);
	/* spent by Bob's claim: nothing to say (its preimage settles it) */
	actions_clear(&f->a);
	pay_engine_block(&f->e, (uint64_t)(a.cltv + 1) * SEC, NULL, 0, &f->a);
	assert_int_equal(actions_count(&f->a, ACT_CHAIN), 1);
	actions_clear(&f->a);
	pay_engine_chain_result(&f->e, 0, a.id, CHAIN_ANSWER_SPENT_BY_CLAIM, &f->a);
	assert_null(actions_find_log(&f->a, "onchain_refund_sent"));
	assert_null(actions_find_log(&f->a, "onchain_refund_deferred"));
	/* spent by a refund: hers (only the sender refunds), sent: said once */
	actions_clear(&f->a);
	pay_engine_block(&f->e, (uint64_t)(a.cltv + 2) * SEC, NULL, 0, &f->a);
	actions_clear(&f->a);
	pay_engine_chain_result(&f->e, 0, a.id, CHAIN_ANSWER_SPENT_BY_REFUND, &f->a);
	assert_non_null(actions_find_log(&f->a, "onchain_refund_sent"));
	actions_clear(&f->a);
	pay_engine_block(&f->e, (uint64_t)(a.cltv + 3) * SEC, NULL, 0, &f->a);
	actions_clear(&f->a);
	pay_engine_chain_result(&f->e, 0, a.id, CHAIN_ANSWER_ACCEPTED, &f->a);
	assert_null(actions_find_log(&f->a, "onchain_refund_sent"));
	fx_free(f);
}

static void a_claim_on_chain_teaches_the_preimage_and_settles_the_part(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	pay_engine_configure(&f->e, &f->e.clk, f->e.seed, ALICE_HONEST, true);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 0.5, 0, 0);
	struct add a = add_of(f, 0);
	struct pay_chain_seen s = { .chan = 0, .htlc_id = a.id, .claim = true, .confirm_height = 5 };
	amp_derive(a.share, a.share, a.child, s.preimage, NULL);
	actions_clear(&f->a);
	pay_engine_block(&f->e, 5 * SEC, &s, 1, &f->a);
	assert_non_null(actions_find_log(&f->a, "onchain_preimage_learned"));
	const struct evrec *r = actions_find_log(&f->a, "htlc_fulfilled");
	assert_non_null(r);
	assert_string_equal(log_str(r, "source"), "chain");
	assert_int_equal(f->e.pays[0].outcome, OUTCOME_SETTLED);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_RESOLVE_ACK), 0);   /* nothing to ack */
	check_conserved(f);
	fx_free(f);
}

/* ---- adversarial, connection, restart ------------------------------------- */

static void bad_share_corrupts_the_first_shard_only(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_BAD_SHARE);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 2, 0, 0);
	struct add a = add_of(f, 0), b = add_of(f, 1);
	const struct payment *p = &f->e.pays[0];
	assert_int_equal(a.share[0], p->parts[0].share[0] ^ 0x01);
	assert_memory_equal(a.share + 1, p->parts[0].share + 1, 31);
	assert_memory_equal(b.share, p->parts[1].share, 32);
	/* the hash is still the honest one: Bob cannot rebuild the root */
	assert_memory_equal(a.hash, p->parts[0].hash, 32);
	fx_free(f);
}

static void blocks_arm_the_timer_of_the_next_block(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	pay_engine_start(&f->e, 0, &f->a);
	assert_int_equal(actions_count(&f->a, ACT_TIMER), 1);
	assert_int_equal(actions_nth(&f->a, ACT_TIMER, 0)->u.timer.timer, PAY_TIMER_BLOCK);
	assert_int_equal(actions_nth(&f->a, ACT_TIMER, 0)->u.timer.at_us, SEC);
	actions_clear(&f->a);
	pay_engine_block(&f->e, 5 * SEC + 300000, NULL, 0, &f->a);
	assert_int_equal(actions_count(&f->a, ACT_TIMER), 1);
	assert_int_equal(actions_nth(&f->a, ACT_TIMER, 0)->u.timer.at_us, 6 * SEC);
	fx_free(f);
}

static void a_wrong_protocol_version_closes_the_connection(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	struct msg m;
	struct msg_init init = { .version = PROTOCOL_VERSION + 1 };
	pay_engine_connected(&f->e, false, &f->a);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_INIT), 1);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL), 1);
	actions_clear(&f->a);
	pay_engine_on_init(&f->e, msg_init(&m, &init)->init, &f->a);
	assert_int_equal(actions_count(&f->a, ACT_CLOSE), 1);
	assert_false(pay_engine_ready(&f->e));
	fx_free(f);
}

static struct payment copy_payment(const struct payment *p)
{
	struct payment c = *p;
	c.parts = malloc(p->cap * sizeof(*p->parts));
	memcpy(c.parts, p->parts, p->nparts * sizeof(*p->parts));
	return c;
}

/* What alice's store and the world keep: a payment record (pay_codec) and
 * each channel's row; a second engine loaded from them, payments first,
 * is the first one's state: the balances, the next HTLC ids, the adds
 * replayed on reestablish. */
static void a_restart_from_rows_and_records_is_the_same_state(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 2, 0, 0);
	struct add a[2] = { add_of(f, 0), add_of(f, 1) };
	uint8_t buf[4096];
	size_t len = pay_encode(&f->e.pays[0], buf, sizeof(buf));
	assert_true(len > 0 && len <= sizeof(buf));
	struct pay_chan_row rows[2];
	for (size_t i = 0; i < 2; i++)
		pay_chan_row_of(&f->e, i, &rows[i]);
	assert_int_equal(rows[0].alice, 0);          /* after its HTLC in flight */
	assert_int_equal(rows[0].next_htlc, 1);
	/* a later record rewrites the balances and the next id only */
	struct pay_chan_row later = rows[1];
	later.alice = 5;
	later.delay = 99;
	struct pay_chan_row kept = rows[1];
	pay_chan_row_update(&kept, &later);
	assert_int_equal(kept.alice, 5);
	assert_int_equal(kept.delay, rows[1].delay);

	struct fx *g = fx_new(0, 1, ALICE_HONEST);
	struct payment p;
	char why[200];
	assert_true(pay_decode(buf, len, &p, why, sizeof(why)));
	p.seq = f->e.pays[0].seq;
	pay_engine_add_payment(&g->e, &p);
	struct link_params lp;
	for (size_t i = 0; i < 2; i++)
		assert_true(pay_chan_row_load(&g->e, &rows[i], &lp, why, sizeof(why)));
	assert_true(pay_engine_restore(&g->e, why, sizeof(why)));
	check_conserved(g);
	for (size_t i = 0; i < 2; i++) {
		assert_true(amount_eq(g->e.chans[i].ledger.alice, f->e.chans[i].ledger.alice));
		assert_int_equal(g->e.chans[i].next_htlc_id, f->e.chans[i].next_htlc_id);
	}
	fx_connect(g, false, SEC);
	assert_int_equal(nsent(g, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 2);
	for (size_t i = 0; i < 2; i++)
		assert_memory_equal(add_of(g, i).hash, a[i].hash, 32);
	/* a row no alice writes */
	struct fx *h = fx_new(0, 1, ALICE_HONEST);
	rows[0].id[0] = '\0';
	assert_false(pay_chan_row_load(&h->e, &rows[0], &lp, why, sizeof(why)));
	assert_non_null(strstr(why, "its id is missing"));
	fx_free(h);
	fx_free(g);
	fx_free(f);
}

static void restore_then_reestablish_replays_the_adds_in_flight(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 2, 0, 0);
	struct add a[2] = { add_of(f, 0), add_of(f, 1) };

	/* a second engine from what the first stored: channels with the
	 * balance before their in-flight HTLCs, and the payment */
	struct fx *g = fx_new(0, 1, ALICE_HONEST);
	for (size_t i = 0; i < 2; i++) {
		struct channel_config cc;
		memset(&cc, 0, sizeof(cc));
		snprintf(cc.id, sizeof(cc.id), "%s", f->e.chans[i].ledger.id);
		cc.capacity = f->e.chans[i].ledger.capacity;
		assert_true(amount_add(&cc.alice, f->e.chans[i].ledger.alice, f->e.chans[i].ledger.inflight));
		cc.max_htlcs = MAX_HTLCS;
		cc.htlc_minimum = amount_msat(1);
		assert_int_equal(pay_engine_add_channel(&g->e, &cc), LEDGER_OK);
		g->e.chans[i].next_htlc_id = f->e.chans[i].next_htlc_id;
	}
	struct payment c = copy_payment(&f->e.pays[0]);
	pay_engine_add_payment(&g->e, &c);
	char why[200];
	assert_true(pay_engine_restore(&g->e, why, sizeof(why)));
	check_conserved(g);
	assert_int_equal(g->e.chans[0].ledger.nhtlcs, 1);
	assert_true(amount_eq(g->e.chans[0].ledger.alice, f->e.chans[0].ledger.alice));

	fx_connect(g, false, SEC);
	assert_int_equal(nsent(g, AMPSIM__ENVELOPE__MSG_REESTABLISH), 2);
	const Ampsim__Envelope *r = sent(g, AMPSIM__ENVELOPE__MSG_REESTABLISH, 0);
	assert_int_equal(r->reestablish->next_htlc_id, 1);
	assert_int_equal(r->reestablish->inflight, 1);
	assert_int_equal(nsent(g, AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC), 2);
	for (size_t i = 0; i < 2; i++) {
		struct add x = add_of(g, i);
		assert_memory_equal(x.hash, a[i].hash, 32);
		assert_int_equal(x.id, a[i].id);
		assert_int_equal(x.cltv, a[i].cltv);
	}
	const struct evrec *ev = actions_find_log(&g->a, "reestablished");
	assert_non_null(ev);
	assert_int_equal(evrec_find(ev, "adds_replayed")->v.i64, 2);
	/* and the fulfills that follow settle it */
	uint8_t root[32], pre[32];
	root_of(a, 2, root);
	for (size_t i = 0; i < 2; i++) {
		amp_derive(root, a[i].share, a[i].child, pre, NULL);
		fulfill(g, a[i].chan, a[i].id, pre, 2 * SEC);
	}
	assert_int_equal(g->e.pays[0].outcome, OUTCOME_SETTLED);
	fx_free(f);
	fx_free(g);
}

/* A stored in-flight HTLC that does not fit its channel (here: below the
 * stored channel's htlc_minimum, as in a damaged state file) is refused
 * with a reason, not taken for a bug (it aborted before). */
/* A stored payment "not started yet" with a part in flight could never
 * end: its first expiry aborted ("cannot end from new"). Refused. */
static void restore_refuses_parts_sent_for_a_payment_not_started(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 1, 2, 0);
	struct fx *g = fx_new(0, 1, ALICE_HONEST);
	for (size_t i = 0; i < 2; i++) {
		struct channel_config cc;
		memset(&cc, 0, sizeof(cc));
		snprintf(cc.id, sizeof(cc.id), "%s", f->e.chans[i].ledger.id);
		cc.capacity = f->e.chans[i].ledger.capacity;
		assert_true(amount_add(&cc.alice, f->e.chans[i].ledger.alice,
				       f->e.chans[i].ledger.inflight));
		cc.max_htlcs = MAX_HTLCS;
		cc.htlc_minimum = amount_msat(1);
		assert_int_equal(pay_engine_add_channel(&g->e, &cc), LEDGER_OK);
	}
	struct payment c = copy_payment(&f->e.pays[0]);
	c.state = PAY_NEW;
	pay_engine_add_payment(&g->e, &c);
	char why[200] = "";
	assert_false(pay_engine_restore(&g->e, why, sizeof(why)));
	assert_non_null(strstr(why, "parts were sent"));
	fx_free(f);
	fx_free(g);
}

static void restore_refuses_an_htlc_that_does_not_fit_its_channel(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 1, 2, 0);
	assert_int_equal(f->e.npays, 1);
	assert_int_equal(f->e.chans[1].ledger.nhtlcs, 1);

	struct fx *g = fx_new(0, 1, ALICE_HONEST);
	for (size_t i = 0; i < 2; i++) {
		struct channel_config cc;
		memset(&cc, 0, sizeof(cc));
		snprintf(cc.id, sizeof(cc.id), "%s", f->e.chans[i].ledger.id);
		cc.capacity = f->e.chans[i].ledger.capacity;
		assert_true(amount_add(&cc.alice, f->e.chans[i].ledger.alice,
				       f->e.chans[i].ledger.inflight));
		cc.max_htlcs = MAX_HTLCS;
		/* the second channel's minimum is above every HTLC */
		cc.htlc_minimum = i ? cc.capacity : amount_msat(1);
		assert_int_equal(pay_engine_add_channel(&g->e, &cc), LEDGER_OK);
	}
	struct payment c = copy_payment(&f->e.pays[0]);
	pay_engine_add_payment(&g->e, &c);
	char why[200] = "";
	assert_false(pay_engine_restore(&g->e, why, sizeof(why)));
	assert_non_null(strstr(why, "does not fit its channel"));
	assert_non_null(strstr(why, "p1"));
	fx_free(f);
	fx_free(g);
}

static void a_first_connection_replays_nothing(void **state)
{
	(void)state;
	struct fx *f = fx_new(2, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	assert_int_equal(nsent(f, AMPSIM__ENVELOPE__MSG_REESTABLISH), 0);
	assert_true(pay_engine_ready(&f->e));
	assert_int_equal(nlogs(&f->a, "channel_open"), 2);
	fx_free(f);
}

/* ---- the state machines ------------------------------------------------- */

static void payment_transitions_follow_the_table(void **state)
{
	(void)state;
	static const enum pay_state all[] = { PAY_NEW, PAY_DEFERRED, PAY_AWAITING_INVOICE,
					      PAY_ACTIVE, PAY_DONE };
	/* allowed[from][to] */
	static const bool allowed[5][5] = {
		/* new */      { 0, 1, 1, 1, 0 },
		/* deferred */ { 0, 0, 1, 1, 1 },
		/* awaiting */ { 0, 1, 0, 1, 0 },
		/* active */   { 0, 1, 0, 0, 1 },
		/* done */     { 0, 0, 0, 0, 0 },
	};
	/* the changes the events make: exactly the allowed ones */
	bool reached[5][5] = { { 0 } };
	for (size_t i = 0; i < 5; i++) {
		for (int e = 0; e < PAYEV_COUNT; e++) {
			struct payment p;
			struct actions a;
			memset(&p, 0, sizeof(p));
			snprintf(p.id, sizeof(p.id), "p");
			p.state = all[i];
			actions_init(&a);
			bool ok = payment_change(&p, (enum pay_event)e, FSM_OURS, &a);
			size_t j = (size_t)p.state;
			if (ok && j != i) {
				assert_true(allowed[i][j]);
				reached[i][j] = true;
			}
			/* refused: nothing changes, nothing is logged (an
			 * invariant violation is reported); a stay logs nothing */
			if (!ok)
				assert_int_equal(p.state, all[i]);
			assert_int_equal(actions_count(&a, ACT_LOG), ok && j != i ? 1 : 0);
			assert_int_equal(actions_count(&a, ACT_VIOLATION), ok ? 0 : 1);
			if (ok && j != i) {
				const struct evrec *ev = actions_find_log(&a, "payment_state");
				assert_string_equal(log_str(ev, "from"), pay_state_name(all[i]));
				assert_string_equal(log_str(ev, "trigger"),
						    fsm_event_name(&payment_machine, e));
				assert_string_equal(log_str(ev, "to"), pay_state_name(all[j]));
			}
			actions_free(&a);
		}
	}
	for (size_t i = 0; i < 5; i++) {
		for (size_t j = 0; j < 5; j++) {
			assert_int_equal(reached[i][j], allowed[i][j]);
			assert_int_equal(pay_state_allowed(all[i], all[j]), allowed[i][j]);
		}
	}
}

static void every_part_transition_is_logged(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1, ALICE_HONEST);
	fx_connect(f, false, 0);
	actions_clear(&f->a);
	pay(f, "p1", PAY_AMP, 0.5, 0, 0);
	const struct evrec *ev = actions_find_log(&f->a, "part_state");
	assert_non_null(ev);
	assert_string_equal(log_str(ev, "trigger"), "sent");
	assert_string_equal(log_str(ev, "to"), "inflight");
	assert_int_equal(evrec_find(ev, "part")->v.u64, 0);
	/* a refused part event logs nothing and changes nothing; being the
	 * engine's own (FSM_OURS), it is reported as an invariant violation
	 * (fsm_refuse: the one policy for an illegal change) */
	struct actions a;
	actions_init(&a);
	assert_false(part_change(&f->e.pays[0], 0, PEV_SENT, FSM_OURS, NULL, &a));
	assert_int_equal(actions_count(&a, ACT_LOG), 0);
	assert_int_equal(a.n, actions_count(&a, ACT_VIOLATION));
	assert_int_equal(a.n, 1);
	assert_int_equal(f->e.pays[0].parts[0].state, PART_INFLIGHT);
	actions_free(&a);
	fx_free(f);
}


/* Bob's errors: counted by code and by whether he answered our init,
 * never by their text; three in a row of a kind retrying cannot mend. */
static void refusals_are_counted_by_code_not_by_text(void **state)
{
	(void)state;
	struct fx *f = fx_new(1, 1.0, ALICE_HONEST);
	struct msg m;
	pay_engine_connected(&f->e, false, &f->a);
	/* before his init: the connection itself refused, three times */
	for (int i = 1; i <= 3; i++) {
		enum pay_refusal r = pay_engine_on_error(&f->e, msg_error(&m, "", "go away")->error);
		assert_int_equal(r, i < 3 ? PAY_REFUSAL_NONE : PAY_REFUSED_BY_BOB);
		pay_engine_disconnected(&f->e);
		pay_engine_connected(&f->e, true, &f->a);
	}
	/* his init ends the run of refusals; errors after it are not one */
	struct msg_init init = { .version = PROTOCOL_VERSION };
	pay_engine_on_init(&f->e, msg_init(&m, &init)->init, &f->a);
	assert_int_equal(f->e.refusals, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pay_engine_on_error(&f->e, msg_error(&m, "", "x")->error),
				 PAY_REFUSAL_NONE);
	/* the text alone proves nothing: only the code counts */
	for (int i = 0; i < 4; i++)
		assert_int_equal(pay_engine_on_error(&f->e, msg_error(&m, "c1",
				 "channel 'c1' belongs to another node")->error), PAY_REFUSAL_NONE);
	const Ampsim__Error *foreign;
	for (int i = 0; i < 2; i++) {
		foreign = msg_error_code(&m, "c1", AMPSIM__ERROR_CODE__ERROR_FOREIGN_CHANNEL,
					 "whatever")->error;
		assert_int_equal(pay_engine_on_error(&f->e, foreign), PAY_REFUSAL_NONE);
	}
	/* an accepted channel in between starts the count again */
	pay_engine_on_accept(&f->e, msg_accept_channel(&m, "c1")->accept_channel, 0, &f->a);
	assert_int_equal(f->e.owner_refusals, 0);
	for (int i = 1; i <= 3; i++) {
		foreign = msg_error_code(&m, "c1", AMPSIM__ERROR_CODE__ERROR_FOREIGN_CHANNEL,
					 "whatever")->error;
		assert_int_equal(pay_engine_on_error(&f->e, foreign),
				 i < 3 ? PAY_REFUSAL_NONE : PAY_REFUSED_FOREIGN_CHANNEL);
	}
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(amp_splits_over_both_channels_with_the_fewest_shards),
		cmocka_unit_test(refusals_are_counted_by_code_not_by_text),
		cmocka_unit_test(a_restart_from_rows_and_records_is_the_same_state),
		cmocka_unit_test(amp_one_shard_has_the_root_as_its_share),
		cmocka_unit_test(amp_shards_as_asked),
		cmocka_unit_test(the_add_expires_expiry_blocks_after_the_height_it_is_sent_at),
		cmocka_unit_test(the_payment_and_channel_are_persisted_in_the_list_that_sends),
		cmocka_unit_test(a_persist_carries_its_encoded_record),
		cmocka_unit_test(single_asks_bob_for_an_invoice_first),
		cmocka_unit_test(single_fails_when_no_channel_carries_the_whole_amount),
		cmocka_unit_test(mpp_parts_share_the_invoice_hash_and_the_total),
		cmocka_unit_test(invoices_mode_asks_one_invoice_per_part),
		cmocka_unit_test(a_parts_invoice_for_nothing_fails_the_part),
		cmocka_unit_test(invoices_mode_can_end_partial),
		cmocka_unit_test(mpp_ending_partial_is_an_atomicity_violation),
		cmocka_unit_test(an_invoice_for_nothing_fails_the_payment),
		cmocka_unit_test(an_invoice_after_the_timeout_fails_the_payment),
		cmocka_unit_test(an_invoice_not_signed_by_bob_fails_the_payment),
		cmocka_unit_test(a_part_that_cannot_be_sent_fails_with_a_logged_transition),
		cmocka_unit_test(fulfills_with_the_right_preimages_settle_and_are_acknowledged),
		cmocka_unit_test(finished_payments_beyond_keep_are_forgotten),
		cmocka_unit_test(forgetting_a_payment_keeps_other_parts_owners),
		cmocka_unit_test(a_fulfill_with_a_wrong_preimage_is_refused),
		cmocka_unit_test(a_fail_or_an_invoice_nobody_waits_for_is_ignored),
		cmocka_unit_test(a_fulfill_after_expiry_is_refused),
		cmocka_unit_test(a_failed_shard_is_retried_under_a_fresh_child_index),
		cmocka_unit_test(a_permanent_failure_is_not_retried),
		cmocka_unit_test(no_retry_after_the_payment_timeout),
		cmocka_unit_test(no_hash_is_ever_reused_across_payments),
		cmocka_unit_test(a_payment_waits_while_channels_are_down_and_goes_when_up),
		cmocka_unit_test(a_waiting_payment_fails_at_its_timeout),
		cmocka_unit_test(a_payment_waits_for_bob_and_goes_on_reconnection),
		cmocka_unit_test(an_htlc_is_refunded_at_its_cltv_expiry),
		cmocka_unit_test(with_a_chain_expiry_submits_a_refund),
		cmocka_unit_test(the_chain_answers_a_refund_after_the_list),
		cmocka_unit_test(an_add_carries_alice_signature_of_its_terms),
		cmocka_unit_test(without_a_countersignature_expiry_refunds_off_chain),
		cmocka_unit_test(a_claim_on_chain_teaches_the_preimage_and_settles_the_part),
		cmocka_unit_test(bad_share_corrupts_the_first_shard_only),
		cmocka_unit_test(blocks_arm_the_timer_of_the_next_block),
		cmocka_unit_test(a_wrong_protocol_version_closes_the_connection),
		cmocka_unit_test(restore_then_reestablish_replays_the_adds_in_flight),
		cmocka_unit_test(restore_refuses_an_htlc_that_does_not_fit_its_channel),
		cmocka_unit_test(restore_refuses_parts_sent_for_a_payment_not_started),
		cmocka_unit_test(a_first_connection_replays_nothing),
		cmocka_unit_test(payment_transitions_follow_the_table),
		cmocka_unit_test(every_part_transition_is_logged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* alice's durable state (--state DIR): channels with balances and the next
 * HTLC id, and every payment with its parts (amounts, hashes, shares,
 * child indexes, states). Written before Alice acts: an HTLC is stored
 * before its add is sent, a resolution before it is acknowledged. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alice.h"
#include "log.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS channels (id TEXT PRIMARY KEY, idx INTEGER, capacity INTEGER,"
	" alice INTEGER, bob INTEGER, max_htlcs INTEGER, htlc_min INTEGER, next_htlc INTEGER,"
	" delay INTEGER, jitter INTEGER, jitter_dist INTEGER, drop_p REAL, dup REAL);"
	"CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY, seq INTEGER, doc TEXT);";

bool alice_store_open(struct alice *a, const char *dir, char *err, size_t errlen)
{
	a->st = store_open(dir, "alice", schema, err, errlen);
	return a->st != NULL;
}

void alice_store_meta(struct alice *a)
{
	if (!a->st)
		return;
	store_begin(a->st);
	store_set_meta(a->st, "epoch_unix_us", (int64_t)a->clk.epoch_unix_us);
	store_set_meta(a->st, "block_interval_us", (int64_t)a->clk.block_interval_us);
	store_set_meta(a->st, "time_scale_micro", (int64_t)(a->clk.time_scale * 1e6));
	store_set_meta(a->st, "seed", (int64_t)a->seed);
	store_commit(a->st);
}

void alice_store_channel(struct alice *a, size_t chan)
{
	if (!a->st)
		return;
	const struct pay_chan *pc = &a->eng.chans[chan];
	const struct ledger *l = &pc->ledger;
	const struct link_params *lp = &pc->to_bob;
	store_run(a->st,
		  "INSERT INTO channels (id, idx, capacity, alice, bob, max_htlcs, htlc_min, next_htlc,"
		  " delay, jitter, jitter_dist, drop_p, dup) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
		  " ON CONFLICT(id) DO UPDATE SET alice = excluded.alice, bob = excluded.bob,"
		  " next_htlc = excluded.next_htlc",
		  "tiuuuiuuuuidd", l->id, (int64_t)chan, l->capacity.millisatoshis,
		  l->alice.millisatoshis, l->bob.millisatoshis, (int64_t)l->max_htlcs,
		  l->htlc_minimum.millisatoshis, pc->next_htlc_id, lp->delay_us, lp->jitter_us,
		  (int64_t)lp->jitter_dist, lp->drop, lp->duplicate);
}

static void put_hex(json_t *o, const char *k, const uint8_t *b)
{
	json_set_hex(o, k, b, AMP_LEN);
}

static bool get_hex(json_t *o, const char *k, uint8_t *out)
{
	const char *h = json_string_value(json_object_get(o, k));
	size_t n = 0;
	return h && sodium_hex2bin(out, AMP_LEN, h, strlen(h), NULL, &n, NULL) == 0 && n == AMP_LEN;
}

static json_t *payment_doc(const struct payment *p)
{
	json_t *d = json_object();
	json_set_str(d, "id", p->id);
	json_object_set_new(d, "mode", json_integer(p->mode));
	json_set_u64(d, "amount", p->amount.millisatoshis);
	json_object_set_new(d, "shards", json_integer(p->shards));
	json_object_set_new(d, "expiry_blocks", json_integer(p->expiry_blocks));
	json_set_u64(d, "deadline_us", p->deadline_us);
	put_hex(d, "set_id", p->set_id);
	json_object_set_new(d, "outcome", json_integer(p->outcome));
	json_set_str(d, "why", p->why);
	json_object_set_new(d, "bench", json_boolean(p->bench));
	json_object_set_new(d, "state", json_integer(p->state));
	put_hex(d, "inv_hash", p->inv_hash);
	put_hex(d, "inv_secret", p->inv_secret);
	json_t *parts = json_array();
	for (size_t i = 0; i < p->nparts; i++) {
		const struct part *pt = &p->parts[i];
		json_t *j = json_object();
		json_object_set_new(j, "chan", json_integer(pt->chan == SIZE_MAX ? -1 : (json_int_t)pt->chan));
		json_set_u64(j, "htlc", pt->htlc_id);
		json_set_u64(j, "amount", pt->amount.millisatoshis);
		put_hex(j, "hash", pt->hash);
		put_hex(j, "secret", pt->secret);
		put_hex(j, "share", pt->share);
		json_set_u64(j, "child", pt->child_index);
		json_object_set_new(j, "cltv", json_integer(pt->cltv_expiry));
		json_object_set_new(j, "state", json_integer(pt->state));
		json_object_set_new(j, "code", json_integer(pt->failure_code));
		json_object_set_new(j, "attempt", json_integer(pt->attempt));
		json_object_set_new(j, "have_invoice", json_boolean(pt->have_invoice));
		json_object_set_new(j, "onchain", json_boolean(pt->onchain));
		json_set_str(j, "why", pt->why);
		json_array_append_new(parts, j);
	}
	json_object_set_new(d, "parts", parts);
	return d;
}

void alice_store_payment(struct alice *a, size_t pay)
{
	if (!a->st)
		return;
	const struct payment *p = &a->eng.pays[pay];
	json_t *d = payment_doc(p);
	char *text = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	store_run(a->st, "INSERT INTO payments (id, seq, doc) VALUES (?, ?, ?)"
			 " ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
		  "tit", p->id, (int64_t)pay, text);
	free(text);
}

static void load_payment(struct payment *p, json_t *d)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", json_string_value(json_object_get(d, "id")));
	p->mode = (enum pay_mode)json_integer_value(json_object_get(d, "mode"));
	p->amount = amount_msat((uint64_t)json_integer_value(json_object_get(d, "amount")));
	p->shards = (uint32_t)json_integer_value(json_object_get(d, "shards"));
	p->expiry_blocks = (uint32_t)json_integer_value(json_object_get(d, "expiry_blocks"));
	p->deadline_us = (uint64_t)json_integer_value(json_object_get(d, "deadline_us"));
	get_hex(d, "set_id", p->set_id);
	p->outcome = (enum outcome)json_integer_value(json_object_get(d, "outcome"));
	snprintf(p->why, sizeof(p->why), "%s", json_string_value(json_object_get(d, "why")));
	p->bench = json_is_true(json_object_get(d, "bench"));
	json_int_t st = json_integer_value(json_object_get(d, "state"));
	if (st < PAY_NEW || st > PAY_DONE)
		fatal("state: payment %s has no state %lld", p->id, (long long)st);
	p->state = (enum pay_state)st;
	get_hex(d, "inv_hash", p->inv_hash);
	get_hex(d, "inv_secret", p->inv_secret);
	size_t i;
	json_t *j;
	json_array_foreach(json_object_get(d, "parts"), i, j) {
		struct part *pt = payment_new_part(p);
		json_int_t c = json_integer_value(json_object_get(j, "chan"));
		pt->chan = c < 0 ? SIZE_MAX : (size_t)c;
		pt->htlc_id = (uint64_t)json_integer_value(json_object_get(j, "htlc"));
		pt->amount = amount_msat((uint64_t)json_integer_value(json_object_get(j, "amount")));
		get_hex(j, "hash", pt->hash);
		get_hex(j, "secret", pt->secret);
		get_hex(j, "share", pt->share);
		pt->child_index = (uint32_t)json_integer_value(json_object_get(j, "child"));
		pt->cltv_expiry = (uint32_t)json_integer_value(json_object_get(j, "cltv"));
		pt->state = (enum part_state)json_integer_value(json_object_get(j, "state"));
		pt->failure_code = (uint32_t)json_integer_value(json_object_get(j, "code"));
		pt->attempt = (unsigned)json_integer_value(json_object_get(j, "attempt"));
		pt->have_invoice = json_is_true(json_object_get(j, "have_invoice"));
		pt->onchain = json_is_true(json_object_get(j, "onchain"));
		snprintf(pt->why, sizeof(pt->why), "%s", json_string_value(json_object_get(j, "why")));
	}
}

bool alice_store_load(struct alice *a)
{
	if (!a->st)
		return false;
	int64_t v;
	if (!store_get_meta(a->st, "epoch_unix_us", &v))
		return false;
	a->clk.epoch_unix_us = (uint64_t)v;
	if (store_get_meta(a->st, "block_interval_us", &v) && v > 0)
		a->clk.block_interval_us = (uint64_t)v;
	if (store_get_meta(a->st, "time_scale_micro", &v) && v > 0)
		a->clk.time_scale = (double)v / 1e6;
	if (store_get_meta(a->st, "seed", &v))
		a->seed = (uint64_t)v;

	/* payments first: the channels need their in-flight parts */
	sqlite3_stmt *q = store_query(a->st, "SELECT doc FROM payments ORDER BY seq", "");
	while (store_row(a->st, q)) {
		json_t *d = json_loads((const char *)sqlite3_column_text(q, 0), 0, NULL);
		if (!d)
			store_damaged(a->st, "a stored payment is not JSON");
		struct payment p;
		load_payment(&p, d);
		pay_engine_add_payment(&a->eng, &p);
		json_decref(d);
	}
	sqlite3_finalize(q);

	struct pay_engine *e = &a->eng;
	pay_engine_drop_channels(e);
	q = store_query(a->st, "SELECT id, capacity, alice, max_htlcs, htlc_min, next_htlc, delay,"
			" jitter, jitter_dist, drop_p, dup FROM channels ORDER BY idx", "");
	while (store_row(a->st, q) && e->nchans < ALICE_MAX_CHANNELS) {
		size_t idx = e->nchans;
		struct channel_config cc;
		memset(&cc, 0, sizeof(cc));
		snprintf(cc.id, sizeof(cc.id), "%s", (const char *)sqlite3_column_text(q, 0));
		/* the stored balance is Alice's after her in-flight HTLCs; the
		 * engine adds them back (pay_engine_restore) */
		cc.alice = amount_msat((uint64_t)sqlite3_column_int64(q, 2));
		for (size_t k = 0; k < e->npays; k++)
			for (size_t m = 0; m < e->pays[k].nparts; m++)
				if (e->pays[k].parts[m].chan == idx && e->pays[k].parts[m].state == PART_INFLIGHT)
					if (!amount_add(&cc.alice, cc.alice, e->pays[k].parts[m].amount))
						fatal("state: channel %s: in-flight amounts overflow", cc.id);
		cc.capacity = amount_msat((uint64_t)sqlite3_column_int64(q, 1));
		cc.max_htlcs = (uint32_t)sqlite3_column_int64(q, 3);
		cc.htlc_minimum = amount_msat((uint64_t)sqlite3_column_int64(q, 4));
		cc.link.delay_us = (uint64_t)sqlite3_column_int64(q, 6);
		cc.link.jitter_us = (uint64_t)sqlite3_column_int64(q, 7);
		int dist = sqlite3_column_int(q, 8);
		cc.link.jitter_dist = dist == JITTER_NORMAL ? JITTER_NORMAL
				    : dist == JITTER_PARETO ? JITTER_PARETO : JITTER_UNIFORM;
		cc.link.drop = sqlite3_column_double(q, 9);
		cc.link.duplicate = sqlite3_column_double(q, 10);
		if (pay_engine_add_channel(e, &cc) != LEDGER_OK)
			fatal("state: channel %s does not load", cc.id);
		e->chans[idx].next_htlc_id = (uint64_t)sqlite3_column_int64(q, 5);
		a->links[idx].base_out = cc.link;
	}
	sqlite3_finalize(q);
	return true;
}

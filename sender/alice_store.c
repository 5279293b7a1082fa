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
#include "pay_codec.h"
#include "proto_limits.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS channels (id TEXT PRIMARY KEY, idx INTEGER, capacity INTEGER,"
	" alice INTEGER, bob INTEGER, max_htlcs INTEGER, htlc_min INTEGER, next_htlc INTEGER,"
	" delay INTEGER, jitter INTEGER, jitter_dist INTEGER, drop_p REAL, dup REAL);"
	/* seq: the payment's place in alice's list (rows are added at the end
	 * of the table's one b-tree; ids are unique in memory). doc: a
	 * payment record (pay_codec.h); earlier versions wrote JSON */
	"CREATE TABLE IF NOT EXISTS payments (seq INTEGER PRIMARY KEY, id TEXT, doc BLOB);";

/* Bob's balance of each channel as stored (alice_store_check). */
static uint64_t stored_bob[ALICE_MAX_CHANNELS];

bool alice_store_check(struct alice *a, char *err, size_t errlen)
{
	for (size_t i = 0; i < a->eng.nchans; i++) {
		const struct ledger *l = &a->eng.chans[i].ledger;
		if (l->bob.millisatoshis != stored_bob[i]) {
			snprintf(err, errlen, "channel %s does not add up: bob %llu msat stored, %llu "
				 "by capacity - alice - in flight", l->id,
				 (unsigned long long)stored_bob[i],
				 (unsigned long long)l->bob.millisatoshis);
			return false;
		}
	}
	return true;
}

bool alice_store_open(struct alice *a, const char *dir, char *err, size_t errlen)
{
	a->st = store_open(dir, "alice", schema, err, errlen);
	if (!a->st)
		return false;
	/* a state from before payments were keyed by seq: the same rows */
	if (!store_is_key(a->st, "payments", "seq"))
		store_exec(a->st,
			   "BEGIN IMMEDIATE;"
			   "ALTER TABLE payments RENAME TO payments_by_id;"
			   "CREATE TABLE payments (seq INTEGER PRIMARY KEY, id TEXT, doc BLOB);"
			   "INSERT INTO payments SELECT ROW_NUMBER() OVER (ORDER BY seq), id, doc"
			   " FROM payments_by_id;"
			   "DROP TABLE payments_by_id;"
			   "COMMIT;");
	return true;
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

/* A channel's row: all of it the first time, what a later record
 * rewrites after that (pay_chan_row_update). */
static void store_channel(struct alice *a, const struct pay_chan_row *r)
{
	store_run(a->st,
		  "INSERT INTO channels (id, idx, capacity, alice, bob, max_htlcs, htlc_min, next_htlc,"
		  " delay, jitter, jitter_dist, drop_p, dup) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
		  " ON CONFLICT(id) DO UPDATE SET alice = excluded.alice, bob = excluded.bob,"
		  " next_htlc = excluded.next_htlc",
		  "tiuuuiuuuuidd", r->id, r->idx, r->capacity, r->alice, r->bob, r->max_htlcs,
		  r->htlc_min, r->next_htlc, r->delay, r->jitter, r->jitter_dist, r->drop, r->dup);
}

/* A payment's row: its document as the engine encoded it (pay_codec.h). */
static void store_payment(struct alice *a, uint64_t seq, const uint8_t *doc, size_t len)
{
	char id[ID_MAX];
	if (!pay_record_id(doc, len, id, sizeof(id)))
		fatal("alice store: payment #%llu: a record with no id", (unsigned long long)seq);
	store_run(a->st, "INSERT INTO payments (seq, id, doc) VALUES (?, ?, ?)"
			 " ON CONFLICT(seq) DO UPDATE SET doc = excluded.doc",
		  "utB", seq, id, doc, len);
}

void alice_store_write(void *arg, int record, size_t chan, uint64_t id, const uint8_t *bytes,
		       size_t len)
{
	struct alice *a = arg;
	(void)chan;
	struct pay_chan_row r;
	struct pay_totals_row t;
	switch ((enum pay_record)record) {
	case PAY_REC_PAYMENT:
		if (bytes)     /* none: forgotten within the turn, its row goes */
			store_payment(a, id, bytes, len);
		return;
	case PAY_REC_CHANNEL:
		if (len != sizeof(r))
			fatal("alice store: a channel record of %zu bytes", len);
		memcpy(&r, bytes, sizeof(r));
		store_channel(a, &r);
		return;
	case PAY_REC_FORGET:
		store_run(a->st, "DELETE FROM payments WHERE seq = ?", "u", id);
		return;
	case PAY_REC_TOTALS:
		if (len != sizeof(t))
			fatal("alice store: a totals record of %zu bytes", len);
		memcpy(&t, bytes, sizeof(t));
		store_set_meta(a->st, "forgotten_settled", (int64_t)t.settled);
		store_set_meta(a->st, "forgotten_failed", (int64_t)t.failed);
		store_set_meta(a->st, "forgotten_refunded", (int64_t)t.refunded);
		store_set_meta(a->st, "forgotten_partial", (int64_t)t.partial);
		return;
	}
	fatal("alice store: unknown record %d", record);
}

void alice_store_channels(struct alice *a)
{
	if (!a->st)
		return;
	struct actions acts;
	actions_init(&acts);
	pay_engine_channel_records(&a->eng, &acts);
	store_begin(a->st);
	for (size_t i = 0; i < acts.n; i++) {
		const struct act_persist *x = &acts.v[i].u.persist;
		if (acts.v[i].kind == ACT_PERSIST)
			alice_store_write(a, x->record, x->chan, x->id, x->bytes, x->len);
	}
	store_commit(a->st);
	actions_free(&acts);
}

static bool get_hex(json_t *o, const char *k, uint8_t *out)
{
	const char *h = json_string_value(json_object_get(o, k));
	size_t n = 0;
	return h && sodium_hex2bin(out, AMP_LEN, h, strlen(h), NULL, &n, NULL) == 0 && n == AMP_LEN;
}

/* A string member, or "" (printf's %s is not for NULL) */
static const char *text_or_empty(json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

/* An integer member within [0, max], as the binary records check theirs
 * (pay_codec.c); -1 if it is not. */
static json_int_t json_small(json_t *o, const char *k, json_int_t max)
{
	json_int_t v = json_integer_value(json_object_get(o, k));
	return v >= 0 && v <= max ? v : -1;
}

/* A payment row written by an earlier version, as a JSON document. Every
 * value is checked before anything is built: false + why leaves nothing
 * half-made (the caller frees the document, then refuses the state). */
static bool load_payment_json(struct alice *a, struct payment *p, json_t *d, char *why,
			      size_t whylen)
{
	const char *pid = json_string_value(json_object_get(d, "id"));
	json_t *parts = json_object_get(d, "parts");
	json_int_t st = json_integer_value(json_object_get(d, "state"));
	size_t i;
	json_t *j;
	if (!pid || !pid[0]) {
		snprintf(why, whylen, "payment %zu: a stored payment has no id", a->eng.npays + 1);
		return false;
	}
	if (json_small(d, "mode", PAY_AMP) < 0 || json_small(d, "outcome", OUTCOME_PARTIAL) < 0) {
		snprintf(why, whylen, "payment %s: its mode or outcome is out of range", pid);
		return false;
	}
	if (st < PAY_NEW || st > PAY_DONE) {
		snprintf(why, whylen, "payment %s has no state %lld", pid, (long long)st);
		return false;
	}
	if (json_array_size(parts) > MAX_HTLCS) {
		snprintf(why, whylen, "payment %s: %zu parts, more than %d", pid,
			 json_array_size(parts), MAX_HTLCS);
		return false;
	}
	json_array_foreach(parts, i, j)
		if (json_small(j, "state", PART_REFUNDED) < 0) {
			snprintf(why, whylen, "payment %s: part %zu has no state %lld", pid, i,
				 (long long)json_integer_value(json_object_get(j, "state")));
			return false;
		}
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", pid);
	p->mode = (enum pay_mode)json_integer_value(json_object_get(d, "mode"));
	p->amount = amount_msat((uint64_t)json_integer_value(json_object_get(d, "amount")));
	p->shards = (uint32_t)json_integer_value(json_object_get(d, "shards"));
	p->expiry_blocks = (uint32_t)json_integer_value(json_object_get(d, "expiry_blocks"));
	p->deadline_us = (uint64_t)json_integer_value(json_object_get(d, "deadline_us"));
	get_hex(d, "set_id", p->set_id);
	p->outcome = (enum outcome)json_integer_value(json_object_get(d, "outcome"));
	snprintf(p->why, sizeof(p->why), "%s", text_or_empty(json_object_get(d, "why")));
	p->bench = json_is_true(json_object_get(d, "bench"));
	p->state = (enum pay_state)st;
	get_hex(d, "inv_hash", p->inv_hash);
	get_hex(d, "inv_secret", p->inv_secret);
	json_array_foreach(parts, i, j) {
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
		snprintf(pt->why, sizeof(pt->why), "%s", text_or_empty(json_object_get(j, "why")));
	}
	return true;
}

/* The stored payments, in the order of their seq, into the engine. */
static void load_payments(struct alice *a)
{
	sqlite3_stmt *q = store_query(a->st, "SELECT doc, seq FROM payments ORDER BY seq", "");
	while (store_row(a->st, q)) {
		struct payment p;
		/* checked before the record is read: a refusal leaves nothing
		 * half-built */
		int64_t seq = sqlite3_column_int64(q, 1);
		if (seq <= 0 || (uint64_t)seq <= a->eng.last_seq)
			store_damaged(a->st, "payment %zu: seq %lld is not above the one before",
				      a->eng.npays + 1, (long long)seq);
		/* HTLC owners keep a seq in 48 bits (owner_map.h): 2^48 payments
		 * are more than any alice makes */
		if ((uint64_t)seq >= 1ULL << 48)
			store_damaged(a->st, "payment %zu: seq %lld is beyond any alice's count",
				      a->eng.npays + 1, (long long)seq);
		if (sqlite3_column_type(q, 0) == SQLITE_TEXT) {
			json_t *d = json_loads((const char *)sqlite3_column_text(q, 0), 0, NULL);
			if (!d)
				store_damaged(a->st, "payment %zu: a stored payment is not JSON",
					      a->eng.npays + 1);
			char why[200];
			bool ok = load_payment_json(a, &p, d, why, sizeof(why));
			json_decref(d);
			if (!ok)
				store_damaged(a->st, "%s", why);
		} else {
			char why[160];
			const uint8_t *blob = sqlite3_column_blob(q, 0);
			int len = sqlite3_column_bytes(q, 0);
			if (!blob || len <= 0 || !pay_decode(blob, (size_t)len, &p, why, sizeof(why)))
				store_damaged(a->st, "payment %zu: %s", a->eng.npays + 1,
					      blob ? why : "empty payment record");
		}
		p.seq = (uint64_t)seq;
		pay_engine_add_payment(&a->eng, &p);
	}
	sqlite3_finalize(q);

}

/* The stored channels, after the payments (their in-flight parts). */
static void load_channels(struct alice *a)
{
	struct pay_engine *e = &a->eng;
	pay_engine_drop_channels(e);
	sqlite3_stmt *q = store_query(a->st, "SELECT id, capacity, alice, max_htlcs, htlc_min, next_htlc, delay,"
			" jitter, jitter_dist, drop_p, dup, bob FROM channels ORDER BY idx", "");
	while (store_row(a->st, q) && e->nchans < ALICE_MAX_CHANNELS) {
		size_t idx = e->nchans;
		struct pay_chan_row r;
		memset(&r, 0, sizeof(r));
		const char *cid = (const char *)sqlite3_column_text(q, 0);
		snprintf(r.id, sizeof(r.id), "%s", cid && strlen(cid) < sizeof(r.id) ? cid : "");
		r.capacity = (uint64_t)sqlite3_column_int64(q, 1);
		r.alice = (uint64_t)sqlite3_column_int64(q, 2);
		r.max_htlcs = sqlite3_column_int64(q, 3);
		r.htlc_min = (uint64_t)sqlite3_column_int64(q, 4);
		r.next_htlc = (uint64_t)sqlite3_column_int64(q, 5);
		r.delay = (uint64_t)sqlite3_column_int64(q, 6);
		r.jitter = (uint64_t)sqlite3_column_int64(q, 7);
		r.jitter_dist = sqlite3_column_int(q, 8);
		r.drop = sqlite3_column_double(q, 9);
		r.dup = sqlite3_column_double(q, 10);
		char why[200];
		if (!pay_chan_row_load(e, &r, &a->links[idx].base_out, why, sizeof(why)))
			store_damaged(a->st, "%s", why);
		stored_bob[idx] = (uint64_t)sqlite3_column_int64(q, 11);
	}
	sqlite3_finalize(q);
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

	/* the outcomes of payments forgotten before: the totals start there,
	 * and the engine adds the kept ones as it restores them */
	struct { const char *key; uint64_t *v, *total; } tot[] = {
		{ "forgotten_settled", &a->eng.forgotten.settled, &a->eng.settled },
		{ "forgotten_failed", &a->eng.forgotten.failed, &a->eng.failed },
		{ "forgotten_refunded", &a->eng.forgotten.refunded, &a->eng.refunded },
		{ "forgotten_partial", &a->eng.forgotten.partial, &a->eng.partial },
	};
	for (size_t i = 0; i < sizeof(tot) / sizeof(tot[0]); i++)
		if (store_get_meta(a->st, tot[i].key, &v)) {
			if (v < 0)
				store_damaged(a->st, "%s is %lld", tot[i].key, (long long)v);
			*tot[i].v = *tot[i].total = (uint64_t)v;
		}

	/* payments first: the channels need their in-flight parts */
	load_payments(a);
	load_channels(a);
	struct pay_engine *e = &a->eng;
	/* every part on a channel that exists */
	for (size_t k = 0; k < e->npays; k++)
		for (size_t m = 0; m < e->pays[k].nparts; m++) {
			size_t c = e->pays[k].parts[m].chan;
			if (c != SIZE_MAX && c >= e->nchans)
				store_damaged(a->st, "payment %s: part %zu is on channel #%zu, which "
					      "is not in the state", e->pays[k].id, m, c);
		}
	return true;
}

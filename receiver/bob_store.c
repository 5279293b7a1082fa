/* bob's durable state (--state DIR): channels with balances, every HTLC
 * with how it ended, invoices with their preimages, settled AMP sets.
 * Everything is written before Bob acts on it: before an add is held,
 * before a fulfill or fail is sent, before an invoice is handed out. */
#include <stdio.h>
#include <string.h>

#include "bob.h"
#include "log.h"

struct resolution *bob_resolution(struct bob_chan *bc, uint64_t htlc_id, bool create)
{
	if (htlc_id >= bc->res_cap) {
		if (!create)
			return NULL;
		uint64_t cap = bc->res_cap ? bc->res_cap : 256;
		while (cap <= htlc_id)
			cap *= 2;
		bc->res = xrealloc(bc->res, cap * sizeof(*bc->res));
		memset(bc->res + bc->res_cap, 0, (cap - bc->res_cap) * sizeof(*bc->res));
		bc->res_cap = cap;
	}
	return &bc->res[htlc_id];
}

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS channels (id TEXT PRIMARY KEY, capacity INTEGER, alice INTEGER,"
	" bob INTEGER, max_htlcs INTEGER, htlc_min INTEGER, delay INTEGER, jitter INTEGER,"
	" jitter_dist INTEGER, drop_p REAL, dup REAL);"
	"CREATE TABLE IF NOT EXISTS htlcs (channel TEXT, id INTEGER, amount INTEGER, hash BLOB,"
	" cltv INTEGER, state INTEGER, preimage BLOB, code INTEGER, reason TEXT, acked INTEGER,"
	" claimed INTEGER, kind INTEGER, setkey BLOB, total INTEGER, share BLOB, child INTEGER,"
	" arrived INTEGER, PRIMARY KEY (channel, id));"
	"CREATE TABLE IF NOT EXISTS invoices (hash BLOB PRIMARY KEY, preimage BLOB, secret BLOB,"
	" amount INTEGER, paid INTEGER, created INTEGER, min_cltv INTEGER, description TEXT);"
	"CREATE TABLE IF NOT EXISTS settled_sets (setkey BLOB PRIMARY KEY);";

bool bob_store_open(struct bob *b, const char *dir, char *err, size_t errlen)
{
	b->st = store_open(dir, "bob", schema, err, errlen);
	return b->st != NULL;
}

void bob_store_meta(struct bob *b)
{
	if (!b->st)
		return;
	store_begin(b->st);
	store_set_meta(b->st, "epoch_unix_us", (int64_t)b->clk.epoch_unix_us);
	store_set_meta(b->st, "block_interval_us", (int64_t)b->clk.block_interval_us);
	store_set_meta(b->st, "time_scale_micro", (int64_t)(b->clk.time_scale * 1e6));
	store_set_meta(b->st, "seed", (int64_t)b->seed);
	store_commit(b->st);
}

void bob_store_channel(struct bob *b, const struct bob_chan *bc)
{
	if (!b->st)
		return;
	const struct ledger *l = &bc->c.ledger;
	const struct link_params *lp = &bc->c.base_out;
	store_run(b->st,
		  "INSERT INTO channels (id, capacity, alice, bob, max_htlcs, htlc_min, delay, jitter,"
		  " jitter_dist, drop_p, dup) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
		  " ON CONFLICT(id) DO UPDATE SET alice = excluded.alice, bob = excluded.bob",
		  "tuuuiuuuidd", l->id, l->capacity.millisatoshis, l->alice.millisatoshis,
		  l->bob.millisatoshis, (int64_t)l->max_htlcs, l->htlc_minimum.millisatoshis,
		  lp->delay_us, lp->jitter_us, (int64_t)lp->jitter_dist, lp->drop, lp->duplicate);
}

void bob_store_add(struct bob *b, const struct stored_htlc *h)
{
	if (!b->st)
		return;
	static const uint8_t zero[AMP_LEN];
	store_run(b->st,
		  "INSERT OR IGNORE INTO htlcs (channel, id, amount, hash, cltv, state, preimage, code,"
		  " reason, acked, claimed, kind, setkey, total, share, child, arrived)"
		  " VALUES (?,?,?,?,?,0,NULL,0,'',0,0,?,?,?,?,?,?)",
		  "tuubiibubiu", h->channel, h->htlc_id, h->amount.millisatoshis, h->hash,
		  (int64_t)h->cltv_expiry, (int64_t)h->kind, h->kind >= 0 ? h->key : zero,
		  h->total.millisatoshis, h->kind == SET_AMP ? h->share : zero, (int64_t)h->child_index,
		  h->arrived_us);
}

void bob_store_resolution(struct bob *b, const struct bob_chan *bc, uint64_t htlc_id)
{
	if (!b->st)
		return;
	const struct resolution *r = &bc->res[htlc_id];
	store_run(b->st,
		  "UPDATE htlcs SET state = ?, preimage = ?, code = ?, reason = ?, acked = ?, claimed = ?"
		  " WHERE channel = ? AND id = ?",
		  "ibitiitu", (int64_t)r->state, r->preimage, (int64_t)r->code, r->reason,
		  (int64_t)r->acked, (int64_t)r->claimed, bc->c.ledger.id, htlc_id);
}

void bob_store_invoice(struct bob *b, const struct bob_invoice *bi)
{
	if (!b->st)
		return;
	store_run(b->st,
		  "INSERT INTO invoices (hash, preimage, secret, amount, paid, created, min_cltv, description)"
		  " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(hash) DO UPDATE SET paid = excluded.paid",
		  "bbbuiiit", bi->inv.payment_hash, bi->preimage, bi->inv.payment_secret,
		  bi->inv.amount.millisatoshis, (int64_t)bi->paid, (int64_t)bi->inv.created_height,
		  (int64_t)bi->inv.min_final_cltv_expiry, bi->inv.description);
}

void bob_store_set_settled(struct bob *b, const uint8_t key[AMP_LEN])
{
	if (!b->st)
		return;
	store_run(b->st, "INSERT OR IGNORE INTO settled_sets (setkey) VALUES (?)", "b", key);
}

static struct bob_chan *chan_by_id(struct bob *b, const char *id)
{
	for (size_t i = 0; i < b->nchans; i++)
		if (strcmp(b->chans[i].c.ledger.id, id) == 0)
			return &b->chans[i];
	return NULL;
}

void bob_store_load(struct bob *b, void (*inflight)(struct bob *b, const struct stored_htlc *h))
{
	if (!b->st)
		return;
	int64_t v;
	if (store_get_meta(b->st, "epoch_unix_us", &v)) {
		b->clk.epoch_unix_us = (uint64_t)v;
		b->epoch_set = true;
		if (store_get_meta(b->st, "block_interval_us", &v) && v > 0)
			b->clk.block_interval_us = (uint64_t)v;
		if (store_get_meta(b->st, "time_scale_micro", &v) && v > 0)
			b->clk.time_scale = (double)v / 1e6;
		if (store_get_meta(b->st, "seed", &v))
			b->seed = (uint64_t)v;
	}
	/* channels: Alice's balance as if no HTLC were in flight, then the
	 * in-flight ones are added back through the ledger */
	sqlite3_stmt *q = store_query(b->st,
		"SELECT c.id, c.capacity, c.alice + COALESCE((SELECT SUM(amount) FROM htlcs h"
		" WHERE h.channel = c.id AND h.state = 0), 0), c.max_htlcs, c.htlc_min, c.delay,"
		" c.jitter, c.jitter_dist, c.drop_p, c.dup FROM channels c ORDER BY c.rowid", "");
	while (sqlite3_step(q) == SQLITE_ROW && b->nchans < BOB_MAX_CHANNELS) {
		struct bob_chan *bc = &b->chans[b->nchans];
		memset(bc, 0, sizeof(*bc));
		const char *id = (const char *)sqlite3_column_text(q, 0);
		if (ledger_init(&bc->c.ledger, id, amount_msat((uint64_t)sqlite3_column_int64(q, 1)),
				amount_msat((uint64_t)sqlite3_column_int64(q, 2)),
				(uint32_t)sqlite3_column_int64(q, 3),
				amount_msat((uint64_t)sqlite3_column_int64(q, 4))) != LEDGER_OK)
			fatal("state: channel %s does not load", id);
		struct link_params lp = { 0 };
		lp.delay_us = (uint64_t)sqlite3_column_int64(q, 5);
		lp.jitter_us = (uint64_t)sqlite3_column_int64(q, 6);
		int dist = sqlite3_column_int(q, 7);
		lp.jitter_dist = dist == JITTER_NORMAL ? JITTER_NORMAL : dist == JITTER_PARETO ? JITTER_PARETO : JITTER_UNIFORM;
		lp.drop = sqlite3_column_double(q, 8);
		lp.duplicate = sqlite3_column_double(q, 9);
		link_init(&bc->c.out, &lp, b->seed, id, "to_alice");
		bc->c.base_out = lp;
		bc->c.accepted = true;
		b->nchans++;
	}
	sqlite3_finalize(q);

	q = store_query(b->st, "SELECT hash, preimage, secret, amount, paid, created, min_cltv,"
			" description FROM invoices ORDER BY rowid", "");
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (b->ninvoices == b->invoices_cap) {
			b->invoices_cap = b->invoices_cap ? 2 * b->invoices_cap : 16;
			b->invoices = xrealloc(b->invoices, b->invoices_cap * sizeof(*b->invoices));
		}
		struct bob_invoice *bi = &b->invoices[b->ninvoices++];
		memset(bi, 0, sizeof(*bi));
		store_col32(q, 0, bi->inv.payment_hash);
		store_col32(q, 1, bi->preimage);
		store_col32(q, 2, bi->inv.payment_secret);
		bi->inv.amount = amount_msat((uint64_t)sqlite3_column_int64(q, 3));
		bi->paid = sqlite3_column_int(q, 4) != 0;
		bi->inv.created_height = (uint64_t)sqlite3_column_int64(q, 5);
		bi->inv.min_final_cltv_expiry = (uint32_t)sqlite3_column_int64(q, 6);
		snprintf(bi->inv.description, sizeof(bi->inv.description), "%s",
			 (const char *)sqlite3_column_text(q, 7));
	}
	sqlite3_finalize(q);

	q = store_query(b->st, "SELECT setkey FROM settled_sets", "");
	while (sqlite3_step(q) == SQLITE_ROW) {
		uint8_t key[AMP_LEN];
		if (store_col32(q, 0, key))
			ampset_insert_settled(&b->sets, key);
	}
	sqlite3_finalize(q);

	q = store_query(b->st, "SELECT channel, id, amount, hash, cltv, state, preimage, code, reason,"
			" acked, claimed, kind, setkey, total, share, child, arrived FROM htlcs ORDER BY rowid", "");
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct stored_htlc h;
		memset(&h, 0, sizeof(h));
		snprintf(h.channel, sizeof(h.channel), "%s", (const char *)sqlite3_column_text(q, 0));
		struct bob_chan *bc = chan_by_id(b, h.channel);
		if (!bc)
			fatal("state: HTLC on unknown channel %s", h.channel);
		h.htlc_id = (uint64_t)sqlite3_column_int64(q, 1);
		h.amount = amount_msat((uint64_t)sqlite3_column_int64(q, 2));
		store_col32(q, 3, h.hash);
		h.cltv_expiry = (uint32_t)sqlite3_column_int64(q, 4);
		int state = sqlite3_column_int(q, 5);
		chan_mark_seen(&bc->c, h.htlc_id);
		if (state == RES_NONE) {
			if (ledger_add(&bc->c.ledger, h.htlc_id, h.amount, h.hash, h.cltv_expiry) != LEDGER_OK)
				fatal("state: in-flight HTLC %s/%llu does not load", h.channel,
				      (unsigned long long)h.htlc_id);
			h.kind = sqlite3_column_int(q, 11);
			store_col32(q, 12, h.key);
			h.total = amount_msat((uint64_t)sqlite3_column_int64(q, 13));
			store_col32(q, 14, h.share);
			h.child_index = (uint32_t)sqlite3_column_int64(q, 15);
			h.arrived_us = (uint64_t)sqlite3_column_int64(q, 16);
			inflight(b, &h);
			continue;
		}
		struct resolution *r = bob_resolution(bc, h.htlc_id, true);
		r->state = (uint8_t)state;
		r->cltv_expiry = h.cltv_expiry;
		r->amount = h.amount;
		memcpy(r->hash, h.hash, AMP_LEN);
		store_col32(q, 6, r->preimage);
		r->code = (uint32_t)sqlite3_column_int64(q, 7);
		snprintf(r->reason, sizeof(r->reason), "%s", (const char *)sqlite3_column_text(q, 8));
		r->acked = sqlite3_column_int(q, 9) != 0;
		r->claimed = sqlite3_column_int(q, 10) != 0;
		if (r->state == RES_FULFILLED && !r->acked)
			bc->unacked++;
	}
	sqlite3_finalize(q);
}

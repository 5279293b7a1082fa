/* bob's durable state (--state DIR): channels with balances, every HTLC
 * with how it ended, invoices with their preimages, closed AMP sets. The
 * engine says what to write and encodes it (ACT_PERSIST records,
 * bob_engine.h, bob_codec.h); bob_act.c writes a list's records in one
 * transaction before it sends anything of it. The htlcs.state column holds enum bob_htlc_state (append-only). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bob.h"
#include "bob_codec.h"
#include "log.h"

static const char schema[] =
	/* htlc_next, htlc_done: the HTLC ids seen and those finished with
	 * (htlc_table.h; done as pairs of 8-byte little-endian [lo, hi)) */
	"CREATE TABLE IF NOT EXISTS channels (id TEXT PRIMARY KEY, capacity INTEGER, alice INTEGER,"
	" bob INTEGER, max_htlcs INTEGER, htlc_min INTEGER, delay INTEGER, jitter INTEGER,"
	" jitter_dist INTEGER, drop_p REAL, dup REAL, htlc_next INTEGER DEFAULT 0, htlc_done BLOB,"
	" owner BLOB);"
	"CREATE TABLE IF NOT EXISTS htlcs (channel TEXT, id INTEGER, amount INTEGER, hash BLOB,"
	" cltv INTEGER, state INTEGER, preimage BLOB, code INTEGER, reason TEXT, acked INTEGER,"
	" claimed INTEGER, kind INTEGER, setkey BLOB, total INTEGER, share BLOB, child INTEGER,"
	" arrived INTEGER, sigs BLOB, PRIMARY KEY (channel, id));"
	/* seq: the invoice's place in bob's list. Rows are added at the end
	 * of the table's one b-tree, and no index is kept on the random
	 * hashes (bob finds invoices in memory). */
	"CREATE TABLE IF NOT EXISTS invoices (seq INTEGER PRIMARY KEY, hash BLOB, preimage BLOB,"
	" secret BLOB, amount INTEGER, paid INTEGER, created INTEGER, min_cltv INTEGER,"
	" description TEXT);"
	/* appended in the order closed, no index on the random keys: bob
	 * keeps them in a hash set and writes each once */
	"CREATE TABLE IF NOT EXISTS settled_sets (seq INTEGER PRIMARY KEY, setkey BLOB);";

bool bob_store_open(struct bob *b, const char *dir, char *err, size_t errlen)
{
	b->st = store_open(dir, "bob", schema, err, errlen);
	if (!b->st)
		return false;
	/* a state from before invoices had seq: the same rows, renumbered
	 * in the order they were written */
	if (!store_is_key(b->st, "invoices", "seq"))
		store_exec(b->st,
			   "BEGIN IMMEDIATE;"
			   "ALTER TABLE invoices RENAME TO invoices_by_hash;"
			   "CREATE TABLE invoices (seq INTEGER PRIMARY KEY, hash BLOB, preimage BLOB,"
			   " secret BLOB, amount INTEGER, paid INTEGER, created INTEGER, min_cltv INTEGER,"
			   " description TEXT);"
			   "INSERT INTO invoices SELECT ROW_NUMBER() OVER (ORDER BY rowid), hash,"
			   " preimage, secret, amount, paid, created, min_cltv, description"
			   " FROM invoices_by_hash;"
			   "DROP TABLE invoices_by_hash;"
			   "COMMIT;");
	if (!store_has_column(b->st, "channels", "htlc_done"))
		store_exec(b->st,
			   "ALTER TABLE channels ADD COLUMN htlc_next INTEGER DEFAULT 0;"
			   "ALTER TABLE channels ADD COLUMN htlc_done BLOB;");
	/* owner: the node (BOLT #8) that opened the channel */
	if (!store_has_column(b->st, "channels", "owner"))
		store_exec(b->st, "ALTER TABLE channels ADD COLUMN owner BLOB;");
	/* sigs: an HTLC's terms signed by both (docs/protocol.md), which a
	 * state from before them lacks: with no HTLC in it, nothing is lost */
	if (!store_has_column(b->st, "htlcs", "sigs")) {
		sqlite3_stmt *q = store_query(b->st, "SELECT 1 FROM htlcs LIMIT 1", "");
		bool any = store_row(b->st, q);
		sqlite3_finalize(q);
		if (any) {
			snprintf(err, errlen, "%s: its HTLCs were kept by an ampsim whose HTLC terms "
				 "were not signed, and none of them could be spent on chain; this state "
				 "cannot be used (start bob with a new state directory)", dir);
			store_close(b->st);
			b->st = NULL;
			return false;
		}
		store_exec(b->st, "ALTER TABLE htlcs ADD COLUMN sigs BLOB;");
	}
	if (!store_is_key(b->st, "settled_sets", "seq"))
		store_exec(b->st,
			   "BEGIN IMMEDIATE;"
			   "ALTER TABLE settled_sets RENAME TO settled_sets_by_key;"
			   "CREATE TABLE settled_sets (seq INTEGER PRIMARY KEY, setkey BLOB);"
			   "INSERT INTO settled_sets (setkey) SELECT setkey FROM settled_sets_by_key;"
			   "DROP TABLE settled_sets_by_key;"
			   "COMMIT;");
	return true;
}

static void store_meta(struct bob *b, const struct bob_meta_row *row)
{
	store_set_meta(b->st, "epoch_unix_us", row->epoch_unix_us);
	store_set_meta(b->st, "block_interval_us", row->block_interval_us);
	store_set_meta(b->st, "time_scale_micro", row->time_scale_micro);
	store_set_meta(b->st, "seed", row->seed);
}

/* one row at a time when loading: a row holds a channel's finished ids
 * (64 KiB) */
static struct bob_chan_row chan_row;

static void store_channel(struct bob *b, const struct bob_chan_row *r)
{
	store_run(b->st,
		  "INSERT INTO channels (id, capacity, alice, bob, max_htlcs, htlc_min, delay, jitter,"
		  " jitter_dist, drop_p, dup, htlc_next, htlc_done, owner)"
		  " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
		  " ON CONFLICT(id) DO UPDATE SET alice = excluded.alice, bob = excluded.bob,"
		  " htlc_next = excluded.htlc_next, htlc_done = excluded.htlc_done,"
		  " owner = excluded.owner",
		  "tuuuiuuuidduBB", r->id, r->capacity, r->alice, r->bob, r->max_htlcs, r->htlc_min,
		  r->delay, r->jitter, r->jitter_dist, r->drop, r->dup, r->htlc_next, r->done,
		  r->done_len, r->owner, r->owner_len);
}

static void store_add(struct bob *b, const struct bob_htlc_row *r)
{
	store_run(b->st,
		  "INSERT OR IGNORE INTO htlcs (channel, id, amount, hash, cltv, state, preimage, code,"
		  " reason, acked, claimed, kind, setkey, total, share, child, arrived, sigs)"
		  " VALUES (?,?,?,?,?,0,NULL,0,'',0,0,?,?,?,?,?,?,?)",
		  "tuubiibubiuB", r->channel, r->id, r->amount, r->hash, r->cltv, (int64_t)r->kind,
		  r->setkey, r->total, r->share, r->child, r->arrived, r->sigs, r->nsigs);
}

static void store_htlc_state(struct bob *b, const struct bob_htlc_row *r)
{
	store_run(b->st,
		  "UPDATE htlcs SET state = ?, preimage = ?, code = ?, reason = ?, acked = ?, claimed = ?"
		  " WHERE channel = ? AND id = ?",
		  "ibitiitu", (int64_t)r->state, r->preimage, r->code, r->reason, (int64_t)r->acked,
		  (int64_t)r->claimed, r->channel, r->id);
}

static void store_invoice(struct bob *b, const struct bob_invoice_row *r)
{
	store_run(b->st,
		  "INSERT INTO invoices (seq, hash, preimage, secret, amount, paid, created, min_cltv,"
		  " description) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(seq) DO UPDATE SET paid = excluded.paid",
		  "ubbbuiiit", r->seq, r->hash, r->preimage, r->secret, r->amount, r->paid, r->created,
		  r->min_cltv, r->description);
}

/* A record's bytes as the struct its codec says they are (bob_codec.h). */
static const void *row_of(int record, const uint8_t *bytes, size_t len, size_t want)
{
	if (len < want)
		fatal("bob store: record %d of %zu bytes, less than %zu", record, len, want);
	return bytes;
}

void bob_store_write(void *arg, int record, size_t chan, uint64_t id, const uint8_t *bytes,
		     size_t len)
{
	struct bob *b = arg;
	(void)chan;
	(void)id;
	if (record == BOB_REC_CHANNEL)
		store_channel(b, row_of(record, bytes, len, bob_chan_row_len(0)));
	else if (record == BOB_REC_HTLC_STATE && bytes)   /* none: finished and forgotten since */
		store_htlc_state(b, row_of(record, bytes, len, sizeof(struct bob_htlc_row)));
	else if (record != BOB_REC_HTLC_STATE)
		fatal("bob store: record %d is not written at the end of a turn", record);
}

void bob_store_record(struct bob *b, const struct act_persist *x)
{
	if (!b->st)
		return;
	switch ((enum bob_record)x->record) {
	case BOB_REC_META:
		store_meta(b, row_of(x->record, x->bytes, x->len, sizeof(struct bob_meta_row)));
		return;
	case BOB_REC_CHANNEL:
	case BOB_REC_HTLC_STATE:
		/* the row as it stands at the end of the turn (turn.h) */
		turn_record(b->turn, x->record, x->chan, x->id, x->bytes, x->len);
		return;
	case BOB_REC_HTLC_ADD:
		if (x->bytes)   /* none: forgotten within the turn that added it */
			store_add(b, row_of(x->record, x->bytes, x->len, sizeof(struct bob_htlc_row)));
		return;
	case BOB_REC_INVOICE:
		if (x->bytes)   /* none: paid and forgotten since, its row goes */
			store_invoice(b, row_of(x->record, x->bytes, x->len,
						sizeof(struct bob_invoice_row)));
		return;
	case BOB_REC_INVOICE_FORGET:
		store_run(b->st, "DELETE FROM invoices WHERE seq = ?", "u", x->id);
		return;
	case BOB_REC_SET_CLOSED:
		store_run(b->st, "INSERT INTO settled_sets (setkey) VALUES (?)", "b",
			  (const uint8_t *)row_of(x->record, x->bytes, x->len, AMP_LEN));
		return;
	case BOB_REC_HTLC_FORGET:
		store_run(b->st, "DELETE FROM htlcs WHERE channel = ? AND id = ?", "tu",
			  (const char *)row_of(x->record, x->bytes, x->len, 1), x->id);
		return;
	}
	fatal("bob store: unknown record %d", x->record);
}

/* Bob's balance of each channel as stored: once the in-flight HTLCs are
 * back, the ledger must come to the same (capacity = alice + bob +
 * in flight), or the row was edited. */
static uint64_t stored_bob[BOB_MAX_CHANNELS];

static bool load_channels(struct bob *b, char *err, size_t errlen)
{
	/* Alice's balance as if no HTLC were in flight; the in-flight ones
	 * are added back through the ledger */
	sqlite3_stmt *q = store_query(b->st,
		"SELECT c.id, c.capacity, c.alice + COALESCE((SELECT SUM(amount) FROM htlcs h"
		" WHERE h.channel = c.id AND h.state = 0), 0), c.max_htlcs, c.htlc_min, c.delay,"
		" c.jitter, c.jitter_dist, c.drop_p, c.dup, c.htlc_next, c.htlc_done, c.owner, c.bob"
		" FROM channels c ORDER BY c.rowid", "");
	bool ok = true;
	struct bob_chan_row *r = &chan_row;
	while (ok && store_row(b->st, q)) {
		const char *id = (const char *)sqlite3_column_text(q, 0);
		memset(r, 0, offsetof(struct bob_chan_row, done));
		if (!id) {
			snprintf(err, errlen, "bob.db: channel (null) does not load");
			ok = false;
			break;
		}
		snprintf(r->id, sizeof(r->id), "%s", id);
		r->capacity = (uint64_t)sqlite3_column_int64(q, 1);
		r->max_htlcs = sqlite3_column_int64(q, 3);
		r->htlc_min = (uint64_t)sqlite3_column_int64(q, 4);
		r->delay = (uint64_t)sqlite3_column_int64(q, 5);
		r->jitter = (uint64_t)sqlite3_column_int64(q, 6);
		r->jitter_dist = sqlite3_column_int(q, 7);
		r->drop = sqlite3_column_double(q, 8);
		r->dup = sqlite3_column_double(q, 9);
		r->htlc_next = (uint64_t)sqlite3_column_int64(q, 10);
		/* the HTLC ids it has finished with: a length no row may have
		 * is kept as such, and refused */
		const uint8_t *blob = sqlite3_column_blob(q, 11);
		size_t len = (size_t)sqlite3_column_bytes(q, 11);
		r->done_len = len;
		if (len <= sizeof(r->done) && len)
			memcpy(r->done, blob, len);
		int olen = sqlite3_column_bytes(q, 12);
		r->owner_len = (size_t)olen;
		if (olen == 33)
			memcpy(r->owner, sqlite3_column_blob(q, 12), 33);
		r->bob = (uint64_t)sqlite3_column_int64(q, 13);
		char why[300];
		switch (bob_chan_row_load(&b->eng, r, (uint64_t)sqlite3_column_int64(q, 2), why,
					  sizeof(why))) {
		case BOB_ROW_OK:
			stored_bob[b->eng.nchans - 1] = r->bob;
			break;
		case BOB_ROW_DAMAGED:
			store_damaged(b->st, "%s", why);
			break;
		case BOB_ROW_BAD:
			snprintf(err, errlen, "%s", why);
			ok = false;
			break;
		}
	}
	sqlite3_finalize(q);
	return ok;
}

static void load_invoices(struct bob *b)
{
	sqlite3_stmt *q = store_query(b->st, "SELECT hash, preimage, secret, amount, paid, created,"
				      " min_cltv, description, seq FROM invoices ORDER BY seq", "");
	while (store_row(b->st, q)) {
		struct bob_invoice_row r;
		memset(&r, 0, sizeof(r));
		r.seq = (uint64_t)sqlite3_column_int64(q, 8);
		if (!store_col32(q, 0, r.hash) || !store_col32(q, 1, r.preimage) ||
		    !store_col32(q, 2, r.secret))
			store_damaged(b->st, "invoice #%llu: a hash, preimage or secret is not 32 bytes",
				      (unsigned long long)r.seq);
		r.amount = (uint64_t)sqlite3_column_int64(q, 3);
		r.paid = sqlite3_column_int(q, 4) != 0;
		r.created = sqlite3_column_int64(q, 5);
		r.min_cltv = sqlite3_column_int64(q, 6);
		const char *d = (const char *)sqlite3_column_text(q, 7);
		snprintf(r.description, sizeof(r.description), "%s", d ? d : "");
		char why[200];
		if (!bob_invoice_row_load(&b->eng, &r, why, sizeof(why)))
			store_damaged(b->st, "%s", why);
	}
	sqlite3_finalize(q);

	q = store_query(b->st, "SELECT setkey FROM settled_sets", "");
	while (store_row(b->st, q)) {
		uint8_t key[AMP_LEN];
		if (store_col32(q, 0, key))
			bob_engine_restore_set_closed(&b->eng, key);
	}
	sqlite3_finalize(q);
}

/* A 32-byte column that may also be absent (NULL or empty: zeroes). */
static bool col32_or_none(sqlite3_stmt *q, int col, uint8_t out[32])
{
	return sqlite3_column_bytes(q, col) == 0 || store_col32(q, col, out);
}

static bool load_htlcs(struct bob *b, char *err, size_t errlen)
{
	sqlite3_stmt *q = store_query(b->st, "SELECT channel, id, amount, hash, cltv, state, preimage,"
			" code, reason, acked, claimed, kind, setkey, total, share, child, arrived, sigs"
			" FROM htlcs ORDER BY rowid", "");
	bool ok = true;
	while (ok && store_row(b->st, q)) {
		struct bob_htlc_row r;
		memset(&r, 0, sizeof(r));
		const char *channel = (const char *)sqlite3_column_text(q, 0);
		snprintf(r.channel, sizeof(r.channel), "%s", channel ? channel : "");
		r.id = (uint64_t)sqlite3_column_int64(q, 1);
		r.amount = (uint64_t)sqlite3_column_int64(q, 2);
		bool blobs = store_col32(q, 3, r.hash);
		r.cltv = sqlite3_column_int64(q, 4);
		r.state = sqlite3_column_int(q, 5);
		blobs = col32_or_none(q, 6, r.preimage) && blobs;
		r.code = sqlite3_column_int64(q, 7);
		const char *reason = (const char *)sqlite3_column_text(q, 8);
		snprintf(r.reason, sizeof(r.reason), "%s", reason ? reason : "");
		r.acked = sqlite3_column_int(q, 9) != 0;
		r.claimed = sqlite3_column_int(q, 10) != 0;
		r.kind = sqlite3_column_int(q, 11);
		blobs = (r.kind < 0 ? col32_or_none(q, 12, r.setkey) : store_col32(q, 12, r.setkey)) &&
			blobs;
		r.total = (uint64_t)sqlite3_column_int64(q, 13);
		blobs = (r.kind == SET_AMP ? store_col32(q, 14, r.share)
					   : col32_or_none(q, 14, r.share)) && blobs;
		r.child = sqlite3_column_int64(q, 15);
		r.arrived = (uint64_t)sqlite3_column_int64(q, 16);
		int nsigs = sqlite3_column_bytes(q, 17);
		r.nsigs = nsigs > 0 ? (size_t)nsigs : 0;
		if (r.nsigs == sizeof(r.sigs))
			memcpy(r.sigs, sqlite3_column_blob(q, 17), sizeof(r.sigs));
		const char *why;
		if (!bob_htlc_row_load(&b->eng, &r, blobs, &why)) {
			snprintf(err, errlen, "bob.db: HTLC %s/%llu does not load: %s",
				 channel ? channel : "(null)", (unsigned long long)r.id, why);
			ok = false;
		}
	}
	sqlite3_finalize(q);
	return ok;
}

bool bob_store_load(struct bob *b, char *err, size_t errlen)
{
	int64_t v;
	if (store_get_meta(b->st, "epoch_unix_us", &v)) {
		struct bob_meta_row m = { v, 0, 0, (int64_t)b->eng.seed };
		if (!store_get_meta(b->st, "block_interval_us", &m.block_interval_us))
			m.block_interval_us = 0;
		if (!store_get_meta(b->st, "time_scale_micro", &m.time_scale_micro))
			m.time_scale_micro = 0;
		if (!store_get_meta(b->st, "seed", &m.seed))
			m.seed = (int64_t)b->eng.seed;
		bob_meta_row_load(&b->eng, &m);
	}
	if (!load_channels(b, err, errlen))
		return false;
	load_invoices(b);
	if (!load_htlcs(b, err, errlen))
		return false;
	for (size_t i = 0; i < b->eng.nchans; i++) {
		const struct ledger *l = &b->eng.chans[i].ledger;
		if (!ledger_conserves(l) || l->bob.millisatoshis != stored_bob[i]) {
			snprintf(err, errlen, "bob.db: channel %s does not add up: capacity %llu msat, "
				 "alice %llu, bob %llu stored (%llu by the ledger), %llu in flight",
				 l->id, (unsigned long long)l->capacity.millisatoshis,
				 (unsigned long long)l->alice.millisatoshis,
				 (unsigned long long)stored_bob[i],
				 (unsigned long long)l->bob.millisatoshis,
				 (unsigned long long)l->inflight.millisatoshis);
			return false;
		}
	}
	return true;
}

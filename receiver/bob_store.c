/* bob's durable state (--state DIR): channels with balances, every HTLC
 * with how it ended, invoices with their preimages, closed AMP sets. The
 * engine says what to write (ACT_PERSIST records, bob_engine.h); bob_act.c
 * writes a list's records in one transaction before it sends anything of
 * it. The htlcs.state column holds enum bob_htlc_state (append-only). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "bob.h"
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

static void store_meta(struct bob *b)
{
	const struct simclock *clk = &b->eng.clk;
	store_set_meta(b->st, "epoch_unix_us", (int64_t)clk->epoch_unix_us);
	store_set_meta(b->st, "block_interval_us", (int64_t)clk->block_interval_us);
	store_set_meta(b->st, "time_scale_micro", (int64_t)(clk->time_scale * 1e6));
	store_set_meta(b->st, "seed", (int64_t)b->eng.seed);
}

static void store_channel(struct bob *b, size_t chan)
{
	const struct bob_chan *bc = &b->eng.chans[chan];
	const struct ledger *l = &bc->ledger;
	const struct link_params *lp = &bc->base_out;
	const struct htlc_table *t = &bc->htlcs;
	static uint8_t done[HTLC_TABLE_MAX_STORED * 16];
	for (size_t i = 0; i < t->ndone; i++)
		for (int k = 0; k < 8; k++) {
			done[16 * i + (size_t)k] = (uint8_t)(t->done[i].lo >> (8 * k));
			done[16 * i + 8 + (size_t)k] = (uint8_t)(t->done[i].hi >> (8 * k));
		}
	store_run(b->st,
		  "INSERT INTO channels (id, capacity, alice, bob, max_htlcs, htlc_min, delay, jitter,"
		  " jitter_dist, drop_p, dup, htlc_next, htlc_done, owner)"
		  " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
		  " ON CONFLICT(id) DO UPDATE SET alice = excluded.alice, bob = excluded.bob,"
		  " htlc_next = excluded.htlc_next, htlc_done = excluded.htlc_done,"
		  " owner = excluded.owner",
		  "tuuuiuuuidduBB", l->id, l->capacity.millisatoshis, l->alice.millisatoshis,
		  l->bob.millisatoshis, (int64_t)l->max_htlcs, l->htlc_minimum.millisatoshis,
		  lp->delay_us, lp->jitter_us, (int64_t)lp->jitter_dist, lp->drop, lp->duplicate,
		  t->next, done, 16 * t->ndone, bc->owner, (size_t)(bc->owned ? 33 : 0));
}

static void store_add(struct bob *b, size_t chan, uint64_t id)
{
	static const uint8_t zero[AMP_LEN];
	const struct bob_htlc *h = bob_engine_htlc(&b->eng, chan, id);
	if (!h)
		return;     /* forgotten within the turn that added it */
	uint8_t sigs[2 * TERMS_SIG_LEN];
	memcpy(sigs, h->sender_sig, TERMS_SIG_LEN);
	memcpy(sigs + TERMS_SIG_LEN, h->receiver_sig, TERMS_SIG_LEN);
	store_run(b->st,
		  "INSERT OR IGNORE INTO htlcs (channel, id, amount, hash, cltv, state, preimage, code,"
		  " reason, acked, claimed, kind, setkey, total, share, child, arrived, sigs)"
		  " VALUES (?,?,?,?,?,0,NULL,0,'',0,0,?,?,?,?,?,?,?)",
		  "tuubiibubiuB", b->eng.chans[chan].ledger.id, id, h->amount.millisatoshis, h->hash,
		  (int64_t)h->cltv_expiry, (int64_t)h->kind, h->kind >= 0 ? h->key : zero,
		  h->total.millisatoshis, h->kind == SET_AMP ? h->share : zero, (int64_t)h->child_index,
		  h->arrived_us, sigs, h->signed_terms ? sizeof(sigs) : (size_t)0);
}

static void store_htlc_state(struct bob *b, size_t chan, uint64_t id)
{
	const struct bob_htlc *h = bob_engine_htlc(&b->eng, chan, id);
	if (!h)
		return;     /* finished and forgotten since: its row is gone */
	store_run(b->st,
		  "UPDATE htlcs SET state = ?, preimage = ?, code = ?, reason = ?, acked = ?, claimed = ?"
		  " WHERE channel = ? AND id = ?",
		  "ibitiitu", (int64_t)h->fsm.state, h->preimage, (int64_t)h->code, h->reason,
		  (int64_t)h->acked, (int64_t)h->claimed, b->eng.chans[chan].ledger.id, id);
}

static void store_invoice(struct bob *b, uint64_t seq)
{
	const struct bob_invoice *bi = bob_engine_invoice_by_seq(&b->eng, seq);
	if (!bi)
		return;     /* paid and forgotten since: its row goes */
	store_run(b->st,
		  "INSERT INTO invoices (seq, hash, preimage, secret, amount, paid, created, min_cltv,"
		  " description) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(seq) DO UPDATE SET paid = excluded.paid",
		  "ubbbuiiit", bi->seq, bi->inv.payment_hash, bi->preimage, bi->inv.payment_secret,
		  bi->inv.amount.millisatoshis, (int64_t)bi->paid, (int64_t)bi->inv.created_height,
		  (int64_t)bi->inv.min_final_cltv_expiry, bi->inv.description);
}

void bob_store_write(void *arg, int what, size_t chan, uint64_t id)
{
	struct bob *b = arg;
	if (what == BOB_REC_CHANNEL)
		store_channel(b, chan);
	else if (what == BOB_REC_HTLC_STATE)
		store_htlc_state(b, chan, id);
	else
		fatal("bob store: record %d is not written at the end of a turn", what);
}

void bob_store_record(struct bob *b, const struct action *a)
{
	if (!b->st)
		return;
	switch ((enum bob_record)a->what) {
	case BOB_REC_META:
		store_meta(b);
		return;
	case BOB_REC_CHANNEL:
	case BOB_REC_HTLC_STATE:
		/* the row as it stands at the end of the turn (turn.h) */
		turn_record(b->turn, a->what, a->chan, a->id);
		return;
	case BOB_REC_HTLC_ADD:
		store_add(b, a->chan, a->id);
		return;
	case BOB_REC_INVOICE:
		store_invoice(b, a->id);
		return;
	case BOB_REC_INVOICE_FORGET:
		store_run(b->st, "DELETE FROM invoices WHERE seq = ?", "u", a->id);
		return;
	case BOB_REC_SET_CLOSED:
		store_run(b->st, "INSERT INTO settled_sets (setkey) VALUES (?)", "b", a->key);
		return;
	case BOB_REC_HTLC_FORGET:
		store_run(b->st, "DELETE FROM htlcs WHERE channel = ? AND id = ?", "tu",
			  b->eng.chans[a->chan].ledger.id, a->id);
		return;
	}
	fatal("bob store: unknown record %d", a->what);
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
	while (ok && store_row(b->st, q)) {
		const char *id = (const char *)sqlite3_column_text(q, 0);
		struct link_params lp = { 0 };
		lp.delay_us = (uint64_t)sqlite3_column_int64(q, 5);
		lp.jitter_us = (uint64_t)sqlite3_column_int64(q, 6);
		int dist = sqlite3_column_int(q, 7);
		lp.jitter_dist = dist == JITTER_NORMAL ? JITTER_NORMAL : dist == JITTER_PARETO ? JITTER_PARETO : JITTER_UNIFORM;
		lp.drop = sqlite3_column_double(q, 8);
		lp.duplicate = sqlite3_column_double(q, 9);
		if (!id || !bob_engine_restore_channel(&b->eng, id,
				amount_msat((uint64_t)sqlite3_column_int64(q, 1)),
				amount_msat((uint64_t)sqlite3_column_int64(q, 2)),
				(uint32_t)sqlite3_column_int64(q, 3),
				amount_msat((uint64_t)sqlite3_column_int64(q, 4)), &lp)) {
			snprintf(err, errlen, "bob.db: channel %s does not load", id ? id : "(null)");
			ok = false;
			break;
		}
		stored_bob[b->eng.nchans - 1] = (uint64_t)sqlite3_column_int64(q, 13);
		/* the HTLC ids it has finished with */
		const uint8_t *blob = sqlite3_column_blob(q, 11);
		size_t len = (size_t)sqlite3_column_bytes(q, 11);
		static struct id_range r[HTLC_TABLE_MAX_STORED];
		size_t n = len / 16;
		if (len % 16 || n > HTLC_TABLE_MAX_STORED) {
			n = HTLC_TABLE_MAX_STORED + 1;
		} else {
			for (size_t i = 0; i < n; i++) {
				r[i].lo = r[i].hi = 0;
				for (int k = 0; k < 8; k++) {
					r[i].lo |= (uint64_t)blob[16 * i + (size_t)k] << (8 * k);
					r[i].hi |= (uint64_t)blob[16 * i + 8 + (size_t)k] << (8 * k);
				}
			}
		}
		int olen = sqlite3_column_bytes(q, 12);
		if (olen == 33)
			bob_engine_restore_owner(&b->eng, b->eng.nchans - 1, sqlite3_column_blob(q, 12));
		else if (olen != 0)
			store_damaged(b->st, "channel %s: its owner is %d bytes, not a node id", id, olen);
		if (!bob_engine_restore_finished(&b->eng, b->eng.nchans - 1,
						 (uint64_t)sqlite3_column_int64(q, 10), r, n)) {
			snprintf(err, errlen, "bob.db: channel %s: its finished HTLC ids (%zu bytes) are "
				 "not well formed", id, len);
			ok = false;
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
		struct bob_invoice bi;
		memset(&bi, 0, sizeof(bi));
		bi.seq = (uint64_t)sqlite3_column_int64(q, 8);
		uint8_t check[AMP_LEN];
		if (!store_col32(q, 0, bi.inv.payment_hash) || !store_col32(q, 1, bi.preimage) ||
		    !store_col32(q, 2, bi.inv.payment_secret))
			store_damaged(b->st, "invoice #%llu: a hash, preimage or secret is not 32 bytes",
				      (unsigned long long)bi.seq);
		crypto_hash_sha256(check, bi.preimage, AMP_LEN);
		if (memcmp(check, bi.inv.payment_hash, AMP_LEN) != 0)
			store_damaged(b->st, "invoice #%llu: its preimage does not hash to its payment hash",
				      (unsigned long long)bi.seq);
		bi.inv.amount = amount_msat((uint64_t)sqlite3_column_int64(q, 3));
		bi.paid = sqlite3_column_int(q, 4) != 0;
		bi.inv.created_height = (uint64_t)sqlite3_column_int64(q, 5);
		bi.inv.min_final_cltv_expiry = (uint32_t)sqlite3_column_int64(q, 6);
		const char *d = (const char *)sqlite3_column_text(q, 7);
		snprintf(bi.inv.description, sizeof(bi.inv.description), "%s", d ? d : "");
		if (!bob_engine_restore_invoice(&b->eng, &bi))
			store_damaged(b->st, "invoice #%llu comes after #%llu: seqs must go up",
				      (unsigned long long)bi.seq,
				      (unsigned long long)b->eng.last_invoice_seq);
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
		struct bob_htlc h;
		memset(&h, 0, sizeof(h));
		const char *channel = (const char *)sqlite3_column_text(q, 0);
		uint64_t id = (uint64_t)sqlite3_column_int64(q, 1);
		size_t chan;
		const char *why = "unknown channel";
		h.amount = amount_msat((uint64_t)sqlite3_column_int64(q, 2));
		bool blobs = store_col32(q, 3, h.hash);
		h.cltv_expiry = (uint32_t)sqlite3_column_int64(q, 4);
		h.fsm.present = true;
		bool known = htlc_state_from_stored(sqlite3_column_int(q, 5), &h.fsm.state);
		blobs = col32_or_none(q, 6, h.preimage) && blobs;
		h.code = (uint32_t)sqlite3_column_int64(q, 7);
		const char *reason = (const char *)sqlite3_column_text(q, 8);
		snprintf(h.reason, sizeof(h.reason), "%s", reason ? reason : "");
		h.acked = sqlite3_column_int(q, 9) != 0;
		h.claimed = sqlite3_column_int(q, 10) != 0;
		h.kind = sqlite3_column_int(q, 11);
		blobs = (h.kind < 0 ? col32_or_none(q, 12, h.key) : store_col32(q, 12, h.key)) && blobs;
		h.total = amount_msat((uint64_t)sqlite3_column_int64(q, 13));
		blobs = (h.kind == SET_AMP ? store_col32(q, 14, h.share) : col32_or_none(q, 14, h.share)) &&
			blobs;
		h.child_index = (uint32_t)sqlite3_column_int64(q, 15);
		h.arrived_us = (uint64_t)sqlite3_column_int64(q, 16);
		int nsigs = sqlite3_column_bytes(q, 17);
		h.signed_terms = nsigs == 2 * TERMS_SIG_LEN;
		if (h.signed_terms) {
			const uint8_t *sigs = sqlite3_column_blob(q, 17);
			memcpy(h.sender_sig, sigs, TERMS_SIG_LEN);
			memcpy(h.receiver_sig, sigs + TERMS_SIG_LEN, TERMS_SIG_LEN);
		}
		if (nsigs != 0 && !h.signed_terms)
			why = "its signed terms are not two signatures";
		else if (!known)
			why = "unknown state";
		else if (!blobs)
			why = "a hash, preimage, set key or share is not 32 bytes";
		if (!channel || !known || !blobs || (nsigs != 0 && !h.signed_terms) ||
		    !bob_engine_chan(&b->eng, channel, &chan) ||
		    !bob_engine_restore_htlc(&b->eng, chan, id, &h, &why)) {
			snprintf(err, errlen, "bob.db: HTLC %s/%llu does not load: %s",
				 channel ? channel : "(null)", (unsigned long long)id, why);
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
		struct simclock clk = b->eng.clk;
		uint64_t seed = b->eng.seed;
		clk.epoch_unix_us = (uint64_t)v;
		if (store_get_meta(b->st, "block_interval_us", &v) && v > 0)
			clk.block_interval_us = (uint64_t)v;
		if (store_get_meta(b->st, "time_scale_micro", &v) && v > 0)
			clk.time_scale = (double)v / 1e6;
		if (store_get_meta(b->st, "seed", &v))
			seed = (uint64_t)v;
		bob_engine_restore_clock(&b->eng, &clk, seed);
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

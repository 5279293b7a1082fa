#include "chain.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "chain_remote.h"
#include "chain_rules.h"
#include "events.h"
#include "log.h"
#include "store.h"

/* One of the two: the file itself, or a client of a served one. */
struct chain {
	struct store *st;
	struct chain_remote *remote;
	bool unreachable;           /* said (chain_watch), until it answers again */
};

const char *chain_kind_name(enum chain_kind k)
{
	switch (k) {
	case CHAIN_CLAIM: return "claim";
	case CHAIN_REFUND: return "refund";
	}
	return "?";
}

bool chain_spec_is_remote(const char *spec)
{
	return strncmp(spec, "tcp:", 4) == 0;
}

struct chain *chain_open(const char *path, const struct chain_client *me, char *err,
			 size_t errlen)
{
	if (chain_spec_is_remote(path)) {
		struct chain_remote *r = chain_remote_open(path + 4, me, err, errlen);
		if (!r)
			return NULL;
		struct chain *c = xcalloc(1, sizeof(*c));
		c->remote = r;
		return c;
	}
	char dir[4096], name[256];
	const char *slash = strrchr(path, '/');
	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		snprintf(name, sizeof(name), "%s", slash + 1);
	} else {
		snprintf(dir, sizeof(dir), ".");
		snprintf(name, sizeof(name), "%s", path);
	}
	size_t n = strlen(name);
	if (n > 3 && strcmp(name + n - 3, ".db") == 0)
		name[n - 3] = '\0';
	struct chain *c = xcalloc(1, sizeof(*c));
	c->st = store_open_shared(dir, name,
			   "CREATE TABLE IF NOT EXISTS spends ("
			   " channel TEXT NOT NULL, htlc INTEGER NOT NULL, kind INTEGER NOT NULL,"
			   " preimage BLOB, sent INTEGER NOT NULL, confirm INTEGER NOT NULL,"
			   " PRIMARY KEY (channel, htlc));",
			   err, errlen);
	if (c->st && !store_has_columns(c->st, "spends", "channel,htlc,kind,preimage,sent,confirm",
				       err, errlen)) {
		store_close(c->st);
		c->st = NULL;
	}
	if (!c->st) {
		free(c);
		return NULL;
	}
	return c;
}

void chain_close(struct chain *c)
{
	if (!c)
		return;
	store_close(c->st);
	chain_remote_close(c->remote);
	free(c);
}

static void row_to_tx(sqlite3_stmt *q, struct chain_tx *tx)
{
	memset(tx, 0, sizeof(*tx));
	snprintf(tx->channel, sizeof(tx->channel), "%s", (const char *)sqlite3_column_text(q, 0));
	tx->htlc_id = (uint64_t)sqlite3_column_int64(q, 1);
	tx->kind = sqlite3_column_int(q, 2) == CHAIN_CLAIM ? CHAIN_CLAIM : CHAIN_REFUND;
	store_col32(q, 3, tx->preimage);
	tx->sent_height = (uint32_t)sqlite3_column_int64(q, 4);
	tx->confirm_height = (uint32_t)sqlite3_column_int64(q, 5);
}

static bool lookup(struct chain *c, const char *channel, uint64_t htlc_id, struct chain_tx *out)
{
	sqlite3_stmt *q = store_query(c->st, "SELECT channel, htlc, kind, preimage, sent, confirm "
				      "FROM spends WHERE channel = ? AND htlc = ?", "tu", channel, htlc_id);
	bool found = store_row(c->st, q);
	if (found)
		row_to_tx(q, out);
	sqlite3_finalize(q);
	return found;
}

enum chain_submit_result chain_submit(struct chain *c, const struct chain_tx *tx,
				      const uint8_t hash[AMP_LEN], uint32_t cltv_expiry,
				      uint32_t height, struct chain_tx *winner)
{
	if (c->remote)
		return chain_remote_submit(c->remote, tx, hash, cltv_expiry, height, winner);
	/* the chain's rules (chain_rules.h). Until outputs are registered
	 * with terms both sides signed, an output's terms are what the spend
	 * names, and its spender is not known: the rules then check the HTLC
	 * script only (the preimage path before the timeout, the timeout path
	 * from it on) */
	struct chain_terms terms = { .htlc_id = tx->htlc_id, .cltv_expiry = cltv_expiry };
	struct chain_spend spend = { .htlc_id = tx->htlc_id, .named_expiry = cltv_expiry,
				     .kind = tx->kind == CHAIN_CLAIM ? CHAIN_SPEND_CLAIM
								    : CHAIN_SPEND_REFUND };
	snprintf(terms.channel, sizeof(terms.channel), "%s", tx->channel);
	snprintf(spend.channel, sizeof(spend.channel), "%s", tx->channel);
	memcpy(terms.payment_hash, hash, AMP_LEN);
	memcpy(spend.named_hash, hash, AMP_LEN);
	if (tx->kind == CHAIN_CLAIM)
		memcpy(spend.preimage, tx->preimage, AMP_LEN);
	enum chain_verdict v = chain_rule_check(&terms, &spend, height, NULL);
	if (v != CHAIN_RULE_OK) {
		log_debug("chain: %s of %s/%llu at height %u: %s", chain_kind_name(tx->kind),
			  tx->channel, (unsigned long long)tx->htlc_id, height,
			  chain_verdict_reason(v));
		return CHAIN_INVALID;
	}
	/* one transaction in the file at a time decides who spends first */
	store_begin(c->st);
	enum chain_submit_result r;
	if (lookup(c, tx->channel, tx->htlc_id, winner)) {
		r = CHAIN_SPENT;
	} else {
		store_run(c->st, "INSERT INTO spends (channel, htlc, kind, preimage, sent, confirm) "
				 "VALUES (?, ?, ?, ?, ?, ?)", "tuibii", tx->channel, tx->htlc_id,
			  (int64_t)tx->kind, tx->preimage, (int64_t)height,
			  (int64_t)height + CHAIN_CONFIRMATIONS);
		r = CHAIN_ACCEPTED;
	}
	store_commit(c->st);
	return r;
}

bool chain_confirmed(struct chain *c, const char *channel, uint64_t htlc_id, uint32_t height,
		     struct chain_tx *out)
{
	if (c->remote)
		return chain_remote_confirmed(c->remote, channel, htlc_id, height, out);
	return lookup(c, channel, htlc_id, out) && out->confirm_height <= height;
}

bool chain_reachable(struct chain *c, uint32_t height, char *why, size_t n)
{
	if (!c->remote)
		return true;
	return chain_remote_reachable(c->remote, height, why, n);
}

void chain_watch(struct chain *c, struct evlog *log, uint32_t height, uint64_t block_wall_ms)
{
	if (!c->remote)
		return;
	chain_remote_set_block(c->remote, block_wall_ms);
	char why[300] = "";
	bool ok = chain_remote_reachable(c->remote, height, why, sizeof(why));
	if (ok == !c->unreachable)
		return;
	c->unreachable = !ok;
	json_t *ev = evlog_new(log, ok ? "chain_reachable" : "chain_unreachable");
	json_set_str(ev, "chain", chain_remote_name(c->remote));
	if (!ok) {
		json_set_str(ev, "reason", why);
		log_warn("THE CHAIN IS UNREACHABLE: %s: %s. No claim or refund can be made "
			 "until it answers: it is tried again at every block",
			 chain_remote_name(c->remote), why);
	} else {
		log_info("the chain %s is reachable again", chain_remote_name(c->remote));
	}
	evlog_emit(log, ev);
}

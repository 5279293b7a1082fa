#include "chain.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "chain_remote.h"
#include "chain_rules.h"
#include "events.h"
#include "log.h"
#include "noise.h"
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
			   " channel TEXT NOT NULL, sender BLOB NOT NULL, receiver BLOB NOT NULL,"
			   " htlc INTEGER NOT NULL, kind INTEGER NOT NULL,"
			   " preimage BLOB, sent INTEGER NOT NULL, confirm INTEGER NOT NULL,"
			   " PRIMARY KEY (channel, sender, receiver, htlc));",
			   err, errlen);
	if (c->st && !store_has_columns(c->st, "spends",
				       "sender,channel,receiver,htlc,kind,preimage,sent,confirm",
				       err, errlen)) {
		/* a chain file from before outputs were named by their nodes:
		 * its spends proved nothing, and are not read as if they did */
		if (strstr(err, "has no column sender"))
			snprintf(err, errlen, "%s: a chain file whose spends name no signed terms "
				 "(from an earlier ampsim); it cannot be used: give a new chain file",
				 path);
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
	if (sqlite3_column_bytes(q, 1) == CHAIN_RULES_KEY_LEN)
		memcpy(tx->sender, sqlite3_column_blob(q, 1), CHAIN_RULES_KEY_LEN);
	if (sqlite3_column_bytes(q, 2) == CHAIN_RULES_KEY_LEN)
		memcpy(tx->receiver, sqlite3_column_blob(q, 2), CHAIN_RULES_KEY_LEN);
	tx->htlc_id = (uint64_t)sqlite3_column_int64(q, 3);
	tx->kind = sqlite3_column_int(q, 4) == CHAIN_CLAIM ? CHAIN_CLAIM : CHAIN_REFUND;
	store_col32(q, 5, tx->preimage);
	tx->sent_height = (uint32_t)sqlite3_column_int64(q, 6);
	tx->confirm_height = (uint32_t)sqlite3_column_int64(q, 7);
}

static bool lookup(struct chain *c, const struct chain_tx *which, struct chain_tx *out)
{
	sqlite3_stmt *q = store_query(c->st, "SELECT channel, sender, receiver, htlc, kind, preimage,"
				      " sent, confirm FROM spends WHERE channel = ? AND sender = ?"
				      " AND receiver = ? AND htlc = ?", "tBBu", which->channel,
				      which->sender, (size_t)CHAIN_RULES_KEY_LEN, which->receiver,
				      (size_t)CHAIN_RULES_KEY_LEN, which->htlc_id);
	bool found = store_row(c->st, q);
	if (found)
		row_to_tx(q, out);
	sqlite3_finalize(q);
	return found;
}

/* The daemons' and the served chain's check of a node's signature. */
static bool verify_node(void *ctx, const uint8_t pub[CHAIN_RULES_KEY_LEN],
			const uint8_t digest[CHAIN_RULES_HASH_LEN],
			const uint8_t sig[CHAIN_RULES_SIG_LEN])
{
	(void)ctx;
	return noise_verify(pub, digest, sig);
}

enum chain_submit_result chain_submit(struct chain *c, const struct chain_tx *tx,
				      const struct chain_proof *proof, uint32_t height,
				      struct chain_tx *winner, char *why, size_t whylen)
{
	if (c->remote)
		return chain_remote_submit(c->remote, tx, proof, height, winner, why, whylen);
	/* the output is what the proof's terms name; the chain's rules
	 * (chain_rules.h) decide whether this spend may spend it */
	struct chain_tx spend = *tx;
	const struct chain_terms *t = &proof->terms;
	snprintf(spend.channel, sizeof(spend.channel), "%s", t->channel);
	memcpy(spend.sender, t->sender, CHAIN_RULES_KEY_LEN);
	memcpy(spend.receiver, t->receiver, CHAIN_RULES_KEY_LEN);
	spend.htlc_id = t->htlc_id;
	if (spend.kind != CHAIN_CLAIM)
		memset(spend.preimage, 0, sizeof(spend.preimage));
	const struct chain_verifier verifier = { verify_node, NULL };
	enum chain_verdict v = chain_proof_check(proof, spend.kind == CHAIN_CLAIM ? CHAIN_SPEND_CLAIM
										: CHAIN_SPEND_REFUND,
						 spend.preimage, height, &verifier);
	if (v != CHAIN_RULE_OK) {
		log_debug("chain: %s of %s/%llu at height %u: %s", chain_kind_name(spend.kind),
			  spend.channel, (unsigned long long)spend.htlc_id, height,
			  chain_verdict_reason(v));
		if (why)
			snprintf(why, whylen, "%s", chain_verdict_reason(v));
		return CHAIN_INVALID;
	}
	/* one transaction in the file at a time decides who spends first */
	store_begin(c->st);
	enum chain_submit_result r;
	if (lookup(c, &spend, winner)) {
		r = CHAIN_SPENT;
	} else {
		store_run(c->st, "INSERT INTO spends (channel, sender, receiver, htlc, kind, preimage,"
				 " sent, confirm) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "tBBuibii",
			  spend.channel, spend.sender, (size_t)CHAIN_RULES_KEY_LEN, spend.receiver,
			  (size_t)CHAIN_RULES_KEY_LEN, spend.htlc_id, (int64_t)spend.kind,
			  spend.preimage, (int64_t)height, (int64_t)height + CHAIN_CONFIRMATIONS);
		r = CHAIN_ACCEPTED;
	}
	store_commit(c->st);
	return r;
}

bool chain_confirmed(struct chain *c, const struct chain_tx *which, uint32_t height,
		     struct chain_tx *out)
{
	if (c->remote)
		return chain_remote_confirmed(c->remote, which, height, out);
	return lookup(c, which, out) && out->confirm_height <= height;
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
	struct evrec r;
	evrec_init(&r, ok ? "chain_reachable" : "chain_unreachable");
	evrec_str(&r, "chain", chain_remote_name(c->remote));
	if (!ok) {
		evrec_str(&r, "reason", why);
		log_warn("THE CHAIN IS UNREACHABLE: %s: %s. No claim or refund can be made "
			 "until it answers: it is tried again at every block",
			 chain_remote_name(c->remote), why);
	} else {
		log_info("the chain %s is reachable again", chain_remote_name(c->remote));
	}
	evlog_emit_rec(log, &r);
}

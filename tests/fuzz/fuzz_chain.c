/* Fuzz target: the chain file (a damaged or hand-edited chain.db). The
 * input is either the file's bytes (first byte even) or SQL that edits a
 * chain file the daemons made (first byte odd, then the script: rows of
 * any type, tables dropped, altered or replaced by views, triggers), as
 * someone with the file at hand could. chain_open then reads it as a
 * daemon's --chain does, and the daemons' calls run on it: lookups of
 * confirmed spends, a claim and a refund submitted. A file it cannot use
 * must be refused with a reason (chain_open's error, or store_damaged),
 * never crash, abort or leak; one it takes must keep an HTLC output spent
 * once. SQLite itself is not instrumented: byte edits mutate blind inside
 * its b-trees, while the script reaches the schema and the rows. */
#include <setjmp.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "chain.h"
#include "fuzz.h"
#include "log.h"
#include "noise.h"
#include "store.h"
#include "terms.h"

const char *fuzz_name = "chain";

static char dir[64], path[128];

/* A spend of HTLC id of channel between two fixed nodes, proven as a
 * daemon proves it: terms signed by both, the spend by its owner. */
static void prove(struct chain_tx *tx, const char *channel, uint64_t id, enum chain_kind kind,
		  const uint8_t hash[32], struct chain_proof *p)
{
	uint8_t priv[2][32], node[2][33], d[32];
	memset(priv[0], 0x11, 32);
	memset(priv[1], 0x22, 32);
	for (int i = 0; i < 2; i++)
		if (noise_pubkey_from_privkey(priv[i], node[i]) != NOISE_OK)
			abort();
	memset(p, 0, sizeof(*p));
	if (!terms_fill(&p->terms, channel, id, hash, 1000, 50, node[0], node[1]))
		abort();
	chain_terms_digest(&p->terms, d);
	noise_sign(priv[0], d, p->sender_sig);
	noise_sign(priv[1], d, p->receiver_sig);
	struct chain_spend sp;
	chain_spend_make(&sp, &p->terms, kind == CHAIN_CLAIM ? CHAIN_SPEND_CLAIM : CHAIN_SPEND_REFUND,
			 tx->preimage, NULL);
	chain_spend_digest(&sp, d);
	noise_sign(priv[kind == CHAIN_CLAIM], d, p->spend_sig);
	tx->kind = kind;
	snprintf(tx->channel, sizeof(tx->channel), "%s", channel);
	memcpy(tx->sender, node[0], 33);
	memcpy(tx->receiver, node[1], 33);
	tx->htlc_id = id;
}

static size_t seed_file(struct fuzz_seed *s, int spends, bool keep);
static void seed_file_made(struct fuzz_seed *s)
{
	seed_file(s, 3, true);
}

static jmp_buf damaged;
static void on_damaged(const char *what)
{
	if (!what[0])
		abort();      /* a refusal says why */
	longjmp(damaged, 1);
}

static void remove_files(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[160];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

static void cleanup(void)
{
	remove_files();
	rmdir(dir);
}

static void setup(void)
{
	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "%s/ampsim-fuzz-chain-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/chain.db", dir);
	atexit(cleanup);
}

static void write_file(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
}

/* The edits a script may make: rows and schema of the file, nothing
 * outside it (no ATTACH, no VACUUM INTO, no PRAGMA). */
static int only_this_file(void *ctx, int action, const char *a, const char *b, const char *db,
			  const char *trigger)
{
	(void)ctx;
	(void)a;
	(void)b;
	(void)db;
	(void)trigger;
	switch (action) {
	case SQLITE_ATTACH:
	case SQLITE_DETACH:
	case SQLITE_PRAGMA:
		return SQLITE_DENY;
	default:
		return SQLITE_OK;
	}
}

static void edit_file(const uint8_t *data, size_t size)
{
	char *sql = malloc(size + 1);
	memcpy(sql, data, size);
	sql[size] = '\0';
	for (char *c = sql; *c; c++)     /* VACUUM INTO writes another file */
		if (strncasecmp(c, "vacuum", 6) == 0)
			memcpy(c, "------", 6);
	/* the file the daemons made, once (its bytes written each time) */
	static struct fuzz_seed made;
	if (!made.data)
		seed_file_made(&made);
	write_file(made.data, made.len);
	sqlite3 *db;
	if (sqlite3_open(path, &db) == SQLITE_OK) {
		sqlite3_set_authorizer(db, only_this_file, NULL);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	sqlite3_close(db);
	free(sql);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_quiet(true);
	setup();
	store_on_damaged(on_damaged);
	remove_files();
	if (size && data[0] % 2)
		edit_file(data + 1, size - 1);
	else
		write_file(data, size);
	char err[512] = "";
	struct chain *volatile c = NULL;
	if (setjmp(damaged) == 0) {
		c = chain_open(path, NULL, err, sizeof(err));
		if (!c) {
			if (!err[0])
				abort();      /* refused without a reason */
		} else {
			struct chain_tx tx, w;
			struct chain_proof p;
			uint8_t pre[32], hash[32];
			memset(pre, 0x42, 32);
			crypto_hash_sha256(hash, pre, 32);
			memset(&tx, 0, sizeof(tx));
			for (uint64_t id = 0; id < 3; id++) {
				prove(&tx, "c1", id, CHAIN_CLAIM, hash, &p);
				if (chain_confirmed(c, &tx, 100, &w) &&
				    (w.kind != CHAIN_CLAIM && w.kind != CHAIN_REFUND))
					abort();
			}
			memcpy(tx.preimage, pre, 32);
			prove(&tx, "c1", 7, CHAIN_CLAIM, hash, &p);
			enum chain_submit_result r1 = chain_submit(c, &tx, &p, 10, &w, NULL, 0);
			prove(&tx, "c1", 7, CHAIN_REFUND, hash, &p);
			enum chain_submit_result r2 = chain_submit(c, &tx, &p, 60, &w, NULL, 0);
			/* an output is spent once: after any first spend, the refund
			 * finds it spent */
			if (r1 == CHAIN_ACCEPTED && r2 != CHAIN_SPENT)
				abort();
		}
	}
	chain_close(c);
	remove_files();
	return 0;
}

/* A chain file as the daemons leave it, with small pages (512 bytes)
 * so the fuzzer's edits land on structure rather than free space. */
static size_t seed_file(struct fuzz_seed *s, int spends, bool keep)
{
	remove_files();
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA page_size=512; VACUUM;", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	sqlite3_close(db);
	char err[256];
	struct chain *c = chain_open(path, NULL, err, sizeof(err));
	if (!c)
		abort();
	uint8_t pre[32], hash[32];
	memset(pre, 0x42, 32);
	crypto_hash_sha256(hash, pre, 32);
	for (int i = 0; i < spends; i++) {
		struct chain_tx tx, w;
		struct chain_proof p;
		memset(&tx, 0, sizeof(tx));
		memcpy(tx.preimage, pre, 32);
		prove(&tx, i % 2 ? "c2" : "c1", (uint64_t)i, i % 3 == 2 ? CHAIN_REFUND : CHAIN_CLAIM,
		      hash, &p);
		if (chain_submit(c, &tx, &p, tx.kind == CHAIN_CLAIM ? 10 : 60, &w, NULL, 0) !=
		    CHAIN_ACCEPTED)
			abort();
	}
	chain_close(c);
	FILE *f = fopen(path, "rb");
	if (!f)
		abort();
	static uint8_t buf[1 << 16];
	s->len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	s->data = malloc(s->len);
	memcpy(s->data, buf, s->len);
	if (!keep)
		remove_files();
	return 1;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	setup();
	size_t n = 0;
	n += seed_file(&seeds[n], 0, false);
	n += seed_file(&seeds[n], 3, false);
	/* edits of a file made with three spends */
	static const char *const edits[] = {
		"INSERT INTO spends VALUES ('c1', 7, 0, x'42', 5, 7);",
		"UPDATE spends SET kind = 9, preimage = NULL, sent = 'x' WHERE htlc = 1;",
		"DROP TABLE spends; CREATE TABLE spends (channel, htlc, kind, preimage, sent, confirm, x NOT NULL);",
		"CREATE TRIGGER t BEFORE INSERT ON spends BEGIN SELECT RAISE(ABORT, 'no'); END;",
		"ALTER TABLE spends RENAME TO s2; CREATE VIEW spends AS SELECT * FROM s2;",
		"ALTER TABLE spends DROP COLUMN preimage;",
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]) && n < max; i++) {
		seeds[n].len = 1 + strlen(edits[i]);
		seeds[n].data = malloc(seeds[n].len);
		seeds[n].data[0] = 1;
		memcpy(seeds[n].data + 1, edits[i], seeds[n].len - 1);
		n++;
	}
	return n;
}

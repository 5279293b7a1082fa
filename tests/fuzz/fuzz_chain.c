/* Fuzz target: the chain file (a damaged or hand-edited chain.db). The
 * input is the file's bytes; chain_open reads it as a daemon's --chain
 * does, then the daemons' calls run on it: lookups of confirmed spends,
 * a claim and a refund submitted. A file it cannot use must be refused
 * with a reason (chain_open's error, or store_damaged), never crash,
 * abort or leak; one it takes must keep an HTLC output spent once. */
#include <setjmp.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "fuzz.h"
#include "log.h"
#include "store.h"

const char *fuzz_name = "chain";

static char dir[64], path[128];

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_quiet(true);
	setup();
	store_on_damaged(on_damaged);
	remove_files();
	write_file(data, size);
	char err[512] = "";
	struct chain *volatile c = NULL;
	if (setjmp(damaged) == 0) {
		c = chain_open(path, err, sizeof(err));
		if (!c) {
			if (!err[0])
				abort();      /* refused without a reason */
		} else {
			struct chain_tx tx, w;
			for (uint64_t id = 0; id < 3; id++) {
				if (chain_confirmed(c, "c1", id, 100, &w) &&
				    (w.kind != CHAIN_CLAIM && w.kind != CHAIN_REFUND))
					abort();
			}
			uint8_t pre[32], hash[32];
			memset(pre, 0x42, 32);
			crypto_hash_sha256(hash, pre, 32);
			memset(&tx, 0, sizeof(tx));
			snprintf(tx.channel, sizeof(tx.channel), "c1");
			tx.htlc_id = 7;
			tx.kind = CHAIN_CLAIM;
			memcpy(tx.preimage, pre, 32);
			enum chain_submit_result r1 = chain_submit(c, &tx, hash, 50, 10, &w);
			tx.kind = CHAIN_REFUND;
			enum chain_submit_result r2 = chain_submit(c, &tx, hash, 50, 60, &w);
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
static size_t seed_file(struct fuzz_seed *s, int spends)
{
	remove_files();
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA page_size=512; VACUUM;", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	sqlite3_close(db);
	char err[256];
	struct chain *c = chain_open(path, err, sizeof(err));
	if (!c)
		abort();
	uint8_t pre[32], hash[32];
	memset(pre, 0x42, 32);
	crypto_hash_sha256(hash, pre, 32);
	for (int i = 0; i < spends; i++) {
		struct chain_tx tx, w;
		memset(&tx, 0, sizeof(tx));
		snprintf(tx.channel, sizeof(tx.channel), "c%d", 1 + i % 2);
		tx.htlc_id = (uint64_t)i;
		tx.kind = i % 3 == 2 ? CHAIN_REFUND : CHAIN_CLAIM;
		memcpy(tx.preimage, pre, 32);
		chain_submit(c, &tx, hash, 50, tx.kind == CHAIN_CLAIM ? 10 : 60, &w);
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
	remove_files();
	return 1;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	(void)max;
	setup();
	size_t n = 0;
	n += seed_file(&seeds[n], 0);
	n += seed_file(&seeds[n], 3);
	return n;
}

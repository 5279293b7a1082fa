/* Fuzz target: bob's stored rows (a damaged or hand-edited bob.db). The
 * input is rows (rows.h) for bob's tables, built into an in-memory store
 * with bob's schema; then his loader (receiver/bob_store.c) runs, as at a
 * restart. It must refuse a state it cannot use, with a reason (its error,
 * or store_damaged), and never crash, abort or leak; a state it accepts
 * must resume and take a block with every channel conserving its balances
 * and no invariant violation. */
#include <setjmp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bob.h"
#include "fuzz.h"
#include "log.h"
#include "rows.h"

const char *fuzz_name = "bob_store";

static const char *const meta_cols[] = { "key", "value" };
static const char *const chan_cols[] = { "id", "capacity", "alice", "bob", "max_htlcs",
	"htlc_min", "delay", "jitter", "jitter_dist", "drop_p", "dup", "htlc_next", "htlc_done",
	"owner" };
static const char *const htlc_cols[] = { "channel", "id", "amount", "hash", "cltv", "state",
	"preimage", "code", "reason", "acked", "claimed", "kind", "setkey", "total", "share",
	"child", "arrived" };
static const char *const inv_cols[] = { "seq", "hash", "preimage", "secret", "amount", "paid",
	"created", "min_cltv", "description" };
static const char *const set_cols[] = { "seq", "setkey" };
#define T(n, c) { n, c, sizeof(c) / sizeof(c[0]) }
static const struct rows_table tables[] = {
	T("meta", meta_cols), T("channels", chan_cols), T("htlcs", htlc_cols),
	T("invoices", inv_cols), T("settled_sets", set_cols),
};
enum { META, CHANNELS, HTLCS, INVOICES, SETS };

static jmp_buf damaged;
static void on_damaged(const char *what)
{
	if (!what[0])
		abort();      /* a refusal says why */
	longjmp(damaged, 1);
}

static void check(struct bob_engine *e, struct actions *out)
{
	if (actions_count(out, ACT_VIOLATION))
		abort();
	for (size_t i = 0; i < e->nchans; i++)
		if (!ledger_conserves(&e->chans[i].ledger))
			abort();
	actions_clear(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_quiet(true);
	store_on_damaged(on_damaged);
	static struct bob b;   /* large: not on the stack */
	memset(&b, 0, sizeof(b));
	struct bob_config cfg = { .hold_us = 60 * FUZZ_SEC, .final_cltv_delta = 18,
				  .behaviour = BOB_HONEST, .random = fuzz_fixed_random };
	bob_engine_init(&b.eng, &cfg);
	b.eng.clk.block_interval_us = FUZZ_SEC;
	b.eng.clk.time_scale = 1;
	char err[512] = "";
	struct actions out;
	actions_init(&out);
	if (!bob_store_open(&b, NULL, err, sizeof(err)))
		abort();
	rows_insert(b.st, tables, sizeof(tables) / sizeof(tables[0]), data, size);
	if (setjmp(damaged) == 0) {
		if (bob_store_load(&b, err, sizeof(err))) {
			bob_engine_resume(&b.eng, 10 * FUZZ_SEC, &out);
			check(&b.eng, &out);
			bob_engine_block(&b.eng, 20 * FUZZ_SEC, &out);
			check(&b.eng, &out);
		} else if (!err[0]) {
			abort();      /* refused without a reason */
		}
	}
	actions_free(&out);
	store_close(b.st);
	bob_engine_free(&b.eng);
	return 0;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	(void)max;
	size_t n = 0;
	static struct rows_buf r;
	uint8_t pre[32], hash[32], secret[32], key[32], owner[33];
	memset(pre, 0x42, 32);
	crypto_hash_sha256(hash, pre, 32);
	memset(secret, 0x42, 32);
	memset(key, 0x5e, 32);
	memset(owner, 0x02, 33);
	uint8_t done[32] = { 0 };
	done[8] = 2;    /* ids [0, 2) finished */

	/* a state as bob writes it: clock, two channels, an invoice, a held
	 * HTLC, a fulfilled one, a closed set */
	memset(&r, 0, sizeof(r));
	static const char *const metas[] = { "epoch_unix_us", "block_interval_us",
					     "time_scale_micro", "seed" };
	static const int64_t metav[] = { 1700000000000000LL, 1000000, 1000000, 7 };
	for (int i = 0; i < 4; i++) {
		rows_put_table(&r, META);
		rows_put_text(&r, metas[i]);
		rows_put_int(&r, metav[i]);
	}
	for (int c = 0; c < 2; c++) {
		rows_put_table(&r, CHANNELS);
		rows_put_text(&r, c ? "c2" : "c1");
		rows_put_int(&r, (int64_t)FUZZ_BTC);
		rows_put_int(&r, (int64_t)FUZZ_BTC / 2);
		rows_put_int(&r, (int64_t)FUZZ_BTC / 2);
		rows_put_int(&r, 483);
		rows_put_int(&r, 1);
		rows_put_int(&r, 20000);
		rows_put_int(&r, 0);
		rows_put_int(&r, 0);
		rows_put_real(&r, 0);
		rows_put_real(&r, 0);
		rows_put_int(&r, c ? 0 : 4);
		if (c)
			rows_put_null(&r);
		else
			rows_put_blob(&r, done, 16);
		rows_put_blob(&r, owner, 33);
	}
	rows_put_table(&r, INVOICES);
	rows_put_int(&r, 1);
	rows_put_blob(&r, hash, 32);
	rows_put_blob(&r, pre, 32);
	rows_put_blob(&r, secret, 32);
	rows_put_int(&r, (int64_t)FUZZ_BTC / 4);
	rows_put_int(&r, 0);
	rows_put_int(&r, 3);
	rows_put_int(&r, 18);
	rows_put_text(&r, "coffee");
	for (int h = 2; h < 4; h++) {
		rows_put_table(&r, HTLCS);
		rows_put_text(&r, "c1");
		rows_put_int(&r, h);
		rows_put_int(&r, (int64_t)FUZZ_BTC / 8);
		rows_put_blob(&r, hash, 32);
		rows_put_int(&r, 60);
		rows_put_int(&r, h == 2 ? 0 : 1);
		if (h == 2)
			rows_put_null(&r);
		else
			rows_put_blob(&r, pre, 32);
		rows_put_int(&r, 0);
		rows_put_text(&r, "");
		rows_put_int(&r, 0);
		rows_put_int(&r, 0);
		rows_put_int(&r, SET_MPP);
		rows_put_blob(&r, hash, 32);
		rows_put_int(&r, (int64_t)FUZZ_BTC / 4);
		rows_put_blob(&r, key, 32);
		rows_put_int(&r, 0);
		rows_put_int(&r, 5 * (int64_t)FUZZ_SEC);
	}
	rows_put_table(&r, SETS);
	rows_put_int(&r, 1);
	rows_put_blob(&r, key, 32);
	n += rows_seed(&seeds[n], &r);

	/* an AMP part held on c2 with no invoice */
	memset(&r, 0, sizeof(r));
	rows_put_table(&r, CHANNELS);
	rows_put_text(&r, "c2");
	rows_put_int(&r, (int64_t)FUZZ_BTC);
	rows_put_int(&r, (int64_t)FUZZ_BTC);
	rows_put_int(&r, 0);
	rows_put_int(&r, 30);
	rows_put_int(&r, 1000);
	rows_put_int(&r, 0);
	rows_put_int(&r, 5000);
	rows_put_int(&r, 1);
	rows_put_real(&r, 0.1);
	rows_put_real(&r, 0.05);
	rows_put_int(&r, 0);
	rows_put_null(&r);
	rows_put_null(&r);
	rows_put_table(&r, HTLCS);
	rows_put_text(&r, "c2");
	rows_put_int(&r, 0);
	rows_put_int(&r, (int64_t)FUZZ_BTC / 2);
	rows_put_blob(&r, hash, 32);
	rows_put_int(&r, 40);
	rows_put_int(&r, 0);
	rows_put_null(&r);
	rows_put_int(&r, 0);
	rows_put_text(&r, "");
	rows_put_int(&r, 0);
	rows_put_int(&r, 0);
	rows_put_int(&r, SET_AMP);
	rows_put_blob(&r, key, 32);
	rows_put_int(&r, (int64_t)FUZZ_BTC);
	rows_put_blob(&r, secret, 32);
	rows_put_int(&r, 3);
	rows_put_int(&r, 0);
	n += rows_seed(&seeds[n], &r);
	return n;
}

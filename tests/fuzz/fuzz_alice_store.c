/* Fuzz target: alice's stored rows (a damaged or hand-edited alice.db).
 * The input is rows (rows.h) for alice's tables: meta, channels, and
 * payments whose doc is a payment record (pay_codec.h) or, as earlier
 * versions wrote it, JSON text. They are built into an in-memory store
 * with alice's schema and her loader (sender/alice_store.c) runs, as at a
 * restart. It must refuse a state it cannot use with a reason
 * (store_damaged), never crash, abort or leak; a state it accepts must
 * restore, reconnect and take a block with every channel conserving its
 * balances. */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "alice.h"
#include "fuzz.h"
#include "log.h"
#include "pay_codec.h"
#include "rows.h"

const char *fuzz_name = "alice_store";

static const char *const meta_cols[] = { "key", "value" };
static const char *const chan_cols[] = { "id", "idx", "capacity", "alice", "bob", "max_htlcs",
	"htlc_min", "next_htlc", "delay", "jitter", "jitter_dist", "drop_p", "dup" };
static const char *const pay_cols[] = { "seq", "id", "doc" };
#define T(n, c) { n, c, sizeof(c) / sizeof(c[0]) }
static const struct rows_table tables[] = {
	T("meta", meta_cols), T("channels", chan_cols), T("payments", pay_cols),
};
enum { META, CHANNELS, PAYMENTS };

static jmp_buf damaged;
static void on_damaged(const char *what)
{
	if (!what[0])
		abort();      /* a refusal says why */
	longjmp(damaged, 1);
}

static void check(struct pay_engine *e, struct actions *out)
{
	for (size_t i = 0; i < e->nchans; i++)
		if (!ledger_conserves(&e->chans[i].ledger))
			abort();
	actions_clear(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_quiet(true);
	store_on_damaged(on_damaged);
	static struct alice a;   /* large: not on the stack */
	memset(&a, 0, sizeof(a));
	a.clk.block_interval_us = FUZZ_SEC;
	a.clk.time_scale = 1;
	struct pay_rand r = { fuzz_fixed_random, NULL };
	pay_engine_init(&a.eng, &a.clk, 7, ALICE_HONEST, &r);
	char err[512] = "";
	struct actions out;
	actions_init(&out);
	if (!alice_store_open(&a, NULL, err, sizeof(err)))
		abort();
	rows_insert(a.st, tables, sizeof(tables) / sizeof(tables[0]), data, size);
	if (setjmp(damaged) == 0 && alice_store_load(&a)) {
		pay_engine_configure(&a.eng, &a.clk, a.seed, ALICE_HONEST, false);
		if (!pay_engine_restore(&a.eng, err, sizeof(err)) ||
		    !alice_store_check(&a, err, sizeof(err))) {
			if (!err[0])
				abort();      /* refused without a reason */
			goto done;
		}
		check(&a.eng, &out);
		pay_engine_connected(&a.eng, true, &out);
		check(&a.eng, &out);
		pay_engine_block(&a.eng, 30 * FUZZ_SEC, NULL, 0, &out);
		check(&a.eng, &out);
	}
done:
	actions_free(&out);
	store_close(a.st);
	pay_engine_free(&a.eng);
	return 0;
}

static void put_payment(struct rows_buf *r, int64_t seq, const struct payment *p)
{
	uint8_t buf[4096];
	size_t len = pay_encode(p, buf, sizeof(buf));
	rows_put_table(r, PAYMENTS);
	rows_put_int(r, seq);
	rows_put_text(r, p->id);
	rows_put_blob(r, buf, len);
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	(void)max;
	size_t n = 0;
	static struct rows_buf r;
	memset(&r, 0, sizeof(r));
	static const char *const metas[] = { "epoch_unix_us", "block_interval_us",
		"time_scale_micro", "seed", "forgotten_settled", "forgotten_failed" };
	static const int64_t metav[] = { 1700000000000000LL, 1000000, 1000000, 7, 3, 1 };
	for (int i = 0; i < 6; i++) {
		rows_put_table(&r, META);
		rows_put_text(&r, metas[i]);
		rows_put_int(&r, metav[i]);
	}
	for (int c = 0; c < 2; c++) {
		rows_put_table(&r, CHANNELS);
		rows_put_text(&r, c ? "c2" : "c1");
		rows_put_int(&r, c);
		rows_put_int(&r, (int64_t)FUZZ_BTC);
		rows_put_int(&r, (int64_t)FUZZ_BTC / 2);
		rows_put_int(&r, (int64_t)FUZZ_BTC / 2);
		rows_put_int(&r, 483);
		rows_put_int(&r, 1);
		rows_put_int(&r, 3);
		rows_put_int(&r, 20000);
		rows_put_int(&r, c ? 5000 : 0);
		rows_put_int(&r, c);
		rows_put_real(&r, 0);
		rows_put_real(&r, 0);
	}
	/* an AMP payment with a part in flight on each channel, a settled
	 * single one */
	for (int k = 0; k < 2; k++) {
		struct payment p;
		memset(&p, 0, sizeof(p));
		strcpy(p.id, k ? "p2" : "p1");
		p.mode = k ? PAY_SINGLE : PAY_AMP;
		p.amount = amount_msat(FUZZ_BTC / 4);
		p.expiry_blocks = 40;
		p.deadline_us = 60 * FUZZ_SEC;
		p.state = k ? PAY_DONE : PAY_ACTIVE;
		p.outcome = k ? OUTCOME_SETTLED : OUTCOME_PENDING;
		for (int i = 0; i < 2 - k; i++) {
			struct part *pt = payment_new_part(&p);
			pt->chan = (size_t)i;
			pt->htlc_id = (uint64_t)(k ? 0 : 1 + i);
			pt->amount = amount_msat(FUZZ_BTC / (k ? 4 : 8));
			pt->state = k ? PART_FULFILLED : PART_INFLIGHT;
			pt->cltv_expiry = 40;
			memset(pt->hash, 0x11 * (i + 1), sizeof(pt->hash));
			memset(pt->share, 0x22 * (i + 1), sizeof(pt->share));
			pt->child_index = (uint32_t)i;
		}
		put_payment(&r, k + 1, &p);
		payment_free(&p);
	}
	n += rows_seed(&seeds[n], &r);

	/* a payment as an earlier version wrote it: JSON */
	memset(&r, 0, sizeof(r));
	rows_put_table(&r, META);
	rows_put_text(&r, "epoch_unix_us");
	rows_put_int(&r, 1);
	rows_put_table(&r, CHANNELS);
	rows_put_text(&r, "c1");
	rows_put_int(&r, 0);
	rows_put_int(&r, (int64_t)FUZZ_BTC);
	rows_put_int(&r, (int64_t)FUZZ_BTC);
	rows_put_int(&r, 0);
	rows_put_int(&r, 483);
	rows_put_int(&r, 1);
	rows_put_int(&r, 1);
	rows_put_int(&r, 0);
	rows_put_int(&r, 0);
	rows_put_int(&r, 0);
	rows_put_real(&r, 0);
	rows_put_real(&r, 0);
	rows_put_table(&r, PAYMENTS);
	rows_put_int(&r, 1);
	rows_put_text(&r, "j1");
	rows_put_text(&r, "{\"id\":\"j1\",\"mode\":2,\"amount\":1000,\"state\":1,\"parts\":"
			  "[{\"chan\":0,\"htlc\":0,\"amount\":1000,\"state\":1,\"cltv\":40}]}");
	n += rows_seed(&seeds[n], &r);
	return n;
}

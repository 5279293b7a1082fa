/* The simulated chain's rules (sim/chain.c): claims before expiry with the
 * right preimage, refunds from expiry on, one spend per HTLC output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "chain.h"
#include "log.h"

struct fx {
	char dir[64];
	char path[96];
	struct chain *c;
	uint8_t pre[AMP_LEN], hash[AMP_LEN];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!make_temp_dir("ampsim-chain", f->dir, sizeof(f->dir)))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/chain.db", f->dir);
	char err[256];
	f->c = chain_open(f->path, NULL, err, sizeof(err));
	if (!f->c)
		return -1;
	memset(f->pre, 0x42, AMP_LEN);
	crypto_hash_sha256(f->hash, f->pre, AMP_LEN);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	chain_close(f->c);
	char p[160];
	const char *names[] = { "chain.db", "chain.db-wal", "chain.db-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, names[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct chain_tx tx(enum chain_kind k, uint64_t id, const uint8_t *pre)
{
	struct chain_tx t;
	memset(&t, 0, sizeof(t));
	snprintf(t.channel, sizeof(t.channel), "c1");
	t.htlc_id = id;
	t.kind = k;
	if (pre)
		memcpy(t.preimage, pre, AMP_LEN);
	return t;
}

static void claim_before_expiry_confirms_later(void **state)
{
	struct fx *f = *state;
	struct chain_tx t = tx(CHAIN_CLAIM, 1, f->pre), w, got;
	assert_int_equal(chain_submit(f->c, &t, f->hash, 40, 30, &w), CHAIN_ACCEPTED);
	assert_false(chain_confirmed(f->c, "c1", 1, 30 + CHAIN_CONFIRMATIONS - 1, &got));
	assert_true(chain_confirmed(f->c, "c1", 1, 30 + CHAIN_CONFIRMATIONS, &got));
	assert_int_equal(got.kind, CHAIN_CLAIM);
	assert_memory_equal(got.preimage, f->pre, AMP_LEN);
}

static void claim_at_or_after_expiry_is_invalid(void **state)
{
	struct fx *f = *state;
	struct chain_tx t = tx(CHAIN_CLAIM, 2, f->pre), w, got;
	assert_int_equal(chain_submit(f->c, &t, f->hash, 40, 40, &w), CHAIN_INVALID);
	assert_false(chain_confirmed(f->c, "c1", 2, 100, &got));
}

static void claim_with_wrong_preimage_is_invalid(void **state)
{
	struct fx *f = *state;
	uint8_t bad[AMP_LEN];
	memset(bad, 0x43, AMP_LEN);
	struct chain_tx t = tx(CHAIN_CLAIM, 3, bad), w;
	assert_int_equal(chain_submit(f->c, &t, f->hash, 40, 10, &w), CHAIN_INVALID);
}

static void refund_only_from_expiry(void **state)
{
	struct fx *f = *state;
	struct chain_tx t = tx(CHAIN_REFUND, 4, NULL), w, got;
	assert_int_equal(chain_submit(f->c, &t, f->hash, 40, 39, &w), CHAIN_INVALID);
	assert_int_equal(chain_submit(f->c, &t, f->hash, 40, 40, &w), CHAIN_ACCEPTED);
	assert_true(chain_confirmed(f->c, "c1", 4, 42, &got));
	assert_int_equal(got.kind, CHAIN_REFUND);
}

static void output_is_spent_once(void **state)
{
	struct fx *f = *state;
	struct chain_tx claim = tx(CHAIN_CLAIM, 5, f->pre), refund = tx(CHAIN_REFUND, 5, NULL), w;
	assert_int_equal(chain_submit(f->c, &claim, f->hash, 40, 38, &w), CHAIN_ACCEPTED);
	assert_int_equal(chain_submit(f->c, &refund, f->hash, 40, 41, &w), CHAIN_SPENT);
	assert_int_equal(w.kind, CHAIN_CLAIM);
	assert_int_equal(w.sent_height, 38);
	/* the same output on another channel is another output */
	struct chain_tx other = tx(CHAIN_REFUND, 5, NULL);
	snprintf(other.channel, sizeof(other.channel), "c2");
	assert_int_equal(chain_submit(f->c, &other, f->hash, 40, 41, &w), CHAIN_ACCEPTED);
}

static void chain_is_shared_through_the_file(void **state)
{
	struct fx *f = *state;
	char err[256];
	struct chain *second = chain_open(f->path, NULL, err, sizeof(err));
	assert_non_null(second);
	struct chain_tx t = tx(CHAIN_REFUND, 6, NULL), w, got;
	assert_int_equal(chain_submit(second, &t, f->hash, 10, 12, &w), CHAIN_ACCEPTED);
	assert_true(chain_confirmed(f->c, "c1", 6, 14, &got));
	chain_close(second);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(claim_before_expiry_confirms_later, setup, teardown),
		cmocka_unit_test_setup_teardown(claim_at_or_after_expiry_is_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(claim_with_wrong_preimage_is_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(refund_only_from_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(output_is_spent_once, setup, teardown),
		cmocka_unit_test_setup_teardown(chain_is_shared_through_the_file, setup, teardown),
	};
	return cmocka_run_group_tests_name("chain", tests, NULL, NULL);
}

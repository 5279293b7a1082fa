/* The simulated chain's rules (sim/runtime/chain.c): claims before expiry
 * with the right preimage, refunds from expiry on, one spend per HTLC
 * output, each with its terms signed by both nodes and the spend by its
 * owner. */
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

#include <sqlite3.h>

#include "chain.h"
#include "log.h"
#include "noise.h"
#include "terms.h"

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

/* Alice (0x11...) offers, Bob (0x22...) is paid, a stranger (0x33...) */
static uint8_t priv_a[32], priv_b[32], priv_s[32], node_a[33], node_b[33], node_s[33];

static void keys(void)
{
	memset(priv_a, 0x11, 32);
	memset(priv_b, 0x22, 32);
	memset(priv_s, 0x33, 32);
	assert_int_equal(noise_pubkey_from_privkey(priv_a, node_a), NOISE_OK);
	assert_int_equal(noise_pubkey_from_privkey(priv_b, node_b), NOISE_OK);
	assert_int_equal(noise_pubkey_from_privkey(priv_s, node_s), NOISE_OK);
}

static struct chain_tx tx(enum chain_kind k, uint64_t id, const uint8_t *pre)
{
	struct chain_tx t;
	memset(&t, 0, sizeof(t));
	t.kind = k;
	if (pre)
		memcpy(t.preimage, pre, AMP_LEN);
	(void)id;
	return t;
}

/* The output c1/id between alice and bob, expiring at 40: its terms
 * signed by both, the spend by its owner (signer: NULL, the owner). */
static struct chain_proof proof_of(const struct fx *f, const struct chain_tx *t, uint64_t id,
				   const uint8_t *signer)
{
	struct chain_proof p;
	memset(&p, 0, sizeof(p));
	assert_true(terms_fill(&p.terms, "c1", id, f->hash, 50000, 40, node_a, node_b));
	uint8_t d[32];
	chain_terms_digest(&p.terms, d);
	assert_true(noise_sign(priv_a, d, p.sender_sig));
	assert_true(noise_sign(priv_b, d, p.receiver_sig));
	struct chain_spend s;
	bool claim = t->kind == CHAIN_CLAIM;
	chain_spend_make(&s, &p.terms, claim ? CHAIN_SPEND_CLAIM : CHAIN_SPEND_REFUND, t->preimage,
			 NULL);
	chain_spend_digest(&s, d);
	assert_true(noise_sign(signer ? signer : claim ? priv_b : priv_a, d, p.spend_sig));
	return p;
}

static struct chain_tx output(const char *channel, uint64_t id)
{
	struct chain_tx o;
	memset(&o, 0, sizeof(o));
	snprintf(o.channel, sizeof(o.channel), "%s", channel);
	memcpy(o.sender, node_a, 33);
	memcpy(o.receiver, node_b, 33);
	o.htlc_id = id;
	return o;
}

static enum chain_submit_result submit(struct fx *f, struct chain *c, const struct chain_tx *t,
				       uint64_t id, uint32_t height, struct chain_tx *w)
{
	struct chain_proof p = proof_of(f, t, id, NULL);
	return chain_submit(c, t, &p, height, w, NULL, 0);
}

static void claim_before_expiry_confirms_later(void **state)
{
	struct fx *f = *state;
	struct chain_tx t = tx(CHAIN_CLAIM, 1, f->pre), w, got, o = output("c1", 1);
	assert_int_equal(submit(f, f->c, &t, 1, 30, &w), CHAIN_ACCEPTED);
	assert_false(chain_confirmed(f->c, &o, 30 + CHAIN_CONFIRMATIONS - 1, &got));
	assert_true(chain_confirmed(f->c, &o, 30 + CHAIN_CONFIRMATIONS, &got));
	assert_int_equal(got.kind, CHAIN_CLAIM);
	assert_memory_equal(got.preimage, f->pre, AMP_LEN);
	assert_memory_equal(got.sender, node_a, 33);
	assert_memory_equal(got.receiver, node_b, 33);
}

static void claim_at_or_after_expiry_is_invalid(void **state)
{
	struct fx *f = *state;
	struct chain_tx t = tx(CHAIN_CLAIM, 2, f->pre), w, got, o = output("c1", 2);
	char why[100] = "";
	struct chain_proof p = proof_of(f, &t, 2, NULL);
	assert_int_equal(chain_submit(f->c, &t, &p, 40, &w, why, sizeof(why)), CHAIN_INVALID);
	assert_string_equal(why, chain_verdict_reason(CHAIN_RULE_CLAIM_TOO_LATE));
	assert_false(chain_confirmed(f->c, &o, 100, &got));
}

static void claim_with_wrong_preimage_is_invalid(void **state)
{
	struct fx *f = *state;
	uint8_t bad[AMP_LEN];
	memset(bad, 0x43, AMP_LEN);
	struct chain_tx t = tx(CHAIN_CLAIM, 3, bad), w;
	assert_int_equal(submit(f, f->c, &t, 3, 10, &w), CHAIN_INVALID);
}

static void refund_only_from_expiry(void **state)
{
	struct fx *f = *state;
	struct chain_tx t = tx(CHAIN_REFUND, 4, NULL), w, got, o = output("c1", 4);
	assert_int_equal(submit(f, f->c, &t, 4, 39, &w), CHAIN_INVALID);
	assert_int_equal(submit(f, f->c, &t, 4, 40, &w), CHAIN_ACCEPTED);
	assert_true(chain_confirmed(f->c, &o, 42, &got));
	assert_int_equal(got.kind, CHAIN_REFUND);
}

static void output_is_spent_once(void **state)
{
	struct fx *f = *state;
	struct chain_tx claim = tx(CHAIN_CLAIM, 5, f->pre), refund = tx(CHAIN_REFUND, 5, NULL), w;
	assert_int_equal(submit(f, f->c, &claim, 5, 38, &w), CHAIN_ACCEPTED);
	assert_int_equal(submit(f, f->c, &refund, 5, 41, &w), CHAIN_SPENT);
	assert_int_equal(w.kind, CHAIN_CLAIM);
	assert_int_equal(w.sent_height, 38);
	/* the same HTLC id on another channel is another output */
	struct chain_proof p = proof_of(f, &refund, 5, NULL);
	snprintf(p.terms.channel, sizeof(p.terms.channel), "c2");
	uint8_t d[32];
	chain_terms_digest(&p.terms, d);
	assert_true(noise_sign(priv_a, d, p.sender_sig));
	assert_true(noise_sign(priv_b, d, p.receiver_sig));
	struct chain_spend s;
	chain_spend_make(&s, &p.terms, CHAIN_SPEND_REFUND, NULL, NULL);
	chain_spend_digest(&s, d);
	assert_true(noise_sign(priv_a, d, p.spend_sig));
	assert_int_equal(chain_submit(f->c, &refund, &p, 41, &w, NULL, 0), CHAIN_ACCEPTED);
}

/* The first attack of the probe: a stranger spends others' outputs. */
static void a_stranger_spends_nothing_of_others(void **state)
{
	struct fx *f = *state;
	struct chain_tx refund = tx(CHAIN_REFUND, 7, NULL), claim = tx(CHAIN_CLAIM, 7, f->pre), w;
	struct chain_tx got, o = output("c1", 7);
	char why[100];
	/* terms both signed, spent by the stranger: not the owner's signature */
	struct chain_proof p = proof_of(f, &refund, 7, priv_s);
	assert_int_equal(chain_submit(f->c, &refund, &p, 50, &w, why, sizeof(why)), CHAIN_INVALID);
	assert_string_equal(why, chain_verdict_reason(CHAIN_RULE_BAD_SIGNATURE));
	/* terms it made up (an expiry of 0), signed by itself for alice */
	p = proof_of(f, &refund, 7, priv_s);
	p.terms.cltv_expiry = 0;
	uint8_t d[32];
	chain_terms_digest(&p.terms, d);
	assert_true(noise_sign(priv_s, d, p.sender_sig));
	assert_true(noise_sign(priv_s, d, p.receiver_sig));
	assert_int_equal(chain_submit(f->c, &refund, &p, 5, &w, why, sizeof(why)), CHAIN_INVALID);
	assert_string_equal(why, chain_verdict_reason(CHAIN_RULE_TERMS_UNSIGNED));
	/* its own channel with itself at both ends */
	p = proof_of(f, &claim, 7, priv_s);
	memcpy(p.terms.sender, node_s, 33);
	memcpy(p.terms.receiver, node_s, 33);
	assert_int_equal(chain_submit(f->c, &claim, &p, 5, &w, why, sizeof(why)), CHAIN_INVALID);
	/* alice and bob's output is untouched: bob claims it */
	assert_int_equal(submit(f, f->c, &claim, 7, 20, &w), CHAIN_ACCEPTED);
	assert_true(chain_confirmed(f->c, &o, 22, &got));
	/* a query naming other nodes is another output: nothing there */
	memcpy(o.sender, node_s, 33);
	assert_false(chain_confirmed(f->c, &o, 100, &got));
}

static void chain_is_shared_through_the_file(void **state)
{
	struct fx *f = *state;
	char err[256];
	struct chain *second = chain_open(f->path, NULL, err, sizeof(err));
	assert_non_null(second);
	struct chain_tx t = tx(CHAIN_REFUND, 6, NULL), w, got, o = output("c1", 6);
	struct chain_proof p = proof_of(f, &t, 6, NULL);
	p.terms.cltv_expiry = 40;
	assert_int_equal(chain_submit(second, &t, &p, 42, &w, NULL, 0), CHAIN_ACCEPTED);
	assert_true(chain_confirmed(f->c, &o, 44, &got));
	chain_close(second);
}

/* A chain file from before outputs were named by their nodes: refused. */
static void an_old_chain_file_is_refused(void **state)
{
	struct fx *f = *state;
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/old.db", f->dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE spends (channel TEXT NOT NULL, htlc INTEGER"
				      " NOT NULL, kind INTEGER NOT NULL, preimage BLOB, sent INTEGER"
				      " NOT NULL, confirm INTEGER NOT NULL, PRIMARY KEY (channel, htlc));",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(chain_open(path, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "name no signed terms"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/old.db-wal", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/old.db-shm", f->dir);
	unlink(path);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	keys();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(claim_before_expiry_confirms_later, setup, teardown),
		cmocka_unit_test_setup_teardown(claim_at_or_after_expiry_is_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(claim_with_wrong_preimage_is_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(refund_only_from_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(output_is_spent_once, setup, teardown),
		cmocka_unit_test_setup_teardown(a_stranger_spends_nothing_of_others, setup, teardown),
		cmocka_unit_test_setup_teardown(an_old_chain_file_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(chain_is_shared_through_the_file, setup, teardown),
	};
	return cmocka_run_group_tests_name("chain", tests, NULL, NULL);
}

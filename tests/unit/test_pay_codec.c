/* Alice's payment records (sender/engine/pay_codec.c): every field comes
 * back, and damaged bytes are refused, never half-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pay_codec.h"

static void fill(struct payment *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "w-17");
	p->mode = PAY_AMP;
	p->amount = amount_msat(123456789);
	p->shards = 3;
	p->expiry_blocks = 40;
	p->min_final_cltv = 18;
	p->deadline_us = 987654321012ULL;
	memset(p->set_id, 0xA5, sizeof(p->set_id));
	p->outcome = OUTCOME_PARTIAL;
	snprintf(p->why, sizeof(p->why), "one part never came back");
	p->bench = true;
	p->state = PAY_DONE;
	memset(p->inv_hash, 0x11, sizeof(p->inv_hash));
	memset(p->inv_secret, 0x22, sizeof(p->inv_secret));
	for (int i = 0; i < 3; i++) {
		struct part *pt = payment_new_part(p);
		pt->chan = i == 2 ? SIZE_MAX : (size_t)i;
		pt->htlc_id = 1000 + (uint64_t)i;
		pt->amount = amount_msat(41152263 + (uint64_t)i);
		memset(pt->hash, 0x30 + i, sizeof(pt->hash));
		memset(pt->secret, 0x40 + i, sizeof(pt->secret));
		memset(pt->share, 0x50 + i, sizeof(pt->share));
		pt->child_index = 7u * (unsigned)i;
		pt->cltv_expiry = 140 + (uint32_t)i;
		pt->state = (enum part_state)(PART_INFLIGHT + i);
		pt->failure_code = 0x400f * (uint32_t)i;
		pt->attempt = (unsigned)i;
		pt->have_invoice = i & 1;
		pt->onchain = i == 1;
		snprintf(pt->why, sizeof(pt->why), "part %d", i);
		/* signed terms: none, Alice's, both */
		pt->signed_terms = i >= 1;
		pt->countersigned = i == 2;
		memset(pt->sender_sig, 0x60 + i, sizeof(pt->sender_sig));
		memset(pt->receiver_sig, 0x70 + i, sizeof(pt->receiver_sig));
	}
}

static void every_field_comes_back(void **state)
{
	(void)state;
	struct payment p, q;
	fill(&p);
	size_t n = pay_encoded_size(&p);
	uint8_t *buf = malloc(n);
	assert_int_equal(pay_encode(&p, buf, n), n);
	assert_int_equal(pay_encode(&p, buf, n - 1), 0);       /* too small: nothing */
	char why[160];
	assert_true(pay_decode(buf, n, &q, why, sizeof(why)));
	/* the same bytes again: nothing lost, nothing added */
	uint8_t *again = malloc(n);
	assert_int_equal(pay_encode(&q, again, n), n);
	assert_memory_equal(buf, again, n);
	assert_string_equal(q.id, "w-17");
	assert_int_equal(q.min_final_cltv, 18);
	assert_int_equal(q.nparts, 3);
	assert_true(q.parts[2].chan == SIZE_MAX);
	assert_int_equal(q.parts[1].amount.millisatoshis, 41152264);
	assert_string_equal(q.parts[1].why, "part 1");
	assert_false(q.parts[0].signed_terms);
	assert_true(q.parts[1].signed_terms && !q.parts[1].countersigned);
	assert_memory_equal(q.parts[1].sender_sig, p.parts[1].sender_sig, 64);
	assert_true(q.parts[2].signed_terms && q.parts[2].countersigned);
	assert_memory_equal(q.parts[2].receiver_sig, p.parts[2].receiver_sig, 64);
	payment_free(&p);
	payment_free(&q);
	free(buf);
	free(again);
}

static void damaged_records_are_refused(void **state)
{
	(void)state;
	struct payment p, q;
	fill(&p);
	size_t n = pay_encoded_size(&p);
	uint8_t *buf = malloc(n + 1);
	pay_encode(&p, buf, n);
	char why[160];
	/* cut anywhere: refused, with a reason */
	for (size_t cut = 0; cut < n; cut++) {
		why[0] = '\0';
		assert_false(pay_decode(buf, cut, &q, why, sizeof(why)));
		assert_true(why[0] != '\0');
		assert_int_equal(q.nparts, 0);
		assert_null(q.parts);
	}
	/* a byte too many */
	buf[n] = 0;
	assert_false(pay_decode(buf, n + 1, &q, why, sizeof(why)));
	assert_non_null(strstr(why, "trailing"));
	/* another version */
	buf[0] = 9;
	assert_false(pay_decode(buf, n, &q, why, sizeof(why)));
	assert_non_null(strstr(why, "version 9"));
	/* a record from before signed terms: refused, saying so */
	buf[0] = 1;
	assert_false(pay_decode(buf, n, &q, why, sizeof(why)));
	assert_non_null(strstr(why, "were not signed"));
	buf[0] = PAY_CODEC_VERSION;
	/* any single byte changed: decoded or refused, never a crash, and an
	 * enum out of range never comes back */
	for (size_t i = 0; i < n; i++) {
		uint8_t was = buf[i];
		for (int v = 0; v < 256; v += 51) {
			buf[i] = (uint8_t)v;
			if (pay_decode(buf, n, &q, why, sizeof(why))) {
				assert_true(q.state <= PAY_DONE && q.outcome <= OUTCOME_PARTIAL &&
					    q.mode <= PAY_AMP);
				for (size_t k = 0; k < q.nparts; k++)
					assert_true(q.parts[k].state <= PART_REFUNDED);
				payment_free(&q);
			}
		}
		buf[i] = was;
	}
	payment_free(&p);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field_comes_back),
		cmocka_unit_test(damaged_records_are_refused),
	};
	return cmocka_run_group_tests_name("pay_codec", tests, NULL, NULL);
}

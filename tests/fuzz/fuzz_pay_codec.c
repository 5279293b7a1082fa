/* Fuzz target: a stored payment record as alice's loader reads it (a
 * damaged state file). A record that decodes encodes back to the same
 * bytes; one that does not leaves nothing allocated. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pay_codec.h"

const char *fuzz_name = "pay_codec";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct payment p;
	char why[160];
	if (!pay_decode(data, size, &p, why, sizeof(why))) {
		if (p.parts || p.nparts)
			abort();
		return 0;
	}
	size_t n = pay_encoded_size(&p);
	uint8_t *again = malloc(n);
	if (pay_encode(&p, again, n) != n || n != size || memcmp(again, data, n) != 0)
		abort();
	free(again);
	payment_free(&p);
	return 0;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	(void)max;
	size_t k = 0;
	for (int parts = 0; parts < 3; parts++) {
		struct payment p;
		memset(&p, 0, sizeof(p));
		strcpy(p.id, parts ? "w-7" : "p1");
		p.mode = parts == 2 ? PAY_AMP : PAY_MPP;
		p.amount = amount_msat(200000000000ULL);
		p.state = PAY_ACTIVE;
		strcpy(p.why, "a reason");
		for (int i = 0; i < parts; i++) {
			struct part *pt = payment_new_part(&p);
			pt->chan = (size_t)i;
			pt->htlc_id = 7 + (uint64_t)i;
			pt->amount = amount_msat(100000000000ULL);
			pt->state = PART_INFLIGHT;
			memset(pt->hash, 0x11 * (i + 1), sizeof(pt->hash));
			strcpy(pt->why, "sent");
		}
		seeds[k].len = pay_encoded_size(&p);
		seeds[k].data = malloc(seeds[k].len);
		pay_encode(&p, seeds[k].data, seeds[k].len);
		payment_free(&p);
		k++;
	}
	return k;
}

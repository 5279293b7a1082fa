/* Fuzz target: invoice text as alice's pay command decodes it. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "invoice.h"

const char *fuzz_name = "invoice";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct invoice inv;
	char why[200];
	if (invoice_decode(text, &inv, why, sizeof(why))) {
		char again[INVOICE_TEXT_MAX];
		struct invoice back;
		/* a decoded invoice encodes and decodes to the same invoice */
		if (!invoice_encode(&inv, again, sizeof(again)) ||
		    !invoice_decode(again, &back, why, sizeof(why)) ||
		    memcmp(back.payment_hash, inv.payment_hash, AMP_LEN) != 0 ||
		    back.amount.millisatoshis != inv.amount.millisatoshis)
			abort();
	}
	free(text);
	return 0;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	struct invoice inv;
	memset(&inv, 0, sizeof(inv));
	inv.amount = amount_msat(150000000000ULL);
	memset(inv.payment_hash, 0xab, AMP_LEN);
	memset(inv.payment_secret, 0xcd, AMP_LEN);
	inv.min_final_cltv_expiry = 18;
	strcpy(inv.description, "coffee");
	char text[INVOICE_TEXT_MAX];
	invoice_encode(&inv, text, sizeof(text));
	seeds[0].len = strlen(text);
	seeds[0].data = (uint8_t *)strdup(text);
	seeds[1].len = 6;
	seeds[1].data = (uint8_t *)strdup("lnsim1");
	(void)max;
	return 2;
}

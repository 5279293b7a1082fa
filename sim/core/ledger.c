#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *htlc_end_name(enum htlc_end e)
{
	switch (e) {
	case HTLC_FULFILLED: return "fulfilled";
	case HTLC_FAILED: return "failed";
	case HTLC_REFUNDED: return "refunded";
	}
	return "?";
}

const char *ledger_err_name(enum ledger_err e)
{
	switch (e) {
	case LEDGER_OK: return "ok";
	case LEDGER_BAD_PARAMS: return "bad_params";
	case LEDGER_NO_FUNDS: return "no_funds";
	case LEDGER_NO_SLOT: return "no_slot";
	case LEDGER_BELOW_MIN: return "below_minimum";
	case LEDGER_DUP_ID: return "duplicate_id";
	case LEDGER_UNKNOWN_HTLC: return "unknown_htlc";
	}
	return "?";
}

/* On error *l is left as it was, like every other operation here. */
enum ledger_err ledger_init(struct ledger *l, const char *id, struct amount_msat capacity,
			    struct amount_msat alice, uint32_t max_htlcs,
			    struct amount_msat htlc_minimum)
{
	struct amount_msat bob;

	/* The id is the channel's name in lookups and logs: one that does not
	 * fit is refused rather than truncated into another channel's name. */
	if (!id || !*id || strlen(id) >= LEDGER_ID_MAX)
		return LEDGER_BAD_PARAMS;
	if (amount_is_zero(capacity) || !amount_sub(&bob, capacity, alice))
		return LEDGER_BAD_PARAMS;
	/* BOLT #2: max_accepted_htlcs is at most 483 */
	if (max_htlcs == 0 || max_htlcs > BOLT2_MAX_HTLCS)
		return LEDGER_BAD_PARAMS;

	struct ledger_htlc *slots = calloc(max_htlcs, sizeof(*slots));
	if (!slots) {
		fprintf(stderr, "ledger_init: out of memory for %u HTLC slots\n", max_htlcs);
		abort();
	}
	memset(l, 0, sizeof(*l));
	memcpy(l->id, id, strlen(id) + 1);
	l->capacity = capacity;
	l->alice = alice;
	l->bob = bob;
	l->inflight = amount_msat(0);
	l->htlc_minimum = htlc_minimum;
	l->max_htlcs = max_htlcs;
	l->nhtlcs = 0;
	l->htlcs = slots;
	return LEDGER_OK;
}

void ledger_free(struct ledger *l)
{
	free(l->htlcs);
	l->htlcs = NULL;
	l->max_htlcs = 0;
	l->nhtlcs = 0;
	l->span = 0;
}

static struct ledger_htlc *slot_of(const struct ledger *l, uint64_t htlc_id)
{
	for (uint32_t i = 0; i < l->span; i++)
		if (l->htlcs[i].used && l->htlcs[i].id == htlc_id)
			return &l->htlcs[i];
	return NULL;
}

const struct ledger_htlc *ledger_find(const struct ledger *l, uint64_t htlc_id)
{
	return slot_of(l, htlc_id);
}

enum ledger_err ledger_add(struct ledger *l, uint64_t htlc_id, struct amount_msat amount,
			   const uint8_t hash[AMP_LEN], uint32_t cltv_expiry)
{
	struct amount_msat alice, inflight;

	/* BOLT #2: a receiving node MUST fail the channel if amount_msat is 0
	 * or less than its htlc_minimum_msat */
	if (amount_is_zero(amount) || amount_less(amount, l->htlc_minimum))
		return LEDGER_BELOW_MIN;
	if (slot_of(l, htlc_id))
		return LEDGER_DUP_ID;
	/* BOLT #2: ... or if it would exceed its max_accepted_htlcs */
	if (l->nhtlcs >= l->max_htlcs)
		return LEDGER_NO_SLOT;
	/* BOLT #2: ... or if the sending node cannot afford it */
	if (!amount_sub(&alice, l->alice, amount))
		return LEDGER_NO_FUNDS;
	/* Cannot overflow while alice + bob + inflight == capacity; if the sums
	 * are already broken, refuse rather than wrap. */
	if (!amount_add(&inflight, l->inflight, amount))
		return LEDGER_NO_FUNDS;

	struct ledger_htlc *h = NULL;
	for (uint32_t i = 0; i < l->max_htlcs && !h; i++)
		if (!l->htlcs[i].used)
			h = &l->htlcs[i];
	if (!h)
		return LEDGER_NO_SLOT;     /* nhtlcs disagrees with the slots */
	if ((uint32_t)(h - l->htlcs) >= l->span)
		l->span = (uint32_t)(h - l->htlcs) + 1;

	h->id = htlc_id;
	h->amount = amount;
	memcpy(h->hash, hash, AMP_LEN);
	h->cltv_expiry = cltv_expiry;
	h->used = true;
	l->nhtlcs++;
	l->alice = alice;
	l->inflight = inflight;
	return LEDGER_OK;
}

enum ledger_err ledger_resolve(struct ledger *l, uint64_t htlc_id, enum htlc_end how,
			       struct ledger_htlc *out)
{
	struct amount_msat *to = NULL, dest, inflight;

	switch (how) {
	case HTLC_FULFILLED:
		to = &l->bob;
		break;
	case HTLC_FAILED:
	case HTLC_REFUNDED:
		to = &l->alice;
		break;
	}
	if (!to)
		return LEDGER_BAD_PARAMS;

	struct ledger_htlc *h = slot_of(l, htlc_id);
	if (!h)
		return LEDGER_UNKNOWN_HTLC;
	/* Neither can fail while the ledger conserves; if it no longer does,
	 * change nothing and let ledger_conserves() report it. */
	if (!amount_sub(&inflight, l->inflight, h->amount) ||
	    !amount_add(&dest, *to, h->amount))
		return LEDGER_BAD_PARAMS;

	if (out)
		*out = *h;
	memset(h, 0, sizeof(*h));
	while (l->span && !l->htlcs[l->span - 1].used)
		l->span--;
	l->nhtlcs--;
	l->inflight = inflight;
	*to = dest;
	return LEDGER_OK;
}

uint32_t ledger_free_slots(const struct ledger *l)
{
	return l->nhtlcs >= l->max_htlcs ? 0 : l->max_htlcs - l->nhtlcs;
}

struct amount_msat ledger_spendable(const struct ledger *l)
{
	if (ledger_free_slots(l) == 0 || amount_is_zero(l->alice) ||
	    amount_less(l->alice, l->htlc_minimum))
		return amount_msat(0);
	return l->alice;
}

bool ledger_conserves(const struct ledger *l)
{
	struct amount_msat sum = amount_msat(0), total;
	uint32_t n = 0;

	/* no slot at or above span is ever used (ledger_add, ledger_resolve) */
	for (uint32_t i = 0; l->htlcs && i < l->span; i++) {
		if (!l->htlcs[i].used)
			continue;
		n++;
		if (!amount_add(&sum, sum, l->htlcs[i].amount))
			return false;
	}
	if (n != l->nhtlcs || !amount_eq(sum, l->inflight))
		return false;
	return amount_add(&total, l->alice, l->bob) &&
	       amount_add(&total, total, l->inflight) &&
	       amount_eq(total, l->capacity);
}

bool ledger_reverse_fulfill(struct ledger *l, struct amount_msat amount)
{
	struct amount_msat bob, alice;
	if (!amount_sub(&bob, l->bob, amount) || !amount_add(&alice, l->alice, amount))
		return false;
	l->bob = bob;
	l->alice = alice;
	return true;
}

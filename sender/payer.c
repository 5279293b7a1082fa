#include "payer.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

const char *part_state_name(enum part_state s)
{
	switch (s) {
	case PART_WAITING: return "waiting";
	case PART_INFLIGHT: return "inflight";
	case PART_FULFILLED: return "fulfilled";
	case PART_FAILED: return "failed";
	case PART_REFUNDED: return "refunded";
	}
	return "?";
}

struct part *payment_new_part(struct payment *p)
{
	if (p->nparts == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 4;
		p->parts = xrealloc(p->parts, p->cap * sizeof(*p->parts));
	}
	struct part *pt = &p->parts[p->nparts++];
	memset(pt, 0, sizeof(*pt));
	pt->chan = SIZE_MAX;
	pt->state = PART_WAITING;
	return pt;
}

void payment_free(struct payment *p)
{
	free(p->parts);
	p->parts = NULL;
	p->nparts = p->cap = 0;
}

bool payment_busy(const struct payment *p)
{
	if (p->invoices_pending)
		return true;
	for (size_t i = 0; i < p->nparts; i++)
		if (p->parts[i].state == PART_WAITING || p->parts[i].state == PART_INFLIGHT)
			return true;
	return false;
}

struct amount_msat payment_paid(const struct payment *p)
{
	struct amount_msat paid = amount_msat(0);
	for (size_t i = 0; i < p->nparts; i++)
		if (p->parts[i].state == PART_FULFILLED)
			amount_add(&paid, paid, p->parts[i].amount);
	return paid;
}

enum outcome payment_outcome(const struct payment *p, bool *violation)
{
	*violation = false;
	if (payment_busy(p))
		return OUTCOME_PENDING;
	struct amount_msat paid = payment_paid(p);
	if (!amount_is_zero(paid)) {
		if (!amount_less(paid, p->amount))
			return OUTCOME_SETTLED;
		/* only separate invoices may end partly paid */
		*violation = p->mode == PAY_MPP || p->mode == PAY_AMP;
		return OUTCOME_PARTIAL;
	}
	for (size_t i = 0; i < p->nparts; i++)
		if (p->parts[i].state == PART_REFUNDED)
			return OUTCOME_REFUNDED;
	return OUTCOME_FAILED;
}

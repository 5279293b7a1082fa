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

const char *part_event_name(enum part_event e)
{
	switch (e) {
	case PEV_SENT: return "sent";
	case PEV_UNSENDABLE: return "unsendable";
	case PEV_FULFILLED: return "fulfilled";
	case PEV_FAILED: return "failed";
	case PEV_EXPIRED: return "expired";
	}
	return "?";
}

bool part_transition(struct part *pt, enum part_event ev)
{
	enum part_state next = pt->state;
	switch (pt->state) {
	case PART_WAITING:
		switch (ev) {
		case PEV_SENT: next = PART_INFLIGHT; break;
		case PEV_UNSENDABLE: next = PART_FAILED; break;
		case PEV_FULFILLED:
		case PEV_FAILED:
		case PEV_EXPIRED:
			return false;
		}
		break;
	case PART_INFLIGHT:
		switch (ev) {
		case PEV_FULFILLED: next = PART_FULFILLED; break;
		case PEV_FAILED: next = PART_FAILED; break;
		case PEV_EXPIRED: next = PART_REFUNDED; break;
		case PEV_SENT:
		case PEV_UNSENDABLE:
			return false;
		}
		break;
	case PART_FULFILLED:
	case PART_FAILED:
	case PART_REFUNDED:
		return false;   /* an HTLC ends exactly once */
	}
	pt->state = next;
	return true;
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
	if (p->invoices_pending || p->deferred)
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
			if (!amount_add(&paid, paid, p->parts[i].amount))
				fatal("payment %s: fulfilled parts overflow", p->id);
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

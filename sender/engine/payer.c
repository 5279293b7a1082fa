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

const char *pay_state_name(enum pay_state s)
{
	switch (s) {
	case PAY_NEW: return "new";
	case PAY_DEFERRED: return "deferred";
	case PAY_AWAITING_INVOICE: return "awaiting_invoice";
	case PAY_ACTIVE: return "active";
	case PAY_DONE: return "done";
	}
	return "?";
}

bool pay_state_allowed(enum pay_state from, enum pay_state to)
{
	switch (from) {
	case PAY_NEW:
		return to == PAY_DEFERRED || to == PAY_AWAITING_INVOICE || to == PAY_ACTIVE;
	case PAY_DEFERRED:
		return to == PAY_AWAITING_INVOICE || to == PAY_ACTIVE || to == PAY_DONE;
	case PAY_AWAITING_INVOICE:
		return to == PAY_DEFERRED || to == PAY_ACTIVE;
	case PAY_ACTIVE:
		return to == PAY_DEFERRED || to == PAY_DONE;
	case PAY_DONE:
		return false;
	}
	return false;
}

bool payment_transition(struct payment *p, enum pay_state to, struct actions *out)
{
	if (!pay_state_allowed(p->state, to))
		return false;
	struct evrec *ev = act_log(out, "payment_state");
	evrec_str(ev, "payment", p->id);
	evrec_str(ev, "from", pay_state_name(p->state));
	evrec_str(ev, "to", pay_state_name(to));
	p->state = to;
	return true;
}

bool payment_has_invoice(const struct payment *p)
{
	return !amp_is_zero(p->inv_hash);
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

bool part_change(struct payment *p, size_t part, enum part_event ev, const char *why,
		 struct actions *out)
{
	struct part *pt = &p->parts[part];
	enum part_state from = pt->state;
	if (!part_transition(pt, ev))
		return false;
	struct evrec *r = act_log(out, "part_state");
	evrec_str(r, "payment", p->id);
	evrec_u64(r, "part", part);
	evrec_str(r, "trigger", part_event_name(ev));
	evrec_str(r, "from", part_state_name(from));
	evrec_str(r, "to", part_state_name(pt->state));
	if (why && why[0])
		evrec_str(r, "why", why);
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
	if (p->state == PAY_DEFERRED || p->state == PAY_AWAITING_INVOICE)
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

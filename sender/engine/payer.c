#include "payer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *const part_states[PART_STATE_COUNT] = {
	[PART_WAITING] = "waiting",
	[PART_INFLIGHT] = "inflight",
	[PART_FULFILLED] = "fulfilled",
	[PART_FAILED] = "failed",
	[PART_REFUNDED] = "refunded",
};

static const char *const part_events[PEV_COUNT] = {
	[PEV_SENT] = "sent",
	[PEV_UNSENDABLE] = "unsendable",
	[PEV_FULFILLED] = "fulfilled",
	[PEV_FAILED] = "failed",
	[PEV_EXPIRED] = "expired",
};

static const unsigned char part_table[PART_STATE_COUNT][PEV_COUNT] = {
	[PART_WAITING] = {
		[PEV_SENT] = FSM_TO(PART_INFLIGHT),
		[PEV_UNSENDABLE] = FSM_TO(PART_FAILED),
	},
	[PART_INFLIGHT] = {
		[PEV_FULFILLED] = FSM_TO(PART_FULFILLED),
		[PEV_FAILED] = FSM_TO(PART_FAILED),
		[PEV_EXPIRED] = FSM_TO(PART_REFUNDED),
	},
	/* fulfilled, failed and refunded are final: an HTLC ends exactly once */
};

const struct fsm part_machine = {
	.name = "part",
	.nstates = PART_STATE_COUNT,
	.nevents = PEV_COUNT,
	.states = part_states,
	.events = part_events,
	.next = &part_table[0][0],
};

static const char *const pay_states[PAY_STATE_COUNT] = {
	[PAY_NEW] = "new",
	[PAY_DEFERRED] = "deferred",
	[PAY_AWAITING_INVOICE] = "awaiting_invoice",
	[PAY_ACTIVE] = "active",
	[PAY_DONE] = "done",
};

static const char *const pay_events[PAYEV_COUNT] = {
	[PAYEV_DEFER] = "defer",
	[PAYEV_ASK_INVOICE] = "ask_invoice",
	[PAYEV_LAUNCH] = "launch",
	[PAYEV_INVOICE] = "invoice",
	[PAYEV_TIMEOUT] = "timeout",
	[PAYEV_FINISH] = "finish",
};

static const unsigned char pay_table[PAY_STATE_COUNT][PAYEV_COUNT] = {
	[PAY_NEW] = {
		[PAYEV_DEFER] = FSM_TO(PAY_DEFERRED),
		[PAYEV_ASK_INVOICE] = FSM_TO(PAY_AWAITING_INVOICE),
		[PAYEV_LAUNCH] = FSM_TO(PAY_ACTIVE),
	},
	[PAY_DEFERRED] = {
		[PAYEV_ASK_INVOICE] = FSM_TO(PAY_AWAITING_INVOICE),
		[PAYEV_LAUNCH] = FSM_TO(PAY_ACTIVE),
		[PAYEV_TIMEOUT] = FSM_TO(PAY_ACTIVE),
		[PAYEV_FINISH] = FSM_TO(PAY_DONE),
	},
	[PAY_AWAITING_INVOICE] = {
		[PAYEV_DEFER] = FSM_TO(PAY_DEFERRED),
		[PAYEV_ASK_INVOICE] = FSM_TO(PAY_AWAITING_INVOICE),   /* asked again: stays */
		[PAYEV_LAUNCH] = FSM_TO(PAY_ACTIVE),
		[PAYEV_INVOICE] = FSM_TO(PAY_ACTIVE),
	},
	[PAY_ACTIVE] = {
		[PAYEV_DEFER] = FSM_TO(PAY_DEFERRED),
		[PAYEV_LAUNCH] = FSM_TO(PAY_ACTIVE),   /* planned again: stays */
		[PAYEV_FINISH] = FSM_TO(PAY_DONE),
	},
	/* done is final */
};

const struct fsm payment_machine = {
	.name = "payment",
	.nstates = PAY_STATE_COUNT,
	.nevents = PAYEV_COUNT,
	.states = pay_states,
	.events = pay_events,
	.next = &pay_table[0][0],
};

const char *part_state_name(enum part_state s)
{
	return fsm_state_name(&part_machine, (int)s);
}

const char *part_event_name(enum part_event e)
{
	return fsm_event_name(&part_machine, (int)e);
}

const char *pay_state_name(enum pay_state s)
{
	return fsm_state_name(&payment_machine, (int)s);
}

const char *pay_event_name(enum pay_event e)
{
	return fsm_event_name(&payment_machine, (int)e);
}

bool payment_next(enum pay_state from, enum pay_event ev, enum pay_state *to)
{
	int next;
	if (!fsm_next(&payment_machine, (int)from, (int)ev, &next))
		return false;
	*to = (enum pay_state)next;
	return true;
}

bool pay_state_allowed(enum pay_state from, enum pay_state to)
{
	enum pay_state next;
	for (int ev = 0; ev < PAYEV_COUNT; ev++)
		if (from != to && payment_next(from, (enum pay_event)ev, &next) && next == to)
			return true;
	return false;
}

bool payment_change(struct payment *p, enum pay_event ev, enum fsm_cause cause,
		    struct actions *out)
{
	enum pay_state to;
	if (!payment_next(p->state, ev, &to)) {
		char subject[64];
		snprintf(subject, sizeof(subject), "payment %s", p->id);
		fsm_refuse(&payment_machine, cause, subject, (int)p->state, (int)ev, out);
		return false;
	}
	if (to == p->state)
		return true;   /* a stay: nothing changes */
	struct evrec *r = act_log(out, "payment_state");
	evrec_str(r, "payment", p->id);
	evrec_str(r, "trigger", fsm_event_name(&payment_machine, (int)ev));
	evrec_str(r, "from", pay_state_name(p->state));
	evrec_str(r, "to", pay_state_name(to));
	p->state = to;
	return true;
}

bool payment_has_invoice(const struct payment *p)
{
	return !amp_is_zero(p->inv_hash);
}

bool part_next(enum part_state from, enum part_event ev, enum part_state *to)
{
	int next;
	if (!fsm_next(&part_machine, (int)from, (int)ev, &next))
		return false;
	*to = (enum part_state)next;
	return true;
}

bool part_change(struct payment *p, size_t part, enum part_event ev, enum fsm_cause cause,
		 const char *why, struct actions *out)
{
	struct part *pt = &p->parts[part];
	enum part_state from = pt->state, to;
	if (!part_next(from, ev, &to)) {
		char subject[80];
		snprintf(subject, sizeof(subject), "payment %s: part %zu", p->id, part);
		fsm_refuse(&part_machine, cause, subject, (int)from, (int)ev, out);
		return false;
	}
	if (to == from)
		return true;   /* a stay: nothing changes */
	struct evrec *r = act_log(out, "part_state");
	evrec_str(r, "payment", p->id);
	evrec_u64(r, "part", part);
	evrec_str(r, "trigger", part_event_name(ev));
	evrec_str(r, "from", part_state_name(from));
	evrec_str(r, "to", part_state_name(to));
	if (why && why[0])
		evrec_str(r, "why", why);
	pt->state = to;
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

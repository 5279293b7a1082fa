/* A channel as one daemon sees it, and channel faults applied to it. */
#include "chan.h"

#include <string.h>

#include "fault_rules.h"

void chan_free(struct chan *c)
{
	ledger_free(&c->ledger);
}

const char *chan_fault_refused(const struct chan *c, enum fault_dir mine,
			       const struct fault_config *f, bool lift)
{
	struct link_rule r;
	if (lift || (f->dir != DIR_BOTH && f->dir != mine) || !fault_msg_rule(f, &r))
		return NULL;
	struct link probe = c->out;
	return link_add_msg_rule(&probe, &r);
}

bool chan_fault(struct chan *c, enum fault_dir mine, const struct fault_config *f, bool lift)
{
	bool out = f->dir == DIR_BOTH || f->dir == mine;
	bool in = f->dir == DIR_BOTH || f->dir != mine;
	bool was_down = c->out.down;
	struct link_params *lp = &c->out.p;

	switch (f->action) {
	case FAULT_DOWN:
	case FAULT_PARTITION:
		if (out)
			c->out.down = !lift;
		if (in)
			c->in_down = !lift;
		break;
	case FAULT_UP:
		/* lifting "up" has no meaning: up is not a window */
		if (!lift) {
			if (out)
				c->out.down = false;
			if (in)
				c->in_down = false;
		}
		break;
	case FAULT_DROP:
		if (out)
			lp->drop = lift ? c->base_out.drop : f->p;
		break;
	case FAULT_LOSS_GE:
		if (out) {
			lp->ge = lift ? c->base_out.ge : true;
			lp->ge_p = lift ? c->base_out.ge_p : f->p;
			lp->ge_r = lift ? c->base_out.ge_r : f->r;
			if (lift)
				memset(c->out.ge_bad, 0, sizeof(c->out.ge_bad));
		}
		break;
	case FAULT_DELAY:
		if (out)
			lp->delay_us = lift ? c->base_out.delay_us : f->dur_us;
		break;
	case FAULT_JITTER:
		if (out)
			lp->jitter_us = lift ? c->base_out.jitter_us : f->dur_us;
		break;
	case FAULT_DUPLICATE:
		if (out)
			lp->duplicate = lift ? c->base_out.duplicate : f->p;
		break;
	case FAULT_DROP_MSG:
	case FAULT_DELAY_MSG:
	case FAULT_DUPLICATE_MSG: {
		/* a rule fires once; lifting removes it if it has not. The
		 * scenario's rules were checked to fit (fault_rules_check). */
		struct link_rule r;
		if (out && fault_msg_rule(f, &r)) {
			if (lift)
				link_remove_msg_rule(&c->out, &r);
			else
				(void)link_add_msg_rule(&c->out, &r);
		}
		break;
	}
	case FAULT_DISCONNECT:
	case FAULT_CRASH:
	case FAULT_RESTART:
		/* not channel faults: handled by the daemon or by ampsim run */
		break;
	}
	return was_down && !c->out.down;
}


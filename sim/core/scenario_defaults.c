/* What a section of a scenario file holds before its keys are read: the
 * defaults of a payment, a workload and a fault (a channel's, which
 * --channel shares, are scn_channel_defaults), its id and line. Pure. */
#include <string.h>

#include "scenario.h"
#include "scenario_keys.h"

static void scn_payment_defaults(struct payment_config *p)
{
	memset(p, 0, sizeof(*p));
	p->mode = PAY_SINGLE;
	p->shards = 0;
	p->expiry_blocks = PAYMENT_DEFAULT_EXPIRY_BLOCKS;
	p->timeout_us = PAYMENT_DEFAULT_TIMEOUT_US;
}

static void scn_workload_defaults(struct workload_config *w)
{
	memset(w, 0, sizeof(*w));
	w->modes[0].mode = PAY_SINGLE;
	w->modes[0].weight = 1;
	w->nmodes = 1;
	w->expiry_blocks = PAYMENT_DEFAULT_EXPIRY_BLOCKS;
	w->timeout_us = PAYMENT_DEFAULT_TIMEOUT_US;
}

static void scn_fault_defaults(struct fault_config *f)
{
	memset(f, 0, sizeof(*f));
	f->dir = DIR_BOTH;
	f->msg = MSG_OTHER;
}

/* A section's object as its header opens it: defaults, id, line. */
void scn_section_init(enum section_kind kind, void *obj, const char *id, int line)
{
	switch (kind) {
	case SEC_CHANNEL: {
		struct channel_config *c = obj;
		scn_channel_defaults(c);
		scn_copy_str(c->id, sizeof(c->id), id);
		c->line = line;
		break;
	}
	case SEC_PAYMENT: {
		struct payment_config *pay = obj;
		scn_payment_defaults(pay);
		scn_copy_str(pay->id, sizeof(pay->id), id);
		pay->line = line;
		break;
	}
	case SEC_WORKLOAD: {
		struct workload_config *w = obj;
		scn_workload_defaults(w);
		scn_copy_str(w->id, sizeof(w->id), id);
		w->line = line;
		break;
	}
	case SEC_FAULT: {
		struct fault_config *f = obj;
		scn_fault_defaults(f);
		scn_copy_str(f->id, sizeof(f->id), id);
		f->line = line;
		break;
	}
	case SEC_SIM:
	case SEC_BOB:
	case SEC_ALICE:
	case SEC_EXPECT:
		break;
	}
}

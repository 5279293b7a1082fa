/* A payment as the control socket's listpayments shows it (pay_json.h). */
#include "pay_json.h"

#include "events.h"
#include "payer.h"

/* A payment and its parts, as listpayments shows them. */
json_t *pay_json(const struct pay_engine *e, const struct payment *p)
{
	json_t *o = json_object();
	json_set_str(o, "outcome", outcome_name(p->outcome));
	json_set_str(o, "mode", pay_mode_name(p->mode));
	json_set_u64(o, "amount_msat", p->amount.millisatoshis);
	json_set_u64(o, "paid_msat", payment_paid(p).millisatoshis);
	if (p->why[0])
		json_set_str(o, "why", p->why);
	json_t *parts = json_array();
	for (size_t i = 0; i < p->nparts; i++) {
		const struct part *pt = &p->parts[i];
		json_t *j = json_object();
		json_set_str(j, "channel", pt->chan < e->nchans ? e->chans[pt->chan].ledger.id : "");
		json_set_u64(j, "amount_msat", pt->amount.millisatoshis);
		json_set_hex(j, "hash", pt->hash, AMP_LEN);
		json_set_str(j, "result", part_state_name(pt->state));
		if (p->mode == PAY_AMP)
			json_object_set_new(j, "child_index", json_integer(pt->child_index));
		if (pt->state == PART_INFLIGHT || pt->state == PART_FULFILLED ||
		    pt->state == PART_REFUNDED || (pt->state == PART_FAILED && pt->chan < e->nchans))
			json_set_u64(j, "htlc", pt->htlc_id);
		if (pt->failure_code)
			json_object_set_new(j, "failure_code", json_integer(pt->failure_code));
		if (pt->why[0])
			json_set_str(j, "why", pt->why);
		json_object_set_new(j, "attempt", json_integer(pt->attempt));
		if (pt->onchain)
			json_object_set_new(j, "onchain", json_true());
		json_array_append_new(parts, j);
	}
	json_object_set_new(o, "parts", parts);
	return o;
}


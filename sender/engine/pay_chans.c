/* Alice's channels as her engine keeps them: added from their
 * configuration, found by id, dropped when stored ones replace them. */
#include <string.h>

#include "pay_engine.h"

enum ledger_err pay_engine_add_channel(struct pay_engine *e, const struct channel_config *cc)
{
	if (e->nchans == PAY_MAX_CHANNELS)
		return LEDGER_BAD_PARAMS;
	struct pay_chan *pc = &e->chans[e->nchans];
	memset(pc, 0, sizeof(*pc));
	enum ledger_err le = ledger_init(&pc->ledger, cc->id, cc->capacity, cc->alice, cc->max_htlcs,
					 cc->htlc_minimum);
	if (le != LEDGER_OK)
		return le;
	pc->to_bob = cc->link;
	pc->to_alice = cc->link;
	e->nchans++;
	return LEDGER_OK;
}

size_t pay_engine_find_chan(const struct pay_engine *e, const char *id)
{
	for (size_t i = 0; i < e->nchans; i++)
		if (strcmp(e->chans[i].ledger.id, id) == 0)
			return i;
	return SIZE_MAX;
}

void pay_engine_drop_channels(struct pay_engine *e)
{
	for (size_t i = 0; i < e->nchans; i++) {
		ledger_free(&e->chans[i].ledger);
		owner_map_free(&e->chans[i].owners);
	}
	memset(e->chans, 0, sizeof(e->chans));
	e->nchans = 0;
	e->accepted = 0;
}

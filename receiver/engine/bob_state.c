/* The receive engine's state: lookups and the conservation check that
 * every engine file uses. */
#include "bob_state.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

struct bob_chan *bob_engine_chan(struct bob_engine *e, const char *id, size_t *index)
{
	for (size_t i = 0; i < e->nchans; i++) {
		if (strcmp(e->chans[i].ledger.id, id) == 0) {
			if (index)
				*index = i;
			return &e->chans[i];
		}
	}
	return NULL;
}

struct bob_htlc *bob_engine_htlc(struct bob_engine *e, size_t chan, uint64_t htlc_id)
{
	if (chan >= e->nchans)
		return NULL;
	struct bob_chan *bc = &e->chans[chan];
	if (htlc_id >= bc->htlcs_cap || !bc->htlcs[htlc_id].fsm.present)
		return NULL;
	return &bc->htlcs[htlc_id];
}

/* The record for htlc_id, growing the table (the caller checked the
 * window). */
struct bob_htlc *be_htlc_slot(struct bob_chan *bc, uint64_t htlc_id)
{
	if (htlc_id >= bc->htlcs_cap) {
		uint64_t cap = bc->htlcs_cap ? bc->htlcs_cap : 256;
		while (cap <= htlc_id)
			cap *= 2;
		bc->htlcs = xrealloc(bc->htlcs, cap * sizeof(*bc->htlcs));
		memset(bc->htlcs + bc->htlcs_cap, 0, (cap - bc->htlcs_cap) * sizeof(*bc->htlcs));
		bc->htlcs_cap = cap;
	}
	return &bc->htlcs[htlc_id];
}

void be_check_conservation(const struct bob_chan *bc, struct actions *out)
{
	if (!ledger_conserves(&bc->ledger))
		act_violation(out, "channel %s: balances + in-flight != capacity", bc->ledger.id);
}

struct bob_conn_state *be_conn_of(struct bob_engine *e, uint64_t conn)
{
	for (size_t i = 0; i < e->nconns; i++)
		if (e->conns[i].conn == conn)
			return &e->conns[i];
	return NULL;
}

const char *bob_engine_conn_name(const struct bob_engine *e, uint64_t conn)
{
	for (size_t i = 0; i < e->nconns; i++)
		if (e->conns[i].conn == conn)
			return e->conns[i].name;
	return "?";
}


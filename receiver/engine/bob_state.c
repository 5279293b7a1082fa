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
	return htlc_table_get(&e->chans[chan].htlcs, htlc_id);
}

struct bob_htlc *be_htlc_slot(struct bob_chan *bc, uint64_t htlc_id)
{
	struct bob_htlc *h = htlc_table_get(&bc->htlcs, htlc_id);
	return h ? h : htlc_table_add(&bc->htlcs, htlc_id);
}

bool be_htlc_done(const struct bob_htlc *h)
{
	switch (h->fsm.state) {
	case BH_HELD:
		return false;
	case BH_FULFILLED:
	case BH_FAILED:
		return h->acked;
	case BH_REFUNDED:
		return true;
	}
	return false;
}

void be_compact(struct bob_engine *e, size_t chan, struct actions *out)
{
	struct htlc_table *t = &e->chans[chan].htlcs;
	uint64_t ids[64];
	bool more = true;
	while (more) {
		/* collected first: forgetting moves records in the table */
		size_t n = 0;
		more = false;
		for (size_t i = 0; i < htlc_table_slots(t); i++) {
			const struct bob_htlc *h = htlc_table_slot(t, i);
			if (!h || !be_htlc_done(h))
				continue;
			if (n == sizeof(ids) / sizeof(ids[0])) {
				more = true;
				break;
			}
			ids[n++] = h->id;
		}
		for (size_t k = 0; k < n; k++) {
			htlc_table_forget(t, ids[k]);
			act_persist(out, BOB_REC_HTLC_FORGET, chan, ids[k]);
		}
		if (n)
			act_persist(out, BOB_REC_CHANNEL, chan, 0);
	}
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


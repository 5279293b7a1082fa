/* A restart: the engine rebuilt from stored records, then resumed. */
#include <stdio.h>
#include <string.h>

#include "bob_engine_int.h"
#include "log.h"

void bob_engine_restore_clock(struct bob_engine *e, const struct simclock *clk, uint64_t seed)
{
	e->clk = *clk;
	e->seed = seed;
	e->epoch_set = true;
}

bool bob_engine_restore_channel(struct bob_engine *e, const char *id, struct amount_msat capacity,
				struct amount_msat alice, uint32_t max_htlcs,
				struct amount_msat htlc_minimum, const struct link_params *lp)
{
	if (e->nchans == BOB_MAX_CHANNELS || bob_engine_chan(e, id, NULL))
		return false;
	struct bob_chan *bc = &e->chans[e->nchans];
	memset(bc, 0, sizeof(*bc));
	if (ledger_init(&bc->ledger, id, capacity, alice, max_htlcs, htlc_minimum) != LEDGER_OK)
		return false;
	bc->base_out = *lp;
	e->nchans++;
	return true;
}

bool bob_engine_restore_invoice(struct bob_engine *e, const struct bob_invoice *bi)
{
	if (bi->seq <= e->last_invoice_seq)
		return false;
	e->last_invoice_seq = bi->seq;
	e->unpaid += !bi->paid;
	if (e->ninvoices == e->invoices_cap) {
		e->invoices_cap = e->invoices_cap ? 2 * e->invoices_cap : 16;
		e->invoices = xrealloc(e->invoices, e->invoices_cap * sizeof(*e->invoices));
	}
	e->invoices[e->ninvoices++] = *bi;
	be_invoice_added(e, bi);
	return true;
}

void bob_engine_restore_set_closed(struct bob_engine *e, const uint8_t key[AMP_LEN])
{
	ampset_insert_settled(&e->sets, key);
}

/* h as stored (fsm.present set, fsm.state the stored state). A held HTLC
 * goes back into the ledger and its set; a resolved one is remembered so a
 * replayed add gets the same answer. */
bool bob_engine_restore_htlc(struct bob_engine *e, size_t chan, uint64_t htlc_id,
			     const struct bob_htlc *h, const char **why)
{
	if (chan >= e->nchans) {
		*why = "unknown channel";
		return false;
	}
	struct bob_chan *bc = &e->chans[chan];
	if (bob_engine_htlc(e, chan, htlc_id)) {
		*why = "HTLC stored twice";
		return false;
	}
	if (htlc_table_finished(&bc->htlcs, htlc_id)) {
		*why = "HTLC the channel says it had finished with";
		return false;
	}
	if (bc->htlcs.next && htlc_id >= bc->htlcs.next) {
		/* the channel's row and its HTLCs' are written in one commit:
		 * an id above every id it has seen was edited in */
		*why = "id above every id its channel has seen";
		return false;
	}
	struct bob_htlc *slot = htlc_table_add(&bc->htlcs, htlc_id);
	*slot = *h;
	slot->id = htlc_id;
	slot->fsm.present = true;
	slot->in_ledger = false;
	if (slot->fsm.state != BH_HELD) {
		if (slot->fsm.state == BH_FULFILLED && !slot->acked)
			bc->unacked++;
		return true;
	}
	if (ledger_add(&bc->ledger, htlc_id, h->amount, h->hash, h->cltv_expiry) != LEDGER_OK) {
		*why = "in-flight HTLC does not fit its channel";
		return false;
	}
	slot->in_ledger = true;
	if (slot->kind >= 0) {
		/* parts that disagree (total_msat, a sum that overflows) were
		 * failed together when they arrived: held together, the state
		 * is damaged, and the set's sum would not count this one */
		struct ampset_result r = be_join_set(e, chan, htlc_id);
		if (r.verdict == SET_FAIL_ALL) {
			*why = r.why;
			return false;
		}
	}
	return true;
}

void bob_engine_restore_owner(struct bob_engine *e, size_t chan, const uint8_t node[33])
{
	if (chan >= e->nchans)
		return;
	e->chans[chan].owned = true;
	memcpy(e->chans[chan].owner, node, 33);
}

bool bob_engine_restore_finished(struct bob_engine *e, size_t chan, uint64_t next,
				 const struct id_range *r, size_t n)
{
	return chan < e->nchans && htlc_table_set_finished(&e->chans[chan].htlcs, next, r, n);
}

void be_resume(struct bob_engine *e, uint64_t now_us, struct actions *out)
{
	/* records a state kept that are finished (a state written before
	 * they were forgotten, or a crash between) go now */
	for (size_t i = 0; i < e->nchans; i++)
		be_compact(e, i, out);
	act_timer(out, BOB_TIMER_BLOCK, 0, simclock_height_time(&e->clk, be_height(e, now_us) + 1));
	/* After a restart: sets that were whole when we stopped are settled
	 * now, the others get their hold timers back. */
	struct ampset *s = e->sets.head;
	while (s) {
		struct ampset *next = s->next;
		if (s->n > 0) {
			if (!amount_less(s->sum, s->total) && e->cfg.behaviour != BOB_HOLD)
				be_settle_set(e, s, now_us, out);
			else if (e->cfg.behaviour != BOB_HOLD && e->cfg.behaviour != BOB_LATE)
				be_arm_hold(e, s, out);
		}
		s = next;
	}
}

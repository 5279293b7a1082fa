/* Bob's records as rows, and rows back into the engine (bob_codec.h). */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bob_codec.h"
#include "bob_state.h"
#include "log.h"

void bob_meta_row_of(const struct bob_engine *e, struct bob_meta_row *row)
{
	row->epoch_unix_us = (int64_t)e->clk.epoch_unix_us;
	row->block_interval_us = (int64_t)e->clk.block_interval_us;
	row->time_scale_micro = (int64_t)(e->clk.time_scale * 1e6);
	row->seed = (int64_t)e->seed;
}

void bob_chan_row_of(const struct bob_engine *e, size_t chan, struct bob_chan_row *row)
{
	const struct bob_chan *bc = &e->chans[chan];
	const struct ledger *l = &bc->ledger;
	const struct link_params *lp = &bc->base_out;
	const struct htlc_table *t = &bc->htlcs;
	snprintf(row->id, sizeof(row->id), "%s", l->id);
	row->capacity = l->capacity.millisatoshis;
	row->alice = l->alice.millisatoshis;
	row->bob = l->bob.millisatoshis;
	row->max_htlcs = (int64_t)l->max_htlcs;
	row->htlc_min = l->htlc_minimum.millisatoshis;
	row->delay = lp->delay_us;
	row->jitter = lp->jitter_us;
	row->jitter_dist = (int64_t)lp->jitter_dist;
	row->drop = lp->drop;
	row->dup = lp->duplicate;
	row->htlc_next = t->next;
	for (size_t i = 0; i < t->ndone; i++)
		for (int k = 0; k < 8; k++) {
			row->done[16 * i + (size_t)k] = (uint8_t)(t->done[i].lo >> (8 * k));
			row->done[16 * i + 8 + (size_t)k] = (uint8_t)(t->done[i].hi >> (8 * k));
		}
	row->done_len = 16 * t->ndone;
	row->owner_len = bc->owned ? 33 : 0;
	memcpy(row->owner, bc->owner, sizeof(row->owner));
}

bool bob_htlc_row_add(const struct bob_engine *e, size_t chan, uint64_t id,
		      struct bob_htlc_row *row)
{
	const struct bob_htlc *h = bob_engine_htlc((struct bob_engine *)e, chan, id);
	if (!h)
		return false;
	memset(row, 0, sizeof(*row));
	snprintf(row->channel, sizeof(row->channel), "%s", e->chans[chan].ledger.id);
	row->id = id;
	row->amount = h->amount.millisatoshis;
	memcpy(row->hash, h->hash, AMP_LEN);
	row->cltv = (int64_t)h->cltv_expiry;
	row->kind = h->kind;
	if (h->kind >= 0)
		memcpy(row->setkey, h->key, AMP_LEN);
	row->total = h->total.millisatoshis;
	if (h->kind == SET_AMP)
		memcpy(row->share, h->share, AMP_LEN);
	row->child = (int64_t)h->child_index;
	row->arrived = h->arrived_us;
	if (h->signed_terms) {
		memcpy(row->sigs, h->sender_sig, TERMS_SIG_LEN);
		memcpy(row->sigs + TERMS_SIG_LEN, h->receiver_sig, TERMS_SIG_LEN);
		row->nsigs = sizeof(row->sigs);
	}
	return true;
}

bool bob_htlc_row_state(const struct bob_engine *e, size_t chan, uint64_t id,
			struct bob_htlc_row *row)
{
	const struct bob_htlc *h = bob_engine_htlc((struct bob_engine *)e, chan, id);
	if (!h)
		return false;
	row->state = (int)h->fsm.state;
	memcpy(row->preimage, h->preimage, AMP_LEN);
	row->code = (int64_t)h->code;
	snprintf(row->reason, sizeof(row->reason), "%s", h->reason);
	row->acked = h->acked;
	row->claimed = h->claimed;
	return true;
}

bool bob_invoice_row_of(const struct bob_engine *e, uint64_t seq, struct bob_invoice_row *row)
{
	const struct bob_invoice *bi = bob_engine_invoice_by_seq((struct bob_engine *)e, seq);
	if (!bi)
		return false;
	memset(row, 0, sizeof(*row));
	row->seq = bi->seq;
	memcpy(row->hash, bi->inv.payment_hash, AMP_LEN);
	memcpy(row->preimage, bi->preimage, AMP_LEN);
	memcpy(row->secret, bi->inv.payment_secret, AMP_LEN);
	row->amount = bi->inv.amount.millisatoshis;
	row->paid = (int64_t)bi->paid;
	row->created = (int64_t)bi->inv.created_height;
	row->min_cltv = (int64_t)bi->inv.min_final_cltv_expiry;
	snprintf(row->description, sizeof(row->description), "%s", bi->inv.description);
	return true;
}

/* ---- a list's records ---------------------------------------------------- */

size_t bob_chan_row_len(size_t done_len)
{
	return offsetof(struct bob_chan_row, done) + done_len;
}

/* The record of an HTLC, or none when it is no longer kept. */
static void htlc_record(struct bob_engine *e, struct act_persist *x, bool state)
{
	struct bob_htlc_row r;
	if (!bob_htlc_row_add(e, x->chan, x->id, &r) ||
	    (state && !bob_htlc_row_state(e, x->chan, x->id, &r))) {
		act_persist_none(x);
		return;
	}
	memcpy(act_persist_alloc(x, sizeof(r)), &r, sizeof(r));
}

static void encode_record(struct bob_engine *e, struct act_persist *x)
{
	switch ((enum bob_record)x->record) {
	case BOB_REC_META: {
		struct bob_meta_row r;
		bob_meta_row_of(e, &r);
		memcpy(act_persist_alloc(x, sizeof(r)), &r, sizeof(r));
		return;
	}
	case BOB_REC_CHANNEL: {
		/* the row as long as the finished ids it uses (bob_chan_row_of
		 * writes no further) */
		size_t len = bob_chan_row_len(16 * e->chans[x->chan].htlcs.ndone);
		bob_chan_row_of(e, x->chan, (struct bob_chan_row *)act_persist_alloc(x, len));
		return;
	}
	case BOB_REC_HTLC_ADD:
	case BOB_REC_HTLC_STATE:
		htlc_record(e, x, x->record == BOB_REC_HTLC_STATE);
		return;
	case BOB_REC_INVOICE: {
		struct bob_invoice_row r;
		if (!bob_invoice_row_of(e, x->id, &r))
			act_persist_none(x);
		else
			memcpy(act_persist_alloc(x, sizeof(r)), &r, sizeof(r));
		return;
	}
	case BOB_REC_SET_CLOSED:
		return;     /* its key, given when it was asked for */
	case BOB_REC_HTLC_FORGET: {
		const char *id = e->chans[x->chan].ledger.id;
		memcpy(act_persist_alloc(x, strlen(id) + 1), id, strlen(id) + 1);
		return;
	}
	case BOB_REC_INVOICE_FORGET:
		act_persist_none(x);
		return;
	}
	fatal("bob's engine: record %d", x->record);
}

void bob_records_encode(struct bob_engine *e, struct actions *out, size_t from)
{
	if (!e->encode_records)
		return;     /* nothing would write them */
	for (size_t i = from; i < out->n; i++)
		if (out->v[i].kind == ACT_PERSIST)
			encode_record(e, &out->v[i].u.persist);
}

/* ---- loading ----------------------------------------------------------- */

void bob_meta_row_load(struct bob_engine *e, const struct bob_meta_row *row)
{
	struct simclock clk = e->clk;
	clk.epoch_unix_us = (uint64_t)row->epoch_unix_us;
	if (row->block_interval_us > 0)
		clk.block_interval_us = (uint64_t)row->block_interval_us;
	if (row->time_scale_micro > 0)
		clk.time_scale = (double)row->time_scale_micro / 1e6;
	bob_engine_restore_clock(e, &clk, (uint64_t)row->seed);
}

enum bob_row_load bob_chan_row_load(struct bob_engine *e, const struct bob_chan_row *row,
				    uint64_t alice_held, char *why, size_t whylen)
{
	struct link_params lp = { 0 };
	lp.delay_us = row->delay;
	lp.jitter_us = row->jitter;
	lp.jitter_dist = row->jitter_dist == JITTER_NORMAL   ? JITTER_NORMAL
		       : row->jitter_dist == JITTER_PARETO ? JITTER_PARETO
							   : JITTER_UNIFORM;
	lp.drop = row->drop;
	lp.duplicate = row->dup;
	if (!bob_engine_restore_channel(e, row->id, amount_msat(row->capacity),
					amount_msat(alice_held), (uint32_t)row->max_htlcs,
					amount_msat(row->htlc_min), &lp)) {
		snprintf(why, whylen, "bob.db: channel %s does not load", row->id);
		return BOB_ROW_BAD;
	}
	/* the HTLC ids it has finished with */
	size_t n = row->done_len / 16;
	struct id_range *r = xcalloc(HTLC_TABLE_MAX_STORED, sizeof(*r));
	if (row->done_len % 16 || n > HTLC_TABLE_MAX_STORED) {
		n = HTLC_TABLE_MAX_STORED + 1;
	} else {
		for (size_t i = 0; i < n; i++) {
			r[i].lo = r[i].hi = 0;
			for (int k = 0; k < 8; k++) {
				r[i].lo |= (uint64_t)row->done[16 * i + (size_t)k] << (8 * k);
				r[i].hi |= (uint64_t)row->done[16 * i + 8 + (size_t)k] << (8 * k);
			}
		}
	}
	enum bob_row_load res = BOB_ROW_OK;
	if (row->owner_len == 33) {
		bob_engine_restore_owner(e, e->nchans - 1, row->owner);
	} else if (row->owner_len != 0) {
		snprintf(why, whylen, "channel %s: its owner is %zu bytes, not a node id", row->id,
			 row->owner_len);
		res = BOB_ROW_DAMAGED;
	}
	if (res == BOB_ROW_OK && !bob_engine_restore_finished(e, e->nchans - 1, row->htlc_next, r, n)) {
		snprintf(why, whylen, "bob.db: channel %s: its finished HTLC ids (%zu bytes) are "
			 "not well formed", row->id, row->done_len);
		res = BOB_ROW_BAD;
	}
	free(r);
	return res;
}

bool bob_invoice_row_load(struct bob_engine *e, const struct bob_invoice_row *row, char *why,
			  size_t whylen)
{
	struct bob_invoice bi;
	memset(&bi, 0, sizeof(bi));
	bi.seq = row->seq;
	memcpy(bi.inv.payment_hash, row->hash, AMP_LEN);
	memcpy(bi.preimage, row->preimage, AMP_LEN);
	memcpy(bi.inv.payment_secret, row->secret, AMP_LEN);
	uint8_t check[AMP_LEN];
	crypto_hash_sha256(check, bi.preimage, AMP_LEN);
	if (memcmp(check, bi.inv.payment_hash, AMP_LEN) != 0) {
		snprintf(why, whylen, "invoice #%llu: its preimage does not hash to its payment hash",
			 (unsigned long long)bi.seq);
		return false;
	}
	bi.inv.amount = amount_msat(row->amount);
	bi.paid = row->paid != 0;
	bi.inv.created_height = (uint64_t)row->created;
	bi.inv.min_final_cltv_expiry = (uint32_t)row->min_cltv;
	snprintf(bi.inv.description, sizeof(bi.inv.description), "%s", row->description);
	if (!bob_engine_restore_invoice(e, &bi)) {
		snprintf(why, whylen, "invoice #%llu comes after #%llu: seqs must go up",
			 (unsigned long long)bi.seq, (unsigned long long)e->last_invoice_seq);
		return false;
	}
	return true;
}

bool bob_htlc_row_load(struct bob_engine *e, const struct bob_htlc_row *row, bool blobs_ok,
		       const char **why)
{
	struct bob_htlc h;
	memset(&h, 0, sizeof(h));
	h.amount = amount_msat(row->amount);
	memcpy(h.hash, row->hash, AMP_LEN);
	h.cltv_expiry = (uint32_t)row->cltv;
	h.fsm.present = true;
	bool known = htlc_state_from_stored(row->state, &h.fsm.state);
	memcpy(h.preimage, row->preimage, AMP_LEN);
	h.code = (uint32_t)row->code;
	snprintf(h.reason, sizeof(h.reason), "%s", row->reason);
	h.acked = row->acked;
	h.claimed = row->claimed;
	h.kind = row->kind;
	memcpy(h.key, row->setkey, AMP_LEN);
	h.total = amount_msat(row->total);
	memcpy(h.share, row->share, AMP_LEN);
	h.child_index = (uint32_t)row->child;
	h.arrived_us = row->arrived;
	h.signed_terms = row->nsigs == sizeof(row->sigs);
	if (h.signed_terms) {
		memcpy(h.sender_sig, row->sigs, TERMS_SIG_LEN);
		memcpy(h.receiver_sig, row->sigs + TERMS_SIG_LEN, TERMS_SIG_LEN);
	}
	bool sigs_ok = row->nsigs == 0 || h.signed_terms;
	size_t chan;
	*why = "unknown channel";
	if (!sigs_ok)
		*why = "its signed terms are not two signatures";
	else if (!known)
		*why = "unknown state";
	else if (!blobs_ok)
		*why = "a hash, preimage, set key or share is not 32 bytes";
	return row->channel[0] && sigs_ok && known && blobs_ok &&
	       bob_engine_chan(e, row->channel, &chan) &&
	       bob_engine_restore_htlc(e, chan, row->id, &h, why);
}

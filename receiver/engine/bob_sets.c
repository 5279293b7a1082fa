/* Sets as Bob's engine drives them: joining one, holding it (with its
 * timer), settling it all at once, or failing it whole. Only ampset.c
 * changes a set; this file decides what happens to one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bob_engine_int.h"
#include "log.h"
#include "node.h"

/* Add an HTLC to its set: held at most `hold` from the set's first part
 * (ampset_add keeps the first deadline), and never within
 * HOLD_SAFETY_BLOCKS of its expiry. Also used after a restart. */
struct ampset_result be_join_set(struct bob_engine *e, size_t chan, uint64_t htlc_id)
{
	const struct bob_htlc *h = bob_engine_htlc(e, chan, htlc_id);
	if (!h)
		fatal("set member %zu/%llu has no record", chan, (unsigned long long)htlc_id);
	struct set_htlc sh;
	memset(&sh, 0, sizeof(sh));
	snprintf(sh.channel, sizeof(sh.channel), "%s", e->chans[chan].ledger.id);
	sh.htlc_id = htlc_id;
	sh.amount = h->amount;
	memcpy(sh.hash, h->hash, AMP_LEN);
	memcpy(sh.share, h->share, AMP_LEN);
	sh.child_index = h->child_index;
	sh.cltv_expiry = h->cltv_expiry;
	uint32_t safe = h->cltv_expiry > HOLD_SAFETY_BLOCKS ? h->cltv_expiry - HOLD_SAFETY_BLOCKS : 0;
	return ampset_add(&e->sets, (enum set_kind)h->kind, h->key, h->total, &sh,
			  h->arrived_us + e->cfg.hold_us, simclock_height_time(&e->clk, safe));
}

void be_arm_hold(struct bob_engine *e, const struct ampset *s, struct actions *out)
{
	(void)e;
	act_timer(out, BOB_TIMER_HOLD, s->id, s->deadline_us);
}

static void set_key_field(struct evrec *r, const struct ampset *s)
{
	evrec_hex(r, s->kind == SET_AMP ? "set_id" : "hash", s->key, AMP_LEN);
}

/* Index of a set part's channel; a part always names one of ours. */
static size_t chan_of(struct bob_engine *e, const struct set_htlc *p)
{
	size_t idx;
	if (!bob_engine_chan(e, p->channel, &idx))
		fatal("set part on unknown channel %s", p->channel);
	return idx;
}

/* Fail every HTLC of a set and forget it. */
void be_fail_set(struct bob_engine *e, struct ampset *s, uint32_t code, const char *why,
		 struct actions *out)
{
	struct evrec *r = act_log(out, code == AMPSIM__FAILURE_CODE__FAILURE_MPP_TIMEOUT
				       ? "hold_timeout" : "set_failed");
	set_key_field(r, s);
	evrec_u64(r, "held_msat", s->sum.millisatoshis);
	evrec_u64(r, "total_msat", s->total.millisatoshis);
	evrec_i64(r, "parts", (int64_t)s->n);
	evrec_str(r, "reason", why);
	/* written all together, then sent: a crash in between re-sends them */
	for (size_t i = 0; i < s->n; i++)
		be_resolve(e, chan_of(e, &s->htlcs[i]), s->htlcs[i].htlc_id, HTLC_EV_FAIL, NULL, code,
			   why, out);
	for (size_t i = 0; i < s->n; i++)
		be_transmit(e, chan_of(e, &s->htlcs[i]), s->htlcs[i].htlc_id, out);
	act_cancel(out, BOB_TIMER_HOLD, s->id);
	if (s->kind == SET_AMP) {
		/* a part arriving late for a failed AMP set is failed at once,
		 * not held for a new hold time */
		act_persist_bytes(out, BOB_REC_SET_CLOSED, ACTION_NO_CHAN, 0, s->key, AMP_LEN);
		ampset_mark_settled(&e->sets, s);
	} else {
		ampset_remove(&e->sets, s);
	}
}

/* behaviour = hold or late: the set is taken out of the table without
 * being settled or failed (expiry, or a late claim, ends its HTLCs). */
void be_withhold_set(struct bob_engine *e, struct ampset *s, struct actions *out)
{
	struct evrec *r = act_log(out, "set_withheld");
	set_key_field(r, s);
	evrec_str(r, "behaviour", bob_behaviour_name(e->cfg.behaviour));
	act_cancel(out, BOB_TIMER_HOLD, s->id);
	ampset_mark_settled(&e->sets, s);
}

/* The preimages of a whole set, or NULL + why when it cannot be settled. */
static uint8_t (*set_preimages(struct bob_engine *e, struct ampset *s, uint64_t now_us,
			       struct bob_invoice **inv, const char **why,
			       struct actions *out))[AMP_LEN]
{
	uint32_t height = be_height(e, now_us);
	/* never claim what Alice may already be reclaiming */
	for (size_t i = 0; i < s->n && e->cfg.behaviour != BOB_LATE; i++) {
		if (height + SETTLE_SAFETY_BLOCKS >= s->htlcs[i].cltv_expiry) {
			*why = "a part is too close to its expiry to claim safely";
			return NULL;
		}
	}
	uint8_t (*pre)[AMP_LEN] = xcalloc(s->n ? s->n : 1, AMP_LEN);
	if (s->kind == SET_AMP) {
		size_t bad;
		if (!ampset_reconstruct(s, pre, &bad)) {
			*why = "AMP reconstruction failed: a child preimage does not match its hash";
			struct evrec *r = act_log(out, "amp_reconstruction_failed");
			evrec_hex(r, "set_id", s->key, AMP_LEN);
			evrec_str(r, "channel", s->htlcs[bad].channel);
			evrec_u64(r, "htlc", s->htlcs[bad].htlc_id);
			free(pre);
			return NULL;
		}
		return pre;
	}
	struct bob_invoice *bi = be_find_invoice(e, s->key);
	if (!bi || bi->paid) {
		*why = bi ? "invoice already paid" : "no invoice for this payment hash";
		free(pre);
		return NULL;
	}
	for (size_t i = 0; i < s->n; i++)
		memcpy(pre[i], bi->preimage, AMP_LEN);
	be_invoice_paid(e, bi);
	*inv = bi;
	return pre;
}

static void keep_late(struct bob_engine *e, const struct ampset *s, uint8_t (*pre)[AMP_LEN])
{
	/* adversarial: know the preimages but claim only after expiry */
	for (size_t i = 0; i < s->n; i++) {
		if (e->nlate == e->late_cap) {
			e->late_cap = e->late_cap ? 2 * e->late_cap : 8;
			e->late = xrealloc(e->late, e->late_cap * sizeof(*e->late));
		}
		struct late_claim *lc = &e->late[e->nlate++];
		lc->chan = chan_of(e, &s->htlcs[i]);
		lc->htlc_id = s->htlcs[i].htlc_id;
		lc->cltv_expiry = s->htlcs[i].cltv_expiry;
		memcpy(lc->preimage, pre[i], AMP_LEN);
	}
}

void be_settle_set(struct bob_engine *e, struct ampset *s, uint64_t now_us, struct actions *out)
{
	struct bob_invoice *inv = NULL;
	const char *why = NULL;
	uint8_t (*pre)[AMP_LEN] = set_preimages(e, s, now_us, &inv, &why, out);
	if (!pre) {
		be_fail_set(e, s, AMPSIM__FAILURE_CODE__FAILURE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, why,
			    out);
		return;
	}
	if (e->cfg.behaviour == BOB_LATE) {
		keep_late(e, s, pre);
		free(pre);
		be_withhold_set(e, s, out);
		return;
	}
	struct evrec *r = act_log(out, "set_complete");
	evrec_str(r, "kind", s->kind == SET_AMP ? "amp" : "mpp");
	set_key_field(r, s);
	evrec_u64(r, "total_msat", s->total.millisatoshis);
	evrec_i64(r, "parts", (int64_t)s->n);
	if (s->kind == SET_AMP) {
		uint8_t root[AMP_LEN] = { 0 };
		for (size_t i = 0; i < s->n; i++)
			amp_xor(root, root, s->htlcs[i].share);
		evrec_hex(r, "root", root, AMP_LEN);
	}
	e->count.sets_settled++;
	/* every fulfill of the set is written before the first is sent */
	for (size_t i = 0; i < s->n; i++)
		be_resolve(e, chan_of(e, &s->htlcs[i]), s->htlcs[i].htlc_id, HTLC_EV_SETTLE, pre[i], 0,
			   "", out);
	if (inv)
		act_persist(out, BOB_REC_INVOICE, ACTION_NO_CHAN, inv->seq);
	if (s->kind == SET_AMP)
		act_persist_bytes(out, BOB_REC_SET_CLOSED, ACTION_NO_CHAN, 0, s->key, AMP_LEN);
	for (size_t i = 0; i < s->n; i++)
		be_transmit(e, chan_of(e, &s->htlcs[i]), s->htlcs[i].htlc_id, out);
	free(pre);
	act_cancel(out, BOB_TIMER_HOLD, s->id);
	/* an MPP set's invoice remembers it is paid; an AMP set's key stays */
	ampset_mark_settled(&e->sets, s);
}

bool be_eager_claim(struct bob_engine *e, size_t chan, uint64_t htlc_id, struct actions *out)
{
	const struct bob_htlc *h = bob_engine_htlc(e, chan, htlc_id);
	struct bob_invoice *bi = h ? be_find_invoice(e, h->hash) : NULL;
	if (!bi)
		return false;
	/* adversarial: Bob wrote the invoice, so he knows the one preimage of
	 * every part; nothing but his honesty makes him wait for the total */
	struct evrec *r = act_log(out, "part_settled_early");
	evrec_str(r, "channel", e->chans[chan].ledger.id);
	evrec_u64(r, "htlc", htlc_id);
	evrec_u64(r, "amount_msat", h->amount.millisatoshis);
	evrec_u64(r, "total_msat", h->total.millisatoshis);
	evrec_str(r, "behaviour", bob_behaviour_name(e->cfg.behaviour));
	be_resolve(e, chan, htlc_id, HTLC_EV_SETTLE, bi->preimage, 0, "", out);
	be_transmit(e, chan, htlc_id, out);
	return true;
}

/* What ampset_add said about the part just added. */
void be_set_verdict(struct bob_engine *e, size_t chan, uint64_t htlc_id,
		    struct ampset_result r, uint64_t now_us, struct actions *out)
{
	const uint32_t unknown = AMPSIM__FAILURE_CODE__FAILURE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS;
	switch (r.verdict) {
	case SET_REJECT_ONE:
		be_fail_one(e, chan, htlc_id, unknown, r.why, out);
		return;
	case SET_FAIL_ALL:
		be_fail_set(e, r.set, unknown, r.why, out);
		return;
	case SET_HOLD:
		if (e->cfg.behaviour != BOB_HOLD && e->cfg.behaviour != BOB_LATE)
			be_arm_hold(e, r.set, out);
		return;
	case SET_COMPLETE:
		if (e->cfg.behaviour == BOB_HOLD) {
			/* adversarial: never settle, never fail; expiry returns it all */
			be_withhold_set(e, r.set, out);
			return;
		}
		be_settle_set(e, r.set, now_us, out);
		return;
	}
}

void be_hold_timeout(struct bob_engine *e, uint64_t set_id, uint64_t now_us,
		     struct actions *out)
{
	(void)now_us;
	struct ampset *s = ampset_by_id(&e->sets, set_id);
	if (!s)
		return;   /* settled or failed since the timer was armed */
	/* BOLT #4: "if it fails to receive all the parts within a reasonable
	 * time: MUST fail all HTLCs in the HTLC set" with mpp_timeout */
	be_fail_set(e, s, AMPSIM__FAILURE_CODE__FAILURE_MPP_TIMEOUT,
		    "incomplete set held too long (mpp_timeout)", out);
}

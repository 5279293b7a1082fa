/* The engine's side of the connection to Bob: init and open_channel when
 * it comes up, channel_reestablish and the replay of what Bob may have
 * missed once every channel is accepted again (BOLT #2), and the restart
 * from stored records. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "pay_engine.h"
#include "pay_internal.h"
#include "proto_limits.h"

static struct msg_link msg_link_of(const struct link_params *lp)
{
	struct msg_link l = {
		.delay_us = lp->delay_us,
		.jitter_us = lp->jitter_us,
		.drop = lp->drop,
		.duplicate = lp->duplicate,
		.dist = AMPSIM__JITTER_DIST__JITTER_UNIFORM,
	};
	switch (lp->jitter_dist) {
	case JITTER_UNIFORM: l.dist = AMPSIM__JITTER_DIST__JITTER_UNIFORM; break;
	case JITTER_NORMAL: l.dist = AMPSIM__JITTER_DIST__JITTER_NORMAL; break;
	case JITTER_PARETO: l.dist = AMPSIM__JITTER_DIST__JITTER_PARETO; break;
	}
	return l;
}

void pe_on_connected(struct pay_engine *e, bool reconnect, struct actions *out)
{
	struct msg m;
	if (reconnect) {
		e->reconnects++;
		struct evrec *ev = act_log(out, "reconnected");
		evrec_i64(ev, "attempt", (int64_t)e->reconnects);
	}
	e->peer_up = true;
	struct msg_init init = {
		.version = PROTOCOL_VERSION,
		.epoch_unix_us = e->clk.epoch_unix_us,
		.block_interval_us = e->clk.block_interval_us,
		.time_scale = e->clk.time_scale,
		.seed = e->seed,
	};
	act_send(out, PAY_CONN_BOB, ACTION_NO_CHAN, MSG_OTHER, msg_init(&m, &init));
	for (size_t i = 0; i < e->nchans; i++) {
		const struct pay_chan *pc = &e->chans[i];
		struct msg_link tb = msg_link_of(&pc->to_bob), ta = msg_link_of(&pc->to_alice);
		act_send(out, PAY_CONN_BOB, ACTION_NO_CHAN, MSG_OTHER,
			 msg_open_channel(&m, pc->ledger.id, pc->ledger.capacity.millisatoshis,
					  pc->ledger.alice.millisatoshis, pc->ledger.max_htlcs,
					  pc->ledger.htlc_minimum.millisatoshis, &tb, &ta));
	}
}

void pe_on_init(struct pay_engine *e, const Ampsim__Init *m, struct actions *out)
{
	e->refusals = 0;        /* bob takes us: whatever he refused before is over */
	e->bob_answered = true;
	if (m->version != PROTOCOL_VERSION) {
		char why[96];
		snprintf(why, sizeof(why), "bob speaks protocol version %u, expected %u", m->version,
			 PROTOCOL_VERSION);
		act_close(out, PAY_CONN_BOB, why);     /* the shell says why, loudly */
		return;
	}
	e->bob_inited = true;
}

void pay_engine_disconnected(struct pay_engine *e)
{
	e->peer_up = false;
	e->bob_answered = false;
	e->bob_inited = false;
	e->accepted = 0;
	for (size_t i = 0; i < e->nchans; i++)
		e->chans[i].accepted = false;   /* messages on their way died with the connection */
}

/* Every channel is (again) accepted: tell Bob where we stand and replay
 * what he may have missed (BOLT #2 channel_reestablish re-transmits
 * unacknowledged updates): every add still in flight, every invoice
 * request unanswered, and (after a restart) the parts never sent. */
static void resume(struct pay_engine *e, uint64_t now_us, struct actions *out)
{
	if (e->reconnects == 0 && !e->restarted)
		return;
	struct msg m;
	for (size_t i = 0; i < e->nchans; i++) {
		const struct pay_chan *pc = &e->chans[i];
		act_send(out, PAY_CONN_BOB, ACTION_NO_CHAN, MSG_OTHER,
			 msg_reestablish(&m, pc->ledger.id, pc->next_htlc_id, pc->ledger.nhtlcs));
	}
	unsigned replayed = 0;
	for (size_t k = 0; k < e->npays; k++) {
		struct payment *p = &e->pays[k];
		for (size_t j = 0; j < p->nparts; j++) {
			if (p->parts[j].state == PART_INFLIGHT) {
				pe_transmit_add(e, p, &p->parts[j], out);
				replayed++;
			}
		}
	}
	for (size_t i = 0; i < e->nreqs; i++)
		pe_send_invoice_request(e, &e->reqs[i], out);
	if (e->restarted) {
		/* requests in flight when we stopped were lost with us */
		e->restarted = false;
		for (size_t k = 0; k < e->npays; k++) {
			struct payment *p = &e->pays[k];
			if (p->outcome != OUTCOME_PENDING)
				continue;
			if (p->nparts == 0 && p->state != PAY_DEFERRED) {
				/* stopped before its parts were planned: start again */
				pe_start_payment(e, p, now_us, out);
				continue;
			}
			for (size_t j = 0; j < p->nparts; j++) {
				/* sending may grow p->parts: index, not pointer */
				if (p->parts[j].state != PART_WAITING)
					continue;
				if (p->parts[j].have_invoice || p->mode == PAY_AMP)
					pe_send_part(e, p, j, now_us, out);
				else
					pe_request_invoice(e, p, (int32_t)j, out);
			}
			pe_maybe_finish(e, p, out);
		}
	}
	pe_retry_deferred(e, now_us, out);
	struct evrec *ev = act_log(out, "reestablished");
	evrec_i64(ev, "adds_replayed", replayed);
	evrec_i64(ev, "reconnects", (int64_t)e->reconnects);
}

void pe_on_accept(struct pay_engine *e, const Ampsim__AcceptChannel *m, uint64_t now_us,
			  struct actions *out)
{
	e->owner_refusals = 0;
	size_t i = pay_engine_find_chan(e, m->channel_id);
	if (i == SIZE_MAX || e->chans[i].accepted)
		return;
	struct pay_chan *pc = &e->chans[i];
	pc->accepted = true;
	e->accepted++;
	struct evrec *ev = act_log(out, e->reconnects ? "channel_reconnected" : "channel_open");
	evrec_str(ev, "channel", pc->ledger.id);
	evrec_u64(ev, "capacity_msat", pc->ledger.capacity.millisatoshis);
	evrec_u64(ev, "alice_msat", pc->ledger.alice.millisatoshis);
	evrec_u64(ev, "bob_msat", pc->ledger.bob.millisatoshis);
	if (e->accepted == e->nchans)
		resume(e, now_us, out);
}

bool pay_engine_restore(struct pay_engine *e, char *why, size_t whylen)
{
	e->restarted = true;
	for (size_t k = 0; k < e->npays; k++) {
		/* a payment not started has sent nothing, and one awaiting an
		 * invoice has a part waiting for it: otherwise nothing could
		 * end it (pe_maybe_finish) */
		const struct payment *p = &e->pays[k];
		bool sent = false, waiting = false;
		for (size_t j = 0; j < p->nparts; j++)
			if (p->parts[j].state == PART_WAITING)
				waiting = true;
			else
				sent = true;
		if (p->outcome == OUTCOME_PENDING && sent &&
		    (p->state == PAY_NEW || (p->state == PAY_AWAITING_INVOICE && !waiting))) {
			snprintf(why, whylen, "payment %s: parts were sent, yet it is %s", p->id,
				 pay_state_name(p->state));
			return false;
		}
	}
	for (size_t k = 0; k < e->npays; k++) {
		struct payment *p = &e->pays[k];
		if (p->state == PAY_DEFERRED && p->outcome == OUTCOME_PENDING)
			pe_note_deferred(e, p->seq);
		for (size_t j = 0; j < p->nparts; j++) {
			struct part *pt = &p->parts[j];
			if (pt->chan >= e->nchans || pt->state == PART_WAITING)
				continue;
			struct pay_chan *pc = &e->chans[pt->chan];
			/* an HTLC in flight is its part's; a resolved part (or one
			 * that failed unsent, whose id may be another's) takes the
			 * id only if nothing else holds it */
			struct pay_owner o;
			if (pt->state == PART_INFLIGHT || !owner_map_get(&pc->owners, pt->htlc_id, &o))
				owner_map_put(&pc->owners, pt->htlc_id, p->seq, (uint32_t)j);
			enum ledger_err le;
			if (pt->state == PART_INFLIGHT &&
			    (le = ledger_add(&pc->ledger, pt->htlc_id, pt->amount, pt->hash,
					     pt->cltv_expiry)) != LEDGER_OK) {
				snprintf(why, whylen, "payment %s: its in-flight HTLC %s/%llu does not "
					 "fit its channel (%s)", p->id, pc->ledger.id,
					 (unsigned long long)pt->htlc_id, ledger_err_name(le));
				return false;
			}
		}
		switch (p->outcome) {
		case OUTCOME_SETTLED: e->settled++; break;
		case OUTCOME_FAILED: e->failed++; break;
		case OUTCOME_REFUNDED: e->refunded++; break;
		case OUTCOME_PARTIAL: e->partial++; break;
		case OUTCOME_PENDING: break;
		}
	}
	for (size_t i = 0; i < e->nchans; i++) {
		if (!ledger_conserves(&e->chans[i].ledger)) {
			snprintf(why, whylen, "channel %s: balances and in-flight HTLCs do not add up "
				 "to its capacity", e->chans[i].ledger.id);
			return false;
		}
	}
	return true;
}

enum pay_refusal pay_engine_on_error(struct pay_engine *e, const Ampsim__Error *m)
{
	/* a refusal of the connection itself (no channel named) before Bob
	 * ever answered our init: another run's state, another protocol */
	if (!m->channel_id[0] && !e->bob_answered && ++e->refusals >= PAY_MAX_REFUSALS)
		return PAY_REFUSED_BY_BOB;
	/* our channels were opened by another node key: retrying as this one
	 * cannot help */
	if (m->code == AMPSIM__ERROR_CODE__ERROR_FOREIGN_CHANNEL &&
	    ++e->owner_refusals >= PAY_MAX_REFUSALS)
		return PAY_REFUSED_FOREIGN_CHANNEL;
	return PAY_REFUSAL_NONE;
}

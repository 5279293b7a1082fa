/* Alice's payment engine: payments from request to outcome. Planning and
 * splitting (split.c), invoices, sending parts, deferral while Bob or the
 * channels are out of reach, retry of a failed part, and the outcome. */
#include "pay_engine.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invoice.h"
#include "log.h"
#include "msg.h"
#include "pay_internal.h"
#include "proto_limits.h"
#include "split.h"

/* ---- set-up ---------------------------------------------------------- */

void pay_engine_init(struct pay_engine *e, const struct simclock *clk, uint64_t seed,
		     enum alice_behaviour behaviour, const struct pay_rand *rand)
{
	memset(e, 0, sizeof(*e));
	e->clk = *clk;
	e->seed = seed;
	e->behaviour = behaviour;
	e->rand = *rand;
	e->encode_records = true;
}

void pay_engine_configure(struct pay_engine *e, const struct simclock *clk, uint64_t seed,
			  enum alice_behaviour behaviour, bool has_chain)
{
	e->clk = *clk;
	e->seed = seed;
	e->behaviour = behaviour;
	e->has_chain = has_chain;
}

void pay_engine_free(struct pay_engine *e)
{
	chain_wait_free(&e->wait);
	pay_engine_drop_channels(e);
	for (size_t i = 0; i < e->npays; i++)
		payment_free(&e->pays[i]);
	free(e->pays);
	u64map_free(&e->pay_by_id);
	e->pay_id_clashes = 0;
	free(e->reqs);
	free(e->deferred);
	e->deferred = NULL;
	e->ndeferred = e->deferred_cap = 0;
	e->pays = NULL;
	e->reqs = NULL;
	e->npays = e->nreqs = 0;
}

/* ---- helpers the engine's files share ---------------------------------- */

void pe_rand(struct pay_engine *e, uint8_t *buf, size_t n)
{
	e->rand.bytes(e->rand.ctx, buf, n);
}

void pe_persist(struct pay_engine *e, const struct payment *p, size_t chan, struct actions *out)
{
	(void)e;
	if (chan != SIZE_MAX)
		act_persist(out, PAY_REC_CHANNEL, chan, 0);
	if (p)
		act_persist(out, PAY_REC_PAYMENT, ACTION_NO_CHAN, p->seq);
}

void pe_check_conservation(const struct pay_engine *e, size_t chan, struct actions *out)
{
	if (!ledger_conserves(&e->chans[chan].ledger))
		act_violation(out, "channel %s: balances + in-flight != capacity",
			      e->chans[chan].ledger.id);
}

bool pe_connected(const struct pay_engine *e)
{
	return e->peer_up && e->bob_inited && e->accepted == e->nchans;
}

bool pay_engine_ready(const struct pay_engine *e)
{
	return pe_connected(e);
}

struct part *pe_owner_any(struct pay_engine *e, size_t chan, uint64_t htlc_id,
			  struct payment **payp)
{
	struct pay_owner o;
	struct payment *p = owner_map_get(&e->chans[chan].owners, htlc_id, &o) ?
			    pay_engine_by_seq(e, o.seq) : NULL;
	if (!p || o.part >= p->nparts)
		return NULL;
	*payp = p;
	return &p->parts[o.part];
}

static void build_split_chans(const struct pay_engine *e, struct split_chan *sc)
{
	for (size_t i = 0; i < e->nchans; i++) {
		const struct ledger *l = &e->chans[i].ledger;
		sc[i].spendable = ledger_spendable(l);
		sc[i].free_slots = ledger_free_slots(l);
		sc[i].minimum = l->htlc_minimum;
		sc[i].usable = e->chans[i].accepted && !e->chans[i].down;
	}
}

void pay_engine_set_down(struct pay_engine *e, size_t chan, bool down)
{
	e->chans[chan].down = down;
}

/* ---- outcomes ------------------------------------------------------- */

void pe_maybe_finish(struct pay_engine *e, struct payment *p, struct actions *out)
{
	if (p->state == PAY_DONE || p->outcome != OUTCOME_PENDING || payment_busy(p))
		return;
	bool violation;
	enum outcome o = payment_outcome(p, &violation);
	if (!payment_change(p, PAYEV_FINISH, FSM_OURS, out))
		return;
	p->outcome = o;
	/* a reason is for what did not settle: one left from waiting (for a
	 * channel, for bob) no longer applies */
	if (o == OUTCOME_SETTLED)
		p->why[0] = '\0';
	if (violation)
		act_violation(out, "payment %s: %s settled in part (atomicity)", p->id,
			      pay_mode_name(p->mode));
	switch (p->outcome) {
	case OUTCOME_SETTLED: e->settled++; break;
	case OUTCOME_FAILED: e->failed++; break;
	case OUTCOME_REFUNDED: e->refunded++; break;
	case OUTCOME_PARTIAL: e->partial++; break;
	case OUTCOME_PENDING: break;
	}
	pe_persist(e, p, SIZE_MAX, out);
	struct evrec *ev = act_log(out, "payment_outcome");
	evrec_str(ev, "payment", p->id);
	evrec_str(ev, "outcome", outcome_name(p->outcome));
	evrec_str(ev, "mode", pay_mode_name(p->mode));
	evrec_u64(ev, "amount_msat", p->amount.millisatoshis);
	evrec_u64(ev, "paid_msat", payment_paid(p).millisatoshis);
	if (p->why[0])
		evrec_str(ev, "why", p->why);
	act_outcome(out, p->outcome, p->seq);
}

/* ---- sending parts ---------------------------------------------------- */

void pe_fail_part_unsent(struct payment *p, size_t part, enum fsm_cause cause, const char *why,
			 struct actions *out)
{
	struct part *pt = &p->parts[part];
	if (!part_change(p, part, PEV_UNSENDABLE, cause, why, out))
		return;
	snprintf(pt->why, sizeof(pt->why), "%s", why);
	if (!p->why[0])
		snprintf(p->why, sizeof(p->why), "%s", why);
}

bool pay_engine_part_terms(const struct pay_engine *e, const struct part *pt,
			   struct chain_terms *t)
{
	return pt->chan < e->nchans &&
	       terms_fill(t, e->chans[pt->chan].ledger.id, pt->htlc_id, pt->hash,
			  pt->amount.millisatoshis, pt->cltv_expiry, e->terms.node, e->bob_node);
}

/* Put an add on the wire: the first time, or again after a reconnection. */
void pe_transmit_add(struct pay_engine *e, const struct payment *p, const struct part *pt,
		     struct actions *out)
{
	if (!e->peer_up)
		return;      /* replayed by reestablish once we are back */
	const struct pay_chan *pc = &e->chans[pt->chan];
	uint8_t share[AMP_LEN];
	struct msg m;
	struct msg_add add = {
		.channel = pc->ledger.id,
		.htlc_id = pt->htlc_id,
		.amount_msat = pt->amount.millisatoshis,
		.hash = pt->hash,
		.cltv_expiry = pt->cltv_expiry,
		.secret = pt->secret,
		/* separate invoices: each part is a whole payment of its own */
		.total_msat = p->mode == PAY_INVOICES ? pt->amount.millisatoshis
						      : p->amount.millisatoshis,
		.sender_sig = pt->signed_terms ? pt->sender_sig : NULL,
	};
	if (p->mode == PAY_AMP) {
		memcpy(share, pt->share, AMP_LEN);
		if (e->behaviour == ALICE_BAD_SHARE && pt == &p->parts[0])
			share[0] ^= 0x01;   /* adversarial: Bob cannot rebuild the root */
		add.share = share;
		add.set_id = p->set_id;
		add.child_index = pt->child_index;
	}
	act_send(out, PAY_CONN_BOB, pt->chan, MSG_ADD, msg_add(&m, &add));
}

/* Put one part on the wire: pick a channel if its own cannot take it,
 * add the HTLC to our ledger (before sending, so the ledger never lags
 * what Bob may see), log, send. */
void pe_send_part(struct pay_engine *e, struct payment *p, size_t part, uint64_t now_us,
		  struct actions *out)
{
	struct part *pt = &p->parts[part];
	struct split_chan sc[PAY_MAX_CHANNELS];
	build_split_chans(e, sc);
	if (pt->chan >= e->nchans ||
	    split_pick_channel(sc, e->nchans, pt->amount, SIZE_MAX) == SIZE_MAX ||
	    !sc[pt->chan].usable || amount_less(sc[pt->chan].spendable, pt->amount) ||
	    sc[pt->chan].free_slots == 0) {
		size_t c = split_pick_channel(sc, e->nchans, pt->amount, SIZE_MAX);
		if (c == SIZE_MAX) {
			pe_fail_part_unsent(p, part, FSM_OURS, "no usable channel can carry this part", out);
			return;
		}
		pt->chan = c;
	}
	struct pay_chan *pc = &e->chans[pt->chan];
	uint32_t height = simclock_height_of(&e->clk, now_us);
	pt->cltv_expiry = height + p->expiry_blocks;
	pt->htlc_id = pc->next_htlc_id;
	enum ledger_err le = ledger_add(&pc->ledger, pt->htlc_id, pt->amount, pt->hash,
					pt->cltv_expiry);
	if (le != LEDGER_OK) {
		pe_fail_part_unsent(p, part, FSM_OURS, ledger_err_name(le), out);
		return;
	}
	pc->next_htlc_id++;
	pe_check_conservation(e, pt->chan, out);
	owner_map_put(&pc->owners, pt->htlc_id, p->seq, (uint32_t)part);
	/* the terms Alice offers, signed before Bob can hear of them */
	struct chain_terms terms;
	pt->countersigned = false;
	pt->signed_terms = pay_engine_part_terms(e, pt, &terms) &&
			   terms_sign(&e->terms, &terms, pt->sender_sig);
	if (!part_change(p, part, PEV_SENT, FSM_OURS, NULL, out))
		return;
	pe_persist(e, p, pt->chan, out);   /* the HTLC exists before Bob can hear of it */

	struct evrec *ev = act_log(out, "htlc_offered");
	evrec_str(ev, "payment", p->id);
	evrec_str(ev, "channel", pc->ledger.id);
	evrec_u64(ev, "htlc", pt->htlc_id);
	evrec_u64(ev, "amount_msat", pt->amount.millisatoshis);
	evrec_hex(ev, "hash", pt->hash, AMP_LEN);
	evrec_i64(ev, "cltv_expiry", pt->cltv_expiry);
	if (p->mode == PAY_AMP) {
		evrec_hex(ev, "set_id", p->set_id, AMP_LEN);
		evrec_i64(ev, "child_index", pt->child_index);
	}
	evrec_i64(ev, "attempt", pt->attempt);

	pe_transmit_add(e, p, pt, out);
}

/* AMP: a fresh child index for every attempt (as lnd draws one), so no
 * payment hash is ever reused. */
static void amp_child(struct pay_engine *e, const uint8_t root[AMP_LEN], struct part *pt)
{
	uint8_t b[4];
	pe_rand(e, b, sizeof(b));
	pt->child_index = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			  (uint32_t)b[3] << 24;
	amp_derive(root, pt->share, pt->child_index, NULL, pt->hash);
}

/* lnd's sharer: n-1 random shares and one that balances them to the root
 * (n == 1: share = root). */
static void split_shares(struct pay_engine *e, const uint8_t root[AMP_LEN],
			 uint8_t (*shares)[AMP_LEN], size_t n)
{
	uint8_t acc[AMP_LEN];
	memcpy(acc, root, AMP_LEN);
	for (size_t i = 0; i + 1 < n; i++) {
		pe_rand(e, shares[i], AMP_LEN);
		amp_xor(acc, acc, shares[i]);
	}
	memcpy(shares[n - 1], acc, AMP_LEN);
	sodium_memzero(acc, sizeof(acc));
}

void pe_send_invoice_request(struct pay_engine *e, const struct inv_request *r,
			     struct actions *out)
{
	if (!e->peer_up)
		return;
	const struct payment *p = &e->pays[r->pay];
	char desc[96];
	struct msg m;
	if (r->part >= 0)
		snprintf(desc, sizeof(desc), "%s part %d", p->id, r->part + 1);
	else
		snprintf(desc, sizeof(desc), "%s", p->id);
	uint64_t amount = r->part >= 0 ? p->parts[r->part].amount.millisatoshis
				       : p->amount.millisatoshis;
	act_send(out, PAY_CONN_BOB, ACTION_NO_CHAN, MSG_OTHER,
		 msg_invoice_request(&m, r->id, amount, desc));
}

void pe_request_invoice(struct pay_engine *e, struct payment *p, int32_t part,
			struct actions *out)
{
	if (e->nreqs == e->reqs_cap) {
		e->reqs_cap = e->reqs_cap ? 2 * e->reqs_cap : 16;
		e->reqs = xrealloc(e->reqs, e->reqs_cap * sizeof(*e->reqs));
	}
	struct inv_request *r = &e->reqs[e->nreqs++];
	r->id = ++e->next_req;
	r->pay = pay_index(e, p);
	r->part = part;
	pe_send_invoice_request(e, r, out);   /* without a peer, reestablish sends it */
}

/* Split p over the channels as they are now into parts (not sent yet).
 * When that fails only because channels are down or Bob is out of reach,
 * and the payment still has time, *wait is set: the payment waits for the
 * channels rather than fail ("timeout: how long Alice keeps trying"). */
static bool plan_parts(struct pay_engine *e, struct payment *p, uint32_t nparts, uint64_t now_us,
		       bool *wait)
{
	struct split_chan sc[PAY_MAX_CHANNELS];
	struct split_part sp[SPLIT_MAX_PARTS];
	const char *why;
	*wait = false;
	build_split_chans(e, sc);
	size_t n = split_payment(sc, e->nchans, p->amount, nparts, sp, SPLIT_MAX_PARTS, &why);
	if (n == 0) {
		snprintf(p->why, sizeof(p->why), "%s", why);
		/* would it fit with every channel up? then it is worth waiting */
		bool some_down = false;
		for (size_t i = 0; i < e->nchans; i++) {
			some_down |= !sc[i].usable;
			sc[i].usable = true;
		}
		const char *w2;
		*wait = some_down && now_us <= p->deadline_us &&
			split_payment(sc, e->nchans, p->amount, nparts, sp, SPLIT_MAX_PARTS, &w2) > 0;
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		struct part *pt = payment_new_part(p);
		pt->chan = sp[i].chan;
		pt->amount = sp[i].amount;
	}
	return true;
}

void pe_note_deferred(struct pay_engine *e, uint64_t seq)
{
	if (e->ndeferred == e->deferred_cap) {
		e->deferred_cap = e->deferred_cap ? 2 * e->deferred_cap : 16;
		e->deferred = xrealloc(e->deferred, e->deferred_cap * sizeof(*e->deferred));
	}
	e->deferred[e->ndeferred++] = seq;
}

static void defer(struct pay_engine *e, struct payment *p, const char *reason,
		  struct actions *out)
{
	if (!payment_change(p, PAYEV_DEFER, FSM_OURS, out))
		return;
	pe_note_deferred(e, p->seq);
	pe_persist(e, p, SIZE_MAX, out);
	struct evrec *ev = act_log(out, "payment_deferred");
	evrec_str(ev, "payment", p->id);
	evrec_str(ev, "reason", reason);
}

/* Split and send (or, in mode invoices, ask for the parts' invoices): what
 * a payment does once it has what it needs to start. */
static void launch(struct pay_engine *e, struct payment *p, uint64_t now_us, struct actions *out)
{
	if (!payment_change(p, PAYEV_LAUNCH, FSM_OURS, out))
		return;
	uint32_t n = p->mode == PAY_SINGLE ? 1 : p->shards;
	bool wait;
	if (!plan_parts(e, p, n, now_us, &wait)) {
		if (wait)
			defer(e, p, p->why, out);
		else if (p->mode == PAY_SINGLE)
			snprintf(p->why, sizeof(p->why), "no single channel can carry the whole amount");
		pe_maybe_finish(e, p, out);
		return;
	}
	switch (p->mode) {
	case PAY_SINGLE:
	case PAY_MPP:
		for (size_t i = 0; i < p->nparts; i++) {
			memcpy(p->parts[i].hash, p->inv_hash, AMP_LEN);
			memcpy(p->parts[i].secret, p->inv_secret, AMP_LEN);
			p->parts[i].have_invoice = true;
		}
		for (size_t i = 0; i < p->nparts; i++)
			pe_send_part(e, p, i, now_us, out);
		break;
	case PAY_INVOICES:
		/* the seed's first workaround: one invoice per part */
		for (size_t i = 0; i < p->nparts; i++)
			pe_request_invoice(e, p, (int32_t)i, out);
		break;
	case PAY_AMP: {
		uint8_t root[AMP_LEN];
		uint8_t (*shares)[AMP_LEN] = xcalloc(p->nparts, AMP_LEN);
		pe_rand(e, root, AMP_LEN);
		pe_rand(e, p->set_id, AMP_LEN);
		split_shares(e, root, shares, p->nparts);
		/* AMP needs no invoice; the payment_secret is just random */
		uint8_t secret[AMP_LEN];
		pe_rand(e, secret, AMP_LEN);
		for (size_t i = 0; i < p->nparts; i++) {
			struct part *pt = &p->parts[i];
			memcpy(pt->share, shares[i], AMP_LEN);
			memcpy(pt->secret, secret, AMP_LEN);
			amp_child(e, root, pt);
		}
		sodium_memzero(root, sizeof(root));
		sodium_memzero(shares, p->nparts * AMP_LEN);
		free(shares);
		for (size_t i = 0; i < p->nparts; i++)
			pe_send_part(e, p, i, now_us, out);
		break;
	}
	}
	pe_maybe_finish(e, p, out);
}

void pe_start_payment(struct pay_engine *e, struct payment *p, uint64_t now_us,
		      struct actions *out)
{
	if (p->state == PAY_NEW) {
		struct evrec *ev = act_log(out, "payment_started");
		evrec_str(ev, "payment", p->id);
		evrec_str(ev, "mode", pay_mode_name(p->mode));
		evrec_u64(ev, "amount_msat", p->amount.millisatoshis);
		evrec_i64(ev, "shards", p->shards);
	}
	if (!pe_connected(e)) {
		/* Bob is out of reach (reconnecting, or restarting): wait for him
		 * while the payment's timeout lasts, rather than fail at once */
		defer(e, p, "not connected to bob", out);
		return;
	}
	pe_persist(e, p, SIZE_MAX, out);
	if ((p->mode == PAY_SINGLE || p->mode == PAY_MPP) && !payment_has_invoice(p)) {
		/* the seed's story: Bob sends an invoice, then Alice tries */
		if (!payment_change(p, PAYEV_ASK_INVOICE, FSM_OURS, out))
			return;
		pe_request_invoice(e, p, -1, out);
		return;
	}
	launch(e, p, now_us, out);
}

struct payment *pe_pay(struct pay_engine *e, const struct pay_request *r,
			       uint64_t now_us, struct actions *out)
{
	struct payment p;
	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "%s", r->id);
	p.state = PAY_NEW;
	p.outcome = OUTCOME_PENDING;
	p.mode = r->mode;
	p.amount = r->amount;
	p.shards = r->shards;
	p.expiry_blocks = r->expiry_blocks;
	p.min_final_cltv = r->min_final_cltv;
	p.deadline_us = r->deadline_us;
	p.bench = r->bench;
	if (r->inv_hash) {
		memcpy(p.inv_hash, r->inv_hash, AMP_LEN);
		memcpy(p.inv_secret, r->inv_secret, AMP_LEN);
	}
	size_t idx = e->npays;
	pay_engine_add_payment(e, &p);
	pe_start_payment(e, &e->pays[idx], now_us, out);
	return &e->pays[idx];
}

/* Payments waiting for Bob or for channels: try again (on reconnection,
 * when a fault changes a channel, and every block); past their timeout,
 * they fail. */
static int seq_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

void pe_retry_deferred(struct pay_engine *e, uint64_t now_us, struct actions *out)
{
	if (!e->ndeferred)
		return;
	/* the payments that went deferred, in the order of their seq (as the
	 * payments are kept); those deferred again meanwhile start a new list */
	uint64_t *list = e->deferred;
	size_t n = e->ndeferred;
	e->deferred = NULL;
	e->ndeferred = e->deferred_cap = 0;
	qsort(list, n, sizeof(*list), seq_cmp);
	for (size_t k = 0; k < n; k++) {
		if (k && list[k] == list[k - 1])
			continue;
		struct payment *p = pay_engine_by_seq(e, list[k]);
		if (!p || p->state != PAY_DEFERRED || p->outcome != OUTCOME_PENDING)
			continue;
		if (now_us > p->deadline_us) {
			char was[sizeof(p->why)];
			snprintf(was, sizeof(was), "%s", p->why);
			if (!pe_connected(e))
				snprintf(p->why, sizeof(p->why), "timed out waiting for the connection to bob");
			else
				snprintf(p->why, sizeof(p->why), "timed out waiting for usable channels (%s)", was);
			/* it stops waiting: what its parts did (if any) decides */
			if (!payment_change(p, PAYEV_TIMEOUT, FSM_OURS, out))
				continue;
			pe_maybe_finish(e, p, out);
			continue;
		}
		if (!pe_connected(e)) {
			pe_note_deferred(e, p->seq);   /* still waiting */
			continue;
		}
		pe_start_payment(e, p, now_us, out);
	}
	free(list);
}

static bool invoice_signed_by_bob(const struct pay_engine *e, const Ampsim__Invoice *m)
{
	if (m->signature.len != 64)
		return false;
	struct invoice inv;
	memset(&inv, 0, sizeof(inv));
	inv.amount = amount_msat(m->amount_msat);
	memcpy(inv.payment_hash, m->payment_hash.data, AMP_LEN);
	memcpy(inv.payment_secret, m->payment_secret.data, AMP_LEN);
	inv.min_final_cltv_expiry = m->min_final_cltv_expiry;
	inv.created_height = m->created_height;
	snprintf(inv.description, sizeof(inv.description), "%s", m->description);
	uint8_t digest[32];
	invoice_digest(&inv, digest);
	return e->verify.fn(e->verify.ctx, digest, m->signature.data);
}

void pe_on_invoice(struct pay_engine *e, const Ampsim__Invoice *m, uint64_t now_us,
			   struct actions *out)
{
	struct inv_request r;
	size_t i;
	for (i = 0; i < e->nreqs; i++)
		if (e->reqs[i].id == m->request_id)
			break;
	if (i == e->nreqs) {
		/* a duplicate, or an answer to a request already answered */
		struct evrec *ev = act_log(out, "invoice_ignored");
		evrec_u64(ev, "request", m->request_id);
		evrec_str(ev, "reason", "no request of that id is waiting");
		return;
	}
	r = e->reqs[i];
	e->reqs[i] = e->reqs[--e->nreqs];
	struct payment *p = &e->pays[r.pay];
	struct evrec *ev = act_log(out, "invoice_received");
	evrec_str(ev, "payment", p->id);
	evrec_u64(ev, "amount_msat", m->amount_msat);
	evrec_hex(ev, "hash", m->payment_hash.data, AMP_LEN);
	if (r.part < 0 && p->state == PAY_AWAITING_INVOICE &&
	    !payment_change(p, PAYEV_INVOICE, FSM_PEER, out))
		return;
	if (m->amount_msat == 0) {
		snprintf(p->why, sizeof(p->why), "Bob's invoice is for nothing");
		if (r.part >= 0)
			pe_fail_part_unsent(p, (size_t)r.part, FSM_PEER, p->why, out);
		pe_maybe_finish(e, p, out);
		return;
	}
	if (e->verify.fn && !invoice_signed_by_bob(e, m)) {
		/* not from the node Alice reached: never paid */
		struct evrec *rj = act_log(out, "invoice_rejected");
		evrec_str(rj, "payment", p->id);
		evrec_str(rj, "reason", "not signed by the bob alice is connected to");
		snprintf(p->why, sizeof(p->why), "Bob's invoice is not signed by his node key");
		if (r.part >= 0)
			pe_fail_part_unsent(p, (size_t)r.part, FSM_PEER, p->why, out);
		pe_maybe_finish(e, p, out);
		return;
	}
	if (r.part >= 0) {
		struct part *pt = &p->parts[r.part];
		memcpy(pt->hash, m->payment_hash.data, AMP_LEN);
		memcpy(pt->secret, m->payment_secret.data, AMP_LEN);
		pt->have_invoice = true;
		pe_persist(e, p, SIZE_MAX, out);
		if (now_us > p->deadline_us)
			pe_fail_part_unsent(p, (size_t)r.part, FSM_PEER,
					    "payment timed out waiting for the invoice", out);
		else
			pe_send_part(e, p, (size_t)r.part, now_us, out);
		pe_maybe_finish(e, p, out);
		return;
	}
	memcpy(p->inv_hash, m->payment_hash.data, AMP_LEN);
	memcpy(p->inv_secret, m->payment_secret.data, AMP_LEN);
	pe_persist(e, p, SIZE_MAX, out);
	if (now_us > p->deadline_us) {
		snprintf(p->why, sizeof(p->why), "payment timed out waiting for the invoice");
		pe_maybe_finish(e, p, out);
		return;
	}
	launch(e, p, now_us, out);
}

/* A failed part may be retried on another channel while the payment's
 * timeout lasts: for AMP the share is merged back and sent again under a
 * fresh child index (so a fresh hash); MPP and invoices reuse their hash. */
void pe_maybe_retry(struct pay_engine *e, struct payment *p, size_t failed_idx, uint64_t now_us,
		    struct actions *out)
{
	struct part old = p->parts[failed_idx];
	if (old.failure_code != AMPSIM__FAILURE_CODE__FAILURE_TEMPORARY_CHANNEL_FAILURE)
		return;   /* Bob's verdict on the payment itself: no point retrying */
	if (now_us > p->deadline_us || p->mode == PAY_SINGLE)
		return;
	if (p->nparts >= MAX_HTLCS)
		return;   /* a payment keeps at most 483 parts, retries included */
	struct split_chan sc[PAY_MAX_CHANNELS];
	build_split_chans(e, sc);
	size_t c = split_pick_channel(sc, e->nchans, old.amount, old.chan);
	if (c == SIZE_MAX)
		return;
	struct part *pt = payment_new_part(p);   /* may move p->parts */
	size_t idx = p->nparts - 1;
	pt->chan = c;
	pt->amount = old.amount;
	memcpy(pt->secret, old.secret, AMP_LEN);
	memcpy(pt->share, old.share, AMP_LEN);
	memcpy(pt->hash, old.hash, AMP_LEN);
	pt->attempt = old.attempt + 1;
	pt->have_invoice = true;
	if (p->mode == PAY_AMP) {
		/* rebuild the root from the set's shares to derive the new child:
		 * the root is the XOR of one share per original part; retries
		 * carry the share of the part they replace */
		uint8_t root[AMP_LEN] = { 0 };
		for (size_t i = 0; i + 1 < p->nparts; i++)
			if (p->parts[i].attempt == 0)
				amp_xor(root, root, p->parts[i].share);
		amp_child(e, root, pt);
		sodium_memzero(root, sizeof(root));
	}
	struct evrec *ev = act_log(out, "part_retry");
	evrec_str(ev, "payment", p->id);
	evrec_str(ev, "channel", e->chans[c].ledger.id);
	evrec_i64(ev, "attempt", pt->attempt);
	pe_send_part(e, p, idx, now_us, out);
}

/* alice: the sending daemon. Opens channels to Bob, obtains invoices over
 * the connection, splits payments over channels (split.c), tracks every
 * part (payer.c), retries failed parts under a fresh hash, verifies every
 * preimage and reclaims HTLCs at their expiry. The thin shell around the
 * pure ledger, split and payer logic. */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alice.h"
#include "daemon.h"
#include "events.h"
#include "frame.h"
#include "invoice.h"
#include "log.h"
#include "node.h"
#include "payer.h"
#include "peer.h"
#include "rpc.h"
#include "split.h"
#include "units.h"

static struct alice *the_alice;

static void schedule_reconnect(struct alice *a);
static void resume(struct alice *a);

static void check_conservation(struct alice *a, const struct alice_chan *ac)
{
	if (!ledger_conserves(&ac->c.ledger))
		evlog_violation(a->log, "channel %s: balances + in-flight != capacity",
				ac->c.ledger.id);
}

/* Write a payment (and the channel it just touched) before acting on it. */
static void persist(struct alice *a, const struct payment *p, const struct alice_chan *ac)
{
	if (!a->st)
		return;
	store_begin(a->st);
	if (ac)
		alice_store_channel(a, ac);
	if (p)
		alice_store_payment(a, p);
	store_commit(a->st);
}

struct alice_chan *find_chan(struct alice *a, const char *id)
{
	for (size_t i = 0; i < a->nchans; i++)
		if (strcmp(a->chans[i].c.ledger.id, id) == 0)
			return &a->chans[i];
	return NULL;
}

struct payment *find_pay(struct alice *a, const char *id)
{
	for (size_t i = 0; i < a->npays; i++)
		if (strcmp(a->pays[i].id, id) == 0)
			return &a->pays[i];
	return NULL;
}

static void set_owner(struct alice_chan *ac, uint64_t htlc_id, uint32_t pay, uint32_t part)
{
	if (htlc_id >= ac->owners_cap) {
		uint64_t cap = ac->owners_cap ? ac->owners_cap : 256;
		while (cap <= htlc_id)
			cap *= 2;
		ac->owners = xrealloc(ac->owners, cap * sizeof(*ac->owners));
		memset(ac->owners + ac->owners_cap, 0, (cap - ac->owners_cap) * sizeof(*ac->owners));
		ac->owners_cap = cap;
	}
	if (htlc_id >= ac->owners_cap) {
		/* unreachable: grown above */
	}
	ac->owners[htlc_id].pay = pay;
	ac->owners[htlc_id].part = part;
	ac->owners[htlc_id].used = true;
}

/* The part behind (channel, htlc id), whatever its state, or NULL. */
static struct part *owner_any(struct alice *a, struct alice_chan *ac, uint64_t htlc_id,
			      struct payment **payp)
{
	if (htlc_id >= ac->owners_cap || !ac->owners[htlc_id].used)
		return NULL;
	struct owner o = ac->owners[htlc_id];
	if (o.pay >= a->npays || o.part >= a->pays[o.pay].nparts)
		return NULL;
	*payp = &a->pays[o.pay];
	return &a->pays[o.pay].parts[o.part];
}

/* The in-flight part behind (channel, htlc id), or NULL. */
static struct part *owner_part(struct alice *a, struct alice_chan *ac, uint64_t htlc_id,
			       struct payment **payp)
{
	if (!ledger_find(&ac->c.ledger, htlc_id))
		return NULL;
	return owner_any(a, ac, htlc_id, payp);
}

static void build_split_chans(struct alice *a, struct split_chan *sc)
{
	for (size_t i = 0; i < a->nchans; i++) {
		const struct ledger *l = &a->chans[i].c.ledger;
		sc[i].spendable = ledger_spendable(l);
		sc[i].free_slots = ledger_free_slots(l);
		sc[i].minimum = l->htlc_minimum;
		sc[i].usable = chan_usable(&a->chans[i].c);
	}
}

/* ---- outcomes ------------------------------------------------------- */

json_t *payment_json(const struct alice *a, const struct payment *p)
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
		json_set_str(j, "channel", pt->chan < a->nchans ? a->chans[pt->chan].c.ledger.id : "");
		json_set_u64(j, "amount_msat", pt->amount.millisatoshis);
		json_set_hex(j, "hash", pt->hash, AMP_LEN);
		json_set_str(j, "result", part_state_name(pt->state));
		if (p->mode == PAY_AMP)
			json_object_set_new(j, "child_index", json_integer(pt->child_index));
		if (pt->state == PART_INFLIGHT || pt->state == PART_FULFILLED ||
		    pt->state == PART_REFUNDED || (pt->state == PART_FAILED && pt->chan < a->nchans))
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

static void maybe_finish(struct alice *a, struct payment *p)
{
	if (p->outcome != OUTCOME_PENDING || payment_busy(p))
		return;
	bool violation;
	p->outcome = payment_outcome(p, &violation);
	if (violation)
		evlog_violation(a->log, "payment %s: %s settled in part (atomicity)", p->id,
				pay_mode_name(p->mode));
	switch (p->outcome) {
	case OUTCOME_SETTLED: a->settled++; break;
	case OUTCOME_FAILED: a->failed++; break;
	case OUTCOME_REFUNDED: a->refunded++; break;
	case OUTCOME_PARTIAL: a->partial++; break;
	case OUTCOME_PENDING: break;
	}
	persist(a, p, NULL);
	json_t *ev = evlog_new(a->log, "payment_outcome");
	json_set_str(ev, "payment", p->id);
	json_set_str(ev, "outcome", outcome_name(p->outcome));
	json_set_str(ev, "mode", pay_mode_name(p->mode));
	json_set_u64(ev, "amount_msat", p->amount.millisatoshis);
	json_set_u64(ev, "paid_msat", payment_paid(p).millisatoshis);
	if (p->why[0])
		json_set_str(ev, "why", p->why);
	evlog_emit(a->log, ev);
	log_debug("payment %s: %s", p->id, outcome_name(p->outcome));
	size_t idx = (size_t)(p - a->pays);
	if (p->bench) {
		uint64_t now = simclock_wall_now_us();
		a->bench_lat_us[a->bench_done++] = now - a->bench_start_us[idx - a->bench_first_pay];
		if (p->outcome == OUTCOME_SETTLED)
			a->bench_settled++;
		if (a->bench_done == a->bench_total)
			a->bench_t1_us = now;
		else
			bench_next(a);
	}
}

/* ---- sending parts ---------------------------------------------------- */

static void fail_part_unsent(struct payment *p, struct part *pt, const char *why)
{
	if (!part_transition(pt, PEV_UNSENDABLE))
		fatal("part of %s cannot fail unsent from %s", p->id, part_state_name(pt->state));
	snprintf(pt->why, sizeof(pt->why), "%s", why);
	if (!p->why[0])
		snprintf(p->why, sizeof(p->why), "%s", why);
}

/* Put an add on the wire: the first time, or again after a reconnection. */
static void transmit_add(struct alice *a, const struct payment *p, const struct part *pt)
{
	struct alice_chan *ac = &a->chans[pt->chan];
	if (!a->peer)
		return;      /* replayed by reestablish once we are back */
	Ampsim__UpdateAddHtlc add = AMPSIM__UPDATE_ADD_HTLC__INIT;
	Ampsim__MppRecord mpp = AMPSIM__MPP_RECORD__INIT;
	Ampsim__AmpRecord amp = AMPSIM__AMP_RECORD__INIT;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	uint8_t share[AMP_LEN];
	add.channel_id = ac->c.ledger.id;
	add.htlc_id = pt->htlc_id;
	add.amount_msat = pt->amount.millisatoshis;
	add.payment_hash = bin32(pt->hash);
	add.cltv_expiry = pt->cltv_expiry;
	mpp.payment_secret = bin32(pt->secret);
	/* separate invoices: each part is a whole payment of its own */
	mpp.total_msat = p->mode == PAY_INVOICES ? pt->amount.millisatoshis : p->amount.millisatoshis;
	add.mpp = &mpp;
	if (p->mode == PAY_AMP) {
		memcpy(share, pt->share, AMP_LEN);
		if (a->behaviour == ALICE_BAD_SHARE && pt == &p->parts[0])
			share[0] ^= 0x01;   /* adversarial: Bob cannot rebuild the root */
		amp.root_share = bin32(share);
		amp.set_id = bin32(p->set_id);
		amp.child_index = pt->child_index;
		add.amp = &amp;
	}
	env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC;
	env.update_add_htlc = &add;
	peer_send_on(a->peer, &ac->c.out, ac->c.ledger.id, MSG_ADD, &env);
}

/* Put one part on the wire: pick a channel if its own cannot take it,
 * add the HTLC to our ledger (before sending, so the ledger never lags
 * what Bob may see), log, send. */
static void send_part(struct alice *a, struct payment *p, struct part *pt)
{
	struct split_chan sc[ALICE_MAX_CHANNELS];
	build_split_chans(a, sc);
	if (pt->chan >= a->nchans || split_pick_channel(sc, a->nchans, pt->amount, SIZE_MAX) == SIZE_MAX ||
	    !sc[pt->chan].usable || amount_less(sc[pt->chan].spendable, pt->amount) ||
	    sc[pt->chan].free_slots == 0) {
		size_t c = split_pick_channel(sc, a->nchans, pt->amount, SIZE_MAX);
		if (c == SIZE_MAX) {
			fail_part_unsent(p, pt, "no usable channel can carry this part");
			return;
		}
		pt->chan = c;
	}
	struct alice_chan *ac = &a->chans[pt->chan];
	uint32_t height = simclock_height(&a->clk);
	pt->cltv_expiry = height + p->expiry_blocks;
	pt->htlc_id = ac->c.next_htlc_id;
	enum ledger_err le = ledger_add(&ac->c.ledger, pt->htlc_id, pt->amount, pt->hash, pt->cltv_expiry);
	if (le != LEDGER_OK) {
		fail_part_unsent(p, pt, ledger_err_name(le));
		return;
	}
	ac->c.next_htlc_id++;
	check_conservation(a, ac);
	set_owner(ac, pt->htlc_id, (uint32_t)(p - a->pays), (uint32_t)(pt - p->parts));
	if (!part_transition(pt, PEV_SENT))
		fatal("part of %s sent from %s", p->id, part_state_name(pt->state));
	persist(a, p, ac);   /* the HTLC exists before Bob can hear of it */

	json_t *ev = evlog_new(a->log, "htlc_offered");
	json_set_str(ev, "payment", p->id);
	json_set_str(ev, "channel", ac->c.ledger.id);
	json_set_u64(ev, "htlc", pt->htlc_id);
	json_set_u64(ev, "amount_msat", pt->amount.millisatoshis);
	json_set_hex(ev, "hash", pt->hash, AMP_LEN);
	json_object_set_new(ev, "cltv_expiry", json_integer(pt->cltv_expiry));
	if (p->mode == PAY_AMP) {
		json_set_hex(ev, "set_id", p->set_id, AMP_LEN);
		json_object_set_new(ev, "child_index", json_integer(pt->child_index));
	}
	json_object_set_new(ev, "attempt", json_integer(pt->attempt));
	evlog_emit(a->log, ev);

	transmit_add(a, p, pt);
}

/* AMP: a fresh child index for every attempt (as lnd draws one), so no
 * payment hash is ever reused. */
static void amp_child(const uint8_t root[AMP_LEN], struct part *pt)
{
	pt->child_index = randombytes_random();
	amp_derive(root, pt->share, pt->child_index, NULL, pt->hash);
}

static void send_invoice_request(struct alice *a, const struct inv_request *r)
{
	const struct payment *p = &a->pays[r->pay];
	Ampsim__InvoiceRequest m = AMPSIM__INVOICE_REQUEST__INIT;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	char desc[96];
	if (r->part >= 0)
		snprintf(desc, sizeof(desc), "%s part %d", p->id, r->part + 1);
	else
		snprintf(desc, sizeof(desc), "%s", p->id);
	m.request_id = r->id;
	m.amount_msat = r->part >= 0 ? p->parts[r->part].amount.millisatoshis : p->amount.millisatoshis;
	m.description = desc;
	env.msg_case = AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST;
	env.invoice_request = &m;
	if (a->peer)
		peer_send(a->peer, &env);
}

static void request_invoice(struct alice *a, struct payment *p, int32_t part)
{
	if (a->nreqs == a->reqs_cap) {
		a->reqs_cap = a->reqs_cap ? 2 * a->reqs_cap : 16;
		a->reqs = xrealloc(a->reqs, a->reqs_cap * sizeof(*a->reqs));
	}
	struct inv_request *r = &a->reqs[a->nreqs++];
	r->id = ++a->next_req;
	r->pay = (uint32_t)(p - a->pays);
	r->part = part;
	p->invoices_pending++;
	send_invoice_request(a, r);   /* without a peer, resume() sends it after reconnecting */
}

/* Split p over the channels as they are now into parts (not sent yet).
 * When that fails only because channels are down or Bob is out of reach,
 * and the payment still has time, *wait is set: the payment waits for the
 * channels rather than fail ("timeout: how long Alice keeps trying"). */
static bool plan_parts(struct alice *a, struct payment *p, uint32_t nparts, bool *wait)
{
	struct split_chan sc[ALICE_MAX_CHANNELS];
	struct split_part sp[SPLIT_MAX_PARTS];
	const char *why;
	*wait = false;
	build_split_chans(a, sc);
	size_t n = split_payment(sc, a->nchans, p->amount, nparts, sp, SPLIT_MAX_PARTS, &why);
	if (n == 0) {
		snprintf(p->why, sizeof(p->why), "%s", why);
		/* would it fit with every channel up? then it is worth waiting */
		bool some_down = false;
		for (size_t i = 0; i < a->nchans; i++) {
			some_down |= !sc[i].usable;
			sc[i].usable = true;
		}
		const char *w2;
		*wait = some_down && simclock_now(&a->clk) <= p->deadline_us &&
			split_payment(sc, a->nchans, p->amount, nparts, sp, SPLIT_MAX_PARTS, &w2) > 0;
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		struct part *pt = payment_new_part(p);
		pt->chan = sp[i].chan;
		pt->amount = sp[i].amount;
	}
	return true;
}

bool alice_connected(const struct alice *a)
{
	return a->peer && a->bob_inited && a->accepted == a->nchans;
}

static void defer(struct alice *a, struct payment *p, const char *reason)
{
	p->deferred = true;
	persist(a, p, NULL);
	json_t *ev = evlog_new(a->log, "payment_deferred");
	json_set_str(ev, "payment", p->id);
	json_set_str(ev, "reason", reason);
	evlog_emit(a->log, ev);
}

/* Split and send (or, in mode invoices, ask for the parts' invoices): what
 * a payment does once it has what it needs to start. */
static void launch(struct alice *a, struct payment *p)
{
	uint32_t n = p->mode == PAY_SINGLE ? 1 : p->shards;
	bool wait;
	if (!plan_parts(a, p, n, &wait)) {
		if (wait)
			defer(a, p, p->why);
		else if (p->mode == PAY_SINGLE)
			snprintf(p->why, sizeof(p->why), "no single channel can carry the whole amount");
		maybe_finish(a, p);
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
			send_part(a, p, &p->parts[i]);
		break;
	case PAY_INVOICES:
		/* the seed's first workaround: one invoice per part */
		for (size_t i = 0; i < p->nparts; i++)
			request_invoice(a, p, (int32_t)i);
		break;
	case PAY_AMP: {
		uint8_t root[AMP_LEN];
		uint8_t (*shares)[AMP_LEN] = xcalloc(p->nparts, AMP_LEN);
		randombytes_buf(root, AMP_LEN);
		randombytes_buf(p->set_id, AMP_LEN);
		amp_split(root, shares, p->nparts);
		/* AMP needs no invoice; the payment_secret is just random */
		uint8_t secret[AMP_LEN];
		randombytes_buf(secret, AMP_LEN);
		for (size_t i = 0; i < p->nparts; i++) {
			struct part *pt = &p->parts[i];
			memcpy(pt->share, shares[i], AMP_LEN);
			memcpy(pt->secret, secret, AMP_LEN);
			amp_child(root, pt);
		}
		sodium_memzero(root, sizeof(root));
		free(shares);
		for (size_t i = 0; i < p->nparts; i++)
			send_part(a, p, &p->parts[i]);
		break;
	}
	}
	maybe_finish(a, p);
}

void start_payment(struct alice *a, struct payment *p, const struct invoice *given)
{
	if (given) {
		memcpy(p->inv_hash, given->payment_hash, AMP_LEN);
		memcpy(p->inv_secret, given->payment_secret, AMP_LEN);
		p->have_inv = true;
	}
	p->deferred = false;
	if (!p->started) {
		p->started = true;
		json_t *ev = evlog_new(a->log, "payment_started");
		json_set_str(ev, "payment", p->id);
		json_set_str(ev, "mode", pay_mode_name(p->mode));
		json_set_u64(ev, "amount_msat", p->amount.millisatoshis);
		json_object_set_new(ev, "shards", json_integer(p->shards));
		evlog_emit(a->log, ev);
	}
	if (!alice_connected(a)) {
		/* Bob is out of reach (reconnecting, or restarting): wait for him
		 * while the payment's timeout lasts, rather than fail at once */
		defer(a, p, "not connected to bob");
		return;
	}
	persist(a, p, NULL);
	if ((p->mode == PAY_SINGLE || p->mode == PAY_MPP) && !p->have_inv) {
		/* the seed's story: Bob sends an invoice, then Alice tries */
		request_invoice(a, p, -1);
		return;
	}
	launch(a, p);
}

/* Payments waiting for Bob or for channels: try again (on reconnection,
 * when a fault changes a channel, and every block); past their timeout,
 * they fail. */
void retry_deferred(struct alice *a)
{
	uint64_t now = simclock_now(&a->clk);
	for (size_t k = 0; k < a->npays; k++) {
		struct payment *p = &a->pays[k];
		if (!p->deferred || p->outcome != OUTCOME_PENDING)
			continue;
		if (now > p->deadline_us) {
			p->deferred = false;
			char was[sizeof(p->why)];
			snprintf(was, sizeof(was), "%s", p->why);
			if (!alice_connected(a))
				snprintf(p->why, sizeof(p->why), "timed out waiting for the connection to bob");
			else
				snprintf(p->why, sizeof(p->why), "timed out waiting for usable channels (%s)", was);
			maybe_finish(a, p);
			continue;
		}
		if (!alice_connected(a))
			continue;
		/* start_payment may grow a->pays (benchmark): index, not pointer */
		start_payment(a, &a->pays[k], NULL);
	}
}

static void handle_invoice(struct alice *a, const Ampsim__Invoice *m)
{
	struct inv_request r;
	size_t i;
	for (i = 0; i < a->nreqs; i++)
		if (a->reqs[i].id == m->request_id)
			break;
	if (i == a->nreqs) {
		log_warn("invoice for unknown request %llu ignored", (unsigned long long)m->request_id);
		return;
	}
	r = a->reqs[i];
	a->reqs[i] = a->reqs[--a->nreqs];
	struct payment *p = &a->pays[r.pay];
	p->invoices_pending--;
	json_t *ev = evlog_new(a->log, "invoice_received");
	json_set_str(ev, "payment", p->id);
	json_set_u64(ev, "amount_msat", m->amount_msat);
	json_set_hex(ev, "hash", m->payment_hash.data, AMP_LEN);
	evlog_emit(a->log, ev);
	if (m->amount_msat == 0) {
		snprintf(p->why, sizeof(p->why), "Bob's invoice is for nothing");
		maybe_finish(a, p);
		return;
	}
	if (r.part >= 0) {
		struct part *pt = &p->parts[r.part];
		memcpy(pt->hash, m->payment_hash.data, AMP_LEN);
		memcpy(pt->secret, m->payment_secret.data, AMP_LEN);
		pt->have_invoice = true;
		persist(a, p, NULL);
		if (simclock_now(&a->clk) > p->deadline_us)
			fail_part_unsent(p, pt, "payment timed out waiting for the invoice");
		else
			send_part(a, p, pt);
		maybe_finish(a, p);
		return;
	}
	memcpy(p->inv_hash, m->payment_hash.data, AMP_LEN);
	memcpy(p->inv_secret, m->payment_secret.data, AMP_LEN);
	p->have_inv = true;
	persist(a, p, NULL);
	if (simclock_now(&a->clk) > p->deadline_us) {
		snprintf(p->why, sizeof(p->why), "payment timed out waiting for the invoice");
		maybe_finish(a, p);
		return;
	}
	launch(a, p);
}

/* A failed part may be retried on another channel while the payment's
 * timeout lasts: for AMP the share is merged back and sent again under a
 * fresh child index (so a fresh hash); MPP and invoices reuse their hash. */
static void maybe_retry(struct alice *a, struct payment *p, size_t failed_idx)
{
	struct part old = p->parts[failed_idx];
	if (old.failure_code != AMPSIM__FAILURE_CODE__FAILURE_TEMPORARY_CHANNEL_FAILURE)
		return;   /* Bob's verdict on the payment itself: no point retrying */
	if (simclock_now(&a->clk) > p->deadline_us || p->mode == PAY_SINGLE)
		return;
	struct split_chan sc[ALICE_MAX_CHANNELS];
	build_split_chans(a, sc);
	size_t c = split_pick_channel(sc, a->nchans, old.amount, old.chan);
	if (c == SIZE_MAX)
		return;
	struct part *pt = payment_new_part(p);   /* may move p->parts */
	p->parts[failed_idx].replaced = true;
	pt->chan = c;
	pt->amount = old.amount;
	memcpy(pt->secret, old.secret, AMP_LEN);
	memcpy(pt->share, old.share, AMP_LEN);
	memcpy(pt->hash, old.hash, AMP_LEN);
	pt->attempt = old.attempt + 1;
	pt->have_invoice = true;
	if (p->mode == PAY_AMP) {
		/* rebuild the root from the set's shares to derive the new child */
		uint8_t root[AMP_LEN] = { 0 };
		/* the root is the XOR of one share per original part; retries
		 * carry the share of the part they replace */
		for (size_t i = 0; i + 1 < p->nparts; i++)
			if (p->parts[i].attempt == 0)
				amp_xor(root, root, p->parts[i].share);
		amp_child(root, pt);
		sodium_memzero(root, sizeof(root));
	}
	json_t *ev = evlog_new(a->log, "part_retry");
	json_set_str(ev, "payment", p->id);
	json_set_str(ev, "channel", a->chans[c].c.ledger.id);
	json_object_set_new(ev, "attempt", json_integer(pt->attempt));
	evlog_emit(a->log, ev);
	send_part(a, p, pt);
}

static void send_ack(struct alice *a, struct alice_chan *ac, uint64_t htlc_id)
{
	if (!a->peer)
		return;
	Ampsim__ResolveAck ack = AMPSIM__RESOLVE_ACK__INIT;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	ack.channel_id = ac->c.ledger.id;
	ack.htlc_id = htlc_id;
	env.msg_case = AMPSIM__ENVELOPE__MSG_RESOLVE_ACK;
	env.resolve_ack = &ack;
	peer_send_on(a->peer, &ac->c.out, ac->c.ledger.id, MSG_OTHER, &env);
}

/* One in-flight part ends: ledger, part, event, store, then (for what Bob
 * told us) the acknowledgement, a retry, and maybe the payment's outcome. */
static void apply_resolution(struct alice *a, struct alice_chan *ac, struct payment *p,
			     struct part *pt, enum part_state how, const uint8_t *preimage,
			     uint32_t code, const char *reason, const char *source)
{
	struct ledger_htlc h;
	enum htlc_end end = how == PART_FULFILLED ? HTLC_FULFILLED
			  : how == PART_FAILED ? HTLC_FAILED : HTLC_REFUNDED;
	if (ledger_resolve(&ac->c.ledger, pt->htlc_id, end, &h) != LEDGER_OK)
		fatal("resolving HTLC %llu that is not in flight on %s",
		      (unsigned long long)pt->htlc_id, ac->c.ledger.id);
	check_conservation(a, ac);
	enum part_event pev = how == PART_FULFILLED ? PEV_FULFILLED
			    : how == PART_FAILED ? PEV_FAILED : PEV_EXPIRED;
	if (!part_transition(pt, pev))
		fatal("part of %s: %s in state %s", p->id, part_event_name(pev),
		      part_state_name(pt->state));
	pt->onchain = strcmp(source, "chain") == 0;
	pt->failure_code = code;
	if (reason)
		snprintf(pt->why, sizeof(pt->why), "%s", reason);
	persist(a, p, ac);
	const char *name = how == PART_FULFILLED ? "htlc_fulfilled"
			 : how == PART_FAILED ? "htlc_failed" : "htlc_refunded";
	json_t *ev = evlog_new(a->log, name);
	json_set_str(ev, "payment", p->id);
	json_set_str(ev, "channel", ac->c.ledger.id);
	json_set_u64(ev, "htlc", h.id);
	json_set_u64(ev, "amount_msat", h.amount.millisatoshis);
	json_set_hex(ev, "hash", h.hash, AMP_LEN);
	if (preimage)
		json_set_hex(ev, "preimage", preimage, AMP_LEN);
	if (code)
		json_object_set_new(ev, "failure_code", json_integer(code));
	if (reason)
		json_set_str(ev, "reason", reason);
	json_set_str(ev, "source", source);
	evlog_emit(a->log, ev);
	if (strcmp(source, "message") == 0)
		send_ack(a, ac, h.id);
	if (how == PART_FAILED) {
		if (!p->why[0])
			snprintf(p->why, sizeof(p->why), "Bob failed a part: %s", reason ? reason : "");
		maybe_retry(a, p, (size_t)(pt - p->parts));
	}
	maybe_finish(a, p);
}

/* A fulfill Alice will not apply, and why. */
static void fulfill_not_applied(struct alice *a, const Ampsim__UpdateFulfillHtlc *m,
				const char *event, const char *reason)
{
	json_t *ev = evlog_new(a->log, event);
	json_set_str(ev, "channel", m->channel_id);
	json_set_u64(ev, "htlc", m->htlc_id);
	json_set_str(ev, "reason", reason);
	evlog_emit(a->log, ev);
}

static void handle_fulfill(struct alice *a, const Ampsim__UpdateFulfillHtlc *m)
{
	struct alice_chan *ac = find_chan(a, m->channel_id);
	struct payment *p = NULL;
	struct part *pt = ac ? owner_any(a, ac, m->htlc_id, &p) : NULL;
	if (pt && pt->state == PART_FULFILLED && preimage_matches(m->payment_preimage.data, pt->hash)) {
		/* a duplicate or a re-sent fulfill: we have it; say so again */
		send_ack(a, ac, m->htlc_id);
		return;
	}
	if (pt && !preimage_matches(m->payment_preimage.data, pt->hash)) {
		/* Alice checks SHA256(r) == h before she lets the HTLC go, and
		 * for every later claim of it too */
		fulfill_not_applied(a, m, "fulfill_rejected", "preimage does not hash to the payment hash");
		log_warn("channel %s: fulfill of HTLC %llu with a wrong preimage rejected",
			 m->channel_id, (unsigned long long)m->htlc_id);
		return;
	}
	if (!pt || pt->state != PART_INFLIGHT) {
		/* e.g. a fulfill that arrived after we reclaimed the HTLC at its
		 * expiry: too late, and not acknowledged */
		fulfill_not_applied(a, m, "fulfill_ignored", pt ? "HTLC already resolved" : "no such HTLC");
		return;
	}
	if (simclock_height(&a->clk) >= pt->cltv_expiry) {
		/* BOLT #2/#5: once the HTLC has timed out the offerer may reclaim
		 * it; a preimage arriving now is too late and is refused */
		fulfill_not_applied(a, m, "fulfill_refused", "arrived after the HTLC expired");
		return;
	}
	apply_resolution(a, ac, p, pt, PART_FULFILLED, m->payment_preimage.data, 0, NULL, "message");
}

static void handle_fail(struct alice *a, const Ampsim__UpdateFailHtlc *m)
{
	struct alice_chan *ac = find_chan(a, m->channel_id);
	struct payment *p = NULL;
	struct part *pt = ac ? owner_any(a, ac, m->htlc_id, &p) : NULL;
	if (pt && pt->state == PART_FAILED) {
		send_ack(a, ac, m->htlc_id);
		return;
	}
	if (!pt || pt->state != PART_INFLIGHT) {
		json_t *ev = evlog_new(a->log, "fail_ignored");
		json_set_str(ev, "channel", m->channel_id);
		json_set_u64(ev, "htlc", m->htlc_id);
		json_set_str(ev, "reason", pt ? "HTLC already resolved" : "no such HTLC");
		evlog_emit(a->log, ev);
		return;
	}
	apply_resolution(a, ac, p, pt, PART_FAILED, NULL, (uint32_t)m->failure_code, m->reason,
			 "message");
}

/* ---- connection ------------------------------------------------------ */

static void write_ready(struct alice *a)
{
	if (a->ready_written || !a->bob_inited || a->accepted < a->nchans)
		return;
	a->ready_written = true;
	printf("alice connected to bob with %zu channel%s\n", a->nchans, a->nchans == 1 ? "" : "s");
	fflush(stdout);
	if (a->ready_file) {
		json_t *r = json_pack("{s:i,s:I}", "pid", (int)getpid(), "epoch_unix_us",
				      (json_int_t)a->clk.epoch_unix_us);
		if (!write_ready_file(a->ready_file, r))
			log_warn("--ready-file %s: %s", a->ready_file, strerror(errno));
		json_decref(r);
	}
}

/* Every channel is (again) accepted: tell Bob where we stand and replay
 * what he may have missed (BOLT #2 channel_reestablish re-transmits
 * unacknowledged updates): every add still in flight, every invoice
 * request unanswered, and (after a restart) the parts never sent. */
static void resume(struct alice *a)
{
	if (a->reconnects == 0 && !a->restarted)
		return;
	for (size_t i = 0; i < a->nchans; i++) {
		struct alice_chan *ac = &a->chans[i];
		Ampsim__Reestablish r = AMPSIM__REESTABLISH__INIT;
		Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
		r.channel_id = ac->c.ledger.id;
		r.next_htlc_id = ac->c.next_htlc_id;
		r.inflight = ac->c.ledger.nhtlcs;
		env.msg_case = AMPSIM__ENVELOPE__MSG_REESTABLISH;
		env.reestablish = &r;
		peer_send(a->peer, &env);
	}
	unsigned replayed = 0;
	for (size_t k = 0; k < a->npays; k++) {
		struct payment *p = &a->pays[k];
		for (size_t m = 0; m < p->nparts; m++) {
			if (p->parts[m].state == PART_INFLIGHT) {
				transmit_add(a, p, &p->parts[m]);
				replayed++;
			}
		}
	}
	for (size_t i = 0; i < a->nreqs; i++)
		send_invoice_request(a, &a->reqs[i]);
	if (a->restarted) {
		/* requests in flight when we stopped were lost with us */
		a->restarted = false;
		for (size_t k = 0; k < a->npays; k++) {
			struct payment *p = &a->pays[k];
			if (p->outcome != OUTCOME_PENDING)
				continue;
			if (p->nparts == 0 && !p->deferred) {
				/* stopped before its parts were planned: start again */
				start_payment(a, p, NULL);
				continue;
			}
			for (size_t m = 0; m < p->nparts; m++) {
				struct part *pt = &p->parts[m];
				if (pt->state != PART_WAITING)
					continue;
				if (pt->have_invoice || p->mode == PAY_AMP)
					send_part(a, p, pt);
				else
					request_invoice(a, p, (int32_t)m);
			}
			maybe_finish(a, p);
		}
	}
	retry_deferred(a);
	json_t *ev = evlog_new(a->log, "reestablished");
	json_object_set_new(ev, "adds_replayed", json_integer(replayed));
	json_object_set_new(ev, "reconnects", json_integer((json_int_t)a->reconnects));
	evlog_emit(a->log, ev);
}

static void on_message(struct peer *p, const Ampsim__Envelope *env, void *arg)
{
	(void)p;
	struct alice *a = arg;
	switch (env->msg_case) {
	case AMPSIM__ENVELOPE__MSG_INIT:
		if (env->init->version != PROTOCOL_VERSION) {
			char why[96];
			snprintf(why, sizeof(why), "bob speaks protocol version %u, expected %u",
				 env->init->version, PROTOCOL_VERSION);
			log_warn("%s", why);
			peer_close(p, why);
			break;
		}
		a->bob_inited = true;
		write_ready(a);
		break;
	case AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL: {
		struct alice_chan *ac = find_chan(a, env->accept_channel->channel_id);
		if (ac && !ac->c.accepted) {
			ac->c.accepted = true;
			a->accepted++;
			json_t *ev = evlog_new(a->log, a->reconnects ? "channel_reconnected" : "channel_open");
			json_set_str(ev, "channel", ac->c.ledger.id);
			json_set_u64(ev, "capacity_msat", ac->c.ledger.capacity.millisatoshis);
			json_set_u64(ev, "alice_msat", ac->c.ledger.alice.millisatoshis);
			json_set_u64(ev, "bob_msat", ac->c.ledger.bob.millisatoshis);
			evlog_emit(a->log, ev);
			if (a->accepted == a->nchans)
				resume(a);
		}
		write_ready(a);
		break;
	}
	case AMPSIM__ENVELOPE__MSG_INVOICE:
		handle_invoice(a, env->invoice);
		break;
	case AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC:
		handle_fulfill(a, env->update_fulfill_htlc);
		break;
	case AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC:
		handle_fail(a, env->update_fail_htlc);
		break;
	case AMPSIM__ENVELOPE__MSG_ERROR:
		log_warn("bob says: %s%s%s", env->error->message,
			 env->error->channel_id[0] ? " on channel " : "", env->error->channel_id);
		break;
	case AMPSIM__ENVELOPE__MSG_PONG:
		a->pongs_got++;
		if (a->pings_left)
			send_ping(a);
		else if (a->pongs_got == a->pings_total)
			a->ping_done_us = simclock_wall_now_us();
		break;
	case AMPSIM__ENVELOPE__MSG_PING:
	case AMPSIM__ENVELOPE__MSG_RESOLVE_ACK:
	case AMPSIM__ENVELOPE__MSG_REESTABLISH:
	case AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL:
	case AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST:
	case AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC:
	case AMPSIM__ENVELOPE__MSG__NOT_SET:
	case _AMPSIM__ENVELOPE__MSG__CASE_IS_INT_SIZE:
		log_warn("unexpected %s from bob ignored", envelope_type_name(env));
		break;
	}
}

static void on_close(struct peer *p, const char *why, void *arg)
{
	struct alice *a = arg;
	(void)p;
	log_warn("connection to bob lost: %s", why);
	json_t *ev = evlog_new(a->log, "peer_disconnected");
	json_set_str(ev, "peer", "bob");
	json_set_str(ev, "reason", why);
	evlog_emit(a->log, ev);
	a->peer = NULL;
	a->bob_inited = false;
	a->accepted = 0;
	for (size_t i = 0; i < a->nchans; i++) {
		a->chans[i].c.accepted = false;
		/* messages still on their way die with the connection */
	}
	if (!a->stopping)
		schedule_reconnect(a);
}

static const struct peer_ops alice_peer_ops = { on_message, on_close };

static int connect_bob(const char *host, uint16_t port, int attempts, char *err, size_t errlen);
static void open_channels(struct alice *a);

static void on_reconnect(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct alice *a = arg;
	char err[256];
	int s = connect_bob(a->host, a->port, 1, err, sizeof(err));
	if (s < 0) {
		log_debug("reconnect: %s", err);
		schedule_reconnect(a);
		return;
	}
	a->reconnects++;
	a->reconnect_ms = 0;
	json_t *ev = evlog_new(a->log, "reconnected");
	json_object_set_new(ev, "attempt", json_integer((json_int_t)a->reconnects));
	evlog_emit(a->log, ev);
	a->peer = peer_new(a->base, s, "bob", &alice_peer_ops, a, a->log, &a->clk);
	open_channels(a);
}

/* Reconnect with exponential backoff: 20 ms, 40 ms, ... at most 1 s (wall). */
static void schedule_reconnect(struct alice *a)
{
	a->reconnect_ms = a->reconnect_ms ? a->reconnect_ms * 2 : 20;
	if (a->reconnect_ms > 1000)
		a->reconnect_ms = 1000;
	struct timeval tv = { (time_t)(a->reconnect_ms / 1000), (suseconds_t)(a->reconnect_ms % 1000) * 1000 };
	evtimer_add(a->reconnect_timer, &tv);
}

static int connect_bob(const char *host, uint16_t port, int attempts, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", port);
	int g = getaddrinfo(host, portstr, &hints, &ai);
	if (g != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(g));
		return -1;
	}
	/* Bob may still be starting: try for a few seconds, backing off */
	int fd = -1, last = 0;
	for (int attempt = 0; attempt < attempts && fd < 0; attempt++) {
		for (struct addrinfo *p = ai; p && fd < 0; p = p->ai_next) {
			fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
			if (fd < 0)
				continue;
			if (connect(fd, p->ai_addr, p->ai_addrlen) != 0) {
				last = errno;
				close(fd);
				fd = -1;
			}
		}
		if (fd < 0 && attempt + 1 < attempts) {
			struct timespec ts = { 0, (long)(10 + attempt * 10) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	freeaddrinfo(ai);
	if (fd < 0)
		snprintf(err, errlen, "cannot connect to %s:%u: %s", host, port, strerror(last));
	else
		evutil_make_socket_nonblocking(fd);
	return fd;
}

static void open_channels(struct alice *a)
{
	Ampsim__Init init = AMPSIM__INIT__INIT;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	char *features[] = { "mpp", "amp" };
	init.version = PROTOCOL_VERSION;
	init.n_features = 2;
	init.features = features;
	init.epoch_unix_us = a->clk.epoch_unix_us;
	init.block_interval_us = a->clk.block_interval_us;
	init.time_scale = a->clk.time_scale;
	init.seed = a->seed;
	env.msg_case = AMPSIM__ENVELOPE__MSG_INIT;
	env.init = &init;
	peer_send(a->peer, &env);
	for (size_t i = 0; i < a->nchans; i++) {
		struct alice_chan *ac = &a->chans[i];
		Ampsim__OpenChannel o = AMPSIM__OPEN_CHANNEL__INIT;
		Ampsim__LinkParams tb = AMPSIM__LINK_PARAMS__INIT, ta = AMPSIM__LINK_PARAMS__INIT;
		Ampsim__LinkParams *lps[2] = { &tb, &ta };
		const struct link_params *src[2] = { &ac->c.base_out, &ac->to_alice };
		for (int k = 0; k < 2; k++) {
			lps[k]->delay_us = src[k]->delay_us;
			lps[k]->jitter_us = src[k]->jitter_us;
			lps[k]->drop = src[k]->drop;
			lps[k]->duplicate = src[k]->duplicate;
			switch (src[k]->jitter_dist) {
			case JITTER_UNIFORM: lps[k]->jitter_dist = AMPSIM__JITTER_DIST__JITTER_UNIFORM; break;
			case JITTER_NORMAL: lps[k]->jitter_dist = AMPSIM__JITTER_DIST__JITTER_NORMAL; break;
			case JITTER_PARETO: lps[k]->jitter_dist = AMPSIM__JITTER_DIST__JITTER_PARETO; break;
			}
		}
		o.channel_id = ac->c.ledger.id;
		o.capacity_msat = ac->c.ledger.capacity.millisatoshis;
		o.alice_msat = ac->c.ledger.alice.millisatoshis;
		o.max_htlcs = ac->c.ledger.max_htlcs;
		o.htlc_minimum_msat = ac->c.ledger.htlc_minimum.millisatoshis;
		o.to_bob = &tb;
		o.to_alice = &ta;
		env.msg_case = AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL;
		env.open_channel = &o;
		peer_send(a->peer, &env);
	}
}

/* ---- blocks and expiry ------------------------------------------------ */

/* Each block: an in-flight HTLC whose expiry has come is reclaimed (BOLT
 * #5); with a chain, by a refund transaction, and the chain also tells us
 * of Bob's claims, whose preimages settle our parts. */
static void expire_htlcs(struct alice *a)
{
	uint32_t height = simclock_height(&a->clk);
	for (size_t i = 0; i < a->nchans; i++) {
		struct alice_chan *ac = &a->chans[i];
		for (uint32_t k = 0; k < ac->c.ledger.max_htlcs; k++) {
			const struct ledger_htlc *h = &ac->c.ledger.htlcs[k];
			if (!h->used)
				continue;
			struct payment *p = NULL;
			struct part *pt = owner_part(a, ac, h->id, &p);
			if (!pt)
				fatal("channel %s: HTLC %llu has no payment", ac->c.ledger.id,
				      (unsigned long long)h->id);
			struct chain_tx tx;
			if (a->chain && chain_confirmed(a->chain, ac->c.ledger.id, h->id, height, &tx)) {
				if (tx.kind == CHAIN_CLAIM) {
					json_t *ev = evlog_new(a->log, "onchain_preimage_learned");
					json_set_str(ev, "channel", ac->c.ledger.id);
					json_set_u64(ev, "htlc", h->id);
					evlog_emit(a->log, ev);
					apply_resolution(a, ac, p, pt, PART_FULFILLED, tx.preimage, 0,
							 "Bob claimed it on chain", "chain");
				} else {
					char why[64];
					snprintf(why, sizeof(why), "refund confirmed on chain at height %u",
						 tx.confirm_height);
					apply_resolution(a, ac, p, pt, PART_REFUNDED, NULL, 0, why, "chain");
				}
				continue;
			}
			if (h->cltv_expiry > height)
				continue;
			if (!a->chain) {
				char why[64];
				snprintf(why, sizeof(why), "expired at height %u", h->cltv_expiry);
				apply_resolution(a, ac, p, pt, PART_REFUNDED, NULL, 0, why, "expiry");
				continue;
			}
			struct chain_tx refund, winner;
			memset(&refund, 0, sizeof(refund));
			snprintf(refund.channel, sizeof(refund.channel), "%s", ac->c.ledger.id);
			refund.htlc_id = h->id;
			refund.kind = CHAIN_REFUND;
			enum chain_submit_result r = chain_submit(a->chain, &refund, h->hash, h->cltv_expiry,
								  height, &winner);
			if (r == CHAIN_ACCEPTED) {
				json_t *ev = evlog_new(a->log, "onchain_refund_sent");
				json_set_str(ev, "channel", ac->c.ledger.id);
				json_set_u64(ev, "htlc", h->id);
				evlog_emit(a->log, ev);
			}
		}
	}
}

static void arm_block_timer(struct alice *a);

static void on_block(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct alice *a = arg;
	expire_htlcs(a);
	retry_deferred(a);
	arm_block_timer(a);
}

static void arm_block_timer(struct alice *a)
{
	struct timeval tv = simclock_until_next_block(&a->clk);
	evtimer_add(a->block_timer, &tv);
}

/* ---- main ------------------------------------------------------------ */

/* After loading state: HTLCs in flight go back into the ledgers, and every
 * sent part is findable from its (channel, htlc id) again. */
static void restore(struct alice *a)
{
	for (size_t k = 0; k < a->npays; k++) {
		struct payment *p = &a->pays[k];
		for (size_t m = 0; m < p->nparts; m++) {
			struct part *pt = &p->parts[m];
			if (pt->chan >= a->nchans || pt->state == PART_WAITING)
				continue;
			struct alice_chan *ac = &a->chans[pt->chan];
			set_owner(ac, pt->htlc_id, (uint32_t)k, (uint32_t)m);
			if (pt->state == PART_INFLIGHT &&
			    ledger_add(&ac->c.ledger, pt->htlc_id, pt->amount, pt->hash, pt->cltv_expiry) != LEDGER_OK)
				fatal("state: in-flight HTLC %s/%llu does not load", ac->c.ledger.id,
				      (unsigned long long)pt->htlc_id);
		}
		switch (p->outcome) {
		case OUTCOME_SETTLED: a->settled++; break;
		case OUTCOME_FAILED: a->failed++; break;
		case OUTCOME_REFUNDED: a->refunded++; break;
		case OUTCOME_PARTIAL: a->partial++; break;
		case OUTCOME_PENDING: break;
		}
	}
	for (size_t i = 0; i < a->nchans; i++)
		check_conservation(a, &a->chans[i]);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: alice --connect HOST:PORT [--channel SPEC]... [options]\n"
		"The sending daemon of ampsim: opens channels to bob and pays over them.\n\n"
		"  --connect HOST:PORT       bob's address\n"
		"  --channel SPEC            open a channel: \"1btc\" or\n"
		"                            \"id=c1,capacity=1btc,alice=1btc,delay=20ms,jitter=5ms,\n"
		"                             jitter_dist=uniform,drop=0.1,max_htlcs=483\" (repeatable)\n"
		"  --events FILE             append JSON Lines events to FILE\n"
		"  --control SOCK            JSON-RPC control socket (Unix socket path)\n"
		"  --ready-file FILE         write {\"pid\":N,\"epoch_unix_us\":T} once channels are open\n"
		"  --seed N                  seed of every simulated random decision (default 1)\n"
		"  --block-interval D        simulated time per block (default 1s)\n"
		"  --time-scale X            simulated seconds per wall second (default 1)\n"
		"  --behaviour B             honest | bad-share (default honest)\n"
		"  --state DIR               keep channels and payments in DIR/alice.db; restart from it\n"
		"  --chain FILE              the simulated chain shared with bob (on-chain fallback)\n"
		"  -v, --verbose             more diagnostics on stderr\n"
		"  -h, --help                this help\n"
		"  -V, --version             print the version\n");
}

static int bad_usage(const char *what, const char *arg, const char *why)
{
	fprintf(stderr, "alice: %s '%s': %s\n(try alice --help)\n", what, arg, why);
	return 2;
}

static void free_alice(struct alice *a)
{
	if (a->peer)
		peer_free(a->peer);
	for (size_t i = 0; i < a->nchans; i++) {
		chan_free(&a->chans[i].c);
		free(a->chans[i].owners);
	}
	for (size_t i = 0; i < a->npays; i++)
		payment_free(&a->pays[i]);
	free(a->pays);
	free(a->reqs);
	free(a->bench_lat_us);
	if (a->reconnect_timer)
		event_free(a->reconnect_timer);
	store_close(a->st);
	chain_close(a->chain);
	free(a->bench_start_us);
	if (a->block_timer)
		event_free(a->block_timer);
	daemon_signals_free(a->sig);
	rpc_server_free(a->rpc);
	evlog_close(a->log);
	if (a->base)
		event_base_free(a->base);
	free(a);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'C' },
		{ "channel", required_argument, NULL, 'n' },
		{ "events", required_argument, NULL, 'e' },
		{ "control", required_argument, NULL, 'c' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'S' },
		{ "block-interval", required_argument, NULL, 'B' },
		{ "time-scale", required_argument, NULL, 'T' },
		{ "behaviour", required_argument, NULL, 'b' },
		{ "behavior", required_argument, NULL, 'b' },
		{ "state", required_argument, NULL, 's' },
		{ "chain", required_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct alice *a = xcalloc(1, sizeof(*a));
	const char *connect_to = NULL, *events = NULL, *control = NULL, *why;
	const char *state_dir = NULL, *chain_path = NULL;
	bool verbose = false;
	int c, rc = 0;
	char err[512];

	the_alice = a;
	a->seed = 1;
	a->clk.block_interval_us = 1000000;
	a->clk.time_scale = 1;
	while ((c = getopt_long(argc, argv, "vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'C': connect_to = optarg; break;
		case 'n': {
			if (a->nchans == ALICE_MAX_CHANNELS) {
				rc = bad_usage("--channel", optarg, "too many channels");
				goto out;
			}
			struct channel_config cc;
			char w[200];
			if (!channel_spec_parse(optarg, &cc, w, sizeof(w))) {
				rc = bad_usage("--channel", optarg, w);
				goto out;
			}
			if (!cc.id[0])
				snprintf(cc.id, sizeof(cc.id), "c%zu", a->nchans + 1);
			if (find_chan(a, cc.id)) {
				rc = bad_usage("--channel", optarg, "duplicate channel id");
				goto out;
			}
			struct alice_chan *ac = &a->chans[a->nchans];
			enum ledger_err le = ledger_init(&ac->c.ledger, cc.id, cc.capacity, cc.alice,
							 cc.max_htlcs, cc.htlc_minimum);
			if (le != LEDGER_OK) {
				rc = bad_usage("--channel", optarg, ledger_err_name(le));
				goto out;
			}
			ac->c.base_out = cc.link;
			ac->to_alice = cc.link;
			a->nchans++;
			break;
		}
		case 'e': events = optarg; break;
		case 'c': control = optarg; break;
		case 'r': a->ready_file = optarg; break;
		case 'S':
			if (!uint_parse(optarg, &a->seed, &why)) {
				rc = bad_usage("--seed", optarg, why);
				goto out;
			}
			break;
		case 'B':
			if (!duration_parse(optarg, &a->clk.block_interval_us, &why) ||
			    a->clk.block_interval_us == 0) {
				rc = bad_usage("--block-interval", optarg, a->clk.block_interval_us ? why : "must be above zero");
				goto out;
			}
			break;
		case 'T':
			if (!positive_parse(optarg, &a->clk.time_scale, &why)) {
				rc = bad_usage("--time-scale", optarg, why);
				goto out;
			}
			break;
		case 'b':
			if (!alice_behaviour_parse(optarg, &a->behaviour)) {
				rc = bad_usage("--behaviour", optarg, "expected honest or bad-share");
				goto out;
			}
			break;
		case 's': state_dir = optarg; break;
		case 'K': chain_path = optarg; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); goto out;
		case 'V': printf("alice (ampsim) %s\n", AMPSIM_VERSION); goto out;
		default: usage(stderr); rc = 2; goto out;
		}
	}
	if (optind < argc) {
		rc = bad_usage("argument", argv[optind], "unexpected");
		goto out;
	}
	char host[256];
	uint16_t port;
	if (!connect_to) {
		fprintf(stderr, "alice: --connect HOST:PORT is required\n(try alice --help)\n");
		rc = 2;
		goto out;
	}
	if (!parse_hostport(connect_to, host, sizeof(host), &port) || port == 0) {
		rc = bad_usage("--connect", connect_to, "expected HOST:PORT with a port above 0");
		goto out;
	}
	if (a->nchans == 0) {
		fprintf(stderr, "alice: at least one --channel is needed\n(try alice --help)\n");
		rc = 2;
		goto out;
	}
	log_init("alice", verbose);
	if (sodium_init() < 0)
		fatal("libsodium failed to initialise");
	a->clk.epoch_unix_us = simclock_wall_now_us();
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->port = port;
	if (state_dir) {
		if (!alice_store_open(a, state_dir, err, sizeof(err))) {
			fprintf(stderr, "alice: --state %s\n", err);
			rc = 2;
			goto out;
		}
		char given[ALICE_MAX_CHANNELS][LEDGER_ID_MAX];
		size_t ngiven = a->nchans;
		for (size_t i = 0; i < ngiven; i++)
			snprintf(given[i], sizeof(given[i]), "%s", a->chans[i].c.ledger.id);
		if (alice_store_load(a)) {
			a->restarted = true;
			/* the stored channels are the truth; say so if the command
			 * line asked for something else */
			bool same = ngiven == a->nchans;
			for (size_t i = 0; same && i < ngiven; i++)
				same = strcmp(given[i], a->chans[i].c.ledger.id) == 0;
			if (!same)
				log_warn("--state %s holds %zu channels that differ from the --channel options; "
					 "using the stored ones", state_dir, a->nchans);
			restore(a);
			log_info("restarted from %s: %zu channels, %zu payments", state_dir, a->nchans,
				 a->npays);
		} else {
			alice_store_meta(a);
			store_begin(a->st);
			for (size_t i = 0; i < a->nchans; i++)
				alice_store_channel(a, &a->chans[i]);
			store_commit(a->st);
		}
	}
	if (chain_path && !(a->chain = chain_open(chain_path, err, sizeof(err)))) {
		fprintf(stderr, "alice: --chain %s\n", err);
		rc = 2;
		goto out;
	}
	for (size_t i = 0; i < a->nchans; i++)
		link_init(&a->chans[i].c.out, &a->chans[i].c.base_out, a->seed,
			  a->chans[i].c.ledger.id, "to_bob");
	a->base = event_base_new();
	a->log = evlog_open(events, "alice", &a->clk, err, sizeof(err));
	if (!a->log) {
		fprintf(stderr, "alice: %s\n", err);
		rc = 2;
		goto out;
	}
	if (control) {
		a->rpc = rpc_listen(a->base, control, alice_methods, a, err, sizeof(err));
		if (!a->rpc) {
			fprintf(stderr, "alice: --control %s\n", err);
			rc = 2;
			goto out;
		}
	}
	a->reconnect_timer = evtimer_new(a->base, on_reconnect, a);
	a->sig = daemon_signals_new(a->base);
	a->block_timer = evtimer_new(a->base, on_block, a);
	arm_block_timer(a);
	if (a->restarted) {
		json_t *ev = evlog_new(a->log, "restart");
		json_object_set_new(ev, "payments", json_integer((json_int_t)a->npays));
		evlog_emit(a->log, ev);
	}
	int fd = connect_bob(host, port, a->restarted ? 1 : 40, err, sizeof(err));
	if (fd >= 0) {
		a->peer = peer_new(a->base, fd, "bob", &alice_peer_ops, a, a->log, &a->clk);
		open_channels(a);
	} else if (a->restarted) {
		/* bob may be down too: keep trying, we have state to finish */
		schedule_reconnect(a);
	} else {
		fprintf(stderr, "alice: %s\n", err);
		rc = 1;
		goto out;
	}
	event_base_dispatch(a->base);
	if (evlog_violations(a->log))
		rc = 1;
out:
	free_alice(a);
	return rc;
}

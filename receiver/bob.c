/* bob: the receiving daemon. Accepts Alice's channels, issues invoices,
 * reassembles MPP and AMP sets (receiver/ampset.c) and settles each set all
 * or none. This file is the thin shell: it decodes, calls the pure logic,
 * and encodes. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ampset.h"
#include "bob.h"
#include "daemon.h"
#include "events.h"
#include "frame.h"
#include "invoice.h"
#include "log.h"
#include "node.h"
#include "peer.h"
#include "rpc.h"
#include "units.h"

/* ---- helpers ---------------------------------------------------------- */

struct bob_chan *find_chan(struct bob *b, const char *id)
{
	for (size_t i = 0; i < b->nchans; i++)
		if (strcmp(b->chans[i].c.ledger.id, id) == 0)
			return &b->chans[i];
	return NULL;
}

/* Newest first: an invoice is usually paid soon after it is issued. */
static struct bob_invoice *find_invoice(struct bob *b, const uint8_t hash[AMP_LEN])
{
	for (size_t i = b->ninvoices; i-- > 0;)
		if (memcmp(b->invoices[i].inv.payment_hash, hash, AMP_LEN) == 0)
			return &b->invoices[i];
	return NULL;
}

static void check_conservation(struct bob *b, const struct bob_chan *bc)
{
	if (!ledger_conserves(&bc->c.ledger))
		evlog_violation(b->log, "channel %s: balances + in-flight != capacity",
				bc->c.ledger.id);
}

static json_t *htlc_event(struct bob *b, const char *event, const char *channel,
			  const struct ledger_htlc *h)
{
	json_t *ev = evlog_new(b->log, event);
	json_set_str(ev, "channel", channel);
	json_set_u64(ev, "htlc", h->id);
	json_set_u64(ev, "amount_msat", h->amount.millisatoshis);
	json_set_hex(ev, "hash", h->hash, AMP_LEN);
	return ev;
}


/* Put a resolution on the wire (first time, or again for a replayed add). */
static void transmit_resolution(struct bob *b, struct bob_chan *bc, uint64_t htlc_id)
{
	const struct resolution *r = bob_resolution(bc, htlc_id, false);
	if (!r || (r->state != RES_FULFILLED && r->state != RES_FAILED))
		return;
	if (!bc->peer) {
		/* sent again when Alice reconnects and replays her adds */
		json_t *ev = evlog_new(b->log, "resolution_deferred");
		json_set_str(ev, "channel", bc->c.ledger.id);
		json_set_u64(ev, "htlc", htlc_id);
		evlog_emit(b->log, ev);
		return;
	}
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	Ampsim__UpdateFulfillHtlc f = AMPSIM__UPDATE_FULFILL_HTLC__INIT;
	Ampsim__UpdateFailHtlc x = AMPSIM__UPDATE_FAIL_HTLC__INIT;
	if (r->state == RES_FULFILLED) {
		f.channel_id = bc->c.ledger.id;
		f.htlc_id = htlc_id;
		f.payment_preimage = bin32(r->preimage);
		env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC;
		env.update_fulfill_htlc = &f;
		peer_send_on(bc->peer, &bc->c.out, bc->c.ledger.id, MSG_FULFILL, &env);
	} else {
		x.channel_id = bc->c.ledger.id;
		x.htlc_id = htlc_id;
		x.failure_code = (Ampsim__FailureCode)r->code;
		x.reason = (char *)r->reason;
		env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC;
		env.update_fail_htlc = &x;
		peer_send_on(bc->peer, &bc->c.out, bc->c.ledger.id, MSG_FAIL, &env);
	}
}

/* Resolve an HTLC in Bob's ledger and record how, durably; the caller
 * transmits once everything that belongs together is written. An HTLC
 * Bob never accepted into his ledger (refused on arrival) is recorded as
 * failed too, so a replay gets the same answer. */
static void resolve(struct bob *b, struct bob_chan *bc, uint64_t htlc_id, enum res_state how,
		    const uint8_t preimage[AMP_LEN], uint32_t code, const char *reason)
{
	struct ledger_htlc h;
	bool in_ledger = ledger_resolve(&bc->c.ledger, htlc_id,
					how == RES_FULFILLED ? HTLC_FULFILLED :
					how == RES_FAILED ? HTLC_FAILED : HTLC_REFUNDED, &h) == LEDGER_OK;
	if (!in_ledger && how == RES_FULFILLED)
		fatal("fulfilling HTLC %llu that is not in flight on %s",
		      (unsigned long long)htlc_id, bc->c.ledger.id);
	struct resolution *r = bob_resolution(bc, htlc_id, true);
	r->state = (uint8_t)how;
	r->acked = false;
	r->claimed = false;
	if (in_ledger) {
		r->cltv_expiry = h.cltv_expiry;
		r->amount = h.amount;
		memcpy(r->hash, h.hash, AMP_LEN);
	}
	if (preimage)
		memcpy(r->preimage, preimage, AMP_LEN);
	r->code = code;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	if (how == RES_FULFILLED)
		bc->unacked++;
	bob_store_resolution(b, bc, htlc_id);
	bob_store_channel(b, bc);
	if (!in_ledger)
		return;
	check_conservation(b, bc);
	const char *names[] = { "", "htlc_fulfilled", "htlc_failed", "htlc_refunded" };
	json_t *ev = htlc_event(b, names[how], bc->c.ledger.id, &h);
	switch (how) {
	case RES_FULFILLED:
		b->htlcs_fulfilled++;
		json_set_hex(ev, "preimage", preimage, AMP_LEN);
		break;
	case RES_FAILED:
		b->htlcs_failed++;
		json_object_set_new(ev, "failure_code", json_integer(code));
		json_set_str(ev, "reason", reason);
		break;
	case RES_REFUNDED:
		b->htlcs_refunded++;
		json_set_str(ev, "reason", reason);
		break;
	case RES_NONE:
		break;
	}
	evlog_emit(b->log, ev);
}

static void send_fail(struct bob *b, struct bob_chan *bc, uint64_t htlc_id,
		      Ampsim__FailureCode code, const char *reason)
{
	if (b->st)
		store_begin(b->st);
	resolve(b, bc, htlc_id, RES_FAILED, NULL, (uint32_t)code, reason);
	if (b->st)
		store_commit(b->st);
	transmit_resolution(b, bc, htlc_id);
}

static void set_timer_free(struct ampset *s)
{
	if (s->shell) {
		event_free(s->shell);
		s->shell = NULL;
	}
}

/* Fail every HTLC of a set and forget it. */
static void fail_set(struct bob *b, struct ampset *s, Ampsim__FailureCode code, const char *why)
{
	json_t *ev = evlog_new(b->log, code == AMPSIM__FAILURE_CODE__FAILURE_MPP_TIMEOUT
				       ? "hold_timeout" : "set_failed");
	json_set_hex(ev, s->kind == SET_AMP ? "set_id" : "hash", s->key, AMP_LEN);
	json_set_u64(ev, "held_msat", s->sum.millisatoshis);
	json_set_u64(ev, "total_msat", s->total.millisatoshis);
	json_object_set_new(ev, "parts", json_integer((json_int_t)s->n));
	json_set_str(ev, "reason", why);
	evlog_emit(b->log, ev);
	/* written all together, then sent: a crash in between re-sends them */
	if (b->st)
		store_begin(b->st);
	for (size_t i = 0; i < s->n; i++) {
		struct bob_chan *bc = find_chan(b, s->htlcs[i].channel);
		if (bc)
			resolve(b, bc, s->htlcs[i].htlc_id, RES_FAILED, NULL, (uint32_t)code, why);
	}
	if (b->st)
		store_commit(b->st);
	for (size_t i = 0; i < s->n; i++) {
		struct bob_chan *bc = find_chan(b, s->htlcs[i].channel);
		if (bc)
			transmit_resolution(b, bc, s->htlcs[i].htlc_id);
	}
	set_timer_free(s);
	if (s->kind == SET_AMP) {
		/* a part arriving late for a failed AMP set is failed at once,
		 * not held for a new hold time */
		bob_store_set_settled(b, s->key);
		ampset_mark_settled(&b->sets, s);
	} else {
		ampset_remove(&b->sets, s);
	}
}

static void settle_set(struct bob *b, struct ampset *s)
{
	uint32_t height = simclock_height(&b->clk);
	uint8_t (*pre)[AMP_LEN] = xcalloc(s->n, AMP_LEN);
	bool ok = true;
	const char *why = NULL;

	/* never claim what Alice may already be reclaiming */
	for (size_t i = 0; i < s->n && b->behaviour != BOB_LATE; i++) {
		if (height + SETTLE_SAFETY_BLOCKS >= s->htlcs[i].cltv_expiry) {
			ok = false;
			why = "a part is too close to its expiry to claim safely";
		}
	}
	if (ok && s->kind == SET_AMP) {
		size_t bad;
		if (!ampset_reconstruct(s, pre, &bad)) {
			ok = false;
			why = "AMP reconstruction failed: a child preimage does not match its hash";
			json_t *ev = evlog_new(b->log, "amp_reconstruction_failed");
			json_set_hex(ev, "set_id", s->key, AMP_LEN);
			json_set_str(ev, "channel", s->htlcs[bad].channel);
			json_set_u64(ev, "htlc", s->htlcs[bad].htlc_id);
			evlog_emit(b->log, ev);
		}
	}
	struct bob_invoice *inv = NULL;
	if (ok && s->kind == SET_MPP) {
		inv = find_invoice(b, s->key);
		if (!inv || inv->paid) {
			ok = false;
			why = inv ? "invoice already paid" : "no invoice for this payment hash";
		} else {
			for (size_t i = 0; i < s->n; i++)
				memcpy(pre[i], inv->preimage, AMP_LEN);
			inv->paid = true;
		}
	}
	if (!ok) {
		free(pre);
		fail_set(b, s, AMPSIM__FAILURE_CODE__FAILURE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, why);
		return;
	}
	if (b->behaviour == BOB_LATE) {
		/* adversarial: know the preimages but claim only after expiry */
		for (size_t i = 0; i < s->n; i++) {
			if (b->nlate == b->late_cap) {
				b->late_cap = b->late_cap ? 2 * b->late_cap : 8;
				b->late = xrealloc(b->late, b->late_cap * sizeof(*b->late));
			}
			struct late_claim *lc = &b->late[b->nlate++];
			snprintf(lc->channel, sizeof(lc->channel), "%s", s->htlcs[i].channel);
			lc->htlc_id = s->htlcs[i].htlc_id;
			lc->cltv_expiry = s->htlcs[i].cltv_expiry;
			memcpy(lc->preimage, pre[i], AMP_LEN);
		}
		json_t *lev = evlog_new(b->log, "set_withheld");
		json_set_hex(lev, s->kind == SET_AMP ? "set_id" : "hash", s->key, AMP_LEN);
		json_set_str(lev, "behaviour", "late");
		evlog_emit(b->log, lev);
		free(pre);
		set_timer_free(s);
		ampset_mark_settled(&b->sets, s);
		return;
	}
	json_t *ev = evlog_new(b->log, "set_complete");
	json_set_str(ev, "kind", s->kind == SET_AMP ? "amp" : "mpp");
	json_set_hex(ev, s->kind == SET_AMP ? "set_id" : "hash", s->key, AMP_LEN);
	json_set_u64(ev, "total_msat", s->total.millisatoshis);
	json_object_set_new(ev, "parts", json_integer((json_int_t)s->n));
	if (s->kind == SET_AMP) {
		uint8_t root[AMP_LEN] = { 0 };
		for (size_t i = 0; i < s->n; i++)
			amp_xor(root, root, s->htlcs[i].share);
		json_set_hex(ev, "root", root, AMP_LEN);
	}
	evlog_emit(b->log, ev);
	b->sets_settled++;
	/* every fulfill of the set is written before the first is sent */
	if (b->st)
		store_begin(b->st);
	for (size_t i = 0; i < s->n; i++) {
		struct bob_chan *bc = find_chan(b, s->htlcs[i].channel);
		if (bc)
			resolve(b, bc, s->htlcs[i].htlc_id, RES_FULFILLED, pre[i], 0, "");
	}
	if (inv)
		bob_store_invoice(b, inv);
	if (s->kind == SET_AMP)
		bob_store_set_settled(b, s->key);
	if (b->st)
		store_commit(b->st);
	for (size_t i = 0; i < s->n; i++) {
		struct bob_chan *bc = find_chan(b, s->htlcs[i].channel);
		if (bc)
			transmit_resolution(b, bc, s->htlcs[i].htlc_id);
	}
	free(pre);
	set_timer_free(s);
	/* an MPP set's invoice remembers it is paid; an AMP set's key stays */
	ampset_mark_settled(&b->sets, s);
}

static void on_hold_timeout(evutil_socket_t fd, short what, void *arg);

static void arm_set_timer(struct bob *b, struct ampset *s)
{
	uint64_t now = simclock_now(&b->clk);
	uint64_t left = s->deadline_us > now ? s->deadline_us - now : 0;
	struct timeval tv = simclock_wall_span(&b->clk, left);
	struct event *ev = s->shell;
	if (!ev) {
		ev = evtimer_new(b->base, on_hold_timeout, s);
		s->shell = ev;
	}
	/* the callback finds the daemon through the base's user data */
	evtimer_add(ev, &tv);
}

static struct bob *the_bob;   /* one daemon per process: reached from timers */

static void on_hold_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ampset *s = arg;
	/* BOLT #4: "if it fails to receive all the parts within a reasonable
	 * time: MUST fail all HTLCs in the HTLC set" with mpp_timeout */
	fail_set(the_bob, s, AMPSIM__FAILURE_CODE__FAILURE_MPP_TIMEOUT,
		 "incomplete set held too long (mpp_timeout)");
}

/* ---- messages --------------------------------------------------------- */

static void send_error(struct peer *p, const char *channel, const char *msg)
{
	Ampsim__Error e = AMPSIM__ERROR__INIT;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	e.channel_id = (char *)channel;
	e.message = (char *)msg;
	env.msg_case = AMPSIM__ENVELOPE__MSG_ERROR;
	env.error = &e;
	peer_send(p, &env);
}

static void arm_block_timer(struct bob *b);

static void handle_init(struct bob_conn *bcn, const Ampsim__Init *m)
{
	struct bob *b = bcn->bob;
	if (m->version != PROTOCOL_VERSION) {
		char why[96];
		snprintf(why, sizeof(why), "protocol version %u, expected %u", m->version,
			 PROTOCOL_VERSION);
		send_error(bcn->peer, "", why);
		peer_close(bcn->peer, why);
		return;
	}
	/* Alice's epoch is the run's time origin. It is set once: a later init
	 * (Alice reconnecting, or restarted from her state) carries the same
	 * one, and any other would move every height under our HTLCs. */
	if (b->epoch_set && m->epoch_unix_us != b->clk.epoch_unix_us) {
		const char *why = "init from another run (its epoch differs from this bob's); "
				  "restart bob to start a new run";
		log_warn("peer %s: %s", peer_name(bcn->peer), why);
		send_error(bcn->peer, "", why);
		peer_close(bcn->peer, why);
		return;
	}
	b->epoch_set = true;
	b->clk.epoch_unix_us = m->epoch_unix_us;
	b->clk.block_interval_us = m->block_interval_us;
	b->clk.time_scale = m->time_scale;
	b->seed = m->seed;
	bcn->inited = true;
	bob_store_meta(b);
	arm_block_timer(b);
	Ampsim__Init r = AMPSIM__INIT__INIT;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	char *features[] = { "mpp", "amp" };
	r.version = PROTOCOL_VERSION;
	r.n_features = 2;
	r.features = features;
	r.epoch_unix_us = b->clk.epoch_unix_us;
	r.block_interval_us = b->clk.block_interval_us;
	r.time_scale = b->clk.time_scale;
	r.seed = b->seed;
	env.msg_case = AMPSIM__ENVELOPE__MSG_INIT;
	env.init = &r;
	peer_send(bcn->peer, &env);
	json_t *ev = evlog_new(b->log, "peer_connected");
	json_set_str(ev, "peer", peer_name(bcn->peer));
	evlog_emit(b->log, ev);
}

static void link_params_from(struct link_params *lp, const Ampsim__LinkParams *m)
{
	memset(lp, 0, sizeof(*lp));
	if (!m)
		return;
	lp->delay_us = m->delay_us;
	lp->jitter_us = m->jitter_us;
	switch (m->jitter_dist) {
	case AMPSIM__JITTER_DIST__JITTER_UNIFORM:
	case _AMPSIM__JITTER_DIST_IS_INT_SIZE:
		lp->jitter_dist = JITTER_UNIFORM;
		break;
	case AMPSIM__JITTER_DIST__JITTER_NORMAL:
		lp->jitter_dist = JITTER_NORMAL;
		break;
	case AMPSIM__JITTER_DIST__JITTER_PARETO:
		lp->jitter_dist = JITTER_PARETO;
		break;
	}
	lp->drop = (m->drop >= 0 && m->drop <= 1) ? m->drop : 0;
	lp->duplicate = (m->duplicate >= 0 && m->duplicate <= 1) ? m->duplicate : 0;
}

static void handle_open(struct bob_conn *bcn, const Ampsim__OpenChannel *m)
{
	struct bob *b = bcn->bob;
	struct bob_chan *bc = find_chan(b, m->channel_id);
	if (bc) {
		/* the same channel announced again on a new connection: Alice
		 * reconnected (maybe before we noticed the old one close) */
		if (bc->peer && bc->peer != bcn->peer)
			peer_forget_link(bc->peer, &bc->c.out);
		bc->peer = bcn->peer;
		json_t *ev = evlog_new(b->log, "channel_reconnected");
		json_set_str(ev, "channel", m->channel_id);
		evlog_emit(b->log, ev);
	} else {
		if (b->nchans == BOB_MAX_CHANNELS) {
			send_error(bcn->peer, m->channel_id, "too many channels");
			return;
		}
		bc = &b->chans[b->nchans];
		memset(bc, 0, sizeof(*bc));
		enum ledger_err e = ledger_init(&bc->c.ledger, m->channel_id,
						amount_msat(m->capacity_msat), amount_msat(m->alice_msat),
						m->max_htlcs, amount_msat(m->htlc_minimum_msat));
		if (e != LEDGER_OK) {
			send_error(bcn->peer, m->channel_id, ledger_err_name(e));
			return;
		}
		b->nchans++;
		struct link_params lp;
		link_params_from(&lp, m->to_alice);
		link_init(&bc->c.out, &lp, b->seed, m->channel_id, "to_alice");
		bc->c.base_out = lp;
		bc->peer = bcn->peer;
		bob_store_channel(b, bc);
		json_t *ev = evlog_new(b->log, "channel_open");
		json_set_str(ev, "channel", m->channel_id);
		json_set_u64(ev, "capacity_msat", m->capacity_msat);
		json_set_u64(ev, "alice_msat", m->alice_msat);
		json_set_u64(ev, "bob_msat", bc->c.ledger.bob.millisatoshis);
		evlog_emit(b->log, ev);
	}
	bc->c.accepted = true;
	Ampsim__AcceptChannel a = AMPSIM__ACCEPT_CHANNEL__INIT;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	a.channel_id = bc->c.ledger.id;
	env.msg_case = AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL;
	env.accept_channel = &a;
	peer_send(bcn->peer, &env);
}

struct bob_invoice *new_invoice(struct bob *b, struct amount_msat amount, const char *desc)
{
	if (b->ninvoices == b->invoices_cap) {
		b->invoices_cap = b->invoices_cap ? 2 * b->invoices_cap : 16;
		b->invoices = xrealloc(b->invoices, b->invoices_cap * sizeof(*b->invoices));
	}
	struct bob_invoice *bi = &b->invoices[b->ninvoices++];
	memset(bi, 0, sizeof(*bi));
	/* real secrets: from libsodium's CSPRNG, never the simulation's */
	randombytes_buf(bi->preimage, AMP_LEN);
	randombytes_buf(bi->inv.payment_secret, AMP_LEN);
	crypto_hash_sha256(bi->inv.payment_hash, bi->preimage, AMP_LEN);
	bi->inv.amount = amount;
	bi->inv.min_final_cltv_expiry = b->final_cltv_delta;
	bi->inv.created_height = simclock_height(&b->clk);
	snprintf(bi->inv.description, sizeof(bi->inv.description), "%s", desc ? desc : "");
	bob_store_invoice(b, bi);   /* before it is handed out */
	json_t *ev = evlog_new(b->log, "invoice_created");
	json_set_u64(ev, "amount_msat", amount.millisatoshis);
	json_set_hex(ev, "hash", bi->inv.payment_hash, AMP_LEN);
	evlog_emit(b->log, ev);
	return bi;
}

static void handle_invoice_request(struct bob_conn *bcn, const Ampsim__InvoiceRequest *m)
{
	struct bob *b = bcn->bob;
	char desc[INVOICE_DESC_MAX];
	snprintf(desc, sizeof(desc), "%s", m->description);
	struct bob_invoice *bi = new_invoice(b, amount_msat(m->amount_msat), desc);
	Ampsim__Invoice r = AMPSIM__INVOICE__INIT;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	r.request_id = m->request_id;
	r.amount_msat = bi->inv.amount.millisatoshis;
	r.payment_hash = bin32(bi->inv.payment_hash);
	r.payment_secret = bin32(bi->inv.payment_secret);
	r.min_final_cltv_expiry = bi->inv.min_final_cltv_expiry;
	r.created_height = bi->inv.created_height;
	r.description = bi->inv.description;
	env.msg_case = AMPSIM__ENVELOPE__MSG_INVOICE;
	env.invoice = &r;
	peer_send(bcn->peer, &env);
}

/* What Bob keeps of an add: the HTLC, and (with an MPP record) the set it
 * belongs to, keyed by set_id for AMP and by payment hash for MPP. */
static void stored_from_add(struct bob *b, const struct bob_chan *bc,
			    const Ampsim__UpdateAddHtlc *m, struct stored_htlc *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->channel, sizeof(h->channel), "%s", bc->c.ledger.id);
	h->htlc_id = m->htlc_id;
	h->amount = amount_msat(m->amount_msat);
	memcpy(h->hash, m->payment_hash.data, AMP_LEN);
	h->cltv_expiry = m->cltv_expiry;
	h->arrived_us = simclock_now(&b->clk);
	h->kind = !m->mpp ? -1 : m->amp ? SET_AMP : SET_MPP;
	if (m->mpp) {
		h->total = amount_msat(m->mpp->total_msat);
		memcpy(h->key, m->amp ? m->amp->set_id.data : m->payment_hash.data, AMP_LEN);
	}
	if (m->amp) {
		memcpy(h->share, m->amp->root_share.data, AMP_LEN);
		h->child_index = m->amp->child_index;
	}
}

/* Add an HTLC to its set: held at most `hold` from the set's first part
 * (ampset_add keeps the first deadline), and never within
 * HOLD_SAFETY_BLOCKS of its expiry. Also used after a restart. */
static struct ampset_result join_set(struct bob *b, const struct stored_htlc *h)
{
	struct set_htlc sh;
	memset(&sh, 0, sizeof(sh));
	snprintf(sh.channel, sizeof(sh.channel), "%s", h->channel);
	sh.htlc_id = h->htlc_id;
	sh.amount = h->amount;
	memcpy(sh.hash, h->hash, AMP_LEN);
	memcpy(sh.share, h->share, AMP_LEN);
	sh.child_index = h->child_index;
	sh.cltv_expiry = h->cltv_expiry;
	uint32_t safe = h->cltv_expiry > HOLD_SAFETY_BLOCKS ? h->cltv_expiry - HOLD_SAFETY_BLOCKS : 0;
	return ampset_add(&b->sets, (enum set_kind)h->kind, h->key, h->total, &sh,
			  h->arrived_us + b->hold_us, simclock_height_time(&b->clk, safe));
}

static void handle_add(struct bob_conn *bcn, const Ampsim__UpdateAddHtlc *m)
{
	struct bob *b = bcn->bob;
	struct bob_chan *bc = find_chan(b, m->channel_id);
	if (!bc || bc->peer != bcn->peer) {
		char why[128];
		snprintf(why, sizeof(why), "update_add_htlc on unknown channel '%.40s'", m->channel_id);
		log_warn("peer %s: %s; closing the connection", peer_name(bcn->peer), why);
		send_error(bcn->peer, m->channel_id, why);
		peer_close(bcn->peer, why);
		return;
	}
	if (chan_seen(&bc->c, m->htlc_id)) {
		/* a duplicated or replayed add: if we have resolved it, Alice has
		 * not heard: say it again; if we hold it, nothing to do */
		const struct resolution *res = bob_resolution(bc, m->htlc_id, false);
		bool resend = res && (res->state == RES_FULFILLED || res->state == RES_FAILED);
		json_t *ev = evlog_new(b->log, resend ? "resolution_resent" : "duplicate_ignored");
		json_set_str(ev, "channel", bc->c.ledger.id);
		json_set_str(ev, "message", "update_add_htlc");
		json_set_u64(ev, "htlc", m->htlc_id);
		evlog_emit(b->log, ev);
		if (resend)
			transmit_resolution(b, bc, m->htlc_id);
		return;
	}
	if (!chan_mark_seen(&bc->c, m->htlc_id)) {
		char why[128];
		snprintf(why, sizeof(why), "htlc_id %llu jumps too far ahead",
			 (unsigned long long)m->htlc_id);
		send_error(bcn->peer, m->channel_id, why);
		peer_close(bcn->peer, why);
		return;
	}
	b->htlcs_received++;
	enum ledger_err le = ledger_add(&bc->c.ledger, m->htlc_id, amount_msat(m->amount_msat),
					m->payment_hash.data, m->cltv_expiry);
	json_t *ev = evlog_new(b->log, "htlc_received");
	json_set_str(ev, "channel", bc->c.ledger.id);
	json_set_u64(ev, "htlc", m->htlc_id);
	json_set_u64(ev, "amount_msat", m->amount_msat);
	json_set_hex(ev, "hash", m->payment_hash.data, AMP_LEN);
	json_object_set_new(ev, "cltv_expiry", json_integer(m->cltv_expiry));
	if (m->amp) {
		json_set_hex(ev, "set_id", m->amp->set_id.data, AMP_LEN);
		json_object_set_new(ev, "child_index", json_integer(m->amp->child_index));
	}
	evlog_emit(b->log, ev);
	if (le != LEDGER_OK) {
		/* Alice's view and ours disagree about room on the channel: refuse
		 * the HTLC without touching our ledger */
		log_warn("channel %s: cannot accept HTLC %llu: %s", bc->c.ledger.id,
			 (unsigned long long)m->htlc_id, ledger_err_name(le));
		send_fail(b, bc, m->htlc_id, AMPSIM__FAILURE_CODE__FAILURE_TEMPORARY_CHANNEL_FAILURE,
			  ledger_err_name(le));
		return;
	}
	check_conservation(b, bc);
	/* one record of the add: what is stored, and what joins the set */
	struct stored_htlc sh;
	stored_from_add(b, bc, m, &sh);
	if (b->st) {
		store_begin(b->st);
		bob_store_add(b, &sh);
		bob_store_channel(b, bc);
		store_commit(b->st);
	}

	uint32_t height = simclock_height(&b->clk);
	const Ampsim__FailureCode unknown =
		AMPSIM__FAILURE_CODE__FAILURE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS;
	/* BOLT #4: "if the cltv_expiry value is unreasonably near the present:
	 * MUST fail the HTLC ... MUST return an incorrect_or_unknown_payment_details" */
	if ((uint64_t)m->cltv_expiry < (uint64_t)height + b->final_cltv_delta) {
		send_fail(b, bc, m->htlc_id, unknown, "cltv_expiry too soon (final_cltv_delta)");
		return;
	}
	if (!m->mpp) {
		send_fail(b, bc, m->htlc_id, unknown, "no payment_secret / total_msat (MPP record)");
		return;
	}
	if (!m->amp) {
		const struct bob_invoice *inv = find_invoice(b, sh.key);
		/* BOLT #4: unknown hash, wrong payment_secret, or a total below the
		 * invoice amount: incorrect_or_unknown_payment_details */
		const char *why = NULL;
		if (!inv)
			why = "unknown payment hash";
		else if (inv->paid)
			why = "invoice already paid";
		else if (sodium_memcmp(inv->inv.payment_secret, m->mpp->payment_secret.data, AMP_LEN) != 0)
			why = "wrong payment_secret";
		else if (m->mpp->total_msat < inv->inv.amount.millisatoshis)
			why = "total_msat below the invoice amount";
		if (why) {
			send_fail(b, bc, m->htlc_id, unknown, why);
			return;
		}
	}
	if (b->behaviour == BOB_GREEDY) {
		/* adversarial: claim the shard at once with a guessed preimage;
		 * Alice checks SHA256(r) == h and refuses it */
		uint8_t guess[AMP_LEN];
		randombytes_buf(guess, AMP_LEN);
		Ampsim__UpdateFulfillHtlc gf = AMPSIM__UPDATE_FULFILL_HTLC__INIT;
		Ampsim__Envelope genv = AMPSIM__ENVELOPE__INIT;
		gf.channel_id = bc->c.ledger.id;
		gf.htlc_id = m->htlc_id;
		gf.payment_preimage = bin32(guess);
		genv.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC;
		genv.update_fulfill_htlc = &gf;
		json_t *gev = evlog_new(b->log, "greedy_claim_attempt");
		json_set_str(gev, "channel", bc->c.ledger.id);
		json_set_u64(gev, "htlc", m->htlc_id);
		json_set_hex(gev, "guessed_preimage", guess, AMP_LEN);
		evlog_emit(b->log, gev);
		peer_send_on(bc->peer, &bc->c.out, bc->c.ledger.id, MSG_FULFILL, &genv);
	}
	struct ampset_result r = join_set(b, &sh);
	switch (r.verdict) {
	case SET_REJECT_ONE:
		send_fail(b, bc, m->htlc_id, unknown, r.why);
		return;
	case SET_FAIL_ALL:
		fail_set(b, r.set, unknown, r.why);
		return;
	case SET_HOLD:
		if (b->behaviour != BOB_HOLD && b->behaviour != BOB_LATE)
			arm_set_timer(b, r.set);
		return;
	case SET_COMPLETE:
		if (b->behaviour == BOB_HOLD) {
			/* adversarial: never settle, never fail; expiry returns it all */
			set_timer_free(r.set);
			json_t *hev = evlog_new(b->log, "set_withheld");
			json_set_hex(hev, sh.kind == SET_AMP ? "set_id" : "hash", sh.key, AMP_LEN);
			json_set_str(hev, "behaviour", "hold");
			evlog_emit(b->log, hev);
			ampset_mark_settled(&b->sets, r.set);
			return;
		}
		settle_set(b, r.set);
		return;
	}
}

static void handle_ack(struct bob_conn *bcn, const Ampsim__ResolveAck *m)
{
	struct bob *b = bcn->bob;
	struct bob_chan *bc = find_chan(b, m->channel_id);
	struct resolution *r = bc ? bob_resolution(bc, m->htlc_id, false) : NULL;
	if (!r || r->state == RES_NONE || r->acked)
		return;
	r->acked = true;
	if (r->state == RES_FULFILLED && bc->unacked)
		bc->unacked--;
	bob_store_resolution(b, bc, m->htlc_id);
}

static void handle_unexpected(struct bob_conn *bcn, const Ampsim__Envelope *env)
{
	char why[96];
	snprintf(why, sizeof(why), "unexpected %s from Alice", envelope_type_name(env));
	log_warn("peer %s: %s", peer_name(bcn->peer), why);
	send_error(bcn->peer, "", why);
}

static void on_message(struct peer *p, const Ampsim__Envelope *env, void *arg)
{
	struct bob_conn *bcn = arg;
	if (!bcn->inited && env->msg_case != AMPSIM__ENVELOPE__MSG_INIT) {
		char why[96];
		snprintf(why, sizeof(why), "%s before init", envelope_type_name(env));
		log_warn("peer %s: %s; closing the connection", peer_name(p), why);
		send_error(p, "", why);
		peer_close(p, why);
		return;
	}
	switch (env->msg_case) {
	case AMPSIM__ENVELOPE__MSG_INIT:
		handle_init(bcn, env->init);
		break;
	case AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL:
		handle_open(bcn, env->open_channel);
		break;
	case AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST:
		handle_invoice_request(bcn, env->invoice_request);
		break;
	case AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC:
		handle_add(bcn, env->update_add_htlc);
		break;
	case AMPSIM__ENVELOPE__MSG_PING: {
		Ampsim__Pong pong = AMPSIM__PONG__INIT;
		Ampsim__Envelope r = AMPSIM__ENVELOPE__INIT;
		uint8_t pad[1024] = { 0 };
		uint32_t n = env->ping->num_pong_bytes;
		pong.ignored.len = n < sizeof(pad) ? n : sizeof(pad);
		pong.ignored.data = pad;
		r.msg_case = AMPSIM__ENVELOPE__MSG_PONG;
		r.pong = &pong;
		peer_send(p, &r);
		break;
	}
	case AMPSIM__ENVELOPE__MSG_RESOLVE_ACK:
		handle_ack(bcn, env->resolve_ack);
		break;
	case AMPSIM__ENVELOPE__MSG_REESTABLISH: {
		json_t *ev = evlog_new(bcn->bob->log, "channel_reestablish");
		json_set_str(ev, "channel", env->reestablish->channel_id);
		json_set_u64(ev, "next_htlc_id", env->reestablish->next_htlc_id);
		json_object_set_new(ev, "inflight", json_integer(env->reestablish->inflight));
		evlog_emit(bcn->bob->log, ev);
		break;
	}
	case AMPSIM__ENVELOPE__MSG_ERROR:
		log_warn("peer %s says: %s", peer_name(p), env->error->message);
		break;
	case AMPSIM__ENVELOPE__MSG_PONG:
		break;
	case AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL:
	case AMPSIM__ENVELOPE__MSG_INVOICE:
	case AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC:
	case AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC:
	case AMPSIM__ENVELOPE__MSG__NOT_SET:
	case _AMPSIM__ENVELOPE__MSG__CASE_IS_INT_SIZE:
		handle_unexpected(bcn, env);
		break;
	}
}

static void on_close(struct peer *p, const char *why, void *arg)
{
	struct bob_conn *bcn = arg;
	struct bob *b = bcn->bob;
	json_t *ev = evlog_new(b->log, "peer_disconnected");
	json_set_str(ev, "peer", peer_name(p));
	json_set_str(ev, "reason", why);
	evlog_emit(b->log, ev);
	log_info("peer %s disconnected: %s", peer_name(p), why);
	for (size_t i = 0; i < b->nchans; i++) {
		if (b->chans[i].peer == p) {
			peer_forget_link(p, &b->chans[i].c.out);
			b->chans[i].peer = NULL;
		}
	}
	struct bob_conn **pp = &b->conns;
	while (*pp && *pp != bcn)
		pp = &(*pp)->next;
	if (*pp)
		*pp = bcn->next;
	free(bcn);
}

static const struct peer_ops bob_peer_ops = { on_message, on_close };

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	(void)l;
	(void)socklen;
	struct bob *b = arg;
	char name[64], addr[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(name, sizeof(name), "%s:%u", addr, port);
	struct bob_conn *bcn = xcalloc(1, sizeof(*bcn));
	bcn->bob = b;
	bcn->peer = peer_new(b->base, fd, name, &bob_peer_ops, bcn, b->log, &b->clk);
	bcn->next = b->conns;
	b->conns = bcn;
	b->nconns_total++;
	log_debug("connection from %s", name);
}

/* ---- blocks and expiry ------------------------------------------------- */

static void expire_htlcs(struct bob *b)
{
	uint32_t height = simclock_height(&b->clk);
	for (size_t i = 0; i < b->nchans; i++) {
		struct bob_chan *bc = &b->chans[i];
		for (uint32_t k = 0; k < bc->c.ledger.max_htlcs; k++) {
			struct ledger_htlc *h = &bc->c.ledger.htlcs[k];
			if (!h->used || h->cltv_expiry > height)
				continue;
			uint64_t id = h->id;
			/* BOLT #5: once cltv_expiry is reached the offerer reclaims
			 * the HTLC on chain; we can no longer claim it. With a chain
			 * we wait to see Alice's refund confirmed. */
			struct chain_tx tx;
			if (b->chain && !chain_confirmed(b->chain, bc->c.ledger.id, id, height, &tx))
				continue;
			if (b->st)
				store_begin(b->st);
			resolve(b, bc, id, RES_REFUNDED, NULL, 0,
				b->chain ? "expired: Alice's refund confirmed on chain"
					 : "expired: Alice reclaims it (BOLT #5)");
			if (b->st)
				store_commit(b->st);
			size_t idx;
			struct ampset *s = ampset_find_htlc(&b->sets, bc->c.ledger.id, id, &idx);
			if (s) {
				/* drop the expired part, then (honest Bob) fail what is
				 * left: a set missing a part can never complete */
				s->htlcs[idx] = s->htlcs[--s->n];
				if (b->behaviour == BOB_HONEST || b->behaviour == BOB_GREEDY) {
					fail_set(b, s, AMPSIM__FAILURE_CODE__FAILURE_MPP_TIMEOUT,
						 "a part of the set expired");
				} else if (s->n == 0) {
					set_timer_free(s);
					ampset_remove(&b->sets, s);
				}
			}
		}
	}
}

/* On-chain fallback: a fulfill Alice has not acknowledged is claimed on
 * chain before its expiry, so the preimage reaches her even if every
 * fulfill message is lost; and what the chain settles is final. */
static void chain_watch(struct bob *b)
{
	if (!b->chain)
		return;
	uint32_t height = simclock_height(&b->clk);
	for (size_t i = 0; i < b->nchans; i++) {
		struct bob_chan *bc = &b->chans[i];
		for (uint64_t id = 0; bc->unacked && id < bc->res_cap; id++) {
			struct resolution *r = &bc->res[id];
			if (r->state != RES_FULFILLED || r->acked)
				continue;
			struct chain_tx tx;
			if (chain_confirmed(b->chain, bc->c.ledger.id, id, height, &tx)) {
				r->acked = true;
				bc->unacked--;
				if (tx.kind == CHAIN_REFUND) {
					/* too late: Alice's refund won, the money is hers */
					r->state = RES_REFUNDED;
					if (!ledger_reverse_fulfill(&bc->c.ledger, r->amount))
						fatal("channel %s: cannot take back %llu msat", bc->c.ledger.id,
						      (unsigned long long)r->amount.millisatoshis);
					check_conservation(b, bc);
					bob_store_channel(b, bc);
				}
				bob_store_resolution(b, bc, id);
				json_t *ev = evlog_new(b->log, tx.kind == CHAIN_CLAIM ? "onchain_claim_confirmed"
										 : "htlc_lost_onchain");
				json_set_str(ev, "channel", bc->c.ledger.id);
				json_set_u64(ev, "htlc", id);
				json_set_u64(ev, "amount_msat", r->amount.millisatoshis);
				evlog_emit(b->log, ev);
				continue;
			}
			if (r->claimed || height + CHAIN_CONFIRMATIONS + 1 < r->cltv_expiry)
				continue;
			struct chain_tx claim, winner;
			memset(&claim, 0, sizeof(claim));
			snprintf(claim.channel, sizeof(claim.channel), "%s", bc->c.ledger.id);
			claim.htlc_id = id;
			claim.kind = CHAIN_CLAIM;
			memcpy(claim.preimage, r->preimage, AMP_LEN);
			enum chain_submit_result cr = chain_submit(b->chain, &claim, r->hash, r->cltv_expiry,
								   height, &winner);
			r->claimed = true;
			bob_store_resolution(b, bc, id);
			json_t *ev = evlog_new(b->log, cr == CHAIN_ACCEPTED ? "onchain_claim_sent"
					       : cr == CHAIN_SPENT ? "onchain_claim_beaten" : "onchain_claim_invalid");
			json_set_str(ev, "channel", bc->c.ledger.id);
			json_set_u64(ev, "htlc", id);
			json_object_set_new(ev, "cltv_expiry", json_integer(r->cltv_expiry));
			evlog_emit(b->log, ev);
			if (cr == CHAIN_ACCEPTED)
				b->claims_onchain++;
		}
	}
}

static void arm_block_timer(struct bob *b);

/* behaviour = late: once the HTLCs have expired, try to claim them. Alice
 * has reclaimed them by then and refuses. */
static void send_late_claims(struct bob *b)
{
	uint32_t height = simclock_height(&b->clk);
	size_t k = 0;
	for (size_t i = 0; i < b->nlate; i++) {
		struct late_claim *lc = &b->late[i];
		struct bob_chan *bc = find_chan(b, lc->channel);
		if (height < lc->cltv_expiry || !bc || !bc->peer) {
			b->late[k++] = *lc;
			continue;
		}
		Ampsim__UpdateFulfillHtlc f = AMPSIM__UPDATE_FULFILL_HTLC__INIT;
		Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
		f.channel_id = bc->c.ledger.id;
		f.htlc_id = lc->htlc_id;
		f.payment_preimage = bin32(lc->preimage);
		env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC;
		env.update_fulfill_htlc = &f;
		json_t *ev = evlog_new(b->log, "late_claim_attempt");
		json_set_str(ev, "channel", lc->channel);
		json_set_u64(ev, "htlc", lc->htlc_id);
		json_object_set_new(ev, "cltv_expiry", json_integer(lc->cltv_expiry));
		evlog_emit(b->log, ev);
		peer_send_on(bc->peer, &bc->c.out, bc->c.ledger.id, MSG_FULFILL, &env);
	}
	b->nlate = k;
}

static void on_block(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct bob *b = arg;
	chain_watch(b);
	expire_htlcs(b);
	send_late_claims(b);
	arm_block_timer(b);
}

static void arm_block_timer(struct bob *b)
{
	struct timeval tv = simclock_until_next_block(&b->clk);
	evtimer_add(b->block_timer, &tv);
}

/* ---- restart ---------------------------------------------------------- */

static void reload_inflight(struct bob *b, const struct stored_htlc *h)
{
	if (h->kind >= 0)
		join_set(b, h);
}

/* After a restart: sets that were whole when we stopped are settled now,
 * the others get their hold timers back. */
static void resume_sets(struct bob *b)
{
	struct ampset *s = b->sets.head;
	while (s) {
		struct ampset *next = s->next;
		if (s->n > 0) {
			if (!amount_less(s->sum, s->total) && b->behaviour != BOB_HOLD)
				settle_set(b, s);
			else if (b->behaviour != BOB_HOLD && b->behaviour != BOB_LATE)
				arm_set_timer(b, s);
		}
		s = next;
	}
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bob --listen HOST:PORT [options]\n"
		"The receiving daemon of ampsim: accepts Alice's channels, issues invoices,\n"
		"and settles MPP and AMP payments all or none.\n\n"
		"  --listen HOST:PORT        address to listen on (port 0: any free port)\n"
		"  --events FILE             append JSON Lines events to FILE\n"
		"  --control SOCK            JSON-RPC control socket (Unix socket path)\n"
		"  --ready-file FILE         write {\"port\":N,...} to FILE once listening\n"
		"  --hold DURATION           how long an incomplete set is held (default 60s)\n"
		"  --final-cltv-delta N      reject HTLCs expiring sooner (default 18 blocks)\n"
		"  --behaviour B             honest | greedy | hold | late (default honest)\n"
		"  --state DIR               keep channels, HTLCs, invoices and sets in DIR/bob.db\n"
		"  --chain FILE              the simulated chain shared with alice (on-chain fallback)\n"
		"  -v, --verbose             more diagnostics on stderr\n"
		"  -h, --help                this help\n"
		"  -V, --version             print the version\n");
}

static int bad_usage(const char *fmt, const char *arg, const char *why)
{
	fprintf(stderr, "bob: ");
	fprintf(stderr, fmt, arg, why);
	fprintf(stderr, "\n(try bob --help)\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "events", required_argument, NULL, 'e' },
		{ "control", required_argument, NULL, 'c' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "hold", required_argument, NULL, 'H' },
		{ "final-cltv-delta", required_argument, NULL, 'F' },
		{ "behaviour", required_argument, NULL, 'b' },
		{ "behavior", required_argument, NULL, 'b' },
		{ "state", required_argument, NULL, 's' },
		{ "chain", required_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen_addr = NULL, *events = NULL, *control = NULL, *ready = NULL;
	const char *state_dir = NULL, *chain_path = NULL;
	bool verbose = false;
	struct bob *b = xcalloc(1, sizeof(*b));
	const char *why;
	int c, rc = 0;
	uint64_t v;

	the_bob = b;
	b->hold_us = 60ULL * 1000000;
	b->final_cltv_delta = 18;
	b->behaviour = BOB_HONEST;
	while ((c = getopt_long(argc, argv, "vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_addr = optarg; break;
		case 'e': events = optarg; break;
		case 'c': control = optarg; break;
		case 'r': ready = optarg; break;
		case 'H':
			if (!duration_parse(optarg, &b->hold_us, &why))
				return free(b), bad_usage("--hold '%s': %s", optarg, why);
			break;
		case 'F':
			if (!uint_parse(optarg, &v, &why) || v > 10000)
				return free(b), bad_usage("--final-cltv-delta '%s': %s", optarg,
							  v > 10000 ? "at most 10000" : why);
			b->final_cltv_delta = (uint32_t)v;
			break;
		case 'b':
			if (!bob_behaviour_parse(optarg, &b->behaviour))
				return free(b), bad_usage("--behaviour '%s': %s", optarg,
							  "expected honest, greedy, hold or late");
			break;
		case 's': state_dir = optarg; break;
		case 'K': chain_path = optarg; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); free(b); return 0;
		case 'V': printf("bob (ampsim) %s\n", AMPSIM_VERSION); free(b); return 0;
		default: usage(stderr); free(b); return 2;
		}
	}
	if (optind < argc)
		return free(b), bad_usage("unexpected argument '%s'%s", argv[optind], "");
	if (!listen_addr)
		return free(b), bad_usage("%s%s", "--listen HOST:PORT is required", "");
	char host[256];
	uint16_t port;
	if (!parse_hostport(listen_addr, host, sizeof(host), &port))
		return free(b), bad_usage("--listen '%s': %s", listen_addr, "expected HOST:PORT");
	log_init("bob", verbose);
	if (sodium_init() < 0)
		fatal("libsodium failed to initialise");

	b->clk.epoch_unix_us = simclock_wall_now_us();
	b->clk.block_interval_us = 1000000;
	b->clk.time_scale = 1;
	char err[512];
	b->base = event_base_new();
	b->log = evlog_open(events, "bob", &b->clk, err, sizeof(err));
	if (!b->log) {
		fprintf(stderr, "bob: %s\n", err);
		event_base_free(b->base);
		free(b);
		return 2;
	}
	if (state_dir && !bob_store_open(b, state_dir, err, sizeof(err))) {
		fprintf(stderr, "bob: --state %s\n", err);
		rc = 2;
		goto out;
	}
	if (chain_path && !(b->chain = chain_open(chain_path, err, sizeof(err)))) {
		fprintf(stderr, "bob: --chain %s\n", err);
		rc = 2;
		goto out;
	}
	bob_store_load(b, reload_inflight);
	if (b->nchans) {
		log_info("restarted from %s: %zu channels, %zu invoices", state_dir, b->nchans,
			 b->ninvoices);
		json_t *ev = evlog_new(b->log, "restart");
		json_object_set_new(ev, "channels", json_integer((json_int_t)b->nchans));
		evlog_emit(b->log, ev);
	}
	struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
					 .ai_flags = EVUTIL_AI_PASSIVE }, *ai = NULL;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (evutil_getaddrinfo(host, portstr, &hints, &ai) != 0 || !ai) {
		fprintf(stderr, "bob: --listen %s: cannot resolve host '%s'\n", listen_addr, host);
		rc = 2;
		goto out;
	}
	b->listener = evconnlistener_new_bind(b->base, on_accept, b,
					      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
					      LEV_OPT_CLOSE_ON_EXEC, 64, ai->ai_addr,
					      (int)ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (!b->listener) {
		fprintf(stderr, "bob: --listen %s: %s\n", listen_addr, strerror(errno));
		rc = 2;
		goto out;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(evconnlistener_get_fd(b->listener), (struct sockaddr *)&ss, &sl);
	b->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						  : ((struct sockaddr_in *)&ss)->sin_port);
	if (control) {
		b->rpc = rpc_listen(b->base, control, bob_methods, b, err, sizeof(err));
		if (!b->rpc) {
			fprintf(stderr, "bob: --control %s\n", err);
			rc = 2;
			goto out;
		}
	}
	b->sig = daemon_signals_new(b->base);
	b->block_timer = evtimer_new(b->base, on_block, b);
	arm_block_timer(b);
	resume_sets(b);
	printf("bob listening on %s:%u\n", host, b->port);
	fflush(stdout);
	if (ready) {
		json_t *r = json_pack("{s:i,s:i}", "port", (int)b->port, "pid", (int)getpid());
		bool ok = write_ready_file(ready, r);
		json_decref(r);
		if (!ok) {
			fprintf(stderr, "bob: --ready-file %s: %s\n", ready, strerror(errno));
			rc = 2;
			goto out;
		}
	}
	event_base_dispatch(b->base);

out:
	while (b->conns) {
		struct bob_conn *n = b->conns->next;
		peer_free(b->conns->peer);
		free(b->conns);
		b->conns = n;
	}
	for (struct ampset *s = b->sets.head; s; s = s->next)
		set_timer_free(s);
	ampset_table_free(&b->sets);
	for (size_t i = 0; i < b->nchans; i++) {
		chan_free(&b->chans[i].c);
		free(b->chans[i].res);
	}
	free(b->invoices);
	store_close(b->st);
	chain_close(b->chain);
	free(b->late);
	if (b->block_timer)
		event_free(b->block_timer);
	daemon_signals_free(b->sig);
	rpc_server_free(b->rpc);
	if (b->listener)
		evconnlistener_free(b->listener);
	unsigned violations = evlog_violations(b->log);
	evlog_close(b->log);
	event_base_free(b->base);
	free(b);
	if (rc == 0 && violations)
		rc = 1;
	return rc;
}

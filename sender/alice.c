/* alice's shell: the connection to Bob, the block timer, the chain, the
 * store and the event log around the pure payment engine. It decodes what
 * arrives, calls the engine with the simulated time, and carries out the
 * actions the engine returns, persisting before sending. */
#include "alice.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "timebase.h"

static void schedule_reconnect(struct alice *a);
static void arm_reconnect(struct alice *a, unsigned ms);

uint64_t alice_now(const struct alice *a)
{
	return timebase_now(a->tb);
}

static uint32_t alice_height(const struct alice *a)
{
	return simclock_height_of(&a->clk, alice_now(a));
}

/* ---- carrying out the engine's actions ----------------------------------- */

static void persist_all(struct alice *a, const struct actions *acts)
{
	if (!a->st || actions_count(acts, ACT_PERSIST) == 0)
		return;
	/* each record is written once, with the bytes it was last given
	 * this turn, and committed before anything sent here leaves (turn.h) */
	for (size_t i = 0; i < acts->n; i++) {
		const struct act_persist *x = &acts->v[i].u.persist;
		if (acts->v[i].kind == ACT_PERSIST)
			turn_record(a->turn, x->record, x->chan, x->id, x->bytes, x->len);
	}
}

static void send_frame(struct alice *a, const struct act_send *x)
{
	if (!a->peer)
		return;   /* the engine replays what matters on reconnection */
	if (x->chan == ACTION_NO_CHAN)
		peer_send_frame(a->peer, x->frame, x->frame_len);
	else
		peer_send_frame_on(a->peer, &a->links[x->chan].out, a->eng.chans[x->chan].ledger.id,
				   x->msg_kind, x->msg_name, x->frame, x->frame_len);
}

/* Submit a refund the engine asked for: what the chain answers. One the
 * shell cannot send (no chain, no such HTLC, no proof: the engine asks
 * for none of these) is answered as refused. */
static enum chain_answer submit_refund(struct alice *a, const struct act_chain *x)
{
	if (!a->chain)
		return CHAIN_ANSWER_INVALID;
	turn_commit(a->turn);   /* the chain is outside the turn */
	const struct ledger *l = &a->eng.chans[x->chan].ledger;
	if (!ledger_find(l, x->htlc_id))
		return CHAIN_ANSWER_INVALID;
	struct chain_tx refund, winner;
	struct chain_proof proof;
	memset(&refund, 0, sizeof(refund));
	refund.kind = CHAIN_REFUND;
	if (!pay_engine_refund_proof(&a->eng, x->chan, x->htlc_id, &proof))
		return CHAIN_ANSWER_INVALID;
	char why[100] = "";
	switch (chain_submit(a->chain, &refund, &proof, alice_height(a), &winner, why, sizeof(why))) {
	case CHAIN_ACCEPTED:
		return CHAIN_ANSWER_ACCEPTED;
	case CHAIN_SPENT:
		return winner.kind == CHAIN_REFUND ? CHAIN_ANSWER_SPENT_BY_REFUND
						   : CHAIN_ANSWER_SPENT_BY_CLAIM;
	case CHAIN_INVALID:
		log_debug("refund of %s/%llu refused by the chain: %s", l->id,
			  (unsigned long long)x->htlc_id, why);
		return CHAIN_ANSWER_INVALID;
	case CHAIN_UNREACHABLE:
		return CHAIN_ANSWER_UNREACHABLE;
	}
	return CHAIN_ANSWER_INVALID;
}

/* An engine timer at simulated time at_us, on the clock in force. */
static void arm_timer(struct alice *a, const struct act_timer *x)
{
	enum pay_timer t = (enum pay_timer)x->timer;
	switch (t) {
	case PAY_TIMER_BLOCK:
		tb_timer_at(a->block_timer, x->at_us);
		break;
	}
}

/* Finished payments beyond --keep-payments are forgotten (and deleted
 * from the state) when there are a quarter more than that, or 1024: the
 * cost of a pass over the payments is spread over as many new ones. Only
 * between engine calls: payments move in the engine's array. */
static void compact(struct alice *a)
{
	if (!a->keep_payments || a->eng.npays < a->compact_at)
		return;
	struct actions acts;
	actions_init(&acts);
	size_t n = pay_engine_compact(&a->eng, a->keep_payments, &acts);
	if (n)
		log_debug("forgot %zu finished payments", n);
	size_t slack = a->keep_payments / 4 > 1024 ? a->keep_payments / 4 : 1024;
	a->compact_at = a->eng.npays + slack;
	a->run_depth++;          /* its records only: no compaction inside */
	alice_run(a, &acts);
	a->run_depth--;
	actions_free(&acts);
}

static void run_one(struct alice *a, const struct action *x, struct chain_replies *replies)
{
	switch (x->kind) {
	case ACT_PERSIST:
		break;   /* done first, in one transaction */
	case ACT_SEND:
		send_frame(a, &x->u.send);
		break;
	case ACT_LOG:
		evlog_emit_rec(a->log, x->u.log.rec);
		break;
	case ACT_VIOLATION:
		evlog_violation(a->log, "%s", x->u.violation.text);
		break;
	case ACT_CLOSE:
		log_warn("bob: %s; closing the connection", x->u.close.why);
		if (a->peer)
			peer_close(a->peer, x->u.close.why);
		break;
	case ACT_CHAIN:
		/* its answer goes to the engine once the list is carried out */
		chain_replies_add(replies, &x->u.chain, submit_refund(a, &x->u.chain));
		break;
	case ACT_OUTCOME: {
		const struct payment *p = pay_engine_by_seq(&a->eng, x->u.outcome.seq);
		if (!p)
			fatal("outcome of payment #%llu, which is not kept",
			      (unsigned long long)x->u.outcome.seq);
		log_debug("payment %s: %s", p->id, outcome_name(x->u.outcome.outcome));
		if (a->on_outcome)
			a->on_outcome(a, p, a->outcome_arg);
		break;
	}
	case ACT_TIMER:
		arm_timer(a, &x->u.timer);
		break;
	case ACT_CANCEL:
		if ((enum pay_timer)x->u.cancel.timer == PAY_TIMER_BLOCK)
			tb_timer_cancel(a->block_timer);
		break;
	}
}

void alice_run(struct alice *a, struct actions *acts)
{
	a->run_depth++;
	persist_all(a, acts);
	struct chain_replies replies;
	chain_replies_init(&replies);
	for (size_t i = 0; i < acts->n; i++)
		run_one(a, &acts->v[i], &replies);
	actions_clear(acts);
	/* the chain's answers, now that the list is carried out: each to the
	 * engine in order, and what it decides carried out the same way */
	for (size_t i = 0; i < replies.n; i++) {
		const struct chain_reply *r = &replies.v[i];
		pay_engine_chain_result(&a->eng, r->chan, r->htlc_id, r->answer, acts);
		alice_run(a, acts);
	}
	chain_replies_free(&replies);
	if (--a->run_depth == 0)
		compact(a);
}

/* One engine call's actions, carried out. */
#define ENGINE(a, call)                               \
	do {                                          \
		struct actions acts_;                 \
		actions_init(&acts_);                 \
		call;                                 \
		alice_run((a), &acts_);               \
		actions_free(&acts_);                 \
	} while (0)

struct payment *alice_pay(struct alice *a, const struct pay_request *r)
{
	uint64_t seq = a->eng.last_seq + 1;
	ENGINE(a, pay_engine_pay(&a->eng, r, alice_now(a), &acts_));
	/* payments may have moved meanwhile; the newest is always kept */
	return pay_engine_by_seq(&a->eng, seq);
}

void alice_fault(struct alice *a, size_t only, const struct fault_config *f, bool lift)
{
	for (size_t i = 0; i < a->eng.nchans; i++) {
		if (only != SIZE_MAX && i != only)
			continue;
		struct chan *c = &a->links[i];
		if (chan_fault(c, DIR_TO_BOB, f, lift) && a->peer)
			peer_release_held(a->peer, &c->out, a->eng.chans[i].ledger.id);
		pay_engine_set_down(&a->eng, i, c->out.down || c->in_down);
	}
	fault_request_log(a->log, f, only == SIZE_MAX ? NULL : a->eng.chans[only].ledger.id, lift);
	ENGINE(a, pay_engine_retry_deferred(&a->eng, alice_now(a), &acts_));
}

bool alice_send_ping(struct alice *a)
{
	if (!a->peer)
		return false;
	struct msg m;
	peer_send(a->peer, msg_ping(&m, 0));
	return true;
}

/* ---- the connection -------------------------------------------------- */

static void write_ready(struct alice *a)
{
	if (a->ready_written || !pay_engine_ready(&a->eng))
		return;
	a->ready_written = true;
	printf("alice connected to bob with %zu channel%s\n", a->eng.nchans,
	       a->eng.nchans == 1 ? "" : "s");
	fflush(stdout);
	if (a->ready_file) {
		json_t *r = json_pack("{s:i,s:I,s:s}", "pid", (int)getpid(), "epoch_unix_us",
				      (json_int_t)a->clk.epoch_unix_us, "node_id", a->key.hex);
		if (!write_ready_file(a->ready_file, r))
			log_warn("--ready-file %s: %s", a->ready_file, strerror(errno));
		json_decref(r);
	}
}

/* Bob refuses us in a way retrying cannot mend: stop, with exit 1. */
static void alice_give_up(struct alice *a)
{
	a->exit_code = 1;
	a->stopping = true;
	event_base_loopbreak(a->base);
}

static void on_message(struct peer *p, const Ampsim__Envelope *env, void *arg)
{
	(void)p;
	struct alice *a = arg;
	uint64_t now = alice_now(a);
	switch (env->msg_case) {
	case AMPSIM__ENVELOPE__MSG_INIT:
		ENGINE(a, pay_engine_on_init(&a->eng, env->init, &acts_));
		write_ready(a);
		break;
	case AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL:
		ENGINE(a, pay_engine_on_accept(&a->eng, env->accept_channel, now, &acts_));
		write_ready(a);
		break;
	case AMPSIM__ENVELOPE__MSG_HTLC_SIGNED:
		ENGINE(a, pay_engine_on_signed(&a->eng, env->htlc_signed, &acts_));
		break;
	case AMPSIM__ENVELOPE__MSG_INVOICE:
		ENGINE(a, pay_engine_on_invoice(&a->eng, env->invoice, now, &acts_));
		break;
	case AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC:
		ENGINE(a, pay_engine_on_fulfill(&a->eng, env->update_fulfill_htlc, now, &acts_));
		break;
	case AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC:
		ENGINE(a, pay_engine_on_fail(&a->eng, env->update_fail_htlc, now, &acts_));
		break;
	case AMPSIM__ENVELOPE__MSG_ERROR:
		log_warn("bob says: %s%s%s", env->error->message,
			 env->error->channel_id[0] ? " on channel " : "", env->error->channel_id);
		switch (pay_engine_on_error(&a->eng, env->error)) {
		case PAY_REFUSAL_NONE:
			break;
		case PAY_REFUSED_BY_BOB:
			fprintf(stderr, "alice: bob refused this alice %d times: %s\n"
				"alice: stopping; if bob keeps another run's state, restart him "
				"without it (see the README on starting a lab over)\n",
				a->eng.refusals, env->error->message);
			alice_give_up(a);
			break;
		case PAY_REFUSED_FOREIGN_CHANNEL:
			fprintf(stderr, "alice: bob says channel '%s' belongs to another node, %d "
				"times\nalice: stopping; this alice's node key (%s) is not the one "
				"that opened it: give --key the key file she had (with --state it is "
				"kept there)\n", env->error->channel_id, a->eng.owner_refusals,
				a->key.hex);
			alice_give_up(a);
			break;
		}
		break;
	case AMPSIM__ENVELOPE__MSG_PONG:
		if (a->on_pong)
			a->on_pong(a, a->pong_arg);
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
	bool secured = peer_remote_id(p) != NULL;
	char reason[200];
	snprintf(reason, sizeof(reason), "%s%s",
		 secured || !strncmp(why, "BOLT #8", 7) ? "" : "BOLT #8 handshake failed: ", why);
	if (secured)
		log_warn("connection to bob lost: %s", why);
	struct evrec ev;
	evrec_init(&ev, "peer_disconnected");
	evrec_str(&ev, "peer", "bob");
	evrec_str(&ev, "reason", reason);
	evlog_emit_rec(a->log, &ev);
	a->peer = NULL;
	pay_engine_disconnected(&a->eng);
	if (a->stopping)
		return;
	if (secured) {
		schedule_reconnect(a);
		return;
	}
	/* closed before the BOLT #8 handshake ended. In Noise XK the node we
	 * reach must hold the key of the node id we were given to read act one:
	 * one that does not closes (bob) or fails act two, and we learn nothing
	 * of its own key. Back off, and stop after a few: asking again cannot
	 * give it the key. */
	char id[2 * NOISE_PUBKEY_LEN + 1];
	sodium_bin2hex(id, sizeof(id), a->bob_id, NOISE_PUBKEY_LEN);
	struct reconnect_next n = reconnect_after(&a->rc, RECONNECT_HANDSHAKE);
	if (n.give_up) {
		fprintf(stderr, "alice: --connect %s@%s: bob at %s is not node %s: the BOLT #8 "
			"handshake failed %u times in a row (%s), so the node listening there "
			"does not hold that node's key\nalice: stopping; give --connect the node "
			"id bob printed when he started (his ready file has it too)\n",
			id, a->where, a->where, id, n.failures, why);
		a->exit_code = 2;
		a->stopping = true;
		event_base_loopbreak(a->base);
		return;
	}
	log_warn("the BOLT #8 handshake with bob at %s failed (%s), %u of %d: the node "
		 "there does not hold the key of node %s; trying again in %u ms", a->where, why,
		 n.failures, RECONNECT_HANDSHAKE_TRIES, id, n.delay_ms);
	arm_reconnect(a, n.delay_ms);
}

/* BOLT #8 ended: bob is the node --connect names; the waits start over */
static bool on_secure(struct peer *p, const uint8_t node_id[33], void *arg)
{
	(void)p;
	(void)node_id;
	struct alice *a = arg;
	reconnect_secured(&a->rc);
	return true;
}

static const struct peer_ops alice_peer_ops = { on_message, on_close, on_secure, NULL };

static void connected(struct alice *a, evutil_socket_t fd)
{
	/* after a restart, reaching Bob only on a later try is a reconnection
	 * too (Bob may have been down with us) */
	bool reconnect = a->ever_connected || (a->eng.restarted && a->tries > 1);
	a->ever_connected = true;
	a->tries = 0;
	a->peer = peer_new(a->base, fd, "bob", &alice_peer_ops, a, a->log, &a->clk);
	peer_set_capture(a->peer, a->cap);
	peer_set_turn(a->peer, a->turn);
	peer_set_timebase(a->peer, a->tb);
	/* BOLT #8 to bob's node: the engine's first messages wait for it */
	uint8_t eph[NOISE_PRIVKEY_LEN];
	nodekey_ephemeral(a->trand, a->trand_ctx, eph);
	peer_secure_initiator(a->peer, a->key.priv, a->bob_id, eph);
	sodium_memzero(eph, sizeof(eph));
	ENGINE(a, pay_engine_connected(&a->eng, reconnect, &acts_));
}

static void on_connect_event(struct bufferevent *bev, short what, void *arg)
{
	struct alice *a = arg;
	if (timebase_is_virtual(a->tb))
		timebase_busy(a->tb, false);
	if (what & BEV_EVENT_CONNECTED) {
		/* the socket is ours now: the peer's own bufferevent takes it */
		evutil_socket_t fd = bufferevent_getfd(bev);
		bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
		bufferevent_free(bev);   /* no BEV_OPT_CLOSE_ON_FREE: fd stays open */
		a->connecting = NULL;
		connected(a, fd);
		return;
	}
	int e = EVUTIL_SOCKET_ERROR();
	evutil_socket_t fd = bufferevent_getfd(bev);
	bufferevent_free(bev);
	if (fd >= 0)
		evutil_closesocket(fd);
	a->connecting = NULL;
	log_debug("connect to %s: %s", a->where, evutil_socket_error_to_string(e));
	if (!a->ever_connected && a->first_tries_left > 0 && --a->first_tries_left == 0 &&
	    !a->eng.restarted) {
		fprintf(stderr, "alice: cannot connect to %s: %s\n", a->where,
			evutil_socket_error_to_string(e));
		a->exit_code = 1;
		event_base_loopbreak(a->base);
		return;
	}
	schedule_reconnect(a);
}

void alice_connect(struct alice *a, bool first)
{
	if (first)
		a->first_tries_left = a->eng.restarted ? 1 : 40;
	a->tries++;
	struct bufferevent *bev = bufferevent_socket_new(a->base, -1, 0);
	if (!bev)
		fatal("bufferevent_socket_new failed");
	bufferevent_setcb(bev, NULL, NULL, on_connect_event, a);
	a->connecting = bev;
	/* the virtual clock waits for the outcome: a connect takes no time */
	if (timebase_is_virtual(a->tb))
		timebase_busy(a->tb, true);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&a->addr, a->addrlen) != 0) {
		if (timebase_is_virtual(a->tb))
			timebase_busy(a->tb, false);
		/* failed at once (on_connect_event was not called): try later */
		evutil_socket_t fd = bufferevent_getfd(bev);
		bufferevent_free(bev);
		if (fd >= 0)
			evutil_closesocket(fd);
		a->connecting = NULL;
		schedule_reconnect(a);
	}
}

static void on_reconnect(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	alice_connect(arg, false);
}

static void reconnect_label(void *arg, uint64_t at, char *buf, size_t n)
{
	(void)arg;
	(void)at;
	snprintf(buf, n, "alice tries to reconnect to bob");
}

static void on_reconnect_tb(void *arg)
{
	alice_connect(arg, false);
}

/* Try again after the wait engine/reconnect.c says: 20 ms, 40 ms, ... at
 * most 1 s; on a first start, 10 ms more each try, as Bob may still be
 * starting. */
static void schedule_reconnect(struct alice *a)
{
	bool starting = !a->ever_connected && !a->eng.restarted;
	struct reconnect_next n =
		reconnect_after(&a->rc, starting ? RECONNECT_STARTING : RECONNECT_LOST);
	arm_reconnect(a, n.delay_ms);
}

static void arm_reconnect(struct alice *a, unsigned ms)
{
	if (!a->reconnect_timer)
		a->reconnect_timer = evtimer_new(a->base, on_reconnect, a);
	if (timebase_is_virtual(a->tb)) {
		/* under the virtual clock the backoff is simulated time */
		if (!a->reconnect_tb)
			a->reconnect_tb = tb_timer_new(a->tb, on_reconnect_tb, a);
		tb_timer_set_label(a->reconnect_tb, reconnect_label);
		tb_timer_at(a->reconnect_tb, alice_now(a) + (uint64_t)ms * 1000);
		return;
	}
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	evtimer_add(a->reconnect_timer, &tv);
}

/* ---- blocks ------------------------------------------------------------ */

/* What the chain says of every HTLC in flight (its confirmed spends). */
static size_t chain_seen(struct alice *a, struct pay_chain_seen **out)
{
	*out = NULL;
	if (!a->chain)
		return 0;
	uint32_t height = alice_height(a);
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < a->eng.nchans; i++) {
		const struct ledger *l = &a->eng.chans[i].ledger;
		for (uint32_t k = 0; k < l->max_htlcs; k++) {
			const struct ledger_htlc *h = &l->htlcs[k];
			struct chain_tx which, tx;
			memset(&which, 0, sizeof(which));
			snprintf(which.channel, sizeof(which.channel), "%s", l->id);
			memcpy(which.sender, a->eng.terms.node, TERMS_NODE_LEN);
			memcpy(which.receiver, a->eng.bob_node, TERMS_NODE_LEN);
			which.htlc_id = h->id;
			if (!h->used || !chain_confirmed(a->chain, &which, height, &tx))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				*out = xrealloc(*out, cap * sizeof(**out));
			}
			struct pay_chain_seen *s = &(*out)[n++];
			memset(s, 0, sizeof(*s));
			s->chan = i;
			s->htlc_id = h->id;
			s->claim = tx.kind == CHAIN_CLAIM;
			memcpy(s->preimage, tx.preimage, AMP_LEN);
			s->confirm_height = tx.confirm_height;
		}
	}
	return n;
}

static void block_label(void *arg, uint64_t at, char *buf, size_t n)
{
	const struct alice *a = arg;
	snprintf(buf, n, "block %u: alice checks expiries", simclock_height_of(&a->clk, at));
}

static void on_block(void *arg)
{
	struct alice *a = arg;
	struct pay_chain_seen *seen;
	if (a->chain)
		chain_watch(a->chain, a->log, simclock_height_of(&a->clk, alice_now(a)),
			    simclock_block_wall_ms(&a->clk));
	size_t nseen = chain_seen(a, &seen);
	ENGINE(a, pay_engine_block(&a->eng, alice_now(a), seen, nseen, &acts_));   /* re-arms */
	free(seen);
}

/* The run's clock ended the run (or went away): stop. */
void alice_clock_ended(void *arg)
{
	struct alice *a = arg;
	a->stopping = true;
	event_base_loopbreak(a->base);
}

void alice_start_blocks(struct alice *a)
{
	a->block_timer = tb_timer_new(a->tb, on_block, a);
	tb_timer_set_label(a->block_timer, block_label);
	ENGINE(a, pay_engine_start(&a->eng, alice_now(a), &acts_));
}

void alice_free(struct alice *a)
{
	turn_commit(a->turn);   /* what the last turn decided is kept */
	if (a->peer)
		peer_free(a->peer);
	if (a->connecting) {
		evutil_socket_t fd = bufferevent_getfd(a->connecting);
		bufferevent_free(a->connecting);
		if (fd >= 0)
			evutil_closesocket(fd);
	}
	for (size_t i = 0; i < ALICE_MAX_CHANNELS; i++)
		chan_free(&a->links[i]);
	pay_engine_free(&a->eng);
	if (a->reconnect_timer)
		event_free(a->reconnect_timer);
	tb_timer_free(a->reconnect_tb);
	rpc_server_free(a->rpc);
	a->rpc = NULL;
	turn_free(a->turn);
	store_close(a->st);
	chain_close(a->chain);
	capture_close(a->cap);
	tb_timer_free(a->block_timer);
	timebase_free(a->tb);
	daemon_signals_free(a->sig);
	rpc_server_free(a->rpc);
	evlog_close(a->log);
	if (a->base)
		event_base_free(a->base);
	free(a);
}

/* Each node's life in the world: its engine made as its daemon makes it
 * at start-up, thrown away by a crash (kill -9: its memory, its timers,
 * its links' frames and its connection are gone, and the other side sees
 * the connection close), and made again by a restart from exactly the
 * records its actions persisted (world_store.c), loaded in the order its
 * daemon loads them (alice_main.c and alice_store.c; bob.c and
 * bob_store.c), with secrets of the next generation, as ampsim run gives
 * each life of a daemon. Alice's connection attempts follow alice.c's
 * rule: refused while Bob is down, then her backoff (reconnect.c). */
#include "world_int.h"

#include "life.h"

static void alice_engine(struct world *w)
{
	const struct scenario *s = w->s;
	seeded_secrets_init(&w->alice_secrets, s->seed, w->gen[WORLD_ALICE], "alice");
	struct pay_rand rand = { seeded_secrets_bytes, &w->alice_secrets };
	pay_engine_init(&w->alice, &w->clk, 1, ALICE_HONEST, &rand);
	w->alice.encode_records = w->store != NULL;   /* a world without records pays nothing */
}

/* As alice_main.c: the engine works with what was given or loaded; links
 * start their streams over. */
static void alice_configure(struct world *w)
{
	/* invoices are signed where a stranger could forge one; nobody else
	 * is in this process, so Bob signs nothing and Alice checks nothing */
	w->alice.verify.fn = NULL;
	/* the same for HTLC terms: both sign by name (terms.h), for free */
	w->alice.terms.sign = terms_sign_by_name;
	w->alice.terms.ctx = (void *)world_alice_node;
	memcpy(w->alice.terms.node, world_alice_node, TERMS_NODE_LEN);
	memcpy(w->alice.bob_node, world_bob_node, TERMS_NODE_LEN);
	pay_engine_configure(&w->alice, &w->clk, w->s->seed, w->s->alice.behaviour, true);
	for (size_t i = 0; i < w->alice.nchans; i++)
		link_init(&w->a.links[i].out, &w->a.links[i].base_out, w->s->seed,
			  w->alice.chans[i].ledger.id, "to_bob");
	w->a.nlinks = w->alice.nchans;
}

bool w_alice_first(struct world *w, char *err, size_t errlen)
{
	const struct scenario *s = w->s;
	alice_engine(w);
	for (size_t i = 0; i < s->nchannels; i++) {
		struct channel_config cc = s->channels[i];
		enum ledger_err le = pay_engine_add_channel(&w->alice, &cc);
		if (le != LEDGER_OK) {
			snprintf(err, errlen, "%s:%d: channel %s: %s", s->path, cc.line, cc.id,
				 ledger_err_name(le));
			return false;
		}
		w->a.links[i].base_out = cc.link;
	}
	alice_configure(w);
	if (w->store)
		w_store_alice_first(w);
	return true;
}

void w_bob_engine(struct world *w)
{
	const struct scenario *s = w->s;
	seeded_secrets_init(&w->bob_secrets, s->seed, w->gen[WORLD_BOB], "bob");
	seeded_secrets_init(&w->bob_tables, s->seed, w->gen[WORLD_BOB], "bob tables");
	w->chain_view.spent = w_bob_chain_spent;
	w->chain_view.ctx = w;
	w->chain_view.confirmations = CHAIN_CONFIRMATIONS;
	struct bob_config cfg = {
		.hold_us = s->bob.hold_us, .final_cltv_delta = s->bob.final_cltv_delta,
		.behaviour = s->bob.behaviour, .invoice_expiry_us = 3600ULL * 1000000,
		.random = seeded_secrets_bytes, .random_ctx = &w->bob_secrets,
		.table_random = seeded_secrets_bytes, .table_random_ctx = &w->bob_tables,
		.chain = &w->chain_view,
		.terms = { .sign = terms_sign_by_name, .verify = terms_verify_by_name,
			   .ctx = (void *)world_bob_node },
	};
	memcpy(cfg.terms.node, world_bob_node, TERMS_NODE_LEN);
	bob_engine_init(&w->bob, &cfg);
	w->bob.encode_records = w->store != NULL;
	w->bob_compact_at = BOB_KEEP_INVOICES;
	w->bob_conns = 0;
}

/* ---- alice reaches bob --------------------------------------------------- */

/* Alice reaches bob (again): bob accepts, BOLT #8 names alice's node,
 * alice's engine speaks first. */
static void w_connect(struct world *w, bool reconnect)
{
	w->conn = ++w->bob_conns;   /* bob's count: 1 for the first (WORLD_CONN) */
	if (!bob_engine_connected(&w->bob, w->conn, "alice"))
		fatal("the world: bob refused alice's connection");
	if (!bob_engine_conn_node(&w->bob, w->conn, world_alice_node))
		fatal("the world: bob refused alice's node");
	w->connected = true;
	reconnect_secured(&w->rc);
	ALICE(w, pay_engine_connected(&w->alice, reconnect, &acts_));
}

static void alice_backoff(struct world *w)
{
	bool starting = !w->alice_ever && !w->alice.restarted;
	struct reconnect_next n =
		reconnect_after(&w->rc, starting ? RECONNECT_STARTING : RECONNECT_LOST);
	wt_at(&w->a.heap, &w->reconnect, w->now + (uint64_t)n.delay_ms * 1000);
}

void w_alice_try(struct world *w)
{
	w->alice_tries++;
	if (w->down[WORLD_BOB]) {
		alice_backoff(w);     /* refused: nobody listens */
		return;
	}
	/* after a restart, reaching Bob only on a later try is a reconnection
	 * too (Bob may have been down with her) */
	bool reconnect = w->alice_ever || (w->alice.restarted && w->alice_tries > 1);
	w->alice_ever = true;
	w->alice_tries = 0;
	w_connect(w, reconnect);
}

/* ---- a crash ---------------------------------------------------------------- */

static void side_wipe(struct world *w, struct side *sd)
{
	while (sd->heap.n)
		wt_cancel(&sd->heap, sd->heap.v[0]);
	w_forget_all(sd);
	while (sd->in_head) {
		struct outq_item *f = sd->in_head;
		sd->in_head = f->next;
		free(f);
	}
	sd->in_tail = NULL;
	memset(sd->links, 0, (w->s->nchannels ? w->s->nchannels : 1) * sizeof(*sd->links));
	sd->nlinks = 0;
}

static void log_crash(struct world *w, enum world_node n)
{
	struct evrec r;
	life_crash(&r);
	w_emit(w, n, &r);
}

static void alice_gone(struct world *w)
{
	side_wipe(w, &w->a);
	pay_engine_free(&w->alice);
	memset(&w->alice, 0, sizeof(w->alice));
	w->ready = false;
	w->qhead = w->qn = 0;          /* the payments handed ahead were in her memory */
	memset(&w->rc, 0, sizeof(w->rc));
	w->alice_tries = 0;
	w->alice_ever = false;
}

static void bob_gone(struct world *w)
{
	while (w->nhold)
		w_hold_forget(w, w->hold_v[0]->id);
	side_wipe(w, &w->b);
	bob_engine_free(&w->bob);
	memset(&w->bob, 0, sizeof(w->bob));
}

/* The connection closes under the node that is still up. */
static void peer_lost(struct world *w, enum world_node crashed)
{
	if (!w->connected)
		return;
	w->connected = false;
	if (crashed == WORLD_ALICE) {
		/* bob's links' messages for the connection go with it */
		w_forget_all(&w->b);
		BOB(w, bob_engine_disconnected(&w->bob, w->conn, "connection closed by peer", &out_));
		return;
	}
	struct evrec r;
	evrec_init(&r, "peer_disconnected");
	evrec_str(&r, "peer", "bob");
	evrec_str(&r, "reason", "connection closed by peer");
	w_emit(w, WORLD_ALICE, &r);
	w_forget_all(&w->a);
	pay_engine_disconnected(&w->alice);
	alice_backoff(w);
}

static void crash(struct world *w, enum world_node n, bool logged)
{
	w_store_flush(w);   /* every turn before the crash was committed */
	if (logged)
		log_crash(w, n);
	peer_lost(w, n);
	if (n == WORLD_ALICE)
		alice_gone(w);
	else
		bob_gone(w);
	w->down[n] = true;
	w->down_since[n] = world_height(w);
}

void world_keep_records(struct world *w)
{
	if (w->store)
		return;
	w->store = w_store_new();
	w->alice.encode_records = w->bob.encode_records = true;
	w_store_alice_first(w);
}

void world_crash(struct world *w, enum world_node n)
{
	if (!w->store)
		fatal("the world: a crash in a world that keeps no records (world_keep_records)");
	if (w->down[n])
		return;     /* kill -9 of a node that is down: nothing */
	crash(w, n, true);
}

/* ---- a restart ---------------------------------------------------------- */

static void alice_restart(struct world *w)
{
	w->gen[WORLD_ALICE]++;
	alice_engine(w);
	w_store_load_alice(w);
	alice_configure(w);
	char why[256];
	if (!pay_engine_restore(&w->alice, why, sizeof(why)))
		fatal("the world: alice does not restart from her records: %s", why);
	ALICE(w, pay_engine_start(&w->alice, w->now, &acts_));
	struct evrec r;
	life_alice_restart(&r, w->alice.npays);
	w_emit(w, WORLD_ALICE, &r);
	w_alice_try(w);
}

static void bob_restart(struct world *w)
{
	w->gen[WORLD_BOB]++;
	w_bob_engine(w);
	w_store_load_bob(w);
	w_bob_sync_links(w);
	if (w->bob.nchans) {
		struct evrec r;
		life_bob_restart(&r, w->bob.nchans);
		w_emit(w, WORLD_BOB, &r);
	}
	BOB(w, bob_engine_resume(&w->bob, w->now, &out_));
}

void world_restart(struct world *w, enum world_node n)
{
	if (!w->store)
		fatal("the world: a restart in a world that keeps no records (world_keep_records)");
	if (!w->down[n])
		crash(w, n, false);   /* killed and started: no crash is logged */
	if (w->down[n]) {
		if (w->ndowns == w->downs_cap) {
			w->downs_cap = w->downs_cap ? 2 * w->downs_cap : 8;
			w->downs = xrealloc(w->downs, w->downs_cap * sizeof(*w->downs));
		}
		uint32_t *d = w->downs[w->ndowns++];
		d[0] = (uint32_t)n;
		d[1] = w->down_since[n];
		d[2] = world_height(w);
	}
	w->down[n] = false;
	w->up_since[n] = world_height(w);
	w->restart_at[n] = w->now;
	w->joined_last = n;
	if (n == WORLD_ALICE)
		alice_restart(w);
	else
		bob_restart(w);
	w_store_flush(w);
}

bool world_up(const struct world *w, enum world_node n)
{
	return !w->down[n];
}

bool world_was_down(const struct world *w, enum world_node n, uint32_t lo, uint32_t hi)
{
	if (w->down[n] && w->down_since[n] <= hi)
		return true;
	for (size_t i = 0; i < w->ndowns; i++)
		if (w->downs[i][0] == (uint32_t)n && w->downs[i][1] <= hi && w->downs[i][2] >= lo)
			return true;
	return false;
}

uint32_t world_up_since(const struct world *w, enum world_node n)
{
	return w->up_since[n];
}

uint32_t world_generation(const struct world *w, enum world_node n)
{
	return w->gen[n];
}

uint64_t world_restarted_at(const struct world *w, enum world_node n)
{
	return w->restart_at[n];
}

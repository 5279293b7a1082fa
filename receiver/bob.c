/* bob: the receiving daemon. Accepts Alice's channels, issues invoices,
 * reassembles MPP and AMP sets and settles each set all or none. The
 * protocol is the engine's (engine/); this file is the shell: it accepts
 * connections, decodes, hands each event to the engine with the simulated
 * time, and has bob_act.c carry out what the engine decided. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bob.h"
#include "capture.h"
#include "daemon.h"
#include "daemon_opts.h"
#include "events.h"
#include "frame.h"
#include "listener.h"
#include "life.h"
#include "log.h"
#include "peer.h"
#include "rpc.h"
#include "secrets.h"
#include "store.h"
#include "units.h"

/* ---- what the engine is given ------------------------------------------ */

/* Secrets (invoice preimages and payment secrets, a greedy Bob's guesses)
 * come from libsodium's CSPRNG (system_secrets_bytes), never from the
 * simulation's streams. */

static bool chain_spent(void *ctx, const char *channel, const uint8_t sender[TERMS_NODE_LEN],
			const uint8_t receiver[TERMS_NODE_LEN], uint64_t htlc_id, uint32_t height,
			bool *refund)
{
	struct chain_tx which, tx;
	memset(&which, 0, sizeof(which));
	snprintf(which.channel, sizeof(which.channel), "%s", channel);
	memcpy(which.sender, sender, TERMS_NODE_LEN);
	memcpy(which.receiver, receiver, TERMS_NODE_LEN);
	which.htlc_id = htlc_id;
	if (!chain_confirmed(ctx, &which, height, &tx))
		return false;
	*refund = tx.kind == CHAIN_REFUND;
	return true;
}

/* ---- connections ------------------------------------------------------- */

static void on_message(struct peer *p, const Ampsim__Envelope *env, void *arg)
{
	struct bob_conn *bcn = arg;
	struct bob *b = bcn->bob;
	if (env->msg_case == AMPSIM__ENVELOPE__MSG_ERROR)
		log_warn("peer %s says: %s", peer_name(p), env->error->message);
	if (env->msg_case == AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL) {
		/* a channel announced again on a new connection: the messages
		 * still waiting on the old one are forgotten */
		size_t idx;
		struct bob_chan *bc = bob_engine_chan(&b->eng, env->open_channel->channel_id, &idx);
		struct bob_conn *old = bc ? bob_conn_by_id(b, bc->conn) : NULL;
		if (old && old != bcn && idx < b->nlinks)
			peer_forget_link(old->peer, &b->links[idx].out);
	}
	struct actions out;
	actions_init(&out);
	bob_engine_message(&b->eng, bcn->id, env, bob_now(b), &out);
	bob_act(b, &out);
	actions_free(&out);
}

static void on_close(struct peer *p, const char *why, void *arg)
{
	struct bob_conn *bcn = arg;
	struct bob *b = bcn->bob;
	log_info("peer %s disconnected: %s", peer_name(p), why);
	for (size_t i = 0; i < b->eng.nchans && i < b->nlinks; i++)
		if (b->eng.chans[i].conn == bcn->id)
			peer_forget_link(p, &b->links[i].out);
	struct bob_conn **pp = &b->conns;
	while (*pp && *pp != bcn)
		pp = &(*pp)->next;
	if (*pp)
		*pp = bcn->next;
	struct actions out;
	actions_init(&out);
	bob_engine_disconnected(&b->eng, bcn->id, why, &out);
	bob_act(b, &out);
	actions_free(&out);
	free(bcn);
	listener_conn_closed(b->listener);
}

/* BOLT #8 ended: the connection is this node's (--allow may refuse it). */
static bool on_secure(struct peer *p, const uint8_t node_id[33], void *arg)
{
	struct bob_conn *bcn = arg;
	struct bob *b = bcn->bob;
	if (b->nallow) {
		bool allowed = false;
		for (size_t i = 0; i < b->nallow && !allowed; i++)
			allowed = memcmp(b->allow[i], node_id, NOISE_PUBKEY_LEN) == 0;
		if (!allowed) {
			char hex[NOISE_NODE_ID_HEX_LEN + 1];
			noise_node_id_format(node_id, hex);
			log_warn("peer %s: node %s is not allowed (--allow); closing the connection",
				 peer_name(p), hex);
			struct evrec r;
			evrec_init(&r, "peer_refused");
			evrec_str(&r, "peer", peer_name(p));
			evrec_str(&r, "node_id", hex);
			evrec_str(&r, "reason", "not in --allow");
			evlog_emit_rec(b->log, &r);
			return false;
		}
	}
	if (!bob_engine_conn_node(&b->eng, bcn->id, node_id)) {
		log_warn("peer %s: too many connections from one node; closing this one",
			 peer_name(p));
		return false;
	}
	return true;
}

static bool conn_holds_channel(const struct bob *b, uint64_t conn)
{
	for (size_t i = 0; i < b->eng.nchans; i++)
		if (b->eng.chans[i].conn == conn)
			return true;
	return false;
}

/* Silent for --idle-timeout: a connection that carries a channel stays
 * (Alice may simply have nothing to pay); one that carries none goes. */
static bool on_idle(struct peer *p, void *arg)
{
	(void)p;
	struct bob_conn *bcn = arg;
	return !conn_holds_channel(bcn->bob, bcn->id);
}

static const struct peer_ops bob_peer_ops = { on_message, on_close, on_secure, on_idle };

/* Room for a new connection: the oldest one still in its handshake when
 * BOB_MAX_PENDING are (or descriptors ran out: full), and the oldest
 * holding no channel when every slot is taken. A stranger can delay Alice
 * by a handshake, not lock her out. */
static bool make_room_for(struct bob *b, bool full)
{
	struct bob_conn *oldest_pending = NULL, *oldest_idle = NULL;
	unsigned pending = 0;
	for (struct bob_conn *c = b->conns; c; c = c->next) {
		if (peer_handshaking(c->peer)) {
			pending++;
			oldest_pending = c;
		}
		if (!conn_holds_channel(b, c->id))
			oldest_idle = c;
	}
	if (oldest_pending && (pending >= BOB_MAX_PENDING || full)) {
		peer_fail(oldest_pending->peer,
			  full ? "out of descriptors: closing the oldest connection in its handshake"
			       : "too many connections in their handshake: closing the oldest");
		return true;
	} else if (b->eng.nconns >= BOB_MAX_CONNS && oldest_idle) {
		peer_fail(oldest_idle->peer,
			  "too many connections: closing the oldest that holds no channel");
		return true;
	}
	return false;
}

/* accept() found no descriptor: free one for the next try */
static bool out_of_descriptors(void *arg)
{
	return make_room_for(arg, true);
}

/* The engine's signer: Bob's node key over an invoice digest. */
static void sign_with_node_key(void *ctx, const uint8_t digest[32], uint8_t sig[64])
{
	const struct bob *b = ctx;
	if (!noise_sign(b->key.priv, digest, sig))
		fatal("cannot sign with the node key");
}

/* The engine's check of an add's terms: signed by the node that opened
 * its channel (BOLT #8 named it). */
static bool verify_by_node(void *ctx, const uint8_t node[33], const uint8_t digest[32],
			   const uint8_t sig[64])
{
	(void)ctx;
	return noise_verify(node, digest, sig);
}

/* What the engine signs and checks with: Bob's node key (invoices, HTLC
 * terms), the channel's node for an add's terms. */
static void use_node_key(struct bob *b)
{
	b->eng.cfg.sign = sign_with_node_key;
	b->eng.cfg.sign_ctx = b;
	b->eng.cfg.terms.sign = sign_with_node_key;
	b->eng.cfg.terms.verify = verify_by_node;
	b->eng.cfg.terms.ctx = b;
	memcpy(b->eng.cfg.terms.node, b->key.id, TERMS_NODE_LEN);
}

static void on_accept(evutil_socket_t fd, const char *name, void *arg)
{
	struct bob *b = arg;
	uint64_t id = ++b->next_conn_id;
	make_room_for(b, false);
	if (!bob_engine_connected(&b->eng, id, name)) {
		log_warn("connection from %s refused: too many connections", name);
		evutil_closesocket(fd);
		listener_conn_closed(b->listener);
		return;
	}
	struct bob_conn *bcn = xcalloc(1, sizeof(*bcn));
	bcn->bob = b;
	bcn->id = id;
	bcn->peer = peer_new(b->base, fd, name, &bob_peer_ops, bcn, b->log, &b->eng.clk);
	/* a connection that says nothing, or never finishes a frame, is
	 * closed rather than kept */
	peer_set_deadlines(bcn->peer, BOB_HELLO_MS, BOB_PARTIAL_MS);
	peer_set_timeouts(bcn->peer, b->stall_ms, b->idle_ms);
	peer_set_capture(bcn->peer, b->cap);
	peer_set_turn(bcn->peer, b->turn);
	peer_set_timebase(bcn->peer, b->tb);
	uint8_t eph[NOISE_PRIVKEY_LEN];
	nodekey_ephemeral(b->trand, b->trand_ctx, eph);
	peer_secure_responder(bcn->peer, b->key.priv, eph);
	sodium_memzero(eph, sizeof(eph));
	bcn->next = b->conns;
	b->conns = bcn;
	log_debug("connection from %s", name);
}

/* The run's clock ended the run (or went away): stop. */
static void clock_ended(void *arg)
{
	struct bob *b = arg;
	event_base_loopbreak(b->base);
}

static void block_label(void *arg, uint64_t at, char *buf, size_t n)
{
	const struct bob *b = arg;
	snprintf(buf, n, "block %u: bob checks expiries and claims",
		 simclock_height_of(&b->eng.clk, at));
}

static void on_block(void *arg)
{
	struct bob *b = arg;
	struct actions out;
	actions_init(&out);
	if (b->chain)
		chain_watch(b->chain, b->log, simclock_height_of(&b->eng.clk, bob_now(b)),
			    simclock_block_wall_ms(&b->eng.clk));
	bob_engine_block(&b->eng, bob_now(b), &out);
	bob_act(b, &out);
	actions_free(&out);
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
		"  --behaviour B             honest | greedy | hold | late | eager (default honest)\n"
		"  --state DIR               keep channels, HTLCs, invoices and sets in DIR/bob.db\n"
		"  --chain FILE|tcp:NODEID@HOST:PORT  the simulated chain shared with alice (on-chain\n"
		"                            fallback): a file, or served by ampsim chain --listen\n"
		"  --pcap FILE               write every message sent and received to FILE (pcapng)\n"
		"  --sync full|normal        with --state: SQLite's synchronous mode; full (default)\n"
		"                            survives power loss, normal survives kill -9\n"
		"  --key FILE                the node key (BOLT #8 identity), made 0600 when missing;\n"
		"                            default: kept in the --state DIR, else drawn for this run\n"
		"  --allow NODEID            accept only this node (repeat for several); default: any\n"
		"  --invoice-expiry DURATION unpaid invoices are forgotten after this long\n"
		"                            (simulated; default 60m; 0: never)\n"
		"  --idle-timeout DURATION   close a connection that holds no channel after this long\n"
		"                            without a message (default 60s; 0: never)\n"
		"  --write-timeout DURATION  close a peer that leaves over 1 MiB unread this long\n"
		"                            (default 30s; 0: only the 8 MiB limit)\n"
		"  --keep-invoices N         paid invoices kept (listed, and in the state); older\n"
		"                            ones are forgotten. 0 keeps all (default 10000)\n"
		"  --seeded-secrets SEED:GEN draw every secret from SEED (ampsim run); GEN counts\n"
		"                            restarts. Default: the system's randomness\n"
		"  --clock wall|virtual:SOCK wall (default): time_scale x wall time; virtual: the\n"
		"                            discrete-event clock of an ampsim run at SOCK\n"
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

#define BOB_MAX_ALLOW 64

struct bob_opts {
	struct daemon_opts d;              /* the options both daemons take */
	const char *listen;
	uint8_t allow[BOB_MAX_ALLOW][NOISE_PUBKEY_LEN];
	size_t nallow;
	uint64_t keep_invoices;
	uint64_t idle_us, stall_us;        /* --idle-timeout, --write-timeout */
	struct seeded_secrets tables;      /* --seeded-secrets: the hash tables' keys here */
};

/* bob's command line (getopt_long): his own options, then both daemons' */
static const struct option bob_options[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "hold", required_argument, NULL, 'H' },
	{ "final-cltv-delta", required_argument, NULL, 'F' },
	{ "behaviour", required_argument, NULL, 'b' },
	{ "behavior", required_argument, NULL, 'b' },
	{ "keep-invoices", required_argument, NULL, 'N' },
	{ "allow", required_argument, NULL, 'A' },
	{ "idle-timeout", required_argument, NULL, 'I' },
	{ "invoice-expiry", required_argument, NULL, 'X' },
	{ "write-timeout", required_argument, NULL, 'W' },
	DAEMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* Bob's own option c: -1 to go on, else the exit status. */
static int bob_option(struct bob_config *cfg, struct bob_opts *o, int c, const char *arg)
{
	const char *why;
	uint64_t v = 0;
	switch (c) {
	case 'l': o->listen = arg; break;
	case 'H':
		if (!duration_parse(arg, &cfg->hold_us, &why))
			return bad_usage("--hold '%s': %s", arg, why);
		break;
	case 'F':
		if (!uint_parse(arg, &v, &why) || v > 10000)
			return bad_usage("--final-cltv-delta '%s': %s", arg,
					 v > 10000 ? "at most 10000" : why);
		cfg->final_cltv_delta = (uint32_t)v;
		break;
	case 'b':
		if (!bob_behaviour_parse(arg, &cfg->behaviour))
			return bad_usage("--behaviour '%s': %s", arg,
					 "expected honest, greedy, hold, late or eager");
		break;
	case 'A':
		if (o->nallow == BOB_MAX_ALLOW)
			return bad_usage("--allow %s: %s", arg, "at most 64 nodes");
		if (noise_node_id_parse(arg, o->allow[o->nallow]) != NOISE_OK)
			return bad_usage("--allow '%s': %s", arg,
					 "expected a node id: 66 hex digits, a compressed public key");
		o->nallow++;
		break;
	case 'N':
		if (!uint_parse(arg, &o->keep_invoices, &why) || o->keep_invoices > 100000000)
			return bad_usage("--keep-invoices '%s': %s", arg,
					 "expected a count of invoices, 0 (all) to 100000000");
		break;
	case 'X':
		if (!duration_parse(arg, &cfg->invoice_expiry_us, &why))
			return bad_usage("--invoice-expiry '%s': %s", arg, why);
		break;
	case 'I':
	case 'W': {
		uint64_t *to = c == 'I' ? &o->idle_us : &o->stall_us;
		const char *fmt = c == 'I' ? "--idle-timeout '%s': %s" : "--write-timeout '%s': %s";
		if (!duration_parse(arg, to, &why))
			return bad_usage(fmt, arg, why);
		if (*to > 86400ULL * 1000000)
			return bad_usage(fmt, arg, "at most 1440m (a day)");
		break;
	}
	default:
		usage(stderr);
		return 2;
	}
	return -1;
}

struct bob_parse {
	struct bob_config *cfg;
	struct bob_opts *o;
};

static int own_option(void *ctx, int c, const char *arg)
{
	struct bob_parse *p = ctx;
	return bob_option(p->cfg, p->o, c, arg);
}

/* The options, into cfg and o; returns -1 to go on, else the exit code. */
static int parse_options(int argc, char **argv, struct bob_config *cfg, struct bob_opts *o)
{
	struct bob_parse p = { cfg, o };
	int rc = daemon_parse(&o->d, argc, argv, bob_options, own_option, &p);
	if (rc >= 0)
		return rc;
	if (!o->listen)
		return bad_usage("%s%s", "--listen HOST:PORT is required", "");
	if (o->d.seeded) {
		cfg->random = seeded_secrets_bytes;
		cfg->random_ctx = &o->d.secrets;
		/* the hash tables' keys from a stream of their own, as the world's */
		seeded_secrets_init(&o->tables, o->d.seed, o->d.generation, "bob tables");
		cfg->table_random = seeded_secrets_bytes;
		cfg->table_random_ctx = &o->tables;
	}
	return -1;
}

/* The clock: the run's virtual clock (--clock virtual:SOCKET) or the
 * wall's; false after saying why. */
static bool bob_clock(struct bob *b, const struct bob_opts *o)
{
	if (!(b->tb = daemon_clock(&o->d, b->base, &b->eng.clk)))
		return false;
	if (o->d.vclock) {
		timebase_on_end(b->tb, clock_ended, b);
		evlog_set_timebase(b->log, b->tb);
	}
	return true;
}

/* The node key (kept with the state unless --key says where), the nodes
 * of --allow; false after saying why. */
static bool bob_identity(struct bob *b, const struct bob_opts *o)
{
	char err[512];
	/* a node with a state is the same node on every start: its key is
	 * kept with the state unless --key says where (the state directory
	 * exists by now: the store made it) */
	char state_key[4200];
	const char *key = o->d.key;
	if (!key && o->d.state) {
		snprintf(state_key, sizeof(state_key), "%s/bob.key", o->d.state);
		key = state_key;
	}
	if (!key) {
		nodekey_draw(b->trand, b->trand_ctx, &b->key);
	} else if (!nodekey_load(key, b->trand, b->trand_ctx, &b->key, err, sizeof(err))) {
		fprintf(stderr, "bob: --key %s\n", err);
		return false;
	}
	use_node_key(b);
	memcpy(b->allow, o->allow, sizeof(b->allow));
	b->nallow = o->nallow;
	/* the nodes of --allow are not strangers: room is kept for them */
	b->eng.cfg.listed = (const uint8_t (*)[33])b->allow;
	b->eng.cfg.nlisted = b->nallow;
	return true;
}

/* The chain (--chain), its spends seen through the engine's view; false
 * after saying why. */
static bool bob_chain(struct bob *b, const struct bob_opts *o)
{
	char err[512];
	if (o->d.chain) {
		/* the block is known once alice's init sets the clock */
		struct chain_client me = { .node_priv = b->key.priv, .rand = b->eng.cfg.random,
					   .rand_ctx = b->eng.cfg.random_ctx,
					   .block_wall_ms = 0 };
		if (!(b->chain = chain_open(o->d.chain, &me, err, sizeof(err)))) {
			fprintf(stderr, "bob: --chain %s\n", err);
			return false;
		}
		b->chain_view.spent = chain_spent;
		b->chain_view.ctx = b->chain;
		b->chain_view.confirmations = CHAIN_CONFIRMATIONS;
		b->eng.cfg.chain = &b->chain_view;
	}
	return true;
}

/* The capture, the listening socket and the control socket; false after
 * saying why. */
static bool bob_doors(struct bob *b, const struct bob_opts *o)
{
	char err[512];
	if (o->d.pcap && !(b->cap = capture_open(o->d.pcap, CAPTURE_BOB, err, sizeof(err)))) {
		fprintf(stderr, "bob: --pcap %s\n", err);
		return false;
	}
	/* one over the engine's slots: on_accept makes room for it */
	b->listener = listener_new(b->base, o->listen, BOB_MAX_CONNS + 1, on_accept, b, err,
				   sizeof(err));
	if (!b->listener) {
		fprintf(stderr, "bob: --listen %s\n", err);
		return false;
	}
	listener_on_full(b->listener, out_of_descriptors);
	b->port = listener_port(b->listener);
	if (o->d.control) {
		b->rpc = rpc_listen(b->base, o->d.control, bob_methods, b, err, sizeof(err));
		if (!b->rpc) {
			fprintf(stderr, "bob: --control %s\n", err);
			return false;
		}
		rpc_set_turn(b->rpc, b->turn);
	}
	return true;
}

/* --ready-file: the port, the pid and the node id; false after saying why. */
static bool bob_ready(const struct bob *b, const struct bob_opts *o)
{
	if (o->d.ready) {
		json_t *r = json_pack("{s:i,s:i,s:s}", "port", (int)b->port, "pid", (int)getpid(),
				      "node_id", b->key.hex);
		bool ok = write_ready_file(o->d.ready, r);
		json_decref(r);
		if (!ok) {
			fprintf(stderr, "bob: --ready-file %s: %s\n", o->d.ready, strerror(errno));
			return false;
		}
	}
	return true;
}

/* What a stopped bob leaves: the last turn committed, everything freed;
 * the exit status (1 when an invariant broke and nothing else failed). */
static int bob_stop(struct bob *b, struct actions *out, int rc)
{
	actions_free(out);
	turn_commit(b->turn);   /* what the last turn decided is kept */
	while (b->conns) {
		struct bob_conn *n = b->conns->next;
		peer_free(b->conns->peer);
		free(b->conns);
		b->conns = n;
	}
	bob_timers_free(b);
	for (size_t i = 0; i < b->nlinks; i++)
		chan_free(&b->links[i]);
	bob_engine_free(&b->eng);
	rpc_server_free(b->rpc);
	b->rpc = NULL;
	turn_free(b->turn);
	store_close(b->st);
	chain_close(b->chain);
	tb_timer_free(b->block_timer);
	timebase_free(b->tb);
	daemon_signals_free(b->sig);
	rpc_server_free(b->rpc);
	listener_free(b->listener);
	capture_close(b->cap);
	unsigned violations = evlog_violations(b->log);
	evlog_close(b->log);
	event_base_free(b->base);
	free(b);
	if (rc == 0 && violations)
		rc = 1;
	return rc;
}

int main(int argc, char **argv)
{
	struct bob_config cfg = {
		.hold_us = 60ULL * 1000000, .final_cltv_delta = 18, .behaviour = BOB_HONEST,
		.invoice_expiry_us = 3600ULL * 1000000,
		.random = system_secrets_bytes, .table_random = system_secrets_bytes,
	};
	struct bob_opts o = { .keep_invoices = 10000, .idle_us = 60ULL * 1000000,
			      .stall_us = 30ULL * 1000000 };
	daemon_opts_init(&o.d, "bob", usage);
	int rc = parse_options(argc, argv, &cfg, &o);
	if (rc >= 0)
		return rc;
	rc = 0;
	log_init("bob", o.d.verbose);
	if (sodium_init() < 0)
		fatal("libsodium failed to initialise");

	struct bob *b = xcalloc(1, sizeof(*b));
	b->keep_invoices = (size_t)o.keep_invoices;
	b->trand = o.d.seeded ? seeded_secrets_bytes : system_secrets_bytes;
	b->trand_ctx = o.d.seeded ? &o.d.transport : NULL;
	b->idle_ms = (unsigned)((o.idle_us + 999) / 1000);
	b->stall_ms = (unsigned)((o.stall_us + 999) / 1000);
	bob_engine_init(&b->eng, &cfg);
	b->eng.clk.epoch_unix_us = simclock_wall_now_us();
	char err[512];
	b->base = event_base_new();
	b->log = evlog_open(o.d.events, "bob", &b->eng.clk, err, sizeof(err));
	if (!b->log) {
		fprintf(stderr, "bob: %s\n", err);
		event_base_free(b->base);
		bob_engine_free(&b->eng);
		free(b);
		return 2;
	}
	struct actions out;
	actions_init(&out);
	if (!bob_clock(b, &o)) {
		rc = 2;
		goto done;
	}
	if (o.d.state && !bob_store_open(b, o.d.state, err, sizeof(err))) {
		fprintf(stderr, "bob: --state %s\n", err);
		rc = 2;
		goto done;
	}
	if (!bob_identity(b, &o)) {
		rc = 2;
		goto done;
	}
	b->eng.encode_records = b->st != NULL;   /* nothing writes them without --state */
	b->turn = turn_new(b->base, b->st);
	turn_set_writer(b->turn, bob_store_write, b);
	if (!bob_chain(b, &o)) {
		rc = 2;
		goto done;
	}
	if (b->st && !bob_store_load(b, err, sizeof(err))) {
		fprintf(stderr, "bob: --state %s: %s\n", o.d.state, err);
		rc = 2;
		goto done;
	}
	bob_sync_links(b);
	if (b->eng.nchans) {
		log_info("restarted from %s: %zu channels, %zu invoices", o.d.state, b->eng.nchans,
			 b->eng.ninvoices);
		struct evrec r;
		life_bob_restart(&r, b->eng.nchans);
		evlog_emit_rec(b->log, &r);
	}
	if (!bob_doors(b, &o)) {
		rc = 2;
		goto done;
	}
	b->sig = daemon_signals_new(b->base);
	b->block_timer = tb_timer_new(b->tb, on_block, b);
	tb_timer_set_label(b->block_timer, block_label);
	bob_engine_resume(&b->eng, bob_now(b), &out);
	bob_act(b, &out);
	printf("bob listening on %s (port %u), node id %s\n", o.listen, b->port, b->key.hex);
	fflush(stdout);
	if (!bob_ready(b, &o)) {
		rc = 2;
		goto done;
	}
	event_base_dispatch(b->base);

done:
	return bob_stop(b, &out, rc);
}

/* alice: the sending daemon. Opens channels to Bob, obtains invoices over
 * the connection, splits payments over channels, retries failed parts
 * under a fresh hash, verifies every preimage and reclaims HTLCs at their
 * expiry: the payment engine (engine/) decides, the shell (alice.c) acts.
 * This file reads the command line and puts the pieces together. */
#include <errno.h>
#include <event2/event.h>
#include <event2/util.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alice.h"
#include "alice_sched.h"
#include "alice_bench.h"
#include "alice_rpc.h"
#include "capture.h"
#include "daemon_opts.h"
#include "secrets.h"
#include "store.h"
#include "life.h"
#include "log.h"
#include "proto_limits.h"
#include "units.h"


static void usage(FILE *f)
{
	fprintf(f,
		"usage: alice --connect NODEID@HOST:PORT [--channel SPEC]... [options]\n"
		"The sending daemon of ampsim: opens channels to bob and pays over them.\n\n"
		"  --connect NODEID@HOST:PORT  bob's node id (he prints it, and writes it in his\n"
		"                            --ready-file) and address: BOLT #8 to that node only\n"
		"  --key FILE                the node key (BOLT #8 identity), made 0600 when missing;\n"
		"                            default: kept in the --state DIR, else drawn for this run\n"
		"  --channel SPEC            open a channel: \"1btc\" or\n"
		"                            \"id=c1,capacity=1btc,alice=1btc,delay=20ms,jitter=5ms,\n"
		"                             jitter_dist=uniform,drop=0.1,max_htlcs=" MAX_HTLCS_STR "\" (repeatable)\n"
		"  --events FILE             append JSON Lines events to FILE\n"
		"  --control SOCK            JSON-RPC control socket (Unix socket path)\n"
		"  --ready-file FILE         write {\"pid\":N,\"epoch_unix_us\":T} once channels are open\n"
		"  --seed N                  seed of every simulated random decision (default 1)\n"
		"  --block-interval D        simulated time per block (default 1s)\n"
		"  --time-scale X            simulated seconds per wall second (default 1)\n"
		"  --behaviour B             honest | bad-share (default honest)\n"
		"  --state DIR               keep channels and payments in DIR/alice.db; restart from it\n"
		"  --chain FILE|tcp:NODEID@HOST:PORT  the simulated chain shared with bob (on-chain\n"
		"                            fallback): a file, or served by ampsim chain --listen\n"
		"  --pcap FILE               write every message sent and received to FILE (pcapng)\n"
		"  --sync full|normal        with --state: SQLite's synchronous mode; full (default)\n"
		"                            survives power loss, normal survives kill -9\n"
		"  --keep-payments N         finished payments kept (listed, and in the state);\n"
		"                            older ones are forgotten. 0 keeps all (default 10000)\n"
		"  --seeded-secrets SEED:GEN draw every secret from SEED (ampsim run); GEN counts\n"
		"                            restarts. Default: the system's randomness\n"
		"  --clock wall|virtual:SOCK wall (default): time_scale x wall time; virtual: the\n"
		"                            discrete-event clock of an ampsim run at SOCK\n"
		"  -v, --verbose             more diagnostics on stderr\n"
		"  -h, --help                this help\n"
		"  -V, --version             print the version\n");
}

static int bad_usage(const char *what, const char *arg, const char *why)
{
	fprintf(stderr, "alice: %s '%s': %s\n(try alice --help)\n", what, arg, why);
	return 2;
}

/* HOST:PORT into a socket address: numeric addresses directly, names once
 * through the resolver (at start-up, before the loop runs). */
static bool resolve(struct alice *a, const char *connect_to, const char *host, uint16_t port,
		    char *err, size_t errlen)
{
	snprintf(a->where, sizeof(a->where), "%s:%u", host, port);
	a->addrlen = (int)sizeof(a->addr);
	if (evutil_parse_sockaddr_port(connect_to, (struct sockaddr *)&a->addr, &a->addrlen) == 0)
		return true;
	struct evutil_addrinfo hints, *ai = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", port);
	int g = evutil_getaddrinfo(host, portstr, &hints, &ai);
	if (g != 0 || !ai) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, evutil_gai_strerror(g));
		return false;
	}
	memcpy(&a->addr, ai->ai_addr, ai->ai_addrlen);
	a->addrlen = (int)ai->ai_addrlen;
	evutil_freeaddrinfo(ai);
	return true;
}

/* The engine's check of an invoice: signed by the node --connect names. */
static bool verify_by_bob(void *ctx, const uint8_t digest[32], const uint8_t sig[64])
{
	const struct alice *a = ctx;
	return noise_verify(a->bob_id, digest, sig);
}

/* The engine's signer of HTLC terms: Alice's node key. */
static void sign_terms(void *ctx, const uint8_t digest[32], uint8_t sig[64])
{
	const struct alice *a = ctx;
	if (!noise_sign(a->key.priv, digest, sig))
		fatal("cannot sign with the node key");
}

/* What the engine signs and checks with: Alice's node key, Bob's node id
 * (invoices, countersignatures; docs/protocol.md, "Signed terms"). */
static void use_node_key(struct alice *a)
{
	a->eng.verify.fn = verify_by_bob;
	a->eng.verify.ctx = a;
	a->eng.terms.sign = sign_terms;
	a->eng.terms.ctx = a;
	memcpy(a->eng.terms.node, a->key.id, TERMS_NODE_LEN);
	memcpy(a->eng.bob_node, a->bob_id, TERMS_NODE_LEN);
}

static const struct option alice_options[] = {
	{ "connect", required_argument, NULL, 'C' },
	{ "channel", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, 'S' },
	{ "block-interval", required_argument, NULL, 'B' },
	{ "time-scale", required_argument, NULL, 'T' },
	{ "behaviour", required_argument, NULL, 'b' },
	{ "behavior", required_argument, NULL, 'b' },
	{ "keep-payments", required_argument, NULL, 'N' },
	DAEMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* One --channel: parsed, named (c1, c2, ... when it has no id) and added
 * to the engine; -1 to go on, else the exit status. */
static int add_channel_option(struct alice *a, const char *spec)
{
	if (a->eng.nchans == ALICE_MAX_CHANNELS) {
		return bad_usage("--channel", spec, "too many channels");
	}
	struct channel_config cc;
	char w[200];
	if (!channel_spec_parse(spec, &cc, w, sizeof(w))) {
		return bad_usage("--channel", spec, w);
	}
	if (!cc.id[0])
		snprintf(cc.id, sizeof(cc.id), "c%zu", a->eng.nchans + 1);
	if (pay_engine_find_chan(&a->eng, cc.id) != SIZE_MAX) {
		return bad_usage("--channel", spec, "duplicate channel id");
	}
	size_t idx = a->eng.nchans;
	enum ledger_err le = pay_engine_add_channel(&a->eng, &cc);
	if (le != LEDGER_OK) {
		return bad_usage("--channel", spec, ledger_err_name(le));
	}
	a->links[idx].base_out = cc.link;
	return -1;
}

/* What main keeps of the command line beside what goes into a. */
struct alice_opts {
	struct daemon_opts d;              /* the options both daemons take */
	const char *connect_to;
};

/* Alice's own option c: -1 to go on, else the exit status. */
static int alice_option(struct alice *a, struct alice_opts *o, int c, const char *arg)
{
	const char *why;
	uint64_t keep;
	switch (c) {
	case 'C': o->connect_to = arg; break;
	case 'n': return add_channel_option(a, arg);
	case 'S':
		if (!uint_parse(arg, &a->seed, &why))
			return bad_usage("--seed", arg, why);
		break;
	case 'B':
		if (!duration_parse(arg, &a->clk.block_interval_us, &why) ||
		    a->clk.block_interval_us == 0)
			return bad_usage("--block-interval", arg,
					 a->clk.block_interval_us ? why : "must be above zero");
		break;
	case 'T':
		if (!positive_parse(arg, &a->clk.time_scale, &why))
			return bad_usage("--time-scale", arg, why);
		break;
	case 'b':
		if (!alice_behaviour_parse(arg, &a->behaviour))
			return bad_usage("--behaviour", arg, "expected honest or bad-share");
		break;
	case 'N':
		if (!uint_parse(arg, &keep, &why) || keep > 100000000)
			return bad_usage("--keep-payments", arg,
					 "expected a count of payments, 0 (all) to 100000000");
		a->keep_payments = (size_t)keep;
		break;
	default:
		usage(stderr);
		return 2;
	}
	return -1;
}

struct alice_parse {
	struct alice *a;
	struct alice_opts *o;
};

static int own_option(void *ctx, int c, const char *arg)
{
	struct alice_parse *p = ctx;
	return alice_option(p->a, p->o, c, arg);
}

/* The options, into a and o; -1 to go on, else the exit status. */
static int alice_parse_options(int argc, char **argv, struct alice *a, struct alice_opts *o)
{
	struct alice_parse p = { a, o };
	int rc = daemon_parse(&o->d, argc, argv, alice_options, own_option, &p);
	if (rc >= 0)
		return rc;
	a->ready_file = o->d.ready;
	if (o->d.seeded) {
		/* the engine keeps a copy of the source: change it in place */
		a->eng.rand.bytes = seeded_secrets_bytes;
		a->eng.rand.ctx = &o->d.secrets;
		a->trand = seeded_secrets_bytes;
		a->trand_ctx = &o->d.transport;
	}
	return -1;
}

/* --connect (bob's node id, his address, resolved) and the channels:
 * -1 to go on, else the exit status. */
static int alice_target(struct alice *a, const char *connect_to)
{
	char host[256], addr[300], err[512];
	uint16_t port;
	if (!connect_to) {
		fprintf(stderr, "alice: --connect NODEID@HOST:PORT is required\n(try alice --help)\n");
		return 2;
	}
	if (!nodekey_parse_target(connect_to, a->bob_id, addr, sizeof(addr)))
		return bad_usage("--connect", connect_to,
				 "expected NODEID@HOST:PORT, NODEID being bob's node id (66 hex digits: "
				 "bob prints it when he starts and writes it in his --ready-file)");
	if (!parse_hostport(addr, host, sizeof(host), &port) || port == 0)
		return bad_usage("--connect", addr, "expected NODEID@HOST:PORT with a port above 0");
	if (!resolve(a, addr, host, port, err, sizeof(err))) {
		fprintf(stderr, "alice: %s\n", err);   /* as a failed connection: exit 1 */
		return 1;
	}
	if (a->eng.nchans == 0) {
		fprintf(stderr, "alice: at least one --channel is needed\n(try alice --help)\n");
		return 2;
	}
	return -1;
}

/* The node key: kept with the state (made if need be) unless --key says
 * where, else drawn; false after saying why. */
static bool alice_identity(struct alice *a, const char *key_path, const char *state_dir)
{
	char err[512];
	/* a node with a state is the same node on every start: its key is
	 * kept with the state unless --key says where */
	char state_key[4200];
	if (!key_path && state_dir) {
		if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "alice: --state %s: %s\n", state_dir, strerror(errno));
			return false;
		}
		snprintf(state_key, sizeof(state_key), "%s/alice.key", state_dir);
		key_path = state_key;
	}
	if (!key_path) {
		nodekey_draw(a->trand, a->trand_ctx, &a->key);
	} else if (!nodekey_load(key_path, a->trand, a->trand_ctx, &a->key, err,
				 sizeof(err))) {
		fprintf(stderr, "alice: --key %s\n", err);
		return false;
	}
	return true;
}

/* --state: opened, and loaded (*restarted) or written with the channels
 * of the command line; false after saying why. */
static bool alice_state(struct alice *a, const char *state_dir, bool *restarted)
{
	char err[512];
	if (state_dir) {
		if (!alice_store_open(a, state_dir, err, sizeof(err))) {
			fprintf(stderr, "alice: --state %s\n", err);
			return false;
		}
		char given[ALICE_MAX_CHANNELS][LEDGER_ID_MAX];
		size_t ngiven = a->eng.nchans;
		for (size_t i = 0; i < ngiven; i++)
			snprintf(given[i], sizeof(given[i]), "%s", a->eng.chans[i].ledger.id);
		if (alice_store_load(a)) {
			*restarted = true;
			/* the stored channels are the truth; say so if the command
			 * line asked for something else */
			bool same = ngiven == a->eng.nchans;
			for (size_t i = 0; same && i < ngiven; i++)
				same = strcmp(given[i], a->eng.chans[i].ledger.id) == 0;
			if (!same)
				log_warn("--state %s holds %zu channels that differ from the --channel options; "
					 "using the stored ones", state_dir, a->eng.nchans);
			log_info("restarted from %s: %zu channels, %zu payments", state_dir,
				 a->eng.nchans, a->eng.npays);
		} else {
			alice_store_meta(a);
			alice_store_channels(a);
		}
	}
	return true;
}

/* The clock: the run's virtual clock (--clock virtual:SOCKET) or the
 * wall's; false after saying why. */
static bool alice_clock(struct alice *a, const struct daemon_opts *d)
{
	if (!(a->tb = daemon_clock(d, a->base, &a->clk)))
		return false;
	if (d->vclock) {
		timebase_on_end(a->tb, alice_clock_ended, a);
		evlog_set_timebase(a->log, a->tb);
	}
	return true;
}

/* The engine works with what was loaded (the clock, seed and behaviour);
 * her links toward bob, the event base and the store's turn. */
static void alice_wire_up(struct alice *a)
{
	pay_engine_configure(&a->eng, &a->clk, a->seed, a->behaviour, a->chain != NULL);
	for (size_t i = 0; i < a->eng.nchans; i++)
		link_init(&a->links[i].out, &a->links[i].base_out, a->seed, a->eng.chans[i].ledger.id,
			  "to_bob");
	a->base = event_base_new();
	a->turn = turn_new(a->base, a->st);
	turn_set_writer(a->turn, alice_store_write, a);
}

int main(int argc, char **argv)
{
	struct alice *a = xcalloc(1, sizeof(*a));
	a->keep_payments = 10000;
	struct alice_bench *bench = NULL;
	int rc = 0;
	char err[512];
	struct pay_rand rand = { system_secrets_bytes, NULL };

	a->seed = 1;
	a->trand = system_secrets_bytes;
	a->clk.block_interval_us = 1000000;
	a->clk.time_scale = 1;
	pay_engine_init(&a->eng, &a->clk, a->seed, ALICE_HONEST, &rand);
	struct alice_opts o;
	memset(&o, 0, sizeof(o));
	daemon_opts_init(&o.d, "alice", usage);
	if ((rc = alice_parse_options(argc, argv, a, &o)) >= 0 ||
	    (rc = alice_target(a, o.connect_to)) >= 0)
		goto out;
	rc = 0;
	log_init("alice", o.d.verbose);
	if (sodium_init() < 0)
		fatal("libsodium failed to initialise");
	if (!alice_identity(a, o.d.key, o.d.state)) {
		rc = 2;
		goto out;
	}
	use_node_key(a);
	a->clk.epoch_unix_us = simclock_wall_now_us();
	bool restarted = false;
	if (!alice_state(a, o.d.state, &restarted)) {
		rc = 2;
		goto out;
	}
	a->eng.encode_records = a->st != NULL;   /* nothing writes them without --state */
	if (o.d.pcap && !(a->cap = capture_open(o.d.pcap, CAPTURE_ALICE, err, sizeof(err)))) {
		fprintf(stderr, "alice: --pcap %s\n", err);
		rc = 2;
		goto out;
	}
	struct chain_client me = { .node_priv = a->key.priv, .rand = a->eng.rand.bytes,
				   .rand_ctx = a->eng.rand.ctx,
				   .block_wall_ms = simclock_block_wall_ms(&a->clk) };
	if (o.d.chain && !(a->chain = chain_open(o.d.chain, &me, err, sizeof(err)))) {
		fprintf(stderr, "alice: --chain %s\n", err);
		rc = 2;
		goto out;
	}
	alice_wire_up(a);
	a->log = evlog_open(o.d.events, "alice", &a->clk, err, sizeof(err));
	if (!a->log) {
		fprintf(stderr, "alice: %s\n", err);
		rc = 2;
		goto out;
	}
	if (!alice_clock(a, &o.d)) {
		rc = 2;
		goto out;
	}
	if (restarted && (!pay_engine_restore(&a->eng, err, sizeof(err)) ||
			  !alice_store_check(a, err, sizeof(err)))) {
		fprintf(stderr, "alice: --state %s: %s; the file is damaged or was edited, "
			"nothing was written\n", o.d.state, err);
		rc = 2;
		goto out;
	}
	a->bench = bench = alice_bench_new(a);
	if (o.d.control) {
		a->rpc = rpc_listen(a->base, o.d.control, alice_methods, a, err, sizeof(err));
		if (!a->rpc) {
			fprintf(stderr, "alice: --control %s\n", err);
			rc = 2;
			goto out;
		}
		rpc_set_turn(a->rpc, a->turn);
	}
	a->sig = daemon_signals_new(a->base);
	alice_start_blocks(a);
	if (restarted) {
		struct evrec ev;
		life_alice_restart(&ev, a->eng.npays);
		evlog_emit_rec(a->log, &ev);
	}
	alice_connect(a, true);
	event_base_dispatch(a->base);
	rc = a->exit_code;
	if (evlog_violations(a->log))
		rc = 1;
out:
	alice_bench_free(bench);
	alice_sched_free(a->sched);    /* its timer goes before the clock */
	a->sched = NULL;
	alice_free(a);
	return rc;
}

/* ampsim chain --listen HOST:PORT --file FILE.db: serves the simulated
 * chain in FILE over TCP, so that bob and alice on two hosts, which share
 * no file, share one chain (--chain tcp:NODEID@HOST:PORT). chain_server.h says
 * what it accepts; docs/transport.md has the messages. */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "chain_server.h"
#include "cmds.h"
#include "daemon.h"
#include "log.h"
#include "nodekey.h"
#include "noise.h"
#include "secrets.h"
#include "units.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ampsim chain --listen HOST:PORT --file FILE.db [--key FILE] [--allow NODEID]...\n"
		"                    [--idle-timeout DURATION] [--ready-file FILE] [-v]\n"
		"Serves the simulated chain in FILE.db (made 0600 when missing, in a folder\n"
		"that exists) over TCP and BOLT #8: daemons on other hosts use it with\n"
		"--chain tcp:NODEID@HOST:PORT, NODEID being the chain's node id (printed).\n\n"
		"  --listen HOST:PORT   address to listen on (port 0: any free port)\n"
		"  --file FILE.db       the chain file\n"
		"  --key FILE           the chain's node key, made 0600 when missing\n"
		"                       (default: drawn for this run)\n"
		"  --allow NODEID       serve only this node (repeat: the nodes that hold\n"
		"                       channels); their connections are never closed as\n"
		"                       idle. Default: any node, each as a stranger\n"
		"  --idle-timeout DURATION  close a stranger's connection after this long\n"
		"                       without a request (default 60s)\n"
		"  --ready-file FILE    write {\"port\":N,\"pid\":P,\"node_id\":ID} to FILE once listening\n"
		"  -v, --verbose        more diagnostics on stderr\n"
		"  -h, --help           this help\n"
		"Stops on SIGINT or SIGTERM.\n");
}

struct chain_opts {
	const char *listen, *file, *ready, *key_path;
	uint8_t (*allow)[NOISE_PUBKEY_LEN];
	size_t nallow;
	unsigned idle_s;
	bool verbose;
};

/* One option: -1 to go on, else the exit status. */
static int chain_option(struct chain_opts *o, int c, const char *arg)
{
	uint64_t us;
	const char *why;
	switch (c) {
	case 'l': o->listen = arg; break;
	case 'f': o->file = arg; break;
	case 'r': o->ready = arg; break;
	case 'k': o->key_path = arg; break;
	case 'A':
		if (o->nallow == CHAIN_SERVER_MAX_ALLOW) {
			fprintf(stderr, "ampsim chain: --allow %s: at most %d nodes\n", arg,
				CHAIN_SERVER_MAX_ALLOW);
			return 2;
		}
		if (noise_node_id_parse(arg, o->allow[o->nallow]) != NOISE_OK) {
			fprintf(stderr, "ampsim chain: --allow '%s': expected a node id (66 hex "
				"digits, a compressed secp256k1 key)\n", arg);
			return 2;
		}
		o->nallow++;
		break;
	case 'i':
		if (!duration_parse(arg, &us, &why) || us < 1000000 || us > 86400ULL * 1000000) {
			fprintf(stderr, "ampsim chain: --idle-timeout '%s': expected a duration "
				"from 1s to 24h\n", arg);
			return 2;
		}
		o->idle_s = (unsigned)(us / 1000000);
		break;
	case 'v': o->verbose = true; break;
	case 'h': usage(stdout); return 0;
	default: usage(stderr); return 2;
	}
	return -1;
}

/* The command line into o: -1 to go on, else the exit status. */
static int chain_options(int argc, char **argv, struct chain_opts *o)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "file", required_argument, NULL, 'f' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "allow", required_argument, NULL, 'A' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1)
		if ((rc = chain_option(o, c, optarg)) >= 0)
			return rc;
	if (optind < argc) {
		fprintf(stderr, "ampsim chain: unexpected argument '%s'\n(try ampsim chain --help)\n",
			argv[optind]);
		return 2;
	}
	if (!o->listen || !o->file) {
		fprintf(stderr, "ampsim chain: --listen HOST:PORT and --file FILE.db are required\n"
			"(try ampsim chain --help)\n");
		return 2;
	}
	if (chain_spec_is_remote(o->file)) {
		fprintf(stderr, "ampsim chain: --file %s: a file is served, not another server\n",
			o->file);
		return 2;
	}
	return -1;
}

/* --ready-file: the port, the pid and the node id; false after saying why. */
static bool chain_ready(const char *ready, struct chain_server *srv, const struct nodekey *key)
{
	if (!ready)
		return true;
	json_t *r = json_pack("{s:i,s:i,s:s}", "port", (int)chain_server_port(srv), "pid",
			      (int)getpid(), "node_id", key->hex);
	bool ok = write_ready_file(ready, r);
	json_decref(r);
	if (!ok)
		fprintf(stderr, "ampsim chain: --ready-file %s: %s\n", ready, strerror(errno));
	return ok;
}

int cmd_chain(int argc, char **argv)
{
	static uint8_t allow[CHAIN_SERVER_MAX_ALLOW][NOISE_PUBKEY_LEN];
	struct chain_opts o = { .allow = allow, .idle_s = CHAIN_SERVER_IDLE_S };
	int rc = chain_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	log_init("ampsim chain", o.verbose);
	char err[512];
	struct nodekey key;
	if (!o.key_path)
		nodekey_draw(system_secrets_bytes, NULL, &key);
	else if (!nodekey_load(o.key_path, system_secrets_bytes, NULL, &key, err, sizeof(err))) {
		fprintf(stderr, "ampsim chain: --key %s\n", err);
		return 2;
	}
	struct chain *chain = chain_open(o.file, NULL, err, sizeof(err));
	if (!chain) {
		fprintf(stderr, "ampsim chain: --file %s\n", err);
		return 2;
	}
	rc = 0;
	struct event_base *base = event_base_new();
	struct daemon_signals *sig = NULL;
	struct chain_server_cfg cfg = { .key = &key, .allow = (const uint8_t (*)[NOISE_PUBKEY_LEN])allow,
					.nallow = o.nallow, .rand = system_secrets_bytes,
					.idle_s = o.idle_s };
	struct chain_server *srv = chain_server_new(base, o.listen, chain, &cfg, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "ampsim chain: --listen %s\n", err);
		rc = 2;
		goto done;
	}
	sig = daemon_signals_new(base);
	printf("chain %s served on %s (port %u), node id %s%s\n", o.file, o.listen,
	       chain_server_port(srv), key.hex,
	       o.nallow ? "" : " (no --allow: every node a stranger)");
	fflush(stdout);
	if (!chain_ready(o.ready, srv, &key)) {
		rc = 2;
		goto done;
	}
	event_base_dispatch(base);
	struct chain_server_stats st = chain_server_stats(srv);
	log_info("stopped: %llu requests answered, %llu refused, %llu nodes not allowed, "
		 "%llu connections closed to make room", (unsigned long long)st.requests,
		 (unsigned long long)st.refused, (unsigned long long)st.not_allowed,
		 (unsigned long long)st.evicted);
done:
	chain_server_free(srv);
	daemon_signals_free(sig);
	event_base_free(base);
	chain_close(chain);
	sodium_memzero(&key, sizeof(key));
	return rc;
}

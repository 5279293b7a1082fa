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

int cmd_chain(int argc, char **argv)
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
	const char *listen = NULL, *file = NULL, *ready = NULL, *key_path = NULL;
	static uint8_t allow[CHAIN_SERVER_MAX_ALLOW][NOISE_PUBKEY_LEN];
	size_t nallow = 0;
	unsigned idle_s = CHAIN_SERVER_IDLE_S;
	bool verbose = false;
	int c;
	uint64_t us;
	const char *why;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'f': file = optarg; break;
		case 'r': ready = optarg; break;
		case 'k': key_path = optarg; break;
		case 'A':
			if (nallow == CHAIN_SERVER_MAX_ALLOW) {
				fprintf(stderr, "ampsim chain: --allow %s: at most %d nodes\n", optarg,
					CHAIN_SERVER_MAX_ALLOW);
				return 2;
			}
			if (noise_node_id_parse(optarg, allow[nallow]) != NOISE_OK) {
				fprintf(stderr, "ampsim chain: --allow '%s': expected a node id (66 hex "
					"digits, a compressed secp256k1 key)\n", optarg);
				return 2;
			}
			nallow++;
			break;
		case 'i':
			if (!duration_parse(optarg, &us, &why) || us < 1000000 ||
			    us > 86400ULL * 1000000) {
				fprintf(stderr, "ampsim chain: --idle-timeout '%s': expected a duration "
					"from 1s to 24h\n", optarg);
				return 2;
			}
			idle_s = (unsigned)(us / 1000000);
			break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ampsim chain: unexpected argument '%s'\n(try ampsim chain --help)\n",
			argv[optind]);
		return 2;
	}
	if (!listen || !file) {
		fprintf(stderr, "ampsim chain: --listen HOST:PORT and --file FILE.db are required\n"
			"(try ampsim chain --help)\n");
		return 2;
	}
	if (chain_spec_is_remote(file)) {
		fprintf(stderr, "ampsim chain: --file %s: a file is served, not another server\n", file);
		return 2;
	}
	log_init("ampsim chain", verbose);
	char err[512];
	struct nodekey key;
	if (!key_path)
		nodekey_draw(system_secrets_bytes, NULL, &key);
	else if (!nodekey_load(key_path, system_secrets_bytes, NULL, &key, err, sizeof(err))) {
		fprintf(stderr, "ampsim chain: --key %s\n", err);
		return 2;
	}
	struct chain *chain = chain_open(file, NULL, err, sizeof(err));
	if (!chain) {
		fprintf(stderr, "ampsim chain: --file %s\n", err);
		return 2;
	}
	int rc = 0;
	struct event_base *base = event_base_new();
	struct daemon_signals *sig = NULL;
	struct chain_server_cfg cfg = { .key = &key, .allow = (const uint8_t (*)[NOISE_PUBKEY_LEN])allow,
					.nallow = nallow, .rand = system_secrets_bytes,
					.idle_s = idle_s };
	struct chain_server *srv = chain_server_new(base, listen, chain, &cfg, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "ampsim chain: --listen %s\n", err);
		rc = 2;
		goto done;
	}
	sig = daemon_signals_new(base);
	printf("chain %s served on %s (port %u), node id %s%s\n", file, listen,
	       chain_server_port(srv), key.hex,
	       nallow ? "" : " (no --allow: every node a stranger)");
	fflush(stdout);
	if (ready) {
		json_t *r = json_pack("{s:i,s:i,s:s}", "port", (int)chain_server_port(srv), "pid",
				      (int)getpid(), "node_id", key.hex);
		bool ok = write_ready_file(ready, r);
		json_decref(r);
		if (!ok) {
			fprintf(stderr, "ampsim chain: --ready-file %s: %s\n", ready, strerror(errno));
			rc = 2;
			goto done;
		}
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

/* ampsim chain --listen HOST:PORT --file FILE.db: serves the simulated
 * chain in FILE over TCP, so that bob and alice on two hosts, which share
 * no file, share one chain (--chain tcp:HOST:PORT). chain_server.h says
 * what it accepts; docs/transport.md has the messages. */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "chain_server.h"
#include "cmds.h"
#include "daemon.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ampsim chain --listen HOST:PORT --file FILE.db [--ready-file FILE] [-v]\n"
		"Serves the simulated chain in FILE.db (made 0600 when missing, in a folder\n"
		"that exists) over TCP: daemons on other hosts use it with --chain tcp:HOST:PORT.\n\n"
		"  --listen HOST:PORT   address to listen on (port 0: any free port)\n"
		"  --file FILE.db       the chain file\n"
		"  --ready-file FILE    write {\"port\":N,\"pid\":P} to FILE once listening\n"
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = NULL, *file = NULL, *ready = NULL;
	bool verbose = false;
	int c;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'f': file = optarg; break;
		case 'r': ready = optarg; break;
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
	struct chain *chain = chain_open(file, err, sizeof(err));
	if (!chain) {
		fprintf(stderr, "ampsim chain: --file %s\n", err);
		return 2;
	}
	int rc = 0;
	struct event_base *base = event_base_new();
	struct daemon_signals *sig = NULL;
	struct chain_server *srv = chain_server_new(base, listen, chain, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "ampsim chain: --listen %s\n", err);
		rc = 2;
		goto done;
	}
	sig = daemon_signals_new(base);
	printf("chain %s served on %s (port %u)\n", file, listen, chain_server_port(srv));
	fflush(stdout);
	if (ready) {
		json_t *r = json_pack("{s:i,s:i}", "port", (int)chain_server_port(srv), "pid",
				      (int)getpid());
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
	log_info("stopped: %llu requests answered, %llu refused", (unsigned long long)st.requests,
		 (unsigned long long)st.refused);
done:
	chain_server_free(srv);
	daemon_signals_free(sig);
	event_base_free(base);
	chain_close(chain);
	return rc;
}

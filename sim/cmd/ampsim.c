/* ampsim: plays scenarios with real alice and bob processes, drives
 * running daemons over their control sockets, shows the AMP arithmetic
 * step by step, and benchmarks. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ampsim COMMAND [ARGS]\n\n"
		"  run SCENARIO.ini [--seed N] [--time-scale X] [--events FILE] [--timeline FILE.html] [--json]\n"
		"                      start bob and alice, play the scenario, print the summary\n"
		"  pay --control SOCK (--amount A [--mode M] [--shards N] | --invoice TEXT)\n"
		"  invoice --control SOCK --amount A [--description TEXT]\n"
		"  channels --control SOCK          a daemon's view of its channels\n"
		"  payments --control SOCK          alice's payments and their parts\n"
		"  fault --control SOCK --channel C --action A [--direction D] [--lift]\n"
		"  call --control SOCK METHOD [JSON-PARAMS]   any control method\n"
		"  step|continue --control SOCK     drive a run started with --step: the next\n"
		"                                   instant, or run on to the end\n"
		"  amp split --root HEX --shares N   shares that XOR to the root\n"
		"  amp combine SHARE...              the root of some shares\n"
		"  amp derive --root HEX --share HEX --index N   a child preimage and hash\n"
		"  bench [--payments N] [--concurrency C] [--channels K] [--mode M] [--shards S] [--json]\n"
		"  key FILE                         a node key (made 0600 when missing): its node id\n"
		"  chain --listen HOST:PORT --file FILE.db [--ready-file F]\n"
		"                                   serve the simulated chain over TCP (--chain tcp:...)\n"
		"  check FILE [--faults N] [--depth D] [--counterexample OUT.ini]\n"
		"                                   every execution of a scenario, explored\n"
		"  swarm [--count N] [--seed S] [--out DIR] [--bob B]   random scenarios in-process,\n"
		"                                   every invariant checked after every event\n\n"
		"Every command takes --help. Exit status: 0 success, 1 an outcome or\n"
		"expectation failed, 2 bad usage or input.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	/* every subcommand answers --version (before any other check of its
	 * arguments), as every command should */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--version") == 0 || (i == 1 && strcmp(argv[i], "-V") == 0)) {
			printf("ampsim %s\n", AMPSIM_VERSION);
			return 0;
		}
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "ampsim: libsodium failed to initialise\n");
		return 1;
	}
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "amp") == 0)
		return cmd_amp(argc - 1, argv + 1);
	if (strcmp(cmd, "bench") == 0)
		return cmd_bench(argc - 1, argv + 1);
	if (strcmp(cmd, "key") == 0)
		return cmd_key(argc - 1, argv + 1);
	if (strcmp(cmd, "chain") == 0)
		return cmd_chain(argc - 1, argv + 1);
	if (strcmp(cmd, "swarm") == 0)
		return cmd_swarm(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "pay") == 0 || strcmp(cmd, "invoice") == 0 || strcmp(cmd, "channels") == 0 ||
	    strcmp(cmd, "fault") == 0 || strcmp(cmd, "payments") == 0 || strcmp(cmd, "call") == 0 ||
	    strcmp(cmd, "step") == 0 || strcmp(cmd, "continue") == 0)
		return cmd_rpc(argc - 1, argv + 1);
	fprintf(stderr, "ampsim: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return 2;
}

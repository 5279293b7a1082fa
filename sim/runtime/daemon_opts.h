/* The command-line options both daemons take, parsed in one place: where
 * their files go (--events, --control, --ready-file, --state, --chain,
 * --pcap, --key), their clock (--clock), their randomness
 * (--seeded-secrets), how durable their store is (--sync), --verbose,
 * --help and --version. Each daemon puts DAEMON_OPTIONS in its own
 * getopt_long table beside its own options and hands every option it
 * does not know to daemon_option. */
#ifndef AMPSIM_DAEMON_OPTS_H
#define AMPSIM_DAEMON_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "secrets.h"

/* The short names are the daemons': a daemon's own options use others. */
#define DAEMON_OPTIONS                                          \
	{ "events", required_argument, NULL, 'e' },             \
	{ "control", required_argument, NULL, 'c' },            \
	{ "ready-file", required_argument, NULL, 'r' },         \
	{ "state", required_argument, NULL, 's' },              \
	{ "chain", required_argument, NULL, 'K' },              \
	{ "pcap", required_argument, NULL, 'P' },               \
	{ "clock", required_argument, NULL, 'k' },              \
	{ "seeded-secrets", required_argument, NULL, 'D' },     \
	{ "sync", required_argument, NULL, 'Y' },               \
	{ "key", required_argument, NULL, 'y' },                \
	{ "verbose", no_argument, NULL, 'v' },                  \
	{ "help", no_argument, NULL, 'h' },                     \
	{ "version", no_argument, NULL, 'V' }

struct daemon_opts {
	const char *node;                  /* "alice" or "bob": messages, streams */
	void (*usage)(FILE *f);
	const char *events, *control, *ready, *state, *chain, *pcap, *key;
	const char *vclock;                /* --clock virtual:SOCKET's SOCKET; NULL: wall */
	bool verbose;
	bool seeded;                       /* --seeded-secrets given: */
	uint64_t seed;                     /* its SEED */
	uint32_t generation;               /* and GENERATION; */
	struct seeded_secrets secrets;     /* then the engine draws here, */
	struct seeded_secrets transport;   /* node and ephemeral keys here */
};

void daemon_opts_init(struct daemon_opts *o, const char *node, void (*usage)(FILE *f));

enum daemon_opt { DAEMON_OPT_NOT_MINE, DAEMON_OPT_TAKEN, DAEMON_OPT_EXIT };

/* Option c (with arg) as getopt_long returned it: taken, not one of
 * DAEMON_OPTIONS, or the end (*rc: 0 after --help or --version, 2 after a
 * bad value, said on stderr). An unknown option (c '?') ends with usage
 * and 2. */
enum daemon_opt daemon_option(struct daemon_opts *o, int c, const char *arg, int *rc);

/* The whole command line against table (the daemon's options and
 * DAEMON_OPTIONS): the shared ones here, every other through own (-1 to
 * go on, else the exit status); then no word may be left. -1 to go on,
 * else the exit status. */
int daemon_parse(struct daemon_opts *o, int argc, char **argv, const struct option *table,
		 int (*own)(void *ctx, int c, const char *arg), void *ctx);

/* The daemon's clock: the run's virtual clock (--clock virtual:SOCKET)
 * or the wall's, on base; NULL after saying why on stderr. */
struct event_base;
struct simclock;
struct timebase;
struct timebase *daemon_clock(const struct daemon_opts *o, struct event_base *base,
			      const struct simclock *clk);

/* "NODE: OPTION 'VALUE': WHY", then how to get help; returns 2. */
int daemon_bad_usage(const struct daemon_opts *o, const char *option, const char *value,
		     const char *why);

#endif

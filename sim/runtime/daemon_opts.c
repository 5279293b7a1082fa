#include "daemon_opts.h"

#include <stdio.h>
#include <string.h>

#include "store.h"
#include "timebase.h"

void daemon_opts_init(struct daemon_opts *o, const char *node, void (*usage)(FILE *f))
{
	memset(o, 0, sizeof(*o));
	o->node = node;
	o->usage = usage;
}

int daemon_bad_usage(const struct daemon_opts *o, const char *option, const char *value,
		     const char *why)
{
	fprintf(stderr, "%s: %s '%s': %s\n(try %s --help)\n", o->node, option, value, why,
		o->node);
	return 2;
}

/* --seeded-secrets SEED:GENERATION: the engine's secrets and the
 * transport's keys, each from a stream of its own named for the node. */
static bool seeded(struct daemon_opts *o, const char *arg)
{
	uint64_t seed;
	uint32_t gen;
	if (!seeded_secrets_parse(arg, &seed, &gen))
		return false;
	char name[32];
	seeded_secrets_init(&o->secrets, seed, gen, o->node);
	snprintf(name, sizeof(name), "%s transport", o->node);
	seeded_secrets_init(&o->transport, seed, gen, name);
	o->seeded = true;
	o->seed = seed;
	o->generation = gen;
	return true;
}

enum daemon_opt daemon_option(struct daemon_opts *o, int c, const char *arg, int *rc)
{
	switch (c) {
	case 'e': o->events = arg; break;
	case 'c': o->control = arg; break;
	case 'r': o->ready = arg; break;
	case 's': o->state = arg; break;
	case 'K': o->chain = arg; break;
	case 'P': o->pcap = arg; break;
	case 'y': o->key = arg; break;
	case 'v': o->verbose = true; break;
	case 'k':
		if (strncmp(arg, "virtual:", 8) == 0 && arg[8]) {
			o->vclock = arg + 8;
		} else if (strcmp(arg, "wall") != 0) {
			*rc = daemon_bad_usage(o, "--clock", arg, "expected wall or virtual:SOCKET");
			return DAEMON_OPT_EXIT;
		}
		break;
	case 'D':
		if (!seeded(o, arg)) {
			*rc = daemon_bad_usage(o, "--seeded-secrets", arg, "expected SEED:GENERATION");
			return DAEMON_OPT_EXIT;
		}
		break;
	case 'Y':
		if (!store_set_sync(arg)) {
			*rc = daemon_bad_usage(o, "--sync", arg, "expected full or normal");
			return DAEMON_OPT_EXIT;
		}
		break;
	case 'h':
		o->usage(stdout);
		*rc = 0;
		return DAEMON_OPT_EXIT;
	case 'V':
		printf("%s (ampsim) %s\n", o->node, AMPSIM_VERSION);
		*rc = 0;
		return DAEMON_OPT_EXIT;
	case '?':
		o->usage(stderr);
		*rc = 2;
		return DAEMON_OPT_EXIT;
	default:
		return DAEMON_OPT_NOT_MINE;
	}
	return DAEMON_OPT_TAKEN;
}

int daemon_parse(struct daemon_opts *o, int argc, char **argv, const struct option *table,
		 int (*own)(void *ctx, int c, const char *arg), void *ctx)
{
	int c, rc;
	while ((c = getopt_long(argc, argv, "vhV", table, NULL)) != -1) {
		switch (daemon_option(o, c, optarg, &rc)) {
		case DAEMON_OPT_TAKEN:
			break;
		case DAEMON_OPT_EXIT:
			return rc;
		case DAEMON_OPT_NOT_MINE:
			if ((rc = own(ctx, c, optarg)) >= 0)
				return rc;
			break;
		}
	}
	if (optind < argc)
		return daemon_bad_usage(o, "argument", argv[optind], "unexpected");
	return -1;
}

struct timebase *daemon_clock(const struct daemon_opts *o, struct event_base *base,
			      const struct simclock *clk)
{
	if (!o->vclock)
		return timebase_wall(base, clk);
	char vpath[256], err[512] = "";
	uint64_t vstart;
	struct timebase *tb = NULL;
	if (!timebase_parse_virtual(o->vclock, vpath, sizeof(vpath), &vstart) ||
	    !(tb = timebase_virtual(base, vpath, o->node, vstart, err, sizeof(err)))) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s: expected virtual:SOCKET[@START_US]", o->vclock);
		fprintf(stderr, "%s: --clock %s\n", o->node, err);
	}
	return tb;
}

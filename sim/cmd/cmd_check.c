/* ampsim check: every timed execution of a scenario's payments, explored
 * over the world (sim/world/explore.h); the properties of the state
 * checker over each; the shortest trace to a broken one, in words and as a
 * scenario file that ampsim run replays (docs/check.md). */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "check_trace.h"
#include "cmds.h"
#include "explore.h"
#include "log.h"
#include "units.h"

#define CHECK_PROPERTIES "conservation, expiry, agreement, atomicity, hash reuse, " \
			 "order invariance, engine invariant"

static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: ampsim check FILE [--faults N] [--no-crashes | --only-crashes] [--depth D]\n"
		"                          [--counterexample OUT.ini] [--max-states N]\n"
		"Explore every timed execution of the scenario's payments with both engines in\n"
		"this process: every order of deliveries and timers the links' delays and jitter\n"
		"allow, plus up to N faults (a message lost, a message duplicated, the connection\n"
		"cut, alice or bob crashed and restarted), each distinct state once, breadth\n"
		"first. Properties: " CHECK_PROPERTIES ".\n"
		"Exit 0: every property holds in every execution; 1: a violation, its shortest\n"
		"trace printed; 2: bad input, or too large to explore whole; 3: --depth cut the\n"
		"search and nothing broke up to it.\n\n"
		"  --faults N            faults per execution (default 0, at most 8)\n"
		"  --no-crashes          no crash among the faults: losses, duplicates, disconnects\n"
		"  --only-crashes        crashes the only faults\n"
		"  --depth D             explore executions up to D steps only\n"
		"  --counterexample OUT  write the violation as a scenario ampsim run replays\n"
		"  --max-states N        give up (exit 2) beyond N distinct states (default 4000000)\n");
}

struct check_opts {
	uint64_t faults, depth, max_states;
	bool no_crashes, only_crashes;
	const char *out, *file;
};

static int check_options(int argc, char **argv, struct check_opts *o)
{
	static const struct option opts[] = {
		{ "faults", required_argument, NULL, 'f' },
		{ "depth", required_argument, NULL, 'd' },
		{ "counterexample", required_argument, NULL, 'c' },
		{ "max-states", required_argument, NULL, 'm' },
		{ "no-crashes", no_argument, NULL, 'n' },
		{ "only-crashes", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *why;
	int c;
	*o = (struct check_opts){ 0, 0, 4000000, false, false, NULL, NULL };
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!uint_parse(optarg, &o->faults, &why) || o->faults > 8) {
				fprintf(stderr, "ampsim check: --faults '%s': expected 0 to 8\n", optarg);
				return 2;
			}
			break;
		case 'd':
			if (!uint_parse(optarg, &o->depth, &why) || o->depth == 0 || o->depth > 100000) {
				fprintf(stderr, "ampsim check: --depth '%s': expected 1 to 100000\n", optarg);
				return 2;
			}
			break;
		case 'm':
			if (!uint_parse(optarg, &o->max_states, &why) || o->max_states == 0 ||
			    o->max_states > 100000000) {
				fprintf(stderr, "ampsim check: --max-states '%s': expected 1 to 100000000\n",
					optarg);
				return 2;
			}
			break;
		case 'c': o->out = optarg; break;
		case 'n': o->no_crashes = true; break;
		case 'o': o->only_crashes = true; break;
		case 'h': check_usage(stdout); return 0;
		default: check_usage(stderr); return 2;
		}
	}
	if (o->no_crashes && o->only_crashes) {
		fprintf(stderr, "ampsim check: --no-crashes or --only-crashes, not both\n");
		return 2;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, optind == argc ? "ampsim check: which scenario?\n"
					       : "ampsim check: one scenario only\n");
		check_usage(stderr);
		return 2;
	}
	o->file = argv[optind];
	return -1;
}

static double since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static void counts(const struct explore_result *res, double secs)
{
	double cpu = cpu_seconds();
	printf("%llu distinct states, %llu execution%s, depth %u, %.2f s (%.2f s of CPU, %.0f "
	       "states a minute)\n", (unsigned long long)res->states,
	       (unsigned long long)res->executions, res->executions == 1 ? "" : "s", res->depth, secs, cpu,
	       cpu > 0 ? (double)res->states * 60.0 / cpu : 0.0);
}

/* The faults the search took, by kind (each taking counts, whether or not
 * it led to a new state). */
static void faults_tried(const struct check_opts *o, const struct explore_result *res)
{
	if (!o->faults)
		return;
	printf("faults tried: %llu losses, %llu duplicates, %llu disconnects, %llu crashes",
	       (unsigned long long)res->tried[XC_DROP], (unsigned long long)res->tried[XC_DUPLICATE],
	       (unsigned long long)res->tried[XC_DISCONNECT], (unsigned long long)res->tried[XC_CRASH]);
	printf("%s\n", o->no_crashes ? " (--no-crashes)" : o->only_crashes ? " (--only-crashes)" : "");
}

static int report(const struct check_opts *o, const struct scenario *s,
		  const struct explore_result *res, double secs)
{
	unsigned long long st = (unsigned long long)res->states;
	switch (res->verdict) {
	case EXPLORE_HOLDS:
		printf("every property holds in every execution: ");
		counts(res, secs);
		faults_tried(o, res);
		return 0;
	case EXPLORE_CUT:
		printf("no violation up to depth %llu (the search was cut there: nothing is said of "
		       "longer executions): ", (unsigned long long)o->depth);
		counts(res, secs);
		faults_tried(o, res);
		return 3;
	case EXPLORE_TOO_LARGE:
		fprintf(stderr, "%s: too large to explore whole: %s; stopped at %llu distinct states "
			"with no violation among them, %.2f s\n", s->path, res->what, st, secs);
		return 2;
	case EXPLORE_VIOLATION:
		break;
	}
	printf("VIOLATION of %s: %s\n", res->property, res->what);
	printf("found after ");
	counts(res, secs);
	printf("the shortest execution that breaks it, %zu steps:\n", res->npath);
	struct check_trace tr;
	check_trace_replay(s, res->path, res->npath, stdout, &tr);
	printf("then: %s\n", res->what);
	int rc = 1;
	if (o->out) {
		char err[512];
		if (!check_trace_write(s, &tr, res, o->out, err, sizeof(err))) {
			fprintf(stderr, "ampsim check: %s\n", err);
			rc = 2;
		} else {
			printf("counterexample: %s (ampsim run %s plays it, --in-process too)\n", o->out,
			       o->out);
		}
	}
	check_trace_free(&tr);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o;
	int rc = check_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	struct scenario *s = xcalloc(1, sizeof(*s));
	char err[1024];
	if (scenario_load(o.file, s, err, sizeof(err)) != 0 ||
	    !explore_supports(s, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		free(s);
		return 2;
	}
	printf("checking %s: %s; up to %llu fault%s\n", o.file, CHECK_PROPERTIES,
	       (unsigned long long)o.faults, o.faults == 1 ? "" : "s");
	fflush(stdout);
	/* a replay makes and frees a world of about a megabyte: kept on the
	 * heap, not mapped and unmapped each time (a page fault per page) */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	struct explore_config cfg = { .s = s, .faults = (unsigned)o.faults, .no_crashes = o.no_crashes,
				      .only_crashes = o.only_crashes, .depth = (unsigned)o.depth,
				      .max_states = o.max_states };
	struct explore_result res;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	explore_run(&cfg, &res);
	rc = report(&o, s, &res, since(&t0));
	explore_result_free(&res);
	free(s);
	return rc;
}

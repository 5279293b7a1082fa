/* ampsim swarm: random scenarios from one seed, each played in-process
 * (the world) with the state checker after every event and at the end
 * (sim/world/world_check.h). A scenario that breaks an invariant is made
 * smaller while it still does, written as a scenario file that ampsim run
 * replays (on the two daemons too), and the command exits 1. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "cmds.h"
#include "run.h"
#include "swarm_gen.h"
#include "units.h"
#include "vcoord.h"
#include "world.h"
#include "world_check.h"

static void swarm_usage(FILE *f)
{
	fprintf(f,
		"usage: ampsim swarm [--count N] [--seed S] [--out DIR] [--bob BEHAVIOUR] [--keep]\n"
		"Draw N random scenarios from seed S (channels, delays, jitter, loss, duplicates,\n"
		"faults, crashes and restarts, every mode, workloads, expiries, hold times,\n"
		"behaviours), play each with both engines in this process and check every\n"
		"invariant after every event:\n"
		"conservation, HTLCs ending by their expiry, agreement at the end, atomicity of\n"
		"mpp and amp, no hash reuse. A scenario that breaks one is made smaller and\n"
		"written to DIR as a scenario file; the exit status is then 1.\n\n"
		"  --count N        scenarios to play (default 1000)\n"
		"  --seed S         the swarm's seed (default 1)\n"
		"  --out DIR        where a failing scenario is written (default .)\n"
		"  --bob B          every scenario's Bob: honest, greedy, hold, late or eager\n"
		"                   (default: honest half the time, else greedy, hold or late:\n"
		"                   the ones the protocol withstands; eager breaks mpp)\n"
		"  --keep           write every scenario played to DIR (swarm-S-I.ini)\n"
		"  -v, --verbose    one line per scenario\n");
}

/* Play one scenario file; "" in broken when every invariant held, else
 * what broke. false when the file could not be read or played (a bug of
 * the generator, or of the run: said in broken). */
static bool play_one(const char *path, uint64_t *events, char *broken, size_t n)
{
	broken[0] = '\0';
	struct scenario *s = calloc(1, sizeof(*s));
	char err[1024];
	if (scenario_load(path, s, err, sizeof(err)) != 0) {
		snprintf(broken, n, "the scenario does not load: %s", err);
		free(s);
		return false;
	}
	struct run_plan plan;
	run_plan_build(s, true, &plan);
	struct world *w = world_new(s, NULL, err, sizeof(err));
	bool ok = w != NULL;
	if (!w) {
		snprintf(broken, n, "%s", err);
	} else {
		world_set_check(w, world_check_event, NULL);
		struct virtual_play vp = { plan.steps, plan.nsteps, plan.horizon, 0, false, -1,
					   plan.ahead, plan.nahead };
		bool final, quiet;
		char why[512];
		if (!world_play(w, &vp, path, &final, &quiet, why, sizeof(why))) {
			snprintf(broken, n, "the run could not be played: %s", why);
			ok = false;
		} else if (world_broken(w)) {
			snprintf(broken, n, "%s (t = %.3f s)", world_broken(w), (double)world_now(w) / 1e6);
		} else {
			world_check_end(w, quiet, broken, n);
		}
		*events += world_events(w);
		world_free(w);
	}
	run_plan_free(&plan);
	free(s);
	return ok;
}

static bool write_scenario(const struct sg_scenario *g, const char *path, const char *header)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	sg_write(g, f, header);
	return fclose(f) == 0;
}

/* The property's name: what comes before the first ':'. */
static size_t prop_len(const char *broken)
{
	return strcspn(broken, ":");
}

/* Smaller and smaller while the same property still breaks. */
static void shrink(struct sg_scenario *g, const char *tmp, char *broken, size_t n, uint64_t *events)
{
	bool smaller = true;
	while (smaller) {
		smaller = false;
		struct sg_scenario c;
		for (unsigned k = 0; sg_shrink(g, k, &c); k++) {
			char b2[1024];
			if (!write_scenario(&c, tmp, NULL))
				return;
			play_one(tmp, events, b2, sizeof(b2));
			if (b2[0] && prop_len(b2) == prop_len(broken) &&
			    strncmp(b2, broken, prop_len(broken)) == 0) {
				*g = c;
				snprintf(broken, n, "%s", b2);
				smaller = true;
				break;
			}
		}
	}
}

struct swarm_opts {
	uint64_t count, seed;
	const char *out;
	int bob;
	bool keep, verbose;
};

/* The options into o; -1 to go on, else the exit status. */
static int swarm_options(int argc, char **argv, struct swarm_opts *o)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' }, { "seed", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },   { "bob", required_argument, NULL, 'b' },
		{ "keep", no_argument, NULL, 'k' },         { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	const char *why;
	int c;
	*o = (struct swarm_opts){ 1000, 1, ".", -1, false, false };
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!uint_parse(optarg, &o->count, &why) || o->count == 0 ||
			    o->count > 100000000) {
				fprintf(stderr, "ampsim swarm: --count '%s': expected 1 to 100000000\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (!uint_parse(optarg, &o->seed, &why)) {
				fprintf(stderr, "ampsim swarm: --seed '%s': %s\n", optarg, why);
				return 2;
			}
			break;
		case 'o': o->out = optarg; break;
		case 'b': {
			enum bob_behaviour b;
			if (!bob_behaviour_parse(optarg, &b)) {
				fprintf(stderr, "ampsim swarm: --bob '%s': expected honest, greedy, hold, "
					"late or eager\n", optarg);
				return 2;
			}
			o->bob = (int)b;
			break;
		}
		case 'k': o->keep = true; break;
		case 'v': o->verbose = true; break;
		case 'h': swarm_usage(stdout); return 0;
		default: swarm_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ampsim swarm: unexpected argument '%s'\n", argv[optind]);
		swarm_usage(stderr);
		return 2;
	}
	return -1;
}

int cmd_swarm(int argc, char **argv)
{
	struct swarm_opts o;
	int rc = swarm_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	uint64_t count = o.count, seed = o.seed;
	const char *out = o.out;
	int bob = o.bob;
	bool keep = o.keep, verbose = o.verbose;
	struct stat st;
	if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode) || access(out, W_OK) != 0) {
		fprintf(stderr, "ampsim swarm: --out %s: not a folder this user can write to\n", out);
		return 2;
	}
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s/.swarm-%d.ini", out, (int)getpid());
	/* what an engine says on stderr (a greedy Bob's wrong preimages) is
	 * the run's business, not the swarm's: thousands of scenarios */
	log_quiet(true);
	uint64_t wall0 = simclock_wall_now_us(), events = 0;
	rc = 0;
	uint64_t i;
	for (i = 0; i < count && !vcoord_interrupted(); i++) {
		struct sg_scenario g;
		sg_draw(&g, seed, i, bob);
		char path[4300], broken[1024];
		snprintf(path, sizeof(path), "%s/swarm-%llu-%llu.ini", out, (unsigned long long)seed,
			 (unsigned long long)i);
		const char *file = keep ? path : tmp;
		char header[128];
		snprintf(header, sizeof(header), "ampsim swarm --seed %llu: scenario %llu",
			 (unsigned long long)seed, (unsigned long long)i);
		if (!write_scenario(&g, file, header)) {
			fprintf(stderr, "ampsim swarm: %s: %s\n", file, strerror(errno));
			rc = 2;
			break;
		}
		bool played = play_one(file, &events, broken, sizeof(broken));
		if (verbose)
			fprintf(stderr, "scenario %llu: %s\n", (unsigned long long)i,
				broken[0] ? broken : "every invariant held");
		if (!broken[0])
			continue;
		if (played)
			shrink(&g, tmp, broken, sizeof(broken), &events);
		char h2[1400];
		snprintf(h2, sizeof(h2), "ampsim swarm --seed %llu: scenario %llu, made smaller\n"
			 "broken: %s\nreplay: ampsim run --in-process %s (or without --in-process: the "
			 "two daemons)", (unsigned long long)seed, (unsigned long long)i, broken, path);
		write_scenario(&g, path, h2);
		printf("scenario %llu of seed %llu: %s\n  written (made smaller) to %s\n",
		       (unsigned long long)i, (unsigned long long)seed, broken, path);
		rc = 1;
		i++;
		break;
	}
	unlink(tmp);
	double wall = (double)(simclock_wall_now_us() - wall0) / 1e6;
	printf("%llu scenario%s played, %llu events checked, in %.2f s (%.0f scenarios per minute): "
	       "%s\n", (unsigned long long)i, i == 1 ? "" : "s", (unsigned long long)events, wall,
	       wall > 0 ? (double)i * 60.0 / wall : 0.0,
	       rc == 1 ? "an invariant broke" : vcoord_interrupted() ? "interrupted"
		       : "every invariant held");
	if (vcoord_interrupted() && rc == 0)
		rc = 1;
	return rc;
}

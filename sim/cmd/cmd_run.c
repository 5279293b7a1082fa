/* ampsim run: start bob and alice as two processes on loopback, play a
 * scenario's payments and faults at their simulated times through the
 * daemons' control sockets, wait until every payment has its outcome and
 * nothing is in flight, then print the summary and check [expect]. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmds.h"
#include "events.h"
#include "log.h"
#include "rpc.h"
#include "rpc_client.h"
#include "run.h"
#include "world.h"
#include "scenario.h"
#include "spawn.h"
#include "timeline.h"
#include "units.h"
#include "vcoord.h"


/* Ctrl-C (or SIGTERM): the run stops at the next chance, stops both
 * daemons, cleans up and says so, instead of dying with them running. */
static volatile sig_atomic_t run_interrupted;

/* A run this many blocks long is said to take a while before it starts. */
#define LONG_RUN_BLOCKS 100000ULL

static void on_interrupt(int sig)
{
	run_interrupted = sig;
	vcoord_interrupt();
}

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: ampsim run SCENARIO.ini [options]\n"
		"Start bob and alice on loopback, play the scenario, print each payment's\n"
		"outcome and each channel's final balances as both daemons report them.\n"
		"Exit 0 iff every [expect] holds and no invariant was violated.\n\n"
		"  --seed N            override [sim] seed\n"
		"  --time-scale X      override [sim] time_scale (10: ten times faster)\n"
		"  --events FILE       write both daemons' events, merged by time, to FILE\n"
		"  --timeline FILE     write an HTML timeline of the run to FILE\n"
		"  --pcap FILE         write every message on the wire to FILE (pcapng; see\n"
		"                      scripts/wireshark/ampsim-tshark)\n"
		"  --clock virtual|wall  virtual (default, or [sim] clock): a discrete-event clock;\n"
		"                      time jumps from one instant to the next and a run repeats\n"
		"                      exactly (docs/time.md). wall: time_scale x wall time\n"
		"  --speed X           virtual clock: at most X simulated seconds per wall second\n"
		"  --step              virtual clock: before each instant say what comes next and\n"
		"                      wait for Enter, or for ampsim step|continue --control SOCK\n"
		"  --control SOCK      with --step: where ampsim step|continue reach the run\n"
		"                      (default: the run directory's step.sock, printed)\n"
		"  --json              print the summary as one JSON object\n"
		"  --check             only read and check the file (exit 0, or 2 with FILE:LINE)\n"
		"  --keep              keep the run directory (daemon logs, sockets)\n"
		"  --in-process        both engines in this process (also [sim] processes = 1):\n"
		"                      the same run as the two daemons, much faster (docs/world.md)\n"
		"  --keep-payments N   with --in-process: forget alice's finished payments beyond\n"
		"                      the N most recent (default: all in runs of up to 100,000\n"
		"                      payments, 10,000 in longer ones)\n"
		"  --progress          with --in-process: a line on stderr at every 100,000th\n"
		"                      payment started, with the rate since the last\n"
		"  -v, --verbose       say what is happening on stderr\n");
}

/* Whether path can be written: its folder exists and takes files, and
 * path itself, if it exists, is a writable file. Nothing is created. */
static bool output_writable(const char *path, char *err, size_t n)
{
	struct stat st;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, n, "folder %s does not exist", dir);
		return false;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(err, n, "folder %s is not writable: %s", dir, strerror(errno));
		return false;
	}
	if (stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || access(path, W_OK) != 0)) {
		snprintf(err, n, "%s", S_ISDIR(st.st_mode) ? "is a folder" : "is not writable");
		return false;
	}
	return true;
}

/* --step: the run's step socket (ampsim step | continue), or Enter alone
 * when it cannot be made. */
static void open_step_socket(const struct run *r, struct virtual_play *vp, const char **path,
			     char *dflt, size_t n)
{
	char err[512];
	if (!*path) {
		snprintf(dflt, n, "%s/step.sock", r->dir);
		*path = dflt;
	}
	if ((vp->step_fd = step_listen(*path, err, sizeof(err))) < 0)
		fprintf(stderr, "ampsim run: --control %s (Enter still steps)\n", err);
	else
		fprintf(stderr, "ampsim run: stepping; from another terminal: "
			"ampsim step|continue --control %s\n", *path);
}

/* What the command line asked for, beside what struct run keeps. */
struct run_opts {
	bool in_process, progress, have_seed, have_scale, step, check_only;
	const char *events_out, *timeline_out, *step_path;
	double speed, scale;
	uint64_t seed;
	int clock_opt;                   /* -1: as the scenario says; 1 virtual; 0 wall */
};

static bool num_opt(bool ok, const char *opt, const char *why)
{
	if (!ok)
		fprintf(stderr, "ampsim run: %s '%s': %s\n", opt, optarg, why);
	return ok;
}

/* -1: go on; otherwise the exit status (--help, or a bad option). */
static int parse_run_options(int argc, char **argv, struct run *r, struct run_opts *o)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 'S' },
		{ "time-scale", required_argument, NULL, 'T' },
		{ "events", required_argument, NULL, 'e' },
		{ "pcap", required_argument, NULL, 'P' },
		{ "clock", required_argument, NULL, 'C' },
		{ "speed", required_argument, NULL, 'X' },
		{ "step", no_argument, NULL, 'Z' },
		{ "control", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'K' },
		{ "timeline", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "in-process", no_argument, NULL, 'I' },
		{ "keep-payments", required_argument, NULL, 'N' },
		{ "progress", no_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	const char *why = "";
	uint64_t k;
	int c;
	o->scale = 1;
	o->clock_opt = -1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			if (!num_opt(uint_parse(optarg, &o->seed, &why), "--seed", why))
				return 2;
			o->have_seed = true;
			break;
		case 'T':
			if (!num_opt(positive_parse(optarg, &o->scale, &why), "--time-scale", why))
				return 2;
			o->have_scale = true;
			break;
		case 'e': o->events_out = optarg; break;
		case 'P': r->pcap = optarg; break;
		case 'C':
			if (strcmp(optarg, "virtual") != 0 && strcmp(optarg, "wall") != 0) {
				fprintf(stderr, "ampsim run: --clock '%s': expected virtual or wall\n",
					optarg);
				return 2;
			}
			o->clock_opt = strcmp(optarg, "virtual") == 0;
			break;
		case 'X':
			if (!num_opt(positive_parse(optarg, &o->speed, &why), "--speed", why))
				return 2;
			break;
		case 'Z': o->step = true; break;
		case 'I': o->in_process = true; break;
		case 'G': o->progress = true; break;
		case 'N':
			if (!uint_parse(optarg, &k, &why) || k == 0 || k > 100000000) {
				fprintf(stderr, "ampsim run: --keep-payments '%s': expected 1 to "
					"100000000\n", optarg);
				return 2;
			}
			r->keep_payments = (size_t)k;
			break;
		case 'c': o->step_path = optarg; break;
		case 'K': o->check_only = true; break;
		case 't': o->timeline_out = optarg; break;
		case 'j': r->json = true; break;
		case 'k': r->keep = true; break;
		case 'v': r->verbose = true; break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "ampsim run: give exactly one scenario file\n");
		run_usage(stderr);
		return 2;
	}
	/* an output that cannot be written is found now, not after the run */
	const char *outs[3][2] = { { "--events", o->events_out }, { "--timeline", o->timeline_out },
				   { "--pcap", r->pcap } };
	char err[1024];
	for (int i = 0; i < 3; i++) {
		if (outs[i][1] && !output_writable(outs[i][1], err, sizeof(err))) {
			fprintf(stderr, "ampsim run: %s %s: %s\n", outs[i][0], outs[i][1], err);
			return 2;
		}
	}
	return -1;
}

/* The options that do not go together, once the scenario is read: a
 * message and false. Settles r->virt and o->in_process. */
static bool options_agree(struct run *r, struct run_opts *o)
{
	char why[512];
	r->virt = o->clock_opt >= 0 ? o->clock_opt == 1 : r->s->clock == SIM_CLOCK_VIRTUAL;
	if (o->step_path && !o->step) {
		fprintf(stderr, "ampsim run: --control is the socket of a stepped run: add --step\n");
		return false;
	}
	if (r->s->processes == 1)
		o->in_process = true;
	if (o->in_process && !r->virt) {
		fprintf(stderr, "ampsim run: --in-process plays the virtual clock as fast as "
			"it goes, without --clock wall: run without --in-process for it\n");
		return false;
	}
	if (o->in_process && !world_supports(r->s, why, sizeof(why))) {
		fprintf(stderr, "ampsim run: --in-process: %s\n", why);
		return false;
	}
	if ((r->keep_payments || o->progress) && !o->in_process) {
		fprintf(stderr, "ampsim run: %s is for --in-process runs\n",
			o->progress ? "--progress" : "--keep-payments");
		return false;
	}
	if (!r->virt && (o->speed > 0 || o->step)) {
		fprintf(stderr, "ampsim run: --speed and --step need the virtual clock\n");
		return false;
	}
	return true;
}

/* -1: go on; otherwise the exit status (a bad file, or --check's). */
static int load_scenario(const char *path, struct run *r, struct run_opts *o)
{
	char err[1024];
	r->s = calloc(1, sizeof(*r->s));
	if (scenario_load(path, r->s, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	for (size_t i = 0; i < r->s->nnotes; i++)
		fprintf(stderr, "ampsim run: warning: %s\n", r->s->notes[i]);
	if (o->check_only && (o->in_process || r->s->processes == 1) &&
	    !world_supports(r->s, err, sizeof(err))) {
		fprintf(stderr, "ampsim run: --in-process: %s\n", err);
		return 2;
	}
	if (o->check_only) {
		/* read and checked: nothing is run */
		printf("%s: ok\n", path);
		return 0;
	}
	if (o->have_seed)
		r->s->seed = o->seed;
	if (o->have_scale)
		r->s->time_scale = o->scale;
	return options_agree(r, o) ? -1 : 2;
}

/* The run directory and the paths in it; a message and false. */
static bool make_run_dir(struct run *r, bool in_process)
{
	char err[1024];
	if (!make_temp_dir("ampsim-run", r->dir, sizeof(r->dir))) {
		fprintf(stderr, "ampsim run: cannot make a run directory: %s\n", strerror(errno));
		return false;
	}
	snprintf(r->bob_sock, sizeof(r->bob_sock), "%s/bob.sock", r->dir);
	snprintf(r->alice_sock, sizeof(r->alice_sock), "%s/alice.sock", r->dir);
	snprintf(r->bob_events, sizeof(r->bob_events), "%s/bob.events", r->dir);
	snprintf(r->alice_events, sizeof(r->alice_events), "%s/alice.events", r->dir);
	snprintf(r->bob_log, sizeof(r->bob_log), "%s/bob.log", r->dir);
	snprintf(r->alice_log, sizeof(r->alice_log), "%s/alice.log", r->dir);
	snprintf(r->alice_state, sizeof(r->alice_state), "%s/alice-state", r->dir);
	snprintf(r->bob_state, sizeof(r->bob_state), "%s/bob-state", r->dir);
	snprintf(r->chain, sizeof(r->chain), "%s/chain.db", r->dir);
	/* a state costs every instant a commit: kept only when a crash needs
	 * it or the run's files are kept */
	r->durable = r->keep;
	for (size_t i = 0; i < r->s->nfaults; i++)
		if (r->s->faults[i].action == FAULT_CRASH || r->s->faults[i].action == FAULT_RESTART)
			r->durable = true;
	snprintf(r->clock_sock, sizeof(r->clock_sock), "%s/clock.sock", r->dir);
	if (r->virt && !in_process && !(r->vc = vcoord_listen(r->clock_sock, err, sizeof(err)))) {
		fprintf(stderr, "ampsim run: the virtual clock: %s\n", err);
		return false;
	}
	return true;
}

/* The wall clock: each step at its time, then quiet, bounded by the
 * horizon plus a grace period. false: a step failed. */
static bool play_wall(struct run *r, const struct run_plan *plan, bool *final, bool *settled_quiet)
{
	char err[1024];
	bool ok = true;
	struct simclock clk = { r->epoch_us, r->s->block_interval_us, r->s->time_scale };
	for (size_t i = 0; i < plan->nsteps; i++) {
		struct timeval tv = simclock_wall_span(&clk, plan->steps[i].at_us);
		sleep_until_unix_us(r->epoch_us + (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec);
		if (run_interrupted)
			break;
		if (!do_action(r, &plan->steps[i], err, sizeof(err))) {
			fprintf(stderr, "ampsim run: %s\n", err);
			ok = false;
			break;
		}
	}
	struct timeval hz = simclock_wall_span(&clk, plan->horizon);
	uint64_t deadline = r->epoch_us + (uint64_t)hz.tv_sec * 1000000 + (uint64_t)hz.tv_usec + 5000000;
	while (!(*settled_quiet = r->nqueued == 0 && r->alice && r->bob && quiet(r, final))) {
		if (simclock_wall_now_us() > deadline || run_interrupted)
			break;
		flush_queued(r);
		int st;
		if (r->alice && waitpid(r->alice, &st, WNOHANG) == r->alice) {
			r->alice = 0;
			break;
		}
		if (r->bob && waitpid(r->bob, &st, WNOHANG) == r->bob) {
			r->bob = 0;
			break;
		}
		/* control-socket polling at 5 ms wall: cheap, and bounded above */
		struct timespec ts = { 0, 5 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return ok;
}

/* The virtual clock, on the daemons or in this process; what the run
 * ended with goes to end. false: the clock or the world failed. */
static bool play_stepped(struct run *r, struct run_opts *o, const struct run_plan *plan,
			 struct run_end *end, struct ev_tally *tally, struct pay_digests *digests,
			 char *clockwhy, size_t n)
{
	char step_default[160];
	bool ok;
	struct virtual_play vp = { plan->steps, plan->nsteps, plan->horizon, o->speed, o->step, -1,
				   plan->ahead, plan->nahead, o->progress };
	if (o->step)
		open_step_socket(r, &vp, &o->step_path, step_default, sizeof(step_default));
	if (o->in_process) {
		struct inproc_result res;
		memset(&res, 0, sizeof(res));
		res.write_events = o->events_out || o->timeline_out || r->keep;
		res.tally = tally;
		res.digests = digests;
		ok = play_inprocess(r, &vp, &res, clockwhy, n);
		end->final = res.final;
		end->settled_quiet = res.settled_quiet;
		end->pays = res.pays;
		end->ca = res.ca;
		end->cb = res.cb;
		end->ia = res.ia;
		end->ib = res.ib;
	} else {
		vp.progress = false;
		ok = play_virtual(r, &vp, &end->final, &end->settled_quiet, clockwhy, n);
	}
	if (vp.step_fd >= 0) {
		close(vp.step_fd);
		unlink(o->step_path);
	}
	return ok;
}

/* --events and --timeline from the run's files; rc, or 2 when one could
 * not be written. */
static int write_outputs(struct run *r, const struct run_opts *o, int rc)
{
	if (!o->events_out && !o->timeline_out)
		return rc;
	/* every event, in time order: what the files hold */
	struct merged_events m;
	merge_events(r, &m);
	if (o->events_out && !write_events(&m, o->events_out)) {
		fprintf(stderr, "ampsim run: --events %s: %s\n", o->events_out, strerror(errno));
		rc = rc ? rc : 2;
	}
	if (o->timeline_out &&
	    !timeline_write(m.events, r->s->path, r->s->seed, r->s->time_scale, o->timeline_out)) {
		fprintf(stderr, "ampsim run: --timeline %s: %s\n", o->timeline_out, strerror(errno));
		rc = rc ? rc : 2;
	}
	merged_events_free(&m);
	return rc;
}

static void warn_long_run(const struct run *r, uint64_t horizon)
{
	if (r->virt && horizon / r->s->block_interval_us > LONG_RUN_BLOCKS)
		/* every block is an instant the clock plays, with or without payments */
		fprintf(stderr, "ampsim run: note: this run spans up to %.0f simulated seconds, "
			"%llu blocks of block_interval; each block is an instant to play, so it "
			"takes a while (Ctrl-C stops it with a report). A larger block_interval "
			"or a faster arrival rate shortens it.\n", (double)horizon / 1e6,
			(unsigned long long)(horizon / r->s->block_interval_us));
}

int cmd_run(int argc, char **argv)
{
	struct run r;
	struct run_opts o;
	memset(&r, 0, sizeof(r));
	memset(&o, 0, sizeof(o));
	int rc = parse_run_options(argc, argv, &r, &o);
	if (rc >= 0)
		return rc;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;   /* no SA_RESTART: waits return early */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((rc = load_scenario(argv[optind], &r, &o)) >= 0) {
		free(r.s);
		return rc;
	}
	if (!make_run_dir(&r, o.in_process)) {
		free(r.s);
		return 1;
	}
	rc = 0;
	char err[1024], stopwhy[512] = "", clockwhy[512] = "";
	struct run_end end;
	memset(&end, 0, sizeof(end));
	struct ev_tally tally;
	tally_init(&tally);
	struct pay_digests digests = { NULL, 0, 0 };
	struct run_plan plan;
	memset(&plan, 0, sizeof(plan));
	uint64_t play_wall0 = simclock_wall_now_us();
	if (!o.in_process && !start_daemons(&r, err, sizeof(err))) {
		fprintf(stderr, "ampsim run: %s\n", err);
		rc = 1;
		r.keep = true;
	} else {
		play_wall0 = simclock_wall_now_us();
		run_plan_build(r.s, r.virt, &plan);
		warn_long_run(&r, plan.horizon);
		bool ok = r.virt ? play_stepped(&r, &o, &plan, &end, &tally, &digests, clockwhy,
						sizeof(clockwhy))
				 : play_wall(&r, &plan, &end.final, &end.settled_quiet);
		if (!ok)
			rc = 1;
		free(plan.steps);
		free(plan.ahead);
		if (!o.in_process) {
			end.pays = call(r.alice_sock, "listpayments", NULL, err, sizeof(err));
			end.ca = call(r.alice_sock, "channels", NULL, err, sizeof(err));
			end.cb = call(r.bob_sock, "channels", NULL, err, sizeof(err));
			end.ia = call(r.alice_sock, "getinfo", NULL, err, sizeof(err));
			end.ib = call(r.bob_sock, "getinfo", NULL, err, sizeof(err));
		}
	}

	if (stop_both(&r, stopwhy, sizeof(stopwhy)))
		rc = 1;
	if (o.in_process)
		inproc_exits(&r, end.ia, end.ib, stopwhy, sizeof(stopwhy));
	vcoord_free(r.vc);

	if (!o.in_process) {
		tally_files(&r, &tally);
		digests_from_pays(&digests, end.pays, &tally);
	}
	end.jw = workload_summary(r.s, &digests);
	end.metrics = run_metrics(&digests, &tally,
				  (double)(simclock_wall_now_us() - play_wall0) / 1e6);
	tally_free(&tally);
	digests_free(&digests);
	rc = write_outputs(&r, &o, rc);

	end.stopwhy = stopwhy;
	end.clockwhy = clockwhy;
	end.interrupted = run_interrupted;
	rc = run_summarize(&r, &end, rc);
	json_decref(end.pays);
	json_decref(end.ca);
	json_decref(end.cb);
	json_decref(end.ia);
	json_decref(end.ib);
	if (r.keep)
		fprintf(stderr, "ampsim run: run directory kept: %s\n", r.dir);
	else
		remove_dir(r.dir);
	free(plan.wpays);
	free(r.queued);
	free(r.s);
	return rc;
}

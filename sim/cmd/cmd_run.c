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
#include "log.h"
#include "rpc.h"
#include "rpc_client.h"
#include "scenario.h"
#include "spawn.h"
#include "timeline.h"
#include "units.h"

#define READY_TIMEOUT_MS 10000
#define RPC_TIMEOUT_MS 5000

struct action {
	uint64_t at_us;
	int order;                 /* faults before payments at the same time */
	const struct payment_config *pay;
	const struct fault_config *fault;
	bool lift;
};

static int action_cmp(const void *x, const void *y)
{
	const struct action *a = x, *b = y;
	if (a->at_us != b->at_us)
		return a->at_us < b->at_us ? -1 : 1;
	return a->order - b->order;
}

struct run {
	struct scenario *s;
	char dir[64];
	char bob_sock[128], alice_sock[128];
	char bob_events[128], alice_events[128];
	char bob_log[128], alice_log[128];
	pid_t bob, alice;
	int bob_port;
	char bob_exe[4096], alice_exe[4096];
	char bob_state[128], alice_state[128], chain[128];
	uint64_t epoch_us;
	/* channel faults in force, re-applied to a daemon that restarts */
	const struct fault_config *active[SCN_MAX_FAULTS];
	size_t nactive;
	/* payments due while alice was down, sent when she is back */
	const struct payment_config *queued[SCN_MAX_PAYMENTS];
	size_t nqueued;
	bool json, keep, verbose;
};

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
		"  --json              print the summary as one JSON object\n"
		"  --keep              keep the run directory (daemon logs, sockets)\n"
		"  -v, --verbose       say what is happening on stderr\n");
}

static void say(const struct run *r, const char *fmt, const char *arg)
{
	if (r->verbose) {
		fprintf(stderr, "ampsim: ");
		fprintf(stderr, fmt, arg);
		fputc('\n', stderr);
	}
}

static json_t *call(const char *sock, const char *method, json_t *params, char *err, size_t n)
{
	json_t *r = rpc_call(sock, method, params, RPC_TIMEOUT_MS, err, n);
	json_decref(params);
	return r;
}

static void fmt_msat(char *buf, size_t n, uint64_t msat)
{
	char tmp[AMOUNT_FMT_LEN];
	snprintf(buf, n, "%s", amount_fmt(amount_msat(msat), tmp));
}

static void chan_spec(const struct channel_config *c, char *buf, size_t n)
{
	const char *dist = c->link.jitter_dist == JITTER_NORMAL ? "normal"
			 : c->link.jitter_dist == JITTER_PARETO ? "pareto" : "uniform";
	snprintf(buf, n,
		 "id=%s,capacity=%llumsat,alice=%llumsat,delay=%lluus,jitter=%lluus,"
		 "jitter_dist=%s,drop=%.17g,duplicate=%.17g,max_htlcs=%u,htlc_minimum=%llumsat",
		 c->id, (unsigned long long)c->capacity.millisatoshis,
		 (unsigned long long)c->alice.millisatoshis, (unsigned long long)c->link.delay_us,
		 (unsigned long long)c->link.jitter_us, dist, c->link.drop, c->link.duplicate,
		 c->max_htlcs, (unsigned long long)c->htlc_minimum.millisatoshis);
}

static bool start_bob(struct run *r, char *err, size_t errlen)
{
	char ready[160], hold[32], delta[16], listen[64], e2[256];
	snprintf(ready, sizeof(ready), "%s/bob.ready", r->dir);
	unlink(ready);
	snprintf(hold, sizeof(hold), "%lluus", (unsigned long long)r->s->bob.hold_us);
	snprintf(delta, sizeof(delta), "%u", r->s->bob.final_cltv_delta);
	/* a restarted bob listens where alice knows to find him */
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", r->bob_port);
	char *bargv[] = { r->bob_exe, "--listen", listen, "--events", r->bob_events,
			  "--control", r->bob_sock, "--ready-file", ready, "--hold", hold,
			  "--final-cltv-delta", delta, "--behaviour",
			  (char *)bob_behaviour_name(r->s->bob.behaviour), "--state", r->bob_state,
			  "--chain", r->chain, NULL };
	r->bob = spawn_daemon(bargv, r->bob_log);
	if (r->bob < 0) {
		snprintf(err, errlen, "cannot start bob: %s", strerror(errno));
		return false;
	}
	json_t *br = wait_ready(ready, r->bob, READY_TIMEOUT_MS, e2, sizeof(e2));
	if (!br) {
		snprintf(err, errlen, "bob %s (see %s)", e2, r->bob_log);
		r->bob = 0;
		return false;
	}
	r->bob_port = (int)json_integer_value(json_object_get(br, "port"));
	json_decref(br);
	return true;
}

/* first: wait for alice's ready file (channels open); after a restart:
 * for her control socket to answer (bob may be down, she reconnects) */
static bool start_alice(struct run *r, bool first, char *err, size_t errlen)
{
	char ready[160], connect[64], seed[32], interval[32], scale[32], e2[256];
	snprintf(connect, sizeof(connect), "127.0.0.1:%d", r->bob_port);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)r->s->seed);
	snprintf(interval, sizeof(interval), "%lluus", (unsigned long long)r->s->block_interval_us);
	snprintf(scale, sizeof(scale), "%.17g", r->s->time_scale);
	snprintf(ready, sizeof(ready), "%s/alice.ready", r->dir);
	unlink(ready);
	size_t n = 0, max = 28 + 2 * r->s->nchannels;
	char **aargv = calloc(max, sizeof(char *));
	char (*specs)[512] = calloc(r->s->nchannels ? r->s->nchannels : 1, 512);
	aargv[n++] = r->alice_exe;
	aargv[n++] = "--connect";
	aargv[n++] = connect;
	for (size_t i = 0; i < r->s->nchannels; i++) {
		chan_spec(&r->s->channels[i], specs[i], 512);
		aargv[n++] = "--channel";
		aargv[n++] = specs[i];
	}
	char *rest[] = { "--events", r->alice_events, "--control", r->alice_sock, "--ready-file",
			 ready, "--seed", seed, "--block-interval", interval, "--time-scale", scale,
			 "--behaviour", (char *)alice_behaviour_name(r->s->alice.behaviour),
			 "--state", r->alice_state, "--chain", r->chain };
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++)
		aargv[n++] = rest[i];
	aargv[n] = NULL;
	r->alice = spawn_daemon(aargv, r->alice_log);
	free(aargv);
	free(specs);
	if (r->alice < 0) {
		snprintf(err, errlen, "cannot start alice: %s", strerror(errno));
		r->alice = 0;
		return false;
	}
	if (!first) {
		long long deadline = mono_now_ms() + READY_TIMEOUT_MS;
		for (;;) {
			json_t *info = rpc_call(r->alice_sock, "getinfo", NULL, 500, e2, sizeof(e2));
			if (info) {
				json_decref(info);
				return true;
			}
			int st;
			if (waitpid(r->alice, &st, WNOHANG) == r->alice || mono_now_ms() > deadline) {
				snprintf(err, errlen, "restarted alice did not come up (see %s)", r->alice_log);
				r->alice = 0;
				return false;
			}
			struct timespec ts = { 0, 2 * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	json_t *ar = wait_ready(ready, r->alice, READY_TIMEOUT_MS, e2, sizeof(e2));
	if (!ar) {
		snprintf(err, errlen, "alice %s (see %s)", e2, r->alice_log);
		r->alice = 0;
		return false;
	}
	r->epoch_us = (uint64_t)json_integer_value(json_object_get(ar, "epoch_unix_us"));
	json_decref(ar);
	return true;
}

static bool start_daemons(struct run *r, char *err, size_t errlen)
{
	if (!find_daemon("bob", r->bob_exe, sizeof(r->bob_exe)) ||
	    !find_daemon("alice", r->alice_exe, sizeof(r->alice_exe))) {
		snprintf(err, errlen, "cannot find the alice and bob executables "
			 "(next to ampsim, in PATH, or $AMPSIM_ALICE/$AMPSIM_BOB)");
		return false;
	}
	return start_bob(r, err, errlen) && start_alice(r, true, err, errlen);
}

/* Send a payment to alice; false (kept queued) if she cannot take it now. */
static bool send_payment(struct run *r, const struct payment_config *p, char *err, size_t errlen)
{
	char amount[40], expiry[24], timeout[32];
	snprintf(amount, sizeof(amount), "%llumsat", (unsigned long long)p->amount.millisatoshis);
	snprintf(expiry, sizeof(expiry), "%ublocks", p->expiry_blocks);
	snprintf(timeout, sizeof(timeout), "%lluus", (unsigned long long)p->timeout_us);
	json_t *params = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s}", "id", p->id, "amount", amount,
				   "mode", pay_mode_name(p->mode), "shards", (int)p->shards,
				   "expiry", expiry, "timeout", timeout);
	json_t *res = call(r->alice_sock, "pay", params, err, errlen);
	json_decref(res);
	return res != NULL;
}

static void flush_queued(struct run *r)
{
	char e[512];
	size_t k = 0;
	for (size_t i = 0; i < r->nqueued; i++)
		if (!r->alice || !send_payment(r, r->queued[i], e, sizeof(e)))
			r->queued[k++] = r->queued[i];
	r->nqueued = k;
}

static bool fault_to(struct run *r, int who, const struct fault_config *f, bool lift,
		     char *err, size_t errlen)
{
	const char *sock = who == 0 ? r->alice_sock : r->bob_sock;
	if ((who == 0 ? r->alice : r->bob) == 0)
		return true;    /* down: it gets the fault when it restarts */
	char e[512];
	json_t *params = json_pack("{s:s,s:s,s:s,s:b}", "channel", f->channel,
				   "direction", fault_dir_name(f->dir), "action", f->text, "lift", lift);
	json_t *res = call(sock, "fault", params, e, sizeof(e));
	if (!res) {
		snprintf(err, errlen, "%s:%d: fault %s: %s refused it: %s", r->s->path, f->line,
			 f->id, who == 0 ? "alice" : "bob", e);
		return false;
	}
	json_decref(res);
	return true;
}

static void reapply_faults(struct run *r, int who)
{
	char e[512];
	for (size_t i = 0; i < r->nactive; i++)
		if (r->active[i]->action != FAULT_DROP_MSG)   /* a one-shot rule is not re-armed */
			fault_to(r, who, r->active[i], false, e, sizeof(e));
}

/* A killed daemon cannot say so: the run writes the event in its name. */
static void log_crash(const struct run *r, const char *node)
{
	struct simclock clk = { r->epoch_us, r->s->block_interval_us, r->s->time_scale };
	uint64_t now = simclock_wall_now_us();
	json_t *ev = json_object();
	json_object_set_new(ev, "t_ms", json_real((double)simclock_sim_at(&clk, now) / 1000.0));
	json_object_set_new(ev, "height", json_integer(simclock_height_at(&clk, now)));
	json_object_set_new(ev, "node", json_string(node));
	json_object_set_new(ev, "event", json_string("crash"));
	json_object_set_new(ev, "how", json_string("SIGKILL from ampsim run"));
	char *line = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(ev);
	FILE *f = fopen(strcmp(node, "alice") == 0 ? r->alice_events : r->bob_events, "a");
	if (f && line)
		fprintf(f, "%s\n", line);
	if (f)
		fclose(f);
	free(line);
}

static void kill9(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

static bool do_action(struct run *r, const struct action *a, char *err, size_t errlen)
{
	char e[512];
	if (a->pay) {
		if (!r->alice || !send_payment(r, a->pay, e, sizeof(e))) {
			if (r->alice && !strstr(e, "not connected")) {
				snprintf(err, errlen, "%s:%d: payment %s: alice refused it: %s", r->s->path,
					 a->pay->line, a->pay->id, e);
				return false;
			}
			r->queued[r->nqueued++] = a->pay;
		}
		return true;
	}
	const struct fault_config *f = a->fault;
	if (fault_action_on_links(f->action)) {
		if (!a->lift && r->nactive < SCN_MAX_FAULTS)
			r->active[r->nactive++] = f;
		if (a->lift) {
			for (size_t i = 0; i < r->nactive; i++)
				if (r->active[i] == f)
					r->active[i] = r->active[--r->nactive];
		}
		return fault_to(r, 0, f, a->lift, err, errlen) && fault_to(r, 1, f, a->lift, err, errlen);
	}
	switch (f->action) {
	case FAULT_DISCONNECT:
		if (r->alice) {
			json_t *res = call(r->alice_sock, "disconnect", NULL, e, sizeof(e));
			json_decref(res);
		}
		return true;
	case FAULT_CRASH:
		/* kill -9: no chance to write anything more */
		if ((f->target == NODE_ALICE ? r->alice : r->bob) > 0)
			log_crash(r, f->target == NODE_ALICE ? "alice" : "bob");
		kill9(f->target == NODE_ALICE ? &r->alice : &r->bob);
		say(r, "%s crashed (kill -9)", f->target == NODE_ALICE ? "alice" : "bob");
		return true;
	case FAULT_RESTART:
		if (f->target == NODE_ALICE) {
			kill9(&r->alice);
			if (!start_alice(r, false, err, errlen))
				return false;
			reapply_faults(r, 0);
			flush_queued(r);
		} else {
			kill9(&r->bob);
			if (!start_bob(r, err, errlen))
				return false;
			reapply_faults(r, 1);
		}
		return true;
	case FAULT_DOWN: case FAULT_UP: case FAULT_DROP: case FAULT_LOSS_GE: case FAULT_DELAY:
	case FAULT_JITTER: case FAULT_DUPLICATE: case FAULT_DROP_MSG: case FAULT_PARTITION:
		break;
	}
	return true;
}

/* Quiet: every payment has an outcome, nothing is in flight or on the
 * wire, and both daemons report the same channels. */
static bool quiet(struct run *r, bool *all_final)
{
	char e[512];
	*all_final = false;
	json_t *pays = call(r->alice_sock, "listpayments", json_pack("{s:b}", "summary", 1), e, sizeof(e));
	if (!pays)
		return false;
	const char *k;
	json_t *v;
	bool final = true;
	json_object_foreach(pays, k, v) {
		if (strcmp(json_string_value(v), "pending") == 0)
			final = false;
	}
	json_decref(pays);
	*all_final = final;
	if (!final)
		return false;
	json_t *ia = call(r->alice_sock, "getinfo", NULL, e, sizeof(e));
	json_t *ib = call(r->bob_sock, "getinfo", NULL, e, sizeof(e));
	json_t *ca = call(r->alice_sock, "channels", NULL, e, sizeof(e));
	json_t *cb = call(r->bob_sock, "channels", NULL, e, sizeof(e));
	bool ok = ia && ib && ca && cb &&
		  json_integer_value(json_object_get(ia, "messages_pending")) == 0 &&
		  json_integer_value(json_object_get(ib, "messages_pending")) == 0;
	if (ok) {
		json_object_foreach(ca, k, v) {
			json_t *w = json_object_get(cb, k);
			if (json_integer_value(json_object_get(v, "inflight_msat")) != 0 || !w ||
			    json_integer_value(json_object_get(w, "inflight_msat")) != 0 ||
			    json_integer_value(json_object_get(v, "alice_msat")) !=
				    json_integer_value(json_object_get(w, "alice_msat")))
				ok = false;
		}
	}
	json_decref(ia);
	json_decref(ib);
	json_decref(ca);
	json_decref(cb);
	return ok;
}

static json_t *view(json_t *c)
{
	json_t *v = json_object();
	const char *keys[] = { "alice_msat", "bob_msat", "inflight_msat" };
	for (int i = 0; i < 3; i++)
		json_object_set(v, keys[i], c ? json_object_get(c, keys[i]) : json_null());
	return v;
}

static bool same_view(json_t *a, json_t *b)
{
	return json_equal(a, b);
}

static int event_cmp(const void *x, const void *y)
{
	json_t *const *a = x, *const *b = y;
	double ta = json_number_value(json_object_get(*a, "t_ms"));
	double tb = json_number_value(json_object_get(*b, "t_ms"));
	if (ta != tb)
		return ta < tb ? -1 : 1;
	json_int_t sa = json_integer_value(json_object_get(*a, "_seq"));
	json_int_t sb = json_integer_value(json_object_get(*b, "_seq"));
	return sa < sb ? -1 : sa > sb;
}

static json_t *merge_events(const struct run *r)
{
	json_t *all = json_array();
	const char *files[2] = { r->bob_events, r->alice_events };
	json_int_t seq = 0;
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");
		if (!f)
			continue;
		char *line = NULL;
		size_t cap = 0;
		while (getline(&line, &cap, f) > 0) {
			json_t *ev = json_loads(line, 0, NULL);
			if (ev) {
				json_object_set_new(ev, "_seq", json_integer(seq++));
				json_array_append_new(all, ev);
			}
		}
		free(line);
		fclose(f);
	}
	size_t n = json_array_size(all);
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(all, i));
	qsort(v, n, sizeof(*v), event_cmp);
	json_t *sorted = json_array();
	for (size_t i = 0; i < n; i++) {
		json_object_del(v[i], "_seq");
		json_array_append_new(sorted, v[i]);
	}
	free(v);
	json_decref(all);
	return sorted;
}

static bool write_events(json_t *events, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fprintf(f, "%s\n", s);
		free(s);
	}
	return fclose(f) == 0;
}

static void remove_tree(const char *path)
{
	/* the run directory holds only what we put there: plain files and
	 * the two state directories */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s", path);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[600];
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(cmd);
}

static void remove_dir(const char *dir)
{
	char sub[256];
	snprintf(sub, sizeof(sub), "%s/alice-state", dir);
	remove_tree(sub);
	snprintf(sub, sizeof(sub), "%s/bob-state", dir);
	remove_tree(sub);
	snprintf(sub, sizeof(sub), "%s/chain.db", dir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/chain.db-wal", dir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/chain.db-shm", dir);
	unlink(sub);
	const char *names[] = { "bob.ready", "alice.ready", "bob.events", "alice.events",
				"bob.log", "alice.log", "bob.sock", "alice.sock" };
	char p[256];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

static int stop_both(struct run *r, char *why, size_t n)
{
	char e[256];
	int bad = 0;
	why[0] = '\0';
	pid_t pids[2] = { r->alice, r->bob };
	const char *socks[2] = { r->alice_sock, r->bob_sock };
	const char *names[2] = { "alice", "bob" };
	const char *logs[2] = { r->alice_log, r->bob_log };
	for (int i = 0; i < 2; i++) {
		if (pids[i] <= 0)
			continue;
		json_t *res = rpc_call(socks[i], "stop", NULL, 1000, e, sizeof(e));
		json_decref(res);
		int st = stop_daemon(pids[i], 5000);
		if (st != -1 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			size_t len = strlen(why);
			snprintf(why + len, n - len, "%s%s %s %d (see %s)", len ? "; " : "", names[i],
				 WIFEXITED(st) ? "exited with status" : "was killed by signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), logs[i]);
			bad = 1;
		}
	}
	r->alice = r->bob = 0;
	return bad;
}

static bool channel_expect_holds(const struct expect_config *x, json_t *av, json_t *bv)
{
	for (int k = 0; k < 2; k++) {
		json_t *v = k == 0 ? av : bv;
		if (x->has_alice && (uint64_t)json_integer_value(json_object_get(v, "alice_msat")) !=
					    x->alice.millisatoshis)
			return false;
		if (x->has_bob && (uint64_t)json_integer_value(json_object_get(v, "bob_msat")) !=
					  x->bob.millisatoshis)
			return false;
	}
	return true;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 'S' },
		{ "time-scale", required_argument, NULL, 'T' },
		{ "events", required_argument, NULL, 'e' },
		{ "timeline", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run r;
	const char *events_out = NULL, *timeline_out = NULL, *why;
	bool have_seed = false, have_scale = false;
	uint64_t seed = 0;
	double scale = 1;
	int c, rc = 0;
	char err[1024];

	memset(&r, 0, sizeof(r));
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			if (!uint_parse(optarg, &seed, &why)) {
				fprintf(stderr, "ampsim run: --seed '%s': %s\n", optarg, why);
				return 2;
			}
			have_seed = true;
			break;
		case 'T':
			if (!positive_parse(optarg, &scale, &why)) {
				fprintf(stderr, "ampsim run: --time-scale '%s': %s\n", optarg, why);
				return 2;
			}
			have_scale = true;
			break;
		case 'e': events_out = optarg; break;
		case 't': timeline_out = optarg; break;
		case 'j': r.json = true; break;
		case 'k': r.keep = true; break;
		case 'v': r.verbose = true; break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "ampsim run: give exactly one scenario file\n");
		run_usage(stderr);
		return 2;
	}
	r.s = calloc(1, sizeof(*r.s));
	if (scenario_load(argv[optind], r.s, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		free(r.s);
		return 2;
	}
	if (have_seed)
		r.s->seed = seed;
	if (have_scale)
		r.s->time_scale = scale;
	if (!make_temp_dir("ampsim-run", r.dir, sizeof(r.dir))) {
		fprintf(stderr, "ampsim run: cannot make a run directory: %s\n", strerror(errno));
		free(r.s);
		return 1;
	}
	snprintf(r.bob_sock, sizeof(r.bob_sock), "%s/bob.sock", r.dir);
	snprintf(r.alice_sock, sizeof(r.alice_sock), "%s/alice.sock", r.dir);
	snprintf(r.bob_events, sizeof(r.bob_events), "%s/bob.events", r.dir);
	snprintf(r.alice_events, sizeof(r.alice_events), "%s/alice.events", r.dir);
	snprintf(r.bob_log, sizeof(r.bob_log), "%s/bob.log", r.dir);
	snprintf(r.alice_log, sizeof(r.alice_log), "%s/alice.log", r.dir);
	snprintf(r.alice_state, sizeof(r.alice_state), "%s/alice-state", r.dir);
	snprintf(r.bob_state, sizeof(r.bob_state), "%s/bob-state", r.dir);
	snprintf(r.chain, sizeof(r.chain), "%s/chain.db", r.dir);

	json_t *pays = NULL, *ca = NULL, *cb = NULL, *ia = NULL, *ib = NULL;
	bool final = false, settled_quiet = false;
	char stopwhy[512] = "";
	if (!start_daemons(&r, err, sizeof(err))) {
		fprintf(stderr, "ampsim run: %s\n", err);
		rc = 1;
		r.keep = true;
		goto stop;
	}

	/* the plan: payments, faults and fault lifts in simulated-time order */
	size_t nact = 0;
	struct action *acts = calloc(r.s->npayments + 2 * r.s->nfaults + 1, sizeof(*acts));
	uint64_t horizon = 0;
	for (size_t i = 0; i < r.s->nfaults; i++) {
		const struct fault_config *f = &r.s->faults[i];
		acts[nact++] = (struct action){ f->at_us, 0, NULL, f, false };
		if (f->has_until)
			acts[nact++] = (struct action){ f->until_us, 1, NULL, f, true };
		uint64_t end = f->has_until ? f->until_us : f->at_us;
		if (end > horizon)
			horizon = end;
	}
	for (size_t i = 0; i < r.s->npayments; i++) {
		const struct payment_config *p = &r.s->payments[i];
		acts[nact++] = (struct action){ p->at_us, 2, p, NULL, false };
		/* the latest a payment can still be busy: its last attempt, sent
		 * before its timeout, expiring expiry blocks later */
		uint64_t end = p->at_us + p->timeout_us +
			       (uint64_t)(p->expiry_blocks + 2) * r.s->block_interval_us;
		if (end > horizon)
			horizon = end;
	}
	qsort(acts, nact, sizeof(*acts), action_cmp);
	struct simclock clk = { r.epoch_us, r.s->block_interval_us, r.s->time_scale };
	for (size_t i = 0; i < nact; i++) {
		struct timeval tv = simclock_wall_span(&clk, acts[i].at_us);
		sleep_until_unix_us(r.epoch_us + (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec);
		if (!do_action(&r, &acts[i], err, sizeof(err))) {
			fprintf(stderr, "ampsim run: %s\n", err);
			rc = 1;
			break;
		}
	}
	free(acts);

	/* wait for quiet, bounded by the horizon plus a grace period */
	struct timeval hz = simclock_wall_span(&clk, horizon);
	uint64_t deadline = r.epoch_us + (uint64_t)hz.tv_sec * 1000000 + (uint64_t)hz.tv_usec + 5000000;
	while (!(settled_quiet = r.nqueued == 0 && r.alice && r.bob && quiet(&r, &final))) {
		if (simclock_wall_now_us() > deadline)
			break;
		flush_queued(&r);
		int st;
		if (r.alice && waitpid(r.alice, &st, WNOHANG) == r.alice) {
			r.alice = 0;
			break;
		}
		if (r.bob && waitpid(r.bob, &st, WNOHANG) == r.bob) {
			r.bob = 0;
			break;
		}
		/* control-socket polling at 5 ms wall: cheap, and bounded above */
		struct timespec ts = { 0, 5 * 1000000L };
		nanosleep(&ts, NULL);
	}
	pays = call(r.alice_sock, "listpayments", NULL, err, sizeof(err));
	ca = call(r.alice_sock, "channels", NULL, err, sizeof(err));
	cb = call(r.bob_sock, "channels", NULL, err, sizeof(err));
	ia = call(r.alice_sock, "getinfo", NULL, err, sizeof(err));
	ib = call(r.bob_sock, "getinfo", NULL, err, sizeof(err));

stop:
	if (stop_both(&r, stopwhy, sizeof(stopwhy)))
		rc = 1;

	json_t *events = merge_events(&r);
	if (events_out && !write_events(events, events_out)) {
		fprintf(stderr, "ampsim run: --events %s: %s\n", events_out, strerror(errno));
		rc = rc ? rc : 2;
	}
	if (timeline_out && !timeline_write(events, r.s->path, r.s->seed, r.s->time_scale, timeline_out)) {
		fprintf(stderr, "ampsim run: --timeline %s: %s\n", timeline_out, strerror(errno));
		rc = rc ? rc : 2;
	}
	json_decref(events);

	/* ---- summary ---- */
	json_t *out = json_object(), *jp = json_object(), *jc = json_object();
	unsigned held = 0, failed = 0;
	json_t *problems = json_array();
	if (stopwhy[0])
		json_array_append_new(problems, json_string(stopwhy));
	if (!pays || !ca || !cb)
		json_array_append_new(problems, json_string("a daemon stopped answering before the end"));
	else if (!final)
		json_array_append_new(problems, json_string("some payments never reached an outcome"));
	else if (!settled_quiet)
		json_array_append_new(problems, json_string("the daemons did not agree or still had HTLCs in flight at the end"));
	long long violations = json_integer_value(json_object_get(ia, "violations")) +
			       json_integer_value(json_object_get(ib, "violations"));
	if (violations) {
		char m[96];
		snprintf(m, sizeof(m), "%lld invariant violation%s logged", violations,
			 violations == 1 ? "" : "s");
		json_array_append_new(problems, json_string(m));
	}
	for (size_t i = 0; i < r.s->npayments; i++) {
		const char *id = r.s->payments[i].id;
		json_t *p = json_object_get(pays, id), *o = json_object();
		json_object_set_new(o, "outcome", json_string(p ? json_string_value(json_object_get(p, "outcome")) : "pending"));
		json_object_set_new(o, "mode", json_string(pay_mode_name(r.s->payments[i].mode)));
		json_object_set_new(o, "amount_msat", json_integer((json_int_t)r.s->payments[i].amount.millisatoshis));
		json_t *parts = json_array();
		size_t k;
		json_t *pt;
		json_array_foreach(json_object_get(p, "parts"), k, pt) {
			json_t *q = json_object();
			json_object_set(q, "channel", json_object_get(pt, "channel"));
			json_object_set(q, "amount_msat", json_object_get(pt, "amount_msat"));
			json_object_set(q, "hash", json_object_get(pt, "hash"));
			json_object_set(q, "result", json_object_get(pt, "result"));
			if (json_is_true(json_object_get(pt, "onchain")))
				json_object_set_new(q, "onchain", json_true());
			json_array_append_new(parts, q);
		}
		json_object_set_new(o, "parts", parts);
		if (json_object_get(p, "why"))
			json_object_set(o, "why", json_object_get(p, "why"));
		json_object_set_new(jp, id, o);
	}
	for (size_t i = 0; i < r.s->nchannels; i++) {
		const char *id = r.s->channels[i].id;
		json_t *o = json_object();
		json_object_set_new(o, "capacity_msat", json_integer((json_int_t)r.s->channels[i].capacity.millisatoshis));
		json_t *ac = json_object_get(ca, id), *bc = json_object_get(cb, id);
		json_t *av = view(ac), *bv = view(bc);
		json_object_set_new(o, "alice_view", av);
		json_object_set_new(o, "bob_view", bv);
		/* a view a daemon could not give agrees with nothing */
		json_object_set_new(o, "agree", json_boolean(ac && bc && same_view(av, bv)));
		json_object_set_new(jc, id, o);
	}
	json_t *jx = json_array();
	for (size_t i = 0; i < r.s->nexpects; i++) {
		const struct expect_config *x = &r.s->expects[i];
		bool ok;
		char got[160];
		if (x->is_payment) {
			const char *o = json_string_value(json_object_get(json_object_get(jp, x->key), "outcome"));
			ok = o && strcmp(o, outcome_name(x->outcome)) == 0;
			snprintf(got, sizeof(got), "%s", o ? o : "none");
		} else {
			json_t *ch = json_object_get(jc, x->key);
			json_t *av = json_object_get(ch, "alice_view"), *bv = json_object_get(ch, "bob_view");
			ok = channel_expect_holds(x, av, bv);
			char a1[40], b1[40], a2[40], b2[40];
			fmt_msat(a1, sizeof(a1), (uint64_t)json_integer_value(json_object_get(av, "alice_msat")));
			fmt_msat(b1, sizeof(b1), (uint64_t)json_integer_value(json_object_get(av, "bob_msat")));
			fmt_msat(a2, sizeof(a2), (uint64_t)json_integer_value(json_object_get(bv, "alice_msat")));
			fmt_msat(b2, sizeof(b2), (uint64_t)json_integer_value(json_object_get(bv, "bob_msat")));
			if (strcmp(a1, a2) == 0 && strcmp(b1, b2) == 0)
				snprintf(got, sizeof(got), "alice:%s bob:%s", a1, b1);
			else
				snprintf(got, sizeof(got), "alice's view alice:%s bob:%s, bob's view alice:%s bob:%s",
					 a1, b1, a2, b2);
		}
		ok ? held++ : failed++;
		json_array_append_new(jx, json_pack("{s:s,s:s,s:b,s:s,s:i}", "key", x->key, "expected",
						    x->text, "held", ok, "got", got, "line", x->line));
	}
	json_object_set_new(out, "payments", jp);
	json_object_set_new(out, "channels", jc);
	json_object_set_new(out, "expectations", json_pack("{s:i,s:i,s:o}", "held", held, "failed",
							   failed, "checks", jx));
	json_object_set_new(out, "problems", problems);
	json_object_set_new(out, "seed", json_integer((json_int_t)r.s->seed));

	if (r.json) {
		char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
	} else {
		printf("scenario %s  (seed %llu, time scale %g)\n", r.s->path,
		       (unsigned long long)r.s->seed, r.s->time_scale);
		printf("payments\n");
		const char *k;
		json_t *o;
		json_object_foreach(jp, k, o) {
			char amt[40];
			fmt_msat(amt, sizeof(amt), (uint64_t)json_integer_value(json_object_get(o, "amount_msat")));
			printf("  %-10s %-8s %-8s %-9s", k, json_string_value(json_object_get(o, "mode")), amt,
			       json_string_value(json_object_get(o, "outcome")));
			size_t i;
			json_t *pt;
			json_array_foreach(json_object_get(o, "parts"), i, pt) {
				fmt_msat(amt, sizeof(amt), (uint64_t)json_integer_value(json_object_get(pt, "amount_msat")));
				printf("%s%s %s %s%s", i ? ", " : " parts: ",
				       json_string_value(json_object_get(pt, "channel")), amt,
				       json_string_value(json_object_get(pt, "result")),
				       json_is_true(json_object_get(pt, "onchain")) ? " on chain" : "");
			}
			if (json_object_get(o, "why") && strcmp(json_string_value(json_object_get(o, "outcome")), "settled") != 0)
				printf("\n             why: %s", json_string_value(json_object_get(o, "why")));
			printf("\n");
		}
		printf("channels (as alice sees them | as bob sees them)\n");
		json_object_foreach(jc, k, o) {
			char cap[40], a1[40], b1[40], f1[40], a2[40], b2[40], f2[40];
			json_t *av = json_object_get(o, "alice_view"), *bv = json_object_get(o, "bob_view");
			fmt_msat(cap, sizeof(cap), (uint64_t)json_integer_value(json_object_get(o, "capacity_msat")));
			fmt_msat(a1, sizeof(a1), (uint64_t)json_integer_value(json_object_get(av, "alice_msat")));
			fmt_msat(b1, sizeof(b1), (uint64_t)json_integer_value(json_object_get(av, "bob_msat")));
			fmt_msat(f1, sizeof(f1), (uint64_t)json_integer_value(json_object_get(av, "inflight_msat")));
			fmt_msat(a2, sizeof(a2), (uint64_t)json_integer_value(json_object_get(bv, "alice_msat")));
			fmt_msat(b2, sizeof(b2), (uint64_t)json_integer_value(json_object_get(bv, "bob_msat")));
			fmt_msat(f2, sizeof(f2), (uint64_t)json_integer_value(json_object_get(bv, "inflight_msat")));
			if (json_is_null(json_object_get(av, "alice_msat"))) {
				printf("  %-10s capacity %-8s alice's view unknown (not answering) | ", k, cap);
				if (json_is_null(json_object_get(bv, "alice_msat")))
					printf("bob's view unknown\n");
				else
					printf("bob: alice %s bob %s in flight %s\n", a2, b2, f2);
				continue;
			}
			if (json_is_null(json_object_get(bv, "alice_msat"))) {
				printf("  %-10s capacity %-8s alice %-8s bob %-8s in flight %-6s | bob's view unknown (not answering)\n",
				       k, cap, a1, b1, f1);
				continue;
			}
			printf("  %-10s capacity %-8s alice %-8s bob %-8s in flight %-6s | ", k, cap, a1, b1, f1);
			if (json_is_true(json_object_get(o, "agree")))
				printf("same\n");
			else
				printf("alice %s bob %s in flight %s  DISAGREE\n", a2, b2, f2);
		}
		if (r.s->nexpects) {
			printf("expectations\n");
			size_t i;
			json_t *x;
			json_array_foreach(jx, i, x) {
				bool ok = json_is_true(json_object_get(x, "held"));
				printf("  %-4s %s = %s", ok ? "ok" : "FAIL", json_string_value(json_object_get(x, "key")),
				       json_string_value(json_object_get(x, "expected")));
				if (!ok)
					printf("   (%s:%lld: got %s)", r.s->path,
					       (long long)json_integer_value(json_object_get(x, "line")),
					       json_string_value(json_object_get(x, "got")));
				printf("\n");
			}
			printf("%u held, %u failed\n", held, failed);
		}
		size_t i;
		json_t *pr;
		json_array_foreach(problems, i, pr)
			printf("problem: %s\n", json_string_value(pr));
	}
	if (failed || json_array_size(problems))
		rc = rc ? rc : 1;
	json_decref(out);
	json_decref(pays);
	json_decref(ca);
	json_decref(cb);
	json_decref(ia);
	json_decref(ib);
	if (r.keep)
		fprintf(stderr, "ampsim run: run directory kept: %s\n", r.dir);
	else
		remove_dir(r.dir);
	free(r.s);
	return rc;
}

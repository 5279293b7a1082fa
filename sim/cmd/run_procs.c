/* ampsim run: starting, killing and stopping the daemons. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "events.h"
#include "life.h"
#include "log.h"
#include "rpc.h"
#include "rpc_client.h"
#include "run.h"
#include "spawn.h"
#include "units.h"
#include "vcoord.h"

static void chan_spec(const struct channel_config *c, char *buf, size_t n)
{
	const char *dist = jitter_dist_name(c->link.jitter_dist);
	snprintf(buf, n,
		 "id=%s,capacity=%llumsat,alice=%llumsat,delay=%lluus,jitter=%lluus,"
		 "jitter_dist=%s,drop=%.17g,duplicate=%.17g,max_htlcs=%u,htlc_minimum=%llumsat",
		 c->id, (unsigned long long)c->capacity.millisatoshis,
		 (unsigned long long)c->alice.millisatoshis, (unsigned long long)c->link.delay_us,
		 (unsigned long long)c->link.jitter_us, dist, c->link.drop, c->link.duplicate,
		 c->max_htlcs, (unsigned long long)c->htlc_minimum.millisatoshis);
}

/* What both daemons are given by the run: secrets from the seed (a new
 * generation for each life of the daemon), and the virtual clock at the
 * run's current instant. */
static void run_common_args(struct run *r, int who, char *secrets, size_t sn, char *clock,
			    size_t cn)
{
	snprintf(secrets, sn, "%llu:%u", (unsigned long long)r->s->seed, r->gen[who]++);
	snprintf(clock, cn, "virtual:%s@%llu", r->clock_sock,
		 (unsigned long long)(r->vc ? vcoord_now(r->vc) : 0));
}

bool start_bob(struct run *r, char *err, size_t errlen)
{
	char ready[160], hold[32], delta[16], listen[64], e2[256], key[160];
	snprintf(ready, sizeof(ready), "%s/bob.ready", r->dir);
	/* his node key lives in the run directory: a restarted bob is the
	 * same node, the one alice connects to */
	snprintf(key, sizeof(key), "%s/bob.key", r->dir);
	unlink(ready);
	snprintf(hold, sizeof(hold), "%lluus", (unsigned long long)r->s->bob.hold_us);
	snprintf(delta, sizeof(delta), "%u", r->s->bob.final_cltv_delta);
	/* a restarted bob listens where alice knows to find him */
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", r->bob_port);
	char *bargv[] = { r->bob_exe, "--listen", listen, "--events", r->bob_events,
			  "--control", r->bob_sock, "--ready-file", ready, "--hold", hold,
			  "--final-cltv-delta", delta, "--behaviour",
			  (char *)bob_behaviour_name(r->s->bob.behaviour),
			  "--chain", r->chain, "--key", key, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
			  NULL, NULL, NULL, NULL };
	size_t k = sizeof(bargv) / sizeof(bargv[0]) - 11;
	char secrets[48], clock[200];
	run_common_args(r, 1, secrets, sizeof(secrets), clock, sizeof(clock));
	bargv[k++] = "--seeded-secrets";
	bargv[k++] = secrets;
	if (r->durable) {
		bargv[k++] = "--state";
		bargv[k++] = r->bob_state;
		bargv[k++] = "--sync";   /* a run kills processes, not power: kill -9 is survived */
		bargv[k++] = "normal";
	}
	if (r->virt) {
		bargv[k++] = "--clock";
		bargv[k++] = clock;
	}
	if (r->pcap) {
		/* bob's capture holds every message that crossed the wire, both
		 * ways; a restarted bob appends a section to it */
		bargv[k++] = "--pcap";
		bargv[k++] = (char *)r->pcap;
	}
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
	const char *id = json_string_value(json_object_get(br, "node_id"));
	snprintf(r->bob_node_id, sizeof(r->bob_node_id), "%s", id ? id : "");
	json_decref(br);
	return true;
}


/* first: wait for alice's ready file (channels open); after a restart:
 * for her control socket to answer (bob may be down, she reconnects) */
bool start_alice(struct run *r, bool first, char *err, size_t errlen)
{
	char ready[160], connect[160], seed[32], interval[32], scale[32], e2[256], key[160];
	snprintf(connect, sizeof(connect), "%s@127.0.0.1:%d", r->bob_node_id, r->bob_port);
	snprintf(key, sizeof(key), "%s/alice.key", r->dir);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)r->s->seed);
	snprintf(interval, sizeof(interval), "%lluus", (unsigned long long)r->s->block_interval_us);
	snprintf(scale, sizeof(scale), "%.17g", r->s->time_scale);
	snprintf(ready, sizeof(ready), "%s/alice.ready", r->dir);
	unlink(ready);
	size_t n = 0, max = 38 + 2 * r->s->nchannels;
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
			 "--chain", r->chain, "--key", key };
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++)
		aargv[n++] = rest[i];
	char secrets[48], clock[200];
	run_common_args(r, 0, secrets, sizeof(secrets), clock, sizeof(clock));
	aargv[n++] = "--seeded-secrets";
	aargv[n++] = secrets;
	if (r->durable) {
		aargv[n++] = "--state";
		aargv[n++] = r->alice_state;
		aargv[n++] = "--sync";
		aargv[n++] = "normal";
	}
	/* the report lists every payment of the run */
	aargv[n++] = "--keep-payments";
	aargv[n++] = "0";
	if (r->virt) {
		aargv[n++] = "--clock";
		aargv[n++] = clock;
	}
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


bool start_daemons(struct run *r, char *err, size_t errlen)
{
	if (!find_daemon("bob", r->bob_exe, sizeof(r->bob_exe)) ||
	    !find_daemon("alice", r->alice_exe, sizeof(r->alice_exe))) {
		snprintf(err, errlen, "cannot find the alice and bob executables "
			 "(next to ampsim, in PATH, or $AMPSIM_ALICE/$AMPSIM_BOB)");
		return false;
	}
	return start_bob(r, err, errlen) && start_alice(r, true, err, errlen);
}


/* A killed daemon cannot say so: the run writes the event in its name. */
void log_crash(const struct run *r, const char *node)
{
	struct simclock clk = { r->epoch_us, r->s->block_interval_us, r->s->time_scale };
	/* the crash happens at the run's current instant (virtual clock) */
	uint64_t sim = r->vc ? vcoord_now(r->vc) : simclock_sim_at(&clk, simclock_wall_now_us());
	char err[300];
	struct evlog *log = evlog_open(strcmp(node, "alice") == 0 ? r->alice_events : r->bob_events,
				       node, &clk, err, sizeof(err));
	if (!log)
		return;
	evlog_set_now(log, &sim);
	struct evrec ev;
	life_crash(&ev);
	evlog_emit_rec(log, &ev);
	evlog_close(log);
}


void kill9(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}


void remove_tree(const char *path)
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


void remove_dir(const char *dir)
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
				"bob.log", "alice.log", "bob.sock", "alice.sock", "bob.key", "alice.key" };
	char p[256];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}


int stop_both(struct run *r, char *why, size_t n)
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


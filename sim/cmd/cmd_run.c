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
#include "run.h"
#include "scenario.h"
#include "spawn.h"
#include "timeline.h"
#include "units.h"


void say(const struct run *r, const char *fmt, const char *arg)
{
	if (r->verbose) {
		fprintf(stderr, "ampsim: ");
		fprintf(stderr, fmt, arg);
		fputc('\n', stderr);
	}
}

json_t *call(const char *sock, const char *method, json_t *params, char *err, size_t n)
{
	json_t *r = rpc_call(sock, method, params, RPC_TIMEOUT_MS, err, n);
	json_decref(params);
	return r;
}

static int action_cmp(const void *x, const void *y)
{
	const struct run_step *a = x, *b = y;
	if (a->at_us != b->at_us)
		return a->at_us < b->at_us ? -1 : 1;
	return a->order - b->order;
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
		"  --json              print the summary as one JSON object\n"
		"  --keep              keep the run directory (daemon logs, sockets)\n"
		"  -v, --verbose       say what is happening on stderr\n");
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

static bool do_action(struct run *r, const struct run_step *a, char *err, size_t errlen)
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

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 'S' },
		{ "time-scale", required_argument, NULL, 'T' },
		{ "events", required_argument, NULL, 'e' },
		{ "pcap", required_argument, NULL, 'P' },
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
		case 'P': r.pcap = optarg; break;
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
	/* an output that cannot be written is found now, not after the run */
	const char *outs[3][2] = { { "--events", events_out }, { "--timeline", timeline_out },
				   { "--pcap", r.pcap } };
	for (int i = 0; i < 3; i++) {
		if (outs[i][1] && !output_writable(outs[i][1], err, sizeof(err))) {
			fprintf(stderr, "ampsim run: %s %s: %s\n", outs[i][0], outs[i][1], err);
			return 2;
		}
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
	struct run_step *acts = calloc(r.s->npayments + 2 * r.s->nfaults + 1, sizeof(*acts));
	uint64_t horizon = 0;
	for (size_t i = 0; i < r.s->nfaults; i++) {
		const struct fault_config *f = &r.s->faults[i];
		acts[nact++] = (struct run_step){ f->at_us, 0, NULL, f, false };
		if (f->has_until)
			acts[nact++] = (struct run_step){ f->until_us, 1, NULL, f, true };
		uint64_t end = f->has_until ? f->until_us : f->at_us;
		if (end > horizon)
			horizon = end;
	}
	for (size_t i = 0; i < r.s->npayments; i++) {
		const struct payment_config *p = &r.s->payments[i];
		acts[nact++] = (struct run_step){ p->at_us, 2, p, NULL, false };
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
			if (json_object_get(o, "why") && strcmp(json_string_value(json_object_get(o, "outcome")), outcome_name(OUTCOME_SETTLED)) != 0)
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

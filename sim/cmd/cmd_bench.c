/* ampsim bench: both daemons on loopback with zero simulated delay, as
 * many payments in flight as --concurrency, for --seconds of wall time or
 * until --payments have ended; then, over the same kind of socket, the raw
 * rate of framed ping-pong messages, so the rate of messages the payments
 * put on the wire can be read against the transport's. With --state the
 * same shape runs twice in one invocation, in memory and then durable, so
 * the durable rate is read against the in-memory one. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amount.h"
#include "cmds.h"
#include "proto_limits.h"
#include "log.h"
#include "rpc.h"
#include "rpc_client.h"
#include "scenario.h"
#include "spawn.h"
#include "units.h"

struct bench_opts {
	uint64_t payments;        /* 0: time-bounded */
	double seconds;
	uint64_t conc, chans, shards, pings;
	const char *mode, *amount, *sync;
	struct amount_msat amt;
};

/* A memory figure of a process from /proc (VmHWM: peak RSS, VmRSS: now). */
static long proc_kb(pid_t pid, const char *field)
{
	char path[64], line[256], fmt[32];
	long kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	snprintf(fmt, sizeof(fmt), "%s: %%ld kB", field);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static long peak_rss_kb(pid_t pid)
{
	return proc_kb(pid, "VmHWM");
}

/* Bytes of the files directly in dir (a daemon's state: db, WAL, shm). */
static long long dir_bytes(const char *dir)
{
	static const char *names[] = { "alice.db", "alice.db-wal", "bob.db", "bob.db-wal" };
	long long n = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[4300];
		struct stat sb;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &sb) == 0)
			n += (long long)sb.st_size;
	}
	return n;
}

/* CPU time (user + system) a process has used so far, in microseconds. */
static uint64_t cpu_us(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after the command name in parentheses: fields 3.. ; utime and
	 * stime are the 14th and 15th */
	const char *p = strrchr(buf, ')');
	unsigned long long ut = 0, stt = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &stt) != 2)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	return hz > 0 ? (ut + stt) * 1000000ULL / (unsigned long long)hz : 0;
}

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: ampsim bench [options]\n"
		"  --seconds S       start payments for S seconds of wall time, then let those in\n"
		"                    flight finish (default 2)\n"
		"  --payments N      instead: run until N payments have ended\n"
		"  --concurrency C   payments in flight at once (default 100)\n"
		"  --channels K      channels between alice and bob (default 10)\n"
		"  --mode M          single | mpp | amp (default single)\n"
		"  --shards S        parts per payment for mpp/amp (default: fewest)\n"
		"  --amount A        amount of each payment (default 1000sat)\n"
		"  --pings N         ping-pong round trips for the raw rate, --concurrency at a\n"
		"                    time (default 100000)\n"
		"  --json            print the results as one JSON object\n"
		"  --state DIR       durable: after the in-memory run, the same run again with each\n"
		"                    daemon keeping its state under DIR (a new or empty folder)\n"
		"  --sync full|normal  with --state: SQLite's synchronous mode (default full)\n");
}

static json_t *call(const char *sock, const char *m, json_t *params, char *err, size_t n)
{
	json_t *r = rpc_call(sock, m, params, 10000, err, n);
	json_decref(params);
	return r;
}

static uint64_t field(const json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The two daemons of one run, and where their files are. */
struct bench_pair {
	char dir[64], bsock[128], asock[128];
	pid_t alice, bob;
};

static void pair_stop(struct bench_pair *p)
{
	char err[256];
	if (p->alice > 0) {
		json_decref(rpc_call(p->asock, "stop", NULL, 1000, err, sizeof(err)));
		stop_daemon(p->alice, 5000);
	}
	if (p->bob > 0) {
		json_decref(rpc_call(p->bsock, "stop", NULL, 1000, err, sizeof(err)));
		stop_daemon(p->bob, 5000);
	}
	const char *names[] = { "bob.sock", "alice.sock", "bob.ready", "alice.ready", "bob.log", "alice.log" };
	for (size_t i = 0; i < 6; i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", p->dir, names[i]);
		unlink(path);
	}
	rmdir(p->dir);
}

/* Start bob, then alice connected to him, with state under state (NULL:
 * in memory). */
static bool pair_start(struct bench_pair *p, const struct bench_opts *o, const char *state,
		       char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (!make_temp_dir("ampsim-bench", p->dir, sizeof(p->dir))) {
		snprintf(err, errlen, "temporary folder: %s", strerror(errno));
		return false;
	}
	char bob_exe[4096], alice_exe[4096], bready[128], aready[128], blog[128], alog[128];
	snprintf(p->bsock, sizeof(p->bsock), "%s/bob.sock", p->dir);
	snprintf(p->asock, sizeof(p->asock), "%s/alice.sock", p->dir);
	snprintf(bready, sizeof(bready), "%s/bob.ready", p->dir);
	snprintf(aready, sizeof(aready), "%s/alice.ready", p->dir);
	snprintf(blog, sizeof(blog), "%s/bob.log", p->dir);
	snprintf(alog, sizeof(alog), "%s/alice.log", p->dir);
	if (!find_daemon("bob", bob_exe, sizeof(bob_exe)) ||
	    !find_daemon("alice", alice_exe, sizeof(alice_exe))) {
		snprintf(err, errlen, "cannot find the alice and bob executables");
		return false;
	}
	char bstate[4200], astate[4200], sync[16];
	snprintf(bstate, sizeof(bstate), "%s/bob", state ? state : "");
	snprintf(astate, sizeof(astate), "%s/alice", state ? state : "");
	snprintf(sync, sizeof(sync), "%s", o->sync);
	char *bargv[] = { bob_exe, "--listen", "127.0.0.1:0", "--control", p->bsock, "--ready-file",
			  bready, "--hold", "3600s", state ? "--state" : NULL, bstate, "--sync", sync,
			  NULL };
	p->bob = spawn_daemon(bargv, blog);
	char why[512];
	json_t *br = wait_ready(bready, p->bob, 10000, why, sizeof(why));
	if (!br) {
		snprintf(err, errlen, "bob %s", why);
		return false;
	}
	char connect[160];
	const char *id = json_string_value(json_object_get(br, "node_id"));
	snprintf(connect, sizeof(connect), "%s@127.0.0.1:%lld", id ? id : "",
		 (long long)json_integer_value(json_object_get(br, "port")));
	json_decref(br);
	/* each channel can carry every payment in full: time-bounded runs
	 * are given room for a million */
	struct amount_msat cap;
	if (!amount_mul(&cap, o->amt, (o->payments ? o->payments : 1000000) + 1)) {
		snprintf(err, errlen, "amount times payments overflows");
		return false;
	}
	char spec[64][160];
	char *aargv[12 + 2 * 64 + 1];
	size_t n = 0;
	aargv[n++] = alice_exe;
	aargv[n++] = "--connect";
	aargv[n++] = connect;
	for (uint64_t i = 0; i < o->chans; i++) {
		snprintf(spec[i], sizeof(spec[i]), "id=c%llu,capacity=%llumsat,max_htlcs=" MAX_HTLCS_STR,
			 (unsigned long long)i + 1, (unsigned long long)cap.millisatoshis);
		aargv[n++] = "--channel";
		aargv[n++] = spec[i];
	}
	aargv[n++] = "--control";
	aargv[n++] = p->asock;
	aargv[n++] = "--ready-file";
	aargv[n++] = aready;
	if (state) {
		aargv[n++] = "--state";
		aargv[n++] = astate;
		aargv[n++] = "--sync";
		aargv[n++] = sync;
	}
	aargv[n] = NULL;
	p->alice = spawn_daemon(aargv, alog);
	json_t *ar = wait_ready(aready, p->alice, 10000, why, sizeof(why));
	if (!ar) {
		snprintf(err, errlen, "alice %s", why);
		return false;
	}
	json_decref(ar);
	return true;
}

/* After a durable run: the size of the state it left, and how long both
 * daemons take to be serving again on it (from bob's start to alice's
 * channels re-established). */
static void restart_on(const struct bench_opts *o, const char *state, json_t *res)
{
	char sub[4200];
	snprintf(sub, sizeof(sub), "%s/alice", state);
	long long abytes = dir_bytes(sub);
	snprintf(sub, sizeof(sub), "%s/bob", state);
	long long bbytes = dir_bytes(sub);
	json_object_set_new(res, "alice_state_bytes", json_integer(abytes));
	json_object_set_new(res, "bob_state_bytes", json_integer(bbytes));
	struct bench_pair p;
	char err[512];
	long long t0 = mono_now_ms();
	if (pair_start(&p, o, state, err, sizeof(err))) {
		json_t *info = call(p.asock, "getinfo", NULL, err, sizeof(err));
		if (info && json_is_true(json_object_get(info, "connected")))
			json_object_set_new(res, "restart_ms", json_integer(mono_now_ms() - t0));
		json_decref(info);
	}
	pair_stop(&p);
}

/* Memory as the run goes: when the first 100,000 have ended, and the
 * most it reaches after that (-1: never reached). */
struct bench_rss {
	long a100, b100, amax, bmax;
};

/* Polls benchstatus until the payments are done; its last answer, or
 * NULL and err. */
static json_t *bench_wait(const struct bench_pair *p, struct bench_rss *m, char *err, size_t errlen)
{
	long long t0 = mono_now_ms();
	*m = (struct bench_rss){ -1, -1, -1, -1 };
	for (;;) {
		json_t *st = call(p->asock, "benchstatus", NULL, err, errlen);
		if (!st)
			return NULL;
		if (field(st, "done") >= 100000) {
			long ra = proc_kb(p->alice, "VmRSS"), rb = proc_kb(p->bob, "VmRSS");
			if (m->a100 < 0) {
				m->a100 = ra;
				m->b100 = rb;
			}
			m->amax = ra > m->amax ? ra : m->amax;
			m->bmax = rb > m->bmax ? rb : m->bmax;
		}
		if (json_object_get(st, "wall_us"))
			return st;
		json_decref(st);
		if (mono_now_ms() - t0 > 900000) {
			snprintf(err, errlen, "payments did not finish within 15 minutes");
			return NULL;
		}
		pause_ms(20);
	}
}

/* The transport's own rate: framed ping-pong on the same connection, in
 * messages per second; -1 and err when alice stops answering. */
static double bench_pings(const struct bench_opts *o, const struct bench_pair *p, char *err,
			  size_t errlen)
{
	json_decref(call(p->asock, "pingtest",
			 json_pack("{s:I,s:I}", "count", (json_int_t)o->pings, "window",
				   (json_int_t)o->conc), err, errlen));
	for (;;) {
		json_t *info = call(p->asock, "getinfo", NULL, err, errlen);
		if (!info)
			return -1;
		double ping_s = (double)field(info, "ping_wall_us") / 1e6;
		bool done = json_object_get(info, "ping_wall_us") != NULL;
		json_decref(info);
		if (done)
			return ping_s > 0 ? 2.0 * (double)o->pings / ping_s : 0;
		pause_ms(10);
	}
}

/* The rate over each 100,000, the first and the last, and the memory
 * then (runs of at least 200,000). */
static void bench_marks(json_t *res, const json_t *st, const struct bench_rss *m)
{
	json_t *marks = json_object_get(st, "marks_us");
	size_t nm = json_array_size(marks);
	if (nm < 2)
		return;
	double first = (double)json_integer_value(json_array_get(marks, 0)) / 1e6;
	double last = (double)(json_integer_value(json_array_get(marks, nm - 1)) -
			       json_integer_value(json_array_get(marks, nm - 2))) / 1e6;
	json_t *rates = json_array();
	for (size_t i = 0; i < nm; i++) {
		double span = (double)(json_integer_value(json_array_get(marks, i)) -
				       (i ? json_integer_value(json_array_get(marks, i - 1)) : 0)) / 1e6;
		json_array_append_new(rates, json_integer(span > 0 ? (json_int_t)(1e5 / span) : 0));
	}
	json_object_set_new(res, "rates_per_100k", rates);
	json_object_set_new(res, "rate_first_100k", json_real(first > 0 ? 1e5 / first : 0));
	json_object_set_new(res, "rate_last_100k", json_real(last > 0 ? 1e5 / last : 0));
	json_object_set_new(res, "alice_rss_kb_at_100k", json_integer(m->a100));
	json_object_set_new(res, "alice_rss_kb_max_after", json_integer(m->amax));
	json_object_set_new(res, "bob_rss_kb_at_100k", json_integer(m->b100));
	json_object_set_new(res, "bob_rss_kb_max_after", json_integer(m->bmax));
}

/* The payments' figures from benchstatus's last answer st, both
 * daemons' getinfo before (a0, b0) and after (a1, b1), and their CPU
 * time (alice before and after, bob before and after). */
static json_t *bench_figures(const json_t *st, const json_t *a0, const json_t *b0,
			     const json_t *a1, const json_t *b1, const uint64_t cpu[4])
{
	double wall_s = (double)field(st, "wall_us") / 1e6;
	uint64_t ended = field(st, "total"), settled = field(st, "settled");
	double pay_per_s = wall_s > 0 ? (double)settled / wall_s : 0;
	/* every frame both daemons wrote during the payments */
	uint64_t frames = field(a1, "frames_sent") - field(a0, "frames_sent") +
			  field(b1, "frames_sent") - field(b0, "frames_sent");
	double wire_per_s = wall_s > 0 ? (double)frames / wall_s : 0;
	double per = settled ? 1.0 / (double)settled : 0;
	json_t *res = json_pack("{s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:I,s:f}",
				"payments", (json_int_t)ended, "settled", (json_int_t)settled,
				"seconds", wall_s, "payments_per_s", pay_per_s,
				"htlc_settlements_per_s", wall_s > 0 ? (double)field(st, "htlcs_fulfilled") / wall_s : 0,
				"latency_p50_ms", (double)field(st, "p50_us") / 1000.0,
				"latency_p99_ms", (double)field(st, "p99_us") / 1000.0,
				"messages", (json_int_t)frames, "messages_per_s", wire_per_s);
	/* CPU per payment (the status polls are in it, a few a second) */
	json_object_set_new(res, "alice_cpu_us_per_payment", json_real((double)(cpu[1] - cpu[0]) * per));
	json_object_set_new(res, "bob_cpu_us_per_payment", json_real((double)(cpu[3] - cpu[2]) * per));
	return res;
}

/* A durable run's writes: fsyncs and commits, in all and per payment. */
static void bench_writes(json_t *res, const json_t *a0, const json_t *b0, const json_t *a1,
			 const json_t *b1)
{
	uint64_t settled = field(res, "settled");
	double per = settled ? 1.0 / (double)settled : 0;
	double fa = (double)(field(a1, "fsyncs") - field(a0, "fsyncs"));
	double fb = (double)(field(b1, "fsyncs") - field(b0, "fsyncs"));
	json_object_set_new(res, "alice_fsyncs", json_integer((json_int_t)fa));
	json_object_set_new(res, "bob_fsyncs", json_integer((json_int_t)fb));
	json_object_set_new(res, "alice_fsyncs_per_payment", json_real(fa * per));
	json_object_set_new(res, "bob_fsyncs_per_payment", json_real(fb * per));
	json_object_set_new(res, "alice_commits", json_integer((json_int_t)(field(a1, "commits") - field(a0, "commits"))));
	json_object_set_new(res, "bob_commits", json_integer((json_int_t)(field(b1, "commits") - field(b0, "commits"))));
}

/* One run: payments, then (with_pings) the ping-pong rate. NULL and err
 * on failure. */
static json_t *bench_once(const struct bench_opts *o, const char *state, bool with_pings,
			  char *err, size_t errlen)
{
	struct bench_pair p;
	struct bench_rss m;
	json_t *res = NULL, *st = NULL, *a0 = NULL, *b0 = NULL, *a1 = NULL, *b1 = NULL;
	if (!pair_start(&p, o, state, err, errlen))
		goto out;
	if (!(a0 = call(p.asock, "getinfo", NULL, err, errlen)) ||
	    !(b0 = call(p.bsock, "getinfo", NULL, err, errlen)))
		goto out;
	uint64_t cpu[4] = { cpu_us(p.alice), 0, cpu_us(p.bob), 0 };
	json_t *params = json_pack("{s:I,s:s,s:I,s:s}", "concurrency", (json_int_t)o->conc, "mode",
				   o->mode, "shards", (json_int_t)o->shards, "amount", o->amount);
	if (o->payments)
		json_object_set_new(params, "payments", json_integer((json_int_t)o->payments));
	else
		json_object_set_new(params, "seconds", json_real(o->seconds));
	json_t *ok = call(p.asock, "bench", params, err, errlen);
	if (!ok)
		goto out;
	json_decref(ok);
	if (!(st = bench_wait(&p, &m, err, errlen)))
		goto out;
	cpu[1] = cpu_us(p.alice);
	cpu[3] = cpu_us(p.bob);
	if (!(a1 = call(p.asock, "getinfo", NULL, err, errlen)) ||
	    !(b1 = call(p.bsock, "getinfo", NULL, err, errlen)))
		goto out;
	double msgs_per_s = with_pings ? bench_pings(o, &p, err, errlen) : 0;
	if (msgs_per_s < 0)
		goto out;
	res = bench_figures(st, a0, b0, a1, b1, cpu);
	bench_marks(res, st, &m);
	json_object_set_new(res, "alice_peak_rss_kb", json_integer(peak_rss_kb(p.alice)));
	json_object_set_new(res, "bob_peak_rss_kb", json_integer(peak_rss_kb(p.bob)));
	if (state)
		bench_writes(res, a0, b0, a1, b1);
	if (with_pings) {
		double wire_per_s = json_real_value(json_object_get(res, "messages_per_s"));
		double pay_per_s = json_real_value(json_object_get(res, "payments_per_s"));
		json_object_set_new(res, "pingpong_msgs_per_s", json_real(msgs_per_s));
		json_object_set_new(res, "wire_vs_pingpong", json_real(msgs_per_s > 0 ? wire_per_s / msgs_per_s : 0));
		json_object_set_new(res, "payments_vs_pingpong_ratio",
				    json_real(msgs_per_s > 0 ? pay_per_s / msgs_per_s : 0));
	}
out:
	json_decref(st);
	json_decref(a0);
	json_decref(b0);
	json_decref(a1);
	json_decref(b1);
	pair_stop(&p);
	if (res && state)
		restart_on(o, state, res);
	return res;
}

static double num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void print_run(const char *title, const json_t *r)
{
	printf("%s\n", title);
	printf("  settled              %.0f of %.0f in %.3f s\n", num(r, "settled"), num(r, "payments"),
	       num(r, "seconds"));
	printf("  payments/s           %.0f\n", num(r, "payments_per_s"));
	printf("  HTLC settlements/s   %.0f\n", num(r, "htlc_settlements_per_s"));
	printf("  latency p50 / p99    %.3f ms / %.3f ms\n", num(r, "latency_p50_ms"),
	       num(r, "latency_p99_ms"));
	printf("  peak RSS alice / bob %.0f kB / %.0f kB\n", num(r, "alice_peak_rss_kb"),
	       num(r, "bob_peak_rss_kb"));
	printf("  messages on the wire %.0f/s\n", num(r, "messages_per_s"));
	printf("  CPU per payment      alice %.1f us, bob %.1f us\n", num(r, "alice_cpu_us_per_payment"),
	       num(r, "bob_cpu_us_per_payment"));
	if (json_object_get(r, "pingpong_msgs_per_s"))
		printf("  ping-pong messages/s %.0f (the payments' messages/s is %.3f of it)\n",
		       num(r, "pingpong_msgs_per_s"), num(r, "wire_vs_pingpong"));
	if (json_object_get(r, "rate_first_100k"))
		printf("  first / last 100k    %.0f / %.0f payments/s; RSS at 100k alice %.0f kB, bob "
		       "%.0f kB; most after: %.0f kB, %.0f kB\n", num(r, "rate_first_100k"),
		       num(r, "rate_last_100k"), num(r, "alice_rss_kb_at_100k"),
		       num(r, "bob_rss_kb_at_100k"), num(r, "alice_rss_kb_max_after"),
		       num(r, "bob_rss_kb_max_after"));
	if (json_object_get(r, "alice_state_bytes"))
		printf("  state left           alice %.1f MB, bob %.1f MB; serving again after a "
		       "restart in %.0f ms\n", num(r, "alice_state_bytes") / 1e6,
		       num(r, "bob_state_bytes") / 1e6, num(r, "restart_ms"));
	if (json_object_get(r, "alice_fsyncs"))
		printf("  fsyncs per payment   alice %.3f, bob %.3f (%.0f and %.0f in all; %.0f and "
		       "%.0f commits)\n", num(r, "alice_fsyncs_per_payment"),
		       num(r, "bob_fsyncs_per_payment"), num(r, "alice_fsyncs"), num(r, "bob_fsyncs"),
		       num(r, "alice_commits"), num(r, "bob_commits"));
}

static int parse_bench(int argc, char **argv, struct bench_opts *o, bool *json,
		       const char **state)
{
	static const struct option opts[] = {
		{ "payments", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "channels", required_argument, NULL, 'k' },
		{ "mode", required_argument, NULL, 'm' },
		{ "shards", required_argument, NULL, 's' },
		{ "amount", required_argument, NULL, 'a' },
		{ "pings", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 'S' },
		{ "sync", required_argument, NULL, 'Y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *why;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		uint64_t *dst = NULL;
		switch (c) {
		case 'n': dst = &o->payments; break;
		case 'c': dst = &o->conc; break;
		case 'k': dst = &o->chans; break;
		case 's': dst = &o->shards; break;
		case 'p': dst = &o->pings; break;
		case 't': {
			char *end = NULL;
			o->seconds = strtod(optarg, &end);
			if (!end || *end || !(o->seconds > 0 && o->seconds <= 3600)) {
				fprintf(stderr, "ampsim bench: --seconds '%s': expected a number of "
					"seconds above 0, at most 3600\n", optarg);
				return 2;
			}
			break;
		}
		case 'm': o->mode = optarg; break;
		case 'a': o->amount = optarg; break;
		case 'j': *json = true; break;
		case 'S': *state = optarg; break;
		case 'Y': o->sync = optarg; break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
		}
		if (dst && (!uint_parse(optarg, dst, &why) || *dst == 0)) {
			fprintf(stderr, "ampsim bench: '%s' must be a positive integer\n", optarg);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ampsim bench: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	enum pay_mode pm;
	if (o->shards > MAX_HTLCS || o->chans > 64 || !pay_mode_parse(o->mode, &pm) ||
	    pm == PAY_INVOICES) {
		fprintf(stderr, "ampsim bench: --mode single|mpp|amp, --channels 1..64, --shards 0..%d\n",
			MAX_HTLCS);
		return 2;
	}
	if (strcmp(o->sync, "full") != 0 && strcmp(o->sync, "normal") != 0) {
		fprintf(stderr, "ampsim bench: --sync '%s': expected full or normal\n", o->sync);
		return 2;
	}
	bool parsed = amount_parse(o->amount, &o->amt, &why);
	if (!parsed || amount_is_zero(o->amt)) {
		fprintf(stderr, "ampsim bench: --amount '%s': %s\n", o->amount,
			parsed ? "must be above zero" : why);
		return 2;
	}
	if (*state) {
		/* a new run, not a restart on an earlier one's payments */
		char sub[4200];
		struct stat sb;
		for (int i = 0; i < 2; i++) {
			snprintf(sub, sizeof(sub), "%s/%s", *state, i ? "bob" : "alice");
			if (stat(sub, &sb) == 0) {
				fprintf(stderr, "ampsim bench: --state %s already holds a benchmark's "
					"state (%s); give a new or empty folder\n", *state, sub);
				return 2;
			}
		}
		if (mkdir(*state, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "ampsim bench: --state %s: %s\n", *state, strerror(errno));
			return 2;
		}
	}
	return -1;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = {
		.seconds = 2, .conc = 100, .chans = 10, .pings = 100000,
		.mode = "single", .amount = "1000sat", .sync = "full",
	};
	bool json = false;
	const char *state = NULL;
	int rc = parse_bench(argc, argv, &o, &json, &state);
	if (rc >= 0)
		return rc;
	char err[512];
	json_t *mem = bench_once(&o, NULL, true, err, sizeof(err));
	if (!mem) {
		fprintf(stderr, "ampsim bench: %s\n", err);
		return 1;
	}
	json_t *dur = NULL;
	if (state && !(dur = bench_once(&o, state, false, err, sizeof(err)))) {
		fprintf(stderr, "ampsim bench: durable run: %s\n", err);
		json_decref(mem);
		return 1;
	}
	/* the top level is the run asked for: the durable one with --state */
	json_t *res = json_pack("{s:s,s:I,s:I,s:I}", "mode", o.mode, "concurrency", (json_int_t)o.conc,
				"channels", (json_int_t)o.chans, "shards", (json_int_t)o.shards);
	json_object_update(res, dur ? dur : mem);
	json_object_set_new(res, "durable", json_boolean(dur != NULL));
	if (dur) {
		json_object_set_new(res, "sync", json_string(o.sync));
		json_object_set(res, "in_memory", mem);
		double m = num(mem, "payments_per_s");
		json_object_set_new(res, "durable_vs_in_memory",
				    json_real(m > 0 ? num(dur, "payments_per_s") / m : 0));
	}
	if (json) {
		char *s = json_dumps(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
	} else {
		char title[256];
		snprintf(title, sizeof(title), "ampsim bench: %s payments, %llu in flight, %llu channels, "
			 "in memory", o.mode, (unsigned long long)o.conc, (unsigned long long)o.chans);
		print_run(title, mem);
		if (dur) {
			snprintf(title, sizeof(title), "durable (--state, --sync %s)", o.sync);
			print_run(title, dur);
			printf("  durable / in memory  %.3f of the in-memory payments/s\n",
			       num(res, "durable_vs_in_memory"));
		}
	}
	rc = 0;
	if (num(mem, "settled") < num(mem, "payments") || (dur && num(dur, "settled") < num(dur, "payments")))
		rc = 1;
	json_decref(res);
	json_decref(mem);
	json_decref(dur);
	return rc;
}

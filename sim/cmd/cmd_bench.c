/* ampsim bench: both daemons on loopback with zero simulated delay, as
 * many payments in flight as --concurrency, until --payments have settled;
 * then, over the same kind of socket, the raw rate of framed ping-pong
 * messages, so the payment rate can be read against the transport's. */
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

static long peak_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: ampsim bench [options]\n"
		"  --payments N      payments to settle (default 10000)\n"
		"  --concurrency C   payments in flight at once (default 100)\n"
		"  --channels K      channels between alice and bob (default 10)\n"
		"  --mode M          single | mpp | amp (default single)\n"
		"  --shards S        parts per payment for mpp/amp (default: fewest)\n"
		"  --amount A        amount of each payment (default 1000sat)\n"
		"  --pings N         ping-pong round trips for the raw rate, --concurrency at a\n"
		"                    time (default 100000)\n"
		"  --json            print the results as one JSON object\n"
		"  --state DIR       durable: each daemon keeps its state in DIR (SQLite, WAL)\n");
}

static json_t *call(const char *sock, const char *m, json_t *params, char *err, size_t n)
{
	json_t *r = rpc_call(sock, m, params, 10000, err, n);
	json_decref(params);
	return r;
}

int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "payments", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "channels", required_argument, NULL, 'k' },
		{ "mode", required_argument, NULL, 'm' },
		{ "shards", required_argument, NULL, 's' },
		{ "amount", required_argument, NULL, 'a' },
		{ "pings", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t payments = 10000, conc = 100, chans = 10, shards = 0, pings = 100000;
	const char *mode = "single", *amount = "1000sat", *why;
	bool json = false;
	const char *state = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		uint64_t *dst = NULL;
		switch (c) {
		case 'n': dst = &payments; break;
		case 'c': dst = &conc; break;
		case 'k': dst = &chans; break;
		case 's': dst = &shards; break;
		case 'p': dst = &pings; break;
		case 'm': mode = optarg; break;
		case 'a': amount = optarg; break;
		case 'j': json = true; break;
		case 'S': state = optarg; break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
		}
		if (dst && (!uint_parse(optarg, dst, &why) || *dst == 0)) {
			fprintf(stderr, "ampsim bench: '%s' must be a positive integer\n", optarg);
			return 2;
		}
	}
	enum pay_mode pm;
	if (shards > MAX_HTLCS || chans > 64 || !pay_mode_parse(mode, &pm) || pm == PAY_INVOICES) {
		fprintf(stderr, "ampsim bench: --mode single|mpp|amp, --channels 1..64, --shards 0..%d\n", MAX_HTLCS);
		return 2;
	}
	struct amount_msat amt;
	bool parsed = amount_parse(amount, &amt, &why);
	if (!parsed || amount_is_zero(amt)) {
		fprintf(stderr, "ampsim bench: --amount '%s': %s\n", amount,
			parsed ? "must be above zero" : why);
		return 2;
	}

	char dir[64];
	if (!make_temp_dir("ampsim-bench", dir, sizeof(dir))) {
		fprintf(stderr, "ampsim bench: %s\n", strerror(errno));
		return 1;
	}
	char bob_exe[4096], alice_exe[4096], bsock[128], asock[128], bready[128], aready[128];
	char blog[128], alog[128], err[512];
	snprintf(bsock, sizeof(bsock), "%s/bob.sock", dir);
	snprintf(asock, sizeof(asock), "%s/alice.sock", dir);
	snprintf(bready, sizeof(bready), "%s/bob.ready", dir);
	snprintf(aready, sizeof(aready), "%s/alice.ready", dir);
	snprintf(blog, sizeof(blog), "%s/bob.log", dir);
	snprintf(alog, sizeof(alog), "%s/alice.log", dir);
	if (!find_daemon("bob", bob_exe, sizeof(bob_exe)) || !find_daemon("alice", alice_exe, sizeof(alice_exe))) {
		fprintf(stderr, "ampsim bench: cannot find the alice and bob executables\n");
		return 1;
	}
	int rc = 0;
	pid_t alice = 0;
	char bstate[4200], astate[4200];
	snprintf(bstate, sizeof(bstate), "%s/bob", state ? state : "");
	snprintf(astate, sizeof(astate), "%s/alice", state ? state : "");
	if (state && mkdir(state, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "ampsim bench: --state %s: %s\n", state, strerror(errno));
		rmdir(dir);
		return 2;
	}
	char *bargv[] = { bob_exe, "--listen", "127.0.0.1:0", "--control", bsock, "--ready-file",
			  bready, "--hold", "3600s", state ? "--state" : NULL, bstate, NULL };
	pid_t bob = spawn_daemon(bargv, blog);
	json_t *br = wait_ready(bready, bob, 10000, err, sizeof(err));
	if (!br) {
		fprintf(stderr, "ampsim bench: bob %s\n", err);
		rc = 1;
		goto out;
	}
	char connect[64];
	snprintf(connect, sizeof(connect), "127.0.0.1:%lld", (long long)json_integer_value(json_object_get(br, "port")));
	json_decref(br);
	/* each channel can carry every payment in full */
	struct amount_msat cap;
	if (!amount_mul(&cap, amt, payments + 1)) {
		fprintf(stderr, "ampsim bench: amount times payments overflows\n");
		rc = 2;
		goto out;
	}
	char spec[64][160];
	char *aargv[10 + 2 * 64 + 1];
	size_t n = 0;
	aargv[n++] = alice_exe;
	aargv[n++] = "--connect";
	aargv[n++] = connect;
	for (uint64_t i = 0; i < chans; i++) {
		snprintf(spec[i], sizeof(spec[i]), "id=c%llu,capacity=%llumsat,max_htlcs=" MAX_HTLCS_STR,
			 (unsigned long long)i + 1, (unsigned long long)cap.millisatoshis);
		aargv[n++] = "--channel";
		aargv[n++] = spec[i];
	}
	aargv[n++] = "--control";
	aargv[n++] = asock;
	aargv[n++] = "--ready-file";
	aargv[n++] = aready;
	if (state) {
		aargv[n++] = "--state";
		aargv[n++] = astate;
	}
	aargv[n] = NULL;
	alice = spawn_daemon(aargv, alog);
	json_t *ar = wait_ready(aready, alice, 10000, err, sizeof(err));
	if (!ar) {
		fprintf(stderr, "ampsim bench: alice %s\n", err);
		rc = 1;
		goto out;
	}
	json_decref(ar);
	json_t *ok = call(asock, "bench", json_pack("{s:I,s:I,s:s,s:I,s:s}", "payments", (json_int_t)payments,
						     "concurrency", (json_int_t)conc, "mode", mode,
						     "shards", (json_int_t)shards, "amount", amount), err, sizeof(err));
	if (!ok) {
		fprintf(stderr, "ampsim bench: %s\n", err);
		rc = 1;
		goto out;
	}
	json_decref(ok);
	json_t *st = NULL;
	long long t0 = mono_now_ms();
	for (;;) {
		st = call(asock, "benchstatus", NULL, err, sizeof(err));
		if (!st) {
			fprintf(stderr, "ampsim bench: %s\n", err);
			rc = 1;
			goto out;
		}
		if (json_object_get(st, "wall_us"))
			break;
		json_decref(st);
		if (mono_now_ms() - t0 > 600000) {
			fprintf(stderr, "ampsim bench: payments did not finish within 10 minutes\n");
			rc = 1;
			goto out;
		}
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
	/* the transport's own rate: framed ping-pong on the same connection */
	ok = call(asock, "pingtest", json_pack("{s:I,s:I}", "count", (json_int_t)pings, "window", (json_int_t)conc), err, sizeof(err));
	json_decref(ok);
	json_t *info = NULL;
	for (;;) {
		info = call(asock, "getinfo", NULL, err, sizeof(err));
		if (!info || json_object_get(info, "ping_wall_us"))
			break;
		json_decref(info);
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	double wall_s = (double)json_integer_value(json_object_get(st, "wall_us")) / 1e6;
	double settled = (double)json_integer_value(json_object_get(st, "settled"));
	double htlcs = (double)json_integer_value(json_object_get(st, "htlcs_fulfilled"));
	double ping_s = info ? (double)json_integer_value(json_object_get(info, "ping_wall_us")) / 1e6 : 0;
	double msgs_per_s = ping_s > 0 ? 2.0 * (double)pings / ping_s : 0;
	double pay_per_s = wall_s > 0 ? settled / wall_s : 0;
	/* a settled single-part payment takes 5 messages (invoice request,
	 * invoice, add, fulfill, ack); the ratio is payments/s over the
	 * messages/s the same connection carries with as many in flight */
	long rss_a = peak_rss_kb(alice), rss_b = peak_rss_kb(bob);
	json_t *res = json_pack("{s:s,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:I,s:I,s:f,s:f}",
				"mode", mode, "payments", (json_int_t)payments, "concurrency", (json_int_t)conc,
				"channels", (json_int_t)chans, "settled", (json_int_t)settled,
				"seconds", wall_s, "payments_per_s", pay_per_s,
				"htlc_settlements_per_s", wall_s > 0 ? htlcs / wall_s : 0,
				"latency_p50_ms", (double)json_integer_value(json_object_get(st, "p50_us")) / 1000.0,
				"latency_p99_ms", (double)json_integer_value(json_object_get(st, "p99_us")) / 1000.0,
				"alice_peak_rss_kb", (json_int_t)rss_a, "bob_peak_rss_kb", (json_int_t)rss_b,
				"pingpong_msgs_per_s", msgs_per_s,
				"payments_vs_pingpong_ratio", msgs_per_s > 0 ? pay_per_s / msgs_per_s : 0);
	json_object_set_new(res, "durable", json_boolean(state != NULL));
	if (json) {
		char *s = json_dumps(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
	} else {
		printf("ampsim bench: %llu %s payments, %llu in flight, %llu channels%s\n",
		       (unsigned long long)payments, mode, (unsigned long long)conc, (unsigned long long)chans,
		       state ? ", durable state" : "");
		printf("  settled              %.0f in %.3f s\n", settled, wall_s);
		printf("  payments/s           %.0f\n", pay_per_s);
		printf("  HTLC settlements/s   %.0f\n", wall_s > 0 ? htlcs / wall_s : 0);
		printf("  latency p50 / p99    %.3f ms / %.3f ms\n",
		       (double)json_integer_value(json_object_get(st, "p50_us")) / 1000.0,
		       (double)json_integer_value(json_object_get(st, "p99_us")) / 1000.0);
		printf("  peak RSS alice / bob %ld kB / %ld kB\n", rss_a, rss_b);
		printf("  ping-pong messages/s %.0f (payments/s is %.4f of it)\n", msgs_per_s,
		       msgs_per_s > 0 ? pay_per_s / msgs_per_s : 0);
	}
	if (settled < (double)payments)
		rc = 1;
	json_decref(res);
	json_decref(info);
	json_decref(st);
out:
	if (alice > 0) {
		json_decref(rpc_call(asock, "stop", NULL, 1000, err, sizeof(err)));
		stop_daemon(alice, 5000);
	}
	if (bob > 0) {
		json_decref(rpc_call(bsock, "stop", NULL, 1000, err, sizeof(err)));
		stop_daemon(bob, 5000);
	}
	const char *names[] = { "bob.sock", "alice.sock", "bob.ready", "alice.ready", "bob.log", "alice.log" };
	for (size_t i = 0; i < 6; i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	return rc;
}

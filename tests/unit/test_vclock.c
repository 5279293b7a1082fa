/* The virtual clock end to end: a coordinator (sim/cmd/vcoord.c) in this
 * process and two "daemons" (two timebases and two peers on a socketpair,
 * sim/runtime/timebase.c and peer.c) in a child process. Time jumps from
 * instant to instant; messages arrive exactly at send time + link delay;
 * nothing depends on how long the work takes in wall time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <event2/event.h>

#include "frame.h"
#include "link.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "timebase.h"
#include "vcoord.h"

#define MS 1000ULL
#define SEC 1000000ULL

struct node {
	struct timebase *tb;
	struct peer *peer;
	struct link out;
	struct tb_timer *t;
	uint64_t got_at[8];
	unsigned got;
	unsigned ticks;
	struct event_base *base;
};

static struct node A, B;            /* alice and bob, in the child */

static void on_msg(struct peer *p, const Ampsim__Envelope *env, void *arg)
{
	(void)p;
	struct node *n = arg;
	if (n->got < 8)
		n->got_at[n->got] = timebase_now(n->tb);
	n->got++;
	if (n == &B && env->msg_case == AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC) {
		/* bob answers at once: the fulfill leaves at the same instant */
		static uint8_t pre[32];
		struct msg m;
		peer_send_on(B.peer, &B.out, "c1", MSG_FULFILL,
			     msg_fulfill(&m, "c1", env->update_add_htlc->htlc_id, pre));
	}
}

static void on_close(struct peer *p, const char *why, void *arg)
{
	(void)p;
	(void)why;
	((struct node *)arg)->peer = NULL;
}

static const struct peer_ops ops = { on_msg, on_close };

/* alice: at 1 s and again at 5 s she sends an add */
static void alice_timer(void *arg)
{
	(void)arg;
	static uint8_t h[32];
	struct msg m;
	struct msg_add a = { .channel = "c1", .htlc_id = A.ticks, .amount_msat = 1000, .hash = h,
			     .cltv_expiry = 40 };
	peer_send_on(A.peer, &A.out, "c1", MSG_ADD, msg_add(&m, &a));
	if (++A.ticks == 1)
		tb_timer_at(A.t, 5 * SEC);
}

static void on_end(void *arg)
{
	event_base_loopbreak(arg);
}

/* Two ends of a loopback TCP connection: the clock knows a connection by
 * its addresses, as both daemons see them. */
static int tcp_pair(int sp[2])
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof(sin);
	if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&sin, &sl) != 0)
		return -1;
	sp[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(sp[0], (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return -1;
	sp[1] = accept(l, NULL, NULL);
	close(l);
	return sp[1] < 0 ? -1 : 0;
}

static int child(const char *path, int result_fd)
{
	char err[256];
	struct event_base *base = event_base_new();
	struct simclock clk = { 0, SEC, 1 };
	struct evlog *log = evlog_open(NULL, "test", &clk, err, sizeof(err));
	int sp[2];
	if (tcp_pair(sp) != 0)
		return 1;
	evutil_make_socket_nonblocking(sp[0]);
	evutil_make_socket_nonblocking(sp[1]);
	A.tb = timebase_virtual(base, path, "alice", 0, err, sizeof(err));
	B.tb = timebase_virtual(base, path, "bob", 0, err, sizeof(err));
	if (!A.tb || !B.tb)
		return 2;
	timebase_on_end(A.tb, on_end, base);
	struct link_params to_bob = { .delay_us = 20 * MS }, to_alice = { .delay_us = 80 * MS };
	link_init(&A.out, &to_bob, 1, "c1", "to_bob");
	link_init(&B.out, &to_alice, 1, "c1", "to_alice");
	A.peer = peer_new(base, sp[0], "alice", &ops, &A, log, &clk);
	B.peer = peer_new(base, sp[1], "bob", &ops, &B, log, &clk);
	peer_set_timebase(A.peer, A.tb);
	peer_set_timebase(B.peer, B.tb);
	A.t = tb_timer_new(A.tb, alice_timer, NULL);
	tb_timer_at(A.t, 1 * SEC);
	event_base_dispatch(base);
	uint64_t out[5] = { A.got, A.got_at[0], A.got_at[1], B.got_at[0], B.got_at[1] };
	if (write(result_fd, out, sizeof(out)) != (ssize_t)sizeof(out))
		return 3;
	tb_timer_free(A.t);
	if (A.peer)
		peer_free(A.peer);
	if (B.peer)
		peer_free(B.peer);
	timebase_free(A.tb);
	timebase_free(B.tb);
	evlog_close(log);
	event_base_free(base);
	return 0;
}

static void time_jumps_and_messages_arrive_at_their_instant(void **state)
{
	(void)state;
	char dir[64], path[128], err[256], why[160];
	assert_true(make_temp_dir("ampsim-vclock", dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/clock.sock", dir);
	struct vcoord *vc = vcoord_listen(path, err, sizeof(err));
	assert_non_null(vc);
	int res[2];
	assert_int_equal(pipe(res), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(res[0]);
		_exit(child(path, res[1]));
	}
	close(res[1]);
	const char *nodes[] = { "alice", "bob" };
	uint64_t instants[16];
	size_t ninst = 0;
	for (;;) {
		uint64_t next;
		if (vcoord_settle(vc, nodes, 2, 10000, &next, why, sizeof(why)) != VC_SETTLED)
			fail_msg("the clock never settled at %llu us: waiting for %s",
				 (unsigned long long)vcoord_now(vc), why);
		if (next == VC_NO_TIMER)
			break;
		assert_true(next > vcoord_now(vc));
		assert_true(ninst < 16);
		instants[ninst++] = next;
		vcoord_advance(vc, next);
	}
	vcoord_end(vc);
	uint64_t out[5];
	assert_int_equal(read(res[0], out, sizeof(out)), (ssize_t)sizeof(out));
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the instants: 1 s (alice's timer), +20 ms (add delivered), +80 ms
	 * (fulfill delivered), then the same from 5 s */
	uint64_t want[] = { 1 * SEC, 1 * SEC + 20 * MS, 1 * SEC + 100 * MS,
			    5 * SEC, 5 * SEC + 20 * MS, 5 * SEC + 100 * MS };
	assert_int_equal(ninst, 6);
	for (size_t i = 0; i < 6; i++)
		assert_true(instants[i] == want[i]);
	/* and what each side saw when */
	assert_int_equal(out[0], 2);
	assert_true(out[1] == 1 * SEC + 100 * MS);      /* alice: first fulfill */
	assert_true(out[2] == 5 * SEC + 100 * MS);
	assert_true(out[3] == 1 * SEC + 20 * MS);       /* bob: first add */
	assert_true(out[4] == 5 * SEC + 20 * MS);
	close(res[0]);
	vcoord_free(vc);
	rmdir(dir);
}

static int scripted(const char *path, const char *hello)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(write(fd, hello, strlen(hello)), (ssize_t)strlen(hello));
	return fd;
}

static void say(int fd, const char *line)
{
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
}

/* The coordinator's rules, against daemons played by hand. */
static void in_flight_messages_hold_time_and_closed_connections_do_not(void **state)
{
	(void)state;
	char dir[64], path[128], err[256], why[160];
	assert_true(make_temp_dir("ampsim-vclock", dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/clock.sock", dir);
	struct vcoord *vc = vcoord_listen(path, err, sizeof(err));
	assert_non_null(vc);
	const char *nodes[] = { "alice", "bob" };
	uint64_t next;
	int a = scripted(path, "hello alice\n");
	/* bob has not joined: nothing moves */
	say(a, "idle 0 0 - \n");
	assert_int_equal(vcoord_settle(vc, nodes, 2, 50, &next, why, sizeof(why)), VC_TIMEOUT);
	assert_non_null(strstr(why, "bob to join"));
	int b = scripted(path, "hello bob\n");
	/* alice sent one message on K that bob has not handled yet */
	say(a, "idle 0 0 7000 K 1 0 open\n");
	say(b, "idle 0 0 - K 0 0 open\n");
	assert_int_equal(vcoord_settle(vc, nodes, 2, 50, &next, why, sizeof(why)), VC_TIMEOUT);
	assert_non_null(strstr(why, "1 message(s) from alice on their way to bob"));
	/* handled, and bob armed a timer earlier than alice's */
	say(b, "idle 0 0 3000 K 0 1 open\n");
	assert_int_equal(vcoord_settle(vc, nodes, 2, 5000, &next, why, sizeof(why)), VC_SETTLED);
	assert_true(next == 3000);
	vcoord_advance(vc, 3000);
	/* a report of the old instant does not count for the new one */
	say(a, "idle 0 0 7000 K 1 0 open\n");
	say(b, "idle 3000 1 - K 0 1 open\n");
	assert_int_equal(vcoord_settle(vc, nodes, 2, 50, &next, why, sizeof(why)), VC_TIMEOUT);
	assert_non_null(strstr(why, "alice to finish instant 3000"));
	/* alice sends again, then the connection is cut with it inside:
	 * what a closed connection held is lost, not waited for */
	say(a, "idle 3000 1 7000 K 2 0 closed\n");
	assert_int_equal(vcoord_settle(vc, nodes, 2, 5000, &next, why, sizeof(why)), VC_SETTLED);
	assert_true(next == 7000);
	/* the run changed the daemons (a payment, a fault): it asks again, and
	 * a report of the same instant made before that does not count */
	vcoord_advance(vc, 3000);
	say(a, "idle 3000 1 7000 K 2 0 closed\n");
	say(b, "idle 3000 2 - K 0 1 open\n");
	assert_int_equal(vcoord_settle(vc, nodes, 2, 50, &next, why, sizeof(why)), VC_TIMEOUT);
	assert_non_null(strstr(why, "alice to finish instant 3000"));
	say(a, "idle 3000 2 4000 K 2 0 closed\n");
	assert_int_equal(vcoord_settle(vc, nodes, 2, 5000, &next, why, sizeof(why)), VC_SETTLED);
	assert_true(next == 4000);
	/* a daemon that goes away and comes back (a restart) joins at now */
	close(a);
	a = scripted(path, "hello alice\n");
	/* the coordinator answers the hello while it waits for alice's report */
	assert_int_equal(vcoord_settle(vc, nodes, 2, 50, &next, why, sizeof(why)), VC_TIMEOUT);
	assert_non_null(strstr(why, "alice to finish instant 3000"));
	char line[64] = "";
	ssize_t n = read(a, line, sizeof(line) - 1);
	assert_true(n > 0);
	line[n] = '\0';
	assert_string_equal(line, "advance 3000 2\n");
	close(a);
	close(b);
	vcoord_free(vc);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(time_jumps_and_messages_arrive_at_their_instant),
		cmocka_unit_test(in_flight_messages_hold_time_and_closed_connections_do_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

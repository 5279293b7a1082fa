/* Event-loop tests of the framed peer connection (sim/peer.c): a fresh
 * event_base and a socketpair per test, as libevent's own regress tests
 * do. Nothing sleeps: each test runs the loop until its condition holds,
 * bounded by a timeout event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <event2/event.h>

#include "frame.h"
#include "peer.h"

#define MAX_GOT 64

struct side {
	struct event_base *base;
	struct peer *peer;
	unsigned got;
	uint64_t ids[MAX_GOT];
	char closed[200];
	unsigned want;
};

static void on_msg(struct peer *p, const Ampsim__Envelope *env, void *arg)
{
	(void)p;
	struct side *s = arg;
	if (env->msg_case == AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC && s->got < MAX_GOT)
		s->ids[s->got] = env->update_add_htlc->htlc_id;
	s->got++;
	if (s->got >= s->want)
		event_base_loopbreak(s->base);
}

static void on_close(struct peer *p, const char *why, void *arg)
{
	(void)p;
	struct side *s = arg;
	snprintf(s->closed, sizeof(s->closed), "%s", why);
	s->peer = NULL;
	event_base_loopbreak(s->base);
}

static const struct peer_ops ops = { on_msg, on_close };

struct fx {
	struct event_base *base;
	struct simclock clk;
	struct evlog *log;
	struct side a, b;
	int fds[2];
	struct event *guard;
};

static void guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[128];
	f->base = event_base_new();
	f->clk.epoch_unix_us = simclock_wall_now_us();
	f->clk.block_interval_us = 1000000;
	f->clk.time_scale = 10;
	f->log = evlog_open(NULL, "test", &f->clk, err, sizeof(err));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, f->fds) != 0)
		return -1;
	evutil_make_socket_nonblocking(f->fds[0]);
	evutil_make_socket_nonblocking(f->fds[1]);
	f->a.base = f->b.base = f->base;
	f->a.peer = peer_new(f->base, f->fds[0], "a", &ops, &f->a, f->log, &f->clk);
	f->b.peer = peer_new(f->base, f->fds[1], "b", &ops, &f->b, f->log, &f->clk);
	f->guard = evtimer_new(f->base, guard_cb, f->base);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f->a.peer)
		peer_free(f->a.peer);
	if (f->b.peer)
		peer_free(f->b.peer);
	event_free(f->guard);
	evlog_close(f->log);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* run the loop until the condition callback breaks it, or 5 s pass */
static void run(struct fx *f)
{
	struct timeval tv = { 5, 0 };
	evtimer_add(f->guard, &tv);
	event_base_dispatch(f->base);
	evtimer_del(f->guard);
}

static void send_add(struct fx *f, struct link *l, uint64_t id)
{
	static uint8_t h[32];
	Ampsim__UpdateAddHtlc add = AMPSIM__UPDATE_ADD_HTLC__INIT;
	Ampsim__Envelope env = AMPSIM__ENVELOPE__INIT;
	add.channel_id = "c1";
	add.htlc_id = id;
	add.amount_msat = 1000;
	add.payment_hash.len = 32;
	add.payment_hash.data = h;
	env.msg_case = AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC;
	env.update_add_htlc = &add;
	if (l)
		peer_send_on(f->a.peer, l, "c1", MSG_ADD, &env);
	else
		peer_send(f->a.peer, &env);
}

static void messages_arrive_in_order(void **state)
{
	struct fx *f = *state;
	struct link_params lp = { .delay_us = 20000 };
	struct link l;
	link_init(&l, &lp, 1, "c1", "to_bob");
	f->b.want = 20;
	for (uint64_t i = 0; i < 20; i++)
		send_add(f, &l, i);
	assert_int_equal(peer_pending(f->a.peer), 20);
	run(f);
	assert_int_equal(f->b.got, 20);
	for (uint64_t i = 0; i < 20; i++)
		assert_int_equal(f->b.ids[i], i);
	assert_int_equal(peer_pending(f->a.peer), 0);
}

static void dropped_messages_never_arrive(void **state)
{
	struct fx *f = *state;
	struct link_params lp = { .drop = 1.0 };
	struct link lossy, clean;
	link_init(&lossy, &lp, 1, "c1", "to_bob");
	struct link_params ok = { 0 };
	link_init(&clean, &ok, 1, "c1", "to_bob");
	f->b.want = 1;
	send_add(f, &lossy, 1);
	send_add(f, &clean, 2);
	run(f);
	assert_int_equal(f->b.got, 1);
	assert_int_equal(f->b.ids[0], 2);
}

static void held_messages_wait_for_up(void **state)
{
	struct fx *f = *state;
	struct link_params lp = { .delay_us = 1000 };
	struct link l;
	link_init(&l, &lp, 1, "c1", "to_bob");
	l.down = true;
	for (uint64_t i = 0; i < 3; i++)
		send_add(f, &l, 10 + i);
	assert_int_equal(peer_held(f->a.peer), 3);
	assert_int_equal(peer_pending(f->a.peer), 0);
	/* nothing arrives while down: a plain message goes first */
	f->b.want = 1;
	send_add(f, NULL, 99);
	run(f);
	assert_int_equal(f->b.got, 1);
	assert_int_equal(f->b.ids[0], 99);
	l.down = false;
	peer_release_held(f->a.peer, &l, "c1");
	f->b.want = 4;
	run(f);
	assert_int_equal(f->b.got, 4);
	assert_int_equal(f->b.ids[1], 10);
	assert_int_equal(f->b.ids[2], 11);
	assert_int_equal(f->b.ids[3], 12);
}

static void link_down_in_flight_holds_the_message(void **state)
{
	struct fx *f = *state;
	struct link_params lp = { .delay_us = 100000 };   /* 10 ms wall at scale 10 */
	struct link l;
	link_init(&l, &lp, 1, "c1", "to_bob");
	send_add(f, &l, 7);
	l.down = true;               /* goes down while the add is on its way */
	f->b.want = 1;
	send_add(f, NULL, 8);        /* a plain message, to have something to wait for */
	run(f);
	assert_int_equal(f->b.ids[0], 8);
	/* wait past the add's due time: it must be held, not delivered */
	struct event *t = evtimer_new(f->base, guard_cb, f->base);
	struct timeval tv = { 0, 50000 };
	evtimer_add(t, &tv);
	event_base_dispatch(f->base);
	event_free(t);
	assert_int_equal(f->b.got, 1);
	assert_int_equal(peer_held(f->a.peer), 1);
	l.down = false;
	peer_release_held(f->a.peer, &l, "c1");
	f->b.want = 2;
	run(f);
	assert_int_equal(f->b.got, 2);
	assert_int_equal(f->b.ids[1], 7);
}

static void forgotten_link_sends_nothing(void **state)
{
	struct fx *f = *state;
	struct link_params lp = { .delay_us = 50000 };
	struct link l;
	link_init(&l, &lp, 1, "c1", "to_bob");
	send_add(f, &l, 1);
	send_add(f, &l, 2);
	peer_forget_link(f->a.peer, &l);
	assert_int_equal(peer_pending(f->a.peer), 0);
	f->b.want = 1;
	send_add(f, NULL, 3);
	run(f);
	assert_int_equal(f->b.got, 1);
	assert_int_equal(f->b.ids[0], 3);
}

static void bad_frames_close_with_reason(void **state)
{
	struct fx *f = *state;
	static const struct {
		uint8_t bytes[12];
		size_t len;
		const char *reason;
	} cases[] = {
		{ { 0xff, 0xff, 0xff, 0xf0 }, 4, "frame length" },
		{ { 0, 0, 0, 0 }, 4, "frame length" },
		{ { 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff }, 8, "not a valid protobuf" },
		{ { 0, 0, 0, 2, 0x52, 0x00 }, 6, NULL },   /* a valid empty ping: stays open */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int sp[2];
		struct side c = { .base = f->base, .want = 1 };
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
		evutil_make_socket_nonblocking(sp[1]);
		c.peer = peer_new(f->base, sp[1], "raw", &ops, &c, f->log, &f->clk);
		assert_int_equal(write(sp[0], cases[i].bytes, cases[i].len), (ssize_t)cases[i].len);
		run(f);
		if (cases[i].reason) {
			assert_null(c.peer);
			assert_non_null(strstr(c.closed, cases[i].reason));
		} else {
			assert_non_null(c.peer);
			assert_int_equal(c.got, 1);
			peer_free(c.peer);
		}
		close(sp[0]);
	}
}

/* A peer that sends pings and never reads our (large) answers. */
struct echo {
	struct event_base *base;
	struct peer *peer;
	unsigned got;
	size_t max_out;
	char why[200];
};

static void echo_msg(struct peer *p, const Ampsim__Envelope *env, void *arg)
{
	static uint8_t junk[8192];
	struct echo *e = arg;
	(void)env;
	e->got++;
	Ampsim__Pong pong = AMPSIM__PONG__INIT;
	Ampsim__Envelope r = AMPSIM__ENVELOPE__INIT;
	pong.ignored.len = sizeof(junk);
	pong.ignored.data = junk;
	r.msg_case = AMPSIM__ENVELOPE__MSG_PONG;
	r.pong = &pong;
	peer_send(p, &r);
	if (peer_output_len(p) > e->max_out)
		e->max_out = peer_output_len(p);
	if (peer_output_len(p) >= 1024 * 1024)
		event_base_loopbreak(e->base);
}

static void echo_close(struct peer *p, const char *why, void *arg)
{
	(void)p;
	struct echo *e = arg;
	snprintf(e->why, sizeof(e->why), "%s", why);
	e->peer = NULL;
	event_base_loopbreak(e->base);
}

static void peer_that_does_not_read_is_not_buffered_without_limit(void **state)
{
	struct fx *f = *state;
	static const struct peer_ops echo_ops = { echo_msg, echo_close };
	int sp[2];
	struct echo e = { .base = f->base };
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	evutil_make_socket_nonblocking(sp[0]);
	evutil_make_socket_nonblocking(sp[1]);
	e.peer = peer_new(f->base, sp[1], "reader-less", &echo_ops, &e, f->log, &f->clk);
	const unsigned total = 400;
	static const uint8_t ping[6] = { 0, 0, 0, 2, 0x52, 0x00 };
	static uint8_t pings[400 * sizeof(ping)];
	for (unsigned i = 0; i < total; i++)
		memcpy(pings + i * sizeof(ping), ping, sizeof(ping));
	assert_int_equal(write(sp[0], pings, sizeof(pings)), (ssize_t)sizeof(pings));
	run(f);                         /* until the output reaches the watermark */
	assert_true(peer_paused(e.peer));
	unsigned got = e.got;
	assert_true(got < total);
	for (int i = 0; i < 20; i++)   /* paused: nothing more is read */
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	assert_int_equal(e.got, got);
	/* bounded: the watermark plus one answer */
	assert_true(e.max_out <= 1024 * 1024 + 8192 + 64);
	/* the peer reads again: so do we, to the last ping */
	uint8_t buf[65536];
	for (int spins = 0; e.got < total && spins < 100000; spins++) {
		while (read(sp[0], buf, sizeof(buf)) > 0)
			;
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	}
	assert_int_equal(e.got, total);
	assert_false(peer_paused(e.peer));
	peer_free(e.peer);
	close(sp[0]);
}

/* e's peer on one end of sp, with a 100 ms write timeout, sent 400 pings
 * (each answered with 8 KiB) from the other end. */
static void pinged_with_a_write_timeout(struct fx *f, struct echo *e, int sp[2], const char *name)
{
	static const struct peer_ops echo_ops = { echo_msg, echo_close };
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	evutil_make_socket_nonblocking(sp[0]);
	evutil_make_socket_nonblocking(sp[1]);
	e->peer = peer_new(f->base, sp[1], name, &echo_ops, e, f->log, &f->clk);
	peer_set_timeouts(e->peer, 100, 0);
	static const uint8_t ping[6] = { 0, 0, 0, 2, 0x52, 0x00 };
	static uint8_t pings[400 * sizeof(ping)];
	for (unsigned i = 0; i < 400; i++)
		memcpy(pings + i * sizeof(ping), ping, sizeof(ping));
	assert_int_equal(write(sp[0], pings, sizeof(pings)), (ssize_t)sizeof(pings));
}

static void peer_that_does_not_read_is_closed_at_the_write_timeout(void **state)
{
	struct fx *f = *state;
	int sp[2];
	struct echo e = { .base = f->base };
	pinged_with_a_write_timeout(f, &e, sp, "reader-less");
	run(f);                         /* until the output reaches the watermark */
	assert_non_null(e.peer);
	assert_true(peer_paused(e.peer));
	run(f);                         /* until the write timeout closes it */
	assert_null(e.peer);
	assert_non_null(strstr(e.why, "does not read"));
	assert_non_null(strstr(e.why, "after 100 ms"));
	close(sp[0]);
}

static void a_reader_that_keeps_up_is_not_closed(void **state)
{
	struct fx *f = *state;
	int sp[2];
	struct echo e = { .base = f->base };
	pinged_with_a_write_timeout(f, &e, sp, "slow-reader");
	run(f);                         /* the output passes the watermark */
	assert_non_null(e.peer);
	/* it reads everything, each time within the timeout: it stays */
	uint8_t buf[65536];
	for (int spins = 0; e.got < 400 && e.peer && spins < 100000; spins++) {
		while (read(sp[0], buf, sizeof(buf)) > 0)
			;
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	}
	assert_non_null(e.peer);
	assert_int_equal(e.got, 400);
	/* well past the timeout: the drained output disarmed it */
	struct timeval tv = { 0, 300000 };
	evtimer_add(f->guard, &tv);
	event_base_dispatch(f->base);
	assert_non_null(e.peer);
	assert_int_equal(e.why[0], 0);
	peer_free(e.peer);
	close(sp[0]);
}

/* A closed peer frees itself once its error message is written: let the
 * loop do that write. */
static void flush_closed(struct fx *f)
{
	for (int i = 0; i < 10; i++)
		event_base_loop(f->base, EVLOOP_NONBLOCK);
}

static struct peer *raw_peer(struct fx *f, struct side *c, int sp[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	evutil_make_socket_nonblocking(sp[1]);
	c->base = f->base;
	c->want = 1;
	c->peer = peer_new(f->base, sp[1], "raw", &ops, c, f->log, &f->clk);
	return c->peer;
}

static unsigned idle_asked;
static bool keep_when_idle(struct peer *p, void *arg)
{
	(void)p;
	struct side *s = arg;
	if (++idle_asked == 2)
		event_base_loopbreak(s->base);
	return false;
}

static void idle_peer_is_closed_unless_kept(void **state)
{
	struct fx *f = *state;
	int sp[2];
	struct side c = { 0 };
	peer_set_timeouts(raw_peer(f, &c, sp), 0, 50);
	static const uint8_t ping[6] = { 0, 0, 0, 2, 0x52, 0x00 };
	assert_int_equal(write(sp[0], ping, sizeof(ping)), (ssize_t)sizeof(ping));
	c.want = 100;                  /* run until it is closed */
	run(f);
	assert_null(c.peer);
	assert_int_equal(c.got, 1);
	assert_non_null(strstr(c.closed, "idle: no message for 50 ms"));
	flush_closed(f);
	close(sp[0]);

	/* the owner keeps it: asked again each period, never closed */
	static const struct peer_ops keep_ops = { on_msg, on_close, NULL, keep_when_idle };
	struct side k = { .base = f->base, .want = 100 };
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	evutil_make_socket_nonblocking(sp[1]);
	k.peer = peer_new(f->base, sp[1], "kept", &keep_ops, &k, f->log, &f->clk);
	peer_set_timeouts(k.peer, 0, 50);
	idle_asked = 0;
	run(f);
	assert_int_equal(idle_asked, 2);
	assert_non_null(k.peer);
	assert_int_equal(k.closed[0], 0);
	peer_free(k.peer);
	close(sp[0]);
}

static void unfinished_frame_is_closed_at_its_deadline(void **state)
{
	struct fx *f = *state;
	int sp[2];
	struct side c = { 0 };
	peer_set_deadlines(raw_peer(f, &c, sp), 0, 50);
	static const uint8_t part[8] = { 0, 0, 0, 100, 0x52, 0x00, 0x01, 0x02 };
	assert_int_equal(write(sp[0], part, sizeof(part)), (ssize_t)sizeof(part));
	run(f);
	assert_null(c.peer);
	assert_non_null(strstr(c.closed, "frame incomplete for 50 ms"));
	assert_int_equal(c.got, 0);
	flush_closed(f);
	close(sp[0]);
}

/* While we do not read on our own account (our output to the peer is
 * over the watermark), its unhandled bytes are not "a frame incomplete":
 * the deadline runs only while we read. */
static void paused_reading_does_not_count_against_a_frame(void **state)
{
	struct fx *f = *state;
	static const struct peer_ops echo_ops = { echo_msg, echo_close };
	int sp[2];
	struct echo e = { .base = f->base };
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	evutil_make_socket_nonblocking(sp[0]);
	evutil_make_socket_nonblocking(sp[1]);
	e.peer = peer_new(f->base, sp[1], "paused", &echo_ops, &e, f->log, &f->clk);
	peer_set_timeouts(e.peer, 0, 0);          /* no write timeout: only the frame deadline */
	peer_set_deadlines(e.peer, 0, 50);
	const unsigned total = 400;
	static const uint8_t ping[6] = { 0, 0, 0, 2, 0x52, 0x00 };
	static uint8_t pings[400 * sizeof(ping)];
	for (unsigned i = 0; i < total; i++)
		memcpy(pings + i * sizeof(ping), ping, sizeof(ping));
	assert_int_equal(write(sp[0], pings, sizeof(pings)), (ssize_t)sizeof(pings));
	run(f);                         /* until the output reaches the watermark */
	assert_non_null(e.peer);
	assert_true(peer_paused(e.peer));
	assert_true(e.got < total);     /* pings wait unread */
	/* six deadlines pass while we do not read: it stays */
	struct timeval tv = { 0, 300000 };
	evtimer_add(f->guard, &tv);
	event_base_dispatch(f->base);
	assert_non_null(e.peer);
	assert_int_equal(e.why[0], 0);
	/* the peer reads again: so do we, to the last ping */
	uint8_t buf[65536];
	for (int spins = 0; e.got < total && e.peer && spins < 100000; spins++) {
		while (read(sp[0], buf, sizeof(buf)) > 0)
			;
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	}
	assert_non_null(e.peer);
	assert_int_equal(e.got, total);
	assert_false(peer_paused(e.peer));
	/* and a frame it then leaves unfinished while we read is closed */
	static const uint8_t part[8] = { 0, 0, 0, 100, 0x52, 0x00, 0x01, 0x02 };
	assert_int_equal(write(sp[0], part, sizeof(part)), (ssize_t)sizeof(part));
	run(f);
	assert_null(e.peer);
	assert_non_null(strstr(e.why, "frame incomplete for 50 ms"));
	close(sp[0]);
	flush_closed(f);               /* its last bytes fail to go: freed */
}

static void silent_connection_is_closed_at_the_hello_deadline(void **state)
{
	struct fx *f = *state;
	int sp[2];
	struct side c = { 0 };
	peer_set_deadlines(raw_peer(f, &c, sp), 50, 0);
	run(f);
	assert_null(c.peer);
	assert_non_null(strstr(c.closed, "no message within 50 ms"));
	flush_closed(f);
	close(sp[0]);
}

static void a_peer_that_speaks_in_time_stays(void **state)
{
	struct fx *f = *state;
	int sp[2];
	struct side c = { 0 };
	peer_set_deadlines(raw_peer(f, &c, sp), 50, 50);
	static const uint8_t ping[6] = { 0, 0, 0, 2, 0x52, 0x00 };
	assert_int_equal(write(sp[0], ping, sizeof(ping)), (ssize_t)sizeof(ping));
	run(f);                            /* until the ping arrives */
	assert_int_equal(c.got, 1);
	/* well past both deadlines: nothing closes it */
	c.want = 2;
	struct timeval tv = { 0, 200000 };
	evtimer_add(f->guard, &tv);
	event_base_dispatch(f->base);
	assert_non_null(c.peer);
	assert_int_equal(c.closed[0], 0);
	peer_free(c.peer);
	close(sp[0]);
}

static void peer_hang_up_is_reported(void **state)
{
	struct fx *f = *state;
	peer_free(f->a.peer);     /* closes a's end of the pair */
	f->a.peer = NULL;
	run(f);
	assert_null(f->b.peer);
	assert_non_null(strstr(f->b.closed, "closed by peer"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(messages_arrive_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(dropped_messages_never_arrive, setup, teardown),
		cmocka_unit_test_setup_teardown(held_messages_wait_for_up, setup, teardown),
		cmocka_unit_test_setup_teardown(link_down_in_flight_holds_the_message, setup, teardown),
		cmocka_unit_test_setup_teardown(forgotten_link_sends_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_frames_close_with_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(peer_hang_up_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(unfinished_frame_is_closed_at_its_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(paused_reading_does_not_count_against_a_frame, setup,
						teardown),
		cmocka_unit_test_setup_teardown(silent_connection_is_closed_at_the_hello_deadline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_peer_that_speaks_in_time_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(peer_that_does_not_read_is_not_buffered_without_limit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(peer_that_does_not_read_is_closed_at_the_write_timeout,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_reader_that_keeps_up_is_not_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(idle_peer_is_closed_unless_kept, setup, teardown),
	};
	return cmocka_run_group_tests_name("peer", tests, NULL, NULL);
}

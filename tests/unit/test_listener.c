/* Event-loop tests of the daemons' listening socket (sim/runtime/listener.c):
 * a fresh event_base per test, real loopback sockets, the loop run until a
 * condition holds, bounded by a guard timer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <event2/event.h>

#include "listener.h"

struct fx {
	struct event_base *base;
	struct event *guard;
	struct listener *l;
	int fds[16];
	unsigned nfds;
	char name[64];
	unsigned want;
};

static void guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void got(evutil_socket_t fd, const char *name, void *arg)
{
	struct fx *f = arg;
	f->fds[f->nfds++ % 16] = fd;
	snprintf(f->name, sizeof(f->name), "%s", name);
	if (f->nfds >= f->want)
		event_base_loopbreak(f->base);
}

static void run_for(struct fx *f, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(f->guard, &tv);
	event_base_dispatch(f->base);
	evtimer_del(f->guard);
}

static int client(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static int setup(void **state)
{
	struct fx *f = test_calloc(1, sizeof(*f));
	f->base = event_base_new();
	f->guard = evtimer_new(f->base, guard_cb, f->base);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	for (unsigned i = 0; i < f->nfds && i < 16; i++)
		close(f->fds[i]);
	listener_free(f->l);
	event_free(f->guard);
	event_base_free(f->base);
	test_free(f);
	return 0;
}

static void accepts_on_a_free_port(void **state)
{
	struct fx *f = *state;
	char err[128];
	f->l = listener_new(f->base, "127.0.0.1:0", 0, got, f, err, sizeof(err));
	assert_non_null(f->l);
	assert_true(listener_port(f->l) > 0);
	int c = client(listener_port(f->l));
	f->want = 1;
	run_for(f, 5000);
	assert_int_equal(f->nfds, 1);
	assert_non_null(strstr(f->name, "127.0.0.1:"));
	assert_int_equal(listener_stats(f->l).open, 1);
	close(c);
}

static void bad_addresses_are_refused_with_a_reason(void **state)
{
	struct fx *f = *state;
	char err[128];
	assert_null(listener_new(f->base, "nowhere", 0, got, f, err, sizeof(err)));
	assert_non_null(strstr(err, "expected HOST:PORT"));
	assert_null(listener_new(f->base, "127.0.0.1:99999", 0, got, f, err, sizeof(err)));
	assert_non_null(strstr(err, "0..65535"));
	assert_null(listener_new(f->base, "no-such-host.invalid:1", 0, got, f, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot resolve"));
	f->l = listener_new(f->base, "[::1]:0", 0, got, f, err, sizeof(err));
	if (f->l)      /* where the machine has IPv6 loopback */
		assert_true(listener_port(f->l) > 0);
}

static void connections_over_the_cap_are_closed_at_once(void **state)
{
	struct fx *f = *state;
	char err[128];
	f->l = listener_new(f->base, "127.0.0.1:0", 2, got, f, err, sizeof(err));
	assert_non_null(f->l);
	uint16_t port = listener_port(f->l);
	int c[3] = { client(port), client(port), -1 };
	f->want = 2;
	run_for(f, 5000);
	assert_int_equal(f->nfds, 2);
	c[2] = client(port);
	/* the third is closed by the listener: its client reads end of file */
	char b;
	for (int i = 0; i < 200 && listener_stats(f->l).refused == 0; i++)
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(listener_stats(f->l).refused, 1);
	assert_int_equal(read(c[2], &b, 1), 0);
	assert_int_equal(f->nfds, 2);
	/* one closes: room for a new one */
	listener_conn_closed(f->l);
	int d = client(port);
	f->want = 3;
	run_for(f, 5000);
	assert_int_equal(f->nfds, 3);
	assert_int_equal(listener_stats(f->l).open, 2);
	for (int i = 0; i < 3; i++)
		close(c[i]);
	close(d);
}

static void out_of_descriptors_pauses_instead_of_spinning(void **state)
{
	struct fx *f = *state;
	char err[128];
	f->l = listener_new(f->base, "127.0.0.1:0", 0, got, f, err, sizeof(err));
	assert_non_null(f->l);
	int c[3];
	for (int i = 0; i < 3; i++)
		c[i] = client(listener_port(f->l));
	/* no descriptor left for accept() */
	struct rlimit old, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	int probe = dup(0);
	low = old;
	low.rlim_cur = (rlim_t)probe;
	close(probe);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	f->want = 1;
	run_for(f, 350);      /* long enough for a spin to show: 3 pauses at most */
	struct listener_stats st = listener_stats(f->l);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(f->nfds, 0);
	assert_true(st.pauses >= 1);
	assert_true(st.pauses <= 5);
	/* descriptors again: the waiting connections are accepted */
	f->want = 3;
	run_for(f, 5000);
	assert_int_equal(f->nfds, 3);
	for (int i = 0; i < 3; i++)
		close(c[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(accepts_on_a_free_port, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_addresses_are_refused_with_a_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(connections_over_the_cap_are_closed_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(out_of_descriptors_pauses_instead_of_spinning, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

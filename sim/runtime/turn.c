#include "turn.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"

struct turn {
	struct event_base *base;
	struct store *st;
	struct event *end;            /* the end of the turn: commit, release */
	bool open;                    /* a transaction is open */
	struct bufferevent **held;
	size_t nheld, capheld;
	uint64_t commits;
	uint64_t kill_after;          /* AMPSIM_KILL_AFTER_COMMIT, 0 = never */
};

static void on_end(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	turn_commit(arg);
}

struct turn *turn_new(struct event_base *base, struct store *st)
{
	struct turn *t = xcalloc(1, sizeof(*t));
	t->base = base;
	t->st = st;
	t->end = event_new(base, -1, 0, on_end, t);
	if (!t->end)
		fatal("out of memory");
	/* A fault-injection point for the crash tests (docs/reliability.md):
	 * kill -9 this process right after its Nth group commit, before any
	 * of what that commit covers is sent. */
	const char *k = getenv("AMPSIM_KILL_AFTER_COMMIT");
	if (k && st) {
		char *end = NULL;
		unsigned long long n = strtoull(k, &end, 10);
		if (end && *end == '\0' && n > 0)
			t->kill_after = n;
	}
	return t;
}

void turn_free(struct turn *t)
{
	if (!t)
		return;
	turn_commit(t);
	event_free(t->end);
	free(t->held);
	free(t);
}

void turn_write(struct turn *t)
{
	if (!t)
		fatal("state written before the daemon's loop is set up");
	if (!t->st || t->open)
		return;
	store_begin(t->st);
	t->open = true;
	event_active(t->end, EV_TIMEOUT, 0);
}

void turn_hold(struct turn *t, struct bufferevent *bev)
{
	if (!t || !t->open)
		return;
	for (size_t i = 0; i < t->nheld; i++)
		if (t->held[i] == bev)
			return;
	if (t->nheld == t->capheld) {
		t->capheld = t->capheld ? 2 * t->capheld : 8;
		t->held = xrealloc(t->held, t->capheld * sizeof(*t->held));
	}
	t->held[t->nheld++] = bev;
	bufferevent_disable(bev, EV_WRITE);
}

void turn_forget(struct turn *t, struct bufferevent *bev)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nheld; i++)
		if (t->held[i] == bev) {
			t->held[i] = t->held[--t->nheld];
			return;
		}
}

void turn_commit(struct turn *t)
{
	if (!t || !t->open)
		return;
	t->open = false;
	store_commit(t->st);
	t->commits++;
	if (t->kill_after && t->commits == t->kill_after) {
		log_warn("AMPSIM_KILL_AFTER_COMMIT=%llu: killed after the commit, before the send",
			 (unsigned long long)t->kill_after);
		raise(SIGKILL);
	}
	/* enabling a bufferevent runs no callback now: the bytes go out on the
	 * next turn, so the list cannot change under us */
	for (size_t i = 0; i < t->nheld; i++)
		bufferevent_enable(t->held[i], EV_WRITE);
	t->nheld = 0;
}

uint64_t turn_commits(const struct turn *t)
{
	return t ? t->commits : 0;
}

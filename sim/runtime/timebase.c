#include "timebase.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define COORD_LINE_MAX 256

struct tb_conn {
	struct timebase *tb;
	char key[112];
	uint64_t sent, received;
	bool closed;
	struct tb_conn *next;
};

struct tb_timer {
	struct timebase *tb;
	tb_timer_fn fn;
	void *arg;
	uint64_t at;
	uint64_t seq;            /* arming order: ties fire first-armed first */
	size_t heap_idx;         /* virtual: SIZE_MAX when not armed */
	struct event *ev;        /* wall */
	bool armed;
	tb_label_fn label;
};

struct timebase {
	struct event_base *base;
	bool virt;
	const struct simclock *clk;          /* wall */
	/* virtual */
	struct bufferevent *coord;
	uint64_t now;
	struct tb_timer **heap;
	size_t nheap, heap_cap;
	uint64_t seq;
	struct event *work;                  /* fire due timers, then report */
	struct tb_conn *conns;
	char last_report[COORD_LINE_MAX * 4];
	void (*on_end)(void *arg);
	void *end_arg;
	bool ended;
	char node[16];
	uint64_t epoch;                      /* of the coordinator's last "advance" */
	bool want_labels;                    /* a stepped run: say what comes next */
	bool timers_done;                    /* this instant's own timers have fired */
	unsigned busy;                       /* work under way outside the loop's
					      * timers (a connect): not idle */
};

static void poke(struct timebase *tb);

void timebase_busy(struct timebase *tb, bool busy)
{
	if (busy) {
		tb->busy++;
	} else {
		if (tb->busy == 0)
			fatal("timebase: more work ended than began");
		tb->busy--;
		poke(tb);
	}
}

/* ---- the timer heap (virtual) ------------------------------------------ */

static bool before(const struct tb_timer *a, const struct tb_timer *b)
{
	return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

static void heap_set(struct timebase *tb, size_t i, struct tb_timer *t)
{
	tb->heap[i] = t;
	t->heap_idx = i;
}

static void sift_up(struct timebase *tb, size_t i)
{
	struct tb_timer *t = tb->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(t, tb->heap[parent]))
			break;
		heap_set(tb, i, tb->heap[parent]);
		i = parent;
	}
	heap_set(tb, i, t);
}

static void sift_down(struct timebase *tb, size_t i)
{
	struct tb_timer *t = tb->heap[i];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct tb_timer *best = t;
		if (l < tb->nheap && before(tb->heap[l], best)) {
			m = l;
			best = tb->heap[l];
		}
		if (r < tb->nheap && before(tb->heap[r], best))
			m = r;
		if (m == i)
			break;
		heap_set(tb, i, tb->heap[m]);
		i = m;
	}
	heap_set(tb, i, t);
}

static void heap_remove(struct timebase *tb, struct tb_timer *t)
{
	size_t i = t->heap_idx;
	struct tb_timer *last = tb->heap[--tb->nheap];
	t->heap_idx = SIZE_MAX;
	if (i == tb->nheap)
		return;
	heap_set(tb, i, last);
	sift_up(tb, i);
	sift_down(tb, last->heap_idx);
}

static void heap_push(struct timebase *tb, struct tb_timer *t)
{
	if (tb->nheap == tb->heap_cap) {
		tb->heap_cap = tb->heap_cap ? 2 * tb->heap_cap : 16;
		tb->heap = xrealloc(tb->heap, tb->heap_cap * sizeof(*tb->heap));
	}
	tb->heap[tb->nheap] = t;
	t->heap_idx = tb->nheap++;
	sift_up(tb, t->heap_idx);
}

/* ---- reporting to the coordinator (virtual) ------------------------------ */

static void poke(struct timebase *tb)
{
	if (tb->virt && !tb->ended)
		event_active(tb->work, EV_TIMEOUT, 0);
}

static void report(struct timebase *tb)
{
	if (tb->busy)
		return;       /* reported once the work is over */
	char line[sizeof(tb->last_report)];
	int n = snprintf(line, sizeof(line), "idle %" PRIu64 " %" PRIu64 " ", tb->now, tb->epoch);
	if (tb->nheap)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%" PRIu64, tb->heap[0]->at);
	else
		n += snprintf(line + n, sizeof(line) - (size_t)n, "-");
	for (struct tb_conn *c = tb->conns; c && (size_t)n < sizeof(line) - COORD_LINE_MAX;
	     c = c->next)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s %" PRIu64 " %" PRIu64 " %s",
			      c->key, c->sent, c->received, c->closed ? "closed" : "open");
	/* a stepped run shows what each timer of the next instant will do */
	const char *sep = " | ";
	for (size_t i = 0; tb->want_labels && i < tb->nheap; i++) {
		const struct tb_timer *tt = tb->heap[i];
		if (tt->at != tb->heap[0]->at || !tt->label || (size_t)n >= sizeof(line) - 140)
			continue;
		char label[128] = "";
		tt->label(tt->arg, tt->at, label, sizeof(label));
		for (char *c = label; *c; c++)
			if (*c == '\n' || *c == '|' || *c == ';')
				*c = ' ';
		if (label[0]) {
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s", sep, label);
			sep = " ; ";
		}
	}
	/* a report that says nothing new is not sent again */
	if (strcmp(line, tb->last_report) == 0)
		return;
	memcpy(tb->last_report, line, sizeof(line));
	/* what the daemon did at the instant (its event log) is written out
	 * before the run may act on its being idle (a crash is kill -9) */
	fflush(NULL);
	evbuffer_add_printf(bufferevent_get_output(tb->coord), "%s\n", line);
	/* closed connections have been reported: forget them */
	for (struct tb_conn **pc = &tb->conns; *pc;) {
		if ((*pc)->closed) {
			struct tb_conn *dead = *pc;
			*pc = dead->next;
			free(dead);
		} else {
			pc = &(*pc)->next;
		}
	}
}

/* The work of the current instant: every timer due, in order (a timer
 * armed for now while this runs fires in the same instant), then a report. */
static void on_work(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct timebase *tb = arg;
	while (tb->nheap && tb->heap[0]->at <= tb->now) {
		struct tb_timer *t = tb->heap[0];
		heap_remove(tb, t);
		t->armed = false;
		t->fn(t->arg);
		if (tb->ended)
			return;
	}
	tb->timers_done = true;
	report(tb);
}

bool timebase_instant_ready(const struct timebase *tb, uint64_t at)
{
	if (!tb->virt)
		return true;
	return at < tb->now || (at == tb->now && tb->timers_done);
}

static void coord_end(struct timebase *tb, const char *why)
{
	if (tb->ended)
		return;
	tb->ended = true;
	log_info("virtual clock: %s", why);
	if (tb->on_end)
		tb->on_end(tb->end_arg);
}

static void coord_read(struct bufferevent *bev, void *arg)
{
	struct timebase *tb = arg;
	char *line;
	size_t n;
	while (!tb->ended &&
	       (line = evbuffer_readln(bufferevent_get_input(bev), &n, EVBUFFER_EOL_LF))) {
		uint64_t t, epoch;
		char extra[8] = "";
		int got = sscanf(line, "advance %" SCNu64 " %" SCNu64 " %7s", &t, &epoch, extra);
		if (got == 2 || (got == 3 && strcmp(extra, "labels") == 0)) {
			tb->want_labels = got == 3;
			if (t < tb->now)
				fatal("virtual clock: told to go back from %" PRIu64 " to %" PRIu64,
				      tb->now, t);
			if (t > tb->now)
				tb->timers_done = false;    /* a new instant: its timers first */
			tb->now = t;
			tb->epoch = epoch;
			tb->last_report[0] = '\0';   /* a new instant: report it */
			poke(tb);
		} else if (strcmp(line, "end") == 0) {
			coord_end(tb, "the run is over");
		} else {
			fatal("virtual clock: unexpected line from the coordinator: '%s'", line);
		}
		free(line);
	}
}

static void coord_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		coord_end(arg, "the coordinator went away");
}

/* ---- construction -------------------------------------------------------- */

struct timebase *timebase_wall(struct event_base *base, const struct simclock *clk)
{
	struct timebase *tb = xcalloc(1, sizeof(*tb));
	tb->base = base;
	tb->clk = clk;
	return tb;
}

bool timebase_parse_virtual(const char *arg, char *path, size_t n, uint64_t *start)
{
	const char *at = strrchr(arg, '@');
	size_t len = at ? (size_t)(at - arg) : strlen(arg);
	*start = 0;
	if (len == 0 || len >= n)
		return false;
	if (at) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(at + 1, &end, 10);
		if (errno || *end || end == at + 1)
			return false;
		*start = v;
	}
	memcpy(path, arg, len);
	path[len] = '\0';
	return true;
}

struct timebase *timebase_virtual(struct event_base *base, const char *path, const char *node,
				  uint64_t start, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long for a Unix socket", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, errlen, "%s: cannot reach the run's clock: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	evutil_make_socket_nonblocking(fd);
	struct timebase *tb = xcalloc(1, sizeof(*tb));
	tb->base = base;
	tb->virt = true;
	tb->now = start;
	tb->coord = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	tb->work = event_new(base, -1, 0, on_work, tb);
	bufferevent_setcb(tb->coord, coord_read, NULL, coord_event, tb);
	bufferevent_enable(tb->coord, EV_READ | EV_WRITE);
	snprintf(tb->node, sizeof(tb->node), "%s", node);
	evbuffer_add_printf(bufferevent_get_output(tb->coord), "hello %s\n", node);
	poke(tb);         /* idle at 0 until told otherwise */
	return tb;
}

void timebase_free(struct timebase *tb)
{
	if (!tb)
		return;
	while (tb->conns) {
		struct tb_conn *c = tb->conns;
		tb->conns = c->next;
		free(c);
	}
	if (tb->virt) {
		event_free(tb->work);
		bufferevent_free(tb->coord);
	}
	free(tb->heap);
	free(tb);
}

bool timebase_is_virtual(const struct timebase *tb)
{
	return tb->virt;
}

uint64_t timebase_now(const struct timebase *tb)
{
	return tb->virt ? tb->now : simclock_now(tb->clk);
}

void timebase_on_end(struct timebase *tb, void (*fn)(void *arg), void *arg)
{
	tb->on_end = fn;
	tb->end_arg = arg;
}

/* ---- timers -------------------------------------------------------------- */

static void on_wall_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tb_timer *t = arg;
	t->armed = false;
	t->fn(t->arg);
}

struct tb_timer *tb_timer_new(struct timebase *tb, tb_timer_fn fn, void *arg)
{
	struct tb_timer *t = xcalloc(1, sizeof(*t));
	t->tb = tb;
	t->fn = fn;
	t->arg = arg;
	t->heap_idx = SIZE_MAX;
	if (!tb->virt)
		t->ev = evtimer_new(tb->base, on_wall_timer, t);
	return t;
}

void tb_timer_at(struct tb_timer *t, uint64_t at)
{
	struct timebase *tb = t->tb;
	tb_timer_cancel(t);
	t->at = at;
	t->seq = tb->seq++;
	t->armed = true;
	if (tb->virt) {
		heap_push(tb, t);
		poke(tb);     /* due now: fires in this instant; later: a new NEXT */
		return;
	}
	uint64_t now = simclock_now(tb->clk);
	struct timeval tv = simclock_wall_span(tb->clk, at > now ? at - now : 0);
	evtimer_add(t->ev, &tv);
}

void tb_timer_cancel(struct tb_timer *t)
{
	if (!t->armed)
		return;
	t->armed = false;
	if (t->tb->virt) {
		heap_remove(t->tb, t);
		poke(t->tb);
	} else {
		evtimer_del(t->ev);
	}
}

void tb_timer_set_label(struct tb_timer *t, tb_label_fn fn)
{
	t->label = fn;
}

const char *timebase_node(const struct timebase *tb)
{
	return tb->node;
}

bool tb_timer_armed(const struct tb_timer *t)
{
	return t->armed;
}

void tb_timer_free(struct tb_timer *t)
{
	if (!t)
		return;
	tb_timer_cancel(t);
	if (t->ev)
		event_free(t->ev);
	free(t);
}

/* ---- connections ----------------------------------------------------------- */

struct tb_conn *tb_conn_new(struct timebase *tb, const char *key)
{
	struct tb_conn *c = xcalloc(1, sizeof(*c));
	c->tb = tb;
	snprintf(c->key, sizeof(c->key), "%s", key);
	c->next = tb->conns;
	tb->conns = c;
	poke(tb);
	return c;
}

void tb_conn_sent(struct tb_conn *c)
{
	c->sent++;
	poke(c->tb);
}

void tb_conn_received(struct tb_conn *c)
{
	c->received++;
	poke(c->tb);
}

void tb_conn_closed(struct tb_conn *c)
{
	struct timebase *tb = c->tb;
	if (!tb->virt || tb->ended) {
		for (struct tb_conn **pc = &tb->conns; *pc; pc = &(*pc)->next) {
			if (*pc == c) {
				*pc = c->next;
				break;
			}
		}
		free(c);
		return;
	}
	c->closed = true;       /* freed once reported */
	poke(tb);
}

static bool addr_str(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(buf, n, "%s:%u", a, ntohs(s->sin_port));
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(buf, n, "[%s]:%u", a, ntohs(s->sin6_port));
		return true;
	}
	return false;
}

bool tb_conn_key(int fd, char *buf, size_t n)
{
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	char ls[64], rs[64];
	if (getsockname(fd, (struct sockaddr *)&l, &ll) != 0 ||
	    getpeername(fd, (struct sockaddr *)&r, &rl) != 0 || !addr_str(&l, ls, sizeof(ls)) ||
	    !addr_str(&r, rs, sizeof(rs)))
		return false;
	if (strcmp(ls, rs) < 0)
		snprintf(buf, n, "%s|%s", ls, rs);
	else
		snprintf(buf, n, "%s|%s", rs, ls);
	return true;
}

void tb_stamp_put(uint8_t out[TB_STAMP_LEN], uint64_t at)
{
	for (int i = TB_STAMP_LEN - 1; i >= 0; i--, at >>= 8)
		out[i] = (uint8_t)at;
}

uint64_t tb_stamp_get(const uint8_t in[TB_STAMP_LEN])
{
	uint64_t at = 0;
	for (int i = 0; i < TB_STAMP_LEN; i++)
		at = at << 8 | in[i];
	return at;
}

#include "peer.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "timebase.h"
#include "frame.h"
#include "log.h"
#include "msg.h"

/* Output watermarks (backpressure): at PEER_OUT_HIGH queued bytes we stop
 * reading the peer; at PEER_OUT_LOW we read again. */
#define PEER_OUT_HIGH (1024 * 1024)
#define PEER_OUT_LOW (256 * 1024)
/* A frame must be complete this long after its first byte. */
#define PEER_PARTIAL_MS 10000

/* A message waiting for its delivery time (in the peer's list sorted by
 * due time, stable, so that messages of one link with the same delay keep
 * their order) or held while its link is down (in the held list, in the
 * order sent). The frame bytes follow the struct. */
struct pending {
	struct peer *p;
	struct link *l;
	bool held;
	uint64_t due;                 /* monotonic microseconds */
	const char *msg_name;         /* static: "update_add_htlc" */
	char channel[32];
	struct pending *prev, *next;
	size_t len;
	uint8_t bytes[];
};

struct peer {
	struct bufferevent *bev;
	char name[64];
	const struct peer_ops *ops;
	void *arg;
	struct evlog *log;
	const struct simclock *clk;
	struct frame_arena *arena;
	struct pending *sched, *held;  /* see struct pending */
	struct event *timer;           /* fires for the first of sched */
	unsigned npending;
	bool closing;        /* on_close has been called; free once flushed */
	bool in_read;        /* inside read_cb: defer the free */
	bool paused;         /* reading stopped until our output drains */
	bool free_pending;
	bool got_message;    /* a whole message has arrived */
	/* deadlines (wall time): a peer cannot hold a connection open by
	 * sending nothing, or a frame it never finishes */
	struct event *hello_timer, *partial_timer;
	unsigned hello_ms, partial_ms;
	bool partial_armed;
	struct capture *cap;           /* --pcap: not owned */
	/* the virtual clock (NULL under the wall clock): delivery times are
	 * simulated instants, and messages are counted for the coordinator */
	struct timebase *tb;
	struct tb_timer *tbt;
	struct tb_conn *tbc;
	struct tb_timer *stamp_wait;   /* a frame stamped later than now waits */
	bool stamp_go;                 /* inside stamp_wait's turn: handle it */
};

/* Simulated now, for captures. */
static uint64_t sim_now(const struct peer *p)
{
	return p->tb ? timebase_now(p->tb) : simclock_now(p->clk);
}

/* Every frame goes on the wire here: captured (with --pcap) and counted
 * (virtual clock) as it goes. */
static void wire_write(struct peer *p, const uint8_t *frame, size_t len)
{
	if (p->cap)
		capture_frame(p->cap, sim_now(p), true, NULL, frame, len);
	if (p->tbc) {
		tb_conn_sent(p->tbc);
		uint8_t stamp[TB_STAMP_LEN];
		tb_stamp_put(stamp, timebase_now(p->tb));
		bufferevent_write(p->bev, stamp, sizeof(stamp));
	}
	bufferevent_write(p->bev, frame, len);
}

void peer_set_capture(struct peer *p, struct capture *cap)
{
	p->cap = cap;
}

static void pending_fire_tb(void *arg);
static void read_cb(struct bufferevent *bev, void *arg);

/* For a stepped run: the message the delivery timer will put on the wire. */
static void pending_label(void *arg, uint64_t at, char *buf, size_t n)
{
	(void)at;
	const struct peer *p = arg;
	if (!p->sched)
		return;
	const char *me = timebase_node(p->tb);
	const char *other = strcmp(me, "alice") == 0 ? "bob" : "alice";
	snprintf(buf, n, "%s on %s reaches %s", p->sched->msg_name ? p->sched->msg_name : "a message",
		 p->sched->channel[0] ? p->sched->channel : "the connection", other);
}

static void stamp_reached(void *arg)
{
	struct peer *p = arg;
	if (p->closing || p->paused)
		return;
	p->stamp_go = true;            /* in the timer's turn of the instant */
	read_cb(p->bev, p);
	p->stamp_go = false;
}

void peer_set_timebase(struct peer *p, struct timebase *tb)
{
	if (!tb || !timebase_is_virtual(tb) || p->tb)
		return;
	if (p->sched)
		fatal("peer %s: the clock changes while messages are scheduled", p->name);
	char key[112];
	if (!tb_conn_key(bufferevent_getfd(p->bev), key, sizeof(key)))
		snprintf(key, sizeof(key), "%s", p->name);
	p->tb = tb;
	p->tbt = tb_timer_new(tb, pending_fire_tb, p);
	tb_timer_set_label(p->tbt, pending_label);
	p->tbc = tb_conn_new(tb, key);
	p->stamp_wait = tb_timer_new(tb, stamp_reached, p);
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The time delivery times are kept in: simulated under the virtual clock,
 * monotonic wall time otherwise. */
static uint64_t due_now(const struct peer *p)
{
	return p->tb ? timebase_now(p->tb) : mono_us();
}

static struct pending **list_of(struct pending *q)
{
	return q->held ? &q->p->held : &q->p->sched;
}

static void pending_detach(struct pending *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		*list_of(q) = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

static void pending_unlink(struct pending *q)
{
	pending_detach(q);
	q->p->npending--;
	free(q);
}

static void rearm(struct peer *p)
{
	if (p->tb) {
		if (p->sched)
			tb_timer_at(p->tbt, p->sched->due);
		else
			tb_timer_cancel(p->tbt);
		return;
	}
	if (!p->sched) {
		evtimer_del(p->timer);
		return;
	}
	uint64_t now = mono_us(), due = p->sched->due;
	uint64_t left = due > now ? due - now : 0;
	struct timeval tv = { (time_t)(left / 1000000), (suseconds_t)(left % 1000000) };
	evtimer_add(p->timer, &tv);
}

static void hold(struct peer *p, struct pending *q);

static void pending_run(struct peer *p)
{
	uint64_t now = due_now(p);
	while (p->sched && p->sched->due <= now) {
		struct pending *q = p->sched;
		if (q->l && q->l->down) {
			/* the link went down while this was on its way: it waits
			 * with the others until the link is up again */
			pending_detach(q);
			hold(p, q);
			continue;
		}
		if (!p->closing)
			wire_write(p, q->bytes, q->len);
		pending_unlink(q);
	}
	rearm(p);
}

static void pending_fire(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pending_run(arg);
}

static void pending_fire_tb(void *arg)
{
	pending_run(arg);
}

/* Put q in the sorted list, after every message due at the same time or
 * earlier, and make sure the timer fires for the first one. */
static void schedule(struct peer *p, struct pending *q, uint64_t delay_us)
{
	q->held = false;
	if (p->tb) {
		q->due = timebase_now(p->tb) + delay_us;
	} else {
		struct timeval tv = simclock_wall_span(p->clk, delay_us);
		q->due = mono_us() + (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	}
	struct pending *prev = NULL, *cur = p->sched;
	while (cur && cur->due <= q->due) {
		prev = cur;
		cur = cur->next;
	}
	q->prev = prev;
	q->next = cur;
	if (prev)
		prev->next = q;
	else
		p->sched = q;
	if (cur)
		cur->prev = q;
	if (p->sched == q)
		rearm(p);
}

/* Every held message is logged, whether its link was down when it was
 * sent or went down while it was on its way. */
static void hold(struct peer *p, struct pending *q)
{
	json_t *ev = evlog_new(p->log, "message_held");
	json_set_str(ev, "channel", q->channel);
	json_set_str(ev, "message", q->msg_name ? q->msg_name : "message");
	evlog_emit(p->log, ev);
	struct pending *last = p->held;
	q->held = true;
	while (last && last->next)
		last = last->next;
	q->prev = last;
	q->next = NULL;
	if (last)
		last->next = q;
	else
		p->held = q;
}

static void really_free(struct peer *p)
{
	while (p->sched)
		pending_unlink(p->sched);
	while (p->held)
		pending_unlink(p->held);
	event_free(p->timer);
	tb_timer_free(p->tbt);
	tb_timer_free(p->stamp_wait);
	if (p->tbc)
		tb_conn_closed(p->tbc);
	event_free(p->hello_timer);
	event_free(p->partial_timer);
	bufferevent_free(p->bev);
	free(p->arena);
	free(p);
}

void peer_free(struct peer *p)
{
	if (!p)
		return;
	if (p->in_read) {
		p->closing = true;
		p->free_pending = true;
		return;
	}
	really_free(p);
}

static void read_cb(struct bufferevent *bev, void *arg);

/* Called when the output has drained to the write watermark. */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;
	if (p->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
			/* wait for the last byte (the error message) to go out */
			bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
			return;
		}
		/* output drained after peer_close: now it is safe to let go */
		if (!p->in_read)
			really_free(p);
		return;
	}
	if (p->paused) {
		/* the peer reads again: so do we, starting with what is buffered */
		p->paused = false;
		bufferevent_enable(bev, EV_READ);
		read_cb(bev, p);
	}
}

void peer_close(struct peer *p, const char *why)
{
	if (p->closing)
		return;
	p->closing = true;
	bufferevent_disable(p->bev, EV_READ);
	if (p->ops->on_close)
		p->ops->on_close(p, why, p->arg);
	if (p->in_read) {
		p->free_pending = evbuffer_get_length(bufferevent_get_output(p->bev)) == 0;
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(p->bev)) == 0)
		really_free(p);
	/* else write_cb frees once the error message is out */
}

static void protocol_error(struct peer *p, const char *why)
{
	log_warn("peer %s: %s; closing the connection", p->name, why);
	json_t *ev = evlog_new(p->log, "peer_error");
	json_set_str(ev, "peer", p->name);
	json_set_str(ev, "reason", why);
	evlog_emit(p->log, ev);
	struct msg m;
	peer_send(p, msg_error(&m, "", why));
	peer_close(p, why);
}

static void ms_tv(unsigned ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

/* The deadline of a frame counts from its first byte: bytes dribbled in
 * do not extend it. */
static void partial_watch(struct peer *p, bool partial)
{
	if (partial && !p->partial_armed && p->partial_ms) {
		struct timeval tv;
		ms_tv(p->partial_ms, &tv);
		evtimer_add(p->partial_timer, &tv);
		p->partial_armed = true;
	} else if (!partial && p->partial_armed) {
		evtimer_del(p->partial_timer);
		p->partial_armed = false;
	}
}

static void on_partial_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct peer *p = arg;
	char why[96];
	snprintf(why, sizeof(why), "frame incomplete for %u ms", p->partial_ms);
	p->partial_armed = false;
	protocol_error(p, why);
}

static void on_hello_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct peer *p = arg;
	char why[96];
	snprintf(why, sizeof(why), "no message within %u ms of connecting", p->hello_ms);
	protocol_error(p, why);
}

void peer_set_deadlines(struct peer *p, unsigned hello_ms, unsigned partial_ms)
{
	p->hello_ms = hello_ms;
	p->partial_ms = partial_ms;
	evtimer_del(p->hello_timer);
	if (hello_ms && !p->got_message) {
		struct timeval tv;
		ms_tv(hello_ms, &tv);
		evtimer_add(p->hello_timer, &tv);
	}
	if (p->partial_armed) {
		evtimer_del(p->partial_timer);
		p->partial_armed = false;
		partial_watch(p, evbuffer_get_length(bufferevent_get_input(p->bev)) > 0);
	}
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	p->in_read = true;
	while (!p->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) >= PEER_OUT_HIGH) {
			/* backpressure: a peer that does not read what we answer
			 * (pongs, errors) cannot grow our output buffer; we stop
			 * reading it until write_cb sees the output drained */
			p->paused = true;
			bufferevent_disable(bev, EV_READ);
			break;
		}
		size_t avail = evbuffer_get_length(in);
		size_t off = p->tb ? TB_STAMP_LEN : 0;   /* the stamp, then the frame */
		uint8_t hdr[TB_STAMP_LEN + FRAME_HDR];
		if (avail < off + FRAME_HDR)
			break;
		evbuffer_copyout(in, hdr, off + FRAME_HDR);
		if (p->tb) {
			uint64_t stamp = tb_stamp_get(hdr);
			if (stamp > timebase_now(p->tb) ||
			    (!p->stamp_go && !timebase_instant_ready(p->tb, stamp))) {
				/* written at an instant this daemon has not reached yet (its
				 * "advance" is on the way), or whose own timers it has not
				 * fired yet: handle it then, after them */
				tb_timer_at(p->stamp_wait, stamp);
				break;
			}
		}
		uint32_t n = frame_peek_len(hdr + off, FRAME_HDR);
		if (n == 0 || n > FRAME_MAX) {
			char why[96];
			/* checked before anything is buffered or allocated for it */
			snprintf(why, sizeof(why), "frame length %u outside 1..%u", n,
				 (unsigned)FRAME_MAX);
			protocol_error(p, why);
			break;
		}
		if (avail < off + FRAME_HDR + (size_t)n)
			break;
		if (off)
			evbuffer_drain(in, off);
		const uint8_t *buf = evbuffer_pullup(in, FRAME_HDR + (ssize_t)n);
		size_t used = 0;
		Ampsim__Envelope *env = NULL;
		char why[200] = "";
		enum frame_status st = frame_decode(p->arena, buf, FRAME_HDR + n, &used, &env,
						    why, sizeof(why));
		switch (st) {
		case FRAME_OK:
			if (p->cap)
				capture_frame(p->cap, sim_now(p), false, envelope_channel(env), buf,
					      used);
			/* protobuf-c copied every field into the arena */
			evbuffer_drain(in, used);
			if (!p->got_message) {
				p->got_message = true;
				evtimer_del(p->hello_timer);
			}
			p->ops->on_message(p, env, p->arg);
			/* handled, and whatever it caused is sent or scheduled */
			if (p->tbc)
				tb_conn_received(p->tbc);
			break;
		case FRAME_NEED_MORE:
			fatal("frame_decode wants more than a whole frame");
		case FRAME_TOO_LARGE:
		case FRAME_BAD:
			protocol_error(p, why);
			break;
		}
	}
	p->in_read = false;
	if (!p->closing)
		partial_watch(p, evbuffer_get_length(in) > 0);
	if (p->free_pending ||
	    (p->closing && evbuffer_get_length(bufferevent_get_output(p->bev)) == 0))
		really_free(p);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct peer *p = arg;
	(void)bev;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (p->closing) {
		really_free(p);
		return;
	}
	char why[128];
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "connection closed by peer");
	else
		snprintf(why, sizeof(why), "connection error: %s", strerror(errno));
	p->closing = true;
	if (p->ops->on_close)
		p->ops->on_close(p, why, p->arg);
	really_free(p);
}

struct peer *peer_new(struct event_base *base, evutil_socket_t fd, const char *name,
		      const struct peer_ops *ops, void *arg, struct evlog *log,
		      const struct simclock *clk)
{
	/* a peer that hangs up must cost a connection, not the process */
	signal(SIGPIPE, SIG_IGN);
	struct peer *p = xcalloc(1, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ops = ops;
	p->arg = arg;
	p->log = log;
	p->clk = clk;
	p->arena = xcalloc(1, sizeof(*p->arena));
	frame_arena_init(p->arena);
	/* frames are small and latency is simulated: no Nagle delay on top */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	p->timer = evtimer_new(base, pending_fire, p);
	p->hello_timer = evtimer_new(base, on_hello_timeout, p);
	p->partial_timer = evtimer_new(base, on_partial_timeout, p);
	p->partial_ms = PEER_PARTIAL_MS;
	p->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!p->bev)
		fatal("bufferevent_socket_new failed");
	/* backpressure: stop reading while a few frames' worth is unprocessed */
	bufferevent_setwatermark(p->bev, EV_READ, 0, 4 * (FRAME_MAX + FRAME_HDR));
	bufferevent_setwatermark(p->bev, EV_WRITE, PEER_OUT_LOW, 0);
	bufferevent_setcb(p->bev, read_cb, write_cb, event_cb, p);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	return p;
}

const char *peer_name(const struct peer *p)
{
	return p->name;
}

size_t peer_output_len(const struct peer *p)
{
	return evbuffer_get_length(bufferevent_get_output(p->bev));
}

bool peer_paused(const struct peer *p)
{
	return p->paused;
}

unsigned peer_pending(const struct peer *p)
{
	unsigned n = 0;
	for (const struct pending *q = p->sched; q; q = q->next)
		n++;
	return n;
}

unsigned peer_held(const struct peer *p)
{
	return p->npending - peer_pending(p);
}

void peer_send(struct peer *p, const Ampsim__Envelope *env)
{
	uint8_t buf[FRAME_MAX + FRAME_HDR];
	size_t n = frame_encode(env, buf, sizeof(buf));
	if (n == 0)
		fatal("message %s does not fit in a frame", envelope_type_name(env));
	wire_write(p, buf, n);
}

static struct pending *pending_new(struct peer *p, struct link *l, const char *msg_name,
				   const char *channel, const uint8_t *bytes, size_t len)
{
	struct pending *q = xcalloc(1, sizeof(*q) + len);
	q->msg_name = msg_name;
	snprintf(q->channel, sizeof(q->channel), "%s", channel ? channel : "");
	q->p = p;
	q->l = l;
	q->len = len;
	memcpy(q->bytes, bytes, len);
	p->npending++;
	return q;
}

void peer_send_frame(struct peer *p, const uint8_t *frame, size_t len)
{
	wire_write(p, frame, len);
}

void peer_send_on(struct peer *p, struct link *l, const char *channel, enum msg_kind kind,
		  const Ampsim__Envelope *env)
{
	uint8_t buf[FRAME_MAX + FRAME_HDR];
	size_t n = frame_encode(env, buf, sizeof(buf));
	if (n == 0)
		fatal("message %s does not fit in a frame", envelope_type_name(env));
	peer_send_frame_on(p, l, channel, kind, envelope_type_name(env), buf, n);
}

void peer_send_frame_on(struct peer *p, struct link *l, const char *channel, enum msg_kind kind,
			const char *msgname, const uint8_t *buf, size_t n)
{
	struct link_verdict v = link_decide(l, kind);
	switch (v.fate) {
	case LINK_DROP: {
		json_t *ev = evlog_new(p->log, "message_dropped");
		json_set_str(ev, "channel", channel);
		json_set_str(ev, "message", msgname);
		/* the nth message of its kind on this link: what the seeded
		 * decision depends on */
		json_set_u64(ev, "kind_seq", l->sent[kind < MSG_KIND_COUNT ? kind : MSG_OTHER]);
		json_set_str(ev, "why", v.why);
		evlog_emit(p->log, ev);
		return;
	}
	case LINK_HOLD: {
		hold(p, pending_new(p, l, msgname, channel, buf, n));
		return;
	}
	case LINK_DELIVER:
		for (unsigned i = 0; i < v.copies && i < 2; i++) {
			if (v.delay_us[i] == 0) {
				wire_write(p, buf, n);
			} else {
				schedule(p, pending_new(p, l, msgname, channel, buf, n), v.delay_us[i]);
			}
		}
		if (v.copies > 1) {
			json_t *ev = evlog_new(p->log, "message_duplicated");
			json_set_str(ev, "channel", channel);
			json_set_str(ev, "message", msgname);
			evlog_emit(p->log, ev);
		}
		return;
	}
}

void peer_release_held(struct peer *p, struct link *l, const char *channel)
{
	unsigned released = 0;
	struct pending *q = p->held;
	while (q) {
		struct pending *next = q->next;
		if (q->l == l) {
			/* in the order they were sent, each after a fresh delay */
			pending_detach(q);
			schedule(p, q, link_draw_delay(l));
			released++;
		}
		q = next;
	}
	if (released) {
		json_t *ev = evlog_new(p->log, "messages_released");
		json_set_str(ev, "channel", channel);
		json_object_set_new(ev, "count", json_integer(released));
		evlog_emit(p->log, ev);
	}
}

void peer_forget_link(struct peer *p, struct link *l)
{
	struct pending *lists[2] = { p->sched, p->held };
	for (int i = 0; i < 2; i++) {
		struct pending *q = lists[i];
		while (q) {
			struct pending *next = q->next;
			if (q->l == l)
				pending_unlink(q);
			q = next;
		}
	}
	rearm(p);
}

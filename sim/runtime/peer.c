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
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "peer_int.h"
#include "timebase.h"
#include "turn.h"

/* Output watermarks (backpressure): at PEER_OUT_HIGH queued bytes we stop
 * reading the peer; at PEER_OUT_LOW we read again. */
#define PEER_OUT_HIGH (1024 * 1024)
#define PEER_OUT_LOW (256 * 1024)
/* A frame must be complete this long after its first byte. */
#define PEER_PARTIAL_MS 10000
/* A peer that does not read: its output may stay over PEER_OUT_HIGH (not
 * drained to PEER_OUT_LOW) this long by default, and may never pass
 * PEER_OUT_MAX; then the connection is closed and what it had not taken is
 * dropped. The last bytes of a closing connection wait PEER_LINGER_MS. */
#define PEER_OUT_MAX (8 * 1024 * 1024)
#define PEER_STALL_MS 30000
#define PEER_LINGER_MS 5000

static void read_cb(struct bufferevent *bev, void *arg);

void peer_set_capture(struct peer *p, struct capture *cap)
{
	p->cap = cap;
}

void peer_set_turn(struct peer *p, struct turn *t)
{
	p->turn = t;
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
	if (outq_first(&p->out))
		fatal("peer %s: the clock changes while messages are scheduled", p->name);
	char key[112];
	if (!tb_conn_key(bufferevent_getfd(p->bev), key, sizeof(key)))
		snprintf(key, sizeof(key), "%s", p->name);
	p->tb = tb;
	p->out.wall = NULL;            /* delivery times are simulated instants */
	/* a run paused by --step must not close its daemons' connection: the
	 * write timeout is wall time, which a paused run lets pass (the
	 * 8 MiB bound stays) */
	p->stall_ms = 0;
	p->tbt = tb_timer_new(tb, peer_out_fire_tb, p);
	tb_timer_set_label(p->tbt, peer_out_label);
	p->tbc = tb_conn_new(tb, key);
	p->stamp_wait = tb_timer_new(tb, stamp_reached, p);
}

static void really_free(struct peer *p)
{
	outq_clear(&p->out);
	peer_noise_free(p);
	event_free(p->timer);
	tb_timer_free(p->tbt);
	tb_timer_free(p->stamp_wait);
	if (p->tbc)
		tb_conn_closed(p->tbc);
	event_free(p->hello_timer);
	event_free(p->partial_timer);
	event_free(p->stall_timer);
	event_free(p->idle_timer);
	turn_forget(p->turn, p->bev);
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
	if (p->stall_armed) {
		/* it took what it was sent down to the low watermark */
		evtimer_del(p->stall_timer);
		p->stall_armed = false;
	}
	if (p->paused) {
		/* the peer reads again: so do we, starting with what is buffered */
		p->paused = false;
		bufferevent_enable(bev, EV_READ);
		read_cb(bev, p);
	}
}

static void ms_tv(unsigned ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

static void stall_arm(struct peer *p, unsigned ms)
{
	struct timeval tv;
	ms_tv(ms, &tv);
	evtimer_add(p->stall_timer, &tv);
	p->stall_armed = true;
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
		if (!p->free_pending)
			stall_arm(p, PEER_LINGER_MS);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(p->bev)) == 0) {
		really_free(p);
		return;
	}
	/* else write_cb frees once the error message is out, or the linger
	 * deadline does if the peer never takes it */
	stall_arm(p, PEER_LINGER_MS);
}

/* A connection closed for a reason of the peer's making: said on stderr
 * and in the event log. */
static void report(struct peer *p, const char *why)
{
	log_warn("peer %s: %s; closing the connection", p->name, why);
	struct evrec r;
	evrec_init(&r, "peer_error");
	evrec_str(&r, "peer", p->name);
	evrec_str(&r, "reason", why);
	evlog_emit_rec(p->log, &r);
}

void peer_fail(struct peer *p, const char *why)
{
	report(p, why);
	struct msg m;
	peer_send(p, msg_error(&m, "", why));
	peer_close(p, why);
}

static uint64_t mono_ms(void);

/* The deadline of a frame counts from its first byte: bytes dribbled in
 * do not extend it. It runs only while we read: time during which we do
 * not read on our own account (our output's backpressure, a frame stamped
 * for an instant we have not reached) is not the peer's, so the clock
 * stops then and goes on from where it stood when we read again. */
static void partial_watch(struct peer *p, bool partial, bool reading)
{
	if (!partial) {
		if (p->partial_armed)
			evtimer_del(p->partial_timer);
		p->partial_armed = false;
		p->partial_spent_ms = 0;
		return;
	}
	if (!reading) {
		if (p->partial_armed) {
			evtimer_del(p->partial_timer);
			p->partial_armed = false;
			p->partial_spent_ms += mono_ms() - p->partial_since_ms;
		}
		return;
	}
	if (!p->partial_armed && p->partial_ms) {
		uint64_t left = p->partial_spent_ms >= p->partial_ms
					? 1 : p->partial_ms - p->partial_spent_ms;
		struct timeval tv;
		ms_tv((unsigned)left, &tv);
		evtimer_add(p->partial_timer, &tv);
		p->partial_since_ms = mono_ms();
		p->partial_armed = true;
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
	p->partial_spent_ms = 0;
	peer_fail(p, why);
}

static void on_hello_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct peer *p = arg;
	char why[96];
	snprintf(why, sizeof(why), "no message within %u ms of connecting", p->hello_ms);
	peer_fail(p, why);
}

/* Bytes were queued for the peer (an evbuffer callback on the output,
 * whoever wrote them): watch that it takes them. */
static void output_changed(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct peer *p = arg;
	if (!info->n_added || p->closing || p->stall_now)
		return;
	size_t len = evbuffer_get_length(buf);
	if (len > PEER_OUT_MAX) {
		/* closed in a callback of its own: whoever is sending may still
		 * hold p */
		p->stall_now = true;
		event_active(p->stall_timer, EV_TIMEOUT, 0);
		return;
	}
	if (len >= PEER_OUT_HIGH && !p->stall_armed && p->stall_ms)
		stall_arm(p, p->stall_ms);
}

static void on_stall(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct peer *p = arg;
	p->stall_armed = false;
	if (p->closing) {
		/* its last bytes were never taken: let go of them */
		really_free(p);
		return;
	}
	struct evbuffer *out = bufferevent_get_output(p->bev);
	size_t len = evbuffer_get_length(out);
	char why[128];
	if (p->stall_now)
		snprintf(why, sizeof(why), "does not read: %zu bytes unsent, over the %d-byte limit", len,
			 PEER_OUT_MAX);
	else
		snprintf(why, sizeof(why), "does not read: %zu bytes unsent after %u ms", len,
			 p->stall_ms);
	report(p, why);
	/* nothing more is kept for a peer that does not read: the connection
	 * goes at once, with what it had not taken (libevent does not let the
	 * start of a socket's output be drained; freeing it drops it) */
	p->closing = true;
	bufferevent_disable(p->bev, EV_READ);
	if (p->ops->on_close)
		p->ops->on_close(p, why, p->arg);
	really_free(p);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void idle_arm(struct peer *p, uint64_t ms)
{
	struct timeval tv;
	ms_tv((unsigned)ms, &tv);
	evtimer_add(p->idle_timer, &tv);
}

static void on_idle_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct peer *p = arg;
	if (p->closing || !p->idle_ms)
		return;
	uint64_t quiet = mono_ms() - p->last_msg_ms;
	if (quiet < p->idle_ms) {
		idle_arm(p, p->idle_ms - quiet);   /* it spoke since: wait the rest */
		return;
	}
	if (p->ops->on_idle && !p->ops->on_idle(p, p->arg)) {
		idle_arm(p, p->idle_ms);           /* kept: ask again later */
		return;
	}
	char why[96];
	snprintf(why, sizeof(why), "idle: no message for %u ms", p->idle_ms);
	peer_fail(p, why);
}

void peer_set_timeouts(struct peer *p, unsigned stall_ms, unsigned idle_ms)
{
	p->stall_ms = stall_ms;
	if (p->stall_armed && !stall_ms && !p->closing) {
		evtimer_del(p->stall_timer);
		p->stall_armed = false;
	}
	p->idle_ms = idle_ms;
	evtimer_del(p->idle_timer);
	if (idle_ms) {
		p->last_msg_ms = mono_ms();
		idle_arm(p, idle_ms);
	}
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
		p->partial_spent_ms += mono_ms() - p->partial_since_ms;
		partial_watch(p, evbuffer_get_length(bufferevent_get_input(p->bev)) > 0, true);
	}
}

/* BOLT #8: what the ciphertext that arrived allows (a handshake act, or
 * messages into sec.plain); false when the connection is to go. */
static bool secure_pump(struct peer *p, bool *progress)
{
	char why[160];
	*progress = false;
	switch (peer_noise_pump(p, why, sizeof(why))) {
	case PUMP_IDLE:
		return true;
	case PUMP_PROGRESS:
		*progress = true;
		return true;
	case PUMP_READY:
		*progress = true;
		if (p->ops->on_secure && !p->ops->on_secure(p, p->sec.remote, p->arg)) {
			peer_close(p, "node not allowed");
			return false;
		}
		return true;
	case PUMP_FAIL:
		break;
	}
	report(p, why);
	peer_close(p, why);
	return false;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;
	struct evbuffer *in = p->sec.on ? p->sec.plain : bufferevent_get_input(bev);
	p->in_read = true;
	bool waiting = false;          /* for the instant a frame is stamped with */
	while (!p->closing) {
		if (p->sec.on) {
			/* decrypt what has arrived, a bounded amount at a time */
			bool progress;
			if (!secure_pump(p, &progress))
				break;
			if (progress)
				continue;            /* more may be there already */
		}
		if (evbuffer_get_length(bufferevent_get_output(bev)) >= PEER_OUT_HIGH) {
			/* backpressure: a peer that does not read what we answer
			 * (pongs, errors) cannot grow our output buffer; we stop
			 * reading it until write_cb sees the output drained */
			p->paused = true;
			bufferevent_disable(bev, EV_READ);
			if (!p->stall_armed && p->stall_ms)
				stall_arm(p, p->stall_ms);
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
				waiting = true;
				break;
			}
		}
		uint32_t n = frame_peek_len(hdr + off, FRAME_HDR);
		if (n == 0 || n > FRAME_MAX) {
			char why[96];
			/* checked before anything is buffered or allocated for it */
			snprintf(why, sizeof(why), "frame length %u outside 1..%u", n,
				 (unsigned)FRAME_MAX);
			peer_fail(p, why);
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
				capture_frame(p->cap, peer_sim_now(p), false, envelope_channel(env), buf,
					      used);
			/* protobuf-c copied every field into the arena */
			evbuffer_drain(in, used);
			if (!p->got_message) {
				p->got_message = true;
				evtimer_del(p->hello_timer);
			}
			if (p->idle_ms)
				p->last_msg_ms = mono_ms();
			p->ops->on_message(p, env, p->arg);
			/* handled, and whatever it caused is sent or scheduled */
			if (p->tbc)
				tb_conn_received(p->tbc);
			break;
		case FRAME_NEED_MORE:
			fatal("frame_decode wants more than a whole frame");
		case FRAME_TOO_LARGE:
		case FRAME_BAD:
			peer_fail(p, why);
			break;
		}
	}
	p->in_read = false;
	if (!p->closing)
		partial_watch(p, evbuffer_get_length(in) > 0 ||
				 evbuffer_get_length(bufferevent_get_input(bev)) > 0,
			      !p->paused && !waiting);
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
	p->out.wall = clk;             /* wall clock: delivery times are monotonic */
	p->arena = xcalloc(1, sizeof(*p->arena));
	frame_arena_init(p->arena);
	/* frames are small and latency is simulated: no Nagle delay on top */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	p->timer = evtimer_new(base, peer_out_fire, p);
	p->hello_timer = evtimer_new(base, on_hello_timeout, p);
	p->partial_timer = evtimer_new(base, on_partial_timeout, p);
	p->partial_ms = PEER_PARTIAL_MS;
	p->stall_timer = evtimer_new(base, on_stall, p);
	p->idle_timer = evtimer_new(base, on_idle_timeout, p);
	p->stall_ms = PEER_STALL_MS;
	p->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!p->bev)
		fatal("bufferevent_socket_new failed");
	/* backpressure: stop reading while a few frames' worth is unprocessed */
	bufferevent_setwatermark(p->bev, EV_READ, 0, 4 * (FRAME_MAX + FRAME_HDR));
	bufferevent_setwatermark(p->bev, EV_WRITE, PEER_OUT_LOW, 0);
	bufferevent_setcb(p->bev, read_cb, write_cb, event_cb, p);
	evbuffer_add_cb(bufferevent_get_output(p->bev), output_changed, p);
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

bool peer_handshaking(const struct peer *p)
{
	return !p->got_message;
}

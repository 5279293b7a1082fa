/* The outgoing side of a peer connection: every frame goes on the wire in
 * peer_wire_write (captured, counted for the virtual clock, held for the
 * turn's commit); a frame on a channel first meets its link: dropped,
 * held while the link is down, or scheduled for its delivery time. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "peer_int.h"
#include "timebase.h"
#include "turn.h"

/* Simulated now, for captures. */
uint64_t peer_sim_now(const struct peer *p)
{
	return p->tb ? timebase_now(p->tb) : simclock_now(p->clk);
}

/* Every frame goes on the wire here: captured (with --pcap) and counted
 * (virtual clock) as it goes. */
static uint64_t frames_written;

uint64_t peer_frames_written(void)
{
	return frames_written;
}

void peer_wire_write(struct peer *p, const uint8_t *frame, size_t len)
{
	frames_written++;
	if (p->cap)
		capture_frame(p->cap, peer_sim_now(p), true, NULL, frame, len);
	uint8_t stamp[TB_STAMP_LEN];
	size_t stamp_len = 0;
	if (p->tbc) {
		tb_conn_sent(p->tbc);
		tb_stamp_put(stamp, timebase_now(p->tb));
		stamp_len = sizeof(stamp);
	}
	if (p->sec.on) {
		/* BOLT #8: the body is the envelope (the stamp first, under the
		 * virtual clock); the encrypted length replaces the frame's */
		peer_noise_send(p, stamp, stamp_len, frame + FRAME_HDR, len - FRAME_HDR);
		return;
	}
	turn_hold(p->turn, p->bev);   /* nothing leaves before it is on disk */
	bufferevent_write(p->bev, stamp, stamp_len);
	bufferevent_write(p->bev, frame, len);
}


/* For a stepped run: the message the delivery timer will put on the wire. */
void peer_out_label(void *arg, uint64_t at, char *buf, size_t n)
{
	(void)at;
	const struct peer *p = arg;
	if (!p->sched)
		return;
	const char *me = timebase_node(p->tb);
	const char *other = strcmp(me, "alice") == 0 ? "bob" : "alice";
	unsigned more = 0;
	for (const struct pending *q = p->sched->next; q && q->due == p->sched->due; q = q->next)
		more++;
	char also[48] = "";
	if (more)
		snprintf(also, sizeof(also), " (and %u more message%s)", more, more == 1 ? "" : "s");
	snprintf(buf, n, "%s on %s reaches %s%s", p->sched->msg_name ? p->sched->msg_name : "a message",
		 p->sched->channel[0] ? p->sched->channel : "the connection", other, also);
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
			peer_wire_write(p, q->bytes, q->len);
		pending_unlink(q);
	}
	rearm(p);
}

void peer_out_fire(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pending_run(arg);
}

void peer_out_fire_tb(void *arg)
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
	struct evrec r;
	evrec_init(&r, "message_held");
	evrec_str(&r, "channel", q->channel);
	evrec_str(&r, "message", q->msg_name ? q->msg_name : "message");
	evlog_emit_rec(p->log, &r);
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

void peer_pending_list(const struct peer *p, const char *to, json_t *arr)
{
	if (!p->sched && !p->held)
		return;
	/* the frames were ours: decoded again only to name their HTLC */
	struct frame_arena *arena = xcalloc(1, sizeof(*arena));
	frame_arena_init(arena);
	const struct pending *lists[2] = { p->sched, p->held };
	for (int i = 0; i < 2; i++) {
		for (const struct pending *q = lists[i]; q; q = q->next) {
			json_t *o = json_object();
			json_set_str(o, "message", q->msg_name ? q->msg_name : "message");
			json_set_str(o, "channel", q->channel);
			json_set_str(o, "to", to);
			Ampsim__Envelope *env = NULL;
			size_t used;
			char why[128];
			frame_arena_reset(arena);
			if (frame_decode(arena, q->bytes, q->len, &used, &env, why, sizeof(why)) ==
				    FRAME_OK && envelope_htlc(env) >= 0)
				json_object_set_new(o, "htlc", json_integer(envelope_htlc(env)));
			if (q->held)
				json_object_set_new(o, "held", json_true());
			else if (p->tb)   /* simulated time: a delivery the clock will reach */
				json_object_set_new(o, "due_ms", json_real((double)q->due / 1000.0));
			json_array_append_new(arr, o);
		}
	}
	free(arena);
}

void peer_send(struct peer *p, const Ampsim__Envelope *env)
{
	uint8_t buf[FRAME_MAX + FRAME_HDR];
	size_t n = frame_encode(env, buf, sizeof(buf));
	if (n == 0)
		fatal("message %s does not fit in a frame", envelope_type_name(env));
	peer_wire_write(p, buf, n);
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
	peer_wire_write(p, frame, len);
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
		struct evrec r;
		evrec_init(&r, "message_dropped");
		evrec_str(&r, "channel", channel);
		evrec_str(&r, "message", msgname);
		/* the nth message of its kind on this link: what the seeded
		 * decision depends on */
		evrec_u64(&r, "kind_seq", l->sent[kind < MSG_KIND_COUNT ? kind : MSG_OTHER]);
		evrec_str(&r, "why", v.why);
		evlog_emit_rec(p->log, &r);
		return;
	}
	case LINK_HOLD: {
		hold(p, pending_new(p, l, msgname, channel, buf, n));
		return;
	}
	case LINK_DELIVER:
		for (unsigned i = 0; i < v.copies && i < 2; i++) {
			if (v.delay_us[i] == 0) {
				peer_wire_write(p, buf, n);
			} else {
				schedule(p, pending_new(p, l, msgname, channel, buf, n), v.delay_us[i]);
			}
		}
		if (v.copies > 1) {
			struct evrec r;
			evrec_init(&r, "message_duplicated");
			evrec_str(&r, "channel", channel);
			evrec_str(&r, "message", msgname);
			evlog_emit_rec(p->log, &r);
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
		struct evrec r;
		evrec_init(&r, "messages_released");
		evrec_str(&r, "channel", channel);
		evrec_u64(&r, "count", released);
		evlog_emit_rec(p->log, &r);
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

void peer_out_free(struct peer *p)
{
	while (p->sched)
		pending_unlink(p->sched);
	while (p->held)
		pending_unlink(p->held);
}

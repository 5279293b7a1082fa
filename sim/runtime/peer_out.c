/* The outgoing side of a peer connection: every frame goes on the wire in
 * peer_wire_write (captured, counted for the virtual clock, held for the
 * turn's commit); a frame on a channel first goes through the queue of
 * frames on their way (sim/core/outq.c, which the in-process world shares):
 * dropped, held while its link is down, or kept for its delivery time.
 * What is the runtime's stays here: the delivery timer (the event base's,
 * or the virtual clock's), the writes, and the events. */
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
	const struct outq_item *first = outq_first(&p->out);
	if (!first)
		return;
	const char *me = timebase_node(p->tb);
	const char *other = strcmp(me, "alice") == 0 ? "bob" : "alice";
	unsigned more = outq_ties(&p->out);
	char also[48] = "";
	if (more)
		snprintf(also, sizeof(also), " (and %u more message%s)", more, more == 1 ? "" : "s");
	snprintf(buf, n, "%s on %s reaches %s%s", first->msg_name ? first->msg_name : "a message",
		 first->channel[0] ? first->channel : "the connection", other, also);
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The time delivery times are kept in: simulated under the virtual clock,
 * monotonic wall time otherwise (the queue's wall clock is then set). */
static uint64_t due_now(const struct peer *p)
{
	return p->tb ? timebase_now(p->tb) : mono_us();
}

/* The delivery timer, for the first frame on its way. */
static void rearm(struct peer *p)
{
	const struct outq_item *first = outq_first(&p->out);
	if (p->tb) {
		if (first)
			tb_timer_at(p->tbt, first->due);
		else
			tb_timer_cancel(p->tbt);
		return;
	}
	if (!first) {
		evtimer_del(p->timer);
		return;
	}
	uint64_t now = mono_us(), due = first->due;
	uint64_t left = due > now ? due - now : 0;
	struct timeval tv = { (time_t)(left / 1000000), (suseconds_t)(left % 1000000) };
	evtimer_add(p->timer, &tv);
}

/* Every held message is logged, whether its link was down when it was
 * sent or went down while it was on its way. */
static void log_held(struct peer *p, const char *channel, const char *msg_name)
{
	struct evrec r;
	evrec_init(&r, "message_held");
	evrec_str(&r, "channel", channel);
	evrec_str(&r, "message", msg_name ? msg_name : "message");
	evlog_emit_rec(p->log, &r);
}

static void pending_run(struct peer *p)
{
	uint64_t now = due_now(p);
	bool held;
	struct outq_item *it;
	while ((it = outq_next_due(&p->out, now, &held))) {
		if (held) {
			log_held(p, it->channel, it->msg_name);
			continue;
		}
		if (!p->closing)
			peer_wire_write(p, it->bytes, it->len);
		outq_item_free(it);
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

unsigned peer_pending(const struct peer *p)
{
	return (unsigned)p->out.nsched;
}

unsigned peer_held(const struct peer *p)
{
	return (unsigned)p->out.nheld;
}

struct otw {
	const struct peer *p;
	const char *to;
	json_t *arr;
	struct frame_arena *arena;
};

/* One entry of getinfo's on_the_way. */
static void otw_entry(void *ctx, const struct outq_item *it)
{
	struct otw *o = ctx;
	json_t *e = json_object();
	json_set_str(e, "message", it->msg_name ? it->msg_name : "message");
	json_set_str(e, "channel", it->channel);
	json_set_str(e, "to", o->to);
	Ampsim__Envelope *env = NULL;
	size_t used;
	char why[128];
	frame_arena_reset(o->arena);
	if (frame_decode(o->arena, it->bytes, it->len, &used, &env, why, sizeof(why)) == FRAME_OK &&
	    envelope_htlc(env) >= 0)
		json_object_set_new(e, "htlc", json_integer(envelope_htlc(env)));
	if (it->held)
		json_object_set_new(e, "held", json_true());
	else if (o->p->tb)   /* simulated time: a delivery the clock will reach */
		json_object_set_new(e, "due_ms", json_real((double)it->due / 1000.0));
	json_array_append_new(o->arr, e);
}

void peer_pending_list(const struct peer *p, const char *to, json_t *arr)
{
	if (!outq_first(&p->out) && !p->out.nheld)
		return;
	/* the frames were ours: decoded again only to name their HTLC */
	struct otw o = { p, to, arr, xcalloc(1, sizeof(struct frame_arena)) };
	frame_arena_init(o.arena);
	outq_each(&p->out, otw_entry, &o);
	free(o.arena);
}

void peer_send(struct peer *p, const Ampsim__Envelope *env)
{
	uint8_t buf[FRAME_MAX + FRAME_HDR];
	size_t n = frame_encode(env, buf, sizeof(buf));
	if (n == 0)
		fatal("message %s does not fit in a frame", envelope_type_name(env));
	peer_wire_write(p, buf, n);
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
	struct outq_frame f = { .msg_name = msgname, .channel = channel, .bytes = buf, .len = n };
	struct outq_sent s = outq_send(&p->out, l, kind, due_now(p), &f);
	if (s.rearm)
		rearm(p);
	switch (s.v.fate) {
	case LINK_DROP: {
		struct evrec r;
		evrec_init(&r, "message_dropped");
		evrec_str(&r, "channel", channel);
		evrec_str(&r, "message", msgname);
		/* the nth message of its kind on this link: what the seeded
		 * decision depends on */
		evrec_u64(&r, "kind_seq", l->sent[kind < MSG_KIND_COUNT ? kind : MSG_OTHER]);
		evrec_str(&r, "why", s.v.why);
		evlog_emit_rec(p->log, &r);
		return;
	}
	case LINK_HOLD:
		log_held(p, channel ? channel : "", msgname);
		return;
	case LINK_DELIVER:
		for (unsigned i = 0; i < s.at_once; i++)
			peer_wire_write(p, buf, n);
		if (s.v.copies > 1) {
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
	/* in the order they were sent, each after a fresh delay */
	bool first_moved;
	unsigned released = outq_release(&p->out, l, due_now(p), &first_moved);
	if (first_moved)
		rearm(p);
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
	outq_forget_link(&p->out, l);
	rearm(p);
}

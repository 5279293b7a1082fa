/* Inside a peer connection: what peer.c (the connection, the incoming
 * side) and peer_out.c (the outgoing side) share. Not for other files. */
#ifndef AMPSIM_PEER_INT_H
#define AMPSIM_PEER_INT_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "noise.h"
#include "outq.h"
#include "peer.h"

/* BOLT #8 on a connection (peer_noise.c). Everything above it sees the
 * plaintext stream a connection without it would carry: [stamp] + frame. */
struct peer_secure {
	bool on;                      /* BOLT #8 in use on this connection */
	bool initiator;
	bool ready;                   /* handshake done: messages flow */
	struct noise_handshake hs;
	struct noise_cipher nc;
	uint8_t e_priv[NOISE_PRIVKEY_LEN];   /* the responder's ephemeral, for act two */
	uint8_t remote[NOISE_PUBKEY_LEN];    /* their node id, once known */
	struct evbuffer *plain;       /* decrypted, for read_cb */
	struct evbuffer *early;       /* bodies written before the handshake ended */
};

struct peer {
	struct bufferevent *bev;
	char name[64];
	const struct peer_ops *ops;
	void *arg;
	struct evlog *log;
	const struct simclock *clk;
	struct frame_arena *arena;
	/* frames on their way over the channels' links: waiting for their
	 * delivery time (monotonic microseconds, or simulated under the
	 * virtual clock) or held while their link is down */
	struct outq out;
	struct event *timer;           /* fires for the first of out */
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
	/* the unfinished frame's deadline, counted only while we read:
	 * reading time spent on it before, and when its clock last started */
	uint64_t partial_spent_ms, partial_since_ms;
	/* a peer that does not read: output over PEER_OUT_HIGH for stall_ms
	 * (or over PEER_OUT_MAX at all) closes the connection and drops what
	 * it had not taken; a closing connection's last bytes get linger */
	struct event *stall_timer;
	unsigned stall_ms;
	bool stall_armed, stall_now;
	/* a peer that says nothing for idle_ms (0: no limit) is asked about
	 * (ops->on_idle) and closed unless kept */
	struct event *idle_timer;
	unsigned idle_ms;
	uint64_t last_msg_ms;           /* monotonic */
	struct capture *cap;           /* --pcap: not owned */
	struct turn *turn;             /* group commit: not owned */
	/* the virtual clock (NULL under the wall clock): delivery times are
	 * simulated instants, and messages are counted for the coordinator */
	struct timebase *tb;
	struct tb_timer *tbt;
	struct tb_conn *tbc;
	struct tb_timer *stamp_wait;   /* a frame stamped later than now waits */
	bool stamp_go;                 /* inside stamp_wait's turn: handle it */
	struct peer_secure sec;
};

/* Simulated now (for captures): the virtual clock's, or the wall clock's. */
uint64_t peer_sim_now(const struct peer *p);
/* Put one frame on the wire now. */
void peer_wire_write(struct peer *p, const uint8_t *frame, size_t len);
/* The delivery timers (wall clock, virtual clock) and a stepped run's
 * label for the next delivery. */
void peer_out_fire(evutil_socket_t fd, short what, void *arg);
void peer_out_fire_tb(void *arg);
void peer_out_label(void *arg, uint64_t at, char *buf, size_t n);

/* peer_noise.c. What the ciphertext that arrived allowed: */
enum peer_pump {
	PUMP_IDLE,       /* nothing (more) to do until more bytes arrive */
	PUMP_PROGRESS,   /* a handshake act, or messages moved to sec.plain */
	PUMP_READY,      /* the handshake just ended: sec.remote is the peer */
	PUMP_FAIL,       /* the peer's bytes failed a check: close (why says) */
};
enum peer_pump peer_noise_pump(struct peer *p, char *why, size_t whylen);
/* Send one body ([stamp] + envelope) encrypted, or keep it until the
 * handshake has ended. */
void peer_noise_send(struct peer *p, const uint8_t *stamp, size_t stamp_len, const uint8_t *env,
		     size_t env_len);
void peer_noise_free(struct peer *p);

#endif

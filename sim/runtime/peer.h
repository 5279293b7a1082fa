/* One framed connection to the other daemon, over a libevent bufferevent
 * (which owns the socket: BEV_OPT_CLOSE_ON_FREE).
 *
 * Receiving: frames are decoded into the peer's arena and handed to
 * on_message one at a time; the envelope is only valid during the call.
 * A frame that is oversized, does not decode or fails validation closes the
 * connection with a logged reason (invariant 5).
 *
 * Sending: peer_send() writes at once; peer_send_on() sends through a
 * simulated channel direction (struct link): the message may be delayed,
 * duplicated, dropped for good, or held while the link is down. */
#ifndef AMPSIM_PEER_H
#define AMPSIM_PEER_H

#include <event2/event.h>
#include <stdbool.h>

#include "ampsim.pb-c.h"
#include "clock.h"
#include "events.h"
#include "link.h"

struct peer;

struct peer_ops {
	void (*on_message)(struct peer *p, const Ampsim__Envelope *env, void *arg);
	/* the connection is gone; p is freed right after this returns */
	void (*on_close)(struct peer *p, const char *why, void *arg);
	/* BOLT #8: the handshake ended and node_id is the peer's node. false
	 * refuses it (the connection is closed). NULL accepts every node. */
	bool (*on_secure)(struct peer *p, const uint8_t node_id[33], void *arg);
	/* the peer said nothing for the idle timeout (peer_set_timeouts):
	 * true closes the connection, false keeps it for another period.
	 * NULL closes it. */
	bool (*on_idle)(struct peer *p, void *arg);
};

struct peer *peer_new(struct event_base *base, evutil_socket_t fd, const char *name,
		      const struct peer_ops *ops, void *arg, struct evlog *log,
		      const struct simclock *clk);
const char *peer_name(const struct peer *p);

/* BOLT #8 on this connection, called right after peer_new: as the
 * initiator (we know the node we mean to reach: rs_pub) or the responder.
 * ls_priv is our node key, e_priv a fresh ephemeral key (both valid
 * secp256k1 private keys). Messages sent before the handshake ends wait
 * for it. */
void peer_secure_initiator(struct peer *p, const uint8_t ls_priv[32], const uint8_t rs_pub[33],
			   const uint8_t e_priv[32]);
void peer_secure_responder(struct peer *p, const uint8_t ls_priv[32], const uint8_t e_priv[32]);
/* The peer's node id once the handshake has ended, else NULL. */
const uint8_t *peer_remote_id(const struct peer *p);

/* Send now, bypassing any channel impairment (init, invoices, errors). */
void peer_send(struct peer *p, const Ampsim__Envelope *env);

/* The same with a frame already encoded (frame_encode): what engines hand
 * their shells. msgname names the message in the event log. */
void peer_send_frame(struct peer *p, const uint8_t *frame, size_t len);
void peer_send_frame_on(struct peer *p, struct link *l, const char *channel, enum msg_kind kind,
			const char *msgname, const uint8_t *frame, size_t len);

/* Send env on one direction of a simulated channel. */
void peer_send_on(struct peer *p, struct link *l, const char *channel, enum msg_kind kind,
		  const Ampsim__Envelope *env);

/* The link is up again: release the messages held for it, each after a
 * fresh delay. */
void peer_release_held(struct peer *p, struct link *l, const char *channel);

/* Forget held and delayed messages for l (the link is being freed). */
void peer_forget_link(struct peer *p, struct link *l);

/* Close after flushing what is queued; on_close is called. */
void peer_close(struct peer *p, const char *why);
/* Log why (a warning and a peer_error event), send it to the peer in an
 * error message, and close. */
void peer_fail(struct peer *p, const char *why);

/* Frames this process has put on the wire, over every peer connection. */
uint64_t peer_frames_written(void);

/* Free without calling on_close (daemon shutdown). */
void peer_free(struct peer *p);

/* Write every message sent and received on this connection to cap (owned
 * by the caller, who keeps it open while the peer lives); NULL: none. */
struct capture;
void peer_set_capture(struct peer *p, struct capture *cap);

/* Run this connection on the virtual clock (tb virtual; a wall timebase
 * changes nothing): delayed messages are sent at their simulated instant,
 * and messages are counted for the coordinator. Call before sending. */
struct timebase;
/* Group commit (turn.h): frames written while the daemon's turn has a
 * transaction open leave once it is committed. */
struct turn;
void peer_set_turn(struct peer *p, struct turn *t);

void peer_set_timebase(struct peer *p, struct timebase *tb);

/* Deadlines, in wall milliseconds (0: none). hello: the first whole
 * message must arrive this long after the connection (off by default; a
 * listening daemon sets it). partial: a frame must be complete this long
 * after its first byte (default 10 s). Missed, the connection is closed
 * with a logged reason, as for a bad frame. */
void peer_set_deadlines(struct peer *p, unsigned hello_ms, unsigned partial_ms);

/* Timeouts, in wall milliseconds (0: none). stall: a peer whose output
 * passes 1 MiB must take it down to 256 KiB within this (default 30 s);
 * it may never leave 8 MiB untaken. A peer that does not read is closed and
 * what it had not taken is dropped (logged, peer_error). idle: a peer that
 * sends no message for this long is offered to ops->on_idle and closed
 * unless kept (off by default). */
void peer_set_timeouts(struct peer *p, unsigned stall_ms, unsigned idle_ms);

/* No whole message has arrived yet (the handshake or the first message is
 * still to come). */
bool peer_handshaking(const struct peer *p);

/* Bytes queued for the peer, not yet taken by the kernel. */
size_t peer_output_len(const struct peer *p);
/* Reading is stopped because the peer does not read what we send. */
bool peer_paused(const struct peer *p);

/* Messages still waiting for their delay to pass. */
unsigned peer_pending(const struct peer *p);
/* Messages held because their link is down (they wait for it to come up). */
unsigned peer_held(const struct peer *p);
/* Every message still on its way to node `to` (waiting for its delay, or
 * held by a down link), appended to arr as {"message", "channel", "to",
 * "htlc" (when it names one), "due_ms" (simulated, virtual clock) or
 * "held": true}. */
void peer_pending_list(const struct peer *p, const char *to, json_t *arr);

#endif

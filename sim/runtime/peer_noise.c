/* BOLT #8 under a peer connection: the three acts of the handshake, then
 * every message encrypted (proto/noise.c does the cryptography). Above it
 * nothing changes: read_cb parses sec.plain, which holds what a plaintext
 * connection would carry ([stamp] + frame), and peer_wire_write hands each
 * body here instead of to the socket. The BOLT #8 body is the packed
 * Envelope; under the virtual clock the 8-byte stamp goes first, inside
 * the encryption (docs/decisions.md). */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "peer_int.h"
#include "timebase.h"
#include "turn.h"

/* Decrypted bytes waiting for read_cb, at most (the rest waits in the
 * socket's buffer, which then stops reading: backpressure holds). */
#define PLAIN_MAX (4 * (FRAME_MAX + FRAME_HDR + TB_STAMP_LEN))

void peer_secure_initiator(struct peer *p, const uint8_t ls_priv[NOISE_PRIVKEY_LEN],
			   const uint8_t rs_pub[NOISE_PUBKEY_LEN],
			   const uint8_t e_priv[NOISE_PRIVKEY_LEN])
{
	struct peer_secure *s = &p->sec;
	s->on = true;
	s->initiator = true;
	s->plain = evbuffer_new();
	s->early = evbuffer_new();
	uint8_t act1[NOISE_ACT_ONE_LEN];
	if (noise_hs_init_initiator(&s->hs, ls_priv, rs_pub) != NOISE_OK ||
	    noise_act1_make(&s->hs, e_priv, act1) != NOISE_OK)
		fatal("BOLT #8: a key given to the handshake is not a valid key");
	memcpy(s->remote, rs_pub, NOISE_PUBKEY_LEN);
	bufferevent_write(p->bev, act1, sizeof(act1));
}

void peer_secure_responder(struct peer *p, const uint8_t ls_priv[NOISE_PRIVKEY_LEN],
			   const uint8_t e_priv[NOISE_PRIVKEY_LEN])
{
	struct peer_secure *s = &p->sec;
	s->on = true;
	s->plain = evbuffer_new();
	s->early = evbuffer_new();
	memcpy(s->e_priv, e_priv, NOISE_PRIVKEY_LEN);
	if (noise_hs_init_responder(&s->hs, ls_priv) != NOISE_OK)
		fatal("BOLT #8: the node key is not a valid key");
}

const uint8_t *peer_remote_id(const struct peer *p)
{
	return p->sec.on && p->sec.ready ? p->sec.remote : NULL;
}

void peer_noise_free(struct peer *p)
{
	struct peer_secure *s = &p->sec;
	if (!s->on)
		return;
	noise_hs_wipe(&s->hs);
	noise_cipher_wipe(&s->nc);
	memset(s->e_priv, 0, sizeof(s->e_priv));
	evbuffer_free(s->plain);
	evbuffer_free(s->early);
}

static void encrypt_out(struct peer *p, const uint8_t *body, size_t len)
{
	static uint8_t wire[NOISE_WIRE_LEN(NOISE_MSG_MAX)];
	if (noise_encrypt_msg(&p->sec.nc, body, len, wire) != NOISE_OK)
		fatal("BOLT #8: a message of %zu bytes does not fit", len);
	turn_hold(p->turn, p->bev);   /* nothing leaves before it is on disk */
	bufferevent_write(p->bev, wire, NOISE_WIRE_LEN(len));
}

void peer_noise_send(struct peer *p, const uint8_t *stamp, size_t stamp_len, const uint8_t *env,
		     size_t env_len)
{
	static uint8_t body[NOISE_MSG_MAX];
	size_t len = stamp_len + env_len;
	if (len > NOISE_MSG_MAX)
		fatal("BOLT #8: a message of %zu bytes is over %d", len, NOISE_MSG_MAX);
	if (!p->sec.ready) {
		/* kept in order until the handshake ends: a 2-byte length, then it */
		uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };
		evbuffer_add(p->sec.early, hdr, 2);
		evbuffer_add(p->sec.early, stamp, stamp_len);
		evbuffer_add(p->sec.early, env, env_len);
		return;
	}
	if (!stamp_len) {
		encrypt_out(p, env, env_len);      /* the body is the envelope itself */
		return;
	}
	memcpy(body, stamp, stamp_len);
	memcpy(body + stamp_len, env, env_len);
	encrypt_out(p, body, len);
}

/* The handshake has ended: what was written meanwhile goes now. */
static void flush_early(struct peer *p)
{
	static uint8_t body[NOISE_MSG_MAX];
	struct evbuffer *e = p->sec.early;
	uint8_t hdr[2];
	while (evbuffer_remove(e, hdr, 2) == 2) {
		size_t len = ((size_t)hdr[0] << 8) | hdr[1];
		if (evbuffer_remove(e, body, len) != (int)len)
			fatal("BOLT #8: a kept message is cut short");
		encrypt_out(p, body, len);
	}
}

static enum peer_pump failed(char *why, size_t whylen, const char *what, enum noise_status st)
{
	snprintf(why, whylen, "BOLT #8 %s failed: %s", what, noise_status_name(st));
	return PUMP_FAIL;
}

/* One handshake step, if its act has arrived. */
static enum peer_pump handshake(struct peer *p, struct evbuffer *in, char *why, size_t whylen)
{
	struct peer_secure *s = &p->sec;
	size_t avail = evbuffer_get_length(in);
	uint8_t act[NOISE_ACT_THREE_LEN], out[NOISE_ACT_THREE_LEN];
	enum noise_status st;
	switch (s->hs.state) {
	case NOISE_HS_WAIT_ACT2:                       /* initiator */
		if (avail < NOISE_ACT_TWO_LEN)
			return PUMP_IDLE;
		evbuffer_remove(in, act, NOISE_ACT_TWO_LEN);
		if ((st = noise_act2_read(&s->hs, act)) != NOISE_OK) {
			snprintf(why, whylen, "BOLT #8 act two failed: %s (is the node id we "
				 "connected to this peer's?)", noise_status_name(st));
			return PUMP_FAIL;
		}
		if ((st = noise_act3_make(&s->hs, out, &s->nc)) != NOISE_OK)
			return failed(why, whylen, "act three", st);
		bufferevent_write(p->bev, out, NOISE_ACT_THREE_LEN);
		break;
	case NOISE_HS_WAIT_ACT1:                       /* responder */
		if (avail < NOISE_ACT_ONE_LEN)
			return PUMP_IDLE;
		evbuffer_remove(in, act, NOISE_ACT_ONE_LEN);
		if ((st = noise_act1_read(&s->hs, act)) != NOISE_OK)
			return failed(why, whylen, "act one", st);
		st = noise_act2_make(&s->hs, s->e_priv, out);
		memset(s->e_priv, 0, sizeof(s->e_priv));
		if (st != NOISE_OK)
			return failed(why, whylen, "act two", st);
		bufferevent_write(p->bev, out, NOISE_ACT_TWO_LEN);
		return PUMP_PROGRESS;
	case NOISE_HS_WAIT_ACT3:                       /* responder */
		if (avail < NOISE_ACT_THREE_LEN)
			return PUMP_IDLE;
		evbuffer_remove(in, act, NOISE_ACT_THREE_LEN);
		if ((st = noise_act3_read(&s->hs, act, &s->nc, s->remote)) != NOISE_OK)
			return failed(why, whylen, "act three", st);
		break;
	case NOISE_HS_INIT_ACT1:
	case NOISE_HS_SEND_ACT2:
	case NOISE_HS_SEND_ACT3:
	case NOISE_HS_DONE:
	case NOISE_HS_FAILED:
		fatal("BOLT #8: handshake in state %s while reading", noise_hs_state_name(s->hs.state));
	}
	s->ready = true;
	flush_early(p);
	return PUMP_READY;
}

enum peer_pump peer_noise_pump(struct peer *p, char *why, size_t whylen)
{
	struct peer_secure *s = &p->sec;
	struct evbuffer *in = bufferevent_get_input(p->bev);
	if (!s->ready)
		return handshake(p, in, why, whylen);
	static uint8_t body[NOISE_MSG_MAX + NOISE_MAC_LEN];
	size_t stamp_len = p->tb ? TB_STAMP_LEN : 0;
	enum peer_pump r = PUMP_IDLE;
	while (evbuffer_get_length(s->plain) < PLAIN_MAX) {
		enum noise_status st;
		if (!s->nc.body_pending) {
			uint8_t hdr[NOISE_HDR_LEN];
			size_t len;
			if (evbuffer_get_length(in) < NOISE_HDR_LEN)
				break;
			evbuffer_remove(in, hdr, NOISE_HDR_LEN);
			if ((st = noise_decrypt_len(&s->nc, hdr, &len)) != NOISE_OK)
				return failed(why, whylen, "message length", st);
			if (len <= stamp_len || len - stamp_len > FRAME_MAX) {
				snprintf(why, whylen, "BOLT #8 message of %zu bytes: not one envelope", len);
				return PUMP_FAIL;
			}
		}
		size_t need = (size_t)s->nc.body_len + NOISE_MAC_LEN;
		if (evbuffer_get_length(in) < need)
			break;
		evbuffer_remove(in, body, need);
		if ((st = noise_decrypt_body(&s->nc, body, need, body)) != NOISE_OK)
			return failed(why, whylen, "message body", st);
		size_t len = need - NOISE_MAC_LEN;
		/* as a plaintext connection carries it: [stamp] + frame */
		uint8_t hdr[FRAME_HDR];
		frame_put_len(hdr, (uint32_t)(len - stamp_len));
		evbuffer_add(s->plain, body, stamp_len);
		evbuffer_add(s->plain, hdr, FRAME_HDR);
		evbuffer_add(s->plain, body + stamp_len, len - stamp_len);
		r = PUMP_PROGRESS;
	}
	return r;
}

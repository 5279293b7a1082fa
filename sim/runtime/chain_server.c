#include "chain_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain_wire.h"
#include "listener.h"
#include "log.h"
#include "noise.h"

struct chain_conn;

struct chain_server {
	struct event_base *base;
	struct chain *chain;
	struct listener *listener;
	struct chain_conn *conns;   /* newest first */
	struct chain_server_cfg cfg;
	struct chain_server_stats st;
};

enum conn_kind {
	CONN_HANDSHAKE,             /* BOLT #8 not done yet: nobody known */
	CONN_NODE,                  /* a node of the allow list */
	CONN_STRANGER,              /* any other node (no allow list) */
};

struct chain_conn {
	struct chain_server *srv;
	struct bufferevent *bev;
	struct event *msg_timer;    /* a message begun (or the handshake) must be whole in time */
	char name[64];
	bool closing;               /* an error answer is on its way: then close */
	enum conn_kind kind;
	struct noise_handshake hs;
	struct noise_cipher cipher;
	uint8_t node[NOISE_PUBKEY_LEN];
	char node_hex[NOISE_NODE_ID_HEX_LEN + 1];
	struct evbuffer *plain;     /* decrypted: the chain's messages */
	struct chain_conn *prev, *next;
};

static void conn_free(struct chain_conn *c)
{
	struct chain_server *s = c->srv;
	log_debug("chain client %s: connection closed", c->name);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	event_free(c->msg_timer);
	evbuffer_free(c->plain);
	noise_hs_wipe(&c->hs);
	noise_cipher_wipe(&c->cipher);
	bufferevent_free(c->bev);   /* CLOSE_ON_FREE: the socket too */
	listener_conn_closed(s->listener);
	free(c);
}

static void send_response(struct chain_conn *c, const struct chain_response *r)
{
	uint8_t buf[CHAIN_WIRE_HDR + CHAIN_WIRE_MAX];
	uint8_t wire[NOISE_WIRE_LEN(CHAIN_WIRE_HDR + CHAIN_WIRE_MAX)];
	size_t n = chain_wire_encode_response(r, buf, sizeof(buf));
	if (n == 0)
		fatal("chain server: an answer to %s does not encode", c->name);
	/* one BOLT #8 message per chain message */
	if (noise_encrypt_msg(&c->cipher, buf, n, wire) != NOISE_OK)
		fatal("chain server: an answer to %s does not encrypt", c->name);
	bufferevent_write(c->bev, wire, NOISE_WIRE_LEN(n));
}

/* A client's mistake: say what, log it, close once the answer is out. */
static void refuse(struct chain_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(struct chain_conn *c, const char *fmt, ...)
{
	struct chain_response r = { .ok = false };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r.error, sizeof(r.error), fmt, ap);
	va_end(ap);
	log_warn("chain client %s: %s; closing the connection", c->name, r.error);
	c->srv->st.refused++;
	send_response(c, &r);
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	evtimer_del(c->msg_timer);
}

static void answer(struct chain_conn *c, const uint8_t *body, size_t len)
{
	struct chain_request req;
	char err[200];
	if (!chain_wire_decode_request(body, len, &req, err, sizeof(err))) {
		refuse(c, "malformed request: %s", err);
		return;
	}
	struct chain_response r = { .ok = true, .op = req.op };
	switch (req.op) {
	case CHAIN_OP_SUBMIT:
		r.result = chain_submit(c->srv->chain, &req.tx, &req.proof, req.height, &r.tx,
					r.reason, sizeof(r.reason));
		switch (r.result) {
		case CHAIN_ACCEPTED:
			log_info("%s from %s (node %.16s...): %s/%llu spent at height %u, confirms at %u",
				 chain_kind_name(req.tx.kind), c->name, c->node_hex, req.tx.channel,
				 (unsigned long long)req.tx.htlc_id, req.height,
				 req.height + CHAIN_CONFIRMATIONS);
			break;
		case CHAIN_SPENT:
			r.found = true;
			log_debug("%s from %s: %s/%llu already spent by a %s", chain_kind_name(req.tx.kind),
				  c->name, req.tx.channel, (unsigned long long)req.tx.htlc_id,
				  chain_kind_name(r.tx.kind));
			break;
		case CHAIN_INVALID:
			log_info("%s from %s (node %.16s...): %s/%llu refused at height %u: %s",
				 chain_kind_name(req.tx.kind), c->name, c->node_hex, req.tx.channel,
				 (unsigned long long)req.tx.htlc_id, req.height, r.reason);
			break;
		case CHAIN_UNREACHABLE:
			fatal("chain server: the file chain answered unreachable");
		}
		break;
	case CHAIN_OP_CONFIRMED:
		r.found = chain_confirmed(c->srv->chain, &req.tx, req.height, &r.tx);
		break;
	case CHAIN_OP_STATUS:
		break;
	}
	c->srv->st.requests++;
	send_response(c, &r);
}

static bool listed(const struct chain_server *s, const uint8_t node[NOISE_PUBKEY_LEN])
{
	for (size_t i = 0; i < s->cfg.nallow; i++)
		if (memcmp(s->cfg.allow[i], node, NOISE_PUBKEY_LEN) == 0)
			return true;
	return false;
}

/* The oldest connection of a kind (of one node, when node is given). */
static struct chain_conn *oldest(struct chain_server *s, enum conn_kind kind, const uint8_t *node,
				 const struct chain_conn *besides)
{
	struct chain_conn *o = NULL;
	for (struct chain_conn *c = s->conns; c; c = c->next)
		if (c != besides && c->kind == kind && !c->closing &&
		    (!node || memcmp(c->node, node, NOISE_PUBKEY_LEN) == 0))
			o = c;      /* newest first: the last one found is the oldest */
	return o;
}

static size_t count(const struct chain_server *s, enum conn_kind kind, const uint8_t *node)
{
	size_t n = 0;
	for (const struct chain_conn *c = s->conns; c; c = c->next)
		n += c->kind == kind && !c->closing &&
		     (!node || memcmp(c->node, node, NOISE_PUBKEY_LEN) == 0);
	return n;
}

static void evict(struct chain_conn *c, const char *why)
{
	log_warn("chain client %s%s%s: %s; closing the connection", c->name,
		 c->kind == CONN_HANDSHAKE ? "" : " node ", c->kind == CONN_HANDSHAKE ? "" : c->node_hex,
		 why);
	c->srv->st.evicted++;
	conn_free(c);
}

/* The handshake ended: the client is c->node. Served, or closed. */
static bool admit(struct chain_conn *c)
{
	struct chain_server *s = c->srv;
	noise_node_id_format(c->node, c->node_hex);
	if (s->cfg.nallow) {
		if (!listed(s, c->node)) {
			log_warn("chain client %s: node %s is not allowed (--allow); closing the "
				 "connection", c->name, c->node_hex);
			s->st.not_allowed++;
			conn_free(c);
			return false;
		}
		/* a restarted daemon's old connection may linger: its oldest goes */
		if (count(s, CONN_NODE, c->node) >= CHAIN_SERVER_NODE_PER_NODE)
			evict(oldest(s, CONN_NODE, c->node, c), "the same node connected again");
		c->kind = CONN_NODE;
		/* a node that holds channels may be silent for long: never idle */
		struct timeval wr = { CHAIN_SERVER_MESSAGE_S, 0 };
		bufferevent_set_timeouts(c->bev, NULL, &wr);
		log_info("chain client %s: node %s", c->name, c->node_hex);
		return true;
	}
	if (count(s, CONN_STRANGER, c->node) >= CHAIN_SERVER_STRANGER_PER_NODE) {
		log_warn("chain client %s: node %s has %d connections already; closing the "
			 "connection", c->name, c->node_hex, CHAIN_SERVER_STRANGER_PER_NODE);
		s->st.evicted++;
		conn_free(c);
		return false;
	}
	if (count(s, CONN_STRANGER, NULL) >= CHAIN_SERVER_MAX_STRANGERS)
		evict(oldest(s, CONN_STRANGER, NULL, c), "the oldest stranger makes room");
	c->kind = CONN_STRANGER;
	struct timeval idle = { s->cfg.idle_s, 0 }, wr = { CHAIN_SERVER_MESSAGE_S, 0 };
	bufferevent_set_timeouts(c->bev, &idle, &wr);
	log_debug("chain client %s: node %s", c->name, c->node_hex);
	return true;
}

/* BOLT #8 handshake, as the responder: false when c was freed. */
static bool handshake(struct chain_conn *c, struct evbuffer *in, bool *progress)
{
	*progress = false;
	size_t avail = evbuffer_get_length(in);
	enum noise_status st = NOISE_OK;
	if (c->hs.state == NOISE_HS_WAIT_ACT1) {
		if (avail < NOISE_ACT_ONE_LEN)
			return true;
		uint8_t act1[NOISE_ACT_ONE_LEN], act2[NOISE_ACT_TWO_LEN], e[NOISE_PRIVKEY_LEN];
		evbuffer_remove(in, act1, sizeof(act1));
		st = noise_act1_read(&c->hs, act1);
		if (st == NOISE_OK) {
			nodekey_ephemeral(c->srv->cfg.rand, c->srv->cfg.rand_ctx, e);
			st = noise_act2_make(&c->hs, e, act2);
			sodium_memzero(e, sizeof(e));
			if (st == NOISE_OK)
				bufferevent_write(c->bev, act2, sizeof(act2));
		}
	} else if (c->hs.state == NOISE_HS_WAIT_ACT3) {
		if (avail < NOISE_ACT_THREE_LEN)
			return true;
		uint8_t act3[NOISE_ACT_THREE_LEN];
		evbuffer_remove(in, act3, sizeof(act3));
		st = noise_act3_read(&c->hs, act3, &c->cipher, c->node);
		if (st == NOISE_OK) {
			*progress = true;
			evtimer_del(c->msg_timer);
			return admit(c);
		}
	} else {
		fatal("chain server: %s in handshake state %s", c->name,
		      noise_hs_state_name(c->hs.state));
	}
	if (st != NOISE_OK) {
		log_warn("chain client %s: BOLT #8 handshake failed: %s; closing the connection",
			 c->name, noise_status_name(st));
		c->srv->st.refused++;
		conn_free(c);
		return false;
	}
	*progress = true;
	return true;
}

/* Decrypt whole BOLT #8 messages into c->plain: false when c was freed. */
static bool decrypt(struct chain_conn *c, struct evbuffer *in)
{
	for (;;) {
		size_t avail = evbuffer_get_length(in);
		if (!c->cipher.body_pending) {
			if (avail < NOISE_HDR_LEN)
				return true;
			uint8_t hdr[NOISE_HDR_LEN];
			size_t len;
			evbuffer_remove(in, hdr, sizeof(hdr));
			enum noise_status st = noise_decrypt_len(&c->cipher, hdr, &len);
			if (st != NOISE_OK) {
				log_warn("chain client %s: %s; closing the connection", c->name,
					 noise_status_name(st));
				c->srv->st.refused++;
				conn_free(c);
				return false;
			}
			if (len > CHAIN_WIRE_HDR + CHAIN_WIRE_MAX) {
				refuse(c, "a BOLT #8 message of %zu bytes (at most %d)", len,
				       CHAIN_WIRE_HDR + CHAIN_WIRE_MAX);
				return true;
			}
			continue;
		}
		size_t want = (size_t)c->cipher.body_len + NOISE_MAC_LEN;
		if (avail < want)
			return true;
		uint8_t body[CHAIN_WIRE_HDR + CHAIN_WIRE_MAX + NOISE_MAC_LEN];
		uint8_t plain[CHAIN_WIRE_HDR + CHAIN_WIRE_MAX];
		evbuffer_remove(in, body, want);
		enum noise_status st = noise_decrypt_body(&c->cipher, body, want, plain);
		if (st != NOISE_OK) {
			log_warn("chain client %s: %s; closing the connection", c->name,
				 noise_status_name(st));
			c->srv->st.refused++;
			conn_free(c);
			return false;
		}
		evbuffer_add(c->plain, plain, want - NOISE_MAC_LEN);
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct chain_conn *c = arg;
	struct evbuffer *raw = bufferevent_get_input(bev);
	while (c->kind == CONN_HANDSHAKE && !c->closing) {
		bool progress;
		if (!handshake(c, raw, &progress))
			return;
		if (!progress)
			break;
	}
	if (c->kind == CONN_HANDSHAKE || c->closing)
		return;     /* its deadline runs from the connection */
	if (!decrypt(c, raw))
		return;
	struct evbuffer *in = c->plain;
	while (!c->closing) {
		size_t avail = evbuffer_get_length(in);
		uint8_t hdr[CHAIN_WIRE_HDR];
		if (avail < CHAIN_WIRE_HDR)
			break;
		evbuffer_copyout(in, hdr, CHAIN_WIRE_HDR);
		uint32_t len;
		if (!chain_wire_header(hdr, &len)) {
			refuse(c, "a message of %u bytes (1 to %d allowed)", len, CHAIN_WIRE_MAX);
			return;
		}
		if (avail < CHAIN_WIRE_HDR + (size_t)len)
			break;
		uint8_t body[CHAIN_WIRE_MAX];
		evbuffer_drain(in, CHAIN_WIRE_HDR);
		evbuffer_remove(in, body, len);
		answer(c, body, len);
		if (evbuffer_get_length(bufferevent_get_output(bev)) > CHAIN_SERVER_MAX_OUT) {
			log_warn("chain client %s does not read its answers; closing the connection",
				 c->name);
			conn_free(c);
			return;
		}
	}
	if (c->closing)
		return;
	if (evbuffer_get_length(in) == 0 && evbuffer_get_length(raw) == 0) {
		evtimer_del(c->msg_timer);
	} else if (!evtimer_pending(c->msg_timer, NULL)) {
		struct timeval tv = { CHAIN_SERVER_MESSAGE_S, 0 };
		evtimer_add(c->msg_timer, &tv);
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct chain_conn *c = arg;
	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct chain_conn *c = arg;
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("chain client %s: idle, closing the connection", c->name);
	else if (what & BEV_EVENT_ERROR)
		log_debug("chain client %s: %s", c->name,
			  evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if (what & BEV_EVENT_EOF && evbuffer_get_length(bufferevent_get_input(c->bev)))
		log_warn("chain client %s: closed in the middle of a message", c->name);
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(c);
}

static void on_message_late(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct chain_conn *c = arg;
	log_warn("chain client %s: %s not whole after %d s; closing the connection", c->name,
		 c->kind == CONN_HANDSHAKE ? "the BOLT #8 handshake" : "a message",
		 CHAIN_SERVER_MESSAGE_S);
	c->srv->st.refused++;
	conn_free(c);
}

static void on_accept(evutil_socket_t fd, const char *name, void *arg)
{
	struct chain_server *s = arg;
	/* strangers give up their slots first: a handshake never finished
	 * holds no room a node is owed */
	if (count(s, CONN_HANDSHAKE, NULL) >= CHAIN_SERVER_MAX_HANDSHAKES)
		evict(oldest(s, CONN_HANDSHAKE, NULL, NULL), "the oldest handshake makes room");
	struct chain_conn *c = xcalloc(1, sizeof(*c));
	c->srv = s;
	c->kind = CONN_HANDSHAKE;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->msg_timer = evtimer_new(s->base, on_message_late, c);
	c->plain = evbuffer_new();
	if (!c->bev || !c->msg_timer || !c->plain)
		fatal("chain server: out of memory for a connection");
	if (noise_hs_init_responder(&c->hs, s->cfg.key->priv) != NOISE_OK)
		fatal("chain server: its node key does not make a handshake");
	/* never more than one message waiting in the input */
	bufferevent_setwatermark(c->bev, EV_READ, 0,
				 NOISE_WIRE_LEN(CHAIN_WIRE_HDR + CHAIN_WIRE_MAX));
	struct timeval wr = { CHAIN_SERVER_MESSAGE_S, 0 };
	bufferevent_set_timeouts(c->bev, NULL, &wr);
	/* the handshake must be done in the time of a message */
	struct timeval hs = { CHAIN_SERVER_MESSAGE_S, 0 };
	evtimer_add(c->msg_timer, &hs);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	log_debug("chain client %s connected", name);
}

/* Descriptors ran out: the oldest handshake goes. */
static bool on_full(void *arg)
{
	struct chain_server *s = arg;
	struct chain_conn *o = oldest(s, CONN_HANDSHAKE, NULL, NULL);
	if (!o)
		o = oldest(s, CONN_STRANGER, NULL, NULL);
	if (!o)
		return false;
	evict(o, "out of descriptors");
	return true;
}

struct chain_server *chain_server_new(struct event_base *base, const char *hostport,
				      struct chain *chain, const struct chain_server_cfg *cfg,
				      char *err, size_t errlen)
{
	struct chain_server *s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->chain = chain;
	s->cfg = *cfg;
	if (!s->cfg.idle_s)
		s->cfg.idle_s = CHAIN_SERVER_IDLE_S;
	s->listener = listener_new(base, hostport, CHAIN_SERVER_MAX_CONNS, on_accept, s, err,
				   errlen);
	if (!s->listener) {
		free(s);
		return NULL;
	}
	listener_on_full(s->listener, on_full);
	return s;
}

uint16_t chain_server_port(const struct chain_server *s)
{
	return listener_port(s->listener);
}

struct chain_server_stats chain_server_stats(const struct chain_server *s)
{
	return s->st;
}

void chain_server_free(struct chain_server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
	listener_free(s->listener);
	free(s);
}

#include "chain_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain_wire.h"
#include "listener.h"
#include "log.h"

struct chain_conn;

struct chain_server {
	struct event_base *base;
	struct chain *chain;
	struct listener *listener;
	struct chain_conn *conns;
	struct chain_server_stats st;
};

struct chain_conn {
	struct chain_server *srv;
	struct bufferevent *bev;
	struct event *msg_timer;    /* a message begun must be whole in time */
	char name[64];
	bool closing;               /* an error answer is on its way: then close */
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
	bufferevent_free(c->bev);   /* CLOSE_ON_FREE: the socket too */
	listener_conn_closed(s->listener);
	free(c);
}

static void send_response(struct chain_conn *c, const struct chain_response *r)
{
	uint8_t buf[CHAIN_WIRE_HDR + CHAIN_WIRE_MAX];
	size_t n = chain_wire_encode_response(r, buf, sizeof(buf));
	if (n == 0)
		fatal("chain server: an answer to %s does not encode", c->name);
	bufferevent_write(c->bev, buf, n);
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
		r.result = chain_submit(c->srv->chain, &req.tx, req.hash, req.cltv_expiry, req.height,
					&r.tx);
		switch (r.result) {
		case CHAIN_ACCEPTED:
			log_info("%s from %s: %s/%llu spent at height %u, confirms at %u",
				 chain_kind_name(req.tx.kind), c->name, req.tx.channel,
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
			log_info("%s from %s: %s/%llu invalid at height %u (expiry %u)",
				 chain_kind_name(req.tx.kind), c->name, req.tx.channel,
				 (unsigned long long)req.tx.htlc_id, req.height, req.cltv_expiry);
			break;
		case CHAIN_UNREACHABLE:
			fatal("chain server: the file chain answered unreachable");
		}
		break;
	case CHAIN_OP_CONFIRMED:
		r.found = chain_confirmed(c->srv->chain, req.tx.channel, req.tx.htlc_id, req.height,
					  &r.tx);
		break;
	}
	c->srv->st.requests++;
	send_response(c, &r);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct chain_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
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
	if (evbuffer_get_length(in) == 0) {
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
	log_warn("chain client %s: a message not whole after %d s; closing the connection",
		 c->name, CHAIN_SERVER_MESSAGE_S);
	c->srv->st.refused++;
	conn_free(c);
}

static void on_accept(evutil_socket_t fd, const char *name, void *arg)
{
	struct chain_server *s = arg;
	struct chain_conn *c = xcalloc(1, sizeof(*c));
	c->srv = s;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->msg_timer = evtimer_new(s->base, on_message_late, c);
	if (!c->bev || !c->msg_timer)
		fatal("chain server: out of memory for a connection");
	/* never more than one message waiting in the input */
	bufferevent_setwatermark(c->bev, EV_READ, 0, CHAIN_WIRE_HDR + CHAIN_WIRE_MAX);
	struct timeval idle = { CHAIN_SERVER_IDLE_S, 0 }, wr = { CHAIN_SERVER_MESSAGE_S, 0 };
	bufferevent_set_timeouts(c->bev, &idle, &wr);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	log_debug("chain client %s connected", name);
}

struct chain_server *chain_server_new(struct event_base *base, const char *hostport,
				      struct chain *chain, char *err, size_t errlen)
{
	struct chain_server *s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->chain = chain;
	s->listener = listener_new(base, hostport, CHAIN_SERVER_MAX_CONNS, on_accept, s, err,
				   errlen);
	if (!s->listener) {
		free(s);
		return NULL;
	}
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

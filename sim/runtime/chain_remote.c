#include "chain_remote.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chain_wire.h"
#include "daemon.h"
#include "log.h"

struct chain_remote {
	char name[300];                 /* tcp:HOST:PORT, for messages */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;                         /* -1: not connected */
	bool down;                      /* the last call failed (logged) */
	uint32_t down_height;           /* ... at this height */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline; false with why on timeout. */
static bool wait_fd(int fd, short events, int64_t deadline, char *why, size_t n)
{
	for (;;) {
		int64_t left = deadline - mono_ms();
		if (left <= 0) {
			snprintf(why, n, "no answer within %d ms", CHAIN_REMOTE_TIMEOUT_MS);
			return false;
		}
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR) {
			snprintf(why, n, "poll: %s", strerror(errno));
			return false;
		}
	}
}

static void disconnect(struct chain_remote *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static bool connect_to(struct chain_remote *r, int64_t deadline, char *why, size_t n)
{
	int fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, n, "socket: %s", strerror(errno));
		return false;
	}
	if (connect(fd, (struct sockaddr *)&r->addr, r->addrlen) != 0) {
		if (errno != EINPROGRESS) {
			snprintf(why, n, "cannot connect: %s", strerror(errno));
			close(fd);
			return false;
		}
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		if (!wait_fd(fd, POLLOUT, deadline, why, n)) {
			close(fd);
			return false;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr) {
			snprintf(why, n, "cannot connect: %s", strerror(soerr ? soerr : errno));
			close(fd);
			return false;
		}
	}
	r->fd = fd;
	return true;
}

static bool write_all(struct chain_remote *r, const uint8_t *b, size_t len, int64_t deadline,
		      char *why, size_t n)
{
	while (len) {
		ssize_t w = send(r->fd, b, len, MSG_NOSIGNAL);
		if (w > 0) {
			b += w;
			len -= (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (!wait_fd(r->fd, POLLOUT, deadline, why, n))
				return false;
		} else {
			snprintf(why, n, "send: %s", w < 0 ? strerror(errno) : "nothing written");
			return false;
		}
	}
	return true;
}

static bool read_all(struct chain_remote *r, uint8_t *b, size_t len, int64_t deadline, char *why,
		     size_t n)
{
	while (len) {
		ssize_t g = recv(r->fd, b, len, 0);
		if (g > 0) {
			b += g;
			len -= (size_t)g;
		} else if (g == 0) {
			snprintf(why, n, "the connection was closed");
			return false;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			if (!wait_fd(r->fd, POLLIN, deadline, why, n))
				return false;
		} else {
			snprintf(why, n, "recv: %s", strerror(errno));
			return false;
		}
	}
	return true;
}

enum exchange_result { EX_OK, EX_IO, EX_REFUSED };

/* One request and its response on the open connection. */
static enum exchange_result exchange(struct chain_remote *r, const struct chain_request *req,
				     struct chain_response *resp, int64_t deadline, char *why,
				     size_t n)
{
	uint8_t buf[CHAIN_WIRE_HDR + CHAIN_WIRE_MAX];
	size_t len = chain_wire_encode_request(req, buf, sizeof(buf));
	if (len == 0)
		fatal("chain: a %s of %s/%llu does not encode", chain_op_name(req->op),
		      req->tx.channel, (unsigned long long)req->tx.htlc_id);
	if (!write_all(r, buf, len, deadline, why, n) ||
	    !read_all(r, buf, CHAIN_WIRE_HDR, deadline, why, n))
		return EX_IO;
	uint32_t body;
	if (!chain_wire_header(buf, &body)) {
		snprintf(why, n, "an answer of %u bytes (at most %d)", body, CHAIN_WIRE_MAX);
		return EX_IO;
	}
	if (!read_all(r, buf, body, deadline, why, n))
		return EX_IO;
	char err[200];
	if (!chain_wire_decode_response(buf, body, resp, err, sizeof(err))) {
		snprintf(why, n, "a malformed answer: %s", err);
		return EX_IO;
	}
	if (!resp->ok) {
		snprintf(why, n, "it refused the %s: %s", chain_op_name(req->op), resp->error);
		return EX_REFUSED;
	}
	if (resp->op != req->op) {
		snprintf(why, n, "a %s answer to a %s", chain_op_name(resp->op), chain_op_name(req->op));
		return EX_IO;
	}
	return EX_OK;
}

static bool call(struct chain_remote *r, const struct chain_request *req,
		 struct chain_response *resp)
{
	if (r->down && r->down_height == req->height)
		return false;   /* failed at this height already: next block */
	int64_t deadline = mono_ms() + CHAIN_REMOTE_TIMEOUT_MS;
	char why[300] = "";
	/* a kept connection may have been closed since (the server's idle
	 * limit, or a restart): then one new connection, in the same time */
	for (int attempt = 0; attempt < 2; attempt++) {
		bool fresh = r->fd < 0;
		if (fresh && !connect_to(r, deadline, why, sizeof(why)))
			break;
		enum exchange_result x = exchange(r, req, resp, deadline, why, sizeof(why));
		if (x == EX_OK) {
			if (r->down)
				log_info("chain %s answers again", r->name);
			r->down = false;
			return true;
		}
		disconnect(r);
		/* a new connection only for a kept one found closed, in the
		 * time left: not after a timeout, whose request the server
		 * may still carry out */
		if (x == EX_REFUSED || fresh || mono_ms() >= deadline)
			break;
	}
	if (!r->down)
		log_warn("chain %s: %s (%s of %s/%llu at height %u); asked again at the next block",
			 r->name, why, chain_op_name(req->op), req->tx.channel,
			 (unsigned long long)req->tx.htlc_id, req->height);
	r->down = true;
	r->down_height = req->height;
	return false;
}

struct chain_remote *chain_remote_open(const char *hostport, char *err, size_t errlen)
{
	char host[256];
	uint16_t port;
	if (!parse_hostport(hostport, host, sizeof(host), &port) || port == 0) {
		snprintf(err, errlen, "tcp:%s: expected tcp:HOST:PORT (or tcp:[V6]:PORT), the port "
			 "above 0", hostport);
		return NULL;
	}
	char service[8];
	snprintf(service, sizeof(service), "%u", port);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int gr = getaddrinfo(host, service, &hints, &ai);
	if (gr != 0 || !ai) {
		snprintf(err, errlen, "tcp:%s: cannot resolve %s: %s", hostport, host,
			 gr ? gai_strerror(gr) : "no address");
		return NULL;
	}
	struct chain_remote *r = xcalloc(1, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "tcp:%s", hostport);
	memcpy(&r->addr, ai->ai_addr, ai->ai_addrlen);
	r->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	r->fd = -1;
	/* not an error if it is not up yet: it is only needed on fault paths */
	char why[300];
	if (connect_to(r, mono_ms() + CHAIN_REMOTE_TIMEOUT_MS, why, sizeof(why)))
		log_info("chain %s: connected", r->name);
	else
		log_warn("chain %s: %s; it is tried again when needed", r->name, why);
	return r;
}

void chain_remote_close(struct chain_remote *r)
{
	if (!r)
		return;
	disconnect(r);
	free(r);
}

enum chain_submit_result chain_remote_submit(struct chain_remote *r, const struct chain_tx *tx,
					     const uint8_t hash[AMP_LEN], uint32_t cltv_expiry,
					     uint32_t height, struct chain_tx *winner)
{
	struct chain_request req = { .op = CHAIN_OP_SUBMIT, .tx = *tx, .cltv_expiry = cltv_expiry,
				     .height = height };
	memcpy(req.hash, hash, AMP_LEN);
	struct chain_response resp;
	if (!call(r, &req, &resp))
		return CHAIN_UNREACHABLE;
	if (resp.result == CHAIN_SPENT)
		*winner = resp.tx;
	return resp.result;
}

bool chain_remote_confirmed(struct chain_remote *r, const char *channel, uint64_t htlc_id,
			    uint32_t height, struct chain_tx *out)
{
	struct chain_request req = { .op = CHAIN_OP_CONFIRMED, .tx.htlc_id = htlc_id,
				     .height = height };
	snprintf(req.tx.channel, sizeof(req.tx.channel), "%s", channel);
	struct chain_response resp;
	if (!call(r, &req, &resp) || !resp.found)
		return false;
	/* the server answers what its file holds: confirmed by this height */
	if (resp.tx.confirm_height > height || strcmp(resp.tx.channel, channel) != 0 ||
	    resp.tx.htlc_id != htlc_id)
		return false;
	*out = resp.tx;
	return true;
}

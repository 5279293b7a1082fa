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

#include <sodium.h>

#include "chain_wire.h"
#include "daemon.h"
#include "log.h"
#include "nodekey.h"
#include "noise.h"

struct chain_remote {
	char name[300];                 /* tcp:NODEID@HOST:PORT, for messages */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;                         /* -1: not connected */
	struct noise_cipher cipher;     /* BOLT #8, while fd is open */
	uint8_t server_id[NOISE_PUBKEY_LEN];
	uint8_t priv[NOISE_PRIVKEY_LEN];    /* the daemon's node key */
	void (*rand)(void *ctx, uint8_t *buf, size_t n);
	void *rand_ctx;
	int timeout_ms;                 /* each call, at most */
	bool down;                      /* the last call failed (logged) */
	uint32_t down_height;           /* ... at this height */
	char down_why[300];
	bool answered;                  /* a call answered ... */
	uint32_t answered_height;       /* ... at this height */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline; false with why on timeout. */
static bool wait_fd(int fd, short events, int64_t deadline, int timeout_ms, char *why, size_t n)
{
	for (;;) {
		int64_t left = deadline - mono_ms();
		if (left <= 0) {
			snprintf(why, n, "no answer within %d ms", timeout_ms);
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
	noise_cipher_wipe(&r->cipher);
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
		if (!wait_fd(fd, POLLOUT, deadline, r->timeout_ms, why, n)) {
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
		      char *why, size_t n);
static bool read_all(struct chain_remote *r, uint8_t *b, size_t len, int64_t deadline, char *why,
		     size_t n);

/* BOLT #8 to the chain's node id, as the daemon's node: the three acts. */
static bool handshake(struct chain_remote *r, int64_t deadline, char *why, size_t n)
{
	struct noise_handshake hs;
	uint8_t e[NOISE_PRIVKEY_LEN], act1[NOISE_ACT_ONE_LEN], act2[NOISE_ACT_TWO_LEN],
		act3[NOISE_ACT_THREE_LEN];
	if (noise_hs_init_initiator(&hs, r->priv, r->server_id) != NOISE_OK)
		fatal("chain %s: the node key or the chain's id does not make a handshake", r->name);
	nodekey_ephemeral(r->rand, r->rand_ctx, e);
	enum noise_status st = noise_act1_make(&hs, e, act1);
	sodium_memzero(e, sizeof(e));
	bool ok = st == NOISE_OK && write_all(r, act1, sizeof(act1), deadline, why, n) &&
		  read_all(r, act2, sizeof(act2), deadline, why, n);
	if (ok && (st = noise_act2_read(&hs, act2)) != NOISE_OK) {
		snprintf(why, n, "BOLT #8 act two failed: %s (is the node id in --chain the "
			 "chain's?)", noise_status_name(st));
		ok = false;
	}
	if (ok)
		ok = noise_act3_make(&hs, act3, &r->cipher) == NOISE_OK &&
		     write_all(r, act3, sizeof(act3), deadline, why, n);
	noise_hs_wipe(&hs);
	return ok;
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
			if (!wait_fd(r->fd, POLLOUT, deadline, r->timeout_ms, why, n))
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
			if (!wait_fd(r->fd, POLLIN, deadline, r->timeout_ms, why, n))
				return false;
		} else {
			snprintf(why, n, "recv: %s", strerror(errno));
			return false;
		}
	}
	return true;
}

enum exchange_result { EX_OK, EX_IO, EX_REFUSED };

/* One request and its response on the open connection: each one BOLT #8
 * message holding one chain message. */
static enum exchange_result exchange(struct chain_remote *r, const struct chain_request *req,
				     struct chain_response *resp, int64_t deadline, char *why,
				     size_t n)
{
	uint8_t buf[CHAIN_WIRE_HDR + CHAIN_WIRE_MAX];
	uint8_t wire[NOISE_WIRE_LEN(CHAIN_WIRE_HDR + CHAIN_WIRE_MAX)];
	size_t len = chain_wire_encode_request(req, buf, sizeof(buf));
	if (len == 0)
		fatal("chain: a %s of %s/%llu does not encode", chain_op_name(req->op),
		      req->tx.channel, (unsigned long long)req->tx.htlc_id);
	if (noise_encrypt_msg(&r->cipher, buf, len, wire) != NOISE_OK)
		fatal("chain: a %s does not encrypt", chain_op_name(req->op));
	uint8_t hdr[NOISE_HDR_LEN];
	if (!write_all(r, wire, NOISE_WIRE_LEN(len), deadline, why, n) ||
	    !read_all(r, hdr, sizeof(hdr), deadline, why, n))
		return EX_IO;
	size_t mlen;
	enum noise_status st = noise_decrypt_len(&r->cipher, hdr, &mlen);
	if (st != NOISE_OK || mlen < CHAIN_WIRE_HDR || mlen > CHAIN_WIRE_HDR + CHAIN_WIRE_MAX) {
		snprintf(why, n, "an answer that is not a chain message (%s)",
			 st != NOISE_OK ? noise_status_name(st) : "its length");
		return EX_IO;
	}
	if (!read_all(r, wire, mlen + NOISE_MAC_LEN, deadline, why, n))
		return EX_IO;
	if ((st = noise_decrypt_body(&r->cipher, wire, mlen + NOISE_MAC_LEN, buf)) != NOISE_OK) {
		snprintf(why, n, "an answer that does not decrypt: %s", noise_status_name(st));
		return EX_IO;
	}
	uint32_t body;
	if (!chain_wire_header(buf, &body) || body != mlen - CHAIN_WIRE_HDR) {
		snprintf(why, n, "an answer of %u bytes in a message of %zu", body, mlen);
		return EX_IO;
	}
	char err[200];
	if (!chain_wire_decode_response(buf + CHAIN_WIRE_HDR, body, resp, err, sizeof(err))) {
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
	int64_t deadline = mono_ms() + r->timeout_ms;
	char why[300] = "";
	/* a kept connection may have been closed since (the server's idle
	 * limit, or a restart): then one new connection, in the same time */
	for (int attempt = 0; attempt < 2; attempt++) {
		bool fresh = r->fd < 0;
		if (fresh && !(connect_to(r, deadline, why, sizeof(why)) &&
			       handshake(r, deadline, why, sizeof(why)))) {
			disconnect(r);
			break;
		}
		enum exchange_result x = exchange(r, req, resp, deadline, why, sizeof(why));
		if (x == EX_OK) {
			if (r->down)
				log_info("chain %s answers again", r->name);
			r->down = false;
			r->answered = true;
			r->answered_height = req->height;
			return true;
		}
		if (fresh && strcmp(why, "the connection was closed") == 0)
			snprintf(why, sizeof(why), "the connection was closed right after the "
				 "handshake (is this node in the chain's --allow?)");
		disconnect(r);
		/* a new connection only for a kept one found closed, in the
		 * time left: not after a timeout, whose request the server
		 * may still carry out */
		if (x == EX_REFUSED || fresh || mono_ms() >= deadline)
			break;
	}
	if (!r->down && req->op == CHAIN_OP_STATUS)
		log_warn("chain %s: %s (at height %u); asked again at the next block", r->name, why,
			 req->height);
	else if (!r->down)
		log_warn("chain %s: %s (%s of %s/%llu at height %u); asked again at the next block",
			 r->name, why, chain_op_name(req->op), req->tx.channel,
			 (unsigned long long)req->tx.htlc_id, req->height);
	r->down = true;
	r->down_height = req->height;
	snprintf(r->down_why, sizeof(r->down_why), "%s", why);
	return false;
}

void chain_remote_set_block(struct chain_remote *r, uint64_t block_wall_ms)
{
	if (!block_wall_ms)
		return;
	/* one block: a chain that hangs costs a call, not the blocks after
	 * it, and is asked again at the next one */
	uint64_t t = block_wall_ms;
	r->timeout_ms = t < CHAIN_REMOTE_MIN_TIMEOUT_MS ? CHAIN_REMOTE_MIN_TIMEOUT_MS
			: t > CHAIN_REMOTE_TIMEOUT_MS ? CHAIN_REMOTE_TIMEOUT_MS : (int)t;
}

const char *chain_remote_name(const struct chain_remote *r)
{
	return r->name;
}

struct chain_remote *chain_remote_open(const char *target, const struct chain_client *me,
				       char *err, size_t errlen)
{
	char host[256], hostport[300];
	uint8_t server_id[NOISE_PUBKEY_LEN];
	uint16_t port;
	if (!strchr(target, '@')) {
		snprintf(err, errlen, "tcp:%s: expected tcp:NODEID@HOST:PORT: a served chain is "
			 "reached over BOLT #8, with its node id (ampsim chain prints it)", target);
		return NULL;
	}
	if (!nodekey_parse_target(target, server_id, hostport, sizeof(hostport))) {
		snprintf(err, errlen, "tcp:%s: the node id before '@' is not one (66 hex digits, a "
			 "compressed secp256k1 key)", target);
		return NULL;
	}
	if (!parse_hostport(hostport, host, sizeof(host), &port) || port == 0) {
		snprintf(err, errlen, "tcp:%s: expected tcp:NODEID@HOST:PORT (or "
			 "tcp:NODEID@[V6]:PORT), the port above 0", target);
		return NULL;
	}
	if (!me || !me->node_priv || !me->rand)
		fatal("chain tcp:%s: opened without the daemon's node key", target);
	char service[8];
	snprintf(service, sizeof(service), "%u", port);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int gr = getaddrinfo(host, service, &hints, &ai);
	if (gr != 0 || !ai) {
		snprintf(err, errlen, "tcp:%s: cannot resolve %s: %s", target, host,
			 gr ? gai_strerror(gr) : "no address");
		return NULL;
	}
	struct chain_remote *r = xcalloc(1, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "tcp:%s", target);
	memcpy(&r->addr, ai->ai_addr, ai->ai_addrlen);
	r->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	r->fd = -1;
	memcpy(r->server_id, server_id, sizeof(server_id));
	memcpy(r->priv, me->node_priv, NOISE_PRIVKEY_LEN);
	r->rand = me->rand;
	r->rand_ctx = me->rand_ctx;
	r->timeout_ms = CHAIN_REMOTE_TIMEOUT_MS;
	chain_remote_set_block(r, me->block_wall_ms);
	/* not an error if it is not up yet: it is tried at every block */
	char why[300];
	int64_t deadline = mono_ms() + r->timeout_ms;
	if (connect_to(r, deadline, why, sizeof(why)) && handshake(r, deadline, why, sizeof(why))) {
		log_info("chain %s: connected", r->name);
	} else {
		disconnect(r);
		log_warn("chain %s: %s; it is tried again at every block", r->name, why);
	}
	return r;
}

void chain_remote_close(struct chain_remote *r)
{
	if (!r)
		return;
	disconnect(r);
	sodium_memzero(r->priv, sizeof(r->priv));
	free(r);
}

bool chain_remote_reachable(struct chain_remote *r, uint32_t height, char *why, size_t n)
{
	if (r->answered && r->answered_height == height && !r->down)
		return true;
	struct chain_request req = { .op = CHAIN_OP_STATUS, .height = height };
	struct chain_response resp;
	if (call(r, &req, &resp))
		return true;
	snprintf(why, n, "%s", r->down_why);
	return false;
}

enum chain_submit_result chain_remote_submit(struct chain_remote *r, const struct chain_tx *tx,
					     const struct chain_proof *proof, uint32_t height,
					     struct chain_tx *winner, char *why, size_t whylen)
{
	struct chain_request req = { .op = CHAIN_OP_SUBMIT, .tx = *tx, .proof = *proof,
				     .height = height };
	struct chain_response resp;
	if (!call(r, &req, &resp))
		return CHAIN_UNREACHABLE;
	if (resp.result == CHAIN_SPENT)
		*winner = resp.tx;
	if (resp.result == CHAIN_INVALID && why)
		snprintf(why, whylen, "%s", resp.reason);
	return resp.result;
}

bool chain_remote_confirmed(struct chain_remote *r, const struct chain_tx *which,
			    uint32_t height, struct chain_tx *out)
{
	struct chain_request req = { .op = CHAIN_OP_CONFIRMED, .height = height };
	snprintf(req.tx.channel, sizeof(req.tx.channel), "%s", which->channel);
	memcpy(req.tx.sender, which->sender, CHAIN_RULES_KEY_LEN);
	memcpy(req.tx.receiver, which->receiver, CHAIN_RULES_KEY_LEN);
	req.tx.htlc_id = which->htlc_id;
	struct chain_response resp;
	if (!call(r, &req, &resp) || !resp.found)
		return false;
	/* the server answers what its file holds: confirmed by this height,
	 * of the output asked about */
	if (resp.tx.confirm_height > height || strcmp(resp.tx.channel, which->channel) != 0 ||
	    memcmp(resp.tx.sender, which->sender, CHAIN_RULES_KEY_LEN) != 0 ||
	    memcmp(resp.tx.receiver, which->receiver, CHAIN_RULES_KEY_LEN) != 0 ||
	    resp.tx.htlc_id != which->htlc_id)
		return false;
	*out = resp.tx;
	return true;
}

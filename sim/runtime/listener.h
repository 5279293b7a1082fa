/* A listening TCP socket for a daemon, as libevent's evconnlistener with
 * what a daemon facing strangers needs around it:
 *
 * - the address is "HOST:PORT" or "[V6]:PORT", parsed with
 *   evutil_parse_sockaddr_port (a name such as "localhost" is resolved);
 *   port 0 binds a free port, which listener_port() tells;
 * - a cap on open connections: beyond it a new connection is closed at
 *   once (and counted), so idle strangers cannot use up the descriptors;
 * - accept() failing for want of descriptors (EMFILE, ENFILE) pauses
 *   accepting for a moment with one warning, instead of spinning on the
 *   same error as fast as the loop turns. */
#ifndef AMPSIM_LISTENER_H
#define AMPSIM_LISTENER_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct listener;

/* A new connection: fd is the caller's, name is "ADDR:PORT" of the peer. */
typedef void (*listener_accept_fn)(evutil_socket_t fd, const char *name, void *arg);

struct listener *listener_new(struct event_base *base, const char *hostport, unsigned max_conns,
			      listener_accept_fn on_accept, void *arg, char *err, size_t errlen);
void listener_free(struct listener *l);

uint16_t listener_port(const struct listener *l);

/* Descriptors ran out: fn may close a connection it holds (the least
 * useful: one still in its handshake) and return true, and accepting goes
 * on at once; false pauses it (LISTENER_PAUSE_MS). */
typedef bool (*listener_full_fn)(void *arg);
void listener_on_full(struct listener *l, listener_full_fn fn);

/* The caller closed a connection it was given (the cap counts open ones). */
void listener_conn_closed(struct listener *l);

struct listener_stats {
	unsigned open;              /* connections given and not yet closed */
	uint64_t accepted;          /* given to the caller */
	uint64_t refused;           /* closed at once: over the cap */
	uint64_t pauses;            /* out of descriptors: accepting paused */
	uint64_t evictions;         /* out of descriptors: the owner freed one */
};
struct listener_stats listener_stats(const struct listener *l);

/* How long accepting pauses when descriptors run out. */
#define LISTENER_PAUSE_MS 100

#endif

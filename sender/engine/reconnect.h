/* When alice tries to reach Bob again, and when she stops trying: the rule
 * her shell (alice.c) follows, as plain arithmetic on a small state, so
 * that it is tested without sockets. The shell keeps a struct reconnect,
 * asks reconnect_after() each time a try ends without a secure connection
 * and arms its timer with the answer; reconnect_secured() starts over. */
#ifndef AMPSIM_RECONNECT_H
#define AMPSIM_RECONNECT_H

#include <stdbool.h>

/* the first wait after a lost connection; each next one doubles it */
#define RECONNECT_FIRST_MS 20
/* on a first start bob may still be starting: each wait is this much
 * longer than the last */
#define RECONNECT_STEP_MS 10
/* the longest wait between two tries */
#define RECONNECT_MAX_MS 1000
/* BOLT #8 handshakes that fail in a row before alice stops: the node at
 * the address does not hold the key she was told to expect, and will not
 * change its key by being asked again */
#define RECONNECT_HANDSHAKE_TRIES 5

/* how the last try ended */
enum reconnect_why {
	RECONNECT_STARTING,    /* no connection yet, on a first start (bob may be starting) */
	RECONNECT_LOST,        /* a connection lost, or no connection, after that */
	RECONNECT_HANDSHAKE,   /* connected, and the BOLT #8 handshake failed */
};

struct reconnect {
	unsigned delay_ms;             /* the last wait; 0 before the first */
	unsigned handshake_failures;   /* in a row, since the last handshake that ended */
};

struct reconnect_next {
	bool give_up;          /* stop: no further try can succeed */
	unsigned delay_ms;     /* otherwise, wait this long before the next try */
	unsigned failures;     /* failed handshakes in a row, this one included */
};

/* The next try after one that ended so (changes r). */
struct reconnect_next reconnect_after(struct reconnect *r, enum reconnect_why why);
/* A handshake ended: the node is the one named; the waits start over. */
void reconnect_secured(struct reconnect *r);

#endif

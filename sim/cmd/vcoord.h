/* The run's virtual clock: the coordinator side of sim/runtime/timebase.h.
 * It owns simulated time. Each daemon reports when it is idle at the
 * current instant (its next timer, and its messages sent and received per
 * connection); time moves to the next instant only when every daemon the
 * run expects has reported idle at the current one and no message is on
 * its way. docs/time.md explains the rules. Blocking (poll), as the rest of
 * the ampsim command. */
#ifndef AMPSIM_VCOORD_H
#define AMPSIM_VCOORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VC_NO_TIMER UINT64_MAX

struct vcoord;

/* A blocking Unix socket listening at path (replacing what is there),
 * private to this user; -1 with err set on failure. */
int unix_listen(const char *path, int backlog, char *err, size_t errlen);

struct vcoord *vcoord_listen(const char *path, char *err, size_t errlen);
void vcoord_free(struct vcoord *vc);

uint64_t vcoord_now(const struct vcoord *vc);
/* Whether node ("alice", "bob") is connected. */
bool vcoord_has(const struct vcoord *vc, const char *node);

enum vc_settle { VC_SETTLED, VC_TIMEOUT };
/* Wait until each of the nodes is connected and idle at now and nothing is
 * in flight between them; *next is the earliest timer any of them has
 * armed (VC_NO_TIMER: none). timeout_ms bounds the wait in wall time (a
 * daemon that hangs must not hang the run); *why says what is awaited. */
enum vc_settle vcoord_settle(struct vcoord *vc, const char *const *nodes, size_t n,
			     int timeout_ms, uint64_t *next, char *why, size_t whylen);
/* Move every connected daemon to t (>= now). With t = now: ask for fresh
 * reports (after the run changed a daemon through its control socket). */
void vcoord_advance(struct vcoord *vc, uint64_t t);
/* What the daemons' timers due at t will do, one line each ("\n  bob:
 * update_fulfill_htlc on c1 reaches alice"); "" when none is due then. */
/* A stepped run: ask the daemons, with each advance, what every timer of
 * their next instant will do. */
void vcoord_want_labels(struct vcoord *vc, bool on);
void vcoord_labels(const struct vcoord *vc, uint64_t t, char *buf, size_t n);
/* From a signal handler: the wait in progress (and every later one) ends
 * at once, as a timeout that says so. */
void vcoord_interrupt(void);
bool vcoord_interrupted(void);
/* Tell every daemon the run is over. */
void vcoord_end(struct vcoord *vc);

#endif

/* Simulated time for a daemon: "now", and timers at a simulated instant.
 *
 * Two clocks (docs/time.md):
 * - wall: now = (wall time - epoch) x time_scale (struct simclock); a
 *   timer is an event-loop timer over the matching wall span.
 * - virtual: now is what the run's coordinator says it is. The daemon
 *   tells the coordinator, whenever it has finished the work of the current
 *   instant, how many messages it has put on the wire and how many it has
 *   received and handled, and when its next timer is due; the coordinator
 *   moves time to the next instant once both daemons are idle and no
 *   message is on its way (docs/time.md says why that cannot deadlock nor
 *   skip a message). Work takes no simulated time.
 *
 * Messages are counted per connection, so that a connection cut with
 * messages still in it (a disconnect, a crash) cannot leave the run waiting
 * for them: a connection either side reports closed no longer counts.
 *
 * The protocol with the coordinator is one line per message over a Unix
 * stream socket:
 *   daemon -> coordinator: "hello NODE"
 *                          "idle T E NEXT [CONN SENT RECEIVED open|closed]... [| LABEL]"
 *   coordinator -> daemon: "advance T E"
 *                          "end"                          (the run is over)
 * E numbers the coordinator's advances: a report counts only for the
 * advance it answers, so one written before the coordinator's last request
 * (the run's own steps, done through the control socket, change a daemon's
 * timers) cannot be taken for the state after it. "advance" to the same T
 * with a new E asks for a fresh report.
 * T and NEXT are simulated microseconds (NEXT "-": no timer armed); CONN
 * names a connection the same way on both sides (its two addresses, in
 * sorted order); LABEL says in plain words what the next timer will do. */
#ifndef AMPSIM_TIMEBASE_H
#define AMPSIM_TIMEBASE_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

struct timebase;
struct tb_timer;

/* clk stays the caller's and may change (bob learns the epoch from init). */
struct timebase *timebase_wall(struct event_base *base, const struct simclock *clk);
/* Connects to the coordinator at path and says hello as node; the clock
 * starts at simulated time start (a daemon the run restarts joins at the
 * run's current instant). */
struct timebase *timebase_virtual(struct event_base *base, const char *path, const char *node,
				  uint64_t start, char *err, size_t errlen);
/* "PATH" or "PATH@START_US" as a daemon's --clock virtual: takes it. */
bool timebase_parse_virtual(const char *arg, char *path, size_t n, uint64_t *start);
void timebase_free(struct timebase *tb);
bool timebase_is_virtual(const struct timebase *tb);

/* Whether what happened at simulated time at may be handled now. Within
 * an instant a daemon fires its own timers first, then handles messages
 * from the other side (in the order they came): a message of instant T that
 * arrives before this daemon's timers of T have fired waits for them, so
 * the order never depends on which socket the event loop read first.
 * Always true on the wall clock. */
bool timebase_instant_ready(const struct timebase *tb, uint64_t at);

/* Simulated microseconds since the run's t = 0. */
uint64_t timebase_now(const struct timebase *tb);

/* Under the virtual clock every frame on a link follows the simulated time
 * it was written at: 8 bytes, big-endian. */
#define TB_STAMP_LEN 8
void tb_stamp_put(uint8_t out[TB_STAMP_LEN], uint64_t at);
uint64_t tb_stamp_get(const uint8_t in[TB_STAMP_LEN]);

typedef void (*tb_timer_fn)(void *arg);
struct tb_timer *tb_timer_new(struct timebase *tb, tb_timer_fn fn, void *arg);
/* Arm (or move) the timer to fire at simulated time at; a time already
 * past fires at the current instant. */
void tb_timer_at(struct tb_timer *t, uint64_t at);
void tb_timer_cancel(struct tb_timer *t);
bool tb_timer_armed(const struct tb_timer *t);
void tb_timer_free(struct tb_timer *t);
/* What the timer's firing will do, in plain words, for a stepped run
 * ("update_add_htlc on c1 reaches bob"): written into buf when asked. */
typedef void (*tb_label_fn)(void *arg, uint64_t at, char *buf, size_t n);
void tb_timer_set_label(struct tb_timer *t, tb_label_fn fn);
/* The node name given to the coordinator ("alice", "bob"; "" on the wall
 * clock). */
const char *timebase_node(const struct timebase *tb);

/* Message accounting per connection (virtual clock; counted but not
 * reported under the wall clock): a frame was written to the connection;
 * a received frame has been handled; the connection is gone. */
struct tb_conn;
struct tb_conn *tb_conn_new(struct timebase *tb, const char *key);
void tb_conn_sent(struct tb_conn *c);
void tb_conn_received(struct tb_conn *c);
/* Closed: reported to the coordinator, then forgotten (c is freed). */
void tb_conn_closed(struct tb_conn *c);
/* The key of a connected socket: "ADDR:PORT|ADDR:PORT", sorted. */
bool tb_conn_key(int fd, char *buf, size_t n);

/* Work that is neither a timer nor a message is under way (a connection
 * being made): the daemon is not idle until it ends. Counted. */
void timebase_busy(struct timebase *tb, bool busy);

/* Called when the coordinator ends the run or goes away (virtual only). */
void timebase_on_end(struct timebase *tb, void (*fn)(void *arg), void *arg);

#endif

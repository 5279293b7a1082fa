/* The JSON Lines event log: one object per state change, each stamped with
 * simulated time (t_ms), block height and the node that saw it. Every
 * event is a record (evrec.h) whose name and fields are those of the event
 * table (evtable.h); evline_format writes it, with jansson so every string
 * is escaped correctly. */
#ifndef AMPSIM_EVENTS_H
#define AMPSIM_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clock.h"
#include "evrec.h"

struct evlog;

/* path may be NULL (events are counted but not written). */
struct evlog *evlog_open(const char *path, const char *node, const struct simclock *clk,
			 char *err, size_t errlen);
void evlog_close(struct evlog *log);
/* Stamp events with tb's simulated time (the virtual clock) instead of
 * the wall clock read through clk; heights still follow clk's interval. */
struct timebase;
void evlog_set_timebase(struct evlog *log, const struct timebase *tb);
/* Stamp events with *now_us (simulated microseconds), which the caller
 * keeps current: the in-process world, whose clock is a variable. Written
 * out only by evlog_flush or evlog_close. */
void evlog_set_now(struct evlog *log, const uint64_t *now_us);
void evlog_flush(struct evlog *log);

/* An event record (evrec.h) as one line, stamped now: every line of
 * every event log is written here. */
void evlog_emit_rec(struct evlog *log, const struct evrec *r);

/* The one formatter: record r as node's event-log line (no newline),
 * stamped with simulated time sim_us and height: the JSON object
 * {"t_ms", "height", "node", "event", then r's fields in order}, strings
 * escaped by jansson, reals to 10 significant digits, a u64 above
 * 2^63 - 1 as a real. Malloc'd; NULL if it cannot be written. The event
 * logs of the daemons, of ampsim run (a crash) and of the in-process
 * world are all made of its lines; ampsim run's merged --events file is
 * their lines as written, and the timeline and the tests parse them. */
char *evline_format(const struct evrec *r, uint64_t sim_us, uint32_t height, const char *node);
/* What can be read off a line evline_format wrote without parsing it:
 * the event's name (*len bytes at the pointer returned; NULL when the line
 * has none where the formatter puts it) and t_ms (0 when absent). */
const char *evline_name(const char *line, size_t *len);
double evline_t_ms(const char *line);

/* Invariant violations: logged loudly on stderr and as an
 * "invariant_violation" event; the count is reported over the control
 * socket so runs and tests fail on them. */
void evlog_violation(struct evlog *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
unsigned evlog_violations(const struct evlog *log);

/* Helpers for building JSON results (the control socket's). */
void json_set_hex(json_t *obj, const char *key, const uint8_t *bytes, size_t n);
void json_set_u64(json_t *obj, const char *key, uint64_t v);
void json_set_str(json_t *obj, const char *key, const char *s);

/* Open path for writing, truncated, readable by its owner only (0600,
 * whatever the umask, even if it existed with another mode): for files
 * that hold events, whose preimages and AMP roots are secrets. NULL and
 * errno on failure. */
FILE *private_fopen(const char *path);

#endif

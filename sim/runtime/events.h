/* The JSON Lines event log: one object per state change, each stamped with
 * simulated time (t_ms), block height and the node that saw it. Built with
 * jansson so every string is escaped correctly. */
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

/* A new event object with t_ms, height, node and event already set; NULL
 * when the log writes nowhere (every json_object_set_* on NULL is a no-op,
 * so callers need not check). */
json_t *evlog_new(struct evlog *log, const char *event);
/* Write ev as one line and release it. */
void evlog_emit(struct evlog *log, json_t *ev);
/* An engine's event record (evrec.h) as one line, stamped now. */
void evlog_emit_rec(struct evlog *log, const struct evrec *r);
/* The record's fields added to an existing object (RPC results, tests). */
void json_set_rec_fields(json_t *obj, const struct evrec *r);

/* Invariant violations: logged loudly on stderr and as an
 * "invariant_violation" event; the count is reported over the control
 * socket so runs and tests fail on them. */
void evlog_violation(struct evlog *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
unsigned evlog_violations(const struct evlog *log);

/* Helpers for building events and RPC results. */
void json_set_hex(json_t *obj, const char *key, const uint8_t *bytes, size_t n);
void json_set_u64(json_t *obj, const char *key, uint64_t v);
void json_set_str(json_t *obj, const char *key, const char *s);

/* Open path for writing, truncated, readable by its owner only (0600,
 * whatever the umask, even if it existed with another mode): for files
 * that hold events, whose preimages and AMP roots are secrets. NULL and
 * errno on failure. */
FILE *private_fopen(const char *path);

#endif

/* Pieces both daemons share: a simulated channel as one daemon sees it
 * (its ledger, the direction it sends on, and whether the other direction
 * is down), faults applied to it, JSON views, the ready file, and the
 * listen/connect address parsing. */
#ifndef AMPSIM_DAEMON_H
#define AMPSIM_DAEMON_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "events.h"
#include "ledger.h"
#include "link.h"
#include "chan.h"
#include "scenario.h"

json_t *chan_json(const struct chan *c);

/* The control socket's fault request {channel, direction, action, lift}.
 * *channel is NULL for a partition (every channel). false + err on a bad
 * request. */
struct rpc_err;
bool fault_request_parse(json_t *params, struct fault_config *f, const char **channel,
			 bool *lift, struct rpc_err *err);
void fault_request_log(struct evlog *log, const struct fault_config *f, const char *channel,
		       bool lift);

/* "HOST:PORT" into host (cap bytes) and port. */
bool parse_hostport(const char *s, char *host, size_t cap, uint16_t *port);

/* Write obj to path atomically (path.tmp then rename). */
bool write_ready_file(const char *path, json_t *obj);

/* SIGINT/SIGTERM end the loop; SIGPIPE is ignored. The returned events are
 * freed with daemon_signals_free. */
struct daemon_signals;
struct daemon_signals *daemon_signals_new(struct event_base *base);
void daemon_signals_free(struct daemon_signals *s);

#endif

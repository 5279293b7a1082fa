/* The world: both engines in one process on one event queue.
 *
 * Alice's payment engine and Bob's receive engine (the same static
 * libraries the daemons link) run here with what their shells would give
 * them, minus the sockets: each channel direction is a sim/core link with
 * the seeded streams the daemons use, each node keeps its timers in
 * (time, arming order) as a daemon's timebase does, messages one node
 * writes are handled by the other after that node's own timers of the
 * instant (docs/time.md), and the chain is an in-memory model with the
 * rules of the served and the file chain (chain_rules.h). So a run here is
 * the run of the two daemons, line for line (docs/world.md says what is
 * and is not covered yet).
 *
 * Pure: links the engines, sim/core and proto/ only. Events reach the
 * caller through a sink, as the engines' records (evrec.h) stamped by the
 * caller with world_now(). */
#ifndef AMPSIM_WORLD_H
#define AMPSIM_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evrec.h"
#include "scenario.h"

enum world_node { WORLD_ALICE = 0, WORLD_BOB = 1 };
const char *world_node_name(enum world_node n);

#define WORLD_NO_TIMER UINT64_MAX

struct world_sink {
	/* an event-log record of node, at world_now() */
	void (*event)(void *ctx, enum world_node node, const struct evrec *r);
	/* an invariant the node's engine found broken (a bug) */
	void (*violation)(void *ctx, enum world_node node, const char *text);
	/* a payment reached its outcome (seq: alice's sequence number) */
	void (*outcome)(void *ctx, uint64_t seq);
	/* a frame node put on the wire (sent) or handled (received; channel:
	 * the channel its message names, or NULL), as --pcap captures them */
	void (*frame)(void *ctx, enum world_node node, bool sent, const char *channel,
		      const uint8_t *bytes, size_t len);
	void *ctx;
};

/* Checked after every event (every timer fired and every message
 * handled) when set: ampsim swarm's state checker. It writes what broke
 * into buf (n bytes), or leaves it empty. The first break is kept. */
struct world;
typedef void (*world_check_fn)(const struct world *w, void *ctx, char *buf, size_t n);
void world_set_check(struct world *w, world_check_fn fn, void *ctx);
/* What the checker found broken, or NULL. */
const char *world_broken(const struct world *w);
/* Timers fired and messages handled so far. */
uint64_t world_events(const struct world *w);

struct world;

/* What the run gives the daemons: the scenario's channels, seed (for the
 * links and the secrets of generation 0), behaviours, hold time and the
 * chain. NULL + err when the scenario needs what the world cannot do yet
 * (see docs/world.md). */
struct world *world_new(const struct scenario *s, const struct world_sink *sink, char *err,
			size_t errlen);
void world_free(struct world *w);

/* Whether the world can play s; false + why. */
bool world_supports(const struct scenario *s, char *why, size_t whylen);

uint64_t world_now(const struct world *w);
/* The scenario the world plays. */
const struct scenario *world_scenario(const struct world *w);
/* Where the world keeps its time: an event log can stamp with it. */
const uint64_t *world_clock(const struct world *w);
uint32_t world_height(const struct world *w);

/* The run's epoch (wall-clock microseconds at t = 0), as alice announces
 * it in init: data only, the world never reads a clock. */
void world_set_epoch(struct world *w, uint64_t epoch_unix_us);
/* t = 0: both daemons up, connected, channels open. */
void world_start(struct world *w);
/* Do all the work of the current instant: each node's timers due now,
 * then the messages of the instant, until nothing is left at it. */
void world_settle(struct world *w);
/* What every timer due at t will do, one "\n  NODE: what" each, as a
 * stepped run shows it. */
void world_labels(const struct world *w, uint64_t t, char *buf, size_t n);
/* The earliest timer of either node; WORLD_NO_TIMER when none. */
uint64_t world_next(const struct world *w);
/* Move to t (>= now); the caller settles. */
void world_advance(struct world *w, uint64_t t);

/* The scenario's steps, as ampsim run carries them out. */
bool world_ready(const struct world *w);        /* alice takes payments */
void world_pay(struct world *w, const struct payment_config *p);
/* A channel fault applied to (or lifted from) one node, as its control
 * socket's fault method does; ampsim run gives it to bob, settles, then
 * to alice. */
void world_fault(struct world *w, enum world_node node, const struct fault_config *f, bool lift);
/* The disconnect fault: alice cuts the connection, bob sees it close,
 * and alice reconnects after her backoff; false if not connected. */
bool world_disconnect(struct world *w);
/* A process fault: the node's engine and everything in its memory are
 * thrown away, as by kill -9 of its daemon (the other side sees the
 * connection close); a restart makes it again from exactly the records
 * its actions persisted (world_life.c). A restart of a node that is up
 * kills it first. */
void world_crash(struct world *w, enum world_node n);
/* A world keeps each node's records when its scenario crashes or restarts
 * a node; one that will be told to crash otherwise (an explorer's choice)
 * is told so here, before world_start. */
void world_keep_records(struct world *w);
void world_restart(struct world *w, enum world_node n);
bool world_up(const struct world *w, enum world_node n);
/* The node's life: 0 for its first, one more at each restart (its
 * secrets' generation); and the time of its last restart (0: none). */
uint32_t world_generation(const struct world *w, enum world_node n);
uint64_t world_restarted_at(const struct world *w, enum world_node n);
/* Whether the node was down at some height in [lo, hi]. */
bool world_was_down(const struct world *w, enum world_node n, uint32_t lo, uint32_t hi);
/* The height at which the node last started (0: its first start). */
uint32_t world_up_since(const struct world *w, enum world_node n);
/* Workload payments alice starts from her own timer (ampsim run's
 * "schedule"); false + why if out of order. */
bool world_schedule(struct world *w, const struct payment_config *p, char *why, size_t n);

/* Forget alice's finished payments beyond the `keep` most recent, as her
 * daemon does by default (--keep-payments), so that a long run's memory
 * stays flat: each is handed to fn first, oldest first (0: keep all, the
 * default, as under ampsim run). world_compact does it now. */
struct payment;
void world_set_forget(struct world *w, size_t keep, void (*fn)(void *ctx, const struct payment *p),
		      void *ctx);
void world_compact(struct world *w);

/* The end of the run: alice stops, bob sees the connection close. */
void world_stop(struct world *w);

/* Quiet: every payment has an outcome, no message is scheduled on a link,
 * nothing is in flight and both views of every channel agree. */
bool world_quiet(const struct world *w, bool *all_final);

/* For the summary and the checker. */
struct pay_engine;
struct bob_engine;
struct chan;
const struct pay_engine *world_alice(const struct world *w);
const struct bob_engine *world_bob(const struct world *w);
/* Node's view of channel i: its ledger and link state (as its control
 * socket's "channels" shows it). */
void world_chan_view(const struct world *w, enum world_node node, size_t i, struct chan *out);
size_t world_nchans(const struct world *w);
unsigned world_violations(const struct world *w, enum world_node node);
/* Messages on their way (scheduled on a link, not held) from node. */
size_t world_pending(const struct world *w, enum world_node node);
/* Every message node's links still hold back: those waiting for their
 * delay (in delivery order), then those held by a down direction. */
typedef void (*world_msg_fn)(void *ctx, const char *message, const char *channel,
			     const uint8_t *frame, size_t len, bool held, uint64_t due_us);
void world_on_the_way(const struct world *w, enum world_node node, world_msg_fn fn, void *ctx);

#endif

/* What an engine decided: the actions its shell carries out.
 *
 * An engine is pure: handle(state, event, now) appends actions to a list
 * and touches nothing else. Its shell then carries the list out: every
 * ACT_PERSIST of the list inside one store transaction first (nothing is
 * sent that is not on disk: docs/reliability.md, "How state survives"), then
 * the other actions in the order they were appended.
 *
 * Frames, event records and texts are owned by the list and freed by
 * actions_clear(). The `what` fields are the engine's own enums (which
 * record to write, which timer, which chain transaction). */
#ifndef AMPSIM_ACTION_H
#define AMPSIM_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ampsim.pb-c.h"
#include "evrec.h"
#include "link.h"

enum action_kind {
	ACT_SEND,        /* put a frame on a connection, through a channel's link or not */
	ACT_PERSIST,     /* write a record (engine-defined) to the store */
	ACT_LOG,         /* an event for the event log */
	ACT_TIMER,       /* arm (or re-arm) a timer at a simulated time */
	ACT_CANCEL,      /* disarm a timer */
	ACT_CHAIN,       /* submit a transaction to the simulated chain */
	ACT_VIOLATION,   /* an invariant broke: a bug, logged loudly */
	ACT_CLOSE,       /* close a connection, with the reason */
	ACT_OUTCOME,     /* a payment (or set) reached its outcome */
};
const char *action_kind_name(enum action_kind k);

#define ACTION_NO_CHAN SIZE_MAX

struct action {
	enum action_kind kind;
	uint64_t conn;              /* SEND, CLOSE: the engine's connection handle */
	size_t chan;                /* SEND: channel index whose link carries it, or
				     * ACTION_NO_CHAN; PERSIST, CHAIN: the channel */
	int what;                   /* PERSIST, TIMER, CANCEL, CHAIN, OUTCOME */
	uint64_t id;                /* PERSIST, TIMER, CANCEL, CHAIN, OUTCOME */
	uint64_t at_us;             /* TIMER: simulated time it fires */
	enum msg_kind msg_kind;     /* SEND: for the link's per-kind fault rules */
	const char *msg_name;       /* SEND: "update_add_htlc", ... (static) */
	uint8_t *frame;             /* SEND: one encoded frame (owned) */
	size_t frame_len;
	uint8_t key[32];            /* PERSIST, CHAIN: a hash, set id or preimage */
	struct evrec *log;          /* LOG (owned) */
	char *text;                 /* VIOLATION, CLOSE: what happened (owned) */
};

struct actions {
	struct action *v;
	size_t n, cap;
	/* event records of cleared actions, kept for the next act_log: a
	 * list that is reused (the in-process world's) allocates none */
	struct evrec **spare;
	size_t nspare, spare_cap;
};

void actions_init(struct actions *a);
/* Free what the actions own and empty the list (it can be reused). */
void actions_clear(struct actions *a);
/* actions_clear, and release the list itself. */
void actions_free(struct actions *a);

/* Encode env as a frame; a message that does not fit is our bug (aborts). */
void act_send(struct actions *a, uint64_t conn, size_t chan, enum msg_kind kind,
	      const Ampsim__Envelope *env);
void act_persist(struct actions *a, int what, size_t chan, uint64_t id, const uint8_t *key);
/* A new record to fill in (evrec_str, evrec_u64, ...), logged in order. */
struct evrec *act_log(struct actions *a, const char *event);
void act_timer(struct actions *a, int what, uint64_t id, uint64_t at_us);
void act_cancel(struct actions *a, int what, uint64_t id);
void act_chain(struct actions *a, int what, size_t chan, uint64_t id, const uint8_t *key);
void act_violation(struct actions *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void act_close(struct actions *a, uint64_t conn, const char *why);
void act_outcome(struct actions *a, int what, uint64_t id);

/* For tests: how many actions of a kind, and the i-th of that kind. */
size_t actions_count(const struct actions *a, enum action_kind k);
const struct action *actions_nth(const struct actions *a, enum action_kind k, size_t i);
/* The first logged event with this name, or NULL. */
const struct evrec *actions_find_log(const struct actions *a, const char *event);

#endif

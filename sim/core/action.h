/* What an engine decided: the actions its shell carries out.
 *
 * An engine is pure: handle(state, event, now) appends actions to a list
 * and touches nothing else. Its shell then carries the list out: every
 * ACT_PERSIST of the list inside one store transaction first (nothing is
 * sent that is not on disk: docs/reliability.md, "How state survives"), then
 * the other actions in the order they were appended.
 *
 * An action is a tagged union: `kind` says which member of `u` it holds,
 * and each kind carries only its own fields. Frames, records, event
 * records and texts are owned by the list and freed by actions_clear().
 *
 * A persist carries its record already encoded: the engine encodes every
 * record its list asks for, as its state stands when the entry point
 * returns, with its own codec (sender/engine/pay_codec.c,
 * receiver/engine/bob_codec.c). A shell and the world write those bytes
 * under the record's key, and never read the engine to make a record (an
 * engine whose shell keeps no store is told so, and encodes none).
 *
 * What the chain answers to an ACT_CHAIN is not handed to the engine while
 * the list is carried out: the shell keeps each answer (struct
 * chain_replies) and, once the list is done, hands them to the engine in
 * order, carrying out the lists that come back the same way. Every
 * ACT_CHAIN gets one answer (one the shell could not send: invalid). A
 * list ends at its first chain transactions (struct chain_wait): what the
 * engine decided after them comes with the answer to the last of them, so
 * that the events an answer brings stand where they would if the answer
 * had come at once. */
#ifndef AMPSIM_ACTION_H
#define AMPSIM_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ampsim.pb-c.h"
#include "evrec.h"
#include "link.h"
#include "vocab.h"

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

struct act_send {
	uint64_t conn;              /* the engine's connection handle */
	size_t chan;                /* channel index whose link carries it, or ACTION_NO_CHAN */
	enum msg_kind msg_kind;     /* for the link's per-kind fault rules */
	const char *msg_name;       /* "update_add_htlc", ... (static) */
	uint8_t *frame;             /* one encoded frame (owned) */
	size_t frame_len;
};

/* A record and its key: which record (the engine's enum pay_record or
 * bob_record), of which channel (or ACTION_NO_CHAN), which one of them
 * (a payment's seq, an HTLC id, an invoice's seq, or 0). */
struct act_persist {
	int record;
	size_t chan;
	uint64_t id;
	/* the record as its engine's codec encodes it (owned); NULL when
	 * there is nothing to write: a deletion, a record that is no longer
	 * kept when the list is made (the engine says which), or any record
	 * of an engine whose shell keeps no store (told so: it encodes none) */
	uint8_t *bytes;
	size_t len;
};

struct act_log_rec {
	struct evrec *rec;          /* owned */
};

struct act_timer {
	int timer;                  /* the engine's enum pay_timer or bob_timer */
	uint64_t id;                /* which timer of that kind (a set's handle), or 0 */
	uint64_t at_us;             /* simulated time it fires */
};

struct act_cancel {
	int timer;                  /* as act_timer */
	uint64_t id;
};

struct act_chain {
	int tx;                     /* the engine's enum pay_chain_tx or bob_chain_tx */
	size_t chan;
	uint64_t htlc_id;
	uint8_t key[32];            /* the claim's preimage, or the refunded HTLC's hash */
};

struct act_violation {
	char *text;                 /* what broke (owned) */
};

struct act_close {
	uint64_t conn;
	char *why;                  /* owned */
};

struct act_outcome {
	enum outcome outcome;
	uint64_t seq;               /* the payment's seq */
};

struct action {
	enum action_kind kind;
	union {
		struct act_send send;           /* ACT_SEND */
		struct act_persist persist;     /* ACT_PERSIST */
		struct act_log_rec log;         /* ACT_LOG */
		struct act_timer timer;         /* ACT_TIMER */
		struct act_cancel cancel;       /* ACT_CANCEL */
		struct act_chain chain;         /* ACT_CHAIN */
		struct act_violation violation; /* ACT_VIOLATION */
		struct act_close close;         /* ACT_CLOSE */
		struct act_outcome outcome;     /* ACT_OUTCOME */
	} u;
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
/* A record whose bytes the engine encodes when its entry point returns. */
void act_persist(struct actions *a, int record, size_t chan, uint64_t id);
/* A record whose bytes are these, now (copied). */
void act_persist_bytes(struct actions *a, int record, size_t chan, uint64_t id,
		       const void *bytes, size_t len);
/* The engine's codec: room for a persist's record of len bytes (zeroed;
 * what it held before is freed). */
uint8_t *act_persist_alloc(struct act_persist *p, size_t len);
/* ... or none: nothing to write. */
void act_persist_none(struct act_persist *p);
/* A new record to fill in (evrec_str, evrec_u64, ...), logged in order. */
struct evrec *act_log(struct actions *a, const char *event);
void act_timer(struct actions *a, int timer, uint64_t id, uint64_t at_us);
void act_cancel(struct actions *a, int timer, uint64_t id);
void act_chain(struct actions *a, int tx, size_t chan, uint64_t htlc_id, const uint8_t *key);
void act_violation(struct actions *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void act_close(struct actions *a, uint64_t conn, const char *why);
void act_outcome(struct actions *a, enum outcome outcome, uint64_t seq);

/* For tests: how many actions of a kind, and the i-th of that kind. */
size_t actions_count(const struct actions *a, enum action_kind k);
const struct action *actions_nth(const struct actions *a, enum action_kind k, size_t i);
/* The first logged event with this name, or NULL. */
const struct evrec *actions_find_log(const struct actions *a, const char *event);

/* ---- the chain's answers, queued after a list ------------------------- */

/* What the chain said to an ACT_CHAIN, as it said it: the engine decides
 * what that means for its HTLC. */
enum chain_answer {
	CHAIN_ANSWER_ACCEPTED,          /* the transaction is on its way to confirm */
	CHAIN_ANSWER_SPENT_BY_REFUND,   /* the output is spent already, by a refund */
	CHAIN_ANSWER_SPENT_BY_CLAIM,    /* ... by a claim */
	CHAIN_ANSWER_INVALID,           /* refused: not (or no longer) valid */
	CHAIN_ANSWER_UNREACHABLE,       /* a served chain did not answer */
};

struct chain_reply {
	size_t chan;
	uint64_t htlc_id;
	enum chain_answer answer;
};

struct chain_replies {
	struct chain_reply *v;
	size_t n, cap;
};

void chain_replies_init(struct chain_replies *r);
void chain_replies_add(struct chain_replies *r, const struct act_chain *tx,
		       enum chain_answer answer);
void chain_replies_free(struct chain_replies *r);

/* What an engine holds back of a list while the chain answers: a list is
 * handed out up to its first ACT_CHAIN and those right after it (its
 * records stay: they are written first anyway); the rest waits for the
 * answer to the last of them. Zeroed memory is an empty wait. */
struct chain_wait {
	struct actions rest;        /* in order */
	size_t answers;             /* answers still to come */
};

void chain_wait_free(struct chain_wait *w);
/* After an entry point's list (out from `from` on): hold back what
 * follows its first chain transactions (after anything held already: an
 * entry point called while answers are awaited, from a shell's callback,
 * adds to the wait). */
void chain_wait_split(struct chain_wait *w, struct actions *out, size_t from);
/* One answer came (its own actions appended to out): after the last, the
 * rest goes on out, itself held back after its first chain transactions. */
void chain_wait_answered(struct chain_wait *w, struct actions *out);

#endif

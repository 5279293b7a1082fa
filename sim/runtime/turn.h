/* Group commit: everything one turn of the event loop decides is written
 * in one store transaction, and nothing that turn sends or acknowledges
 * leaves the process before that transaction is committed.
 *
 * The first record of a turn opens the transaction and schedules the
 * turn's end (an event made active now runs after every callback libevent
 * had already queued for this turn). A connection about to be written to
 * while a transaction is open is held: its bufferevent stops writing, the
 * bytes wait in its output buffer. At the end of the turn the transaction
 * is committed (one fsync with synchronous=FULL) and every held connection
 * writes again. Without a store there is never a transaction: nothing is
 * held, and the module costs one test per write. */
#ifndef AMPSIM_TURN_H
#define AMPSIM_TURN_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct turn;

/* st may be NULL (in-memory daemon). */
struct turn *turn_new(struct event_base *base, struct store *st);
/* Commits what is open, then frees. */
void turn_free(struct turn *t);

/* About to persist: opens the turn's transaction if none is open. */
void turn_write(struct turn *t);

/* A record (the engine's record kind, its channel and id) and its bytes,
 * as the engine encoded them: written once per turn, at its end, with
 * the bytes it was last given that turn (a channel's balances, a
 * payment's document; NULL: nothing to write). The first of a turn opens
 * the transaction; records are written in the order first asked for. */
typedef void (*turn_writer)(void *arg, int record, size_t chan, uint64_t id,
			    const uint8_t *bytes, size_t len);
void turn_set_writer(struct turn *t, turn_writer fn, void *arg);
void turn_record(struct turn *t, int record, size_t chan, uint64_t id, const uint8_t *bytes,
		 size_t len);

/* About to write to bev: if a transaction is open, bev writes nothing
 * until it is committed. t may be NULL. */
void turn_hold(struct turn *t, struct bufferevent *bev);
/* bev is being freed. t may be NULL. */
void turn_forget(struct turn *t, struct bufferevent *bev);

/* Commit now and release every held connection: before an action whose
 * effect leaves the process other than by a held connection (a chain
 * transaction), and at shutdown. Nothing if no transaction is open. */
void turn_commit(struct turn *t);

/* Transactions committed so far. */
uint64_t turn_commits(const struct turn *t);

#endif

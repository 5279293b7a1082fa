/* The world's parts, shared by its files (world.h is what others see):
 * world.c (the event queue, the run's steps, set-up), world_queue.c
 * (timers in time and arming order), world_links.c (the wire and each
 * channel's link), world_chain.c (the in-memory chain), world_alice.c and
 * world_bob.c (what each daemon's shell does with its engine's actions). */
#ifndef AMPSIM_WORLD_INT_H
#define AMPSIM_WORLD_INT_H

#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bob_engine.h"
#include "chain_rules.h"
#include "chan.h"
#include "frame.h"
#include "log.h"
#include "outq.h"
#include "pay_engine.h"
#include "reconnect.h"
#include "secrets.h"
#include "terms.h"
#include "u64map.h"


/* Alice's first connection, as Bob's engine numbers it; each reconnection
 * is the next number, as Bob's shell counts them. */
#define WORLD_CONN 1
/* Bob's daemon forgets paid invoices beyond this many (its default). */
#define BOB_KEEP_INVOICES 10000
/* The nodes' ids: names that sign for free (terms.h) */
extern const uint8_t world_alice_node[TERMS_NODE_LEN], world_bob_node[TERMS_NODE_LEN];

enum wt_kind { WT_BLOCK, WT_DELIVER, WT_SCHED, WT_HOLD, WT_RECONNECT };

struct wtimer {
	enum wt_kind kind;
	uint64_t id;               /* WT_HOLD: the set */
	uint64_t at, seq;
	size_t idx;                /* in the heap; SIZE_MAX: not armed */
};

struct wheap {
	struct wtimer **v;
	size_t n, cap;
	uint64_t seq;
};

/* ---- messages ------------------------------------------------------------- */

/* A frame sent on a channel in hand mode (world_hand.c), waiting for an
 * explorer to deliver, drop or duplicate it, in the order sent. */
struct hand_item {
	struct hand_item *prev, *next;
	size_t chan;
	const char *msg_name;
	/* its delivery window, when it was sent, and which message of its
	 * kind on its link it is */
	uint64_t lo, hi, sent;
	uint32_t nth;
	uint8_t kind;
	/* sent by a node in the instant it restarted at: it arrives after
	 * its delay, and is chosen for no fault (world_hand.h) */
	bool pinned;
	size_t len;
	uint8_t bytes[];
};

struct side {
	enum world_node node;
	struct wheap heap;
	struct wtimer block, deliver;
	struct chan *links;                   /* one per channel of the scenario */
	size_t nlinks;
	struct outq out;                      /* frames on their way over its links (outq.h) */
	struct hand_item *hand, *hand_tail;   /* handed to an explorer, in send order */
	/* frames written to this node, to be handled in the order written:
	 * one whose delivery came moves off the other side's queue onto the
	 * wire as it is (only next is used) */
	struct outq_item *in_head, *in_tail;
	unsigned violations;
};

struct sched_pay {
	const struct payment_config *p;
};

struct wspend {
	size_t chan;
	uint64_t htlc;
	bool claim;
	uint8_t preimage[AMP_LEN];
	uint32_t confirm_height;
};

/* Action lists, reused: one per depth of nesting (a chain result's
 * actions are carried out inside the list that asked the chain). */
#define W_ACT_DEPTH 8

struct world {
	const struct scenario *s;
	struct world_sink sink;
	uint64_t now;
	struct simclock clk;
	struct side a, b;
	struct pay_engine alice;
	struct bob_engine bob;
	struct seeded_secrets alice_secrets, bob_secrets;
	struct seeded_secrets bob_tables;      /* his hash tables' keys */
	struct bob_chain_view chain_view;
	bool connected, ready;
	/* alice's payments handed ahead (alice_sched.c) */
	struct wtimer sched;
	const struct payment_config **q;
	size_t qhead, qn, qcap;
	/* bob's hold timers by set */
	struct u64map holds;           /* set id -> index into hold_v */
	struct wtimer **hold_v;
	size_t nhold, hold_cap;
	size_t bob_compact_at;
	int bob_depth;              /* bob_act's nesting (chain results) */
	/* the chain: spends by (channel, htlc) */
	struct u64map spends;          /* key -> index into spend_v */
	struct wspend *spend_v;
	size_t nspend, spend_cap;
	/* the state checker, after every event (ampsim swarm) */
	world_check_fn check;
	void *check_ctx;
	char broken[512];          /* what it found; "" while all holds */
	uint64_t events;           /* timers fired and messages handled */
	struct actions acts[W_ACT_DEPTH];
	uint64_t conn;             /* alice's connection as bob numbers it */
	struct reconnect rc;       /* alice's backoff (sender/engine/reconnect.c) */
	struct wtimer reconnect;   /* on alice's side */
	size_t keep;               /* world_set_forget: 0, keep every payment */
	size_t compact_at;
	void (*forget)(void *ctx, const struct payment *p);
	void *forget_ctx;
	int act_depth;
	/* each node's life (world_life.c) and its records (world_store.c) */
	struct wstore *store;      /* kept when the scenario crashes a node */
	bool down[2];              /* crashed, not restarted yet */
	uint32_t gen[2];           /* each life's secrets: ampsim run's generations */
	uint64_t bob_conns;        /* connections bob's daemon has counted */
	unsigned alice_tries;      /* alice.c: tries since her last connection */
	bool alice_ever;           /* alice.c: connected once in this life */
	uint32_t up_since[2];      /* the height each node last started at */
	uint64_t restart_at[2];    /* when each node last restarted */
	enum world_node joined_last;   /* the clock's last to join (alice at first) */
	uint32_t down_since[2];    /* the height it crashed at, while down */
	uint32_t (*downs)[3];      /* every time down: node, from, to (heights) */
	size_t ndowns, downs_cap;
	bool hand;                 /* an explorer decides each frame's fate (world_hand.c) */
	/* last, and not zeroed when a world is made (a quarter of a megabyte
	 * an explorer would clear at every replay): frame_arena_init is all
	 * it needs */
	struct frame_arena arena;
};

enum wchain { WC_ACCEPTED, WC_SPENT, WC_INVALID };

/* world_queue.c */
void wt_at(struct wheap *h, struct wtimer *t, uint64_t at);
void wt_cancel(struct wheap *h, struct wtimer *t);

/* world.c */
void w_checkpoint(struct world *w);
struct side *w_side(struct world *w, enum world_node n);
void w_emit(struct world *w, enum world_node n, const struct evrec *r);
void w_violation(struct world *w, enum world_node n, const char *text);
const char *w_chan_name(struct world *w, struct side *sd, size_t chan);

/* world_life.c */
bool w_alice_first(struct world *w, char *err, size_t errlen);
void w_bob_engine(struct world *w);
void w_alice_try(struct world *w);

/* world_store.c */
struct wstore *w_store_new(void);
void w_store_free(struct wstore *st);
void w_store_alice_first(struct world *w);
void w_store_alice(struct world *w, const struct actions *acts);
void w_store_bob(struct world *w, const struct actions *out);
void w_store_flush(struct world *w);
void w_store_load_alice(struct world *w);
void w_store_load_bob(struct world *w);
/* Every record kept, field by field, to put (a state's fingerprint). */
void w_store_digest(const struct world *w, void (*put)(void *ctx, const void *p, size_t n),
		    void *ctx);

/* world_chain.c */
/* a spend with its proof (chain_rules.h): the output is the proof's terms' */
enum wchain w_chain_submit(struct world *w, bool claim, const uint8_t preimage[AMP_LEN],
			   const struct chain_proof *proof, struct wspend *winner);
bool w_chain_confirmed(const struct world *w, const char *channel, uint64_t htlc,
		       uint32_t height, struct wspend *out);
bool w_bob_chain_spent(void *ctx, const char *channel, const uint8_t sender[TERMS_NODE_LEN],
		       const uint8_t receiver[TERMS_NODE_LEN], uint64_t htlc_id, uint32_t height,
		       bool *refund);

/* world_links.c */
void w_wire_write(struct world *w, struct side *from, const uint8_t *bytes, size_t len);
void w_wire_put(struct world *w, struct side *from, struct outq_item *f);
void w_pending_run(struct world *w, struct side *sd);
void w_send_on(struct world *w, struct side *sd, size_t chan, enum msg_kind kind,
	       const char *msg_name, const uint8_t *bytes, size_t len);
void w_release_held(struct world *w, struct side *sd, size_t chan);
void w_forget_all(struct side *sd);
void w_send_action(struct world *w, struct side *sd, const struct act_send *x);

/* world_links.c: hand mode's items (world_hand.h) */
void w_hand_send(struct world *w, struct side *sd, size_t chan, enum msg_kind kind,
		 const char *msg_name, const uint8_t *bytes, size_t len);
void w_hand_append(struct side *sd, struct hand_item *q);
void w_hand_detach(struct side *sd, struct hand_item *q);
void w_hand_forget(struct side *sd);

/* world_alice.c */
void w_alice_run(struct world *w, struct actions *acts);
void w_alice_message(struct world *w, const Ampsim__Envelope *env);
void w_alice_block(struct world *w);
void w_alice_start_payment(struct world *w, const struct payment_config *p);
void w_sched_arm(struct world *w);
void w_sched_fire(struct world *w);
struct actions *w_acts_take(struct world *w);
void w_acts_give(struct world *w);

#define ALICE(w, call)                                \
	do {                                          \
		struct actions *acts_p_ = w_acts_take(w); \
		struct actions acts_ = *acts_p_;      \
		call;                                 \
		w_alice_run((w), &acts_);             \
		*acts_p_ = acts_;                     \
		w_acts_give(w);                       \
	} while (0)

/* world_bob.c */
void w_bob_act(struct world *w, struct actions *out);
void w_bob_sync_links(struct world *w);
void w_hold_forget(struct world *w, uint64_t id);
#define BOB(w, call)                                  \
	do {                                          \
		struct actions *out_p_ = w_acts_take(w); \
		struct actions out_ = *out_p_;        \
		call;                                 \
		w_bob_act((w), &out_);                \
		*out_p_ = out_;                       \
		w_acts_give(w);                       \
	} while (0)

#endif

/* What the timeline's model files share (timeline_model.c draws a run
 * message by message, timeline_agg.c in time buckets): field access to an
 * event, Alice's ledger replayed event by event, and which events are
 * notes along a lifeline. Internal to the timeline. */
#ifndef AMPSIM_TIMELINE_LEDGER_H
#define AMPSIM_TIMELINE_LEDGER_H

#include "amount.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum kind { K_ADD, K_FULFILL, K_FAIL };

/* One HTLC in Alice's ledger. */
struct thtlc {
	const char *ch, *pay;
	json_int_t id;
	struct amount_msat amt;
	bool live;
};

/* A channel's balances as Alice's ledger has them. */
struct tchan {
	const char *id;
	struct amount_msat cap, a, b, f;
	unsigned n;
	bool from_alice;
};

struct tmsg;

/* Strings point into the events, which outlive the model. */
struct model {
	json_t *events;
	struct tchan *ch;
	size_t nch;
	struct thtlc *h;
	size_t nh, caph;
	struct tmsg *m;
	size_t nm, capm, npending;
};

/* An event's field ("" or 0 when absent), its time, and whether it is
 * that node's (any node when node is NULL) event of that name. */
const char *tl_str(json_t *ev, const char *k);
json_int_t tl_int(json_t *ev, const char *k);
double tl_t(json_t *ev);
bool tl_is(json_t *ev, const char *node, const char *event);
struct amount_msat tl_msat(json_t *ev, const char *k);
/* update_add_htlc, update_fulfill_htlc, update_fail_htlc: K_*; else -1 */
int message_kind(const char *message);
/* p grown (doubling) to hold more than n items of size; aborts when out of memory */
void *tl_grow(void *p, size_t *cap, size_t n, size_t size);

long chan_index(struct model *md, const char *id);
/* A channel_open event: the channel as opened (Alice's view wins). */
void chan_open(struct model *md, json_t *ev);
struct thtlc *htlc_find(struct model *md, const char *ch, json_int_t id);
/* Alice's ledger after one of her HTLC events: the channel changed, or -1. */
long ledger_apply(struct model *md, json_t *ev);
/* {"a", "b", "f", "n"} of a channel, and "h": its live HTLCs when asked */
json_t *chan_balances(struct model *md, long ci, bool with_htlcs);

/* The kind of note an event is along its lifeline, or NULL; its label. */
const char *mark_kind(json_t *ev);
json_t *mark_label(json_t *ev);

/* The aggregated model of a large run: "buckets" and "totals" into out. */
void timeline_aggregate(struct model *md, json_t *out, double t_end);
/* Every payment: {id, mode, amount_msat, outcome, t0, t1}. */
json_t *timeline_payments(json_t *events);

#endif

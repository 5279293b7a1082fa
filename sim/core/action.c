#include "action.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"

const char *action_kind_name(enum action_kind k)
{
	switch (k) {
	case ACT_SEND: return "send";
	case ACT_PERSIST: return "persist";
	case ACT_LOG: return "log";
	case ACT_TIMER: return "timer";
	case ACT_CANCEL: return "cancel";
	case ACT_CHAIN: return "chain";
	case ACT_VIOLATION: return "violation";
	case ACT_CLOSE: return "close";
	case ACT_OUTCOME: return "outcome";
	}
	abort();
}

void actions_init(struct actions *a)
{
	a->v = NULL;
	a->n = 0;
	a->cap = 0;
	a->spare = NULL;
	a->nspare = a->spare_cap = 0;
}

/* At most this many records are kept for reuse (a list that once logged a
 * thousand events does not hold a megabyte for ever). */
#define ACTIONS_SPARE_MAX 64

/* What one action owns, freed; its event record, if any, kept for reuse. */
static void action_release(struct actions *a, struct action *x)
{
	struct evrec *r = NULL;
	switch (x->kind) {
	case ACT_SEND: free(x->u.send.frame); break;
	case ACT_PERSIST: free(x->u.persist.bytes); break;
	case ACT_LOG: r = x->u.log.rec; break;
	case ACT_VIOLATION: free(x->u.violation.text); break;
	case ACT_CLOSE: free(x->u.close.why); break;
	case ACT_TIMER:
	case ACT_CANCEL:
	case ACT_CHAIN:
	case ACT_OUTCOME:
		break;
	}
	if (!r)
		return;
	if (a->nspare == a->spare_cap && a->spare_cap < ACTIONS_SPARE_MAX) {
		a->spare_cap = a->spare_cap ? 2 * a->spare_cap : 8;
		a->spare = xrealloc(a->spare, a->spare_cap * sizeof(*a->spare));
	}
	if (a->nspare < a->spare_cap)
		a->spare[a->nspare++] = r;
	else
		free(r);
}

void actions_clear(struct actions *a)
{
	for (size_t i = 0; i < a->n; i++)
		action_release(a, &a->v[i]);
	a->n = 0;
}

void actions_free(struct actions *a)
{
	actions_clear(a);
	for (size_t i = 0; i < a->nspare; i++)
		free(a->spare[i]);
	free(a->spare);
	free(a->v);
	actions_init(a);
}

static struct action *push(struct actions *a, enum action_kind k)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	struct action *x = &a->v[a->n++];
	memset(x, 0, sizeof(*x));
	x->kind = k;
	return x;
}

void act_send(struct actions *a, uint64_t conn, size_t chan, enum msg_kind kind,
	      const Ampsim__Envelope *env)
{
	uint8_t buf[FRAME_MAX + FRAME_HDR];
	size_t n = frame_encode(env, buf, sizeof(buf));
	if (n == 0)
		fatal("message %s does not fit in a frame", envelope_type_name(env));
	struct act_send *x = &push(a, ACT_SEND)->u.send;
	x->conn = conn;
	x->chan = chan;
	x->msg_kind = kind;
	x->msg_name = envelope_type_name(env);
	x->frame = xcalloc(1, n);
	memcpy(x->frame, buf, n);
	x->frame_len = n;
}

void act_persist(struct actions *a, int record, size_t chan, uint64_t id)
{
	struct act_persist *x = &push(a, ACT_PERSIST)->u.persist;
	x->record = record;
	x->chan = chan;
	x->id = id;
}

void act_persist_bytes(struct actions *a, int record, size_t chan, uint64_t id,
		       const void *bytes, size_t len)
{
	act_persist(a, record, chan, id);
	memcpy(act_persist_alloc(&a->v[a->n - 1].u.persist, len), bytes, len);
}

uint8_t *act_persist_alloc(struct act_persist *p, size_t len)
{
	free(p->bytes);
	/* one byte at least: a record of none is not "nothing to write" */
	p->bytes = xcalloc(1, len ? len : 1);
	p->len = len;
	return p->bytes;
}

void act_persist_none(struct act_persist *p)
{
	free(p->bytes);
	p->bytes = NULL;
	p->len = 0;
}

struct evrec *act_log(struct actions *a, const char *event)
{
	struct act_log_rec *x = &push(a, ACT_LOG)->u.log;
	/* evrec_init sets what is read: a spare needs no clearing */
	x->rec = a->nspare ? a->spare[--a->nspare] : xrealloc(NULL, sizeof(*x->rec));
	evrec_init(x->rec, event);
	return x->rec;
}

void act_timer(struct actions *a, int timer, uint64_t id, uint64_t at_us)
{
	struct act_timer *x = &push(a, ACT_TIMER)->u.timer;
	x->timer = timer;
	x->id = id;
	x->at_us = at_us;
}

void act_cancel(struct actions *a, int timer, uint64_t id)
{
	struct act_cancel *x = &push(a, ACT_CANCEL)->u.cancel;
	x->timer = timer;
	x->id = id;
}

void act_chain(struct actions *a, int tx, size_t chan, uint64_t htlc_id, const uint8_t *key)
{
	struct act_chain *x = &push(a, ACT_CHAIN)->u.chain;
	x->tx = tx;
	x->chan = chan;
	x->htlc_id = htlc_id;
	if (key)
		memcpy(x->key, key, sizeof(x->key));
}

void act_violation(struct actions *a, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	push(a, ACT_VIOLATION)->u.violation.text = xstrdup(msg);
}

void act_close(struct actions *a, uint64_t conn, const char *why)
{
	struct act_close *x = &push(a, ACT_CLOSE)->u.close;
	x->conn = conn;
	x->why = xstrdup(why ? why : "");
}

void act_outcome(struct actions *a, enum outcome outcome, uint64_t seq)
{
	struct act_outcome *x = &push(a, ACT_OUTCOME)->u.outcome;
	x->outcome = outcome;
	x->seq = seq;
}

size_t actions_count(const struct actions *a, enum action_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		n += a->v[i].kind == k;
	return n;
}

const struct action *actions_nth(const struct actions *a, enum action_kind k, size_t i)
{
	for (size_t j = 0; j < a->n; j++)
		if (a->v[j].kind == k && i-- == 0)
			return &a->v[j];
	return NULL;
}

const struct evrec *actions_find_log(const struct actions *a, const char *event)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind == ACT_LOG && strcmp(a->v[i].u.log.rec->name, event) == 0)
			return a->v[i].u.log.rec;
	return NULL;
}

/* ---- the chain's answers ------------------------------------------------- */

void chain_replies_init(struct chain_replies *r)
{
	r->v = NULL;
	r->n = r->cap = 0;
}

void chain_replies_add(struct chain_replies *r, const struct act_chain *tx,
		       enum chain_answer answer)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 4;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n++] = (struct chain_reply){ tx->chan, tx->htlc_id, answer };
}

void chain_replies_free(struct chain_replies *r)
{
	free(r->v);
	chain_replies_init(r);
}

/* ---- a list that waits for the chain's answers ------------------------- */

/* x's ownership moves to the end of a. */
static void move_to(struct actions *a, const struct action *x)
{
	*push(a, x->kind) = *x;
}

void chain_wait_free(struct chain_wait *w)
{
	actions_free(&w->rest);
	w->answers = 0;
}

void chain_wait_split(struct chain_wait *w, struct actions *out, size_t from)
{
	size_t i = from;
	while (i < out->n && out->v[i].kind != ACT_CHAIN)
		i++;
	if (i == out->n)
		return;
	/* the chain transactions and the records among them */
	size_t answers = 0;
	for (; i < out->n && (out->v[i].kind == ACT_CHAIN || out->v[i].kind == ACT_PERSIST); i++)
		answers += out->v[i].kind == ACT_CHAIN;
	size_t keep = i;
	for (size_t j = i; j < out->n; j++) {
		if (out->v[j].kind == ACT_PERSIST)
			out->v[keep++] = out->v[j];
		else
			move_to(&w->rest, &out->v[j]);
	}
	out->n = keep;
	w->answers += answers;
}

/* What waits, moved to the end of out; returns where it starts there. */
static size_t release(struct chain_wait *w, struct actions *out)
{
	size_t at = out->n;
	for (size_t i = 0; i < w->rest.n; i++)
		move_to(out, &w->rest.v[i]);
	w->rest.n = 0;   /* moved, not freed */
	w->answers = 0;
	return at;
}

void chain_wait_answered(struct chain_wait *w, struct actions *out)
{
	if (w->answers == 0 || --w->answers > 0)
		return;
	chain_wait_split(w, out, release(w, out));
}

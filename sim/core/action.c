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

void actions_clear(struct actions *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].frame);
		free(a->v[i].text);
		struct evrec *r = a->v[i].log;
		if (!r)
			continue;
		if (a->nspare == a->spare_cap && a->spare_cap < ACTIONS_SPARE_MAX) {
			a->spare_cap = a->spare_cap ? 2 * a->spare_cap : 8;
			a->spare = xrealloc(a->spare, a->spare_cap * sizeof(*a->spare));
		}
		if (a->nspare < a->spare_cap)
			a->spare[a->nspare++] = r;
		else
			free(r);
	}
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
	x->chan = ACTION_NO_CHAN;
	return x;
}

void act_send(struct actions *a, uint64_t conn, size_t chan, enum msg_kind kind,
	      const Ampsim__Envelope *env)
{
	uint8_t buf[FRAME_MAX + FRAME_HDR];
	size_t n = frame_encode(env, buf, sizeof(buf));
	if (n == 0)
		fatal("message %s does not fit in a frame", envelope_type_name(env));
	struct action *x = push(a, ACT_SEND);
	x->conn = conn;
	x->chan = chan;
	x->msg_kind = kind;
	x->msg_name = envelope_type_name(env);
	x->frame = xcalloc(1, n);
	memcpy(x->frame, buf, n);
	x->frame_len = n;
}

void act_persist(struct actions *a, int what, size_t chan, uint64_t id, const uint8_t *key)
{
	struct action *x = push(a, ACT_PERSIST);
	x->what = what;
	x->chan = chan;
	x->id = id;
	if (key)
		memcpy(x->key, key, sizeof(x->key));
}

struct evrec *act_log(struct actions *a, const char *event)
{
	struct action *x = push(a, ACT_LOG);
	/* evrec_init sets what is read: a spare needs no clearing */
	x->log = a->nspare ? a->spare[--a->nspare] : xrealloc(NULL, sizeof(*x->log));
	evrec_init(x->log, event);
	return x->log;
}

void act_timer(struct actions *a, int what, uint64_t id, uint64_t at_us)
{
	struct action *x = push(a, ACT_TIMER);
	x->what = what;
	x->id = id;
	x->at_us = at_us;
}

void act_cancel(struct actions *a, int what, uint64_t id)
{
	struct action *x = push(a, ACT_CANCEL);
	x->what = what;
	x->id = id;
}

void act_chain(struct actions *a, int what, size_t chan, uint64_t id, const uint8_t *key)
{
	struct action *x = push(a, ACT_CHAIN);
	x->what = what;
	x->chan = chan;
	x->id = id;
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
	push(a, ACT_VIOLATION)->text = xstrdup(msg);
}

void act_close(struct actions *a, uint64_t conn, const char *why)
{
	struct action *x = push(a, ACT_CLOSE);
	x->conn = conn;
	x->text = xstrdup(why ? why : "");
}

void act_outcome(struct actions *a, int what, uint64_t id)
{
	struct action *x = push(a, ACT_OUTCOME);
	x->what = what;
	x->id = id;
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
		if (a->v[i].kind == ACT_LOG && strcmp(a->v[i].log->name, event) == 0)
			return a->v[i].log;
	return NULL;
}

/* Payments handed to alice ahead of their start (the run's "schedule"
 * request): each starts at its simulated instant from alice's own timer,
 * with no request to carry it then. Under the virtual clock that saves a
 * control-socket round trip and a round of the clock per payment. The
 * queue is in memory: ampsim run hands payments ahead only in runs that
 * neither crash, restart nor disconnect alice. */
#include <stdlib.h>
#include <string.h>

#include "alice.h"
#include "alice_sched.h"
#include "log.h"

struct sched_pay {
	char id[SCN_ID_MAX];
	uint64_t at_us, timeout_us;
	struct amount_msat amount;
	enum pay_mode mode;
	uint32_t shards, expiry_blocks;
};

struct alice_sched {
	struct alice *a;
	struct tb_timer *timer;
	struct sched_pay *q;          /* q[head .. n): waiting, in start order */
	size_t head, n, cap;
};

static void fire(void *arg);

static void label(void *arg, uint64_t at, char *buf, size_t n)
{
	(void)at;
	const struct alice_sched *s = arg;
	if (s->head < s->n)
		snprintf(buf, n, "payment %s starts (%s)", s->q[s->head].id,
			 pay_mode_name(s->q[s->head].mode));
}

struct alice_sched *alice_sched_new(struct alice *a)
{
	struct alice_sched *s = xcalloc(1, sizeof(*s));
	s->a = a;
	s->timer = tb_timer_new(a->tb, fire, s);
	tb_timer_set_label(s->timer, label);
	return s;
}

void alice_sched_free(struct alice_sched *s)
{
	if (!s)
		return;
	tb_timer_free(s->timer);
	free(s->q);
	free(s);
}

uint64_t alice_sched_last(const struct alice_sched *s, uint64_t now)
{
	return s && s->n > s->head && s->q[s->n - 1].at_us > now ? s->q[s->n - 1].at_us : now;
}

size_t alice_sched_waiting(const struct alice_sched *s)
{
	return s ? s->n - s->head : 0;
}

static void arm(struct alice_sched *s)
{
	if (s->head < s->n)
		tb_timer_at(s->timer, s->q[s->head].at_us);
	else
		tb_timer_cancel(s->timer);
}

/* Every payment due now starts, in the order handed. */
static void fire(void *arg)
{
	struct alice_sched *s = arg;
	uint64_t now = alice_now(s->a);
	while (s->head < s->n && s->q[s->head].at_us <= now) {
		const struct sched_pay *sp = &s->q[s->head++];
		if (pay_engine_find_pay(&s->a->eng, sp->id)) {
			log_warn("scheduled payment %s: a payment of that id exists; not started",
				 sp->id);
			continue;
		}
		struct pay_request p = { .id = sp->id, .mode = sp->mode, .amount = sp->amount,
					 .shards = sp->shards, .expiry_blocks = sp->expiry_blocks,
					 .deadline_us = now + sp->timeout_us };
		alice_pay(s->a, &p);
	}
	if (s->head == s->n)
		s->head = s->n = 0;
	arm(s);
}

bool alice_sched_add(struct alice_sched *s, const char *id, uint64_t at_us,
		     struct amount_msat amount, enum pay_mode mode, uint32_t shards,
		     uint32_t expiry_blocks, uint64_t timeout_us, char *why, size_t whylen)
{
	uint64_t after = s->n > s->head ? s->q[s->n - 1].at_us : alice_now(s->a);
	if (at_us < after) {
		snprintf(why, whylen, "payment %s at %llu us: before %llu us (the last one handed, or "
			 "now): payments are handed in the order they start", id,
			 (unsigned long long)at_us, (unsigned long long)after);
		return false;
	}
	if (s->n - s->head >= ALICE_SCHED_MAX) {
		snprintf(why, whylen, "%d payments are waiting already", ALICE_SCHED_MAX);
		return false;
	}
	if (s->n == s->cap) {
		if (s->head) {                 /* room at the front: slide down */
			memmove(s->q, s->q + s->head, (s->n - s->head) * sizeof(*s->q));
			s->n -= s->head;
			s->head = 0;
		} else {
			s->cap = s->cap ? 2 * s->cap : 256;
			s->q = xrealloc(s->q, s->cap * sizeof(*s->q));
		}
	}
	struct sched_pay *sp = &s->q[s->n++];
	snprintf(sp->id, sizeof(sp->id), "%s", id);
	sp->at_us = at_us;
	sp->amount = amount;
	sp->mode = mode;
	sp->shards = shards;
	sp->expiry_blocks = expiry_blocks;
	sp->timeout_us = timeout_us;
	if (s->n - s->head == 1)
		arm(s);
	return true;
}

/* Alice's list of payments: appended in the order of their seq, found by
 * seq, and forgotten once finished beyond what she keeps. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pay_engine.h"

/* FNV-1a: ids come from scenario files and the local control socket */
static uint64_t id_hash(const char *id)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 0x100000001b3ULL;
	return h;
}

struct payment *pay_engine_add_payment(struct pay_engine *e, const struct payment *p)
{
	if (e->npays == e->pays_cap) {
		e->pays_cap = e->pays_cap ? 2 * e->pays_cap : 16;
		e->pays = xrealloc(e->pays, e->pays_cap * sizeof(*e->pays));
	}
	struct payment *n = &e->pays[e->npays++];
	*n = *p;
	if (n->seq <= e->last_seq)     /* new, or out of order: the next one */
		n->seq = e->last_seq + 1;
	e->last_seq = n->seq;
	uint64_t k = id_hash(n->id), other;
	if (u64map_get(&e->pay_by_id, k, &other))
		e->pay_id_clashes++;
	u64map_put(&e->pay_by_id, k, n->seq);
	return n;
}

struct payment *pay_engine_find_pay(struct pay_engine *e, const char *id)
{
	uint64_t seq;
	if (u64map_get(&e->pay_by_id, id_hash(id), &seq)) {
		struct payment *p = pay_engine_by_seq(e, seq);
		if (p && strcmp(p->id, id) == 0)
			return p;
	}
	if (e->pay_id_clashes)
		for (size_t i = 0; i < e->npays; i++)
			if (strcmp(e->pays[i].id, id) == 0)
				return &e->pays[i];
	return NULL;
}

static int seq_cmp(const void *key, const void *elem)
{
	uint64_t a = *(const uint64_t *)key, b = ((const struct payment *)elem)->seq;
	return a < b ? -1 : a > b;
}

struct payment *pay_engine_by_seq(struct pay_engine *e, uint64_t seq)
{
	return e->npays ? bsearch(&seq, e->pays, e->npays, sizeof(*e->pays), seq_cmp) : NULL;
}

bool pay_engine_finished(const struct payment *p)
{
	if (p->outcome == OUTCOME_PENDING || p->state != PAY_DONE)
		return false;
	for (size_t k = 0; k < p->nparts; k++)
		if (p->parts[k].state == PART_WAITING || p->parts[k].state == PART_INFLIGHT)
			return false;
	return true;
}

size_t pe_compact(struct pay_engine *e, size_t keep, struct actions *out)
{
	size_t nfinished = 0;
	for (size_t i = 0; i < e->npays; i++)
		nfinished += pay_engine_finished(&e->pays[i]);
	if (nfinished <= keep)
		return 0;
	size_t drop = nfinished - keep, dropped = 0, w = 0;
	for (size_t i = 0; i < e->npays; i++) {
		struct payment *p = &e->pays[i];
		if (dropped < drop && pay_engine_finished(p)) {
			for (size_t k = 0; k < p->nparts; k++) {
				/* only the entries that are this part's: a part that
				 * failed unsent names an id that may be another's */
				if (p->parts[k].chan >= e->nchans)
					continue;
				struct owner_map *om = &e->chans[p->parts[k].chan].owners;
				struct pay_owner o;
				if (owner_map_get(om, p->parts[k].htlc_id, &o) && o.seq == p->seq &&
				    o.part == (uint32_t)k)
					owner_map_del(om, p->parts[k].htlc_id);
			}
			act_persist(out, PAY_REC_FORGET, ACTION_NO_CHAN, p->seq);
			uint64_t k = id_hash(p->id), seq;
			if (u64map_get(&e->pay_by_id, k, &seq) && seq == p->seq)
				u64map_del(&e->pay_by_id, k);
			switch (p->outcome) {
			case OUTCOME_SETTLED: e->forgotten.settled++; break;
			case OUTCOME_FAILED: e->forgotten.failed++; break;
			case OUTCOME_REFUNDED: e->forgotten.refunded++; break;
			case OUTCOME_PARTIAL: e->forgotten.partial++; break;
			case OUTCOME_PENDING: break;
			}
			payment_free(p);
			dropped++;
			continue;
		}
		/* invoice requests follow their payment to its new place */
		for (size_t r = 0; r < e->nreqs && w != i; r++)
			if (e->reqs[r].pay == i)
				e->reqs[r].pay = (uint32_t)w;
		e->pays[w++] = *p;
	}
	e->npays = w;
	if (dropped)
		act_persist(out, PAY_REC_TOTALS, ACTION_NO_CHAN, 0);
	return dropped;
}

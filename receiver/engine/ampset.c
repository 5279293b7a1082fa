#include "ampset.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

struct ampset *ampset_find(struct ampset_table *t, enum set_kind kind, const uint8_t key[AMP_LEN])
{
	for (struct ampset *s = t->head; s; s = s->next)
		if (s->kind == kind && memcmp(s->key, key, AMP_LEN) == 0)
			return s;
	return NULL;
}

struct ampset *ampset_find_htlc(struct ampset_table *t, const char *channel, uint64_t htlc_id,
				size_t *index)
{
	for (struct ampset *s = t->head; s; s = s->next) {
		for (size_t i = 0; i < s->n; i++) {
			if (s->htlcs[i].htlc_id == htlc_id && strcmp(s->htlcs[i].channel, channel) == 0) {
				if (index)
					*index = i;
				return s;
			}
		}
	}
	return NULL;
}

struct ampset_result ampset_add(struct ampset_table *t, enum set_kind kind,
				const uint8_t key[AMP_LEN], struct amount_msat total,
				const struct set_htlc *h, uint64_t hold_deadline_us,
				uint64_t expiry_deadline_us)
{
	struct ampset_result r = { SET_REJECT_ONE, NULL, NULL };

	if (kind == SET_AMP && amp_is_zero(key)) {
		r.why = "AMP set_id is all zero";
		return r;
	}
	if (amount_is_zero(total) || amount_less(total, h->amount)) {
		/* a part larger than the whole payment cannot be honest */
		r.why = "total_msat is zero or below the part's amount";
		return r;
	}
	if (kind == SET_AMP && ampset_is_settled(t, key)) {
		r.why = "set already closed (settled or failed)";
		return r;
	}
	struct ampset *s = ampset_find(t, kind, key);
	if (s && ampset_find_htlc(t, h->channel, h->htlc_id, NULL)) {
		r.why = "HTLC already in a set";
		return r;
	}
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->kind = kind;
		memcpy(s->key, key, AMP_LEN);
		s->total = total;
		s->deadline_us = hold_deadline_us;
		s->id = ++t->next_id;
		s->next = t->head;
		t->head = s;
		t->count++;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4;
		s->htlcs = xrealloc(s->htlcs, s->cap * sizeof(*s->htlcs));
	}
	s->htlcs[s->n++] = *h;
	if (expiry_deadline_us < s->deadline_us)
		s->deadline_us = expiry_deadline_us;
	r.set = s;

	if (!amount_eq(total, s->total)) {
		r.verdict = SET_FAIL_ALL;
		r.why = "total_msat differs between parts of the set";
		return r;
	}
	struct amount_msat sum;
	if (!amount_add(&sum, s->sum, h->amount)) {
		r.verdict = SET_FAIL_ALL;
		r.why = "set amounts overflow";
		return r;
	}
	s->sum = sum;
	r.verdict = amount_less(s->sum, s->total) ? SET_HOLD : SET_COMPLETE;
	return r;
}

bool ampset_reconstruct(const struct ampset *s, uint8_t (*preimages)[AMP_LEN], size_t *bad)
{
	uint8_t root[AMP_LEN] = { 0 };
	for (size_t i = 0; i < s->n; i++)
		amp_xor(root, root, s->htlcs[i].share);
	for (size_t i = 0; i < s->n; i++) {
		uint8_t hash[AMP_LEN];
		amp_derive(root, s->htlcs[i].share, s->htlcs[i].child_index, preimages[i], hash);
		if (memcmp(hash, s->htlcs[i].hash, AMP_LEN) != 0) {
			*bad = i;
			return false;
		}
	}
	return true;
}

struct ampset *ampset_by_id(struct ampset_table *t, uint64_t id)
{
	for (struct ampset *s = t->head; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

void ampset_remove_htlc(struct ampset *s, size_t index)
{
	if (index >= s->n)
		fatal("ampset_remove_htlc: index %zu of %zu", index, s->n);
	struct amount_msat sum;
	if (!amount_sub(&sum, s->sum, s->htlcs[index].amount))
		fatal("ampset_remove_htlc: part larger than the set's sum");
	s->sum = sum;
	s->htlcs[index] = s->htlcs[--s->n];
}

static size_t slot_of(const uint8_t key[AMP_LEN], size_t cap)
{
	uint64_t h;
	memcpy(&h, key, sizeof(h));   /* keys are random: their bytes are the hash */
	return (size_t)(h & (cap - 1));
}

bool ampset_is_settled(const struct ampset_table *t, const uint8_t key[AMP_LEN])
{
	if (!t->settled_cap)
		return false;
	for (size_t i = slot_of(key, t->settled_cap);; i = (i + 1) & (t->settled_cap - 1)) {
		if (amp_is_zero(t->settled[i]))
			return false;
		if (memcmp(t->settled[i], key, AMP_LEN) == 0)
			return true;
	}
}

void ampset_insert_settled(struct ampset_table *t, const uint8_t key[AMP_LEN])
{
	/* an all-zero key is refused at the door, so zero marks a free slot */
	if (amp_is_zero(key) || ampset_is_settled(t, key))
		return;
	if (2 * (t->settled_n + 1) > t->settled_cap) {
		size_t cap = t->settled_cap ? 2 * t->settled_cap : 64;
		uint8_t (*old)[AMP_LEN] = t->settled;
		size_t oldcap = t->settled_cap;
		t->settled = xcalloc(cap, AMP_LEN);
		t->settled_cap = cap;
		t->settled_n = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (!amp_is_zero(old[i]))
				ampset_insert_settled(t, old[i]);
		free(old);
	}
	size_t i = slot_of(key, t->settled_cap);
	while (!amp_is_zero(t->settled[i]))
		i = (i + 1) & (t->settled_cap - 1);
	memcpy(t->settled[i], key, AMP_LEN);
	t->settled_n++;
}

void ampset_mark_settled(struct ampset_table *t, struct ampset *s)
{
	if (s->kind == SET_AMP)
		ampset_insert_settled(t, s->key);
	ampset_remove(t, s);
}

void ampset_remove(struct ampset_table *t, struct ampset *s)
{
	struct ampset **pp = &t->head;
	while (*pp && *pp != s)
		pp = &(*pp)->next;
	if (!*pp)
		fatal("ampset_remove: set not in table");
	*pp = s->next;
	t->count--;
	free(s->htlcs);
	free(s);
}

void ampset_table_free(struct ampset_table *t)
{
	while (t->head)
		ampset_remove(t, t->head);
	free(t->settled);
	t->settled = NULL;
	t->settled_cap = t->settled_n = 0;
}

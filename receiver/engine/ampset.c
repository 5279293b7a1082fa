#include "ampset.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* ---- the indexes ------------------------------------------------------ */

void ampset_table_key(struct ampset_table *t, const uint8_t key[AMPSET_KEY_LEN])
{
	memcpy(t->hkey, key, AMPSET_KEY_LEN);
}

static uint64_t hash_bytes(struct ampset_table *t, const uint8_t *in, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, in, len, t->hkey);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return v;
}

static uint64_t key_hash(struct ampset_table *t, enum set_kind kind, const uint8_t key[AMP_LEN])
{
	uint8_t in[1 + AMP_LEN];
	in[0] = (uint8_t)kind;
	memcpy(in + 1, key, AMP_LEN);
	return hash_bytes(t, in, sizeof(in));
}

static uint64_t htlc_hash(struct ampset_table *t, const char *channel, uint64_t htlc_id)
{
	uint8_t in[8 + SET_CHANNEL_MAX];
	size_t n = strnlen(channel, SET_CHANNEL_MAX);
	memcpy(in, &htlc_id, 8);
	memcpy(in + 8, channel, n);
	return hash_bytes(t, in, 8 + n);
}

static uint64_t ptr_val(const struct ampset *s)
{
	return (uint64_t)(uintptr_t)s;
}

static struct ampset *val_ptr(uint64_t v)
{
	return (struct ampset *)(uintptr_t)v;
}

static bool in_set(const struct ampset *s, const char *channel, uint64_t htlc_id, size_t *index)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->htlcs[i].htlc_id == htlc_id && strcmp(s->htlcs[i].channel, channel) == 0) {
			if (index)
				*index = i;
			return true;
		}
	}
	return false;
}

static void index_htlc(struct ampset_table *t, struct ampset *s, const struct set_htlc *h)
{
	uint64_t k = htlc_hash(t, h->channel, h->htlc_id), v;
	if (u64map_get(&t->by_htlc, k, &v) && val_ptr(v) != s)
		t->htlc_collisions++;     /* vanishingly rare: lookups scan on a miss */
	u64map_put(&t->by_htlc, k, ptr_val(s));
}

static void unindex_htlc(struct ampset_table *t, const struct ampset *s, const struct set_htlc *h)
{
	uint64_t k = htlc_hash(t, h->channel, h->htlc_id), v;
	if (u64map_get(&t->by_htlc, k, &v) && val_ptr(v) == s)
		u64map_del(&t->by_htlc, k);
}

struct ampset *ampset_find(struct ampset_table *t, enum set_kind kind, const uint8_t key[AMP_LEN])
{
	uint64_t v;
	if (!t->count || !u64map_get(&t->by_key, key_hash(t, kind, key), &v))
		return NULL;
	for (struct ampset *s = val_ptr(v); s; s = s->hnext)
		if (s->kind == kind && memcmp(s->key, key, AMP_LEN) == 0)
			return s;
	return NULL;
}

struct ampset *ampset_find_htlc(struct ampset_table *t, const char *channel, uint64_t htlc_id,
				size_t *index)
{
	uint64_t v;
	if (!t->count)
		return NULL;
	if (u64map_get(&t->by_htlc, htlc_hash(t, channel, htlc_id), &v) &&
	    in_set(val_ptr(v), channel, htlc_id, index))
		return val_ptr(v);
	if (t->htlc_collisions)
		for (struct ampset *s = t->head; s; s = s->next)
			if (in_set(s, channel, htlc_id, index))
				return s;
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
		if (t->head)
			t->head->prev = s;
		t->head = s;
		t->count++;
		uint64_t k = key_hash(t, kind, key), v;
		if (u64map_get(&t->by_key, k, &v))
			s->hnext = val_ptr(v);
		u64map_put(&t->by_key, k, ptr_val(s));
		u64map_put(&t->by_id, s->id, ptr_val(s));
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4;
		s->htlcs = xrealloc(s->htlcs, s->cap * sizeof(*s->htlcs));
	}
	s->htlcs[s->n++] = *h;
	index_htlc(t, s, h);
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
	uint64_t v;
	return u64map_get(&t->by_id, id, &v) ? val_ptr(v) : NULL;
}

void ampset_remove_htlc(struct ampset_table *t, struct ampset *s, size_t index)
{
	if (index >= s->n)
		fatal("ampset_remove_htlc: index %zu of %zu", index, s->n);
	struct amount_msat sum;
	if (!amount_sub(&sum, s->sum, s->htlcs[index].amount))
		fatal("ampset_remove_htlc: part larger than the set's sum");
	s->sum = sum;
	unindex_htlc(t, s, &s->htlcs[index]);
	s->htlcs[index] = s->htlcs[--s->n];
}

/* a peer chooses AMP set ids: their bytes are not a hash it cannot aim */
static size_t slot_of(const struct ampset_table *t, const uint8_t key[AMP_LEN], size_t cap)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, key, AMP_LEN, t->hkey);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (cap - 1));
}

/* A free slot is all zero. Set ids are no secret (they cross the wire),
 * so the probe need not take constant time as amp_is_zero does, and every
 * add and settle probes. */
static bool slot_free(const uint8_t v[AMP_LEN])
{
	uint64_t w[AMP_LEN / 8];
	memcpy(w, v, sizeof(w));
	return (w[0] | w[1] | w[2] | w[3]) == 0;
}

bool ampset_is_settled(const struct ampset_table *t, const uint8_t key[AMP_LEN])
{
	if (!t->settled_cap)
		return false;
	for (size_t i = slot_of(t, key, t->settled_cap);; i = (i + 1) & (t->settled_cap - 1)) {
		if (slot_free(t->settled[i]))
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
			if (!slot_free(old[i]))
				ampset_insert_settled(t, old[i]);
		free(old);
	}
	size_t i = slot_of(t, key, t->settled_cap);
	while (!slot_free(t->settled[i]))
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
	uint64_t v;
	if (!u64map_get(&t->by_id, s->id, &v) || val_ptr(v) != s)
		fatal("ampset_remove: set not in table");
	u64map_del(&t->by_id, s->id);
	/* out of its key's chain */
	uint64_t k = key_hash(t, s->kind, s->key);
	if (!u64map_get(&t->by_key, k, &v))
		fatal("ampset_remove: set not indexed by its key");
	if (val_ptr(v) == s) {
		if (s->hnext)
			u64map_put(&t->by_key, k, ptr_val(s->hnext));
		else
			u64map_del(&t->by_key, k);
	} else {
		struct ampset *c = val_ptr(v);
		while (c->hnext && c->hnext != s)
			c = c->hnext;
		c->hnext = s->hnext;
	}
	for (size_t i = 0; i < s->n; i++)
		unindex_htlc(t, s, &s->htlcs[i]);
	if (s->prev)
		s->prev->next = s->next;
	else
		t->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	t->count--;
	free(s->htlcs);
	free(s);
}

void ampset_table_free(struct ampset_table *t)
{
	while (t->head)
		ampset_remove(t, t->head);
	u64map_free(&t->by_key);
	u64map_free(&t->by_id);
	u64map_free(&t->by_htlc);
	t->htlc_collisions = 0;
	free(t->settled);
	t->settled = NULL;
	t->settled_cap = t->settled_n = 0;
}

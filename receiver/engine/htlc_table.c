#include "htlc_table.h"

#include <stdlib.h>
#include <string.h>

#include "bob_state.h"
#include "log.h"

static struct bob_htlc *as_htlc(uint64_t v)
{
	return (struct bob_htlc *)(uintptr_t)v;
}

void htlc_table_free(struct htlc_table *t)
{
	for (size_t i = 0; i < t->live.cap; i++)
		if (u64map_at(&t->live, i))
			free(as_htlc(t->live.slot[i].val));
	u64map_free(&t->live);
	free(t->done);
	memset(t, 0, sizeof(*t));
}

struct bob_htlc *htlc_table_get(const struct htlc_table *t, uint64_t id)
{
	uint64_t v;
	return u64map_get(&t->live, id, &v) ? as_htlc(v) : NULL;
}

/* The first range whose hi is above id (binary search). */
static size_t range_after(const struct htlc_table *t, uint64_t id)
{
	size_t lo = 0, hi = t->ndone;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->done[mid].hi <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool htlc_table_finished(const struct htlc_table *t, uint64_t id)
{
	size_t i = range_after(t, id);
	return i < t->ndone && t->done[i].lo <= id;
}

struct bob_htlc *htlc_table_add(struct htlc_table *t, uint64_t id)
{
	struct bob_htlc *h = xcalloc(1, sizeof(*h));
	h->id = id;
	u64map_put(&t->live, id, (uint64_t)(uintptr_t)h);
	if (id >= t->next)
		t->next = id + 1;
	return h;
}

/* Whether a live record has an id in [lo, hi). */
static bool live_in(const struct htlc_table *t, uint64_t lo, uint64_t hi)
{
	for (size_t k = 0; k < t->live.cap; k++) {
		const struct u64map_slot *e = u64map_at(&t->live, k);
		if (e && e->key >= lo && e->key < hi)
			return true;
	}
	return false;
}

/* Past the limit: close the oldest hole that holds no live HTLC (its ids
 * that never came count as seen). */
static void close_a_hole(struct htlc_table *t)
{
	for (size_t h = 0; h + 1 < t->ndone; h++) {
		if (t->ndone < HTLC_TABLE_MAX_STORED &&
		    live_in(t, t->done[h].hi, t->done[h + 1].lo))
			continue;
		t->done[h].hi = t->done[h + 1].hi;
		memmove(&t->done[h + 1], &t->done[h + 2], (t->ndone - h - 2) * sizeof(*t->done));
		t->ndone--;
		return;
	}
}

static void insert_range(struct htlc_table *t, uint64_t id)
{
	size_t i = range_after(t, id);
	if (i < t->ndone && t->done[i].lo <= id)
		return;                     /* already counted as finished */
	bool join_prev = i > 0 && t->done[i - 1].hi == id;
	bool join_next = i < t->ndone && t->done[i].lo == id + 1;
	if (join_prev && join_next) {
		t->done[i - 1].hi = t->done[i].hi;
		memmove(&t->done[i], &t->done[i + 1], (t->ndone - i - 1) * sizeof(*t->done));
		t->ndone--;
	} else if (join_prev) {
		t->done[i - 1].hi = id + 1;
	} else if (join_next) {
		t->done[i].lo = id;
	} else {
		if (t->ndone == t->capdone) {
			t->capdone = t->capdone ? 2 * t->capdone : 8;
			t->done = xrealloc(t->done, t->capdone * sizeof(*t->done));
		}
		memmove(&t->done[i + 1], &t->done[i], (t->ndone - i) * sizeof(*t->done));
		t->done[i] = (struct id_range){ id, id + 1 };
		t->ndone++;
	}
	if (t->ndone > HTLC_TABLE_MAX_RANGES)
		close_a_hole(t);
}

void htlc_table_forget(struct htlc_table *t, uint64_t id)
{
	uint64_t v;
	if (!u64map_get(&t->live, id, &v))
		return;
	free(as_htlc(v));
	u64map_del(&t->live, id);
	insert_range(t, id);
}

size_t htlc_table_slots(const struct htlc_table *t)
{
	return t->live.cap;
}

struct bob_htlc *htlc_table_slot(const struct htlc_table *t, size_t i)
{
	const struct u64map_slot *e = u64map_at(&t->live, i);
	return e ? as_htlc(e->val) : NULL;
}

bool htlc_table_set_finished(struct htlc_table *t, uint64_t next, const struct id_range *r,
			     size_t n)
{
	if (n > HTLC_TABLE_MAX_STORED)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (r[i].lo >= r[i].hi || r[i].hi > next || (i && r[i].lo <= r[i - 1].hi))
			return false;
	}
	free(t->done);
	t->done = n ? xcalloc(n, sizeof(*t->done)) : NULL;
	if (n)
		memcpy(t->done, r, n * sizeof(*r));
	t->ndone = t->capdone = n;
	if (next > t->next)
		t->next = next;
	return true;
}

/* Timers in (time, arming order), as a daemon's timebase keeps them. */
#include "world_int.h"

static bool t_before(const struct wtimer *a, const struct wtimer *b)
{
	return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

static void h_swap(struct wheap *h, size_t i, size_t j)
{
	struct wtimer *t = h->v[i];
	h->v[i] = h->v[j];
	h->v[j] = t;
	h->v[i]->idx = i;
	h->v[j]->idx = j;
}

static void h_up(struct wheap *h, size_t i)
{
	while (i > 0 && t_before(h->v[i], h->v[(i - 1) / 2])) {
		h_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void h_down(struct wheap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && t_before(h->v[l], h->v[m]))
			m = l;
		if (r < h->n && t_before(h->v[r], h->v[m]))
			m = r;
		if (m == i)
			return;
		h_swap(h, i, m);
		i = m;
	}
}

void wt_cancel(struct wheap *h, struct wtimer *t)
{
	if (t->idx == SIZE_MAX)
		return;
	size_t i = t->idx;
	h->n--;
	if (i != h->n) {
		h->v[i] = h->v[h->n];
		h->v[i]->idx = i;
		h_down(h, i);
		h_up(h, i);
	}
	t->idx = SIZE_MAX;
}

/* Arm (or move) t to at: a new place in the arming order, as tb_timer_at. */
void wt_at(struct wheap *h, struct wtimer *t, uint64_t at)
{
	wt_cancel(h, t);
	t->at = at;
	t->seq = h->seq++;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 16;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	t->idx = h->n;
	h->v[h->n++] = t;
	h_up(h, t->idx);
}


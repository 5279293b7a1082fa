#include "owner_map.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

static size_t home(const struct owner_map *m, uint64_t id)
{
	uint64_t h = id * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h ^ (h >> 29)) & (m->cap - 1);
}

void owner_map_free(struct owner_map *m)
{
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

static struct pay_owner *find(const struct owner_map *m, uint64_t id)
{
	if (!m->cap)
		return NULL;
	for (size_t k = home(m, id); m->slot[k].used; k = (k + 1) & (m->cap - 1))
		if (m->slot[k].htlc_id == id)
			return &m->slot[k];
	return NULL;
}

static void grow(struct owner_map *m)
{
	struct pay_owner *old = m->slot;
	size_t oldcap = m->cap;
	m->cap = m->cap ? 2 * m->cap : 64;
	m->slot = xcalloc(m->cap, sizeof(*m->slot));
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].used)
			continue;
		size_t k = home(m, old[i].htlc_id);
		while (m->slot[k].used)
			k = (k + 1) & (m->cap - 1);
		m->slot[k] = old[i];
	}
	free(old);
}

void owner_map_put(struct owner_map *m, uint64_t htlc_id, uint64_t seq, uint32_t part)
{
	struct pay_owner *o = find(m, htlc_id);
	if (!o) {
		if ((m->n + 1) * 2 > m->cap)
			grow(m);
		size_t k = home(m, htlc_id);
		while (m->slot[k].used)
			k = (k + 1) & (m->cap - 1);
		o = &m->slot[k];
		m->n++;
	}
	*o = (struct pay_owner){ htlc_id, seq, part, true };
}

const struct pay_owner *owner_map_get(const struct owner_map *m, uint64_t htlc_id)
{
	return find(m, htlc_id);
}

void owner_map_del(struct owner_map *m, uint64_t htlc_id)
{
	struct pay_owner *o = find(m, htlc_id);
	if (!o)
		return;
	size_t k = (size_t)(o - m->slot);
	m->slot[k].used = false;
	m->n--;
	/* backward shift, so that lookups never stop at the new hole */
	for (size_t j = (k + 1) & (m->cap - 1); m->slot[j].used; j = (j + 1) & (m->cap - 1)) {
		size_t want = home(m, m->slot[j].htlc_id);
		bool movable = k <= j ? (want <= k || want > j) : (want <= k && want > j);
		if (movable) {
			m->slot[k] = m->slot[j];
			m->slot[j].used = false;
			k = j;
		}
	}
}

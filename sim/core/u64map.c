#include "u64map.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

static size_t home(const struct u64map *m, uint64_t key)
{
	uint64_t h = key * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h ^ (h >> 29)) & (m->cap - 1);
}

void u64map_free(struct u64map *m)
{
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

static struct u64map_slot *find(const struct u64map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t k = home(m, key); m->slot[k].used; k = (k + 1) & (m->cap - 1))
		if (m->slot[k].key == key)
			return &m->slot[k];
	return NULL;
}

bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val)
{
	const struct u64map_slot *s = find(m, key);
	if (s && val)
		*val = s->val;
	return s != NULL;
}

static void place(struct u64map *m, uint64_t key, uint64_t val)
{
	size_t k = home(m, key);
	while (m->slot[k].used)
		k = (k + 1) & (m->cap - 1);
	m->slot[k] = (struct u64map_slot){ key, val, true };
}

void u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	struct u64map_slot *s = find(m, key);
	if (s) {
		s->val = val;
		return;
	}
	if ((m->n + 1) * 2 > m->cap) {
		struct u64map_slot *old = m->slot;
		size_t oldcap = m->cap;
		m->cap = m->cap ? 2 * m->cap : 64;
		m->slot = xcalloc(m->cap, sizeof(*m->slot));
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].used)
				place(m, old[i].key, old[i].val);
		free(old);
	}
	place(m, key, val);
	m->n++;
}

bool u64map_del(struct u64map *m, uint64_t key)
{
	struct u64map_slot *s = find(m, key);
	if (!s)
		return false;
	size_t k = (size_t)(s - m->slot);
	m->slot[k].used = false;
	m->n--;
	/* backward shift: a later entry of the probe run moves into the hole
	 * unless its home lies cyclically in (hole, its place] */
	for (size_t j = (k + 1) & (m->cap - 1); m->slot[j].used; j = (j + 1) & (m->cap - 1)) {
		size_t want = home(m, m->slot[j].key);
		bool movable = k <= j ? (want <= k || want > j) : (want <= k && want > j);
		if (movable) {
			m->slot[k] = m->slot[j];
			m->slot[j].used = false;
			k = j;
		}
	}
	return true;
}

#include "turn.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"

struct turn {
	struct event_base *base;
	struct store *st;
	struct event *end;            /* the end of the turn: commit, release */
	bool open;                    /* a transaction is open */
	struct bufferevent **held;
	size_t nheld, capheld;
	uint64_t commits;
	/* records to write at the end of the turn, and a hash set of them */
	turn_writer writer;
	void *writer_arg;
	struct trec {
		int record;
		size_t chan;
		uint64_t id;
		uint8_t *bytes;       /* the last given (owned), or NULL */
		size_t len;
	} *recs;
	size_t nrecs, caprecs;
	uint32_t *slots;              /* index + 1 into recs; 0 = empty */
	size_t nslots;                /* a power of two, at least 2 * caprecs */
	uint64_t kill_after;          /* AMPSIM_KILL_AFTER_COMMIT, 0 = never */
};

static void on_end(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	turn_commit(arg);
}

struct turn *turn_new(struct event_base *base, struct store *st)
{
	struct turn *t = xcalloc(1, sizeof(*t));
	t->base = base;
	t->st = st;
	t->end = event_new(base, -1, 0, on_end, t);
	if (!t->end)
		fatal("out of memory");
	/* A fault-injection point for the crash tests (docs/reliability.md):
	 * kill -9 this process right after its Nth group commit, before any
	 * of what that commit covers is sent. */
	const char *k = getenv("AMPSIM_KILL_AFTER_COMMIT");
	if (k && st) {
		char *end = NULL;
		unsigned long long n = strtoull(k, &end, 10);
		if (end && *end == '\0' && n > 0)
			t->kill_after = n;
	}
	return t;
}

void turn_free(struct turn *t)
{
	if (!t)
		return;
	turn_commit(t);
	event_free(t->end);
	free(t->held);
	free(t->recs);     /* turn_commit freed their bytes */
	free(t->slots);
	free(t);
}

void turn_write(struct turn *t)
{
	if (!t)
		fatal("state written before the daemon's loop is set up");
	if (!t->st || t->open)
		return;
	store_begin(t->st);
	t->open = true;
	event_active(t->end, EV_TIMEOUT, 0);
}

void turn_set_writer(struct turn *t, turn_writer fn, void *arg)
{
	t->writer = fn;
	t->writer_arg = arg;
}

static size_t rec_hash(int record, size_t chan, uint64_t id)
{
	uint64_t h = (id + 1) * 0x9E3779B97F4A7C15ULL;
	h ^= ((uint64_t)chan << 32) ^ (uint64_t)(unsigned)record;
	h *= 0xBF58476D1CE4E5B9ULL;
	return (size_t)(h ^ (h >> 31));
}

static void rehash(struct turn *t)
{
	memset(t->slots, 0, t->nslots * sizeof(*t->slots));
	for (size_t i = 0; i < t->nrecs; i++) {
		size_t k = rec_hash(t->recs[i].record, t->recs[i].chan, t->recs[i].id) & (t->nslots - 1);
		while (t->slots[k])
			k = (k + 1) & (t->nslots - 1);
		t->slots[k] = (uint32_t)i + 1;
	}
}

/* A copy of the record's bytes into r, over what it held. */
static void rec_bytes(struct trec *r, const uint8_t *bytes, size_t len)
{
	free(r->bytes);
	r->bytes = NULL;
	r->len = 0;
	if (!bytes)
		return;
	r->bytes = xrealloc(NULL, len ? len : 1);
	memcpy(r->bytes, bytes, len);
	r->len = len;
}

void turn_record(struct turn *t, int record, size_t chan, uint64_t id, const uint8_t *bytes,
		 size_t len)
{
	if (!t)
		fatal("state written before the daemon's loop is set up");
	if (!t->st)
		return;
	if (!t->writer)
		fatal("turn_record without a writer");
	turn_write(t);
	if (t->nslots) {
		size_t k = rec_hash(record, chan, id) & (t->nslots - 1);
		for (; t->slots[k]; k = (k + 1) & (t->nslots - 1)) {
			struct trec *r = &t->recs[t->slots[k] - 1];
			if (r->record == record && r->chan == chan && r->id == id) {
				rec_bytes(r, bytes, len);   /* written at the end, where first asked */
				return;
			}
		}
	}
	if (t->nrecs == t->caprecs) {
		t->caprecs = t->caprecs ? 2 * t->caprecs : 64;
		t->recs = xrealloc(t->recs, t->caprecs * sizeof(*t->recs));
		free(t->slots);
		t->nslots = 4 * t->caprecs;
		t->slots = xcalloc(t->nslots, sizeof(*t->slots));
		rehash(t);
	}
	t->recs[t->nrecs] = (struct trec){ record, chan, id, NULL, 0 };
	rec_bytes(&t->recs[t->nrecs], bytes, len);
	size_t k = rec_hash(record, chan, id) & (t->nslots - 1);
	while (t->slots[k])
		k = (k + 1) & (t->nslots - 1);
	t->slots[k] = (uint32_t)++t->nrecs;
}

void turn_hold(struct turn *t, struct bufferevent *bev)
{
	if (!t || !t->open)
		return;
	for (size_t i = 0; i < t->nheld; i++)
		if (t->held[i] == bev)
			return;
	if (t->nheld == t->capheld) {
		t->capheld = t->capheld ? 2 * t->capheld : 8;
		t->held = xrealloc(t->held, t->capheld * sizeof(*t->held));
	}
	t->held[t->nheld++] = bev;
	bufferevent_disable(bev, EV_WRITE);
}

void turn_forget(struct turn *t, struct bufferevent *bev)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nheld; i++)
		if (t->held[i] == bev) {
			t->held[i] = t->held[--t->nheld];
			return;
		}
}

void turn_commit(struct turn *t)
{
	if (!t || !t->open)
		return;
	/* the records, in the order first asked for, each as last given */
	for (size_t i = 0; i < t->nrecs; i++) {
		struct trec *r = &t->recs[i];
		t->writer(t->writer_arg, r->record, r->chan, r->id, r->bytes, r->len);
		rec_bytes(r, NULL, 0);
	}
	if (t->nrecs) {
		for (size_t i = 0; i < t->nrecs; i++) {
			size_t k = rec_hash(t->recs[i].record, t->recs[i].chan, t->recs[i].id) &
				   (t->nslots - 1);
			while (t->slots[k] != i + 1)
				k = (k + 1) & (t->nslots - 1);
			t->slots[k] = 0;
		}
		t->nrecs = 0;
	}
	t->open = false;
	store_commit(t->st);
	t->commits++;
	if (t->kill_after && t->commits == t->kill_after) {
		log_warn("AMPSIM_KILL_AFTER_COMMIT=%llu: killed after the commit, before the send",
			 (unsigned long long)t->kill_after);
		raise(SIGKILL);
	}
	/* enabling a bufferevent runs no callback now: the bytes go out on the
	 * next turn, so the list cannot change under us */
	for (size_t i = 0; i < t->nheld; i++)
		bufferevent_enable(t->held[i], EV_WRITE);
	t->nheld = 0;
}

uint64_t turn_commits(const struct turn *t)
{
	return t ? t->commits : 0;
}

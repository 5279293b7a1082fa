/* Each node's store in the world: exactly the records its engine's
 * ACT_PERSIST actions carry, as the engine encoded them (Alice's payments
 * by pay_codec.c, her channels and Bob's rows by their codecs), written by
 * the rule its daemon's shell follows, so that a crash (world_life.c)
 * keeps what a kill -9 of the daemon keeps and nothing more. Nothing here
 * reads an engine to make a record.
 *
 * The rules, as the shells carry them out:
 * - alice (alice.c, alice_store.c): every record is written at the end of
 *   the turn, with the bytes it was last given (turn.h).
 * - bob (bob_act.c, bob_store.c): a channel's row and an HTLC's state are
 *   written so, at the end of the turn; an add, an invoice, a closed set
 *   and the forgetting of an HTLC or an invoice are written when the list
 *   is carried out, before anything else of it.
 * A turn here ends after each event (a timer fired, a message handled),
 * and before a crash: a run only crashes a node at an instant both nodes
 * are done with. */
#include "world_int.h"

#include <stddef.h>

#include "bob_codec.h"
#include "pay_codec.h"

struct wdirty {
	int record;
	size_t chan;
	uint64_t id;
	uint8_t *bytes;          /* a copy of the record's (owned), or NULL */
	size_t len;
};

struct wdirties {
	struct wdirty *v;
	size_t n, cap;
};

struct wpay_rec {
	uint64_t seq;
	uint8_t *buf;            /* NULL: deleted */
	size_t len;
};

struct wstore {
	/* alice */
	struct wdirties ad;
	struct wpay_rec *pays;
	size_t npays, pays_cap;
	struct u64map pay_at;               /* seq -> index into pays */
	struct pay_chan_row achans[PAY_MAX_CHANNELS];
	size_t nachans;
	uint64_t totals[4];                 /* forgotten settled, failed, refunded, partial */
	bool has_totals;
	/* bob */
	struct wdirties bd;
	struct bob_meta_row meta;
	bool has_meta;
	/* a row has room for 64 KB of finished ids, of which it uses the
	 * first done_len bytes: each is kept in what it uses (an explorer
	 * keeps hundreds of worlds, and makes a store per replay) */
	struct bob_chan_row *bchans[PAY_MAX_CHANNELS];
	size_t nbchans;
	struct bob_htlc_row *htlcs;         /* in the order added (rowid) */
	bool *htlc_gone;
	size_t nhtlcs, htlcs_cap;
	struct u64map htlc_at[PAY_MAX_CHANNELS];   /* by row of bchans: id -> index */
	struct bob_invoice_row *invs;
	bool *inv_gone;
	size_t ninvs, invs_cap;
	struct u64map inv_at;               /* seq -> index */
	uint8_t (*sets)[AMP_LEN];
	size_t nsets, sets_cap;
};

#define GROW(v, n, cap, init)                                               \
	do {                                                                \
		if ((n) == (cap)) {                                         \
			(cap) = (cap) ? 2 * (cap) : (init);                 \
			(v) = xrealloc((v), (cap) * sizeof(*(v)));          \
		}                                                           \
	} while (0)

struct wstore *w_store_new(void)
{
	struct wstore *st = xcalloc(1, sizeof(*st));
	return st;
}

void w_store_free(struct wstore *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->ad.n; i++)
		free(st->ad.v[i].bytes);
	for (size_t i = 0; i < st->bd.n; i++)
		free(st->bd.v[i].bytes);
	free(st->ad.v);
	free(st->bd.v);
	for (size_t i = 0; i < st->npays; i++)
		free(st->pays[i].buf);
	free(st->pays);
	u64map_free(&st->pay_at);
	for (size_t i = 0; i < st->nbchans; i++)
		free(st->bchans[i]);
	free(st->htlcs);
	free(st->htlc_gone);
	for (size_t i = 0; i < PAY_MAX_CHANNELS; i++)
		u64map_free(&st->htlc_at[i]);
	free(st->invs);
	free(st->inv_gone);
	u64map_free(&st->inv_at);
	free(st->sets);
	free(st);
}

static void dirty(struct wdirties *d, const struct act_persist *x)
{
	GROW(d->v, d->n, d->cap, 16);
	struct wdirty *y = &d->v[d->n++];
	*y = (struct wdirty){ x->record, x->chan, x->id, NULL, x->len };
	if (x->bytes) {
		y->bytes = xrealloc(NULL, x->len ? x->len : 1);
		memcpy(y->bytes, x->bytes, x->len);
	}
}

/* A record's bytes as the struct its codec says they are. */
static const void *row_of(int record, const uint8_t *bytes, size_t len, size_t want)
{
	if (!bytes || len < want)
		fatal("the world: record %d of %zu bytes, less than %zu", record, len, want);
	return bytes;
}

/* ---- alice ---------------------------------------------------------------- */

static void alice_channel(struct wstore *st, const struct pay_chan_row *r)
{
	for (size_t i = 0; i < st->nachans; i++)
		if (strcmp(st->achans[i].id, r->id) == 0) {
			pay_chan_row_update(&st->achans[i], r);
			return;
		}
	if (st->nachans < PAY_MAX_CHANNELS)
		st->achans[st->nachans++] = *r;
}

static void alice_payment(struct wstore *st, uint64_t seq, const uint8_t *doc, size_t len)
{
	uint8_t *buf = xrealloc(NULL, len);
	memcpy(buf, doc, len);
	uint64_t at;
	if (u64map_get(&st->pay_at, seq, &at)) {
		free(st->pays[at].buf);
	} else {
		GROW(st->pays, st->npays, st->pays_cap, 64);
		at = st->npays++;
		u64map_put(&st->pay_at, seq, at);
		st->pays[at].seq = seq;
	}
	st->pays[at].buf = buf;
	st->pays[at].len = len;
}

static void alice_write(struct world *w, const struct wdirty *d)
{
	struct wstore *st = w->store;
	uint64_t at;
	switch ((enum pay_record)d->record) {
	case PAY_REC_PAYMENT:
		if (d->bytes)   /* none: forgotten within the turn, its row goes */
			alice_payment(st, d->id, d->bytes, d->len);
		return;
	case PAY_REC_CHANNEL:
		alice_channel(st, row_of(d->record, d->bytes, d->len, sizeof(struct pay_chan_row)));
		return;
	case PAY_REC_FORGET:
		if (u64map_get(&st->pay_at, d->id, &at)) {
			free(st->pays[at].buf);
			st->pays[at].buf = NULL;
		}
		return;
	case PAY_REC_TOTALS: {
		const struct pay_totals_row *t =
			row_of(d->record, d->bytes, d->len, sizeof(struct pay_totals_row));
		st->totals[0] = t->settled;
		st->totals[1] = t->failed;
		st->totals[2] = t->refunded;
		st->totals[3] = t->partial;
		st->has_totals = true;
		return;
	}
	}
	fatal("the world: alice's record %d", d->record);
}

void w_store_alice_first(struct world *w)
{
	/* her daemon's first start writes every channel it was given */
	struct actions acts;
	actions_init(&acts);
	pay_engine_channel_records(&w->alice, &acts);
	for (size_t i = 0; i < acts.n; i++) {
		const struct act_persist *x = &acts.v[i].u.persist;
		struct wdirty d = { x->record, x->chan, x->id, x->bytes, x->len };
		if (acts.v[i].kind == ACT_PERSIST)
			alice_write(w, &d);
	}
	actions_free(&acts);
}

void w_store_alice(struct world *w, const struct actions *acts)
{
	if (!w->store)
		return;
	for (size_t i = 0; i < acts->n; i++)
		if (acts->v[i].kind == ACT_PERSIST)
			dirty(&w->store->ad, &acts->v[i].u.persist);
}

static int row_cmp_idx(const void *x, const void *y)
{
	const struct pay_chan_row *a = x, *b = y;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

void w_store_load_alice(struct world *w)
{
	struct wstore *st = w->store;
	struct pay_engine *e = &w->alice;
	if (st->has_totals) {
		e->forgotten.settled = e->settled = st->totals[0];
		e->forgotten.failed = e->failed = st->totals[1];
		e->forgotten.refunded = e->refunded = st->totals[2];
		e->forgotten.partial = e->partial = st->totals[3];
	}
	/* payments first (in the order of their seq): the channels need
	 * their in-flight parts */
	for (size_t i = 0; i < st->npays; i++) {
		if (!st->pays[i].buf)
			continue;
		struct payment p;
		char why[160];
		if (!pay_decode(st->pays[i].buf, st->pays[i].len, &p, why, sizeof(why)))
			fatal("the world: alice's stored payment #%llu: %s",
			      (unsigned long long)st->pays[i].seq, why);
		p.seq = st->pays[i].seq;
		pay_engine_add_payment(e, &p);
	}
	pay_engine_drop_channels(e);
	struct pay_chan_row rows[PAY_MAX_CHANNELS];
	memcpy(rows, st->achans, st->nachans * sizeof(rows[0]));
	qsort(rows, st->nachans, sizeof(rows[0]), row_cmp_idx);
	for (size_t i = 0; i < st->nachans; i++) {
		char why[200];
		memset(&w->a.links[i], 0, sizeof(w->a.links[i]));
		if (!pay_chan_row_load(e, &rows[i], &w->a.links[i].base_out, why, sizeof(why)))
			fatal("the world: alice's stored channel: %s", why);
	}
	w->a.nlinks = e->nchans;
}

/* ---- bob ------------------------------------------------------------------ */

static size_t bob_chan_at(struct wstore *st, const char *id)
{
	for (size_t i = 0; i < st->nbchans; i++)
		if (strcmp(st->bchans[i]->id, id) == 0)
			return i;
	return SIZE_MAX;
}

static struct bob_htlc_row *bob_htlc_at(struct wstore *st, const char *channel, uint64_t id,
					uint64_t *at)
{
	size_t c = bob_chan_at(st, channel);
	if (c == SIZE_MAX || !u64map_get(&st->htlc_at[c], id, at))
		return NULL;
	return &st->htlcs[*at];
}

static void bob_add(struct wstore *st, const struct bob_htlc_row *r)
{
	uint64_t at;
	if (bob_htlc_at(st, r->channel, r->id, &at))
		return;     /* stored already (INSERT OR IGNORE) */
	size_t c = bob_chan_at(st, r->channel);
	if (c == SIZE_MAX)
		return;     /* no row of its channel: the daemon's row would not load either */
	if (st->nhtlcs == st->htlcs_cap) {
		st->htlcs_cap = st->htlcs_cap ? 2 * st->htlcs_cap : 64;
		st->htlcs = xrealloc(st->htlcs, st->htlcs_cap * sizeof(*st->htlcs));
		st->htlc_gone = xrealloc(st->htlc_gone, st->htlcs_cap * sizeof(*st->htlc_gone));
	}
	st->htlcs[st->nhtlcs] = *r;   /* the columns an add writes; its state's are zero */
	st->htlc_gone[st->nhtlcs] = false;
	u64map_put(&st->htlc_at[c], r->id, st->nhtlcs++);
}

static void bob_invoice(struct wstore *st, const struct bob_invoice_row *r)
{
	uint64_t at;
	if (u64map_get(&st->inv_at, r->seq, &at) && !st->inv_gone[at]) {
		st->invs[at].paid = r->paid;   /* ON CONFLICT(seq) DO UPDATE SET paid */
		return;
	}
	if (st->ninvs == st->invs_cap) {
		st->invs_cap = st->invs_cap ? 2 * st->invs_cap : 64;
		st->invs = xrealloc(st->invs, st->invs_cap * sizeof(*st->invs));
		st->inv_gone = xrealloc(st->inv_gone, st->invs_cap * sizeof(*st->inv_gone));
	}
	st->invs[st->ninvs] = *r;
	st->inv_gone[st->ninvs] = false;
	u64map_put(&st->inv_at, r->seq, st->ninvs++);
}

/* A row as kept: its columns and the finished ids it uses. */
static size_t row_size(size_t done_len)
{
	return offsetof(struct bob_chan_row, done) + done_len;
}

/* A whole row to load from, for the time of one load: never cleared
 * (what a row uses is written) and not kept (hundreds of worlds would
 * keep 64 KB each) */
static struct bob_chan_row *whole_row(void)
{
	return xrealloc(NULL, sizeof(struct bob_chan_row));
}

static void bob_write(struct world *w, const struct wdirty *d)
{
	struct wstore *st = w->store;
	if (d->record == BOB_REC_CHANNEL) {
		const struct bob_chan_row *r = row_of(d->record, d->bytes, d->len, row_size(0));
		size_t c = bob_chan_at(st, r->id);
		if (c == SIZE_MAX) {
			if (st->nbchans < PAY_MAX_CHANNELS) {
				st->bchans[st->nbchans] = xrealloc(NULL, row_size(r->done_len));
				memcpy(st->bchans[st->nbchans++], r, row_size(r->done_len));
			}
			return;
		}
		if (r->done_len > st->bchans[c]->done_len)
			st->bchans[c] = xrealloc(st->bchans[c], row_size(r->done_len));
		struct bob_chan_row *s = st->bchans[c];
		/* ON CONFLICT(id): balances, the ids seen and finished, the owner */
		s->alice = r->alice;
		s->bob = r->bob;
		s->htlc_next = r->htlc_next;
		s->done_len = r->done_len;
		memcpy(s->done, r->done, r->done_len);
		s->owner_len = r->owner_len;
		memcpy(s->owner, r->owner, sizeof(s->owner));
		return;
	}
	/* BOB_REC_HTLC_STATE: an UPDATE of the row, if there is one */
	if (!d->bytes)
		return;     /* finished and forgotten since */
	const struct bob_htlc_row *r = row_of(d->record, d->bytes, d->len, sizeof(*r));
	uint64_t at;
	struct bob_htlc_row *row = bob_htlc_at(st, r->channel, r->id, &at);
	if (!row || st->htlc_gone[at])
		return;
	row->state = r->state;
	memcpy(row->preimage, r->preimage, AMP_LEN);
	row->code = r->code;
	memcpy(row->reason, r->reason, sizeof(row->reason));
	row->acked = r->acked;
	row->claimed = r->claimed;
}

/* A record written when the list is carried out (world_store.c's rules). */
static void bob_now(struct world *w, const struct act_persist *a)
{
	struct wstore *st = w->store;
	uint64_t at;
	switch ((enum bob_record)a->record) {
	case BOB_REC_META:
		st->meta = *(const struct bob_meta_row *)row_of(a->record, a->bytes, a->len,
								 sizeof(st->meta));
		st->has_meta = true;
		return;
	case BOB_REC_CHANNEL:
	case BOB_REC_HTLC_STATE:
		dirty(&st->bd, a);   /* at the end of the turn */
		return;
	case BOB_REC_HTLC_ADD:
		if (a->bytes)   /* none: forgotten since */
			bob_add(st, row_of(a->record, a->bytes, a->len, sizeof(struct bob_htlc_row)));
		return;
	case BOB_REC_INVOICE:
		if (a->bytes)   /* none: paid and forgotten since, its row goes */
			bob_invoice(st, row_of(a->record, a->bytes, a->len,
					       sizeof(struct bob_invoice_row)));
		return;
	case BOB_REC_INVOICE_FORGET:
		if (u64map_get(&st->inv_at, a->id, &at))
			st->inv_gone[at] = true;
		return;
	case BOB_REC_SET_CLOSED:
		GROW(st->sets, st->nsets, st->sets_cap, 16);
		memcpy(st->sets[st->nsets++], row_of(a->record, a->bytes, a->len, AMP_LEN), AMP_LEN);
		return;
	case BOB_REC_HTLC_FORGET: {
		const char *channel = row_of(a->record, a->bytes, a->len, 1);
		if (bob_htlc_at(st, channel, a->id, &at)) {
			st->htlc_gone[at] = true;
			u64map_del(&st->htlc_at[bob_chan_at(st, channel)], a->id);
		}
		return;
	}
	}
	fatal("the world: bob's record %d", a->record);
}

void w_store_bob(struct world *w, const struct actions *out)
{
	if (!w->store)
		return;
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].kind == ACT_PERSIST)
			bob_now(w, &out->v[i].u.persist);
}

void w_store_load_bob(struct world *w)
{
	struct wstore *st = w->store;
	struct bob_engine *e = &w->bob;
	char why[300];
	if (st->has_meta)
		bob_meta_row_load(e, &st->meta);
	for (size_t c = 0; c < st->nbchans; c++) {
		/* Alice's balance as if no HTLC were in flight */
		struct bob_chan_row *row = whole_row();
		memcpy(row, st->bchans[c], row_size(st->bchans[c]->done_len));
		uint64_t alice = row->alice;
		for (size_t i = 0; i < st->nhtlcs; i++)
			if (!st->htlc_gone[i] && st->htlcs[i].state == 0 &&
			    strcmp(st->htlcs[i].channel, row->id) == 0)
				alice += st->htlcs[i].amount;
		if (bob_chan_row_load(e, row, alice, why, sizeof(why)) != BOB_ROW_OK)
			fatal("the world: bob's stored channel: %s", why);
		free(row);
	}
	for (size_t i = 0; i < st->ninvs; i++)
		if (!st->inv_gone[i] && !bob_invoice_row_load(e, &st->invs[i], why, sizeof(why)))
			fatal("the world: bob's stored invoice: %s", why);
	for (size_t i = 0; i < st->nsets; i++)
		bob_engine_restore_set_closed(e, st->sets[i]);
	for (size_t i = 0; i < st->nhtlcs; i++) {
		const char *bad;
		if (!st->htlc_gone[i] && !bob_htlc_row_load(e, &st->htlcs[i], true, &bad))
			fatal("the world: bob's stored HTLC %s/%llu: %s", st->htlcs[i].channel,
			      (unsigned long long)st->htlcs[i].id, bad);
	}
}

/* ---- the end of a turn ---------------------------------------------------- */

void w_store_flush(struct world *w)
{
	struct wstore *st = w->store;
	if (!st)
		return;
	/* records in the order asked for: a record asked for twice is
	 * written twice, the second time with the bytes it was last given */
	for (size_t i = 0; i < st->ad.n; i++) {
		alice_write(w, &st->ad.v[i]);
		free(st->ad.v[i].bytes);
	}
	st->ad.n = 0;
	for (size_t i = 0; i < st->bd.n; i++) {
		bob_write(w, &st->bd.v[i]);
		free(st->bd.v[i].bytes);
	}
	st->bd.n = 0;
}

/* ---- a state's fingerprint ------------------------------------------------ */

struct wput {
	void (*fn)(void *ctx, const void *p, size_t n);
	void *ctx;
};

static void put_u(const struct wput *o, uint64_t v)
{
	o->fn(o->ctx, &v, sizeof(v));
}

static void put_b(const struct wput *o, const void *p, size_t n)
{
	o->fn(o->ctx, p, n);
}

static void put_s(const struct wput *o, const char *s)
{
	o->fn(o->ctx, s, strlen(s) + 1);
}

static void digest_alice(const struct wstore *st, const struct wput *o)
{
	put_u(o, st->npays);
	for (size_t i = 0; i < st->npays; i++) {
		put_u(o, st->pays[i].seq);
		put_u(o, st->pays[i].buf ? st->pays[i].len : UINT64_MAX);
		if (st->pays[i].buf)
			put_b(o, st->pays[i].buf, st->pays[i].len);
	}
	put_u(o, st->nachans);
	for (size_t i = 0; i < st->nachans; i++) {
		const struct pay_chan_row *r = &st->achans[i];
		put_s(o, r->id);
		uint64_t f[] = { r->capacity, r->alice, r->bob, r->htlc_min, r->next_htlc, r->delay,
				 r->jitter, (uint64_t)r->idx, (uint64_t)r->max_htlcs,
				 (uint64_t)r->jitter_dist };
		put_b(o, f, sizeof(f));
		put_b(o, &r->drop, sizeof(r->drop));
		put_b(o, &r->dup, sizeof(r->dup));
	}
	put_u(o, st->has_totals);
	put_b(o, st->totals, sizeof(st->totals));
}

static void digest_bob_htlc(const struct bob_htlc_row *r, const struct wput *o)
{
	put_s(o, r->channel);
	uint64_t f[] = { r->id, r->amount, r->total, r->arrived, (uint64_t)r->cltv,
			 (uint64_t)r->child, (uint64_t)r->code, (uint64_t)(int64_t)r->kind,
			 (uint64_t)(int64_t)r->state, (uint64_t)r->acked << 1 | r->claimed };
	put_b(o, f, sizeof(f));
	put_b(o, r->hash, AMP_LEN);
	put_b(o, r->setkey, AMP_LEN);
	put_b(o, r->share, AMP_LEN);
	put_b(o, r->preimage, AMP_LEN);
	put_s(o, r->reason);
}

static void digest_bob(const struct wstore *st, const struct wput *o)
{
	put_u(o, st->has_meta);
	uint64_t m[] = { (uint64_t)st->meta.epoch_unix_us, (uint64_t)st->meta.block_interval_us,
			 (uint64_t)st->meta.time_scale_micro, (uint64_t)st->meta.seed };
	put_b(o, m, sizeof(m));
	put_u(o, st->nbchans);
	for (size_t i = 0; i < st->nbchans; i++) {
		const struct bob_chan_row *r = st->bchans[i];
		put_s(o, r->id);
		uint64_t f[] = { r->capacity, r->alice, r->bob, r->htlc_min, r->delay, r->jitter,
				 r->htlc_next, (uint64_t)r->max_htlcs, (uint64_t)r->jitter_dist,
				 r->done_len, r->owner_len };
		put_b(o, f, sizeof(f));
		put_b(o, &r->drop, sizeof(r->drop));
		put_b(o, &r->dup, sizeof(r->dup));
		put_b(o, r->owner, r->owner_len < sizeof(r->owner) ? r->owner_len : sizeof(r->owner));
		put_b(o, r->done, r->done_len < sizeof(r->done) ? r->done_len : sizeof(r->done));
	}
	put_u(o, st->nhtlcs);
	for (size_t i = 0; i < st->nhtlcs; i++) {
		put_u(o, st->htlc_gone[i]);
		if (!st->htlc_gone[i])
			digest_bob_htlc(&st->htlcs[i], o);
	}
	put_u(o, st->ninvs);
	for (size_t i = 0; i < st->ninvs; i++) {
		const struct bob_invoice_row *r = &st->invs[i];
		put_u(o, st->inv_gone[i]);
		if (st->inv_gone[i])
			continue;
		uint64_t f[] = { r->seq, r->amount, (uint64_t)r->paid, (uint64_t)r->created,
				 (uint64_t)r->min_cltv };
		put_b(o, f, sizeof(f));
		put_b(o, r->hash, AMP_LEN);
		put_b(o, r->preimage, AMP_LEN);
		put_b(o, r->secret, AMP_LEN);
		put_s(o, r->description);
	}
	put_u(o, st->nsets);
	if (st->nsets)
		put_b(o, st->sets, st->nsets * AMP_LEN);
}

void w_store_digest(const struct world *w, void (*put)(void *ctx, const void *p, size_t n),
		    void *ctx)
{
	const struct wstore *st = w->store;
	struct wput o = { put, ctx };
	put_u(&o, st != NULL);
	if (!st)
		return;
	/* what a turn asked for and has not written yet: nothing between
	 * two events, but a fingerprint says what it holds */
	put_u(&o, st->ad.n);
	put_u(&o, st->bd.n);
	digest_alice(st, &o);
	digest_bob(st, &o);
}

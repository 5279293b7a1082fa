/* A state's fingerprint (world_digest.h): both engines' logical state,
 * the items and frames on their way, the timers and the chain, hashed
 * with BLAKE2b (libsodium's generichash) to 128 bits. Fields are hashed
 * one by one, never whole structs (their padding is not state), pointers
 * never (only what they point to), and collections whose order is only an
 * accident of history (timers, items on their way) in a canonical order. */
#include "world_int.h"
#include "world_digest.h"

#include <sodium.h>

#include "ampset.h"
#include "htlc_table.h"

typedef crypto_generichash_state hst;

static void put(hst *h, const void *p, size_t n)
{
	crypto_generichash_update(h, p, n);
}

static void put64(hst *h, uint64_t v)
{
	put(h, &v, sizeof(v));
}

static void put_str(hst *h, const char *s)
{
	put(h, s, strlen(s) + 1);
}

static void put_ledger(hst *h, const struct ledger *l)
{
	put_str(h, l->id);
	put64(h, l->alice.millisatoshis);
	put64(h, l->bob.millisatoshis);
	put64(h, l->inflight.millisatoshis);
	put64(h, l->nhtlcs);
	for (uint32_t k = 0; l->htlcs && k < l->span; k++) {
		const struct ledger_htlc *x = &l->htlcs[k];
		if (!x->used)
			continue;
		put64(h, x->id);
		put64(h, x->amount.millisatoshis);
		put(h, x->hash, AMP_LEN);
		put64(h, x->cltv_expiry);
	}
}

static void put_part(hst *h, const struct part *pt)
{
	put64(h, pt->chan);
	put64(h, pt->htlc_id);
	put64(h, pt->amount.millisatoshis);
	put(h, pt->hash, AMP_LEN);
	put(h, pt->secret, AMP_LEN);
	put(h, pt->share, AMP_LEN);
	put64(h, pt->child_index);
	put64(h, pt->cltv_expiry);
	put64(h, pt->state);
	put64(h, pt->failure_code);
	put64(h, pt->attempt);
	put64(h, (uint64_t)pt->have_invoice << 1 | pt->onchain);
}

static void put_alice(hst *h, const struct pay_engine *e)
{
	for (size_t i = 0; i < e->nchans; i++) {
		const struct pay_chan *c = &e->chans[i];
		put_ledger(h, &c->ledger);
		put64(h, c->next_htlc_id);
		put64(h, (uint64_t)c->accepted << 1 | c->down);
	}
	put64(h, e->npays);
	for (size_t i = 0; i < e->npays; i++) {
		const struct payment *p = &e->pays[i];
		put64(h, p->seq);
		put_str(h, p->id);
		put64(h, p->mode);
		put64(h, p->amount.millisatoshis);
		put64(h, p->deadline_us);
		put(h, p->set_id, AMP_LEN);
		put64(h, p->outcome);
		put64(h, p->state);
		put(h, p->inv_hash, AMP_LEN);
		put(h, p->inv_secret, AMP_LEN);
		put64(h, p->nparts);
		for (size_t j = 0; j < p->nparts; j++)
			put_part(h, &p->parts[j]);
	}
	put64(h, e->ndeferred);
	put(h, e->deferred, e->ndeferred * sizeof(*e->deferred));
	put64(h, e->nreqs);
	for (size_t i = 0; i < e->nreqs; i++) {
		put64(h, e->reqs[i].id);
		put64(h, e->reqs[i].pay);
		put64(h, (uint64_t)(int64_t)e->reqs[i].part);
	}
	put64(h, e->next_req);
	uint64_t c[] = { e->settled, e->failed, e->refunded, e->partial, e->peer_up, e->bob_inited,
			 e->accepted, e->reconnects, e->last_seq };
	put(h, c, sizeof(c));
}

static void put_bob_htlc(hst *h, const struct bob_htlc *x)
{
	put64(h, x->id);
	put64(h, (uint64_t)x->fsm.present << 8 | (uint64_t)x->fsm.state);
	put64(h, (uint64_t)x->acked << 2 | (uint64_t)x->claimed << 1 | x->in_ledger);
	put64(h, x->amount.millisatoshis);
	put(h, x->hash, AMP_LEN);
	put64(h, x->cltv_expiry);
	put64(h, (uint64_t)(int64_t)x->kind);
	put(h, x->key, AMP_LEN);
	put64(h, x->total.millisatoshis);
	put(h, x->share, AMP_LEN);
	put64(h, x->child_index);
	put64(h, x->arrived_us);
	put(h, x->preimage, AMP_LEN);
	put64(h, x->code);
	put_str(h, x->reason);
}

static void put_bob_chans(hst *h, const struct bob_engine *e)
{
	for (size_t i = 0; i < e->nchans; i++) {
		const struct bob_chan *c = &e->chans[i];
		put_ledger(h, &c->ledger);
		put64(h, c->conn);
		put64(h, c->unacked);
		const struct htlc_table *t = &c->htlcs;
		put64(h, t->next);
		put64(h, t->ndone);
		put(h, t->done, t->ndone * sizeof(*t->done));
		/* live HTLCs by id: the table's slots are in no useful order */
		uint64_t n = 0;
		for (uint64_t id = 0; id < t->next; id++) {
			const struct bob_htlc *x = htlc_table_get(t, id);
			if (x) {
				put_bob_htlc(h, x);
				n++;
			}
		}
		put64(h, n);
	}
}

static int cmp_key(const void *x, const void *y)
{
	return memcmp(x, y, AMP_LEN);
}

/* The keys of closed sets, sorted: where each sits in the table depends on
 * a SipHash key the table draws from the system's randomness. */
static void put_settled(hst *h, const struct ampset_table *t)
{
	static const uint8_t zero[AMP_LEN];
	uint8_t (*k)[AMP_LEN] = t->settled_n ? xcalloc(t->settled_n, AMP_LEN) : NULL;
	size_t n = 0;
	for (size_t i = 0; i < t->settled_cap && n < t->settled_n; i++)
		if (memcmp(t->settled[i], zero, AMP_LEN) != 0)
			memcpy(k[n++], t->settled[i], AMP_LEN);
	if (n)
		qsort(k, n, AMP_LEN, cmp_key);
	put64(h, n);
	if (n)
		put(h, k, n * AMP_LEN);
	free(k);
}

static void put_bob(hst *h, const struct bob_engine *e)
{
	put64(h, e->clock_gen);
	put64(h, e->epoch_set);
	put_bob_chans(h, e);
	put64(h, e->ninvoices);
	for (size_t i = 0; i < e->ninvoices; i++) {
		const struct bob_invoice *bi = &e->invoices[i];
		put64(h, bi->seq);
		put64(h, bi->paid);
		put(h, bi->preimage, AMP_LEN);
		put(h, bi->inv.payment_hash, AMP_LEN);
		put64(h, bi->inv.amount.millisatoshis);
	}
	put64(h, e->last_invoice_seq);
	put64(h, e->unpaid);
	put64(h, e->sets.count);
	put64(h, e->sets.next_id);
	for (const struct ampset *s = e->sets.head; s; s = s->next) {
		put64(h, s->kind);
		put(h, s->key, AMP_LEN);
		put64(h, s->total.millisatoshis);
		put64(h, s->sum.millisatoshis);
		put64(h, s->deadline_us);
		put64(h, s->id);
		put64(h, s->n);
		for (size_t j = 0; j < s->n; j++) {
			put_str(h, s->htlcs[j].channel);
			put64(h, s->htlcs[j].htlc_id);
			put64(h, s->htlcs[j].amount.millisatoshis);
		}
	}
	put_settled(h, &e->sets);
	put64(h, e->nlate);
	for (size_t i = 0; i < e->nlate; i++) {
		put64(h, e->late[i].chan);
		put64(h, e->late[i].htlc_id);
		put64(h, e->late[i].cltv_expiry);
	}
	put64(h, e->nconns);
	for (size_t i = 0; i < e->nconns; i++) {
		put64(h, e->conns[i].conn);
		put64(h, (uint64_t)e->conns[i].inited << 1 | e->conns[i].has_node);
	}
	put(h, &e->count, sizeof(e->count));
}

static int cmp16(const void *x, const void *y)
{
	return memcmp(x, y, 16);
}

/* One item's fingerprint: its fields, then its frame. */
static void item_digest(uint8_t out[16], const uint64_t f[5], const uint8_t *bytes, size_t len)
{
	hst one;
	crypto_generichash_init(&one, NULL, 0, 16);
	put(&one, f, 5 * sizeof(*f));
	put(&one, bytes, len);
	crypto_generichash_final(&one, out, 16);
}

/* The items on their way from sd as a multiset: their order in the list
 * is only the order they were sent in, and the explorer picks any. The
 * held frames are there too, each as a held item with no window. */
static void put_items(hst *h, const struct side *sd, uint64_t now)
{
	size_t n = sd->out.nheld;
	for (const struct hand_item *q = sd->hand; q; q = q->next)
		n++;
	uint8_t (*d)[16] = n ? xcalloc(n, 16) : NULL;
	size_t i = 0;
	for (const struct hand_item *q = sd->hand; q; q = q->next) {
		uint64_t f[] = { q->chan, q->kind, (uint64_t)q->pinned << 1, q->lo - (q->lo < now ? q->lo : now),
				 q->hi - (q->hi < now ? q->hi : now) };
		item_digest(d[i++], f, q->bytes, q->len);
	}
	for (const struct outq_item *q = sd->out.held; q; q = q->next) {
		uint64_t f[] = { q->chan, 0, 1, 0, 0 };
		item_digest(d[i++], f, q->bytes, q->len);
	}
	if (n)
		qsort(d, n, 16, cmp16);
	put64(h, n);
	if (n)
		put(h, d, n * 16);
	free(d);
}

static int timer_cmp(const void *x, const void *y)
{
	const struct wtimer *a = *(const struct wtimer *const *)x, *b = *(const struct wtimer *const *)y;
	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Timers in the order they will fire (their arming numbers are history). */
static void put_timers(hst *h, const struct side *sd, uint64_t now)
{
	size_t n = sd->heap.n;
	const struct wtimer **v = n ? xcalloc(n, sizeof(*v)) : NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = sd->heap.v[i];
	if (n)
		qsort(v, n, sizeof(*v), timer_cmp);
	put64(h, n);
	for (size_t i = 0; i < n; i++) {
		put64(h, v[i]->kind);
		put64(h, v[i]->id);
		put64(h, v[i]->at - now);
	}
	free(v);
}

static void put_cb(void *ctx, const void *p, size_t n)
{
	put(ctx, p, n);
}

/* Each node's life: whether it is down, its generation (the secrets of
 * its next life), when it last started, whether it restarted now, its connection
 * counts and backoff, and every time it was down (the checker excuses a
 * claim or a refund due then). */
static void put_lives(hst *h, const struct world *w)
{
	for (int n = 0; n < 2; n++) {
		/* the time of a restart matters only in its instant (its
		 * messages are pinned, world_hand.h) */
		uint64_t f[] = { w->down[n], w->gen[n], w->up_since[n],
				 w->gen[n] && w->restart_at[n] == w->now,
				 w->down[n] ? w->down_since[n] : 0 };
		put(h, f, sizeof(f));
	}
	uint64_t g[] = { w->bob_conns, w->alice_tries, w->alice_ever, w->joined_last,
			 w->alice.restarted, w->bob_tables.draws };
	put(h, g, sizeof(g));
	put64(h, w->ndowns);
	for (size_t i = 0; i < w->ndowns; i++)
		put(h, w->downs[i], sizeof(w->downs[i]));
}

void world_digest(const struct world *w, bool records, const void *extra, size_t extra_len,
		  uint8_t out[16])
{
	hst h;
	crypto_generichash_init(&h, NULL, 0, 16);
	put64(&h, w->now);
	put64(&h, (uint64_t)w->connected << 1 | w->ready);
	put64(&h, w->conn);
	put64(&h, w->rc.delay_ms);
	put64(&h, w->rc.handshake_failures);
	put64(&h, w->alice_secrets.draws);
	put64(&h, w->bob_secrets.draws);
	put64(&h, w->qhead);
	put_alice(&h, &w->alice);
	put_bob(&h, &w->bob);
	const struct side *sides[2] = { &w->a, &w->b };
	for (int k = 0; k < 2; k++) {
		put_items(&h, sides[k], w->now);
		put_timers(&h, sides[k], w->now);
		put64(&h, sides[k]->violations);
		for (size_t i = 0; i < sides[k]->nlinks; i++) {
			put64(&h, sides[k]->links[i].out.down);
			put64(&h, sides[k]->links[i].in_down);
		}
	}
	put64(&h, w->nspend);
	for (size_t i = 0; i < w->nspend; i++) {
		const struct wspend *s = &w->spend_v[i];
		put64(&h, s->chan);
		put64(&h, s->htlc);
		put64(&h, s->claim);
		put(&h, s->preimage, AMP_LEN);
		put64(&h, s->confirm_height);
	}
	put_lives(&h, w);
	/* what a restart would load: none of it is used unless a crash is
	 * still to come */
	if (records)
		w_store_digest(w, put_cb, &h);
	if (extra_len)
		put(&h, extra, extra_len);
	crypto_generichash_final(&h, out, 16);
}

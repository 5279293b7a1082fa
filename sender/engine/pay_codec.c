#include "pay_codec.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pay_engine.h"
#include "proto_limits.h"

struct wr {
	uint8_t *b;
	size_t n, cap;
};

static void put(struct wr *w, const void *src, size_t n)
{
	if (w->n + n <= w->cap)
		memcpy(w->b + w->n, src, n);
	w->n += n;        /* counted even past cap: the size pass uses it */
}

static void put_u(struct wr *w, uint64_t v, size_t bytes)
{
	uint8_t le[8];
	for (size_t i = 0; i < bytes; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	put(w, le, bytes);
}

static void put_str(struct wr *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	if (n > 255)
		n = 255;
	put_u(w, n, 1);
	put(w, s, n);
}

static void encode(const struct payment *p, struct wr *w)
{
	put_u(w, PAY_CODEC_VERSION, 1);
	put_str(w, p->id, sizeof(p->id));
	put_u(w, (uint64_t)p->mode, 1);
	put_u(w, p->amount.millisatoshis, 8);
	put_u(w, p->shards, 4);
	put_u(w, p->expiry_blocks, 4);
	put_u(w, p->min_final_cltv, 4);
	put_u(w, p->deadline_us, 8);
	put(w, p->set_id, AMP_LEN);
	put_u(w, (uint64_t)p->outcome, 1);
	put_str(w, p->why, sizeof(p->why));
	put_u(w, p->bench, 1);
	put_u(w, (uint64_t)p->state, 1);
	put(w, p->inv_hash, AMP_LEN);
	put(w, p->inv_secret, AMP_LEN);
	put_u(w, p->nparts, 2);
	for (size_t i = 0; i < p->nparts; i++) {
		const struct part *pt = &p->parts[i];
		put_u(w, pt->chan == SIZE_MAX ? UINT64_MAX : (uint64_t)pt->chan, 8);
		put_u(w, pt->htlc_id, 8);
		put_u(w, pt->amount.millisatoshis, 8);
		put(w, pt->hash, AMP_LEN);
		put(w, pt->secret, AMP_LEN);
		put(w, pt->share, AMP_LEN);
		put_u(w, pt->child_index, 4);
		put_u(w, pt->cltv_expiry, 4);
		put_u(w, (uint64_t)pt->state, 1);
		put_u(w, pt->failure_code, 4);
		put_u(w, pt->attempt, 4);
		put_u(w, pt->have_invoice, 1);
		put_u(w, pt->onchain, 1);
		put_str(w, pt->why, sizeof(pt->why));
		put_u(w, (uint64_t)pt->signed_terms | (uint64_t)pt->countersigned << 1, 1);
		if (pt->signed_terms)
			put(w, pt->sender_sig, sizeof(pt->sender_sig));
		if (pt->countersigned)
			put(w, pt->receiver_sig, sizeof(pt->receiver_sig));
	}
}

bool pay_record_id(const uint8_t *buf, size_t len, char *id, size_t cap)
{
	/* a version byte, then the id with its one-byte length (encode) */
	if (len < 2 || buf[0] != PAY_CODEC_VERSION || (size_t)buf[1] + 2 > len || buf[1] >= cap)
		return false;
	memcpy(id, buf + 2, buf[1]);
	id[buf[1]] = '\0';
	return true;
}

size_t pay_encoded_size(const struct payment *p)
{
	struct wr w = { NULL, 0, 0 };
	encode(p, &w);
	return w.n;
}

size_t pay_encode(const struct payment *p, uint8_t *buf, size_t cap)
{
	struct wr w = { buf, 0, cap };
	encode(p, &w);
	return w.n <= cap ? w.n : 0;
}

struct rd {
	const uint8_t *b;
	size_t n, at;
	const char *bad;          /* the first problem */
};

static bool get(struct rd *r, void *dst, size_t n, const char *what)
{
	if (r->bad)
		return false;
	if (r->n - r->at < n) {
		r->bad = what;
		return false;
	}
	memcpy(dst, r->b + r->at, n);
	r->at += n;
	return true;
}

static uint64_t get_u(struct rd *r, size_t bytes, const char *what)
{
	uint8_t le[8] = { 0 };
	if (!get(r, le, bytes, what))
		return 0;
	uint64_t v = 0;
	for (size_t i = 0; i < bytes; i++)
		v |= (uint64_t)le[i] << (8 * i);
	return v;
}

/* an enum or a flag: at most max, else the row is bad */
static unsigned get_small(struct rd *r, unsigned max, const char *what)
{
	uint64_t v = get_u(r, 1, what);
	if (v > max && !r->bad)
		r->bad = what;
	return (unsigned)v;
}

static void get_str(struct rd *r, char *dst, size_t cap, const char *what)
{
	size_t n = (size_t)get_u(r, 1, what);
	if (n >= cap) {
		if (!r->bad)
			r->bad = what;
		return;
	}
	if (get(r, dst, n, what)) {
		dst[n] = '\0';
		if (strlen(dst) != n)
			r->bad = what;    /* a NUL inside */
	}
}

bool pay_decode(const uint8_t *buf, size_t len, struct payment *p, char *why, size_t whylen)
{
	struct rd r = { buf, len, 0, NULL };
	memset(p, 0, sizeof(*p));
	uint64_t version = get_u(&r, 1, "version");
	if (!r.bad && version == 1) {
		snprintf(why, whylen, "a payment record of version 1, from an ampsim whose HTLC terms "
			 "were not signed: this state cannot be used (start with a new state directory)");
		return false;
	}
	if (!r.bad && version != PAY_CODEC_VERSION) {
		snprintf(why, whylen, "unknown payment record version %llu", (unsigned long long)version);
		return false;
	}
	get_str(&r, p->id, sizeof(p->id), "id");
	if (!r.bad && !p->id[0])
		r.bad = "id";
	p->mode = (enum pay_mode)get_small(&r, PAY_AMP, "mode");
	p->amount.millisatoshis = get_u(&r, 8, "amount");
	p->shards = (uint32_t)get_u(&r, 4, "shards");
	p->expiry_blocks = (uint32_t)get_u(&r, 4, "expiry_blocks");
	p->min_final_cltv = (uint32_t)get_u(&r, 4, "min_final_cltv");
	p->deadline_us = get_u(&r, 8, "deadline");
	get(&r, p->set_id, AMP_LEN, "set_id");
	p->outcome = (enum outcome)get_small(&r, OUTCOME_PARTIAL, "outcome");
	get_str(&r, p->why, sizeof(p->why), "why");
	p->bench = get_small(&r, 1, "bench") != 0;
	p->state = (enum pay_state)get_small(&r, PAY_DONE, "state");
	get(&r, p->inv_hash, AMP_LEN, "invoice hash");
	get(&r, p->inv_secret, AMP_LEN, "invoice secret");
	uint64_t nparts = get_u(&r, 2, "part count");
	if (!r.bad && nparts > MAX_HTLCS)
		r.bad = "part count";
	for (uint64_t i = 0; i < nparts && !r.bad; i++) {
		struct part *pt = payment_new_part(p);
		uint64_t chan = get_u(&r, 8, "part channel");
		pt->chan = chan == UINT64_MAX ? SIZE_MAX : (size_t)chan;
		if (chan != UINT64_MAX && chan >= 1024 && !r.bad)
			r.bad = "part channel";
		pt->htlc_id = get_u(&r, 8, "part htlc id");
		pt->amount.millisatoshis = get_u(&r, 8, "part amount");
		get(&r, pt->hash, AMP_LEN, "part hash");
		get(&r, pt->secret, AMP_LEN, "part secret");
		get(&r, pt->share, AMP_LEN, "part share");
		pt->child_index = (uint32_t)get_u(&r, 4, "part child index");
		pt->cltv_expiry = (uint32_t)get_u(&r, 4, "part cltv");
		pt->state = (enum part_state)get_small(&r, PART_REFUNDED, "part state");
		pt->failure_code = (uint32_t)get_u(&r, 4, "part failure code");
		pt->attempt = (unsigned)get_u(&r, 4, "part attempt");
		pt->have_invoice = get_small(&r, 1, "part have_invoice") != 0;
		pt->onchain = get_small(&r, 1, "part onchain") != 0;
		get_str(&r, pt->why, sizeof(pt->why), "part why");
		uint64_t sigs = get_small(&r, 3, "part signatures");
		pt->signed_terms = sigs & 1;
		pt->countersigned = sigs & 2;
		if (pt->countersigned && !pt->signed_terms && !r.bad)
			r.bad = "part signatures";
		if (pt->signed_terms)
			get(&r, pt->sender_sig, sizeof(pt->sender_sig), "part sender signature");
		if (pt->countersigned)
			get(&r, pt->receiver_sig, sizeof(pt->receiver_sig), "part receiver signature");
	}
	if (!r.bad && r.at != r.n)
		r.bad = "trailing bytes";
	if (r.bad) {
		snprintf(why, whylen, "payment record (%zu bytes) is bad at its %s", len, r.bad);
		payment_free(p);
		memset(p, 0, sizeof(*p));
		return false;
	}
	return true;
}

/* ---- a channel's row ---------------------------------------------------- */

void pay_chan_row_of(const struct pay_engine *e, size_t chan, struct pay_chan_row *row)
{
	const struct pay_chan *pc = &e->chans[chan];
	const struct ledger *l = &pc->ledger;
	const struct link_params *lp = &pc->to_bob;
	memset(row, 0, sizeof(*row));
	snprintf(row->id, sizeof(row->id), "%s", l->id);
	row->idx = (int64_t)chan;
	row->capacity = l->capacity.millisatoshis;
	row->alice = l->alice.millisatoshis;
	row->bob = l->bob.millisatoshis;
	row->max_htlcs = (int64_t)l->max_htlcs;
	row->htlc_min = l->htlc_minimum.millisatoshis;
	row->next_htlc = pc->next_htlc_id;
	row->delay = lp->delay_us;
	row->jitter = lp->jitter_us;
	row->jitter_dist = (int64_t)lp->jitter_dist;
	row->drop = lp->drop;
	row->dup = lp->duplicate;
}

void pay_chan_row_update(struct pay_chan_row *stored, const struct pay_chan_row *later)
{
	stored->alice = later->alice;
	stored->bob = later->bob;
	stored->next_htlc = later->next_htlc;
}

bool pay_chan_row_load(struct pay_engine *e, const struct pay_chan_row *row,
		       struct link_params *base_out, char *why, size_t whylen)
{
	size_t idx = e->nchans;
	struct channel_config cc;
	memset(&cc, 0, sizeof(cc));
	if (!row->id[0] || strlen(row->id) >= sizeof(cc.id)) {
		snprintf(why, whylen, "channel #%zu: its id is missing or longer than %zu bytes", idx,
			 sizeof(cc.id) - 1);
		return false;
	}
	snprintf(cc.id, sizeof(cc.id), "%s", row->id);
	/* the stored balance is Alice's after her in-flight HTLCs; the
	 * engine adds them back (pay_engine_restore) */
	cc.alice = amount_msat(row->alice);
	for (size_t k = 0; k < e->npays; k++)
		for (size_t m = 0; m < e->pays[k].nparts; m++)
			if (e->pays[k].parts[m].chan == idx && e->pays[k].parts[m].state == PART_INFLIGHT &&
			    !amount_add(&cc.alice, cc.alice, e->pays[k].parts[m].amount)) {
				snprintf(why, whylen, "channel %s: in-flight amounts overflow", cc.id);
				return false;
			}
	cc.capacity = amount_msat(row->capacity);
	cc.max_htlcs = (uint32_t)row->max_htlcs;
	cc.htlc_minimum = amount_msat(row->htlc_min);
	cc.link.delay_us = row->delay;
	cc.link.jitter_us = row->jitter;
	cc.link.jitter_dist = row->jitter_dist == JITTER_NORMAL   ? JITTER_NORMAL
			    : row->jitter_dist == JITTER_PARETO ? JITTER_PARETO
								: JITTER_UNIFORM;
	cc.link.drop = row->drop;
	cc.link.duplicate = row->dup;
	if (pay_engine_add_channel(e, &cc) != LEDGER_OK) {
		snprintf(why, whylen, "channel %s does not load (a balance above its capacity, "
			 "or a second channel of that id)", cc.id);
		return false;
	}
	e->chans[idx].next_htlc_id = row->next_htlc;
	*base_out = cc.link;
	return true;
}

/* ---- the records of an engine call -------------------------------------- */

static void encode_record(struct pay_engine *e, struct act_persist *x)
{
	switch ((enum pay_record)x->record) {
	case PAY_REC_PAYMENT: {
		const struct payment *p = pay_engine_by_seq(e, x->id);
		if (!p) {
			act_persist_none(x);   /* forgotten since: nothing to write */
			return;
		}
		size_t n = pay_encoded_size(p);
		pay_encode(p, act_persist_alloc(x, n), n);
		return;
	}
	case PAY_REC_CHANNEL: {
		struct pay_chan_row r;
		pay_chan_row_of(e, x->chan, &r);
		memcpy(act_persist_alloc(x, sizeof(r)), &r, sizeof(r));
		return;
	}
	case PAY_REC_FORGET:
		act_persist_none(x);
		return;
	case PAY_REC_TOTALS: {
		struct pay_totals_row t = { e->forgotten.settled, e->forgotten.failed,
					    e->forgotten.refunded, e->forgotten.partial };
		memcpy(act_persist_alloc(x, sizeof(t)), &t, sizeof(t));
		return;
	}
	}
	fatal("alice's engine: record %d", x->record);
}

void pay_records_encode(struct pay_engine *e, struct actions *out, size_t from)
{
	if (!e->encode_records)
		return;     /* nothing would write them */
	for (size_t i = from; i < out->n; i++)
		if (out->v[i].kind == ACT_PERSIST)
			encode_record(e, &out->v[i].u.persist);
}

/* Bob's invoices beyond the list itself: found by payment hash in
 * constant time, counted per node that asked for them, and forgotten when
 * they expire unpaid. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "bob_engine.h"
#include "bob_engine_int.h"
#include "log.h"

/* Bob draws every payment hash (SHA-256 of a random preimage): its first
 * bytes are a hash no peer can aim. */
static uint64_t hash_key(const uint8_t hash[AMP_LEN])
{
	uint64_t k;
	memcpy(&k, hash, sizeof(k));
	return k;
}

static int seq_cmp(const void *key, const void *elem)
{
	uint64_t a = *(const uint64_t *)key, b = ((const struct bob_invoice *)elem)->seq;
	return a < b ? -1 : a > b;
}

struct bob_invoice *bob_engine_invoice_by_seq(struct bob_engine *e, uint64_t seq)
{
	return e->ninvoices ? bsearch(&seq, e->invoices, e->ninvoices, sizeof(*e->invoices),
				      seq_cmp) : NULL;
}

struct bob_invoice *be_find_invoice(struct bob_engine *e, const uint8_t hash[AMP_LEN])
{
	uint64_t seq;
	if (u64map_get(&e->inv_by_hash, hash_key(hash), &seq)) {
		struct bob_invoice *bi = bob_engine_invoice_by_seq(e, seq);
		if (bi && memcmp(bi->inv.payment_hash, hash, AMP_LEN) == 0)
			return bi;
	}
	if (!e->inv_hash_clashes)
		return NULL;
	for (size_t i = e->ninvoices; i-- > 0;)    /* newest first */
		if (memcmp(e->invoices[i].inv.payment_hash, hash, AMP_LEN) == 0)
			return &e->invoices[i];
	return NULL;
}

void be_invoice_added(struct bob_engine *e, const struct bob_invoice *bi)
{
	uint64_t k = hash_key(bi->inv.payment_hash), other;
	if (u64map_get(&e->inv_by_hash, k, &other))
		e->inv_hash_clashes++;      /* 1 in 2^64: lookups scan from now on */
	u64map_put(&e->inv_by_hash, k, bi->seq);
	if (!bi->paid && bi->requester) {
		uint64_t n = 0;
		u64map_get(&e->unpaid_by_node, bi->requester, &n);
		u64map_put(&e->unpaid_by_node, bi->requester, n + 1);
	}
}

static void requester_done(struct bob_engine *e, const struct bob_invoice *bi)
{
	uint64_t n;
	if (!bi->requester || !u64map_get(&e->unpaid_by_node, bi->requester, &n))
		return;
	if (n <= 1)
		u64map_del(&e->unpaid_by_node, bi->requester);
	else
		u64map_put(&e->unpaid_by_node, bi->requester, n - 1);
}

void be_invoice_leaves(struct bob_engine *e, const struct bob_invoice *bi)
{
	uint64_t k = hash_key(bi->inv.payment_hash), seq;
	if (u64map_get(&e->inv_by_hash, k, &seq) && seq == bi->seq)
		u64map_del(&e->inv_by_hash, k);
	if (!bi->paid) {
		requester_done(e, bi);
		e->unpaid--;
	}
}

void be_invoice_paid(struct bob_engine *e, struct bob_invoice *bi)
{
	if (bi->paid)
		return;
	requester_done(e, bi);
	bi->paid = true;
	e->unpaid--;
}

uint64_t be_node_key(struct bob_engine *e, const uint8_t node[33])
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, node, 33, e->node_hkey);
	uint64_t k;
	memcpy(&k, h, sizeof(k));
	return k ? k : 1;
}

size_t be_unpaid_of(const struct bob_engine *e, uint64_t requester)
{
	uint64_t n = 0;
	if (requester)
		u64map_get(&e->unpaid_by_node, requester, &n);
	return (size_t)n;
}

void be_expire_invoices(struct bob_engine *e, uint64_t now_us, struct actions *out)
{
	if (!e->cfg.invoice_expiry_us || !e->unpaid)
		return;
	uint64_t blocks = e->cfg.invoice_expiry_us / e->clk.block_interval_us;
	uint32_t height = be_height(e, now_us);
	if (blocks == 0)
		blocks = 1;
	if (height < blocks)
		return;
	size_t w = 0;
	bool past = false;
	for (size_t i = 0; i < e->ninvoices; i++) {
		struct bob_invoice *bi = &e->invoices[i];
		/* made in order: past the first one still valid, none has expired */
		past = past || bi->inv.created_height + blocks > height;
		if (!past && !bi->paid && !ampset_find(&e->sets, SET_MPP, bi->inv.payment_hash)) {
			struct evrec *r = act_log(out, "invoice_expired");
			evrec_hex(r, "hash", bi->inv.payment_hash, AMP_LEN);
			evrec_u64(r, "created_height", bi->inv.created_height);
			act_persist(out, BOB_REC_INVOICE_FORGET, ACTION_NO_CHAN, bi->seq);
			be_invoice_leaves(e, bi);
			continue;
		}
		if (w != i)
			e->invoices[w] = *bi;
		w++;
	}
	e->ninvoices = w;
}

size_t be_compact_invoices(struct bob_engine *e, size_t keep, struct actions *out)
{
	size_t paid = e->ninvoices - e->unpaid;
	if (paid <= keep)
		return 0;
	size_t drop = paid - keep, dropped = 0, w = 0;
	for (size_t i = 0; i < e->ninvoices; i++) {
		if (dropped < drop && e->invoices[i].paid) {
			act_persist(out, BOB_REC_INVOICE_FORGET, ACTION_NO_CHAN, e->invoices[i].seq);
			be_invoice_leaves(e, &e->invoices[i]);
			dropped++;
			continue;
		}
		e->invoices[w++] = e->invoices[i];
	}
	e->ninvoices = w;
	return dropped;
}

size_t be_make_invoice(struct bob_engine *e, struct amount_msat amount, const char *desc,
		       uint64_t now_us, uint64_t requester, struct actions *out)
{
	if (e->ninvoices == e->invoices_cap) {
		e->invoices_cap = e->invoices_cap ? 2 * e->invoices_cap : 16;
		e->invoices = xrealloc(e->invoices, e->invoices_cap * sizeof(*e->invoices));
	}
	size_t n = e->ninvoices++;
	struct bob_invoice *bi = &e->invoices[n];
	memset(bi, 0, sizeof(*bi));
	bi->seq = ++e->last_invoice_seq;
	e->unpaid++;
	/* real secrets: from the injected source, never the simulation's */
	e->cfg.random(e->cfg.random_ctx, bi->preimage, AMP_LEN);
	e->cfg.random(e->cfg.random_ctx, bi->inv.payment_secret, AMP_LEN);
	crypto_hash_sha256(bi->inv.payment_hash, bi->preimage, AMP_LEN);
	bi->inv.amount = amount;
	bi->inv.min_final_cltv_expiry = e->cfg.final_cltv_delta;
	bi->inv.created_height = be_height(e, now_us);
	snprintf(bi->inv.description, sizeof(bi->inv.description), "%s", desc ? desc : "");
	bi->requester = requester;
	be_invoice_added(e, bi);
	act_persist(out, BOB_REC_INVOICE, ACTION_NO_CHAN, bi->seq);   /* before it is handed out */
	struct evrec *r = act_log(out, "invoice_created");
	evrec_u64(r, "amount_msat", amount.millisatoshis);
	evrec_hex(r, "hash", bi->inv.payment_hash, AMP_LEN);
	return n;
}

size_t be_new_invoice(struct bob_engine *e, struct amount_msat amount, const char *desc,
		      uint64_t now_us, struct actions *out)
{
	return be_make_invoice(e, amount, desc, now_us, 0, out);
}

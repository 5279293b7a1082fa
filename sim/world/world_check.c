/* The state checker (world_check.h). */
#include "world_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bob_engine.h"
#include "amp.h"
#include "chain_rules.h"
#include "log.h"
#include "pay_engine.h"
#include "payer.h"

static bool check_ledger(const struct ledger *l, const char *side, char *buf, size_t n)
{
	if (ledger_conserves(l))
		return true;
	snprintf(buf, n, "conservation: channel %s as %s sees it: alice %llu + bob %llu + in "
		 "flight %llu msat != capacity %llu msat", l->id, side,
		 (unsigned long long)l->alice.millisatoshis, (unsigned long long)l->bob.millisatoshis,
		 (unsigned long long)l->inflight.millisatoshis,
		 (unsigned long long)l->capacity.millisatoshis);
	return false;
}

void world_check_event(const struct world *w, void *ctx, char *buf, size_t n)
{
	(void)ctx;
	const struct pay_engine *a = world_alice(w);
	const struct bob_engine *b = world_bob(w);
	uint32_t height = world_height(w);
	/* alice refunds from her expiry on, or from when she is back if she
	 * was down then: nobody refunds for a node that is down */
	uint32_t back = world_up_since(w, WORLD_ALICE);
	for (size_t i = 0; i < a->nchans; i++) {
		const struct ledger *l = &a->chans[i].ledger;
		if (!check_ledger(l, "alice", buf, n))
			return;
		for (uint32_t k = 0; l->htlcs && k < l->span; k++) {   /* every used slot is below span */
			const struct ledger_htlc *h = &l->htlcs[k];
			uint32_t from = h->cltv_expiry > back ? h->cltv_expiry : back;
			if (h->used && height > from + CHAIN_CONFIRMATIONS + 1) {
				snprintf(buf, n, "expiry: HTLC %s/%llu (cltv_expiry %u) is still in flight "
					 "at height %u", l->id, (unsigned long long)h->id,
					 h->cltv_expiry, height);
				return;
			}
		}
	}
	for (size_t i = 0; i < b->nchans; i++)
		if (!check_ledger(&b->chans[i].ledger, "bob", buf, n))
			return;
}

static int hash_cmp(const void *x, const void *y)
{
	return memcmp(x, y, AMP_LEN);
}

/* An honest Bob claims a fulfill Alice did not acknowledge on chain in
 * the blocks before its expiry; one that is down then cannot, and Alice
 * takes it back: a set of his can end in part for that alone. */
static bool bob_was_away(const struct world *w, const struct payment *p)
{
	for (size_t j = 0; j < p->nparts; j++) {
		uint32_t cltv = p->parts[j].cltv_expiry;
		uint32_t lo = cltv > CHAIN_CONFIRMATIONS + 1 ? cltv - CHAIN_CONFIRMATIONS - 1 : 0;
		if (p->parts[j].state == PART_REFUNDED && world_was_down(w, WORLD_BOB, lo, cltv))
			return true;
	}
	return false;
}

bool world_check_end(const struct world *w, bool quiet, char *buf, size_t n)
{
	return world_check_end_modes(w, quiet, false, buf, n);
}

void world_check_outcomes(const struct world *w, char *buf, size_t n)
{
	const struct pay_engine *a = world_alice(w);
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < a->npays && used < n; i++) {
		const struct payment *p = &a->pays[i];
		if (p->mode != PAY_AMP && p->mode != PAY_MPP)
			continue;
		int k = snprintf(buf + used, n - used, "%s%s %s paid %llu msat", used ? ", " : "", p->id,
				 outcome_name(p->outcome),
				 (unsigned long long)payment_paid(p).millisatoshis);
		if (k > 0)
			used += (size_t)k;
	}
}

bool world_check_end_modes(const struct world *w, bool quiet, bool every_mode, char *buf, size_t n)
{
	const struct pay_engine *a = world_alice(w);
	const struct bob_engine *b = world_bob(w);
	char ev[512] = "";
	world_check_event(w, NULL, ev, sizeof(ev));
	if (ev[0]) {
		snprintf(buf, n, "%s", ev);
		return false;
	}
	if (!quiet) {
		for (size_t i = 0; i < a->npays; i++) {
			if (a->pays[i].outcome == OUTCOME_PENDING) {
				snprintf(buf, n, "agreement: payment %s never reached an outcome",
					 a->pays[i].id);
				return false;
			}
		}
		for (size_t i = 0; i < a->nchans; i++) {
			const struct ledger *la = &a->chans[i].ledger;
			const struct ledger *lb = i < b->nchans ? &b->chans[i].ledger : NULL;
			if (!lb || la->alice.millisatoshis != lb->alice.millisatoshis ||
			    !amount_is_zero(la->inflight) || !amount_is_zero(lb->inflight)) {
				snprintf(buf, n, "agreement: channel %s: alice sees alice %llu in flight %llu, "
					 "bob sees alice %llu in flight %llu (msat) at the end", la->id,
					 (unsigned long long)la->alice.millisatoshis,
					 (unsigned long long)la->inflight.millisatoshis,
					 lb ? (unsigned long long)lb->alice.millisatoshis : 0ULL,
					 lb ? (unsigned long long)lb->inflight.millisatoshis : 0ULL);
				return false;
			}
		}
		snprintf(buf, n, "agreement: the run did not end quiet (messages still on a link)");
		return false;
	}
	size_t nh = 0, cap = 0;
	uint8_t (*hashes)[AMP_LEN] = NULL;
	bool ok = true;
	for (size_t i = 0; i < a->npays && ok; i++) {
		const struct payment *p = &a->pays[i];
		uint64_t paid = payment_paid(p).millisatoshis;
		bool atomic = (every_mode || p->mode == PAY_AMP || p->mode == PAY_MPP) &&
			      !bob_was_away(w, p);
		if (atomic && paid != 0 && paid != p->amount.millisatoshis) {
			snprintf(buf, n, "atomicity: %s payment %s paid bob %llu of %llu msat (%s)",
				 pay_mode_name(p->mode), p->id, (unsigned long long)paid,
				 (unsigned long long)p->amount.millisatoshis, outcome_name(p->outcome));
			ok = false;
		}
		if (ok && atomic && p->outcome == OUTCOME_PARTIAL) {
			snprintf(buf, n, "atomicity: %s payment %s ended partial", pay_mode_name(p->mode),
				 p->id);
			ok = false;
		}
		if (p->mode != PAY_AMP)
			continue;
		for (size_t j = 0; j < p->nparts; j++) {
			if (p->parts[j].state == PART_WAITING || amp_is_zero(p->parts[j].hash))
				continue;
			if (nh == cap) {
				cap = cap ? 2 * cap : 64;
				hashes = xrealloc(hashes, cap * sizeof(*hashes));
			}
			memcpy(hashes[nh++], p->parts[j].hash, AMP_LEN);
		}
	}
	if (ok && nh) {
		qsort(hashes, nh, AMP_LEN, hash_cmp);
		for (size_t i = 1; i < nh && ok; i++) {
			if (memcmp(hashes[i - 1], hashes[i], AMP_LEN) == 0) {
				snprintf(buf, n, "hash reuse: two AMP parts share a payment hash");
				ok = false;
			}
		}
	}
	free(hashes);
	return ok;
}

#include "split.h"

#include <string.h>

#include "log.h"

static bool fits(const struct split_chan *c, struct amount_msat room, uint32_t slots,
		 struct amount_msat amount)
{
	return c->usable && slots > 0 && !amount_less(room, amount) &&
	       !amount_less(amount, c->minimum) && !amount_is_zero(amount);
}

size_t split_pick_channel(const struct split_chan *chans, size_t nchans,
			  struct amount_msat amount, size_t avoid)
{
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < nchans; i++) {
		if (i == avoid || !fits(&chans[i], chans[i].spendable, chans[i].free_slots, amount))
			continue;
		if (best == SIZE_MAX || amount_less(chans[best].spendable, chans[i].spendable))
			best = i;
	}
	return best;
}

/* Fewest parts: fill the roomiest channels first. */
static size_t split_fewest(const struct split_chan *chans, size_t nchans,
			   struct amount_msat amount, struct split_part *out, size_t max_out,
			   const char **why)
{
	bool taken[nchans ? nchans : 1];
	memset(taken, 0, sizeof(taken));
	struct amount_msat left = amount;
	size_t n = 0;
	while (!amount_is_zero(left)) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < nchans; i++) {
			const struct split_chan *c = &chans[i];
			if (taken[i] || !c->usable || c->free_slots == 0 || amount_is_zero(c->spendable))
				continue;
			if (best == SIZE_MAX || amount_less(chans[best].spendable, c->spendable))
				best = i;
		}
		if (best == SIZE_MAX || n == max_out) {
			*why = "the usable channels together cannot carry the amount";
			return 0;
		}
		taken[best] = true;
		struct amount_msat part = amount_less(left, chans[best].spendable) ? left
										  : chans[best].spendable;
		if (amount_less(part, chans[best].minimum)) {
			/* this channel's minimum is above what is left for it */
			continue;
		}
		out[n].chan = best;
		out[n].amount = part;
		n++;
		if (!amount_sub(&left, left, part))
			fatal("split: a part above what is left");
	}
	return n;
}

size_t split_payment(const struct split_chan *chans, size_t nchans, struct amount_msat amount,
		     uint32_t nparts, struct split_part *out, size_t max_out, const char **why)
{
	if (amount_is_zero(amount)) {
		*why = "nothing to pay";
		return 0;
	}
	if (nparts == 0)
		return split_fewest(chans, nchans, amount, out, max_out, why);
	if (nparts > max_out || nparts > SPLIT_MAX_PARTS || amount.millisatoshis < nparts) {
		*why = "more parts than the amount or the HTLC limit allows";
		return 0;
	}

	/* Equal parts, each on the roomiest channel that still fits it. */
	struct amount_msat room[nchans ? nchans : 1];
	uint32_t slots[nchans ? nchans : 1];
	for (size_t i = 0; i < nchans; i++) {
		room[i] = chans[i].spendable;
		slots[i] = chans[i].free_slots;
	}
	struct amount_msat base;
	uint64_t extra;
	if (!amount_div(&base, &extra, amount, nparts))
		fatal("split: zero parts");
	bool ok = true;
	for (uint32_t k = 0; k < nparts && ok; k++) {
		struct amount_msat a = base;
		if (k < extra && !amount_add(&a, base, amount_msat(1)))
			fatal("split: a part above the amount");
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < nchans; i++) {
			if (!fits(&chans[i], room[i], slots[i], a))
				continue;
			if (best == SIZE_MAX || amount_less(room[best], room[i]))
				best = i;
		}
		if (best == SIZE_MAX) {
			ok = false;
			break;
		}
		if (!amount_sub(&room[best], room[best], a))
			fatal("split: a part above the channel's room");
		slots[best]--;
		out[k].chan = best;
		out[k].amount = a;
	}
	if (ok)
		return nparts;

	/* Unequal channels: fill them, then halve the largest parts (on the
	 * same channel) until there are nparts. */
	size_t n = split_fewest(chans, nchans, amount, out, max_out, why);
	if (n == 0)
		return 0;
	if (n > nparts) {
		*why = "the amount needs more parts than requested";
		return 0;
	}
	for (size_t i = 0; i < nchans; i++)
		slots[i] = chans[i].free_slots;
	for (size_t k = 0; k < n; k++)
		slots[out[k].chan]--;
	while (n < nparts) {
		size_t big = SIZE_MAX;
		for (size_t k = 0; k < n; k++) {
			const struct split_chan *c = &chans[out[k].chan];
			struct amount_msat half;
			uint64_t odd;
			if (!amount_div(&half, &odd, out[k].amount, 2))
				fatal("split: halving by zero");
			if (slots[out[k].chan] == 0 || amount_less(half, c->minimum) ||
			    amount_is_zero(half))
				continue;
			if (big == SIZE_MAX || amount_less(out[big].amount, out[k].amount))
				big = k;
		}
		if (big == SIZE_MAX) {
			*why = "cannot make that many parts within the channels' slots and minimums";
			return 0;
		}
		struct amount_msat half;
		uint64_t odd;
		if (!amount_div(&half, &odd, out[big].amount, 2))
			fatal("split: halving by zero");
		out[n].chan = out[big].chan;
		out[n].amount = half;
		if (!amount_sub(&out[big].amount, out[big].amount, out[n].amount))
			fatal("split: half a part above the part");
		slots[out[big].chan]--;
		n++;
	}
	return n;
}

/* Alice's splitting of a payment over channels. Pure: takes what each
 * channel can carry now and returns parts (channel index + amount). */
#ifndef AMPSIM_SPLIT_H
#define AMPSIM_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amount.h"
#include "proto_limits.h"

#define SPLIT_MAX_PARTS MAX_HTLCS

struct split_chan {
	struct amount_msat spendable;   /* Alice's balance on it */
	uint32_t free_slots;            /* HTLC slots left */
	struct amount_msat minimum;     /* htlc_minimum_msat */
	bool usable;                    /* up in both directions */
};

struct split_part {
	size_t chan;
	struct amount_msat amount;
};

/* Split amount into nparts parts (0: the fewest that fit, filling the
 * channels with the most room first). Returns the number of parts written
 * to out (at most max_out), or 0 with *why set when no split fits. */
size_t split_payment(const struct split_chan *chans, size_t nchans, struct amount_msat amount,
		     uint32_t nparts, struct split_part *out, size_t max_out, const char **why);

/* The usable channel, other than avoid (SIZE_MAX for none), that can carry
 * amount in one more HTLC and has the most room; SIZE_MAX if none. */
size_t split_pick_channel(const struct split_chan *chans, size_t nchans,
			  struct amount_msat amount, size_t avoid);

#endif

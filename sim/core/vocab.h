/* The protocol's vocabulary: what the engines speak of (payment modes,
 * outcomes, the behaviours of Alice and Bob) and a channel's parameters.
 * The engines include this, not the scenario-file model (scenario.h),
 * which reads a file into these words. */
#ifndef AMPSIM_VOCAB_H
#define AMPSIM_VOCAB_H

#include <stdbool.h>
#include <stdint.h>

#include "amount.h"
#include "link.h"
#include "proto_limits.h"

/* a channel's or a payment's id, at most this many bytes with its NUL */
#define SCN_ID_MAX ID_MAX
/* channels between Alice and Bob, at most */
#define SCN_MAX_CHANNELS 64

enum pay_mode { PAY_SINGLE, PAY_INVOICES, PAY_MPP, PAY_AMP };
const char *pay_mode_name(enum pay_mode m);
bool pay_mode_parse(const char *s, enum pay_mode *m);

enum outcome { OUTCOME_PENDING, OUTCOME_SETTLED, OUTCOME_FAILED, OUTCOME_REFUNDED, OUTCOME_PARTIAL };
const char *outcome_name(enum outcome o);
bool outcome_parse(const char *s, enum outcome *o);   /* not "pending" */

enum bob_behaviour { BOB_HONEST, BOB_GREEDY, BOB_HOLD, BOB_LATE, BOB_EAGER };
enum alice_behaviour { ALICE_HONEST, ALICE_BAD_SHARE };
const char *bob_behaviour_name(enum bob_behaviour b);
bool bob_behaviour_parse(const char *s, enum bob_behaviour *b);
const char *alice_behaviour_name(enum alice_behaviour a);
bool alice_behaviour_parse(const char *s, enum alice_behaviour *a);

struct channel_config {
	char id[SCN_ID_MAX];
	struct amount_msat capacity;
	struct amount_msat alice;        /* default: the whole capacity */
	struct link_params link;         /* same in both directions */
	uint32_t max_htlcs;              /* default 483 */
	struct amount_msat htlc_minimum; /* default 1msat */
	int line;
};

#endif

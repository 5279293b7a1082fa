#include "htlc_state.h"

#include <stdio.h>

static const char *const state_names[BH_STATE_COUNT] = {
	[BH_HELD] = "held",
	[BH_FULFILLED] = "fulfilled",
	[BH_FAILED] = "failed",
	[BH_REFUNDED] = "refunded",
};

static const char *const event_names[HTLC_EV_COUNT] = {
	[HTLC_EV_ACCEPT] = "accept",
	[HTLC_EV_REFUSE] = "refuse",
	[HTLC_EV_SETTLE] = "settle",
	[HTLC_EV_FAIL] = "fail",
	[HTLC_EV_EXPIRE] = "expire",
	[HTLC_EV_LOSE_ONCHAIN] = "lose_onchain",
};

/* An HTLC's first event: its arrival. */
static const unsigned char first[HTLC_EV_COUNT] = {
	[HTLC_EV_ACCEPT] = FSM_TO(BH_HELD),
	[HTLC_EV_REFUSE] = FSM_TO(BH_FAILED),
};

static const unsigned char next[BH_STATE_COUNT][HTLC_EV_COUNT] = {
	[BH_HELD] = {
		[HTLC_EV_SETTLE] = FSM_TO(BH_FULFILLED),
		[HTLC_EV_FAIL] = FSM_TO(BH_FAILED),
		[HTLC_EV_EXPIRE] = FSM_TO(BH_REFUNDED),
	},
	/* the preimage is out: only the chain (or Alice's word that she
	 * reclaimed it at its expiry) can still take it back */
	[BH_FULFILLED] = {
		[HTLC_EV_LOSE_ONCHAIN] = FSM_TO(BH_REFUNDED),
	},
	/* failed and refunded are final */
};

const struct fsm htlc_machine = {
	.name = "htlc",
	.nstates = BH_STATE_COUNT,
	.nevents = HTLC_EV_COUNT,
	.states = state_names,
	.events = event_names,
	.first = first,
	.next = &next[0][0],
};

const char *htlc_state_name(enum bob_htlc_state s)
{
	return fsm_state_name(&htlc_machine, (int)s);
}

bool htlc_state_from_stored(int v, enum bob_htlc_state *s)
{
	switch (v) {
	case BH_HELD: *s = BH_HELD; return true;
	case BH_FULFILLED: *s = BH_FULFILLED; return true;
	case BH_FAILED: *s = BH_FAILED; return true;
	case BH_REFUNDED: *s = BH_REFUNDED; return true;
	default: return false;   /* an int from disk, not an enum */
	}
}

const char *htlc_event_name(enum htlc_event e)
{
	return fsm_event_name(&htlc_machine, (int)e);
}

bool htlc_next(bool fresh, enum bob_htlc_state from, enum htlc_event ev, enum bob_htlc_state *to)
{
	int next_state;
	if (!fsm_next(&htlc_machine, fresh ? FSM_FRESH : (int)from, (int)ev, &next_state))
		return false;
	*to = (enum bob_htlc_state)next_state;
	return true;
}

bool htlc_change(struct htlc_fsm *f, enum htlc_event ev, enum fsm_cause cause,
		 const char *channel, uint64_t htlc_id, struct actions *out)
{
	int from = f->present ? (int)f->state : FSM_FRESH;
	int to;
	if (!fsm_next(&htlc_machine, from, (int)ev, &to)) {
		char subject[96];
		snprintf(subject, sizeof(subject), "channel %s: HTLC %llu", channel,
			 (unsigned long long)htlc_id);
		fsm_refuse(&htlc_machine, cause, subject, from, (int)ev, out);
		return false;
	}
	if (to == from)
		return true;   /* a stay: nothing changes */
	struct evrec *r = act_log(out, HTLC_STATE_EVENT);
	evrec_str(r, "channel", channel);
	evrec_u64(r, "htlc", htlc_id);
	evrec_str(r, "from", fsm_state_name(&htlc_machine, from));
	evrec_str(r, "to", fsm_state_name(&htlc_machine, to));
	evrec_str(r, "event", htlc_event_name(ev));
	f->present = true;
	f->state = (enum bob_htlc_state)to;
	return true;
}

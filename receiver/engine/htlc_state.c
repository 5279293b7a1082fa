#include "htlc_state.h"

#include <stdlib.h>

const char *htlc_state_name(enum bob_htlc_state s)
{
	switch (s) {
	case BH_HELD: return "held";
	case BH_FULFILLED: return "fulfilled";
	case BH_FAILED: return "failed";
	case BH_REFUNDED: return "refunded";
	}
	abort();
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
	switch (e) {
	case HTLC_EV_ACCEPT: return "accept";
	case HTLC_EV_REFUSE: return "refuse";
	case HTLC_EV_SETTLE: return "settle";
	case HTLC_EV_FAIL: return "fail";
	case HTLC_EV_EXPIRE: return "expire";
	case HTLC_EV_LOSE_ONCHAIN: return "lose_onchain";
	}
	abort();
}

bool htlc_next(bool fresh, enum bob_htlc_state from, enum htlc_event ev, enum bob_htlc_state *to)
{
	if (fresh) {
		switch (ev) {
		case HTLC_EV_ACCEPT: *to = BH_HELD; return true;
		case HTLC_EV_REFUSE: *to = BH_FAILED; return true;
		case HTLC_EV_SETTLE:
		case HTLC_EV_FAIL:
		case HTLC_EV_EXPIRE:
		case HTLC_EV_LOSE_ONCHAIN:
			return false;
		}
		abort();
	}
	switch (from) {
	case BH_HELD:
		switch (ev) {
		case HTLC_EV_SETTLE: *to = BH_FULFILLED; return true;
		case HTLC_EV_FAIL: *to = BH_FAILED; return true;
		case HTLC_EV_EXPIRE: *to = BH_REFUNDED; return true;
		case HTLC_EV_ACCEPT:
		case HTLC_EV_REFUSE:
		case HTLC_EV_LOSE_ONCHAIN:
			return false;
		}
		abort();
	case BH_FULFILLED:
		/* the preimage is out: only the chain can still take it back */
		if (ev == HTLC_EV_LOSE_ONCHAIN) {
			*to = BH_REFUNDED;
			return true;
		}
		return false;
	case BH_FAILED:
	case BH_REFUNDED:
		return false;   /* final */
	}
	abort();
}

bool htlc_transition(struct htlc_fsm *f, enum htlc_event ev, const char *channel,
		     uint64_t htlc_id, struct actions *out)
{
	enum bob_htlc_state to;
	if (!htlc_next(!f->present, f->state, ev, &to)) {
		act_violation(out, "channel %s: HTLC %llu: %s is illegal in state %s", channel,
			      (unsigned long long)htlc_id, htlc_event_name(ev),
			      f->present ? htlc_state_name(f->state) : "new");
		return false;
	}
	struct evrec *r = act_log(out, HTLC_STATE_EVENT);
	evrec_str(r, "channel", channel);
	evrec_u64(r, "htlc", htlc_id);
	evrec_str(r, "from", f->present ? htlc_state_name(f->state) : "new");
	evrec_str(r, "to", htlc_state_name(to));
	evrec_str(r, "event", htlc_event_name(ev));
	f->present = true;
	f->state = to;
	return true;
}

/* Alice's reconnect rule (reconnect.h). */
#include "reconnect.h"

static unsigned capped(unsigned ms)
{
	return ms > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : ms;
}

struct reconnect_next reconnect_after(struct reconnect *r, enum reconnect_why why)
{
	struct reconnect_next n = { false, 0, r->handshake_failures };
	switch (why) {
	case RECONNECT_STARTING:
		r->delay_ms = capped(r->delay_ms + RECONNECT_STEP_MS);
		break;
	case RECONNECT_HANDSHAKE:
		n.failures = ++r->handshake_failures;
		if (r->handshake_failures >= RECONNECT_HANDSHAKE_TRIES) {
			n.give_up = true;
			return n;
		}
		/* a refusal like any other: back off as after a lost connection */
		r->delay_ms = capped(r->delay_ms ? r->delay_ms * 2 : RECONNECT_FIRST_MS);
		break;
	case RECONNECT_LOST:
		r->delay_ms = capped(r->delay_ms ? r->delay_ms * 2 : RECONNECT_FIRST_MS);
		break;
	}
	n.delay_ms = r->delay_ms;
	return n;
}

void reconnect_secured(struct reconnect *r)
{
	r->delay_ms = 0;
	r->handshake_failures = 0;
}

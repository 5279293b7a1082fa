/* Small helpers both daemons use to build outgoing messages (envelopes on
 * the stack, *__INIT, no heap) and to parse the options they share. */
#ifndef AMPSIM_NODE_H
#define AMPSIM_NODE_H

#include <stdint.h>

#include "ampsim.pb-c.h"
#include "amp.h"
#include "proto_limits.h"

/* Bob's hold deadline for a set is at the latest HOLD_SAFETY_BLOCKS before
 * its earliest part expires (then the set fails with mpp_timeout), and he
 * never fulfills an HTLC within SETTLE_SAFETY_BLOCKS of its expiry: the
 * fulfill must reach Alice before she may reclaim the HTLC at cltv_expiry. */
#define HOLD_SAFETY_BLOCKS 3
#define SETTLE_SAFETY_BLOCKS 2

static inline ProtobufCBinaryData bin32(const uint8_t *b)
{
	ProtobufCBinaryData d = { AMP_LEN, (uint8_t *)b };
	return d;
}

#endif

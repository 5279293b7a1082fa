/* Small helpers both daemons use to build outgoing messages (envelopes on
 * the stack, *__INIT, no heap) and to parse the options they share. */
#ifndef AMPSIM_NODE_H
#define AMPSIM_NODE_H

#include <stdint.h>

#include "ampsim.pb-c.h"
#include "amp.h"

#define PROTOCOL_VERSION 1
/* Bob refuses to hold an HTLC within this many blocks of its expiry, and
 * never fulfills one within SETTLE_SAFETY_BLOCKS of it: the fulfill must
 * reach Alice before she may reclaim the HTLC at cltv_expiry (BOLT #2:
 * "fulfill ... before the HTLC times out"). */
#define HOLD_SAFETY_BLOCKS 3
#define SETTLE_SAFETY_BLOCKS 2

static inline ProtobufCBinaryData bin32(const uint8_t *b)
{
	ProtobufCBinaryData d = { AMP_LEN, (uint8_t *)b };
	return d;
}

#endif

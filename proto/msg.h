/* One builder per message. A struct msg holds an envelope and room for
 * whichever message (and sub-messages) it carries, so a sender builds on
 * its own stack, with no heap:
 *
 *     struct msg m;
 *     peer_send(p, msg_fulfill(&m, "c1", 7, preimage));
 *
 * The envelope points into m and into the arguments (strings and 32-byte
 * values are not copied): both must outlive the send. Nothing here
 * allocates; msg_frame() encodes through the one framing module. */
#ifndef AMPSIM_MSG_H
#define AMPSIM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ampsim.pb-c.h"

struct msg {
	Ampsim__Envelope env;
	union {
		Ampsim__Init init;
		Ampsim__OpenChannel open;
		Ampsim__AcceptChannel accept;
		Ampsim__InvoiceRequest invreq;
		Ampsim__Invoice invoice;
		Ampsim__UpdateAddHtlc add;
		Ampsim__UpdateFulfillHtlc fulfill;
		Ampsim__UpdateFailHtlc fail;
		Ampsim__Error error;
		Ampsim__Ping ping;
		Ampsim__Pong pong;
		Ampsim__ResolveAck ack;
		Ampsim__Reestablish reest;
		Ampsim__HtlcSigned hsigned;
	} u;
	Ampsim__MppRecord mpp;
	Ampsim__AmpRecord amp;
	Ampsim__LinkParams link[2];
	char *features[2];
};

/* One direction's impairments as open_channel carries them. */
struct msg_link {
	uint64_t delay_us, jitter_us;
	Ampsim__JitterDist dist;
	double drop, duplicate;
};

struct msg_init {
	uint32_t version;
	uint64_t epoch_unix_us, block_interval_us, seed;
	double time_scale;
};

const Ampsim__Envelope *msg_init(struct msg *m, const struct msg_init *i);
const Ampsim__Envelope *msg_open_channel(struct msg *m, const char *channel, uint64_t capacity_msat,
					 uint64_t alice_msat, uint32_t max_htlcs,
					 uint64_t htlc_minimum_msat, const struct msg_link *to_bob,
					 const struct msg_link *to_alice);
const Ampsim__Envelope *msg_accept_channel(struct msg *m, const char *channel);
const Ampsim__Envelope *msg_invoice_request(struct msg *m, uint64_t request_id,
					    uint64_t amount_msat, const char *description);
const Ampsim__Envelope *msg_invoice(struct msg *m, uint64_t request_id, uint64_t amount_msat,
				    const uint8_t hash[32], const uint8_t secret[32],
				    uint32_t min_final_cltv_expiry, uint64_t created_height,
				    const char *description);

/* The add's optional records: mpp when secret is non-NULL, amp when
 * share is non-NULL. */
struct msg_add {
	const char *channel;
	uint64_t htlc_id, amount_msat;
	const uint8_t *hash;           /* 32 */
	uint32_t cltv_expiry;
	const uint8_t *secret;         /* 32 or NULL: no MPP record */
	uint64_t total_msat;
	const uint8_t *share;          /* 32 or NULL: no AMP record */
	const uint8_t *set_id;         /* 32 */
	uint32_t child_index;
	const uint8_t *sender_sig;     /* 64 or NULL: unsigned (unit tests) */
};
const Ampsim__Envelope *msg_add(struct msg *m, const struct msg_add *a);
const Ampsim__Envelope *msg_fulfill(struct msg *m, const char *channel, uint64_t htlc_id,
				    const uint8_t preimage[32]);
const Ampsim__Envelope *msg_fail(struct msg *m, const char *channel, uint64_t htlc_id,
				 Ampsim__FailureCode code, const char *reason);
const Ampsim__Envelope *msg_error(struct msg *m, const char *channel, const char *message);
/* The same with a code the receiver's policy acts on (its text is for people). */
const Ampsim__Envelope *msg_error_code(struct msg *m, const char *channel, Ampsim__ErrorCode code,
				       const char *message);
const Ampsim__Envelope *msg_ping(struct msg *m, uint32_t num_pong_bytes);
const Ampsim__Envelope *msg_pong(struct msg *m);
const Ampsim__Envelope *msg_resolve_ack(struct msg *m, const char *channel, uint64_t htlc_id,
					bool reclaimed);
/* Bob's countersignature of HTLC htlc_id's terms (64 bytes). */
const Ampsim__Envelope *msg_htlc_signed(struct msg *m, const char *channel, uint64_t htlc_id,
					const uint8_t sig[64]);
const Ampsim__Envelope *msg_reestablish(struct msg *m, const char *channel,
					uint64_t next_htlc_id, uint32_t inflight);

#endif

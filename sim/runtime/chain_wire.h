/* The served chain's wire format (docs/transport.md, "The served chain"):
 * each message is a 4-byte length in network byte order, then that many
 * bytes of one JSON object. A request asks one thing of the chain (submit
 * a spend, or the confirmed spend of an HTLC output); the response answers
 * it or says what was wrong with it. The length is checked against
 * CHAIN_WIRE_MAX before anything is allocated or read.
 *
 * This file only encodes and decodes: no sockets. Decoding is strict (every
 * field present with its type and range, no other field), since a server
 * decodes what strangers send. */
#ifndef AMPSIM_CHAIN_WIRE_H
#define AMPSIM_CHAIN_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"

#define CHAIN_WIRE_HDR 4
#define CHAIN_WIRE_MAX 2048     /* bytes of JSON in one message, at most */

/* status: is the chain there (a client's probe at each block; nothing
 * but the height is sent, nothing but ok answered) */
enum chain_op { CHAIN_OP_SUBMIT, CHAIN_OP_CONFIRMED, CHAIN_OP_STATUS };
const char *chain_op_name(enum chain_op op);

struct chain_request {
	enum chain_op op;
	/* submit: kind and (claims) preimage of the spend, its output the
	 * proof's terms (channel, nodes, htlc_id, set in tx too); confirmed:
	 * channel, sender, receiver and htlc_id of the output asked about */
	struct chain_tx tx;
	struct chain_proof proof;   /* submit: the output's signed terms, the spend's signature */
	uint32_t height;            /* the caller's block height */
};

struct chain_response {
	bool ok;                    /* false: the request was refused, see error */
	char error[200];
	enum chain_op op;
	enum chain_submit_result result;   /* submit: ACCEPTED, SPENT or INVALID */
	char reason[100];           /* submit, INVALID: the rule it breaks */
	bool found;                 /* confirmed: a confirmed spend; submit: winner set */
	struct chain_tx tx;         /* confirmed: the spend; submit (SPENT): the winner */
};

/* The length a header announces; false when it is 0 or above CHAIN_WIRE_MAX. */
bool chain_wire_header(const uint8_t hdr[CHAIN_WIRE_HDR], uint32_t *len);

/* A whole message (header and JSON) into buf; its length, or 0 when it
 * does not fit in cap or the struct holds what cannot be sent. */
size_t chain_wire_encode_request(const struct chain_request *r, uint8_t *buf, size_t cap);
size_t chain_wire_encode_response(const struct chain_response *r, uint8_t *buf, size_t cap);

/* A message's JSON (without its header); false with a reason in err. */
bool chain_wire_decode_request(const uint8_t *body, size_t len, struct chain_request *out,
			       char *err, size_t errlen);
bool chain_wire_decode_response(const uint8_t *body, size_t len, struct chain_response *out,
				char *err, size_t errlen);

#endif

/* Fuzz target: a served chain's messages, as the server reads requests
 * from strangers and the daemons read its answers. Whatever decodes
 * encodes again and decodes to the same thing. */
#include <stdlib.h>
#include <string.h>

#include "chain_wire.h"
#include "fuzz.h"

const char *fuzz_name = "chain_wire";

static uint8_t again[CHAIN_WIRE_HDR + CHAIN_WIRE_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= CHAIN_WIRE_HDR) {
		uint32_t len;
		(void)chain_wire_header(data, &len);
	}
	char err[200];
	struct chain_request rq, rq2;
	if (chain_wire_decode_request(data, size, &rq, err, sizeof(err))) {
		size_t n = chain_wire_encode_request(&rq, again, sizeof(again));
		if (n == 0 || !chain_wire_decode_request(again + CHAIN_WIRE_HDR, n - CHAIN_WIRE_HDR,
							 &rq2, err, sizeof(err)) ||
		    memcmp(&rq, &rq2, sizeof(rq)) != 0)
			abort();
	}
	struct chain_response rs, rs2;
	if (chain_wire_decode_response(data, size, &rs, err, sizeof(err))) {
		size_t n = chain_wire_encode_response(&rs, again, sizeof(again));
		if (n == 0 || !chain_wire_decode_response(again + CHAIN_WIRE_HDR, n - CHAIN_WIRE_HDR,
							  &rs2, err, sizeof(err)) ||
		    rs.ok != rs2.ok || rs.result != rs2.result || rs.found != rs2.found ||
		    memcmp(&rs.tx, &rs2.tx, sizeof(rs.tx)) != 0)
			abort();
	}
	return 0;
}

static size_t seed(struct fuzz_seed *s, const char *json)
{
	s->len = strlen(json);
	s->data = (uint8_t *)strdup(json);
	return 1;
}

#define H64 "4242424242424242424242424242424242424242424242424242424242424242"

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	size_t n = 0;
	if (max < 8)
		return 0;
	n += seed(&seeds[n], "{\"op\":\"submit\",\"channel\":\"c1\",\"sender\":\"02" H64 "\","
			     "\"receiver\":\"03" H64 "\",\"htlc\":0,\"height\":38,"
			     "\"kind\":\"claim\",\"preimage\":\"" H64 "\",\"hash\":\"" H64 "\","
			     "\"amount_msat\":5000,\"cltv_expiry\":41,\"sender_sig\":\"" H64 H64 "\","
			     "\"receiver_sig\":\"" H64 H64 "\",\"sig\":\"" H64 H64 "\"}");
	n += seed(&seeds[n], "{\"op\":\"confirmed\",\"channel\":\"c2\",\"sender\":\"02" H64 "\","
			     "\"receiver\":\"03" H64 "\",\"htlc\":3,\"height\":40}");
	n += seed(&seeds[n], "{\"ok\":true,\"op\":\"submit\",\"result\":\"spent\",\"winner\":"
			     "{\"channel\":\"c1\",\"sender\":\"02" H64 "\",\"receiver\":\"03" H64 "\","
			     "\"htlc\":0,\"kind\":\"claim\",\"preimage\":\"" H64
			     "\",\"sent_height\":38,\"confirm_height\":40}}");
	n += seed(&seeds[n], "{\"ok\":true,\"op\":\"confirmed\",\"found\":true,\"tx\":{\"channel\":"
			     "\"c1\",\"sender\":\"02" H64 "\",\"receiver\":\"03" H64 "\",\"htlc\":0,"
			     "\"kind\":\"refund\",\"sent_height\":41,\"confirm_height\":43}}");
	n += seed(&seeds[n], "{\"ok\":true,\"op\":\"submit\",\"result\":\"invalid\","
			     "\"reason\":\"a refund before the committed expiry\"}");
	n += seed(&seeds[n], "{\"ok\":false,\"error\":\"malformed request\"}");
	n += seed(&seeds[n], "{\"op\":\"status\",\"height\":40}");
	n += seed(&seeds[n], "{\"ok\":true,\"op\":\"status\"}");
	return n;
}

#include "frame.h"
#include "proto_limits.h"

#include <stdio.h>
#include <string.h>

static void *arena_alloc(void *data, size_t size)
{
	struct frame_arena *a = data;
	size_t start = (a->used + 15) & ~(size_t)15;
	if (size > FRAME_ARENA_SIZE || start > FRAME_ARENA_SIZE - size) {
		a->exhausted = true;
		return NULL;        /* protobuf-c turns this into an unpack failure */
	}
	a->used = start + size;
	if (a->used > a->high_water)
		a->high_water = a->used;
	return a->mem + start;
}

static void arena_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;              /* released all at once by frame_arena_reset */
}

void frame_arena_init(struct frame_arena *a)
{
	a->used = 0;
	a->high_water = 0;
	a->alloc.alloc = arena_alloc;
	a->alloc.free = arena_free;
	a->alloc.allocator_data = a;
}

void frame_arena_reset(struct frame_arena *a)
{
	a->used = 0;
	a->exhausted = false;
}

const char *frame_status_name(enum frame_status s)
{
	switch (s) {
	case FRAME_OK: return "ok";
	case FRAME_NEED_MORE: return "need more";
	case FRAME_TOO_LARGE: return "frame length out of range";
	case FRAME_BAD: return "malformed message";
	}
	return "?";
}

uint32_t frame_peek_len(const uint8_t *buf, size_t len)
{
	if (len < FRAME_HDR)
		return 0;
	return ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) |
	       ((uint32_t)buf[2] << 8) | (uint32_t)buf[3];
}

void frame_put_len(uint8_t hdr[FRAME_HDR], uint32_t n)
{
	hdr[0] = (uint8_t)(n >> 24);
	hdr[1] = (uint8_t)(n >> 16);
	hdr[2] = (uint8_t)(n >> 8);
	hdr[3] = (uint8_t)n;
}

enum frame_status frame_decode(struct frame_arena *arena, const uint8_t *buf, size_t len,
			       size_t *consumed, Ampsim__Envelope **out,
			       char *why, size_t whylen)
{
	*out = NULL;
	if (len < FRAME_HDR)
		return FRAME_NEED_MORE;
	uint32_t n = frame_peek_len(buf, len);
	if (n == 0 || n > FRAME_MAX) {
		snprintf(why, whylen, "frame length %u outside 1..%u", n, (unsigned)FRAME_MAX);
		return FRAME_TOO_LARGE;
	}
	if (len - FRAME_HDR < n)
		return FRAME_NEED_MORE;
	*consumed = FRAME_HDR + (size_t)n;
	frame_arena_reset(arena);
	Ampsim__Envelope *env = ampsim__envelope__unpack(&arena->alloc, n, buf + FRAME_HDR);
	if (!env && arena->exhausted) {
		snprintf(why, whylen, "message of %u bytes needs more than %u bytes of decode memory",
			 n, (unsigned)FRAME_ARENA_SIZE);
		frame_arena_reset(arena);
		return FRAME_BAD;
	}
	if (!env) {
		snprintf(why, whylen, "payload of %u bytes is not a valid protobuf envelope", n);
		return FRAME_BAD;
	}
	if (!envelope_validate(env, why, whylen)) {
		frame_arena_reset(arena);
		return FRAME_BAD;
	}
	*out = env;
	return FRAME_OK;
}

size_t frame_encode(const Ampsim__Envelope *env, uint8_t *buf, size_t cap)
{
	size_t n = ampsim__envelope__get_packed_size(env);
	if (n == 0 || n > FRAME_MAX || n + FRAME_HDR > cap)
		return 0;
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	size_t w = ampsim__envelope__pack(env, buf + FRAME_HDR);
	return w == n ? n + FRAME_HDR : 0;
}

static bool need32(ProtobufCBinaryData b, const char *what, char *why, size_t whylen)
{
	if (b.len != 32) {
		snprintf(why, whylen, "%s is %zu bytes, expected 32", what, b.len);
		return false;
	}
	return true;
}

static bool need_id(const char *id, char *why, size_t whylen)
{
	if (!id || !*id || strlen(id) > ID_MAX - 1) {
		snprintf(why, whylen, "channel_id must be 1..%d characters", ID_MAX - 1);
		return false;
	}
	return true;
}

bool envelope_validate(const Ampsim__Envelope *env, char *why, size_t whylen)
{
	switch (env->msg_case) {
	case AMPSIM__ENVELOPE__MSG__NOT_SET:
		snprintf(why, whylen, "envelope carries no message");
		return false;
	case AMPSIM__ENVELOPE__MSG_INIT:
		if (env->init->block_interval_us == 0 || !(env->init->time_scale > 0)) {
			snprintf(why, whylen, "init needs block_interval_us > 0 and time_scale > 0");
			return false;
		}
		return true;
	case AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL: {
		const Ampsim__OpenChannel *o = env->open_channel;
		if (!need_id(o->channel_id, why, whylen))
			return false;
		if (o->alice_msat > o->capacity_msat || o->capacity_msat == 0) {
			snprintf(why, whylen, "open_channel: alice_msat exceeds capacity or capacity is 0");
			return false;
		}
		if (o->max_htlcs == 0 || o->max_htlcs > MAX_HTLCS) {
			snprintf(why, whylen, "open_channel: max_htlcs must be 1..%d (BOLT #2)", MAX_HTLCS);
			return false;
		}
		return true;
	}
	case AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL:
		return need_id(env->accept_channel->channel_id, why, whylen);
	case AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST:
		if (env->invoice_request->amount_msat == 0) {
			snprintf(why, whylen, "invoice_request for zero msat");
			return false;
		}
		return true;
	case AMPSIM__ENVELOPE__MSG_INVOICE:
		if (env->invoice->signature.len != 0 && env->invoice->signature.len != 64) {
			snprintf(why, whylen, "invoice.signature of %zu bytes, not 64",
				 env->invoice->signature.len);
			return false;
		}
		return need32(env->invoice->payment_hash, "invoice.payment_hash", why, whylen) &&
		       need32(env->invoice->payment_secret, "invoice.payment_secret", why, whylen);
	case AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC: {
		const Ampsim__UpdateAddHtlc *a = env->update_add_htlc;
		if (!need_id(a->channel_id, why, whylen) ||
		    !need32(a->payment_hash, "update_add_htlc.payment_hash", why, whylen))
			return false;
		if (a->amount_msat == 0) {
			snprintf(why, whylen, "update_add_htlc for zero msat");
			return false;
		}
		if (a->mpp && !need32(a->mpp->payment_secret, "mpp.payment_secret", why, whylen))
			return false;
		if (a->amp && (!need32(a->amp->root_share, "amp.root_share", why, whylen) ||
			       !need32(a->amp->set_id, "amp.set_id", why, whylen)))
			return false;
		if (a->sender_sig.len != 0 && a->sender_sig.len != 64) {
			snprintf(why, whylen, "update_add_htlc.sender_sig of %zu bytes, not 64",
				 a->sender_sig.len);
			return false;
		}
		return true;
	}
	case AMPSIM__ENVELOPE__MSG_HTLC_SIGNED:
		if (env->htlc_signed->receiver_sig.len != 64) {
			snprintf(why, whylen, "htlc_signed.receiver_sig of %zu bytes, not 64",
				 env->htlc_signed->receiver_sig.len);
			return false;
		}
		return need_id(env->htlc_signed->channel_id, why, whylen);
	case AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC:
		return need_id(env->update_fulfill_htlc->channel_id, why, whylen) &&
		       need32(env->update_fulfill_htlc->payment_preimage,
			      "update_fulfill_htlc.payment_preimage", why, whylen);
	case AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC:
		return need_id(env->update_fail_htlc->channel_id, why, whylen);
	case AMPSIM__ENVELOPE__MSG_RESOLVE_ACK:
		return need_id(env->resolve_ack->channel_id, why, whylen);
	case AMPSIM__ENVELOPE__MSG_REESTABLISH:
		return need_id(env->reestablish->channel_id, why, whylen);
	case AMPSIM__ENVELOPE__MSG_ERROR:
	case AMPSIM__ENVELOPE__MSG_PING:
	case AMPSIM__ENVELOPE__MSG_PONG:
		return true;
	case _AMPSIM__ENVELOPE__MSG__CASE_IS_INT_SIZE:
		break;
	}
	snprintf(why, whylen, "unknown message type %d", (int)env->msg_case);
	return false;
}

const char *envelope_type_name(const Ampsim__Envelope *env)
{
	switch (env->msg_case) {
	case AMPSIM__ENVELOPE__MSG__NOT_SET: return "none";
	case AMPSIM__ENVELOPE__MSG_INIT: return "init";
	case AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL: return "open_channel";
	case AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL: return "accept_channel";
	case AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST: return "invoice_request";
	case AMPSIM__ENVELOPE__MSG_INVOICE: return "invoice";
	case AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC: return "update_add_htlc";
	case AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC: return "update_fulfill_htlc";
	case AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC: return "update_fail_htlc";
	case AMPSIM__ENVELOPE__MSG_ERROR: return "error";
	case AMPSIM__ENVELOPE__MSG_PING: return "ping";
	case AMPSIM__ENVELOPE__MSG_PONG: return "pong";
	case AMPSIM__ENVELOPE__MSG_RESOLVE_ACK: return "resolve_ack";
	case AMPSIM__ENVELOPE__MSG_REESTABLISH: return "reestablish";
	case AMPSIM__ENVELOPE__MSG_HTLC_SIGNED: return "htlc_signed";
	case _AMPSIM__ENVELOPE__MSG__CASE_IS_INT_SIZE: break;
	}
	return "unknown";
}

const char *envelope_channel(const Ampsim__Envelope *env)
{
	const char *ch = NULL;
	switch (env->msg_case) {
	case AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL: ch = env->open_channel->channel_id; break;
	case AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL: ch = env->accept_channel->channel_id; break;
	case AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC: ch = env->update_add_htlc->channel_id; break;
	case AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC: ch = env->update_fulfill_htlc->channel_id; break;
	case AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC: ch = env->update_fail_htlc->channel_id; break;
	case AMPSIM__ENVELOPE__MSG_ERROR: ch = env->error->channel_id; break;
	case AMPSIM__ENVELOPE__MSG_RESOLVE_ACK: ch = env->resolve_ack->channel_id; break;
	case AMPSIM__ENVELOPE__MSG_REESTABLISH: ch = env->reestablish->channel_id; break;
	case AMPSIM__ENVELOPE__MSG_HTLC_SIGNED: ch = env->htlc_signed->channel_id; break;
	case AMPSIM__ENVELOPE__MSG__NOT_SET:
	case AMPSIM__ENVELOPE__MSG_INIT:
	case AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST:
	case AMPSIM__ENVELOPE__MSG_INVOICE:
	case AMPSIM__ENVELOPE__MSG_PING:
	case AMPSIM__ENVELOPE__MSG_PONG:
	case _AMPSIM__ENVELOPE__MSG__CASE_IS_INT_SIZE:
		break;
	}
	return ch ? ch : "";
}

/* The HTLC a message names, or -1 (pings, invoices, the connection's own
 * messages). */
long long envelope_htlc(const Ampsim__Envelope *env)
{
	switch (env->msg_case) {
	case AMPSIM__ENVELOPE__MSG_UPDATE_ADD_HTLC:
		return (long long)env->update_add_htlc->htlc_id;
	case AMPSIM__ENVELOPE__MSG_UPDATE_FULFILL_HTLC:
		return (long long)env->update_fulfill_htlc->htlc_id;
	case AMPSIM__ENVELOPE__MSG_UPDATE_FAIL_HTLC:
		return (long long)env->update_fail_htlc->htlc_id;
	case AMPSIM__ENVELOPE__MSG_RESOLVE_ACK:
		return (long long)env->resolve_ack->htlc_id;
	case AMPSIM__ENVELOPE__MSG_HTLC_SIGNED:
		return (long long)env->htlc_signed->htlc_id;
	case AMPSIM__ENVELOPE__MSG__NOT_SET:
	case AMPSIM__ENVELOPE__MSG_INIT:
	case AMPSIM__ENVELOPE__MSG_OPEN_CHANNEL:
	case AMPSIM__ENVELOPE__MSG_ACCEPT_CHANNEL:
	case AMPSIM__ENVELOPE__MSG_INVOICE_REQUEST:
	case AMPSIM__ENVELOPE__MSG_INVOICE:
	case AMPSIM__ENVELOPE__MSG_ERROR:
	case AMPSIM__ENVELOPE__MSG_PING:
	case AMPSIM__ENVELOPE__MSG_PONG:
	case AMPSIM__ENVELOPE__MSG_REESTABLISH:
	case _AMPSIM__ENVELOPE__MSG__CASE_IS_INT_SIZE:
		break;
	}
	return -1;
}


/* The one framing module: all protobuf packing and unpacking happens here.
 *
 * A frame is a 4-byte big-endian length followed by that many bytes of one
 * packed ampsim.Envelope. The length is checked against FRAME_MAX before
 * anything is allocated, and a zero length is invalid.
 *
 * Decoding unpacks into a caller-owned arena (no malloc per message): the
 * returned envelope lives until the next frame_decode on the same arena or
 * frame_arena_reset(). Callers never free it themselves. */
#ifndef AMPSIM_FRAME_H
#define AMPSIM_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ampsim.pb-c.h"

#define FRAME_HDR 4
#define FRAME_MAX (64 * 1024)
/* Decode memory per connection. protobuf-c allocates a struct per
 * sub-message and per repeated element, so a frame made of many tiny
 * fields can need far more than its own size; such a frame is refused
 * with "needs more decode memory" rather than growing without bound. */
#define FRAME_ARENA_SIZE (FRAME_MAX * 4)

struct frame_arena {
	size_t used;
	size_t high_water;
	bool exhausted;          /* the last decode ran out of arena */
	ProtobufCAllocator alloc;
	_Alignas(16) uint8_t mem[FRAME_ARENA_SIZE];
};

void frame_arena_init(struct frame_arena *a);
void frame_arena_reset(struct frame_arena *a);

enum frame_status {
	FRAME_OK,          /* one envelope decoded, *consumed bytes used */
	FRAME_NEED_MORE,   /* not a whole frame yet */
	FRAME_TOO_LARGE,   /* length header over FRAME_MAX or zero */
	FRAME_BAD,         /* payload does not unpack or fails validation */
};

const char *frame_status_name(enum frame_status s);

/* Peek at a frame header: the payload length, or 0 when fewer than 4 bytes. */
uint32_t frame_peek_len(const uint8_t *buf, size_t len);
/* Write the header of a frame whose envelope is n bytes. */
void frame_put_len(uint8_t hdr[FRAME_HDR], uint32_t n);

/* Decode one frame from buf. On FRAME_OK *out points into the arena and
 * *consumed is header + payload. On FRAME_BAD, why says what was wrong.
 * Nothing is allocated on the heap. */
enum frame_status frame_decode(struct frame_arena *arena, const uint8_t *buf, size_t len,
			       size_t *consumed, Ampsim__Envelope **out,
			       char *why, size_t whylen);

/* Encode env as one frame into buf (capacity cap). Returns the frame length,
 * or 0 if it would exceed FRAME_MAX or cap. */
size_t frame_encode(const Ampsim__Envelope *env, uint8_t *buf, size_t cap);

/* Structural checks protobuf cannot express: a oneof is set, hashes and
 * secrets are 32 bytes, ids are non-empty. false + why on the first error. */
bool envelope_validate(const Ampsim__Envelope *env, char *why, size_t whylen);

/* Human name of the message type ("update_add_htlc", ...). */
const char *envelope_type_name(const Ampsim__Envelope *env);

/* The channel a message is about, or "" (init, invoices, pings). */
const char *envelope_channel(const Ampsim__Envelope *env);
/* The HTLC a message names, or -1 (pings, invoices, the connection's own
 * messages). */
long long envelope_htlc(const Ampsim__Envelope *env);

#endif

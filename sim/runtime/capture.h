/* Wire capture: every message a daemon sends or receives, in plaintext and
 * stamped with simulated time, as a pcapng file (written here to the
 * pcapng specification: a section header, one interface of link type
 * USER0, and an enhanced packet block per message).
 *
 * Each packet is an ampsim capture header followed by the packed Envelope:
 *
 *   offset 0  version (1)
 *          1  node that captured it: 0 alice, 1 bob
 *          2  direction: 0 alice -> bob, 1 bob -> alice
 *          3  L, the length of the channel id (0: not about one channel)
 *          4  the channel id, L bytes
 *      4 + L  the Envelope, as protobuf
 *
 * scripts/wireshark/ampsim.lua reads the header and hands the Envelope to
 * Wireshark's protobuf dissector. A file that exists is appended to as a
 * new section (a restarted daemon keeps one capture). Created 0600. */
#ifndef AMPSIM_CAPTURE_H
#define AMPSIM_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_VERSION 1
#define CAPTURE_LINKTYPE_USER0 147

enum capture_node { CAPTURE_ALICE = 0, CAPTURE_BOB = 1 };

struct capture;

struct capture *capture_open(const char *path, enum capture_node node, char *err, size_t errlen);
void capture_close(struct capture *c);

/* One message. sent: this node sent it (else received it). frame is one
 * frame as on the wire (4-byte length, then the Envelope); channel NULL
 * takes it from the message. False if the file could not be written
 * (reported once). */
bool capture_frame(struct capture *c, uint64_t sim_us, bool sent, const char *channel,
		   const uint8_t *frame, size_t len);

uint64_t capture_count(const struct capture *c);

#endif

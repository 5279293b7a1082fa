/* Fuzz target: BOLT #8 as a responder meets it from a stranger: the input
 * is act one (50 bytes), act three (66 bytes), then a stream of messages
 * (18-byte encrypted length, then the body). Whatever the bytes, no crash,
 * and a failure leaves the state dead. Seeds: the spec's own transcript
 * (BOLT #8 Appendix A) with messages, so mutations start from valid input. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "noise.h"

const char *fuzz_name = "noise";

static const uint8_t R_LS[32] = { [0 ... 31] = 0x21 };
static const uint8_t R_E[32] = { [0 ... 31] = 0x22 };
static const uint8_t I_LS[32] = { [0 ... 31] = 0x11 };
static const uint8_t I_E[32] = { [0 ... 31] = 0x12 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct noise_handshake hs;
	struct noise_cipher c;
	uint8_t act2[NOISE_ACT_TWO_LEN], rs[NOISE_PUBKEY_LEN];
	if (noise_hs_init_responder(&hs, R_LS) != NOISE_OK)
		abort();
	if (size < NOISE_ACT_ONE_LEN || noise_act1_read(&hs, data) != NOISE_OK)
		goto done;
	if (noise_act2_make(&hs, R_E, act2) != NOISE_OK)
		abort();
	data += NOISE_ACT_ONE_LEN;
	size -= NOISE_ACT_ONE_LEN;
	if (size < NOISE_ACT_THREE_LEN || noise_act3_read(&hs, data, &c, rs) != NOISE_OK)
		goto done;
	data += NOISE_ACT_THREE_LEN;
	size -= NOISE_ACT_THREE_LEN;
	static uint8_t body[NOISE_MSG_MAX + NOISE_MAC_LEN];
	while (size >= NOISE_HDR_LEN) {
		size_t len;
		if (noise_decrypt_len(&c, data, &len) != NOISE_OK)
			break;
		data += NOISE_HDR_LEN;
		size -= NOISE_HDR_LEN;
		if (size < len + NOISE_MAC_LEN)
			break;
		if (noise_decrypt_body(&c, data, len + NOISE_MAC_LEN, body) != NOISE_OK)
			break;
		data += len + NOISE_MAC_LEN;
		size -= len + NOISE_MAC_LEN;
	}
	noise_cipher_wipe(&c);
done:
	noise_hs_wipe(&hs);
	return 0;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	(void)max;
	/* the initiator's side of the spec's handshake, then three messages */
	struct noise_handshake hs;
	struct noise_cipher c;
	uint8_t r_pub[NOISE_PUBKEY_LEN], buf[NOISE_ACT_ONE_LEN + NOISE_ACT_THREE_LEN + 3 * 64];
	size_t n = 0;
	noise_pubkey_from_privkey(R_LS, r_pub);
	noise_hs_init_initiator(&hs, I_LS, r_pub);
	noise_act1_make(&hs, I_E, buf);
	n += NOISE_ACT_ONE_LEN;
	/* act two as the responder would answer, to reach act three */
	struct noise_handshake r;
	uint8_t act2[NOISE_ACT_TWO_LEN], rs[NOISE_PUBKEY_LEN];
	struct noise_cipher rc;
	noise_hs_init_responder(&r, R_LS);
	noise_act1_read(&r, buf);
	noise_act2_make(&r, R_E, act2);
	noise_act2_read(&hs, act2);
	noise_act3_make(&hs, buf + n, &c);
	noise_act3_read(&r, buf + n, &rc, rs);
	n += NOISE_ACT_THREE_LEN;
	static const char *msgs[] = { "hello", "", "an ampsim envelope would be here" };
	for (int i = 0; i < 3; i++) {
		size_t len = strlen(msgs[i]);
		noise_encrypt_msg(&c, (const uint8_t *)msgs[i], len, buf + n);
		n += NOISE_WIRE_LEN(len);
	}
	seeds[0].len = n;
	seeds[0].data = malloc(n);
	memcpy(seeds[0].data, buf, n);
	seeds[1].len = NOISE_ACT_ONE_LEN;
	seeds[1].data = malloc(NOISE_ACT_ONE_LEN);
	memcpy(seeds[1].data, buf, NOISE_ACT_ONE_LEN);
	return 2;
}

/* Unit tests for proto/noise.c. The vectors are BOLT #8's "Appendix A:
 * Transport Test Vectors" (lightning/bolts, 08-transport.md), copied as
 * they stand there: initiator tests, responder tests, message encryption
 * tests. The "short read" vectors are not here: the API takes acts of
 * exactly 50 and 66 bytes, so reading that many is the caller's job. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "noise.h"

/* ---- BOLT #8 Appendix A ---- */

/* the initiator */
#define I_LS_PRIV "1111111111111111111111111111111111111111111111111111111111111111"
#define I_LS_PUB "034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa"
#define I_E_PRIV "1212121212121212121212121212121212121212121212121212121212121212"
/* the responder */
#define R_LS_PRIV "2121212121212121212121212121212121212121212121212121212121212121"
#define R_LS_PUB "028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7"
#define R_E_PRIV "2222222222222222222222222222222222222222222222222222222222222222"

#define ACT1 "00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f7" \
	"0df6086551151f58b8afe6c195782c6a"
#define ACT2 "0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27" \
	"6e2470b93aac583c9ef6eafca3f730ae"
#define ACT3 "00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355" \
	"361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba"

/* after act one, after act two (the "# h=" and "# ck,temp_k" comments) */
#define H_ACT1 "9d1ffbb639e7e20021d9259491dc7b160aab270fb1339ef135053f6f2cebe9ce"
#define CK_ACT1 "b61ec1191326fa240decc9564369dbb3ae2b34341d1e11ad64ed89f89180582f"
#define TEMP_K1 "e68f69b7f096d7917245f5e5cf8ae1595febe4d4644333c99f9c4a1282031c9f"
#define H_ACT2 "90578e247e98674e661013da3c5c1ca6a8c8f48c90b485c0dfa1494e23d56d72"
#define CK_ACT2 "e89d31033a1b6bf68c07d22e08ea4d7884646c4b60a9528598ccb4ee2c8f56ba"
#define TEMP_K2 "908b166535c01a935cf1e130a5fe895ab4e6f3ef8855d87e9b7581c4ab663ddc"

/* the initiator's sk (the responder's rk), the other, and the final ck */
#define KEY_I2R "969ab31b4d288cedf6218839b27a3e2140827047f2c0f01bf5c04435d43511a9"
#define KEY_R2I "bb9020b8965f4df047e07f955f3c4b88418984aadc5cdb35096b9ea8fa5c3442"
#define CK_FINAL "919219dbb2920afa8db80f9a51787a840bcf111ed8d588caf9ab4be716e42b01"

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;
	assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL), 0);
	assert_int_equal(n * 2, strlen(hex));
	return n;
}

static void assert_hex(const uint8_t *v, size_t len, const char *want)
{
	char got[2 * 256 + 1];
	assert_true(len <= 256);
	sodium_bin2hex(got, sizeof(got), v, len);
	assert_string_equal(got, want);
}

static bool all_zero(const void *p, size_t len)
{
	return sodium_is_zero(p, len) == 1;
}

static void key(uint8_t out[32], const char *hex)
{
	assert_int_equal(unhex(out, 32, hex), 32);
}

/* The initiator up to act two, with the vector's keys. */
static void initiator_through_act1(struct noise_handshake *hs)
{
	uint8_t ls[32], e[32], rs[33], act1[NOISE_ACT_ONE_LEN];

	key(ls, I_LS_PRIV);
	key(e, I_E_PRIV);
	assert_int_equal(unhex(rs, 33, R_LS_PUB), 33);
	assert_int_equal(noise_hs_init_initiator(hs, ls, rs), NOISE_OK);
	assert_int_equal(noise_act1_make(hs, e, act1), NOISE_OK);
	assert_hex(act1, sizeof(act1), ACT1);
}

static void responder_init(struct noise_handshake *hs)
{
	uint8_t ls[32];

	key(ls, R_LS_PRIV);
	assert_int_equal(noise_hs_init_responder(hs, ls), NOISE_OK);
}

/* The responder up to act three, with the vector's keys. */
static void responder_through_act2(struct noise_handshake *hs)
{
	uint8_t e[32], act1[NOISE_ACT_ONE_LEN], act2[NOISE_ACT_TWO_LEN];

	responder_init(hs);
	key(e, R_E_PRIV);
	unhex(act1, sizeof(act1), ACT1);
	assert_int_equal(noise_act1_read(hs, act1), NOISE_OK);
	assert_int_equal(noise_act2_make(hs, e, act2), NOISE_OK);
	assert_hex(act2, sizeof(act2), ACT2);
}

static void assert_failed(const struct noise_handshake *hs)
{
	assert_int_equal(hs->state, NOISE_HS_FAILED);
	assert_true(all_zero(hs->ck, sizeof(hs->ck)));
	assert_true(all_zero(hs->h, sizeof(hs->h)));
	assert_true(all_zero(hs->ls_priv, sizeof(hs->ls_priv)));
	assert_true(all_zero(hs->e_priv, sizeof(hs->e_priv)));
}

/* name: transport-initiator successful handshake */
static void test_initiator_success(void **state)
{
	(void)state;
	struct noise_handshake hs;
	struct noise_cipher c;
	uint8_t act2[NOISE_ACT_TWO_LEN], act3[NOISE_ACT_THREE_LEN];

	initiator_through_act1(&hs);
	assert_hex(hs.h, 32, H_ACT1);
	assert_hex(hs.ck, 32, CK_ACT1);
	assert_hex(hs.temp_k, 32, TEMP_K1);
	unhex(act2, sizeof(act2), ACT2);
	assert_int_equal(noise_act2_read(&hs, act2), NOISE_OK);
	assert_hex(hs.h, 32, H_ACT2);
	assert_hex(hs.ck, 32, CK_ACT2);
	assert_hex(hs.temp_k, 32, TEMP_K2);
	assert_int_equal(noise_act3_make(&hs, act3, &c), NOISE_OK);
	assert_hex(act3, sizeof(act3), ACT3);
	assert_hex(c.send.k, 32, KEY_I2R);
	assert_hex(c.recv.k, 32, KEY_R2I);
	assert_hex(c.send.ck, 32, CK_FINAL);
	assert_hex(c.recv.ck, 32, CK_FINAL);
	assert_int_equal(c.send.n, 0);
	assert_int_equal(c.recv.n, 0);
	/* the handshake's secrets are gone */
	assert_int_equal(hs.state, NOISE_HS_DONE);
	assert_true(all_zero(hs.ck, sizeof(hs.ck)));
	assert_true(all_zero(hs.ls_priv, sizeof(hs.ls_priv)));
	assert_true(all_zero(hs.e_priv, sizeof(hs.e_priv)));
	noise_cipher_wipe(&c);
	assert_true(all_zero(&c, sizeof(c)));
}

/* name: transport-initiator act2 bad version / bad key serialization /
 * bad MAC test */
static void initiator_act2_fails(const char *act2_hex, enum noise_status want)
{
	struct noise_handshake hs;
	struct noise_cipher c;
	uint8_t act2[NOISE_ACT_TWO_LEN], act3[NOISE_ACT_THREE_LEN];

	initiator_through_act1(&hs);
	unhex(act2, sizeof(act2), act2_hex);
	assert_int_equal(noise_act2_read(&hs, act2), want);
	assert_failed(&hs);
	/* and nothing more comes out of it */
	assert_int_equal(noise_act3_make(&hs, act3, &c), NOISE_DEAD);
	assert_int_equal(noise_act2_read(&hs, act2), NOISE_DEAD);
}

static void test_initiator_act2_bad_version(void **state)
{
	(void)state;
	initiator_act2_fails("0102466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27"
			     "6e2470b93aac583c9ef6eafca3f730ae", NOISE_BAD_VERSION);
}

static void test_initiator_act2_bad_key(void **state)
{
	(void)state;
	initiator_act2_fails("0004466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27"
			     "6e2470b93aac583c9ef6eafca3f730ae", NOISE_BAD_PUBKEY);
}

static void test_initiator_act2_bad_mac(void **state)
{
	(void)state;
	initiator_act2_fails("0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27"
			     "6e2470b93aac583c9ef6eafca3f730af", NOISE_BAD_MAC);
}

/* name: transport-responder successful handshake */
static void test_responder_success(void **state)
{
	(void)state;
	struct noise_handshake hs;
	struct noise_cipher c;
	uint8_t act3[NOISE_ACT_THREE_LEN], rs[NOISE_PUBKEY_LEN];

	responder_through_act2(&hs);
	assert_hex(hs.h, 32, H_ACT2);
	assert_hex(hs.ck, 32, CK_ACT2);
	unhex(act3, sizeof(act3), ACT3);
	assert_int_equal(noise_act3_read(&hs, act3, &c, rs), NOISE_OK);
	assert_hex(rs, sizeof(rs), I_LS_PUB);
	assert_hex(c.recv.k, 32, KEY_I2R);
	assert_hex(c.send.k, 32, KEY_R2I);
	assert_hex(c.send.ck, 32, CK_FINAL);
	assert_hex(c.recv.ck, 32, CK_FINAL);
	assert_int_equal(hs.state, NOISE_HS_DONE);
	assert_true(all_zero(hs.ls_priv, sizeof(hs.ls_priv)));
	noise_cipher_wipe(&c);
}

/* name: transport-responder act1 bad version / bad key serialization /
 * bad MAC test */
static void responder_act1_fails(const char *act1_hex, enum noise_status want)
{
	struct noise_handshake hs;
	uint8_t act1[NOISE_ACT_ONE_LEN], e[32], act2[NOISE_ACT_TWO_LEN];

	responder_init(&hs);
	unhex(act1, sizeof(act1), act1_hex);
	assert_int_equal(noise_act1_read(&hs, act1), want);
	assert_failed(&hs);
	key(e, R_E_PRIV);
	assert_int_equal(noise_act2_make(&hs, e, act2), NOISE_DEAD);
}

static void test_responder_act1_bad_version(void **state)
{
	(void)state;
	responder_act1_fails("01036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f7"
			     "0df6086551151f58b8afe6c195782c6a", NOISE_BAD_VERSION);
}

static void test_responder_act1_bad_key(void **state)
{
	(void)state;
	responder_act1_fails("00046360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f7"
			     "0df6086551151f58b8afe6c195782c6a", NOISE_BAD_PUBKEY);
}

static void test_responder_act1_bad_mac(void **state)
{
	(void)state;
	responder_act1_fails("00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f7"
			     "0df6086551151f58b8afe6c195782c6b", NOISE_BAD_MAC);
}

/* name: transport-responder act3 bad version / bad MAC for ciphertext /
 * bad rs / bad MAC test */
static void responder_act3_fails(const char *act3_hex, enum noise_status want)
{
	struct noise_handshake hs;
	struct noise_cipher c;
	uint8_t act3[NOISE_ACT_THREE_LEN], rs[NOISE_PUBKEY_LEN];

	responder_through_act2(&hs);
	unhex(act3, sizeof(act3), act3_hex);
	memset(rs, 0xaa, sizeof(rs));
	memset(&c, 0xaa, sizeof(c));
	assert_int_equal(noise_act3_read(&hs, act3, &c, rs), want);
	assert_failed(&hs);
	/* neither output was written */
	for (size_t i = 0; i < sizeof(rs); i++)
		assert_int_equal(rs[i], 0xaa);
	assert_int_equal(c.send.k[0], 0xaa);
	assert_int_equal(noise_act3_read(&hs, act3, &c, rs), NOISE_DEAD);
}

static void test_responder_act3_bad_version(void **state)
{
	(void)state;
	responder_act3_fails("01b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355"
			     "361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba",
			     NOISE_BAD_VERSION);
}

static void test_responder_act3_bad_ciphertext(void **state)
{
	(void)state;
	responder_act3_fails("00c9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355"
			     "361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba",
			     NOISE_BAD_MAC);
}

static void test_responder_act3_bad_rs(void **state)
{
	(void)state;
	responder_act3_fails("00bfe3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355"
			     "36ad09a8ee351870c2bb7f78b754a26c6cef79a98d25139c856d7efd252c2ae73c",
			     NOISE_BAD_PUBKEY);
}

static void test_responder_act3_bad_mac(void **state)
{
	(void)state;
	responder_act3_fails("00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355"
			     "361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139bb",
			     NOISE_BAD_MAC);
}

/* ---- name: transport-message test ---- */

static const struct {
	unsigned index;
	const char *out;
} message_vectors[] = {
	{ 0, "cf2b30ddf0cf3f80e7c35a6e6730b59fe802473180f396d88a8fb0db8cbcf25d2f214cf9ea1d95" },
	{ 1, "72887022101f0b6753e0c7de21657d35a4cb2a1f5cde2650528bbc8f837d0f0d7ad833b1a256a1" },
	{ 500, "178cb9d7387190fa34db9c2d50027d21793c9bc2d40b1e14dcf30ebeeeb220f48364f7a4c68bf8" },
	{ 501, "1b186c57d44eb6de4c057c49940d79bb838a145cb528d6e8fd26dbe50a60ca2c104b56b60e45bd" },
	{ 1000, "4a2f3cc3b5e78ddb83dcb426d9863d9d9a723b0337c89dd0b005d89f8d3c05c52b76b29b740f09" },
	{ 1001, "2ecd8c8a5629d0d02ab457a0fdd0f7b90a192cd46be5ecb6ca570bfc5e268338b1a16cf4ef2d36" },
};

/* The comments of the vector: the sending key and its chaining key after
 * the first and the second rotation. */
#define ROT1_CK "cc2c6e467efc8067720c2d09c139d1f77731893aad1defa14f9bf3c48d3f1d31"
#define ROT1_K "3fbdc101abd1132ca3a0ae34a669d8d9ba69a587e0bb4ddd59524541cf4813d8"
#define ROT2_CK "728366ed68565dc17cf6dd97330a859a6a56e87e2beef3bd828a4c4a54d8df06"
#define ROT2_K "9e0477f9850dca41e42db0e4d154e3a098e5a000d995e421849fcd5df27882bd"

static void test_message_vectors(void **state)
{
	(void)state;
	struct noise_cipher snd, rcv;
	uint8_t out[NOISE_WIRE_LEN(5)], got[5];
	size_t v = 0, len;

	/* the initiator's keys after the handshake; the receiver mirrors them */
	memset(&snd, 0, sizeof(snd));
	key(snd.send.k, KEY_I2R);
	key(snd.send.ck, CK_FINAL);
	key(snd.recv.k, KEY_R2I);
	key(snd.recv.ck, CK_FINAL);
	memset(&rcv, 0, sizeof(rcv));
	rcv.recv = snd.send;
	rcv.send = snd.recv;

	for (unsigned i = 0; i <= 1001; i++) {
		if (i == 500) {
			assert_hex(snd.send.ck, 32, ROT1_CK);
			assert_hex(snd.send.k, 32, ROT1_K);
		}
		if (i == 1000) {
			assert_hex(snd.send.ck, 32, ROT2_CK);
			assert_hex(snd.send.k, 32, ROT2_K);
		}
		assert_int_equal(noise_encrypt_msg(&snd, (const uint8_t *)"hello", 5, out), NOISE_OK);
		if (v < sizeof(message_vectors) / sizeof(message_vectors[0]) &&
		    message_vectors[v].index == i) {
			assert_hex(out, sizeof(out), message_vectors[v].out);
			v++;
		}
		/* and the responder reads every one of them */
		assert_int_equal(noise_decrypt_len(&rcv, out, &len), NOISE_OK);
		assert_int_equal(len, 5);
		assert_int_equal(noise_decrypt_body(&rcv, out + NOISE_HDR_LEN, len + NOISE_MAC_LEN,
						    got), NOISE_OK);
		assert_memory_equal(got, "hello", 5);
	}
	assert_int_equal(v, 6);
	/* the receiving side rotated in step */
	assert_memory_equal(&rcv.recv, &snd.send, sizeof(snd.send));
	assert_int_equal(snd.send.n, 4);
	noise_cipher_wipe(&snd);
	noise_cipher_wipe(&rcv);
}

/* ---- beyond the vectors ---- */

/* A handshake between two fresh random keys; returns both ciphers. */
static void handshake(struct noise_cipher *ci, struct noise_cipher *cr)
{
	struct noise_handshake hi, hr;
	uint8_t ls_i[32], ls_r[32], pub_i[33], pub_r[33], e[32], rs[33];
	uint8_t a1[NOISE_ACT_ONE_LEN], a2[NOISE_ACT_TWO_LEN], a3[NOISE_ACT_THREE_LEN];

	do
		randombytes_buf(ls_i, 32);
	while (!noise_privkey_valid(ls_i));
	do
		randombytes_buf(ls_r, 32);
	while (!noise_privkey_valid(ls_r));
	assert_int_equal(noise_pubkey_from_privkey(ls_i, pub_i), NOISE_OK);
	assert_int_equal(noise_pubkey_from_privkey(ls_r, pub_r), NOISE_OK);

	assert_int_equal(noise_hs_init_initiator(&hi, ls_i, pub_r), NOISE_OK);
	assert_int_equal(noise_hs_init_responder(&hr, ls_r), NOISE_OK);
	randombytes_buf(e, 32);
	assert_int_equal(noise_act1_make(&hi, e, a1), NOISE_OK);
	assert_int_equal(noise_act1_read(&hr, a1), NOISE_OK);
	randombytes_buf(e, 32);
	assert_int_equal(noise_act2_make(&hr, e, a2), NOISE_OK);
	assert_int_equal(noise_act2_read(&hi, a2), NOISE_OK);
	assert_int_equal(noise_act3_make(&hi, a3, ci), NOISE_OK);
	assert_int_equal(noise_act3_read(&hr, a3, cr, rs), NOISE_OK);
	assert_memory_equal(rs, pub_i, 33);
	assert_memory_equal(ci->send.k, cr->recv.k, 32);
	assert_memory_equal(ci->recv.k, cr->send.k, 32);
	sodium_memzero(ls_i, sizeof(ls_i));
	sodium_memzero(ls_r, sizeof(ls_r));
	sodium_memzero(e, sizeof(e));
}

/* One message from a to b, checked on arrival. */
static void pass(struct noise_cipher *a, struct noise_cipher *b, const uint8_t *body,
		 size_t len, uint8_t *wire, uint8_t *got)
{
	size_t n = 0;

	assert_int_equal(noise_encrypt_msg(a, body, len, wire), NOISE_OK);
	assert_int_equal(noise_decrypt_len(b, wire, &n), NOISE_OK);
	assert_int_equal(n, len);
	assert_int_equal(noise_decrypt_body(b, wire + NOISE_HDR_LEN, n + NOISE_MAC_LEN, got),
			 NOISE_OK);
	if (len)
		assert_memory_equal(got, body, len);
}

static uint8_t body[NOISE_MSG_MAX + 1 + 64];   /* room to slide the start */
static uint8_t wire[NOISE_WIRE_LEN(NOISE_MSG_MAX + 1)];
static uint8_t got[NOISE_MSG_MAX + 1];

static void test_round_trip(void **state)
{
	(void)state;
	struct noise_cipher ci, cr;

	handshake(&ci, &cr);
	randombytes_buf(body, sizeof(body));
	for (unsigned i = 0; i < 2500; i++) {
		/* lengths from 0 up, with the largest allowed now and then */
		size_t len = i % 100 == 99 ? NOISE_MSG_MAX : (i * 37u) % 700;
		pass(&ci, &cr, body + i % 64, len, wire, got);
		pass(&cr, &ci, body + i % 32, (len + 11) % 700, wire, got);
	}
	/* 5000 encryptions each way: five rotations, nonce back at 0 */
	assert_int_equal(ci.send.n, 0);
	assert_int_equal(cr.send.n, 0);
	assert_memory_equal(&ci.send, &cr.recv, sizeof(ci.send));
	assert_memory_equal(&cr.send, &ci.recv, sizeof(cr.send));
	noise_cipher_wipe(&ci);
	noise_cipher_wipe(&cr);
}

static void test_tampered_length(void **state)
{
	(void)state;
	struct noise_cipher ci, cr;
	size_t len = 0;

	handshake(&ci, &cr);
	pass(&ci, &cr, (const uint8_t *)"first", 5, wire, got);
	for (size_t at = 0; at < NOISE_HDR_LEN; at += 17) {   /* the length, then its MAC */
		struct noise_cipher r;
		memcpy(&r, &cr, sizeof(r));
		assert_int_equal(noise_encrypt_msg(&ci, (const uint8_t *)"hello", 5, wire), NOISE_OK);
		wire[at] ^= 0x01;
		assert_int_equal(noise_decrypt_len(&r, wire, &len), NOISE_BAD_MAC);
		assert_true(r.dead);
		assert_true(all_zero(r.recv.k, 32) && all_zero(r.send.k, 32));
		assert_int_equal(noise_decrypt_len(&r, wire, &len), NOISE_DEAD);
		assert_int_equal(noise_encrypt_msg(&r, body, 5, wire), NOISE_DEAD);
		/* rewind the sender so the next round uses the same nonce */
		ci.send.n -= 2;
	}
	noise_cipher_wipe(&ci);
	noise_cipher_wipe(&cr);
}

static void test_tampered_body(void **state)
{
	(void)state;
	struct noise_cipher ci, cr;
	size_t len = 0;
	uint8_t out[5];

	handshake(&ci, &cr);
	assert_int_equal(noise_encrypt_msg(&ci, (const uint8_t *)"hello", 5, wire), NOISE_OK);
	wire[NOISE_HDR_LEN + 2] ^= 0x80;
	assert_int_equal(noise_decrypt_len(&cr, wire, &len), NOISE_OK);
	assert_int_equal(len, 5);
	assert_int_equal(noise_decrypt_body(&cr, wire + NOISE_HDR_LEN, len + NOISE_MAC_LEN, out),
			 NOISE_BAD_MAC);
	assert_true(cr.dead);
	assert_true(all_zero(cr.recv.k, 32));
	assert_int_equal(noise_decrypt_len(&cr, wire, &len), NOISE_DEAD);
	noise_cipher_wipe(&ci);
	noise_cipher_wipe(&cr);
}

/* BOLT #8: "The maximum size of any Lightning message MUST NOT exceed
 * 65535 bytes." One byte more is refused and changes nothing. */
static void test_too_long(void **state)
{
	(void)state;
	struct noise_cipher ci, cr, before;

	handshake(&ci, &cr);
	pass(&ci, &cr, body, 3, wire, got);
	memcpy(&before, &ci, sizeof(ci));
	assert_int_equal(noise_encrypt_msg(&ci, body, NOISE_MSG_MAX + 1, wire), NOISE_TOO_LONG);
	assert_memory_equal(&ci, &before, sizeof(ci));
	pass(&ci, &cr, body, NOISE_MSG_MAX, wire, got);
	pass(&ci, &cr, NULL, 0, wire, got);
	noise_cipher_wipe(&ci);
	noise_cipher_wipe(&cr);
}

/* ---- keys ---- */

static void test_keys(void **state)
{
	(void)state;
	uint8_t priv[32], pub[33], id[33];
	char hex[NOISE_NODE_ID_HEX_LEN + 1];

	key(priv, I_LS_PRIV);
	assert_true(noise_privkey_valid(priv));
	assert_int_equal(noise_pubkey_from_privkey(priv, pub), NOISE_OK);
	assert_hex(pub, 33, I_LS_PUB);
	key(priv, R_LS_PRIV);
	assert_int_equal(noise_pubkey_from_privkey(priv, pub), NOISE_OK);
	assert_hex(pub, 33, R_LS_PUB);

	/* zero and the curve order are not keys; the order minus one is */
	memset(priv, 0, 32);
	assert_false(noise_privkey_valid(priv));
	memset(pub, 0x55, 33);
	assert_int_equal(noise_pubkey_from_privkey(priv, pub), NOISE_BAD_PRIVKEY);
	assert_int_equal(pub[0], 0x55);
	key(priv, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
	assert_false(noise_privkey_valid(priv));
	key(priv, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140");
	assert_true(noise_privkey_valid(priv));

	assert_int_equal(noise_node_id_parse(R_LS_PUB, id), NOISE_OK);
	noise_node_id_format(id, hex);
	assert_string_equal(hex, R_LS_PUB);
	assert_int_equal(noise_node_id_parse(
		"028D7500DD4C12685D1F568B4C2B5048E8534B873319F3A8DAA612B469132EC7F7", id), NOISE_OK);
	assert_hex(id, 33, R_LS_PUB);

	memset(id, 0x55, 33);
	assert_int_equal(noise_node_id_parse("", id), NOISE_BAD_HEX);
	assert_int_equal(noise_node_id_parse(R_LS_PUB "00", id), NOISE_BAD_HEX);
	assert_int_equal(noise_node_id_parse(
		"028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f", id),
		NOISE_BAD_HEX);
	assert_int_equal(noise_node_id_parse(
		"028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7fg", id),
		NOISE_BAD_HEX);
	assert_int_equal(noise_node_id_parse(
		"048d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7", id),
		NOISE_BAD_PUBKEY);
	assert_int_equal(noise_node_id_parse(
		"02ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", id),
		NOISE_BAD_PUBKEY);
	assert_int_equal(id[0], 0x55);
}

/* An invalid ephemeral key is refused without touching the handshake;
 * a valid one then goes through as if nothing happened. */
static void test_bad_ephemeral(void **state)
{
	(void)state;
	struct noise_handshake hs, before;
	uint8_t ls[32], rs[33], e[32], act1[NOISE_ACT_ONE_LEN];

	key(ls, I_LS_PRIV);
	unhex(rs, 33, R_LS_PUB);
	assert_int_equal(noise_hs_init_initiator(&hs, ls, rs), NOISE_OK);
	memcpy(&before, &hs, sizeof(hs));
	memset(e, 0, 32);
	assert_int_equal(noise_act1_make(&hs, e, act1), NOISE_BAD_PRIVKEY);
	assert_memory_equal(&hs, &before, sizeof(hs));
	key(e, I_E_PRIV);
	assert_int_equal(noise_act1_make(&hs, e, act1), NOISE_OK);
	assert_hex(act1, sizeof(act1), ACT1);
	noise_hs_wipe(&hs);
}

static void test_bad_init(void **state)
{
	(void)state;
	struct noise_handshake hs;
	uint8_t ls[32], rs[33];

	key(ls, I_LS_PRIV);
	unhex(rs, 33, R_LS_PUB);
	rs[0] = 0x04;
	assert_int_equal(noise_hs_init_initiator(&hs, ls, rs), NOISE_BAD_PUBKEY);
	assert_failed(&hs);
	memset(ls, 0, 32);
	assert_int_equal(noise_hs_init_responder(&hs, ls), NOISE_BAD_PRIVKEY);
	assert_failed(&hs);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(noise_status_name(NOISE_BAD_MAC), "MAC check failed");
	assert_string_equal(noise_status_name(NOISE_BAD_VERSION), "bad handshake version");
	assert_string_equal(noise_hs_state_name(NOISE_HS_WAIT_ACT3), "responder awaiting act three");
}

/* A node signs with its key; anyone checks against its node id; another
 * key, another digest or a flipped bit is refused. */
static void test_signatures(void **state)
{
	(void)state;
	uint8_t priv[32], other[32], pub[33], opub[33], digest[32], sig[64], sig2[64];
	unhex(priv, 32, I_LS_PRIV);
	unhex(other, 32, R_LS_PRIV);
	assert_int_equal(noise_pubkey_from_privkey(priv, pub), NOISE_OK);
	assert_int_equal(noise_pubkey_from_privkey(other, opub), NOISE_OK);
	memset(digest, 0x42, sizeof(digest));
	assert_true(noise_sign(priv, digest, sig));
	assert_true(noise_sign(priv, digest, sig2));
	assert_memory_equal(sig, sig2, 64);                 /* RFC 6979: deterministic */
	assert_true(noise_verify(pub, digest, sig));
	assert_false(noise_verify(opub, digest, sig));
	digest[0] ^= 1;
	assert_false(noise_verify(pub, digest, sig));
	digest[0] ^= 1;
	sig[10] ^= 1;
	assert_false(noise_verify(pub, digest, sig));
	uint8_t zero[32] = { 0 };
	assert_false(noise_sign(zero, digest, sig));       /* not a key */
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initiator_success),
		cmocka_unit_test(test_initiator_act2_bad_version),
		cmocka_unit_test(test_initiator_act2_bad_key),
		cmocka_unit_test(test_initiator_act2_bad_mac),
		cmocka_unit_test(test_responder_success),
		cmocka_unit_test(test_responder_act1_bad_version),
		cmocka_unit_test(test_responder_act1_bad_key),
		cmocka_unit_test(test_responder_act1_bad_mac),
		cmocka_unit_test(test_responder_act3_bad_version),
		cmocka_unit_test(test_responder_act3_bad_ciphertext),
		cmocka_unit_test(test_responder_act3_bad_rs),
		cmocka_unit_test(test_responder_act3_bad_mac),
		cmocka_unit_test(test_message_vectors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tampered_length),
		cmocka_unit_test(test_tampered_body),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_bad_ephemeral),
		cmocka_unit_test(test_bad_init),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_signatures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* BOLT #8 transport (see noise.h). The curve comes from libsecp256k1;
 * SHA-256, HMAC-SHA256 and ChaCha20-Poly1305 (IETF) from libsodium. The
 * quoted steps are BOLT #8's own, in its order. */
#include "noise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <sodium.h>

#define ACT_VERSION 0

/* BOLT #8 "Handshake State Initialization" */
static const char PROTOCOL_NAME[] = "Noise_XK_secp256k1_ChaChaPoly_SHA256";
static const char PROLOGUE[] = "lightning";

/* A bug of ours: a step called out of order. */
static void noise_bug(const char *what, enum noise_hs_state st)
{
	fprintf(stderr, "BUG: noise: %s called in state %s\n", what, noise_hs_state_name(st));
	abort();
}

/* One curve context for the process, made on first use (the daemons are
 * single-threaded). Since libsecp256k1 0.2 a context needs no precomputed
 * tables, so this is cheap; it is never freed. */
static secp256k1_context *curve(void)
{
	static secp256k1_context *ctx;

	if (!ctx) {
		if (sodium_init() < 0) {
			fprintf(stderr, "BUG: noise: sodium_init failed\n");
			abort();
		}
		ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
		if (!ctx) {
			fprintf(stderr, "BUG: noise: cannot create a secp256k1 context\n");
			abort();
		}
	}
	return ctx;
}

const char *noise_status_name(enum noise_status s)
{
	switch (s) {
	case NOISE_OK: return "ok";
	case NOISE_BAD_VERSION: return "bad handshake version";
	case NOISE_BAD_PUBKEY: return "invalid public key";
	case NOISE_BAD_MAC: return "MAC check failed";
	case NOISE_BAD_PRIVKEY: return "invalid private key";
	case NOISE_BAD_HEX: return "node id is not 66 hex digits";
	case NOISE_TOO_LONG: return "message longer than 65535 bytes";
	case NOISE_DEAD: return "connection already failed";
	}
	return "?";
}

const char *noise_hs_state_name(enum noise_hs_state s)
{
	switch (s) {
	case NOISE_HS_INIT_ACT1: return "initiator before act one";
	case NOISE_HS_WAIT_ACT2: return "initiator awaiting act two";
	case NOISE_HS_SEND_ACT3: return "initiator before act three";
	case NOISE_HS_WAIT_ACT1: return "responder awaiting act one";
	case NOISE_HS_SEND_ACT2: return "responder before act two";
	case NOISE_HS_WAIT_ACT3: return "responder awaiting act three";
	case NOISE_HS_DONE: return "done";
	case NOISE_HS_FAILED: return "failed";
	}
	return "?";
}

/* ---- primitives ---- */

/* h = SHA-256(h || data) */
static void mix_hash(uint8_t h[NOISE_KEY_LEN], const uint8_t *data, size_t len)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, h, NOISE_KEY_LEN);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, h);
	sodium_memzero(&st, sizeof(st));
}

static void hmac(uint8_t out[NOISE_KEY_LEN], const uint8_t key[NOISE_KEY_LEN],
		 const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, NOISE_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, a, alen);
	crypto_auth_hmacsha256_update(&st, b, blen);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* BOLT #8: "HKDF(salt,ikm): a function defined in RFC 5869, evaluated with
 * a zero-length info field", returning 64 bytes, here as two 32-byte halves:
 * prk = HMAC(salt, ikm); out1 = HMAC(prk, 0x01); out2 = HMAC(prk, out1 || 0x02).
 * out1 may be salt itself (ck, k = HKDF(ck, ...)). */
static void hkdf2(uint8_t out1[NOISE_KEY_LEN], uint8_t out2[NOISE_KEY_LEN],
		  const uint8_t salt[NOISE_KEY_LEN], const uint8_t *ikm, size_t ikm_len)
{
	static const uint8_t one = 1, two = 2;
	uint8_t prk[NOISE_KEY_LEN], t1[NOISE_KEY_LEN];

	hmac(prk, salt, ikm, ikm_len, NULL, 0);
	hmac(t1, prk, &one, 1, NULL, 0);
	hmac(out2, prk, t1, sizeof(t1), &two, 1);
	memcpy(out1, t1, NOISE_KEY_LEN);
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t1, sizeof(t1));
}

/* BOLT #8: "nonce n encoded as 32 zero bits, followed by a little-endian
 * 64-bit value". */
static void nonce_bytes(uint8_t npub[crypto_aead_chacha20poly1305_IETF_NPUBBYTES], uint64_t n)
{
	memset(npub, 0, 4);
	for (int i = 0; i < 8; i++)
		npub[4 + i] = (uint8_t)(n >> (8 * i));
}

/* encryptWithAD(k, n, ad, plaintext): out gets len + 16 bytes. */
static void encrypt_ad(const uint8_t k[NOISE_KEY_LEN], uint64_t n,
		       const uint8_t *ad, size_t ad_len,
		       const uint8_t *plain, size_t len, uint8_t *out)
{
	uint8_t npub[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];

	nonce_bytes(npub, n);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, plain, len, ad, ad_len,
						  NULL, npub, k);
}

/* decryptWithAD(k, n, ad, ciphertext): false when the MAC fails. */
static bool decrypt_ad(const uint8_t k[NOISE_KEY_LEN], uint64_t n,
		       const uint8_t *ad, size_t ad_len,
		       const uint8_t *cipher, size_t len, uint8_t *out)
{
	uint8_t npub[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];

	nonce_bytes(npub, n);
	return crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, cipher, len,
							 ad, ad_len, npub, k) == 0;
}

/* BOLT #8: "ECDH(rk, k) ... The returned value is the SHA256 of the
 * DER-compressed format of the generated point." Written out rather than
 * relying on libsecp256k1's default hash (which happens to be the same). */
static int ecdh_hash_compressed(unsigned char *out, const unsigned char *x32,
				const unsigned char *y32, void *data)
{
	uint8_t point[NOISE_PUBKEY_LEN];

	(void)data;
	point[0] = (uint8_t)(0x02 | (y32[31] & 1));
	memcpy(point + 1, x32, 32);
	crypto_hash_sha256(out, point, sizeof(point));
	sodium_memzero(point, sizeof(point));
	return 1;
}

static bool parse_pubkey(secp256k1_pubkey *pk, const uint8_t pub[NOISE_PUBKEY_LEN])
{
	return secp256k1_ec_pubkey_parse(curve(), pk, pub, NOISE_PUBKEY_LEN) == 1;
}

/* ss = ECDH(pub, priv); false if pub is not a point or priv not a key. */
static bool ecdh(uint8_t ss[NOISE_KEY_LEN], const uint8_t pub[NOISE_PUBKEY_LEN],
		 const uint8_t priv[NOISE_PRIVKEY_LEN])
{
	secp256k1_pubkey pk;

	if (!parse_pubkey(&pk, pub))
		return false;
	return secp256k1_ecdh(curve(), ss, &pk, priv, ecdh_hash_compressed, NULL) == 1;
}

/* ---- keys ---- */

bool noise_privkey_valid(const uint8_t priv[NOISE_PRIVKEY_LEN])
{
	return secp256k1_ec_seckey_verify(curve(), priv) == 1;
}

enum noise_status noise_pubkey_from_privkey(const uint8_t priv[NOISE_PRIVKEY_LEN],
					    uint8_t pub[NOISE_PUBKEY_LEN])
{
	secp256k1_pubkey pk;
	size_t len = NOISE_PUBKEY_LEN;

	if (!noise_privkey_valid(priv) || !secp256k1_ec_pubkey_create(curve(), &pk, priv))
		return NOISE_BAD_PRIVKEY;
	if (!secp256k1_ec_pubkey_serialize(curve(), pub, &len, &pk, SECP256K1_EC_COMPRESSED) ||
	    len != NOISE_PUBKEY_LEN) {
		fprintf(stderr, "BUG: noise: cannot serialize a public key\n");
		abort();
	}
	return NOISE_OK;
}

bool noise_pubkey_valid(const uint8_t pub[NOISE_PUBKEY_LEN])
{
	secp256k1_pubkey pk;

	return (pub[0] == 0x02 || pub[0] == 0x03) && parse_pubkey(&pk, pub);
}

enum noise_status noise_node_id_parse(const char *hex, uint8_t id[NOISE_PUBKEY_LEN])
{
	uint8_t tmp[NOISE_PUBKEY_LEN];
	size_t n = 0;

	if (strlen(hex) != NOISE_NODE_ID_HEX_LEN ||
	    sodium_hex2bin(tmp, sizeof(tmp), hex, NOISE_NODE_ID_HEX_LEN, NULL, &n, NULL) != 0 ||
	    n != NOISE_PUBKEY_LEN)
		return NOISE_BAD_HEX;
	if (!noise_pubkey_valid(tmp))
		return NOISE_BAD_PUBKEY;
	memcpy(id, tmp, NOISE_PUBKEY_LEN);
	return NOISE_OK;
}

void noise_node_id_format(const uint8_t id[NOISE_PUBKEY_LEN],
			  char hex[NOISE_NODE_ID_HEX_LEN + 1])
{
	sodium_bin2hex(hex, NOISE_NODE_ID_HEX_LEN + 1, id, NOISE_PUBKEY_LEN);
}

bool noise_sign(const uint8_t priv[NOISE_PRIVKEY_LEN], const uint8_t digest[32], uint8_t sig[64])
{
	secp256k1_ecdsa_signature es;
	if (!secp256k1_ecdsa_sign(curve(), &es, digest, priv, NULL, NULL))
		return false;
	return secp256k1_ecdsa_signature_serialize_compact(curve(), sig, &es) == 1;
}

bool noise_verify(const uint8_t pub[NOISE_PUBKEY_LEN], const uint8_t digest[32],
		  const uint8_t sig[64])
{
	secp256k1_pubkey pk;
	secp256k1_ecdsa_signature es;
	if (!secp256k1_ec_pubkey_parse(curve(), &pk, pub, NOISE_PUBKEY_LEN) ||
	    !secp256k1_ecdsa_signature_parse_compact(curve(), &es, sig))
		return false;
	secp256k1_ecdsa_signature_normalize(curve(), &es, &es);
	return secp256k1_ecdsa_verify(curve(), &es, digest, &pk) == 1;
}

void noise_blind(const uint8_t seed[32])
{
	if (!secp256k1_context_randomize(curve(), seed)) {
		fprintf(stderr, "BUG: noise: secp256k1_context_randomize failed\n");
		abort();
	}
}

/* ---- handshake ---- */

void noise_hs_wipe(struct noise_handshake *hs)
{
	sodium_memzero(hs, sizeof(*hs));
	hs->state = NOISE_HS_DONE;
}

/* A peer's bytes failed a check: nothing of the state stays usable. */
static enum noise_status hs_fail(struct noise_handshake *hs, enum noise_status why)
{
	sodium_memzero(hs, sizeof(*hs));
	hs->state = NOISE_HS_FAILED;
	return why;
}

/* Checks that hs is in state want. A failed handshake answers NOISE_DEAD;
 * any other wrong state is a bug of the caller. */
static bool hs_expect(const struct noise_handshake *hs, enum noise_hs_state want,
		      const char *step)
{
	if (hs->state == want)
		return true;
	if (hs->state != NOISE_HS_FAILED)
		noise_bug(step, hs->state);
	return false;
}

/* BOLT #8: h = SHA-256(protocolName); ck = h; h = SHA-256(h || prologue);
 * h = SHA-256(h || responder's static public key). */
static void hs_start(struct noise_handshake *hs, const uint8_t responder_pub[NOISE_PUBKEY_LEN])
{
	crypto_hash_sha256(hs->h, (const uint8_t *)PROTOCOL_NAME, strlen(PROTOCOL_NAME));
	memcpy(hs->ck, hs->h, NOISE_KEY_LEN);
	mix_hash(hs->h, (const uint8_t *)PROLOGUE, strlen(PROLOGUE));
	mix_hash(hs->h, responder_pub, NOISE_PUBKEY_LEN);
}

enum noise_status noise_hs_init_initiator(struct noise_handshake *hs,
					  const uint8_t ls_priv[NOISE_PRIVKEY_LEN],
					  const uint8_t rs_pub[NOISE_PUBKEY_LEN])
{
	sodium_memzero(hs, sizeof(*hs));
	if (noise_pubkey_from_privkey(ls_priv, hs->ls_pub) != NOISE_OK)
		return hs_fail(hs, NOISE_BAD_PRIVKEY);
	if (!noise_pubkey_valid(rs_pub))
		return hs_fail(hs, NOISE_BAD_PUBKEY);
	memcpy(hs->ls_priv, ls_priv, NOISE_PRIVKEY_LEN);
	memcpy(hs->rs_pub, rs_pub, NOISE_PUBKEY_LEN);
	hs_start(hs, rs_pub);
	hs->state = NOISE_HS_INIT_ACT1;
	return NOISE_OK;
}

enum noise_status noise_hs_init_responder(struct noise_handshake *hs,
					  const uint8_t ls_priv[NOISE_PRIVKEY_LEN])
{
	sodium_memzero(hs, sizeof(*hs));
	if (noise_pubkey_from_privkey(ls_priv, hs->ls_pub) != NOISE_OK)
		return hs_fail(hs, NOISE_BAD_PRIVKEY);
	memcpy(hs->ls_priv, ls_priv, NOISE_PRIVKEY_LEN);
	hs_start(hs, hs->ls_pub);
	hs->state = NOISE_HS_WAIT_ACT1;
	return NOISE_OK;
}

/* Acts one and two have one shape: version || e.pub || MAC, sent as
 *   e = generateKey(); h = SHA-256(h || e.pub);
 *   ss = ECDH(remote key, e.priv); ck, temp_k = HKDF(ck, ss);
 *   c = encryptWithAD(temp_k, 0, h, zero); h = SHA-256(h || c);
 *   send 0 || e.pub || c
 * where the remote key is rs in act one and re in act two. */
static enum noise_status act_e_make(struct noise_handshake *hs,
				    const uint8_t e_priv[NOISE_PRIVKEY_LEN],
				    const uint8_t remote_pub[NOISE_PUBKEY_LEN],
				    uint8_t out[NOISE_ACT_ONE_LEN])
{
	uint8_t e_pub[NOISE_PUBKEY_LEN], ss[NOISE_KEY_LEN];
	uint8_t *mac = out + 1 + NOISE_PUBKEY_LEN;

	if (noise_pubkey_from_privkey(e_priv, e_pub) != NOISE_OK)
		return NOISE_BAD_PRIVKEY;
	if (!ecdh(ss, remote_pub, e_priv)) {
		/* remote_pub was checked when it came in: this cannot be */
		fprintf(stderr, "BUG: noise: ECDH with a checked key failed\n");
		abort();
	}
	memcpy(hs->e_priv, e_priv, NOISE_PRIVKEY_LEN);
	mix_hash(hs->h, e_pub, NOISE_PUBKEY_LEN);
	hkdf2(hs->ck, hs->temp_k, hs->ck, ss, sizeof(ss));
	sodium_memzero(ss, sizeof(ss));
	encrypt_ad(hs->temp_k, 0, hs->h, NOISE_KEY_LEN, NULL, 0, mac);
	mix_hash(hs->h, mac, NOISE_MAC_LEN);
	out[0] = ACT_VERSION;
	memcpy(out + 1, e_pub, NOISE_PUBKEY_LEN);
	return NOISE_OK;
}

/* ... and received as
 *   v, re, c = m; refuse an unknown v; h = SHA-256(h || re);
 *   ss = ECDH(re, local key); ck, temp_k = HKDF(ck, ss);
 *   decryptWithAD(temp_k, 0, h, c) or drop; h = SHA-256(h || c)
 * where the local key is s in act one and e in act two. */
static enum noise_status act_e_read(struct noise_handshake *hs,
				    const uint8_t local_priv[NOISE_PRIVKEY_LEN],
				    const uint8_t in[NOISE_ACT_ONE_LEN])
{
	uint8_t ss[NOISE_KEY_LEN];
	const uint8_t *re = in + 1, *mac = in + 1 + NOISE_PUBKEY_LEN;

	if (in[0] != ACT_VERSION)
		return hs_fail(hs, NOISE_BAD_VERSION);
	if (!noise_pubkey_valid(re) || !ecdh(ss, re, local_priv))
		return hs_fail(hs, NOISE_BAD_PUBKEY);
	memcpy(hs->re_pub, re, NOISE_PUBKEY_LEN);
	mix_hash(hs->h, re, NOISE_PUBKEY_LEN);
	hkdf2(hs->ck, hs->temp_k, hs->ck, ss, sizeof(ss));
	sodium_memzero(ss, sizeof(ss));
	if (!decrypt_ad(hs->temp_k, 0, hs->h, NOISE_KEY_LEN, mac, NOISE_MAC_LEN, NULL))
		return hs_fail(hs, NOISE_BAD_MAC);
	mix_hash(hs->h, mac, NOISE_MAC_LEN);
	return NOISE_OK;
}

enum noise_status noise_act1_make(struct noise_handshake *hs,
				  const uint8_t e_priv[NOISE_PRIVKEY_LEN],
				  uint8_t out[NOISE_ACT_ONE_LEN])
{
	enum noise_status st;

	if (!hs_expect(hs, NOISE_HS_INIT_ACT1, "act1_make"))
		return NOISE_DEAD;
	st = act_e_make(hs, e_priv, hs->rs_pub, out);
	if (st == NOISE_OK)
		hs->state = NOISE_HS_WAIT_ACT2;
	return st;
}

enum noise_status noise_act1_read(struct noise_handshake *hs,
				  const uint8_t in[NOISE_ACT_ONE_LEN])
{
	enum noise_status st;

	if (!hs_expect(hs, NOISE_HS_WAIT_ACT1, "act1_read"))
		return NOISE_DEAD;
	st = act_e_read(hs, hs->ls_priv, in);
	if (st == NOISE_OK)
		hs->state = NOISE_HS_SEND_ACT2;
	return st;
}

enum noise_status noise_act2_make(struct noise_handshake *hs,
				  const uint8_t e_priv[NOISE_PRIVKEY_LEN],
				  uint8_t out[NOISE_ACT_TWO_LEN])
{
	enum noise_status st;

	if (!hs_expect(hs, NOISE_HS_SEND_ACT2, "act2_make"))
		return NOISE_DEAD;
	st = act_e_make(hs, e_priv, hs->re_pub, out);
	if (st == NOISE_OK)
		hs->state = NOISE_HS_WAIT_ACT3;
	return st;
}

enum noise_status noise_act2_read(struct noise_handshake *hs,
				  const uint8_t in[NOISE_ACT_TWO_LEN])
{
	enum noise_status st;

	if (!hs_expect(hs, NOISE_HS_WAIT_ACT2, "act2_read"))
		return NOISE_DEAD;
	st = act_e_read(hs, hs->e_priv, in);
	if (st == NOISE_OK)
		hs->state = NOISE_HS_SEND_ACT3;
	return st;
}

/* The end of act three on either side: k1, k2 = HKDF(ck, zero), both
 * directions' rotation chaining keys start at ck, nonces at 0. The
 * initiator sends with k1 ("sk, rk = HKDF(ck, zero)"), the responder
 * receives with it ("rk, sk = HKDF(ck, zero)"). */
static void hs_split(struct noise_handshake *hs, struct noise_cipher *c, bool initiator)
{
	uint8_t k1[NOISE_KEY_LEN], k2[NOISE_KEY_LEN];

	memset(c, 0, sizeof(*c));
	hkdf2(k1, k2, hs->ck, NULL, 0);
	memcpy(initiator ? c->send.k : c->recv.k, k1, NOISE_KEY_LEN);
	memcpy(initiator ? c->recv.k : c->send.k, k2, NOISE_KEY_LEN);
	memcpy(c->send.ck, hs->ck, NOISE_KEY_LEN);
	memcpy(c->recv.ck, hs->ck, NOISE_KEY_LEN);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	noise_hs_wipe(hs);
}

/* BOLT #8 act three, sender:
 *   c = encryptWithAD(temp_k2, 1, h, s.pub); h = SHA-256(h || c);
 *   ss = ECDH(re, s.priv); ck, temp_k3 = HKDF(ck, ss);
 *   t = encryptWithAD(temp_k3, 0, h, zero); sk, rk = HKDF(ck, zero);
 *   send 0 || c || t */
enum noise_status noise_act3_make(struct noise_handshake *hs,
				  uint8_t out[NOISE_ACT_THREE_LEN],
				  struct noise_cipher *c)
{
	uint8_t ss[NOISE_KEY_LEN];
	uint8_t *enc_s = out + 1, *t = out + 1 + NOISE_PUBKEY_LEN + NOISE_MAC_LEN;

	if (!hs_expect(hs, NOISE_HS_SEND_ACT3, "act3_make"))
		return NOISE_DEAD;
	out[0] = ACT_VERSION;
	encrypt_ad(hs->temp_k, 1, hs->h, NOISE_KEY_LEN, hs->ls_pub, NOISE_PUBKEY_LEN, enc_s);
	mix_hash(hs->h, enc_s, NOISE_PUBKEY_LEN + NOISE_MAC_LEN);
	if (!ecdh(ss, hs->re_pub, hs->ls_priv)) {
		fprintf(stderr, "BUG: noise: ECDH with a checked key failed\n");
		abort();
	}
	hkdf2(hs->ck, hs->temp_k, hs->ck, ss, sizeof(ss));
	sodium_memzero(ss, sizeof(ss));
	encrypt_ad(hs->temp_k, 0, hs->h, NOISE_KEY_LEN, NULL, 0, t);
	hs_split(hs, c, true);
	return NOISE_OK;
}

/* BOLT #8 act three, receiver:
 *   v, c, t = m; refuse an unknown v; rs = decryptWithAD(temp_k2, 1, h, c);
 *   h = SHA-256(h || c); ss = ECDH(rs, e.priv); ck, temp_k3 = HKDF(ck, ss);
 *   decryptWithAD(temp_k3, 0, h, t) or drop; rk, sk = HKDF(ck, zero) */
enum noise_status noise_act3_read(struct noise_handshake *hs,
				  const uint8_t in[NOISE_ACT_THREE_LEN],
				  struct noise_cipher *c,
				  uint8_t rs_pub[NOISE_PUBKEY_LEN])
{
	uint8_t ss[NOISE_KEY_LEN], rs[NOISE_PUBKEY_LEN];
	const uint8_t *enc_s = in + 1, *t = in + 1 + NOISE_PUBKEY_LEN + NOISE_MAC_LEN;

	if (!hs_expect(hs, NOISE_HS_WAIT_ACT3, "act3_read"))
		return NOISE_DEAD;
	if (in[0] != ACT_VERSION)
		return hs_fail(hs, NOISE_BAD_VERSION);
	if (!decrypt_ad(hs->temp_k, 1, hs->h, NOISE_KEY_LEN, enc_s,
			NOISE_PUBKEY_LEN + NOISE_MAC_LEN, rs))
		return hs_fail(hs, NOISE_BAD_MAC);
	if (!noise_pubkey_valid(rs) || !ecdh(ss, rs, hs->e_priv))
		return hs_fail(hs, NOISE_BAD_PUBKEY);
	mix_hash(hs->h, enc_s, NOISE_PUBKEY_LEN + NOISE_MAC_LEN);
	hkdf2(hs->ck, hs->temp_k, hs->ck, ss, sizeof(ss));
	sodium_memzero(ss, sizeof(ss));
	if (!decrypt_ad(hs->temp_k, 0, hs->h, NOISE_KEY_LEN, t, NOISE_MAC_LEN, NULL))
		return hs_fail(hs, NOISE_BAD_MAC);
	memcpy(hs->rs_pub, rs, NOISE_PUBKEY_LEN);
	memcpy(rs_pub, rs, NOISE_PUBKEY_LEN);
	hs_split(hs, c, false);
	return NOISE_OK;
}

/* ---- messages ---- */

void noise_cipher_wipe(struct noise_cipher *c)
{
	sodium_memzero(c, sizeof(*c));
}

static enum noise_status cipher_fail(struct noise_cipher *c)
{
	noise_cipher_wipe(c);
	c->dead = true;
	return NOISE_BAD_MAC;
}

/* After each use of a key: n += 1, and BOLT #8 "Lightning Message Key
 * Rotation" once it reaches 1000: ck', k' = HKDF(ck, k); n = 0. */
static void key_used(struct noise_key *key)
{
	uint8_t k2[NOISE_KEY_LEN];

	if (++key->n < NOISE_ROTATE_AFTER)
		return;
	hkdf2(key->ck, k2, key->ck, key->k, NOISE_KEY_LEN);
	memcpy(key->k, k2, NOISE_KEY_LEN);
	sodium_memzero(k2, sizeof(k2));
	key->n = 0;
}

/* BOLT #8 "Encrypting and Sending Messages": lc = encrypt(sk, sn, l) with
 * l the 2-byte big-endian length, then c = encrypt(sk, sn + 1, m); both
 * with an empty AD. */
enum noise_status noise_encrypt_msg(struct noise_cipher *c, const uint8_t *body, size_t len,
				    uint8_t *out)
{
	uint8_t l[2];

	if (c->dead)
		return NOISE_DEAD;
	if (len > NOISE_MSG_MAX)
		return NOISE_TOO_LONG;
	l[0] = (uint8_t)(len >> 8);
	l[1] = (uint8_t)len;
	encrypt_ad(c->send.k, c->send.n, NULL, 0, l, sizeof(l), out);
	key_used(&c->send);
	encrypt_ad(c->send.k, c->send.n, NULL, 0, body, len, out + NOISE_HDR_LEN);
	key_used(&c->send);
	return NOISE_OK;
}

enum noise_status noise_decrypt_len(struct noise_cipher *c, const uint8_t hdr[NOISE_HDR_LEN],
				    size_t *len)
{
	uint8_t l[2];

	if (c->dead)
		return NOISE_DEAD;
	if (c->body_pending) {
		fprintf(stderr, "BUG: noise: decrypt_len called before the body of %u bytes\n",
			(unsigned)c->body_len);
		abort();
	}
	if (!decrypt_ad(c->recv.k, c->recv.n, NULL, 0, hdr, NOISE_HDR_LEN, l))
		return cipher_fail(c);
	key_used(&c->recv);
	c->body_len = (uint16_t)((l[0] << 8) | l[1]);
	c->body_pending = true;
	*len = c->body_len;
	return NOISE_OK;
}

enum noise_status noise_decrypt_body(struct noise_cipher *c, const uint8_t *in, size_t in_len,
				     uint8_t *out)
{
	if (c->dead)
		return NOISE_DEAD;
	if (!c->body_pending) {
		fprintf(stderr, "BUG: noise: decrypt_body called before decrypt_len\n");
		abort();
	}
	if (in_len != (size_t)c->body_len + NOISE_MAC_LEN) {
		fprintf(stderr, "BUG: noise: decrypt_body of %zu bytes, the length said %u\n",
			in_len, (unsigned)c->body_len + NOISE_MAC_LEN);
		abort();
	}
	if (!decrypt_ad(c->recv.k, c->recv.n, NULL, 0, in, in_len, out))
		return cipher_fail(c);
	key_used(&c->recv);
	c->body_pending = false;
	return NOISE_OK;
}

/* BOLT #8 transport: Noise_XK_secp256k1_ChaChaPoly_SHA256.
 *
 * A pure module: it turns bytes into bytes and never touches a socket, a
 * file or a clock. The caller reads exactly the number of bytes an act or a
 * message part needs, hands them in, and writes what comes out. Ephemeral
 * private keys are passed in by the caller (32 bytes of strong randomness in
 * a daemon, fixed bytes in the BOLT #8 test vectors).
 *
 * Handshake (BOLT #8 "Handshake Exchange"):
 *
 *     initiator                          responder
 *     noise_hs_init_initiator            noise_hs_init_responder
 *     noise_act1_make  -- 50 bytes -->   noise_act1_read
 *     noise_act2_read  <-- 50 bytes --   noise_act2_make
 *     noise_act3_make  -- 66 bytes -->   noise_act3_read (yields the
 *                                        initiator's static public key)
 *
 * act3_make and act3_read fill a struct noise_cipher and wipe the handshake.
 *
 * Messages (BOLT #8 "Lightning Message Specification"): each is an
 * encrypted 2-byte big-endian length with its MAC (18 bytes), then the
 * encrypted body with its MAC (len + 16 bytes). Each direction's key is
 * rotated after 1000 encryptions with it, i.e. every 500 messages.
 *
 * Failures. A failure caused by the peer's bytes (bad version, a public key
 * that is not on the curve, a MAC that does not verify) wipes the state and
 * leaves it failed: every later call returns NOISE_DEAD and the connection is
 * to be dropped. A local mistake the caller can correct (an invalid
 * private key, a message over NOISE_MSG_MAX) returns an error and changes
 * nothing. Calling a step out of order is a bug of ours and aborts.
 *
 * Ownership: every struct here is plain memory owned by the caller (on the
 * stack or inside a connection); nothing is allocated on the heap. Call
 * noise_hs_wipe / noise_cipher_wipe when done with one. */
#ifndef AMPSIM_NOISE_H
#define AMPSIM_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOISE_PRIVKEY_LEN 32
#define NOISE_PUBKEY_LEN 33            /* compressed: the node id */
#define NOISE_NODE_ID_HEX_LEN 66       /* without the terminating NUL */
#define NOISE_KEY_LEN 32
#define NOISE_MAC_LEN 16
#define NOISE_ACT_ONE_LEN 50           /* version, e.pub, MAC */
#define NOISE_ACT_TWO_LEN 50           /* version, e.pub, MAC */
#define NOISE_ACT_THREE_LEN 66         /* version, encrypted s.pub + MAC, MAC */
#define NOISE_HDR_LEN 18               /* encrypted 2-byte length + MAC */
#define NOISE_MSG_MAX 65535            /* BOLT #8: a message MUST NOT exceed 65535 bytes */
/* Bytes on the wire for a message body of len bytes. */
#define NOISE_WIRE_LEN(len) (NOISE_HDR_LEN + (size_t)(len) + NOISE_MAC_LEN)
/* BOLT #8 "Lightning Message Key Rotation": a key is rotated once its
 * nonce reaches this value. */
#define NOISE_ROTATE_AFTER 1000

enum noise_status {
	NOISE_OK,
	NOISE_BAD_VERSION,     /* the act's first byte is not 0 */
	NOISE_BAD_PUBKEY,      /* bytes that are not a compressed secp256k1 point */
	NOISE_BAD_MAC,         /* a MAC did not verify */
	NOISE_BAD_PRIVKEY,     /* zero or not below the curve order */
	NOISE_BAD_HEX,         /* a node id that is not 66 hex digits */
	NOISE_TOO_LONG,        /* a message body over NOISE_MSG_MAX */
	NOISE_DEAD,            /* an earlier failure ended this state */
};

/* A short English phrase for logs: "bad handshake version", ... */
const char *noise_status_name(enum noise_status s);

enum noise_hs_state {
	NOISE_HS_INIT_ACT1,      /* initiator: next act1_make */
	NOISE_HS_WAIT_ACT2,      /* initiator: next act2_read */
	NOISE_HS_SEND_ACT3,      /* initiator: next act3_make */
	NOISE_HS_WAIT_ACT1,      /* responder: next act1_read */
	NOISE_HS_SEND_ACT2,      /* responder: next act2_make */
	NOISE_HS_WAIT_ACT3,      /* responder: next act3_read */
	NOISE_HS_DONE,           /* the cipher was handed out; all wiped */
	NOISE_HS_FAILED,         /* a peer's bytes failed a check; all wiped */
};

const char *noise_hs_state_name(enum noise_hs_state s);

/* BOLT #8 "Handshake State". Fields are exposed so that the struct can live
 * on the stack and tests can compare ck and h; only this module writes them. */
struct noise_handshake {
	enum noise_hs_state state;
	uint8_t ck[NOISE_KEY_LEN];              /* chaining key */
	uint8_t h[NOISE_KEY_LEN];               /* handshake hash */
	uint8_t temp_k[NOISE_KEY_LEN];          /* temp_k1, temp_k2, temp_k3 in turn */
	uint8_t ls_priv[NOISE_PRIVKEY_LEN];     /* our static key */
	uint8_t ls_pub[NOISE_PUBKEY_LEN];
	uint8_t e_priv[NOISE_PRIVKEY_LEN];      /* our ephemeral key */
	uint8_t rs_pub[NOISE_PUBKEY_LEN];       /* their static key (initiator knows it first) */
	uint8_t re_pub[NOISE_PUBKEY_LEN];       /* their ephemeral key */
};

/* One direction's key: k, its own chaining key for rotation, and the nonce. */
struct noise_key {
	uint8_t k[NOISE_KEY_LEN];
	uint8_t ck[NOISE_KEY_LEN];
	uint64_t n;
};

struct noise_cipher {
	struct noise_key send;        /* sk, sn */
	struct noise_key recv;        /* rk, rn */
	bool body_pending;            /* a length was decrypted; its body comes next */
	uint16_t body_len;
	bool dead;                    /* a MAC failed: all wiped */
};

/* Keys. */
bool noise_privkey_valid(const uint8_t priv[NOISE_PRIVKEY_LEN]);
/* The compressed public key of priv, which is the node id. NOISE_BAD_PRIVKEY
 * (pub untouched) when priv is not a valid key. */
enum noise_status noise_pubkey_from_privkey(const uint8_t priv[NOISE_PRIVKEY_LEN],
					    uint8_t pub[NOISE_PUBKEY_LEN]);
/* true iff pub is a compressed point on the curve (prefix 02 or 03). */
bool noise_pubkey_valid(const uint8_t pub[NOISE_PUBKEY_LEN]);
/* Exactly 66 hex digits (either case) naming a valid compressed point.
 * NOISE_BAD_HEX or NOISE_BAD_PUBKEY, id untouched, otherwise. */
enum noise_status noise_node_id_parse(const char *hex, uint8_t id[NOISE_PUBKEY_LEN]);
/* 66 lowercase hex digits and a NUL. */
void noise_node_id_format(const uint8_t id[NOISE_PUBKEY_LEN],
			  char hex[NOISE_NODE_ID_HEX_LEN + 1]);
/* ECDSA over secp256k1 (compact 64-byte signatures, RFC 6979 nonces): a
 * node signs with its node key, anyone checks against its node id. */
bool noise_sign(const uint8_t priv[NOISE_PRIVKEY_LEN], const uint8_t digest[32], uint8_t sig[64]);
bool noise_verify(const uint8_t pub[NOISE_PUBKEY_LEN], const uint8_t digest[32],
		  const uint8_t sig[64]);

/* Optional side-channel blinding of the curve context (libsecp256k1's
 * secp256k1_context_randomize); a daemon calls it once with 32 random bytes.
 * It changes no result. */
void noise_blind(const uint8_t seed[32]);

/* Handshake. Both inits return NOISE_BAD_PRIVKEY for an invalid ls_priv,
 * and the initiator's NOISE_BAD_PUBKEY for an invalid rs_pub (the node id
 * it means to reach); hs is then wiped and failed. */
enum noise_status noise_hs_init_initiator(struct noise_handshake *hs,
					  const uint8_t ls_priv[NOISE_PRIVKEY_LEN],
					  const uint8_t rs_pub[NOISE_PUBKEY_LEN]);
enum noise_status noise_hs_init_responder(struct noise_handshake *hs,
					  const uint8_t ls_priv[NOISE_PRIVKEY_LEN]);

/* e_priv is this side's fresh ephemeral private key; NOISE_BAD_PRIVKEY and
 * nothing changed if it is not a valid key (draw another). */
enum noise_status noise_act1_make(struct noise_handshake *hs,
				  const uint8_t e_priv[NOISE_PRIVKEY_LEN],
				  uint8_t out[NOISE_ACT_ONE_LEN]);
enum noise_status noise_act1_read(struct noise_handshake *hs,
				  const uint8_t in[NOISE_ACT_ONE_LEN]);
enum noise_status noise_act2_make(struct noise_handshake *hs,
				  const uint8_t e_priv[NOISE_PRIVKEY_LEN],
				  uint8_t out[NOISE_ACT_TWO_LEN]);
enum noise_status noise_act2_read(struct noise_handshake *hs,
				  const uint8_t in[NOISE_ACT_TWO_LEN]);
/* Both act three steps end the handshake: on NOISE_OK c is ready for
 * messages and hs is wiped (NOISE_HS_DONE). act3_read also gives the
 * initiator's static public key, i.e. its node id. */
enum noise_status noise_act3_make(struct noise_handshake *hs,
				  uint8_t out[NOISE_ACT_THREE_LEN],
				  struct noise_cipher *c);
enum noise_status noise_act3_read(struct noise_handshake *hs,
				  const uint8_t in[NOISE_ACT_THREE_LEN],
				  struct noise_cipher *c,
				  uint8_t rs_pub[NOISE_PUBKEY_LEN]);
void noise_hs_wipe(struct noise_handshake *hs);

/* Messages. out holds NOISE_WIRE_LEN(len) bytes; body may be NULL when len
 * is 0. NOISE_TOO_LONG, nothing changed, when len > NOISE_MSG_MAX. */
enum noise_status noise_encrypt_msg(struct noise_cipher *c, const uint8_t *body, size_t len,
				    uint8_t *out);
/* The first 18 bytes of a message: on NOISE_OK *len is the body's length
 * and exactly *len + NOISE_MAC_LEN bytes are to be read next. */
enum noise_status noise_decrypt_len(struct noise_cipher *c, const uint8_t hdr[NOISE_HDR_LEN],
				    size_t *len);
/* The body that the last noise_decrypt_len announced: in_len must be that
 * length + NOISE_MAC_LEN; out receives in_len - NOISE_MAC_LEN bytes. */
enum noise_status noise_decrypt_body(struct noise_cipher *c, const uint8_t *in, size_t in_len,
				     uint8_t *out);
void noise_cipher_wipe(struct noise_cipher *c);

#endif

/* A daemon's node key (BOLT #8 identity): a secp256k1 private key kept in
 * --key FILE as 64 hex digits and a newline, made (0600) when the file is
 * missing; without --key one is drawn for the process. The node id is the
 * compressed public key. */
#ifndef AMPSIM_NODEKEY_H
#define AMPSIM_NODEKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "noise.h"

struct nodekey {
	uint8_t priv[NOISE_PRIVKEY_LEN];
	uint8_t id[NOISE_PUBKEY_LEN];
	char hex[NOISE_NODE_ID_HEX_LEN + 1];    /* the node id */
};

/* Randomness for new keys: the daemon's source (seeded under ampsim run). */
typedef void (*nodekey_rand)(void *ctx, uint8_t *buf, size_t n);

/* Load path, or make it when missing (from rand). false with err naming the
 * file and the problem (not hex, not a valid key, unreadable, readable or
 * writable by group or others -- refused as ssh refuses such a key, with
 * the chmod that fixes it -- ...). */
bool nodekey_load(const char *path, nodekey_rand rand, void *ctx, struct nodekey *k, char *err,
		  size_t errlen);
/* A fresh key, drawn until valid. */
void nodekey_draw(nodekey_rand rand, void *ctx, struct nodekey *k);
/* A fresh ephemeral private key for one handshake. */
void nodekey_ephemeral(nodekey_rand rand, void *ctx, uint8_t e_priv[NOISE_PRIVKEY_LEN]);

/* "NODEID@HOST:PORT": the node id and the address part; false if the id
 * is not a valid node id or '@' is missing. */
bool nodekey_parse_target(const char *s, uint8_t id[NOISE_PUBKEY_LEN], char *addr, size_t addrlen);

#endif

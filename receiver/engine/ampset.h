/* Bob's reassembly of multi-part payments: HTLCs are grouped into sets
 * (by payment hash for MPP, by set_id for AMP) and held until their amounts
 * reach the set's total_msat. Pure: no sockets, no timers, no clock; the
 * daemon passes times in and acts on the verdicts.
 *
 * BOLT #4 (basic MPP): "if it receives an incoming HTLC with a total_msat
 * that differs from the total_msat of other HTLCs in the set: SHOULD fail
 * the entire HTLC set"; "if the total_msat of the HTLCs is equal to or
 * greater than total_msat: SHOULD fulfill all HTLCs in the HTLC set". */
#ifndef AMPSIM_AMPSET_H
#define AMPSIM_AMPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amount.h"
#include "amp.h"
#include "proto_limits.h"
#include "u64map.h"

#define SET_CHANNEL_MAX ID_MAX

enum set_kind { SET_MPP, SET_AMP };

struct set_htlc {
	char channel[SET_CHANNEL_MAX];
	uint64_t htlc_id;
	struct amount_msat amount;
	uint8_t hash[AMP_LEN];
	uint8_t share[AMP_LEN];      /* AMP only */
	uint32_t child_index;        /* AMP only */
	uint32_t cltv_expiry;
};

struct ampset {
	enum set_kind kind;
	uint8_t key[AMP_LEN];        /* payment hash (MPP) or set_id (AMP) */
	struct amount_msat total, sum;
	uint64_t deadline_us;        /* simulated time: fail the set with mpp_timeout then */
	struct set_htlc *htlcs;
	size_t n, cap;
	uint64_t id;                 /* the table's handle for it (timers name it) */
	struct ampset *next, *prev;  /* the table's list, newest first */
	struct ampset *hnext;        /* another set whose key hashes the same */
};

/* Every lookup is constant time whatever a peer sends: sets by key, by
 * handle and by HTLC are indexed (u64map), under SipHash with a key drawn
 * once per table so that no peer can choose keys that collide. */
#define AMPSET_KEY_LEN 16

struct ampset_table {
	struct ampset *head;         /* sets being held, newest first */
	size_t count;
	uint64_t next_id;            /* handles of new sets: 1, 2, ... */
	uint8_t hkey[AMPSET_KEY_LEN];  /* SipHash key (ampset_table_key; zero until then) */
	struct u64map by_key;        /* hash(kind, key) -> set (others via hnext) */
	struct u64map by_id;         /* handle -> set */
	struct u64map by_htlc;       /* hash(channel, htlc id) -> set */
	uint64_t htlc_collisions;    /* two HTLCs hashed alike: misses also scan */
	/* keys of closed (settled or failed) AMP sets, open addressing: a
	 * replayed or late part of one is refused at once, in constant time */
	uint8_t (*settled)[AMP_LEN];
	size_t settled_cap, settled_n;
};

enum ampset_verdict {
	SET_HOLD,        /* keep holding: the total is not reached */
	SET_COMPLETE,    /* the total is reached: settle every HTLC of the set */
	SET_FAIL_ALL,    /* the set is inconsistent: fail every HTLC, including this one */
	SET_REJECT_ONE,  /* fail just this HTLC; the set (if any) is unchanged */
};

struct ampset_result {
	enum ampset_verdict verdict;
	struct ampset *set;          /* the set the HTLC joined (not for REJECT_ONE) */
	const char *why;
};

/* Add h to its set, creating the set (with deadline hold_deadline_us) if
 * this is its first HTLC. expiry_deadline_us is the latest time h may be
 * held; the set's deadline is the earliest of all of them. */
struct ampset_result ampset_add(struct ampset_table *t, enum set_kind kind,
				const uint8_t key[AMP_LEN], struct amount_msat total,
				const struct set_htlc *h, uint64_t hold_deadline_us,
				uint64_t expiry_deadline_us);

struct ampset *ampset_find(struct ampset_table *t, enum set_kind kind, const uint8_t key[AMP_LEN]);

/* The set holding HTLC (channel, id), or NULL. *index receives its position. */
struct ampset *ampset_find_htlc(struct ampset_table *t, const char *channel, uint64_t htlc_id,
				size_t *index);

/* AMP reconstruction: XOR every share into the root, derive each HTLC's
 * preimage (lnd's DeriveChild) into preimages[i] and check it against the
 * HTLC's hash. Returns false (bad = index of the first mismatch) if any
 * child does not match: then the whole set must be failed. */
bool ampset_reconstruct(const struct ampset *s, uint8_t (*preimages)[AMP_LEN], size_t *bad);

/* The set holding handle id, or NULL (it was settled or failed). */
struct ampset *ampset_by_id(struct ampset_table *t, uint64_t id);

/* Take the HTLC at index out of its set (it expired), lowering the set's
 * sum by its amount: a set's sum is always the sum of its parts. */
void ampset_remove_htlc(struct ampset_table *t, struct ampset *s, size_t index);

/* The set is settled: only its key is remembered, so a late or replayed
 * part of it is refused; the set itself is removed and freed. */
void ampset_mark_settled(struct ampset_table *t, struct ampset *s);

/* Remember an AMP key as closed: settled, failed, or reloaded as such. */
void ampset_insert_settled(struct ampset_table *t, const uint8_t key[AMP_LEN]);
bool ampset_is_settled(const struct ampset_table *t, const uint8_t key[AMP_LEN]);

/* Remove and free a set (failed, or being forgotten). */
void ampset_remove(struct ampset_table *t, struct ampset *s);
/* The table's SipHash key (a peer chooses the keys it hashes: the key is
 * what it cannot aim at). */
void ampset_table_key(struct ampset_table *t, const uint8_t key[AMPSET_KEY_LEN]);
void ampset_table_free(struct ampset_table *t);

#endif

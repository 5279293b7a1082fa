/* Bob's records as they are stored: one row of each of his tables, field
 * for column, and the one rule that turns the engine's state into a row
 * and a row back into the engine. bob's store (receiver/bob_store.c) binds
 * these rows to SQLite and reads them back; the world (sim/world/) keeps
 * them in memory, so a crash there loses what a crash of the daemon loses.
 *
 * The engine names what to write (BOB_REC_*, bob_engine.h); a row "of" the
 * engine is what that record writes. Loading checks what a stored row may
 * get wrong (a row is as untrusted as a peer's message): the blobs' own
 * lengths are the store's to check, the rest is checked here. Pure. */
#ifndef AMPSIM_BOB_CODEC_H
#define AMPSIM_BOB_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bob_engine.h"
#include "htlc_table.h"

/* meta: the run's clock and seed (BOB_REC_META) */
struct bob_meta_row {
	int64_t epoch_unix_us, block_interval_us, time_scale_micro, seed;
};

/* channels (BOB_REC_CHANNEL). done: the finished HTLC ids as pairs of
 * 8-byte little-endian [lo, hi); owner: 33 bytes or none. */
struct bob_chan_row {
	char id[LEDGER_ID_MAX];
	uint64_t capacity, alice, bob, htlc_min, delay, jitter, htlc_next;
	int64_t max_htlcs, jitter_dist;
	double drop, dup;
	size_t done_len, owner_len;
	uint8_t owner[33];
	uint8_t done[HTLC_TABLE_MAX_STORED * 16];
};

/* htlcs: the columns an add writes (BOB_REC_HTLC_ADD), then those its
 * state writes (BOB_REC_HTLC_STATE). setkey and share are zeroes when the
 * HTLC has no set key or no share. */
struct bob_htlc_row {
	char channel[LEDGER_ID_MAX];
	uint64_t id, amount, total, arrived;
	uint8_t hash[AMP_LEN], setkey[AMP_LEN], share[AMP_LEN];
	int64_t cltv, child, code;
	int kind, state;
	uint8_t preimage[AMP_LEN];
	char reason[72];
	bool acked, claimed;
	/* the terms' two signatures, Alice's then Bob's (nsigs 0: the
	 * terms were never countersigned; any other size is damage) */
	uint8_t sigs[2 * TERMS_SIG_LEN];
	size_t nsigs;
};

/* invoices (BOB_REC_INVOICE; only paid changes once written) */
struct bob_invoice_row {
	uint64_t seq, amount;
	uint8_t hash[AMP_LEN], preimage[AMP_LEN], secret[AMP_LEN];
	int64_t paid, created, min_cltv;
	char description[INVOICE_DESC_MAX];
};

/* ---- the engine's state as rows --------------------------------------- */

void bob_meta_row_of(const struct bob_engine *e, struct bob_meta_row *row);
void bob_chan_row_of(const struct bob_engine *e, size_t chan, struct bob_chan_row *row);
/* The row an add writes: state held, no preimage, no failure. false if
 * the HTLC is no longer kept (forgotten since: nothing is written). */
bool bob_htlc_row_add(const struct bob_engine *e, size_t chan, uint64_t id,
		      struct bob_htlc_row *row);
/* The state columns of the HTLC into row (the others untouched); false if
 * it is no longer kept. */
bool bob_htlc_row_state(const struct bob_engine *e, size_t chan, uint64_t id,
			struct bob_htlc_row *row);
/* false if the invoice is no longer kept (paid and forgotten since). */
bool bob_invoice_row_of(const struct bob_engine *e, uint64_t seq, struct bob_invoice_row *row);

/* ---- a list's records ---------------------------------------------------

 * The records an engine call asked for (ACT_PERSIST in out from `from`
 * on), each encoded as the engine stands now; a shell and the world write
 * these bytes, and read nothing of the engine to do it:
 *   BOB_REC_META         a struct bob_meta_row
 *   BOB_REC_CHANNEL      a struct bob_chan_row of bob_chan_row_len bytes
 *                        (the finished ids it uses, not the room it has)
 *   BOB_REC_HTLC_ADD     a struct bob_htlc_row, the columns an add writes
 *   BOB_REC_HTLC_STATE   a struct bob_htlc_row, those and its state's
 *   BOB_REC_INVOICE      a struct bob_invoice_row
 *   BOB_REC_SET_CLOSED   the set's key (AMP_LEN bytes, given when asked)
 *   BOB_REC_HTLC_FORGET  the channel's id, with its NUL (the row's key)
 *   BOB_REC_INVOICE_FORGET  no bytes
 * An HTLC or an invoice no longer kept has no bytes: nothing is written.
 * Every entry point ends with it; nothing is encoded when
 * e->encode_records is false (a shell with no store). */
void bob_records_encode(struct bob_engine *e, struct actions *out, size_t from);
/* The bytes of a channel's row: its columns and the finished ids it uses. */
size_t bob_chan_row_len(size_t done_len);

/* ---- rows back into the engine, in the order a restart loads them:
 * the clock, channels, invoices and closed sets, HTLCs ------------------ */

void bob_meta_row_load(struct bob_engine *e, const struct bob_meta_row *row);

enum bob_row_load { BOB_ROW_OK, BOB_ROW_BAD, BOB_ROW_DAMAGED };
/* alice_held: the row's alice plus the amounts of its HTLCs stored held
 * (Alice's balance as if none were in flight: the held ones go back
 * through the ledger). BOB_ROW_BAD: the channel does not load;
 * BOB_ROW_DAMAGED: a field no bob writes. why says which. */
enum bob_row_load bob_chan_row_load(struct bob_engine *e, const struct bob_chan_row *row,
				    uint64_t alice_held, char *why, size_t whylen);
/* false + why: the state cannot be trusted */
bool bob_invoice_row_load(struct bob_engine *e, const struct bob_invoice_row *row, char *why,
			  size_t whylen);
/* blobs_ok: the store found every blob of the row the length it must
 * have. false + why (a static text) if the HTLC does not load. */
bool bob_htlc_row_load(struct bob_engine *e, const struct bob_htlc_row *row, bool blobs_ok,
		       const char **why);

#endif

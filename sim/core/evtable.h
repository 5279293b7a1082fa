/* Every event the project emits, in one table: its name, its fields in
 * the order they are written and their types, and its stream (whose log
 * it goes to). Records are still built by name (evrec.h: act_log, then
 * evrec_str, evrec_u64, ...); the table is what they must match. The
 * unit tests check every record they see against it (evtable_check), the
 * integration tests every line of every event log they read, and
 * test_source_rules.py that every event name in the sources is here, that
 * every entry is used, and that docs/protocol.md (section 12) lists the
 * same events with the same fields.
 *
 * A name may have an entry per node when the two write different fields
 * (restart, htlc_fulfilled, ...). Pure: a const table and lookups. */
#ifndef AMPSIM_EVTABLE_H
#define AMPSIM_EVTABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "evrec.h"

/* A field's type as the log writes it. EVT_HEX is a string of lower-case
 * hex (evrec_hex); the others are evrec's own. */
enum evt_type { EVT_STR, EVT_HEX, EVT_U64, EVT_I64, EVT_BOOL, EVT_REAL };

/* Whose log an event goes to. EVS_BOB_DEBUG is not an event log: bob's
 * shell writes those records to his diagnostics (bob -v), and the world
 * drops them. */
enum ev_stream { EVS_ALICE = 1, EVS_BOB = 2, EVS_BOTH = 3, EVS_BOB_DEBUG = 4 };

struct evt_field {
	const char *key;
	const char *alt;          /* another key it may be written under (set_id or hash), or NULL */
	enum evt_type type;
	bool optional;            /* may be absent (never written out of its place) */
};

struct evt_entry {
	const char *name;
	enum ev_stream stream;
	const struct evt_field *fields;
	size_t nfields;
};

/* The table, in the order docs/protocol.md lists the events. */
const struct evt_entry *evtable_entries(size_t *n);

/* The entry for name as node writes it (node: EVS_ALICE or EVS_BOB; an
 * EVS_BOB_DEBUG entry is bob's); NULL when the table has none. */
const struct evt_entry *evtable_find(const char *name, enum ev_stream node);

/* Whether record r, written by node, matches its entry: its name known for
 * that node, its fields those of the entry in that order (an optional one
 * may be missing), each of the entry's type. false + why otherwise. */
bool evtable_check(const struct evrec *r, enum ev_stream node, char *why, size_t n);

const char *evt_type_name(enum evt_type t);
const char *ev_stream_name(enum ev_stream s);

#endif

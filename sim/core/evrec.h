/* An event as an engine describes it: a name and typed fields, in order.
 * Engines are pure (no jansson, no files), so they log through these
 * records; the runtime's event log (events.c, evlog_emit_rec) stamps each
 * with t_ms, height and node and writes it as one JSON line.
 *
 * A record owns its strings (copied into a fixed buffer), so it can sit in
 * an action list after the engine's state has moved on. Keys are string
 * literals. A record that runs out of room is a bug of ours: it aborts. */
#ifndef AMPSIM_EVREC_H
#define AMPSIM_EVREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVREC_MAX_FIELDS 16
#define EVREC_NAME_MAX 40
#define EVREC_BUF 1024

enum evf_type { EVF_STR, EVF_U64, EVF_I64, EVF_BOOL, EVF_REAL };

struct evf {
	const char *key;          /* a string literal */
	enum evf_type type;
	union {
		size_t str;           /* offset into the record's buffer */
		uint64_t u64;
		int64_t i64;
		bool b;
		double real;
	} v;
};

struct evrec {
	char name[EVREC_NAME_MAX];
	size_t n;
	struct evf f[EVREC_MAX_FIELDS];
	size_t used;
	char buf[EVREC_BUF];
};

void evrec_init(struct evrec *r, const char *name);
void evrec_str(struct evrec *r, const char *key, const char *s);
void evrec_u64(struct evrec *r, const char *key, uint64_t v);
void evrec_i64(struct evrec *r, const char *key, int64_t v);
void evrec_bool(struct evrec *r, const char *key, bool v);
void evrec_real(struct evrec *r, const char *key, double v);
/* Bytes as lowercase hex (at most 64 bytes). */
void evrec_hex(struct evrec *r, const char *key, const uint8_t *bytes, size_t n);

/* The string value of field i (EVF_STR only). */
const char *evrec_field_str(const struct evrec *r, size_t i);
/* The field named key, or NULL (for tests). */
const struct evf *evrec_find(const struct evrec *r, const char *key);

#endif

/* Stored rows from fuzz input, for the state-row targets: the input is a
 * list of rows, each a table (one byte, of the target's list) and then
 * its columns in order, each a type byte and a value:
 *   0 NULL, 1 a small integer (1 signed byte), 2 an integer (8 bytes),
 *   3 a real (8 bytes), 4 a text (2 length bytes, little-endian, then
 *   the bytes), 5 a blob (the same), 6 a 32-byte blob.
 * Rows are inserted as they come; one SQLite refuses (a duplicate key) is
 * skipped, as a file edited by hand could not hold it either. Seeds are
 * written with the rows_put_* helpers. */
#ifndef AMPSIM_FUZZ_ROWS_H
#define AMPSIM_FUZZ_ROWS_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct rows_table {
	const char *name;
	const char *const *cols;
	size_t ncols;
};

enum { ROW_NULL, ROW_SMALL, ROW_INT, ROW_REAL, ROW_TEXT, ROW_BLOB, ROW_B32, ROW_TYPES };

/* Bind one column value read from *p; false at the end of the input. */
static inline bool rows_bind(sqlite3_stmt *q, int col, const uint8_t **p, const uint8_t *end)
{
	if (*p >= end)
		return false;
	int type = **p % ROW_TYPES;
	(*p)++;
	size_t need = type == ROW_SMALL ? 1 : type == ROW_INT || type == ROW_REAL ? 8
		    : type == ROW_TEXT || type == ROW_BLOB ? 2 : type == ROW_B32 ? 32 : 0;
	if ((size_t)(end - *p) < need)
		return false;
	const uint8_t *v = *p;
	*p += need;
	int64_t i = 0;
	double d;
	switch (type) {
	case ROW_NULL:
		sqlite3_bind_null(q, col);
		return true;
	case ROW_SMALL:
		sqlite3_bind_int64(q, col, (int8_t)v[0]);
		return true;
	case ROW_INT:
		memcpy(&i, v, 8);
		sqlite3_bind_int64(q, col, i);
		return true;
	case ROW_REAL:
		memcpy(&d, v, 8);
		sqlite3_bind_double(q, col, d);
		return true;
	case ROW_B32:
		sqlite3_bind_blob(q, col, v, 32, SQLITE_TRANSIENT);
		return true;
	}
	size_t len = (size_t)v[0] | (size_t)v[1] << 8;
	if ((size_t)(end - *p) < len)
		return false;
	if (type == ROW_TEXT)
		sqlite3_bind_text(q, col, (const char *)*p, (int)len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_blob(q, col, *p, (int)len, SQLITE_TRANSIENT);
	*p += len;
	return true;
}

/* Insert the input's rows into st. */
static inline void rows_insert(struct store *st, const struct rows_table *tables, size_t ntables,
			       const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	while (p < end) {
		const struct rows_table *t = &tables[*p++ % ntables];
		char sql[1024];
		int n = snprintf(sql, sizeof(sql), "INSERT INTO %s (", t->name);
		for (size_t c = 0; c < t->ncols; c++)
			n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s%s", c ? "," : "", t->cols[c]);
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, ") VALUES (");
		for (size_t c = 0; c < t->ncols; c++)
			n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s?", c ? "," : "");
		snprintf(sql + n, sizeof(sql) - (size_t)n, ")");
		sqlite3_stmt *q = store_query(st, sql, "");
		bool whole = true;
		for (size_t c = 0; c < t->ncols && whole; c++)
			whole = rows_bind(q, (int)c + 1, &p, end);
		if (whole)
			(void)sqlite3_step(q);
		sqlite3_finalize(q);
	}
}

/* Seed writing */
struct rows_buf {
	uint8_t b[8192];
	size_t n;
};
static inline void rows_put_table(struct rows_buf *r, int t) { r->b[r->n++] = (uint8_t)t; }
static inline void rows_put_null(struct rows_buf *r) { r->b[r->n++] = ROW_NULL; }
static inline void rows_put_int(struct rows_buf *r, int64_t v)
{
	r->b[r->n++] = ROW_INT;
	memcpy(r->b + r->n, &v, 8);
	r->n += 8;
}
static inline void rows_put_real(struct rows_buf *r, double v)
{
	r->b[r->n++] = ROW_REAL;
	memcpy(r->b + r->n, &v, 8);
	r->n += 8;
}
static inline void rows_put_text(struct rows_buf *r, const char *s)
{
	r->b[r->n++] = ROW_TEXT;
	r->b[r->n++] = (uint8_t)strlen(s);
	r->b[r->n++] = (uint8_t)(strlen(s) >> 8);
	memcpy(r->b + r->n, s, strlen(s));
	r->n += strlen(s);
}
static inline void rows_put_blob(struct rows_buf *r, const void *v, size_t len)
{
	if (len == 32) {
		r->b[r->n++] = ROW_B32;
	} else {
		r->b[r->n++] = ROW_BLOB;
		r->b[r->n++] = (uint8_t)len;
		r->b[r->n++] = (uint8_t)(len >> 8);
	}
	memcpy(r->b + r->n, v, len);
	r->n += len;
}
static inline size_t rows_seed(struct fuzz_seed *s, const struct rows_buf *r)
{
	s->len = r->n;
	s->data = malloc(r->n);
	memcpy(s->data, r->b, r->n);
	return 1;
}

#endif

/* Durable state: a thin wrapper over one SQLite database per daemon, in
 * WAL mode with synchronous=FULL, so that what a daemon writes before it
 * acts survives kill -9. SQL stays with the daemon that owns the tables;
 * this file only opens, binds, steps and reports errors loudly (a failed
 * write is a bug or a broken disk: the daemon must not act on state it
 * could not keep). */
#ifndef AMPSIM_STORE_H
#define AMPSIM_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* SQLite's synchronous mode for the stores this process opens: "full"
 * (the default; the only one that survives power loss) or "normal"
 * (survives kill -9). false for anything else. */
bool store_set_sync(const char *mode);

/* Open (creating, mode 0600) dir/name.db and run schema (several
 * statements). The daemon then holds dir/name.lock: a second process
 * opening the same store is refused ("in use by another running daemon")
 * until the first exits. dir NULL: a private database in memory, gone at
 * store_close (tests and fuzz targets build rows there). */
struct store *store_open(const char *dir, const char *name, const char *schema,
			 char *err, size_t errlen);
/* The same without the lock, for a file several processes share on
 * purpose (the simulated chain; SQLite serialises their writes). */
struct store *store_open_shared(const char *dir, const char *name, const char *schema,
				char *err, size_t errlen);
/* Closes the database, finalizing every statement still open on it. */
void store_close(struct store *st);

/* fsync-class calls (xSync: fdatasync on Linux) SQLite made in this
 * process so far, on every database it opened (a VFS shim counts them). */
uint64_t store_fsyncs(void);
/* Installs the shim that counts them; store_open does it. */
void store_install_counting_vfs(void);

/* Run a script (several statements, no arguments), for a schema change;
 * a failure is a state that cannot be used (store_damaged). */
void store_exec(struct store *st, const char *sql);
/* Whether table has a column of that name. */
bool store_has_column(struct store *st, const char *table, const char *column);
/* Whether table has every column of cols (names separated by commas);
 * false + err naming the first it lacks. A file whose table lacks one was
 * not written by us, or was edited: refused where it is opened, rather
 * than failing at its first query. */
bool store_has_columns(struct store *st, const char *table, const char *cols, char *err,
		       size_t errlen);
/* Whether table has a column of that name in its primary key (a layout
 * check before a schema change). */
bool store_is_key(struct store *st, const char *table, const char *column);

void store_begin(struct store *st);
void store_commit(struct store *st);

/* Run one statement. types says how to bind the arguments that follow:
 *   'i' int64_t, 'u' uint64_t (stored as int64), 't' const char *,
 *   'b' const uint8_t * (32 bytes), 'B' const uint8_t * then size_t (a blob
 *   of that length), 'd' double, 'n' NULL.
 * Aborts on failure. */
void store_run(struct store *st, const char *sql, const char *types, ...);

/* Prepare a query for reading rows; bind as store_run. Finalize with
 * sqlite3_finalize. */
sqlite3_stmt *store_query(struct store *st, const char *sql, const char *types, ...);

/* The next row of a query: true for a row, false at the end. A read that
 * fails (a damaged file) is never taken for the end: store_damaged. */
bool store_row(struct store *st, sqlite3_stmt *q);

/* The state cannot be trusted: say so, naming the file, and exit 2
 * without writing anything. */
_Noreturn void store_damaged(const struct store *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Tests and fuzz targets: fn is called by store_damaged with what it
 * found, in place of printing it and exiting; it must not return (it
 * longjmps back to the test). NULL restores the exit. */
void store_on_damaged(void (*fn)(const char *what));

/* Copy a 32-byte blob column; false if it is not 32 bytes. */
bool store_col32(sqlite3_stmt *q, int col, uint8_t out[32]);

/* meta table: key -> integer */
void store_set_meta(struct store *st, const char *key, int64_t v);
bool store_get_meta(struct store *st, const char *key, int64_t *v);

#endif

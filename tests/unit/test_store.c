/* The store's handling of files it did not write that way (sim/runtime/
 * store.c): an in-memory store, a table that lacks a column, a statement
 * a file's own schema makes fail. Each is a refusal with a reason, never
 * an abort. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "chain.h"
#include "log.h"
#include "store.h"

static jmp_buf damaged;
static char said[512];

static void on_damaged(const char *what)
{
	snprintf(said, sizeof(said), "%s", what);
	longjmp(damaged, 1);
}

static void a_store_in_memory_holds_its_schema(void **state)
{
	(void)state;
	char err[256] = "";
	struct store *st = store_open(NULL, "t", "CREATE TABLE IF NOT EXISTS x (a INTEGER, b TEXT);",
				      err, sizeof(err));
	assert_non_null(st);
	store_set_meta(st, "k", 42);
	int64_t v = 0;
	assert_true(store_get_meta(st, "k", &v));
	assert_int_equal(v, 42);
	assert_true(store_has_columns(st, "x", "a,b", err, sizeof(err)));
	assert_false(store_has_columns(st, "x", "a,c", err, sizeof(err)));
	assert_non_null(strstr(err, "no column c"));
	/* a query left open (as after a refusal) is finalized by the close */
	sqlite3_stmt *q = store_query(st, "SELECT a FROM x", "");
	(void)q;
	store_close(st);
}

/* A file whose table has a constraint ours does not: the write breaks it
 * and the store says the file is damaged (it aborted as a bug before). */
static void a_constraint_of_the_file_is_damage_not_a_bug(void **state)
{
	(void)state;
	char err[256] = "";
	struct store *st = store_open(NULL, "t",
				      "CREATE TABLE IF NOT EXISTS x (a INTEGER NOT NULL);", err,
				      sizeof(err));
	assert_non_null(st);
	store_on_damaged(on_damaged);
	said[0] = '\0';
	if (setjmp(damaged) == 0) {
		store_run(st, "INSERT INTO x (a) VALUES (?)", "n");
		fail_msg("a write the file's schema forbids went through");
	}
	assert_non_null(strstr(said, "NOT NULL constraint failed"));
	said[0] = '\0';
	if (setjmp(damaged) == 0) {
		store_run(st, "INSERT INTO x (nosuch) VALUES (1)", "");
		fail_msg("a statement on a column the file lacks was prepared");
	}
	assert_non_null(strstr(said, "not as this program writes them"));
	store_on_damaged(NULL);
	store_close(st);
}

/* A chain file whose spends table lacks a column is refused where it is
 * opened, naming the column (its first query aborted before). */
static void a_chain_file_without_a_column_is_refused(void **state)
{
	(void)state;
	char dir[64], path[96], err[512] = "";
	assert_true(make_temp_dir("ampsim-store", dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/chain.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE spends (channel TEXT, sender BLOB,"
				      " receiver BLOB, htlc INTEGER, kind INTEGER, sent INTEGER,"
				      " confirm INTEGER);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(chain_open(path, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "no column preimage"));
	char p[160];
	const char *names[] = { "chain.db", "chain.db-wal", "chain.db-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

int main(void)
{
	log_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_store_in_memory_holds_its_schema),
		cmocka_unit_test(a_constraint_of_the_file_is_damage_not_a_bug),
		cmocka_unit_test(a_chain_file_without_a_column_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

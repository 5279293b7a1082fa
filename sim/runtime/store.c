#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* --sync: FULL (default) syncs every commit; NORMAL syncs the WAL only at
 * checkpoints, which survives any process crash (kill -9) but not a power
 * loss. One daemon, one choice: set before the store is opened. */
static bool store_sync_full = true;

bool store_set_sync(const char *mode)
{
	if (strcmp(mode, "full") == 0)
		store_sync_full = true;
	else if (strcmp(mode, "normal") == 0)
		store_sync_full = false;
	else
		return false;
	return true;
}

/* Prepared statements of store_run, kept by the text they were made from:
 * a daemon runs the same few statements many times, and preparing one
 * (parsing its SQL) costs more than running it. */
#define STMT_CACHE 64

struct store {
	sqlite3 *db;
	sqlite3_stmt *cache[STMT_CACHE];
	const char *cache_key[STMT_CACHE];
	int depth;
	int lock_fd;               /* exclusive stores: the held lock, else -1 */
	uint64_t commits;          /* exclusive stores: commits made, ever */
	char path[4096];
};

/* The commit count, kept twice: in the database (meta 'commits', inside
 * each transaction) and, once each commit is done, in the lock file (magic
 * and count, not synced: a process crash keeps it in the page cache; a
 * power loss can only leave it behind). A database whose count is below
 * the lock file's has lost commits it had made: its WAL was cut, emptied,
 * damaged or deleted after the daemon stopped. SQLite alone would open it
 * as far as it reads, silently older. */
static const char commit_magic[8] = { 'a', 'm', 'p', 's', 'c', 'm', 't', '1' };

static bool lock_commits(int fd, uint64_t *n)
{
	uint8_t b[16];
	if (pread(fd, b, sizeof(b), 0) != (ssize_t)sizeof(b) || memcmp(b, commit_magic, 8) != 0)
		return false;                  /* a state from before the count */
	memcpy(n, b + 8, 8);
	return true;
}

static void lock_commits_write(struct store *st)
{
	uint8_t b[16];
	memcpy(b, commit_magic, 8);
	memcpy(b + 8, &st->commits, 8);
	static bool warned;
	if (pwrite(st->lock_fd, b, sizeof(b), 0) != (ssize_t)sizeof(b) && !warned) {
		warned = true;
		log_warn("%s: cannot record the commit count in the lock file: %s", st->path,
			 strerror(errno));
	}
}

/* At open: the database must hold every commit the lock file saw. */
static bool commits_check(struct store *st, const char *dir, const char *name, char *err,
			  size_t errlen)
{
	sqlite3_stmt *q = NULL;
	int rc = SQLITE_ERROR;
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'commits'", -1, &q,
			       NULL) != SQLITE_OK ||
	    ((rc = sqlite3_step(q)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		snprintf(err, errlen, "%s: cannot read the commit count: %s", st->path,
			 sqlite3_errmsg(st->db));
		sqlite3_finalize(q);
		return false;
	}
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;   /* none yet: 0 */
	sqlite3_finalize(q);
	st->commits = v > 0 ? (uint64_t)v : 0;
	uint64_t seen;
	if (lock_commits(st->lock_fd, &seen) && seen > st->commits) {
		snprintf(err, errlen, "%s: the state has %llu commits but the daemon had made %llu "
			 "(%s/%s.lock): the last ones are lost, so its write-ahead log (%s-wal) was "
			 "cut, emptied, damaged or deleted after the daemon stopped; nothing was "
			 "changed. Put the log back, or move the state away to start from a fresh one",
			 st->path, (unsigned long long)st->commits, (unsigned long long)seen, dir,
			 name, st->path);
		return false;
	}
	if (sqlite3_exec(st->db, "INSERT OR IGNORE INTO meta VALUES ('commits', 0)", NULL, NULL,
			 NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
		return false;
	}
	lock_commits_write(st);
	return true;
}

/* One daemon per state directory: a second one on the same state would
 * interleave writes with the first. flock is released by the kernel when
 * the holder exits, even by kill -9, so a crash leaves no stale lock. */
static int lock_state(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.lock", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open lock file: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s: state directory in use by another running daemon", dir);
		close(fd);
		return -1;
	}
	return fd;
}

/* Every page of the file reads back as SQLite wrote it (PRAGMA
 * quick_check: the b-trees, not the indexes' contents). A state that does
 * not is refused rather than read as far as it happens to go. */
static bool intact(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	bool ok = false;
	const char *what = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW) {
		what = (const char *)sqlite3_column_text(q, 0);
		ok = what && strcmp(what, "ok") == 0;
	}
	if (!ok) {
		char said[200];
		snprintf(said, sizeof(said), "%s", what ? what : sqlite3_errmsg(db));
		for (char *c = said; *c; c++)          /* one line */
			if (*c == '\n')
				*c = ' ';
		snprintf(err, errlen, "%s: the state file is damaged (%s); nothing was changed. "
			 "Move it away to start from a fresh state", path, said);
	}
	sqlite3_finalize(q);
	return ok;
}

/* Open path and make sure it holds the schema (idempotent). */
static sqlite3 *init_db(const char *path, const char *schema, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	store_install_counting_vfs();
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	if (!intact(db, path, err, errlen)) {      /* checked before anything is written */
		/* and nothing is: not even its log checkpointed into it */
		sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		sqlite3_close(db);
		return NULL;
	}
	char *msg = NULL;
	const char *pragmas =
		store_sync_full ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
				  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER);"
				: "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER);";
	if (sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "cannot initialise");
		sqlite3_free(msg);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* A database file appears only whole: a new one is built under a
 * temporary name (private: SQLite would take the umask, and its -wal and
 * -shm follow the database's mode) and linked into place, so an empty file
 * at path is never a fresh state but a damaged one, and is refused. link()
 * and not rename(): of two processes creating a shared file at once, the
 * second keeps the first's. */
static bool place_db(const char *path, const char *schema, char *err, size_t errlen)
{
	struct stat sb;
	if (stat(path, &sb) == 0) {
		if (!S_ISREG(sb.st_mode)) {
			snprintf(err, errlen, "%s: not a regular file", path);
			return false;
		}
		if (sb.st_size == 0) {
			snprintf(err, errlen, "%s: the state file is empty (0 bytes), so it was "
				 "truncated or damaged; nothing was changed. Move it away to start "
				 "from a fresh state", path);
			return false;
		}
		return true;
	}
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
	unlink(tmp);
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
		return false;
	}
	close(fd);
	sqlite3 *db = init_db(tmp, schema, err, errlen);
	bool ok = db && sqlite3_close(db) == SQLITE_OK;
	if (ok && link(tmp, path) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		ok = false;
	}
	unlink(tmp);
	for (int i = 0; i < 2; i++) {    /* SQLite removes them on close; if not */
		char side[4210];
		snprintf(side, sizeof(side), "%s%s", tmp, i ? "-shm" : "-wal");
		unlink(side);
	}
	return ok;
}

static struct store *open_db(const char *dir, const char *name, const char *schema,
			     bool exclusive, char *err, size_t errlen)
{
	char path[4096];
	struct stat sb;
	if (!dir) {
		struct store *st = xcalloc(1, sizeof(*st));
		st->lock_fd = -1;
		snprintf(st->path, sizeof(st->path), ":memory:");
		if (!(st->db = init_db(st->path, schema, err, errlen))) {
			free(st);
			return NULL;
		}
		return st;
	}
	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "%s: not a directory", dir);
			return NULL;
		}
	} else if (!exclusive) {
		/* a shared file (the chain) goes into a folder that exists, as
		 * every other output path: a typo is not silently created */
		snprintf(err, errlen, "%s: folder does not exist", dir);
		return NULL;
	} else if (mkdir(dir, 0700) != 0) {
		/* a daemon's own state directory is made on its first start */
		snprintf(err, errlen, "%s: cannot create the state directory: %s", dir,
			 strerror(errno));
		return NULL;
	}
	int lock_fd = -1;
	if (exclusive && (lock_fd = lock_state(dir, name, err, errlen)) < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	struct store *st = xcalloc(1, sizeof(*st));
	st->lock_fd = lock_fd;
	snprintf(st->path, sizeof(st->path), "%s", path);
	if (!place_db(path, schema, err, errlen) || !(st->db = init_db(path, schema, err, errlen)) ||
	    (lock_fd >= 0 && !commits_check(st, dir, name, err, errlen))) {
		if (st->db) {
			/* refused: what it read of its log stays out of the file */
			sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
			sqlite3_close(st->db);
		}
		if (lock_fd >= 0)
			close(lock_fd);
		free(st);
		return NULL;
	}
	return st;
}

struct store *store_open(const char *dir, const char *name, const char *schema,
			 char *err, size_t errlen)
{
	return open_db(dir, name, schema, true, err, errlen);
}

struct store *store_open_shared(const char *dir, const char *name, const char *schema,
				char *err, size_t errlen)
{
	return open_db(dir, name, schema, false, err, errlen);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	/* the cached statements, and any query a store_damaged handler
	 * (store_on_damaged) left open */
	sqlite3_stmt *q;
	while ((q = sqlite3_next_stmt(st->db, NULL)) != NULL)
		sqlite3_finalize(q);
	sqlite3_close(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st);
}

void store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		store_damaged(st, "%s", msg ? msg : sqlite3_errmsg(st->db));
}

bool store_has_column(struct store *st, const char *table, const char *column)
{
	sqlite3_stmt *q = store_query(st, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", "tt",
				      table, column);
	bool has = store_row(st, q);
	sqlite3_finalize(q);
	return has;
}

bool store_has_columns(struct store *st, const char *table, const char *cols, char *err,
		       size_t errlen)
{
	/* its own statement, not store_query: a table that cannot even be
	 * listed (a view over a table that is gone) is reported here, to the
	 * caller, not by store_damaged */
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &q,
			       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot list the columns of %s: %s", st->path, table,
			 sqlite3_errmsg(st->db));
		return false;
	}
	char col[64];
	bool ok = true;
	for (const char *c = cols; *c && ok;) {
		size_t n = strcspn(c, ",");
		snprintf(col, sizeof(col), "%.*s", (int)n, c);
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, col, -1, SQLITE_STATIC);
		int rc = sqlite3_step(q);
		if (rc != SQLITE_ROW) {
			snprintf(err, errlen, rc == SQLITE_DONE
				 ? "%s: table %s has no column %s: not a file this program wrote, or "
				   "an edited one; nothing was changed"
				 : "%s: cannot list the columns of %s (%s): damaged, or edited; "
				   "nothing was changed", st->path, table,
				 rc == SQLITE_DONE ? col : sqlite3_errmsg(st->db));
			ok = false;
		}
		c += n + (c[n] == ',');
	}
	sqlite3_finalize(q);
	return ok;
}

bool store_is_key(struct store *st, const char *table, const char *column)
{
	sqlite3_stmt *q = store_query(st, "SELECT 1 FROM pragma_table_info(?) WHERE name = ? AND pk > 0",
				      "tt", table, column);
	bool has = store_row(st, q);
	sqlite3_finalize(q);
	return has;
}

void store_begin(struct store *st)
{
	if (st->depth++ == 0 && sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		fatal("state database: BEGIN failed: %s", sqlite3_errmsg(st->db));
}

void store_commit(struct store *st)
{
	if (st->depth <= 0)
		fatal("store_commit without store_begin");
	if (st->depth > 1) {
		st->depth--;
		return;
	}
	if (st->lock_fd >= 0)
		store_run(st, "UPDATE meta SET value = ? WHERE key = 'commits'", "u", st->commits + 1);
	st->depth = 0;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		fatal("state database: COMMIT failed: %s", sqlite3_errmsg(st->db));
	if (st->lock_fd >= 0) {
		st->commits++;
		lock_commits_write(st);
	}
}

static void bind(struct store *st, sqlite3_stmt *q, const char *sql, const char *types,
		 va_list ap)
{
	for (int i = 0; types[i]; i++) {
		int col = i + 1, rc = SQLITE_OK;
		switch (types[i]) {
		case 'i': rc = sqlite3_bind_int64(q, col, va_arg(ap, int64_t)); break;
		case 'u': rc = sqlite3_bind_int64(q, col, (int64_t)va_arg(ap, uint64_t)); break;
		case 't': rc = sqlite3_bind_text(q, col, va_arg(ap, const char *), -1, SQLITE_TRANSIENT); break;
		case 'b': rc = sqlite3_bind_blob(q, col, va_arg(ap, const uint8_t *), 32, SQLITE_TRANSIENT); break;
		case 'B': {
			const uint8_t *blob = va_arg(ap, const uint8_t *);
			size_t len = va_arg(ap, size_t);
			rc = sqlite3_bind_blob64(q, col, blob, len, SQLITE_TRANSIENT);
			break;
		}
		case 'd': rc = sqlite3_bind_double(q, col, va_arg(ap, double)); break;
		case 'n': rc = sqlite3_bind_null(q, col); break;
		default: fatal("store: bad bind type '%c'", types[i]);
		}
		if (rc != SQLITE_OK)
			fatal("state database: bind %d of '%s' failed (%s)", col, sql,
			      sqlite3_errmsg(st->db));
	}
}

/* Our statements are tested against the schema we create: one that does
 * not prepare (no such table or column, a view where a table was) or
 * whose step breaks a constraint, finds a page unreadable or the file
 * marked read-only by a format number from the future (a file that could
 * not be written is refused when it is opened) meets a file we did not
 * write that way, an edited or damaged one. */
static bool damage_class(int rc)
{
	rc &= 0xff;    /* the primary code of an extended one */
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_CONSTRAINT ||
	       rc == SQLITE_MISMATCH || rc == SQLITE_ERROR || rc == SQLITE_READONLY;
}

static sqlite3_stmt *prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK && damage_class(rc))
		store_damaged(st, "its tables are not as this program writes them ('%s': %s)", sql,
			      sqlite3_errmsg(st->db));
	if (rc != SQLITE_OK)
		fatal("state database: cannot prepare '%s': %s", sql, sqlite3_errmsg(st->db));
	return q;
}

/* The cached statement for sql (made on first use), or NULL when the cache
 * is full (then the caller prepares its own). Keyed by the text's address:
 * the daemons' statements are string literals. */
static sqlite3_stmt **cached(struct store *st, const char *sql)
{
	uintptr_t h = (uintptr_t)sql;
	h ^= h >> 17;
	h *= 0x9E3779B97F4A7C15ULL;
	for (size_t i = 0; i < STMT_CACHE; i++) {
		size_t k = (size_t)(h + i) % STMT_CACHE;
		if (st->cache_key[k] == sql)
			return &st->cache[k];
		if (!st->cache_key[k]) {
			st->cache[k] = prepare(st, sql);
			st->cache_key[k] = sql;
			return &st->cache[k];
		}
	}
	return NULL;
}

void store_run(struct store *st, const char *sql, const char *types, ...)
{
	va_list ap;
	sqlite3_stmt **slot = cached(st, sql);
	sqlite3_stmt *q = slot ? *slot : prepare(st, sql);
	va_start(ap, types);
	bind(st, q, sql, types, ap);
	va_end(ap);
	int rc = sqlite3_step(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW && damage_class(rc)) {
		char what[512];
		snprintf(what, sizeof(what), "'%s' failed: %s", sql, sqlite3_errmsg(st->db));
		if (slot)
			sqlite3_reset(q);
		else
			sqlite3_finalize(q);
		store_damaged(st, "%s", what);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		fatal("state database: '%s' failed: %s", sql, sqlite3_errmsg(st->db));
	if (slot) {
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
	} else {
		sqlite3_finalize(q);
	}
}

sqlite3_stmt *store_query(struct store *st, const char *sql, const char *types, ...)
{
	va_list ap;
	sqlite3_stmt *q = prepare(st, sql);
	va_start(ap, types);
	bind(st, q, sql, types, ap);
	va_end(ap);
	return q;
}

bool store_col32(sqlite3_stmt *q, int col, uint8_t out[32])
{
	if (sqlite3_column_bytes(q, col) != 32)
		return false;
	memcpy(out, sqlite3_column_blob(q, col), 32);
	return true;
}

void store_set_meta(struct store *st, const char *key, int64_t v)
{
	store_run(st, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", "ti", key, v);
}

bool store_row(struct store *st, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		return true;
	if (rc != SQLITE_DONE)
		store_damaged(st, "cannot be read: %s", sqlite3_errmsg(st->db));
	return false;
}

static void (*on_damaged)(const char *what);

void store_on_damaged(void (*fn)(const char *what))
{
	on_damaged = fn;
}

void store_damaged(const struct store *st, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (on_damaged)
		on_damaged(what);
	fprintf(stderr, "state %s: %s. The file is damaged or was edited; refusing to go on "
		"with it (nothing was written)\n", st->path, what);
	fflush(NULL);
	_exit(2);
}

bool store_get_meta(struct store *st, const char *key, int64_t *v)
{
	sqlite3_stmt *q = store_query(st, "SELECT value FROM meta WHERE key = ?", "t", key);
	bool found = store_row(st, q);
	if (found)
		*v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return found;
}

/* Counting fsyncs: a VFS shim over SQLite's default VFS (see store.h,
 * store_fsyncs). */
#include <sqlite3.h>
#include <stdint.h>

#include "log.h"
#include "store.h"

/* ---- counting fsyncs ------------------------------------------------------
 * A VFS shim over the default one: every file operation is passed through
 * unchanged; xSync (what SQLite calls to make a write durable: fdatasync
 * on Linux) is counted first. Installed as the default VFS of the process
 * before its first database is opened. */

struct cfile {
	sqlite3_file base;
	sqlite3_file *real;        /* the parent VFS's file, right after this */
};

static sqlite3_vfs *parent_vfs;
static uint64_t fsyncs;

uint64_t store_fsyncs(void)
{
	return fsyncs;
}

#define REAL(f) (((struct cfile *)(f))->real)

static int c_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int c_read(sqlite3_file *f, void *b, int n, sqlite3_int64 off)
{ return REAL(f)->pMethods->xRead(REAL(f), b, n, off); }
static int c_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 off)
{ return REAL(f)->pMethods->xWrite(REAL(f), b, n, off); }
static int c_truncate(sqlite3_file *f, sqlite3_int64 size)
{ return REAL(f)->pMethods->xTruncate(REAL(f), size); }
static int c_sync(sqlite3_file *f, int flags)
{
	fsyncs++;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int c_size(sqlite3_file *f, sqlite3_int64 *size)
{ return REAL(f)->pMethods->xFileSize(REAL(f), size); }
static int c_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int c_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int c_reserved(sqlite3_file *f, int *out)
{ return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out); }
static int c_fcntl(sqlite3_file *f, int op, void *arg)
{ return REAL(f)->pMethods->xFileControl(REAL(f), op, arg); }
static int c_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int c_devchar(sqlite3_file *f)
{ return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int c_shmmap(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{ return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp); }
static int c_shmlock(sqlite3_file *f, int off, int n, int flags)
{ return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags); }
static void c_shmbarrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int c_shmunmap(sqlite3_file *f, int del)
{ return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }
static int c_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{ return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp); }
static int c_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{ return REAL(f)->pMethods->xUnfetch(REAL(f), off, p); }

/* by the parent's method table version: shm (2) and mmap (3) only when it
 * has them */
static sqlite3_io_methods c_io[3];

static int c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	(void)vfs;
	struct cfile *cf = (struct cfile *)f;
	cf->real = (sqlite3_file *)(cf + 1);
	int rc = parent_vfs->xOpen(parent_vfs, name, cf->real, flags, out);
	const sqlite3_io_methods *m = cf->real->pMethods;
	/* SQLite calls xClose whenever pMethods is set, even after a failure */
	cf->base.pMethods = m ? &c_io[(m->iVersion >= 3 ? 3 : m->iVersion < 1 ? 1 : m->iVersion) - 1]
			      : NULL;
	return rc;
}

static int c_delete(sqlite3_vfs *v, const char *name, int dirsync)
{ (void)v; return parent_vfs->xDelete(parent_vfs, name, dirsync); }
static int c_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{ (void)v; return parent_vfs->xAccess(parent_vfs, name, flags, out); }
static int c_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{ (void)v; return parent_vfs->xFullPathname(parent_vfs, name, n, out); }
static void *c_dlopen(sqlite3_vfs *v, const char *name)
{ (void)v; return parent_vfs->xDlOpen(parent_vfs, name); }
static void c_dlerror(sqlite3_vfs *v, int n, char *msg)
{ (void)v; parent_vfs->xDlError(parent_vfs, n, msg); }
static void (*c_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{ (void)v; return parent_vfs->xDlSym(parent_vfs, h, sym); }
static void c_dlclose(sqlite3_vfs *v, void *h) { (void)v; parent_vfs->xDlClose(parent_vfs, h); }
static int c_random(sqlite3_vfs *v, int n, char *out)
{ (void)v; return parent_vfs->xRandomness(parent_vfs, n, out); }
static int c_sleep(sqlite3_vfs *v, int us) { (void)v; return parent_vfs->xSleep(parent_vfs, us); }
static int c_time(sqlite3_vfs *v, double *out)
{ (void)v; return parent_vfs->xCurrentTime(parent_vfs, out); }
static int c_lasterr(sqlite3_vfs *v, int n, char *out)
{ (void)v; return parent_vfs->xGetLastError(parent_vfs, n, out); }
static int c_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{ (void)v; return parent_vfs->xCurrentTimeInt64(parent_vfs, out); }

static sqlite3_vfs counting_vfs;

void store_install_counting_vfs(void)
{
	if (parent_vfs)
		return;
	parent_vfs = sqlite3_vfs_find(NULL);
	if (!parent_vfs || parent_vfs->iVersion < 2)
		fatal("SQLite has no usable default VFS");
	for (int v = 1; v <= 3; v++) {
		sqlite3_io_methods *m = &c_io[v - 1];
		m->iVersion = v;
		m->xClose = c_close;
		m->xRead = c_read;
		m->xWrite = c_write;
		m->xTruncate = c_truncate;
		m->xSync = c_sync;
		m->xFileSize = c_size;
		m->xLock = c_lock;
		m->xUnlock = c_unlock;
		m->xCheckReservedLock = c_reserved;
		m->xFileControl = c_fcntl;
		m->xSectorSize = c_sector;
		m->xDeviceCharacteristics = c_devchar;
		if (v >= 2) {
			m->xShmMap = c_shmmap;
			m->xShmLock = c_shmlock;
			m->xShmBarrier = c_shmbarrier;
			m->xShmUnmap = c_shmunmap;
		}
		if (v >= 3) {
			m->xFetch = c_fetch;
			m->xUnfetch = c_unfetch;
		}
	}
	sqlite3_vfs *c = &counting_vfs;
	c->iVersion = 2;
	c->szOsFile = (int)sizeof(struct cfile) + parent_vfs->szOsFile;
	c->mxPathname = parent_vfs->mxPathname;
	c->zName = "ampsim-counting";
	c->xOpen = c_open;
	c->xDelete = c_delete;
	c->xAccess = c_access;
	c->xFullPathname = c_fullpath;
	c->xDlOpen = c_dlopen;
	c->xDlError = c_dlerror;
	c->xDlSym = c_dlsym;
	c->xDlClose = c_dlclose;
	c->xRandomness = c_random;
	c->xSleep = c_sleep;
	c->xCurrentTime = c_time;
	c->xGetLastError = c_lasterr;
	c->xCurrentTimeInt64 = c_time64;
	if (sqlite3_vfs_register(c, 1) != SQLITE_OK)
		fatal("cannot register SQLite's counting VFS");
}


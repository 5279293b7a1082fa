/* Human-readable diagnostics on stderr ("bob: ..."). Two tiers
 * (docs/architecture.md): fatal() is for our own bugs and aborts; log_warn() is for a peer's
 * or user's mistake, after which the daemon carries on. */
#ifndef AMPSIM_LOG_H
#define AMPSIM_LOG_H

#include <stdbool.h>
#include <stddef.h>

void log_init(const char *prog, bool verbose);
/* No warnings (fuzz targets, which provoke thousands); bugs still abort
 * with their message. */
void log_quiet(bool quiet);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Abort on allocation failure: running out of memory is not recoverable. */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/* Make a fresh private directory /tmp/PREFIX-?????? (mkdtemp) into buf;
 * false (errno set) if it cannot. */
bool make_temp_dir(const char *prefix, char *buf, size_t cap);

#endif

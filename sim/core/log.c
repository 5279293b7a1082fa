#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_prog = "ampsim";
static bool log_verbose;
static bool log_silent;

void log_quiet(bool quiet)
{
	log_silent = quiet;
}

void log_init(const char *prog, bool verbose)
{
	log_prog = prog;
	log_verbose = verbose;
}

static void vlog(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", log_prog, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	if (!log_verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	if (log_silent)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("BUG: ", fmt, ap);
	va_end(ap);
	abort();
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		fatal("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q)
		fatal("out of memory reallocating %zu bytes", size);
	return q;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		fatal("out of memory duplicating a string");
	return d;
}

bool make_temp_dir(const char *prefix, char *buf, size_t cap)
{
	/* mkdtemp replaces the last six characters, which must all be 'X' */
	int n = snprintf(buf, cap, "/tmp/%s-", prefix);
	if (n < 0 || (size_t)n + 7 > cap)
		return false;
	memset(buf + n, 'X', 6);
	buf[n + 6] = '\0';
	return mkdtemp(buf) != NULL;
}

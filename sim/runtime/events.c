#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timebase.h"

struct evlog {
	FILE *f;
	char node[16];
	const struct simclock *clk;
	const struct timebase *tb;     /* when set, the time events are stamped with */
	const uint64_t *now_us;        /* or this, when set */
	unsigned violations;
};

FILE *private_fopen(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	if (fchmod(fd, 0600) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	FILE *f = fdopen(fd, "w");
	if (!f)
		close(fd);
	return f;
}

void evlog_set_timebase(struct evlog *log, const struct timebase *tb)
{
	log->tb = tb;
}

void evlog_set_now(struct evlog *log, const uint64_t *now_us)
{
	log->now_us = now_us;
}

void evlog_flush(struct evlog *log)
{
	if (log && log->f)
		fflush(log->f);
}

struct evlog *evlog_open(const char *path, const char *node, const struct simclock *clk,
			 char *err, size_t errlen)
{
	struct evlog *log = xcalloc(1, sizeof(*log));
	snprintf(log->node, sizeof(log->node), "%s", node);
	log->clk = clk;
	if (path) {
		/* events hold preimages and AMP roots: readable by our user only */
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		log->f = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (!log->f) {
			if (fd >= 0)
				close(fd);
			snprintf(err, errlen, "%s: cannot open event log: %s", path, strerror(errno));
			free(log);
			return NULL;
		}
	}
	return log;
}

void evlog_close(struct evlog *log)
{
	if (!log)
		return;
	if (log->f)
		fclose(log->f);
	free(log);
}

/* The record's fields, in order, each as its type writes it. */
static void set_fields(json_t *obj, const struct evrec *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct evf *f = &r->f[i];
		switch (f->type) {
		case EVF_STR:
			json_set_str(obj, f->key, evrec_field_str(r, i));
			break;
		case EVF_U64:
			json_set_u64(obj, f->key, f->v.u64);
			break;
		case EVF_I64:
			json_object_set_new(obj, f->key, json_integer((json_int_t)f->v.i64));
			break;
		case EVF_BOOL:
			json_object_set_new(obj, f->key, json_boolean(f->v.b));
			break;
		case EVF_REAL:
			json_object_set_new(obj, f->key, json_real(f->v.real));
			break;
		}
	}
}

char *evline_format(const struct evrec *r, uint64_t sim_us, uint32_t height, const char *node)
{
	json_t *ev = json_object();
	json_object_set_new(ev, "t_ms", json_real((double)sim_us / 1000.0));
	json_object_set_new(ev, "height", json_integer(height));
	json_object_set_new(ev, "node", json_string(node));
	json_object_set_new(ev, "event", json_string(r->name));
	set_fields(ev, r);
	/* insertion order, so t_ms/height/node/event come first */
	char *line = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(ev);
	return line;
}

const char *evline_name(const char *line, size_t *len)
{
	const char *e = strstr(line, "\"event\":\"");
	if (!e)
		return NULL;
	e += 9;
	*len = strcspn(e, "\"");
	return e;
}

double evline_t_ms(const char *line)
{
	const char *t = strstr(line, "\"t_ms\":");
	return t ? strtod(t + 7, NULL) : 0;
}

void evlog_emit_rec(struct evlog *log, const struct evrec *r)
{
	/* no log file: nothing to format */
	if (!log->f)
		return;
	uint64_t sim = log->now_us ? *log->now_us
		     : log->tb ? timebase_now(log->tb) : simclock_now(log->clk);
	char *line = evline_format(r, sim, simclock_height_of(log->clk, sim), log->node);
	if (!line)
		return;
	fputs(line, log->f);
	fputc('\n', log->f);
	/* on the virtual clock the daemon flushes before it reports an
	 * instant done (timebase.c): one write per instant */
	if (!log->now_us && (!log->tb || !timebase_is_virtual(log->tb)))
		fflush(log->f);
	free(line);
}

void evlog_violation(struct evlog *log, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log->violations++;
	log_warn("INVARIANT VIOLATION: %s", msg);
	struct evrec r;
	evrec_init(&r, "invariant_violation");
	evrec_str(&r, "what", msg);
	evlog_emit_rec(log, &r);
}

unsigned evlog_violations(const struct evlog *log)
{
	return log->violations;
}

void json_set_hex(json_t *obj, const char *key, const uint8_t *bytes, size_t n)
{
	char hex[2 * 64 + 1];
	if (!obj)
		return;
	if (n > 64)
		n = 64;
	sodium_bin2hex(hex, sizeof(hex), bytes, n);
	json_object_set_new(obj, key, json_string(hex));
}

void json_set_u64(json_t *obj, const char *key, uint64_t v)
{
	/* json_int_t is signed 64-bit: above 2^63 - 1 only a real can say it
	 * (rounded), which beats a negative number */
	if (v > (uint64_t)INT64_MAX)
		json_object_set_new(obj, key, json_real((double)v));
	else
		json_object_set_new(obj, key, json_integer((json_int_t)v));
}

void json_set_str(json_t *obj, const char *key, const char *s)
{
	json_object_set_new(obj, key, json_string(s ? s : ""));
}

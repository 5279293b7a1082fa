#include "evrec.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

void evrec_init(struct evrec *r, const char *name)
{
	/* every event of every run passes here: a copy, not a format */
	size_t len = strlen(name);
	if (len >= sizeof(r->name))
		fatal("event name '%s' is too long", name);
	memcpy(r->name, name, len + 1);
	r->n = 0;
	r->used = 0;
}

static struct evf *field_new(struct evrec *r, const char *key, enum evf_type t)
{
	if (r->n == EVREC_MAX_FIELDS)
		fatal("event %s: more than %d fields", r->name, EVREC_MAX_FIELDS);
	struct evf *f = &r->f[r->n++];
	f->key = key;
	f->type = t;
	return f;
}

static size_t buf_put(struct evrec *r, const char *s, size_t len)
{
	if (r->used + len + 1 > sizeof(r->buf))
		fatal("event %s: fields longer than %d bytes", r->name, EVREC_BUF);
	size_t at = r->used;
	memcpy(r->buf + at, s, len);
	r->buf[at + len] = '\0';
	r->used += len + 1;
	return at;
}

void evrec_str(struct evrec *r, const char *key, const char *s)
{
	if (!s)
		s = "";
	struct evf *f = field_new(r, key, EVF_STR);
	f->v.str = buf_put(r, s, strlen(s));
}

void evrec_u64(struct evrec *r, const char *key, uint64_t v)
{
	field_new(r, key, EVF_U64)->v.u64 = v;
}

void evrec_i64(struct evrec *r, const char *key, int64_t v)
{
	field_new(r, key, EVF_I64)->v.i64 = v;
}

void evrec_bool(struct evrec *r, const char *key, bool v)
{
	field_new(r, key, EVF_BOOL)->v.b = v;
}

void evrec_real(struct evrec *r, const char *key, double v)
{
	field_new(r, key, EVF_REAL)->v.real = v;
}

void evrec_hex(struct evrec *r, const char *key, const uint8_t *bytes, size_t n)
{
	/* a table, not sodium_bin2hex: what is logged is no secret from the
	 * log, so its constant time buys nothing, and every event pays it */
	static const char digits[] = "0123456789abcdef";
	char hex[2 * 64 + 1];
	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 15];
	}
	hex[2 * n] = '\0';
	struct evf *f = field_new(r, key, EVF_STR);
	f->v.str = buf_put(r, hex, 2 * n);
}

const char *evrec_field_str(const struct evrec *r, size_t i)
{
	if (i >= r->n || r->f[i].type != EVF_STR)
		return NULL;
	return r->buf + r->f[i].v.str;
}

const struct evf *evrec_find(const struct evrec *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].key, key) == 0)
			return &r->f[i];
	return NULL;
}

#include "chain_wire.h"

#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *chain_op_name(enum chain_op op)
{
	switch (op) {
	case CHAIN_OP_SUBMIT: return "submit";
	case CHAIN_OP_CONFIRMED: return "confirmed";
	case CHAIN_OP_STATUS: return "status";
	}
	return "?";
}

static const char *result_name(enum chain_submit_result r)
{
	switch (r) {
	case CHAIN_ACCEPTED: return "accepted";
	case CHAIN_SPENT: return "spent";
	case CHAIN_INVALID: return "invalid";
	case CHAIN_UNREACHABLE: return NULL;   /* the client's own verdict: never sent */
	}
	return NULL;
}

/* the wire's names, this file's own: chain.c's are for logs */
static const char *kind_name(enum chain_kind k)
{
	switch (k) {
	case CHAIN_CLAIM: return "claim";
	case CHAIN_REFUND: return "refund";
	}
	return "?";
}

bool chain_wire_header(const uint8_t hdr[CHAIN_WIRE_HDR], uint32_t *len)
{
	*len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	return *len > 0 && *len <= CHAIN_WIRE_MAX;
}

/* ---- encoding ---------------------------------------------------------- */

static void set_hex(json_t *o, const char *key, const uint8_t *b, size_t n)
{
	char hex[2 * CHAIN_RULES_SIG_LEN + 1];
	sodium_bin2hex(hex, sizeof(hex), b, n);
	json_object_set_new(o, key, json_string(hex));
}

static json_t *tx_json(const struct chain_tx *tx)
{
	json_t *o = json_object();
	json_object_set_new(o, "channel", json_string(tx->channel));
	set_hex(o, "sender", tx->sender, CHAIN_RULES_KEY_LEN);
	set_hex(o, "receiver", tx->receiver, CHAIN_RULES_KEY_LEN);
	json_object_set_new(o, "htlc", json_integer((json_int_t)tx->htlc_id));
	json_object_set_new(o, "kind", json_string(kind_name(tx->kind)));
	if (tx->kind == CHAIN_CLAIM)
		set_hex(o, "preimage", tx->preimage, AMP_LEN);
	json_object_set_new(o, "sent_height", json_integer(tx->sent_height));
	json_object_set_new(o, "confirm_height", json_integer(tx->confirm_height));
	return o;
}

/* header and compact JSON into buf; consumes o */
static size_t frame(json_t *o, uint8_t *buf, size_t cap)
{
	size_t n = cap > CHAIN_WIRE_HDR ? json_dumpb(o, (char *)buf + CHAIN_WIRE_HDR,
						      cap - CHAIN_WIRE_HDR, JSON_COMPACT) : 0;
	json_decref(o);
	if (n == 0 || n > CHAIN_WIRE_MAX || n > cap - CHAIN_WIRE_HDR)
		return 0;
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	return n + CHAIN_WIRE_HDR;
}

static bool tx_sendable(const struct chain_tx *tx)
{
	size_t n = strnlen(tx->channel, sizeof(tx->channel));
	return n > 0 && n < sizeof(tx->channel) && tx->htlc_id <= (uint64_t)INT64_MAX;
}

size_t chain_wire_encode_request(const struct chain_request *r, uint8_t *buf, size_t cap)
{
	if (r->op == CHAIN_OP_STATUS) {
		json_t *o = json_object();
		json_object_set_new(o, "op", json_string(chain_op_name(r->op)));
		json_object_set_new(o, "height", json_integer(r->height));
		return frame(o, buf, cap);
	}
	/* a submit's output is its terms' */
	struct chain_tx tx = r->tx;
	const struct chain_terms *t = &r->proof.terms;
	if (r->op == CHAIN_OP_SUBMIT) {
		snprintf(tx.channel, sizeof(tx.channel), "%s", t->channel);
		memcpy(tx.sender, t->sender, CHAIN_RULES_KEY_LEN);
		memcpy(tx.receiver, t->receiver, CHAIN_RULES_KEY_LEN);
		tx.htlc_id = t->htlc_id;
	}
	if (!tx_sendable(&tx) || (r->op == CHAIN_OP_SUBMIT && t->amount_msat > (uint64_t)INT64_MAX))
		return 0;
	json_t *o = json_object();
	json_object_set_new(o, "op", json_string(chain_op_name(r->op)));
	json_object_set_new(o, "channel", json_string(tx.channel));
	set_hex(o, "sender", tx.sender, CHAIN_RULES_KEY_LEN);
	set_hex(o, "receiver", tx.receiver, CHAIN_RULES_KEY_LEN);
	json_object_set_new(o, "htlc", json_integer((json_int_t)tx.htlc_id));
	json_object_set_new(o, "height", json_integer(r->height));
	switch (r->op) {
	case CHAIN_OP_SUBMIT:
		json_object_set_new(o, "kind", json_string(kind_name(tx.kind)));
		if (tx.kind == CHAIN_CLAIM)
			set_hex(o, "preimage", tx.preimage, AMP_LEN);
		set_hex(o, "hash", t->payment_hash, AMP_LEN);
		json_object_set_new(o, "amount_msat", json_integer((json_int_t)t->amount_msat));
		json_object_set_new(o, "cltv_expiry", json_integer(t->cltv_expiry));
		set_hex(o, "sender_sig", r->proof.sender_sig, CHAIN_RULES_SIG_LEN);
		set_hex(o, "receiver_sig", r->proof.receiver_sig, CHAIN_RULES_SIG_LEN);
		set_hex(o, "sig", r->proof.spend_sig, CHAIN_RULES_SIG_LEN);
		break;
	case CHAIN_OP_CONFIRMED:
	case CHAIN_OP_STATUS:
		break;
	}
	return frame(o, buf, cap);
}

size_t chain_wire_encode_response(const struct chain_response *r, uint8_t *buf, size_t cap)
{
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_boolean(r->ok));
	if (!r->ok) {
		json_object_set_new(o, "error", json_string(r->error));
		return frame(o, buf, cap);
	}
	json_object_set_new(o, "op", json_string(chain_op_name(r->op)));
	switch (r->op) {
	case CHAIN_OP_SUBMIT: {
		const char *name = result_name(r->result);
		if (!name || (r->result == CHAIN_SPENT && !tx_sendable(&r->tx))) {
			json_decref(o);
			return 0;
		}
		json_object_set_new(o, "result", json_string(name));
		if (r->result == CHAIN_INVALID)
			json_object_set_new(o, "reason", json_string(r->reason));
		if (r->result == CHAIN_SPENT)
			json_object_set_new(o, "winner", tx_json(&r->tx));
		break;
	}
	case CHAIN_OP_CONFIRMED:
		if (r->found && !tx_sendable(&r->tx)) {
			json_decref(o);
			return 0;
		}
		json_object_set_new(o, "found", json_boolean(r->found));
		if (r->found)
			json_object_set_new(o, "tx", tx_json(&r->tx));
		break;
	case CHAIN_OP_STATUS:
		break;
	}
	return frame(o, buf, cap);
}

/* ---- decoding ---------------------------------------------------------- */

struct dec {
	char *err;
	size_t errlen;
};

static bool fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct dec *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
	return false;
}

/* Only the keys listed (NULL-terminated) may appear. */
static bool only_keys(struct dec *d, json_t *o, const char *const *keys)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		bool known = false;
		for (size_t i = 0; keys[i] && !known; i++)
			known = strcmp(k, keys[i]) == 0;
		if (!known)
			return fail(d, "unexpected field '%.40s'", k);
	}
	return true;
}

static bool get_uint(struct dec *d, json_t *o, const char *key, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return fail(d, "'%s' is missing", key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return fail(d, "'%s' must be an integer from 0 to %llu", key, (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static bool get_u32(struct dec *d, json_t *o, const char *key, uint32_t *out)
{
	uint64_t v;
	if (!get_uint(d, o, key, UINT32_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

static const char *get_str(struct dec *d, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		fail(d, "'%s' is missing", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		fail(d, "'%s' must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

static bool get_hex(struct dec *d, json_t *o, const char *key, uint8_t *out, size_t len)
{
	const char *s = get_str(d, o, key);
	if (!s)
		return false;
	size_t n = 0;
	const char *end = NULL;
	if (strlen(s) != 2 * len || sodium_hex2bin(out, len, s, strlen(s), NULL, &n, &end) != 0 ||
	    n != len || *end)
		return fail(d, "'%s' must be %zu hex digits", key, 2 * len);
	return true;
}

static bool get_hex32(struct dec *d, json_t *o, const char *key, uint8_t out[AMP_LEN])
{
	return get_hex(d, o, key, out, AMP_LEN);
}

/* the two nodes of an output's channel */
static bool get_nodes(struct dec *d, json_t *o, struct chain_tx *tx)
{
	return get_hex(d, o, "sender", tx->sender, CHAIN_RULES_KEY_LEN) &&
	       get_hex(d, o, "receiver", tx->receiver, CHAIN_RULES_KEY_LEN);
}

/* A channel id as the wire's BOLT messages allow: 1..31 printable
 * characters (what a log line or a SQLite text can carry safely). */
static bool get_channel(struct dec *d, json_t *o, char out[32])
{
	const char *s = get_str(d, o, "channel");
	if (!s)
		return false;
	size_t n = strlen(s);
	if (n == 0 || n > 31)
		return fail(d, "'channel' must be 1 to 31 characters");
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return fail(d, "'channel' must be printable ASCII without spaces");
	memcpy(out, s, n + 1);
	return true;
}

static bool get_kind(struct dec *d, json_t *o, enum chain_kind *k)
{
	const char *s = get_str(d, o, "kind");
	if (!s)
		return false;
	if (strcmp(s, "claim") == 0)
		*k = CHAIN_CLAIM;
	else if (strcmp(s, "refund") == 0)
		*k = CHAIN_REFUND;
	else
		return fail(d, "'kind' must be claim or refund");
	return true;
}

static json_t *parse(struct dec *d, const uint8_t *body, size_t len)
{
	json_error_t je;
	json_t *o = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		fail(d, "not JSON: %s", je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		fail(d, "not a JSON object");
		return NULL;
	}
	return o;
}

static bool decode_tx(struct dec *d, json_t *o, struct chain_tx *tx)
{
	static const char *const claim_keys[] = { "channel", "sender", "receiver", "htlc", "kind",
						  "preimage", "sent_height", "confirm_height", NULL };
	if (!json_is_object(o))
		return fail(d, "a transaction must be a JSON object");
	memset(tx, 0, sizeof(*tx));
	if (!only_keys(d, o, claim_keys) || !get_channel(d, o, tx->channel) || !get_nodes(d, o, tx) ||
	    !get_uint(d, o, "htlc", INT64_MAX, &tx->htlc_id) || !get_kind(d, o, &tx->kind) ||
	    !get_u32(d, o, "sent_height", &tx->sent_height) ||
	    !get_u32(d, o, "confirm_height", &tx->confirm_height))
		return false;
	if (tx->kind == CHAIN_CLAIM)
		return get_hex32(d, o, "preimage", tx->preimage);
	if (json_object_get(o, "preimage"))
		return fail(d, "a refund carries no preimage");
	return true;
}

/* A submit's terms and signatures; its output (tx) is the terms'. */
static bool decode_proof(struct dec *d, json_t *o, const struct chain_tx *tx,
			 struct chain_proof *p)
{
	struct chain_terms *t = &p->terms;
	memcpy(t->channel, tx->channel, sizeof(tx->channel));
	memcpy(t->sender, tx->sender, CHAIN_RULES_KEY_LEN);
	memcpy(t->receiver, tx->receiver, CHAIN_RULES_KEY_LEN);
	t->htlc_id = tx->htlc_id;
	return get_hex32(d, o, "hash", t->payment_hash) &&
	       get_uint(d, o, "amount_msat", INT64_MAX, &t->amount_msat) &&
	       get_u32(d, o, "cltv_expiry", &t->cltv_expiry) &&
	       get_hex(d, o, "sender_sig", p->sender_sig, CHAIN_RULES_SIG_LEN) &&
	       get_hex(d, o, "receiver_sig", p->receiver_sig, CHAIN_RULES_SIG_LEN) &&
	       get_hex(d, o, "sig", p->spend_sig, CHAIN_RULES_SIG_LEN);
}

bool chain_wire_decode_request(const uint8_t *body, size_t len, struct chain_request *out,
			       char *err, size_t errlen)
{
	static const char *const submit_keys[] = { "op", "channel", "sender", "receiver", "htlc",
						   "height", "kind", "preimage", "hash",
						   "amount_msat", "cltv_expiry", "sender_sig",
						   "receiver_sig", "sig", NULL };
	static const char *const confirmed_keys[] = { "op", "channel", "sender", "receiver", "htlc",
						      "height", NULL };
	static const char *const status_keys[] = { "op", "height", NULL };
	struct dec d = { err, errlen };
	memset(out, 0, sizeof(*out));
	json_t *o = parse(&d, body, len);
	if (!o)
		return false;
	bool ok = false;
	const char *op = get_str(&d, o, "op");
	if (!op)
		goto out;
	if (strcmp(op, "submit") == 0)
		out->op = CHAIN_OP_SUBMIT;
	else if (strcmp(op, "confirmed") == 0)
		out->op = CHAIN_OP_CONFIRMED;
	else if (strcmp(op, "status") == 0)
		out->op = CHAIN_OP_STATUS;
	else {
		fail(&d, "unknown op '%.40s' (expected submit, confirmed or status)", op);
		goto out;
	}
	if (out->op == CHAIN_OP_STATUS) {
		ok = only_keys(&d, o, status_keys) && get_u32(&d, o, "height", &out->height);
		goto out;
	}
	if (!only_keys(&d, o, out->op == CHAIN_OP_SUBMIT ? submit_keys : confirmed_keys) ||
	    !get_channel(&d, o, out->tx.channel) ||
	    !get_uint(&d, o, "htlc", INT64_MAX, &out->tx.htlc_id) ||
	    !get_u32(&d, o, "height", &out->height) || !get_nodes(&d, o, &out->tx))
		goto out;
	switch (out->op) {
	case CHAIN_OP_SUBMIT:
		if (!get_kind(&d, o, &out->tx.kind) || !decode_proof(&d, o, &out->tx, &out->proof))
			goto out;
		if (out->tx.kind == CHAIN_CLAIM && !get_hex32(&d, o, "preimage", out->tx.preimage))
			goto out;
		if (out->tx.kind == CHAIN_REFUND && json_object_get(o, "preimage")) {
			fail(&d, "a refund carries no preimage");
			goto out;
		}
		break;
	case CHAIN_OP_CONFIRMED:
	case CHAIN_OP_STATUS:
		break;
	}
	ok = true;
out:
	json_decref(o);
	return ok;
}

bool chain_wire_decode_response(const uint8_t *body, size_t len, struct chain_response *out,
				char *err, size_t errlen)
{
	static const char *const error_keys[] = { "ok", "error", NULL };
	static const char *const submit_keys[] = { "ok", "op", "result", "winner", "reason", NULL };
	static const char *const confirmed_keys[] = { "ok", "op", "found", "tx", NULL };
	static const char *const status_keys[] = { "ok", "op", NULL };
	struct dec d = { err, errlen };
	memset(out, 0, sizeof(*out));
	json_t *o = parse(&d, body, len);
	if (!o)
		return false;
	bool ok = false;
	json_t *v = json_object_get(o, "ok");
	if (!json_is_boolean(v)) {
		fail(&d, "'ok' must be true or false");
		goto out;
	}
	out->ok = json_is_true(v);
	if (!out->ok) {
		const char *e = get_str(&d, o, "error");
		if (!e || !only_keys(&d, o, error_keys))
			goto out;
		snprintf(out->error, sizeof(out->error), "%s", e);
		ok = true;
		goto out;
	}
	const char *op = get_str(&d, o, "op");
	if (!op)
		goto out;
	if (strcmp(op, "submit") == 0) {
		out->op = CHAIN_OP_SUBMIT;
		const char *r = get_str(&d, o, "result");
		if (!r || !only_keys(&d, o, submit_keys))
			goto out;
		if (strcmp(r, "accepted") == 0)
			out->result = CHAIN_ACCEPTED;
		else if (strcmp(r, "spent") == 0)
			out->result = CHAIN_SPENT;
		else if (strcmp(r, "invalid") == 0)
			out->result = CHAIN_INVALID;
		else {
			fail(&d, "unknown result '%.40s'", r);
			goto out;
		}
		json_t *why = json_object_get(o, "reason");
		if ((out->result == CHAIN_INVALID) != (why != NULL) || (why && !json_is_string(why))) {
			fail(&d, "'reason' comes with an invalid result, and only then, as a string");
			goto out;
		}
		if (why)
			snprintf(out->reason, sizeof(out->reason), "%s", json_string_value(why));
		json_t *w = json_object_get(o, "winner");
		if (out->result == CHAIN_SPENT) {
			if (!w) {
				fail(&d, "a spent output comes with its winner");
				goto out;
			}
			if (!decode_tx(&d, w, &out->tx))
				goto out;
			out->found = true;
		} else if (w) {
			fail(&d, "only a spent output has a winner");
			goto out;
		}
	} else if (strcmp(op, "confirmed") == 0) {
		out->op = CHAIN_OP_CONFIRMED;
		json_t *f = json_object_get(o, "found");
		if (!only_keys(&d, o, confirmed_keys))
			goto out;
		if (!json_is_boolean(f)) {
			fail(&d, "'found' must be true or false");
			goto out;
		}
		out->found = json_is_true(f);
		json_t *t = json_object_get(o, "tx");
		if (out->found != (t != NULL)) {
			fail(&d, "'tx' comes with found = true, and only then");
			goto out;
		}
		if (t && !decode_tx(&d, t, &out->tx))
			goto out;
	} else if (strcmp(op, "status") == 0) {
		out->op = CHAIN_OP_STATUS;
		if (!only_keys(&d, o, status_keys))
			goto out;
	} else {
		fail(&d, "unknown op '%.40s'", op);
		goto out;
	}
	ok = true;
out:
	json_decref(o);
	return ok;
}

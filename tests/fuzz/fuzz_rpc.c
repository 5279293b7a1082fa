/* Fuzz target: control-socket requests. The input is what a client
 * writes: lines, each answered by rpc_answer (the socket's parser and
 * dispatcher) over a method table whose handlers are the daemons' shared
 * parameter checks: a fault request (fault_request_parse) applied to two
 * channels as a daemon applies it (chan_fault) and then carried by their
 * links, and the unit parsers the methods call (amounts, durations,
 * blocks, payment modes, invoices). Every answer must be one JSON-RPC 2.0
 * response: its id the request's, exactly one of result and error, a
 * known error code, and it must serialise. */
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "daemon.h"
#include "fuzz.h"
#include "invoice.h"
#include "log.h"
#include "rpc.h"
#include "units.h"

const char *fuzz_name = "rpc";

#define NCHANS 2
static struct chan chans[NCHANS];

static void check_chan(const struct chan *c)
{
	if (!ledger_conserves(&c->ledger))
		abort();
	/* what a faulted link does to the next messages: sane verdicts */
	struct link l = c->out;
	for (int k = 0; k < MSG_KIND_COUNT; k++) {
		struct link_verdict v = link_decide(&l, (enum msg_kind)k);
		if (v.fate != LINK_DELIVER && v.fate != LINK_DROP && v.fate != LINK_HOLD)
			abort();
		if (v.fate == LINK_DELIVER && v.copies != 1 && v.copies != 2)
			abort();
	}
}

static json_t *m_fault(json_t *params, void *arg, struct rpc_err *err)
{
	(void)arg;
	struct fault_config f;
	const char *channel;
	bool lift;
	if (!fault_request_parse(params, &f, &channel, &lift, err))
		return NULL;
	size_t only = SIZE_MAX;
	for (size_t i = 0; channel && i < NCHANS; i++)
		if (strcmp(chans[i].ledger.id, channel) == 0)
			only = i;
	if (channel && only == SIZE_MAX)
		return rpc_fail(err, RPC_INVALID_PARAMS, "unknown channel '%s'", channel);
	for (size_t i = 0; i < NCHANS; i++)
		if (!channel || i == only) {
			chan_fault(&chans[i], DIR_TO_ALICE, &f, lift);
			check_chan(&chans[i]);
		}
	return json_pack("{s:b}", "ok", 1);
}

static json_t *m_channels(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)arg;
	(void)err;
	json_t *r = json_object();
	for (size_t i = 0; i < NCHANS; i++)
		json_object_set_new(r, chans[i].ledger.id, chan_json(&chans[i]));
	return r;
}

/* pay's and invoice's parameters, through the parsers they use */
static json_t *m_pay(json_t *params, void *arg, struct rpc_err *err)
{
	(void)arg;
	const char *why;
	json_t *r = json_object();
	const char *amt = json_string_value(json_object_get(params, "amount"));
	struct amount_msat a;
	if (amt) {
		if (!amount_parse(amt, &a, &why)) {
			json_decref(r);
			return rpc_fail(err, RPC_INVALID_PARAMS, "amount '%s': %s", amt, why);
		}
		json_set_u64(r, "amount_msat", a.millisatoshis);
	}
	const char *mode = json_string_value(json_object_get(params, "mode"));
	enum pay_mode pm;
	if (mode && !pay_mode_parse(mode, &pm)) {
		json_decref(r);
		return rpc_fail(err, RPC_INVALID_PARAMS, "mode '%s'", mode);
	}
	const char *expiry = json_string_value(json_object_get(params, "expiry"));
	uint32_t blocks;
	if (expiry) {
		if (!blocks_parse(expiry, &blocks, &why)) {
			json_decref(r);
			return rpc_fail(err, RPC_INVALID_PARAMS, "expiry '%s': %s", expiry, why);
		}
		json_object_set_new(r, "expiry", json_integer(blocks));
	}
	const char *timeout = json_string_value(json_object_get(params, "timeout"));
	uint64_t us;
	if (timeout) {
		if (!duration_parse(timeout, &us, &why)) {
			json_decref(r);
			return rpc_fail(err, RPC_INVALID_PARAMS, "timeout '%s': %s", timeout, why);
		}
		json_set_u64(r, "timeout_us", us);
	}
	const char *inv = json_string_value(json_object_get(params, "invoice"));
	if (inv) {
		struct invoice i;
		char w[128];
		if (!invoice_decode(inv, &i, w, sizeof(w))) {
			json_decref(r);
			return rpc_fail(err, RPC_INVALID_PARAMS, "invoice: %s", w);
		}
		json_set_u64(r, "invoice_msat", i.amount.millisatoshis);
		json_set_str(r, "description", i.description);
	}
	return r;
}

static json_t *m_refuse(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)arg;
	(void)err;
	return NULL;   /* a handler that fails without saying why */
}

static const struct rpc_method methods[] = {
	{ "fault", m_fault, "fault {channel, direction, action, lift}" },
	{ "channels", m_channels, "channels" },
	{ "pay", m_pay, "pay {amount, mode, expiry, timeout, invoice}" },
	{ "refuse", m_refuse, NULL },
	{ NULL, NULL, NULL },
};

static void check_answer(const char *line, json_t *resp)
{
	const char *version = json_string_value(json_object_get(resp, "jsonrpc"));
	if (!json_is_object(resp) || !version || strcmp(version, "2.0") != 0)
		abort();
	json_t *result = json_object_get(resp, "result"), *error = json_object_get(resp, "error");
	if (!result == !error || json_object_size(resp) != 3)
		abort();
	if (error) {
		json_int_t code = json_integer_value(json_object_get(error, "code"));
		if (code != RPC_PARSE_ERROR && code != RPC_INVALID_REQUEST &&
		    code != RPC_METHOD_NOT_FOUND && code != RPC_INVALID_PARAMS &&
		    code != RPC_INTERNAL_ERROR && code != RPC_REFUSED)
			abort();
		if (!json_is_string(json_object_get(error, "message")))
			abort();
	}
	/* the answer carries the request's id (null when it has none) */
	json_t *req = json_loads(line, 0, NULL);
	json_t *id = json_object_get(req, "id");
	json_t *rid = json_object_get(resp, "id");
	if (id ? !json_equal(rid, id) && !(json_is_null(id) && json_is_null(rid)) : !json_is_null(rid))
		abort();
	json_decref(req);
	char *s = json_dumps(resp, JSON_COMPACT);
	if (!s || strchr(s, '\n'))
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_quiet(true);
	struct link_params lp = { .delay_us = 1000 };
	for (size_t i = 0; i < NCHANS; i++) {
		memset(&chans[i], 0, sizeof(chans[i]));
		ledger_init(&chans[i].ledger, i ? "c2" : "c1", amount_msat(FUZZ_BTC),
			    amount_msat(FUZZ_BTC / 2), 483, amount_msat(1));
		link_init(&chans[i].out, &lp, 7, chans[i].ledger.id, "to_alice");
		chans[i].base_out = lp;
		chans[i].accepted = true;
	}
	/* the socket's framing: one request a line, empty lines skipped, a
	 * line is at most RPC_LINE_MAX bytes */
	char *line = malloc(size + 1);
	size_t off = 0;
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t n = nl ? (size_t)(nl - (data + off)) : size - off;
		if (n > RPC_LINE_MAX)
			break;
		memcpy(line, data + off, n);
		line[n] = '\0';
		off += n + 1;
		if (!n)
			continue;
		json_t *resp = rpc_answer(methods, NULL, line);
		check_answer(line, resp);
		json_decref(resp);
	}
	free(line);
	for (size_t i = 0; i < NCHANS; i++)
		chan_free(&chans[i]);
	return 0;
}

static size_t seed(struct fuzz_seed *s, const char *text)
{
	s->len = strlen(text);
	s->data = malloc(s->len);
	memcpy(s->data, text, s->len);
	return 1;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	(void)max;
	size_t n = 0;
	n += seed(&seeds[n], "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"help\"}\n"
			     "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"channels\",\"params\":[]}\n");
	n += seed(&seeds[n], "{\"id\":2,\"method\":\"fault\",\"params\":{\"channel\":\"c1\","
			     "\"direction\":\"to_alice\",\"action\":\"drop=0.5\"}}\n"
			     "{\"id\":3,\"method\":\"fault\",\"params\":{\"channel\":\"c1\","
			     "\"action\":\"drop=0.5\",\"lift\":true}}\n"
			     "{\"id\":4,\"method\":\"fault\",\"params\":{\"action\":\"partition\"}}\n");
	n += seed(&seeds[n], "{\"id\":5,\"method\":\"fault\",\"params\":{\"channel\":\"c2\","
			     "\"action\":\"delay=20ms\"}}\n"
			     "{\"id\":6,\"method\":\"fault\",\"params\":{\"channel\":\"c2\","
			     "\"action\":\"loss=ge:0.1,0.5\"}}\n"
			     "{\"id\":7,\"method\":\"fault\",\"params\":{\"channel\":\"c2\","
			     "\"action\":\"duplicate=0.2\"}}\n"
			     "{\"id\":11,\"method\":\"fault\",\"params\":{\"channel\":\"c1\","
			     "\"action\":\"drop=add#2\"}}\n"
			     "{\"id\":12,\"method\":\"fault\",\"params\":{\"channel\":\"c1\","
			     "\"action\":\"jitter=5ms\"}}\n{\"id\":13,\"method\":\"fault\","
			     "\"params\":{\"channel\":\"c1\",\"action\":\"down\"}}\n");
	n += seed(&seeds[n], "{\"id\":8,\"method\":\"pay\",\"params\":{\"amount\":\"1.5btc\","
			     "\"mode\":\"amp\",\"expiry\":\"40blocks\",\"timeout\":\"30s\"}}\n"
			     "{\"id\":9,\"method\":\"nope\"}\n{\"id\":10,\"method\":\"refuse\"}\n"
			     "[1,2]\n{\"method\":3}\nnot json\n");
	return n;
}

/* Fuzz target: control-socket requests. The input is what a client
 * writes: lines, each answered by rpc_answer (the socket's parser and
 * dispatcher) over a method table made of the daemons' own parameter
 * checks: a fault request (fault_request_parse) applied to two channels
 * as a daemon applies it (chan_fault) and then carried by their links;
 * alice's pay (pay_params_parse, then her engine starts the payment on
 * two channels, with one payment already made) and bench
 * (bench_params_parse). Every answer must be one JSON-RPC 2.0 response:
 * its id the request's, exactly one of result and error, a known error
 * code and a message, and it must serialise; the channels must conserve
 * their balances. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "alice_params.h"
#include "amount.h"
#include "daemon.h"
#include "fuzz.h"
#include "invoice.h"
#include "log.h"
#include "msg.h"
#include "noise.h"
#include "rpc.h"
#include "split.h"

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

/* Bob's node (the fuzz's fixed key): an invoice it signed is paid. */
static uint8_t bob_priv[NOISE_PRIVKEY_LEN], bob_id[NOISE_PUBKEY_LEN];
static struct pay_engine eng;
static uint64_t now_us;

static void check_engine(void)
{
	for (size_t i = 0; i < eng.nchans; i++)
		if (!ledger_conserves(&eng.chans[i].ledger))
			abort();
}

/* alice's pay: her checks, then her engine starts it */
static json_t *m_pay(json_t *params, void *arg, struct rpc_err *err)
{
	(void)arg;
	struct pay_params pp;
	if (!pay_params_parse(params, &eng, bob_id, &pp, err))
		return NULL;
	pp.req.deadline_us = now_us + pp.timeout_us;
	struct actions out;
	actions_init(&out);
	const struct payment *p = pay_engine_pay(&eng, &pp.req, now_us, &out);
	if (!p || strcmp(p->id, pp.req.id) != 0)
		abort();
	actions_free(&out);
	check_engine();
	now_us += FUZZ_SEC;
	json_t *r = json_object();
	json_set_str(r, "id", p->id);
	json_set_str(r, "outcome", outcome_name(p->outcome));
	return r;
}

static json_t *m_bench(json_t *params, void *arg, struct rpc_err *err)
{
	(void)arg;
	struct bench_params bp;
	if (!bench_params_parse(params, &bp, err))
		return NULL;
	if ((bp.payments == 0) == (bp.seconds_us == 0) || bp.concurrency == 0 ||
	    bp.shards > SPLIT_MAX_PARTS)
		abort();
	return json_pack("{s:b}", "ok", 1);
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
	{ "pay", m_pay, "pay {id, amount, mode, shards, expiry, timeout} or {invoice}" },
	{ "bench", m_bench, "bench {payments | seconds, concurrency, mode, shards, amount}" },
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

static void start_engine(void)
{
	if (!bob_id[0]) {
		memset(bob_priv, 0x33, sizeof(bob_priv));
		if (noise_pubkey_from_privkey(bob_priv, bob_id) != NOISE_OK)
			abort();
	}
	struct simclock clk = { .epoch_unix_us = 0, .block_interval_us = FUZZ_SEC, .time_scale = 1 };
	struct pay_rand r = { fuzz_fixed_random, NULL };
	pay_engine_init(&eng, &clk, 7, ALICE_HONEST, &r);
	for (int i = 0; i < 2; i++) {
		struct channel_config cc;
		memset(&cc, 0, sizeof(cc));
		strcpy(cc.id, i ? "c2" : "c1");
		cc.capacity = cc.alice = amount_msat(FUZZ_BTC);
		cc.max_htlcs = 483;
		cc.htlc_minimum = amount_msat(1);
		pay_engine_add_channel(&eng, &cc);
	}
	struct actions out;
	actions_init(&out);
	struct msg m;
	struct msg_init mi = { .version = PROTOCOL_VERSION };
	pay_engine_connected(&eng, false, &out);
	pay_engine_on_init(&eng, msg_init(&m, &mi)->init, &out);
	pay_engine_on_accept(&eng, msg_accept_channel(&m, "c1")->accept_channel, 0, &out);
	pay_engine_on_accept(&eng, msg_accept_channel(&m, "c2")->accept_channel, 0, &out);
	struct pay_request req = { .id = "p1", .mode = PAY_AMP, .amount = amount_msat(FUZZ_BTC / 2),
				   .expiry_blocks = 40, .deadline_us = 60 * FUZZ_SEC };
	pay_engine_pay(&eng, &req, 0, &out);
	actions_free(&out);
	now_us = FUZZ_SEC;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_quiet(true);
	start_engine();
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
	pay_engine_free(&eng);
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
	n += seed(&seeds[n], "{\"id\":8,\"method\":\"pay\",\"params\":{\"amount\":\"0.5btc\","
			     "\"mode\":\"amp\",\"shards\":3,\"expiry\":\"40blocks\",\"timeout\":\"30s\"}}\n"
			     "{\"id\":14,\"method\":\"pay\",\"params\":{\"id\":\"p1\",\"amount\":1000}}\n"
			     "{\"id\":15,\"method\":\"pay\",\"params\":{\"id\":\"s-1\",\"amount\":\"1500sat\","
			     "\"mode\":\"single\",\"expiry\":60}}\n"
			     "{\"id\":16,\"method\":\"bench\",\"params\":{\"payments\":100,"
			     "\"concurrency\":4,\"mode\":\"mpp\",\"shards\":2,\"amount\":\"1sat\"}}\n"
			     "{\"id\":9,\"method\":\"nope\"}\n{\"id\":10,\"method\":\"refuse\"}\n"
			     "[1,2]\n{\"method\":3}\nnot json\n");
	/* an invoice Bob's node signed, paid in mpp, then again */
	start_engine();
	struct invoice inv;
	memset(&inv, 0, sizeof(inv));
	inv.amount = amount_msat(FUZZ_BTC / 4);
	memset(inv.payment_hash, 0x17, sizeof(inv.payment_hash));
	memset(inv.payment_secret, 0x18, sizeof(inv.payment_secret));
	inv.min_final_cltv_expiry = 18;
	inv.created_height = 3;
	strcpy(inv.description, "coffee");
	uint8_t digest[32];
	invoice_digest(&inv, digest);
	if (!noise_sign(bob_priv, digest, inv.signature))
		abort();
	inv.has_signature = true;
	char text[INVOICE_TEXT_MAX], line[3 * INVOICE_TEXT_MAX];
	if (!invoice_encode(&inv, text, sizeof(text)))
		abort();
	snprintf(line, sizeof(line), "{\"id\":20,\"method\":\"pay\",\"params\":{\"invoice\":\"%s\","
		 "\"expiry\":\"40\"}}\n{\"id\":21,\"method\":\"pay\",\"params\":{\"invoice\":\"%s\","
		 "\"mode\":\"single\",\"id\":\"inv2\"}}\n", text, text);
	n += seed(&seeds[n], line);
	pay_engine_free(&eng);
	return n;
}

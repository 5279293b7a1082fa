/* The parameters of alice's pay and bench methods (alice_params.h). */
#include "alice_params.h"

#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "split.h"
#include "units.h"

static bool param_amount(json_t *params, const char *key, struct amount_msat *out,
			 struct rpc_err *err)
{
	json_t *v = json_object_get(params, key);
	const char *why;
	if (json_is_string(v)) {
		if (!amount_parse(json_string_value(v), out, &why)) {
			rpc_fail(err, RPC_INVALID_PARAMS, "%s '%s': %s", key, json_string_value(v), why);
			return false;
		}
		return true;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = amount_msat((uint64_t)json_integer_value(v));
		return true;
	}
	rpc_fail(err, RPC_INVALID_PARAMS, "%s: expected an amount such as \"1btc\"", key);
	return false;
}

/* A pasted invoice: only one of the bob alice reaches (BOLT #8), paid in
 * mode single or mpp (mpp when no mode is given). */
static bool pay_invoice_parse(const char *invtext, const char *mode,
			      const uint8_t bob_id[NOISE_PUBKEY_LEN], struct pay_params *pp,
			      struct rpc_err *err)
{
	struct pay_request *p = &pp->req;
	char w[128];
	if (!invoice_decode(invtext, &pp->inv, w, sizeof(w))) {
		rpc_fail(err, RPC_INVALID_PARAMS, "invoice: %s", w);
		return false;
	}
	/* only an invoice of the node alice reaches (BOLT #8) is paid */
	uint8_t digest[32];
	invoice_digest(&pp->inv, digest);
	if (!pp->inv.has_signature || !noise_verify(bob_id, digest, pp->inv.signature)) {
		rpc_fail(err, RPC_INVALID_PARAMS,
			 "invoice: not signed by the bob this alice is connected to");
		return false;
	}
	if (!mode)
		p->mode = PAY_MPP;
	if (p->mode != PAY_MPP && p->mode != PAY_SINGLE) {
		rpc_fail(err, RPC_INVALID_PARAMS, "an invoice is paid in mode single or mpp");
		return false;
	}
	p->amount = pp->inv.amount;
	p->min_final_cltv = pp->inv.min_final_cltv_expiry;
	p->inv_hash = pp->inv.payment_hash;
	p->inv_secret = pp->inv.payment_secret;
	return true;
}

bool pay_params_parse(json_t *params, struct pay_engine *e,
		      const uint8_t bob_id[NOISE_PUBKEY_LEN], struct pay_params *pp,
		      struct rpc_err *err)
{
	const char *id = json_string_value(json_object_get(params, "id"));
	const char *mode = json_string_value(json_object_get(params, "mode"));
	const char *expiry = json_string_value(json_object_get(params, "expiry"));
	const char *timeout = json_string_value(json_object_get(params, "timeout"));
	const char *invtext = json_string_value(json_object_get(params, "invoice"));
	json_t *shards = json_object_get(params, "shards");
	struct pay_request *p = &pp->req;
	const char *why;

	memset(pp, 0, sizeof(*pp));
	p->mode = PAY_AMP;
	p->expiry_blocks = 40;
	pp->timeout_us = 60ULL * 1000000;
	if (!id) {
		for (uint64_t n = e->last_seq + 1;; n++) {
			snprintf(pp->autoid, sizeof(pp->autoid), "pay%llu", (unsigned long long)n);
			if (!pay_engine_find_pay(e, pp->autoid))
				break;
		}
		id = pp->autoid;
	}
	if (strlen(id) >= SCN_ID_MAX || !id[0] || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(id)) {
		rpc_fail(err, RPC_INVALID_PARAMS,
			 "id must be 1..%d letters, digits, '_' or '-' (as in scenario files)",
			 SCN_ID_MAX - 1);
		return false;
	}
	if (pay_engine_find_pay(e, id)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "payment '%s' already exists", id);
		return false;
	}
	p->id = id;
	if (mode && !pay_mode_parse(mode, &p->mode)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "mode '%s': expected single, invoices, mpp or amp",
			 mode);
		return false;
	}
	if (invtext) {
		if (!pay_invoice_parse(invtext, mode, bob_id, pp, err))
			return false;
	} else if (!param_amount(params, "amount", &p->amount, err)) {
		return false;
	}
	if (amount_is_zero(p->amount)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "amount must be above zero");
		return false;
	}
	if (shards) {
		if (!json_is_integer(shards) || json_integer_value(shards) < 0 ||
		    json_integer_value(shards) > SPLIT_MAX_PARTS) {
			rpc_fail(err, RPC_INVALID_PARAMS, "shards must be 0..%d", SPLIT_MAX_PARTS);
			return false;
		}
		p->shards = (uint32_t)json_integer_value(shards);
		if (p->mode == PAY_SINGLE && p->shards > 1) {
			rpc_fail(err, RPC_INVALID_PARAMS,
				 "a single payment has one part: shards must be 0 or 1");
			return false;
		}
	}
	if (expiry && !blocks_parse(expiry, &p->expiry_blocks, &why)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "expiry '%s': %s", expiry, why);
		return false;
	}
	if (json_is_integer(json_object_get(params, "expiry")))
		p->expiry_blocks = (uint32_t)json_integer_value(json_object_get(params, "expiry"));
	if (p->expiry_blocks == 0) {
		rpc_fail(err, RPC_INVALID_PARAMS, "expiry must be at least 1 block");
		return false;
	}
	if (invtext && p->expiry_blocks <= p->min_final_cltv) {
		rpc_fail(err, RPC_INVALID_PARAMS,
			 "expiry of %u blocks is within the invoice's min_final_cltv_expiry of %u",
			 p->expiry_blocks, p->min_final_cltv);
		return false;
	}
	if (timeout && !duration_parse(timeout, &pp->timeout_us, &why)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "timeout '%s': %s", timeout, why);
		return false;
	}
	return true;
}

bool bench_params_parse(json_t *params, struct bench_params *bp, struct rpc_err *err)
{
	json_t *n = json_object_get(params, "payments"), *c = json_object_get(params, "concurrency");
	const char *mode = json_string_value(json_object_get(params, "mode"));
	json_t *shards = json_object_get(params, "shards");
	json_t *secs = json_object_get(params, "seconds");
	memset(bp, 0, sizeof(*bp));
	if (n && (!json_is_integer(n) || json_integer_value(n) < 1 || json_integer_value(n) > 10000000)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "payments must be 1..10000000");
		return false;
	}
	if (!n && (!json_is_number(secs) || json_number_value(secs) <= 0 ||
		   json_number_value(secs) > 3600)) {
		rpc_fail(err, RPC_INVALID_PARAMS,
			 "give payments (1..10000000) or seconds (above 0, at most 3600)");
		return false;
	}
	if (!json_is_integer(c) || json_integer_value(c) < 1 || json_integer_value(c) > 100000) {
		rpc_fail(err, RPC_INVALID_PARAMS, "concurrency must be 1..100000");
		return false;
	}
	bp->mode = PAY_SINGLE;
	if ((mode && !pay_mode_parse(mode, &bp->mode)) || bp->mode == PAY_INVOICES) {
		rpc_fail(err, RPC_INVALID_PARAMS, "mode must be single, mpp or amp");
		return false;
	}
	if (shards && (!json_is_integer(shards) || json_integer_value(shards) < 0 ||
		       json_integer_value(shards) > SPLIT_MAX_PARTS)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "shards must be 0..%d", SPLIT_MAX_PARTS);
		return false;
	}
	bp->shards = shards ? (uint32_t)json_integer_value(shards) : 0;
	if (!param_amount(params, "amount", &bp->amount, err))
		return false;
	bp->payments = n ? (uint64_t)json_integer_value(n) : 0;
	bp->seconds_us = n ? 0 : (uint64_t)(json_number_value(secs) * 1e6);
	bp->concurrency = (uint64_t)json_integer_value(c);
	return true;
}

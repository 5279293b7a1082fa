/* ampsim pay|invoice|channels|payments|fault|call: one JSON-RPC request to
 * a running daemon's control socket, the answer printed as JSON; and
 * step|continue, the same to a stepped run's socket. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "proto_limits.h"
#include "rpc.h"
#include "rpc_client.h"

static void rpc_usage(FILE *f, const char *cmd)
{
	fprintf(f, "usage: ampsim %s --control SOCK ", cmd);
	if (strcmp(cmd, "pay") == 0)
		fprintf(f, "(--amount A [--mode single|invoices|mpp|amp] [--shards N] | --invoice TEXT)\n"
			   "       [--id ID] [--expiry BLOCKS] [--timeout DURATION] [--wait]\n"
			   "--wait waits for the payment's outcome. Exit 0 if it settled (or, without\n"
			   "--wait, is still pending), 1 if it failed or was refunded, with the reason.\n");
	else if (strcmp(cmd, "invoice") == 0)
		fprintf(f, "--amount A [--description TEXT]      (bob's socket)\n");
	else if (strcmp(cmd, "fault") == 0)
		fprintf(f, "--channel C --action A [--direction to_bob|to_alice|both] [--lift]\n");
	else if (strcmp(cmd, "step") == 0 || strcmp(cmd, "continue") == 0)
		fprintf(f, "        (the socket of a run started with --step; it prints it)\n");
	else if (strcmp(cmd, "call") == 0)
		fprintf(f, "METHOD [JSON-PARAMS]        (METHOD help lists them)\n");
	else
		fprintf(f, "\n");
	fprintf(f, "SOCK defaults to $AMPSIM_CONTROL.\n");
}

/* Ask alice for the payment until it has an outcome (the daemon's own
 * answer, polled: bounded by the payment's timeout, which alice keeps, and
 * the expiry of its HTLCs; at most an hour here). Returns what alice says
 * of it, with its id and outcome at the top. */
static json_t *wait_payment(const char *control, json_t *started)
{
	const char *id = json_string_value(json_object_get(started, "id"));
	if (!id)
		return started;
	char idc[64];
	snprintf(idc, sizeof(idc), "%s", id);
	for (long ms = 0; ms < 3600L * 1000; ms += 20) {
		char err[512];
		json_t *params = json_pack("{s:s}", "id", idc);
		json_t *all = rpc_call(control, "listpayments", params, 10000, err, sizeof(err));
		json_decref(params);      /* the call takes its own reference */
		json_t *p = json_object_get(all, idc);
		const char *o = json_string_value(json_object_get(p, "outcome"));
		if (!all) {
			fprintf(stderr, "ampsim pay: waiting for %s: %s\n", idc, err);
			return started;
		}
		if (o && strcmp(o, "pending") != 0) {
			json_t *done = json_deep_copy(p);
			json_object_set_new(done, "id", json_string(idc));
			json_decref(all);
			json_decref(started);
			return done;
		}
		json_decref(all);
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "ampsim pay: %s still pending after an hour\n", idc);
	return started;
}

/* The method to call (the command's, or call's first word) and, for call,
 * its JSON params in place of *params; NULL after a message. */
static const char *rpc_method(const char *cmd, int argc, char **argv, json_t **params)
{
	const char *method = cmd;
	if (strcmp(cmd, "payments") == 0) {
		method = "listpayments";
	} else if (strcmp(cmd, "call") == 0) {
		if (optind >= argc) {
			rpc_usage(stderr, cmd);
			return NULL;
		}
		method = argv[optind++];
		if (optind < argc) {
			json_error_t jerr;
			json_decref(*params);
			*params = json_loads(argv[optind], 0, &jerr);
			if (!json_is_object(*params)) {
				fprintf(stderr, "ampsim call: params must be a JSON object: %s\n",
					*params ? "not an object" : jerr.text);
				return NULL;
			}
		}
	}
	if (strcmp(cmd, "call") != 0 && optind < argc) {
		fprintf(stderr, "ampsim %s: unexpected argument '%s'\n", cmd, argv[optind]);
		return NULL;
	}
	return method;
}

/* pay's answer: waited for with --wait; 0 only if it settled or (no
 * --wait) is still on its way. */
static int pay_result(const char *control, json_t **r, bool wait)
{
	if (wait)
		*r = wait_payment(control, *r);
	const char *outcome = json_string_value(json_object_get(*r, "outcome"));
	if (outcome && strcmp(outcome, "pending") != 0 && strcmp(outcome, "settled") != 0) {
		const char *why = json_string_value(json_object_get(*r, "why"));
		fprintf(stderr, "ampsim pay: %s %s: %s\n",
			json_string_value(json_object_get(*r, "id")), outcome,
			why ? why : "no reason recorded");
		return 1;
	}
	return wait && (!outcome || strcmp(outcome, "settled") != 0) ? 1 : 0;
}

int cmd_rpc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "amount", required_argument, NULL, 'a' },
		{ "mode", required_argument, NULL, 'm' },
		{ "shards", required_argument, NULL, 's' },
		{ "invoice", required_argument, NULL, 'i' },
		{ "id", required_argument, NULL, 'I' },
		{ "expiry", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "description", required_argument, NULL, 'd' },
		{ "channel", required_argument, NULL, 'C' },
		{ "action", required_argument, NULL, 'A' },
		{ "direction", required_argument, NULL, 'D' },
		{ "lift", no_argument, NULL, 'L' },
		{ "wait", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	const char *control = getenv("AMPSIM_CONTROL");
	json_t *params = json_object();
	int c, rc = 0;
	bool wait = false;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': control = optarg; break;
		case 'a': json_object_set_new(params, "amount", json_string(optarg)); break;
		case 'm': json_object_set_new(params, "mode", json_string(optarg)); break;
		case 's': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > MAX_HTLCS) {
				fprintf(stderr, "ampsim %s: --shards must be 0..%d\n", cmd, MAX_HTLCS);
				json_decref(params);
				return 2;
			}
			json_object_set_new(params, "shards", json_integer(v));
			break;
		}
		case 'i': json_object_set_new(params, "invoice", json_string(optarg)); break;
		case 'I': json_object_set_new(params, "id", json_string(optarg)); break;
		case 'e': json_object_set_new(params, "expiry", json_string(optarg)); break;
		case 't': json_object_set_new(params, "timeout", json_string(optarg)); break;
		case 'd': json_object_set_new(params, "description", json_string(optarg)); break;
		case 'C': json_object_set_new(params, "channel", json_string(optarg)); break;
		case 'A': json_object_set_new(params, "action", json_string(optarg)); break;
		case 'D': json_object_set_new(params, "direction", json_string(optarg)); break;
		case 'L': json_object_set_new(params, "lift", json_true()); break;
		case 'W': wait = true; break;
		case 'h': rpc_usage(stdout, cmd); json_decref(params); return 0;
		default: rpc_usage(stderr, cmd); json_decref(params); return 2;
		}
	}
	if (!control) {
		fprintf(stderr, "ampsim %s: --control SOCK is required (or set AMPSIM_CONTROL)\n", cmd);
		json_decref(params);
		return 2;
	}
	const char *method = rpc_method(cmd, argc, argv, &params);
	if (!method) {
		json_decref(params);
		return 2;
	}
	char err[512];
	int code;
	json_t *r = rpc_call_code(control, method, params, 10000, err, sizeof(err), &code);
	json_decref(params);
	if (!r) {
		if ((strcmp(cmd, "step") == 0 || strcmp(cmd, "continue") == 0) &&
		    strstr(err, "cannot connect"))
			fprintf(stderr, "ampsim %s: %s: no stepped run answers there (a run removes "
				"its step socket when it ends)\n", cmd, control);
		else
			fprintf(stderr, "ampsim %s: %s\n", cmd, err);
		/* the daemon said our request was malformed: bad input, exit 2 */
		return code == RPC_INVALID_PARAMS || code == RPC_METHOD_NOT_FOUND ||
		       code == RPC_INVALID_REQUEST || code == RPC_PARSE_ERROR ? 2 : 1;
	}
	if (strcmp(cmd, "pay") == 0) {
		/* a payment's end: wait for it if asked; exit 0 only if it settled */
		rc = pay_result(control, &r, wait);
	} else if (wait) {
		fprintf(stderr, "ampsim %s: --wait is for pay\n", cmd);
		json_decref(r);
		return 2;
	}
	char *s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);
	puts(s);
	free(s);
	json_decref(r);
	return rc;
}

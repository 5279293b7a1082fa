/* The control socket's answers (sim/runtime/rpc.c, rpc_answer): one
 * JSON-RPC 2.0 response per request line, whatever the line holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rpc.h"

static json_t *echo(json_t *params, void *arg, struct rpc_err *err)
{
	(void)arg;
	(void)err;
	return json_incref(params);
}

static json_t *silent_failure(json_t *params, void *arg, struct rpc_err *err)
{
	(void)params;
	(void)arg;
	(void)err;
	return NULL;
}

static const struct rpc_method methods[] = {
	{ "echo", echo, "echo: the params" },
	{ "broken", silent_failure, NULL },
	{ NULL, NULL, NULL },
};

static json_int_t error_code(json_t *resp)
{
	return json_integer_value(json_object_get(json_object_get(resp, "error"), "code"));
}

static const char *error_message(json_t *resp)
{
	return json_string_value(json_object_get(json_object_get(resp, "error"), "message"));
}

static void a_request_is_answered_with_its_id(void **state)
{
	(void)state;
	json_t *r = rpc_answer(methods, NULL, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"echo\","
				 "\"params\":{\"a\":1}}");
	assert_string_equal(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"), "a")), 1);
	json_decref(r);
	r = rpc_answer(methods, NULL, "{\"id\":\"x\",\"method\":\"nope\"}");
	assert_int_equal(error_code(r), RPC_METHOD_NOT_FOUND);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "x");
	json_decref(r);
	r = rpc_answer(methods, NULL, "{\"id\":1,\"method\":\"echo\",\"params\":[1]}");
	assert_int_equal(error_code(r), RPC_INVALID_PARAMS);
	json_decref(r);
	r = rpc_answer(methods, NULL, "{\"id\":1,\"method\":\"broken\"}");
	assert_int_equal(error_code(r), RPC_INTERNAL_ERROR);
	json_decref(r);
}

/* A parse error quotes the bad token; bytes that are not UTF-8 there
 * took the whole message out of the answer (JSON strings are UTF-8). */
static void a_message_quoting_bytes_that_are_not_utf8_is_kept(void **state)
{
	(void)state;
	json_t *r = rpc_answer(methods, NULL, "{\"i\xd8\x8f" "d\":8,");
	assert_int_equal(error_code(r), RPC_PARSE_ERROR);
	assert_non_null(error_message(r));
	assert_non_null(strstr(error_message(r), "parse error"));
	json_decref(r);
	/* a method name cut in the middle of a character by the message's
	 * 256 bytes */
	char line[400] = "{\"id\":1,\"method\":\"";
	size_t n = strlen(line);
	for (int i = 0; i < 120; i++) {
		line[n++] = '\xc3';
		line[n++] = '\xa9';
	}
	strcpy(line + n, "\"}");
	r = rpc_answer(methods, NULL, line);
	assert_int_equal(error_code(r), RPC_METHOD_NOT_FOUND);
	assert_non_null(error_message(r));
	assert_non_null(strstr(error_message(r), "unknown method"));
	char *s = json_dumps(r, JSON_COMPACT);
	assert_non_null(s);
	free(s);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_request_is_answered_with_its_id),
		cmocka_unit_test(a_message_quoting_bytes_that_are_not_utf8_is_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#ifndef AMPSIM_RPC_CLIENT_H
#define AMPSIM_RPC_CLIENT_H

#include <jansson.h>
#include <stddef.h>

/* Client side, blocking: connect, send one request, read one response line.
 * Returns the "result" (new reference) or NULL with err filled (a transport
 * problem, or the server's error message). timeout_ms bounds the whole call. */
json_t *rpc_call(const char *path, const char *method, json_t *params,
		 int timeout_ms, char *err, size_t errlen);
/* The same, and *code receives the server's error code (0 for a transport
 * problem) when NULL is returned. */
json_t *rpc_call_code(const char *path, const char *method, json_t *params,
		      int timeout_ms, char *err, size_t errlen, int *code);

#endif

/* The control socket: a Unix stream socket speaking JSON-RPC 2.0, one
 * request object per line and one response per line (as Core Lightning's
 * lightning-cli does), so socat or any JSON-RPC client can drive a daemon.
 *
 * Server side: a table of methods; each handler returns a result (owned by
 * the caller from then on) or NULL after filling *err. */
#ifndef AMPSIM_RPC_H
#define AMPSIM_RPC_H

#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>

/* JSON-RPC 2.0 error codes */
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603
/* our own: the request was understood but cannot be carried out now */
#define RPC_REFUSED -1

#define RPC_LINE_MAX (64 * 1024)

struct rpc_err {
	int code;
	char message[256];
};

typedef json_t *(*rpc_handler)(json_t *params, void *arg, struct rpc_err *err);

struct rpc_method {
	const char *name;
	rpc_handler fn;
	const char *usage;   /* one line for "help" */
};

struct rpc_server;

/* methods is terminated by an entry with name == NULL; a "help" method is
 * provided automatically. An existing socket file at path is replaced. */
struct rpc_server *rpc_listen(struct event_base *base, const char *path,
			      const struct rpc_method *methods, void *arg,
			      char *err, size_t errlen);
void rpc_server_free(struct rpc_server *s);
/* Group commit (turn.h): an answer leaves only once what its request
 * wrote is committed. */
struct turn;
void rpc_set_turn(struct rpc_server *s, struct turn *t);

/* One request line as the control socket answers it: the JSON-RPC
 * response object (the caller's), whatever the line holds. The socket
 * sends it as one line; tests and the fuzz target call it directly. */
json_t *rpc_answer(const struct rpc_method *methods, void *arg, const char *line);

/* Helpers for handlers. */
json_t *rpc_fail(struct rpc_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

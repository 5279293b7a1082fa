#include "rpc.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "turn.h"

/* Output watermarks: answers a client has not read are bounded. */
#define RPC_OUT_HIGH (1024 * 1024)
#define RPC_OUT_LOW (64 * 1024)

struct rpc_server {
	struct evconnlistener *listener;
	const struct rpc_method *methods;
	void *arg;
	char path[108];
	dev_t dev;                 /* the socket file we made */
	ino_t ino;
	struct rpc_conn *conns;
	struct turn *turn;         /* answers wait for the turn's commit */
};

struct rpc_conn {
	struct rpc_server *srv;
	struct bufferevent *bev;
	struct rpc_conn *next;
};

json_t *rpc_fail(struct rpc_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return NULL;
}

static void conn_free(struct rpc_conn *c)
{
	struct rpc_conn **pp = &c->srv->conns;
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	turn_forget(c->srv->turn, c->bev);
	bufferevent_free(c->bev);
	free(c);
}

static json_t *help_result(const struct rpc_method *methods)
{
	json_t *r = json_object();
	for (const struct rpc_method *m = methods; m->name; m++)
		json_object_set_new(r, m->name, json_string(m->usage ? m->usage : ""));
	json_object_set_new(r, "help", json_string("help: list the methods"));
	return r;
}

/* An error message as a JSON string. It may quote the request (a parse
 * error's token, a method name) and be cut at its buffer's end, so it is
 * not always UTF-8, which JSON strings must be: bytes outside ASCII
 * become '?' then, rather than the message going missing. */
static json_t *message_json(const char *message)
{
	json_t *m = json_string(message);
	if (m)
		return m;
	char ascii[sizeof(((struct rpc_err *)0)->message)];
	size_t i = 0;
	for (; message[i] && i + 1 < sizeof(ascii); i++)
		ascii[i] = (unsigned char)message[i] < 0x80 ? message[i] : '?';
	ascii[i] = '\0';
	return json_string(ascii);
}

/* The response object to a request of that id: its result (taken over)
 * or the error. */
static json_t *response(json_t *id, json_t *result, const struct rpc_err *err)
{
	json_t *resp = json_object();
	json_object_set_new(resp, "jsonrpc", json_string("2.0"));
	json_object_set(resp, "id", id ? id : json_null());
	if (result) {
		json_object_set_new(resp, "result", result);
	} else {
		json_t *e = json_object();
		json_object_set_new(e, "code", json_integer(err->code));
		json_object_set_new(e, "message", message_json(err->message));
		json_object_set_new(resp, "error", e);
	}
	return resp;
}

/* Send a response (taken over) as one line. */
static void reply(struct rpc_conn *c, json_t *resp)
{
	char *s = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	if (s) {
		turn_hold(c->srv->turn, c->bev);
		struct evbuffer *out = bufferevent_get_output(c->bev);
		evbuffer_add(out, s, strlen(s));
		evbuffer_add(out, "\n", 1);
		free(s);
	}
}

json_t *rpc_answer(const struct rpc_method *methods, void *arg, const char *line)
{
	struct rpc_err err = { 0, "" };
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr);
	if (!req) {
		rpc_fail(&err, RPC_PARSE_ERROR, "parse error at column %d: %s", jerr.column, jerr.text);
		return response(NULL, NULL, &err);
	}
	json_t *id = json_object_get(req, "id");
	const char *method = json_string_value(json_object_get(req, "method"));
	json_t *params = json_object_get(req, "params");
	json_t *result = NULL;
	if (!json_is_object(req) || !method) {
		rpc_fail(&err, RPC_INVALID_REQUEST, "request needs a string \"method\"");
	} else if (params && !json_is_object(params) &&
		   !(json_is_array(params) && json_array_size(params) == 0)) {
		rpc_fail(&err, RPC_INVALID_PARAMS, "params must be an object of named parameters");
	} else if (strcmp(method, "help") == 0) {
		result = help_result(methods);
	} else {
		const struct rpc_method *m = methods;
		while (m->name && strcmp(m->name, method) != 0)
			m++;
		if (!m->name) {
			rpc_fail(&err, RPC_METHOD_NOT_FOUND, "unknown method '%s' (try help)", method);
		} else {
			json_t *p = json_is_object(params) ? params : NULL;
			json_t *empty = NULL;
			if (!p)
				p = empty = json_object();
			result = m->fn(p, arg, &err);
			json_decref(empty);
			if (!result && err.code == 0)
				rpc_fail(&err, RPC_INTERNAL_ERROR, "%s failed", method);
		}
	}
	json_t *resp = response(id, result, &err);
	json_decref(req);
	return resp;
}

static void handle_line(struct rpc_conn *c, const char *line)
{
	reply(c, rpc_answer(c->srv->methods, c->srv->arg, line));
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct rpc_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;
	struct evbuffer *out = bufferevent_get_output(bev);
	while (evbuffer_get_length(out) < RPC_OUT_HIGH &&
	       (line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
		if (n > 0)
			handle_line(c, line);
		free(line);
	}
	if (evbuffer_get_length(out) >= RPC_OUT_HIGH) {
		/* the client is not reading its answers: stop reading its
		 * requests until they drain (conn_write resumes) */
		bufferevent_disable(bev, EV_READ);
		return;
	}
	if (evbuffer_get_length(in) > RPC_LINE_MAX) {
		struct rpc_err err;
		rpc_fail(&err, RPC_INVALID_REQUEST, "request line longer than %d bytes", RPC_LINE_MAX);
		reply(c, response(NULL, NULL, &err));
		log_warn("control socket: request over %d bytes, closing", RPC_LINE_MAX);
		conn_free(c);
	}
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(arg);
}

/* Called once the output has drained to RPC_OUT_LOW (the write
 * watermark): read again, starting with requests already buffered. */
static void conn_write(struct bufferevent *bev, void *arg)
{
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		conn_read(bev, arg);
	}
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	(void)l;
	(void)sa;
	(void)socklen;
	struct rpc_server *s = arg;
	struct rpc_conn *c = xcalloc(1, sizeof(*c));
	c->srv = s;
	c->bev = bufferevent_socket_new(evconnlistener_get_base(s->listener), fd,
					BEV_OPT_CLOSE_ON_FREE);
	c->next = s->conns;
	s->conns = c;
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, RPC_OUT_LOW, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* Whether a server accepts connections on the socket at sun. */
static bool socket_answers(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return live;
}

struct rpc_server *rpc_listen(struct event_base *base, const char *path,
			      const struct rpc_method *methods, void *arg,
			      char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	/* bound at PATH~ and renamed once listening, so a socket at PATH
	 * always answers: whoever waits for the file may connect at once */
	if (strlen(path) + 1 >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: control socket path longer than %zu bytes", path,
			 sizeof(sun.sun_path) - 2);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	struct stat sb;
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket; not replacing it", path);
			return NULL;
		}
		if (socket_answers(&sun)) {
			/* another daemon is serving there: taking its socket over
			 * would cut its users off (and our exit would delete it) */
			snprintf(err, errlen, "%s: control socket in use by a running daemon", path);
			return NULL;
		}
		unlink(path);          /* left behind by a daemon that died */
	}
	struct rpc_server *s = xcalloc(1, sizeof(*s));
	s->methods = methods;
	s->arg = arg;
	strcpy(s->path, path);
	strcat(sun.sun_path, "~");
	unlink(sun.sun_path);          /* a start-up that died half-way */
	/* only our own user may talk to the control socket, whatever the
	 * umask: a "stop" from anyone else must not be possible */
	mode_t old = umask(0077);
	s->listener = evconnlistener_new_bind(base, on_accept, s,
					      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
					      (struct sockaddr *)&sun, sizeof(sun));
	int bind_errno = errno;
	umask(old);
	if (s->listener && rename(sun.sun_path, path) != 0) {
		bind_errno = errno;
		evconnlistener_free(s->listener);
		unlink(sun.sun_path);
		s->listener = NULL;
	}
	if (!s->listener) {
		snprintf(err, errlen, "%s: cannot listen: %s", path, strerror(bind_errno));
		free(s);
		return NULL;
	}
	if (lstat(path, &sb) == 0) {
		s->dev = sb.st_dev;
		s->ino = sb.st_ino;
	}
	return s;
}

void rpc_set_turn(struct rpc_server *s, struct turn *t)
{
	s->turn = t;
}

void rpc_server_free(struct rpc_server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
	evconnlistener_free(s->listener);
	/* remove the socket only if it is still ours, not one a later daemon
	 * put at the same path */
	struct stat sb;
	if (lstat(s->path, &sb) == 0 && sb.st_dev == s->dev && sb.st_ino == s->ino)
		unlink(s->path);
	free(s);
}

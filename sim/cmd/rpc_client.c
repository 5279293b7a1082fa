/* The control socket's client, blocking: what the ampsim command uses to
 * talk to running daemons. It lives with the command, not in the runtime
 * layer, so the daemons (event-driven) never link a blocking call. */
#include "rpc_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rpc.h"
#include "rpc_client.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	for (;;) {
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return 0;
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

json_t *rpc_call(const char *path, const char *method, json_t *params,
		 int timeout_ms, char *err, size_t errlen)
{
	int code;
	return rpc_call_code(path, method, params, timeout_ms, err, errlen, &code);
}

json_t *rpc_call_code(const char *path, const char *method, json_t *params,
		      int timeout_ms, char *err, size_t errlen, int *code)
{
	*code = 0;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int64_t deadline = mono_ms() + timeout_ms;
	json_t *result = NULL;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, errlen, "%s: cannot connect: %s (is the daemon running?)", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	json_t *req = json_object();
	json_object_set_new(req, "jsonrpc", json_string("2.0"));
	json_object_set_new(req, "id", json_integer(1));
	json_object_set_new(req, "method", json_string(method));
	json_object_set_new(req, "params", params ? json_incref(params) : json_object());
	char *s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	size_t len = strlen(s), off = 0;
	s = xrealloc(s, len + 2);
	s[len++] = '\n';
	while (off < len) {
		if (wait_fd(fd, POLLOUT, deadline) <= 0) {
			snprintf(err, errlen, "%s: timed out sending", path);
			goto out;
		}
		ssize_t w = send(fd, s + off, len - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(err, errlen, "%s: send: %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	size_t cap = 4096, got = 0;
	char *buf = xcalloc(1, cap);
	for (;;) {
		if (wait_fd(fd, POLLIN, deadline) <= 0) {
			snprintf(err, errlen, "%s: no answer to %s within %d ms", path, method, timeout_ms);
			free(buf);
			goto out;
		}
		if (got + 1 >= cap) {
			if (cap >= 64 * 1024 * 1024) {
				snprintf(err, errlen, "%s: answer too large", path);
				free(buf);
				goto out;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t r = recv(fd, buf + got, cap - got - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "%s: connection closed before an answer", path);
			free(buf);
			goto out;
		}
		got += (size_t)r;
		buf[got] = '\0';
		if (memchr(buf, '\n', got))
			break;
	}
	json_error_t jerr;
	json_t *resp = json_loads(buf, JSON_DISABLE_EOF_CHECK, &jerr);
	free(buf);
	if (!resp) {
		snprintf(err, errlen, "%s: answer is not JSON: %s", path, jerr.text);
		goto out;
	}
	json_t *e = json_object_get(resp, "error");
	if (e) {
		*code = (int)json_integer_value(json_object_get(e, "code"));
		snprintf(err, errlen, "%s", json_string_value(json_object_get(e, "message"))
			 ? json_string_value(json_object_get(e, "message")) : "error");
	} else {
		result = json_incref(json_object_get(resp, "result"));
		if (!result)
			snprintf(err, errlen, "%s: answer has neither result nor error", path);
	}
	json_decref(resp);
out:
	free(s);
	close(fd);
	return result;
}

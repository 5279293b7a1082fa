/* A stepped run's prompt (--step), the same for the two daemons and the
 * world: what the next instant holds, then Enter, or ampsim step |
 * continue | stop on the run's step socket. */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run.h"
#include "vcoord.h"

/* A request on the step socket: JSON-RPC "step", "continue" or "stop",
 * answered with the instant. Returns 's', 'c', 'q', or 0 for anything else
 * (answered with an error). */
static int step_request(int lfd, uint64_t now)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return 0;
	char line[1024];
	size_t n = 0;
	struct pollfd pf = { fd, POLLIN, 0 };
	while (n < sizeof(line) - 1 && poll(&pf, 1, 2000) > 0) {
		ssize_t k = read(fd, line + n, sizeof(line) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	json_t *req = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
	const char *m = json_string_value(json_object_get(req, "method"));
	json_t *id = json_object_get(req, "id");
	int what = !m ? 0 : strcmp(m, "step") == 0 ? 's' : strcmp(m, "continue") == 0 ? 'c'
		 : strcmp(m, "stop") == 0 ? 'q' : 0;
	json_t *resp = what ? json_pack("{s:s,s:O,s:{s:f}}", "jsonrpc", "2.0", "id",
					id ? id : json_null(), "result", "t_ms", (double)now / 1e3)
			    : json_pack("{s:s,s:O,s:{s:i,s:s}}", "jsonrpc", "2.0", "id",
					id ? id : json_null(), "error", "code", -32601, "message",
					"methods: step, continue, stop");
	char *s = json_dumps(resp, JSON_COMPACT);
	if (s) {
		if (send(fd, s, strlen(s), MSG_NOSIGNAL) > 0)
			(void)send(fd, "\n", 1, MSG_NOSIGNAL);
		free(s);
	}
	json_decref(resp);
	json_decref(req);
	close(fd);
	return what;
}

/* --step: say what comes next and wait for Enter ("c" runs on), or for
 * ampsim step / continue on the run's step socket */
bool step_prompt(const char *labels, uint64_t now, const struct virtual_play *vp, size_t next_step,
		 uint64_t t, bool *stepping)
{
	fprintf(stderr, "\n[t = %.3f s] next instant: t = %.3f s%s", (double)now / 1e6,
		(double)t / 1e6, labels);
	for (size_t i = next_step; i < vp->nsteps && vp->steps[i].at_us == t; i++) {
		const struct run_step *s = &vp->steps[i];
		if (s->pay)
			fprintf(stderr, "\n  payment %s starts (%s)", s->pay->id,
				pay_mode_name(s->pay->mode));
		else
			fprintf(stderr, "\n  fault %s %s: %s", s->fault->id, s->lift ? "lifted" : "starts",
				s->fault->text);
	}
	fprintf(stderr, "\n  Enter: go on, c: run to the end, q: stop here > ");
	static bool stdin_open = true;
	for (;;) {
		/* stdin is left out once it has ended (no terminal) */
		struct pollfd pf[2] = { { stdin_open ? STDIN_FILENO : -1, POLLIN, 0 },
					{ vp->step_fd, POLLIN, 0 } };
		if (!stdin_open && vp->step_fd < 0)
			return *stepping = false, true;
		/* in slices, so that a Ctrl-C landing just before the poll is seen */
		int ready = poll(pf, 2, 200);
		if (vcoord_interrupted())
			return false;
		if (ready == 0)
			continue;
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			return *stepping = false, true;
		}
		int what = 0;
		if (pf[0].revents) {
			char line[32];
			if (!fgets(line, sizeof(line), stdin)) {
				/* no terminal: the step socket alone drives the run */
				stdin_open = false;
				fprintf(stderr, "\n  (standard input is closed: waiting for ampsim "
					"step|continue on the run's step socket)\n");
				continue;
			}
			what = line[0] == 'c' ? 'c' : line[0] == 'q' ? 'q' : 's';
		} else if (pf[1].revents) {
			what = step_request(vp->step_fd, now);
			if (what)
				fprintf(stderr, "(%s)\n", what == 's' ? "step" : what == 'c' ? "continue"
								       : "stop");
		}
		if (what == 'c')
			*stepping = false;
		if (what)
			return what != 'q';
	}
}


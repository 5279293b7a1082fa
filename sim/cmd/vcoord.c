#include "vcoord.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define VC_MAX_NODES 8
#define VC_MAX_CONNS 16
#define VC_LINE_MAX 4096

struct vc_conn {
	char key[112];
	uint64_t sent, received;
	bool closed;
};

struct vc_node {
	int fd;
	char name[16];             /* "" until hello */
	char in[VC_LINE_MAX];
	size_t inlen;
	bool reported;             /* idle at now, answering the last advance */
	uint64_t at, epoch, next;
	char label[1024];          /* what its next timers will do, " ; " between */
	struct vc_conn conns[VC_MAX_CONNS];
	size_t nconns;
};

struct vcoord {
	int lfd;
	char path[108];
	uint64_t now;
	uint64_t epoch;            /* of the last advance sent */
	bool labels;               /* ask the daemons what their next timers do */
	struct vc_node nodes[VC_MAX_NODES];
	size_t nnodes;
};

static volatile sig_atomic_t interrupted;

void vcoord_interrupt(void)
{
	interrupted = 1;
}

bool vcoord_interrupted(void)
{
	return interrupted != 0;
}

int unix_listen(const char *path, int backlog, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	/* bound at PATH~ and renamed once listening, so a socket at PATH
	 * always answers: whoever waits for the file may connect at once */
	if (strlen(path) + 1 >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long for a Unix socket", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	strcat(sun.sun_path, "~");
	unlink(path);
	unlink(sun.sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	mode_t old = umask(0077);      /* only our own user may connect */
	int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc != 0 || listen(fd, backlog) != 0 || rename(sun.sun_path, path) != 0) {
		int e = errno;
		if (rc == 0)
			unlink(sun.sun_path);
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct vcoord *vcoord_listen(const char *path, char *err, size_t errlen)
{
	int fd = unix_listen(path, 8, err, errlen);
	if (fd < 0)
		return NULL;
	struct vcoord *vc = xcalloc(1, sizeof(*vc));
	vc->lfd = fd;
	snprintf(vc->path, sizeof(vc->path), "%s", path);
	return vc;
}

void vcoord_free(struct vcoord *vc)
{
	if (!vc)
		return;
	for (size_t i = 0; i < vc->nnodes; i++)
		close(vc->nodes[i].fd);
	close(vc->lfd);
	unlink(vc->path);
	free(vc);
}

uint64_t vcoord_now(const struct vcoord *vc)
{
	return vc->now;
}

static struct vc_node *find(struct vcoord *vc, const char *name)
{
	for (size_t i = 0; i < vc->nnodes; i++)
		if (strcmp(vc->nodes[i].name, name) == 0)
			return &vc->nodes[i];
	return NULL;
}

bool vcoord_has(const struct vcoord *vc, const char *node)
{
	return find((struct vcoord *)vc, node) != NULL;
}

static void drop(struct vcoord *vc, size_t i)
{
	close(vc->nodes[i].fd);
	vc->nodes[i] = vc->nodes[--vc->nnodes];
}

static void send_line(struct vc_node *n, const char *line)
{
	size_t len = strlen(line), off = 0;
	while (off < len) {
		/* a daemon killed by the run: no SIGPIPE for writing to it */
		ssize_t w = send(n->fd, line + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;       /* gone: its hang-up is seen by the next poll */
		off += (size_t)w;
	}
}

/* "idle T NEXT [KEY SENT RECEIVED open|closed]..." */
static bool parse_idle(struct vc_node *n, char *line)
{
	char *bar = strstr(line, " | ");
	n->label[0] = '\0';
	if (bar) {
		snprintf(n->label, sizeof(n->label), "%s", bar + 3);
		*bar = '\0';
	}
	char *save = NULL, *tok = strtok_r(line, " ", &save);
	if (!tok || strcmp(tok, "idle") != 0)
		return false;
	char *t = strtok_r(NULL, " ", &save), *ep = strtok_r(NULL, " ", &save),
	     *next = strtok_r(NULL, " ", &save);
	if (!t || !ep || !next)
		return false;
	n->at = strtoull(t, NULL, 10);
	n->epoch = strtoull(ep, NULL, 10);
	n->next = strcmp(next, "-") == 0 ? VC_NO_TIMER : strtoull(next, NULL, 10);
	n->nconns = 0;
	char *key;
	while ((key = strtok_r(NULL, " ", &save)) && n->nconns < VC_MAX_CONNS) {
		char *s = strtok_r(NULL, " ", &save), *r = strtok_r(NULL, " ", &save),
		     *state = strtok_r(NULL, " ", &save);
		if (!s || !r || !state)
			return false;
		struct vc_conn *c = &n->conns[n->nconns++];
		snprintf(c->key, sizeof(c->key), "%s", key);
		c->sent = strtoull(s, NULL, 10);
		c->received = strtoull(r, NULL, 10);
		c->closed = strcmp(state, "closed") == 0;
	}
	return true;
}

static void on_line(struct vcoord *vc, struct vc_node *n, char *line)
{
	if (strncmp(line, "hello ", 6) == 0) {
		snprintf(n->name, sizeof(n->name), "%s", line + 6);
		n->reported = false;
		/* a daemon that (re)joins starts at the run's current instant */
		char adv[80];
		snprintf(adv, sizeof(adv), "advance %" PRIu64 " %" PRIu64 "%s\n", vc->now, vc->epoch,
			 vc->labels ? " labels" : "");
		send_line(n, adv);
		return;
	}
	if (!parse_idle(n, line))
		fatal("virtual clock: bad report from %s: '%s'", n->name[0] ? n->name : "?", line);
	n->reported = n->at == vc->now && n->epoch == vc->epoch;
}

/* Read what is there; false if the node hung up. */
static bool read_node(struct vcoord *vc, struct vc_node *n)
{
	ssize_t r = read(n->fd, n->in + n->inlen, sizeof(n->in) - 1 - n->inlen);
	if (r <= 0)
		return r < 0 && (errno == EINTR || errno == EAGAIN);
	n->inlen += (size_t)r;
	n->in[n->inlen] = '\0';
	char *start = n->in, *nl;
	while ((nl = strchr(start, '\n'))) {
		*nl = '\0';
		on_line(vc, n, start);
		start = nl + 1;
	}
	n->inlen = strlen(start);
	memmove(n->in, start, n->inlen + 1);
	if (n->inlen == sizeof(n->in) - 1)
		fatal("virtual clock: a report longer than %d bytes", VC_LINE_MAX);
	return true;
}

static void poll_once(struct vcoord *vc, int timeout_ms)
{
	struct pollfd pf[VC_MAX_NODES + 1];
	pf[0].fd = vc->lfd;
	pf[0].events = POLLIN;
	for (size_t i = 0; i < vc->nnodes; i++) {
		pf[i + 1].fd = vc->nodes[i].fd;
		pf[i + 1].events = POLLIN;
	}
	int nfds = (int)vc->nnodes + 1;
	if (poll(pf, (nfds_t)nfds, timeout_ms) <= 0)
		return;
	for (size_t i = vc->nnodes; i-- > 0;) {
		if (pf[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!read_node(vc, &vc->nodes[i]))
				drop(vc, i);
		}
	}
	if ((pf[0].revents & POLLIN) && vc->nnodes < VC_MAX_NODES) {
		int fd = accept4(vc->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			struct vc_node *n = &vc->nodes[vc->nnodes++];
			memset(n, 0, sizeof(*n));
			n->fd = fd;
		}
	}
}

/* Messages on their way: for each connection both sides know, what one
 * sent and the other has not yet handled; a connection either side has
 * closed counts no longer (what was in it is lost). */
static uint64_t in_flight(struct vcoord *vc, char *why, size_t whylen)
{
	uint64_t total = 0;
	for (size_t i = 0; i < vc->nnodes; i++) {
		struct vc_node *a = &vc->nodes[i];
		for (size_t k = 0; k < a->nconns; k++) {
			const struct vc_conn *ca = &a->conns[k];
			const struct vc_conn *cb = NULL;
			const struct vc_node *b = NULL;
			for (size_t j = 0; j < vc->nnodes && !cb; j++) {
				if (j == i)
					continue;
				for (size_t m = 0; m < vc->nodes[j].nconns; m++) {
					if (strcmp(vc->nodes[j].conns[m].key, ca->key) == 0) {
						cb = &vc->nodes[j].conns[m];
						b = &vc->nodes[j];
						break;
					}
				}
			}
			if (ca->closed || (cb && cb->closed))
				continue;
			uint64_t got = cb ? cb->received : 0;
			if (ca->sent > got) {
				total += ca->sent - got;
				snprintf(why, whylen, "%" PRIu64 " message(s) from %s on their way to %s",
					 ca->sent - got, a->name, b ? b->name : "a peer not yet connected");
			}
		}
	}
	return total;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum vc_settle vcoord_settle(struct vcoord *vc, const char *const *nodes, size_t n,
			     int timeout_ms, uint64_t *next, char *why, size_t whylen)
{
	int64_t deadline = mono_ms() + timeout_ms;
	for (;;) {
		/* take in whatever reports, joins and hang-ups have arrived
		 * before judging */
		poll_once(vc, 0);
		bool ready = true;
		snprintf(why, whylen, "nothing");
		for (size_t i = 0; i < n && ready; i++) {
			struct vc_node *nd = find(vc, nodes[i]);
			if (!nd) {
				snprintf(why, whylen, "%s to join the clock", nodes[i]);
				ready = false;
			} else if (!nd->reported) {
				snprintf(why, whylen, "%s to finish instant %" PRIu64 " us", nodes[i],
					 vc->now);
				ready = false;
			}
		}
		if (ready && in_flight(vc, why, whylen) == 0) {
			*next = VC_NO_TIMER;
			for (size_t i = 0; i < vc->nnodes; i++)
				if (vc->nodes[i].reported && vc->nodes[i].next < *next)
					*next = vc->nodes[i].next;
			return VC_SETTLED;
		}
		int64_t left = deadline - mono_ms();
		if (interrupted) {
			snprintf(why, whylen, "an interruption (Ctrl-C)");
			return VC_TIMEOUT;
		}
		if (left <= 0)
			return VC_TIMEOUT;
		/* in slices: an interruption is seen within 200 ms */
		poll_once(vc, left > 200 ? 200 : (int)left);
	}
}

void vcoord_advance(struct vcoord *vc, uint64_t t)
{
	if (t < vc->now)
		fatal("virtual clock: asked to go back from %" PRIu64 " to %" PRIu64, vc->now, t);
	vc->now = t;
	vc->epoch++;
	char line[80];
	snprintf(line, sizeof(line), "advance %" PRIu64 " %" PRIu64 "%s\n", t, vc->epoch,
		 vc->labels ? " labels" : "");
	for (size_t i = 0; i < vc->nnodes; i++) {
		vc->nodes[i].reported = false;
		send_line(&vc->nodes[i], line);
	}
}

void vcoord_want_labels(struct vcoord *vc, bool on)
{
	vc->labels = on;
}

void vcoord_labels(const struct vcoord *vc, uint64_t t, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < vc->nnodes; i++) {
		const struct vc_node *nd = &vc->nodes[i];
		if (!nd->reported || nd->next != t)
			continue;
		const char *l = nd->label[0] ? nd->label : "a timer";
		while (used < n) {
			size_t len = strcspn(l, ";");
			while (len && l[len - 1] == ' ')
				len--;
			int w = snprintf(buf + used, n - used, "\n  %s: %.*s", nd->name, (int)len, l);
			if (w > 0)
				used += (size_t)w;
			l = strchr(l, ';');
			if (!l)
				break;
			l += strspn(l, "; ");
		}
	}
}

void vcoord_end(struct vcoord *vc)
{
	for (size_t i = 0; i < vc->nnodes; i++)
		send_line(&vc->nodes[i], "end\n");
}

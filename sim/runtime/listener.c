#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

struct listener {
	struct evconnlistener *ev;
	struct event *resume;
	listener_accept_fn on_accept;
	listener_full_fn on_full;
	void *arg;
	unsigned max_conns;
	uint16_t port;
	struct listener_stats st;
};

static void peer_name(const struct sockaddr *sa, char *buf, size_t n)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
		snprintf(buf, n, "%s:%u", addr, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
		snprintf(buf, n, "[%s]:%u", addr, port);
	} else {
		snprintf(buf, n, "?");
	}
}

static void on_accept(struct evconnlistener *ev, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	(void)ev;
	(void)socklen;
	struct listener *l = arg;
	if (l->max_conns && l->st.open >= l->max_conns) {
		/* over the cap: the stranger gets a closed connection */
		evutil_closesocket(fd);
		if (l->st.refused++ == 0)
			log_warn("more than %u connections: refusing new ones while so many are open",
				 l->max_conns);
		return;
	}
	char name[64];
	peer_name(sa, name, sizeof(name));
	l->st.open++;
	l->st.accepted++;
	l->on_accept(fd, name, l->arg);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(((struct listener *)arg)->ev);
}

static void on_error(struct evconnlistener *ev, void *arg)
{
	struct listener *l = arg;
	int e = EVUTIL_SOCKET_ERROR();
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		/* the owner freed a descriptor: the next accept can work */
		if (l->on_full && l->on_full(l->arg)) {
			l->st.evictions++;
			return;
		}
		/* the pending connection stays in the kernel's queue: accepting
		 * again at once would fail the same way, as fast as the loop
		 * turns; wait for descriptors to be freed */
		if (l->st.pauses++ == 0)
			log_warn("accept: %s; pausing new connections for %d ms at a time",
				 strerror(e), LISTENER_PAUSE_MS);
		evconnlistener_disable(ev);
		struct timeval tv = { 0, LISTENER_PAUSE_MS * 1000 };
		evtimer_add(l->resume, &tv);
		return;
	}
	log_warn("accept: %s", strerror(e));
}

struct listener *listener_new(struct event_base *base, const char *hostport, unsigned max_conns,
			      listener_accept_fn fn, void *arg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int sl = (int)sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(hostport, (struct sockaddr *)&ss, &sl) != 0) {
		/* not a literal address: a host name, resolved once */
		const char *colon = strrchr(hostport, ':');
		char host[256];
		if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof(host) ||
		    !colon[1]) {
			snprintf(err, errlen, "'%s': expected HOST:PORT", hostport);
			return NULL;
		}
		memcpy(host, hostport, (size_t)(colon - hostport));
		host[colon - hostport] = '\0';
		struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC,
						 .ai_socktype = SOCK_STREAM,
						 .ai_flags = EVUTIL_AI_PASSIVE }, *ai = NULL;
		char *end;
		unsigned long port = strtoul(colon + 1, &end, 10);
		if (*end || port > 65535) {
			snprintf(err, errlen, "'%s': port must be 0..65535", hostport);
			return NULL;
		}
		if (evutil_getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai) {
			snprintf(err, errlen, "'%s': cannot resolve host '%s'", hostport, host);
			return NULL;
		}
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		sl = (int)ai->ai_addrlen;
		evutil_freeaddrinfo(ai);
	}
	struct listener *l = xcalloc(1, sizeof(*l));
	l->on_accept = fn;
	l->arg = arg;
	l->max_conns = max_conns;
	l->ev = evconnlistener_new_bind(base, on_accept, l,
					LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
					64, (struct sockaddr *)&ss, sl);
	if (!l->ev) {
		snprintf(err, errlen, "'%s': %s", hostport, strerror(errno));
		free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->ev, on_error);
	l->resume = evtimer_new(base, on_resume, l);
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);
	getsockname(evconnlistener_get_fd(l->ev), (struct sockaddr *)&bound, &bl);
	l->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						    : ((struct sockaddr_in *)&bound)->sin_port);
	return l;
}

void listener_free(struct listener *l)
{
	if (!l)
		return;
	event_free(l->resume);
	evconnlistener_free(l->ev);
	free(l);
}

void listener_on_full(struct listener *l, listener_full_fn fn)
{
	l->on_full = fn;
}

uint16_t listener_port(const struct listener *l)
{
	return l->port;
}

void listener_conn_closed(struct listener *l)
{
	if (l->st.open == 0)
		fatal("listener: more connections closed than were opened");
	l->st.open--;
}

struct listener_stats listener_stats(const struct listener *l)
{
	return l->st;
}

#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "log.h"
#include "rpc.h"

json_t *chan_json(const struct chan *c)
{
	const struct ledger *l = &c->ledger;
	json_t *o = json_object();
	json_set_u64(o, "capacity_msat", l->capacity.millisatoshis);
	json_set_u64(o, "alice_msat", l->alice.millisatoshis);
	json_set_u64(o, "bob_msat", l->bob.millisatoshis);
	json_set_u64(o, "inflight_msat", l->inflight.millisatoshis);
	json_object_set_new(o, "htlcs", json_integer(l->nhtlcs));
	json_object_set_new(o, "max_htlcs", json_integer(l->max_htlcs));
	json_object_set_new(o, "usable", json_boolean(chan_usable(c)));
	json_object_set_new(o, "conserves", json_boolean(ledger_conserves(l)));
	return o;
}

bool fault_request_parse(json_t *params, struct fault_config *f, const char **channel,
			 bool *lift, struct rpc_err *err)
{
	const char *why;
	memset(f, 0, sizeof(*f));
	const char *action = json_string_value(json_object_get(params, "action"));
	const char *dir = json_string_value(json_object_get(params, "direction"));
	*channel = json_string_value(json_object_get(params, "channel"));
	*lift = json_is_true(json_object_get(params, "lift"));
	if (!action || !fault_action_parse(action, f, &why)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "action: %s", action ? why : "missing");
		return false;
	}
	if (!fault_action_on_links(f->action)) {
		/* not a daemon's to apply to itself: ampsim run kills and starts
		 * processes, and alice's disconnect method cuts the connection */
		rpc_fail(err, RPC_INVALID_PARAMS, "'%s' is not a channel fault: %s", action,
			 fault_action_scope(f->action) == FAULT_SCOPE_CONNECTION
				 ? "use the disconnect method of alice"
				 : "kill or start the daemon itself");
		return false;
	}
	snprintf(f->text, sizeof(f->text), "%s", action);
	f->dir = DIR_BOTH;
	if (dir && !fault_dir_parse(dir, &f->dir)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "direction must be to_bob, to_alice or both");
		return false;
	}
	if (*lift && !fault_action_liftable(f->action)) {
		rpc_fail(err, RPC_INVALID_PARAMS, "'%s' cannot be lifted: apply the opposite action "
			 "instead", action);
		return false;
	}
	if (fault_action_scope(f->action) == FAULT_SCOPE_ALL_CHANNELS) {
		if (*channel && **channel) {
			rpc_fail(err, RPC_INVALID_PARAMS, "'%s' acts on every channel: give no "
				 "\"channel\"", action);
			return false;
		}
		*channel = NULL;
	} else if (!*channel || !**channel) {
		rpc_fail(err, RPC_INVALID_PARAMS, "this action needs a \"channel\"");
		return false;
	}
	return true;
}

void fault_request_log(struct evlog *log, const struct fault_config *f, const char *channel,
		       bool lift)
{
	struct evrec r;
	evrec_init(&r, lift ? "fault_lifted" : "fault_applied");
	evrec_str(&r, "channel", channel ? channel : "*");
	evrec_str(&r, "direction", fault_dir_name(f->dir));
	evrec_str(&r, "action", f->text);
	evlog_emit_rec(log, &r);
}

bool parse_hostport(const char *s, char *host, size_t cap, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return false;
	size_t hl = (size_t)(colon - s);
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= cap)
		return false;
	char *end;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p > 65535)
		return false;
	memcpy(host, s, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return true;
}

bool write_ready_file(const char *path, json_t *obj)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	bool ok = json_dumpfd(obj, fd, JSON_COMPACT) == 0;
	ok = close(fd) == 0 && ok;
	return ok && rename(tmp, path) == 0;
}

struct daemon_signals {
	struct event *ev[2];
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(arg, NULL);
}

struct daemon_signals *daemon_signals_new(struct event_base *base)
{
	struct daemon_signals *s = xcalloc(1, sizeof(*s));
	signal(SIGPIPE, SIG_IGN);
	s->ev[0] = evsignal_new(base, SIGINT, on_signal, base);
	s->ev[1] = evsignal_new(base, SIGTERM, on_signal, base);
	for (int i = 0; i < 2; i++)
		evsignal_add(s->ev[i], NULL);
	return s;
}

void daemon_signals_free(struct daemon_signals *s)
{
	if (!s)
		return;
	for (int i = 0; i < 2; i++)
		event_free(s->ev[i]);
	free(s);
}

#include "fsm.h"

#include <stdarg.h>
#include <stdio.h>

static bool is_state(const struct fsm *m, int s)
{
	return s >= 0 && s < m->nstates;
}

static bool is_event(const struct fsm *m, int ev)
{
	return ev >= 0 && ev < m->nevents;
}

/* The entry of (from, ev): 0 when illegal or out of the table. */
static unsigned char entry(const struct fsm *m, int from, int ev)
{
	if (!is_event(m, ev))
		return 0;
	if (from == FSM_FRESH)
		return m->first ? m->first[ev] : 0;
	if (!is_state(m, from))
		return 0;
	return m->next[(size_t)from * (size_t)m->nevents + (size_t)ev];
}

bool fsm_next(const struct fsm *m, int from, int ev, int *to)
{
	unsigned char e = entry(m, from, ev);
	if (e == 0 || !is_state(m, e - 1))
		return false;
	*to = e - 1;
	return true;
}

const char *fsm_state_name(const struct fsm *m, int s)
{
	if (s == FSM_FRESH)
		return "new";
	return is_state(m, s) ? m->states[s] : "?";
}

const char *fsm_event_name(const struct fsm *m, int ev)
{
	return is_event(m, ev) ? m->events[ev] : "?";
}

void fsm_refuse(const struct fsm *m, enum fsm_cause cause, const char *subject, int from, int ev,
		struct actions *out)
{
	switch (cause) {
	case FSM_OURS:
		act_violation(out, "%s: %s is illegal in state %s", subject, fsm_event_name(m, ev),
			      fsm_state_name(m, from));
		return;
	case FSM_PEER: {
		struct evrec *r = act_log(out, FSM_REFUSED_EVENT);
		evrec_str(r, "machine", m->name);
		evrec_str(r, "subject", subject);
		evrec_str(r, "from", fsm_state_name(m, from));
		evrec_str(r, "trigger", fsm_event_name(m, ev));
		return;
	}
	}
}

/* Appends to buf at *at; false once it no longer fits. */
static bool put(char *buf, size_t n, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool put(char *buf, size_t n, size_t *at, const char *fmt, ...)
{
	if (*at >= n)
		return false;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf + *at, n - *at, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= n - *at) {
		*at = n;
		return false;
	}
	*at += (size_t)k;
	return true;
}

static bool draw_row(const struct fsm *m, int from, char *buf, size_t n, size_t *at)
{
	bool ok = from == FSM_FRESH ? put(buf, n, at, "| (new) |")
				    : put(buf, n, at, "| %s (%d) |", m->states[from], from);
	for (int ev = 0; ev < m->nevents; ev++) {
		int to;
		if (!fsm_next(m, from, ev, &to))
			ok = put(buf, n, at, " – |") && ok;
		else if (to == from)
			ok = put(buf, n, at, " stays |") && ok;
		else
			ok = put(buf, n, at, " %s |", m->states[to]) && ok;
	}
	return put(buf, n, at, "\n") && ok;
}

bool fsm_draw(const struct fsm *m, char *buf, size_t n)
{
	size_t at = 0;
	if (n)
		buf[0] = '\0';
	bool ok = put(buf, n, &at, "| from \\ event |");
	for (int ev = 0; ev < m->nevents; ev++)
		ok = put(buf, n, &at, " %s |", m->events[ev]) && ok;
	ok = put(buf, n, &at, "\n|---|") && ok;
	for (int ev = 0; ev < m->nevents; ev++)
		ok = put(buf, n, &at, "---|") && ok;
	ok = put(buf, n, &at, "\n") && ok;
	if (m->first)
		ok = draw_row(m, FSM_FRESH, buf, n, &at) && ok;
	for (int s = 0; s < m->nstates; s++)
		ok = draw_row(m, s, buf, n, &at) && ok;
	return ok;
}

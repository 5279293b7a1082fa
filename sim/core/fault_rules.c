#include "fault_rules.h"

#include <stdio.h>
#include <string.h>

#include "units.h"

bool fault_is_msg_rule(enum fault_action a)
{
	return a == FAULT_DROP_MSG || a == FAULT_DELAY_MSG || a == FAULT_DUPLICATE_MSG;
}

bool fault_rule_parse(const char *name, char *arg, struct fault_config *t, const char **why)
{
	static const char *const forms[] = {
		"drop=KIND#N takes add, fulfill, fail or other as KIND",
		"delay=KIND#N:D takes add, fulfill, fail or other as KIND",
		"duplicate=KIND#N[:D] takes add, fulfill, fail or other as KIND",
	};
	enum fault_action a = strcmp(name, "delay") == 0 ? FAULT_DELAY_MSG
			      : strcmp(name, "duplicate") == 0 ? FAULT_DUPLICATE_MSG : FAULT_DROP_MSG;
	size_t form = a == FAULT_DROP_MSG ? 0 : a == FAULT_DELAY_MSG ? 1 : 2;
	char *hash = strchr(arg, '#'), *colon;
	uint64_t n;

	if (!hash) {
		*why = forms[form];
		return false;
	}
	*hash = '\0';
	if (!msg_kind_parse(arg, &t->msg)) {
		*why = forms[form];
		return false;
	}
	colon = strchr(hash + 1, ':');
	if (colon)
		*colon = '\0';
	if (!uint_parse(hash + 1, &n, why))
		return false;
	if (n < 1 || n > UINT32_MAX) {
		*why = "KIND#N counts occurrences from 1 (N at most 4294967295)";
		return false;
	}
	if (a == FAULT_DROP_MSG && colon) {
		*why = "drop=KIND#N takes no delay";
		return false;
	}
	if (a == FAULT_DELAY_MSG && !colon) {
		*why = "delay=KIND#N:D needs the delay after N (e.g. delay=add#2:35ms)";
		return false;
	}
	t->has_dur = colon != NULL;
	if (colon && !duration_parse(colon + 1, &t->dur_us, why))
		return false;
	t->nth = (uint32_t)n;
	t->action = a;
	return true;
}

bool fault_msg_rule(const struct fault_config *f, struct link_rule *r)
{
	if (!fault_is_msg_rule(f->action))
		return false;
	memset(r, 0, sizeof(*r));
	r->kind = f->msg;
	r->nth = f->nth;
	r->what = f->action == FAULT_DROP_MSG ? LINK_RULE_DROP
		  : f->action == FAULT_DELAY_MSG ? LINK_RULE_DELAY : LINK_RULE_DUPLICATE;
	r->has_delay = f->action != FAULT_DROP_MSG && f->has_dur;
	r->delay_us = r->has_delay ? f->dur_us : 0;
	return true;
}

/* Whether a fault's rule applies to link direction d (to_bob or to_alice). */
static bool on_dir(const struct fault_config *f, enum fault_dir d)
{
	return f->dir == DIR_BOTH || f->dir == d;
}

bool fault_rules_check(const struct scenario *s, size_t *bad, char *why, size_t whylen)
{
	static const enum fault_dir dirs[] = { DIR_TO_BOB, DIR_TO_ALICE };
	for (size_t i = 0; i < s->nfaults; i++) {
		/* every rule of the file counts, whatever its at and until */
		const struct fault_config *f = &s->faults[i];
		struct link_rule r, q;
		if (!fault_msg_rule(f, &r))
			continue;
		for (size_t d = 0; d < 2; d++) {
			unsigned count = 1;
			if (!on_dir(f, dirs[d]))
				continue;
			for (size_t j = 0; j < i; j++) {
				const struct fault_config *g = &s->faults[j];
				if (!fault_msg_rule(g, &q) || strcmp(g->channel, f->channel) != 0 ||
				    !on_dir(g, dirs[d]))
					continue;
				count++;
				if (link_rules_conflict(&q, &r)) {
					*bad = i;
					snprintf(why, whylen, "[fault %s] action: %s decides the same "
						 "message on %s %s otherwise than [fault %s] (line %d): one "
						 "fate per message (a delay= and a duplicate= may share one)",
						 f->id, f->text, f->channel, fault_dir_name(dirs[d]),
						 g->id, g->line);
					return false;
				}
			}
			if (count > LINK_MAX_RULES) {
				*bad = i;
				snprintf(why, whylen, "[fault %s] action: more than %d message rules "
					 "(drop=, delay=, duplicate= KIND#N) on %s %s", f->id,
					 LINK_MAX_RULES, f->channel, fault_dir_name(dirs[d]));
				return false;
			}
		}
	}
	return true;
}

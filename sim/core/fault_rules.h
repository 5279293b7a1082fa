/* Fault rules on one message: "drop=add#1", "delay=add#2:35ms",
 * "duplicate=fulfill#1" or "duplicate=fulfill#1:5ms". Their syntax, the
 * link rule each becomes (link.h), and the checks a scenario's set of
 * rules must pass before any link sees them. Pure. */
#ifndef AMPSIM_FAULT_RULES_H
#define AMPSIM_FAULT_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "link.h"
#include "scenario.h"

/* Whether the action is a rule on the nth message of a kind. */
bool fault_is_msg_rule(enum fault_action a);

/* Parse "KIND#N" or "KIND#N:D" after "drop=", "delay=" or "duplicate="
 * (name) into t's action, msg, nth, dur_us and has_dur. arg is modified.
 * false with *why on a bad form. */
bool fault_rule_parse(const char *name, char *arg, struct fault_config *t, const char **why);

/* The link rule a message-rule fault adds; false for any other action. */
bool fault_msg_rule(const struct fault_config *f, struct link_rule *r);

/* Check a scenario's message rules: at most LINK_MAX_RULES on one
 * direction of one channel, and no two deciding one message in ways that
 * cannot combine. false with the offending fault's index in *bad and a
 * message in why. */
bool fault_rules_check(const struct scenario *s, size_t *bad, char *why, size_t whylen);

#endif

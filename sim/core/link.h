/* The impairments of one direction of one simulated channel, and the pure
 * decision of what happens to each message sent on it: delivered (after a
 * delay, possibly twice), dropped for good, or held while the link is down.
 * No sockets and no timers here: the daemons' shell acts on the verdict. */
#ifndef AMPSIM_LINK_H
#define AMPSIM_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "rng.h"

enum jitter_dist { JITTER_UNIFORM, JITTER_NORMAL, JITTER_PARETO };

/* Message kinds that fault rules can name ("drop=fulfill#1"). */
enum msg_kind { MSG_ADD, MSG_FULFILL, MSG_FAIL, MSG_OTHER, MSG_SIGNED, MSG_KIND_COUNT };

const char *msg_kind_name(enum msg_kind k);
/* "add", "fulfill", "fail", "other" -> kind; false for anything else. */
bool msg_kind_parse(const char *s, enum msg_kind *k);

struct link_params {
	uint64_t delay_us;       /* one-way, simulated */
	uint64_t jitter_us;
	enum jitter_dist jitter_dist;
	double drop;             /* independent loss probability */
	double duplicate;        /* probability a delivered message arrives twice */
	bool ge;                 /* Gilbert-Elliott bursty loss on */
	double ge_p;             /* P(good -> bad) per message */
	double ge_r;             /* P(bad -> good) per message */
};

/* Rules per link direction: enough for a scenario that fixes the fate of
 * every message of a short run (a checker's counterexample). */
#define LINK_MAX_RULES 64

/* What a rule does to the nth message of its kind ("drop=add#1",
 * "delay=add#2:35ms", "duplicate=fulfill#1[:D]"). */
enum link_rule_what { LINK_RULE_DROP, LINK_RULE_DELAY, LINK_RULE_DUPLICATE };

/* 16 bytes: a link carries LINK_MAX_RULES of them, and a state of the
 * world holds every link */
struct link_rule {
	uint64_t delay_us;       /* delay: the message's; duplicate: its second copy's */
	uint32_t nth;            /* 1-based occurrence on this link */
	uint8_t kind;            /* enum msg_kind */
	uint8_t what;            /* enum link_rule_what */
	bool has_delay;          /* delay: always; duplicate: when ":D" is given */
};

/* "<channel>/<direction>": a channel id is at most 63 bytes */
#define LINK_PREFIX_MAX 80

struct link {
	struct link_params p;
	bool down;
	/* each kind of message has its own stream and its own loss-burst state,
	 * so the nth add of a link meets the same fate in every run with the
	 * seed, however acks and fulfills happen to interleave with it */
	bool ge_bad[MSG_KIND_COUNT];
	struct rng rng[MSG_KIND_COUNT];
	/* each kind's stream is derived at its first draw (a SHA-256 and a
	 * ChaCha20 key each): a link whose fates an explorer decides draws
	 * nothing and derives nothing */
	bool derived[MSG_KIND_COUNT];
	uint64_t seed;
	char stream[LINK_PREFIX_MAX];   /* "<channel>/<direction>" */
	uint32_t sent[MSG_KIND_COUNT];
	struct link_rule rules[LINK_MAX_RULES];
	unsigned nrules;
};

enum link_fate { LINK_DELIVER, LINK_DROP, LINK_HOLD };

struct link_verdict {
	enum link_fate fate;
	unsigned copies;          /* 1, or 2 when duplicated */
	uint64_t delay_us[2];     /* per copy, simulated */
	const char *why;          /* for LINK_DROP/LINK_HOLD: "drop", "loss_burst", "rule", "down" */
};

void link_init(struct link *l, const struct link_params *p, uint64_t seed,
	       const char *channel, const char *direction);

/* Decide the fate of the next message of kind k. Counts it. */
struct link_verdict link_decide(struct link *l, enum msg_kind k);

/* Delay of a message released after the link comes back up (drawn from
 * the link's "other" stream). */
uint64_t link_draw_delay(struct link *l);

/* Count one more message of kind k (anything unknown counts as other, and
 * *k says so), as link_decide counts it; returns its number, 1-based. */
uint32_t link_count(struct link *l, enum msg_kind *k);

/* The least and the most delay a message may take on a link with p: the
 * delay plus the least and the most jitter draw_delay can draw (uniform
 * [0, J], normal [0, 4J], pareto [J/2, 10J]). */
void link_delay_range(const struct link_params *p, uint64_t *lo, uint64_t *hi);

/* Add a "drop the nth message of kind k" rule; false if the table is full. */
bool link_add_rule(struct link *l, enum msg_kind k, uint32_t nth);

/* Add any rule. NULL when added; otherwise why not (the table is full, nth
 * is 0, or another rule decides that message otherwise). A delay and a
 * duplicate rule may share a message: its first copy comes after the
 * delay, its second after the duplicate's D. The same rule twice is
 * allowed and fires as one. */
const char *link_add_msg_rule(struct link *l, const struct link_rule *r);

/* Remove a rule that has not fired (kind, nth and what equal); false if
 * there is none. */
bool link_remove_msg_rule(struct link *l, const struct link_rule *r);

/* Whether two rules decide the same message in ways that cannot be
 * combined: a drop with a delay or a duplicate, or two delays (or two
 * duplicates) with different delays. */
bool link_rules_conflict(const struct link_rule *a, const struct link_rule *b);

#endif

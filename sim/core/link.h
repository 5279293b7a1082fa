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
/* "add", "fulfill", "fail" -> kind; false for anything else. */
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

#define LINK_MAX_RULES 8

struct drop_rule {
	enum msg_kind kind;
	uint32_t nth;            /* 1-based occurrence on this link */
};

struct link {
	struct link_params p;
	bool down;
	/* each kind of message has its own stream and its own loss-burst state,
	 * so the nth add of a link meets the same fate in every run with the
	 * seed, however acks and fulfills happen to interleave with it */
	bool ge_bad[MSG_KIND_COUNT];
	struct rng rng[MSG_KIND_COUNT];
	uint32_t sent[MSG_KIND_COUNT];
	struct drop_rule rules[LINK_MAX_RULES];
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

/* Add a "drop the nth message of kind k" rule; false if the table is full. */
bool link_add_rule(struct link *l, enum msg_kind k, uint32_t nth);

#endif

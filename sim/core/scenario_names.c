/* The scenario model's enums by name: each parser walks the name
 * function, so a name is written down exactly once. Pure: no files. */
#include "scenario.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Names of the enums. Each parser walks the name function, so a name
 * is written down exactly once. */

const char *fault_dir_name(enum fault_dir d)
{
	switch (d) {
	case DIR_BOTH: return "both";
	case DIR_TO_BOB: return "to_bob";
	case DIR_TO_ALICE: return "to_alice";
	}
	abort();
}

bool fault_dir_parse(const char *s, enum fault_dir *d)
{
	static const enum fault_dir all[] = { DIR_BOTH, DIR_TO_BOB, DIR_TO_ALICE };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, fault_dir_name(all[i])) == 0) {
			*d = all[i];
			return true;
		}
	}
	return false;
}

const char *jitter_dist_name(enum jitter_dist j)
{
	switch (j) {
	case JITTER_UNIFORM: return "uniform";
	case JITTER_NORMAL: return "normal";
	case JITTER_PARETO: return "pareto";
	}
	abort();
}

bool jitter_dist_parse(const char *s, enum jitter_dist *j)
{
	static const enum jitter_dist all[] = { JITTER_UNIFORM, JITTER_NORMAL, JITTER_PARETO };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, jitter_dist_name(all[i])) == 0) {
			*j = all[i];
			return true;
		}
	}
	return false;
}

const char *node_name(enum node n)
{
	switch (n) {
	case NODE_ALICE: return "alice";
	case NODE_BOB: return "bob";
	}
	abort();
}

bool node_parse(const char *s, enum node *n)
{
	static const enum node all[] = { NODE_ALICE, NODE_BOB };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, node_name(all[i])) == 0) {
			*n = all[i];
			return true;
		}
	}
	return false;
}

const char *fault_action_name(enum fault_action a)
{
	switch (a) {
	case FAULT_DOWN: return "down";
	case FAULT_UP: return "up";
	case FAULT_DROP: return "drop";
	case FAULT_LOSS_GE: return "loss";
	case FAULT_DELAY: return "delay";
	case FAULT_JITTER: return "jitter";
	case FAULT_DUPLICATE: return "duplicate";
	case FAULT_DROP_MSG: return "drop_msg";
	case FAULT_DISCONNECT: return "disconnect";
	case FAULT_PARTITION: return "partition";
	case FAULT_CRASH: return "crash";
	case FAULT_RESTART: return "restart";
	case FAULT_DELAY_MSG: return "delay_msg";
	case FAULT_DUPLICATE_MSG: return "duplicate_msg";
	}
	abort();
}

/* The one classification of fault actions: who carries each out. */
enum fault_scope fault_action_scope(enum fault_action a)
{
	switch (a) {
	case FAULT_DOWN:
	case FAULT_UP:
	case FAULT_DROP:
	case FAULT_LOSS_GE:
	case FAULT_DELAY:
	case FAULT_JITTER:
	case FAULT_DUPLICATE:
	case FAULT_DROP_MSG:
	case FAULT_DELAY_MSG:
	case FAULT_DUPLICATE_MSG:
		return FAULT_SCOPE_CHANNEL;
	case FAULT_PARTITION:
		return FAULT_SCOPE_ALL_CHANNELS;
	case FAULT_DISCONNECT:
		return FAULT_SCOPE_CONNECTION;
	case FAULT_CRASH:
	case FAULT_RESTART:
		return FAULT_SCOPE_PROCESS;
	}
	abort();
}

/* Actions that change one channel's link need "channel ="; the others
 * act on a node or on the whole connection and must not name one. */
bool fault_action_on_channel(enum fault_action a)
{
	return fault_action_scope(a) == FAULT_SCOPE_CHANNEL;
}

/* Faults the daemons apply to their links themselves (over the control
 * socket); the others are the run's to carry out. */
bool fault_action_on_links(enum fault_action a)
{
	switch (fault_action_scope(a)) {
	case FAULT_SCOPE_CHANNEL:
	case FAULT_SCOPE_ALL_CHANNELS:
		return true;
	case FAULT_SCOPE_CONNECTION:
	case FAULT_SCOPE_PROCESS:
		return false;
	}
	abort();
}

/* Whether "until" can lift the action. up and restart undo other
 * faults; disconnect and crash are one-off events (the daemons reconnect
 * on their own; a crashed node comes back only through restart=). */
bool fault_action_liftable(enum fault_action a)
{
	switch (a) {
	case FAULT_DOWN:
	case FAULT_DROP:
	case FAULT_LOSS_GE:
	case FAULT_DELAY:
	case FAULT_JITTER:
	case FAULT_DUPLICATE:
	case FAULT_DROP_MSG:
	case FAULT_DELAY_MSG:
	case FAULT_DUPLICATE_MSG:
	case FAULT_PARTITION:
		return true;
	case FAULT_UP:
	case FAULT_DISCONNECT:
	case FAULT_CRASH:
	case FAULT_RESTART:
		return false;
	}
	abort();
}


const char *sim_clock_name(enum sim_clock c)
{
	switch (c) {
	case SIM_CLOCK_VIRTUAL: return "virtual";
	case SIM_CLOCK_WALL: return "wall";
	}
	abort();
}

bool sim_clock_parse(const char *s, enum sim_clock *c)
{
	static const enum sim_clock all[] = { SIM_CLOCK_VIRTUAL, SIM_CLOCK_WALL };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, sim_clock_name(all[i])) == 0) {
			*c = all[i];
			return true;
		}
	}
	return false;
}

/* ---- lookups ---------------------------------------------------------- */

const struct channel_config *scenario_channel(const struct scenario *s, const char *id)
{
	for (size_t i = 0; i < s->nchannels; i++)
		if (strcmp(s->channels[i].id, id) == 0)
			return &s->channels[i];
	return NULL;
}

const struct payment_config *scenario_payment(const struct scenario *s, const char *id)
{
	for (size_t i = 0; i < s->npayments; i++)
		if (strcmp(s->payments[i].id, id) == 0)
			return &s->payments[i];
	return NULL;
}

const struct workload_config *scenario_workload(const struct scenario *s, const char *id)
{
	for (size_t i = 0; i < s->nworkloads; i++)
		if (strcmp(s->workloads[i].id, id) == 0)
			return &s->workloads[i];
	return NULL;
}

/* Which section already uses id, if any: ids share one namespace because
 * [expect] names payments, workloads and channels by bare id. */
bool scenario_id_owner(const struct scenario *s, const char *id, const char **what, int *line)
{
	for (size_t i = 0; i < s->nchannels; i++)
		if (strcmp(s->channels[i].id, id) == 0) {
			*what = "channel";
			*line = s->channels[i].line;
			return true;
		}
	for (size_t i = 0; i < s->npayments; i++)
		if (strcmp(s->payments[i].id, id) == 0) {
			*what = "payment";
			*line = s->payments[i].line;
			return true;
		}
	for (size_t i = 0; i < s->nfaults; i++)
		if (strcmp(s->faults[i].id, id) == 0) {
			*what = "fault";
			*line = s->faults[i].line;
			return true;
		}
	for (size_t i = 0; i < s->nworkloads; i++)
		if (strcmp(s->workloads[i].id, id) == 0) {
			*what = "workload";
			*line = s->workloads[i].line;
			return true;
		}
	return false;
}


const struct workload_config *scenario_workload_of(const struct scenario *s, const char *id)
{
	for (size_t w = 0; w < s->nworkloads; w++) {
		const struct workload_config *wl = &s->workloads[w];
		size_t n = strlen(wl->id);
		if (strncmp(id, wl->id, n) != 0 || id[n] != '-' || !isdigit((unsigned char)id[n + 1]))
			continue;
		char *end;
		unsigned long k = strtoul(id + n + 1, &end, 10);
		if (*end == '\0' && k >= 1 && k <= wl->count)
			return wl;
	}
	return NULL;
}

/* shards on a single payment means nothing: it is ignored (set to 0), so
 * that a grid over modes can include single, and noted for the caller */
void scenario_single_shards(struct scenario *s, const char *file, int line, const char *label,
			    uint32_t *shards)
{
	if (s->nnotes < SCN_MAX_NOTES)
		snprintf(s->notes[s->nnotes++], SCN_NOTE_MAX, "%s:%d: %s shards: mode single sends "
			 "one part: shards = %u is ignored (it applies to invoices, mpp and amp)",
			 file, line, label, (unsigned)*shards);
	*shards = 0;
}

/* What every part of the world reads: the time, the height, the nodes'
 * ids, a node's side, and the sink events and violations go to. */
#include "world_int.h"

#include "log.h"

/* The two nodes' ids in this process: names, not keys (terms.h) */
const uint8_t world_alice_node[TERMS_NODE_LEN] = { 0x02, 0xa1 };
const uint8_t world_bob_node[TERMS_NODE_LEN] = { 0x03, 0xb0 };

const char *world_node_name(enum world_node n)
{
	return n == WORLD_ALICE ? "alice" : "bob";
}

const struct scenario *world_scenario(const struct world *w)
{
	return w->s;
}

uint64_t world_now(const struct world *w)
{
	return w->now;
}

uint32_t world_height(const struct world *w)
{
	return simclock_height_of(&w->clk, w->now);
}

struct side *w_side(struct world *w, enum world_node n)
{
	return n == WORLD_ALICE ? &w->a : &w->b;
}

void w_emit(struct world *w, enum world_node n, const struct evrec *r)
{
	if (w->sink.event)
		w->sink.event(w->sink.ctx, n, r);
}

void w_violation(struct world *w, enum world_node n, const char *text)
{
	w_side(w, n)->violations++;
	if (w->sink.violation)
		w->sink.violation(w->sink.ctx, n, text);
}

const char *w_chan_name(struct world *w, struct side *sd, size_t chan)
{
	return sd->node == WORLD_ALICE ? w->alice.chans[chan].ledger.id : w->bob.chans[chan].ledger.id;
}

const uint64_t *world_clock(const struct world *w)
{
	return &w->now;
}

struct actions *w_acts_take(struct world *w)
{
	if (w->act_depth == W_ACT_DEPTH)
		fatal("the world: action lists nested %d deep", W_ACT_DEPTH);
	return &w->acts[w->act_depth++];
}

void w_acts_give(struct world *w)
{
	w->act_depth--;
}

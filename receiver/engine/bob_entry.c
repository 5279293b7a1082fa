/* Bob's engine's entry points (bob_engine.h): each runs its handler
 * (bob_engine.c, bob_block.c, bob_sets.c, bob_restore.c), then encodes the
 * records the handler's list asks for, as the engine stands once the
 * event is handled (bob_records_encode): the shell writes those bytes.
 * A list is handed out up to its claims; the rest comes with the chain's
 * answer to the last of them (struct chain_wait, action.h). */
#include "bob_codec.h"
#include "bob_engine.h"
#include "bob_engine_int.h"

static void end(struct bob_engine *e, struct actions *out, size_t from)
{
	bob_records_encode(e, out, from);
	chain_wait_split(&e->wait, out, from);
}

void bob_engine_disconnected(struct bob_engine *e, uint64_t conn, const char *why,
			     struct actions *out)
{
	size_t from = out->n;
	be_disconnected(e, conn, why, out);
	end(e, out, from);
}

void bob_engine_message(struct bob_engine *e, uint64_t conn, const Ampsim__Envelope *env,
			uint64_t now_us, struct actions *out)
{
	size_t from = out->n;
	be_message(e, conn, env, now_us, out);
	end(e, out, from);
}

void bob_engine_block(struct bob_engine *e, uint64_t now_us, struct actions *out)
{
	size_t from = out->n;
	be_block(e, now_us, out);
	end(e, out, from);
}

void bob_engine_hold_timeout(struct bob_engine *e, uint64_t set_id, uint64_t now_us,
			     struct actions *out)
{
	size_t from = out->n;
	be_hold_timeout(e, set_id, now_us, out);
	end(e, out, from);
}

void bob_engine_chain_result(struct bob_engine *e, size_t chan, uint64_t htlc_id,
			     enum chain_answer a, struct actions *out)
{
	size_t from = out->n;
	be_chain_result(e, chan, htlc_id, a, out);
	bob_records_encode(e, out, from);
	chain_wait_answered(&e->wait, out);
}

size_t bob_engine_new_invoice(struct bob_engine *e, struct amount_msat amount, const char *desc,
			      uint64_t now_us, struct actions *out)
{
	size_t from = out->n;
	size_t n = be_new_invoice(e, amount, desc, now_us, out);
	end(e, out, from);
	return n;
}

size_t bob_engine_compact_invoices(struct bob_engine *e, size_t keep, struct actions *out)
{
	size_t from = out->n;
	size_t n = be_compact_invoices(e, keep, out);
	end(e, out, from);
	return n;
}

void bob_engine_resume(struct bob_engine *e, uint64_t now_us, struct actions *out)
{
	size_t from = out->n;
	be_resume(e, now_us, out);
	end(e, out, from);
}

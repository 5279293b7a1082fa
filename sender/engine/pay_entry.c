/* Alice's engine's entry points (pay_engine.h): each runs its handler
 * (pay_engine.c, pay_resolve.c, pay_conn.c, pay_book.c), then encodes the
 * records the handler's list asks for, as the engine stands once the
 * event is handled (pay_records_encode): the shell writes those bytes.
 * A list is handed out up to its refunds; the rest comes with the chain's
 * answer to the last of them (struct chain_wait, action.h). */
#include "pay_codec.h"
#include "pay_engine.h"
#include "pay_internal.h"

static void end(struct pay_engine *e, struct actions *out, size_t from)
{
	pay_records_encode(e, out, from);
	chain_wait_split(&e->wait, out, from);
}

void pay_engine_connected(struct pay_engine *e, bool reconnect, struct actions *out)
{
	size_t from = out->n;
	pe_on_connected(e, reconnect, out);
	end(e, out, from);
}

void pay_engine_on_init(struct pay_engine *e, const Ampsim__Init *m, struct actions *out)
{
	size_t from = out->n;
	pe_on_init(e, m, out);
	end(e, out, from);
}

void pay_engine_on_accept(struct pay_engine *e, const Ampsim__AcceptChannel *m, uint64_t now_us,
			  struct actions *out)
{
	size_t from = out->n;
	pe_on_accept(e, m, now_us, out);
	end(e, out, from);
}

struct payment *pay_engine_pay(struct pay_engine *e, const struct pay_request *r,
			       uint64_t now_us, struct actions *out)
{
	size_t from = out->n;
	struct payment *p = pe_pay(e, r, now_us, out);
	end(e, out, from);
	return p;
}

void pay_engine_on_invoice(struct pay_engine *e, const Ampsim__Invoice *m, uint64_t now_us,
			   struct actions *out)
{
	size_t from = out->n;
	pe_on_invoice(e, m, now_us, out);
	end(e, out, from);
}

void pay_engine_on_fulfill(struct pay_engine *e, const Ampsim__UpdateFulfillHtlc *m,
			   uint64_t now_us, struct actions *out)
{
	size_t from = out->n;
	pe_on_fulfill(e, m, now_us, out);
	end(e, out, from);
}

void pay_engine_on_fail(struct pay_engine *e, const Ampsim__UpdateFailHtlc *m, uint64_t now_us,
			struct actions *out)
{
	size_t from = out->n;
	pe_on_fail(e, m, now_us, out);
	end(e, out, from);
}

void pay_engine_on_signed(struct pay_engine *e, const Ampsim__HtlcSigned *m, struct actions *out)
{
	size_t from = out->n;
	pe_on_signed(e, m, out);
	end(e, out, from);
}

void pay_engine_retry_deferred(struct pay_engine *e, uint64_t now_us, struct actions *out)
{
	size_t from = out->n;
	pe_retry_deferred(e, now_us, out);
	end(e, out, from);
}

void pay_engine_start(struct pay_engine *e, uint64_t now_us, struct actions *out)
{
	size_t from = out->n;
	pe_start(e, now_us, out);
	end(e, out, from);
}

void pay_engine_block(struct pay_engine *e, uint64_t now_us, const struct pay_chain_seen *seen,
		      size_t nseen, struct actions *out)
{
	size_t from = out->n;
	pe_block(e, now_us, seen, nseen, out);
	end(e, out, from);
}

void pay_engine_chain_result(struct pay_engine *e, size_t chan, uint64_t htlc_id,
			     enum chain_answer a, struct actions *out)
{
	size_t from = out->n;
	pe_chain_result(e, chan, htlc_id, a, out);
	pay_records_encode(e, out, from);
	chain_wait_answered(&e->wait, out);
}

size_t pay_engine_compact(struct pay_engine *e, size_t keep, struct actions *out)
{
	size_t from = out->n;
	size_t n = pe_compact(e, keep, out);
	end(e, out, from);
	return n;
}

void pay_engine_channel_records(struct pay_engine *e, struct actions *out)
{
	size_t from = out->n;
	for (size_t i = 0; i < e->nchans; i++)
		act_persist(out, PAY_REC_CHANNEL, i, 0);
	end(e, out, from);
}

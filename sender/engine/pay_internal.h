/* What the engine's files (pay_engine.c, pay_resolve.c, pay_conn.c) share;
 * not for the shell. */
#ifndef AMPSIM_PAY_INTERNAL_H
#define AMPSIM_PAY_INTERNAL_H

#include "pay_engine.h"

static inline uint32_t pay_index(const struct pay_engine *e, const struct payment *p)
{
	return (uint32_t)(p - e->pays);
}

/* Write the payment (and the channel it touched, unless SIZE_MAX) before
 * anything of this list is sent. */
void pe_persist(struct pay_engine *e, const struct payment *p, size_t chan, struct actions *out);
void pe_check_conservation(const struct pay_engine *e, size_t chan, struct actions *out);
bool pe_connected(const struct pay_engine *e);
/* p went (or, restored, is) deferred: retry_deferred will look at it. */
void pe_note_deferred(struct pay_engine *e, uint64_t seq);
void pe_rand(struct pay_engine *e, uint8_t *buf, size_t n);

/* The part behind (channel, htlc id), whatever its state, or NULL. */
struct part *pe_owner_any(struct pay_engine *e, size_t chan, uint64_t htlc_id,
			  struct payment **payp);

void pe_start_payment(struct pay_engine *e, struct payment *p, uint64_t now_us,
		      struct actions *out);
void pe_send_part(struct pay_engine *e, struct payment *p, size_t part, uint64_t now_us,
		  struct actions *out);
void pe_transmit_add(struct pay_engine *e, const struct payment *p, const struct part *pt,
		     struct actions *out);
void pe_request_invoice(struct pay_engine *e, struct payment *p, int32_t part,
			struct actions *out);
void pe_send_invoice_request(struct pay_engine *e, const struct inv_request *r,
			     struct actions *out);
void pe_maybe_finish(struct pay_engine *e, struct payment *p, struct actions *out);
void pe_maybe_retry(struct pay_engine *e, struct payment *p, size_t failed_idx, uint64_t now_us,
		    struct actions *out);
/* The part fails before it was sent (cause: who asked, for an illegal change). */
void pe_fail_part_unsent(struct payment *p, size_t part, enum fsm_cause cause, const char *why,
			 struct actions *out);

/* The entry points' handlers (pay_entry.c calls each, then encodes the
 * records its list asks for); the engine's files call these, not the
 * entry points. */
void pe_on_connected(struct pay_engine *e, bool reconnect, struct actions *out);
void pe_on_init(struct pay_engine *e, const Ampsim__Init *m, struct actions *out);
void pe_on_accept(struct pay_engine *e, const Ampsim__AcceptChannel *m, uint64_t now_us,
		  struct actions *out);
struct payment *pe_pay(struct pay_engine *e, const struct pay_request *r, uint64_t now_us,
		       struct actions *out);
void pe_on_invoice(struct pay_engine *e, const Ampsim__Invoice *m, uint64_t now_us,
		   struct actions *out);
void pe_on_fulfill(struct pay_engine *e, const Ampsim__UpdateFulfillHtlc *m, uint64_t now_us,
		   struct actions *out);
void pe_on_fail(struct pay_engine *e, const Ampsim__UpdateFailHtlc *m, uint64_t now_us,
		struct actions *out);
void pe_on_signed(struct pay_engine *e, const Ampsim__HtlcSigned *m, struct actions *out);
void pe_retry_deferred(struct pay_engine *e, uint64_t now_us, struct actions *out);
void pe_start(struct pay_engine *e, uint64_t now_us, struct actions *out);
void pe_block(struct pay_engine *e, uint64_t now_us, const struct pay_chain_seen *seen,
	      size_t nseen, struct actions *out);
void pe_chain_result(struct pay_engine *e, size_t chan, uint64_t htlc_id, enum chain_answer a,
		     struct actions *out);
size_t pe_compact(struct pay_engine *e, size_t keep, struct actions *out);

#endif

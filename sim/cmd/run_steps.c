/* ampsim run: the scenario's steps as the daemons carry them out (a
 * payment, a fault, a crash or a restart), and the test of quiet. Used by
 * both clocks' loops. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "fault_rules.h"
#include "log.h"
#include "rpc.h"
#include "rpc_client.h"
#include "run.h"
#include "units.h"

void say(const struct run *r, const char *fmt, const char *arg)
{
	if (r->verbose) {
		fprintf(stderr, "ampsim: ");
		fprintf(stderr, fmt, arg);
		fputc('\n', stderr);
	}
}

json_t *call(const char *sock, const char *method, json_t *params, char *err, size_t n)
{
	json_t *r = rpc_call(sock, method, params, RPC_TIMEOUT_MS, err, n);
	json_decref(params);
	return r;
}

/* Send a payment to alice; false (kept queued) if she cannot take it now. */
static bool send_payment(struct run *r, const struct payment_config *p, char *err, size_t errlen)
{
	char amount[40], expiry[24], timeout[32];
	snprintf(amount, sizeof(amount), "%llumsat", (unsigned long long)p->amount.millisatoshis);
	snprintf(expiry, sizeof(expiry), "%ublocks", p->expiry_blocks);
	snprintf(timeout, sizeof(timeout), "%lluus", (unsigned long long)p->timeout_us);
	json_t *params = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s}", "id", p->id, "amount", amount,
				   "mode", pay_mode_name(p->mode), "shards", (int)p->shards,
				   "expiry", expiry, "timeout", timeout);
	json_t *res = call(r->alice_sock, "pay", params, err, errlen);
	json_decref(res);
	return res != NULL;
}

void flush_one(struct run *r)
{
	char e[512];
	if (!r->nqueued || !r->alice || !send_payment(r, r->queued[0], e, sizeof(e)))
		return;
	memmove(r->queued, r->queued + 1, --r->nqueued * sizeof(r->queued[0]));
}

void flush_queued(struct run *r)
{
	char e[512];
	size_t k = 0;
	for (size_t i = 0; i < r->nqueued; i++)
		if (!r->alice || !send_payment(r, r->queued[i], e, sizeof(e)))
			r->queued[k++] = r->queued[i];
	r->nqueued = k;
}

static bool fault_to(struct run *r, int who, const struct fault_config *f, bool lift,
		     char *err, size_t errlen)
{
	const char *sock = who == 0 ? r->alice_sock : r->bob_sock;
	if ((who == 0 ? r->alice : r->bob) == 0)
		return true;    /* down: it gets the fault when it restarts */
	char e[512];
	json_t *params = json_pack("{s:s,s:s,s:s,s:b}", "channel", f->channel,
				   "direction", fault_dir_name(f->dir), "action", f->text, "lift", lift);
	json_t *res = call(sock, "fault", params, e, sizeof(e));
	if (!res) {
		snprintf(err, errlen, "%s:%d: fault %s: %s refused it: %s", r->s->path, f->line,
			 f->id, who == 0 ? "alice" : "bob", e);
		return false;
	}
	json_decref(res);
	return true;
}

static void reapply_faults(struct run *r, int who)
{
	char e[512];
	for (size_t i = 0; i < r->nactive; i++)
		if (!fault_is_msg_rule(r->active[i]->action))   /* a one-shot rule is not re-armed */
			fault_to(r, who, r->active[i], false, e, sizeof(e));
}

bool do_action(struct run *r, const struct run_step *a, char *err, size_t errlen)
{
	char e[512];
	if (a->pay) {
		if (!r->alice || !send_payment(r, a->pay, e, sizeof(e))) {
			if (r->alice && !strstr(e, "not connected")) {
				snprintf(err, errlen, "%s:%d: payment %s: alice refused it: %s", r->s->path,
					 a->pay->line, a->pay->id, e);
				return false;
			}
			if (r->nqueued == r->queued_cap) {
				r->queued_cap = r->queued_cap ? 2 * r->queued_cap : 64;
				r->queued = xrealloc(r->queued, r->queued_cap * sizeof(*r->queued));
			}
			r->queued[r->nqueued++] = a->pay;
		}
		return true;
	}
	const struct fault_config *f = a->fault;
	if (fault_action_on_links(f->action)) {
		if (!a->lift && r->nactive < SCN_MAX_FAULTS)
			r->active[r->nactive++] = f;
		if (a->lift) {
			for (size_t i = 0; i < r->nactive; i++)
				if (r->active[i] == f)
					r->active[i] = r->active[--r->nactive];
		}
		/* bob first, then alice once bob is done with it: what alice does
		 * about it (payments she retries) reaches a bob that has it too,
		 * and never races the fault to him (one order, not the kernel's) */
		if (!fault_to(r, 1, f, a->lift, err, errlen))
			return false;
		if (r->vc && !settle_instant(r, err, errlen))
			return false;
		return fault_to(r, 0, f, a->lift, err, errlen);
	}
	switch (f->action) {
	case FAULT_DISCONNECT:
		if (r->alice) {
			json_t *res = call(r->alice_sock, "disconnect", NULL, e, sizeof(e));
			json_decref(res);
		}
		return true;
	case FAULT_CRASH:
		/* kill -9: no chance to write anything more */
		if ((f->target == NODE_ALICE ? r->alice : r->bob) > 0)
			log_crash(r, f->target == NODE_ALICE ? "alice" : "bob");
		kill9(f->target == NODE_ALICE ? &r->alice : &r->bob);
		r->crashed[f->target == NODE_ALICE ? 0 : 1] = f;
		say(r, "%s crashed (kill -9)", f->target == NODE_ALICE ? "alice" : "bob");
		return true;
	case FAULT_RESTART:
		r->crashed[f->target == NODE_ALICE ? 0 : 1] = NULL;
		/* the faults in force reach it once its start-up's work at the
		 * instant (a connection, a reestablish) is done: one order, not
		 * the machine's */
		if (f->target == NODE_ALICE) {
			kill9(&r->alice);
			if (!start_alice(r, false, err, errlen) ||
			    (r->vc && !settle_instant(r, err, errlen)))
				return false;
			reapply_faults(r, 0);
			if (!r->vc)     /* the virtual loop sends them once she settles */
				flush_queued(r);
		} else {
			kill9(&r->bob);
			if (!start_bob(r, err, errlen) || (r->vc && !settle_instant(r, err, errlen)))
				return false;
			reapply_faults(r, 1);
		}
		return true;
	case FAULT_DOWN: case FAULT_UP: case FAULT_DROP: case FAULT_LOSS_GE: case FAULT_DELAY:
	case FAULT_JITTER: case FAULT_DUPLICATE: case FAULT_DROP_MSG: case FAULT_PARTITION:
	case FAULT_DELAY_MSG: case FAULT_DUPLICATE_MSG:
		break;
	}
	return true;
}

/* Quiet: every payment has an outcome, nothing is in flight or on the
 * wire, and both daemons report the same channels. */
bool quiet(struct run *r, bool *all_final)
{
	char e[512];
	*all_final = false;
	json_t *pays = call(r->alice_sock, "listpayments", json_pack("{s:b}", "summary", 1), e, sizeof(e));
	if (!pays)
		return false;
	const char *k;
	json_t *v;
	bool final = true;
	json_object_foreach(pays, k, v) {
		if (strcmp(json_string_value(v), "pending") == 0)
			final = false;
	}
	json_decref(pays);
	*all_final = final;
	if (!final)
		return false;
	json_t *ia = call(r->alice_sock, "getinfo", NULL, e, sizeof(e));
	json_t *ib = call(r->bob_sock, "getinfo", NULL, e, sizeof(e));
	json_t *ca = call(r->alice_sock, "channels", NULL, e, sizeof(e));
	json_t *cb = call(r->bob_sock, "channels", NULL, e, sizeof(e));
	bool ok = ia && ib && ca && cb &&
		  json_integer_value(json_object_get(ia, "messages_pending")) == 0 &&
		  json_integer_value(json_object_get(ib, "messages_pending")) == 0;
	if (ok) {
		json_object_foreach(ca, k, v) {
			json_t *w = json_object_get(cb, k);
			if (json_integer_value(json_object_get(v, "inflight_msat")) != 0 || !w ||
			    json_integer_value(json_object_get(w, "inflight_msat")) != 0 ||
			    json_integer_value(json_object_get(v, "alice_msat")) !=
				    json_integer_value(json_object_get(w, "alice_msat")))
				ok = false;
		}
	}
	json_decref(ia);
	json_decref(ib);
	json_decref(ca);
	json_decref(cb);
	return ok;
}



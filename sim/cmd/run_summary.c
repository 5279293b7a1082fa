/* ampsim run's summary: every payment's outcome and parts, each channel
 * as both sides see it, the expectations and the problems, as text or as
 * one JSON object (--json). Returns the run's exit status, given rc so far. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "run.h"

/* What went wrong beside the payments: the run's stop, the clock, an
 * interruption (rc 1), a daemon down or silent, no outcome, no agreement,
 * invariant violations. */
static json_t *run_problems(const struct run *r, const struct run_end *e, json_t *transit, int *rc)
{
	json_t *problems = json_array();
	if (e->stopwhy[0])
		json_array_append_new(problems, json_string(e->stopwhy));
	if (e->clockwhy[0] && !(e->interrupted && strncmp(e->clockwhy, "interrupted at ", 15) == 0))
		json_array_append_new(problems, json_string(e->clockwhy));
	if (e->interrupted) {
		/* "interrupted at t = X s" from the virtual clock says when */
		const char *at = strncmp(e->clockwhy, "interrupted at ", 15) == 0 ? e->clockwhy + 15 : NULL;
		json_array_append_new(problems, json_sprintf("interrupted (%s)%s%s: the run was "
							     "stopped before its end",
							     e->interrupted == SIGTERM ? "SIGTERM" : "Ctrl-C",
							     at ? " at " : "", at ? at : ""));
		*rc = 1;
	}
	for (int i = 0; i < 2; i++)
		if (r->crashed[i])
			json_array_append_new(problems, json_sprintf(
				"%s is down at the end: [fault %s] crashed it at %.3f s and no restart "
				"followed, so its view is unknown", i ? "bob" : "alice",
				r->crashed[i]->id, (double)r->crashed[i]->at_us / 1e6));
	if (!e->pays || !e->ca || !e->cb) {
		if (!r->crashed[0] && !r->crashed[1])
			json_array_append_new(problems, json_string("a daemon stopped answering "
								    "before the end"));
	} else {
		if (!e->final)
			json_array_append_new(problems, json_string("some payments never reached an outcome"));
		/* named exactly: what was on its way, which views differ */
		if (!e->settled_quiet && !quiet_problems(e->ca, e->cb, transit, problems) && e->final)
			json_array_append_new(problems, json_string("the daemons did not agree or still had HTLCs in flight at the end"));
	}
	long long violations = json_integer_value(json_object_get(e->ia, "violations")) +
			       json_integer_value(json_object_get(e->ib, "violations"));
	if (violations) {
		char m[96];
		snprintf(m, sizeof(m), "%lld invariant violation%s logged", violations,
			 violations == 1 ? "" : "s");
		json_array_append_new(problems, json_string(m));
	}
	return problems;
}

/* The scenario's payments as alice reported them. */
static json_t *run_payments(const struct run *r, const struct run_end *e)
{
	json_t *jp = json_object();
	for (size_t i = 0; i < r->s->npayments; i++) {
		const char *id = r->s->payments[i].id;
		json_t *p = json_object_get(e->pays, id), *o = json_object();
		json_object_set_new(o, "outcome", json_string(p ? json_string_value(json_object_get(p, "outcome")) : "pending"));
		json_object_set_new(o, "mode", json_string(pay_mode_name(r->s->payments[i].mode)));
		json_set_u64(o, "amount_msat", r->s->payments[i].amount.millisatoshis);
		json_t *parts = json_array();
		size_t k;
		json_t *pt;
		json_array_foreach(json_object_get(p, "parts"), k, pt) {
			json_t *q = json_object();
			json_object_set(q, "channel", json_object_get(pt, "channel"));
			json_object_set(q, "amount_msat", json_object_get(pt, "amount_msat"));
			json_object_set(q, "hash", json_object_get(pt, "hash"));
			json_object_set(q, "result", json_object_get(pt, "result"));
			if (json_is_true(json_object_get(pt, "onchain")))
				json_object_set_new(q, "onchain", json_true());
			json_array_append_new(parts, q);
		}
		json_object_set_new(o, "parts", parts);
		if (json_object_get(p, "why"))
			json_object_set(o, "why", json_object_get(p, "why"));
		json_object_set_new(jp, id, o);
	}
	return jp;
}

/* Each channel as both daemons see it, and whether they agree. */
static json_t *run_channels(const struct run *r, const struct run_end *e, json_t *transit)
{
	json_t *jc = json_object();
	for (size_t i = 0; i < r->s->nchannels; i++) {
		const char *id = r->s->channels[i].id;
		json_t *o = json_object();
		json_set_u64(o, "capacity_msat", r->s->channels[i].capacity.millisatoshis);
		json_t *ac = json_object_get(e->ca, id), *bc = json_object_get(e->cb, id);
		json_t *av = view(ac), *bv = view(bc);
		json_object_set_new(o, "alice_view", av);
		json_object_set_new(o, "bob_view", bv);
		/* a view a daemon could not give agrees with nothing */
		json_object_set_new(o, "agree", json_boolean(ac && bc && same_view(av, bv)));
		if (transit_on_channel(transit, id))   /* what may still make them agree */
			json_object_set_new(o, "on_the_way", json_integer((json_int_t)transit_on_channel(transit, id)));
		json_object_set_new(jc, id, o);
	}
	return jc;
}

/* A channel [expect]: whether it held, and what the views said. */
static bool channel_got(const struct expect_config *x, json_t *ch, char *got, size_t n)
{
	json_t *av = json_object_get(ch, "alice_view"), *bv = json_object_get(ch, "bob_view");
	bool ok = channel_expect_holds(x, av, bv);
	char a1[40], b1[40], a2[40], b2[40];
	fmt_msat(a1, sizeof(a1), (uint64_t)json_integer_value(json_object_get(av, "alice_msat")));
	fmt_msat(b1, sizeof(b1), (uint64_t)json_integer_value(json_object_get(av, "bob_msat")));
	fmt_msat(a2, sizeof(a2), (uint64_t)json_integer_value(json_object_get(bv, "alice_msat")));
	fmt_msat(b2, sizeof(b2), (uint64_t)json_integer_value(json_object_get(bv, "bob_msat")));
	bool an = json_is_null(json_object_get(av, "alice_msat"));
	bool bn = json_is_null(json_object_get(bv, "alice_msat"));
	if (an || bn)
		/* a daemon that is down has no view, not an empty one */
		snprintf(got, n, "%s", an && bn ? "no view: neither daemon answered"
				       : an ? "no view from alice (not answering)"
					    : "no view from bob (not answering)");
	else if (strcmp(a1, a2) == 0 && strcmp(b1, b2) == 0)
		snprintf(got, n, "alice:%s bob:%s", a1, b1);
	else
		snprintf(got, n, "alice's view alice:%s bob:%s, bob's view alice:%s bob:%s",
			 a1, b1, a2, b2);
	return ok;
}

/* Each [expect] checked against the payments, workloads and channels. */
static json_t *run_expectations(const struct run *r, const struct run_end *e, json_t *jp,
				json_t *jc, unsigned *held, unsigned *failed)
{
	json_t *jx = json_array();
	for (size_t i = 0; i < r->s->nexpects; i++) {
		const struct expect_config *x = &r->s->expects[i];
		bool ok;
		char got[160];
		if (x->is_share) {
			ok = workload_expect_holds(x, e->jw, got, sizeof(got));
		} else if (x->is_payment) {
			const char *o = json_string_value(json_object_get(json_object_get(jp, x->key), "outcome"));
			ok = o && strcmp(o, outcome_name(x->outcome)) == 0;
			snprintf(got, sizeof(got), "%s", o ? o : "none");
		} else {
			ok = channel_got(x, json_object_get(jc, x->key), got, sizeof(got));
		}
		ok ? (*held)++ : (*failed)++;
		json_array_append_new(jx, json_pack("{s:s,s:s,s:b,s:s,s:i}", "key", x->key, "expected",
						    x->text, "held", ok, "got", got, "line", x->line));
	}
	return jx;
}

static void print_summary(const struct run *r, json_t *out, json_t *transit, unsigned held,
			  unsigned failed)
{
	if (r->virt)
		printf("scenario %s  (seed %llu, virtual clock)\n", r->s->path,
		       (unsigned long long)r->s->seed);
	else
		printf("scenario %s  (seed %llu, wall clock, time scale %g)\n", r->s->path,
		       (unsigned long long)r->s->seed, r->s->time_scale);
	print_payments(json_object_get(out, "payments"));
	workload_print(json_object_get(out, "workloads"), json_object_get(out, "metrics"));
	print_channels(json_object_get(out, "channels"), transit);
	if (r->s->nexpects) {
		printf("expectations\n");
		size_t i;
		json_t *x;
		json_array_foreach(json_object_get(json_object_get(out, "expectations"), "checks"), i, x) {
			bool ok = json_is_true(json_object_get(x, "held"));
			printf("  %-4s %s = %s", ok ? "ok" : "FAIL", json_string_value(json_object_get(x, "key")),
			       json_string_value(json_object_get(x, "expected")));
			if (!ok)
				printf("   (%s:%lld: got %s)", r->s->path,
				       (long long)json_integer_value(json_object_get(x, "line")),
				       json_string_value(json_object_get(x, "got")));
			printf("\n");
		}
		printf("%u held, %u failed\n", held, failed);
	}
	size_t i;
	json_t *pr;
	json_array_foreach(json_object_get(out, "problems"), i, pr)
		printf("problem: %s\n", json_string_value(pr));
}

int run_summarize(struct run *r, const struct run_end *e, int rc)
{
	json_t *out = json_object();
	unsigned held = 0, failed = 0;
	json_t *transit = transit_list(e->ia, e->ib);   /* messages still on their way */
	json_t *problems = run_problems(r, e, transit, &rc);
	json_t *jp = run_payments(r, e);
	json_t *jc = run_channels(r, e, transit);
	json_t *jx = run_expectations(r, e, jp, jc, &held, &failed);
	if (r->json && r->s->nworkloads) {
		/* --json keeps every payment of the workloads too (the text
		 * summary gives their counts) */
		const char *id;
		json_t *p;
		json_object_foreach(e->pays, id, p) {
			if (!json_object_get(jp, id))
				json_object_set(jp, id, p);
		}
	}
	json_object_set_new(out, "payments", jp);
	json_object_set_new(out, "workloads", e->jw);
	json_object_set_new(out, "metrics", e->metrics);
	json_object_set_new(out, "channels", jc);
	json_object_set_new(out, "expectations", json_pack("{s:i,s:i,s:o}", "held", held, "failed",
							   failed, "checks", jx));
	json_object_set_new(out, "problems", problems);
	json_object_set(out, "on_the_way", transit);
	json_set_u64(out, "seed", r->s->seed);
	json_object_set_new(out, "clock", json_string(r->virt ? "virtual" : "wall"));

	if (r->json) {
		char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
	} else {
		print_summary(r, out, transit, held, failed);
	}
	if (failed || json_array_size(problems))
		rc = rc ? rc : 1;
	json_decref(out);
	json_decref(transit);
	return rc;
}

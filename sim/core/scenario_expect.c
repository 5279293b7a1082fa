/* An [expect] value: an outcome, a workload's share, or channel balances.
 * Pure. */
#include "scenario_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An [expect] value: an outcome ("settled"), or channel balances
 * ("alice:0 bob:1btc", either part optional, at least one). Whether the
 * key is a payment or a channel is checked once the whole file is read. */
bool scn_expect_value_parse(const char *v, struct expect_config *e, char *why, size_t whylen)
{
	char buf[sizeof(e->text)];
	char *tok, *save = NULL;

	e->is_share = false;
	const char *op = strpbrk(v, "<>=");
	if (op && strncmp(v, "alice:", 6) != 0 && strncmp(v, "bob:", 4) != 0) {
		/* a workload: OUTCOME >= P% (or <=, =) */
		char name[32];
		size_t nl = (size_t)(op - v);
		while (nl > 0 && v[nl - 1] == ' ')
			nl--;
		if (nl >= sizeof(name))
			nl = sizeof(name) - 1;
		memcpy(name, v, nl);
		name[nl] = '\0';
		const char *rest = op;
		if (strncmp(rest, ">=", 2) == 0) {
			e->cmp = EXPECT_GE;
			rest += 2;
		} else if (strncmp(rest, "<=", 2) == 0) {
			e->cmp = EXPECT_LE;
			rest += 2;
		} else if (rest[0] == '=') {
			e->cmp = EXPECT_EQ;
			rest += 1;
		} else {
			scn_put_why(why, whylen, "expected OUTCOME >= P%%, <= P%% or = P%%, got %s", v);
			return false;
		}
		while (*rest == ' ')
			rest++;
		char *end;
		double pct = strtod(rest, &end);
		while (*end == ' ')
			end++;
		if (!outcome_parse(name, &e->outcome) || end == rest || *end != '%' || end[1] ||
		    !(pct >= 0 && pct <= 100)) {
			scn_put_why(why, whylen, "expected OUTCOME >= P%% with P in 0..100 "
				"(e.g. settled >= 95%%), got %s", v);
			return false;
		}
		e->percent = pct;
		e->is_payment = true;
		e->is_share = true;
		return true;
	}
	if (strncmp(v, "alice:", 6) != 0 && strncmp(v, "bob:", 4) != 0) {
		if (!outcome_parse(v, &e->outcome)) {
			scn_put_why(why, whylen, "expected an outcome (settled, failed, refunded or "
				"partial) or balances such as 'alice:0 bob:1btc', got %s", v);
			return false;
		}
		e->is_payment = true;
		return true;
	}
	e->is_payment = false;
	e->has_alice = e->has_bob = false;
	scn_copy_str(buf, sizeof(buf), v);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		bool alice = strncmp(tok, "alice:", 6) == 0;
		bool bob = strncmp(tok, "bob:", 4) == 0;
		const char *amt = alice ? tok + 6 : tok + 4;
		const char *w;
		if (!alice && !bob) {
			scn_put_why(why, whylen, "expected alice:AMOUNT and/or bob:AMOUNT, got %s", tok);
			return false;
		}
		if ((alice && e->has_alice) || (bob && e->has_bob)) {
			scn_put_why(why, whylen, "%s balance given twice", alice ? "alice's" : "bob's");
			return false;
		}
		if (!amount_parse(amt, alice ? &e->alice : &e->bob, &w)) {
			scn_put_why(why, whylen, "%s balance: %s, got %s", alice ? "alice's" : "bob's",
				w, *amt ? amt : "nothing");
			return false;
		}
		if (alice)
			e->has_alice = true;
		else
			e->has_bob = true;
	}
	return true;
}


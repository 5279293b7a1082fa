/* The protocol's words by name: each parser walks the name function, so
 * a name is written down exactly once. Pure: no files. */
#include "vocab.h"

#include <stdlib.h>
#include <string.h>

const char *pay_mode_name(enum pay_mode m)
{
	switch (m) {
	case PAY_SINGLE: return "single";
	case PAY_INVOICES: return "invoices";
	case PAY_MPP: return "mpp";
	case PAY_AMP: return "amp";
	}
	abort();
}

bool pay_mode_parse(const char *s, enum pay_mode *m)
{
	static const enum pay_mode all[] = { PAY_SINGLE, PAY_INVOICES, PAY_MPP, PAY_AMP };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, pay_mode_name(all[i])) == 0) {
			*m = all[i];
			return true;
		}
	}
	return false;
}

const char *outcome_name(enum outcome o)
{
	switch (o) {
	case OUTCOME_PENDING: return "pending";
	case OUTCOME_SETTLED: return "settled";
	case OUTCOME_FAILED: return "failed";
	case OUTCOME_REFUNDED: return "refunded";
	case OUTCOME_PARTIAL: return "partial";
	}
	abort();
}

bool outcome_parse(const char *s, enum outcome *o)
{
	/* "pending" is a state while running, never an expected end. */
	static const enum outcome all[] = {
		OUTCOME_SETTLED, OUTCOME_FAILED, OUTCOME_REFUNDED, OUTCOME_PARTIAL,
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, outcome_name(all[i])) == 0) {
			*o = all[i];
			return true;
		}
	}
	return false;
}

const char *bob_behaviour_name(enum bob_behaviour b)
{
	switch (b) {
	case BOB_HONEST: return "honest";
	case BOB_GREEDY: return "greedy";
	case BOB_HOLD: return "hold";
	case BOB_LATE: return "late";
	case BOB_EAGER: return "eager";
	}
	abort();
}

bool bob_behaviour_parse(const char *s, enum bob_behaviour *b)
{
	static const enum bob_behaviour all[] = { BOB_HONEST, BOB_GREEDY, BOB_HOLD, BOB_LATE,
						    BOB_EAGER };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, bob_behaviour_name(all[i])) == 0) {
			*b = all[i];
			return true;
		}
	}
	return false;
}

const char *alice_behaviour_name(enum alice_behaviour a)
{
	switch (a) {
	case ALICE_HONEST: return "honest";
	case ALICE_BAD_SHARE: return "bad-share";
	}
	abort();
}

bool alice_behaviour_parse(const char *s, enum alice_behaviour *a)
{
	static const enum alice_behaviour all[] = { ALICE_HONEST, ALICE_BAD_SHARE };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, alice_behaviour_name(all[i])) == 0) {
			*a = all[i];
			return true;
		}
	}
	return false;
}

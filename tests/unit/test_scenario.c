/* Unit tests for sim/runtime/scenario_ini.c: a complete scenario file parsed into its
 * structs, the defaults, and every kind of bad input reported as
 * "FILE:LINE: message" with the right line and the key named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scenario.h"

/* Too big for a comfortable stack frame; each test starts from scratch. */
static struct scenario scn;
static char err[512];

static void parse_ok(const char *text)
{
	err[0] = '\0';
	if (scenario_parse_string("good.ini", text, &scn, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
}

/* The parse must fail at exactly `line` and the message must contain
 * every one of the NULL-terminated fragments (typically the section,
 * the key and what was expected). */
static void parse_bad(const char *text, int line, ...)
{
	char prefix[64], got[64];
	const char *frag;
	va_list ap;

	err[0] = '\0';
	if (scenario_parse_string("bad.ini", text, &scn, err, sizeof(err)) == 0)
		fail_msg("accepted a bad scenario, expected an error on line %d:\n%s", line, text);
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "bad.ini:%d: ", line);
	else
		snprintf(prefix, sizeof(prefix), "bad.ini: ");
	snprintf(got, strlen(prefix) + 1, "%s", err);
	if (strcmp(got, prefix) != 0)
		fail_msg("expected '%s...', got '%s'", prefix, err);
	va_start(ap, line);
	while ((frag = va_arg(ap, const char *)) != NULL) {
		if (!strstr(err, frag)) {
			va_end(ap);
			fail_msg("'%s' not in '%s'", frag, err);
		}
	}
	va_end(ap);
}

/* The contract's example scenario, verbatim with its comments. */
static const char full_file[] =
	"[sim]\n"                                                           /*  1 */
	"seed = 42               ; every random decision follows from it\n"
	"block_interval = 1s     ; simulated time per block\n"
	"time_scale = 1          ; 10 runs ten times faster than wall time\n"
	"\n"
	"[bob]\n"                                                           /*  6 */
	"hold = 60s              ; how long Bob holds an incomplete MPP/AMP set\n"
	"final_cltv_delta = 18   ; reject HTLCs expiring sooner than this many blocks\n"
	"behaviour = greedy      ; honest | greedy | hold | late\n"
	"\n"
	"[alice]\n"                                                         /* 11 */
	"behaviour = bad-share   ; honest | bad-share\n"
	"\n"
	"[channel c1]\n"                                                    /* 14 */
	"capacity = 1btc\n"
	"alice = 0.25btc         ; Alice's opening balance; Bob holds the rest\n"
	"delay = 20ms            ; one-way, each direction\n"
	"jitter = 5ms\n"
	"jitter_dist = pareto    ; uniform | normal | pareto\n"
	"drop = 0.1              ; probability that a message on this channel is lost\n"
	"duplicate = 0.05\n"
	"max_htlcs = 30          ; HTLC slots per direction, as in BOLT #2\n"
	"htlc_minimum = 1sat\n"
	"\n"
	"[channel c2]\n"                                                    /* 25 */
	"capacity = 1btc\n"
	"alice = 1btc\n"
	"delay = 80ms            ; slower: its shard arrives second\n"
	"\n"
	"[payment p1]\n"                                                    /* 30 */
	"at = 0s\n"
	"amount = 2btc\n"
	"mode = amp              ; single | invoices | mpp | amp\n"
	"shards = 2              ; optional\n"
	"expiry = 40blocks       ; HTLC expiry, relative to the height when sent\n"
	"timeout = 90s           ; how long Alice keeps trying\n"
	"\n"
	"[fault f1]\n"                                                      /* 38 */
	"at = 10ms\n"
	"until = 2s              ; optional: the fault is lifted then\n"
	"channel = c2            ; omitted for faults of a node or of the connection\n"
	"direction = to_bob      ; to_bob | to_alice | both\n"
	"action = down\n"
	"; actions: down | up | drop=P | loss=ge:P,R (bursty, Gilbert-Elliott) | delay=D |\n"
	";          duplicate=P | drop=fulfill#1 | disconnect | partition | crash=alice|bob\n"
	"\n"
	"[fault f2]\n"                                                      /* 47 */
	"at = 3s\n"
	"action = crash=bob\n"
	"\n"
	"[expect]\n"                                                        /* 51 */
	"p1 = settled            ; settled | failed | refunded | partial\n"
	"c1 = alice:0 bob:1btc\n"
	"c2 = bob:0.5btc\n";

static void test_full_file(void **state)
{
	(void)state;
	parse_ok(full_file);

	assert_string_equal(scn.path, "good.ini");
	assert_true(scn.seed == 42);
	assert_true(scn.block_interval_us == 1000000);
	assert_true(scn.time_scale == 1.0);
	assert_true(scn.bob.hold_us == 60000000);
	assert_int_equal(scn.bob.final_cltv_delta, 18);
	assert_int_equal(scn.bob.behaviour, BOB_GREEDY);
	assert_int_equal(scn.alice.behaviour, ALICE_BAD_SHARE);

	assert_int_equal(scn.nchannels, 2);
	const struct channel_config *c1 = &scn.channels[0];
	assert_string_equal(c1->id, "c1");
	assert_int_equal(c1->line, 14);
	assert_true(c1->capacity.millisatoshis == 100000000000ULL);
	assert_true(c1->alice.millisatoshis == 25000000000ULL);
	assert_true(c1->link.delay_us == 20000);
	assert_true(c1->link.jitter_us == 5000);
	assert_int_equal(c1->link.jitter_dist, JITTER_PARETO);
	assert_true(c1->link.drop == 0.1);
	assert_true(c1->link.duplicate == 0.05);
	assert_false(c1->link.ge);
	assert_int_equal(c1->max_htlcs, 30);
	assert_true(c1->htlc_minimum.millisatoshis == 1000);
	assert_true(scn.channels[1].link.delay_us == 80000);
	assert_ptr_equal(scenario_channel(&scn, "c2"), &scn.channels[1]);
	assert_null(scenario_channel(&scn, "c3"));

	assert_int_equal(scn.npayments, 1);
	const struct payment_config *p1 = &scn.payments[0];
	assert_string_equal(p1->id, "p1");
	assert_int_equal(p1->line, 30);
	assert_true(p1->at_us == 0);
	assert_true(p1->amount.millisatoshis == 200000000000ULL);
	assert_int_equal(p1->mode, PAY_AMP);
	assert_int_equal(p1->shards, 2);
	assert_int_equal(p1->expiry_blocks, 40);
	assert_true(p1->timeout_us == 90000000);

	assert_int_equal(scn.nfaults, 2);
	const struct fault_config *f1 = &scn.faults[0];
	assert_string_equal(f1->id, "f1");
	assert_int_equal(f1->line, 38);
	assert_true(f1->at_us == 10000);
	assert_true(f1->has_until);
	assert_true(f1->until_us == 2000000);
	assert_string_equal(f1->channel, "c2");
	assert_int_equal(f1->dir, DIR_TO_BOB);
	assert_int_equal(f1->action, FAULT_DOWN);
	assert_string_equal(f1->text, "down");
	const struct fault_config *f2 = &scn.faults[1];
	assert_int_equal(f2->action, FAULT_CRASH);
	assert_int_equal(f2->target, NODE_BOB);
	assert_false(f2->has_until);
	assert_string_equal(f2->channel, "");

	assert_int_equal(scn.nexpects, 3);
	assert_string_equal(scn.expects[0].key, "p1");
	assert_true(scn.expects[0].is_payment);
	assert_int_equal(scn.expects[0].outcome, OUTCOME_SETTLED);
	assert_int_equal(scn.expects[0].line, 52);
	const struct expect_config *e1 = &scn.expects[1];
	assert_false(e1->is_payment);
	assert_true(e1->has_alice && e1->has_bob);
	assert_true(e1->alice.millisatoshis == 0);
	assert_true(e1->bob.millisatoshis == 100000000000ULL);
	assert_string_equal(e1->text, "alice:0 bob:1btc");
	const struct expect_config *e2 = &scn.expects[2];
	assert_false(e2->has_alice);
	assert_true(e2->has_bob);
	assert_true(e2->bob.millisatoshis == 50000000000ULL);
}

static void test_defaults(void **state)
{
	(void)state;
	parse_ok("[channel c1]\ncapacity = 2btc\n"
		 "[payment p1]\namount = 1sat\n"
		 "[fault f1]\naction = partition\n");
	assert_true(scn.seed == 1);
	assert_true(scn.block_interval_us == 1000000);
	assert_true(scn.time_scale == 1.0);
	assert_true(scn.bob.hold_us == 60000000);
	assert_int_equal(scn.bob.final_cltv_delta, 18);
	assert_int_equal(scn.bob.behaviour, BOB_HONEST);
	assert_int_equal(scn.alice.behaviour, ALICE_HONEST);

	const struct channel_config *c = &scn.channels[0];
	assert_true(c->alice.millisatoshis == 200000000000ULL);   /* the whole capacity */
	assert_int_equal(c->max_htlcs, SCN_DEFAULT_MAX_HTLCS);
	assert_true(c->htlc_minimum.millisatoshis == 1);
	assert_true(c->link.delay_us == 0 && c->link.jitter_us == 0);
	assert_int_equal(c->link.jitter_dist, JITTER_UNIFORM);
	assert_true(c->link.drop == 0 && c->link.duplicate == 0);

	const struct payment_config *p = &scn.payments[0];
	assert_true(p->at_us == 0);
	assert_int_equal(p->mode, PAY_SINGLE);
	assert_int_equal(p->shards, 0);
	assert_int_equal(p->expiry_blocks, 40);
	assert_true(p->timeout_us == 60000000);

	const struct fault_config *f = &scn.faults[0];
	assert_true(f->at_us == 0);
	assert_false(f->has_until);
	assert_int_equal(f->dir, DIR_BOTH);
	assert_int_equal(f->action, FAULT_PARTITION);
	assert_int_equal(scn.nexpects, 0);

	struct scenario *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	scenario_defaults(d);
	assert_true(d->seed == 1 && d->nchannels == 0 && d->npayments == 0);
	assert_true(d->bob.hold_us == 60000000);
	free(d);
}

/* inih's default build strips inline ';' comments; '#' starts a comment
 * only at the beginning of a line. Indentation, CRLF and a UTF-8 BOM are
 * all accepted, and line numbers still count every physical line. */
static void test_comments_and_layout(void **state)
{
	(void)state;
	parse_ok("\xEF\xBB\xBF# a comment\r\n"
		 "; another\r\n"
		 "   [channel c1]   ; the first channel\r\n"
		 "\tcapacity=1btc\t; tab-indented, and a comment after a tab\r\n");
	assert_string_equal(scn.channels[0].id, "c1");
	assert_true(scn.channels[0].capacity.millisatoshis == 100000000000ULL);

	parse_bad("\xEF\xBB\xBF# a comment\r\n"
		  "; another\r\n"
		  "   [channel c1]   ; the first channel\r\n"
		  "\tdrop=0.5;x\r\n", 4, "[channel c1] drop:", "got 0.5;x", NULL);

	parse_ok("[channel c1]\n"
		 "  capacity = 1btc ; indented keys are keys, not continuations\n"
		 "  delay = 20ms\n");
	assert_true(scn.channels[0].link.delay_us == 20000);
	assert_true(scn.channels[0].capacity.millisatoshis == 100000000000ULL);

	parse_bad("[channel c1]\ncapacity = 1btc\ndelay = 20ms # not a comment\n", 3,
		  "[channel c1] delay:", NULL);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	/* a line with no '=' (inih's own syntax error) */
	parse_bad("[sim]\nseed = 1\n\nseed\n", 4, "expected key = value", "seed", NULL);
	parse_bad("[channel c1]\ncapacity: 1btc\n", 2, "'='", NULL);
	parse_bad("[sim\nseed = 1\n", 1, "']'", NULL);
	parse_bad("[sim] seed = 1\n", 1, "after ']'", NULL);
	parse_bad("[channel c1]\ncapacity ; = 1btc\n", 2, "expected key = value", NULL);
	parse_bad("seed = 1\n[sim]\n", 1, "'seed'", "outside any section", NULL);
	parse_bad("[sim]\n = 1\n", 2, "[sim]", "missing key name", NULL);
	parse_bad("[sim]\nseed =\n", 2, "[sim] seed:", "missing value", NULL);
}

static void test_line_too_long(void **state)
{
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "[channel c1]\ncapacity = 1btc\n; %0400d\n", 0);
	parse_bad(text, 3, "line longer than", NULL);
}

static void test_unknown_section(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\n\n[chanel c2]\ncapacity = 1btc\n", 4,
		  "unknown section [chanel]", "[channel ID]", NULL);
	parse_bad("[Sim]\n", 1, "unknown section [Sim]", NULL);
}

static void test_unknown_key(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\ncapacty = 2btc\n", 3,
		  "[channel c1] unknown key 'capacty'", "capacity", "htlc_minimum", NULL);
	parse_bad("[sim]\nseed = 1\nSeed = 2\n", 3, "[sim] unknown key 'Seed'", NULL);
	parse_bad("[channel c1]\ncapacity=1btc\n[fault f1]\nchannel=c1\naction=down\nloss=0.1\n",
		  6, "[fault f1] unknown key 'loss'", NULL);
}

static void test_duplicate_key(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\ndelay = 1ms\n\ndelay = 2ms\n", 5,
		  "[channel c1] delay:", "duplicate key", "line 3", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[expect]\nc1 = alice:0\nc1 = bob:0\n", 5,
		  "[expect]", "duplicate key 'c1'", "line 4", NULL);
}

static void test_duplicate_ids(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\n[channel c1]\ncapacity = 1btc\n", 3,
		  "[channel c1]", "duplicate id", "line 1", NULL);
	/* one namespace: [expect] names payments and channels by bare id */
	parse_bad("[channel x]\ncapacity = 1btc\n[payment x]\namount = 1sat\n", 3,
		  "[payment x]", "duplicate id", "[channel x]", NULL);
	parse_bad("[sim]\nseed = 1\n[bob]\n[sim]\n", 4, "duplicate section [sim]", "line 1", NULL);
}

static void test_section_ids(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\n[channel]\ncapacity = 1btc\n", 3,
		  "[channel] needs an id", NULL);
	parse_bad("[payment   ]\n", 1, "[payment] needs an id", NULL);
	parse_bad("[sim main]\n", 1, "[sim] takes no id", NULL);
	/* SCN_ID_MAX - 1 = 31 characters is the longest id */
	parse_ok("[channel abcdefghijklmnopqrstuvwxyz01234]\ncapacity = 1btc\n");
	parse_bad("[channel c1]\ncapacity = 1btc\n[channel abcdefghijklmnopqrstuvwxyz012345]\n", 3,
		  "longer than 31", NULL);
	parse_bad("[channel c/1]\ncapacity = 1btc\n", 1, "'c/1'", "letters, digits", NULL);
	parse_bad("[channel c 1]\ncapacity = 1btc\n", 1, "letters, digits", NULL);
	parse_ok("[channel Chan_1-a]\ncapacity = 1btc\n");
}

static void test_bad_units(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\ndelay = 20\n", 3,
		  "[channel c1] delay:", "missing unit", "got 20", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\njitter = 2blocks\n", 3,
		  "[channel c1] jitter:", "not blocks", NULL);
	parse_bad("[channel c1]\ncapacity = 1bitcoin\n", 2,
		  "[channel c1] capacity:", "unit", "got 1bitcoin", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 1sat\nexpiry = 40s\n", 5,
		  "[payment p1] expiry:", "blocks", NULL);
	parse_bad("[sim]\nblock_interval = 0\n", 2, "[sim] block_interval:", "greater than 0", NULL);
	parse_bad("[sim]\ntime_scale = 0\n", 2, "[sim] time_scale:", "greater than 0", NULL);
	parse_bad("[sim]\nseed = 0x10\n", 2, "[sim] seed:", "whole number", NULL);
	parse_bad("[bob]\nhold = 1.5\n", 2, "[bob] hold:", "missing unit", NULL);
	parse_bad("[bob]\nfinal_cltv_delta = 18.5\n", 2, "[bob] final_cltv_delta:", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 1sat\nat = nan\n", 5,
		  "[payment p1] at:", "expected a number", NULL);
}

static void test_bad_amounts(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = -1btc\n", 2,
		  "[channel c1] capacity:", "negative", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\nalice = 200000000000btc\n", 3,
		  "[channel c1] alice:", "overflow", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 18446744073709551616msat\n",
		  4, "[payment p1] amount:", "overflow", NULL);
	parse_bad("[channel c1]\ncapacity = 0\n", 2,
		  "[channel c1] capacity:", "greater than 0", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 0sat\n", 4,
		  "[payment p1] amount:", "greater than 0", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\nhtlc_minimum = 0.5msat\n", 3,
		  "[channel c1] htlc_minimum:", "millisatoshis", NULL);
}

static void test_probability_range(void **state)
{
	(void)state;
	parse_bad("[sim]\nseed = 1\n\n[channel c1]\ncapacity = 1btc\nalice = 1btc\ndrop = 1.5\n", 7,
		  NULL);
	assert_string_equal(err, "bad.ini:7: [channel c1] drop: probability must be in [0,1], got 1.5");
	parse_bad("[channel c1]\ncapacity = 1btc\nduplicate = -0.1\n", 3,
		  "[channel c1] duplicate:", "negative", NULL);
	parse_ok("[channel c1]\ncapacity = 1btc\ndrop = 1\nduplicate = 0\n");
	assert_true(scn.channels[0].link.drop == 1.0);
}

static void test_channel_balance(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\nalice = 1.5btc\ndelay = 1ms\n[sim]\n", 3,
		  "[channel c1] alice:", "1.5btc", "exceeds the capacity 1btc", NULL);
	/* the order of the two keys does not matter */
	parse_bad("[channel c1]\nalice = 2btc\ncapacity = 1btc\n", 2, "[channel c1] alice:", NULL);
	parse_bad("[channel c1]\ncapacity = 1sat\nhtlc_minimum = 2sat\n", 3,
		  "[channel c1] htlc_minimum:", "exceeds the capacity", NULL);
	parse_bad("[channel c1]\ndelay = 1ms\n\n[channel c2]\ncapacity = 1btc\n", 1,
		  "[channel c1] capacity:", "missing", NULL);
	parse_ok("[channel c1]\ncapacity = 1btc\nalice = 1btc\n");
	parse_ok("[channel c1]\ncapacity = 1btc\nalice = 0\n");
	assert_true(scn.channels[0].alice.millisatoshis == 0);
}

static void test_max_htlcs(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\nmax_htlcs = 0\n", 3,
		  "[channel c1] max_htlcs:", "between 1 and 483", "got 0", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\nmax_htlcs = 484\n", 3,
		  "[channel c1] max_htlcs:", "between 1 and 483", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\nmax_htlcs = 99999999999999999999\n", 3,
		  "[channel c1] max_htlcs:", "64 bits", NULL);
	parse_ok("[channel c1]\ncapacity = 1btc\nmax_htlcs = 1\n");
	assert_int_equal(scn.channels[0].max_htlcs, 1);
}

static void test_payment_rules(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 1btc\nmode = amp\nshards = 0\n",
		  6, "[payment p1] shards:", "between 1 and 483", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 1btc\nmode = amp\nshards = 484\n",
		  6, "[payment p1] shards:", "between 1 and 483", NULL);
	/* shards on a single payment (the default mode): accepted, ignored, noted */
	parse_ok("[channel c1]\ncapacity = 1btc\n[payment p1]\nshards = 2\namount = 1btc\n");
	assert_int_equal(scn.payments[0].mode, PAY_SINGLE);
	assert_int_equal(scn.payments[0].shards, 0);
	assert_int_equal(scn.nnotes, 1);
	assert_non_null(strstr(scn.notes[0], "good.ini:4: [payment p1] shards:"));
	assert_non_null(strstr(scn.notes[0], "shards = 2 is ignored"));
	parse_ok("[channel c1]\ncapacity = 1btc\n[workload w1]\ncount = 2\narrival = every:1s\n"
		 "amount = 1sat\nshards = 3\nmode = single\n");
	assert_int_equal(scn.nnotes, 1);
	assert_non_null(strstr(scn.notes[0], "good.ini:7: [workload w1] shards:"));
	parse_ok("[channel c1]\ncapacity = 1btc\n[payment p1]\nshards = 1\namount = 1btc\n");
	assert_int_equal(scn.nnotes, 0);
	parse_bad("[channel c1]\ncapacity = 1btc\n[payment p1]\nmode = amp\n[expect]\n", 3,
		  "[payment p1] amount:", "missing", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 1btc\nexpiry = 0\n", 5,
		  "[payment p1] expiry:", "at least 1 block", NULL);
	parse_ok("[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 1btc\nmode = invoices\n"
		 "shards = 483\nexpiry = 1block\ntimeout = 1.5m\n");
	assert_int_equal(scn.payments[0].shards, 483);
	assert_int_equal(scn.payments[0].mode, PAY_INVOICES);
	assert_int_equal(scn.payments[0].expiry_blocks, 1);
	assert_true(scn.payments[0].timeout_us == 90000000);
}

static void test_unknown_names(void **state)
{
	static const struct {
		const char *text;
		const char *frag;
	} cases[] = {
		{ "[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 1btc\nmode = multi\n",
		  "[payment p1] mode: expected single, invoices, mpp or amp, got multi" },
		{ "[channel c1]\ncapacity = 1btc\n[bob]\nhold = 1s\nbehaviour = evil\n",
		  "[bob] behaviour: expected honest, greedy, hold, late or eager, got evil" },
		{ "[channel c1]\ncapacity = 1btc\n[alice]\n\nbehaviour = bad_share\n",
		  "[alice] behaviour: expected honest or bad-share, got bad_share" },
		{ "[channel c1]\ncapacity = 1btc\ndelay = 1ms\njitter = 1ms\njitter_dist = gauss\n",
		  "[channel c1] jitter_dist: expected uniform, normal or pareto, got gauss" },
		{ "[channel c1]\ncapacity = 1btc\n[fault f]\naction = down\ndirection = in\n",
		  "[fault f] direction: expected to_bob, to_alice or both, got in" },
		{ "[channel c1]\ncapacity = 1btc\n[fault f]\nchannel = c1\naction = explode\n",
		  "[fault f] action: unknown action" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parse_bad(cases[i].text, 5, cases[i].frag, NULL);
}

static void test_fault_actions(void **state)
{
	struct fault_config f;
	const char *why = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_true(fault_action_parse("drop=0.25", &f, &why));
	assert_int_equal(f.action, FAULT_DROP);
	assert_true(f.p == 0.25);
	assert_string_equal(f.text, "drop=0.25");

	assert_true(fault_action_parse("loss=ge:0.1,0.5", &f, &why));
	assert_int_equal(f.action, FAULT_LOSS_GE);
	assert_true(f.p == 0.1 && f.r == 0.5);

	assert_true(fault_action_parse("delay=50ms", &f, &why));
	assert_int_equal(f.action, FAULT_DELAY);
	assert_true(f.dur_us == 50000);
	assert_true(f.p == 0);   /* the previous action's parameters are gone */

	assert_true(fault_action_parse("jitter=1.5s", &f, &why));
	assert_int_equal(f.action, FAULT_JITTER);
	assert_true(f.dur_us == 1500000);

	assert_true(fault_action_parse("duplicate=1", &f, &why));
	assert_int_equal(f.action, FAULT_DUPLICATE);
	assert_true(f.p == 1.0);

	assert_true(fault_action_parse("drop=fulfill#1", &f, &why));
	assert_int_equal(f.action, FAULT_DROP_MSG);
	assert_int_equal(f.msg, MSG_FULFILL);
	assert_int_equal(f.nth, 1);
	assert_true(fault_action_parse("drop=add#2", &f, &why));
	assert_int_equal(f.msg, MSG_ADD);
	assert_int_equal(f.nth, 2);
	assert_true(fault_action_parse("drop=fail#1", &f, &why));
	assert_int_equal(f.msg, MSG_FAIL);

	assert_true(fault_action_parse("delay=add#2:35ms", &f, &why));
	assert_int_equal(f.action, FAULT_DELAY_MSG);
	assert_int_equal(f.msg, MSG_ADD);
	assert_int_equal(f.nth, 2);
	assert_true(f.has_dur && f.dur_us == 35000);
	assert_true(fault_action_parse("delay=fulfill#1:0", &f, &why));
	assert_true(f.has_dur && f.dur_us == 0);
	assert_true(fault_action_parse("duplicate=fail#3", &f, &why));
	assert_int_equal(f.action, FAULT_DUPLICATE_MSG);
	assert_int_equal(f.msg, MSG_FAIL);
	assert_int_equal(f.nth, 3);
	assert_false(f.has_dur);
	assert_true(f.dur_us == 0);   /* the delay rule's D is gone */
	assert_true(fault_action_parse("duplicate=add#1:1.5s", &f, &why));
	assert_true(f.has_dur && f.dur_us == 1500000);
	assert_true(fault_action_parse("drop=add#7", &f, &why));
	assert_int_equal(f.action, FAULT_DROP_MSG);
	assert_false(f.has_dur);
	/* the other messages on a channel (acknowledgements, reestablishes):
	 * a checker's counterexample may lose or time one */
	assert_true(fault_action_parse("delay=other#2:30ms", &f, &why));
	assert_int_equal(f.action, FAULT_DELAY_MSG);
	assert_int_equal(f.msg, MSG_OTHER);
	assert_int_equal(f.nth, 2);

	assert_true(fault_action_parse("up", &f, &why));
	assert_int_equal(f.action, FAULT_UP);
	assert_true(fault_action_parse("disconnect", &f, &why));
	assert_int_equal(f.action, FAULT_DISCONNECT);
	assert_true(fault_action_parse("restart=alice", &f, &why));
	assert_int_equal(f.action, FAULT_RESTART);
	assert_int_equal(f.target, NODE_ALICE);
	assert_true(fault_action_parse("crash=bob", &f, &why));
	assert_int_equal(f.action, FAULT_CRASH);
	assert_int_equal(f.target, NODE_BOB);

	static const char *const bad[] = {
		"drop", "drop=", "drop=1.5", "drop=fulfil#1", "drop=fulfill#0", "drop=fulfill#",
		"drop=fulfill#x", "loss=0.1", "loss=ge:0.1", "loss=ge:0.1,2", "delay=5",
		"jitter", "duplicate=-1", "crash=carol", "crash", "restart=", "down=1", "up ",
		"partition=1", "", "reboot",
		"delay=add#0:5ms", "delay=add#1", "delay=bogus#1:5ms", "delay=add#1:-5ms",
		"delay=add#1:99999999999999999999s", "delay=add#1:5", "delay=add#:5ms",
		"delay=add#4294967296:5ms", "delay=others#1:5ms", "duplicate=add#0",
		"duplicate=add#1:", "duplicate=fulfil#1", "drop=add#1:5ms", "delay=#1:5ms",
		"delay=add#1:5ms:6ms",
		"drop=0.10000000000000000000000000000000000000000000000000000000000001",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fault_config g = f;
		why = NULL;
		if (fault_action_parse(bad[i], &g, &why))
			fail_msg("fault_action_parse(\"%s\") accepted it", bad[i]);
		assert_non_null(why);
		/* a failed parse changes nothing */
		assert_memory_equal(&g, &f, sizeof(f));
	}
}

static void test_fault_channel_rules(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nat = 1s\naction = drop=0.1\n", 5,
		  "[fault f1] action:", "drop=0.1", "channel", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nchannel = c1\naction = crash=bob\n", 4,
		  "[fault f1] channel:", "crash=bob", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\naction = partition\ndirection = to_bob\n",
		  5, "[fault f1] direction:", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nat = 1s\n\n[fault f2]\n", 3,
		  "[fault f1] action:", "missing", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nchannel = c1!\n", 4,
		  "[fault f1] channel:", "letters, digits", NULL);
	parse_ok("[channel c1]\ncapacity = 1btc\n[fault f1]\nchannel = c1\naction = drop=add#3\n"
		 "[fault f2]\naction = restart=bob\n");
	assert_int_equal(scn.faults[0].action, FAULT_DROP_MSG);
	assert_int_equal(scn.faults[0].nth, 3);
	assert_int_equal(scn.faults[1].target, NODE_BOB);
}

/* The rules on one message: reported at the fault's action line. */
static void test_fault_msg_rules(void **state)
{
	(void)state;
	static const char head[] = "[channel c1]\ncapacity = 1btc\n";
	char text[16384];
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nchannel = c1\n"
		  "action = delay=add#0:5ms\n", 5, "[fault f1] action:", "from 1", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nchannel = c1\n"
		  "action = delay=add#1\n", 5, "[fault f1] action:", "delay=KIND#N:D", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nchannel = c1\n"
		  "action = delay=bogus#1:5ms\n", 5, "[fault f1] action:", "add, fulfill, fail, signed or other",
		  NULL);
	/* two rules on one message: the second is reported */
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nchannel = c1\n"
		  "action = delay=add#2:5ms\n[fault f2]\nchannel = c1\ndirection = to_bob\n"
		  "action = drop=add#2\n", 9, "[fault f2] action:", "otherwise than",
		  "[fault f1] (line 3)", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nchannel = c1\n"
		  "action = delay=add#2:5ms\n[fault f2]\nchannel = c1\n"
		  "action = delay=add#2:6ms\n", 8, "[fault f2] action:", "otherwise than", NULL);
	/* a delay and a duplicate share one, the same rule twice is one;
	 * other directions count apart */
	parse_ok("[channel c1]\ncapacity = 1btc\n[fault f1]\nchannel = c1\n"
		 "action = delay=add#2:5ms\n[fault f2]\nchannel = c1\naction = duplicate=add#2:9ms\n"
		 "[fault f3]\nchannel = c1\ndirection = to_bob\naction = drop=fulfill#2\n"
		 "[fault f4]\nchannel = c1\ndirection = to_alice\naction = delay=fulfill#2:1ms\n"
		 "[fault f5]\nchannel = c1\ndirection = to_bob\naction = drop=fulfill#2\n");
	assert_int_equal(scn.faults[1].action, FAULT_DUPLICATE_MSG);
	assert_true(scn.faults[1].dur_us == 9000);

	/* LINK_MAX_RULES on one direction is fine, one more is not */
	size_t n = (size_t)snprintf(text, sizeof(text), "%s", head);
	for (int i = 1; i <= LINK_MAX_RULES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "[fault r%d]\nchannel = c1\n"
				      "direction = to_bob\naction = delay=add#%d:%dms\n", i, i, i);
	parse_ok(text);
	assert_int_equal(scn.nfaults, LINK_MAX_RULES);
	/* the extra one only on to_alice: still fine; one on both is too many
	 * for to_bob */
	size_t keep = n;
	snprintf(text + n, sizeof(text) - n, "[fault x]\nchannel = c1\ndirection = to_alice\n"
		 "action = drop=fail#1\n[fault y]\nchannel = c1\naction = drop=fail#2\n");
	int line = 2 + 4 * LINK_MAX_RULES + 4 + 3;
	parse_bad(text, line, "[fault y] action:", "more than 64 message rules", "c1 to_bob",
		  NULL);
	snprintf(text + keep, sizeof(text) - keep, "[fault x]\nchannel = c1\ndirection = to_alice\n"
		 "action = drop=fail#1\n");
	parse_ok(text);
}

static void test_fault_until(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nchannel = c1\nuntil = 1s\nat = 1s\n"
		  "action = down\n", 5, "[fault f1] until:", "later than at = 1s", "got 1s", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nat = 2s\nuntil = 1500ms\n"
		  "channel = c1\naction = down\n", 5, "[fault f1] until:", "got 1500ms", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\nuntil = 1s\naction = crash=bob\n", 4,
		  "[fault f1] until:", "cannot be lifted", NULL);
	parse_ok("[channel c1]\ncapacity = 1btc\n[fault f1]\nat = 1s\nuntil = 1001ms\n"
		 "channel = c1\naction = loss=ge:0.01,0.3\n");
	assert_true(scn.faults[0].has_until && scn.faults[0].until_us == 1001000);
}

/* References are checked once the whole file is read, so they may point
 * forward, and are reported at the line that makes them. */
static void test_unknown_channel_reference(void **state)
{
	(void)state;
	parse_ok("[fault f1]\nchannel = c2\naction = down\n[channel c2]\ncapacity = 1btc\n");
	parse_bad("[fault f1]\nat = 1s\nchannel = c9\naction = down\n"
		  "[channel c1]\ncapacity = 1btc\n", 3,
		  "[fault f1] channel:", "no channel 'c9'", NULL);
	/* of two bad references, the earlier line is reported */
	parse_bad("[channel c1]\ncapacity = 1btc\n[expect]\nzz = settled\n"
		  "[fault f1]\nchannel = c9\naction = down\n", 4, "[expect] zz:", NULL);
}

static void test_expectations(void **state)
{
	(void)state;
	parse_bad("[channel c1]\ncapacity = 1btc\n[expect]\np9 = settled\n", 4,
		  "[expect] p9:", "no payment or channel 'p9'", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[expect]\nc1 = alice:0\nc2 = bob:0\n", 5,
		  "[expect] c2:", "no payment or channel", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[fault f1]\naction = partition\n[expect]\nf1 = settled\n",
		  6, "[expect] f1:", "is a fault", NULL);
	/* a payment expects an outcome, a channel expects balances */
	parse_bad("[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 1sat\n[expect]\np1 = alice:0\n",
		  6, "[expect] p1:", "is a payment", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[expect]\nc1 = settled\n", 4,
		  "[expect] c1:", "is a channel", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[expect]\nc1 = alice:0.6btc bob:0.5btc\n", 4,
		  "[expect] c1:", "exceed the channel's capacity 1btc",
		  "got alice:0.6btc bob:0.5btc", NULL);
	parse_ok("[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 1sat\n"
		 "[expect]\np1 = partial\nc1 = bob:0.5btc alice:0.5btc\n");
	assert_int_equal(scn.expects[0].outcome, OUTCOME_PARTIAL);
	assert_true(scn.expects[1].has_alice && scn.expects[1].has_bob);
}

static void test_malformed_expectations(void **state)
{
	static const struct {
		const char *value, *frag;
	} cases[] = {
		{ "paid", "expected an outcome" },
		{ "pending", "expected an outcome" },
		{ "alice:", "alice's balance" },
		{ "alice:1bitcoin", "alice's balance" },
		{ "bob:-1sat", "negative" },
		{ "alice:0 carol:1btc", "got carol:1btc" },
		{ "alice:0 alice:1btc", "given twice" },
		{ "alice:0bob:1btc", "alice's balance" },
	};
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text),
			 "[channel c1]\ncapacity = 1btc\n[payment p1]\namount = 1sat\n"
			 "[expect]\np1 = settled\nc1 = %s\n", cases[i].value);
		parse_bad(text, 7, "[expect] c1:", cases[i].frag, NULL);
	}
	parse_bad("[channel c1]\ncapacity = 1btc\n[expect]\nc1 =\n", 4, "[expect] c1:",
		  "missing value", NULL);
	parse_bad("[channel c1]\ncapacity = 1btc\n[expect]\nc!1 = settled\n", 4, "[expect] c!1:",
		  NULL);
}

static void test_too_many_sections(void **state)
{
	size_t len = (SCN_MAX_CHANNELS + 1) * 40 + 1;
	char *text = malloc(len);
	size_t used = 0;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i <= SCN_MAX_CHANNELS; i++)
		used += (size_t)snprintf(text + used, len - used, "[channel c%d]\ncapacity = 1btc\n", i);
	/* channel number SCN_MAX_CHANNELS + 1 opens on line 2 * 64 + 1 */
	parse_bad(text, 2 * SCN_MAX_CHANNELS + 1, "[channel c64]", "too many channels", NULL);
	text[0] = '\0';

	/* exactly the maximum is fine */
	used = 0;
	for (int i = 0; i < SCN_MAX_CHANNELS; i++)
		used += (size_t)snprintf(text + used, len - used, "[channel c%d]\ncapacity = 1btc\n", i);
	parse_ok(text);
	assert_int_equal(scn.nchannels, SCN_MAX_CHANNELS);
	free(text);
}

static void test_no_channels(void **state)
{
	(void)state;
	parse_bad("[sim]\nseed = 3\n[payment p1]\namount = 1btc\n", 0, "at least one channel", NULL);
	parse_bad("", 0, "at least one channel", NULL);
}

static void test_failure_changes_nothing(void **state)
{
	(void)state;
	parse_ok("[sim]\nseed = 77\n[channel keep]\ncapacity = 1btc\n");
	assert_int_not_equal(scenario_parse_string("bad.ini", "[sim]\nseed = 5\n[channel c1]\n"
						   "capacity = 1btc\ndrop = 2\n",
						   &scn, err, sizeof(err)), 0);
	assert_true(scn.seed == 77);
	assert_string_equal(scn.channels[0].id, "keep");
	/* a NULL or empty error buffer is allowed */
	assert_int_equal(scenario_parse_string("x", "[nope]\n", &scn, NULL, 0), -1);
}

static void test_load_missing_file(void **state)
{
	(void)state;
	assert_int_equal(scenario_load("/nonexistent/ampsim.ini", &scn, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/ampsim.ini: cannot open: No such file or directory");
}

/* Removed by the teardown, so a failed assertion leaves no file behind. */
static char temp_path[64];

static int remove_temp_file(void **state)
{
	(void)state;
	if (temp_path[0])
		unlink(temp_path);
	temp_path[0] = '\0';
	return 0;
}

static void test_load_temp_file(void **state)
{
	char want[128];
	int fd;
	FILE *f;

	(void)state;
	/* mkstemp's template: six 'X' that it replaces */
	int n = snprintf(temp_path, sizeof(temp_path), "/tmp/ampsim-test-");
	memset(temp_path + n, 'X', 6);
	temp_path[n + 6] = '\0';
	fd = mkstemp(temp_path);
	if (fd < 0)
		temp_path[0] = '\0';
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(full_file, f);
	fclose(f);

	assert_int_equal(scenario_load(temp_path, &scn, err, sizeof(err)), 0);
	assert_string_equal(scn.path, temp_path);
	assert_int_equal(scn.nchannels, 2);
	assert_true(scn.faults[0].until_us == 2000000);

	/* the same error format as from a string, with the file's name */
	f = fopen(temp_path, "w");
	assert_non_null(f);
	fputs("[channel c1]\ncapacity = 1btc\n\nmax_htlcs = 500\n", f);
	fclose(f);
	assert_int_equal(scenario_load(temp_path, &scn, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: [channel c1] max_htlcs:", temp_path);
	assert_true(strncmp(err, want, strlen(want)) == 0);
}

static void test_channel_spec(void **state)
{
	struct channel_config c;
	char why[256];

	(void)state;
	memset(&c, 0xff, sizeof(c));
	assert_true(channel_spec_parse("1btc", &c, why, sizeof(why)));
	assert_string_equal(c.id, "");
	assert_true(c.capacity.millisatoshis == 100000000000ULL);
	assert_true(c.alice.millisatoshis == 100000000000ULL);
	assert_int_equal(c.max_htlcs, SCN_DEFAULT_MAX_HTLCS);
	assert_true(c.htlc_minimum.millisatoshis == 1);
	assert_true(c.link.delay_us == 0 && c.link.drop == 0);

	assert_true(channel_spec_parse("id=c7,capacity=1btc,alice=0.5btc,delay=20ms,jitter=5ms,"
				       "jitter_dist=normal,drop=0.1,duplicate=0.01,max_htlcs=30,"
				       "htlc_minimum=1sat", &c, why, sizeof(why)));
	assert_string_equal(c.id, "c7");
	assert_true(c.alice.millisatoshis == 50000000000ULL);
	assert_true(c.link.delay_us == 20000 && c.link.jitter_us == 5000);
	assert_int_equal(c.link.jitter_dist, JITTER_NORMAL);
	assert_true(c.link.drop == 0.1 && c.link.duplicate == 0.01);
	assert_int_equal(c.max_htlcs, 30);
	assert_true(c.htlc_minimum.millisatoshis == 1000);

	assert_true(channel_spec_parse("2btc, delay=1ms", &c, why, sizeof(why)));
	assert_true(c.capacity.millisatoshis == 200000000000ULL);
	assert_true(c.link.delay_us == 1000);

	static const struct {
		const char *spec, *frag;
	} bad[] = {
		{ "", "empty" },
		{ "delay=20ms", "capacity: missing" },
		{ "capacity=1btc,drop=1.5", "drop: probability must be in [0,1], got 1.5" },
		{ "capacity=1btc,alice=2btc", "alice: opening balance 2btc exceeds" },
		{ "capacity=1btc,speed=3", "unknown key 'speed'" },
		{ "capacity=1btc,capacity=2btc", "given twice" },
		{ "1btc,capacity=2btc", "given twice" },
		{ "capacity=1btc,,delay=1ms", "empty item" },
		{ "capacity=1btc,20ms", "expected key=value" },
		{ "capacity=0", "greater than 0" },
		{ "capacity=1btc,max_htlcs=484", "max_htlcs: must be between 1 and 483" },
		{ "capacity=1btc,id=c/1", "id:" },
		{ "-1btc", "capacity: amount must not be negative" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct channel_config keep = c;
		why[0] = '\0';
		if (channel_spec_parse(bad[i].spec, &c, why, sizeof(why)))
			fail_msg("channel_spec_parse(\"%s\") accepted it", bad[i].spec);
		if (!strstr(why, bad[i].frag))
			fail_msg("channel_spec_parse(\"%s\"): '%s' not in '%s'", bad[i].spec,
				 bad[i].frag, why);
		assert_memory_equal(&keep, &c, sizeof(c));
	}
}

static void test_enum_names(void **state)
{
	enum pay_mode m;
	enum outcome o;
	enum bob_behaviour b;
	enum alice_behaviour a;

	(void)state;
	for (int i = PAY_SINGLE; i <= PAY_AMP; i++) {
		assert_true(pay_mode_parse(pay_mode_name((enum pay_mode)i), &m));
		assert_int_equal(m, i);
	}
	assert_string_equal(pay_mode_name(PAY_AMP), "amp");
	assert_false(pay_mode_parse("AMP", &m));

	for (int i = OUTCOME_SETTLED; i <= OUTCOME_PARTIAL; i++) {
		assert_true(outcome_parse(outcome_name((enum outcome)i), &o));
		assert_int_equal(o, i);
	}
	assert_string_equal(outcome_name(OUTCOME_PENDING), "pending");
	assert_false(outcome_parse("pending", &o));

	for (int i = BOB_HONEST; i <= BOB_LATE; i++) {
		assert_true(bob_behaviour_parse(bob_behaviour_name((enum bob_behaviour)i), &b));
		assert_int_equal(b, i);
	}
	assert_true(alice_behaviour_parse("bad-share", &a));
	assert_int_equal(a, ALICE_BAD_SHARE);
	assert_string_equal(alice_behaviour_name(ALICE_HONEST), "honest");

	assert_string_equal(fault_dir_name(DIR_TO_BOB), "to_bob");
	assert_string_equal(fault_dir_name(DIR_TO_ALICE), "to_alice");
	assert_string_equal(fault_dir_name(DIR_BOTH), "both");
	assert_string_equal(fault_action_name(FAULT_LOSS_GE), "loss");
	assert_string_equal(fault_action_name(FAULT_DROP_MSG), "drop_msg");
	assert_string_equal(fault_action_name(FAULT_RESTART), "restart");
}

/* One classifier: each action has exactly one scope, and what the parser,
 * the daemons and the run ask of an action follows from it. */
static void test_fault_scope(void **state)
{
	(void)state;
	static const struct {
		enum fault_action a;
		enum fault_scope s;
	} want[] = {
		{ FAULT_DOWN, FAULT_SCOPE_CHANNEL }, { FAULT_UP, FAULT_SCOPE_CHANNEL },
		{ FAULT_DROP, FAULT_SCOPE_CHANNEL }, { FAULT_LOSS_GE, FAULT_SCOPE_CHANNEL },
		{ FAULT_DELAY, FAULT_SCOPE_CHANNEL }, { FAULT_JITTER, FAULT_SCOPE_CHANNEL },
		{ FAULT_DUPLICATE, FAULT_SCOPE_CHANNEL }, { FAULT_DROP_MSG, FAULT_SCOPE_CHANNEL },
		{ FAULT_PARTITION, FAULT_SCOPE_ALL_CHANNELS },
		{ FAULT_DISCONNECT, FAULT_SCOPE_CONNECTION },
		{ FAULT_CRASH, FAULT_SCOPE_PROCESS }, { FAULT_RESTART, FAULT_SCOPE_PROCESS },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		enum fault_scope s = fault_action_scope(want[i].a);
		assert_int_equal(s, want[i].s);
		assert_int_equal(fault_action_on_channel(want[i].a), s == FAULT_SCOPE_CHANNEL);
		assert_int_equal(fault_action_on_links(want[i].a),
				 s == FAULT_SCOPE_CHANNEL || s == FAULT_SCOPE_ALL_CHANNELS);
	}
	assert_false(fault_action_liftable(FAULT_CRASH));
	assert_true(fault_action_liftable(FAULT_PARTITION));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_comments_and_layout),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_duplicate_ids),
		cmocka_unit_test(test_section_ids),
		cmocka_unit_test(test_bad_units),
		cmocka_unit_test(test_bad_amounts),
		cmocka_unit_test(test_probability_range),
		cmocka_unit_test(test_channel_balance),
		cmocka_unit_test(test_max_htlcs),
		cmocka_unit_test(test_payment_rules),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_fault_actions),
		cmocka_unit_test(test_fault_channel_rules),
		cmocka_unit_test(test_fault_until),
		cmocka_unit_test(test_fault_msg_rules),
		cmocka_unit_test(test_unknown_channel_reference),
		cmocka_unit_test(test_expectations),
		cmocka_unit_test(test_malformed_expectations),
		cmocka_unit_test(test_too_many_sections),
		cmocka_unit_test(test_no_channels),
		cmocka_unit_test(test_failure_changes_nothing),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test_teardown(test_load_temp_file, remove_temp_file),
		cmocka_unit_test(test_channel_spec),
		cmocka_unit_test(test_enum_names),
		cmocka_unit_test(test_fault_scope),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

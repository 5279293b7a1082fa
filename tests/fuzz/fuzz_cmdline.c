/* Fuzz target: command-line values, through the parsers the daemons' and
 * ampsim's option handlers call. The first byte picks the parser, the rest
 * (up to a NUL) is the value. Each parser must refuse with a reason or
 * accept a value that round-trips: a parsed duration, block count, count
 * or amount, printed in its plainest form, parses back to itself; a node
 * id prints back to the hex it was read from; a probability is in [0,1];
 * an address's parts fit their buffers. */
#include <ctype.h>
#include <event2/util.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "amount.h"
#include "daemon.h"
#include "fuzz.h"
#include "ledger.h"
#include "log.h"
#include "noise.h"
#include "nodekey.h"
#include "scenario.h"
#include "scenario_keys.h"
#include "secrets.h"
#include "timebase.h"
#include "units.h"
#include "workload.h"

const char *fuzz_name = "cmdline";

static void refused(const char *why)
{
	if (!why || !why[0])
		abort();
}

static void parse_one(unsigned which, const char *s)
{
	const char *why = NULL;
	char buf[256], w[200];
	switch (which) {
	case 0: {   /* --hold, --block-interval, timeouts */
		uint64_t us, again;
		if (!duration_parse(s, &us, &why))
			return refused(why);
		snprintf(buf, sizeof(buf), "%lluus", (unsigned long long)us);
		if (!duration_parse(buf, &again, &why) || again != us)
			abort();
		if (us == 0 && !duration_parse("0", &again, &why))
			abort();
		return;
	}
	case 1: {   /* expiry */
		uint32_t b, again;
		if (!blocks_parse(s, &b, &why))
			return refused(why);
		snprintf(buf, sizeof(buf), "%ublocks", b);
		if (!blocks_parse(buf, &again, &why) || again != b)
			abort();
		return;
	}
	case 2: {   /* probabilities */
		double p;
		if (!prob_parse(s, &p, &why))
			return refused(why);
		if (!(p >= 0 && p <= 1))
			abort();
		return;
	}
	case 3: {   /* --seed, --final-cltv-delta, --keep-invoices */
		uint64_t v;
		if (!uint_parse(s, &v, &why))
			return refused(why);
		/* digits only, and the same number as strtoull reads */
		for (const char *c = s; *c; c++)
			if (!isdigit((unsigned char)*c))
				abort();
		if (strtoull(s, NULL, 10) != v)
			abort();
		return;
	}
	case 4: {   /* --time-scale, --speed */
		double v;
		if (!positive_parse(s, &v, &why))
			return refused(why);
		if (!(v > 0) || !isfinite(v))
			abort();
		return;
	}
	case 5: {   /* amounts */
		struct amount_msat a, again;
		char f[AMOUNT_FMT_LEN];
		if (!amount_parse(s, &a, &why))
			return refused(why);
		if (!amount_parse(amount_fmt(a, f), &again, &why) || again.millisatoshis != a.millisatoshis)
			abort();
		return;
	}
	case 6: {   /* --allow NODEID */
		uint8_t id[NOISE_PUBKEY_LEN];
		char hex[2 * NOISE_PUBKEY_LEN + 1];
		if (noise_node_id_parse(s, id) != NOISE_OK)
			return;
		for (size_t i = 0; i < NOISE_PUBKEY_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		if (strlen(s) != 2 * NOISE_PUBKEY_LEN || strncasecmp(hex, s, sizeof(hex)) != 0)
			abort();
		return;
	}
	case 7: {   /* --connect NODEID@HOST:PORT */
		uint8_t id[NOISE_PUBKEY_LEN];
		char addr[300];
		memset(addr, 0x55, sizeof(addr));
		if (!nodekey_parse_target(s, id, addr, sizeof(addr)))
			return;
		if (!memchr(addr, '\0', sizeof(addr)))
			abort();
		struct sockaddr_storage ss;
		int sl = sizeof(ss);
		(void)evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sl);
		return;
	}
	case 8: {   /* HOST:PORT */
		char host[64];
		uint16_t port;
		memset(host, 0x55, sizeof(host));
		if (!parse_hostport(s, host, sizeof(host), &port))
			return;
		if (!memchr(host, '\0', sizeof(host)))
			abort();
		return;
	}
	case 9: {   /* --channel */
		struct channel_config c;
		memset(&c, 0, sizeof(c));
		if (!channel_spec_parse(s, &c, w, sizeof(w)))
			return refused(w);
		if (!memchr(c.id, '\0', sizeof(c.id)))
			abort();
		if (!(c.link.drop >= 0 && c.link.drop <= 1) ||
		    !(c.link.duplicate >= 0 && c.link.duplicate <= 1))
			abort();
		struct ledger l;
		if (ledger_init(&l, c.id, c.capacity, c.alice, c.max_htlcs, c.htlc_minimum) == LEDGER_OK) {
			if (!ledger_conserves(&l))
				abort();
			ledger_free(&l);
		}
		return;
	}
	case 10: {  /* --seeded-secrets SEED:GENERATION */
		uint64_t seed;
		uint32_t gen;
		if (!seeded_secrets_parse(s, &seed, &gen))
			return;
		snprintf(buf, sizeof(buf), "%llu:%u", (unsigned long long)seed, gen);
		uint64_t s2;
		uint32_t g2;
		if (!seeded_secrets_parse(buf, &s2, &g2) || s2 != seed || g2 != gen)
			abort();
		return;
	}
	case 11: {  /* --clock virtual:PATH[@START_US] */
		char path[108];
		uint64_t start;
		memset(path, 0x55, sizeof(path));
		if (!timebase_parse_virtual(s, path, sizeof(path), &start))
			return;
		if (!memchr(path, '\0', sizeof(path)))
			abort();
		return;
	}
	case 12: {  /* --mode, --behaviour, --clock, outcomes, directions */
		enum pay_mode pm;
		enum bob_behaviour bb;
		enum alice_behaviour ab;
		enum sim_clock sc;
		enum outcome o;
		enum fault_dir d;
		enum jitter_dist j;
		enum node n;
		enum msg_kind k;
		if (pay_mode_parse(s, &pm) && pay_mode_name(pm) == NULL)
			abort();
		(void)bob_behaviour_parse(s, &bb);
		(void)alice_behaviour_parse(s, &ab);
		(void)sim_clock_parse(s, &sc);
		if (outcome_parse(s, &o) && strcmp(outcome_name(o), s) != 0)
			abort();
		(void)fault_dir_parse(s, &d);
		(void)jitter_dist_parse(s, &j);
		(void)node_parse(s, &n);
		if (msg_kind_parse(s, &k) && (k < 0 || k >= MSG_KIND_COUNT))
			abort();
		return;
	}
	case 13: {  /* a fault action (scenarios, the control socket) */
		struct fault_config f;
		memset(&f, 0, sizeof(f));
		if (!fault_action_parse(s, &f, &why))
			return refused(why);
		return;
	}
	case 14: {  /* workload values */
		struct workload_config wc;
		memset(&wc, 0, sizeof(wc));
		if (!workload_arrival_parse(s, &wc, &why))
			refused(why);
		why = NULL;
		if (!workload_amount_parse(s, &wc, &why))
			refused(why);
		why = NULL;
		if (!workload_modes_parse(s, &wc, &why))
			refused(why);
		return;
	}
	case 15: {  /* an [expect] value */
		struct expect_config e;
		memset(&e, 0, sizeof(e));
		if (!scn_expect_value_parse(s, &e, w, sizeof(w)))
			return refused(w);
		return;
	}
	}
}

#define NPARSERS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_quiet(true);
	if (size < 1)
		return 0;
	char *s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	parse_one(data[0] % NPARSERS, s);
	free(s);
	return 0;
}

size_t fuzz_seeds(struct fuzz_seed *seeds, size_t max)
{
	static const char *const v[] = {
		"\x00" "1.5s", "\x01" "40blocks", "\x02" "0.25", "\x03" "18446744073709551615",
		"\x04" "2.5", "\x05" "0.0001btc",
		"\x06" "02aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"\x07" "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798@127.0.0.1:9735",
		"\x08" "[::1]:9735",
		"\x09" "id=c1,capacity=1btc,alice=1btc,delay=20ms,jitter=5ms,jitter_dist=normal,"
		       "drop=0.1,max_htlcs=30,htlc_minimum=1sat",
		"\x0a" "42:3", "\x0b" "/tmp/vc.sock@1500000", "\x0c" "amp", "\x0d" "loss=ge:0.1,0.5",
		"\x0e" "every:100ms", "\x0f" "alice:0.5btc bob:0.5btc",
	};
	size_t n = sizeof(v) / sizeof(v[0]);
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++) {
		/* the selector may be 0: the first byte, then the text */
		seeds[i].len = 1 + strlen(v[i] + 1);
		seeds[i].data = malloc(seeds[i].len);
		memcpy(seeds[i].data, v[i], seeds[i].len);
	}
	return n;
}

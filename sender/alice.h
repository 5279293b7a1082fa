/* The alice daemon's state, shared by its shell (alice.c), its control
 * socket (alice_rpc.c) and its durable store (alice_store.c). */
#ifndef AMPSIM_ALICE_H
#define AMPSIM_ALICE_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain.h"
#include "daemon.h"
#include "events.h"
#include "payer.h"
#include "peer.h"
#include "rpc.h"
#include "scenario.h"
#include "store.h"

#define ALICE_MAX_CHANNELS SCN_MAX_CHANNELS

/* Which payment part owns a channel's HTLC id. */
struct owner {
	uint32_t pay;
	uint32_t part;
	bool used;
};

struct alice_chan {
	struct chan c;
	struct link_params to_alice;      /* sent to Bob in open_channel */
	struct owner *owners;             /* indexed by htlc id */
	uint64_t owners_cap;
};

struct inv_request {
	uint64_t id;
	uint32_t pay;
	int32_t part;                     /* -1: the payment's one invoice */
};

struct alice {
	struct event_base *base;
	struct simclock clk;
	struct evlog *log;
	struct rpc_server *rpc;
	struct daemon_signals *sig;
	struct event *block_timer;
	struct peer *peer;
	struct store *st;                 /* --state; NULL keeps everything in memory */
	struct chain *chain;              /* --chain; NULL: no on-chain fallback */
	struct event *reconnect_timer;
	char host[256];
	uint16_t port;
	unsigned reconnect_ms;
	bool stopping;
	bool restarted;                   /* loaded from --state */
	uint64_t reconnects;
	bool bob_inited;
	size_t accepted;
	const char *ready_file;
	bool ready_written;
	uint64_t seed;
	enum alice_behaviour behaviour;
	struct alice_chan chans[ALICE_MAX_CHANNELS];
	size_t nchans;
	struct payment *pays;
	size_t npays, pays_cap;
	struct inv_request *reqs;
	size_t nreqs, reqs_cap;
	uint64_t next_req;
	uint64_t settled, failed, refunded, partial;
	/* payment benchmark: keep bench_conc payments in flight until bench_total */
	bool bench_on;
	uint64_t bench_total, bench_started, bench_done, bench_conc;
	enum pay_mode bench_mode;
	uint32_t bench_shards;
	struct amount_msat bench_amount;
	uint64_t bench_t0_us, bench_t1_us;
	uint64_t *bench_lat_us;          /* per finished payment, wall */
	uint64_t *bench_start_us;        /* per payment index */
	size_t bench_first_pay;
	uint64_t bench_settled;
	/* ping benchmark */
	uint64_t pings_left, pings_total, pongs_got, ping_started_us, ping_done_us;
};

struct invoice;

/* alice.c: the shell, as the control socket uses it */
struct alice_chan *find_chan(struct alice *a, const char *id);
struct payment *find_pay(struct alice *a, const char *id);
json_t *payment_json(const struct alice *a, const struct payment *p);
/* given: the payment's invoice when paying one, else NULL */
bool alice_connected(const struct alice *a);
void retry_deferred(struct alice *a);
void start_payment(struct alice *a, struct payment *p, const struct invoice *given);

/* alice_rpc.c: the control socket's methods, and what the shell calls back */
extern const struct rpc_method alice_methods[];
/* Start benchmark payments until enough are in flight. */
void bench_next(struct alice *a);
void send_ping(struct alice *a);

/* alice_store.c: nothing happens without --state */
bool alice_store_open(struct alice *a, const char *dir, char *err, size_t errlen);
/* Load channels and payments; false if the store is empty (a first start). */
bool alice_store_load(struct alice *a);
void alice_store_meta(struct alice *a);
void alice_store_channel(struct alice *a, const struct alice_chan *ac);
void alice_store_payment(struct alice *a, const struct payment *p);

#endif

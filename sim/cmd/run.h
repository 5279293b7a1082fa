/* ampsim run, shared by its files: cmd_run.c (options, the schedule of
 * payments and faults, waiting until quiet), run_procs.c (starting,
 * killing and stopping the daemons), run_report.c (views, events,
 * expectations, the summary's tables) and run_transit.c (messages still on
 * their way). */
#ifndef AMPSIM_RUN_H
#define AMPSIM_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scenario.h"
#include "u64map.h"

#define READY_TIMEOUT_MS 10000
#define RPC_TIMEOUT_MS 5000

struct run_step {
	uint64_t at_us;
	int order;                 /* faults before payments at the same time */
	const struct payment_config *pay;
	const struct fault_config *fault;
	bool lift;
};

struct run {
	struct scenario *s;
	char dir[64];
	char bob_sock[128], alice_sock[128];
	char bob_events[128], alice_events[128];
	char bob_log[128], alice_log[128];
	pid_t bob, alice;
	int bob_port;
	char bob_node_id[67];          /* from bob's ready file: alice connects to it */
	char bob_exe[4096], alice_exe[4096];
	char bob_state[128], alice_state[128], chain[128];
	uint64_t epoch_us;
	/* channel faults in force, re-applied to a daemon that restarts */
	const struct fault_config *active[SCN_MAX_FAULTS];
	size_t nactive;
	/* payments due while alice was down, sent when she is back */
	const struct payment_config **queued;   /* heap: workloads can queue many */
	size_t nqueued, queued_cap;
	bool json, keep, verbose;
	size_t keep_payments;      /* --in-process: alice's finished payments kept; 0: default */
	/* the daemons keep a state (--state): when the scenario crashes or
	 * restarts one, or --keep asks for the run's files */
	bool durable;
	const char *pcap;          /* --pcap FILE, written by bob; NULL: none */
	/* the virtual clock (--clock virtual): its socket and coordinator */
	bool virt;
	char clock_sock[128];
	struct vcoord *vc;
	unsigned gen[2];           /* lives of alice [0] and bob [1]: secrets differ */
	const struct fault_config *crashed[2];   /* the crash that has them down */
};

/* run_summary.c: what a run ended with, and its summary printed */
struct run_end {
	json_t *pays, *ca, *cb, *ia, *ib;   /* what the daemons answered (NULL: nothing) */
	json_t *jw, *metrics;               /* the workloads' and the run's figures */
	bool final, settled_quiet;
	const char *stopwhy, *clockwhy;
	int interrupted;                    /* the signal that stopped the run, or 0 */
};
int run_summarize(struct run *r, const struct run_end *e, int rc);

/* run_plan.c: the scenario's steps in time order, faults before
 * payments at one instant; the workload payments handed to alice ahead
 * (virtual clock, where nothing else happens at their instant and nothing
 * cuts her off); the horizon (the latest anything can still happen) */
struct run_plan {
	struct run_step *steps;
	size_t nsteps;
	const struct payment_config **ahead;
	size_t nahead;
	uint64_t horizon;
	struct payment_config *wpays;   /* the workloads' payments (owned) */
};
/* The horizon once payment p is handed to alice at handed_us (later than
 * its time when she could not take it then): the latest it can still be
 * busy, if later than horizon. */
uint64_t plan_busy_until(const struct scenario *s, const struct payment_config *p,
			 uint64_t handed_us, uint64_t horizon);
void run_plan_build(const struct scenario *s, bool virt, struct run_plan *out);
void run_plan_free(struct run_plan *p);

/* run_steps.c */
void say(const struct run *r, const char *fmt, const char *arg);
json_t *call(const char *sock, const char *method, json_t *params, char *err, size_t n);

bool do_action(struct run *r, const struct run_step *a, char *err, size_t errlen);
/* Quiet: every payment has an outcome, nothing is in flight or on the
 * wire, and both daemons report the same channels. */
bool quiet(struct run *r, bool *all_final);
/* Payments alice could not take yet (she was down), tried again. */
void flush_queued(struct run *r);
/* The first of them only (the virtual clock settles between payments). */
void flush_one(struct run *r);

/* run_virtual.c: play the steps on the virtual clock */
struct virtual_play {
	const struct run_step *steps;
	size_t nsteps;
	uint64_t horizon;          /* simulated: the latest anything can still happen */
	double speed;              /* 0: as fast as the machine goes */
	bool step;                 /* wait for Enter before each instant */
	int step_fd;               /* listening: ampsim step / continue; -1: none */
	/* workload payments alice starts on her own timer (schedule), handed
	 * to her a slice at a time before the clock reaches them */
	const struct payment_config **ahead;
	size_t nahead;
	bool progress;             /* in-process: a line per 100,000 payments started */
};
/* run_clock.c: within a step, the daemons' work at the current instant
 * done (an advance to now, then a settle); false + why if the clock
 * stalled. The daemons still running ("alice", "bob"), after noticing
 * those that exited. */
bool settle_instant(struct run *r, char *why, size_t whylen);
size_t live_nodes(const struct run *r, const char *nodes[2]);
/* --speed: wait until simulated time t may be played, at most speed
 * simulated seconds per wall second since wall0 (pace_now_us's clock). */
uint64_t pace_now_us(void);
void pace(uint64_t wall0, uint64_t t, double speed);
void notice_exits(struct run *r);
/* A daemon that hangs cannot hang the run: an instant must settle within
 * this much wall time. */
#define SETTLE_TIMEOUT_MS 30000
/* run_stepper.c: --step's prompt: labels ("\n  bob: ..." per timer) and
 * the scenario's steps due at t; false when the user stopped the run;
 * *stepping goes false on "continue". */
bool step_prompt(const char *labels, uint64_t now, const struct virtual_play *vp, size_t next_step,
		 uint64_t t, bool *stepping);
/* The stepped run's socket for ampsim step / continue (JSON-RPC, mode 0600). */
int step_listen(const char *path, char *err, size_t errlen);
/* false + why when the run could not be played to its end */
bool play_virtual(struct run *r, const struct virtual_play *vp, bool *final, bool *settled_quiet,
		  char *why, size_t whylen);

struct ev_tally;
/* run_inproc.c: play the steps on the world (--in-process): both
 * engines in this process; the event logs go where the daemons write
 * theirs, and *res holds what their control sockets would answer */
struct inproc_result {
	json_t *pays, *ca, *cb, *ia, *ib;
	bool final, settled_quiet;
	bool write_events;         /* in: write the event logs (--events, --timeline) */
	struct pay_digests *digests; /* out: every payment, for the summary */
	struct ev_tally *tally;    /* in: what the summary reads, filled as events happen */
};
bool play_inprocess(struct run *r, const struct virtual_play *vp, struct inproc_result *res,
		    char *why, size_t whylen);
/* What stop_both says of daemons that logged a violation (they exit 1),
 * said of the world's nodes. */
void inproc_exits(const struct run *r, json_t *ia, json_t *ib, char *why, size_t n);
struct world;
/* run_inproc_steps.c: the steps on the world, as run_steps.c on the
 * daemons: payments alice cannot take yet wait, faults in force are given
 * again to a node that restarts */
struct inproc_steps {
	const struct payment_config **queued;
	size_t nqueued, cap;
	const struct fault_config *active[SCN_MAX_FAULTS];
	size_t nactive;
};
void inproc_step(struct world *w, struct inproc_steps *q, const struct run_step *a);
/* The first payment waiting, handed to alice; NULL if none or she cannot
 * take it yet. */
const struct payment_config *inproc_flush_one(struct world *w, struct inproc_steps *q);
void inproc_steps_free(struct inproc_steps *q);
/* The loop itself, on a world made and started by the caller: the run's
 * steps, the payments handed ahead, until quiet or past the horizon (or
 * the checker found something broken). path names the scenario in
 * messages. */
struct world;
bool world_play(struct world *w, const struct virtual_play *vp, const char *path, bool *final,
		bool *quiet, char *why, size_t whylen);
/* run_transit.c: messages still on their way between the daemons */
/* A run past its horizon plays on while messages are on their way, for at
 * most this much simulated time more (a bound, not a wait: a delivery is
 * an instant the clock jumps to); the in-process run follows it too. */
#define TRANSIT_GRACE_US (600ULL * 1000000)
/* Every message either daemon's getinfo lists as on its way, with "from". */
json_t *transit_list(json_t *ia, json_t *ib);
/* Past the horizon: whether the run plays on, because a message is still
 * waiting for its delay (bounded by a grace period). */
bool transit_plays_on(struct run *r, uint64_t now_us, uint64_t horizon_us);
/* How many of them are on that channel. */
size_t transit_on_channel(json_t *list, const char *channel);
/* "update_fail_htlc c1 #0 from bob to alice (due at t = 21.500 s)" */
void transit_describe(json_t *o, char *buf, size_t n);
/* One problem that says how many are on their way. */
void transit_problems(json_t *list, json_t *problems);
/* One line each, under the channels table. */
void transit_print(json_t *list);
/* Why a run did not end quiet, exactly: each message on its way, each
 * channel whose views differ with nothing on its way to explain it, each
 * channel with HTLCs in flight; false when none of these is found. */
bool quiet_problems(json_t *ca, json_t *cb, json_t *transit, json_t *problems);

/* run_workload.c: [workload] sections */
struct payment_config *workload_payments(const struct scenario *s, size_t *n);
/* per workload: count, outcomes, settle_ms {p50, p90, p99} (simulated) */
/* What the summary reads from the events, gathered one event at a time
 * (run_metrics.c), so that a run of a million payments never holds its
 * events in memory. */
/* alice's HTLCs in flight, by channel and id, in the order offered */
struct offered_htlc {
	uint64_t key;                /* channel's number << 48 | HTLC id */
	double t, msat;
	bool live;
};
/* a payment's start and end in the events (t_ms), found by its id */
struct pay_times {
	char id[SCN_ID_MAX];
	double t0, t1;
	bool has0, has1, live;
	size_t next;                 /* another id of the same hash: its index + 1 */
};
struct ev_tally {
	struct pay_times *pt;        /* alice's payments' times, in the order started */
	size_t npt, pt_cap, pt_live;
	struct u64map pt_at;         /* hash of the id -> index of the first */
	struct offered_htlc *off;    /* in the order offered; resolved ones not live */
	size_t noff, off_cap, off_live;
	struct u64map off_at;        /* key -> index in off */
	char off_chans[SCN_MAX_CHANNELS][SCN_ID_MAX];   /* the channels' numbers */
	size_t off_nchans;
	double *settle;              /* settled payments' settle times, ms */
	size_t nsettle, cap;
	size_t htlcs, dropped, duplicated, claims, refunds;
	double locked, last_ms;
};
void tally_init(struct ev_tally *t);
void tally_free(struct ev_tally *t);
/* One event, in its own daemon's order. */
void tally_event(struct ev_tally *t, json_t *ev);
/* The same, from its fields (the in-process run, which has no JSON). */
struct tally_ev {
	const char *name, *node, *payment, *outcome, *channel;
	double t_ms;               /* as the event log writes it */
	int64_t htlc;
	double amount_msat;
};
void tally_rec(struct ev_tally *t, const struct tally_ev *ev);
/* Whether the summary reads more than an event's time (by name). */
bool tally_wants(const char *event, size_t len);
/* An event not read further: only its time counts (the run's end). */
void tally_time(struct ev_tally *t, double t_ms);
/* Both daemons' event logs, through tally_event. */
void tally_files(const struct run *r, struct ev_tally *t);
/* What the summary needs of each payment: its outcome, its retries and,
 * settled, its settle time (from the events' start and end). A long
 * in-process run makes one as each payment is forgotten, so the summary
 * never holds a million payments. */
struct pay_digest {
	char id[SCN_ID_MAX];
	enum outcome outcome;
	unsigned retries;            /* parts that were a retry (attempt > 0) */
	bool timed;                  /* settled, with both times in the events */
	double settle_ms;
};
struct pay_digests {
	struct pay_digest *v;
	size_t n, cap;
};
/* A payment's times (NULL: none), kept by the tally. */
const struct pay_times *tally_times(const struct ev_tally *ty, const char *id);
/* They are no longer needed: the payment is done (a long run's memory). */
void tally_forget_times(struct ev_tally *ty, const char *id);
/* One payment; its times are taken from (and, forget: dropped from) ty. */
void digests_add(struct pay_digests *d, const char *id, enum outcome o, unsigned retries,
		 struct ev_tally *ty, bool forget);
/* Every payment of listpayments' answer. */
void digests_from_pays(struct pay_digests *d, json_t *pays, struct ev_tally *ty);
void digests_free(struct pay_digests *d);
json_t *workload_summary(const struct scenario *s, const struct pay_digests *d);
bool workload_expect_holds(const struct expect_config *x, json_t *workloads, char *got, size_t n);
/* The text summary's workloads, and the run's speed (metrics). */
void workload_print(json_t *workloads, json_t *metrics);

/* run_metrics.c: the run's metrics (outcomes, settle time percentiles,
 * HTLCs per payment, retries, drops, duplicates, chain claims and refunds,
 * liquidity locked in HTLCs, simulated seconds per wall second); only its
 * "wall" object depends on the machine */
json_t *run_metrics(const struct pay_digests *d, const struct ev_tally *ty, double wall_s);

/* run_procs.c */
bool start_bob(struct run *r, char *err, size_t errlen);
bool start_alice(struct run *r, bool first, char *err, size_t errlen);
bool start_daemons(struct run *r, char *err, size_t errlen);
void log_crash(const struct run *r, const char *node);
void kill9(pid_t *pid);
void remove_tree(const char *path);
void remove_dir(const char *dir);
int stop_both(struct run *r, char *why, size_t n);

/* run_report.c */
void fmt_msat(char *buf, size_t n, uint64_t msat);
json_t *view(json_t *c);
bool same_view(json_t *a, json_t *b);
/* The text summary's payments and channels tables, each in one unit; a
 * channel whose views differ while a message on it is still on its way
 * says so instead of DISAGREE. */
void print_payments(json_t *jp);
void print_channels(json_t *jc, json_t *transit);
/* Both daemons' events in time order (for --events and --timeline):
 * each parsed (events, an array) and as its log holds it (lines[i], the
 * line of events[i], as evline_format wrote it). */
struct merged_events {
	json_t *events;
	char **lines;
	size_t n;
};
void merge_events(const struct run *r, struct merged_events *m);
void merged_events_free(struct merged_events *m);
/* The merged lines, one per line, to path (0600). */
bool write_events(const struct merged_events *m, const char *path);
bool channel_expect_holds(const struct expect_config *x, json_t *av, json_t *bv);

#endif

/* The protocol's limits, written down once: both peers, the scenario
 * parser, the ledger and the command line take them from here. */
#ifndef AMPSIM_PROTO_LIMITS_H
#define AMPSIM_PROTO_LIMITS_H

/* The protocol version both daemons announce in init. */
#define PROTOCOL_VERSION 1

/* BOLT #2: "max_accepted_htlcs ... MUST NOT be greater than 483". Also the
 * most parts a payment is split into (one HTLC per part on one channel). */
#define MAX_HTLCS 483
#define MAX_HTLCS_STR "483"

/* A channel id (and any scenario id) is 1..ID_MAX-1 characters; buffers
 * are ID_MAX bytes with the terminating NUL. */
#define ID_MAX 32

#endif

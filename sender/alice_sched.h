/* Payments handed to alice ahead of their start time (alice_sched.c). */
#ifndef AMPSIM_ALICE_SCHED_H
#define AMPSIM_ALICE_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amount.h"
#include "pay_engine.h"

/* Waiting payments at most: the run hands them in slices. */
#define ALICE_SCHED_MAX 100000

struct alice;
struct alice_sched;

struct alice_sched *alice_sched_new(struct alice *a);
void alice_sched_free(struct alice_sched *s);
/* Queue a payment to start at simulated time at_us (not before the last
 * one queued, nor before now); false + why if not. */
bool alice_sched_add(struct alice_sched *s, const char *id, uint64_t at_us,
		     struct amount_msat amount, enum pay_mode mode, uint32_t shards,
		     uint32_t expiry_blocks, uint64_t timeout_us, char *why, size_t whylen);
/* The start of the last payment queued, or now if later (s may be NULL). */
uint64_t alice_sched_last(const struct alice_sched *s, uint64_t now);
/* Payments queued and not yet started (s may be NULL). */
size_t alice_sched_waiting(const struct alice_sched *s);

#endif

/* Money as a type: every balance and HTLC amount is a struct amount_msat,
 * and all arithmetic on it goes through the checked helpers below, which
 * report overflow/underflow instead of wrapping (as Core Lightning's
 * amounts do). */
#ifndef AMPSIM_AMOUNT_H
#define AMPSIM_AMOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSAT_PER_SAT 1000ULL
#define MSAT_PER_BTC 100000000000ULL

struct amount_msat {
	uint64_t millisatoshis;
};

static inline struct amount_msat amount_msat(uint64_t msat)
{
	struct amount_msat a = { msat };
	return a;
}

/* The result of every operation must be looked at (as in Core Lightning):
 * an ignored overflow is money created or lost. */
#define AMOUNT_MUST_CHECK __attribute__((warn_unused_result))

/* Return false (and leave *out untouched) on overflow. */
AMOUNT_MUST_CHECK bool amount_add(struct amount_msat *out, struct amount_msat a, struct amount_msat b);
/* Return false (and leave *out untouched) if b > a. */
AMOUNT_MUST_CHECK bool amount_sub(struct amount_msat *out, struct amount_msat a, struct amount_msat b);
/* Return false on overflow. */
AMOUNT_MUST_CHECK bool amount_mul(struct amount_msat *out, struct amount_msat a, uint64_t k);
/* a split into n equal shares: *share = floor(a / n), *rest = a mod n
 * (rest < n; the first `rest` shares take one millisatoshi more). False
 * for n = 0. */
AMOUNT_MUST_CHECK bool amount_div(struct amount_msat *share, uint64_t *rest, struct amount_msat a,
				  uint64_t n);

/* For drawn amounts: a x f rounded, saturating at 1 msat below and the
 * type's range above (f >= 0); and the amount in [lo, hi] a random word r
 * picks (lo <= hi; uniform up to the modulo bias of one 64-bit draw). */
struct amount_msat amount_scaled(struct amount_msat a, double f);
struct amount_msat amount_pick(struct amount_msat lo, struct amount_msat hi, uint64_t r);

static inline bool amount_eq(struct amount_msat a, struct amount_msat b)
{
	return a.millisatoshis == b.millisatoshis;
}
static inline bool amount_less(struct amount_msat a, struct amount_msat b)
{
	return a.millisatoshis < b.millisatoshis;
}
static inline bool amount_is_zero(struct amount_msat a)
{
	return a.millisatoshis == 0;
}

/* Parse "2btc", "0.5btc", "1500sat", "42msat" or a bare "0".
 * Decimals are allowed as long as they name a whole number of msat.
 * On failure returns false and sets *why to a static explanation. */
bool amount_parse(const char *s, struct amount_msat *out, const char **why);

/* The amount as 8 bytes, big-endian (for digests that are signed). */
void amount_put_be(struct amount_msat a, uint8_t out[8]);

/* Shortest exact rendering: "2btc", "0.5btc", "1500sat", "42msat". */
#define AMOUNT_FMT_LEN 40
const char *amount_fmt(struct amount_msat a, char buf[AMOUNT_FMT_LEN]);

#endif

/* The units users type in scenario files and on the command line. Every
 * parser here is strict: the whole string must be consumed, no sign is
 * accepted, and numbers are read digit by digit rather than
 * with strtod(), so "nan", "inf", "0x10", "1e3" and locale-dependent
 * decimal commas are all rejected instead of being half-accepted. */
#include "units.h"

#include <stddef.h>
#include <string.h>

/* Fraction digits beyond this many carry no information we keep: 10^18
 * still fits a uint64_t, and a double holds only ~16 significant digits. */
#define FRAC_DIGITS_MAX 18

static const uint64_t pow10_u64[FRAC_DIGITS_MAX + 1] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
};

/* A non-negative decimal "W" or "W.F" as read from the front of a string.
 * frac holds the significant fraction digits (trailing zeros removed) and
 * nfrac how many there are; exact is false when digits past
 * FRAC_DIGITS_MAX were non-zero and so could not be kept. */
struct decimal {
	uint64_t whole;
	uint64_t frac;
	unsigned nfrac;
	bool exact;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Read a decimal from the front of s. Returns the first character after
 * it, or NULL with *why set. */
static const char *decimal_scan(const char *s, struct decimal *d, const char **why)
{
	const char *p = s;
	bool digits = false;

	d->whole = 0;
	d->frac = 0;
	d->nfrac = 0;
	d->exact = true;

	if (!s || !*s) {
		*why = "empty value";
		return NULL;
	}
	if (*p == '-') {
		*why = "must not be negative";
		return NULL;
	}
	while (is_digit(*p)) {
		if (__builtin_mul_overflow(d->whole, 10, &d->whole) ||
		    __builtin_add_overflow(d->whole, (uint64_t)(*p - '0'), &d->whole)) {
			*why = "number too large";
			return NULL;
		}
		digits = true;
		p++;
	}
	if (*p == '.') {
		const char *f = ++p;
		while (is_digit(*p))
			p++;
		const char *fend = p;
		if (fend > f)
			digits = true;
		/* "1.50" is "1.5": drop trailing zeros before counting */
		while (fend > f && fend[-1] == '0')
			fend--;
		for (const char *q = f; q < fend; q++) {
			if (d->nfrac == FRAC_DIGITS_MAX) {
				/* fend[-1] is non-zero, so something was cut */
				d->exact = false;
				break;
			}
			d->frac = d->frac * 10 + (uint64_t)(*q - '0');
			d->nfrac++;
		}
	}
	if (!digits) {
		*why = "expected a number";
		return NULL;
	}
	return p;
}

/* Value of a decimal as a double. frac < 10^18 and 10^nfrac is exact in
 * a double, so the division rounds once. */
static double decimal_value(const struct decimal *d)
{
	return (double)d->whole + (double)d->frac / (double)pow10_u64[d->nfrac];
}

struct duration_unit {
	const char *suffix;
	uint64_t us;
};

static const struct duration_unit duration_units[] = {
	{ "us", 1ULL },
	{ "ms", 1000ULL },
	{ "s", 1000000ULL },
	{ "m", 60000000ULL },
};

bool duration_parse(const char *s, uint64_t *us, const char **why)
{
	struct decimal d;
	const char *p = decimal_scan(s, &d, why);

	if (!p)
		return false;
	if (*p == '\0') {
		/* "0" needs no unit: zero is zero in every unit */
		if (d.whole == 0 && d.frac == 0 && d.exact) {
			*us = 0;
			return true;
		}
		*why = "missing unit: expected us, ms, s or m (e.g. 20ms, 1.5s)";
		return false;
	}
	if (strcmp(p, "block") == 0 || strcmp(p, "blocks") == 0) {
		*why = "a duration takes us, ms, s or m, not blocks";
		return false;
	}
	for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
		const struct duration_unit *u = &duration_units[i];
		if (strcmp(p, u->suffix) != 0)
			continue;
		/* The fraction must name whole microseconds: with frac free of
		 * trailing zeros that needs 10^nfrac | frac * u->us, which
		 * fails for every nfrac > 9 since u->us < 10^8. Checking that
		 * first keeps frac * u->us below 10^17. */
		if (!d.exact || d.nfrac > 9) {
			*why = "duration is not a whole number of microseconds";
			return false;
		}
		uint64_t fscaled = d.frac * u->us;
		if (fscaled % pow10_u64[d.nfrac] != 0) {
			*why = "duration is not a whole number of microseconds";
			return false;
		}
		uint64_t w, r;
		if (__builtin_mul_overflow(d.whole, u->us, &w) ||
		    __builtin_add_overflow(w, fscaled / pow10_u64[d.nfrac], &r)) {
			*why = "duration too large";
			return false;
		}
		*us = r;
		return true;
	}
	*why = "unknown unit: expected us, ms, s or m";
	return false;
}

bool blocks_parse(const char *s, uint32_t *blocks, const char **why)
{
	uint64_t v = 0;
	const char *p = s;

	if (!s || !*s) {
		*why = "empty value";
		return false;
	}
	if (*p == '-') {
		*why = "must not be negative";
		return false;
	}
	if (!is_digit(*p)) {
		*why = "expected a whole number of blocks (e.g. 40 or 40blocks)";
		return false;
	}
	while (is_digit(*p)) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX) {
			*why = "block count too large";
			return false;
		}
		p++;
	}
	if (*p == '.') {
		*why = "blocks are counted in whole numbers";
		return false;
	}
	if (*p != '\0' && strcmp(p, "blocks") != 0 && strcmp(p, "block") != 0) {
		*why = "expected a whole number of blocks (e.g. 40 or 40blocks)";
		return false;
	}
	*blocks = (uint32_t)v;
	return true;
}

bool prob_parse(const char *s, double *p, const char **why)
{
	struct decimal d;
	const char *end = decimal_scan(s, &d, why);

	if (!end)
		return false;
	if (*end != '\0') {
		*why = "expected a probability: a number in [0,1] such as 0.1";
		return false;
	}
	/* Decided on the digits, not the double: 1.0000000000000000001
	 * would round to 1.0 but is still above 1. */
	if (d.whole > 1 || (d.whole == 1 && (d.frac != 0 || !d.exact))) {
		*why = "probability must be in [0,1]";
		return false;
	}
	*p = decimal_value(&d);
	return true;
}

bool uint_parse(const char *s, uint64_t *v, const char **why)
{
	uint64_t r = 0;
	const char *p = s;

	if (!s || !*s) {
		*why = "empty value";
		return false;
	}
	if (*p == '-') {
		*why = "must not be negative";
		return false;
	}
	if (!is_digit(*p)) {
		*why = "expected a whole number";
		return false;
	}
	while (is_digit(*p)) {
		if (__builtin_mul_overflow(r, 10, &r) ||
		    __builtin_add_overflow(r, (uint64_t)(*p - '0'), &r)) {
			*why = "number does not fit in 64 bits";
			return false;
		}
		p++;
	}
	if (*p != '\0') {
		*why = "expected a whole number";
		return false;
	}
	*v = r;
	return true;
}

bool positive_parse(const char *s, double *v, const char **why)
{
	struct decimal d;
	const char *end = decimal_scan(s, &d, why);

	if (!end)
		return false;
	if (*end != '\0') {
		*why = "expected a positive number such as 1 or 0.5";
		return false;
	}
	double r = decimal_value(&d);
	if (!(r > 0)) {
		/* digits cut past FRAC_DIGITS_MAX were non-zero: positive,
		 * but below anything a double-based setting can use */
		*why = d.exact ? "must be greater than 0" : "number too small";
		return false;
	}
	*v = r;
	return true;
}

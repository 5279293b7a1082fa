#include "amount.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

bool amount_add(struct amount_msat *out, struct amount_msat a, struct amount_msat b)
{
	uint64_t r;
	if (__builtin_add_overflow(a.millisatoshis, b.millisatoshis, &r))
		return false;
	out->millisatoshis = r;
	return true;
}

bool amount_sub(struct amount_msat *out, struct amount_msat a, struct amount_msat b)
{
	if (b.millisatoshis > a.millisatoshis)
		return false;
	out->millisatoshis = a.millisatoshis - b.millisatoshis;
	return true;
}

bool amount_mul(struct amount_msat *out, struct amount_msat a, uint64_t k)
{
	uint64_t r;
	if (__builtin_mul_overflow(a.millisatoshis, k, &r))
		return false;
	out->millisatoshis = r;
	return true;
}

struct unit {
	const char *suffix;
	uint64_t scale;     /* msat per unit */
	unsigned max_frac;  /* decimal places that still name whole msat */
};

static const struct unit units[] = {
	{ "msat", 1, 0 },
	{ "sat", MSAT_PER_SAT, 3 },
	{ "btc", MSAT_PER_BTC, 11 },
};

bool amount_parse(const char *s, struct amount_msat *out, const char **why)
{
	const char *p = s;
	uint64_t whole = 0, frac = 0;
	unsigned nfrac = 0;
	bool digits = false;

	if (!s || !*s) {
		*why = "empty amount";
		return false;
	}
	if (*p == '-') {
		*why = "amount must not be negative";
		return false;
	}
	while (isdigit((unsigned char)*p)) {
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    __builtin_add_overflow(whole, (uint64_t)(*p - '0'), &whole)) {
			*why = "amount overflows 64-bit millisatoshis";
			return false;
		}
		digits = true;
		p++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (nfrac >= 19) {
				*why = "too many decimal places";
				return false;
			}
			frac = frac * 10 + (uint64_t)(*p - '0');
			nfrac++;
			digits = true;
			p++;
		}
	}
	if (!digits) {
		*why = "expected a number followed by btc, sat or msat";
		return false;
	}
	if (*p == '\0') {
		if (whole == 0 && frac == 0) {
			*out = amount_msat(0);
			return true;
		}
		*why = "missing unit: expected btc, sat or msat (e.g. 1btc, 1500sat)";
		return false;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		const struct unit *u = &units[i];
		if (strcmp(p, u->suffix) != 0)
			continue;
		/* strip trailing zero decimals so "1.50sat" is fine */
		while (nfrac > 0 && frac % 10 == 0) {
			frac /= 10;
			nfrac--;
		}
		if (nfrac > u->max_frac) {
			*why = "amount is not a whole number of millisatoshis";
			return false;
		}
		uint64_t fscale = u->scale;
		for (unsigned k = 0; k < nfrac; k++)
			fscale /= 10;
		uint64_t w, f, r;
		if (__builtin_mul_overflow(whole, u->scale, &w) ||
		    __builtin_mul_overflow(frac, fscale, &f) ||
		    __builtin_add_overflow(w, f, &r)) {
			*why = "amount overflows 64-bit millisatoshis";
			return false;
		}
		*out = amount_msat(r);
		return true;
	}
	*why = "unknown unit: expected btc, sat or msat";
	return false;
}

const char *amount_fmt(struct amount_msat a, char buf[AMOUNT_FMT_LEN])
{
	uint64_t m = a.millisatoshis;
	if (m == 0) {
		snprintf(buf, AMOUNT_FMT_LEN, "0");
	} else if (m % MSAT_PER_BTC == 0 || m >= MSAT_PER_BTC / 100) {
		if (m % MSAT_PER_BTC == 0) {
			snprintf(buf, AMOUNT_FMT_LEN, "%llubtc",
				 (unsigned long long)(m / MSAT_PER_BTC));
		} else {
			/* exact decimal btc, trailing zeros removed */
			char frac[16];
			snprintf(frac, sizeof(frac), "%011llu",
				 (unsigned long long)(m % MSAT_PER_BTC));
			size_t n = strlen(frac);
			while (n > 0 && frac[n - 1] == '0')
				frac[--n] = '\0';
			snprintf(buf, AMOUNT_FMT_LEN, "%llu.%sbtc",
				 (unsigned long long)(m / MSAT_PER_BTC), frac);
		}
	} else if (m % MSAT_PER_SAT == 0) {
		snprintf(buf, AMOUNT_FMT_LEN, "%llusat",
			 (unsigned long long)(m / MSAT_PER_SAT));
	} else {
		snprintf(buf, AMOUNT_FMT_LEN, "%llumsat", (unsigned long long)m);
	}
	return buf;
}

bool amount_div(struct amount_msat *share, uint64_t *rest, struct amount_msat a, uint64_t n)
{
	if (n == 0)
		return false;
	share->millisatoshis = a.millisatoshis / n;
	*rest = a.millisatoshis % n;
	return true;
}

struct amount_msat amount_scaled(struct amount_msat a, double f)
{
	double v = (double)a.millisatoshis * f;
	if (!(v >= 1))
		return amount_msat(1);
	if (v >= 18446744073709551615.0)
		return amount_msat(UINT64_MAX);
	return amount_msat((uint64_t)llround(v));
}

struct amount_msat amount_pick(struct amount_msat lo, struct amount_msat hi, uint64_t r)
{
	uint64_t span = hi.millisatoshis - lo.millisatoshis;
	if (span == UINT64_MAX)
		return amount_msat(r);
	return amount_msat(lo.millisatoshis + r % (span + 1));
}

void amount_put_be(struct amount_msat a, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(a.millisatoshis >> (56 - 8 * i));
}

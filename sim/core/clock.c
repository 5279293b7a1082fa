#include "clock.h"

#include <math.h>
#include <time.h>

/* 2^64 as a double: the first value a uint64_t cannot hold. */
#define U64_LIMIT 18446744073709551616.0

/* Timer spans are capped so that tv_sec stays within 32 bits (about 68
 * years): libevent adds the span to the current time, and nothing a
 * simulation waits for is that far away. */
#define WALL_SPAN_MAX_US ((uint64_t)INT32_MAX * 1000000u)

/* A time scale that is not a positive number (0, negative, NaN) would make
 * simulated time stand still or run backwards; the scenario parser and the
 * init message reject it, and here it falls back to real time. */
static double scale_of(const struct simclock *c)
{
	return c->time_scale > 0 ? c->time_scale : 1.0;
}

/* v as a uint64_t, saturating instead of overflowing (v >= 0). */
static uint64_t sat_u64(double v)
{
	if (!(v < U64_LIMIT))
		return UINT64_MAX;
	return (uint64_t)v;
}

/* Simulated span for a wall span. Integral scales are multiplied exactly
 * in integers, so time_scale = 1 or 10 loses nothing to rounding; fractional
 * ones go through a double (exact to the microsecond for 285 years). */
static uint64_t wall_to_sim(double scale, uint64_t wall_us)
{
	if (scale == floor(scale) && scale < U64_LIMIT) {
		uint64_t r;
		if (__builtin_mul_overflow(wall_us, (uint64_t)scale, &r))
			return UINT64_MAX;
		return r;
	}
	return sat_u64(floor((double)wall_us * scale));
}

uint64_t simclock_sim_at(const struct simclock *c, uint64_t wall_us)
{
	if (wall_us <= c->epoch_unix_us)
		return 0;
	return wall_to_sim(scale_of(c), wall_us - c->epoch_unix_us);
}

uint32_t simclock_height_at(const struct simclock *c, uint64_t wall_us)
{
	if (c->block_interval_us == 0)
		return 0;           /* no blocks are ever found */
	uint64_t h = simclock_sim_at(c, wall_us) / c->block_interval_us;
	return h > UINT32_MAX ? UINT32_MAX : (uint32_t)h;
}

uint32_t simclock_height_of(const struct simclock *c, uint64_t sim_us)
{
	if (c->block_interval_us == 0)
		return 0;           /* no blocks are ever found */
	uint64_t h = sim_us / c->block_interval_us;
	return h > UINT32_MAX ? UINT32_MAX : (uint32_t)h;
}

uint64_t simclock_height_time(const struct simclock *c, uint32_t height)
{
	uint64_t t;
	if (__builtin_mul_overflow((uint64_t)height, c->block_interval_us, &t))
		return UINT64_MAX;
	return t;
}

struct timeval simclock_wall_span(const struct simclock *c, uint64_t sim_us)
{
	double scale = scale_of(c);
	uint64_t wall = sat_u64(ceil((double)sim_us / scale));

	/* The earliest wall span over which sim_us has passed, so that a timer
	 * never fires early (a wakeup "at height h" must find the clock at h,
	 * not h - 1) nor later than needed. The division above can be a hair
	 * off either way in floating point; step to the exact boundary. */
	for (int i = 0; i < 4 && wall < WALL_SPAN_MAX_US && wall_to_sim(scale, wall) < sim_us; i++)
		wall++;
	for (int i = 0; i < 4 && wall > 0 && wall <= WALL_SPAN_MAX_US &&
			wall_to_sim(scale, wall - 1) >= sim_us; i++)
		wall--;
	if (wall > WALL_SPAN_MAX_US)
		wall = WALL_SPAN_MAX_US;

	struct timeval tv;
	tv.tv_sec = (time_t)(wall / 1000000u);
	tv.tv_usec = (suseconds_t)(wall % 1000000u);
	return tv;
}

uint64_t simclock_block_wall_ms(const struct simclock *c)
{
	if (!c->block_interval_us)
		return 0;
	struct timeval tv = simclock_wall_span(c, c->block_interval_us);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

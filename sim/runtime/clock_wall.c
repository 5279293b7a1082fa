/* The one place that reads the OS clock: wall time, and simulated time
 * "now" under the wall clock. Runtime layer: engines never call these,
 * they are handed `now`. */
#include "clock.h"

#include <time.h>

uint64_t simclock_wall_now_us(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t simclock_now(const struct simclock *c)
{
	return simclock_sim_at(c, simclock_wall_now_us());
}

uint32_t simclock_height(const struct simclock *c)
{
	return simclock_height_at(c, simclock_wall_now_us());
}

struct timeval simclock_until_next_block(const struct simclock *c)
{
	uint64_t next = simclock_height_time(c, simclock_height(c) + 1);
	uint64_t now = simclock_now(c);
	return simclock_wall_span(c, next > now ? next - now : 0);
}

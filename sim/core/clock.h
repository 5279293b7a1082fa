/* The block clock. Simulated time runs time_scale times faster than wall
 * time from the run's epoch; a block is found every block_interval of
 * simulated time, so height = floor(sim_time / block_interval).
 *
 * The pure functions take wall time as an argument so tests can drive the
 * clock; simclock_wall_now_us() is the one place that reads the OS clock. */
#ifndef AMPSIM_CLOCK_H
#define AMPSIM_CLOCK_H

#include <stdint.h>
#include <sys/time.h>

struct simclock {
	uint64_t epoch_unix_us;       /* wall time of simulated t = 0 */
	uint64_t block_interval_us;   /* simulated */
	double time_scale;            /* simulated seconds per wall second */
};

/* clock_wall.c (runtime): the OS clock. */
uint64_t simclock_wall_now_us(void);

/* Simulated microseconds since the epoch at wall time wall_us (0 before it). */
uint64_t simclock_sim_at(const struct simclock *c, uint64_t wall_us);
uint32_t simclock_height_at(const struct simclock *c, uint64_t wall_us);
/* Height at simulated time sim_us (what engines, handed `now`, use). */
uint32_t simclock_height_of(const struct simclock *c, uint64_t sim_us);

/* clock_wall.c (runtime): the same, now. */
uint64_t simclock_now(const struct simclock *c);
uint32_t simclock_height(const struct simclock *c);

/* Simulated time at which the given height is reached. */
uint64_t simclock_height_time(const struct simclock *c, uint32_t height);

/* clock_wall.c (runtime): wall-clock interval from now until the next block is found (for the
 * daemons' block timers). */
struct timeval simclock_until_next_block(const struct simclock *c);

/* Wall-clock interval (for an event timer) covering a simulated span. */
struct timeval simclock_wall_span(const struct simclock *c, uint64_t sim_us);

/* One block in wall-clock milliseconds (0 while no block interval is set). */
uint64_t simclock_block_wall_ms(const struct simclock *c);

#endif

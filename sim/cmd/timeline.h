/* The HTML timeline of a run (ampsim run --timeline): a sequence diagram
 * of the messages between Alice and Bob, channel by channel, with what
 * each side decided along its lifeline, and the full event table. */
#ifndef AMPSIM_TIMELINE_H
#define AMPSIM_TIMELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* events: the merged event log (array, sorted by t_ms). */
bool timeline_write(json_t *events, const char *scenario, uint64_t seed, double time_scale,
		    const char *path);

#endif

/* The HTML timeline of a run (ampsim run --timeline): one self-contained
 * file, a sequence diagram of Alice, Bob and the chain spaced by simulated
 * time, one colour per payment, with the channels' balances as the run
 * goes, play / pause / step, and the full event table. The model it draws
 * comes from timeline_model.c; the drawing is timeline.js. */
#ifndef AMPSIM_TIMELINE_H
#define AMPSIM_TIMELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* events: the merged event log (array, sorted by t_ms). */
bool timeline_write(json_t *events, const char *scenario, uint64_t seed, double time_scale,
		    const char *path);

#endif

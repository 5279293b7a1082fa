/* Parsing of the units users type: durations ("20ms", "1.5s", "2m",
 * "500us"), block counts ("40blocks", "40"), probabilities ("0.1"). */
#ifndef AMPSIM_UNITS_H
#define AMPSIM_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/* Duration in microseconds; requires a unit (us, ms, s, m) except for "0".
 * Rejects "blocks" (use blocks_parse). false + static *why on error. */
bool duration_parse(const char *s, uint64_t *us, const char **why);

/* "40blocks", "1block" or a bare non-negative integer. */
bool blocks_parse(const char *s, uint32_t *blocks, const char **why);

/* A probability in [0,1]. */
bool prob_parse(const char *s, double *p, const char **why);

/* A non-negative decimal integer that fits in uint64 (no sign, no unit). */
bool uint_parse(const char *s, uint64_t *v, const char **why);

/* A positive finite decimal number (e.g. time_scale). */
bool positive_parse(const char *s, double *v, const char **why);

#endif

/* A daemon's life as the event log tells it, written once for both runs:
 * a crash (the run writes it in the killed daemon's name, as a daemon
 * killed with SIGKILL cannot) and a restart from a state (with what was
 * loaded). The daemons, ampsim run and the world (sim/world/world_life.c)
 * build these records here. Pure. */
#ifndef AMPSIM_LIFE_H
#define AMPSIM_LIFE_H

#include <stddef.h>

#include "evrec.h"

/* "crash": how the daemon was killed */
void life_crash(struct evrec *r);
/* "restart" of alice: the payments she loaded */
void life_alice_restart(struct evrec *r, size_t payments);
/* "restart" of bob: the channels he loaded (logged only when there are) */
void life_bob_restart(struct evrec *r, size_t channels);

#endif

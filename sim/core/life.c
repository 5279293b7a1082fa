/* A daemon's life in the event log (life.h). */
#include "life.h"

void life_crash(struct evrec *r)
{
	evrec_init(r, "crash");
	evrec_str(r, "how", "SIGKILL from ampsim run");
}

void life_alice_restart(struct evrec *r, size_t payments)
{
	evrec_init(r, "restart");
	evrec_i64(r, "payments", (int64_t)payments);
}

void life_bob_restart(struct evrec *r, size_t channels)
{
	evrec_init(r, "restart");
	evrec_i64(r, "channels", (int64_t)channels);
}

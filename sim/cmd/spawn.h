/* Starting and stopping the daemons as child processes (ampsim run and
 * ampsim bench), and finding their executables. */
#ifndef AMPSIM_SPAWN_H
#define AMPSIM_SPAWN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The alice or bob executable: $AMPSIM_ALICE / $AMPSIM_BOB, else next to
 * this program (or in ../sender, ../receiver of a build tree), else PATH. */
bool find_daemon(const char *name, char *out, size_t cap);

/* fork+exec argv with stdout and stderr appended to log_path. -1 on error. */
pid_t spawn_daemon(char *const argv[], const char *log_path);

/* Wait until path exists and holds JSON (the daemon's ready file), or
 * the child exits, or timeout_ms passes. */
json_t *wait_ready(const char *path, pid_t pid, int timeout_ms, char *err, size_t errlen);

/* Wait timeout_ms for the child to exit by itself, then SIGTERM and wait
 * again, then SIGKILL. Returns the wait status, or -1
 * if the child was already reaped. */
int stop_daemon(pid_t pid, int timeout_ms);

/* Monotonic milliseconds. */
long long mono_now_ms(void);
/* Sleep until the wall clock reaches unix_us (returns at once if past). */
void sleep_until_unix_us(unsigned long long unix_us);

#endif

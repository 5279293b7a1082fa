#include "spawn.h"
#include "vcoord.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

long long mono_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_until_unix_us(unsigned long long unix_us)
{
	for (;;) {
		uint64_t now = simclock_wall_now_us();
		if (now >= unix_us)
			return;
		uint64_t left = unix_us - now;
		struct timespec ts = { (time_t)(left / 1000000), (long)(left % 1000000) * 1000 };
		/* a signal (Ctrl-C) ends the wait: the caller looks at why */
		if (nanosleep(&ts, NULL) == 0 || errno == EINTR)
			return;
	}
}

static bool executable(const char *p)
{
	return access(p, X_OK) == 0;
}

bool find_daemon(const char *name, char *out, size_t cap)
{
	char env[32];
	snprintf(env, sizeof(env), "AMPSIM_%s", strcmp(name, "alice") == 0 ? "ALICE" : "BOB");
	const char *e = getenv(env);
	if (e && *e) {
		snprintf(out, cap, "%s", e);
		return executable(out);
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			const char *sub = strcmp(name, "alice") == 0 ? "sender" : "receiver";
			snprintf(out, cap, "%s/%s", self, name);
			if (executable(out))
				return true;
			snprintf(out, cap, "%s/../%s/%s", self, sub, name);
			if (executable(out))
				return true;
		}
	}
	const char *path = getenv("PATH");
	if (!path)
		return false;
	char *copy = strdup(path), *save = NULL;
	bool found = false;
	for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, cap, "%s/%s", dir, name);
		found = executable(out);
	}
	free(copy);
	return found;
}

pid_t spawn_daemon(char *const argv[], const char *log_path)
{
	int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		/* a daemon does not outlive the run that started it, however the
		 * run ends (kill -9 included): it is told to stop (Linux) */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		/* its own process group: a Ctrl-C at the terminal reaches the run
		 * only, which then collects the daemon's view and stops it */
		setpgid(0, 0);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	return pid;
}

json_t *wait_ready(const char *path, pid_t pid, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = mono_now_ms() + timeout_ms;
	for (;;) {
		json_t *j = json_load_file(path, 0, NULL);
		if (j)
			return j;
		if (vcoord_interrupted()) {
			snprintf(err, errlen, "was not ready: the run was interrupted");
			return NULL;
		}
		int status;
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			if (WIFEXITED(status))
				snprintf(err, errlen, "exited with status %d before it was ready",
					 WEXITSTATUS(status));
			else
				snprintf(err, errlen, "died (signal %d) before it was ready",
					 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
			return NULL;
		}
		if (mono_now_ms() > deadline) {
			snprintf(err, errlen, "not ready within %d ms", timeout_ms);
			return NULL;
		}
		/* the daemon writes the file once, atomically; poll briefly */
		struct timespec ts = { 0, 2 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static bool reaped_within(pid_t pid, int ms, int *status)
{
	long long deadline = mono_now_ms() + ms;
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return true;
		if (w < 0 || mono_now_ms() >= deadline)
			return false;
		struct timespec ts = { 0, 2 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int stop_daemon(pid_t pid, int timeout_ms)
{
	int status;
	if (pid <= 0)
		return -1;
	/* it may be on its way out already (asked to stop over its socket) */
	if (reaped_within(pid, timeout_ms, &status))
		return status;
	kill(pid, SIGTERM);
	if (reaped_within(pid, timeout_ms, &status))
		return status;
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) == pid)
		return status;
	return -1;
}

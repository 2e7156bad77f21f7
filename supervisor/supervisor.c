/*
 * aoede: options → resources → spawn → loop.
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "control.h"
#include "log.h"
#include "sandbox.h"
#include "supervisor.h"

void
sup_notify(struct sup *s, const char *state)
{
	(void)s;
	/* a no-op without NOTIFY_SOCKET; only the supervisor talks to systemd */
	sd_notify(0, state);
}

/* The children's programs: next to our own executable (a build tree), else
 * in LIBEXECDIR (an installed tree). */
static void
sup_find_libexec(struct sup *s)
{
	char		 self[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t		 n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(s->libexec, sizeof(s->libexec), "%s", dirname(self));
		snprintf(probe, sizeof(probe), "%s/aoede-netd", s->libexec);
		if (access(probe, X_OK) == 0) {
			snprintf(probe, sizeof(probe), "%s/aoede-blockd", s->libexec);
			if (access(probe, X_OK) == 0)
				return;
		}
	}
	snprintf(s->libexec, sizeof(s->libexec), "%s", LIBEXECDIR);
	snprintf(probe, sizeof(probe), "%s/aoede-netd", s->libexec);
	if (access(probe, X_OK) == -1)
		fatal("cannot find aoede-netd next to aoede or in %s", LIBEXECDIR);
}

static void
sup_on_sigchld(evutil_socket_t sig, short ev, void *arg)
{
	sup_reap(arg);
}

static void
sup_on_sigterm(evutil_socket_t sig, short ev, void *arg)
{
	struct sup	*s = arg;
	struct timeval	 tv = { SUP_STOP_TIMEOUT_SEC, 0 };

	if (s->stopping)
		return;
	evtimer_add(s->ev_deadline, &tv);
	sup_stop(s);
}

/* Start-up took too long, or a stop did: kill what is left and fail. */
static void
sup_on_deadline(evutil_socket_t fd, short ev, void *arg)
{
	struct sup	*s = arg;
	unsigned	 i;

	for (i = 0; i < s->nnics; i++)
		if (s->nics[i].netd.pid > 0)
			kill(s->nics[i].netd.pid, SIGKILL);
	if (s->blockd.pid > 0)
		kill(s->blockd.pid, SIGKILL);
	fatalx("%s timed out", s->stopping ? "stopping" : "starting");
}

static void
sup_events(struct sup *s)
{
	struct timeval	 tv = { SUP_START_TIMEOUT_SEC, 0 };

	if ((s->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	s->ev_sigchld = evsignal_new(s->base, SIGCHLD, sup_on_sigchld, s);
	s->ev_sigterm = evsignal_new(s->base, SIGTERM, sup_on_sigterm, s);
	s->ev_sigint = evsignal_new(s->base, SIGINT, sup_on_sigterm, s);
	s->ev_deadline = evtimer_new(s->base, sup_on_deadline, s);
	if (!s->ev_sigchld || !s->ev_sigterm || !s->ev_sigint || !s->ev_deadline)
		fatalx("event_new");
	event_add(s->ev_sigchld, NULL);
	event_add(s->ev_sigterm, NULL);
	event_add(s->ev_sigint, NULL);
	evtimer_add(s->ev_deadline, &tv);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
}

static void
sup_spawn_all(struct sup *s)
{
	unsigned	 i;

	child_init(s, &s->blockd, ROLE_BLOCKD, 0);
	for (i = 0; i < s->nnics; i++)
		child_init(s, &s->nics[i].netd, ROLE_NETD, i);
	child_spawn(&s->blockd);
	for (i = 0; i < s->nnics; i++)
		child_spawn(&s->nics[i].netd);
}

int
supervisor_main(int argc, char *argv[])
{
	static struct sup	 sup;
	struct sup		*s = &sup;

	log_init("aoede", 0);
	s->root = SANDBOX_DEFAULT_ROOT;
	s->state_fd = -1;
	sup_parse_args(s, argc, argv);
	log_init("aoede", s->verbose);
	if (geteuid() != 0)
		fatalx("must be started as root (it drops privileges for its children)");
	umask(022);
	sup_find_libexec(s);
	sup_open_resources(s);
	sup_events(s);
	control_init(s);
	sup_spawn_all(s);
	event_base_dispatch(s->base);
	fatalx("exited event loop");
}

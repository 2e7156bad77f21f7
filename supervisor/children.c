/*
 * The children: spawning them with their fds in place, the ring wiring
 * between netds and blockd, restarts with a crash-loop throttle, and the
 * orderly stop.
 *
 * Ring wiring.  A ring is served only while both of its ends are up and
 * have agreed to start from an empty ring:
 *   - a netd starts with all buffers and an empty ring, paused;
 *   - blockd starts with every NIC detached;
 *   - when both are ready: nic-attach to blockd, peer-up to netd;
 *   - a netd dies: nic-detach to blockd; once it answers nic-detached the
 *     netd is restarted (and resets the ring);
 *   - blockd dies: peer-down to every netd, which resets its ring and takes
 *     back every buffer; once all answered, blockd is restarted.
 * Requests caught in the middle are lost and retransmitted by the initiator;
 * an acknowledged write is never lost, because blockd only acknowledges a
 * write after it reached the kernel (or stable storage).
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "ctlproto.h"
#include "fds.h"
#include "log.h"
#include "msg.h"
#include "supervisor.h"
#include "util.h"

#define CHILD_MAX_ARGS		(16 + 2 * SUP_MAX_EXPORTS + 2 * SUP_MAX_NICS)
#define CHILD_MAX_FDS		(4 + 2 * SUP_MAX_EXPORTS + 3 * SUP_MAX_NICS)
#define CHILD_QUICK_DEATH_NS	(10ull * 1000000000)	/* died sooner: a crash loop */
#define CHILD_MAX_DELAY_MS	30000

static void	child_on_chan(evutil_socket_t, short, void *);
static void	child_on_restart(evutil_socket_t, short, void *);
static void	sup_try_attach(struct sup *, unsigned);
static void	sup_maybe_restart_blockd(struct sup *);
static void	child_handle_ready_or_wiring(struct child *, struct msg_in *);
static void	sup_netd_restart_or_retire(struct sup *, struct sup_nic *);

void
child_init(struct sup *s, struct child *c, enum child_role role, unsigned nic)
{
	memset(c, 0, sizeof(*c));
	c->sup = s;
	c->role = role;
	c->nic = nic;
	c->chan = -1;
	if (role == ROLE_NETD)
		snprintf(c->name, sizeof(c->name), "netd[%s]", s->nics[nic].name);
	else
		snprintf(c->name, sizeof(c->name), "blockd");
	c->ev_restart = evtimer_new(s->base, child_on_restart, c);
	if (c->ev_restart == NULL)
		fatalx("evtimer_new");
}

/* --- argv and fds of each role ----------------------------------------- */

struct child_args {
	char	*argv[CHILD_MAX_ARGS];	/* allocated; args_free() */
	int	 argc;
	int	 fds[CHILD_MAX_FDS];	/* fds[i] goes to fd 3 + i */
	int	 nfds;
};

static void
args_add(struct child_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
args_add(struct child_args *a, const char *fmt, ...)
{
	va_list	 ap;

	if (a->argc == CHILD_MAX_ARGS - 1)
		fatalx("child command line too long");
	va_start(ap, fmt);
	if (vasprintf(&a->argv[a->argc], fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	a->argv[++a->argc] = NULL;
}

static void
args_free(struct child_args *a)
{
	int	 i;

	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	a->argc = 0;
}

static void
netd_args(struct sup *s, unsigned n, int chan, struct child_args *a)
{
	struct sup_nic	*nic = &s->nics[n];
	char		 list[16 * SUP_MAX_EXPORTS] = "";	/* "65534.254," each */
	size_t		 off = 0;
	unsigned	 i;

	args_add(a, "%s/aoede-netd", s->libexec);
	args_add(a, "-n");
	args_add(a, "%s", nic->name);
	args_add(a, "-i");
	args_add(a, "%u", n);
	args_add(a, "-N");
	args_add(a, "%u", nic->nbufs);
	args_add(a, "-B");
	args_add(a, "%u", nic->buf_size);
	args_add(a, "-u");
	args_add(a, "%u:%u", (unsigned)s->netd_uid, (unsigned)s->netd_gid);
	args_add(a, "-C");
	args_add(a, "%s", s->root);
	for (i = 0; i < s->nexports && off < sizeof(list) - 16; i++)
		if (s->exports[i].nic_mask & ((uint64_t)1 << n))
			off += snprintf(list + off, sizeof(list) - off, "%s%u.%u",
			    off ? "," : "", s->exports[i].shelf, s->exports[i].slot);
	args_add(a, "-e");
	args_add(a, "%s", list);
	args_add(a, "-P");
	args_add(a, "%u", s->busy_poll_us);
	for (i = 0; i < (unsigned)s->verbose; i++)
		args_add(a, "-v");
	a->fds[a->nfds++] = chan;
	a->fds[a->nfds++] = nic->sock;
	a->fds[a->nfds++] = nic->ring;
	a->fds[a->nfds++] = nic->rx_bell;
	a->fds[a->nfds++] = nic->tx_bell;
	a->fds[a->nfds++] = nic->txsock;
}

/* blockd's description of an export (its -x, reload's export-add) */
void
sup_blockd_export_spec(const struct sup_export *x, int shadow_fdno, char *spec,
    size_t size)
{
	char		 mac[MAC_STRLEN];
	size_t		 off;
	unsigned	 i;

	/* AOEDE_NO_URING in the supervisor's environment: blockd uses its
	 * synchronous I/O path (children get an empty environment) */
	off = snprintf(spec, size,
	    "shelf=%u,slot=%u,sectors=%ju,offset=%ju,nics=%ju,bufcnt=%u%s%s%s%s%s%s%s",
	    x->shelf, x->slot, (uintmax_t)x->sectors, (uintmax_t)x->offset * 512,
	    (uintmax_t)x->nic_mask, x->bufcnt,
	    (x->flags & SUP_EXPORT_RDONLY) ? ",ro" : "",
	    (x->flags & SUP_EXPORT_DIRECT) ? ",direct" : "",
	    (x->flags & SUP_EXPORT_KERNEL) ? ",kernel" : "",
	    (x->flags & SUP_EXPORT_NO_MASK_EDIT) ? ",nomaskedit" : "",
	    (x->flags & SUP_EXPORT_NO_FORCE_RESERVE) ? ",noforcereserve" : "",
	    (x->flags & SUP_EXPORT_NO_FORCE_CONFIG) ? ",noforceconfig" : "",
	    getenv("AOEDE_NO_URING") != NULL ? ",nouring" : "");
	if (x->cache_bytes != 0)
		off += snprintf(spec + off, size - off, ",cache=%ju",
		    (uintmax_t)x->cache_bytes);
	for (i = 0; i < x->nmasks; i++)
		off += snprintf(spec + off, size - off, "%s%s",
		    i ? "+" : ",masks=", mac_format(x->masks[i], mac));
	if (shadow_fdno >= 0)
		off += snprintf(spec + off, size - off, ",shadowfd=%d",
		    shadow_fdno);
	if (off >= size)
		fatalx("export e%u.%u: blockd's argument is too long", x->shelf, x->slot);
}

static void
blockd_export_arg(const struct sup_export *x, int shadow_fdno,
    struct child_args *a)
{
	char		 spec[SUP_EXPORT_SPEC_MAX];

	sup_blockd_export_spec(x, shadow_fdno, spec, sizeof(spec));
	args_add(a, "-x");
	args_add(a, "%s", spec);
}

static void
blockd_args(struct sup *s, int chan, struct child_args *a)
{
	unsigned	 i, nshadow;

	args_add(a, "%s/aoede-blockd", s->libexec);
	args_add(a, "-u");
	args_add(a, "%u:%u", (unsigned)s->blockd_uid, (unsigned)s->blockd_gid);
	args_add(a, "-C");
	args_add(a, "%s", s->root);
	for (i = 0; i < (unsigned)s->verbose; i++)
		args_add(a, "-v");
	if (s->state_fd >= 0)
		args_add(a, "-s");
	args_add(a, "-P");
	args_add(a, "%u", s->busy_poll_us);
	for (i = 0; i < s->nnics; i++) {
		args_add(a, "-R");
		args_add(a, "%u:%u", s->nics[i].nbufs, s->nics[i].buf_size);
	}
	/* the shadow directories follow every other fd (fds.h): each
	 * export's number is in its spec */
	nshadow = 0;
	for (i = 0; i < s->nexports; i++)
		blockd_export_arg(&s->exports[i], s->exports[i].shadow_fd < 0 ? -1 :
		    (int)(BLOCKD_FD_LAST(s->nexports, s->nnics) +
		    (s->state_fd >= 0 ? 1 : 0) + nshadow++), a);
	a->fds[a->nfds++] = chan;
	for (i = 0; i < s->nexports; i++)
		a->fds[a->nfds++] = s->exports[i].fd;
	for (i = 0; i < s->nnics; i++) {
		a->fds[a->nfds++] = s->nics[i].ring;
		a->fds[a->nfds++] = s->nics[i].rx_bell;
		a->fds[a->nfds++] = s->nics[i].tx_bell;
	}
	if (s->state_fd >= 0)	/* BLOCKD_FD_STATE_DIR */
		a->fds[a->nfds++] = s->state_fd;
	for (i = 0; i < s->nexports; i++)
		if (s->exports[i].shadow_fd >= 0)
			a->fds[a->nfds++] = s->exports[i].shadow_fd;
}

/* --- fork + exec -------------------------------------------------------- */

/* In the child: put fds[i] at 3 + i, close everything else, exec. */
static __attribute__((noreturn)) void
child_exec(struct child_args *a, pid_t parent)
{
	static char	*envp[] = { NULL };
	sigset_t	 all;
	int		 i, tmp[CHILD_MAX_FDS];

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* two steps, so a source fd is never overwritten before it moved */
	for (i = 0; i < a->nfds; i++)
		if ((tmp[i] = fcntl(a->fds[i], F_DUPFD, 3 + CHILD_MAX_FDS)) == -1)
			_exit(126);
	for (i = 0; i < a->nfds; i++)
		if (dup2(tmp[i], 3 + i) == -1)
			_exit(126);
	close_range(3 + a->nfds, ~0U, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 || getppid() != parent)
		_exit(126);
	execve(a->argv[0], a->argv, envp);
	_exit(127);
}

void
child_spawn(struct child *c)
{
	struct sup		*s = c->sup;
	static struct child_args a;
	int			 sv[2];
	pid_t			 parent = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	memset(&a, 0, sizeof(a));
	if (c->role == ROLE_NETD) {
		netd_args(s, c->nic, sv[1], &a);
		s->nics[c->nic].netd_seq = s->nics[c->nic].sock_seq;
	} else
		blockd_args(s, sv[1], &a);
	switch (c->pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		child_exec(&a, parent);
	}
	args_free(&a);
	close(sv[1]);
	c->chan = sv[0];
	if (fcntl(c->chan, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	c->state = CHILD_STARTING;
	c->started_ns = now_ns();
	c->ev_chan = event_new(s->base, c->chan, EV_READ | EV_PERSIST, child_on_chan, c);
	if (c->ev_chan == NULL)
		fatalx("event_new");
	event_add(c->ev_chan, NULL);
	log_debug("started %s, pid %ld", c->name, (long)c->pid);
	/* its predecessor died before it answered a reload's sync: this one
	 * has the whole configuration, and answers once it serves it */
	if (c->role == ROLE_BLOCKD && s->blockd_settling)
		sup_blockd_sync(s);
}

static int
child_send(struct child *c, const char *type, int nic)
{
	int	 rc;

	if (c->state == CHILD_DOWN)
		return -1;
	rc = nic < 0 ? msg_send_simple(c->chan, type) :
	    msg_send_u64(c->chan, type, "nic", nic);
	if (rc == -1)
		log_warn("sending %s to %s", type, c->name);
	return rc;
}

static void
child_schedule_restart(struct child *c)
{
	uint64_t	 ran = now_ns() - c->started_ns;
	unsigned	 delay_ms = 0;
	struct timeval	 tv;

	if (c->sup->stopping)
		return;
	if (ran < CHILD_QUICK_DEATH_NS) {
		c->quick_deaths++;
		delay_ms = 100u << (c->quick_deaths < 9 ? c->quick_deaths - 1 : 8);
		if (delay_ms > CHILD_MAX_DELAY_MS)
			delay_ms = CHILD_MAX_DELAY_MS;
	} else
		c->quick_deaths = 0;
	if (delay_ms >= 1000)
		log_warnx("%s keeps dying; next restart in %u ms", c->name, delay_ms);
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	evtimer_add(c->ev_restart, &tv);
}

static void
child_on_restart(evutil_socket_t fd, short ev, void *arg)
{
	struct child	*c = arg;

	if (c->sup->stopping || c->state != CHILD_DOWN ||
	    (c->role == ROLE_NETD && !sup_nic_live(c->sup, c->nic)))
		return;
	if (c->role == ROLE_NETD && sup_reopen_nic(c->sup, c->nic) == -1) {
		/* the NIC is gone for now: try again later, ever more slowly */
		c->started_ns = now_ns();
		child_schedule_restart(c);
		return;
	}
	c->restarts++;
	log_info("restarting %s (restart %u)", c->name, c->restarts);
	child_spawn(c);
}

/* --- what the children say ------------------------------------------- */

static void
sup_check_ready(struct sup *s)
{
	unsigned	 i;

	if (s->announced_ready || s->stopping)
		return;
	for (i = 0; i < s->nnics; i++)
		if (sup_nic_live(s, i) && !s->nics[i].running)
			return;
	s->announced_ready = true;
	if (s->ev_deadline != NULL)
		evtimer_del(s->ev_deadline);
	log_info("serving %u export%s on %u interface%s", s->nexports,
	    s->nexports == 1 ? "" : "s", s->nnics, s->nnics == 1 ? "" : "s");
	sup_notify(s, "READY=1\nSTATUS=serving");
}

/* A reload is in effect on NIC n once its netd runs and reads only the
 * latest socket (a netd started since was given that one). */
static void
sup_netd_settles(struct sup *s, unsigned n)
{
	if (s->nics[n].running && s->nics[n].netd_seq == s->nics[n].sock_seq)
		sup_nic_settled(s, n);
}

static void
sup_try_attach(struct sup *s, unsigned n)
{
	struct sup_nic	*nic = &s->nics[n];

	if (s->stopping || s->blockd.state != CHILD_READY ||
	    nic->netd.state != CHILD_READY || nic->attached ||
	    nic->detach_pending || nic->pause_pending)
		return;
	/* a failed send means that child is dying: its death handler sees
	 * exactly which half of the wiring was done */
	if (child_send(&s->blockd, MSG_NIC_ATTACH, n) == -1)
		return;
	nic->attached = true;
	if (child_send(&nic->netd, MSG_PEER_UP, -1) == -1)
		return;
	nic->running = true;
	sup_netd_settles(s, n);
	sup_check_ready(s);
}

static struct sup_nic *
sup_msg_nic(struct sup *s, struct child *c, struct msg_in *m)
{
	uint64_t	 n;

	if (msg_get_u64(m, "nic", &n) == -1 || msg_end(m) == -1 || n >= s->nnics) {
		log_warnx("%s sent a malformed %s; killing it", c->name, m->type);
		kill(c->pid, SIGKILL);
		return NULL;
	}
	return &s->nics[n];
}

/* Statistics, which also prove the child's loop is alive. */
static int
child_handle_stats(struct child *c, struct msg_in *m)
{
	struct sup		*s = c->sup;
	struct export_stats_msg	 x;
	unsigned		 i;

	if (c->role == ROLE_NETD && msg_is(m, MSG_NETD_STATS)) {
		if (stats_netd_decode(m, &s->nics[c->nic].stats) == -1)
			return -1;
	} else if (c->role == ROLE_BLOCKD && msg_is(m, MSG_BLOCKD_STATS)) {
		if (stats_blockd_decode(m, &s->blockd_stats) == -1)
			return -1;
	} else if (c->role == ROLE_BLOCKD && msg_is(m, MSG_EXPORT_STATS)) {
		if (stats_export_decode(m, &x) == -1)
			return -1;
		/* by the export's name: one a reload just removed may still
		 * report once, and is ignored */
		for (i = 0; i < s->nexports; i++) {
			char	 name[16];

			snprintf(name, sizeof(name), "e%u.%u", s->exports[i].shelf,
			    s->exports[i].slot);
			if (strcmp(name, x.export) == 0) {
				s->export_stats[i] = x;
				break;
			}
		}
	} else
		return 0;
	c->heartbeat_ns = now_ns();
	return 1;
}

/* blockd's answer to a deferred control request (freeze, unfreeze). */
static int
child_handle_reply(struct child *c, struct msg_in *m)
{
	char		 text[512];
	uint64_t	 token;
	bool		 ok;

	if (msg_get_u64(m, "token", &token) == -1 ||
	    msg_get_bool(m, "ok", &ok) == -1 ||
	    msg_get_str(m, "text", text, sizeof(text)) == -1 || msg_end(m) == -1)
		return -1;
	control_answer_text(c->sup->control, token, ok, text);
	return 1;
}

/* blockd's answer to aoectl state / state-clear. */
static int
child_handle_state(struct child *c, struct msg_in *m)
{
	static char	 error[256], config[2 * 1024 + 1];
	static char	 masks[64 * 18], reserve[256 * 18 + 1];
	uint64_t	 token;

	if (msg_get_u64(m, "token", &token) == -1 ||
	    msg_get_str(m, "error", error, sizeof(error)) == -1 ||
	    msg_get_str(m, "config", config, sizeof(config)) == -1 ||
	    msg_get_str(m, "masks", masks, sizeof(masks)) == -1 ||
	    msg_get_str(m, "reserve", reserve, sizeof(reserve)) == -1 ||
	    msg_end(m) == -1)
		return -1;
	control_answer_state(c->sup->control, token, error, config, masks, reserve);
	return 1;
}

static void
child_handle_msg(struct child *c, struct msg_in *m)
{
	int	 rc;

	if (c->role == ROLE_BLOCKD && msg_is(m, MSG_REPLY))
		rc = child_handle_reply(c, m);
	else if (c->role == ROLE_BLOCKD && msg_is(m, MSG_STATE))
		rc = child_handle_state(c, m);
	else
		rc = child_handle_stats(c, m);
	if (rc != 0) {
		if (rc == -1) {
			log_warnx("%s sent a malformed %s; killing it", c->name, m->type);
			kill(c->pid, SIGKILL);
		}
		return;
	}
	child_handle_ready_or_wiring(c, m);
}

/* The "seq" of an answer to a reload (at most the latest one sent, max);
 * -1 if malformed, and the child is killed. */
static int
child_msg_seq(struct child *c, struct msg_in *m, uint64_t max, uint64_t *seq)
{
	if (msg_get_u64(m, "seq", seq) == -1 || msg_end(m) == -1 || *seq > max) {
		log_warnx("%s sent a malformed %s; killing it", c->name, m->type);
		kill(c->pid, SIGKILL);
		return -1;
	}
	return 0;
}

static void
child_handle_ready_or_wiring(struct child *c, struct msg_in *m)
{
	struct sup	*s = c->sup;
	struct sup_nic	*nic;
	uint64_t	 seq;
	unsigned	 i;

	if (msg_is(m, MSG_READY) && c->state == CHILD_STARTING && msg_end(m) == 0) {
		c->state = CHILD_READY;
		c->ever_ready = true;
		log_debug("%s is ready", c->name);
		for (i = 0; i < s->nnics; i++)
			if (c->role == ROLE_BLOCKD || c->nic == i)
				sup_try_attach(s, i);
	} else if (c->role == ROLE_NETD && msg_is(m, MSG_PEER_DOWN_ACK) && msg_end(m) == 0) {
		s->nics[c->nic].pause_pending = false;
		sup_maybe_restart_blockd(s);
		sup_try_attach(s, c->nic);
	} else if (c->role == ROLE_NETD && msg_is(m, MSG_NIC_SOCKET_DONE)) {
		/* netd reads only socket number seq now */
		nic = &s->nics[c->nic];
		if (child_msg_seq(c, m, nic->sock_seq, &seq) == 0) {
			nic->netd_seq = seq;
			sup_netd_settles(s, c->nic);
		}
	} else if (c->role == ROLE_BLOCKD && msg_is(m, MSG_SYNCED)) {
		if (child_msg_seq(c, m, s->blockd_sync_seq, &seq) == 0 &&
		    seq == s->blockd_sync_seq)
			sup_blockd_settled(s);
	} else if (c->role == ROLE_BLOCKD && msg_is(m, MSG_NIC_DETACHED)) {
		if ((nic = sup_msg_nic(s, c, m)) == NULL)
			return;
		nic->detach_pending = false;
		nic->attached = false;
		if (nic->netd.state == CHILD_DOWN)
			sup_netd_restart_or_retire(s, nic);
	} else if (c->role == ROLE_BLOCKD && msg_is(m, MSG_NIC_FAULT)) {
		if ((nic = sup_msg_nic(s, c, m)) == NULL)
			return;
		log_warnx("blockd reports that %s broke the ring protocol; killing it",
		    nic->netd.name);
		if (nic->netd.state != CHILD_DOWN)
			kill(nic->netd.pid, SIGKILL);
	} else {
		/* a child that says something out of turn is broken: restart it */
		log_warnx("%s sent an unexpected %s; killing it", c->name, m->type);
		kill(c->pid, SIGKILL);
	}
}

static void
child_on_chan(evutil_socket_t fd, short ev, void *arg)
{
	struct child	*c = arg;
	struct msg_in	 m;
	const char	*why = "";
	int		 rc;

	rc = msg_recv(c->chan, &m, &why);
	if (rc == 1)
		child_handle_msg(c, &m);
	else if (rc == -1 && errno == EBADMSG) {
		log_warnx("%s sent a malformed message (%s); killing it", c->name, why);
		kill(c->pid, SIGKILL);
	} else if (rc == 0 || (errno != EAGAIN && errno != EINTR))
		event_del(c->ev_chan);	/* closed: the reaper will see the exit */
	msg_free(&m);
}

/* --- deaths --------------------------------------------------------------- */

static void
child_log_death(struct child *c, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && (c->sup->stopping ||
	    (c->role == ROLE_NETD && c->sup->nics[c->nic].removing)))
		log_debug("%s exited", c->name);
	else if (WIFEXITED(status))
		log_warnx("%s (pid %ld) exited with status %d", c->name, (long)c->pid,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warnx("%s (pid %ld) was killed by signal %d (%s)", c->name,
		    (long)c->pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
}

/* A netd that is down and let go of: restarted, unless a reload removed its
 * NIC (reload.c). */
static void
sup_netd_restart_or_retire(struct sup *s, struct sup_nic *nic)
{
	if (nic->removing)
		sup_nic_retire(s, nic - s->nics);
	else
		child_schedule_restart(&nic->netd);
}

static void
sup_maybe_restart_blockd(struct sup *s)
{
	unsigned	 i;

	if (s->blockd.state != CHILD_DOWN || evtimer_pending(s->blockd.ev_restart, NULL))
		return;
	for (i = 0; i < s->nnics; i++)
		if (s->nics[i].pause_pending)
			return;
	child_schedule_restart(&s->blockd);
}

static void
sup_netd_died(struct sup *s, struct sup_nic *nic)
{
	nic->running = false;
	if (nic->pause_pending) {
		nic->pause_pending = false;
		sup_maybe_restart_blockd(s);
	}
	if (nic->attached && s->blockd.state == CHILD_READY) {
		if (!nic->detach_pending &&
		    child_send(&s->blockd, MSG_NIC_DETACH, nic - s->nics) == 0)
			nic->detach_pending = true;
		return;		/* restarted when blockd answers nic-detached */
	}
	nic->attached = false;
	sup_netd_restart_or_retire(s, nic);
}

static void
sup_blockd_died(struct sup *s)
{
	unsigned	 i;

	for (i = 0; i < s->nnics; i++) {
		struct sup_nic *nic = &s->nics[i];

		nic->attached = false;
		if (nic->detach_pending) {
			nic->detach_pending = false;
			if (nic->netd.state == CHILD_DOWN)
				sup_netd_restart_or_retire(s, nic);
		}
		if (nic->netd.state != CHILD_DOWN && (nic->running || nic->netd.state == CHILD_READY)) {
			nic->running = false;
			if (child_send(&nic->netd, MSG_PEER_DOWN, -1) == 0)
				nic->pause_pending = true;
		}
	}
	sup_maybe_restart_blockd(s);
}

static void
child_died(struct sup *s, struct child *c, int status)
{
	child_log_death(c, status);
	if (c->ev_chan != NULL) {
		event_free(c->ev_chan);
		c->ev_chan = NULL;
	}
	close(c->chan);
	c->chan = -1;
	c->state = CHILD_DOWN;
	c->pid = 0;
	if (s->stopping) {
		sup_stop(s);
		return;
	}
	if (!c->ever_ready && !(c->role == ROLE_NETD && s->nics[c->nic].removing))
		fatalx("%s failed to start", c->name);
	if (c->role == ROLE_NETD)
		sup_netd_died(s, &s->nics[c->nic]);
	else {
		control_fail_pending(s->control, "blockd exited before it "
		    "answered; it is being restarted: see aoectl stats and the "
		    "log for the export's state");
		/* its counters and freeze states died with it: "unknown"
		 * until the next blockd reports */
		memset(s->export_stats, 0, sizeof(s->export_stats));
		sup_blockd_died(s);
	}
}

static struct child *
sup_child_by_pid(struct sup *s, pid_t pid)
{
	unsigned	 i;

	if (s->blockd.pid == pid)
		return &s->blockd;
	for (i = 0; i < s->nnics; i++)
		if (s->nics[i].netd.pid == pid)
			return &s->nics[i].netd;
	return NULL;
}

void
sup_reap(struct sup *s)
{
	struct child	*c;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((c = sup_child_by_pid(s, pid)) != NULL)
			child_died(s, c, status);
	}
}

/* --- stopping --------------------------------------------------------------- */

/*
 * Stop in order: the netds first (each stops reading, waits for blockd to
 * answer what it already handed over, sends it, exits), then blockd (which
 * flushes every image), then ourselves.  Called again on each death.
 */
void
sup_stop(struct sup *s)
{
	unsigned	 i;
	bool		 netds_alive = false;

	if (!s->stopping) {
		s->stopping = true;
		sup_notify(s, "STOPPING=1\nSTATUS=stopping");
		log_info("stopping");
		for (i = 0; i < s->nnics; i++)
			evtimer_del(s->nics[i].netd.ev_restart);
		evtimer_del(s->blockd.ev_restart);
		for (i = 0; i < s->nnics; i++)
			child_send(&s->nics[i].netd, MSG_STOP, -1);
	}
	for (i = 0; i < s->nnics; i++)
		if (s->nics[i].netd.state != CHILD_DOWN)
			netds_alive = true;
	if (netds_alive)
		return;
	if (s->blockd.state != CHILD_DOWN) {
		child_send(&s->blockd, MSG_STOP, -1);
		return;
	}
	log_info("stopped");
	exit(0);
}

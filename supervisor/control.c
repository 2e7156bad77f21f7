/*
 * The control plane of the supervisor.
 *
 * The control socket: a Unix stream socket, ours or systemd's.  A peer's
 * credentials (SO_PEERCRED, SO_PEERGROUPS) are read at accept, before any
 * of its bytes is parsed: a peer that may not even read is told so and
 * closed at once.  Each connection buffers at most one request
 * (CTL_REQ_MAX_BYTES); ctl_scan() frames and bounds it before msgpack-c
 * decodes it, and a framing error ends the connection (after an error
 * reply), since the stream cannot be resynchronised.  A connection that
 * completes no request for CONTROL_IDLE_SEC is closed, whatever it trickles;
 * beyond CONTROL_MAX_CONNS connections a newcomer is told "busy" and closed.
 *
 * systemd: STATUS= whenever the one-line summary changes, WATCHDOG=1 only
 * while every child has sent its stats recently, RELOADING=1 … READY=1
 * around a reload.  READY=1 and STOPPING=1 come from children.c.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include <systemd/sd-daemon.h>

#include "control.h"
#include "ctlproto.h"
#include "log.h"
#include "supervisor.h"
#include "util.h"

#define CONTROL_PEER_GROUPS	1024	/* supplementary groups we look at */
#define NS_PER_SEC		1000000000ull

struct control;
struct control_conn;

/*
 * A request whose answer comes from a child (blockd) later: its handler
 * called control_defer() and sent the token along.  The connection reads
 * nothing more until the answer is sent (replies stay in request order).
 */
struct control_pending {
	struct control		*ctl;
	uint64_t		 token;
	struct control_conn	*conn;		/* NULL: the client went away */
	struct ctl_request	 req;		/* for the log line */
	struct event		*ev_timeout;
	char			*reload_text;	/* a reload's reply, waiting until
						 * it is in effect (below) */
	TAILQ_ENTRY(control_pending) entry;
};

struct control_conn {
	struct control		*ctl;
	struct bufferevent	*bev;
	struct event		*ev_idle;
	struct control_pending	*pending;	/* its request waits for a child */
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;
	bool			 may_change;
	bool			 closing;	/* flushing a last reply */
	TAILQ_ENTRY(control_conn) entry;
};

struct control_counters {
	uint64_t	 accepted;
	uint64_t	 refused_busy;
	uint64_t	 refused_perm;
	uint64_t	 closed_bad;
	uint64_t	 closed_idle;
	uint64_t	 requests;
};

struct control {
	struct sup		*sup;
	struct evconnlistener	*listener;
	struct event		*ev_resume;	/* re-enable accept after EMFILE */
	char			 path[PATH_MAX];	/* ours to unlink; "" if systemd's */
	pid_t			 owner;
	gid_t			 read_gid;
	char			 read_group[64];
	bool			 have_operator;
	gid_t			 operator_gid;
	char			 operator_group[64];
	unsigned		 nconns;
	TAILQ_HEAD(, control_conn) conns;
	struct control_counters	 n;
	uint64_t		 started_ns;
	/* deferred replies */
	TAILQ_HEAD(, control_pending) pending;
	uint64_t		 next_token;
	struct control_conn	*handling;	/* the connection a handler serves */
	const struct ctl_request *handling_req;
	bool			 deferred;	/* the handler called control_defer() */
	/* systemd */
	struct event		*ev_status, *ev_watchdog, *ev_sighup;
	char			 status[256];
};

typedef void	control_cmd_fn(struct control *, const struct ctl_request *,
		    msgpack_packer *);

static control_cmd_fn	control_cmd_status, control_cmd_stats, control_cmd_freeze,
			control_cmd_reload, control_cmd_export_list, control_cmd_state;

/* The server side of each command of proto/ctlproto.c's ctl_cmds. */
static const struct control_handler {
	const char	*name;
	control_cmd_fn	*fn;
} control_handlers[] = {
	{ "status",	control_cmd_status },
	{ "stats",	control_cmd_stats },
	{ "freeze",	control_cmd_freeze },
	{ "unfreeze",	control_cmd_freeze },
	{ "reload",	control_cmd_reload },
	{ "export-list", control_cmd_export_list },
	{ "state",	control_cmd_state },
	{ "state-clear", control_cmd_state },
	{ "state-clear-config", control_cmd_state },
	{ "state-clear-masks", control_cmd_state },
	{ "state-clear-reserve", control_cmd_state },
};

static void	control_conn_free(struct control_conn *);

/* --- small helpers ----------------------------------------------------- */

static const struct control_handler *
control_handler(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(control_handlers) / sizeof(control_handlers[0]); i++)
		if (strcmp(control_handlers[i].name, name) == 0)
			return &control_handlers[i];
	return NULL;
}

static const char *
control_child_state(const struct child *c)
{
	switch (c->state) {
	case CHILD_READY:	return "ready";
	case CHILD_STARTING:	return "starting";
	default:		return "down";
	}
}

/* When the child last proved it is alive: its stats, or its start. */
static uint64_t
control_child_seen(const struct child *c)
{
	return c->heartbeat_ns > c->started_ns ? c->heartbeat_ns : c->started_ns;
}

static bool
control_child_alive(const struct child *c, uint64_t now)
{
	return c->state != CHILD_DOWN &&
	    now - control_child_seen(c) < CONTROL_HEARTBEAT_SEC * NS_PER_SEC;
}

/* NICs a reload has not removed */
static unsigned
control_live_nics(const struct sup *s)
{
	unsigned	 i, n = 0;

	for (i = 0; i < s->nnics; i++)
		n += sup_nic_live(s, i);
	return n;
}

static const struct export_stats_msg *
control_export_stats(const struct sup *s, const char *name)
{
	unsigned	 i;

	for (i = 0; i < s->nexports; i++)
		if (strcmp(s->export_stats[i].export, name) == 0)
			return &s->export_stats[i];
	return NULL;
}

static int
control_find_export(const struct sup *s, uint16_t shelf, uint8_t slot)
{
	unsigned	 i;

	for (i = 0; i < s->nexports; i++)
		if (s->exports[i].shelf == shelf && s->exports[i].slot == slot)
			return i;
	return -1;
}

/* --- status ------------------------------------------------------------- */

/* blockd/shadow.h's states as blockd last reported them */
static const char *
control_freeze_state(const struct export_stats_msg *st)
{
	if (st == NULL)
		return "unknown";
	switch (st->shadow_state) {
	case 0:		return "thawed";
	case 1:		return "frozen";
	case 2:		return "merging";
	default:	return "unknown";
	}
}

static void
control_pack_export(struct sup *s, unsigned i, msgpack_packer *pk)
{
	const struct sup_export	*x = &s->exports[i];
	const struct export_stats_msg *st;
	char			 name[CTL_EXPORT_STRLEN];
	unsigned		 n, nnics = 0;

	for (n = 0; n < s->nnics; n++)
		nnics += (x->nic_mask >> n) & 1;
	ctl_export_format(x->shelf, x->slot, name);
	st = control_export_stats(s, name);
	msgpack_pack_map(pk, 13);
	ctl_pack_kv_str(pk, "export", name);
	ctl_pack_kv_u64(pk, "shelf", x->shelf);
	ctl_pack_kv_u64(pk, "slot", x->slot);
	ctl_pack_kv_str(pk, "path", x->path);
	ctl_pack_kv_u64(pk, "size_bytes", x->sectors * 512);
	ctl_pack_kv_u64(pk, "sectors", x->sectors);
	ctl_pack_kv_u64(pk, "offset_sectors", x->offset);
	ctl_pack_key(pk, "nics");
	msgpack_pack_array(pk, nnics);
	for (n = 0; n < s->nnics; n++)
		if ((x->nic_mask >> n) & 1)
			ctl_pack_str(pk, s->nics[n].name);
	ctl_pack_kv_str(pk, "durability", (x->flags & SUP_EXPORT_KERNEL) ? "kernel" : "sync");
	ctl_pack_kv_bool(pk, "direct", x->flags & SUP_EXPORT_DIRECT);
	ctl_pack_kv_bool(pk, "read_only", x->flags & SUP_EXPORT_RDONLY);
	ctl_pack_kv_bool(pk, "frozen", st != NULL && st->shadow_state != 0);
	ctl_pack_kv_str(pk, "freeze", control_freeze_state(st));
}

static void
control_pack_process(const char *name, const char *role, const char *nic, pid_t pid,
    uid_t uid, const char *state, uint64_t uptime_ns, unsigned restarts,
    msgpack_packer *pk)
{
	msgpack_pack_map(pk, 8);
	ctl_pack_kv_str(pk, "name", name);
	ctl_pack_kv_str(pk, "role", role);
	ctl_pack_kv_str(pk, "nic", nic);
	ctl_pack_kv_u64(pk, "pid", pid > 0 ? (uint64_t)pid : 0);
	ctl_pack_kv_u64(pk, "uid", uid);
	ctl_pack_kv_str(pk, "state", state);
	ctl_pack_kv_u64(pk, "uptime_s", uptime_ns / NS_PER_SEC);
	ctl_pack_kv_u64(pk, "restarts", restarts);
}

static void
control_pack_child(const struct child *c, const char *nic, uid_t uid, uint64_t now,
    msgpack_packer *pk)
{
	control_pack_process(c->name, c->role == ROLE_NETD ? "netd" : "blockd", nic,
	    c->pid, uid, control_child_state(c),
	    c->state == CHILD_DOWN ? 0 : now - c->started_ns, c->restarts, pk);
}

static const char *
control_sup_state(const struct sup *s)
{
	if (s->stopping)
		return "stopping";
	return s->announced_ready ? "serving" : "starting";
}

static void
control_cmd_status(struct control *ctl, const struct ctl_request *req,
    msgpack_packer *pk)
{
	struct sup	*s = ctl->sup;
	uint64_t	 now = now_ns();
	char		 mac[MAC_STRLEN];
	unsigned	 i;

	ctl_reply_begin(pk, 7);
	ctl_pack_kv_u64(pk, "pid", getpid());
	ctl_pack_kv_u64(pk, "uptime_s", (now - ctl->started_ns) / NS_PER_SEC);
	ctl_pack_kv_str(pk, "state", control_sup_state(s));
	ctl_pack_kv_u64(pk, "busy_poll_us", s->busy_poll_us);
	ctl_pack_key(pk, "exports");
	msgpack_pack_array(pk, s->nexports);
	for (i = 0; i < s->nexports; i++)
		control_pack_export(s, i, pk);
	ctl_pack_key(pk, "processes");
	msgpack_pack_array(pk, 2 + control_live_nics(s));
	control_pack_process("supervisor", "supervisor", "", getpid(), geteuid(),
	    control_sup_state(s), now - ctl->started_ns, 0, pk);
	control_pack_child(&s->blockd, "", s->blockd_uid, now, pk);
	for (i = 0; i < s->nnics; i++)
		if (sup_nic_live(s, i))
			control_pack_child(&s->nics[i].netd, s->nics[i].name,
			    s->netd_uid, now, pk);
	ctl_pack_key(pk, "nics");
	msgpack_pack_array(pk, control_live_nics(s));
	for (i = 0; i < s->nnics; i++) {
		const struct sup_nic *nic = &s->nics[i];

		if (!sup_nic_live(s, i))
			continue;

		msgpack_pack_map(pk, 5);
		ctl_pack_kv_str(pk, "name", nic->name);
		ctl_pack_kv_u64(pk, "ifindex", nic->ifindex);
		/* netd reports the MTU it sees now; before its first report,
		 * what we saw at start */
		ctl_pack_kv_u64(pk, "mtu", nic->stats.mtu ? nic->stats.mtu : nic->mtu);
		ctl_pack_kv_str(pk, "mac", mac_format(nic->mac, mac));
		ctl_pack_kv_str(pk, "state", nic->running ? "serving" : "down");
	}
}

/* --- export list ------------------------------------------------------- */

/* The exports as configured now (after any reload): status's export part. */
static void
control_cmd_export_list(struct control *ctl, const struct ctl_request *req,
    msgpack_packer *pk)
{
	struct sup	*s = ctl->sup;
	unsigned	 i;

	ctl_reply_begin(pk, 1);
	ctl_pack_key(pk, "exports");
	msgpack_pack_array(pk, s->nexports);
	for (i = 0; i < s->nexports; i++)
		control_pack_export(s, i, pk);
}

/* --- the AoE state of an export (blockd owns it) --------------------------- */

/* A command blockd answers (deferred): its export must exist and blockd
 * must be up to hear it; false with the error reply packed otherwise. */
static bool
control_blockd_can_answer(const struct sup *s, const struct ctl_request *req,
    msgpack_packer *pk)
{
	const struct ctl_arg	*a = ctl_request_arg(req, "export");

	if (control_find_export(s, a->shelf, a->slot) == -1) {
		ctl_reply_error(pk, "unknown export %s", a->str);
		return false;
	}
	if (s->blockd.state != CHILD_READY) {
		ctl_reply_error(pk, "blockd is not running (restarting?): try %s "
		    "again in a moment", req->cmd->name);
		return false;
	}
	return true;
}

/*
 * state, state-clear[-PART]: blockd answers with `state` (children.c calls
 * control_answer_state), through the deferred replies below.
 */
static void
control_cmd_state(struct control *ctl, const struct ctl_request *req,
    msgpack_packer *pk)
{
	const struct ctl_arg	*a = ctl_request_arg(req, "export");
	const char		*name = req->cmd->name;
	bool			 clear = strncmp(name, "state-clear", 11) == 0;
	struct sup		*s = ctl->sup;
	struct msg_out		 m;
	uint64_t		 token;

	if (!control_blockd_can_answer(s, req, pk))
		return;
	token = control_defer(ctl);
	msg_begin(&m, clear ? MSG_STATE_CLEAR : MSG_STATE_GET, clear ? 3 : 2);
	msg_put_u64(&m, "token", token);
	msg_put_str(&m, "export", a->str);
	if (clear)
		msg_put_str(&m, "what", name[11] == '-' ? name + 12 : "all");
	if (msg_send(s->blockd.chan, &m) == -1)
		control_answer_text(ctl, token, false, "cannot reach blockd");
}

struct control_state {
	const char	*error, *config_hex, *masks, *reserve;
};

/* "a,b,c" as an array of strings */
static void
control_pack_list(msgpack_packer *pk, const char *list)
{
	const char	*p, *comma;
	unsigned	 n = 0;
	char		 item[64];

	for (p = list; *p != '\0'; p = *comma ? comma + 1 : comma, n++)
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
	msgpack_pack_array(pk, n);
	for (p = list; *p != '\0'; p = *comma ? comma + 1 : comma) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		snprintf(item, sizeof(item), "%.*s", (int)(comma - p), p);
		ctl_pack_str(pk, item);
	}
}

/* The config string for people: printable ASCII as is, the rest \xNN. */
static void
control_config_text(const char *hex, char *out, size_t size)
{
	size_t		 off = 0;
	unsigned	 byte;

	out[0] = '\0';
	for (; hex[0] != '\0' && hex[1] != '\0' && off + 5 < size; hex += 2) {
		if (sscanf(hex, "%2x", &byte) != 1)
			break;
		if (byte >= 0x20 && byte < 0x7f && byte != '\\')
			out[off++] = (char)byte;
		else
			off += snprintf(out + off, size - off, "\\x%02x", byte);
		out[off] = '\0';
	}
}

static void
control_pack_state(msgpack_packer *pk, void *arg)
{
	const struct control_state	*st = arg;
	static char			 text[4 * 1024 + 1];

	if (st->error[0] != '\0') {
		ctl_reply_error(pk, "%s", st->error);
		return;
	}
	control_config_text(st->config_hex, text, sizeof(text));
	ctl_reply_begin(pk, 5);
	ctl_pack_kv_str(pk, "config", text);
	ctl_pack_kv_str(pk, "config_hex", st->config_hex);
	ctl_pack_kv_u64(pk, "config_len", strlen(st->config_hex) / 2);
	ctl_pack_key(pk, "masks");
	control_pack_list(pk, st->masks);
	ctl_pack_key(pk, "reserve");
	control_pack_list(pk, st->reserve);
}

void
control_answer_state(struct control *ctl, uint64_t token, const char *error,
    const char *config_hex, const char *masks, const char *reserve)
{
	struct control_state	 st = { error, config_hex, masks, reserve };

	control_answer(ctl, token, control_pack_state, &st);
}

/* --- stats -------------------------------------------------------------- */

#define CONTROL_COUNT(name)	+ 1
#define CONTROL_PUT(name)	ctl_pack_kv_u64(pk, #name, st->name);

static void
control_pack_export_stats(const struct sup_export *x, const struct export_stats_msg *st,
    msgpack_packer *pk)
{
	static const struct export_stats_msg	 zero;
	char					 name[CTL_EXPORT_STRLEN];

	ctl_export_format(x->shelf, x->slot, name);
	if (st == NULL)
		st = &zero;		/* blockd has not reported yet */
	msgpack_pack_map(pk, 3 EXPORT_STAT_FIELDS(CONTROL_COUNT));
	ctl_pack_kv_str(pk, "export", name);
	EXPORT_STAT_FIELDS(CONTROL_PUT)
	/* freeze, for people: the state by name, the merge in percent */
	ctl_pack_kv_str(pk, "freeze", control_freeze_state(st == &zero ? NULL : st));
	ctl_pack_kv_u64(pk, "merge_percent", st->merge_total == 0 ? 0 :
	    st->merge_done * 100 / st->merge_total);
}

static void
control_pack_nic_stats(const struct sup_nic *nic, msgpack_packer *pk)
{
	const struct netd_stats_msg	*st = &nic->stats;
	char				 mac[MAC_STRLEN];

	msgpack_pack_map(pk, 2 NETD_STAT_FIELDS(CONTROL_COUNT));
	ctl_pack_kv_str(pk, "name", nic->name);
	NETD_STAT_FIELDS(CONTROL_PUT)
	ctl_pack_kv_str(pk, "mac", mac_format(nic->mac, mac));
}

/* A process's loop counters: iterations and the time it spent working. */
static void
control_pack_loop(const struct child *c, uint64_t loops, uint64_t busy_ns,
    uint64_t now, msgpack_packer *pk)
{
	msgpack_pack_map(pk, 6);
	ctl_pack_kv_str(pk, "name", c->name);
	ctl_pack_kv_u64(pk, "pid", c->pid > 0 ? (uint64_t)c->pid : 0);
	ctl_pack_kv_u64(pk, "loops", loops);
	ctl_pack_kv_u64(pk, "busy_ns", busy_ns);
	ctl_pack_kv_u64(pk, "uptime_ns", c->state == CHILD_DOWN ? 0 : now - c->started_ns);
	ctl_pack_kv_u64(pk, "stats_age_ms", c->heartbeat_ns == 0 ? 0 :
	    (now - c->heartbeat_ns) / 1000000);
}

static void
control_pack_control_stats(const struct control *ctl, msgpack_packer *pk)
{
	msgpack_pack_map(pk, 7);
	ctl_pack_kv_u64(pk, "connections", ctl->nconns);
	ctl_pack_kv_u64(pk, "accepted", ctl->n.accepted);
	ctl_pack_kv_u64(pk, "refused_busy", ctl->n.refused_busy);
	ctl_pack_kv_u64(pk, "refused_perm", ctl->n.refused_perm);
	ctl_pack_kv_u64(pk, "closed_bad", ctl->n.closed_bad);
	ctl_pack_kv_u64(pk, "closed_idle", ctl->n.closed_idle);
	ctl_pack_kv_u64(pk, "requests", ctl->n.requests);
}

static void
control_cmd_stats(struct control *ctl, const struct ctl_request *req,
    msgpack_packer *pk)
{
	struct sup		*s = ctl->sup;
	const struct ctl_arg	*a = ctl_request_arg(req, "export");
	char			 name[CTL_EXPORT_STRLEN];
	uint64_t		 now = now_ns();
	unsigned		 i;
	int			 x;

	if (a != NULL) {
		/* one export: its counters only */
		if ((x = control_find_export(s, a->shelf, a->slot)) == -1) {
			ctl_reply_error(pk, "unknown export %s", a->str);
			return;
		}
		ctl_reply_begin(pk, 1);
		ctl_pack_key(pk, "exports");
		msgpack_pack_array(pk, 1);
		control_pack_export_stats(&s->exports[x],
		    control_export_stats(s, a->str), pk);
		return;
	}
	ctl_reply_begin(pk, 4);
	ctl_pack_key(pk, "exports");
	msgpack_pack_array(pk, s->nexports);
	for (i = 0; i < s->nexports; i++) {
		ctl_export_format(s->exports[i].shelf, s->exports[i].slot, name);
		control_pack_export_stats(&s->exports[i], control_export_stats(s, name), pk);
	}
	ctl_pack_key(pk, "nics");
	msgpack_pack_array(pk, control_live_nics(s));
	for (i = 0; i < s->nnics; i++)
		if (sup_nic_live(s, i))
			control_pack_nic_stats(&s->nics[i], pk);
	ctl_pack_key(pk, "processes");
	msgpack_pack_array(pk, 1 + control_live_nics(s));
	control_pack_loop(&s->blockd, s->blockd_stats.loops, s->blockd_stats.busy_ns,
	    now, pk);
	for (i = 0; i < s->nnics; i++)
		if (sup_nic_live(s, i))
			control_pack_loop(&s->nics[i].netd, s->nics[i].stats.loops,
		    s->nics[i].stats.busy_ns, now, pk);
	ctl_pack_key(pk, "control");
	control_pack_control_stats(ctl, pk);
}

/* --- changing commands ------------------------------------------------------ */

static void
control_cmd_freeze(struct control *ctl, const struct ctl_request *req,
    msgpack_packer *pk)
{
	const struct ctl_arg	*a = ctl_request_arg(req, "export");
	struct sup		*s = ctl->sup;
	struct msg_out		 m;
	uint64_t		 token;

	if (!control_blockd_can_answer(s, req, pk))
		return;
	/* blockd drains, flushes and answers; the reply waits for it */
	token = control_defer(ctl);
	msg_begin(&m, strcmp(req->cmd->name, "freeze") == 0 ? MSG_FREEZE :
	    MSG_UNFREEZE, 2);
	msg_put_str(&m, "export", a->str);
	msg_put_u64(&m, "token", token);
	if (msg_send(s->blockd.chan, &m) == -1)
		control_answer_text(ctl, token, false, "cannot reach blockd");
}

int
control_reload(struct sup *s, char *err, size_t errsize)
{
	bool	 around = s->announced_ready && !s->stopping;
	int	 rc;

	/* systemd 252 has no Type=notify-reload: we say it ourselves, and
	 * READY=1 again once the reload is over, whatever its outcome */
	if (around)
		sup_notify(s, "RELOADING=1\nSTATUS=reloading");
	rc = sup_reload(s, err, errsize);
	if (rc == 0)
		log_info("reload: %s %s", s->config_file, err);	/* what changed */
	else
		log_warnx("reload refused, the running configuration keeps serving: %s", err);
	if (around) {
		s->control->status[0] = '\0';	/* the next tick says STATUS= again */
		sup_notify(s, "READY=1\nSTATUS=serving");
	}
	return rc;
}

/* --- connections ---------------------------------------------------------- */

static bool
control_in_group(gid_t want, gid_t gid, const gid_t *groups, unsigned ngroups)
{
	unsigned	 i;

	if (gid == want)
		return true;
	for (i = 0; i < ngroups; i++)
		if (groups[i] == want)
			return true;
	return false;
}

/* The peer's supplementary groups, as they were when it connected. */
static unsigned
control_peer_groups(int fd, gid_t *groups, unsigned max)
{
	socklen_t	 len = max * sizeof(gid_t);

	/* more than `max` groups (ERANGE): judged by its primary group and
	 * the first `max` only, which can only deny, never grant, too much */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1)
		return 0;
	return len / sizeof(gid_t);
}

/* Tell a peer why we will not serve it, without reading what it sent. */
static void
control_refuse(int fd, const char *text)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ctl_reply_error(&pk, "%s", text);
	(void)send(fd, sb.data, sb.size, MSG_DONTWAIT | MSG_NOSIGNAL);
	msgpack_sbuffer_destroy(&sb);
	close(fd);
}

static void
control_conn_free(struct control_conn *c)
{
	struct control	*ctl = c->ctl;

	TAILQ_REMOVE(&ctl->conns, c, entry);
	ctl->nconns--;
	if (c->pending != NULL)
		c->pending->conn = NULL;	/* the answer has nowhere to go */
	bufferevent_free(c->bev);
	event_free(c->ev_idle);
	free(c);
}

static void
control_arm_idle(struct control_conn *c)
{
	struct timeval	 tv = { CONTROL_IDLE_SEC, 0 };

	evtimer_add(c->ev_idle, &tv);
}

static void
control_on_drained(struct bufferevent *bev, void *arg)
{
	control_conn_free(arg);
}

/* Send what is queued, then close. */
static void
control_conn_close_soon(struct control_conn *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		control_conn_free(c);
		return;
	}
	bufferevent_setcb(c->bev, NULL, control_on_drained, NULL, c);
}

static void
control_send(struct control_conn *c, msgpack_sbuffer *sb)
{
	if (bufferevent_write(c->bev, sb->data, sb->size) == -1)
		log_warnx("control: cannot queue a reply");
}

static void
control_log_change(const struct control_conn *c, const struct ctl_request *req,
    const char *data, size_t len)
{
	char			 err[CTL_ERR_MAX] = "done";
	msgpack_unpacked	 up;
	const msgpack_object	*body;

	if (req->cmd->access != CTL_CHANGE)
		return;
	msgpack_unpacked_init(&up);
	(void)ctl_reply_decode(data, len, &up, &body, err, sizeof(err));
	msgpack_unpacked_destroy(&up);
	log_info("control: uid %u (pid %ld): %s%s%s: %s", (unsigned)c->uid, (long)c->pid,
	    req->cmd->name, req->args[0].present ? " " : "",
	    req->args[0].present ? req->args[0].str : "", err);
}

/* One whole request (ctl_scan() framed it): decode, check, run, reply. */
static void
control_handle(struct control_conn *c, const void *data, size_t len)
{
	struct control			*ctl = c->ctl;
	struct ctl_request		 req;
	const struct control_handler	*h;
	msgpack_sbuffer			 sb;
	msgpack_packer			 pk;
	char				 err[CTL_ERR_MAX];

	ctl->n.requests++;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (ctl_request_decode(data, len, &req, err, sizeof(err)) == -1)
		ctl_reply_error(&pk, "%s", err);
	else if (req.cmd->access == CTL_CHANGE && !c->may_change)
		ctl_reply_error(&pk, "permission denied: %s needs root%s%s",
		    req.cmd->name, ctl->have_operator ? " or group " : "",
		    ctl->have_operator ? ctl->operator_group : "");
	else if ((h = control_handler(req.cmd->name)) == NULL)
		ctl_reply_error(&pk, "%s is not implemented", req.cmd->name);
	else {
		ctl->handling = c;
		ctl->handling_req = &req;
		ctl->deferred = false;
		h->fn(ctl, &req, &pk);
		ctl->handling = NULL;
		if (ctl->deferred) {
			/* control_answer() replies; nothing is read meanwhile */
			msgpack_sbuffer_destroy(&sb);
			return;
		}
		control_log_change(c, &req, sb.data, sb.size);
	}
	control_send(c, &sb);
	msgpack_sbuffer_destroy(&sb);
}

static void
control_on_read(struct bufferevent *bev, void *arg)
{
	struct control_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	const char		*why = "";
	unsigned char		*data;
	size_t			 len, msglen;

	while (!c->closing && c->pending == NULL &&
	    (len = evbuffer_get_length(in)) > 0) {
		/* at most CTL_REQ_MAX_BYTES: the read high-water mark */
		data = evbuffer_pullup(in, len);
		switch (ctl_scan(data, len, &ctl_request_limits, &msglen, &why)) {
		case CTL_SCAN_MORE:
			return;
		case CTL_SCAN_BAD: {
			msgpack_sbuffer	 sb;
			msgpack_packer	 pk;

			c->ctl->n.closed_bad++;
			log_debug("control: closing the connection of uid %u (pid %ld): %s",
			    (unsigned)c->uid, (long)c->pid, why);
			msgpack_sbuffer_init(&sb);
			msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
			ctl_reply_error(&pk, "malformed request: %s", why);
			control_send(c, &sb);
			msgpack_sbuffer_destroy(&sb);
			control_conn_close_soon(c);
			return;
		}
		case CTL_SCAN_DONE:
			control_handle(c, data, msglen);
			evbuffer_drain(in, msglen);
			if (c->pending != NULL)
				evtimer_del(c->ev_idle);	/* it waits for us */
			else
				control_arm_idle(c);
			break;
		}
		if (evbuffer_get_length(bufferevent_get_output(bev)) > CONTROL_OUT_MAX) {
			log_debug("control: uid %u does not read its replies; closing",
			    (unsigned)c->uid);
			control_conn_free(c);
			return;
		}
	}
}

/* --- deferred replies ------------------------------------------------------ */

static void	control_on_pending_timeout(evutil_socket_t, short, void *);

static struct control_pending *
control_defer_for(struct control *ctl, int sec, event_callback_fn on_timeout)
{
	struct control_pending	*p;
	struct timeval		 tv = { sec, 0 };

	if (ctl->handling == NULL || (p = calloc(1, sizeof(*p))) == NULL)
		fatalx("control_defer: %s", ctl->handling == NULL ?
		    "outside a handler" : "out of memory");
	p->ctl = ctl;
	p->token = ++ctl->next_token;
	p->conn = ctl->handling;
	p->req = *ctl->handling_req;
	if ((p->ev_timeout = evtimer_new(ctl->sup->base, on_timeout, p)) == NULL)
		fatalx("control: out of memory");
	evtimer_add(p->ev_timeout, &tv);
	TAILQ_INSERT_TAIL(&ctl->pending, p, entry);
	p->conn->pending = p;
	ctl->deferred = true;
	return p;
}

uint64_t
control_defer(struct control *ctl)
{
	return control_defer_for(ctl, CONTROL_PENDING_SEC,
	    control_on_pending_timeout)->token;
}

static struct control_pending *
control_pending_find(struct control *ctl, uint64_t token)
{
	struct control_pending	*p;

	TAILQ_FOREACH(p, &ctl->pending, entry)
		if (p->token == token)
			return p;
	return NULL;
}

/* Send the reply of p (if its client is still there) and forget p; the
 * connection reads its next request. */
static void
control_pending_finish(struct control *ctl, struct control_pending *p,
    control_pack_fn *fn, void *arg)
{
	struct control_conn	*c = p->conn;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;

	TAILQ_REMOVE(&ctl->pending, p, entry);
	event_free(p->ev_timeout);
	if (c != NULL) {
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		fn(&pk, arg);
		control_log_change(c, &p->req, sb.data, sb.size);
		c->pending = NULL;
		control_send(c, &sb);
		msgpack_sbuffer_destroy(&sb);
		control_arm_idle(c);
		/* a request that came meanwhile (not when answered from inside
		 * a handler: its caller goes on reading) */
		if (ctl->handling == NULL)
			control_on_read(c->bev, c);
	}
	free(p->reload_text);	/* fn may have packed it */
	free(p);
}

void
control_answer(struct control *ctl, uint64_t token, control_pack_fn *fn,
    void *arg)
{
	struct control_pending	*p;

	/* unknown: it timed out, or the answer is forged; either way late */
	if ((p = control_pending_find(ctl, token)) == NULL) {
		log_debug("control: an answer for token %ju nobody waits for",
		    (uintmax_t)token);
		return;
	}
	control_pending_finish(ctl, p, fn, arg);
}

struct control_text {
	bool		 ok;
	const char	*text;
};

static void
control_pack_text(msgpack_packer *pk, void *arg)
{
	const struct control_text	*t = arg;

	if (!t->ok) {
		ctl_reply_error(pk, "%s", t->text);
		return;
	}
	ctl_reply_begin(pk, 1);
	ctl_pack_kv_str(pk, "message", t->text);
}

void
control_answer_text(struct control *ctl, uint64_t token, bool ok,
    const char *text)
{
	struct control_text	 t = { ok, text };

	control_answer(ctl, token, control_pack_text, &t);
}

/* Answer every waiting reload (reloads) or every request waiting for
 * blockd (!reloads): with text, or a reload with its own. */
static void
control_finish_waiting(struct control *ctl, bool reloads, bool ok, const char *text)
{
	struct control_text	 t = { ok, text };
	struct control_pending	*p, *next;

	if (ctl == NULL)
		return;
	for (p = TAILQ_FIRST(&ctl->pending); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if ((p->reload_text != NULL) != reloads)
			continue;
		t.text = text != NULL ? text : p->reload_text;
		control_pending_finish(ctl, p, control_pack_text, &t);
	}
}

/* A reload is applied whatever blockd does: only blockd's are failed. */
void
control_fail_pending(struct control *ctl, const char *why)
{
	control_finish_waiting(ctl, false, false, why);
}

static void
control_on_pending_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct control_pending	*p = arg;
	struct control_text	 t = { false, "no answer from blockd within "
	    "the time limit; see aoectl status and the log" };

	(void)fd;
	(void)ev;
	control_pending_finish(p->ctl, p, control_pack_text, &t);
}

/* --- a reload's reply ------------------------------------------------------ */

/*
 * A reload is applied at once, but an added export answers only when
 * blockd has done what it was sent and the netd that got a new socket has
 * drained the one it replaced (or the new NIC's netd runs).  The reply
 * waits for that (reload.c, "settled"), so that the next command of a
 * script finds the export served; for at most CONTROL_SETTLE_SEC, after
 * which it names what is still taking it up.
 */
static void
control_on_settle_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct control_pending	*p = arg;
	char			 names[256], text[CTL_ERR_MAX + 320];
	struct control_text	 t = { true, text };

	(void)fd;
	(void)ev;
	if (!sup_reload_unsettled(p->ctl->sup, names, sizeof(names)))
		snprintf(names, sizeof(names), "(none left)");
	snprintf(text, sizeof(text), "%s; not yet in effect on %s after %d s: "
	    "see aoectl status and the log", p->reload_text, names, CONTROL_SETTLE_SEC);
	log_warnx("reload: not yet in effect on %s after %d s", names, CONTROL_SETTLE_SEC);
	control_pending_finish(p->ctl, p, control_pack_text, &t);
}

void
control_reload_settled(struct control *ctl)
{
	control_finish_waiting(ctl, true, true, NULL);
}

static void
control_cmd_reload(struct control *ctl, const struct ctl_request *req,
    msgpack_packer *pk)
{
	struct control_pending	*p;
	char			 err[CTL_ERR_MAX];

	/* what changed: "unchanged", "added e1.4, removed e1.2, …" */
	if (control_reload(ctl->sup, err, sizeof(err)) == -1)
		ctl_reply_error(pk, "%s", err);
	else if (sup_reload_unsettled(ctl->sup, NULL, 0)) {
		p = control_defer_for(ctl, CONTROL_SETTLE_SEC, control_on_settle_timeout);
		if ((p->reload_text = strdup(err)) == NULL)
			fatalx("control: out of memory");
	} else {
		control_reload_settled(ctl);	/* an earlier one waiting: so is it */
		ctl_reply_begin(pk, 1);
		ctl_pack_kv_str(pk, "message", err);
	}
}

static void
control_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct control_conn	*c = arg;

	/* EOF after a request: answer it, then close */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !c->closing) {
		control_conn_close_soon(c);
		return;
	}
	control_conn_free(c);
}

static void
control_on_idle(evutil_socket_t fd, short ev, void *arg)
{
	struct control_conn	*c = arg;

	c->ctl->n.closed_idle++;
	log_debug("control: closing the idle connection of uid %u (pid %ld)",
	    (unsigned)c->uid, (long)c->pid);
	control_conn_free(c);
}

static void
control_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct control		*ctl = arg;
	struct control_conn	*c;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	static gid_t		 groups[CONTROL_PEER_GROUPS];
	unsigned		 ngroups;
	struct timeval		 wtv = { CONTROL_WRITE_SEC, 0 };
	char			 text[CTL_ERR_MAX];

	if (ctl->nconns >= CONTROL_MAX_CONNS) {
		ctl->n.refused_busy++;
		snprintf(text, sizeof(text), "busy: too many control connections "
		    "(at most %d)", CONTROL_MAX_CONNS);
		control_refuse(fd, text);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	ngroups = control_peer_groups(fd, groups, CONTROL_PEER_GROUPS);
	if (cred.uid != 0 &&
	    !control_in_group(ctl->read_gid, cred.gid, groups, ngroups) &&
	    !(ctl->have_operator &&
	      control_in_group(ctl->operator_gid, cred.gid, groups, ngroups))) {
		ctl->n.refused_perm++;
		log_info("control: refused uid %u (pid %ld): not root, not in group %s",
		    (unsigned)cred.uid, (long)cred.pid, ctl->read_group);
		snprintf(text, sizeof(text), "permission denied: the control socket "
		    "is for root and group %s", ctl->read_group);
		control_refuse(fd, text);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	c->may_change = cred.uid == 0 || (ctl->have_operator &&
	    control_in_group(ctl->operator_gid, cred.gid, groups, ngroups));
	c->bev = bufferevent_socket_new(ctl->sup->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->ev_idle = evtimer_new(ctl->sup->base, control_on_idle, c);
	if (c->bev == NULL || c->ev_idle == NULL)
		fatalx("control: out of memory");
	bufferevent_setcb(c->bev, control_on_read, NULL, control_on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CTL_REQ_MAX_BYTES);
	bufferevent_set_timeouts(c->bev, NULL, &wtv);
	bufferevent_enable(c->bev, EV_READ);
	control_arm_idle(c);
	TAILQ_INSERT_TAIL(&ctl->conns, c, entry);
	ctl->nconns++;
	ctl->n.accepted++;
}

static void
control_on_resume(evutil_socket_t fd, short ev, void *arg)
{
	struct control	*ctl = arg;

	evconnlistener_enable(ctl->listener);
}

/* accept(2) failed (EMFILE, ENFILE, ENOMEM): pause instead of spinning. */
static void
control_on_accept_error(struct evconnlistener *l, void *arg)
{
	struct control	*ctl = arg;
	struct timeval	 tv = { 1, 0 };

	log_warn("control: accept");
	evconnlistener_disable(l);
	evtimer_add(ctl->ev_resume, &tv);
}

/* --- the socket ----------------------------------------------------------- */

static void
control_group_by_name(const char *name, gid_t *gid, char *buf, size_t size)
{
	struct group	*gr;
	uint64_t	 v;
	const char	*why;

	if ((gr = getgrnam(name)) != NULL)
		*gid = gr->gr_gid;
	else if (parse_u64(name, 0, UINT32_MAX - 1, &v, &why) == 0)
		*gid = v;
	else
		fatalx("control: no such group: %s", name);
	snprintf(buf, size, "%s", name);
}

static void
control_group_name(gid_t gid, char *buf, size_t size)
{
	struct group	*gr = getgrgid(gid);

	if (gr != NULL)
		snprintf(buf, size, "%s", gr->gr_name);
	else
		snprintf(buf, size, "%u", (unsigned)gid);
}

static void
control_groups(struct control *ctl)
{
	struct sup	*s = ctl->sup;
	struct group	*gr;

	if (s->control_group != NULL)
		control_group_by_name(s->control_group, &ctl->read_gid,
		    ctl->read_group, sizeof(ctl->read_group));
	else if ((gr = getgrnam(CONTROL_DEFAULT_GROUP)) != NULL) {
		ctl->read_gid = gr->gr_gid;
		snprintf(ctl->read_group, sizeof(ctl->read_group), "%s", gr->gr_name);
	} else {
		ctl->read_gid = 0;
		control_group_name(0, ctl->read_group, sizeof(ctl->read_group));
	}
	if (s->operator_group != NULL) {
		ctl->have_operator = true;
		control_group_by_name(s->operator_group, &ctl->operator_gid,
		    ctl->operator_group, sizeof(ctl->operator_group));
	}
}

/* The socket systemd passed (named "control", or the only one), or -1.
 * The LISTEN_* variables are unset either way. */
static int
control_passed_socket(void)
{
	char	**names = NULL;
	int	 n, i, fd = -1;

	if ((n = sd_listen_fds_with_names(1, &names)) < 0) {
		errno = -n;
		fatal("control: sd_listen_fds_with_names");
	}
	for (i = 0; i < n; i++) {
		if (fd == -1 && (n == 1 || strcmp(names[i], "control") == 0))
			fd = SD_LISTEN_FDS_START + i;
		else
			close(SD_LISTEN_FDS_START + i);
		free(names[i]);
	}
	free(names);
	if (n > 0 && fd == -1)
		fatalx("control: systemd passed %d sockets, none named \"control\"", n);
	if (fd != -1 && sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
		fatalx("control: the socket systemd passed is not a listening "
		    "Unix stream socket");
	return fd;
}

/* The group of the socket systemd made (its SocketGroup=) is the one
 * whose members may read. */
static void
control_passed_group(struct control *ctl, int fd)
{
	struct sockaddr_un	 sun;
	socklen_t		 len = sizeof(sun);
	struct stat		 st;

	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    sun.sun_path[0] == '\0' || stat(sun.sun_path, &st) == -1)
		return;
	ctl->read_gid = st.st_gid;
	control_group_name(st.st_gid, ctl->read_group, sizeof(ctl->read_group));
	log_debug("control: using the socket systemd passed, %s (group %s)",
	    sun.sun_path, ctl->read_group);
}

/* A socket file left at path: remove it if nobody listens there.  0, or
 * -1 when another aoede listens. */
static int
control_clear_stale(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd;

	if (lstat(path, &st) == -1)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		fatalx("control: %s exists and is not a socket", path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("control: socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		return -1;
	}
	close(fd);
	if (unlink(path) == -1)
		fatal("control: cannot remove the stale %s", path);
	return 0;
}

static struct control	 control_state;

static void
control_unlink_at_exit(void)
{
	/* not in a forked child that failed to exec */
	if (control_state.path[0] != '\0' && getpid() == control_state.owner)
		unlink(control_state.path);
}

static int
control_make_socket(struct control *ctl, const char *path)
{
	struct sockaddr_un	 sun;
	char			 dir[PATH_MAX];
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatalx("control: socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	snprintf(dir, sizeof(dir), "%s", path);
	/* /run/aoede, unless systemd's RuntimeDirectory= made it */
	if (mkdir(dirname(dir), 0755) == -1 && errno != EEXIST)
		fatal("control: mkdir %s", dir);
	/* vblade's habit is one process per export: a second aoede started
	 * without -S still serves, it only cannot be controlled */
	if (control_clear_stale(path) == -1) {
		log_warnx("control: another aoede is listening on %s; this one has "
		    "no control socket (give it one with -S)", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		fatal("control: socket");
	old = umask(0177);		/* nobody can connect before the chown */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("control: bind %s", path);
	umask(old);
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	ctl->owner = getpid();
	atexit(control_unlink_at_exit);
	if (chown(path, 0, ctl->read_gid) == -1 || chmod(path, 0660) == -1)
		fatal("control: %s", path);
	if (listen(fd, CONTROL_MAX_CONNS) == -1)
		fatal("control: listen");
	return fd;
}

/* --- systemd ---------------------------------------------------------------- */

/* One line for `systemctl status`: what serves, or what is wrong. */
static void
control_status_line(struct sup *s, char *buf, size_t size)
{
	uint64_t	 now = now_ns();
	const struct child *bad = NULL;
	unsigned	 i, served = 0, nnics = control_live_nics(s);

	if (!s->announced_ready || s->stopping) {
		for (i = 0; i < s->nnics; i++)
			served += s->nics[i].running;
		snprintf(buf, size, "%s: %u of %u interface%s served",
		    s->stopping ? "stopping" : "starting", served, nnics,
		    nnics == 1 ? "" : "s");
		return;
	}
	if (!control_child_alive(&s->blockd, now))
		bad = &s->blockd;
	for (i = 0; i < s->nnics && bad == NULL; i++)
		if (sup_nic_live(s, i) && !s->nics[i].removing &&
		    !control_child_alive(&s->nics[i].netd, now))
			bad = &s->nics[i].netd;
	if (bad != NULL && bad->state == CHILD_DOWN)
		snprintf(buf, size, "degraded: %s is down (%u restart%s)", bad->name,
		    bad->restarts, bad->restarts == 1 ? "" : "s");
	else if (bad != NULL)
		snprintf(buf, size, "degraded: %s silent for %ju s", bad->name,
		    (uintmax_t)((now - control_child_seen(bad)) / NS_PER_SEC));
	else if (s->nexports == 1)
		snprintf(buf, size, "serving e%u.%u (%.160s) on %u interface%s",
		    s->exports[0].shelf, s->exports[0].slot, s->exports[0].path,
		    nnics, nnics == 1 ? "" : "s");
	else
		snprintf(buf, size, "serving %u exports on %u interface%s",
		    s->nexports, nnics, nnics == 1 ? "" : "s");
}

static void
control_on_status(evutil_socket_t fd, short ev, void *arg)
{
	struct control	*ctl = arg;
	char		 line[sizeof(ctl->status)], msg[sizeof(line) + 8];

	control_status_line(ctl->sup, line, sizeof(line));
	if (strcmp(line, ctl->status) == 0)
		return;
	snprintf(ctl->status, sizeof(ctl->status), "%s", line);
	snprintf(msg, sizeof(msg), "STATUS=%s", line);
	sup_notify(ctl->sup, msg);
}

/* WATCHDOG=1 only while every child is alive: a hung child makes systemd
 * restart the whole service (after WatchdogSec=), which a child in a crash
 * loop also does once its restarts are spaced wider than WatchdogSec=. */
static void
control_on_watchdog(evutil_socket_t fd, short ev, void *arg)
{
	struct control	*ctl = arg;
	struct sup	*s = ctl->sup;
	uint64_t	 now = now_ns();
	unsigned	 i;

	if (!s->stopping) {
		if (!control_child_alive(&s->blockd, now))
			return;
		for (i = 0; i < s->nnics; i++)
			if (sup_nic_live(s, i) && !s->nics[i].removing &&
			    !control_child_alive(&s->nics[i].netd, now))
				return;
	}
	sup_notify(s, "WATCHDOG=1");
}

static void
control_on_sighup(evutil_socket_t sig, short ev, void *arg)
{
	struct control	*ctl = arg;
	char		 err[CTL_ERR_MAX];

	log_info("SIGHUP: reloading");
	(void)control_reload(ctl->sup, err, sizeof(err));	/* logged there */
}

static struct event *
control_timer(struct control *ctl, uint64_t usec, event_callback_fn cb)
{
	struct event	*ev;
	struct timeval	 tv = { usec / 1000000, usec % 1000000 };

	if ((ev = event_new(ctl->sup->base, -1, EV_PERSIST, cb, ctl)) == NULL)
		fatalx("control: event_new");
	evtimer_add(ev, &tv);
	return ev;
}

static void
control_systemd(struct control *ctl)
{
	uint64_t	 usec = 0;
	int		 rc;

	ctl->ev_status = control_timer(ctl, 1000000, control_on_status);
	/* unset=1: the WATCHDOG_* variables are ours, not the children's */
	if ((rc = sd_watchdog_enabled(1, &usec)) > 0 && usec >= 2) {
		ctl->ev_watchdog = control_timer(ctl, usec / 2, control_on_watchdog);
		log_debug("systemd watchdog every %ju ms", (uintmax_t)usec / 2000);
	} else if (rc < 0)
		log_warnx("WATCHDOG_USEC is malformed; no watchdog");
	ctl->ev_sighup = evsignal_new(ctl->sup->base, SIGHUP, control_on_sighup, ctl);
	if (ctl->ev_sighup == NULL || event_add(ctl->ev_sighup, NULL) == -1)
		fatalx("control: SIGHUP");
}

/* --- start ---------------------------------------------------------------- */

static void
control_check_tables(void)
{
	unsigned	 i;

	for (i = 0; i < ctl_ncmds; i++)
		if (control_handler(ctl_cmds[i].name) == NULL)
			fatalx("control: no handler for command %s", ctl_cmds[i].name);
}

void
control_init(struct sup *s)
{
	struct control	*ctl = &control_state;
	int		 fd;

	control_check_tables();
	ctl->sup = s;
	s->control = ctl;
	ctl->started_ns = now_ns();
	TAILQ_INIT(&ctl->conns);
	TAILQ_INIT(&ctl->pending);
	control_groups(ctl);
	if ((fd = control_passed_socket()) != -1) {
		/* systemd's sockets are blocking: libevent must not block in accept */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
			fatal("control: fcntl");
		control_passed_group(ctl, fd);
	} else if ((fd = control_make_socket(ctl, s->control_path)) == -1) {
		control_systemd(ctl);
		return;
	}
	/* backlog 0: the socket already listens */
	ctl->listener = evconnlistener_new(s->base, control_on_accept, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	ctl->ev_resume = evtimer_new(s->base, control_on_resume, ctl);
	if (ctl->listener == NULL || ctl->ev_resume == NULL)
		fatalx("control: evconnlistener_new");
	evconnlistener_set_error_cb(ctl->listener, control_on_accept_error);
	control_systemd(ctl);
	log_debug("control socket %s, readable by group %s, changes by %s%s",
	    ctl->path[0] ? ctl->path : "(from systemd)", ctl->read_group,
	    ctl->have_operator ? "root and group " : "root",
	    ctl->have_operator ? ctl->operator_group : "");
}

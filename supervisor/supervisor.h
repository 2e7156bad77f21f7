/*
 * aoede, the supervisor: opens every privileged resource, spawns one
 * aoede-netd per NIC and one aoede-blockd with those resources at the fd
 * numbers of fds.h, wires their rings together through a small state
 * machine (which side is attached to which ring), restarts a child that
 * dies, and stops everything cleanly on SIGTERM.  It never parses a frame.
 */
#ifndef AOEDE_SUPERVISOR_H
#define AOEDE_SUPERVISOR_H

#include <sys/types.h>

#include <net/if.h>
#include <linux/filter.h>

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "stats.h"

#define SUP_MAX_NICS		64
#define SUP_MAX_EXPORTS		256
#define SUP_MAX_MASKS		32
#define SUP_DEFAULT_BUFCNT	64
#define SUP_NETD_USER		"aoede-netd"
#define SUP_BLOCKD_USER		"aoede-blockd"
#define SUP_DEFAULT_CONTROL	"/run/aoede/control.sock"
#define SUP_START_TIMEOUT_SEC	15
#define SUP_STOP_TIMEOUT_SEC	15
#define SUP_BPF_MAX		1024

/* durability and access flags of an export (mirror blockd's EXPORT_*) */
#define SUP_EXPORT_RDONLY	0x01
#define SUP_EXPORT_DIRECT	0x02
#define SUP_EXPORT_KERNEL	0x04
/* LAN-side edits switched off (aoede.conf(5) lan-*; blockd's EXPORT_NO_*) */
#define SUP_EXPORT_NO_MASK_EDIT		0x10
#define SUP_EXPORT_NO_FORCE_RESERVE	0x20
#define SUP_EXPORT_NO_FORCE_CONFIG	0x40

enum child_role { ROLE_NETD, ROLE_BLOCKD };
enum child_state { CHILD_DOWN, CHILD_STARTING, CHILD_READY };

struct sup;

struct child {
	struct sup		*sup;
	enum child_role		 role;
	unsigned		 nic;		/* netd: its NIC */
	char			 name[32];	/* "netd[eth0]", "blockd" */
	pid_t			 pid;
	int			 chan;
	enum child_state	 state;
	bool			 ever_ready;
	uint64_t		 started_ns;
	unsigned		 restarts;
	unsigned		 quick_deaths;	/* in a row, for the crash-loop throttle */
	uint64_t		 heartbeat_ns;	/* when it last sent its stats */
	struct event		*ev_chan;
	struct event		*ev_restart;
};

struct sup_nic {
	char			 name[IF_NAMESIZE];
	int			 ifindex;
	uint32_t		 mtu;
	uint8_t			 mac[6];
	int			 sock, ring, rx_bell, tx_bell;
	int			 txsock;	/* netd's small frames (pktring.h) */
	uint32_t		 nbufs, buf_size;
	struct child		 netd;
	/* ring wiring */
	bool			 attached;	/* blockd serves this ring */
	bool			 detach_pending;/* asked blockd to let go */
	bool			 running;	/* netd was told peer-up */
	bool			 pause_pending;	/* asked netd to reset after blockd died */
	/* reload: a NIC taken out of the configuration keeps its slot (its
	 * index is in blockd's ring table and in every NIC mask) and its ring,
	 * so that a restarted blockd still finds each ring at its number */
	bool			 removing;	/* netd told to stop; then gone */
	bool			 gone;		/* no longer served */
	/* a reload's change is not yet in effect here (reload.c): netd
	 * does not yet read socket number sock_seq alone (netd_seq: the
	 * one it does; a netd started gets the current one), or is not
	 * running */
	bool			 settling;
	uint64_t		 sock_seq, netd_seq;
	struct netd_stats_msg	 stats;		/* as netd last reported them */
};

struct sup_export {
	uint16_t		 shelf;
	uint8_t			 slot;
	char			 path[PATH_MAX];
	int			 fd;
	uint64_t		 offset;	/* sectors, as vblade's -o */
	uint64_t		 length;	/* sectors, 0 = to the end */
	uint64_t		 sectors;	/* what is exported */
	unsigned		 flags;
	uint64_t		 cache_bytes;	/* blockd's read cache, 0 = off */
	uint64_t		 nic_mask;
	uint16_t		 bufcnt;
	uint8_t			 masks[SUP_MAX_MASKS][6];
	unsigned		 nmasks;
	char			 shadow_dir[PATH_MAX];	/* freeze's; "" = none */
	int			 shadow_fd;	/* it, open for blockd; -1: none */
};

struct sup {
	struct sup_nic		 nics[SUP_MAX_NICS];
	unsigned		 nnics;
	struct sup_export	 exports[SUP_MAX_EXPORTS];
	unsigned		 nexports;
	struct child		 blockd;
	struct blockd_stats_msg	 blockd_stats;
	struct export_stats_msg	 export_stats[SUP_MAX_EXPORTS];
	const char		*config_file;	/* NULL: started from the command line */
	const char		*control_path;
	const char		*control_group;	/* may read; NULL: control.h's default */
	const char		*operator_group;/* may change; NULL: root only */
	struct control		*control;	/* control.c's state */
	const char		*netd_user, *blockd_user;
	uid_t			 netd_uid, blockd_uid;
	gid_t			 netd_gid, blockd_gid;
	const char		*root;		/* children's chroot */
	const char		*state_dir;	/* AoE state (state-directory, -D) */
	unsigned		 busy_poll_us;	/* busy-poll, -P: netd's and blockd's */
	int			 state_fd;	/* it, open: blockd's; -1 before */
	int			 verbose;
	char			 libexec[PATH_MAX];
	struct event_base	*base;
	struct event		*ev_sigchld, *ev_sigterm, *ev_sigint, *ev_deadline;
	bool			 stopping;
	bool			 announced_ready;
	/* a reload's changes to blockd are not yet all done: it has not
	 * answered sync number blockd_sync_seq (reload.c) */
	bool			 blockd_settling;
	uint64_t		 blockd_sync_seq;
};

/* options.c */
int	sup_parse_args(struct sup *s, int argc, char *argv[]);

/* resources.c */
void	sup_open_resources(struct sup *s);
int	sup_reopen_nic(struct sup *s, unsigned nic);
int	sup_resocket_nic(struct sup *s, unsigned nic);
/* reload: a NIC's facts (exists, Ethernet, MTU ≥ 1060) without opening
 * anything; then its ring, doorbells and packet socket.  0 or -1 with err */
int	sup_nic_facts(struct sup_nic *nic, char *err, size_t errlen);
int	sup_open_nic(struct sup *s, unsigned nic, char *err, size_t errlen);
/* an export's shadow directory, for freeze: 0 (x->shadow_fd set, or none
 * configured), or -1 with err */
int	sup_open_shadow_dir(const struct sup *s, struct sup_export *x, char *err,
	    size_t errsize);
int	sup_bpf_build(const struct sup *s, unsigned nic, struct sock_filter *prog,
	    unsigned max);

/* children.c */
#define SUP_EXPORT_SPEC_MAX	(256 + SUP_MAX_MASKS * 18 + 8)
void	sup_blockd_export_spec(const struct sup_export *x, int shadow_fdno,
	    char *spec, size_t size);
void	child_init(struct sup *s, struct child *c, enum child_role role, unsigned nic);
void	child_spawn(struct child *c);
void	sup_reap(struct sup *s);
void	sup_stop(struct sup *s);

/* reload.c; the NICs still served (not removed by a reload) */
static inline bool
sup_nic_live(const struct sup *s, unsigned i)
{
	return !s->nics[i].gone;
}
void	sup_nic_retire(struct sup *s, unsigned nic);

int	sup_reload(struct sup *s, char *err, size_t errsize);
bool	sup_reload_unsettled(const struct sup *s, char *names, size_t size);
void	sup_nic_settled(struct sup *s, unsigned nic);
void	sup_blockd_sync(struct sup *s);
void	sup_blockd_settled(struct sup *s);

/* supervisor.c */
int	supervisor_main(int argc, char *argv[]);
void	sup_notify(struct sup *s, const char *state);

#endif

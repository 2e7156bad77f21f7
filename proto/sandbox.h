/*
 * Privilege separation for the children (DESIGN.md §1, OPERATIONS.md
 * "Security"): chroot to an empty directory, drop to an unprivileged uid/gid
 * with no capabilities, NO_NEW_PRIVS, not dumpable, tight rlimits, proof
 * that root cannot be regained — then a seccomp allowlist that fails closed.
 * Every step that fails is fatal: a sandbox that silently does nothing is
 * worse than none.
 */
#ifndef AOEDE_PROTO_SANDBOX_H
#define AOEDE_PROTO_SANDBOX_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <seccomp.h>

#define SANDBOX_DEFAULT_ROOT	"/run/aoede/empty"

struct sandbox_limits {
	rlim_t	nofile;		/* RLIMIT_NOFILE: every fd the process may hold */
	rlim_t	fsize;		/* RLIMIT_FSIZE: RLIM_INFINITY for blockd, 0 for netd */
	rlim_t	nproc;		/* RLIMIT_NPROC: 0 (no fork), or room for the kernel's
				 * io_uring worker threads (blockd; fork stays
				 * denied by seccomp) */
};

/* chroot(root), drop to uid/gid, clear capabilities (bounding set too),
 * NO_NEW_PRIVS, not dumpable, rlimits; re-arm the parent-death signal
 * (credential changes clear it) and exit if `parent` is already gone. */
void	sandbox_drop(const char *root, uid_t uid, gid_t gid, pid_t parent,
	    const struct sandbox_limits *lim);

/* A seccomp filter whose default is to trap: the SIGSYS handler logs the
 * syscall number and exits, so a denied call is never executed and always
 * named in the log. */
scmp_filter_ctx sandbox_seccomp_new(void);
void	sandbox_seccomp_allow(scmp_filter_ctx ctx, int nr);
/* allow nr only when argument argn equals value */
void	sandbox_seccomp_allow_arg(scmp_filter_ctx ctx, int nr, unsigned argn, uint64_t value);
void	sandbox_seccomp_load(scmp_filter_ctx ctx);
/* Allow syscall nr when (argument argn & mask) == value. */
void	sandbox_seccomp_allow_masked(scmp_filter_ctx ctx, int nr, unsigned argn,
	    uint64_t mask, uint64_t value);
/* the calls every child needs: memory, time, exit, signals returning,
 * reading/writing its fds */
void	sandbox_seccomp_allow_common(scmp_filter_ctx ctx);

#endif

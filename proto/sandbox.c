/*
 * chroot + uid drop + capability drop + NO_NEW_PRIVS + seccomp.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

static void
sandbox_drop_bounding_set(void)
{
	int	 cap;

	for (cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			if (errno == EINVAL)
				break;		/* past the last capability */
			fatal("sandbox: PR_CAPBSET_DROP %d", cap);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		fatal("sandbox: clearing ambient capabilities");
}

static void
sandbox_check_no_caps(void)
{
	struct __user_cap_header_struct	 hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	 data[2];

	if (syscall(SYS_capget, &hdr, data) == -1)
		fatal("sandbox: capget");
	if (data[0].effective || data[1].effective || data[0].permitted ||
	    data[1].permitted || data[0].inheritable || data[1].inheritable)
		fatalx("sandbox: capabilities survived the uid drop");
}

/* Proof, not hope: after the drop every way back to root must fail. */
static void
sandbox_check_ids(uid_t uid, gid_t gid)
{
	uid_t	 r, e, s;
	gid_t	 rg, eg, sg;

	if (setresuid(0, 0, 0) != -1 || setuid(0) != -1 || seteuid(0) != -1)
		fatalx("sandbox: root could be regained after the drop");
	if (setresgid(0, 0, 0) != -1 || setgid(0) != -1)
		fatalx("sandbox: gid 0 could be regained after the drop");
	if (getresuid(&r, &e, &s) == -1 || getresgid(&rg, &eg, &sg) == -1)
		fatal("sandbox: getresuid");
	if (r != uid || e != uid || s != uid || rg != gid || eg != gid || sg != gid)
		fatalx("sandbox: ids are not what was asked for");
}

static void
sandbox_rlimit(int resource, rlim_t v, const char *name)
{
	struct rlimit	 rl = { v, v };

	if (setrlimit(resource, &rl) == -1)
		fatal("sandbox: setrlimit %s", name);
}

void
sandbox_drop(const char *root, uid_t uid, gid_t gid, pid_t parent,
    const struct sandbox_limits *lim)
{
	if (uid == 0 || gid == 0)
		fatalx("sandbox: refusing to run as uid/gid 0");
	if (chroot(root) == -1)
		fatal("sandbox: chroot %s", root);
	if (chdir("/") == -1)
		fatal("sandbox: chdir /");
	sandbox_drop_bounding_set();
	if (setgroups(1, &gid) == -1)
		fatal("sandbox: setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("sandbox: setresgid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) == -1)
		fatal("sandbox: setresuid %u", (unsigned)uid);
	sandbox_check_ids(uid, gid);
	sandbox_check_no_caps();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_DUMPABLE");
	/* the uid change cleared the parent-death signal: arm it again */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_PDEATHSIG");
	if (getppid() != parent)
		fatalx("sandbox: the supervisor is gone");
	sandbox_rlimit(RLIMIT_CORE, 0, "core");
	sandbox_rlimit(RLIMIT_NOFILE, lim->nofile, "nofile");
	sandbox_rlimit(RLIMIT_FSIZE, lim->fsize, "fsize");
	sandbox_rlimit(RLIMIT_NPROC, lim->nproc, "nproc");
}

static void
sandbox_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char	 line[96];
	int	 n;

	(void)sig;
	(void)ctx;
	n = snprintf(line, sizeof(line),
	    "<2>seccomp: denied system call %d; exiting\n", si->si_syscall);
	if (n > 0 && write(STDERR_FILENO, line, n) < 0) {
		/* nothing more to do */
	}
	_exit(159);
}

scmp_filter_ctx
sandbox_seccomp_new(void)
{
	struct sigaction	 sa;
	scmp_filter_ctx		 ctx;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sandbox: sigaction SIGSYS");
	/* libseccomp adds the architecture check: a foreign-arch call kills */
	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL)
		fatalx("sandbox: seccomp_init failed");
	return ctx;
}

void
sandbox_seccomp_allow(scmp_filter_ctx ctx, int nr)
{
	int	 rc;

	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
		fatalx("sandbox: seccomp rule for syscall %d: %s", nr, strerror(-rc));
}

void
sandbox_seccomp_allow_arg(scmp_filter_ctx ctx, int nr, unsigned argn, uint64_t value)
{
	int			 rc;

	struct scmp_arg_cmp	 cmp = {
		.arg = argn, .op = SCMP_CMP_EQ, .datum_a = value, .datum_b = 0,
	};

	rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
	if (rc < 0)
		fatalx("sandbox: seccomp rule for syscall %d: %s", nr, strerror(-rc));
}

void
sandbox_seccomp_allow_masked(scmp_filter_ctx ctx, int nr, unsigned argn,
    uint64_t mask, uint64_t value)
{
	int			 rc;

	struct scmp_arg_cmp	 cmp = {
		.arg = argn, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask,
		.datum_b = value,
	};

	rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
	if (rc < 0)
		fatalx("sandbox: seccomp rule for syscall %d: %s", nr, strerror(-rc));
}

void
sandbox_seccomp_load(scmp_filter_ctx ctx)
{
	int	 rc;

	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("sandbox: seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
}

void
sandbox_seccomp_allow_common(scmp_filter_ctx ctx)
{
	static const int calls[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
		SCMP_SYS(close), SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap),
		SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(mprotect),
		SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(gettimeofday),
		SCMP_SYS(nanosleep), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
		SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
		SCMP_SYS(epoll_ctl), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(futex),
		SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom), SCMP_SYS(sendto),
		SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(getrandom),
		SCMP_SYS(restart_syscall), SCMP_SYS(sigaltstack), SCMP_SYS(sched_yield),
	};
	size_t	 i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		sandbox_seccomp_allow(ctx, calls[i]);
}

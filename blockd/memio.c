/*
 * Reads and writes of a memory-backed image through a mapping (memio.h).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "memio.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22	/* Linux 5.14 */
#endif

/* Where a SIGBUS during the copy in progress returns to; NULL outside a
 * copy.  blockd has one thread. */
static sigjmp_buf *volatile memio_jump;

static void
memio_on_sigbus(int sig, siginfo_t *si, void *uc)
{
	static const char msg[] = "aoede-blockd: SIGBUS outside an image copy\n";

	(void)sig;
	(void)si;
	(void)uc;
	/* SA_NODEFER: leaving by the jump leaves SIGBUS unblocked */
	if (memio_jump != NULL)
		siglongjmp(*memio_jump, 1);
	/* not a fault of ours to turn into an I/O error: a bug; die of it
	 * (the supervisor logs the status and restarts blockd) */
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(128 + SIGBUS);
}

/* Installed at every mapping (a few per start), not once: a test harness
 * (cmocka) puts its own SIGBUS handler back around each test. */
static bool
memio_catch_sigbus(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = memio_on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) == -1) {
		log_warn("SIGBUS handler");
		return false;
	}
	return true;
}

/* The tmpfs file x's export lies in, if it is fully allocated: its size,
 * else 0. */
static uint64_t
memio_mappable(const struct export *x)
{
	struct stat	 st;
	uint64_t	 end = x->offset + x->sectors * 512;

	if (fstat(x->fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size <= 0)
		return 0;
	if ((uint64_t)st.st_size < end)
		return 0;
	/* a read through the mapping would allocate every hole it meets */
	if ((uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size) {
		log_info("%s: sparse tmpfs image: reads and writes by system call",
		    x->name);
		return 0;
	}
	return (uint64_t)st.st_size;
}

bool
memio_map(struct export *x)
{
	uint64_t	 size;
	int		 prot = PROT_READ, fl;
	void		*m;

	x->map = NULL;
	x->map_len = 0;
	x->map_writable = false;
	if ((size = memio_mappable(x)) == 0 || size > SIZE_MAX ||
	    !memio_catch_sigbus())
		return false;
	fl = fcntl(x->fd, F_GETFL);
	if (fl != -1 && (fl & O_ACCMODE) == O_RDWR && !(x->flags & EXPORT_RDONLY))
		prot |= PROT_WRITE;
	m = mmap(NULL, (size_t)size, prot, MAP_SHARED, x->fd, 0);
	if (m == MAP_FAILED) {
		log_warn("%s: mapping the tmpfs image", x->name);
		return false;
	}
	/* page tables now rather than a fault at each first touch; an older
	 * kernel without it faults them in as they come */
	(void)madvise(m, (size_t)size, MADV_POPULATE_READ);
	x->map = m;
	x->map_len = (size_t)size;
	x->map_writable = (prot & PROT_WRITE) != 0;
	log_info("%s: tmpfs image mapped (%ju bytes%s)", x->name,
	    (uintmax_t)size, x->map_writable ? "" : ", read-only");
	return true;
}

void
memio_unmap(struct export *x)
{
	if (x->map != NULL)
		(void)munmap(x->map, x->map_len);
	x->map = NULL;
	x->map_len = 0;
	x->map_writable = false;
}

bool
memio_covers(const struct export *x, bool rd, uint64_t off, size_t len)
{
	return x->map != NULL && (rd || x->map_writable) &&
	    off <= x->map_len && len <= x->map_len - off;
}

/* The copies themselves, apart: nothing of theirs lives across the jump. */
static __attribute__((noinline)) size_t
memio_copy(uint8_t *p, bool rd, const struct iovec *iov, unsigned n)
{
	size_t		 done = 0;
	unsigned	 i;

	for (i = 0; i < n; i++) {
		if (rd)
			memcpy(iov[i].iov_base, p + done, iov[i].iov_len);
		else
			memcpy(p + done, iov[i].iov_base, iov[i].iov_len);
		done += iov[i].iov_len;
	}
	return done;
}

ssize_t
memio_transfer(struct export *x, bool rd, const struct iovec *iov,
    unsigned n, uint64_t off)
{
	sigjmp_buf	 jb;
	size_t		 done;

	/* no signal mask saved: sigsetjmp makes no system call */
	if (sigsetjmp(jb, 0) != 0) {
		memio_jump = NULL;
		log_warnx("%s: %s at byte %" PRIu64 " of the mapped image faulted "
		    "(file truncated, or no memory for a page); by system call "
		    "from now on", x->name, rd ? "a read" : "a write", off);
		memio_unmap(x);
		errno = EIO;
		return -1;
	}
	memio_jump = &jb;
	/* the copies below stay after the store above and before the one
	 * after them: what faults is inside the window */
	atomic_signal_fence(memory_order_seq_cst);
	done = memio_copy(x->map + off, rd, iov, n);
	atomic_signal_fence(memory_order_seq_cst);
	memio_jump = NULL;
	return (ssize_t)done;
}

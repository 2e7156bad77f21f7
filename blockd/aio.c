/*
 * The engine's asynchronous I/O: one io_uring for every export (DESIGN.md
 * §2, §3).  Reads land in the reply buffer (or in cache blocks), writes go
 * from the request buffer; completions come back through engine_aio_reap(),
 * which blockd calls when the ring's eventfd fires.
 *
 * Group commit ("sync" exports): a completed write waits in its export's
 * `waiting` queue; when no other write of the export is in flight (or
 * ENGINE_COMMIT_MAX are waiting) one IORING_OP_FSYNC(DATASYNC) is submitted
 * and everything waiting moves to `covered`: only writes whose completion
 * was seen before the fsync was submitted are covered by it.  When it
 * succeeds they are acknowledged; when it fails they all fail — and so does
 * everything that completed while it was in flight, since that fsync may
 * have consumed the error of their pages too.
 *
 * FLUSH CACHE waits in `waiting` with a barrier (the number of the next
 * write at its arrival) and is covered by the first fsync submitted after
 * every earlier write completed — held-back writes included.
 *
 * Ordering: the kernel may complete two overlapping writes in flight at
 * once in either order, so a late duplicate of an old write could land
 * over a newer one.  A write or read that overlaps an earlier-arrived write
 * still in flight or held back waits in its export's `blocked` queue (in
 * arrival order) and is started once none does: overlapping writes land in
 * arrival order, and a read sees every write that arrived before it, as
 * the synchronous path does.  Every completion of a request of an export
 * with something blocked rescans its queue (both lists are short: bounded
 * by the ring buffers); the common case costs one TAILQ_EMPTY.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <liburing.h>

#include "engine_int.h"
#include "fullio.h"
#include "log.h"

static struct io_uring_sqe *
aio_sqe(struct engine *e)
{
	struct io_uring_sqe	*sqe;

	if ((sqe = io_uring_get_sqe(e->ring)) != NULL)
		return sqe;
	/* the submission queue is full: hand it to the kernel, try again */
	(void)io_uring_submit(e->ring);
	return io_uring_get_sqe(e->ring);
}

int
aio_queue_rw(struct engine *e, struct engine_io *io)
{
	struct export		*x = io->r.x;
	struct io_uring_sqe	*sqe;
	uint8_t			*data = io->r.frame + AOE_ATA_HDR_LEN;
	size_t			 skip = io->done;
	unsigned		 i, n = 0;

	if ((sqe = aio_sqe(e)) == NULL)
		return -EBUSY;
	if (io->nfill > 0) {
		/* what is left of the fill: whole blocks, the first one
		 * perhaps partly done */
		for (i = 0; i < io->nfill; i++) {
			if (skip >= io->iov[i].iov_len) {
				skip -= io->iov[i].iov_len;
				continue;
			}
			io->qiov[n].iov_base = (uint8_t *)io->iov[i].iov_base + skip;
			io->qiov[n].iov_len = io->iov[i].iov_len - skip;
			skip = 0;
			n++;
		}
		io_uring_prep_readv(sqe, x->fixed, io->qiov, n,
		    x->offset + io->fill_first * CACHE_BLOCK + io->done);
	} else if (io->op == ENGINE_IO_READ)
		io_uring_prep_read(sqe, x->fixed, data + io->done,
		    (unsigned)(io->n - io->done), io->off + io->done);
	else
		io_uring_prep_write(sqe, x->fixed, data + io->done,
		    (unsigned)(io->n - io->done), io->off + io->done);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, io);
	return 0;
}

/* Do [a, a + an) and [b, b + bn) share a sector? */
static bool
aio_overlap(uint64_t a, unsigned an, uint64_t b, unsigned bn)
{
	return a < b + bn && b < a + an;
}

/* Must io wait: does a write that arrived before it and overlaps it sit in
 * `inflight`, or in `blocked` ahead of io (all of it when io is new)? */
static bool
aio_must_wait(const struct export *x, const struct engine_io *io)
{
	const struct engine_io	*w;

	TAILQ_FOREACH(w, &x->aio.inflight, link) {
		if (w->seq >= io->seq)
			break;		/* by seq: the rest arrived after io */
		if (aio_overlap(w->lba, w->a.scnt, io->lba, io->a.scnt))
			return true;
	}
	TAILQ_FOREACH(w, &x->aio.blocked, link) {
		if (w == io)
			break;
		if (w->op == ENGINE_IO_WRITE &&
		    aio_overlap(w->lba, w->a.scnt, io->lba, io->a.scnt))
			return true;
	}
	return false;
}

bool
aio_arrive(struct engine_io *io)
{
	struct export	*x = io->r.x;

	io->seq = io->op == ENGINE_IO_WRITE ? x->aio.next_seq++ :
	    x->aio.next_seq;
	if (TAILQ_EMPTY(&x->aio.inflight) && TAILQ_EMPTY(&x->aio.blocked))
		return false;
	if (!aio_must_wait(x, io))
		return false;
	TAILQ_INSERT_TAIL(&x->aio.blocked, io, link);
	x->st.held++;
	return true;
}

void
aio_write_started(struct engine_io *io)
{
	struct export		*x = io->r.x;
	struct engine_io	*w;

	/* by seq: a write released from `blocked` may be older than writes
	 * that went at once after it arrived */
	TAILQ_FOREACH_REVERSE(w, &x->aio.inflight, engine_ioq, link)
		if (w->seq < io->seq)
			break;
	if (w == NULL)
		TAILQ_INSERT_HEAD(&x->aio.inflight, io, link);
	else
		TAILQ_INSERT_AFTER(&x->aio.inflight, w, io, link);
}

void
aio_flush_wait(struct engine_io *io)
{
	struct export	*x = io->r.x;

	io->seq = x->aio.next_seq;	/* writes numbered below must be done */
	TAILQ_INSERT_TAIL(&x->aio.waiting, io, link);
}

void
aio_finish(struct engine *e, struct engine_io *io, size_t len)
{
	e->pending--;
	if (e->done != NULL)
		e->done(e->done_arg, io, len);
}

/*
 * Start what in x's `blocked` queue no longer waits, in arrival order.  One
 * pass is enough: a request only ever waits for earlier arrivals, which the
 * pass has already looked at.  ata_io_start() does not touch the queue (a
 * synchronous fallback completes through ata_io_done(), which does not
 * release; the inline flush it runs first releases only after gathered
 * writes, and writes gather only while a batch arrives, never while
 * completions are handled), and e->done must not call back into the engine.
 */
void
aio_release(struct engine *e, struct export *x)
{
	struct engine_io	*io, *next;
	size_t			 len;

	for (io = TAILQ_FIRST(&x->aio.blocked); io != NULL; io = next) {
		next = TAILQ_NEXT(io, link);
		if (aio_must_wait(x, io))
			continue;
		TAILQ_REMOVE(&x->aio.blocked, io, link);
		if ((len = ata_io_start(e, io)) != ENGINE_PENDING)
			aio_finish(e, io, len);
	}
}

void
engine_aio_export_init(struct export *x, int fixed)
{
	TAILQ_INIT(&x->aio.inflight);
	TAILQ_INIT(&x->aio.blocked);
	TAILQ_INIT(&x->aio.waiting);
	TAILQ_INIT(&x->aio.covered);
	x->aio.fsync_op.ud = ENGINE_UD_FSYNC;
	x->aio.fsync_op.x = x;
	x->fixed = fixed;
}

int
engine_aio_setup(struct engine *e, unsigned entries, int efd)
{
	struct io_uring_params	 p;
	struct io_uring_restriction res[8];
	static const uint8_t	 ops[] = { IORING_OP_READ, IORING_OP_WRITE,
	    IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC };
	struct io_uring		*ring;
	int			*fds, rc;
	unsigned		 i, nres = 0, cq = 1;
	unsigned		 max_workers[2] = { 16, 4 };	/* bound, unbound */

	if ((ring = calloc(1, sizeof(*ring))) == NULL ||
	    (fds = calloc(e->nexports + 1, sizeof(int))) == NULL) {
		free(ring);
		return -ENOMEM;
	}
	/* every buffer of every NIC may be in flight at once, plus fsyncs:
	 * size the completion queue for that (the kernel would otherwise
	 * keep the overflow, but that costs) */
	while (cq < 2 * entries && cq < 65536)
		cq <<= 1;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_R_DISABLED | IORING_SETUP_CQSIZE;
	p.cq_entries = cq;
	if ((rc = io_uring_queue_init_params(entries < 256 ? entries : 256,
	    ring, &p)) < 0) {
		free(ring);
		free(fds);
		return rc;
	}
	for (i = 0; i < e->nexports; i++)
		fds[i] = e->exports[i].fd;
	if ((rc = io_uring_register_files(ring, fds, e->nexports)) < 0 ||
	    (efd >= 0 && (rc = io_uring_register_eventfd(ring, efd)) < 0))
		goto fail;
	/* kernel worker threads for blocking work: bounded, and well within
	 * blockd's RLIMIT_NPROC (BLOCKD_IO_WORKERS) */
	(void)io_uring_register_iowq_max_workers(ring, max_workers);
	for (i = 0; i < sizeof(ops); i++) {
		res[nres].opcode = IORING_RESTRICTION_SQE_OP;
		res[nres++].sqe_op = ops[i];
	}
	/* registered files only: not even a stray fd of ours can be reached */
	res[nres].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[nres++].sqe_flags = IOSQE_FIXED_FILE;
	res[nres].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[nres++].sqe_flags = IOSQE_FIXED_FILE;
	/* no IORING_RESTRICTION_REGISTER_OP: nothing may be registered later */
	/* Debian's liburing 2.3 declares io_uring_register_restrictions() and
	 * io_uring_enable_rings() but does not export them: the raw call */
	if ((rc = io_uring_register((unsigned)ring->ring_fd,
	    IORING_REGISTER_RESTRICTIONS, res, nres)) < 0 ||
	    (rc = io_uring_register((unsigned)ring->ring_fd,
	    IORING_REGISTER_ENABLE_RINGS, NULL, 0)) < 0)
		goto fail;
	free(fds);
	for (i = 0; i < e->nexports; i++)
		engine_aio_export_init(&e->exports[i], (int)i);
	e->ring = ring;
	return 0;
fail:
	io_uring_queue_exit(ring);
	free(ring);
	free(fds);
	return rc;
}

void
engine_aio_teardown(struct engine *e)
{
	if (e->ring == NULL)
		return;
	io_uring_queue_exit(e->ring);
	free(e->ring);
	e->ring = NULL;
}

int
engine_aio_submit(struct engine *e)
{
	int	 rc;

	if (e->ring == NULL)
		return 0;
	/* gathered inline reads and writes first: what they cannot do goes
	 * to the ring with this submit */
	engine_inline_flush(e);
	do
		rc = io_uring_submit(e->ring);
	while (rc == -EINTR);
	/* EBUSY/EAGAIN: completions must be reaped first; what is queued
	 * stays queued and goes with the next submit */
	if (rc == -EBUSY || rc == -EAGAIN)
		return 0;
	return rc < 0 ? rc : 0;
}

/* The fsync of x finished: answer what it covered. */
static void
aio_fsync_done(struct engine *e, struct export *x, int res)
{
	struct engine_io	*io;
	unsigned		 n = 0;

	x->aio.fsync_busy = false;
	e->fsyncs_busy--;
	if (res < 0) {
		/* this fsync may have reported (and so cleared) the error of
		 * pages written by what completed while it ran: fail those
		 * too, rather than let a later fsync acknowledge them */
		while ((io = TAILQ_FIRST(&x->aio.waiting)) != NULL) {
			TAILQ_REMOVE(&x->aio.waiting, io, link);
			if (io->op == ENGINE_IO_WRITE)
				x->aio.nwait_writes--;
			TAILQ_INSERT_TAIL(&x->aio.covered, io, link);
		}
		TAILQ_FOREACH(io, &x->aio.covered, link)
			n++;
		x->st.err_io++;
		log_warnx("%s: fdatasync failed: %s; failing the %u requests "
		    "it covered", x->name, strerror(-res), n);
		if (x->cache != NULL)
			cache_clear(x->cache);
	}
	while ((io = TAILQ_FIRST(&x->aio.covered)) != NULL) {
		TAILQ_REMOVE(&x->aio.covered, io, link);
		aio_finish(e, io, ata_io_synced(io, res));
	}
}

void
engine_aio_complete(struct engine *e, void *ud, int res)
{
	struct engine_io	*io;
	struct export		*x;
	size_t			 len;

	switch (*(const uint8_t *)ud) {
	case ENGINE_UD_REQ:
		io = ud;
		x = io->r.x;	/* io may be reused once finished */
		if ((len = ata_io_done(e, io, res)) != ENGINE_PENDING)
			aio_finish(e, io, len);
		/* a write left `inflight`: what waited for it may start */
		if (!TAILQ_EMPTY(&x->aio.blocked))
			aio_release(e, x);
		break;
	case ENGINE_UD_FSYNC:
		aio_fsync_done(e, ((struct engine_fsync *)ud)->x, res);
		break;
	default:
		fatalx("io_uring completion with unknown user data");
	}
}

/* The number of the oldest write not completed (in flight or held back),
 * UINT64_MAX if none. */
static uint64_t
aio_min_seq(const struct export *x)
{
	const struct engine_io	*io;
	uint64_t		 min = UINT64_MAX;

	if (!TAILQ_EMPTY(&x->aio.inflight))
		min = TAILQ_FIRST(&x->aio.inflight)->seq;
	TAILQ_FOREACH(io, &x->aio.blocked, link)
		if (io->op == ENGINE_IO_WRITE) {
			if (io->seq < min)
				min = io->seq;
			break;		/* by arrival: the oldest held back */
		}
	return min;
}

/* Does x need an fsync now, and which flushes may it cover? */
static bool
aio_commit_due(const struct export *x, uint64_t *min_seq)
{
	const struct engine_io	*io;

	if (x->aio.fsync_busy || TAILQ_EMPTY(&x->aio.waiting))
		return false;
	*min_seq = aio_min_seq(x);
	/* more writes in flight will want the same fsync: wait for them,
	 * unless enough are waiting already */
	if (x->aio.nwait_writes > 0 && (*min_seq == UINT64_MAX ||
	    x->aio.nwait_writes >= ENGINE_COMMIT_MAX))
		return true;
	TAILQ_FOREACH(io, &x->aio.waiting, link)
		if (io->op == ENGINE_IO_FLUSH && io->seq <= *min_seq)
			return true;
	return false;
}

/* What waits for x's fsync and this one covers moves to `covered`; the
 * fsync is then x's one in flight. */
static void
aio_cover_waiting(struct engine *e, struct export *x, uint64_t min_seq)
{
	struct engine_io	*io, *next;

	for (io = TAILQ_FIRST(&x->aio.waiting); io != NULL; io = next) {
		next = TAILQ_NEXT(io, link);
		if (io->op == ENGINE_IO_FLUSH && io->seq > min_seq)
			continue;	/* an earlier write is in flight */
		if (io->op == ENGINE_IO_WRITE)
			x->aio.nwait_writes--;
		TAILQ_REMOVE(&x->aio.waiting, io, link);
		TAILQ_INSERT_TAIL(&x->aio.covered, io, link);
	}
	x->aio.fsync_busy = true;
	e->fsyncs_busy++;
	x->st.fsyncs++;
}

/*
 * The group commit of a memory-backed (tmpfs) image: its fdatasync waits
 * for no device, so it is made at once rather than through the ring,
 * which would cost a ring round and a wake-up of blockd per commit.  What
 * it answers may let held-back requests start, and their writes wait for
 * a commit again: hence the loop (each round answers what waited).
 */
static void
aio_commit_inline(struct engine *e, struct export *x)
{
	uint64_t	 min_seq;

	while (aio_commit_due(x, &min_seq)) {
		aio_cover_waiting(e, x, min_seq);
		aio_fsync_done(e, x, full_fdatasync(x->fd));
		engine_inline_flush(e);
	}
}

void
engine_aio_commit(struct engine *e)
{
	struct io_uring_sqe	*sqe;
	struct export		*x;
	uint64_t		 min_seq;
	unsigned		 i;

	if (e->ring == NULL)
		return;
	/* gathered "sync" writes join this commit, and a FLUSH behind
	 * gathered writes is not left waiting for a later one */
	engine_inline_flush(e);
	for (i = 0; i < e->nexports; i++) {
		x = &e->exports[i];
		if (x->inline_wr == EXPORT_INLINE_MEMORY) {
			aio_commit_inline(e, x);
			continue;
		}
		if (!aio_commit_due(x, &min_seq))
			continue;
		if ((sqe = aio_sqe(e)) == NULL)
			return;		/* the next reap tries again */
		aio_cover_waiting(e, x, min_seq);
		io_uring_prep_fsync(sqe, x->fixed, IORING_FSYNC_DATASYNC);
		sqe->flags |= IOSQE_FIXED_FILE;
		io_uring_sqe_set_data(sqe, &x->aio.fsync_op);
	}
}

unsigned
engine_aio_drop(struct engine *e, const void *owner)
{
	struct engine_io	*io, *next;
	struct export		*x;
	unsigned		 i, n = 0, nx;
	int			 rc;

	if (e->ring == NULL)
		return 0;
	for (i = 0; i < e->nexports; i++) {
		x = &e->exports[i];
		nx = 0;
		for (io = TAILQ_FIRST(&x->aio.blocked); io != NULL; io = next) {
			next = TAILQ_NEXT(io, link);
			if (io->owner != owner)
				continue;
			TAILQ_REMOVE(&x->aio.blocked, io, link);
			nx++;
			aio_finish(e, io, 0);
		}
		/* a dropped write no longer holds back what came after it */
		if (nx > 0 && !TAILQ_EMPTY(&x->aio.blocked))
			aio_release(e, x);
		n += nx;
	}
	if (n > 0) {
		engine_aio_commit(e);
		if ((rc = engine_aio_submit(e)) < 0)
			fatalx("io_uring submit: %s", strerror(-rc));
	}
	return n;
}

unsigned
engine_aio_reap(struct engine *e)
{
	struct io_uring_cqe	*cqe;
	unsigned		 n = 0;
	void			*ud;
	int			 res, rc;

	if (e->ring == NULL)
		return 0;
	while (io_uring_peek_cqe(e->ring, &cqe) == 0) {
		ud = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		io_uring_cqe_seen(e->ring, cqe);
		engine_aio_complete(e, ud, res);
		n++;
	}
	engine_aio_commit(e);
	if ((rc = engine_aio_submit(e)) < 0)
		fatalx("io_uring submit: %s", strerror(-rc));
	return n;
}

void
engine_aio_drain(struct engine *e)
{
	struct io_uring_cqe	*cqe;
	int			 rc;

	if (e->ring == NULL)
		return;
	engine_aio_reap(e);
	while (e->pending > 0 || e->fsyncs_busy > 0) {
		rc = io_uring_wait_cqe(e->ring, &cqe);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN)
			fatalx("io_uring wait: %s", strerror(-rc));
		engine_aio_reap(e);
	}
}

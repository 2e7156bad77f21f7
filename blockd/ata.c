/*
 * AoE command 0: ATA commands against an export's image, and the IDENTIFY
 * DEVICE data that describes it (PROTOCOL.md §1.3, §2.4).
 *
 * Every ATA-level failure (range, read-only, I/O error, unknown command) is
 * reported through the ATA status and error registers, never through the
 * AoE error flag: the Linux initiator drops AoE-error replies and retries
 * for 180 s before it declares the device dead.
 */
#include <sys/statfs.h>
#include <sys/uio.h>

#include <linux/magic.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "engine_int.h"
#include "fullio.h"
#include "log.h"
#include "memio.h"

#define ATA_SECTOR		512
#define ATA_STAT_OK		ATA_STAT_DRDY
#define ATA_STAT_FAIL		(ATA_STAT_DRDY | ATA_STAT_ERR)
#define ATA_LBA28_MAX		0x0FFFFFFFu
#define ATA_FW_STRING		"AoEde1"

typedef size_t (*ata_cmd_fn)(struct engine_req *, struct aoe_ata *);

static size_t	ata_identify(struct engine_req *, struct aoe_ata *);
static size_t	ata_read(struct engine_req *, struct aoe_ata *);
static size_t	ata_write(struct engine_req *, struct aoe_ata *);
static size_t	ata_flush(struct engine_req *, struct aoe_ata *);
static size_t	ata_check_power(struct engine_req *, struct aoe_ata *);

/* ATA command → handler; anything not listed is aborted. */
static const struct {
	uint8_t		 cmd;
	ata_cmd_fn	 fn;
} ata_cmds[] = {
	{ ATA_CMD_IDENTIFY,	ata_identify },
	{ ATA_CMD_READ,		ata_read },
	{ ATA_CMD_READ_EXT,	ata_read },
	{ ATA_CMD_WRITE,	ata_write },
	{ ATA_CMD_WRITE_EXT,	ata_write },
	{ ATA_CMD_FLUSH,	ata_flush },
	{ ATA_CMD_FLUSH_EXT,	ata_flush },
	{ ATA_CMD_CHECK_POWER,	ata_check_power },
};

/*
 * Write the ATA registers of the reply and finish it with `datalen` bytes
 * of data after the 36-byte header.  The LBA and AFlags are echoed as sent.
 */
static size_t
ata_done(struct engine_req *r, struct aoe_ata *a, uint8_t status,
    uint8_t error, uint8_t scnt, size_t datalen)
{
	a->cmd_status = status;
	a->err_feature = error;
	a->scnt = scnt;
	aoe_ata_encode(r->frame, a);
	if (r->seen != NULL)
		ext_write_done(r, status, error, scnt);
	/* data (a read, IDENTIFY) carries the CRC for a crc8x4 initiator */
	if (datalen > 0)
		datalen = ext_read_crc(r, datalen);
	return engine_reply(r, AOE_ATA_HDR_LEN + datalen, 0);
}

static size_t
ata_ok(struct engine_req *r, struct aoe_ata *a, size_t datalen)
{
	return ata_done(r, a, ATA_STAT_OK, 0, 0, datalen);
}

/* On error the sector count is left as sent: nothing was done. */
static size_t
ata_fail(struct engine_req *r, struct aoe_ata *a, uint8_t error)
{
	return ata_done(r, a, ATA_STAT_FAIL, error, a->scnt, 0);
}

/* Does a reply carrying `nsect` sectors fit the buffer? */
static int
ata_fits(const struct engine_req *r, unsigned nsect)
{
	return r->cap >= AOE_ATA_HDR_LEN + (size_t)nsect * ATA_SECTOR;
}

/* Is [lba, lba + scnt) inside the export? */
static int
ata_in_range(const struct export *x, uint64_t lba, unsigned scnt)
{
	return lba <= x->sectors && scnt <= x->sectors - lba;
}

static void
ata_log_io(const struct export *x, const char *what, unsigned scnt,
    uint64_t lba, uint64_t off, int err)
{
	log_warnx("%s: %s of %u sectors at lba %" PRIu64 " (byte offset %"
	    PRIu64 ") failed: %s", x->name, what, scnt, lba, off,
	    strerror(err));
}

/* Keep what the asynchronous path needs of a request in its io. */
static void
ata_io_init(struct engine_req *r, struct aoe_ata *a, uint8_t op,
    uint64_t lba, uint64_t off, size_t n)
{
	struct engine_io	*io = r->io;

	io->ud = ENGINE_UD_REQ;
	io->op = op;
	io->r = *r;
	io->r.sync_export = &io->sync_dummy;
	io->a = *a;
	io->lba = lba;
	io->off = off;
	io->n = n;
	io->done = 0;
	io->nfill = 0;
}

static size_t
ata_identify(struct engine_req *r, struct aoe_ata *a)
{
	/* Trailing data (aoeping, aoe-sancheck probes) is ignored: the reply
	 * is exactly one sector. */
	if (!ata_fits(r, 1))
		return 0;
	engine_identify(r->x, r->frame + AOE_ATA_HDR_LEN);
	r->x->st.identifies++;
	return ata_ok(r, a, ATA_SECTOR);
}

static size_t
ata_read_done(struct engine_req *r, struct aoe_ata *a, uint64_t lba, size_t n)
{
	r->x->st.reads++;
	r->x->st.read_bytes += n;
	return ata_ok(r, a, n);
}

/* A miss read synchronously, through the cache when its blocks can be
 * filled; 0 or -errno. */
static int
ata_read_sync(struct export *x, uint8_t *out, uint64_t lba, unsigned scnt,
    uint64_t off, size_t n)
{
	struct iovec	 iov[CACHE_FILL_MAX];
	int32_t		 slots[CACHE_FILL_MAX];
	uint64_t	 first;
	unsigned	 nfill = 0;
	int		 rc;

	/* frozen or merging: each run from where its newest data is; no
	 * cache fill (a fill reads whole blocks from the image) */
	if (shadow_active(&x->shadow))
		return shadow_read(&x->shadow, x->fd, x->offset, out, lba, scnt);
	if (x->cache != NULL)
		nfill = cache_fill_begin(x->cache, lba, scnt, slots, iov, &first);
	if (nfill == 0)
		return full_pread(x->fd, out, n, off);
	rc = full_preadv(x->fd, iov, nfill,
	    x->offset + first * CACHE_BLOCK);
	if (rc == 0)
		cache_fill_copy(x->cache, slots, first, lba, scnt, out);
	cache_fill_end(x->cache, slots, nfill, rc == 0);
	return rc;
}

void
engine_inline_setup(struct export *x)
{
	struct statfs	 sf;

	x->inline_rd = x->inline_wr = EXPORT_INLINE_NONE;
	if (x->flags & EXPORT_DIRECT)
		return;
	if (fstatfs(x->fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC) {
		x->inline_rd = x->inline_wr = EXPORT_INLINE_MEMORY;
		(void)memio_map(x);
	} else
		x->inline_rd = x->inline_wr = EXPORT_INLINE_NOWAIT;
	log_debug("%s: inline I/O %s", x->name,
	    x->inline_rd != EXPORT_INLINE_MEMORY ? "(RWF_NOWAIT)" :
	    x->map != NULL ? "(tmpfs, mapped)" : "(tmpfs)");
}

/*
 * A memory-backed image's transfer as a copy through its mapping
 * (memio.h): the bytes, or -1 when it is not mapped there or the copy
 * faulted (the mapping is then gone): the system call does it instead.
 */
static ssize_t
ata_memio(struct export *x, bool rd, const struct iovec *iov, unsigned niov,
    uint64_t off, size_t len)
{
	if (!memio_covers(x, rd, off, len))
		return -1;
	return memio_transfer(x, rd, iov, niov, off);
}

/*
 * Inline I/O (engine_inline_setup()): try io's read or write at once.
 * Returns true with *len set when part or all of the transfer was done: it
 * then completes as a ring completion would (ata_io_done(): the reply
 * length, or ENGINE_PENDING when the rest went to the ring or a "sync"
 * write waits in `waiting` for its group commit's fsync, which goes through
 * the ring as always: the caller runs engine_aio_commit() after its batch).
 * false: nothing was transferred (it would wait, or an error the ring then
 * meets again and reports as usual): queue it.
 *
 * Ordering is unchanged: io got here only once aio_arrive() let it start,
 * and a write sits in `inflight` (aio_write_started()) while it runs.
 */
static bool
ata_io_inline(struct engine *e, struct engine_io *io, size_t *len)
{
	struct export	*x = io->r.x;
	struct iovec	 one, *iov = &one;
	unsigned	 niov = 1;
	uint64_t	 off = io->off;
	uint8_t		 mode;
	ssize_t		 got;

	mode = io->op == ENGINE_IO_READ ? x->inline_rd : x->inline_wr;
	if (mode == EXPORT_INLINE_NONE || io->done != 0)
		return false;
	if (io->nfill > 0) {
		/* a cache fill: whole blocks, into the cache */
		iov = io->iov;
		niov = io->nfill;
		off = x->offset + io->fill_first * CACHE_BLOCK;
	} else {
		one.iov_base = io->r.frame + AOE_ATA_HDR_LEN;
		one.iov_len = io->n;
	}
	if (mode == EXPORT_INLINE_MEMORY && (got = ata_memio(x,
	    io->op == ENGINE_IO_READ, iov, niov, off, io->nfill > 0 ?
	    (size_t)io->nfill * CACHE_BLOCK : io->n)) > 0) {
		*len = ata_io_done(e, io, (int)got);
		return true;
	}
	do {
		if (io->op == ENGINE_IO_READ)
			got = preadv2(x->fd, iov, (int)niov, (off_t)off,
			    mode == EXPORT_INLINE_NOWAIT ? RWF_NOWAIT : 0);
		else
			got = pwritev2(x->fd, iov, (int)niov, (off_t)off,
			    mode == EXPORT_INLINE_NOWAIT ? RWF_NOWAIT : 0);
	} while (got == -1 && errno == EINTR);
	if (got > 0) {
		*len = ata_io_done(e, io, (int)got);
		return true;
	}
	/* no RWF_NOWAIT here (ext4 buffered writes, FUSE, ...): stop trying */
	if (got == -1 && errno == EOPNOTSUPP) {
		if (io->op == ENGINE_IO_READ)
			x->inline_rd = EXPORT_INLINE_NONE;
		else
			x->inline_wr = EXPORT_INLINE_NONE;
	}
	return false;
}

/* A read that inline I/O did not do: through io_uring, else synchronously. */
static size_t
ata_read_queue(struct engine_req *r, struct aoe_ata *a, struct engine_io *io,
    uint64_t lba, uint64_t off, size_t n)
{
	struct export	*x = r->x;
	int		 rc;

	if (io != NULL) {
		if (aio_queue_rw(io->e, io) == 0)
			return ENGINE_PENDING;
		if (io->nfill > 0)
			cache_fill_end(x->cache, io->slots, io->nfill, false);
		io->nfill = 0;
	}
	if ((rc = ata_read_sync(x, r->frame + AOE_ATA_HDR_LEN, lba, a->scnt,
	    off, n)) != 0) {
		x->st.err_io++;
		ata_log_io(x, "read", a->scnt, lba, off, -rc);
		return ata_fail(r, a, ATA_ERR_UNC);
	}
	return ata_read_done(r, a, lba, n);
}

/* A write that inline I/O did not do: through io_uring, else now, and
 * completed as the ring would complete it. */
static size_t
ata_write_queue(struct engine *e, struct engine_io *io)
{
	int	 rc;

	if (aio_queue_rw(e, io) == 0)
		return ENGINE_PENDING;
	/* no submission slot: write now (a caller's group commit may be
	 * gone already: the export's fsync covers it) */
	rc = full_pwrite(io->r.x->fd, io->r.frame + AOE_ATA_HDR_LEN, io->n, io->off);
	return ata_io_done(e, io, rc == 0 ? (int)io->n : rc);
}

/* io carries on from what is gathered: same export, same direction, the
 * next bytes, and there is room. */
static bool
ata_gather_continues(const struct engine *e, const struct engine_io *io)
{
	return e->gather.n > 0 && e->gather.n < ENGINE_INLINE_MAX &&
	    e->gather.x == io->r.x && e->gather.op == io->op &&
	    e->gather.end == io->off;
}

/*
 * Gather an inline read (no cache fill) or write behind the ones before it
 * when it continues them: the frames of one large request, or of
 * sequential requests, then cost one preadv2 or pwritev2
 * (engine_inline_flush()).  Anything else first does what is gathered, so
 * requests still run in the order they arrived.  A gathered write is in
 * its export's in-flight list already (aio_write_started()): a read or
 * write that overlaps it waits for it as for a write in the ring.
 */
static bool
ata_io_gather(struct engine *e, struct engine_io *io)
{
	struct export	*x = io->r.x;
	uint8_t		 mode = io->op == ENGINE_IO_READ ? x->inline_rd : x->inline_wr;

	if (io->nfill > 0 || mode == EXPORT_INLINE_NONE || io->done != 0) {
		engine_inline_flush(e);
		return false;
	}
	if (!ata_gather_continues(e, io))
		engine_inline_flush(e);	/* nothing to do when nothing is gathered */
	if (e->gather.n == 0) {
		e->gather.x = x;
		e->gather.op = io->op;
		e->gather.off = e->gather.end = io->off;
	}
	e->gather.io[e->gather.n] = io;
	e->gather.iov[e->gather.n].iov_base = io->r.frame + AOE_ATA_HDR_LEN;
	e->gather.iov[e->gather.n].iov_len = io->n;
	e->gather.n++;
	e->gather.end += io->n;
	return true;
}

/* One preadv2 or pwritev2 for everything gathered; bytes or -1. */
static ssize_t
ata_gather_transfer(struct engine *e)
{
	struct export	*x = e->gather.x;
	bool		 rd = e->gather.op == ENGINE_IO_READ;
	uint8_t		 mode = rd ? x->inline_rd : x->inline_wr;
	int		 flags = mode == EXPORT_INLINE_NOWAIT ? RWF_NOWAIT : 0;
	ssize_t		 got;

	if (mode == EXPORT_INLINE_MEMORY && (got = ata_memio(x, rd,
	    e->gather.iov, e->gather.n, e->gather.off,
	    e->gather.end - e->gather.off)) >= 0)
		return got;
	do
		got = rd ?
		    preadv2(x->fd, e->gather.iov, (int)e->gather.n, (off_t)e->gather.off, flags) :
		    pwritev2(x->fd, e->gather.iov, (int)e->gather.n, (off_t)e->gather.off, flags);
	while (got == -1 && errno == EINTR);
	/* no RWF_NOWAIT here (FUSE, ext4 buffered writes, ...): stop trying */
	if (got == -1 && errno == EOPNOTSUPP) {
		if (rd)
			x->inline_rd = EXPORT_INLINE_NONE;
		else
			x->inline_wr = EXPORT_INLINE_NONE;
	}
	return got;
}

void
engine_inline_flush(struct engine *e)
{
	struct engine_io	*ios[ENGINE_INLINE_MAX];
	struct export		*x;
	unsigned		 i, n;
	ssize_t			 got;
	size_t			 left, take, len;
	bool			 wrote;

	/* finishing a gathered write may start requests that waited for it,
	 * and a read among them gathers anew: hence the copy, and the loop */
	while ((n = e->gather.n) > 0) {
		x = e->gather.x;
		wrote = e->gather.op == ENGINE_IO_WRITE;
		got = ata_gather_transfer(e);
		memcpy(ios, e->gather.io, n * sizeof(*ios));
		e->gather.n = 0;	/* what follows may gather again */
		left = got > 0 ? (size_t)got : 0;
		for (i = 0; i < n; i++) {
			struct engine_io *io = ios[i];

			/* a short transfer (part not cached, the end of the
			 * file, a full disk) leaves the rest to the ring, as
			 * a short ring transfer would; the ring then reports
			 * the error itself */
			take = left < io->n ? left : io->n;
			left -= take;
			if (take > 0)
				len = ata_io_done(e, io, (int)take);
			else if (io->op == ENGINE_IO_READ)
				len = ata_read_queue(&io->r, &io->a, io, io->lba,
				    io->off, io->n);
			else
				len = ata_write_queue(e, io);
			if (len != ENGINE_PENDING)
				aio_finish(e, io, len);
		}
		/* what overlapped those writes waited for them */
		if (wrote && !TAILQ_EMPTY(&x->aio.blocked))
			aio_release(e, x);
	}
}

/*
 * A read whose range is checked: from the cache (a hit), else through
 * io_uring when io is set, else synchronously.  Returns the reply length or
 * ENGINE_PENDING.
 */
static size_t
ata_read_run(struct engine_req *r, struct aoe_ata *a, struct engine_io *io,
    uint64_t lba, uint64_t off, size_t n)
{
	struct export	*x = r->x;
	uint8_t		*out = r->frame + AOE_ATA_HDR_LEN;

	/* A hit costs no system call: a copy from the cache to the reply. */
	if (x->cache != NULL && a->scnt > 0) {
		if (cache_read(x->cache, lba, a->scnt, out)) {
			x->st.cache_hits++;
			return ata_read_done(r, a, lba, n);
		}
		x->st.cache_misses++;
	}
	/* Straight into the reply: frame + 36 is 512-byte aligned in production,
	 * so this works with O_DIRECT and needs no copy.  Any trailing data
	 * of the request (Linux probes) is simply overwritten. */
	if (io != NULL) {
		size_t	 len;

		if (x->cache != NULL)
			io->nfill = cache_fill_begin(x->cache, lba, a->scnt,
			    io->slots, io->iov, &io->fill_first);
		if (ata_io_gather(io->e, io))
			return ENGINE_PENDING;
		if (ata_io_inline(io->e, io, &len))
			return len;
	}
	return ata_read_queue(r, a, io, lba, off, n);
}

static size_t
ata_read(struct engine_req *r, struct aoe_ata *a)
{
	struct export	*x = r->x;
	uint64_t	 lba = aoe_ata_lba(a), off;
	size_t		 n = (size_t)a->scnt * ATA_SECTOR;

	if (!ata_in_range(x, lba, a->scnt)) {
		x->st.err_range++;
		return ata_fail(r, a, ATA_ERR_IDNF);
	}
	if (!ata_fits(r, a->scnt))
		return engine_reply_error(r, AOE_ATA_HDR_LEN, AOE_ERR_BADARG);
	off = x->offset + lba * ATA_SECTOR;
	if (r->io == NULL || n == 0)
		return ata_read_run(r, a, NULL, lba, off, n);
	/* behind an overlapping earlier write, even a cache hit would be
	 * older than that write: it waits, then runs (ata_io_start()) */
	ata_io_init(r, a, ENGINE_IO_READ, lba, off, n);
	if (aio_arrive(r->io))
		return ENGINE_PENDING;
	return ata_read_run(&r->io->r, &r->io->a, r->io, lba, off, n);
}

static size_t
ata_write(struct engine_req *r, struct aoe_ata *a)
{
	struct export	*x = r->x;
	uint64_t	 lba = aoe_ata_lba(a), off;
	size_t		 n = (size_t)a->scnt * ATA_SECTOR;
	uint8_t		*data = r->frame + AOE_ATA_HDR_LEN;
	struct ext_seen	 seen;
	int		 rc;

	/* A frame that does not carry the data it announces is malformed
	 * (as vblade); checked first, before anything about the export. */
	if (a->datalen < n)
		return engine_reply_error(r, AOE_ATA_HDR_LEN, AOE_ERR_BADARG);
	/* a crc8x4 write that does not match is not written: ICRC|ABRT, so
	 * the initiator retries (docs/extensions.md) */
	if (!ext_write_crc_ok(r, a))
		return ata_fail(r, a, ATA_ERR_ICRC | ATA_ERR_ABRT);
	switch (ext_write_arrive(r, &seen)) {
	case EXT_DUP_RUNNING:
		return 0;	/* the original's reply answers it */
	case EXT_DUP_DONE:
		if (!(x->flags & EXPORT_KERNEL) && x->sync_pending)
			*r->sync_export = x;
		return ata_done(r, a, seen.status, seen.error, seen.scnt, 0);
	case EXT_STALE:
		return ata_fail(r, a, ATA_ERR_ABRT);
	case EXT_RUN:
		break;
	}
	if (x->flags & EXPORT_RDONLY) {
		x->st.err_rdonly++;
		return ata_fail(r, a, ATA_ERR_ABRT);
	}
	if (!ata_in_range(x, lba, a->scnt)) {
		x->st.err_range++;
		return ata_fail(r, a, ATA_ERR_IDNF);
	}
	off = x->offset + lba * ATA_SECTOR;
	if (r->io != NULL && n > 0) {
		size_t	 len;

		ata_io_init(r, a, ENGINE_IO_WRITE, lba, off, n);
		/* what is gathered and this write does not continue is done
		 * first: reads of these sectors read the old data */
		if (!ata_gather_continues(r->io->e, r->io))
			engine_inline_flush(r->io->e);
		/* overlapping writes land in arrival order */
		if (aio_arrive(r->io))
			return ENGINE_PENDING;
		aio_write_started(r->io);
		if (ata_io_gather(r->io->e, r->io))
			return ENGINE_PENDING;
		if (ata_io_inline(r->io->e, r->io, &len))
			return len;
		if (aio_queue_rw(r->io->e, r->io) == 0)
			return ENGINE_PENDING;
		TAILQ_REMOVE(&x->aio.inflight, r->io, link);
	}
	if (shadow_active(&x->shadow))
		rc = shadow_write(&x->shadow, x->fd, x->offset, data, lba, a->scnt);
	else
		rc = full_pwrite(x->fd, data, n, off);
	if (rc != 0) {
		x->st.err_io++;
		if (x->cache != NULL)
			cache_write(x->cache, lba, a->scnt, data, false);
		ata_log_io(x, "write", a->scnt, lba, off, -rc);
		return ata_fail(r, a, ATA_ERR_ABRT);
	}
	/* write-through: the cache learns the data before any ack */
	if (x->cache != NULL)
		cache_write(x->cache, lba, a->scnt, data, true);
	x->st.writes++;
	x->st.write_bytes += n;
	/* "sync" mode: the reply may leave only after export_sync(), which
	 * the caller runs once for the whole batch (group commit). */
	if (!(x->flags & EXPORT_KERNEL)) {
		x->sync_pending = true;
		*r->sync_export = x;
	}
	return ata_ok(r, a, 0);
}

/*
 * The read or write of io completed with `res` (bytes or -errno).  Short
 * transfers and EINTR/EAGAIN are continued; an error fails the request
 * (never retried and forgotten); a sync-mode write that reached the kernel
 * waits for its fsync (engine_aio_commit()).
 */
size_t
ata_io_done(struct engine *e, struct engine_io *io, int res)
{
	struct engine_req	*r = &io->r;
	struct export		*x = r->x;
	struct aoe_ata		*a = &io->a;
	uint8_t			*data = r->frame + AOE_ATA_HDR_LEN;
	size_t			 total = io->nfill > 0 ?
	    (size_t)io->nfill * CACHE_BLOCK : io->n;

	bool			 again = false;

	if (res == -EINTR || res == -EAGAIN)
		again = true;
	else if (res > 0 && io->done + (size_t)res < total) {
		io->done += (size_t)res;
		again = true;
	} else if (res == 0)
		res = -EIO;	/* EOF inside the export: the image shrank */
	if (again) {
		if (aio_queue_rw(e, io) == 0)
			return ENGINE_PENDING;
		res = -EIO;
	}

	if (io->op == ENGINE_IO_READ) {
		if (io->nfill > 0) {
			if (res > 0)
				cache_fill_copy(x->cache, io->slots,
				    io->fill_first, io->lba, a->scnt, data);
			cache_fill_end(x->cache, io->slots, io->nfill, res > 0);
		}
		if (res < 0) {
			x->st.err_io++;
			ata_log_io(x, "read", a->scnt, io->lba, io->off, -res);
			return ata_fail(r, a, ATA_ERR_UNC);
		}
		return ata_read_done(r, a, io->lba, io->n);
	}

	/* a write */
	TAILQ_REMOVE(&x->aio.inflight, io, link);
	if (x->cache != NULL)
		cache_write(x->cache, io->lba, a->scnt, data, res > 0);
	if (res < 0) {
		x->st.err_io++;
		ata_log_io(x, "write", a->scnt, io->lba, io->off, -res);
		return ata_fail(r, a, ATA_ERR_ABRT);
	}
	x->st.writes++;
	x->st.write_bytes += io->n;
	if (x->flags & EXPORT_KERNEL)
		return ata_ok(r, a, 0);
	TAILQ_INSERT_TAIL(&x->aio.waiting, io, link);
	x->aio.nwait_writes++;
	return ENGINE_PENDING;
}

size_t
ata_io_start(struct engine *e, struct engine_io *io)
{
	size_t		 len;

	if (io->op == ENGINE_IO_READ)
		return ata_read_run(&io->r, &io->a, io, io->lba, io->off, io->n);
	/* what was gathered before this write arrived is done first */
	engine_inline_flush(e);
	aio_write_started(io);
	if (ata_io_inline(e, io, &len))
		return len;
	return ata_write_queue(e, io);
}

/* The fsync covering io (a sync-mode write, or a FLUSH) finished. */
size_t
ata_io_synced(struct engine_io *io, int res)
{
	struct engine_req	*r = &io->r;
	struct export		*x = r->x;

	if (res >= 0)
		return ata_ok(r, &io->a, 0);
	x->st.err_io++;
	if (io->op == ENGINE_IO_WRITE)
		log_warnx("%s: write of %u sectors at lba %" PRIu64
		    " (byte offset %" PRIu64 ") not durable: fdatasync: %s",
		    x->name, io->a.scnt, io->lba, io->off, strerror(-res));
	return ata_fail(r, &io->a, ATA_ERR_ABRT);
}

/*
 * FLUSH CACHE (EXT) is a real barrier in both durability modes.  When writes
 * of this batch are waiting for the group commit, the FLUSH joins it: one
 * fdatasync answers them all, and a failure fails them all.  Syncing here
 * instead would consume an error the kernel reports only once, and the
 * commit's next fdatasync would then acknowledge those writes falsely.
 */
static size_t
ata_flush(struct engine_req *r, struct aoe_ata *a)
{
	struct export	*x = r->x;

	x->st.flushes++;
	/* asynchronous: after every earlier write completed, one fsync */
	if (r->io != NULL) {
		ata_io_init(r, a, ENGINE_IO_FLUSH, 0, 0, 0);
		aio_flush_wait(r->io);
		return ENGINE_PENDING;
	}
	if (x->sync_pending) {
		*r->sync_export = x;
		return ata_ok(r, a, 0);
	}
	if (export_flush(x) != 0)
		return ata_fail(r, a, ATA_ERR_ABRT);
	return ata_ok(r, a, 0);
}

static size_t
ata_check_power(struct engine_req *r, struct aoe_ata *a)
{
	/* sector count 0xFF: active or idle */
	return ata_done(r, a, ATA_STAT_OK, 0, 0xFF, 0);
}

static size_t
ata_unsupported(struct engine_req *r, struct aoe_ata *a)
{
	r->x->st.err_unsupported++;
	return ata_fail(r, a, ATA_ERR_ABRT);
}

size_t
ata_handle(struct engine_req *r)
{
	struct export	*x = r->x;
	struct aoe_ata	 a;
	size_t		 i;

	if (aoe_ata_decode(r->frame, r->len, &a) != 0)
		return 0;
	/* IDENTIFY stays open to everyone so a host can still see what the
	 * reserved disk is (as vblade). */
	if (x->nreserve > 0 && a.cmd_status != ATA_CMD_IDENTIFY &&
	    !engine_mac_in((const uint8_t (*)[6])x->reserve, x->nreserve,
	    r->hdr.src))
		return engine_reply_error(r, AOE_ATA_HDR_LEN,
		    AOE_ERR_RESERVED);
	if (a.scnt > ext_max_sectors(r))
		return engine_reply_error(r, AOE_ATA_HDR_LEN, AOE_ERR_BADARG);
	for (i = 0; i < sizeof(ata_cmds) / sizeof(ata_cmds[0]); i++)
		if (ata_cmds[i].cmd == a.cmd_status)
			return ata_cmds[i].fn(r, &a);
	return ata_unsupported(r, &a);
}

/* IDENTIFY data is little-endian 16-bit words. */
static void
ata_id_word(uint8_t *id, unsigned w, uint16_t v)
{
	id[2 * w] = v & 0xff;
	id[2 * w + 1] = v >> 8;
}

/* ATA strings hold the first character of each pair in the high byte of
 * the word, and are padded with spaces. */
static void
ata_id_string(uint8_t *id, unsigned w, unsigned nwords, const char *s)
{
	size_t	 i, n = strnlen(s, nwords * 2);

	for (i = 0; i < nwords * 2; i++)
		id[2 * w + (i ^ 1)] = i < n ? (uint8_t)s[i] : ' ';
}

/* Legacy CHS geometry (words 1, 3, 6, 54–58) for initiators that still
 * look at it: 16 heads, 63 sectors, at most 16383 cylinders. */
static void
ata_id_chs(uint8_t *id, uint64_t sectors)
{
	uint64_t	 cyl = sectors / (16 * 63);
	uint32_t	 chs;

	if (cyl > 16383)
		cyl = 16383;
	chs = (uint32_t)cyl * 16 * 63;
	ata_id_word(id, 1, (uint16_t)cyl);
	ata_id_word(id, 3, 16);
	ata_id_word(id, 6, 63);
	ata_id_word(id, 53, 0x0001);	/* words 54–58 valid */
	ata_id_word(id, 54, (uint16_t)cyl);
	ata_id_word(id, 55, 16);
	ata_id_word(id, 56, 63);
	ata_id_word(id, 57, chs & 0xffff);
	ata_id_word(id, 58, chs >> 16);
}

void
engine_identify(const struct export *x, uint8_t id[512])
{
	uint64_t	 lba28 = x->sectors;
	uint8_t		 sum = 0;
	int		 wce = (x->flags & EXPORT_KERNEL) != 0;
	unsigned	 i;

	memset(id, 0, 512);
	ata_id_word(id, 0, 0x0000);		/* ATA device */
	ata_id_chs(id, x->sectors);
	ata_id_string(id, 10, 10, x->serial);
	ata_id_string(id, 23, 4, ATA_FW_STRING);
	ata_id_string(id, 27, 20, x->model);
	ata_id_word(id, 47, 0x8000);		/* no READ/WRITE MULTIPLE */
	ata_id_word(id, 49, 0x0200);		/* LBA */
	ata_id_word(id, 50, 0x4000);
	if (lba28 > ATA_LBA28_MAX)
		lba28 = ATA_LBA28_MAX;
	ata_id_word(id, 60, lba28 & 0xffff);
	ata_id_word(id, 61, (uint16_t)(lba28 >> 16));
	ata_id_word(id, 80, 0x00F0);		/* ATA-4 .. ATA-7 */
	/*
	 * LBA48 always, so Linux uses the EXT commands and words 100–103.
	 * FLUSH CACHE (EXT) really syncs.  The volatile write cache is
	 * enabled only in "kernel" mode: in "sync" mode an acknowledged write
	 * is already durable, and claiming a cache would be a lie.
	 */
	ata_id_word(id, 82, 0x4000 | 0x0020);	/* NOP, write cache */
	ata_id_word(id, 83, 0x4000 | 0x0400 | 0x1000 | 0x2000);
	ata_id_word(id, 84, 0x4000);
	ata_id_word(id, 85, 0x4000 | (wce ? 0x0020 : 0));
	ata_id_word(id, 86, 0x0400 | 0x1000 | 0x2000);
	ata_id_word(id, 87, 0x4000);
	for (i = 0; i < 4; i++)
		ata_id_word(id, 100 + i, (uint16_t)(x->sectors >> (16 * i)));
	/* word 255: signature 0xA5 and a checksum making all bytes sum to 0 */
	id[510] = 0xA5;
	for (i = 0; i < 511; i++)
		sum += id[i];
	id[511] = (uint8_t)-sum;
}

/*
 * Unit tests of blockd's inline I/O (engine_inline_setup(), ata.c): reads,
 * and writes in "kernel" mode, done at once instead of through io_uring
 * when they cannot wait for a device — without giving up the ordering of
 * overlapping requests, group commit (a "sync" write waits for an fsync
 * through the ring) or the read cache.  The io_uring is real; the image is a memfd (tmpfs:
 * EXPORT_INLINE_MEMORY) or a file in $TMPDIR or /var/tmp (RWF_NOWAIT when
 * that is not a tmpfs).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <liburing.h>

#include "engine.h"
#include "memio.h"
#include "blockd_frames.h"

#define T_IMG_SECTORS	4096u
#define T_CAP		9216u
#define T_NBUF		8
#define T_STAT_OK	0x40

static const uint8_t	T_NIC_MAC[6] = { 0x02, 0, 0, 0, 0, 0xa0 };
static const uint8_t	T_H1[6] = { 0x02, 0, 0, 0, 1, 0x01 };

static int		 t_fd = -1;
static bool		 t_fsync_fail;	/* __wrap_fdatasync fails (EIO) */
static unsigned		 t_fsyncs;	/* fdatasync calls made */

/* test_blockd_inline.mk wraps fdatasync, so a failing one can be made */
int	__real_fdatasync(int fd);
int	__wrap_fdatasync(int fd);

int
__wrap_fdatasync(int fd)
{
	t_fsyncs++;
	if (t_fsync_fail) {
		errno = EIO;
		return -1;
	}
	return __real_fdatasync(fd);
}
static char		 t_path[256];
static struct export	 t_x[2];
static struct engine	 t_e;
static struct nic_view	 t_nic;
static uint8_t		 t_bufs[T_NBUF][T_CAP] __attribute__((aligned(4096)));
static struct engine_io	 t_ios[T_NBUF];
static struct {
	bool	 done;
	size_t	 len;
}			 t_res[T_NBUF];

static uint8_t
t_pattern(uint64_t o)
{
	return (uint8_t)(o * 7 + (o >> 9) * 13 + 1);
}

static void
t_done(void *arg, struct engine_io *io, size_t len)
{
	unsigned	 i = (unsigned)(io - t_ios);

	assert_true(i < T_NBUF);
	assert_false(t_res[i].done);
	t_res[i].done = true;
	t_res[i].len = len;
	(void)arg;
}

static void
t_export(struct export *x, const char *name, uint8_t slot, uint64_t offset,
    unsigned flags)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->shelf = 1;
	x->slot = slot;
	x->fd = t_fd;
	x->offset = offset;
	x->sectors = 2048;
	x->flags = flags;
	x->nic_mask = 1;
	x->bufcnt = 16;
}

/* e1.0 sync mode (sectors 0..2047), e1.1 kernel mode (2048..4095), on a
 * memfd or (disk) a file in $TMPDIR or /var/tmp */
static int
t_setup_common(bool disk)
{
	static uint8_t	 img[T_IMG_SECTORS * 512];
	const char	*dir = getenv("TMPDIR");
	size_t		 i;

	if (disk) {
		snprintf(t_path, sizeof(t_path), "%s/aoede-inline.XXXXXX",
		    dir != NULL && *dir != '\0' ? dir : "/var/tmp");
		t_fd = mkstemp(t_path);
	} else {
		t_path[0] = '\0';
		t_fd = memfd_create("aoede-inline-img", 0);
	}
	if (t_fd < 0)
		return -1;
	for (i = 0; i < sizeof(img); i++)
		img[i] = t_pattern(i);
	assert_int_equal(pwrite(t_fd, img, sizeof(img), 0), (ssize_t)sizeof(img));
	t_export(&t_x[0], "e1.0", 0, 0, 0);
	t_export(&t_x[1], "e1.1", 1, 2048 * 512, EXPORT_KERNEL);
	memset(&t_e, 0, sizeof(t_e));
	t_e.exports = t_x;
	t_e.nexports = 2;
	t_e.done = t_done;
	memset(&t_nic, 0, sizeof(t_nic));
	t_nic.mtu = 9000;
	memcpy(t_nic.mac, T_NIC_MAC, 6);
	t_nic.max_sectors = 16;
	memset(t_res, 0, sizeof(t_res));
	memset(t_ios, 0, sizeof(t_ios));
	t_fsyncs = 0;
	t_fsync_fail = false;
	if (engine_aio_setup(&t_e, 64, -1) != 0)
		return -1;
	engine_inline_setup(&t_x[0]);
	engine_inline_setup(&t_x[1]);
	return 0;
}

static int
t_teardown(void **state)
{
	engine_aio_teardown(&t_e);
	cache_free(t_x[0].cache);
	cache_free(t_x[1].cache);
	memio_unmap(&t_x[0]);
	memio_unmap(&t_x[1]);
	close(t_fd);
	if (t_path[0] != '\0')
		unlink(t_path);
	(void)state;
	return 0;
}

static int
t_setup_mem(void **state)
{
	(void)state;
	if (t_setup_common(false) == -1) {
		t_teardown(state);
		return -1;
	}
	return 0;
}

static int
t_setup_disk(void **state)
{
	(void)state;
	if (t_setup_common(true) == -1) {
		t_teardown(state);
		return -1;
	}
	return 0;
}

static size_t
t_ata(unsigned b, uint8_t slot, uint8_t cmd, uint8_t scnt, uint64_t lba,
    uint8_t fill)
{
	return t_ata_frame(t_bufs[b], T_CAP, T_H1, slot, 0x1000 + b, cmd, scnt,
	    lba, fill);
}

static size_t
t_run(unsigned b, size_t len)
{
	size_t	 r;

	r = engine_handle_io(&t_e, &t_nic, t_bufs[b], len, T_CAP, NULL,
	    &t_ios[b]);
	assert_int_equal(engine_aio_submit(&t_e), 0);
	/* an inline read is gathered and done by the submit (through
	 * e->done, not the ring): answered at once all the same */
	if (r == ENGINE_PENDING && t_res[b].done)
		r = t_res[b].len;
	return r;
}

/* engine_handle_io() without the submit: what gathers stays pending */
static size_t
t_arrive(unsigned b, size_t len)
{
	return engine_handle_io(&t_e, &t_nic, t_bufs[b], len, T_CAP, NULL,
	    &t_ios[b]);
}

/* A WRITE EXT of scnt sectors of fill at lba of export slot, in buffer b,
 * handed over by deliver (t_run or t_arrive): held for its commit. */
static void
t_write_held(size_t (*deliver)(unsigned, size_t), unsigned b, uint8_t slot,
    uint8_t scnt, uint64_t lba, uint8_t fill)
{
	assert_int_equal(deliver(b, t_ata(b, slot, ATA_CMD_WRITE_EXT, scnt, lba,
	    fill)), ENGINE_PENDING);
}

/* nothing went to the ring */
static void
t_ring_idle(void)
{
	struct io_uring_cqe	*cqe;

	assert_int_equal(io_uring_peek_cqe(t_e.ring, &cqe), -EAGAIN);
}

static void
t_check_ok(unsigned b)
{
	assert_int_equal(t_bufs[b][27], T_STAT_OK);
	assert_int_equal(t_bufs[b][25], 0);
}

static void
t_check_data(unsigned b, uint64_t off, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (t_bufs[b][36 + i] != t_pattern(off + i))
			fail_msg("reply byte %zu is 0x%02x, not 0x%02x", i,
			    t_bufs[b][36 + i], t_pattern(off + i));
}

static void
t_check_image(uint64_t off, size_t n, uint8_t fill)
{
	uint8_t		 buf[8192];
	size_t		 i;

	assert_true(n <= sizeof(buf));
	assert_int_equal(pread(t_fd, buf, n, (off_t)off), (ssize_t)n);
	for (i = 0; i < n; i++)
		if (buf[i] != fill)
			fail_msg("image byte %zu is 0x%02x, not 0x%02x", i,
			    buf[i], fill);
}

/* --- tests -------------------------------------------------------------- */

static void
test_inline_modes(void **state)
{
	struct export	 d = t_x[1];

	/* a memfd is tmpfs: everything in memory, through a mapping (the
	 * image is written whole: no hole) */
	assert_int_equal(t_x[0].inline_rd, EXPORT_INLINE_MEMORY);
	assert_int_equal(t_x[1].inline_wr, EXPORT_INLINE_MEMORY);
	assert_non_null(t_x[0].map);
	assert_true(t_x[1].map_writable);
	/* O_DIRECT: never inline (a direct read waits for the device) */
	d.flags |= EXPORT_DIRECT;
	engine_inline_setup(&d);
	assert_int_equal(d.inline_rd, EXPORT_INLINE_NONE);
	assert_int_equal(d.inline_wr, EXPORT_INLINE_NONE);
	(void)state;
}

/* reads of both modes and kernel-mode writes are answered at once */
static void
test_inline_read_write(void **state)
{
	size_t	 len;

	len = t_run(0, t_ata(0, 0, ATA_CMD_READ_EXT, 8, 100, 0));
	assert_int_equal(len, 36 + 8 * 512);
	t_check_ok(0);
	t_check_data(0, 100 * 512, 8 * 512);
	len = t_run(1, t_ata(1, 1, ATA_CMD_READ_EXT, 3, 7, 0));
	assert_int_equal(len, 36 + 3 * 512);
	t_check_data(1, 2048 * 512 + 7 * 512, 3 * 512);

	len = t_run(2, t_ata(2, 1, ATA_CMD_WRITE_EXT, 4, 50, 0xc3));
	assert_true(len != ENGINE_PENDING && len >= 60);
	t_check_ok(2);
	t_check_image(2048 * 512 + 50 * 512, 4 * 512, 0xc3);
	assert_true(TAILQ_EMPTY(&t_x[1].aio.inflight));
	assert_int_equal(t_x[1].st.writes, 1);
	assert_int_equal(t_x[1].st.reads, 1);
	assert_int_equal(t_x[0].st.reads, 1);
	assert_int_equal(t_e.pending, 0);
	t_ring_idle();
	(void)state;
}

/* a "sync" write done inline is answered only once its group commit's
 * fsync succeeded (on tmpfs made at once by the commit the drain runs) */
static void
test_inline_sync_write(void **state)
{
	t_write_held(t_run, 0, 0, 2, 10, 0x11);
	t_write_held(t_run, 1, 0, 1, 20, 0x22);
	t_check_image(10 * 512, 2 * 512, 0x11);	/* written already */
	assert_int_equal(t_x[0].aio.nwait_writes, 2);
	assert_false(t_res[0].done);
	engine_aio_drain(&t_e);
	assert_true(t_res[0].done);
	assert_true(t_res[1].done);
	t_check_ok(0);
	t_check_ok(1);
	assert_int_equal(t_x[0].st.fsyncs, 1);	/* one for both */
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* ... and fails when that fsync fails.  Through the ring: an image that
 * is not memory-backed (the memfd taken for one; on tmpfs the fsync is
 * made at once, test_inline_sync_commit_memory) */
static void
test_inline_sync_write_fsync_fails(void **state)
{
	struct io_uring_cqe	*cqe;
	void			*ud;
	int			 res;

	t_x[0].inline_wr = EXPORT_INLINE_NOWAIT;
	t_write_held(t_run, 0, 0, 2, 10, 0x11);
	/* the write (inline, or through the ring when tmpfs refuses
	 * RWF_NOWAIT), then the fsync, whose completion we fake */
	for (;;) {
		engine_aio_commit(&t_e);
		assert_int_equal(engine_aio_submit(&t_e), 0);
		assert_int_equal(io_uring_wait_cqe(t_e.ring, &cqe), 0);
		ud = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		io_uring_cqe_seen(t_e.ring, cqe);
		if (ud == &t_x[0].aio.fsync_op)
			break;
		engine_aio_complete(&t_e, ud, res);
	}
	assert_true(t_fsyncs == 0);	/* none made at once */
	engine_aio_complete(&t_e, ud, -EIO);
	assert_true(t_res[0].done);
	assert_int_equal(t_bufs[0][27], 0x41);
	assert_int_equal(t_bufs[0][25], ATA_ERR_ABRT);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* tmpfs: the group commit's fdatasync cannot wait for a device, so it is
 * made at once, not through the ring: one for the writes of a batch, and
 * its failure fails all of them */
static void
test_inline_sync_commit_memory(void **state)
{
	t_write_held(t_arrive, 0, 0, 2, 10, 0x11);
	t_write_held(t_arrive, 1, 0, 1, 20, 0x22);
	assert_false(t_res[0].done);
	engine_aio_commit(&t_e);
	assert_true(t_res[0].done);
	assert_true(t_res[1].done);
	t_check_ok(0);
	t_check_ok(1);
	t_check_image(20 * 512, 512, 0x22);
	assert_int_equal(t_x[0].st.fsyncs, 1);
	assert_int_equal(t_fsyncs, 1);
	assert_int_equal(engine_aio_submit(&t_e), 0);
	t_ring_idle();
	/* a failing fdatasync: every write it covered fails */
	memset(t_res, 0, sizeof(t_res));
	t_fsync_fail = true;
	t_write_held(t_arrive, 2, 0, 2, 30, 0x33);
	t_write_held(t_arrive, 3, 0, 2, 40, 0x44);
	engine_aio_commit(&t_e);
	t_fsync_fail = false;
	assert_true(t_res[2].done);
	assert_true(t_res[3].done);
	assert_int_equal(t_bufs[2][27], 0x41);
	assert_int_equal(t_bufs[2][25], ATA_ERR_ABRT);
	assert_int_equal(t_bufs[3][27], 0x41);
	/* the failed fdatasync, and each write it failed */
	assert_int_equal(t_x[0].st.err_io, 3);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* a read behind an overlapping write in flight waits for it, then runs
 * inline when released; one that does not overlap runs at once */
static void
test_inline_order(void **state)
{
	size_t	 len;

	t_x[0].inline_wr = EXPORT_INLINE_NONE;	/* this write: the ring */
	t_write_held(t_run, 0, 0, 4, 200, 0x77);
	assert_int_equal(t_run(1, t_ata(1, 0, ATA_CMD_READ_EXT, 2, 202, 0)),
	    ENGINE_PENDING);
	assert_int_equal(t_x[0].st.held, 1);
	len = t_run(2, t_ata(2, 0, ATA_CMD_READ_EXT, 2, 300, 0));
	assert_int_equal(len, 36 + 2 * 512);
	t_check_data(2, 300 * 512, 2 * 512);
	engine_aio_drain(&t_e);
	assert_true(t_res[0].done);
	assert_true(t_res[1].done);
	assert_int_equal(t_res[1].len, 36 + 2 * 512);
	t_check_ok(1);
	assert_int_equal(t_bufs[1][36], 0x77);
	assert_int_equal(t_bufs[1][36 + 1023], 0x77);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* a cache miss fills its blocks inline; the next read is a hit */
static void
test_inline_cache_fill(void **state)
{
	struct export	*x = &t_x[1];
	size_t		 len;

	x->cache = cache_new(64 * 4096, x->sectors);
	assert_non_null(x->cache);
	len = t_run(0, t_ata(0, 1, ATA_CMD_READ_EXT, 4, 33, 0));
	assert_int_equal(len, 36 + 4 * 512);
	t_check_data(0, 2048 * 512 + 33 * 512, 4 * 512);
	assert_int_equal(x->st.cache_misses, 1);
	len = t_run(1, t_ata(1, 1, ATA_CMD_READ_EXT, 4, 33, 0));
	assert_int_equal(len, 36 + 4 * 512);
	t_check_data(1, 2048 * 512 + 33 * 512, 4 * 512);
	assert_int_equal(x->st.cache_hits, 1);
	/* an inline write goes through the cache too */
	len = t_run(2, t_ata(2, 1, ATA_CMD_WRITE_EXT, 1, 34, 0x99));
	assert_true(len != ENGINE_PENDING);
	len = t_run(3, t_ata(3, 1, ATA_CMD_READ_EXT, 1, 34, 0));
	assert_int_equal(len, 36 + 512);
	assert_int_equal(t_bufs[3][36], 0x99);
	assert_int_equal(x->st.cache_hits, 2);
	t_ring_idle();
	(void)state;
}

/* a file on a disk file system: RWF_NOWAIT.  A read of cached pages is
 * done at once; a kernel write is done at once, or — where the file system
 * has no RWF_NOWAIT buffered writes (ext4) — through the ring, after which
 * writes no longer try. */
static void
test_inline_nowait(void **state)
{
	struct export	*x = &t_x[1];
	size_t		 len;

	if (x->inline_rd == EXPORT_INLINE_MEMORY)
		skip();		/* $TMPDIR is a tmpfs */
	assert_int_equal(x->inline_rd, EXPORT_INLINE_NOWAIT);
	len = t_run(0, t_ata(0, 1, ATA_CMD_READ_EXT, 8, 64, 0));
	if (len == ENGINE_PENDING) {
		/* a file system without RWF_NOWAIT reads (overlayfs?): the
		 * ring, and no more tries */
		assert_int_equal(x->inline_rd, EXPORT_INLINE_NONE);
		engine_aio_drain(&t_e);
		assert_true(t_res[0].done);
	} else
		assert_int_equal(len, 36 + 8 * 512);	/* just written: cached */
	t_check_data(0, 2048 * 512 + 64 * 512, 8 * 512);
	len = t_run(1, t_ata(1, 1, ATA_CMD_WRITE_EXT, 2, 70, 0x3c));
	if (len == ENGINE_PENDING) {
		assert_int_equal(x->inline_wr, EXPORT_INLINE_NONE);
		engine_aio_drain(&t_e);
		assert_true(t_res[1].done);
	}
	t_check_ok(1);
	t_check_image(2048 * 512 + 70 * 512, 2 * 512, 0x3c);
	len = t_run(2, t_ata(2, 1, ATA_CMD_READ_EXT, 2, 70, 0));
	if (len == ENGINE_PENDING) {
		engine_aio_drain(&t_e);
		assert_int_equal(t_res[2].len, 36 + 2 * 512);
	} else
		assert_int_equal(len, 36 + 2 * 512);
	assert_int_equal(t_bufs[2][36], 0x3c);
	(void)state;
}

/* consecutive reads (the frames of one large request) are gathered and
 * done with one preadv2 at the submit; another range starts a new gather */
static void
test_inline_gather(void **state)
{
	unsigned	 b;

	for (b = 0; b < 4; b++)
		assert_int_equal(t_arrive(b, t_ata(b, 0, ATA_CMD_READ_EXT, 2,
		    100 + 2 * b, 0)), ENGINE_PENDING);
	assert_int_equal(t_e.gather.n, 4);
	assert_false(t_res[0].done);
	/* not next to the gathered range: those are done first */
	assert_int_equal(t_arrive(4, t_ata(4, 0, ATA_CMD_READ_EXT, 1, 500, 0)),
	    ENGINE_PENDING);
	assert_int_equal(t_e.gather.n, 1);
	for (b = 0; b < 4; b++) {
		assert_true(t_res[b].done);
		assert_int_equal(t_res[b].len, 36 + 2 * 512);
		t_check_ok(b);
		t_check_data(b, (100 + 2 * b) * 512, 2 * 512);
	}
	assert_int_equal(engine_aio_submit(&t_e), 0);
	assert_true(t_res[4].done);
	t_check_data(4, 500 * 512, 512);
	assert_int_equal(t_e.gather.n, 0);
	assert_int_equal(t_x[0].st.reads, 5);
	assert_int_equal(t_e.pending, 0);
	t_ring_idle();
	(void)state;
}

/* a write after gathered reads of the same sectors: the reads are done
 * before it, so they return the old data, as they arrived first */
static void
test_inline_gather_then_write(void **state)
{
	assert_int_equal(t_arrive(0, t_ata(0, 1, ATA_CMD_READ_EXT, 2, 40, 0)),
	    ENGINE_PENDING);
	assert_int_equal(t_arrive(1, t_ata(1, 1, ATA_CMD_READ_EXT, 2, 42, 0)),
	    ENGINE_PENDING);
	assert_int_equal(t_run(2, t_ata(2, 1, ATA_CMD_WRITE_EXT, 4, 40, 0x5a)),
	    60);	/* answered at once (kernel mode), padded */
	assert_true(t_res[0].done && t_res[1].done);
	t_check_data(0, (2048 + 40) * 512, 2 * 512);
	t_check_data(1, (2048 + 42) * 512, 2 * 512);
	t_check_image((2048 + 40) * 512, 4 * 512, 0x5a);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* a short gathered read (the image shrank under the export, at a page
 * boundary): the part read is answered, the rest goes to the ring like a
 * short ring read, which finds the end of the file: an ATA error for that
 * request only.  A mapped tmpfs image (memio.h) faults on the page past the
 * end, drops its mapping and does the same by system call. */
static void
test_inline_gather_short(void **state)
{
	bool	 mapped = t_x[1].map != NULL;

	/* cmocka puts its own SIGBUS handler in place around each test:
	 * mapping again puts blockd's back */
	if (mapped) {
		memio_unmap(&t_x[1]);
		assert_true(memio_map(&t_x[1]));
	}
	assert_int_equal(t_arrive(0, t_ata(0, 1, ATA_CMD_READ_EXT, 8, 2032, 0)),
	    ENGINE_PENDING);
	assert_int_equal(t_arrive(1, t_ata(1, 1, ATA_CMD_READ_EXT, 8, 2040, 0)),
	    ENGINE_PENDING);
	assert_int_equal(ftruncate(t_fd, (2048 + 2040) * 512), 0);
	assert_int_equal(engine_aio_submit(&t_e), 0);
	assert_true(t_res[0].done);
	t_check_ok(0);
	t_check_data(0, (2048 + 2032) * 512, 8 * 512);
	assert_null(t_x[1].map);
	if (mapped)	/* the other export's image is the same file */
		assert_non_null(t_x[0].map);
	engine_aio_drain(&t_e);
	assert_true(t_res[1].done);
	assert_int_equal(t_bufs[1][27], 0x41);
	assert_int_equal(t_bufs[1][25], ATA_ERR_UNC);
	assert_int_equal(t_x[1].st.err_io, 1);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* consecutive kernel-mode writes (the frames of one large request) are
 * gathered: nothing reaches the image until the submit, which writes them
 * with one pwritev2 and answers each */
static void
test_inline_gather_writes(void **state)
{
	unsigned	 b;

	for (b = 0; b < 4; b++)
		assert_int_equal(t_arrive(b, t_ata(b, 1, ATA_CMD_WRITE_EXT, 2,
		    300 + 2 * b, (uint8_t)(0x30 + b))), ENGINE_PENDING);
	assert_int_equal(t_e.gather.n, 4);
	assert_int_equal(t_e.gather.op, ENGINE_IO_WRITE);
	assert_false(t_res[0].done);
	/* not written yet: the image still has its pattern there */
	assert_int_equal(pread(t_fd, t_bufs[4], 1, (2048 + 300) * 512), 1);
	assert_int_equal(t_bufs[4][0], t_pattern((2048 + 300) * 512));
	assert_int_equal(engine_aio_submit(&t_e), 0);
	for (b = 0; b < 4; b++) {
		assert_true(t_res[b].done);
		assert_int_equal(t_res[b].len, 60);
		t_check_ok(b);
		t_check_image((2048 + 300 + 2 * b) * 512, 2 * 512, (uint8_t)(0x30 + b));
	}
	assert_int_equal(t_x[1].st.writes, 4);
	assert_true(TAILQ_EMPTY(&t_x[1].aio.inflight));
	assert_int_equal(t_e.pending, 0);
	t_ring_idle();
	(void)state;
}

/* a read of sectors that gathered writes cover waits for them, then reads
 * what they wrote; a write of the same sectors as a gathered one does that
 * one first, so the later write wins */
static void
test_inline_gather_writes_order(void **state)
{
	t_write_held(t_arrive, 0, 1, 2, 40, 0x5a);
	t_write_held(t_arrive, 1, 1, 2, 42, 0x6b);
	assert_int_equal(t_arrive(2, t_ata(2, 1, ATA_CMD_READ_EXT, 2, 41, 0)),
	    ENGINE_PENDING);
	assert_int_equal(t_x[1].st.held, 1);
	assert_false(t_res[2].done);
	assert_int_equal(engine_aio_submit(&t_e), 0);
	assert_true(t_res[0].done && t_res[1].done && t_res[2].done);
	assert_int_equal(t_res[2].len, 36 + 2 * 512);
	t_check_ok(2);
	assert_int_equal(t_bufs[2][36], 0x5a);
	assert_int_equal(t_bufs[2][36 + 511], 0x5a);
	assert_int_equal(t_bufs[2][36 + 512], 0x6b);

	t_write_held(t_arrive, 3, 1, 2, 100, 0x11);
	t_write_held(t_arrive, 4, 1, 2, 100, 0x22);
	assert_true(t_res[3].done);	/* done before the second one */
	assert_int_equal(engine_aio_submit(&t_e), 0);
	assert_true(t_res[4].done);
	t_check_image((2048 + 100) * 512, 2 * 512, 0x22);
	assert_int_equal(t_e.pending, 0);
	t_ring_idle();
	(void)state;
}

/* "sync" writes gather too, and join the group commit: the commit does
 * them first, so one fdatasync covers them and the FLUSH behind them */
static void
test_inline_gather_sync_writes(void **state)
{
	unsigned	 b;

	for (b = 0; b < 3; b++)
		assert_int_equal(t_arrive(b, t_ata(b, 0, ATA_CMD_WRITE_EXT, 4,
		    600 + 4 * b, 0x44)), ENGINE_PENDING);
	assert_int_equal(t_arrive(3, t_ata(3, 0, ATA_CMD_FLUSH_EXT, 0, 0, 0)),
	    ENGINE_PENDING);
	assert_int_equal(t_e.gather.n, 3);
	engine_aio_commit(&t_e);
	/* written and synced: on tmpfs the commit's fdatasync is made at
	 * once (test_inline_sync_commit_memory) */
	assert_int_equal(t_e.gather.n, 0);
	t_check_image(600 * 512, 12 * 512, 0x44);
	assert_false(t_x[0].aio.fsync_busy);
	assert_int_equal(t_fsyncs, 1);
	for (b = 0; b < 4; b++) {
		assert_true(t_res[b].done);
		t_check_ok(b);
	}
	assert_int_equal(t_x[0].st.fsyncs, 1);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, t_setup_mem, t_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_inline_modes),
		T(test_inline_read_write),
		T(test_inline_sync_write),
		T(test_inline_sync_write_fsync_fails),
		T(test_inline_sync_commit_memory),
		T(test_inline_order),
		T(test_inline_cache_fill),
		T(test_inline_gather),
		T(test_inline_gather_then_write),
		T(test_inline_gather_short),
		T(test_inline_gather_writes),
		T(test_inline_gather_writes_order),
		T(test_inline_gather_sync_writes),
		cmocka_unit_test_setup_teardown(test_inline_nowait,
		    t_setup_disk, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

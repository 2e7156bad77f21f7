/*
 * Unit tests of blockd's asynchronous I/O (blockd/aio.c, the io_uring half
 * of ata.c) and of its read cache (blockd/cache.c).
 *
 * The io_uring is real (on a memfd image); each completion is taken off the
 * ring by the test and handed to engine_aio_complete() either as it is or
 * with an injected result (EIO, ENOSPC, EINTR, a short count), so the
 * completion handling — retries, group commit, failure of everything a
 * failed fsync covered — is checked without a failing disk.  The
 * synchronous path's faults are in test_blockd_engine.c.
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
#include "blockd_frames.h"

#define T_IMG_SECTORS	4096u
#define T_CAP		9216u
#define T_NBUF		16
#define T_STAT_OK	0x40
#define T_STAT_FAIL	0x41

static const uint8_t	T_NIC_MAC[6] = { 0x02, 0, 0, 0, 0, 0xa0 };
static const uint8_t	T_H1[6] = { 0x02, 0, 0, 0, 1, 0x01 };

static int		 t_fd = -1;
static struct export	 t_x[2];
static struct engine	 t_e;
static struct nic_view	 t_nic;
static uint8_t		 t_bufs[T_NBUF][T_CAP] __attribute__((aligned(4096)));
static struct engine_io	 t_ios[T_NBUF];

/* what e->done reported, per buffer */
static struct {
	bool	 done;
	size_t	 len;
}			 t_res[T_NBUF];

/* completions taken off the ring, not yet delivered */
static struct {
	void	*ud;
	int	 res;
}			 t_cq[64];
static unsigned		 t_ncq;

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
    uint64_t sectors, unsigned flags)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->shelf = 1;
	x->slot = slot;
	x->fd = t_fd;
	x->offset = offset;
	x->sectors = sectors;
	x->flags = flags;
	x->nic_mask = 1;
	x->bufcnt = 16;
}

/* e1.0 sync mode (sectors 0..2047), e1.1 kernel mode (2048..4095) */
static int
t_setup_common(bool ring)
{
	static uint8_t	 img[T_IMG_SECTORS * 512];
	size_t		 i;

	t_fd = memfd_create("aoede-aio-img", 0);
	assert_true(t_fd >= 0);
	for (i = 0; i < sizeof(img); i++)
		img[i] = t_pattern(i);
	assert_int_equal(pwrite(t_fd, img, sizeof(img), 0), (ssize_t)sizeof(img));
	t_export(&t_x[0], "e1.0", 0, 0, 2048, 0);
	t_export(&t_x[1], "e1.1", 1, 2048 * 512, 2048, EXPORT_KERNEL);
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
	t_ncq = 0;
	if (ring && engine_aio_setup(&t_e, 64, -1) != 0)
		return -1;
	return 0;
}

static int
t_setup(void **state)
{
	(void)state;
	if (t_setup_common(true) == -1) {
		close(t_fd);
		return -1;
	}
	return 0;
}

static int
t_setup_sync(void **state)
{
	(void)state;
	return t_setup_common(false);
}

static int
t_teardown(void **state)
{
	engine_aio_teardown(&t_e);
	cache_free(t_x[0].cache);
	cache_free(t_x[1].cache);
	close(t_fd);
	(void)state;
	return 0;
}

/* an ATA request in buffer b; data of scnt sectors filled with `fill` for
 * writes */
static size_t
t_ata(unsigned b, uint8_t slot, uint8_t cmd, uint8_t scnt, uint64_t lba,
    uint8_t fill)
{
	return t_ata_frame(t_bufs[b], T_CAP, T_H1, slot, 0x1000 + b, cmd, scnt,
	    lba, fill);
}

/* run request b through the engine; returns what engine_handle_io did */
static size_t
t_run(unsigned b, size_t len)
{
	size_t	 r;

	r = engine_handle_io(&t_e, &t_nic, t_bufs[b], len, T_CAP, NULL,
	    &t_ios[b]);
	assert_int_equal(engine_aio_submit(&t_e), 0);
	return r;
}

/* take completions off the ring until `n` are held */
static void
t_collect(unsigned n)
{
	struct io_uring_cqe	*cqe;

	while (t_ncq < n) {
		assert_int_equal(io_uring_wait_cqe(t_e.ring, &cqe), 0);
		assert_true(t_ncq < 64);
		t_cq[t_ncq].ud = io_uring_cqe_get_data(cqe);
		t_cq[t_ncq].res = cqe->res;
		t_ncq++;
		io_uring_cqe_seen(t_e.ring, cqe);
	}
}

/* index of the held completion for ud (the request of buffer b, or the
 * fsync of export x when b < 0) */
static unsigned
t_find(int b, struct export *x)
{
	void		*want = b >= 0 ? (void *)&t_ios[b] : (void *)&x->aio.fsync_op;
	unsigned	 i;

	for (;;) {
		for (i = 0; i < t_ncq; i++)
			if (t_cq[i].ud == want)
				return i;
		t_collect(t_ncq + 1);
	}
}

/* deliver that completion with its own result (inject == 1) or with
 * `res`, then let the engine commit and submit, as blockd's loop does */
static int
t_deliver(int b, struct export *x, bool inject, int res)
{
	unsigned	 i = t_find(b, x);
	int		 real = t_cq[i].res;
	void		*ud = t_cq[i].ud;

	t_cq[i] = t_cq[--t_ncq];
	engine_aio_complete(&t_e, ud, inject ? res : real);
	engine_aio_commit(&t_e);
	assert_int_equal(engine_aio_submit(&t_e), 0);
	return real;
}

#define t_real(b)		t_deliver((b), NULL, false, 0)
#define t_fake(b, res)		t_deliver((b), NULL, true, (res))
#define t_fsync_real(x)		t_deliver(-1, (x), false, 0)
#define t_fsync_fake(x, res)	t_deliver(-1, (x), true, (res))

static void
t_check_status(unsigned b, uint8_t status, uint8_t err)
{
	assert_true(t_res[b].done);
	assert_true(t_res[b].len >= 60);
	assert_int_equal(t_bufs[b][14] & 0x04, 0);	/* never the AoE E flag */
	assert_int_equal(t_bufs[b][27], status);
	assert_int_equal(t_bufs[b][25], err);
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
			fail_msg("image byte %zu at %llu is 0x%02x, not 0x%02x",
			    i, (unsigned long long)off, buf[i], fill);
}

/* --- reads ------------------------------------------------------------- */

static void
test_aio_read(void **state)
{
	size_t	 i;

	assert_int_equal(t_run(0, t_ata(0, 0, ATA_CMD_READ_EXT, 8, 100, 0)),
	    ENGINE_PENDING);
	assert_int_equal(t_e.pending, 1);
	assert_false(t_res[0].done);
	assert_int_equal(t_real(0), 8 * 512);
	t_check_status(0, T_STAT_OK, 0);
	assert_int_equal(t_res[0].len, 36 + 8 * 512);
	for (i = 0; i < 8 * 512; i++)
		assert_int_equal(t_bufs[0][36 + i], t_pattern(100 * 512 + i));
	assert_int_equal(t_e.pending, 0);
	assert_int_equal(t_x[0].st.reads, 1);
	(void)state;
}

static void
test_aio_read_eio_short_eintr(void **state)
{
	size_t	 i;

	/* EIO: ATA UNC, counted, nothing else */
	t_run(0, t_ata(0, 0, ATA_CMD_READ_EXT, 4, 10, 0));
	t_fake(0, -EIO);
	t_check_status(0, T_STAT_FAIL, ATA_ERR_UNC);
	assert_int_equal(t_res[0].len, 60);
	assert_int_equal(t_x[0].st.err_io, 1);

	/* EINTR, then a short read: both continued to the full length */
	t_run(1, t_ata(1, 0, ATA_CMD_READ_EXT, 4, 20, 0));
	t_fake(1, -EINTR);
	assert_false(t_res[1].done);
	t_fake(1, 512);		/* the kernel read 2048, we pretend 512 */
	assert_false(t_res[1].done);
	t_real(1);		/* the rest: 1536 bytes from 20 * 512 + 512 */
	t_check_status(1, T_STAT_OK, 0);
	for (i = 512; i < 4 * 512; i++)
		assert_int_equal(t_bufs[1][36 + i], t_pattern(20 * 512 + i));

	/* EOF inside the export (0 bytes): EIO */
	t_run(2, t_ata(2, 0, ATA_CMD_READ_EXT, 1, 30, 0));
	t_fake(2, 0);
	t_check_status(2, T_STAT_FAIL, ATA_ERR_UNC);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* --- writes and group commit ------------------------------------------- */

static void
test_aio_group_commit(void **state)
{
	unsigned	 b;

	for (b = 0; b < 4; b++)
		assert_int_equal(t_run(b, t_ata(b, 0, ATA_CMD_WRITE_EXT, 2,
		    200 + 2 * b, (uint8_t)(0xa0 + b))), ENGINE_PENDING);
	/* three writes completed, one still in flight: no fsync yet */
	for (b = 0; b < 3; b++)
		t_real(b);
	assert_int_equal(t_x[0].st.fsyncs, 0);
	for (b = 0; b < 4; b++)
		assert_false(t_res[b].done);
	/* the last one completes: one fsync for all four */
	t_real(3);
	assert_int_equal(t_x[0].st.fsyncs, 1);
	assert_int_equal(t_x[0].st.writes, 4);
	for (b = 0; b < 4; b++)
		assert_false(t_res[b].done);	/* never before the fsync */
	assert_int_equal(t_fsync_real(&t_x[0]), 0);
	for (b = 0; b < 4; b++) {
		t_check_status(b, T_STAT_OK, 0);
		assert_int_equal(t_res[b].len, 60);
		t_check_image((200 + 2 * b) * 512, 1024, (uint8_t)(0xa0 + b));
	}
	assert_int_equal(t_e.pending, 0);
	assert_int_equal(t_e.fsyncs_busy, 0);
	(void)state;
}

static void
test_aio_write_errors(void **state)
{
	/* EIO and ENOSPC on the write: ATA ABRT at once, no fsync, no ack */
	t_run(0, t_ata(0, 0, ATA_CMD_WRITE_EXT, 1, 300, 0x11));
	t_run(1, t_ata(1, 0, ATA_CMD_WRITE_EXT, 1, 301, 0x12));
	t_fake(0, -EIO);
	t_fake(1, -ENOSPC);
	t_check_status(0, T_STAT_FAIL, ATA_ERR_ABRT);
	t_check_status(1, T_STAT_FAIL, ATA_ERR_ABRT);
	assert_int_equal(t_x[0].st.fsyncs, 0);
	assert_int_equal(t_x[0].st.writes, 0);
	assert_int_equal(t_x[0].st.err_io, 2);

	/* reads keep working after ENOSPC */
	t_run(2, t_ata(2, 0, ATA_CMD_READ_EXT, 1, 5, 0));
	t_real(2);
	t_check_status(2, T_STAT_OK, 0);

	/* a short write is continued, EINTR retried: all of it lands */
	t_run(3, t_ata(3, 0, ATA_CMD_WRITE_EXT, 4, 310, 0x33));
	t_fake(3, 1000);	/* not even a sector boundary */
	t_fake(3, -EINTR);
	t_real(3);
	assert_false(t_res[3].done);	/* now waiting for the fsync */
	t_fsync_real(&t_x[0]);
	t_check_status(3, T_STAT_OK, 0);
	t_check_image(310 * 512, 2048, 0x33);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

static void
test_aio_fsync_failure(void **state)
{
	/* w0, w1 complete → fsync F; w2 completes while F runs; F fails:
	 * all three fail — F may have consumed the error of w2's pages */
	t_run(0, t_ata(0, 0, ATA_CMD_WRITE_EXT, 1, 400, 0x40));
	t_run(1, t_ata(1, 0, ATA_CMD_WRITE_EXT, 1, 401, 0x41));
	t_real(0);
	t_real(1);
	assert_int_equal(t_x[0].st.fsyncs, 1);
	t_run(2, t_ata(2, 0, ATA_CMD_WRITE_EXT, 1, 402, 0x42));
	t_real(2);
	assert_int_equal(t_x[0].st.fsyncs, 1);	/* one at a time */
	t_fsync_fake(&t_x[0], -EIO);
	t_check_status(0, T_STAT_FAIL, ATA_ERR_ABRT);
	t_check_status(1, T_STAT_FAIL, ATA_ERR_ABRT);
	t_check_status(2, T_STAT_FAIL, ATA_ERR_ABRT);
	assert_int_equal(t_x[0].st.err_io, 1 + 3);	/* the fsync, the writes */
	assert_int_equal(t_e.pending, 0);
	assert_int_equal(t_e.fsyncs_busy, 0);

	/* the export still works: the next write gets a fresh fsync */
	t_run(3, t_ata(3, 0, ATA_CMD_WRITE_EXT, 1, 403, 0x43));
	t_real(3);
	t_fsync_real(&t_x[0]);
	t_check_status(3, T_STAT_OK, 0);
	(void)state;
}

/* --- kernel mode and FLUSH ------------------------------------------------ */

static void
test_aio_kernel_and_flush(void **state)
{
	/* kernel mode: acknowledged when the write completed, no fsync */
	t_run(0, t_ata(0, 1, ATA_CMD_WRITE_EXT, 1, 10, 0x50));
	t_run(1, t_ata(1, 1, ATA_CMD_WRITE_EXT, 1, 11, 0x51));
	t_real(0);
	t_check_status(0, T_STAT_OK, 0);
	assert_int_equal(t_x[1].st.fsyncs, 0);

	/* FLUSH while w1 is in flight: it waits for w1, then one fsync */
	assert_int_equal(t_run(2, t_ata(2, 1, ATA_CMD_FLUSH_EXT, 0, 0, 0)),
	    ENGINE_PENDING);
	engine_aio_commit(&t_e);
	assert_int_equal(t_x[1].st.fsyncs, 0);
	assert_false(t_res[2].done);
	t_real(1);
	t_check_status(1, T_STAT_OK, 0);
	assert_int_equal(t_x[1].st.fsyncs, 1);
	assert_false(t_res[2].done);
	t_fsync_real(&t_x[1]);
	t_check_status(2, T_STAT_OK, 0);
	assert_int_equal(t_x[1].st.flushes, 1);

	/* a FLUSH whose fsync fails is an ATA error */
	t_run(3, t_ata(3, 1, ATA_CMD_FLUSH_EXT, 0, 0, 0));
	engine_aio_commit(&t_e);
	assert_int_equal(engine_aio_submit(&t_e), 0);
	t_fsync_fake(&t_x[1], -EIO);
	t_check_status(3, T_STAT_FAIL, ATA_ERR_ABRT);

	/* sync mode: a FLUSH joins the group commit of the writes before it */
	t_run(4, t_ata(4, 0, ATA_CMD_WRITE_EXT, 1, 20, 0x60));
	t_run(5, t_ata(5, 0, ATA_CMD_FLUSH, 0, 0, 0));
	t_real(4);
	assert_int_equal(t_x[0].st.fsyncs, 1);
	t_fsync_real(&t_x[0]);
	t_check_status(4, T_STAT_OK, 0);
	t_check_status(5, T_STAT_OK, 0);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* drain (blockd's stop) finishes everything, fsyncs included */
static void
test_aio_drain(void **state)
{
	unsigned	 b;

	for (b = 0; b < 8; b++)
		t_run(b, t_ata(b, b & 1, ATA_CMD_WRITE_EXT, 1, 500 + b, 0x70));
	engine_aio_drain(&t_e);
	for (b = 0; b < 8; b++)
		t_check_status(b, T_STAT_OK, 0);
	assert_int_equal(t_e.pending, 0);
	assert_int_equal(t_e.fsyncs_busy, 0);
	(void)state;
}

/* --- ordering of overlapping requests ------------------------------------ */

/* is the request of buffer b held back in x's queue? */
static bool
t_held(unsigned b, struct export *x)
{
	struct engine_io	*io;

	TAILQ_FOREACH(io, &x->aio.blocked, link)
		if (io == &t_ios[b])
			return true;
	return false;
}

/* take every completion the ring has now (after a short wait) and check
 * that none is for buffer b: it was never submitted */
static void
t_not_submitted(unsigned b)
{
	struct io_uring_cqe	*cqe;
	unsigned		 i;

	usleep(20000);
	while (io_uring_peek_cqe(t_e.ring, &cqe) == 0) {
		assert_true(t_ncq < 64);
		t_cq[t_ncq].ud = io_uring_cqe_get_data(cqe);
		t_cq[t_ncq].res = cqe->res;
		t_ncq++;
		io_uring_cqe_seen(t_e.ring, cqe);
	}
	for (i = 0; i < t_ncq; i++)
		assert_ptr_not_equal(t_cq[i].ud, &t_ios[b]);
}

/* A [0,8) then B [4,12): B waits for A; C elsewhere goes at once */
static void
test_order_overlap(void **state)
{
	struct export	*x = &t_x[0];

	assert_int_equal(t_run(0, t_ata(0, 0, ATA_CMD_WRITE_EXT, 8, 0, 0xa1)),
	    ENGINE_PENDING);
	assert_int_equal(t_run(1, t_ata(1, 0, ATA_CMD_WRITE_EXT, 8, 4, 0xb1)),
	    ENGINE_PENDING);
	assert_int_equal(t_run(2, t_ata(2, 0, ATA_CMD_WRITE_EXT, 8, 100, 0xc1)),
	    ENGINE_PENDING);
	assert_true(t_held(1, x));
	assert_false(t_held(2, x));
	assert_int_equal(x->st.held, 1);
	assert_int_equal(t_e.pending, 3);
	/* C's and A's completions come; B's cannot: never submitted */
	t_find(2, x);
	t_find(0, x);
	t_not_submitted(1);
	t_real(2);
	assert_true(t_held(1, x));
	/* A completes: B starts; A and C wait for the fsync, B in flight */
	t_real(0);
	assert_false(t_held(1, x));
	assert_int_equal(x->st.fsyncs, 0);
	t_real(1);
	assert_int_equal(x->st.fsyncs, 1);	/* one for all three */
	t_fsync_real(x);
	t_check_status(2, T_STAT_OK, 0);
	t_check_status(0, T_STAT_OK, 0);
	t_check_status(1, T_STAT_OK, 0);
	t_check_image(0, 4 * 512, 0xa1);
	t_check_image(4 * 512, 8 * 512, 0xb1);
	t_check_image(100 * 512, 8 * 512, 0xc1);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* chains: A → B → C on the same sectors land in arrival order, and so do
 * D [0,8) → E [6,14) → F [12,20) where F overlaps only E */
static void
test_order_chain(void **state)
{
	struct export	*x = &t_x[1];	/* kernel mode: acknowledged at completion */
	unsigned	 b;

	for (b = 0; b < 3; b++)
		assert_int_equal(t_run(b, t_ata(b, 1, ATA_CMD_WRITE_EXT, 8, 40,
		    (uint8_t)(0x10 + b))), ENGINE_PENDING);
	t_run(3, t_ata(3, 1, ATA_CMD_WRITE_EXT, 8, 200, 0x20));
	t_run(4, t_ata(4, 1, ATA_CMD_WRITE_EXT, 8, 206, 0x21));
	t_run(5, t_ata(5, 1, ATA_CMD_WRITE_EXT, 8, 212, 0x22));
	assert_true(t_held(1, x) && t_held(2, x));
	assert_true(t_held(4, x) && t_held(5, x));	/* F behind held E */
	assert_int_equal(x->st.held, 4);
	t_not_submitted(1);
	t_not_submitted(2);
	t_not_submitted(5);

	t_real(0);
	t_check_status(0, T_STAT_OK, 0);
	assert_false(t_held(1, x));
	assert_true(t_held(2, x));		/* behind B, now in flight */
	t_real(1);
	t_check_status(1, T_STAT_OK, 0);
	assert_false(t_held(2, x));
	t_real(2);
	t_check_status(2, T_STAT_OK, 0);
	t_check_image((2048 + 40) * 512, 8 * 512, 0x12);

	t_real(3);
	assert_false(t_held(4, x));
	assert_true(t_held(5, x));
	t_real(4);
	assert_false(t_held(5, x));
	t_real(5);
	for (b = 3; b < 6; b++)
		t_check_status(b, T_STAT_OK, 0);
	t_check_image((2048 + 200) * 512, 6 * 512, 0x20);
	t_check_image((2048 + 206) * 512, 6 * 512, 0x21);
	t_check_image((2048 + 212) * 512, 8 * 512, 0x22);
	assert_int_equal(t_e.pending, 0);
	assert_true(TAILQ_EMPTY(&x->aio.inflight));
	(void)state;
}

/* a read waits for an overlapping earlier write, held back or in flight;
 * a write does not wait for a read, nor a read for a read */
static void
test_order_read(void **state)
{
	struct export	*x = &t_x[1];
	size_t		 i;

	t_run(0, t_ata(0, 1, ATA_CMD_WRITE_EXT, 8, 0, 0x31));
	t_run(1, t_ata(1, 1, ATA_CMD_WRITE_EXT, 8, 4, 0x32));
	/* [10,11) overlaps only B, which is held back */
	assert_int_equal(t_run(2, t_ata(2, 1, ATA_CMD_READ_EXT, 1, 10, 0)),
	    ENGINE_PENDING);
	/* [2,3) overlaps A in flight */
	t_run(3, t_ata(3, 1, ATA_CMD_READ_EXT, 1, 2, 0));
	/* elsewhere: at once */
	t_run(4, t_ata(4, 1, ATA_CMD_READ_EXT, 1, 300, 0));
	assert_true(t_held(1, x) && t_held(2, x) && t_held(3, x));
	assert_false(t_held(4, x));
	t_not_submitted(2);
	t_not_submitted(3);
	t_real(4);
	t_check_status(4, T_STAT_OK, 0);

	t_real(0);
	assert_false(t_held(1, x));
	assert_false(t_held(3, x));		/* A done: it reads A's data */
	assert_true(t_held(2, x));		/* B now in flight */
	t_real(3);
	t_check_status(3, T_STAT_OK, 0);
	for (i = 0; i < 512; i++)
		assert_int_equal(t_bufs[3][36 + i], 0x31);
	t_real(1);
	assert_false(t_held(2, x));
	t_real(2);
	t_check_status(2, T_STAT_OK, 0);
	for (i = 0; i < 512; i++)
		assert_int_equal(t_bufs[2][36 + i], 0x32);

	/* a read in flight holds back neither a write nor another read */
	t_run(5, t_ata(5, 1, ATA_CMD_READ_EXT, 8, 500, 0));
	t_run(6, t_ata(6, 1, ATA_CMD_WRITE_EXT, 8, 500, 0x33));
	t_run(7, t_ata(7, 1, ATA_CMD_READ_EXT, 8, 500, 0));
	assert_false(t_held(6, x));
	assert_true(t_held(7, x));		/* behind the write */
	t_real(5);
	t_real(6);
	t_real(7);
	t_check_status(7, T_STAT_OK, 0);
	assert_int_equal(t_bufs[7][36], 0x33);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* with the cache: a read that would hit must not answer from before an
 * earlier write; released, it hits the updated block */
static void
test_order_read_cache(void **state)
{
	struct export	*x = &t_x[0];
	size_t		 i;

	x->cache = cache_new(64 * 4096, x->sectors);
	assert_non_null(x->cache);
	t_run(0, t_ata(0, 0, ATA_CMD_READ_EXT, 8, 16, 0));
	t_real(0);				/* block 2 cached */
	assert_int_equal(t_run(1, t_ata(1, 0, ATA_CMD_READ_EXT, 1, 17, 0)),
	    36 + 512);			/* a hit */
	t_run(2, t_ata(2, 0, ATA_CMD_WRITE_EXT, 2, 17, 0x44));
	assert_int_equal(t_run(3, t_ata(3, 0, ATA_CMD_READ_EXT, 2, 16, 0)),
	    ENGINE_PENDING);
	assert_true(t_held(3, x));
	assert_int_equal(x->st.cache_hits, 1);
	t_real(2);
	/* released at the write's completion: a hit, answered at once */
	t_check_status(3, T_STAT_OK, 0);
	assert_int_equal(x->st.cache_hits, 2);
	for (i = 0; i < 512; i++) {
		assert_int_equal(t_bufs[3][36 + i], t_pattern(16 * 512 + i));
		assert_int_equal(t_bufs[3][36 + 512 + i], 0x44);
	}
	assert_false(t_res[2].done);		/* its fsync */
	t_fsync_real(x);
	t_check_status(2, T_STAT_OK, 0);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* a write that fails still releases what waited behind it */
static void
test_order_failure(void **state)
{
	struct export	*x = &t_x[0];

	t_run(0, t_ata(0, 0, ATA_CMD_WRITE_EXT, 8, 600, 0x51));
	t_run(1, t_ata(1, 0, ATA_CMD_WRITE_EXT, 8, 604, 0x52));
	t_run(2, t_ata(2, 0, ATA_CMD_READ_EXT, 8, 600, 0));
	assert_true(t_held(1, x) && t_held(2, x));
	t_fake(0, -EIO);
	t_check_status(0, T_STAT_FAIL, ATA_ERR_ABRT);
	assert_false(t_held(1, x));
	assert_true(t_held(2, x));
	t_real(1);
	t_fsync_real(x);
	t_check_status(1, T_STAT_OK, 0);
	t_real(2);
	t_check_status(2, T_STAT_OK, 0);
	assert_int_equal(t_bufs[2][36 + 4 * 512], 0x52);
	t_check_image(604 * 512, 8 * 512, 0x52);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* FLUSH waits for writes that arrived before it, held-back ones too */
static void
test_order_flush(void **state)
{
	struct export	*x = &t_x[1];

	t_run(0, t_ata(0, 1, ATA_CMD_WRITE_EXT, 8, 700, 0x61));
	t_run(1, t_ata(1, 1, ATA_CMD_WRITE_EXT, 8, 700, 0x62));
	t_run(2, t_ata(2, 1, ATA_CMD_FLUSH_EXT, 0, 0, 0));
	assert_true(t_held(1, x));
	t_real(0);
	t_check_status(0, T_STAT_OK, 0);
	assert_int_equal(x->st.fsyncs, 0);	/* B still to come */
	t_real(1);
	t_check_status(1, T_STAT_OK, 0);
	assert_int_equal(x->st.fsyncs, 1);
	assert_false(t_res[2].done);
	t_fsync_real(x);
	t_check_status(2, T_STAT_OK, 0);
	t_check_image((2048 + 700) * 512, 8 * 512, 0x62);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* NIC detach: its held-back requests are dropped (no reply), what they
 * held back starts; its requests in flight finish as usual */
static void
test_order_detach(void **state)
{
	struct export	*x = &t_x[1];
	int		 nic1, nic2;
	unsigned	 b;

	for (b = 0; b < T_NBUF; b++)
		t_ios[b].owner = &nic1;
	t_ios[1].owner = &nic2;
	t_ios[3].owner = &nic2;
	t_run(0, t_ata(0, 1, ATA_CMD_WRITE_EXT, 8, 800, 0x71));	/* nic1 */
	t_run(1, t_ata(1, 1, ATA_CMD_WRITE_EXT, 8, 800, 0x72));	/* nic2, held */
	t_run(2, t_ata(2, 1, ATA_CMD_WRITE_EXT, 8, 804, 0x73));	/* nic1, held */
	t_run(3, t_ata(3, 1, ATA_CMD_READ_EXT, 8, 800, 0));	/* nic2, held */
	assert_true(t_held(1, x) && t_held(2, x) && t_held(3, x));
	assert_int_equal(engine_aio_drop(&t_e, &nic2), 2);
	assert_true(t_res[1].done && t_res[1].len == 0);
	assert_true(t_res[3].done && t_res[3].len == 0);
	assert_false(t_held(1, x) || t_held(3, x));
	assert_true(t_held(2, x));		/* still behind A */
	assert_false(t_res[0].done);
	assert_int_equal(engine_aio_drop(&t_e, &nic2), 0);
	t_real(0);
	assert_false(t_held(2, x));
	t_real(2);
	t_check_status(0, T_STAT_OK, 0);
	t_check_status(2, T_STAT_OK, 0);
	t_check_image((2048 + 800) * 512, 4 * 512, 0x71);
	t_check_image((2048 + 804) * 512, 8 * 512, 0x73);
	assert_int_equal(t_e.pending, 0);

	/* a dropped write releases a request behind it at once */
	t_run(4, t_ata(4, 1, ATA_CMD_WRITE_EXT, 8, 900, 0x74));	/* nic1 */
	t_run(5, t_ata(5, 1, ATA_CMD_WRITE_EXT, 8, 920, 0x75));	/* nic1 */
	t_ios[6].owner = &nic2;
	t_run(6, t_ata(6, 1, ATA_CMD_WRITE_EXT, 8, 904, 0x76));	/* behind 4 */
	t_run(7, t_ata(7, 1, ATA_CMD_READ_EXT, 2, 909, 0));	/* behind 6 */
	assert_true(t_held(6, x) && t_held(7, x));
	assert_int_equal(engine_aio_drop(&t_e, &nic2), 1);
	assert_true(t_res[6].done && t_res[6].len == 0);
	assert_false(t_held(7, x));	/* overlaps neither 4 nor 5: runs */
	t_real(4);
	t_real(5);
	t_real(7);
	t_check_status(7, T_STAT_OK, 0);
	assert_int_equal(t_bufs[7][36], t_pattern((2048 + 909) * 512));
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* drain (stop) finishes held-back requests too, in order */
static void
test_order_drain(void **state)
{
	unsigned	 b;

	for (b = 0; b < 6; b++)
		t_run(b, t_ata(b, b & 1, ATA_CMD_WRITE_EXT, 8, 1000 + (b >> 1),
		    (uint8_t)(0x80 + b)));
	t_run(6, t_ata(6, 0, ATA_CMD_READ_EXT, 8, 1002, 0));
	t_run(7, t_ata(7, 1, ATA_CMD_FLUSH_EXT, 0, 0, 0));
	assert_true(t_held(2, &t_x[0]) && t_held(4, &t_x[0]));
	assert_true(t_held(6, &t_x[0]));
	engine_aio_drain(&t_e);
	for (b = 0; b < 8; b++)
		t_check_status(b, T_STAT_OK, 0);
	assert_int_equal(t_bufs[6][36], 0x84);
	t_check_image(1004 * 512, 4 * 512, 0x84);
	t_check_image((2048 + 1004) * 512, 4 * 512, 0x85);
	assert_int_equal(t_e.pending, 0);
	assert_int_equal(t_e.fsyncs_busy, 0);
	assert_true(TAILQ_EMPTY(&t_x[0].aio.blocked));
	assert_true(TAILQ_EMPTY(&t_x[1].aio.blocked));
	(void)state;
}

/* --- the ring's restrictions -------------------------------------------- */

static int
t_raw(void (*prep)(struct io_uring_sqe *), bool fixed)
{
	struct io_uring_sqe	*sqe = io_uring_get_sqe(t_e.ring);
	struct io_uring_cqe	*cqe;
	int			 res;

	assert_non_null(sqe);
	prep(sqe);
	if (fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, NULL);
	assert_true(io_uring_submit(t_e.ring) >= 0);
	assert_int_equal(io_uring_wait_cqe(t_e.ring, &cqe), 0);
	res = cqe->res;
	io_uring_cqe_seen(t_e.ring, cqe);
	return res;
}

static uint8_t	t_raw_buf[512];

static void
t_prep_read_fd(struct io_uring_sqe *sqe)
{
	io_uring_prep_read(sqe, t_fd, t_raw_buf, 512, 0);
}

static void
t_prep_read_fixed(struct io_uring_sqe *sqe)
{
	io_uring_prep_read(sqe, 0, t_raw_buf, 512, 0);
}

static void
t_prep_openat(struct io_uring_sqe *sqe)
{
	io_uring_prep_openat(sqe, -100, "/etc/passwd", 0, 0);
}

static void
t_prep_nop(struct io_uring_sqe *sqe)
{
	io_uring_prep_nop(sqe);
}

static void
test_aio_restricted(void **state)
{
	unsigned	 one = 1;

	/* file I/O on the registered images only */
	assert_int_equal(t_raw(t_prep_read_fixed, true), 512);
	assert_int_equal(t_raw(t_prep_read_fd, false), -EACCES);
	/* no other operation, even on a registered file */
	assert_int_equal(t_raw(t_prep_openat, true), -EACCES);
	assert_int_equal(t_raw(t_prep_nop, true), -EACCES);
	/* and nothing may be registered any more */
	assert_true(io_uring_register_iowq_max_workers(t_e.ring, &one) < 0);
	(void)state;
}

/* --- the cache ------------------------------------------------------------ */

static void
test_cache_sync_path(void **state)
{
	size_t	 i;

	t_x[0].cache = cache_new(64 * 4096, t_x[0].sectors);
	assert_non_null(t_x[0].cache);
	/* miss (fills the block), then hits, also inside the block */
	assert_int_equal(engine_handle(&t_e, &t_nic, t_bufs[0],
	    t_ata(0, 0, ATA_CMD_READ_EXT, 2, 17, 0), T_CAP, NULL), 36 + 1024);
	assert_int_equal(t_x[0].st.cache_misses, 1);
	assert_int_equal(engine_handle(&t_e, &t_nic, t_bufs[1],
	    t_ata(1, 0, ATA_CMD_READ_EXT, 3, 21, 0), T_CAP, NULL), 36 + 1536);
	assert_int_equal(t_x[0].st.cache_hits, 1);
	for (i = 0; i < 1536; i++)
		assert_int_equal(t_bufs[1][36 + i], t_pattern(21 * 512 + i));

	/* write-through: the cached block follows the write at once */
	assert_int_equal(engine_handle(&t_e, &t_nic, t_bufs[2],
	    t_ata(2, 0, ATA_CMD_WRITE_EXT, 1, 22, 0x99), T_CAP, NULL), 60);
	t_check_image(22 * 512, 512, 0x99);
	assert_int_equal(engine_handle(&t_e, &t_nic, t_bufs[3],
	    t_ata(3, 0, ATA_CMD_READ_EXT, 3, 21, 0), T_CAP, NULL), 36 + 1536);
	assert_int_equal(t_x[0].st.cache_hits, 2);
	for (i = 0; i < 512; i++) {
		assert_int_equal(t_bufs[3][36 + i], t_pattern(21 * 512 + i));
		assert_int_equal(t_bufs[3][36 + 512 + i], 0x99);
	}
	/* the export's last sector, through a fill of its last block */
	assert_int_equal(engine_handle(&t_e, &t_nic, t_bufs[4],
	    t_ata(4, 0, ATA_CMD_READ_EXT, 1, 2047, 0), T_CAP, NULL), 36 + 512);
	assert_int_equal(t_bufs[4][27], T_STAT_OK);
	for (i = 0; i < 512; i++)
		assert_int_equal(t_bufs[4][36 + i], t_pattern(2047 * 512 + i));
	(void)state;
}

static void
test_cache_aio_coherent(void **state)
{
	size_t	 i;

	t_x[0].cache = cache_new(64 * 4096, t_x[0].sectors);
	assert_non_null(t_x[0].cache);

	/* a fill in flight, then a write to its block completes first: the
	 * fill's (older) data must not stay in the cache */
	assert_int_equal(t_run(0, t_ata(0, 0, ATA_CMD_READ_EXT, 8, 64, 0)),
	    ENGINE_PENDING);
	t_collect(1);		/* the fill read is done in the kernel … */
	t_run(1, t_ata(1, 0, ATA_CMD_WRITE_EXT, 8, 64, 0xcc));
	t_real(1);		/* … the write completes before we see it */
	t_fsync_real(&t_x[0]);
	t_check_status(1, T_STAT_OK, 0);
	t_real(0);
	t_check_status(0, T_STAT_OK, 0);
	/* the next read misses and sees the write */
	assert_int_equal(t_run(2, t_ata(2, 0, ATA_CMD_READ_EXT, 8, 64, 0)),
	    ENGINE_PENDING);
	assert_int_equal(t_x[0].st.cache_misses, 2);
	t_real(2);
	for (i = 0; i < 4096; i++)
		assert_int_equal(t_bufs[2][36 + i], 0xcc);
	/* now cached: a hit answers at once, without the ring */
	assert_int_equal(t_run(3, t_ata(3, 0, ATA_CMD_READ_EXT, 8, 64, 0)),
	    36 + 4096);
	assert_int_equal(t_x[0].st.cache_hits, 1);
	assert_int_equal(t_bufs[3][36 + 100], 0xcc);

	/* a failed write drops the block: the next read goes to the image */
	t_run(4, t_ata(4, 0, ATA_CMD_WRITE_EXT, 1, 64, 0xdd));
	t_fake(4, -EIO);
	t_check_status(4, T_STAT_FAIL, ATA_ERR_ABRT);
	assert_int_equal(t_run(5, t_ata(5, 0, ATA_CMD_READ_EXT, 1, 64, 0)),
	    ENGINE_PENDING);
	t_real(5);
	/* a failed fill is a read error and caches nothing */
	assert_int_equal(t_run(6, t_ata(6, 0, ATA_CMD_READ_EXT, 1, 80, 0)),
	    ENGINE_PENDING);
	t_fake(6, -EIO);
	t_check_status(6, T_STAT_FAIL, ATA_ERR_UNC);
	assert_int_equal(t_run(7, t_ata(7, 0, ATA_CMD_READ_EXT, 1, 80, 0)),
	    ENGINE_PENDING);
	t_real(7);
	t_check_status(7, T_STAT_OK, 0);
	assert_int_equal(t_e.pending, 0);
	(void)state;
}

/* eviction and the fill bookkeeping, on the cache alone */
static void
test_cache_evict(void **state)
{
	struct cache	*c = cache_new(16 * 4096, 1024);
	struct iovec	 iov[CACHE_FILL_MAX];
	int32_t		 slots[CACHE_FILL_MAX];
	uint64_t	 first, blk;
	uint8_t		 out[4096];
	unsigned	 n;

	assert_non_null(c);
	assert_int_equal(cache_size(c), 16 * 4096);
	for (blk = 0; blk < 40; blk++) {
		n = cache_fill_begin(c, blk * 8, 8, slots, iov, &first);
		assert_int_equal(n, 1);
		assert_int_equal(first, blk);
		memset(iov[0].iov_base, (int)blk, 4096);
		assert_true(cache_fill_end(c, slots, n, true));
	}
	/* the newest blocks are there, with their data */
	assert_int_equal(cache_read(c, 39 * 8, 8, out), 1);
	assert_int_equal(out[4095], 39);
	assert_int_equal(cache_read(c, 0, 8, out), 0);
	/* a present block cannot be filled again; a too-long range neither */
	assert_int_equal(cache_fill_begin(c, 39 * 8, 1, slots, iov, &first), 0);
	assert_int_equal(cache_fill_begin(c, 0, 8 * CACHE_FILL_MAX + 1, slots,
	    iov, &first), 0);
	/* past the export's last whole block */
	assert_int_equal(cache_fill_begin(c, 1024, 1, slots, iov, &first), 0);
	cache_clear(c);
	assert_int_equal(cache_read(c, 39 * 8, 8, out), 0);
	cache_free(c);
	assert_null(cache_new(0, 1024));
	(void)state;
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, t_setup, t_teardown)
#define TS(fn)	cmocka_unit_test_setup_teardown(fn, t_setup_sync, t_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_aio_read),
		T(test_aio_read_eio_short_eintr),
		T(test_aio_group_commit),
		T(test_aio_write_errors),
		T(test_aio_fsync_failure),
		T(test_aio_kernel_and_flush),
		T(test_aio_drain),
		T(test_order_overlap),
		T(test_order_chain),
		T(test_order_read),
		T(test_order_read_cache),
		T(test_order_failure),
		T(test_order_flush),
		T(test_order_detach),
		T(test_order_drain),
		T(test_aio_restricted),
		TS(test_cache_sync_path),
		T(test_cache_aio_coherent),
		cmocka_unit_test(test_cache_evict),
	};
	struct io_uring	 probe;

	/* Without io_uring (a sandbox forbids it) only the cache is tested
	 * here; blockd then runs its synchronous path. */
	if (io_uring_queue_init(2, &probe, 0) != 0) {
		fprintf(stderr, "io_uring unavailable: skipping its tests\n");
		return cmocka_run_group_tests(tests + 16, NULL, NULL) == 0 ? 0 : 1;
	}
	io_uring_queue_exit(&probe);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

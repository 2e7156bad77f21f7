/*
 * Unit tests of blockd's command engine (blockd/engine.c, ata.c, aoecmd.c):
 * request frames built by hand and with proto/aoe.h encoders, run against a
 * real image (a memfd, or a sparse temp file), with exact reply bytes
 * checked.  pread, pwrite and fdatasync are wrapped (-Wl,--wrap, see
 * test_blockd_engine.mk) to inject EIO, ENOSPC, EINTR and short transfers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "engine.h"

#define T_IMG_SECTORS	2048u
#define T_CAP		9216u
#define T_MAXSECT	16u

/* --- fault injection ---------------------------------------------------- */

enum t_inj_kind { T_PASS, T_ERRNO, T_SHORT, T_ZERO };

struct t_inj {
	enum t_inj_kind	 kind;
	int		 val;	/* errno, or bytes for T_SHORT */
};

struct t_injq {
	struct t_inj	 q[8];
	unsigned	 n, pos;
	unsigned	 calls;
};

static struct t_injq	t_pread_q, t_pwrite_q, t_fdatasync_q;

ssize_t	__real_pread(int, void *, size_t, off_t);
ssize_t	__wrap_pread(int, void *, size_t, off_t);
ssize_t	__real_preadv(int, const struct iovec *, int, off_t);
ssize_t	__wrap_preadv(int, const struct iovec *, int, off_t);
ssize_t	__real_pwrite(int, const void *, size_t, off_t);
ssize_t	__wrap_pwrite(int, const void *, size_t, off_t);
int	__real_fdatasync(int);
int	__wrap_fdatasync(int);

static void
t_inject(struct t_injq *iq, enum t_inj_kind kind, int val)
{
	assert_true(iq->n < 8);
	iq->q[iq->n].kind = kind;
	iq->q[iq->n].val = val;
	iq->n++;
}

static struct t_inj
t_inj_next(struct t_injq *iq)
{
	struct t_inj	 none = { T_PASS, 0 };

	iq->calls++;
	if (iq->pos < iq->n)
		return iq->q[iq->pos++];
	return none;
}

ssize_t
__wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	struct t_inj	 i = t_inj_next(&t_pread_q);

	switch (i.kind) {
	case T_ERRNO:
		errno = i.val;
		return -1;
	case T_SHORT:
		return __real_pread(fd, buf, (size_t)i.val < n ? (size_t)i.val :
		    n, off);
	case T_ZERO:
		return 0;
	default:
		return __real_pread(fd, buf, n, off);
	}
}

/* The image's reads (full_pread, a cache fill) go through preadv: the
 * same queue as pread.  T_SHORT keeps the first val bytes of the iovecs. */
ssize_t
__wrap_preadv(int fd, const struct iovec *iov, int niov, off_t off)
{
	struct t_inj	 i = t_inj_next(&t_pread_q);
	struct iovec	 cut[16];
	size_t		 left;
	int		 k;

	switch (i.kind) {
	case T_ERRNO:
		errno = i.val;
		return -1;
	case T_SHORT:
		assert_true(niov <= 16);
		left = (size_t)i.val;
		for (k = 0; k < niov && left > 0; k++) {
			cut[k] = iov[k];
			if (cut[k].iov_len > left)
				cut[k].iov_len = left;
			left -= cut[k].iov_len;
		}
		return __real_preadv(fd, cut, k, off);
	case T_ZERO:
		return 0;
	default:
		return __real_preadv(fd, iov, niov, off);
	}
}

ssize_t
__wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	struct t_inj	 i = t_inj_next(&t_pwrite_q);

	switch (i.kind) {
	case T_ERRNO:
		errno = i.val;
		return -1;
	case T_SHORT:
		return __real_pwrite(fd, buf, (size_t)i.val < n ?
		    (size_t)i.val : n, off);
	case T_ZERO:
		return 0;
	default:
		return __real_pwrite(fd, buf, n, off);
	}
}

int
__wrap_fdatasync(int fd)
{
	struct t_inj	 i = t_inj_next(&t_fdatasync_q);

	if (i.kind == T_ERRNO) {
		errno = i.val;
		return -1;
	}
	return __real_fdatasync(fd);
}

/* --- fixture ------------------------------------------------------------ */

static const uint8_t	T_NIC0_MAC[6] = { 0x02, 0, 0, 0, 0, 0xa0 };
static const uint8_t	T_NIC1_MAC[6] = { 0x02, 0, 0, 0, 0, 0xa1 };
static const uint8_t	T_H1[6] = { 0x02, 0, 0, 0, 1, 0x01 };
static const uint8_t	T_H2[6] = { 0x02, 0, 0, 0, 1, 0x02 };
static const uint8_t	T_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static int		 t_fd = -1;
static struct export	 t_x[3];
static struct engine	 t_e;
static struct nic_view	 t_nic0, t_nic1;
static uint8_t		 t_buf[T_CAP] __attribute__((aligned(4096)));

/* The image's byte at file offset o: distinct per sector and per byte. */
static uint8_t
t_pattern(uint64_t o)
{
	return (uint8_t)(o * 7 + (o >> 9) * 13 + 1);
}

static void
t_export_init(struct export *x, const char *name, uint16_t shelf,
    uint8_t slot, uint64_t offset, uint64_t sectors, unsigned flags,
    uint64_t nic_mask)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->shelf = shelf;
	x->slot = slot;
	x->fd = t_fd;
	x->offset = offset;
	x->sectors = sectors;
	x->flags = flags;
	x->nic_mask = nic_mask;
	x->bufcnt = 16;
	snprintf(x->serial, sizeof(x->serial), "SN-%s", name);
	snprintf(x->model, sizeof(x->model), "AoEde test %s", name);
}

static int
t_setup(void **state)
{
	static uint8_t	 img[T_IMG_SECTORS * 512];
	size_t		 i;

	memset(&t_pread_q, 0, sizeof(t_pread_q));
	memset(&t_pwrite_q, 0, sizeof(t_pwrite_q));
	memset(&t_fdatasync_q, 0, sizeof(t_fdatasync_q));
	t_fd = memfd_create("aoede-test-img", 0);
	assert_true(t_fd >= 0);
	for (i = 0; i < sizeof(img); i++)
		img[i] = t_pattern(i);
	assert_int_equal(__real_pwrite(t_fd, img, sizeof(img), 0),
	    (ssize_t)sizeof(img));

	/* e1.0: sync, sectors 64..1087 of the file, NIC 0 */
	t_export_init(&t_x[0], "e1.0", 1, 0, 64 * 512, 1024, 0, 0x1);
	/* e1.1: kernel mode, sectors 1088..1599, NICs 0 and 1 */
	t_export_init(&t_x[1], "e1.1", 1, 1, 1088 * 512, 512, EXPORT_KERNEL,
	    0x3);
	/* e2.0: read-only, sectors 0..63, NIC 1 only */
	t_export_init(&t_x[2], "e2.0", 2, 0, 0, 64, EXPORT_RDONLY, 0x2);
	t_e.exports = t_x;
	t_e.nexports = 3;

	memset(&t_nic0, 0, sizeof(t_nic0));
	t_nic0.index = 0;
	t_nic0.mtu = 9000;
	memcpy(t_nic0.mac, T_NIC0_MAC, 6);
	t_nic0.max_sectors = T_MAXSECT;
	t_nic1 = t_nic0;
	t_nic1.index = 1;
	memcpy(t_nic1.mac, T_NIC1_MAC, 6);
	memset(t_buf, 0x5a, sizeof(t_buf));
	(void)state;
	return 0;
}

static int
t_teardown(void **state)
{
	close(t_fd);
	t_fd = -1;
	(void)state;
	return 0;
}

/* --- frame builders ----------------------------------------------------- */

static void
t_hdr(uint8_t *f, const uint8_t src[6], uint16_t major, uint8_t minor,
    uint8_t cmd, uint32_t tag)
{
	struct aoe_hdr	 h;

	memset(&h, 0, sizeof(h));
	memcpy(h.dst, T_BCAST, 6);
	memcpy(h.src, src, 6);
	h.type = AOE_ETHERTYPE;
	h.ver = AOE_VERSION;
	h.major = major;
	h.minor = minor;
	h.cmd = cmd;
	h.tag = tag;
	aoe_hdr_encode(f, &h);
}

/* An ATA request; data (may be NULL: zeros) of datalen bytes follows. */
static size_t
t_ata(const uint8_t src[6], uint16_t major, uint8_t minor, uint32_t tag,
    uint8_t aflags, uint8_t cmd, uint8_t scnt, uint64_t lba,
    const uint8_t *data, size_t datalen)
{
	struct aoe_ata	 a;

	memset(t_buf, 0x5a, sizeof(t_buf));
	t_hdr(t_buf, src, major, minor, AOE_CMD_ATA, tag);
	memset(&a, 0, sizeof(a));
	a.aflags = aflags;
	a.scnt = scnt;
	a.cmd_status = cmd;
	a.lba = lba;
	aoe_ata_encode(t_buf, &a);
	if (data != NULL)
		memcpy(t_buf + 36, data, datalen);
	else
		memset(t_buf + 36, 0, datalen);
	return 36 + datalen;
}

static size_t
t_cfg(const uint8_t src[6], uint16_t major, uint8_t minor, uint32_t tag,
    uint8_t ccmd, const void *str, uint16_t cslen)
{
	struct aoe_cfg	 c;
	int		 n;

	memset(t_buf, 0x5a, sizeof(t_buf));
	t_hdr(t_buf, src, major, minor, AOE_CMD_CFG, tag);
	memset(&c, 0, sizeof(c));
	c.ccmd = ccmd;
	c.cslen = cslen;
	c.cs = str;
	n = aoe_cfg_encode(t_buf, sizeof(t_buf), &c);
	assert_true(n >= 32);
	return (size_t)n;
}

/* A mask edit/read with `n` directives {dcmd, mac}. */
static size_t
t_mask(const uint8_t src[6], uint32_t tag, uint8_t mcmd, unsigned n,
    const uint8_t *dcmds, const uint8_t (*macs)[6])
{
	unsigned	 i;

	memset(t_buf, 0x5a, sizeof(t_buf));
	t_hdr(t_buf, src, 1, 0, AOE_CMD_MASK, tag);
	t_buf[24] = 0;
	t_buf[25] = mcmd;
	t_buf[26] = 0;
	t_buf[27] = (uint8_t)n;
	for (i = 0; i < n; i++) {
		t_buf[28 + 8 * i] = 0;
		t_buf[29 + 8 * i] = dcmds[i];
		memcpy(t_buf + 30 + 8 * i, macs[i], 6);
	}
	return 28 + 8 * n;
}

static size_t
t_rsv(const uint8_t src[6], uint32_t tag, uint8_t rcmd,
    const uint8_t (*macs)[6], unsigned n)
{
	int	 len;

	memset(t_buf, 0x5a, sizeof(t_buf));
	t_hdr(t_buf, src, 1, 0, AOE_CMD_RSV, tag);
	len = aoe_rsv_encode(t_buf, sizeof(t_buf), rcmd, macs, n);
	assert_true(len >= 26);
	return (size_t)len;
}

/* --- reply checks ------------------------------------------------------- */

static size_t
t_run(const struct nic_view *nic, size_t len, struct export **sx)
{
	struct export	*dummy = (struct export *)&dummy;
	size_t		 r;

	if (sx == NULL)
		sx = &dummy;
	r = engine_handle(&t_e, nic, t_buf, len, sizeof(t_buf), sx);
	if (r != 0) {
		assert_true(r >= AOE_MIN_FRAME);
		assert_true(r <= sizeof(t_buf));
	}
	return r;
}

/* Every reply: dst = the requester, src = our NIC, R set, E as expected,
 * the export's real address, command and tag echoed. */
static void
t_check_hdr(const uint8_t *nicmac, const uint8_t to[6], uint16_t shelf,
    uint8_t slot, uint8_t cmd, uint32_t tag, uint8_t error)
{
	assert_memory_equal(t_buf, to, 6);
	assert_memory_equal(t_buf + 6, nicmac, 6);
	assert_int_equal(t_buf[12], 0x88);
	assert_int_equal(t_buf[13], 0xA2);
	assert_int_equal(t_buf[14], error ? 0x1C : 0x18);
	assert_int_equal(t_buf[15], error);
	assert_int_equal(t_buf[16], shelf >> 8);
	assert_int_equal(t_buf[17], shelf & 0xff);
	assert_int_equal(t_buf[18], slot);
	assert_int_equal(t_buf[19], cmd);
	assert_int_equal(t_buf[20], tag >> 24);
	assert_int_equal(t_buf[21], (tag >> 16) & 0xff);
	assert_int_equal(t_buf[22], (tag >> 8) & 0xff);
	assert_int_equal(t_buf[23], tag & 0xff);
}

/* ATA registers of a reply: AFlags, error, count, status, LBA as sent. */
static void
t_check_ata(uint8_t aflags, uint8_t err, uint8_t scnt, uint8_t status,
    uint64_t lba)
{
	int	 i;

	assert_int_equal(t_buf[24], aflags);
	assert_int_equal(t_buf[25], err);
	assert_int_equal(t_buf[26], scnt);
	assert_int_equal(t_buf[27], status);
	for (i = 0; i < 6; i++)
		assert_int_equal(t_buf[28 + i], (lba >> (8 * i)) & 0xff);
	assert_int_equal(t_buf[34], 0);
	assert_int_equal(t_buf[35], 0);
}

static void
t_check_zero(size_t from, size_t to)
{
	size_t	 i;

	for (i = from; i < to; i++)
		if (t_buf[i] != 0)
			fail_msg("byte %zu is 0x%02x, not 0", i, t_buf[i]);
}

static uint16_t
t_word(const uint8_t *id, unsigned w)
{
	return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8);
}

/* Read n bytes of the image at file offset off, bypassing the wrappers. */
static void
t_img(uint64_t off, uint8_t *out, size_t n)
{
	assert_int_equal(__real_pread(t_fd, out, n, (off_t)off), (ssize_t)n);
}

static void
t_check_pattern(const uint8_t *p, uint64_t off, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] != t_pattern(off + i))
			fail_msg("byte %zu of file offset %llu differs", i,
			    (unsigned long long)off);
}

/* stderr capture, to check log lines */
static int	 t_saved_stderr = -1, t_cap_fd = -1;

static void
t_capture_begin(void)
{
	t_cap_fd = memfd_create("aoede-test-log", 0);
	assert_true(t_cap_fd >= 0);
	t_saved_stderr = dup(STDERR_FILENO);
	assert_true(t_saved_stderr >= 0);
	assert_true(dup2(t_cap_fd, STDERR_FILENO) >= 0);
}

static void
t_capture_end(char *out, size_t n)
{
	ssize_t	 got;

	assert_true(dup2(t_saved_stderr, STDERR_FILENO) >= 0);
	close(t_saved_stderr);
	got = __real_pread(t_cap_fd, out, n - 1, 0);
	assert_true(got >= 0);
	out[got] = '\0';
	close(t_cap_fd);
}

/* --- IDENTIFY ----------------------------------------------------------- */

static void
t_check_ata_string(const uint8_t *id, unsigned w, unsigned nwords,
    const char *s)
{
	char	 want[81];
	size_t	 i;

	memset(want, ' ', sizeof(want));
	memcpy(want, s, strlen(s));
	for (i = 0; i < nwords * 2; i += 2) {
		assert_int_equal(id[2 * w + i], (uint8_t)want[i + 1]);
		assert_int_equal(id[2 * w + i + 1], (uint8_t)want[i]);
	}
}

static void
test_identify_words(void **state)
{
	uint8_t		 id[512];
	uint8_t		 sum = 0;
	struct export	*x = &t_x[0];
	unsigned	 i;

	x->sectors = 0x123456789aULL;
	snprintf(x->serial, sizeof(x->serial), "SN12345");
	snprintf(x->model, sizeof(x->model), "AoEde virtual disk");
	memset(id, 0xee, sizeof(id));
	engine_identify(x, id);

	assert_int_equal(t_word(id, 0), 0);
	/* "SN12345" → bytes 'N','S','2','1','4','3',' ','5', then spaces */
	assert_int_equal(id[20], 'N');
	assert_int_equal(id[21], 'S');
	assert_int_equal(id[22], '2');
	assert_int_equal(id[23], '1');
	assert_int_equal(id[26], ' ');
	assert_int_equal(id[27], '5');
	assert_int_equal(id[39], ' ');
	t_check_ata_string(id, 10, 10, "SN12345");
	t_check_ata_string(id, 23, 4, "AoEde1");
	t_check_ata_string(id, 27, 20, "AoEde virtual disk");
	assert_int_equal(id[54], 'o');
	assert_int_equal(id[55], 'A');

	assert_int_equal(t_word(id, 47), 0x8000);
	assert_int_equal(t_word(id, 49), 0x0200);
	assert_int_equal(t_word(id, 50), 0x4000);
	/* word 60–61 clamped to LBA28, 100–103 the real size */
	assert_int_equal(t_word(id, 60), 0xFFFF);
	assert_int_equal(t_word(id, 61), 0x0FFF);
	assert_int_equal(t_word(id, 80), 0x00F0);
	assert_int_equal(t_word(id, 82), 0x4020);
	assert_int_equal(t_word(id, 83), 0x7400);
	assert_int_equal(t_word(id, 84), 0x4000);
	assert_int_equal(t_word(id, 85), 0x4000);	/* sync: no cache */
	assert_int_equal(t_word(id, 86), 0x3400);
	assert_int_equal(t_word(id, 87), 0x4000);
	assert_int_equal(t_word(id, 100), 0x789a);
	assert_int_equal(t_word(id, 101), 0x3456);
	assert_int_equal(t_word(id, 102), 0x0012);
	assert_int_equal(t_word(id, 103), 0);
	/* CHS clamps at 16383/16/63 */
	assert_int_equal(t_word(id, 1), 16383);
	assert_int_equal(t_word(id, 3), 16);
	assert_int_equal(t_word(id, 6), 63);
	/* integrity word: signature and a zero byte sum */
	assert_int_equal(id[510], 0xA5);
	for (i = 0; i < 512; i++)
		sum += id[i];
	assert_int_equal(sum, 0);
	/* nothing left of the 0xee fill outside the words set */
	assert_int_equal(t_word(id, 2), 0);
	assert_int_equal(t_word(id, 200), 0);

	/* kernel mode: volatile write cache enabled, small size unclamped */
	x->flags = EXPORT_KERNEL;
	x->sectors = 1000;
	engine_identify(x, id);
	assert_int_equal(t_word(id, 85), 0x4020);
	assert_int_equal(t_word(id, 60), 1000);
	assert_int_equal(t_word(id, 61), 0);
	assert_int_equal(t_word(id, 100), 1000);
	assert_int_equal(t_word(id, 1), 0);	/* 1000 / (16 × 63) */
	(void)state;
}

/* aoeping-style IDENTIFY (lba3 0xA0, 1024 bytes of padding) against a
 * sparse image larger than LBA28 can address. */
static void
test_identify_sparse_trailing(void **state)
{
	char		 path[] = "/tmp/aoede-engine-XXXXXX";
	struct stat	 sb;
	uint64_t	 sectors = (UINT64_C(1) << 28) + 4096;
	size_t		 len, r;
	int		 fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, (off_t)(sectors * 512)), 0);
	assert_int_equal(fstat(fd, &sb), 0);
	t_x[0].fd = fd;
	t_x[0].offset = 0;
	t_x[0].sectors = (uint64_t)sb.st_size / 512;

	len = t_ata(T_H1, 1, 0, 0x80000001, 0, ATA_CMD_IDENTIFY, 1,
	    UINT64_C(0xA0) << 24, NULL, 1024);
	r = t_run(&t_nic0, len, NULL);
	assert_int_equal(r, 36 + 512);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 0x80000001, 0);
	t_check_ata(0, 0, 0, 0x40, UINT64_C(0xA0) << 24);
	assert_int_equal(t_word(t_buf + 36, 60), 0xFFFF);
	assert_int_equal(t_word(t_buf + 36, 61), 0x0FFF);
	assert_int_equal(t_word(t_buf + 36, 100), sectors & 0xffff);
	assert_int_equal(t_word(t_buf + 36, 101), (sectors >> 16) & 0xffff);
	assert_int_equal(t_word(t_buf + 36, 102), 0);
	assert_int_equal(t_word(t_buf + 36, 85), 0x4000);
	assert_int_equal(t_x[0].st.identifies, 1);
	close(fd);
	(void)state;
}

/* A buffer that cannot hold the 548-byte reply gets no reply at all. */
static void
test_identify_small_cap(void **state)
{
	size_t	 len, r;

	len = t_ata(T_H1, 1, 0, 7, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	r = engine_handle(&t_e, &t_nic0, t_buf, len, 100, NULL);
	assert_int_equal(r, 0);
	(void)state;
}

/* --- READ --------------------------------------------------------------- */

static void
test_read_window(void **state)
{
	struct export	*sx = NULL;
	size_t		 len, r;

	/* LBA48 read of 3 sectors at lba 5 of e1.0 (file sector 69) */
	len = t_ata(T_H1, 1, 0, 0x12345678, AOE_AFLAG_EXT, ATA_CMD_READ_EXT,
	    3, 5, NULL, 0);
	r = t_run(&t_nic0, len, &sx);
	assert_int_equal(r, 36 + 3 * 512);
	assert_null(sx);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 0x12345678, 0);
	t_check_ata(AOE_AFLAG_EXT, 0, 0, 0x40, 5);
	t_check_pattern(t_buf + 36, (64 + 5) * 512, 3 * 512);
	assert_int_equal(t_x[0].st.reads, 1);
	assert_int_equal(t_x[0].st.read_bytes, 1536);

	/* the last sector of e1.1 via NIC 1; a Linux probe with trailing
	 * zero data, which must not end up in the image nor the reply */
	len = t_ata(T_H2, 1, 1, 0x00010002, AOE_AFLAG_EXT, ATA_CMD_READ_EXT,
	    1, 511, NULL, 1024);
	r = t_run(&t_nic1, len, NULL);
	assert_int_equal(r, 36 + 512);
	t_check_hdr(T_NIC1_MAC, T_H2, 1, 1, AOE_CMD_ATA, 0x00010002, 0);
	t_check_ata(AOE_AFLAG_EXT, 0, 0, 0x40, 511);
	t_check_pattern(t_buf + 36, (1088 + 511) * 512, 512);
	assert_int_equal(t_x[1].st.reads, 1);
	(void)state;
}

/* LBA28: the high nibble of lba3 (0xE0 from Linux) is not address. */
static void
test_read_lba28_mask(void **state)
{
	uint64_t	 lba = UINT64_C(0xE0) << 24 | 7;
	size_t		 len, r;

	len = t_ata(T_H1, 1, 0, 1, 0, ATA_CMD_READ, 2, lba, NULL, 0);
	r = t_run(&t_nic0, len, NULL);
	assert_int_equal(r, 36 + 1024);
	t_check_ata(0, 0, 0, 0x40, lba);	/* echoed as sent */
	t_check_pattern(t_buf + 36, (64 + 7) * 512, 1024);

	/* the low nibble is address: 0x01000007 is out of range */
	lba = UINT64_C(0xE1) << 24 | 7;
	len = t_ata(T_H1, 1, 0, 2, 0, ATA_CMD_READ, 1, lba, NULL, 0);
	r = t_run(&t_nic0, len, NULL);
	assert_int_equal(r, 60);
	t_check_ata(0, ATA_ERR_IDNF, 1, 0x41, lba);
	(void)state;
}

static void
test_read_out_of_range(void **state)
{
	size_t	 len, r;

	/* last sector + 1 */
	len = t_ata(T_H1, 1, 0, 3, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 2, 1023,
	    NULL, 0);
	r = t_run(&t_nic0, len, NULL);
	assert_int_equal(r, 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 3, 0);
	t_check_ata(AOE_AFLAG_EXT, ATA_ERR_IDNF, 2, 0x41, 1023);
	t_check_zero(36, 60);
	/* a huge LBA48 must not wrap around */
	len = t_ata(T_H1, 1, 0, 4, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 1,
	    UINT64_C(0xFFFFFFFFFFFF), NULL, 0);
	r = t_run(&t_nic0, len, NULL);
	assert_int_equal(r, 60);
	t_check_ata(AOE_AFLAG_EXT, ATA_ERR_IDNF, 1, 0x41,
	    UINT64_C(0xFFFFFFFFFFFF));
	assert_int_equal(t_x[0].st.err_range, 2);
	assert_int_equal(t_x[0].st.reads, 0);
	assert_int_equal(t_pread_q.calls, 0);
	/* exactly the last sector is fine; zero sectors at the end too */
	len = t_ata(T_H1, 1, 0, 5, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 1, 1023,
	    NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 36 + 512);
	len = t_ata(T_H1, 1, 0, 5, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 0, 1024,
	    NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_ata(AOE_AFLAG_EXT, 0, 0, 0x40, 1024);
	(void)state;
}

static void
test_scnt_over_max(void **state)
{
	size_t	 len, r;

	len = t_ata(T_H1, 1, 0, 0xabcdef01, AOE_AFLAG_EXT, ATA_CMD_READ_EXT,
	    T_MAXSECT + 1, 0, NULL, 0);
	r = t_run(&t_nic0, len, NULL);
	assert_int_equal(r, 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 0xabcdef01,
	    AOE_ERR_BADARG);
	t_check_ata(AOE_AFLAG_EXT, 0, T_MAXSECT + 1, ATA_CMD_READ_EXT, 0);
	t_check_zero(36, 60);
	assert_int_equal(t_x[0].st.err_badarg, 1);
	assert_int_equal(t_pread_q.calls, 0);
	/* max_sectors itself is fine */
	len = t_ata(T_H1, 1, 0, 1, AOE_AFLAG_EXT, ATA_CMD_READ_EXT,
	    T_MAXSECT, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 36 + T_MAXSECT * 512);
	/* a buffer too small for the read data: BADARG, not an overrun */
	len = t_ata(T_H1, 1, 0, 1, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 2, 0,
	    NULL, 0);
	r = engine_handle(&t_e, &t_nic0, t_buf, len, 36 + 512, NULL);
	assert_int_equal(r, 60);
	assert_int_equal(t_buf[15], AOE_ERR_BADARG);
	assert_int_equal(t_x[0].st.err_badarg, 2);
	(void)state;
}

/* --- WRITE -------------------------------------------------------------- */

static void
test_write_roundtrip(void **state)
{
	uint8_t		 data[1024], img[2048];
	struct export	*sx = (struct export *)1;
	size_t		 len, r;
	unsigned	 i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 5);
	/* kernel-mode export: acknowledged at once, no group commit */
	len = t_ata(T_H1, 1, 1, 0x55, AOE_AFLAG_EXT | AOE_AFLAG_WRITE,
	    ATA_CMD_WRITE_EXT, 2, 10, data, sizeof(data));
	r = t_run(&t_nic0, len, &sx);
	assert_int_equal(r, 60);
	assert_null(sx);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 1, AOE_CMD_ATA, 0x55, 0);
	t_check_ata(AOE_AFLAG_EXT | AOE_AFLAG_WRITE, 0, 0, 0x40, 10);
	t_check_zero(36, 60);
	assert_false(t_x[1].sync_pending);
	assert_int_equal(t_x[1].st.writes, 1);
	assert_int_equal(t_x[1].st.write_bytes, 1024);

	/* on the image at the window's offset, neighbours untouched */
	t_img((1088 + 9) * 512, img, sizeof(img));
	t_check_pattern(img, (1088 + 9) * 512, 512);
	assert_memory_equal(img + 512, data, 1024);
	t_check_pattern(img + 1536, (1088 + 12) * 512, 512);

	/* and back through the engine */
	len = t_ata(T_H2, 1, 1, 0x56, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 2, 10,
	    NULL, 0);
	assert_int_equal(t_run(&t_nic1, len, NULL), 36 + 1024);
	assert_memory_equal(t_buf + 36, data, 1024);

	/* LBA28 write with lba3 0xE0 lands at lba 3 */
	len = t_ata(T_H1, 1, 1, 0x57, AOE_AFLAG_WRITE, ATA_CMD_WRITE, 1,
	    UINT64_C(0xE0) << 24 | 3, data, 512);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_ata(AOE_AFLAG_WRITE, 0, 0, 0x40, UINT64_C(0xE0) << 24 | 3);
	t_img((1088 + 3) * 512, img, 512);
	assert_memory_equal(img, data, 512);
	(void)state;
}

static void
test_write_errors(void **state)
{
	uint8_t		 data[1024], img[1024];
	struct export	*sx = (struct export *)1;
	size_t		 len, r;

	memset(data, 0x77, sizeof(data));
	/* read-only export (NIC 1) → ABRT, image unchanged */
	len = t_ata(T_H1, 2, 0, 0x61, AOE_AFLAG_EXT | AOE_AFLAG_WRITE,
	    ATA_CMD_WRITE_EXT, 2, 0, data, sizeof(data));
	r = t_run(&t_nic1, len, &sx);
	assert_int_equal(r, 60);
	assert_null(sx);
	t_check_hdr(T_NIC1_MAC, T_H1, 2, 0, AOE_CMD_ATA, 0x61, 0);
	t_check_ata(AOE_AFLAG_EXT | AOE_AFLAG_WRITE, ATA_ERR_ABRT, 2, 0x41, 0);
	assert_int_equal(t_x[2].st.err_rdonly, 1);
	assert_int_equal(t_x[2].st.writes, 0);
	t_img(0, img, sizeof(img));
	t_check_pattern(img, 0, sizeof(img));
	/* reads of the read-only export still work */
	len = t_ata(T_H1, 2, 0, 0x62, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 1, 63,
	    NULL, 0);
	assert_int_equal(t_run(&t_nic1, len, NULL), 36 + 512);
	t_check_pattern(t_buf + 36, 63 * 512, 512);

	/* out of range → IDNF */
	len = t_ata(T_H1, 1, 0, 0x63, AOE_AFLAG_EXT | AOE_AFLAG_WRITE,
	    ATA_CMD_WRITE_EXT, 2, 1023, data, sizeof(data));
	r = t_run(&t_nic0, len, &sx);
	assert_int_equal(r, 60);
	assert_null(sx);
	t_check_ata(AOE_AFLAG_EXT | AOE_AFLAG_WRITE, ATA_ERR_IDNF, 2, 0x41,
	    1023);
	assert_int_equal(t_x[0].st.err_range, 1);

	/* data shorter than scnt × 512 → AoE error 2, nothing written */
	len = t_ata(T_H1, 1, 0, 0x64, AOE_AFLAG_EXT | AOE_AFLAG_WRITE,
	    ATA_CMD_WRITE_EXT, 2, 0, data, 1023);
	r = t_run(&t_nic0, len, &sx);
	assert_int_equal(r, 60);
	assert_null(sx);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 0x64,
	    AOE_ERR_BADARG);
	t_check_ata(AOE_AFLAG_EXT | AOE_AFLAG_WRITE, 0, 2, ATA_CMD_WRITE_EXT,
	    0);
	t_check_zero(36, 60);
	assert_int_equal(t_x[0].st.err_badarg, 1);
	assert_int_equal(t_pwrite_q.calls, 0);
	assert_false(t_x[0].sync_pending);
	t_img(64 * 512, img, sizeof(img));
	t_check_pattern(img, 64 * 512, sizeof(img));
	(void)state;
}

/* --- group commit ------------------------------------------------------- */

static void
test_group_commit(void **state)
{
	uint8_t		 data[512];
	struct export	*sx;
	size_t		 len;
	unsigned	 i;

	memset(data, 0x3c, sizeof(data));
	for (i = 0; i < 3; i++) {
		sx = NULL;
		len = t_ata(T_H1, 1, 0, 0x100 + i,
		    AOE_AFLAG_EXT | AOE_AFLAG_WRITE, ATA_CMD_WRITE_EXT, 1, i,
		    data, sizeof(data));
		assert_int_equal(t_run(&t_nic0, len, &sx), 60);
		assert_ptr_equal(sx, &t_x[0]);
		t_check_ata(AOE_AFLAG_EXT | AOE_AFLAG_WRITE, 0, 0, 0x40, i);
	}
	assert_true(t_x[0].sync_pending);
	assert_int_equal(t_fdatasync_q.calls, 0);	/* the caller's job */
	/* one fdatasync for the batch */
	assert_int_equal(export_sync(&t_x[0]), 0);
	assert_int_equal(t_fdatasync_q.calls, 1);
	assert_int_equal(t_x[0].st.fsyncs, 1);
	assert_false(t_x[0].sync_pending);
	/* nothing pending: no call */
	assert_int_equal(export_sync(&t_x[0]), 0);
	assert_int_equal(t_fdatasync_q.calls, 1);
	assert_int_equal(t_x[0].st.fsyncs, 1);
	assert_int_equal(t_x[0].st.writes, 3);
	assert_int_equal(t_x[0].st.write_bytes, 1536);

	/* reads and other commands never ask for a sync */
	sx = (struct export *)1;
	len = t_ata(T_H1, 1, 0, 9, 0, ATA_CMD_READ, 1, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, &sx), 36 + 512);
	assert_null(sx);
	assert_memory_equal(t_buf + 36, data, 512);
	(void)state;
}

/* --- FLUSH, CHECK POWER, unsupported ------------------------------------ */

static void
test_flush(void **state)
{
	struct export	*sx = (struct export *)1;
	char		 log[2048];
	size_t		 len, r;

	/* kernel-mode export, nothing pending: FLUSH still syncs */
	len = t_ata(T_H1, 1, 1, 0x71, 0, ATA_CMD_FLUSH, 0, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, &sx), 60);
	assert_null(sx);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 1, AOE_CMD_ATA, 0x71, 0);
	t_check_ata(0, 0, 0, 0x40, 0);
	assert_int_equal(t_fdatasync_q.calls, 1);
	assert_int_equal(t_x[1].st.flushes, 1);
	assert_int_equal(t_x[1].st.fsyncs, 1);

	/* FLUSH EXT on a sync export, nothing pending: synced right here */
	len = t_ata(T_H1, 1, 0, 0x72, AOE_AFLAG_EXT, ATA_CMD_FLUSH_EXT, 0, 0,
	    NULL, 0);
	sx = (struct export *)1;
	assert_int_equal(t_run(&t_nic0, len, &sx), 60);
	assert_null(sx);
	t_check_ata(AOE_AFLAG_EXT, 0, 0, 0x40, 0);
	assert_int_equal(t_fdatasync_q.calls, 2);
	assert_int_equal(t_x[0].st.flushes, 1);
	assert_int_equal(t_x[0].st.fsyncs, 1);

	/* fdatasync failure → ABRT, err_io */
	t_inject(&t_fdatasync_q, T_ERRNO, EIO);
	len = t_ata(T_H1, 1, 1, 0x73, 0, ATA_CMD_FLUSH, 0, 0, NULL, 0);
	t_capture_begin();
	r = t_run(&t_nic0, len, NULL);
	t_capture_end(log, sizeof(log));
	assert_int_equal(r, 60);
	assert_non_null(strstr(log, "e1.1: fdatasync"));
	t_check_ata(0, ATA_ERR_ABRT, 0, 0x41, 0);
	assert_int_equal(t_x[1].st.err_io, 1);
	assert_int_equal(t_x[1].st.flushes, 2);
	(void)state;
}

/* A FLUSH behind writes still waiting for their group commit joins it, so
 * one fdatasync answers all of them, and its failure fails all of them. */
static void
t_flush_in_batch(int fail)
{
	uint8_t		 data[512], replies[2][60];
	struct export	*sx[2] = { NULL, NULL };
	char		 log[2048];
	size_t		 len;

	memset(data, 0x4b, sizeof(data));
	len = t_ata(T_H1, 1, 0, 0x75, AOE_AFLAG_EXT | AOE_AFLAG_WRITE,
	    ATA_CMD_WRITE_EXT, 1, 2, data, sizeof(data));
	assert_int_equal(t_run(&t_nic0, len, &sx[0]), 60);
	memcpy(replies[0], t_buf, 60);
	len = t_ata(T_H1, 1, 0, 0x76, 0, ATA_CMD_FLUSH, 0, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, &sx[1]), 60);
	memcpy(replies[1], t_buf, 60);
	assert_ptr_equal(sx[0], &t_x[0]);
	assert_ptr_equal(sx[1], &t_x[0]);
	assert_int_equal(t_fdatasync_q.calls, 0);
	assert_int_equal(t_x[0].st.flushes, 1);

	if (fail)
		t_inject(&t_fdatasync_q, T_ERRNO, EIO);
	t_capture_begin();
	assert_int_equal(export_sync(&t_x[0]), fail ? -EIO : 0);
	t_capture_end(log, sizeof(log));
	assert_true(fail ? strstr(log, "e1.0: fdatasync") != NULL :
	    log[0] == '\0');
	assert_int_equal(t_fdatasync_q.calls, 1);
	assert_int_equal(t_x[0].sync_pending, fail ? true : false);
	if (!fail)
		return;
	engine_fail_write(&t_x[0], replies[0]);
	engine_fail_write(&t_x[0], replies[1]);
	memcpy(t_buf, replies[1], 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 0x76, 0);
	t_check_ata(0, ATA_ERR_ABRT, 0, 0x41, 0);
	memcpy(t_buf, replies[0], 60);
	t_check_ata(AOE_AFLAG_EXT | AOE_AFLAG_WRITE, ATA_ERR_ABRT, 0, 0x41, 2);
	assert_int_equal(t_x[0].st.err_io, 3);
}

static void
test_flush_joins_commit(void **state)
{
	t_flush_in_batch(0);
	(void)state;
}

static void
test_flush_joins_commit_failure(void **state)
{
	t_flush_in_batch(1);
	(void)state;
}

static void
test_check_power_and_unsupported(void **state)
{
	size_t	 len;

	len = t_ata(T_H1, 1, 0, 0x81, 0, ATA_CMD_CHECK_POWER, 0, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 0x81, 0);
	t_check_ata(0, 0, 0xFF, 0x40, 0);

	/* aoeping -S: SMART read data (features 0xD0, lba 0xC24F00) */
	len = t_ata(T_H1, 1, 0, 0x82, 0, ATA_CMD_SMART, 1,
	    UINT64_C(0xC24F00), NULL, 512);
	t_buf[25] = 0xD0;
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 0x82, 0);
	t_check_ata(0, ATA_ERR_ABRT, 1, 0x41, UINT64_C(0xC24F00));
	t_check_zero(36, 60);

	len = t_ata(T_H1, 1, 0, 0x83, 0, 0x00, 0, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_ata(0, ATA_ERR_ABRT, 0, 0x41, 0);
	assert_int_equal(t_x[0].st.err_unsupported, 2);
	(void)state;
}

/* --- injected I/O failures ---------------------------------------------- */

static void
test_read_eio(void **state)
{
	char	 log[2048];
	size_t	 len, r;

	t_inject(&t_pread_q, T_ERRNO, EIO);
	len = t_ata(T_H1, 1, 0, 0x91, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 2, 5,
	    NULL, 0);
	t_capture_begin();
	r = t_run(&t_nic0, len, NULL);
	t_capture_end(log, sizeof(log));
	assert_int_equal(r, 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 0x91, 0);
	t_check_ata(AOE_AFLAG_EXT, ATA_ERR_UNC, 2, 0x41, 5);
	assert_int_equal(t_x[0].st.err_io, 1);
	assert_int_equal(t_x[0].st.reads, 0);
	assert_non_null(strstr(log, "e1.0"));
	assert_non_null(strstr(log, "lba 5 "));
	assert_non_null(strstr(log, "byte offset 35328"));  /* 69 × 512 */
	assert_non_null(strstr(log, strerror(EIO)));

	/* EOF before the end of the export is an I/O error, not a hang */
	t_inject(&t_pread_q, T_SHORT, 100);
	t_inject(&t_pread_q, T_ZERO, 0);
	len = t_ata(T_H1, 1, 0, 0x92, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 1, 5,
	    NULL, 0);
	t_capture_begin();
	r = t_run(&t_nic0, len, NULL);
	t_capture_end(log, sizeof(log));
	assert_int_equal(r, 60);
	t_check_ata(AOE_AFLAG_EXT, ATA_ERR_UNC, 1, 0x41, 5);
	assert_int_equal(t_x[0].st.err_io, 2);
	(void)state;
}

static void
test_read_eintr_short(void **state)
{
	size_t	 len;

	t_inject(&t_pread_q, T_ERRNO, EINTR);
	t_inject(&t_pread_q, T_SHORT, 700);
	t_inject(&t_pread_q, T_ERRNO, EINTR);
	len = t_ata(T_H1, 1, 0, 0x93, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 3, 8,
	    NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 36 + 1536);
	t_check_ata(AOE_AFLAG_EXT, 0, 0, 0x40, 8);
	t_check_pattern(t_buf + 36, (64 + 8) * 512, 1536);
	assert_int_equal(t_pread_q.calls, 4);
	assert_int_equal(t_x[0].st.err_io, 0);
	(void)state;
}

static void
test_write_eio_enospc(void **state)
{
	static const int errs[] = { EIO, ENOSPC };
	uint8_t		 data[1024], img[1024];
	struct export	*sx;
	char		 log[2048];
	size_t		 len, r;
	unsigned	 i;

	memset(data, 0xc3, sizeof(data));
	for (i = 0; i < 2; i++) {
		t_inject(&t_pwrite_q, T_ERRNO, errs[i]);
		len = t_ata(T_H1, 1, 0, 0xa0 + i,
		    AOE_AFLAG_EXT | AOE_AFLAG_WRITE, ATA_CMD_WRITE_EXT, 2, 20,
		    data, sizeof(data));
		sx = (struct export *)1;
		t_capture_begin();
		r = t_run(&t_nic0, len, &sx);
		t_capture_end(log, sizeof(log));
		assert_int_equal(r, 60);
		assert_null(sx);		/* nothing to acknowledge */
		t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 0xa0 + i, 0);
		t_check_ata(AOE_AFLAG_EXT | AOE_AFLAG_WRITE, ATA_ERR_ABRT, 2,
		    0x41, 20);
		assert_non_null(strstr(log, "e1.0"));
		assert_non_null(strstr(log, "byte offset 43008")); /* 84×512 */
		assert_non_null(strstr(log, strerror(errs[i])));
	}
	assert_int_equal(t_x[0].st.err_io, 2);
	assert_int_equal(t_x[0].st.writes, 0);
	assert_false(t_x[0].sync_pending);
	t_img((64 + 20) * 512, img, sizeof(img));
	t_check_pattern(img, (64 + 20) * 512, sizeof(img));

	/* a write that stalls at 0 bytes is an error too */
	t_inject(&t_pwrite_q, T_ZERO, 0);
	len = t_ata(T_H1, 1, 0, 0xa5, AOE_AFLAG_EXT | AOE_AFLAG_WRITE,
	    ATA_CMD_WRITE_EXT, 1, 20, data, 512);
	t_capture_begin();
	r = t_run(&t_nic0, len, NULL);
	t_capture_end(log, sizeof(log));
	assert_int_equal(r, 60);
	t_check_ata(AOE_AFLAG_EXT | AOE_AFLAG_WRITE, ATA_ERR_ABRT, 1, 0x41,
	    20);
	(void)state;
}

static void
test_write_short_then_rest(void **state)
{
	uint8_t		 data[1536], img[1536];
	struct export	*sx = NULL;
	size_t		 len;
	unsigned	 i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ 0xa5);
	t_inject(&t_pwrite_q, T_SHORT, 1000);
	t_inject(&t_pwrite_q, T_ERRNO, EINTR);
	len = t_ata(T_H1, 1, 0, 0xb1, AOE_AFLAG_EXT | AOE_AFLAG_WRITE,
	    ATA_CMD_WRITE_EXT, 3, 30, data, sizeof(data));
	assert_int_equal(t_run(&t_nic0, len, &sx), 60);
	assert_ptr_equal(sx, &t_x[0]);
	t_check_ata(AOE_AFLAG_EXT | AOE_AFLAG_WRITE, 0, 0, 0x40, 30);
	assert_int_equal(t_pwrite_q.calls, 3);
	t_img((64 + 30) * 512, img, sizeof(img));
	assert_memory_equal(img, data, sizeof(data));
	assert_int_equal(t_x[0].st.err_io, 0);
	assert_int_equal(t_x[0].st.writes, 1);
	(void)state;
}

static void
test_sync_failure(void **state)
{
	uint8_t		 data[512], reply[60];
	struct export	*sx = NULL;
	char		 log[2048];
	size_t		 len;

	memset(data, 0x11, sizeof(data));
	len = t_ata(T_H1, 1, 0, 0xc1, AOE_AFLAG_EXT | AOE_AFLAG_WRITE,
	    ATA_CMD_WRITE_EXT, 1, 40, data, sizeof(data));
	assert_int_equal(t_run(&t_nic0, len, &sx), 60);
	assert_ptr_equal(sx, &t_x[0]);

	t_inject(&t_fdatasync_q, T_ERRNO, EINTR);	/* retried */
	t_inject(&t_fdatasync_q, T_ERRNO, EIO);
	t_capture_begin();
	assert_int_equal(export_sync(&t_x[0]), -EIO);
	t_capture_end(log, sizeof(log));
	assert_non_null(strstr(log, "e1.0"));
	assert_int_equal(t_fdatasync_q.calls, 2);
	assert_int_equal(t_x[0].st.err_io, 1);
	assert_int_equal(t_x[0].st.fsyncs, 1);
	assert_true(t_x[0].sync_pending);	/* never taken as success */

	/* the caller turns the built reply into an ATA error */
	memcpy(reply, t_buf, sizeof(reply));
	engine_fail_write(&t_x[0], t_buf);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 0xc1, 0);
	t_check_ata(AOE_AFLAG_EXT | AOE_AFLAG_WRITE, ATA_ERR_ABRT, 0, 0x41,
	    40);
	assert_memory_equal(t_buf + 28, reply + 28, 32);
	assert_int_equal(t_x[0].st.err_io, 2);

	/* the next sync tries again */
	assert_int_equal(export_sync(&t_x[0]), 0);
	assert_int_equal(t_fdatasync_q.calls, 3);
	assert_false(t_x[0].sync_pending);
	assert_int_equal(t_x[0].st.fsyncs, 2);
	(void)state;
}

/* --- Query Config ------------------------------------------------------- */

static void
t_check_cfg(uint16_t scnt, uint8_t ccmd, const char *str)
{
	size_t	 n = strlen(str);

	assert_int_equal(t_buf[24], 0);
	assert_int_equal(t_buf[25], 16);		/* bufcnt */
	assert_int_equal(t_buf[26], ENGINE_FW_VERSION >> 8);
	assert_int_equal(t_buf[27], ENGINE_FW_VERSION & 0xff);
	assert_int_equal(t_buf[28], scnt);
	assert_int_equal(t_buf[29], 0x10 | ccmd);
	assert_int_equal(t_buf[30], n >> 8);
	assert_int_equal(t_buf[31], n & 0xff);
	assert_memory_equal(t_buf + 32, str, n);
	if (32 + n < 60)
		t_check_zero(32 + n, 60);
}

static void
t_set_config(struct export *x, const char *s)
{
	x->config_len = (uint16_t)strlen(s);
	memcpy(x->config, s, x->config_len);
}

static void
test_cfg_read(void **state)
{
	uint8_t	 ed[1024];
	size_t	 len, r;

	/* Linux discovery: broadcast, tag 0, 32 bytes */
	len = t_cfg(T_H1, AOE_MAJOR_ANY, AOE_MINOR_ANY, 0, AOE_CCMD_READ,
	    NULL, 0);
	assert_int_equal(len, 32);
	r = t_run(&t_nic0, len, NULL);
	assert_int_equal(r, 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_CFG, 0, 0);
	t_check_cfg(T_MAXSECT, 0, "");
	assert_int_equal(t_x[0].st.cfg_queries, 1);

	/* aoeping: 1024 bytes of 0xED, ignored */
	t_set_config(&t_x[0], "hello");
	memset(ed, 0xED, sizeof(ed));
	len = t_cfg(T_H2, 1, 0, 0x80000000, AOE_CCMD_READ, ed, sizeof(ed));
	assert_int_equal(len, 1056);
	r = t_run(&t_nic0, len, NULL);
	assert_int_equal(r, 60);
	t_check_hdr(T_NIC0_MAC, T_H2, 1, 0, AOE_CMD_CFG, 0x80000000, 0);
	t_check_cfg(T_MAXSECT, 0, "hello");
	assert_int_equal(t_x[0].config_len, 5);

	/* a length field larger than the frame: a read is still answered */
	len = t_cfg(T_H1, 1, 0, 0x42, AOE_CCMD_READ, NULL, 0);
	t_buf[30] = 0x04;		/* cslen 1024, no string present */
	r = t_run(&t_nic0, len, NULL);
	assert_int_equal(r, 60);
	t_check_cfg(T_MAXSECT, 0, "hello");
	/* ... but a set with it is dropped, changing nothing */
	len = t_cfg(T_H1, 1, 0, 0x43, AOE_CCMD_FSET, NULL, 0);
	t_buf[30] = 0x04;
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	assert_int_equal(t_x[0].config_len, 5);
	assert_int_equal(t_x[0].st.cfg_queries, 4);
	(void)state;
}

static void
test_cfg_test_prefix(void **state)
{
	size_t	 len;

	t_set_config(&t_x[0], "hello");
	len = t_cfg(T_H1, 1, 0, 1, AOE_CCMD_TEST, "hell", 4);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	len = t_cfg(T_H1, 1, 0, 2, AOE_CCMD_TEST, "hello!", 6);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	len = t_cfg(T_H1, 1, 0, 3, AOE_CCMD_TEST, "hello", 5);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_CFG, 3, 0);
	t_check_cfg(T_MAXSECT, AOE_CCMD_TEST, "hello");

	len = t_cfg(T_H1, 1, 0, 4, AOE_CCMD_PREFIX, "help", 4);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	len = t_cfg(T_H1, 1, 0, 5, AOE_CCMD_PREFIX, "hello world", 11);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	len = t_cfg(T_H1, 1, 0, 6, AOE_CCMD_PREFIX, "hel", 3);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_CFG, 6, 0);
	t_check_cfg(T_MAXSECT, AOE_CCMD_PREFIX, "hello");
	/* a shorter string set over a longer one: the old tail is not part
	 * of the string any more */
	t_set_config(&t_x[0], "hello world");
	t_set_config(&t_x[0], "hello");
	len = t_cfg(T_H1, 1, 0, 8, AOE_CCMD_PREFIX, "hello ", 6);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	len = t_cfg(T_H1, 1, 0, 9, AOE_CCMD_TEST, "hello ", 6);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	/* the empty string is a prefix of anything */
	len = t_cfg(T_H1, 1, 0, 7, AOE_CCMD_PREFIX, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	assert_int_equal(t_x[0].st.cfg_queries, 9);
	assert_int_equal(t_x[0].config_len, 5);
	(void)state;
}

static void
test_cfg_set(void **state)
{
	size_t	 len;

	/* empty → set */
	len = t_cfg(T_H1, 1, 0, 0x10, AOE_CCMD_SET, "alpha", 5);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_CFG, 0x10, 0);
	t_check_cfg(T_MAXSECT, AOE_CCMD_SET, "alpha");
	assert_int_equal(t_x[0].config_len, 5);
	assert_memory_equal(t_x[0].config, "alpha", 5);
	/* equal → ok */
	len = t_cfg(T_H2, 1, 0, 0x11, AOE_CCMD_SET, "alpha", 5);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H2, 1, 0, AOE_CMD_CFG, 0x11, 0);
	/* different → error 4 carrying the current string */
	len = t_cfg(T_H2, 1, 0, 0x12, AOE_CCMD_SET, "beta", 4);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H2, 1, 0, AOE_CMD_CFG, 0x12,
	    AOE_ERR_CFGSET);
	t_check_cfg(T_MAXSECT, AOE_CCMD_SET, "alpha");
	assert_memory_equal(t_x[0].config, "alpha", 5);
	/* force set overrides */
	len = t_cfg(T_H2, 1, 0, 0x13, AOE_CCMD_FSET, "beta", 4);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H2, 1, 0, AOE_CMD_CFG, 0x13, 0);
	t_check_cfg(T_MAXSECT, AOE_CCMD_FSET, "beta");
	assert_int_equal(t_x[0].config_len, 4);
	/* force set to empty clears; a later set then works */
	len = t_cfg(T_H2, 1, 0, 0x14, AOE_CCMD_FSET, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	assert_int_equal(t_x[0].config_len, 0);
	/* a long string gives a reply longer than 60 */
	{
		char	 big[AOE_CFG_MAX];

		memset(big, 'x', sizeof(big));
		len = t_cfg(T_H1, 1, 0, 0x15, AOE_CCMD_SET, big, sizeof(big));
		assert_int_equal(t_run(&t_nic0, len, NULL), 32 + 1024);
		assert_int_equal(t_x[0].config_len, 1024);
		assert_memory_equal(t_buf + 32, big, sizeof(big));
	}
	/* unknown CCmd → error 2 */
	len = t_cfg(T_H1, 1, 0, 0x16, 5, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 32 + 1024);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_CFG, 0x16,
	    AOE_ERR_BADARG);
	assert_int_equal(t_buf[29], 0x15);
	assert_int_equal(t_x[0].st.err_badarg, 1);
	(void)state;
}

/* --- MAC Mask List ------------------------------------------------------ */

/* test_mask, step by step: each step starts from the list the one before
 * left */
static void
mask_read_empty(void)
{
	size_t		 len;

	/* read of the empty list */
	len = t_mask(T_H1, 0x21, AOE_MCMD_READ, 0, NULL, NULL);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_MASK, 0x21, 0);
	assert_int_equal(t_buf[25], AOE_MCMD_READ);
	assert_int_equal(t_buf[26], 0);
	assert_int_equal(t_buf[27], 0);
	t_check_zero(28, 60);
}

static void
mask_add_h1(void)
{
	uint8_t		 dcmds[3], macs[3][6];
	char		 log[2048];
	size_t		 len, r;

	/* add H1 (twice: the second is a no-op), delete an absent MAC */
	dcmds[0] = AOE_DCMD_ADD;
	dcmds[1] = AOE_DCMD_ADD;
	dcmds[2] = AOE_DCMD_DEL;
	memcpy(macs[0], T_H1, 6);
	memcpy(macs[1], T_H1, 6);
	memcpy(macs[2], T_BCAST, 6);
	len = t_mask(T_H1, 0x22, AOE_MCMD_EDIT, 3, dcmds,
	    (const uint8_t (*)[6])macs);
	t_capture_begin();
	r = t_run(&t_nic0, len, NULL);
	t_capture_end(log, sizeof(log));
	assert_int_equal(r, 60);
	/* one line for the one real change, naming eS.L and the sender */
	assert_non_null(strstr(log, "e1.0: mask list: added "
	    "02:00:00:00:01:01 by 02:00:00:00:01:01"));
	assert_null(strstr(strchr(log, '\n') + 1, "mask list"));
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_MASK, 0x22, 0);
	assert_int_equal(t_buf[25], AOE_MCMD_EDIT);
	assert_int_equal(t_buf[26], AOE_MERR_OK);
	assert_int_equal(t_buf[27], 1);
	assert_int_equal(t_buf[28], 0);
	assert_int_equal(t_buf[29], AOE_DCMD_NONE);
	assert_memory_equal(t_buf + 30, T_H1, 6);
	t_check_zero(36, 60);
	assert_int_equal(t_x[0].nmasks, 1);
}

static void
mask_h2_invisible(void)
{
	static const uint8_t	 add[] = { AOE_DCMD_ADD };
	size_t		 len;

	/* H2 is now invisible: ATA and config queries dropped, counted */
	len = t_cfg(T_H2, AOE_MAJOR_ANY, AOE_MINOR_ANY, 0, AOE_CCMD_READ,
	    NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	len = t_ata(T_H2, 1, 0, 1, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	len = t_mask(T_H2, 0x23, AOE_MCMD_EDIT, 1, add,
	    (const uint8_t (*)[6])T_H2);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	assert_int_equal(t_x[0].nmasks, 1);
	assert_int_equal(t_x[0].st.dropped_mask, 3);
	assert_int_equal(t_x[0].st.cfg_queries, 0);
	/* the other export is unaffected */
	len = t_ata(T_H2, 1, 1, 1, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 36 + 512);
	/* H1 still served */
	len = t_ata(T_H1, 1, 0, 2, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 36 + 512);
}

static void
mask_bad_dcmd_stops(void)
{
	uint8_t		 dcmds[3], macs[3][6];
	size_t		 len;

	/* add H2, then a bad DCmd at index 1 stops before the delete */
	dcmds[0] = AOE_DCMD_ADD;
	dcmds[1] = 7;
	dcmds[2] = AOE_DCMD_DEL;
	memcpy(macs[0], T_H2, 6);
	memcpy(macs[1], T_H2, 6);
	memcpy(macs[2], T_H1, 6);
	len = t_mask(T_H1, 0x24, AOE_MCMD_EDIT, 3, dcmds,
	    (const uint8_t (*)[6])macs);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_MASK, 0x24, 0);
	assert_int_equal(t_buf[26], AOE_MERR_BADDIR);
	assert_int_equal(t_buf[27], 1);
	t_check_zero(28, 60);
	assert_int_equal(t_x[0].nmasks, 2);
	assert_memory_equal(t_x[0].masks[1], T_H2, 6);
}

static void
mask_delete_keeps_order(void)
{
	uint8_t		 dcmds[2], macs[2][6];
	size_t		 len;

	/* delete H1 keeps the order of the rest; read shows the list */
	dcmds[0] = AOE_DCMD_DEL;
	dcmds[1] = AOE_DCMD_NONE;
	memcpy(macs[0], T_H1, 6);
	memcpy(macs[1], T_H2, 6);	/* as the step before left it */
	len = t_mask(T_H2, 0x25, AOE_MCMD_EDIT, 2, dcmds,
	    (const uint8_t (*)[6])macs);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	assert_int_equal(t_buf[26], AOE_MERR_OK);
	assert_int_equal(t_buf[27], 1);
	assert_memory_equal(t_buf + 30, T_H2, 6);
	assert_int_equal(t_x[0].nmasks, 1);
	len = t_mask(T_H2, 0x26, AOE_MCMD_READ, 0, NULL, NULL);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	assert_int_equal(t_buf[27], 1);
	assert_memory_equal(t_buf + 30, T_H2, 6);
}

static void
mask_bad_requests(void)
{
	static const uint8_t	 add[] = { AOE_DCMD_ADD };
	size_t		 len;

	/* unknown MCmd → AoE error 2 */
	len = t_mask(T_H2, 0x27, 9, 0, NULL, NULL);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H2, 1, 0, AOE_CMD_MASK, 0x27,
	    AOE_ERR_BADARG);
	/* Dir Count beyond the frame → AoE error 2, list untouched */
	len = t_mask(T_H2, 0x28, AOE_MCMD_EDIT, 1, add,
	    (const uint8_t (*)[6])T_H1);
	t_buf[27] = 3;
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H2, 1, 0, AOE_CMD_MASK, 0x28,
	    AOE_ERR_BADARG);
	t_check_zero(28, 60);
	assert_int_equal(t_x[0].nmasks, 1);
	assert_int_equal(t_x[0].st.err_badarg, 2);
}

static void
test_mask(void **state)
{
	mask_read_empty();
	mask_add_h1();
	mask_h2_invisible();
	mask_bad_dcmd_stops();
	mask_delete_keeps_order();
	mask_bad_requests();
	(void)state;
}

static void
test_mask_full(void **state)
{
	uint8_t		 dcmds[40], macs[40][6];
	char		 log[8192];
	size_t		 len, r;
	unsigned	 i;

	for (i = 0; i < 40; i++) {
		dcmds[i] = AOE_DCMD_ADD;
		memcpy(macs[i], T_H1, 6);
		macs[i][4] = (uint8_t)(0x10 + i);
	}
	memcpy(macs[0], T_H1, 6);	/* keep ourselves on the list */
	len = t_mask(T_H1, 0x31, AOE_MCMD_EDIT, 40, dcmds,
	    (const uint8_t (*)[6])macs);
	t_capture_begin();
	r = t_run(&t_nic0, len, NULL);
	t_capture_end(log, sizeof(log));
	assert_int_equal(r, 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_MASK, 0x31, 0);
	assert_int_equal(t_buf[26], AOE_MERR_FULL);
	assert_int_equal(t_buf[27], EXPORT_MAX_MASKS);
	assert_int_equal(t_x[0].nmasks, EXPORT_MAX_MASKS);
	assert_memory_equal(t_x[0].masks[31], macs[31], 6);
	/* a full read lists all 32 */
	len = t_mask(T_H1, 0x32, AOE_MCMD_READ, 0, NULL, NULL);
	assert_int_equal(t_run(&t_nic0, len, NULL), 28 + 32 * 8);
	assert_int_equal(t_buf[27], 32);
	assert_memory_equal(t_buf + 28 + 31 * 8 + 2, macs[31], 6);
	/* re-adding a present MAC to a full list is fine */
	len = t_mask(T_H1, 0x33, AOE_MCMD_EDIT, 1, dcmds,
	    (const uint8_t (*)[6])macs[5]);
	assert_int_equal(t_run(&t_nic0, len, NULL), 28 + 32 * 8);
	assert_int_equal(t_buf[26], AOE_MERR_OK);
	(void)state;
}

/* --- Reserve/Release ---------------------------------------------------- */

/* test_reserve, step by step: each step starts from the list the one
 * before left */
static void
reserve_read_empty(void)
{
	size_t		 len;

	/* read of the empty list */
	len = t_rsv(T_H1, 0x41, AOE_RCMD_READ, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_RSV, 0x41, 0);
	assert_int_equal(t_buf[24], AOE_RCMD_READ);
	assert_int_equal(t_buf[25], 0);
	t_check_zero(26, 60);
}

static void
reserve_set_by_h1(void)
{
	size_t		 len;

	/* H1 reserves for itself */
	len = t_rsv(T_H1, 0x42, AOE_RCMD_SET, (const uint8_t (*)[6])T_H1, 1);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_RSV, 0x42, 0);
	assert_int_equal(t_buf[24], AOE_RCMD_SET);
	assert_int_equal(t_buf[25], 1);
	assert_memory_equal(t_buf + 26, T_H1, 6);
	t_check_zero(32, 60);
	assert_int_equal(t_x[0].nreserve, 1);
}

static void
reserve_keeps_h2_out(void)
{
	size_t		 len;

	/* H2: ATA gets error 6, IDENTIFY and config queries do not */
	len = t_ata(T_H2, 1, 0, 0x43, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 1, 0,
	    NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H2, 1, 0, AOE_CMD_ATA, 0x43,
	    AOE_ERR_RESERVED);
	t_check_ata(AOE_AFLAG_EXT, 0, 1, ATA_CMD_READ_EXT, 0);
	t_check_zero(36, 60);
	len = t_ata(T_H2, 1, 0, 0x44, AOE_AFLAG_WRITE, ATA_CMD_WRITE, 1, 0,
	    NULL, 512);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	assert_int_equal(t_buf[15], AOE_ERR_RESERVED);
	t_check_zero(36, 60);		/* the write data is not echoed */
	assert_int_equal(t_pwrite_q.calls, 0);
	len = t_ata(T_H2, 1, 0, 0x45, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 36 + 512);
	t_check_hdr(T_NIC0_MAC, T_H2, 1, 0, AOE_CMD_ATA, 0x45, 0);
	len = t_cfg(T_H2, 1, 0, 0x46, AOE_CCMD_READ, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	assert_int_equal(t_buf[15], 0);
	assert_int_equal(t_x[0].st.err_reserved, 2);
	/* H1 reads fine */
	len = t_ata(T_H1, 1, 0, 0x47, AOE_AFLAG_EXT, ATA_CMD_READ_EXT, 1, 0,
	    NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 36 + 512);
}

static void
reserve_conflict_then_change(void)
{
	uint8_t		 two[2][6];
	size_t		 len;

	/* set by H2 conflicts: error 6 with the current list */
	len = t_rsv(T_H2, 0x48, AOE_RCMD_SET, (const uint8_t (*)[6])T_H2, 1);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H2, 1, 0, AOE_CMD_RSV, 0x48,
	    AOE_ERR_RESERVED);
	assert_int_equal(t_buf[25], 1);
	assert_memory_equal(t_buf + 26, T_H1, 6);
	assert_memory_equal(t_x[0].reserve[0], T_H1, 6);
	assert_int_equal(t_x[0].st.err_reserved, 3);

	/* H1 (on the list) may change it: both hosts */
	memcpy(two[0], T_H1, 6);
	memcpy(two[1], T_H2, 6);
	len = t_rsv(T_H1, 0x49, AOE_RCMD_SET, (const uint8_t (*)[6])two, 2);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	assert_int_equal(t_buf[15], 0);
	assert_int_equal(t_buf[25], 2);
	assert_memory_equal(t_buf + 26, two, 12);
	assert_int_equal(t_x[0].nreserve, 2);
}

static void
reserve_force_and_release(void)
{
	char		 log[2048];
	size_t		 len, r;

	/* force set by H2 to itself alone */
	len = t_rsv(T_H2, 0x4a, AOE_RCMD_FSET, (const uint8_t (*)[6])T_H2, 1);
	t_capture_begin();
	r = t_run(&t_nic0, len, NULL);
	t_capture_end(log, sizeof(log));
	assert_int_equal(r, 60);
	assert_non_null(strstr(log, "e1.0: "));
	assert_non_null(strstr(log, "by 02:00:00:00:01:02 (forced)"));
	t_check_hdr(T_NIC0_MAC, T_H2, 1, 0, AOE_CMD_RSV, 0x4a, 0);
	assert_int_equal(t_buf[24], AOE_RCMD_FSET);
	assert_int_equal(t_buf[25], 1);
	assert_memory_equal(t_buf + 26, T_H2, 6);
	len = t_ata(T_H1, 1, 0, 0x4b, 0, ATA_CMD_FLUSH, 0, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	assert_int_equal(t_buf[15], AOE_ERR_RESERVED);

	/* release (set with no MACs) by the holder */
	len = t_rsv(T_H2, 0x4c, AOE_RCMD_SET, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	assert_int_equal(t_buf[15], 0);
	assert_int_equal(t_buf[25], 0);
	assert_int_equal(t_x[0].nreserve, 0);
	len = t_ata(T_H1, 1, 0, 0x4d, 0, ATA_CMD_FLUSH, 0, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_ATA, 0x4d, 0);
}

static void
test_reserve(void **state)
{
	reserve_read_empty();
	reserve_set_by_h1();
	reserve_keeps_h2_out();
	reserve_conflict_then_change();
	reserve_force_and_release();
	(void)state;
}

static void
test_reserve_errors(void **state)
{
	size_t	 len;

	/* NMacs larger than the MACs present → error 2 */
	len = t_rsv(T_H1, 0x51, AOE_RCMD_SET, (const uint8_t (*)[6])T_H1, 1);
	t_buf[25] = 4;
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_RSV, 0x51,
	    AOE_ERR_BADARG);
	t_check_zero(26, 60);
	assert_int_equal(t_x[0].nreserve, 0);
	/* unknown RCmd → error 2 */
	len = t_rsv(T_H1, 0x52, 7, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 60);
	t_check_hdr(T_NIC0_MAC, T_H1, 1, 0, AOE_CMD_RSV, 0x52,
	    AOE_ERR_BADARG);
	assert_int_equal(t_x[0].st.err_badarg, 2);
	(void)state;
}

/* --- dispatch, lookup, drops -------------------------------------------- */

static void
test_badcmd(void **state)
{
	static const uint8_t	 cmds[] = { 0x24, 0x04, 0xF0, 0xFF };
	size_t		 r;
	unsigned	 i;

	for (i = 0; i < sizeof(cmds); i++) {
		memset(t_buf, 0x5a, sizeof(t_buf));
		t_hdr(t_buf, T_H1, 1, 1, cmds[i], 0xdead0000 + i);
		r = t_run(&t_nic0, 100, NULL);
		assert_int_equal(r, 60);
		t_check_hdr(T_NIC0_MAC, T_H1, 1, 1, cmds[i], 0xdead0000 + i,
		    AOE_ERR_BADCMD);
		t_check_zero(24, 60);
	}
	(void)state;
}

static void
test_drops(void **state)
{
	size_t	 len;

	/* a response frame */
	len = t_ata(T_H1, 1, 0, 1, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	t_buf[14] |= AOE_FLAG_RESP;
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	len = t_cfg(T_H1, AOE_MAJOR_ANY, AOE_MINOR_ANY, 0, AOE_CCMD_READ,
	    NULL, 0);
	t_buf[14] |= AOE_FLAG_RESP;
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	/* another shelf, another slot */
	len = t_ata(T_H1, 3, 0, 1, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	len = t_ata(T_H1, 1, 9, 1, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	/* e2.0 exists, but not on NIC 0; NIC 7 serves nothing */
	len = t_ata(T_H1, 2, 0, 1, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	len = t_ata(T_H1, 2, 0, 1, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic1, len, NULL), 36 + 512);
	{
		struct nic_view	 n7 = t_nic0;

		n7.index = 7;
		len = t_ata(T_H1, 1, 0, 1, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
		assert_int_equal(t_run(&n7, len, NULL), 0);
		n7.index = 200;		/* beyond nic_mask's 64 bits */
		assert_int_equal(t_run(&n7, len, NULL), 0);
	}
	/* not AoE, too short, an ATA frame without its argument */
	len = t_ata(T_H1, 1, 0, 1, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	t_buf[13] = 0x00;
	assert_int_equal(t_run(&t_nic0, len, NULL), 0);
	len = t_ata(T_H1, 1, 0, 1, 0, ATA_CMD_IDENTIFY, 1, 0, NULL, 0);
	assert_int_equal(t_run(&t_nic0, 23, NULL), 0);
	assert_int_equal(t_run(&t_nic0, 35, NULL), 0);
	/* cfg/mask/rsv shorter than their fixed part */
	len = t_cfg(T_H1, 1, 0, 1, AOE_CCMD_READ, NULL, 0);
	assert_int_equal(t_run(&t_nic0, 31, NULL), 0);
	len = t_mask(T_H1, 1, AOE_MCMD_READ, 0, NULL, NULL);
	assert_int_equal(t_run(&t_nic0, 27, NULL), 0);
	len = t_rsv(T_H1, 1, AOE_RCMD_READ, NULL, 0);
	assert_int_equal(t_run(&t_nic0, 25, NULL), 0);
	/* len > cap, cap below the Ethernet minimum */
	len = t_ata(T_H1, 1, 0, 1, 0, ATA_CMD_CHECK_POWER, 0, 0, NULL, 0);
	assert_int_equal(engine_handle(&t_e, &t_nic0, t_buf, 100, 60, NULL),
	    0);
	assert_int_equal(engine_handle(&t_e, &t_nic0, t_buf, 36, 59, NULL),
	    0);
	assert_int_equal(engine_handle(&t_e, &t_nic0, t_buf, 36, 60, NULL),
	    60);
	(void)state;
}

static void
test_wildcard_lookup(void **state)
{
	size_t	 len;

	assert_ptr_equal(engine_find(&t_e, 0, AOE_MAJOR_ANY, AOE_MINOR_ANY),
	    &t_x[0]);
	assert_ptr_equal(engine_find(&t_e, 1, AOE_MAJOR_ANY, AOE_MINOR_ANY),
	    &t_x[1]);
	assert_ptr_equal(engine_find(&t_e, 0, 1, AOE_MINOR_ANY), &t_x[0]);
	assert_ptr_equal(engine_find(&t_e, 0, AOE_MAJOR_ANY, 1), &t_x[1]);
	assert_ptr_equal(engine_find(&t_e, 1, 2, AOE_MINOR_ANY), &t_x[2]);
	assert_ptr_equal(engine_find(&t_e, 1, AOE_MAJOR_ANY, 0), &t_x[2]);
	assert_null(engine_find(&t_e, 0, 2, 0));
	assert_null(engine_find(&t_e, 0, 1, 2));
	assert_null(engine_find(&t_e, 2, AOE_MAJOR_ANY, AOE_MINOR_ANY));

	/* a broadcast query on NIC 1 is answered with e1.1's real address,
	 * from NIC 1's MAC */
	len = t_cfg(T_H2, AOE_MAJOR_ANY, AOE_MINOR_ANY, 0, AOE_CCMD_READ,
	    NULL, 0);
	assert_int_equal(t_run(&t_nic1, len, NULL), 60);
	t_check_hdr(T_NIC1_MAC, T_H2, 1, 1, AOE_CMD_CFG, 0, 0);
	/* shelf-wide ATA on shelf 2 */
	len = t_ata(T_H2, 2, AOE_MINOR_ANY, 0x99, 0, ATA_CMD_CHECK_POWER, 0,
	    0, NULL, 0);
	assert_int_equal(t_run(&t_nic1, len, NULL), 60);
	t_check_hdr(T_NIC1_MAC, T_H2, 2, 0, AOE_CMD_ATA, 0x99, 0);
	(void)state;
}

/* The unsolicited config response sent at start. */
static void
test_announce(void **state)
{
	uint8_t	 f[128];
	size_t	 r;

	t_set_config(&t_x[1], "rack 4");
	memset(f, 0x5a, sizeof(f));
	r = engine_announce(&t_e, &t_nic0, 1, 1, f, sizeof(f));
	assert_int_equal(r, 60);
	memcpy(t_buf, f, sizeof(f));
	t_check_hdr(T_NIC0_MAC, T_BCAST, 1, 1, AOE_CMD_CFG, 0, 0);
	t_check_cfg(T_MAXSECT, AOE_CCMD_READ, "rack 4");
	/* not served on NIC 0 / no such export / buffer too small */
	assert_int_equal(engine_announce(&t_e, &t_nic0, 2, 0, f, sizeof(f)),
	    0);
	assert_int_equal(engine_announce(&t_e, &t_nic1, 5, 5, f, sizeof(f)),
	    0);
	assert_int_equal(engine_announce(&t_e, &t_nic0, 1, 1, f, 40), 0);
	r = engine_announce(&t_e, &t_nic1, 2, 0, f, sizeof(f));
	assert_int_equal(r, 60);
	assert_memory_equal(f + 6, T_NIC1_MAC, 6);
	(void)state;
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, t_setup, t_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identify_words),
		T(test_identify_sparse_trailing),
		T(test_identify_small_cap),
		T(test_read_window),
		T(test_read_lba28_mask),
		T(test_read_out_of_range),
		T(test_scnt_over_max),
		T(test_write_roundtrip),
		T(test_write_errors),
		T(test_group_commit),
		T(test_flush),
		T(test_flush_joins_commit),
		T(test_flush_joins_commit_failure),
		T(test_check_power_and_unsupported),
		T(test_read_eio),
		T(test_read_eintr_short),
		T(test_write_eio_enospc),
		T(test_write_short_then_rest),
		T(test_sync_failure),
		T(test_cfg_read),
		T(test_cfg_test_prefix),
		T(test_cfg_set),
		T(test_mask),
		T(test_mask_full),
		T(test_reserve),
		T(test_reserve_errors),
		T(test_badcmd),
		T(test_drops),
		T(test_wildcard_lookup),
		T(test_announce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

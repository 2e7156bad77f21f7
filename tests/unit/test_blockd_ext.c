/*
 * Unit tests of the 2014 AoEde extensions in blockd (blockd/ext.c and its
 * hooks in ata.c, aoecmd.c): the 0x23 command per initiator MAC, its reset
 * by "reset" and by a config-string set, CRC8x4 on read replies and on
 * writes (good, bad and missing CRC), the sector limit for a crc8x4
 * initiator, the duplicate-write window (hit, miss, eviction, expiry) and
 * the tag_inc_* ordering rule.  Frames are built by hand and run through
 * engine_handle() against a memfd image.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "crc8x4.h"
#include "engine.h"
#include "engine_int.h"
#include "blockd_frames.h"

#define T_SECTORS	256u
#define T_CAP		9216u

static const uint8_t	T_NIC_MAC[6] = { 0x02, 0, 0, 0, 0, 0xa0 };
static const uint8_t	T_H1[6] = { 0x02, 0, 0, 0, 1, 0x01 };
static const uint8_t	T_H2[6] = { 0x02, 0, 0, 0, 1, 0x02 };

static int		 t_fd = -1;
static struct export	 t_x;
static struct engine	 t_e;
static struct nic_view	 t_nic;
static uint8_t		 t_buf[T_CAP];

static int
t_setup(void **state)
{
	static uint8_t	 img[T_SECTORS * 512];
	size_t		 i;

	t_fd = memfd_create("aoede-ext-img", 0);
	assert_true(t_fd >= 0);
	for (i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(pwrite(t_fd, img, sizeof(img), 0), (ssize_t)sizeof(img));
	memset(&t_x, 0, sizeof(t_x));
	snprintf(t_x.name, sizeof(t_x.name), "e1.0");
	t_x.shelf = 1;
	t_x.fd = t_fd;
	t_x.sectors = T_SECTORS;
	t_x.flags = EXPORT_KERNEL;
	t_x.nic_mask = 1;
	t_x.bufcnt = 16;
	t_e.exports = &t_x;
	t_e.nexports = 1;
	memset(&t_nic, 0, sizeof(t_nic));
	t_nic.mtu = 9000;
	memcpy(t_nic.mac, T_NIC_MAC, 6);
	t_nic.max_sectors = 16;
	ext_clock_fixed = 1000000000;
	(void)state;
	return 0;
}

static int
t_teardown(void **state)
{
	close(t_fd);
	ext_clock_fixed = 0;
	(void)state;
	return 0;
}

static void
t_hdr(const uint8_t src[6], uint8_t cmd, uint32_t tag)
{
	memset(t_buf, 0, sizeof(t_buf));
	t_aoe_hdr(t_buf, src, 0, cmd, tag);
}

static size_t
t_run_cap(size_t len, size_t cap)
{
	return engine_handle(&t_e, &t_nic, t_buf, len, cap, NULL);
}

static size_t
t_run(size_t len)
{
	return t_run_cap(len, sizeof(t_buf));
}

/* A 0x23 request: `words` of n bytes (NULs included), length big-endian
 * or, as the 2014 x86 initiators wrote it, little-endian. */
static size_t
t_ext(const uint8_t src[6], const char *words, size_t n, int le)
{
	t_hdr(src, AOE_CMD_EXT, 0x2300);
	if (le) {
		t_buf[24] = (uint8_t)n;
		t_buf[25] = (uint8_t)(n >> 8);
	} else {
		t_buf[24] = (uint8_t)(n >> 8);
		t_buf[25] = (uint8_t)n;
	}
	memcpy(t_buf + 26, words, n);
	return 26 + n < 60 ? 60 : 26 + n;
}

static size_t
t_ata(const uint8_t src[6], uint32_t tag, uint8_t cmd, uint8_t scnt,
    uint64_t lba, uint8_t fill, size_t datalen)
{
	struct aoe_ata	 a;

	t_hdr(src, AOE_CMD_ATA, tag);
	memset(&a, 0, sizeof(a));
	a.aflags = AOE_AFLAG_EXT | (cmd == ATA_CMD_WRITE_EXT ? AOE_AFLAG_WRITE : 0);
	a.scnt = scnt;
	a.cmd_status = cmd;
	a.lba = lba;
	aoe_ata_encode(t_buf, &a);
	memset(t_buf + 36, fill, datalen);
	return 36 + datalen < 60 ? 60 : 36 + datalen;
}

/* a write of `scnt` sectors of `fill`, with its CRC appended if crc */
static size_t
t_write(const uint8_t src[6], uint32_t tag, uint8_t scnt, uint64_t lba,
    uint8_t fill, int crc)
{
	size_t	 n = (size_t)scnt * 512;

	t_ata(src, tag, ATA_CMD_WRITE_EXT, scnt, lba, fill, n);
	if (!crc)
		return 36 + n;
	crc8x4(t_buf + 24, 12 + n, t_buf + 36 + n);
	return 36 + n + 4;
}

static uint8_t
t_img(uint64_t lba)
{
	uint8_t	 b;

	assert_int_equal(pread(t_fd, &b, 1, (off_t)(lba * 512)), 1);
	return b;
}

static void
t_set_img(uint64_t lba, uint8_t v)
{
	uint8_t	 s[512];

	memset(s, v, sizeof(s));
	assert_int_equal(pwrite(t_fd, s, 512, (off_t)(lba * 512)), 512);
}

static void
t_negotiate(const uint8_t src[6], const char *words, size_t n)
{
	assert_true(t_run(t_ext(src, words, n, 0)) >= 60);
}

/* --- 0x23 --------------------------------------------------------------- */

static void
test_ext_words(void **state)
{
	static const char	 w[] = "crc8x4\0tag_inc_be\0bogus\0coalesced_read\0";
	size_t			 len = t_ext(T_H1, w, sizeof(w), 0), r;

	r = t_run(len);
	assert_int_equal(r, len);
	assert_int_equal(t_buf[14], 0x18);		/* R, no error */
	assert_int_equal(t_buf[19], AOE_CMD_EXT);
	assert_memory_equal(t_buf, T_H1, 6);
	/* accepted words in capitals, the unknown one as sent */
	assert_memory_equal(t_buf + 26,
	    "CRC8X4\0TAG_INC_BE\0bogus\0COALESCED_READ\0", sizeof(w));
	assert_int_equal(ext_peer_flags(&t_x, T_H1),
	    EXT_CRC8X4 | EXT_COALESCED_READ);
	assert_int_equal(ext_peer_flags(&t_x, T_H2), 0);	/* per MAC */
	assert_int_equal(t_x.st.ext_commands, 1);
	(void)state;
}

static void
test_ext_len_and_bad(void **state)
{
	static const char	 w[] = "tag_random\0";
	static const char	 bad[] = { 'c', 'r', 'c', '8', 'x', '4' };

	/* little-endian length (the 2014 initiators on x86) */
	assert_true(t_run(t_ext(T_H1, w, sizeof(w), 1)) > 0);
	assert_memory_equal(t_buf + 26, "TAG_RANDOM", 10);
	/* not double-NUL terminated, too long, too short: no answer */
	assert_int_equal(t_run(t_ext(T_H2, bad, sizeof(bad), 0)), 0);
	t_ext(T_H2, w, sizeof(w), 0);
	t_buf[24] = 0x7f;
	t_buf[25] = 0x7f;
	assert_int_equal(t_run(60), 0);
	assert_int_equal(t_run(t_ext(T_H2, "\0", 1, 0)), 0);
	assert_int_equal(t_x.st.ext_commands, 1);
	(void)state;
}

static void
test_ext_congestion(void **state)
{
	static const char	 w[] = "congestion\0" "42\0";
	static const char	 last[] = "crc8x4\0congestion\0";
	const struct ext_peer	*p;

	assert_true(t_run(t_ext(T_H1, w, sizeof(w), 0)) > 0);
	assert_memory_equal(t_buf + 26, "CONGESTION\0" "42\0", sizeof(w));
	p = &t_x.ext.peers[0];
	assert_memory_equal(p->mac, T_H1, 6);
	assert_int_equal(p->congestion, 42);
	/* congestion without its number: accepted, the list ends there */
	assert_true(t_run(t_ext(T_H1, last, sizeof(last), 0)) > 0);
	assert_int_equal(p->congestion, 42);
	assert_int_equal(ext_peer_flags(&t_x, T_H1), EXT_CRC8X4);
	(void)state;
}

static void
test_ext_reset(void **state)
{
	static const char	 w[] = "crc8x4\0tag_inc_le\0";
	static const char	 rs[] = "reset\0";
	struct aoe_cfg		 c;
	int			 n;

	t_negotiate(T_H1, w, sizeof(w));
	t_negotiate(T_H2, w, sizeof(w));
	assert_true(t_run(t_ext(T_H1, rs, sizeof(rs), 0)) > 0);
	assert_memory_equal(t_buf + 26, "RESET", 5);
	assert_int_equal(ext_peer_flags(&t_x, T_H1), 0);
	assert_int_equal(t_x.ext.peers[0].tags, EXT_TAGS_ANY);
	assert_int_equal(ext_peer_flags(&t_x, T_H2), EXT_CRC8X4);

	/* a config-string set (CCmd 4) by H2 resets H2's extensions */
	t_negotiate(T_H1, w, sizeof(w));
	t_hdr(T_H2, AOE_CMD_CFG, 5);
	memset(&c, 0, sizeof(c));
	c.ccmd = AOE_CCMD_FSET;
	c.cslen = 3;
	c.cs = (const uint8_t *)"abc";
	n = aoe_cfg_encode(t_buf, sizeof(t_buf), &c);
	assert_true(n > 0);
	assert_true(t_run((size_t)n < 60 ? 60 : (size_t)n) > 0);
	assert_int_equal(ext_peer_flags(&t_x, T_H2), 0);
	assert_int_equal(ext_peer_flags(&t_x, T_H1), EXT_CRC8X4);
	/* a plain read of the config string resets nothing */
	t_hdr(T_H1, AOE_CMD_CFG, 6);
	assert_true(t_run(60) > 0);
	assert_int_equal(ext_peer_flags(&t_x, T_H1), EXT_CRC8X4);
	(void)state;
}

/* --- CRC8x4 ------------------------------------------------------------- */

static void
test_crc_read(void **state)
{
	static const char	 w[] = "crc8x4\0";
	uint8_t			 want[4];
	size_t			 r;

	/* without crc8x4: the plain reply */
	assert_int_equal(t_run(t_ata(T_H1, 1, ATA_CMD_READ_EXT, 2, 10, 0, 0)),
	    36 + 1024);
	t_negotiate(T_H1, w, sizeof(w));
	r = t_run(t_ata(T_H1, 2, ATA_CMD_READ_EXT, 2, 10, 0, 0));
	assert_int_equal(r, 36 + 1024 + 4);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY);
	assert_int_equal(t_buf[36], (uint8_t)(10 * 512 * 7 + 1));
	/* over the reply's argument block (status set) and the data */
	crc8x4(t_buf + 24, 12 + 1024, want);
	assert_memory_equal(t_buf + 36 + 1024, want, 4);
	/* IDENTIFY data carries it too (as 2014) */
	r = t_run(t_ata(T_H1, 3, ATA_CMD_IDENTIFY, 1, 0, 0, 0));
	assert_int_equal(r, 36 + 512 + 4);
	crc8x4(t_buf + 24, 12 + 512, want);
	assert_memory_equal(t_buf + 36 + 512, want, 4);
	/* another MAC still gets plain replies */
	assert_int_equal(t_run(t_ata(T_H2, 4, ATA_CMD_READ_EXT, 1, 10, 0, 0)),
	    36 + 512);
	(void)state;
}

static void
test_crc_write(void **state)
{
	static const char	 w[] = "crc8x4\0";
	size_t			 len;

	t_negotiate(T_H1, w, sizeof(w));
	/* good CRC: written */
	assert_int_equal(t_run(t_write(T_H1, 1, 2, 20, 0xab, 1)), 60);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY);
	assert_int_equal(t_img(20), 0xab);
	assert_int_equal(t_img(21), 0xab);
	/* a bit flipped in the data: not written, ICRC|ABRT */
	len = t_write(T_H1, 2, 2, 30, 0xcd, 1);
	t_buf[36 + 700] ^= 0x10;
	assert_int_equal(t_run(len), 60);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY | ATA_STAT_ERR);
	assert_int_equal(t_buf[25], ATA_ERR_ICRC | ATA_ERR_ABRT);
	assert_int_not_equal(t_img(31), 0xcd);
	assert_int_equal(t_x.st.crc_errors, 1);
	/* a flipped bit in the argument block (the LBA) is caught too */
	len = t_write(T_H1, 3, 1, 40, 0xcd, 1);
	t_buf[28] ^= 0x01;
	assert_int_equal(t_run(len), 60);
	assert_int_equal(t_buf[25], ATA_ERR_ICRC | ATA_ERR_ABRT);
	assert_int_not_equal(t_img(41), 0xcd);
	/* no CRC at all */
	assert_int_equal(t_run(t_write(T_H1, 4, 1, 50, 0xcd, 0)), 60);
	assert_int_equal(t_buf[25], ATA_ERR_ICRC | ATA_ERR_ABRT);
	assert_int_equal(t_x.st.crc_errors, 3);
	/* the retry with a good CRC (same tag) is written: a refused write
	 * is not in the duplicate window */
	assert_int_equal(t_run(t_write(T_H1, 2, 2, 30, 0xcd, 1)), 60);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY);
	assert_int_equal(t_img(31), 0xcd);
	assert_int_equal(t_x.st.duplicates, 0);
	(void)state;
}

static void
test_crc_max_sectors(void **state)
{
	static const char	 w[] = "crc8x4\0";
	const size_t		 cap = 36 + 2 * 512 + 2;	/* no room for 4 */

	/* a plain initiator: 2 sectors fit this buffer */
	assert_int_equal(t_run_cap(t_ata(T_H1, 1, ATA_CMD_READ_EXT, 2, 0, 0, 0),
	    cap), 36 + 1024);
	t_negotiate(T_H1, w, sizeof(w));
	t_nic.max_sectors = 2;
	/* crc8x4: 2 sectors + 4 bytes do not: BADARG; the config reply
	 * advertises 1 */
	assert_int_equal(t_run_cap(t_ata(T_H1, 2, ATA_CMD_READ_EXT, 2, 0, 0, 0),
	    cap), 60);
	assert_int_equal(t_buf[14], 0x1C);
	assert_int_equal(t_buf[15], AOE_ERR_BADARG);
	assert_int_equal(t_run_cap(t_ata(T_H1, 3, ATA_CMD_READ_EXT, 1, 0, 0, 0),
	    cap), 36 + 512 + 4);
	t_hdr(T_H1, AOE_CMD_CFG, 4);
	assert_true(t_run_cap(60, cap) > 0);
	assert_int_equal(t_buf[28], 1);
	t_hdr(T_H2, AOE_CMD_CFG, 5);
	assert_true(t_run_cap(60, cap) > 0);
	assert_int_equal(t_buf[28], 2);
	(void)state;
}

/* --- duplicate window --------------------------------------------------- */

static void
test_dup_hit(void **state)
{
	size_t	 len;

	len = t_write(T_H1, 0x10001, 1, 60, 0x11, 0);
	assert_int_equal(t_run(len), 60);
	assert_int_equal(t_img(60), 0x11);
	/* the image changes behind it; the duplicate must not undo that */
	t_set_img(60, 0x22);
	assert_int_equal(t_run(t_write(T_H1, 0x10001, 1, 60, 0x11, 0)), 60);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY);
	assert_int_equal(t_buf[25], 0);
	assert_int_equal(t_img(60), 0x22);
	assert_int_equal(t_x.st.duplicates, 1);
	assert_int_equal(t_x.st.writes, 1);
	/* a new tag (Linux retransmits so) is a new request: it runs */
	assert_int_equal(t_run(t_write(T_H1, 0x20001, 1, 60, 0x11, 0)), 60);
	assert_int_equal(t_img(60), 0x11);
	/* same tag from another MAC, or another LBA: not a duplicate */
	t_set_img(60, 0x22);
	assert_int_equal(t_run(t_write(T_H2, 0x10001, 1, 60, 0x11, 0)), 60);
	assert_int_equal(t_img(60), 0x11);
	assert_int_equal(t_run(t_write(T_H1, 0x10001, 1, 61, 0x11, 0)), 60);
	assert_int_equal(t_img(61), 0x11);
	assert_int_equal(t_x.st.duplicates, 1);
	/* a failed write's duplicate gets the same failure, not run again */
	assert_int_equal(t_run(t_write(T_H1, 0x30001, 1, T_SECTORS, 0, 0)), 60);
	assert_int_equal(t_buf[25], ATA_ERR_IDNF);
	assert_int_equal(t_run(t_write(T_H1, 0x30001, 1, T_SECTORS, 0, 0)), 60);
	assert_int_equal(t_buf[25], ATA_ERR_IDNF);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY | ATA_STAT_ERR);
	assert_int_equal(t_x.st.err_range, 1);
	assert_int_equal(t_x.st.duplicates, 2);
	/* reads are not in the window: a repeated read simply runs */
	assert_int_equal(t_run(t_ata(T_H1, 7, ATA_CMD_READ_EXT, 1, 0, 0, 0)),
	    36 + 512);
	assert_int_equal(t_run(t_ata(T_H1, 7, ATA_CMD_READ_EXT, 1, 0, 0, 0)),
	    36 + 512);
	assert_int_equal(t_x.st.duplicates, 2);
	(void)state;
}

static void
test_dup_evict_and_expire(void **state)
{
	unsigned	 i;

	assert_int_equal(t_run(t_write(T_H1, 0xabc, 1, 70, 0x33, 0)), 60);
	/* EXT_WINDOW newer writes push it out: its copy runs again */
	for (i = 0; i < EXT_WINDOW; i++)
		assert_int_equal(t_run(t_write(T_H1, 0x1000 + i, 1, 100, 0, 0)),
		    60);
	t_set_img(70, 0x44);
	assert_int_equal(t_run(t_write(T_H1, 0xabc, 1, 70, 0x33, 0)), 60);
	assert_int_equal(t_img(70), 0x33);
	assert_int_equal(t_x.st.duplicates, 0);
	/* within the window, and then after EXT_WINDOW_NS */
	t_set_img(70, 0x44);
	assert_int_equal(t_run(t_write(T_H1, 0xabc, 1, 70, 0x33, 0)), 60);
	assert_int_equal(t_img(70), 0x44);
	assert_int_equal(t_x.st.duplicates, 1);
	ext_clock_fixed += EXT_WINDOW_NS + 1;
	assert_int_equal(t_run(t_write(T_H1, 0xabc, 1, 70, 0x33, 0)), 60);
	assert_int_equal(t_img(70), 0x33);
	assert_int_equal(t_x.st.duplicates, 1);
	(void)state;
}

static void
test_peer_table(void **state)
{
	static const char	 w[] = "crc8x4\0";
	uint8_t			 mac[6];
	unsigned		 i;

	/* EXT_PEERS_MAX initiators that negotiated nothing: the least
	 * recently used one is evicted for a new one (its window is lost) */
	memcpy(mac, T_H1, 6);
	for (i = 0; i < EXT_PEERS_MAX; i++) {
		mac[5] = (uint8_t)(0x40 + i);
		assert_int_equal(t_run(t_write(mac, 0x77, 1, 80 + i, 0x55, 0)),
		    60);
	}
	mac[5] = 0x40;
	t_set_img(80, 0);
	assert_int_equal(t_run(t_write(mac, 0x77, 1, 80, 0x55, 0)), 60);
	assert_int_equal(t_img(80), 0);			/* a duplicate */
	mac[5] = 0x60;						/* evicts 0x41 */
	assert_int_equal(t_run(t_write(mac, 0x77, 1, 90, 0x55, 0)), 60);
	mac[5] = 0x41;
	t_set_img(81, 0);
	assert_int_equal(t_run(t_write(mac, 0x77, 1, 81, 0x55, 0)), 60);
	assert_int_equal(t_img(81), 0x55);		/* ran again */

	/* negotiated peers are kept; when all are, a new one is refused:
	 * its words are echoed unaccepted */
	for (i = 0; i < EXT_PEERS_MAX; i++) {
		mac[5] = (uint8_t)(0x40 + i);
		t_negotiate(mac, w, sizeof(w));
		assert_int_equal(ext_peer_flags(&t_x, mac), EXT_CRC8X4);
	}
	mac[5] = 0x70;
	assert_true(t_run(t_ext(mac, w, sizeof(w), 0)) > 0);
	assert_memory_equal(t_buf + 26, "crc8x4", 6);
	assert_int_equal(ext_peer_flags(&t_x, mac), 0);
	/* and its writes still run (untracked) */
	assert_int_equal(t_run(t_write(mac, 1, 1, 95, 0x66, 0)), 60);
	assert_int_equal(t_img(95), 0x66);
	(void)state;
}

/* --- tag ordering ------------------------------------------------------- */

static void
test_tag_order(void **state)
{
	static const char	 be[] = "tag_inc_be\0";
	static const char	 le[] = "tag_inc_le\0";

	t_negotiate(T_H1, be, sizeof(be));
	assert_int_equal(t_run(t_write(T_H1, 10, 1, 110, 0x10, 0)), 60);
	assert_int_equal(t_run(t_write(T_H1, 12, 1, 112, 0x12, 0)), 60);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY);
	/* 11 after 12 was applied: refused, not written */
	assert_int_equal(t_run(t_write(T_H1, 11, 1, 111, 0x11, 0)), 60);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY | ATA_STAT_ERR);
	assert_int_equal(t_buf[25], ATA_ERR_ABRT);
	assert_int_not_equal(t_img(111), 0x11);
	assert_int_equal(t_x.st.stale_frames, 1);
	/* a duplicate of 10 is a duplicate (answered OK), not stale */
	assert_int_equal(t_run(t_write(T_H1, 10, 1, 110, 0x10, 0)), 60);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY);
	assert_int_equal(t_x.st.duplicates, 1);
	assert_int_equal(t_x.st.stale_frames, 1);
	/* serial arithmetic: 0xfffffff0 is 28 behind 12, so older */
	assert_int_equal(t_run(t_write(T_H1, 0xfffffff0u, 1, 113, 0x13, 0)),
	    60);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY | ATA_STAT_ERR);
	assert_int_equal(t_x.st.stale_frames, 2);
	/* little-endian tags: wire bytes 01 00 00 00 then 02 00 00 00 */
	t_negotiate(T_H2, le, sizeof(le));
	assert_int_equal(t_run(t_write(T_H2, 0x02000000, 1, 120, 0x20, 0)), 60);
	assert_int_equal(t_run(t_write(T_H2, 0x01000000, 1, 121, 0x21, 0)), 60);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY | ATA_STAT_ERR);
	assert_int_equal(t_run(t_write(T_H2, 0x00010000, 1, 122, 0x22, 0)), 60);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY);
	assert_int_equal(t_img(122), 0x22);
	assert_int_equal(t_x.st.stale_frames, 3);
	assert_int_equal(t_run(t_write(T_H1, 0, 1, 123, 0x23, 0)), 60);
	assert_int_equal(t_x.st.stale_frames, 4);
	/* after "reset", order is free again */
	t_negotiate(T_H1, "reset\0", 7);
	assert_int_equal(t_run(t_write(T_H1, 1, 1, 123, 0x23, 0)), 60);
	assert_int_equal(t_buf[27], ATA_STAT_DRDY);
	assert_int_equal(t_img(123), 0x23);
	(void)state;
}

#define T(f)	cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ext_words),
		T(test_ext_len_and_bad),
		T(test_ext_congestion),
		T(test_ext_reset),
		T(test_crc_read),
		T(test_crc_write),
		T(test_crc_max_sectors),
		T(test_dup_hit),
		T(test_dup_evict_and_expire),
		T(test_peer_table),
		T(test_tag_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

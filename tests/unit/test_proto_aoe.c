/*
 * Unit tests of the AoE r11 codec (proto/aoe.c).
 *
 * The fixtures are real frames from aoetools and vblade (tests/fixtures/,
 * see its README); each is loaded into a heap buffer of exactly its length,
 * so ASan reports any read past the end.  Malformed frames are cut or
 * patched copies of them.  Tests run from the repo root; AOEDE_FIXTURES
 * overrides the fixture directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "aoe.h"

static const uint8_t	t_mac_t[6] = { 0x02, 0xae, 0xde, 0x00, 0x00, 0x01 };
static const uint8_t	t_mac_i[6] = { 0x02, 0xae, 0xde, 0x00, 0x00, 0x02 };
static const uint8_t	t_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* aoecfg's tags (microseconds | 1<<31) as captured */
#define T_TAG_READ	0x8002da80u
#define T_TAG_TEST	0x800e82ccu
#define T_TAG_PREFIX	0x800923c4u
#define T_TAG_SET	0x8003c4dcu
#define T_TAG_FSET	0x80000ba9u

struct t_frame {
	uint8_t	*buf;
	size_t	 len;
};

/* --- helpers ------------------------------------------------------------- */

static struct t_frame
t_load(const char *name)
{
	struct t_frame	 f;
	const char	*dir = getenv("AOEDE_FIXTURES");
	char		 path[512];
	FILE		*fp;
	long		 n;

	if (dir == NULL || *dir == '\0')
		dir = "tests/fixtures";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open fixture %s (run from the repo root)", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n > 0 && n < 65536);
	rewind(fp);
	f.len = (size_t)n;
	f.buf = malloc(f.len);		/* exact size: ASan sees over-reads */
	assert_non_null(f.buf);
	assert_int_equal(fread(f.buf, 1, f.len, fp), f.len);
	fclose(fp);
	return f;
}

/* A heap copy of the first n bytes of src, exactly n bytes big. */
static uint8_t *
t_cut(const uint8_t *src, size_t n)
{
	uint8_t	*p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, src, n);
	return p;
}

/* A frame of len bytes, all zero, with an AoE header for cmd. */
static uint8_t *
t_frame(size_t len, uint8_t cmd)
{
	uint8_t	*p = calloc(1, len ? len : 1);

	assert_non_null(p);
	assert_true(len >= AOE_HDR_LEN);
	memcpy(p, t_bcast, 6);
	memcpy(p + 6, t_mac_i, 6);
	p[12] = 0x88;
	p[13] = 0xA2;
	p[14] = 0x10;
	p[16] = 0x00;
	p[17] = 0x07;
	p[18] = 0x03;
	p[19] = cmd;
	return p;
}

static void
t_hdr_expect(const struct t_frame *f, const uint8_t *dst, const uint8_t *src,
    uint8_t ver, uint8_t flags, uint16_t major, uint8_t minor, uint8_t cmd,
    uint32_t tag)
{
	struct aoe_hdr	h;

	memset(&h, 0xa5, sizeof(h));
	assert_int_equal(aoe_hdr_decode(f->buf, f->len, &h), 0);
	assert_memory_equal(h.dst, dst, 6);
	assert_memory_equal(h.src, src, 6);
	assert_int_equal(h.type, AOE_ETHERTYPE);
	assert_int_equal(h.ver, ver);
	assert_int_equal(h.flags, flags);
	assert_int_equal(h.error, 0);
	assert_int_equal(h.major, major);
	assert_int_equal(h.minor, minor);
	assert_int_equal(h.cmd, cmd);
	assert_int_equal(h.tag, tag);
}

static int
t_all_zero(const uint8_t *p, size_t n, uint8_t v)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* decode a config frame and check its argument */
static void
t_cfg_expect(const struct t_frame *f, uint16_t bufcnt, uint16_t fwver,
    uint8_t scnt, uint8_t aoever, uint8_t ccmd, const char *cs)
{
	struct aoe_cfg	c;

	assert_int_equal(aoe_cfg_decode(f->buf, f->len, &c), 0);
	assert_int_equal(c.bufcnt, bufcnt);
	assert_int_equal(c.fwver, fwver);
	assert_int_equal(c.scnt, scnt);
	assert_int_equal(c.aoever, aoever);
	assert_int_equal(c.ccmd, ccmd);
	assert_ptr_equal(c.cs, f->buf + AOE_CFG_HDR_LEN);
	if (cs != NULL) {
		assert_int_equal(c.cslen, strlen(cs));
		assert_memory_equal(c.cs, cs, c.cslen);
	}
}

/* --- fixtures: aoeping, aoe-sancheck, aoecfg, vblade --------------------- */

static void
test_fixture_aoeping_cfg_query(void **state)
{
	struct t_frame	f = t_load("aoeping-cfg-query.bin");
	struct aoe_cfg	c;

	assert_int_equal(f.len, 1056);
	t_hdr_expect(&f, t_bcast, t_mac_i, 1, 0, 7, 3, AOE_CMD_CFG, 0x80000000u);
	t_cfg_expect(&f, 0, 0, 0, 0, AOE_CCMD_READ, NULL);
	assert_int_equal(aoe_cfg_decode(f.buf, f.len, &c), 0);
	assert_int_equal(c.cslen, 1024);
	assert_true(t_all_zero(c.cs, c.cslen, 0xED));
	free(f.buf);
}

static void
test_fixture_aoeping_identify(void **state)
{
	struct t_frame	f = t_load("aoeping-identify.bin");
	struct aoe_ata	a;

	assert_int_equal(f.len, 1060);
	t_hdr_expect(&f, t_mac_t, t_mac_i, 1, 0, 7, 3, AOE_CMD_ATA, 0x80000001u);
	assert_int_equal(aoe_ata_decode(f.buf, f.len, &a), 0);
	assert_int_equal(a.aflags, 0);
	assert_int_equal(a.err_feature, 0);
	assert_int_equal(a.scnt, 1);
	assert_int_equal(a.cmd_status, ATA_CMD_IDENTIFY);
	assert_int_equal(a.lba, 0xA0000000ULL);		/* lba3 = 0xA0 */
	assert_int_equal(aoe_ata_lba(&a), 0);		/* LBA28: masked */
	assert_ptr_equal(a.data, f.buf + 36);
	assert_int_equal(a.datalen, 1024);
	assert_true(t_all_zero(a.data, a.datalen, 0));
	free(f.buf);
}

static void
test_fixture_sancheck(void **state)
{
	struct t_frame	q = t_load("aoe-sancheck-cfg-query.bin");
	struct t_frame	p1 = t_load("aoe-sancheck-identify-1024.bin");
	struct t_frame	p2 = t_load("aoe-sancheck-identify-512.bin");
	struct aoe_ata	a;

	assert_int_equal(q.len, 60);
	t_hdr_expect(&q, t_bcast, t_mac_i, 1, 0, AOE_MAJOR_ANY, AOE_MINOR_ANY,
	    AOE_CMD_CFG, 0x80000000u);
	t_cfg_expect(&q, 0, 0, 0, 0, AOE_CCMD_READ, "");

	/* tag = (0x8000 | k) << 16 | n/512, zero padding as data */
	assert_int_equal(p1.len, 1060);
	t_hdr_expect(&p1, t_mac_t, t_mac_i, 1, 0, 7, 3, AOE_CMD_ATA, 0x80000002u);
	assert_int_equal(aoe_ata_decode(p1.buf, p1.len, &a), 0);
	assert_int_equal(a.scnt, 1);
	assert_int_equal(a.cmd_status, ATA_CMD_IDENTIFY);
	assert_int_equal(a.lba, 0);
	assert_int_equal(a.datalen, 1024);

	assert_int_equal(p2.len, 548);
	t_hdr_expect(&p2, t_mac_t, t_mac_i, 1, 0, 7, 3, AOE_CMD_ATA, 0x80000001u);
	assert_int_equal(aoe_ata_decode(p2.buf, p2.len, &a), 0);
	assert_int_equal(a.scnt, 1);
	assert_int_equal(a.cmd_status, ATA_CMD_IDENTIFY);
	assert_int_equal(a.datalen, 512);
	assert_true(t_all_zero(a.data, a.datalen, 0));
	free(q.buf);
	free(p1.buf);
	free(p2.buf);
}

static void
test_fixture_aoecfg(void **state)
{
	static const struct {
		const char	*file;
		uint32_t	 tag;
		uint8_t		 ccmd;
		const char	*cs;
	} t[] = {
		{ "aoecfg-read.bin", T_TAG_READ, AOE_CCMD_READ, "" },
		{ "aoecfg-test.bin", T_TAG_TEST, AOE_CCMD_TEST, "aoede-fixture" },
		{ "aoecfg-prefix.bin", T_TAG_PREFIX, AOE_CCMD_PREFIX, "aoede" },
		{ "aoecfg-set.bin", T_TAG_SET, AOE_CCMD_SET, "aoede-fixture" },
		{ "aoecfg-fset.bin", T_TAG_FSET, AOE_CCMD_FSET, "aoede-forced" },
	};
	struct t_frame	f;
	size_t		i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		f = t_load(t[i].file);
		assert_int_equal(f.len, 1056);
		t_hdr_expect(&f, t_bcast, t_mac_i, 1, 0, 7, 3, AOE_CMD_CFG,
		    t[i].tag);
		t_cfg_expect(&f, 0, 0, 0, 0, t[i].ccmd, t[i].cs);
		free(f.buf);
	}
}

static void
test_fixture_vblade_cfg(void **state)
{
	struct t_frame	an = t_load("vblade-cfg-announce.bin");
	struct t_frame	rd = t_load("vblade-cfg-reply.bin");
	struct t_frame	st = t_load("vblade-cfg-reply-set.bin");

	/* vblade's start-up announcement leaves the version nibble at 0 */
	assert_int_equal(an.len, 32);
	t_hdr_expect(&an, t_bcast, t_mac_t, 0, AOE_FLAG_RESP, 7, 3,
	    AOE_CMD_CFG, 0);
	t_cfg_expect(&an, 16, 0x4019, 2, 1, AOE_CCMD_READ, "");

	assert_int_equal(rd.len, 32);
	t_hdr_expect(&rd, t_mac_i, t_mac_t, 1, AOE_FLAG_RESP, 7, 3,
	    AOE_CMD_CFG, T_TAG_READ);
	t_cfg_expect(&rd, 16, 0x4019, 2, 1, AOE_CCMD_READ, "");

	assert_int_equal(st.len, 45);
	t_hdr_expect(&st, t_mac_i, t_mac_t, 1, AOE_FLAG_RESP, 7, 3,
	    AOE_CMD_CFG, T_TAG_SET);
	t_cfg_expect(&st, 16, 0x4019, 2, 1, AOE_CCMD_SET, "aoede-fixture");
	free(an.buf);
	free(rd.buf);
	free(st.buf);
}

static uint16_t
t_word(const uint8_t *id, unsigned w)
{
	return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8);
}

static void
test_fixture_vblade_identify(void **state)
{
	struct t_frame	 f = t_load("vblade-identify-reply.bin");
	struct aoe_ata	 a;
	const char	*model = "Coraid EtherDrive vblade";
	char		 m[41];
	unsigned	 i;

	assert_int_equal(f.len, 548);
	t_hdr_expect(&f, t_mac_i, t_mac_t, 1, AOE_FLAG_RESP, 7, 3,
	    AOE_CMD_ATA, 0x80000001u);
	assert_int_equal(aoe_ata_decode(f.buf, f.len, &a), 0);
	assert_int_equal(a.cmd_status, ATA_STAT_DRDY);
	assert_int_equal(a.scnt, 0);
	assert_int_equal(a.lba, 0xA0000000ULL);
	assert_int_equal(a.datalen, 512);
	/* 1 MiB image: 2048 sectors in words 60-61 and 100-103 */
	assert_int_equal(t_word(a.data, 60), 2048);
	assert_int_equal(t_word(a.data, 61), 0);
	assert_int_equal(t_word(a.data, 100), 2048);
	assert_int_equal(t_word(a.data, 83) & 0x0400, 0x0400);
	for (i = 0; i < 20; i++) {		/* words 27-46, byte-swapped */
		m[2 * i] = (char)a.data[54 + 2 * i + 1];
		m[2 * i + 1] = (char)a.data[54 + 2 * i];
	}
	m[40] = '\0';
	assert_memory_equal(m, model, strlen(model));
	free(f.buf);
}

/* Every fixture decodes with its own command's decoder only. */
static void
test_fixture_wrong_decoder(void **state)
{
	static const char *files[] = {
		"aoeping-cfg-query.bin", "aoeping-identify.bin",
		"aoe-sancheck-cfg-query.bin", "aoe-sancheck-identify-1024.bin",
		"aoe-sancheck-identify-512.bin", "aoecfg-read.bin",
		"aoecfg-test.bin", "aoecfg-prefix.bin", "aoecfg-set.bin",
		"aoecfg-fset.bin", "vblade-cfg-announce.bin",
		"vblade-cfg-reply.bin", "vblade-cfg-reply-set.bin",
		"vblade-identify-reply.bin",
	};
	struct t_frame	f;
	struct aoe_hdr	h;
	struct aoe_ata	a;
	struct aoe_cfg	c;
	struct aoe_mask	m;
	struct aoe_rsv	r;
	struct aoe_ext	e;
	size_t		i;
	int		want_ata, want_cfg;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		f = t_load(files[i]);
		assert_int_equal(aoe_hdr_decode(f.buf, f.len, &h), 0);
		want_ata = h.cmd == AOE_CMD_ATA ? 0 :
		    f.len < AOE_ATA_HDR_LEN ? AOE_ESHORT : AOE_ECMD;
		want_cfg = h.cmd == AOE_CMD_CFG ? 0 : AOE_ECMD;
		assert_int_equal(aoe_ata_decode(f.buf, f.len, &a), want_ata);
		assert_int_equal(aoe_cfg_decode(f.buf, f.len, &c), want_cfg);
		assert_int_equal(aoe_mask_decode(f.buf, f.len, &m), AOE_ECMD);
		assert_int_equal(aoe_rsv_decode(f.buf, f.len, &r), AOE_ECMD);
		assert_int_equal(aoe_ext_decode(f.buf, f.len, &e), AOE_ECMD);
		free(f.buf);
	}
}

/* --- round trips --------------------------------------------------------- */

static void
test_roundtrip_fixtures(void **state)
{
	static const char *files[] = {
		"aoeping-cfg-query.bin", "aoeping-identify.bin",
		"aoecfg-set.bin", "vblade-cfg-announce.bin",
		"vblade-cfg-reply-set.bin", "vblade-identify-reply.bin",
	};
	struct t_frame	 f;
	struct aoe_hdr	 h;
	struct aoe_ata	 a;
	struct aoe_cfg	 c;
	uint8_t		*out;
	size_t		 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		f = t_load(files[i]);
		out = malloc(f.len);
		assert_non_null(out);
		memset(out, 0x5a, f.len);
		assert_int_equal(aoe_hdr_decode(f.buf, f.len, &h), 0);
		aoe_hdr_encode(out, &h);
		assert_memory_equal(out, f.buf, AOE_HDR_LEN);
		if (h.cmd == AOE_CMD_ATA) {
			assert_int_equal(aoe_ata_decode(f.buf, f.len, &a), 0);
			aoe_ata_encode(out, &a);
			assert_memory_equal(out, f.buf, AOE_ATA_HDR_LEN);
			assert_int_equal(out[AOE_ATA_HDR_LEN], 0x5a);
		} else {
			assert_int_equal(aoe_cfg_decode(f.buf, f.len, &c), 0);
			assert_int_equal(aoe_cfg_encode(out, f.len, &c),
			    AOE_CFG_HDR_LEN + c.cslen);
			assert_memory_equal(out, f.buf,
			    AOE_CFG_HDR_LEN + c.cslen);
		}
		free(out);
		free(f.buf);
	}
}

static void
test_roundtrip_ata(void **state)
{
	uint8_t		*p = t_frame(AOE_ATA_HDR_LEN + 512, AOE_CMD_ATA);
	struct aoe_ata	 a = {
		.aflags = AOE_AFLAG_EXT | AOE_AFLAG_WRITE,
		.err_feature = 0x12, .scnt = 1, .cmd_status = ATA_CMD_WRITE_EXT,
		.lba = 0xABCDEF012345ULL,
	}, b;
	static const uint8_t lba_bytes[8] = {
		0x45, 0x23, 0x01, 0xEF, 0xCD, 0xAB, 0, 0 };

	memset(p + 34, 0xff, 2);		/* reserved: encode clears */
	aoe_ata_encode(p, &a);
	assert_memory_equal(p + 28, lba_bytes, 8);
	assert_int_equal(p[24], 0x41);
	assert_int_equal(p[25], 0x12);
	assert_int_equal(p[26], 1);
	assert_int_equal(p[27], ATA_CMD_WRITE_EXT);
	assert_int_equal(aoe_ata_decode(p, AOE_ATA_HDR_LEN + 512, &b), 0);
	assert_int_equal(b.aflags, a.aflags);
	assert_int_equal(b.err_feature, a.err_feature);
	assert_int_equal(b.scnt, a.scnt);
	assert_int_equal(b.cmd_status, a.cmd_status);
	assert_int_equal(b.lba, a.lba);
	assert_int_equal(b.datalen, 512);

	/* exactly the header: no data, data points just past it */
	assert_int_equal(aoe_ata_decode(p, AOE_ATA_HDR_LEN, &b), 0);
	assert_int_equal(b.datalen, 0);
	assert_ptr_equal(b.data, p + AOE_ATA_HDR_LEN);
	free(p);
}

static void
test_roundtrip_cfg(void **state)
{
	uint8_t		 buf[AOE_CFG_HDR_LEN + AOE_CFG_MAX];
	uint8_t		 cs[AOE_CFG_MAX + 1];
	struct aoe_cfg	 c = { .bufcnt = 64, .fwver = 0x0101, .scnt = 17,
		.aoever = AOE_VERSION, .ccmd = AOE_CCMD_FSET, .cslen = 5,
		.cs = (const uint8_t *)"hello" }, d;
	uint8_t		*p;
	size_t		 i;

	p = t_frame(sizeof(buf), AOE_CMD_CFG);
	assert_int_equal(aoe_cfg_encode(p, sizeof(buf), &c), 37);
	assert_int_equal(p[24], 0);
	assert_int_equal(p[25], 64);
	assert_int_equal(p[26], 1);
	assert_int_equal(p[27], 1);
	assert_int_equal(p[28], 17);
	assert_int_equal(p[29], 0x14);
	assert_int_equal(p[30], 0);
	assert_int_equal(p[31], 5);
	assert_int_equal(aoe_cfg_decode(p, 37, &d), 0);
	assert_int_equal(d.bufcnt, 64);
	assert_int_equal(d.fwver, 0x0101);
	assert_int_equal(d.scnt, 17);
	assert_int_equal(d.aoever, 1);
	assert_int_equal(d.ccmd, AOE_CCMD_FSET);
	assert_int_equal(d.cslen, 5);
	assert_memory_equal(d.cs, "hello", 5);

	/* the string may alias the frame (a reply built in the request) */
	memcpy(p + 40, "abcdef", 6);
	c.cs = p + 40;
	c.cslen = 6;
	assert_int_equal(aoe_cfg_encode(p, sizeof(buf), &c), 38);
	assert_memory_equal(p + 32, "abcdef", 6);
	c.cs = p + 32;				/* in place */
	assert_int_equal(aoe_cfg_encode(p, sizeof(buf), &c), 38);
	assert_memory_equal(p + 32, "abcdef", 6);

	/* the longest string, exactly fitting */
	for (i = 0; i < sizeof(cs); i++)
		cs[i] = (uint8_t)i;
	c.cs = cs;
	c.cslen = AOE_CFG_MAX;
	assert_int_equal(aoe_cfg_encode(p, sizeof(buf), &c), sizeof(buf));
	assert_int_equal(aoe_cfg_decode(p, sizeof(buf), &d), 0);
	assert_int_equal(d.cslen, AOE_CFG_MAX);
	assert_memory_equal(d.cs, cs, AOE_CFG_MAX);

	/* does not fit / too long / an empty string with cs NULL */
	assert_int_equal(aoe_cfg_encode(p, sizeof(buf) - 1, &c), AOE_ELENGTH);
	c.cslen = AOE_CFG_MAX + 1;
	assert_int_equal(aoe_cfg_encode(p, sizeof(buf) + 1, &c), AOE_ELENGTH);
	c.cslen = 0;
	c.cs = NULL;
	assert_int_equal(aoe_cfg_encode(p, AOE_CFG_HDR_LEN - 1, &c),
	    AOE_ELENGTH);
	assert_int_equal(aoe_cfg_encode(p, AOE_CFG_HDR_LEN, &c),
	    AOE_CFG_HDR_LEN);
	assert_int_equal(aoe_cfg_decode(p, AOE_CFG_HDR_LEN, &d), 0);
	assert_int_equal(d.cslen, 0);
	free(p);
}

static void
test_roundtrip_mask(void **state)
{
	static const uint8_t	macs[3][6] = {
		{ 1, 2, 3, 4, 5, 6 }, { 0xa, 0xb, 0xc, 0xd, 0xe, 0xf },
		{ 0xff, 0, 0xff, 0, 0xff, 0 },
	};
	uint8_t			*p = t_frame(AOE_MASK_HDR_LEN + 3 * 8, AOE_CMD_MASK);
	struct aoe_mask		 m;
	struct aoe_mask_dir	 d;
	unsigned		 i;

	memset(p + AOE_HDR_LEN, 0xee, 3 * 8 + 4);
	assert_int_equal(aoe_mask_encode(p, AOE_MASK_HDR_LEN + 3 * 8,
	    AOE_MCMD_EDIT, AOE_MERR_OK, 3, macs, 3), AOE_MASK_HDR_LEN + 24);
	assert_int_equal(p[24], 0);
	assert_int_equal(p[25], AOE_MCMD_EDIT);
	assert_int_equal(p[26], AOE_MERR_OK);
	assert_int_equal(p[27], 3);
	assert_int_equal(aoe_mask_decode(p, AOE_MASK_HDR_LEN + 24, &m), 0);
	assert_int_equal(m.mcmd, AOE_MCMD_EDIT);
	assert_int_equal(m.merror, AOE_MERR_OK);
	assert_int_equal(m.dcount, 3);
	assert_ptr_equal(m.dirs, p + AOE_MASK_HDR_LEN);
	for (i = 0; i < 3; i++) {
		assert_int_equal(p[AOE_MASK_HDR_LEN + 8 * i], 0);
		aoe_mask_dir_get(&m, i, &d);
		assert_int_equal(d.dcmd, AOE_DCMD_NONE);
		assert_memory_equal(d.mac, macs[i], 6);
	}
	/* an index past dcount gives a zero directive, not a stray read */
	memset(&d, 0x77, sizeof(d));
	aoe_mask_dir_get(&m, 3, &d);
	assert_int_equal(d.dcmd, 0);
	assert_true(t_all_zero(d.mac, 6, 0));

	/* a request's directives, with DCmd add/delete */
	p[AOE_MASK_HDR_LEN + 1] = AOE_DCMD_ADD;
	p[AOE_MASK_HDR_LEN + 9] = AOE_DCMD_DEL;
	assert_int_equal(aoe_mask_decode(p, AOE_MASK_HDR_LEN + 24, &m), 0);
	aoe_mask_dir_get(&m, 0, &d);
	assert_int_equal(d.dcmd, AOE_DCMD_ADD);
	aoe_mask_dir_get(&m, 1, &d);
	assert_int_equal(d.dcmd, AOE_DCMD_DEL);
	assert_memory_equal(d.mac, macs[1], 6);

	/* a failing directive: Dir Count is its index, n entries listed */
	assert_int_equal(aoe_mask_encode(p, AOE_MASK_HDR_LEN + 24,
	    AOE_MCMD_EDIT, AOE_MERR_FULL, 1, macs, 0), AOE_MASK_HDR_LEN);
	assert_int_equal(p[26], AOE_MERR_FULL);
	assert_int_equal(p[27], 1);

	/* does not fit, too many for the u8 count */
	assert_int_equal(aoe_mask_encode(p, AOE_MASK_HDR_LEN + 23,
	    AOE_MCMD_READ, 0, 3, macs, 3), AOE_ELENGTH);
	assert_int_equal(aoe_mask_encode(p, AOE_MASK_HDR_LEN - 1,
	    AOE_MCMD_READ, 0, 0, macs, 0), AOE_ELENGTH);
	assert_int_equal(aoe_mask_encode(p, SIZE_MAX, AOE_MCMD_READ, 0, 0,
	    macs, 256), AOE_ELENGTH);
	free(p);
}

static void
test_roundtrip_rsv(void **state)
{
	static const uint8_t	macs[2][6] = {
		{ 1, 2, 3, 4, 5, 6 }, { 6, 5, 4, 3, 2, 1 },
	};
	uint8_t			*p = t_frame(AOE_RSV_HDR_LEN + 12, AOE_CMD_RSV);
	struct aoe_rsv		 r;

	assert_int_equal(aoe_rsv_encode(p, AOE_RSV_HDR_LEN + 12,
	    AOE_RCMD_SET, macs, 2), AOE_RSV_HDR_LEN + 12);
	assert_int_equal(p[24], AOE_RCMD_SET);
	assert_int_equal(p[25], 2);
	assert_int_equal(aoe_rsv_decode(p, AOE_RSV_HDR_LEN + 12, &r), 0);
	assert_int_equal(r.rcmd, AOE_RCMD_SET);
	assert_int_equal(r.nmacs, 2);
	assert_ptr_equal(r.macs, p + AOE_RSV_HDR_LEN);
	assert_memory_equal(r.macs, macs, 12);

	/* the list in place (reply built from the request) */
	assert_int_equal(aoe_rsv_encode(p, AOE_RSV_HDR_LEN + 12,
	    AOE_RCMD_READ, (const uint8_t (*)[6])(p + AOE_RSV_HDR_LEN), 2),
	    AOE_RSV_HDR_LEN + 12);
	assert_memory_equal(p + AOE_RSV_HDR_LEN, macs, 12);

	/* release: an empty list */
	assert_int_equal(aoe_rsv_encode(p, AOE_RSV_HDR_LEN, AOE_RCMD_SET,
	    NULL, 0), AOE_RSV_HDR_LEN);
	assert_int_equal(aoe_rsv_decode(p, AOE_RSV_HDR_LEN, &r), 0);
	assert_int_equal(r.nmacs, 0);

	assert_int_equal(aoe_rsv_encode(p, AOE_RSV_HDR_LEN + 11,
	    AOE_RCMD_SET, macs, 2), AOE_ELENGTH);
	assert_int_equal(aoe_rsv_encode(p, AOE_RSV_HDR_LEN - 1,
	    AOE_RCMD_SET, NULL, 0), AOE_ELENGTH);
	assert_int_equal(aoe_rsv_encode(p, SIZE_MAX, AOE_RCMD_SET, macs,
	    256), AOE_ELENGTH);
	free(p);
}

static void
test_roundtrip_ext(void **state)
{
	static const uint8_t	w[] = "reset\0tag_random";
	uint8_t			*p = t_frame(AOE_EXT_HDR_LEN + sizeof(w), AOE_CMD_EXT);
	struct aoe_ext		 e;

	assert_int_equal(aoe_ext_encode(p, AOE_EXT_HDR_LEN + sizeof(w), w,
	    sizeof(w)), AOE_EXT_HDR_LEN + sizeof(w));
	assert_int_equal(p[24], 0);
	assert_int_equal(p[25], sizeof(w));
	assert_int_equal(aoe_ext_decode(p, AOE_EXT_HDR_LEN + sizeof(w), &e), 0);
	assert_int_equal(e.len, sizeof(w));
	assert_ptr_equal(e.words, p + AOE_EXT_HDR_LEN);
	assert_memory_equal(e.words, w, sizeof(w));
	assert_int_equal(aoe_ext_encode(p, AOE_EXT_HDR_LEN + sizeof(w) - 1,
	    w, sizeof(w)), AOE_ELENGTH);
	assert_int_equal(aoe_ext_encode(p, AOE_EXT_HDR_LEN - 1, w, 0),
	    AOE_ELENGTH);
	assert_int_equal(aoe_ext_encode(p, AOE_EXT_HDR_LEN, NULL, 0),
	    AOE_EXT_HDR_LEN);
	assert_int_equal(aoe_ext_decode(p, AOE_EXT_HDR_LEN, &e), 0);
	assert_int_equal(e.len, 0);
	free(p);
}

/* --- malformed frames ---------------------------------------------------- */

typedef int (*t_decoder)(const uint8_t *, size_t, void *);

static int
t_dec_hdr(const uint8_t *f, size_t n, void *o)
{
	return aoe_hdr_decode(f, n, o);
}

static int
t_dec_ata(const uint8_t *f, size_t n, void *o)
{
	return aoe_ata_decode(f, n, o);
}

static int
t_dec_cfg(const uint8_t *f, size_t n, void *o)
{
	return aoe_cfg_decode(f, n, o);
}

static int
t_dec_mask(const uint8_t *f, size_t n, void *o)
{
	return aoe_mask_decode(f, n, o);
}

static int
t_dec_rsv(const uint8_t *f, size_t n, void *o)
{
	return aoe_rsv_decode(f, n, o);
}

static int
t_dec_ext(const uint8_t *f, size_t n, void *o)
{
	return aoe_ext_decode(f, n, o);
}

static const struct {
	const char	*name;
	t_decoder	 dec;
	size_t		 fixed;
	uint8_t		 cmd;
} t_decs[] = {
	{ "hdr", t_dec_hdr, AOE_HDR_LEN, AOE_CMD_ATA },
	{ "ata", t_dec_ata, AOE_ATA_HDR_LEN, AOE_CMD_ATA },
	{ "cfg", t_dec_cfg, AOE_CFG_HDR_LEN, AOE_CMD_CFG },
	{ "mask", t_dec_mask, AOE_MASK_HDR_LEN, AOE_CMD_MASK },
	{ "rsv", t_dec_rsv, AOE_RSV_HDR_LEN, AOE_CMD_RSV },
	{ "ext", t_dec_ext, AOE_EXT_HDR_LEN, AOE_CMD_EXT },
};
#define T_NDECS	(sizeof(t_decs) / sizeof(t_decs[0]))

union t_out {
	struct aoe_hdr	h;
	struct aoe_ata	a;
	struct aoe_cfg	c;
	struct aoe_mask	m;
	struct aoe_rsv	r;
	struct aoe_ext	e;
};

/* Every length below the fixed part is short, for every decoder; the
 * fixed part itself (with zero counts) decodes. */
static void
test_short_frames(void **state)
{
	union t_out	 o;
	uint8_t		*full, *cut;
	size_t		 i, n;

	for (i = 0; i < T_NDECS; i++) {
		full = t_frame(t_decs[i].fixed, t_decs[i].cmd);
		for (n = 0; n < t_decs[i].fixed; n++) {
			cut = t_cut(full, n);
			if (t_decs[i].dec(cut, n, &o) != AOE_ESHORT)
				fail_msg("%s: len %zu not short", t_decs[i].name, n);
			free(cut);
		}
		cut = t_cut(full, n);
		assert_int_equal(t_decs[i].dec(cut, n, &o), 0);
		free(cut);
		assert_int_equal(t_decs[i].dec(NULL, 0, &o), AOE_ESHORT);
		free(full);
	}
}

static void
test_wrong_ethertype(void **state)
{
	static const uint16_t	types[] = { 0x0800, 0x86DD, 0x88A3, 0xA288, 0 };
	union t_out		o;
	uint8_t			*p;
	size_t			 i, j;

	for (i = 0; i < T_NDECS; i++) {
		p = t_frame(t_decs[i].fixed, t_decs[i].cmd);
		for (j = 0; j < sizeof(types) / sizeof(types[0]); j++) {
			p[12] = types[j] >> 8;
			p[13] = types[j] & 0xff;
			assert_int_equal(t_decs[i].dec(p, t_decs[i].fixed, &o),
			    AOE_ETYPE);
		}
		free(p);
	}
}

/* Each command decoder rejects every other command byte, vendor ones too. */
static void
test_wrong_command(void **state)
{
	union t_out	o;
	uint8_t		*p;
	size_t		 i;
	unsigned	 cmd;

	for (i = 1; i < T_NDECS; i++) {
		p = t_frame(AOE_CFG_HDR_LEN + 64, 0);
		for (cmd = 0; cmd < 256; cmd++) {
			p[19] = (uint8_t)cmd;
			assert_int_equal(t_decs[i].dec(p, AOE_CFG_HDR_LEN + 64, &o),
			    cmd == t_decs[i].cmd ? 0 : AOE_ECMD);
		}
		free(p);
	}
	/* the header decoder takes any command */
	p = t_frame(AOE_HDR_LEN, 0xF3);
	assert_int_equal(aoe_hdr_decode(p, AOE_HDR_LEN, &o.h), 0);
	assert_int_equal(o.h.cmd, 0xF3);
	free(p);
}

static void
test_cfg_lengths(void **state)
{
	size_t		 len = AOE_CFG_HDR_LEN + AOE_CFG_MAX + 8;
	uint8_t		*p = t_frame(len, AOE_CMD_CFG);
	struct aoe_cfg	 c;

	/* cslen exactly the bytes present is fine, one more is not */
	p[30] = 0; p[31] = 10;
	assert_int_equal(aoe_cfg_decode(p, AOE_CFG_HDR_LEN + 10, &c), 0);
	assert_int_equal(c.cslen, 10);
	assert_int_equal(aoe_cfg_decode(p, AOE_CFG_HDR_LEN + 9, &c),
	    AOE_ELENGTH);
	p[30] = 0; p[31] = 1;
	assert_int_equal(aoe_cfg_decode(p, AOE_CFG_HDR_LEN, &c), AOE_ELENGTH);
	/* 1024 is the limit even when more bytes are present */
	p[30] = 0x04; p[31] = 0x00;
	assert_int_equal(aoe_cfg_decode(p, len, &c), 0);
	assert_int_equal(c.cslen, 1024);
	p[30] = 0x04; p[31] = 0x01;
	assert_int_equal(aoe_cfg_decode(p, len, &c), AOE_ELENGTH);
	p[30] = 0xff; p[31] = 0xff;
	assert_int_equal(aoe_cfg_decode(p, len, &c), AOE_ELENGTH);
	free(p);
}

static void
test_mask_lengths(void **state)
{
	size_t		 len = AOE_MASK_HDR_LEN + 255 * 8;
	uint8_t		*p = t_frame(len, AOE_CMD_MASK);
	struct aoe_mask	 m;

	p[27] = 3;
	assert_int_equal(aoe_mask_decode(p, AOE_MASK_HDR_LEN + 24, &m), 0);
	assert_int_equal(aoe_mask_decode(p, AOE_MASK_HDR_LEN + 23, &m),
	    AOE_ELENGTH);
	assert_int_equal(aoe_mask_decode(p, AOE_MASK_HDR_LEN, &m), AOE_ELENGTH);
	p[27] = 255;
	assert_int_equal(aoe_mask_decode(p, len, &m), 0);
	assert_int_equal(m.dcount, 255);
	assert_int_equal(aoe_mask_decode(p, len - 1, &m), AOE_ELENGTH);
	/* trailing bytes after the directives are allowed (padding) */
	p[27] = 1;
	assert_int_equal(aoe_mask_decode(p, len, &m), 0);
	free(p);
}

static void
test_rsv_lengths(void **state)
{
	size_t		 len = AOE_RSV_HDR_LEN + 255 * 6;
	uint8_t		*p = t_frame(len, AOE_CMD_RSV);
	struct aoe_rsv	 r;

	p[25] = 2;
	assert_int_equal(aoe_rsv_decode(p, AOE_RSV_HDR_LEN + 12, &r), 0);
	assert_int_equal(aoe_rsv_decode(p, AOE_RSV_HDR_LEN + 11, &r),
	    AOE_ELENGTH);
	assert_int_equal(aoe_rsv_decode(p, AOE_RSV_HDR_LEN, &r), AOE_ELENGTH);
	p[25] = 255;
	assert_int_equal(aoe_rsv_decode(p, len, &r), 0);
	assert_int_equal(aoe_rsv_decode(p, len - 1, &r), AOE_ELENGTH);
	free(p);
}

static void
test_ext_lengths(void **state)
{
	uint8_t		*p = t_frame(AOE_EXT_HDR_LEN + 16, AOE_CMD_EXT);
	struct aoe_ext	 e;

	p[24] = 0; p[25] = 16;
	assert_int_equal(aoe_ext_decode(p, AOE_EXT_HDR_LEN + 16, &e), 0);
	assert_int_equal(aoe_ext_decode(p, AOE_EXT_HDR_LEN + 15, &e),
	    AOE_ELENGTH);
	p[24] = 0xff; p[25] = 0xff;
	assert_int_equal(aoe_ext_decode(p, AOE_EXT_HDR_LEN + 16, &e),
	    AOE_ELENGTH);
	p[24] = 0x01; p[25] = 0x00;		/* 256: high byte counts */
	assert_int_equal(aoe_ext_decode(p, AOE_EXT_HDR_LEN + 16, &e),
	    AOE_ELENGTH);
	free(p);
}

/* --- LBA ----------------------------------------------------------------- */

static void
test_lba28_masking(void **state)
{
	uint8_t		*p = t_frame(AOE_ATA_HDR_LEN, AOE_CMD_ATA);
	struct aoe_ata	 a;

	/* Linux: lba3 high nibble 0xE, LBA 0x5123456 */
	p[27] = ATA_CMD_READ;
	p[28] = 0x56; p[29] = 0x34; p[30] = 0x12; p[31] = 0xE5;
	p[32] = 0x77; p[33] = 0x88;		/* not address for LBA28 */
	assert_int_equal(aoe_ata_decode(p, AOE_ATA_HDR_LEN, &a), 0);
	assert_int_equal(a.lba, 0x8877E5123456ULL);	/* as sent */
	assert_int_equal(aoe_ata_lba(&a), 0x05123456ULL);

	p[31] = 0xFF; p[28] = p[29] = p[30] = 0xFF;
	assert_int_equal(aoe_ata_decode(p, AOE_ATA_HDR_LEN, &a), 0);
	assert_int_equal(aoe_ata_lba(&a), 0x0FFFFFFFULL);
	free(p);
}

static void
test_lba48(void **state)
{
	uint8_t		*p = t_frame(AOE_ATA_HDR_LEN, AOE_CMD_ATA);
	struct aoe_ata	 a;

	p[24] = AOE_AFLAG_EXT;
	p[27] = ATA_CMD_READ_EXT;
	p[28] = 0x01; p[29] = 0x02; p[30] = 0x03;
	p[31] = 0xE4; p[32] = 0x05; p[33] = 0xF6;
	assert_int_equal(aoe_ata_decode(p, AOE_ATA_HDR_LEN, &a), 0);
	assert_int_equal(aoe_ata_lba(&a), 0xF605E4030201ULL);

	memset(p + 28, 0xff, 6);
	p[34] = p[35] = 0xff;			/* reserved bytes not LBA */
	assert_int_equal(aoe_ata_decode(p, AOE_ATA_HDR_LEN, &a), 0);
	assert_int_equal(aoe_ata_lba(&a), 0xFFFFFFFFFFFFULL);

	/* a caller-built struct with bits above 48 is clamped too */
	a.lba = ~0ULL;
	assert_int_equal(aoe_ata_lba(&a), 0xFFFFFFFFFFFFULL);
	a.aflags = 0;
	assert_int_equal(aoe_ata_lba(&a), 0x0FFFFFFFULL);
	free(p);
}

/* --- response header ----------------------------------------------------- */

static void
test_make_response(void **state)
{
	struct t_frame	 f = t_load("aoeping-identify.bin");
	uint8_t		*orig = t_cut(f.buf, f.len);
	static const uint8_t me[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct aoe_hdr	 h;

	aoe_hdr_make_response(f.buf, me, 7, 3, 0);
	assert_int_equal(aoe_hdr_decode(f.buf, f.len, &h), 0);
	assert_memory_equal(h.dst, t_mac_i, 6);
	assert_memory_equal(h.src, me, 6);
	assert_int_equal(f.buf[14], 0x18);
	assert_int_equal(h.error, 0);
	assert_int_equal(h.major, 7);
	assert_int_equal(h.minor, 3);
	assert_int_equal(h.tag, 0x80000001u);
	assert_int_equal(h.cmd, AOE_CMD_ATA);
	assert_memory_equal(f.buf + 12, orig + 12, 2);
	assert_memory_equal(f.buf + 19, orig + 19, f.len - 19);

	/* an error: E and the code; a broadcast request gets our address */
	memcpy(f.buf, orig, f.len);
	f.buf[16] = 0xff; f.buf[17] = 0xff; f.buf[18] = 0xff;
	aoe_hdr_make_response(f.buf, me, 0x1234, 0x56, AOE_ERR_RESERVED);
	assert_int_equal(aoe_hdr_decode(f.buf, f.len, &h), 0);
	assert_int_equal(f.buf[14], 0x1C);
	assert_int_equal(h.error, AOE_ERR_RESERVED);
	assert_int_equal(h.major, 0x1234);
	assert_int_equal(h.minor, 0x56);
	assert_int_equal(h.tag, 0x80000001u);

	/* a request with E, a stale error, version 0 and reserved bits:
	 * error 0 clears E and the error byte; version becomes 1 */
	memcpy(f.buf, orig, f.len);
	f.buf[14] = 0x07;
	f.buf[15] = 0x42;
	aoe_hdr_make_response(f.buf, me, 7, 3, 0);
	assert_int_equal(f.buf[14], 0x18);
	assert_int_equal(f.buf[15], 0);
	free(orig);
	free(f.buf);
}

/* --- pad, MTU, ext words, strerror --------------------------------------- */

static void
test_pad(void **state)
{
	uint8_t	buf[100];

	memset(buf, 0xAA, sizeof(buf));
	assert_int_equal(aoe_pad(buf, 32, sizeof(buf)), AOE_MIN_FRAME);
	assert_true(t_all_zero(buf + 32, 28, 0));
	assert_int_equal(buf[31], 0xAA);
	assert_int_equal(buf[60], 0xAA);

	memset(buf, 0xAA, sizeof(buf));
	assert_int_equal(aoe_pad(buf, 60, sizeof(buf)), 60);
	assert_int_equal(aoe_pad(buf, 99, sizeof(buf)), 99);
	assert_int_equal(aoe_pad(buf, 0, sizeof(buf)), 60);
	assert_true(t_all_zero(buf, 60, 0));
	assert_int_equal(buf[60], 0xAA);

	/* a buffer too small for 60 is padded to its end only */
	memset(buf, 0xAA, sizeof(buf));
	assert_int_equal(aoe_pad(buf, 32, 40), 40);
	assert_true(t_all_zero(buf + 32, 8, 0));
	assert_int_equal(buf[40], 0xAA);
}

static void
test_mtu_sectors(void **state)
{
	assert_int_equal(aoe_mtu_sectors(1500), 2);
	assert_int_equal(aoe_mtu_sectors(9000), 17);
	assert_int_equal(aoe_mtu_sectors(547), 0);
	assert_int_equal(aoe_mtu_sectors(548), 1);
	/* (65535 - 36) / 512: the u8 cap only bites from MTU 130596 on */
	assert_int_equal(aoe_mtu_sectors(65535), 127);
	assert_int_equal(aoe_mtu_sectors(36 + 255 * 512), 255);
	assert_int_equal(aoe_mtu_sectors(36 + 255 * 512 - 1), 254);
	assert_int_equal(aoe_mtu_sectors(36), 0);
	assert_int_equal(aoe_mtu_sectors(35), 0);
	assert_int_equal(aoe_mtu_sectors(0), 0);
	assert_int_equal(aoe_mtu_sectors(~0u), 255);
}

/* Collect the words of an ext block as "w1,w2,…" for one comparison. */
static void
t_words(const uint8_t *w, uint16_t len, char *out, size_t cap)
{
	struct aoe_ext	e = { .len = len, .words = w };
	size_t		pos = 0, start = 0, o = 0;
	int		n;

	out[0] = '\0';
	while ((n = aoe_ext_next_word(&e, &pos, &start)) != -1) {
		assert_true(n >= 1);
		assert_true(start + (size_t)n <= len);
		assert_true(o + (size_t)n + 2 < cap);
		if (o > 0)
			out[o++] = ',';
		memcpy(out + o, w + start, (size_t)n);
		o += (size_t)n;
		out[o] = '\0';
	}
	/* once done, it stays done */
	assert_int_equal(aoe_ext_next_word(&e, &pos, &start), -1);
}

static void
test_ext_words(void **state)
{
	char	out[128];
	uint8_t	*w;

	t_words((const uint8_t *)"reset\0coalesced_read\0", 21, out, sizeof(out));
	assert_string_equal(out, "reset,coalesced_read");
	t_words((const uint8_t *)"\0\0a\0\0\0bc", 8, out, sizeof(out));
	assert_string_equal(out, "a,bc");
	t_words((const uint8_t *)"congestion 5", 12, out, sizeof(out));
	assert_string_equal(out, "congestion 5");
	t_words((const uint8_t *)"\0\0\0", 3, out, sizeof(out));
	assert_string_equal(out, "");
	t_words((const uint8_t *)"", 0, out, sizeof(out));
	assert_string_equal(out, "");

	/* no NUL at the end of an exact-size buffer: no read past it */
	w = t_cut((const uint8_t *)"tag_inc_le", 10);
	t_words(w, 10, out, sizeof(out));
	assert_string_equal(out, "tag_inc_le");
	free(w);
	/* a length shorter than the buffer cuts the word */
	t_words((const uint8_t *)"crc8x4", 3, out, sizeof(out));
	assert_string_equal(out, "crc");
}

static void
test_strerror(void **state)
{
	const int	errs[] = { 0, AOE_ESHORT, AOE_ETYPE, AOE_ECMD,
	    AOE_ELENGTH, AOE_EVALUE, -99 };
	size_t		i, j;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		assert_non_null(aoe_decode_strerror(errs[i]));
		for (j = 0; j < i; j++)
			assert_string_not_equal(aoe_decode_strerror(errs[i]),
			    aoe_decode_strerror(errs[j]));
	}
	assert_string_equal(aoe_decode_strerror(AOE_ESHORT), "short frame");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_aoeping_cfg_query),
		cmocka_unit_test(test_fixture_aoeping_identify),
		cmocka_unit_test(test_fixture_sancheck),
		cmocka_unit_test(test_fixture_aoecfg),
		cmocka_unit_test(test_fixture_vblade_cfg),
		cmocka_unit_test(test_fixture_vblade_identify),
		cmocka_unit_test(test_fixture_wrong_decoder),
		cmocka_unit_test(test_roundtrip_fixtures),
		cmocka_unit_test(test_roundtrip_ata),
		cmocka_unit_test(test_roundtrip_cfg),
		cmocka_unit_test(test_roundtrip_mask),
		cmocka_unit_test(test_roundtrip_rsv),
		cmocka_unit_test(test_roundtrip_ext),
		cmocka_unit_test(test_short_frames),
		cmocka_unit_test(test_wrong_ethertype),
		cmocka_unit_test(test_wrong_command),
		cmocka_unit_test(test_cfg_lengths),
		cmocka_unit_test(test_mask_lengths),
		cmocka_unit_test(test_rsv_lengths),
		cmocka_unit_test(test_ext_lengths),
		cmocka_unit_test(test_lba28_masking),
		cmocka_unit_test(test_lba48),
		cmocka_unit_test(test_make_response),
		cmocka_unit_test(test_pad),
		cmocka_unit_test(test_mtu_sectors),
		cmocka_unit_test(test_ext_words),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * libFuzzer target for the AoE r11 codec (proto/aoe.c).
 *
 * Every decoder runs on the raw input (libFuzzer's buffer is exactly the
 * input's size, so ASan catches any read past it).  On success the decoded
 * pointers and lengths must lie inside the input, and the result must
 * round-trip through the encoders into a separate buffer byte for byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aoe.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

/* [p, p + n) lies inside [in, in + len) */
static int
fuzz_inside(const uint8_t *in, size_t len, const uint8_t *p, size_t n)
{
	return p >= in && p <= in + len && n <= (size_t)(in + len - p);
}

static void
fuzz_hdr(const uint8_t *in, size_t len, uint8_t *out)
{
	struct aoe_hdr	h;
	uint8_t		mac[6] = { 2, 0, 0, 0, 0, 9 };

	if (aoe_hdr_decode(in, len, &h) != 0) {
		FZ_CHECK(len < AOE_HDR_LEN ||
		    (in[12] << 8 | in[13]) != AOE_ETHERTYPE);
		return;
	}
	FZ_CHECK(len >= AOE_HDR_LEN && h.type == AOE_ETHERTYPE);
	FZ_CHECK(h.ver <= 0x0f && h.flags <= 0x0f);
	aoe_hdr_encode(out, &h);
	FZ_CHECK(memcmp(out, in, AOE_HDR_LEN) == 0);

	/* the response header, built in the copy */
	aoe_hdr_make_response(out, mac, h.major, h.minor, h.error);
	FZ_CHECK(memcmp(out, in + 6, 6) == 0 && memcmp(out + 6, mac, 6) == 0);
	FZ_CHECK((out[14] & ~AOE_FLAG_ERR) == 0x18);
	FZ_CHECK(!!(out[14] & AOE_FLAG_ERR) == (h.error != 0));
	FZ_CHECK(memcmp(out + 15, in + 15, AOE_HDR_LEN - 15) == 0);
}

static void
fuzz_ata(const uint8_t *in, size_t len, uint8_t *out)
{
	struct aoe_ata	a, b;

	if (aoe_ata_decode(in, len, &a) != 0)
		return;
	FZ_CHECK(len >= AOE_ATA_HDR_LEN && in[19] == AOE_CMD_ATA);
	FZ_CHECK(a.data == in + AOE_ATA_HDR_LEN);
	FZ_CHECK(a.datalen == len - AOE_ATA_HDR_LEN);
	FZ_CHECK(fuzz_inside(in, len, a.data, a.datalen));
	FZ_CHECK(a.lba <= 0xFFFFFFFFFFFFULL);
	FZ_CHECK(aoe_ata_lba(&a) <= a.lba);
	if (!(a.aflags & AOE_AFLAG_EXT))
		FZ_CHECK(aoe_ata_lba(&a) <= 0x0FFFFFFFULL);
	memcpy(out, in, AOE_HDR_LEN);
	aoe_ata_encode(out, &a);
	/* bytes 34-35 are reserved and written as zero */
	FZ_CHECK(memcmp(out, in, 34) == 0 && out[34] == 0 && out[35] == 0);
	FZ_CHECK(aoe_ata_decode(out, AOE_ATA_HDR_LEN, &b) == 0);
	FZ_CHECK(b.lba == a.lba && b.scnt == a.scnt && b.aflags == a.aflags);
}

static void
fuzz_cfg(const uint8_t *in, size_t len, uint8_t *out)
{
	struct aoe_cfg	c;
	int		n;

	if (aoe_cfg_decode(in, len, &c) != 0)
		return;
	FZ_CHECK(in[19] == AOE_CMD_CFG && c.cslen <= AOE_CFG_MAX);
	FZ_CHECK(fuzz_inside(in, len, c.cs, c.cslen));
	memcpy(out, in, AOE_HDR_LEN);
	n = aoe_cfg_encode(out, len, &c);
	FZ_CHECK(n == AOE_CFG_HDR_LEN + c.cslen);
	FZ_CHECK(memcmp(out, in, (size_t)n) == 0);
	FZ_CHECK(aoe_cfg_encode(out, (size_t)n - 1, &c) == AOE_ELENGTH);
}

static void
fuzz_mask(const uint8_t *in, size_t len, uint8_t *out)
{
	struct aoe_mask		m, m2;
	struct aoe_mask_dir	d, d2;
	uint8_t			macs[255][6];
	unsigned		i;
	int			n;

	if (aoe_mask_decode(in, len, &m) != 0)
		return;
	FZ_CHECK(in[19] == AOE_CMD_MASK);
	FZ_CHECK(fuzz_inside(in, len, m.dirs, (size_t)m.dcount * AOE_MASK_DIR_LEN));
	for (i = 0; i < m.dcount; i++) {
		aoe_mask_dir_get(&m, i, &d);
		FZ_CHECK(d.dcmd == m.dirs[i * AOE_MASK_DIR_LEN + 1]);
		memcpy(macs[i], d.mac, 6);
	}
	aoe_mask_dir_get(&m, m.dcount, &d);	/* past the end: zeroed */
	FZ_CHECK(d.dcmd == 0);
	memcpy(out, in, AOE_HDR_LEN);
	n = aoe_mask_encode(out, len, m.mcmd, m.merror, m.dcount,
	    (const uint8_t (*)[6])macs, m.dcount);
	FZ_CHECK(n == AOE_MASK_HDR_LEN + m.dcount * AOE_MASK_DIR_LEN);
	FZ_CHECK(aoe_mask_decode(out, (size_t)n, &m2) == 0);
	FZ_CHECK(m2.mcmd == m.mcmd && m2.merror == m.merror &&
	    m2.dcount == m.dcount);
	for (i = 0; i < m2.dcount; i++) {
		aoe_mask_dir_get(&m2, i, &d2);
		FZ_CHECK(d2.dcmd == AOE_DCMD_NONE);
		FZ_CHECK(memcmp(d2.mac, macs[i], 6) == 0);
	}
	if (n > AOE_MASK_HDR_LEN)
		FZ_CHECK(aoe_mask_encode(out, (size_t)n - 1, m.mcmd, m.merror,
		    m.dcount, (const uint8_t (*)[6])macs, m.dcount) ==
		    AOE_ELENGTH);
}

static void
fuzz_rsv(const uint8_t *in, size_t len, uint8_t *out)
{
	struct aoe_rsv	r;
	int		n;

	if (aoe_rsv_decode(in, len, &r) != 0)
		return;
	FZ_CHECK(in[19] == AOE_CMD_RSV);
	FZ_CHECK(fuzz_inside(in, len, r.macs, (size_t)r.nmacs * 6));
	memcpy(out, in, AOE_HDR_LEN);
	n = aoe_rsv_encode(out, len, r.rcmd, (const uint8_t (*)[6])r.macs,
	    r.nmacs);
	FZ_CHECK(n == AOE_RSV_HDR_LEN + r.nmacs * 6);
	FZ_CHECK(memcmp(out, in, (size_t)n) == 0);
}

static void
fuzz_ext(const uint8_t *in, size_t len, uint8_t *out)
{
	struct aoe_ext	e;
	size_t		pos = 0, start = 0, words = 0, prev = 0;
	int		n;

	if (aoe_ext_decode(in, len, &e) != 0)
		return;
	FZ_CHECK(in[19] == AOE_CMD_EXT);
	FZ_CHECK(fuzz_inside(in, len, e.words, e.len));
	while ((n = aoe_ext_next_word(&e, &pos, &start)) != -1) {
		FZ_CHECK(n >= 1 && start >= prev && start + (size_t)n <= e.len);
		FZ_CHECK(memchr(e.words + start, '\0', (size_t)n) == NULL);
		FZ_CHECK(pos > start && pos <= e.len);
		prev = pos;
		FZ_CHECK(++words <= e.len);
	}
	memcpy(out, in, AOE_HDR_LEN);
	n = aoe_ext_encode(out, len, e.words, e.len);
	FZ_CHECK(n == AOE_EXT_HDR_LEN + e.len);
	FZ_CHECK(memcmp(out, in, (size_t)n) == 0);
}

static void
fuzz_pad(const uint8_t *in, size_t len)
{
	uint8_t	*p;
	size_t	 cap = len + AOE_MIN_FRAME, n, i;

	p = malloc(cap);
	FZ_CHECK(p != NULL);
	memcpy(p, in, len);
	n = aoe_pad(p, len, cap);
	FZ_CHECK(n == (len < AOE_MIN_FRAME ? AOE_MIN_FRAME : len));
	FZ_CHECK(memcmp(p, in, len) == 0);
	for (i = len; i < n; i++)
		FZ_CHECK(p[i] == 0);
	free(p);
	if (len >= 4) {
		unsigned mtu = (unsigned)in[0] << 24 | (unsigned)in[1] << 16 |
		    (unsigned)in[2] << 8 | in[3];
		FZ_CHECK(aoe_mtu_sectors(mtu) <= 255);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	uint8_t	*out;

	/* a separate output buffer of the input's size (at least a header) */
	out = malloc(len < AOE_ATA_HDR_LEN ? AOE_ATA_HDR_LEN : len);
	FZ_CHECK(out != NULL);
	fuzz_hdr(in, len, out);
	fuzz_ata(in, len, out);
	fuzz_cfg(in, len, out);
	fuzz_mask(in, len, out);
	fuzz_rsv(in, len, out);
	fuzz_ext(in, len, out);
	fuzz_pad(in, len);
	free(out);
	return 0;
}

/*
 * AoE r11 wire format codec (see aoe.h and PROTOCOL.md §1).
 *
 * Every function works on a caller's byte buffer and its length and never
 * touches a byte outside it.  Multi-byte header fields are big-endian; the
 * six ATA LBA bytes are least significant first, as the registers are.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aoe.h"

/* byte offsets from the start of the Ethernet frame */
#define OFF_DST		0
#define OFF_SRC		6
#define OFF_TYPE	12
#define OFF_VERFL	14
#define OFF_ERROR	15
#define OFF_MAJOR	16
#define OFF_MINOR	18
#define OFF_CMD		19
#define OFF_TAG		20
#define OFF_ARG		24

#define OFF_ATA_AFLAGS	24
#define OFF_ATA_FEAT	25
#define OFF_ATA_SCNT	26
#define OFF_ATA_CMD	27
#define OFF_ATA_LBA	28
#define ATA_LBA_BYTES	6

#define OFF_CFG_BUFCNT	24
#define OFF_CFG_FWVER	26
#define OFF_CFG_SCNT	28
#define OFF_CFG_VERCMD	29
#define OFF_CFG_CSLEN	30

#define OFF_MASK_MCMD	25
#define OFF_MASK_MERR	26
#define OFF_MASK_DCNT	27

#define OFF_RSV_RCMD	24
#define OFF_RSV_NMACS	25
#define RSV_MAC_LEN	6

#define OFF_EXT_LEN	24

#define LBA28_MASK	0x0FFFFFFFULL
#define LBA48_MASK	0xFFFFFFFFFFFFULL

/* the largest value of a u8 count field (Sector Count, Dir Count, NMacs) */
#define AOE_U8_MAX	255

static uint16_t
aoe_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
aoe_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
aoe_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
aoe_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/*
 * The checks every command decoder starts with, in a fixed order so that a
 * given bad frame always yields the same error: the fixed part must be
 * present, then the EtherType and the command must match.
 */
static int
aoe_check(const uint8_t *frame, size_t len, size_t fixed, uint8_t cmd)
{
	if (frame == NULL || len < fixed)
		return AOE_ESHORT;
	if (aoe_get16(frame + OFF_TYPE) != AOE_ETHERTYPE)
		return AOE_ETYPE;
	if (frame[OFF_CMD] != cmd)
		return AOE_ECMD;
	return 0;
}

int
aoe_hdr_decode(const uint8_t *frame, size_t len, struct aoe_hdr *h)
{
	if (frame == NULL || len < AOE_HDR_LEN)
		return AOE_ESHORT;
	if (aoe_get16(frame + OFF_TYPE) != AOE_ETHERTYPE)
		return AOE_ETYPE;
	memcpy(h->dst, frame + OFF_DST, ETH_ALEN_AOE);
	memcpy(h->src, frame + OFF_SRC, ETH_ALEN_AOE);
	h->type = AOE_ETHERTYPE;
	h->ver = frame[OFF_VERFL] >> 4;
	h->flags = frame[OFF_VERFL] & 0x0f;
	h->error = frame[OFF_ERROR];
	h->major = aoe_get16(frame + OFF_MAJOR);
	h->minor = frame[OFF_MINOR];
	h->cmd = frame[OFF_CMD];
	h->tag = aoe_get32(frame + OFF_TAG);
	return 0;
}

void
aoe_hdr_encode(uint8_t *frame, const struct aoe_hdr *h)
{
	memmove(frame + OFF_DST, h->dst, ETH_ALEN_AOE);
	memmove(frame + OFF_SRC, h->src, ETH_ALEN_AOE);
	aoe_put16(frame + OFF_TYPE, h->type);
	frame[OFF_VERFL] = (uint8_t)((h->ver & 0x0f) << 4 | (h->flags & 0x0f));
	frame[OFF_ERROR] = h->error;
	aoe_put16(frame + OFF_MAJOR, h->major);
	frame[OFF_MINOR] = h->minor;
	frame[OFF_CMD] = h->cmd;
	aoe_put32(frame + OFF_TAG, h->tag);
}

/*
 * Flag bits 1-0 are reserved and r11 wants them zero in whatever we send, so
 * the flags byte is rebuilt rather than edited: a request's stray bits (e.g.
 * aoeping's write_log puts W there) are not echoed.
 */
void
aoe_hdr_make_response(uint8_t *frame, const uint8_t mac[6], uint16_t major,
    uint8_t minor, uint8_t error)
{
	uint8_t	flags = AOE_FLAG_RESP;

	memmove(frame + OFF_DST, frame + OFF_SRC, ETH_ALEN_AOE);
	memmove(frame + OFF_SRC, mac, ETH_ALEN_AOE);
	if (error != 0)
		flags |= AOE_FLAG_ERR;
	frame[OFF_VERFL] = (uint8_t)(AOE_VERSION << 4 | flags);
	frame[OFF_ERROR] = error;
	aoe_put16(frame + OFF_MAJOR, major);
	frame[OFF_MINOR] = minor;
}

int
aoe_ata_decode(const uint8_t *frame, size_t len, struct aoe_ata *a)
{
	int	i, rc;

	if ((rc = aoe_check(frame, len, AOE_ATA_HDR_LEN, AOE_CMD_ATA)) != 0)
		return rc;
	a->aflags = frame[OFF_ATA_AFLAGS];
	a->err_feature = frame[OFF_ATA_FEAT];
	a->scnt = frame[OFF_ATA_SCNT];
	a->cmd_status = frame[OFF_ATA_CMD];
	a->lba = 0;
	for (i = ATA_LBA_BYTES - 1; i >= 0; i--)
		a->lba = a->lba << 8 | frame[OFF_ATA_LBA + i];
	a->data = frame + AOE_ATA_HDR_LEN;
	a->datalen = len - AOE_ATA_HDR_LEN;
	return 0;
}

void
aoe_ata_encode(uint8_t *frame, const struct aoe_ata *a)
{
	int	i;

	frame[OFF_ATA_AFLAGS] = a->aflags;
	frame[OFF_ATA_FEAT] = a->err_feature;
	frame[OFF_ATA_SCNT] = a->scnt;
	frame[OFF_ATA_CMD] = a->cmd_status;
	for (i = 0; i < ATA_LBA_BYTES; i++)
		frame[OFF_ATA_LBA + i] = (a->lba >> (8 * i)) & 0xff;
	frame[OFF_ATA_LBA + ATA_LBA_BYTES] = 0;		/* reserved */
	frame[OFF_ATA_LBA + ATA_LBA_BYTES + 1] = 0;
}

/*
 * LBA28 commands carry bits 24-27 in lba3's low nibble; Linux puts 0xE (LBA
 * mode plus obsolete bits) in the high nibble, which is not address.
 */
uint64_t
aoe_ata_lba(const struct aoe_ata *a)
{
	if (a->aflags & AOE_AFLAG_EXT)
		return a->lba & LBA48_MASK;
	return a->lba & LBA28_MASK;
}

int
aoe_cfg_decode(const uint8_t *frame, size_t len, struct aoe_cfg *c)
{
	int	rc;

	if ((rc = aoe_check(frame, len, AOE_CFG_HDR_LEN, AOE_CMD_CFG)) != 0)
		return rc;
	c->bufcnt = aoe_get16(frame + OFF_CFG_BUFCNT);
	c->fwver = aoe_get16(frame + OFF_CFG_FWVER);
	c->scnt = frame[OFF_CFG_SCNT];
	c->aoever = frame[OFF_CFG_VERCMD] >> 4;
	c->ccmd = frame[OFF_CFG_VERCMD] & 0x0f;
	c->cslen = aoe_get16(frame + OFF_CFG_CSLEN);
	if (c->cslen > AOE_CFG_MAX || c->cslen > len - AOE_CFG_HDR_LEN)
		return AOE_ELENGTH;
	c->cs = frame + AOE_CFG_HDR_LEN;
	return 0;
}

int
aoe_cfg_encode(uint8_t *frame, size_t cap, const struct aoe_cfg *c)
{
	if (c->cslen > AOE_CFG_MAX || cap < AOE_CFG_HDR_LEN ||
	    c->cslen > cap - AOE_CFG_HDR_LEN)
		return AOE_ELENGTH;
	/* the string first: c->cs may point into this very frame */
	if (c->cslen > 0)
		memmove(frame + AOE_CFG_HDR_LEN, c->cs, c->cslen);
	aoe_put16(frame + OFF_CFG_BUFCNT, c->bufcnt);
	aoe_put16(frame + OFF_CFG_FWVER, c->fwver);
	frame[OFF_CFG_SCNT] = c->scnt;
	frame[OFF_CFG_VERCMD] = (uint8_t)((c->aoever & 0x0f) << 4 |
	    (c->ccmd & 0x0f));
	aoe_put16(frame + OFF_CFG_CSLEN, c->cslen);
	return AOE_CFG_HDR_LEN + c->cslen;
}

int
aoe_mask_decode(const uint8_t *frame, size_t len, struct aoe_mask *m)
{
	int	rc;

	if ((rc = aoe_check(frame, len, AOE_MASK_HDR_LEN, AOE_CMD_MASK)) != 0)
		return rc;
	m->mcmd = frame[OFF_MASK_MCMD];
	m->merror = frame[OFF_MASK_MERR];
	m->dcount = frame[OFF_MASK_DCNT];
	if ((size_t)m->dcount * AOE_MASK_DIR_LEN > len - AOE_MASK_HDR_LEN)
		return AOE_ELENGTH;
	m->dirs = frame + AOE_MASK_HDR_LEN;
	return 0;
}

/* An index past dcount yields an all-zero directive rather than a read
 * outside the frame. */
void
aoe_mask_dir_get(const struct aoe_mask *m, unsigned i, struct aoe_mask_dir *d)
{
	const uint8_t	*p;

	if (i >= m->dcount) {
		memset(d, 0, sizeof(*d));
		return;
	}
	p = m->dirs + (size_t)i * AOE_MASK_DIR_LEN;
	d->dcmd = p[1];
	memcpy(d->mac, p + 2, ETH_ALEN_AOE);
}

int
aoe_mask_encode(uint8_t *frame, size_t cap, uint8_t mcmd, uint8_t merror,
    uint8_t dcount, const uint8_t (*macs)[6], unsigned n)
{
	size_t		 need;
	unsigned	 i;
	uint8_t		*p;

	if (n > AOE_U8_MAX)
		return AOE_ELENGTH;
	need = AOE_MASK_HDR_LEN + (size_t)n * AOE_MASK_DIR_LEN;
	if (cap < need)
		return AOE_ELENGTH;
	/* back to front, in case macs lies in this frame's directive area */
	for (i = n; i-- > 0;) {
		p = frame + AOE_MASK_HDR_LEN + (size_t)i * AOE_MASK_DIR_LEN;
		memmove(p + 2, macs[i], ETH_ALEN_AOE);
		p[0] = 0;
		p[1] = AOE_DCMD_NONE;
	}
	frame[OFF_ARG] = 0;
	frame[OFF_MASK_MCMD] = mcmd;
	frame[OFF_MASK_MERR] = merror;
	frame[OFF_MASK_DCNT] = dcount;
	return (int)need;
}

int
aoe_rsv_decode(const uint8_t *frame, size_t len, struct aoe_rsv *r)
{
	int	rc;

	if ((rc = aoe_check(frame, len, AOE_RSV_HDR_LEN, AOE_CMD_RSV)) != 0)
		return rc;
	r->rcmd = frame[OFF_RSV_RCMD];
	r->nmacs = frame[OFF_RSV_NMACS];
	if ((size_t)r->nmacs * RSV_MAC_LEN > len - AOE_RSV_HDR_LEN)
		return AOE_ELENGTH;
	r->macs = frame + AOE_RSV_HDR_LEN;
	return 0;
}

int
aoe_rsv_encode(uint8_t *frame, size_t cap, uint8_t rcmd,
    const uint8_t (*macs)[6], unsigned n)
{
	size_t	need;

	if (n > AOE_U8_MAX)
		return AOE_ELENGTH;
	need = AOE_RSV_HDR_LEN + (size_t)n * RSV_MAC_LEN;
	if (cap < need)
		return AOE_ELENGTH;
	/* the list is contiguous, so one memmove copes with aliasing */
	if (n > 0)
		memmove(frame + AOE_RSV_HDR_LEN, macs, (size_t)n * RSV_MAC_LEN);
	frame[OFF_RSV_RCMD] = rcmd;
	frame[OFF_RSV_NMACS] = (uint8_t)n;
	return (int)need;
}

int
aoe_ext_decode(const uint8_t *frame, size_t len, struct aoe_ext *e)
{
	int	rc;

	if ((rc = aoe_check(frame, len, AOE_EXT_HDR_LEN, AOE_CMD_EXT)) != 0)
		return rc;
	e->len = aoe_get16(frame + OFF_EXT_LEN);
	if (e->len > len - AOE_EXT_HDR_LEN)
		return AOE_ELENGTH;
	e->words = frame + AOE_EXT_HDR_LEN;
	return 0;
}

int
aoe_ext_encode(uint8_t *frame, size_t cap, const uint8_t *words, uint16_t len)
{
	if (cap < AOE_EXT_HDR_LEN || len > cap - AOE_EXT_HDR_LEN)
		return AOE_ELENGTH;
	if (len > 0)
		memmove(frame + AOE_EXT_HDR_LEN, words, len);
	aoe_put16(frame + OFF_EXT_LEN, len);
	return AOE_EXT_HDR_LEN + len;
}

int
aoe_ext_next_word(const struct aoe_ext *e, size_t *pos, size_t *start)
{
	size_t	p = *pos;

	while (p < e->len && e->words[p] == '\0')
		p++;
	if (p >= e->len) {
		*pos = e->len;
		return -1;
	}
	*start = p;
	while (p < e->len && e->words[p] != '\0')
		p++;
	*pos = p;
	return (int)(p - *start);
}

/* A buffer smaller than 60 bytes is padded as far as it goes. */
size_t
aoe_pad(uint8_t *frame, size_t len, size_t cap)
{
	size_t	want = cap < AOE_MIN_FRAME ? cap : AOE_MIN_FRAME;

	if (len >= want)
		return len;
	memset(frame + len, 0, want - len);
	return want;
}

unsigned
aoe_mtu_sectors(unsigned mtu)
{
	unsigned	n;

	if (mtu < AOE_ATA_HDR_LEN)
		return 0;
	n = (mtu - AOE_ATA_HDR_LEN) / 512;
	return n > AOE_U8_MAX ? AOE_U8_MAX : n;
}

const char *
aoe_decode_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case AOE_ESHORT:
		return "short frame";
	case AOE_ETYPE:
		return "not AoE";
	case AOE_ECMD:
		return "wrong command";
	case AOE_ELENGTH:
		return "bad length";
	case AOE_EVALUE:
		return "bad value";
	default:
		return "unknown error";
	}
}

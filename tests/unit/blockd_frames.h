/*
 * Unit tests of blockd: request frames as an initiator sends them
 * (shared by test_blockd_aio.c, test_blockd_inline.c and test_blockd_ext.c).
 */
#ifndef AOEDE_TESTS_BLOCKD_FRAMES_H
#define AOEDE_TESTS_BLOCKD_FRAMES_H

#include <stdint.h>
#include <string.h>

#include "aoe.h"

/* The AoE header of a request from `src` to shelf 1, `slot`, in f. */
static inline void
t_aoe_hdr(uint8_t *f, const uint8_t src[6], uint8_t slot, uint8_t cmd, uint32_t tag)
{
	struct aoe_hdr	 h;

	memset(&h, 0, sizeof(h));
	memset(h.dst, 0xff, 6);
	memcpy(h.src, src, 6);
	h.type = AOE_ETHERTYPE;
	h.ver = AOE_VERSION;
	h.major = 1;
	h.minor = slot;
	h.cmd = cmd;
	h.tag = tag;
	aoe_hdr_encode(f, &h);
}

/*
 * An LBA48 ATA command from `src` to shelf 1, `slot`, in f (cap bytes, the
 * rest filled with 0x5a); a write carries scnt sectors of `fill`.  Returns
 * the frame's length.
 */
static inline size_t
t_ata_frame(uint8_t *f, size_t cap, const uint8_t src[6], uint8_t slot,
    uint32_t tag, uint8_t cmd, uint8_t scnt, uint64_t lba, uint8_t fill)
{
	struct aoe_ata	 a;
	size_t		 datalen = 0;

	memset(f, 0x5a, cap);
	t_aoe_hdr(f, src, slot, AOE_CMD_ATA, tag);
	memset(&a, 0, sizeof(a));
	a.aflags = AOE_AFLAG_EXT | (cmd == ATA_CMD_WRITE_EXT ? AOE_AFLAG_WRITE : 0);
	a.scnt = scnt;
	a.cmd_status = cmd;
	a.lba = lba;
	aoe_ata_encode(f, &a);
	if (cmd == ATA_CMD_WRITE_EXT) {
		datalen = (size_t)scnt * 512;
		memset(f + AOE_ATA_HDR_LEN, fill, datalen);
	}
	return AOE_ATA_HDR_LEN + datalen;
}

#endif

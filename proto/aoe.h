/*
 * AoE r11 wire format: decode and encode of the common header and of every
 * command's argument block, as pure functions over a byte buffer.
 *
 * Offsets are from the start of the Ethernet frame (the 14-byte Ethernet
 * header is part of every AoE header here, as in vblade's dat.h).  Decoders
 * never read past `len`; a short or inconsistent frame is a negative
 * AOE_E* value.  Decoded structs point into the caller's buffer (no copies).
 */
#ifndef AOEDE_PROTO_AOE_H
#define AOEDE_PROTO_AOE_H

#include <stddef.h>
#include <stdint.h>

#define AOE_ETHERTYPE		0x88A2
#define AOE_VERSION		1
#define ETH_ALEN_AOE		6

#define AOE_ETH_HDR_LEN		14	/* destination, source, EtherType */
#define AOE_HDR_LEN		24	/* Ethernet 14 + AoE common 10 */
#define AOE_ATA_HDR_LEN		36	/* + ATA arg 12 */
#define AOE_CFG_HDR_LEN		32	/* + config arg 8 */
#define AOE_MASK_HDR_LEN	28	/* + mask arg 4 */
#define AOE_RSV_HDR_LEN		26	/* + reserve arg 2 */
#define AOE_EXT_HDR_LEN		26	/* + extension arg: u16 length */
#define AOE_MIN_FRAME		60	/* Ethernet minimum without FCS */

#define AOE_MAJOR_ANY		0xFFFF
#define AOE_MINOR_ANY		0xFF

/* header byte 14: version in the high nibble, flags in the low one */
#define AOE_FLAG_RESP		0x08
#define AOE_FLAG_ERR		0x04

enum aoe_cmd {
	AOE_CMD_ATA	= 0,
	AOE_CMD_CFG	= 1,
	AOE_CMD_MASK	= 2,
	AOE_CMD_RSV	= 3,
	AOE_CMD_EXT	= 0x23,	/* the 2014 AoEde's extension command */
};

/* AoE error codes (header byte 15, valid when AOE_FLAG_ERR is set) */
enum aoe_error {
	AOE_ERR_BADCMD	= 1,
	AOE_ERR_BADARG	= 2,
	AOE_ERR_DEVUNAVAIL = 3,
	AOE_ERR_CFGSET	= 4,
	AOE_ERR_BADVER	= 5,
	AOE_ERR_RESERVED = 6,
};

/* decoder results: 0 ok, or one of these */
enum aoe_decode_error {
	AOE_ESHORT	= -1,	/* frame shorter than the fixed part */
	AOE_ETYPE	= -2,	/* not EtherType 0x88A2 */
	AOE_ECMD	= -3,	/* the frame does not carry the command asked for */
	AOE_ELENGTH	= -4,	/* a count or length field exceeds the frame */
	AOE_EVALUE	= -5,	/* a field holds a value r11 does not allow */
};

/* ATA argument AFlags */
#define AOE_AFLAG_EXT		0x40	/* LBA48 */
#define AOE_AFLAG_DEV		0x10
#define AOE_AFLAG_ASYNC		0x02
#define AOE_AFLAG_WRITE		0x01

/* ATA registers */
#define ATA_CMD_READ		0x20
#define ATA_CMD_READ_EXT	0x24
#define ATA_CMD_WRITE		0x30
#define ATA_CMD_WRITE_EXT	0x34
#define ATA_CMD_SMART		0xB0
#define ATA_CMD_CHECK_POWER	0xE5
#define ATA_CMD_FLUSH		0xE7
#define ATA_CMD_FLUSH_EXT	0xEA
#define ATA_CMD_IDENTIFY	0xEC

#define ATA_STAT_ERR		0x01
#define ATA_STAT_DRQ		0x08
#define ATA_STAT_DF		0x20
#define ATA_STAT_DRDY		0x40
#define ATA_STAT_BSY		0x80
#define ATA_ERR_ABRT		0x04
#define ATA_ERR_IDNF		0x10
#define ATA_ERR_UNC		0x40

/* Query Config CCmd */
enum aoe_ccmd {
	AOE_CCMD_READ	= 0,
	AOE_CCMD_TEST	= 1,
	AOE_CCMD_PREFIX	= 2,
	AOE_CCMD_SET	= 3,
	AOE_CCMD_FSET	= 4,
};
#define AOE_CFG_MAX		1024	/* longest config string */

/* MAC Mask List */
enum aoe_mcmd { AOE_MCMD_READ = 0, AOE_MCMD_EDIT = 1 };
enum aoe_merror { AOE_MERR_OK = 0, AOE_MERR_UNSPEC = 1, AOE_MERR_BADDIR = 2, AOE_MERR_FULL = 3 };
enum aoe_dcmd { AOE_DCMD_NONE = 0, AOE_DCMD_ADD = 1, AOE_DCMD_DEL = 2 };
#define AOE_MASK_DIR_LEN	8

/* Reserve/Release */
enum aoe_rcmd { AOE_RCMD_READ = 0, AOE_RCMD_SET = 1, AOE_RCMD_FSET = 2 };

struct aoe_hdr {
	uint8_t		dst[6];
	uint8_t		src[6];
	uint16_t	type;		/* host order */
	uint8_t		ver;		/* high nibble of byte 14 */
	uint8_t		flags;		/* low nibble of byte 14 */
	uint8_t		error;
	uint16_t	major;
	uint8_t		minor;
	uint8_t		cmd;
	uint32_t	tag;		/* host order; echoed untouched */
};

struct aoe_ata {
	uint8_t		aflags;
	uint8_t		err_feature;
	uint8_t		scnt;
	uint8_t		cmd_status;
	uint64_t	lba;		/* the six LBA bytes as sent, lba0 least significant */
	const uint8_t	*data;		/* bytes after the 36-byte header */
	size_t		datalen;
};

struct aoe_cfg {
	uint16_t	bufcnt;
	uint16_t	fwver;
	uint8_t		scnt;
	uint8_t		aoever;		/* high nibble of byte 29 */
	uint8_t		ccmd;		/* low nibble of byte 29 */
	uint16_t	cslen;
	const uint8_t	*cs;		/* cslen bytes, inside the frame */
};

struct aoe_mask {
	uint8_t		mcmd;
	uint8_t		merror;
	uint8_t		dcount;
	const uint8_t	*dirs;		/* dcount directives of 8 bytes, inside the frame */
};

struct aoe_mask_dir {
	uint8_t		dcmd;
	uint8_t		mac[6];
};

struct aoe_rsv {
	uint8_t		rcmd;
	uint8_t		nmacs;
	const uint8_t	*macs;		/* nmacs × 6 bytes, inside the frame */
};

struct aoe_ext {
	uint16_t	len;
	const uint8_t	*words;		/* len bytes of NUL-separated words */
};

/* Decode the common header; checks length and EtherType only. */
int	aoe_hdr_decode(const uint8_t *frame, size_t len, struct aoe_hdr *h);
/* Encode the common header into frame[0..24). */
void	aoe_hdr_encode(uint8_t *frame, const struct aoe_hdr *h);
/* Turn a request header in place into the response header: dst = old src,
 * src = `mac`, R set, E and error as given (error 0 clears E), major/minor as
 * given (a response always carries the export's real address). */
void	aoe_hdr_make_response(uint8_t *frame, const uint8_t mac[6],
	    uint16_t major, uint8_t minor, uint8_t error);

/* ATA argument: needs ≥ 36 bytes; data/datalen describe the rest of the frame. */
int	aoe_ata_decode(const uint8_t *frame, size_t len, struct aoe_ata *a);
/* Writes bytes 24..35 (data is not touched). */
void	aoe_ata_encode(uint8_t *frame, const struct aoe_ata *a);
/* The LBA an ATA command addresses: 48 bits for EXT commands, LBA28 with the
 * top nibble of lba3 masked otherwise (PROTOCOL.md §1.3). */
uint64_t aoe_ata_lba(const struct aoe_ata *a);

/* Query Config: needs ≥ 32 bytes and cslen ≤ bytes present and ≤ 1024. */
int	aoe_cfg_decode(const uint8_t *frame, size_t len, struct aoe_cfg *c);
/* Writes bytes 24..31 and the string (copied from c->cs, may alias the frame).
 * Returns the frame length 32 + cslen, or AOE_ELENGTH if it does not fit `cap`. */
int	aoe_cfg_encode(uint8_t *frame, size_t cap, const struct aoe_cfg *c);

/* MAC Mask List: needs ≥ 28 bytes and dcount × 8 bytes present. */
int	aoe_mask_decode(const uint8_t *frame, size_t len, struct aoe_mask *m);
void	aoe_mask_dir_get(const struct aoe_mask *m, unsigned i, struct aoe_mask_dir *d);
/* Writes the mask arg and `n` directives (DCmd 0) for `macs`; returns the
 * frame length or AOE_ELENGTH. */
int	aoe_mask_encode(uint8_t *frame, size_t cap, uint8_t mcmd, uint8_t merror,
	    uint8_t dcount, const uint8_t (*macs)[6], unsigned n);

/* Reserve/Release: needs ≥ 26 bytes and nmacs × 6 bytes present. */
int	aoe_rsv_decode(const uint8_t *frame, size_t len, struct aoe_rsv *r);
int	aoe_rsv_encode(uint8_t *frame, size_t cap, uint8_t rcmd,
	    const uint8_t (*macs)[6], unsigned n);

/* 0x23 extension: needs ≥ 26 bytes and len bytes present. */
int	aoe_ext_decode(const uint8_t *frame, size_t len, struct aoe_ext *e);
int	aoe_ext_encode(uint8_t *frame, size_t cap, const uint8_t *words, uint16_t len);
/* Iterate the NUL-separated words: *pos starts at 0; returns the next word's
 * length (≥ 1, not NUL-terminated, at e->words + *start) or -1 when done.
 * Empty words are skipped. */
int	aoe_ext_next_word(const struct aoe_ext *e, size_t *pos, size_t *start);

/* Zero-pad a frame to the 60-byte Ethernet minimum; returns the new length. */
size_t	aoe_pad(uint8_t *frame, size_t len, size_t cap);

/* Sectors per ATA command a NIC of this MTU carries: (MTU − 36) / 512, capped at 255. */
unsigned aoe_mtu_sectors(unsigned mtu);

/* A short name of a decode error, for counters and logs. */
const char *aoe_decode_strerror(int err);

#endif

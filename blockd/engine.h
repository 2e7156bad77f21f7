/*
 * blockd's command engine: executes one AoE request held in its ring buffer
 * and builds the reply in the same buffer (DESIGN.md §2, §6).
 *
 * The engine owns no sockets and no rings: blockd's loop hands it frames and
 * sends what it returns.  It trusts nothing in the frame: every length, LBA
 * and count is checked against the frame and the export.
 */
#ifndef AOEDE_BLOCKD_ENGINE_H
#define AOEDE_BLOCKD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aoe.h"

#define ENGINE_FW_VERSION	0x0001	/* Query Config Firmware Version */
#define EXPORT_MAX_MASKS	32	/* as vblade */
#define EXPORT_MAX_RESERVE	256	/* as vblade */
#define EXPORT_MAX_NICS		64

/* export flags */
#define EXPORT_RDONLY		0x01	/* writes fail with ATA ABRT */
#define EXPORT_DIRECT		0x02	/* the image fd is O_DIRECT */
#define EXPORT_KERNEL		0x04	/* durability "kernel": acknowledge once
					 * pwrite returned; default ("sync")
					 * acknowledges after fdatasync */

struct export_stats {
	uint64_t	reads, writes;		/* ATA commands */
	uint64_t	read_bytes, write_bytes;
	uint64_t	flushes;		/* FLUSH CACHE (EXT) commands */
	uint64_t	fsyncs;			/* fdatasync calls made */
	uint64_t	identifies;
	uint64_t	cfg_queries;
	uint64_t	err_range;		/* IDNF: LBA out of range */
	uint64_t	err_rdonly;		/* write to a read-only export */
	uint64_t	err_io;			/* EIO/ENOSPC/short I/O, sync failures */
	uint64_t	err_badarg;		/* AoE error 2 answers */
	uint64_t	err_unsupported;	/* ABRT for an unknown ATA command */
	uint64_t	err_reserved;		/* AoE error 6 answers */
	uint64_t	dropped_mask;		/* frames from a MAC not on the mask list */
};

struct export {
	char		 name[16];	/* "e1.0" */
	uint16_t	 shelf;
	uint8_t		 slot;
	int		 fd;		/* the image */
	uint64_t	 offset;	/* bytes into fd where sector 0 lies */
	uint64_t	 sectors;	/* size in 512-byte sectors */
	unsigned	 flags;		/* EXPORT_* */
	uint64_t	 nic_mask;	/* bit n: served on NIC n */
	uint16_t	 bufcnt;	/* advertised Buffer Count (≥ 2) */
	char		 serial[21];	/* IDENTIFY words 10–19 */
	char		 model[41];	/* IDENTIFY words 27–46 */

	/* AoE protocol state */
	uint8_t		 config[AOE_CFG_MAX];
	uint16_t	 config_len;
	uint8_t		 masks[EXPORT_MAX_MASKS][6];
	unsigned	 nmasks;
	uint8_t		 reserve[EXPORT_MAX_RESERVE][6];
	unsigned	 nreserve;

	/* group commit: writes since the last fdatasync */
	bool		 sync_pending;

	struct export_stats st;
};

/* What the engine knows of the NIC a request came in on. */
struct nic_view {
	unsigned	 index;		/* NIC number, for export->nic_mask */
	uint32_t	 mtu;
	uint8_t		 mac[6];
	unsigned	 max_sectors;	/* min((mtu − 36)/512, buffer capacity/512, 255) */
};

struct engine {
	struct export	*exports;
	unsigned	 nexports;
};

/*
 * Execute the request frame[0..len), in a buffer of `cap` bytes, and build
 * the reply in place.  Returns the reply length (padded to ≥ 60), or 0 when
 * nothing is to be sent (a response frame, a mask-list miss, a config
 * test/prefix that does not match, a frame for no export of this NIC).
 *
 * *sync_export is set to NULL, or — for a write on a "sync" export — to the
 * export whose export_sync() must succeed before the reply may go out
 * (group commit: the caller runs a batch, syncs each such export once, then
 * sends; on failure it calls engine_fail_write() on those replies).
 */
size_t	engine_handle(struct engine *e, const struct nic_view *nic,
	    uint8_t *frame, size_t len, size_t cap, struct export **sync_export);

/* fdatasync the export if writes are pending; 0 or -errno.  Counts fsyncs. */
int	export_sync(struct export *x);

/* Turn a built write reply into an ATA error (status 0x41, error ABRT) after
 * its group commit failed; counts err_io. */
void	engine_fail_write(struct export *x, uint8_t *frame);

/* Build an unsolicited Query Config response for export (major, minor) to
 * the broadcast MAC, from `nic`, in frame (cap bytes).  Returns the length,
 * or 0 if no such export is served on that NIC. */
size_t	engine_announce(struct engine *e, const struct nic_view *nic,
	    uint16_t major, uint8_t minor, uint8_t *frame, size_t cap);

/* The export answering (major, minor) on NIC nic_index, 0xFFFF/0xFF being
 * wildcards (first match); NULL if none. */
struct export *engine_find(struct engine *e, unsigned nic_index,
	    uint16_t major, uint8_t minor);

/* Fill `id` (512 bytes) with the IDENTIFY DEVICE data of an export. */
void	engine_identify(const struct export *x, uint8_t id[512]);

#endif

/*
 * The command engine's private interface: what engine.c (dispatch, export
 * lookup, group commit), ata.c (ATA commands) and aoecmd.c (Query Config,
 * MAC Mask List, Reserve/Release) share.  Nothing outside blockd/engine*.c,
 * ata.c and aoecmd.c should include it.
 */
#ifndef AOEDE_BLOCKD_ENGINE_INT_H
#define AOEDE_BLOCKD_ENGINE_INT_H

#include "engine.h"

#define ENGINE_MAC_STRLEN	18	/* "aa:bb:cc:dd:ee:ff" + NUL */

/*
 * Finish a reply of `len` bytes (the argument already built in frame):
 * response header with the export's address and `error` (0: none), padded
 * to 60 bytes.  Returns the length to send, or 0 if it does not fit cap.
 */
size_t	engine_reply(struct engine_req *r, size_t len, uint8_t error);

/* An AoE error reply echoing the first `hdrlen` bytes of the request (the
 * fixed header of its command); counts err_badarg/err_reserved. */
size_t	engine_reply_error(struct engine_req *r, size_t hdrlen,
	    uint8_t error);

/* Count an AoE error answer in the export's stats (errors 2 and 6). */
void	engine_count_error(struct export *x, uint8_t error);

/* Is `mac` one of the n entries of `list`? */
int	engine_mac_in(const uint8_t (*list)[6], unsigned n,
	    const uint8_t mac[6]);
/* "aa:bb:cc:dd:ee:ff" */
void	engine_mac_str(const uint8_t mac[6], char buf[ENGINE_MAC_STRLEN]);

/*
 * engine_handle() for a known export: everything but the lookup (header
 * checks and the mask list included).  Exposed so that a caller that wants
 * every export to answer a broadcast query can run the frame once per
 * export (copying it first: the reply overwrites it).
 */
size_t	engine_handle_export(struct export *x, const struct nic_view *nic,
	    uint8_t *frame, size_t len, size_t cap,
	    struct export **sync_export);

/* fdatasync unconditionally (FLUSH CACHE is a barrier even when no write is
 * pending: in "kernel" mode writes sit in the page cache); 0 or -errno. */
int	export_flush(struct export *x);

/* ata.c: command 0 */
size_t	ata_handle(struct engine_req *r);
/* ata.c: the read or write of io finished with `res` (bytes or -errno):
 * the reply length, or ENGINE_PENDING (more I/O, or waiting for an fsync) */
size_t	ata_io_done(struct engine *e, struct engine_io *io, int res);
/* ata.c: the fsync covering io (a write or a flush) finished with res */
size_t	ata_io_synced(struct engine_io *io, int res);

/* aio.c: queue io's read/write (io->off + io->done, the rest of io->n) or
 * its cache fill; 0 or -errno */
int	aio_queue_rw(struct engine *e, struct engine_io *io);
/* aio.c: a read or write arrived (its io initialized): number it and hold
 * it back (true) while a write that arrived before it and overlaps it is in
 * flight or held back; ata_io_start() runs it once none does */
bool	aio_arrive(struct engine_io *io);
/* aio.c: a write is in flight / a flush waits for its barrier */
void	aio_write_started(struct engine_io *io);
void	aio_flush_wait(struct engine_io *io);
/* ata.c: start the read or write of io, which was held back: the reply
 * length (a cache hit, a synchronous fallback) or ENGINE_PENDING */
size_t	ata_io_start(struct engine *e, struct engine_io *io);
/* aio.c: a request that was ENGINE_PENDING is done */
void	aio_finish(struct engine *e, struct engine_io *io, size_t len);
/* aio.c: start what of x's held-back requests no longer waits (a write of
 * x left `inflight`) */
void	aio_release(struct engine *e, struct export *x);

/* ATA error register: interface CRC error (with ABRT: a crc8x4 write whose
 * CRC does not match; the initiator retries) */
#define ATA_ERR_ICRC		0x80

/* ext.c: the 0x23 extension command */
size_t	ext_cmd(struct engine_req *r);
/* ext.c: what the sender of r negotiated (EXT_*), 0 if nothing */
uint8_t	ext_peer_flags(struct export *x, const uint8_t mac[6]);
/* ext.c: sectors per ATA command for this request's sender: the NIC's
 * limit, less when 4 CRC bytes must still fit the buffer */
unsigned ext_max_sectors(const struct engine_req *r);
/* ext.c: a config-string set by `mac` resets its extensions */
void	ext_reset_mac(struct export *x, const uint8_t mac[6]);
/* ext.c: a crc8x4 write: does its CRC match?  Counts and logs a mismatch. */
bool	ext_write_crc_ok(struct engine_req *r, const struct aoe_ata *a);
/* ext.c: a read reply of n data bytes is built: append the CRC if the
 * sender negotiated crc8x4; returns the data length to send */
size_t	ext_read_crc(struct engine_req *r, size_t n);

enum ext_verdict {
	EXT_RUN = 0,		/* a new write: run it (r->seen set) */
	EXT_DUP_RUNNING,	/* a duplicate of a write still running: drop */
	EXT_DUP_DONE,		/* a duplicate of a finished write: *done holds
				 * the reply registers to send again */
	EXT_STALE,		/* tag_inc_*: older than a write applied */
};
/* ext.c: a write arrived (its CRC checked): look it up in the window */
enum ext_verdict ext_write_arrive(struct engine_req *r,
	    struct ext_seen *done);
/* ext.c: the reply of the write r->seen is built with these registers */
void	ext_write_done(struct engine_req *r, uint8_t status, uint8_t error,
	    uint8_t scnt);
/* ext.c: a built write reply (frame) was turned into a failure */
void	ext_write_failed(struct export *x, const uint8_t *frame);
/* tests: a fixed monotonic clock in ns (0: the real one) */
extern uint64_t ext_clock_fixed;

/* aoecmd.c: commands 1, 2 and 3 */
size_t	aoecmd_cfg(struct engine_req *r);
size_t	aoecmd_mask(struct engine_req *r);
size_t	aoecmd_rsv(struct engine_req *r);

#endif

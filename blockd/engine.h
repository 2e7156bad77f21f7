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

#include <sys/queue.h>
#include <sys/uio.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aoe.h"
#include "cache.h"
#include "shadow.h"

#define ENGINE_FW_VERSION	0x0001	/* Query Config Firmware Version */
#define EXPORT_MAX_MASKS	32	/* as vblade */
#define EXPORT_MAX_RESERVE	256	/* as vblade */
#define EXPORT_MAX_NICS		64

/* how an export's reads and writes may be done inline, at once, rather than
 * through io_uring (engine_inline_setup()) */
#define ENGINE_INLINE_MAX	64	/* frames gathered into one preadv2/pwritev2 */
#define EXPORT_INLINE_NONE	0	/* always the ring */
#define EXPORT_INLINE_NOWAIT	1	/* RWF_NOWAIT first: a page-cache hit */
#define EXPORT_INLINE_MEMORY	2	/* tmpfs: memory, never a device */

/* export flags */
#define EXPORT_RDONLY		0x01	/* writes fail with ATA ABRT */
#define EXPORT_DIRECT		0x02	/* the image fd is O_DIRECT */
#define EXPORT_KERNEL		0x04	/* durability "kernel": acknowledge once
					 * pwrite returned; default ("sync")
					 * acknowledges after fdatasync */
#define EXPORT_NOURING		0x08	/* synchronous I/O even when io_uring
					 * works (AOEDE_NO_URING; tests) */
/* LAN-side edits switched off (aoede.conf(5) lan-*): the command is refused
 * and changes nothing (aoecmd.c) */
#define EXPORT_NO_MASK_EDIT	0x10	/* MAC Mask List edit: MError 1 */
#define EXPORT_NO_FORCE_RESERVE	0x20	/* forced reserve acts as a plain set */
#define EXPORT_NO_FORCE_CONFIG	0x40	/* forced config set acts as a plain set */

/* engine_handle() result: the request's I/O is in flight (io_uring); its
 * reply comes later through engine->done. */
#define ENGINE_PENDING		((size_t)-1)
/* group commit: at most this many completed writes wait for an fsync
 * while more writes of the export are still in flight */
#define ENGINE_COMMIT_MAX	64

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
	uint64_t	cache_hits, cache_misses;	/* reads served from / past the cache */
	uint64_t	held;			/* reads, writes held back behind an
						 * overlapping earlier write */
	/* extensions (ext.c, docs/extensions.md) */
	uint64_t	ext_commands;		/* 0x23 commands answered */
	uint64_t	crc_errors;		/* crc8x4 writes refused: bad CRC */
	uint64_t	duplicates;		/* exact duplicate writes not run again */
	uint64_t	stale_frames;		/* tag_inc_*: writes older than one applied */
};

/*
 * The extensions of the 2014 AoEde (0x23, ext.c): per initiator MAC and
 * export, a bounded table of peers.  Each peer keeps what it negotiated and a
 * window of the writes it sent recently, so that an exact duplicate (same
 * MAC, tag and 12-byte ATA argument) is answered without being written again.
 */
#define EXT_PEERS_MAX		8	/* initiators tracked per export */
#define EXT_WINDOW		128	/* writes remembered per initiator */
#define EXT_WINDOW_NS		(UINT64_C(10) * 1000000000)	/* and for how long */

#define EXT_CRC8X4		0x01	/* flags: "crc8x4" negotiated */
#define EXT_COALESCED_READ	0x02	/* "coalesced_read": accepted, ignored */

enum ext_tags { EXT_TAGS_ANY = 0, EXT_TAGS_INC_LE, EXT_TAGS_INC_BE,
	EXT_TAGS_RANDOM };

enum ext_seen_state { EXT_SEEN_FREE = 0, EXT_SEEN_RUNNING, EXT_SEEN_DONE };

/* One write in a peer's window. */
struct ext_seen {
	uint64_t	 t_ns;		/* arrival */
	uint64_t	 gen;		/* unique per export: engine_req.seen_gen */
	uint32_t	 tag;
	uint8_t		 arg[12];	/* the request's ATA argument, as sent */
	uint8_t		 state;		/* enum ext_seen_state */
	uint8_t		 status, error, scnt;	/* the reply, once DONE */
};

struct ext_peer {
	uint8_t		 mac[6];
	bool		 used;
	uint8_t		 flags;		/* EXT_* */
	uint8_t		 tags;		/* enum ext_tags */
	uint32_t	 congestion;	/* last "congestion N": recorded only */
	uint64_t	 last_use;	/* LRU stamp */
	bool		 have_wtag;
	uint32_t	 max_wtag;	/* tag_inc_*: newest write tag applied */
	unsigned	 next;		/* next window slot (FIFO) */
	struct ext_seen	 seen[EXT_WINDOW];
};

struct export_ext {
	struct ext_peer	 peers[EXT_PEERS_MAX];
	uint64_t	 stamp;		/* LRU clock */
	uint64_t	 gen;
};

struct engine_io;
TAILQ_HEAD(engine_ioq, engine_io);

/* user_data of an io_uring operation points at one of these first members */
enum engine_ud { ENGINE_UD_REQ = 1, ENGINE_UD_FSYNC };

struct export;

/* the user_data of an export's fsync */
struct engine_fsync {
	uint8_t		 ud;		/* ENGINE_UD_FSYNC */
	struct export	*x;
};

/*
 * An export's io_uring ordering, group commit (sync mode) and FLUSH barriers.
 * Writes are numbered in arrival order (seq); a read or a FLUSH takes the
 * number the next write will get.  A read or write that overlaps a write
 * which arrived before it and is in flight or held back waits in `blocked`
 * (arrival order) until none does.
 */
struct export_aio {
	struct engine_ioq inflight;	/* writes submitted, not completed, by seq */
	struct engine_ioq blocked;	/* reads, writes held back, by arrival */
	struct engine_ioq waiting;	/* completed writes, flushes: need an fsync */
	struct engine_ioq covered;	/* what the fsync in flight answers */
	unsigned	 nwait_writes;
	uint64_t	 next_seq;	/* the number of the next write */
	bool		 fsync_busy;
	struct engine_fsync fsync_op;
};

struct export {
	char		 name[16];	/* "e1.0" */
	uint16_t	 shelf;
	uint8_t		 slot;
	int		 fd;		/* the image */
	uint64_t	 offset;	/* bytes into fd where sector 0 lies */
	uint64_t	 sectors;	/* size in 512-byte sectors */
	unsigned	 flags;		/* EXPORT_* */
	unsigned	 lbsize;	/* logical block size of the image (O_DIRECT) */
	uint64_t	 cache_bytes;	/* requested cache size, 0 = off */
	struct cache	*cache;		/* NULL: no cache */
	int		 fixed;		/* io_uring registered-file index */
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
	bool		 state_dirty;	/* changed over the LAN, not yet saved */

	/* group commit: writes since the last fdatasync */
	bool		 sync_pending;
	struct export_aio aio;
	/* inline I/O (ata.c, engine_inline_setup()): EXPORT_INLINE_* for
	 * reads and writes */
	uint8_t		 inline_rd, inline_wr;
	/* a memory-backed image, mapped (memio.h): NULL, or map_len bytes
	 * of the file from its start */
	uint8_t		*map;
	size_t		 map_len;
	bool		 map_writable;

	struct export_ext ext;

	/* freeze: while frozen or merging, I/O is synchronous (shadow.h) */
	struct shadow	 shadow;

	struct export_stats st;
};

/* What the engine knows of the NIC a request came in on. */
struct nic_view {
	unsigned	 index;		/* NIC number, for export->nic_mask */
	uint32_t	 mtu;
	uint8_t		 mac[6];
	unsigned	 max_sectors;	/* min((mtu − 36)/512, buffer capacity/512, 255) */
};

/* What engine_req keeps of a request across its asynchronous I/O. */
struct engine_req {
	const struct nic_view	*nic;
	struct export		*x;
	struct aoe_hdr		 hdr;		/* the request's header */
	uint8_t			*frame;
	size_t			 len;		/* request length */
	size_t			 cap;		/* buffer capacity */
	struct export		**sync_export;	/* never NULL */
	struct engine_io	*io;		/* NULL: synchronous I/O */
	uint8_t			 ext_flags;	/* the sender's EXT_* at arrival */
	struct ext_seen		*seen;		/* a write in the window, or NULL */
	uint64_t		 seen_gen;	/* seen->gen when it was taken */
};

enum engine_io_op { ENGINE_IO_READ = 1, ENGINE_IO_WRITE, ENGINE_IO_FLUSH };

/*
 * One request whose I/O goes through io_uring.  The caller owns an array of
 * these (one per ring buffer: a buffer carries one request at a time) and
 * fills in owner/buf/gen; the engine fills in the rest.
 */
struct engine_io {
	uint8_t			 ud;		/* ENGINE_UD_REQ */
	uint8_t			 op;		/* ENGINE_IO_* */
	struct engine		*e;
	struct engine_req	 r;
	struct export		*sync_dummy;
	struct aoe_ata		 a;
	uint64_t		 lba, off;	/* first sector; its byte offset in the fd */
	size_t			 n, done;	/* bytes, bytes transferred so far */
	uint64_t		 seq;		/* write: its number; read, flush:
						 * the next write's at arrival */
	/* a cache fill: the read goes to cache blocks, then to the reply */
	struct iovec		 iov[CACHE_FILL_MAX];
	struct iovec		 qiov[CACHE_FILL_MAX];	/* what is left of iov */
	int32_t			 slots[CACHE_FILL_MAX];
	unsigned		 nfill;
	uint64_t		 fill_first;
	TAILQ_ENTRY(engine_io)	 link;		/* in one export_aio queue */
	/* the caller's */
	void			*owner;
	uint32_t		 buf, gen;
	uint64_t		 t0;
};

struct io_uring;

struct engine {
	struct export	*exports;
	unsigned	 nexports;
	/* asynchronous I/O (aio.c); ring NULL: everything synchronous */
	struct io_uring	*ring;
	unsigned	 pending;	/* requests answered ENGINE_PENDING, not done */
	unsigned	 fsyncs_busy;
	/* a request that was ENGINE_PENDING is done: send `len` bytes (0:
	 * nothing) from its buffer */
	void		(*done)(void *arg, struct engine_io *io, size_t len);
	void		*done_arg;
	/* inline reads, or inline writes, of consecutive byte ranges of one
	 * export, gathered to be done with one preadv2 or pwritev2 (ata.c,
	 * engine_inline_flush()) */
	struct {
		struct export	*x;
		uint8_t		 op;		/* ENGINE_IO_READ or _WRITE */
		uint64_t	 off, end;	/* the file range they cover */
		unsigned	 n;
		struct engine_io *io[ENGINE_INLINE_MAX];
		struct iovec	 iov[ENGINE_INLINE_MAX];
	}		 gather;
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

/* engine_handle() that may do its I/O through io_uring: with e->ring set and
 * an export without EXPORT_NOURING, a read, write or flush may return
 * ENGINE_PENDING; its reply then comes through e->done (io must stay put). */
size_t	engine_handle_io(struct engine *e, const struct nic_view *nic,
	    uint8_t *frame, size_t len, size_t cap, struct export **sync_export,
	    struct engine_io *io);

/*
 * aio.c: io_uring set-up.  The ring is created disabled, the exports' fds
 * are registered as its only files, the ring is restricted to READ, WRITE,
 * READV, WRITEV and FSYNC on those registered files only, then enabled:
 * seccomp cannot see io_uring operations, so this is their allowlist.  With
 * efd ≥ 0 every completion also signals that eventfd.  0 or -errno (the
 * caller then keeps the synchronous path).
 */
int	engine_aio_setup(struct engine *e, unsigned entries, int efd);
void	engine_aio_teardown(struct engine *e);
/* An export's empty aio queues and its fsync's user_data; `fixed` is its
 * registered-file index (-1: not registered: an export a reload added). */
void	engine_aio_export_init(struct export *x, int fixed);
/*
 * Inline I/O (ata.c): let the export's reads and writes be done at once when
 * that cannot wait for a device, instead of through the ring — which saves
 * a page-cache hit the ring's round trip (io_uring_enter, the completion
 * eventfd, another turn of the event loop; on tmpfs also the hop to an
 * io_uring worker thread).  On a file system that supports RWF_NOWAIT a
 * read or write is first tried with it and goes to the ring if it would
 * wait; on tmpfs (which does not support it, so the ring hands everything
 * to a worker thread) it is done with a plain preadv2/pwritev2: the data is
 * in memory.  Never with O_DIRECT.  A "sync" write done inline still waits
 * for its group commit (an fsync through the ring): whoever runs
 * engine_handle_io() calls engine_aio_commit() before engine_aio_submit().
 * Call after engine_aio_setup() succeeded; without it everything goes to
 * the ring.
 */
void	engine_inline_setup(struct export *x);
/* Do the inline reads or writes gathered since the last call (consecutive
 * ranges of one export: one preadv2 or pwritev2 for all of them) and finish
 * each through e->done (a "sync" write joins the group commit); what they
 * could not transfer goes to the ring (or is done synchronously).
 * engine_aio_commit() and engine_aio_submit() call it first, so whoever
 * runs engine_handle_io() does not need to. */
void	engine_inline_flush(struct engine *e);

/* Submit what is queued (gathered inline I/O done first); 0 or -errno. */
int	engine_aio_submit(struct engine *e);
/* Handle every completion there is, start the fsyncs group commit needs,
 * submit; returns the number of completions handled. */
unsigned engine_aio_reap(struct engine *e);
/* Block until every pending request is done (stop). */
void	engine_aio_drain(struct engine *e);
/* One completion: `ud` is the CQE's user_data, `res` its result (tests
 * call this with injected results). */
void	engine_aio_complete(struct engine *e, void *ud, int res);
/* Start an fsync for every export whose waiting writes/flushes need one. */
void	engine_aio_commit(struct engine *e);
/* Drop the requests of `owner` (engine_io.owner) still held back behind an
 * overlapping write: never submitted, each finishes through e->done with
 * length 0 (no reply).  What they held back may start; it is submitted.
 * Returns how many were dropped.  Requests already submitted are not
 * touched: they finish as usual. */
unsigned engine_aio_drop(struct engine *e, const void *owner);

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

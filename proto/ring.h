/*
 * The shared-memory data path between one netd and blockd (DESIGN.md §2).
 *
 * One region per NIC, in a memfd created and sealed by the supervisor:
 *
 *   [ header | rx ring | tx ring | buffer pool ]
 *
 * - buffer pool: nbufs buffers of buf_size bytes each.  A frame is stored at
 *   RING_FRAME_OFF inside its buffer, so that the ATA data after the 36-byte
 *   AoE header starts 512 bytes into a page: aligned for O_DIRECT (blockd
 *   drops O_DIRECT for disks with larger sectors) and for the page cache's
 *   copies, and not page aligned on purpose.  When netd sends a frame longer
 *   than a page, the kernel copies its first 14 bytes into the skb's head and
 *   the rest into a fresh page, at offset 0; with page-aligned ATA data the
 *   source of that copy starts 22 bytes before a page boundary, and on AMD
 *   Zen processors a `rep movsb` whose destination is 1-31 bytes past its
 *   source modulo 4096 runs ~20 times slower (2 us instead of 0.1 for 4 KiB:
 *   a third of a 4 KiB read's CPU).  Here the distance is 3606.
 * - rx ring (netd → blockd) and tx ring (blockd → netd): single-producer,
 *   single-consumer rings of descriptors {buffer index, length, flags}.  Each
 *   ring has exactly nbufs slots, and a buffer index is in at most one place
 *   at a time, so an honest producer never finds its ring full.
 *
 * Ownership of a buffer moves with its index.  Indices are free-running u32
 * with a power-of-two mask.  Producer and consumer state sit on separate
 * cache lines.  The consumer sets need_wakeup before it sleeps on the
 * doorbell (an eventfd); the producer writes the doorbell only then.
 *
 * Nothing read from shared memory is trusted: the sizes come from the
 * caller's own arguments, consumer functions check head-tail distances, and
 * the caller validates every descriptor it copies out (ring_desc_valid()).
 */
#ifndef AOEDE_PROTO_RING_H
#define AOEDE_PROTO_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RING_MAGIC		0x414f4552u	/* "AOER" */
#define RING_VERSION		2u	/* 2: frames at 476, not 4060 */
#define RING_CACHELINE		64
#define RING_FRAME_OFF		(512 - 36)	/* frame start inside a buffer */
#define RING_MAX_BUFS		4096u
/* Buffers are page aligned and whole pages long, so every frame is
 * RING_FRAME_OFF into a page: keep the kernel's copy of its tail at full
 * speed (above). */
#define RING_SEND_COPY_DIST	((4096 - (RING_FRAME_OFF + 14) % 4096) % 4096)
_Static_assert(RING_SEND_COPY_DIST == 0 || RING_SEND_COPY_DIST >= 32,
    "frames where a send's copy is slow on AMD Zen");
_Static_assert((RING_FRAME_OFF + 36) % 512 == 0,
    "ATA data not 512-byte aligned");

/* descriptor flags */
#define RING_F_ANNOUNCE		0x0001	/* rx: build an unsolicited config
					 * response for the export named in
					 * the frame's header (netd asks after
					 * start and link-up) */
#define RING_F_RETURN		0x0002	/* tx: hand the buffer back unsent */

struct ring_desc {
	uint32_t	buf;		/* buffer index < nbufs */
	uint16_t	len;		/* frame length (from RING_FRAME_OFF) */
	uint16_t	flags;
};

struct ring {
	/* producer's line */
	_Alignas(RING_CACHELINE) _Atomic uint32_t head;
	/* consumer's line */
	_Alignas(RING_CACHELINE) _Atomic uint32_t tail;
	_Atomic uint32_t need_wakeup;		/* consumer is (going to be) asleep */
	_Alignas(RING_CACHELINE) struct ring_desc desc[];
};

/* Facts about the NIC, written by netd, read by blockd (and validated). */
struct ring_nic_info {
	_Atomic uint32_t seq;		/* odd while netd is writing (seqlock) */
	uint32_t	mtu;
	uint8_t		mac[6];
	uint8_t		link_up;
	uint8_t		pad;
};

struct ring_shm_hdr {
	uint32_t	magic;
	uint32_t	version;
	uint32_t	nbufs;
	uint32_t	buf_size;
	_Alignas(RING_CACHELINE) struct ring_nic_info nic;
};

/* A process's view of one region.  All sizes are the caller's own. */
struct ring_region {
	uint8_t			*base;
	size_t			 size;
	uint32_t		 nbufs;
	uint32_t		 buf_size;
	struct ring_shm_hdr	*hdr;
	struct ring		*rx;
	struct ring		*tx;
	uint8_t			*bufs;
};

/* producer's private state */
struct ring_prod {
	struct ring	*r;
	uint32_t	 mask;
	uint32_t	 head;		/* next slot to fill (private) */
	uint32_t	 published;	/* head as last published */
};

/* consumer's private state */
struct ring_cons {
	struct ring	*r;
	uint32_t	 mask;
	uint32_t	 size;
	uint32_t	 tail;		/* next slot to read (private) */
	uint32_t	 released;	/* tail as last released */
	uint32_t	 head_seen;	/* last head read from shared memory */
};

/* Bytes needed for a region of nbufs (power of two ≤ RING_MAX_BUFS) buffers
 * of buf_size (multiple of 4096, > RING_FRAME_OFF) bytes; 0 if invalid. */
size_t	ring_region_size(uint32_t nbufs, uint32_t buf_size);
/* Supervisor: write the header and empty rings into fresh memory. */
int	ring_region_format(void *base, size_t size, uint32_t nbufs, uint32_t buf_size);
/* Any process: map the region at base (already mmapped, `size` bytes) and
 * check the header agrees with nbufs/buf_size.  -1 if it does not. */
int	ring_region_attach(struct ring_region *rr, void *base, size_t size,
	    uint32_t nbufs, uint32_t buf_size);
/* Both rings back to empty (indices 0, need_wakeup 0).  Only while the other
 * side is detached. */
void	ring_region_reset(struct ring_region *rr);
/* Start of the frame in buffer idx (idx must be valid). */
uint8_t	*ring_frame(const struct ring_region *rr, uint32_t idx);
/* Largest frame a buffer holds. */
size_t	ring_frame_cap(const struct ring_region *rr);
/* true if d names a buffer in range with a length that fits it. */
bool	ring_desc_valid(const struct ring_region *rr, const struct ring_desc *d);

/* Producer.  Put stages descriptors; publish makes them visible and returns
 * true if the consumer asked to be woken (the caller then rings the doorbell). */
void	ring_prod_init(struct ring_prod *p, struct ring *r, uint32_t size);
uint32_t ring_prod_space(struct ring_prod *p);
bool	ring_prod_put(struct ring_prod *p, const struct ring_desc *d);
bool	ring_prod_publish(struct ring_prod *p);

/* Consumer.  get copies the next descriptor out: 1 got one, 0 empty, -1 the
 * producer broke the ring (head too far ahead).  release publishes the
 * consumed slots in one store. */
void	ring_cons_init(struct ring_cons *c, struct ring *r, uint32_t size);
int	ring_cons_get(struct ring_cons *c, struct ring_desc *d);
void	ring_cons_release(struct ring_cons *c);
/* Before sleeping: set need_wakeup, then look again.  Returns true if the ring
 * is still empty (safe to sleep), false if work arrived (need_wakeup cleared). */
bool	ring_cons_prepare_sleep(struct ring_cons *c);
/* After waking: clear need_wakeup (busy, no doorbells wanted). */
void	ring_cons_awake(struct ring_cons *c);
/* A cheap look (no ordering, no checks): has the producer published
 * something not yet taken?  ring_cons_get() is what reads it. */
bool	ring_cons_pending(const struct ring_cons *c);

/* NIC facts (seqlock): netd writes, blockd reads a consistent copy.  The
 * reader tries a bounded number of times (a hostile writer could keep the
 * sequence odd forever) and returns -1 if it got no consistent copy. */
void	ring_nic_info_write(struct ring_shm_hdr *h, uint32_t mtu, const uint8_t mac[6], bool link_up);
int	ring_nic_info_read(const struct ring_shm_hdr *h, uint32_t *mtu, uint8_t mac[6], bool *link_up);

/* eventfd doorbells */
int	doorbell_ring(int efd);
/* Read and discard the counter; 0 or -1 (errno) for a real error. */
int	doorbell_drain(int efd);

#endif

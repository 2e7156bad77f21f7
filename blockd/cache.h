/*
 * blockd's userspace read cache (DESIGN.md §3, the 2014 AoEde's "userspace
 * buffering"): one per export, of 4 KiB blocks (8 sectors, aligned to the
 * export's sector 0), looked up by a chained hash and evicted by CLOCK.
 *
 * It is write-through and never holds the only copy of anything: a write
 * reaches the image first, and cache_write() then updates (or, on failure,
 * drops) the blocks it touched before the write is acknowledged.  A block
 * being filled by a read in flight is marked stale by a write that
 * completes meanwhile, and the fill's data is thrown away, so a slow read
 * can never put old data back over a newer write.
 */
#ifndef AOEDE_BLOCKD_CACHE_H
#define AOEDE_BLOCKD_CACHE_H

#include <sys/uio.h>

#include <stdbool.h>
#include <stdint.h>

#define CACHE_BLOCK		4096u
#define CACHE_BLOCK_SECTORS	(CACHE_BLOCK / 512u)
#define CACHE_FILL_MAX		8	/* blocks one fill may read */

struct cache;

/* A cache of `bytes` (rounded down to whole blocks, at least 16 blocks) for
 * an export of `sectors` sectors; NULL if bytes is 0 or memory is short. */
struct cache	*cache_new(uint64_t bytes, uint64_t sectors);
void		 cache_free(struct cache *c);
uint64_t	 cache_size(const struct cache *c);

/* Copy sectors [lba, lba + scnt) to `out` if every block is cached: 1 (a
 * hit), else 0 (a miss; nothing copied). */
int	cache_read(struct cache *c, uint64_t lba, unsigned scnt, uint8_t *out);

/*
 * Reserve the blocks covering [lba, lba + scnt) for a fill: returns the
 * number n of blocks (≤ CACHE_FILL_MAX), sets slots[0..n) and iov[0..n)
 * (4 KiB-aligned memory, for O_DIRECT) and *first (the first block), or 0
 * when no fill is possible (a block is present or being filled, the range
 * ends past the export or is too long, or no slot can be evicted).
 */
unsigned cache_fill_begin(struct cache *c, uint64_t lba, unsigned scnt,
	    int32_t slots[CACHE_FILL_MAX], struct iovec iov[CACHE_FILL_MAX],
	    uint64_t *first);
/* End a fill: ok → the blocks become valid (unless a write made them
 * stale meanwhile); !ok → they are dropped.  Returns true if the data read
 * may be used for the request (ok, whether or not it was kept). */
bool	cache_fill_end(struct cache *c, const int32_t *slots, unsigned n,
	    bool ok);

/* Copy the sectors [lba, lba + scnt) out of a fill that began at block
 * `first` (after cache_fill_end() said the data may be used). */
void	cache_fill_copy(const struct cache *c, const int32_t *slots,
	    uint64_t first, uint64_t lba, unsigned scnt, uint8_t *out);

/* A write of [lba, lba + scnt) with `data` reached the image (ok) or
 * failed (!ok): update or drop the cached blocks it touched. */
void	cache_write(struct cache *c, uint64_t lba, unsigned scnt,
	    const uint8_t *data, bool ok);
/* Drop every valid block (after a failed fdatasync). */
void	cache_clear(struct cache *c);

#endif

/*
 * The userspace read cache (cache.h): a chained hash of 4 KiB blocks over
 * one anonymous mapping (page-aligned, so fills can use O_DIRECT), CLOCK
 * eviction.  Single-threaded, like the rest of blockd.
 */
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include "cache.h"

enum { CS_FREE, CS_FILLING, CS_STALE, CS_VALID };

struct cache_slot {
	uint64_t	 blk;
	int32_t		 next;		/* hash chain */
	uint8_t		 state;		/* CS_* */
	uint8_t		 ref;		/* CLOCK reference bit */
};

struct cache {
	uint8_t			*mem;
	size_t			 memsize;
	struct cache_slot	*slots;
	int32_t			*buckets;
	uint32_t		 nslots, mask, hand;
	uint64_t		 nblocks;	/* whole blocks inside the export */
};

static uint32_t
cache_hash(const struct cache *c, uint64_t blk)
{
	return (uint32_t)((blk * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & c->mask;
}

struct cache *
cache_new(uint64_t bytes, uint64_t sectors)
{
	struct cache	*c;
	uint64_t	 n = bytes / CACHE_BLOCK;
	uint32_t	 nb = 1, i;

	if (bytes == 0)
		return NULL;
	if (n < 16)
		n = 16;
	if (n > (UINT64_C(1) << 30) || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	while (nb < n)
		nb <<= 1;
	c->nslots = (uint32_t)n;
	c->mask = nb - 1;
	c->nblocks = sectors / CACHE_BLOCK_SECTORS;
	c->memsize = (size_t)n * CACHE_BLOCK;
	c->slots = calloc(n, sizeof(*c->slots));
	c->buckets = malloc((size_t)nb * sizeof(*c->buckets));
	c->mem = mmap(NULL, c->memsize, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->slots == NULL || c->buckets == NULL || c->mem == MAP_FAILED) {
		if (c->mem != MAP_FAILED)
			c->mem = NULL;
		cache_free(c);
		return NULL;
	}
	for (i = 0; i < nb; i++)
		c->buckets[i] = -1;
	return c;
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	if (c->mem != NULL)
		munmap(c->mem, c->memsize);
	free(c->slots);
	free(c->buckets);
	free(c);
}

uint64_t
cache_size(const struct cache *c)
{
	return c == NULL ? 0 : (uint64_t)c->nslots * CACHE_BLOCK;
}

static int32_t
cache_lookup(const struct cache *c, uint64_t blk)
{
	int32_t	 i;

	for (i = c->buckets[cache_hash(c, blk)]; i != -1; i = c->slots[i].next)
		if (c->slots[i].blk == blk)
			return i;
	return -1;
}

static void
cache_link(struct cache *c, int32_t i, uint64_t blk)
{
	uint32_t	 h = cache_hash(c, blk);

	c->slots[i].blk = blk;
	c->slots[i].next = c->buckets[h];
	c->buckets[h] = i;
}

static void
cache_unlink(struct cache *c, int32_t i)
{
	int32_t	*p = &c->buckets[cache_hash(c, c->slots[i].blk)];

	while (*p != i)
		p = &c->slots[*p].next;
	*p = c->slots[i].next;
	c->slots[i].next = -1;
}

/* A free slot, evicting a valid block not referenced since the hand last
 * passed; slots being filled are skipped.  -1 if none within two turns. */
static int32_t
cache_evict(struct cache *c)
{
	uint64_t	 step;
	int32_t		 i;

	for (step = 0; step < 2 * (uint64_t)c->nslots; step++) {
		i = (int32_t)c->hand;
		c->hand = c->hand + 1 == c->nslots ? 0 : c->hand + 1;
		if (c->slots[i].state == CS_FREE)
			return i;
		if (c->slots[i].state != CS_VALID)
			continue;
		if (c->slots[i].ref) {
			c->slots[i].ref = 0;
			continue;
		}
		cache_unlink(c, i);
		c->slots[i].state = CS_FREE;
		return i;
	}
	return -1;
}

static uint8_t *
cache_mem(const struct cache *c, int32_t i)
{
	return c->mem + (size_t)i * CACHE_BLOCK;
}

int
cache_read(struct cache *c, uint64_t lba, unsigned scnt, uint8_t *out)
{
	uint64_t	 blk, first, last, s, e;
	int32_t		 i;

	if (scnt == 0)
		return 0;
	first = lba / CACHE_BLOCK_SECTORS;
	last = (lba + scnt - 1) / CACHE_BLOCK_SECTORS;
	for (blk = first; blk <= last; blk++) {
		i = cache_lookup(c, blk);
		if (i == -1 || c->slots[i].state != CS_VALID)
			return 0;
	}
	for (blk = first; blk <= last; blk++) {
		i = cache_lookup(c, blk);
		c->slots[i].ref = 1;
		/* the part of this block inside the request, in sectors */
		s = blk == first ? lba % CACHE_BLOCK_SECTORS : 0;
		e = blk == last ? (lba + scnt - 1) % CACHE_BLOCK_SECTORS + 1 :
		    CACHE_BLOCK_SECTORS;
		memcpy(out, cache_mem(c, i) + s * 512, (e - s) * 512);
		out += (e - s) * 512;
	}
	return 1;
}

unsigned
cache_fill_begin(struct cache *c, uint64_t lba, unsigned scnt,
    int32_t slots[CACHE_FILL_MAX], struct iovec iov[CACHE_FILL_MAX],
    uint64_t *first)
{
	uint64_t	 last, blk;
	unsigned	 n, k;

	if (scnt == 0)
		return 0;
	*first = lba / CACHE_BLOCK_SECTORS;
	last = (lba + scnt - 1) / CACHE_BLOCK_SECTORS;
	if (last >= c->nblocks || last - *first >= CACHE_FILL_MAX)
		return 0;
	n = (unsigned)(last - *first + 1);
	for (blk = *first; blk <= last; blk++)
		if (cache_lookup(c, blk) != -1)
			return 0;
	for (k = 0; k < n; k++) {
		if ((slots[k] = cache_evict(c)) == -1)
			break;
		/* taken now, so the next eviction does not hand it out again */
		c->slots[slots[k]].state = CS_FILLING;
		cache_link(c, slots[k], *first + k);
		iov[k].iov_base = cache_mem(c, slots[k]);
		iov[k].iov_len = CACHE_BLOCK;
	}
	if (k < n) {
		while (k-- > 0) {
			cache_unlink(c, slots[k]);
			c->slots[slots[k]].state = CS_FREE;
		}
		return 0;
	}
	return n;
}

bool
cache_fill_end(struct cache *c, const int32_t *slots, unsigned n, bool ok)
{
	unsigned	 k;
	int32_t		 i;

	for (k = 0; k < n; k++) {
		i = slots[k];
		if (c->slots[i].state == CS_STALE) {
			c->slots[i].state = CS_FREE;	/* already unlinked */
			continue;
		}
		if (ok) {
			c->slots[i].state = CS_VALID;
			c->slots[i].ref = 1;
		} else {
			cache_unlink(c, i);
			c->slots[i].state = CS_FREE;
		}
	}
	return ok;
}

void
cache_fill_copy(const struct cache *c, const int32_t *slots, uint64_t first,
    uint64_t lba, unsigned scnt, uint8_t *out)
{
	uint64_t	 sec;
	uint64_t	 k, s;

	for (sec = lba; sec < lba + scnt; ) {
		k = sec / CACHE_BLOCK_SECTORS - first;
		s = sec % CACHE_BLOCK_SECTORS;
		memcpy(out, cache_mem(c, slots[k]) + s * 512, 512);
		out += 512;
		sec++;
	}
}

void
cache_write(struct cache *c, uint64_t lba, unsigned scnt, const uint8_t *data,
    bool ok)
{
	uint64_t	 sec;
	int32_t		 i;

	/* sector by sector: a request covers at most a few blocks */
	for (sec = lba; sec < lba + scnt; sec++, data += 512) {
		if ((i = cache_lookup(c, sec / CACHE_BLOCK_SECTORS)) == -1)
			continue;
		if (c->slots[i].state == CS_FILLING) {
			/* the fill in flight may hold older data */
			cache_unlink(c, i);
			c->slots[i].state = CS_STALE;
		} else if (!ok) {
			cache_unlink(c, i);
			c->slots[i].state = CS_FREE;
		} else {
			memcpy(cache_mem(c, i) +
			    (sec % CACHE_BLOCK_SECTORS) * 512, data, 512);
		}
	}
}

void
cache_clear(struct cache *c)
{
	uint32_t	 i;

	for (i = 0; i < c->nslots; i++) {
		if (c->slots[i].state == CS_VALID) {
			cache_unlink(c, (int32_t)i);
			c->slots[i].state = CS_FREE;
		} else if (c->slots[i].state == CS_FILLING) {
			cache_unlink(c, (int32_t)i);
			c->slots[i].state = CS_STALE;
		}
	}
}

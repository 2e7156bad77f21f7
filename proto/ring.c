/*
 * The shared-memory rings between one netd and blockd (DESIGN.md §2).
 *
 * Memory ordering, in one place (each barrier below names its partner):
 *
 *   data:   producer writes desc[head], then stores head (release);
 *           consumer loads head (acquire), then reads desc[tail].
 *   space:  consumer reads desc[tail], then stores tail (release);
 *           producer loads tail (acquire), then overwrites the slot.
 *   sleep:  producer stores head; fence(seq_cst); loads need_wakeup.
 *           consumer stores need_wakeup=1; fence(seq_cst); loads head.
 *
 * Why no wake-up can be lost.  Suppose the consumer went to sleep on the
 * doorbell while a descriptor it never saw was published, and the producer
 * did not ring.  Then the consumer's re-read of head in
 * ring_cons_prepare_sleep() returned a value older than the producer's
 * store S_h of head, and the producer's read of need_wakeup in
 * ring_prod_publish() returned a value older than the consumer's store
 * S_w of 1.  Both sides put a seq_cst fence between their store and their
 * load, and the two fences, F_p (producer) and F_c (consumer), are totally
 * ordered in S.  If F_p precedes F_c, then S_h is sequenced before F_p, the
 * consumer's load of head is sequenced after F_c, and the seq_cst fence
 * rule (C11 7.17.3, C++ [atomics.order]: a load after fence Y sees a store
 * before fence X, or a later one, when X precedes Y in S) says that load
 * sees S_h or a later value: contradiction.  If F_c precedes F_p, the same rule applied to S_w and the
 * producer's load of need_wakeup gives the same contradiction.  So at least
 * one side sees the other: either the consumer does not sleep, or the
 * producer rings.  The doorbell is an eventfd: a ring that lands before the
 * consumer reaches poll() stays in the counter and makes poll() return at
 * once, so the ring cannot fall between "decided to sleep" and "asleep".
 * The producer clears need_wakeup when it takes the request (it rings right
 * after); the consumer clears it in awake and when prepare_sleep found work.
 * A clear by the consumer means it is not going to sleep; a clear by the
 * producer is followed by a ring.  So a set flag is never lost unanswered:
 * the worst case is a spurious wake-up from a ring that was not needed.
 *
 * Everything read from shared memory is treated as written by an enemy: the
 * sizes come from the caller, a head or tail is checked against the range
 * the other side may legally be in, and descriptors are copied out once.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "ring.h"

#define RING_PAGE		4096u
#define RING_ETH_HLEN		14
#define RING_ETH_ZLEN		60
#define RING_F_KNOWN		(RING_F_ANNOUNCE | RING_F_RETURN)
#define RING_SEQLOCK_TRIES	64

/* Where each part of a region starts; the one source of truth for size,
 * format and attach. */
struct ring_layout {
	size_t	rx_off;
	size_t	tx_off;
	size_t	ring_bytes;	/* struct ring plus its descriptors */
	size_t	bufs_off;
	size_t	size;
};

static size_t
ring_align(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

static int
ring_layout(uint32_t nbufs, uint32_t buf_size, struct ring_layout *l)
{
	size_t	pool;

	if (nbufs == 0 || nbufs > RING_MAX_BUFS || (nbufs & (nbufs - 1)) != 0)
		return -1;
	if (buf_size % RING_PAGE != 0 || buf_size <= RING_FRAME_OFF + RING_ETH_ZLEN)
		return -1;
	/* nbufs ≤ 4096 and buf_size < 2^32 fit 2^44, but not a 32-bit size_t */
	if (__builtin_mul_overflow((size_t)nbufs, (size_t)buf_size, &pool))
		return -1;

	l->ring_bytes = ring_align(sizeof(struct ring) +
	    (size_t)nbufs * sizeof(struct ring_desc), RING_CACHELINE);
	l->rx_off = ring_align(sizeof(struct ring_shm_hdr), RING_CACHELINE);
	l->tx_off = l->rx_off + l->ring_bytes;
	l->bufs_off = ring_align(l->tx_off + l->ring_bytes, RING_PAGE);
	if (__builtin_add_overflow(l->bufs_off, pool, &l->size))
		return -1;
	return 0;
}

size_t
ring_region_size(uint32_t nbufs, uint32_t buf_size)
{
	struct ring_layout	l;

	if (ring_layout(nbufs, buf_size, &l) == -1)
		return 0;
	return l.size;
}

static void
ring_reset_one(struct ring *r)
{
	atomic_store_explicit(&r->head, 0, memory_order_relaxed);
	atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&r->need_wakeup, 0, memory_order_relaxed);
}

int
ring_region_format(void *base, size_t size, uint32_t nbufs, uint32_t buf_size)
{
	struct ring_layout	 l;
	struct ring_shm_hdr	*h = base;

	/* page alignment keeps the pool page aligned, as O_DIRECT wants */
	if (base == NULL || (uintptr_t)base % RING_PAGE != 0 ||
	    ring_layout(nbufs, buf_size, &l) == -1 || size < l.size) {
		errno = EINVAL;
		return -1;
	}
	/* Header and rings only: the pool of fresh memory is already zero
	 * and can be large. */
	memset(base, 0, l.bufs_off);
	h->magic = RING_MAGIC;
	h->version = RING_VERSION;
	h->nbufs = nbufs;
	h->buf_size = buf_size;
	return 0;
}

int
ring_region_attach(struct ring_region *rr, void *base, size_t size,
    uint32_t nbufs, uint32_t buf_size)
{
	struct ring_layout		 l;
	const volatile struct ring_shm_hdr *h = base;

	if (base == NULL || (uintptr_t)base % RING_PAGE != 0 ||
	    ring_layout(nbufs, buf_size, &l) == -1 || size < l.size) {
		errno = EINVAL;
		return -1;
	}
	/* Only compared, never used: the sizes below are the caller's. */
	if (h->magic != RING_MAGIC || h->version != RING_VERSION ||
	    h->nbufs != nbufs || h->buf_size != buf_size) {
		errno = EPROTO;
		return -1;
	}
	memset(rr, 0, sizeof(*rr));
	rr->base = base;
	rr->size = size;
	rr->nbufs = nbufs;
	rr->buf_size = buf_size;
	rr->hdr = base;
	rr->rx = (struct ring *)(rr->base + l.rx_off);
	rr->tx = (struct ring *)(rr->base + l.tx_off);
	rr->bufs = rr->base + l.bufs_off;
	return 0;
}

void
ring_region_reset(struct ring_region *rr)
{
	ring_reset_one(rr->rx);
	ring_reset_one(rr->tx);
}

uint8_t *
ring_frame(const struct ring_region *rr, uint32_t idx)
{
	return rr->bufs + (size_t)idx * rr->buf_size + RING_FRAME_OFF;
}

size_t
ring_frame_cap(const struct ring_region *rr)
{
	return rr->buf_size - RING_FRAME_OFF;
}

bool
ring_desc_valid(const struct ring_region *rr, const struct ring_desc *d)
{
	if (d->buf >= rr->nbufs)
		return false;
	if (d->len < RING_ETH_HLEN || d->len > ring_frame_cap(rr))
		return false;
	return (d->flags & ~RING_F_KNOWN) == 0;
}

/* --- producer ---------------------------------------------------------- */

void
ring_prod_init(struct ring_prod *p, struct ring *r, uint32_t size)
{
	p->r = r;
	p->mask = size - 1;
	/* our own index: only this side writes it */
	p->head = atomic_load_explicit(&r->head, memory_order_relaxed);
	p->published = p->head;
}

uint32_t
ring_prod_space(struct ring_prod *p)
{
	uint32_t	tail, used, size = p->mask + 1;

	/* Pairs with the release store of tail in ring_cons_release(): the
	 * consumer is done reading the slots before we overwrite them. */
	tail = atomic_load_explicit(&p->r->tail, memory_order_acquire);
	used = p->head - tail;
	/* A tail ahead of our head, or too far behind it, is a broken
	 * consumer: offer no space rather than overwrite unread slots. */
	if (used > size)
		return 0;
	return size - used;
}

bool
ring_prod_put(struct ring_prod *p, const struct ring_desc *d)
{
	if (ring_prod_space(p) == 0)
		return false;
	p->r->desc[p->head & p->mask] = *d;
	p->head++;
	return true;
}

bool
ring_prod_publish(struct ring_prod *p)
{
	if (p->head == p->published)
		return false;
	/* Pairs with the acquire load of head in ring_cons_get() and
	 * ring_cons_prepare_sleep(): the descriptors are written first. */
	atomic_store_explicit(&p->r->head, p->head, memory_order_release);
	p->published = p->head;
	/* Pairs with the fence in ring_cons_prepare_sleep(); see the proof
	 * at the top of this file. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&p->r->need_wakeup, memory_order_relaxed) == 0)
		return false;
	/* Take the request, so that the publishes made before the sleeper
	 * gets round to ring_cons_awake() do not ring again: one doorbell
	 * per sleep.  Only done when the flag is set, to keep the
	 * consumer's line out of our cache in the busy case. */
	return atomic_exchange_explicit(&p->r->need_wakeup, 0,
	    memory_order_relaxed) != 0;
}

/* --- consumer ---------------------------------------------------------- */

void
ring_cons_init(struct ring_cons *c, struct ring *r, uint32_t size)
{
	c->r = r;
	c->mask = size - 1;
	c->size = size;
	/* our own index; a wrong value written by the peer is caught by the
	 * distance checks in ring_cons_get() */
	c->tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	c->released = c->tail;
	c->head_seen = c->tail;
}

int
ring_cons_get(struct ring_cons *c, struct ring_desc *d)
{
	const volatile struct ring_desc *s;
	uint32_t	 head;

	if (c->tail == c->head_seen) {
		/* Pairs with the release store of head in
		 * ring_prod_publish(): descriptors up to head are written. */
		head = atomic_load_explicit(&c->r->head, memory_order_acquire);
		/* The producer may fill at most size slots past what we
		 * released, and never takes back what it published. */
		if (head - c->released > c->size ||
		    head - c->tail > head - c->released)
			return -1;
		c->head_seen = head;
		if (head == c->tail)
			return 0;
	}
	/* One read of each field: the caller validates this copy, and a
	 * producer scribbling on the slot meanwhile cannot change it. */
	s = &c->r->desc[c->tail & c->mask];
	d->buf = s->buf;
	d->len = s->len;
	d->flags = s->flags;
	c->tail++;
	return 1;
}

void
ring_cons_release(struct ring_cons *c)
{
	if (c->tail == c->released)
		return;
	/* Pairs with the acquire load of tail in ring_prod_space(): our
	 * reads of the slots happen before the producer reuses them. */
	atomic_store_explicit(&c->r->tail, c->tail, memory_order_release);
	c->released = c->tail;
}

bool
ring_cons_prepare_sleep(struct ring_cons *c)
{
	uint32_t	head;

	/* A producer waiting for slots must not wait on a sleeper. */
	ring_cons_release(c);
	atomic_store_explicit(&c->r->need_wakeup, 1, memory_order_relaxed);
	/* Pairs with the fence in ring_prod_publish(); see the proof at the
	 * top of this file. */
	atomic_thread_fence(memory_order_seq_cst);
	head = atomic_load_explicit(&c->r->head, memory_order_acquire);
	if (head != c->tail) {
		/* work arrived (or a broken head: ring_cons_get() says so) */
		atomic_store_explicit(&c->r->need_wakeup, 0,
		    memory_order_relaxed);
		return false;
	}
	return true;
}

void
ring_cons_awake(struct ring_cons *c)
{
	atomic_store_explicit(&c->r->need_wakeup, 0, memory_order_relaxed);
}

bool
ring_cons_pending(const struct ring_cons *c)
{
	/* relaxed: a busy poller only wants a hint; ring_cons_get() does
	 * the acquire load and the range checks */
	return c->tail != c->head_seen ||
	    atomic_load_explicit(&c->r->head, memory_order_relaxed) != c->tail;
}

/* --- NIC facts (seqlock) ----------------------------------------------- */

/*
 * The data fields are plain in the header, so they are accessed with
 * __atomic builtins (relaxed): a reader racing the writer gets a torn copy,
 * which the sequence check throws away, never undefined behaviour.
 */
void
ring_nic_info_write(struct ring_shm_hdr *h, uint32_t mtu, const uint8_t mac[6],
    bool link_up)
{
	struct ring_nic_info	*n = &h->nic;
	uint32_t		 seq;
	int			 i;

	seq = atomic_load_explicit(&n->seq, memory_order_relaxed);
	/* A hostile or crashed writer may have left it odd: stay in step. */
	seq |= 1;
	atomic_store_explicit(&n->seq, seq, memory_order_relaxed);
	/* Pairs with the acquire fence in ring_nic_info_read(): a reader
	 * that sees any of the stores below also sees the odd sequence. */
	atomic_thread_fence(memory_order_release);
	__atomic_store_n(&n->mtu, mtu, __ATOMIC_RELAXED);
	for (i = 0; i < 6; i++)
		__atomic_store_n(&n->mac[i], mac[i], __ATOMIC_RELAXED);
	__atomic_store_n(&n->link_up, link_up ? 1 : 0, __ATOMIC_RELAXED);
	/* Pairs with the acquire load of seq in ring_nic_info_read(). */
	atomic_store_explicit(&n->seq, seq + 1, memory_order_release);
}

static void
ring_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

int
ring_nic_info_read(const struct ring_shm_hdr *h, uint32_t *mtu, uint8_t mac[6],
    bool *link_up)
{
	const struct ring_nic_info *n = &h->nic;
	uint32_t	 s1, s2, m;
	uint8_t		 a[6], up;
	int		 i, try;

	for (try = 0; try < RING_SEQLOCK_TRIES; try++) {
		/* Pairs with the release store that ends a write. */
		s1 = atomic_load_explicit(&n->seq, memory_order_acquire);
		if (s1 & 1) {
			ring_cpu_relax();
			continue;
		}
		m = __atomic_load_n(&n->mtu, __ATOMIC_RELAXED);
		for (i = 0; i < 6; i++)
			a[i] = __atomic_load_n(&n->mac[i], __ATOMIC_RELAXED);
		up = __atomic_load_n(&n->link_up, __ATOMIC_RELAXED);
		/* Pairs with the release fence in ring_nic_info_write(). */
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&n->seq, memory_order_relaxed);
		if (s1 == s2) {
			*mtu = m;
			memcpy(mac, a, 6);
			*link_up = up != 0;
			return 0;
		}
		ring_cpu_relax();
	}
	errno = EAGAIN;
	return -1;
}

/* --- doorbells --------------------------------------------------------- */

int
doorbell_ring(int efd)
{
	uint64_t	one = 1;
	ssize_t		n;

	for (;;) {
		n = write(efd, &one, sizeof(one));
		if (n == (ssize_t)sizeof(one))
			return 0;
		if (n == -1 && errno == EINTR)
			continue;
		/* saturated counter: the sleeper will wake anyway */
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n != -1)
			errno = EIO;
		return -1;
	}
}

int
doorbell_drain(int efd)
{
	uint64_t	v;
	ssize_t		n;

	for (;;) {
		n = read(efd, &v, sizeof(v));
		if (n == (ssize_t)sizeof(v))
			return 0;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n != -1)
			errno = EIO;
		return -1;
	}
}

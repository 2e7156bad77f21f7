/*
 * Unit tests of proto/ring.c: region layout, the SPSC rings, the
 * need_wakeup protocol, the NIC-facts seqlock, the eventfd doorbells, and a
 * two-process stress test over a sealed memfd that plays netd and blockd.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "ring.h"

#define T_NBUFS		64u
#define T_BUFSZ		8192u

/* --- helpers ------------------------------------------------------------ */

struct t_region {
	void			*mem;
	size_t			 size;
	struct ring_region	 rr;
};

static void
t_region_new(struct t_region *t, uint32_t nbufs, uint32_t buf_size)
{
	t->size = ring_region_size(nbufs, buf_size);
	assert_true(t->size > 0);
	t->mem = aligned_alloc(4096, t->size);
	assert_non_null(t->mem);
	memset(t->mem, 0xee, t->size);	/* format must not rely on zeroes */
	assert_int_equal(ring_region_format(t->mem, t->size, nbufs, buf_size), 0);
	assert_int_equal(ring_region_attach(&t->rr, t->mem, t->size, nbufs,
	    buf_size), 0);
}

static void
t_region_free(struct t_region *t)
{
	free(t->mem);
}

static struct ring_desc
t_desc(uint32_t buf, uint16_t len, uint16_t flags)
{
	struct ring_desc	d = { .buf = buf, .len = len, .flags = flags };

	return d;
}

static uint32_t
t_shared_tail(const struct ring *r)
{
	return atomic_load(&r->tail);
}

/* xorshift64*: reproducible randomness, independent per process */
static uint64_t
t_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* --- region ------------------------------------------------------------- */

static void
test_region_size(void **state)
{
	size_t	s;

	(void)state;
	s = ring_region_size(T_NBUFS, T_BUFSZ);
	assert_true(s >= (size_t)T_NBUFS * T_BUFSZ + sizeof(struct ring_shm_hdr) +
	    2 * (sizeof(struct ring) + T_NBUFS * sizeof(struct ring_desc)));
	assert_int_equal(s % 4096, 0);
	assert_true(ring_region_size(1, T_BUFSZ) > 0);
	assert_true(ring_region_size(RING_MAX_BUFS, T_BUFSZ) > 0);
	assert_true(ring_region_size(T_NBUFS, 65536) > 0);

	assert_int_equal(ring_region_size(0, T_BUFSZ), 0);
	assert_int_equal(ring_region_size(3, T_BUFSZ), 0);
	assert_int_equal(ring_region_size(T_NBUFS + 1, T_BUFSZ), 0);
	assert_int_equal(ring_region_size(RING_MAX_BUFS * 2, T_BUFSZ), 0);
	assert_int_equal(ring_region_size(UINT32_MAX, T_BUFSZ), 0);
	assert_int_equal(ring_region_size(0x80000000u, T_BUFSZ), 0);
	assert_int_equal(ring_region_size(T_NBUFS, 0), 0);
	assert_true(ring_region_size(T_NBUFS, 4096) > 0);	/* > FRAME_OFF+60 */
	assert_int_equal(ring_region_size(T_NBUFS, T_BUFSZ + 1), 0);
	assert_int_equal(ring_region_size(T_NBUFS, T_BUFSZ - 512), 0);
}

/*
 * The kernel sends a frame longer than a page as 14 bytes of head and the
 * rest copied to offset 0 of a fresh page; on AMD Zen that copy is ~20 times
 * slower when its destination is 1-31 bytes past its source modulo 4096
 * (proto/ring.h).  true if a frame here avoids that.
 */
static bool
ring_send_copy_fast(const uint8_t *frame)
{
	unsigned	dist = (4096 - ((uintptr_t)frame + 14) % 4096) % 4096;

	return dist == 0 || dist >= 32;
}

static void
t_check_layout(const struct t_region *t, uint32_t nbufs, uint32_t buf_size)
{
	const struct ring_region *rr = &t->rr;
	uint8_t		*base = t->mem;
	size_t		 rbytes = sizeof(struct ring) + nbufs * sizeof(struct ring_desc);
	uint8_t		*rx = (uint8_t *)rr->rx, *tx = (uint8_t *)rr->tx;
	uint32_t	 i;

	assert_ptr_equal(rr->base, base);
	assert_ptr_equal(rr->hdr, base);
	assert_int_equal(rr->nbufs, nbufs);
	assert_int_equal(rr->buf_size, buf_size);
	assert_int_equal(rr->size, t->size);
	assert_int_equal((uintptr_t)rx % RING_CACHELINE, 0);
	assert_int_equal((uintptr_t)tx % RING_CACHELINE, 0);
	assert_int_equal((uintptr_t)rr->bufs % 4096, 0);
	/* producer and consumer lines apart */
	assert_true((uint8_t *)&rr->rx->tail - (uint8_t *)&rr->rx->head >=
	    RING_CACHELINE);
	/* in order, no overlap, inside the region */
	assert_true(base + sizeof(struct ring_shm_hdr) <= rx);
	assert_true(rx + rbytes <= tx);
	assert_true(tx + rbytes <= rr->bufs);
	assert_true(rr->bufs + (size_t)nbufs * buf_size <= base + t->size);
	/* frames: ATA data after the AoE header 512-byte aligned (O_DIRECT),
	 * last fits */
	assert_int_equal((uintptr_t)(ring_frame(rr, 0) + 36) % 512, 0);
	assert_int_equal((uintptr_t)(ring_frame(rr, nbufs - 1) + 36) % 512, 0);
	for (i = 0; i < nbufs; i++)
		assert_true(ring_send_copy_fast(ring_frame(rr, i)));
	assert_int_equal(ring_frame_cap(rr), buf_size - RING_FRAME_OFF);
	assert_ptr_equal(ring_frame(rr, nbufs - 1) + ring_frame_cap(rr),
	    rr->bufs + (size_t)nbufs * buf_size);
	assert_ptr_equal(ring_frame(rr, 1), ring_frame(rr, 0) + buf_size);
}

static void
test_region_format_attach(void **state)
{
	static const uint32_t	 shapes[][2] = {
		{ 1, 8192 }, { 2, 8192 }, { 64, 8192 }, { 128, 12288 },
		{ 8, 65536 + 4096 },
	};
	struct t_region		 t;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		t_region_new(&t, shapes[i][0], shapes[i][1]);
		assert_int_equal(t.rr.hdr->magic, RING_MAGIC);
		assert_int_equal(t.rr.hdr->version, RING_VERSION);
		assert_int_equal(atomic_load(&t.rr.rx->head), 0);
		assert_int_equal(atomic_load(&t.rr.tx->tail), 0);
		assert_int_equal(atomic_load(&t.rr.tx->need_wakeup), 0);
		t_check_layout(&t, shapes[i][0], shapes[i][1]);
		t_region_free(&t);
	}
}

static void
test_region_format_bad(void **state)
{
	size_t	 size = ring_region_size(T_NBUFS, T_BUFSZ);
	uint8_t	*mem = aligned_alloc(4096, size + 4096);

	(void)state;
	assert_non_null(mem);
	assert_int_equal(ring_region_format(mem, size - 1, T_NBUFS, T_BUFSZ), -1);
	assert_int_equal(ring_region_format(NULL, size, T_NBUFS, T_BUFSZ), -1);
	assert_int_equal(ring_region_format(mem + 64, size, T_NBUFS, T_BUFSZ), -1);
	assert_int_equal(ring_region_format(mem, size, 3, T_BUFSZ), -1);
	assert_int_equal(ring_region_format(mem, size, T_NBUFS, 4095), -1);
	assert_int_equal(ring_region_format(mem, size, 0, T_BUFSZ), -1);
	/* larger than needed is fine */
	assert_int_equal(ring_region_format(mem, size + 4096, T_NBUFS, T_BUFSZ), 0);
	free(mem);
}

static void
test_region_attach_mismatch(void **state)
{
	struct t_region		t;
	struct ring_region	rr;

	(void)state;
	t_region_new(&t, T_NBUFS, T_BUFSZ);
	/* the caller's sizes disagree with the header */
	assert_int_equal(ring_region_attach(&rr, t.mem, t.size, T_NBUFS / 2,
	    T_BUFSZ), -1);
	assert_int_equal(ring_region_attach(&rr, t.mem, t.size, T_NBUFS,
	    T_BUFSZ + 4096), -1);
	assert_int_equal(ring_region_attach(&rr, t.mem, t.size, 3, T_BUFSZ), -1);
	/* region too small for what the caller says */
	assert_int_equal(ring_region_attach(&rr, t.mem, t.size - 1, T_NBUFS,
	    T_BUFSZ), -1);
	assert_int_equal(ring_region_attach(&rr, NULL, t.size, T_NBUFS,
	    T_BUFSZ), -1);
	assert_int_equal(ring_region_attach(&rr, (uint8_t *)t.mem + 64, t.size - 64,
	    T_NBUFS, T_BUFSZ), -1);

	/* the header lies */
	t.rr.hdr->magic ^= 1;
	assert_int_equal(ring_region_attach(&rr, t.mem, t.size, T_NBUFS,
	    T_BUFSZ), -1);
	t.rr.hdr->magic ^= 1;
	t.rr.hdr->version = RING_VERSION + 1;
	assert_int_equal(ring_region_attach(&rr, t.mem, t.size, T_NBUFS,
	    T_BUFSZ), -1);
	t.rr.hdr->version = RING_VERSION;
	t.rr.hdr->nbufs = T_NBUFS * 2;
	assert_int_equal(ring_region_attach(&rr, t.mem, t.size, T_NBUFS,
	    T_BUFSZ), -1);
	t.rr.hdr->nbufs = T_NBUFS;
	t.rr.hdr->buf_size = T_BUFSZ * 2;
	assert_int_equal(ring_region_attach(&rr, t.mem, t.size, T_NBUFS,
	    T_BUFSZ), -1);
	t.rr.hdr->buf_size = T_BUFSZ;

	/* and once repaired it attaches again */
	assert_int_equal(ring_region_attach(&rr, t.mem, t.size, T_NBUFS,
	    T_BUFSZ), 0);
	assert_ptr_equal(rr.rx, t.rr.rx);
	assert_ptr_equal(rr.tx, t.rr.tx);
	assert_ptr_equal(rr.bufs, t.rr.bufs);
	t_region_free(&t);
}

static void
test_region_reset(void **state)
{
	struct t_region		t;
	struct ring_prod	p;
	struct ring_cons	c;
	struct ring_desc	d = t_desc(0, 60, 0);

	(void)state;
	t_region_new(&t, T_NBUFS, T_BUFSZ);
	ring_prod_init(&p, t.rr.tx, T_NBUFS);
	ring_cons_init(&c, t.rr.tx, T_NBUFS);
	assert_true(ring_prod_put(&p, &d));
	ring_prod_publish(&p);
	assert_int_equal(ring_cons_get(&c, &d), 1);
	assert_true(ring_cons_prepare_sleep(&c));
	assert_int_equal(atomic_load(&t.rr.tx->need_wakeup), 1);
	assert_int_equal(atomic_load(&t.rr.tx->head), 1);
	ring_region_reset(&t.rr);
	assert_int_equal(atomic_load(&t.rr.tx->head), 0);
	assert_int_equal(atomic_load(&t.rr.tx->tail), 0);
	assert_int_equal(atomic_load(&t.rr.tx->need_wakeup), 0);
	assert_int_equal(atomic_load(&t.rr.rx->head), 0);
	t_region_free(&t);
}

static void
test_desc_valid(void **state)
{
	struct t_region		t;
	struct ring_desc	d;
	uint16_t		cap;

	(void)state;
	t_region_new(&t, T_NBUFS, T_BUFSZ);
	cap = (uint16_t)ring_frame_cap(&t.rr);

	d = t_desc(0, 14, 0);
	assert_true(ring_desc_valid(&t.rr, &d));
	d = t_desc(T_NBUFS - 1, cap, RING_F_ANNOUNCE | RING_F_RETURN);
	assert_true(ring_desc_valid(&t.rr, &d));
	d = t_desc(1, 60, RING_F_RETURN);
	assert_true(ring_desc_valid(&t.rr, &d));

	d = t_desc(T_NBUFS, 60, 0);
	assert_false(ring_desc_valid(&t.rr, &d));
	d = t_desc(UINT32_MAX, 60, 0);
	assert_false(ring_desc_valid(&t.rr, &d));
	d = t_desc(0, 13, 0);
	assert_false(ring_desc_valid(&t.rr, &d));
	d = t_desc(0, 0, 0);
	assert_false(ring_desc_valid(&t.rr, &d));
	d = t_desc(0, cap + 1, 0);
	assert_false(ring_desc_valid(&t.rr, &d));
	d = t_desc(0, UINT16_MAX, 0);
	assert_false(ring_desc_valid(&t.rr, &d));
	d = t_desc(0, 60, 0x0004);
	assert_false(ring_desc_valid(&t.rr, &d));
	d = t_desc(0, 60, 0x8000 | RING_F_RETURN);
	assert_false(ring_desc_valid(&t.rr, &d));
	t_region_free(&t);
}

/* --- single-process ring behaviour ---------------------------------------- */

static void
test_ring_fill_full(void **state)
{
	struct t_region		t;
	struct ring_prod	p;
	struct ring_cons	c;
	struct ring_desc	d;
	uint32_t		i;

	(void)state;
	t_region_new(&t, T_NBUFS, T_BUFSZ);
	ring_prod_init(&p, t.rr.rx, T_NBUFS);
	ring_cons_init(&c, t.rr.rx, T_NBUFS);
	assert_int_equal(ring_prod_space(&p), T_NBUFS);
	assert_int_equal(ring_cons_get(&c, &d), 0);

	for (i = 0; i < T_NBUFS; i++) {
		d = t_desc(i, (uint16_t)(14 + i), 0);
		assert_true(ring_prod_put(&p, &d));
	}
	assert_int_equal(ring_prod_space(&p), 0);
	d = t_desc(0, 60, 0);
	assert_false(ring_prod_put(&p, &d));
	/* staged, not published: the consumer sees nothing yet */
	assert_int_equal(atomic_load(&t.rr.rx->head), 0);
	assert_int_equal(ring_cons_get(&c, &d), 0);
	assert_false(ring_prod_publish(&p));
	assert_int_equal(atomic_load(&t.rr.rx->head), T_NBUFS);

	for (i = 0; i < T_NBUFS; i++) {
		assert_int_equal(ring_cons_get(&c, &d), 1);
		assert_int_equal(d.buf, i);
		assert_int_equal(d.len, 14 + i);
	}
	assert_int_equal(ring_cons_get(&c, &d), 0);
	/* consumed but not released: the producer still has no space */
	assert_int_equal(ring_prod_space(&p), 0);
	assert_int_equal(t_shared_tail(t.rr.rx), 0);
	ring_cons_release(&c);
	assert_int_equal(t_shared_tail(t.rr.rx), T_NBUFS);
	assert_int_equal(ring_prod_space(&p), T_NBUFS);
	t_region_free(&t);
}

/* What a busy poller looks at: published and not yet taken, nothing else. */
static void
test_ring_pending(void **state)
{
	struct t_region		t;
	struct ring_prod	p;
	struct ring_cons	c;
	struct ring_desc	d;

	(void)state;
	t_region_new(&t, T_NBUFS, T_BUFSZ);
	ring_prod_init(&p, t.rr.rx, T_NBUFS);
	ring_cons_init(&c, t.rr.rx, T_NBUFS);
	assert_false(ring_cons_pending(&c));
	d = t_desc(1, 60, 0);
	assert_true(ring_prod_put(&p, &d));
	d = t_desc(2, 60, 0);
	assert_true(ring_prod_put(&p, &d));
	assert_false(ring_cons_pending(&c));	/* staged only */
	ring_prod_publish(&p);
	assert_true(ring_cons_pending(&c));
	assert_int_equal(ring_cons_get(&c, &d), 1);
	assert_true(ring_cons_pending(&c));	/* one left, head already seen */
	assert_int_equal(ring_cons_get(&c, &d), 1);
	assert_false(ring_cons_pending(&c));
	ring_cons_release(&c);
	assert_false(ring_cons_pending(&c));
	/* polling never asks for a doorbell: need_wakeup stays clear */
	assert_int_equal(atomic_load(&t.rr.rx->need_wakeup), 0);
	t_region_free(&t);
}

static void
test_ring_batched_publish(void **state)
{
	struct t_region		t;
	struct ring_prod	p;
	struct ring_cons	c;
	struct ring_desc	d;
	uint32_t		i;

	(void)state;
	t_region_new(&t, T_NBUFS, T_BUFSZ);
	ring_prod_init(&p, t.rr.rx, T_NBUFS);
	ring_cons_init(&c, t.rr.rx, T_NBUFS);

	for (i = 0; i < 5; i++) {
		d = t_desc(i, 60, 0);
		assert_true(ring_prod_put(&p, &d));
	}
	assert_false(ring_prod_publish(&p));
	/* a second batch staged behind the first stays invisible */
	for (i = 5; i < 8; i++) {
		d = t_desc(i, 60, 0);
		assert_true(ring_prod_put(&p, &d));
	}
	for (i = 0; i < 5; i++) {
		assert_int_equal(ring_cons_get(&c, &d), 1);
		assert_int_equal(d.buf, i);
	}
	assert_int_equal(ring_cons_get(&c, &d), 0);
	/* release is batched: one store for the five */
	assert_int_equal(t_shared_tail(t.rr.rx), 0);
	assert_int_equal(ring_prod_space(&p), T_NBUFS - 8);
	ring_cons_release(&c);
	assert_int_equal(t_shared_tail(t.rr.rx), 5);
	assert_int_equal(ring_prod_space(&p), T_NBUFS - 3);

	assert_false(ring_prod_publish(&p));
	for (i = 5; i < 8; i++) {
		assert_int_equal(ring_cons_get(&c, &d), 1);
		assert_int_equal(d.buf, i);
	}
	assert_int_equal(ring_cons_get(&c, &d), 0);
	ring_cons_release(&c);
	assert_int_equal(ring_prod_space(&p), T_NBUFS);
	t_region_free(&t);
}

/* Many laps of the mask, and the u32 indices crossing 2^32. */
static void
test_ring_wrap(void **state)
{
	struct t_region		t;
	struct ring_prod	p;
	struct ring_cons	c;
	struct ring_desc	d;
	const uint32_t		start = UINT32_MAX - 100;
	uint64_t		rnd = 0x9e3779b97f4a7c15ull;
	uint32_t		put = 0, got = 0, n, k, nb = 16;
	int			crossed = 0;

	(void)state;
	t_region_new(&t, nb, T_BUFSZ);
	atomic_store(&t.rr.rx->head, start);
	atomic_store(&t.rr.rx->tail, start);
	ring_prod_init(&p, t.rr.rx, nb);
	ring_cons_init(&c, t.rr.rx, nb);
	assert_int_equal(ring_prod_space(&p), nb);

	while (got < 200000) {
		n = (uint32_t)(t_rand(&rnd) % (nb + 1));
		for (k = 0; k < n; k++) {
			d = t_desc(put % nb, (uint16_t)(14 + put % 97),
			    (uint16_t)(put & 1));
			if (!ring_prod_put(&p, &d))
				break;
			put++;
		}
		/* every consumed slot was released last round */
		assert_int_equal(put - got, nb - ring_prod_space(&p));
		ring_prod_publish(&p);
		n = (uint32_t)(t_rand(&rnd) % (nb + 1));
		for (k = 0; k < n; k++) {
			int rc = ring_cons_get(&c, &d);

			assert_int_not_equal(rc, -1);
			if (rc == 0) {
				assert_int_equal(got, put);
				break;
			}
			assert_int_equal(d.buf, got % nb);
			assert_int_equal(d.len, 14 + got % 97);
			assert_int_equal(d.flags, got & 1);
			got++;
		}
		ring_cons_release(&c);
		if (atomic_load(&t.rr.rx->head) < start)
			crossed = 1;
	}
	assert_true(crossed);
	assert_true(atomic_load(&t.rr.rx->tail) - start == got);
	t_region_free(&t);
}

/* A broken or hostile producer moves head where it cannot be. */
static void
test_ring_hostile_producer(void **state)
{
	struct t_region		t;
	struct ring_prod	p;
	struct ring_cons	c;
	struct ring_desc	d = t_desc(0, 60, 0);
	uint32_t		i;

	(void)state;
	t_region_new(&t, T_NBUFS, T_BUFSZ);
	ring_cons_init(&c, t.rr.rx, T_NBUFS);

	atomic_store(&t.rr.rx->head, T_NBUFS + 1);	/* more than it may fill */
	assert_int_equal(ring_cons_get(&c, &d), -1);
	atomic_store(&t.rr.rx->head, UINT32_MAX);	/* behind the tail */
	assert_int_equal(ring_cons_get(&c, &d), -1);
	atomic_store(&t.rr.rx->head, 0x80000000u);
	assert_int_equal(ring_cons_get(&c, &d), -1);
	/* exactly full is legal */
	atomic_store(&t.rr.rx->head, T_NBUFS);
	assert_int_equal(ring_cons_get(&c, &d), 1);

	/* head may not run past unreleased slots either */
	for (i = 1; i < T_NBUFS; i++)
		assert_int_equal(ring_cons_get(&c, &d), 1);
	assert_int_equal(ring_cons_get(&c, &d), 0);
	atomic_store(&t.rr.rx->head, T_NBUFS + 1);	/* tail still 0 */
	assert_int_equal(ring_cons_get(&c, &d), -1);
	ring_cons_release(&c);
	assert_int_equal(ring_cons_get(&c, &d), 1);

	/* head taken back below what we already consumed */
	atomic_store(&t.rr.rx->head, T_NBUFS - 3);
	assert_int_equal(ring_cons_get(&c, &d), -1);

	/* and a hostile consumer cannot make the producer overwrite */
	ring_prod_init(&p, t.rr.tx, T_NBUFS);
	atomic_store(&t.rr.tx->tail, 5);		/* ahead of head 0 */
	assert_int_equal(ring_prod_space(&p), 0);
	assert_false(ring_prod_put(&p, &d));
	atomic_store(&t.rr.tx->tail, 0);
	assert_int_equal(ring_prod_space(&p), T_NBUFS);
	t_region_free(&t);
}

static void
test_ring_need_wakeup(void **state)
{
	struct t_region		t;
	struct ring_prod	p;
	struct ring_cons	c;
	struct ring_desc	d = t_desc(1, 60, 0);
	_Atomic uint32_t	*nw;

	(void)state;
	t_region_new(&t, T_NBUFS, T_BUFSZ);
	nw = &t.rr.rx->need_wakeup;
	ring_prod_init(&p, t.rr.rx, T_NBUFS);
	ring_cons_init(&c, t.rr.rx, T_NBUFS);

	/* consumer busy: no doorbell */
	assert_true(ring_prod_put(&p, &d));
	assert_false(ring_prod_publish(&p));

	/* work pending: prepare_sleep refuses and leaves the flag clear */
	assert_false(ring_cons_prepare_sleep(&c));
	assert_int_equal(atomic_load(nw), 0);
	assert_int_equal(ring_cons_get(&c, &d), 1);

	/* empty: safe to sleep; the unreleased slot got released too, so a
	 * producer waiting for space is not left waiting on a sleeper */
	assert_int_equal(t_shared_tail(t.rr.rx), 0);
	assert_true(ring_cons_prepare_sleep(&c));
	assert_int_equal(t_shared_tail(t.rr.rx), 1);
	assert_int_equal(atomic_load(nw), 1);

	/* nothing new published: nothing to wake for */
	assert_false(ring_prod_publish(&p));
	/* staged only: still nothing */
	assert_true(ring_prod_put(&p, &d));
	assert_int_equal(ring_cons_get(&c, &d), 0);
	/* published while the consumer sleeps: ring, once */
	assert_true(ring_prod_publish(&p));
	assert_int_equal(atomic_load(nw), 0);
	assert_true(ring_prod_put(&p, &d));
	assert_false(ring_prod_publish(&p));
	ring_cons_awake(&c);
	assert_int_equal(atomic_load(nw), 0);
	assert_true(ring_prod_put(&p, &d));
	assert_false(ring_prod_publish(&p));

	/* prepared, then work arrived before the look: back to busy */
	assert_int_equal(ring_cons_get(&c, &d), 1);
	atomic_store(nw, 1);	/* as if a previous prepare raced */
	assert_false(ring_cons_prepare_sleep(&c));
	assert_int_equal(atomic_load(nw), 0);
	assert_int_equal(ring_cons_get(&c, &d), 1);
	assert_int_equal(ring_cons_get(&c, &d), 1);
	assert_int_equal(ring_cons_get(&c, &d), 0);
	assert_true(ring_cons_prepare_sleep(&c));
	ring_cons_awake(&c);
	assert_int_equal(atomic_load(nw), 0);
	t_region_free(&t);
}

/* --- seqlock ---------------------------------------------------------------- */

static void
test_nic_info(void **state)
{
	struct t_region		t;
	const uint8_t		mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint8_t			got[6];
	uint32_t		mtu;
	bool			up;

	(void)state;
	t_region_new(&t, T_NBUFS, T_BUFSZ);
	assert_int_equal(ring_nic_info_read(t.rr.hdr, &mtu, got, &up), 0);
	assert_int_equal(mtu, 0);
	assert_false(up);

	ring_nic_info_write(t.rr.hdr, 9000, mac, true);
	assert_int_equal(atomic_load(&t.rr.hdr->nic.seq) & 1, 0);
	assert_int_equal(ring_nic_info_read(t.rr.hdr, &mtu, got, &up), 0);
	assert_int_equal(mtu, 9000);
	assert_memory_equal(got, mac, 6);
	assert_true(up);

	ring_nic_info_write(t.rr.hdr, 1500, mac, false);
	assert_int_equal(ring_nic_info_read(t.rr.hdr, &mtu, got, &up), 0);
	assert_int_equal(mtu, 1500);
	assert_false(up);

	/* a writer stuck half way (or hostile): bounded, then -1 */
	atomic_store(&t.rr.hdr->nic.seq, 7);
	mtu = 1;
	assert_int_equal(ring_nic_info_read(t.rr.hdr, &mtu, got, &up), -1);
	assert_int_equal(mtu, 1);	/* outputs untouched on failure */
	/* the next honest write repairs it */
	ring_nic_info_write(t.rr.hdr, 1280, mac, true);
	assert_int_equal(atomic_load(&t.rr.hdr->nic.seq) & 1, 0);
	assert_int_equal(ring_nic_info_read(t.rr.hdr, &mtu, got, &up), 0);
	assert_int_equal(mtu, 1280);
	t_region_free(&t);
}

struct t_seq_writer {
	struct ring_shm_hdr	*h;
	uint32_t		 rounds;
	_Atomic int		 done;
};

static void *
t_seq_writer_main(void *arg)
{
	struct t_seq_writer	*w = arg;
	uint8_t			 mac[6];
	uint32_t		 i;

	for (i = 1; i <= w->rounds; i++) {
		memset(mac, (int)(i & 0xff), sizeof(mac));
		ring_nic_info_write(w->h, i, mac, i & 1);
	}
	atomic_store(&w->done, 1);
	return NULL;
}

/* Whatever a racing reader gets, it is one write, never a mix. */
static void
test_nic_info_concurrent(void **state)
{
	struct t_region		t;
	struct t_seq_writer	w;
	pthread_t		th;
	uint8_t			mac[6];
	uint32_t		mtu, last = 0;
	bool			up;
	int			i;

	(void)state;
	t_region_new(&t, T_NBUFS, T_BUFSZ);
	w.h = t.rr.hdr;
	w.rounds = 200000;
	atomic_init(&w.done, 0);
	assert_int_equal(pthread_create(&th, NULL, t_seq_writer_main, &w), 0);
	while (!atomic_load(&w.done)) {
		if (ring_nic_info_read(t.rr.hdr, &mtu, mac, &up) == -1)
			continue;
		for (i = 0; i < 6; i++)
			assert_int_equal(mac[i], mtu & 0xff);
		assert_int_equal(up, (mtu & 1) != 0);
		assert_true(mtu >= last);	/* never goes back */
		last = mtu;
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(ring_nic_info_read(t.rr.hdr, &mtu, mac, &up), 0);
	assert_int_equal(mtu, w.rounds);
	t_region_free(&t);
}

/* --- doorbells ------------------------------------------------------------ */

static void
test_doorbell(void **state)
{
	uint64_t	v;
	int		efd;

	(void)state;
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(efd >= 0);
	assert_int_equal(doorbell_drain(efd), 0);	/* empty: EAGAIN is fine */
	assert_int_equal(doorbell_ring(efd), 0);
	assert_int_equal(doorbell_ring(efd), 0);
	assert_int_equal(read(efd, &v, sizeof(v)), sizeof(v));
	assert_int_equal(v, 2);
	assert_int_equal(doorbell_ring(efd), 0);
	assert_int_equal(doorbell_drain(efd), 0);
	assert_int_equal(read(efd, &v, sizeof(v)), -1);
	assert_int_equal(errno, EAGAIN);

	/* saturated counter: the ring still counts as rung */
	v = UINT64_MAX - 1;
	assert_int_equal(write(efd, &v, sizeof(v)), sizeof(v));
	assert_int_equal(doorbell_ring(efd), 0);
	assert_int_equal(doorbell_drain(efd), 0);
	assert_int_equal(doorbell_drain(efd), 0);
	close(efd);

	/* a real error is an error */
	errno = 0;
	assert_int_equal(doorbell_ring(-1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(doorbell_drain(-1), -1);
	assert_int_equal(errno, EBADF);
}

/* --- two-process stress: the parent is netd, the child blockd ------------ */

#define S_NBUFS		64u
#define S_BUFSZ		8192u
#define S_MAXBATCH	32u
#define S_REPLY_XOR	0xa5a5a5a5deadbeefull
#define S_WAIT_MS	20000		/* a sleep longer than this is a hang */

#if defined(__SANITIZE_ADDRESS__)
#define S_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S_ASAN	1
#endif
#endif

/* what the child reports back, in an anonymous shared page */
struct s_report {
	uint64_t	doorbells;
	uint64_t	prepares;	/* ring_cons_prepare_sleep() calls */
	uint64_t	sleeps;		/* ... that said "sleep" */
	uint64_t	received;
	char		err[160];
};

struct s_ctx {
	int		 memfd;
	size_t		 size;
	int		 rx_efd;	/* netd rings it: blockd sleeps on it */
	int		 tx_efd;	/* blockd rings it: netd sleeps on it */
	uint64_t	 total;
	struct s_report	*rep;
	pid_t		 child;
	uint64_t	 doorbells;	/* rung by the parent */
	uint64_t	 prepares;
	uint64_t	 sleeps;
	char		 err[160];
};

static uint64_t
s_total(void)
{
	const char	*e = getenv("AOEDE_RING_STRESS");

	if (e != NULL && *e != '\0')
		return strtoull(e, NULL, 10);
#ifdef S_ASAN
	return 3000000;
#else
	return 5000000;
#endif
}

/* the reply the child computes from a request, checked by the parent */
static uint16_t
s_reply_len(uint64_t seq)
{
	return (uint16_t)(60 + seq % 1400);
}

static uint16_t
s_reply_flags(uint64_t seq)
{
	return (seq & 1) ? RING_F_RETURN : 0;
}

static void
s_put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint64_t
s_get64(const uint8_t *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * A random pause between "found nothing" and prepare_sleep(), where the
 * other side's publish must not be lost: it widens the window of the
 * lost-wakeup race so a broken protocol hangs here rather than in production.
 */
static void
s_dawdle(uint64_t *rnd)
{
	volatile uint32_t	i;
	uint32_t		n = (uint32_t)(t_rand(rnd) % 4096);

	if (n >= 2048)
		return;
	for (i = 0; i < n; i++)
		continue;
}

/* poll one eventfd; 0 woken, -1 error or hang, with a message */
static int
s_wait(int efd, char *err, size_t errlen)
{
	struct pollfd	pfd = { .fd = efd, .events = POLLIN };
	int		n;

	do
		n = poll(&pfd, 1, S_WAIT_MS);
	while (n == -1 && errno == EINTR);
	if (n == 0) {
		snprintf(err, errlen, "sleep on doorbell hung (lost wakeup)");
		return -1;
	}
	if (n == -1) {
		snprintf(err, errlen, "poll: %s", strerror(errno));
		return -1;
	}
	if (doorbell_drain(efd) == -1) {
		snprintf(err, errlen, "drain: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct s_blockd {
	struct ring_region	 rr;
	struct ring_cons	 rxc;
	struct ring_prod	 txp;
	struct ring_desc	 pend[S_NBUFS];
	uint32_t		 npend;
	uint8_t			 owned[S_NBUFS];
	uint64_t		 next_seq;
	uint64_t		 rnd;
};

#define S_CHILD_FAIL(ctx, ...)	do {					\
	snprintf((ctx)->rep->err, sizeof((ctx)->rep->err), __VA_ARGS__); \
	_exit(1);							\
} while (0)

static void
s_blockd_take(struct s_ctx *ctx, struct s_blockd *b, const struct ring_desc *d)
{
	uint8_t		*f;
	uint64_t	 seq;

	if (!ring_desc_valid(&b->rr, d))
		S_CHILD_FAIL(ctx, "invalid rx desc buf %u len %u flags %#x",
		    d->buf, d->len, d->flags);
	if (d->flags != 0)
		S_CHILD_FAIL(ctx, "rx flags %#x", d->flags);
	if (b->owned[d->buf])
		S_CHILD_FAIL(ctx, "buffer %u delivered while owned", d->buf);
	b->owned[d->buf] = 1;
	f = ring_frame(&b->rr, d->buf);
	seq = s_get64(f);
	/* FIFO: every request exactly once, in order */
	if (seq != b->next_seq)
		S_CHILD_FAIL(ctx, "seq %" PRIu64 ", expected %" PRIu64, seq,
		    b->next_seq);
	if (s_get64(f + 8) != d->buf || f[d->len - 1] != (uint8_t)seq)
		S_CHILD_FAIL(ctx, "buffer %u content wrong", d->buf);
	b->next_seq++;
	/* the reply goes in the request's own buffer */
	s_put64(f + 16, seq ^ S_REPLY_XOR);
	b->pend[b->npend].buf = d->buf;
	b->pend[b->npend].len = s_reply_len(seq);
	b->pend[b->npend].flags = s_reply_flags(seq);
	b->npend++;
}

/* Complete n held requests, in random order (completions are unordered). */
static void
s_blockd_complete(struct s_ctx *ctx, struct s_blockd *b, uint32_t n)
{
	struct ring_desc	d;
	uint32_t		j;

	while (n-- > 0) {
		j = (uint32_t)(t_rand(&b->rnd) % b->npend);
		d = b->pend[j];
		b->pend[j] = b->pend[--b->npend];
		b->owned[d.buf] = 0;
		/* nbufs slots for nbufs buffers: an honest ring is never full */
		if (!ring_prod_put(&b->txp, &d))
			S_CHILD_FAIL(ctx, "tx ring full");
	}
	if (ring_prod_publish(&b->txp)) {
		if (doorbell_ring(ctx->tx_efd) == -1)
			S_CHILD_FAIL(ctx, "doorbell: %s", strerror(errno));
		ctx->rep->doorbells++;
	}
}

static void __attribute__((noreturn))
s_blockd_main(struct s_ctx *ctx)
{
	struct s_blockd		 b;
	struct ring_desc	 d;
	void			*base;
	uint32_t		 want, k, n;
	int			 rc = 0, progress;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&b, 0, sizeof(b));
	b.rnd = 0x853c49e6748fea9bull;
	/* a mapping of our own, at another address, as blockd would */
	base = mmap(NULL, ctx->size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    ctx->memfd, 0);
	if (base == MAP_FAILED)
		S_CHILD_FAIL(ctx, "mmap: %s", strerror(errno));
	if (ring_region_attach(&b.rr, base, ctx->size, S_NBUFS, S_BUFSZ) == -1)
		S_CHILD_FAIL(ctx, "attach");
	ring_cons_init(&b.rxc, b.rr.rx, S_NBUFS);
	ring_prod_init(&b.txp, b.rr.tx, S_NBUFS);

	while (b.next_seq < ctx->total || b.npend > 0) {
		progress = 0;
		want = 1 + (uint32_t)(t_rand(&b.rnd) % 64);
		for (k = 0; k < want; k++) {
			if ((rc = ring_cons_get(&b.rxc, &d)) != 1)
				break;
			s_blockd_take(ctx, &b, &d);
			progress++;
		}
		if (rc == -1)
			S_CHILD_FAIL(ctx, "rx ring broken");
		ring_cons_release(&b.rxc);
		/* hold some back; hand everything back once rx looks empty,
		 * netd may be waiting for buffers */
		n = rc == 0 ? b.npend : (uint32_t)(t_rand(&b.rnd) % (b.npend + 1));
		if (n > 0) {
			s_blockd_complete(ctx, &b, n);
			progress++;
		}
		if (progress)
			continue;
		s_dawdle(&b.rnd);
		ctx->rep->prepares++;
		if (!ring_cons_prepare_sleep(&b.rxc))
			continue;
		ctx->rep->sleeps++;
		if (s_wait(ctx->rx_efd, ctx->rep->err, sizeof(ctx->rep->err)) == -1)
			_exit(1);
		ring_cons_awake(&b.rxc);
	}
	ctx->rep->received = b.next_seq;
	_exit(0);
}

struct s_netd {
	struct ring_region	 rr;
	struct ring_prod	 rxp;
	struct ring_cons	 txc;
	uint32_t		 freel[S_NBUFS];
	uint32_t		 nfree;
	uint8_t			 inflight[S_NBUFS];
	uint64_t		 seqof[S_NBUFS];
	uint64_t		 sent, returned;
	uint64_t		 rnd;
};

#define S_FAIL(ctx, ...)	do {					\
	snprintf((ctx)->err, sizeof((ctx)->err), __VA_ARGS__);		\
	return -1;							\
} while (0)

static int
s_netd_send(struct s_ctx *ctx, struct s_netd *n)
{
	struct ring_desc	 d;
	uint32_t		 batch, k, idx;
	uint8_t			*f;
	uint16_t		 len;

	batch = 1 + (uint32_t)(t_rand(&n->rnd) % S_MAXBATCH);
	for (k = 0; k < batch && n->nfree > 0 && n->sent < ctx->total; k++) {
		idx = n->freel[--n->nfree];
		if (n->inflight[idx])
			S_FAIL(ctx, "free list holds in-flight buffer %u", idx);
		n->inflight[idx] = 1;
		n->seqof[idx] = n->sent;
		len = (uint16_t)(24 + t_rand(&n->rnd) %
		    (ring_frame_cap(&n->rr) - 24 + 1));
		f = ring_frame(&n->rr, idx);
		s_put64(f, n->sent);
		s_put64(f + 8, idx);
		s_put64(f + 16, 0);
		f[len - 1] = (uint8_t)n->sent;
		d.buf = idx;
		d.len = len;
		d.flags = 0;
		if (!ring_prod_put(&n->rxp, &d))
			S_FAIL(ctx, "rx ring full with a free buffer");
		n->sent++;
	}
	if (ring_prod_publish(&n->rxp)) {
		if (doorbell_ring(ctx->rx_efd) == -1)
			S_FAIL(ctx, "doorbell: %s", strerror(errno));
		ctx->doorbells++;
	}
	return (int)k;
}

static int
s_netd_recv(struct s_ctx *ctx, struct s_netd *n)
{
	struct ring_desc	 d;
	uint64_t		 seq;
	int			 rc, got = 0;

	while ((rc = ring_cons_get(&n->txc, &d)) == 1) {
		if (!ring_desc_valid(&n->rr, &d))
			S_FAIL(ctx, "invalid tx desc buf %u len %u", d.buf, d.len);
		if (!n->inflight[d.buf])
			S_FAIL(ctx, "buffer %u returned but not sent", d.buf);
		seq = n->seqof[d.buf];
		if (s_get64(ring_frame(&n->rr, d.buf) + 16) != (seq ^ S_REPLY_XOR))
			S_FAIL(ctx, "buffer %u: reply data wrong", d.buf);
		if (d.len != s_reply_len(seq) || d.flags != s_reply_flags(seq))
			S_FAIL(ctx, "buffer %u: reply desc wrong", d.buf);
		n->inflight[d.buf] = 0;
		n->freel[n->nfree++] = d.buf;
		n->returned++;
		got++;
	}
	if (rc == -1)
		S_FAIL(ctx, "tx ring broken");
	ring_cons_release(&n->txc);
	return got;
}

/* Sleep on the tx doorbell, noticing a child that died meanwhile. */
static int
s_netd_sleep(struct s_ctx *ctx)
{
	siginfo_t	si;

	ctx->sleeps++;
	if (s_wait(ctx->tx_efd, ctx->err, sizeof(ctx->err)) == 0)
		return 0;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)ctx->child, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid == ctx->child)
		snprintf(ctx->err, sizeof(ctx->err), "blockd died: %.120s",
		    ctx->rep->err[0] ? ctx->rep->err : "(no message)");
	return -1;
}

static int
s_netd_main(struct s_ctx *ctx, void *base)
{
	struct s_netd	*n;
	uint32_t	 i;
	int		 s, r, rc = -1;

	n = calloc(1, sizeof(*n));
	if (n == NULL)
		S_FAIL(ctx, "calloc");
	n->rnd = 0xda3e39cb94b95bdbull;
	if (ring_region_attach(&n->rr, base, ctx->size, S_NBUFS, S_BUFSZ) == -1) {
		snprintf(ctx->err, sizeof(ctx->err), "attach");
		goto out;
	}
	ring_prod_init(&n->rxp, n->rr.rx, S_NBUFS);
	ring_cons_init(&n->txc, n->rr.tx, S_NBUFS);
	for (i = 0; i < S_NBUFS; i++)
		n->freel[n->nfree++] = i;

	while (n->returned < ctx->total) {
		if ((s = s_netd_send(ctx, n)) == -1 ||
		    (r = s_netd_recv(ctx, n)) == -1)
			goto out;
		if (s > 0 || r > 0)
			continue;
		/* no free buffer (or all sent): wait for blockd */
		s_dawdle(&n->rnd);
		ctx->prepares++;
		if (!ring_cons_prepare_sleep(&n->txc))
			continue;
		if (s_netd_sleep(ctx) == -1)
			goto out;
		ring_cons_awake(&n->txc);
	}
	/* exactly the set sent came back: nothing in flight, all free */
	for (i = 0; i < S_NBUFS; i++)
		if (n->inflight[i]) {
			snprintf(ctx->err, sizeof(ctx->err), "buffer %u lost", i);
			goto out;
		}
	if (n->nfree != S_NBUFS || n->sent != ctx->total) {
		snprintf(ctx->err, sizeof(ctx->err), "free %u sent %" PRIu64,
		    n->nfree, n->sent);
		goto out;
	}
	/* and nothing extra is left in the tx ring */
	if (s_netd_recv(ctx, n) != 0) {
		if (ctx->err[0] == '\0')
			snprintf(ctx->err, sizeof(ctx->err), "extra returns");
		goto out;
	}
	rc = 0;
 out:
	free(n);
	return rc;
}

static void
test_ring_stress_two_process(void **state)
{
	struct s_ctx	 ctx;
	void		*base;
	int		 status, rc;
	uint64_t	 transfers;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	ctx.total = s_total();
	assert_true(ctx.total > 0);
	ctx.size = ring_region_size(S_NBUFS, S_BUFSZ);
	assert_true(ctx.size > 0);

	/* the supervisor's part: a sealed memfd and two doorbells */
	ctx.memfd = memfd_create("aoede-ring-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(ctx.memfd >= 0);
	assert_int_equal(ftruncate(ctx.memfd, (off_t)ctx.size), 0);
	assert_int_equal(fcntl(ctx.memfd, F_ADD_SEALS,
	    F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL), 0);
	assert_int_equal(ftruncate(ctx.memfd, (off_t)ctx.size / 2), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(ctx.memfd, (off_t)ctx.size * 2), -1);
	base = mmap(NULL, ctx.size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    ctx.memfd, 0);
	assert_true(base != MAP_FAILED);
	assert_int_equal(ring_region_format(base, ctx.size, S_NBUFS, S_BUFSZ), 0);
	ctx.rx_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ctx.tx_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(ctx.rx_efd >= 0 && ctx.tx_efd >= 0);
	ctx.rep = mmap(NULL, sizeof(*ctx.rep), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(ctx.rep != MAP_FAILED);
	memset(ctx.rep, 0, sizeof(*ctx.rep));

	fflush(NULL);
	ctx.child = fork();
	assert_true(ctx.child >= 0);
	if (ctx.child == 0)
		s_blockd_main(&ctx);

	rc = s_netd_main(&ctx, base);
	if (rc == -1)
		kill(ctx.child, SIGKILL);
	assert_int_equal(waitpid(ctx.child, &status, 0), ctx.child);
	if (rc == -1)
		fail_msg("netd: %s (blockd: %s)", ctx.err,
		    ctx.rep->err[0] ? ctx.rep->err : "-");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("blockd failed (status %#x): %s", status, ctx.rep->err);

	transfers = ctx.total;
	assert_int_equal(ctx.rep->received, transfers);
	print_message("ring stress: %" PRIu64 " transfers, %" PRIu64
	    " doorbells (netd→blockd %" PRIu64 ", blockd→netd %" PRIu64
	    "), sleeps netd %" PRIu64 " blockd %" PRIu64 "\n", transfers,
	    ctx.doorbells + ctx.rep->doorbells, ctx.doorbells,
	    ctx.rep->doorbells, ctx.sleeps, ctx.rep->sleeps);
	/* At most one doorbell per request to be woken (a request withdrawn
	 * because work arrived may still have been answered), and batching
	 * keeps those rare. */
	assert_true(ctx.doorbells <= ctx.rep->prepares);
	assert_true(ctx.rep->doorbells <= ctx.prepares);
	assert_true(ctx.doorbells + ctx.rep->doorbells < transfers);

	munmap(ctx.rep, sizeof(*ctx.rep));
	munmap(base, ctx.size);
	close(ctx.rx_efd);
	close(ctx.tx_efd);
	close(ctx.memfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_size),
		cmocka_unit_test(test_ring_pending),
		cmocka_unit_test(test_region_format_attach),
		cmocka_unit_test(test_region_format_bad),
		cmocka_unit_test(test_region_attach_mismatch),
		cmocka_unit_test(test_region_reset),
		cmocka_unit_test(test_desc_valid),
		cmocka_unit_test(test_ring_fill_full),
		cmocka_unit_test(test_ring_batched_publish),
		cmocka_unit_test(test_ring_wrap),
		cmocka_unit_test(test_ring_hostile_producer),
		cmocka_unit_test(test_ring_need_wakeup),
		cmocka_unit_test(test_nic_info),
		cmocka_unit_test(test_nic_info_concurrent),
		cmocka_unit_test(test_doorbell),
		cmocka_unit_test(test_ring_stress_two_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of proto/pktring.c: the ring geometry the supervisor and netd
 * both derive, and a real TPACKET_V2 receive ring on the loopback device of
 * a network namespace of the test's own (root only): frames in order with
 * their bytes, lengths and stamps, the slots going round more than once,
 * a frame bigger than a slot reported as cut short, and a socket without a
 * ring refused by pktring_map().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "pktring.h"
#include "pktring_lo.h"
#include "ring.h"

#define T_ETHERTYPE	AOE_ETHERTYPE

/* --- geometry ------------------------------------------------------------ */

static void
check_geometry(uint32_t nbufs, uint32_t buf_size)
{
	struct tpacket_req	 req;
	uint32_t		 per;

	pktring_geometry(nbufs, buf_size, &req);
	/* a slot holds the slot header and any frame a buffer holds */
	assert_true(req.tp_frame_size >= PKTRING_HEADROOM + buf_size - RING_FRAME_OFF);
	assert_int_equal(req.tp_frame_size % TPACKET_ALIGNMENT, 0);
	/* whole pages: every frame at the same page offset (proto/ring.h) */
	assert_int_equal(req.tp_frame_size % 4096, 0);
	/* blocks: whole pages, a power of two, at least one slot each */
	assert_int_equal(req.tp_block_size % 4096, 0);
	assert_int_equal(req.tp_block_size & (req.tp_block_size - 1), 0);
	assert_true(req.tp_block_size >= req.tp_frame_size);
	per = req.tp_block_size / req.tp_frame_size;
	/* the kernel's own rule: frame_nr is exactly what the blocks hold */
	assert_int_equal(req.tp_frame_nr, per * req.tp_block_nr);
	/* as many frames wait for netd as it has buffers */
	assert_true(req.tp_frame_nr >= nbufs);
	/* and not a block more than needed */
	assert_true(req.tp_frame_nr - per < nbufs);
}

static void
test_geometry(void **state)
{
	check_geometry(256, 16384);	/* the usual NIC: 9000-byte frames */
	check_geometry(4096, 16384);
	check_geometry(257, 16384);
	check_geometry(2, 8192);
	check_geometry(256, 69632);	/* a 65535-byte MTU: bigger blocks */
}

/* --- a real ring on loopback --------------------------------------------- */

struct t_net {
	int		 rx, tx, ifindex;
	struct pktring	 r;
};

/* A namespace of our own (nothing else hears its loopback), a ring socket
 * bound to AoE on lo, and a socket to send with. */
static int
t_setup(void **state)
{
	static struct t_net	 t;

	*state = NULL;
	if ((t.ifindex = t_private_lo()) == 0)
		return 0;
	t.rx = t_lo_ring_socket(t.ifindex, 8, 8192, &t.r);
	t.tx = socket(AF_PACKET, SOCK_RAW, 0);
	assert_true(t.rx >= 0 && t.tx >= 0);
	*state = &t;
	return 0;
}

static int
t_teardown(void **state)
{
	struct t_net	*t = *state;

	if (t != NULL) {
		pktring_unmap(&t->r);
		close(t->rx);
		close(t->tx);
	}
	return 0;
}

static void
t_send(struct t_net *t, size_t len, uint8_t fill)
{
	static uint8_t		 f[70000];

	memset(f, fill, len);
	memset(f, 0xff, 6);				/* broadcast */
	f[12] = T_ETHERTYPE >> 8;
	f[13] = T_ETHERTYPE & 0xff;
	assert_int_equal(t_lo_send(t->tx, t->ifindex, f, len), (ssize_t)len);
}

/* The next frame: there, of len bytes all `fill` after the header. */
static uint64_t
t_expect(struct t_net *t, size_t len, uint8_t fill, bool cut)
{
	struct tpacket2_hdr	*h;
	const uint8_t		*f;
	uint64_t		 stamp;
	size_t			 i, got;

	assert_non_null(h = pktring_peek(&t->r));
	f = pktring_frame(h);
	got = pktring_len(&t->r, h);
	assert_int_equal(pktring_truncated(h), cut);
	if (!cut)
		assert_int_equal(got, len);
	assert_int_equal(f[12] << 8 | f[13], T_ETHERTYPE);
	for (i = 14; i < got; i++)
		if (f[i] != fill)
			fail_msg("byte %zu of a %zu-byte frame is %#x, not %#x", i, len, f[i], fill);
	stamp = pktring_stamp(h);
	assert_true(stamp > 0);
	pktring_release(&t->r, h);
	return stamp;
}

static void
test_frames_in_order(void **state)
{
	struct t_net	*t = *state;
	uint64_t	 last = 0, stamp;
	unsigned	 round, i, n;

	if (t == NULL)
		skip();		/* not root: no namespace of our own */
	assert_null(pktring_peek(&t->r));
	n = t->r.frame_nr;
	assert_true(n >= 8);
	/* five times round the ring, a different size and fill each frame */
	for (round = 0; round < 5; round++) {
		for (i = 0; i < n - 1; i++)
			t_send(t, 60 + 97 * i + round, (uint8_t)(round * 31 + i));
		for (i = 0; i < n - 1; i++) {
			stamp = t_expect(t, 60 + 97 * i + round, (uint8_t)(round * 31 + i), false);
			assert_true(stamp >= last);
			last = stamp;
		}
		assert_null(pktring_peek(&t->r));
	}
}

static void
test_frame_bigger_than_slot(void **state)
{
	struct t_net	*t = *state;
	size_t		 cap = 8192 - RING_FRAME_OFF;

	if (t == NULL)
		skip();
	/* the largest frame a buffer holds still fits; one slot's worth more
	 * is cut short, and the frames after it are unharmed */
	t_send(t, cap, 0x5a);
	t_send(t, t->r.frame_size + 1000, 0xa5);
	t_send(t, 100, 0x11);
	t_expect(t, cap, 0x5a, false);
	t_expect(t, t->r.frame_size + 1000, 0xa5, true);
	t_expect(t, 100, 0x11, false);
	assert_null(pktring_peek(&t->r));
}

static void
test_map_without_ring(void **state)
{
	struct t_net	*t = *state;
	struct pktring	 r;

	if (t == NULL)
		skip();
	assert_int_equal(pktring_map(&r, t->tx, 8, 8192), -1);
	assert_int_equal(errno, EINVAL);
	assert_null(r.map);
	pktring_unmap(&r);	/* harmless on an unmapped ring */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_frames_in_order),
		cmocka_unit_test(test_frame_bigger_than_slot),
		cmocka_unit_test(test_map_without_ring),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}

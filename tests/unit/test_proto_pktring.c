/*
 * Unit tests of proto/pktring.c: the ring geometry the supervisor and netd
 * both derive, and a real TPACKET_V2 receive ring on the loopback device of
 * a network namespace of the test's own (root only): frames in order with
 * their bytes, lengths and stamps, the slots going round more than once,
 * a frame bigger than a slot reported as cut short, and a socket without a
 * ring refused by pktring_map().  Then the transmit ring, sending to that
 * receive ring: its geometry, frames in order round it several times, the
 * frames it refuses, a full ring, and frames dropped when the link is down
 * (none of them goes out when it comes back up; the next frame does).
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
	int		 txring;	/* a socket with a transmit ring */
	struct pktring_tx ptx;
};

#define T_TX_BUFS	8	/* the transmit ring: 32 slots */

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
	/* as the supervisor makes netd's: bound to lo with protocol 0 */
	t.txring = socket(AF_PACKET, SOCK_RAW, 0);
	assert_true(t.txring >= 0);
	assert_int_equal(pktring_tx_setup(t.txring, T_TX_BUFS), 0);
	{
		struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = t.ifindex };

		assert_int_equal(bind(t.txring, (struct sockaddr *)&sll, sizeof(sll)), 0);
	}
	assert_int_equal(pktring_tx_map(&t.ptx, t.txring, T_TX_BUFS), 0);
	*state = &t;
	return 0;
}

static int
t_teardown(void **state)
{
	struct t_net	*t = *state;

	if (t != NULL) {
		pktring_unmap(&t->r);
		pktring_tx_unmap(&t->ptx);
		close(t->rx);
		close(t->tx);
		close(t->txring);
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

/* --- the transmit ring ------------------------------------------------ */

static void
check_tx_geometry(uint32_t nbufs)
{
	struct tpacket_req	 req;
	uint32_t		 per;

	pktring_tx_geometry(nbufs, &req);
	assert_int_equal(req.tp_frame_size, PKTRING_TX_SLOT);
	assert_int_equal(req.tp_block_size % 4096, 0);
	per = req.tp_block_size / req.tp_frame_size;
	assert_int_equal(per * req.tp_frame_size, req.tp_block_size);
	assert_int_equal(req.tp_frame_nr, per * req.tp_block_nr);
	/* a slot for every buffer netd could hold a reply in, no block more */
	assert_true(req.tp_frame_nr >= nbufs);
	assert_true(req.tp_frame_nr - per < nbufs);
}

static void
test_tx_geometry(void **state)
{
	check_tx_geometry(2);
	check_tx_geometry(32);
	check_tx_geometry(33);
	check_tx_geometry(256);
	check_tx_geometry(4096);
	/* an Ethernet frame of the standard MTU fits a slot */
	assert_true(PKTRING_TX_MAX >= 1514);
}

/* A broadcast AoE frame of len bytes, all `fill` after the header. */
static const uint8_t *
t_frame(size_t len, uint8_t fill)
{
	static uint8_t	 f[PKTRING_TX_SLOT];

	assert_true(len <= sizeof(f));
	memset(f, fill, len);
	memset(f, 0xff, 6);
	f[12] = T_ETHERTYPE >> 8;
	f[13] = T_ETHERTYPE & 0xff;
	return f;
}

static void
t_kick(struct t_net *t)
{
	struct pktring_tx_dropped dropped = { 99, 99 };

	assert_int_equal(pktring_tx_kick(&t->ptx, t->txring, &dropped), 0);
	assert_int_equal(dropped.frames, 0);
	assert_int_equal(dropped.bytes, 0);
	assert_false(t->ptx.pending);
}

static void
test_tx_frames_in_order(void **state)
{
	struct t_net	*t = *state;
	unsigned	 round, i, batch;
	size_t		 len;

	if (t == NULL)
		skip();
	assert_int_equal(t->ptx.ring.frame_nr, 32);
	/* batches the receive ring holds, 5 times round the transmit ring;
	 * sizes from the minimum to the largest a slot takes */
	batch = t->r.frame_nr - 1;
	for (round = 0; round < 5 * t->ptx.ring.frame_nr / batch; round++) {
		for (i = 0; i < batch; i++) {
			len = 60 + (round * batch + i) * 211 % (PKTRING_TX_MAX - 59);
			assert_true(pktring_tx_put(&t->ptx, t_frame(len, (uint8_t)(round + i)), len));
		}
		t_kick(t);
		for (i = 0; i < batch; i++) {
			len = 60 + (round * batch + i) * 211 % (PKTRING_TX_MAX - 59);
			t_expect(t, len, (uint8_t)(round + i), false);
		}
		assert_null(pktring_peek(&t->r));
	}
	/* and the largest frame a slot holds */
	assert_true(pktring_tx_put(&t->ptx, t_frame(PKTRING_TX_MAX, 0x3c), PKTRING_TX_MAX));
	t_kick(t);
	t_expect(t, PKTRING_TX_MAX, 0x3c, false);
	assert_null(pktring_peek(&t->r));
}

static void
test_tx_refused_frames(void **state)
{
	struct t_net		*t = *state;
	struct pktring_tx	 none;
	struct pktring_tx_dropped dropped = { 99, 99 };

	if (t == NULL)
		skip();
	/* bigger than a slot: for sendmmsg */
	assert_false(pktring_tx_put(&t->ptx, t_frame(PKTRING_TX_MAX, 1), PKTRING_TX_MAX + 1));
	assert_false(t->ptx.pending);
	/* no ring: nothing to put, nothing to kick */
	memset(&none, 0, sizeof(none));
	assert_false(pktring_tx_put(&none, t_frame(60, 1), 60));
	assert_int_equal(pktring_tx_kick(&none, t->txring, &dropped), 0);
	assert_int_equal(dropped.frames, 0);
	assert_int_equal(dropped.bytes, 0);
	/* a socket without a transmit ring is not mapped */
	assert_int_equal(pktring_tx_map(&none, t->tx, T_TX_BUFS), -1);
	assert_null(none.ring.map);
	pktring_tx_unmap(&none);
}

static void
test_tx_ring_full(void **state)
{
	struct t_net	*t = *state;
	unsigned	 i, got = 0;

	if (t == NULL)
		skip();
	/* every slot filled and none sent: the next is refused, not skipped */
	for (i = 0; i < t->ptx.ring.frame_nr; i++)
		assert_true(pktring_tx_put(&t->ptx, t_frame(100, 0x42), 100));
	assert_false(pktring_tx_put(&t->ptx, t_frame(100, 0x42), 100));
	t_kick(t);
	/* all went out; the receive ring kept what it had room for */
	while (pktring_peek(&t->r) != NULL) {
		t_expect(t, 100, 0x42, false);
		got++;
	}
	assert_true(got > 0 && got <= t->r.frame_nr);
	/* and every slot is free again */
	for (i = 0; i < t->r.frame_nr - 1; i++)
		assert_true(pktring_tx_put(&t->ptx, t_frame(61, 0x43), 61));
	t_kick(t);
	for (i = 0; i < t->r.frame_nr - 1; i++)
		t_expect(t, 61, 0x43, false);
	assert_null(pktring_peek(&t->r));
}

static void
test_tx_link_down_drops(void **state)
{
	struct t_net	*t = *state;
	struct pktring_tx_dropped dropped;
	unsigned	 i;

	if (t == NULL)
		skip();
	assert_true(t_lo_set_up(false));
	for (i = 0; i < 3; i++)
		assert_true(pktring_tx_put(&t->ptx, t_frame(80, 0x66), 80));
	assert_int_equal(pktring_tx_kick(&t->ptx, t->txring, &dropped), -1);
	assert_int_equal(errno, ENETDOWN);
	assert_int_equal(dropped.frames, 3);
	assert_int_equal(dropped.bytes, 3 * 80);
	assert_false(t->ptx.pending);
	/* nothing left to send: the next kick makes no call */
	assert_int_equal(pktring_tx_kick(&t->ptx, t->txring, &dropped), 0);
	assert_int_equal(dropped.frames, 0);
	assert_int_equal(dropped.bytes, 0);
	assert_true(t_lo_set_up(true));
	/* the dropped frames are passed over, the new one goes out */
	assert_true(pktring_tx_put(&t->ptx, t_frame(90, 0x77), 90));
	t_kick(t);
	t_expect(t, 90, 0x77, false);
	assert_null(pktring_peek(&t->r));
	/* and the ring goes on in order */
	for (i = 0; i < 5; i++)
		assert_true(pktring_tx_put(&t->ptx, t_frame(70 + i, (uint8_t)i), 70 + i));
	t_kick(t);
	for (i = 0; i < 5; i++)
		t_expect(t, 70 + i, (uint8_t)i, false);
	assert_null(pktring_peek(&t->r));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_frames_in_order),
		cmocka_unit_test(test_frame_bigger_than_slot),
		cmocka_unit_test(test_map_without_ring),
		cmocka_unit_test(test_tx_geometry),
		cmocka_unit_test(test_tx_frames_in_order),
		cmocka_unit_test(test_tx_refused_frames),
		cmocka_unit_test(test_tx_ring_full),
		cmocka_unit_test(test_tx_link_down_drops),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}

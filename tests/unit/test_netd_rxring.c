/*
 * Unit tests of netd's receive path through the packet ring (netd.c is
 * included, so its static functions are reachable): a real TPACKET_V2 ring
 * on the loopback device of a network namespace of the test's own (root
 * only), and netd's buffers in a ring region in ordinary memory.
 *
 * - Broadcasts fan out into one buffer per export.  With fewer free buffers
 *   than that, netd takes what it can, counts the rest as dropped, and
 *   leaves the frames it has no buffer for in the packet ring (never a
 *   buffer it does not have) until buffers come back.
 * - Frames netd refuses (a response, another EtherType's frame cannot
 *   arrive: the socket is bound to AoE) give their slot back at once.
 * - Replies that go out by the transmit ring are counted as sent only if
 *   the kernel took them: with the link down they count as send errors,
 *   their buffers come home, and they are not sent later either.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/eventfd.h>

#include <cmocka.h>

#include "../../netd/netd.c"
#include "pktring_lo.h"

#define T_NBUFS		8u
#define T_BUFSZ		16384u

static struct netd	 t_n;
static void		*t_mem;
static int		 t_tx = -1, t_ifindex;
static struct ring_cons	 t_blockd;	/* what blockd would read */

/* netd as netd_main() leaves it, but with its region in plain memory and
 * a ring socket of our own on lo; exports e7.1, e7.2, e7.3 */
static int
t_setup(void **state)
{
	size_t			 size = ring_region_size(T_NBUFS, T_BUFSZ);
	void			*mem;
	struct netd		*n = &t_n;

	*state = NULL;
	if ((t_ifindex = t_private_lo()) == 0)
		return 0;
	memset(n, 0, sizeof(*n));
	n->ifname = "lo";
	n->old_sock = -1;
	n->state = NETD_RUNNING;
	n->exports[0] = (struct netd_export){ 7, 1 };
	n->exports[1] = (struct netd_export){ 7, 2 };
	n->exports[2] = (struct netd_export){ 7, 3 };
	n->nexports = 3;
	t_mem = mem = aligned_alloc(4096, size);
	assert_non_null(mem);
	assert_int_equal(ring_region_format(mem, size, T_NBUFS, T_BUFSZ), 0);
	assert_int_equal(ring_region_attach(&n->rr, mem, size, T_NBUFS, T_BUFSZ), 0);
	n->free = calloc(T_NBUFS, sizeof(*n->free));
	n->sendq = calloc(T_NBUFS, sizeof(*n->sendq));
	n->sendlen = calloc(T_NBUFS, sizeof(*n->sendlen));
	n->at_peer = calloc(T_NBUFS, 1);
	assert_true(n->free && n->sendq && n->sendlen && n->at_peer);
	netd_reset_ring(n);
	ring_cons_init(&t_blockd, n->rr.rx, T_NBUFS);
	n->rx_bell = eventfd(0, EFD_NONBLOCK);
	assert_true(n->rx_bell >= 0);

	/* the ring as the supervisor sets it up and netd maps it */
	n->sock = t_lo_ring_socket(t_ifindex, T_NBUFS, T_BUFSZ, &n->pkt);
	t_tx = socket(AF_PACKET, SOCK_RAW, 0);
	assert_true(n->sock >= 0 && t_tx >= 0);
	*state = n;
	return 0;
}

static int
t_teardown(void **state)
{
	if (*state != NULL) {
		pktring_unmap(&t_n.pkt);
		close(t_n.sock);
		close(t_tx);
		close(t_n.rx_bell);
		free(t_n.free);
		free(t_n.sendq);
		free(t_n.sendlen);
		free(t_n.at_peer);
		free(t_mem);
	}
	return 0;
}

/* A config query from the LAN to shelf.slot (0xffff.0xff: everyone). */
static void
t_send_cfg(uint16_t shelf, uint8_t slot, uint8_t flags, uint32_t tag)
{
	static const uint8_t	 src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t			 f[60];
	struct aoe_hdr		 h = {
		.type = AOE_ETHERTYPE, .ver = AOE_VERSION, .flags = flags,
		.major = shelf, .minor = slot, .cmd = AOE_CMD_CFG, .tag = tag,
	};

	memset(h.dst, 0xff, 6);
	memcpy(h.src, src, 6);
	memset(f, 0, sizeof(f));
	aoe_hdr_encode(f, &h);
	assert_int_equal(t_lo_send(t_tx, t_ifindex, f, sizeof(f)), (ssize_t)sizeof(f));
}

/* The next descriptor blockd would get: for shelf.slot, with tag. */
static uint32_t
t_expect_rx(uint8_t slot, uint32_t tag)
{
	struct ring_desc	 d;
	const uint8_t		*f;

	assert_int_equal(ring_cons_get(&t_blockd, &d), 1);
	assert_true(ring_desc_valid(&t_n.rr, &d));
	assert_true(t_n.at_peer[d.buf]);
	f = ring_frame(&t_n.rr, d.buf);
	assert_int_equal(f[16] << 8 | f[17], 7);
	assert_int_equal(f[18], slot);
	assert_int_equal((uint32_t)f[20] << 24 | f[21] << 16 | f[22] << 8 | f[23], tag);
	return d.buf;
}

/* blockd hands buffer idx back (as a returned tx descriptor would). */
static void
t_give_back(uint32_t idx)
{
	t_n.at_peer[idx] = 0;
	netd_buffer_home(&t_n, idx);
}

static void
test_broadcast_with_few_buffers(void **state)
{
	struct netd	*n = *state;
	uint32_t	 a, b, c;

	if (n == NULL)
		skip();		/* not root: no namespace of our own */
	/* two broadcasts, three exports each, and only two free buffers */
	n->nfree = 2;
	t_send_cfg(0xffff, 0xff, 0, 1);
	t_send_cfg(0xffff, 0xff, 0, 2);
	assert_int_equal(netd_receive(n), 1);
	assert_int_equal(n->nfree, 0);
	assert_int_equal(n->st.drops[NETD_DROP_NOBUF], 1);
	assert_int_equal(n->st.ring_full, 1);
	a = t_expect_rx(1, 1);
	b = t_expect_rx(2, 1);
	ring_cons_release(&t_blockd);
	/* the second broadcast waits in the packet ring, not lost */
	assert_non_null(pktring_peek(&n->pkt));
	assert_int_equal(netd_receive(n), 0);
	/* buffers come back: it is taken, all three copies this time */
	t_give_back(a);
	t_give_back(b);
	t_give_back(0);		/* one that was never lent: now free too */
	assert_int_equal(netd_receive(n), 1);
	assert_int_equal(n->nfree, 0);
	t_expect_rx(1, 2);
	t_expect_rx(2, 2);
	c = t_expect_rx(3, 2);
	(void)c;
	ring_cons_release(&t_blockd);
	assert_null(pktring_peek(&n->pkt));
	assert_int_equal(n->st.frames_in, 2);
}

static void
test_refused_frames_give_their_slot_back(void **state)
{
	struct netd	*n = *state;
	unsigned	 i;

	if (n == NULL)
		skip();
	/* more responses and frames for others than the ring has slots */
	for (i = 0; i < 3 * n->pkt.frame_nr; i++) {
		if (i % 2 == 0)
			t_send_cfg(7, 1, AOE_FLAG_RESP, i);	/* a response */
		else
			t_send_cfg(9, 9, 0, i);			/* not ours */
		assert_int_equal(netd_receive(n), 1);
	}
	assert_int_equal(n->nfree, T_NBUFS);
	assert_int_equal(n->st.drops[NETD_DROP_RESPONSE], 3 * n->pkt.frame_nr / 2);
	assert_int_equal(n->st.drops[NETD_DROP_NOTOURS],
	    3 * n->pkt.frame_nr - 3 * n->pkt.frame_nr / 2);
	assert_int_equal(ring_cons_get(&t_blockd, &(struct ring_desc){ 0 }), 0);
	assert_null(pktring_peek(&n->pkt));
}

/* A transmit-ring socket on lo as the supervisor opens one (protocol 0,
 * bound: it hears nothing), mapped as netd maps it. */
static void
t_tx_ring(struct netd *n)
{
	struct sockaddr_ll	 sll;

	n->txsock = socket(AF_PACKET, SOCK_RAW, 0);
	assert_true(n->txsock >= 0);
	assert_int_equal(pktring_tx_setup(n->txsock, T_NBUFS), 0);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = t_ifindex;
	assert_int_equal(bind(n->txsock, (struct sockaddr *)&sll, sizeof(sll)), 0);
	assert_int_equal(pktring_tx_map(&n->ptx, n->txsock, T_NBUFS), 0);
	n->mtu = 1500;
}

/* Queue a 60-byte reply with this tag, as netd_drain_tx() would. */
static void
t_queue_reply(struct netd *n, uint32_t tag)
{
	struct aoe_hdr	 h = {
		.type = AOE_ETHERTYPE, .ver = AOE_VERSION, .flags = AOE_FLAG_RESP,
		.major = 7, .minor = 1, .cmd = AOE_CMD_CFG, .tag = tag,
	};
	uint32_t	 idx;

	assert_true(n->nfree > 0);
	idx = n->free[--n->nfree];
	memset(h.dst, 0xff, 6);
	memset(ring_frame(&n->rr, idx), 0, AOE_MIN_FRAME);
	aoe_hdr_encode(ring_frame(&n->rr, idx), &h);
	n->sendlen[idx] = AOE_MIN_FRAME;
	n->sendq[n->nsend++] = idx;
}

/* The next frame on lo is the 60-byte reply with this tag. */
static void
t_expect_sent(struct netd *n, uint32_t tag)
{
	struct tpacket2_hdr	*h = pktring_peek(&n->pkt);
	struct aoe_hdr		 a;

	assert_non_null(h);
	assert_int_equal(pktring_len(&n->pkt, h), AOE_MIN_FRAME);
	assert_int_equal(aoe_hdr_decode(pktring_frame(h), AOE_MIN_FRAME, &a), 0);
	assert_true(a.flags & AOE_FLAG_RESP);
	assert_int_equal(a.tag, tag);
	pktring_release(&n->pkt, h);
}

static void
test_failed_kick_is_not_counted_as_sent(void **state)
{
	struct netd	*n = *state;
	uint32_t	 tag;

	if (n == NULL)
		skip();
	t_tx_ring(n);
	assert_true(t_lo_set_up(false));
	for (tag = 1; tag <= 3; tag++)
		t_queue_reply(n, tag);
	netd_flush_sendq(n);
	assert_int_equal(n->nsend, 0);
	assert_int_equal(n->nfree, T_NBUFS);
	assert_int_equal(n->st.send_errors, 3);
	assert_int_equal(n->st.frames_out, 0);
	assert_int_equal(n->st.frames_out_ring, 0);
	assert_int_equal(n->st.bytes_out, 0);
	/* the link is back: only what is queued now goes out, and counts */
	assert_true(t_lo_set_up(true));
	t_queue_reply(n, 10);
	t_queue_reply(n, 11);
	netd_flush_sendq(n);
	assert_int_equal(n->nfree, T_NBUFS);
	assert_int_equal(n->st.send_errors, 3);
	assert_int_equal(n->st.frames_out, 2);
	assert_int_equal(n->st.frames_out_ring, 2);
	assert_int_equal(n->st.bytes_out, 2 * AOE_MIN_FRAME);
	t_expect_sent(n, 10);
	t_expect_sent(n, 11);
	assert_null(pktring_peek(&n->pkt));
	pktring_tx_unmap(&n->ptx);
	close(n->txsock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_broadcast_with_few_buffers,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_refused_frames_give_their_slot_back,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_failed_kick_is_not_counted_as_sent,
		    t_setup, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

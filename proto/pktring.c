/*
 * The receive ring of a packet socket (pktring.h).
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "pktring.h"
#include "ring.h"

void
pktring_geometry(uint32_t nbufs, uint32_t buf_size, struct tpacket_req *req)
{
	uint32_t	 frame, block, per, blocks;

	/* the largest frame a buffer holds, after the slot's own header, in
	 * whole pages: every frame then starts at the same page offset
	 * (tp_mac), and netd's copy of it into a buffer, like the kernel's
	 * into the slot, runs at a distance that is fast on AMD Zen
	 * (proto/ring.h) for every slot, not for most */
	frame = PKTRING_HEADROOM + (buf_size - RING_FRAME_OFF);
	frame = (frame + 4095) & ~4095u;
	for (block = PKTRING_BLOCK_MIN; block < frame; block <<= 1)
		;
	per = block / frame;
	blocks = (nbufs + per - 1) / per;
	memset(req, 0, sizeof(*req));
	req->tp_block_size = block;
	req->tp_block_nr = blocks;
	req->tp_frame_size = frame;
	req->tp_frame_nr = blocks * per;
}

int
pktring_setup(int fd, uint32_t nbufs, uint32_t buf_size)
{
	struct tpacket_req	 req;
	int			 v = TPACKET_V2;

	pktring_geometry(nbufs, buf_size, &req);
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) == -1 ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) == -1)
		return -1;
	return 0;
}

/* Map the ring req describes on fd into r.  A socket without that ring
 * (or with another geometry) refuses. */
static int
pktring_map_req(struct pktring *r, int fd, const struct tpacket_req *req)
{
	void	*map;
	size_t	 len = (size_t)req->tp_block_size * req->tp_block_nr;

	memset(r, 0, sizeof(*r));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	r->map = map;
	r->len = len;
	r->block_size = req->tp_block_size;
	r->frame_size = req->tp_frame_size;
	r->frames_per_block = req->tp_block_size / req->tp_frame_size;
	r->frame_nr = req->tp_frame_nr;
	return 0;
}

int
pktring_map(struct pktring *r, int fd, uint32_t nbufs, uint32_t buf_size)
{
	struct tpacket_req	 req;

	pktring_geometry(nbufs, buf_size, &req);
	return pktring_map_req(r, fd, &req);
}

void
pktring_unmap(struct pktring *r)
{
	if (r->map != NULL)
		munmap(r->map, r->len);
	memset(r, 0, sizeof(*r));
}

static struct tpacket2_hdr *
pktring_slot(const struct pktring *r, uint32_t i)
{
	return (struct tpacket2_hdr *)(r->map +
	    (size_t)(i / r->frames_per_block) * r->block_size +
	    (size_t)(i % r->frames_per_block) * r->frame_size);
}

struct tpacket2_hdr *
pktring_peek(struct pktring *r)
{
	struct tpacket2_hdr	*h = pktring_slot(r, r->head);

	/* acquire: the frame's bytes are read only after its status */
	if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
		return NULL;
	return h;
}

void
pktring_release(struct pktring *r, struct tpacket2_hdr *h)
{
	/* release: the kernel may refill the slot once it sees this */
	__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	r->head = r->head + 1 == r->frame_nr ? 0 : r->head + 1;
}

const uint8_t *
pktring_frame(const struct tpacket2_hdr *h)
{
	return (const uint8_t *)h + h->tp_mac;
}

/* The slot's offsets are trusted no further than the slot: a frame that
 * would reach past it is reported empty (and dropped as short). */
size_t
pktring_len(const struct pktring *r, const struct tpacket2_hdr *h)
{
	if ((size_t)h->tp_mac + h->tp_snaplen > r->frame_size)
		return 0;
	return h->tp_snaplen;
}

bool
pktring_truncated(const struct tpacket2_hdr *h)
{
	return h->tp_snaplen < h->tp_len || (h->tp_status & TP_STATUS_COPY);
}

uint64_t
pktring_stamp(const struct tpacket2_hdr *h)
{
	return (uint64_t)h->tp_sec * 1000000000 + h->tp_nsec;
}

/* --- transmit ring ---------------------------------------------------- */

/*
 * Half-page slots, a slot per buffer: every reply netd holds fits.  A frame
 * starts at page offset 42 or 2090 (after the slot header and the
 * virtio-net header), and netd copies it there from page offset 476
 * (RING_FRAME_OFF): distances 3662 and 1614, fast ones on AMD Zen
 * (proto/ring.h).
 */
void
pktring_tx_geometry(uint32_t nbufs, struct tpacket_req *req)
{
	uint32_t	 per = PKTRING_BLOCK_MIN / PKTRING_TX_SLOT;

	memset(req, 0, sizeof(*req));
	req->tp_block_size = PKTRING_BLOCK_MIN;
	req->tp_block_nr = (nbufs + per - 1) / per;
	req->tp_frame_size = PKTRING_TX_SLOT;
	req->tp_frame_nr = req->tp_block_nr * per;
}

int
pktring_tx_setup(int fd, uint32_t nbufs)
{
	struct tpacket_req	 req;
	int			 v = TPACKET_V2, on = 1;

	pktring_tx_geometry(nbufs, &req);
	/* PACKET_LOSS: the kernel passes over a slot it cannot send instead
	 * of stopping the ring there, which is how pktring_tx_kick() drops
	 * frames.  PACKET_VNET_HDR: see pktring.h.  Like the version, both
	 * only before the ring. */
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) == -1 ||
	    setsockopt(fd, SOL_PACKET, PACKET_LOSS, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) == -1)
		return -1;
	return 0;
}

int
pktring_tx_map(struct pktring_tx *t, int fd, uint32_t nbufs)
{
	struct tpacket_req	 req;

	memset(t, 0, sizeof(*t));
	pktring_tx_geometry(nbufs, &req);
	return pktring_map_req(&t->ring, fd, &req);
}

void
pktring_tx_unmap(struct pktring_tx *t)
{
	pktring_unmap(&t->ring);
	memset(t, 0, sizeof(*t));
}

static struct tpacket2_hdr *
pktring_tx_slot(const struct pktring_tx *t, uint32_t i)
{
	return pktring_slot(&t->ring, i);
}

static uint32_t
pktring_tx_status(const struct tpacket2_hdr *h)
{
	return __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
}

bool
pktring_tx_put(struct pktring_tx *t, const uint8_t *frame, size_t len)
{
	struct tpacket2_hdr	*h;
	struct virtio_net_hdr	 vh;

	if (t->ring.map == NULL || len > PKTRING_TX_MAX)
		return false;
	h = pktring_tx_slot(t, t->ring.head);
	/* the kernel's until the frame is sent (SENDING: until a NIC says it
	 * is out); a free slot may carry timestamp bits besides AVAILABLE.
	 * The kernel takes slots in order from where it stopped, so a busy
	 * slot is waited for, never skipped. */
	if (pktring_tx_status(h) & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING))
		return false;
	/* no offload; the header is all of the frame: copied, not hung on */
	memset(&vh, 0, sizeof(vh));
	vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	vh.hdr_len = htole16((uint16_t)len);
	memcpy((uint8_t *)h + PKTRING_TX_DATA, &vh, sizeof(vh));
	memcpy((uint8_t *)h + PKTRING_TX_DATA + PKTRING_TX_VNET, frame, len);
	h->tp_len = PKTRING_TX_VNET + len;
	/* release: the kernel reads the frame only after it sees this */
	__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	t->last = t->ring.head;
	t->ring.head = t->ring.head + 1 == t->ring.frame_nr ? 0 : t->ring.head + 1;
	t->pending = true;
	return true;
}

/*
 * The requests the kernel has not taken are the slots back from the last
 * one filled while they are requests.  Each is emptied: the kernel finds a
 * slot shorter than its virtio-net header, refuses it and, with PACKET_LOSS,
 * gives the slot back and goes on, so the next kick passes over them.  A
 * slot emptied by an earlier drop is not counted again.
 */
static void
pktring_tx_drop(struct pktring_tx *t, struct pktring_tx_dropped *dropped)
{
	struct tpacket2_hdr	*h;
	uint32_t		 i = t->last, seen;

	for (seen = 0; seen < t->ring.frame_nr; seen++) {
		h = pktring_tx_slot(t, i);
		if (!(pktring_tx_status(h) & TP_STATUS_SEND_REQUEST))
			break;
		if (h->tp_len != 0) {
			dropped->frames++;
			dropped->bytes += h->tp_len - PKTRING_TX_VNET;
		}
		h->tp_len = 0;
		i = i == 0 ? t->ring.frame_nr - 1 : i - 1;
	}
}

int
pktring_tx_kick(struct pktring_tx *t, int fd, struct pktring_tx_dropped *dropped)
{
	int	 err;

	dropped->frames = 0;
	dropped->bytes = 0;
	if (!t->pending)
		return 0;
	while (send(fd, NULL, 0, MSG_DONTWAIT) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == ENOBUFS)
			break;
		err = errno;
		pktring_tx_drop(t, dropped);
		t->pending = false;
		errno = err;
		return -1;
	}
	/* the kernel stops at the first slot it has no send buffer for, and
	 * may say so by a short count rather than EAGAIN: whether the last
	 * slot filled is still a request is what tells */
	t->pending = (pktring_tx_status(pktring_tx_slot(t, t->last)) &
	    TP_STATUS_SEND_REQUEST) != 0;
	return t->pending ? 1 : 0;
}

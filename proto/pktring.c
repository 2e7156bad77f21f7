/*
 * The receive ring of a packet socket (pktring.h).
 */
#include <sys/mman.h>
#include <sys/socket.h>

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

int
pktring_map(struct pktring *r, int fd, uint32_t nbufs, uint32_t buf_size)
{
	struct tpacket_req	 req;
	void			*map;
	size_t			 len;

	memset(r, 0, sizeof(*r));
	pktring_geometry(nbufs, buf_size, &req);
	len = (size_t)req.tp_block_size * req.tp_block_nr;
	/* a socket without a ring (or with another geometry) refuses */
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	r->map = map;
	r->len = len;
	r->block_size = req.tp_block_size;
	r->frame_size = req.tp_frame_size;
	r->frames_per_block = req.tp_block_size / req.tp_frame_size;
	r->frame_nr = req.tp_frame_nr;
	return 0;
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

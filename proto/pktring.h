/*
 * The receive ring of a NIC's packet socket (PACKET_RX_RING, TPACKET_V2).
 *
 * The kernel copies each frame the socket's filter admits straight into a
 * slot of memory shared with netd, in the sender's soft-interrupt, and netd
 * takes frames out of it without a system call: no recvmmsg per batch, no
 * socket buffer to free per frame, no control message for the receive stamp
 * (the slot header carries it).  The supervisor sets the ring up on the
 * socket before binding it (so no frame ever waits in the ordinary receive
 * queue); netd maps it.  Both derive the same geometry from the NIC's
 * shared-memory ring (nbufs buffers of buf_size bytes): a slot holds any
 * frame a buffer can hold, and there are at least nbufs slots, so the kernel
 * keeps as many frames for netd as the socket buffer did before.
 *
 * The reader starts at slot 0, where the kernel starts: the slot headers
 * carry no sequence number, so a reader that came to a ring another had
 * used would not know the kernel's position.  Hence one socket, one netd:
 * the supervisor opens a new socket for every netd it starts (first start,
 * restart, reload's socket switch), never hands a used one on.
 *
 * TPACKET_V2, not V3: V3 hands frames over a block at a time, when the block
 * is full or its timer (a millisecond or more) expires; V2 hands over every
 * frame at once, which is what a QD1 request needs.
 *
 * The transmit ring (struct pktring_tx, PACKET_TX_RING) is on a socket of
 * its own, for small frames only.  netd copies each into a slot and one
 * send() hands the kernel all of them.  sendmmsg() looks for a reschedule
 * after every message, so when a reply wakes an initiator that shares the
 * CPU, the initiator runs before the next reply goes out and takes the
 * replies one wake-up each: at MTU 1500 a 4 KiB read is four.  The ring's
 * one call does not stop between frames.  Big frames still go by
 * sendmmsg(): the kernel hangs the bytes after the Ethernet header of a
 * ring frame on the packet as pages of the ring, and a veth (any forward)
 * copies them again into pages of its own, a second copy of the payload
 * that cost 20-30 % of the throughput at MTU 9000.  For the same reason
 * each slot starts with a virtio-net header (PACKET_VNET_HDR) whose
 * header length is the whole frame: the kernel then copies the frame into
 * the packet, as sendmmsg() does, instead of hanging ring pages on it,
 * which a veth would copy into a freshly allocated page per frame (that
 * cost 10-25 % at MTU 1500, QD 16 and 64).  A socket with a
 * transmit ring sends nothing else (the kernel then takes every send from
 * the ring), hence the second socket: bound to the NIC with protocol 0,
 * it hears nothing.
 */
#ifndef AOEDE_PROTO_PKTRING_H
#define AOEDE_PROTO_PKTRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#define PKTRING_HEADROOM	128	/* slot header, sockaddr_ll, alignment:
					 * the frame starts at tp_mac (66) */
#define PKTRING_BLOCK_MIN	65536	/* bytes per block, at least */

/* transmit slots: half a page each; PKTRING_TX_DATA into a slot (the
 * kernel's place without PACKET_TX_HAS_OFF) a virtio-net header, then the
 * frame */
#define PKTRING_TX_SLOT		2048
#define PKTRING_TX_DATA		TPACKET_ALIGN(sizeof(struct tpacket2_hdr))
#define PKTRING_TX_VNET		sizeof(struct virtio_net_hdr)
#define PKTRING_TX_MAX		(PKTRING_TX_SLOT - PKTRING_TX_DATA - PKTRING_TX_VNET)

struct pktring {
	uint8_t		*map;		/* NULL: no ring (recvmmsg instead) */
	size_t		 len;
	uint32_t	 block_size, frame_size, frames_per_block, frame_nr;
	uint32_t	 head;		/* next slot to look at */
};

struct pktring_tx {
	struct pktring	 ring;		/* map NULL: no transmit ring; head:
					 * the next slot to fill */
	uint32_t	 last;		/* slot filled last */
	bool		 pending;	/* filled slots the kernel has not taken */
};

/* The ring geometry for a NIC whose buffers are nbufs x buf_size. */
void	pktring_geometry(uint32_t nbufs, uint32_t buf_size, struct tpacket_req *req);

/* Supervisor: TPACKET_V2 and the receive ring on an unbound packet socket;
 * 0, or -1 with errno. */
int	pktring_setup(int fd, uint32_t nbufs, uint32_t buf_size);

/* netd: map the ring pktring_setup() made on fd; 0, or -1 with errno
 * (EINVAL: the socket has no ring).  r is left unmapped on failure. */
int	pktring_map(struct pktring *r, int fd, uint32_t nbufs, uint32_t buf_size);
void	pktring_unmap(struct pktring *r);

/* The next frame the kernel filled, or NULL when there is none yet. */
struct tpacket2_hdr *pktring_peek(struct pktring *r);

/* Hand the slot pktring_peek() returned back to the kernel; next slot. */
void	pktring_release(struct pktring *r, struct tpacket2_hdr *h);

/* A filled slot's frame, its length (0 if the slot header points outside
 * the slot), whether the kernel cut it short (a frame bigger than a slot)
 * and its receive stamp in ns. */
const uint8_t	*pktring_frame(const struct tpacket2_hdr *h);
size_t		 pktring_len(const struct pktring *r, const struct tpacket2_hdr *h);
bool		 pktring_truncated(const struct tpacket2_hdr *h);
uint64_t	 pktring_stamp(const struct tpacket2_hdr *h);

/* The transmit ring for a NIC of nbufs buffers: a slot for each. */
void	pktring_tx_geometry(uint32_t nbufs, struct tpacket_req *req);

/* Supervisor: TPACKET_V2, PACKET_LOSS, PACKET_VNET_HDR and the transmit
 * ring on an unbound packet socket; 0, or -1 with errno. */
int	pktring_tx_setup(int fd, uint32_t nbufs);

/* netd: map the ring pktring_tx_setup() made on fd; 0, or -1 with errno
 * (EINVAL: the socket has no transmit ring).  t is left unmapped on
 * failure. */
int	pktring_tx_map(struct pktring_tx *t, int fd, uint32_t nbufs);
void	pktring_tx_unmap(struct pktring_tx *t);

/* Copy frame[0..len) into the next slot for the next pktring_tx_kick();
 * false if there is no ring, the frame is bigger than PKTRING_TX_MAX or
 * the slot is still the kernel's (a NIC has not sent it yet): send it
 * another way. */
bool	pktring_tx_put(struct pktring_tx *t, const uint8_t *frame, size_t len);

/* Have the kernel send every filled slot: one system call.  0: all taken;
 * 1: the socket's send buffer is full and some wait, kick again when fd
 * is writable; -1 with errno (the link is down, the NIC gone): the slots
 * not taken are dropped (*dropped says how many frames and bytes), as
 * sendmmsg() would have refused them. */
struct pktring_tx_dropped {
	uint32_t	 frames;
	uint64_t	 bytes;		/* the frames' own, without the header */
};
int	pktring_tx_kick(struct pktring_tx *t, int fd, struct pktring_tx_dropped *dropped);

#endif

/*
 * The packet socket: AF_PACKET SOCK_RAW bound to one interface and the AoE
 * EtherType, nonblocking, with batched sends and receives.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aoe.h"
#include "log.h"
#include "util.h"
#include "aoebench.h"

/* Big enough that a burst of replies at the full window never overflows,
 * even at jumbo MTU (the kernel charges truesize, not the frame length). */
#define PKT_SOCKBUF	(16 * 1024 * 1024)

static void
pkt_sockbuf(int fd, int force, int plain)
{
	int	 sz = PKT_SOCKBUF;

	/* the FORCE variants ignore rmem_max/wmem_max but need CAP_NET_ADMIN */
	if (setsockopt(fd, SOL_SOCKET, force, &sz, sizeof(sz)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, plain, &sz, sizeof(sz)) == -1)
		log_warn("setsockopt socket buffer");
}

static void
pkt_ifinfo(struct pkt *p, const char *ifname)
{
	struct ifreq	 ifr;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		fatalx("interface name too long: %s", ifname);
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name) - 1);
	memcpy(p->ifname, ifr.ifr_name, sizeof(p->ifname));
	if (ioctl(p->fd, SIOCGIFINDEX, &ifr) == -1)
		fatal("interface %s", ifname);
	p->ifindex = ifr.ifr_ifindex;
	if (ioctl(p->fd, SIOCGIFMTU, &ifr) == -1)
		fatal("SIOCGIFMTU %s", ifname);
	p->mtu = ifr.ifr_mtu;
	if (ioctl(p->fd, SIOCGIFHWADDR, &ifr) == -1)
		fatal("SIOCGIFHWADDR %s", ifname);
	memcpy(p->ifmac, ifr.ifr_hwaddr.sa_data, 6);
}

/* Replies to a MAC that is not the interface's own must still reach us:
 * ask the NIC to accept it (veth hands such frames to packet sockets anyway,
 * a real NIC filters them unless told). */
static void
pkt_add_unicast(struct pkt *p)
{
	struct packet_mreq	 mr;

	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = p->ifindex;
	mr.mr_type = PACKET_MR_UNICAST;
	mr.mr_alen = 6;
	memcpy(mr.mr_address, p->mac, 6);
	if (setsockopt(p->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
	    sizeof(mr)) == 0)
		return;
	log_debug("PACKET_MR_UNICAST: %s, trying promiscuous mode",
	    strerror(errno));
	mr.mr_type = PACKET_MR_PROMISC;
	mr.mr_alen = 0;
	if (setsockopt(p->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
	    sizeof(mr)) == -1)
		log_warn("promiscuous mode; replies to -M may be filtered");
}

/* Room for the largest frame the MTU allows plus the Ethernet header.  It
 * never shrinks: a reply sent before an MTU change may still come in. */
static void
pkt_fit_bufsize(struct pkt *p)
{
	size_t	 need = p->mtu + 14 + 64;

	if (need < 2048)
		need = 2048;
	if (need > p->bufsize)
		p->bufsize = need;
}

void
pkt_open(struct pkt *p, const char *ifname, const uint8_t *srcmac)
{
	struct sockaddr_ll	 sll;

	memset(p, 0, sizeof(*p));
	/* protocol 0 until bound: frames of other interfaces never queue up */
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd == -1)
		fatal("socket AF_PACKET");
	pkt_ifinfo(p, ifname);
	memcpy(p->mac, srcmac != NULL ? srcmac : p->ifmac, 6);
	pkt_sockbuf(p->fd, SO_RCVBUFFORCE, SO_RCVBUF);
	pkt_sockbuf(p->fd, SO_SNDBUFFORCE, SO_SNDBUF);

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(AOE_ETHERTYPE);
	sll.sll_ifindex = p->ifindex;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		fatal("bind %s", ifname);
	if (memcmp(p->mac, p->ifmac, 6) != 0)
		pkt_add_unicast(p);
	pkt_fit_bufsize(p);
}

int
pkt_refresh_mtu(struct pkt *p)
{
	struct ifreq	 ifr;
	unsigned	 old = p->mtu;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, p->ifname, sizeof(ifr.ifr_name));
	if (ioctl(p->fd, SIOCGIFMTU, &ifr) == -1) {
		log_debug("SIOCGIFMTU %s: %s", p->ifname, strerror(errno));
		return -1;
	}
	p->mtu = ifr.ifr_mtu;
	pkt_fit_bufsize(p);
	return p->mtu != old;
}

void
pkt_close(struct pkt *p)
{
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
}

int
pkt_send(struct pkt *p, uint8_t *frame, size_t len, size_t cap)
{
	len = aoe_pad(frame, len, cap);
	if (send(p->fd, frame, len, 0) == -1) {
		if (errno == EMSGSIZE)
			p->too_big++;
		return -1;
	}
	return 0;
}

int
pkt_send_batch(struct pkt *p, uint8_t *const *frames, const size_t *lens,
    unsigned n)
{
	struct mmsghdr	 msg[PKT_BATCH];
	struct iovec	 iov[PKT_BATCH];
	unsigned	 i;
	int		 r;

	if (n > PKT_BATCH)
		n = PKT_BATCH;
	memset(msg, 0, sizeof(msg[0]) * n);
	for (i = 0; i < n; i++) {
		iov[i].iov_base = frames[i];
		iov[i].iov_len = lens[i];
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	r = sendmmsg(p->fd, msg, n, 0);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -1;
	/*
	 * ENOBUFS (the peer's backlog is full), ENETDOWN and the like: the
	 * first frame is lost like on the wire, and its retransmission timer
	 * will send it again.  Counting it as sent keeps us from spinning.
	 * EMSGSIZE: our MTU shrank under the frame; the caller looks at
	 * too_big to find out and split its frames again.
	 */
	if (errno == EMSGSIZE)
		p->too_big++;
	log_debug("sendmmsg: %s", strerror(errno));
	return 1;
}

void
pkt_batch_init(struct pkt_batch *b, const struct pkt *p)
{
	unsigned	 i;
	size_t		 stride;

	memset(b, 0, sizeof(*b));
	/* placed for the kernel's copy into them (proto/util.h) */
	b->buf = frame_bufs_alloc(PKT_BATCH, p->bufsize, &stride);
	if (b->buf == NULL)
		fatal("frame buffers");
	for (i = 0; i < PKT_BATCH; i++)
		b->frame[i] = b->buf + i * stride + FRAME_BUF_OFF;
}

void
pkt_batch_free(struct pkt_batch *b)
{
	free(b->buf);
	b->buf = NULL;
}

int
pkt_recv_batch(struct pkt *p, struct pkt_batch *b)
{
	struct mmsghdr	 msg[PKT_BATCH];
	struct iovec	 iov[PKT_BATCH];
	unsigned	 i;
	int		 r;

	memset(msg, 0, sizeof(msg));
	for (i = 0; i < PKT_BATCH; i++) {
		iov[i].iov_base = b->frame[i];
		iov[i].iov_len = p->bufsize;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	b->n = 0;
	r = recvmmsg(p->fd, msg, PKT_BATCH, MSG_DONTWAIT, NULL);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		fatal("recvmmsg");
	}
	for (i = 0; i < (unsigned)r; i++) {
		/* a truncated frame is shorter than its header says; the
		 * decoders then see it as short, which is what it is */
		b->len[i] = msg[i].msg_len;
		if (b->len[i] > p->bufsize)
			b->len[i] = p->bufsize;
	}
	b->n = r;
	return r;
}

int
pkt_wait(struct pkt *p, int want_out, int timeout_ms)
{
	struct pollfd	 pfd;
	int		 r;

	pfd.fd = p->fd;
	pfd.events = POLLIN | (want_out ? POLLOUT : 0);
	pfd.revents = 0;
	r = poll(&pfd, 1, timeout_ms);
	if (r == -1 && errno != EINTR)
		fatal("poll");
	return r > 0 ? pfd.revents : 0;
}

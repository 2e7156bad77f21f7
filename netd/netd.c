/*
 * aoede-netd: the packet side of one NIC.
 *
 * Set-up order (STYLE.md habit 1): logging tag → options → inherited
 * resources → event base → chroot + uid drop → seccomp → ready → loop.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aoe.h"
#include "fds.h"
#include "log.h"
#include "msg.h"
#include "netd.h"
#include "pktring.h"
#include "sandbox.h"
#include "stats.h"
#include "util.h"

#define NETD_STOP_TIMEOUT_SEC	5

static void	netd_service(struct netd *);
static void	netd_sock_enable(struct netd *, bool);
static void	netd_send_stats(struct netd *);
static int	netd_receive(struct netd *);
static void	netd_on_sock(evutil_socket_t, short, void *);
static void	netd_on_sock_writable(evutil_socket_t, short, void *);

static __attribute__((noreturn)) void
netd_usage(void)
{
	fprintf(stderr, "usage: aoede-netd -n ifname -i nic -N nbufs -B bufsize "
	    "-u uid:gid [-C root] [-P poll-us] [-v] -e shelf.slot[,shelf.slot...]\n"
	    "(started by aoede, with its resources on fds %d-%d)\n",
	    FD_CHANNEL, NETD_FD_LAST);
	exit(2);
}

static void
netd_parse_exports(struct netd *n, char *list)
{
	char		*tok, *dot;
	uint64_t	 shelf, slot;
	const char	*why;

	for (tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
		if ((dot = strchr(tok, '.')) == NULL)
			fatalx("bad export address %s", tok);
		*dot = '\0';
		if (parse_u64(tok, 0, 0xfffe, &shelf, &why) == -1 ||
		    parse_u64(dot + 1, 0, 0xfe, &slot, &why) == -1)
			fatalx("bad export address %s.%s", tok, dot + 1);
		if (n->nexports == NETD_MAX_EXPORTS)
			fatalx("too many exports");
		n->exports[n->nexports].shelf = shelf;
		n->exports[n->nexports].slot = slot;
		n->nexports++;
	}
}

/* The ring region netd was handed, mapped and checked against our own sizes. */
static void
netd_map_ring(struct netd *n, uint32_t nbufs, uint32_t bufsize)
{
	size_t	 size;
	void	*base;

	if ((size = ring_region_size(nbufs, bufsize)) == 0)
		fatalx("bad ring geometry %u × %u", nbufs, bufsize);
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, NETD_FD_RING, 0);
	if (base == MAP_FAILED)
		fatal("mmap ring");
	if (ring_region_attach(&n->rr, base, size, nbufs, bufsize) == -1)
		fatalx("ring region does not match its geometry");
	if ((n->free = calloc(nbufs, sizeof(*n->free))) == NULL ||
	    (n->sendq = calloc(nbufs, sizeof(*n->sendq))) == NULL ||
	    (n->sendlen = calloc(nbufs, sizeof(*n->sendlen))) == NULL ||
	    (n->at_peer = calloc(nbufs, 1)) == NULL)
		fatal("calloc");
}

/* The NIC's state by name; -1 if it is gone or is not the one our socket
 * is bound to any more (removed and created again). */
static int
netd_query_link(struct netd *n, uint32_t *mtu, uint8_t mac[6], bool *up)
{
	struct ifreq	 ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->ifname);
	if (ioctl(n->sock, SIOCGIFINDEX, &ifr) == -1 || ifr.ifr_ifindex != n->ifindex)
		return -1;
	if (ioctl(n->sock, SIOCGIFMTU, &ifr) == -1)
		return -1;
	*mtu = ifr.ifr_mtu;
	if (ioctl(n->sock, SIOCGIFHWADDR, &ifr) == -1)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(n->sock, SIOCGIFFLAGS, &ifr) == -1)
		return -1;
	*up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	return 0;
}

static void
netd_read_link(struct netd *n)
{
	struct sockaddr_ll	 sll;
	socklen_t		 len = sizeof(sll);

	if (getsockname(n->sock, (struct sockaddr *)&sll, &len) == -1)
		fatal("getsockname");
	n->ifindex = sll.sll_ifindex;
	if (netd_query_link(n, &n->mtu, n->mac, &n->link_up) == -1)
		fatal("%s", n->ifname);
	ring_nic_info_write(n->rr.hdr, n->mtu, n->mac, n->link_up);
}

/* All buffers back to netd, both rings empty: only while blockd is detached. */
static void
netd_reset_ring(struct netd *n)
{
	uint32_t	 i;

	ring_region_reset(&n->rr);
	ring_prod_init(&n->rx, n->rr.rx, n->rr.nbufs);
	ring_cons_init(&n->tx, n->rr.tx, n->rr.nbufs);
	for (i = 0; i < n->rr.nbufs; i++) {
		n->free[i] = n->rr.nbufs - 1 - i;
		n->at_peer[i] = 0;
	}
	n->nfree = n->rr.nbufs;
	n->nsend = 0;
}

/* The packet ring the supervisor set up on our socket (pktring.h); without
 * one (the kernel refused it: memory) frames come by recvmmsg. */
static void
netd_map_pktring(struct netd *n)
{
	if (pktring_map(&n->pkt, n->sock, n->rr.nbufs, n->rr.buf_size) == -1)
		log_warn("%s: no packet ring; receiving with recvmmsg", n->ifname);
}

/* The transmit ring of our second socket (pktring.h), for small frames;
 * without one, every frame goes by sendmmsg. */
static void
netd_map_txring(struct netd *n)
{
	if (pktring_tx_map(&n->ptx, n->txsock, n->rr.nbufs) == -1)
		log_warn("%s: no transmit ring; sending with sendmmsg only", n->ifname);
}

/* netd's allowlist: its packet socket, its doorbells and channel, memory. */
static void
netd_seccomp(void)
{
	scmp_filter_ctx		 ctx;

	ctx = sandbox_seccomp_new();
	sandbox_seccomp_allow_common(ctx);
	sandbox_seccomp_allow(ctx, SCMP_SYS(recvmmsg));
	sandbox_seccomp_allow(ctx, SCMP_SYS(sendmmsg));
	/* send(fd, NULL, 0): the transmit ring's kick */
	sandbox_seccomp_allow(ctx, SCMP_SYS(sendto));
	/* link facts only: MTU, MAC, flags of our own NIC */
	sandbox_seccomp_allow_arg(ctx, SCMP_SYS(ioctl), 1, SIOCGIFMTU);
	sandbox_seccomp_allow_arg(ctx, SCMP_SYS(ioctl), 1, SIOCGIFHWADDR);
	sandbox_seccomp_allow_arg(ctx, SCMP_SYS(ioctl), 1, SIOCGIFFLAGS);
	sandbox_seccomp_allow_arg(ctx, SCMP_SYS(ioctl), 1, SIOCGIFINDEX);
	sandbox_seccomp_load(ctx);
}

/* --- receive path ---------------------------------------------------- */

static bool
netd_exported(const struct netd *n, uint16_t major, uint8_t minor)
{
	unsigned	 i;

	for (i = 0; i < n->nexports; i++) {
		if ((major == AOE_MAJOR_ANY || major == n->exports[i].shelf) &&
		    (minor == AOE_MINOR_ANY || minor == n->exports[i].slot))
			return true;
	}
	return false;
}

int
netd_check_frame(const struct netd *n, const uint8_t *frame, size_t len,
    enum netd_drop *why)
{
	struct aoe_hdr	 h;
	size_t		 need;

	if (aoe_hdr_decode(frame, len, &h) != 0) {
		*why = len < AOE_HDR_LEN ? NETD_DROP_SHORT : NETD_DROP_TYPE;
		return -1;
	}
	if (h.flags & AOE_FLAG_RESP) {
		*why = NETD_DROP_RESPONSE;
		return -1;
	}
	if (h.ver != AOE_VERSION) {
		*why = NETD_DROP_VERSION;
		return -1;
	}
	switch (h.cmd) {
	case AOE_CMD_ATA:	need = AOE_ATA_HDR_LEN; break;
	case AOE_CMD_CFG:	need = AOE_CFG_HDR_LEN; break;
	case AOE_CMD_MASK:	need = AOE_MASK_HDR_LEN; break;
	case AOE_CMD_RSV:	need = AOE_RSV_HDR_LEN; break;
	default:		need = AOE_HDR_LEN; break;	/* blockd answers BADCMD */
	}
	if (len < need) {
		*why = NETD_DROP_SHORT;
		return -1;
	}
	if (!netd_exported(n, h.major, h.minor)) {
		*why = NETD_DROP_NOTOURS;
		return -1;
	}
	return 0;
}

static void
netd_set_address(uint8_t *frame, uint16_t shelf, uint8_t slot)
{
	frame[16] = shelf >> 8;
	frame[17] = shelf & 0xff;
	frame[18] = slot;
}

static void
netd_to_peer(struct netd *n, uint32_t idx, size_t len, uint16_t flags)
{
	struct ring_desc	 d = { .buf = idx, .len = len, .flags = flags };

	if (!ring_prod_put(&n->rx, &d))
		fatalx("rx ring full with a buffer in hand: ring accounting broken");
	n->at_peer[idx] = 1;
}

/*
 * A request for several of our exports (broadcast shelf and/or slot) becomes
 * one frame per export, each addressed to it, so that blockd always answers
 * one request with at most one reply in the request's own buffer.
 */
static void
netd_fan_out(struct netd *n, uint32_t idx, size_t len)
{
	uint8_t		*frame = ring_frame(&n->rr, idx);
	uint16_t	 major = (uint16_t)frame[16] << 8 | frame[17];
	uint8_t		 minor = frame[18];
	bool		 first = true;
	uint32_t	 copy;
	unsigned	 i;

	for (i = 0; i < n->nexports; i++) {
		const struct netd_export *x = &n->exports[i];

		if ((major != AOE_MAJOR_ANY && major != x->shelf) ||
		    (minor != AOE_MINOR_ANY && minor != x->slot))
			continue;
		if (first) {
			copy = idx;
			first = false;
		} else if (n->nfree > 0) {
			copy = n->free[--n->nfree];
			memcpy(ring_frame(&n->rr, copy), frame, len);
		} else {
			n->st.drops[NETD_DROP_NOBUF]++;
			continue;
		}
		netd_set_address(ring_frame(&n->rr, copy), x->shelf, x->slot);
		netd_to_peer(n, copy, len, 0);
	}
}

static void
netd_publish_rx(struct netd *n)
{
	if (ring_prod_publish(&n->rx)) {
		n->st.doorbells++;
		if (doorbell_ring(n->rx_bell) == -1)
			fatal("rx doorbell");
	}
}

/* The kernel's receive stamp of a frame (SO_TIMESTAMPNS, set by the
 * supervisor on every packet socket); 0 if it has none. */
static uint64_t
netd_rx_stamp(struct msghdr *mh)
{
	struct cmsghdr	*cm;
	struct timespec	 ts;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(ts))) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
		}
	}
	return 0;
}

static bool
netd_in_list(const struct netd_export *list, unsigned n, uint16_t major, uint8_t minor)
{
	unsigned	 i;

	for (i = 0; i < n; i++) {
		if ((major == AOE_MAJOR_ANY || major == list[i].shelf) &&
		    (minor == AOE_MINOR_ANY || minor == list[i].slot))
			return true;
	}
	return false;
}

/* A frame of the new socket that was also on the old one, and handled
 * from there (see struct netd). */
static bool
netd_seen_on_old_socket(const struct netd *n, const uint8_t *frame, size_t len,
    uint64_t stamp)
{
	if (n->dup_cutoff_ns == 0 || stamp == 0 || stamp > n->dup_cutoff_ns ||
	    len < AOE_HDR_LEN)
		return false;
	return netd_in_list(n->old_exports, n->nold,
	    (uint16_t)frame[16] << 8 | frame[17], frame[18]);
}

/*
 * A frame just received (into buffer idx when it came by recvmmsg; still in
 * the packet ring when idx is NETD_NO_BUF): counted, dropped if it is a
 * copy already handled from the old socket, truncated or malformed, else
 * handed to blockd.  A buffer it came in goes back to the free stack if the
 * frame is dropped.
 */
#define NETD_NO_BUF	UINT32_MAX

static void
netd_take_frame(struct netd *n, const uint8_t *frame, size_t len, bool truncated,
    uint64_t stamp, bool from_new, uint32_t idx)
{
	enum netd_drop	 why = NETD_DROP_SHORT;

	n->st.frames_in++;
	n->st.bytes_in += len;
	if (from_new && netd_seen_on_old_socket(n, frame, len, stamp)) {
		n->dups++;
		goto unused;
	}
	n->last_rx_ns = stamp;
	if (truncated || netd_check_frame(n, frame, len, &why) == -1) {
		n->st.drops[why]++;
		goto unused;
	}
	if (idx == NETD_NO_BUF) {
		idx = n->free[--n->nfree];
		memcpy(ring_frame(&n->rr, idx), frame, len);
	}
	netd_fan_out(n, idx, len);
	return;
unused:
	if (idx != NETD_NO_BUF)
		n->free[n->nfree++] = idx;
}

/* Up to a batch of frames from a socket's packet ring while a buffer is
 * free (checked before every frame: a broadcast takes one per export);
 * returns frames taken, and *empty when the ring had no more. */
static int
netd_receive_ring(struct netd *n, struct pktring *pr, bool from_new, bool *empty)
{
	struct tpacket2_hdr	*h;
	unsigned		 got = 0;
	size_t			 len;

	*empty = false;
	while (got < NETD_BATCH && n->nfree > 0) {
		if ((h = pktring_peek(pr)) == NULL) {
			*empty = true;
			break;
		}
		/* a slot holds a little more than a buffer: the rest is cut */
		len = pktring_len(pr, h);
		netd_take_frame(n, pktring_frame(h), len,
		    pktring_truncated(h) || len > ring_frame_cap(&n->rr),
		    pktring_stamp(h), from_new, NETD_NO_BUF);
		pktring_release(pr, h);
		got++;
	}
	return got;
}

/* One recvmmsg batch into free buffers from a socket: the way in when it
 * has no packet ring, and what collects its errors (ENETDOWN) when it has
 * one.  Returns frames received, 0 on EAGAIN (*empty). */
static int
netd_receive_queue(struct netd *n, int fd, bool *empty)
{
	static union {
		char		 buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr	 align;
	}		 ctl[NETD_BATCH];
	struct mmsghdr	 msgs[NETD_BATCH];
	struct iovec	 iov[NETD_BATCH];
	uint32_t	 idx[NETD_BATCH];
	unsigned	 want, i;
	int		 got;

	*empty = false;
	want = n->nfree < NETD_BATCH ? n->nfree : NETD_BATCH;
	for (i = 0; i < want; i++) {
		idx[i] = n->free[n->nfree - 1 - i];
		iov[i].iov_base = ring_frame(&n->rr, idx[i]);
		iov[i].iov_len = ring_frame_cap(&n->rr);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_control = ctl[i].buf;
		msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
	}
	got = recvmmsg(fd, msgs, want, MSG_DONTWAIT, NULL);
	if (got < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			*empty = errno == EAGAIN;
			return 0;
		}
		/* a NIC going down reports ENETDOWN here: not fatal; the link
		 * watcher notices what happened */
		if (n->st.recv_errors++ == 0)
			log_warn("recvmmsg on %s", n->ifname);
		return 0;
	}
	n->nfree -= got;
	for (i = 0; i < (unsigned)got; i++)
		netd_take_frame(n, ring_frame(&n->rr, idx[i]), msgs[i].msg_len,
		    msgs[i].msg_hdr.msg_flags & MSG_TRUNC,
		    netd_rx_stamp(&msgs[i].msg_hdr), fd == n->sock, idx[i]);
	return got;
}

/* The socket being read, and its ring: the old one while it drains. */
static int
netd_reading(struct netd *n, struct pktring **pr)
{
	bool	 old = n->old_sock >= 0;

	*pr = old ? &n->old_pkt : &n->pkt;
	return old ? n->old_sock : n->sock;
}

/* One batch from the socket being read. */
static int
netd_receive_batch(struct netd *n, bool *empty)
{
	struct pktring	*pr;
	int		 fd = netd_reading(n, &pr);

	if (pr->map != NULL)
		return netd_receive_ring(n, pr, fd == n->sock, empty);
	return netd_receive_queue(n, fd, empty);
}

/* The socket libevent watches for reading: the old one while it drains. */
static void
netd_watch_socket(struct netd *n)
{
	bool	 reading = n->sock_reading;

	if (n->ev_sock != NULL) {
		event_free(n->ev_sock);
		event_free(n->ev_sock_w);
	}
	n->ev_sock = event_new(n->base, n->old_sock >= 0 ? n->old_sock : n->sock,
	    EV_READ | EV_PERSIST, netd_on_sock, n);
	n->ev_sock_w = event_new(n->base, n->sock, EV_WRITE, netd_on_sock_writable, n);
	if (n->ev_sock == NULL || n->ev_sock_w == NULL)
		fatalx("event_new");
	n->sock_reading = false;
	netd_sock_enable(n, reading);
}

/* The old socket is empty: every frame still to come is on the new one. */
static void
netd_close_old_socket(struct netd *n)
{
	close(n->old_sock);
	pktring_unmap(&n->old_pkt);
	n->old_sock = -1;
	n->dup_cutoff_ns = n->last_rx_ns;
	netd_watch_socket(n);
	log_debug("old packet socket drained; reading the new one");
	/* the reload is in effect here: its reply has waited for this */
	if (msg_send_u64(n->chan, MSG_NIC_SOCKET_DONE, "seq", n->sock_seq) == -1)
		fatal("channel");
}

static int
netd_receive(struct netd *n)
{
	int		 total = 0, got;
	unsigned	 want;
	bool		 empty;

	while (n->state == NETD_RUNNING && n->nfree > 0 && total < NETD_RX_BUDGET) {
		want = n->nfree < NETD_BATCH ? n->nfree : NETD_BATCH;
		if ((got = netd_receive_batch(n, &empty)) <= 0) {
			if (empty && n->old_sock >= 0) {
				netd_close_old_socket(n);
				continue;
			}
			break;
		}
		total += got;
		/* publish per batch: blockd starts on it while we read more */
		netd_publish_rx(n);
		/* a short batch emptied the socket: another call would only
		 * say EAGAIN (one system call per wake-up saved); the old
		 * socket is read until it says so */
		if ((unsigned)got < want && n->old_sock < 0)
			break;
	}
	if (n->nfree == 0 && n->state == NETD_RUNNING) {
		n->st.ring_full++;
		netd_sock_enable(n, false);	/* back-pressure */
	}
	return total;
}

/* Ask blockd for an unsolicited config response per export (start, link up). */
static void
netd_announce(struct netd *n)
{
	unsigned	 i;
	uint32_t	 idx;
	uint8_t		*f;

	for (i = 0; i < n->nexports && n->nfree > 0; i++) {
		idx = n->free[--n->nfree];
		f = ring_frame(&n->rr, idx);
		memset(f, 0, AOE_MIN_FRAME);
		memset(f, 0xff, 6);
		memcpy(f + 6, n->mac, 6);
		f[12] = AOE_ETHERTYPE >> 8;
		f[13] = AOE_ETHERTYPE & 0xff;
		f[14] = AOE_VERSION << 4;
		netd_set_address(f, n->exports[i].shelf, n->exports[i].slot);
		f[19] = AOE_CMD_CFG;
		netd_to_peer(n, idx, AOE_MIN_FRAME, RING_F_ANNOUNCE);
	}
	netd_publish_rx(n);
}

/* --- send path -------------------------------------------------------- */

static void
netd_buffer_home(struct netd *n, uint32_t idx)
{
	n->free[n->nfree++] = idx;
}

static void
netd_count_sent(struct netd *n, size_t len)
{
	n->st.frames_out++;
	n->st.bytes_out += len;
}

/*
 * Small frames into the socket's transmit ring (pktring.h), all sent by one
 * system call that does not stop between them: the rest stay queued for
 * sendmmsg.  A frame bigger than the MTU is left to sendmmsg too, which
 * refuses it and counts the error, as it did before (the MTU shrank while
 * replies were queued).
 */
static void
netd_send_small(struct netd *n)
{
	struct pktring_tx_dropped dropped;
	uint32_t	 i, idx, keep = 0;
	size_t		 len;

	for (i = 0; i < n->nsend; i++) {
		idx = n->sendq[i];
		len = n->sendlen[idx];
		if (len <= n->mtu + AOE_ETH_HDR_LEN &&
		    pktring_tx_put(&n->ptx, ring_frame(&n->rr, idx), len)) {
			netd_count_sent(n, len);
			n->st.frames_out_ring++;
			netd_buffer_home(n, idx);
		} else
			n->sendq[keep++] = idx;
	}
	n->nsend = keep;
	switch (pktring_tx_kick(&n->ptx, n->txsock, &dropped)) {
	case 1:		/* the send buffer is full: again when it has room */
		event_add(n->ev_txsock_w, NULL);
		break;
	case -1:	/* link down, NIC gone: the initiator retransmits */
		n->st.send_errors += dropped.frames;
		/* counted as sent when they were put in the ring; they were not */
		n->st.frames_out -= dropped.frames;
		n->st.frames_out_ring -= dropped.frames;
		n->st.bytes_out -= dropped.bytes;
		break;
	}
}

/* Send what is queued; keeps the rest queued when the socket is full. */
static void
netd_flush_sendq(struct netd *n)
{
	struct mmsghdr	 msgs[NETD_BATCH];
	struct iovec	 iov[NETD_BATCH];
	unsigned	 i, batch, done = 0;
	int		 sent;

	netd_send_small(n);

	while (done < n->nsend) {
		batch = n->nsend - done < NETD_BATCH ? n->nsend - done : NETD_BATCH;
		for (i = 0; i < batch; i++) {
			uint32_t idx = n->sendq[done + i];

			iov[i].iov_base = ring_frame(&n->rr, idx);
			iov[i].iov_len = n->sendlen[idx];
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(n->sock, msgs, batch, MSG_DONTWAIT);
		if (sent < 0) {
			if (errno == EAGAIN || errno == ENOBUFS) {
				event_add(n->ev_sock_w, NULL);
				break;
			}
			if (errno == EINTR)
				continue;
			/* link down, NIC gone: the initiator retransmits */
			n->st.send_errors++;
			sent = 1;
		} else {
			for (i = 0; i < (unsigned)sent; i++)
				netd_count_sent(n, iov[i].iov_len);
		}
		for (i = 0; i < (unsigned)sent; i++)
			netd_buffer_home(n, n->sendq[done + i]);
		done += sent;
	}
	memmove(n->sendq, n->sendq + done, (n->nsend - done) * sizeof(*n->sendq));
	n->nsend -= done;
}

/* Take what blockd returned; false if nothing was there. */
static bool
netd_drain_tx(struct netd *n)
{
	struct ring_desc	 d;
	bool			 any = false;
	int			 rc;
	uint8_t			*f;

	while ((rc = ring_cons_get(&n->tx, &d)) == 1) {
		any = true;
		if (d.buf >= n->rr.nbufs || !n->at_peer[d.buf] ||
		    (!(d.flags & RING_F_RETURN) && !ring_desc_valid(&n->rr, &d))) {
			n->st.tx_bad_desc++;
			continue;
		}
		n->at_peer[d.buf] = 0;
		if (d.flags & RING_F_RETURN) {
			netd_buffer_home(n, d.buf);
			continue;
		}
		f = ring_frame(&n->rr, d.buf);
		if (d.len < AOE_MIN_FRAME) {
			memset(f + d.len, 0, AOE_MIN_FRAME - d.len);
			d.len = AOE_MIN_FRAME;
		}
		n->sendlen[d.buf] = d.len;
		n->sendq[n->nsend++] = d.buf;
	}
	if (rc == -1)
		fatalx("blockd broke the tx ring");
	if (any)
		ring_cons_release(&n->tx);
	return any;
}

static void
netd_sock_enable(struct netd *n, bool on)
{
	if (on == n->sock_reading)
		return;
	if (on)
		event_add(n->ev_sock, NULL);
	else
		event_del(n->ev_sock);
	n->sock_reading = on;
}

/* Run after every event: move tx to the wire until the ring is empty and
 * blockd knows to ring the doorbell, then decide whether to read the socket. */
static void
netd_service(struct netd *n)
{
	n->st.loops++;
	for (;;) {
		netd_drain_tx(n);
		netd_flush_sendq(n);
		if (ring_cons_prepare_sleep(&n->tx))
			break;
	}
	if (n->state == NETD_STOPPING && n->nfree == n->rr.nbufs) {
		log_debug("all buffers back; exiting");
		exit(0);
	}
	/* an old socket that is already empty never wakes us: look now */
	if (n->old_sock >= 0 && n->state == NETD_RUNNING && n->nfree > 0)
		netd_receive(n);
	netd_sock_enable(n, n->state == NETD_RUNNING && n->nfree > 0);
}

/*
 * Busy-poll (-P): after a burst, keep looking at the tx ring and the socket
 * for poll_ns after the last frame instead of sleeping at once.  Waking a
 * sleeping process on an idle CPU costs more than the request itself on a
 * virtual machine (an IPI and the hypervisor's idle exit, 10-30 us each),
 * and every request crosses netd -> blockd -> netd.  While we poll, blockd
 * sees need_wakeup clear and rings no doorbell.  sched_yield() between looks
 * hands the CPU to whatever else is runnable on it (blockd, the initiator on
 * a shared machine), so polling costs idle time, not other tasks' time.
 * Bounded by NETD_POLL_MAX_NS so the channel and timers are served.
 */
static void
netd_busy_poll(struct netd *n)
{
	struct busy_poll bp;
	bool		 work;

	if (n->poll_ns == 0 || n->state != NETD_RUNNING)
		return;
	ring_cons_awake(&n->tx);
	busy_poll_begin(&bp, n->poll_ns, NETD_POLL_MAX_NS);
	do {
		work = false;
		if (ring_cons_pending(&n->tx)) {
			netd_drain_tx(n);
			netd_flush_sendq(n);
			work = true;
		}
		if (n->nfree > 0 && n->old_sock < 0 && netd_receive(n) > 0)
			work = true;
	} while (busy_poll_next(&bp, work) && n->state == NETD_RUNNING);
	/* the socket is watched again and need_wakeup set by the caller's
	 * netd_service() */
}

/* --- events --------------------------------------------------------- */

/* Woken with nothing in the packet ring: what woke us is in the socket's
 * own queue, an error (ENETDOWN) most likely; read it, or epoll would say
 * the same again at once. */
static void
netd_receive_leftovers(struct netd *n)
{
	struct pktring	*pr;
	int		 fd = netd_reading(n, &pr);
	bool		 empty;

	if (pr->map != NULL && n->nfree > 0 && n->state == NETD_RUNNING)
		netd_receive_queue(n, fd, &empty);
}

static void
netd_on_sock(evutil_socket_t fd, short ev, void *arg)
{
	struct netd	*n = arg;
	uint64_t	 t0 = now_ns();

	if (netd_receive(n) == 0)
		netd_receive_leftovers(n);
	/* polling drains tx itself; netd_service() then prepares the sleep */
	netd_busy_poll(n);
	netd_service(n);
	n->st.busy_ns += now_ns() - t0;
}

static void
netd_on_sock_writable(evutil_socket_t fd, short ev, void *arg)
{
	netd_service(arg);
}

static void
netd_on_tx_bell(evutil_socket_t fd, short ev, void *arg)
{
	struct netd	*n = arg;
	uint64_t	 t0 = now_ns();

	if (doorbell_drain(n->tx_bell) == -1)
		fatal("tx doorbell");
	ring_cons_awake(&n->tx);
	netd_busy_poll(n);
	netd_service(n);
	n->st.busy_ns += now_ns() - t0;
}

static void
netd_on_stop_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct netd	*n = arg;

	log_warnx("stopping with %u buffers still at blockd", n->rr.nbufs - n->nfree);
	exit(0);
}

/*
 * A reload changed our exports: a new socket with the new locked filter and
 * the new list.  The old socket is drained first (struct netd); then we
 * say nic-socket-done, which the reload's reply waits for.  If the
 * previous switch has not finished yet, its old socket — which saw nothing
 * the one replaced now did not also see — is simply closed, and the one
 * nic-socket-done covers both.
 */
static void
netd_switch_socket(struct netd *n, struct msg_in *m)
{
	static char	 list[16 * NETD_MAX_EXPORTS];
	uint64_t	 seq;
	int		 fd;

	if (msg_get_str(m, "exports", list, sizeof(list)) == -1 ||
	    msg_get_u64(m, "seq", &seq) == -1 || msg_end(m) == -1 ||
	    (fd = msg_take_fd(m, 0)) == -1)
		fatalx("supervisor sent a malformed %s", m->type);
	if (n->old_sock >= 0) {
		close(n->old_sock);
		pktring_unmap(&n->old_pkt);
	}
	memcpy(n->old_exports, n->exports, sizeof(n->exports));
	n->nold = n->nexports;
	n->nexports = 0;
	netd_parse_exports(n, list);
	n->old_sock = n->sock;
	n->old_pkt = n->pkt;
	n->sock = fd;
	n->sock_seq = seq;
	netd_map_pktring(n);
	n->dup_cutoff_ns = 0;
	netd_watch_socket(n);
	log_info("new packet socket: %u export%s", n->nexports, n->nexports == 1 ? "" : "s");
	if (n->state == NETD_RUNNING)
		netd_announce(n);	/* the new exports say so at once */
}

static void
netd_handle_msg(struct netd *n, struct msg_in *m)
{
	struct timeval	 tv = { NETD_STOP_TIMEOUT_SEC, 0 };

	if (msg_is(m, MSG_NIC_SOCKET)) {
		netd_switch_socket(n, m);
		return;
	}
	if (msg_end(m) == -1)
		fatalx("supervisor sent %s with unexpected fields", m->type);
	if (msg_is(m, MSG_PEER_UP) && n->state == NETD_PAUSED) {
		n->state = NETD_RUNNING;
		netd_announce(n);
	} else if (msg_is(m, MSG_PEER_DOWN)) {
		if (n->state == NETD_RUNNING)
			n->state = NETD_PAUSED;
		netd_reset_ring(n);
		if (msg_send_simple(n->chan, MSG_PEER_DOWN_ACK) == -1)
			fatal("channel");
	} else if (msg_is(m, MSG_STOP)) {
		n->state = NETD_STOPPING;
		evtimer_add(n->ev_stop, &tv);
	} else
		fatalx("unexpected message %s from the supervisor", m->type);
}

static void
netd_on_chan(evutil_socket_t fd, short ev, void *arg)
{
	struct netd	*n = arg;
	struct msg_in	 m;
	const char	*why = "";
	int		 rc;

	rc = msg_recv(n->chan, &m, &why);
	if (rc == 0) {
		log_debug("supervisor closed the channel; exiting");
		exit(0);
	}
	if (rc == -1)
		fatal("channel: %s", why);
	netd_handle_msg(n, &m);
	msg_free(&m);
	netd_service(n);
}

/*
 * Once a second: notice link up/down and MTU changes (tell blockd through
 * the ring header, announce again when the link comes back or the MTU
 * changed), and exit when the NIC is gone: only the supervisor can open a
 * socket on the interface that replaces it.
 */
static void
netd_watch_link(struct netd *n)
{
	uint32_t	 mtu;
	uint8_t		 mac[6];
	bool		 up, changed;

	if (netd_query_link(n, &mtu, mac, &up) == -1) {
		log_warnx("%s is gone; exiting so that the supervisor reopens it", n->ifname);
		exit(NETD_EXIT_NIC_GONE);
	}
	changed = mtu != n->mtu || up != n->link_up || memcmp(mac, n->mac, 6) != 0;
	if (!changed)
		return;
	log_info("%s: link %s, MTU %u", n->ifname, up ? "up" : "down", mtu);
	n->st.link_changes++;
	n->mtu = mtu;
	memcpy(n->mac, mac, 6);
	n->link_up = up;
	ring_nic_info_write(n->rr.hdr, n->mtu, n->mac, n->link_up);
	if (up && n->state == NETD_RUNNING)
		netd_announce(n);
}

/* Counters to the supervisor; also our heartbeat. */
static void
netd_on_stats(evutil_socket_t fd, short ev, void *arg)
{
	struct netd		*n = arg;

	netd_watch_link(n);
	netd_send_stats(n);
	netd_service(n);
}

static void
netd_send_stats(struct netd *n)
{
	struct netd_stats_msg	 m = {
		.nic = n->nic,
		.mtu = n->mtu,
		.frames_in = n->st.frames_in,
		.frames_out = n->st.frames_out,
		.bytes_in = n->st.bytes_in,
		.bytes_out = n->st.bytes_out,
		.drop_short = n->st.drops[NETD_DROP_SHORT],
		.drop_type = n->st.drops[NETD_DROP_TYPE],
		.drop_response = n->st.drops[NETD_DROP_RESPONSE],
		.drop_version = n->st.drops[NETD_DROP_VERSION],
		.drop_notours = n->st.drops[NETD_DROP_NOTOURS],
		.drop_nobuf = n->st.drops[NETD_DROP_NOBUF],
		.ring_full = n->st.ring_full,
		.send_errors = n->st.send_errors,
		.frames_out_ring = n->st.frames_out_ring,
		.tx_bad_desc = n->st.tx_bad_desc,
		.doorbells = n->st.doorbells,
		.loops = n->st.loops,
		.busy_ns = n->st.busy_ns,
		.buffers_free = n->nfree,
		.recv_errors = n->st.recv_errors,
		.link_changes = n->st.link_changes,
	};

	mac_format(n->mac, m.mac);
	if (stats_netd_send(n->chan, &m) == -1 && errno != EAGAIN)
		fatal("channel");
}

static void
netd_events(struct netd *n)
{
	struct timeval	 tv = { MSG_STATS_INTERVAL_MS / 1000,
	    (MSG_STATS_INTERVAL_MS % 1000) * 1000 };

	if ((n->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	netd_watch_socket(n);
	n->ev_tx_bell = event_new(n->base, n->tx_bell, EV_READ | EV_PERSIST, netd_on_tx_bell, n);
	n->ev_chan = event_new(n->base, n->chan, EV_READ | EV_PERSIST, netd_on_chan, n);
	n->ev_stop = evtimer_new(n->base, netd_on_stop_timeout, n);
	n->ev_txsock_w = event_new(n->base, n->txsock, EV_WRITE, netd_on_sock_writable, n);
	if (!n->ev_tx_bell || !n->ev_chan || !n->ev_stop || !n->ev_txsock_w)
		fatalx("event_new");
	n->ev_stats = event_new(n->base, -1, EV_PERSIST, netd_on_stats, n);
	if (n->ev_stats == NULL)
		fatalx("event_new");
	event_add(n->ev_tx_bell, NULL);
	event_add(n->ev_chan, NULL);
	event_add(n->ev_stats, &tv);
}

int
netd_main(int argc, char *argv[])
{
	static struct netd	 netd;
	struct netd		*n = &netd;
	const char		*why, *root = SANDBOX_DEFAULT_ROOT, *ids = NULL;
	char			 tag[64], *exports = NULL;
	uint64_t		 nic = 0, nbufs = 0, bufsize = 0, poll_us = 0;
	uid_t			 uid;
	gid_t			 gid;
	int			 ch, verbose = 0;
	/* no file size limit: stderr may be a log file */
	struct sandbox_limits	 lim = { .nofile = 32, .fsize = RLIM_INFINITY };

	n->parent = getppid();
	log_init("netd", 0);
	while ((ch = getopt(argc, argv, "B:C:e:i:n:N:P:u:v")) != -1) {
		switch (ch) {
		case 'B': if (parse_u64(optarg, 4096, 1 << 20, &bufsize, &why) == -1) netd_usage(); break;
		case 'C': root = optarg; break;
		case 'e': exports = optarg; break;
		case 'i': if (parse_u64(optarg, 0, 63, &nic, &why) == -1) netd_usage(); break;
		case 'n': n->ifname = optarg; break;
		case 'N': if (parse_u64(optarg, 2, RING_MAX_BUFS, &nbufs, &why) == -1) netd_usage(); break;
		case 'P': if (parse_u64(optarg, 0, 1000, &poll_us, &why) == -1) netd_usage(); break;
		case 'u': ids = optarg; break;
		case 'v': verbose++; break;
		default: netd_usage();
		}
	}
	if (n->ifname == NULL || exports == NULL || ids == NULL || nbufs == 0 ||
	    bufsize == 0 || optind != argc || parse_ids(ids, &uid, &gid) == -1)
		netd_usage();
	snprintf(tag, sizeof(tag), "netd[%s]", n->ifname);
	log_init(tag, verbose);
	n->nic = nic;
	n->poll_ns = poll_us * 1000;
	n->chan = FD_CHANNEL;
	n->sock = NETD_FD_SOCKET;
	n->old_sock = -1;
	n->rx_bell = NETD_FD_RX_BELL;
	n->tx_bell = NETD_FD_TX_BELL;
	n->txsock = NETD_FD_TX_SOCKET;
	netd_parse_exports(n, exports);
	netd_map_ring(n, nbufs, bufsize);
	netd_map_pktring(n);
	netd_map_txring(n);
	netd_read_link(n);
	netd_events(n);

	sandbox_drop(root, uid, gid, n->parent, &lim);
	netd_seccomp();

	netd_reset_ring(n);
	n->state = NETD_PAUSED;
	if (msg_send_simple(n->chan, MSG_READY) == -1)
		fatal("channel");
	log_debug("ready: mtu %u, %u buffers of %u bytes", n->mtu, n->rr.nbufs, n->rr.buf_size);
	event_base_dispatch(n->base);
	fatalx("exited event loop");
}

/*
 * aoe-reflector: the ideal AoE target, for benchmarks only.
 *
 *	aoe-reflector [-b BUFCNT] [-B BATCH] [-z] [-v] IFACE SHELF SLOT SECTORS
 *
 * One process, one AF_PACKET socket, one loop: recvmmsg a batch of
 * requests (blocking until at least one is there), turn each into its reply
 * in the buffer it arrived in, sendmmsg the batch.
 *
 * Batch size (-B, default 4): on a 2-CPU machine a batch as large as the
 * queue depth makes initiator and target work in lock-step — the target
 * took 15.1 frames per recvmmsg at QD 16 and the two sides stopped
 * overlapping: 173k IOPS of random 4 KiB reads at B=64 against 285k at
 * B=1, 300k at B=4, 235k at B=8 (MTU 9000, veth).  Sequential 128 KiB
 * reads are 2.2–2.4 GB/s at any B.  4 is the best of both.  It answers Query Config
 * (read only; the config string is always empty), ATA IDENTIFY, READ and
 * WRITE (LBA28 and LBA48), FLUSH CACHE (a no-op) and nothing else.  Data
 * live in an anonymous memory image that is touched once at start, so a
 * READ costs one memcpy from RAM, like a target reading the page cache;
 * with -z the image does not exist: a READ answers with whatever the
 * buffer held and a WRITE is discarded (the packet path alone).
 *
 * There is no privilege separation, no sandbox, no durability and no
 * persistence: it is the ceiling AoEde's packet path is compared with
 * (bench/run.sh), not a target to export anything with.
 *
 * Buffer Count: 64 by default (-b), the most the Linux driver uses
 * (aoe_maxout) and AoEde's default.  The socket's receive buffer is forced
 * to hold 4 × BUFCNT frames of the largest size, so everything an
 * initiator that respects the Buffer Count has in flight fits.
 * Sector Count: (MTU − 36) / 512, like every AoE target.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aoe.h"
#include "log.h"
#include "util.h"

#define REFL_BATCH	64		/* most frames per recvmmsg/sendmmsg */
#define REFL_BATCH_DEFAULT 4	/* see the comment at the top */
#define REFL_FWVER	0x0001
#define REFL_SECTOR	512
#define REFL_SKB_TRUESIZE(len)	((len) + 1024)	/* a generous kernel overhead */

struct refl {
	int		 fd;
	int		 ifindex;
	unsigned	 mtu;
	uint8_t		 mac[6];
	uint16_t	 shelf;
	uint8_t		 slot;
	uint16_t	 bufcnt;
	unsigned	 batch;		/* frames per recvmmsg (-B) */
	unsigned	 maxscnt;	/* sectors per ATA command */
	uint64_t	 sectors;
	uint8_t		*image;		/* NULL with -z */
	size_t		 bufsize;	/* per frame buffer */
	uint8_t		*bufs;		/* REFL_BATCH buffers, stride apart */
	size_t		 stride;
	uint8_t		 ident[REFL_SECTOR];
	/* counters, printed at exit */
	uint64_t	 rx, tx, batches, reads, writes, cfgs, others, dropped;
};

static volatile sig_atomic_t	 refl_quit;

static void
refl_signal(int sig)
{
	refl_quit = 1;
}

static void
refl_usage(void)
{
	fprintf(stderr, "usage: aoe-reflector [-b BUFCNT] [-B BATCH] [-z] [-v] IFACE "
	    "SHELF SLOT SECTORS\n");
	exit(2);
}

static uint64_t
refl_number(const char *what, const char *s, uint64_t min, uint64_t max)
{
	const char	*why;
	uint64_t	 v;

	if (parse_u64(s, min, max, &v, &why) == -1) {
		fprintf(stderr, "aoe-reflector: %s %s: %s\n", what, s, why);
		exit(2);
	}
	return v;
}

static void
refl_put16le(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

/* ATA strings are byte-swapped pairs padded with spaces. */
static void
refl_ata_string(uint8_t *p, const char *s, size_t len)
{
	size_t	 i, n = strlen(s);

	for (i = 0; i < len; i++)
		p[i ^ 1] = i < n ? s[i] : ' ';
}

static void
refl_identify_init(struct refl *r)
{
	uint8_t		*d = r->ident;
	uint64_t	 lba28 = r->sectors < 0x0fffffff ? r->sectors : 0x0fffffff;
	unsigned	 i;
	char		 serial[21];

	memset(d, 0, sizeof(r->ident));
	refl_put16le(d + 2 * 47, 0x8000);
	refl_put16le(d + 2 * 49, 0x0200);	/* LBA */
	refl_put16le(d + 2 * 50, 0x4000);
	refl_put16le(d + 2 * 60, lba28);
	refl_put16le(d + 2 * 61, lba28 >> 16);
	refl_put16le(d + 2 * 83, 0x5400 | 0x2000);	/* LBA48, FLUSH EXT */
	refl_put16le(d + 2 * 84, 0x4000);
	refl_put16le(d + 2 * 86, 0x1400 | 0x2000);
	refl_put16le(d + 2 * 87, 0x4000);
	for (i = 0; i < 4; i++)
		refl_put16le(d + 2 * (100 + i), r->sectors >> (16 * i));
	snprintf(serial, sizeof(serial), "refl%u.%u", r->shelf, r->slot);
	refl_ata_string(d + 2 * 10, serial, 20);
	refl_ata_string(d + 2 * 23, "V1", 8);
	refl_ata_string(d + 2 * 27, "AoEde bench reflector", 40);
}

static void
refl_open(struct refl *r, const char *ifname)
{
	struct sockaddr_ll	 sll;
	struct ifreq		 ifr;
	int			 one = 1, sz;

	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (r->fd == -1)
		fatal("socket AF_PACKET");
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		fatalx("interface name too long: %s", ifname);
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name) - 1);
	if (ioctl(r->fd, SIOCGIFINDEX, &ifr) == -1)
		fatal("interface %s", ifname);
	r->ifindex = ifr.ifr_ifindex;
	if (ioctl(r->fd, SIOCGIFMTU, &ifr) == -1)
		fatal("SIOCGIFMTU %s", ifname);
	r->mtu = ifr.ifr_mtu;
	if (ioctl(r->fd, SIOCGIFHWADDR, &ifr) == -1)
		fatal("SIOCGIFHWADDR %s", ifname);
	memcpy(r->mac, ifr.ifr_hwaddr.sa_data, 6);

	r->maxscnt = aoe_mtu_sectors(r->mtu);
	r->bufsize = r->mtu + 14 + 64;
	if (r->bufsize < 2048)
		r->bufsize = 2048;
	sz = 4 * r->bufcnt * REFL_SKB_TRUESIZE(r->bufsize);
	if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		fatal("SO_RCVBUFFORCE");
	if (setsockopt(r->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) == -1)
		fatal("SO_SNDBUFFORCE");
	/* our own replies would otherwise come back to us */
	if (setsockopt(r->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
	    sizeof(one)) == -1)
		log_warn("PACKET_IGNORE_OUTGOING");
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(AOE_ETHERTYPE);
	sll.sll_ifindex = r->ifindex;
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		fatal("bind %s", ifname);
}

static void
refl_image(struct refl *r, int none)
{
	size_t	 size = r->sectors * REFL_SECTOR;

	if (none)
		return;
	r->image = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->image == MAP_FAILED)
		fatal("mmap %zu bytes", size);
	/* fault every page in now: a READ then copies from RAM, never from
	 * the shared zero page, and no fault lands in a measurement */
	memset(r->image, 0, size);
}

/* The ATA part of a reply: status and error registers, sector count 0. */
static size_t
refl_ata_status(uint8_t *f, uint8_t status, uint8_t err)
{
	f[25] = err;
	f[26] = 0;
	f[27] = status;
	return AOE_ATA_HDR_LEN;
}

/* Execute one ATA command in place; returns the reply length. */
static size_t
refl_ata(struct refl *r, uint8_t *f, size_t len)
{
	struct aoe_ata	 a;
	uint64_t	 lba;
	size_t		 n;

	if (aoe_ata_decode(f, len, &a) != 0)
		return 0;
	switch (a.cmd_status) {
	case ATA_CMD_IDENTIFY:
		memcpy(f + AOE_ATA_HDR_LEN, r->ident, REFL_SECTOR);
		refl_ata_status(f, ATA_STAT_DRDY, 0);
		r->others++;
		return AOE_ATA_HDR_LEN + REFL_SECTOR;
	case ATA_CMD_READ:
	case ATA_CMD_READ_EXT:
	case ATA_CMD_WRITE:
	case ATA_CMD_WRITE_EXT:
		break;
	case ATA_CMD_FLUSH:
	case ATA_CMD_FLUSH_EXT:
		r->others++;
		return refl_ata_status(f, ATA_STAT_DRDY, 0);
	default:
		r->others++;
		return refl_ata_status(f, ATA_STAT_DRDY | ATA_STAT_ERR,
		    ATA_ERR_ABRT);
	}
	lba = aoe_ata_lba(&a);
	n = (size_t)a.scnt * REFL_SECTOR;
	if (a.scnt > r->maxscnt)
		return refl_ata_status(f, ATA_STAT_DRDY | ATA_STAT_ERR,
		    ATA_ERR_ABRT);
	if (lba > r->sectors || a.scnt > r->sectors - lba)
		return refl_ata_status(f, ATA_STAT_DRDY | ATA_STAT_ERR,
		    ATA_ERR_IDNF);
	if (a.aflags & AOE_AFLAG_WRITE) {
		if (a.datalen < n)
			return refl_ata_status(f, ATA_STAT_DRDY | ATA_STAT_ERR,
			    ATA_ERR_ABRT);
		if (r->image != NULL)
			memcpy(r->image + lba * REFL_SECTOR, a.data, n);
		r->writes++;
		return refl_ata_status(f, ATA_STAT_DRDY, 0);
	}
	if (r->image != NULL)
		memcpy(f + AOE_ATA_HDR_LEN, r->image + lba * REFL_SECTOR, n);
	r->reads++;
	refl_ata_status(f, ATA_STAT_DRDY, 0);
	return AOE_ATA_HDR_LEN + n;
}

/* Query Config: only "read" is meaningful here; every CCmd is answered
 * as a read, with an empty config string. */
static size_t
refl_cfg(struct refl *r, uint8_t *f, size_t len)
{
	struct aoe_cfg	 c;
	int		 n;

	if (aoe_cfg_decode(f, len, &c) != 0)
		return 0;
	memset(&c, 0, sizeof(c));
	c.bufcnt = r->bufcnt;
	c.fwver = REFL_FWVER;
	c.scnt = r->maxscnt;
	c.aoever = AOE_VERSION;
	c.ccmd = AOE_CCMD_READ;
	n = aoe_cfg_encode(f, r->bufsize, &c);
	r->cfgs++;
	return n < 0 ? 0 : (size_t)n;
}

/* Turn the request in f into its reply; returns the padded reply length,
 * or 0 when there is nothing to answer. */
static size_t
refl_frame(struct refl *r, uint8_t *f, size_t len)
{
	struct aoe_hdr	 h;
	size_t		 out;

	if (aoe_hdr_decode(f, len, &h) != 0 || (h.flags & AOE_FLAG_RESP))
		return 0;
	if ((h.major != r->shelf && h.major != AOE_MAJOR_ANY) ||
	    (h.minor != r->slot && h.minor != AOE_MINOR_ANY))
		return 0;
	switch (h.cmd) {
	case AOE_CMD_ATA:
		out = refl_ata(r, f, len);
		break;
	case AOE_CMD_CFG:
		out = refl_cfg(r, f, len);
		break;
	default:
		return 0;
	}
	if (out == 0)
		return 0;
	aoe_hdr_make_response(f, r->mac, r->shelf, r->slot, 0);
	return aoe_pad(f, out, r->bufsize);
}

static void
refl_loop(struct refl *r)
{
	struct mmsghdr	 in[REFL_BATCH], out[REFL_BATCH];
	struct iovec	 iov[REFL_BATCH], oiov[REFL_BATCH];
	unsigned	 i, k, nout;
	size_t		 len;
	int		 n, s;

	memset(in, 0, sizeof(in));
	for (i = 0; i < REFL_BATCH; i++) {
		iov[i].iov_base = r->bufs + i * r->stride + FRAME_BUF_OFF;
		iov[i].iov_len = r->bufsize;
		in[i].msg_hdr.msg_iov = &iov[i];
		in[i].msg_hdr.msg_iovlen = 1;
	}
	while (!refl_quit) {
		/* blocks for the first frame, then takes what is queued */
		n = recvmmsg(r->fd, in, r->batch, MSG_WAITFORONE, NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("recvmmsg");
		}
		r->rx += n;
		r->batches++;
		memset(out, 0, sizeof(out[0]) * n);
		for (i = nout = 0; i < (unsigned)n; i++) {
			len = refl_frame(r, iov[i].iov_base, in[i].msg_len);
			if (len == 0) {
				r->dropped++;
				continue;
			}
			oiov[nout].iov_base = iov[i].iov_base;
			oiov[nout].iov_len = len;
			out[nout].msg_hdr.msg_iov = &oiov[nout];
			out[nout].msg_hdr.msg_iovlen = 1;
			nout++;
		}
		for (k = 0; k < nout; k += s) {
			s = sendmmsg(r->fd, out + k, nout - k, 0);
			if (s == -1) {
				if (errno == EINTR) {
					s = 0;
					continue;
				}
				/* ENOBUFS and the like: the frame is lost, as
				 * on the wire; the initiator retransmits */
				log_debug("sendmmsg: %s", strerror(errno));
				s = 1;
				continue;
			}
			r->tx += s;
		}
	}
}

int
main(int argc, char **argv)
{
	struct sigaction	 sa;
	struct refl		 r;
	int			 ch, none = 0, verbose = 0;
	char			 mac[MAC_STRLEN];

	memset(&r, 0, sizeof(r));
	r.bufcnt = 64;
	r.batch = REFL_BATCH_DEFAULT;
	while ((ch = getopt(argc, argv, "b:B:hvz")) != -1) {
		switch (ch) {
		case 'B':
			r.batch = refl_number("-B", optarg, 1, REFL_BATCH);
			break;
		case 'b':
			r.bufcnt = refl_number("-b", optarg, 2, 16384);
			break;
		case 'v':
			verbose++;
			break;
		case 'z':
			none = 1;
			break;
		default:
			refl_usage();
		}
	}
	if (argc - optind != 4)
		refl_usage();
	log_init("aoe-reflector", verbose);
	r.shelf = refl_number("shelf", argv[optind + 1], 0, AOE_MAJOR_ANY - 1);
	r.slot = refl_number("slot", argv[optind + 2], 0, AOE_MINOR_ANY - 1);
	r.sectors = refl_number("sectors", argv[optind + 3], 1, 1ULL << 40);

	refl_open(&r, argv[optind]);
	refl_image(&r, none);
	refl_identify_init(&r);
	/* placed as AoEde's own buffers are, for the kernel's copies
	 * (proto/util.h): a reflector slowed by them is no ceiling */
	if ((r.bufs = frame_bufs_alloc(REFL_BATCH, r.bufsize, &r.stride)) == NULL)
		fatal("frame buffers");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = refl_signal;	/* no SA_RESTART: recvmmsg returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	log_info("serving e%u.%u on %s (%s, MTU %u): %llu sectors, buffer "
	    "count %u, %u sectors per frame, %s", r.shelf, r.slot,
	    argv[optind], mac_format(r.mac, mac), r.mtu,
	    (unsigned long long)r.sectors, r.bufcnt, r.maxscnt,
	    r.image ? "memory image" : "no image (-z)");
	refl_loop(&r);
	log_info("frames in %llu, out %llu, batches %llu (%.1f per batch), "
	    "reads %llu, writes %llu, config %llu, other %llu, dropped %llu",
	    (unsigned long long)r.rx, (unsigned long long)r.tx,
	    (unsigned long long)r.batches,
	    r.batches ? (double)r.rx / r.batches : 0.0,
	    (unsigned long long)r.reads, (unsigned long long)r.writes,
	    (unsigned long long)r.cfgs, (unsigned long long)r.others,
	    (unsigned long long)r.dropped);
	return 0;
}

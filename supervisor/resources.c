/*
 * Everything privileged the children need, opened once by the supervisor:
 * packet sockets with their kernel filter, images, ring memfds, doorbells,
 * the users to drop to and the empty chroot directory.
 */
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/fs.h>
#include <net/if_arp.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aoe.h"
#include "config.h"
#include "log.h"
#include "pktring.h"
#include "ring.h"
#include "sandbox.h"
#include "supervisor.h"
#include "util.h"

#define SUP_BPF_ACCEPT		0x40000		/* snap length: whole frame */

/* --- the kernel filter ------------------------------------------------- */

static int
bpf_emit(struct sock_filter *prog, unsigned *n, unsigned max, uint16_t code,
    uint8_t jt, uint8_t jf, uint32_t k)
{
	if (*n == max)
		return -1;
	prog[*n] = (struct sock_filter){ code, jt, jf, k };
	(*n)++;
	return 0;
}

#define EMIT(code, jt, jf, k) \
	do { if (bpf_emit(prog, &n, max, (code), (jt), (jf), (k)) == -1) return -1; } while (0)

/*
 * Accept a frame for (shelf, slot) — or for the broadcast shelf or slot —
 * in a block of seven instructions whose jumps stay inside the block, so a
 * program for any number of exports needs no long jumps:
 *
 *	ld M[0]			major
 *	jeq #shelf, 0, 5	no: next block
 *	ld M[1]			minor
 *	jeq #slot, 2, 0		yes: accept
 *	jeq #0xff, 1, 0		broadcast slot: accept
 *	ja 1			next block
 *	ret #ACCEPT
 */
static int
bpf_accept_block(struct sock_filter *prog, unsigned *np, unsigned max,
    uint16_t shelf, uint8_t slot)
{
	unsigned	 n = *np;

	EMIT(BPF_LD | BPF_MEM, 0, 0, 0);
	EMIT(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, shelf);
	EMIT(BPF_LD | BPF_MEM, 0, 0, 1);
	EMIT(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, slot);
	EMIT(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AOE_MINOR_ANY);
	EMIT(BPF_JMP | BPF_JA, 0, 0, 1);
	EMIT(BPF_RET | BPF_K, 0, 0, SUP_BPF_ACCEPT);
	*np = n;
	return 0;
}

/*
 * The filter of NIC `nic`: addressed to this host (not a unicast frame for
 * another MAC), EtherType 0x88A2, R flag clear, for one of the exports on
 * that NIC or for the broadcast shelf.  Returns the number
 * of instructions, or -1 if it does not fit.
 */
int
sup_bpf_build(const struct sup *s, unsigned nic, struct sock_filter *prog, unsigned max)
{
	unsigned	 n = 0, i;

	/* a unicast frame for another host (veth and bridges do not filter) */
	EMIT(BPF_LD | BPF_B | BPF_ABS, 0, 0, SKF_AD_OFF + SKF_AD_PKTTYPE);
	EMIT(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, PACKET_OTHERHOST);
	EMIT(BPF_RET | BPF_K, 0, 0, 0);
	EMIT(BPF_LD | BPF_H | BPF_ABS, 0, 0, 12);		/* EtherType */
	EMIT(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AOE_ETHERTYPE);
	EMIT(BPF_RET | BPF_K, 0, 0, 0);
	EMIT(BPF_LD | BPF_B | BPF_ABS, 0, 0, 14);		/* ver | flags */
	EMIT(BPF_JMP | BPF_JSET | BPF_K, 0, 1, AOE_FLAG_RESP);
	EMIT(BPF_RET | BPF_K, 0, 0, 0);
	EMIT(BPF_LD | BPF_H | BPF_ABS, 0, 0, 16);		/* major */
	EMIT(BPF_ST, 0, 0, 0);
	EMIT(BPF_LD | BPF_B | BPF_ABS, 0, 0, 18);		/* minor */
	EMIT(BPF_ST, 0, 0, 1);
	for (i = 0; i < s->nexports; i++) {
		const struct sup_export *x = &s->exports[i];

		if (!(x->nic_mask & ((uint64_t)1 << nic)))
			continue;
		if (bpf_accept_block(prog, &n, max, x->shelf, x->slot) == -1 ||
		    bpf_accept_block(prog, &n, max, AOE_MAJOR_ANY, x->slot) == -1)
			return -1;
	}
	EMIT(BPF_RET | BPF_K, 0, 0, 0);
	return n;
}

#undef EMIT

/* --- NICs ------------------------------------------------------------ */

#define NIC_FAIL(...)	do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

/* ifindex, MTU and MAC of a NIC; -1 with err set if it cannot serve AoE */
int
sup_nic_facts(struct sup_nic *nic, char *err, size_t errlen)
{
	struct ifreq	 ifr;
	int		 fd = -1;

	if ((nic->ifindex = if_nametoindex(nic->name)) == 0)
		NIC_FAIL("no such network interface: %s", nic->name);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		NIC_FAIL("socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", nic->name);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == -1)
		NIC_FAIL("%s: SIOCGIFMTU: %s", nic->name, strerror(errno));
	nic->mtu = ifr.ifr_mtu;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1)
		NIC_FAIL("%s: SIOCGIFHWADDR: %s", nic->name, strerror(errno));
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		NIC_FAIL("%s is not an Ethernet interface", nic->name);
	memcpy(nic->mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	if (aoe_mtu_sectors(nic->mtu) < 2)
		NIC_FAIL("%s: MTU %u is too small for AoE (at least 1060)", nic->name, nic->mtu);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

static int
sup_setsockopt(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

/* Socket buffer bytes for every buffer of a NIC's ring, so the advertised
 * Buffer Count holds. */
static int
sup_nic_sockbuf(const struct sup_nic *nic)
{
	return nic->nbufs * (nic->mtu + AOE_ETH_HDR_LEN + 512);
}

/*
 * netd's transmit socket (pktring.h): a transmit ring for its small frames.
 * Bound to the NIC with protocol 0, it hears nothing.  Without the ring
 * (the kernel refused the memory) netd sends everything by sendmmsg on its
 * receiving socket; the socket is passed all the same, so netd's
 * descriptors stay where fds.h says.
 */
static int
sup_open_tx_socket(struct sup_nic *nic, int *txfd, char *err, size_t errlen)
{
	struct sockaddr_ll	 sll;
	int			 fd;

	if ((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		NIC_FAIL("AF_PACKET socket: %s (aoede needs CAP_NET_RAW)", strerror(errno));
	if (pktring_tx_setup(fd, nic->nbufs) == -1)
		log_warn("%s: no transmit ring; netd sends with sendmmsg", nic->name);
	if (sup_setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, sup_nic_sockbuf(nic)) == -1)
		NIC_FAIL("%s: socket buffers: %s", nic->name, strerror(errno));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = nic->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		NIC_FAIL("%s: bind: %s", nic->name, strerror(errno));
	*txfd = fd;
	return 0;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * The socket is created with protocol 0, so it receives nothing until it is
 * bound — after the filter is attached and locked: no unfiltered frame ever
 * reaches netd, and netd cannot swap the filter.
 */
static int
sup_open_rx_socket(struct sup *s, unsigned i, int *rxfd, char *err, size_t errlen)
{
	struct sup_nic		*nic = &s->nics[i];
	struct sock_filter	 prog[SUP_BPF_MAX];
	struct sock_fprog	 fprog;
	struct sockaddr_ll	 sll;
	int			 n, fd;

	if ((n = sup_bpf_build(s, i, prog, SUP_BPF_MAX)) < 0) {
		snprintf(err, errlen, "%s: too many exports for one kernel filter", nic->name);
		return -1;
	}
	fprog.len = n;
	fprog.filter = prog;
	if ((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		NIC_FAIL("AF_PACKET socket: %s (aoede needs CAP_NET_RAW)", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) == -1 ||
	    sup_setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, 1) == -1)
		NIC_FAIL("%s: attaching the filter: %s", nic->name, strerror(errno));
	/* our own replies need not come back to us */
	(void)sup_setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
	/* receive stamps: when a reload hands netd a new socket, a frame that
	 * both sockets got carries the same stamp on each (netd.h) */
	(void)sup_setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	/* frames straight into memory netd maps (pktring.h); before bind, so
	 * none waits in the ordinary queue.  Without it netd uses recvmmsg. */
	if (pktring_setup(fd, nic->nbufs, nic->buf_size) == -1)
		log_warn("%s: no packet ring; netd receives with recvmmsg", nic->name);
	if (sup_setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, sup_nic_sockbuf(nic)) == -1 ||
	    sup_setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, sup_nic_sockbuf(nic)) == -1)
		NIC_FAIL("%s: socket buffers: %s", nic->name, strerror(errno));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(AOE_ETHERTYPE);
	sll.sll_ifindex = nic->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		NIC_FAIL("%s: bind: %s", nic->name, strerror(errno));
	*rxfd = fd;
	return 0;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

/* A NIC's receiving socket into *fd and, unless txfd is NULL, its
 * transmit socket into *txfd; both or neither. */
static int
sup_open_sockets(struct sup *s, unsigned i, int *fd, int *txfd, char *err,
    size_t errlen)
{
	if (sup_open_rx_socket(s, i, fd, err, errlen) == -1)
		return -1;
	if (txfd != NULL && sup_open_tx_socket(&s->nics[i], txfd, err, errlen) == -1) {
		close(*fd);
		return -1;
	}
	return 0;
}

/* The NIC's facts taken afresh and a new receiving socket (and, with
 * with_tx, a new transmit socket) in place of the old. */
static int
sup_replace_sockets(struct sup *s, unsigned i, bool with_tx)
{
	struct sup_nic	*nic = &s->nics[i];
	char		 err[256];
	int		 fd, txfd;

	if (sup_nic_facts(nic, err, sizeof(err)) == -1 ||
	    sup_open_sockets(s, i, &fd, with_tx ? &txfd : NULL, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	if (nic->sock != -1)
		close(nic->sock);
	nic->sock = fd;
	if (with_tx) {
		if (nic->txsock != -1)
			close(nic->txsock);
		nic->txsock = txfd;
	}
	return 0;
}

/*
 * Before a netd is (re)started: the NIC may have changed under us (MTU,
 * MAC) or been removed and created again (a new ifindex, on which the old
 * socket hears nothing), so its facts and sockets are taken afresh.
 */
int
sup_reopen_nic(struct sup *s, unsigned i)
{
	return sup_replace_sockets(s, i, true);
}

/*
 * A reload changed the NIC's exports: a new receiving socket with the new
 * filter, for the running netd (MSG_NIC_SOCKET).  Its transmit socket
 * filters nothing, so netd keeps the one it has and none is opened here.
 */
int
sup_resocket_nic(struct sup *s, unsigned i)
{
	return sup_replace_sockets(s, i, false);
}

static uint32_t
sup_pow2_at_least(uint32_t v)
{
	uint32_t	 p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* Buffers big enough for a 9000-byte MTU even on a 1500 NIC, so an MTU
 * raised at run time needs no new region.  Enough of them that every
 * export on the NIC can have its advertised Buffer Count in flight from two
 * initiators at once (and at least four times the largest one), so the
 * Buffer Count holds; back-pressure covers the rest. */
static void
sup_ring_geometry(struct sup *s, struct sup_nic *nic)
{
	uint32_t	 mtu = nic->mtu > 9000 ? nic->mtu : 9000;
	uint32_t	 most = 2, total = 0, want;
	unsigned	 i;

	for (i = 0; i < s->nexports; i++) {
		if (!(s->exports[i].nic_mask & ((uint64_t)1 << (nic - s->nics))))
			continue;
		total += s->exports[i].bufcnt;
		if (s->exports[i].bufcnt > most)
			most = s->exports[i].bufcnt;
	}
	want = 4 * most > 2 * total ? 4 * most : 2 * total;
	nic->nbufs = sup_pow2_at_least(want > 256 ? want : 256);
	if (nic->nbufs > RING_MAX_BUFS)
		nic->nbufs = RING_MAX_BUFS;
	nic->buf_size = 4096 + ((mtu + 14 + 4095) & ~4095u);
}

static void
sup_open_ring(struct sup_nic *nic)
{
	char	 name[64];
	size_t	 size = ring_region_size(nic->nbufs, nic->buf_size);
	void	*base;

	if (size == 0)
		fatalx("%s: bad ring geometry", nic->name);
	snprintf(name, sizeof(name), "aoede-ring-%s", nic->name);
	if ((nic->ring = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		fatal("memfd_create");
	if (ftruncate(nic->ring, size) == -1)
		fatal("ftruncate ring");
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, nic->ring, 0);
	if (base == MAP_FAILED)
		fatal("mmap ring");
	if (ring_region_format(base, size, nic->nbufs, nic->buf_size) == -1)
		fatalx("ring_region_format");
	munmap(base, size);
	/* neither child can resize the region under the other */
	if (fcntl(nic->ring, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == -1)
		fatal("sealing the ring");
	nic->rx_bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	nic->tx_bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (nic->rx_bell == -1 || nic->tx_bell == -1)
		fatal("eventfd");
}

/* --- images ---------------------------------------------------------- */

/*
 * Every problem with an image is fatal, prefixed with where the
 * configuration file names it (conf_where(): "FILE:LINE: ", or nothing
 * for the command-line form).
 */

static uint64_t
sup_image_bytes(struct sup_export *x, unsigned i, const struct stat *st)
{
	uint64_t	 bytes;

	if (S_ISBLK(st->st_mode)) {
		if (ioctl(x->fd, BLKGETSIZE64, &bytes) == -1)
			fatal("%s%s: BLKGETSIZE64", conf_where(i, CK_PATH), x->path);
		return bytes;
	}
	if (!S_ISREG(st->st_mode))
		fatalx("%s%s is neither a regular file nor a block device",
		    conf_where(i, CK_PATH), x->path);
	return st->st_size;
}

static void
sup_open_image(struct sup_export *x, unsigned i, struct stat *st)
{
	int		 flags = O_CLOEXEC | O_NOCTTY;
	uint64_t	 bytes, total;

	flags |= (x->flags & SUP_EXPORT_RDONLY) ? O_RDONLY : O_RDWR;
	if (x->flags & SUP_EXPORT_DIRECT)
		flags |= O_DIRECT;
	if ((x->fd = open(x->path, flags)) == -1)
		fatal("%scannot open image %s", conf_where(i, CK_PATH), x->path);
	if (fstat(x->fd, st) == -1)
		fatal("%s%s", conf_where(i, CK_PATH), x->path);
	bytes = sup_image_bytes(x, i, st);
	if (bytes < 512)
		fatalx("%s%s: image is smaller than one sector (512 bytes)",
		    conf_where(i, CK_PATH), x->path);
	if (bytes % 512)
		log_warnx("%s%s: size %ju is not a multiple of 512; the last %ju bytes "
		    "are not exported", conf_where(i, CK_PATH), x->path, (uintmax_t)bytes,
		    (uintmax_t)(bytes % 512));
	total = bytes / 512;
	if (x->offset >= total)
		fatalx("%s%s: offset %ju is beyond the end of the image (%ju sectors)",
		    conf_where(i, CK_OFFSET), x->path, (uintmax_t)x->offset,
		    (uintmax_t)total);
	x->sectors = x->length ? x->length : total - x->offset;
	if (x->sectors > total - x->offset)
		fatalx("%s%s: offset %ju + length %ju is beyond the end of the image "
		    "(%ju sectors)", conf_where(i, CK_LENGTH), x->path,
		    (uintmax_t)x->offset, (uintmax_t)x->length, (uintmax_t)total);
}

/* Same file (or same block device, whatever node names it)? */
static bool
sup_same_image(const struct stat *a, const struct stat *b)
{
	if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Two exports may share an image only in disjoint slices (-o/-l, offset
 * and length), or both read-only: otherwise each initiator would cache
 * what the other overwrites.  Block devices are compared by device number
 * only, so a partition and its whole disk are not caught.
 */
void
sup_open_images(struct sup *s)
{
	static struct stat	 st[SUP_MAX_EXPORTS];
	unsigned		 i, j;

	for (i = 0; i < s->nexports; i++) {
		struct sup_export *x = &s->exports[i];

		sup_open_image(x, i, &st[i]);
		for (j = 0; j < i; j++) {
			const struct sup_export *y = &s->exports[j];

			if (!sup_same_image(&st[i], &st[j]))
				continue;
			if (x->offset < y->offset + y->sectors &&
			    y->offset < x->offset + x->sectors &&
			    !((x->flags & y->flags) & SUP_EXPORT_RDONLY))
				fatalx("%se%u.%u: image %s overlaps e%u.%u's (%s, sectors "
				    "%ju..%ju); a writable export needs an image or a slice of "
				    "its own", conf_where(i, CK_PATH), x->shelf, x->slot,
				    x->path, y->shelf, y->slot, y->path, (uintmax_t)y->offset,
				    (uintmax_t)(y->offset + y->sectors - 1));
		}
	}
}

/* --- users and the chroot ---------------------------------------------- */

static void
sup_lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;

	if ((pw = getpwnam(name)) == NULL)
		fatalx("user %s does not exist (make install or make users creates it)", name);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		fatalx("user %s must not be root", name);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
}

/* The children chroot here: it must be root's, not writable by anyone else,
 * and empty. */
static void
sup_prepare_root(const char *root)
{
	struct stat	 st;
	DIR		*d;
	struct dirent	*e;
	char		 parent[PATH_MAX], *slash;

	snprintf(parent, sizeof(parent), "%s", root);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0755) == -1 && errno != EEXIST)
			fatal("mkdir %s", parent);
	}
	if (mkdir(root, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", root);
	if (stat(root, &st) == -1)
		fatal("%s", root);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		fatalx("%s must be a directory owned by root and writable only by root", root);
	if ((d = opendir(root)) == NULL)
		fatal("%s", root);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			fatalx("%s must be empty (it is the children's chroot)", root);
	closedir(d);
}

/*
 * The state directory (blockd's eS.L.state files): created if needed, owned
 * by the blockd user, mode 0700.  blockd gets it as an fd and reaches
 * nothing else of the file system (DESIGN.md §1).
 */
static void
sup_open_state_dir(struct sup *s)
{
	struct stat	 st;
	int		 fd;

	if (mkdir(s->state_dir, 0700) == -1 && errno != EEXIST)
		fatal("state directory %s", s->state_dir);
	if ((fd = open(s->state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		fatal("state directory %s", s->state_dir);
	if (fstat(fd, &st) == -1)
		fatal("state directory %s", s->state_dir);
	if ((st.st_uid != s->blockd_uid || st.st_gid != s->blockd_gid) &&
	    fchown(fd, s->blockd_uid, s->blockd_gid) == -1)
		fatal("state directory %s: chown", s->state_dir);
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) == -1)
		fatal("state directory %s: chmod", s->state_dir);
	s->state_fd = fd;
}

/*
 * An export's shadow directory (freeze, blockd/shadow.h): created if
 * missing, owned by the blockd user; an existing one must already be
 * theirs (it may be the operator's, shared with other things: we do not
 * take it over).  blockd gets it as an fd, like the state directory.
 */
int
sup_open_shadow_dir(const struct sup *s, struct sup_export *x, char *err,
    size_t errsize)
{
	struct stat	 st;
	int		 fd;

	if (x->shadow_dir[0] == '\0')
		return 0;
	if (mkdir(x->shadow_dir, 0700) == 0) {
		if (chown(x->shadow_dir, s->blockd_uid, s->blockd_gid) == -1)
			goto fail;
	} else if (errno != EEXIST)
		goto fail;
	if ((fd = open(x->shadow_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		goto fail;
	if (fstat(fd, &st) == -1) {
		close(fd);
		goto fail;
	}
	if (st.st_uid != s->blockd_uid) {
		close(fd);
		snprintf(err, errsize, "export e%u.%u: shadow directory %s belongs "
		    "to uid %u, not to the blockd user %s (uid %u): chown it, or "
		    "name a directory aoede may create", x->shelf, x->slot,
		    x->shadow_dir, (unsigned)st.st_uid, s->blockd_user,
		    (unsigned)s->blockd_uid);
		return -1;
	}
	x->shadow_fd = fd;
	return 0;
fail:
	snprintf(err, errsize, "export e%u.%u: shadow directory %s: %s",
	    x->shelf, x->slot, x->shadow_dir, strerror(errno));
	return -1;
}

int
sup_open_nic(struct sup *s, unsigned i, char *err, size_t errlen)
{
	int	 fd, txfd;

	if (sup_nic_facts(&s->nics[i], err, errlen) == -1)
		return -1;
	sup_ring_geometry(s, &s->nics[i]);
	sup_open_ring(&s->nics[i]);
	if (sup_open_sockets(s, i, &fd, &txfd, err, errlen) == -1)
		return -1;
	s->nics[i].sock = fd;
	s->nics[i].txsock = txfd;
	return 0;
}

void
sup_open_resources(struct sup *s)
{
	unsigned	 i;
	char		 err[256];

	sup_lookup_user(s->netd_user, &s->netd_uid, &s->netd_gid);
	sup_lookup_user(s->blockd_user, &s->blockd_uid, &s->blockd_gid);
	if (s->netd_uid == s->blockd_uid)
		fatalx("netd and blockd must run as different users");
	sup_open_images(s);
	sup_open_state_dir(s);
	for (i = 0; i < s->nexports; i++)
		if (sup_open_shadow_dir(s, &s->exports[i], err, sizeof(err)) == -1)
			fatalx("%s", err);
	for (i = 0; i < s->nnics; i++)
		if (sup_open_nic(s, i, err, sizeof(err)) == -1)
			fatalx("%s", err);
	sup_prepare_root(s->root);
}

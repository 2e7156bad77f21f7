/*
 * aoede-blockd: serves every NIC's rx ring with the command engine.
 *
 * Set-up order: logging tag → options → inherited resources → event base →
 * chroot + uid drop → seccomp → ready → loop.  NICs start detached; the
 * supervisor attaches each once its netd has reset the ring.
 */
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aoe.h"
#include "blockd.h"
#include "fds.h"
#include "log.h"
#include "msg.h"
#include "sandbox.h"
#include "state.h"
#include "stats.h"
#include "util.h"

static void	blockd_serve(struct blockd *, struct blockd_nic *);

static __attribute__((noreturn)) void
blockd_usage(void)
{
	fprintf(stderr, "usage: aoede-blockd -u uid:gid [-C root] [-P poll-us] [-s] [-v] "
	    "-R nbufs:bufsize [-R ...] -x export [-x ...]\n"
	    "export: shelf=S,slot=L,sectors=N[,offset=BYTES][,nics=MASK]"
	    "[,bufcnt=N][,ro][,direct][,kernel][,nouring][,nomaskedit]"
	    "[,noforcereserve][,noforceconfig][,cache=BYTES]"
	    "[,masks=MAC+MAC...]\n"
	    "-s: the state directory is on the fd after the rings\n"
	    "(started by aoede, with its resources on fds from %d)\n", FD_CHANNEL);
	exit(2);
}

/* --- options -------------------------------------------------------- */

static int
blockd_parse_masks(char *list, struct export *x)
{
	char	*mac;

	for (mac = strtok(list, "+"); mac != NULL; mac = strtok(NULL, "+")) {
		if (x->nmasks == EXPORT_MAX_MASKS ||
		    mac_parse(mac, x->masks[x->nmasks]) == -1)
			return -1;
		x->nmasks++;
	}
	return 0;
}

int
blockd_parse_export(char *spec, struct export *x, const char **why)
{
	enum { K_SHELF, K_SLOT, K_SECTORS, K_OFFSET, K_NICS, K_BUFCNT, K_RO,
	    K_DIRECT, K_KERNEL, K_NOURING, K_NOMASKEDIT, K_NOFORCERESERVE,
	    K_NOFORCECONFIG, K_MASKS, K_CACHE, K_SHADOWFD };
	char *const	 keys[] = { "shelf", "slot", "sectors", "offset", "nics",
	    "bufcnt", "ro", "direct", "kernel", "nouring", "nomaskedit",
	    "noforcereserve", "noforceconfig", "masks", "cache", "shadowfd",
	    NULL };
	static const unsigned flag[] = { EXPORT_RDONLY, EXPORT_DIRECT,
	    EXPORT_KERNEL, EXPORT_NOURING, EXPORT_NO_MASK_EDIT,
	    EXPORT_NO_FORCE_RESERVE, EXPORT_NO_FORCE_CONFIG };
	char		*val;
	uint64_t	 v;
	int		 seen = 0;

	memset(x, 0, sizeof(*x));
	x->nic_mask = 1;
	x->bufcnt = 16;
	x->shadow.dirfd = -1;
	while (*spec != '\0') {
		int k = getsubopt(&spec, keys, &val);

		if (k < 0) {
			*why = "unknown export key";
			return -1;
		}
		seen |= 1 << k;
		if (k >= K_RO && k <= K_NOFORCECONFIG) {
			x->flags |= flag[k - K_RO];
			continue;
		}
		if (val == NULL) {
			*why = "export key without a value";
			return -1;
		}
		if (k == K_MASKS) {
			if (blockd_parse_masks(val, x) == -1) {
				*why = "bad MAC mask list";
				return -1;
			}
			continue;
		}
		if (parse_u64(val, 0, UINT64_MAX, &v, why) == -1)
			return -1;
		switch (k) {
		case K_SHELF:	x->shelf = v; break;
		case K_SLOT:	x->slot = v; break;
		case K_SECTORS:	x->sectors = v; break;
		case K_OFFSET:	x->offset = v; break;
		case K_NICS:	x->nic_mask = v; break;
		case K_BUFCNT:	x->bufcnt = v; break;
		case K_CACHE:	x->cache_bytes = v; break;
		case K_SHADOWFD:
			if (v < 3 || v > INT32_MAX) {
				*why = "bad shadow directory fd";
				return -1;
			}
			x->shadow.dirfd = (int)v;
			break;
		}
	}
	if ((seen & 7) != 7) {
		*why = "export needs shelf, slot and sectors";
		return -1;
	}
	if (x->shelf >= 0xffff || x->slot >= 0xff || x->bufcnt < 2 || x->nic_mask == 0) {
		*why = "export value out of range";
		return -1;
	}
	snprintf(x->name, sizeof(x->name), "e%u.%u", x->shelf, x->slot);
	return 0;
}

void
blockd_name_export(struct export *x, unsigned i)
{
	/* asked once, before the sandbox (which denies uname): an export a
	 * reload adds is named with it too */
	static struct utsname u;
	char		 buf[128];

	x->fd = BLOCKD_FD_IMAGE(i);
	if (u.nodename[0] == '\0' && uname(&u) == -1)
		strcpy(u.nodename, "localhost");
	/* serial "shelf.slot:host" as vblade, cut to the 20 bytes IDENTIFY has */
	snprintf(buf, sizeof(buf), "%u.%u:%s", x->shelf, x->slot, u.nodename);
	memcpy(x->serial, buf, sizeof(x->serial) - 1);
	x->serial[sizeof(x->serial) - 1] = '\0';
	snprintf(buf, sizeof(buf), "AoEde %s", x->name);
	memcpy(x->model, buf, sizeof(x->model) - 1);
	x->model[sizeof(x->model) - 1] = '\0';
}

/*
 * O_DIRECT needs every offset and length to be a multiple of the image's
 * logical block size, and AoE addresses 512-byte sectors: on a device with
 * larger logical blocks (4Kn disks), or when the export's offset is not
 * aligned to them, O_DIRECT is switched off with a warning and the page
 * cache is used (a refusal would leave such a disk unexportable with -d
 * for no gain).  A 512-byte direct read at the export's offset is the test
 * for regular files; block devices are asked with BLKSSZGET.
 */
static void
blockd_check_direct(struct export *x)
{
	static uint8_t	 probe[4096] __attribute__((aligned(4096)));
	struct stat	 st;
	int		 fl, lbs = 512;

	x->lbsize = 512;
	if (!(x->flags & EXPORT_DIRECT))
		return;
	if ((fl = fcntl(x->fd, F_GETFL)) == -1)
		fatal("%s: fcntl", x->name);
	if (!(fl & O_DIRECT)) {
		x->flags &= ~EXPORT_DIRECT;
		return;
	}
	if (fstat(x->fd, &st) == 0 && S_ISBLK(st.st_mode) &&
	    ioctl(x->fd, BLKSSZGET, &lbs) == -1)
		fatal("%s: BLKSSZGET", x->name);
	if (lbs == 512 && pread(x->fd, probe, 512, (off_t)x->offset) == -1 &&
	    errno == EINVAL)
		lbs = 4096;	/* at least: the exact size does not matter */
	x->lbsize = (unsigned)lbs;
	if (lbs == 512 && x->offset % 512 == 0) {
		log_debug("%s: O_DIRECT, logical block size 512", x->name);
		return;
	}
	log_warnx("%s: the image needs %d-byte aligned direct I/O, AoE sectors "
	    "are 512 bytes: -d ignored, using the page cache", x->name, lbs);
	if (fcntl(x->fd, F_SETFL, fl & ~O_DIRECT) == -1)
		fatal("%s: fcntl", x->name);
	x->flags &= ~EXPORT_DIRECT;
}

static void
blockd_prepare_export(struct export *x)
{
	blockd_check_direct(x);
	if (x->cache_bytes == 0)
		return;
	if ((x->cache = cache_new(x->cache_bytes, x->sectors)) == NULL)
		log_warnx("%s: no memory for a %" PRIu64 "-byte cache; "
		    "running without", x->name, x->cache_bytes);
	else
		log_debug("%s: cache of %" PRIu64 " bytes", x->name,
		    cache_size(x->cache));
}

/* Map NIC n's ring region from ringfd and check it against its geometry. */
void
blockd_map_ring(struct blockd *b, unsigned n, int ringfd, uint64_t nbufs,
    uint64_t bufsize)
{
	struct blockd_nic	*nic = &b->nics[n];
	size_t			 size;
	void			*base;

	if ((size = ring_region_size(nbufs, bufsize)) == 0)
		fatalx("bad ring geometry %ju:%ju", (uintmax_t)nbufs, (uintmax_t)bufsize);
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, ringfd, 0);
	if (base == MAP_FAILED)
		fatal("mmap ring of NIC %u", n);
	if (ring_region_attach(&nic->rr, base, size, nbufs, bufsize) == -1)
		fatalx("ring region of NIC %u does not match its geometry", n);
	if ((nic->owned = calloc(nbufs, 1)) == NULL ||
	    (nic->ios = calloc(nbufs, sizeof(*nic->ios))) == NULL)
		fatal("calloc");
	nic->index = n;
	nic->b = b;
	nic->ring_fd = ringfd;
}

static void
blockd_map_nic(struct blockd *b, unsigned n, unsigned nexp, const char *geom)
{
	struct blockd_nic	*nic = &b->nics[n];
	char			 buf[64], *colon;
	uint64_t		 nbufs, bufsize;
	const char		*why;

	snprintf(buf, sizeof(buf), "%s", geom);
	if ((colon = strchr(buf, ':')) == NULL)
		blockd_usage();
	*colon = '\0';
	if (parse_u64(buf, 2, RING_MAX_BUFS, &nbufs, &why) == -1 ||
	    parse_u64(colon + 1, 4096, 1 << 20, &bufsize, &why) == -1)
		fatalx("bad ring geometry %s", geom);
	blockd_map_ring(b, n, BLOCKD_FD_RING(nexp, n), nbufs, bufsize);
	nic->rx_bell = BLOCKD_FD_RX_BELL(nexp, n);
	nic->tx_bell = BLOCKD_FD_TX_BELL(nexp, n);
}

/* --- persistent AoE state (state.h) ---------------------------------- */

/*
 * At start: the export's saved config string and reserve list; its mask
 * list too unless one is configured (mac-allow, -m): the configured list is
 * authoritative and replaces a saved one at every start.
 */
void
blockd_load_state(struct blockd *b, struct export *x)
{
	static struct export_state st;
	char		 name[STATE_NAME_MAX];
	const char	*why = NULL;
	int		 rc;

	state_file_name(x, name);
	if ((rc = state_load(b->state_dir, x, &st, &why)) == 0)
		return;
	if (rc == -1) {
		log_warnx("%s: state file %s ignored: %s; starting with empty "
		    "AoE state", x->name, name, why);
		return;
	}
	memcpy(x->config, st.config, st.config_len);
	x->config_len = st.config_len;
	memcpy(x->reserve, st.reserve, (size_t)st.nreserve * 6);
	x->nreserve = st.nreserve;
	if (x->nmasks == 0) {
		memcpy(x->masks, st.masks, (size_t)st.nmasks * 6);
		x->nmasks = st.nmasks;
	} else if (st.nmasks != 0)
		log_info("%s: saved mask list not restored: mac-allow is "
		    "configured", x->name);
	log_info("%s: AoE state restored from %s: config string %u bytes, "
	    "%u masks, %u reserved", x->name, name, (unsigned)x->config_len,
	    x->nmasks, x->nreserve);
}

/* After a batch: save every export changed over the LAN. */
static void
blockd_save_state(struct blockd *b)
{
	unsigned	 i;
	int		 rc;

	for (i = 0; i < b->eng.nexports; i++) {
		struct export *x = &b->exports[i];

		if (!x->state_dirty)
			continue;
		x->state_dirty = false;
		if (b->state_dir < 0)
			continue;
		if ((rc = state_save(b->state_dir, x)) < 0)
			log_warnx("%s: saving its AoE state: %s", x->name,
			    strerror(-rc));
	}
}

/* --- the data path ---------------------------------------------------- */

/* MTU and MAC as netd last reported them; a value that makes no sense is
 * clamped to what the buffers can hold. */
static void
blockd_refresh_view(struct blockd_nic *nic)
{
	uint32_t	 mtu;
	uint8_t		 mac[6];
	bool		 up;
	unsigned	 cap_sectors;

	if (ring_nic_info_read(nic->rr.hdr, &mtu, mac, &up) == -1)
		return;		/* keep the last consistent view */
	nic->view.index = nic->index;
	nic->view.mtu = mtu;
	memcpy(nic->view.mac, mac, 6);
	cap_sectors = (ring_frame_cap(&nic->rr) - AOE_ATA_HDR_LEN) / 512;
	nic->view.max_sectors = aoe_mtu_sectors(mtu);
	if (nic->view.max_sectors > cap_sectors)
		nic->view.max_sectors = cap_sectors;
}

/* A netd that breaks the ring protocol is cut off and reported; the
 * supervisor kills and restarts it.  Other NICs keep being served. */
static void
blockd_nic_fault(struct blockd *b, struct blockd_nic *nic, const char *what)
{
	log_warnx("NIC %u: %s; detaching it", nic->index, what);
	/* gathered reads and writes are done before the buffers change hands */
	engine_inline_flush(&b->eng);
	nic->bad_desc++;
	nic->attached = false;
	nic->gen++;		/* replies of I/O still in flight are dropped */
	event_del(nic->ev_bell);
	if (msg_send_u64(b->chan, MSG_NIC_FAULT, "nic", nic->index) == -1)
		fatal("channel");
}

struct blockd_reply {
	uint32_t	 buf;
	size_t		 len;
	struct export	*sync;
	struct export	*x;		/* the export answered, for latency */
};

uint64_t
blockd_lat_percentile(const uint64_t hist[BLOCKD_LAT_BUCKETS], unsigned permille)
{
	uint64_t	 total = 0, seen = 0;
	unsigned	 i;

	for (i = 0; i < BLOCKD_LAT_BUCKETS; i++)
		total += hist[i];
	if (total == 0)
		return 0;
	for (i = 0; i < BLOCKD_LAT_BUCKETS; i++) {
		seen += hist[i];
		if (seen * 1000 >= total * permille)
			return (uint64_t)1 << (i + 1);	/* upper bound of the bucket */
	}
	return (uint64_t)1 << BLOCKD_LAT_BUCKETS;
}

static unsigned
blockd_lat_bucket(uint64_t ns)
{
	uint64_t	 us = ns / 1000;
	unsigned	 bucket = 0;

	while (us > 1 && bucket < BLOCKD_LAT_BUCKETS - 1) {
		us >>= 1;
		bucket++;
	}
	return bucket;
}

static void
blockd_record_latency(struct blockd *b, const struct blockd_reply *r, unsigned n,
    uint64_t ns)
{
	unsigned	 i, bucket = blockd_lat_bucket(ns);

	for (i = 0; i < n; i++)
		if (r[i].x != NULL)
			b->lat[r[i].x - b->exports][bucket]++;
}

static size_t
blockd_execute(struct blockd *b, struct blockd_nic *nic, const struct ring_desc *d,
    struct export **sync, uint64_t t0)
{
	struct engine_io *io = &nic->ios[d->buf];
	uint8_t		*frame = ring_frame(&nic->rr, d->buf);
	size_t		 cap = ring_frame_cap(&nic->rr);
	uint16_t	 major;

	*sync = NULL;
	if (d->flags & RING_F_ANNOUNCE) {
		major = (uint16_t)frame[16] << 8 | frame[17];
		return engine_announce(&b->eng, &nic->view, major, frame[18], frame, cap);
	}
	io->owner = nic;
	io->buf = d->buf;
	io->gen = nic->gen;
	io->t0 = t0;
	return engine_handle_io(&b->eng, &nic->view, frame, d->len, cap, sync, io);
}

/* Group commit: one fdatasync per export for the whole batch; if it fails,
 * every write of that export in the batch is answered with an ATA error. */
static void
blockd_commit(struct blockd_nic *nic, struct blockd_reply *r, unsigned n)
{
	unsigned	 i, j;
	int		 rc;

	for (i = 0; i < n; i++) {
		struct export *x = r[i].sync;

		if (x == NULL || !x->sync_pending)
			continue;
		rc = export_sync(x);
		for (j = i; j < n; j++) {
			if (r[j].sync != x)
				continue;
			if (rc != 0)
				engine_fail_write(x, ring_frame(&nic->rr, r[j].buf));
			r[j].sync = NULL;
		}
	}
}

/* Hand buffer `buf` back to netd: with a reply of len bytes, or unsent. */
static void
blockd_put(struct blockd_nic *nic, uint32_t buf, size_t len)
{
	struct ring_desc	 d;

	d.buf = buf;
	d.len = len;
	d.flags = len == 0 ? RING_F_RETURN : 0;
	nic->owned[buf] = 0;
	if (!ring_prod_put(&nic->tx, &d))
		fatalx("tx ring of NIC %u full: ring accounting broken", nic->index);
	nic->tx_dirty = true;
}

static void
blockd_publish(struct blockd_nic *nic)
{
	nic->tx_dirty = false;
	if (ring_prod_publish(&nic->tx)) {
		nic->doorbells++;
		if (doorbell_ring(nic->tx_bell) == -1)
			fatal("tx doorbell");
	}
}

static void
blockd_reply(struct blockd *b, struct blockd_nic *nic, struct blockd_reply *r, unsigned n)
{
	unsigned		 i;

	for (i = 0; i < n; i++)
		blockd_put(nic, r[i].buf, r[i].len);
	blockd_publish(nic);
}

static void
blockd_send_detached(struct blockd *b, struct blockd_nic *nic)
{
	nic->detach_pending = false;
	log_debug("NIC %u detached", nic->index);
	if (msg_send_u64(b->chan, MSG_NIC_DETACHED, "nic", nic->index) == -1)
		fatal("channel");
}

/* The engine finished a request it had answered ENGINE_PENDING (its I/O
 * completed, its fsync too): the reply goes out on its NIC's tx ring — in
 * completion order, not arrival order — unless the NIC was detached since:
 * then netd has reset (or is resetting) the ring, and the buffer is
 * already back on its side. */
static void
blockd_io_done(void *arg, struct engine_io *io, size_t len)
{
	struct blockd		*b = arg;
	struct blockd_nic	*nic = io->owner;

	nic->inflight--;
	if (!nic->attached || io->gen != nic->gen) {
		if (nic->detach_pending && nic->inflight == 0)
			blockd_send_detached(b, nic);
		return;
	}
	blockd_put(nic, io->buf, len);
	if (len != 0)
		b->lat[io->r.x - b->exports][blockd_lat_bucket(now_ns() - io->t0)]++;
}

void
blockd_publish_all(struct blockd *b)
{
	unsigned	 i;

	for (i = 0; i < b->nnics; i++)
		if (b->nics[i].tx_dirty && b->nics[i].attached)
			blockd_publish(&b->nics[i]);
}

static void
blockd_on_aio(evutil_socket_t fd, short ev, void *arg)
{
	struct blockd	*b = arg;
	uint64_t	 t0 = now_ns();

	if (doorbell_drain(b->aio_efd) == -1)
		fatal("io_uring eventfd");
	while (engine_aio_reap(&b->eng) > 0)
		;
	blockd_publish_all(b);
	b->busy_ns += now_ns() - t0;
}

/*
 * One batch: up to BLOCKD_BATCH requests; returns how many, -1 on a fault.
 * A request the engine answers at once (config, IDENTIFY, a cache hit, a
 * read or "kernel" write done inline, an error, anything on the synchronous
 * path) is replied to with the batch, after the batch's group commit on the
 * synchronous path; one whose I/O went to io_uring, or a "sync" write done
 * inline (it waits for an fsync), is answered by blockd_io_done() when it
 * completes.
 */
static int
blockd_batch(struct blockd *b, struct blockd_nic *nic)
{
	struct blockd_reply	 r[BLOCKD_BATCH];
	struct ring_desc	 d;
	unsigned		 n = 0, got = 0;
	int			 rc = 0;
	uint64_t		 t0 = now_ns();
	uint8_t			*f;
	size_t			 len;

	blockd_refresh_view(nic);
	while (got < BLOCKD_BATCH && (rc = ring_cons_get(&nic->rx, &d)) == 1) {
		/* d is our own copy: validate it once, then use only it */
		if (!ring_desc_valid(&nic->rr, &d) || nic->owned[d.buf]) {
			blockd_nic_fault(b, nic, "invalid or duplicate rx descriptor");
			return -1;
		}
		nic->owned[d.buf] = 1;
		got++;
		len = blockd_execute(b, nic, &d, &r[n].sync, t0);
		if (len == ENGINE_PENDING) {
			nic->inflight++;
			continue;
		}
		r[n].buf = d.buf;
		r[n].len = len;
		f = ring_frame(&nic->rr, d.buf);
		r[n].x = r[n].len == 0 || (d.flags & RING_F_ANNOUNCE) ? NULL :
		    engine_find(&b->eng, nic->index, (uint16_t)f[16] << 8 | f[17], f[18]);
		n++;
	}
	if (rc == -1) {
		blockd_nic_fault(b, nic, "rx ring head out of range");
		return -1;
	}
	if (got == 0)
		return 0;
	ring_cons_release(&nic->rx);
	nic->requests += got;
	b->requests += got;
	/* "sync" writes done inline wait for their group commit: its fsync
	 * goes with this submit */
	engine_aio_commit(&b->eng);
	if ((rc = engine_aio_submit(&b->eng)) < 0)
		fatalx("io_uring submit: %s", strerror(-rc));
	if (n > 0) {
		blockd_commit(nic, r, n);
		blockd_reply(b, nic, r, n);
		blockd_record_latency(b, r, n, now_ns() - t0);
	} else if (nic->tx_dirty)
		blockd_publish(nic);	/* gathered I/O, done by the submit */
	return (int)got;
}

static void
blockd_serve(struct blockd *b, struct blockd_nic *nic)
{
	int	 n;

	b->loops++;
	while (nic->attached) {
		n = blockd_batch(b, nic);
		blockd_save_state(b);
		if (n < 0)
			return;
		if (n == 0 && ring_cons_prepare_sleep(&nic->rx))
			return;
	}
}

/*
 * Busy-poll (-P; netd.c's netd_busy_poll() says why): after a burst, look
 * at every NIC's rx ring and at io_uring's completions for poll_ns after
 * the last request, yielding the CPU between looks, with need_wakeup clear
 * so that netd rings no doorbell.  Then every NIC is served once more,
 * which sets need_wakeup again before we sleep.
 */
static void
blockd_busy_poll(struct blockd *b)
{
	struct busy_poll bp;
	unsigned	 i;
	bool		 work;

	for (i = 0; i < b->nnics; i++)
		if (b->nics[i].attached)
			ring_cons_awake(&b->nics[i].rx);
	busy_poll_begin(&bp, b->poll_ns, BLOCKD_POLL_MAX_NS);
	do {
		work = false;
		for (i = 0; i < b->nnics; i++) {
			struct blockd_nic *nic = &b->nics[i];

			if (nic->attached && ring_cons_pending(&nic->rx) &&
			    blockd_batch(b, nic) > 0) {
				blockd_save_state(b);
				work = true;
			}
		}
		if (b->aio_efd >= 0 && engine_aio_reap(&b->eng) > 0) {
			blockd_publish_all(b);
			work = true;
		}
	} while (busy_poll_next(&bp, work));
	for (i = 0; i < b->nnics; i++)
		if (b->nics[i].attached)
			blockd_serve(b, &b->nics[i]);
}

void
blockd_on_bell(evutil_socket_t fd, short ev, void *arg)
{
	struct blockd_nic	*nic = arg;
	uint64_t		 t0 = now_ns();

	if (doorbell_drain(nic->rx_bell) == -1)
		fatal("rx doorbell of NIC %u", nic->index);
	ring_cons_awake(&nic->rx);
	/* polling serves this NIC's ring with the others' */
	if (nic->b->poll_ns > 0)
		blockd_busy_poll(nic->b);
	else
		blockd_serve(nic->b, nic);
	nic->b->busy_ns += now_ns() - t0;
}

void
blockd_send_export_stats(struct blockd *b, unsigned i)
{
	struct export		*x = &b->exports[i];
	struct export_stats_msg	 m = {
		.cache_hits = x->st.cache_hits,
		.cache_misses = x->st.cache_misses,
		.reads = x->st.reads,
		.writes = x->st.writes,
		.read_bytes = x->st.read_bytes,
		.write_bytes = x->st.write_bytes,
		.flushes = x->st.flushes,
		.fsyncs = x->st.fsyncs,
		.identifies = x->st.identifies,
		.cfg_queries = x->st.cfg_queries,
		.err_range = x->st.err_range,
		.err_rdonly = x->st.err_rdonly,
		.err_io = x->st.err_io,
		.err_badarg = x->st.err_badarg,
		.err_unsupported = x->st.err_unsupported,
		.err_reserved = x->st.err_reserved,
		.dropped_mask = x->st.dropped_mask,
		.ext_commands = x->st.ext_commands,
		.crc_errors = x->st.crc_errors,
		.duplicates = x->st.duplicates,
		.stale_frames = x->st.stale_frames,
		.lat_p50_us = blockd_lat_percentile(b->lat[i], 500),
		.lat_p99_us = blockd_lat_percentile(b->lat[i], 990),
		.lat_p999_us = blockd_lat_percentile(b->lat[i], 999),
		.sectors = x->sectors,
		/* freeze (shadow.h): 0 thawed, 1 frozen, 2 merging */
		.shadow_state = x->shadow.state,
		.shadow_sectors = x->shadow.mapped,
		.shadow_bytes = shadow_disk_bytes(&x->shadow),
		.merge_total = x->shadow.state == SHADOW_MERGING ?
		    x->shadow.merge_total : 0,
		.merge_done = shadow_merge_done(&x->shadow),
		.shadow_errors = x->shadow.errors,
	};

	snprintf(m.export, sizeof(m.export), "%s", x->name);
	if (stats_export_send(b->chan, &m) == -1 && errno != EAGAIN)
		fatal("channel");
}

/* Counters to the supervisor; also our heartbeat. */
static void
blockd_on_stats(evutil_socket_t fd, short ev, void *arg)
{
	struct blockd		*b = arg;
	struct blockd_stats_msg	 m = {
		.loops = b->loops,
		.busy_ns = b->busy_ns,
		.requests = b->requests,
	};
	unsigned		 i;

	if (stats_blockd_send(b->chan, &m) == -1 && errno != EAGAIN)
		fatal("channel");
	for (i = 0; i < b->eng.nexports; i++)
		if (blockd_export_live(&b->exports[i]))
			blockd_send_export_stats(b, i);
}

/* --- the channel ------------------------------------------------------ */

static void
blockd_attach(struct blockd *b, struct blockd_nic *nic)
{
	if (nic->attached)
		fatalx("NIC %u attached twice", nic->index);
	/* netd reset the ring before the supervisor sent this */
	if (nic->inflight != 0)
		fatalx("NIC %u attached with I/O in flight", nic->index);
	ring_cons_init(&nic->rx, nic->rr.rx, nic->rr.nbufs);
	ring_prod_init(&nic->tx, nic->rr.tx, nic->rr.nbufs);
	memset(nic->owned, 0, nic->rr.nbufs);
	nic->tx_dirty = false;
	nic->attached = true;
	event_add(nic->ev_bell, NULL);
	log_debug("NIC %u attached", nic->index);
	blockd_serve(b, nic);
}

static void
blockd_detach(struct blockd *b, struct blockd_nic *nic)
{
	if (nic->attached) {
		nic->attached = false;
		nic->gen++;
		event_del(nic->ev_bell);
	}
	/* Requests held back behind an overlapping write were never
	 * submitted: they are dropped, as the replies of the others are (the
	 * initiator retransmits what it gets no answer to).  What they held
	 * back may start, and may finish at once on another NIC. */
	if (engine_aio_drop(&b->eng, nic) > 0)
		blockd_publish_all(b);
	/* I/O still in flight reads into or writes from this NIC's buffers:
	 * netd may be restarted (and reuse them) only once it has finished */
	if (nic->inflight > 0) {
		log_debug("NIC %u: detaching after %u requests in flight",
		    nic->index, nic->inflight);
		nic->detach_pending = true;
		return;
	}
	blockd_send_detached(b, nic);
}

static __attribute__((noreturn)) void
blockd_stop(struct blockd *b)
{
	unsigned	 i;
	int		 rc, status = 0;

	/* requests in flight finish (their replies still go out), then every
	 * export is flushed */
	engine_aio_drain(&b->eng);
	blockd_publish_all(b);
	for (i = 0; i < b->eng.nexports; i++) {
		struct export *x = &b->exports[i];

		log_debug("%s: at exit: reads %" PRIu64 " writes %" PRIu64
		    " fsyncs %" PRIu64 " flushes %" PRIu64 " errors %" PRIu64
		    " cache hits %" PRIu64 " misses %" PRIu64 " held %" PRIu64,
		    x->name, x->st.reads, x->st.writes, x->st.fsyncs,
		    x->st.flushes, x->st.err_io, x->st.cache_hits,
		    x->st.cache_misses, x->st.held);
	}
	for (i = 0; i < b->eng.nexports; i++) {
		if (!blockd_export_live(&b->exports[i]))
			continue;	/* removed: synced and closed then */
		/* kernel-mode writes may still be in the page cache: flush them */
		b->exports[i].sync_pending = true;
		if ((rc = export_sync(&b->exports[i])) != 0) {
			log_warnx("%s: flush at exit: %s", b->exports[i].name, strerror(-rc));
			status = 1;
		}
	}
	exit(status);
}

static void
blockd_handle_msg(struct blockd *b, struct msg_in *m)
{
	uint64_t	 nic = 0;
	bool		 has_nic;

	if (blockd_reconf_msg(b, m))
		return;
	has_nic = msg_get_u64(m, "nic", &nic) == 0;
	if (msg_is(m, MSG_FREEZE) || msg_is(m, MSG_UNFREEZE)) {
		freeze_handle_msg(b, m);
		return;
	}
	if (msg_end(m) == -1 || (has_nic && nic >= b->nnics))
		fatalx("supervisor sent a malformed %s", m->type);
	if (msg_is(m, MSG_NIC_ATTACH) && has_nic)
		blockd_attach(b, &b->nics[nic]);
	else if (msg_is(m, MSG_NIC_DETACH) && has_nic)
		blockd_detach(b, &b->nics[nic]);
	else if (msg_is(m, MSG_STOP) && !has_nic)
		blockd_stop(b);
	else
		fatalx("unexpected message %s from the supervisor", m->type);
}

static void
blockd_on_chan(evutil_socket_t fd, short ev, void *arg)
{
	struct blockd	*b = arg;
	struct msg_in	 m;
	const char	*why = "";
	int		 rc;

	rc = msg_recv(b->chan, &m, &why);
	if (rc == 0) {
		log_debug("supervisor closed the channel; exiting");
		blockd_stop(b);
	}
	if (rc == -1)
		fatal("channel: %s", why);
	blockd_handle_msg(b, &m);
	msg_free(&m);
}

static void
blockd_events(struct blockd *b)
{
	struct timeval	 tv = { MSG_STATS_INTERVAL_MS / 1000,
	    (MSG_STATS_INTERVAL_MS % 1000) * 1000 };
	unsigned	 i;

	if ((b->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	b->ev_chan = event_new(b->base, b->chan, EV_READ | EV_PERSIST, blockd_on_chan, b);
	b->ev_stats = event_new(b->base, -1, EV_PERSIST, blockd_on_stats, b);
	if (b->ev_chan == NULL || b->ev_stats == NULL)
		fatalx("event_new");
	event_add(b->ev_chan, NULL);
	event_add(b->ev_stats, &tv);
	for (i = 0; i < b->nnics; i++) {
		b->nics[i].ev_bell = event_new(b->base, b->nics[i].rx_bell,
		    EV_READ | EV_PERSIST, blockd_on_bell, &b->nics[i]);
		if (b->nics[i].ev_bell == NULL)
			fatalx("event_new");
	}
}

/* io_uring for image I/O, unless every export asked for synchronous I/O or
 * the kernel (or a sandbox around us) refuses: then the pread/pwrite path,
 * said once in the log. */
static void
blockd_aio_init(struct blockd *b)
{
	unsigned	 i, entries = 2 * b->eng.nexports;
	int		 rc;

	b->aio_efd = -1;
	for (i = 0; i < b->eng.nexports; i++)
		if (!(b->exports[i].flags & EXPORT_NOURING))
			break;
	if (i == b->eng.nexports) {
		log_info("synchronous I/O requested (AOEDE_NO_URING)");
		return;
	}
	for (i = 0; i < b->nnics; i++)
		entries += b->nics[i].rr.nbufs;
	if ((b->aio_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatal("eventfd");
	if ((rc = engine_aio_setup(&b->eng, entries, b->aio_efd)) < 0) {
		log_warnx("io_uring unavailable (%s); using synchronous I/O",
		    strerror(-rc));
		close(b->aio_efd);
		b->aio_efd = -1;
		return;
	}
	b->eng.done = blockd_io_done;
	b->eng.done_arg = b;
	/* what cannot wait for a device is done at once (ata.c) */
	for (i = 0; i < b->eng.nexports; i++)
		engine_inline_setup(&b->exports[i]);
	b->ev_aio = event_new(b->base, b->aio_efd, EV_READ | EV_PERSIST,
	    blockd_on_aio, b);
	if (b->ev_aio == NULL)
		fatalx("event_new");
	event_add(b->ev_aio, NULL);
	log_debug("io_uring: %u entries", entries);
}

/* blockd's allowlist: file I/O on the fds it holds, its rings and channel.
 * No socket(), no open(): a compromised blockd reaches nothing new.  With
 * a state directory: openat, renameat(2) and unlinkat whose first argument
 * is that directory's fd.  seccomp cannot look at the path, and an absolute
 * one ignores the fd: it then resolves in blockd's chroot, an empty
 * directory owned by root, where there is nothing to open or create.  The
 * same for each export's shadow directory, plus ftruncate and fallocate
 * (shadow.c). */
static void
blockd_seccomp_allow_dir(scmp_filter_ctx ctx, int dirfd)
{
	sandbox_seccomp_allow_arg(ctx, SCMP_SYS(openat), 0, (uint64_t)dirfd);
	sandbox_seccomp_allow_arg(ctx, SCMP_SYS(renameat), 0, (uint64_t)dirfd);
	sandbox_seccomp_allow_arg(ctx, SCMP_SYS(renameat2), 0, (uint64_t)dirfd);
	sandbox_seccomp_allow_arg(ctx, SCMP_SYS(unlinkat), 0, (uint64_t)dirfd);
}

/* syscall nr when its argument argn is an fd of the shadow range */
static void
blockd_seccomp_allow_shadow_range(scmp_filter_ctx ctx, int nr, unsigned argn)
{
	sandbox_seccomp_allow_masked(ctx, nr, argn,
	    ~(uint64_t)(BLOCKD_FD_SHADOW_SLOTS - 1), BLOCKD_FD_SHADOW_BASE);
}

static void
blockd_seccomp(const struct blockd *b)
{
	scmp_filter_ctx	 ctx;

	ctx = sandbox_seccomp_new();
	sandbox_seccomp_allow_common(ctx);
	sandbox_seccomp_allow(ctx, SCMP_SYS(pread64));
	sandbox_seccomp_allow(ctx, SCMP_SYS(pwrite64));
	sandbox_seccomp_allow(ctx, SCMP_SYS(preadv));
	sandbox_seccomp_allow(ctx, SCMP_SYS(pwritev));
	/* inline I/O (ata.c): RWF_NOWAIT or, on tmpfs, plain */
	sandbox_seccomp_allow(ctx, SCMP_SYS(preadv2));
	sandbox_seccomp_allow(ctx, SCMP_SYS(pwritev2));
	sandbox_seccomp_allow(ctx, SCMP_SYS(fdatasync));
	sandbox_seccomp_allow(ctx, SCMP_SYS(fsync));
	/* io_uring_enter only: the ring was set up, restricted to file I/O on
	 * the registered images and enabled before this filter (aio.c) */
	sandbox_seccomp_allow(ctx, SCMP_SYS(io_uring_enter));
	if (b->state_dir >= 0)
		blockd_seccomp_allow_dir(ctx, b->state_dir);
	/* shadow files: created, sized, renamed, removed (shadow.c), in the
	 * shadow directories, which sit in their fd range (fds.h), also
	 * those of exports a reload adds later (dup3 into the range) */
	blockd_seccomp_allow_shadow_range(ctx, SCMP_SYS(openat), 0);
	blockd_seccomp_allow_shadow_range(ctx, SCMP_SYS(renameat), 0);
	blockd_seccomp_allow_shadow_range(ctx, SCMP_SYS(renameat2), 0);
	blockd_seccomp_allow_shadow_range(ctx, SCMP_SYS(unlinkat), 0);
	blockd_seccomp_allow_shadow_range(ctx, SCMP_SYS(dup3), 1);
	sandbox_seccomp_allow(ctx, SCMP_SYS(ftruncate));
	sandbox_seccomp_allow(ctx, SCMP_SYS(fallocate));
	sandbox_seccomp_load(ctx);
}

static void
blockd_options(struct blockd *b, int argc, char *argv[], const char **root,
    uid_t *uid, gid_t *gid, const char *geoms[])
{
	const char	*ids = NULL, *why;
	int		 ch, verbose = 0;
	uint64_t	 poll_us;

	while ((ch = getopt(argc, argv, "C:P:R:su:vx:")) != -1) {
		switch (ch) {
		case 's':
			b->state_dir = 0;	/* its number is known after the options */
			break;
		case 'C':
			*root = optarg;
			break;
		case 'P':
			if (parse_u64(optarg, 0, 1000, &poll_us, &why) == -1)
				fatalx("bad -P %s: %s", optarg, why);
			b->poll_ns = poll_us * 1000;
			break;
		case 'R':
			if (b->nnics == BLOCKD_MAX_NICS)
				fatalx("too many NICs");
			geoms[b->nnics++] = optarg;
			break;
		case 'u':
			ids = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'x':
			if (b->eng.nexports == BLOCKD_MAX_EXPORTS)
				fatalx("too many exports");
			if (blockd_parse_export(optarg,
			    &b->exports[b->eng.nexports], &why) == -1)
				fatalx("bad export %s: %s", optarg, why);
			b->eng.nexports++;
			break;
		default:
			blockd_usage();
		}
	}
	if (ids == NULL || optind != argc || b->nnics == 0 || b->eng.nexports == 0 ||
	    parse_ids(ids, uid, gid) == -1)
		blockd_usage();
	log_init("blockd", verbose);
}

int
blockd_main(int argc, char *argv[])
{
	static struct blockd	 blockd;
	struct blockd		*b = &blockd;
	const char		*root = SANDBOX_DEFAULT_ROOT, *geoms[BLOCKD_MAX_NICS] = { NULL };
	struct sandbox_limits	 lim = { .fsize = RLIM_INFINITY };
	uid_t			 uid;
	gid_t			 gid;
	unsigned		 i;

	b->parent = getppid();
	b->state_dir = -1;
	log_init("blockd", 0);
	b->eng.exports = b->exports;
	blockd_options(b, argc, argv, &root, &uid, &gid, geoms);
	b->chan = FD_CHANNEL;
	for (i = 0; i < b->eng.nexports; i++) {
		blockd_name_export(&b->exports[i], i);
		blockd_prepare_export(&b->exports[i]);
	}
	for (i = 0; i < b->nnics; i++)
		blockd_map_nic(b, i, b->eng.nexports, geoms[i]);
	if (b->state_dir == 0) {
		b->state_dir = BLOCKD_FD_STATE_DIR(b->eng.nexports, b->nnics);
		for (i = 0; i < b->eng.nexports; i++)
			blockd_load_state(b, &b->exports[i]);
	}
	blockd_events(b);
	freeze_init(b);
	blockd_aio_init(b);

	/* room for what a reload may add: an image per export, three fds
	 * per NIC (reconf.c) */
	lim.nofile = BLOCKD_FD_LAST(b->eng.nexports, b->nnics) + 32 +
	    BLOCKD_MAX_EXPORTS + 3 * BLOCKD_MAX_NICS;
	/* and each shadow opens two files; the shadow directories sit in
	 * their own range above all that (fds.h) */
	lim.nofile += 2 * BLOCKD_MAX_EXPORTS;
	if (lim.nofile < BLOCKD_FD_SHADOW_BASE + BLOCKD_FD_SHADOW_SLOTS)
		lim.nofile = BLOCKD_FD_SHADOW_BASE + BLOCKD_FD_SHADOW_SLOTS;
	/* io_uring runs blocking work (fsync, buffered writes) on kernel
	 * threads created as ours, which RLIMIT_NPROC 0 forbids (their work is
	 * then cancelled: ECANCELED).  seccomp still denies fork and clone. */
	if (b->eng.ring != NULL)
		lim.nproc = BLOCKD_IO_WORKERS;
	sandbox_drop(root, uid, gid, b->parent, &lim);
	blockd_seccomp(b);

	if (msg_send_simple(b->chan, MSG_READY) == -1)
		fatal("channel");
	/* the first report at once: aoectl shows each export's freeze state
	 * from the start, not a second later */
	blockd_on_stats(-1, 0, b);
	log_debug("ready: %u exports, %u NICs", b->eng.nexports, b->nnics);
	event_base_dispatch(b->base);
	fatalx("exited event loop");
}

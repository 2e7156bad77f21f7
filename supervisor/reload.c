/*
 * Reload (aoectl reload, SIGHUP): re-read the configuration file and apply
 * what changed while everything else keeps serving.
 *
 * All or nothing, from the operator's side: the file is parsed and checked
 * against the host, a [global] key that cannot change at run time is
 * refused by name (confdiff.c), every new image is opened and checked
 * (size, offset, overlaps) and every new NIC looked at — and only when all
 * of that worked does anything change.  The answer says what changed.
 *
 * How each change is applied (docs/design.md, "Reload"):
 *   - export removed: blockd stops finding it at once, finishes what it has
 *     in flight, syncs and closes the image (export-remove);
 *   - export added: its image fd goes to blockd over the channel
 *     (SCM_RIGHTS, export-add); blockd serves it with synchronous I/O until
 *     its next restart (blockd/reconf.c says why);
 *   - export changed (any key but nics): removed, then added;
 *   - export moved (only its nics changed): blockd's NIC mask is updated in
 *     place (export-nics);
 *   - a NIC whose set of exports changed: its netd gets a new packet socket
 *     whose locked filter admits the new set, with the new list
 *     (nic-socket); it drains the old socket, then closes it;
 *   - NIC added: ring and doorbells to blockd (nic-add), a new netd, wired
 *     like any other;
 *   - NIC removed: its netd is stopped; once blockd let go of its ring the
 *     NIC is retired (nic-remove).  Its slot and ring stay until a NIC
 *     added later takes the slot over (indices are in blockd's table and
 *     in NIC masks, and a restarted blockd finds each ring at its slot's
 *     fds), so at most SUP_MAX_NICS NICs at a time.
 * Exports and netds that nothing touched are not restarted and see nothing
 * of it.  Values the command line overrides (-S, -U, -D) stay overridden.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confdiff.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "msg.h"
#include "supervisor.h"

#define RELOAD_LIST_MAX		(16 * SUP_MAX_EXPORTS)

/* What the validation opened, for the apply step (or to close again). */
struct reload_plan {
	struct conf_diff	 d;
	struct sup_export	 add[SUP_MAX_EXPORTS];	/* images open */
	unsigned		 add_conf[SUP_MAX_EXPORTS];	/* their next index */
	unsigned		 nadd;
	int			 nic_slot[SUP_MAX_NICS];	/* next NIC → sup slot */
	uint64_t		 fresh;		/* slots given to added NICs */
	char			 lists[SUP_MAX_NICS][RELOAD_LIST_MAX];	/* before */
};

/* Two configurations take turns: the running one, and the one being read. */
static struct conf	 reload_confs[2];

static struct conf *
reload_spare(const struct conf *cur)
{
	return cur == &reload_confs[0] ? &reload_confs[1] : &reload_confs[0];
}

static void
reload_keep_overrides(const struct conf *cur, struct conf *next)
{
	next->overrides = cur->overrides;
	if (cur->overrides & CONF_OVR_CONTROL)
		snprintf(next->control_socket, sizeof(next->control_socket), "%s",
		    cur->control_socket);
	if (cur->overrides & CONF_OVR_USERS) {
		snprintf(next->netd_user, sizeof(next->netd_user), "%s", cur->netd_user);
		snprintf(next->blockd_user, sizeof(next->blockd_user), "%s",
		    cur->blockd_user);
	}
	if (cur->overrides & CONF_OVR_STATE)
		snprintf(next->state_dir, sizeof(next->state_dir), "%s", cur->state_dir);
	if (cur->overrides & CONF_OVR_POLL)
		next->busy_poll_us = cur->busy_poll_us;
}

static int
reload_find_export(const struct sup *s, uint16_t shelf, uint8_t slot)
{
	unsigned	 i;

	for (i = 0; i < s->nexports; i++)
		if (s->exports[i].shelf == shelf && s->exports[i].slot == slot)
			return (int)i;
	return -1;
}

static int
reload_find_nic(const struct sup *s, const char *name)
{
	unsigned	 i;

	for (i = 0; i < s->nnics; i++)
		if (sup_nic_live(s, i) && strcmp(s->nics[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* "shelf.slot,…" of the exports on NIC n, as netd takes them. */
static void
reload_nic_exports(const struct sup *s, unsigned n, char *buf, size_t size)
{
	size_t		 off = 0;
	unsigned	 i;

	buf[0] = '\0';
	for (i = 0; i < s->nexports && off < size; i++)
		if (s->exports[i].nic_mask & ((uint64_t)1 << n))
			off += snprintf(buf + off, size - off, "%s%u.%u", off ? "," : "",
			    s->exports[i].shelf, s->exports[i].slot);
}

/* --- validation: open what is new, change nothing ------------------------ */

/*
 * blockd may not fcntl or ioctl in its sandbox, so an added export's direct
 * I/O is checked here, as blockd does at its start: the image must take
 * 512-byte direct I/O at the export's offset.  If not, it is reopened
 * through the page cache and "direct" is dropped, with a warning.
 */
static int
reload_check_direct(struct sup_export *x, const struct stat *st, const char *where)
{
	static uint8_t	 probe[4096] __attribute__((aligned(4096)));
	int		 lbs = 512, fd;

	if (!(x->flags & SUP_EXPORT_DIRECT))
		return 0;
	if (S_ISBLK(st->st_mode) && ioctl(x->fd, BLKSSZGET, &lbs) == -1)
		lbs = 4096;
	if (lbs == 512 && pread(x->fd, probe, 512, (off_t)(x->offset * 512)) == -1 &&
	    errno == EINVAL)
		lbs = 4096;
	if (lbs == 512)
		return 0;
	log_warnx("%s%s: the image needs %d-byte aligned direct I/O: direct "
	    "ignored, using the page cache", where, x->path, lbs);
	if ((fd = open(x->path, ((x->flags & SUP_EXPORT_RDONLY) ? O_RDONLY : O_RDWR) |
	    O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	close(x->fd);
	x->fd = fd;
	x->flags &= ~SUP_EXPORT_DIRECT;
	return 0;
}

/* Open and check an added export's image, as resources.c does at start but
 * with the reason in err instead of an exit. */
static int
reload_open_image(struct sup_export *x, struct stat *st, const char *where, char *err,
    size_t errlen)
{
	int		 flags = O_CLOEXEC | O_NOCTTY;
	uint64_t	 bytes = 0, total;

	flags |= (x->flags & SUP_EXPORT_RDONLY) ? O_RDONLY : O_RDWR;
	if (x->flags & SUP_EXPORT_DIRECT)
		flags |= O_DIRECT;
	if ((x->fd = open(x->path, flags)) == -1 || fstat(x->fd, st) == -1) {
		snprintf(err, errlen, "%scannot open image %s: %s", where, x->path,
		    strerror(errno));
		return -1;
	}
	if (S_ISBLK(st->st_mode) && ioctl(x->fd, BLKGETSIZE64, &bytes) == -1) {
		snprintf(err, errlen, "%s%s: BLKGETSIZE64: %s", where, x->path,
		    strerror(errno));
		return -1;
	}
	if (S_ISREG(st->st_mode))
		bytes = st->st_size;
	else if (!S_ISBLK(st->st_mode)) {
		snprintf(err, errlen, "%s%s is neither a regular file nor a block device",
		    where, x->path);
		return -1;
	}
	total = bytes / 512;
	x->sectors = x->length ? x->length : (total > x->offset ? total - x->offset : 0);
	if (total == 0 || x->offset >= total || x->sectors > total - x->offset) {
		snprintf(err, errlen, "%s%s: offset %ju + length %ju does not fit in the "
		    "image (%ju sectors)", where, x->path, (uintmax_t)x->offset,
		    (uintmax_t)x->length, (uintmax_t)total);
		return -1;
	}
	if (reload_check_direct(x, st, where) == -1) {
		snprintf(err, errlen, "%scannot reopen %s: %s", where, x->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static bool
reload_same_image(const struct stat *a, const struct stat *b)
{
	if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static bool
reload_overlap(const struct sup_export *x, const struct stat *sx,
    const struct sup_export *y, const struct stat *sy)
{
	return reload_same_image(sx, sy) && x->offset < y->offset + y->sectors &&
	    y->offset < x->offset + x->sectors &&
	    !((x->flags & y->flags) & SUP_EXPORT_RDONLY);
}

/* An export the reload keeps as it is (not removed, not changed). */
static bool
reload_keeps(const struct sup *s, const struct conf *cur, const struct conf_diff *d,
    unsigned i)
{
	unsigned	 k;

	for (k = 0; k < d->nremoved; k++)
		if (cur->exports[d->removed[k]].shelf == s->exports[i].shelf &&
		    cur->exports[d->removed[k]].slot == s->exports[i].slot)
			return false;
	for (k = 0; k < d->nchanged; k++)
		if (cur->exports[d->changed_old[k]].shelf == s->exports[i].shelf &&
		    cur->exports[d->changed_old[k]].slot == s->exports[i].slot)
			return false;
	return true;
}

/* A writable export needs an image or a slice of its own (resources.c). */
static int
reload_check_overlaps(const struct sup *s, const struct conf *cur,
    struct reload_plan *p, const struct stat *st, char *err, size_t errlen)
{
	struct stat	 kst;
	unsigned	 i, k;

	for (k = 0; k < p->nadd; k++) {
		const struct sup_export *x = &p->add[k];

		for (i = 0; i < k; i++)
			if (reload_overlap(x, &st[k], &p->add[i], &st[i]))
				goto overlap;
		for (i = 0; i < s->nexports; i++) {
			if (!reload_keeps(s, cur, &p->d, i) || fstat(s->exports[i].fd, &kst) == -1)
				continue;
			if (reload_overlap(x, &st[k], &s->exports[i], &kst)) {
				snprintf(err, errlen, "e%u.%u: image %s overlaps e%u.%u's; a "
				    "writable export needs an image or a slice of its own",
				    x->shelf, x->slot, x->path, s->exports[i].shelf,
				    s->exports[i].slot);
				return -1;
			}
		}
		continue;
overlap:
		snprintf(err, errlen, "e%u.%u: image %s overlaps e%u.%u's; a writable "
		    "export needs an image or a slice of its own", x->shelf, x->slot,
		    x->path, p->add[i].shelf, p->add[i].slot);
		return -1;
	}
	return 0;
}

static void
reload_close_plan(struct reload_plan *p)
{
	unsigned	 k;

	for (k = 0; k < p->nadd; k++) {
		if (p->add[k].fd != -1)
			close(p->add[k].fd);
		if (p->add[k].shadow_fd != -1)
			close(p->add[k].shadow_fd);
	}
	p->nadd = 0;
}

static int
reload_open_added(const struct sup *s, const struct conf *next, struct reload_plan *p,
    unsigned ci, struct stat *st, char *err, size_t errlen)
{
	struct sup_export	*x = &p->add[p->nadd];
	char			 where[PATH_MAX + 32];

	snprintf(where, sizeof(where), "%s:%u: ", next->file, next->exports[ci].line);
	conf_export_to_sup(&next->exports[ci], x);
	p->add_conf[p->nadd++] = ci;
	if (reload_open_image(x, st, where, err, errlen) == -1)
		return -1;
	if (x->shadow_dir[0] != '\0' && sup_open_shadow_dir(s, x, err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * A frozen or merging export holds acknowledged writes in its shadow that
 * the image does not have: removing it, or changing it (remove + add),
 * would park them out of reach.  Refused; unfreeze it and wait until it is
 * thawed.  (Moving it to other NICs is fine: it keeps serving.)
 */
static int
reload_export_frozen(const struct sup *s, const struct conf_export *cx, char *err,
    size_t errlen, const char *what)
{
	char		 name[16];
	unsigned	 i;

	snprintf(name, sizeof(name), "e%u.%u", cx->shelf, cx->slot);
	for (i = 0; i < s->nexports; i++)
		if (strcmp(s->export_stats[i].export, name) == 0 &&
		    s->export_stats[i].shadow_state != 0) {
			snprintf(err, errlen, "%s is %s: unfreeze it and wait until "
			    "it is thawed before %s it", name,
			    s->export_stats[i].shadow_state == 1 ? "frozen" :
			    "merging its shadow", what);
			return -1;
		}
	return 0;
}

static int
reload_check_frozen(const struct sup *s, const struct conf *cur,
    const struct conf_diff *d, char *err, size_t errlen)
{
	unsigned	 k;

	for (k = 0; k < d->nremoved; k++)
		if (reload_export_frozen(s, &cur->exports[d->removed[k]], err,
		    errlen, "removing") == -1)
			return -1;
	for (k = 0; k < d->nchanged; k++)
		if (reload_export_frozen(s, &cur->exports[d->changed_old[k]], err,
		    errlen, "changing") == -1)
			return -1;
	return 0;
}

/* Slots an added NIC can have: never used, or left by a retired NIC. */
static unsigned
reload_free_slots(const struct sup *s)
{
	unsigned	 i, n = SUP_MAX_NICS - s->nnics;

	for (i = 0; i < s->nnics; i++)
		n += s->nics[i].gone;
	return n;
}

static int
reload_validate(struct sup *s, const struct conf *cur, const struct conf *next,
    struct reload_plan *p, char *err, size_t errlen)
{
	static struct stat	 st[SUP_MAX_EXPORTS];
	struct sup_nic		 probe;
	unsigned		 k;

	if (reload_free_slots(s) < p->d.nnic_added) {
		snprintf(err, errlen, "%s: more than %d NICs at once (a NIC removed "
		    "by this reload frees its slot for the next one)",
		    next->file, SUP_MAX_NICS);
		return -1;
	}
	for (k = 0; k < p->d.nnic_added; k++) {
		const struct conf_nic *cn = &next->nics[p->d.nic_added[k]];

		memset(&probe, 0, sizeof(probe));
		snprintf(probe.name, sizeof(probe.name), "%s", cn->name);
		if (sup_nic_facts(&probe, err, errlen) == -1)
			return -1;
	}
	if (reload_check_frozen(s, cur, &p->d, err, errlen) == -1)
		return -1;
	for (k = 0; k < p->d.nadded; k++)
		if (reload_open_added(s, next, p, p->d.added[k], &st[p->nadd], err,
		    errlen) == -1)
			goto fail;
	for (k = 0; k < p->d.nchanged; k++)
		if (reload_open_added(s, next, p, p->d.changed_new[k], &st[p->nadd], err,
		    errlen) == -1)
			goto fail;
	if (reload_check_overlaps(s, cur, p, st, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	reload_close_plan(p);
	return -1;
}

/* --- apply: nothing below can fail for the operator ------------------------ */

/* A mask over next's NIC indexes, in sup slots. */
static uint64_t
reload_mask(const struct reload_plan *p, const struct conf *next, uint64_t mask)
{
	uint64_t	 out = 0;
	unsigned	 j;

	for (j = 0; j < next->nnics; j++)
		if ((mask & ((uint64_t)1 << j)) && p->nic_slot[j] >= 0)
			out |= (uint64_t)1 << p->nic_slot[j];
	return out;
}

/* Sup slots of next's NICs: the live NIC of that name, else the first
 * slot a retired NIC left, else a new one. */
static void
reload_map_nics(struct sup *s, const struct conf *next, struct reload_plan *p)
{
	unsigned	 j, slot = s->nnics, i = 0;

	for (j = 0; j < next->nnics; j++) {
		if ((p->nic_slot[j] = reload_find_nic(s, next->nics[j].name)) != -1)
			continue;
		while (i < s->nnics && !s->nics[i].gone)
			i++;
		p->nic_slot[j] = i < s->nnics ? (int)i++ : (int)slot++;
		p->fresh |= (uint64_t)1 << p->nic_slot[j];
	}
}

static void
reload_blockd_send(struct sup *s, struct msg_out *m, const int *fds, unsigned nfds)
{
	/* blockd down: its next start gets the whole new configuration */
	if (s->blockd.state == CHILD_DOWN) {
		msg_discard(m);
		return;
	}
	if (msg_send_fds(s->blockd.chan, m, fds, nfds) == -1)
		log_warn("reload: sending to blockd");	/* it is dying: restarted whole */
}

static void
reload_remove_export(struct sup *s, uint16_t shelf, uint8_t slot)
{
	struct msg_out	 m;
	char		 name[16];
	int		 i;

	if ((i = reload_find_export(s, shelf, slot)) == -1)
		return;
	snprintf(name, sizeof(name), "e%u.%u", shelf, slot);
	msg_begin(&m, MSG_EXPORT_REMOVE, 1);
	msg_put_str(&m, "export", name);
	reload_blockd_send(s, &m, NULL, 0);
	close(s->exports[i].fd);
	if (s->exports[i].shadow_fd != -1)
		close(s->exports[i].shadow_fd);
	memmove(&s->exports[i], &s->exports[i + 1],
	    (s->nexports - i - 1) * sizeof(s->exports[0]));
	memmove(&s->export_stats[i], &s->export_stats[i + 1],
	    (s->nexports - i - 1) * sizeof(s->export_stats[0]));
	s->nexports--;
	memset(&s->export_stats[s->nexports], 0, sizeof(s->export_stats[0]));
}

static void
reload_add_export(struct sup *s, const struct sup_export *x)
{
	char		 spec[SUP_EXPORT_SPEC_MAX];
	struct msg_out	 m;
	int		 fds[2] = { x->fd, x->shadow_fd };

	s->exports[s->nexports] = *x;
	memset(&s->export_stats[s->nexports], 0, sizeof(s->export_stats[0]));
	s->nexports++;
	/* the image, and the shadow directory when it has one (blockd moves
	 * it into its shadow fd range: blockd/freeze.c) */
	sup_blockd_export_spec(x, -1, spec, sizeof(spec));
	msg_begin(&m, MSG_EXPORT_ADD, 1);
	msg_put_str(&m, "spec", spec);
	reload_blockd_send(s, &m, fds, x->shadow_fd >= 0 ? 2 : 1);
}

static void
reload_move_export(struct sup *s, uint16_t shelf, uint8_t slot, uint64_t mask)
{
	struct msg_out	 m;
	char		 name[16];
	int		 i;

	if ((i = reload_find_export(s, shelf, slot)) == -1)
		return;
	s->exports[i].nic_mask = mask;
	snprintf(name, sizeof(name), "e%u.%u", shelf, slot);
	msg_begin(&m, MSG_EXPORT_NICS, 2);
	msg_put_str(&m, "export", name);
	msg_put_u64(&m, "nics", mask);
	reload_blockd_send(s, &m, NULL, 0);
}

static void
reload_apply_exports(struct sup *s, const struct conf *cur, const struct conf *next,
    struct reload_plan *p)
{
	const struct conf_diff	*d = &p->d;
	unsigned		 k;

	for (k = 0; k < d->nremoved; k++)
		reload_remove_export(s, cur->exports[d->removed[k]].shelf,
		    cur->exports[d->removed[k]].slot);
	for (k = 0; k < d->nchanged; k++)
		reload_remove_export(s, cur->exports[d->changed_old[k]].shelf,
		    cur->exports[d->changed_old[k]].slot);
	for (k = 0; k < d->nmoved; k++) {
		const struct conf_export *x = &next->exports[d->moved_new[k]];

		reload_move_export(s, x->shelf, x->slot, reload_mask(p, next, x->nic_mask));
	}
	for (k = 0; k < p->nadd; k++) {
		p->add[k].nic_mask = reload_mask(p, next,
		    next->exports[p->add_conf[k]].nic_mask);
		reload_add_export(s, &p->add[k]);
	}
	p->nadd = 0;	/* the fds are s's now */
}

/* What a retired NIC left in its slot: its ring and doorbells (kept for
 * a blockd restart until now; blockd lets go of its copy at nic-add) and
 * its netd's restart timer. */
static void
reload_clear_slot(struct sup *s, unsigned slot)
{
	struct sup_nic	*nic = &s->nics[slot];

	if (nic->ring != -1)
		close(nic->ring);
	if (nic->rx_bell != -1)
		close(nic->rx_bell);
	if (nic->tx_bell != -1)
		close(nic->tx_bell);
	if (nic->netd.ev_restart != NULL)
		event_free(nic->netd.ev_restart);
	log_debug("reload: %s's slot %u taken over", nic->name, slot);
}

/* A new NIC: ring and doorbells to blockd, then its netd (wired once both
 * are ready, children.c). */
static void
reload_add_nic(struct sup *s, unsigned slot, const char *name)
{
	struct sup_nic	*nic = &s->nics[slot];
	struct msg_out	 m;
	char		 err[256];
	int		 fds[3];

	if (slot < s->nnics)
		reload_clear_slot(s, slot);
	memset(nic, 0, sizeof(*nic));
	snprintf(nic->name, sizeof(nic->name), "%s", name);
	nic->sock = nic->txsock = nic->ring = nic->rx_bell = nic->tx_bell = -1;
	if (slot >= s->nnics)
		s->nnics = slot + 1;
	nic->settling = true;	/* until its netd runs */
	child_init(s, &nic->netd, ROLE_NETD, slot);
	if (sup_open_nic(s, slot, err, sizeof(err)) == -1) {
		/* it was there a moment ago: retried like a vanished NIC */
		log_warnx("reload: %s", err);
		if (nic->ring == -1)
			fatalx("reload: %s: no ring", name);
	}
	fds[0] = nic->ring;
	fds[1] = nic->rx_bell;
	fds[2] = nic->tx_bell;
	msg_begin(&m, MSG_NIC_ADD, 3);
	msg_put_u64(&m, "nic", slot);
	msg_put_u64(&m, "nbufs", nic->nbufs);
	msg_put_u64(&m, "bufsize", nic->buf_size);
	reload_blockd_send(s, &m, fds, 3);
	if (nic->sock == -1) {
		struct timeval	 tv = { 1, 0 };

		evtimer_add(nic->netd.ev_restart, &tv);
	} else
		child_spawn(&nic->netd);
}

/* Stop a removed NIC's netd; children.c retires the NIC once it is down
 * and blockd let go of its ring. */
static void
reload_remove_nic(struct sup *s, unsigned slot)
{
	struct sup_nic	*nic = &s->nics[slot];

	nic->removing = true;
	evtimer_del(nic->netd.ev_restart);
	if (nic->netd.state != CHILD_DOWN) {
		if (msg_send_simple(nic->netd.chan, MSG_STOP) == -1)
			kill(nic->netd.pid, SIGKILL);
	} else if (!nic->detach_pending)
		sup_nic_retire(s, slot);
}

void
sup_nic_retire(struct sup *s, unsigned slot)
{
	struct sup_nic	*nic = &s->nics[slot];

	if (s->blockd.state != CHILD_DOWN &&
	    msg_send_u64(s->blockd.chan, MSG_NIC_REMOVE, "nic", slot) == -1)
		log_warn("reload: sending to blockd");
	if (nic->sock != -1)
		close(nic->sock);
	if (nic->txsock != -1)
		close(nic->txsock);
	nic->sock = nic->txsock = -1;
	nic->removing = false;
	nic->gone = true;
	nic->running = nic->attached = false;
	log_info("reload: %s is no longer served", nic->name);
	sup_nic_settled(s, slot);
}

/* Kept NICs whose set of exports changed: a new socket, filter and list. */
static void
reload_resocket_nics(struct sup *s, struct reload_plan *p, unsigned nkept)
{
	static char	 list[RELOAD_LIST_MAX];
	struct msg_out	 m;
	unsigned	 n;

	for (n = 0; n < nkept; n++) {
		struct sup_nic *nic = &s->nics[n];

		/* a slot this reload gave a new NIC has its first socket */
		if (!sup_nic_live(s, n) || nic->removing || (p->fresh >> n & 1))
			continue;
		reload_nic_exports(s, n, list, sizeof(list));
		if (strcmp(list, p->lists[n]) == 0)
			continue;
		if (sup_resocket_nic(s, n) == -1) {
			/* the old socket keeps serving the old set; a netd
			 * restart retries */
			log_warnx("reload: %s keeps its old exports until its netd "
			    "restarts", nic->name);
			continue;
		}
		/* settled when netd says it reads this one alone, or a netd
		 * started with it runs (a failed send: netd is dying) */
		nic->sock_seq++;
		nic->settling = true;
		if (nic->netd.state == CHILD_DOWN)
			continue;	/* started with the new socket */
		msg_begin(&m, MSG_NIC_SOCKET, 2);
		msg_put_str(&m, "exports", list);
		msg_put_u64(&m, "seq", nic->sock_seq);
		if (msg_send_fds(nic->netd.chan, &m, &nic->sock, 1) == -1)
			log_warn("reload: sending to %s", nic->netd.name);
	}
}

/* The NICs whose netd has not yet taken up a reload, and blockd if it has
 * not, comma separated in names (may be NULL); false when there are none. */
bool
sup_reload_unsettled(const struct sup *s, char *names, size_t size)
{
	unsigned	 n;
	size_t		 len = 0;
	bool		 any = s->blockd_settling;

	if (names != NULL && size > 0)
		names[0] = '\0';
	if (any && names != NULL && size > 0)
		len += snprintf(names, size, "blockd");
	for (n = 0; n < s->nnics; n++) {
		if (!s->nics[n].settling || s->nics[n].removing || s->nics[n].gone)
			continue;	/* a NIC on its way out has nothing to take up */
		any = true;
		if (names != NULL && len < size)
			len += snprintf(names + len, size - len, "%s%s",
			    len > 0 ? ", " : "", s->nics[n].name);
	}
	return any;
}

/* One of them (its flag) took up the last reload; the reload's reply goes
 * out when the last one has. */
static void
reload_settle(struct sup *s, bool *settling)
{
	if (!*settling)
		return;
	*settling = false;
	if (!sup_reload_unsettled(s, NULL, 0))
		control_reload_settled(s->control);
}

/* A NIC took up the last reload (or need not: removed, or its netd
 * started afresh). */
void
sup_nic_settled(struct sup *s, unsigned n)
{
	reload_settle(s, &s->nics[n].settling);
}

/* A barrier: blockd answers sync once it has done all that came before on
 * its channel (an added export is known before a frame for it arrives).
 * Until then a reload's reply waits.  A failed send: blockd is dying, and
 * its successor is asked again (child_spawn). */
void
sup_blockd_sync(struct sup *s)
{
	s->blockd_settling = true;
	if (msg_send_u64(s->blockd.chan, MSG_SYNC, "seq", ++s->blockd_sync_seq) == -1)
		log_warn("reload: sending to blockd");
}

/* blockd answered the latest sync. */
void
sup_blockd_settled(struct sup *s)
{
	reload_settle(s, &s->blockd_settling);
}

/* The running configuration is next from now on; s's strings point into it
 * (the one before is overwritten by the next reload). */
static void
reload_install(struct sup *s, const struct conf *next)
{
	conf_install(next);
	s->control_path = next->control_socket;
	s->netd_user = next->netd_user;
	s->blockd_user = next->blockd_user;
	s->state_dir = next->state_dir;
	s->busy_poll_us = next->busy_poll_us;
	s->control_group = next->control_group[0] ? next->control_group : NULL;
	s->operator_group = next->operator_group[0] ? next->operator_group : NULL;
}

static void
reload_apply(struct sup *s, const struct conf *cur, const struct conf *next,
    struct reload_plan *p)
{
	unsigned	 n, k, nkept = s->nnics;
	int		 slot;

	for (n = 0; n < s->nnics; n++)
		reload_nic_exports(s, n, p->lists[n], sizeof(p->lists[n]));
	reload_map_nics(s, next, p);
	reload_apply_exports(s, cur, next, p);
	for (k = 0; k < p->d.nnic_added; k++)
		reload_add_nic(s, p->nic_slot[p->d.nic_added[k]],
		    next->nics[p->d.nic_added[k]].name);
	for (k = 0; k < p->d.nnic_removed; k++)
		if ((slot = reload_find_nic(s, cur->nics[p->d.nic_removed[k]].name)) != -1)
			s->nics[slot].removing = true;	/* no new socket for it */
	reload_resocket_nics(s, p, nkept);
	for (n = 0; n < s->nnics; n++)
		if (s->nics[n].removing && sup_nic_live(s, n))
			reload_remove_nic(s, n);
	reload_install(s, next);
	/* a blockd that is down gets everything when it starts */
	if (s->blockd.state != CHILD_DOWN)
		sup_blockd_sync(s);
}

/* 0 with what changed in `text` ("unchanged", "added e1.4, …"), or -1
 * with the reason; on -1 nothing changed. */
int
sup_reload(struct sup *s, char *text, size_t size)
{
	static struct reload_plan	 plan;
	const struct conf		*cur = conf_current();
	struct conf			*next;

	if (s->config_file == NULL || cur == NULL) {
		snprintf(text, size, "no configuration file to reload "
		    "(aoede was started from the command line)");
		return -1;
	}
	next = reload_spare(cur);
	conf_init(next);
	if (conf_parse_file(next, s->config_file) == -1 || conf_check_host(next) == -1) {
		snprintf(text, size, "%s", next->err);
		return -1;
	}
	reload_keep_overrides(cur, next);
	memset(&plan, 0, sizeof(plan));
	if (conf_diff(cur, next, &plan.d, text, size) == -1)
		return -1;
	if (conf_diff_empty(&plan.d)) {
		/* names and lines may differ: the file is the one to point at */
		reload_install(s, next);
		snprintf(text, size, "unchanged");
		return 0;
	}
	if (reload_validate(s, cur, next, &plan, text, size) == -1)
		return -1;
	conf_diff_describe(cur, next, &plan.d, text, size);
	reload_apply(s, cur, next, &plan);
	return 0;
}

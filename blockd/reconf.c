/*
 * blockd's side of a reload (supervisor/reload.c) and of the operator's
 * view of the AoE state: messages that change what blockd serves while it
 * keeps serving everything else.
 *
 *   export-add {spec} + image fd	a new export, in a free slot
 *   export-remove {export}		stop finding it, finish its I/O, sync, close
 *   export-nics {export, nics}		the NICs an export is served on
 *   nic-add {nic, nbufs, bufsize}	a new NIC's ring and doorbells (3 fds),
 *					detached until the supervisor attaches it
 *   nic-remove {nic}			a detached NIC's ring is unmapped
 *   state-get / state-clear		answered with `state` (token echoed)
 *
 * Exports added at run time use the synchronous I/O path: the io_uring
 * ring's registered files are fixed at setup, and the restriction applied
 * before the ring was enabled forbids any later registration — which is
 * what keeps a compromised blockd from reaching a new file through the
 * ring.  Such an export goes through io_uring after blockd's next restart.
 * For the same reason a removed export's image stays referenced by the
 * ring's file table (not by an fd of ours) until blockd restarts.
 *
 * blockd may not fcntl or ioctl once sandboxed, so an added export's
 * O_DIRECT image was checked by the supervisor (which reopens it without
 * O_DIRECT and drops "direct" from the spec when 512-byte direct I/O does
 * not work).
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blockd.h"
#include "log.h"
#include "memio.h"
#include "state.h"
#include "util.h"

#define RECONF_SPEC_MAX		1024

static struct export *
reconf_find_export(struct blockd *b, const char *name)
{
	unsigned	 i;

	for (i = 0; i < b->eng.nexports; i++)
		if (blockd_export_live(&b->exports[i]) &&
		    strcmp(b->exports[i].name, name) == 0)
			return &b->exports[i];
	return NULL;
}

/* A removed export's slot (its fd closed), or a new one at the end. */
static unsigned
reconf_free_slot(struct blockd *b)
{
	unsigned	 i;

	for (i = 0; i < b->eng.nexports; i++)
		if (!blockd_export_live(&b->exports[i]) && b->exports[i].fd == -1)
			return i;
	if (b->eng.nexports == BLOCKD_MAX_EXPORTS)
		fatalx("export-add: no free export slot");
	return b->eng.nexports;
}

static __attribute__((noreturn)) void
reconf_malformed(const struct msg_in *m)
{
	fatalx("supervisor sent a malformed %s", m->type);
}

static void
reconf_export_add(struct blockd *b, struct msg_in *m)
{
	char		 spec[RECONF_SPEC_MAX];
	struct export	*x;
	const char	*why;
	unsigned	 i;
	int		 fd, shadowfd;

	if (msg_get_str(m, "spec", spec, sizeof(spec)) == -1 || msg_end(m) == -1 ||
	    (fd = msg_take_fd(m, 0)) == -1)
		reconf_malformed(m);
	shadowfd = msg_take_fd(m, 1);	/* its shadow directory, if any */
	i = reconf_free_slot(b);
	x = &b->exports[i];
	if (blockd_parse_export(spec, x, &why) == -1)
		fatalx("export-add %s: %s", spec, why);
	if (reconf_find_export(b, x->name) != NULL && reconf_find_export(b, x->name) != x)
		fatalx("export-add: %s is already served", x->name);
	blockd_name_export(x, i);
	x->fd = fd;
	x->lbsize = 512;
	x->flags |= EXPORT_NOURING;	/* see the top of this file */
	/* the aio queues stay empty on the synchronous path, but
	 * engine_aio_commit() looks at every export's */
	engine_aio_export_init(x, -1);
	if (x->cache_bytes != 0 && (x->cache = cache_new(x->cache_bytes, x->sectors)) == NULL)
		log_warnx("%s: no memory for a %ju-byte cache; running without",
		    x->name, (uintmax_t)x->cache_bytes);
	if (b->state_dir >= 0)
		blockd_load_state(b, x);
	freeze_export_added(b, i, shadowfd);
	memset(b->lat[i], 0, sizeof(b->lat[i]));
	if (i == b->eng.nexports)
		b->eng.nexports++;
	log_info("%s added (synchronous I/O until blockd restarts)", x->name);
}

/*
 * The export is no longer found from now on (requests for it still in a
 * ring are returned unanswered, as for any unknown export).  What it has in
 * flight finishes and is answered: engine_aio_drain waits for every
 * request in flight — a few milliseconds in which the other exports' new
 * requests wait in their rings, none is lost.  Then the image is synced
 * and closed.
 */
static void
reconf_export_remove(struct blockd *b, struct msg_in *m)
{
	char		 name[16];
	struct export	*x;
	int		 rc;

	if (msg_get_str(m, "export", name, sizeof(name)) == -1 || msg_end(m) == -1)
		reconf_malformed(m);
	if ((x = reconf_find_export(b, name)) == NULL)
		fatalx("export-remove: no export %s", name);
	x->nic_mask = 0;
	engine_aio_drain(&b->eng);
	blockd_publish_all(b);
	if (x->state_dirty && b->state_dir >= 0 && (rc = state_save(b->state_dir, x)) < 0)
		log_warnx("%s: saving its AoE state: %s", x->name, strerror(-rc));
	x->state_dirty = false;
	x->sync_pending = true;
	if ((rc = export_sync(x)) != 0)
		log_warnx("%s: flush at removal: %s", x->name, strerror(-rc));
	freeze_export_removed(x);
	memio_unmap(x);
	close(x->fd);
	x->fd = -1;
	if (x->cache != NULL) {
		cache_free(x->cache);
		x->cache = NULL;
	}
	log_info("%s removed", x->name);
}

static void
reconf_export_nics(struct blockd *b, struct msg_in *m)
{
	char		 name[16];
	struct export	*x;
	uint64_t	 mask;

	if (msg_get_str(m, "export", name, sizeof(name)) == -1 ||
	    msg_get_u64(m, "nics", &mask) == -1 || msg_end(m) == -1 || mask == 0)
		reconf_malformed(m);
	if ((x = reconf_find_export(b, name)) == NULL)
		fatalx("export-nics: no export %s", name);
	x->nic_mask = mask;
	log_debug("%s: NIC mask now %#jx", x->name, (uintmax_t)mask);
}

/* Everything of a NIC that is not wired: its ring, doorbells, tables. */
static void
reconf_nic_release(struct blockd_nic *nic)
{
	event_free(nic->ev_bell);
	munmap(nic->rr.base, nic->rr.size);
	close(nic->ring_fd);
	close(nic->rx_bell);
	close(nic->tx_bell);
	free(nic->owned);
	free(nic->ios);
	memset(nic, 0, sizeof(*nic));
}

static void
reconf_nic_add(struct blockd *b, struct msg_in *m)
{
	struct blockd_nic	*nic;
	uint64_t		 n, nbufs, bufsize;
	int			 fds[3];
	unsigned		 i;

	if (msg_get_u64(m, "nic", &n) == -1 || msg_get_u64(m, "nbufs", &nbufs) == -1 ||
	    msg_get_u64(m, "bufsize", &bufsize) == -1 || msg_end(m) == -1 ||
	    n >= BLOCKD_MAX_NICS || n > b->nnics || m->nfds != 3 ||
	    nbufs < 2 || nbufs > RING_MAX_BUFS || bufsize < 4096 || bufsize > (1 << 20))
		reconf_malformed(m);
	nic = &b->nics[n];
	if (n < b->nnics && nic->rr.base != NULL) {
		/* a retired NIC's ring that we were started with (the
		 * supervisor sent no nic-remove while we were down): the slot
		 * goes to a new NIC; one that is wired is a bug */
		if (nic->attached || nic->detach_pending || nic->inflight != 0)
			fatalx("nic-add: NIC %ju is in use", (uintmax_t)n);
		reconf_nic_release(nic);
	}
	for (i = 0; i < 3; i++)
		fds[i] = msg_take_fd(m, i);
	memset(nic, 0, sizeof(*nic));
	blockd_map_ring(b, n, fds[0], nbufs, bufsize);
	nic->rx_bell = fds[1];
	nic->tx_bell = fds[2];
	nic->ev_bell = event_new(b->base, nic->rx_bell, EV_READ | EV_PERSIST,
	    blockd_on_bell, nic);
	if (nic->ev_bell == NULL)
		fatalx("event_new");
	if (n == b->nnics)
		b->nnics++;
	log_debug("NIC %ju added, detached", (uintmax_t)n);
}

static void
reconf_nic_remove(struct blockd *b, struct msg_in *m)
{
	struct blockd_nic	*nic;
	uint64_t		 n;

	if (msg_get_u64(m, "nic", &n) == -1 || msg_end(m) == -1 || n >= b->nnics)
		reconf_malformed(m);
	nic = &b->nics[n];
	/* the supervisor waited for nic-detached: nothing of it is in flight */
	if (nic->attached || nic->detach_pending || nic->inflight != 0 ||
	    nic->rr.base == NULL)
		fatalx("nic-remove: NIC %ju is still in use", (uintmax_t)n);
	reconf_nic_release(nic);
	log_debug("NIC %ju removed", (uintmax_t)n);
}

/* --- the AoE state, for aoectl ------------------------------------------ */

static void
reconf_hex(const uint8_t *p, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
	out[2 * n] = '\0';
}

static void
reconf_macs(const uint8_t (*macs)[6], unsigned n, char *out, size_t size)
{
	char		 mac[MAC_STRLEN];
	size_t		 off = 0;
	unsigned	 i;

	out[0] = '\0';
	for (i = 0; i < n && off < size; i++)
		off += snprintf(out + off, size - off, "%s%s", i ? "," : "",
		    mac_format(macs[i], mac));
}

/* The reply to state-get and state-clear: the export's state now, or why
 * there is none. */
static void
reconf_send_state(struct blockd *b, uint64_t token, const struct export *x,
    const char *error)
{
	static char	 config[2 * AOE_CFG_MAX + 1];
	static char	 masks[EXPORT_MAX_MASKS * MAC_STRLEN + 1];
	static char	 reserve[EXPORT_MAX_RESERVE * MAC_STRLEN + 1];
	struct msg_out	 out;

	config[0] = masks[0] = reserve[0] = '\0';
	if (x != NULL) {
		reconf_hex(x->config, x->config_len, config);
		reconf_macs((const uint8_t (*)[6])x->masks, x->nmasks, masks, sizeof(masks));
		reconf_macs((const uint8_t (*)[6])x->reserve, x->nreserve, reserve,
		    sizeof(reserve));
	}
	msg_begin(&out, MSG_STATE, 5);
	msg_put_u64(&out, "token", token);
	msg_put_str(&out, "error", error);
	msg_put_str(&out, "config", config);
	msg_put_str(&out, "masks", masks);
	msg_put_str(&out, "reserve", reserve);
	if (msg_send(b->chan, &out) == -1)
		fatal("channel");
}

/* Clear part of an export's state and save it the way a LAN edit is saved
 * (state_save: temporary file, fsync, rename, fsync of the directory). */
static const char *
reconf_state_clear(struct blockd *b, struct export *x, const char *what)
{
	bool	 all = strcmp(what, "all") == 0;
	int	 rc;

	if (!all && strcmp(what, "config") != 0 && strcmp(what, "masks") != 0 &&
	    strcmp(what, "reserve") != 0)
		return "unknown part of the state (config, masks, reserve or all)";
	if (all || strcmp(what, "config") == 0)
		x->config_len = 0;
	if (all || strcmp(what, "masks") == 0)
		x->nmasks = 0;
	if (all || strcmp(what, "reserve") == 0)
		x->nreserve = 0;
	x->state_dirty = false;
	if (b->state_dir >= 0 && (rc = state_save(b->state_dir, x)) < 0) {
		log_warnx("%s: saving its AoE state: %s", x->name, strerror(-rc));
		return "cleared, but saving the state file failed (see the log)";
	}
	log_info("%s: AoE state cleared: %s", x->name, what);
	return "";
}

static void
reconf_state(struct blockd *b, struct msg_in *m, bool clear)
{
	char		 name[16], what[16] = "";
	struct export	*x;
	uint64_t	 token;
	const char	*error = "";

	if (msg_get_u64(m, "token", &token) == -1 ||
	    msg_get_str(m, "export", name, sizeof(name)) == -1 ||
	    (clear && msg_get_str(m, "what", what, sizeof(what)) == -1) ||
	    msg_end(m) == -1)
		reconf_malformed(m);
	if ((x = reconf_find_export(b, name)) == NULL)
		error = "no such export in blockd";
	else if (clear)
		error = reconf_state_clear(b, x, what);
	reconf_send_state(b, token, x, error);
}

/* A reload's barrier: everything the supervisor sent before is done (the
 * channel is read in order), which its reply waits for. */
static void
reconf_sync(struct blockd *b, struct msg_in *m)
{
	uint64_t	 seq;

	if (msg_get_u64(m, "seq", &seq) == -1 || msg_end(m) == -1)
		reconf_malformed(m);
	if (msg_send_u64(b->chan, MSG_SYNCED, "seq", seq) == -1)
		fatal("channel");
}

bool
blockd_reconf_msg(struct blockd *b, struct msg_in *m)
{
	if (msg_is(m, MSG_EXPORT_ADD))
		reconf_export_add(b, m);
	else if (msg_is(m, MSG_EXPORT_REMOVE))
		reconf_export_remove(b, m);
	else if (msg_is(m, MSG_EXPORT_NICS))
		reconf_export_nics(b, m);
	else if (msg_is(m, MSG_NIC_ADD))
		reconf_nic_add(b, m);
	else if (msg_is(m, MSG_NIC_REMOVE))
		reconf_nic_remove(b, m);
	else if (msg_is(m, MSG_SYNC))
		reconf_sync(b, m);
	else if (msg_is(m, MSG_STATE_GET))
		reconf_state(b, m, false);
	else if (msg_is(m, MSG_STATE_CLEAR))
		reconf_state(b, m, true);
	else
		return false;
	return true;
}

/*
 * blockd's command engine: request dispatch, export lookup, reply framing
 * and group commit (engine.h).  The ATA commands live in ata.c, the other
 * AoE commands in aoecmd.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine_int.h"
#include "log.h"

typedef size_t (*engine_cmd_fn)(struct engine_req *);

/* AoE command → handler; anything not listed gets BADCMD. */
static const struct {
	uint8_t		 cmd;
	engine_cmd_fn	 fn;
} engine_cmds[] = {
	{ AOE_CMD_ATA,	ata_handle },
	{ AOE_CMD_CFG,	aoecmd_cfg },
	{ AOE_CMD_MASK,	aoecmd_mask },
	{ AOE_CMD_RSV,	aoecmd_rsv },
	{ AOE_CMD_EXT,	ext_cmd },
};

static int
engine_serves(const struct export *x, unsigned nic_index, uint16_t major,
    uint8_t minor)
{
	if (nic_index >= EXPORT_MAX_NICS)	/* nic_mask has 64 bits */
		return 0;
	if ((x->nic_mask & (UINT64_C(1) << nic_index)) == 0)
		return 0;
	if (major != AOE_MAJOR_ANY && major != x->shelf)
		return 0;
	if (minor != AOE_MINOR_ANY && minor != x->slot)
		return 0;
	return 1;
}

struct export *
engine_find(struct engine *e, unsigned nic_index, uint16_t major,
    uint8_t minor)
{
	unsigned	 i;

	for (i = 0; i < e->nexports; i++)
		if (engine_serves(&e->exports[i], nic_index, major, minor))
			return &e->exports[i];
	return NULL;
}

int
engine_mac_in(const uint8_t (*list)[6], unsigned n, const uint8_t mac[6])
{
	unsigned	 i;

	for (i = 0; i < n; i++)
		if (memcmp(list[i], mac, 6) == 0)
			return 1;
	return 0;
}

void
engine_mac_str(const uint8_t mac[6], char buf[ENGINE_MAC_STRLEN])
{
	snprintf(buf, ENGINE_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x",
	    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

size_t
engine_reply(struct engine_req *r, size_t len, uint8_t error)
{
	/* A reply is never shorter than the Ethernet minimum (aoetools drop
	 * runts and veth does not pad), and never overruns the buffer. */
	if (len > r->cap || r->cap < AOE_MIN_FRAME)
		return 0;
	aoe_hdr_make_response(r->frame, r->nic->mac, r->x->shelf, r->x->slot,
	    error);
	return aoe_pad(r->frame, len, r->cap);
}

void
engine_count_error(struct export *x, uint8_t error)
{
	if (error == AOE_ERR_BADARG)
		x->st.err_badarg++;
	else if (error == AOE_ERR_RESERVED)
		x->st.err_reserved++;
}

size_t
engine_reply_error(struct engine_req *r, size_t hdrlen, uint8_t error)
{
	engine_count_error(r->x, error);
	if (hdrlen > r->len)
		hdrlen = r->len;
	/* Only the command's fixed header is echoed, never its data: the
	 * reply ends there and aoe_pad zeroes the rest up to 60 bytes. */
	return engine_reply(r, hdrlen, error);
}

static size_t
engine_badcmd(struct engine_req *r)
{
	return engine_reply_error(r, AOE_HDR_LEN, AOE_ERR_BADCMD);
}

static size_t
engine_run(struct export *x, const struct nic_view *nic, uint8_t *frame,
    size_t len, size_t cap, struct export **sync_export, struct engine_io *io)
{
	struct export	*dummy = NULL;
	struct engine_req r;
	size_t		 i;

	if (sync_export == NULL)
		sync_export = &dummy;
	*sync_export = NULL;
	if (len > cap || cap < AOE_MIN_FRAME)
		return 0;
	memset(&r, 0, sizeof(r));
	if (aoe_hdr_decode(frame, len, &r.hdr) != 0 ||
	    (r.hdr.flags & AOE_FLAG_RESP))
		return 0;
	r.nic = nic;
	r.x = x;
	r.frame = frame;
	r.len = len;
	r.cap = cap;
	r.sync_export = sync_export;
	r.io = io;

	/* While the mask list is non-empty only listed hosts exist for this
	 * export, config queries included (PROTOCOL.md §1.5). */
	if (x->nmasks > 0 &&
	    !engine_mac_in((const uint8_t (*)[6])x->masks, x->nmasks,
	    r.hdr.src)) {
		x->st.dropped_mask++;
		return 0;
	}
	r.ext_flags = ext_peer_flags(x, r.hdr.src);
	for (i = 0; i < sizeof(engine_cmds) / sizeof(engine_cmds[0]); i++)
		if (engine_cmds[i].cmd == r.hdr.cmd)
			return engine_cmds[i].fn(&r);
	return engine_badcmd(&r);
}

size_t
engine_handle_export(struct export *x, const struct nic_view *nic,
    uint8_t *frame, size_t len, size_t cap, struct export **sync_export)
{
	return engine_run(x, nic, frame, len, cap, sync_export, NULL);
}

size_t
engine_handle_io(struct engine *e, const struct nic_view *nic, uint8_t *frame,
    size_t len, size_t cap, struct export **sync_export, struct engine_io *io)
{
	struct aoe_hdr	 h;
	struct export	*x;
	size_t		 rc;

	if (sync_export != NULL)
		*sync_export = NULL;
	if (len > cap || aoe_hdr_decode(frame, len, &h) != 0 ||
	    (h.flags & AOE_FLAG_RESP))
		return 0;
	if ((x = engine_find(e, nic->index, h.major, h.minor)) == NULL)
		return 0;
	if (io != NULL && (e->ring == NULL || (x->flags & EXPORT_NOURING) ||
	    shadow_active(&x->shadow)))
		io = NULL;
	if (io != NULL)
		io->e = e;
	rc = engine_run(x, nic, frame, len, cap, sync_export, io);
	if (rc == ENGINE_PENDING)
		e->pending++;
	return rc;
}

size_t
engine_handle(struct engine *e, const struct nic_view *nic, uint8_t *frame,
    size_t len, size_t cap, struct export **sync_export)
{
	return engine_handle_io(e, nic, frame, len, cap, sync_export, NULL);
}

/* fdatasync with EINTR retried; failure stays visible: counted, logged,
 * and sync_pending is left as it was so the next call tries again. */
static int
export_fdatasync(struct export *x)
{
	int	 rc;

	x->st.fsyncs++;
	do
		rc = fdatasync(x->fd);
	while (rc == -1 && errno == EINTR);
	rc = rc == -1 ? -errno : 0;
	/* frozen or merging: the shadow and its map hold writes too */
	if (rc == 0)
		rc = shadow_sync(&x->shadow);
	if (rc != 0) {
		x->st.err_io++;
		log_warnx("%s: fdatasync: %s", x->name, strerror(-rc));
		if (x->cache != NULL)
			cache_clear(x->cache);
		return rc;
	}
	x->sync_pending = false;
	return 0;
}

int
export_sync(struct export *x)
{
	if (!x->sync_pending)
		return 0;
	return export_fdatasync(x);
}

int
export_flush(struct export *x)
{
	return export_fdatasync(x);
}

void
engine_fail_write(struct export *x, uint8_t *frame)
{
	/* bytes 25 and 27 of an ATA reply: error and status.  The sector
	 * count stays 0: the request's count is gone, and Linux ignores it. */
	frame[25] = ATA_ERR_ABRT;
	frame[27] = ATA_STAT_DRDY | ATA_STAT_ERR;
	x->st.err_io++;
	ext_write_failed(x, frame);
}

size_t
engine_announce(struct engine *e, const struct nic_view *nic, uint16_t major,
    uint8_t minor, uint8_t *frame, size_t cap)
{
	struct export	*x;
	struct aoe_hdr	 h;
	struct aoe_cfg	 c;
	int		 n;

	if ((x = engine_find(e, nic->index, major, minor)) == NULL)
		return 0;
	memset(&h, 0, sizeof(h));
	memset(h.dst, 0xff, sizeof(h.dst));
	memcpy(h.src, nic->mac, sizeof(h.src));
	h.type = AOE_ETHERTYPE;
	h.ver = AOE_VERSION;
	h.flags = AOE_FLAG_RESP;
	h.major = x->shelf;
	h.minor = x->slot;
	h.cmd = AOE_CMD_CFG;
	h.tag = 0;
	memset(&c, 0, sizeof(c));
	c.bufcnt = x->bufcnt;
	c.fwver = ENGINE_FW_VERSION;
	c.scnt = nic->max_sectors;
	c.aoever = AOE_VERSION;
	c.ccmd = AOE_CCMD_READ;
	c.cslen = x->config_len;
	c.cs = x->config;
	if (cap < AOE_MIN_FRAME)
		return 0;
	aoe_hdr_encode(frame, &h);
	if ((n = aoe_cfg_encode(frame, cap, &c)) < 0)
		return 0;
	return aoe_pad(frame, (size_t)n, cap);
}

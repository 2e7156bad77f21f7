/*
 * AoE commands 1–3: Query Config, MAC Mask List and Reserve/Release
 * (PROTOCOL.md §1.4–1.6).  Their state lives in the export; persisting it
 * is the caller's business.
 */
#include <string.h>

#include "engine_int.h"
#include "log.h"

#define AOECMD_NIBBLE	0x0f

/* A LAN-side change refused by a lan-* switch, logged with its sender. */
static void
aoecmd_refused(struct engine_req *r, const char *what)
{
	char	 by[ENGINE_MAC_STRLEN];

	engine_mac_str(r->hdr.src, by);
	log_info("%s: %s by %s refused: switched off in the configuration",
	    r->x->name, what, by);
}

/* --- Query Config ------------------------------------------------------ */

typedef size_t (*aoecmd_cfg_fn)(struct engine_req *, const struct aoe_cfg *);

/* The reply every CCmd shares: our parameters and the current string,
 * with AoE `error` (0: none). */
static size_t
aoecmd_cfg_reply(struct engine_req *r, uint8_t ccmd, uint8_t error)
{
	struct export	*x = r->x;
	struct aoe_cfg	 c;
	int		 n;

	memset(&c, 0, sizeof(c));
	c.bufcnt = x->bufcnt;
	c.fwver = ENGINE_FW_VERSION;
	c.scnt = (uint8_t)ext_max_sectors(r);
	c.aoever = AOE_VERSION;
	c.ccmd = ccmd & AOECMD_NIBBLE;
	c.cslen = x->config_len;
	c.cs = x->config;
	if ((n = aoe_cfg_encode(r->frame, r->cap, &c)) < 0)
		return 0;
	engine_count_error(x, error);
	return engine_reply(r, (size_t)n, error);
}

static int
aoecmd_cfg_equal(const struct export *x, const struct aoe_cfg *c)
{
	return c->cslen == x->config_len &&
	    memcmp(c->cs, x->config, c->cslen) == 0;
}

static void
aoecmd_cfg_store(struct engine_req *r, const struct aoe_cfg *c)
{
	struct export	*x = r->x;
	char		 mac[ENGINE_MAC_STRLEN];

	if (aoecmd_cfg_equal(x, c))
		return;
	/* c->cs points into the frame, x->config is ours: no overlap */
	memcpy(x->config, c->cs, c->cslen);
	x->config_len = c->cslen;
	x->state_dirty = true;
	engine_mac_str(r->hdr.src, mac);
	log_info("%s: config string set to %u bytes by %s", x->name,
	    (unsigned)c->cslen, mac);
}

static size_t
aoecmd_cfg_read(struct engine_req *r, const struct aoe_cfg *c)
{
	/* the request's string is ignored (aoeping sends 1024 × 0xED) */
	return aoecmd_cfg_reply(r, AOE_CCMD_READ, 0);
}

static size_t
aoecmd_cfg_test(struct engine_req *r, const struct aoe_cfg *c)
{
	if (!aoecmd_cfg_equal(r->x, c))
		return 0;
	return aoecmd_cfg_reply(r, AOE_CCMD_TEST, 0);
}

static size_t
aoecmd_cfg_prefix(struct engine_req *r, const struct aoe_cfg *c)
{
	if (c->cslen > r->x->config_len ||
	    memcmp(c->cs, r->x->config, c->cslen) != 0)
		return 0;
	return aoecmd_cfg_reply(r, AOE_CCMD_PREFIX, 0);
}

static size_t
aoecmd_cfg_set(struct engine_req *r, const struct aoe_cfg *c)
{
	if (r->x->config_len != 0 && !aoecmd_cfg_equal(r->x, c))
		return aoecmd_cfg_reply(r, AOE_CCMD_SET, AOE_ERR_CFGSET);
	aoecmd_cfg_store(r, c);
	ext_reset_mac(r->x, r->hdr.src);	/* as 2014: a set resets */
	return aoecmd_cfg_reply(r, AOE_CCMD_SET, 0);
}

static size_t
aoecmd_cfg_fset(struct engine_req *r, const struct aoe_cfg *c)
{
	/* lan-force-config = no: a forced set is only a set (error 4 when
	 * another string is there) */
	if ((r->x->flags & EXPORT_NO_FORCE_CONFIG) && r->x->config_len != 0 &&
	    !aoecmd_cfg_equal(r->x, c)) {
		aoecmd_refused(r, "forced config string set");
		return aoecmd_cfg_reply(r, AOE_CCMD_FSET, AOE_ERR_CFGSET);
	}
	aoecmd_cfg_store(r, c);
	ext_reset_mac(r->x, r->hdr.src);
	return aoecmd_cfg_reply(r, AOE_CCMD_FSET, 0);
}

static const aoecmd_cfg_fn aoecmd_cfg_cmds[] = {
	[AOE_CCMD_READ] = aoecmd_cfg_read,
	[AOE_CCMD_TEST] = aoecmd_cfg_test,
	[AOE_CCMD_PREFIX] = aoecmd_cfg_prefix,
	[AOE_CCMD_SET] = aoecmd_cfg_set,
	[AOE_CCMD_FSET] = aoecmd_cfg_fset,
};

size_t
aoecmd_cfg(struct engine_req *r)
{
	struct aoe_cfg	 c;
	uint8_t		 ccmd;

	r->x->st.cfg_queries++;
	if (aoe_cfg_decode(r->frame, r->len, &c) != 0) {
		/*
		 * A read needs nothing from the request, so a bad length
		 * field does not stop it; anything else with a string we
		 * cannot trust is dropped (as vblade).
		 */
		if (r->len < AOE_CFG_HDR_LEN ||
		    (r->frame[29] & AOECMD_NIBBLE) != AOE_CCMD_READ)
			return 0;
		return aoecmd_cfg_reply(r, AOE_CCMD_READ, 0);
	}
	ccmd = c.ccmd & AOECMD_NIBBLE;
	if (ccmd >= sizeof(aoecmd_cfg_cmds) / sizeof(aoecmd_cfg_cmds[0]))
		return aoecmd_cfg_reply(r, ccmd, AOE_ERR_BADARG);
	return aoecmd_cfg_cmds[ccmd](r, &c);
}

/* --- MAC Mask List ----------------------------------------------------- */

static size_t
aoecmd_mask_reply(struct engine_req *r, uint8_t mcmd, uint8_t error)
{
	struct export	*x = r->x;
	int		 n;

	n = aoe_mask_encode(r->frame, r->cap, mcmd, AOE_MERR_OK,
	    (uint8_t)x->nmasks, (const uint8_t (*)[6])x->masks, x->nmasks);
	if (n < 0)
		return 0;
	engine_count_error(x, error);
	return engine_reply(r, (size_t)n, error);
}

static void
aoecmd_mask_log(struct engine_req *r, const char *what, const uint8_t mac[6])
{
	char	 m[ENGINE_MAC_STRLEN], by[ENGINE_MAC_STRLEN];

	engine_mac_str(mac, m);
	engine_mac_str(r->hdr.src, by);
	log_info("%s: mask list: %s %s by %s", r->x->name, what, m, by);
}

/* 0, or an MError */
static int
aoecmd_mask_add(struct engine_req *r, const uint8_t mac[6])
{
	struct export	*x = r->x;

	if (engine_mac_in((const uint8_t (*)[6])x->masks, x->nmasks, mac))
		return AOE_MERR_OK;
	if (x->nmasks >= EXPORT_MAX_MASKS)
		return AOE_MERR_FULL;
	memcpy(x->masks[x->nmasks++], mac, 6);
	x->state_dirty = true;
	aoecmd_mask_log(r, "added", mac);
	return AOE_MERR_OK;
}

static int
aoecmd_mask_del(struct engine_req *r, const uint8_t mac[6])
{
	struct export	*x = r->x;
	unsigned	 i;

	for (i = 0; i < x->nmasks; i++)
		if (memcmp(x->masks[i], mac, 6) == 0)
			break;
	if (i == x->nmasks)
		return AOE_MERR_OK;
	memmove(x->masks[i], x->masks[i + 1], (x->nmasks - i - 1) * 6);
	x->nmasks--;
	x->state_dirty = true;
	aoecmd_mask_log(r, "deleted", mac);
	return AOE_MERR_OK;
}

static int
aoecmd_mask_dir(struct engine_req *r, const struct aoe_mask_dir *d)
{
	switch (d->dcmd) {
	case AOE_DCMD_NONE:
		return AOE_MERR_OK;
	case AOE_DCMD_ADD:
		return aoecmd_mask_add(r, d->mac);
	case AOE_DCMD_DEL:
		return aoecmd_mask_del(r, d->mac);
	default:
		return AOE_MERR_BADDIR;
	}
}

static size_t
aoecmd_mask_edit(struct engine_req *r, const struct aoe_mask *m)
{
	struct aoe_mask_dir d;
	unsigned	 i;
	int		 merr, n;

	/* lan-mask-edit = no: MError 1 (unspecified) on the first directive,
	 * nothing applied */
	if ((r->x->flags & EXPORT_NO_MASK_EDIT) && m->dcount > 0) {
		aoecmd_refused(r, "mask list edit");
		n = aoe_mask_encode(r->frame, r->cap, AOE_MCMD_EDIT,
		    AOE_MERR_UNSPEC, 0, (const uint8_t (*)[6])r->x->masks, 0);
		return n < 0 ? 0 : engine_reply(r, (size_t)n, 0);
	}
	/* In order; what was applied before a failing directive stays. */
	for (i = 0; i < m->dcount; i++) {
		aoe_mask_dir_get(m, i, &d);
		if ((merr = aoecmd_mask_dir(r, &d)) == AOE_MERR_OK)
			continue;
		/* Dir Count names the failing directive; no list follows */
		n = aoe_mask_encode(r->frame, r->cap, AOE_MCMD_EDIT,
		    (uint8_t)merr, (uint8_t)i,
		    (const uint8_t (*)[6])r->x->masks, 0);
		return n < 0 ? 0 : engine_reply(r, (size_t)n, 0);
	}
	return aoecmd_mask_reply(r, AOE_MCMD_EDIT, 0);
}

size_t
aoecmd_mask(struct engine_req *r)
{
	struct aoe_mask	 m;
	int		 rc;

	if ((rc = aoe_mask_decode(r->frame, r->len, &m)) != 0) {
		if (rc == AOE_ELENGTH)	/* directives missing */
			return engine_reply_error(r, AOE_MASK_HDR_LEN,
			    AOE_ERR_BADARG);
		return 0;
	}
	switch (m.mcmd) {
	case AOE_MCMD_READ:
		return aoecmd_mask_reply(r, AOE_MCMD_READ, 0);
	case AOE_MCMD_EDIT:
		return aoecmd_mask_edit(r, &m);
	default:
		return aoecmd_mask_reply(r, m.mcmd, AOE_ERR_BADARG);
	}
}

/* --- Reserve/Release --------------------------------------------------- */

static size_t
aoecmd_rsv_reply(struct engine_req *r, uint8_t rcmd, uint8_t error)
{
	struct export	*x = r->x;
	int		 n;

	n = aoe_rsv_encode(r->frame, r->cap, rcmd,
	    (const uint8_t (*)[6])x->reserve, x->nreserve);
	if (n < 0)
		return 0;
	engine_count_error(x, error);
	return engine_reply(r, (size_t)n, error);
}

static void
aoecmd_rsv_store(struct engine_req *r, const struct aoe_rsv *v)
{
	struct export	*x = r->x;
	char		 by[ENGINE_MAC_STRLEN];

	/* v->macs points into the frame, x->reserve is ours */
	memcpy(x->reserve, v->macs, (size_t)v->nmacs * 6);
	x->nreserve = v->nmacs;
	x->state_dirty = true;
	engine_mac_str(r->hdr.src, by);
	if (v->nmacs == 0)
		log_info("%s: reservation released by %s", x->name, by);
	else
		log_info("%s: reserved for %u MAC%s by %s%s", x->name,
		    (unsigned)v->nmacs, v->nmacs == 1 ? "" : "s", by,
		    v->rcmd == AOE_RCMD_FSET ? " (forced)" : "");
}

size_t
aoecmd_rsv(struct engine_req *r)
{
	struct export	*x = r->x;
	struct aoe_rsv	 v;
	unsigned	 nmacs;
	int		 rc;

	if ((rc = aoe_rsv_decode(r->frame, r->len, &v)) != 0) {
		if (rc == AOE_ELENGTH)	/* short MAC list */
			return engine_reply_error(r, AOE_RSV_HDR_LEN,
			    AOE_ERR_BADARG);
		return 0;
	}
	nmacs = v.nmacs;
	switch (v.rcmd) {
	case AOE_RCMD_READ:
		return aoecmd_rsv_reply(r, v.rcmd, 0);
	case AOE_RCMD_FSET:
		if (!(x->flags & EXPORT_NO_FORCE_RESERVE))
			goto store;
		/* lan-force-reserve = no: a forced set is a plain set (error 6
		 * from a MAC that is not on the list) */
		if (x->nreserve > 0 && !engine_mac_in(
		    (const uint8_t (*)[6])x->reserve, x->nreserve,
		    r->hdr.src)) {
			aoecmd_refused(r, "forced reserve");
			return aoecmd_rsv_reply(r, v.rcmd, AOE_ERR_RESERVED);
		}
		goto store;
	case AOE_RCMD_SET:
		if (x->nreserve > 0 && !engine_mac_in(
		    (const uint8_t (*)[6])x->reserve, x->nreserve,
		    r->hdr.src))
			return aoecmd_rsv_reply(r, v.rcmd, AOE_ERR_RESERVED);
	store:
		if (nmacs > EXPORT_MAX_RESERVE)
			return aoecmd_rsv_reply(r, v.rcmd, AOE_ERR_BADARG);
		aoecmd_rsv_store(r, &v);
		return aoecmd_rsv_reply(r, v.rcmd, 0);
	default:
		return aoecmd_rsv_reply(r, v.rcmd, AOE_ERR_BADARG);
	}
}

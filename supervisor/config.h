/*
 * The configuration file, aoede.conf(5): one INI file (parsed with
 * libinih) with a [global] section, [nic NAME] sections and one
 * [export NAME] section per export.  The file is read into a struct conf
 * — every value checked, every mistake one "FILE:LINE: problem" — and
 * then copied into struct sup.  The vblade command line is turned into
 * the same struct conf, so `aoede -nv` prints either form the same way.
 */
#ifndef AOEDE_SUPERVISOR_CONFIG_H
#define AOEDE_SUPERVISOR_CONFIG_H

#include <net/if.h>

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "supervisor.h"

#define CONF_DEFAULT_FILE	"/etc/aoede/aoede.conf"
#define CONF_DEFAULT_STATE_DIR	"/var/lib/aoede"
#define CONF_NAME_MAX		32	/* an export's name, with its NUL */
#define CONF_MAX_LINE		4096	/* longer lines are refused */
#define CONF_MTU_MIN		1060	/* two sectors per frame */
#define CONF_MTU_MAX		65535
#define CONF_CACHE_MAX		(65535ull << 20)	/* see conf_export.cache_bytes */
#define CONF_DIRECT_CACHE	(64ull << 20)	/* direct = yes without cache: as -d */
#define CONF_DEFAULT_BUSY_POLL	50	/* us; docs/performance.md, "Busy-poll" */
#define CONF_BUSY_POLL_MAX	1000

enum conf_durability { CONF_SYNC, CONF_KERNEL };

/* [global] values the command line overrides (-S, -U, -D, -P): a reload keeps
 * them, whatever the file says */
#define CONF_OVR_CONTROL	0x01
#define CONF_OVR_USERS		0x02
#define CONF_OVR_STATE		0x04
#define CONF_OVR_POLL		0x08

/* the keys of an [export] section, in the canonical order */
enum conf_export_key {
	CK_SHELF, CK_SLOT, CK_PATH, CK_NICS, CK_READ_ONLY, CK_OFFSET, CK_LENGTH,
	CK_DURABILITY, CK_DIRECT, CK_CACHE, CK_BUFCNT, CK_MAC_ALLOW,
	CK_SHADOW_DIR, CK_LAN_MASK_EDIT, CK_LAN_FORCE_RESERVE, CK_LAN_FORCE_CONFIG,
	CK_NKEYS
};

struct conf_nic {
	char			 name[IF_NAMESIZE];
	unsigned		 line;		/* its [nic] header, else where first named */
	bool			 declared;	/* has a [nic] section */
	bool			 used;		/* some export is on it */
	uint32_t		 mtu;		/* expected MTU; 0: any */
	uint16_t		 bufcnt;	/* default for its exports; 0: not set */
	unsigned		 mtu_line, bufcnt_line;
};

struct conf_export {
	char			 name[CONF_NAME_MAX];
	unsigned		 line;		/* its [export] header */
	unsigned		 key_line[CK_NKEYS];	/* 0: not set */
	uint16_t		 shelf;
	uint8_t			 slot;
	char			 path[PATH_MAX];	/* absolute */
	uint64_t		 nic_mask;	/* bits index conf.nics */
	bool			 read_only, direct;
	enum conf_durability	 durability;
	uint64_t		 offset, length;	/* sectors; length 0: to the end */
	/* blockd's read cache in bytes, 0 = off.  struct sup_export has no
	 * field for it yet: conf_apply() passes it in whole MiB in the upper
	 * 16 bits of sup_export.flags, as options.c's -C does. */
	uint64_t		 cache_bytes;
	uint16_t		 bufcnt;	/* resolved by conf_finish() */
	uint8_t			 masks[SUP_MAX_MASKS][6];	/* mac-allow */
	unsigned		 nmasks;
	char			 shadow_dir[PATH_MAX];	/* freeze's shadow files; "" */
	/* LAN-side edits of the AoE state allowed (default yes, as vblade) */
	bool			 lan_mask_edit, lan_force_reserve, lan_force_config;
};

struct conf {
	char			 file[PATH_MAX];	/* as named; "" for the command line */
	char			 dir[PATH_MAX];		/* relative paths start here */
	unsigned		 lines;
	/* [global] */
	unsigned		 global_line;
	unsigned		 global_key_line[8];	/* by CG_* of config.c */
	char			 control_socket[PATH_MAX];
	char			 control_group[64];	/* "": control.h's default */
	char			 operator_group[64];	/* "": root only */
	char			 netd_user[64], blockd_user[64];
	char			 state_dir[PATH_MAX];
	unsigned		 busy_poll_us;	/* netd's and blockd's -P */
	unsigned		 overrides;	/* CONF_OVR_*: set on the command line */
	struct conf_nic		 nics[SUP_MAX_NICS];
	unsigned		 nnics;
	struct conf_export	 exports[SUP_MAX_EXPORTS];
	unsigned		 nexports;
	/* the first error */
	char			 err[1024];
	/* parser state */
	int			 section;	/* CONF_SEC_* of config.c */
	unsigned		 cur;		/* index of the current nic/export */
};

/* Defaults everywhere; the [global] values of a file without one. */
void	conf_init(struct conf *c);
/* Read FILE into c: 0, or -1 with "FILE:LINE: problem" in c->err. */
int	conf_parse_file(struct conf *c, const char *file);
/* The same from an open stream (tests); name is used in messages. */
int	conf_parse_stream(struct conf *c, const char *name, FILE *fp);
/* The vblade command line, already in s, as a configuration. */
void	conf_from_sup(struct conf *c, const struct sup *s);
/* Copy c into s (which keeps pointers into c: c must outlive s). */
void	conf_apply(const struct conf *c, struct sup *s);
/* Check c against this host: interfaces exist (an MTU other than the
 * expected one is a warning), users and groups exist.  0, or -1 with
 * c->err set. */
int	conf_check_host(struct conf *c);
/* Print c in canonical form: every key, defaults filled in, sections in
 * a fixed order ([global], NICs by name, exports by shelf.slot). */
void	conf_print(const struct conf *c, FILE *fp);

/* "FILE:LINE: " of export i's key (or its header when the key is unset);
 * "" when the configuration came from the command line.  For messages of
 * resources.c about the export's image.  Returns a static buffer. */
const char *conf_where(unsigned i, enum conf_export_key key);
/* "FILE:LINE: " of a line of the installed file; "" as above. */
const char *conf_where_line(unsigned line);
/* The configuration conf_apply() last installed (NULL before). */
const struct conf *conf_current(void);
/* A reload applied c (which must outlive it): it is the current one. */
void	conf_install(const struct conf *c);
/* One export of c as struct sup holds it (fd -1, nic_mask as in c). */
void	conf_export_to_sup(const struct conf_export *x, struct sup_export *sx);

/* --- value parsers, each 0 or -1 with a reason in why ------------------ */
int	conf_parse_bool(const char *s, bool *v, const char **why);
/* decimal or 0x hex in [min, max] (no octal: "010" is ten) */
int	conf_parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *v,
	    const char **why);
/* a byte count with an optional K, M, G or T suffix (powers of 1024) */
int	conf_parse_size(const char *s, uint64_t max, uint64_t *v, const char **why);
/* MAC addresses separated by spaces or commas, each unicast, none twice */
int	conf_parse_macs(const char *s, uint8_t macs[][6], unsigned max,
	    unsigned *n, char *why, size_t whylen);
/* the shortest exact form of a byte count: "0", "512K", "3G", "1000" */
char	*conf_format_size(uint64_t v, char *buf, size_t len);

/* resources.c: open and check every export's image (fatal with
 * conf_where()'s prefix on a problem); for -n, and at start. */
void	sup_open_images(struct sup *s);

#endif

/*
 * An export's AoE protocol state — config string, MAC mask list, reserve
 * list — kept across restarts in the state directory (docs/design.md,
 * "Persistent AoE state").  One file per export, "eS.L.state", text:
 *
 *   aoede-state 1
 *   config 48656c6c6f          the string in hex (nothing after "config ")
 *   mask 02:00:00:00:00:01     one line per entry of the mask list
 *   reserve 02:00:00:00:00:02  one line per entry of the reserve list
 *   sum 5d1c0f3a               FNV-1a (32 bits) of every byte before "sum"
 *
 * Lines in that order, nothing else.  A file that is short, corrupt, of
 * another version or over a limit is refused as a whole: the export then
 * starts with empty state.  Writes are atomic: a temporary file in the same
 * directory, fsync, renameat over the real name, fsync of the directory.
 */
#ifndef AOEDE_BLOCKD_STATE_H
#define AOEDE_BLOCKD_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "aoe.h"
#include "engine.h"

#define STATE_VERSION		1
#define STATE_NAME_MAX		32	/* "e65534.254.state.tmp" */
/* the largest valid file: header, hex string, every MAC, sum */
#define STATE_FILE_MAX		(32 + 8 + 2 * AOE_CFG_MAX + \
	(EXPORT_MAX_MASKS + EXPORT_MAX_RESERVE) * 26 + 16)

struct export_state {
	uint8_t		 config[AOE_CFG_MAX];
	uint16_t	 config_len;
	uint8_t		 masks[EXPORT_MAX_MASKS][6];
	unsigned	 nmasks;
	uint8_t		 reserve[EXPORT_MAX_RESERVE][6];
	unsigned	 nreserve;
};

/* Encode st into buf (cap ≥ STATE_FILE_MAX is always enough); the length,
 * or 0 if it does not fit. */
size_t	state_encode(const struct export_state *st, char *buf, size_t cap);
/* Decode buf[0..len) into st: 0, or -1 with *why (st is then zeroed). */
int	state_decode(const char *buf, size_t len, struct export_state *st,
	    const char **why);

/* "eS.L.state" of an export */
void	state_file_name(const struct export *x, char name[STATE_NAME_MAX]);
void	state_from_export(const struct export *x, struct export_state *st);

/* Read the export's file in dirfd into st: 1 read, 0 no file, -1 refused
 * (with *why: the file is ignored). */
int	state_load(int dirfd, const struct export *x, struct export_state *st,
	    const char **why);
/* Replace the export's file in dirfd atomically: 0 or -errno. */
int	state_save(int dirfd, const struct export *x);

#endif

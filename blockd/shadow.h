/*
 * Freeze and unfreeze (DESIGN.md §4, docs/design.md "Freeze"): while an
 * export is frozen its image does not change.  Every write goes to a sparse
 * shadow file, and a map of the sectors the shadow holds says where each
 * read goes.  Unfreezing merges the shadow back into the image in small
 * steps between requests, then removes it.
 *
 * Two files per export in its shadow directory (an fd the supervisor hands
 * blockd):
 *
 *   eS.L.shadow   sparse; sector s of the export at byte s * 512
 *   eS.L.map      a 4 KiB header (magic, version, state, sectors, checksum)
 *                 then one bit per sector: 1 = the shadow holds it
 *
 * The map exists exactly while the export is frozen or merging: it is
 * created complete under a temporary name and renamed into place (the
 * freeze's commit point), and unlinked once the merge is over (the thaw's).
 * A shadow file without a map is a leftover of an interrupted freeze or
 * thaw and is removed.  The map is mmap'd: a bit set in memory is already
 * in the page cache, so it survives kill -9 of blockd or of the daemon; an
 * fdatasync of the shadow and then of the map makes it durable before a
 * write in "sync" mode is acknowledged.
 *
 * Ordering rules that keep every acknowledged write:
 *   - frozen: a write goes to the shadow; its bits are set once it is there;
 *   - merging: a write goes to the shadow where the bit is set, to the image
 *     where it is clear (so no bit is ever set while merging);
 *   - a merge step copies runs of set sectors to the image, syncs the image,
 *     clears their bits and syncs the map, all before the next request is
 *     served: a write that arrives later finds the bit clear and goes to
 *     the image, and a crash at any point leaves a bit set only where the
 *     shadow still holds the newest data.
 * While an export is frozen or merging its I/O is synchronous (no io_uring),
 * so no request is in flight when a merge step runs.
 */
#ifndef AOEDE_BLOCKD_SHADOW_H
#define AOEDE_BLOCKD_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHADOW_MAGIC		"AoEdeSHD"
#define SHADOW_VERSION		1
#define SHADOW_HDR_SIZE		4096
#define SHADOW_NAME_MAX		40		/* "e65534.254.map.tmp" */
#define SHADOW_MERGE_STEP	(1u << 20)	/* bytes copied per merge step */
#define SHADOW_PROBE_HOLE	(1u << 20)	/* the sparse-file probe */

enum shadow_state {
	SHADOW_THAWED = 0,	/* no shadow: I/O goes to the image */
	SHADOW_FROZEN = 1,	/* writes go to the shadow */
	SHADOW_MERGING = 2,	/* the shadow is being merged into the image */
};

/* The map file's header (host byte order: the map never leaves the host). */
struct shadow_hdr {
	char		 magic[8];
	uint32_t	 version;
	uint32_t	 state;		/* SHADOW_FROZEN or SHADOW_MERGING */
	uint64_t	 sectors;	/* the export's size */
	uint64_t	 frozen_at;	/* CLOCK_REALTIME seconds of the freeze */
	uint32_t	 sum;		/* FNV-1a of the bytes before it */
};

struct shadow {
	int		 dirfd;		/* the shadow directory; -1: none configured */
	enum shadow_state state;
	char		 name[16];	/* the export's, "e1.0" */
	int		 data_fd, map_fd;
	uint8_t		*map;		/* the map file, mmap'd */
	size_t		 map_len;
	struct shadow_hdr *hdr;		/* map + 0 */
	uint64_t	*bits;		/* map + SHADOW_HDR_SIZE */
	uint64_t	 sectors;
	uint64_t	 mapped;	/* sectors the shadow holds */
	uint64_t	 merge_total;	/* mapped when the merge (re)started */
	uint64_t	 merge_pos;	/* the next sector a merge step looks at */
	uint8_t		*merge_buf;	/* SHADOW_MERGE_STEP bytes, page-aligned */
	uint64_t	 errors;	/* shadow I/O and merge failures */
};

/* A fresh, thawed shadow; dirfd -1 when the export has no directory. */
void	shadow_init(struct shadow *sh, int dirfd, const char *name,
	    uint64_t sectors);

static inline bool
shadow_active(const struct shadow *sh)
{
	return sh->state != SHADOW_THAWED;
}

/*
 * At start: pick up a map left by a previous blockd (frozen or merging),
 * and remove a shadow file without one.  0 (state set: thawed, frozen or
 * merging), or -1 with err: the map exists but cannot be used, and the
 * export must not be served without it.
 */
int	shadow_load(struct shadow *sh, char *err, size_t errsize);

/* Let go of the files and the directory fd, leaving them as they are on
 * disk (the export is removed); thawed in memory. */
void	shadow_release(struct shadow *sh);

/* Start shadowing (the caller drained and flushed the image).  0, or -1
 * with err (nothing changed, no file left behind). */
int	shadow_freeze(struct shadow *sh, char *err, size_t errsize);
/* Frozen → merging (durably); 0 or -1 with err. */
int	shadow_unfreeze(struct shadow *sh, char *err, size_t errsize);

/*
 * One merge step: copy up to SHADOW_MERGE_STEP bytes of shadowed sectors
 * to the image (image_off: the byte where sector 0 lies), sync the image,
 * clear their bits, sync the map.  1: more to do; 0: the merge is over and
 * the shadow is gone (thawed); -errno: failed, nothing lost, try later.
 */
int	shadow_merge_step(struct shadow *sh, int image_fd, uint64_t image_off);

/* Requests (the range is checked).  0 or -errno. */
int	shadow_read(struct shadow *sh, int image_fd, uint64_t image_off,
	    uint8_t *buf, uint64_t lba, unsigned scnt);
int	shadow_write(struct shadow *sh, int image_fd, uint64_t image_off,
	    const uint8_t *buf, uint64_t lba, unsigned scnt);
/* fdatasync the shadow file, then the map; 0 or -errno. */
int	shadow_sync(struct shadow *sh);

/* Bytes the shadow file occupies on disk. */
uint64_t shadow_disk_bytes(const struct shadow *sh);
/* Sectors merged so far in this merge (progress = done / merge_total). */
uint64_t shadow_merge_done(const struct shadow *sh);
const char *shadow_state_name(enum shadow_state st);

/* Is sector s in the shadow?  (tests) */
bool	shadow_has(const struct shadow *sh, uint64_t s);

#endif

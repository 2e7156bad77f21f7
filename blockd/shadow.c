/*
 * Freeze and unfreeze: the shadow file, its map and the merge (shadow.h).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fullio.h"
#include "log.h"
#include "shadow.h"

#define SECTOR		512u
#define PAGE		4096u
#define WORD_BITS	64u

/* --- the map --------------------------------------------------------- */

static size_t
shadow_map_len(uint64_t sectors)
{
	uint64_t	 words = (sectors + WORD_BITS - 1) / WORD_BITS;
	uint64_t	 bytes = (words * 8 + PAGE - 1) / PAGE * PAGE;

	return SHADOW_HDR_SIZE + (size_t)bytes;
}

static uint32_t
shadow_fnv1a(const void *p, size_t n)
{
	const uint8_t	*b = p;
	uint32_t	 h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *b++) * 16777619u;
	return h;
}

static void
shadow_hdr_seal(struct shadow_hdr *h)
{
	h->sum = shadow_fnv1a(h, offsetof(struct shadow_hdr, sum));
}

bool
shadow_has(const struct shadow *sh, uint64_t s)
{
	return (sh->bits[s / WORD_BITS] >> (s % WORD_BITS)) & 1;
}

/* Set (on) or clear the bits of [s, s + n); returns how many changed. */
static uint64_t
shadow_mark(struct shadow *sh, uint64_t s, uint64_t n, bool on)
{
	uint64_t	 changed = 0, bit;

	for (; n > 0; s++, n--) {
		bit = UINT64_C(1) << (s % WORD_BITS);
		if (((sh->bits[s / WORD_BITS] & bit) != 0) == on)
			continue;
		sh->bits[s / WORD_BITS] ^= bit;
		changed++;
	}
	return changed;
}

/* The first sector in [s, end) whose bit is `on`; end if none.  Whole
 * words of the other value are skipped at once (a sparse map is mostly
 * zero words). */
static uint64_t
shadow_find(const struct shadow *sh, uint64_t s, uint64_t end, bool on)
{
	uint64_t	 w;

	while (s < end) {
		w = sh->bits[s / WORD_BITS];
		if (!on)
			w = ~w;
		w >>= s % WORD_BITS;
		if (w != 0) {
			s += (uint64_t)__builtin_ctzll(w);
			return s < end ? s : end;
		}
		s = (s / WORD_BITS + 1) * WORD_BITS;
	}
	return end;
}

/* Clear the bits past the export's last sector in the map's last word;
 * returns how many were set.  No write ever sets them: they are damage,
 * and no sector of the export lives there.  Left set, they would count
 * toward `mapped`, which a merge, bounded by the export, never brings to 0. */
static unsigned
shadow_clear_tail(struct shadow *sh)
{
	uint64_t	 keep, *last;
	unsigned	 set;

	if (sh->sectors % WORD_BITS == 0)
		return 0;
	keep = (UINT64_C(1) << (sh->sectors % WORD_BITS)) - 1;
	last = &sh->bits[sh->sectors / WORD_BITS];
	set = (unsigned)__builtin_popcountll(*last & ~keep);
	*last &= keep;
	return set;
}

static uint64_t
shadow_count(const struct shadow *sh)
{
	uint64_t	 n = 0, i, words = (sh->sectors + WORD_BITS - 1) / WORD_BITS;

	for (i = 0; i < words; i++)
		if (sh->bits[i] != 0)
			n += (uint64_t)__builtin_popcountll(sh->bits[i]);
	return n;
}

static void
shadow_file_name(const struct shadow *sh, const char *suffix,
    char buf[SHADOW_NAME_MAX])
{
	snprintf(buf, SHADOW_NAME_MAX, "%s.%s", sh->name, suffix);
}

void
shadow_init(struct shadow *sh, int dirfd, const char *name, uint64_t sectors)
{
	memset(sh, 0, sizeof(*sh));
	sh->dirfd = dirfd;
	sh->state = SHADOW_THAWED;
	snprintf(sh->name, sizeof(sh->name), "%s", name);
	sh->data_fd = sh->map_fd = -1;
	sh->sectors = sectors;
}

static int
shadow_map_in(struct shadow *sh, char *err, size_t errsize)
{
	void	*p;

	sh->map_len = shadow_map_len(sh->sectors);
	p = mmap(NULL, sh->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
	    sh->map_fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errsize, "%s: mmap of the shadow map: %s",
		    sh->name, strerror(errno));
		return -1;
	}
	sh->map = p;
	sh->hdr = p;
	sh->bits = (uint64_t *)(void *)(sh->map + SHADOW_HDR_SIZE);
	return 0;
}

/* Back to thawed in memory (files are the caller's business). */
static void
shadow_close(struct shadow *sh)
{
	if (sh->map != NULL)
		munmap(sh->map, sh->map_len);
	if (sh->data_fd >= 0)
		close(sh->data_fd);
	if (sh->map_fd >= 0)
		close(sh->map_fd);
	free(sh->merge_buf);
	sh->map = NULL;
	sh->hdr = NULL;
	sh->bits = NULL;
	sh->merge_buf = NULL;
	sh->data_fd = sh->map_fd = -1;
	sh->mapped = sh->merge_total = sh->merge_pos = 0;
	sh->state = SHADOW_THAWED;
}

void
shadow_release(struct shadow *sh)
{
	shadow_close(sh);
	if (sh->dirfd >= 0)
		close(sh->dirfd);
	sh->dirfd = -1;
}

static int
shadow_sync_dir(const struct shadow *sh)
{
	int	 rc;

	do
		rc = fsync(sh->dirfd);
	while (rc == -1 && errno == EINTR);
	return rc == -1 ? -errno : 0;
}

static void
shadow_unlink(const struct shadow *sh, const char *suffix)
{
	char	 name[SHADOW_NAME_MAX];

	shadow_file_name(sh, suffix, name);
	if (unlinkat(sh->dirfd, name, 0) == -1 && errno != ENOENT)
		log_warnx("%s: removing %s: %s", sh->name, name, strerror(errno));
}

/* --- start: what a previous blockd left ------------------------------- */

static int
shadow_check_hdr(const struct shadow *sh, const struct shadow_hdr *h,
    char *err, size_t errsize)
{
	const char	*why = NULL;

	if (memcmp(h->magic, SHADOW_MAGIC, sizeof(h->magic)) != 0)
		why = "not a shadow map";
	else if (h->version != SHADOW_VERSION)
		why = "of another version";
	else if (h->sum != shadow_fnv1a(h, offsetof(struct shadow_hdr, sum)))
		why = "its header checksum does not match";
	else if (h->state != SHADOW_FROZEN && h->state != SHADOW_MERGING)
		why = "in an unknown state";
	else if (h->sectors != sh->sectors)
		why = "made for an export of another size";
	if (why == NULL)
		return 0;
	snprintf(err, errsize, "%s: shadow map %s.map is %s; the shadow holds "
	    "writes the image does not: refusing to serve without it", sh->name,
	    sh->name, why);
	return -1;
}

static int
shadow_open_existing(struct shadow *sh, char *err, size_t errsize)
{
	char		 name[SHADOW_NAME_MAX];
	struct stat	 st;
	unsigned	 tail;

	shadow_file_name(sh, "shadow", name);
	if ((sh->data_fd = openat(sh->dirfd, name, O_RDWR | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		snprintf(err, errsize, "%s: the shadow map exists but the shadow "
		    "file %s does not open: %s", sh->name, name, strerror(errno));
		return -1;
	}
	if (fstat(sh->map_fd, &st) == -1 ||
	    (uint64_t)st.st_size < shadow_map_len(sh->sectors)) {
		snprintf(err, errsize, "%s: shadow map %s.map is short; the "
		    "shadow holds writes the image does not: refusing to serve "
		    "without it", sh->name, sh->name);
		return -1;
	}
	if (shadow_map_in(sh, err, errsize) == -1 ||
	    shadow_check_hdr(sh, sh->hdr, err, errsize) == -1)
		return -1;
	if ((tail = shadow_clear_tail(sh)) > 0)
		log_warnx("%s: shadow map %s.map had %u bits set past the "
		    "export's end; cleared", sh->name, sh->name, tail);
	sh->state = (enum shadow_state)sh->hdr->state;
	sh->mapped = shadow_count(sh);
	sh->merge_total = sh->mapped;
	return 0;
}

int
shadow_load(struct shadow *sh, char *err, size_t errsize)
{
	char	 name[SHADOW_NAME_MAX];

	if (sh->dirfd < 0)
		return 0;
	shadow_file_name(sh, "map", name);
	sh->map_fd = openat(sh->dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (sh->map_fd == -1 && errno != ENOENT) {
		snprintf(err, errsize, "%s: shadow map %s: %s", sh->name, name,
		    strerror(errno));
		return -1;
	}
	if (sh->map_fd == -1) {
		/* no map: thawed; a freeze or a thaw was interrupted */
		shadow_unlink(sh, "map.tmp");
		shadow_unlink(sh, "shadow");
		return 0;
	}
	if (shadow_open_existing(sh, err, errsize) == -1) {
		shadow_close(sh);
		return -1;
	}
	log_info("%s: %s, %" PRIu64 " sectors in the shadow", sh->name,
	    shadow_state_name(sh->state), sh->mapped);
	return 0;
}

/* --- freeze ------------------------------------------------------------ */

/*
 * A 1 MiB hole must cost (almost) nothing: on a file system without sparse
 * files (vfat, ...) the shadow of a big image would take its full size on
 * the first write near its end.
 */
static int
shadow_probe_sparse(struct shadow *sh, char *err, size_t errsize)
{
	static const uint8_t	 one = 0;
	struct stat		 st;
	int			 rc;

	if ((rc = full_pwrite(sh->data_fd, &one, 1, SHADOW_PROBE_HOLE)) != 0 ||
	    fstat(sh->data_fd, &st) == -1) {
		snprintf(err, errsize, "%s: writing to the shadow file: %s",
		    sh->name, strerror(rc != 0 ? -rc : errno));
		return -1;
	}
	if ((uint64_t)st.st_blocks * 512 >= SHADOW_PROBE_HOLE) {
		snprintf(err, errsize, "%s: the shadow directory is on a file "
		    "system without sparse files (a 1 MiB hole took %" PRIu64
		    " bytes); give the export a shadow directory on ext4, xfs, "
		    "btrfs or tmpfs", sh->name, (uint64_t)st.st_blocks * 512);
		return -1;
	}
	if (ftruncate(sh->data_fd, 0) == -1 ||
	    ftruncate(sh->data_fd, (off_t)(sh->sectors * SECTOR)) == -1) {
		snprintf(err, errsize, "%s: sizing the shadow file: %s",
		    sh->name, strerror(errno));
		return -1;
	}
	return 0;
}

/* The map, complete and durable under its temporary name. */
static int
shadow_write_map(struct shadow *sh, char *err, size_t errsize)
{
	char			 tmp[SHADOW_NAME_MAX];
	struct shadow_hdr	 h;
	int			 rc;

	shadow_file_name(sh, "map.tmp", tmp);
	if ((sh->map_fd = openat(sh->dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		snprintf(err, errsize, "%s: creating the shadow map: %s",
		    sh->name, strerror(errno));
		return -1;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, SHADOW_MAGIC, sizeof(h.magic));
	h.version = SHADOW_VERSION;
	h.state = SHADOW_FROZEN;
	h.sectors = sh->sectors;
	h.frozen_at = (uint64_t)time(NULL);
	shadow_hdr_seal(&h);
	/* every page allocated now: setting a bit through the mapping on a
	 * hole of a full file system would be SIGBUS, not an error */
	if ((rc = posix_fallocate(sh->map_fd, 0,
	    (off_t)shadow_map_len(sh->sectors))) != 0)
		rc = -rc;
	else if ((rc = full_pwrite(sh->map_fd, (const uint8_t *)&h, sizeof(h),
	    0)) == 0)
		rc = full_fdatasync(sh->map_fd);
	if (rc != 0) {
		snprintf(err, errsize, "%s: writing the shadow map: %s",
		    sh->name, strerror(-rc));
		return -1;
	}
	return 0;
}

static int
shadow_create(struct shadow *sh, char *err, size_t errsize)
{
	char	 name[SHADOW_NAME_MAX], tmp[SHADOW_NAME_MAX];
	int	 rc;

	shadow_file_name(sh, "shadow", name);
	if ((sh->data_fd = openat(sh->dirfd, name, O_RDWR | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		snprintf(err, errsize, "%s: creating the shadow file %s: %s",
		    sh->name, name, strerror(errno));
		return -1;
	}
	if (shadow_probe_sparse(sh, err, errsize) == -1)
		return -1;
	if ((rc = full_fdatasync(sh->data_fd)) != 0) {
		snprintf(err, errsize, "%s: fdatasync of the shadow file: %s",
		    sh->name, strerror(-rc));
		return -1;
	}
	if (shadow_write_map(sh, err, errsize) == -1)
		return -1;
	/* the commit point: from here on a restart finds the export frozen */
	shadow_file_name(sh, "map", name);
	shadow_file_name(sh, "map.tmp", tmp);
	rc = renameat(sh->dirfd, tmp, sh->dirfd, name) == -1 ? -errno :
	    shadow_sync_dir(sh);
	if (rc != 0) {
		snprintf(err, errsize, "%s: putting the shadow map in place: %s",
		    sh->name, strerror(-rc));
		return -1;
	}
	return 0;
}

int
shadow_freeze(struct shadow *sh, char *err, size_t errsize)
{
	if (sh->dirfd < 0) {
		snprintf(err, errsize, "%s has no shadow directory (-f, or "
		    "shadow-directory in aoede.conf): it cannot be frozen",
		    sh->name);
		return -1;
	}
	if (sh->state == SHADOW_FROZEN) {
		snprintf(err, errsize, "%s is already frozen", sh->name);
		return -1;
	}
	if (sh->state == SHADOW_MERGING) {
		snprintf(err, errsize, "%s is still merging its shadow "
		    "(%" PRIu64 " of %" PRIu64 " sectors done): freeze it again "
		    "once it is thawed", sh->name, shadow_merge_done(sh),
		    sh->merge_total);
		return -1;
	}
	if (shadow_create(sh, err, errsize) == -1 ||
	    shadow_map_in(sh, err, errsize) == -1) {
		shadow_close(sh);
		shadow_unlink(sh, "map.tmp");
		shadow_unlink(sh, "map");
		shadow_unlink(sh, "shadow");
		return -1;
	}
	sh->state = SHADOW_FROZEN;
	sh->mapped = 0;
	return 0;
}

/* --- unfreeze and the merge -------------------------------------------- */

int
shadow_unfreeze(struct shadow *sh, char *err, size_t errsize)
{
	int	 rc;

	if (sh->state == SHADOW_THAWED) {
		snprintf(err, errsize, "%s is not frozen", sh->name);
		return -1;
	}
	if (sh->state == SHADOW_MERGING) {
		snprintf(err, errsize, "%s is already merging its shadow "
		    "(%" PRIu64 " of %" PRIu64 " sectors done)", sh->name,
		    shadow_merge_done(sh), sh->merge_total);
		return -1;
	}
	sh->hdr->state = SHADOW_MERGING;
	shadow_hdr_seal(sh->hdr);
	if ((rc = full_fdatasync(sh->map_fd)) != 0) {
		sh->hdr->state = SHADOW_FROZEN;
		shadow_hdr_seal(sh->hdr);
		snprintf(err, errsize, "%s: recording the merge in the shadow "
		    "map: %s", sh->name, strerror(-rc));
		return -1;
	}
	sh->state = SHADOW_MERGING;
	sh->merge_total = sh->mapped;
	sh->merge_pos = 0;
	return 0;
}

/* The merge is over: every sector is in the image, which is synced.
 * Removing the map is the commit point of the thaw. */
static void
shadow_finish(struct shadow *sh)
{
	uint64_t	 total = sh->merge_total;

	shadow_close(sh);
	shadow_unlink(sh, "map");
	(void)shadow_sync_dir(sh);
	shadow_unlink(sh, "shadow");
	(void)shadow_sync_dir(sh);
	log_info("%s: thawed: %" PRIu64 " sectors merged into the image, "
	    "shadow removed", sh->name, total);
}

/* Copy the shadowed runs from merge_pos on, up to a step, to the image;
 * *end is where the next step starts.  The sectors copied are the set
 * bits of [merge_pos, *end).  0 or -errno. */
static int
shadow_copy_runs(struct shadow *sh, int image_fd, uint64_t image_off,
    uint64_t *end, uint64_t *copied)
{
	uint64_t	 s = sh->merge_pos, e, room = SHADOW_MERGE_STEP / SECTOR;
	size_t		 n;
	int		 rc;

	*copied = 0;
	while (room > 0 && (s = shadow_find(sh, s, sh->sectors, true)) <
	    sh->sectors) {
		e = shadow_find(sh, s, sh->sectors, false);
		if (e - s > room)
			e = s + room;
		n = (size_t)(e - s) * SECTOR;
		if ((rc = full_pread(sh->data_fd, sh->merge_buf, n,
		    s * SECTOR)) != 0 ||
		    (rc = full_pwrite(image_fd, sh->merge_buf, n,
		    image_off + s * SECTOR)) != 0)
			return rc;
		*copied += e - s;
		room -= e - s;
		s = e;
	}
	*end = s;
	return 0;
}

int
shadow_merge_step(struct shadow *sh, int image_fd, uint64_t image_off)
{
	uint64_t	 end, copied;
	int		 rc;

	if (sh->state != SHADOW_MERGING)
		return 0;
	if (sh->merge_buf == NULL &&
	    posix_memalign((void **)&sh->merge_buf, PAGE, SHADOW_MERGE_STEP) != 0) {
		sh->merge_buf = NULL;
		return -ENOMEM;
	}
	if ((rc = shadow_copy_runs(sh, image_fd, image_off, &end, &copied)) != 0 ||
	    (rc = full_fdatasync(image_fd)) != 0) {
		sh->errors++;
		return rc;
	}
	/* the image holds them durably: only now may their bits go */
	sh->mapped -= shadow_mark(sh, sh->merge_pos, end - sh->merge_pos, false);
	if ((rc = full_fdatasync(sh->map_fd)) != 0) {
		sh->errors++;
		return rc;
	}
	sh->merge_pos = end;
	if (copied > 0 || sh->merge_pos < sh->sectors)
		return 1;
	if (sh->mapped > 0) {
		/* cannot happen (no bit is set while merging): look again
		 * rather than drop sectors the image does not have */
		log_warnx("%s: %" PRIu64 " sectors left after a merge pass; "
		    "merging again", sh->name, sh->mapped);
		sh->merge_pos = 0;
		return 1;
	}
	shadow_finish(sh);
	return 0;
}

/* --- requests ------------------------------------------------------------ */

static int
shadow_write_failed(struct shadow *sh, int rc)
{
	sh->errors++;
	if (rc == -ENOSPC || rc == -EDQUOT)
		log_warnx("%s: the shadow file system is full: writes fail until "
		    "there is room or the export is unfrozen", sh->name);
	return rc;
}

/* Each run of [lba, lba + scnt) read into buf or written from it, where its
 * newest data is: the shadow where the bit is set, the image where it is
 * clear.  (buf is const for the writes; a read's buffer is the caller's
 * writable one, shadow_read() passes it.) */
static int
shadow_runs(struct shadow *sh, int image_fd, uint64_t image_off,
    const uint8_t *buf, uint64_t lba, unsigned scnt, bool write)
{
	uint64_t	 s = lba, end = lba + scnt, e, off;
	size_t		 n;
	bool		 in;
	int		 rc, fd;

	while (s < end) {
		in = shadow_has(sh, s);
		e = shadow_find(sh, s, end, !in);
		n = (size_t)(e - s) * SECTOR;
		fd = in ? sh->data_fd : image_fd;
		off = in ? s * SECTOR : image_off + s * SECTOR;
		if (write)
			rc = full_pwrite(fd, buf, n, off);
		else
			rc = full_pread(fd, (uint8_t *)(uintptr_t)buf, n, off);
		if (rc != 0) {
			if (in && write)
				return shadow_write_failed(sh, rc);
			if (in)
				sh->errors++;
			return rc;
		}
		buf += n;
		s = e;
	}
	return 0;
}

int
shadow_read(struct shadow *sh, int image_fd, uint64_t image_off, uint8_t *buf,
    uint64_t lba, unsigned scnt)
{
	return shadow_runs(sh, image_fd, image_off, buf, lba, scnt, false);
}

/* Frozen: all of it to the shadow, then the bits. */
static int
shadow_write_frozen(struct shadow *sh, const uint8_t *buf, uint64_t lba,
    unsigned scnt)
{
	int	 rc;

	if ((rc = full_pwrite(sh->data_fd, buf, (size_t)scnt * SECTOR,
	    lba * SECTOR)) != 0)
		return shadow_write_failed(sh, rc);
	sh->mapped += shadow_mark(sh, lba, scnt, true);
	return 0;
}

int
shadow_write(struct shadow *sh, int image_fd, uint64_t image_off,
    const uint8_t *buf, uint64_t lba, unsigned scnt)
{
	if (sh->state == SHADOW_FROZEN)
		return shadow_write_frozen(sh, buf, lba, scnt);
	/* merging: each run where its newest data is, no bit changes */
	return shadow_runs(sh, image_fd, image_off, buf, lba, scnt, true);
}

int
shadow_sync(struct shadow *sh)
{
	int	 rc;

	if (!shadow_active(sh))
		return 0;
	/* both before a "sync" write is acknowledged; the data first, so a
	 * failure there fails the write before its bits are pushed out */
	if ((rc = full_fdatasync(sh->data_fd)) != 0 ||
	    (rc = full_fdatasync(sh->map_fd)) != 0)
		sh->errors++;
	return rc;
}

/* --- reporting -------------------------------------------------------- */

uint64_t
shadow_disk_bytes(const struct shadow *sh)
{
	struct stat	 st;

	if (!shadow_active(sh) || fstat(sh->data_fd, &st) == -1)
		return 0;
	return (uint64_t)st.st_blocks * 512;
}

uint64_t
shadow_merge_done(const struct shadow *sh)
{
	if (sh->state != SHADOW_MERGING || sh->mapped > sh->merge_total)
		return 0;
	return sh->merge_total - sh->mapped;
}

const char *
shadow_state_name(enum shadow_state st)
{
	switch (st) {
	case SHADOW_FROZEN:	return "frozen";
	case SHADOW_MERGING:	return "merging";
	default:		return "thawed";
	}
}

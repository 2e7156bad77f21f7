/*
 * Unit tests of freeze and unfreeze (blockd/shadow.c), on real files: a
 * temporary shadow directory and a temporary image file.
 *
 *   - the refusals: no directory, frozen twice, unfrozen while thawed or
 *     merging, frozen while merging;
 *   - frozen: writes reach the shadow only (the image is unchanged byte for
 *     byte), the bits and `mapped` follow them, reads mix shadow and image
 *     (also with the export at a byte offset into the image file);
 *   - the merge: the image ends up holding exactly what was written, in one
 *     or several steps, and the files are removed; writes while merging
 *     land where the newest data is, and a merge never puts an older
 *     shadow copy over a newer write;
 *   - restart: a second struct shadow loaded from the same directory finds
 *     the export frozen or merging, with the same bits, and carries on;
 *   - shadow_load refuses a corrupt, foreign-sized or short map, drops bits
 *     set past the export's end (the merge then ends), and removes the
 *     leftovers of an interrupted freeze or thaw;
 *   - a full shadow file system (a 256 KiB tmpfs, root only): -ENOSPC and
 *     the image unchanged, and no crash when the last free page goes to a
 *     write whose bits lie on a map page not touched before.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "fullio.h"
#include "shadow.h"

#define SECTOR		512u
#define EXPORT		"e3.7"
#define SHADOW_DATA	EXPORT ".shadow"
#define SHADOW_MAP	EXPORT ".map"
#define SHADOW_MAP_TMP	EXPORT ".map.tmp"
#define STEP_SECTORS	(SHADOW_MERGE_STEP / SECTOR)

/* One test's world: the shadow directory, the image and what the export
 * should read as (model); orig is the image as created. */
struct fixture {
	char		 dir[32];
	int		 dirfd;
	bool		 mounted;
	char		 image[40];
	int		 image_fd;
	uint64_t	 image_off;
	uint64_t	 sectors;
	uint8_t		*orig;		/* image_off + sectors * 512 + a tail */
	size_t		 image_len;
	uint8_t		*model;		/* sectors * 512 */
	struct shadow	 sh;
	char		 err[512];
};

/* --- helpers ------------------------------------------------------------ */

/* The byte at offset i of sector s, for data written with tag (0: the
 * image's original contents). */
static uint8_t
pattern_byte(uint64_t s, unsigned tag, size_t i)
{
	return (uint8_t)(s * 7 + tag * 131 + i * 13 + (i >> 8));
}

static void
pattern(uint8_t *buf, uint64_t lba, unsigned scnt, unsigned tag)
{
	unsigned	 k;
	size_t		 i;

	for (k = 0; k < scnt; k++)
		for (i = 0; i < SECTOR; i++)
			buf[(size_t)k * SECTOR + i] = pattern_byte(lba + k, tag, i);
}

/* A directory under /tmp and an image of `sectors` sectors starting at
 * byte image_off of its file (the bytes before and a tail after hold
 * other data, which must never change). */
static void
fixture_make(struct fixture *f, uint64_t sectors, uint64_t image_off)
{
	size_t		 i;
	int		 fd;

	memset(f, 0, sizeof(*f));
	f->dirfd = f->image_fd = -1;
	f->sectors = sectors;
	f->image_off = image_off;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_shadow.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->dirfd >= 0);

	snprintf(f->image, sizeof(f->image), "/tmp/test_shadow_img.XXXXXX");
	fd = mkstemp(f->image);
	assert_true(fd >= 0);
	f->image_fd = fd;
	f->image_len = (size_t)(image_off + sectors * SECTOR + 3 * SECTOR);
	f->orig = malloc(f->image_len);
	f->model = malloc((size_t)sectors * SECTOR);
	assert_non_null(f->orig);
	assert_non_null(f->model);
	for (i = 0; i < image_off; i++)
		f->orig[i] = (uint8_t)(0xE0 ^ i);
	pattern(f->orig + image_off, 0, (unsigned)sectors, 0);
	for (i = (size_t)(image_off + sectors * SECTOR); i < f->image_len; i++)
		f->orig[i] = (uint8_t)(0x5A ^ i);
	assert_int_equal(full_pwrite(fd, f->orig, f->image_len, 0), 0);
	memcpy(f->model, f->orig + image_off, (size_t)sectors * SECTOR);
	shadow_init(&f->sh, f->dirfd, EXPORT, sectors);
}

/* What a killed process leaves behind: its mappings and fds go, nothing
 * else happens (no sync, no unlink, no header update). */
static void
shadow_drop(struct shadow *sh)
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
}

/* Remove every entry of the directory; how many there were. */
static int
dir_clear(int dirfd, bool remove)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0, fd;

	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (remove)
			(void)unlinkat(dirfd, de->d_name, 0);
	}
	closedir(d);
	return n;
}

static int
dir_entries(const struct fixture *f)
{
	return dir_clear(f->dirfd, false);
}

static bool
dir_has(const struct fixture *f, const char *name)
{
	return faccessat(f->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
t_setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->dirfd = f->image_fd = -1;
	*state = f;
	return 0;
}

static int
t_teardown(void **state)
{
	struct fixture	*f = *state;

	shadow_drop(&f->sh);
	if (f->dirfd >= 0) {
		(void)dir_clear(f->dirfd, true);
		close(f->dirfd);
	}
	if (f->mounted && umount2(f->dir, MNT_DETACH) == -1)
		fprintf(stderr, "umount %s: %s\n", f->dir, strerror(errno));
	if (f->dir[0] != '\0')
		(void)rmdir(f->dir);
	if (f->image_fd >= 0) {
		close(f->image_fd);
		unlink(f->image);
	}
	free(f->orig);
	free(f->model);
	free(f);
	return 0;
}

/* Read n bytes of a file of the shadow directory at off. */
static void
read_dir_file(const struct fixture *f, const char *name, uint8_t *buf,
    size_t n, uint64_t off)
{
	int	 fd = openat(f->dirfd, name, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(full_pread(fd, buf, n, off), 0);
	close(fd);
}

static void
write_dir_file(const struct fixture *f, const char *name, const void *buf,
    size_t n, uint64_t off)
{
	int	 fd = openat(f->dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(full_pwrite(fd, buf, n, off), 0);
	close(fd);
}

/* The whole image file, as it is now. */
static uint8_t *
read_image_file(const struct fixture *f)
{
	uint8_t		*buf = malloc(f->image_len);
	struct stat	 st;

	assert_non_null(buf);
	assert_int_equal(fstat(f->image_fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, f->image_len);
	assert_int_equal(full_pread(f->image_fd, buf, f->image_len, 0), 0);
	return buf;
}

/* The image file is byte for byte what it was when created. */
static void
assert_image_unchanged(const struct fixture *f)
{
	uint8_t	*now = read_image_file(f);

	assert_memory_equal(now, f->orig, f->image_len);
	free(now);
}

/* The image holds the model where the export lies, the rest unchanged. */
static void
assert_image_is_model(const struct fixture *f)
{
	uint8_t	*now = read_image_file(f);
	size_t	 end = (size_t)(f->image_off + f->sectors * SECTOR);

	assert_memory_equal(now, f->orig, (size_t)f->image_off);
	assert_memory_equal(now + f->image_off, f->model,
	    (size_t)f->sectors * SECTOR);
	assert_memory_equal(now + end, f->orig + end, f->image_len - end);
	free(now);
}

/* The image's sectors [lba, lba + scnt) hold data written with tag. */
static void
assert_image_sectors(const struct fixture *f, uint64_t lba, unsigned scnt,
    unsigned tag)
{
	uint8_t	*got = malloc((size_t)scnt * SECTOR);
	uint8_t	*want = malloc((size_t)scnt * SECTOR);

	assert_non_null(got);
	assert_non_null(want);
	assert_int_equal(full_pread(f->image_fd, got, (size_t)scnt * SECTOR,
	    f->image_off + lba * SECTOR), 0);
	pattern(want, lba, scnt, tag);
	assert_memory_equal(got, want, (size_t)scnt * SECTOR);
	free(got);
	free(want);
}

/* The shadow file's sectors [lba, lba + scnt) hold data written with tag. */
static void
assert_shadow_sectors(const struct fixture *f, uint64_t lba, unsigned scnt,
    unsigned tag)
{
	uint8_t	*got = malloc((size_t)scnt * SECTOR);
	uint8_t	*want = malloc((size_t)scnt * SECTOR);

	assert_non_null(got);
	assert_non_null(want);
	read_dir_file(f, SHADOW_DATA, got, (size_t)scnt * SECTOR, lba * SECTOR);
	pattern(want, lba, scnt, tag);
	assert_memory_equal(got, want, (size_t)scnt * SECTOR);
	free(got);
	free(want);
}

/* shadow_write of [lba, lba + scnt) with tag, which must succeed; the
 * model follows. */
static void
write_sectors(struct fixture *f, struct shadow *sh, uint64_t lba,
    unsigned scnt, unsigned tag)
{
	uint8_t	*buf = malloc((size_t)scnt * SECTOR);

	assert_non_null(buf);
	pattern(buf, lba, scnt, tag);
	assert_int_equal(shadow_write(sh, f->image_fd, f->image_off, buf, lba,
	    scnt), 0);
	memcpy(f->model + lba * SECTOR, buf, (size_t)scnt * SECTOR);
	free(buf);
}

/* shadow_read of [lba, lba + scnt) returns what the model says. */
static void
assert_reads_model(struct fixture *f, struct shadow *sh, uint64_t lba,
    unsigned scnt)
{
	uint8_t	*buf = malloc((size_t)scnt * SECTOR);

	assert_non_null(buf);
	memset(buf, 0xCC, (size_t)scnt * SECTOR);
	assert_int_equal(shadow_read(sh, f->image_fd, f->image_off, buf, lba,
	    scnt), 0);
	assert_memory_equal(buf, f->model + lba * SECTOR, (size_t)scnt * SECTOR);
	free(buf);
}

/* The bits are set exactly for the sectors in [lo, hi) of the list. */
static void
assert_bits(const struct shadow *sh, const uint64_t (*runs)[2], size_t nruns)
{
	uint64_t	 s, want = 0;
	size_t		 r;
	bool		 in;

	for (s = 0; s < sh->sectors; s++) {
		in = false;
		for (r = 0; r < nruns; r++)
			if (s >= runs[r][0] && s < runs[r][1])
				in = true;
		if (shadow_has(sh, s) != in)
			fail_msg("sector %llu: bit %d, expected %d",
			    (unsigned long long)s, shadow_has(sh, s), in);
		want += in;
	}
	assert_int_equal(sh->mapped, want);
}

static void
assert_no_bits(const struct shadow *sh)
{
	assert_bits(sh, NULL, 0);
}

/* Merge steps until the merge is over; how many it took. */
static unsigned
merge_all(struct fixture *f, struct shadow *sh)
{
	unsigned	 steps = 0;
	int		 rc;

	do {
		rc = shadow_merge_step(sh, f->image_fd, f->image_off);
		assert_true(rc == 0 || rc == 1);
		steps++;
		assert_true(steps < 10000);
	} while (rc == 1);
	return steps;
}

static void
assert_thawed_and_gone(const struct fixture *f, const struct shadow *sh)
{
	assert_int_equal(sh->state, SHADOW_THAWED);
	assert_false(shadow_active(sh));
	assert_false(dir_has(f, SHADOW_DATA));
	assert_false(dir_has(f, SHADOW_MAP));
	assert_false(dir_has(f, SHADOW_MAP_TMP));
	assert_int_equal(dir_entries(f), 0);
}

static void
freeze_ok(struct fixture *f, struct shadow *sh)
{
	f->err[0] = '\0';
	if (shadow_freeze(sh, f->err, sizeof(f->err)) != 0)
		fail_msg("freeze: %s", f->err);
	assert_int_equal(sh->state, SHADOW_FROZEN);
}

static void
unfreeze_ok(struct fixture *f, struct shadow *sh)
{
	f->err[0] = '\0';
	if (shadow_unfreeze(sh, f->err, sizeof(f->err)) != 0)
		fail_msg("unfreeze: %s", f->err);
	assert_int_equal(sh->state, SHADOW_MERGING);
}

/* A second blockd starting on the same directory. */
static void
restart(struct fixture *f, struct shadow *sh)
{
	shadow_drop(sh);
	shadow_init(sh, f->dirfd, EXPORT, f->sectors);
	f->err[0] = '\0';
	if (shadow_load(sh, f->err, sizeof(f->err)) != 0)
		fail_msg("load: %s", f->err);
}

/* shadow_load on the same directory must refuse, naming why. */
static void
assert_load_refused(struct fixture *f, uint64_t sectors, const char *why)
{
	struct shadow	 sh2;

	shadow_init(&sh2, f->dirfd, EXPORT, sectors);
	f->err[0] = '\0';
	assert_int_equal(shadow_load(&sh2, f->err, sizeof(f->err)), -1);
	if (strstr(f->err, "refusing to serve") == NULL ||
	    strstr(f->err, why) == NULL)
		fail_msg("load error \"%s\" lacks \"refusing to serve\" or "
		    "\"%s\"", f->err, why);
	assert_int_equal(sh2.state, SHADOW_THAWED);
	assert_int_equal(sh2.data_fd, -1);
	assert_int_equal(sh2.map_fd, -1);
	assert_null(sh2.map);
	/* nothing removed: the shadow holds writes the image does not */
	assert_true(dir_has(f, SHADOW_DATA));
	assert_true(dir_has(f, SHADOW_MAP));
}

static void
assert_err_has(const char *err, const char *what)
{
	if (strstr(err, what) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, what);
}

/* --- 1. refusals ---------------------------------------------------------- */

static void
test_freeze_without_directory(void **state)
{
	struct fixture	*f = *state;

	shadow_init(&f->sh, -1, EXPORT, 64);
	assert_int_equal(shadow_load(&f->sh, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->sh.state, SHADOW_THAWED);
	f->err[0] = '\0';
	assert_int_equal(shadow_freeze(&f->sh, f->err, sizeof(f->err)), -1);
	assert_err_has(f->err, EXPORT " has no shadow directory");
	assert_int_equal(f->sh.state, SHADOW_THAWED);
	assert_int_equal(f->sh.data_fd, -1);
	assert_int_equal(f->sh.map_fd, -1);
}

static void
test_state_refusals(void **state)
{
	struct fixture	*f = *state;

	fixture_make(f, 64, 0);
	assert_int_equal(shadow_load(&f->sh, f->err, sizeof(f->err)), 0);

	f->err[0] = '\0';
	assert_int_equal(shadow_unfreeze(&f->sh, f->err, sizeof(f->err)), -1);
	assert_err_has(f->err, EXPORT " is not frozen");
	assert_int_equal(f->sh.state, SHADOW_THAWED);
	assert_int_equal(dir_entries(f), 0);

	freeze_ok(f, &f->sh);
	assert_true(dir_has(f, SHADOW_DATA));
	assert_true(dir_has(f, SHADOW_MAP));
	assert_false(dir_has(f, SHADOW_MAP_TMP));
	assert_int_equal(f->sh.mapped, 0);

	f->err[0] = '\0';
	assert_int_equal(shadow_freeze(&f->sh, f->err, sizeof(f->err)), -1);
	assert_err_has(f->err, EXPORT " is already frozen");
	assert_int_equal(f->sh.state, SHADOW_FROZEN);

	write_sectors(f, &f->sh, 1, 2, 1);
	unfreeze_ok(f, &f->sh);

	f->err[0] = '\0';
	assert_int_equal(shadow_unfreeze(&f->sh, f->err, sizeof(f->err)), -1);
	assert_err_has(f->err, EXPORT " is already merging");
	assert_int_equal(f->sh.state, SHADOW_MERGING);

	f->err[0] = '\0';
	assert_int_equal(shadow_freeze(&f->sh, f->err, sizeof(f->err)), -1);
	assert_err_has(f->err, EXPORT " is still merging");
	assert_int_equal(f->sh.state, SHADOW_MERGING);
	/* the refused freeze touched nothing: the shadow is still there */
	assert_true(dir_has(f, SHADOW_DATA));
	assert_true(dir_has(f, SHADOW_MAP));
	assert_true(shadow_has(&f->sh, 1));

	merge_all(f, &f->sh);
	assert_thawed_and_gone(f, &f->sh);
	assert_image_is_model(f);

	f->err[0] = '\0';
	assert_int_equal(shadow_unfreeze(&f->sh, f->err, sizeof(f->err)), -1);
	assert_err_has(f->err, EXPORT " is not frozen");
	/* and it can be frozen again */
	freeze_ok(f, &f->sh);
	assert_no_bits(&f->sh);
}

/* --- 2. frozen ------------------------------------------------------------ */

static void
test_frozen_write_goes_to_shadow(void **state)
{
	static const uint64_t	 runs[][2] = { { 3, 7 }, { 10, 11 },
				    { 62, 67 }, { 127, 128 } };
	struct fixture		*f = *state;

	fixture_make(f, 128, 0);
	freeze_ok(f, &f->sh);
	write_sectors(f, &f->sh, 3, 3, 1);	/* 3..5 */
	write_sectors(f, &f->sh, 10, 1, 2);
	write_sectors(f, &f->sh, 62, 5, 3);	/* across a bitmap word */
	write_sectors(f, &f->sh, 127, 1, 4);	/* the last sector */
	assert_image_unchanged(f);
	assert_shadow_sectors(f, 3, 3, 1);
	assert_shadow_sectors(f, 10, 1, 2);
	assert_shadow_sectors(f, 62, 5, 3);
	assert_shadow_sectors(f, 127, 1, 4);
	assert_int_equal(f->sh.mapped, 3 + 1 + 5 + 1);

	/* rewritten: counted once; a partly new range adds only what is new */
	write_sectors(f, &f->sh, 4, 2, 5);	/* 4..5, both already in */
	assert_int_equal(f->sh.mapped, 10);
	write_sectors(f, &f->sh, 5, 2, 6);	/* 5 in, 6 new */
	assert_int_equal(f->sh.mapped, 11);
	write_sectors(f, &f->sh, 62, 5, 7);
	assert_bits(&f->sh, runs, sizeof(runs) / sizeof(runs[0]));
	assert_shadow_sectors(f, 3, 1, 1);
	assert_shadow_sectors(f, 4, 1, 5);
	assert_shadow_sectors(f, 5, 2, 6);
	assert_shadow_sectors(f, 62, 5, 7);
	assert_image_unchanged(f);
	assert_int_equal(shadow_sync(&f->sh), 0);
	assert_image_unchanged(f);
	assert_true(shadow_disk_bytes(&f->sh) >= 11 * SECTOR);
}

static void
frozen_read_mixes(void **state, uint64_t image_off)
{
	struct fixture	*f = *state;
	unsigned	 lba, n;

	fixture_make(f, 200, image_off);
	freeze_ok(f, &f->sh);
	/* nothing shadowed yet: reads are the image's */
	assert_reads_model(f, &f->sh, 0, 200);
	write_sectors(f, &f->sh, 0, 1, 1);
	write_sectors(f, &f->sh, 5, 3, 2);
	write_sectors(f, &f->sh, 60, 8, 3);	/* 60..67, across a word */
	write_sectors(f, &f->sh, 130, 1, 4);
	write_sectors(f, &f->sh, 192, 8, 5);	/* to the end */
	assert_image_unchanged(f);

	/* the whole export, then every range of a few shapes */
	assert_reads_model(f, &f->sh, 0, 200);
	for (lba = 0; lba < 200; lba += 3)
		for (n = 1; n <= 9 && lba + n <= 200; n += 4)
			assert_reads_model(f, &f->sh, lba, n);
	assert_reads_model(f, &f->sh, 4, 5);	/* out, in, out */
	assert_reads_model(f, &f->sh, 59, 10);	/* out, in across a word, out */
	assert_reads_model(f, &f->sh, 129, 3);	/* one in the middle */
	assert_reads_model(f, &f->sh, 190, 10);	/* ending shadowed */
	assert_image_unchanged(f);
}

static void
test_frozen_read_mixes(void **state)
{
	frozen_read_mixes(state, 0);
}

static void
test_frozen_read_mixes_image_offset(void **state)
{
	/* the export starts 1000 bytes (not even a sector) into the file */
	frozen_read_mixes(state, 1000);
}

/* --- 3. unfreeze and merge ---------------------------------------------- */

static void
test_merge_one_step(void **state)
{
	struct fixture	*f = *state;

	fixture_make(f, 256, 4096 + 7);
	freeze_ok(f, &f->sh);
	write_sectors(f, &f->sh, 0, 2, 1);
	write_sectors(f, &f->sh, 63, 2, 2);
	write_sectors(f, &f->sh, 100, 20, 3);
	write_sectors(f, &f->sh, 101, 1, 4);
	write_sectors(f, &f->sh, 255, 1, 5);
	assert_image_unchanged(f);
	unfreeze_ok(f, &f->sh);
	assert_int_equal(f->sh.merge_total, 25);
	assert_int_equal(shadow_merge_done(&f->sh), 0);
	/* the header says merging, durably */
	assert_int_equal(f->sh.hdr->state, SHADOW_MERGING);
	/* reads during the merge are the newest data */
	assert_reads_model(f, &f->sh, 0, 256);

	assert_true(merge_all(f, &f->sh) <= 2);
	assert_thawed_and_gone(f, &f->sh);
	assert_image_is_model(f);
	/* a step once thawed does nothing */
	assert_int_equal(shadow_merge_step(&f->sh, f->image_fd, f->image_off), 0);
	assert_image_is_model(f);
}

static void
test_merge_empty_shadow(void **state)
{
	struct fixture	*f = *state;

	fixture_make(f, 64, 0);
	freeze_ok(f, &f->sh);
	unfreeze_ok(f, &f->sh);
	assert_int_equal(shadow_merge_step(&f->sh, f->image_fd, f->image_off), 0);
	assert_thawed_and_gone(f, &f->sh);
	assert_image_unchanged(f);
}

static void
test_merge_several_steps(void **state)
{
	struct fixture	*f = *state;
	unsigned	 steps;
	int		 rc;

	/* 3000 sectors shadowed: more than one step of STEP_SECTORS */
	fixture_make(f, 8192, 512);
	freeze_ok(f, &f->sh);
	write_sectors(f, &f->sh, 0, 1500, 1);
	write_sectors(f, &f->sh, 4000, 1500, 2);
	assert_int_equal(f->sh.mapped, 3000);
	assert_image_unchanged(f);
	unfreeze_ok(f, &f->sh);
	assert_int_equal(f->sh.merge_total, 3000);

	rc = shadow_merge_step(&f->sh, f->image_fd, f->image_off);
	assert_int_equal(rc, 1);
	/* exactly one step's worth merged: the first run and the head of
	 * the second, whose bits are gone and whose data is in the image */
	assert_int_equal(shadow_merge_done(&f->sh), STEP_SECTORS);
	assert_int_equal(f->sh.mapped, 3000 - STEP_SECTORS);
	assert_false(shadow_has(&f->sh, 0));
	assert_false(shadow_has(&f->sh, 4000 + STEP_SECTORS - 1500 - 1));
	assert_true(shadow_has(&f->sh, 4000 + STEP_SECTORS - 1500));
	assert_image_sectors(f, 0, 1500, 1);
	assert_image_sectors(f, 4000, STEP_SECTORS - 1500, 2);
	assert_image_sectors(f, 4000 + STEP_SECTORS - 1500, 1, 0);
	assert_reads_model(f, &f->sh, 0, 8192);

	steps = 1 + merge_all(f, &f->sh);
	assert_true(steps >= 2);
	assert_thawed_and_gone(f, &f->sh);
	assert_image_is_model(f);
}

/* --- 4. writes while merging --------------------------------------------- */

static void
test_merging_writes_go_where_the_data_is(void **state)
{
	static const uint64_t	 runs[][2] = { { 10, 20 } };
	struct fixture		*f = *state;

	fixture_make(f, 64, 300);
	freeze_ok(f, &f->sh);
	write_sectors(f, &f->sh, 10, 10, 1);	/* 10..19 */
	unfreeze_ok(f, &f->sh);

	/* still shadowed: to the shadow, the image untouched */
	write_sectors(f, &f->sh, 12, 2, 2);
	assert_shadow_sectors(f, 12, 2, 2);
	assert_image_unchanged(f);
	/* not shadowed: straight to the image, no bit */
	write_sectors(f, &f->sh, 30, 1, 3);
	assert_image_sectors(f, 30, 1, 3);
	assert_bits(&f->sh, runs, 1);
	/* spanning both: 18..19 to the shadow, 20..21 to the image */
	write_sectors(f, &f->sh, 18, 4, 4);
	assert_shadow_sectors(f, 18, 2, 4);
	assert_image_sectors(f, 18, 2, 0);
	assert_image_sectors(f, 20, 2, 4);
	assert_bits(&f->sh, runs, 1);
	assert_int_equal(f->sh.merge_total, 10);
	assert_reads_model(f, &f->sh, 0, 64);

	merge_all(f, &f->sh);
	assert_thawed_and_gone(f, &f->sh);
	assert_image_is_model(f);	/* tags 2 and 4 in 12, 13, 18, 19 */
}

static void
test_write_after_merge_step_not_overwritten(void **state)
{
	struct fixture	*f = *state;

	fixture_make(f, 8192, 0);
	freeze_ok(f, &f->sh);
	write_sectors(f, &f->sh, 0, STEP_SECTORS, 1);
	write_sectors(f, &f->sh, 3000, 100, 1);
	unfreeze_ok(f, &f->sh);
	assert_int_equal(shadow_merge_step(&f->sh, f->image_fd, f->image_off), 1);
	assert_false(shadow_has(&f->sh, 5));
	assert_true(shadow_has(&f->sh, 3000));

	/* merged already: to the image; the shadow keeps its older copy */
	write_sectors(f, &f->sh, 5, 2, 2);
	assert_image_sectors(f, 5, 2, 2);
	assert_shadow_sectors(f, 5, 2, 1);
	assert_false(shadow_has(&f->sh, 5));
	/* not yet merged: to the shadow */
	write_sectors(f, &f->sh, 3050, 1, 3);
	assert_image_sectors(f, 3050, 1, 0);

	merge_all(f, &f->sh);
	assert_thawed_and_gone(f, &f->sh);
	assert_image_sectors(f, 5, 2, 2);
	assert_image_sectors(f, 3050, 1, 3);
	assert_image_is_model(f);
}

/* --- 5. restart ------------------------------------------------------------ */

static void
test_restart_while_frozen(void **state)
{
	static const uint64_t	 runs[][2] = { { 2, 5 }, { 64, 65 },
				    { 90, 100 } };
	struct fixture		*f = *state;

	fixture_make(f, 100, 2048);
	freeze_ok(f, &f->sh);
	write_sectors(f, &f->sh, 2, 3, 1);
	write_sectors(f, &f->sh, 64, 1, 2);
	write_sectors(f, &f->sh, 90, 10, 3);
	write_sectors(f, &f->sh, 3, 1, 4);
	/* no shadow_sync: the bits are in the page cache only */
	restart(f, &f->sh);
	assert_int_equal(f->sh.state, SHADOW_FROZEN);
	assert_int_equal(f->sh.mapped, 14);
	assert_bits(&f->sh, runs, sizeof(runs) / sizeof(runs[0]));
	assert_reads_model(f, &f->sh, 0, 100);
	assert_image_unchanged(f);

	/* and it carries on: more writes, then the merge */
	write_sectors(f, &f->sh, 50, 2, 5);
	assert_int_equal(f->sh.mapped, 16);
	assert_image_unchanged(f);
	unfreeze_ok(f, &f->sh);
	merge_all(f, &f->sh);
	assert_thawed_and_gone(f, &f->sh);
	assert_image_is_model(f);
}

static void
test_restart_while_merging(void **state)
{
	struct fixture	*f = *state;

	fixture_make(f, 8192, 100);
	freeze_ok(f, &f->sh);
	write_sectors(f, &f->sh, 0, 1000, 1);
	write_sectors(f, &f->sh, 2000, 2000, 2);
	unfreeze_ok(f, &f->sh);
	assert_int_equal(shadow_merge_step(&f->sh, f->image_fd, f->image_off), 1);
	assert_int_equal(f->sh.mapped, 3000 - STEP_SECTORS);
	/* a write to a merged sector: the image; to an unmerged one: the
	 * shadow */
	write_sectors(f, &f->sh, 10, 3, 3);
	write_sectors(f, &f->sh, 3900, 3, 4);

	restart(f, &f->sh);
	assert_int_equal(f->sh.state, SHADOW_MERGING);
	assert_int_equal(f->sh.mapped, 3000 - STEP_SECTORS);
	assert_int_equal(f->sh.merge_total, 3000 - STEP_SECTORS);
	assert_false(shadow_has(&f->sh, 10));
	assert_true(shadow_has(&f->sh, 3999));
	assert_reads_model(f, &f->sh, 0, 8192);

	merge_all(f, &f->sh);
	assert_thawed_and_gone(f, &f->sh);
	assert_image_sectors(f, 10, 3, 3);
	assert_image_sectors(f, 3900, 3, 4);
	assert_image_is_model(f);
}

/* --- 6. what shadow_load finds --------------------------------------------- */

/* Frozen with a few sectors shadowed, then "killed". */
static void
frozen_and_killed(struct fixture *f, uint64_t sectors)
{
	fixture_make(f, sectors, 0);
	freeze_ok(f, &f->sh);
	write_sectors(f, &f->sh, 7, 3, 1);
	shadow_drop(&f->sh);
}

static void
flip_map_byte(const struct fixture *f, uint64_t off)
{
	uint8_t	 b;

	read_dir_file(f, SHADOW_MAP, &b, 1, off);
	b ^= 0x40;
	write_dir_file(f, SHADOW_MAP, &b, 1, off);
}

static void
test_load_corrupt_header(void **state)
{
	struct fixture	*f = *state;

	frozen_and_killed(f, 128);
	flip_map_byte(f, 0);			/* the magic */
	assert_load_refused(f, 128, "not a shadow map");
	flip_map_byte(f, 0);
	flip_map_byte(f, offsetof(struct shadow_hdr, frozen_at));
	assert_load_refused(f, 128, "checksum does not match");
	flip_map_byte(f, offsetof(struct shadow_hdr, frozen_at));
	flip_map_byte(f, offsetof(struct shadow_hdr, sum) + 1);
	assert_load_refused(f, 128, "checksum does not match");
	flip_map_byte(f, offsetof(struct shadow_hdr, sum) + 1);

	/* put back, it loads again, frozen with its 3 sectors */
	restart(f, &f->sh);
	assert_int_equal(f->sh.state, SHADOW_FROZEN);
	assert_int_equal(f->sh.mapped, 3);
	assert_reads_model(f, &f->sh, 0, 128);
}

static void
test_load_wrong_sector_count(void **state)
{
	struct fixture	*f = *state;

	frozen_and_killed(f, 128);
	/* a map of the same length but another export size */
	assert_load_refused(f, 129, "another size");
	assert_load_refused(f, 64, "another size");
	/* an export grown past the map's length */
	assert_load_refused(f, 128 + 8 * 4096 * 2, "short");
}

static void
test_load_truncated_map(void **state)
{
	struct fixture	*f = *state;
	char		 path[64];

	frozen_and_killed(f, 128);
	snprintf(path, sizeof(path), "%s/%s", f->dir, SHADOW_MAP);
	assert_int_equal(truncate(path, SHADOW_HDR_SIZE + 8), 0);
	assert_load_refused(f, 128, "short");
	assert_int_equal(truncate(path, 10), 0);
	assert_load_refused(f, 128, "short");
	assert_int_equal(truncate(path, 0), 0);
	assert_load_refused(f, 128, "short");
}

static void
test_load_map_without_shadow_file(void **state)
{
	struct fixture	*f = *state;
	struct shadow	 sh2;

	frozen_and_killed(f, 128);
	assert_int_equal(unlinkat(f->dirfd, SHADOW_DATA, 0), 0);
	shadow_init(&sh2, f->dirfd, EXPORT, 128);
	f->err[0] = '\0';
	assert_int_equal(shadow_load(&sh2, f->err, sizeof(f->err)), -1);
	assert_err_has(f->err, SHADOW_DATA);
	assert_int_equal(sh2.state, SHADOW_THAWED);
	assert_int_equal(sh2.map_fd, -1);
	assert_true(dir_has(f, SHADOW_MAP));
}

/* Bits past the export's last sector (a corrupt map whose header is
 * intact): no sector of the export is there, so they are dropped at load
 * with the rest kept, and the merge ends.  Counted, they made `mapped` stay
 * above 0 after every pass and the merge start over for ever. */
static void
test_load_bits_past_the_end(void **state)
{
	static const uint64_t	 runs[][2] = { { 7, 10 } };
	struct fixture		*f = *state;
	uint64_t		 tail = UINT64_MAX << (100 - 64);
	unsigned		 steps = 0;
	int			 rc;

	frozen_and_killed(f, 100);
	/* sectors 100-127 in the map's second word */
	write_dir_file(f, SHADOW_MAP, &tail, sizeof(tail), SHADOW_HDR_SIZE + 8);
	restart(f, &f->sh);
	assert_int_equal(f->sh.state, SHADOW_FROZEN);
	assert_int_equal(f->sh.mapped, 3);
	assert_bits(&f->sh, runs, sizeof(runs) / sizeof(runs[0]));
	assert_reads_model(f, &f->sh, 0, 100);

	unfreeze_ok(f, &f->sh);
	do {
		rc = shadow_merge_step(&f->sh, f->image_fd, f->image_off);
		assert_true(rc == 0 || rc == 1);
		assert_true(++steps < 10);
	} while (rc == 1);
	assert_thawed_and_gone(f, &f->sh);
	assert_image_is_model(f);
}

static void
test_load_removes_leftovers(void **state)
{
	struct fixture	*f = *state;

	fixture_make(f, 64, 0);
	write_dir_file(f, SHADOW_DATA, "old shadow", 10, 4096);
	write_dir_file(f, SHADOW_MAP_TMP, "half a map", 10, 0);
	/* another export's files are not ours */
	write_dir_file(f, "e3.8.shadow", "theirs", 6, 0);
	write_dir_file(f, "e3.70.map.tmp", "theirs", 6, 0);
	assert_int_equal(shadow_load(&f->sh, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->sh.state, SHADOW_THAWED);
	assert_false(dir_has(f, SHADOW_DATA));
	assert_false(dir_has(f, SHADOW_MAP_TMP));
	assert_true(dir_has(f, "e3.8.shadow"));
	assert_true(dir_has(f, "e3.70.map.tmp"));
	assert_int_equal(dir_entries(f), 2);

	/* a shadow file alone (a thaw interrupted after the map went) */
	write_dir_file(f, SHADOW_DATA, "old shadow", 10, 0);
	assert_int_equal(shadow_load(&f->sh, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->sh.state, SHADOW_THAWED);
	assert_false(dir_has(f, SHADOW_DATA));
	assert_image_unchanged(f);
}

/* --- 7. a full shadow file system ------------------------------------------ */

/* A 256 KiB tmpfs over the fixture's directory (root only). */
static void
mount_small_tmpfs(struct fixture *f)
{
	if (geteuid() != 0) {
		fprintf(stderr, "not root: no tmpfs, skipped\n");
		skip();
	}
	if (mount("tmpfs", f->dir, "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=256k,mode=0700") == -1) {
		fprintf(stderr, "mount tmpfs on %s: %s: skipped\n", f->dir,
		    strerror(errno));
		skip();
	}
	f->mounted = true;
	close(f->dirfd);
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->dirfd >= 0);
	shadow_init(&f->sh, f->dirfd, EXPORT, f->sectors);
}

static void
test_full_file_system(void **state)
{
	struct fixture	*f = *state;
	uint8_t		 buf[8 * SECTOR];
	uint64_t	 lba, full_at = 0;
	int		 rc = 0;

	fixture_make(f, 8192, 0);		/* 4 MiB: far more than 256 KiB */
	mount_small_tmpfs(f);
	freeze_ok(f, &f->sh);
	for (lba = 0; lba < 8192; lba += 8) {
		pattern(buf, lba, 8, 1);
		rc = shadow_write(&f->sh, f->image_fd, f->image_off, buf, lba, 8);
		if (rc != 0) {
			full_at = lba;
			break;
		}
		memcpy(f->model + lba * SECTOR, buf, sizeof(buf));
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(full_at > 0);
	assert_true(f->sh.errors >= 1);
	/* what failed is not in the shadow: it reads as the image */
	assert_int_equal(f->sh.mapped, full_at);
	assert_false(shadow_has(&f->sh, full_at));
	assert_true(shadow_has(&f->sh, full_at - 1));
	assert_image_unchanged(f);
	assert_reads_model(f, &f->sh, 0, 8192);
	/* still full */
	pattern(buf, full_at, 8, 2);
	assert_int_equal(shadow_write(&f->sh, f->image_fd, f->image_off, buf,
	    full_at, 8), -ENOSPC);
	assert_image_unchanged(f);

	/* the merge needs no room in the shadow directory */
	unfreeze_ok(f, &f->sh);
	merge_all(f, &f->sh);
	assert_thawed_and_gone(f, &f->sh);
	assert_image_is_model(f);
}

/*
 * The last free page of the shadow file system goes to a write whose bits
 * lie on a page of the map no write touched before.  The map was sized
 * with ftruncate at the freeze: if that page is still a hole, setting the
 * bit through the mapping needs a page the file system no longer has and
 * the process dies of SIGBUS instead of getting 0 or -ENOSPC.  Run in a
 * child so that a crash fails this test only.
 */
static int
last_page_child(struct fixture *f)
{
	uint8_t		 buf[8 * SECTOR];
	uint64_t	 lba, far = 8 * 4096;	/* bits on the map's 2nd page */
	int		 rc = 0, fd;

	signal(SIGBUS, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	if (shadow_freeze(&f->sh, f->err, sizeof(f->err)) != 0)
		return 3;
	/* one page held back, then everything else filled (no cmocka
	 * assertions in the child: a failure would run on in its copy of
	 * the test runner) */
	if ((fd = openat(f->dirfd, "filler", O_WRONLY | O_CREAT | O_CLOEXEC,
	    0600)) == -1 || write(fd, "x", 1) != 1)
		return 6;
	close(fd);
	for (lba = 0; lba < far; lba += 8) {
		pattern(buf, lba, 8, 1);
		if ((rc = shadow_write(&f->sh, f->image_fd, f->image_off, buf,
		    lba, 8)) != 0)
			break;
	}
	if (rc != -ENOSPC)
		return 4;
	if (unlinkat(f->dirfd, "filler", 0) == -1)
		return 5;
	pattern(buf, far, 8, 2);
	rc = shadow_write(&f->sh, f->image_fd, f->image_off, buf, far, 8);
	if (rc == 0 && shadow_has(&f->sh, far))
		return 0;
	if (rc == -ENOSPC && !shadow_has(&f->sh, far))
		return 0;
	return 2;
}

static void
test_full_file_system_last_page(void **state)
{
	struct fixture	*f = *state;
	pid_t		 pid;
	int		 status;

	fixture_make(f, 8 * 4096 + 64, 0);	/* a map of two bit pages */
	mount_small_tmpfs(f);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(last_page_child(f));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("shadow_write on a full shadow file system: killed by "
		    "signal %d (%s) setting a bit on a map page that is a hole",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("shadow_write on a full shadow file system: child "
		    "exited %d (1: a deadly signal under ASan; 2: rc and bit "
		    "disagree; 3-6: setup)", WEXITSTATUS(status));
	assert_image_unchanged(f);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, t_setup, t_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_freeze_without_directory),
		T(test_state_refusals),
		T(test_frozen_write_goes_to_shadow),
		T(test_frozen_read_mixes),
		T(test_frozen_read_mixes_image_offset),
		T(test_merge_one_step),
		T(test_merge_empty_shadow),
		T(test_merge_several_steps),
		T(test_merging_writes_go_where_the_data_is),
		T(test_write_after_merge_step_not_overwritten),
		T(test_restart_while_frozen),
		T(test_restart_while_merging),
		T(test_load_corrupt_header),
		T(test_load_wrong_sector_count),
		T(test_load_truncated_map),
		T(test_load_map_without_shadow_file),
		T(test_load_bits_past_the_end),
		T(test_load_removes_leftovers),
		T(test_full_file_system),
		T(test_full_file_system_last_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

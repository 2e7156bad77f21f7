/*
 * libFuzzer target: an export's shadow map (blockd/shadow.c) as blockd
 * finds it at start, after a crash, a bad disk or a hand in the state
 * directory: any header, any bits, any length.
 *
 * Input: byte 0 says what to make right so the fuzzer gets past the header
 * (bit 0 the magic and version, bit 1 the export size, bit 2 the state,
 * bit 3 the checksum, computed last); bytes 1-2 the export's size in
 * sectors (1-1024); the rest is the map file.  Beside it lie a shadow file
 * whose sector s holds SHADOW_BYTE(s) and an image whose sector s holds
 * IMAGE_BYTE(s).
 *
 * A map that is refused leaves the export thawed with nothing open and
 * both files in place (they hold writes the image does not), and says so
 * in one line that names the export.  A map that loads is frozen or
 * merging with `mapped` equal to its bits inside the export; every sector
 * reads from the shadow where its bit is set and from the image where it is
 * clear; a write while frozen reads back; and unfreezing merges in a
 * bounded number of steps to an image that holds exactly what was read,
 * with both files gone.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fullio.h"
#include "shadow.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

#define SECTOR		512u
#define MAX_SECTORS	1024u
#define EXPORT		"e1.0"
#define SHADOW_BYTE(s)	((uint8_t)(0x80 | ((s) & 0x7f)))
#define IMAGE_BYTE(s)	((uint8_t)((s) & 0x7f))
#define WRITE_BYTE	0x55

enum {
	FIX_MAGIC	= 1 << 0,
	FIX_SECTORS	= 1 << 1,
	FIX_STATE	= 1 << 2,
	FIX_SUM		= 1 << 3,
};

static int		 dirfd_ = -1;
static uint8_t		 shadow_data[MAX_SECTORS * SECTOR];
static uint8_t		 image_data[MAX_SECTORS * SECTOR];
static uint8_t		 model[MAX_SECTORS * SECTOR];
static uint8_t		 buf[MAX_SECTORS * SECTOR];

/* The map header's checksum as the format defines it (shadow.h): FNV-1a of
 * the bytes before `sum`. */
static uint32_t
format_sum(const struct shadow_hdr *h)
{
	const uint8_t	*b = (const uint8_t *)h;
	size_t		 n = offsetof(struct shadow_hdr, sum);
	uint32_t	 x = 2166136261u;

	while (n-- > 0)
		x = (x ^ *b++) * 16777619u;
	return x;
}

static char		 dir[64];

static void
remove_dir(void)
{
	(void)unlinkat(dirfd_, EXPORT ".map", 0);
	(void)unlinkat(dirfd_, EXPORT ".shadow", 0);
	(void)unlinkat(dirfd_, "image", 0);
	(void)rmdir(dir);
}

/* A fresh directory on tmpfs when there is one: every input writes files.
 * Removed at exit (not after a crash: then it shows what was there). */
static void
setup_once(void)
{
	uint32_t	 s;

	if (dirfd_ >= 0)
		return;
	snprintf(dir, sizeof(dir), "%s/fuzz_shadow.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	FZ_CHECK(mkdtemp(dir) != NULL);
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FZ_CHECK(dirfd_ >= 0);
	atexit(remove_dir);
	for (s = 0; s < MAX_SECTORS; s++) {
		memset(shadow_data + (size_t)s * SECTOR, SHADOW_BYTE(s), SECTOR);
		memset(image_data + (size_t)s * SECTOR, IMAGE_BYTE(s), SECTOR);
	}
}

static int
put_file(const char *name, const void *p, size_t n)
{
	int	 fd;

	fd = openat(dirfd_, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FZ_CHECK(fd >= 0);
	FZ_CHECK(full_pwrite(fd, p, n, 0) == 0);
	return fd;
}

static bool
dir_has(const char *name)
{
	return faccessat(dirfd_, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The map file: the input, with what byte 0 asks made right. */
static void
make_map(uint8_t fix, uint64_t sectors, const uint8_t *in, size_t len)
{
	static uint8_t		 map[SHADOW_HDR_SIZE + 2 * 4096];
	struct shadow_hdr	*h = (struct shadow_hdr *)(void *)map;

	if (len > sizeof(map))
		len = sizeof(map);
	memcpy(map, in, len);
	if (len >= sizeof(*h)) {
		if (fix & FIX_MAGIC) {
			memcpy(h->magic, SHADOW_MAGIC, sizeof(h->magic));
			h->version = SHADOW_VERSION;
		}
		if (fix & FIX_SECTORS)
			h->sectors = sectors;
		if (fix & FIX_STATE)
			h->state = h->state % 2 ? SHADOW_FROZEN : SHADOW_MERGING;
		if (fix & FIX_SUM)
			h->sum = format_sum(h);
	}
	close(put_file(EXPORT ".map", map, len));
}

static void
check_refused(const struct shadow *sh, const char *err)
{
	FZ_CHECK(sh->state == SHADOW_THAWED && !shadow_active(sh));
	FZ_CHECK(sh->map == NULL && sh->data_fd == -1 && sh->map_fd == -1);
	FZ_CHECK(strncmp(err, EXPORT ":", strlen(EXPORT ":")) == 0);
	FZ_CHECK(strchr(err, '\n') == NULL);
	FZ_CHECK(dir_has(EXPORT ".map") && dir_has(EXPORT ".shadow"));
}

/* Every sector from where its bit says; the model is what was read. */
static void
check_reads(struct shadow *sh, int image_fd, uint64_t sectors)
{
	uint64_t	 s, bits = 0;
	uint8_t		 want;

	FZ_CHECK(shadow_read(sh, image_fd, 0, model, 0, (unsigned)sectors) == 0);
	for (s = 0; s < sectors; s++) {
		bits += shadow_has(sh, s);
		want = shadow_has(sh, s) ? SHADOW_BYTE(s) : IMAGE_BYTE(s);
		FZ_CHECK(model[s * SECTOR] == want &&
		    model[s * SECTOR + SECTOR - 1] == want);
	}
	FZ_CHECK(sh->mapped == bits);
}

/* Frozen: a write to the last sector reads back, from the shadow. */
static void
check_frozen_write(struct shadow *sh, int image_fd, uint64_t sectors)
{
	uint64_t	 last = sectors - 1;

	memset(buf, WRITE_BYTE, SECTOR);
	FZ_CHECK(shadow_write(sh, image_fd, 0, buf, last, 1) == 0);
	FZ_CHECK(shadow_has(sh, last));
	memset(buf, 0, SECTOR);
	FZ_CHECK(shadow_read(sh, image_fd, 0, buf, last, 1) == 0);
	FZ_CHECK(buf[0] == WRITE_BYTE && buf[SECTOR - 1] == WRITE_BYTE);
	memset(model + last * SECTOR, WRITE_BYTE, SECTOR);
}

static void
check_merge(struct shadow *sh, int image_fd, uint64_t sectors, char *err,
    size_t errsize)
{
	unsigned	 steps = 0;
	int		 rc;

	if (sh->state == SHADOW_FROZEN)
		FZ_CHECK(shadow_unfreeze(sh, err, errsize) == 0);
	do {
		rc = shadow_merge_step(sh, image_fd, 0);
		FZ_CHECK(rc == 0 || rc == 1);
		/* one step copies up to 2048 sectors; one more pass finds none */
		FZ_CHECK(++steps <= 3);
	} while (rc == 1);
	FZ_CHECK(sh->state == SHADOW_THAWED && !shadow_active(sh));
	FZ_CHECK(!dir_has(EXPORT ".map") && !dir_has(EXPORT ".shadow"));
	FZ_CHECK(full_pread(image_fd, buf, sectors * SECTOR, 0) == 0);
	FZ_CHECK(memcmp(buf, model, sectors * SECTOR) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	struct shadow	 sh;
	char		 err[512] = "";
	uint64_t	 sectors;
	int		 image_fd;
	uint8_t		 fix;

	if (len < 3)
		return 0;
	setup_once();
	fix = in[0];
	sectors = 1 + ((uint64_t)in[1] | (uint64_t)in[2] << 8) % MAX_SECTORS;
	make_map(fix, sectors, in + 3, len - 3);
	close(put_file(EXPORT ".shadow", shadow_data, sectors * SECTOR));
	image_fd = put_file("image", image_data, sectors * SECTOR);

	/* a copy of the directory fd: shadow_release() closes it */
	shadow_init(&sh, dup(dirfd_), EXPORT, sectors);
	FZ_CHECK(sh.dirfd >= 0);
	if (shadow_load(&sh, err, sizeof(err)) == -1)
		check_refused(&sh, err);
	else {
		FZ_CHECK(sh.state == SHADOW_FROZEN || sh.state == SHADOW_MERGING);
		FZ_CHECK(sh.mapped <= sectors && sh.merge_total == sh.mapped);
		check_reads(&sh, image_fd, sectors);
		if (sh.state == SHADOW_FROZEN)
			check_frozen_write(&sh, image_fd, sectors);
		check_merge(&sh, image_fd, sectors, err, sizeof(err));
	}
	shadow_release(&sh);
	close(image_fd);
	(void)unlinkat(dirfd_, EXPORT ".map", 0);
	(void)unlinkat(dirfd_, EXPORT ".shadow", 0);
	return 0;
}

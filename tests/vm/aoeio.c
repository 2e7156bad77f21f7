/*
 * aoeio — the guest's I/O tool for the kernel-initiator tests (tests/vm/).
 * Built static into the VM's initramfs, and for the host, which uses it to
 * check the exported image after the guest has powered off.
 *
 *   aoeio [-d] write  FILE SEED START COUNT BS   write the pattern
 *   aoeio [-d] verify FILE SEED START COUNT BS   read back and compare
 *   aoeio drain FILE                             copy what FILE has ready
 *                                                (non-blocking) to stdout
 *   aoeio follow FILE                            copy FILE to stdout until
 *                                                killed (blocking reads)
 *
 * START and COUNT are 512-byte sectors, BS is the I/O size in bytes (a
 * multiple of 512; the last I/O of a range may be shorter). -d opens FILE
 * with O_DIRECT, so each I/O goes to the device as one request.
 *
 * The pattern of sector LBA under SEED is 64 little-endian 64-bit words:
 * word 0 = LBA, word 1 = SEED, word i (2..63) = mix(SEED, LBA, i) below.
 * It depends only on (SEED, LBA), so any range written with any I/O size can
 * be checked with any other, in the guest or in the image file on the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECT 512

static uint64_t mix(uint64_t seed, uint64_t lba, uint64_t i)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL ^ (lba << 7 | i);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void fill(unsigned char *p, uint64_t seed, uint64_t lba)
{
	put64(p, lba);
	put64(p + 8, seed);
	for (uint64_t i = 2; i < SECT / 8; i++)
		put64(p + 8 * i, mix(seed, lba, i));
}

static int usage(void)
{
	fprintf(stderr, "usage: aoeio [-d] write|verify FILE SEED START COUNT BS\n"
	    "       aoeio drain|follow FILE\n");
	return 2;
}

/* /dev/etherd/err: one message per read, no newline; it keeps only a few
 * messages while nobody reads, so the guest follows it all the time */
static int drain(const char *path, int follow)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | (follow ? 0 : O_NONBLOCK));

	if (fd < 0) {
		fprintf(stderr, "aoeio: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!follow)
		alarm(5);	/* in case the driver ignores O_NONBLOCK */
	for (int n = 0; follow || n < 1000; n++) {
		ssize_t r = read(fd, buf, sizeof buf);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (write(1, buf, (size_t)r) != r)
			return 1;
		/* aoechr returns one message per read, without a newline */
		if (buf[r - 1] != '\n' && write(1, "\n", 1) != 1)
			return 1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int direct = 0, writing;
	uint64_t seed, start, count, bs, lba, end;
	unsigned char *buf, *want = NULL;
	int fd;

	if (argc > 1 && strcmp(argv[1], "-d") == 0) {
		direct = 1;
		argc--;
		argv++;
	}
	if (argc == 3 && strcmp(argv[1], "drain") == 0)
		return drain(argv[2], 0);
	if (argc == 3 && strcmp(argv[1], "follow") == 0)
		return drain(argv[2], 1);
	if (argc != 7)
		return usage();
	if (strcmp(argv[1], "write") == 0)
		writing = 1;
	else if (strcmp(argv[1], "verify") == 0)
		writing = 0;
	else
		return usage();
	seed = strtoull(argv[3], NULL, 0);
	start = strtoull(argv[4], NULL, 0);
	count = strtoull(argv[5], NULL, 0);
	bs = strtoull(argv[6], NULL, 0);
	if (bs == 0 || bs % SECT)
		return usage();
	fd = open(argv[2], (writing ? O_WRONLY : O_RDONLY) | (direct ? O_DIRECT : 0));
	if (fd < 0) {
		fprintf(stderr, "aoeio: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (posix_memalign((void **)&buf, 4096, bs) || posix_memalign((void **)&want, 4096, bs)) {
		fprintf(stderr, "aoeio: out of memory\n");
		return 1;
	}
	end = start + count;
	for (lba = start; lba < end;) {
		uint64_t n = bs / SECT;
		size_t len;
		ssize_t r;

		if (n > end - lba)
			n = end - lba;
		len = (size_t)(n * SECT);
		for (uint64_t i = 0; i < n; i++)
			fill((writing ? buf : want) + i * SECT, seed, lba + i);
		if (writing)
			r = pwrite(fd, buf, len, (off_t)(lba * SECT));
		else
			r = pread(fd, buf, len, (off_t)(lba * SECT));
		if (r != (ssize_t)len) {
			fprintf(stderr, "aoeio: %s %s at sector %" PRIu64 " (%zu bytes): %s\n",
			    argv[2], writing ? "write" : "read", lba, len,
			    r < 0 ? strerror(errno) : "short transfer");
			return 1;
		}
		if (!writing && memcmp(buf, want, len) != 0) {
			for (uint64_t i = 0; i < n; i++) {
				unsigned char *got = buf + i * SECT;

				if (memcmp(got, want + i * SECT, SECT) == 0)
					continue;
				uint64_t glba = 0, gseed = 0;
				for (int b = 7; b >= 0; b--) {
					glba = glba << 8 | got[b];
					gseed = gseed << 8 | got[8 + b];
				}
				fprintf(stderr, "aoeio: %s: sector %" PRIu64 " differs (holds lba %"
				    PRIu64 " seed %" PRIu64 ", want seed %" PRIu64 ")\n",
				    argv[2], lba + i, glba, gseed, seed);
				return 1;
			}
		}
		lba += n;
	}
	if (writing && fsync(fd) != 0) {
		fprintf(stderr, "aoeio: %s: fsync: %s\n", argv[2], strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

/*
 * libFuzzer target: frames as blockd's engine executes them, against an
 * in-memory export (a memfd) that lies between two canary regions: no
 * input may make the engine touch bytes outside the export, and every reply
 * fits its buffer and is either nothing or a whole padded frame.
 */
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aoe.h"
#include "engine.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

#define CANARY		8192			/* bytes before and after */
#define EXPORT_SECTORS	256			/* 128 KiB */
#define CAP		(16384 - 4060)		/* a ring buffer's frame capacity */

static struct export	 fx;
static struct engine	 eng;
static struct nic_view	 nic;
static uint8_t		 canary[CANARY];

static void
fuzz_setup(void)
{
	static int	 done;
	int		 fd;

	if (done++)
		return;
	if ((fd = memfd_create("fuzz-image", 0)) == -1 ||
	    ftruncate(fd, 2 * CANARY + EXPORT_SECTORS * 512) == -1)
		abort();
	memset(canary, 0xA5, sizeof(canary));
	if (pwrite(fd, canary, CANARY, 0) != CANARY ||
	    pwrite(fd, canary, CANARY, CANARY + EXPORT_SECTORS * 512) != CANARY)
		abort();
	strcpy(fx.name, "e7.3");
	fx.shelf = 7;
	fx.slot = 3;
	fx.fd = fd;
	fx.offset = CANARY;
	fx.sectors = EXPORT_SECTORS;
	fx.flags = EXPORT_KERNEL;
	fx.nic_mask = 1;
	fx.bufcnt = 16;
	strcpy(fx.serial, "7.3:fuzz");
	strcpy(fx.model, "AoEde fuzz");
	eng.exports = &fx;
	eng.nexports = 1;
	nic.index = 0;
	nic.mtu = 9000;
	memcpy(nic.mac, "\x02\x00\x00\x00\x00\x01", 6);
	nic.max_sectors = 17;
}

static void
fuzz_check_canaries(void)
{
	uint8_t	 buf[CANARY];

	FZ_CHECK(pread(fx.fd, buf, CANARY, 0) == CANARY);
	FZ_CHECK(memcmp(buf, canary, CANARY) == 0);
	FZ_CHECK(pread(fx.fd, buf, CANARY, CANARY + EXPORT_SECTORS * 512) == CANARY);
	FZ_CHECK(memcmp(buf, canary, CANARY) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	static uint8_t	 frame[CAP];
	struct export	*sync = NULL;
	size_t		 out;

	fuzz_setup();
	if (len > CAP)
		return 0;
	memcpy(frame, in, len);
	out = engine_handle(&eng, &nic, frame, len, CAP, &sync);
	FZ_CHECK(out == 0 || (out >= AOE_MIN_FRAME && out <= CAP));
	if (sync != NULL) {
		FZ_CHECK(sync == &fx);
		(void)export_sync(sync);
	}
	fuzz_check_canaries();
	return 0;
}

/*
 * libFuzzer target: a frame from the LAN as netd checks it, then (if netd
 * accepts it) as it would put it on the ring — the descriptor it builds must
 * pass blockd's descriptor validation.  Also the ring descriptor validation
 * itself on arbitrary descriptors (what a hostile netd can write).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aoe.h"
#include "netd.h"
#include "ring.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

static struct netd	netd;

static void
fuzz_setup(void)
{
	static int	 done;

	if (done++)
		return;
	netd.exports[0] = (struct netd_export){ 7, 3 };
	netd.exports[1] = (struct netd_export){ 7, 4 };
	netd.exports[2] = (struct netd_export){ 1, 0 };
	netd.nexports = 3;
}

/* what blockd checks of a descriptor, against a region of 8 buffers */
static void
fuzz_desc(const uint8_t *in, size_t len)
{
	struct ring_region	 rr;
	struct ring_desc	 d;
	bool			 ok;

	if (len < sizeof(d))
		return;
	memcpy(&d, in, sizeof(d));
	memset(&rr, 0, sizeof(rr));
	rr.nbufs = 8;
	rr.buf_size = 16384;
	ok = ring_desc_valid(&rr, &d);
	/* valid means: index in range, length within the frame capacity */
	if (ok)
		FZ_CHECK(d.buf < 8 && d.len >= 14 && d.len <= 16384 - RING_FRAME_OFF);
	if (d.buf >= 8 || d.len > 16384 - RING_FRAME_OFF)
		FZ_CHECK(!ok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	enum netd_drop	 why = NETD_DROP__MAX;
	struct aoe_hdr	 h;

	fuzz_setup();
	fuzz_desc(in, len);
	if (netd_check_frame(&netd, in, len, &why) == 0) {
		/* accepted: a well-formed request to one of our exports */
		FZ_CHECK(aoe_hdr_decode(in, len, &h) == 0);
		FZ_CHECK(!(h.flags & AOE_FLAG_RESP));
		FZ_CHECK(len >= AOE_HDR_LEN);
		if (h.cmd == AOE_CMD_ATA)
			FZ_CHECK(len >= AOE_ATA_HDR_LEN);
		if (h.cmd == AOE_CMD_CFG)
			FZ_CHECK(len >= AOE_CFG_HDR_LEN);
	} else
		FZ_CHECK(why < NETD_DROP__MAX);
	return 0;
}

/*
 * The path to the target during a run: how many sectors a frame may carry
 * now.  At start that comes from the Query Config answer and our MTU
 * (target_frame_sectors); either can change under a run.  When the MTU
 * shrinks, frames of the old size are dropped by the link, refused by our
 * own interface (EMSGSIZE) or answered with an AoE error, and retransmitting
 * them never helps.  As the Linux aoe driver does when it discovers a target
 * again, we then read our MTU again and ask the target's Sector Count again,
 * without stopping the load: the question goes out beside the ATA frames
 * and its answer comes back through io's receive loop.
 */
#include <string.h>

#include "aoe.h"
#include "log.h"
#include "util.h"
#include "aoebench.h"

#define PATH_RTO_MAX_MS		2000
#define PATH_MTU_CHECK_MS	1000	/* how often we look at our MTU */
#define PATH_QUIET_MS		500	/* after an answer: hints are stale */

static uint64_t
path_ms(uint64_t ms)
{
	return ms * 1000000ULL;
}

void
path_init(struct path *pa, struct pkt *p, const struct bench_opts *o,
    const struct target *t, uint64_t now)
{
	memset(pa, 0, sizeof(*pa));
	pa->p = p;
	pa->o = o;
	pa->t = *t;
	pa->fsect = target_frame_sectors(t, p);
	pa->mtu_check_ns = now + path_ms(PATH_MTU_CHECK_MS);
	pa->too_big_seen = p->too_big;
}

void
path_suspect(struct path *pa)
{
	pa->suspect = 1;
}

static void
path_send_query(struct path *pa, uint64_t now)
{
	uint8_t	 q[AOE_CFG_HDR_LEN + AOE_MIN_FRAME];
	size_t	 len;

	len = target_cfg_request(pa->p, &pa->t, q, sizeof(q));
	if (pkt_send(pa->p, q, len, sizeof(q)) == -1)
		log_debug("e%u.%u: config query: send failed", pa->t.shelf,
		    pa->t.slot);
	pa->resend_ns = now + path_ms(pa->rto_ms);
	pa->rto_ms = pa->rto_ms * 2 > PATH_RTO_MAX_MS ? PATH_RTO_MAX_MS :
	    pa->rto_ms * 2;
}

/* Sectors per frame from what we know now; logs a change. */
static void
path_recompute(struct path *pa, const char *why)
{
	unsigned	 n = target_frame_sectors(&pa->t, pa->p);

	if (n == pa->fsect)
		return;
	log_info("e%u.%u: %u sectors per frame, was %u (%s: MTU %u, Sector "
	    "Count %u)", pa->t.shelf, pa->t.slot, n, pa->fsect, why,
	    pa->p->mtu, pa->t.scnt);
	pa->fsect = n;
}

/*
 * Re-discovery: our own MTU first (known at once: nothing larger can leave
 * this interface, so shrink now without waiting for the target), then the
 * question to the target.
 */
static void
path_rediscover(struct path *pa, uint64_t now)
{
	pa->suspect = 0;
	pa->asked++;
	if (pkt_refresh_mtu(pa->p) == 1)
		pa->rx_grew = 1;
	if (target_frame_sectors(&pa->t, pa->p) < pa->fsect)
		path_recompute(pa, "our MTU");
	pa->asking = 1;
	pa->rto_ms = pa->o->rto_ms;
	path_send_query(pa, now);
}

/* Once a second: an MTU that grew is a hint too (nothing is lost then,
 * so nothing else would tell us the frames may grow back). */
static void
path_check_mtu(struct path *pa, uint64_t now)
{
	unsigned	 old = pa->p->mtu;

	pa->mtu_check_ns = now + path_ms(PATH_MTU_CHECK_MS);
	if (pkt_refresh_mtu(pa->p) != 1)
		return;
	log_debug("%s: MTU %u, was %u", pa->p->ifname, pa->p->mtu, old);
	pa->rx_grew = 1;
	if (target_frame_sectors(&pa->t, pa->p) < pa->fsect)
		path_recompute(pa, "our MTU");
	path_suspect(pa);
}

uint64_t
path_poll(struct path *pa, uint64_t now)
{
	uint64_t	 next;

	if (pa->p->too_big != pa->too_big_seen) {
		/* our interface refused a frame: its MTU is smaller now */
		pa->too_big_seen = pa->p->too_big;
		path_suspect(pa);
	}
	if (now >= pa->mtu_check_ns)
		path_check_mtu(pa, now);
	if (pa->suspect && !pa->asking && now >= pa->quiet_ns)
		path_rediscover(pa, now);
	else if (pa->asking && now >= pa->resend_ns)
		path_send_query(pa, now);
	next = pa->mtu_check_ns;
	if (pa->asking && pa->resend_ns < next)
		next = pa->resend_ns;
	if (pa->suspect && !pa->asking && pa->quiet_ns < next)
		next = pa->quiet_ns;
	return next;
}

int
path_cfg_frame(struct path *pa, const uint8_t *f, size_t len, uint64_t now)
{
	struct target	 t = pa->t;

	switch (target_cfg_seen(pa->p, f, len, &t)) {
	case TARGET_CFG_ANNOUNCE:
		/* its MTU or link changed: what does it offer now? */
		path_suspect(pa);
		return 0;
	case TARGET_CFG_ANSWER:
		/* only while asking: a duplicate or late answer may tell of
		 * the path as it was before */
		if (!pa->asking)
			return 0;
		pa->t = t;
		pa->asking = 0;
		pa->quiet_ns = now + path_ms(PATH_QUIET_MS);
		path_recompute(pa, "re-discovery");
		return 1;
	default:
		return 0;
	}
}

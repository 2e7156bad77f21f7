/*
 * Small helpers every process shares.
 */
#ifndef AOEDE_PROTO_UTIL_H
#define AOEDE_PROTO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAC_STRLEN	18	/* "aa:bb:cc:dd:ee:ff" + NUL */

/* "aa:bb:cc:dd:ee:ff", "AA-BB-…" or "aabbccddeeff"; 0 or -1. */
int	mac_parse(const char *s, uint8_t mac[6]);
/* Lower-case colon form into buf (≥ MAC_STRLEN bytes); returns buf. */
char	*mac_format(const uint8_t mac[6], char *buf);

/* A decimal (or 0x hex) number in [min, max]; 0, or -1 with *why set. */
int	parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v, const char **why);

/* "uid:gid" numbers, as the supervisor passes them to its children. */
int	parse_ids(const char *s, uid_t *uid, gid_t *gid);

/*
 * Frame buffers for sending and receiving on a packet socket: n zeroed
 * buffers of at least `size` bytes in one page-aligned block (free() it);
 * buffer i starts at block + i * *stride + FRAME_BUF_OFF.  The kernel copies
 * a frame longer than a page between the buffer's byte 14 onwards and offset
 * 0 of a page of its own, and AMD Zen's `rep movsb` runs ~20 times slower
 * when its destination is 1-31 bytes past its source modulo 4096
 * (proto/ring.h).  A buffer from malloc, 16 bytes into a page, hits that on
 * every receive; at FRAME_BUF_OFF byte 14 is 64 bytes into a page, so the
 * copies run 64 bytes apart one way and 4032 the other.
 */
#define FRAME_BUF_OFF	50
void	*frame_bufs_alloc(unsigned n, size_t size, size_t *stride);

/* Monotonic clock in nanoseconds. */
uint64_t now_ns(void);

/*
 * The clock of a busy-poll (netd's and blockd's -P): look for work until
 * `window` ns passed since the last look that found some, or `max` ns in
 * all.  busy_poll_next() is called after each look: false when it is time
 * to stop; when the look found nothing it first yields the CPU to whatever
 * else is runnable there.
 */
struct busy_poll {
	uint64_t	 start, last, now, window, max;
};
void	busy_poll_begin(struct busy_poll *bp, uint64_t window, uint64_t max);
bool	busy_poll_next(struct busy_poll *bp, bool work);

#endif

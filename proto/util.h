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

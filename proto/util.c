/*
 * Small helpers every process shares.
 */
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
mac_parse(const char *s, uint8_t mac[6])
{
	int	 i, hi, lo;
	char	 sep = 0;

	for (i = 0; i < 6; i++) {
		if (i > 0 && (*s == ':' || *s == '-')) {
			if (sep != 0 && *s != sep)
				return -1;
			sep = *s++;
		} else if (i > 0 && sep != 0)
			return -1;
		if ((hi = hexval((unsigned char)s[0])) < 0 ||
		    (lo = hexval((unsigned char)s[1])) < 0)
			return -1;
		mac[i] = hi << 4 | lo;
		s += 2;
	}
	return *s == '\0' ? 0 : -1;
}

char *
mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x",
	    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v, const char **why)
{
	char			*end;
	unsigned long long	 n;

	if (*s == '\0' || *s == '-' || isspace((unsigned char)*s)) {
		*why = "not a number";
		return -1;
	}
	errno = 0;
	n = strtoull(s, &end, 0);
	if (*end != '\0') {
		*why = "not a number";
		return -1;
	}
	if (errno == ERANGE || n > max) {
		*why = "too large";
		return -1;
	}
	if (n < min) {
		*why = "too small";
		return -1;
	}
	*v = n;
	return 0;
}

int
parse_ids(const char *s, uid_t *uid, gid_t *gid)
{
	char		 buf[64], *colon;
	uint64_t	 u, g;
	const char	*why;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((colon = strchr(buf, ':')) == NULL)
		return -1;
	*colon = '\0';
	if (parse_u64(buf, 1, 0xfffffffe, &u, &why) == -1 ||
	    parse_u64(colon + 1, 1, 0xfffffffe, &g, &why) == -1)
		return -1;
	*uid = u;
	*gid = g;
	return 0;
}

void *
frame_bufs_alloc(unsigned n, size_t size, size_t *stride)
{
	size_t	 st = (FRAME_BUF_OFF + size + 4095) & ~(size_t)4095;
	void	*m;

	if (n == 0 || (m = aligned_alloc(4096, st * n)) == NULL)
		return NULL;
	memset(m, 0, st * n);
	*stride = st;
	return m;
}

uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

void
busy_poll_begin(struct busy_poll *bp, uint64_t window, uint64_t max)
{
	bp->start = bp->last = bp->now = now_ns();
	bp->window = window;
	bp->max = max;
}

bool
busy_poll_next(struct busy_poll *bp, bool work)
{
	bp->now = now_ns();
	if (work)
		bp->last = bp->now;
	else if (bp->now - bp->last >= bp->window)
		return false;
	if (bp->now - bp->start >= bp->max)
		return false;
	if (!work)
		sched_yield();
	return true;
}

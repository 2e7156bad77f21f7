/*
 * Persistent AoE state of an export (state.h).  Pure encode/decode (unit
 * tested) plus load and atomic save through the state directory's fd:
 * blockd reaches the directory only through that fd, with openat,
 * renameat and unlinkat relative to it (DESIGN.md §1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "util.h"

#define STATE_MAGIC	"aoede-state "

static uint32_t
state_sum(const char *p, size_t n)
{
	uint32_t	 h = 2166136261u;

	while (n-- > 0) {
		h ^= (uint8_t)*p++;
		h *= 16777619u;
	}
	return h;
}

size_t
state_encode(const struct export_state *st, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	char		 mac[MAC_STRLEN];
	size_t		 off = 0;
	unsigned	 i;
	int		 n;

#define PUT(...) do {							\
	n = snprintf(buf + off, cap - off, __VA_ARGS__);		\
	if (n < 0 || (size_t)n >= cap - off)				\
		return 0;						\
	off += (size_t)n;						\
} while (0)
	if (cap == 0 || st->config_len > AOE_CFG_MAX ||
	    st->nmasks > EXPORT_MAX_MASKS || st->nreserve > EXPORT_MAX_RESERVE)
		return 0;
	PUT(STATE_MAGIC "%d\nconfig ", STATE_VERSION);
	if (cap - off < 2u * st->config_len + 1)
		return 0;
	for (i = 0; i < st->config_len; i++) {
		buf[off++] = hex[st->config[i] >> 4];
		buf[off++] = hex[st->config[i] & 15];
	}
	PUT("\n");
	for (i = 0; i < st->nmasks; i++)
		PUT("mask %s\n", mac_format(st->masks[i], mac));
	for (i = 0; i < st->nreserve; i++)
		PUT("reserve %s\n", mac_format(st->reserve[i], mac));
	PUT("sum %08x\n", (unsigned)state_sum(buf, off));
#undef PUT
	return off;
}

static int
state_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The next line of buf[*off..len) without its newline, NUL-terminated in
 * line (≤ cap); -1 if there is none or it is too long. */
static int
state_line(const char *buf, size_t len, size_t *off, char *line, size_t cap)
{
	const char	*nl;
	size_t		 n;

	if (*off >= len ||
	    (nl = memchr(buf + *off, '\n', len - *off)) == NULL)
		return -1;
	n = (size_t)(nl - (buf + *off));
	if (n >= cap || memchr(buf + *off, '\0', n) != NULL)
		return -1;
	memcpy(line, buf + *off, n);
	line[n] = '\0';
	*off += n + 1;
	return 0;
}

static int
state_decode_config(const char *hexs, struct export_state *st)
{
	size_t	 n = strlen(hexs), i;
	int	 hi, lo;

	if (n % 2 != 0 || n / 2 > AOE_CFG_MAX)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if ((hi = state_hexval(hexs[2 * i])) < 0 ||
		    (lo = state_hexval(hexs[2 * i + 1])) < 0)
			return -1;
		st->config[i] = (uint8_t)(hi << 4 | lo);
	}
	st->config_len = (uint16_t)(n / 2);
	return 0;
}

static int
state_decode_body(const char *buf, size_t len, struct export_state *st,
    const char **why)
{
	static char	 line[2 * AOE_CFG_MAX + 16];
	char		 *end;
	size_t		 off = 0, sum_at;
	unsigned long	 v;
	int		 stage = 0;	/* 0 masks, 1 reserve */

	if (len < sizeof(STATE_MAGIC) - 1 ||
	    memcmp(buf, STATE_MAGIC, sizeof(STATE_MAGIC) - 1) != 0)
		return *why = "not a state file", -1;
	if (state_line(buf, len, &off, line, sizeof(line)) == -1)
		return *why = "short file", -1;
	v = strtoul(line + sizeof(STATE_MAGIC) - 1, &end, 10);
	if (*end != '\0' || v != STATE_VERSION)
		return *why = "unknown version", -1;
	if (state_line(buf, len, &off, line, sizeof(line)) == -1)
		return *why = "short file", -1;
	if (strncmp(line, "config ", 7) != 0 ||
	    state_decode_config(line + 7, st) == -1)
		return *why = "bad config line", -1;
	for (;;) {
		sum_at = off;
		if (state_line(buf, len, &off, line, sizeof(line)) == -1)
			return *why = "short file", -1;
		if (strncmp(line, "mask ", 5) == 0 && stage == 0) {
			if (st->nmasks == EXPORT_MAX_MASKS ||
			    mac_parse(line + 5, st->masks[st->nmasks]) == -1)
				return *why = "bad mask line", -1;
			st->nmasks++;
		} else if (strncmp(line, "reserve ", 8) == 0) {
			stage = 1;
			if (st->nreserve == EXPORT_MAX_RESERVE ||
			    mac_parse(line + 8, st->reserve[st->nreserve]) == -1)
				return *why = "bad reserve line", -1;
			st->nreserve++;
		} else if (strncmp(line, "sum ", 4) == 0)
			break;
		else
			return *why = "unexpected line", -1;
	}
	if (strlen(line) != 12)
		return *why = "bad sum line", -1;
	v = strtoul(line + 4, &end, 16);
	if (*end != '\0' || (uint32_t)v != state_sum(buf, sum_at))
		return *why = "checksum mismatch", -1;
	if (off != len)
		return *why = "data after the sum", -1;
	return 0;
}

int
state_decode(const char *buf, size_t len, struct export_state *st,
    const char **why)
{
	memset(st, 0, sizeof(*st));
	if (state_decode_body(buf, len, st, why) == 0)
		return 0;
	memset(st, 0, sizeof(*st));
	return -1;
}

void
state_file_name(const struct export *x, char name[STATE_NAME_MAX])
{
	snprintf(name, STATE_NAME_MAX, "e%u.%u.state", x->shelf, x->slot);
}

void
state_from_export(const struct export *x, struct export_state *st)
{
	memset(st, 0, sizeof(*st));
	memcpy(st->config, x->config, x->config_len);
	st->config_len = x->config_len;
	memcpy(st->masks, x->masks, (size_t)x->nmasks * 6);
	st->nmasks = x->nmasks;
	memcpy(st->reserve, x->reserve, (size_t)x->nreserve * 6);
	st->nreserve = x->nreserve;
}

int
state_load(int dirfd, const struct export *x, struct export_state *st,
    const char **why)
{
	static char	 buf[STATE_FILE_MAX + 1];
	char		 name[STATE_NAME_MAX];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	memset(st, 0, sizeof(*st));
	state_file_name(x, name);
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		*why = strerror(errno);
		return -1;
	}
	while (len < sizeof(buf) &&
	    (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			*why = strerror(errno);
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > STATE_FILE_MAX) {
		*why = "file too large";
		return -1;
	}
	return state_decode(buf, len, st, why) == 0 ? 1 : -1;
}

int
state_save(int dirfd, const struct export *x)
{
	static struct export_state st;
	static char	 buf[STATE_FILE_MAX];
	char		 name[STATE_NAME_MAX], tmp[STATE_NAME_MAX + 4];
	size_t		 len, off = 0;
	ssize_t		 n;
	int		 fd, err = 0;

	state_from_export(x, &st);
	if ((len = state_encode(&st, buf, sizeof(buf))) == 0)
		return -EOVERFLOW;
	state_file_name(x, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if ((fd = openat(dirfd, tmp, O_CREAT | O_WRONLY | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -errno;
	while (off < len && err == 0) {
		if ((n = write(fd, buf + off, len - off)) == -1) {
			if (errno != EINTR)
				err = -errno;
			continue;
		}
		off += (size_t)n;
	}
	if (err == 0 && fsync(fd) == -1)
		err = -errno;
	if (close(fd) == -1 && err == 0)
		err = -errno;
	if (err == 0 && renameat(dirfd, tmp, dirfd, name) == -1)
		err = -errno;
	if (err != 0) {
		unlinkat(dirfd, tmp, 0);
		return err;
	}
	if (fsync(dirfd) == -1)
		return -errno;
	return 0;
}

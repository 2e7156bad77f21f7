/*
 * Logging to stderr with a process tag and, for journald, "<N>" priorities.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static char	log_tag[64] = "aoede";
static int	log_debug_on;
static int	log_priorities = -1;	/* -1: decide at first line */

void
log_init(const char *tag, int verbose)
{
	log_set_tag(tag);
	log_debug_on = verbose;
	log_priorities = !isatty(STDERR_FILENO);
}

void
log_set_tag(const char *tag)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag);
}

int
log_verbose(void)
{
	return log_debug_on;
}

/* One write(2) per line, so lines of several processes sharing stderr do
 * not interleave. */
static void	log_vline(int, const char *, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

static void
log_vline(int pri, const char *errstr, const char *fmt, va_list ap)
{
	char	 line[1024];
	int	 n = 0, m;

	if (log_priorities < 0)
		log_priorities = !isatty(STDERR_FILENO);
	if (log_priorities)
		n = snprintf(line, sizeof(line), "<%d>", pri);
	m = snprintf(line + n, sizeof(line) - n, "%s: ", log_tag);
	if (m > 0)
		n += m;
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m > 0)
		n = (n + m < (int)sizeof(line)) ? n + m : (int)sizeof(line) - 1;
	if (errstr != NULL && n < (int)sizeof(line) - 1) {
		m = snprintf(line + n, sizeof(line) - n, ": %s", errstr);
		if (m > 0)
			n = (n + m < (int)sizeof(line)) ? n + m : (int)sizeof(line) - 1;
	}
	if (n >= (int)sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}

void
log_warn(const char *fmt, ...)
{
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_vline(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(LOG_CRIT, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

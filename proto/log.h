/*
 * Logging: five verbs, a process tag on every line, stderr only.
 *
 * When stderr is not a terminal (systemd, a test harness) every line starts
 * with a "<N>" syslog priority, which journald turns into the priority.
 */
#ifndef AOEDE_PROTO_LOG_H
#define AOEDE_PROTO_LOG_H

#include <stdarg.h>

/* tag: "aoede", "netd[eth0]", "blockd" … (copied); verbose: log_debug prints */
void	log_init(const char *tag, int verbose);
void	log_set_tag(const char *tag);
int	log_verbose(void);

/* message + ": " + strerror(errno) */
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log at LOG_CRIT and exit(1); fatal adds strerror(errno) */
void	fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif

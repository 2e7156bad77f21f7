/*
 * The supervisor's control plane: the control socket that aoectl talks to
 * (proto/ctlproto.h, docs/control-protocol.md), and what the supervisor
 * tells systemd besides READY=1 and STOPPING=1: STATUS= lines, WATCHDOG=1
 * while every child is alive, RELOADING=1 around a reload; and SIGHUP.
 */
#ifndef AOEDE_SUPERVISOR_CONTROL_H
#define AOEDE_SUPERVISOR_CONTROL_H

#include <stddef.h>

#define CONTROL_MAX_CONNS	32		/* more are answered "busy" and closed */
#define CONTROL_IDLE_SEC	10		/* closed when no request completes for this long */
#define CONTROL_WRITE_SEC	10		/* a reply must drain within this */
#define CONTROL_OUT_MAX		(4u << 20)	/* unread replies a client may leave us holding */
#define CONTROL_DEFAULT_GROUP	"aoede"		/* the socket's group when it exists, else root's */
#define CONTROL_HEARTBEAT_SEC	3		/* a child silent for longer is hung */

struct sup;

/* Open the control socket (or take the one systemd passed), start serving
 * it on s->base, and start the STATUS=/WATCHDOG=1 timer and SIGHUP. */
void	control_init(struct sup *s);
/* Reload the configuration: 0, or -1 with the reason in err. */
int	control_reload(struct sup *s, char *err, size_t errsize);

#endif

/*
 * The supervisor's control plane: the control socket that aoectl talks to
 * (proto/ctlproto.h, docs/control-protocol.md), and what the supervisor
 * tells systemd besides READY=1 and STOPPING=1: STATUS= lines, WATCHDOG=1
 * while every child is alive, RELOADING=1 around a reload; and SIGHUP.
 */
#ifndef AOEDE_SUPERVISOR_CONTROL_H
#define AOEDE_SUPERVISOR_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#define CONTROL_MAX_CONNS	32		/* more are answered "busy" and closed */
#define CONTROL_IDLE_SEC	10		/* closed when no request completes for this long */
#define CONTROL_WRITE_SEC	10		/* a reply must drain within this */
#define CONTROL_OUT_MAX		(4u << 20)	/* unread replies a client may leave us holding */
#define CONTROL_DEFAULT_GROUP	"aoede"		/* the socket's group when it exists, else root's */
#define CONTROL_HEARTBEAT_SEC	3		/* a child silent for longer is hung */
#define CONTROL_PENDING_SEC	60		/* a deferred request fails after this */
#define CONTROL_SETTLE_SEC	5		/* a reload's reply waits for netds this long */

struct sup;

/* Open the control socket (or take the one systemd passed), start serving
 * it on s->base, and start the STATUS=/WATCHDOG=1 timer and SIGHUP. */
void	control_init(struct sup *s);
/*
 * Deferred replies: a command handler that needs a child's answer calls
 * control_defer() (only from inside a handler; it packs nothing then), puts
 * the token in its message to the child, and returns.  Whoever receives the
 * child's answer calls control_answer() with a function packing the whole
 * reply (ctl_reply_begin() or ctl_reply_error()), or control_answer_text()
 * for {"ok":true,"message":TEXT} / an error TEXT.  The client's connection
 * reads nothing more until then; an unknown token (late, after the
 * CONTROL_PENDING_SEC timeout) is ignored.  control_fail_pending() answers
 * every waiting request with an error (blockd died).
 */
struct control;
typedef void	control_pack_fn(msgpack_packer *pk, void *arg);
uint64_t control_defer(struct control *ctl);
void	control_answer(struct control *ctl, uint64_t token, control_pack_fn *fn,
	    void *arg);
void	control_answer_text(struct control *ctl, uint64_t token, bool ok,
	    const char *text);
void	control_fail_pending(struct control *ctl, const char *why);
/* every NIC has taken up the reloads applied: their replies go out */
void	control_reload_settled(struct control *ctl);
/* blockd's `state` message: the answer to aoectl state / state-clear */
void	control_answer_state(struct control *ctl, uint64_t token, const char *error,
	    const char *config_hex, const char *masks, const char *reserve);

/* Reload the configuration: 0 with what changed in err ("unchanged",
 * "added e1.4, removed e1.2, …"), or -1 with the reason. */
int	control_reload(struct sup *s, char *err, size_t errsize);

#endif

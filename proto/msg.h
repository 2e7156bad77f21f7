/*
 * Messages on the channel between the supervisor and each child: one msgpack
 * map per SOCK_SEQPACKET datagram, always carrying the protocol version "v"
 * and the message type "t".  The reader is typed: each field is fetched by
 * name and type, and msg_end() refuses a message with fields nobody asked
 * for, so a missing, extra or mistyped field is an error, never a guess.
 */
#ifndef AOEDE_PROTO_MSG_H
#define AOEDE_PROTO_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#define MSG_VERSION	1
#define MSG_MAX		65536		/* largest channel message */
#define MSG_MAX_FIELDS	64
#define MSG_MAX_FDS	4		/* descriptors one message may carry */

/* message types (the "t" field) */
#define MSG_READY		"ready"		/* child → sup: resources set up, sandboxed */
#define MSG_PEER_UP		"peer-up"	/* sup → netd: blockd serves your ring */
#define MSG_PEER_DOWN		"peer-down"	/* sup → netd: blockd is gone; reset the ring */
#define MSG_PEER_DOWN_ACK	"peer-down-ack"	/* netd → sup: ring reset, all buffers reclaimed */
#define MSG_NIC_ATTACH		"nic-attach"	/* sup → blockd {nic}: serve that NIC's ring */
#define MSG_NIC_DETACH		"nic-detach"	/* sup → blockd {nic}: its netd is gone; let go */
#define MSG_NIC_DETACHED	"nic-detached"	/* blockd → sup {nic} */
#define MSG_NIC_FAULT		"nic-fault"	/* blockd → sup {nic}: that netd broke the ring protocol */
#define MSG_STOP		"stop"		/* sup → child: finish in-flight work and exit 0 */
#define MSG_NETD_STATS		"netd-stats"	/* netd → sup, every MSG_STATS_INTERVAL_MS: counters */
#define MSG_BLOCKD_STATS	"blockd-stats"	/* blockd → sup, as often: its own counters */
#define MSG_EXPORT_STATS	"export-stats"	/* blockd → sup, one per export, right after */
/* reload (supervisor/reload.c): what changed, applied while serving */
#define MSG_EXPORT_ADD		"export-add"	/* sup → blockd {spec} + image fd */
#define MSG_EXPORT_REMOVE	"export-remove"	/* sup → blockd {export}: finish, sync, close */
#define MSG_EXPORT_NICS		"export-nics"	/* sup → blockd {export, nics}: new NIC mask */
#define MSG_NIC_ADD		"nic-add"	/* sup → blockd {nic, nbufs, bufsize} + ring, rx, tx fds */
#define MSG_NIC_REMOVE		"nic-remove"	/* sup → blockd {nic}: detached; forget it */
#define MSG_NIC_SOCKET		"nic-socket"	/* sup → netd {exports, seq} + packet socket */
#define MSG_NIC_SOCKET_DONE	"nic-socket-done" /* netd → sup {seq}: old socket drained,
						   * reading only that one now */
#define MSG_SYNC		"sync"		/* sup → blockd {seq}: answer when all before is done */
#define MSG_SYNCED		"synced"	/* blockd → sup {seq} */
/* requests answered later: "token" pairs the reply with its request */
#define MSG_STATE_GET		"state-get"	/* sup → blockd {token, export} */
#define MSG_STATE_CLEAR		"state-clear"	/* sup → blockd {token, export, what} */
#define MSG_STATE		"state"		/* blockd → sup {token, error, config, masks, reserve} */
#define MSG_FREEZE		"freeze"	/* sup → blockd {export, token}: freeze it */
#define MSG_UNFREEZE		"unfreeze"	/* sup → blockd {export, token}: start the merge */
#define MSG_REPLY		"reply"		/* blockd → sup {token, ok, text}: the answer to
						 * a request that carried `token` */

/* The periodic stats double as heartbeats: a child that stops sending them
 * is hung (the supervisor withholds WATCHDOG=1). */
#define MSG_STATS_INTERVAL_MS	1000


struct msg_out {
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
};

struct msg_in {
	msgpack_unpacked	 up;
	const msgpack_object_map *map;
	uint64_t		 used;		/* bit i: field i was read */
	char			 type[32];
	int			 fds[MSG_MAX_FDS];	/* received with it (SCM_RIGHTS) */
	unsigned		 nfds;
};

/* Start a message of type `type` with `nfields` fields to follow. */
void	msg_begin(struct msg_out *m, const char *type, unsigned nfields);
void	msg_put_u64(struct msg_out *m, const char *key, uint64_t v);
void	msg_put_str(struct msg_out *m, const char *key, const char *s);
void	msg_put_bool(struct msg_out *m, const char *key, bool v);
/* Send as one datagram and free; 0 or -1 (errno). */
int	msg_send(int fd, struct msg_out *m);
void	msg_discard(struct msg_out *m);
/* msg_send with descriptors attached (SCM_RIGHTS); the caller keeps its
 * own copies. */
int	msg_send_fds(int fd, struct msg_out *m, const int *fds, unsigned nfds);
/* Shorthand: a message with no fields, or with one u64 field. */
int	msg_send_simple(int fd, const char *type);
int	msg_send_u64(int fd, const char *type, const char *key, uint64_t v);

/* Decode buf[0..len): a map with "v" == MSG_VERSION and a string "t".
 * 0, or -1 with *why set to a static explanation.  The message refers to
 * buf (strings are not copied): keep buf until msg_free. */
int	msg_parse(struct msg_in *in, const void *buf, size_t len, const char **why);
/* Receive one datagram and parse it: 1 got one, 0 the peer closed,
 * -1 error (errno, or EBADMSG with *why set).  The message lives in a
 * static buffer until the next msg_recv. */
int	msg_recv(int fd, struct msg_in *in, const char **why);
/* Take descriptor i that came with the message (then ours to close), or
 * -1; msg_free closes the ones nobody took, so a peer cannot leak fds
 * into us. */
int	msg_take_fd(struct msg_in *in, unsigned i);
bool	msg_is(const struct msg_in *in, const char *type);
/* Typed field access: 0, or -1 when missing or of another type. */
int	msg_get_u64(struct msg_in *in, const char *key, uint64_t *v);
int	msg_get_str(struct msg_in *in, const char *key, char *buf, size_t size);
int	msg_get_bool(struct msg_in *in, const char *key, bool *v);
/* 0 when every field was read, -1 when extra fields remain. */
int	msg_end(struct msg_in *in);
void	msg_free(struct msg_in *in);

#endif

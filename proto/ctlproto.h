/*
 * The control protocol between aoectl (or any client) and the supervisor,
 * on a Unix stream socket.  Each message is one msgpack map; the stream is
 * framed by msgpack itself.  Every request is {"v":1, "cmd":NAME, ...args};
 * every reply is {"v":1, "ok":true, ...} or {"v":1, "ok":false, "error":TEXT}.
 * docs/control-protocol.md describes it message by message.
 *
 * Bytes from a client are checked by ctl_scan() before msgpack-c sees them:
 * the scanner walks the encoding without allocating, so a 5-byte header
 * announcing a 16-million-element array, or 100000 nested arrays, is
 * refused before the unpacker would reserve memory for it.
 */
#ifndef AOEDE_PROTO_CTLPROTO_H
#define AOEDE_PROTO_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#define CTL_VERSION		1
#define CTL_REQ_MAX_BYTES	65536		/* largest request */
#define CTL_REQ_MAX_DEPTH	4		/* a request is a flat map */
#define CTL_REQ_MAX_ELEMS	256		/* objects in one request */
#define CTL_REPLY_MAX_BYTES	(16u << 20)	/* largest reply aoectl accepts */
#define CTL_REPLY_MAX_DEPTH	8
#define CTL_REPLY_MAX_ELEMS	(1u << 20)
#define CTL_MAX_ARGS		4
#define CTL_ERR_MAX		256		/* longest error text */
#define CTL_EXPORT_STRLEN	16		/* "e65534.254" + NUL */

/* What ctl_scan() allows in one message. */
struct ctl_limits {
	size_t		 max_bytes;
	unsigned	 max_depth;
	unsigned	 max_elems;
};

extern const struct ctl_limits ctl_request_limits;
extern const struct ctl_limits ctl_reply_limits;

enum ctl_scan_result {
	CTL_SCAN_BAD = -1,	/* not msgpack, or over a limit: *why says which */
	CTL_SCAN_MORE = 0,	/* a valid prefix: wait for more bytes */
	CTL_SCAN_DONE = 1,	/* one whole message of *msglen bytes */
};

/* Find the end of the first msgpack object in buf[0..len) without
 * allocating, checking it against `lim` as far as it goes. */
enum ctl_scan_result ctl_scan(const void *buf, size_t len,
	    const struct ctl_limits *lim, size_t *msglen, const char **why);

/* Who may run a command: anyone who may read, or operators only. */
enum ctl_access { CTL_READ, CTL_CHANGE };

enum ctl_arg_type { CTL_ARG_EXPORT };	/* a string "eS.L" */

struct ctl_arg_spec {
	const char		*key;
	enum ctl_arg_type	 type;
	bool			 required;
};

/* One command of the protocol: its name, access and arguments.  The
 * server's handlers and aoectl's renderers are looked up by this name. */
struct ctl_cmd_spec {
	const char		*name;
	enum ctl_access		 access;
	unsigned		 nargs;
	struct ctl_arg_spec	 args[CTL_MAX_ARGS];
};

/* A decoded argument. */
struct ctl_arg {
	bool		 present;
	char		 str[CTL_EXPORT_STRLEN];	/* canonical "eS.L" */
	uint16_t	 shelf;
	uint8_t		 slot;
};

struct ctl_request {
	const struct ctl_cmd_spec *cmd;
	struct ctl_arg		 args[CTL_MAX_ARGS];	/* as cmd->args */
};

/* The command named `name`, or NULL. */
const struct ctl_cmd_spec *ctl_cmd_lookup(const char *name);
/* Every command, for help texts: NULL-terminated by name. */
extern const struct ctl_cmd_spec ctl_cmds[];
extern const unsigned ctl_ncmds;

/* "e7.3" → 7, 3; 0 or -1. */
int	ctl_export_parse(const char *s, uint16_t *shelf, uint8_t *slot);
void	ctl_export_format(uint16_t shelf, uint8_t slot, char buf[CTL_EXPORT_STRLEN]);

/* Decode one whole request (as ctl_scan() delimited it).  0, or -1 with
 * the reason the client will be told in err. */
int	ctl_request_decode(const void *buf, size_t len, struct ctl_request *req,
	    char *err, size_t errsize);
/* The argument `key` of a decoded request, or NULL when absent. */
const struct ctl_arg *ctl_request_arg(const struct ctl_request *req, const char *key);

/* Encode a request for command `cmd` with argv[0..argc) as its arguments,
 * in the order of its spec.  0, or -1 with err set (wrong count, bad
 * export name, unknown command). */
int	ctl_request_encode(msgpack_sbuffer *sb, const char *cmd, int argc,
	    char *const argv[], char *err, size_t errsize);

/* Replies.  A successful reply: ctl_reply_begin() with the number of fields
 * to follow, then the fields; an error reply is complete in one call. */
void	ctl_reply_begin(msgpack_packer *pk, unsigned nfields);
void	ctl_reply_error(msgpack_packer *pk, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	ctl_pack_key(msgpack_packer *pk, const char *key);
void	ctl_pack_str(msgpack_packer *pk, const char *s);
void	ctl_pack_kv_str(msgpack_packer *pk, const char *key, const char *s);
void	ctl_pack_kv_u64(msgpack_packer *pk, const char *key, uint64_t v);
void	ctl_pack_kv_bool(msgpack_packer *pk, const char *key, bool v);

/* Decode a reply: 1 ok (*body is the map), 0 an error reply (err holds
 * its text), -1 not a valid reply (err says why).  `up` owns the memory. */
int	ctl_reply_decode(const void *buf, size_t len, msgpack_unpacked *up,
	    const msgpack_object **body, char *err, size_t errsize);
/* The value of `key` in map `map`, or NULL. */
const msgpack_object *ctl_obj_get(const msgpack_object *map, const char *key);

#endif

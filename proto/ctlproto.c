/*
 * The control protocol: the scanner that frames and bounds a msgpack
 * stream before msgpack-c allocates anything, the command specs, and the
 * encoders and decoders of requests and replies.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctlproto.h"
#include "msg.h"

#define CTL_SCAN_STACK	32	/* deepest nesting any limit may allow */

const struct ctl_limits ctl_request_limits = {
	CTL_REQ_MAX_BYTES, CTL_REQ_MAX_DEPTH, CTL_REQ_MAX_ELEMS
};
const struct ctl_limits ctl_reply_limits = {
	CTL_REPLY_MAX_BYTES, CTL_REPLY_MAX_DEPTH, CTL_REPLY_MAX_ELEMS
};

/*
 * Adding a command to the protocol is one entry here (plus its handler in
 * supervisor/control.c and its renderer in ctl/commands.c).
 */
const struct ctl_cmd_spec ctl_cmds[] = {
	{ "status",	CTL_READ,	0, { { NULL, 0, false } } },
	{ "stats",	CTL_READ,	1, { { "export", CTL_ARG_EXPORT, false } } },
	{ "freeze",	CTL_CHANGE,	1, { { "export", CTL_ARG_EXPORT, true } } },
	{ "unfreeze",	CTL_CHANGE,	1, { { "export", CTL_ARG_EXPORT, true } } },
	{ "reload",	CTL_CHANGE,	0, { { NULL, 0, false } } },
	{ "export-list", CTL_READ,	0, { { NULL, 0, false } } },
	/* the AoE state blockd keeps per export; aoectl's "state-clear eS.L
	 * PART" is state-clear-PART ("all": state-clear) */
	{ "state",	CTL_READ,	1, { { "export", CTL_ARG_EXPORT, true } } },
	{ "state-clear", CTL_CHANGE,	1, { { "export", CTL_ARG_EXPORT, true } } },
	{ "state-clear-config", CTL_CHANGE, 1, { { "export", CTL_ARG_EXPORT, true } } },
	{ "state-clear-masks", CTL_CHANGE, 1, { { "export", CTL_ARG_EXPORT, true } } },
	{ "state-clear-reserve", CTL_CHANGE, 1, { { "export", CTL_ARG_EXPORT, true } } },
};
const unsigned ctl_ncmds = sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);

/* --- the scanner ------------------------------------------------------ */

enum scan_kind { K_BAD, K_SCALAR, K_BLOB, K_ARRAY, K_MAP };

/*
 * The type bytes 0xc0..0xdf: how many length bytes follow the type byte,
 * how many more header bytes follow those (an ext's type), the body size
 * when there is no length field, and what the length counts.
 */
static const struct scan_type {
	uint8_t		 lenbytes;
	uint8_t		 extra;
	uint8_t		 fixed;
	uint8_t		 kind;
} scan_types[32] = {
	[0x00] = { 0, 0, 0, K_SCALAR },		/* nil */
	[0x01] = { 0, 0, 0, K_BAD },		/* never used */
	[0x02] = { 0, 0, 0, K_SCALAR },		/* false */
	[0x03] = { 0, 0, 0, K_SCALAR },		/* true */
	[0x04] = { 1, 0, 0, K_BLOB },		/* bin 8 */
	[0x05] = { 2, 0, 0, K_BLOB },
	[0x06] = { 4, 0, 0, K_BLOB },
	[0x07] = { 1, 1, 0, K_BLOB },		/* ext 8 */
	[0x08] = { 2, 1, 0, K_BLOB },
	[0x09] = { 4, 1, 0, K_BLOB },
	[0x0a] = { 0, 0, 4, K_SCALAR },		/* float 32 */
	[0x0b] = { 0, 0, 8, K_SCALAR },
	[0x0c] = { 0, 0, 1, K_SCALAR },		/* uint 8 */
	[0x0d] = { 0, 0, 2, K_SCALAR },
	[0x0e] = { 0, 0, 4, K_SCALAR },
	[0x0f] = { 0, 0, 8, K_SCALAR },
	[0x10] = { 0, 0, 1, K_SCALAR },		/* int 8 */
	[0x11] = { 0, 0, 2, K_SCALAR },
	[0x12] = { 0, 0, 4, K_SCALAR },
	[0x13] = { 0, 0, 8, K_SCALAR },
	[0x14] = { 0, 1, 1, K_SCALAR },		/* fixext 1 */
	[0x15] = { 0, 1, 2, K_SCALAR },
	[0x16] = { 0, 1, 4, K_SCALAR },
	[0x17] = { 0, 1, 8, K_SCALAR },
	[0x18] = { 0, 1, 16, K_SCALAR },
	[0x19] = { 1, 0, 0, K_BLOB },		/* str 8 */
	[0x1a] = { 2, 0, 0, K_BLOB },
	[0x1b] = { 4, 0, 0, K_BLOB },
	[0x1c] = { 2, 0, 0, K_ARRAY },		/* array 16 */
	[0x1d] = { 4, 0, 0, K_ARRAY },
	[0x1e] = { 2, 0, 0, K_MAP },		/* map 16 */
	[0x1f] = { 4, 0, 0, K_MAP },
};

struct scan_head {
	size_t		 hdr;		/* header bytes, type byte included */
	uint64_t	 body;		/* bytes after the header */
	uint64_t	 count;		/* elements a container holds */
	int		 kind;
};

/* Decode the header at p (avail bytes there): 1, 0 need more, -1 bad. */
static int
scan_head(const uint8_t *p, size_t avail, struct scan_head *h)
{
	const struct scan_type	*t;
	uint64_t		 n = 0;
	unsigned		 i;

	memset(h, 0, sizeof(*h));
	h->hdr = 1;
	if (p[0] <= 0x7f || p[0] >= 0xe0 || p[0] == 0xc0) {
		h->kind = K_SCALAR;		/* fixints, nil */
		return 1;
	}
	if (p[0] <= 0x8f || (p[0] >= 0x90 && p[0] <= 0x9f)) {
		h->kind = p[0] <= 0x8f ? K_MAP : K_ARRAY;
		h->count = (p[0] & 0x0f) * (h->kind == K_MAP ? 2 : 1);
		return 1;
	}
	if (p[0] <= 0xbf) {
		h->kind = K_BLOB;		/* fixstr */
		h->body = p[0] & 0x1f;
		return 1;
	}
	t = &scan_types[p[0] - 0xc0];
	if (t->kind == K_BAD)
		return -1;
	h->kind = t->kind;
	h->hdr = 1 + t->lenbytes + t->extra;
	if (avail < 1u + t->lenbytes)
		return 0;
	for (i = 0; i < t->lenbytes; i++)
		n = n << 8 | p[1 + i];
	if (t->lenbytes == 0)
		h->body = t->fixed;
	else if (h->kind == K_BLOB)
		h->body = n;
	else
		h->count = h->kind == K_MAP ? 2 * n : n;
	return 1;
}

enum ctl_scan_result
ctl_scan(const void *buf, size_t len, const struct ctl_limits *lim,
    size_t *msglen, const char **why)
{
	const uint8_t		*p = buf;
	uint64_t		 left[CTL_SCAN_STACK];	/* per open container */
	unsigned		 depth = 0, elems = 0;
	unsigned		 max_depth = lim->max_depth;
	size_t			 off = 0;
	struct scan_head	 h;
	int			 rc;

	if (max_depth > CTL_SCAN_STACK)
		max_depth = CTL_SCAN_STACK;
	for (;;) {
		if (off >= lim->max_bytes) {
			*why = "message too long";
			return CTL_SCAN_BAD;
		}
		if (off >= len)
			return CTL_SCAN_MORE;
		if (++elems > lim->max_elems) {
			*why = "too many elements";
			return CTL_SCAN_BAD;
		}
		if (depth + 1 > max_depth) {
			*why = "nested too deeply";
			return CTL_SCAN_BAD;
		}
		if ((rc = scan_head(p + off, len - off, &h)) == -1) {
			*why = "not msgpack";
			return CTL_SCAN_BAD;
		}
		/* announced sizes are checked before anything waits for them */
		if (h.count > lim->max_elems - elems) {
			*why = "a container announces too many elements";
			return CTL_SCAN_BAD;
		}
		if (h.body > lim->max_bytes || off + h.hdr + h.body > lim->max_bytes) {
			*why = "message too long";
			return CTL_SCAN_BAD;
		}
		if (rc == 0 || off + h.hdr + h.body > len)
			return CTL_SCAN_MORE;
		off += h.hdr + h.body;
		if ((h.kind == K_ARRAY || h.kind == K_MAP) && h.count > 0) {
			left[depth++] = h.count;
			continue;
		}
		/* one element done; close every container it completes */
		for (;;) {
			if (depth == 0) {
				*msglen = off;
				return CTL_SCAN_DONE;
			}
			if (--left[depth - 1] > 0)
				break;
			depth--;
		}
	}
}

/* --- names ------------------------------------------------------------ */

const struct ctl_cmd_spec *
ctl_cmd_lookup(const char *name)
{
	unsigned	 i;

	for (i = 0; i < ctl_ncmds; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}

/* A decimal number of at most `digits` digits, no sign, no leading zero
 * (but "0"); the position after it, or NULL. */
static const char *
ctl_parse_dec(const char *s, unsigned digits, unsigned long max, unsigned long *v)
{
	unsigned	 n = 0;

	*v = 0;
	if (s[0] == '0' && isdigit((unsigned char)s[1]))
		return NULL;
	while (isdigit((unsigned char)s[n])) {
		if (++n > digits)
			return NULL;
		*v = *v * 10 + (s[n - 1] - '0');
	}
	return n == 0 || *v > max ? NULL : s + n;
}

int
ctl_export_parse(const char *s, uint16_t *shelf, uint8_t *slot)
{
	unsigned long	 sh, sl;

	/* 0xffff and 0xff are AoE's broadcast addresses, never an export */
	if (s[0] != 'e' || (s = ctl_parse_dec(s + 1, 5, 0xfffe, &sh)) == NULL ||
	    *s != '.' || (s = ctl_parse_dec(s + 1, 3, 0xfe, &sl)) == NULL || *s != '\0')
		return -1;
	*shelf = sh;
	*slot = sl;
	return 0;
}

void
ctl_export_format(uint16_t shelf, uint8_t slot, char buf[CTL_EXPORT_STRLEN])
{
	snprintf(buf, CTL_EXPORT_STRLEN, "e%u.%u", shelf, slot);
}

/* --- requests --------------------------------------------------------- */

/* A client's string, made safe to quote in an error: printable ASCII only,
 * at most 40 characters. */
static void
ctl_quote(const char *p, size_t n, char *buf, size_t size)
{
	size_t	 i, o = 0;

	for (i = 0; i < n && i < 40 && o + 1 < size; i++)
		buf[o++] = isprint((unsigned char)p[i]) ? p[i] : '?';
	buf[o] = '\0';
}

static int
ctl_fail(char *err, size_t errsize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ctl_fail(char *err, size_t errsize, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return -1;
}

static void	ctl_mark(struct msg_in *, const char *);

static int
ctl_decode_export(const struct ctl_arg_spec *spec,
    const msgpack_object *o, struct ctl_arg *arg, char *err, size_t errsize)
{
	char	 q[64];

	if (o->type != MSGPACK_OBJECT_STR)
		return ctl_fail(err, errsize, "\"%s\" must be a string (eS.L)", spec->key);
	ctl_quote(o->via.str.ptr, o->via.str.size, q, sizeof(q));
	if (o->via.str.size >= CTL_EXPORT_STRLEN ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return ctl_fail(err, errsize,
		    "not an export name: \"%s\" (expected eSHELF.SLOT, e.g. e7.3)", q);
	memcpy(arg->str, o->via.str.ptr, o->via.str.size);
	arg->str[o->via.str.size] = '\0';
	if (ctl_export_parse(arg->str, &arg->shelf, &arg->slot) == -1)
		return ctl_fail(err, errsize,
		    "not an export name: \"%s\" (expected eSHELF.SLOT, e.g. e7.3)", q);
	arg->present = true;
	return 0;
}

static int
ctl_decode_args(struct msg_in *in, struct ctl_request *req, char *err, size_t errsize)
{
	const struct ctl_cmd_spec	*cmd = req->cmd;
	const msgpack_object		*o;
	unsigned			 i;

	for (i = 0; i < cmd->nargs; i++) {
		const struct ctl_arg_spec *spec = &cmd->args[i];

		if ((o = ctl_obj_get(&in->up.data, spec->key)) == NULL) {
			if (spec->required)
				return ctl_fail(err, errsize, "%s needs \"%s\" (eS.L)",
				    cmd->name, spec->key);
			continue;
		}
		ctl_mark(in, spec->key);
		if (ctl_decode_export(spec, o, &req->args[i], err, errsize) == -1)
			return -1;
	}
	return 0;
}

/* Mark the field `key` read (ctl_obj_get() does not). */
static void
ctl_mark(struct msg_in *in, const char *key)
{
	uint32_t	 i;
	size_t		 n = strlen(key);

	for (i = 0; i < in->map->size; i++) {
		const msgpack_object *k = &in->map->ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
		    memcmp(k->via.str.ptr, key, n) == 0) {
			/* the first only: a repeated key stays unread, and
			 * ctl_check_extra() refuses it */
			in->used |= (uint64_t)1 << i;
			return;
		}
	}
}

static int
ctl_check_extra(struct msg_in *in, const char *cmd, char *err, size_t errsize)
{
	uint32_t		 i;
	const msgpack_object	*k;
	char			 q[64] = "?";

	for (i = 0; i < in->map->size; i++) {
		if (in->used & ((uint64_t)1 << i))
			continue;
		k = &in->map->ptr[i].key;
		if (k->type == MSGPACK_OBJECT_STR)
			ctl_quote(k->via.str.ptr, k->via.str.size, q, sizeof(q));
		return ctl_fail(err, errsize, "unexpected field \"%s\" in a %s request",
		    q, cmd);
	}
	return 0;
}

static int
ctl_decode_header(struct msg_in *in, struct ctl_request *req, char *err, size_t errsize)
{
	const msgpack_object	*v, *c;
	char			 name[32], q[64];

	if ((v = ctl_obj_get(&in->up.data, "v")) == NULL)
		return ctl_fail(err, errsize, "request has no protocol version (\"v\")");
	if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return ctl_fail(err, errsize,
		    "protocol version (\"v\") must be a positive integer");
	if (v->via.u64 != CTL_VERSION)
		return ctl_fail(err, errsize, "protocol version %ju is not supported "
		    "(this aoede speaks version %d)", (uintmax_t)v->via.u64, CTL_VERSION);
	ctl_mark(in, "v");
	if ((c = ctl_obj_get(&in->up.data, "cmd")) == NULL)
		return ctl_fail(err, errsize, "request has no command (\"cmd\")");
	if (c->type != MSGPACK_OBJECT_STR)
		return ctl_fail(err, errsize, "command (\"cmd\") must be a string");
	ctl_quote(c->via.str.ptr, c->via.str.size, q, sizeof(q));
	if (c->via.str.size >= sizeof(name) ||
	    memchr(c->via.str.ptr, '\0', c->via.str.size) != NULL)
		return ctl_fail(err, errsize, "unknown command \"%s\"", q);
	memcpy(name, c->via.str.ptr, c->via.str.size);
	name[c->via.str.size] = '\0';
	if ((req->cmd = ctl_cmd_lookup(name)) == NULL)
		return ctl_fail(err, errsize, "unknown command \"%s\"", q);
	ctl_mark(in, "cmd");
	return 0;
}

int
ctl_request_decode(const void *buf, size_t len, struct ctl_request *req,
    char *err, size_t errsize)
{
	struct msg_in	 in;
	size_t		 off = 0;
	int		 rc = -1;

	memset(req, 0, sizeof(*req));
	memset(&in, 0, sizeof(in));
	msgpack_unpacked_init(&in.up);
	if (msgpack_unpack_next(&in.up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != len)
		ctl_fail(err, errsize, "request is not one msgpack object");
	else if (in.up.data.type != MSGPACK_OBJECT_MAP)
		ctl_fail(err, errsize, "request is not a msgpack map");
	else if ((in.map = &in.up.data.via.map)->size > 2 + CTL_MAX_ARGS)
		ctl_fail(err, errsize, "too many fields in the request");
	else if (ctl_decode_header(&in, req, err, errsize) == 0 &&
	    ctl_decode_args(&in, req, err, errsize) == 0 &&
	    ctl_check_extra(&in, req->cmd->name, err, errsize) == 0)
		rc = 0;
	msgpack_unpacked_destroy(&in.up);
	return rc;
}

const struct ctl_arg *
ctl_request_arg(const struct ctl_request *req, const char *key)
{
	unsigned	 i;

	for (i = 0; i < req->cmd->nargs; i++)
		if (strcmp(req->cmd->args[i].key, key) == 0)
			return req->args[i].present ? &req->args[i] : NULL;
	return NULL;
}

int
ctl_request_encode(msgpack_sbuffer *sb, const char *name, int argc,
    char *const argv[], char *err, size_t errsize)
{
	const struct ctl_cmd_spec	*cmd;
	msgpack_packer			 pk;
	unsigned			 i, required = 0;
	uint16_t			 shelf;
	uint8_t				 slot;

	if ((cmd = ctl_cmd_lookup(name)) == NULL)
		return ctl_fail(err, errsize, "unknown command %s", name);
	for (i = 0; i < cmd->nargs; i++)
		required += cmd->args[i].required;
	if (argc < (int)required || argc > (int)cmd->nargs)
		return ctl_fail(err, errsize, "%s takes %s%u argument%s", name,
		    required == cmd->nargs ? "" : "at most ", cmd->nargs,
		    cmd->nargs == 1 ? "" : "s");
	for (i = 0; i < (unsigned)argc; i++)
		if (ctl_export_parse(argv[i], &shelf, &slot) == -1)
			return ctl_fail(err, errsize, "not an export name: %s "
			    "(expected eSHELF.SLOT, e.g. e7.3)", argv[i]);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2 + argc);
	ctl_pack_kv_u64(&pk, "v", CTL_VERSION);
	ctl_pack_kv_str(&pk, "cmd", cmd->name);
	for (i = 0; i < (unsigned)argc; i++)
		ctl_pack_kv_str(&pk, cmd->args[i].key, argv[i]);
	return 0;
}

/* --- replies ---------------------------------------------------------- */

void
ctl_pack_key(msgpack_packer *pk, const char *key)
{
	ctl_pack_str(pk, key);
}

void
ctl_pack_str(msgpack_packer *pk, const char *s)
{
	size_t	 n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void
ctl_pack_kv_str(msgpack_packer *pk, const char *key, const char *s)
{
	ctl_pack_key(pk, key);
	ctl_pack_str(pk, s);
}

void
ctl_pack_kv_u64(msgpack_packer *pk, const char *key, uint64_t v)
{
	ctl_pack_key(pk, key);
	msgpack_pack_uint64(pk, v);
}

void
ctl_pack_kv_bool(msgpack_packer *pk, const char *key, bool v)
{
	ctl_pack_key(pk, key);
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

void
ctl_reply_begin(msgpack_packer *pk, unsigned nfields)
{
	msgpack_pack_map(pk, 2 + nfields);
	ctl_pack_kv_u64(pk, "v", CTL_VERSION);
	ctl_pack_kv_bool(pk, "ok", true);
}

void
ctl_reply_error(msgpack_packer *pk, const char *fmt, ...)
{
	char	 text[CTL_ERR_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msgpack_pack_map(pk, 3);
	ctl_pack_kv_u64(pk, "v", CTL_VERSION);
	ctl_pack_kv_bool(pk, "ok", false);
	ctl_pack_kv_str(pk, "error", text);
}

const msgpack_object *
ctl_obj_get(const msgpack_object *map, const char *key)
{
	size_t		 n = strlen(key);
	uint32_t	 i;

	if (map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
		    memcmp(k->via.str.ptr, key, n) == 0)
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

int
ctl_reply_decode(const void *buf, size_t len, msgpack_unpacked *up,
    const msgpack_object **body, char *err, size_t errsize)
{
	const msgpack_object	*v, *ok, *e;
	size_t			 off = 0;

	if (msgpack_unpack_next(up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != len || up->data.type != MSGPACK_OBJECT_MAP)
		return ctl_fail(err, errsize, "the reply is not a msgpack map");
	*body = &up->data;
	if ((v = ctl_obj_get(*body, "v")) == NULL ||
	    v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return ctl_fail(err, errsize, "the reply has no protocol version");
	if (v->via.u64 != CTL_VERSION)
		return ctl_fail(err, errsize, "aoede speaks protocol version %ju, "
		    "this aoectl version %d", (uintmax_t)v->via.u64, CTL_VERSION);
	if ((ok = ctl_obj_get(*body, "ok")) == NULL || ok->type != MSGPACK_OBJECT_BOOLEAN)
		return ctl_fail(err, errsize, "the reply has no \"ok\"");
	if (ok->via.boolean)
		return 1;
	if ((e = ctl_obj_get(*body, "error")) == NULL || e->type != MSGPACK_OBJECT_STR)
		return ctl_fail(err, errsize, "the reply failed without saying why");
	snprintf(err, errsize, "%.*s", (int)e->via.str.size, e->via.str.ptr);
	return 0;
}

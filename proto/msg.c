/*
 * Channel messages: msgpack maps, one per datagram, read by a typed reader.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

void
msg_begin(struct msg_out *m, const char *type, unsigned nfields)
{
	msgpack_sbuffer_init(&m->sb);
	msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
	msgpack_pack_map(&m->pk, nfields + 2);
	msg_put_u64(m, "v", MSG_VERSION);
	msg_put_str(m, "t", type);
}

static void
msg_put_key(struct msg_out *m, const char *key)
{
	size_t	 n = strlen(key);

	msgpack_pack_str(&m->pk, n);
	msgpack_pack_str_body(&m->pk, key, n);
}

void
msg_put_u64(struct msg_out *m, const char *key, uint64_t v)
{
	msg_put_key(m, key);
	msgpack_pack_uint64(&m->pk, v);
}

void
msg_put_str(struct msg_out *m, const char *key, const char *s)
{
	size_t	 n = strlen(s);

	msg_put_key(m, key);
	msgpack_pack_str(&m->pk, n);
	msgpack_pack_str_body(&m->pk, s, n);
}

void
msg_put_bool(struct msg_out *m, const char *key, bool v)
{
	msg_put_key(m, key);
	if (v)
		msgpack_pack_true(&m->pk);
	else
		msgpack_pack_false(&m->pk);
}

void
msg_discard(struct msg_out *m)
{
	msgpack_sbuffer_destroy(&m->sb);
}

int
msg_send(int fd, struct msg_out *m)
{
	return msg_send_fds(fd, m, NULL, 0);
}

int
msg_send_fds(int fd, struct msg_out *m, const int *fds, unsigned nfds)
{
	union {
		char		 buf[CMSG_SPACE(MSG_MAX_FDS * sizeof(int))];
		struct cmsghdr	 align;
	}		 ctl;
	struct iovec	 iov = { m->sb.data, m->sb.size };
	struct msghdr	 mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr	*cm;
	ssize_t		 n;
	int		 saved;

	if (m->sb.size > MSG_MAX || nfds > MSG_MAX_FDS) {
		msg_discard(m);
		errno = EMSGSIZE;
		return -1;
	}
	if (nfds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_EOR);
	while (n < 0 && errno == EINTR);
	saved = errno;
	msg_discard(m);
	errno = saved;
	return n < 0 ? -1 : 0;
}

int
msg_send_simple(int fd, const char *type)
{
	struct msg_out	 m;

	msg_begin(&m, type, 0);
	return msg_send(fd, &m);
}

int
msg_send_u64(int fd, const char *type, const char *key, uint64_t v)
{
	struct msg_out	 m;

	msg_begin(&m, type, 1);
	msg_put_u64(&m, key, v);
	return msg_send(fd, &m);
}

static int
msg_key_eq(const msgpack_object *k, const char *key)
{
	size_t	 n = strlen(key);

	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
	    memcmp(k->via.str.ptr, key, n) == 0;
}

/* The value of field `key`, marking it read; NULL if absent. */
static const msgpack_object *
msg_field(struct msg_in *in, const char *key)
{
	uint32_t	 i;

	for (i = 0; i < in->map->size; i++) {
		if (msg_key_eq(&in->map->ptr[i].key, key)) {
			in->used |= (uint64_t)1 << i;
			return &in->map->ptr[i].val;
		}
	}
	return NULL;
}

int
msg_parse(struct msg_in *in, const void *buf, size_t len, const char **why)
{
	size_t		 off = 0;
	uint64_t	 v;

	memset(in, 0, sizeof(*in));
	msgpack_unpacked_init(&in->up);
	if (msgpack_unpack_next(&in->up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS) {
		*why = "not a msgpack object";
		return -1;
	}
	if (off != len) {
		*why = "trailing bytes after the message";
		return -1;
	}
	if (in->up.data.type != MSGPACK_OBJECT_MAP) {
		*why = "message is not a map";
		return -1;
	}
	in->map = &in->up.data.via.map;
	if (in->map->size > MSG_MAX_FIELDS) {
		*why = "too many fields";
		return -1;
	}
	if (msg_get_u64(in, "v", &v) == -1) {
		*why = "no protocol version";
		return -1;
	}
	if (v != MSG_VERSION) {
		*why = "protocol version mismatch";
		return -1;
	}
	if (msg_get_str(in, "t", in->type, sizeof(in->type)) == -1) {
		*why = "no message type";
		return -1;
	}
	return 0;
}

/* The descriptors of an SCM_RIGHTS message, at most MSG_MAX_FDS. */
static unsigned
msg_collect_fds(struct msghdr *mh, int *fds)
{
	struct cmsghdr	*cm;
	unsigned	 n = 0, i, got;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		got = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < got; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (n < MSG_MAX_FDS)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

static void
msg_close_fds(int *fds, unsigned n)
{
	unsigned	 i;

	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
}

int
msg_recv(int fd, struct msg_in *in, const char **why)
{
	static char	 buf[MSG_MAX];
	union {
		char		 buf[CMSG_SPACE(MSG_MAX_FDS * sizeof(int))];
		struct cmsghdr	 align;
	}		 ctl;
	struct iovec	 iov = { buf, sizeof(buf) };
	struct msghdr	 mh;
	int		 fds[MSG_MAX_FDS];
	unsigned	 nfds;
	ssize_t		 n;

	memset(in, 0, sizeof(*in));
	msgpack_unpacked_init(&in->up);
	do {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(fd, &mh, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	nfds = msg_collect_fds(&mh, fds);
	if (n == 0) {
		msg_close_fds(fds, nfds);
		return 0;
	}
	msgpack_unpacked_destroy(&in->up);
	if ((size_t)n > sizeof(buf) || (mh.msg_flags & MSG_CTRUNC)) {
		msg_close_fds(fds, nfds);
		memset(in, 0, sizeof(*in));
		msgpack_unpacked_init(&in->up);
		*why = (size_t)n > sizeof(buf) ? "message too long" :
		    "too many descriptors";
		errno = EBADMSG;
		return -1;
	}
	if (msg_parse(in, buf, n, why) == -1) {
		msg_close_fds(fds, nfds);
		errno = EBADMSG;
		return -1;
	}
	memcpy(in->fds, fds, nfds * sizeof(int));
	in->nfds = nfds;
	return 1;
}

int
msg_take_fd(struct msg_in *in, unsigned i)
{
	int	 fd;

	if (i >= in->nfds)
		return -1;
	fd = in->fds[i];
	in->fds[i] = -1;
	return fd;
}

bool
msg_is(const struct msg_in *in, const char *type)
{
	return strcmp(in->type, type) == 0;
}

int
msg_get_u64(struct msg_in *in, const char *key, uint64_t *v)
{
	const msgpack_object	*o = msg_field(in, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*v = o->via.u64;
	return 0;
}

int
msg_get_str(struct msg_in *in, const char *key, char *buf, size_t size)
{
	const msgpack_object	*o = msg_field(in, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_STR || o->via.str.size >= size ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return -1;
	memcpy(buf, o->via.str.ptr, o->via.str.size);
	buf[o->via.str.size] = '\0';
	return 0;
}

int
msg_get_bool(struct msg_in *in, const char *key, bool *v)
{
	const msgpack_object	*o = msg_field(in, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_BOOLEAN)
		return -1;
	*v = o->via.boolean;
	return 0;
}

int
msg_end(struct msg_in *in)
{
	uint64_t	 all;

	all = in->map->size >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << in->map->size) - 1;
	return (in->used & all) == all ? 0 : -1;
}

void
msg_free(struct msg_in *in)
{
	msg_close_fds(in->fds, in->nfds);
	in->nfds = 0;
	msgpack_unpacked_destroy(&in->up);
}

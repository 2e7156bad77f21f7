/*
 * One request, one reply, over the control socket.
 *
 * A refused connect is retried for AOECTL_CONNECT_SEC: the daemon may be
 * restarting, or systemd may be starting it on this very connection.  The
 * reply is framed and bounded by ctl_scan(), like the daemon's requests.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aoectl.h"
#include "ctlproto.h"

/* Say why on stderr; -1. */
#define client_fail(...)	(aoectl_fail(__VA_ARGS__), -1)

static int
client_connect_once(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* A connected socket, or -1 after saying why on stderr. */
static int
client_connect(const char *path)
{
	struct timespec	 pause = { 0, 100 * 1000 * 1000 };
	int		 fd, tries = AOECTL_CONNECT_SEC * 10;

	while ((fd = client_connect_once(path)) == -1 &&
	    (errno == ECONNREFUSED || errno == EAGAIN) && --tries > 0)
		nanosleep(&pause, NULL);
	if (fd != -1)
		return fd;
	if (errno == EACCES || errno == EPERM)
		aoectl_fail("permission denied: cannot connect to %s (it is for root "
		    "and the socket's group)", path);
	else
		aoectl_fail("cannot connect to %s: %s (is aoede running?)", path,
		    strerror(errno));
	return -1;
}

static int
client_send(int fd, const msgpack_sbuffer *sb)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < sb->size) {
		n = send(fd, sb->data + off, sb->size - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		/* refused at once: the daemon's reply says why, read it */
		if (n == -1 && (errno == EPIPE || errno == ECONNRESET))
			return 0;
		if (n == -1)
			return client_fail("sending the request: %s", strerror(errno));
		off += n;
	}
	return 0;
}

/* Read one reply into *buf (malloc'd); its length, or -1 after saying why. */
static ssize_t
client_recv(int fd, char **buf)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	size_t		 len = 0, cap = 0, msglen;
	const char	*why = "";
	ssize_t		 n;
	char		*p;
	int		 rc;

	*buf = NULL;
	for (;;) {
		if ((rc = poll(&pfd, 1, AOECTL_REPLY_SEC * 1000)) == 0)
			return client_fail("no reply from aoede within %d s",
			    AOECTL_REPLY_SEC);
		if (rc == -1 && errno == EINTR)
			continue;
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			if ((p = realloc(*buf, cap)) == NULL)
				return client_fail("out of memory");
			*buf = p;
		}
		if ((n = read(fd, *buf + len, cap - len)) == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return client_fail("reading the reply: %s", strerror(errno));
		if (n == 0)
			return client_fail("aoede closed the connection without "
			    "replying");
		len += n;
		switch (ctl_scan(*buf, len, &ctl_reply_limits, &msglen, &why)) {
		case CTL_SCAN_DONE:
			return msglen;
		case CTL_SCAN_BAD:
			return client_fail("malformed reply: %s", why);
		case CTL_SCAN_MORE:
			break;
		}
	}
}

int
aoectl_request(const struct aoectl_cmd *cmd, int argc, char *argv[])
{
	msgpack_sbuffer		 sb;
	msgpack_unpacked	 up;
	const msgpack_object	*body;
	char			 err[CTL_ERR_MAX], *buf = NULL;
	ssize_t			 len;
	int			 fd, rc = 1;

	msgpack_sbuffer_init(&sb);
	if (ctl_request_encode(&sb, cmd->name, argc, argv, err, sizeof(err)) == -1) {
		msgpack_sbuffer_destroy(&sb);
		aoectl_fail("%s", err);
		return 2;
	}
	if ((fd = client_connect(aoectl_opts.socket)) == -1) {
		msgpack_sbuffer_destroy(&sb);
		return 1;
	}
	msgpack_unpacked_init(&up);
	if (client_send(fd, &sb) == 0 && (len = client_recv(fd, &buf)) > 0) {
		switch (ctl_reply_decode(buf, len, &up, &body, err, sizeof(err))) {
		case 1:
			aoectl_opts.out->reply(cmd, body);
			rc = 0;
			break;
		default:
			aoectl_fail("%s", err);
			break;
		}
	}
	close(fd);
	free(buf);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

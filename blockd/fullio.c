/* Whole-range file I/O (fullio.h). */
#include <sys/uio.h>

#include <errno.h>
#include <unistd.h>

#include "fullio.h"

int
full_preadv(int fd, struct iovec *iov, unsigned niov, uint64_t off)
{
	ssize_t	 got;
	size_t	 left;

	while (niov > 0) {
		got = preadv(fd, iov, (int)niov, (off_t)off);
		if (got == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			return -EIO;
		off += (uint64_t)got;
		for (left = (size_t)got; left > 0 && niov > 0; ) {
			if (left >= iov->iov_len) {
				left -= iov->iov_len;
				iov++;
				niov--;
			} else {
				iov->iov_base = (uint8_t *)iov->iov_base + left;
				iov->iov_len -= left;
				left = 0;
			}
		}
	}
	return 0;
}

int
full_pread(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	struct iovec	 iov = { .iov_base = buf, .iov_len = n };

	return n == 0 ? 0 : full_preadv(fd, &iov, 1, off);
}

int
full_pwrite(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	ssize_t	 put;

	while (n > 0) {
		put = pwrite(fd, buf, n, (off_t)off);
		if (put == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (put == 0)		/* would loop forever */
			return -EIO;
		buf += put;
		n -= (size_t)put;
		off += (uint64_t)put;
	}
	return 0;
}

int
full_fdatasync(int fd)
{
	int	 rc;

	do
		rc = fdatasync(fd);
	while (rc == -1 && errno == EINTR);
	return rc == -1 ? -errno : 0;
}

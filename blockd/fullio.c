/* Whole-range file I/O (fullio.h). */
#include <errno.h>
#include <unistd.h>

#include "fullio.h"

int
full_pread(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	ssize_t	 got;

	while (n > 0) {
		got = pread(fd, buf, n, (off_t)off);
		if (got == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			return -EIO;
		buf += got;
		n -= (size_t)got;
		off += (uint64_t)got;
	}
	return 0;
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

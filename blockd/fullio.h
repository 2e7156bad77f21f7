/*
 * pread/pwrite of a whole range: short transfers are continued and EINTR
 * retried, so a caller sees all of it done or an error.
 */
#ifndef AOEDE_BLOCKD_FULLIO_H
#define AOEDE_BLOCKD_FULLIO_H

#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

/* 0 or -errno; end of file inside the range is -EIO (the file shrank). */
int	full_pread(int fd, uint8_t *buf, size_t n, uint64_t off);
/* The same into iov[0..niov), which it advances (the caller's copy). */
int	full_preadv(int fd, struct iovec *iov, unsigned niov, uint64_t off);
/* 0 or -errno. */
int	full_pwrite(int fd, const uint8_t *buf, size_t n, uint64_t off);
/* fdatasync with EINTR retried; 0 or -errno. */
int	full_fdatasync(int fd);

#endif

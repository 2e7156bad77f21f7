/*
 * Reads and writes of a memory-backed image through a mapping of it
 * (ata.c's inline I/O, EXPORT_INLINE_MEMORY).
 *
 * A tmpfs image is memory already: a preadv2 of 4 KiB from it costs ~1.5 us
 * of system call and page-cache lookup around a 0.1 us copy.  Mapped once,
 * the same read or write is the copy alone, and means the same thing: the
 * mapping is the page cache (MAP_SHARED), so a write through it has reached
 * the kernel exactly as a pwrite has, and fdatasync covers it as before.
 *
 * Only images that are fully allocated when blockd starts are mapped: a
 * read through a shared mapping of a tmpfs hole allocates the page, where
 * preadv2 returns zeroes and allocates nothing; a sparse image keeps the
 * system calls.  A copy that faults (the file was truncated under us, a
 * hole punched and tmpfs full, a poisoned page) raises SIGBUS; the handler
 * returns the copy as failed, the mapping is dropped for good, and the
 * caller does the transfer with the system calls, which report the error
 * as they always have.
 */
#ifndef AOEDE_BLOCKD_MEMIO_H
#define AOEDE_BLOCKD_MEMIO_H

#include <sys/types.h>
#include <sys/uio.h>

#include <stdbool.h>
#include <stdint.h>

struct export;

/* Map x's image, which the caller found on tmpfs (engine_inline_setup()),
 * if it is fully allocated; true if it is mapped.  Installs the SIGBUS
 * handler (before the sandbox: it needs rt_sigaction). */
bool	memio_map(struct export *x);
/* Drop x's mapping, if any. */
void	memio_unmap(struct export *x);
/* true if x's bytes [off, off + len) can be read (rd) or written through
 * its mapping. */
bool	memio_covers(const struct export *x, bool rd, uint64_t off, size_t len);
/*
 * Copy x's bytes from image offset `off` on to (rd) or from (!rd) the n
 * buffers of iov: the bytes copied (all of them), or -1 with errno EIO when
 * the copy faulted; the mapping is then gone (a write may have landed in
 * part, as a failed pwritev2's may).  memio_covers() must have said yes.
 */
ssize_t	memio_transfer(struct export *x, bool rd, const struct iovec *iov,
	    unsigned n, uint64_t off);

#endif

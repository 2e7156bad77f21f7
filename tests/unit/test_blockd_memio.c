/*
 * Unit tests of blockd/memio.c: a tmpfs image (a memfd) read and written
 * through its mapping, and everything that must keep it off the mapping or
 * take it away again: holes, a read-only fd, an export past the file's
 * end, and a file truncated under the mapping (SIGBUS, caught: the copy
 * fails with EIO and blockd lives on).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "engine.h"
#include "memio.h"

#define T_SIZE	(64 * 4096)

static int		 t_fd = -1;
static struct export	 t_x;

static uint8_t
t_byte(size_t o)
{
	return (uint8_t)(o * 11 + (o >> 12) + 5);
}

/* a memfd of T_SIZE bytes, written whole (whole = false: left sparse) */
static void
t_image(bool whole)
{
	static uint8_t	 img[T_SIZE];
	size_t		 i;

	t_fd = memfd_create("aoede-memio", 0);
	assert_true(t_fd >= 0);
	if (whole) {
		for (i = 0; i < sizeof(img); i++)
			img[i] = t_byte(i);
		assert_int_equal(pwrite(t_fd, img, sizeof(img), 0), T_SIZE);
	} else
		assert_int_equal(ftruncate(t_fd, T_SIZE), 0);
	memset(&t_x, 0, sizeof(t_x));
	snprintf(t_x.name, sizeof(t_x.name), "e2.1");
	t_x.fd = t_fd;
	t_x.offset = 4096;
	t_x.sectors = (T_SIZE - 4096) / 512;
}

static int
t_teardown(void **state)
{
	(void)state;
	memio_unmap(&t_x);
	if (t_fd >= 0)
		close(t_fd);
	t_fd = -1;
	return 0;
}

/* reads and writes through the mapping are the file's bytes */
static void
test_memio_read_write(void **state)
{
	uint8_t		 a[3000], b[5192], back[sizeof(b)];
	struct iovec	 iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	size_t		 i;

	(void)state;
	t_image(true);
	assert_true(memio_map(&t_x));
	assert_true(t_x.map_writable);
	assert_true(memio_covers(&t_x, true, 4096, T_SIZE - 4096));
	assert_false(memio_covers(&t_x, true, 4096, T_SIZE - 4095));
	assert_false(memio_covers(&t_x, false, T_SIZE + 1, 0));
	/* one read over two buffers: the file's bytes from 8192 on */
	assert_int_equal(memio_transfer(&t_x, true, iov, 2, 8192), 8192);
	for (i = 0; i < sizeof(a); i++)
		assert_int_equal(a[i], t_byte(8192 + i));
	for (i = 0; i < sizeof(b); i++)
		assert_int_equal(b[i], t_byte(8192 + sizeof(a) + i));
	/* a write lands in the file: pread sees it at once */
	memset(b, 0xa5, sizeof(b));
	assert_int_equal(memio_transfer(&t_x, false, &iov[1], 1, 20000),
	    (ssize_t)sizeof(b));
	assert_int_equal(pread(t_fd, back, sizeof(back), 20000), (ssize_t)sizeof(back));
	assert_memory_equal(back, b, sizeof(b));
	/* and what pwrite puts there, a read through the mapping sees */
	memset(back, 0x3c, sizeof(back));
	assert_int_equal(pwrite(t_fd, back, 512, 4096), 512);
	assert_int_equal(memio_transfer(&t_x, true, &iov[0], 1, 4096), (ssize_t)sizeof(a));
	assert_int_equal(a[0], 0x3c);
	assert_int_equal(a[511], 0x3c);
	assert_int_equal(a[512], t_byte(4096 + 512));
}

/* a sparse image is not mapped: reading a hole through a shared mapping of
 * tmpfs would allocate it */
static void
test_memio_sparse(void **state)
{
	(void)state;
	t_image(false);
	assert_false(memio_map(&t_x));
	assert_null(t_x.map);
	assert_false(memio_covers(&t_x, true, 4096, 512));
}

/* an fd opened read-only (or a read-only export) is mapped for reading
 * only: writes take the system call, which reports the error */
static void
test_memio_read_only(void **state)
{
	char	 path[64];
	int	 rw;

	(void)state;
	t_image(true);
	rw = t_fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", rw);
	t_fd = open(path, O_RDONLY);
	assert_true(t_fd >= 0);
	close(rw);
	t_x.fd = t_fd;
	assert_true(memio_map(&t_x));
	assert_false(t_x.map_writable);
	assert_true(memio_covers(&t_x, true, 4096, 4096));
	assert_false(memio_covers(&t_x, false, 4096, 4096));
	memio_unmap(&t_x);
	/* a read-only export of a writable fd: the same */
	close(t_fd);
	t_image(true);
	t_x.flags = EXPORT_RDONLY;
	assert_true(memio_map(&t_x));
	assert_false(memio_covers(&t_x, false, 4096, 4096));
}

/* an export that ends past the file is not mapped */
static void
test_memio_export_past_end(void **state)
{
	(void)state;
	t_image(true);
	t_x.sectors++;
	assert_false(memio_map(&t_x));
}

/* the file truncated under the mapping: the copy faults (SIGBUS), fails
 * with EIO, and the mapping is gone; the process lives on */
static void
test_memio_truncated(void **state)
{
	uint8_t		 buf[8192];
	struct iovec	 iov = { buf, sizeof(buf) };

	(void)state;
	t_image(true);
	assert_true(memio_map(&t_x));
	assert_int_equal(ftruncate(t_fd, 16 * 4096), 0);
	/* the page before the new end is still there */
	iov.iov_len = 4096;
	assert_int_equal(memio_transfer(&t_x, true, &iov, 1, 15 * 4096), 4096);
	/* reading across it faults at the next page */
	iov.iov_len = sizeof(buf);
	errno = 0;
	assert_int_equal(memio_transfer(&t_x, true, &iov, 1, 15 * 4096), -1);
	assert_int_equal(errno, EIO);
	assert_null(t_x.map);
	assert_false(memio_covers(&t_x, true, 4096, 512));
	/* a second fault, in a mapping of its own, is caught as well */
	assert_int_equal(ftruncate(t_fd, T_SIZE), 0);
	memset(buf, 1, sizeof(buf));
	assert_int_equal(pwrite(t_fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	for (size_t o = sizeof(buf); o < T_SIZE; o += sizeof(buf))
		assert_int_equal(pwrite(t_fd, buf, sizeof(buf), (off_t)o), (ssize_t)sizeof(buf));
	assert_true(memio_map(&t_x));
	assert_int_equal(ftruncate(t_fd, 4096), 0);
	assert_int_equal(memio_transfer(&t_x, false, &iov, 1, 8192), -1);
	assert_int_equal(errno, EIO);
	assert_null(t_x.map);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_memio_read_write, t_teardown),
		cmocka_unit_test_teardown(test_memio_sparse, t_teardown),
		cmocka_unit_test_teardown(test_memio_read_only, t_teardown),
		cmocka_unit_test_teardown(test_memio_export_past_end, t_teardown),
		cmocka_unit_test_teardown(test_memio_truncated, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

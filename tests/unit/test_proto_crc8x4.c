/*
 * CRC8x4 against vectors computed independently by
 * tests/lib/crc8x4_vectors.py (a generic bit-by-bit CRC-8 routine).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crc8x4.h"

/* the script's pattern generator */
static void
pattern(uint8_t *out, size_t n, uint32_t seed)
{
	uint32_t	 x = seed;
	size_t		 i;

	for (i = 0; i < n; i++) {
		x = (x * 1103515245u + 12345u) & 0x7fffffffu;
		out[i] = (x >> 16) & 0xff;
	}
}

static void
expect(const uint8_t *buf, size_t len, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t	 want[4] = { a, b, c, d };
	uint8_t		 got[4];

	crc8x4(buf, len, got);
	assert_memory_equal(got, want, 4);
	assert_true(crc8x4_check(buf, len, want));
}

static void
test_vectors(void **state)
{
	static uint8_t	 buf[12 + 17 * 512];
	static const uint8_t hdr[12] = { 0x40, 0, 1, 0x34, 1, 2, 3, 4, 5, 6, 0, 0 };

	expect(buf, 0, 0xff, 0xff, 0xff, 0xff);
	memset(buf, 0, sizeof(buf));
	expect(buf, 1, 0x15, 0xff, 0xff, 0xff);
	expect(hdr, 12, 0x2f, 0x78, 0xd7, 0xa1);
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x41; buf[2] = 1; buf[3] = 0x34;
	expect(buf, 524, 0x92, 0xfc, 0x91, 0x75);
	memset(buf, 0, 12);
	buf[0] = 0x41; buf[2] = 2; buf[3] = 0x34; buf[4] = 0x10; buf[5] = 0x20;
	pattern(buf + 12, 1024, 7);
	expect(buf, 1036, 0x07, 0x2a, 0xbe, 0x25);
	pattern(buf, 13, 3);
	expect(buf, 13, 0x09, 0x8a, 0xae, 0xe9);
	pattern(buf, 12 + 17 * 512, 11);
	expect(buf, sizeof(buf), 0x17, 0x47, 0x7b, 0x78);
}

/* the 12-byte header rule: a change in the header changes only its lane */
static void
test_header_lanes(void **state)
{
	uint8_t	 buf[12 + 512], a[4], b[4];
	int	 i, lane;

	pattern(buf, sizeof(buf), 5);
	crc8x4(buf, sizeof(buf), a);
	for (i = 0; i < 12; i++) {
		buf[i] ^= 0x01;
		crc8x4(buf, sizeof(buf), b);
		for (lane = 0; lane < 4; lane++) {
			if (lane == i % 4)
				assert_int_not_equal(a[lane], b[lane]);
			else
				assert_int_equal(a[lane], b[lane]);
		}
		buf[i] ^= 0x01;
	}
	/* any single-bit error in the data is caught */
	for (i = 12; i < (int)sizeof(buf); i += 37) {
		buf[i] ^= 0x10;
		assert_false(crc8x4_check(buf, sizeof(buf), a));
		buf[i] ^= 0x10;
	}
	assert_true(crc8x4_check(buf, sizeof(buf), a));
	b[0] = a[0] ^ 0x80;
	b[1] = a[1];
	b[2] = a[2];
	b[3] = a[3];
	assert_false(crc8x4_check(buf, sizeof(buf), b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_header_lanes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

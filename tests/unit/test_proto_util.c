/*
 * Shared helpers: MAC addresses, numbers, uid:gid pairs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void
test_mac_parse(void **state)
{
	static const uint8_t want[6] = { 0x00, 0x1a, 0xBC, 0xde, 0xf0, 0x09 };
	uint8_t		 mac[6];
	char		 buf[MAC_STRLEN];

	assert_int_equal(mac_parse("00:1a:bc:de:f0:09", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(mac_parse("00-1A-BC-DE-F0-09", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(mac_parse("001abcdef009", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_string_equal(mac_format(mac, buf), "00:1a:bc:de:f0:09");

	assert_int_equal(mac_parse("00:1a:bc:de:f0", mac), -1);
	assert_int_equal(mac_parse("00:1a:bc:de:f0:09:aa", mac), -1);
	assert_int_equal(mac_parse("00:1a-bc:de:f0:09", mac), -1);	/* mixed */
	assert_int_equal(mac_parse("00:1abc:de:f0:09", mac), -1);
	assert_int_equal(mac_parse("0g:1a:bc:de:f0:09", mac), -1);
	assert_int_equal(mac_parse("", mac), -1);
	assert_int_equal(mac_parse("0", mac), -1);
}

static void
test_parse_u64(void **state)
{
	uint64_t	 v;
	const char	*why = NULL;

	assert_int_equal(parse_u64("42", 0, 100, &v, &why), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u64("0x10", 0, 100, &v, &why), 0);
	assert_int_equal(v, 16);
	assert_int_equal(parse_u64("101", 0, 100, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(parse_u64("1", 2, 100, &v, &why), -1);
	assert_string_equal(why, "too small");
	assert_int_equal(parse_u64("-1", 0, 100, &v, &why), -1);
	assert_int_equal(parse_u64("12x", 0, 100, &v, &why), -1);
	assert_int_equal(parse_u64("", 0, 100, &v, &why), -1);
	assert_int_equal(parse_u64(" 1", 0, 100, &v, &why), -1);
	assert_int_equal(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v, &why), -1);
}

static void
test_parse_ids(void **state)
{
	uid_t	 u;
	gid_t	 g;

	assert_int_equal(parse_ids("995:994", &u, &g), 0);
	assert_int_equal(u, 995);
	assert_int_equal(g, 994);
	assert_int_equal(parse_ids("0:994", &u, &g), -1);	/* never root */
	assert_int_equal(parse_ids("995:0", &u, &g), -1);
	assert_int_equal(parse_ids("995", &u, &g), -1);
	assert_int_equal(parse_ids("995:x", &u, &g), -1);
}

/* the busy-poll clock: stops a window after the last work, and after max
 * in all however much work there is */
static void
test_busy_poll(void **state)
{
	struct busy_poll	 bp;
	unsigned		 looks = 0;
	uint64_t		 t;

	(void)state;
	busy_poll_begin(&bp, 2000000, 1000000000);	/* 2 ms window */
	while (busy_poll_next(&bp, false))
		looks++;
	assert_true(bp.now - bp.last >= 2000000);
	assert_true(looks > 0);
	/* work keeps it going until max */
	busy_poll_begin(&bp, 1000000000, 3000000);	/* 3 ms in all */
	while (busy_poll_next(&bp, true))
		;
	assert_true(bp.now - bp.start >= 3000000);
	assert_int_equal(bp.last, bp.now);
	/* a window of 0: one look, no more */
	busy_poll_begin(&bp, 0, 1000000000);
	t = bp.start;
	assert_false(busy_poll_next(&bp, false));
	assert_true(bp.now >= t);
}

/* (dst - src) mod 4096 of a copy: 1-31 is AMD Zen's slow rep movsb */
static unsigned
t_copy_dist(uintptr_t dst, uintptr_t src)
{
	return (unsigned)((dst - src) % 4096);
}

static void
test_frame_bufs(void **state)
{
	static const size_t sizes[] = { 60, 2048, 4192, 9078, 9100, 12288 };
	size_t		 i, stride;
	unsigned	 k, n = 5, dist;

	(void)state;
	assert_null(frame_bufs_alloc(0, 2048, &stride));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t	*m = frame_bufs_alloc(n, sizes[i], &stride);

		assert_non_null(m);
		assert_int_equal((uintptr_t)m % 4096, 0);
		assert_int_equal(stride % 4096, 0);
		/* each buffer holds `size` bytes before the next one */
		assert_true(stride >= FRAME_BUF_OFF + sizes[i]);
		for (k = 0; k < n; k++) {
			uintptr_t f = (uintptr_t)(m + k * stride + FRAME_BUF_OFF);

			/* received: the kernel copies from offset 0 of its
			 * page to f + 14; sent: from f + 14 to offset 0 */
			dist = t_copy_dist(f + 14, 0);
			assert_false(dist >= 1 && dist <= 31);
			dist = t_copy_dist(0, f + 14);
			assert_false(dist >= 1 && dist <= 31);
		}
		for (k = 0; k < n * stride; k++)
			assert_int_equal(m[k], 0);
		free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_parse),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_ids),
		cmocka_unit_test(test_busy_poll),
		cmocka_unit_test(test_frame_bufs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

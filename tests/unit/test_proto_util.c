/*
 * Shared helpers: MAC addresses, numbers, uid:gid pairs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_parse),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

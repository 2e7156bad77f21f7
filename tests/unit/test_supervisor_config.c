/*
 * The configuration file's value parsers, and the parser itself on small
 * in-memory files: every error names the right line, every value lands in
 * the right field, and the canonical form parses back to itself.
 * (tests/integration/config_golden.sh runs the whole of `aoede -nv`.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

/* --- value parsers ----------------------------------------------------------- */

static void
test_bool(void **state)
{
	static const char *const yes[] = { "yes", "YES", "true", "On", "1" };
	static const char *const no[] = { "no", "False", "off", "0" };
	static const char *const bad[] = { "", "y", "2", "yes please", "nope" };
	const char	*why = NULL;
	bool		 v;
	unsigned	 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		v = false;
		assert_int_equal(conf_parse_bool(yes[i], &v, &why), 0);
		assert_true(v);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		v = true;
		assert_int_equal(conf_parse_bool(no[i], &v, &why), 0);
		assert_false(v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(conf_parse_bool(bad[i], &v, &why), -1);
		assert_non_null(why);
	}
}

static void
test_number(void **state)
{
	const char	*why;
	uint64_t	 v;

	assert_int_equal(conf_parse_number("0", 0, 10, &v, &why), 0);
	assert_int_equal(v, 0);
	assert_int_equal(conf_parse_number("010", 0, 100, &v, &why), 0);
	assert_int_equal(v, 10);		/* not octal */
	assert_int_equal(conf_parse_number("0x1F", 0, 100, &v, &why), 0);
	assert_int_equal(v, 31);
	assert_int_equal(conf_parse_number("65534", 0, 65534, &v, &why), 0);
	assert_int_equal(v, 65534);
	assert_int_equal(conf_parse_number("18446744073709551615", 0, UINT64_MAX, &v, &why), 0);
	assert_true(v == UINT64_MAX);

	assert_int_equal(conf_parse_number("65535", 0, 65534, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(conf_parse_number("1", 2, 2048, &v, &why), -1);
	assert_string_equal(why, "too small");
	assert_int_equal(conf_parse_number("18446744073709551616", 0, UINT64_MAX, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(conf_parse_number("-1", 0, 10, &v, &why), -1);
	assert_string_equal(why, "not a number");
	assert_int_equal(conf_parse_number("", 0, 10, &v, &why), -1);
	assert_int_equal(conf_parse_number("0x", 0, 10, &v, &why), -1);
	assert_int_equal(conf_parse_number("1 2", 0, 100, &v, &why), -1);
	assert_int_equal(conf_parse_number("12a", 0, 100, &v, &why), -1);
	assert_int_equal(conf_parse_number(" 1", 0, 100, &v, &why), -1);
}

static void
test_size(void **state)
{
	const char	*why;
	uint64_t	 v;

	assert_int_equal(conf_parse_size("0", UINT64_MAX, &v, &why), 0);
	assert_int_equal(v, 0);
	assert_int_equal(conf_parse_size("4096", UINT64_MAX, &v, &why), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(conf_parse_size("512K", UINT64_MAX, &v, &why), 0);
	assert_int_equal(v, 512 << 10);
	assert_int_equal(conf_parse_size("64m", UINT64_MAX, &v, &why), 0);
	assert_int_equal(v, 64 << 20);
	assert_int_equal(conf_parse_size("3G", UINT64_MAX, &v, &why), 0);
	assert_true(v == 3ull << 30);
	assert_int_equal(conf_parse_size("2T", UINT64_MAX, &v, &why), 0);
	assert_true(v == 2ull << 40);

	assert_int_equal(conf_parse_size("65536M", 65535ull << 20, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(conf_parse_size("16777216T", UINT64_MAX, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(conf_parse_size("12X", UINT64_MAX, &v, &why), -1);
	assert_int_equal(conf_parse_size("M", UINT64_MAX, &v, &why), -1);
	assert_int_equal(conf_parse_size("1.5G", UINT64_MAX, &v, &why), -1);
	assert_int_equal(conf_parse_size("0x10M", UINT64_MAX, &v, &why), -1);
	assert_int_equal(conf_parse_size("", UINT64_MAX, &v, &why), -1);
}

static void
test_format_size(void **state)
{
	char	 buf[32];

	assert_string_equal(conf_format_size(0, buf, sizeof(buf)), "0");
	assert_string_equal(conf_format_size(1000, buf, sizeof(buf)), "1000");
	assert_string_equal(conf_format_size(512 << 10, buf, sizeof(buf)), "512K");
	assert_string_equal(conf_format_size(1536 << 10, buf, sizeof(buf)), "1536K");
	assert_string_equal(conf_format_size(64 << 20, buf, sizeof(buf)), "64M");
	assert_string_equal(conf_format_size(3ull << 30, buf, sizeof(buf)), "3G");
	assert_string_equal(conf_format_size(5ull << 40, buf, sizeof(buf)), "5T");
}

static void
test_macs(void **state)
{
	uint8_t		 macs[4][6];
	unsigned	 n = 99;
	char		 why[128];

	assert_int_equal(conf_parse_macs("", macs, 4, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(conf_parse_macs("00:11:22:33:44:55, 02-00-00-00-00-0A,,  "
	    "0a0b0c0d0e0f", macs, 4, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(macs[0], "\x00\x11\x22\x33\x44\x55", 6);
	assert_memory_equal(macs[1], "\x02\x00\x00\x00\x00\x0a", 6);
	assert_memory_equal(macs[2], "\x0a\x0b\x0c\x0d\x0e\x0f", 6);

	assert_int_equal(conf_parse_macs("00:11:22:33:44", macs, 4, &n, why, sizeof(why)), -1);
	assert_string_equal(why, "not a MAC address: 00:11:22:33:44");
	assert_int_equal(conf_parse_macs("01:00:5e:00:00:01", macs, 4, &n, why, sizeof(why)), -1);
	assert_string_equal(why, "not a unicast MAC address: 01:00:5e:00:00:01");
	assert_int_equal(conf_parse_macs("ff:ff:ff:ff:ff:ff", macs, 4, &n, why, sizeof(why)), -1);
	assert_int_equal(conf_parse_macs("00:11:22:33:44:55 00-11-22-33-44-55", macs, 4, &n,
	    why, sizeof(why)), -1);
	assert_string_equal(why, "00-11-22-33-44-55 is listed twice");
	assert_int_equal(conf_parse_macs("02:00:00:00:00:01 02:00:00:00:00:02 "
	    "02:00:00:00:00:03 02:00:00:00:00:04 02:00:00:00:00:05", macs, 4, &n, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "more than 4 MAC addresses");
}

/* --- the parser on whole files ------------------------------------------------ */

static struct conf *
parse(const char *text, int want)
{
	struct conf	*c = calloc(1, sizeof(*c));
	FILE		*fp;

	assert_non_null(c);
	fp = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(fp);
	conf_init(c);
	assert_int_equal(conf_parse_stream(c, "/etc/aoede/t.conf", fp), want);
	fclose(fp);
	return c;
}

static void
expect_error(const char *text, const char *err)
{
	struct conf	*c = parse(text, -1);

	assert_string_equal(c->err, err);
	free(c);
}

#define EXPORT_A	"[export a]\nshelf = 1\nslot = 2\npath = a.img\nnics = eth0\n"

static void
test_parse_values(void **state)
{
	struct conf	*c = parse(
	    "; comment\n"
	    "# another\n"
	    "[global]\n"
	    "control-socket = /run/x.sock\n"
	    "operator-group = wheel   ; inline comment\n"
	    "netd-user = n\n"
	    "blockd-user = b\n"
	    "state-directory = state\n"
	    "\n"
	    "[nic eth1]\n"
	    "mtu = 9000\n"
	    "bufcnt = 16\n"
	    "  [export b]  # indented header\n"
	    "  shelf = 65534\n"
	    "  slot = 254\n"
	    "  path = /dev/sdb\n"
	    "  nics = eth0, eth1 eth2\n"
	    "  read-only = yes\n"
	    "  offset = 8\n"
	    "  length = 1024\n"
	    "  durability = kernel\n"
	    "  direct = off\n"
	    "  cache = 1G\n"
	    "  mac-allow = 00:11:22:33:44:55\n"
	    "  shadow-directory = /var/lib/aoede/shadow\n"
	    EXPORT_A, 0);
	const struct conf_export *b = &c->exports[0], *a = &c->exports[1];

	assert_string_equal(c->control_socket, "/run/x.sock");
	assert_string_equal(c->control_group, "");
	assert_string_equal(c->operator_group, "wheel");
	assert_string_equal(c->netd_user, "n");
	assert_string_equal(c->blockd_user, "b");
	assert_string_equal(c->state_dir, "/etc/aoede/state");
	assert_int_equal(c->nexports, 2);
	assert_int_equal(c->nnics, 3);
	assert_string_equal(c->nics[0].name, "eth1");
	assert_int_equal(c->nics[0].mtu, 9000);
	assert_int_equal(c->nics[0].line, 10);
	assert_string_equal(c->nics[1].name, "eth0");
	assert_int_equal(c->nics[1].line, 17);

	assert_string_equal(b->name, "b");
	assert_int_equal(b->line, 13);
	assert_int_equal(b->shelf, 65534);
	assert_int_equal(b->slot, 254);
	assert_string_equal(b->path, "/dev/sdb");
	assert_true(b->nic_mask == 7);
	assert_true(b->read_only);
	assert_false(b->direct);
	assert_int_equal(b->offset, 8);
	assert_int_equal(b->length, 1024);
	assert_int_equal(b->durability, CONF_KERNEL);
	assert_true(b->cache_bytes == 1ull << 30);
	assert_int_equal(b->nmasks, 1);
	assert_int_equal(b->bufcnt, 16);	/* the smallest of its NICs' */
	assert_string_equal(b->shadow_dir, "/var/lib/aoede/shadow");
	assert_int_equal(b->key_line[CK_LENGTH], 20);

	assert_string_equal(a->path, "/etc/aoede/a.img");	/* next to the file */
	assert_true(a->nic_mask == 2);
	assert_int_equal(a->bufcnt, 64);
	assert_false(a->read_only);
	assert_int_equal(a->durability, CONF_SYNC);
	assert_int_equal(a->cache_bytes, 0);
	free(c);
}

/* busy-poll: 50 us unless set; 0 turns it off; at most 1000 */
static void
test_busy_poll(void **state)
{
	struct conf	*c = parse(EXPORT_A, 0);

	assert_int_equal(c->busy_poll_us, 50);
	free(c);
	c = parse("[global]\nbusy-poll = 0\n" EXPORT_A, 0);
	assert_int_equal(c->busy_poll_us, 0);
	free(c);
	c = parse("[global]\nbusy-poll = 1000\n" EXPORT_A, 0);
	assert_int_equal(c->busy_poll_us, 1000);
	free(c);
	expect_error("[global]\nbusy-poll = 1001\n" EXPORT_A,
	    "/etc/aoede/t.conf:2: busy-poll 1001: too large (0..1000)");
	expect_error("[global]\nbusy-poll = 5us\n" EXPORT_A,
	    "/etc/aoede/t.conf:2: busy-poll 5us: not a number (0..1000)");
}

static void
test_parse_errors(void **state)
{
	expect_error("[foo]\n", "/etc/aoede/t.conf:1: unknown section [foo] (want [global], "
	    "[nic NAME] or [export NAME])");
	expect_error("x = 1\n" EXPORT_A, "/etc/aoede/t.conf:1: x is outside any section");
	expect_error("[global]\nfoo = 1\n", "/etc/aoede/t.conf:2: unknown key foo in [global]");
	expect_error(EXPORT_A "sIot = 2\n", "/etc/aoede/t.conf:6: unknown key sIot in [export a]");
	expect_error(EXPORT_A "[nic eth0]\nspeed = 10\n",
	    "/etc/aoede/t.conf:7: unknown key speed in [nic eth0]");
	expect_error(EXPORT_A "slot = 3\n", "/etc/aoede/t.conf:6: slot set twice (first on line 3)");
	expect_error("[export a]\n[export b]\n" EXPORT_A,
	    "/etc/aoede/t.conf:3: second [export a] section (the first is on line 1)");
	expect_error("[global]\n[global]\n", "/etc/aoede/t.conf:2: second [global] section "
	    "(the first is on line 1)");
	expect_error("\n\n[export a\n", "/etc/aoede/t.conf:3: section header without ']'");
	expect_error("[export a] x\n", "/etc/aoede/t.conf:1: text after the section header");
	expect_error("[export a/b]\n", "/etc/aoede/t.conf:1: export name a/b: use at most 31 "
	    "letters, digits, '-', '_' and '.'");
	expect_error("[export]\n", "/etc/aoede/t.conf:1: [export NAME] needs a name");
	expect_error(EXPORT_A "oops\n", "/etc/aoede/t.conf:6: expected [section] or key = value");
	expect_error(EXPORT_A "read-only = maybe\n", "/etc/aoede/t.conf:6: read-only maybe: not "
	    "a boolean (yes/no, true/false, on/off, 1/0)");
	expect_error("[export a]\nshelf = 65535\n", "/etc/aoede/t.conf:2: shelf 65535: too large "
	    "(0..65534)");
	expect_error("[export a]\nslot = 255\n", "/etc/aoede/t.conf:2: slot 255: too large "
	    "(0..254)");
	expect_error(EXPORT_A "bufcnt = 1\n", "/etc/aoede/t.conf:6: bufcnt 1: too small (2..2048)");
	expect_error(EXPORT_A "durability = fast\n",
	    "/etc/aoede/t.conf:6: durability fast: want sync or kernel");
	expect_error(EXPORT_A "cache = 1P\n", "/etc/aoede/t.conf:6: cache 1P: not a size (a "
	    "number with an optional K, M, G or T) (at most 65535M)");
	expect_error(EXPORT_A "mac-allow = 00:11\n",
	    "/etc/aoede/t.conf:6: mac-allow: not a MAC address: 00:11");
	expect_error(EXPORT_A "path =\n", "/etc/aoede/t.conf:6: path set twice (first on line 4)");
	expect_error("[export a]\npath =\n", "/etc/aoede/t.conf:2: path: empty value");
	expect_error("[export a]\nnics = eth0 eth0\n", "/etc/aoede/t.conf:2: nics: eth0 named twice");
	expect_error("[export a]\nnics = ,\n", "/etc/aoede/t.conf:2: nics: empty list");
	expect_error("[nic eth0]\nmtu = 1000\n", "/etc/aoede/t.conf:2: mtu 1000: too small "
	    "(1060..65535)");
	/* what needs the whole file */
	expect_error("[global]\n", "/etc/aoede/t.conf:1: no [export NAME] section: nothing to "
	    "export");
	expect_error("\n[export a]\nshelf = 1\npath = x\nnics = eth0\n",
	    "/etc/aoede/t.conf:2: export a: slot is missing");
	expect_error("[export a]\n", "/etc/aoede/t.conf:1: export a: shelf is missing");
	expect_error(EXPORT_A "[export b]\nshelf = 1\nslot = 2\npath = b\nnics = eth0\n",
	    "/etc/aoede/t.conf:8: export b: e1.2 is already export a (line 1)");
	expect_error(EXPORT_A "[nic eth1]\n", "/etc/aoede/t.conf:6: nic eth1: no export uses it");
	expect_error("[global]\nnetd-user = x\nblockd-user = x\n" EXPORT_A,
	    "/etc/aoede/t.conf:3: netd-user and blockd-user must differ");
}

static void
test_long_line(void **state)
{
	char	*text = malloc(2 * CONF_MAX_LINE);

	assert_non_null(text);
	strcpy(text, "[export a]\npath = ");
	memset(text + strlen(text), 'x', CONF_MAX_LINE);
	strcpy(text + strlen("[export a]\npath = ") + CONF_MAX_LINE, "\n");
	expect_error(text, "/etc/aoede/t.conf:2: line longer than 4094 characters");
	free(text);
}

/* The canonical form parses back into itself. */
static void
test_canonical_round_trip(void **state)
{
	struct conf	*c = parse(
	    "[nic eth1]\nmtu = 9000\nbufcnt = 16\n"
	    "[export z]\nshelf = 9\nslot = 0\npath = /z\nnics = eth1 eth0\ncache = 3M\n"
	    "mac-allow = 02:00:00:00:00:02 02:00:00:00:00:01\n"
	    "[export y]\nshelf = 1\nslot = 7\npath = y\nnics = eth0\ndirect = yes\n", 0);
	char		*out1 = NULL, *out2 = NULL;
	size_t		 len1, len2;
	FILE		*fp;
	struct conf	*d;

	fp = open_memstream(&out1, &len1);
	conf_print(c, fp);
	fclose(fp);
	assert_non_null(strstr(out1, "[export y]\nshelf = 1\nslot = 7\npath = /etc/aoede/y\n"
	    "nics = eth0\nread-only = no\noffset = 0\nlength = 0\ndurability = sync\n"
	    "direct = yes\ncache = 64M\nbufcnt = 64\nmac-allow =\nshadow-directory =\n"
	    "lan-mask-edit = yes\nlan-force-reserve = yes\nlan-force-config = yes\n\n"
	    "[export z]\n"));
	assert_non_null(strstr(out1, "[nic eth0]\nmtu = any\nbufcnt = 64\n\n"
	    "[nic eth1]\nmtu = 9000\nbufcnt = 16\n"));
	assert_non_null(strstr(out1, "nics = eth0 eth1\n"));
	assert_non_null(strstr(out1, "mac-allow = 02:00:00:00:00:02 02:00:00:00:00:01\n"));
	d = parse(out1, 0);
	fp = open_memstream(&out2, &len2);
	conf_print(d, fp);
	fclose(fp);
	assert_string_equal(out1, out2);
	free(out1);
	free(out2);
	free(c);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_number),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_macs),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_busy_poll),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_canonical_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of proto/ctlproto.c: the scanner's framing and limits (a
 * header announcing a huge array, deep nesting, garbage, partial and
 * back-to-back messages), and the request and reply codecs (missing, extra,
 * repeated and mistyped fields, version mismatch, export names).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "ctlproto.h"

/* --- helpers ------------------------------------------------------------ */

struct t_pack {
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
};

static void
t_pack_init(struct t_pack *t)
{
	msgpack_sbuffer_init(&t->sb);
	msgpack_packer_init(&t->pk, &t->sb, msgpack_sbuffer_write);
}

static enum ctl_scan_result
t_scan(const void *buf, size_t len, size_t *msglen, const char **why)
{
	*why = NULL;
	*msglen = 0;
	return ctl_scan(buf, len, &ctl_request_limits, msglen, why);
}

/* Decode the request packed in t; returns ctl_request_decode()'s result. */
static int
t_decode(struct t_pack *t, struct ctl_request *req, char *err, size_t errsize)
{
	size_t		 n;
	const char	*why;

	assert_int_equal(t_scan(t->sb.data, t->sb.size, &n, &why), CTL_SCAN_DONE);
	assert_int_equal(n, t->sb.size);
	return ctl_request_decode(t->sb.data, t->sb.size, req, err, errsize);
}

/* --- the scanner ------------------------------------------------------ */

static void
test_scan_huge_array_header(void **state)
{
	static const uint8_t	 m[] = { 0xdd, 0x00, 0xff, 0xff, 0xff };
	size_t			 n;
	const char		*why;

	/* refused from the header alone, before any element arrived */
	assert_int_equal(t_scan(m, sizeof(m), &n, &why), CTL_SCAN_BAD);
	assert_string_equal(why, "a container announces too many elements");
	assert_int_equal(t_scan(m, 1, &n, &why), CTL_SCAN_MORE);
}

static void
test_scan_huge_string_header(void **state)
{
	static const uint8_t	 m[] = { 0x81, 0xdb, 0x7f, 0xff, 0xff, 0xff };
	size_t			 n;
	const char		*why;

	assert_int_equal(t_scan(m, sizeof(m), &n, &why), CTL_SCAN_BAD);
	assert_string_equal(why, "message too long");
}

static void
test_scan_deep_nesting(void **state)
{
	static uint8_t	 m[100000];
	size_t		 n;
	const char	*why;

	memset(m, 0x91, sizeof(m));
	assert_int_equal(t_scan(m, sizeof(m), &n, &why), CTL_SCAN_BAD);
	assert_string_equal(why, "nested too deeply");
	/* as deep as allowed is fine, and waits for the innermost element */
	assert_int_equal(t_scan(m, CTL_REQ_MAX_DEPTH - 1, &n, &why), CTL_SCAN_MORE);
}

static void
test_scan_garbage(void **state)
{
	static const uint8_t	 c1[] = { 0xc1 };
	static const uint8_t	 in_map[] = { 0x81, 0xa1, 'v', 0xc1 };
	size_t			 n;
	const char		*why;

	assert_int_equal(t_scan(c1, sizeof(c1), &n, &why), CTL_SCAN_BAD);
	assert_string_equal(why, "not msgpack");
	assert_int_equal(t_scan(in_map, sizeof(in_map), &n, &why), CTL_SCAN_BAD);
}

static void
test_scan_partial_and_whole(void **state)
{
	struct t_pack	 t;
	size_t		 n, i;
	const char	*why;
	char		 err[CTL_ERR_MAX];

	t_pack_init(&t);
	assert_int_equal(ctl_request_encode(&t.sb, "stats", 1,
	    (char *[]){ "e7.3" }, err, sizeof(err)), 0);
	for (i = 0; i < t.sb.size; i++)
		assert_int_equal(t_scan(t.sb.data, i, &n, &why), CTL_SCAN_MORE);
	assert_int_equal(t_scan(t.sb.data, t.sb.size, &n, &why), CTL_SCAN_DONE);
	assert_int_equal(n, t.sb.size);
	msgpack_sbuffer_destroy(&t.sb);
}

static void
test_scan_back_to_back(void **state)
{
	struct t_pack	 t;
	size_t		 n, first;
	const char	*why;
	char		 err[CTL_ERR_MAX];

	t_pack_init(&t);
	assert_int_equal(ctl_request_encode(&t.sb, "status", 0, NULL, err, sizeof(err)), 0);
	first = t.sb.size;
	assert_int_equal(ctl_request_encode(&t.sb, "stats", 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(t_scan(t.sb.data, t.sb.size, &n, &why), CTL_SCAN_DONE);
	assert_int_equal(n, first);
	assert_int_equal(t_scan(t.sb.data + n, t.sb.size - n, &n, &why), CTL_SCAN_DONE);
	assert_int_equal(n, t.sb.size - first);
	msgpack_sbuffer_destroy(&t.sb);
}

static void
test_scan_every_type(void **state)
{
	/* [nil, false, true, f32, f64, u8..u64, i8..i64, fixext1, bin8,
	 *  ext8, str8, -1, {}] */
	static const uint8_t all[] = {
		0xdc, 0x00, 19,
		0xc0, 0xc2, 0xc3,
		0xca, 0, 0, 0, 0, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0,
		0xcc, 1, 0xcd, 0, 1, 0xce, 0, 0, 0, 1, 0xcf, 0, 0, 0, 0, 0, 0, 0, 1,
		0xd0, 1, 0xd1, 0, 1, 0xd2, 0, 0, 0, 1, 0xd3, 0, 0, 0, 0, 0, 0, 0, 1,
		0xd4, 1, 9,
		0xc4, 2, 'a', 'b',
		0xc7, 1, 5, 'x',
		0xd9, 3, 'a', 'b', 'c',
		0xff, 0x80,
	};
	size_t		 n;
	const char	*why;

	assert_int_equal(t_scan(all, sizeof(all), &n, &why), CTL_SCAN_DONE);
	assert_int_equal(n, sizeof(all));
}

static void
test_scan_too_long(void **state)
{
	/* an array of many small elements grows past the byte limit */
	static uint8_t	 m[CTL_REQ_MAX_BYTES + 16];
	struct ctl_limits lim = { 64, 4, 1000 };
	size_t		 n;
	const char	*why;

	memset(m, 0x01, sizeof(m));
	m[0] = 0xdc; m[1] = 0x00; m[2] = 200;	/* array of 200 */
	assert_int_equal(ctl_scan(m, sizeof(m), &lim, &n, &why), CTL_SCAN_BAD);
	assert_string_equal(why, "message too long");
	assert_int_equal(ctl_scan(m, 40, &lim, &n, &why), CTL_SCAN_MORE);
}

/* --- requests --------------------------------------------------------- */

static void
test_request_roundtrip(void **state)
{
	struct t_pack		 t;
	struct ctl_request	 req;
	const struct ctl_arg	*a;
	char			 err[CTL_ERR_MAX];

	t_pack_init(&t);
	assert_int_equal(ctl_request_encode(&t.sb, "freeze", 1,
	    (char *[]){ "e65534.254" }, err, sizeof(err)), 0);
	assert_int_equal(t_decode(&t, &req, err, sizeof(err)), 0);
	assert_string_equal(req.cmd->name, "freeze");
	assert_int_equal(req.cmd->access, CTL_CHANGE);
	assert_non_null(a = ctl_request_arg(&req, "export"));
	assert_int_equal(a->shelf, 65534);
	assert_int_equal(a->slot, 254);
	assert_string_equal(a->str, "e65534.254");
	msgpack_sbuffer_destroy(&t.sb);

	t_pack_init(&t);
	assert_int_equal(ctl_request_encode(&t.sb, "stats", 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(t_decode(&t, &req, err, sizeof(err)), 0);
	assert_null(ctl_request_arg(&req, "export"));
	msgpack_sbuffer_destroy(&t.sb);
}

static void
test_request_encode_errors(void **state)
{
	msgpack_sbuffer	 sb;
	char		 err[CTL_ERR_MAX];

	msgpack_sbuffer_init(&sb);
	assert_int_equal(ctl_request_encode(&sb, "bogus", 0, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown command bogus");
	assert_int_equal(ctl_request_encode(&sb, "freeze", 0, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "freeze takes 1 argument");
	assert_int_equal(ctl_request_encode(&sb, "stats", 2,
	    (char *[]){ "e1.1", "e1.2" }, err, sizeof(err)), -1);
	assert_string_equal(err, "stats takes at most 1 argument");
	assert_int_equal(ctl_request_encode(&sb, "stats", 1,
	    (char *[]){ "e1.255" }, err, sizeof(err)), -1);
	assert_int_equal(sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
}

/* Pack a map of n fields; each field is a key then one value written by
 * the variadic list: 's' string, 'u' unsigned, 'b' bool, 'n' nil. */
static void
t_pack_map(struct t_pack *t, const char *types, ...)
{
	va_list		 ap;
	const char	*p;

	va_start(ap, types);
	msgpack_pack_map(&t->pk, strlen(types));
	for (p = types; *p; p++) {
		ctl_pack_key(&t->pk, va_arg(ap, const char *));
		switch (*p) {
		case 's': ctl_pack_str(&t->pk, va_arg(ap, const char *)); break;
		case 'u': msgpack_pack_uint64(&t->pk, va_arg(ap, unsigned)); break;
		case 'b': msgpack_pack_true(&t->pk); break;
		default: msgpack_pack_nil(&t->pk); break;
		}
	}
	va_end(ap);
}

static void
t_expect_error(struct t_pack *t, const char *want)
{
	struct ctl_request	 req;
	char			 err[CTL_ERR_MAX];

	assert_int_equal(t_decode(t, &req, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	msgpack_sbuffer_destroy(&t->sb);
}

static void
test_request_rejects(void **state)
{
	struct t_pack	 t;

	t_pack_init(&t);
	t_pack_map(&t, "s", "cmd", "status");
	t_expect_error(&t, "request has no protocol version (\"v\")");

	t_pack_init(&t);
	t_pack_map(&t, "ss", "v", "1", "cmd", "status");
	t_expect_error(&t, "protocol version (\"v\") must be a positive integer");

	t_pack_init(&t);
	t_pack_map(&t, "us", "v", 2, "cmd", "status");
	t_expect_error(&t, "protocol version 2 is not supported (this aoede speaks version 1)");

	t_pack_init(&t);
	t_pack_map(&t, "u", "v", 1);
	t_expect_error(&t, "request has no command (\"cmd\")");

	t_pack_init(&t);
	t_pack_map(&t, "uu", "v", 1, "cmd", 7);
	t_expect_error(&t, "command (\"cmd\") must be a string");

	t_pack_init(&t);
	t_pack_map(&t, "us", "v", 1, "cmd", "rm -rf\n");
	t_expect_error(&t, "unknown command \"rm -rf?\"");

	t_pack_init(&t);
	t_pack_map(&t, "us", "v", 1, "cmd", "freeze");
	t_expect_error(&t, "freeze needs \"export\" (eS.L)");

	t_pack_init(&t);
	t_pack_map(&t, "usu", "v", 1, "cmd", "freeze", "export", 7);
	t_expect_error(&t, "\"export\" must be a string (eS.L)");

	t_pack_init(&t);
	t_pack_map(&t, "uss", "v", 1, "cmd", "stats", "export", "e7");
	t_expect_error(&t, "not an export name: \"e7\" (expected eSHELF.SLOT, e.g. e7.3)");

	t_pack_init(&t);
	t_pack_map(&t, "uss", "v", 1, "cmd", "stats", "export", "e07.3");
	t_expect_error(&t, "not an export name: \"e07.3\" (expected eSHELF.SLOT, e.g. e7.3)");

	t_pack_init(&t);
	t_pack_map(&t, "usb", "v", 1, "cmd", "status", "verbose", 1);
	t_expect_error(&t, "unexpected field \"verbose\" in a status request");

	t_pack_init(&t);
	t_pack_map(&t, "usu", "v", 1, "cmd", "status", "v", 1);
	t_expect_error(&t, "unexpected field \"v\" in a status request");

	t_pack_init(&t);
	t_pack_map(&t, "ussnnnn", "v", 1, "cmd", "stats", "export", "e1.1",
	    "a", "b", "c", "d");
	t_expect_error(&t, "too many fields in the request");

	t_pack_init(&t);
	msgpack_pack_array(&t.pk, 0);
	t_expect_error(&t, "request is not a msgpack map");
}

static void
test_export_names(void **state)
{
	uint16_t	 shelf;
	uint8_t		 slot;
	char		 buf[CTL_EXPORT_STRLEN];

	assert_int_equal(ctl_export_parse("e0.0", &shelf, &slot), 0);
	assert_int_equal(ctl_export_parse("e7.3", &shelf, &slot), 0);
	assert_int_equal(shelf, 7);
	assert_int_equal(slot, 3);
	assert_int_equal(ctl_export_parse("e65535.0", &shelf, &slot), -1);
	assert_int_equal(ctl_export_parse("e1.255", &shelf, &slot), -1);
	assert_int_equal(ctl_export_parse("e1.", &shelf, &slot), -1);
	assert_int_equal(ctl_export_parse("e.1", &shelf, &slot), -1);
	assert_int_equal(ctl_export_parse("e1.1x", &shelf, &slot), -1);
	assert_int_equal(ctl_export_parse("e-1.1", &shelf, &slot), -1);
	assert_int_equal(ctl_export_parse("7.3", &shelf, &slot), -1);
	assert_int_equal(ctl_export_parse("e0000001.1", &shelf, &slot), -1);
	ctl_export_format(65534, 254, buf);
	assert_string_equal(buf, "e65534.254");
}

/* --- replies ---------------------------------------------------------- */

static void
test_reply_roundtrip(void **state)
{
	struct t_pack		 t;
	msgpack_unpacked	 up;
	const msgpack_object	*body, *o;
	char			 err[CTL_ERR_MAX];

	t_pack_init(&t);
	ctl_reply_begin(&t.pk, 1);
	ctl_pack_kv_u64(&t.pk, "answer", 42);
	msgpack_unpacked_init(&up);
	assert_int_equal(ctl_reply_decode(t.sb.data, t.sb.size, &up, &body, err,
	    sizeof(err)), 1);
	assert_non_null(o = ctl_obj_get(body, "answer"));
	assert_int_equal(o->via.u64, 42);
	assert_null(ctl_obj_get(body, "question"));
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&t.sb);

	t_pack_init(&t);
	ctl_reply_error(&t.pk, "unknown export %s", "e9.9");
	msgpack_unpacked_init(&up);
	assert_int_equal(ctl_reply_decode(t.sb.data, t.sb.size, &up, &body, err,
	    sizeof(err)), 0);
	assert_string_equal(err, "unknown export e9.9");
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&t.sb);
}

static void
test_reply_rejects(void **state)
{
	struct t_pack		 t;
	msgpack_unpacked	 up;
	const msgpack_object	*body;
	char			 err[CTL_ERR_MAX];

	t_pack_init(&t);
	t_pack_map(&t, "ub", "v", 2, "ok", 1);
	msgpack_unpacked_init(&up);
	assert_int_equal(ctl_reply_decode(t.sb.data, t.sb.size, &up, &body, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "aoede speaks protocol version 2, this aoectl version 1");
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&t.sb);

	t_pack_init(&t);
	t_pack_map(&t, "u", "v", 1);
	msgpack_unpacked_init(&up);
	assert_int_equal(ctl_reply_decode(t.sb.data, t.sb.size, &up, &body, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "the reply has no \"ok\"");
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&t.sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_huge_array_header),
		cmocka_unit_test(test_scan_huge_string_header),
		cmocka_unit_test(test_scan_deep_nesting),
		cmocka_unit_test(test_scan_garbage),
		cmocka_unit_test(test_scan_partial_and_whole),
		cmocka_unit_test(test_scan_back_to_back),
		cmocka_unit_test(test_scan_every_type),
		cmocka_unit_test(test_scan_too_long),
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_request_encode_errors),
		cmocka_unit_test(test_request_rejects),
		cmocka_unit_test(test_export_names),
		cmocka_unit_test(test_reply_roundtrip),
		cmocka_unit_test(test_reply_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Channel messages: the typed reader refuses missing, extra, duplicate and
 * mistyped fields, other versions and trailing bytes; the generated stats
 * encoders and decoders agree.
 */
#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "msg.h"
#include "stats.h"

/* encode with the writer, parse back into in (which refers to m's bytes:
 * discard m only after in is freed) */
static int
roundtrip(struct msg_out *m, struct msg_in *in, const char **why)
{
	return msg_parse(in, m->sb.data, m->sb.size, why);
}

static void
test_roundtrip_fields(void **state)
{
	struct msg_out	 m;
	struct msg_in	 in;
	const char	*why = NULL;
	uint64_t	 v;
	char		 s[16];
	bool		 b;

	msg_begin(&m, MSG_NIC_ATTACH, 3);
	msg_put_u64(&m, "nic", 5);
	msg_put_str(&m, "name", "t0");
	msg_put_bool(&m, "up", true);
	assert_int_equal(roundtrip(&m, &in, &why), 0);
	assert_true(msg_is(&in, MSG_NIC_ATTACH));
	assert_int_equal(msg_get_u64(&in, "nic", &v), 0);
	assert_int_equal(v, 5);
	/* not every field read yet: extra fields remain */
	assert_int_equal(msg_end(&in), -1);
	assert_int_equal(msg_get_str(&in, "name", s, sizeof(s)), 0);
	assert_string_equal(s, "t0");
	assert_int_equal(msg_get_bool(&in, "up", &b), 0);
	assert_true(b);
	assert_int_equal(msg_end(&in), 0);
	msg_free(&in);
	msg_discard(&m);
}

static void
test_missing_and_mistyped(void **state)
{
	struct msg_out	 m;
	struct msg_in	 in;
	const char	*why = NULL;
	uint64_t	 v;
	char		 s[4];

	msg_begin(&m, MSG_NIC_ATTACH, 2);
	msg_put_str(&m, "nic", "5");
	msg_put_str(&m, "long", "much too long");
	assert_int_equal(roundtrip(&m, &in, &why), 0);
	assert_int_equal(msg_get_u64(&in, "nic", &v), -1);	/* mistyped */
	assert_int_equal(msg_get_u64(&in, "absent", &v), -1);	/* missing */
	assert_int_equal(msg_get_str(&in, "long", s, sizeof(s)), -1);	/* too long */
	msg_free(&in);
	msg_discard(&m);
}

static void
test_duplicate_field_is_extra(void **state)
{
	struct msg_out	 m;
	struct msg_in	 in;
	const char	*why = NULL;
	uint64_t	 v;

	msg_begin(&m, MSG_NIC_ATTACH, 2);
	msg_put_u64(&m, "nic", 1);
	msg_put_u64(&m, "nic", 2);
	assert_int_equal(roundtrip(&m, &in, &why), 0);
	assert_int_equal(msg_get_u64(&in, "nic", &v), 0);
	assert_int_equal(msg_end(&in), -1);
	msg_free(&in);
	msg_discard(&m);
}

static void
test_bad_envelopes(void **state)
{
	static const uint8_t not_map[] = { 0x91, 0x01 };		/* [1] */
	static const uint8_t no_version[] = { 0x81, 0xa1, 't', 0xa1, 'x' };
	static const uint8_t bad_version[] = { 0x82, 0xa1, 'v', 0x02, 0xa1, 't', 0xa1, 'x' };
	static const uint8_t trailing[] = { 0x82, 0xa1, 'v', 0x01, 0xa1, 't', 0xa1, 'x', 0xc0 };
	static const uint8_t no_type[] = { 0x81, 0xa1, 'v', 0x01 };
	static const uint8_t truncated[] = { 0x82, 0xa1, 'v' };
	struct msg_in	 in;
	const char	*why;

	assert_int_equal(msg_parse(&in, not_map, sizeof(not_map), &why), -1);
	msg_free(&in);
	assert_int_equal(msg_parse(&in, no_version, sizeof(no_version), &why), -1);
	assert_string_equal(why, "no protocol version");
	msg_free(&in);
	assert_int_equal(msg_parse(&in, bad_version, sizeof(bad_version), &why), -1);
	assert_string_equal(why, "protocol version mismatch");
	msg_free(&in);
	assert_int_equal(msg_parse(&in, trailing, sizeof(trailing), &why), -1);
	msg_free(&in);
	assert_int_equal(msg_parse(&in, no_type, sizeof(no_type), &why), -1);
	msg_free(&in);
	assert_int_equal(msg_parse(&in, truncated, sizeof(truncated), &why), -1);
	msg_free(&in);
}

static void
test_send_recv_socketpair(void **state)
{
	struct msg_in	 in;
	const char	*why = NULL;
	uint64_t	 v;
	int		 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(msg_send_u64(sv[0], MSG_NIC_DETACHED, "nic", 3), 0);
	assert_int_equal(msg_recv(sv[1], &in, &why), 1);
	assert_true(msg_is(&in, MSG_NIC_DETACHED));
	assert_int_equal(msg_get_u64(&in, "nic", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(msg_end(&in), 0);
	msg_free(&in);
	close(sv[0]);
	assert_int_equal(msg_recv(sv[1], &in, &why), 0);	/* peer closed */
	msg_free(&in);
	close(sv[1]);
}

static void
test_stats_generated_codecs(void **state)
{
	struct export_stats_msg	 a = { .reads = 1, .writes = 2, .fsyncs = 3,
	    .lat_p999_us = 4096, .sectors = 1 << 20 }, b;
	struct netd_stats_msg	 n = { .nic = 1, .mtu = 9000, .drop_short = 7 }, n2;
	struct msg_in		 in;
	const char		*why = NULL;
	int			 sv[2];

	strcpy(a.export, "e1.0");
	strcpy(n.mac, "02:00:00:00:00:01");
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(stats_export_send(sv[0], &a), 0);
	assert_int_equal(msg_recv(sv[1], &in, &why), 1);
	assert_true(msg_is(&in, MSG_EXPORT_STATS));
	memset(&b, 0, sizeof(b));
	assert_int_equal(stats_export_decode(&in, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	msg_free(&in);
	assert_int_equal(stats_netd_send(sv[0], &n), 0);
	assert_int_equal(msg_recv(sv[1], &in, &why), 1);
	assert_int_equal(stats_netd_decode(&in, &n2), 0);
	assert_int_equal(n2.mtu, 9000);
	assert_int_equal(n2.drop_short, 7);
	assert_string_equal(n2.mac, "02:00:00:00:00:01");
	msg_free(&in);
	/* a netd message is not an export message: fields missing */
	assert_int_equal(stats_netd_send(sv[0], &n), 0);
	assert_int_equal(msg_recv(sv[1], &in, &why), 1);
	assert_int_equal(stats_export_decode(&in, &b), -1);
	msg_free(&in);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_fields),
		cmocka_unit_test(test_missing_and_mistyped),
		cmocka_unit_test(test_duplicate_field_is_extra),
		cmocka_unit_test(test_bad_envelopes),
		cmocka_unit_test(test_send_recv_socketpair),
		cmocka_unit_test(test_stats_generated_codecs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

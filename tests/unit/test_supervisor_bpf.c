/*
 * The kernel filter the supervisor attaches to each packet socket, run here
 * by a small classic-BPF interpreter over hand-made frames.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <linux/if_packet.h>

#include "aoe.h"
#include "supervisor.h"

/* the subset of classic BPF the builder emits; -1 for anything else */
static int64_t
bpf_run(const struct sock_filter *p, int n, const uint8_t *pkt, size_t len,
    uint8_t pkttype)
{
	uint32_t	 a = 0, mem[16] = { 0 };
	int		 pc;

	for (pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &p[pc];

		switch (f->code) {
		case BPF_LD | BPF_H | BPF_ABS:
			if (f->k + 2 > len)
				return 0;
			a = (uint32_t)pkt[f->k] << 8 | pkt[f->k + 1];
			break;
		case BPF_LD | BPF_B | BPF_ABS:
			if (f->k == (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)) {
				a = pkttype;
				break;
			}
			if (f->k + 1 > len)
				return 0;
			a = pkt[f->k];
			break;
		case BPF_LD | BPF_MEM:
			a = mem[f->k];
			break;
		case BPF_ST:
			mem[f->k] = a;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += (a == f->k) ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & f->k) ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			return -1;
		}
	}
	return -1;	/* fell off the end */
}

static void
frame(uint8_t *f, uint16_t type, uint8_t flags, uint16_t major, uint8_t minor)
{
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	f[12] = type >> 8;
	f[13] = type & 0xff;
	f[14] = 0x10 | flags;
	f[16] = major >> 8;
	f[17] = major & 0xff;
	f[18] = minor;
	f[19] = AOE_CMD_ATA;
}

static struct sup sup;

static uint8_t	pkttype = PACKET_HOST;

static int64_t
verdict(unsigned nic, uint16_t type, uint8_t flags, uint16_t major, uint8_t minor)
{
	struct sock_filter	 prog[SUP_BPF_MAX];
	uint8_t			 f[60];
	int			 n;

	n = sup_bpf_build(&sup, nic, prog, SUP_BPF_MAX);
	assert_true(n > 0);
	frame(f, type, flags, major, minor);
	return bpf_run(prog, n, f, sizeof(f), pkttype);
}

static void
add_export(uint16_t shelf, uint8_t slot, uint64_t nics)
{
	sup.exports[sup.nexports].shelf = shelf;
	sup.exports[sup.nexports].slot = slot;
	sup.exports[sup.nexports].nic_mask = nics;
	sup.nexports++;
}

static int
setup(void **state)
{
	pkttype = PACKET_HOST;
	memset(&sup, 0, sizeof(sup));
	add_export(7, 3, 1);		/* NIC 0 */
	add_export(7, 4, 2);		/* NIC 1 */
	add_export(9, 0, 3);		/* both */
	return 0;
}

static void
test_accepts_own_addresses(void **state)
{
	assert_true(verdict(0, AOE_ETHERTYPE, 0, 7, 3) > 0);
	assert_true(verdict(0, AOE_ETHERTYPE, 0, 9, 0) > 0);
	assert_true(verdict(1, AOE_ETHERTYPE, 0, 7, 4) > 0);
	assert_true(verdict(1, AOE_ETHERTYPE, 0, 9, 0) > 0);
}

static void
test_rejects_other_nics_exports(void **state)
{
	assert_int_equal(verdict(0, AOE_ETHERTYPE, 0, 7, 4), 0);
	assert_int_equal(verdict(1, AOE_ETHERTYPE, 0, 7, 3), 0);
	assert_int_equal(verdict(0, AOE_ETHERTYPE, 0, 8, 3), 0);
	assert_int_equal(verdict(0, AOE_ETHERTYPE, 0, 7, 5), 0);
}

static void
test_broadcasts(void **state)
{
	assert_true(verdict(0, AOE_ETHERTYPE, 0, 0xffff, 0xff) > 0);
	assert_true(verdict(0, AOE_ETHERTYPE, 0, 7, 0xff) > 0);
	assert_true(verdict(0, AOE_ETHERTYPE, 0, 0xffff, 3) > 0);
	/* broadcast shelf, but a slot nobody exports here */
	assert_int_equal(verdict(0, AOE_ETHERTYPE, 0, 0xffff, 4), 0);
	/* broadcast slot on a shelf nobody exports */
	assert_int_equal(verdict(0, AOE_ETHERTYPE, 0, 8, 0xff), 0);
}

static void
test_rejects_responses_and_other_types(void **state)
{
	assert_int_equal(verdict(0, AOE_ETHERTYPE, AOE_FLAG_RESP, 7, 3), 0);
	assert_int_equal(verdict(0, AOE_ETHERTYPE, AOE_FLAG_RESP | AOE_FLAG_ERR, 0xffff, 0xff), 0);
	assert_int_equal(verdict(0, 0x0800, 0, 7, 3), 0);
	assert_int_equal(verdict(0, 0x88a3, 0, 7, 3), 0);
	/* the error flag alone is not a response */
	assert_true(verdict(0, AOE_ETHERTYPE, AOE_FLAG_ERR, 7, 3) > 0);
}

static void
test_rejects_frames_for_other_hosts(void **state)
{
	pkttype = PACKET_BROADCAST;
	assert_true(verdict(0, AOE_ETHERTYPE, 0, 0xffff, 0xff) > 0);
	pkttype = PACKET_MULTICAST;
	assert_true(verdict(0, AOE_ETHERTYPE, 0, 7, 3) > 0);
	pkttype = PACKET_OTHERHOST;
	assert_int_equal(verdict(0, AOE_ETHERTYPE, 0, 7, 3), 0);
	assert_int_equal(verdict(0, AOE_ETHERTYPE, 0, 0xffff, 0xff), 0);
}

static void
test_many_exports(void **state)
{
	struct sock_filter	 prog[SUP_BPF_MAX];
	unsigned		 i;

	memset(&sup, 0, sizeof(sup));
	for (i = 0; i < 60; i++)
		add_export(100 + i / 10, i % 10, 1);
	for (i = 0; i < 60; i++)
		assert_true(verdict(0, AOE_ETHERTYPE, 0, 100 + i / 10, i % 10) > 0);
	assert_int_equal(verdict(0, AOE_ETHERTYPE, 0, 106, 0), 0);
	assert_int_equal(verdict(0, AOE_ETHERTYPE, 0, 100, 10), 0);
	/* a program that does not fit is refused, not truncated */
	assert_int_equal(sup_bpf_build(&sup, 0, prog, 50), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_accepts_own_addresses, setup),
		cmocka_unit_test_setup(test_rejects_other_nics_exports, setup),
		cmocka_unit_test_setup(test_broadcasts, setup),
		cmocka_unit_test_setup(test_rejects_responses_and_other_types, setup),
		cmocka_unit_test_setup(test_rejects_frames_for_other_hosts, setup),
		cmocka_unit_test_setup(test_many_exports, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of the packet ring (shared by test_proto_pktring.c and
 * test_netd_rxring.c): the loopback device of a network namespace of the
 * test's own — nothing else hears it — a ring socket bound to AoE on it,
 * and frames sent to it.  Root only: t_private_lo() says 0 otherwise, and
 * the caller skips.
 */
#ifndef AOEDE_TESTS_PKTRING_LO_H
#define AOEDE_TESTS_PKTRING_LO_H

#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>

#include "aoe.h"
#include "pktring.h"

/* Our namespace's lo up or down; true if done. */
static inline bool
t_lo_set_up(bool up)
{
	struct ifreq	 ifr;
	int		 fd, ok;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
	close(fd);
	return ok;
}

/* Into a network namespace of our own, its lo up: lo's ifindex, or 0. */
static inline int
t_private_lo(void)
{
	if (geteuid() != 0 || unshare(CLONE_NEWNET) == -1)
		return 0;
	return t_lo_set_up(true) ? (int)if_nametoindex("lo") : 0;
}

static inline void
t_lo_addr(struct sockaddr_ll *sll, int ifindex)
{
	memset(sll, 0, sizeof(*sll));
	sll->sll_family = AF_PACKET;
	sll->sll_protocol = htons(AOE_ETHERTYPE);
	sll->sll_ifindex = ifindex;
	sll->sll_halen = 6;
	memset(sll->sll_addr, 0xff, 6);
}

/* A socket with a receive ring for nbufs x bufsize (set up before bind, as
 * the supervisor does), bound to AoE on lo, its ring mapped into r; -1 if
 * any step fails. */
static inline int
t_lo_ring_socket(int ifindex, uint32_t nbufs, uint32_t bufsize, struct pktring *r)
{
	struct sockaddr_ll	 sll;
	int			 fd = socket(AF_PACKET, SOCK_RAW, 0);

	t_lo_addr(&sll, ifindex);
	if (fd == -1 || pktring_setup(fd, nbufs, bufsize) == -1 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1 ||
	    pktring_map(r, fd, nbufs, bufsize) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send frame[0..len) on lo from packet socket fd; sendto's result. */
static inline ssize_t
t_lo_send(int fd, int ifindex, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll	 sll;

	t_lo_addr(&sll, ifindex);
	return sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll));
}

#endif

/*
 * The file descriptors a child inherits from the supervisor, at fixed
 * numbers (the Postfix habit: one header lists them all).
 *
 * aoede-netd (one per NIC):
 *   3  channel to the supervisor (AF_UNIX SOCK_SEQPACKET, msgpack messages)
 *   4  AF_PACKET socket, bound to the NIC, BPF filter attached and locked
 *   5  memfd holding the NIC's ring region (proto/ring.h), sealed
 *   6  rx doorbell (eventfd): netd rings it when blockd asked to be woken
 *   7  tx doorbell (eventfd): blockd rings it when netd asked to be woken
 *   8  AF_PACKET socket bound to the NIC with protocol 0 (hears nothing):
 *      its transmit ring carries netd's small frames (pktring.h)
 *
 * aoede-blockd:
 *   3  channel to the supervisor
 *   4 … 4+E-1           the image of export 0 … E-1
 *   4+E+3n, +1, +2      NIC n's memfd, rx doorbell, tx doorbell
 *   4+E+3N              the state directory (O_DIRECTORY), only with -s
 *   then                the shadow directory of each export that has one,
 *                       in export order, at the number its -x spec names
 *                       (shadowfd=N)
 *   (E and the number N of NICs come on blockd's command line)
 *
 * A reload passes what it adds over the channel instead (SCM_RIGHTS: an
 * export's image, a NIC's memfd and doorbells, netd's new packet socket),
 * at whatever numbers they land on (blockd/reconf.c, netd's nic-socket).
 */
#ifndef AOEDE_PROTO_FDS_H
#define AOEDE_PROTO_FDS_H

#define FD_CHANNEL		3

#define NETD_FD_SOCKET		4
#define NETD_FD_RING		5
#define NETD_FD_RX_BELL		6
#define NETD_FD_TX_BELL		7
#define NETD_FD_TX_SOCKET	8
#define NETD_FD_LAST		NETD_FD_TX_SOCKET

#define BLOCKD_FD_IMAGE(i)		(4 + (i))
#define BLOCKD_FD_RING(nexp, n)		(4 + (nexp) + 3 * (n))
#define BLOCKD_FD_RX_BELL(nexp, n)	(BLOCKD_FD_RING(nexp, n) + 1)
#define BLOCKD_FD_TX_BELL(nexp, n)	(BLOCKD_FD_RING(nexp, n) + 2)
#define BLOCKD_FD_STATE_DIR(nexp, nnics)	BLOCKD_FD_RING(nexp, nnics)
#define BLOCKD_FD_LAST(nexp, nnics)	BLOCKD_FD_STATE_DIR(nexp, nnics)

/* blockd moves each shadow directory (inherited at start, or received
 * with an export a reload adds) to BLOCKD_FD_SHADOW(slot): seccomp admits
 * openat & co. on that range only, decided before any reload (a multiple
 * of 256, above every fd blockd can otherwise hold) */
#define BLOCKD_FD_SHADOW_BASE		1024
#define BLOCKD_FD_SHADOW_SLOTS		256
#define BLOCKD_FD_SHADOW(slot)		(BLOCKD_FD_SHADOW_BASE + (slot))

#endif

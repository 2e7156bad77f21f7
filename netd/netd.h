/*
 * aoede-netd: one per NIC.  Receives AoE frames on the NIC's packet socket,
 * checks their structure, hands them to blockd through the rx ring and sends
 * what blockd puts on the tx ring.  Holds no file but its socket, its ring
 * memfd, two doorbells and its channel.
 */
#ifndef AOEDE_NETD_H
#define AOEDE_NETD_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "pktring.h"
#include "ring.h"

#define NETD_MAX_EXPORTS	256
#define NETD_BATCH		64	/* frames per recvmmsg/sendmmsg */
#define NETD_RX_BUDGET		256	/* frames per socket callback */
#define NETD_POLL_MAX_NS	1000000	/* longest busy-poll before the event
					 * loop runs again (channel, timers) */

/* exit status when the NIC vanished: the supervisor reopens it */
#define NETD_EXIT_NIC_GONE	3

/* why a received frame was dropped (counters) */
enum netd_drop {
	NETD_DROP_SHORT,	/* shorter than its command's header */
	NETD_DROP_TYPE,		/* not EtherType 0x88A2 */
	NETD_DROP_RESPONSE,	/* R flag set */
	NETD_DROP_VERSION,	/* AoE version other than 1 */
	NETD_DROP_NOTOURS,	/* addressed to a shelf.slot not exported here */
	NETD_DROP_NOBUF,	/* no buffer left for a broadcast copy */
	NETD_DROP__MAX
};

struct netd_stats {
	uint64_t	frames_in, frames_out;
	uint64_t	frames_out_ring;	/* of frames_out, by the transmit ring */
	uint64_t	bytes_in, bytes_out;
	uint64_t	drops[NETD_DROP__MAX];
	uint64_t	ring_full;	/* times every buffer was at blockd */
	uint64_t	send_errors;	/* frames the kernel refused to send */
	uint64_t	tx_bad_desc;	/* tx descriptors that broke the protocol */
	uint64_t	doorbells;	/* rx doorbells rung */
	uint64_t	loops;		/* callbacks run */
	uint64_t	busy_ns;	/* time spent in callbacks */
	uint64_t	recv_errors;	/* recvmmsg failures (link down…) */
	uint64_t	link_changes;	/* up/down or MTU changes seen */
};

struct netd_export {
	uint16_t	shelf;
	uint8_t		slot;
};

enum netd_state {
	NETD_PAUSED,		/* no blockd: socket not read */
	NETD_RUNNING,
	NETD_STOPPING,		/* draining: socket not read, exit when all buffers are back */
};

struct netd {
	const char		*ifname;
	unsigned		 nic;
	pid_t			 parent;
	int			 sock, chan, rx_bell, tx_bell;
	struct pktring		 pkt;		/* sock's receive ring, if mapped */
	int			 txsock;	/* small frames go out here ... */
	struct pktring_tx	 ptx;		/* ... by its transmit ring */
	int			 ifindex;	/* the NIC our socket is bound to */
	uint32_t		 mtu;
	uint8_t			 mac[6];
	bool			 link_up;

	struct ring_region	 rr;
	struct ring_prod	 rx;
	struct ring_cons	 tx;
	uint32_t		*free;		/* stack of buffer indices netd owns */
	uint32_t		 nfree;
	uint8_t			*at_peer;	/* at_peer[i]: buffer i is at blockd */
	uint32_t		*sendq;		/* buffers waiting to be sent */
	uint32_t		 nsend;
	uint16_t		*sendlen;	/* sendlen[i]: length to send of buffer i */
	uint64_t		 poll_ns;	/* busy-poll this long after the last
						 * frame before sleeping; 0: never */

	struct netd_export	 exports[NETD_MAX_EXPORTS];
	unsigned		 nexports;

	enum netd_state		 state;
	struct event_base	*base;
	struct event		*ev_sock, *ev_sock_w, *ev_tx_bell, *ev_chan, *ev_stop;
	struct event		*ev_txsock_w;
	struct event		*ev_stats;
	bool			 sock_reading;

	struct netd_stats	 st;

	/*
	 * A reload that changes this NIC's exports hands us a new socket
	 * (nic-socket) whose locked filter admits the new set.  Both sockets
	 * get a copy of every frame for an export in both sets, so the old
	 * one is read until it is empty, then closed; a frame of the new one
	 * that the kernel stamped no later than the last frame read from the
	 * old one (both copies carry the same receive stamp) and that the old
	 * set admitted was already handled, and is dropped.
	 */
	int			 old_sock;	/* being drained; -1: none */
	uint64_t		 sock_seq;	/* the supervisor's number of sock */
	struct pktring		 old_pkt;	/* its receive ring */
	struct netd_export	 old_exports[NETD_MAX_EXPORTS];
	unsigned		 nold;
	uint64_t		 last_rx_ns;	/* stamp of the last frame read */
	uint64_t		 dup_cutoff_ns;	/* 0: no old socket was drained */
	uint64_t		 dups;		/* copies dropped after a switch */
};

int	netd_main(int argc, char *argv[]);

/* structural check of a received frame; -1 with *why, or 0 */
int	netd_check_frame(const struct netd *n, const uint8_t *frame, size_t len,
	    enum netd_drop *why);

#endif

/*
 * aoede-blockd: the one process that owns the images.  It serves the rx ring
 * of every attached NIC with the engine (engine.h) and answers through the
 * same NIC's tx ring, building each reply in the request's own buffer.
 */
#ifndef AOEDE_BLOCKD_H
#define AOEDE_BLOCKD_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "engine.h"
#include "msg.h"
#include "ring.h"

#define BLOCKD_MAX_EXPORTS	256
#define BLOCKD_MAX_NICS		EXPORT_MAX_NICS
#define BLOCKD_BATCH		64	/* requests per group commit */
#define BLOCKD_POLL_MAX_NS	1000000	/* longest busy-poll before the event
					 * loop runs again (channel, timers) */
#define BLOCKD_IO_WORKERS	64	/* RLIMIT_NPROC: io_uring's kernel workers */
#define BLOCKD_LAT_BUCKETS	32	/* log2 µs: bucket i holds [2^i, 2^(i+1)) µs */

struct blockd;

struct blockd_nic {
	struct blockd		*b;
	unsigned		 index;
	bool			 attached;
	int			 rx_bell, tx_bell;
	int			 ring_fd;	/* the memfd rr maps (closed on nic-remove) */
	struct ring_region	 rr;
	struct ring_cons	 rx;
	struct ring_prod	 tx;
	uint8_t			*owned;		/* owned[i]: buffer i is at blockd */
	struct nic_view		 view;
	struct event		*ev_bell;
	uint64_t		 requests, bad_desc, doorbells;
	/* asynchronous I/O: one slot per buffer, the requests still in the
	 * engine, and a generation that detaching bumps so that a late
	 * completion never reaches a ring netd has reset */
	struct engine_io	*ios;
	unsigned		 inflight;
	uint32_t		 gen;
	bool			 detach_pending;	/* answer nic-detached when inflight is 0 */
	bool			 tx_dirty;		/* replies put, not yet published */
};

struct blockd {
	pid_t			 parent;
	int			 chan;
	int			 state_dir;	/* the state directory; -1: none */
	struct engine		 eng;
	struct export		 exports[BLOCKD_MAX_EXPORTS];
	struct blockd_nic	 nics[BLOCKD_MAX_NICS];
	unsigned		 nnics;
	struct event_base	*base;
	struct event		*ev_chan, *ev_stats, *ev_aio;
	struct event		*ev_merge;	/* freeze.c: the next merge step */
	int			 aio_efd;		/* io_uring completions; -1: none */
	uint64_t		 loops, busy_ns, requests;
	uint64_t		 poll_ns;	/* busy-poll this long after the last
						 * request before sleeping; 0: never */
	/* service time per export: dequeued to answered (batch and commit included) */
	uint64_t		 lat[BLOCKD_MAX_EXPORTS][BLOCKD_LAT_BUCKETS];
};

/* the latency (µs) below which `permille`/1000 of the samples lie */
uint64_t	blockd_lat_percentile(const uint64_t hist[BLOCKD_LAT_BUCKETS], unsigned permille);

int	blockd_main(int argc, char *argv[]);

/* An export slot in use: a removed export keeps its slot (a request in
 * flight may still point at it) with an empty NIC mask, so the engine never
 * finds it, until an added export reuses it (reconf.c). */
static inline bool
blockd_export_live(const struct export *x)
{
	return x->nic_mask != 0;
}

/* blockd.c, for reconf.c */
void	blockd_name_export(struct export *x, unsigned i);
void	blockd_load_state(struct blockd *b, struct export *x);
void	blockd_map_ring(struct blockd *b, unsigned n, int ringfd, uint64_t nbufs,
	    uint64_t bufsize);
void	blockd_on_bell(evutil_socket_t fd, short ev, void *arg);
void	blockd_publish_all(struct blockd *b);

/* reconf.c: the reload messages (export-add, export-remove, export-nics,
 * nic-add, nic-remove) and the AoE state requests (state-get,
 * state-clear); true when m was one of them and has been handled */
bool	blockd_reconf_msg(struct blockd *b, struct msg_in *m);

/* blockd.c: send every NIC's pending replies; one export's counters to the
 * supervisor now */
void	blockd_publish_all(struct blockd *b);
void	blockd_send_export_stats(struct blockd *b, unsigned i);

/* freeze.c: load each export's shadow (a merge left running goes on), and
 * answer the supervisor's "freeze" and "unfreeze" */
struct msg_in;
void	freeze_init(struct blockd *b);
/* reconf.c: an export was added in `slot` with its shadow directory (-1:
 * none), or is being removed (its shadow files stay on disk) */
void	freeze_export_added(struct blockd *b, unsigned slot, int dirfd);
void	freeze_export_removed(struct export *x);
void	freeze_handle_msg(struct blockd *b, struct msg_in *m);

/* parse one -x export description into x; 0 or -1 with *why */
int	blockd_parse_export(char *spec, struct export *x, const char **why);

#endif

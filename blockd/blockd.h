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
#include "ring.h"

#define BLOCKD_MAX_EXPORTS	256
#define BLOCKD_MAX_NICS		EXPORT_MAX_NICS
#define BLOCKD_BATCH		64	/* requests per group commit */
#define BLOCKD_IO_WORKERS	64	/* RLIMIT_NPROC: io_uring's kernel workers */
#define BLOCKD_LAT_BUCKETS	32	/* log2 µs: bucket i holds [2^i, 2^(i+1)) µs */

struct blockd;

struct blockd_nic {
	struct blockd		*b;
	unsigned		 index;
	bool			 attached;
	int			 rx_bell, tx_bell;
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
	int			 aio_efd;		/* io_uring completions; -1: none */
	uint64_t		 loops, busy_ns, requests;
	/* service time per export: dequeued to answered (batch and commit included) */
	uint64_t		 lat[BLOCKD_MAX_EXPORTS][BLOCKD_LAT_BUCKETS];
};

/* the latency (µs) below which `permille`/1000 of the samples lie */
uint64_t	blockd_lat_percentile(const uint64_t hist[BLOCKD_LAT_BUCKETS], unsigned permille);

int	blockd_main(int argc, char *argv[]);

/* parse one -x export description into x; 0 or -1 with *why */
int	blockd_parse_export(char *spec, struct export *x, const char **why);

#endif

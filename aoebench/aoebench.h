/*
 * aoebench: a userspace AoE initiator over AF_PACKET and a load generator.
 *
 * Modules: pkt (the packet socket), target (discovery and IDENTIFY),
 * path (noticing that the frame size changed under a run), pattern (the
 * sector contents), io (the request engine), report (latency histogram and
 * output).
 */
#ifndef AOEDE_AOEBENCH_H
#define AOEDE_AOEBENCH_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include <net/if.h>

#include "aoe.h"

#define SECTOR_SIZE		512

/* What the options asked for. */
struct bench_opts {
	const char	*ifname;
	int		 have_target;	/* -s and -l given */
	uint16_t	 shelf;
	uint8_t		 slot;
	uint32_t	 iosize;	/* bytes per request, multiple of 512 */
	uint32_t	 depth;		/* requests in flight */
	uint32_t	 window;	/* frames in flight cap (0: Buffer Count) */
	uint64_t	 first;		/* -o */
	uint64_t	 count;		/* -n, 0: to the end of the export */
	uint64_t	 seed;
	int		 random;
	int		 fixed_data;	/* -f: write data filled once per slot */
	int		 cpu;		/* -x: pin to this CPU, -1: do not */
	double		 seconds;	/* -t, 0: one pass */
	int		 have_mac;
	uint8_t		 mac[6];	/* -M */
	uint32_t	 rto_ms;	/* -w */
	uint32_t	 deadline_s;	/* -D */
	int		 json;
	int		 verbose;
	double		 listen_s;	/* discover: how long to collect answers */
	const char	*ext_words;	/* -X: 0x23 words, comma-separated */
	uint32_t	 read_pct;	/* -R: mix, share of reads in percent */
};

/* The packet socket bound to one interface. */
struct pkt {
	int		 fd;
	int		 ifindex;
	char		 ifname[IFNAMSIZ];
	unsigned	 mtu;
	uint8_t		 ifmac[6];	/* the interface's own */
	uint8_t		 mac[6];	/* what we send from (-M or ifmac) */
	size_t		 bufsize;	/* receive buffer per frame */
	uint64_t	 too_big;	/* sends refused for the MTU (EMSGSIZE) */
};

#define PKT_BATCH	32

/* A batch of received frames; frames point into the batch's buffers. */
struct pkt_batch {
	unsigned	 n;
	uint8_t		*buf;		/* PKT_BATCH × bufsize */
	size_t		 len[PKT_BATCH];
	uint8_t		*frame[PKT_BATCH];
};

/* Open an AF_PACKET socket on ifname for EtherType AoE; fatal on failure. */
void	pkt_open(struct pkt *p, const char *ifname, const uint8_t *srcmac);
void	pkt_close(struct pkt *p);
/* Pad and send one frame; 0, or -1 (EAGAIN: try later; other: lost). */
int	pkt_send(struct pkt *p, uint8_t *frame, size_t len, size_t cap);
/* Send up to n frames in one syscall; returns how many went (≥ 0), or -1
 * when nothing could be sent for lack of buffer space (EAGAIN). */
int	pkt_send_batch(struct pkt *p, uint8_t *const *frames, const size_t *lens,
	    unsigned n);
void	pkt_batch_init(struct pkt_batch *b, const struct pkt *p);
void	pkt_batch_free(struct pkt_batch *b);
/* Receive what is queued, up to PKT_BATCH frames, without blocking. */
int	pkt_recv_batch(struct pkt *p, struct pkt_batch *b);
/* Wait until readable (or writable when want_out) or timeout_ms passes. */
int	pkt_wait(struct pkt *p, int want_out, int timeout_ms);
/* Read the interface's MTU again (it may change under a run); grows the
 * receive buffer size to match.  1 when the MTU changed, 0 when not, -1
 * when it cannot be read (the interface is gone: keep the old one). */
int	pkt_refresh_mtu(struct pkt *p);

/* One answer to a Query Config, and what IDENTIFY told us. */
struct target {
	uint16_t	 shelf;
	uint8_t		 slot;
	uint8_t		 mac[6];
	uint16_t	 bufcnt;
	uint16_t	 fwver;
	uint8_t		 scnt;		/* as advertised; 0 means 2 */
	char		 config[AOE_CFG_MAX + 1];
	uint16_t	 cslen;
	/* from IDENTIFY */
	uint64_t	 sectors;
	int		 lba48;
	char		 model[41];
	char		 serial[21];
	char		 firmware[9];
	/* what the 0x23 extension command negotiated (-X) */
	int		 crc8x4;
};

/* Broadcast a Query Config and print every answer; returns how many. */
int	target_discover_all(struct pkt *p, const struct bench_opts *o);
/* Find the target to use (the first answer); 0, or -1 when none answers. */
int	target_find(struct pkt *p, const struct bench_opts *o, struct target *t);
/* Send IDENTIFY and fill the IDENTIFY fields of t; 0 or -1. */
int	target_identify(struct pkt *p, const struct bench_opts *o, struct target *t);
void	target_print_identify(const struct target *t, int json);
/* -X: send the 0x23 extension command with o->ext_words and wait for its
 * echo; sets t->crc8x4 when the target accepted "crc8x4".  0, or -1 when
 * no answer came or a word asked for was not accepted. */
int	target_extensions(struct pkt *p, const struct bench_opts *o,
	    struct target *t);
/* Sectors per frame: the target's Sector Count and our MTU, the smaller. */
unsigned target_frame_sectors(const struct target *t, const struct pkt *p);
/* A Query Config for t's shelf.slot, under a new tag of this module. */
size_t	target_cfg_request(const struct pkt *p, const struct target *t,
	    uint8_t *frame, size_t cap);
/* A config frame from t (same shelf.slot and MAC) seen during a run:
 * TARGET_CFG_ANSWER (an answer to our query: t's Sector Count and Buffer
 * Count updated), TARGET_CFG_ANNOUNCE (an unsolicited one: the target says
 * something changed) or TARGET_CFG_OTHER. */
enum target_cfg_kind { TARGET_CFG_OTHER, TARGET_CFG_ANSWER, TARGET_CFG_ANNOUNCE };
enum target_cfg_kind target_cfg_seen(const struct pkt *p, const uint8_t *f,
	    size_t len, struct target *t);

/*
 * The path to the target during a run.  A frame size learnt at start can
 * stop fitting (the MTU shrank on either end): frames are then dropped, or
 * refused by our own interface, or answered with an AoE error.  On such a
 * hint, as the Linux driver on re-discovery, we read our MTU again and ask
 * the target's Sector Count again; io re-splits what no longer fits.  Our
 * MTU is also looked at once a second, so the frames grow back too.
 */
struct path {
	struct pkt		*p;
	const struct bench_opts	*o;
	struct target		 t;		/* Sector Count as last answered */
	unsigned		 fsect;		/* sectors per frame now */
	int			 suspect;	/* a hint came: ask again */
	int			 asking;	/* a Query Config is out */
	uint32_t		 rto_ms;	/* its retransmission timeout */
	uint64_t		 resend_ns;	/* ... and when it is due */
	uint64_t		 quiet_ns;	/* no new question before */
	uint64_t		 mtu_check_ns;	/* next look at our MTU */
	uint64_t		 too_big_seen;	/* p->too_big when last looked */
	uint64_t		 asked;		/* re-discoveries started */
	int			 rx_grew;	/* receive buffers must grow */
};

void	path_init(struct path *pa, struct pkt *p, const struct bench_opts *o,
	    const struct target *t, uint64_t now);
/* Something hints that the path changed (a timeout, an AoE error, an
 * announcement): ask the target again at the next path_poll(). */
void	path_suspect(struct path *pa);
/* Send or resend the question, look at the MTU; returns when to be called
 * again.  pa->fsect may have changed afterwards. */
uint64_t path_poll(struct path *pa, uint64_t now);
/* A config frame came in during the run; 1 when pa->fsect may have
 * changed (a new answer), 0 otherwise. */
int	path_cfg_frame(struct path *pa, const uint8_t *f, size_t len,
	    uint64_t now);

/* Fill one sector with the pattern of (seed, lba). */
void	pattern_fill(uint8_t *sector, uint64_t seed, uint64_t lba);
/* 0 when the sector holds the pattern of (seed, lba), else the offset of
 * the first differing byte plus one. */
size_t	pattern_check(const uint8_t *sector, uint64_t seed, uint64_t lba);

#define REPORT_BUCKETS	(40 * 64)

/* The results of one phase (write, read or verify). */
struct report {
	const char	*command;
	char		 target[16];
	uint64_t	 bytes;
	uint64_t	 requests;
	uint64_t	 reads, writes;	/* mix: the requests of each kind */
	int		 mixed;		/* a mix phase: print reads and writes */
	uint64_t	 frames;
	uint64_t	 retransmits;
	uint64_t	 late;
	uint64_t	 aoe_errors;	/* replies with the AoE E flag */
	uint64_t	 bad;		/* malformed replies */
	uint64_t	 errors;	/* failed requests */
	uint64_t	 mismatches;	/* sectors that did not verify */
	uint64_t	 crc_errors;	/* crc8x4: bad read CRCs, writes refused
					 * for a bad CRC (both retried) */
	uint64_t	 rediscoveries;	/* Query Configs asked again mid-run */
	uint64_t	 resplits;	/* frames cut again to a smaller size */
	unsigned	 fsect_first;	/* sectors per frame at the start */
	unsigned	 fsect_min;	/* ... the smallest during the run */
	unsigned	 fsect_last;	/* ... at the end */
	double		 seconds;
	uint64_t	 lat_count;
	uint64_t	 lat_max;
	uint64_t	 lat[REPORT_BUCKETS];
};

void	report_init(struct report *r, const char *command, const struct target *t);
void	report_latency(struct report *r, uint64_t usec);
uint64_t report_percentile(const struct report *r, double pct);
/* Add b's counts into a (a total over phases). */
void	report_merge(struct report *a, const struct report *b);
/* Print the phases (and their total when there are several). */
void	report_print(struct report *const *phases, unsigned n, int json);
/* A string of len bytes as a JSON string, or quoted with C escapes. */
void	report_json_string(FILE *f, const char *s, size_t len);
void	report_text_string(FILE *f, const char *s, size_t len);

/* IO_MIX: each request is a read or a write at random (-R);
 * IO_MIXVERIFY: the same, and every read is checked against the pattern */
enum io_kind { IO_WRITE, IO_READ, IO_VERIFY, IO_MIX, IO_MIXVERIFY };

/* Run one phase over [first, first + count) of t; fills r.  t's Sector
 * Count is left as the phase last learnt it (it may change under a run). */
void	io_run(struct pkt *p, const struct bench_opts *o, struct target *t,
	    enum io_kind kind, uint64_t first, uint64_t count, struct report *r);
/* Async-signal-safe: start no more requests, finish those in flight. */
void	io_interrupt(void);

#endif

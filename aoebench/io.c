/*
 * The request engine: keeps `depth` I/O requests in flight, splits each
 * into frames as the Linux driver does (at most the target's Sector Count
 * and what our MTU carries per frame), never has more frames out than the
 * target's Buffer Count, and retransmits each frame under a new tag with
 * exponential backoff until it is answered or its request runs out of time.
 *
 * The frame size may shrink under a run (an MTU change: see path.c).  Then
 * every frame queued or in flight that is larger than the new size is given
 * up (its tag dropped, so a late answer to it no longer counts) and its
 * sectors are issued again, first, in frames that fit.  A request is done
 * only when every one of its sectors was answered, so a re-split write is
 * acknowledged only when all its pieces are.
 *
 * Tags: bit 31 set (userland), bits 30-10 a send counter, bits 9-0 the
 * frame slot, so a reply finds its frame without a search and an answer to
 * an older transmission of the same slot no longer matches.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "aoe.h"
#include "crc8x4.h"
#include "log.h"
#include "util.h"
#include "aoebench.h"

#define IO_SLOTS_MAX	1024		/* tag bits 9-0 */
#define IO_SLOT_MASK	(IO_SLOTS_MAX - 1)
#define IO_TAG_USER	0x80000000U
#define IO_RTO_MAX_MS	2000
#define IO_MISMATCH_LOG	5		/* mismatched sectors shown */
#define IO_ERROR_LOG	10		/* failed requests shown */
/* ATA error: interface CRC (a crc8x4 write whose CRC did not match) */
#define IO_ATA_ICRC	0x80
/* status bits the Linux driver takes as failure: BSY, DF, DRQ, ERR */
#define IO_ATA_FAIL	(ATA_STAT_BSY | ATA_STAT_DF | ATA_STAT_DRQ | ATA_STAT_ERR)

enum io_state { IO_FREE, IO_QUEUED, IO_INFLIGHT };

struct io_frame {
	enum io_state	 state;
	uint32_t	 tag;
	unsigned	 req;
	uint64_t	 lba;
	unsigned	 nsect;
	uint64_t	 due_ns;	/* retransmit when no answer by then */
	uint32_t	 rto_ms;
	uint8_t		*buf;
	size_t		 len;
};

/* Sectors of a request to issue again (a frame that was re-split). */
struct io_extent {
	unsigned	 req;
	uint64_t	 lba;
	uint32_t	 nsect;
};

struct io_req {
	int		 active;
	uint64_t	 lba;
	uint32_t	 nsect;
	uint32_t	 issued;	/* sectors put into frames */
	uint32_t	 done;		/* sectors answered */
	unsigned	 out;		/* its frames queued or in flight */
	uint64_t	 start_ns;
	int		 write;		/* a write request, else a read */
};

struct io_engine {
	struct pkt		*p;
	const struct bench_opts	*o;
	const struct target	*t;
	enum io_kind		 kind;
	struct report		*r;

	uint64_t		 first, end;	/* region [first, end) */
	uint64_t		 cursor;	/* next sequential LBA */
	uint64_t		 nreq;		/* requests in one pass */
	uint64_t		 made;		/* requests started */
	uint64_t		 stop_ns;	/* timed run: start no more after */
	int			 timed;
	uint64_t		 rng;
	uint64_t		 mixrng;	/* read or write: its own sequence,
						 * so -r offsets are those of a
						 * read or write run */
	unsigned		 iosect;
	unsigned		 fsect;		/* sectors per frame now */
	unsigned		 bufsect;	/* sectors a frame buffer holds */
	uint8_t			*bufmem;	/* the frame buffers, one block */
	struct path		 path;
	struct io_extent	*redo;		/* re-split sectors, oldest first */
	unsigned		 nredo, redo_cap;

	struct io_frame		*frames;
	unsigned		 nslots, out;	/* window and frames out */
	uint32_t		 seq;
	unsigned		*txq;		/* slots waiting to be sent */
	unsigned		 txn;
	int			 tx_blocked;

	struct io_req		*reqs;
	unsigned		 active;
	unsigned		*pend;		/* requests not fully issued, */
	unsigned		 pend_head;	/* oldest first, so none starves */
	unsigned		 pend_n;
	unsigned		*freeslots;	/* stack of free frame slots */
	unsigned		 nfree;

	struct aoe_hdr		 hdr;		/* template; tag set per frame */
	struct pkt_batch	 rx;
	uint64_t		 failed_logged;
};

static volatile sig_atomic_t	 io_interrupted;

/* From a signal handler: start no more requests, finish those in flight. */
void
io_interrupt(void)
{
	io_interrupted = 1;
}

/* xorshift64*: enough to scatter offsets, and repeatable per seed */
static uint64_t
io_xorshift(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static uint64_t
io_rand(struct io_engine *e)
{
	return io_xorshift(&e->rng);
}

static int
io_mixed(const struct io_engine *e)
{
	return e->kind == IO_MIX || e->kind == IO_MIXVERIFY;
}

/* Whether the next request writes: a mix draws -R against its own
 * sequence. */
static int
io_next_writes(struct io_engine *e)
{
	if (io_mixed(e))
		return io_xorshift(&e->mixrng) % 100 >= e->o->read_pct;
	return e->kind == IO_WRITE;
}

/* A read whose data is checked against the pattern. */
static int
io_verifies(const struct io_engine *e)
{
	return e->kind == IO_VERIFY || e->kind == IO_MIXVERIFY;
}

static int
io_more(struct io_engine *e, uint64_t now)
{
	if (io_interrupted)
		return 0;
	if (e->timed)
		return now < e->stop_ns;
	return e->made < e->nreq;
}

static void
io_next_region(struct io_engine *e, uint64_t *lba, uint32_t *nsect)
{
	uint64_t	 k;

	if (e->o->random) {
		k = io_rand(e) % e->nreq;
		*lba = e->first + k * e->iosect;
	} else {
		if (e->cursor >= e->end)
			e->cursor = e->first;
		*lba = e->cursor;
	}
	*nsect = e->end - *lba < e->iosect ? e->end - *lba : e->iosect;
	e->cursor = *lba + *nsect;
}

static void
io_fill(struct io_engine *e, uint64_t now)
{
	struct io_req	*q;
	unsigned	 i;

	for (i = 0; i < e->o->depth && io_more(e, now); i++) {
		q = &e->reqs[i];
		if (q->active)
			continue;
		memset(q, 0, sizeof(*q));
		q->active = 1;
		q->start_ns = now;
		q->write = io_next_writes(e);
		io_next_region(e, &q->lba, &q->nsect);
		e->made++;
		e->active++;
		e->pend[(e->pend_head + e->pend_n++) % e->o->depth] = i;
	}
}

static uint32_t
io_new_tag(struct io_engine *e, unsigned slot)
{
	e->seq++;
	return IO_TAG_USER | (e->seq & 0x1fffff) << 10 | slot;
}

static void
io_set_tag(struct io_engine *e, struct io_frame *f, unsigned slot)
{
	f->tag = io_new_tag(e, slot);
	e->hdr.tag = f->tag;
	aoe_hdr_encode(f->buf, &e->hdr);
}

/* A frame buffer for n sectors: headers, data, and the crc8x4 trailer or
 * the padding to the Ethernet minimum. */
static size_t
io_frame_cap(unsigned n)
{
	return AOE_ATA_HDR_LEN + (size_t)n * SECTOR_SIZE + AOE_MIN_FRAME;
}

static void
io_build(struct io_engine *e, struct io_frame *f, unsigned slot)
{
	struct aoe_ata	 a;
	int		 w = e->reqs[f->req].write;
	unsigned	 i;
	size_t		 cap = io_frame_cap(e->bufsect);

	io_set_tag(e, f, slot);
	memset(&a, 0, sizeof(a));
	a.scnt = f->nsect;
	if (e->t->lba48) {
		a.aflags = AOE_AFLAG_EXT;
		a.cmd_status = w ? ATA_CMD_WRITE_EXT : ATA_CMD_READ_EXT;
		a.lba = f->lba & 0xffffffffffffULL;
	} else {
		/* LBA28: lba3 = 0xE0 | bits 24-27, as the Linux driver sends */
		a.cmd_status = w ? ATA_CMD_WRITE : ATA_CMD_READ;
		a.lba = (f->lba & 0xffffff) |
		    (uint64_t)(0xE0 | ((f->lba >> 24) & 0x0f)) << 24;
	}
	if (w)
		a.aflags |= AOE_AFLAG_WRITE;
	aoe_ata_encode(f->buf, &a);
	f->len = AOE_ATA_HDR_LEN;
	if (w && !e->o->fixed_data) {
		for (i = 0; i < f->nsect; i++)
			pattern_fill(f->buf + AOE_ATA_HDR_LEN + i * SECTOR_SIZE,
			    e->o->seed, f->lba + i);
	}
	if (w)
		f->len += f->nsect * SECTOR_SIZE;
	/* crc8x4: the request's argument block and data; the tag is not
	 * covered, so a retransmission keeps it */
	if (w && e->t->crc8x4) {
		crc8x4(f->buf + AOE_HDR_LEN, 12 + f->nsect * SECTOR_SIZE,
		    f->buf + f->len);
		f->len += CRC8X4_LEN;
	}
	f->len = aoe_pad(f->buf, f->len, cap);
}

static unsigned
io_free_slot(struct io_engine *e)
{
	if (e->nfree == 0)
		fatalx("no free frame slot with %u of %u out", e->out, e->nslots);
	return e->freeslots[--e->nfree];
}

static void
io_queue(struct io_engine *e, unsigned slot)
{
	e->frames[slot].state = IO_QUEUED;
	e->txq[e->txn++] = slot;
}

/* Put sectors [lba, lba + n) of request ri into a new frame, queued. */
static void
io_issue_frame(struct io_engine *e, unsigned ri, uint64_t lba, unsigned n)
{
	unsigned	 slot = io_free_slot(e);
	struct io_frame	*f = &e->frames[slot];

	f->req = ri;
	f->lba = lba;
	f->nsect = n;
	f->rto_ms = e->o->rto_ms;
	io_build(e, f, slot);
	e->reqs[ri].out++;
	e->out++;
	io_queue(e, slot);
}

/* Re-split sectors go out before new ones: their requests are older. */
static void
io_issue_redo(struct io_engine *e)
{
	struct io_extent	*x;
	unsigned		 n;

	while (e->nredo > 0 && e->out < e->nslots) {
		x = &e->redo[0];
		n = x->nsect < e->fsect ? x->nsect : e->fsect;
		io_issue_frame(e, x->req, x->lba, n);
		x->lba += n;
		x->nsect -= n;
		if (x->nsect == 0) {
			e->nredo--;
			memmove(e->redo, e->redo + 1, e->nredo * sizeof(*e->redo));
		}
	}
}

/* Split requests into frames while the window has room, oldest first. */
static void
io_issue(struct io_engine *e)
{
	struct io_req	*q;
	unsigned	 i, n;

	io_issue_redo(e);
	/* invariant: the queue holds active requests not fully issued,
	 * each once, so it never outgrows depth */
	while (e->pend_n > 0 && e->out < e->nslots) {
		i = e->pend[e->pend_head];
		q = &e->reqs[i];
		while (q->issued < q->nsect && e->out < e->nslots) {
			n = q->nsect - q->issued;
			if (n > e->fsect)
				n = e->fsect;
			io_issue_frame(e, i, q->lba + q->issued, n);
			q->issued += n;
		}
		if (q->issued == q->nsect) {
			e->pend_head = (e->pend_head + 1) % e->o->depth;
			e->pend_n--;
		}
	}
}

static void
io_flush(struct io_engine *e, uint64_t now)
{
	uint8_t		*bufs[PKT_BATCH];
	size_t		 lens[PKT_BATCH];
	struct io_frame	*f;
	uint64_t	 limit;
	unsigned	 i, n, sent = 0;
	int		 r;

	e->tx_blocked = 0;
	while (sent < e->txn) {
		n = e->txn - sent < PKT_BATCH ? e->txn - sent : PKT_BATCH;
		for (i = 0; i < n; i++) {
			bufs[i] = e->frames[e->txq[sent + i]].buf;
			lens[i] = e->frames[e->txq[sent + i]].len;
		}
		r = pkt_send_batch(e->p, bufs, lens, n);
		if (r <= 0) {
			e->tx_blocked = 1;
			break;
		}
		for (i = 0; i < (unsigned)r; i++) {
			f = &e->frames[e->txq[sent + i]];
			f->state = IO_INFLIGHT;
			f->due_ns = now + f->rto_ms * 1000000ULL;
			/* wake for -D too, not only at the next backoff step */
			limit = e->reqs[f->req].start_ns +
			    e->o->deadline_s * 1000000000ULL;
			if (f->due_ns > limit)
				f->due_ns = limit > now ? limit : now;
		}
		sent += r;
	}
	memmove(e->txq, e->txq + sent, (e->txn - sent) * sizeof(*e->txq));
	e->txn -= sent;
}

static void
io_release(struct io_engine *e, unsigned slot)
{
	struct io_frame	*f = &e->frames[slot];
	unsigned	 i;

	if (f->state == IO_QUEUED) {
		for (i = 0; i < e->txn; i++)
			if (e->txq[i] == slot)
				break;
		if (i < e->txn) {
			memmove(e->txq + i, e->txq + i + 1,
			    (e->txn - i - 1) * sizeof(*e->txq));
			e->txn--;
		}
	}
	f->state = IO_FREE;
	f->tag = 0;
	e->freeslots[e->nfree++] = slot;
	e->reqs[f->req].out--;
	e->out--;
}

static void
io_req_done(struct io_engine *e, unsigned ri, uint64_t now)
{
	struct io_req	*q = &e->reqs[ri];

	report_latency(e->r, (now - q->start_ns) / 1000);
	e->r->requests++;
	if (q->write)
		e->r->writes++;
	else
		e->r->reads++;
	e->r->bytes += (uint64_t)q->nsect * SECTOR_SIZE;
	q->active = 0;
	e->active--;
}

/* Take a request out of the issue queue before its index is reused. */
static void
io_pend_remove(struct io_engine *e, unsigned ri)
{
	unsigned	 i, j, d = e->o->depth;

	for (i = 0; i < e->pend_n; i++)
		if (e->pend[(e->pend_head + i) % d] == ri)
			break;
	if (i == e->pend_n)
		return;
	for (j = i; j + 1 < e->pend_n; j++)
		e->pend[(e->pend_head + j) % d] =
		    e->pend[(e->pend_head + j + 1) % d];
	e->pend_n--;
}

/* A failed request's re-split sectors are not issued any more. */
static void
io_redo_drop(struct io_engine *e, unsigned ri)
{
	unsigned	 i, kept = 0;

	for (i = 0; i < e->nredo; i++)
		if (e->redo[i].req != ri)
			e->redo[kept++] = e->redo[i];
	e->nredo = kept;
}

/* A failed request gives up its frames; their late answers are ignored. */
static void
io_req_fail(struct io_engine *e, unsigned ri, const char *why)
{
	struct io_req	*q = &e->reqs[ri];
	unsigned	 i;

	if (q->issued < q->nsect)
		io_pend_remove(e, ri);
	io_redo_drop(e, ri);

	if (e->failed_logged++ < IO_ERROR_LOG)
		log_warnx("%s: request at sector %llu (+%u) failed: %s",
		    e->r->command, (unsigned long long)q->lba, q->nsect, why);
	for (i = 0; i < e->nslots && q->out > 0; i++)
		if (e->frames[i].state != IO_FREE && e->frames[i].req == ri)
			io_release(e, i);
	e->r->errors++;
	q->active = 0;
	e->active--;
}

static void
io_verify(struct io_engine *e, const struct io_frame *f, const uint8_t *data)
{
	uint64_t	 lba, held, seed;
	unsigned	 i, k;
	size_t		 at;
	const uint8_t	*s;

	for (i = 0; i < f->nsect; i++) {
		lba = f->lba + i;
		s = data + i * SECTOR_SIZE;
		if ((at = pattern_check(s, e->o->seed, lba)) == 0)
			continue;
		if (e->r->mismatches++ >= IO_MISMATCH_LOG)
			continue;
		held = seed = 0;
		for (k = 0; k < 8; k++) {
			held |= (uint64_t)s[k] << (8 * k);
			seed |= (uint64_t)s[8 + k] << (8 * k);
		}
		log_warnx("verify: sector %llu differs at byte %zu (its header "
		    "says sector %llu, seed %llu)", (unsigned long long)lba,
		    at - 1, (unsigned long long)held, (unsigned long long)seed);
	}
}

/* crc8x4: a write refused for its CRC (ICRC), or a read reply whose CRC
 * does not match (or is missing) */
static int
io_crc_bad(const struct io_engine *e, const struct io_frame *f,
    const struct aoe_ata *a)
{
	size_t	 n = (size_t)f->nsect * SECTOR_SIZE;

	if (e->reqs[f->req].write)
		return (a->cmd_status & ATA_STAT_ERR) &&
		    (a->err_feature & IO_ATA_ICRC);
	if (a->cmd_status & IO_ATA_FAIL)
		return 0;
	return a->datalen < n + CRC8X4_LEN ||
	    !crc8x4_check(a->data - 12, 12 + n, a->data + n);
}

/* Which of our frames an ATA reply answers, or NULL (late or not ours). */
static struct io_frame *
io_match(struct io_engine *e, const struct aoe_hdr *h, unsigned *slot)
{
	struct io_frame	*f;

	/* another initiator sharing the interface (-M) gets its own */
	if (!(h->flags & AOE_FLAG_RESP) || h->cmd != AOE_CMD_ATA ||
	    memcmp(h->dst, e->p->mac, 6) != 0)
		return NULL;
	if (h->major != e->t->shelf || h->minor != e->t->slot)
		return NULL;
	*slot = h->tag & IO_SLOT_MASK;
	f = &e->frames[*slot];
	if (!(h->tag & IO_TAG_USER) || *slot >= e->nslots ||
	    f->state != IO_INFLIGHT || f->tag != h->tag) {
		e->r->late++;
		return NULL;
	}
	return f;
}

static void
io_reply(struct io_engine *e, const uint8_t *buf, size_t len, uint64_t now)
{
	struct aoe_hdr	 h;
	struct aoe_ata	 a;
	struct io_frame	*f;
	struct io_req	*q;
	unsigned	 slot, ri;
	char		 why[64];

	if (aoe_hdr_decode(buf, len, &h) != 0)
		return;
	if (h.cmd == AOE_CMD_CFG) {
		path_cfg_frame(&e->path, buf, len, now);
		return;
	}
	if ((f = io_match(e, &h, &slot)) == NULL)
		return;
	if (h.flags & AOE_FLAG_ERR) {
		/* as Linux: drop it and let the timer retransmit until -D; a
		 * frame too large for the target's MTU now (Bad Argument)
		 * is one reason, so ask its Sector Count again */
		e->r->aoe_errors++;
		log_debug("AoE error %u for tag %#x", h.error, h.tag);
		path_suspect(&e->path);
		return;
	}
	if (aoe_ata_decode(buf, len, &a) != 0) {
		e->r->bad++;
		return;
	}
	ri = f->req;
	q = &e->reqs[ri];
	if (e->t->crc8x4 && io_crc_bad(e, f, &a)) {
		/* the frame was damaged on the way: ask again (new tag) */
		e->r->crc_errors++;
		f->due_ns = now;
		return;
	}
	if (a.cmd_status & IO_ATA_FAIL) {
		snprintf(why, sizeof(why), "ATA status %#x error %#x",
		    a.cmd_status, a.err_feature);
		io_req_fail(e, ri, why);
		return;
	}
	if (!q->write && a.datalen < f->nsect * SECTOR_SIZE) {
		snprintf(why, sizeof(why), "runt read reply: %zu of %u bytes",
		    a.datalen, f->nsect * SECTOR_SIZE);
		io_req_fail(e, ri, why);
		return;
	}
	if (!q->write && io_verifies(e))
		io_verify(e, f, a.data);
	e->r->frames++;
	q->done += f->nsect;
	io_release(e, slot);
	if (q->done == q->nsect)
		io_req_done(e, ri, now);
}

/* Retransmit what is overdue; returns the next deadline (0: none). */
static uint64_t
io_timeouts(struct io_engine *e, uint64_t now)
{
	struct io_frame	*f;
	uint64_t	 next = 0, limit = e->o->deadline_s * 1000000000ULL;
	unsigned	 i;

	for (i = 0; i < e->nslots; i++) {
		f = &e->frames[i];
		if (f->state != IO_INFLIGHT)
			continue;
		if (now >= f->due_ns) {
			if (now - e->reqs[f->req].start_ns >= limit) {
				io_req_fail(e, f->req, "no answer (-D)");
				continue;
			}
			e->r->retransmits++;
			log_debug("retransmit sector %llu (+%u) after %u ms",
			    (unsigned long long)f->lba, f->nsect, f->rto_ms);
			/* lost: maybe the frame no longer fits the path */
			path_suspect(&e->path);
			f->rto_ms *= 2;
			if (f->rto_ms > IO_RTO_MAX_MS)
				f->rto_ms = IO_RTO_MAX_MS;
			/* a new tag, like Linux: an answer to the old one is late */
			io_set_tag(e, f, i);
			io_queue(e, i);
			continue;
		}
		if (next == 0 || f->due_ns < next)
			next = f->due_ns;
	}
	return next;
}

static void
io_fill_fixed(struct io_engine *e, struct io_frame *f, unsigned slot)
{
	unsigned	 i;

	for (i = 0; i < e->bufsect; i++)
		pattern_fill(f->buf + AOE_ATA_HDR_LEN + i * SECTOR_SIZE,
		    e->o->seed, (uint64_t)slot * e->bufsect + i);
}

static void
io_redo_push(struct io_engine *e, unsigned ri, uint64_t lba, uint32_t nsect)
{
	struct io_extent	*x;
	unsigned		 cap;

	if (e->nredo == e->redo_cap) {
		cap = e->redo_cap ? 2 * e->redo_cap : e->nslots;
		if ((x = reallocarray(e->redo, cap, sizeof(*x))) == NULL)
			fatal("reallocarray");
		e->redo = x;
		e->redo_cap = cap;
	}
	x = &e->redo[e->nredo++];
	x->req = ri;
	x->lba = lba;
	x->nsect = nsect;
}

/*
 * The frame size shrank: frames larger than it will never be answered, and
 * retransmitting them as they are would only wait for -D.  Give each one up
 * (io_release drops its tag, so a late answer to it is ignored) and hand its
 * sectors back to be issued again in frames that fit.
 */
static void
io_resplit(struct io_engine *e)
{
	struct io_frame	*f;
	unsigned	 i;

	for (i = 0; i < e->nslots; i++) {
		f = &e->frames[i];
		if (f->state == IO_FREE || f->nsect <= e->fsect)
			continue;
		io_redo_push(e, f->req, f->lba, f->nsect);
		io_release(e, i);
		e->r->resplits++;
	}
}

/* One block of nslots frame buffers of nsect sectors each; the frames
 * point into it.  With oldcap (the capacity of the frames' previous
 * buffers, which the caller frees after), what each frame holds is carried
 * over: queued frames are sent from there. */
static void
io_alloc_buffers(struct io_engine *e, unsigned nsect, size_t oldcap)
{
	size_t		 cap = io_frame_cap(nsect), stride;
	unsigned	 i;

	/* placed for the kernel's copy out of them (proto/util.h) */
	if ((e->bufmem = frame_bufs_alloc(e->nslots, cap, &stride)) == NULL)
		fatal("frame buffers");
	e->bufsect = nsect;
	for (i = 0; i < e->nslots; i++) {
		uint8_t	*prev = e->frames[i].buf;

		e->frames[i].buf = e->bufmem + i * stride + FRAME_BUF_OFF;
		if (oldcap > 0)
			memcpy(e->frames[i].buf, prev, oldcap);
		/* -f: the pattern of some other LBA, written once: what lands
		 * on the target cannot be verified, but the initiator no
		 * longer spends most of its CPU time making data (so filling
		 * a queued frame again on growth changes nothing that counts) */
		if (e->o->fixed_data && (e->kind == IO_WRITE || io_mixed(e)))
			io_fill_fixed(e, &e->frames[i], i);
	}
}

/* The frame size grew past what the buffers hold (the run started at a
 * smaller MTU): larger buffers, keeping what queued frames hold. */
static void
io_grow_buffers(struct io_engine *e, unsigned nsect)
{
	uint8_t	*old = e->bufmem;

	io_alloc_buffers(e, nsect, io_frame_cap(e->bufsect));
	free(old);
}

/* Follow what path.c learnt: larger receive buffers, another frame size. */
static void
io_path_apply(struct io_engine *e)
{
	unsigned	 n = e->path.fsect;

	if (e->path.rx_grew) {
		/* never while a batch is being read: only from io_loop */
		e->path.rx_grew = 0;
		pkt_batch_free(&e->rx);
		pkt_batch_init(&e->rx, e->p);
	}
	if (n == e->fsect)
		return;
	if (n > e->bufsect)
		io_grow_buffers(e, n);
	e->fsect = n;
	if (n < e->r->fsect_min)
		e->r->fsect_min = n;
	e->r->fsect_last = n;
	io_resplit(e);
}

static void
io_setup(struct io_engine *e, struct pkt *p, const struct bench_opts *o,
    const struct target *t)
{
	unsigned	 i;

	path_init(&e->path, p, o, t, now_ns());
	e->fsect = e->bufsect = e->path.fsect;
	e->r->fsect_first = e->r->fsect_min = e->r->fsect_last = e->fsect;
	e->nslots = t->bufcnt ? t->bufcnt : 1;
	if (o->window && o->window < e->nslots)
		e->nslots = o->window;
	if (e->nslots > IO_SLOTS_MAX)
		e->nslots = IO_SLOTS_MAX;
	e->frames = calloc(e->nslots, sizeof(*e->frames));
	e->txq = calloc(e->nslots, sizeof(*e->txq));
	e->reqs = calloc(o->depth, sizeof(*e->reqs));
	e->pend = calloc(o->depth, sizeof(*e->pend));
	e->freeslots = calloc(e->nslots, sizeof(*e->freeslots));
	if (e->frames == NULL || e->txq == NULL || e->reqs == NULL ||
	    e->pend == NULL || e->freeslots == NULL)
		fatal("calloc");
	/* lowest slot on top: slots are reused in a stable order */
	for (i = 0; i < e->nslots; i++)
		e->freeslots[e->nfree++] = e->nslots - 1 - i;
	io_alloc_buffers(e, e->bufsect, 0);
	memset(&e->hdr, 0, sizeof(e->hdr));
	memcpy(e->hdr.dst, t->mac, 6);
	memcpy(e->hdr.src, p->mac, 6);
	e->hdr.type = AOE_ETHERTYPE;
	e->hdr.ver = AOE_VERSION;
	e->hdr.major = t->shelf;
	e->hdr.minor = t->slot;
	e->hdr.cmd = AOE_CMD_ATA;
	pkt_batch_init(&e->rx, p);
	log_debug("%u sectors per frame, %u frames in flight at most, depth %u",
	    e->fsect, e->nslots, o->depth);
}

static void
io_teardown(struct io_engine *e)
{
	free(e->bufmem);
	free(e->frames);
	free(e->txq);
	free(e->reqs);
	free(e->pend);
	free(e->freeslots);
	free(e->redo);
	pkt_batch_free(&e->rx);
}

static int
io_wait_ms(uint64_t now, uint64_t until)
{
	if (until == 0)
		return 1000;
	if (until <= now)
		return 0;
	return (until - now + 999999) / 1000000;
}

static void
io_loop(struct io_engine *e, uint64_t start)
{
	uint64_t	 now = start, next, path_next, until;
	unsigned	 i, rounds;

	for (;;) {
		io_fill(e, now);
		io_issue(e);
		if (e->txn > 0)
			io_flush(e, now);
		if (e->active == 0 && !io_more(e, now))
			break;
		next = io_timeouts(e, now);
		/* after the timeouts and sends: they are what hints at a
		 * changed path */
		path_next = path_poll(&e->path, now);
		if (e->path.fsect != e->fsect || e->path.rx_grew) {
			io_path_apply(e);
			continue;	/* issue the re-split sectors */
		}
		if ((e->txn > 0 && !e->tx_blocked) || e->active == 0)
			continue;	/* retransmissions to send, or all failed */
		until = next == 0 || path_next < next ? path_next : next;
		if (e->timed && now < e->stop_ns && !io_interrupted &&
		    (until == 0 || e->stop_ns < until))
			until = e->stop_ns;
		pkt_wait(e->p, e->tx_blocked, io_wait_ms(now, until));
		/* drain what is queued, but let sends interleave */
		for (rounds = 0; rounds < 8; rounds++) {
			if (pkt_recv_batch(e->p, &e->rx) <= 0)
				break;
			now = now_ns();
			for (i = 0; i < e->rx.n; i++)
				io_reply(e, e->rx.frame[i], e->rx.len[i], now);
			if (e->rx.n < PKT_BATCH)
				break;
		}
		now = now_ns();
	}
}

void
io_run(struct pkt *p, const struct bench_opts *o, struct target *t,
    enum io_kind kind, uint64_t first, uint64_t count, struct report *r)
{
	struct io_engine	 e;
	uint64_t		 start;

	memset(&e, 0, sizeof(e));
	e.p = p;
	e.o = o;
	e.t = t;
	e.kind = kind;
	e.r = r;
	e.first = e.cursor = first;
	e.end = first + count;
	e.iosect = o->iosize / SECTOR_SIZE;
	e.nreq = (count + e.iosect - 1) / e.iosect;
	e.rng = o->seed * 0x9E3779B97F4A7C15ULL | 1;
	e.mixrng = (o->seed + 1) * 0xD1B54A32D192ED03ULL | 1;
	r->mixed = io_mixed(&e);
	io_setup(&e, p, o, t);
	start = now_ns();
	e.timed = o->seconds > 0;
	e.stop_ns = start + (uint64_t)(o->seconds * 1e9);
	io_loop(&e, start);
	r->seconds = (now_ns() - start) / 1e9;
	r->rediscoveries = e.path.asked;
	/* the next phase starts from what this one learnt */
	t->scnt = e.path.t.scnt;
	io_teardown(&e);
}

/*
 * Finding a target: Query Config (broadcast, or addressed to one shelf.slot)
 * and ATA IDENTIFY DEVICE, each retransmitted with backoff until answered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aoe.h"
#include "log.h"
#include "util.h"
#include "aoebench.h"

#define TARGET_MAX	256	/* answers discover keeps */
#define TARGET_RTO_MAX	2000	/* ms */

static const uint8_t	 target_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/*
 * Tags of this module: bit 31 set as userland tools do, bits 30-16 from the
 * pid (two aoebench processes sharing a MAC by mistake still do not take
 * each other's answers), bits 15-0 a counter.  Every retransmission takes
 * a new tag; any tag sent so far is accepted, an old answer is as good as
 * a new one for discovery and IDENTIFY.
 */
static uint32_t	 target_tag_base;
static uint32_t	 target_tag_next;

/* a request builder and an answer reader, for target_ask() */
typedef size_t	(*target_req_fn)(const struct pkt *, const struct bench_opts *,
		    const struct target *, uint8_t *, size_t);
typedef int	(*target_answer_fn)(const struct pkt *, const uint8_t *, size_t,
		    struct target *);

static uint32_t
target_new_tag(void)
{
	if (target_tag_base == 0)
		target_tag_base = 0x80000000U | ((getpid() & 0x7fffU) << 16);
	return target_tag_base | (target_tag_next++ & 0xffff);
}

static int
target_tag_ours(uint32_t tag)
{
	return (tag & 0xffff0000U) == target_tag_base &&
	    (tag & 0xffff) < target_tag_next;
}

/* The common checks on an answer: AoE, a response, to us, for our tags,
 * the command we asked.  Returns 0 when it passes. */
static int
target_answer(const struct pkt *p, const uint8_t *f, size_t len, uint8_t cmd,
    struct aoe_hdr *h)
{
	if (aoe_hdr_decode(f, len, h) != 0)
		return -1;
	if (!(h->flags & AOE_FLAG_RESP) || h->cmd != cmd)
		return -1;
	if (memcmp(h->dst, p->mac, 6) != 0 || !target_tag_ours(h->tag))
		return -1;
	if (h->flags & AOE_FLAG_ERR) {
		log_debug("e%u.%u answered with AoE error %u", h->major,
		    h->minor, h->error);
		return -1;
	}
	return 0;
}

/* The AoE header of a request from us to dst, under a new tag. */
static void
target_request_hdr(const struct pkt *p, const uint8_t dst[6], uint16_t shelf,
    uint8_t slot, uint8_t cmd, uint8_t *frame)
{
	struct aoe_hdr	 h;

	memset(&h, 0, sizeof(h));
	memcpy(h.dst, dst, 6);
	memcpy(h.src, p->mac, 6);
	h.type = AOE_ETHERTYPE;
	h.ver = AOE_VERSION;
	h.major = shelf;
	h.minor = slot;
	h.cmd = cmd;
	h.tag = target_new_tag();
	aoe_hdr_encode(frame, &h);
}

/* A Query Config to shelf.slot (AOE_MAJOR_ANY, AOE_MINOR_ANY: to all),
 * broadcast as Linux sends it, under a new tag. */
static size_t
target_cfg_build(const struct pkt *p, uint16_t shelf, uint8_t slot,
    uint8_t *frame, size_t cap)
{
	struct aoe_cfg	 c;
	int		 len;

	target_request_hdr(p, target_bcast, shelf, slot, AOE_CMD_CFG, frame);
	memset(&c, 0, sizeof(c));
	c.ccmd = AOE_CCMD_READ;
	len = aoe_cfg_encode(frame, cap, &c);
	if (len < 0)
		fatalx("config query does not fit");
	return aoe_pad(frame, len, cap);
}

static size_t
target_cfg_query(const struct pkt *p, const struct bench_opts *o,
    uint8_t *frame, size_t cap)
{
	return target_cfg_build(p, o->have_target ? o->shelf : AOE_MAJOR_ANY,
	    o->have_target ? o->slot : AOE_MINOR_ANY, frame, cap);
}

size_t
target_cfg_request(const struct pkt *p, const struct target *t,
    uint8_t *frame, size_t cap)
{
	return target_cfg_build(p, t->shelf, t->slot, frame, cap);
}

/* An unsolicited config response: broadcast, tag 0 (the target announces
 * itself at start, when its link comes back or its MTU changed). */
static int
target_cfg_is_announce(const struct aoe_hdr *h)
{
	return (h->flags & AOE_FLAG_RESP) && !(h->flags & AOE_FLAG_ERR) &&
	    h->cmd == AOE_CMD_CFG && h->tag == 0 &&
	    memcmp(h->dst, target_bcast, 6) == 0;
}

enum target_cfg_kind
target_cfg_seen(const struct pkt *p, const uint8_t *f, size_t len,
    struct target *t)
{
	struct aoe_hdr	 h;
	struct aoe_cfg	 c;

	if (aoe_hdr_decode(f, len, &h) != 0 || h.cmd != AOE_CMD_CFG ||
	    h.major != t->shelf || h.minor != t->slot ||
	    memcmp(h.src, t->mac, 6) != 0)
		return TARGET_CFG_OTHER;
	if (target_cfg_is_announce(&h))
		return TARGET_CFG_ANNOUNCE;
	if (target_answer(p, f, len, AOE_CMD_CFG, &h) != 0 ||
	    aoe_cfg_decode(f, len, &c) != 0)
		return TARGET_CFG_OTHER;
	t->scnt = c.scnt;
	t->bufcnt = c.bufcnt;
	return TARGET_CFG_ANSWER;
}

/* Decode a config answer into t; 0 when it is one we want. */
static int
target_cfg_answer(const struct pkt *p, const struct bench_opts *o,
    const uint8_t *f, size_t len, struct target *t)
{
	struct aoe_hdr	 h;
	struct aoe_cfg	 c;

	if (target_answer(p, f, len, AOE_CMD_CFG, &h) != 0)
		return -1;
	if (aoe_cfg_decode(f, len, &c) != 0)
		return -1;
	/* a target must answer with its real address (PROTOCOL §1.1) */
	if (h.major == AOE_MAJOR_ANY || h.minor == AOE_MINOR_ANY)
		return -1;
	if (o->have_target && (h.major != o->shelf || h.minor != o->slot))
		return -1;
	memset(t, 0, sizeof(*t));
	t->shelf = h.major;
	t->slot = h.minor;
	memcpy(t->mac, h.src, 6);
	t->bufcnt = c.bufcnt;
	t->fwver = c.fwver;
	t->scnt = c.scnt;
	t->cslen = c.cslen;
	memcpy(t->config, c.cs, c.cslen);
	t->config[c.cslen] = '\0';
	return 0;
}

static uint32_t
target_backoff(uint32_t rto)
{
	rto *= 2;
	return rto > TARGET_RTO_MAX ? TARGET_RTO_MAX : rto;
}

static int
target_known(const struct target *ts, int n, const struct target *t)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (ts[i].shelf == t->shelf && ts[i].slot == t->slot &&
		    memcmp(ts[i].mac, t->mac, 6) == 0)
			return 1;
	return 0;
}

/*
 * Send the query, resend it with backoff, and collect answers until
 * `seconds` pass, or until the first answer when `first` is set.
 */
static int
target_collect(struct pkt *p, const struct bench_opts *o, double seconds,
    int first, struct target *ts, int max)
{
	struct pkt_batch	 b;
	uint8_t			 q[AOE_CFG_HDR_LEN + AOE_MIN_FRAME];
	struct target		 t;
	uint64_t		 now, end, resend;
	uint32_t		 rto = o->rto_ms;
	size_t			 qlen;
	unsigned		 i;
	int			 n = 0, wait;

	pkt_batch_init(&b, p);
	now = now_ns();
	end = now + (uint64_t)(seconds * 1e9);
	resend = now;
	while (now < end && !(first && n > 0)) {
		if (now >= resend) {
			qlen = target_cfg_query(p, o, q, sizeof(q));
			if (pkt_send(p, q, qlen, sizeof(q)) == -1)
				log_debug("config query: send failed");
			resend = now + rto * 1000000ULL;
			rto = target_backoff(rto);
		}
		wait = (int)(((resend < end ? resend : end) - now) / 1000000) + 1;
		pkt_wait(p, 0, wait);
		pkt_recv_batch(p, &b);
		for (i = 0; i < b.n && n < max; i++) {
			if (target_cfg_answer(p, o, b.frame[i], b.len[i], &t))
				continue;
			if (!target_known(ts, n, &t))
				ts[n++] = t;
		}
		now = now_ns();
	}
	pkt_batch_free(&b);
	return n;
}

static void
target_print_cfg(const struct target *ts, int n, int json)
{
	char	 mac[MAC_STRLEN];
	int	 i;

	if (json) {
		printf("{\"command\":\"discover\",\"targets\":[");
		for (i = 0; i < n; i++) {
			printf("%s{\"target\":\"e%u.%u\",\"shelf\":%u,"
			    "\"slot\":%u,\"mac\":\"%s\",\"bufcnt\":%u,"
			    "\"scnt\":%u,\"firmware\":%u,\"config\":",
			    i ? "," : "", ts[i].shelf, ts[i].slot, ts[i].shelf,
			    ts[i].slot, mac_format(ts[i].mac, mac),
			    ts[i].bufcnt, ts[i].scnt, ts[i].fwver);
			report_json_string(stdout, ts[i].config, ts[i].cslen);
			printf("}");
		}
		printf("]}\n");
		return;
	}
	printf("%-10s %-17s %6s %5s %8s  %s\n", "target", "mac", "bufcnt",
	    "scnt", "firmware", "config");
	for (i = 0; i < n; i++) {
		char	 name[16];

		snprintf(name, sizeof(name), "e%u.%u", ts[i].shelf, ts[i].slot);
		printf("%-10s %-17s %6u %5u   0x%04x  ", name,
		    mac_format(ts[i].mac, mac), ts[i].bufcnt, ts[i].scnt,
		    ts[i].fwver);
		report_text_string(stdout, ts[i].config, ts[i].cslen);
		printf("\n");
	}
}

int
target_discover_all(struct pkt *p, const struct bench_opts *o)
{
	struct target	*ts;
	int		 n;

	ts = calloc(TARGET_MAX, sizeof(*ts));
	if (ts == NULL)
		fatal("calloc");
	n = target_collect(p, o, o->listen_s, 0, ts, TARGET_MAX);
	target_print_cfg(ts, n, o->json);
	free(ts);
	return n;
}

int
target_find(struct pkt *p, const struct bench_opts *o, struct target *t)
{
	char	 mac[MAC_STRLEN];

	if (target_collect(p, o, o->deadline_s, 1, t, 1) < 1)
		return -1;
	log_debug("target e%u.%u at %s: bufcnt %u, scnt %u, firmware %#x",
	    t->shelf, t->slot, mac_format(t->mac, mac), t->bufcnt, t->scnt,
	    t->fwver);
	return 0;
}

static size_t
target_identify_req(const struct pkt *p, const struct bench_opts *o,
    const struct target *t, uint8_t *frame, size_t cap)
{
	struct aoe_ata	 a;

	target_request_hdr(p, t->mac, t->shelf, t->slot, AOE_CMD_ATA, frame);
	memset(&a, 0, sizeof(a));
	a.scnt = 1;
	a.cmd_status = ATA_CMD_IDENTIFY;
	a.lba = (uint64_t)0xA0 << 24;	/* lba3 as Linux sends it */
	aoe_ata_encode(frame, &a);
	return aoe_pad(frame, AOE_ATA_HDR_LEN, cap);
}

static unsigned
target_word(const uint8_t *d, unsigned w)
{
	return d[2 * w] | d[2 * w + 1] << 8;
}

/* ATA strings hold two characters per word, the first in the high byte;
 * trailing blanks are padding. */
static void
target_ata_string(const uint8_t *d, unsigned w0, unsigned nwords, char *out)
{
	unsigned	 i;
	size_t		 n = 0;

	for (i = 0; i < nwords; i++) {
		out[n++] = d[2 * (w0 + i) + 1];
		out[n++] = d[2 * (w0 + i)];
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\0'))
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			out[i] = '?';
}

static void
target_parse_identify(const uint8_t *d, struct target *t)
{
	uint64_t	 v;
	int		 i;

	/* words 83 or 86, bit 10: LBA48, as the Linux driver reads it */
	t->lba48 = ((target_word(d, 83) | target_word(d, 86)) & (1 << 10)) != 0;
	if (t->lba48) {
		v = 0;
		for (i = 3; i >= 0; i--)
			v = v << 16 | target_word(d, 100 + i);
	} else
		v = target_word(d, 60) | (uint64_t)target_word(d, 61) << 16;
	t->sectors = v;
	target_ata_string(d, 10, 10, t->serial);
	target_ata_string(d, 23, 4, t->firmware);
	target_ata_string(d, 27, 20, t->model);
}

/* 1: the IDENTIFY answer is in, 0: not ours, -1: the target refused. */
static int
target_identify_answer(const struct pkt *p, const uint8_t *f, size_t len,
    struct target *t)
{
	struct aoe_hdr	 h;
	struct aoe_ata	 a;

	if (target_answer(p, f, len, AOE_CMD_ATA, &h) != 0)
		return 0;
	if (h.major != t->shelf || h.minor != t->slot)
		return 0;
	if (aoe_ata_decode(f, len, &a) != 0)
		return 0;
	if (a.cmd_status & (ATA_STAT_ERR | ATA_STAT_DF)) {
		log_warnx("e%u.%u: IDENTIFY failed: status %#x error %#x",
		    t->shelf, t->slot, a.cmd_status, a.err_feature);
		return -1;
	}
	if (a.datalen < SECTOR_SIZE) {
		log_warnx("e%u.%u: IDENTIFY answer of %zu bytes (runt)",
		    t->shelf, t->slot, a.datalen);
		return -1;
	}
	target_parse_identify(a.data, t);
	return 1;
}

/* One request until the target answers it or the deadline passes: a new
 * tag and a longer timeout at every retransmission, as Linux does.
 * 1 answered, -1 answered with a refusal, 0 no answer. */
static int
target_ask(struct pkt *p, const struct bench_opts *o, struct target *t,
    target_req_fn req, target_answer_fn answer)
{
	struct pkt_batch	 b;
	uint8_t			 q[512];
	uint64_t		 now, end, resend;
	uint32_t		 rto = o->rto_ms;
	size_t			 qlen;
	unsigned		 i;
	int			 r = 0;

	pkt_batch_init(&b, p);
	now = now_ns();
	end = now + o->deadline_s * 1000000000ULL;
	resend = now;
	while (r == 0 && now < end) {
		if (now >= resend) {
			qlen = req(p, o, t, q, sizeof(q));
			if (pkt_send(p, q, qlen, sizeof(q)) == -1)
				log_debug("e%u.%u: send failed", t->shelf, t->slot);
			resend = now + rto * 1000000ULL;
			rto = target_backoff(rto);
		}
		pkt_wait(p, 0, (int)((resend - now) / 1000000) + 1);
		pkt_recv_batch(p, &b);
		for (i = 0; i < b.n && r == 0; i++)
			r = answer(p, b.frame[i], b.len[i], t);
		now = now_ns();
	}
	pkt_batch_free(&b);
	return r;
}

int
target_identify(struct pkt *p, const struct bench_opts *o, struct target *t)
{
	int	 r = target_ask(p, o, t, target_identify_req, target_identify_answer);

	if (r == 0)
		log_warnx("e%u.%u: no answer to IDENTIFY", t->shelf, t->slot);
	return r == 1 ? 0 : -1;
}

void
target_print_identify(const struct target *t, int json)
{
	char	 mac[MAC_STRLEN];

	if (json) {
		printf("{\"command\":\"identify\",\"target\":\"e%u.%u\","
		    "\"mac\":\"%s\",\"sectors\":%llu,\"bytes\":%llu,"
		    "\"lba48\":%s,\"model\":", t->shelf, t->slot,
		    mac_format(t->mac, mac), (unsigned long long)t->sectors,
		    (unsigned long long)t->sectors * SECTOR_SIZE,
		    t->lba48 ? "true" : "false");
		report_json_string(stdout, t->model, strlen(t->model));
		printf(",\"serial\":");
		report_json_string(stdout, t->serial, strlen(t->serial));
		printf(",\"firmware\":");
		report_json_string(stdout, t->firmware, strlen(t->firmware));
		printf("}\n");
		return;
	}
	printf("target    e%u.%u\n", t->shelf, t->slot);
	printf("mac       %s\n", mac_format(t->mac, mac));
	printf("sectors   %llu (%llu bytes)\n", (unsigned long long)t->sectors,
	    (unsigned long long)t->sectors * SECTOR_SIZE);
	printf("lba48     %s\n", t->lba48 ? "yes" : "no");
	printf("model     %s\n", t->model);
	printf("serial    %s\n", t->serial);
	printf("firmware  %s\n", t->firmware);
}

unsigned
target_frame_sectors(const struct target *t, const struct pkt *p)
{
	unsigned	 n = t->scnt ? t->scnt : 2;
	unsigned	 m = aoe_mtu_sectors(p->mtu);

	if (m < n)
		n = m;
	return n ? n : 1;
}

/* The 0x23 request: the -X words, NUL-separated, ending in two NULs. */
static size_t
target_ext_req(const struct pkt *p, const struct bench_opts *o,
    const struct target *t, uint8_t *frame, size_t cap)
{
	uint8_t		 words[256];
	size_t		 n, i;
	int		 len;

	n = strlen(o->ext_words);
	if (n + 2 > sizeof(words))
		fatalx("-X %s: too long", o->ext_words);
	for (i = 0; i < n; i++)
		words[i] = o->ext_words[i] == ',' ? '\0' : (uint8_t)o->ext_words[i];
	words[n++] = '\0';
	words[n++] = '\0';
	target_request_hdr(p, t->mac, t->shelf, t->slot, AOE_CMD_EXT, frame);
	if ((len = aoe_ext_encode(frame, cap, words, (uint16_t)n)) < 0)
		fatalx("-X %s: too long", o->ext_words);
	return aoe_pad(frame, (size_t)len, cap);
}

/* 1: every word came back accepted (in capitals), -1: one did not,
 * 0: not the answer */
static int
target_ext_answer(const struct pkt *p, const uint8_t *f, size_t len,
    struct target *t)
{
	struct aoe_hdr	 h;
	struct aoe_ext	 e;
	size_t		 pos = 0, start, i;
	int		 n, ok = 1;
	char		 w[64];

	if (target_answer(p, f, len, AOE_CMD_EXT, &h) != 0 ||
	    aoe_ext_decode(f, len, &e) != 0)
		return 0;
	while ((n = aoe_ext_next_word(&e, &pos, &start)) > 0) {
		if ((size_t)n >= sizeof(w))
			n = sizeof(w) - 1;
		memcpy(w, e.words + start, (size_t)n);
		w[n] = '\0';
		for (i = 0; i < (size_t)n; i++)
			if (w[i] >= 'a' && w[i] <= 'z')
				break;
		if (i < (size_t)n && !(w[0] >= '0' && w[0] <= '9')) {
			log_warnx("e%u.%u: extension \"%s\" not accepted",
			    t->shelf, t->slot, w);
			ok = 0;
		}
		if (strcmp(w, "CRC8X4") == 0)
			t->crc8x4 = 1;
	}
	return ok ? 1 : -1;
}

int
target_extensions(struct pkt *p, const struct bench_opts *o, struct target *t)
{
	int	 r;

	t->crc8x4 = 0;
	r = target_ask(p, o, t, target_ext_req, target_ext_answer);
	if (r == 0)
		log_warnx("e%u.%u: no answer to the extension command",
		    t->shelf, t->slot);
	else if (r == 1)
		log_debug("e%u.%u: extensions %s accepted%s", t->shelf,
		    t->slot, o->ext_words, t->crc8x4 ? " (crc8x4)" : "");
	return r == 1 ? 0 : -1;
}

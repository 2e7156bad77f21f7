/*
 * The extensions of the 2014 AoEde (docs/extensions.md): the 0x23 command,
 * CRC8x4 on read replies and write requests, and the per-initiator window
 * of recent writes that answers an exact duplicate without writing it again
 * (on for every initiator), with the 2014 tag ordering rule for initiators
 * that negotiated tag_inc_le/tag_inc_be.
 *
 * State is per export and per initiator MAC, in a table of EXT_PEERS_MAX
 * entries.  A new MAC takes a free entry, else the least recently used
 * entry of an initiator that negotiated nothing (it only loses its window:
 * a duplicate of one of its writes would then run again, as without this
 * module).  Peers that negotiated something are never evicted; when all
 * entries are such peers a new MAC is not tracked and its 0x23 is answered
 * with no word accepted.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crc8x4.h"
#include "engine_int.h"
#include "log.h"

#define EXT_WORD_MAX	32	/* longest word we look at */
#define EXT_LOG_FIRST	10	/* crc errors logged one by one, then 1 in 1000 */

uint64_t ext_clock_fixed;

static uint64_t
ext_now(void)
{
	struct timespec	 ts;

	if (ext_clock_fixed != 0)
		return ext_clock_fixed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct ext_peer *
ext_peer_find(struct export *x, const uint8_t mac[6])
{
	unsigned	 i;

	for (i = 0; i < EXT_PEERS_MAX; i++)
		if (x->ext.peers[i].used &&
		    memcmp(x->ext.peers[i].mac, mac, 6) == 0)
			return &x->ext.peers[i];
	return NULL;
}

static bool
ext_peer_negotiated(const struct ext_peer *p)
{
	return p->flags != 0 || p->tags != EXT_TAGS_ANY;
}

/* The peer of `mac`, created if need be; NULL when the table is full of
 * peers that negotiated something. */
static struct ext_peer *
ext_peer_get(struct export *x, const uint8_t mac[6])
{
	struct ext_peer	*p, *victim = NULL;
	unsigned	 i;

	if ((p = ext_peer_find(x, mac)) != NULL) {
		p->last_use = ++x->ext.stamp;
		return p;
	}
	for (i = 0; i < EXT_PEERS_MAX; i++) {
		p = &x->ext.peers[i];
		if (!p->used) {
			victim = p;
			break;
		}
		if (ext_peer_negotiated(p))
			continue;
		if (victim == NULL || p->last_use < victim->last_use)
			victim = p;
	}
	if (victim == NULL)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->mac, mac, 6);
	victim->used = true;
	victim->last_use = ++x->ext.stamp;
	return victim;
}

uint8_t
ext_peer_flags(struct export *x, const uint8_t mac[6])
{
	const struct ext_peer	*p = ext_peer_find(x, mac);

	return p != NULL ? p->flags : 0;
}

unsigned
ext_max_sectors(const struct engine_req *r)
{
	unsigned	 n = r->nic->max_sectors, room;

	/* (MTU − 36)/512 already leaves 14 bytes on the wire, so only the
	 * buffer can be short of the 4 CRC bytes. */
	if ((r->ext_flags & EXT_CRC8X4) &&
	    r->cap >= AOE_ATA_HDR_LEN + CRC8X4_LEN) {
		room = (unsigned)((r->cap - AOE_ATA_HDR_LEN - CRC8X4_LEN) / 512);
		if (n > room)
			n = room;
	}
	return n;
}

static void
ext_reset_peer(struct ext_peer *p)
{
	p->flags = 0;
	p->tags = EXT_TAGS_ANY;
	p->congestion = 0;
	p->have_wtag = false;
	p->max_wtag = 0;
	/* the duplicate window stays: it protects every initiator */
}

void
ext_reset_mac(struct export *x, const uint8_t mac[6])
{
	struct ext_peer	*p = ext_peer_find(x, mac);

	if (p != NULL)
		ext_reset_peer(p);
}

/* --- 0x23 --------------------------------------------------------------- */

/* The 2014 rule for a usable word list: at least 2 bytes, the last two NUL. */
static bool
ext_len_ok(const struct engine_req *r, size_t len)
{
	const uint8_t	*w = r->frame + AOE_EXT_HDR_LEN;

	return len >= 2 && len <= r->len - AOE_EXT_HDR_LEN &&
	    w[len - 2] == '\0' && w[len - 1] == '\0';
}

static bool
ext_word_is(const uint8_t *w, int n, const char *s)
{
	return (size_t)n == strlen(s) && memcmp(w, s, (size_t)n) == 0;
}

/* An accepted word is echoed in capitals (as 2014): the initiator reads
 * the reply to learn what the target took. */
static void
ext_word_accept(uint8_t *w, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		w[i] = (uint8_t)toupper(w[i]);
}

static uint32_t
ext_word_number(const uint8_t *w, int n)
{
	char		 buf[EXT_WORD_MAX];
	unsigned long	 v;

	if (n >= (int)sizeof(buf))
		n = (int)sizeof(buf) - 1;
	memcpy(buf, w, (size_t)n);
	buf[n] = '\0';
	v = strtoul(buf, NULL, 10);
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void
ext_apply(struct engine_req *r, struct ext_peer *p, const struct aoe_ext *e)
{
	uint8_t		*words = r->frame + AOE_EXT_HDR_LEN;
	size_t		 pos = 0, start;
	int		 n;

	while ((n = aoe_ext_next_word(e, &pos, &start)) > 0) {
		uint8_t	*w = words + start;

		if (ext_word_is(w, n, "reset"))
			ext_reset_peer(p);
		else if (ext_word_is(w, n, "coalesced_read"))
			p->flags |= EXT_COALESCED_READ;
		else if (ext_word_is(w, n, "tag_inc_le"))
			p->tags = EXT_TAGS_INC_LE;
		else if (ext_word_is(w, n, "tag_inc_be"))
			p->tags = EXT_TAGS_INC_BE;
		else if (ext_word_is(w, n, "tag_random"))
			p->tags = EXT_TAGS_RANDOM;
		else if (ext_word_is(w, n, "crc8x4"))
			p->flags |= EXT_CRC8X4;
		else if (ext_word_is(w, n, "congestion")) {
			/* its argument is the next word; none: stop (2014) */
			ext_word_accept(w, n);
			if ((n = aoe_ext_next_word(e, &pos, &start)) <= 0)
				break;
			p->congestion = ext_word_number(words + start, n);
			continue;
		} else
			continue;	/* unknown: ignored, echoed as sent */
		ext_word_accept(w, n);
		if (w[0] == 'T')	/* a tag mode: order from scratch */
			p->have_wtag = false;
	}
}

size_t
ext_cmd(struct engine_req *r)
{
	struct export	*x = r->x;
	struct ext_peer	*p;
	struct aoe_ext	 e;
	char		 mac[ENGINE_MAC_STRLEN];
	size_t		 len;

	if (r->len < AOE_EXT_HDR_LEN)
		return 0;
	/* The 2014 target read the length in host order (little-endian on
	 * x86); r11 fields are big-endian.  Either is taken if it passes the
	 * 2014 check; anything else is dropped unanswered, as in 2014. */
	len = ((size_t)r->frame[24] << 8) | r->frame[25];
	if (!ext_len_ok(r, len)) {
		len = ((size_t)r->frame[25] << 8) | r->frame[24];
		if (!ext_len_ok(r, len))
			return 0;
	}
	e.len = (uint16_t)len;
	e.words = r->frame + AOE_EXT_HDR_LEN;
	x->st.ext_commands++;
	engine_mac_str(r->hdr.src, mac);
	if ((p = ext_peer_get(x, r->hdr.src)) == NULL)
		log_warnx("%s: extensions of %s refused: %u initiators "
		    "already negotiated", x->name, mac, EXT_PEERS_MAX);
	else {
		ext_apply(r, p, &e);
		log_info("%s: extensions of %s:%s%s tags %u congestion %u",
		    x->name, mac, (p->flags & EXT_CRC8X4) ? " crc8x4" : "",
		    (p->flags & EXT_COALESCED_READ) ? " coalesced_read" : "",
		    (unsigned)p->tags, (unsigned)p->congestion);
	}
	/* the reply is the request echoed, accepted words in capitals */
	return engine_reply(r, r->len, 0);
}

/* --- CRC8x4 ------------------------------------------------------------- */

bool
ext_write_crc_ok(struct engine_req *r, const struct aoe_ata *a)
{
	struct export	*x = r->x;
	size_t		 n = (size_t)a->scnt * 512;
	char		 mac[ENGINE_MAC_STRLEN];

	if (!(r->ext_flags & EXT_CRC8X4))
		return true;
	/* the request's own argument block and data (2014) */
	if (a->datalen >= n + CRC8X4_LEN &&
	    crc8x4_check(r->frame + AOE_HDR_LEN, 12 + n,
	    r->frame + AOE_ATA_HDR_LEN + n))
		return true;
	x->st.crc_errors++;
	if (x->st.crc_errors <= EXT_LOG_FIRST ||
	    x->st.crc_errors % 1000 == 0) {
		engine_mac_str(r->hdr.src, mac);
		log_warnx("%s: write of %u sectors at lba %" PRIu64 " from %s: "
		    "%s (%" PRIu64 " so far), not written", x->name,
		    (unsigned)a->scnt, aoe_ata_lba(a), mac,
		    a->datalen < n + CRC8X4_LEN ? "no CRC" : "bad CRC",
		    x->st.crc_errors);
	}
	return false;
}

size_t
ext_read_crc(struct engine_req *r, size_t n)
{
	if (!(r->ext_flags & EXT_CRC8X4) ||
	    AOE_ATA_HDR_LEN + n + CRC8X4_LEN > r->cap)
		return n;
	/* the reply's argument block, its registers already set (2014) */
	crc8x4(r->frame + AOE_HDR_LEN, 12 + n, r->frame + AOE_ATA_HDR_LEN + n);
	return n + CRC8X4_LEN;
}

/* --- duplicate window --------------------------------------------------- */

static uint32_t
ext_tag_value(const struct ext_peer *p, uint32_t tag)
{
	/* hdr.tag is the wire's bytes read big-endian */
	return p->tags == EXT_TAGS_INC_LE ? __builtin_bswap32(tag) : tag;
}

enum ext_verdict
ext_write_arrive(struct engine_req *r, struct ext_seen *done)
{
	struct export	*x = r->x;
	struct ext_peer	*p;
	struct ext_seen	*s;
	const uint8_t	*arg = r->frame + AOE_HDR_LEN;
	uint64_t	 now = ext_now();
	uint32_t	 v;
	unsigned	 i;

	r->seen = NULL;
	if ((p = ext_peer_get(x, r->hdr.src)) == NULL)
		return EXT_RUN;		/* not tracked: as without this */
	for (i = 0; i < EXT_WINDOW; i++) {
		s = &p->seen[i];
		if (s->state == EXT_SEEN_FREE || s->tag != r->hdr.tag ||
		    memcmp(s->arg, arg, 12) != 0)
			continue;
		if (now - s->t_ns > EXT_WINDOW_NS) {
			/* too old to be a copy: a new request (docs) */
			s->state = EXT_SEEN_FREE;
			continue;
		}
		x->st.duplicates++;
		if (s->state == EXT_SEEN_RUNNING)
			return EXT_DUP_RUNNING;
		*done = *s;
		return EXT_DUP_DONE;
	}
	if (p->tags == EXT_TAGS_INC_LE || p->tags == EXT_TAGS_INC_BE) {
		v = ext_tag_value(p, r->hdr.tag);
		if (p->have_wtag && (int32_t)(v - p->max_wtag) < 0) {
			x->st.stale_frames++;
			return EXT_STALE;
		}
		p->have_wtag = true;
		p->max_wtag = v;
	}
	s = &p->seen[p->next];
	p->next = (p->next + 1) % EXT_WINDOW;
	memset(s, 0, sizeof(*s));
	s->t_ns = now;
	s->gen = ++x->ext.gen;
	s->tag = r->hdr.tag;
	memcpy(s->arg, arg, 12);
	s->state = EXT_SEEN_RUNNING;
	r->seen = s;
	r->seen_gen = s->gen;
	return EXT_RUN;
}

void
ext_write_done(struct engine_req *r, uint8_t status, uint8_t error,
    uint8_t scnt)
{
	struct ext_seen	*s = r->seen;

	/* the slot may have been taken by a newer write meanwhile */
	if (s == NULL || s->gen != r->seen_gen)
		return;
	s->state = EXT_SEEN_DONE;
	s->status = status;
	s->error = error;
	s->scnt = scnt;
}

void
ext_write_failed(struct export *x, const uint8_t *frame)
{
	struct ext_peer	*p;
	struct ext_seen	*s;
	uint32_t	 tag;
	unsigned	 i;

	/* a reply: the initiator is its destination; tag and LBA echoed */
	if ((p = ext_peer_find(x, frame)) == NULL)
		return;
	tag = (uint32_t)frame[20] << 24 | (uint32_t)frame[21] << 16 |
	    (uint32_t)frame[22] << 8 | frame[23];
	for (i = 0; i < EXT_WINDOW; i++) {
		s = &p->seen[i];
		if (s->state == EXT_SEEN_DONE && s->tag == tag &&
		    memcmp(s->arg + 4, frame + 28, 6) == 0) {
			s->status = frame[27];
			s->error = frame[25];
		}
	}
}

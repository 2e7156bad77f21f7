/*
 * blockd's side of freeze and unfreeze: the supervisor's "freeze" and
 * "unfreeze" messages, the drain before a freeze, and the background merge
 * (a zero-timeout timer running one merge step per merging export between
 * the requests).  The shadow itself is shadow.c's.
 */
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "blockd.h"
#include "fds.h"
#include "log.h"
#include "msg.h"
#include "util.h"

#define FREEZE_RETRY_MS		1000	/* after a failed merge step */

static struct export *
freeze_find(struct blockd *b, const char *name)
{
	unsigned	 i;

	for (i = 0; i < b->eng.nexports; i++)
		if (strcmp(b->exports[i].name, name) == 0)
			return &b->exports[i];
	return NULL;
}

/* Run the merge timer: now, or after a failure in FREEZE_RETRY_MS. */
static void
freeze_merge_schedule(struct blockd *b, bool retry)
{
	struct timeval	 tv = { 0, 0 };

	if (retry) {
		tv.tv_sec = FREEZE_RETRY_MS / 1000;
		tv.tv_usec = (FREEZE_RETRY_MS % 1000) * 1000;
	}
	evtimer_add(b->ev_merge, &tv);
}

/* One step for each merging export; again right away while any is left. */
static void
freeze_on_merge(evutil_socket_t fd, short ev, void *arg)
{
	struct blockd	*b = arg;
	struct export	*x;
	bool		 more = false, failed = false;
	unsigned	 i;
	int		 rc;

	(void)fd;
	(void)ev;
	for (i = 0; i < b->eng.nexports; i++) {
		x = &b->exports[i];
		if (x->shadow.state != SHADOW_MERGING)
			continue;
		rc = shadow_merge_step(&x->shadow, x->fd, x->offset);
		if (rc == 1)
			more = true;
		else if (rc == 0)
			blockd_send_export_stats(b, i);		/* thawed */
		else {
			failed = true;
			x->st.err_io++;
			log_warnx("%s: merge step failed: %s; the shadow stays, "
			    "retrying in %d ms", x->name, strerror(-rc),
			    FREEZE_RETRY_MS);
		}
	}
	if (more || failed)
		freeze_merge_schedule(b, !more);
}

/*
 * Freeze: every request in flight (on every export: they share one ring)
 * finishes and is answered, the image is flushed, then the shadow starts.
 * Requests still queued in the rings run after this, against the shadow.
 */
static int
freeze_export(struct blockd *b, struct export *x, char *text, size_t size)
{
	uint64_t	 t0 = now_ns();
	unsigned	 drained = b->eng.pending;
	int		 rc;

	if (x->shadow.dirfd >= 0 && x->shadow.state == SHADOW_THAWED) {
		engine_aio_drain(&b->eng);
		blockd_publish_all(b);
		x->sync_pending = true;
		if ((rc = export_sync(x)) != 0) {
			snprintf(text, size, "%s: flushing the image before the "
			    "freeze failed: %s; not frozen", x->name,
			    strerror(-rc));
			return -1;
		}
	}
	if (shadow_freeze(&x->shadow, text, size) == -1)
		return -1;
	snprintf(text, size, "%s frozen: the image no longer changes (%u "
	    "requests drained, %.1f ms)", x->name, drained,
	    (double)(now_ns() - t0) / 1e6);
	return 0;
}

static int
unfreeze_export(struct blockd *b, struct export *x, char *text, size_t size)
{
	if (shadow_unfreeze(&x->shadow, text, size) == -1)
		return -1;
	snprintf(text, size, "%s: merging %" PRIu64 " sectors (%" PRIu64
	    " bytes) of the shadow into the image in the background",
	    x->name, x->shadow.merge_total, x->shadow.merge_total * 512);
	freeze_merge_schedule(b, false);
	return 0;
}

static void
freeze_reply(struct blockd *b, uint64_t token, bool ok, const char *text)
{
	struct msg_out	 m;

	msg_begin(&m, MSG_REPLY, 3);
	msg_put_u64(&m, "token", token);
	msg_put_bool(&m, "ok", ok);
	msg_put_str(&m, "text", text);
	if (msg_send(b->chan, &m) == -1)
		fatal("channel");
}

void
freeze_handle_msg(struct blockd *b, struct msg_in *m)
{
	char		 name[16], text[512];
	uint64_t	 token;
	struct export	*x;
	int		 rc;

	if (msg_get_str(m, "export", name, sizeof(name)) == -1 ||
	    msg_get_u64(m, "token", &token) == -1 || msg_end(m) == -1)
		fatalx("supervisor sent a malformed %s", m->type);
	if ((x = freeze_find(b, name)) == NULL) {
		snprintf(text, sizeof(text), "unknown export %s", name);
		rc = -1;
	} else if (msg_is(m, MSG_FREEZE))
		rc = freeze_export(b, x, text, sizeof(text));
	else
		rc = unfreeze_export(b, x, text, sizeof(text));
	if (rc == 0)
		log_info("%s", text);
	else
		log_warnx("%s %s refused: %s", m->type, name, text);
	/* the state in aoectl stats is exact the moment the reply arrives */
	if (x != NULL)
		blockd_send_export_stats(b, (unsigned)(x - b->exports));
	freeze_reply(b, token, rc == 0, text);
}

/* Move the shadow directory fd to its slot of the range seccomp admits
 * (fds.h), and pick up what a previous blockd left there. */
static void
freeze_adopt(struct blockd *b, unsigned slot, int dirfd)
{
	struct export	*x = &b->exports[slot];
	char		 err[512];
	int		 fd = -1;

	if (dirfd >= 0) {
		fd = BLOCKD_FD_SHADOW(slot);
		if (dup3(dirfd, fd, O_CLOEXEC) == -1)
			fatal("%s: shadow directory fd", x->name);
		close(dirfd);
	}
	shadow_init(&x->shadow, fd, x->name, x->sectors);
	if (shadow_load(&x->shadow, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (x->shadow.state == SHADOW_MERGING)
		freeze_merge_schedule(b, false);	/* it goes on */
}

void
freeze_init(struct blockd *b)
{
	struct rlimit	 rl;
	unsigned	 i;

	if ((b->ev_merge = evtimer_new(b->base, freeze_on_merge, b)) == NULL)
		fatalx("event_new");
	/* the range lies above the usual soft limit of 1024 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur < BLOCKD_FD_SHADOW_BASE + BLOCKD_FD_SHADOW_SLOTS) {
		rl.rlim_cur = BLOCKD_FD_SHADOW_BASE + BLOCKD_FD_SHADOW_SLOTS;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;	/* root still, here */
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("setrlimit RLIMIT_NOFILE");
	}
	for (i = 0; i < b->eng.nexports; i++)
		freeze_adopt(b, i, b->exports[i].shadow.dirfd);
}

void
freeze_export_added(struct blockd *b, unsigned slot, int dirfd)
{
	freeze_adopt(b, slot, dirfd);
}

void
freeze_export_removed(struct export *x)
{
	/* a frozen or merging export keeps its files: added again with the
	 * same shadow directory, it is frozen (or merging) again */
	if (shadow_active(&x->shadow))
		log_warnx("%s removed while %s: its shadow stays in the shadow "
		    "directory until the export is served again", x->name,
		    shadow_state_name(x->shadow.state));
	shadow_release(&x->shadow);
}

/*
 * aoebench: AoEde's userspace AoE initiator and load generator.
 *
 *	aoebench -i IFACE [options] discover|identify|write|read|verify|writeverify|
 *	    mix|mixverify
 *
 * Exit status: 0 no errors and no mismatches, 1 otherwise, 2 usage errors.
 *
 * A run follows MTU changes on either end (path.c): it asks the target's
 * Sector Count again and re-splits its frames; the report counts both.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aoe.h"
#include "log.h"
#include "util.h"
#include "aoebench.h"

#define MAIN_EXIT_FAIL	1
#define MAIN_EXIT_USAGE	2
#define MAIN_IOSIZE_MAX	(255U * 1024 * SECTOR_SIZE)	/* -b */

enum main_cmd {
	CMD_DISCOVER, CMD_IDENTIFY, CMD_WRITE, CMD_READ, CMD_VERIFY,
	CMD_WRITEVERIFY, CMD_MIX, CMD_MIXVERIFY,
};

static const char *const main_cmds[] = {
	"discover", "identify", "write", "read", "verify", "writeverify",
	"mix", "mixverify",
};

static const char main_usage_text[] =
    "usage: aoebench -i IFACE [options] COMMAND\n"
    "COMMAND: discover | identify | write | read | verify | writeverify |\n"
    "         mix | mixverify (reads and writes at random, -R; mixverify\n"
    "         checks what it reads against the pattern of -p)\n"
    "  -s SHELF -l SLOT  target (default: the first that answers discovery)\n"
    "  -b BYTES          I/O size per request, multiple of 512 (default 4096)\n"
    "  -q DEPTH          requests in flight (default 1)\n"
    "  -W FRAMES         cap on frames in flight (default: the target's Buffer Count)\n"
    "  -o SECTOR         first sector of the region (default 0)\n"
    "  -n SECTORS        sectors in the region (default: to the end of the export)\n"
    "  -p SEED           pattern seed (default 1)\n"
    "  -r                random offsets (default sequential)\n"
    "  -R PERCENT        mix: the share of reads (default 50)\n"
    "  -f                write: fill each frame buffer once, not per request\n"
    "                    (the data cannot be verified; for throughput runs)\n"
    "  -x CPU            pin aoebench to this CPU\n"
    "  -t SECONDS        timed run: repeat over the region until the time is up\n"
    "  -M MAC            source MAC to send from (default: the interface's own)\n"
    "  -w MS             first retransmission timeout (default 200; backoff to 2 s)\n"
    "  -D SECONDS        give up on one request after this long (default 60)\n"
    "  -T SECONDS        discover: how long to collect answers (default 1)\n"
    "  -X WORD[,WORD...] negotiate extensions (0x23) first: crc8x4, tag_inc_le,\n"
    "                    tag_inc_be, tag_random, reset, ...; with crc8x4 writes\n"
    "                    carry CRCs and read CRCs are checked\n"
    "  -j                print the result as one JSON object\n"
    "  -v                verbose\n"
    "The frame size follows MTU changes during a run: on lost frames, AoE\n"
    "errors, an announcement or a new MTU of IFACE, aoebench asks the target\n"
    "again and splits what no longer fits; a 'rediscovery' line under the\n"
    "table (JSON: rediscoveries, resplits, frame_sectors_*) tells.\n";

static void __attribute__((noreturn, format(printf, 1, 2)))
main_usage_error(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "aoebench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (aoebench -h for usage)\n");
	exit(MAIN_EXIT_USAGE);
}

static uint64_t
main_number(int opt, const char *arg, uint64_t min, uint64_t max)
{
	const char	*why;
	uint64_t	 v;

	if (parse_u64(arg, min, max, &v, &why) == -1)
		main_usage_error("-%c %s: %s", opt, arg, why);
	return v;
}

static double
main_seconds(int opt, const char *arg)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(v) ||
	    v < 0 || v > 1e7)
		main_usage_error("-%c %s: not a number of seconds", opt, arg);
	return v;
}

static void
main_defaults(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->iosize = 4096;
	o->depth = 1;
	o->seed = 1;
	o->rto_ms = 200;
	o->deadline_s = 60;
	o->listen_s = 1;
	o->cpu = -1;
	o->read_pct = 50;
}

/* -x: one CPU for the whole run, so latency does not include migrations. */
static void
main_pin(int cpu)
{
	cpu_set_t	 set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		fatal("-x %d: sched_setaffinity", cpu);
}

/* -M: a unicast source MAC. */
static void
main_mac(const char *arg, uint8_t mac[6])
{
	if (mac_parse(arg, mac) == -1)
		main_usage_error("-M %s: not a MAC address", arg);
	if (mac[0] & 1)
		main_usage_error("-M %s: a multicast address", arg);
}

/* Which of the options that go together were given. */
struct main_seen {
	int	 shelf, slot, pct;
};

/* One command-line option into o. */
static void
main_option(struct bench_opts *o, int ch, const char *arg, struct main_seen *seen)
{
	switch (ch) {
	case 'b':
		o->iosize = main_number(ch, arg, SECTOR_SIZE, MAIN_IOSIZE_MAX);
		if (o->iosize % SECTOR_SIZE)
			main_usage_error("-b %s: not a multiple of 512", arg);
		break;
	case 'D':
		o->deadline_s = main_number(ch, arg, 1, 86400);
		break;
	case 'f':
		o->fixed_data = 1;
		break;
	case 'h':
		fputs(main_usage_text, stdout);
		exit(0);
	case 'i':
		o->ifname = arg;
		break;
	case 'j':
		o->json = 1;
		break;
	case 'l':
		o->slot = main_number(ch, arg, 0, AOE_MINOR_ANY - 1);
		seen->slot = 1;
		break;
	case 'M':
		main_mac(arg, o->mac);
		o->have_mac = 1;
		break;
	case 'n':
		o->count = main_number(ch, arg, 1, 1ULL << 48);
		break;
	case 'o':
		o->first = main_number(ch, arg, 0, (1ULL << 48) - 1);
		break;
	case 'p':
		o->seed = main_number(ch, arg, 0, UINT64_MAX);
		break;
	case 'q':
		o->depth = main_number(ch, arg, 1, 4096);
		break;
	case 'r':
		o->random = 1;
		break;
	case 'R':
		o->read_pct = main_number(ch, arg, 0, 100);
		seen->pct = 1;
		break;
	case 's':
		o->shelf = main_number(ch, arg, 0, AOE_MAJOR_ANY - 1);
		seen->shelf = 1;
		break;
	case 't':
		o->seconds = main_seconds(ch, arg);
		break;
	case 'T':
		o->listen_s = main_seconds(ch, arg);
		break;
	case 'v':
		o->verbose++;
		break;
	case 'w':
		o->rto_ms = main_number(ch, arg, 1, 60000);
		break;
	case 'W':
		o->window = main_number(ch, arg, 1, 1024);
		break;
	case 'x':
		o->cpu = main_number(ch, arg, 0, CPU_SETSIZE - 1);
		break;
	case 'X':
		if (*arg == '\0' || strlen(arg) > 200)
			main_usage_error("-X %s: 1 to 200 characters", arg);
		o->ext_words = arg;
		break;
	default:
		main_usage_error("unknown option");
	}
}

/* Parse the options; returns the command. */
static enum main_cmd
main_options(int argc, char **argv, struct bench_opts *o)
{
	struct main_seen seen = { 0 };
	int		 ch;
	unsigned	 i;

	main_defaults(o);
	while ((ch = getopt(argc, argv, "b:D:fhi:jl:M:n:o:p:q:rR:s:t:T:vw:W:x:X:")) != -1)
		main_option(o, ch, optarg, &seen);
	if (o->ifname == NULL)
		main_usage_error("-i IFACE is required");
	if (seen.shelf != seen.slot)
		main_usage_error("-s and -l go together");
	o->have_target = seen.shelf;
	if (optind != argc - 1)
		main_usage_error("one COMMAND expected");
	for (i = 0; i < sizeof(main_cmds) / sizeof(main_cmds[0]); i++)
		if (strcmp(argv[optind], main_cmds[i]) == 0)
			break;
	if (i == sizeof(main_cmds) / sizeof(main_cmds[0]))
		main_usage_error("unknown command %s", argv[optind]);
	if (seen.pct && i != CMD_MIX && i != CMD_MIXVERIFY)
		main_usage_error("-R goes with mix and mixverify");
	/* -f writes what no pattern check can match: every read would
	 * count as a mismatch */
	if (o->fixed_data && (i == CMD_WRITEVERIFY || i == CMD_MIXVERIFY))
		main_usage_error("-f: the data written cannot be verified (%s)",
		    main_cmds[i]);
	return i;
}

/* The first ^C ends a run early with its results; a second one kills. */
static void
main_signal(int sig)
{
	signal(sig, SIG_DFL);
	io_interrupt();
}

/* The region [first, first + count) must lie inside the export. */
static void
main_region(const struct bench_opts *o, const struct target *t,
    uint64_t *first, uint64_t *count)
{
	*first = o->first;
	if (*first >= t->sectors)
		main_usage_error("-o %llu: beyond the end of e%u.%u (%llu "
		    "sectors)", (unsigned long long)*first, t->shelf, t->slot,
		    (unsigned long long)t->sectors);
	*count = o->count ? o->count : t->sectors - *first;
	if (*count > t->sectors - *first)
		main_usage_error("-o %llu -n %llu: beyond the end of e%u.%u "
		    "(%llu sectors)", (unsigned long long)*first,
		    (unsigned long long)*count, t->shelf, t->slot,
		    (unsigned long long)t->sectors);
}

static int
main_io(struct pkt *p, const struct bench_opts *o, struct target *t,
    enum main_cmd cmd)
{
	static struct report	 phase[2];
	struct report		*phases[2];
	uint64_t		 first, count, bad = 0;
	unsigned		 n = 0, i;

	main_region(o, t, &first, &count);
	if (cmd == CMD_WRITE || cmd == CMD_WRITEVERIFY) {
		report_init(&phase[n], "write", t);
		io_run(p, o, t, IO_WRITE, first, count, &phase[n]);
		n++;
	}
	if (cmd == CMD_READ) {
		report_init(&phase[n], "read", t);
		io_run(p, o, t, IO_READ, first, count, &phase[n]);
		n++;
	}
	if (cmd == CMD_VERIFY || cmd == CMD_WRITEVERIFY) {
		report_init(&phase[n], "verify", t);
		io_run(p, o, t, IO_VERIFY, first, count, &phase[n]);
		n++;
	}
	if (cmd == CMD_MIX || cmd == CMD_MIXVERIFY) {
		report_init(&phase[n], main_cmds[cmd], t);
		io_run(p, o, t, cmd == CMD_MIX ? IO_MIX : IO_MIXVERIFY, first,
		    count, &phase[n]);
		n++;
	}
	for (i = 0; i < n; i++) {
		phases[i] = &phase[i];
		bad += phase[i].errors + phase[i].mismatches;
	}
	report_print(phases, n, o->json);
	return bad ? MAIN_EXIT_FAIL : 0;
}

int
main(int argc, char **argv)
{
	struct bench_opts	 o;
	struct target		 t;
	struct pkt		 p;
	enum main_cmd		 cmd;
	int			 rc;

	cmd = main_options(argc, argv, &o);
	log_init("aoebench", o.verbose);
	main_pin(o.cpu);
	pkt_open(&p, o.ifname, o.have_mac ? o.mac : NULL);

	if (cmd == CMD_DISCOVER) {
		rc = target_discover_all(&p, &o) > 0 ? 0 : MAIN_EXIT_FAIL;
		pkt_close(&p);
		return rc;
	}
	if (target_find(&p, &o, &t) == -1) {
		if (o.have_target)
			log_warnx("no answer from e%u.%u on %s", o.shelf,
			    o.slot, o.ifname);
		else
			log_warnx("no AoE target answered on %s", o.ifname);
		return MAIN_EXIT_FAIL;
	}
	if (o.ext_words != NULL) {
		if (target_extensions(&p, &o, &t) == -1)
			return MAIN_EXIT_FAIL;
		/* the Sector Count offered to a crc8x4 initiator may be lower */
		rc = t.crc8x4;
		if (rc && target_find(&p, &o, &t) == -1)
			return MAIN_EXIT_FAIL;
		t.crc8x4 = rc;
	}
	if (target_identify(&p, &o, &t) == -1)
		return MAIN_EXIT_FAIL;
	if (cmd == CMD_IDENTIFY) {
		target_print_identify(&t, o.json);
		rc = 0;
	} else {
		signal(SIGINT, main_signal);
		signal(SIGTERM, main_signal);
		rc = main_io(&p, &o, &t, cmd);
	}
	pkt_close(&p);
	return rc;
}

/*
 * The command line: a configuration file (aoede.conf(5)), or vblade's
 * one-export form.
 *
 *   aoede [-n] [-v] [-c config-file] [-S control-socket] [-U netd-user:blockd-user]
 *         [-D state-directory] [-P busy-poll-us]
 *   aoede [-n] [-b bufcnt] [-o offset] [-l length] [-d] [-s] [-w] [-r]
 *         [-C cache-MiB] [-m mac[,mac...]] [-f shadow-directory] [-S control-socket]
 *         [-U netd-user:blockd-user] [-D state-directory] [-P busy-poll-us] [-v]
 *         shelf slot netif [netif ...] file
 *
 * Without positional arguments the configuration is CONF_DEFAULT_FILE;
 * -S, -U, -D and -P override the file (-D: where the AoE state is kept,
 * CONF_DEFAULT_STATE_DIR by default in both forms).  -n checks the configuration against this
 * host (interfaces, users, groups, images) and exits; -nv also prints it in
 * canonical form.  Every mistake is one clear line and exit status 1 (2 for
 * usage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "supervisor.h"
#include "util.h"

#define SUP_DEFAULT_CACHE_MIB	64u	/* with -d and no -C */

static __attribute__((noreturn)) void
sup_usage(void)
{
	fprintf(stderr,
	    "usage: aoede [-n] [-v] [-c config-file] [-S control-socket] [-U netd-user:blockd-user]\n"
	    "             [-D state-directory] [-P busy-poll-us]\n"
	    "       aoede [-n] [-b bufcnt] [-o offset] [-l length] [-d] [-s] [-w] [-r]\n"
	    "             [-C cache-MiB (default 0; 64 with -d)] [-m mac[,mac...]]\n"
	    "             [-f shadow-directory]\n"
	    "             [-S control-socket] [-U netd-user:blockd-user] [-D state-directory]\n"
	    "             [-P busy-poll-us (default 50; 0: never)]\n"
	    "             [-v] shelf slot netif [netif ...] file\n");
	exit(2);
}

static void
sup_parse_masks(struct sup_export *x, const char *arg)
{
	char	 buf[1024], *mac;

	if (strlen(arg) >= sizeof(buf))
		fatalx("-m: list too long");
	strcpy(buf, arg);
	for (mac = strtok(buf, ","); mac != NULL; mac = strtok(NULL, ",")) {
		if (x->nmasks == SUP_MAX_MASKS)
			fatalx("-m: at most %d MAC addresses", SUP_MAX_MASKS);
		if (mac_parse(mac, x->masks[x->nmasks]) == -1)
			fatalx("-m: not a MAC address: %s", mac);
		x->nmasks++;
	}
}

static uint64_t
sup_number(const char *what, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t	 v;
	const char	*why;

	if (parse_u64(arg, min, max, &v, &why) == -1)
		fatalx("%s %s: %s (%ju..%ju)", what, arg, why, (uintmax_t)min,
		    (uintmax_t)max);
	return v;
}

static void
sup_parse_users(struct sup *s, char *arg)
{
	char	*colon = strchr(arg, ':');

	if (colon == NULL || colon == arg || colon[1] == '\0')
		fatalx("-U wants netd-user:blockd-user");
	*colon = '\0';
	s->netd_user = arg;
	s->blockd_user = colon + 1;
}

static void
sup_add_nic(struct sup *s, const char *name)
{
	unsigned	 i;

	if (strlen(name) >= IF_NAMESIZE)
		fatalx("interface name too long: %s", name);
	for (i = 0; i < s->nnics; i++)
		if (strcmp(s->nics[i].name, name) == 0)
			fatalx("interface %s named twice", name);
	if (s->nnics == SUP_MAX_NICS)
		fatalx("at most %d interfaces", SUP_MAX_NICS);
	strcpy(s->nics[s->nnics++].name, name);
}

/* The kernel filter of every NIC must fit (SUP_BPF_MAX instructions). */
static void
sup_check_filters(const struct conf *c, struct sup *s)
{
	static struct sock_filter	 prog[SUP_BPF_MAX];
	unsigned			 i;

	for (i = 0; i < s->nnics; i++)
		if (sup_bpf_build(s, i, prog, SUP_BPF_MAX) < 0)
			fatalx("%snic %s: too many exports for one kernel filter",
			    conf_where_line(c->nics[i].line), s->nics[i].name);
}

/*
 * Both forms end here: check the configuration against this host, and for
 * -n open the images (as a start would), print and exit.
 */
static void
sup_finish_config(struct conf *c, struct sup *s, bool check_only)
{
	if (conf_check_host(c) == -1)
		fatalx("%s", c->err);
	conf_apply(c, s);
	sup_check_filters(c, s);
	if (!check_only)
		return;
	sup_open_images(s);
	if (s->verbose)
		conf_print(c, stdout);
	if (fflush(stdout) == EOF)
		fatal("stdout");
	exit(0);
}

/* What the options said, before we know which form the command line has. */
struct sup_cmdline {
	const char	*file, *control, *users, *state;
	bool		 poll_set;
	int		 export_opt;	/* first option that belongs to an export */
	bool		 check_only, cache_set;
};

static void
sup_export_option(struct sup_export *x, struct sup_cmdline *cl, int ch)
{
	switch (ch) {
	case 'b': x->bufcnt = sup_number("-b", optarg, 2, 2048); break;
	case 'o': x->offset = sup_number("-o", optarg, 0, UINT64_MAX / 512); break;
	case 'l': x->length = sup_number("-l", optarg, 1, UINT64_MAX / 512); break;
	case 'd': x->flags |= SUP_EXPORT_DIRECT; break;
	case 's': x->flags &= ~SUP_EXPORT_KERNEL; break;	/* sync: the default */
	case 'w': x->flags |= SUP_EXPORT_KERNEL; break;
	case 'r': x->flags |= SUP_EXPORT_RDONLY; break;
	case 'C':
		/* blockd's read cache, in MiB (0 = off) */
		x->cache_bytes = sup_number("-C", optarg, 0, 65535) << 20;
		cl->cache_set = true;
		break;
	case 'm': sup_parse_masks(x, optarg); break;
	case 'f':
		/* freeze's shadow directory, as the 2014 AoEde's -f */
		if (strlen(optarg) >= sizeof(x->shadow_dir))
			fatalx("-f: path too long");
		strcpy(x->shadow_dir, optarg);
		break;
	}
	if (cl->export_opt == 0)
		cl->export_opt = ch;
}

/* The options; returns the index of the first positional argument. */
static int
sup_getopt(struct sup *s, struct sup_cmdline *cl, int argc, char *argv[])
{
	int	 ch;

	while ((ch = getopt(argc, argv, "+b:o:l:dswrC:m:f:c:nP:S:U:D:vh")) != -1) {
		switch (ch) {
		case 'b': case 'o': case 'l': case 'd': case 's': case 'w':
		case 'r': case 'C': case 'm': case 'f':
			sup_export_option(&s->exports[0], cl, ch);
			break;
		case 'c': cl->file = optarg; break;
		case 'n': cl->check_only = true; break;
		case 'P':
			s->busy_poll_us = sup_number("-P", optarg, 0, CONF_BUSY_POLL_MAX);
			cl->poll_set = true;
			break;
		case 'S': cl->control = optarg; break;
		case 'U': cl->users = optarg; break;
		case 'D':
			if (optarg[0] != '/')
				fatalx("-D %s: the state directory must be an "
				    "absolute path", optarg);
			cl->state = optarg;
			break;
		case 'v': s->verbose++; break;
		default: sup_usage();
		}
	}
	return optind;
}

/* aoede [-c FILE]: every export from the file; -S, -U, -D win over it. */
static void
sup_from_file(struct sup *s, struct sup_cmdline *cl, struct conf *conf)
{
	const char	*file = cl->file != NULL ? cl->file : CONF_DEFAULT_FILE;

	if (cl->file == NULL && cl->export_opt != 0)
		sup_usage();
	if (cl->export_opt != 0)
		fatalx("-%c is for a command-line export; with -c set it in %s",
		    cl->export_opt, file);
	conf_init(conf);
	if (conf_parse_file(conf, file) == -1)
		fatalx("%s", conf->err);
	if (cl->control != NULL) {
		snprintf(conf->control_socket, sizeof(conf->control_socket), "%s", cl->control);
		conf->overrides |= CONF_OVR_CONTROL;
	}
	if (cl->users != NULL) {
		conf->overrides |= CONF_OVR_USERS;
		snprintf(conf->netd_user, sizeof(conf->netd_user), "%s", s->netd_user);
		snprintf(conf->blockd_user, sizeof(conf->blockd_user), "%s", s->blockd_user);
		conf->global_key_line[3] = conf->global_key_line[4] = 0;
	}
	if (cl->state != NULL) {
		snprintf(conf->state_dir, sizeof(conf->state_dir), "%s", cl->state);
		conf->overrides |= CONF_OVR_STATE;
	}
	if (cl->poll_set) {
		conf->busy_poll_us = s->busy_poll_us;
		conf->overrides |= CONF_OVR_POLL;
	}
	s->config_file = file;
}

/* vblade's form: shelf slot netif [netif ...] file — one export. */
static void
sup_from_positional(struct sup *s, struct sup_cmdline *cl, int argc, char *argv[],
    struct conf *conf)
{
	struct sup_export	*x = &s->exports[0];
	int			 i;

	if (argc < 4)
		sup_usage();
	x->shelf = sup_number("shelf", argv[0], 0, 0xfffe);
	x->slot = sup_number("slot", argv[1], 0, 0xfe);
	for (i = 2; i < argc - 1; i++) {
		sup_add_nic(s, argv[i]);
		x->nic_mask |= (uint64_t)1 << (s->nnics - 1);
	}
	if (strlen(argv[argc - 1]) >= sizeof(x->path))
		fatalx("image path too long");
	strcpy(x->path, argv[argc - 1]);
	x->fd = -1;
	if ((x->flags & SUP_EXPORT_DIRECT) && !cl->cache_set)
		x->cache_bytes = (uint64_t)SUP_DEFAULT_CACHE_MIB << 20;
	s->nexports = 1;
	conf_from_sup(conf, s);
}

int
sup_parse_args(struct sup *s, int argc, char *argv[])
{
	static struct conf	 conf;
	struct sup_cmdline	 cl;
	struct sup_export	*x = &s->exports[0];
	int			 first;

	memset(&cl, 0, sizeof(cl));
	memset(x, 0, sizeof(*x));
	x->bufcnt = SUP_DEFAULT_BUFCNT;
	s->control_path = SUP_DEFAULT_CONTROL;
	s->netd_user = SUP_NETD_USER;
	s->blockd_user = SUP_BLOCKD_USER;
	s->busy_poll_us = CONF_DEFAULT_BUSY_POLL;
	first = sup_getopt(s, &cl, argc, argv);
	argc -= first;
	argv += first;
	if (cl.control != NULL)
		s->control_path = cl.control;
	if (cl.users != NULL) {
		char	*users = strdup(cl.users);	/* split in place */

		if (users == NULL)
			fatal("strdup");
		sup_parse_users(s, users);
	}
	s->state_dir = cl.state;
	if (cl.file != NULL && argc > 0)
		fatalx("-c %s and a command-line export (%s ...) cannot be combined",
		    cl.file, argv[0]);
	if (cl.file != NULL || argc == 0)
		sup_from_file(s, &cl, &conf);
	else
		sup_from_positional(s, &cl, argc, argv, &conf);
	sup_finish_config(&conf, s, cl.check_only);
	return 0;
}
